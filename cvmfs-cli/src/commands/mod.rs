//! One module per subcommand; each turns parsed arguments into library calls and output.

pub mod completions;
pub mod config;
pub mod doctor;
pub mod entrypoint;
pub mod env;
pub mod exec;
pub mod operate;
pub mod plan;
pub mod run_args;
pub mod serve;
pub mod watch;

use std::io::Write;

use crate::error::CliError;

/// Writes text to an output stream.
pub fn emit(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| CliError::WriteOutput { source })
}
