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
use super::cache::state::SignedFiles;
use super::catalog_db::{CatalogDb, ChunkRow, Row};
use super::entry::{Content, Entry, EntryKind};
use super::error::RepositoryError;
use super::fetcher::{DEFAULT_PARALLEL_DOWNLOADS, FetchCounters, Fetcher};
use super::object::{ExpectedSize, MAX_METADATA_BYTES, fetch_into_memory};
use super::source::{FetchError, ObjectSource};

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

/// What verifying the repository again needs (a refresh, an offline start).
#[derive(Debug, Clone)]
struct Verifier {
    fqrn: String,
    anchors: TrustAnchors,
    blacklist: Blacklist,
}

/// An open, verified repository: one root catalog, fixed for its lifetime; a newer
/// revision is a new `Repository` ([`Repository::refresh`]), so readers holding this one
/// keep reading the revision they started with.
pub struct Repository {
    fetcher: Arc<Fetcher>,
    verifier: Verifier,
    trusted: TrustedManifest,
    signed: SignedFiles,
    root_hash: ContentHash,
    fixed_root: bool,
    offline: Option<String>,
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
            self.fetcher.source().describe()
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

/// Fetches, verifies, decompresses and opens a catalog (the parent vouched for `hash`);
/// its cache file is pinned while it is open.
fn load_catalog(
    fetcher: &Fetcher,
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
    let expected = match expected_size {
        Some(size) => ExpectedSize::Exactly(size),
        None => ExpectedSize::AtMost(MAX_METADATA_BYTES),
    };
    let object = fetcher.object(
        &hash,
        ObjectSuffix::Catalog,
        Compression::Zlib,
        expected,
        &|| what.clone(),
    )?;
    let pin = fetcher.cache().pin(&object.path);
    let db = CatalogDb::open_file(object.file, &object.path, Box::new(pin), hash, mountpoint)?;
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

/// A variable of a variant symlink, from the serving process's environment as the
/// client reads it; `CVMFS_ARCH` defaults to the machine (`uname -m`) as the client sets
/// it, which DUCC's multi-architecture links (`.multiarch/$(CVMFS_ARCH:-amd64)/...`) use.
fn symlink_variable(name: &str) -> Option<String> {
    std::env::var(name).ok().or_else(|| {
        (name == "CVMFS_ARCH").then(|| {
            nix::sys::utsname::uname()
                .map(|u| u.machine().to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    })
}

fn last_component(location: &str) -> String {
    location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

impl Verifier {
    /// Verifies signed files at `now_unix` against `accepted`.
    fn verify(
        &self,
        signed: &SignedFiles,
        now_unix: u64,
        accepted: Option<AcceptedState>,
    ) -> Result<TrustedManifest, RepositoryError> {
        let context = TrustContext {
            fqrn: &self.fqrn,
            anchors: &self.anchors,
            now_unix,
            accepted,
            blacklist: &self.blacklist,
        };
        verify(
            &context,
            &signed.manifest,
            &signed.whitelist,
            &signed.certificate,
        )
        .map_err(|source| RepositoryError::Trust {
            fqrn: self.fqrn.clone(),
            source,
        })
    }
}

/// Opens through `source`, with `cache` when given (else a private one): objects come
/// from it first and are kept once they verified, and the trust state it remembers
/// refuses a rollback across restarts and serves when no server answers.
fn open_with<S: ObjectSource + 'static>(
    source: S,
    fqrn: &str,
    anchors: &TrustAnchors,
    now_unix: Option<u64>,
    root: RootChoice,
    cache: Option<&Cache>,
) -> Result<Repository, RepositoryError> {
    let now_unix = now_unix.unwrap_or_else(unix_now);
    let blacklist = Blacklist::default();
    let source: Arc<dyn ObjectSource> = Arc::new(source);
    let fetcher = match cache {
        Some(cache) => Fetcher::new(source, cache.clone(), DEFAULT_PARALLEL_DOWNLOADS),
        None => Fetcher::with_private_cache(source, DEFAULT_PARALLEL_DOWNLOADS)?,
    };
    Repository::open_with(
        Arc::new(fetcher),
        &OpenOptions {
            fqrn,
            anchors,
            now_unix,
            accepted: None,
            blacklist: &blacklist,
            root,
            scratch_dir: None,
        },
    )
}

/// The clock in Unix seconds.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The signed files as served, the certificate verified against its name.
fn fetch_signed_files(
    source: &dyn ObjectSource,
    fqrn: &str,
) -> Result<SignedFiles, RepositoryError> {
    let manifest = fetch_signed(source, ".cvmfspublished")?;
    let whitelist = fetch_signed(source, ".cvmfswhitelist")?;
    // Only the certificate's name is read before verification: the certificate is then
    // checked against the whitelist like any other link.
    let (unverified, _) = Manifest::parse(&manifest).map_err(|e| RepositoryError::Trust {
        fqrn: fqrn.to_owned(),
        source: e.into(),
    })?;
    let certificate = fetch_into_memory(
        source,
        &unverified.certificate,
        ObjectSuffix::Certificate,
        Compression::Zlib,
        ExpectedSize::AtMost(MAX_SIGNED_FILE),
        "certificate",
    )?;
    Ok(SignedFiles {
        manifest,
        whitelist,
        certificate,
    })
}

/// Whether a failure to reach the signed files lets a remembered state serve instead:
/// the servers could not be reached or did not have them. Content that arrived and was
/// wrong (a tampered or rolled-back manifest) is never papered over.
fn allows_offline(error: &RepositoryError) -> bool {
    matches!(
        error,
        RepositoryError::Fetch {
            source: FetchError::AllFailed { .. }
                | FetchError::NotFound { .. }
                | FetchError::Read { .. },
            ..
        }
    )
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
    /// Opens the repository at `source` with a private cache: the whole chain is
    /// verified before anything else.
    pub fn open(
        source: Arc<dyn ObjectSource>,
        options: &OpenOptions<'_>,
    ) -> Result<Self, RepositoryError> {
        let fetcher = Fetcher::with_private_cache(source, DEFAULT_PARALLEL_DOWNLOADS)?;
        Self::open_with(Arc::new(fetcher), options)
    }

    /// Opens the repository through `fetcher`. The last accepted state in its cache (or
    /// `options.accepted`) refuses older revisions; the accepted one is remembered. When
    /// no server can be reached and the cache remembers a verified state, the repository
    /// opens from the cache, offline ([`Repository::offline`] says why).
    pub fn open_with(
        fetcher: Arc<Fetcher>,
        options: &OpenOptions<'_>,
    ) -> Result<Self, RepositoryError> {
        let verifier = Verifier {
            fqrn: options.fqrn.to_owned(),
            anchors: options.anchors.clone(),
            blacklist: options.blacklist.clone(),
        };
        let remembered = fetcher.cache().state(options.fqrn);
        let accepted = match (options.accepted, remembered.as_ref().map(|s| s.accepted)) {
            (Some(a), Some(b)) => Some(if b.revision > a.revision { b } else { a }),
            (a, b) => a.or(b),
        };
        let (signed, trusted, offline) = match fetch_signed_files(fetcher.source(), options.fqrn) {
            Ok(signed) => {
                let trusted = verifier.verify(&signed, options.now_unix, accepted)?;
                (signed, trusted, None)
            }
            Err(error) if allows_offline(&error) => {
                let cached = remembered
                    .as_ref()
                    .and_then(|state| Some((state, fetcher.cache().signed_files(options.fqrn)?)));
                let Some((state, signed)) = cached else {
                    return Err(error);
                };
                // As verified when it was accepted; the cache is the user's own.
                let trusted = verifier.verify(&signed, state.accepted_at, None)?;
                if trusted.accepted_state() != state.accepted {
                    return Err(error);
                }
                (signed, trusted, Some(error.to_string()))
            }
            Err(error) => return Err(error),
        };
        let repository = Self::at_root(
            fetcher,
            verifier,
            signed,
            trusted,
            &options.root,
            options.scratch_dir.as_deref(),
            INODE_OFFSET,
        )?;
        let repository = Self {
            offline,
            ..repository
        };
        if repository.offline.is_none()
            && let Err(e) = repository.fetcher.cache().remember(
                options.fqrn,
                &repository.trusted.accepted_state(),
                options.now_unix,
                &repository.signed,
            )
        {
            log::warn!("{e}");
        }
        Ok(repository)
    }

    /// The repository at the chosen root of a verified manifest, its inodes starting
    /// after `inode_base`.
    fn at_root(
        fetcher: Arc<Fetcher>,
        verifier: Verifier,
        signed: SignedFiles,
        trusted: TrustedManifest,
        root: &RootChoice,
        scratch_dir: Option<&std::path::Path>,
        inode_base: u64,
    ) -> Result<Self, RepositoryError> {
        let scratch = match scratch_dir {
            Some(dir) => tempfile::TempDir::new_in(dir),
            None => tempfile::TempDir::new(),
        }
        .map_err(|source| RepositoryError::Scratch {
            catalog: "(scratch directory)".to_owned(),
            dir: scratch_dir.map_or_else(std::env::temp_dir, std::path::Path::to_owned),
            source,
        })?;
        let root_hash = match root {
            RootChoice::Head => trusted.manifest.root_catalog,
            RootChoice::Tag(name) => {
                let tags = read_tags(&fetcher, scratch.path(), &trusted)?;
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
                let tags = read_tags(&fetcher, scratch.path(), &trusted)?;
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
        let root_db = load_catalog(&fetcher, root_hash, "", None, false)?;
        let gauge = inode_base + root_db.max_rowid;
        Ok(Self {
            root_hash,
            fetcher,
            verifier,
            trusted,
            signed,
            fixed_root: *root != RootChoice::Head,
            offline: None,
            scratch,
            catalogs: Mutex::new(vec![Loaded {
                db: Arc::new(root_db),
                inode_offset: inode_base,
            }]),
            gauge: Mutex::new(gauge),
        })
    }

    /// Checks the servers for a newer revision (the manifest, verified against this
    /// one as the last accepted): `Some` new repository at its head, its inodes after
    /// every inode this one gave out, or `None` when the revision is unchanged. An
    /// offline repository comes back online with the same revision. Fixed roots (a tag
    /// or a date) never change.
    pub fn refresh(&self, now_unix: u64) -> Result<Option<Self>, RepositoryError> {
        if self.fixed_root {
            return Ok(None);
        }
        let signed = fetch_signed_files(self.fetcher.source(), &self.verifier.fqrn)?;
        let trusted =
            self.verifier
                .verify(&signed, now_unix, Some(self.trusted.accepted_state()))?;
        if trusted.manifest.revision == self.trusted.manifest.revision && self.offline.is_none() {
            return Ok(None);
        }
        let inode_base = *self.gauge.lock().unwrap_or_else(|e| e.into_inner());
        let next = Self::at_root(
            Arc::clone(&self.fetcher),
            self.verifier.clone(),
            signed,
            trusted,
            &RootChoice::Head,
            self.scratch.path().parent(),
            inode_base,
        )?;
        if let Err(e) = self.fetcher.cache().remember(
            &self.verifier.fqrn,
            &next.trusted.accepted_state(),
            now_unix,
            &next.signed,
        ) {
            log::warn!("{e}");
        }
        Ok(Some(next))
    }

    /// Why the repository was opened from the cache (no server answered), or `None`
    /// when it is online.
    pub fn offline(&self) -> Option<&str> {
        self.offline.as_deref()
    }

    /// Whether the root is fixed (a tag or a date): it never refreshes.
    pub fn fixed_root(&self) -> bool {
        self.fixed_root
    }

    /// The fetcher's counters (downloads, bytes, cache hits).
    pub fn counters_of_fetches(&self) -> FetchCounters {
        self.fetcher.counters()
    }

    /// The fetcher (source and cache), shared by every revision opened from this one.
    pub fn fetcher(&self) -> &Arc<Fetcher> {
        &self.fetcher
    }

    /// The time-to-live of this revision: the root catalog's `TTL` property (240 s when
    /// absent), capped by `max_ttl` when given (`CVMFS_MAX_TTL`).
    pub fn ttl(&self, max_ttl: Option<std::time::Duration>) -> std::time::Duration {
        let ttl = self
            .root_property("TTL")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(
                std::time::Duration::from_secs(240),
                std::time::Duration::from_secs,
            );
        max_ttl.map_or(ttl, |cap| ttl.min(cap))
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
        self.fetcher.source().describe()
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
            let child = load_catalog(&self.fetcher, hash, &nested.path, nested.size, nested.bind)?;
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
        let target =
            (kind == EntryKind::Symlink).then(|| expand_symlink(&row.symlink, symlink_variable));
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
            raw_target: (kind == EntryKind::Symlink).then(|| row.symlink.clone()),
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
        self.read_range(entry, 0, entry.size)
    }

    /// `len` bytes from `offset` of a regular file (fetching only the objects it needs,
    /// reading only the range from the cache).
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
        let mut out = vec![0u8; usize::try_from(end - offset).unwrap_or(0)];
        if let Some(hash) = &content.hash {
            let object = self.content_object(entry, content.compression, hash, None)?;
            read_at(&object, offset, &mut out)?;
            return Ok(out);
        }
        for (chunk, hash) in self.chunk_list(entry)? {
            let chunk_end = chunk.offset + chunk.size;
            if chunk_end <= offset || chunk.offset >= end {
                continue;
            }
            let object = self.content_object(entry, content.compression, &hash, Some(&chunk))?;
            let from = offset.max(chunk.offset);
            let to = end.min(chunk_end);
            let slot = usize::try_from(from - offset).unwrap_or(0)
                ..usize::try_from(to - offset).unwrap_or(0);
            read_at(&object, from - chunk.offset, &mut out[slot])?;
        }
        Ok(out)
    }

    /// A whole-file object, open from the cache (fetched and verified first when
    /// missing): what a mount opens a file with. `None` for a chunked file (its chunks
    /// are read as needed) and for what is not a regular file.
    pub fn open_content(
        &self,
        entry: &Entry,
    ) -> Result<Option<super::cache::CachedObject>, RepositoryError> {
        match &entry.content {
            Some(Content {
                hash: Some(hash),
                compression,
                ..
            }) => self
                .content_object(entry, *compression, hash, None)
                .map(Some),
            _ => Ok(None),
        }
    }

    /// The hashes of a chunked file's chunks, in order (`user.chunk_list`).
    pub fn chunk_hashes(
        &self,
        entry: &Entry,
    ) -> Result<Vec<(u64, u64, ContentHash)>, RepositoryError> {
        Ok(self
            .chunk_list(entry)?
            .into_iter()
            .map(|(chunk, hash)| (chunk.offset, chunk.size, hash))
            .collect())
    }

    /// The master keys it was verified with (`user.pubkeys`).
    pub fn anchors(&self) -> &TrustAnchors {
        &self.verifier.anchors
    }

    /// How many catalogs are loaded (`user.nclg`).
    pub fn loaded_catalogs(&self) -> usize {
        self.catalogs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// The highest inode given out so far: a newer revision's start.
    pub fn inode_gauge(&self) -> u64 {
        *self.gauge.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The repository's meta information (the manifest's `M`, JSON), verified.
    pub fn meta_info(&self) -> Result<Option<Vec<u8>>, RepositoryError> {
        let Some(hash) = self.trusted.manifest.meta_info else {
            return Ok(None);
        };
        let object = self.fetcher.object(
            &hash,
            ObjectSuffix::MetaInfo,
            Compression::Zlib,
            ExpectedSize::AtMost(MAX_SIGNED_FILE),
            &|| format!("meta information {hash}"),
        )?;
        let mut bytes = vec![0u8; usize::try_from(object.size).unwrap_or(0)];
        read_at(&object, 0, &mut bytes)?;
        Ok(Some(bytes))
    }

    /// The cache object holding a file's content or one of its chunks.
    fn content_object(
        &self,
        entry: &Entry,
        compression: Compression,
        hash: &ContentHash,
        chunk: Option<&ChunkRow>,
    ) -> Result<super::cache::CachedObject, RepositoryError> {
        match chunk {
            None => self.fetcher.object(
                hash,
                ObjectSuffix::None,
                compression,
                ExpectedSize::Exactly(entry.size),
                &|| format!("{} (object {hash})", entry.path),
            ),
            Some(chunk) => self.fetcher.object(
                hash,
                ObjectSuffix::Partial,
                compression,
                ExpectedSize::Exactly(chunk.size),
                &|| format!("{} chunk at {} (object {hash})", entry.path, chunk.offset),
            ),
        }
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

    /// The tags of the history database (authenticated through the manifest's `H`).
    pub fn tags(&self) -> Result<Vec<Tag>, RepositoryError> {
        read_tags(&self.fetcher, self.scratch.path(), &self.trusted)
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

/// Fills `out` from `offset` of a cached object.
fn read_at(
    object: &super::cache::CachedObject,
    offset: u64,
    out: &mut [u8],
) -> Result<(), RepositoryError> {
    std::os::unix::fs::FileExt::read_exact_at(&object.file, out, offset).map_err(|source| {
        RepositoryError::Cache(super::cache::CacheError::Io {
            path: object.path.clone(),
            source,
        })
    })
}

/// The history database's tags.
fn read_tags(
    fetcher: &Fetcher,
    scratch: &std::path::Path,
    trusted: &TrustedManifest,
) -> Result<Vec<Tag>, RepositoryError> {
    let hash = trusted.manifest.history.ok_or(RepositoryError::NoHistory)?;
    let what = format!("history {hash}");
    let object = fetcher.object(
        &hash,
        ObjectSuffix::History,
        Compression::Zlib,
        ExpectedSize::AtMost(MAX_METADATA_BYTES),
        &|| what.clone(),
    )?;
    let mut bytes = vec![0u8; usize::try_from(object.size).unwrap_or(0)];
    read_at(&object, 0, &mut bytes)?;
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
