//! Writing one file catalog at the current schema (2.5 revision 7) with SQLite.

use std::path::Path;

use cvmfs_core::repository::catalog_row::path_md5_pair;
use rusqlite::{Connection, params};

use super::PublishError;

const SCHEMA: &str = "
CREATE TABLE catalog (md5path_1 INTEGER, md5path_2 INTEGER, parent_1 INTEGER, parent_2 INTEGER,
  hardlinks INTEGER, hash BLOB, size INTEGER, mode INTEGER, mtime INTEGER, mtimens INTEGER,
  flags INTEGER, name TEXT, symlink TEXT, uid INTEGER, gid INTEGER, xattr BLOB,
  CONSTRAINT pk_catalog PRIMARY KEY (md5path_1, md5path_2));
CREATE INDEX idx_catalog_parent ON catalog (parent_1, parent_2);
CREATE TABLE chunks (md5path_1 INTEGER, md5path_2 INTEGER, offset INTEGER, size INTEGER,
  hash BLOB, CONSTRAINT pk_chunks PRIMARY KEY (md5path_1, md5path_2, offset, size));
CREATE TABLE nested_catalogs (path TEXT, sha1 TEXT, size INTEGER,
  CONSTRAINT pk_nested_catalogs PRIMARY KEY (path));
CREATE TABLE bind_mountpoints (path TEXT, sha1 TEXT, size INTEGER,
  CONSTRAINT pk_bind_mountpoints PRIMARY KEY (path));
CREATE TABLE statistics (counter TEXT, value INTEGER,
  CONSTRAINT pk_statistics PRIMARY KEY (counter));
CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key));
";

/// The counters every catalog keeps (with `self_` and `subtree_` prefixes).
pub const COUNTERS: [&str; 12] = [
    "regular",
    "symlink",
    "special",
    "dir",
    "nested",
    "chunked",
    "chunks",
    "file_size",
    "chunked_size",
    "xattr",
    "external",
    "external_file_size",
];

/// One row to insert.
#[derive(Debug, Clone)]
pub struct NewRow<'a> {
    /// The entry's repository path (`""` for the root).
    pub path: &'a str,
    /// Its parent's path (`None` for the repository root: parent `(0, 0)`).
    pub parent: Option<&'a str>,
    /// `hardlinks`.
    pub hardlinks: i64,
    /// `hash`.
    pub hash: Option<&'a [u8]>,
    /// `size`.
    pub size: i64,
    /// `mode`.
    pub mode: u32,
    /// `mtime`.
    pub mtime: i64,
    /// `mtimens`.
    pub mtime_ns: i64,
    /// `flags`.
    pub flags: u32,
    /// `name`.
    pub name: &'a str,
    /// `symlink`.
    pub symlink: &'a str,
    /// `uid`.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `xattr`.
    pub xattr: Option<&'a [u8]>,
}

/// A catalog being written.
pub struct CatalogWriter {
    connection: Connection,
    file: tempfile::NamedTempFile,
    /// Where it is mounted (`""` for the root catalog).
    pub mountpoint: String,
    /// `self_` counters, in [`COUNTERS`] order.
    pub counters: [i64; 12],
    /// `subtree_` additions from nested catalogs.
    pub subtree: [i64; 12],
}

fn sql(catalog: &str) -> impl Fn(rusqlite::Error) -> PublishError + '_ {
    move |source| PublishError::Catalog {
        catalog: if catalog.is_empty() {
            "/".to_owned()
        } else {
            catalog.to_owned()
        },
        source,
    }
}

impl CatalogWriter {
    /// A new, empty catalog in `scratch`.
    pub fn new(scratch: &Path, mountpoint: &str) -> Result<Self, PublishError> {
        let file =
            tempfile::NamedTempFile::new_in(scratch).map_err(|source| PublishError::Write {
                path: scratch.to_owned(),
                source,
            })?;
        let connection = Connection::open(file.path()).map_err(sql(mountpoint))?;
        connection
            .execute_batch(&format!("PRAGMA journal_mode = OFF; BEGIN; {SCHEMA}"))
            .map_err(sql(mountpoint))?;
        Ok(Self {
            connection,
            file,
            mountpoint: mountpoint.to_owned(),
            counters: [0; 12],
            subtree: [0; 12],
        })
    }

    /// Inserts a row.
    pub fn insert(&self, row: &NewRow<'_>) -> Result<(), PublishError> {
        let (m1, m2) = path_md5_pair(row.path.as_bytes());
        let (p1, p2) = row
            .parent
            .map_or((0, 0), |parent| path_md5_pair(parent.as_bytes()));
        self.connection
            .prepare_cached(
                "INSERT INTO catalog (md5path_1, md5path_2, parent_1, parent_2, hardlinks, hash,
                 size, mode, mtime, mtimens, flags, name, symlink, uid, gid, xattr)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    m1,
                    m2,
                    p1,
                    p2,
                    row.hardlinks,
                    row.hash,
                    row.size,
                    row.mode,
                    row.mtime,
                    row.mtime_ns,
                    row.flags,
                    row.name,
                    row.symlink,
                    row.uid,
                    row.gid,
                    row.xattr
                ])
            })
            .map_err(sql(&self.mountpoint))?;
        Ok(())
    }

    /// Inserts a chunk of `path`.
    pub fn insert_chunk(
        &self,
        path: &str,
        offset: u64,
        size: u64,
        hash: &[u8],
    ) -> Result<(), PublishError> {
        let (m1, m2) = path_md5_pair(path.as_bytes());
        self.connection
            .prepare_cached("INSERT INTO chunks (md5path_1, md5path_2, offset, size, hash) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| {
                s.execute(params![
                    m1,
                    m2,
                    i64::try_from(offset).unwrap_or(i64::MAX),
                    i64::try_from(size).unwrap_or(i64::MAX),
                    hash
                ])
            })
            .map_err(sql(&self.mountpoint))?;
        Ok(())
    }

    /// Records a nested catalog.
    pub fn insert_nested(&self, path: &str, hash: &str, size: u64) -> Result<(), PublishError> {
        self.connection
            .execute(
                "INSERT INTO nested_catalogs (path, sha1, size) VALUES (?1, ?2, ?3)",
                params![path, hash, i64::try_from(size).unwrap_or(i64::MAX)],
            )
            .map_err(sql(&self.mountpoint))?;
        Ok(())
    }

    /// Sets a property.
    pub fn property(&self, key: &str, value: &str) -> Result<(), PublishError> {
        self.connection
            .execute(
                "INSERT OR REPLACE INTO properties (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(sql(&self.mountpoint))?;
        Ok(())
    }

    /// Adds to a `self_` counter.
    pub fn count(&mut self, counter: &str, by: i64) {
        if let Some(i) = COUNTERS.iter().position(|c| *c == counter) {
            self.counters[i] += by;
        }
    }

    /// Everything this catalog and its nested catalogs hold (what its parent adds to its
    /// own `subtree_` counters).
    pub fn subtree_counters(&self) -> [i64; 12] {
        let mut out = self.counters;
        for (o, s) in out.iter_mut().zip(self.subtree) {
            *o += s;
        }
        out
    }

    /// Writes the counters, commits and returns the database's bytes. As upstream writes
    /// them (the real fixture shows it), `subtree_` counts what the nested catalogs below
    /// hold, without this catalog's own entries.
    pub fn finish(self) -> Result<Vec<u8>, PublishError> {
        for (i, name) in COUNTERS.iter().enumerate() {
            for (prefix, value) in [("self_", self.counters[i]), ("subtree_", self.subtree[i])] {
                self.connection
                    .execute(
                        "INSERT OR REPLACE INTO statistics (counter, value) VALUES (?1, ?2)",
                        params![format!("{prefix}{name}"), value],
                    )
                    .map_err(sql(&self.mountpoint))?;
            }
        }
        self.connection
            .execute_batch("COMMIT; VACUUM;")
            .map_err(sql(&self.mountpoint))?;
        let Self {
            connection, file, ..
        } = self;
        drop(connection);
        std::fs::read(file.path()).map_err(|source| PublishError::Write {
            path: file.path().to_owned(),
            source,
        })
    }
}
