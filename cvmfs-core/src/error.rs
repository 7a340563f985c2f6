//! The one error type of `cvmfs-core`: a variant per failure, each carrying the offending
//! input and every problem found in it, so a user sees all mistakes at once.

use std::fmt::{self, Display};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::fqrn::NameProblem;
use crate::plan::PlanProblem;
use crate::remap::IdProblem;
use crate::selection::BadToken;

/// Formats problems as an indented list, one per line.
struct Bullets<'a, T>(&'a [T]);

impl<T: Display> Display for Bullets<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong in `cvmfs-core`.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A repository name breaks the client's rules.
    #[error(
        "invalid repository name {input:?}: it {}",
        crate::fqrn::join_problems(problems)
    )]
    InvalidFqrn {
        /// The name.
        input: String,
        /// Every rule it breaks.
        problems: Vec<NameProblem>,
    },
    /// A default domain breaks the naming rules.
    #[error(
        "invalid default domain {input:?}: it {}",
        crate::fqrn::join_problems(problems)
    )]
    InvalidDomain {
        /// The domain.
        input: String,
        /// Every rule it breaks.
        problems: Vec<NameProblem>,
    },
    /// A catalog profile name that is not built in.
    #[error("unknown catalog profile {input:?} (known: {})", known.join(", "))]
    UnknownProfile {
        /// The name.
        input: String,
        /// The built-in profiles.
        known: Vec<String>,
    },
    /// `CVMFS_MOUNTS` has bad tokens; all are listed.
    #[error("invalid CVMFS_MOUNTS value {input:?}: {} bad token(s){}", problems.len(), Bullets(problems))]
    InvalidSelection {
        /// The variable's value.
        input: String,
        /// Every bad token.
        problems: Vec<BadToken>,
    },
    /// An unknown propagation name.
    #[error(
        "invalid propagation {input:?} (expected private, rprivate, slave, rslave, shared, rshared, unbindable or runbindable)"
    )]
    InvalidPropagation {
        /// The name.
        input: String,
    },
    /// A value that is not one of a fixed set of choices.
    #[error("invalid {what} {input:?} (expected {expected})")]
    InvalidChoice {
        /// What was being chosen.
        what: &'static str,
        /// The value given.
        input: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// The options a plan is built from are unusable; nothing was planned.
    #[error("cannot build a mount plan: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidPlanOptions {
        /// Every problem.
        problems: Vec<PlanProblem>,
    },
    /// A plan breaks its invariants.
    #[error("the mount plan is invalid: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidPlan {
        /// Every broken invariant.
        problems: Vec<PlanProblem>,
    },
    /// A plan document could not be read as JSON.
    #[error("cannot read the mount plan as JSON: {source}")]
    ReadPlanJson {
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A plan document could not be read as TOML.
    #[error("cannot read the mount plan as TOML: {source}")]
    ReadPlanToml {
        /// The parser's error.
        #[source]
        source: toml::de::Error,
    },
    /// A plan could not be written as TOML.
    #[error("cannot write the mount plan as TOML: {source}")]
    RenderPlanToml {
        /// The serialiser's error.
        #[source]
        source: toml::ser::Error,
    },
    /// `MY_UID`, `MY_GID` or the user name are unusable; nothing was changed.
    #[error("invalid user/group ids, nothing was changed: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidIds {
        /// Every problem.
        problems: Vec<IdProblem>,
    },
    /// The user to remap is not in the passwd content.
    #[error("user {user:?} does not exist in /etc/passwd")]
    UnknownUser {
        /// The user.
        user: String,
    },
    /// The account's own line cannot be parsed, so it cannot be changed safely.
    #[error(
        "line {line} of /etc/{file} names {name:?} but is not a valid entry; refusing to edit it"
    )]
    MalformedAccountLine {
        /// `passwd` or `group`.
        file: &'static str,
        /// The 1-based line number.
        line: usize,
        /// The account.
        name: String,
    },
    /// A user-namespace id map the kernel would refuse.
    #[error("invalid id map: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidIdMap {
        /// Every problem.
        problems: Vec<String>,
    },
    /// A line of an id map is not three numbers.
    #[error("id map line {line} is not three numbers: {text:?}")]
    MalformedIdMap {
        /// The 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// A proxy list the client would refuse.
    #[error("invalid proxy list {input:?}: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidProxyList {
        /// The list.
        input: String,
        /// Every problem.
        problems: Vec<String>,
    },
    /// A server URL list the client would refuse.
    #[error("invalid server URL list {input:?}: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidServerUrls {
        /// The list.
        input: String,
        /// Every problem.
        problems: Vec<String>,
    },
    /// A mountinfo line that does not have the kernel's format.
    #[error("malformed mountinfo line {line}: {reason}: {text:?}")]
    MalformedMountinfo {
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
        /// The line (lossily decoded).
        text: String,
    },
}

impl CoreError {
    /// A stable kebab-case name of the variant, for machine-readable output.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidFqrn { .. } => "invalid-fqrn",
            Self::InvalidDomain { .. } => "invalid-domain",
            Self::UnknownProfile { .. } => "unknown-profile",
            Self::InvalidSelection { .. } => "invalid-selection",
            Self::InvalidPropagation { .. } => "invalid-propagation",
            Self::InvalidChoice { .. } => "invalid-choice",
            Self::InvalidPlanOptions { .. } => "invalid-plan-options",
            Self::InvalidPlan { .. } => "invalid-plan",
            Self::ReadPlanJson { .. } => "read-plan-json",
            Self::ReadPlanToml { .. } => "read-plan-toml",
            Self::RenderPlanToml { .. } => "render-plan-toml",
            Self::InvalidIds { .. } => "invalid-ids",
            Self::UnknownUser { .. } => "unknown-user",
            Self::MalformedAccountLine { .. } => "malformed-account-line",
            Self::InvalidIdMap { .. } => "invalid-id-map",
            Self::MalformedIdMap { .. } => "malformed-id-map",
            Self::InvalidProxyList { .. } => "invalid-proxy-list",
            Self::InvalidServerUrls { .. } => "invalid-server-urls",
            Self::MalformedMountinfo { .. } => "malformed-mountinfo",
        }
    }

    /// The individual problems as sentences (one for errors about a single thing).
    pub fn problems(&self) -> Vec<String> {
        fn all<T: Display>(items: &[T]) -> Vec<String> {
            items.iter().map(ToString::to_string).collect()
        }
        match self {
            Self::InvalidFqrn { problems, .. } | Self::InvalidDomain { problems, .. } => {
                all(problems)
            }
            Self::InvalidSelection { problems, .. } => all(problems),
            Self::InvalidPlanOptions { problems } | Self::InvalidPlan { problems } => all(problems),
            Self::InvalidIds { problems } => all(problems),
            Self::InvalidIdMap { problems }
            | Self::InvalidProxyList { problems, .. }
            | Self::InvalidServerUrls { problems, .. } => problems.clone(),
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
