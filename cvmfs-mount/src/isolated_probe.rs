//! Probing from a forked child process. A thread whose FUSE request was already read by
//! a hung server waits for the answer uninterruptibly, and a process cannot finish
//! exiting while one of its threads does: a caller that probed in-process would learn
//! "hung" in time and then never exit (a Python interpreter becomes an unkillable zombie).
//! The child probes and writes one JSON line; the parent reads that line against a
//! deadline and stays free to exit, whatever state the child is left in. A child that
//! finishes is reaped at once; one stuck on a hung mount is reaped by a background thread
//! when the mount is repaired or aborted.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use cvmfs_core::MountPlan;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};

use crate::engine::Engine;
use crate::error::MountError;
use crate::probe::ProbeResult;
use crate::sys::children::{self, SpawnGuard};

/// How long after its deadline the parent still waits for the child's report: the child
/// starts its own probe timeouts only once it runs.
const REPORT_GRACE: Duration = Duration::from_secs(2);

/// How long the parent waits for a child that reported to finish exiting before a
/// background thread takes over reaping it.
const EXIT_GRACE: Duration = Duration::from_millis(100);

impl Engine {
    /// Probes `plan` in a forked child (see the module documentation); the results are
    /// those of [`Engine::probe`]. In the child only this engine's probe runs (memory
    /// allocation, threads, `getxattr`, a pipe write) before `_exit`: safe after `fork`
    /// in a single-threaded process, and with glibc's fork-safe allocator in one with
    /// other threads (such as a Python interpreter) as long as no other lock is needed.
    pub fn probe_isolated(&self, plan: &MountPlan) -> Result<Vec<ProbeResult>, MountError> {
        let (read, write) = nix::unistd::pipe().map_err(|errno| MountError::ProbePipe { errno })?;
        let guard = SpawnGuard::new();
        // SAFETY: the child runs only the probe (see above), writes its pipe and leaves
        // with `_exit`, never returning into the caller's code or running its exit
        // handlers (its copy of `guard` is never dropped); the parent only closes its
        // copy of the write end.
        match unsafe { nix::unistd::fork() }.map_err(|errno| MountError::ProbeFork { errno })? {
            ForkResult::Child => {
                drop(read);
                close_inherited(write.as_raw_fd());
                let line = match self.probe(plan) {
                    Ok(results) => serde_json::to_string(&results).unwrap_or_default(),
                    Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
                };
                let mut file = std::fs::File::from(write);
                let _ = writeln!(file, "{line}");
                let _ = file.flush();
                // SAFETY: `_exit` ends the child at once without the parent's exit
                // handlers; a thread stuck on a hung mount does not matter here.
                unsafe { nix::libc::_exit(0) }
            }
            ForkResult::Parent { child } => {
                guard.own(child.as_raw().unsigned_abs());
                drop(write);
                let result = read_report(read, self.options().probe_timeout + REPORT_GRACE);
                reap(child);
                result
            }
        }
    }
}

/// Closes every descriptor the child inherited except its report pipe. A child stuck on
/// a hung mount would otherwise keep the caller's pipes open (its standard output, for
/// one): whoever reads them to the end, such as a shell's `$(...)` or Python's
/// `subprocess`, would wait for the stuck child although the caller has exited.
fn close_inherited(keep: RawFd) {
    let open: Vec<RawFd> = match std::fs::read_dir("/proc/self/fd") {
        Ok(entries) => entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => return,
    };
    for fd in open.into_iter().filter(|fd| *fd != keep) {
        // EBADF for the listing's own descriptor, already closed: nothing to do.
        let _ = nix::unistd::close(fd);
    }
}

fn read_report(read: OwnedFd, limit: Duration) -> Result<Vec<ProbeResult>, MountError> {
    let mut fds = [PollFd::new(read.as_fd(), PollFlags::POLLIN)];
    let millis = u16::try_from(limit.as_millis()).unwrap_or(u16::MAX);
    let ready = poll(&mut fds, PollTimeout::from(millis))
        .map_err(|errno| MountError::ProbeWait { errno })?;
    if ready == 0 {
        return Err(MountError::ProbeNoReport { limit });
    }
    let mut line = String::new();
    BufReader::new(std::fs::File::from(read))
        .read_line(&mut line)
        .map_err(|source| MountError::ProbeRead { source })?;
    if let Ok(results) = serde_json::from_str::<Vec<ProbeResult>>(&line) {
        return Ok(results);
    }
    let error: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    Err(MountError::ProbeChildFailed {
        message: error["error"]
            .as_str()
            .unwrap_or("the probe process ended without a result")
            .to_owned(),
    })
}

/// Reaps the child if it exits within [`EXIT_GRACE`]; otherwise a background thread
/// waits for it (it is stuck on a hung mount until that mount is repaired or aborted).
fn reap(child: Pid) {
    let deadline = Instant::now() + EXIT_GRACE;
    loop {
        match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_micros(200));
            }
            Ok(WaitStatus::StillAlive) => break,
            Ok(_) | Err(Errno::ECHILD) => return children::release(child.as_raw().unsigned_abs()),
            Err(Errno::EINTR) => {}
            Err(_) => return children::release(child.as_raw().unsigned_abs()),
        }
    }
    let spawned = std::thread::Builder::new()
        .name("cvmfs-probe-reaper".to_owned())
        .spawn(move || {
            while let Err(Errno::EINTR) = waitpid(child, None) {}
            children::release(child.as_raw().unsigned_abs());
        });
    if let Err(e) = spawned {
        log::warn!("cannot start a thread to reap probe process {child}: {e}");
    }
}
