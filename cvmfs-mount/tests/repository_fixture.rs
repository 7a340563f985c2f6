//! The real fixture (`testdata/cvmfs`, published and recorded with the upstream tools 2.12):
//! our reader reproduces, for every path, what the upstream client showed — type, modes,
//! sizes, ids, mtimes, link counts, hard-link groups, symlink targets, contents, xattrs and
//! the client's `user.*` attributes — for the head and for the tag `v1.0`. Tampered
//! objects are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cvmfs_core::repository::trust::{Blacklist, TrustAnchors};
use cvmfs_mount::repository::{
    DirectorySource, Entry, EntryKind, OpenOptions, Repository, RepositoryError, RootChoice,
};
use serde_json::{Value, json};
use sha1::Digest;

const FQRN: &str = "fixture.example.org";
/// 2026-12-01 00:00 UTC: after publication, before the whitelist expires.
const NOW: u64 = 1_796_083_200;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs")
}

fn open_at(served: &Path, root: RootChoice) -> Result<Repository, RepositoryError> {
    let key = std::fs::read_to_string(testdata().join("keys/fixture.example.org.pub")).unwrap();
    let anchors = TrustAnchors::from_pem([("fixture.example.org.pub", key.as_str())]).unwrap();
    let blacklist = Blacklist::default();
    Repository::open(
        Arc::new(DirectorySource::new(served)),
        &OpenOptions {
            fqrn: FQRN,
            anchors: &anchors,
            now_unix: NOW,
            accepted: None,
            blacklist: &blacklist,
            root,
            scratch_dir: None,
        },
    )
}

fn walk(repo: &Repository, entry: Entry, out: &mut Vec<Entry>) {
    let children = if entry.kind == EntryKind::Dir {
        repo.list(&entry.path).unwrap()
    } else {
        Vec::new()
    };
    out.push(entry);
    for child in children {
        walk(repo, child, out);
    }
}

/// What the recorder wrote for an entry (ids are the catalog's: `uid_raw`/`gid_raw`).
fn shown(repo: &Repository, entry: &Entry, groups: &HashMap<u64, u64>) -> Value {
    let path = if entry.path.is_empty() {
        ".".to_owned()
    } else {
        entry.path[1..].to_owned()
    };
    let kind = match entry.kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::Fifo => "fifo",
        EntryKind::Socket => "socket",
        EntryKind::CharDevice => "chardev",
        EntryKind::BlockDevice => "blockdev",
    };
    let sha1 = entry.content.as_ref().map(|_| {
        let data = repo.read_entry(entry).unwrap();
        assert_eq!(data.len() as u64, entry.size, "{path}");
        hex::encode(sha1::Sha1::digest(&data))
    });
    let xattrs: BTreeMap<&str, String> = entry
        .xattrs
        .iter()
        .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    let mut row = json!({
        "path": path,
        "type": kind,
        "mode": format!("{:04o}", entry.permissions()),
        "st_mode": format!("{:o}", entry.mode),
        "size": entry.size,
        "uid_raw": entry.uid,
        "gid_raw": entry.gid,
        "mtime": entry.mtime,
        "nlink": entry.nlink,
        "inode_group": groups.get(&entry.inode),
        "target": entry.target,
        "sha1": sha1,
        "xattrs": xattrs,
    });
    if let Some(content) = &entry.content {
        row["cvmfs"] = json!({
            "chunks": content.chunks.to_string(),
            "compression": content.compression.name(),
            "hash": content.hash.map(|h| h.to_string()),
        });
    } else if entry.path.is_empty() {
        row["cvmfs"] = json!({
            "fqrn": FQRN,
            "hash": null,
            "revision": repo.root_property("revision").unwrap(),
            "root_hash": repo.root_hash().to_string(),
        });
    }
    row
}

fn reproduce(recording: &str, root: RootChoice) {
    let repo = open_at(&testdata().join(FQRN), root).unwrap();
    let mut entries = Vec::new();
    walk(&repo, repo.stat("").unwrap(), &mut entries);
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    // Hard-link groups as the recorder numbered them: shared inodes, in path order.
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for e in &entries {
        *counts.entry(e.inode).or_default() += 1;
    }
    let mut groups = HashMap::new();
    for e in &entries {
        if counts[&e.inode] > 1 && !groups.contains_key(&e.inode) {
            groups.insert(e.inode, groups.len() as u64 + 1);
        }
    }
    let inodes: std::collections::HashSet<u64> = entries.iter().map(|e| e.inode).collect();
    assert_eq!(
        inodes.len(),
        entries.len() - counts.values().map(|c| c - 1).sum::<usize>(),
        "inodes are unique except within hard-link groups"
    );
    let expected: Vec<Value> = std::fs::read_to_string(testdata().join(recording))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            // The client's own user (CVMFS_CLAIM_OWNERSHIP=yes), not the repository's.
            o.remove("uid");
            o.remove("gid");
            v
        })
        .collect();
    let ours: Vec<Value> = entries.iter().map(|e| shown(&repo, e, &groups)).collect();
    assert_eq!(ours.len(), expected.len(), "number of paths");
    for (mine, theirs) in ours.iter().zip(&expected) {
        assert_eq!(mine, theirs);
    }
}

#[test]
fn the_head_reproduces_the_upstream_clients_view() {
    reproduce("fixture.example.org.jsonl", RootChoice::Head);
}

#[test]
fn the_tag_reproduces_the_upstream_clients_view() {
    reproduce(
        "fixture.example.org@v1.0.jsonl",
        RootChoice::Tag("v1.0".to_owned()),
    );
}

#[test]
fn tags_and_revisions_open() {
    let repo = open_at(&testdata().join(FQRN), RootChoice::Head).unwrap();
    let tags = repo.tags().unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"v1.0"), "{names:?}");
    for tag in &tags {
        let opened = open_at(&testdata().join(FQRN), RootChoice::Tag(tag.name.clone())).unwrap();
        assert_eq!(opened.root_hash(), tag.root_hash);
        assert!(opened.stat("").unwrap().kind == EntryKind::Dir);
    }
    assert!(matches!(
        open_at(&testdata().join(FQRN), RootChoice::Tag("nope".to_owned())),
        Err(RepositoryError::UnknownTag { .. })
    ));
}

/// A copy of the served tree to tamper with.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

fn flip_last_byte(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn a_flipped_byte_in_any_object_is_refused_and_nothing_is_returned() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join(FQRN);
    copy_tree(&testdata().join(FQRN), &served);
    let repo = open_at(&served, RootChoice::Head).unwrap();
    // A file object, a chunk, a nested catalog: each refused with its name.
    let file = repo.stat("README.txt").unwrap();
    let hash = file.content.as_ref().unwrap().hash.unwrap();
    let path = served.join(hash.object_path(cvmfs_core::repository::hash::ObjectSuffix::None));
    flip_last_byte(&path);
    let err = repo.read("README.txt").unwrap_err();
    assert!(matches!(err, RepositoryError::HashMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&hash.to_string()), "{err}");
    // The root catalog: opening fails.
    let root = repo.root_hash();
    drop(repo);
    flip_last_byte(
        &served.join(root.object_path(cvmfs_core::repository::hash::ObjectSuffix::Catalog)),
    );
    assert!(matches!(
        open_at(&served, RootChoice::Head),
        Err(RepositoryError::HashMismatch { .. })
    ));
}

#[test]
fn a_tampered_manifest_whitelist_or_certificate_is_refused() {
    for name in [".cvmfspublished", ".cvmfswhitelist"] {
        let dir = tempfile::tempdir().unwrap();
        let served = dir.path().join(FQRN);
        copy_tree(&testdata().join(FQRN), &served);
        flip_last_byte(&served.join(name));
        let err = open_at(&served, RootChoice::Head).unwrap_err();
        assert!(
            matches!(err, RepositoryError::Trust { .. }),
            "{name}: {err}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join(FQRN);
    copy_tree(&testdata().join(FQRN), &served);
    let repo = open_at(&served, RootChoice::Head).unwrap();
    let certificate = repo.trusted().manifest.certificate;
    drop(repo);
    flip_last_byte(
        &served
            .join(certificate.object_path(cvmfs_core::repository::hash::ObjectSuffix::Certificate)),
    );
    assert!(matches!(
        open_at(&served, RootChoice::Head),
        Err(RepositoryError::HashMismatch { .. })
    ));
}

#[test]
fn a_date_opens_the_newest_revision_published_by_then() {
    // The fixture's revisions 2, 3 and 4 were published at 06:43:08, :09 and :09.
    let at_rev2 = open_at(&testdata().join(FQRN), RootChoice::Date(1_795_934_588)).unwrap();
    assert_eq!(
        at_rev2.root_hash().to_string(),
        "e33102f484070a8e0f821ad07ee0b999131b69b8"
    );
    let latest = open_at(&testdata().join(FQRN), RootChoice::Date(NOW)).unwrap();
    assert_eq!(
        latest.root_hash().to_string(),
        "e4d912057896a9752596b3755a88ed600def528c"
    );
    assert!(matches!(
        open_at(&testdata().join(FQRN), RootChoice::Date(1_000_000_000)),
        Err(RepositoryError::UnknownTag { .. })
    ));
}
