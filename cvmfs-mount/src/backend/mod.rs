//! The five ways repositories are provided. Each backend states what it needs
//! (preflight), performs the plan's mount step for one entry, and unmounts it.

mod automounter;
mod fuse_server;
mod helper;
mod host_bind;
mod native;
mod snapshot;

use std::path::Path;

use nix::errno::Errno;
use nix::mount::MntFlags;
use serde::{Deserialize, Serialize};

use cvmfs_core::plan::MountSource;
use cvmfs_core::{BackendKind, MountPlan};

pub use automounter::{AutomounterBackend, default_shared_dir};
pub use helper::{HelperBackend, HelperSettings, parse_relayed_code};
pub use host_bind::HostBindBackend;
pub use native::{NativeBackend, NativeSettings};
pub use snapshot::{SnapshotBackend, SnapshotSettings};

use crate::error::MountError;
use crate::host_facts::{FactRequest, HostFacts};
use crate::sys::MountOps;

/// Something a backend reports about a mount it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "kebab-case")]
pub enum Note {
    /// What was done (for example, which server serves the mount).
    Info(String),
    /// Something that works now but may not later.
    Warning(String),
}

/// Something the system lacks for a backend, with the fix a user can apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// What is missing or wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
    /// Whether mounting cannot work without it (otherwise a warning).
    pub blocking: bool,
}

impl Requirement {
    /// A requirement without which mounting fails.
    pub fn blocking(problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            fix: fix.into(),
            blocking: true,
        }
    }

    /// A warning: mounting works, but something will not.
    pub fn warning(problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            fix: fix.into(),
            blocking: false,
        }
    }
}

/// A way of providing repositories.
pub trait MountBackend: Send + Sync {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// The backend's name (`cvmfs2-helper`, `host-bind`, ...).
    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// What this backend wants looked up on the host for [`MountBackend::preflight`].
    fn fact_request(&self, _plan: &MountPlan) -> FactRequest {
        FactRequest::default()
    }

    /// What the system lacks for this plan, judged from the host's `facts` (gathered for
    /// [`MountBackend::fact_request`]); empty when everything is in place.
    fn preflight(
        &self,
        ops: &dyn MountOps,
        facts: &HostFacts,
        plan: &MountPlan,
    ) -> Vec<Requirement>;

    /// Runs once before any entry is mounted (for example, writes client configuration).
    /// Returns notes for the report.
    fn prepare(&self, _plan: &MountPlan) -> Result<Vec<Note>, MountError> {
        Ok(Vec::new())
    }

    /// Performs the mount step of one entry. Returns notes for the report.
    fn mount(
        &self,
        ops: &dyn MountOps,
        source: &MountSource,
        target: &Path,
    ) -> Result<Vec<Note>, MountError>;

    /// Whether a mount this backend made must not be served by the snapshot stand-in
    /// (its verification refuses one whose `user.version` says so).
    fn refuses_stand_in(&self) -> bool {
        false
    }

    /// Unmounts one mount this backend made. A busy mount is detached lazily.
    fn unmount(&self, ops: &dyn MountOps, target: &Path) -> Result<(), MountError> {
        match ops.umount(target, MntFlags::empty()) {
            Ok(()) => Ok(()),
            Err(Errno::EBUSY) => {
                ops.umount(target, MntFlags::MNT_DETACH)
                    .map_err(|errno| MountError::Unmount {
                        target: target.to_owned(),
                        errno,
                    })
            }
            Err(errno) => Err(MountError::Unmount {
                target: target.to_owned(),
                errno,
            }),
        }
    }
}

/// Settings for every backend; [`backend_for`] picks the one a plan needs.
#[derive(Debug, Clone)]
pub struct BackendSettings {
    /// For `cvmfs2-helper`.
    pub helper: HelperSettings,
    /// For `snapshot`.
    pub snapshot: SnapshotSettings,
    /// For `native`.
    pub native: NativeSettings,
    /// For `host-bind`: accept sources served by the snapshot stand-in as client mounts
    /// (tests that bind stand-in mounts; never a user's default).
    pub host_bind_accepts_stand_in: bool,
}

/// The backend that executes `backend`, configured from `settings`.
pub fn backend_for(
    backend: &cvmfs_core::Backend,
    settings: &BackendSettings,
) -> std::sync::Arc<dyn MountBackend> {
    use std::sync::Arc;
    match backend {
        cvmfs_core::Backend::Cvmfs2Helper => Arc::new(HelperBackend {
            settings: settings.helper.clone(),
        }),
        cvmfs_core::Backend::HostBind { plain_source, .. } => Arc::new(HostBindBackend {
            plain_source: *plain_source,
            accepts_stand_in: settings.host_bind_accepts_stand_in,
        }),
        cvmfs_core::Backend::AutomounterSlave { .. } => Arc::new(AutomounterBackend),
        cvmfs_core::Backend::Native => Arc::new(NativeBackend {
            settings: settings.native.clone(),
        }),
        cvmfs_core::Backend::Snapshot { .. } => Arc::new(SnapshotBackend {
            settings: settings.snapshot.clone(),
        }),
    }
}

/// Reads the mount table after making sure a bind source is a directory.
pub(crate) fn source_table(
    ops: &dyn MountOps,
    source: &Path,
) -> Result<crate::mount_table::TableText, MountError> {
    match ops.lstat(source) {
        Ok(crate::sys::PathKind::Directory) => crate::mount_table::TableText::read(ops),
        _ => Err(MountError::SourceMissing {
            path: source.to_owned(),
        }),
    }
}

/// Bind-mounts `source` on `target` (no propagation flags: those come in their own call).
pub(crate) fn bind(
    ops: &dyn MountOps,
    source: &Path,
    target: &Path,
    recursive: bool,
) -> Result<(), MountError> {
    ops.mount(
        Some(source),
        target,
        None,
        crate::sys::flags::bind_flags(recursive),
        None,
    )
    .map_err(|errno| MountError::Bind {
        source_path: source.to_owned(),
        target: target.to_owned(),
        recursive,
        errno,
    })
}

/// A step the backend does not perform.
/// The source a mount step reads, or [`MountError::SourceNotGiven`] for a plan made
/// without one.
pub(crate) fn given_source(
    backend: cvmfs_core::BackendKind,
    source: Option<&Path>,
) -> Result<&Path, MountError> {
    source.ok_or(MountError::SourceNotGiven { backend })
}

pub(crate) fn unsupported(backend: &'static str, source: &MountSource) -> MountError {
    MountError::UnsupportedStep {
        backend,
        step: format!("{source:?}"),
    }
}
