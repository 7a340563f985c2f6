//! Making the image repository available before resolving in it: a healthy mount is
//! used as it is; nothing mounted means mounting it with the plan's backend; anything else
//! (hung, dead, another filesystem or repository) is reported and left alone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::MountPlan;

use crate::engine::Engine;
use crate::error::MountError;
use crate::health::Health;
use crate::report::{PlanReport, Status};

/// How the repository came to be available.
#[derive(Debug)]
pub enum Availability {
    /// It was mounted and healthy already.
    AlreadyMounted,
    /// This call mounted it; the report says how.
    MountedNow(PlanReport),
}

/// Why the repository is not available.
#[derive(Debug, thiserror::Error)]
pub enum AvailabilityError {
    /// The plan does not mount the image repository.
    #[error("the plan does not mount {}", path.display())]
    NotInPlan {
        /// The repository's path.
        path: PathBuf,
    },
    /// The mount root did not answer (an automounter that hangs, a dead parent mount).
    #[error("{} did not answer within {} ms", path.display(), after.as_millis())]
    Hung {
        /// The path.
        path: PathBuf,
        /// The deadline.
        after: Duration,
    },
    /// Probing failed.
    #[error("cannot probe {}: {source}", path.display())]
    Probe {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: Box<MountError>,
    },
    /// The thread that touches the mountpoint could not be started.
    #[error("cannot start a thread to look at {}: {source}", path.display())]
    Spawn {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Something is there that cannot be used and is not replaced.
    #[error("{} is {health}; it is left as it is (`cvmfs-cli repair` fixes dead and hung mounts)", path.display())]
    Unusable {
        /// The path.
        path: PathBuf,
        /// What the probe found.
        health: Health,
    },
    /// Mounting failed; the report says how, entry by entry.
    #[error("mounting {} failed: {}", path.display(), report.entries.iter().filter_map(|e| e.error.as_ref().map(|r| r.message.as_str())).collect::<Vec<_>>().join("; "))]
    MountFailed {
        /// The path.
        path: PathBuf,
        /// The engine's report.
        report: PlanReport,
    },
}

/// Touches `path` on a worker thread (an automounter mounts on first access), waiting at
/// most `timeout`; the answer does not matter, only that one came.
fn touch(path: &Path, timeout: Duration) -> Result<(), AvailabilityError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let job = path.to_owned();
    std::thread::Builder::new()
        .name("cvmfs-image-touch".to_owned())
        .spawn(move || {
            let _ = std::fs::symlink_metadata(&job);
            let _ = sender.send(());
        })
        .map_err(|source| AvailabilityError::Spawn {
            path: path.to_owned(),
            source,
        })?;
    receiver
        .recv_timeout(timeout)
        .map_err(|_| AvailabilityError::Hung {
            path: path.to_owned(),
            after: timeout,
        })
}

/// Makes the repository at `target` available: probes the plan (after touching the
/// target, so an automounter gets its chance) and mounts the plan only when nothing is
/// mounted at the target and every other entry (the client's configuration repository)
/// is mounted or free. Healthy mounts are never touched.
pub fn ensure_mounted(
    engine: &Engine,
    plan: &MountPlan,
    target: &Path,
) -> Result<Availability, AvailabilityError> {
    if !plan.entries().iter().any(|e| e.target() == target) {
        return Err(AvailabilityError::NotInPlan {
            path: target.to_owned(),
        });
    }
    touch(target, engine.options().probe_timeout)?;
    let results = engine
        .probe(plan)
        .map_err(|source| AvailabilityError::Probe {
            path: target.to_owned(),
            source: Box::new(source),
        })?;
    let mine = results.iter().find(|r| r.path == target);
    match mine.map(|r| &r.health) {
        Some(Health::Healthy { .. } | Health::Degraded { .. }) => {
            return Ok(Availability::AlreadyMounted);
        }
        Some(Health::NotMounted) | None => {}
        Some(health) => {
            return Err(AvailabilityError::Unusable {
                path: target.to_owned(),
                health: health.clone(),
            });
        }
    }
    if let Some(other) = results.iter().find(|r| {
        !matches!(
            r.health,
            Health::NotMounted | Health::Healthy { .. } | Health::Degraded { .. }
        )
    }) {
        return Err(AvailabilityError::Unusable {
            path: other.path.clone(),
            health: other.health.clone(),
        });
    }
    let report = engine.mount(plan);
    if report.status() == Status::Complete {
        Ok(Availability::MountedNow(report))
    } else {
        Err(AvailabilityError::MountFailed {
            path: target.to_owned(),
            report,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cvmfs_core::{Backend, Catalog, PlanOptions, Selection};

    use super::*;
    use crate::backend::{SnapshotBackend, SnapshotSettings};
    use crate::engine::EngineOptions;
    use crate::sys::{FakeHealth, FakeOps, MountOps, Op};

    const TARGET: &str = "/cvmfs/unpacked.cern.ch";

    fn setup() -> (Arc<FakeOps>, Engine, MountPlan) {
        let fake = Arc::new(FakeOps::new());
        let catalog = Catalog::cms();
        let selection = Selection::parse(Some("unpacked.cern.ch"), &catalog).unwrap();
        let backend = Backend::Snapshot {
            source_dir: Some(PathBuf::from("/srv/snap")),
        };
        let plan =
            MountPlan::build(&selection, &catalog, backend, &PlanOptions::default()).unwrap();
        let ops: Arc<dyn MountOps> = fake.clone();
        let engine = Engine::new(
            ops,
            Arc::new(SnapshotBackend {
                settings: SnapshotSettings::new("/usr/libexec/snapshot-server"),
            }),
            EngineOptions {
                probe_timeout: Duration::from_millis(300),
                verify_wait: Duration::from_millis(200),
                backoff: Duration::from_millis(1),
                ..EngineOptions::default()
            },
        );
        (fake, engine, plan)
    }

    #[test]
    fn a_healthy_mount_is_used_as_it_is() {
        let (fake, engine, plan) = setup();
        fake.add_client_mount(TARGET, "unpacked.cern.ch");
        let available = ensure_mounted(&engine, &plan, Path::new(TARGET)).unwrap();
        assert!(matches!(available, Availability::AlreadyMounted));
        assert_eq!(fake.count(Op::SpawnServer), 0);
    }

    #[test]
    fn nothing_mounted_means_mounting_it() {
        let (fake, engine, plan) = setup();
        fake.add_dir("/srv/snap/unpacked.cern.ch");
        let available = ensure_mounted(&engine, &plan, Path::new(TARGET)).unwrap();
        assert!(matches!(available, Availability::MountedNow(_)));
        assert_eq!(fake.count(Op::SpawnServer), 1);
        assert!(fake.mount_at(TARGET).is_some());
    }

    #[test]
    fn dead_hung_or_failing_mounts_are_reported_and_left_alone() {
        for health in [FakeHealth::Dead, FakeHealth::Hung(Duration::from_secs(2))] {
            let (fake, engine, plan) = setup();
            fake.add_client_mount(TARGET, "unpacked.cern.ch");
            fake.set_health(TARGET, health);
            let err = ensure_mounted(&engine, &plan, Path::new(TARGET)).unwrap_err();
            assert!(matches!(err, AvailabilityError::Unusable { .. }), "{err}");
            assert!(err.to_string().contains("cvmfs-cli repair"), "{err}");
            assert_eq!(fake.count(Op::SpawnServer), 0);
            assert!(fake.mount_at(TARGET).is_some());
        }
        // No source directory: the mount fails and says so; nothing is left mounted.
        let (fake, engine, plan) = setup();
        let err = ensure_mounted(&engine, &plan, Path::new(TARGET)).unwrap_err();
        assert!(
            matches!(err, AvailabilityError::MountFailed { .. }),
            "{err}"
        );
        assert!(fake.mount_at(TARGET).is_none());
        assert!(matches!(
            ensure_mounted(&engine, &plan, Path::new("/elsewhere")),
            Err(AvailabilityError::NotInPlan { .. })
        ));
    }
}
