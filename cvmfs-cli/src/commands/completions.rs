//! Shell completions and the man page, generated from the command-line definition.

use std::io::Write;

use clap::CommandFactory;

use crate::args::{Cli, CompletionShell};
use crate::error::{CliError, InputProblem};
use crate::exit_code;

/// Prints completions for `shell`.
pub fn completions(shell: CompletionShell, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut command = Cli::command();
    let clap_shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
        CompletionShell::Elvish => clap_complete::Shell::Elvish,
        CompletionShell::Powershell => clap_complete::Shell::PowerShell,
        CompletionShell::Tcsh => {
            crate::commands::emit(out, &tcsh_completions(&command))?;
            return Ok(exit_code::SUCCESS);
        }
    };
    clap_complete::generate(clap_shell, &mut command, "cvmfs-cli", out);
    Ok(exit_code::SUCCESS)
}

/// A tcsh `complete` command: subcommands as the first word, each option's possible
/// values after it, long options after `--`, files elsewhere. clap_complete has no tcsh
/// generator, so this one is written from the same command definition.
fn tcsh_completions(command: &clap::Command) -> String {
    let subcommands: Vec<&str> = command
        .get_subcommands()
        .flat_map(|s| std::iter::once(s.get_name()).chain(s.get_visible_aliases()))
        .collect();
    let mut longs: Vec<String> = Vec::new();
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    let mut collect = |cmd: &clap::Command| {
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long().filter(|_| !arg.is_hide_set()) else {
                continue;
            };
            if !longs.iter().any(|l| l == long) {
                longs.push(long.to_owned());
            }
            let possible: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            // Switches list true/false as values: they take none on the command line.
            if arg.get_action().takes_values()
                && !possible.is_empty()
                && !values.iter().any(|(l, _)| l == long)
            {
                values.push((long.to_owned(), possible));
            }
        }
    };
    collect(command);
    for sub in command.get_subcommands() {
        collect(sub);
        for nested in sub.get_subcommands() {
            collect(nested);
        }
    }
    longs.sort();
    let mut words = vec![
        "complete cvmfs-cli".to_owned(),
        format!("'p/1/({})/'", subcommands.join(" ")),
    ];
    for (long, possible) in &values {
        words.push(format!("'n/--{long}/({})/'", possible.join(" ")));
    }
    words.push(format!("'c/--/({})/'", longs.join(" ")));
    words.push("'n/*/f/'".to_owned());
    format!("{}\n", words.join(" \\\n    "))
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
