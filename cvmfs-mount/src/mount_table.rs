//! Reading the calling thread's mount table through [`MountOps`].

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use cvmfs_core::MountTable;

use crate::error::MountError;
use crate::sys::MountOps;

/// The raw bytes of one reading of the mount table; parse it with [`TableText::parse`].
pub struct TableText(Vec<u8>);

impl TableText {
    /// Reads the table now.
    pub fn read(ops: &dyn MountOps) -> Result<Self, MountError> {
        ops.mountinfo()
            .map(Self)
            .map_err(|source| MountError::ReadMountTable { source })
    }

    /// Parses the table, decoding escapes inside this reading and borrowing from it: the
    /// table's vector is the only allocation.
    pub fn parse(&mut self) -> Result<MountTable<'_>, MountError> {
        MountTable::parse_in_place(&mut self.0)
            .map_err(|source| MountError::ParseMountTable { source })
    }
}

/// A path as the bytes mountinfo compares against.
pub fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}
