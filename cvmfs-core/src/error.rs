//! The umbrella error of `cvmfs-core`. Each module owns the error of its own inputs
//! (names, selections, plans, remaps, configuration, mountinfo); [`CoreError`] wraps any
//! of them for callers that handle them together, and gives each a stable kind and its
//! problems as sentences, so a user sees all mistakes at once. Modules never import this
//! file: the dependency points one way.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::catalog::UnknownProfile;
use crate::choice::InvalidChoice;
use crate::config::ProxyConfigError;
use crate::fqrn::NameError;
use crate::mountinfo::MountinfoError;
use crate::plan::{InvalidPropagation, PlanError, UnknownBackend};
use crate::remap::RemapError;
use crate::selection::SelectionError;

/// Any error of `cvmfs-core`.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A repository name or domain breaks the naming rules.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A catalog profile name that is not built in.
    #[error(transparent)]
    UnknownProfile(#[from] UnknownProfile),
    /// `CVMFS_MOUNTS` has bad tokens.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// An unknown propagation name.
    #[error(transparent)]
    Propagation(#[from] InvalidPropagation),
    /// An unknown backend name.
    #[error(transparent)]
    Backend(#[from] UnknownBackend),
    /// A value that is not one of a fixed set of choices.
    #[error(transparent)]
    Choice(#[from] InvalidChoice),
    /// A plan that cannot be built, read or written.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Ids, account files or id maps that cannot be used.
    #[error(transparent)]
    Remap(#[from] RemapError),
    /// A proxy or server list the client would refuse.
    #[error(transparent)]
    ProxyConfig(#[from] ProxyConfigError),
    /// A mountinfo line that does not have the kernel's format.
    #[error(transparent)]
    Mountinfo(#[from] MountinfoError),
}

impl CoreError {
    /// A stable kebab-case name of the failure, for machine-readable output.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Name(NameError::InvalidFqrn { .. }) => "invalid-fqrn",
            Self::Name(NameError::InvalidDomain { .. }) => "invalid-domain",
            Self::UnknownProfile(_) => "unknown-profile",
            Self::Selection(_) => "invalid-selection",
            Self::Propagation(_) => "invalid-propagation",
            Self::Backend(_) => "unknown-backend",
            Self::Choice(_) => "invalid-choice",
            Self::Plan(error) => error.kind(),
            Self::Remap(error) => error.kind(),
            Self::ProxyConfig(error) => error.kind(),
            Self::Mountinfo(_) => "malformed-mountinfo",
        }
    }

    /// The individual problems as sentences (one for errors about a single thing).
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::Name(error) => error.problems(),
            Self::Selection(error) => crate::problem_list::sentences(&error.problems),
            Self::Plan(error) => error.problems(),
            Self::Remap(error) => error.problems(),
            Self::ProxyConfig(error) => error.problems(),
            other => vec![other.to_string()],
        }
    }
}

/// Errors serialise as `{"kind": ..., "message": ..., "problems": [...]}`.
impl Serialize for CoreError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("kind", self.kind())?;
        map.serialize_entry("message", &self.to_string())?;
        map.serialize_entry("problems", &self.problems())?;
        map.end()
    }
}
