//! Objects on demand: from the cache when it holds them, else downloaded once, verified
//! while streaming, decompressed into a cache transaction and committed. Concurrent
//! requests for the same object share one download; independent objects download in
//! parallel up to a limit. The counters are the client's `ndownload`, `rx` and `hitrate`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::{ContentHash, ObjectSuffix};
use serde::Serialize;

use super::cache::{Cache, CachedObject};
use super::error::RepositoryError;
use super::object::{ExpectedSize, MAX_OBJECT_BYTES, VerifyingSink, fetch_error};
use super::source::ObjectSource;

/// Parallel downloads when not told otherwise.
pub const DEFAULT_PARALLEL_DOWNLOADS: usize = 16;

/// What the fetcher has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FetchCounters {
    /// Objects downloaded (`ndownload`).
    pub downloads: u64,
    /// Bytes received as served (`rx`).
    pub bytes_received: u64,
    /// Requests answered by the cache.
    pub cache_hits: u64,
    /// Requests that needed a download (including shared ones).
    pub cache_misses: u64,
    /// Downloads that failed.
    pub failures: u64,
}

#[derive(Default)]
struct Counters {
    downloads: AtomicU64,
    bytes_received: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    failures: AtomicU64,
}

/// One download others may wait for: `None` while running, then its outcome.
#[derive(Default)]
struct Flight {
    outcome: Mutex<Option<Result<(), String>>>,
    done: Condvar,
}

/// A counting limit on running downloads.
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

struct SlotGuard<'a>(&'a Slots);

impl Slots {
    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.released.notify_one();
    }
}

/// Fetches objects of one source into one cache.
pub struct Fetcher {
    source: Arc<dyn ObjectSource>,
    cache: Cache,
    flights: Mutex<HashMap<PathBuf, Arc<Flight>>>,
    slots: Slots,
    counters: Counters,
    // A private cache's directory lives as long as the fetcher.
    _private: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Fetcher({} into {})",
            self.source.describe(),
            self.cache.base().display()
        )
    }
}

impl Fetcher {
    /// A fetcher from `source` into `cache`, at most `parallel` downloads at a time.
    pub fn new(source: Arc<dyn ObjectSource>, cache: Cache, parallel: usize) -> Self {
        Self {
            source,
            cache,
            flights: Mutex::new(HashMap::new()),
            slots: Slots {
                free: Mutex::new(parallel.max(1)),
                released: Condvar::new(),
            },
            counters: Counters::default(),
            _private: None,
        }
    }

    /// A fetcher with a private cache in a temporary directory (removed with it).
    pub fn with_private_cache(
        source: Arc<dyn ObjectSource>,
        parallel: usize,
    ) -> Result<Self, RepositoryError> {
        let dir = tempfile::TempDir::new().map_err(|source| RepositoryError::Scratch {
            catalog: "(private cache)".to_owned(),
            dir: std::env::temp_dir(),
            source,
        })?;
        let mut fetcher = Self::new(source, Cache::new(dir.path()), parallel);
        fetcher._private = Some(dir);
        Ok(fetcher)
    }

    /// The source.
    pub fn source(&self) -> &dyn ObjectSource {
        self.source.as_ref()
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The counters so far.
    pub fn counters(&self) -> FetchCounters {
        let c = &self.counters;
        FetchCounters {
            downloads: c.downloads.load(Ordering::Relaxed),
            bytes_received: c.bytes_received.load(Ordering::Relaxed),
            cache_hits: c.cache_hits.load(Ordering::Relaxed),
            cache_misses: c.cache_misses.load(Ordering::Relaxed),
            failures: c.failures.load(Ordering::Relaxed),
        }
    }

    /// The object `hash` (stored with `compression`, content of `size`), open from the
    /// cache; downloaded and verified first when the cache lacks it. `what` names it in
    /// errors (called only on a miss: a cache hit formats nothing).
    pub fn object(
        &self,
        hash: &ContentHash,
        suffix: ObjectSuffix,
        compression: Compression,
        size: ExpectedSize,
        what: &dyn Fn() -> String,
    ) -> Result<CachedObject, RepositoryError> {
        let exact = match size {
            ExpectedSize::Exactly(n) => Some(n),
            ExpectedSize::AtMost(_) => None,
        };
        if let Some(object) = self.cache.open_object(hash, compression, exact) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(object);
        }
        self.counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        let what = &what();
        let key = self.cache.object_path(hash, compression);
        // Twice at most: an object evicted between a shared download and its opening is
        // downloaded again by this thread.
        for _ in 0..2 {
            let (flight, leader) = {
                let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
                match flights.get(&key) {
                    Some(flight) => (Arc::clone(flight), false),
                    None => {
                        let flight = Arc::new(Flight::default());
                        flights.insert(key.clone(), Arc::clone(&flight));
                        (flight, true)
                    }
                }
            };
            if leader {
                let result = self.download(hash, suffix, compression, size, what);
                self.flights
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                let mut outcome = flight.outcome.lock().unwrap_or_else(|e| e.into_inner());
                *outcome = Some(result.as_ref().map(|_| ()).map_err(ToString::to_string));
                flight.done.notify_all();
                return result;
            }
            let mut outcome = flight.outcome.lock().unwrap_or_else(|e| e.into_inner());
            while outcome.is_none() {
                outcome = flight.done.wait(outcome).unwrap_or_else(|e| e.into_inner());
            }
            if let Some(Err(reason)) = outcome.as_ref() {
                return Err(RepositoryError::SharedFetch {
                    what: what.to_owned(),
                    reason: reason.clone(),
                });
            }
            drop(outcome);
            if let Some(object) = self.cache.open_object(hash, compression, exact) {
                return Ok(object);
            }
        }
        self.download(hash, suffix, compression, size, what)
    }

    fn download(
        &self,
        hash: &ContentHash,
        suffix: ObjectSuffix,
        compression: Compression,
        size: ExpectedSize,
        what: &str,
    ) -> Result<CachedObject, RepositoryError> {
        let _slot = self.slots.acquire();
        let result = self.download_now(hash, suffix, compression, size, what);
        if result.is_err() {
            self.counters.failures.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    fn download_now(
        &self,
        hash: &ContentHash,
        suffix: ObjectSuffix,
        compression: Compression,
        size: ExpectedSize,
        what: &str,
    ) -> Result<CachedObject, RepositoryError> {
        let transaction = self.cache.begin()?;
        let path = hash.object_path(suffix);
        let mut sink = VerifyingSink::new(*hash, compression, size, transaction.file());
        self.source
            .fetch_to(&path, MAX_OBJECT_BYTES, &mut sink)
            .map_err(|e| fetch_error(what, hash, &path, e))?;
        self.counters.downloads.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes_received
            .fetch_add(sink.received(), Ordering::Relaxed);
        // The bytes are the object's; a catalog that says otherwise about its size or
        // compression is wrong, and nothing is kept.
        sink.outcome().map_err(|problem| problem.into_error(what))?;
        drop(sink);
        Ok(self.cache.commit(transaction, hash, compression)?)
    }
}
