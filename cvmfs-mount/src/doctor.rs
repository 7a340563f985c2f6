//! Inspecting the host and recommending the backend that will work: facts are gathered
//! once ([`HostReport::gather`]) and judged by a pure function ([`recommend`]).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cvmfs_core::{BackendKind, Fqrn};
use serde::{Deserialize, Serialize};

use cvmfs_core::plan::AUTOMOUNTER_SHARED_DIRS;

use crate::host_facts::{CLIENT_PATH, FactRequest, HELPER_PATHS, HostFacts};
use crate::mount_table::TableText;
use crate::probe::{Expectation, ProbeTarget, probe_all};
use crate::sys::{MountOps, PathKind};

/// A mount found under the mount root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundMount {
    /// Where.
    pub path: PathBuf,
    /// Filesystem type.
    pub fs_type: String,
    /// Source.
    pub source: String,
    /// Propagation as the mount table shows it.
    pub propagation: String,
    /// What the mount says serves it (`user.version`), when it answered in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
}

impl FoundMount {
    /// Whether the mount table shows the client's shape (`fuse`, source `cvmfs2`).
    fn looks_like_client(&self) -> bool {
        self.fs_type == "fuse" && self.source == "cvmfs2"
    }

    /// Whether the snapshot stand-in serves it (it marks itself in `user.version`).
    pub fn is_stand_in(&self) -> bool {
        self.served_by
            .as_deref()
            .is_some_and(crate::directory_server::is_stand_in_version)
    }
}

/// An automounter's shared directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDir {
    /// The directory.
    pub path: PathBuf,
    /// Whether the mount it is on is shared (later mounts arrive).
    pub shared: bool,
    /// Client mounts already below it.
    pub repositories: usize,
}

/// What was found on the host: its facts, and the mounts under the mount root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostReport {
    /// The host's facts.
    #[serde(flatten)]
    pub facts: HostFacts,
    /// The client's mount helper is installed.
    pub helper_installed: bool,
    /// The client binary is installed.
    pub client_installed: bool,
    /// The mount root exists.
    pub root_exists: bool,
    /// The mount root itself is a mountpoint of this type (autofs on client hosts).
    pub root_mount: Option<FoundMount>,
    /// Mounts below the mount root.
    pub repositories: Vec<FoundMount>,
    /// Automounter directories that exist.
    pub shared_dirs: Vec<SharedDir>,
    /// What makes the mount root bindable with `rslave` (Docker and podman refuse a
    /// root on a private mount), when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_propagation_fix: Option<PropagationFix>,
}

/// One backend judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The backend.
    pub backend: BackendKind,
    /// Whether it will work here.
    pub works: bool,
    /// Why (or why not).
    pub reason: String,
}

fn propagation_text(mount: &cvmfs_core::MountInfo<'_>) -> String {
    format!("{:?}", mount.propagation()).to_lowercase()
}

impl HostReport {
    /// Looks at the host through `ops`: its facts (with the client's programs), the
    /// mount table under `root` and the automounter directories.
    pub fn gather(ops: &dyn MountOps, root: &Path) -> Self {
        let mut executables: Vec<PathBuf> = HELPER_PATHS.iter().map(PathBuf::from).collect();
        executables.push(PathBuf::from(CLIENT_PATH));
        let facts = ops.host_facts(&FactRequest {
            executables,
            users: Vec::new(),
        });
        let mut report = Self {
            helper_installed: HELPER_PATHS.iter().any(|p| facts.executable(Path::new(p))),
            client_installed: facts.executable(Path::new(CLIENT_PATH)),
            root_exists: ops.lstat(root) == Ok(PathKind::Directory),
            root_propagation_fix: (ops.lstat(root) == Ok(PathKind::Directory))
                .then(|| rslave_source_fix(ops, root))
                .flatten(),
            facts,
            ..Self::default()
        };
        if let Ok(mut text) = TableText::read(ops)
            && let Ok(table) = text.parse()
        {
            let found = |m: &cvmfs_core::MountInfo<'_>| FoundMount {
                path: m.mount_point_path().to_owned(),
                fs_type: String::from_utf8_lossy(&m.fs_type).into_owned(),
                source: String::from_utf8_lossy(&m.source).into_owned(),
                propagation: propagation_text(m),
                served_by: None,
            };
            let root_bytes = root.as_os_str().as_bytes();
            report.root_mount = table.visible_at(root_bytes).map(found);
            report.repositories = table
                .mounts_under(root_bytes)
                .into_iter()
                .filter(|m| &*m.mount_point != root_bytes)
                .map(found)
                .collect();
            for dir in AUTOMOUNTER_SHARED_DIRS {
                let path = Path::new(dir);
                if ops.lstat(path) == Ok(PathKind::Directory) {
                    let bytes = path.as_os_str().as_bytes();
                    report.shared_dirs.push(SharedDir {
                        path: path.to_owned(),
                        shared: table
                            .serving(bytes)
                            .is_some_and(|m| m.propagation().carries_events()),
                        repositories: table
                            .mounts_under(bytes)
                            .iter()
                            .filter(|m| m.is_client_mount())
                            .count(),
                    });
                }
            }
        }
        report
    }

    /// Asks each client-shaped mount found under the root what serves it, each within
    /// `timeout` (a hung mount stays unidentified), so that the snapshot stand-in's
    /// mounts are not taken for the client's.
    pub fn identify_servers(&mut self, ops: &Arc<dyn MountOps>, timeout: Duration) {
        let mut asked = Vec::new();
        let mut targets = Vec::new();
        for (index, mount) in self.repositories.iter().enumerate() {
            let name = mount.path.file_name().and_then(|n| n.to_str());
            if let Some(fqrn) = name.and_then(|n| Fqrn::parse(n).ok())
                && mount.looks_like_client()
            {
                asked.push(index);
                targets.push(ProbeTarget {
                    path: mount.path.clone(),
                    expect: Expectation::Repository { fqrn },
                });
            }
        }
        if let Ok(results) = probe_all(ops, &targets, timeout) {
            for (index, result) in asked.into_iter().zip(results) {
                self.repositories[index].served_by = result.server_version;
            }
        }
    }
}

/// Ranks the five backends for this host: those that will work first, each with the
/// reason; the others with what they lack.
pub fn recommend(host: &HostReport) -> Vec<Recommendation> {
    let can_mount = host.facts.can_mount();
    let fuse = host.facts.dev_fuse_usable;
    let client_mounts = host
        .repositories
        .iter()
        .filter(|m| m.looks_like_client() && !m.is_stand_in())
        .count();
    let stand_ins = host.repositories.iter().filter(|m| m.is_stand_in()).count();
    let autofs_root = host
        .root_mount
        .as_ref()
        .is_some_and(|m| m.fs_type == "autofs");
    let mut ranked = Vec::new();
    let host_bind = if client_mounts > 0 || autofs_root {
        (
            true,
            format!(
                "the host's repositories are visible here ({client_mounts} client mounts{}): bind them with rslave propagation{}",
                if autofs_root { ", autofs root" } else { "" },
                host.root_propagation_fix
                    .as_ref()
                    .map(|fix| format!(", after running on the host: {}", fix.command))
                    .unwrap_or_default()
            ),
        )
    } else {
        (
            false,
            format!(
                "no client mounts or autofs under the mount root to bind from{} (run the container with -v /cvmfs:/cvmfs:rslave)",
                if stand_ins > 0 {
                    format!("; {stand_ins} snapshot stand-in mounts are not the client's")
                } else {
                    String::new()
                }
            ),
        )
    };
    let shared = host.shared_dirs.iter().find(|d| d.shared);
    let automounter = match shared {
        Some(dir) => (true, format!("{} is shared by an automounter ({} repositories so far)", dir.path.display(), dir.repositories)),
        None if !host.shared_dirs.is_empty() => (false, "the automounter's directory exists but is not shared: bind it with :rslave from a directory the automounter shares :rshared".to_owned()),
        None => (false, format!("no automounter directory ({})", AUTOMOUNTER_SHARED_DIRS.join(" or "))),
    };
    let helper = match (
        host.helper_installed && host.client_installed,
        can_mount,
        fuse,
    ) {
        (true, true, true) => (
            true,
            "the CVMFS client is installed and can mount here".to_owned(),
        ),
        (false, _, _) => (
            false,
            "the CVMFS client (mount.cvmfs, cvmfs2) is not installed".to_owned(),
        ),
        (true, false, _) => (
            false,
            "mounting needs root or CAP_SYS_ADMIN (--cap-add SYS_ADMIN)".to_owned(),
        ),
        (true, true, false) => (
            false,
            "/dev/fuse is missing or not usable (--device /dev/fuse)".to_owned(),
        ),
    };
    let native = match (fuse, can_mount, host.facts.user_namespaces) {
        (true, true, _) => (
            true,
            "FUSE works here: our own client mounts the live repositories (servers and keys from /etc/cvmfs or the built-in defaults; no CVMFS client needed)".to_owned(),
        ),
        (true, false, true) => (
            true,
            "FUSE works in a user namespace here: our own client mounts the live repositories there, its cache under $XDG_CACHE_HOME".to_owned(),
        ),
        (false, _, _) if host.facts.dev_fuse.is_none() => (
            false,
            "/dev/fuse does not exist (docker run --device /dev/fuse)".to_owned(),
        ),
        (false, _, _) => (
            false,
            "/dev/fuse exists but this user cannot open it (run as root, or give the container --device /dev/fuse)".to_owned(),
        ),
        (true, false, false) => (
            false,
            "mounting needs root or CAP_SYS_ADMIN (--cap-add SYS_ADMIN), and user namespaces are not available".to_owned(),
        ),
    };
    let snapshot = match (fuse, can_mount || host.facts.user_namespaces) {
        (true, true) => (
            true,
            "FUSE works here: serves local snapshot directories (not the live repositories)"
                .to_owned(),
        ),
        (false, _) => (
            false,
            "/dev/fuse is missing or not usable (--device /dev/fuse)".to_owned(),
        ),
        (true, false) => (
            false,
            "needs root, CAP_SYS_ADMIN or user namespaces".to_owned(),
        ),
    };
    // Our own client before the automounter (which serves containers without FUSE) and
    // before an installed client's helper (kept for --backend cvmfs2-helper).
    for (backend, (works, reason)) in [
        (BackendKind::HostBind, host_bind),
        (BackendKind::Native, native),
        (BackendKind::AutomounterSlave, automounter),
        (BackendKind::Cvmfs2Helper, helper),
        (BackendKind::Snapshot, snapshot),
    ] {
        ranked.push(Recommendation {
            backend,
            works,
            reason,
        });
    }
    // Stable: working backends first, in the order of preference above.
    ranked.sort_by_key(|r| !r.works);
    ranked
}

/// The backend used when none is asked for: the best working backend of [`recommend`]
/// that needs no source directory (host-bind and snapshot read one, so they are only
/// ever chosen explicitly), else the client's mount helper, whose preflight then says
/// what the host lacks. The snapshot stand-in is never a default.
pub fn default_backend(host: &HostReport) -> BackendKind {
    recommend(host)
        .into_iter()
        .find(|r| r.works && !r.backend.reads_source())
        .map_or(BackendKind::Cvmfs2Helper, |r| r.backend)
}

/// Why a container engine would refuse an `rslave` bind from a directory, and the
/// command that fixes it: Docker and podman accept one only from a mount that is shared
/// or a slave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropagationFix {
    /// The directory to bind.
    pub dir: PathBuf,
    /// The mount it is on.
    pub mount_point: PathBuf,
    /// What to run on the host.
    pub command: String,
}

impl std::fmt::Display for PropagationFix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is on the mount {}, which is not shared: the engine refuses a propagating bind from it (\"not a shared or slave mount\", \"not a shared mount\"); on the host run: {}",
            self.dir.display(),
            self.mount_point.display(),
            self.command
        )
    }
}

/// What must change before `dir` can be bound with `rslave` propagation; `None` when the
/// mount it is on is already shared or a slave (or the mount table cannot be read).
pub fn rslave_source_fix(ops: &dyn MountOps, dir: &Path) -> Option<PropagationFix> {
    propagation_fix(ops, dir, false)
}

/// What must change before `dir` can be bound with `rshared` propagation (an
/// automounter publishing into it): the mount it is on must be shared.
pub fn rshared_source_fix(ops: &dyn MountOps, dir: &Path) -> Option<PropagationFix> {
    propagation_fix(ops, dir, true)
}

fn propagation_fix(ops: &dyn MountOps, dir: &Path, need_shared: bool) -> Option<PropagationFix> {
    let mut text = TableText::read(ops).ok()?;
    let table = text.parse().ok()?;
    let mount = table.serving(dir.as_os_str().as_bytes())?;
    let propagation = mount.propagation();
    if propagation.carries_events() || (!need_shared && propagation.receives_events()) {
        return None;
    }
    let mount_point = mount.mount_point_path().to_owned();
    Some(PropagationFix {
        dir: dir.to_owned(),
        command: format!("mount --make-rshared {}", mount_point.display()),
        mount_point,
    })
}

/// [`default_backend`] for the host `ops` looks at, with `root` as the mount root: what
/// the command line and the bindings use when no backend is named.
pub fn default_backend_on(ops: &dyn MountOps, root: &Path) -> BackendKind {
    default_backend(&HostReport::gather(ops, root))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(path: &str, fs_type: &str, source: &str) -> FoundMount {
        FoundMount {
            path: PathBuf::from(path),
            fs_type: fs_type.to_owned(),
            source: source.to_owned(),
            propagation: "slave".to_owned(),
            served_by: None,
        }
    }

    #[test]
    fn a_bare_container_gets_the_native_client_only_when_fuse_works() {
        let host = HostReport::default();
        let ranked = recommend(&host);
        assert!(ranked.iter().all(|r| !r.works));
        for backend in [BackendKind::Native, BackendKind::Snapshot] {
            assert!(
                ranked
                    .iter()
                    .find(|r| r.backend == backend)
                    .unwrap()
                    .reason
                    .contains("--device /dev/fuse")
            );
        }
        let fuse = HostReport {
            facts: HostFacts {
                dev_fuse_usable: true,
                cap_sys_admin: true,
                ..HostFacts::default()
            },
            ..HostReport::default()
        };
        assert_eq!(recommend(&fuse)[0].backend, BackendKind::Native);
        assert_eq!(default_backend(&fuse), BackendKind::Native);
        // Without the right to mount, a user namespace still lets it work.
        let userns = HostReport {
            facts: HostFacts {
                dev_fuse_usable: true,
                user_namespaces: true,
                ..HostFacts::default()
            },
            ..HostReport::default()
        };
        assert!(recommend(&userns)[0].reason.contains("user namespace"));
        let neither = HostReport {
            facts: HostFacts {
                dev_fuse_usable: true,
                ..HostFacts::default()
            },
            ..HostReport::default()
        };
        let native = recommend(&neither)
            .into_iter()
            .find(|r| r.backend == BackendKind::Native)
            .unwrap();
        assert!(
            !native.works && native.reason.contains("CAP_SYS_ADMIN"),
            "{native:?}"
        );
    }

    #[test]
    fn host_mounts_rank_host_bind_first() {
        let host = HostReport {
            facts: HostFacts {
                is_root: true,
                dev_fuse_usable: true,
                ..HostFacts::default()
            },
            helper_installed: true,
            client_installed: true,
            repositories: vec![mount("/cvmfs/cms.cern.ch", "fuse", "cvmfs2")],
            ..HostReport::default()
        };
        let ranked = recommend(&host);
        let names: Vec<&str> = ranked.iter().map(|r| r.backend.name()).collect();
        assert_eq!(
            names,
            [
                "host-bind",
                "native",
                "cvmfs2-helper",
                "snapshot",
                "automounter-slave"
            ]
        );
        assert!(ranked[4].reason.contains("no automounter directory"));
    }

    #[test]
    fn the_default_backend_never_needs_a_source_and_is_never_the_stand_in() {
        let fuse_only = HostReport {
            facts: HostFacts {
                is_root: true,
                dev_fuse_usable: true,
                ..HostFacts::default()
            },
            ..HostReport::default()
        };
        // FUSE works: our own client is the default.
        assert_eq!(recommend(&fuse_only)[0].backend, BackendKind::Native);
        assert_eq!(default_backend(&fuse_only), BackendKind::Native);
        // Without FUSE nothing works: the default stays the client's helper, whose
        // preflight says what is missing.
        let nothing = HostReport::default();
        assert_eq!(default_backend(&nothing), BackendKind::Cvmfs2Helper);
        let client_host = HostReport {
            helper_installed: true,
            client_installed: true,
            repositories: vec![mount("/cvmfs/cms.cern.ch", "fuse", "cvmfs2")],
            ..fuse_only.clone()
        };
        // host-bind ranks first but reads --source: our own client is the default.
        assert_eq!(recommend(&client_host)[0].backend, BackendKind::HostBind);
        assert_eq!(default_backend(&client_host), BackendKind::Native);
        // An automounter serves containers without FUSE.
        let automounter = HostReport {
            shared_dirs: vec![SharedDir {
                path: PathBuf::from("/cvmfsmounts/cvmfs"),
                shared: true,
                repositories: 2,
            }],
            ..HostReport::default()
        };
        assert_eq!(default_backend(&automounter), BackendKind::AutomounterSlave);
    }

    #[test]
    fn stand_in_mounts_are_not_taken_for_the_clients() {
        let fake = Arc::new(crate::sys::FakeOps::new());
        fake.add_dir("/cvmfs");
        fake.add_stand_in_mount("/cvmfs/cms.cern.ch", "cms.cern.ch");
        let ops: Arc<dyn MountOps> = fake.clone();
        let mut host = HostReport::gather(ops.as_ref(), Path::new("/cvmfs"));
        // The mount table alone cannot tell: the stand-in has the client's shape.
        assert!(host.repositories[0].looks_like_client());
        host.identify_servers(&ops, Duration::from_secs(2));
        assert!(host.repositories[0].is_stand_in(), "{host:?}");
        let host_bind = recommend(&host)
            .into_iter()
            .find(|r| r.backend == BackendKind::HostBind)
            .unwrap();
        assert!(!host_bind.works);
        assert!(
            host_bind
                .reason
                .contains("1 snapshot stand-in mounts are not the client's")
        );
        // A client mount beside it is counted.
        fake.add_client_mount("/cvmfs/sft.cern.ch", "sft.cern.ch");
        let mut host = HostReport::gather(ops.as_ref(), Path::new("/cvmfs"));
        host.identify_servers(&ops, Duration::from_secs(2));
        let mut seen: Vec<(String, bool)> = host
            .repositories
            .iter()
            .map(|m| (m.path.display().to_string(), m.is_stand_in()))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("/cvmfs/cms.cern.ch".to_owned(), true),
                ("/cvmfs/sft.cern.ch".to_owned(), false)
            ]
        );
        assert!(recommend(&host)[0].reason.contains("1 client mounts"));
    }

    #[test]
    fn a_private_bind_source_gets_the_command_that_fixes_it() {
        let fake = crate::sys::FakeOps::new();
        fake.add_dir("/srv/cvmfs");
        fake.add_shared_dir("/shared-mounts");
        fake.add_dir("/shared-mounts/cvmfs");
        let fix = rslave_source_fix(&fake, Path::new("/srv/cvmfs")).unwrap();
        assert_eq!(fix.command, "mount --make-rshared /");
        assert!(fix.to_string().contains("not a shared or slave mount"));
        assert_eq!(
            rslave_source_fix(&fake, Path::new("/shared-mounts/cvmfs")),
            None
        );
    }

    #[test]
    fn an_unshared_automounter_directory_is_explained() {
        let host = HostReport {
            shared_dirs: vec![SharedDir {
                path: PathBuf::from("/cvmfsmounts/cvmfs"),
                shared: false,
                repositories: 0,
            }],
            ..HostReport::default()
        };
        let automounter = recommend(&host)
            .into_iter()
            .find(|r| r.backend == BackendKind::AutomounterSlave)
            .unwrap();
        assert!(!automounter.works && automounter.reason.contains(":rshared"));
    }

    #[test]
    fn gathers_through_the_system_calls() {
        let fake = crate::sys::FakeOps::new();
        fake.add_dir("/cvmfs");
        fake.add_client_mount("/cvmfs/cms.cern.ch", "cms.cern.ch");
        fake.add_shared_dir("/cvmfsmounts/cvmfs");
        let host = HostReport::gather(&fake, Path::new("/cvmfs"));
        assert!(host.root_exists && host.facts.is_root && !host.helper_installed);
        assert_eq!(host.repositories.len(), 1);
        assert_eq!(
            host.repositories[0].path,
            PathBuf::from("/cvmfs/cms.cern.ch")
        );
        assert_eq!(host.shared_dirs.len(), 1);
        assert!(host.shared_dirs[0].shared);
        let ranked = recommend(&host);
        assert_eq!(
            ranked
                .iter()
                .take_while(|r| r.works)
                .map(|r| r.backend)
                .collect::<Vec<_>>(),
            [
                BackendKind::HostBind,
                BackendKind::Native,
                BackendKind::AutomounterSlave,
                BackendKind::Snapshot
            ]
        );
    }
}
