//! The reader over HTTP, with the client's fail-over, against a small in-process fault
//! server (what real servers will not do on demand): a dead server, a failing proxy, a
//! cache holding a damaged copy, a stall, everything down.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cvmfs_core::config::Proxy;
use cvmfs_core::repository::trust::{Blacklist, TrustAnchors};
use cvmfs_mount::repository::ObjectSource;
use cvmfs_mount::repository::cache::Cache;
use cvmfs_mount::repository::fetcher::Fetcher;
use cvmfs_mount::repository::http_source::{HttpSettings, HttpSource};
use cvmfs_mount::repository::walk::verify;
use cvmfs_mount::repository::{OpenOptions, Repository, RepositoryError, RootChoice};

const FQRN: &str = "fixture.example.org";
const NOW: u64 = 1_796_083_200;

/// What the fault server does with each request.
#[derive(Clone)]
enum Mode {
    /// Serve files below the directory (`/cvmfs/<fqrn>/...` maps to `<dir>/<fqrn>/...`).
    Serve(PathBuf),
    /// Answer every request with this status (and `X-Squid-Error` when `squid`).
    Status { code: u16, squid: bool },
    /// Serve, but flip a byte of `data/` objects unless the request says `no-cache`.
    CorruptCached(PathBuf),
    /// Serve, flipping a byte of `data/` objects always.
    Corrupt(PathBuf),
    /// Wait this long before answering anything.
    Stall(Duration),
    /// Serve, but send bodies one byte every 200 ms.
    Drip(PathBuf),
    /// Serve, but close after half of each `data/` body.
    Truncate(PathBuf),
    /// Serve, with a manifest from somewhere else (garbage signed by nobody).
    WrongManifest(PathBuf),
    /// Serve the signed files but answer 404 for objects (a replica still catching up).
    Lagging(PathBuf),
}

struct FaultServer {
    url: String,
    requests: Arc<AtomicUsize>,
}

fn start(mode: Mode) -> FaultServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mode = mode.clone();
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || serve(stream, &mode, &counter));
        }
    });
    FaultServer { url, requests }
}

fn serve(stream: TcpStream, mode: &Mode, counter: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut no_cache = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        no_cache |= header.to_ascii_lowercase().starts_with("pragma: no-cache");
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    // A proxy gets the absolute URL.
    let path = target
        .strip_prefix("http://")
        .map_or(target, |rest| rest.find('/').map_or("/", |i| &rest[i..]));
    let respond = |stream: &mut TcpStream, code: u16, extra: &str, body: &[u8]| {
        let _ = write!(
            stream,
            "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
            body.len()
        );
        let _ = stream.write_all(body);
    };
    let file = |dir: &Path| {
        let relative = path.trim_start_matches("/cvmfs/");
        std::fs::read(dir.join(relative)).ok()
    };
    match mode {
        Mode::Stall(delay) => {
            std::thread::sleep(*delay);
            respond(&mut stream, 500, "", b"");
        }
        Mode::Status { code, squid } => {
            let extra = if *squid {
                "X-Squid-Error: ERR_CONNECT_FAIL 111\r\n"
            } else {
                ""
            };
            respond(&mut stream, *code, extra, b"error");
        }
        Mode::Drip(dir) => match file(dir) {
            None => respond(&mut stream, 404, "", b"not found"),
            Some(body) => {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                for byte in body {
                    if stream.write_all(&[byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        },
        Mode::Truncate(dir) => match file(dir) {
            None => respond(&mut stream, 404, "", b"not found"),
            Some(body) if path.contains("/data/") => {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body[..body.len() / 2]);
            }
            Some(body) => respond(&mut stream, 200, "", &body),
        },
        Mode::Lagging(dir) => match file(dir) {
            Some(body) if !path.contains("/data/") => respond(&mut stream, 200, "", &body),
            _ => respond(&mut stream, 404, "", b"not found"),
        },
        Mode::WrongManifest(dir) => {
            if path.ends_with(".cvmfspublished") {
                respond(&mut stream, 200, "", b"Cdeadbeef\nNother.example.org\n--\n");
            } else {
                match file(dir) {
                    None => respond(&mut stream, 404, "", b"not found"),
                    Some(body) => respond(&mut stream, 200, "", &body),
                }
            }
        }
        Mode::Serve(dir) | Mode::CorruptCached(dir) | Mode::Corrupt(dir) => match file(dir) {
            None => respond(&mut stream, 404, "", b"not found"),
            Some(mut body) => {
                let corrupt = match mode {
                    Mode::CorruptCached(_) => !no_cache,
                    Mode::Corrupt(_) => true,
                    _ => false,
                };
                if corrupt && path.contains("/data/") && !body.is_empty() {
                    body[0] ^= 1;
                }
                respond(&mut stream, 200, "", &body);
            }
        },
    }
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs")
}

fn settings(servers: Vec<String>, proxies: Vec<Vec<Proxy>>) -> HttpSettings {
    HttpSettings {
        proxies,
        timeout: Duration::from_millis(500),
        timeout_direct: Duration::from_millis(500),
        max_retries: 1,
        backoff_init: Duration::from_millis(50),
        backoff_max: Duration::from_millis(100),
        ..HttpSettings::direct(servers)
    }
}

fn open(source: HttpSource) -> Result<Repository, RepositoryError> {
    let key = std::fs::read_to_string(testdata().join("keys/fixture.example.org.pub")).unwrap();
    let anchors = TrustAnchors::from_pem([("fixture.pub", key.as_str())]).unwrap();
    let blacklist = Blacklist::default();
    Repository::open(Arc::new(source), &options(&anchors, &blacklist))
}

fn options<'a>(anchors: &'a TrustAnchors, blacklist: &'a Blacklist) -> OpenOptions<'a> {
    OpenOptions {
        fqrn: FQRN,
        anchors,
        now_unix: NOW,
        accepted: None,
        blacklist,
        root: RootChoice::Head,
        scratch_dir: None,
    }
}

/// Opens through `source` into `cache`.
fn open_cached(source: HttpSource, cache: &Cache) -> Result<Repository, RepositoryError> {
    let key = std::fs::read_to_string(testdata().join("keys/fixture.example.org.pub")).unwrap();
    let anchors = TrustAnchors::from_pem([("fixture.pub", key.as_str())]).unwrap();
    let blacklist = Blacklist::default();
    let fetcher = Fetcher::new(Arc::new(source), cache.clone(), 4);
    Repository::open_with(Arc::new(fetcher), &options(&anchors, &blacklist))
}

/// A URL nothing listens on.
fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn proxy_at(url: &str) -> Proxy {
    let (host, port) = url.trim_start_matches("http://").split_once(':').unwrap();
    Proxy::Http {
        host: host.to_owned(),
        port: port.parse().ok(),
    }
}

fn repo_url(server: &FaultServer) -> String {
    format!("{}/cvmfs/{FQRN}", server.url)
}

fn direct() -> Vec<Vec<Proxy>> {
    vec![vec![Proxy::Direct]]
}

#[test]
fn the_fixture_verifies_over_http() {
    let server = start(Mode::Serve(testdata()));
    let repo = open(HttpSource::new(settings(vec![repo_url(&server)], direct()))).unwrap();
    let report = verify(&repo, true).unwrap();
    assert_eq!((report.entries, report.files_read), (369, 337));
}

#[test]
fn a_dead_server_fails_over_to_the_next() {
    let dead = start(Mode::Status {
        code: 503,
        squid: false,
    });
    let good = start(Mode::Serve(testdata()));
    let source = HttpSource::new(settings(vec![repo_url(&dead), repo_url(&good)], direct()));
    let repo = open(source).unwrap();
    assert!(
        repo.describe_source().starts_with(&good.url),
        "{}",
        repo.describe_source()
    );
    assert_eq!(repo.read("README.txt").unwrap().len(), 117);
    // Stays on the good server: the dead one was asked once, for the manifest.
    assert_eq!(dead.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn a_failing_proxy_group_fails_over_to_the_next_then_direct() {
    let proxy = start(Mode::Status {
        code: 503,
        squid: true,
    });
    let good = start(Mode::Serve(testdata()));
    let address = proxy.url.trim_start_matches("http://");
    let (host, port) = address.split_once(':').unwrap();
    let groups = vec![
        vec![Proxy::Http {
            host: host.to_owned(),
            port: port.parse().ok(),
        }],
        vec![Proxy::Direct],
    ];
    let repo = open(HttpSource::new(settings(vec![repo_url(&good)], groups))).unwrap();
    assert!(
        repo.describe_source().ends_with("via DIRECT"),
        "{}",
        repo.describe_source()
    );
    assert!(proxy.requests.load(Ordering::SeqCst) >= 1);
    assert_eq!(repo.read("README.txt").unwrap().len(), 117);
}

#[test]
fn a_damaged_cached_copy_is_fetched_again_without_cache_and_a_damaged_origin_is_refused() {
    let cached = start(Mode::CorruptCached(testdata()));
    let repo = open(HttpSource::new(settings(vec![repo_url(&cached)], direct()))).unwrap();
    assert_eq!(repo.read("README.txt").unwrap().len(), 117);
    let corrupt = start(Mode::Corrupt(testdata()));
    let err = open(HttpSource::new(settings(
        vec![repo_url(&corrupt)],
        direct(),
    )))
    .unwrap_err();
    assert!(matches!(err, RepositoryError::HashMismatch { .. }), "{err}");
}

#[test]
fn a_stalled_server_times_out_within_the_bound_and_everything_down_is_named() {
    let stall = start(Mode::Stall(Duration::from_secs(30)));
    let down = start(Mode::Status {
        code: 500,
        squid: false,
    });
    let started = Instant::now();
    let err = open(HttpSource::new(settings(
        vec![repo_url(&stall), repo_url(&down)],
        direct(),
    )))
    .unwrap_err();
    // Two tries of the stalled server (timeout 0.5 s, one retry), then the other: far
    // below the 30 s stall.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let message = err.to_string();
    assert!(
        message.contains("every server and proxy failed"),
        "{message}"
    );
    assert!(
        message.contains(&stall.url) && message.contains(&down.url),
        "{message}"
    );
    assert!(message.contains("HTTP 500"), "{message}");
}

#[test]
fn a_corrupted_object_is_fetched_past_caches_then_from_the_next_server_and_never_cached() {
    let corrupt = start(Mode::Corrupt(testdata()));
    let good = start(Mode::Serve(testdata()));
    let work = tempfile::tempdir().unwrap();
    let cache = Cache::new(work.path());
    let source = HttpSource::new(settings(
        vec![repo_url(&corrupt), repo_url(&good)],
        direct(),
    ));
    let repo = open_cached(source, &cache).unwrap();
    let before = corrupt.requests.load(Ordering::SeqCst);
    let entry = repo.stat("README.txt").unwrap();
    assert_eq!(repo.read_entry(&entry).unwrap().len(), 117);
    // The good server is current after the certificate moved there; nothing more went
    // to the corrupt one.
    assert_eq!(corrupt.requests.load(Ordering::SeqCst), before);
    // The manifest came from the corrupt server, the certificate twice (once past
    // caches) before moving on.
    assert_eq!(before, 4, "manifest, whitelist, certificate twice");
    let content = entry.content.unwrap();
    let kept = std::fs::read(cache.object_path(&content.hash.unwrap(), content.compression));
    assert_eq!(kept.unwrap().len(), 117, "only verified bytes are kept");
}

#[test]
fn a_slow_drip_is_cut_by_the_low_speed_limit_and_the_next_server_serves() {
    let drip = start(Mode::Drip(testdata()));
    let good = start(Mode::Serve(testdata()));
    let mut slow = settings(vec![repo_url(&drip), repo_url(&good)], direct());
    slow.max_retries = 0;
    let started = Instant::now();
    let repo = open(HttpSource::new(slow)).unwrap();
    assert!(repo.describe_source().starts_with(&good.url));
    // One window of the 0.5 s timeout (at least 1 s) per try, not the minutes a
    // 5-byte-per-second manifest would take.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn truncated_bodies_are_retried_and_429_moves_to_the_next_server() {
    let truncate = start(Mode::Truncate(testdata()));
    let busy = start(Mode::Status {
        code: 429,
        squid: false,
    });
    let good = start(Mode::Serve(testdata()));
    let source = HttpSource::new(settings(
        vec![repo_url(&truncate), repo_url(&busy), repo_url(&good)],
        direct(),
    ));
    let repo = open(source).unwrap();
    assert_eq!(repo.read("README.txt").unwrap().len(), 117);
    // The certificate was truncated twice (one retry), 429 once, then the good server.
    assert_eq!(truncate.requests.load(Ordering::SeqCst), 2 + 2);
    assert_eq!(busy.requests.load(Ordering::SeqCst), 1);
    assert!(repo.describe_source().starts_with(&good.url));
}

#[test]
fn a_wrong_manifest_is_refused_even_with_a_warm_cache() {
    let good = start(Mode::Serve(testdata()));
    let work = tempfile::tempdir().unwrap();
    let cache = Cache::new(work.path());
    open_cached(
        HttpSource::new(settings(vec![repo_url(&good)], direct())),
        &cache,
    )
    .unwrap();
    let wrong = start(Mode::WrongManifest(testdata()));
    let err = open_cached(
        HttpSource::new(settings(vec![repo_url(&wrong)], direct())),
        &cache,
    )
    .unwrap_err();
    assert!(matches!(err, RepositoryError::Trust { .. }), "{err}");
}

#[test]
fn with_everything_down_a_warm_cache_opens_offline_and_a_cold_one_names_every_host_and_proxy() {
    let good = start(Mode::Serve(testdata()));
    let work = tempfile::tempdir().unwrap();
    let cache = Cache::new(work.path().join("warm"));
    let repo = open_cached(
        HttpSource::new(settings(vec![repo_url(&good)], direct())),
        &cache,
    )
    .unwrap();
    assert_eq!(repo.read("README.txt").unwrap().len(), 117);
    drop(repo);
    let (host1, host2, proxy) = (closed_url(), closed_url(), closed_url());
    let down = || {
        HttpSource::new(settings(
            vec![
                format!("{host1}/cvmfs/{FQRN}"),
                format!("{host2}/cvmfs/{FQRN}"),
            ],
            vec![vec![proxy_at(&proxy)], vec![Proxy::Direct]],
        ))
    };
    let offline = open_cached(down(), &cache).unwrap();
    let why = offline.offline().expect("offline").to_owned();
    assert_eq!(offline.read("README.txt").unwrap().len(), 117);
    let cold = Cache::new(work.path().join("cold"));
    let message = open_cached(down(), &cold).unwrap_err().to_string();
    for text in [&why, &message] {
        for name in [&host1, &host2, &proxy] {
            assert!(text.contains(name.as_str()), "{name} missing in {text}");
        }
        assert!(text.contains("via DIRECT"), "{text}");
    }
}

#[test]
fn the_first_proxy_group_is_tried_again_after_the_reset_time() {
    let proxy = start(Mode::Status {
        code: 503,
        squid: true,
    });
    let good = start(Mode::Serve(testdata()));
    let mut reset = settings(
        vec![repo_url(&good)],
        vec![vec![proxy_at(&proxy.url)], vec![Proxy::Direct]],
    );
    reset.proxy_reset_after = Duration::from_millis(300);
    let source = HttpSource::new(reset);
    source.fetch(".cvmfspublished", 1 << 20).unwrap();
    assert_eq!(source.current().1, "DIRECT");
    let asked = proxy.requests.load(Ordering::SeqCst);
    source.fetch(".cvmfspublished", 1 << 20).unwrap();
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        asked,
        "stays on DIRECT"
    );
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(source.current().1, proxy.url);
    source.fetch(".cvmfspublished", 1 << 20).unwrap();
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        asked + 1,
        "the proxy again"
    );
}

#[test]
fn a_replica_lagging_behind_answers_404_and_the_next_server_serves() {
    let lagging = start(Mode::Lagging(testdata()));
    let good = start(Mode::Serve(testdata()));
    let source = HttpSource::new(settings(
        vec![repo_url(&lagging), repo_url(&good)],
        direct(),
    ));
    let repo = open(source).unwrap();
    assert_eq!(repo.read("README.txt").unwrap().len(), 117);
    // The manifest and whitelist from the replica, its 404 for the certificate, then
    // the next server for everything.
    assert_eq!(lagging.requests.load(Ordering::SeqCst), 3);
    assert!(repo.describe_source().starts_with(&good.url));
}
