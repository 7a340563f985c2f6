//! Replacing files atomically: the new content is written to a temporary file in the
//! same directory (with the old file's mode and owner) and renamed over the old one.
//! Several files are replaced together by preparing all of them first and renaming
//! only when every one is ready, so a failure while writing changes none of them.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::MountError;

/// New content staged next to the file it replaces; [`PreparedFile::commit`] puts it in
/// place, and dropping it uncommitted removes the temporary file.
#[derive(Debug)]
pub struct PreparedFile {
    path: PathBuf,
    temporary: PathBuf,
    committed: bool,
}

/// The temporary file's name for `path`: hidden, beside it, named after this process.
fn temporary_for(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    dir.join(format!(".{name}.tmp-{}", std::process::id()))
}

impl PreparedFile {
    /// Writes `content` to a temporary file beside `path`, synced, with the mode and
    /// owner of the existing file (a new file gets mode 0644).
    pub fn prepare(path: &Path, content: &[u8]) -> Result<Self, MountError> {
        let error = |source| MountError::WriteFile {
            path: path.to_owned(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(dir).map_err(error)?;
        let old = std::fs::metadata(path).ok();
        let mode = old
            .as_ref()
            .map_or(0o644, |m| m.permissions().mode() & 0o7777);
        let prepared = Self {
            path: path.to_owned(),
            temporary: temporary_for(path),
            committed: false,
        };
        let mut file = std::fs::File::create(&prepared.temporary).map_err(error)?;
        let written = (|| {
            file.write_all(content)?;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            if let Some(old) = &old {
                std::os::unix::fs::fchown(&file, Some(old.uid()), Some(old.gid()))?;
            }
            file.sync_all()
        })();
        // On error, dropping `prepared` removes the temporary file.
        written.map_err(error)?;
        Ok(prepared)
    }

    /// Renames the staged content over the file.
    pub fn commit(mut self) -> Result<(), MountError> {
        std::fs::rename(&self.temporary, &self.path).map_err(|source| MountError::WriteFile {
            path: self.path.clone(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PreparedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Replaces `path` with `content` so a reader never sees half a file.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<(), MountError> {
    PreparedFile::prepare(path, content)?.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_keeping_the_mode_and_creates_new_files_0644() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("passwd");
        std::fs::write(&old, "old\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&old, b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "new\n");
        assert_eq!(
            std::fs::metadata(&old).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let new = dir.path().join("sub/group");
        write_atomically(&new, b"g\n").unwrap();
        assert_eq!(
            std::fs::metadata(&new).unwrap().permissions().mode() & 0o777,
            0o644
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    #[test]
    fn an_uncommitted_file_changes_nothing_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("group");
        std::fs::write(&path, "old\n").unwrap();
        let prepared = PreparedFile::prepare(&path, b"new\n").unwrap();
        assert!(temporary_for(&path).exists());
        drop(prepared);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert!(!temporary_for(&path).exists());
    }

    #[test]
    fn a_failed_write_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("passwd");
        // A directory where the temporary file goes makes the write fail, even for root.
        std::fs::create_dir(temporary_for(&path)).unwrap();
        let error = write_atomically(&path, b"x").unwrap_err();
        assert!(error.to_string().contains("passwd"), "{error}");
        assert!(!path.exists());
    }
}
