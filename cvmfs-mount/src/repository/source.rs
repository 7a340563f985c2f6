//! Where a repository's files come from: a served tree in a local directory or a
//! `file://` URL here, HTTP in [`super::http_source`]. Sources return bytes as served;
//! nothing they return is trusted before it is verified. Objects stream into an
//! [`ObjectSink`], which hashes them as they arrive, so memory stays bounded whatever
//! the object's size.

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
    /// Every copy found had the wrong content (its hash did not match its name), even
    /// past caches.
    #[error("{url}: wrong content: {reason}")]
    WrongContent {
        /// What was asked for.
        url: String,
        /// What the check said (the computed hash).
        reason: String,
    },
    /// Keeping the bytes failed locally (the cache's disk): no server is to blame.
    #[error("{url}: storing it failed: {source}")]
    Store {
        /// What was asked for.
        url: String,
        /// The error.
        #[source]
        source: std::io::Error,
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

/// Receives an object's bytes as they arrive and judges them at the end.
pub trait ObjectSink {
    /// A new attempt starts: forget what an earlier one delivered.
    fn restart(&mut self) -> std::io::Result<()>;

    /// The next bytes. An error here is local (the disk) and ends the fetch.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()>;

    /// The body is complete. `Err` (with the computed hash) says the content is wrong:
    /// the source tries once more past caches, then elsewhere.
    fn finish(&mut self) -> Result<(), String>;
}

/// Delivers the files below a repository's base URL.
pub trait ObjectSource: Send + Sync {
    /// The bytes of `path` (relative to the base, e.g. `.cvmfspublished`), at most
    /// `limit` bytes: the small signed files.
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError>;

    /// Streams the object at `path` (`data/ab/cdef...C`, at most `limit` bytes) into
    /// `sink` until the sink accepts it; a copy the sink refuses is fetched once more
    /// past caches on the way (`Pragma: no-cache`), then from the next server.
    fn fetch_to(&self, path: &str, limit: u64, sink: &mut dyn ObjectSink)
    -> Result<(), FetchError>;

    /// Where the source is, for messages.
    fn describe(&self) -> String;

    /// The server and proxy in use now (the client's `user.host` and `user.proxy`).
    fn current(&self) -> (String, String) {
        (self.describe(), "DIRECT".to_owned())
    }

    /// Every server, `;`-separated from the current one (`user.host_list`).
    fn host_list(&self) -> String {
        self.current().0
    }
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

impl DirectorySource {
    /// The file for `path` after its size was checked against `limit`.
    fn file(&self, path: &str, limit: u64) -> Result<(PathBuf, String), FetchError> {
        // Paths come from hash strings and fixed names; never let one climb out.
        let url = format!("{}/{path}", self.root.display());
        if path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(FetchError::NotFound { url });
        }
        let file = self.root.join(path);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.len() > limit => Err(FetchError::TooLarge { url, limit }),
            Ok(_) => Ok((file, url)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::NotFound { url }),
            Err(source) => Err(FetchError::Read { url, source }),
        }
    }
}

impl ObjectSource for DirectorySource {
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let (file, url) = self.file(path, limit)?;
        std::fs::read(&file).map_err(|source| FetchError::Read { url, source })
    }

    fn fetch_to(
        &self,
        path: &str,
        limit: u64,
        sink: &mut dyn ObjectSink,
    ) -> Result<(), FetchError> {
        let (file, url) = self.file(path, limit)?;
        let mut reason = String::new();
        // A second read stands for the client's retry past caches.
        for _ in 0..2 {
            sink.restart().map_err(|source| FetchError::Store {
                url: url.clone(),
                source,
            })?;
            let mut reader = std::fs::File::open(&file).map_err(|source| FetchError::Read {
                url: url.clone(),
                source,
            })?;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = std::io::Read::read(&mut reader, &mut buffer).map_err(|source| {
                    FetchError::Read {
                        url: url.clone(),
                        source,
                    }
                })?;
                if n == 0 {
                    break;
                }
                sink.write(&buffer[..n])
                    .map_err(|source| FetchError::Store {
                        url: url.clone(),
                        source,
                    })?;
            }
            match sink.finish() {
                Ok(()) => return Ok(()),
                Err(why) => reason = why,
            }
        }
        Err(FetchError::WrongContent { url, reason })
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}
