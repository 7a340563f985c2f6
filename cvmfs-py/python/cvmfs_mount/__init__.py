"""CernVM-FS repositories for Python test harnesses.

Parsing and planning (``parse_selection``, ``Fqrn``, ``MountPlan``, ``remap_ids``,
``environment``, ``resolve_config``, ``parse_mountinfo``), operations through the mount
engine (``mount``, ``unmount``, ``probe``, ``check``, ``repair``), the ``mounted`` context
manager, and ``snapshot``, which serves local directories as repositories. Images that
DUCC publishes unpacked: ``resolve_image`` and ``image_command``.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import tempfile
from typing import Iterator, Mapping, Union

from .cvmfs_mount import (  # noqa: F401  (re-exported)
    CvmfsError,
    EffectiveConfig,
    EntryResult,
    Fqrn,
    InvalidInputError,
    MountEntry,
    MountFailedError,
    MountPlan,
    ParsedSelection,
    PermissionDeniedError,
    ProbeResult,
    ProbeTimeoutError,
    RemapPlan,
    RepoEntry,
    Repository,
    RepositoryRefusedError,
    SnapshotServer,
    Step,
    __version__,
    cache_info,
    can_mount,
    check,
    enter_user_namespace,
    environment,
    evict_cache,
    image_command,
    mount,
    parse_mountinfo,
    parse_selection,
    probe,
    remap_ids,
    repair,
    resolve_config,
    resolve_image,
    serve,
    unmount,
)

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def mounted(plan: MountPlan, **options) -> Iterator[list]:
    """Mounts ``plan`` for the ``with`` block and always unmounts it afterwards, also when
    the block raises. Raises ``MountFailedError`` (after unmounting what did mount) when
    any repository failed."""
    results = mount(plan, **options)
    try:
        failures = [r for r in results if not r.ok]
        if failures:
            raise MountFailedError("; ".join(f"{r.target}: {r.error}" for r in failures))
        yield results
    finally:
        unmount(plan)


@contextlib.contextmanager
def snapshot(
    repositories: Mapping[str, PathLike],
    root: PathLike | None = None,
    user_namespace: bool = True,
) -> Iterator[pathlib.Path]:
    """Serves each ``{repository: directory}`` read-only through FUSE at
    ``<root>/<repository>`` (a fresh temporary root by default) and yields the root.

    As root this mounts directly. Otherwise, when ``user_namespace`` is true, the process
    moves into a user and mount namespace of its own first (permanently: meant for test
    processes); ``PermissionDeniedError`` says why when neither works.
    """
    served = {}
    for name, directory in repositories.items():
        path = pathlib.Path(directory).resolve()
        if not path.is_dir():
            raise InvalidInputError(f"snapshot of {name}: {directory} is not a directory")
        served[str(Fqrn(name))] = path
    if not can_mount():
        if not user_namespace:
            raise PermissionDeniedError("mounting FUSE needs root or CAP_SYS_ADMIN and a usable /dev/fuse")
        enter_user_namespace()
    temporary = None
    if root is None:
        temporary = tempfile.mkdtemp(prefix="cvmfs-snapshot-")
        root = temporary
    base = pathlib.Path(root)
    servers = []
    try:
        for name, path in served.items():
            target = base / name
            target.mkdir(parents=True, exist_ok=True)
            servers.append(serve(str(path), str(target), name))
        yield base
    finally:
        for server in reversed(servers):
            server.unmount()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


__all__ = [name for name in dir() if not name.startswith("_")]
