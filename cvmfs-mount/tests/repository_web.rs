//! The reader against the real network components `.ci/web` starts: Debian's nginx as the
//! stratum-1 and Debian's Squid as the site proxy. Without them (CVMFS_TEST_WEB_URL and
//! friends) the test says it skipped; with CVMFS_REQUIRE_WEB=1 (CI) it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cvmfs_core::config::{Proxy, parse_proxy_list};
use cvmfs_core::repository::hash::HashAlgorithm;
use cvmfs_core::repository::trust::{Blacklist, TrustAnchors};
use cvmfs_mount::repository::http_source::{HttpSettings, HttpSource};
use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::repository::walk::verify;
use cvmfs_mount::repository::{OpenOptions, Repository, RootChoice};

struct Web {
    root: PathBuf,
    url: String,
    proxy: String,
}

fn web() -> Option<Web> {
    let get = |name: &str| std::env::var(name).ok();
    match (
        get("CVMFS_TEST_WEB_ROOT"),
        get("CVMFS_TEST_WEB_URL"),
        get("CVMFS_TEST_PROXY"),
    ) {
        (Some(root), Some(url), Some(proxy)) => Some(Web {
            root: PathBuf::from(root),
            url,
            proxy,
        }),
        _ => {
            assert!(
                get("CVMFS_REQUIRE_WEB").is_none_or(|v| v != "1"),
                "nginx and Squid from .ci/web are required (CVMFS_REQUIRE_WEB=1)"
            );
            eprintln!("SKIPPED: no nginx and Squid from .ci/web (CVMFS_TEST_WEB_URL)");
            None
        }
    }
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

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs")
}

fn settings(web: &Web, fqrn: &str, through_squid: bool) -> HttpSettings {
    let proxies: Vec<Vec<Proxy>> = if through_squid {
        parse_proxy_list(&web.proxy).unwrap()
    } else {
        vec![vec![Proxy::Direct]]
    };
    HttpSettings {
        proxies,
        timeout: Duration::from_secs(5),
        timeout_direct: Duration::from_secs(5),
        ..HttpSettings::direct(vec![format!("{}/cvmfs/{fqrn}", web.url)])
    }
}

fn open(settings: HttpSettings, fqrn: &str, anchors: &TrustAnchors, now: u64) -> Repository {
    let blacklist = Blacklist::default();
    Repository::open(
        Arc::new(HttpSource::new(settings)),
        &OpenOptions {
            fqrn,
            anchors,
            now_unix: now,
            accepted: None,
            blacklist: &blacklist,
            root: RootChoice::Head,
            scratch_dir: None,
        },
    )
    .unwrap()
}

#[test]
fn the_fixture_verifies_through_nginx_and_through_squid() {
    let Some(web) = web() else { return };
    let served = web.root.join("cvmfs/fixture.example.org");
    if !served.join(".cvmfspublished").exists() {
        copy_tree(&testdata().join("fixture.example.org"), &served);
    }
    let key = std::fs::read_to_string(testdata().join("keys/fixture.example.org.pub")).unwrap();
    let anchors = TrustAnchors::from_pem([("fixture.pub", key.as_str())]).unwrap();
    for through_squid in [false, true] {
        let repo = open(
            settings(&web, "fixture.example.org", through_squid),
            "fixture.example.org",
            &anchors,
            1_796_083_200,
        );
        let via = repo.describe_source();
        assert_eq!(via.ends_with(&web.proxy), through_squid, "{via}");
        let report = verify(&repo, true).unwrap();
        assert_eq!((report.entries, report.files_read), (369, 337), "{via}");
    }
}

#[test]
fn a_repository_published_here_reads_through_squid() {
    let Some(web) = web() else { return };
    let fqrn = format!("web{}.example.org", std::process::id());
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    std::fs::create_dir_all(source.join("nested")).unwrap();
    std::fs::write(source.join("nested/.cvmfscatalog"), b"").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(source.join("nested/big.bin"), &big).unwrap();
    std::fs::write(source.join("hello.txt"), b"hello through squid\n").unwrap();
    let keys = work.path().join("keys");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let served = web.root.join("cvmfs").join(&fqrn);
    publish(
        &source,
        &served,
        &PublishOptions {
            fqrn: fqrn.clone(),
            keys_dir: keys.clone(),
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 100_000,
            chunk_size: 65_536,
            whitelist_days: 30,
            tag: None,
            now_unix: now,
            ttl: 240,
        },
    )
    .unwrap();
    let anchors = load_anchors(&[], Some(&keys)).unwrap();
    let repo = open(settings(&web, &fqrn, true), &fqrn, &anchors, now + 1);
    assert_eq!(repo.read("hello.txt").unwrap(), b"hello through squid\n");
    assert_eq!(repo.read("nested/big.bin").unwrap(), big);
    std::fs::remove_dir_all(&served).unwrap();
}
