import os
import pathlib

import pytest

import cvmfs_mount

pytest_plugins = ["pytester"]

DATA = pathlib.Path(__file__).parent / "data"


def skip_unless_required(reason):
    """Skips with `reason`, or fails where CVMFS_REQUIRE_PRIVILEGED=1 (CI) forbids skips."""
    if os.environ.get("CVMFS_REQUIRE_PRIVILEGED") == "1":
        pytest.fail(f"required here (CVMFS_REQUIRE_PRIVILEGED=1), cannot run: {reason}")
    pytest.skip(reason)


def require_mounting():
    """Tests that mount run only where this process can mount; CI requires it."""
    if not cvmfs_mount.can_mount():
        skip_unless_required("needs root (or CAP_SYS_ADMIN) and a usable /dev/fuse")
