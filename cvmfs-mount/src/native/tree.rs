//! A repository as a read-only tree for the FUSE layer: the current revision of a
//! [`LiveRepository`], inodes as the reader numbers them (a newer revision's start after
//! every inode the older gave out, so none is reused), the client's `stat` semantics and
//! magic attributes, `EIO` for what cannot be fetched or verified (counted in
//! `user.nioerr`), and files opened on an older revision keep reading it.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;

use crate::fuse::client_xattrs::minutes_from_now;
use crate::fuse::tree::{Attributes, DirEntry, FileKind, ReadOnlyTree, RepositoryStatus};
use crate::repository::cache::CachedObject;
use crate::repository::live::LiveRepository;
use crate::repository::{Entry, EntryKind, Repository, RepositoryError};

/// FUSE's root inode.
const ROOT: u64 = 1;

/// How `user.version` names this client.
pub const NATIVE_VERSION: &str = concat!("cvmfs-mount native ", env!("CARGO_PKG_VERSION"));

/// Whose files they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// Every entry belongs to this user and group (`CVMFS_CLAIM_OWNERSHIP=yes`, the
    /// client's default: the mounting user).
    Claimed {
        /// The user.
        uid: u32,
        /// The group.
        gid: u32,
    },
    /// The ids stored in the catalogs (`CVMFS_CLAIM_OWNERSHIP=no`).
    Stored,
}

/// An inode the kernel knows: its path in the revision it was found in.
struct Node {
    path: String,
    parent: u64,
    repo: Arc<Repository>,
    lookups: u64,
}

/// An open file: the revision it was opened on, and the cached object of a whole file.
struct OpenFile {
    repo: Arc<Repository>,
    entry: Entry,
    object: Option<CachedObject>,
}

/// A repository served read-only.
pub struct RepositoryTree {
    live: Arc<LiveRepository>,
    ownership: Ownership,
    nodes: RwLock<HashMap<u64, Node>>,
    open: Mutex<HashMap<u64, OpenFile>>,
    next_handle: AtomicU64,
    io_errors: AtomicU64,
    last_io_error: AtomicU64,
    timeout_secs: u64,
    readahead: super::readahead::Readahead,
}

impl RepositoryTree {
    /// Serves `live` with `ownership`; `timeout_secs` is what `user.timeout` shows.
    pub fn new(live: Arc<LiveRepository>, ownership: Ownership, timeout_secs: u64) -> Self {
        Self {
            live,
            ownership,
            nodes: RwLock::new(HashMap::new()),
            open: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            io_errors: AtomicU64::new(0),
            last_io_error: AtomicU64::new(0),
            timeout_secs,
            readahead: super::readahead::Readahead::default(),
        }
    }

    /// Counts a failed fetch or verification and says `EIO`.
    fn io_error(&self, error: &RepositoryError) -> Errno {
        log::warn!("{error}");
        self.io_errors.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.last_io_error.store(now, Ordering::Relaxed);
        Errno::EIO
    }

    /// The errno for a reader error: a missing path is `ENOENT`, everything else
    /// (fetch, verification, a broken catalog) an I/O error.
    fn errno(&self, error: &RepositoryError) -> Errno {
        match error {
            RepositoryError::NotFound { .. } => Errno::ENOENT,
            RepositoryError::WrongType { .. } => Errno::EINVAL,
            other => self.io_error(other),
        }
    }

    /// The path and revision of `ino` (the root is always the current revision's).
    fn node(&self, ino: u64) -> Result<(String, Arc<Repository>), Errno> {
        if ino == ROOT {
            return Ok((String::new(), self.live.current()));
        }
        let nodes = self.nodes.read().unwrap_or_else(|e| e.into_inner());
        nodes
            .get(&ino)
            .map(|n| (n.path.clone(), Arc::clone(&n.repo)))
            .ok_or(Errno::ESTALE)
    }

    fn entry(&self, ino: u64) -> Result<(Entry, Arc<Repository>), Errno> {
        let (path, repo) = self.node(ino)?;
        let entry = repo.stat(&path).map_err(|e| self.errno(&e))?;
        Ok((entry, repo))
    }

    /// FUSE's number for an entry: the root is 1.
    fn ino(entry: &Entry) -> u64 {
        if entry.path.is_empty() {
            ROOT
        } else {
            entry.inode
        }
    }

    fn attributes(&self, entry: &Entry) -> Attributes {
        let (uid, gid) = match self.ownership {
            Ownership::Claimed { uid, gid } => (uid, gid),
            Ownership::Stored => (entry.uid, entry.gid),
        };
        let mtime = if entry.mtime >= 0 {
            UNIX_EPOCH
                + Duration::new(
                    entry.mtime.unsigned_abs(),
                    entry.mtime_ns.unwrap_or(0).min(999_999_999),
                )
        } else {
            UNIX_EPOCH - Duration::from_secs(entry.mtime.unsigned_abs())
        };
        Attributes {
            ino: Self::ino(entry),
            kind: kind(entry.kind),
            size: entry.size,
            perm: u16::try_from(entry.mode & 0o7777).unwrap_or(0o555),
            nlink: entry.nlink,
            uid,
            gid,
            rdev: u32::try_from(entry.rdev).unwrap_or(0),
            mtime,
            atime: mtime,
            ctime: mtime,
        }
    }

    /// The client's per-file magic attributes.
    fn file_xattr(&self, entry: &Entry, repo: &Repository, name: &str) -> Option<Vec<u8>> {
        let content = entry.content.as_ref();
        Some(match name {
            "user.hash" | "user.lhash" => content?.hash?.to_string().into_bytes(),
            "user.chunks" => content?.chunks.to_string().into_bytes(),
            "user.compression" => content?.compression.name().as_bytes().to_vec(),
            "user.chunk_list" => {
                let mut text = String::from("hash,offset,size\n");
                match content?.hash {
                    Some(hash) => text.push_str(&format!("{hash},0,{}\n", entry.size)),
                    None => {
                        for (offset, size, hash) in repo.chunk_hashes(entry).ok()? {
                            text.push_str(&format!("{hash},{offset},{size}\n"));
                        }
                    }
                }
                text.into_bytes()
            }
            "user.rawlink" => entry.raw_target.clone()?.into_bytes(),
            "user.pubkeys" => repo.anchors().to_pem().into_bytes(),
            "user.repo_metainfo" => repo.meta_info().ok()??,
            _ => return None,
        })
    }
}

fn kind(kind: EntryKind) -> FileKind {
    match kind {
        EntryKind::File => FileKind::File,
        EntryKind::Dir => FileKind::Directory,
        EntryKind::Symlink => FileKind::Symlink,
        EntryKind::Fifo => FileKind::Fifo,
        EntryKind::Socket => FileKind::Socket,
        EntryKind::CharDevice => FileKind::CharDevice,
        EntryKind::BlockDevice => FileKind::BlockDevice,
    }
}

/// The per-file attribute names a regular file, symlink or any entry has.
fn magic_names(entry: &Entry) -> Vec<&'static str> {
    let mut names = vec!["user.pubkeys", "user.repo_metainfo"];
    if let Some(content) = &entry.content {
        names.extend(["user.chunks", "user.chunk_list", "user.compression"]);
        if content.hash.is_some() {
            names.extend(["user.hash", "user.lhash"]);
        }
    }
    if entry.raw_target.is_some() {
        names.push("user.rawlink");
    }
    names
}

impl ReadOnlyTree for RepositoryTree {
    fn lookup(&self, parent: u64, name: &OsStr) -> Result<Attributes, Errno> {
        let (dir, repo) = self.node(parent)?;
        let name = name.to_str().ok_or(Errno::ENOENT)?;
        let path = format!("{dir}/{name}");
        let entry = repo.stat(&path).map_err(|e| self.errno(&e))?;
        if entry.hidden {
            return Err(Errno::ENOENT);
        }
        let ino = Self::ino(&entry);
        if ino != ROOT {
            let mut nodes = self.nodes.write().unwrap_or_else(|e| e.into_inner());
            let node = nodes.entry(ino).or_insert_with(|| Node {
                path: path.clone(),
                parent,
                repo: Arc::clone(&repo),
                lookups: 0,
            });
            node.lookups += 1;
        }
        Ok(self.attributes(&entry))
    }

    fn getattr(&self, ino: u64) -> Result<Attributes, Errno> {
        let (entry, _) = self.entry(ino)?;
        Ok(self.attributes(&entry))
    }

    fn readlink(&self, ino: u64) -> Result<Vec<u8>, Errno> {
        let (entry, _) = self.entry(ino)?;
        entry.target.map(String::into_bytes).ok_or(Errno::EINVAL)
    }

    fn open(&self, ino: u64) -> Result<u64, Errno> {
        let (entry, repo) = self.entry(ino)?;
        if entry.kind != EntryKind::File {
            return Err(Errno::EISDIR);
        }
        // A whole file is fetched and verified at open, as the client does: a failure
        // is this file's EIO, nothing else's. A miss starts fetching the files after it.
        if super::readahead::Readahead::misses(&repo, &entry) {
            self.readahead.after(&repo, &entry);
        }
        let object = repo.open_content(&entry).map_err(|e| self.io_error(&e))?;
        let handle = self.next_handle.fetch_add(1, Ordering::Relaxed);
        self.open.lock().unwrap_or_else(|e| e.into_inner()).insert(
            handle,
            OpenFile {
                repo,
                entry,
                object,
            },
        );
        Ok(handle)
    }

    fn read(&self, _ino: u64, handle: u64, offset: u64, size: u32) -> Result<Vec<u8>, Errno> {
        let (repo, entry, file) = {
            let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let file = open.get(&handle).ok_or(Errno::EBADF)?;
            let object = match &file.object {
                Some(object) => Some(object.file.try_clone().map_err(|_| Errno::EIO)?),
                None => None,
            };
            (Arc::clone(&file.repo), file.entry.clone(), object)
        };
        if let Some(file) = file {
            let end = offset.saturating_add(u64::from(size)).min(entry.size);
            let mut out = vec![0u8; usize::try_from(end.saturating_sub(offset)).unwrap_or(0)];
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut out, offset)
                .map_err(|_| Errno::EIO)?;
            return Ok(out);
        }
        repo.read_range(&entry, offset, u64::from(size))
            .map_err(|e| self.io_error(&e))
    }

    fn release(&self, _ino: u64, handle: u64) {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&handle);
    }

    fn readdir(&self, ino: u64) -> Result<Vec<DirEntry>, Errno> {
        let (path, repo) = self.node(ino)?;
        let entries = repo.list(&path).map_err(|e| self.errno(&e))?;
        Ok(entries
            .iter()
            .map(|e| DirEntry {
                ino: Self::ino(e),
                kind: kind(e.kind),
                name: OsString::from(e.name()),
            })
            .collect())
    }

    fn parent(&self, ino: u64) -> Result<u64, Errno> {
        if ino == ROOT {
            return Ok(ROOT);
        }
        let nodes = self.nodes.read().unwrap_or_else(|e| e.into_inner());
        nodes.get(&ino).map(|n| n.parent).ok_or(Errno::ESTALE)
    }

    fn getxattr(&self, ino: u64, name: &OsStr) -> Result<Option<Vec<u8>>, Errno> {
        let (entry, repo) = self.entry(ino)?;
        if let Some(value) = entry.xattrs.get(name.to_str().unwrap_or_default()) {
            return Ok(Some(value.clone()));
        }
        Ok(name
            .to_str()
            .and_then(|name| self.file_xattr(&entry, &repo, name)))
    }

    fn listxattr(&self, ino: u64) -> Result<Vec<OsString>, Errno> {
        let (entry, repo) = self.entry(ino)?;
        let mut names: Vec<OsString> = entry.xattrs.keys().map(OsString::from).collect();
        // Only names that read back: overlayfs copies every listed attribute up, and one
        // that answers ENODATA fails the copy (Podman's `--rootfs PATH:O` on a flat).
        let has_meta_info = repo.meta_info().ok().flatten().is_some();
        names.extend(
            magic_names(&entry)
                .into_iter()
                .filter(|name| *name != "user.repo_metainfo" || has_meta_info)
                .map(OsString::from),
        );
        Ok(names)
    }

    fn forget(&self, ino: u64, nlookup: u64) {
        let mut nodes = self.nodes.write().unwrap_or_else(|e| e.into_inner());
        if let Some(node) = nodes.get_mut(&ino) {
            node.lookups = node.lookups.saturating_sub(nlookup);
            if node.lookups == 0 {
                nodes.remove(&ino);
            }
        }
    }

    fn status(&self) -> RepositoryStatus {
        let repo = self.live.current();
        let (host, proxy) = repo.fetcher().source().current();
        let counters = repo.counters_of_fetches();
        let requests = counters.cache_hits + counters.cache_misses;
        let expires_min = self
            .live
            .expires_in()
            .map_or(u64::MAX, |d| minutes_from_now(d.as_secs().div_ceil(60)));
        RepositoryStatus {
            fqrn: repo.trusted().manifest.fqrn.to_string(),
            revision: repo.trusted().manifest.revision.to_string(),
            root_hash: repo.root_hash().to_string(),
            version: NATIVE_VERSION.to_owned(),
            host_list: repo.fetcher().source().host_list(),
            host,
            proxy,
            expires_min,
            io_errors: self.io_errors.load(Ordering::Relaxed),
            last_io_error: self.last_io_error.load(Ordering::Relaxed),
            catalogs: repo.loaded_catalogs() as u64,
            received_kib: counters.bytes_received / 1024,
            downloads: counters.downloads,
            hit_rate_milli: (counters.cache_hits * 100_000)
                .checked_div(requests)
                .unwrap_or(100_000),
            timeout_secs: self.timeout_secs,
            log_buffer: self
                .live
                .last_error()
                .map(|e| format!("checking for a new revision failed: {e}\n"))
                .unwrap_or_default(),
        }
    }

    fn keep_page_cache(&self) -> bool {
        // An inode's content never changes: a newer revision numbers its entries anew.
        true
    }

    fn shows_stored_modes(&self) -> bool {
        true
    }

    fn capacity(&self) -> Option<(u64, u64)> {
        let repo = self.live.current();
        let cache = repo.fetcher().cache();
        let quota = cache.quota()?;
        Some((quota, cache.usage()))
    }

    fn lifetimes(&self) -> Option<Duration> {
        // Names and attributes are kept no longer than the revision may live.
        self.live
            .expires_in()
            .map(|d| d.max(Duration::from_secs(1)))
    }
}
