//! Reading CernVM-FS repositories: fetch, verify, open catalogs, serve entries and bytes.
//! The format itself (hashes, signatures, row encodings) is `cvmfs_core::repository`.
//!
//! - [`source`]: where files come from (a served directory or `file://`).
//! - [`http_source`]: servers and proxies over HTTP, with the client's fail-over.
//! - [`cache`]: verified, decompressed objects kept by hash under a quota (LRU, pins,
//!   shared by processes), and the trust state last accepted.
//! - [`object`]: an object's bytes hashed as they stream in and decompressed to the
//!   recorded size.
//! - [`fetcher`]: objects from the cache or downloaded once (shared downloads, a
//!   parallelism limit, the counters).
//! - [`live`]: the current revision, refreshed after its TTL.
//! - [`catalog_db`]: one catalog opened with SQLite, columns by name.
//! - [`history_db`]: the tag database.
//! - [`entry`]: an entry as the client shows it.
//! - [`reader`]: the verified chain, nested catalogs, contents and tags ([`Repository`]).
//! - [`keys`]: master public keys from files or a directory.
//! - [`publish`]: a directory published as a signed repository.
//! - [`walk`]: every entry below a path; a full verification.
//! - [`error`]: what failed, named ([`RepositoryError`]).

pub mod cache;
pub mod catalog_db;
pub mod entry;
pub mod error;
pub mod fetcher;
pub mod history_db;
pub mod http_source;
pub mod keys;
pub mod live;
pub mod object;
pub mod publish;
pub mod reader;
pub mod source;
pub mod walk;

pub use entry::{Content, Entry, EntryKind};
pub use error::RepositoryError;
pub use reader::{
    OpenOptions, Repository, RootChoice, Tag, open_configured, open_http, open_location,
};
pub use source::{DirectorySource, ObjectSource};
