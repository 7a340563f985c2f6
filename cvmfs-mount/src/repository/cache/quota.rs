//! The quota: the bytes the cache holds, kept in the file `lock` and changed only under
//! an exclusive `flock` of it, so several processes sharing one cache agree on it.
//! When a new object takes the usage over the quota, the least recently used objects
//! (by the access time [`Cache::open_object`] refreshes) are evicted down to half the
//! quota, as the client does; objects pinned by this process (catalogs in use) stay.
//! Another process's catalogs are open files: evicting them only unlinks the name.
//!
//! The counter is corrected by every scan (eviction, `info`), so a process killed
//! between a rename and the count costs precision only until the next scan.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use nix::fcntl::{Flock, FlockArg};
use serde::Serialize;

use super::{Cache, CacheError, io_error, private_dir};

/// Transaction files older than this are leftovers of a killed process.
const STALE_TRANSACTION: std::time::Duration = std::time::Duration::from_secs(3600);

/// What the cache holds.
#[derive(Debug, Clone, Serialize)]
pub struct CacheInfo {
    /// The cache directory.
    pub base: PathBuf,
    /// Whether it exists (nothing was cached yet when not).
    pub exists: bool,
    /// The quota in bytes (`None`: unlimited).
    pub quota_bytes: Option<u64>,
    /// Bytes held by objects.
    pub used_bytes: u64,
    /// Objects held.
    pub objects: u64,
    /// Objects pinned by this process.
    pub pinned: u64,
    /// Unfinished downloads in `txn/`.
    pub transactions: u64,
    /// Repositories whose accepted state is remembered.
    pub repositories: Vec<super::state::RepositoryState>,
}

/// What an eviction or wipe removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cleanup {
    /// Objects removed.
    pub evicted: u64,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// Bytes held afterwards.
    pub used_bytes: u64,
    /// Objects kept because they are pinned.
    pub kept_pinned: u64,
}

/// One object found by a scan.
struct Found {
    path: PathBuf,
    size: u64,
    used: SystemTime,
}

/// The exclusive lock of a cache, with its usage counter: the lock file's first bytes,
/// a decimal number padded to a fixed width, so it is read and written in place.
struct Locked<'a> {
    /// Empty while locked: the file is in `lock`, and goes back on drop.
    guard: std::sync::MutexGuard<'a, Option<File>>,
    lock: Option<Flock<File>>,
    path: PathBuf,
}

/// The counter's width: every u64 fits.
const USAGE_WIDTH: usize = 20;

impl Locked<'_> {
    fn file(&self) -> &File {
        self.lock
            .as_deref()
            .expect("the lock file is held until the drop")
    }

    fn read(&mut self) -> u64 {
        let mut text = [0u8; USAGE_WIDTH];
        match std::os::unix::fs::FileExt::read_at(self.file(), &mut text, 0) {
            Ok(n) => std::str::from_utf8(&text[..n])
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            Err(_) => 0,
        }
    }

    fn write(&mut self, bytes: u64) -> Result<(), CacheError> {
        let text = format!("{bytes:>USAGE_WIDTH$}\n");
        std::os::unix::fs::FileExt::write_all_at(self.file(), text.as_bytes(), 0)
            .map_err(io_error(&self.path))
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            // Unlocking a held flock does not fail; if it did, the descriptor closes
            // with it and the next lock opens the file again.
            if let Ok(file) = lock.unlock() {
                *self.guard = Some(file);
            }
        }
    }
}

impl Cache {
    /// The bytes the cache holds, as last counted (no lock taken: for `statfs`).
    pub fn usage(&self) -> u64 {
        let mut text = [0u8; USAGE_WIDTH];
        std::fs::File::open(self.base().join("lock"))
            .and_then(|file| std::os::unix::fs::FileExt::read_at(&file, &mut text, 0))
            .ok()
            .and_then(|n| std::str::from_utf8(&text[..n]).ok()?.trim().parse().ok())
            .unwrap_or(0)
    }

    fn lock(&self) -> Result<Locked<'_>, CacheError> {
        let path = self.base().join("lock");
        let mut guard = self.inner.lock.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            private_dir(self.base())?;
            let file = File::options()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io_error(&path))?;
            *guard = Some(file);
        }
        let file = guard.take().expect("opened above");
        let lock = Flock::lock(file, FlockArg::LockExclusive).map_err(|(file, errno)| {
            (*guard) = Some(file);
            io_error(&path)(errno.into())
        })?;
        Ok(Locked {
            guard,
            lock: Some(lock),
            path,
        })
    }

    /// Runs `put` (which says whether it added a new object of `size` bytes) under the
    /// lock, counts it, and evicts when the quota is exceeded.
    pub(super) fn account(
        &self,
        size: u64,
        put: impl FnOnce() -> Result<bool, CacheError>,
    ) -> Result<(), CacheError> {
        let mut locked = self.lock()?;
        if !put()? {
            return Ok(());
        }
        let used = locked.read().saturating_add(size);
        locked.write(used)?;
        if let Some(quota) = self.quota()
            && used > quota
        {
            self.evict_locked(&mut locked, quota / 2)?;
        }
        Ok(())
    }

    /// Removes one object file (damaged, or asked for) and counts it.
    pub(super) fn evict_file(&self, path: &Path, size: u64) {
        let Ok(mut locked) = self.lock() else {
            return;
        };
        if std::fs::remove_file(path).is_ok() {
            let used = locked.read().saturating_sub(size);
            let _ = locked.write(used);
        }
    }

    /// Every object, with its size and last use.
    fn scan(&self) -> Result<Vec<Found>, CacheError> {
        let mut found = Vec::new();
        let base = self.base();
        let entries = match std::fs::read_dir(base) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(io_error(base)(e)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Object directories are the two hex digits of a hash's start.
            if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let dir = entry.path();
            for object in std::fs::read_dir(&dir).map_err(io_error(&dir))?.flatten() {
                let Ok(meta) = object.metadata() else {
                    continue;
                };
                if meta.is_file() {
                    found.push(Found {
                        path: object.path(),
                        size: meta.len(),
                        used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    });
                }
            }
        }
        Ok(found)
    }

    fn evict_locked(&self, locked: &mut Locked, target: u64) -> Result<Cleanup, CacheError> {
        let mut found = self.scan()?;
        let mut used: u64 = found.iter().map(|f| f.size).sum();
        found.sort_by_key(|f| f.used);
        let mut cleanup = Cleanup::default();
        for object in found {
            if used <= target {
                break;
            }
            if self.is_pinned(&object.path) {
                cleanup.kept_pinned += 1;
                continue;
            }
            match std::fs::remove_file(&object.path) {
                Ok(()) => {
                    used -= object.size;
                    cleanup.evicted += 1;
                    cleanup.freed_bytes += object.size;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => used -= object.size,
                Err(e) => return Err(io_error(&object.path)(e)),
            }
        }
        self.remove_stale_transactions();
        cleanup.used_bytes = used;
        locked.write(used)?;
        Ok(cleanup)
    }

    fn remove_stale_transactions(&self) {
        let txn = self.base().join("txn");
        for entry in std::fs::read_dir(&txn).into_iter().flatten().flatten() {
            let stale = entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > STALE_TRANSACTION);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Evicts least recently used objects until at most `target` bytes remain (pinned
    /// ones stay).
    pub fn evict_to(&self, target: u64) -> Result<Cleanup, CacheError> {
        if !self.base().exists() {
            // Nothing there; nothing is created.
            return Ok(Cleanup::default());
        }
        let mut locked = self.lock()?;
        self.evict_locked(&mut locked, target)
    }

    /// Removes every object, except objects pinned by this process, and downloads left
    /// by killed processes (running downloads of others finish). The remembered revisions
    /// stay: forgetting them would let a rollback in.
    pub fn wipe(&self) -> Result<Cleanup, CacheError> {
        self.evict_to(0)
    }

    /// What the cache holds (and the usage counter corrected to it).
    pub fn info(&self) -> Result<CacheInfo, CacheError> {
        if !self.base().exists() {
            // Nothing cached yet; looking creates nothing.
            return Ok(CacheInfo {
                base: self.base().to_owned(),
                exists: false,
                quota_bytes: self.quota(),
                used_bytes: 0,
                objects: 0,
                pinned: 0,
                transactions: 0,
                repositories: Vec::new(),
            });
        }
        let mut locked = self.lock()?;
        let found = self.scan()?;
        let used: u64 = found.iter().map(|f| f.size).sum();
        locked.write(used)?;
        let pinned = found.iter().filter(|f| self.is_pinned(&f.path)).count() as u64;
        Ok(CacheInfo {
            base: self.base().to_owned(),
            exists: true,
            quota_bytes: self.quota(),
            used_bytes: used,
            objects: found.len() as u64,
            pinned,
            transactions: std::fs::read_dir(self.base().join("txn"))
                .map_or(0, |entries| entries.count() as u64),
            repositories: self.repositories(),
        })
    }
}
