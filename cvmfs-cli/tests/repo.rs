//! `cvmfs-cli repo` against the real fixture (`testdata/cvmfs`): what it shows, and what
//! it refuses.

#![allow(clippy::unwrap_used)] // test code: failures should panic

use assert_cmd::Command;
use predicates::prelude::*;

/// 2026-12-01 00:00 UTC: the fixture's whitelist is valid.
const NOW: &str = "1796083200";

/// The web root, nginx URL and Squid URL of `.ci/web`, with the fixture copied under
/// `cvmfs/<dir>/`; `None` (a skip) without them outside CI.
fn served_fixture(dir: &str) -> Option<(String, String)> {
    let (Ok(root), Ok(url), Ok(proxy)) = (
        std::env::var("CVMFS_TEST_WEB_ROOT"),
        std::env::var("CVMFS_TEST_WEB_URL"),
        std::env::var("CVMFS_TEST_PROXY"),
    ) else {
        assert!(
            std::env::var("CVMFS_REQUIRE_WEB").map_or(true, |v| v != "1"),
            "nginx and Squid from .ci/web are required (CVMFS_REQUIRE_WEB=1)"
        );
        eprintln!("SKIPPED: no nginx and Squid from .ci/web");
        return None;
    };
    let served = std::path::Path::new(&root)
        .join("cvmfs")
        .join(dir)
        .join("fixture.example.org");
    if !served.join(".cvmfspublished").exists() {
        std::fs::create_dir_all(served.parent().unwrap()).unwrap();
        assert!(
            std::process::Command::new("cp")
                .arg("-r")
                .arg(testdata("fixture.example.org"))
                .arg(served.parent().unwrap())
                .status()
                .unwrap()
                .success()
        );
    }
    Some((url, proxy))
}

fn testdata(path: &str) -> String {
    format!("{}/../testdata/cvmfs/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn repo(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("cvmfs-cli").unwrap();
    cmd.arg("repo")
        .arg(args[0])
        .args(["--source", &testdata("fixture.example.org")])
        .args(["--key", &testdata("keys/fixture.example.org.pub")])
        .args(["--now", NOW])
        .args(&args[1..]);
    cmd
}

#[test]
fn ls_recursive_json_lists_every_path_the_client_showed() {
    let output = repo(&["ls", "-R", "--json", "/"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut ours: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let path = v["path"].as_str().unwrap();
            if path.is_empty() {
                ".".to_owned()
            } else {
                path[1..].to_owned()
            }
        })
        .collect();
    ours.sort();
    let theirs: Vec<String> = std::fs::read_to_string(testdata("fixture.example.org.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["path"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn cat_stat_tags_info_and_verify() {
    repo(&["cat", "README.txt"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "fixture.example.org: small CernVM-FS test repository.",
        ));
    repo(&["stat", "--json", "hardlinks/a.txt"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"nlink\": 2"));
    repo(&["tags"])
        .assert()
        .success()
        .stdout(predicate::str::contains("v1.0"));
    repo(&["cat", "--tag", "v1.0", "changing.txt"])
        .assert()
        .success();
    repo(&["info", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\"certificate_fingerprint\": \"689a4e1e16f6a33ca9fb0491523f05d212bd3e47\"",
        ));
    repo(&["verify", "--objects"])
        .assert()
        .success()
        .stdout(predicate::str::contains("337 files read"));
}

#[test]
fn expired_whitelists_unknown_keys_and_missing_paths_are_refused() {
    let mut expired = Command::cargo_bin("cvmfs-cli").unwrap();
    expired
        .args(["repo", "info", "--source", &testdata("fixture.example.org")])
        .args(["--key", &testdata("keys/fixture.example.org.pub")])
        .args(["--now", "1827468000"])
        .assert()
        .code(4)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "the whitelist expired at 20271129064310 UTC",
        ));
    let dir = tempfile::tempdir().unwrap();
    let mut no_keys = Command::cargo_bin("cvmfs-cli").unwrap();
    no_keys
        .args(["repo", "info", "--source", &testdata("fixture.example.org")])
        .arg("--keys-dir")
        .arg(dir.path())
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no master public key"));
    repo(&["cat", "does/not/exist"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "/does/not/exist: no such file or directory",
        ));
    repo(&["cat", "bin"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("not a regular file"));
}

#[test]
fn publish_then_read_back_and_publish_again() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("tree");
    std::fs::create_dir_all(source.join("nested")).unwrap();
    std::fs::write(source.join("nested/.cvmfscatalog"), b"").unwrap();
    std::fs::write(source.join("nested/file.txt"), b"first").unwrap();
    let served = dir.path().join("served/t.example.org");
    let keys = dir.path().join("keys");
    let publish = |tag: &str| {
        let mut cmd = Command::cargo_bin("cvmfs-cli").unwrap();
        cmd.arg("publish")
            .arg(&source)
            .args(["--fqrn", "t.example.org", "--tag", tag, "--json", "--out"])
            .arg(&served)
            .arg("--keys-dir")
            .arg(&keys)
            .assert()
            .success();
    };
    publish("one");
    std::fs::write(source.join("nested/file.txt"), b"second").unwrap();
    publish("two");
    let read = |args: &[&str]| {
        let mut cmd = Command::cargo_bin("cvmfs-cli").unwrap();
        cmd.arg("repo")
            .args(args)
            .arg("--source")
            .arg(&served)
            .arg("--keys-dir")
            .arg(&keys);
        cmd
    };
    read(&["cat", "nested/file.txt"])
        .assert()
        .success()
        .stdout("second");
    read(&["cat", "--tag", "one", "nested/file.txt"])
        .assert()
        .success()
        .stdout("first");
    read(&["verify", "--objects"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 nested catalogs"));
    // Keys inside the served tree are refused; nothing is published.
    let mut inside = Command::cargo_bin("cvmfs-cli").unwrap();
    inside
        .arg("publish")
        .arg(&source)
        .args(["--fqrn", "t.example.org", "--out"])
        .arg(&served)
        .arg("--keys-dir")
        .arg(served.join("keys"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "private keys must never be served",
        ));
}

#[test]
fn info_totals_add_the_nested_catalogs_to_the_roots_own_counters() {
    // The fixture: 331 regular files in the root catalog, 6 in nested ones (337 in all,
    // as the upstream client's recording lists).
    repo(&["info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("total regular      337"));
}

/// `repo verify` over HTTP through Squid, against `.ci/web`'s nginx (the fixture is copied
/// into its web root). Skips without it, fails without it in CI (CVMFS_REQUIRE_WEB=1).
#[test]
fn verify_over_http_through_squid() {
    // Its own directory, so it never races the library's web test over the same one.
    let Some((url, proxy)) = served_fixture("cli-copy") else {
        return;
    };
    Command::cargo_bin("cvmfs-cli")
        .unwrap()
        .args([
            "repo",
            "verify",
            "--objects",
            "--fqrn",
            "fixture.example.org",
        ])
        .args(["--server-url", &format!("{url}/cvmfs/cli-copy/@fqrn@")])
        .args(["--http-proxy", &format!("{proxy};DIRECT")])
        .args(["--key", &testdata("keys/fixture.example.org.pub")])
        .args(["--now", NOW])
        .assert()
        .success()
        .stdout(predicate::str::contains("337 files read"));
}

/// Without --source and --server-url, the client configuration says where and through
/// what (servers, proxies, keys), as the client's own files do.
#[test]
fn the_client_configuration_says_where_to_read() {
    let Some((url, proxy)) = served_fixture("config-copy") else {
        return;
    };
    let etc = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(etc.path().join("default.d")).unwrap();
    std::fs::write(
        etc.path().join("default.d/50-test.conf"),
        format!(
            "CVMFS_SERVER_URL=\"{url}/cvmfs/config-copy/@fqrn@\"\nCVMFS_HTTP_PROXY=\"{proxy};DIRECT\"\nCVMFS_KEYS_DIR={}\n",
            testdata("keys")
        ),
    )
    .unwrap();
    Command::cargo_bin("cvmfs-cli")
        .unwrap()
        .args([
            "repo",
            "verify",
            "--objects",
            "--fqrn",
            "fixture.example.org",
            "--now",
            NOW,
        ])
        .arg("--config-dir")
        .arg(etc.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("337 files read"));
}

fn cli() -> Command {
    Command::cargo_bin("cvmfs-cli").unwrap()
}

/// The cache through the command line: a verify over HTTP fills it, `cache info` shows
/// it, a run with every server down reads offline from it, `cache evict` and
/// `wipecache` empty it, and then the offline run fails naming the server.
#[test]
fn the_cache_fills_serves_offline_and_is_evicted_and_wiped() {
    let Some((url, _proxy)) = served_fixture("cache-copy") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let cache = cache.to_str().unwrap();
    let key = testdata("keys/fixture.example.org.pub");
    let read = |server: &str, args: &[&str]| {
        let mut cmd = cli();
        cmd.arg("repo")
            .args(args)
            .args(["--fqrn", "fixture.example.org", "--server-url", server])
            .args(["--key", &key, "--now", NOW, "--cache-dir", cache]);
        cmd
    };
    let served = format!("{url}/cvmfs/cache-copy/@fqrn@");
    // Two processes fill one cache at once.
    let mut other = read(&served, &["verify", "--objects"]);
    let other = std::thread::spawn(move || other.assert().success());
    read(&served, &["verify", "--objects"])
        .assert()
        .success()
        .stdout(predicate::str::contains("337 files read"));
    other.join().unwrap();
    let output = cli()
        .args(["cache", "info", "--json", "--cache-dir", cache])
        .output()
        .unwrap();
    assert!(output.status.success());
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(info["objects"].as_u64().unwrap() > 300, "{info}");
    assert_eq!(info["repositories"][0]["fqrn"], "fixture.example.org");
    assert!(info["used_bytes"].as_u64().unwrap() > 0);
    assert_eq!(info["transactions"], 0, "no download left half-done");
    // The usage both processes counted is what the files hold.
    let counted: u64 = std::fs::read_to_string(work.path().join("cache/lock"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(Some(counted), info["used_bytes"].as_u64());

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}/cvmfs/@fqrn@", listener.local_addr().unwrap());
    drop(listener);
    read(&down, &["cat", "README.txt"])
        .assert()
        .success()
        .stdout(predicate::function(|out: &[u8]| out.len() == 117))
        .stderr(predicate::str::contains("offline"));
    read(&down, &["info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("OFFLINE from the cache"));

    cli()
        .args(["cache", "evict", "--to-mb", "0", "--cache-dir", cache])
        .assert()
        .success()
        .stdout(predicate::str::contains("objects removed"));
    cli()
        .args(["wipecache", "--cache-dir", cache])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("wiped")
                .and(predicate::str::contains("the remembered revisions stay")),
        );
    // The revision is remembered, its catalogs are gone: the servers' error, named.
    read(&down, &["cat", "README.txt"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            down.replace("@fqrn@", "fixture.example.org"),
        ));
}

#[test]
fn cache_commands_on_a_missing_directory_create_nothing() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("missing");
    cli()
        .args(["cache", "info", "--cache-dir"])
        .arg(&missing)
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing cached yet"));
    cli()
        .args(["cache", "wipe", "--cache-dir"])
        .arg(&missing)
        .assert()
        .success();
    assert!(!missing.exists());
}
