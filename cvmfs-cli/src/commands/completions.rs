//! Shell completions and the man page, generated from the command-line definition.

use std::io::Write;

use clap::CommandFactory;

use crate::args::Cli;
use crate::error::CliError;
use crate::exit_code;

/// Prints completions for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "cvmfs-cli", out);
    Ok(exit_code::SUCCESS)
}

/// Prints the man page.
pub fn man(out: &mut dyn Write) -> Result<u8, CliError> {
    clap_mangen::Man::new(Cli::command())
        .render(out)
        .map_err(|source| CliError::WriteOutput { source })?;
    Ok(exit_code::SUCCESS)
}
