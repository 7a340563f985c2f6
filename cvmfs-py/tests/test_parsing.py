import pytest

import cvmfs_mount as cm

MOUNTINFO = (
    b"22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    b"31 22 0:52 / /cvmfs/cms.cern.ch ro,nosuid,nodev master:10 - fuse cvmfs2 ro,allow_other\n"
    b"32 22 0:27 / /with\\040space rw - tmpfs  rw\n"
)


def test_selection_follows_the_anchor_rules():
    assert cm.parse_selection(None).kind == "nothing"
    assert cm.parse_selection("  NONE ").repositories == []
    everything = cm.parse_selection(" all")
    assert everything.kind == "all" and len(everything) == 9
    picked = cm.parse_selection("sft,cms cms.cern.ch atlas")
    assert picked.repositories == ["sft.cern.ch", "cms.cern.ch", "atlas.cern.ch"]
    assert len(picked.warnings) == 2
    assert picked == cm.parse_selection("sft,cms cms.cern.ch atlas")
    assert "Selection(kind='list'" in repr(picked)


def test_bad_tokens_raise_one_error_listing_each():
    with pytest.raises(cm.InvalidInputError) as raised:
        cm.parse_selection("cms none c*s a@b")
    message = str(raised.value)
    assert 'token 2 ("none"' in message and 'token 3 ("c*s"' in message and 'token 4 ("a@b"' in message
    assert isinstance(raised.value, cm.CvmfsError)


def test_fqrn_objects():
    name = cm.Fqrn("cms-lpc.opensciencegrid.org")
    assert (name.org, name.domain, str(name)) == ("cms-lpc", "opensciencegrid.org", "cms-lpc.opensciencegrid.org")
    assert cm.Fqrn("atlas") == cm.Fqrn("atlas.cern.ch")
    assert len({cm.Fqrn("atlas"), cm.Fqrn("atlas.cern.ch")}) == 1
    assert repr(cm.Fqrn("ilc", default_domain="desy.de")) == "Fqrn('ilc.desy.de')"
    with pytest.raises(cm.InvalidInputError, match="ends with a dot"):
        cm.Fqrn("cms.")


def test_remap_environment_config_and_mountinfo():
    passwd = "root:x:0:0::/root:/bin/sh\ncmsusr:x:1000:1000::/home/cmsusr:/bin/bash\n"
    group = "root:x:0:\ncmsusr:x:1000:\n"
    plan = cm.remap_ids(passwd, group, my_uid="4242")
    assert plan.uid == (1000, 4242) and plan.gid == (1000, 1000)
    assert "cmsusr:x:4242:1000:" in plan.passwd
    assert plan.notices == ["MY_GID variable not specified, defaulting to cmsusr group id (1000)"]
    with pytest.raises(cm.InvalidInputError, match="root-equivalent"):
        cm.remap_ids(passwd, group, my_uid="0")

    text = cm.environment("cms", shell="bash")
    assert "Unable to source /cvmfs/cms.cern.ch/cmsset_default.sh" in text
    assert "setenv XrdSecGSISRVNAMES" in cm.environment("cms", shell="tcsh")

    config = cm.resolve_config(
        "cms",
        {
            "/etc/cvmfs/default.conf": "CVMFS_HTTP_PROXY=auto\n",
            "/etc/cvmfs/default.local": "CVMFS_HTTP_PROXY=DIRECT\nCVMFS_USER=$USER\n",
        },
    )
    assert config.values["CVMFS_HTTP_PROXY"] == ("DIRECT", "/etc/cvmfs/default.local")
    assert any("shell evaluation" in d for d in config.diagnostics)
    assert "CVMFS_HTTP_PROXY=DIRECT    # from /etc/cvmfs/default.local" in config.show()

    mounts = cm.parse_mountinfo(MOUNTINFO)
    assert [m.mount_point for m in mounts] == ["/", "/cvmfs/cms.cern.ch", "/with space"]
    assert mounts[1].is_client_mount and mounts[1].minor == 52 and mounts[1].propagation.startswith("slave")
    with pytest.raises(cm.InvalidInputError, match="line 2"):
        cm.parse_mountinfo(b"22 1 252:1 / / rw - ext4 a rw\nbroken\n")
