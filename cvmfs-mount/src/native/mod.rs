//! Our own read-only client: one repository mounted through the shared FUSE layer
//! ([`crate::fuse`]) from the verified reader ([`crate::repository`]), configured as the
//! client is (`/etc/cvmfs` layered over built-in defaults for the public domains), with
//! the client's cache, fail-over, offline mode and refresh after the TTL.
//!
//! - [`server_args`]: the server's command line.
//! - [`tree`]: the repository as a read-only tree ([`RepositoryTree`]).
//! - [`readahead`]: fetching the rest of a directory in the background after a miss.
//! - [`setup`]: from the configuration to an open repository (servers, proxies, keys,
//!   cache, ownership, TTL cap).

pub mod readahead;
pub mod server_args;
pub mod setup;
pub mod tree;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub use server_args::NativeArgs;
pub use setup::{NativeSetup, open};
pub use tree::{NATIVE_VERSION, Ownership, RepositoryTree};

use crate::error::MountError;
use crate::fuse::{CacheLifetimes, Faults, InProcessSession, ServeOptions, run_detached};
use crate::repository::live::LiveRepository;

/// The tree, its faults and how it is served, for `args`.
fn prepare(
    args: &NativeArgs,
) -> Result<
    (
        RepositoryTree,
        Arc<LiveRepository>,
        Arc<Faults>,
        ServeOptions,
    ),
    MountError,
> {
    let setup = open(args)?;
    let live = Arc::clone(&setup.live);
    let faults = Arc::new(Faults::default());
    faults.hang.store(args.hang, Ordering::SeqCst);
    let current = live.current();
    let ready_note = match current.offline() {
        Some(why) => format!(
            "revision {} offline from the cache ({why})",
            current.trusted().manifest.revision
        ),
        None => format!(
            "revision {} from {}",
            current.trusted().manifest.revision,
            current.describe_source()
        ),
    };
    let ready_note = if setup.notes.is_empty() {
        ready_note
    } else {
        format!("{ready_note}; {}", setup.notes.join("; "))
    };
    let tree = RepositoryTree::new(
        Arc::clone(&setup.live),
        setup.ownership,
        setup.timeout.as_secs(),
    );
    let options = ServeOptions {
        target: args.target.clone(),
        mount_delay: Duration::from_millis(args.mount_delay_ms),
        // The client's kernel cache timeout; the tree shortens it near the TTL.
        lifetimes: CacheLifetimes::default(),
        ready_note,
    };
    Ok((tree, live, faults, options))
}

/// Checks for a newer revision whenever the TTL runs out, for as long as the process
/// lives (a failed check is tried again after the client's short TTL).
/// The thread ends once the repository is dropped (an in-process mount unmounted).
fn spawn_refresher(live: Arc<LiveRepository>) {
    let weak = Arc::downgrade(&live);
    drop(live);
    std::thread::spawn(move || {
        loop {
            let Some(live) = weak.upgrade() else { return };
            let wait = live
                .expires_in()
                .unwrap_or(Duration::from_secs(3600))
                .clamp(Duration::from_millis(200), Duration::from_secs(5));
            drop(live);
            std::thread::sleep(wait);
            let Some(live) = weak.upgrade() else { return };
            match live.refresh_if_due() {
                Some(Ok(crate::repository::live::Refreshed::Updated { from, to })) => {
                    log::info!("revision {from} -> {to}");
                }
                Some(Err(e)) => log::warn!("checking for a new revision: {e}"),
                _ => {}
            }
        }
    });
}

/// Runs a detached native server for `args` (see [`run_detached`]); returns the exit
/// code.
pub fn run_server(args: &NativeArgs) -> i32 {
    match prepare(args) {
        Ok((tree, live, faults, options)) => {
            spawn_refresher(live);
            run_detached(tree, faults, &options)
        }
        Err(err) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "ERROR {err}");
            let _ = out.flush();
            1
        }
    }
}

/// A repository served by a thread of this process.
pub struct InProcessNative {
    session: InProcessSession,
    live: Arc<LiveRepository>,
}

impl InProcessNative {
    /// The switchable faults.
    pub fn faults(&self) -> &Faults {
        self.session.faults()
    }

    /// The repository, as it is refreshed.
    pub fn live(&self) -> &Arc<LiveRepository> {
        &self.live
    }

    /// Unmounts (if the mount is still ours) and waits for the serving thread.
    pub fn unmount(self) -> Result<(), MountError> {
        let target = self.session.target().to_owned();
        self.session
            .unmount()
            .map_err(|source| MountError::ServeFuse { target, source })
    }
}

/// Mounts `args.fqrn` at `args.target`, served from a background thread of this process
/// (with the refresher).
pub fn serve_in_process(args: &NativeArgs) -> Result<InProcessNative, MountError> {
    let (tree, live, faults, options) = prepare(args)?;
    spawn_refresher(Arc::clone(&live));
    InProcessSession::start(tree, faults, &options)
        .map(|session| InProcessNative { session, live })
        .map_err(|source| MountError::ServeFuse {
            target: args.target.clone(),
            source,
        })
}
