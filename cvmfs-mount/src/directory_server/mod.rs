//! The snapshot backend's server: a local directory served read-only through the shared
//! FUSE layer ([`crate::fuse`]), with the mount-table shape of a client mount (`fuse`,
//! source `cvmfs2`) and the client's extended attributes. It is a stand-in, not the
//! client: `user.host` and `user.version` say so.
//!
//! - [`local_tree`]: the directory as a read-only tree.
//! - [`inodes`]: inode numbers for its paths.
//! - [`server_args`]: the server's command line.

/// How the stand-in begins its `user.version`: probes, `doctor` and host-bind tell it
/// from the client by this.
pub const STAND_IN_VERSION_PREFIX: &str = "cvmfs-mount snapshot";

/// Whether a `user.version` is the stand-in's.
pub fn is_stand_in_version(version: &str) -> bool {
    version.starts_with(STAND_IN_VERSION_PREFIX)
}

pub mod inodes;
pub mod local_tree;
pub mod server_args;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub use local_tree::LocalTree;
pub use server_args::ServerArgs;

use crate::error::MountError;
use crate::fuse::{CacheLifetimes, Faults, InProcessSession, ServeOptions, run_detached};

/// The tree, its faults and how it is served, for `args`.
fn prepare(args: &ServerArgs) -> Result<(LocalTree, Arc<Faults>, ServeOptions), MountError> {
    if !args.source.is_dir() {
        return Err(MountError::SnapshotSourceMissing {
            path: args.source.clone(),
        });
    }
    let faults = Arc::new(Faults::default());
    faults.latency_ms.store(args.latency_ms, Ordering::Relaxed);
    faults.hang.store(args.hang, Ordering::SeqCst);
    let tree = LocalTree::new(
        args.source.clone(),
        args.fqrn.clone(),
        args.revision.clone(),
    );
    let options = ServeOptions {
        target: args.target.clone(),
        mount_delay: Duration::from_millis(args.mount_delay_ms),
        lifetimes: CacheLifetimes::default(),
        ready_note: String::new(),
    };
    Ok((tree, faults, options))
}

/// Runs a detached server for `args` (see [`run_detached`]); returns the exit code.
pub fn run_server(args: &ServerArgs) -> i32 {
    match prepare(args) {
        Ok((tree, faults, options)) => run_detached(tree, faults, &options),
        Err(err) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "ERROR {err}");
            let _ = out.flush();
            1
        }
    }
}

/// A directory served by a thread of this process.
pub struct InProcessServer {
    session: InProcessSession,
}

impl InProcessServer {
    /// The switchable faults.
    pub fn faults(&self) -> &Faults {
        self.session.faults()
    }

    /// Unmounts (if the mount is still ours) and waits for the serving thread.
    pub fn unmount(self) -> Result<(), MountError> {
        let target = self.session.target().to_owned();
        self.session
            .unmount()
            .map_err(|source| MountError::ServeFuse { target, source })
    }
}

/// Serves `args.source` at `args.target` from a background thread of this process.
pub fn serve_in_process(args: &ServerArgs) -> Result<InProcessServer, MountError> {
    let (tree, faults, options) = prepare(args)?;
    InProcessSession::start(tree, faults, &options)
        .map(|session| InProcessServer { session })
        .map_err(|source| MountError::ServeFuse {
            target: args.target.clone(),
            source,
        })
}
