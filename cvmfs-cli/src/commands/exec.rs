//! `exec`: mount, run one command, unmount whatever happened; the command's status is
//! the exit status.

use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cvmfs_core::Backend;
use cvmfs_core::remap::{IdMapping, render_id_map};
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::args::ExecArgs;
use crate::engine_setup::engine;
use crate::error::{CliError, InputProblem};
use crate::exit_code;
use crate::plan_input::build_plan;
use crate::report_output::print_report;

/// Enters a new user and mount namespace in which this user is root, so FUSE mounts are
/// possible without privileges. Must run before any thread exists.
fn enter_user_namespace() -> Result<(), String> {
    let (uid, gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    nix::sched::unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("cannot create a user namespace: {e}"))?;
    let map = |outside| {
        render_id_map(&[IdMapping {
            inside: 0,
            outside,
            count: 1,
        }])
        .map_err(|e| e.to_string())
    };
    std::fs::write("/proc/self/setgroups", "deny").map_err(|e| format!("setgroups: {e}"))?;
    std::fs::write("/proc/self/uid_map", map(uid)?).map_err(|e| format!("uid_map: {e}"))?;
    std::fs::write("/proc/self/gid_map", map(gid)?).map_err(|e| format!("gid_map: {e}"))?;
    // Receive the host's mount events, never send ours back.
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|e| format!("making / rslave: {e}"))
}

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
        enter_user_namespace().map_err(|message| CliError::Serve { message })?;
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
