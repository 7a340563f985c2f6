//! Applying an id remap to `/etc/passwd` and `/etc/group` (paths are parameters, so tests
//! and image builders can point elsewhere). The new contents come from `cvmfs-core`;
//! both files are written first and renamed into place only when both are ready, and a
//! file is replaced only when it changes.

use std::path::{Path, PathBuf};

use cvmfs_core::remap::{IdRequest, RemapPlan, plan_remap};

use crate::atomic_file::PreparedFile;
use crate::error::MountError;

/// Where the account files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFiles {
    /// The passwd file.
    pub passwd: PathBuf,
    /// The group file.
    pub group: PathBuf,
}

impl AccountFiles {
    /// The files under `etc` (`/etc` for the system's).
    pub fn under(etc: &Path) -> Self {
        Self {
            passwd: etc.join("passwd"),
            group: etc.join("group"),
        }
    }
}

fn read(path: &Path) -> Result<String, MountError> {
    std::fs::read_to_string(path).map_err(|source| MountError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

/// Plans the remap and writes what changed. On an error while reading, planning or
/// writing, nothing is changed: both new files are staged before either is renamed into
/// place (the renames, within one directory each, are the only steps after that).
pub fn apply_remap(files: &AccountFiles, request: &IdRequest) -> Result<RemapPlan, MountError> {
    let passwd = read(&files.passwd)?;
    let group = read(&files.group)?;
    let plan =
        plan_remap(&passwd, &group, request).map_err(|source| MountError::Remap { source })?;
    let group_file = plan
        .group_changed
        .then(|| PreparedFile::prepare(&files.group, plan.group.as_bytes()))
        .transpose()?;
    let passwd_file = plan
        .passwd_changed
        .then(|| PreparedFile::prepare(&files.passwd, plan.passwd.as_bytes()))
        .transpose()?;
    for prepared in [group_file, passwd_file].into_iter().flatten() {
        prepared.commit()?;
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cvmfs_core::remap::IdPolicy;

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000::/home/cmsusr:/bin/sh\n";
    const GROUP: &str = "root:x:0:\ncmsusr:x:1000:\n";

    fn setup() -> (tempfile::TempDir, AccountFiles, IdRequest) {
        let dir = tempfile::tempdir().unwrap();
        let files = AccountFiles::under(dir.path());
        std::fs::write(&files.passwd, PASSWD).unwrap();
        std::fs::write(&files.group, GROUP).unwrap();
        let request = IdRequest::from_values(
            Some("4242"),
            Some("4343"),
            Some("cmsusr"),
            IdPolicy::default(),
        )
        .unwrap();
        (dir, files, request)
    }

    #[test]
    fn both_files_change_together() {
        let (_dir, files, request) = setup();
        let plan = apply_remap(&files, &request).unwrap();
        assert!(plan.passwd_changed && plan.group_changed);
        assert!(
            std::fs::read_to_string(&files.passwd)
                .unwrap()
                .contains("cmsusr:x:4242:4343:")
        );
        assert!(
            std::fs::read_to_string(&files.group)
                .unwrap()
                .contains("cmsusr:x:4343:")
        );
    }

    #[test]
    fn when_passwd_cannot_be_written_group_is_not_changed_either() {
        let (dir, files, request) = setup();
        // The temporary passwd cannot be created (a directory has its name), even as root.
        let blocker = dir
            .path()
            .join(format!(".passwd.tmp-{}", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        let error = apply_remap(&files, &request).unwrap_err();
        assert!(error.to_string().contains("passwd"), "{error}");
        assert_eq!(std::fs::read_to_string(&files.passwd).unwrap(), PASSWD);
        assert_eq!(std::fs::read_to_string(&files.group).unwrap(), GROUP);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left.len(),
            3,
            "no staged group file is left behind: {left:?}"
        );
    }
}
