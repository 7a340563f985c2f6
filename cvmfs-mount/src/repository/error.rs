//! Everything that can go wrong reading a repository, each naming the object, hash,
//! signature or catalog that failed.

use cvmfs_core::repository::trust::{BadAnchor, TrustError};

use super::source::FetchError;

/// A repository could not be read, or refused what it was served.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// A master key does not parse.
    #[error(transparent)]
    Anchor(#[from] BadAnchor),
    /// No master key was given.
    #[error("no master public key: pass --key FILE or --keys-dir DIR")]
    NoAnchors,
    /// Reading a key file failed.
    #[error("cannot read the key {path}: {source}")]
    ReadKey {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be fetched.
    #[error("fetching {what}: {source}")]
    Fetch {
        /// What it is (the manifest, catalog HASH, ...).
        what: String,
        /// The error.
        #[source]
        source: FetchError,
    },
    /// The verification chain failed.
    #[error("{fqrn} is not trusted: {source}")]
    Trust {
        /// The repository.
        fqrn: String,
        /// The failed link.
        #[source]
        source: TrustError,
    },
    /// An object's bytes do not hash to its name.
    #[error("{what}: the served bytes hash to {computed}, not {expected}")]
    HashMismatch {
        /// The object.
        what: String,
        /// Its name.
        expected: String,
        /// What the bytes hash to.
        computed: String,
    },
    /// An object does not decompress.
    #[error("{what}: not a complete zlib stream: {reason}")]
    Decompress {
        /// The object.
        what: String,
        /// Why.
        reason: String,
    },
    /// An object decompresses to another size than recorded, or past a cap.
    #[error("{what}: decompresses to {actual} bytes, expected {expected}")]
    SizeMismatch {
        /// The object.
        what: String,
        /// The recorded (or maximum) size.
        expected: String,
        /// What came out (or "more").
        actual: String,
    },
    /// A catalog database could not be opened or queried.
    #[error("catalog {catalog}: {source}")]
    Sqlite {
        /// The catalog (its hash and mountpoint).
        catalog: String,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// A catalog breaks the format's rules.
    #[error("catalog {catalog}: {problem}")]
    BadCatalog {
        /// The catalog.
        catalog: String,
        /// What is wrong.
        problem: String,
    },
    /// A scratch file for a catalog could not be written.
    #[error("cannot store catalog {catalog} in {dir}: {source}")]
    Scratch {
        /// The catalog.
        catalog: String,
        /// The scratch directory.
        dir: std::path::PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// No such path in the repository.
    #[error("{path}: no such file or directory in the repository")]
    NotFound {
        /// The path.
        path: String,
    },
    /// The path is not a directory (listing) or not a regular file (reading).
    #[error("{path}: {problem}")]
    WrongType {
        /// The path.
        path: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// The cache could not be used.
    #[error(transparent)]
    Cache(#[from] super::cache::CacheError),
    /// A download this request waited for (another thread's) failed.
    #[error("{what}: {reason}")]
    SharedFetch {
        /// What was asked for.
        what: String,
        /// How the shared download failed.
        reason: String,
    },
    /// The server or proxy settings do not parse.
    #[error("{reason}")]
    BadSettings {
        /// What the parser said.
        reason: String,
    },
    /// No such tag.
    #[error("no tag {name:?} in the history (tags: {known})")]
    UnknownTag {
        /// The name asked for.
        name: String,
        /// The tags there are.
        known: String,
    },
    /// The repository has no history database.
    #[error("the repository has no history database (no tags)")]
    NoHistory,
}
