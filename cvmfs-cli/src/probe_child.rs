//! Probing from a forked child. A thread whose FUSE request was already read by a hung
//! server waits uninterruptibly for the answer, and a process cannot finish exiting while
//! one of its threads does: a `check` that probed in-process would print "hung" in time
//! and then never exit. The child probes and writes one JSON line; the parent reads that
//! line against a deadline and is free to exit, whatever state the child is left in.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use cvmfs_core::MountPlan;
use cvmfs_mount::Engine;
use cvmfs_mount::probe::ProbeResult;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::ForkResult;

use crate::error::CliError;

fn probe_error(message: String) -> CliError {
    CliError::Probe { message }
}

/// Probes `plan` in a child process. Must be called while this process has one thread.
pub fn probe_in_child(engine: &Engine, plan: &MountPlan) -> Result<Vec<ProbeResult>, CliError> {
    let (read, write) = nix::unistd::pipe().map_err(|e| probe_error(format!("pipe: {e}")))?;
    // SAFETY: `check` calls this before it starts any thread, so the child is a complete
    // copy of a single-threaded process; the child only runs the probe, writes to its
    // pipe and leaves with `_exit`, never returning into the parent's code.
    match unsafe { nix::unistd::fork() }.map_err(|e| probe_error(format!("fork: {e}")))? {
        ForkResult::Child => {
            drop(read);
            let line = match engine.probe(plan) {
                Ok(results) => serde_json::to_string(&results).unwrap_or_default(),
                Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
            };
            let mut file = std::fs::File::from(write);
            let _ = writeln!(file, "{line}");
            let _ = file.flush();
            // SAFETY: `_exit` ends the child at once, without running the parent's exit
            // handlers a second time; a thread stuck on a hung mount does not matter here.
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { .. } => {
            drop(write);
            read_result(
                read,
                engine.options().probe_timeout + Duration::from_secs(2),
            )
        }
    }
}

fn read_result(read: OwnedFd, limit: Duration) -> Result<Vec<ProbeResult>, CliError> {
    let deadline = Instant::now() + limit;
    let ready = {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(read.as_fd(), PollFlags::POLLIN)];
        let millis = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        poll(&mut fds, PollTimeout::from(millis)).map_err(|e| probe_error(format!("poll: {e}")))?
    };
    if ready == 0 {
        return Err(probe_error(format!(
            "the probe did not report within {limit:?}"
        )));
    }
    let mut line = String::new();
    BufReader::new(std::fs::File::from(read))
        .read_line(&mut line)
        .map_err(|e| probe_error(format!("reading the probe: {e}")))?;
    if let Ok(results) = serde_json::from_str::<Vec<ProbeResult>>(&line) {
        return Ok(results);
    }
    let error: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    Err(probe_error(
        error["error"]
            .as_str()
            .unwrap_or("the probe ended without a result")
            .to_owned(),
    ))
}
