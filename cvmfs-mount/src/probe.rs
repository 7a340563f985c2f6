//! Health probes with a hard timeout per repository, run in parallel. A probe that never
//! returns (a hung FUSE server) is abandoned on its thread: the caller never blocks past
//! the timeout.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use cvmfs_core::{Fqrn, MountTable};
use nix::errno::Errno;
use serde::{Deserialize, Serialize};

use crate::error::MountError;
use crate::health::Health;
use crate::mount_table::{TableText, path_bytes};
use crate::sys::MountOps;

/// What a probe expects at a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "expect", rename_all = "kebab-case")]
pub enum Expectation {
    /// A client-shaped mount of this repository.
    Repository {
        /// The repository.
        fqrn: Fqrn,
    },
    /// Any mount that answers (a bind of a plain directory or of a whole root).
    Mountpoint,
}

/// One probe request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The mountpoint.
    pub path: PathBuf,
    /// What should be there.
    pub expect: Expectation,
}

/// The result of probing one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The mountpoint.
    pub path: PathBuf,
    /// What was expected.
    pub expect: Expectation,
    /// What was found.
    pub health: Health,
    /// The device minor of the mount, when mounted (names its FUSE connection).
    pub minor: Option<u32>,
    /// How long the probe took, in microseconds.
    pub elapsed_us: u64,
    /// What the mount says serves it (`user.version`), when it answered as a repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
}

impl ProbeResult {
    /// Whether the mount is served by the snapshot stand-in, not the CVMFS client.
    pub fn is_stand_in(&self) -> bool {
        self.server_version
            .as_deref()
            .is_some_and(crate::directory_server::is_stand_in_version)
    }
}

/// What the mount table says about a target before anything touches the mount.
enum TableVerdict {
    Decided(Health, Option<u32>),
    AskServer(Option<u32>),
}

fn from_table(table: &MountTable<'_>, target: &ProbeTarget) -> TableVerdict {
    let Some(mount) = table.visible_at(path_bytes(&target.path)) else {
        return TableVerdict::Decided(Health::NotMounted, None);
    };
    let minor = Some(mount.minor);
    match &target.expect {
        Expectation::Repository { .. } if !mount.is_client_mount() => TableVerdict::Decided(
            Health::WrongFilesystem {
                fs_type: String::from_utf8_lossy(&mount.fs_type).into_owned(),
                source: String::from_utf8_lossy(&mount.source).into_owned(),
            },
            minor,
        ),
        _ => TableVerdict::AskServer(minor),
    }
}

/// Errors from a mount's own root that mean "the server behind this mount is gone",
/// rather than "this is not a client mount". The set is Kubernetes mount-utils'
/// corrupted-mount list less two members, left out on purpose: EWOULDBLOCK, because a
/// FUSE server that answers EAGAIN is alive (calling it dead would detach a working
/// mount), and ENODEV, which a FUSE mount never returns for a lost connection (its
/// errors are ENOTCONN, or ECONNABORTED after an abort, counted here too).
pub const CORRUPTED_MOUNT_ERRNOS: [Errno; 6] = [
    Errno::ENOTCONN,
    Errno::ECONNABORTED,
    Errno::ESTALE,
    Errno::EIO,
    Errno::EACCES,
    Errno::EHOSTDOWN,
];

fn corrupted(errno: Errno) -> bool {
    CORRUPTED_MOUNT_ERRNOS.contains(&errno)
}

/// Asks the mount itself; may block forever on a hung server (run it on its own thread).
/// Returns the health and, for a repository that answered, its `user.version`.
fn ask_server(ops: &dyn MountOps, target: &ProbeTarget) -> (Health, Option<String>) {
    let path = target.path.as_path();
    let text = |name: &str| {
        ops.getxattr(path, name)
            .ok()
            .map(|v| String::from_utf8_lossy(&v).trim().to_owned())
    };
    let health = health_of(ops, target);
    let version = match health {
        Health::Healthy { .. } | Health::Degraded { .. }
            if matches!(target.expect, Expectation::Repository { .. }) =>
        {
            text("user.version")
        }
        _ => None,
    };
    (health, version)
}

/// The health the mount answers; may block forever on a hung server.
fn health_of(ops: &dyn MountOps, target: &ProbeTarget) -> Health {
    let path = target.path.as_path();
    match &target.expect {
        Expectation::Mountpoint => match ops.statfs_magic(path) {
            Ok(_) => Health::Healthy {
                revision: None,
                pid: None,
            },
            Err(errno) => Health::Dead {
                error: errno.desc().to_owned(),
            },
        },
        Expectation::Repository { fqrn } => match ops.getxattr(path, "user.fqrn") {
            Err(errno) if corrupted(errno) => Health::Dead {
                error: format!("{} ({})", errno.desc(), errno as i32),
            },
            Err(errno) => Health::WrongFilesystem {
                fs_type: "fuse".to_owned(),
                source: format!("no client attributes: {}", errno.desc()),
            },
            Ok(found) if found != fqrn.as_str().as_bytes() => Health::WrongRepository {
                found: String::from_utf8_lossy(&found).into_owned(),
            },
            Ok(_) => {
                let text = |name: &str| {
                    ops.getxattr(path, name)
                        .ok()
                        .map(|v| String::from_utf8_lossy(&v).trim().to_owned())
                };
                let revision = text("user.revision");
                let pid = text("user.pid").and_then(|p| p.parse().ok());
                match text("user.nioerr").and_then(|n| n.parse::<u64>().ok()) {
                    Some(io_errors) if io_errors > 0 => Health::Degraded {
                        io_errors,
                        revision,
                    },
                    _ => Health::Healthy { revision, pid },
                }
            }
        },
    }
}

/// Probes every target in parallel; each gets at most `timeout` (the whole call returns
/// within about `timeout` even when servers hang).
pub fn probe_all(
    ops: &Arc<dyn MountOps>,
    targets: &[ProbeTarget],
    timeout: Duration,
) -> Result<Vec<ProbeResult>, MountError> {
    let start = Instant::now();
    let mut text = TableText::read(ops.as_ref())?;
    let table = text.parse()?;
    let deadline = start + timeout;
    let mut pending = Vec::with_capacity(targets.len());
    for target in targets {
        match from_table(&table, target) {
            TableVerdict::Decided(health, minor) => {
                pending.push((target, minor, Err((health, None))));
            }
            TableVerdict::AskServer(minor) => {
                let (sender, receiver) = mpsc::channel();
                let ops = Arc::clone(ops);
                let job = target.clone();
                thread::Builder::new()
                    .name("cvmfs-probe".to_owned())
                    .spawn(move || {
                        let started = Instant::now();
                        let answer = ask_server(ops.as_ref(), &job);
                        // The receiver is gone when the probe timed out: nothing to do.
                        let _ = sender.send((answer, started.elapsed()));
                    })
                    .map_err(|source| MountError::Spawn {
                        program: PathBuf::from("probe thread"),
                        source,
                    })?;
                pending.push((target, minor, Ok(receiver)));
            }
        }
    }
    let base = start.elapsed();
    Ok(pending
        .into_iter()
        .map(|(target, minor, outcome)| {
            let ((health, server_version), elapsed) = match outcome {
                Err(decided) => (decided, base),
                Ok(receiver) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match receiver.recv_timeout(left) {
                        Ok((answer, took)) => (answer, base + took),
                        Err(_) => (
                            (
                                Health::Hung {
                                    after_ms: u64::try_from(timeout.as_millis())
                                        .unwrap_or(u64::MAX),
                                },
                                None,
                            ),
                            timeout,
                        ),
                    }
                }
            };
            ProbeResult {
                path: target.path.clone(),
                expect: target.expect.clone(),
                health,
                minor,
                elapsed_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
                server_version,
            }
        })
        .collect())
}

/// Probes one target.
pub fn probe_one(
    ops: &Arc<dyn MountOps>,
    path: &Path,
    expect: Expectation,
    timeout: Duration,
) -> Result<ProbeResult, MountError> {
    let target = ProbeTarget {
        path: path.to_owned(),
        expect,
    };
    let mut results = probe_all(ops, std::slice::from_ref(&target), timeout)?;
    results.pop().ok_or(MountError::NotInPlan {
        target: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{FakeHealth, FakeOps};

    fn repo(name: &str) -> Expectation {
        Expectation::Repository {
            fqrn: Fqrn::parse(name).unwrap(),
        }
    }

    fn target(path: &str, name: &str) -> ProbeTarget {
        ProbeTarget {
            path: PathBuf::from(path),
            expect: repo(name),
        }
    }

    #[test]
    fn classifies_every_state() {
        let fake = Arc::new(FakeOps::new());
        fake.add_client_mount("/cvmfs/a.cern.ch", "a.cern.ch");
        fake.add_client_mount("/cvmfs/b.cern.ch", "b.cern.ch");
        fake.set_health("/cvmfs/b.cern.ch", FakeHealth::Dead);
        fake.add_client_mount("/cvmfs/c.cern.ch", "other.cern.ch");
        fake.add_client_mount("/cvmfs/d.cern.ch", "d.cern.ch");
        fake.set_health(
            "/cvmfs/d.cern.ch",
            FakeHealth::Serving {
                fqrn: "d.cern.ch".into(),
                io_errors: 3,
                version: "2.12.7.0".into(),
            },
        );
        fake.add_shared_dir("/cvmfs/e.cern.ch");
        fake.add_dir("/cvmfs/f.cern.ch");
        let ops: Arc<dyn MountOps> = fake;
        let targets: Vec<ProbeTarget> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|n| target(&format!("/cvmfs/{n}.cern.ch"), &format!("{n}.cern.ch")))
            .collect();
        let results = probe_all(&ops, &targets, Duration::from_secs(2)).unwrap();
        let health: Vec<&Health> = results.iter().map(|r| &r.health).collect();
        assert!(
            matches!(health[0], Health::Healthy { revision: Some(r), pid: Some(4242) } if r == "7")
        );
        assert!(matches!(health[1], Health::Dead { .. }));
        assert!(matches!(health[2], Health::WrongRepository { found } if found == "other.cern.ch"));
        assert!(matches!(health[3], Health::Degraded { io_errors: 3, .. }));
        assert!(matches!(health[4], Health::WrongFilesystem { fs_type, .. } if fs_type == "tmpfs"));
        assert_eq!(health[5], &Health::NotMounted);
    }

    #[test]
    fn a_hung_server_cannot_block_the_caller() {
        let fake = Arc::new(FakeOps::new());
        fake.add_client_mount("/cvmfs/a.cern.ch", "a.cern.ch");
        fake.add_client_mount("/cvmfs/h.cern.ch", "h.cern.ch");
        fake.set_health(
            "/cvmfs/h.cern.ch",
            FakeHealth::Hung(Duration::from_secs(30)),
        );
        let ops: Arc<dyn MountOps> = fake;
        let started = Instant::now();
        let results = probe_all(
            &ops,
            &[
                target("/cvmfs/a.cern.ch", "a.cern.ch"),
                target("/cvmfs/h.cern.ch", "h.cern.ch"),
            ],
            Duration::from_millis(200),
        )
        .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(results[0].health.is_healthy());
        assert_eq!(results[1].health, Health::Hung { after_ms: 200 });
    }
}
