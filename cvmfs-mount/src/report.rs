//! Per-repository reports of what an operation did, for people and machines.

use std::path::PathBuf;

use cvmfs_core::Fqrn;
use cvmfs_core::plan::EntryRole;
use serde::{Deserialize, Serialize};

use crate::backend::Note;
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
    /// Serving with I/O errors and left as it is (remounting would break open files);
    /// counted as a failure, as `check` counts it.
    LeftDegraded,
    /// Not attempted because something it depends on failed.
    Skipped,
    /// Failed; see the error.
    Failed,
}

impl Outcome {
    /// The outcome's stable name, as the JSON report spells it (`already-mounted`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Mounted => "mounted",
            Self::AlreadyMounted => "already-mounted",
            Self::Unmounted => "unmounted",
            Self::NotMounted => "not-mounted",
            Self::Healthy => "healthy",
            Self::Repaired => "repaired",
            Self::LeftDegraded => "left-degraded",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    /// Whether the mount is in the state the operation wanted.
    pub fn is_success(self) -> bool {
        !matches!(self, Self::Skipped | Self::Failed | Self::LeftDegraded)
    }
}

/// Which operation a report is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// [`crate::Engine::mount`].
    Mount,
    /// [`crate::Engine::unmount`].
    Unmount,
    /// [`crate::Engine::repair`].
    Repair,
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
    /// Directories this operation created for the mountpoint, outermost first (undoing
    /// the mount removes those still empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<std::path::PathBuf>,
}

impl EntryReport {
    /// Adds what a backend reported: information to the actions, warnings to the
    /// warnings, in order.
    pub fn add_notes(&mut self, notes: impl IntoIterator<Item = Note>) {
        for note in notes {
            match note {
                Note::Info(text) => self.actions.push(text),
                Note::Warning(text) => self.warnings.push(text),
            }
        }
    }

    /// Like [`EntryReport::add_notes`], but before what is already there (notes of a
    /// preparation that ran before this entry's own steps).
    pub fn prepend_notes(&mut self, notes: impl IntoIterator<Item = Note>) {
        let (actions, warnings) = (
            std::mem::take(&mut self.actions),
            std::mem::take(&mut self.warnings),
        );
        self.add_notes(notes);
        self.actions.extend(actions);
        self.warnings.extend(warnings);
    }

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
    /// What was done.
    pub operation: Operation,
    /// Which backend did it (the snapshot backend is a stand-in: reports say so).
    pub backend: cvmfs_core::BackendKind,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_are_the_json_names() {
        for outcome in [
            Outcome::Mounted,
            Outcome::AlreadyMounted,
            Outcome::Unmounted,
            Outcome::NotMounted,
            Outcome::Healthy,
            Outcome::Repaired,
            Outcome::Skipped,
            Outcome::Failed,
        ] {
            assert_eq!(
                serde_json::to_value(outcome).ok(),
                Some(serde_json::Value::from(outcome.name()))
            );
        }
    }
}
