//! What can be wrong with plan options or with a plan.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fqrn::Fqrn;

/// One broken rule of a plan or of the options it is built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum PlanProblem {
    /// A path option is unusable (`what` names the option).
    BadPath {
        /// Which path: "mount root", "snapshot source directory", ...
        what: String,
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The root is `/`, which would hide the whole system.
    RootIsSlash,
    /// A mount target is not under the root.
    TargetOutsideRoot {
        /// The target.
        target: PathBuf,
        /// The root.
        root: PathBuf,
    },
    /// A target override names a repository that is not selected.
    OverrideNotSelected {
        /// The repository.
        fqrn: Fqrn,
    },
    /// Target overrides with a backend that binds the whole root.
    OverrideWithWholeRoot {
        /// The backend.
        backend: String,
    },
    /// The backend needs a source inside the mount root or the root inside the source.
    SourceOverlapsRoot {
        /// The source.
        source: PathBuf,
        /// The root.
        root: PathBuf,
    },
    /// Two mounts share a target.
    DuplicateTarget {
        /// The target.
        target: PathBuf,
    },
    /// The configuration repository is not the first mount.
    ConfigRepositoryNotFirst {
        /// Its position (0-based) in the plan.
        position: usize,
    },
    /// A mount comes before the mount of one of its parent directories.
    ChildBeforeParent {
        /// The child target.
        child: PathBuf,
        /// The parent target.
        parent: PathBuf,
    },
    /// The unmount order is not the exact reverse of the mount order.
    UnmountOrderNotReverse {
        /// What the order should be.
        expected: Vec<PathBuf>,
        /// What it is.
        found: Vec<PathBuf>,
    },
    /// A step of an entry acts on another path than the entry's target.
    StepOutsideEntry {
        /// The entry's target.
        target: PathBuf,
        /// The step.
        step: String,
    },
    /// An entry's steps are not in the order create, mount, propagation, read-only, verify.
    StepsOutOfOrder {
        /// The entry's target.
        target: PathBuf,
    },
    /// An entry has no mount step, or more than one.
    MountStepCount {
        /// The entry's target.
        target: PathBuf,
        /// How many it has.
        count: usize,
    },
}

impl fmt::Display for PlanProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadPath { what, path, reason } => {
                write!(f, "the {what} {} {reason}", path.display())
            }
            Self::RootIsSlash => f.write_str("the mount root must not be / itself"),
            Self::TargetOutsideRoot { target, root } => write!(
                f,
                "target {} is not under the mount root {}",
                target.display(),
                root.display()
            ),
            Self::OverrideNotSelected { fqrn } => {
                write!(f, "a target is given for {fqrn}, which is not selected")
            }
            Self::OverrideWithWholeRoot { backend } => write!(
                f,
                "per-repository targets cannot be used when {backend} binds the whole root"
            ),
            Self::SourceOverlapsRoot { source, root } => write!(
                f,
                "the source {} and the mount root {} overlap; one would hide the other",
                source.display(),
                root.display()
            ),
            Self::DuplicateTarget { target } => {
                write!(f, "two mounts share the target {}", target.display())
            }
            Self::ConfigRepositoryNotFirst { position } => write!(
                f,
                "the configuration repository is mount {} but must be the first",
                position + 1
            ),
            Self::ChildBeforeParent { child, parent } => write!(
                f,
                "{} is mounted before its parent {}",
                child.display(),
                parent.display()
            ),
            Self::UnmountOrderNotReverse { .. } => {
                f.write_str("the unmount order is not the exact reverse of the mount order")
            }
            Self::StepOutsideEntry { target, step } => {
                write!(
                    f,
                    "the mount of {} has a step on another path: {step}",
                    target.display()
                )
            }
            Self::StepsOutOfOrder { target } => write!(
                f,
                "the steps for {} are not in the order create, mount, propagation, read-only, verify",
                target.display()
            ),
            Self::MountStepCount { target, count } => write!(
                f,
                "the entry for {} has {count} mount steps (exactly one expected)",
                target.display()
            ),
        }
    }
}
