//! Running one command as a child with the caller's signals forwarded to it, and turning
//! its end into an exit status (shared by `exec` and `image run`).

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use cvmfs_mount::container::signals::SignalForwarder;
use nix::unistd::Pid;

use crate::exit_code;

/// Runs `program` with `args`, forwarding every signal `forwarder` caught to it until it
/// ends.
pub fn run<S: AsRef<OsStr>>(
    program: &OsStr,
    args: &[S],
    forwarder: &SignalForwarder,
) -> std::io::Result<ExitStatus> {
    let mut child = Command::new(program).args(args).spawn()?;
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        forwarder.forward_to(pid);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The exit status to pass on: the child's code, or 128 + the signal that killed it.
pub fn exit_status(status: ExitStatus) -> u8 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(exit_code::INTERNAL)
}
