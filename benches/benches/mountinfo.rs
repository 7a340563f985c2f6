//! Parsing a generated 10,000-line mountinfo: ours against `procfs-core`, in one run,
//! with the number of allocations each parse makes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cvmfs_benches::generated_mountinfo;
use cvmfs_core::MountTable;
use procfs_core::FromBufRead;
use procfs_core::process::MountInfos;

/// The system allocator, counting allocations (reallocations included).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract; the
// counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes.
fn allocations(f: impl FnOnce() -> usize) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    black_box(f());
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

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
    group.bench_function("cvmfs-core-in-place", |b| {
        b.iter_batched_ref(
            || text.clone().into_bytes(),
            |buffer| {
                let table =
                    MountTable::parse_in_place(black_box(buffer)).expect("generated table parses");
                black_box(table.len())
            },
            BatchSize::LargeInput,
        );
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
    print_allocations(&text);
}

/// Prints how many allocations one parse of the table makes with each parser.
fn print_allocations(text: &str) {
    let escaped = text.lines().filter(|line| line.contains('\\')).count();
    let copying = allocations(|| MountTable::parse(text.as_bytes()).map_or(0, |t| t.len()));
    let mut buffer = text.as_bytes().to_vec();
    let in_place = allocations(|| MountTable::parse_in_place(&mut buffer).map_or(0, |t| t.len()));
    let procfs = allocations(|| {
        MountInfos::from_buf_read(Cursor::new(text.as_bytes())).map_or(0, |m| m.0.len())
    });
    println!(
        "mountinfo-10k allocations ({} lines, {escaped} with an escape): cvmfs-core parse {copying}, \
         parse_in_place {in_place}, procfs-core {procfs}",
        text.lines().count()
    );
}

/// Prints the ratio of the parsers' median times, measured alternately (so both see the
/// same machine state) after a warm-up, so the goal (at least 10 times faster) can be read
/// off one run. Informative only.
fn print_ratio(text: &str) {
    const ROUNDS: usize = 41;
    let time = |f: &mut dyn FnMut() -> usize| {
        let start = Instant::now();
        black_box(f());
        start.elapsed()
    };
    let mut ours = || MountTable::parse(text.as_bytes()).map_or(0, |t| t.len());
    let mut buffer = text.as_bytes().to_vec();
    let mut in_place = || {
        buffer.copy_from_slice(text.as_bytes());
        MountTable::parse_in_place(&mut buffer).map_or(0, |t| t.len())
    };
    let mut theirs =
        || MountInfos::from_buf_read(Cursor::new(text.as_bytes())).map_or(0, |m| m.0.len());
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for round in 0..ROUNDS + 5 {
        let taken = [time(&mut ours), time(&mut in_place), time(&mut theirs)];
        if round >= 5 {
            for (list, sample) in samples.iter_mut().zip(taken) {
                list.push(sample);
            }
        }
    }
    let [ours, in_place, theirs] = samples.map(|mut list| {
        list.sort();
        list[list.len() / 2]
    });
    let ratio = |ours: Duration| theirs.as_secs_f64() / ours.as_secs_f64();
    println!(
        "mountinfo-10k medians of {ROUNDS}: cvmfs-core parse {ours:?} ({:.1} times faster), \
         parse_in_place {in_place:?} including a copy of the text ({:.1} times faster), \
         procfs-core {theirs:?}",
        ratio(ours),
        ratio(in_place)
    );
}

criterion_group!(benches, parse_mountinfo);
criterion_main!(benches);
