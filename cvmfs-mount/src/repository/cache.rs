//! The local cache: objects kept after they verified, content-addressed under a base
//! directory, and the trust state each repository last accepted. Writes land in a
//! transaction directory and are renamed into place, so a `kill -9` at any moment never
//! leaves a partial object visible; every object is checked against its hash again when
//! it is used, so a damaged cache costs a download, never a wrong byte.

use std::path::{Path, PathBuf};

use cvmfs_core::repository::trust::AcceptedState;

use super::source::{FetchError, ObjectSource};

/// A cache directory (`CVMFS_CACHE_BASE`), shared by repositories: objects are named by
/// their hash, which is the same in every repository.
#[derive(Debug, Clone)]
pub struct Cache {
    base: PathBuf,
}

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
#[error("cache {path}: {source}")]
pub struct CacheError {
    /// The file or directory.
    pub path: PathBuf,
    /// The error.
    #[source]
    pub source: std::io::Error,
}

impl Cache {
    /// A cache below `base` (created on first write).
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Self { base: base.into() }
    }

    /// The cache's directory.
    pub fn base(&self) -> &Path {
        &self.base
    }

    fn object(&self, path: &str) -> Option<PathBuf> {
        // Only content-addressed objects (`data/XX/...`) are kept.
        let rest = path.strip_prefix("data/")?;
        if rest.split('/').any(|c| c.is_empty() || c == "..") {
            return None;
        }
        Some(self.base.join("objects").join(rest))
    }

    /// Writes `bytes` to `target` through the transaction directory.
    fn write(&self, target: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        let error = |path: &Path| {
            let path = path.to_owned();
            move |source| CacheError { path, source }
        };
        let txn = self.base.join("txn");
        std::fs::create_dir_all(&txn).map_err(error(&txn))?;
        let parent = target.parent().unwrap_or(&self.base);
        std::fs::create_dir_all(parent).map_err(error(parent))?;
        let mut file = tempfile::NamedTempFile::new_in(&txn).map_err(error(&txn))?;
        std::io::Write::write_all(&mut file, bytes).map_err(error(file.path()))?;
        file.as_file().sync_data().map_err(error(target))?;
        file.persist(target).map_err(|e| CacheError {
            path: target.to_owned(),
            source: e.error,
        })?;
        Ok(())
    }

    /// The object at `path` if the cache holds it.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.object(path)?).ok()
    }

    /// Keeps an object that verified.
    pub fn put(&self, path: &str, bytes: &[u8]) -> Result<(), CacheError> {
        match self.object(path) {
            Some(target) if !target.exists() => self.write(&target, bytes),
            _ => Ok(()),
        }
    }

    /// Drops an object (it failed its hash when used).
    pub fn evict(&self, path: &str) {
        if let Some(target) = self.object(path) {
            let _ = std::fs::remove_file(target);
        }
    }

    fn state_path(&self, fqrn: &str) -> PathBuf {
        self.base.join("state").join(format!("{fqrn}.json"))
    }

    /// What the client last accepted for `fqrn`, if anything.
    pub fn accepted(&self, fqrn: &str) -> Option<AcceptedState> {
        let text = std::fs::read_to_string(self.state_path(fqrn)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Remembers what the client accepted for `fqrn` (a rollback is refused across
    /// restarts).
    pub fn remember(&self, fqrn: &str, state: &AcceptedState) -> Result<(), CacheError> {
        let text = serde_json::to_string(state).unwrap_or_default();
        self.write(&self.state_path(fqrn), text.as_bytes())
    }
}

/// An object source that answers from the cache first and keeps what verified.
pub struct CachingSource<S> {
    inner: S,
    cache: Cache,
}

impl<S: ObjectSource> CachingSource<S> {
    /// Wraps `inner` with `cache`.
    pub fn new(inner: S, cache: Cache) -> Self {
        Self { inner, cache }
    }
}

impl<S: ObjectSource> ObjectSource for CachingSource<S> {
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        match self.cache.get(path) {
            Some(bytes) if bytes.len() as u64 <= limit => Ok(bytes),
            _ => self.inner.fetch(path, limit),
        }
    }

    fn fetch_fresh(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        // A cached copy failed its hash: drop it and go to the servers, past their caches.
        self.cache.evict(path);
        self.inner.fetch_fresh(path, limit)
    }

    fn verified(&self, path: &str, bytes: &[u8]) {
        // A cache that cannot be written only costs downloads.
        if let Err(e) = self.cache.put(path, bytes) {
            log::warn!("{e}");
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} (cache {})",
            self.inner.describe(),
            self.cache.base().display()
        )
    }
}
