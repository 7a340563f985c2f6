//! The native backend against real components: the fixture served by `.ci/web`'s nginx
//! and read through its Squid, or an nginx of the test's own where the test stops and
//! restarts the web server. Mounted by the engine exactly as users mount.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use cvmfs_core::Backend;
use cvmfs_core::repository::hash::HashAlgorithm;
use cvmfs_mount::repository::publish::{PublishOptions, publish};
use cvmfs_mount::{Engine, Health, Outcome, Status};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::TestResult;
use crate::sandbox::{Sandbox, is_dead, wait_until};

const FIXTURE: &str = "fixture.example.org";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs")
}

/// `.ci/web`'s web root, nginx URL and Squid URL; `None` (a skip) without them outside
/// CI, a failure with `CVMFS_REQUIRE_WEB=1`.
fn web() -> Option<(PathBuf, String, String)> {
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
    Some((PathBuf::from(root), url, proxy))
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

/// A directory of the web root only this test uses: `cvmfs/<unique>/`.
fn web_dir(root: &Path, sandbox: &Sandbox) -> (PathBuf, String) {
    let unique = sandbox
        .path("")
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let dir = root.join("cvmfs").join(&unique);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, unique)
}

/// Writes the client configuration the engine's native servers read.
fn configure(sandbox: &Sandbox, lines: &str) {
    let dir = sandbox.path("etc-cvmfs/default.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("50-test.conf"), lines).unwrap();
}

fn mount(sandbox: &Sandbox, selection: &str) -> (cvmfs_core::MountPlan, Engine) {
    let plan = sandbox.plan(selection, Backend::Native, "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    (plan, engine)
}

fn xattr(path: &Path, name: &str) -> Option<String> {
    xattr::get(path, name)
        .ok()
        .flatten()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
}

fn sha1_of(path: &Path) -> String {
    use sha1::Digest;
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = sha1::Sha1::new();
    let mut buffer = vec![0u8; 65536];
    loop {
        let n = file.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    hex::encode(hasher.finalize())
}

/// Compares every path of the mount with what the upstream client showed.
fn compare_with_the_client(root: &Path, claimed: bool) {
    let rows: Vec<serde_json::Value> =
        std::fs::read_to_string(testdata().join("fixture.example.org.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let mut groups: HashMap<u64, u64> = HashMap::new();
    let (euid, egid) = (
        nix::unistd::geteuid().as_raw(),
        nix::unistd::getegid().as_raw(),
    );
    for row in &rows {
        let path = row["path"].as_str().unwrap();
        let at = if path == "." {
            root.to_owned()
        } else {
            root.join(path)
        };
        let meta = std::fs::symlink_metadata(&at).unwrap_or_else(|e| panic!("{path}: {e}"));
        let st_mode = u32::from_str_radix(row["st_mode"].as_str().unwrap(), 8).unwrap();
        assert_eq!(meta.mode(), st_mode, "{path}: mode");
        assert_eq!(meta.size(), row["size"].as_u64().unwrap(), "{path}: size");
        assert_eq!(
            meta.nlink(),
            row["nlink"].as_u64().unwrap(),
            "{path}: nlink"
        );
        assert_eq!(
            meta.mtime(),
            row["mtime"].as_i64().unwrap(),
            "{path}: mtime"
        );
        let (uid, gid) = if claimed {
            (euid, egid)
        } else {
            (
                u32::try_from(row["uid_raw"].as_u64().unwrap()).unwrap(),
                u32::try_from(row["gid_raw"].as_u64().unwrap()).unwrap(),
            )
        };
        assert_eq!((meta.uid(), meta.gid()), (uid, gid), "{path}: owner");
        if let Some(target) = row["target"].as_str() {
            assert_eq!(
                std::fs::read_link(&at).unwrap().to_str(),
                Some(target),
                "{path}"
            );
        }
        if let Some(sha1) = row["sha1"].as_str() {
            assert_eq!(sha1_of(&at), sha1, "{path}: content");
        }
        for (name, value) in row["xattrs"].as_object().unwrap() {
            assert_eq!(
                xattr(&at, name).as_deref(),
                value.as_str(),
                "{path}: {name}"
            );
        }
        if let Some(hash) = row["cvmfs"]["hash"].as_str() {
            assert_eq!(
                xattr(&at, "user.hash").as_deref(),
                Some(hash),
                "{path}: user.hash"
            );
        }
        if let Some(chunks) = row["cvmfs"]["chunks"].as_str() {
            assert_eq!(xattr(&at, "user.chunks").as_deref(), Some(chunks), "{path}");
        }
        if let Some(group) = row["inode_group"].as_u64() {
            // Hard links share one inode, and only they do.
            let ino = *groups.entry(group).or_insert(meta.ino());
            assert_eq!(meta.ino(), ino, "{path}: hard link inode");
        }
    }
    // Every path the mount shows is one the client showed.
    let mut seen = 0;
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            seen += 1;
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    assert_eq!(seen + 1, rows.len(), "paths shown");
}

pub fn native_mount_shows_the_fixture_as_the_client_did() -> TestResult {
    let Some((root, url, proxy)) = web() else {
        return Ok(());
    };
    let sandbox = Sandbox::new();
    let (dir, unique) = web_dir(&root, &sandbox);
    copy_tree(&testdata().join(FIXTURE), &dir.join(FIXTURE));
    let base = format!(
        "CVMFS_SERVER_URL='{url}/cvmfs/{unique}/@fqrn@'\nCVMFS_HTTP_PROXY='{proxy};DIRECT'\n\
         CVMFS_KEYS_DIR={}\nCVMFS_CACHE_BASE={}\n",
        testdata().join("keys").display(),
        sandbox.path("cache").display()
    );
    configure(&sandbox, &base);
    let (plan, engine) = mount(&sandbox, FIXTURE);
    let target = sandbox.path(&format!("cvmfs/{FIXTURE}"));
    let seen = sandbox.seen(&target).unwrap();
    assert_eq!(
        (seen.fs_type.as_str(), seen.source.as_str()),
        ("fuse", "cvmfs2")
    );
    assert!(seen.read_only);
    let options = std::fs::read_to_string("/proc/thread-self/mountinfo")?;
    let line = options
        .lines()
        .find(|l| l.contains(&format!(" {} ", target.display())))
        .unwrap();
    for option in ["nosuid", "nodev", "allow_other", "default_permissions"] {
        assert!(line.contains(option), "{option} missing: {line}");
    }
    compare_with_the_client(&target, true);
    assert_eq!(xattr(&target, "user.revision").as_deref(), Some("4"));
    assert_eq!(
        xattr(&target, "user.version").as_deref(),
        Some(cvmfs_mount::native::NATIVE_VERSION)
    );
    assert_eq!(
        xattr(&target, "user.proxy").as_deref(),
        Some(proxy.as_str())
    );
    assert!(xattr(&target, "user.host").unwrap().starts_with(&url));
    assert_eq!(xattr(&target, "user.nioerr").as_deref(), Some("0"));
    assert!(
        xattr(&target, "user.pubkeys")
            .unwrap()
            .contains("BEGIN PUBLIC KEY")
    );
    assert!(xattr(&target, "user.repo_metainfo").is_some());
    // (`user.*` attributes of symlinks never reach a FUSE server: the kernel answers
    // for them, so `user.rawlink` is not readable through the mount.)
    // The client's check sees a healthy client mount.
    let probes = engine.probe(&plan)?;
    assert!(probes[0].health.is_healthy(), "{probes:?}");
    let stat = nix::sys::statvfs::statvfs(&target)?;
    assert!(stat.blocks() > 0, "statfs reports the cache quota");
    engine.unmount(&plan);
    // The catalogs' own ids with CVMFS_CLAIM_OWNERSHIP=no.
    configure(&sandbox, &format!("{base}CVMFS_CLAIM_OWNERSHIP=no\n"));
    let (plan, engine) = mount(&sandbox, FIXTURE);
    compare_with_the_client(&target, false);
    engine.unmount(&plan);
    // A revision the blacklist refuses is not mounted.
    std::fs::write(
        sandbox.path("etc-cvmfs/blacklist"),
        format!("<{FIXTURE} 5\n"),
    )?;
    let plan = sandbox.plan(FIXTURE, Backend::Native, "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Failed, "{report:#?}");
    let error = format!("{:?}", report.entries[0].error);
    assert!(error.contains("blacklist"), "{error}");
    Ok(())
}

fn server_pid(target: &Path) -> i32 {
    xattr(target, "user.pid").unwrap().parse().unwrap()
}

pub fn native_killed_and_hung_servers_are_repaired() -> TestResult {
    let Some((root, url, _)) = web() else {
        return Ok(());
    };
    let sandbox = Sandbox::new();
    let (dir, unique) = web_dir(&root, &sandbox);
    copy_tree(&testdata().join(FIXTURE), &dir.join(FIXTURE));
    configure(
        &sandbox,
        &format!(
            "CVMFS_SERVER_URL={url}/cvmfs/{unique}/@fqrn@\nCVMFS_HTTP_PROXY=DIRECT\n\
             CVMFS_KEYS_DIR={}\nCVMFS_CACHE_BASE={}\n",
            testdata().join("keys").display(),
            sandbox.path("cache").display()
        ),
    );
    let (plan, engine) = mount(&sandbox, FIXTURE);
    let target = sandbox.path(&format!("cvmfs/{FIXTURE}"));
    let old = server_pid(&target);
    kill(Pid::from_raw(old), Signal::SIGKILL)?;
    wait_until(
        "the killed server's mount is dead",
        Duration::from_secs(5),
        || is_dead(&target),
    );
    let probes = engine.probe(&plan)?;
    assert!(
        matches!(probes[0].health, Health::Dead { .. }),
        "{probes:?}"
    );
    let report = engine.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:#?}");
    assert_ne!(server_pid(&target), old);
    assert_eq!(std::fs::read(target.join("README.txt"))?.len(), 117);
    // A hang: the probe returns at its timeout, and repair replaces the server.
    kill(Pid::from_raw(server_pid(&target)), Signal::SIGUSR1)?;
    wait_until("the server hangs", Duration::from_secs(5), || {
        cvmfs_mount::probe::probe_one(
            engine.ops(),
            &target,
            cvmfs_mount::probe::Expectation::Mountpoint,
            Duration::from_millis(100),
        )
        .is_ok_and(|r| matches!(r.health, Health::Hung { .. }))
    });
    let probes = engine.probe(&plan)?;
    assert!(
        matches!(probes[0].health, Health::Hung { .. }),
        "{probes:?}"
    );
    let report = engine.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:#?}");
    assert_eq!(std::fs::read(target.join("README.txt"))?.len(), 117);
    engine.unmount(&plan);
    Ok(())
}

fn publish_revision(source: &Path, served: &Path, keys: &Path, fqrn: &str) {
    publish(
        source,
        served,
        &PublishOptions {
            fqrn: fqrn.to_owned(),
            keys_dir: keys.to_owned(),
            algorithm: HashAlgorithm::Sha1,
            chunk_threshold: 1 << 30,
            chunk_size: 1 << 20,
            whitelist_days: 30,
            tag: None,
            now_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            // A short TTL, so the test sees the refresh in seconds.
            ttl: 1,
        },
    )
    .unwrap();
}

pub fn native_new_revision_appears_without_remount_and_open_files_keep_theirs() -> TestResult {
    let Some((root, url, _)) = web() else {
        return Ok(());
    };
    let sandbox = Sandbox::new();
    let (dir, unique) = web_dir(&root, &sandbox);
    let fqrn = "live.example.org";
    let source = sandbox.path("source");
    std::fs::create_dir_all(&source)?;
    std::fs::write(source.join("v.txt"), b"revision one")?;
    let keys = sandbox.path("keys");
    publish_revision(&source, &dir.join(fqrn), &keys, fqrn);
    // Direct to nginx: through Squid the new manifest shows only after its 61 s max-age
    // (the client behaves the same; the fixture test reads through Squid).
    configure(
        &sandbox,
        &format!(
            "CVMFS_SERVER_URL={url}/cvmfs/{unique}/@fqrn@\nCVMFS_HTTP_PROXY=DIRECT\n\
             CVMFS_KEYS_DIR={}\nCVMFS_CACHE_BASE={}\n",
            keys.display(),
            sandbox.path("cache").display()
        ),
    );
    let (plan, engine) = mount(&sandbox, fqrn);
    let target = sandbox.path(&format!("cvmfs/{fqrn}"));
    let mut open = std::fs::File::open(target.join("v.txt"))?;
    let old_inode = std::fs::metadata(target.join("v.txt"))?.ino();
    std::fs::write(source.join("v.txt"), b"revision two, longer")?;
    std::fs::write(source.join("new.txt"), b"added")?;
    // A new second: Squid revalidates its copy of the manifest with If-Modified-Since,
    // and nginx compares whole seconds, so a manifest rewritten within the same second
    // would stay "not modified" there.
    std::thread::sleep(Duration::from_millis(1100));
    publish_revision(&source, &dir.join(fqrn), &keys, fqrn);
    // The TTL is 1 s; the kernel's caches follow it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while xattr(&target, "user.revision").as_deref() != Some("2") {
        assert!(
            std::time::Instant::now() < deadline,
            "revision 2 is not mounted after 30 s; the client says: {:?}",
            xattr(&target, "user.logbuffer")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_until("the new content shows", Duration::from_secs(10), || {
        std::fs::read(target.join("v.txt")).is_ok_and(|b| b == b"revision two, longer")
    });
    assert_eq!(std::fs::read(target.join("new.txt"))?, b"added");
    assert_ne!(std::fs::metadata(target.join("v.txt"))?.ino(), old_inode);
    let mut old = String::new();
    open.read_to_string(&mut old)?;
    assert_eq!(old, "revision one", "an open file keeps its revision");
    engine.unmount(&plan);
    Ok(())
}

/// An nginx of the test's own, which it stops and starts.
struct OwnNginx {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl OwnNginx {
    fn start(dir: &Path, root: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nginx = Self {
            dir: dir.to_owned(),
            port,
            child: None,
        };
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "daemon off; pid {d}/nginx.pid; error_log {d}/error.log; worker_processes 1;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{ access_log off; client_body_temp_path {d}/b; proxy_temp_path {d}/p;\n\
                 fastcgi_temp_path {d}/f; uwsgi_temp_path {d}/u; scgi_temp_path {d}/s;\n\
                 server {{ listen 127.0.0.1:{port}; root {r}; }} }}\n",
                d = dir.display(),
                r = root.display()
            ),
        )
        .unwrap();
        nginx.resume();
        nginx
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn resume(&mut self) {
        let child = Command::new("nginx")
            .arg("-c")
            .arg(self.dir.join("nginx.conf"))
            .args(["-g", "user root;"])
            .spawn()
            .expect("nginx");
        self.child = Some(child);
        let address = format!("127.0.0.1:{}", self.port);
        wait_until("nginx listens", Duration::from_secs(10), || {
            std::net::TcpStream::connect(&address).is_ok()
        });
    }

    /// Stops the master with SIGTERM (it stops its workers); true once the port is
    /// closed.
    fn halt(&mut self) -> bool {
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            let _ = child.wait();
        }
        let address = format!("127.0.0.1:{}", self.port);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(&address).is_ok() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    fn stop(&mut self) {
        assert!(self.halt(), "nginx did not stop within 10 s");
    }
}

impl Drop for OwnNginx {
    fn drop(&mut self) {
        // Never a panic while unwinding.
        let _ = self.halt();
    }
}

pub fn native_outage_cached_files_read_uncached_fail_then_recover_and_offline_mount() -> TestResult
{
    if web().is_none() {
        return Ok(());
    }
    let sandbox = Sandbox::new();
    let www = sandbox.path("www");
    copy_tree(&testdata().join(FIXTURE), &www.join("cvmfs").join(FIXTURE));
    let mut nginx = OwnNginx::start(&sandbox.path("nginx"), &www);
    configure(
        &sandbox,
        &format!(
            "CVMFS_SERVER_URL={}/cvmfs/@fqrn@\nCVMFS_HTTP_PROXY=DIRECT\nCVMFS_TIMEOUT_DIRECT=2\n\
             CVMFS_MAX_RETRIES=0\nCVMFS_KEYS_DIR={}\nCVMFS_CACHE_BASE={}\n",
            nginx.url(),
            testdata().join("keys").display(),
            sandbox.path("cache").display()
        ),
    );
    let (plan, engine) = mount(&sandbox, FIXTURE);
    let target = sandbox.path(&format!("cvmfs/{FIXTURE}"));
    assert_eq!(std::fs::read(target.join("README.txt"))?.len(), 117);
    nginx.stop();
    assert_eq!(
        std::fs::read(target.join("README.txt"))?.len(),
        117,
        "cached"
    );
    // A file of a directory nothing was read from (the readahead after README.txt's
    // download fetched its neighbours).
    let err = std::fs::read(target.join("chunked/random-200k.bin")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(nix::libc::EIO), "{err}");
    // Every failed request counts (the kernel may have asked for more than one chunk).
    let errors: u64 = xattr(&target, "user.nioerr").unwrap().parse()?;
    assert!(errors >= 1, "{errors}");
    // The rest of the repository keeps working.
    assert!(std::fs::read_dir(target.join("bin"))?.count() > 0);
    nginx.resume();
    assert_eq!(
        std::fs::read(target.join("chunked/random-200k.bin"))?.len(),
        204_800,
        "no remount"
    );
    engine.unmount(&plan);
    // A warm cache and every server down at mount time: offline, and the report says so.
    nginx.stop();
    let plan = sandbox.plan(FIXTURE, Backend::Native, "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let notes = format!("{:?}", report.entries[0].warnings);
    assert!(notes.contains("offline"), "{notes}");
    assert_eq!(std::fs::read(target.join("README.txt"))?.len(), 117);
    engine.unmount(&plan);
    Ok(())
}

pub fn native_corrupted_object_is_eio_for_that_file_only() -> TestResult {
    let Some((root, url, _)) = web() else {
        return Ok(());
    };
    let sandbox = Sandbox::new();
    let (dir, unique) = web_dir(&root, &sandbox);
    let served = dir.join(FIXTURE);
    copy_tree(&testdata().join(FIXTURE), &served);
    // README.txt's object, one byte flipped on the server.
    let object = served.join("data/43/0b511b0bd7c44cfee18a2cc0b4af906a5ff815");
    let mut bytes = std::fs::read(&object)?;
    bytes[5] ^= 1;
    std::fs::write(&object, bytes)?;
    configure(
        &sandbox,
        &format!(
            "CVMFS_SERVER_URL={url}/cvmfs/{unique}/@fqrn@\nCVMFS_HTTP_PROXY=DIRECT\n\
             CVMFS_KEYS_DIR={}\nCVMFS_CACHE_BASE={}\n",
            testdata().join("keys").display(),
            sandbox.path("cache").display()
        ),
    );
    let (plan, engine) = mount(&sandbox, FIXTURE);
    let target = sandbox.path(&format!("cvmfs/{FIXTURE}"));
    let err = std::fs::read(target.join("README.txt")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(nix::libc::EIO), "{err}");
    assert_eq!(std::fs::read(target.join("added-in-rev3.txt"))?.len(), 27);
    assert_eq!(xattr(&target, "user.nioerr").as_deref(), Some("1"));
    engine.unmount(&plan);
    Ok(())
}

pub fn native_two_repositories_share_a_cache_that_fills_up() -> TestResult {
    let Some((root, url, proxy)) = web() else {
        return Ok(());
    };
    let sandbox = Sandbox::new();
    let (dir, unique) = web_dir(&root, &sandbox);
    let keys = sandbox.path("keys");
    let names = ["one.example.org", "two.example.org"];
    for name in names {
        let source = sandbox.path(&format!("source-{name}"));
        std::fs::create_dir_all(&source)?;
        for i in 0..20 {
            let bytes: Vec<u8> = (0..100_000).map(|_| rand::random::<u8>()).collect();
            std::fs::write(source.join(format!("f{i:02}")), bytes)?;
        }
        publish_revision(&source, &dir.join(name), &keys, name);
    }
    // 2 MB for 4 MB of files.
    configure(
        &sandbox,
        &format!(
            "CVMFS_SERVER_URL={url}/cvmfs/{unique}/@fqrn@\nCVMFS_HTTP_PROXY='{proxy};DIRECT'\n\
             CVMFS_KEYS_DIR={}\nCVMFS_CACHE_BASE={}\nCVMFS_QUOTA_LIMIT=2\n",
            keys.display(),
            sandbox.path("cache").display()
        ),
    );
    let (plan, engine) = mount(&sandbox, &names.join(" "));
    // Reading one file of a cold directory fetches the files after it in the background.
    let one = sandbox.path(&format!("cvmfs/{}", names[0]));
    assert_eq!(std::fs::read(one.join("f00"))?.len(), 100_000);
    wait_until(
        "the readahead fetched the neighbours",
        Duration::from_secs(20),
        || {
            xattr(&one, "user.ndownload")
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n >= 10)
        },
    );
    for round in 0..2 {
        for name in names {
            for i in 0..20 {
                let path = sandbox.path(&format!("cvmfs/{name}/f{i:02}"));
                assert_eq!(
                    std::fs::read(&path)?.len(),
                    100_000,
                    "round {round}: {name}"
                );
            }
        }
    }
    let cache = cvmfs_mount::repository::cache::Cache::with_quota(
        sandbox.path("cache/shared"),
        Some(2 * 1024 * 1024),
    );
    let info = cache.info()?;
    assert!(info.used_bytes <= 2 * 1024 * 1024, "{info:?}");
    assert_eq!(info.repositories.len(), 2, "one cache for both");
    for name in names {
        let target = sandbox.path(&format!("cvmfs/{name}"));
        assert_eq!(xattr(&target, "user.nioerr").as_deref(), Some("0"));
    }
    engine.unmount(&plan);
    Ok(())
}
