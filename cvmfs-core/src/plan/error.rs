//! The errors of building, checking, reading and writing plans.

use thiserror::Error;

use crate::plan::PlanProblem;
use crate::problem_list::Bullets;

/// A plan that cannot be built, is invalid, or cannot be read or written.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The options a plan is built from are unusable; nothing was planned.
    #[error("cannot build a mount plan: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidOptions {
        /// Every problem.
        problems: Vec<PlanProblem>,
    },
    /// A plan breaks its invariants.
    #[error("the mount plan is invalid: {} problem(s){}", problems.len(), Bullets(problems))]
    Invalid {
        /// Every broken invariant.
        problems: Vec<PlanProblem>,
    },
    /// A plan document could not be read as JSON.
    #[error("cannot read the mount plan as JSON: {source}")]
    ReadJson {
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A plan document could not be read as TOML.
    #[error("cannot read the mount plan as TOML: {source}")]
    ReadToml {
        /// The parser's error.
        #[source]
        source: toml::de::Error,
    },
    /// A plan could not be written as TOML.
    #[error("cannot write the mount plan as TOML: {source}")]
    RenderToml {
        /// The serialiser's error.
        #[source]
        source: toml::ser::Error,
    },
}

impl PlanError {
    /// A stable kebab-case name of the failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidOptions { .. } => "invalid-plan-options",
            Self::Invalid { .. } => "invalid-plan",
            Self::ReadJson { .. } => "read-plan-json",
            Self::ReadToml { .. } => "read-plan-toml",
            Self::RenderToml { .. } => "render-plan-toml",
        }
    }

    /// The individual problems as sentences.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::InvalidOptions { problems } | Self::Invalid { problems } => {
                crate::problem_list::sentences(problems)
            }
            other => vec![other.to_string()],
        }
    }
}
