//! `cvmfs_mount.Repository`: a verified, read-only view of a served repository, the same
//! reader as `cvmfs-cli repo`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::{
    Entry, Repository as Reader, RepositoryError, RootChoice, open_location,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{InvalidInputError, RepositoryRefusedError};
use crate::python_value::to_python;

fn refused(err: RepositoryError) -> PyErr {
    match err {
        RepositoryError::NotFound { .. } | RepositoryError::WrongType { .. } => {
            pyo3::exceptions::PyFileNotFoundError::new_err(err.to_string())
        }
        RepositoryError::NoAnchors
        | RepositoryError::ReadKey { .. }
        | RepositoryError::Anchor(_) => InvalidInputError::new_err(err.to_string()),
        other => RepositoryRefusedError::new_err(other.to_string()),
    }
}

/// An entry of a repository.
#[pyclass(module = "cvmfs_mount", frozen, get_all)]
#[derive(Clone)]
pub struct RepoEntry {
    /// `""` for the root, else `/a/b`.
    path: String,
    /// `file`, `dir`, `symlink`, `fifo`, `socket`, `char-device` or `block-device`.
    kind: String,
    /// `st_mode`.
    mode: u32,
    /// `st_size`.
    size: u64,
    /// Seconds.
    mtime: i64,
    /// The publisher's uid.
    uid: u32,
    /// The publisher's gid.
    gid: u32,
    /// `st_nlink`.
    nlink: u32,
    /// A stable inode number.
    inode: u64,
    /// The symlink target.
    target: Option<String>,
    /// The content hash of a whole-file object.
    hash: Option<String>,
    /// The number of chunks (regular files).
    chunks: Option<usize>,
    /// Extended attributes.
    xattrs: BTreeMap<String, Vec<u8>>,
}

impl From<&Entry> for RepoEntry {
    fn from(e: &Entry) -> Self {
        let kind = serde_json::to_value(e.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            path: e.path.clone(),
            kind,
            mode: e.mode,
            size: e.size,
            mtime: e.mtime,
            uid: e.uid,
            gid: e.gid,
            nlink: e.nlink,
            inode: e.inode,
            target: e.target.clone(),
            hash: e
                .content
                .as_ref()
                .and_then(|c| c.hash)
                .map(|h| h.to_string()),
            chunks: e.content.as_ref().map(|c| c.chunks),
            xattrs: e.xattrs.clone(),
        }
    }
}

#[pymethods]
impl RepoEntry {
    fn __repr__(&self) -> String {
        format!(
            "RepoEntry(path={:?}, kind={:?}, size={})",
            self.path, self.kind, self.size
        )
    }
}

/// A served repository, opened only after its signatures, whitelist and root catalog
/// verified.
#[pyclass(module = "cvmfs_mount", frozen)]
pub struct Repository {
    reader: Reader,
}

#[pymethods]
impl Repository {
    /// Opens `source` (a directory or `file://` URL) for `fqrn` (default: the source's
    /// last component), trusting the master keys in `keys` files or `keys_dir`; at the
    /// head, a `tag`, or the newest revision tagged by `date` (Unix seconds).
    #[new]
    #[pyo3(signature = (source, fqrn = None, keys = Vec::new(), keys_dir = None, tag = None, now = None, date = None, cache_dir = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &str,
        fqrn: Option<String>,
        keys: Vec<PathBuf>,
        keys_dir: Option<PathBuf>,
        tag: Option<String>,
        now: Option<u64>,
        date: Option<u64>,
        cache_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let cache = cache_dir.map(cvmfs_mount::repository::cache::Cache::new);
        let root = match (tag, date) {
            (Some(tag), _) => RootChoice::Tag(tag),
            (None, Some(date)) => RootChoice::Date(date),
            (None, None) => RootChoice::Head,
        };
        let anchors = load_anchors(&keys, keys_dir.as_deref()).map_err(refused)?;
        let reader = py
            .detach(|| open_location(source, fqrn.as_deref(), &anchors, now, root, cache.as_ref()))
            .map_err(refused)?;
        Ok(Self { reader })
    }

    /// The revision opened.
    #[getter]
    fn revision(&self) -> u64 {
        self.reader.trusted().manifest.revision
    }

    /// Why the repository was opened from the cache (no server answered), or `None`.
    #[getter]
    fn offline(&self) -> Option<String> {
        self.reader.offline().map(str::to_owned)
    }

    /// The root catalog's hash.
    #[getter]
    fn root_hash(&self) -> String {
        self.reader.root_hash().to_string()
    }

    /// The entry at `path`.
    fn stat(&self, py: Python<'_>, path: &str) -> PyResult<RepoEntry> {
        py.detach(|| self.reader.stat(path))
            .map(|e| RepoEntry::from(&e))
            .map_err(refused)
    }

    /// The entries of a directory.
    #[pyo3(signature = (path = "/"))]
    fn ls(&self, py: Python<'_>, path: &str) -> PyResult<Vec<RepoEntry>> {
        py.detach(|| self.reader.list(path))
            .map(|entries| entries.iter().map(RepoEntry::from).collect())
            .map_err(refused)
    }

    /// A regular file's content, every object verified.
    fn read<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyBytes>> {
        let data = py.detach(|| self.reader.read(path)).map_err(refused)?;
        Ok(PyBytes::new(py, &data))
    }

    /// The tags: `(name, revision, root_hash, description)`.
    fn tags(&self, py: Python<'_>) -> PyResult<Vec<(String, u64, String, String)>> {
        py.detach(|| self.reader.tags())
            .map(|tags| {
                tags.into_iter()
                    .map(|t| (t.name, t.revision, t.root_hash.to_string(), t.description))
                    .collect()
            })
            .map_err(refused)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.reader)
    }
}

fn cache_failed(err: cvmfs_mount::repository::cache::CacheError) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(err.to_string())
}

/// What the cache in `cache_dir` holds: a dict (base, exists, quota_bytes, used_bytes,
/// objects, pinned, transactions, repositories).
#[pyfunction]
fn cache_info(py: Python<'_>, cache_dir: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    let cache = cvmfs_mount::repository::cache::Cache::new(cache_dir);
    let info = py.detach(|| cache.info()).map_err(cache_failed)?;
    to_python(py, &info)
}

/// Evicts least recently used objects of the cache in `cache_dir` until at most `to_mb`
/// MiB remain; `to_mb=0` wipes it (the remembered revisions stay). A dict of what was
/// removed.
#[pyfunction]
#[pyo3(signature = (cache_dir, to_mb = 0))]
fn evict_cache(py: Python<'_>, cache_dir: PathBuf, to_mb: u64) -> PyResult<Bound<'_, PyAny>> {
    let cache = cvmfs_mount::repository::cache::Cache::new(cache_dir);
    let cleanup = py
        .detach(|| cache.evict_to(to_mb.saturating_mul(1024 * 1024)))
        .map_err(cache_failed)?;
    to_python(py, &cleanup)
}

/// Adds the classes to the module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(cache_info, module)?)?;
    module.add_function(wrap_pyfunction!(evict_cache, module)?)?;
    module.add_class::<Repository>()?;
    module.add_class::<RepoEntry>()?;
    Ok(())
}
