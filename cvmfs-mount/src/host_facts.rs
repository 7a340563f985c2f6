//! Facts about the host that preflight checks judge: gathered once (I/O), judged by
//! pure functions.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Owner and mode of a device node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAccess {
    /// Permission bits.
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
}

impl DeviceAccess {
    /// Whether a user with these ids (`None`: unknown user) can read and write it.
    pub fn read_write_for(&self, ids: Option<(u32, u32)>) -> bool {
        match ids {
            Some((0, _)) => true,
            Some((uid, _)) if uid == self.uid => self.mode & 0o600 == 0o600,
            Some((_, gid)) if gid == self.gid => self.mode & 0o060 == 0o060,
            _ => self.mode & 0o006 == 0o006,
        }
    }
}

/// What preflight checks need to know about the host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// Effective uid 0.
    pub is_root: bool,
    /// The asked-about paths that are executable files.
    pub executables: Vec<PathBuf>,
    /// `/dev/fuse`, if it exists.
    pub dev_fuse: Option<DeviceAccess>,
    /// Users looked up: name, uid, gid.
    pub users: Vec<(String, u32, u32)>,
    /// The hard limit on open files.
    pub nofile_hard: Option<u64>,
}

impl HostFacts {
    /// Gathers the facts, checking `paths` for executability and looking up `users`.
    pub fn gather(paths: &[&Path], users: &[&str]) -> Self {
        let executables = paths
            .iter()
            .filter(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
            .map(|p| p.to_path_buf())
            .collect();
        let dev_fuse = std::fs::metadata("/dev/fuse").ok().map(|m| DeviceAccess {
            mode: m.mode() & 0o777,
            uid: m.uid(),
            gid: m.gid(),
        });
        let users = users
            .iter()
            .filter_map(|name| {
                let user = nix::unistd::User::from_name(name).ok().flatten()?;
                Some(((*name).to_owned(), user.uid.as_raw(), user.gid.as_raw()))
            })
            .collect();
        let nofile_hard =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                .ok()
                .map(|(_, hard)| hard);
        Self {
            is_root: nix::unistd::geteuid().is_root(),
            executables,
            dev_fuse,
            users,
            nofile_hard,
        }
    }

    /// Whether `path` was found executable.
    pub fn executable(&self, path: &Path) -> bool {
        self.executables.iter().any(|p| p == path)
    }

    /// A looked-up user's uid and gid.
    pub fn user_ids(&self, name: &str) -> Option<(u32, u32)> {
        self.users
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, uid, gid)| (*uid, *gid))
    }
}

/// Whether an executable named `name` is on `PATH`.
pub fn in_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_access_follows_owner_group_other() {
        let fuse = DeviceAccess {
            mode: 0o660,
            uid: 0,
            gid: 50,
        };
        assert!(fuse.read_write_for(Some((0, 0))));
        assert!(fuse.read_write_for(Some((997, 50))));
        assert!(!fuse.read_write_for(Some((997, 997))));
        assert!(!fuse.read_write_for(None));
        let open = DeviceAccess {
            mode: 0o666,
            ..fuse
        };
        assert!(open.read_write_for(None));
    }
}
