//! The local cache: objects kept after they verified, decompressed and named by their
//! hash under a base directory (`XX/<rest of the hash>`, as the client lays it out), and
//! the trust state each repository last accepted.
//!
//! - Downloads land in `txn/` and are renamed into place, so a `kill -9` at any moment
//!   never leaves a partial object visible.
//! - As with the client, an object in the cache is trusted without verifying it again:
//!   it got there only after its hash matched, and the directories are the user's own
//!   (mode 0700). Its size is still checked on every open.
//! - [`quota`]: usage, LRU eviction down to half the quota, pins, the lock that lets
//!   several processes share one cache, `info`, `wipe`.
//! - [`state`]: per repository, the last accepted revision and the signed files that
//!   proved it, for rollback refusal and offline mode across restarts.

pub mod quota;
pub mod state;

use std::collections::HashMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::ContentHash;

/// The quota when the configuration names none: the client's `default.conf` value.
pub const DEFAULT_QUOTA_BYTES: u64 = 4000 * 1024 * 1024;

/// An object's access time is refreshed (for LRU) at most this often.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A cache directory (`CVMFS_CACHE_BASE`), shared by repositories and processes: objects
/// are named by their hash, which is the same in every repository.
#[derive(Debug, Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base: PathBuf,
    quota: Option<u64>,
    /// Set once `txn/` and the 256 object directories exist.
    layout: std::sync::OnceLock<()>,
    /// The lock file (holding the usage), opened once; the mutex orders this process's
    /// threads, the `flock` on it other processes.
    lock: Mutex<Option<std::fs::File>>,
}

/// Objects pinned by this process, by path: every handle on a cache sees the pins of
/// the others.
static PINS: std::sync::LazyLock<Mutex<HashMap<PathBuf, usize>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A file or directory of the cache could not be read or written.
    #[error("cache {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The cache settings are wrong; every problem is listed.
    #[error("cache settings: {}", problems.join("; "))]
    Settings {
        /// Each problem, naming the setting.
        problems: Vec<String>,
    },
}

/// A helper for mapping I/O errors to the path they concern.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Creates `dir` (and parents) with mode 0700.
pub(crate) fn private_dir(dir: &Path) -> Result<(), CacheError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))
}

/// A download in progress: a file in `txn/`, renamed into place by [`Cache::commit`].
#[derive(Debug)]
pub struct Transaction {
    file: tempfile::NamedTempFile,
}

impl Transaction {
    /// The file to write the decompressed bytes to.
    pub fn file(&self) -> &std::fs::File {
        self.file.as_file()
    }
}

/// An object the cache holds, open.
#[derive(Debug)]
pub struct CachedObject {
    /// Its file in the cache.
    pub path: PathBuf,
    /// The open file (stays readable even if the object is evicted meanwhile).
    pub file: std::fs::File,
    /// Its decompressed size.
    pub size: u64,
}

/// Keeps an object from eviction while held (catalogs in use).
#[derive(Debug)]
pub struct Pin {
    path: PathBuf,
}

impl Drop for Pin {
    fn drop(&mut self) {
        let mut pins = PINS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = pins.get_mut(&self.path) {
            *count -= 1;
            if *count == 0 {
                pins.remove(&self.path);
            }
        }
    }
}

impl Cache {
    /// A cache below `base` (created on first write) with the default quota.
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Self::with_quota(base, Some(DEFAULT_QUOTA_BYTES))
    }

    /// A cache below `base` holding at most `quota` bytes (`None`: unlimited).
    pub fn with_quota(base: impl Into<PathBuf>, quota: Option<u64>) -> Self {
        Self {
            inner: Arc::new(Inner {
                base: base.into(),
                quota,
                layout: std::sync::OnceLock::new(),
                lock: Mutex::new(None),
            }),
        }
    }

    /// The cache a repository's effective configuration names: `CVMFS_CACHE_BASE` (plus
    /// `shared` with `CVMFS_SHARED_CACHE=yes`, the default, else the fqrn) and
    /// `CVMFS_QUOTA_LIMIT` in MB (`-1`: unlimited); every bad setting is listed.
    pub fn from_config(config: &cvmfs_core::config::EffectiveConfig) -> Result<Self, CacheError> {
        let mut problems = Vec::new();
        let base = config.get("CVMFS_CACHE_BASE").unwrap_or("/var/lib/cvmfs");
        if !base.starts_with('/') {
            problems.push(format!("CVMFS_CACHE_BASE={base:?} is not an absolute path"));
        }
        let shared = match config.get("CVMFS_SHARED_CACHE") {
            None => true,
            Some(value) => config.switch("CVMFS_SHARED_CACHE").unwrap_or_else(|| {
                problems.push(format!("CVMFS_SHARED_CACHE={value:?} is not yes or no"));
                true
            }),
        };
        let quota = match config.get("CVMFS_QUOTA_LIMIT").map(str::trim) {
            None => Some(DEFAULT_QUOTA_BYTES),
            Some("-1") => None,
            Some(value) => match value.parse::<u64>() {
                Ok(mb) => Some(mb.saturating_mul(1024 * 1024)),
                Err(_) => {
                    problems.push(format!(
                        "CVMFS_QUOTA_LIMIT={value:?} is not a number of megabytes or -1"
                    ));
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(CacheError::Settings { problems });
        }
        let leaf = if shared {
            "shared".to_owned()
        } else {
            config.fqrn.as_str().to_owned()
        };
        Ok(Self::with_quota(Path::new(base).join(leaf), quota))
    }

    /// The cache the client configuration in `config_dir` names for `fqrn`, or, without
    /// one, the cache of the configuration's defaults (`default.conf`, `default.local`:
    /// resolved for a name no domain or repository file matches).
    pub fn configured(config_dir: &Path, fqrn: Option<&str>) -> Result<Self, CacheError> {
        let name = cvmfs_core::Fqrn::parse(fqrn.unwrap_or("defaults.invalid")).map_err(|e| {
            CacheError::Settings {
                problems: vec![e.to_string()],
            }
        })?;
        let config = crate::client_config::load_effective(config_dir, Path::new("/cvmfs"), &name);
        Self::from_config(&config)
    }

    /// The cache's directory.
    pub fn base(&self) -> &Path {
        &self.inner.base
    }

    /// The quota in bytes (`None`: unlimited).
    pub fn quota(&self) -> Option<u64> {
        self.inner.quota
    }

    /// The file an object is kept in. Objects stored uncompressed get a `u` after the
    /// hash, so a catalog that lies about an object's compression cannot make another
    /// catalog read the other form.
    pub fn object_path(&self, hash: &ContentHash, compression: Compression) -> PathBuf {
        let name = hash.to_string();
        let (prefix, rest) = name.split_at(2.min(name.len()));
        let rest = match compression {
            Compression::Zlib => rest.to_owned(),
            Compression::None => format!("{rest}u"),
        };
        self.inner.base.join(prefix).join(rest)
    }

    /// The object if the cache holds it with the right size (`None` for any size);
    /// opening it counts as a use for LRU.
    pub fn open_object(
        &self,
        hash: &ContentHash,
        compression: Compression,
        size: Option<u64>,
    ) -> Option<CachedObject> {
        let path = self.object_path(hash, compression);
        let file = std::fs::File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        if size.is_some_and(|n| n != meta.len()) {
            // Not what the catalog says: a damaged copy. Drop it; it is fetched again.
            drop(file);
            self.evict_file(&path, meta.len());
            return None;
        }
        let now = SystemTime::now();
        let stale = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_none_or(|age| age > TOUCH_INTERVAL);
        if stale {
            // LRU order only: a failure costs nothing but precision.
            let _ = file.set_modified(now);
        }
        Some(CachedObject {
            path,
            size: meta.len(),
            file,
        })
    }

    /// Creates `txn/` and the object directories `00`..`ff` once.
    fn ensure_layout(&self) -> Result<(), CacheError> {
        if self.inner.layout.get().is_some() {
            return Ok(());
        }
        private_dir(&self.inner.base.join("txn"))?;
        for prefix in 0..=255u8 {
            private_dir(&self.inner.base.join(format!("{prefix:02x}")))?;
        }
        let _ = self.inner.layout.set(());
        Ok(())
    }

    /// Whether the cache holds the object with the right size (no access recorded).
    pub fn contains(&self, hash: &ContentHash, compression: Compression, size: u64) -> bool {
        std::fs::metadata(self.object_path(hash, compression)).is_ok_and(|m| m.len() == size)
    }

    /// Starts a download into the transaction directory.
    pub fn begin(&self) -> Result<Transaction, CacheError> {
        self.ensure_layout()?;
        let txn = self.inner.base.join("txn");
        let file = tempfile::NamedTempFile::new_in(&txn).map_err(io_error(&txn))?;
        Ok(Transaction { file })
    }

    /// Puts a verified download in place, counts it against the quota (evicting the
    /// least recently used objects down to half the quota when it is exceeded), and
    /// opens it.
    pub fn commit(
        &self,
        transaction: Transaction,
        hash: &ContentHash,
        compression: Compression,
    ) -> Result<CachedObject, CacheError> {
        let target = self.object_path(hash, compression);
        let file = transaction.file;
        // No fsync, as the client: a kill -9 loses nothing written (the page cache
        // stays), and what a power loss might truncate fails the size check on use.
        let size = file
            .as_file()
            .metadata()
            .map_err(io_error(file.path()))?
            .len();
        let mut opened = None;
        self.account(size, || match file.persist_noclobber(&target) {
            Ok(file) => {
                opened = Some(file);
                Ok(true)
            }
            // Another process or thread put it there first: the same bytes.
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_error(&target)(e.error)),
        })?;
        let file = match opened {
            Some(file) => file,
            None => std::fs::File::open(&target).map_err(io_error(&target))?,
        };
        Ok(CachedObject {
            path: target,
            file,
            size,
        })
    }

    /// Keeps the object at `path` from eviction until the pin is dropped.
    pub fn pin(&self, path: &Path) -> Pin {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let mut pins = PINS.lock().unwrap_or_else(|e| e.into_inner());
        *pins.entry(path.clone()).or_default() += 1;
        Pin { path }
    }

    fn is_pinned(&self, path: &Path) -> bool {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let pins = PINS.lock().unwrap_or_else(|e| e.into_inner());
        pins.contains_key(&path)
    }

    /// Drops an object.
    pub fn evict(&self, hash: &ContentHash, compression: Compression) {
        let path = self.object_path(hash, compression);
        if let Ok(meta) = std::fs::metadata(&path) {
            self.evict_file(&path, meta.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> cvmfs_core::config::EffectiveConfig {
        crate::client_config::resolved_for_tests("atlas.cern.ch", text)
    }

    #[test]
    fn the_configuration_names_the_cache_and_its_quota() {
        let shared = Cache::from_config(&config("CVMFS_CACHE_BASE=/scratch/cvmfs\n")).unwrap();
        assert_eq!(shared.base(), Path::new("/scratch/cvmfs/shared"));
        assert_eq!(shared.quota(), Some(DEFAULT_QUOTA_BYTES));
        let own = Cache::from_config(&config(
            "CVMFS_CACHE_BASE=/scratch/cvmfs\nCVMFS_SHARED_CACHE=no\nCVMFS_QUOTA_LIMIT=100\n",
        ))
        .unwrap();
        assert_eq!(own.base(), Path::new("/scratch/cvmfs/atlas.cern.ch"));
        assert_eq!(own.quota(), Some(100 * 1024 * 1024));
        let unlimited = Cache::from_config(&config("CVMFS_QUOTA_LIMIT=-1\n")).unwrap();
        assert_eq!(unlimited.base(), Path::new("/var/lib/cvmfs/shared"));
        assert_eq!(unlimited.quota(), None);
    }

    #[test]
    fn every_bad_cache_setting_is_listed() {
        let Err(CacheError::Settings { problems }) = Cache::from_config(&config(
            "CVMFS_CACHE_BASE=relative\nCVMFS_SHARED_CACHE=maybe\nCVMFS_QUOTA_LIMIT=lots\n",
        )) else {
            panic!("bad settings accepted");
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("CVMFS_CACHE_BASE"));
    }
}
