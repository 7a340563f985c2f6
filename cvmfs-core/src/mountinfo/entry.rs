//! One mount of the table, borrowing from the mountinfo text.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

/// A mount's propagation, from its optional fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum MountPropagation {
    /// No peer group and no master.
    Private,
    /// A member of peer group `peer`.
    Shared {
        /// The peer group id.
        peer: u32,
    },
    /// A slave of peer group `master`.
    Slave {
        /// The master's peer group id.
        master: u32,
    },
    /// Both shared and a slave.
    SharedAndSlave {
        /// The peer group id.
        peer: u32,
        /// The master's peer group id.
        master: u32,
    },
    /// Unbindable.
    Unbindable,
}

impl MountPropagation {
    /// Whether mounts made under this one later reach its peers or slaves.
    pub fn carries_events(self) -> bool {
        matches!(self, Self::Shared { .. } | Self::SharedAndSlave { .. })
    }

    /// Whether mounts made under this one's master arrive here.
    pub fn receives_events(self) -> bool {
        matches!(self, Self::Slave { .. } | Self::SharedAndSlave { .. })
    }
}

/// One line of mountinfo with every field decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountInfo<'a> {
    /// Unique id of the mount.
    pub mount_id: u32,
    /// Id of the parent mount (itself or outside the table for the root).
    pub parent_id: u32,
    /// Device major number.
    pub major: u32,
    /// Device minor number (names `/sys/fs/fuse/connections/<minor>` for FUSE).
    pub minor: u32,
    /// The mounted directory within the filesystem.
    #[serde(serialize_with = "as_text")]
    pub root: Cow<'a, [u8]>,
    /// Where it is mounted.
    #[serde(serialize_with = "as_text")]
    pub mount_point: Cow<'a, [u8]>,
    /// Per-mount options (`ro,nosuid,...`), comma-separated.
    #[serde(serialize_with = "as_text")]
    pub mount_options: &'a [u8],
    /// The optional fields as written, space-separated (unknown tags included).
    #[serde(serialize_with = "as_text")]
    pub optional_fields: &'a [u8],
    /// `shared:N`.
    pub shared: Option<u32>,
    /// `master:N`.
    pub master: Option<u32>,
    /// `propagate_from:N`.
    pub propagate_from: Option<u32>,
    /// `unbindable`.
    pub unbindable: bool,
    /// Filesystem type (`fuse`, `ext4`, ...).
    #[serde(serialize_with = "as_text")]
    pub fs_type: Cow<'a, [u8]>,
    /// Mount source (`cvmfs2` for a client mount); may be empty.
    #[serde(serialize_with = "as_text")]
    pub source: Cow<'a, [u8]>,
    /// Superblock options, comma-separated.
    #[serde(serialize_with = "as_text")]
    pub super_options: &'a [u8],
}

/// Bytes as a string when they are UTF-8, as an array of numbers otherwise.
fn as_text<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serializer.serialize_str(text),
        Err(_) => serializer.collect_seq(bytes),
    }
}

impl MountInfo<'_> {
    /// Whether this has the shape of a real client mount: type `fuse`, source `cvmfs2`.
    pub fn is_client_mount(&self) -> bool {
        &*self.fs_type == b"fuse" && &*self.source == b"cvmfs2"
    }

    /// Whether the type is FUSE (`fuse`, `fuse.<name>` or `fuseblk`).
    pub fn is_fuse(&self) -> bool {
        &*self.fs_type == b"fuse"
            || self.fs_type.starts_with(b"fuse.")
            || &*self.fs_type == b"fuseblk"
    }

    /// The propagation from the optional fields.
    pub fn propagation(&self) -> MountPropagation {
        match (self.shared, self.master) {
            (Some(peer), Some(master)) => MountPropagation::SharedAndSlave { peer, master },
            (Some(peer), None) => MountPropagation::Shared { peer },
            (None, Some(master)) => MountPropagation::Slave { master },
            (None, None) if self.unbindable => MountPropagation::Unbindable,
            (None, None) => MountPropagation::Private,
        }
    }

    /// The per-mount options one by one.
    pub fn options(&self) -> impl Iterator<Item = &[u8]> {
        self.mount_options
            .split(|&b| b == b',')
            .filter(|o| !o.is_empty())
    }

    /// Whether the mount is read-only.
    pub fn is_read_only(&self) -> bool {
        self.options().any(|o| o == b"ro")
    }

    /// The mountpoint as a path.
    pub fn mount_point_path(&self) -> &std::path::Path {
        use std::os::unix::ffi::OsStrExt;
        std::path::Path::new(std::ffi::OsStr::from_bytes(&self.mount_point))
    }
}
