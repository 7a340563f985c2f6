//! The CernVM-FS repository format, as pure functions over bytes (no I/O): content hashes
//! and object paths, the signed manifest and whitelist, the verification chain, and the
//! encodings of catalog rows. Reading catalogs from SQLite and fetching objects live in
//! `cvmfs-mount`.
//!
//! - [`hash`]: hash strings, incremental hashing, `data/XX/...` paths.
//! - [`signed_document`]: the body / `--` / hash / signature envelope.
//! - [`manifest`]: the `.cvmfspublished` file.
//! - [`whitelist`]: the `.cvmfswhitelist` file, with hour-granular UTC expiry.
//! - [`trust`]: master keys → whitelist → certificate → manifest, replay and blacklists.
//! - [`catalog_row`]: flags, path MD5 pairs, hardlink packing, xattr blobs, symlink
//!   variables.

pub mod catalog_row;
pub mod hash;
pub mod manifest;
pub mod signed_document;
pub mod trust;
pub mod whitelist;

#[cfg(test)]
mod trust_tests;
