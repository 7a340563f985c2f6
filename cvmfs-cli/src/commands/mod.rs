//! One module per subcommand; each turns parsed arguments into library calls and output.

pub mod cache;
pub mod completions;
pub mod config;
pub mod docker_helper;
pub mod doctor;
pub mod entrypoint;
pub mod env;
pub mod exec;
pub mod forwarded_child;
pub mod image;
pub mod operate;
pub mod plan;
pub mod repo;
pub mod run_args;
pub mod serve;
pub mod watch;

use std::ffi::OsString;
use std::io::Write;

use crate::error::CliError;

/// Writes text to an output stream.
pub fn emit(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| CliError::WriteOutput { source })
}

/// Writes a value as pretty JSON and a newline.
pub fn emit_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    emit(out, &format!("{text}\n"))
}

/// A command as one shell-quoted line, for showing (commands are always run from their
/// words, never from this line).
pub fn shell_line(words: &[OsString]) -> String {
    let words: Vec<String> = words
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    // Joining fails only for a word with a NUL byte, which no argv holds.
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| format!("{words:?}"))
}
