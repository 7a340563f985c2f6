//! The arguments of a native server (`--fqrn NAME --target DIR [--config-dir DIR] ...`),
//! parsed and rendered so that [`NativeArgs::to_args`] and [`NativeArgs::parse`] are
//! inverses.

use std::ffi::OsString;
use std::path::PathBuf;

/// What a native server mounts, and where its settings come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeArgs {
    /// The repository.
    pub fqrn: String,
    /// The mountpoint.
    pub target: PathBuf,
    /// The client configuration (`/etc/cvmfs`), layered over the built-in defaults.
    pub config_dir: PathBuf,
    /// The cache directory, instead of the configuration's `CVMFS_CACHE_BASE`.
    pub cache_dir: Option<PathBuf>,
    /// Servers, instead of the configuration's `CVMFS_SERVER_URL`.
    pub server_url: Option<String>,
    /// Proxies, instead of the configuration's `CVMFS_HTTP_PROXY`.
    pub http_proxy: Option<String>,
    /// Master keys, instead of the configuration's.
    pub keys: Vec<PathBuf>,
    /// Delay before mounting (a slow mount, for tests).
    pub mount_delay_ms: u64,
    /// Start hung (for tests).
    pub hang: bool,
}

impl NativeArgs {
    /// Mounts `fqrn` at `target` as `config_dir` configures it.
    pub fn new(fqrn: impl Into<String>, target: PathBuf, config_dir: PathBuf) -> Self {
        Self {
            fqrn: fqrn.into(),
            target,
            config_dir,
            cache_dir: None,
            server_url: None,
            http_proxy: None,
            keys: Vec::new(),
            mount_delay_ms: 0,
            hang: false,
        }
    }

    /// Parses what [`NativeArgs::to_args`] renders.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Self, String> {
        let mut parsed = Self::new(String::new(), PathBuf::new(), PathBuf::from("/etc/cvmfs"));
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--hang" {
                parsed.hang = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| format!("{} needs a value", flag.to_string_lossy()))?;
            let text = || value.to_string_lossy().into_owned();
            match flag.to_str() {
                Some("--fqrn") => parsed.fqrn = text(),
                Some("--target") => parsed.target = PathBuf::from(&value),
                Some("--config-dir") => parsed.config_dir = PathBuf::from(&value),
                Some("--cache-dir") => parsed.cache_dir = Some(PathBuf::from(&value)),
                Some("--server-url") => parsed.server_url = Some(text()),
                Some("--http-proxy") => parsed.http_proxy = Some(text()),
                Some("--key") => parsed.keys.push(PathBuf::from(&value)),
                Some("--mount-delay-ms") => {
                    parsed.mount_delay_ms = text()
                        .parse()
                        .map_err(|_| format!("--mount-delay-ms takes a number, not {value:?}"))?;
                }
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        let mut missing = Vec::new();
        if parsed.fqrn.is_empty() {
            missing.push("--fqrn");
        }
        if parsed.target.as_os_str().is_empty() {
            missing.push("--target");
        }
        if missing.is_empty() {
            Ok(parsed)
        } else {
            Err(format!("missing {}", missing.join(", ")))
        }
    }

    /// The command-line form.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut out: Vec<OsString> = vec![
            "--fqrn".into(),
            self.fqrn.clone().into(),
            "--target".into(),
            self.target.clone().into(),
            "--config-dir".into(),
            self.config_dir.clone().into(),
        ];
        if let Some(dir) = &self.cache_dir {
            out.extend(["--cache-dir".into(), dir.clone().into()]);
        }
        if let Some(url) = &self.server_url {
            out.extend(["--server-url".into(), url.clone().into()]);
        }
        if let Some(proxy) = &self.http_proxy {
            out.extend(["--http-proxy".into(), proxy.clone().into()]);
        }
        for key in &self.keys {
            out.extend(["--key".into(), key.clone().into()]);
        }
        if self.mount_delay_ms > 0 {
            out.extend([
                "--mount-delay-ms".into(),
                self.mount_delay_ms.to_string().into(),
            ]);
        }
        if self.hang {
            out.push("--hang".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn render_then_parse_is_the_identity(
            fqrn in "[a-z]{1,8}\\.[a-z]{2,5}",
            target in "/[a-z/]{1,20}",
            cache in proptest::option::of("/[a-z]{1,10}"),
            url in proptest::option::of("http://[a-z]{1,8}/cvmfs/@fqrn@"),
            proxy in proptest::option::of("DIRECT|http://p:3128"),
            keys in proptest::collection::vec("/k/[a-z]{1,5}\\.pub", 0..3),
            delay in 0u64..5000,
            hang in any::<bool>(),
        ) {
            let args = NativeArgs {
                fqrn,
                target: PathBuf::from(target),
                config_dir: PathBuf::from("/etc/cvmfs"),
                cache_dir: cache.map(PathBuf::from),
                server_url: url,
                http_proxy: proxy,
                keys: keys.into_iter().map(PathBuf::from).collect(),
                mount_delay_ms: delay,
                hang,
            };
            prop_assert_eq!(NativeArgs::parse(args.to_args()), Ok(args));
        }
    }

    #[test]
    fn missing_and_unknown_arguments_are_named() {
        let err = NativeArgs::parse(Vec::<OsString>::new()).unwrap_err();
        assert!(err.contains("--fqrn") && err.contains("--target"), "{err}");
        assert!(NativeArgs::parse(["--bogus".into(), "x".into()]).is_err());
        assert!(NativeArgs::parse(["--mount-delay-ms".into(), "soon".into()]).is_err());
    }
}
