//! `cvmfs-cli`: CernVM-FS repositories inside containers. A thin face over the
//! libraries; modules, in dependency order:
//!
//! - `exit_code`: the exit codes every command shares.
//! - `error`: the command line's errors and input problems.
//! - `args`: the command line's grammar (clap).
//! - `plan_input`: the selection, catalog and backend options turned into a plan.
//! - `engine_setup`: an engine configured from the options, with progress lines.
//! - `report_output`: reports and probe results as the anchor's lines or JSON.
//! - `commands`: one module per subcommand.

mod args;
mod commands;
mod engine_setup;
mod error;
mod exit_code;
mod plan_input;
mod report_output;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use commands::operate::Operation;

fn wants_json(command: &Command) -> bool {
    match command {
        Command::Plan(args) => args.output.json,
        Command::Mount(a) | Command::Umount(a) | Command::Check(a) | Command::Repair(a) => {
            a.output.json
        }
        Command::Watch(a) => a.operate.output.json,
        Command::Exec(a) => a.operate.output.json,
        Command::Env(a) => a.json,
        Command::Doctor(a) => a.json,
        Command::RunArgs(a) => a.json,
        Command::Config(args::ConfigCommand::Show(a)) | Command::Showconfig(a) => a.json,
        Command::Config(args::ConfigCommand::Render { json, .. }) => *json,
        Command::Serve(a) => a.json,
        Command::Cache(
            args::CacheCommand::Info { location }
            | args::CacheCommand::Evict { location, .. }
            | args::CacheCommand::Wipe { location },
        )
        | Command::Wipecache(location) => location.json,
        Command::Image(args::ImageCommand::Lint { json, .. }) => *json,
        Command::Image(args::ImageCommand::Resolve(a)) => a.json,
        _ => false,
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Error,
        (false, 0) => log::LevelFilter::Warn,
        (false, 1) => log::LevelFilter::Info,
        (false, 2) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    env_logger::Builder::new()
        .filter_level(level)
        .parse_env("CVMFS_CLI_LOG")
        .format_timestamp(None)
        .init();
}

/// Called as `cvmfs_docker` (a link to this executable): the anchor's host helper.
fn helper_main() -> ExitCode {
    let args = commands::docker_helper::HelperArgs::parse();
    let (mut out, mut err) = (io::stdout(), io::stderr());
    match commands::docker_helper::run(&args, &mut out, &mut err) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let _ = writeln!(err, "error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

fn main() -> ExitCode {
    let called_as = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    if called_as.as_deref() == Some("cvmfs_docker") {
        return helper_main();
    }
    let cli = Cli::parse();
    init_logging(&cli);
    // Not locked for the whole run: `serve` runs a FUSE server in this process whose
    // threads log to stderr, and a lock held here would block them forever.
    let (mut out, mut err) = (io::stdout(), io::stderr());
    let result = match &cli.command {
        Command::Plan(args) => commands::plan::run(args, &mut out, &mut err),
        Command::Mount(args) => commands::operate::run(Operation::Mount, args, &mut out, &mut err),
        Command::Umount(args) => {
            commands::operate::run(Operation::Unmount, args, &mut out, &mut err)
        }
        Command::Check(args) => commands::operate::run(Operation::Check, args, &mut out, &mut err),
        Command::Repair(args) => {
            commands::operate::run(Operation::Repair, args, &mut out, &mut err)
        }
        Command::Watch(args) => commands::watch::run(args, &mut out, &mut err),
        Command::Exec(args) => commands::exec::run(args, &mut out, &mut err),
        Command::Entrypoint(args) => commands::entrypoint::run(args),
        Command::Serve(args) => commands::serve::run(args, &mut out),
        Command::NativeServer { args } => {
            match cvmfs_mount::native::NativeArgs::parse(args.iter().cloned()) {
                Ok(parsed) => {
                    Ok(u8::try_from(cvmfs_mount::native::run_server(&parsed)).unwrap_or(1))
                }
                Err(message) => Err(error::CliError::InvalidInput {
                    problems: vec![error::InputProblem::Option {
                        option: "native-server",
                        message,
                    }],
                }),
            }
        }
        Command::Env(args) => commands::env::run(args, &mut out),
        Command::Config(command) => commands::config::run(command, &mut out, &mut err),
        Command::Showconfig(args) => commands::config::show(args, &mut out, &mut err),
        Command::RunArgs(args) => commands::run_args::run(args, &mut out),
        Command::Doctor(args) => commands::doctor::run(args, &mut out),
        Command::Repo(command) => commands::repo::run(command, &mut out),
        Command::Cache(command) => commands::cache::run(command, &mut out),
        Command::Image(command) => commands::image::run(command, &mut out, &mut err),
        Command::Wipecache(location) => commands::cache::wipe(location, &mut out),
        Command::Publish(args) => commands::repo::publish(args, &mut out),
        Command::Completions { shell } => commands::completions::completions(*shell, &mut out),
        Command::Man { subcommand } => commands::completions::man(subcommand.as_deref(), &mut out),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            if wants_json(&cli.command) {
                let _ = writeln!(out, "{}", error.to_json());
            }
            let _ = writeln!(err, "error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
