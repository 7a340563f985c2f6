//! A local directory as a [`ReadOnlyTree`]: what the snapshot backend serves. Inode
//! numbers are assigned to paths on first sight and never reused.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;

use crate::directory_server::inodes::InodeTable;
use crate::fuse::client_xattrs::minutes_from_now;
use crate::fuse::tree::{Attributes, DirEntry, FileKind, ReadOnlyTree, RepositoryStatus};

/// A directory served read-only as repository `fqrn`.
#[derive(Debug)]
pub struct LocalTree {
    source: PathBuf,
    fqrn: String,
    revision: String,
    inodes: Mutex<InodeTable>,
}

fn errno_of(err: &std::io::Error) -> Errno {
    err.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

fn kind_of(meta: &Metadata) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        FileKind::Directory
    } else if kind.is_symlink() {
        FileKind::Symlink
    } else if kind.is_fifo() {
        FileKind::Fifo
    } else if kind.is_socket() {
        FileKind::Socket
    } else if kind.is_char_device() {
        FileKind::CharDevice
    } else if kind.is_block_device() {
        FileKind::BlockDevice
    } else {
        FileKind::File
    }
}

fn time(secs: i64, nanos: i64) -> SystemTime {
    let nanos = u32::try_from(nanos).unwrap_or(0);
    match u64::try_from(secs) {
        Ok(secs) => UNIX_EPOCH + Duration::new(secs, nanos),
        Err(_) => UNIX_EPOCH,
    }
}

impl LocalTree {
    /// Serves `source` as repository `fqrn` at `revision`.
    pub fn new(source: PathBuf, fqrn: String, revision: String) -> Self {
        Self {
            source,
            fqrn,
            revision,
            inodes: Mutex::new(InodeTable::default()),
        }
    }

    fn table(&self) -> MutexGuard<'_, InodeTable> {
        self.inodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn relative(&self, ino: u64) -> Result<PathBuf, Errno> {
        self.table()
            .path(ino)
            .map(Path::to_owned)
            .ok_or(Errno::ENOENT)
    }

    fn stat(&self, relative: &Path) -> Result<Attributes, Errno> {
        let meta =
            std::fs::symlink_metadata(self.source.join(relative)).map_err(|e| errno_of(&e))?;
        let ino = self.table().number(relative);
        Ok(Attributes {
            ino,
            kind: kind_of(&meta),
            size: meta.size(),
            perm: u16::try_from(meta.mode() & 0o7777).unwrap_or(0o555),
            nlink: u32::try_from(meta.nlink()).unwrap_or(1),
            uid: meta.uid(),
            gid: meta.gid(),
            rdev: u32::try_from(meta.rdev()).unwrap_or(0),
            mtime: time(meta.mtime(), meta.mtime_nsec()),
            atime: time(meta.atime(), meta.atime_nsec()),
            ctime: time(meta.ctime(), meta.ctime_nsec()),
        })
    }
}

impl ReadOnlyTree for LocalTree {
    fn lookup(&self, parent: u64, name: &OsStr) -> Result<Attributes, Errno> {
        let path = self.relative(parent)?.join(name);
        self.stat(&path)
    }

    fn getattr(&self, ino: u64) -> Result<Attributes, Errno> {
        self.stat(&self.relative(ino)?)
    }

    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno> {
        std::fs::read_link(self.source.join(self.relative(ino)?))
            .map(|target| target.as_os_str().as_bytes().to_vec())
            .map_err(|e| errno_of(&e))
    }

    fn open(&self, ino: u64) -> Result<u64, Errno> {
        // Reads reopen by path: the handle only has to exist.
        self.relative(ino).map(|_| 0)
    }

    fn read(&self, ino: u64, _handle: u64, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let file = File::open(self.source.join(self.relative(ino)?)).map_err(|e| errno_of(&e))?;
        let mut buffer = vec![0; usize::try_from(size).unwrap_or(0)];
        let read = file
            .read_at(&mut buffer, offset)
            .map_err(|e| errno_of(&e))?;
        buffer.truncate(read);
        Ok(buffer)
    }

    fn readdir(&self, ino: u64) -> Result<Vec<DirEntry>, Errno> {
        let relative = self.relative(ino)?;
        let mut children: Vec<_> = std::fs::read_dir(self.source.join(&relative))
            .map_err(|e| errno_of(&e))?
            .flatten()
            .collect();
        children.sort_by_key(std::fs::DirEntry::file_name);
        Ok(children
            .into_iter()
            .map(|child| {
                let name: OsString = child.file_name();
                let kind = child
                    .metadata()
                    .map_or(FileKind::File, |meta| kind_of(&meta));
                DirEntry {
                    ino: self.table().number(&relative.join(&name)),
                    kind,
                    name,
                }
            })
            .collect())
    }

    fn parent(&self, ino: u64) -> Result<u64, Errno> {
        let relative = self.relative(ino)?;
        let parent = relative.parent().map(Path::to_owned).unwrap_or_default();
        Ok(self.table().number(&parent))
    }

    fn status(&self) -> RepositoryStatus {
        let host = format!("file://{}", self.source.display());
        RepositoryStatus {
            fqrn: self.fqrn.clone(),
            revision: self.revision.clone(),
            root_hash: format!("{:040x}", u128::from(std::process::id()) << 8 | 0x5a),
            // Says what it is: a stand-in serving a local directory, not the client.
            version: format!(
                "{} {}",
                super::STAND_IN_VERSION_PREFIX,
                env!("CARGO_PKG_VERSION")
            ),
            host_list: host.clone(),
            host,
            proxy: "DIRECT".to_owned(),
            expires_min: minutes_from_now(4),
            io_errors: 0,
            last_io_error: 0,
            catalogs: 1,
            received_kib: 0,
            downloads: 0,
            hit_rate_milli: 100_000,
            timeout_secs: 5,
            log_buffer: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuse::{Faults, FaultyTree};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    fn tree() -> (tempfile::TempDir, LocalTree) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/file.txt"), "nested\n").unwrap();
        std::fs::write(dir.path().join("README"), "hello\n").unwrap();
        std::os::unix::fs::symlink("sub/file.txt", dir.path().join("link")).unwrap();
        let tree = LocalTree::new(dir.path().to_owned(), "cms.cern.ch".into(), "7".into());
        (dir, tree)
    }

    #[test]
    fn serves_lookups_listings_links_and_reads_with_stable_inodes() {
        let (_dir, tree) = tree();
        let names: Vec<OsString> = tree
            .readdir(1)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["README", "link", "sub"]);
        let sub = tree.lookup(1, OsStr::new("sub")).unwrap();
        assert_eq!(sub.kind, FileKind::Directory);
        assert_eq!(tree.lookup(1, OsStr::new("sub")).unwrap().ino, sub.ino);
        assert_eq!(tree.parent(sub.ino).unwrap(), 1);
        assert_eq!(tree.parent(1).unwrap(), 1);
        let file = tree.lookup(sub.ino, OsStr::new("file.txt")).unwrap();
        let handle = tree.open(file.ino).unwrap();
        assert_eq!(tree.read(file.ino, handle, 2, 100).unwrap(), b"sted\n");
        let link = tree.lookup(1, OsStr::new("link")).unwrap();
        assert_eq!(link.kind, FileKind::Symlink);
        assert_eq!(tree.readlink(link.ino).unwrap(), b"sub/file.txt");
        assert_eq!(tree.lookup(1, OsStr::new("missing")), Err(Errno::ENOENT));
        assert_eq!(tree.getattr(999), Err(Errno::ENOENT));
        let status = tree.status();
        assert_eq!(
            (status.fqrn.as_str(), status.revision.as_str()),
            ("cms.cern.ch", "7")
        );
        assert!(
            status.version.contains("snapshot"),
            "the stand-in says what it is"
        );
    }

    #[test]
    fn the_fault_decorator_fails_reads_and_counts_them() {
        let (_dir, tree) = tree();
        let faults = Arc::new(Faults::default());
        let faulty = FaultyTree::new(tree, Arc::clone(&faults));
        let readme = faulty.lookup(1, OsStr::new("README")).unwrap();
        assert_eq!(faulty.read(readme.ino, 0, 0, 10).unwrap(), b"hello\n");
        faults.io_errors.store(true, Ordering::SeqCst);
        assert_eq!(faulty.read(readme.ino, 0, 0, 10), Err(Errno::EIO));
        assert_eq!(faulty.read(readme.ino, 0, 0, 10), Err(Errno::EIO));
        assert_eq!(faulty.status().io_errors, 2);
        assert!(faulty.status().last_io_error > 0);
        assert_eq!(faulty.gate(), Ok(()));
    }
}
