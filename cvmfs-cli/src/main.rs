//! `cvmfs-cli`: CernVM-FS repositories inside containers.

mod args;
mod error;
mod exit_code;
mod plan_command;
mod plan_input;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (stdout, stderr) = (io::stdout(), io::stderr());
    let (mut out, mut err) = (stdout.lock(), stderr.lock());
    let json = match &cli.command {
        Command::Plan(args) => args.output.json,
    };
    let result = match &cli.command {
        Command::Plan(args) => plan_command::run(args, &mut out, &mut err),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            if json {
                let _ = writeln!(out, "{}", error.to_json());
            }
            let _ = writeln!(err, "error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
