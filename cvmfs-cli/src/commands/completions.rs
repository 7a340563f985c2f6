//! Shell completions and the man page, generated from the command-line definition.

use std::io::Write;

use clap::CommandFactory;

use crate::args::Cli;
use crate::error::{CliError, InputProblem};
use crate::exit_code;

/// Prints completions for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "cvmfs-cli", out);
    Ok(exit_code::SUCCESS)
}

/// Prints the man page of cvmfs-cli, or of `subcommand` (`config-show` for a nested
/// one): the pages the main page's SUBCOMMANDS section names as `cvmfs-cli-<name>(1)`.
pub fn man(subcommand: Option<&str>, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut root = Cli::command();
    // Built, the command lists clap's own `help` subcommand, as the main page does.
    root.build();
    let page = match subcommand {
        None => root,
        Some(wanted) => {
            let mut found = None;
            for sub in root.get_subcommands() {
                if sub.get_name() == wanted {
                    found = Some(sub.clone());
                }
                for nested in sub.get_subcommands() {
                    if format!("{}-{}", sub.get_name(), nested.get_name()) == wanted {
                        found = Some(nested.clone());
                    }
                }
            }
            let Some(sub) = found else {
                let mut names: Vec<String> = Vec::new();
                for sub in root.get_subcommands() {
                    names.push(sub.get_name().to_owned());
                    names.extend(
                        sub.get_subcommands()
                            .map(|n| format!("{}-{}", sub.get_name(), n.get_name())),
                    );
                }
                return Err(CliError::InvalidInput {
                    problems: vec![InputProblem::Option {
                        option: "man",
                        message: format!("no subcommand {wanted:?} (one of: {})", names.join(", ")),
                    }],
                });
            };
            let name = format!("cvmfs-cli-{wanted}");
            sub.name(name.clone()).bin_name(name)
        }
    };
    clap_mangen::Man::new(page)
        .render(out)
        .map_err(|source| CliError::WriteOutput { source })?;
    Ok(exit_code::SUCCESS)
}
