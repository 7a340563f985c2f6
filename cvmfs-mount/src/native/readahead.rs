//! Readahead across a directory: when a file's object has to be downloaded at open, the
//! objects of the files listed after it in its directory are fetched in the background,
//! in parallel, into the cache, so a reader going through the directory finds them there
//! (or joins their download already under way). Bounded: a few files per miss, a few
//! threads at once; it never delays the open that triggered it, and its failures are
//! left to the open that needs the file.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::repository::{Entry, EntryKind, Repository};

/// Files fetched ahead per miss.
const FILES_AHEAD: usize = 32;

/// Threads fetching ahead at once (each takes files from a shared list).
const MAX_THREADS: usize = 8;

/// Threads per miss.
const THREADS_PER_MISS: usize = 4;

/// Takes one of the [`MAX_THREADS`] places, if one is free.
fn claim(running: &AtomicUsize) -> bool {
    running
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < MAX_THREADS).then_some(n + 1)
        })
        .is_ok()
}

/// Fetches ahead of misses.
#[derive(Debug, Default)]
pub struct Readahead {
    running: Arc<AtomicUsize>,
}

impl Readahead {
    /// Whether `entry`'s content must be downloaded to open it (a whole-file object the
    /// cache lacks).
    pub fn misses(repo: &Repository, entry: &Entry) -> bool {
        match &entry.content {
            Some(content) => content.hash.is_some_and(|hash| {
                !repo
                    .fetcher()
                    .cache()
                    .contains(&hash, content.compression, entry.size)
            }),
            None => false,
        }
    }

    /// Starts fetching the files listed after `entry` in its directory.
    pub fn after(&self, repo: &Arc<Repository>, entry: &Entry) {
        let parent = entry
            .path
            .rsplit_once('/')
            .map_or("", |(p, _)| p)
            .to_owned();
        let name = entry.name().to_owned();
        let repo = Arc::clone(repo);
        let running = Arc::clone(&self.running);
        if !claim(&running) {
            return;
        }
        std::thread::spawn(move || {
            let ahead: Vec<Entry> = repo
                .list(&parent)
                .unwrap_or_default()
                .into_iter()
                .skip_while(|e| e.name() != name)
                .skip(1)
                .filter(|e| e.kind == EntryKind::File && Readahead::misses(&repo, e))
                .take(FILES_AHEAD)
                .collect();
            let next = AtomicUsize::new(0);
            let work = || {
                while let Some(entry) = ahead.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let _ = repo.open_content(entry);
                }
            };
            std::thread::scope(|scope| {
                let mut helpers = 0;
                while helpers + 1 < THREADS_PER_MISS && helpers + 1 < ahead.len() && claim(&running)
                {
                    helpers += 1;
                    scope.spawn(|| {
                        work();
                        running.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                work();
            });
            running.fetch_sub(1, Ordering::SeqCst);
        });
    }
}
