//! Where a repository's files come from: a served tree in a local directory or a
//! `file://` URL here; HTTP joins in the network issue. Sources return bytes as served;
//! nothing they return is trusted before it is verified.

use std::path::{Path, PathBuf};

/// A failed fetch.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The file does not exist at the source.
    #[error("{url}: not found")]
    NotFound {
        /// What was asked for.
        url: String,
    },
    /// Reading failed.
    #[error("{url}: {source}")]
    Read {
        /// What was asked for.
        url: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Every server and proxy failed; each try is listed.
    #[error("{url}: every server and proxy failed: {}", attempts.join("; "))]
    AllFailed {
        /// What was asked for.
        url: String,
        /// Each try: URL, proxy and what it answered.
        attempts: Vec<String>,
    },
    /// The source refused to deliver more than the limit.
    #[error("{url}: larger than the {limit}-byte limit")]
    TooLarge {
        /// What was asked for.
        url: String,
        /// The limit.
        limit: u64,
    },
}

/// Delivers the files below a repository's base URL.
pub trait ObjectSource: Send + Sync {
    /// The bytes of `path` (relative to the base, e.g. `.cvmfspublished` or
    /// `data/ab/cdef...C`), at most `limit` bytes.
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError>;

    /// The same, bypassing caches on the way (`Pragma: no-cache`): the retry after
    /// content failed its hash.
    fn fetch_fresh(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.fetch(path, limit)
    }

    /// Told about an object whose bytes (as fetched) verified against its hash: a cache
    /// keeps it.
    fn verified(&self, _path: &str, _bytes: &[u8]) {}

    /// Where the source is, for messages.
    fn describe(&self) -> String;
}

/// A served tree in a directory (what a stratum-1 serves for one repository).
#[derive(Debug, Clone)]
pub struct DirectorySource {
    root: PathBuf,
}

impl DirectorySource {
    /// A source reading below `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// A directory or a `file://` URL.
    pub fn from_location(location: &str) -> Self {
        Self::new(location.strip_prefix("file://").unwrap_or(location))
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl ObjectSource for DirectorySource {
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        // Paths come from hash strings and fixed names; never let one climb out.
        let url = format!("{}/{path}", self.root.display());
        if path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(FetchError::NotFound { url });
        }
        let file = self.root.join(path);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.len() > limit => return Err(FetchError::TooLarge { url, limit }),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::NotFound { url });
            }
            Err(source) => return Err(FetchError::Read { url, source }),
        }
        std::fs::read(&file).map_err(|source| FetchError::Read { url, source })
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}
