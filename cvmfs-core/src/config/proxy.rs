//! Proxy lists (`CVMFS_HTTP_PROXY`) and server URL lists (`CVMFS_SERVER_URL`).
//!
//! Proxies: groups separated by `;` (fail-over order), members by `|` (load-balanced),
//! the literals `DIRECT` and `auto`. Servers: URLs separated by `;`.

use std::fmt;

use serde::{Deserialize, Serialize};

use thiserror::Error;

use crate::problem_list::Bullets;

/// One proxy of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Proxy {
    /// No proxy.
    Direct,
    /// Web proxy auto-discovery.
    Auto,
    /// An HTTP proxy.
    Http {
        /// Host name or address.
        host: String,
        /// Port, if given.
        port: Option<u16>,
    },
}

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Direct => f.write_str("DIRECT"),
            Self::Auto => f.write_str("auto"),
            Self::Http { host, port: None } => write!(f, "http://{host}"),
            Self::Http {
                host,
                port: Some(port),
            } => write!(f, "http://{host}:{port}"),
        }
    }
}

/// A proxy or server list the client would refuse; every bad member is listed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProxyConfigError {
    /// A proxy list the client would refuse.
    #[error("invalid proxy list {input:?}: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidProxyList {
        /// The list.
        input: String,
        /// Every problem.
        problems: Vec<String>,
    },
    /// A server URL list the client would refuse.
    #[error("invalid server URL list {input:?}: {} problem(s){}", problems.len(), Bullets(problems))]
    InvalidServerUrls {
        /// The list.
        input: String,
        /// Every problem.
        problems: Vec<String>,
    },
}

impl ProxyConfigError {
    /// A stable kebab-case name of the failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidProxyList { .. } => "invalid-proxy-list",
            Self::InvalidServerUrls { .. } => "invalid-server-urls",
        }
    }

    /// The individual problems as sentences.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::InvalidProxyList { problems, .. } | Self::InvalidServerUrls { problems, .. } => {
                problems.clone()
            }
        }
    }
}

/// Proxy groups in fail-over order.
pub type ProxyGroups = Vec<Vec<Proxy>>;

/// Parses and validates a proxy list; an empty list is the client's
/// `CVMFS_HTTP_PROXY required` error. Every bad member is reported.
///
/// ```
/// use cvmfs_core::config::{Proxy, parse_proxy_list};
/// let groups = parse_proxy_list("http://a:3128|http://b:3128;DIRECT").unwrap();
/// assert_eq!(groups.len(), 2);
/// assert_eq!(groups[1], vec![Proxy::Direct]);
/// assert!(parse_proxy_list("").is_err());
/// ```
pub fn parse_proxy_list(value: &str) -> Result<ProxyGroups, ProxyConfigError> {
    let mut problems = Vec::new();
    let mut groups = Vec::new();
    if value.trim().is_empty() {
        problems
            .push("is empty (the client refuses to mount: CVMFS_HTTP_PROXY required)".to_owned());
    } else {
        for (g, group) in value.split(';').enumerate() {
            let mut members = Vec::new();
            for (m, member) in group.split('|').enumerate() {
                match parse_proxy(member.trim()) {
                    Ok(proxy) => members.push(proxy),
                    Err(reason) => problems.push(format!(
                        "group {} member {}: {member:?} {reason}",
                        g + 1,
                        m + 1
                    )),
                }
            }
            groups.push(members);
        }
    }
    if problems.is_empty() {
        Ok(groups)
    } else {
        Err(ProxyConfigError::InvalidProxyList {
            input: value.to_owned(),
            problems,
        })
    }
}

fn parse_proxy(member: &str) -> Result<Proxy, String> {
    if member.is_empty() {
        return Err("is empty".to_owned());
    }
    if member == "DIRECT" {
        return Ok(Proxy::Direct);
    }
    if member == "auto" {
        return Ok(Proxy::Auto);
    }
    let rest = member.strip_prefix("http://").unwrap_or(member);
    if rest.contains("://") {
        return Err("has a scheme other than http://".to_owned());
    }
    let (host, port) = split_host_port(rest.trim_end_matches('/'))?;
    Ok(Proxy::Http { host, port })
}

/// Splits `host[:port]`, with `[v6]:port` for IPv6 literals.
fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("has an unclosed '['")?;
        (host, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("has no host".to_owned());
    }
    if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err("has an invalid host".to_owned());
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("has an invalid port {p:?}")),
        },
    };
    Ok((host.to_owned(), port))
}

/// Parses and validates a server URL list (`http://` or `https://`, a host, any path;
/// or `file://` and an absolute path, a served tree on this machine, as the client's
/// libcurl reads it; `@fqrn@` and `@org@` allowed). Returns the URLs in order.
pub fn parse_server_urls(value: &str) -> Result<Vec<String>, ProxyConfigError> {
    let mut problems = Vec::new();
    let mut urls = Vec::new();
    if value.trim().is_empty() {
        problems.push("is empty".to_owned());
    }
    for (i, url) in value
        .split(';')
        .map(str::trim)
        .enumerate()
        .filter(|_| !value.trim().is_empty())
    {
        if let Some(path) = url.strip_prefix("file://") {
            if path.starts_with('/') {
                urls.push(url.to_owned());
            } else {
                problems.push(format!(
                    "URL {} {url:?} is a file:// URL without an absolute path",
                    i + 1
                ));
            }
            continue;
        }
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        let Some(rest) = rest else {
            problems.push(format!(
                "URL {} {url:?} does not start with http://, https:// or file://",
                i + 1
            ));
            continue;
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if let Err(reason) = split_host_port(authority) {
            problems.push(format!("URL {} {url:?} {reason}", i + 1));
            continue;
        }
        urls.push(url.to_owned());
    }
    if problems.is_empty() {
        Ok(urls)
    } else {
        Err(ProxyConfigError::InvalidServerUrls {
            input: value.to_owned(),
            problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn proxies() {
        let groups = parse_proxy_list("http://squid1:3128|squid2:3128;auto;DIRECT").unwrap();
        assert_eq!(
            groups[0],
            [
                Proxy::Http {
                    host: "squid1".into(),
                    port: Some(3128)
                },
                Proxy::Http {
                    host: "squid2".into(),
                    port: Some(3128)
                }
            ]
        );
        assert_eq!(groups[1], [Proxy::Auto]);
        let Err(ProxyConfigError::InvalidProxyList { problems, .. }) =
            parse_proxy_list("https://x:1|;a:0;[::1]:80|:5")
        else {
            panic!()
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(parse_proxy_list("http://[::1]:3128").is_ok());
    }

    #[test]
    fn servers() {
        let urls = parse_server_urls("http://cvmfs-stratum-one.cern.ch:8000/cvmfs/@fqrn@;https://s1.example.org/cvmfs/@fqrn@").unwrap();
        assert_eq!(urls.len(), 2);
        let Err(ProxyConfigError::InvalidServerUrls { problems, .. }) =
            parse_server_urls("ftp://x/;http:///cvmfs")
        else {
            panic!()
        };
        assert_eq!(problems.len(), 2);
        assert!(parse_server_urls("  ").is_err());
    }

    proptest! {
        #[test]
        fn rendered_proxies_parse_back(hosts in proptest::collection::vec(("[a-z][a-z0-9.-]{0,12}", proptest::option::of(1u16..)), 1..6)) {
            let proxies: Vec<Proxy> = hosts.into_iter().map(|(host, port)| Proxy::Http { host, port }).collect();
            let text = proxies.iter().map(ToString::to_string).collect::<Vec<_>>().join("|");
            prop_assert_eq!(parse_proxy_list(&text).unwrap(), vec![proxies]);
        }

        #[test]
        fn never_panics(text in "\\PC{0,60}") {
            let _ = parse_proxy_list(&text);
            let _ = parse_server_urls(&text);
        }
    }
}
