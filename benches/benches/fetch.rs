//! Fetching over HTTP and reading the cache, whole-run figures (not criterion: a cold
//! fetch happens once per cache).
//!
//! - Cold fetch of a published repository of 20,000 small files from nginx on loopback:
//!   objects per second with 1, 4 and 16 parallel downloads (verified, decompressed and
//!   committed to a fresh cache), against `curl --parallel` fetching the same object URLs
//!   with keep-alive (the limit of this machine). Goal: at least 70 % of curl's best rate
//!   at our best parallelism.
//! - Warm reads: every file read back through the reader from the cache, bytes per
//!   second, against reading the same cache files directly.
//!
//! Needs the web server of `.ci/web` (`benches/fetch.sh` starts and stops it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: failures should panic

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cvmfs_core::repository::hash::HashAlgorithm;
use cvmfs_core::repository::trust::Blacklist;
use cvmfs_mount::repository::cache::Cache;
use cvmfs_mount::repository::fetcher::Fetcher;
use cvmfs_mount::repository::http_source::{HttpSettings, HttpSource};
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::repository::{Entry, OpenOptions, Repository, RootChoice};

const FQRN: &str = "fetch-bench.example.org";
const FILES: usize = 20_000;
const DIRS: usize = 2_000;

/// 20,000 files of 1–4 KiB (random, so every one is its own object) in 2,000 directories.
fn publish_tree(web_root: &Path, work: &Path) -> (PathBuf, PathBuf) {
    let source = work.join("source");
    for i in 0..FILES {
        let dir = source.join(format!("d{:04}", i % DIRS));
        std::fs::create_dir_all(&dir).unwrap();
        let size = 1024 + (i * 7919) % 3072;
        let bytes: Vec<u8> = (0..size).map(|_| rand::random::<u8>()).collect();
        std::fs::write(dir.join(format!("f{i:05}")), bytes).unwrap();
    }
    let served = web_root.join("cvmfs").join(FQRN);
    let keys = work.join("keys");
    let _ = std::fs::remove_dir_all(&served);
    publish(
        &source,
        &served,
        &PublishOptions {
            fqrn: FQRN.to_owned(),
            keys_dir: keys.clone(),
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 0,
            chunk_size: 0,
            whitelist_days: 30,
            tag: None,
            now_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            ttl: 240,
        },
    )
    .unwrap();
    (served, keys)
}

fn open(url: &str, keys: &Path, cache: &Cache, parallel: usize) -> Repository {
    let anchors = load_anchors(&[], Some(keys)).unwrap();
    let blacklist = Blacklist::default();
    let source = HttpSource::new(HttpSettings::direct(vec![url.to_owned()]));
    let fetcher = Fetcher::new(Arc::new(source), cache.clone(), parallel);
    Repository::open_with(
        Arc::new(fetcher),
        &OpenOptions {
            fqrn: FQRN,
            anchors: &anchors,
            now_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            accepted: None,
            blacklist: &blacklist,
            root: RootChoice::Head,
            scratch_dir: None,
        },
    )
    .unwrap()
}

/// Runs `work` on every item from `threads` threads.
fn in_parallel<T: Sync>(items: &[T], threads: usize, work: impl Fn(&T) + Sync) -> Duration {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    work(item);
                }
            });
        }
    });
    started.elapsed()
}

fn entries(repo: &Repository) -> Vec<Entry> {
    let mut out = Vec::new();
    for dir in repo.list("/").unwrap() {
        out.extend(repo.list(&dir.path).unwrap());
    }
    assert_eq!(out.len(), FILES);
    out
}

/// curl fetching every object URL with keep-alive, `parallel` transfers at a time.
fn curl(urls: &[String], parallel: usize, work: &Path) -> Duration {
    let config = work.join(format!("curl-{parallel}.cfg"));
    let text: String = urls
        .iter()
        .map(|u| format!("url = \"{u}\"\noutput = \"/dev/null\"\n"))
        .collect();
    std::fs::write(&config, text).unwrap();
    let started = Instant::now();
    let status = std::process::Command::new("curl")
        .args(["--silent", "--fail", "--parallel", "--parallel-max"])
        .arg(parallel.to_string())
        .arg("--config")
        .arg(&config)
        .status()
        .expect("curl");
    assert!(status.success(), "curl failed");
    started.elapsed()
}

fn object_urls(served: &Path, url: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for dir in std::fs::read_dir(served.join("data")).unwrap().flatten() {
        for object in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let name = object.file_name().to_string_lossy().into_owned();
            // File objects only (catalogs end in C, certificates in X, histories in H).
            if !name.ends_with(['C', 'X', 'H']) {
                urls.push(format!(
                    "{url}/data/{}/{name}",
                    dir.file_name().to_string_lossy()
                ));
            }
        }
    }
    urls
}

fn main() {
    // cargo bench passes `--bench`; nothing else is accepted.
    let (Ok(root), Ok(web)) = (
        std::env::var("CVMFS_TEST_WEB_ROOT"),
        std::env::var("CVMFS_TEST_WEB_URL"),
    ) else {
        eprintln!("needs nginx from .ci/web: run benches/fetch.sh");
        std::process::exit(2);
    };
    let work = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (served, keys) = publish_tree(Path::new(&root), work.path());
    eprintln!(
        "published {FILES} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let url = format!("{web}/cvmfs/{FQRN}");
    let urls = object_urls(&served, &url);
    assert_eq!(urls.len(), FILES);

    println!("| parallel | ours (objects/s) | curl keep-alive (objects/s) | ours / curl |");
    println!("|---|---|---|---|");
    let cache_base = match std::env::var("FETCH_BENCH_CACHE") {
        Ok(dir) => tempfile::tempdir_in(dir).unwrap(),
        Err(_) if Path::new("/dev/shm").is_dir() => tempfile::tempdir_in("/dev/shm").unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    eprintln!("cache below {}", cache_base.path().display());
    let mut best = (0.0f64, 0.0f64);
    let mut warm_repo = None;
    // FETCH_BENCH_PARALLEL=N measures only N, without curl (for profiling).
    let only: Option<usize> = std::env::var("FETCH_BENCH_PARALLEL")
        .ok()
        .and_then(|v| v.parse().ok());
    for parallel in only.map_or_else(|| vec![1, 4, 16], |n| vec![n]) {
        // The cache on tmpfs by default: the fetch path, not this VM's ext4 inode
        // allocation, is measured (FETCH_BENCH_CACHE=DIR puts it elsewhere).
        let cache_dir = cache_base.path().join(format!("cache-{parallel}"));
        let cache = Cache::with_quota(&cache_dir, None);
        let repo = open(&url, &keys, &cache, parallel);
        let list = entries(&repo);
        let ours = in_parallel(&list, parallel, |entry| {
            repo.read_entry(entry).unwrap();
        });
        if only.is_some() {
            println!(
                "| {parallel} | {:.0} | - | - |",
                FILES as f64 / ours.as_secs_f64()
            );
            return;
        }
        let theirs = curl(&urls, parallel, work.path());
        let (ours, theirs) = (
            FILES as f64 / ours.as_secs_f64(),
            FILES as f64 / theirs.as_secs_f64(),
        );
        best = (best.0.max(ours), best.1.max(theirs));
        println!(
            "| {parallel} | {ours:.0} | {theirs:.0} | {:.0} % |",
            100.0 * ours / theirs
        );
        warm_repo = Some((repo, list, cache_dir));
    }
    println!(
        "\nbest: ours {:.0} objects/s, curl {:.0} objects/s: {:.0} % (goal: at least 70 %)\n",
        best.0,
        best.1,
        100.0 * best.0 / best.1
    );

    let (repo, list, cache_dir) = warm_repo.unwrap();
    let bytes: u64 = list.iter().map(|e| e.size).sum();
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&cache_dir).unwrap().flatten() {
        if dir.file_name().len() == 2 {
            files.extend(
                std::fs::read_dir(dir.path())
                    .unwrap()
                    .flatten()
                    .map(|f| f.path()),
            );
        }
    }
    println!("| warm reads, {FILES} files, {bytes} bytes | MB/s |");
    println!("|---|---|");
    for round in 0..2 {
        let ours = in_parallel(&list, 1, |entry| {
            std::hint::black_box(repo.read_entry(entry).unwrap());
        });
        let direct = in_parallel(&files, 1, |path| {
            std::hint::black_box(std::fs::read(path).unwrap());
        });
        let mb = |d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
        if round == 1 {
            println!(
                "| reader from the cache (entries known) | {:.0} |",
                mb(ours)
            );
            println!("| the cache files read directly | {:.0} |", mb(direct));
            println!("| ratio | {:.0} % |", 100.0 * mb(ours) / mb(direct));
        }
    }
    let _ = std::fs::remove_dir_all(&served);
}
