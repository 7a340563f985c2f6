//! The local cache: verified objects are kept and read back without the servers, a damaged
//! cached object costs a download and never a wrong byte, and the revision accepted once
//! is remembered, so an older one is refused after a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::path::Path;

use cvmfs_core::repository::hash::HashAlgorithm;
use cvmfs_mount::repository::cache::Cache;
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::repository::walk::verify;
use cvmfs_mount::repository::{RepositoryError, RootChoice, open_location};

const FQRN: &str = "cache.example.org";
const NOW: u64 = 1_800_000_000;

fn publish_into(source: &Path, served: &Path, keys: &Path, now: u64) {
    publish(
        source,
        served,
        &PublishOptions {
            fqrn: FQRN.to_owned(),
            keys_dir: keys.to_owned(),
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 10_000,
            chunk_size: 4096,
            whitelist_days: 30,
            tag: None,
            now_unix: now,
            ttl: 240,
        },
    )
    .unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn verified_objects_are_kept_and_serve_when_the_server_lost_them() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("small.txt"), b"kept").unwrap();
    std::fs::write(source.join("big.bin"), vec![3u8; 20_000]).unwrap();
    let (served, keys) = (work.path().join("served"), work.path().join("keys"));
    publish_into(&source, &served, &keys, NOW);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let cache = Cache::new(work.path().join("cache"));
    let open = || {
        open_location(
            served.to_str().unwrap(),
            Some(FQRN),
            &anchors,
            Some(NOW + 1),
            RootChoice::Head,
            Some(&cache),
        )
    };
    verify(&open().unwrap(), true).unwrap();
    // The server loses every object; the signed files stay.
    std::fs::remove_dir_all(served.join("data")).unwrap();
    let repo = open().unwrap();
    assert_eq!(repo.read("small.txt").unwrap(), b"kept");
    assert_eq!(repo.read("big.bin").unwrap(), vec![3u8; 20_000]);
    // Nothing half-written is left in the transaction directory.
    assert_eq!(
        std::fs::read_dir(cache.base().join("txn")).unwrap().count(),
        0
    );
}

#[test]
fn a_damaged_cached_object_is_fetched_again() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("file.txt"), b"the right bytes").unwrap();
    let (served, keys) = (work.path().join("served"), work.path().join("keys"));
    publish_into(&source, &served, &keys, NOW);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let cache = Cache::new(work.path().join("cache"));
    let open = || {
        open_location(
            served.to_str().unwrap(),
            Some(FQRN),
            &anchors,
            Some(NOW + 1),
            RootChoice::Head,
            Some(&cache),
        )
        .unwrap()
    };
    let repo = open();
    let hash = repo
        .stat("file.txt")
        .unwrap()
        .content
        .unwrap()
        .hash
        .unwrap();
    repo.read("file.txt").unwrap();
    let cached = cache
        .base()
        .join("objects")
        .join(&hash.object_path(cvmfs_core::repository::hash::ObjectSuffix::None)["data/".len()..]);
    let mut bytes = std::fs::read(&cached).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&cached, bytes).unwrap();
    assert_eq!(open().read("file.txt").unwrap(), b"the right bytes");
    // The damaged copy was replaced by the verified one.
    let fresh = std::fs::read(&cached).unwrap();
    assert_eq!(
        cvmfs_core::repository::hash::ContentHash::of(HashAlgorithm::Sha1, &fresh),
        hash
    );
}

#[test]
fn an_older_revision_is_refused_after_a_restart() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("v.txt"), b"one").unwrap();
    let (served, keys) = (work.path().join("served"), work.path().join("keys"));
    publish_into(&source, &served, &keys, NOW);
    let old = work.path().join("old");
    copy_tree(&served, &old);
    std::fs::write(source.join("v.txt"), b"two").unwrap();
    publish_into(&source, &served, &keys, NOW + 10);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let cache = Cache::new(work.path().join("cache"));
    let open = |tree: &Path| {
        open_location(
            tree.to_str().unwrap(),
            Some(FQRN),
            &anchors,
            Some(NOW + 20),
            RootChoice::Head,
            Some(&cache),
        )
    };
    assert_eq!(open(&served).unwrap().read("v.txt").unwrap(), b"two");
    assert_eq!(cache.accepted(FQRN).unwrap().revision, 2);
    // A new process, the same cache: revision 1 served again is a rollback.
    match open(&old) {
        Err(RepositoryError::Trust { source, .. }) => {
            assert!(
                source.to_string().contains("older than the accepted one"),
                "{source}"
            );
        }
        other => panic!("expected a refused rollback, got {other:?}"),
    }
}
