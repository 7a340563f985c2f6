//! The errors of remapping ids: unusable ids, account files that cannot be edited
//! safely, and id maps the kernel would refuse.

use thiserror::Error;

use crate::problem_list::Bullets;
use crate::remap::IdProblem;

/// Ids, account files or id maps that cannot be used; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RemapError {
    /// `MY_UID`, `MY_GID` or the user name are unusable.
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
}

impl RemapError {
    /// A stable kebab-case name of the failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidIds { .. } => "invalid-ids",
            Self::UnknownUser { .. } => "unknown-user",
            Self::MalformedAccountLine { .. } => "malformed-account-line",
            Self::InvalidIdMap { .. } => "invalid-id-map",
            Self::MalformedIdMap { .. } => "malformed-id-map",
        }
    }

    /// The individual problems as sentences.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::InvalidIds { problems } => crate::problem_list::sentences(problems),
            Self::InvalidIdMap { problems } => problems.clone(),
            other => vec![other.to_string()],
        }
    }
}
