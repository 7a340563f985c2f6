//! The history (tag) database: `tags(name, hash, revision, timestamp, ..., description)`.

use std::path::Path;

use super::error::RepositoryError;

/// One row of `tags`.
#[derive(Debug, Clone)]
pub struct TagRow {
    /// `name`.
    pub name: String,
    /// `hash`: the root catalog's hash string.
    pub hash: String,
    /// `revision`.
    pub revision: i64,
    /// `timestamp`.
    pub timestamp: i64,
    /// `description`.
    pub description: String,
}

/// Reads the tags of decompressed history bytes (stored in `scratch` for SQLite).
pub fn read_tags(bytes: &[u8], scratch: &Path, what: &str) -> Result<Vec<TagRow>, RepositoryError> {
    let sql = |source| RepositoryError::Sqlite {
        catalog: what.to_owned(),
        source,
    };
    let (_file, connection) = super::catalog_db::open_scratch_copy(bytes, scratch, what)?;
    let mut statement = connection
        .prepare(
            "SELECT name, hash, revision, timestamp, COALESCE(description, '') FROM tags ORDER BY revision, name",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map([], |r| {
            Ok(TagRow {
                name: r.get(0)?,
                hash: r.get(1)?,
                revision: r.get(2)?,
                timestamp: r.get(3)?,
                description: r.get(4)?,
            })
        })
        .map_err(sql)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql)?;
    Ok(rows)
}
