//! What the two backends that start a FUSE server per repository (`native`, `snapshot`)
//! share: what the host must offer to mount FUSE, and starting a server and reading its
//! readiness line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backend::Requirement;
use crate::error::MountError;
use crate::host_facts::HostFacts;
use crate::sys::{MountOps, ServerSpawn, ServerStart};

/// What keeps this host from mounting FUSE: no `/dev/fuse`, or neither root nor
/// `fusermount3`.
pub(crate) fn fuse_requirements(facts: &HostFacts) -> Vec<Requirement> {
    let mut needs = Vec::new();
    if facts.dev_fuse.is_none() {
        needs.push(Requirement::blocking(
            "/dev/fuse does not exist",
            "pass --device /dev/fuse to the container",
        ));
    }
    if !facts.is_root && !facts.fusermount3 {
        needs.push(Requirement::blocking(
            "not root and fusermount3 is missing",
            "run as root, in a user namespace (unshare -rm), or install fuse3",
        ));
    }
    needs
}

/// Starts `program args` and waits up to `ready_timeout` for its readiness line: the
/// server's pid and what it said after it, or the error `failed` makes of its message.
pub(crate) fn start_server(
    ops: &dyn MountOps,
    program: &Path,
    args: Vec<OsString>,
    ready_timeout: Duration,
    failed: impl Fn(String) -> MountError,
) -> Result<(u32, String), MountError> {
    let spawn = ServerSpawn {
        program: PathBuf::from(program),
        args,
        ready_timeout,
    };
    let started = ops
        .spawn_server(&spawn)
        .map_err(|source| MountError::Spawn {
            program: program.to_owned(),
            source,
        })?;
    match started {
        ServerStart::Ready { pid, note } => Ok((pid, note)),
        ServerStart::Failed { message } => Err(failed(message)),
        ServerStart::TimedOut => Err(failed(format!(
            "not ready within {ready_timeout:?}; killed"
        ))),
    }
}
