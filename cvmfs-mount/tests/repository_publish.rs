//! Publish → read round trips: what the reader shows is the source tree exactly, for every
//! hash algorithm, with and without chunking and nested catalogs; a second publish makes
//! the next revision with tags kept; tampering with what the publisher wrote is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cvmfs_core::repository::hash::{HashAlgorithm, ObjectSuffix};
use cvmfs_core::repository::trust::Blacklist;
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::repository::walk::walk;
use cvmfs_mount::repository::{
    DirectorySource, EntryKind, OpenOptions, Repository, RepositoryError, RootChoice,
};

const FQRN: &str = "test.example.org";
const NOW: u64 = 1_800_000_000;

/// Keys are generated once for the whole file, before any test publishes (RSA key
/// generation is slow, and tests run in parallel).
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

fn options(algorithm: HashAlgorithm, chunk_threshold: u64) -> PublishOptions {
    PublishOptions {
        fqrn: FQRN.to_owned(),
        keys_dir: keys_dir().to_owned(),
        algorithm,
        chunk_threshold,
        chunk_size: 4096,
        whitelist_days: 30,
        tag: None,
        now_unix: NOW,
        ttl: 240,
    }
}

fn open(served: &Path, root: RootChoice) -> Result<Repository, RepositoryError> {
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
            root,
            scratch_dir: None,
        },
    )
}

/// A tree with every kind of entry the publisher handles.
fn source_tree(dir: &Path) {
    let f = |p: &str, data: &[u8], mode: u32| {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    f("README.txt", b"hello\n", 0o644);
    f("empty", b"", 0o600);
    f("bin/tool", b"#!/bin/sh\necho tool\n", 0o755);
    let big: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
    f("data/big.bin", &big, 0o644);
    f("nested/.cvmfscatalog", b"", 0o644);
    f("nested/inner/.cvmfscatalog", b"", 0o644);
    f("nested/inner/deep.txt", b"deep inside", 0o644);
    f("nested/file.txt", b"nested file", 0o644);
    f("names/with space.txt", b"space", 0o644);
    f("names/ünïcødé.txt", b"unicode", 0o644);
    f("links/target.txt", b"target", 0o644);
    std::os::unix::fs::symlink("target.txt", dir.join("links/rel")).unwrap();
    std::os::unix::fs::symlink("/cvmfs/test.example.org/README.txt", dir.join("links/abs"))
        .unwrap();
    std::os::unix::fs::symlink("does/not/exist", dir.join("links/dangling")).unwrap();
    std::fs::hard_link(dir.join("links/target.txt"), dir.join("links/hard")).unwrap();
    nix::unistd::mkfifo(
        &dir.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    xattr::set(dir.join("README.txt"), "user.answer", b"42").unwrap();
    std::fs::create_dir_all(dir.join("emptydir")).unwrap();
}

/// What a reader should show for a path: kind, mode, size, mtime, target, content.
type Expected = (EntryKind, u32, u64, i64, Option<String>, Option<Vec<u8>>);

/// Every path of the source tree with what a reader should show.
fn expected(dir: &Path) -> BTreeMap<String, Expected> {
    let mut out = BTreeMap::new();
    fn visit(root: &Path, path: &Path, out: &mut BTreeMap<String, Expected>) {
        let meta = std::fs::symlink_metadata(path).unwrap();
        let rel = path.strip_prefix(root).unwrap();
        let key = if rel.as_os_str().is_empty() {
            String::new()
        } else {
            format!("/{}", rel.display())
        };
        let t = meta.file_type();
        let (kind, size, target, data) = if t.is_dir() {
            (EntryKind::Dir, meta.len(), None, None)
        } else if t.is_symlink() {
            let target = std::fs::read_link(path).unwrap().display().to_string();
            (EntryKind::Symlink, target.len() as u64, Some(target), None)
        } else if t.is_file() {
            (
                EntryKind::File,
                meta.len(),
                None,
                Some(std::fs::read(path).unwrap()),
            )
        } else {
            (EntryKind::Fifo, 0, None, None)
        };
        out.insert(key, (kind, meta.mode(), size, meta.mtime(), target, data));
        if t.is_dir() {
            for entry in std::fs::read_dir(path).unwrap().flatten() {
                visit(root, &entry.path(), out);
            }
        }
    }
    visit(dir, dir, &mut out);
    out
}

fn round_trip(algorithm: HashAlgorithm, chunk_threshold: u64) {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    let served = work.path().join("served").join(FQRN);
    source_tree(&source);
    let published = publish(&source, &served, &options(algorithm, chunk_threshold)).unwrap();
    assert_eq!(published.revision, 1);
    assert_eq!(published.catalogs, 3, "root, nested, nested/inner");
    let repo = open(&served, RootChoice::Head).unwrap();
    let want = expected(&source);
    let mut seen = BTreeMap::new();
    walk(&repo, "", &mut |entry| {
        seen.insert(entry.path.clone(), entry.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, (kind, mode, size, mtime, target, data)) in &want {
        let entry = &seen[path];
        assert_eq!(entry.kind, *kind, "{path}");
        assert_eq!(entry.mode, *mode, "{path}");
        assert_eq!(entry.mtime, *mtime, "{path}");
        assert_eq!(&entry.target, target, "{path}");
        if *kind != EntryKind::Dir {
            assert_eq!(entry.size, *size, "{path}");
        }
        if let Some(data) = data {
            assert_eq!(&repo.read_entry(entry).unwrap(), data, "{path}");
            let content = entry.content.as_ref().unwrap();
            if let Some(hash) = content.hash {
                assert_eq!(hash.algorithm, algorithm, "{path}");
            }
        }
    }
    // Chunked above the threshold, read across chunk boundaries.
    let big = &seen["/data/big.bin"];
    let chunks = big.content.as_ref().unwrap().chunks;
    if chunk_threshold > 0 {
        assert_eq!(chunks, 20, "80000 bytes in 4096-byte chunks");
        let range = repo.read_range(big, 4000, 300).unwrap();
        assert_eq!(range, want["/data/big.bin"].5.as_ref().unwrap()[4000..4300]);
    } else {
        assert_eq!(chunks, 1);
    }
    // Hard links share an inode and report their count; xattrs survive.
    assert_eq!(seen["/links/hard"].inode, seen["/links/target.txt"].inode);
    assert_eq!(seen["/links/hard"].nlink, 2);
    assert_eq!(seen["/README.txt"].xattrs["user.answer"], b"42");
    assert!(seen["/nested"].nested_mountpoint || repo.stat("nested").unwrap().nested_mountpoint);
    // Counters as upstream writes them: `subtree_` holds the nested catalogs' part only.
    let counters: BTreeMap<String, i64> = repo.counters().unwrap().into_iter().collect();
    let regular = want.values().filter(|w| w.0 == EntryKind::File).count() as i64;
    // nested/file.txt, nested/inner/deep.txt and the two .cvmfscatalog markers.
    assert_eq!(counters["subtree_regular"], 4);
    assert_eq!(
        counters["self_regular"] + counters["subtree_regular"],
        regular
    );
}

#[test]
fn round_trips_for_every_algorithm_with_and_without_chunks() {
    for algorithm in HashAlgorithm::ALL {
        for threshold in [0, 8192] {
            round_trip(algorithm, threshold);
        }
    }
}

#[test]
fn a_second_publish_is_the_next_revision_with_tags_kept_and_objects_reused() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    let served = work.path().join("served").join(FQRN);
    source_tree(&source);
    let mut first = options(HashAlgorithm::Sha1, 0);
    first.tag = Some(("v1".to_owned(), "first".to_owned()));
    let one = publish(&source, &served, &first).unwrap();
    std::fs::write(source.join("README.txt"), b"changed\n").unwrap();
    let mut second = options(HashAlgorithm::Sha1, 0);
    second.now_unix = NOW + 10;
    let two = publish(&source, &served, &second).unwrap();
    assert_eq!(two.revision, 2);
    assert!(
        two.objects_written < one.objects_written,
        "unchanged objects are reused"
    );
    let repo = open(&served, RootChoice::Head).unwrap();
    assert_eq!(repo.read("README.txt").unwrap(), b"changed\n");
    assert_eq!(
        repo.root_property("previous_revision").unwrap(),
        Some(one.root_catalog.to_string())
    );
    let tags: Vec<String> = repo.tags().unwrap().into_iter().map(|t| t.name).collect();
    assert!(
        tags.contains(&"v1".to_owned()) && tags.contains(&"trunk-previous".to_owned()),
        "{tags:?}"
    );
    let old = open(&served, RootChoice::Tag("v1".to_owned())).unwrap();
    assert_eq!(old.read("README.txt").unwrap(), b"hello\n");
}

#[test]
fn keys_are_private_and_never_served() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    let served = work.path().join("served");
    publish(&source, &served, &options(HashAlgorithm::Sha1, 0)).unwrap();
    let master = keys_dir().join(format!("{FQRN}.masterkey"));
    assert_eq!(std::fs::metadata(master).unwrap().mode() & 0o777, 0o600);
    let mut inside = options(HashAlgorithm::Sha1, 0);
    inside.keys_dir = served.join("keys");
    assert!(matches!(
        publish(&source, &served, &inside),
        Err(cvmfs_mount::repository::publish::PublishError::KeysInsideServed { .. })
    ));
}

#[test]
fn tampering_with_a_published_tree_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    let served: PathBuf = work.path().join("served").join(FQRN);
    source_tree(&source);
    publish(&source, &served, &options(HashAlgorithm::Shake128, 8192)).unwrap();
    let repo = open(&served, RootChoice::Head).unwrap();
    let big = repo.stat("data/big.bin").unwrap();
    // A chunk object with one byte flipped.
    let chunk_dir = served.join("data");
    let mut flipped = false;
    for dir in std::fs::read_dir(&chunk_dir).unwrap().flatten() {
        for object in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if !flipped && object.file_name().to_string_lossy().ends_with('P') {
                let mut bytes = std::fs::read(object.path()).unwrap();
                bytes[2] ^= 1;
                std::fs::write(object.path(), bytes).unwrap();
                flipped = true;
            }
        }
    }
    assert!(flipped);
    assert!(matches!(
        repo.read_entry(&big),
        Err(RepositoryError::HashMismatch { .. })
    ));
    let _ = ObjectSuffix::Partial;
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// A small generated tree: files (name, content), some in one subdirectory, and
    /// symlinks to them.
    fn tree() -> impl Strategy<Value = Vec<(String, Vec<u8>, bool)>> {
        proptest::collection::btree_map(
            "[a-z][a-z0-9_.-]{0,11}",
            (
                proptest::collection::vec(any::<u8>(), 0..5000),
                any::<bool>(),
            ),
            1..12,
        )
        .prop_map(|m| m.into_iter().map(|(n, (c, d))| (n, c, d)).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        /// Publish → read gives back every file byte for byte, with its mode and size.
        #[test]
        fn generated_trees_round_trip(files in tree(), chunked in any::<bool>()) {
            let work = tempfile::tempdir().unwrap();
            let source = work.path().join("source");
            std::fs::create_dir_all(source.join("sub")).unwrap();
            for (name, content, in_sub) in &files {
                let path = if *in_sub { source.join("sub").join(name) } else { source.join(name) };
                std::fs::write(&path, content).unwrap();
                std::os::unix::fs::symlink(name, source.join(format!("{name}.link")))
                    .unwrap_or(());
            }
            let served = work.path().join("served");
            let threshold = if chunked { 1000 } else { 0 };
            let mut opts = options(HashAlgorithm::Sha1, threshold);
            opts.chunk_size = 700;
            publish(&source, &served, &opts).unwrap();
            let repo = open(&served, RootChoice::Head).unwrap();
            for (name, content, in_sub) in &files {
                let path = if *in_sub { format!("sub/{name}") } else { name.clone() };
                prop_assert_eq!(&repo.read(&path).unwrap(), content);
                let entry = repo.stat(&path).unwrap();
                prop_assert_eq!(entry.size, content.len() as u64);
                prop_assert_eq!(entry.mode & 0o777, std::fs::metadata(if *in_sub { source.join("sub").join(name) } else { source.join(name) }).unwrap().mode() & 0o777);
                let link = repo.stat(&format!("{name}.link")).unwrap();
                prop_assert_eq!(link.target.as_deref(), Some(name.as_str()));
            }
        }
    }
}
