//! Pure data for making CernVM-FS repositories available inside containers.
//!
//! Nothing in this crate performs I/O or system calls: every function takes text or
//! values and returns values, so the rules can be tested exhaustively and reused by the
//! mount engine (`cvmfs-mount`), the command line (`cvmfs-cli`) and the Python bindings.
//!
//! Modules, in dependency order:
//!
//! - [`problem_list`]: showing every problem of an input at once.
//! - [`choice`]: values that must be one of a fixed set of words.
//! - [`fqrn`]: repository names and default domains.
//! - [`catalog`]: the built-in lists of repositories (profiles) and name resolution.
//! - [`selection`]: the `CVMFS_MOUNTS` value, every bad token reported.
//! - [`plan`]: the backends, propagation and the validated [`MountPlan`].
//! - [`mountinfo`]: parsing `/proc/*/mountinfo` (in place, one allocation a table).
//! - [`remap`]: UID/GID remaps of passwd and group files, user-namespace id maps.
//! - [`environment`]: the interactive environment (CMS and OSG setup) per shell.
//! - [`config`]: the client's configuration files, layering, proxies, `default.local`.
//! - [`runtime_args`]: container runtime arguments (docker, podman, apptainer, ...).
//! - [`repository`]: the CernVM-FS repository format: hashes, manifest, whitelist, the
//!   verification chain, catalog row encodings.
//! - [`error`]: [`CoreError`], the umbrella over every module's own error.
//!
//! ```
//! use cvmfs_core::{Backend, Catalog, MountPlan, PlanOptions, Selection};
//!
//! let catalog = Catalog::cms();
//! let selection = Selection::parse(Some("cms oasis.opensciencegrid.org"), &catalog).unwrap();
//! let plan = MountPlan::build(&selection, &catalog, Backend::Cvmfs2Helper, &PlanOptions::default()).unwrap();
//! assert_eq!(plan.entries()[0].target().to_str(), Some("/cvmfs/cvmfs-config.cern.ch"));
//! plan.validate().unwrap();
//! ```

pub mod catalog;
pub mod choice;
pub mod config;
pub mod environment;
pub mod error;
pub mod fqrn;
pub mod image;
pub mod mountinfo;
pub mod plan;
pub mod problem_list;
pub mod remap;
pub mod repository;
pub mod runtime_args;
pub mod selection;

pub use catalog::Catalog;
pub use error::CoreError;
pub use fqrn::{Domain, Fqrn};
pub use mountinfo::{MountInfo, MountTable};
pub use plan::{Backend, BackendKind, MountPlan, PlanOptions, Propagation};
pub use selection::Selection;
