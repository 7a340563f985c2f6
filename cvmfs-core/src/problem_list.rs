//! Showing every problem of an input at once: as an indented list under a heading, or as
//! one clause joined with semicolons.

use std::fmt::{self, Display};

/// Formats problems as an indented list, one per line.
pub struct Bullets<'a, T>(pub &'a [T]);

impl<T: Display> Display for Bullets<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// Joins problems as one readable clause: `is empty; ends with a dot`.
pub fn join_problems<T: Display>(problems: &[T]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Every problem as a sentence.
pub fn sentences<T: Display>(problems: &[T]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}
