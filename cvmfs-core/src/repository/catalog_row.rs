//! What the columns of a catalog row mean: the flag bits, the signed little-endian MD5
//! path pair, the hardlink packing, the xattr blob and symlink variables.

use std::collections::BTreeMap;

use md5::Digest;
use serde::Serialize;

use super::hash::HashAlgorithm;

/// The catalog `flags` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EntryFlags(pub u32);

impl EntryFlags {
    /// A directory.
    pub const DIRECTORY: u32 = 1;
    /// A nested catalog's mountpoint, as the parent catalog shows it.
    pub const NESTED_MOUNTPOINT: u32 = 2;
    /// A regular file (also set on symlinks and specials).
    pub const FILE: u32 = 4;
    /// A symlink.
    pub const SYMLINK: u32 = 8;
    /// A special file.
    pub const SPECIAL: u32 = 16;
    /// A nested catalog's root, as the child catalog shows it.
    pub const NESTED_ROOT: u32 = 32;
    /// A chunked file.
    pub const CHUNKED: u32 = 64;
    /// An external file.
    pub const EXTERNAL: u32 = 128;
    /// A bind mountpoint.
    pub const BIND_MOUNTPOINT: u32 = 0x4000;
    /// Hidden from listings.
    pub const HIDDEN: u32 = 0x8000;
    /// Direct I/O.
    pub const DIRECT_IO: u32 = 0x10000;

    /// Whether `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// The content-hash algorithm (bits 8–10, value + 1); `None` for an invalid value.
    pub fn hash_algorithm(self) -> Option<HashAlgorithm> {
        HashAlgorithm::ALL
            .get(((self.0 >> 8) & 7) as usize)
            .copied()
    }

    /// The compression of a regular file (bits 11–13).
    pub fn compression(self) -> Option<Compression> {
        match (self.0 >> 11) & 7 {
            0 => Some(Compression::Zlib),
            1 => Some(Compression::None),
            _ => None,
        }
    }
}

/// How an object's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// One zlib (RFC 1950) stream.
    Zlib,
    /// As they are.
    None,
}

impl Compression {
    /// The name the client shows in `user.compression`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zlib => "zlib",
            Self::None => "none",
        }
    }
}

/// The two signed little-endian halves of a path's MD5, as `md5path_1/2` store them.
pub fn path_md5_pair(path: &[u8]) -> (i64, i64) {
    let digest = md5::Md5::digest(path);
    let mut low = [0u8; 8];
    let mut high = [0u8; 8];
    low.copy_from_slice(&digest[..8]);
    high.copy_from_slice(&digest[8..]);
    (i64::from_le_bytes(low), i64::from_le_bytes(high))
}

/// The `hardlinks` column: `(group << 32) | linkcount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hardlinks {
    /// The hardlink group (0: none).
    pub group: u32,
    /// The link count.
    pub linkcount: u32,
}

impl Hardlinks {
    /// Unpacks the column.
    pub fn unpack(value: i64) -> Self {
        let value = value.cast_unsigned();
        Self {
            group: u32::try_from(value >> 32).unwrap_or(u32::MAX),
            linkcount: u32::try_from(value & 0xffff_ffff).unwrap_or(u32::MAX),
        }
    }

    /// Packs the column.
    pub fn pack(self) -> i64 {
        ((u64::from(self.group) << 32) | u64::from(self.linkcount)).cast_signed()
    }
}

/// A malformed xattr blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed xattr blob ({len} bytes): {reason}")]
pub struct XattrBlobError {
    /// The blob's length.
    pub len: usize,
    /// Why.
    pub reason: &'static str,
}

/// Decodes the `xattr` BLOB: version 1, a count, then per entry a key length, a value
/// length (one byte each), the key and the value. Every byte must be accounted for.
pub fn decode_xattrs(blob: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, XattrBlobError> {
    let fail = |reason| XattrBlobError {
        len: blob.len(),
        reason,
    };
    let [version, count, rest @ ..] = blob else {
        return Err(fail("shorter than its header"));
    };
    if *version != 1 {
        return Err(fail("unknown version"));
    }
    let mut out = BTreeMap::new();
    let mut rest = rest;
    for _ in 0..*count {
        let [key_len, value_len, tail @ ..] = rest else {
            return Err(fail("an entry header is cut off"));
        };
        let (key_len, value_len) = (usize::from(*key_len), usize::from(*value_len));
        if key_len == 0 || tail.len() < key_len + value_len {
            return Err(fail("an entry is cut off or has an empty key"));
        }
        let (key, tail) = tail.split_at(key_len);
        let (value, tail) = tail.split_at(value_len);
        if key.contains(&0) {
            return Err(fail("a key contains NUL"));
        }
        if out.insert(key.to_vec(), value.to_vec()).is_some() {
            return Err(fail("a key repeats"));
        }
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(fail("trailing bytes after the last entry"));
    }
    Ok(out)
}

/// Encodes xattrs as the blob (at most 255 entries, keys 1–255 bytes without NUL, values
/// up to 255 bytes); `None` when they do not fit.
pub fn encode_xattrs(xattrs: &BTreeMap<Vec<u8>, Vec<u8>>) -> Option<Vec<u8>> {
    let count = u8::try_from(xattrs.len()).ok()?;
    let mut blob = vec![1, count];
    for (key, value) in xattrs {
        let key_len = u8::try_from(key.len()).ok().filter(|l| *l > 0)?;
        let value_len = u8::try_from(value.len()).ok()?;
        if key.contains(&0) {
            return None;
        }
        blob.extend([key_len, value_len]);
        blob.extend_from_slice(key);
        blob.extend_from_slice(value);
    }
    Some(blob)
}

/// Expands `$(NAME)` and `$(NAME:-default)` in a symlink target with `lookup` (the
/// client daemon's environment); an unterminated `$(` is copied as it is.
pub fn expand_symlink(target: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(target.len());
    let mut rest = target;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, default),
            None => (inner, ""),
        };
        out.push_str(&lookup(name).unwrap_or_else(|| default.to_owned()));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_reference_path_pairs() {
        assert_eq!(
            path_md5_pair(b""),
            (338_333_539_836_370_388, 9_098_107_892_288_553_193)
        );
        assert_eq!(
            path_md5_pair(b"/foo"),
            (5_745_132_282_796_244_766, -5_819_618_580_357_280_866)
        );
        assert_eq!(
            path_md5_pair(b"/foo/bar"),
            (-2_822_516_800_166_431_715, 9_048_809_318_629_099_454)
        );
    }

    #[test]
    fn flags_and_hardlinks_decode_as_the_reference_says() {
        assert_eq!(
            EntryFlags(260).hash_algorithm(),
            Some(HashAlgorithm::Rmd160)
        );
        assert_eq!(
            EntryFlags(516).hash_algorithm(),
            Some(HashAlgorithm::Shake128)
        );
        assert_eq!(EntryFlags(2052).compression(), Some(Compression::None));
        assert_eq!(EntryFlags(4).compression(), Some(Compression::Zlib));
        assert_eq!(EntryFlags(0x300).hash_algorithm(), None);
        assert_eq!(
            Hardlinks::unpack(12_884_901_890),
            Hardlinks {
                group: 3,
                linkcount: 2
            }
        );
    }

    #[test]
    fn the_reference_xattr_blob() {
        let blob = [
            0x01, 0x01, 0x08, 0x03, b'u', b's', b'e', b'r', b'.', b'f', b'o', b'o', b'b', b'a',
            b'r',
        ];
        let decoded = decode_xattrs(&blob).unwrap();
        assert_eq!(decoded[b"user.foo".as_slice()], b"bar");
        assert_eq!(encode_xattrs(&decoded).unwrap(), blob);
        assert!(decode_xattrs(&blob[..blob.len() - 1]).is_err());
        let mut trailing = blob.to_vec();
        trailing.push(0);
        assert!(decode_xattrs(&trailing).is_err());
    }

    #[test]
    fn symlink_variables_expand_with_defaults() {
        let env = |name: &str| (name == "ARCH").then(|| "x86_64".to_owned());
        assert_eq!(expand_symlink("/opt/$(ARCH)/lib", env), "/opt/x86_64/lib");
        assert_eq!(expand_symlink("$(OS:-el9)/x", env), "el9/x");
        assert_eq!(expand_symlink("$(UNSET)/x", env), "/x");
        assert_eq!(expand_symlink("a/$(open", env), "a/$(open");
    }

    proptest! {
        #[test]
        fn hardlinks_round_trip(group in any::<u32>(), linkcount in any::<u32>()) {
            let h = Hardlinks { group, linkcount };
            prop_assert_eq!(Hardlinks::unpack(h.pack()), h);
        }

        #[test]
        fn xattr_blobs_round_trip(entries in proptest::collection::btree_map(
            proptest::collection::vec(1u8..=255, 1..20),
            proptest::collection::vec(any::<u8>(), 0..40),
            0..10,
        )) {
            let blob = encode_xattrs(&entries).unwrap();
            prop_assert_eq!(decode_xattrs(&blob).unwrap(), entries);
        }

        #[test]
        fn xattr_decoding_never_panics(blob in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = decode_xattrs(&blob);
        }

        #[test]
        fn expansion_without_variables_is_identity(target in "[^$]{0,40}") {
            prop_assert_eq!(expand_symlink(&target, |_| None), target);
        }
    }
}
