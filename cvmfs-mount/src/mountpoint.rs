//! Creating mountpoints below the mount root without following symlinks, and refusing
//! to hide files.

use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;

use crate::error::MountError;
use crate::sys::{MountOps, PathKind};

/// Makes sure `target` exists as a directory, creating missing directories one by one.
/// From `root` down, no component may be a symlink (a symlink planted at
/// `/cvmfs/cms.cern.ch` pointing at `/etc` is refused) or anything but a directory.
/// Ancestors of `root` are the administrator's and are created if missing. Returns the
/// directories it created, outermost first (what undoing the mount removes again).
pub fn create_mountpoint(
    ops: &dyn MountOps,
    root: &Path,
    target: &Path,
) -> Result<Vec<PathBuf>, MountError> {
    let mut created = Vec::new();
    let mut current = PathBuf::new();
    for component in target.components() {
        match component {
            Component::RootDir => {
                current.push("/");
                continue;
            }
            Component::Normal(name) => current.push(name),
            // Plans are validated: no `.` or `..` reach this point.
            Component::CurDir | Component::ParentDir | Component::Prefix(_) => {
                return Err(MountError::NotADirectory {
                    path: target.to_owned(),
                    component: current.join(component.as_os_str()),
                });
            }
        }
        let checked = current.starts_with(root);
        match ops.lstat(&current) {
            Ok(PathKind::Directory) => {}
            Ok(PathKind::Symlink) if checked => {
                return Err(MountError::SymlinkInPath {
                    path: target.to_owned(),
                    component: current,
                });
            }
            // Above the root a symlink is the administrator's layout: leave it be.
            Ok(PathKind::Symlink) => {}
            Ok(PathKind::Other) => {
                return Err(MountError::NotADirectory {
                    path: target.to_owned(),
                    component: current,
                });
            }
            Err(Errno::ENOENT) => match ops.mkdir(&current) {
                // Lost a race with another creator: check what is there now (and leave
                // it to its creator).
                made @ (Ok(()) | Err(Errno::EEXIST)) => {
                    if made.is_ok() {
                        created.push(current.clone());
                    }
                    if checked && ops.lstat(&current) == Ok(PathKind::Symlink) {
                        return Err(MountError::SymlinkInPath {
                            path: target.to_owned(),
                            component: current,
                        });
                    }
                }
                Err(errno) => {
                    return Err(MountError::CreateMountpoint {
                        path: current,
                        errno,
                    });
                }
            },
            Err(errno) => {
                return Err(MountError::Inspect {
                    path: current,
                    errno,
                });
            }
        }
    }
    Ok(created)
}

/// Refuses to mount over a directory that holds files, unless allowed.
pub fn ensure_empty(
    ops: &dyn MountOps,
    target: &Path,
    allow_non_empty: bool,
) -> Result<(), MountError> {
    if allow_non_empty {
        return Ok(());
    }
    match ops.dir_is_empty(target) {
        Ok(true) => Ok(()),
        Ok(false) => Err(MountError::MountpointNotEmpty {
            path: target.to_owned(),
        }),
        Err(errno) => Err(MountError::Inspect {
            path: target.to_owned(),
            errno,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{FakeCall, FakeOps};

    #[test]
    fn creates_missing_directories_one_by_one() {
        let ops = FakeOps::new();
        create_mountpoint(&ops, Path::new("/cvmfs"), Path::new("/cvmfs/cms.cern.ch")).unwrap();
        assert_eq!(
            ops.calls(),
            [
                FakeCall::Mkdir(PathBuf::from("/cvmfs")),
                FakeCall::Mkdir(PathBuf::from("/cvmfs/cms.cern.ch"))
            ]
        );
        // Idempotent: nothing is created the second time.
        create_mountpoint(&ops, Path::new("/cvmfs"), Path::new("/cvmfs/cms.cern.ch")).unwrap();
        assert_eq!(ops.calls().len(), 2);
    }

    #[test]
    fn a_planted_symlink_is_refused() {
        let ops = FakeOps::new();
        ops.add_dir("/cvmfs");
        ops.add_symlink("/cvmfs/cms.cern.ch");
        let err = create_mountpoint(&ops, Path::new("/cvmfs"), Path::new("/cvmfs/cms.cern.ch"))
            .unwrap_err();
        assert!(matches!(err, MountError::SymlinkInPath { .. }), "{err}");
        assert!(ops.calls().is_empty());
    }

    #[test]
    fn symlinks_above_the_root_are_the_administrators() {
        let ops = FakeOps::new();
        ops.add_symlink("/srv");
        ops.add_dir("/srv/cvmfs");
        create_mountpoint(&ops, Path::new("/srv/cvmfs"), Path::new("/srv/cvmfs/a.b")).unwrap();
    }

    #[test]
    fn non_empty_directories_are_protected() {
        let ops = FakeOps::new();
        ops.add_files_in("/cvmfs/cms.cern.ch");
        let err = ensure_empty(&ops, Path::new("/cvmfs/cms.cern.ch"), false).unwrap_err();
        assert!(matches!(err, MountError::MountpointNotEmpty { .. }));
        ensure_empty(&ops, Path::new("/cvmfs/cms.cern.ch"), true).unwrap();
    }
}
