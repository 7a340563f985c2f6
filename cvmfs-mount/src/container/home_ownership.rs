//! Giving a remapped user their files: change the owner of what the old ids own in the
//! home directory, without following symlinks, without entering other filesystems, and
//! never through a bind-mounted host file or directory. The walk is logic over a narrow
//! [`HomeTree`] trait, so it is tested without privileges against an in-memory tree.

use std::collections::HashSet;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::unistd::{Gid, Uid};
use serde::{Deserialize, Serialize};

use crate::error::MountError;
use crate::mount_table::TableText;
use crate::sys::MountOps;

/// What the walk needs to know of one entry (from `lstat`, never following a symlink).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta {
    /// The device it is on.
    pub dev: u64,
    /// Its owner.
    pub uid: u32,
    /// Its group.
    pub gid: u32,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// The filesystem operations of the walk.
pub trait HomeTree {
    /// `lstat` of `path`.
    fn metadata(&self, path: &Path) -> io::Result<EntryMeta>;
    /// The entries of directory `path`.
    fn children(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// Changes the owner and/or group of `path` itself (a symlink, not its target).
    fn chown(&self, path: &Path, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno>;
    /// The mountpoints at or below `home` (bind mounts from the host are among them).
    fn mountpoints_under(&self, home: &Path) -> HashSet<PathBuf>;
}

/// The real filesystem, with the mount table read through `ops`.
#[derive(Debug, Clone, Copy)]
pub struct HostTree<'a> {
    /// The system calls the mount table is read with.
    pub ops: &'a dyn MountOps,
}

impl HomeTree for HostTree<'_> {
    fn metadata(&self, path: &Path) -> io::Result<EntryMeta> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(EntryMeta {
            dev: meta.dev(),
            uid: meta.uid(),
            gid: meta.gid(),
            is_dir: meta.is_dir(),
        })
    }

    fn children(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(std::fs::read_dir(path)?
            .flatten()
            .map(|e| e.path())
            .collect())
    }

    fn chown(&self, path: &Path, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
        nix::unistd::fchownat(
            nix::fcntl::AT_FDCWD,
            path,
            uid.map(Uid::from_raw),
            gid.map(Gid::from_raw),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
    }

    fn mountpoints_under(&self, home: &Path) -> HashSet<PathBuf> {
        TableText::read(self.ops)
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
            .unwrap_or_default()
    }
}

/// What the walk did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipReport {
    /// Entries looked at.
    pub visited: u64,
    /// Entries whose owner changed.
    pub changed: u64,
    /// Mountpoints (bind mounts from the host) and other filesystems left alone.
    pub skipped_mounts: Vec<PathBuf>,
    /// Why the walk did not happen, when it did not.
    pub not_walked: Option<String>,
}

/// Changes `from` ids to `to` ids below `home`. Nothing is walked when the ids do not
/// change, or when the home directory already belongs to `to` (a previous start, or a
/// home prepared for these ids): a large home costs nothing on every start. The home
/// directory's own owner changes last, so a walk that stops part-way (a `chown` error)
/// is walked again on the next start instead of being taken for finished.
pub fn chown_home(
    tree: &dyn HomeTree,
    home: &Path,
    from: (u32, u32),
    to: (u32, u32),
) -> Result<OwnershipReport, MountError> {
    let mut report = OwnershipReport::default();
    if from == to {
        report.not_walked = Some("the ids did not change".to_owned());
        return Ok(report);
    }
    let root = match tree.metadata(home) {
        Ok(meta) if meta.is_dir => meta,
        Ok(_) | Err(_) => {
            report.not_walked = Some(format!("{} is not a directory", home.display()));
            return Ok(report);
        }
    };
    if (root.uid, root.gid) == to {
        report.not_walked = Some(format!(
            "{} already belongs to {}:{}",
            home.display(),
            to.0,
            to.1
        ));
        return Ok(report);
    }
    let mountpoints = tree.mountpoints_under(home);
    let change = |path: &Path, meta: &EntryMeta, report: &mut OwnershipReport| {
        let uid = (meta.uid == from.0).then_some(to.0);
        let gid = (meta.gid == from.1).then_some(to.1);
        if uid.is_none() && gid.is_none() {
            return Ok(());
        }
        tree.chown(path, uid, gid)
            .map_err(|errno| MountError::Chown {
                path: path.to_owned(),
                errno,
            })?;
        report.changed += 1;
        Ok(())
    };
    report.visited += 1;
    let mut pending = tree.children(home).unwrap_or_default();
    while let Some(path) = pending.pop() {
        if mountpoints.contains(&path) {
            report.skipped_mounts.push(path);
            continue;
        }
        let Ok(meta) = tree.metadata(&path) else {
            continue;
        };
        if meta.dev != root.dev {
            report.skipped_mounts.push(path);
            continue;
        }
        report.visited += 1;
        change(&path, &meta, &mut report)?;
        if meta.is_dir {
            pending.extend(tree.children(&path).unwrap_or_default());
        }
    }
    change(home, &root, &mut report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// An in-memory tree: paths with their metadata; `fail` makes chown of one path fail.
    #[derive(Default)]
    struct MemoryTree {
        entries: Mutex<BTreeMap<PathBuf, EntryMeta>>,
        mounts: HashSet<PathBuf>,
        fail: Option<PathBuf>,
        chowned: Mutex<Vec<PathBuf>>,
    }

    impl MemoryTree {
        fn add(&mut self, path: &str, dev: u64, ids: (u32, u32), is_dir: bool) {
            self.entries.get_mut().unwrap().insert(
                PathBuf::from(path),
                EntryMeta {
                    dev,
                    uid: ids.0,
                    gid: ids.1,
                    is_dir,
                },
            );
        }

        fn owner(&self, path: &str) -> (u32, u32) {
            let entries = self.entries.lock().unwrap();
            let meta = entries[Path::new(path)];
            (meta.uid, meta.gid)
        }
    }

    impl HomeTree for MemoryTree {
        fn metadata(&self, path: &Path) -> io::Result<EntryMeta> {
            self.entries
                .lock()
                .unwrap()
                .get(path)
                .copied()
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        }

        fn children(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
            Ok(self
                .entries
                .lock()
                .unwrap()
                .keys()
                .filter(|p| p.parent() == Some(path))
                .cloned()
                .collect())
        }

        fn chown(&self, path: &Path, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
            if self.fail.as_deref() == Some(path) {
                return Err(Errno::EPERM);
            }
            let mut entries = self.entries.lock().unwrap();
            let meta = entries.get_mut(path).ok_or(Errno::ENOENT)?;
            meta.uid = uid.unwrap_or(meta.uid);
            meta.gid = gid.unwrap_or(meta.gid);
            self.chowned.lock().unwrap().push(path.to_owned());
            Ok(())
        }

        fn mountpoints_under(&self, _home: &Path) -> HashSet<PathBuf> {
            self.mounts.clone()
        }
    }

    const OLD: (u32, u32) = (1000, 1000);
    const NEW: (u32, u32) = (4242, 4343);

    fn home() -> MemoryTree {
        let mut tree = MemoryTree::default();
        tree.add("/home/u", 1, OLD, true);
        tree.add("/home/u/a", 1, OLD, false);
        tree.add("/home/u/sub", 1, OLD, true);
        tree.add("/home/u/sub/b", 1, (1000, 50), false);
        tree.add("/home/u/root-owned", 1, (0, 0), false);
        tree.add("/home/u/.globus", 1, OLD, true); // a bind mount from the host
        tree.add("/home/u/.globus/key.pem", 1, OLD, false);
        tree.add("/home/u/scratch", 2, OLD, true); // another filesystem
        tree.add("/home/u/scratch/c", 2, OLD, false);
        tree.mounts.insert(PathBuf::from("/home/u/.globus"));
        tree
    }

    #[test]
    fn changes_only_the_old_ids_and_leaves_mounts_and_other_filesystems_alone() {
        let tree = home();
        let report = chown_home(&tree, Path::new("/home/u"), OLD, NEW).unwrap();
        assert_eq!(tree.owner("/home/u"), NEW);
        assert_eq!(tree.owner("/home/u/a"), NEW);
        assert_eq!(tree.owner("/home/u/sub/b"), (4242, 50));
        assert_eq!(tree.owner("/home/u/root-owned"), (0, 0));
        assert_eq!(tree.owner("/home/u/.globus/key.pem"), OLD);
        assert_eq!(tree.owner("/home/u/scratch/c"), OLD);
        assert_eq!(report.changed, 4);
        let mut skipped = report.skipped_mounts.clone();
        skipped.sort();
        assert_eq!(
            skipped,
            [
                PathBuf::from("/home/u/.globus"),
                PathBuf::from("/home/u/scratch")
            ]
        );
        // The home itself changes last.
        assert_eq!(
            tree.chowned.lock().unwrap().last().unwrap(),
            Path::new("/home/u")
        );
    }

    #[test]
    fn an_owned_home_is_not_walked_and_unchanged_ids_do_nothing() {
        let tree = home();
        let again = MemoryTree {
            entries: Mutex::new(tree.entries.lock().unwrap().clone()),
            ..MemoryTree::default()
        };
        again
            .entries
            .lock()
            .unwrap()
            .get_mut(Path::new("/home/u"))
            .unwrap()
            .uid = NEW.0;
        again
            .entries
            .lock()
            .unwrap()
            .get_mut(Path::new("/home/u"))
            .unwrap()
            .gid = NEW.1;
        let report = chown_home(&again, Path::new("/home/u"), OLD, NEW).unwrap();
        assert!(
            report
                .not_walked
                .unwrap()
                .contains("already belongs to 4242:4343")
        );
        assert!(again.chowned.lock().unwrap().is_empty());
        let report = chown_home(&tree, Path::new("/home/u"), OLD, OLD).unwrap();
        assert_eq!(report.not_walked.as_deref(), Some("the ids did not change"));
    }

    #[test]
    fn a_walk_that_stops_part_way_is_finished_by_the_next_start() {
        let mut tree = home();
        tree.fail = Some(PathBuf::from("/home/u/sub/b"));
        let error = chown_home(&tree, Path::new("/home/u"), OLD, NEW).unwrap_err();
        assert!(error.to_string().contains("/home/u/sub/b"), "{error}");
        assert_eq!(tree.owner("/home/u"), OLD, "the home keeps its old owner");
        tree.fail = None;
        let report = chown_home(&tree, Path::new("/home/u"), OLD, NEW).unwrap();
        assert!(report.not_walked.is_none());
        assert_eq!(tree.owner("/home/u/sub/b"), (4242, 50));
        assert_eq!(tree.owner("/home/u"), NEW);
    }
}
