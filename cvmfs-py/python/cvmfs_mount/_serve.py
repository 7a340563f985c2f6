"""``python -m cvmfs_mount._serve ARGS``: a detached snapshot server for the snapshot
backend (prints ``READY pid=<pid>`` once mounted)."""

import sys

from .cvmfs_mount import run_server

sys.exit(run_server(sys.argv[1:]))
