import os
import pathlib

import pytest

import cvmfs_mount

pytest_plugins = ["pytester"]

DATA = pathlib.Path(__file__).parent / "data"


def require_mounting():
    """Tests that mount run only where this process can mount; CI requires it."""
    if cvmfs_mount.can_mount():
        return
    if os.environ.get("CVMFS_REQUIRE_PRIVILEGED") == "1":
        pytest.fail("mounting is required here (CVMFS_REQUIRE_PRIVILEGED=1) but this process cannot mount")
    pytest.skip("needs root (or CAP_SYS_ADMIN) and a usable /dev/fuse")
