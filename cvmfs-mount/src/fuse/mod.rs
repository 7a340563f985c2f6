//! Serving read-only trees through FUSE, for every server of this crate (the local
//! directory of the snapshot backend today, our own client's repositories later). It
//! knows no backend.
//!
//! - [`tree`]: the [`ReadOnlyTree`] trait a served tree implements, and its data.
//! - [`adapter`]: the one bridge from a tree to `fuser` (caching, `EROFS`, buffers,
//!   directory offsets, open files, the client's attributes).
//! - [`client_xattrs`]: the client's `user.*` attribute table.
//! - [`faults`]: latency, hang and I/O-error faults as a decorator over any tree.
//! - [`session`]: the mount itself, detached servers' readiness protocol, and serving
//!   from a thread of this process.

pub mod adapter;
pub mod client_xattrs;
pub mod faults;
pub mod session;
pub mod tree;

pub use adapter::{CacheLifetimes, FuseAdapter};
pub use faults::{Faults, FaultyTree};
pub use session::{InProcessSession, ServeOptions, connection_alive, run_detached};
pub use tree::{Attributes, DirEntry, FileKind, ReadOnlyTree, RepositoryStatus};
