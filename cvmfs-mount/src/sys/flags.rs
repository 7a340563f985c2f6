//! The `mount(2)` flag sets the engine uses, in one table: each kind of call the engine
//! makes has one constant or function here, and the simulated kernel ([`super::FakeOps`])
//! reads the same table to decide what a call means.

use cvmfs_core::Propagation;
use nix::mount::MsFlags;

/// Every propagation kind; a call that changes propagation carries exactly one of them
/// (plus, optionally, [`MsFlags::MS_REC`]) and nothing else.
pub const PROPAGATION_KINDS: MsFlags = MsFlags::MS_SHARED
    .union(MsFlags::MS_SLAVE)
    .union(MsFlags::MS_PRIVATE)
    .union(MsFlags::MS_UNBINDABLE);

/// A bind of one mount.
pub const BIND: MsFlags = MsFlags::MS_BIND;

/// A bind of a mount with everything below it.
pub const RECURSIVE_BIND: MsFlags = MsFlags::MS_BIND.union(MsFlags::MS_REC);

/// The remount that makes a bind read-only (only the bind, not the filesystem).
pub const REMOUNT_BIND_READ_ONLY: MsFlags = MsFlags::MS_REMOUNT
    .union(MsFlags::MS_BIND)
    .union(MsFlags::MS_RDONLY);

/// The flags of a client-shaped FUSE mount: read-only, no set-uid programs, no devices
/// (what the client's own mounts show as `ro,nosuid,nodev`).
pub const CLIENT_FUSE_MOUNT: MsFlags = MsFlags::MS_RDONLY
    .union(MsFlags::MS_NOSUID)
    .union(MsFlags::MS_NODEV);

/// The flags for one `mount(2)` call that changes only propagation.
pub fn propagation_flags(propagation: Propagation) -> MsFlags {
    let kind = match propagation {
        Propagation::Private | Propagation::RPrivate => MsFlags::MS_PRIVATE,
        Propagation::Slave | Propagation::RSlave => MsFlags::MS_SLAVE,
        Propagation::Shared | Propagation::RShared => MsFlags::MS_SHARED,
        Propagation::Unbindable | Propagation::RUnbindable => MsFlags::MS_UNBINDABLE,
    };
    if propagation.is_recursive() {
        kind | MsFlags::MS_REC
    } else {
        kind
    }
}

/// The bind flags, recursive or not.
pub fn bind_flags(recursive: bool) -> MsFlags {
    if recursive { RECURSIVE_BIND } else { BIND }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_propagation_is_one_kind_with_rec_when_recursive() {
        for propagation in [
            Propagation::Private,
            Propagation::RPrivate,
            Propagation::Slave,
            Propagation::RSlave,
            Propagation::Shared,
            Propagation::RShared,
            Propagation::Unbindable,
            Propagation::RUnbindable,
        ] {
            let flags = propagation_flags(propagation);
            assert_eq!((flags & PROPAGATION_KINDS).bits().count_ones(), 1);
            assert_eq!(flags.contains(MsFlags::MS_REC), propagation.is_recursive());
            assert!((flags - PROPAGATION_KINDS - MsFlags::MS_REC).is_empty());
        }
    }
}
