export CMS_PATH=/cvmfs/cms.cern.ch
