//! Per-repository reports of what an operation did, for people and machines.

use std::path::PathBuf;

use cvmfs_core::Fqrn;
use cvmfs_core::plan::EntryRole;
use serde::{Deserialize, Serialize};

use crate::error::MountError;
use crate::health::Health;

/// What happened to one mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Mounted now.
    Mounted,
    /// Was already mounted and healthy: untouched.
    AlreadyMounted,
    /// Unmounted now.
    Unmounted,
    /// Was not mounted: nothing to unmount.
    NotMounted,
    /// Healthy: nothing to repair.
    Healthy,
    /// Was broken and is healthy again.
    Repaired,
    /// Not attempted because something it depends on failed.
    Skipped,
    /// Failed; see the error.
    Failed,
}

impl Outcome {
    /// Whether the mount is in the state the operation wanted.
    pub fn is_success(self) -> bool {
        !matches!(self, Self::Skipped | Self::Failed)
    }
}

/// An error as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// The error's kind (stable name).
    pub kind: String,
    /// The message.
    pub message: String,
}

impl From<&MountError> for ErrorReport {
    fn from(err: &MountError) -> Self {
        Self {
            kind: err.kind().to_owned(),
            message: err.to_string(),
        }
    }
}

/// The report for one entry of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryReport {
    /// The mountpoint.
    pub target: PathBuf,
    /// The repository, for repository entries.
    pub repository: Option<Fqrn>,
    /// What the entry mounts.
    pub role: EntryRole,
    /// What happened.
    pub outcome: Outcome,
    /// The health found before acting, when probed.
    pub health_before: Option<Health>,
    /// Every action taken, in order.
    pub actions: Vec<String>,
    /// Things worth knowing that did not fail the entry.
    pub warnings: Vec<String>,
    /// The error, when it failed.
    pub error: Option<ErrorReport>,
    /// Time spent, in milliseconds.
    pub elapsed_ms: u64,
}

impl EntryReport {
    /// What to call the entry in messages: its repository, or its mountpoint.
    pub fn name(&self) -> String {
        self.repository
            .as_ref()
            .map_or_else(|| self.target.display().to_string(), ToString::to_string)
    }
}

/// Overall result of an operation on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every entry succeeded (or there was none).
    Complete,
    /// Some entries failed, the others succeeded.
    Partial,
    /// Every entry failed.
    Failed,
}

/// The report of one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReport {
    /// `mount`, `unmount` or `repair`.
    pub operation: String,
    /// One report per entry, in plan order.
    pub entries: Vec<EntryReport>,
}

impl PlanReport {
    /// Complete, partial or failed. An optional configuration repository that failed
    /// while the others succeeded makes the result partial.
    pub fn status(&self) -> Status {
        let failed = self
            .entries
            .iter()
            .filter(|e| !e.outcome.is_success())
            .count();
        match failed {
            0 => Status::Complete,
            n if n == self.entries.len() => Status::Failed,
            _ => Status::Partial,
        }
    }

    /// The report for `target`.
    pub fn entry(&self, target: &std::path::Path) -> Option<&EntryReport> {
        self.entries.iter().find(|e| e.target == target)
    }
}
