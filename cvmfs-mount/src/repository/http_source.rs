//! Fetching over HTTP like the client: a ring of servers (`CVMFS_SERVER_URL`), proxy
//! groups (`CVMFS_HTTP_PROXY`: `;` fail-over, `|` load-balanced, `DIRECT`), the error
//! classes of the format reference (a host error moves to the next server, a proxy error
//! to the next proxy group), retries with backoff for timeouts and short reads, no
//! redirects, a `no-cache` retry for content that failed its hash (then the next server),
//! a low-speed limit, and the return to the primary proxy group and server after
//! `CVMFS_PROXY_RESET_AFTER` and `CVMFS_HOST_RESET_AFTER`. Bodies stream into the
//! caller's sink in 64 KiB pieces: memory stays bounded whatever the object's size.
//!
//! The HTTP client is `ureq`: blocking HTTP/1.1 with keep-alive pooling per agent and
//! proxy support, no async runtime (the reader is synchronous and FUSE threads block),
//! and a body reader we drive ourselves, which the streaming verification needs.

use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cvmfs_core::config::Proxy;
use rand::Rng;

use super::source::{FetchError, ObjectSink, ObjectSource};

/// How to reach a repository over HTTP.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Repository base URLs, in order (`@fqrn@`/`@org@` already replaced).
    pub servers: Vec<String>,
    /// Proxy groups in fail-over order; `[[Direct]]` for none.
    pub proxies: Vec<Vec<Proxy>>,
    /// Connect and transfer timeout through a proxy (`CVMFS_TIMEOUT`).
    pub timeout: Duration,
    /// The same without a proxy (`CVMFS_TIMEOUT_DIRECT`).
    pub timeout_direct: Duration,
    /// Retries of one URL after a timeout or short read (`CVMFS_MAX_RETRIES`).
    pub max_retries: u32,
    /// The first backoff's upper bound (`CVMFS_BACKOFF_INIT`).
    pub backoff_init: Duration,
    /// The largest backoff (`CVMFS_BACKOFF_MAX`).
    pub backoff_max: Duration,
    /// Follow up to 4 redirects (`CVMFS_FOLLOW_REDIRECTS`).
    pub follow_redirects: bool,
    /// A transfer slower than this many bytes per second over a timeout period is
    /// aborted and retried (`CVMFS_LOW_SPEED_LIMIT`).
    pub low_speed_limit: u64,
    /// Back to the first proxy group after this long elsewhere (`CVMFS_PROXY_RESET_AFTER`;
    /// zero: never).
    pub proxy_reset_after: Duration,
    /// Back to the first server after this long elsewhere (`CVMFS_HOST_RESET_AFTER`;
    /// zero: never).
    pub host_reset_after: Duration,
}

impl HttpSettings {
    /// Settings from the client's words: `CVMFS_SERVER_URL` (`;`-separated, `@fqrn@` and
    /// `@org@` replaced for `fqrn`) and `CVMFS_HTTP_PROXY` (`None`: DIRECT).
    pub fn from_words(
        server_url: &str,
        http_proxy: Option<&str>,
        fqrn: &str,
    ) -> Result<Self, cvmfs_core::config::ProxyConfigError> {
        let org = fqrn.split('.').next().unwrap_or(fqrn);
        let servers = cvmfs_core::config::parse_server_urls(server_url)?
            .into_iter()
            .map(|url| url.replace("@fqrn@", fqrn).replace("@org@", org))
            .collect();
        let mut settings = Self::direct(servers);
        if let Some(proxy) = http_proxy {
            settings.proxies = cvmfs_core::config::parse_proxy_list(proxy)?;
        }
        Ok(settings)
    }

    /// Settings from a repository's effective client configuration (the `/etc/cvmfs`
    /// layering `config show` resolves): `CVMFS_SERVER_URL`, `CVMFS_HTTP_PROXY`,
    /// `CVMFS_TIMEOUT`, `CVMFS_TIMEOUT_DIRECT`, `CVMFS_MAX_RETRIES`, `CVMFS_BACKOFF_INIT`,
    /// `CVMFS_BACKOFF_MAX` and `CVMFS_FOLLOW_REDIRECTS`; every problem is listed.
    pub fn from_config(config: &cvmfs_core::config::EffectiveConfig) -> Result<Self, Vec<String>> {
        let fqrn = config.fqrn.as_str();
        let mut problems = Vec::new();
        let Some(server_url) = config.get("CVMFS_SERVER_URL") else {
            return Err(vec![format!("CVMFS_SERVER_URL is not set for {fqrn}")]);
        };
        let mut settings = match Self::from_words(server_url, config.get("CVMFS_HTTP_PROXY"), fqrn)
        {
            Ok(settings) => settings,
            Err(e) => return Err(vec![e.to_string()]),
        };
        let seconds = |key: &str, problems: &mut Vec<String>| -> Option<u64> {
            let value = config.get(key)?;
            match value.trim().parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(format!("{key}={value:?} is not a number of seconds"));
                    None
                }
            }
        };
        if let Some(n) = seconds("CVMFS_TIMEOUT", &mut problems) {
            settings.timeout = Duration::from_secs(n);
        }
        if let Some(n) = seconds("CVMFS_TIMEOUT_DIRECT", &mut problems) {
            settings.timeout_direct = Duration::from_secs(n);
        }
        if let Some(n) = seconds("CVMFS_MAX_RETRIES", &mut problems) {
            settings.max_retries = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = seconds("CVMFS_BACKOFF_INIT", &mut problems) {
            settings.backoff_init = Duration::from_secs(n);
        }
        if let Some(n) = seconds("CVMFS_BACKOFF_MAX", &mut problems) {
            settings.backoff_max = Duration::from_secs(n);
        }
        if let Some(n) = seconds("CVMFS_PROXY_RESET_AFTER", &mut problems) {
            settings.proxy_reset_after = Duration::from_secs(n);
        }
        if let Some(n) = seconds("CVMFS_HOST_RESET_AFTER", &mut problems) {
            settings.host_reset_after = Duration::from_secs(n);
        }
        if let Some(value) = config.get("CVMFS_LOW_SPEED_LIMIT") {
            match value.trim().parse() {
                Ok(n) => settings.low_speed_limit = n,
                Err(_) => problems.push(format!(
                    "CVMFS_LOW_SPEED_LIMIT={value:?} is not a number of bytes per second"
                )),
            }
        }
        if let Some(value) = config.get("CVMFS_MAX_SERVERS") {
            match value.trim().parse::<usize>() {
                Ok(0) => {}
                Ok(n) => settings.servers.truncate(n),
                Err(_) => problems.push(format!(
                    "CVMFS_MAX_SERVERS={value:?} is not a number of servers"
                )),
            }
        }
        if let Some(value) = config
            .get("CVMFS_FALLBACK_PROXY")
            .filter(|v| !v.trim().is_empty())
        {
            match cvmfs_core::config::parse_proxy_list(value) {
                Ok(groups) => {
                    if groups
                        .iter()
                        .flatten()
                        .any(|p| matches!(p, Proxy::Direct | Proxy::Auto))
                    {
                        problems.push(format!(
                            "CVMFS_FALLBACK_PROXY={value:?} names DIRECT or auto, which a fallback proxy cannot be"
                        ));
                    } else {
                        settings.proxies.extend(groups);
                    }
                }
                Err(e) => problems.push(format!("CVMFS_FALLBACK_PROXY: {e}")),
            }
        }
        settings.follow_redirects = config.switch("CVMFS_FOLLOW_REDIRECTS").unwrap_or(false);
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }

    /// The client's defaults for `servers`, direct.
    pub fn direct(servers: Vec<String>) -> Self {
        Self {
            servers,
            proxies: vec![vec![Proxy::Direct]],
            timeout: Duration::from_secs(5),
            timeout_direct: Duration::from_secs(10),
            max_retries: 1,
            backoff_init: Duration::from_secs(2),
            backoff_max: Duration::from_secs(10),
            follow_redirects: false,
            low_speed_limit: 1024,
            proxy_reset_after: Duration::from_secs(300),
            host_reset_after: Duration::from_secs(1800),
        }
    }
}

/// One failed try, for the error that lists them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The URL.
    pub url: String,
    /// The proxy (`DIRECT` or the proxy's URL).
    pub proxy: String,
    /// What happened.
    pub outcome: String,
}

thread_local! {
    /// Each thread's body buffer (64 KiB), reused by every request.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Which side a failure is blamed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blame {
    /// Move to the next server.
    Host,
    /// Move to the next proxy.
    Proxy,
    /// Try the same URL again (timeouts, short reads, too slow).
    Transient,
}

/// How one request failed.
struct Failure {
    blame: Blame,
    what: String,
    not_found: bool,
    /// The body arrived and the sink refused it (its hash did not match).
    wrong_content: bool,
}

impl Failure {
    fn new(blame: Blame, what: impl Into<String>) -> Self {
        Self {
            blame,
            what: what.into(),
            not_found: false,
            wrong_content: false,
        }
    }
}

/// A request's end: done, failed (and whose fault), or the local sink failed.
enum Outcome {
    Done,
    Failed(Failure),
    Local(std::io::Error),
}

/// The servers and proxies in use now, and since when (for the reset timers).
#[derive(Debug, Clone, Copy)]
struct Position {
    host: usize,
    group: usize,
    host_since: Instant,
    group_since: Instant,
}

/// A repository served over HTTP.
pub struct HttpSource {
    settings: HttpSettings,
    position: Mutex<Position>,
    agents: Mutex<std::collections::HashMap<String, ureq::Agent>>,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpSource({:?})", self.settings.servers)
    }
}

/// A sink that keeps everything (the small signed files).
struct Collect {
    bytes: Vec<u8>,
}

impl ObjectSink for Collect {
    fn restart(&mut self) -> std::io::Result<()> {
        self.bytes.clear();
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        Ok(())
    }
}

impl HttpSource {
    /// A source for the settings' servers and proxies.
    pub fn new(settings: HttpSettings) -> Self {
        let now = Instant::now();
        Self {
            settings,
            position: Mutex::new(Position {
                host: 0,
                group: 0,
                host_since: now,
                group_since: now,
            }),
            agents: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The position now, after the reset timers had their say.
    fn position(&self) -> Position {
        let mut position = self.position.lock().unwrap_or_else(|e| e.into_inner());
        let expired =
            |since: Instant, after: Duration| !after.is_zero() && since.elapsed() >= after;
        if position.group != 0 && expired(position.group_since, self.settings.proxy_reset_after) {
            position.group = 0;
            position.group_since = Instant::now();
        }
        if position.host != 0 && expired(position.host_since, self.settings.host_reset_after) {
            position.host = 0;
            position.host_since = Instant::now();
        }
        *position
    }

    fn moved_to(&self, host: usize, group: usize) {
        let mut position = self.position.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if position.host != host {
            position.host = host;
            position.host_since = now;
        }
        if position.group != group {
            position.group = group;
            position.group_since = now;
        }
    }

    fn agent(&self, proxy: &Proxy) -> Result<ureq::Agent, String> {
        let key = proxy.to_string();
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(agent) = agents.get(&key) {
            return Ok(agent.clone());
        }
        let timeout = self.timeout(proxy);
        // Keep one idle connection per parallel download: ureq keeps one per host by
        // default, so parallel downloads would reconnect for nearly every object.
        let mut builder = ureq::AgentBuilder::new()
            .max_idle_connections(256)
            .max_idle_connections_per_host(64)
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .redirects(if self.settings.follow_redirects { 4 } else { 0 })
            .user_agent(concat!("cvmfs-mount/", env!("CARGO_PKG_VERSION")));
        if !is_direct(proxy) {
            builder = builder.proxy(ureq::Proxy::new(&key).map_err(|e| e.to_string())?);
        }
        let agent = builder.build();
        agents.insert(key, agent.clone());
        Ok(agent)
    }

    fn timeout(&self, proxy: &Proxy) -> Duration {
        if is_direct(proxy) {
            self.settings.timeout_direct
        } else {
            self.settings.timeout
        }
    }

    /// One request, its body streamed into `sink`.
    fn request(
        &self,
        proxy: &Proxy,
        url: &str,
        fresh: bool,
        limit: u64,
        sink: &mut dyn ObjectSink,
    ) -> Outcome {
        let agent = match self.agent(proxy) {
            Ok(agent) => agent,
            Err(e) => return Outcome::Failed(Failure::new(Blame::Proxy, e)),
        };
        let proxied = !is_direct(proxy);
        let mut request = agent.get(url).set("Connection", "Keep-Alive");
        if fresh {
            request = request
                .set("Pragma", "no-cache")
                .set("Cache-Control", "no-cache");
        }
        let response = match request.call() {
            Ok(response) => response,
            Err(ureq::Error::Status(code, response)) => {
                return Outcome::Failed(status_failure(code, &response, proxied));
            }
            Err(ureq::Error::Transport(transport)) => {
                let what = transport.to_string();
                let blame = match transport.kind() {
                    ureq::ErrorKind::ProxyConnect | ureq::ErrorKind::ProxyUnauthorized => {
                        Blame::Proxy
                    }
                    ureq::ErrorKind::Io if what.contains("timed out") => Blame::Transient,
                    _ if proxied => Blame::Proxy,
                    _ => Blame::Host,
                };
                return Outcome::Failed(Failure::new(blame, what));
            }
        };
        if (300..400).contains(&response.status()) {
            return Outcome::Failed(Failure::new(
                Blame::Host,
                format!("redirect {}", response.status()),
            ));
        }
        let expected: Option<u64> = response
            .header("Content-Length")
            .and_then(|v| v.parse().ok());
        if expected.is_some_and(|n| n > limit) {
            return Outcome::Failed(Failure::new(
                Blame::Host,
                format!("larger than {limit} bytes"),
            ));
        }
        if let Err(e) = sink.restart() {
            return Outcome::Local(e);
        }
        let mut body = response.into_reader();
        BUFFER.with_borrow_mut(|buffer| {
            if buffer.is_empty() {
                buffer.resize(64 * 1024, 0);
            }
            self.stream(proxy, &mut body, buffer, expected, limit, sink)
        })
    }

    /// Streams a response body into `sink` through `buffer`.
    fn stream(
        &self,
        proxy: &Proxy,
        body: &mut dyn Read,
        buffer: &mut [u8],
        expected: Option<u64>,
        limit: u64,
        sink: &mut dyn ObjectSink,
    ) -> Outcome {
        let mut total = 0u64;
        // The low-speed limit, judged over windows of one timeout.
        let window = self.timeout(proxy).max(Duration::from_secs(1));
        let mut window_start = Instant::now();
        let mut window_bytes = 0u64;
        loop {
            let n = match body.read(buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Outcome::Failed(Failure::new(
                        Blame::Transient,
                        format!("short read after {total} bytes: {e}"),
                    ));
                }
            };
            total += n as u64;
            if total > limit {
                return Outcome::Failed(Failure::new(
                    Blame::Host,
                    format!("larger than {limit} bytes"),
                ));
            }
            if let Err(e) = sink.write(&buffer[..n]) {
                return Outcome::Local(e);
            }
            window_bytes += n as u64;
            let elapsed = window_start.elapsed();
            if elapsed >= window {
                let floor = self
                    .settings
                    .low_speed_limit
                    .saturating_mul(elapsed.as_secs());
                if window_bytes < floor {
                    return Outcome::Failed(Failure::new(
                        Blame::Transient,
                        format!(
                            "slower than {} bytes/s ({window_bytes} bytes in {:.1} s)",
                            self.settings.low_speed_limit,
                            elapsed.as_secs_f64()
                        ),
                    ));
                }
                window_start = Instant::now();
                window_bytes = 0;
            }
        }
        if expected.is_some_and(|n| n != total) {
            return Outcome::Failed(Failure::new(
                Blame::Transient,
                format!("short read: {total} of {} bytes", expected.unwrap_or(0)),
            ));
        }
        match sink.finish() {
            Ok(()) => Outcome::Done,
            Err(computed) => Outcome::Failed(Failure {
                blame: Blame::Host,
                what: format!("wrong content (hashes to {computed})"),
                not_found: false,
                wrong_content: true,
            }),
        }
    }

    /// The client's fail-over: proxies of a group in turn (from a random one), then the
    /// next group; within a proxy, servers in ring order from the current one; timeouts
    /// and short reads retried with backoff; wrong content once more past caches, then
    /// the next server.
    fn transfer(
        &self,
        path: &str,
        limit: u64,
        sink: &mut dyn ObjectSink,
    ) -> Result<(), FetchError> {
        let start = self.position();
        let hosts = self.settings.servers.len();
        let groups = self.settings.proxies.len().max(1);
        let mut attempts: Vec<Attempt> = Vec::new();
        let (mut not_found, mut wrong) = (0usize, None::<String>);
        let url_of = |host: usize| {
            format!(
                "{}/{path}",
                self.settings.servers[host].trim_end_matches('/')
            )
        };
        'groups: for g in 0..groups {
            let group_index = (start.group + g) % groups;
            let group = self
                .settings
                .proxies
                .get(group_index)
                .cloned()
                .unwrap_or_else(|| vec![Proxy::Direct]);
            let first = rand::thread_rng().gen_range(0..group.len().max(1));
            'next_proxy: for m in 0..group.len() {
                let proxy = &group[(first + m) % group.len()];
                let mut host_failures = 0;
                for h in 0..hosts {
                    let host_index = (start.host + h) % hosts;
                    let url = url_of(host_index);
                    let mut retries = 0;
                    let mut fresh = false;
                    let mut delay = self.settings.backoff_init;
                    let failure = loop {
                        match self.request(proxy, &url, fresh, limit, sink) {
                            Outcome::Done => {
                                self.moved_to(host_index, group_index);
                                return Ok(());
                            }
                            Outcome::Local(source) => {
                                return Err(FetchError::Store {
                                    url: url.clone(),
                                    source,
                                });
                            }
                            Outcome::Failed(failure) => {
                                attempts.push(Attempt {
                                    url: url.clone(),
                                    proxy: proxy.to_string(),
                                    outcome: failure.what.clone(),
                                });
                                if failure.wrong_content && !fresh {
                                    // Once more past every cache on the way.
                                    fresh = true;
                                    continue;
                                }
                                if failure.blame == Blame::Transient
                                    && retries < self.settings.max_retries
                                {
                                    retries += 1;
                                    std::thread::sleep(if retries == 1 {
                                        // The first delay is random below the initial one.
                                        delay.mul_f64(rand::thread_rng().gen_range(0.0..1.0))
                                    } else {
                                        delay
                                    });
                                    delay = (delay * 2).min(self.settings.backoff_max);
                                    continue;
                                }
                                break failure;
                            }
                        }
                    };
                    if failure.not_found {
                        not_found += 1;
                    }
                    if failure.wrong_content {
                        wrong = Some(failure.what.clone());
                    }
                    if failure.blame == Blame::Proxy {
                        // This proxy is broken: the next one, same servers.
                        continue 'next_proxy;
                    }
                    host_failures += 1;
                }
                // Every server failed through a working proxy: other proxies would not
                // change the servers' answers.
                if host_failures == hosts {
                    break 'groups;
                }
            }
        }
        let url = format!("{path} (from {})", self.settings.servers.join(", "));
        if not_found > 0 && not_found == attempts.len() {
            return Err(FetchError::NotFound { url });
        }
        if let Some(reason) = wrong
            && attempts
                .iter()
                .all(|a| a.outcome.starts_with("wrong content") || a.outcome.contains("HTTP 404"))
        {
            return Err(FetchError::WrongContent { url, reason });
        }
        Err(FetchError::AllFailed {
            url,
            attempts: attempts
                .iter()
                .map(|a| format!("{} via {}: {}", a.url, a.proxy, a.outcome))
                .collect(),
        })
    }
}

fn is_direct(proxy: &Proxy) -> bool {
    matches!(proxy, Proxy::Direct | Proxy::Auto)
}

/// The blame for an HTTP status, as the format reference classifies it.
fn status_failure(code: u16, response: &ureq::Response, proxied: bool) -> Failure {
    let squid = response.header("X-Squid-Error").map(str::to_owned);
    let proxy_status_error = response
        .header("Proxy-Status")
        .is_some_and(|v| v.contains("error="));
    let what = match &squid {
        Some(e) => format!("HTTP {code} (X-Squid-Error: {e})"),
        None => format!("HTTP {code}"),
    };
    let host_error = matches!(code, 400 | 404 | 429 | 500..=599);
    let blame = if proxied && (squid.is_some() || proxy_status_error) {
        Blame::Proxy
    } else if host_error || !proxied {
        Blame::Host
    } else {
        Blame::Proxy
    };
    Failure {
        blame,
        what,
        not_found: code == 404,
        wrong_content: false,
    }
}

impl ObjectSource for HttpSource {
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        let mut collect = Collect { bytes: Vec::new() };
        self.transfer(path, limit, &mut collect)?;
        Ok(collect.bytes)
    }

    fn fetch_to(
        &self,
        path: &str,
        limit: u64,
        sink: &mut dyn ObjectSink,
    ) -> Result<(), FetchError> {
        self.transfer(path, limit, sink)
    }

    fn describe(&self) -> String {
        let (host, proxy) = self.current();
        format!("{host} via {proxy}")
    }

    fn host_list(&self) -> String {
        let start = self.position().host;
        let hosts = &self.settings.servers;
        (0..hosts.len())
            .map(|i| hosts[(start + i) % hosts.len()].as_str())
            .collect::<Vec<_>>()
            .join(";")
    }

    fn current(&self) -> (String, String) {
        let position = self.position();
        let host = self
            .settings
            .servers
            .get(position.host)
            .cloned()
            .unwrap_or_default();
        let proxy = self
            .settings
            .proxies
            .get(position.group)
            .and_then(|g| g.first())
            .map_or_else(|| "DIRECT".to_owned(), ToString::to_string);
        (host, proxy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> cvmfs_core::config::EffectiveConfig {
        crate::client_config::resolved_for_tests("atlas.cern.ch", text)
    }

    #[test]
    fn settings_come_from_the_clients_words() {
        let settings = HttpSettings::from_config(&config(
            "CVMFS_SERVER_URL='http://s1.example.org/cvmfs/@fqrn@;http://s2.example.org/@org@'\n\
             CVMFS_HTTP_PROXY='http://squid1:3128|http://squid2:3128;DIRECT'\n\
             CVMFS_TIMEOUT=7\nCVMFS_MAX_RETRIES=3\nCVMFS_FOLLOW_REDIRECTS=yes\n",
        ))
        .unwrap();
        assert_eq!(
            settings.servers,
            [
                "http://s1.example.org/cvmfs/atlas.cern.ch",
                "http://s2.example.org/atlas"
            ]
        );
        assert_eq!(settings.proxies.len(), 2);
        assert_eq!(settings.proxies[0].len(), 2);
        assert_eq!(settings.timeout, Duration::from_secs(7));
        assert_eq!(settings.max_retries, 3);
        assert!(settings.follow_redirects);
    }

    #[test]
    fn every_bad_setting_is_listed() {
        let problems = HttpSettings::from_config(&config(
            "CVMFS_SERVER_URL=http://s1/cvmfs/@fqrn@\nCVMFS_TIMEOUT=soon\nCVMFS_MAX_RETRIES=-1\n",
        ))
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(HttpSettings::from_config(&config("CVMFS_TIMEOUT=1\n")).is_err());
    }
}
