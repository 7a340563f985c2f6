//! The one bridge from a [`ReadOnlyTree`] to `fuser`: cache lifetimes, `EROFS` for every
//! write, attribute-buffer sizing (`ERANGE`), directory offsets with `.` and `..`, a
//! table of open files, and the client's `user.*` attributes on every path.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, LockOwner,
    OpenAccMode, OpenFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request,
};

use crate::fuse::client_xattrs;
use crate::fuse::tree::{Attributes, FileKind, ReadOnlyTree};

/// How long the kernel may keep what it was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLifetimes {
    /// Names looked up (dentries).
    pub entry: Duration,
    /// Attributes.
    pub attr: Duration,
}

impl Default for CacheLifetimes {
    /// A minute for both: a served revision never changes under its mount.
    fn default() -> Self {
        Self {
            entry: Duration::from_secs(60),
            attr: Duration::from_secs(60),
        }
    }
}

/// Serves `T` through `fuser`.
pub struct FuseAdapter<T> {
    tree: T,
    lifetimes: CacheLifetimes,
    started: SystemTime,
    open_files: Mutex<HashMap<u64, (u64, u64)>>,
    next_handle: AtomicU64,
}

impl<T: ReadOnlyTree> FuseAdapter<T> {
    /// Serves `tree` with the given cache lifetimes.
    pub fn new(tree: T, lifetimes: CacheLifetimes) -> Self {
        Self {
            tree,
            lifetimes,
            started: SystemTime::now(),
            open_files: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
        }
    }

    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (u64, u64)>> {
        self.open_files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tree's handle for a FUSE file handle.
    fn tree_handle(&self, fh: FileHandle) -> Result<u64, Errno> {
        self.files()
            .get(&fh.0)
            .map(|(_, handle)| *handle)
            .ok_or(Errno::EBADF)
    }

    /// The entry and attribute lifetimes now (a tree may shorten them).
    fn lifetimes_now(&self) -> CacheLifetimes {
        match self.tree.lifetimes() {
            Some(limit) => CacheLifetimes {
                entry: self.lifetimes.entry.min(limit),
                attr: self.lifetimes.attr.min(limit),
            },
            None => self.lifetimes,
        }
    }

    fn xattr_value(&self, ino: u64, name: &OsStr) -> Result<Option<Vec<u8>>, nix::errno::Errno> {
        if let Some(value) = self.tree.getxattr(ino, name)? {
            return Ok(Some(value));
        }
        Ok(name
            .to_str()
            .and_then(|name| client_xattrs::value(name, &self.tree.status(), self.started))
            .map(String::into_bytes))
    }
}

/// The FUSE type of a kind.
fn file_type(kind: FileKind) -> FileType {
    match kind {
        FileKind::File => FileType::RegularFile,
        FileKind::Directory => FileType::Directory,
        FileKind::Symlink => FileType::Symlink,
        FileKind::Fifo => FileType::NamedPipe,
        FileKind::Socket => FileType::Socket,
        FileKind::CharDevice => FileType::CharDevice,
        FileKind::BlockDevice => FileType::BlockDevice,
    }
}

/// The FUSE attributes for `attributes`: 512-byte blocks, 4 KiB I/O size; without write
/// bits unless `stored_modes` (the mount is read-only either way).
pub fn file_attr(attributes: &Attributes, stored_modes: bool) -> FileAttr {
    FileAttr {
        ino: INodeNo(attributes.ino),
        size: attributes.size,
        blocks: attributes.size.div_ceil(512),
        atime: attributes.atime,
        mtime: attributes.mtime,
        ctime: attributes.ctime,
        crtime: UNIX_EPOCH,
        kind: file_type(attributes.kind),
        perm: if stored_modes {
            attributes.perm & 0o7777
        } else {
            attributes.perm & 0o7555
        },
        nlink: attributes.nlink,
        uid: attributes.uid,
        gid: attributes.gid,
        rdev: attributes.rdev,
        blksize: 4096,
        flags: 0,
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

fn errno(error: nix::errno::Errno) -> Errno {
    Errno::from_i32(error as i32)
}

impl<T: ReadOnlyTree> Filesystem for FuseAdapter<T> {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self
            .tree
            .gate()
            .and_then(|()| self.tree.lookup(parent.0, name))
        {
            Ok(attributes) => reply.entry(
                &self.lifetimes_now().entry,
                &file_attr(&attributes, self.tree.shows_stored_modes()),
                Generation(0),
            ),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.tree.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.tree.gate().and_then(|()| self.tree.getattr(ino.0)) {
            Ok(attributes) => reply.attr(
                &self.lifetimes_now().attr,
                &file_attr(&attributes, self.tree.shows_stored_modes()),
            ),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.tree.gate().and_then(|()| self.tree.readlink(ino.0)) {
            Ok(target) => reply.data(&target),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.acc_mode() != OpenAccMode::O_RDONLY {
            return reply.error(Errno::EROFS);
        }
        match self.tree.gate().and_then(|()| self.tree.open(ino.0)) {
            Ok(handle) => {
                let fh = self.next_handle.fetch_add(1, Ordering::Relaxed);
                self.files().insert(fh, (ino.0, handle));
                let flags = if self.tree.keep_page_cache() {
                    FopenFlags::FOPEN_KEEP_CACHE
                } else {
                    FopenFlags::empty()
                };
                reply.opened(FileHandle(fh), flags);
            }
            Err(e) => reply.error(errno(e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let result = self.tree.gate().map_err(errno).and_then(|()| {
            let handle = self.tree_handle(fh)?;
            self.tree.read(ino.0, handle, offset, size).map_err(errno)
        });
        match result {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // Nothing is ever written: there is nothing to flush.
        reply.ok();
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        if let Some((_, handle)) = self.files().remove(&fh.0) {
            self.tree.release(ino.0, handle);
        }
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
        let listing = self.tree.gate().and_then(|()| {
            let parent = self.tree.parent(ino.0)?;
            Ok((parent, self.tree.readdir(ino.0)?))
        });
        match listing {
            Ok((parent, children)) => {
                let dots = [
                    (ino.0, FileType::Directory, OsStr::new(".")),
                    (parent, FileType::Directory, OsStr::new("..")),
                ];
                let entries = dots.into_iter().chain(
                    children
                        .iter()
                        .map(|c| (c.ino, file_type(c.kind), c.name.as_os_str())),
                );
                let skip = usize::try_from(offset).unwrap_or(usize::MAX);
                for (index, (child, kind, name)) in entries.enumerate().skip(skip) {
                    if reply.add(INodeNo(child), index as u64 + 1, kind, name) {
                        break;
                    }
                }
                reply.ok();
            }
            Err(e) => reply.error(errno(e)),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        match self.tree.gate() {
            Ok(()) => {
                // The cache's quota and use, as the client reports them.
                let (blocks, free) = self.tree.capacity().map_or((0, 0), |(total, used)| {
                    (total / 4096, total.saturating_sub(used) / 4096)
                });
                reply.statfs(blocks, free, free, 0, 0, 4096, 255, 4096);
            }
            Err(e) => reply.error(errno(e)),
        }
    }

    fn getxattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        match self
            .tree
            .gate()
            .and_then(|()| self.xattr_value(ino.0, name))
        {
            Ok(Some(value)) => reply_bytes(reply, size, &value),
            Ok(None) => reply.error(Errno::ENODATA),
            Err(e) => reply.error(errno(e)),
        }
    }

    fn listxattr(&self, _req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        match self.tree.gate().and_then(|()| self.tree.listxattr(ino.0)) {
            Ok(own) => {
                let mut names = Vec::new();
                for name in own
                    .iter()
                    .map(|n| n.as_os_str())
                    .chain(client_xattrs::NAMES.iter().map(OsStr::new))
                {
                    names.extend_from_slice(std::os::unix::ffi::OsStrExt::as_bytes(name));
                    names.push(0);
                }
                reply_bytes(reply, size, &names);
            }
            Err(e) => reply.error(errno(e)),
        }
    }

    // Every write is refused as a read-only filesystem refuses it, whatever reaches us
    // (the mount is read-only too, so the kernel normally refuses first).

    fn setattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<fuser::TimeOrNow>,
        _mtime: Option<fuser::TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mknod(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mkdir(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn unlink(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn rmdir(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn symlink(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _link_name: &OsStr,
        _target: &Path,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn rename(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _newparent: INodeNo,
        _newname: &OsStr,
        _flags: fuser::RenameFlags,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn link(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _newparent: INodeNo,
        _newname: &OsStr,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _data: &[u8],
        _write_flags: fuser::WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        reply.error(Errno::EROFS);
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn create(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        reply.error(Errno::EROFS);
    }
}
