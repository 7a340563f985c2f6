//! The steps of a plan, in the order the executor runs them.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fqrn::Fqrn;
use crate::plan::propagation::Propagation;

/// What a mount step mounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum MountSource {
    /// The client's mount helper mounts the repository.
    #[serde(rename = "cvmfs2-helper")]
    Cvmfs2Helper {
        /// The repository.
        fqrn: Fqrn,
    },
    /// Our own client's FUSE server serves the repository.
    Native {
        /// The repository.
        fqrn: Fqrn,
    },
    /// The snapshot FUSE server serves `directory` as the repository.
    Snapshot {
        /// The repository it pretends to be.
        fqrn: Fqrn,
        /// The local directory served read-only (`None` when the plan was made without
        /// a source: it cannot be mounted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        directory: Option<PathBuf>,
    },
    /// A bind mount of `source` (with `MS_REC` when recursive), no propagation flags.
    Bind {
        /// The path bound (`None` when the plan was made without a source: it cannot be
        /// mounted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<PathBuf>,
        /// Whether submounts come along.
        recursive: bool,
    },
}

/// What a verify step checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Verification {
    /// The target shows a client-shaped mount (`fuse`, source `cvmfs2`) whose `user.fqrn`
    /// is this repository; the executor waits a bounded time for it to appear.
    Repository {
        /// The expected repository.
        fqrn: Fqrn,
    },
    /// The target is a mountpoint (a bind of a plain directory or of a whole root).
    Mountpoint,
}

/// One action of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// Create the mountpoint directory (and missing parents) without following symlinks.
    CreateMountpoint {
        /// The directory.
        target: PathBuf,
    },
    /// Mount `source` on `target`.
    Mount {
        /// The mountpoint.
        target: PathBuf,
        /// What is mounted.
        source: MountSource,
    },
    /// Change propagation, alone in its own mount(2) call.
    SetPropagation {
        /// The mountpoint.
        target: PathBuf,
        /// The new propagation.
        propagation: Propagation,
    },
    /// Remount a bind read-only (`MS_REMOUNT|MS_BIND|MS_RDONLY`).
    RemountReadOnly {
        /// The mountpoint.
        target: PathBuf,
    },
    /// Check the result.
    Verify {
        /// The path checked.
        target: PathBuf,
        /// What is expected there.
        check: Verification,
    },
}

impl Step {
    /// The path the step acts on.
    pub fn target(&self) -> &Path {
        match self {
            Self::CreateMountpoint { target }
            | Self::Mount { target, .. }
            | Self::SetPropagation { target, .. }
            | Self::RemountReadOnly { target }
            | Self::Verify { target, .. } => target,
        }
    }

    /// The step's name as the plan spells it.
    pub fn action(&self) -> &'static str {
        match self {
            Self::CreateMountpoint { .. } => "create-mountpoint",
            Self::Mount { .. } => "mount",
            Self::SetPropagation { .. } => "set-propagation",
            Self::RemountReadOnly { .. } => "remount-read-only",
            Self::Verify { .. } => "verify",
        }
    }

    /// A short description of the step's arguments beyond its target.
    pub fn detail(&self) -> String {
        match self {
            Self::CreateMountpoint { .. } | Self::RemountReadOnly { .. } => String::new(),
            Self::Mount { source, .. } => match source {
                MountSource::Cvmfs2Helper { fqrn } => format!("mount -t cvmfs {fqrn}"),
                MountSource::Native { fqrn } => format!("native client for {fqrn}"),
                MountSource::Snapshot { directory, .. } => {
                    format!("snapshot of {}", shown_source(directory.as_deref()))
                }
                MountSource::Bind { source, recursive } => format!(
                    "{} of {}",
                    if *recursive { "recursive bind" } else { "bind" },
                    shown_source(source.as_deref())
                ),
            },
            Self::SetPropagation { propagation, .. } => propagation.to_string(),
            Self::Verify { check, .. } => match check {
                Verification::Repository { fqrn } => format!("client mount of {fqrn}"),
                Verification::Mountpoint => "is a mountpoint".to_owned(),
            },
        }
    }
}

/// A source path as plan tables show it.
fn shown_source(path: Option<&Path>) -> String {
    path.map_or_else(
        || "<--source not given>".to_owned(),
        |path| path.display().to_string(),
    )
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.action(), self.target().display())?;
        let detail = self.detail();
        if !detail.is_empty() {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}
