//! One verified, decompressed file catalog, opened read-only with SQLite (bundled through
//! `rusqlite`). Columns are selected by name, so every schema revision (2.4, 2.5 r0–r7)
//! reads; rows that break the format's rules are refused.

use std::path::Path;
use std::sync::Mutex;

use cvmfs_core::repository::catalog_row::path_md5_pair;
use cvmfs_core::repository::hash::ContentHash;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::error::RepositoryError;

/// Which optional columns this catalog's `catalog` table has.
#[derive(Debug, Clone, Copy)]
struct Columns {
    hardlinks: bool,
    xattr: bool,
    mtimens: bool,
}

/// One row of the `catalog` table.
#[derive(Debug, Clone)]
pub struct Row {
    /// SQLite's rowid (inodes are derived from it).
    pub rowid: i64,
    /// The content digest, when there is one.
    pub hash: Option<Vec<u8>>,
    /// `size`.
    pub size: i64,
    /// `mode` (full `st_mode`).
    pub mode: u32,
    /// `mtime`.
    pub mtime: i64,
    /// `mtimens`, when the revision has it.
    pub mtime_ns: Option<i64>,
    /// `flags`.
    pub flags: u32,
    /// `name`.
    pub name: String,
    /// `symlink`.
    pub symlink: String,
    /// `uid`.
    pub uid: i64,
    /// `gid`.
    pub gid: i64,
    /// `hardlinks` (0 in catalogs without the column).
    pub hardlinks: i64,
    /// `xattr`.
    pub xattr: Option<Vec<u8>>,
}

/// A nested catalog (or bind mountpoint) listed by its parent.
#[derive(Debug, Clone)]
pub struct NestedRow {
    /// Where it is mounted (`/nested`).
    pub path: String,
    /// Its hash (`None`: unreachable, legacy).
    pub hash: Option<ContentHash>,
    /// Its database size, when recorded.
    pub size: Option<u64>,
    /// A bind mountpoint (another root catalog), not a nested catalog.
    pub bind: bool,
}

/// One chunk of a chunked file.
#[derive(Debug, Clone)]
pub struct ChunkRow {
    /// Offset in the file.
    pub offset: u64,
    /// Uncompressed size.
    pub size: u64,
    /// Digest.
    pub hash: Vec<u8>,
}

/// An open catalog.
pub struct CatalogDb {
    connection: Mutex<Connection>,
    columns: Columns,
    /// The catalog's hash.
    pub hash: ContentHash,
    /// Where it is mounted in the repository (`""` for the root catalog).
    pub mountpoint: String,
    /// `properties.root_prefix` (`""` for root catalogs).
    pub root_prefix: String,
    /// The highest rowid (the size of its inode range).
    pub max_rowid: u64,
    nested: std::sync::OnceLock<Vec<NestedRow>>,
    // Kept as long as the connection: the scratch file, or the cache file and its pin.
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for CatalogDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CatalogDb({} at {:?})", self.hash, self.mountpoint)
    }
}

fn describe(hash: &ContentHash, mountpoint: &str) -> String {
    format!(
        "{hash} (at {})",
        if mountpoint.is_empty() {
            "/"
        } else {
            mountpoint
        }
    )
}

fn read_property(connection: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    // Through `ValueRef`: rusqlite's `Value` panics on TEXT that is not UTF-8 (found by
    // the catalog_db fuzz target), and a hostile catalog may hold such text.
    connection
        .query_row("SELECT value FROM properties WHERE key = ?1", [key], |r| {
            Ok(text_value(r.get_ref(0)?))
        })
        .optional()
}

/// Stores `bytes` (an SQLite database) in `scratch` and opens it read-only; the file
/// lives as long as the returned handle.
pub fn open_scratch_copy(
    bytes: &[u8],
    scratch: &Path,
    what: &str,
) -> Result<(tempfile::NamedTempFile, Connection), RepositoryError> {
    let scratch_error = |source| RepositoryError::Scratch {
        catalog: what.to_owned(),
        dir: scratch.to_owned(),
        source,
    };
    let mut file = tempfile::NamedTempFile::new_in(scratch).map_err(scratch_error)?;
    std::io::Write::write_all(&mut file, bytes).map_err(scratch_error)?;
    let connection = Connection::open_with_flags(
        file.path(),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| RepositoryError::Sqlite {
        catalog: what.to_owned(),
        source,
    })?;
    Ok((file, connection))
}

fn text_value(value: rusqlite::types::ValueRef<'_>) -> String {
    match value {
        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
            String::from_utf8_lossy(t).into_owned()
        }
        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
        rusqlite::types::ValueRef::Real(r) => r.to_string(),
        rusqlite::types::ValueRef::Null => String::new(),
    }
}

impl CatalogDb {
    /// Opens decompressed catalog bytes, stored in `scratch` for SQLite.
    pub fn open(
        bytes: &[u8],
        scratch: &Path,
        hash: ContentHash,
        mountpoint: &str,
    ) -> Result<Self, RepositoryError> {
        let name = describe(&hash, mountpoint);
        let (file, connection) = open_scratch_copy(bytes, scratch, &name)?;
        Self::from_connection(connection, Box::new(file), hash, mountpoint)
    }

    /// Opens a decompressed catalog in the cache, read-only and immutable, through its
    /// open file (`/proc/self/fd`), so an eviction between fetch and open cannot take it
    /// away; `keep` (a pin) lives as long as the handle.
    pub fn open_file(
        file: std::fs::File,
        path: &Path,
        keep: Box<dyn std::any::Any + Send + Sync>,
        hash: ContentHash,
        mountpoint: &str,
    ) -> Result<Self, RepositoryError> {
        use std::os::fd::AsRawFd;
        let name = describe(&hash, mountpoint);
        let by_fd = format!("/proc/self/fd/{}", file.as_raw_fd());
        let target = if Path::new(&by_fd).exists() {
            by_fd
        } else {
            path.to_string_lossy().into_owned()
        };
        // An SQLite URI: only `%`, `?` and `#` need escaping in a path.
        let escaped = target
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23");
        let connection = Connection::open_with_flags(
            format!("file:{escaped}?immutable=1"),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|source| RepositoryError::Sqlite {
            catalog: name,
            source,
        })?;
        Self::from_connection(connection, Box::new((file, keep)), hash, mountpoint)
    }

    fn from_connection(
        connection: Connection,
        keep: Box<dyn std::any::Any + Send + Sync>,
        hash: ContentHash,
        mountpoint: &str,
    ) -> Result<Self, RepositoryError> {
        let name = describe(&hash, mountpoint);
        let sql = |source| RepositoryError::Sqlite {
            catalog: name.clone(),
            source,
        };
        let mut names = Vec::new();
        {
            let mut statement = connection
                .prepare("SELECT name FROM pragma_table_info('catalog')")
                .map_err(sql)?;
            let rows = statement
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(sql)?;
            for row in rows {
                names.push(row.map_err(sql)?);
            }
        }
        if names.is_empty() {
            return Err(RepositoryError::BadCatalog {
                catalog: name,
                problem: "no catalog table".to_owned(),
            });
        }
        let has = |c: &str| names.iter().any(|n| n == c);
        let columns = Columns {
            hardlinks: has("hardlinks"),
            xattr: has("xattr"),
            mtimens: has("mtimens"),
        };
        let property = |key: &str| read_property(&connection, key).map_err(sql);
        let schema: f64 = property("schema")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0);
        if (2.0..2.35).contains(&schema) {
            return Err(RepositoryError::BadCatalog {
                catalog: name,
                problem: format!("schema {schema} is not readable (2.4 and 2.5 are)"),
            });
        }
        let root_prefix = property("root_prefix")?.unwrap_or_default();
        let max_rowid: i64 = connection
            .query_row("SELECT COALESCE(MAX(rowid), 0) FROM catalog", [], |r| {
                r.get(0)
            })
            .map_err(sql)?;
        Ok(Self {
            connection: Mutex::new(connection),
            columns,
            hash,
            mountpoint: mountpoint.to_owned(),
            root_prefix,
            max_rowid: u64::try_from(max_rowid).unwrap_or(0),
            nested: std::sync::OnceLock::new(),
            _keep: keep,
        })
    }

    fn name(&self) -> String {
        describe(&self.hash, &self.mountpoint)
    }

    fn sql_error(&self, source: rusqlite::Error) -> RepositoryError {
        RepositoryError::Sqlite {
            catalog: self.name(),
            source,
        }
    }

    /// The path this catalog hashes for a repository path (a bind mountpoint's catalog
    /// has its own root prefix).
    fn catalog_path(&self, path: &str) -> String {
        if self.mountpoint == self.root_prefix {
            return path.to_owned();
        }
        format!(
            "{}{}",
            self.root_prefix,
            path.strip_prefix(&self.mountpoint).unwrap_or(path)
        )
    }

    fn select(&self) -> String {
        format!(
            "SELECT rowid, hash, size, mode, mtime, {}, flags, name, symlink, uid, gid, {}, {} FROM catalog",
            if self.columns.mtimens {
                "mtimens"
            } else {
                "NULL"
            },
            if self.columns.hardlinks {
                "hardlinks"
            } else {
                "0"
            },
            if self.columns.xattr { "xattr" } else { "NULL" },
        )
    }

    fn row(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        let text = |i: usize| -> rusqlite::Result<String> {
            Ok(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                    String::from_utf8_lossy(t).into_owned()
                }
                _ => String::new(),
            })
        };
        Ok(Row {
            rowid: r.get(0)?,
            hash: r.get(1)?,
            size: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            mode: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            mtime: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
            mtime_ns: r.get(5)?,
            flags: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
            name: text(7)?,
            symlink: text(8)?,
            uid: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
            gid: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
            hardlinks: r.get::<_, Option<i64>>(11)?.unwrap_or(0),
            xattr: r.get(12)?,
        })
    }

    fn check_name(&self, row: &Row, is_root: bool) -> Result<(), RepositoryError> {
        let bad = row.name.contains('/')
            || row.name.contains('\0')
            || row.name == "."
            || row.name == ".."
            || (row.name.is_empty() && !is_root);
        if bad {
            return Err(RepositoryError::BadCatalog {
                catalog: self.name(),
                problem: format!("the entry name {:?} is not a file name", row.name),
            });
        }
        Ok(())
    }

    /// The row for a repository path (`""` is the root).
    pub fn lookup(&self, path: &str) -> Result<Option<Row>, RepositoryError> {
        let (a, b) = path_md5_pair(self.catalog_path(path).as_bytes());
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let row = connection
            .prepare_cached(&format!(
                "{} WHERE md5path_1 = ?1 AND md5path_2 = ?2",
                self.select()
            ))
            .and_then(|mut statement| {
                statement
                    .query_row(params![a, b], |r| self.row(r))
                    .optional()
            })
            .map_err(|e| self.sql_error(e))?;
        if let Some(row) = &row {
            self.check_name(row, path.is_empty() || path == self.mountpoint)?;
        }
        Ok(row)
    }

    /// The rows whose parent is `dir`, hidden ones included (callers filter).
    pub fn children(&self, dir: &str) -> Result<Vec<Row>, RepositoryError> {
        let (a, b) = path_md5_pair(self.catalog_path(dir).as_bytes());
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = connection
            .prepare_cached(&format!(
                "{} WHERE parent_1 = ?1 AND parent_2 = ?2 ORDER BY name",
                self.select()
            ))
            .map_err(|e| self.sql_error(e))?;
        let rows = statement
            .query_map(params![a, b], |r| self.row(r))
            .map_err(|e| self.sql_error(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_error(e))?;
        for row in &rows {
            self.check_name(row, false)?;
        }
        Ok(rows)
    }

    /// The nested catalogs and bind mountpoints this catalog lists (read once).
    pub fn nested(&self) -> Result<Vec<NestedRow>, RepositoryError> {
        if let Some(rows) = self.nested.get() {
            return Ok(rows.clone());
        }
        let rows = self.read_nested()?;
        Ok(self.nested.get_or_init(|| rows).clone())
    }

    fn read_nested(&self) -> Result<Vec<NestedRow>, RepositoryError> {
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for table in ["nested_catalogs", "bind_mountpoints"] {
            let exists: bool = connection
                .query_row(
                    "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql_error(e))?;
            if !exists {
                continue;
            }
            let has_size: bool = connection
                .query_row(
                    &format!(
                        "SELECT count(*) > 0 FROM pragma_table_info('{table}') WHERE name = 'size'"
                    ),
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql_error(e))?;
            let mut statement = connection
                .prepare(&format!(
                    "SELECT path, sha1, {} FROM {table}",
                    if has_size { "size" } else { "NULL" }
                ))
                .map_err(|e| self.sql_error(e))?;
            let rows = statement
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                    ))
                })
                .map_err(|e| self.sql_error(e))?;
            for row in rows {
                let (path, hash, size) = row.map_err(|e| self.sql_error(e))?;
                let hash =
                    match hash.as_deref() {
                        None | Some("") => None,
                        Some(text) => Some(ContentHash::parse(text).map_err(|e| {
                            RepositoryError::BadCatalog {
                                catalog: self.name(),
                                problem: format!("nested catalog {path}: {e}"),
                            }
                        })?),
                    };
                out.push(NestedRow {
                    path,
                    hash,
                    size: size.and_then(|s| u64::try_from(s).ok()),
                    bind: table == "bind_mountpoints",
                });
            }
        }
        Ok(out)
    }

    /// The chunk list of a chunked file, in offset order.
    pub fn chunks(&self, path: &str) -> Result<Vec<ChunkRow>, RepositoryError> {
        let (a, b) = path_md5_pair(self.catalog_path(path).as_bytes());
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = connection
            .prepare_cached(
                "SELECT offset, size, hash FROM chunks WHERE md5path_1 = ?1 AND md5path_2 = ?2 ORDER BY offset ASC",
            )
            .map_err(|e| self.sql_error(e))?;
        let rows = statement
            .query_map(params![a, b], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(|e| self.sql_error(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_error(e))?;
        rows.into_iter()
            .map(
                |(offset, size, hash)| match (u64::try_from(offset), u64::try_from(size)) {
                    (Ok(offset), Ok(size)) => Ok(ChunkRow { offset, size, hash }),
                    _ => Err(RepositoryError::BadCatalog {
                        catalog: self.name(),
                        problem: format!("{path}: a chunk has a negative offset or size"),
                    }),
                },
            )
            .collect()
    }

    /// The lowest rowid of a hardlink group in `dir` (the group's inode).
    pub fn hardlink_leader(&self, dir: &str, group: u32) -> Result<Option<i64>, RepositoryError> {
        if !self.columns.hardlinks {
            return Ok(None);
        }
        let (a, b) = path_md5_pair(self.catalog_path(dir).as_bytes());
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        connection
            .query_row(
                "SELECT MIN(rowid) FROM catalog WHERE parent_1 = ?1 AND parent_2 = ?2 AND (hardlinks >> 32) = ?3",
                params![a, b, i64::from(group)],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map_err(|e| self.sql_error(e))
    }

    /// A property (`revision`, `TTL`, ...).
    pub fn property(&self, key: &str) -> Result<Option<String>, RepositoryError> {
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        read_property(&connection, key).map_err(|e| self.sql_error(e))
    }

    /// Every statistics counter.
    pub fn counters(&self) -> Result<Vec<(String, i64)>, RepositoryError> {
        let connection = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = connection
            .prepare("SELECT counter, value FROM statistics ORDER BY counter")
            .map_err(|e| self.sql_error(e))?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql_error(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.sql_error(e))
    }
}
