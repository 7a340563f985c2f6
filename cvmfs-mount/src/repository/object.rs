//! Fetching an object and trusting it: the bytes as served must hash to the object's name
//! before anything looks at them; decompression must end cleanly and give exactly the
//! recorded size (or stay under a cap when none is recorded).

use std::io::Read;

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::{ContentHash, Hasher, ObjectSuffix};

use super::error::RepositoryError;
use super::source::{FetchError, ObjectSink, ObjectSource};

/// The largest object fetched at all (a catalog or a chunk); larger ones are refused.
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// The largest decompressed catalog, history or certificate accepted (a bomb's limit).
pub const MAX_METADATA_BYTES: u64 = 1 << 30;

/// What the caller expects after decompression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedSize {
    /// Exactly this many bytes (file contents and chunks).
    Exactly(u64),
    /// At most this many (catalogs and other metadata).
    AtMost(u64),
}

/// Where a verifying sink puts the decompressed bytes: memory or a cache transaction file.
pub trait Output: std::io::Write {
    /// Drops everything written (a new attempt starts).
    fn reset(&mut self) -> std::io::Result<()>;
}

impl Output for Vec<u8> {
    fn reset(&mut self) -> std::io::Result<()> {
        self.clear();
        Ok(())
    }
}

impl Output for &std::fs::File {
    fn reset(&mut self) -> std::io::Result<()> {
        use std::io::Seek;
        self.set_len(0)?;
        self.rewind()?;
        Ok(())
    }
}

/// Why verified bytes did not decompress as the catalog says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentProblem {
    /// The zlib stream is broken, incomplete, or followed by other bytes.
    Decompress(String),
    /// The decompressed size differs (or exceeds the cap: `actual` is `None`).
    Size {
        /// What was expected.
        expected: ExpectedSize,
        /// What it was, when within the cap.
        actual: Option<u64>,
    },
}

/// An object sink that hashes the bytes as served and decompresses them into an
/// [`Output`] as they arrive: memory stays bounded whatever the object's size.
/// Decompression problems are recorded, not raised, so that a wrong copy is still judged
/// by its hash (and fetched again) before anything blames the catalog.
pub struct VerifyingSink<O: Output> {
    expected: ContentHash,
    compression: Compression,
    size: ExpectedSize,
    hasher: Hasher,
    inflate: flate2::Decompress,
    ended: bool,
    produced: u64,
    received: u64,
    problem: Option<ContentProblem>,
    buffer: Vec<u8>,
    output: O,
    /// Whether the output holds bytes of an earlier attempt.
    dirty: bool,
}

impl<O: Output> VerifyingSink<O> {
    /// A sink expecting the object named `expected`, stored with `compression`, whose
    /// content must have `size`.
    pub fn new(
        expected: ContentHash,
        compression: Compression,
        size: ExpectedSize,
        output: O,
    ) -> Self {
        Self {
            expected,
            compression,
            size,
            hasher: Hasher::new(expected.algorithm),
            inflate: flate2::Decompress::new(true),
            ended: false,
            produced: 0,
            received: 0,
            problem: None,
            buffer: Vec::new(),
            output,
            dirty: false,
        }
    }

    fn limit(&self) -> u64 {
        match self.size {
            ExpectedSize::Exactly(n) | ExpectedSize::AtMost(n) => n,
        }
    }

    /// Passes decompressed bytes on, minding the size cap.
    fn emit(&mut self, range: std::ops::Range<usize>) -> std::io::Result<()> {
        let n = range.len() as u64;
        if self.produced.saturating_add(n) > self.limit() {
            self.problem = Some(ContentProblem::Size {
                expected: self.size,
                actual: None,
            });
            return Ok(());
        }
        self.produced += n;
        self.dirty = true;
        self.output.write_all(&self.buffer[range])
    }

    fn inflate(&mut self, mut input: &[u8]) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            // Sized for the object when it is small (most are), at most 64 KiB.
            let hint = match self.size {
                ExpectedSize::Exactly(n) => n.saturating_add(1),
                ExpectedSize::AtMost(_) => 64 * 1024,
            };
            self.buffer = vec![0u8; usize::try_from(hint.clamp(512, 64 * 1024)).unwrap_or(65536)];
        }
        loop {
            if self.problem.is_some() {
                return Ok(());
            }
            if self.ended {
                if !input.is_empty() {
                    self.problem = Some(ContentProblem::Decompress(
                        "trailing bytes after the stream".to_owned(),
                    ));
                }
                return Ok(());
            }
            let (before_in, before_out) = (self.inflate.total_in(), self.inflate.total_out());
            let status = match self.inflate.decompress(
                input,
                &mut self.buffer,
                flate2::FlushDecompress::None,
            ) {
                Ok(status) => status,
                Err(e) => {
                    self.problem = Some(ContentProblem::Decompress(e.to_string()));
                    return Ok(());
                }
            };
            let consumed = usize::try_from(self.inflate.total_in() - before_in).unwrap_or(0);
            let produced = usize::try_from(self.inflate.total_out() - before_out).unwrap_or(0);
            input = &input[consumed.min(input.len())..];
            self.emit(0..produced)?;
            if status == flate2::Status::StreamEnd {
                self.ended = true;
                continue;
            }
            // More input needed, and no output pending.
            if input.is_empty() && produced < self.buffer.len() {
                return Ok(());
            }
            if consumed == 0 && produced == 0 {
                self.problem = Some(ContentProblem::Decompress("the stream stalls".to_owned()));
                return Ok(());
            }
        }
    }

    /// After an accepted fetch: the decompressed size, or what is wrong with the content.
    pub fn outcome(&self) -> Result<u64, ContentProblem> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        if self.compression == Compression::Zlib && !self.ended {
            return Err(ContentProblem::Decompress(
                "the stream is incomplete".to_owned(),
            ));
        }
        let fits = match self.size {
            ExpectedSize::Exactly(n) => self.produced == n,
            ExpectedSize::AtMost(n) => self.produced <= n,
        };
        if fits {
            Ok(self.produced)
        } else {
            Err(ContentProblem::Size {
                expected: self.size,
                actual: Some(self.produced),
            })
        }
    }

    /// The output (the decompressed bytes).
    pub fn into_output(self) -> O {
        self.output
    }

    /// Bytes received in the accepted attempt.
    pub fn received(&self) -> u64 {
        self.received
    }
}

impl<O: Output> ObjectSink for VerifyingSink<O> {
    fn restart(&mut self) -> std::io::Result<()> {
        self.hasher = Hasher::new(self.expected.algorithm);
        self.inflate.reset(true);
        self.ended = false;
        self.produced = 0;
        self.received = 0;
        self.problem = None;
        if self.dirty {
            self.dirty = false;
            self.output.reset()?;
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.received += bytes.len() as u64;
        match self.compression {
            Compression::Zlib => self.inflate(bytes),
            Compression::None => {
                if self.problem.is_none() {
                    if self.produced + bytes.len() as u64 > self.limit() {
                        self.problem = Some(ContentProblem::Size {
                            expected: self.size,
                            actual: None,
                        });
                        return Ok(());
                    }
                    self.produced += bytes.len() as u64;
                    self.dirty = true;
                    self.output.write_all(bytes)?;
                }
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> Result<(), String> {
        let computed =
            std::mem::replace(&mut self.hasher, Hasher::new(self.expected.algorithm)).finish();
        if computed == self.expected {
            Ok(())
        } else {
            Err(computed.to_string())
        }
    }
}

impl ContentProblem {
    /// The error for `what`.
    pub fn into_error(self, what: &str) -> RepositoryError {
        match self {
            Self::Decompress(reason) => RepositoryError::Decompress {
                what: what.to_owned(),
                reason,
            },
            Self::Size { expected, actual } => RepositoryError::SizeMismatch {
                what: what.to_owned(),
                expected: match expected {
                    ExpectedSize::Exactly(n) => n.to_string(),
                    ExpectedSize::AtMost(n) => format!("at most {n}"),
                },
                actual: actual.map_or_else(|| "more".to_owned(), |n| n.to_string()),
            },
        }
    }
}

/// The error for a fetch of the object `hash` that failed.
pub fn fetch_error(
    what: &str,
    hash: &ContentHash,
    path: &str,
    error: FetchError,
) -> RepositoryError {
    match error {
        FetchError::WrongContent { reason, .. } => RepositoryError::HashMismatch {
            what: format!("{what} ({path})"),
            expected: hash.to_string(),
            computed: reason,
        },
        source => RepositoryError::Fetch {
            what: what.to_owned(),
            source,
        },
    }
}

/// Fetches `hash` (with `suffix`) into memory, verified and decompressed (small metadata
/// without a cache: certificates).
pub fn fetch_into_memory(
    source: &dyn ObjectSource,
    hash: &ContentHash,
    suffix: ObjectSuffix,
    compression: Compression,
    size: ExpectedSize,
    what: &str,
) -> Result<Vec<u8>, RepositoryError> {
    let path = hash.object_path(suffix);
    let mut sink = VerifyingSink::new(*hash, compression, size, Vec::new());
    source
        .fetch_to(&path, MAX_OBJECT_BYTES, &mut sink)
        .map_err(|e| fetch_error(what, hash, &path, e))?;
    sink.outcome().map_err(|p| p.into_error(what))?;
    Ok(sink.into_output())
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

    mod streaming {
        use super::super::*;
        use super::zlib;
        use cvmfs_core::repository::hash::HashAlgorithm;
        use proptest::prelude::*;

        fn stream(
            served: &[u8],
            hash: ContentHash,
            size: ExpectedSize,
            piece: usize,
        ) -> (Result<(), String>, Result<u64, ContentProblem>, Vec<u8>) {
            let mut sink = VerifyingSink::new(hash, Compression::Zlib, size, Vec::new());
            sink.restart().unwrap();
            for chunk in served.chunks(piece.max(1)) {
                sink.write(chunk).unwrap();
            }
            let verdict = sink.finish();
            let outcome = sink.outcome();
            (verdict, outcome, sink.into_output())
        }

        proptest! {
            /// Any content, served in pieces of any size, comes out whole; a flipped
            /// byte anywhere is refused by the hash; a stream cut short never passes.
            #[test]
            fn pieces_of_any_size_give_the_content_and_damage_is_refused(
                data in proptest::collection::vec(any::<u8>(), 0..20_000),
                piece in 1usize..70_000,
                flip in any::<prop::sample::Index>(),
            ) {
                let served = zlib(&data);
                let hash = ContentHash::of(HashAlgorithm::Sha1, &served);
                let size = ExpectedSize::Exactly(data.len() as u64);
                let (verdict, outcome, out) = stream(&served, hash, size, piece);
                prop_assert!(verdict.is_ok());
                prop_assert_eq!(outcome, Ok(data.len() as u64));
                prop_assert_eq!(out, data.clone());
                let mut damaged = served.clone();
                let at = flip.index(damaged.len());
                damaged[at] ^= 0x40;
                prop_assert!(stream(&damaged, hash, size, piece).0.is_err());
                let cut = &served[..at];
                let (_, outcome, _) =
                    stream(cut, ContentHash::of(HashAlgorithm::Sha1, cut), size, piece);
                prop_assert!(outcome.is_err());
            }
        }

        #[test]
        fn a_bomb_stops_at_the_cap() {
            let served = zlib(&vec![0u8; 10_000_000]);
            let hash = ContentHash::of(HashAlgorithm::Sha1, &served);
            let (verdict, outcome, out) = stream(&served, hash, ExpectedSize::AtMost(1000), 4096);
            assert!(verdict.is_ok());
            assert!(matches!(
                outcome,
                Err(ContentProblem::Size { actual: None, .. })
            ));
            assert!(out.len() <= 1000, "{}", out.len());
        }
    }
}
