//! Parsing a generated 10,000-line mountinfo: ours against `procfs-core`, in one run.

use std::hint::black_box;
use std::io::Cursor;

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
}

criterion_group!(benches, parse_mountinfo);
criterion_main!(benches);
