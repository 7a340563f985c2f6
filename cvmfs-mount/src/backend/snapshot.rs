//! `snapshot`: serves `<source_dir>/<fqrn>` read-only through FUSE at the mountpoint, as
//! a detached server process per repository (like the client, one process per mount).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::MountPlan;
use cvmfs_core::plan::{MountSource, Step};

use crate::backend::{MountBackend, Note, Requirement, given_source, unsupported};
use crate::directory_server::ServerArgs;
use crate::error::MountError;
use crate::sys::{MountOps, PathKind, ServerSpawn, ServerStart};

/// How snapshot servers are started.
#[derive(Debug, Clone)]
pub struct SnapshotSettings {
    /// The program that runs a server (for example `cvmfs-snapshot-server`).
    pub program: PathBuf,
    /// Arguments before the standard ones (for example a subcommand).
    pub prefix_args: Vec<OsString>,
    /// Arguments after the standard ones (revision, fault injection).
    pub extra_args: Vec<OsString>,
    /// How long a server may take to mount.
    pub ready_timeout: Duration,
}

impl SnapshotSettings {
    /// Settings for `program` with no extra arguments and a 10 s readiness limit.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            prefix_args: Vec::new(),
            extra_args: Vec::new(),
            ready_timeout: Duration::from_secs(10),
        }
    }
}

/// Starts one snapshot server per repository.
#[derive(Debug, Clone)]
pub struct SnapshotBackend {
    /// Settings.
    pub settings: SnapshotSettings,
}

impl MountBackend for SnapshotBackend {
    fn kind(&self) -> cvmfs_core::BackendKind {
        cvmfs_core::BackendKind::Snapshot
    }

    fn preflight(
        &self,
        ops: &dyn MountOps,
        facts: &crate::host_facts::HostFacts,
        plan: &MountPlan,
    ) -> Vec<Requirement> {
        let mut needs = Vec::new();
        if facts.dev_fuse.is_none() {
            needs.push(Requirement::blocking(
                "/dev/fuse does not exist",
                "pass --device /dev/fuse to the container",
            ));
        }
        if !facts.is_root && !facts.fusermount3 {
            needs.push(Requirement::blocking(
                "not root and fusermount3 is missing",
                "run as root, in a user namespace (unshare -rm), or install fuse3",
            ));
        }
        for step in plan.steps() {
            if let Step::Mount {
                source:
                    MountSource::Snapshot {
                        directory: Some(directory),
                        fqrn,
                    },
                ..
            } = step
                && ops.lstat(directory) != Ok(PathKind::Directory)
            {
                needs.push(Requirement::blocking(
                    format!(
                        "the snapshot of {fqrn} is missing: {} is not a directory",
                        directory.display()
                    ),
                    format!("create {} with the repository's files", directory.display()),
                ));
            }
        }
        needs
    }

    fn mount(
        &self,
        ops: &dyn MountOps,
        source: &MountSource,
        target: &Path,
    ) -> Result<Vec<Note>, MountError> {
        let MountSource::Snapshot { fqrn, directory } = source else {
            return Err(unsupported(self.name(), source));
        };
        let directory = given_source(self.kind(), directory.as_deref())?;
        if ops.lstat(directory) != Ok(PathKind::Directory) {
            return Err(MountError::SnapshotSourceMissing {
                path: directory.to_owned(),
            });
        }
        let mut args = self.settings.prefix_args.clone();
        args.extend(
            ServerArgs::new(directory.to_owned(), target.to_owned(), fqrn.as_str()).to_args(),
        );
        args.extend(self.settings.extra_args.iter().cloned());
        let spawn = ServerSpawn {
            program: self.settings.program.clone(),
            args,
            ready_timeout: self.settings.ready_timeout,
        };
        let started = ops
            .spawn_server(&spawn)
            .map_err(|source| MountError::Spawn {
                program: self.settings.program.clone(),
                source,
            })?;
        match started {
            ServerStart::Ready { pid, .. } => Ok(vec![Note::Info(format!(
                "snapshot server pid {pid} serves {}",
                directory.display()
            ))]),
            ServerStart::Failed { message } => Err(MountError::SnapshotServer {
                target: target.to_owned(),
                message,
            }),
            ServerStart::TimedOut => Err(MountError::SnapshotServer {
                target: target.to_owned(),
                message: format!("not ready within {:?}; killed", self.settings.ready_timeout),
            }),
        }
    }
}
