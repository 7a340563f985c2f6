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
fn a_truncated_cached_object_is_fetched_again() {
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
    let content = repo.stat("file.txt").unwrap().content.unwrap();
    repo.read("file.txt").unwrap();
    // Decompressed, named by the hash without a suffix, as the client keeps it.
    let cached = cache.object_path(&content.hash.unwrap(), content.compression);
    assert_eq!(std::fs::read(&cached).unwrap(), b"the right bytes");
    std::fs::write(&cached, b"the right").unwrap();
    assert_eq!(open().read("file.txt").unwrap(), b"the right bytes");
    assert_eq!(std::fs::read(&cached).unwrap(), b"the right bytes");
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

fn clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn with_every_server_gone_a_remembered_state_opens_offline() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("read.txt"), b"read once").unwrap();
    std::fs::write(source.join("never.txt"), b"never read").unwrap();
    let (served, keys) = (work.path().join("served"), work.path().join("keys"));
    publish_into(&source, &served, &keys, NOW);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let cache = Cache::new(work.path().join("cache"));
    let open = |cache: &Cache| {
        open_location(
            served.to_str().unwrap(),
            Some(FQRN),
            &anchors,
            Some(NOW + 1),
            RootChoice::Head,
            Some(cache),
        )
    };
    let online = open(&cache).unwrap();
    assert_eq!(online.offline(), None);
    online.read("read.txt").unwrap();
    drop(online);
    std::fs::rename(&served, work.path().join("gone")).unwrap();
    let offline = open(&cache).unwrap();
    let why = offline.offline().expect("offline");
    assert!(why.contains(".cvmfspublished"), "{why}");
    assert_eq!(offline.trusted().manifest.revision, 1);
    assert_eq!(offline.read("read.txt").unwrap(), b"read once");
    assert!(matches!(
        offline.read("never.txt"),
        Err(RepositoryError::Fetch { .. })
    ));
    // Nothing remembered: the error of the servers, not an empty repository.
    let empty = Cache::new(work.path().join("empty"));
    assert!(matches!(open(&empty), Err(RepositoryError::Fetch { .. })));
    // A tampered remembered manifest is not trusted offline.
    let state = cache.base().join("state").join(FQRN).join("manifest");
    let mut bytes = std::fs::read(&state).unwrap();
    bytes[1] ^= 1;
    std::fs::write(&state, bytes).unwrap();
    assert!(open(&cache).is_err());
}

#[test]
fn a_newer_revision_becomes_current_after_a_refresh_and_the_old_stays_readable() {
    use cvmfs_mount::repository::live::{LiveRepository, Refreshed};
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("v.txt"), b"one").unwrap();
    let (served, keys) = (work.path().join("served"), work.path().join("keys"));
    let now = clock();
    publish_into(&source, &served, &keys, now);
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let cache = Cache::new(work.path().join("cache"));
    let repo = open_location(
        served.to_str().unwrap(),
        Some(FQRN),
        &anchors,
        None,
        RootChoice::Head,
        Some(&cache),
    )
    .unwrap();
    assert_eq!(repo.ttl(None), std::time::Duration::from_secs(240));
    assert_eq!(
        repo.ttl(Some(std::time::Duration::from_secs(60))),
        std::time::Duration::from_secs(60)
    );
    let live = LiveRepository::new(repo, None);
    assert!(live.expires_in().unwrap() <= std::time::Duration::from_secs(240));
    assert!(live.refresh_if_due().is_none(), "not due before the TTL");
    assert_eq!(
        live.refresh().unwrap(),
        Refreshed::Unchanged { revision: 1 }
    );
    let old = live.current();
    let old_inode = old.stat("v.txt").unwrap().inode;
    std::fs::write(source.join("v.txt"), b"two").unwrap();
    std::fs::write(source.join("added.txt"), b"new").unwrap();
    publish_into(&source, &served, &keys, now + 1);
    assert_eq!(
        live.refresh().unwrap(),
        Refreshed::Updated { from: 1, to: 2 }
    );
    let new = live.current();
    assert_eq!(new.read("v.txt").unwrap(), b"two");
    assert_eq!(new.read("added.txt").unwrap(), b"new");
    // A reader holding the old root still reads the old revision.
    assert_eq!(old.read("v.txt").unwrap(), b"one");
    // Inodes of the new root come after every inode the old one gave out.
    assert!(new.stat("v.txt").unwrap().inode > old_inode);
    assert_eq!(cache.accepted(FQRN).unwrap().revision, 2);
    // A server that loses the manifest: the check fails, the current revision stays.
    std::fs::remove_file(served.join(".cvmfspublished")).unwrap();
    assert!(live.refresh().is_err());
    assert!(live.last_error().unwrap().contains(".cvmfspublished"));
    assert_eq!(live.current().trusted().manifest.revision, 2);
    assert!(live.expires_in().unwrap() <= cvmfs_mount::repository::live::SHORT_TTL);
}
