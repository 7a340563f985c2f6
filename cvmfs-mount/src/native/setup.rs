//! From a repository's configuration to an open, followed repository: the client's
//! files (`/etc/cvmfs` layering, the configuration repository when mounted) over the
//! built-in defaults for the public domains; command-line overrides for servers,
//! proxies and keys; the cache; ownership; the TTL cap.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cvmfs_core::Fqrn;
use cvmfs_core::config::EffectiveConfig;
use cvmfs_core::repository::trust::{Blacklist, TrustAnchors};

use super::server_args::NativeArgs;
use super::tree::Ownership;
use crate::error::MountError;
use crate::repository::cache::Cache;
use crate::repository::fetcher::{DEFAULT_PARALLEL_DOWNLOADS, Fetcher};
use crate::repository::http_source::{HttpSettings, HttpSource};
use crate::repository::live::LiveRepository;
use crate::repository::reader::unix_now;
use crate::repository::{DirectorySource, ObjectSource, OpenOptions, Repository, RootChoice};

/// An open repository and how to serve it.
pub struct NativeSetup {
    /// The repository, refreshed after its TTL.
    pub live: Arc<LiveRepository>,
    /// Whose files they are.
    pub ownership: Ownership,
    /// The network timeout (`user.timeout`).
    pub timeout: Duration,
    /// What the mount report should say about the settings (built-in defaults used).
    pub notes: Vec<String>,
}

/// The effective configuration of `fqrn` for the native client: the client's files in
/// `config_dir` (and the configuration repository below `/cvmfs` when it is mounted)
/// over the built-in defaults.
pub fn configuration(config_dir: &Path, fqrn: &Fqrn) -> EffectiveConfig {
    crate::client_config::load_effective(config_dir, Path::new("/cvmfs"), fqrn)
}

/// Where objects come from: a directory for `file://` servers (and plain paths), else
/// HTTP.
fn source(settings: HttpSettings) -> Arc<dyn ObjectSource> {
    match settings.servers.first() {
        Some(first) if first.starts_with("file://") || first.starts_with('/') => {
            Arc::new(DirectorySource::from_location(first))
        }
        _ => Arc::new(HttpSource::new(settings)),
    }
}

fn open_error(fqrn: &str) -> impl FnOnce(crate::repository::RepositoryError) -> MountError + '_ {
    move |source| MountError::NativeOpen {
        fqrn: fqrn.to_owned(),
        source,
    }
}

/// Opens `args.fqrn` as its configuration says (overridden by the arguments): every
/// configuration problem is listed at once, and nothing is mounted when one exists.
pub fn open(args: &NativeArgs) -> Result<NativeSetup, MountError> {
    let bad = |problems: Vec<String>| MountError::NativeConfiguration {
        fqrn: args.fqrn.clone(),
        problems,
    };
    let fqrn = Fqrn::parse(&args.fqrn).map_err(|e| bad(vec![e.to_string()]))?;
    let config = configuration(&args.config_dir, &fqrn);
    let mut problems = Vec::new();
    let settings = match &args.server_url {
        Some(url) => HttpSettings::from_words(url, args.http_proxy.as_deref(), fqrn.as_str())
            .map_err(|e| vec![e.to_string()]),
        None => HttpSettings::from_config(&config).map(|mut settings| {
            if let Some(proxy) = &args.http_proxy
                && let Ok(groups) = cvmfs_core::config::parse_proxy_list(proxy)
            {
                settings.proxies = groups;
            }
            settings
        }),
    };
    let settings = settings.map_err(|p| problems.extend(p)).ok();
    let mut notes = Vec::new();
    let cache = match &args.cache_dir {
        Some(dir) => Cache::from_config(&config)
            .map(|configured| Cache::with_quota(dir, configured.quota()))
            .map_err(|e| problems.push(e.to_string()))
            .ok(),
        None => Cache::from_config(&config)
            .map(|configured| usable_cache(configured, &mut notes))
            .map_err(|e| problems.push(e.to_string()))
            .ok(),
    };
    let anchors = if args.keys.is_empty() {
        crate::repository::keys::anchors_from_config(&config)
    } else {
        crate::repository::keys::load_anchors(&args.keys, None)
    };
    let anchors: Option<TrustAnchors> = anchors.map_err(|e| problems.push(e.to_string())).ok();
    let max_ttl = match config.get("CVMFS_MAX_TTL").map(str::trim) {
        None | Some("" | "0") => None,
        Some(value) => match value.parse::<u64>() {
            Ok(minutes) => Some(Duration::from_secs(minutes * 60)),
            Err(_) => {
                problems.push(format!(
                    "CVMFS_MAX_TTL={value:?} is not a number of minutes"
                ));
                None
            }
        },
    };
    let claim = match config.get("CVMFS_CLAIM_OWNERSHIP") {
        None => true,
        Some(value) => config.switch("CVMFS_CLAIM_OWNERSHIP").unwrap_or_else(|| {
            problems.push(format!("CVMFS_CLAIM_OWNERSHIP={value:?} is not yes or no"));
            true
        }),
    };
    let (Some(settings), Some(cache), Some(anchors), true) =
        (settings, cache, anchors, problems.is_empty())
    else {
        return Err(bad(problems));
    };
    let timeout = settings.timeout;
    let builtin = |key: &str| {
        config
            .values
            .get(key)
            .is_some_and(cvmfs_core::config::builtin::is_builtin)
    };
    if args.http_proxy.is_none() && args.server_url.is_none() && builtin("CVMFS_HTTP_PROXY") {
        notes.push("no proxy configured: DIRECT, the single client profile's rule".to_owned());
    }
    if args.server_url.is_none() && builtin("CVMFS_SERVER_URL") {
        notes.push(format!("built-in servers for {}", fqrn.domain()));
    }
    let fetcher = Fetcher::new(source(settings), cache, DEFAULT_PARALLEL_DOWNLOADS);
    let blacklist = blacklist(&args.config_dir, &config);
    let repository = Repository::open_with(
        Arc::new(fetcher),
        &OpenOptions {
            fqrn: fqrn.as_str(),
            anchors: &anchors,
            now_unix: unix_now(),
            accepted: None,
            blacklist: &blacklist,
            root: RootChoice::Head,
            scratch_dir: None,
        },
    )
    .map_err(open_error(&args.fqrn))?;
    let ownership = if claim {
        Ownership::Claimed {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        }
    } else {
        Ownership::Stored
    };
    Ok(NativeSetup {
        live: Arc::new(LiveRepository::new(repository, max_ttl)),
        ownership,
        timeout,
        notes,
    })
}

/// The blacklists the client reads: `CVMFS_BLACKLIST` (default `<config_dir>/blacklist`)
/// and the configuration repository's `etc/cvmfs/blacklist` when it is mounted; every
/// entry of each counts.
fn blacklist(config_dir: &Path, config: &EffectiveConfig) -> Blacklist {
    let mut files = vec![
        config
            .get("CVMFS_BLACKLIST")
            .map_or_else(|| config_dir.join("blacklist"), PathBuf::from),
    ];
    if let Some(repo) = config.get("CVMFS_CONFIG_REPOSITORY") {
        let mount = config.get("CVMFS_MOUNT_DIR").unwrap_or("/cvmfs");
        files.push(Path::new(mount).join(repo).join("etc/cvmfs/blacklist"));
    }
    let text: String = files
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .collect::<Vec<_>>()
        .join("\n");
    Blacklist::parse(&text)
}

/// The configured cache, or, when this user cannot create it (an unprivileged user, or
/// root of a user namespace, facing `/var/lib/cvmfs`), the user's own cache directory with
/// the same quota.
fn usable_cache(configured: Cache, notes: &mut Vec<String>) -> Cache {
    let denied = match std::fs::create_dir_all(configured.base()) {
        Ok(()) => nix::unistd::access(configured.base(), nix::unistd::AccessFlags::W_OK).is_err(),
        Err(e) => matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
        ),
    };
    match (denied, user_cache_dir()) {
        (true, Some(dir)) => {
            notes.push(format!(
                "{} is not writable here: cache in {}",
                configured.base().display(),
                dir.display()
            ));
            Cache::with_quota(dir, configured.quota())
        }
        _ => configured,
    }
}

/// The cache directory a user without `/var/lib/cvmfs` rights gets:
/// `$XDG_CACHE_HOME/cvmfs` (or `~/.cache/cvmfs`).
pub fn user_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|base| base.join("cvmfs"))
}
