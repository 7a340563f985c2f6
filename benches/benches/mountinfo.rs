//! Parsing a generated 10,000-line mountinfo: ours against `procfs-core`, in one run.

use std::hint::black_box;
use std::io::Cursor;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cvmfs_benches::generated_mountinfo;
use cvmfs_core::MountTable;
use procfs_core::FromBufRead;
use procfs_core::process::MountInfos;

fn parse_mountinfo(c: &mut Criterion) {
    let text = generated_mountinfo(10_000);
    let mut group = c.benchmark_group("mountinfo-10k");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("cvmfs-core", |b| {
        b.iter(|| {
            let table =
                MountTable::parse(black_box(text.as_bytes())).expect("generated table parses");
            black_box(table.len())
        });
    });
    group.bench_function("procfs-core", |b| {
        b.iter(|| {
            let infos = MountInfos::from_buf_read(Cursor::new(black_box(text.as_bytes())))
                .expect("procfs parses");
            black_box(infos.0.len())
        });
    });
    group.finish();
    print_ratio(&text);
}

/// Prints the ratio of the two parsers' median times over a few rounds, so the goal
/// (at least 10 times faster) can be read off one run. Informative only.
fn print_ratio(text: &str) {
    let median = |f: &dyn Fn() -> usize| {
        let mut times: Vec<Duration> = (0..15)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let ours = median(&|| MountTable::parse(text.as_bytes()).map_or(0, |t| t.len()));
    let theirs = median(&|| {
        MountInfos::from_buf_read(Cursor::new(text.as_bytes())).map_or(0, |m| m.0.len())
    });
    println!(
        "mountinfo-10k ratio: cvmfs-core {ours:?}, procfs-core {theirs:?}: {:.1} times faster",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
}

criterion_group!(benches, parse_mountinfo);
criterion_main!(benches);
