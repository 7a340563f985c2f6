//! The mount engine that executes [`cvmfs_core::MountPlan`]s.
//!
//! This crate is being built: it currently performs no system calls. The backends
//! (`cvmfs2-helper`, `host-bind`, `automounter-slave`, `snapshot`), health probes,
//! repair and the watch loop land here next; until then the command line only plans.

pub use cvmfs_core;
