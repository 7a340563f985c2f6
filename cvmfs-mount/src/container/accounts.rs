//! Applying an id remap to `/etc/passwd` and `/etc/group` (paths are parameters, so tests
//! and image builders can point elsewhere). The new contents come from `cvmfs-core`;
//! each file is replaced atomically, and only when it changes.

use std::path::{Path, PathBuf};

use cvmfs_core::remap::{IdRequest, RemapPlan, plan_remap};

use crate::atomic_file::write_atomically;
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

/// Plans the remap and writes what changed. On any error nothing is written.
pub fn apply_remap(files: &AccountFiles, request: &IdRequest) -> Result<RemapPlan, MountError> {
    let passwd = read(&files.passwd)?;
    let group = read(&files.group)?;
    let plan =
        plan_remap(&passwd, &group, request).map_err(|source| MountError::Remap { source })?;
    if plan.group_changed {
        write_atomically(&files.group, plan.group.as_bytes())?;
    }
    if plan.passwd_changed {
        write_atomically(&files.passwd, plan.passwd.as_bytes())?;
    }
    Ok(plan)
}
