//! Entering a user namespace in which the calling user is root, so an unprivileged user
//! can make FUSE mounts (the way `exec` and the Python `snapshot()` run without root).

use std::path::{Path, PathBuf};

use cvmfs_core::Propagation;
use cvmfs_core::remap::{IdMapping, render_id_map};
use nix::mount::mount;
use nix::sched::{CloneFlags, unshare};
use nix::unistd::{getgid, getuid};

use crate::error::MountError;
use crate::sys::flags::propagation_flags;

/// Moves this process into a new user and mount namespace, maps the caller's uid and gid
/// to 0 inside it, and makes `/` a recursive slave: host mount events arrive, ours never
/// leave. The kernel refuses when the process already has threads, so call it first.
pub fn enter_as_root() -> Result<(), MountError> {
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
        .map_err(|errno| MountError::EnterUserNamespace { errno })?;
    let write = |file: &str, text: &str| {
        std::fs::write(file, text).map_err(|source| MountError::WriteFile {
            path: PathBuf::from(file),
            source,
        })
    };
    let map_to_root = |outside| {
        render_id_map(&[IdMapping {
            inside: 0,
            outside,
            count: 1,
        }])
        .map_err(|source| MountError::Remap { source })
    };
    // Without "deny", an unprivileged process may not write its gid_map.
    write("/proc/self/setgroups", "deny")?;
    write("/proc/self/uid_map", &map_to_root(uid)?)?;
    write("/proc/self/gid_map", &map_to_root(gid)?)?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        propagation_flags(Propagation::RSlave),
        None::<&str>,
    )
    .map_err(|errno| MountError::SetPropagation {
        target: Path::new("/").to_owned(),
        propagation: Propagation::RSlave,
        errno,
    })
}
