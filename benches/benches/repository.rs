//! The repository reader: lookups and listings per second on a published catalog of
//! 100,000 entries, and verify+decompress throughput of an object against plain `flate2`
//! decompression of the same bytes (the limit; goal: at least 80 % of it).

use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::{HashAlgorithm, ObjectSuffix};
use cvmfs_core::repository::trust::Blacklist;
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::object::{ExpectedSize, fetch_into_memory};
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::repository::{DirectorySource, OpenOptions, Repository, RootChoice};

const FQRN: &str = "bench.example.org";
const NOW: u64 = 1_800_000_000;
const DIRS: usize = 100;
const FILES_PER_DIR: usize = 1000;

/// Publishes 100 directories of 1000 small files (100,100 entries in one catalog).
fn published(work: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let source = work.join("source");
    for d in 0..DIRS {
        let dir = source.join(format!("dir{d:03}"));
        std::fs::create_dir_all(&dir).expect("source directory");
        for f in 0..FILES_PER_DIR {
            // Ten distinct contents: the catalog is large, the object store small.
            std::fs::write(
                dir.join(format!("file{f:04}.txt")),
                format!("content {}\n", f % 10),
            )
            .expect("source file");
        }
    }
    // One 1 MiB object for the throughput comparison.
    let big: Vec<u8> = (0..1_048_576u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 % 16 + b'a')
        .collect();
    std::fs::write(source.join("big.bin"), big).expect("big file");
    let served = work.join("served");
    let keys = work.join("keys");
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
            now_unix: NOW,
            ttl: 240,
        },
    )
    .expect("publish");
    (served, keys)
}

fn bench(c: &mut Criterion) {
    let work = tempfile::tempdir().expect("work directory");
    let (served, keys) = published(work.path());
    let anchors = load_anchors(&[], Some(&keys)).expect("keys");
    let blacklist = Blacklist::default();
    let repo = Repository::open(
        Arc::new(DirectorySource::new(&served)),
        &OpenOptions {
            fqrn: FQRN,
            anchors: &anchors,
            now_unix: NOW + 60,
            accepted: None,
            blacklist: &blacklist,
            root: RootChoice::Head,
            scratch_dir: None,
        },
    )
    .expect("open");
    let paths: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "/dir{:03}/file{:04}.txt",
                (i * 37) % DIRS,
                (i * 101) % FILES_PER_DIR
            )
        })
        .collect();
    let mut group = c.benchmark_group("catalog of 100,100 entries");
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function("stat 1000 paths", |b| {
        b.iter(|| {
            for path in &paths {
                black_box(repo.stat(path).expect("stat"));
            }
        });
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("list a 1000-entry directory", |b| {
        b.iter(|| black_box(repo.list("/dir042").expect("list").len()));
    });
    group.finish();

    let entry = repo.stat("big.bin").expect("big");
    let hash = entry
        .content
        .as_ref()
        .and_then(|c| c.hash)
        .expect("a whole-file object");
    let source = DirectorySource::new(&served);
    let raw = std::fs::read(served.join(hash.object_path(ObjectSuffix::None))).expect("object");
    let mut group = c.benchmark_group("1 MiB object");
    group.throughput(Throughput::Bytes(entry.size));
    group.bench_function("fetch + verify hash + decompress (ours)", |b| {
        b.iter(|| {
            black_box(
                fetch_into_memory(
                    &source,
                    &hash,
                    ObjectSuffix::None,
                    Compression::Zlib,
                    ExpectedSize::Exactly(entry.size),
                    "bench",
                )
                .expect("verified and decompressed"),
            )
        });
    });
    group.bench_function("read file + decompress (flate2 only, the limit)", |b| {
        b.iter(|| {
            let bytes =
                std::fs::read(served.join(hash.object_path(ObjectSuffix::None))).expect("object");
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .expect("zlib");
            black_box(out)
        });
    });
    group.finish();
    black_box(raw);
}

criterion_group!(benches, bench);
criterion_main!(benches);
