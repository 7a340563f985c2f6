//! What a container's PID 1 owes its command: start it with every privilege dropped,
//! forward signals to it, reap orphaned zombies, and report its exit status.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Gid, Pid, Uid};

use crate::container::signals::{SignalForwarder, status_of};
use crate::sys::children::reap_orphans;

/// Who the command runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user's name.
    pub user: String,
    /// Its uid.
    pub uid: u32,
    /// Its primary gid.
    pub gid: u32,
    /// Its supplementary groups (the primary one included).
    pub groups: Vec<u32>,
    /// Its home directory.
    pub home: PathBuf,
}

/// Starts `command` as `who`: bounding set emptied, groups, gid and uid set (the uid
/// change clears the other capability sets), and no way back (`no_new_privs`).
pub fn spawn_unprivileged(
    command: &[OsString],
    who: &Credentials,
) -> io::Result<std::process::Child> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command"))?;
    let groups: Vec<Gid> = who.groups.iter().map(|g| Gid::from_raw(*g)).collect();
    let (uid, gid) = (Uid::from_raw(who.uid), Gid::from_raw(who.gid));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("HOME", &who.home)
        .env("USER", &who.user)
        .env("LOGNAME", &who.user)
        .current_dir(if who.home.is_dir() {
            who.home.clone()
        } else {
            PathBuf::from("/")
        });
    // SAFETY: the closure runs in the child between fork and exec and only makes system
    // calls (prctl, setgroups, setgid, setuid) on data prepared before the fork; it does
    // not allocate or take locks. nix has no wrapper for PR_CAPBSET_DROP, so prctl is
    // called directly with integer arguments only.
    unsafe {
        cmd.pre_exec(move || {
            // Empty the capability bounding set while still privileged (CAP_SETPCAP).
            for capability in 0..=63 {
                if nix::libc::prctl(nix::libc::PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 {
                    // EINVAL: past the kernel's last capability.
                    break;
                }
            }
            nix::unistd::setgroups(&groups)?;
            nix::unistd::setgid(gid)?;
            nix::unistd::setuid(uid)?;
            nix::sys::prctl::set_no_new_privs()?;
            Ok(())
        });
    }
    cmd.spawn()
}

/// Waits for `child`, forwarding the signals `forwarder` catches to it and reaping the
/// orphans that end (as PID 1 must). Children another thread waits for by pid (a mount
/// helper run by the watch, a server's reaper) are left to it, so their exit status is
/// never stolen. Returns the command's exit code, or 128 + the signal that ended it.
pub fn supervise(child: std::process::Child, forwarder: &SignalForwarder) -> io::Result<i32> {
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    loop {
        forwarder.forward_to(pid);
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, signal, _)) => return Ok(status_of(signal)),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
        reap_orphans(pid);
        std::thread::sleep(Duration::from_millis(10));
    }
}
