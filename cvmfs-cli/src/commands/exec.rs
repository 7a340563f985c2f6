//! `exec`: mount, run one command, undo exactly the mounts this run made; the command's
//! status is the exit status.

use std::io::Write;

use cvmfs_core::BackendKind;
use cvmfs_mount::container::signals::{SignalForwarder, status_of};

use crate::args::ExecArgs;
use crate::engine_setup::engine;
use crate::error::{CliError, InputProblem};
use crate::exit_code;
use crate::plan_input::{SourceUse, build_plan};
use crate::report_output::print_report;

/// Runs `exec`; returns the command's exit status (128 + signal when killed).
pub fn run(args: &ExecArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    if args.operate.dry_run {
        let then = format!(
            "exec would mount, run `{}`, and undo its mounts.",
            crate::commands::shell_line(&args.command)
        );
        return crate::commands::plan::dry_run(
            &args.operate.selection,
            &args.operate.output,
            SourceUse::Mounts,
            &args.operate.engine.config_dir,
            &then,
            out,
            err,
        );
    }
    let request = build_plan(
        &args.operate.selection,
        SourceUse::Mounts,
        &args.operate.engine.config_dir,
    )?;
    let plan = request.plan;
    if !nix::unistd::geteuid().is_root() {
        if !matches!(
            plan.backend().kind(),
            BackendKind::Native | BackendKind::Snapshot
        ) {
            return Err(CliError::InvalidInput {
                problems: vec![InputProblem::Option {
                    option: "--backend",
                    message: format!(
                        "{} needs root; unprivileged users can use the native or snapshot backend in a user namespace",
                        plan.backend().name()
                    ),
                }],
            });
        }
        cvmfs_mount::container::user_namespace::enter_as_root()
            .map_err(|source| CliError::Engine { source })?;
        log::info!("entered a private user and mount namespace");
    }
    // Handlers first: a Ctrl-C while mounting is kept and acted on once the mounts are
    // in, so nothing this run mounted is left behind.
    let forwarder = SignalForwarder::install().map_err(|source| CliError::Signals { source })?;
    let engine = engine(&plan, &args.operate.engine);
    let mounted = engine.mount(&plan);
    let code = print_report(&mounted, args.operate.output.json, err)?;
    let undo = |err: &mut dyn Write| {
        let undone = engine.undo_mount(&plan, &mounted);
        if undone.status() != cvmfs_mount::Status::Complete {
            let _ = print_report(&undone, false, err);
        }
    };
    if let Some(signal) = forwarder.take_terminating() {
        let _ = writeln!(
            err,
            "stopped by {signal} while mounting; the command is not run"
        );
        undo(err);
        return Ok(u8::try_from(status_of(signal)).unwrap_or(exit_code::INTERNAL));
    }
    if code == exit_code::TOTAL && !plan.entries().is_empty() {
        let _ = writeln!(err, "nothing could be mounted; the command is not run");
        undo(err);
        return Ok(exit_code::TOTAL);
    }
    let _ = out.flush();
    let status =
        crate::commands::forwarded_child::run(&args.command[0], &args.command[1..], &forwarder);
    undo(err);
    match status {
        Ok(status) => Ok(crate::commands::forwarded_child::exit_status(status)),
        Err(source) => {
            let _ = writeln!(err, "cannot run {:?}: {source}", args.command[0]);
            Ok(127)
        }
    }
}
