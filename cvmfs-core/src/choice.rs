//! Values that must be one of a fixed set of words (shells, releases, runtimes).

use thiserror::Error;

/// A value that is not one of a fixed set of choices.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {what} {input:?} (expected {expected})")]
pub struct InvalidChoice {
    /// What was being chosen.
    pub what: &'static str,
    /// The value given.
    pub input: String,
    /// The accepted values.
    pub expected: &'static str,
}
