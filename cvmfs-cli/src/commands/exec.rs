//! `exec`: mount, run one command, unmount whatever happened; the command's status is
//! the exit status.

use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cvmfs_core::Backend;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::args::ExecArgs;
use crate::engine_setup::engine;
use crate::error::{CliError, InputProblem};
use crate::exit_code;
use crate::plan_input::build_plan;
use crate::report_output::print_report;

/// Runs `exec`; returns the command's exit status (128 + signal when killed).
pub fn run(args: &ExecArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    let request = build_plan(&args.operate.selection)?;
    let plan = request.plan;
    if !nix::unistd::geteuid().is_root() {
        if !matches!(plan.backend(), Backend::Snapshot { .. }) {
            return Err(CliError::InvalidInput {
                problems: vec![InputProblem::Option {
                    option: "--backend",
                    message: format!(
                        "{} needs root; unprivileged users can use the snapshot backend in a user namespace",
                        plan.backend().name()
                    ),
                }],
            });
        }
        cvmfs_mount::user_namespace::enter_as_root()
            .map_err(|source| CliError::Engine { source })?;
        log::info!("entered a private user and mount namespace");
    }
    let engine = engine(&plan, &args.operate.engine);
    let mounted = engine.mount(&plan);
    let code = print_report(&mounted, args.operate.output.json, err)?;
    if code == exit_code::TOTAL && !plan.entries().is_empty() {
        let _ = writeln!(err, "nothing could be mounted; the command is not run");
        let _ = print_report(&engine.unmount(&plan), false, err);
        return Ok(exit_code::TOTAL);
    }
    let _ = out.flush();
    // Forward SIGINT, SIGTERM and SIGHUP to the command; unmount after it ends.
    let pending = Arc::new(AtomicUsize::new(0));
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register_usize(
            signal,
            Arc::clone(&pending),
            usize::try_from(signal).unwrap_or(0),
        );
    }
    let status = match Command::new(&args.command[0])
        .args(&args.command[1..])
        .spawn()
    {
        Ok(mut child) => {
            let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
            loop {
                if let Some(status) = child.try_wait().ok().flatten() {
                    break Ok(status);
                }
                let signal = pending.swap(0, Ordering::SeqCst);
                if let Ok(signal) = Signal::try_from(i32::try_from(signal).unwrap_or(0)) {
                    let _ = kill(pid, signal);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Err(source) => Err(source),
    };
    let unmounted = engine.unmount(&plan);
    if unmounted.status() != cvmfs_mount::Status::Complete {
        let _ = print_report(&unmounted, false, err);
    }
    match status {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            Ok(status
                .code()
                .map(|c| u8::try_from(c).unwrap_or(exit_code::INTERNAL))
                .or_else(|| status.signal().and_then(|s| u8::try_from(128 + s).ok()))
                .unwrap_or(exit_code::INTERNAL))
        }
        Err(source) => {
            let _ = writeln!(err, "cannot run {:?}: {source}", args.command[0]);
            Ok(127)
        }
    }
}
