//! What this host has, gathered once: identity and capabilities, `/dev/fuse`, user
//! namespaces, installed programs, users, limits, security modules, the container engine
//! and the propagation of `/`. [`crate::sys::MountOps::host_facts`] gathers them (the
//! real host in [`crate::sys::LinuxOps`], preset facts in [`crate::sys::FakeOps`]);
//! preflight checks and `doctor` judge them with pure functions.

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

/// What a caller wants looked up besides the facts every host has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactRequest {
    /// Paths to check for executability.
    pub executables: Vec<PathBuf>,
    /// User names to look up.
    pub users: Vec<String>,
}

/// The facts of one host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// Effective uid 0.
    pub is_root: bool,
    /// CAP_SYS_ADMIN in the effective set.
    pub cap_sys_admin: bool,
    /// `/dev/fuse`, if it exists.
    pub dev_fuse: Option<DeviceAccess>,
    /// `/dev/fuse` opens for reading and writing for this process.
    pub dev_fuse_usable: bool,
    /// User namespaces can be created (`max_user_namespaces` > 0).
    pub user_namespaces: bool,
    /// `fusermount3` is on PATH.
    pub fusermount3: bool,
    /// The asked-about paths that are executable files.
    pub executables: Vec<PathBuf>,
    /// Users looked up: name, uid, gid.
    pub users: Vec<(String, u32, u32)>,
    /// The hard limit on open files.
    pub nofile_hard: Option<u64>,
    /// SELinux mode, when SELinux is on.
    pub selinux: Option<String>,
    /// This process's AppArmor profile, when AppArmor is on.
    pub apparmor: Option<String>,
    /// The container engine this runs in, when one is detected.
    pub container: Option<String>,
    /// The propagation of `/` as the mount table shows it (`shared`, `slave`, ...).
    pub root_propagation: Option<String>,
}

/// The places the client's mount helper is installed.
pub const HELPER_PATHS: [&str; 2] = ["/sbin/mount.cvmfs", "/usr/sbin/mount.cvmfs"];

/// Where the client binary is installed.
pub const CLIENT_PATH: &str = "/usr/bin/cvmfs2";

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn has_cap_sys_admin() -> bool {
    read("/proc/self/status")
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << 21) != 0)
}

fn container_engine() -> Option<String> {
    if Path::new("/run/.containerenv").exists() {
        return Some("podman".to_owned());
    }
    if Path::new("/.dockerenv").exists() {
        return Some("docker".to_owned());
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return Some("kubernetes".to_owned());
    }
    if let Ok(value) = std::env::var("container") {
        return Some(value);
    }
    let cgroup = read("/proc/1/cgroup").unwrap_or_default();
    ["docker", "kubepods", "libpod", "containerd"]
        .into_iter()
        .find(|k| cgroup.contains(k))
        .map(str::to_owned)
}

impl HostFacts {
    /// Gathers the facts of the real host, checking `request.executables` and looking up
    /// `request.users`; `root_propagation` is the caller's to fill from its mount table.
    pub fn gather(request: &FactRequest) -> Self {
        let dev_fuse = std::fs::metadata("/dev/fuse").ok().map(|m| DeviceAccess {
            mode: m.mode() & 0o777,
            uid: m.uid(),
            gid: m.gid(),
        });
        let users = request
            .users
            .iter()
            .filter_map(|name| {
                let user = nix::unistd::User::from_name(name).ok().flatten()?;
                Some((name.clone(), user.uid.as_raw(), user.gid.as_raw()))
            })
            .collect();
        Self {
            is_root: nix::unistd::geteuid().is_root(),
            cap_sys_admin: has_cap_sys_admin(),
            dev_fuse,
            dev_fuse_usable: std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/fuse")
                .is_ok(),
            user_namespaces: read("/proc/sys/user/max_user_namespaces")
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n > 0),
            fusermount3: in_path("fusermount3"),
            executables: request
                .executables
                .iter()
                .filter(|p| is_executable(p))
                .cloned()
                .collect(),
            users,
            nofile_hard: nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                .ok()
                .map(|(_, hard)| hard),
            selinux: read("/sys/fs/selinux/enforce")
                .map(|v| if v == "1" { "enforcing" } else { "permissive" }.to_owned()),
            apparmor: read("/sys/module/apparmor/parameters/enabled")
                .filter(|v| v == "Y")
                .map(|_| read("/proc/self/attr/current").unwrap_or_else(|| "unknown".to_owned())),
            container: container_engine(),
            root_propagation: None,
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

    /// Whether this process may mount (root, or CAP_SYS_ADMIN).
    pub fn can_mount(&self) -> bool {
        self.is_root || self.cap_sys_admin
    }

    /// Whether FUSE mounts can be made here now.
    pub fn can_mount_fuse(&self) -> bool {
        self.dev_fuse_usable && self.can_mount()
    }
}

/// Whether an executable named `name` is on `PATH`.
pub fn in_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(name)))
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
