//! Giving a remapped user their files: change the owner of what the old ids own in the
//! home directory, without following symlinks, without entering other filesystems, and
//! never through a bind-mounted host file or directory.

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Uid};
use serde::{Deserialize, Serialize};

use crate::error::MountError;
use crate::mount_table::TableText;
use crate::sys::LinuxOps;

/// What the walk did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipReport {
    /// Entries looked at.
    pub visited: u64,
    /// Entries whose owner changed.
    pub changed: u64,
    /// Mountpoints (bind mounts from the host) left alone.
    pub skipped_mounts: Vec<PathBuf>,
    /// Why the walk did not happen, when it did not.
    pub not_walked: Option<String>,
}

/// Changes `from` ids to `to` ids below `home`. Nothing is walked when the ids do not
/// change, or when the home directory already belongs to `to` (a previous start, or a
/// home prepared for these ids): a large home costs nothing on every start.
pub fn chown_home(
    home: &Path,
    from: (u32, u32),
    to: (u32, u32),
) -> Result<OwnershipReport, MountError> {
    let mut report = OwnershipReport::default();
    if from == to {
        report.not_walked = Some("the ids did not change".to_owned());
        return Ok(report);
    }
    let root = match std::fs::symlink_metadata(home) {
        Ok(meta) if meta.is_dir() => meta,
        Ok(_) | Err(_) => {
            report.not_walked = Some(format!("{} is not a directory", home.display()));
            return Ok(report);
        }
    };
    if (root.uid(), root.gid()) == to {
        report.not_walked = Some(format!(
            "{} already belongs to {}:{}",
            home.display(),
            to.0,
            to.1
        ));
        return Ok(report);
    }
    let mountpoints: HashSet<PathBuf> = TableText::read(&LinuxOps)
        .ok()
        .and_then(|mut text| {
            text.parse().ok().map(|table| {
                table
                    .mounts_under(home.as_os_str().as_bytes())
                    .into_iter()
                    .map(|m| m.mount_point_path().to_owned())
                    .collect()
            })
        })
        .unwrap_or_default();
    let device = root.dev();
    let mut pending = vec![home.to_owned()];
    while let Some(path) = pending.pop() {
        if path != home && mountpoints.contains(&path) {
            report.skipped_mounts.push(path);
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.dev() != device {
            report.skipped_mounts.push(path);
            continue;
        }
        report.visited += 1;
        let uid = (meta.uid() == from.0).then_some(Uid::from_raw(to.0));
        let gid = (meta.gid() == from.1).then_some(Gid::from_raw(to.1));
        if uid.is_some() || gid.is_some() {
            nix::unistd::fchownat(
                nix::fcntl::AT_FDCWD,
                &path,
                uid,
                gid,
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            )
            .map_err(|errno| MountError::Chown {
                path: path.clone(),
                errno,
            })?;
            report.changed += 1;
        }
        if meta.is_dir()
            && let Ok(entries) = std::fs::read_dir(&path)
        {
            pending.extend(entries.flatten().map(|e| e.path()));
        }
    }
    Ok(report)
}
