from contextlib import AbstractContextManager
from os import PathLike
from pathlib import Path
from typing import Mapping, Optional, Union

__version__: str

class CvmfsError(Exception): ...
class InvalidInputError(CvmfsError): ...
class MountFailedError(CvmfsError): ...
class ProbeTimeoutError(CvmfsError): ...
class PermissionDeniedError(CvmfsError): ...

class Fqrn:
    def __init__(self, name: str, default_domain: str = "cern.ch") -> None: ...
    @property
    def org(self) -> str: ...
    @property
    def domain(self) -> str: ...

class ParsedSelection:
    kind: str
    repositories: list[str]
    warnings: list[str]
    def __len__(self) -> int: ...

def parse_selection(text: Optional[str] = None, profile: str = "cms") -> ParsedSelection: ...

class Step:
    action: str
    target: str
    detail: str

class MountPlan:
    def __init__(
        self,
        selection: Optional[str] = None,
        backend: Optional[str] = None,
        source: Optional[str] = None,
        shared_dir: Optional[str] = None,
        root: str = "/cvmfs",
        read_only: bool = False,
        propagation: Optional[str] = None,
        plain_source: bool = False,
        profile: str = "cms",
    ) -> None: ...
    @staticmethod
    def from_json(text: str) -> MountPlan: ...
    def to_json(self) -> str: ...
    def validate(self) -> None: ...
    @property
    def steps(self) -> list[Step]: ...
    @property
    def targets(self) -> list[str]: ...
    @property
    def unmount_order(self) -> list[str]: ...
    @property
    def repositories(self) -> list[str]: ...
    @property
    def root(self) -> str: ...

class RemapPlan:
    user: str
    uid: tuple[int, int]
    gid: tuple[int, int]
    passwd: str
    group: str
    notices: list[str]

def remap_ids(
    passwd: str,
    group: str,
    my_uid: Optional[str] = None,
    my_gid: Optional[str] = None,
    user: Optional[str] = None,
    allow_root: bool = False,
) -> RemapPlan: ...
def environment(selection: Optional[str] = None, shell: str = "bash", root: str = "/cvmfs", el: str = "el7") -> str: ...

class EffectiveConfig:
    values: dict[str, tuple[str, str]]
    diagnostics: list[str]
    def show(self) -> str: ...

def resolve_config(
    fqrn: str, files: Mapping[str, str], config_dir: str = "/etc/cvmfs", mount_dir: str = "/cvmfs"
) -> EffectiveConfig: ...

class MountEntry:
    mount_id: int
    parent_id: int
    minor: int
    mount_point: str
    fs_type: str
    source: str
    propagation: str
    is_client_mount: bool

def parse_mountinfo(text: bytes) -> list[MountEntry]: ...

class EntryResult:
    target: str
    repository: Optional[str]
    outcome: str
    error: Optional[str]
    actions: list[str]
    warnings: list[str]
    @property
    def ok(self) -> bool: ...

class ProbeResult:
    path: str
    state: str
    detail: str
    revision: Optional[str]
    pid: Optional[int]
    elapsed_ms: float
    @property
    def healthy(self) -> bool: ...

def mount(
    plan: MountPlan,
    probe_timeout_ms: int = 2000,
    helper: Optional[str] = None,
    config_dir: Optional[str] = None,
) -> list[EntryResult]: ...
def unmount(plan: MountPlan, probe_timeout_ms: int = 2000) -> list[EntryResult]: ...
def repair(
    plan: MountPlan,
    probe_timeout_ms: int = 2000,
    helper: Optional[str] = None,
    config_dir: Optional[str] = None,
) -> list[EntryResult]: ...
def probe(plan: MountPlan, timeout_ms: int = 2000) -> list[ProbeResult]: ...
def check(plan: MountPlan, timeout_ms: int = 2000) -> list[ProbeResult]: ...

class SnapshotServer:
    target: str
    def unmount(self) -> None: ...

def serve(source: str, target: str, fqrn: str, revision: str = "1") -> SnapshotServer: ...
def run_server(args: list[str]) -> int: ...
def enter_user_namespace() -> None: ...
def can_mount() -> bool: ...
def mounted(plan: MountPlan, **options: object) -> AbstractContextManager[list[EntryResult]]: ...
def snapshot(
    repositories: Mapping[str, Union[str, PathLike[str]]],
    root: Union[str, PathLike[str], None] = None,
    user_namespace: bool = True,
) -> AbstractContextManager[Path]: ...

class RepositoryRefusedError(CvmfsError): ...

class RepoEntry:
    path: str
    kind: str
    mode: int
    size: int
    mtime: int
    uid: int
    gid: int
    nlink: int
    inode: int
    target: Optional[str]
    hash: Optional[str]
    chunks: Optional[int]
    xattrs: dict[str, bytes]

class Repository:
    """A served repository, opened only after its signatures, whitelist and root catalog
    verified; every object read is checked against its hash."""

    revision: int
    root_hash: str
    offline: Optional[str]
    """Why the repository was opened from the cache (no server answered), or None."""
    def __init__(
        self,
        source: str,
        fqrn: Optional[str] = None,
        keys: list[str] = ...,
        keys_dir: Optional[str] = None,
        tag: Optional[str] = None,
        now: Optional[int] = None,
        date: Optional[int] = None,
        cache_dir: Optional[str] = None,
    ) -> None: ...
    def stat(self, path: str) -> RepoEntry: ...
    def ls(self, path: str = "/") -> list[RepoEntry]: ...
    def read(self, path: str) -> bytes: ...
    def tags(self) -> list[tuple[str, int, str, str]]: ...

def resolve_image(
    spec: str,
    repository_root: str = "/cvmfs/unpacked.cern.ch",
    timeout: float = 30.0,
) -> dict:
    """Resolves a DUCC image specification (``*`` allowed in the tag) in the repository at
    ``repository_root``: pattern, images (public_path, link, canonical_path, config_digest,
    updated, manifest, layers, notes, environment), unresolved, published_tags,
    glob_differs. Raises InvalidInputError for a specification DUCC would misread,
    FileNotFoundError when the image or repository is not there, ProbeTimeoutError when
    the mount hangs."""

def image_command(
    spec: str,
    runtime: str = "podman",
    command: list[str] = ...,
    repository_root: str = "/cvmfs/unpacked.cern.ch",
    runtime_args: list[str] = ...,
    timeout: float = 30.0,
) -> list[str]:
    """The argument vector that runs one image: podman with the resolved flat path as an
    ``:O`` root filesystem and the image's environment, apptainer or singularity with the
    public path and the mount root bound. ``docker`` raises InvalidInputError naming the
    alternatives."""

def cache_info(cache_dir: str) -> dict:
    """What the cache holds: base, exists, quota_bytes, used_bytes, objects, pinned,
    transactions, repositories (fqrn, revision, root_catalog, accepted_at)."""

def evict_cache(cache_dir: str, to_mb: int = 0) -> dict:
    """Evicts least recently used objects until at most ``to_mb`` MiB remain (0: wipe;
    pinned catalogs and remembered revisions stay): evicted, freed_bytes, used_bytes,
    kept_pinned."""
