//! Fetching an object and trusting it: the bytes as served must hash to the object's name
//! before anything looks at them; decompression must end cleanly and give exactly the
//! recorded size (or stay under a cap when none is recorded).

use std::io::Read;

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::{ContentHash, Hasher, ObjectSuffix};

use super::error::RepositoryError;
use super::source::ObjectSource;

/// The largest object fetched at all (a catalog or a chunk); larger ones are refused.
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// The largest decompressed catalog, history or certificate accepted (a bomb's limit).
pub const MAX_METADATA_BYTES: u64 = 1 << 30;

/// What the caller expects after decompression.
#[derive(Debug, Clone, Copy)]
pub enum ExpectedSize {
    /// Exactly this many bytes (file contents and chunks).
    Exactly(u64),
    /// At most this many (catalogs and other metadata).
    AtMost(u64),
}

/// Fetches `hash` (with `suffix`) and returns its verified bytes as served.
pub fn fetch_verified(
    source: &dyn ObjectSource,
    hash: &ContentHash,
    suffix: ObjectSuffix,
    what: &str,
) -> Result<Vec<u8>, RepositoryError> {
    let path = hash.object_path(suffix);
    let bytes = source
        .fetch(&path, MAX_OBJECT_BYTES)
        .map_err(|source| RepositoryError::Fetch {
            what: format!("{what} {hash}"),
            source,
        })?;
    let digest = |bytes: &[u8]| {
        let mut hasher = Hasher::new(hash.algorithm);
        hasher.update(bytes);
        hasher.finish()
    };
    if digest(&bytes) == *hash {
        source.verified(&path, &bytes);
        return Ok(bytes);
    }
    // Once more past any cache on the way (a proxy may hold a damaged copy); a second
    // mismatch is the server's.
    let bytes = source
        .fetch_fresh(&path, MAX_OBJECT_BYTES)
        .map_err(|source| RepositoryError::Fetch {
            what: format!("{what} {hash}"),
            source,
        })?;
    let computed = digest(&bytes);
    if computed != *hash {
        return Err(RepositoryError::HashMismatch {
            what: format!("{what} ({path})"),
            expected: hash.to_string(),
            computed: computed.to_string(),
        });
    }
    source.verified(&path, &bytes);
    Ok(bytes)
}

/// Decompresses verified bytes.
pub fn decompress(
    bytes: Vec<u8>,
    compression: Compression,
    expected: ExpectedSize,
    what: &str,
) -> Result<Vec<u8>, RepositoryError> {
    let limit = match expected {
        ExpectedSize::Exactly(n) | ExpectedSize::AtMost(n) => n,
    };
    let out = match compression {
        Compression::None => bytes,
        Compression::Zlib => {
            let mut decoder = flate2::read::ZlibDecoder::new(&bytes[..]);
            let mut out = Vec::new();
            // One byte over the limit proves "too large" without inflating a bomb.
            let mut bounded = (&mut decoder).take(limit.saturating_add(1));
            bounded
                .read_to_end(&mut out)
                .map_err(|e| RepositoryError::Decompress {
                    what: what.to_owned(),
                    reason: e.to_string(),
                })?;
            if u64::try_from(out.len()).unwrap_or(u64::MAX) <= limit {
                // A clean end: the whole input was one complete stream.
                let consumed = decoder.total_in();
                if consumed != u64::try_from(bytes.len()).unwrap_or(u64::MAX) {
                    return Err(RepositoryError::Decompress {
                        what: what.to_owned(),
                        reason: format!(
                            "{} trailing bytes after the stream",
                            bytes.len() as u64 - consumed.min(bytes.len() as u64)
                        ),
                    });
                }
            }
            out
        }
    };
    let actual = u64::try_from(out.len()).unwrap_or(u64::MAX);
    let fits = match expected {
        ExpectedSize::Exactly(n) => actual == n,
        ExpectedSize::AtMost(n) => actual <= n,
    };
    if !fits {
        return Err(RepositoryError::SizeMismatch {
            what: what.to_owned(),
            expected: match expected {
                ExpectedSize::Exactly(n) => n.to_string(),
                ExpectedSize::AtMost(n) => format!("at most {n}"),
            },
            actual: if actual > limit {
                "more".to_owned()
            } else {
                actual.to_string()
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn exact_sizes_clean_ends_and_bombs() {
        let data = vec![7u8; 10_000];
        let packed = zlib(&data);
        assert_eq!(
            decompress(
                packed.clone(),
                Compression::Zlib,
                ExpectedSize::Exactly(10_000),
                "x"
            )
            .unwrap(),
            data
        );
        assert!(matches!(
            decompress(
                packed.clone(),
                Compression::Zlib,
                ExpectedSize::Exactly(9_999),
                "x"
            ),
            Err(RepositoryError::SizeMismatch { .. })
        ));
        // A bomb against a small cap: refused after cap + 1 bytes.
        assert!(matches!(
            decompress(
                packed.clone(),
                Compression::Zlib,
                ExpectedSize::AtMost(100),
                "x"
            ),
            Err(RepositoryError::SizeMismatch { .. })
        ));
        let mut trailing = packed.clone();
        trailing.extend_from_slice(b"junk");
        assert!(matches!(
            decompress(
                trailing,
                Compression::Zlib,
                ExpectedSize::Exactly(10_000),
                "x"
            ),
            Err(RepositoryError::Decompress { .. })
        ));
        let truncated = packed[..packed.len() - 3].to_vec();
        assert!(
            decompress(
                truncated,
                Compression::Zlib,
                ExpectedSize::Exactly(10_000),
                "x"
            )
            .is_err()
        );
    }
}
