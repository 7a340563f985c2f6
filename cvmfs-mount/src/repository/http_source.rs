//! Fetching over HTTP like the client: a ring of servers (`CVMFS_SERVER_URL`), proxy
//! groups (`CVMFS_HTTP_PROXY`: `;` fail-over, `|` load-balanced, `DIRECT`), the error
//! classes of the format reference (a host error moves to the next server, a proxy error
//! to the next proxy group), retries with backoff for timeouts and short reads, no
//! redirects, and a `no-cache` retry for content that failed its hash.
//!
//! The HTTP client is `ureq`: blocking HTTP/1.1 with keep-alive pooling per agent and
//! proxy support, no async runtime (the reader is synchronous and FUSE threads block).

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use cvmfs_core::config::Proxy;

use super::source::{FetchError, ObjectSource};

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

/// Which side a failure is blamed on.
enum Blame {
    /// Move to the next server.
    Host,
    /// Move to the next proxy group.
    Proxy,
    /// Try the same URL again (timeouts, short reads).
    Transient,
}

/// The servers and proxies in use now.
#[derive(Debug, Clone, Copy, Default)]
struct Position {
    host: usize,
    group: usize,
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

impl HttpSource {
    /// A source for the settings' servers and proxies.
    pub fn new(settings: HttpSettings) -> Self {
        Self {
            settings,
            position: Mutex::new(Position::default()),
            agents: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The server and proxy in use now (the client's `user.host` and `user.proxy`).
    pub fn current(&self) -> (String, String) {
        let position = *self.position.lock().unwrap_or_else(|e| e.into_inner());
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

    fn agent(&self, proxy: &Proxy) -> Result<ureq::Agent, String> {
        let key = proxy.to_string();
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(agent) = agents.get(&key) {
            return Ok(agent.clone());
        }
        let direct = matches!(proxy, Proxy::Direct | Proxy::Auto);
        let timeout = if direct {
            self.settings.timeout_direct
        } else {
            self.settings.timeout
        };
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .redirects(if self.settings.follow_redirects { 4 } else { 0 })
            .user_agent(concat!("cvmfs-mount/", env!("CARGO_PKG_VERSION")));
        if !direct {
            builder = builder.proxy(ureq::Proxy::new(&key).map_err(|e| e.to_string())?);
        }
        let agent = builder.build();
        agents.insert(key, agent.clone());
        Ok(agent)
    }

    /// One request: the body (at most `limit` bytes) or the failure and its blame.
    fn get(
        &self,
        agent: &ureq::Agent,
        url: &str,
        proxied: bool,
        fresh: bool,
        limit: u64,
    ) -> Result<Vec<u8>, (Blame, String, bool)> {
        let mut request = agent.get(url).set("Connection", "Keep-Alive");
        if fresh {
            request = request
                .set("Pragma", "no-cache")
                .set("Cache-Control", "no-cache");
        }
        match request.call() {
            Ok(response) => {
                if (300..400).contains(&response.status()) {
                    return Err((
                        Blame::Host,
                        format!("redirect {}", response.status()),
                        false,
                    ));
                }
                let expected: Option<u64> = response
                    .header("Content-Length")
                    .and_then(|v| v.parse().ok());
                if expected.is_some_and(|n| n > limit) {
                    return Err((Blame::Host, format!("larger than {limit} bytes"), false));
                }
                let mut body = Vec::new();
                let read = response
                    .into_reader()
                    .take(limit.saturating_add(1))
                    .read_to_end(&mut body);
                match read {
                    Err(e) => Err((Blame::Transient, format!("short read: {e}"), false)),
                    Ok(_) if body.len() as u64 > limit => {
                        Err((Blame::Host, format!("larger than {limit} bytes"), false))
                    }
                    Ok(_) if expected.is_some_and(|n| n != body.len() as u64) => Err((
                        Blame::Transient,
                        format!(
                            "short read: {} of {} bytes",
                            body.len(),
                            expected.unwrap_or(0)
                        ),
                        false,
                    )),
                    Ok(_) => Ok(body),
                }
            }
            Err(ureq::Error::Status(code, response)) => {
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
                Err((blame, what, code == 404))
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
                Err((blame, what, false))
            }
        }
    }

    fn fetch_with(&self, path: &str, limit: u64, fresh: bool) -> Result<Vec<u8>, FetchError> {
        let start = *self.position.lock().unwrap_or_else(|e| e.into_inner());
        let hosts = self.settings.servers.len();
        let groups = self.settings.proxies.len().max(1);
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut all_not_found = true;
        for g in 0..groups {
            let group_index = (start.group + g) % groups;
            let group = self
                .settings
                .proxies
                .get(group_index)
                .cloned()
                .unwrap_or_else(|| vec![Proxy::Direct]);
            // Load-balanced members: start at a different one per path.
            let member = path.len() % group.len().max(1);
            let proxy = group.get(member).cloned().unwrap_or(Proxy::Direct);
            let proxied = !matches!(proxy, Proxy::Direct | Proxy::Auto);
            let agent = match self.agent(&proxy) {
                Ok(agent) => agent,
                Err(e) => {
                    attempts.push(Attempt {
                        url: String::new(),
                        proxy: proxy.to_string(),
                        outcome: e,
                    });
                    continue;
                }
            };
            let mut proxy_failed = false;
            for h in 0..hosts {
                let host_index = (start.host + h) % hosts;
                let url = format!(
                    "{}/{path}",
                    self.settings.servers[host_index].trim_end_matches('/')
                );
                let mut delay = self.settings.backoff_init;
                let mut retries = 0;
                loop {
                    match self.get(&agent, &url, proxied, fresh, limit) {
                        Ok(body) => {
                            let mut position =
                                self.position.lock().unwrap_or_else(|e| e.into_inner());
                            *position = Position {
                                host: host_index,
                                group: group_index,
                            };
                            return Ok(body);
                        }
                        Err((blame, outcome, not_found)) => {
                            all_not_found &= not_found;
                            attempts.push(Attempt {
                                url: url.clone(),
                                proxy: proxy.to_string(),
                                outcome,
                            });
                            match blame {
                                Blame::Transient if retries < self.settings.max_retries => {
                                    retries += 1;
                                    std::thread::sleep(backoff(delay, retries));
                                    delay = (delay * 2).min(self.settings.backoff_max);
                                    continue;
                                }
                                Blame::Proxy => proxy_failed = true,
                                Blame::Host | Blame::Transient => {}
                            }
                            break;
                        }
                    }
                }
                if proxy_failed {
                    break;
                }
            }
        }
        let url = format!("{path} (from {})", self.settings.servers.join(", "));
        if all_not_found && !attempts.is_empty() {
            return Err(FetchError::NotFound { url });
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

/// A delay before retry `n`: the first random below `init`, then doubling.
fn backoff(delay: Duration, retry: u32) -> Duration {
    if retry == 1 {
        // Spread simultaneous clients: a deterministic fraction is enough here.
        delay / 2
    } else {
        delay
    }
}

impl ObjectSource for HttpSource {
    fn fetch(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.fetch_with(path, limit, false)
    }

    fn fetch_fresh(&self, path: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.fetch_with(path, limit, true)
    }

    fn describe(&self) -> String {
        let (host, proxy) = self.current();
        format!("{host} via {proxy}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cvmfs_core::Fqrn;
    use cvmfs_core::config::{ConfigFiles, ResolveOptions, resolve};

    fn config(text: &str) -> cvmfs_core::config::EffectiveConfig {
        let mut files = ConfigFiles::new();
        files.insert("/etc/cvmfs/default.local".into(), text.to_owned());
        resolve(
            &Fqrn::parse("atlas.cern.ch").unwrap(),
            &files,
            &ResolveOptions {
                config_dir: "/etc/cvmfs".into(),
                mount_dir: "/cvmfs".into(),
            },
        )
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
