//! Publishing a directory as a signed repository that any web server can serve: zlib
//! objects named by their hash, catalogs at schema 2.5 revision 7 (nested wherever a
//! `.cvmfscatalog` marker is), chunked large files, hard links, symlinks, xattrs and
//! special files, statistics, a history database with tags, a certificate, a signed
//! manifest and a whitelist signed by the master key. A second publish makes the next
//! revision: objects are deduplicated, `previous_revision` chains, tags are kept.
//!
//! - [`keys`]: the master and repository keys, generated on first use.
//! - [`catalog_writer`]: one catalog written with SQLite.

pub mod catalog_writer;
pub mod keys;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use cvmfs_core::repository::catalog_row::{EntryFlags, Hardlinks, encode_xattrs};
use cvmfs_core::repository::hash::{ContentHash, HashAlgorithm, ObjectSuffix};
use cvmfs_core::repository::manifest::Manifest;
use cvmfs_core::repository::whitelist::render_body;
use rsa::Pkcs1v15Sign;
use sha1::Digest;

use self::catalog_writer::{CatalogWriter, NewRow};
use self::keys::PublisherKeys;

/// What can go wrong publishing; each names the path or catalog.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Reading the source tree failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the served tree failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A key file could not be read or written.
    #[error("key {path}: {source}")]
    Keys {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A key or certificate is unusable.
    #[error("key {path}: {reason}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key directory is inside the served tree.
    #[error(
        "the key directory {keys} is inside the served tree {served}: private keys must never be served"
    )]
    KeysInsideServed {
        /// The key directory.
        keys: PathBuf,
        /// The served tree.
        served: PathBuf,
    },
    /// A catalog could not be written.
    #[error("catalog {catalog}: {source}")]
    Catalog {
        /// The catalog's mountpoint.
        catalog: String,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// A name cannot be published.
    #[error("{path}: {problem}")]
    BadName {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        problem: &'static str,
    },
    /// The previous revision in the served tree could not be read.
    #[error("the served tree's previous revision: {0}")]
    Previous(String),
    /// Signing failed.
    #[error("signing the {what}: {reason}")]
    Sign {
        /// The manifest or the whitelist.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// How to publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The repository's name.
    pub fqrn: String,
    /// Where the keys are (generated there on first use).
    pub keys_dir: PathBuf,
    /// The content-hash algorithm.
    pub algorithm: HashAlgorithm,
    /// Files larger than this are chunked (0: never).
    pub chunk_threshold: u64,
    /// The size of each chunk.
    pub chunk_size: u64,
    /// The whitelist's lifetime.
    pub whitelist_days: u64,
    /// A tag for this revision, besides `trunk`.
    pub tag: Option<(String, String)>,
    /// "Now" (Unix seconds) for timestamps.
    pub now_unix: u64,
    /// The TTL written to the catalog and manifest.
    pub ttl: u64,
}

/// What a publish produced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// The revision.
    pub revision: u64,
    /// The root catalog.
    pub root_catalog: ContentHash,
    /// Catalogs written.
    pub catalogs: usize,
    /// Objects written (new ones; existing ones are reused).
    pub objects_written: usize,
    /// Where clients find the master public key.
    pub master_public_key: PathBuf,
}

struct Publisher<'a> {
    options: &'a PublishOptions,
    served: &'a Path,
    scratch: tempfile::TempDir,
    objects_written: usize,
    catalogs: usize,
}

/// zlib at the default level, as the upstream publisher writes.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2 + 16),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

impl Publisher<'_> {
    /// Compresses, hashes and stores an object; returns its hash.
    fn store(&mut self, data: &[u8], suffix: ObjectSuffix) -> Result<ContentHash, PublishError> {
        let packed = zlib(data);
        let hash = ContentHash::of(self.options.algorithm, &packed);
        let path = self.served.join(hash.object_path(suffix));
        if !path.exists() {
            let dir = path.parent().unwrap_or(self.served);
            std::fs::create_dir_all(dir).map_err(|source| PublishError::Write {
                path: dir.to_owned(),
                source,
            })?;
            let mut file =
                tempfile::NamedTempFile::new_in(dir).map_err(|source| PublishError::Write {
                    path: dir.to_owned(),
                    source,
                })?;
            file.write_all(&packed)
                .map_err(|source| PublishError::Write {
                    path: path.clone(),
                    source,
                })?;
            file.persist(&path).map_err(|e| PublishError::Write {
                path: path.clone(),
                source: e.error,
            })?;
            self.objects_written += 1;
        }
        Ok(hash)
    }

    fn algorithm_flags(&self) -> u32 {
        let index = HashAlgorithm::ALL
            .iter()
            .position(|a| *a == self.options.algorithm)
            .unwrap_or(0);
        u32::try_from(index).unwrap_or(0) << 8
    }

    /// Publishes the directory `source` at repository path `path` into `catalog`.
    fn directory(
        &mut self,
        source: &Path,
        path: &str,
        catalog: &mut CatalogWriter,
    ) -> Result<(), PublishError> {
        fn read(p: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
            move |source| PublishError::Read {
                path: p.to_owned(),
                source,
            }
        }
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(source).map_err(read(source))? {
            let entry = entry.map_err(read(source))?;
            let name = entry
                .file_name()
                .into_string()
                .map_err(|_| PublishError::BadName {
                    path: entry.path(),
                    problem: "the name is not UTF-8",
                })?;
            names.push((name, entry.path()));
        }
        names.sort();
        // Hard links within this directory share a group.
        let mut inode_groups: HashMap<(u64, u64), u32> = HashMap::new();
        let mut next_group = 1u32;
        for (name, file) in names {
            let meta = std::fs::symlink_metadata(&file).map_err(read(&file))?;
            let child = format!("{path}/{name}");
            let kind = meta.file_type();
            let xattr_blob = user_xattrs(&file)?;
            if xattr_blob.is_some() {
                catalog.count("xattr", 1);
            }
            let base = NewRow {
                path: &child,
                parent: Some(path),
                hardlinks: 1,
                hash: None,
                size: i64::try_from(meta.len()).unwrap_or(i64::MAX),
                mode: meta.mode(),
                mtime: meta.mtime(),
                mtime_ns: meta.mtime_nsec(),
                flags: 0,
                name: &name,
                symlink: "",
                uid: meta.uid(),
                gid: meta.gid(),
                xattr: xattr_blob.as_deref(),
            };
            if kind.is_dir() {
                let subdirs = count_subdirs(&file)?;
                let linkcount = 2 + subdirs;
                if file.join(".cvmfscatalog").exists() {
                    // The mountpoint in this catalog; the subtree in its own.
                    catalog.insert(&NewRow {
                        hardlinks: i64::from(linkcount),
                        flags: EntryFlags::DIRECTORY | EntryFlags::NESTED_MOUNTPOINT,
                        ..base.clone()
                    })?;
                    catalog.count("dir", 1);
                    catalog.count("nested", 1);
                    let mut nested = CatalogWriter::new(self.scratch.path(), &child)?;
                    nested.insert(&NewRow {
                        hardlinks: i64::from(linkcount),
                        flags: EntryFlags::DIRECTORY | EntryFlags::NESTED_ROOT,
                        ..base
                    })?;
                    nested.property("root_prefix", &child)?;
                    self.directory(&file, &child, &mut nested)?;
                    let subtree = nested.subtree_counters();
                    let (hash, size) = self.finish_catalog(nested, None)?;
                    for (s, n) in catalog.subtree.iter_mut().zip(subtree) {
                        *s += n;
                    }
                    catalog.insert_nested(&child, &hash.to_string(), size)?;
                } else {
                    catalog.insert(&NewRow {
                        hardlinks: i64::from(linkcount),
                        flags: EntryFlags::DIRECTORY,
                        ..base
                    })?;
                    catalog.count("dir", 1);
                    self.directory(&file, &child, catalog)?;
                }
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&file).map_err(read(&file))?;
                let target = target.to_string_lossy().into_owned();
                catalog.insert(&NewRow {
                    size: i64::try_from(target.len()).unwrap_or(0),
                    flags: EntryFlags::FILE | EntryFlags::SYMLINK,
                    symlink: &target,
                    ..base
                })?;
                catalog.count("symlink", 1);
            } else if kind.is_file() {
                let hardlinks = if meta.nlink() > 1 {
                    let group =
                        *inode_groups
                            .entry((meta.dev(), meta.ino()))
                            .or_insert_with(|| {
                                next_group += 1;
                                next_group - 1
                            });
                    Hardlinks {
                        group,
                        linkcount: u32::try_from(meta.nlink()).unwrap_or(u32::MAX),
                    }
                    .pack()
                } else {
                    1
                };
                let data = std::fs::read(&file).map_err(read(&file))?;
                let size = data.len() as u64;
                let chunked = self.options.chunk_threshold > 0
                    && self.options.chunk_size > 0
                    && size > self.options.chunk_threshold;
                if chunked {
                    let mut offset = 0u64;
                    for piece in
                        data.chunks(usize::try_from(self.options.chunk_size).unwrap_or(usize::MAX))
                    {
                        let hash = self.store(piece, ObjectSuffix::Partial)?;
                        catalog.insert_chunk(&child, offset, piece.len() as u64, &hash.digest)?;
                        offset += piece.len() as u64;
                        catalog.count("chunks", 1);
                    }
                    catalog.insert(&NewRow {
                        hardlinks,
                        flags: EntryFlags::FILE | EntryFlags::CHUNKED | self.algorithm_flags(),
                        ..base
                    })?;
                    catalog.count("chunked", 1);
                    catalog.count("chunked_size", i64::try_from(size).unwrap_or(0));
                } else {
                    let hash = self.store(&data, ObjectSuffix::None)?;
                    catalog.insert(&NewRow {
                        hardlinks,
                        hash: Some(&hash.digest),
                        flags: EntryFlags::FILE | self.algorithm_flags(),
                        ..base
                    })?;
                }
                catalog.count("regular", 1);
                catalog.count("file_size", i64::try_from(size).unwrap_or(0));
            } else {
                let special = kind.is_fifo()
                    || kind.is_socket()
                    || kind.is_char_device()
                    || kind.is_block_device();
                if !special {
                    return Err(PublishError::BadName {
                        path: file,
                        problem: "an unknown kind of file",
                    });
                }
                let size = if kind.is_char_device() || kind.is_block_device() {
                    i64::try_from(meta.rdev()).unwrap_or(0)
                } else {
                    0
                };
                catalog.insert(&NewRow {
                    size,
                    flags: EntryFlags::FILE | EntryFlags::SPECIAL,
                    ..base
                })?;
                catalog.count("special", 1);
            }
        }
        Ok(())
    }

    /// Writes the catalog's properties, stores it and returns (hash, database size).
    fn finish_catalog(
        &mut self,
        catalog: CatalogWriter,
        root: Option<(&str, u64)>,
    ) -> Result<(ContentHash, u64), PublishError> {
        catalog.property("schema", "2.5")?;
        catalog.property("schema_revision", "7")?;
        catalog.property("revision", &root.map_or(0, |(_, r)| r).to_string())?;
        catalog.property("last_modified", &self.options.now_unix.to_string())?;
        if let Some((previous, _)) = root {
            catalog.property("TTL", &self.options.ttl.to_string())?;
            if !previous.is_empty() {
                catalog.property("previous_revision", previous)?;
            }
        }
        let bytes = catalog.finish()?;
        let size = bytes.len() as u64;
        let hash = self.store(&bytes, ObjectSuffix::Catalog)?;
        self.catalogs += 1;
        Ok((hash, size))
    }
}

fn count_subdirs(dir: &Path) -> Result<u32, PublishError> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).map_err(|source| PublishError::Read {
        path: dir.to_owned(),
        source,
    })? {
        if entry
            .ok()
            .and_then(|e| e.file_type().ok())
            .is_some_and(|t| t.is_dir())
        {
            n += 1;
        }
    }
    Ok(n)
}

/// The file's `user.*` extended attributes as the catalog blob (`None` when it has none).
fn user_xattrs(path: &Path) -> Result<Option<Vec<u8>>, PublishError> {
    let Ok(names) = xattr::list(path) else {
        return Ok(None);
    };
    let mut map = BTreeMap::new();
    for name in names {
        let name_bytes = name.as_encoded_bytes().to_vec();
        if !name_bytes.starts_with(b"user.") {
            continue;
        }
        if let Ok(Some(value)) = xattr::get(path, &name) {
            map.insert(name_bytes, value);
        }
    }
    if map.is_empty() {
        return Ok(None);
    }
    encode_xattrs(&map).map(Some).ok_or(PublishError::BadName {
        path: path.to_owned(),
        problem: "its extended attributes do not fit the catalog (255 entries of 255 bytes)",
    })
}

/// The history database: the tags, and what it says about itself.
fn history_bytes(
    scratch: &Path,
    fqrn: &str,
    tags: &[(String, String, u64, u64, String)],
) -> Result<Vec<u8>, PublishError> {
    let file = tempfile::NamedTempFile::new_in(scratch).map_err(|source| PublishError::Write {
        path: scratch.to_owned(),
        source,
    })?;
    let sql = |source| PublishError::Catalog {
        catalog: "history".to_owned(),
        source,
    };
    let connection = rusqlite::Connection::open(file.path()).map_err(sql)?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = OFF; BEGIN;
             CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER,
               channel INTEGER, description TEXT, size INTEGER, branch TEXT,
               CONSTRAINT pk_tags PRIMARY KEY (name));
             CREATE TABLE branches (branch TEXT, parent TEXT, initial_revision INTEGER,
               CONSTRAINT pk_branch PRIMARY KEY (branch));
             CREATE TABLE recycle_bin (hash TEXT, flags INTEGER,
               CONSTRAINT pk_hash PRIMARY KEY (hash));
             CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));
             INSERT INTO branches VALUES ('', NULL, 0);",
        )
        .map_err(sql)?;
    for (key, value) in [("schema", "1.0"), ("schema_revision", "3"), ("fqrn", fqrn)] {
        connection
            .execute("INSERT INTO properties VALUES (?1, ?2)", [key, value])
            .map_err(sql)?;
    }
    for (name, hash, revision, timestamp, description) in tags {
        connection
            .execute(
                "INSERT OR REPLACE INTO tags VALUES (?1, ?2, ?3, ?4, 0, ?5, 0, '')",
                rusqlite::params![
                    name,
                    hash,
                    i64::try_from(*revision).unwrap_or(0),
                    i64::try_from(*timestamp).unwrap_or(0),
                    description
                ],
            )
            .map_err(sql)?;
    }
    connection.execute_batch("COMMIT;").map_err(sql)?;
    drop(connection);
    std::fs::read(file.path()).map_err(|source| PublishError::Write {
        path: file.path().to_owned(),
        source,
    })
}

fn sign(
    key: &rsa::RsaPrivateKey,
    scheme: Pkcs1v15Sign,
    data: &[u8],
    what: &'static str,
) -> Result<Vec<u8>, PublishError> {
    key.sign(scheme, data).map_err(|e| PublishError::Sign {
        what,
        reason: e.to_string(),
    })
}

/// The manifest's bytes: body, `--`, the body's hash string, and the repository key's
/// PKCS#1 v1.5/SHA-1 signature over that string.
fn signed_manifest(
    manifest: &Manifest,
    keys: &PublisherKeys,
    algorithm: HashAlgorithm,
) -> Result<Vec<u8>, PublishError> {
    let body = manifest.render_body();
    let body_hash = ContentHash::of(algorithm, body.as_bytes()).to_string();
    let signature = sign(
        &keys.repository,
        Pkcs1v15Sign::new::<sha1::Sha1>(),
        &sha1::Sha1::digest(body_hash.as_bytes()),
        "manifest",
    )?;
    let mut bytes = body.into_bytes();
    bytes.extend_from_slice(format!("--\n{body_hash}\n").as_bytes());
    bytes.extend_from_slice(&signature);
    Ok(bytes)
}

/// Replaces the root catalog of a tree published with the keys in `keys_dir` by
/// `catalog` (an SQLite database's bytes) and signs a manifest for it as the next
/// revision: any catalog shape a test needs, broken ones included, properly signed.
pub fn replace_root_catalog(
    served: &Path,
    keys_dir: &Path,
    catalog: &[u8],
    now_unix: u64,
) -> Result<ContentHash, PublishError> {
    let bytes =
        std::fs::read(served.join(".cvmfspublished")).map_err(|source| PublishError::Read {
            path: served.join(".cvmfspublished"),
            source,
        })?;
    let (previous, _) =
        Manifest::parse(&bytes).map_err(|e| PublishError::Previous(e.to_string()))?;
    let keys = PublisherKeys::load_or_generate(keys_dir, previous.fqrn.as_str())?;
    let algorithm = previous.root_catalog.algorithm;
    let packed = zlib(catalog);
    let hash = ContentHash::of(algorithm, &packed);
    let path = served.join(hash.object_path(ObjectSuffix::Catalog));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| PublishError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    write_served(&path, &packed)?;
    let manifest = Manifest {
        root_catalog: hash,
        root_catalog_size: Some(catalog.len() as u64),
        revision: previous.revision + 1,
        timestamp: Some(now_unix),
        ..previous
    };
    write_served(
        &served.join(".cvmfspublished"),
        &signed_manifest(&manifest, &keys, algorithm)?,
    )?;
    Ok(hash)
}

/// Writes a file atomically into the served tree.
fn write_served(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    crate::atomic_file::write_atomically(path, bytes).map_err(|e| PublishError::Write {
        path: path.to_owned(),
        source: std::io::Error::other(e.to_string()),
    })
}

/// Publishes `source` into `served` (created if missing).
pub fn publish(
    source: &Path,
    served: &Path,
    options: &PublishOptions,
) -> Result<Published, PublishError> {
    std::fs::create_dir_all(served).map_err(|source| PublishError::Write {
        path: served.to_owned(),
        source,
    })?;
    let served_abs = std::fs::canonicalize(served).unwrap_or_else(|_| served.to_owned());
    std::fs::create_dir_all(&options.keys_dir).map_err(|source| PublishError::Keys {
        path: options.keys_dir.clone(),
        source,
    })?;
    let keys_abs =
        std::fs::canonicalize(&options.keys_dir).unwrap_or_else(|_| options.keys_dir.clone());
    if keys_abs.starts_with(&served_abs) {
        return Err(PublishError::KeysInsideServed {
            keys: keys_abs,
            served: served_abs,
        });
    }
    let keys = PublisherKeys::load_or_generate(&options.keys_dir, &options.fqrn)?;
    // The previous revision, if this tree was published before.
    let previous = match std::fs::read(served.join(".cvmfspublished")) {
        Ok(bytes) => Some(
            Manifest::parse(&bytes)
                .map_err(|e| PublishError::Previous(e.to_string()))?
                .0,
        ),
        Err(_) => None,
    };
    let revision = previous.as_ref().map_or(1, |m| m.revision + 1);
    let scratch = tempfile::TempDir::new().map_err(|source| PublishError::Write {
        path: std::env::temp_dir(),
        source,
    })?;
    let mut old_tags = Vec::new();
    if let Some(history) = previous.as_ref().and_then(|m| m.history) {
        let path = served.join(history.object_path(ObjectSuffix::History));
        let bytes = std::fs::read(&path).map_err(|source| PublishError::Read {
            path: path.clone(),
            source,
        })?;
        let bytes = super::object::decompress(
            bytes,
            cvmfs_core::repository::catalog_row::Compression::Zlib,
            super::object::ExpectedSize::AtMost(super::object::MAX_METADATA_BYTES),
            "previous history",
        )
        .map_err(|e| PublishError::Previous(e.to_string()))?;
        for row in super::history_db::read_tags(&bytes, scratch.path(), "previous history")
            .map_err(|e| PublishError::Previous(e.to_string()))?
        {
            old_tags.push((
                row.name,
                row.hash,
                u64::try_from(row.revision).unwrap_or(0),
                u64::try_from(row.timestamp).unwrap_or(0),
                row.description,
            ));
        }
    }
    let mut publisher = Publisher {
        options,
        served,
        scratch,
        objects_written: 0,
        catalogs: 0,
    };
    // The root entry and everything below it.
    let meta = std::fs::metadata(source).map_err(|e| PublishError::Read {
        path: source.to_owned(),
        source: e,
    })?;
    let mut root = CatalogWriter::new(publisher.scratch.path(), "")?;
    root.insert(&NewRow {
        path: "",
        parent: None,
        hardlinks: i64::from(2 + count_subdirs(source)?),
        hash: None,
        size: i64::try_from(meta.len()).unwrap_or(0),
        mode: meta.mode(),
        mtime: meta.mtime(),
        mtime_ns: meta.mtime_nsec(),
        flags: EntryFlags::DIRECTORY,
        name: "",
        symlink: "",
        uid: meta.uid(),
        gid: meta.gid(),
        xattr: user_xattrs(source)?.as_deref(),
    })?;
    root.count("dir", 1);
    publisher.directory(source, "", &mut root)?;
    let previous_root = previous
        .as_ref()
        .map(|m| m.root_catalog.to_string())
        .unwrap_or_default();
    let (root_hash, root_size) =
        publisher.finish_catalog(root, Some((&previous_root, revision)))?;
    // Tags: the old ones, trunk-previous, trunk and the requested one.
    let mut tags: Vec<(String, String, u64, u64, String)> = old_tags
        .into_iter()
        .filter(|t| t.0 != "trunk" && t.0 != "trunk-previous")
        .collect();
    if let Some(previous) = &previous {
        tags.push((
            "trunk-previous".to_owned(),
            previous.root_catalog.to_string(),
            previous.revision,
            previous.timestamp.unwrap_or(0),
            "default undo target".to_owned(),
        ));
    }
    tags.push((
        "trunk".to_owned(),
        root_hash.to_string(),
        revision,
        options.now_unix,
        "current HEAD".to_owned(),
    ));
    if let Some((name, description)) = &options.tag {
        tags.retain(|t| &t.0 != name);
        tags.push((
            name.clone(),
            root_hash.to_string(),
            revision,
            options.now_unix,
            description.clone(),
        ));
    }
    let history = history_bytes(publisher.scratch.path(), &options.fqrn, &tags)?;
    let history_hash = publisher.store(&history, ObjectSuffix::History)?;
    let certificate_hash =
        publisher.store(keys.certificate_pem.as_bytes(), ObjectSuffix::Certificate)?;
    // The manifest, signed by the repository key.
    let manifest = Manifest {
        root_catalog: root_hash,
        root_catalog_size: Some(root_size),
        ttl: options.ttl,
        revision,
        fqrn: cvmfs_core::Fqrn::parse(&options.fqrn)
            .map_err(|e| PublishError::Previous(e.to_string()))?,
        certificate: certificate_hash,
        history: Some(history_hash),
        timestamp: Some(options.now_unix),
        garbage_collectable: false,
        alternative_paths: false,
        meta_info: None,
        reflog: None,
    };
    let manifest_bytes = signed_manifest(&manifest, &keys, options.algorithm)?;
    // The whitelist, signed by the master key, listing the certificate.
    let der = x509_cert::der::Encode::to_der(
        &<x509_cert::Certificate as x509_cert::der::DecodePem>::from_pem(&keys.certificate_pem)
            .map_err(|e| PublishError::Sign {
                what: "whitelist",
                reason: e.to_string(),
            })?,
    )
    .map_err(|e| PublishError::Sign {
        what: "whitelist",
        reason: e.to_string(),
    })?;
    let fingerprint = ContentHash::of(HashAlgorithm::Sha1, &der);
    let whitelist_body = render_body(
        options.now_unix,
        options.now_unix + options.whitelist_days * 86_400,
        &options.fqrn,
        &[fingerprint],
    );
    let whitelist_hash = ContentHash::of(options.algorithm, whitelist_body.as_bytes()).to_string();
    let whitelist_signature = sign(
        &keys.master,
        Pkcs1v15Sign::new_unprefixed(),
        whitelist_hash.as_bytes(),
        "whitelist",
    )?;
    let mut whitelist_bytes = whitelist_body.into_bytes();
    whitelist_bytes.extend_from_slice(format!("--\n{whitelist_hash}\n").as_bytes());
    whitelist_bytes.extend_from_slice(&whitelist_signature);
    // The whitelist first: a client never sees a manifest its whitelist does not cover.
    write_served(&served.join(".cvmfswhitelist"), &whitelist_bytes)?;
    write_served(&served.join(".cvmfspublished"), &manifest_bytes)?;
    Ok(Published {
        revision,
        root_catalog: root_hash,
        catalogs: publisher.catalogs,
        objects_written: publisher.objects_written,
        master_public_key: keys.master_public_path,
    })
}
