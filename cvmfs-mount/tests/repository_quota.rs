//! The cache quota and the fetcher: least recently used objects go first, pinned ones
//! stay, handles that share one directory (as processes do: the lock is a `flock` of
//! each handle's own open file) agree on the usage, a repository read through a small
//! quota never fails, one download serves concurrent readers of one object, and
//! independent downloads run in parallel up to the limit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::{ContentHash, HashAlgorithm};
use cvmfs_core::repository::trust::Blacklist;
use cvmfs_mount::repository::cache::Cache;
use cvmfs_mount::repository::fetcher::Fetcher;
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::repository::source::{FetchError, ObjectSink};
use cvmfs_mount::repository::{DirectorySource, ObjectSource, OpenOptions, Repository, RootChoice};

const FQRN: &str = "quota.example.org";
const NOW: u64 = 1_800_000_000;

fn put(cache: &Cache, bytes: &[u8]) -> (ContentHash, std::path::PathBuf) {
    let hash = ContentHash::of(HashAlgorithm::Sha1, bytes);
    let transaction = cache.begin().unwrap();
    transaction.file().write_all(bytes).unwrap();
    let object = cache.commit(transaction, &hash, Compression::Zlib).unwrap();
    (hash, object.path)
}

fn age(path: &Path, seconds: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(seconds))
        .unwrap();
}

fn usage_file(cache: &Cache) -> u64 {
    std::fs::read_to_string(cache.base().join("lock"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn least_recently_used_objects_go_first_down_to_half_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::with_quota(dir.path(), Some(100_000));
    let objects: Vec<_> = (0..5u8).map(|i| put(&cache, &[i; 20_000])).collect();
    for (i, (_, path)) in objects.iter().enumerate() {
        age(path, 500 - 100 * i as u64);
    }
    assert_eq!(cache.info().unwrap().used_bytes, 100_000);
    // Using the oldest makes it the newest.
    let (hash, _) = &objects[0];
    assert!(
        cache
            .open_object(hash, Compression::Zlib, Some(20_000))
            .is_some()
    );
    let (_, newest) = put(&cache, &[9; 20_000]);
    let info = cache.info().unwrap();
    assert_eq!(info.used_bytes, 40_000, "{info:?}");
    assert!(objects[0].1.exists() && newest.exists());
    assert!(objects[1..].iter().all(|(_, p)| !p.exists()));
}

#[test]
fn pinned_objects_stay_and_a_wipe_keeps_the_remembered_state() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::with_quota(dir.path(), Some(50_000));
    let (_, pinned) = put(&cache, &[1; 20_000]);
    age(&pinned, 1000);
    let pin = cache.pin(&pinned);
    let (_, other) = put(&cache, &[2; 20_000]);
    age(&other, 500);
    put(&cache, &[3; 20_000]);
    assert!(pinned.exists(), "a pinned object is never evicted");
    assert!(!other.exists());
    let cleanup = cache.wipe().unwrap();
    assert_eq!(cleanup.kept_pinned, 1);
    assert_eq!(cleanup.used_bytes, 20_000);
    drop(pin);
    assert_eq!(cache.wipe().unwrap().used_bytes, 0);
    assert_eq!(cache.info().unwrap().objects, 0);
}

#[test]
fn handles_sharing_one_directory_agree_on_the_usage() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            // Each handle opens the lock file itself, like another process would.
            let cache = Cache::with_quota(dir.path(), Some(64 * 1024));
            std::thread::spawn(move || {
                for i in 0..25u8 {
                    let mut bytes = vec![t; 4096];
                    bytes[0] = i;
                    put(&cache, &bytes);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let cache = Cache::with_quota(dir.path(), Some(64 * 1024));
    let counted = usage_file(&cache);
    let info = cache.info().unwrap();
    assert_eq!(counted, info.used_bytes, "the counter matches the files");
    assert!(info.used_bytes <= 64 * 1024, "{info:?}");
    assert_eq!(info.used_bytes, info.objects * 4096);
    assert_eq!(info.transactions, 0);
}

fn published(work: &Path, files: usize, size: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let source = work.join("source");
    std::fs::create_dir_all(&source).unwrap();
    for i in 0..files {
        // Random, so every file is its own object.
        let bytes: Vec<u8> = (0..size).map(|_| rand::random::<u8>()).collect();
        std::fs::write(source.join(format!("f{i:02}.bin")), bytes).unwrap();
    }
    std::fs::write(source.join("same.txt"), b"one object, many readers").unwrap();
    let (served, keys) = (work.join("served"), work.join("keys"));
    publish(
        &source,
        &served,
        &PublishOptions {
            fqrn: FQRN.to_owned(),
            keys_dir: keys.clone(),
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 1 << 30,
            chunk_size: 1 << 20,
            whitelist_days: 30,
            tag: None,
            now_unix: NOW,
            ttl: 240,
        },
    )
    .unwrap();
    (served, keys)
}

#[test]
fn a_repository_read_through_a_small_quota_never_fails() {
    let work = tempfile::tempdir().unwrap();
    let (served, keys) = published(work.path(), 30, 10_000);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let cache = Cache::with_quota(work.path().join("cache"), Some(100_000));
    let repo = cvmfs_mount::repository::open_location(
        served.to_str().unwrap(),
        Some(FQRN),
        &anchors,
        Some(NOW + 1),
        RootChoice::Head,
        Some(&cache),
    )
    .unwrap();
    for round in 0..2 {
        for i in 0..30 {
            let bytes = repo.read(&format!("f{i:02}.bin")).unwrap();
            assert_eq!(bytes.len(), 10_000, "round {round}");
        }
    }
    let info = cache.info().unwrap();
    assert!(info.used_bytes <= 100_000, "{info:?}");
    assert_eq!(info.pinned, 1, "the root catalog in use");
    let counters = repo.counters_of_fetches();
    assert!(
        counters.downloads > 30,
        "evicted objects were fetched again: {counters:?}"
    );
}

/// A directory source that is slow and counts what it is asked for.
struct Counting {
    inner: DirectorySource,
    calls: Mutex<HashMap<String, usize>>,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl ObjectSource for Counting {
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.inner.fetch(path, limit)
    }

    fn fetch_to(
        &self,
        path: &str,
        limit: u64,
        sink: &mut dyn ObjectSink,
    ) -> Result<(), FetchError> {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(path.to_owned())
            .or_default() += 1;
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(150));
        let result = self.inner.fetch_to(path, limit, sink);
        self.running.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[test]
fn concurrent_readers_share_one_download_and_downloads_run_in_parallel_up_to_the_limit() {
    let work = tempfile::tempdir().unwrap();
    let (served, keys) = published(work.path(), 8, 1000);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let source = Arc::new(Counting {
        inner: DirectorySource::new(&served),
        calls: Mutex::new(HashMap::new()),
        running: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let fetcher = Fetcher::new(
        Arc::clone(&source) as Arc<dyn ObjectSource>,
        Cache::new(work.path().join("cache")),
        3,
    );
    let blacklist = Blacklist::default();
    let repo = Arc::new(
        Repository::open_with(
            Arc::new(fetcher),
            &OpenOptions {
                fqrn: FQRN,
                anchors: &anchors,
                now_unix: NOW + 1,
                accepted: None,
                blacklist: &blacklist,
                root: RootChoice::Head,
                scratch_dir: None,
            },
        )
        .unwrap(),
    );
    let same = repo
        .stat("same.txt")
        .unwrap()
        .content
        .unwrap()
        .hash
        .unwrap();
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let repo = Arc::clone(&repo);
            std::thread::spawn(move || repo.read("same.txt").unwrap())
        })
        .collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), b"one object, many readers");
    }
    let path = same.object_path(cvmfs_core::repository::hash::ObjectSuffix::None);
    assert_eq!(
        source.calls.lock().unwrap()[&path],
        1,
        "one shared download"
    );
    source.peak.store(0, Ordering::SeqCst);
    let readers: Vec<_> = (0..8)
        .map(|i| {
            let repo = Arc::clone(&repo);
            std::thread::spawn(move || repo.read(&format!("f{i:02}.bin")).unwrap().len())
        })
        .collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), 1000);
    }
    let peak = source.peak.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&peak),
        "parallel, at most 3 at a time: {peak}"
    );
}
