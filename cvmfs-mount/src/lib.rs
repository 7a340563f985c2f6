//! The mount engine that executes [`cvmfs_core::MountPlan`]s.
//!
//! - [`sys::MountOps`]: every system call behind one trait, with [`sys::LinuxOps`] for
//!   the real system and [`sys::FakeOps`], a simulated mount table for tests.
//! - [`backend`]: `cvmfs2-helper`, `host-bind`, `automounter-slave` and `snapshot`.
//! - [`probe`]: parallel health probes with a hard timeout each.
//! - [`Engine`]: mount, unmount and repair a plan with a report per repository;
//!   [`watch`] repairs at an interval.
//! - [`snapshot`]: the embedded FUSE server behind the snapshot backend.

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
pub mod isolated_probe;
pub mod mount_table;
pub mod mountpoint;
pub mod probe;
pub mod report;
pub mod sys;
pub mod watch;

pub use cvmfs_core;
pub use engine::{Engine, EngineOptions};
pub use error::MountError;
pub use health::Health;
pub use report::{EntryReport, Operation, Outcome, PlanReport, Status};
pub use watch::{StopSignal, watch};
