//! Reading a repository: open = fetch and verify the chain, then the root catalog; nested
//! catalogs are loaded on demand and verified through their parent; file contents are
//! verified object by object. Nothing is returned before it is verified.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cvmfs_core::repository::catalog_row::{
    Compression, EntryFlags, Hardlinks, decode_xattrs, expand_symlink,
};
use cvmfs_core::repository::hash::{ContentHash, ObjectSuffix};
use cvmfs_core::repository::manifest::Manifest;
use cvmfs_core::repository::trust::{
    AcceptedState, Blacklist, TrustAnchors, TrustContext, TrustedManifest, verify,
};
use serde::Serialize;

use super::cache::Cache;
use super::catalog_db::{CatalogDb, ChunkRow, Row};
use super::entry::{Content, Entry, EntryKind};
use super::error::RepositoryError;
use super::object::{ExpectedSize, MAX_METADATA_BYTES, decompress, fetch_verified};
use super::source::ObjectSource;

/// The largest manifest, whitelist or certificate accepted.
const MAX_SIGNED_FILE: u64 = 1 << 20;

/// The first inode offset (the root entry, rowid 1, gets 256 as upstream).
const INODE_OFFSET: u64 = 255;

/// At most this many nested catalogs are loaded for one path (a cycle's limit).
const MAX_NESTING: usize = 64;

/// Which root catalog to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootChoice {
    /// The manifest's (the head).
    Head,
    /// A named tag from the history database.
    Tag(String),
    /// The newest tagged revision published at or before this time (Unix seconds), as
    /// the client's `CVMFS_REPOSITORY_DATE`.
    Date(u64),
}

/// What opening needs besides the source.
#[derive(Debug, Clone)]
pub struct OpenOptions<'a> {
    /// The repository expected.
    pub fqrn: &'a str,
    /// The master keys.
    pub anchors: &'a TrustAnchors,
    /// "Now" for the whitelist's expiry, in Unix seconds.
    pub now_unix: u64,
    /// The last accepted manifest, if remembered.
    pub accepted: Option<AcceptedState>,
    /// The blacklist.
    pub blacklist: &'a Blacklist,
    /// Head or tag.
    pub root: RootChoice,
    /// Where decompressed catalogs are kept while open (a temporary directory by default).
    pub scratch_dir: Option<PathBuf>,
}

/// A tag of the history database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    /// Its name.
    pub name: String,
    /// The root catalog it names.
    pub root_hash: ContentHash,
    /// The revision.
    pub revision: u64,
    /// When it was made (Unix seconds).
    pub timestamp: i64,
    /// Its description.
    pub description: String,
}

struct Loaded {
    db: Arc<CatalogDb>,
    inode_offset: u64,
}

/// An open, verified repository.
pub struct Repository {
    source: Arc<dyn ObjectSource>,
    trusted: TrustedManifest,
    root_hash: ContentHash,
    scratch: tempfile::TempDir,
    catalogs: Mutex<Vec<Loaded>>,
    gauge: Mutex<u64>,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Repository({} revision {} from {})",
            self.trusted.manifest.fqrn,
            self.trusted.manifest.revision,
            self.source.describe()
        )
    }
}

fn fetch_signed(source: &dyn ObjectSource, name: &str) -> Result<Vec<u8>, RepositoryError> {
    source
        .fetch(name, MAX_SIGNED_FILE)
        .map_err(|source| RepositoryError::Fetch {
            what: name.to_owned(),
            source,
        })
}

/// Fetches, verifies, decompresses and opens a catalog (the parent vouched for `hash`).
fn load_catalog(
    source: &dyn ObjectSource,
    scratch: &std::path::Path,
    hash: ContentHash,
    mountpoint: &str,
    expected_size: Option<u64>,
    bind: bool,
) -> Result<CatalogDb, RepositoryError> {
    let what = format!(
        "catalog {hash} (at {})",
        if mountpoint.is_empty() {
            "/"
        } else {
            mountpoint
        }
    );
    let bytes = fetch_verified(source, &hash, ObjectSuffix::Catalog, &what)?;
    let expected = match expected_size {
        Some(size) => ExpectedSize::Exactly(size),
        None => ExpectedSize::AtMost(MAX_METADATA_BYTES),
    };
    let bytes = decompress(bytes, Compression::Zlib, expected, &what)?;
    let db = CatalogDb::open(&bytes, scratch, hash, mountpoint)?;
    // A nested catalog is rooted exactly where its parent mounts it; a bind mountpoint
    // mounts another root catalog.
    let expected_prefix = if bind || mountpoint.is_empty() {
        ""
    } else {
        mountpoint
    };
    if db.root_prefix != expected_prefix {
        return Err(RepositoryError::BadCatalog {
            catalog: what,
            problem: format!(
                "its root prefix is {:?}, but its parent mounts it at {mountpoint} as a {}",
                db.root_prefix,
                if bind {
                    "bind mountpoint"
                } else {
                    "nested catalog"
                }
            ),
        });
    }
    Ok(db)
}

/// Opens the served tree at `location` (a directory or `file://` URL) for `fqrn`
/// (default: the location's last path component), judging the whitelist at `now_unix`
/// (default: the clock), at the head, a tag or a date: what the command line and the
/// bindings open.
pub fn open_location(
    location: &str,
    fqrn: Option<&str>,
    anchors: &TrustAnchors,
    now_unix: Option<u64>,
    root: RootChoice,
    cache: Option<&Cache>,
) -> Result<Repository, RepositoryError> {
    let source = super::source::DirectorySource::from_location(location);
    let fqrn = fqrn.map_or_else(
        || last_component(&source.root().to_string_lossy()),
        str::to_owned,
    );
    open_with(source, &fqrn, anchors, now_unix, root, cache)
}

/// Opens a repository served over HTTP: `server_url` as `CVMFS_SERVER_URL`, `http_proxy`
/// as `CVMFS_HTTP_PROXY` (DIRECT when `None`); `fqrn` defaults to the first URL's last
/// path component.
pub fn open_http(
    server_url: &str,
    http_proxy: Option<&str>,
    fqrn: Option<&str>,
    anchors: &TrustAnchors,
    now_unix: Option<u64>,
    root: RootChoice,
    cache: Option<&Cache>,
) -> Result<Repository, RepositoryError> {
    let fqrn = fqrn.map_or_else(
        || last_component(server_url.split(';').next().unwrap_or_default()),
        str::to_owned,
    );
    let settings = super::http_source::HttpSettings::from_words(server_url, http_proxy, &fqrn)
        .map_err(|e| RepositoryError::BadSettings {
            reason: e.to_string(),
        })?;
    open_with(
        super::http_source::HttpSource::new(settings),
        &fqrn,
        anchors,
        now_unix,
        root,
        cache,
    )
}

/// Opens `fqrn` as the client's configuration in `config_dir` describes it (servers,
/// proxies, timeouts, keys unless `anchors` are given).
pub fn open_configured(
    config_dir: &std::path::Path,
    fqrn: &str,
    anchors: Option<&TrustAnchors>,
    now_unix: Option<u64>,
    root: RootChoice,
    cache: Option<&Cache>,
) -> Result<Repository, RepositoryError> {
    let name = cvmfs_core::Fqrn::parse(fqrn).map_err(|e| RepositoryError::BadSettings {
        reason: e.to_string(),
    })?;
    let config =
        crate::client_config::load_effective(config_dir, std::path::Path::new("/cvmfs"), &name);
    let settings = super::http_source::HttpSettings::from_config(&config).map_err(|problems| {
        RepositoryError::BadSettings {
            reason: format!(
                "the client configuration in {} for {fqrn}: {}",
                config_dir.display(),
                problems.join("; ")
            ),
        }
    })?;
    let from_config;
    let anchors = match anchors {
        Some(anchors) => anchors,
        None => {
            from_config = super::keys::anchors_from_config(&config)?;
            &from_config
        }
    };
    open_with(
        super::http_source::HttpSource::new(settings),
        fqrn,
        anchors,
        now_unix,
        root,
        cache,
    )
}

fn last_component(location: &str) -> String {
    location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Opens through `source`, with `cache` when given: objects come from it first and are
/// kept once they verified, and the trust state it remembers refuses a rollback across
/// restarts (and is updated after the open).
fn open_with<S: ObjectSource + 'static>(
    source: S,
    fqrn: &str,
    anchors: &TrustAnchors,
    now_unix: Option<u64>,
    root: RootChoice,
    cache: Option<&Cache>,
) -> Result<Repository, RepositoryError> {
    let now_unix = now_unix.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let blacklist = Blacklist::default();
    let source: Arc<dyn ObjectSource> = match cache {
        Some(cache) => Arc::new(super::cache::CachingSource::new(source, cache.clone())),
        None => Arc::new(source),
    };
    let repository = Repository::open(
        source,
        &OpenOptions {
            fqrn,
            anchors,
            now_unix,
            accepted: cache.and_then(|c| c.accepted(fqrn)),
            blacklist: &blacklist,
            root,
            scratch_dir: None,
        },
    )?;
    if let Some(cache) = cache
        && let Err(e) = cache.remember(fqrn, &repository.trusted().accepted_state())
    {
        log::warn!("{e}");
    }
    Ok(repository)
}

/// A repository path in catalog form: `""` for the root, else `/a/b`; `None` for `.`,
/// `..` or empty components.
pub fn normalize(path: &str) -> Option<String> {
    let mut out = String::new();
    for component in path.split('/').filter(|c| !c.is_empty()) {
        if component == "." || component == ".." || component.contains('\0') {
            return None;
        }
        out.push('/');
        out.push_str(component);
    }
    Some(out)
}

fn is_under(mountpoint: &str, path: &str) -> bool {
    path == mountpoint
        || (path.starts_with(mountpoint) && path.as_bytes().get(mountpoint.len()) == Some(&b'/'))
}

impl Repository {
    /// Opens the repository at `source`: the whole chain is verified before anything else.
    pub fn open(
        source: Arc<dyn ObjectSource>,
        options: &OpenOptions<'_>,
    ) -> Result<Self, RepositoryError> {
        let manifest_bytes = fetch_signed(source.as_ref(), ".cvmfspublished")?;
        let whitelist_bytes = fetch_signed(source.as_ref(), ".cvmfswhitelist")?;
        let trust_error = |e| RepositoryError::Trust {
            fqrn: options.fqrn.to_owned(),
            source: e,
        };
        // Only the certificate's name is read before verification: the certificate is
        // then checked against the whitelist like any other link.
        let (unverified, _) =
            Manifest::parse(&manifest_bytes).map_err(|e| trust_error(e.into()))?;
        let certificate = fetch_verified(
            source.as_ref(),
            &unverified.certificate,
            ObjectSuffix::Certificate,
            "certificate",
        )?;
        let certificate = decompress(
            certificate,
            Compression::Zlib,
            ExpectedSize::AtMost(MAX_SIGNED_FILE),
            "certificate",
        )?;
        let context = TrustContext {
            fqrn: options.fqrn,
            anchors: options.anchors,
            now_unix: options.now_unix,
            accepted: options.accepted,
            blacklist: options.blacklist,
        };
        let trusted = verify(&context, &manifest_bytes, &whitelist_bytes, &certificate)
            .map_err(trust_error)?;
        let scratch = match &options.scratch_dir {
            Some(dir) => tempfile::TempDir::new_in(dir),
            None => tempfile::TempDir::new(),
        }
        .map_err(|source| RepositoryError::Scratch {
            catalog: "(scratch directory)".to_owned(),
            dir: options
                .scratch_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir),
            source,
        })?;
        let root_hash = match &options.root {
            RootChoice::Head => trusted.manifest.root_catalog,
            RootChoice::Tag(name) => {
                let tags = read_tags(source.as_ref(), scratch.path(), &trusted)?;
                let tag = tags.iter().find(|t| t.name == *name).ok_or_else(|| {
                    RepositoryError::UnknownTag {
                        name: name.clone(),
                        known: tags
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })?;
                tag.root_hash
            }
            RootChoice::Date(when) => {
                let tags = read_tags(source.as_ref(), scratch.path(), &trusted)?;
                tags.iter()
                    .filter(|t| u64::try_from(t.timestamp).is_ok_and(|ts| ts <= *when))
                    .max_by_key(|t| t.revision)
                    .ok_or_else(|| RepositoryError::UnknownTag {
                        name: format!("(published at or before {when})"),
                        known: tags
                            .iter()
                            .map(|t| format!("{} at {}", t.name, t.timestamp))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?
                    .root_hash
            }
        };
        let root = load_catalog(source.as_ref(), scratch.path(), root_hash, "", None, false)?;
        let gauge = INODE_OFFSET + root.max_rowid;
        Ok(Self {
            root_hash,
            source,
            trusted,
            scratch,
            catalogs: Mutex::new(vec![Loaded {
                db: Arc::new(root),
                inode_offset: INODE_OFFSET,
            }]),
            gauge: Mutex::new(gauge),
        })
    }

    /// The verified manifest, whitelist and certificate.
    pub fn trusted(&self) -> &TrustedManifest {
        &self.trusted
    }

    /// The root catalog in use (the head's or the tag's).
    pub fn root_hash(&self) -> ContentHash {
        self.root_hash
    }

    /// Where it is read from.
    pub fn describe_source(&self) -> String {
        self.source.describe()
    }

    fn attach(&self, db: CatalogDb) {
        let mut gauge = self.gauge.lock().unwrap_or_else(|e| e.into_inner());
        let offset = *gauge;
        *gauge += db.max_rowid;
        let mut catalogs = self.catalogs.lock().unwrap_or_else(|e| e.into_inner());
        catalogs.push(Loaded {
            db: Arc::new(db),
            inode_offset: offset,
        });
    }

    /// The deepest loaded catalog containing `path` (the root catalog contains all).
    fn deepest_loaded(&self, path: &str) -> (Arc<CatalogDb>, u64) {
        let catalogs = self.catalogs.lock().unwrap_or_else(|e| e.into_inner());
        let mut best = &catalogs[0];
        for loaded in catalogs.iter().skip(1) {
            if is_under(&loaded.db.mountpoint, path)
                && loaded.db.mountpoint.len() > best.db.mountpoint.len()
            {
                best = loaded;
            }
        }
        (Arc::clone(&best.db), best.inode_offset)
    }

    /// The hashes of the loaded catalogs mounted above `path`.
    fn ancestor_hashes(&self, path: &str) -> Vec<ContentHash> {
        let catalogs = self.catalogs.lock().unwrap_or_else(|e| e.into_inner());
        catalogs
            .iter()
            .filter(|c| is_under(&c.db.mountpoint, path) || c.db.mountpoint.is_empty())
            .map(|c| c.db.hash)
            .collect()
    }

    /// The catalog that holds `path` (loading nested catalogs as needed). A nested
    /// catalog's mountpoint is answered by the parent unless it is being listed.
    fn catalog_for(
        &self,
        path: &str,
        listing: bool,
    ) -> Result<(Arc<CatalogDb>, u64), RepositoryError> {
        for _ in 0..MAX_NESTING {
            let (db, offset) = self.deepest_loaded(path);
            if db.mountpoint == path && !path.is_empty() {
                return Ok((db, offset));
            }
            let next = db.nested()?.into_iter().find(|n| is_under(&n.path, path));
            let Some(nested) = next else {
                return Ok((db, offset));
            };
            // A nested catalog lies strictly below its parent's mountpoint.
            if !is_under(&db.mountpoint, &nested.path)
                || nested.path.len() <= db.mountpoint.len()
                || normalize(&nested.path).as_deref() != Some(nested.path.as_str())
            {
                return Err(RepositoryError::BadCatalog {
                    catalog: format!("{} (at {:?})", db.hash, db.mountpoint),
                    problem: format!(
                        "the nested catalog {:?} is not below the catalog's own mountpoint",
                        nested.path
                    ),
                });
            }
            if nested.path == path && !listing {
                return Ok((db, offset));
            }
            let Some(hash) = nested.hash else {
                return Err(RepositoryError::BadCatalog {
                    catalog: format!("{} (at {:?})", db.hash, db.mountpoint),
                    problem: format!("the nested catalog at {} has no hash", nested.path),
                });
            };
            // A catalog that mounts itself or an ancestor would make the tree endless.
            let ancestors = self.ancestor_hashes(&nested.path);
            if ancestors.contains(&hash) {
                return Err(RepositoryError::BadCatalog {
                    catalog: format!("{} (at {:?})", db.hash, db.mountpoint),
                    problem: format!(
                        "the catalog mounted at {} is {hash}, itself or an ancestor: a cycle",
                        nested.path
                    ),
                });
            }
            let child = load_catalog(
                self.source.as_ref(),
                self.scratch.path(),
                hash,
                &nested.path,
                nested.size,
                nested.bind,
            )?;
            self.attach(child);
        }
        Err(RepositoryError::BadCatalog {
            catalog: self.root_hash.to_string(),
            problem: format!("more than {MAX_NESTING} nested catalogs above {path}"),
        })
    }

    /// The entry at `path` (`""`, `/` or `a/b`).
    pub fn stat(&self, path: &str) -> Result<Entry, RepositoryError> {
        let path = normalize(path).ok_or_else(|| RepositoryError::NotFound {
            path: path.to_owned(),
        })?;
        let (db, offset) = self.catalog_for(&path, false)?;
        let row = db
            .lookup(&path)?
            .ok_or_else(|| RepositoryError::NotFound { path: path.clone() })?;
        self.entry(&db, offset, &path, row)
    }

    /// The entries of the directory at `path`, hidden ones left out, by name.
    pub fn list(&self, path: &str) -> Result<Vec<Entry>, RepositoryError> {
        let dir = self.stat(path)?;
        if dir.kind != EntryKind::Dir {
            return Err(RepositoryError::WrongType {
                path: dir.path,
                problem: "not a directory",
            });
        }
        let (db, offset) = self.catalog_for(&dir.path, true)?;
        let mut out = Vec::new();
        for row in db.children(&dir.path)? {
            if EntryFlags(row.flags).has(EntryFlags::HIDDEN) {
                continue;
            }
            let child = format!("{}/{}", dir.path, row.name);
            out.push(self.entry(&db, offset, &child, row)?);
        }
        Ok(out)
    }

    fn entry(
        &self,
        db: &CatalogDb,
        offset: u64,
        path: &str,
        row: Row,
    ) -> Result<Entry, RepositoryError> {
        let bad = |problem: String| RepositoryError::BadCatalog {
            catalog: format!("{} (at {:?})", db.hash, db.mountpoint),
            problem: format!("{path}: {problem}"),
        };
        let flags = EntryFlags(row.flags);
        let kind = EntryKind::from_mode(row.mode)
            .ok_or_else(|| bad(format!("mode {:o} has no file type", row.mode)))?;
        let links = Hardlinks::unpack(row.hardlinks);
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        let leader = if links.group > 0 {
            db.hardlink_leader(parent, links.group)?
                .unwrap_or(row.rowid)
        } else {
            row.rowid
        };
        let inode = offset + u64::try_from(leader).unwrap_or(0);
        let target = (kind == EntryKind::Symlink)
            .then(|| expand_symlink(&row.symlink, |name| std::env::var(name).ok()));
        let raw_size = u64::try_from(row.size).unwrap_or(0);
        let (size, rdev) = match kind {
            EntryKind::Symlink => (target.as_ref().map_or(0, |t| t.len() as u64), 0),
            EntryKind::CharDevice | EntryKind::BlockDevice => (0, raw_size),
            _ => (raw_size, 0),
        };
        let content = if kind == EntryKind::File {
            let compression = flags
                .compression()
                .ok_or_else(|| bad(format!("flags {:#x} name no known compression", row.flags)))?;
            let algorithm = flags
                .hash_algorithm()
                .ok_or_else(|| bad(format!("flags {:#x} name no known hash", row.flags)))?;
            if flags.has(EntryFlags::CHUNKED) {
                let chunks = db.chunks(path)?;
                Some(Content {
                    hash: None,
                    chunks: chunks.len(),
                    compression,
                })
            } else {
                let digest = row
                    .hash
                    .as_deref()
                    .ok_or_else(|| bad("a regular file without a content hash".to_owned()))?;
                let hash =
                    ContentHash::from_digest(algorithm, digest).map_err(|e| bad(e.to_string()))?;
                Some(Content {
                    hash: Some(hash),
                    chunks: 1,
                    compression,
                })
            }
        } else {
            None
        };
        let xattrs = match &row.xattr {
            None => BTreeMap::new(),
            Some(blob) => decode_xattrs(blob)
                .map_err(|e| bad(e.to_string()))?
                .into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
                .collect(),
        };
        Ok(Entry {
            path: path.to_owned(),
            kind,
            mode: row.mode,
            size,
            rdev,
            mtime: row.mtime,
            mtime_ns: row.mtime_ns.and_then(|n| u32::try_from(n).ok()),
            uid: u32::try_from(row.uid).unwrap_or(u32::MAX),
            gid: u32::try_from(row.gid).unwrap_or(u32::MAX),
            nlink: links.linkcount.max(1),
            inode,
            target,
            content,
            xattrs,
            hidden: flags.has(EntryFlags::HIDDEN),
            nested_mountpoint: flags.has(EntryFlags::NESTED_MOUNTPOINT),
        })
    }

    /// The whole content of the regular file at `path`, every object verified.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, RepositoryError> {
        let entry = self.stat(path)?;
        self.read_entry(&entry)
    }

    /// The content of a regular file's entry.
    pub fn read_entry(&self, entry: &Entry) -> Result<Vec<u8>, RepositoryError> {
        let Some(content) = &entry.content else {
            return Err(RepositoryError::WrongType {
                path: entry.path.clone(),
                problem: "not a regular file",
            });
        };
        if let Some(hash) = &content.hash {
            let what = format!("{} (object {hash})", entry.path);
            let bytes = fetch_verified(self.source.as_ref(), hash, ObjectSuffix::None, &what)?;
            return decompress(
                bytes,
                content.compression,
                ExpectedSize::Exactly(entry.size),
                &what,
            );
        }
        let mut out = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0));
        for (chunk, hash) in self.chunk_list(entry)? {
            out.extend(self.read_chunk(entry, content.compression, &chunk, &hash)?);
        }
        Ok(out)
    }

    /// `len` bytes from `offset` of a regular file (fetching only the chunks it needs).
    pub fn read_range(
        &self,
        entry: &Entry,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, RepositoryError> {
        let Some(content) = &entry.content else {
            return Err(RepositoryError::WrongType {
                path: entry.path.clone(),
                problem: "not a regular file",
            });
        };
        let end = offset.saturating_add(len).min(entry.size);
        if offset >= end {
            return Ok(Vec::new());
        }
        if content.hash.is_some() {
            let all = self.read_entry(entry)?;
            return Ok(all
                [usize::try_from(offset).unwrap_or(0)..usize::try_from(end).unwrap_or(0)]
                .to_vec());
        }
        let mut out = Vec::new();
        for (chunk, hash) in self.chunk_list(entry)? {
            let chunk_end = chunk.offset + chunk.size;
            if chunk_end <= offset || chunk.offset >= end {
                continue;
            }
            let bytes = self.read_chunk(entry, content.compression, &chunk, &hash)?;
            let from = offset.max(chunk.offset) - chunk.offset;
            let to = end.min(chunk_end) - chunk.offset;
            out.extend_from_slice(
                &bytes[usize::try_from(from).unwrap_or(0)..usize::try_from(to).unwrap_or(0)],
            );
        }
        Ok(out)
    }

    fn chunk_list(&self, entry: &Entry) -> Result<Vec<(ChunkRow, ContentHash)>, RepositoryError> {
        let (db, _) = self.catalog_for(&entry.path, false)?;
        let row = db
            .lookup(&entry.path)?
            .ok_or_else(|| RepositoryError::NotFound {
                path: entry.path.clone(),
            })?;
        let bad = |problem: String| RepositoryError::BadCatalog {
            catalog: format!("{} (at {:?})", db.hash, db.mountpoint),
            problem: format!("{}: {problem}", entry.path),
        };
        let algorithm = EntryFlags(row.flags)
            .hash_algorithm()
            .ok_or_else(|| bad(format!("flags {:#x} name no known hash", row.flags)))?;
        let chunks = db.chunks(&entry.path)?;
        if chunks.is_empty() {
            return Err(bad("a chunked file without chunks".to_owned()));
        }
        // Contiguous from 0 to the file size: no gaps, no overlaps.
        let mut next = 0u64;
        let mut out = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            if chunk.offset != next || chunk.size == 0 {
                return Err(bad(format!(
                    "chunk at offset {} (size {}) does not follow the previous one, which ends at {next}",
                    chunk.offset, chunk.size
                )));
            }
            next = chunk.offset + chunk.size;
            let hash =
                ContentHash::from_digest(algorithm, &chunk.hash).map_err(|e| bad(e.to_string()))?;
            out.push((chunk, hash));
        }
        if next != entry.size {
            return Err(bad(format!(
                "the chunks end at {next}, the file is {} bytes",
                entry.size
            )));
        }
        Ok(out)
    }

    fn read_chunk(
        &self,
        entry: &Entry,
        compression: Compression,
        chunk: &ChunkRow,
        hash: &ContentHash,
    ) -> Result<Vec<u8>, RepositoryError> {
        let what = format!("{} chunk at {} (object {hash})", entry.path, chunk.offset);
        let bytes = fetch_verified(self.source.as_ref(), hash, ObjectSuffix::Partial, &what)?;
        decompress(bytes, compression, ExpectedSize::Exactly(chunk.size), &what)
    }

    /// The tags of the history database (authenticated through the manifest's `H`).
    pub fn tags(&self) -> Result<Vec<Tag>, RepositoryError> {
        read_tags(self.source.as_ref(), self.scratch.path(), &self.trusted)
    }

    /// A property of the root catalog in use.
    pub fn root_property(&self, key: &str) -> Result<Option<String>, RepositoryError> {
        let (db, _) = self.deepest_loaded("");
        db.property(key)
    }

    /// The root catalog's statistics counters.
    pub fn counters(&self) -> Result<Vec<(String, i64)>, RepositoryError> {
        let (db, _) = self.deepest_loaded("");
        db.counters()
    }
}

/// The history database's tags.
fn read_tags(
    source: &dyn ObjectSource,
    scratch: &std::path::Path,
    trusted: &TrustedManifest,
) -> Result<Vec<Tag>, RepositoryError> {
    let hash = trusted.manifest.history.ok_or(RepositoryError::NoHistory)?;
    let what = format!("history {hash}");
    let bytes = fetch_verified(source, &hash, ObjectSuffix::History, &what)?;
    let bytes = decompress(
        bytes,
        Compression::Zlib,
        ExpectedSize::AtMost(MAX_METADATA_BYTES),
        &what,
    )?;
    super::history_db::read_tags(&bytes, scratch, &what)?
        .into_iter()
        .map(|row| {
            let root_hash =
                ContentHash::parse(&row.hash).map_err(|e| RepositoryError::BadCatalog {
                    catalog: what.clone(),
                    problem: format!("tag {}: {e}", row.name),
                })?;
            Ok(Tag {
                name: row.name,
                root_hash,
                revision: u64::try_from(row.revision).unwrap_or(0),
                timestamp: row.timestamp,
                description: row.description,
            })
        })
        .collect()
}
