//! Faults any served tree can be made to show, for tests: latency, a hang (requests not
//! answered until cleared or until the connection is gone), and I/O errors on reads,
//! counted in `user.nioerr`. [`FaultyTree`] adds them to any [`ReadOnlyTree`], so the
//! repair tests run unchanged against every tree. A crash is a `kill -9` of the server.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;

use crate::fuse::session::connection_alive;
use crate::fuse::tree::{Attributes, DirEntry, ReadOnlyTree, RepositoryStatus};

/// Switchable faults, shared between a [`FaultyTree`] and whoever flips them (a signal
/// handler, a test).
#[derive(Debug, Default)]
pub struct Faults {
    /// Hold every request until cleared (SIGUSR1 toggles it in a detached server).
    pub hang: AtomicBool,
    /// Fail file reads with EIO and count them (SIGUSR2 toggles it).
    pub io_errors: AtomicBool,
    /// Delay before answering each request, in milliseconds.
    pub latency_ms: AtomicU64,
    /// I/O errors served so far.
    pub io_error_count: AtomicU64,
    /// Unix time of the last I/O error.
    pub last_io_error: AtomicU64,
    /// A duplicate of the mount's `/dev/fuse` descriptor: a hang ends when the
    /// connection is gone (aborted, or its mount detached), so a hung server does not
    /// outlive its mount. Mount ids and device numbers are reused by the kernel after a
    /// repair, so they cannot tell.
    pub connection: OnceLock<OwnedFd>,
}

impl Faults {
    /// Flips a switch.
    pub fn toggle(flag: &AtomicBool) {
        flag.fetch_xor(true, Ordering::SeqCst);
    }

    fn count_io_error(&self) {
        self.io_error_count.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.last_io_error.store(now, Ordering::Relaxed);
    }
}

/// A tree with [`Faults`] in front of every request.
#[derive(Debug)]
pub struct FaultyTree<T> {
    inner: T,
    faults: Arc<Faults>,
}

impl<T> FaultyTree<T> {
    /// Wraps `inner`; `faults` switch the faults on and off.
    pub fn new(inner: T, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }
}

impl<T: ReadOnlyTree> ReadOnlyTree for FaultyTree<T> {
    fn gate(&self) -> Result<(), Errno> {
        let latency = self.faults.latency_ms.load(Ordering::Relaxed);
        if latency > 0 {
            thread::sleep(Duration::from_millis(latency));
        }
        while self.faults.hang.load(Ordering::SeqCst) {
            if self
                .faults
                .connection
                .get()
                .is_some_and(|fd| !connection_alive(fd))
            {
                return Err(Errno::ENOTCONN);
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.inner.gate()
    }

    fn lookup(&self, parent: u64, name: &OsStr) -> Result<Attributes, Errno> {
        self.inner.lookup(parent, name)
    }

    fn getattr(&self, ino: u64) -> Result<Attributes, Errno> {
        self.inner.getattr(ino)
    }

    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno> {
        self.inner.readlink(ino)
    }

    fn open(&self, ino: u64) -> Result<u64, Errno> {
        self.inner.open(ino)
    }

    fn read(&self, ino: u64, handle: u64, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        if self.faults.io_errors.load(Ordering::SeqCst) {
            self.faults.count_io_error();
            return Err(Errno::EIO);
        }
        self.inner.read(ino, handle, offset, size)
    }

    fn release(&self, ino: u64, handle: u64) {
        self.inner.release(ino, handle);
    }

    fn readdir(&self, ino: u64) -> Result<Vec<DirEntry>, Errno> {
        self.inner.readdir(ino)
    }

    fn parent(&self, ino: u64) -> Result<u64, Errno> {
        self.inner.parent(ino)
    }

    fn getxattr(&self, ino: u64, name: &OsStr) -> Result<Option<Vec<u8>>, Errno> {
        self.inner.getxattr(ino, name)
    }

    fn listxattr(&self, ino: u64) -> Result<Vec<OsString>, Errno> {
        self.inner.listxattr(ino)
    }

    fn forget(&self, ino: u64, nlookup: u64) {
        self.inner.forget(ino, nlookup);
    }

    fn keep_page_cache(&self) -> bool {
        self.inner.keep_page_cache()
    }

    fn shows_stored_modes(&self) -> bool {
        self.inner.shows_stored_modes()
    }

    fn capacity(&self) -> Option<(u64, u64)> {
        self.inner.capacity()
    }

    fn lifetimes(&self) -> Option<std::time::Duration> {
        self.inner.lifetimes()
    }

    fn status(&self) -> RepositoryStatus {
        let mut status = self.inner.status();
        status.io_errors += self.faults.io_error_count.load(Ordering::Relaxed);
        status.last_io_error = status
            .last_io_error
            .max(self.faults.last_io_error.load(Ordering::Relaxed));
        status
    }
}
