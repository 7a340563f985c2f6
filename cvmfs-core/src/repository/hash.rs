//! Content hashes and object addressing: `hex[-rmd160|-shake128]`, decided by length and
//! checked strictly (lower-case hex digits, the exact algorithm id), and the `data/XX/...`
//! path of an object with its type suffix.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha1::Digest;

/// The content-hash algorithms of the format (MD5 is used for paths only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashAlgorithm {
    /// SHA-1, the default: 40 hex characters, no id.
    Sha1,
    /// RIPEMD-160: `-rmd160`.
    Rmd160,
    /// SHAKE-128 squeezed to 160 bits: `-shake128`.
    Shake128,
}

impl HashAlgorithm {
    /// Every algorithm, in the order of the catalog flag bits 8–10 (value + 1).
    pub const ALL: [Self; 3] = [Self::Sha1, Self::Rmd160, Self::Shake128];

    /// The id appended to the hex digits.
    pub fn id(self) -> &'static str {
        match self {
            Self::Sha1 => "",
            Self::Rmd160 => "-rmd160",
            Self::Shake128 => "-shake128",
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> [u8; DIGEST_LEN] {
        let mut hasher = Hasher::new(self);
        hasher.update(data);
        hasher.finish().digest
    }
}

/// Every content digest is 20 bytes.
pub const DIGEST_LEN: usize = 20;

/// A content hash: the algorithm and its 20-byte digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// The digest.
    pub digest: [u8; DIGEST_LEN],
}

/// A hash string that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid content hash {input:?}: {reason}")]
pub struct InvalidHash {
    /// The text (shortened when long).
    pub input: String,
    /// What is wrong.
    pub reason: &'static str,
}

fn invalid(input: &str, reason: &'static str) -> InvalidHash {
    InvalidHash {
        input: input.chars().take(80).collect(),
        reason,
    }
}

impl ContentHash {
    /// Hashes `data` with `algorithm`.
    pub fn of(algorithm: HashAlgorithm, data: &[u8]) -> Self {
        Self {
            algorithm,
            digest: algorithm.digest(data),
        }
    }

    /// A digest read from a catalog BLOB, with the algorithm from the entry's flags.
    pub fn from_digest(algorithm: HashAlgorithm, bytes: &[u8]) -> Result<Self, InvalidHash> {
        let digest: [u8; DIGEST_LEN] = bytes
            .try_into()
            .map_err(|_| invalid(&hex::encode(bytes), "a digest is 20 bytes"))?;
        Ok(Self { algorithm, digest })
    }

    /// Parses a hash string: 40, 47 or 49 characters, lower-case hex then the id.
    pub fn parse(text: &str) -> Result<Self, InvalidHash> {
        let (hex_part, algorithm) = match text.len() {
            40 => (text, HashAlgorithm::Sha1),
            47 if text.ends_with("-rmd160") => (&text[..40], HashAlgorithm::Rmd160),
            49 if text.ends_with("-shake128") => (&text[..40], HashAlgorithm::Shake128),
            47 | 49 => return Err(invalid(text, "unknown algorithm id")),
            _ => return Err(invalid(text, "wrong length (40, 47 or 49 characters)")),
        };
        if !hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid(text, "not lower-case hex"));
        }
        let mut digest = [0u8; DIGEST_LEN];
        hex::decode_to_slice(hex_part, &mut digest)
            .map_err(|_| invalid(text, "not lower-case hex"))?;
        Ok(Self { algorithm, digest })
    }

    /// The object's path below the repository's base URL: `data/XX/rest<suffix>`.
    pub fn object_path(&self, suffix: ObjectSuffix) -> String {
        let text = self.to_string();
        format!("data/{}/{}{}", &text[..2], &text[2..], suffix.as_str())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", hex::encode(self.digest), self.algorithm.id())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

impl FromStr for ContentHash {
    type Err = InvalidHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What kind of object a URL names: the character after the hash string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectSuffix {
    /// Whole regular-file content.
    None,
    /// A file catalog.
    Catalog,
    /// The history database.
    History,
    /// The signing certificate.
    Certificate,
    /// Meta-info JSON.
    MetaInfo,
    /// One chunk of a chunked file.
    Partial,
}

impl ObjectSuffix {
    /// The suffix character, or nothing.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Catalog => "C",
            Self::History => "H",
            Self::Certificate => "X",
            Self::MetaInfo => "M",
            Self::Partial => "P",
        }
    }
}

/// An incremental hash over bytes as they arrive (objects are hashed as served, before
/// they are decompressed).
pub struct Hasher {
    state: HasherState,
}

enum HasherState {
    Sha1(sha1::Sha1),
    Rmd160(ripemd::Ripemd160),
    // Boxed: its sponge state is four times the others'.
    Shake128(Box<sha3::Shake128>),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        let state = match algorithm {
            HashAlgorithm::Sha1 => HasherState::Sha1(sha1::Sha1::new()),
            HashAlgorithm::Rmd160 => HasherState::Rmd160(ripemd::Ripemd160::new()),
            HashAlgorithm::Shake128 => HasherState::Shake128(Box::default()),
        };
        Self { state }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        use sha3::digest::Update;
        match &mut self.state {
            HasherState::Sha1(h) => Digest::update(h, data),
            HasherState::Rmd160(h) => Digest::update(h, data),
            HasherState::Shake128(h) => h.as_mut().update(data),
        }
    }

    /// The hash of everything fed.
    pub fn finish(self) -> ContentHash {
        use sha3::digest::{ExtendableOutput, XofReader};
        let mut digest = [0u8; DIGEST_LEN];
        let algorithm = match self.state {
            HasherState::Sha1(h) => {
                digest.copy_from_slice(&h.finalize());
                HashAlgorithm::Sha1
            }
            HasherState::Rmd160(h) => {
                digest.copy_from_slice(&h.finalize());
                HashAlgorithm::Rmd160
            }
            HasherState::Shake128(h) => {
                (*h).finalize_xof().read(&mut digest);
                HashAlgorithm::Shake128
            }
        };
        ContentHash { algorithm, digest }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_reference_objects_have_their_paths() {
        let catalog = ContentHash::parse("34ec515941acb52652ac2c448407caebca2bfe49").unwrap();
        assert_eq!(
            catalog.object_path(ObjectSuffix::Catalog),
            "data/34/ec515941acb52652ac2c448407caebca2bfe49C"
        );
        let shake =
            ContentHash::parse("08b158e37829afbb15a0d8f78885b91941b16df2-shake128").unwrap();
        assert_eq!(shake.algorithm, HashAlgorithm::Shake128);
        assert_eq!(
            shake.object_path(ObjectSuffix::Catalog),
            "data/08/b158e37829afbb15a0d8f78885b91941b16df2-shake128C"
        );
    }

    #[test]
    fn known_digests() {
        // The empty zlib object of the format reference.
        let empty_zlib = [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
        assert_eq!(
            ContentHash::of(HashAlgorithm::Sha1, &empty_zlib).to_string(),
            "e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78"
        );
        assert_eq!(
            ContentHash::of(HashAlgorithm::Sha1, b"").to_string(),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        // Python: hashlib.shake_128(b"").hexdigest(20)
        assert_eq!(
            ContentHash::of(HashAlgorithm::Shake128, b"").to_string(),
            "7f9c2ba4e88f827d616045507605853ed73b8093-shake128"
        );
        assert_eq!(
            ContentHash::of(HashAlgorithm::Rmd160, b"").to_string(),
            "9c1185a5c5e9fc54612808977ee8f548b2258d31-rmd160"
        );
    }

    #[test]
    fn strict_parsing_refuses_what_upstream_lets_through() {
        for bad in [
            "",
            "34EC515941ACB52652AC2C448407CAEBCA2BFE49",
            "34ec515941acb52652ac2c448407caebca2bfe4g",
            "34ec515941acb52652ac2c448407caebca2bfe49-xxxxxx",
            "34ec515941acb52652ac2c448407caebca2bfe49-shake12x",
            "d41d8cd98f00b204e9800998ecf8427e",
        ] {
            assert!(ContentHash::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn hash_strings_round_trip(digest in any::<[u8; 20]>(), which in 0usize..3) {
            let hash = ContentHash { algorithm: HashAlgorithm::ALL[which], digest };
            prop_assert_eq!(ContentHash::parse(&hash.to_string()).unwrap(), hash);
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,60}") {
            let _ = ContentHash::parse(&text);
        }

        #[test]
        fn incremental_hashing_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300, which in 0usize..3) {
            let algorithm = HashAlgorithm::ALL[which];
            let cut = cut.min(data.len());
            let mut hasher = Hasher::new(algorithm);
            hasher.update(&data[..cut]);
            hasher.update(&data[cut..]);
            prop_assert_eq!(hasher.finish(), ContentHash::of(algorithm, &data));
        }
    }
}
