//! `snapshot`: serves `<source_dir>/<fqrn>` read-only through FUSE at the mountpoint, as
//! a detached server process per repository (like the client, one process per mount).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::MountPlan;
use cvmfs_core::plan::{MountSource, Step};

use crate::backend::fuse_server::{fuse_requirements, start_server};
use crate::backend::{MountBackend, Note, Requirement, given_source, unsupported};
use crate::directory_server::ServerArgs;
use crate::error::MountError;
use crate::sys::{MountOps, PathKind};

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
        let mut needs = fuse_requirements(facts);
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
        let (pid, _) = start_server(
            ops,
            &self.settings.program,
            args,
            self.settings.ready_timeout,
            |message| MountError::SnapshotServer {
                target: target.to_owned(),
                message,
            },
        )?;
        Ok(vec![Note::Info(format!(
            "snapshot server pid {pid} serves {}",
            directory.display()
        ))])
    }
}
