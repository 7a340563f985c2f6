//! What a read-only filesystem must answer to be served through FUSE. A tree allocates
//! its own inode numbers (1 is the root) and answers with plain data; the adapter
//! ([`super::adapter`]) turns the answers into FUSE replies.

use std::ffi::{OsStr, OsString};
use std::time::SystemTime;

use nix::errno::Errno;

/// The kind of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A named pipe.
    Fifo,
    /// A socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
}

/// The attributes of one inode, as `stat` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    /// The inode number.
    pub ino: u64,
    /// What it is.
    pub kind: FileKind,
    /// Size in bytes (for a symlink, the length of its target).
    pub size: u64,
    /// Permission bits (the adapter removes write bits).
    pub perm: u16,
    /// Hard links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number, for devices.
    pub rdev: u32,
    /// Last modification.
    pub mtime: SystemTime,
    /// Last access (often the same as `mtime` in a repository).
    pub atime: SystemTime,
    /// Last status change.
    pub ctime: SystemTime,
}

/// One entry of a directory listing (`.` and `..` are the adapter's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's inode.
    pub ino: u64,
    /// Its kind.
    pub kind: FileKind,
    /// Its name.
    pub name: OsString,
}

/// What the client reports about the repository it serves: the source of the client's
/// `user.*` attributes ([`super::client_xattrs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryStatus {
    /// The repository name (`user.fqrn`).
    pub fqrn: String,
    /// The revision served (`user.revision`).
    pub revision: String,
    /// The root catalog's hash (`user.root_hash`).
    pub root_hash: String,
    /// What serves it, as the client names itself (`user.version`).
    pub version: String,
    /// Where the data comes from (`user.host`).
    pub host: String,
    /// Every place it can come from (`user.host_list`).
    pub host_list: String,
    /// The proxy in use (`user.proxy`).
    pub proxy: String,
    /// When the current root expires, Unix minutes (`user.expires`).
    pub expires_min: u64,
    /// I/O errors since mounting (`user.nioerr`).
    pub io_errors: u64,
    /// Unix time of the last I/O error, 0 for none (`user.timestamp_last_ioerr`).
    pub last_io_error: u64,
    /// Catalogs loaded (`user.nclg`).
    pub catalogs: u64,
    /// Bytes downloaded (`user.rx`, in KiB as the client shows it).
    pub received_kib: u64,
    /// Objects downloaded (`user.ndownload`).
    pub downloads: u64,
    /// Share of object requests the cache answered, in thousandths of a percent
    /// (`user.hitrate` shows it with three decimals).
    pub hit_rate_milli: u64,
    /// The network timeout in seconds (`user.timeout`).
    pub timeout_secs: u64,
    /// Recent problems worth a look (`user.logbuffer`).
    pub log_buffer: String,
}

/// A read-only tree served through FUSE. Every method may be called from several
/// threads at once.
pub trait ReadOnlyTree: Send + Sync + 'static {
    /// The child `name` of directory `parent`; counts one lookup of the child.
    fn lookup(&self, parent: u64, name: &OsStr) -> Result<Attributes, Errno>;
    /// The attributes of `ino`.
    fn getattr(&self, ino: u64) -> Result<Attributes, Errno>;
    /// The target of symlink `ino`.
    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno>;
    /// Opens file `ino` for reading; returns a handle the tree chooses.
    fn open(&self, ino: u64) -> Result<u64, Errno>;
    /// Reads up to `size` bytes at `offset` from an open file.
    fn read(&self, ino: u64, handle: u64, offset: u64, size: u32) -> Result<Vec<u8>, Errno>;
    /// Closes a handle from [`ReadOnlyTree::open`].
    fn release(&self, _ino: u64, _handle: u64) {}
    /// The entries of directory `ino`, in a stable order (offsets index into it).
    fn readdir(&self, ino: u64) -> Result<Vec<DirEntry>, Errno>;
    /// The parent directory of directory `ino` (the root is its own parent).
    fn parent(&self, ino: u64) -> Result<u64, Errno>;
    /// A file's own extended attribute, `None` when it has no such attribute (the
    /// client's `user.*` attributes are answered by the adapter from
    /// [`ReadOnlyTree::status`]).
    fn getxattr(&self, _ino: u64, _name: &OsStr) -> Result<Option<Vec<u8>>, Errno> {
        Ok(None)
    }
    /// The names of a file's own extended attributes.
    fn listxattr(&self, _ino: u64) -> Result<Vec<OsString>, Errno> {
        Ok(Vec::new())
    }
    /// The kernel dropped `nlookup` references to `ino`.
    fn forget(&self, _ino: u64, _nlookup: u64) {}
    /// What the repository reports about itself.
    fn status(&self) -> RepositoryStatus;
    /// A check before answering any request (faults use it: latency, a hang).
    fn gate(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// Whether a file's content never changes under its inode, so the kernel may keep
    /// its page cache across opens (`FOPEN_KEEP_CACHE`).
    fn keep_page_cache(&self) -> bool {
        false
    }
    /// Whether modes are shown as stored, write bits included (the client does; the
    /// mount is read-only either way). By default write bits are removed.
    fn shows_stored_modes(&self) -> bool {
        false
    }
    /// The space behind the tree for `statfs`: (total bytes, used bytes), `None` for
    /// nothing to report.
    fn capacity(&self) -> Option<(u64, u64)> {
        None
    }
    /// How long the kernel may keep names and attributes now (`None`: the session's
    /// default). A tree whose content changes on refresh shortens it.
    fn lifetimes(&self) -> Option<std::time::Duration> {
        None
    }
}
