//! The read-only FUSE filesystem over a local directory.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner,
    OpenAccMode, OpenFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyEntry, ReplyOpen,
    ReplyStatfs, ReplyXattr, Request,
};

use crate::snapshot::faults::Faults;
use crate::snapshot::inodes::InodeTable;
use crate::snapshot::xattrs::{self, XattrSource};

/// How long the kernel may cache attributes and entries: the content never changes.
const TTL: Duration = Duration::from_secs(60);

/// State shared between the filesystem and the server that runs it.
#[derive(Debug, Default)]
pub struct Shared {
    /// Switchable faults.
    pub faults: Faults,
    /// I/O errors served so far (`user.nioerr`).
    pub io_errors: AtomicU64,
    /// Unix time of the last I/O error.
    pub last_io_error: AtomicU64,
    /// A duplicate of the `/dev/fuse` descriptor once mounted: a hang ends when the
    /// connection is gone (aborted, or its mount detached), so a hung server does not
    /// outlive its mount. Mount ids and device numbers are reused by the kernel after a
    /// repair, so they cannot tell.
    pub device: OnceLock<std::os::fd::OwnedFd>,
}

/// A directory served read-only as repository `fqrn`.
#[derive(Debug)]
pub struct SnapshotFs {
    source: PathBuf,
    fqrn: String,
    revision: String,
    started: SystemTime,
    inodes: Mutex<InodeTable>,
    shared: Arc<Shared>,
}

fn errno_of(err: &std::io::Error) -> Errno {
    Errno::from_i32(err.raw_os_error().unwrap_or(libc_eio()))
}

const fn libc_eio() -> i32 {
    5
}

fn kind_of(meta: &Metadata) -> FileType {
    FileType::from_std(meta.file_type()).unwrap_or(FileType::RegularFile)
}

fn time(secs: i64, nanos: i64) -> SystemTime {
    let nanos = u32::try_from(nanos).unwrap_or(0);
    match u64::try_from(secs) {
        Ok(secs) => UNIX_EPOCH + Duration::new(secs, nanos),
        Err(_) => UNIX_EPOCH,
    }
}

impl SnapshotFs {
    /// Serves `source` as repository `fqrn` at `revision`.
    pub fn new(source: PathBuf, fqrn: String, revision: String, shared: Arc<Shared>) -> Self {
        Self {
            source,
            fqrn,
            revision,
            started: SystemTime::now(),
            inodes: Mutex::new(InodeTable::default()),
            shared,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, InodeTable> {
        self.inodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies latency and hang faults before answering. A hang lasts until cleared or
    /// until the connection is aborted.
    fn gate(&self) -> Result<(), Errno> {
        let latency = self.shared.faults.latency_ms.load(Ordering::Relaxed);
        if latency > 0 {
            thread::sleep(Duration::from_millis(latency));
        }
        while self.shared.faults.hang.load(Ordering::SeqCst) {
            if self
                .shared
                .device
                .get()
                .is_some_and(|fd| !connection_alive(fd))
            {
                return Err(Errno::ENOTCONN);
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn relative(&self, ino: INodeNo) -> Result<PathBuf, Errno> {
        self.table()
            .path(ino.0)
            .map(Path::to_owned)
            .ok_or(Errno::ENOENT)
    }

    fn attr(&self, ino: u64, meta: &Metadata) -> FileAttr {
        let mode = meta.mode();
        FileAttr {
            ino: INodeNo(ino),
            size: meta.size(),
            blocks: meta.blocks(),
            atime: time(meta.atime(), meta.atime_nsec()),
            mtime: time(meta.mtime(), meta.mtime_nsec()),
            ctime: time(meta.ctime(), meta.ctime_nsec()),
            crtime: UNIX_EPOCH,
            kind: kind_of(meta),
            // Read-only: no write bits, whatever the source has.
            perm: u16::try_from(mode & 0o7555).unwrap_or(0o555),
            nlink: u32::try_from(meta.nlink()).unwrap_or(1),
            uid: meta.uid(),
            gid: meta.gid(),
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }

    fn stat(&self, relative: &Path) -> Result<(u64, Metadata), Errno> {
        let meta =
            std::fs::symlink_metadata(self.source.join(relative)).map_err(|e| errno_of(&e))?;
        let ino = self.table().number(relative);
        Ok((ino, meta))
    }

    fn xattr_value(&self, name: &OsStr) -> Option<String> {
        let source = self.source.display().to_string();
        xattrs::value(
            name.to_str()?,
            &XattrSource {
                fqrn: &self.fqrn,
                revision: &self.revision,
                source: &source,
                pid: std::process::id(),
                started: self.started,
                io_errors: self.shared.io_errors.load(Ordering::Relaxed),
                last_io_error: self.shared.last_io_error.load(Ordering::Relaxed),
            },
        )
    }

    fn count_io_error(&self) {
        self.shared.io_errors.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.shared.last_io_error.store(now, Ordering::Relaxed);
    }
}

/// Whether the FUSE connection behind `device` is alive: the kernel reports `POLLERR`
/// on `/dev/fuse` once the connection is aborted or its superblock destroyed.
pub fn connection_alive(device: &std::os::fd::OwnedFd) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(device.as_fd(), PollFlags::empty())];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => !fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP)),
        Err(_) => true,
    }
}

/// Answers an xattr request: the size when asked for 0 bytes, ERANGE when too small.
fn reply_bytes(reply: ReplyXattr, size: u32, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    if size == 0 {
        reply.size(len);
    } else if len > size {
        reply.error(Errno::ERANGE);
    } else {
        reply.data(bytes);
    }
}

impl Filesystem for SnapshotFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let result = self.gate().and_then(|()| {
            let path = self.relative(parent)?.join(name);
            self.stat(&path)
        });
        match result {
            Ok((ino, meta)) => reply.entry(&TTL, &self.attr(ino, &meta), Generation(0)),
            Err(errno) => reply.error(errno),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let result = self.gate().and_then(|()| self.stat(&self.relative(ino)?));
        match result {
            Ok((ino, meta)) => reply.attr(&TTL, &self.attr(ino, &meta)),
            Err(errno) => reply.error(errno),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        let result = self.gate().and_then(|()| {
            std::fs::read_link(self.source.join(self.relative(ino)?)).map_err(|e| errno_of(&e))
        });
        match result {
            Ok(target) => reply.data(target.as_os_str().as_bytes()),
            Err(errno) => reply.error(errno),
        }
    }

    fn open(&self, _req: &Request, _ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        match (self.gate(), flags.acc_mode()) {
            (Err(errno), _) => reply.error(errno),
            (Ok(()), OpenAccMode::O_RDONLY) => reply.opened(FileHandle(0), FopenFlags::empty()),
            (Ok(()), _) => reply.error(Errno::EROFS),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let result = self.gate().and_then(|()| {
            if self.shared.faults.io_errors.load(Ordering::SeqCst) {
                self.count_io_error();
                return Err(Errno::EIO);
            }
            let file =
                File::open(self.source.join(self.relative(ino)?)).map_err(|e| errno_of(&e))?;
            let mut buffer = vec![0; usize::try_from(size).unwrap_or(0)];
            let read = file
                .read_at(&mut buffer, offset)
                .map_err(|e| errno_of(&e))?;
            buffer.truncate(read);
            Ok(buffer)
        });
        match result {
            Ok(data) => reply.data(&data),
            Err(errno) => reply.error(errno),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: fuser::ReplyEmpty,
    ) {
        // Nothing is ever written: there is nothing to flush.
        reply.ok();
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let listing = self.gate().and_then(|()| {
            let relative = self.relative(ino)?;
            let parent = relative.parent().map(Path::to_owned).unwrap_or_default();
            let mut entries = vec![
                (ino.0, FileType::Directory, PathBuf::from(".")),
                (
                    self.table().number(&parent),
                    FileType::Directory,
                    PathBuf::from(".."),
                ),
            ];
            let mut children: Vec<_> = std::fs::read_dir(self.source.join(&relative))
                .map_err(|e| errno_of(&e))?
                .flatten()
                .collect();
            children.sort_by_key(std::fs::DirEntry::file_name);
            for child in children {
                let name = PathBuf::from(child.file_name());
                let kind = child
                    .file_type()
                    .ok()
                    .and_then(FileType::from_std)
                    .unwrap_or(FileType::RegularFile);
                entries.push((self.table().number(&relative.join(&name)), kind, name));
            }
            Ok(entries)
        });
        match listing {
            Ok(entries) => {
                let skip = usize::try_from(offset).unwrap_or(usize::MAX);
                for (index, (child, kind, name)) in entries.into_iter().enumerate().skip(skip) {
                    if reply.add(INodeNo(child), index as u64 + 1, kind, &name) {
                        break;
                    }
                }
                reply.ok();
            }
            Err(errno) => reply.error(errno),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        match self.gate() {
            Ok(()) => reply.statfs(0, 0, 0, 0, 0, 4096, 255, 4096),
            Err(errno) => reply.error(errno),
        }
    }

    fn getxattr(&self, _req: &Request, _ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        if let Err(errno) = self.gate() {
            return reply.error(errno);
        }
        match self.xattr_value(name) {
            Some(value) => reply_bytes(reply, size, value.as_bytes()),
            None => reply.error(Errno::ENODATA),
        }
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, size: u32, reply: ReplyXattr) {
        if let Err(errno) = self.gate() {
            return reply.error(errno);
        }
        let mut names = Vec::new();
        for name in xattrs::NAMES {
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        reply_bytes(reply, size, &names);
    }
}
