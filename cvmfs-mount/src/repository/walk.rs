//! Walking a repository: every entry below a path, and a client-side `cvmfs_server check`
//! that loads every catalog and, if asked, reads and verifies every object.

use serde::Serialize;

use super::entry::{Entry, EntryKind};
use super::error::RepositoryError;
use super::reader::Repository;

/// Calls `visit` for `path` and everything below it, depth first, children by name.
pub fn walk(
    repo: &Repository,
    path: &str,
    visit: &mut dyn FnMut(&Entry) -> Result<(), RepositoryError>,
) -> Result<(), RepositoryError> {
    let entry = repo.stat(path)?;
    visit(&entry)?;
    if entry.kind == EntryKind::Dir {
        for child in repo.list(&entry.path)? {
            if child.kind == EntryKind::Dir {
                walk(repo, &child.path, visit)?;
            } else {
                visit(&child)?;
            }
        }
    }
    Ok(())
}

/// What a verification walked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries seen.
    pub entries: u64,
    /// Directories.
    pub directories: u64,
    /// Regular files.
    pub files: u64,
    /// Nested catalog mountpoints crossed.
    pub nested_catalogs: u64,
    /// Files whose every object was fetched and verified.
    pub files_read: u64,
    /// Bytes of file content verified.
    pub bytes_read: u64,
}

/// Loads every catalog (each verified through its parent) and, with `objects`, reads every
/// regular file (each object verified against its hash and recorded size). The first
/// failure ends the walk and names what failed.
pub fn verify(repo: &Repository, objects: bool) -> Result<VerifyReport, RepositoryError> {
    let mut report = VerifyReport::default();
    walk(repo, "", &mut |entry| {
        report.entries += 1;
        match entry.kind {
            EntryKind::Dir => report.directories += 1,
            EntryKind::File => report.files += 1,
            _ => {}
        }
        if entry.nested_mountpoint {
            report.nested_catalogs += 1;
        }
        if objects && entry.content.is_some() {
            let data = repo.read_entry(entry)?;
            report.files_read += 1;
            report.bytes_read += data.len() as u64;
        }
        Ok(())
    })?;
    Ok(report)
}
