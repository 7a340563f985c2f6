//! The snapshot backend's FUSE server: a local directory served read-only at a
//! mountpoint with the mount-table shape of a real client mount (`fuse`, source
//! `cvmfs2`) and the client's extended attributes. It is a stand-in, not the client:
//! `user.host` and `user.version` say so.

mod faults;
mod filesystem;
mod inodes;
mod server;
mod xattrs;

pub use faults::Faults;
pub use filesystem::SnapshotFs;
pub use server::{InProcessServer, ServerArgs, run_server, serve_in_process};
