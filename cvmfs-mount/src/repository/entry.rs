//! A repository entry as the client shows it: what `stat`, `readlink`, listings and the
//! FUSE layer's read-only tree need.

use std::collections::BTreeMap;

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::ContentHash;
use serde::Serialize;

/// The kind of an entry, from its `mode` (as upstream derives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symlink.
    Symlink,
    /// A FIFO.
    Fifo,
    /// A socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
}

impl EntryKind {
    /// The kind for an `st_mode`.
    pub fn from_mode(mode: u32) -> Option<Self> {
        Some(match mode & 0o170_000 {
            0o100_000 => Self::File,
            0o040_000 => Self::Dir,
            0o120_000 => Self::Symlink,
            0o010_000 => Self::Fifo,
            0o140_000 => Self::Socket,
            0o020_000 => Self::CharDevice,
            0o060_000 => Self::BlockDevice,
            _ => return None,
        })
    }
}

/// How a regular file's content is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Content {
    /// The whole-file object (`None` for chunked files).
    pub hash: Option<ContentHash>,
    /// The number of chunks (1 for a whole-file object).
    pub chunks: usize,
    /// The compression of its objects.
    pub compression: Compression,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The path: `""` for the root, else `/a/b`.
    pub path: String,
    /// The kind.
    pub kind: EntryKind,
    /// `st_mode`.
    pub mode: u32,
    /// `st_size` (a symlink's target length, 0 for devices).
    pub size: u64,
    /// `st_rdev` for devices.
    pub rdev: u64,
    /// Seconds.
    pub mtime: i64,
    /// Nanoseconds, when the catalog records them.
    pub mtime_ns: Option<u32>,
    /// The publisher's uid.
    pub uid: u32,
    /// The publisher's gid.
    pub gid: u32,
    /// `st_nlink`.
    pub nlink: u32,
    /// A stable inode number (hard links share one).
    pub inode: u64,
    /// The symlink target, expanded.
    pub target: Option<String>,
    /// A symlink's target as stored, before variable expansion (`user.rawlink`).
    #[serde(skip)]
    pub raw_target: Option<String>,
    /// Regular files: where the content is.
    pub content: Option<Content>,
    /// Extended attributes stored in the repository.
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// Hidden from listings (`/.cvmfs`).
    pub hidden: bool,
    /// The mountpoint of a nested catalog.
    pub nested_mountpoint: bool,
}

impl Entry {
    /// The last path component (`""` for the root).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// The permission bits.
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }
}
