//! The mount engine that executes [`cvmfs_core::MountPlan`]s, and the container duties
//! built on it. Modules, from the system calls up:
//!
//! - [`sys`]: every system call behind [`sys::MountOps`] ([`sys::LinuxOps`] for the
//!   machine, [`sys::FakeOps`] a simulated kernel for tests) and the mount-flag table.
//! - [`mount_table`]: reading the calling thread's mount table through `MountOps`.
//! - [`host_facts`]: what this host has (root, capabilities, `/dev/fuse`, programs, ...).
//! - [`atomic_file`]: replacing a file atomically.
//! - [`client_config`]: reading the client's configuration files into core's layering.
//! - [`mountpoint`]: creating mountpoints without following symlinks.
//! - [`health`]: what a probe finds at a mountpoint.
//! - [`probe`]: parallel health probes with a hard timeout each.
//! - [`error`]: the engine's error, one variant per failing step.
//! - [`report`]: per-repository reports of an operation.
//! - [`fuse`]: serving read-only trees through FUSE (trait, adapter, faults, sessions).
//! - [`directory_server`]: a local directory served through [`fuse`] (the snapshot
//!   backend's server, a stand-in for the client).
//! - [`image`]: container images DUCC publishes unpacked: the image repository made
//!   available, and specifications resolved in it.
//! - [`repository`]: reading and verifying real CernVM-FS repositories.
//! - [`native`]: our own client: a repository served through [`fuse`] from
//!   [`repository`].
//! - [`backend`]: `native`, `cvmfs2-helper`, `host-bind`, `automounter-slave` and
//!   `snapshot`.
//! - [`engine`]: [`Engine`] mounts, unmounts and repairs a plan, one report per entry.
//! - [`isolated_probe`]: probing from a forked child, so a hung mount cannot keep the
//!   caller from exiting.
//! - [`mod@watch`]: repairs at an interval until stopped.
//! - [`doctor`]: inspecting the host and ranking the backends.
//! - [`container`]: PID-1 duties on top of the engine (id remap, home ownership, signal
//!   forwarding, supervision, user namespaces, the entrypoint sequence).

pub mod atomic_file;
pub mod backend;
pub mod client_config;
pub mod container;
pub mod directory_server;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod fuse;
pub mod health;
pub mod host_facts;
pub mod image;
pub mod isolated_probe;
pub mod mount_table;
pub mod mountpoint;
pub mod native;
pub mod probe;
pub mod report;
pub mod repository;
pub mod sys;
pub mod watch;

pub use cvmfs_core;
pub use engine::{Engine, EngineOptions};
pub use error::MountError;
pub use health::Health;
pub use report::{EntryReport, Operation, Outcome, PlanReport, Status};
pub use watch::{StopSignal, watch};
