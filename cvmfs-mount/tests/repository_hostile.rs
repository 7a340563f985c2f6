//! Hostile catalogs, properly signed: names with `/`, `..` or NUL, chunk lists with gaps
//! or overlaps, sizes that do not match what decompresses, a nested catalog of the wrong
//! size, and catalogs that mount themselves. Each is refused with an error naming it,
//! without a panic and without returning content.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use cvmfs_core::repository::catalog_row::path_md5_pair;
use cvmfs_core::repository::hash::{HashAlgorithm, ObjectSuffix};
use cvmfs_core::repository::manifest::Manifest;
use cvmfs_core::repository::trust::Blacklist;
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::publish::{PublishOptions, publish, replace_root_catalog};
use cvmfs_mount::repository::walk::verify;
use cvmfs_mount::repository::{
    DirectorySource, OpenOptions, Repository, RepositoryError, RootChoice,
};

const FQRN: &str = "hostile.example.org";
const NOW: u64 = 1_800_000_000;

fn keys_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        cvmfs_mount::repository::publish::keys::PublisherKeys::load_or_generate(dir.path(), FQRN)
            .unwrap();
        dir
    })
    .path()
}

/// A published tree: a small file, a chunked file and a nested catalog.
fn published(work: &Path) -> std::path::PathBuf {
    let source = work.join("source");
    std::fs::create_dir_all(source.join("nested")).unwrap();
    std::fs::write(source.join("file.txt"), b"small").unwrap();
    std::fs::write(source.join("big.bin"), vec![9u8; 30_000]).unwrap();
    std::fs::write(source.join("nested/.cvmfscatalog"), b"").unwrap();
    std::fs::write(source.join("nested/inner.txt"), b"inner").unwrap();
    let served = work.join("served");
    publish(
        &source,
        &served,
        &PublishOptions {
            fqrn: FQRN.to_owned(),
            keys_dir: keys_dir().to_owned(),
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 10_000,
            chunk_size: 8_192,
            whitelist_days: 30,
            tag: None,
            now_unix: NOW,
            ttl: 240,
        },
    )
    .unwrap();
    served
}

fn open(served: &Path) -> Result<Repository, RepositoryError> {
    let anchors = load_anchors(&[], Some(keys_dir())).unwrap();
    let blacklist = Blacklist::default();
    Repository::open(
        Arc::new(DirectorySource::new(served)),
        &OpenOptions {
            fqrn: FQRN,
            anchors: &anchors,
            now_unix: NOW + 60,
            accepted: None,
            blacklist: &blacklist,
            root: RootChoice::Head,
            scratch_dir: None,
        },
    )
}

/// Applies `sql` to the served root catalog and signs the result as the next revision.
fn mutate_root(served: &Path, sql: &str) {
    let manifest = Manifest::parse(&std::fs::read(served.join(".cvmfspublished")).unwrap())
        .unwrap()
        .0;
    let packed =
        std::fs::read(served.join(manifest.root_catalog.object_path(ObjectSuffix::Catalog)))
            .unwrap();
    let mut bytes = Vec::new();
    flate2::read::ZlibDecoder::new(&packed[..])
        .read_to_end(&mut bytes)
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    let connection = rusqlite::Connection::open(file.path()).unwrap();
    connection.execute_batch(sql).unwrap();
    drop(connection);
    replace_root_catalog(
        served,
        keys_dir(),
        &std::fs::read(file.path()).unwrap(),
        NOW + 1,
    )
    .unwrap();
}

fn bad_catalog(result: Result<impl std::fmt::Debug, RepositoryError>, expect: &str) {
    match result {
        Err(RepositoryError::BadCatalog { problem, .. }) => {
            assert!(problem.contains(expect), "{problem}");
        }
        other => panic!("expected a refused catalog ({expect}), got {other:?}"),
    }
}

#[test]
fn names_with_slashes_dot_dot_or_nul_are_refused() {
    for name in ["'a/b'", "'..'", "'.'", "char(97, 0, 98)"] {
        let work = tempfile::tempdir().unwrap();
        let served = published(work.path());
        mutate_root(
            &served,
            &format!("UPDATE catalog SET name = {name} WHERE name = 'file.txt';"),
        );
        let repo = open(&served).unwrap();
        bad_catalog(repo.list("/"), "is not a file name");
    }
}

#[test]
fn chunk_lists_with_gaps_or_overlaps_are_refused() {
    for shift in ["+ 1", "- 1"] {
        let work = tempfile::tempdir().unwrap();
        let served = published(work.path());
        mutate_root(
            &served,
            &format!("UPDATE chunks SET offset = offset {shift} WHERE offset > 0;"),
        );
        let repo = open(&served).unwrap();
        bad_catalog(repo.read("big.bin"), "does not follow the previous one");
    }
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(&served, "DELETE FROM chunks;");
    bad_catalog(open(&served).unwrap().read("big.bin"), "without chunks");
}

#[test]
fn sizes_that_do_not_match_what_decompresses_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(
        &served,
        "UPDATE catalog SET size = 1000000000 WHERE name = 'file.txt';",
    );
    let repo = open(&served).unwrap();
    assert!(matches!(
        repo.read("file.txt"),
        Err(RepositoryError::SizeMismatch { .. })
    ));
    // A nested catalog whose recorded size is not what it decompresses to.
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(&served, "UPDATE nested_catalogs SET size = 4096;");
    assert!(matches!(
        open(&served).unwrap().list("nested"),
        Err(RepositoryError::SizeMismatch { .. })
    ));
}

#[test]
fn catalogs_that_mount_themselves_or_sit_outside_are_refused() {
    // The nested row names the original root catalog (still served) as /nested.
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    let root = Manifest::parse(&std::fs::read(served.join(".cvmfspublished")).unwrap())
        .unwrap()
        .0
        .root_catalog;
    mutate_root(
        &served,
        &format!("UPDATE nested_catalogs SET sha1 = '{root}', size = NULL;"),
    );
    let repo = open(&served).unwrap();
    bad_catalog(repo.list("nested"), "root prefix");
    // A bind mountpoint back to the same root: a cycle, not an endless tree.
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    let root = Manifest::parse(&std::fs::read(served.join(".cvmfspublished")).unwrap())
        .unwrap()
        .0
        .root_catalog;
    let (a, b) = path_md5_pair(b"/loop");
    let (p1, p2) = path_md5_pair(b"");
    mutate_root(
        &served,
        &format!(
            "INSERT INTO bind_mountpoints VALUES ('/loop', '{root}', NULL);
             INSERT INTO catalog (md5path_1, md5path_2, parent_1, parent_2, hardlinks, hash, size,
               mode, mtime, mtimens, flags, name, symlink, uid, gid, xattr)
             VALUES ({a}, {b}, {p1}, {p2}, 2, NULL, 4096, 16877, 0, 0, 16385, 'loop', '', 0, 0, NULL);"
        ),
    );
    let repo = open(&served).unwrap();
    // The replaced root is a new catalog; its bind names the old root, which names no
    // bind: one level, then the walk ends.
    verify(&repo, false).unwrap();
    // A nested row outside the catalog's own mountpoint.
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(&served, "UPDATE nested_catalogs SET path = '';");
    bad_catalog(open(&served).unwrap().stat("nested/inner.txt"), "not below");
}

#[test]
fn an_unsigned_change_to_a_catalog_is_refused() {
    // Editing the served root catalog without signing: its hash no longer matches.
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    let root = Manifest::parse(&std::fs::read(served.join(".cvmfspublished")).unwrap())
        .unwrap()
        .0
        .root_catalog;
    let object = served.join(root.object_path(ObjectSuffix::Catalog));
    let mut bytes = std::fs::read(&object).unwrap();
    bytes[10] ^= 0x40;
    std::fs::write(&object, bytes).unwrap();
    assert!(matches!(
        open(&served),
        Err(RepositoryError::HashMismatch { .. })
    ));
}

/// Older layouts read (columns by name): 2.4 and 2.5 revisions before `xattr` (r2) and
/// `mtimens` (r7); schemas 2.0–2.3 are refused as upstream does.
#[test]
fn older_schema_revisions_read_and_unreadable_ones_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(
        &served,
        "ALTER TABLE catalog DROP COLUMN mtimens;
         ALTER TABLE catalog DROP COLUMN xattr;
         UPDATE properties SET value = '1' WHERE key = 'schema_revision';
         UPDATE properties SET value = '2.4' WHERE key = 'schema';",
    );
    let repo = open(&served).unwrap();
    let entry = repo.stat("file.txt").unwrap();
    assert_eq!((entry.mtime_ns, entry.xattrs.len()), (None, 0));
    assert_eq!(repo.read("file.txt").unwrap(), b"small");
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(
        &served,
        "UPDATE properties SET value = '2.2' WHERE key = 'schema';",
    );
    match open(&served) {
        Err(RepositoryError::BadCatalog { problem, .. }) => {
            assert!(problem.contains("schema 2.2"), "{problem}");
        }
        other => panic!("schema 2.2 must be refused, got {other:?}"),
    }
}

/// Text that is not UTF-8 in a property (rusqlite's `Value` panics on it; found by the
/// catalog_db fuzz target): read without a panic.
#[test]
fn non_utf8_text_in_a_catalog_does_not_panic() {
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    mutate_root(
        &served,
        "UPDATE properties SET value = CAST(X'FFFE41' AS TEXT) WHERE key = 'revision';
         UPDATE catalog SET name = CAST(X'66FF' AS TEXT) WHERE name = 'file.txt';",
    );
    let repo = open(&served).unwrap();
    assert_eq!(
        repo.root_property("revision").unwrap().as_deref(),
        Some("\u{fffd}\u{fffd}A")
    );
    let names: Vec<String> = repo
        .list("/")
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert!(names.contains(&"/f\u{fffd}".to_owned()), "{names:?}");
}

/// A manifest for another repository, signed by a certificate the whitelist does list
/// (both repositories share their keys), is refused by its name.
#[test]
fn a_manifest_for_another_name_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let served = published(work.path());
    // The same keys under another name: its whitelist lists the same certificate.
    let keys = work.path().join("other-keys");
    std::fs::create_dir_all(&keys).unwrap();
    for suffix in ["masterkey", "pub", "key", "crt"] {
        std::fs::copy(
            keys_dir().join(format!("{FQRN}.{suffix}")),
            keys.join(format!("other.example.org.{suffix}")),
        )
        .unwrap();
    }
    let other_source = work.path().join("other-source");
    std::fs::create_dir_all(&other_source).unwrap();
    let other = work.path().join("other-served");
    publish(
        &other_source,
        &other,
        &PublishOptions {
            fqrn: "other.example.org".to_owned(),
            keys_dir: keys,
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 0,
            chunk_size: 0,
            whitelist_days: 30,
            tag: None,
            now_unix: NOW,
            ttl: 240,
        },
    )
    .unwrap();
    // Serve hostile.example.org's whitelist with other.example.org's manifest.
    std::fs::copy(
        other.join(".cvmfspublished"),
        served.join(".cvmfspublished"),
    )
    .unwrap();
    match open(&served) {
        Err(RepositoryError::Trust { source, .. }) => assert_eq!(
            source.to_string(),
            "the manifest is for other.example.org, not hostile.example.org"
        ),
        other => panic!("expected the manifest's name to be refused, got {other:?}"),
    }
}
