"""The ``cvmfs`` pytest fixture: local directories served as CVMFS repositories.

Configure it per test with a marker::

    @pytest.mark.cvmfs({"cms.cern.ch": "tests/data/cms"})
    def test_setup(cvmfs):
        assert (cvmfs / "cms.cern.ch" / "cmsset_default.sh").exists()

or for the whole suite in the ini file (paths relative to the rootdir)::

    [pytest]
    cvmfs_snapshots =
        cms.cern.ch=tests/data/cms

The fixture yields the mount root. When this machine cannot mount, the test is skipped
with the reason.
"""

from __future__ import annotations

import pathlib

import pytest

from . import PermissionDeniedError, snapshot


def pytest_addoption(parser):
    parser.addini(
        "cvmfs_snapshots",
        "repositories for the cvmfs fixture, one NAME=DIRECTORY per line",
        type="linelist",
        default=[],
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cvmfs(repositories): {name: directory} to serve as CVMFS repositories for the cvmfs fixture",
    )


def _repositories(request) -> dict:
    marker = request.node.get_closest_marker("cvmfs")
    if marker is not None:
        return dict(marker.args[0] if marker.args else marker.kwargs.get("repositories", {}))
    repositories = {}
    for line in request.config.getini("cvmfs_snapshots"):
        name, separator, directory = line.partition("=")
        if not separator:
            raise pytest.UsageError(f"cvmfs_snapshots: {line!r} is not NAME=DIRECTORY")
        repositories[name.strip()] = pathlib.Path(request.config.rootpath, directory.strip())
    return repositories


@pytest.fixture
def cvmfs(request):
    """The mount root with the configured repositories served below it."""
    repositories = _repositories(request)
    if not repositories:
        raise pytest.UsageError("the cvmfs fixture needs @pytest.mark.cvmfs({...}) or cvmfs_snapshots in the ini file")
    manager = snapshot(repositories)
    try:
        root = manager.__enter__()
    except PermissionDeniedError as error:
        pytest.skip(f"cannot mount CVMFS snapshots here: {error}")
    try:
        yield root
    finally:
        manager.__exit__(None, None, None)
