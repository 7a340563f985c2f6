//! The effective configuration of one repository, resolved from a set of files in the
//! client's layering order, each value with the file it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::file_syntax::{SkippedLine, parse_file};
use crate::config::proxy::{parse_proxy_list, parse_server_urls};
use crate::config::switch::{SWITCHES, parse_switch};
use crate::fqrn::Fqrn;

/// Configuration files as data: path to content. Missing files are simply absent.
pub type ConfigFiles = BTreeMap<PathBuf, String>;

/// Where the client looks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveOptions {
    /// The local configuration directory (`/etc/cvmfs`).
    pub config_dir: PathBuf,
    /// The mount directory used to find the configuration repository when
    /// `CVMFS_MOUNT_DIR` is not set (`/cvmfs`).
    pub mount_dir: PathBuf,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            config_dir: PathBuf::from("/etc/cvmfs"),
            mount_dir: PathBuf::from(crate::plan::DEFAULT_ROOT),
        }
    }
}

/// One effective value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigValue {
    /// The value with `@fqrn@` and `@org@` substituted.
    pub value: String,
    /// The file that set it last.
    pub origin: PathBuf,
    /// The line in that file.
    pub line: usize,
    /// Whether the client's shell parser would expand it (not evaluated here).
    pub needs_shell: bool,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The client would refuse to mount.
    Error,
    /// Suspicious or not evaluated.
    Warning,
}

impl std::fmt::Display for Severity {
    /// The word the command line prints before the message, as compilers do.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// Something found while resolving or checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// How serious.
    pub severity: Severity,
    /// The parameter concerned, if one.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The resolved configuration of one repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveConfig {
    /// The repository.
    pub fqrn: Fqrn,
    /// Values by key, sorted.
    pub values: BTreeMap<String, ConfigValue>,
    /// The files read, in order.
    pub files_read: Vec<PathBuf>,
    /// Skipped lines, per file.
    pub skipped: Vec<(PathBuf, SkippedLine)>,
    /// Problems found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves the configuration of `fqrn` from `files`:
/// `default.conf`, `default.d/*.conf` (byte order), then, with `CVMFS_CONFIG_REPOSITORY`
/// locked, for each level the configuration repository's file before the local ones:
/// `default.conf`(config repo), `default.local`, `domain.d/<domain>.conf`(config repo),
/// `domain.d/<domain>.conf`, `domain.d/<domain>.local`, `config.d/<fqrn>.conf`(config
/// repo), `config.d/<fqrn>.conf`, `config.d/<fqrn>.local`.
///
/// ```
/// use cvmfs_core::Fqrn;
/// use cvmfs_core::config::{ConfigFiles, ResolveOptions, resolve};
/// let mut files = ConfigFiles::new();
/// files.insert("/etc/cvmfs/default.conf".into(), "CVMFS_HTTP_PROXY=auto\n".into());
/// files.insert("/etc/cvmfs/default.local".into(), "CVMFS_HTTP_PROXY=DIRECT\n".into());
/// let config = resolve(&Fqrn::parse("cms.cern.ch").unwrap(), &files, &ResolveOptions::default());
/// assert_eq!(config.get("CVMFS_HTTP_PROXY"), Some("DIRECT"));
/// assert!(config.show().starts_with("CVMFS_HTTP_PROXY=DIRECT    # from /etc/cvmfs/default.local"));
/// ```
pub fn resolve(fqrn: &Fqrn, files: &ConfigFiles, options: &ResolveOptions) -> EffectiveConfig {
    let mut config = EffectiveConfig {
        fqrn: fqrn.clone(),
        values: BTreeMap::new(),
        files_read: Vec::new(),
        skipped: Vec::new(),
        diagnostics: Vec::new(),
    };
    let dir = &options.config_dir;
    config.apply(files, &dir.join("default.conf"), false);
    let default_d = dir.join("default.d");
    // BTreeMap keys are in byte order, which is the client's order for default.d.
    let drop_ins: Vec<&PathBuf> = files
        .keys()
        .filter(|p| {
            p.parent() == Some(default_d.as_path()) && p.extension().is_some_and(|e| e == "conf")
        })
        .collect();
    for path in drop_ins {
        config.apply(files, path, false);
    }
    let config_repo = config.get("CVMFS_CONFIG_REPOSITORY").map(str::to_owned);
    let mount_dir = config
        .get("CVMFS_MOUNT_DIR")
        .map_or_else(|| options.mount_dir.clone(), PathBuf::from);
    // The configuration repository's own configuration never comes from itself.
    let repo_dir = config_repo
        .filter(|repo| repo != fqrn.as_str())
        .map(|repo| mount_dir.join(repo).join("etc/cvmfs"));
    let domain = fqrn.domain();
    let levels = [
        ("default.conf".to_owned(), vec!["default.local".to_owned()]),
        (
            format!("domain.d/{domain}.conf"),
            vec![
                format!("domain.d/{domain}.conf"),
                format!("domain.d/{domain}.local"),
            ],
        ),
        (
            format!("config.d/{fqrn}.conf"),
            vec![
                format!("config.d/{fqrn}.conf"),
                format!("config.d/{fqrn}.local"),
            ],
        ),
    ];
    for (repo_file, local_files) in levels {
        if let Some(repo_dir) = &repo_dir {
            config.apply(files, &repo_dir.join(repo_file), true);
        }
        for local in local_files {
            config.apply(files, &dir.join(local), true);
        }
    }
    config.check();
    config
}

impl EffectiveConfig {
    /// A value by key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.value.as_str())
    }

    /// Whether a switch is on (`None`: unset or neither on nor off).
    pub fn switch(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(parse_switch)
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// `KEY=VALUE    # from <file>` per key, sorted by key, as the client shows it.
    pub fn show(&self) -> String {
        self.values
            .iter()
            .map(|(key, v)| format!("{key}={}    # from {}\n", v.value, v.origin.display()))
            .collect()
    }

    fn apply(&mut self, files: &ConfigFiles, path: &Path, locked: bool) {
        let Some(content) = files.get(path) else {
            return;
        };
        self.files_read.push(path.to_owned());
        let parsed = parse_file(content);
        for skipped in parsed.skipped {
            self.skipped.push((path.to_owned(), skipped));
        }
        for assignment in parsed.assignments {
            if locked && assignment.key == "CVMFS_CONFIG_REPOSITORY" {
                self.diagnostics.push(Diagnostic {
                    severity: Severity::Warning,
                    key: Some(assignment.key),
                    message: format!(
                        "{} line {}: CVMFS_CONFIG_REPOSITORY is locked after default.conf and default.d; ignored",
                        path.display(),
                        assignment.line
                    ),
                });
                continue;
            }
            let value = assignment
                .value
                .replace("@fqrn@", self.fqrn.as_str())
                .replace("@org@", self.fqrn.org());
            self.values.insert(
                assignment.key,
                ConfigValue {
                    value,
                    origin: path.to_owned(),
                    line: assignment.line,
                    needs_shell: assignment.needs_shell,
                },
            );
        }
    }

    fn report(&mut self, severity: Severity, key: &str, message: String) {
        self.diagnostics.push(Diagnostic {
            severity,
            key: Some(key.to_owned()),
            message,
        });
    }

    /// Checks values the client validates or that need a shell.
    fn check(&mut self) {
        let mut found = Vec::new();
        for (key, value) in &self.values {
            let at = format!("{} line {}", value.origin.display(), value.line);
            if value.needs_shell {
                found.push((
                    Severity::Warning,
                    key.clone(),
                    format!(
                        "{key}={} ({at}) needs shell evaluation; shown unevaluated",
                        value.value
                    ),
                ));
                continue;
            }
            if SWITCHES.contains(&key.as_str()) && parse_switch(&value.value).is_none() {
                found.push((
                    Severity::Warning,
                    key.clone(),
                    format!(
                        "{key}={:?} ({at}) is neither on (yes/on/1/true) nor off (no/off/0/false)",
                        value.value
                    ),
                ));
            }
            let checked = match key.as_str() {
                "CVMFS_HTTP_PROXY" => parse_proxy_list(&value.value).err(),
                "CVMFS_SERVER_URL" => parse_server_urls(&value.value).err(),
                _ => None,
            };
            if let Some(err) = checked {
                found.push((Severity::Error, key.clone(), format!("{err} ({at})")));
            }
        }
        let profile_single = self.get("CVMFS_CLIENT_PROFILE") == Some("single");
        if !self.values.contains_key("CVMFS_HTTP_PROXY") && !profile_single {
            found.push((
                Severity::Error,
                "CVMFS_HTTP_PROXY".to_owned(),
                "CVMFS_HTTP_PROXY is not set: the client refuses to mount (CVMFS_HTTP_PROXY required)".to_owned(),
            ));
        }
        if self.values.contains_key("CVMFS_CACHE_BASE")
            && self.values.contains_key("CVMFS_CACHE_DIR")
        {
            found.push((
                Severity::Error,
                "CVMFS_CACHE_DIR".to_owned(),
                "CVMFS_CACHE_BASE and CVMFS_CACHE_DIR are both set; the client refuses the combination".to_owned(),
            ));
        }
        for (severity, key, message) in found {
            self.report(severity, &key, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> ConfigFiles {
        entries
            .iter()
            .map(|(path, content)| (PathBuf::from(path), (*content).to_owned()))
            .collect()
    }

    #[test]
    fn layering_order_and_origins() {
        let cr = "/cvmfs/cvmfs-config.cern.ch/etc/cvmfs";
        let files = files(&[
            (
                "/etc/cvmfs/default.conf",
                "CVMFS_CONFIG_REPOSITORY=cvmfs-config.cern.ch\nA=default\nB=default\nC=default\nD=default\nE=default\nF=default\nG=default\nH=default\n",
            ),
            ("/etc/cvmfs/default.d/50-b.conf", "B=default.d-b\n"),
            (
                "/etc/cvmfs/default.d/10-a.conf",
                "B=default.d-a\nA=default.d-a\n",
            ),
            ("/etc/cvmfs/default.d/99-z.txt", "A=ignored\n"),
            (
                &format!("{cr}/default.conf"),
                "C=cr-default\nD=cr-default\nCVMFS_CONFIG_REPOSITORY=other.cern.ch\n",
            ),
            (
                "/etc/cvmfs/default.local",
                "D=default.local\nE=default.local\n",
            ),
            (
                &format!("{cr}/domain.d/cern.ch.conf"),
                "E=cr-domain\nF=cr-domain\n",
            ),
            (
                "/etc/cvmfs/domain.d/cern.ch.conf",
                "F=domain-conf\nG=domain-conf\n",
            ),
            ("/etc/cvmfs/domain.d/cern.ch.local", "G=domain-local\n"),
            (
                &format!("{cr}/config.d/cms.cern.ch.conf"),
                "H=cr-config\nCVMFS_SERVER_URL=http://s1.cern.ch:8000/cvmfs/@fqrn@\n",
            ),
            (
                "/etc/cvmfs/config.d/cms.cern.ch.local",
                "I=config-local-@org@\n",
            ),
        ]);
        let config = resolve(
            &Fqrn::parse("cms.cern.ch").unwrap(),
            &files,
            &ResolveOptions::default(),
        );
        let origin = |key: &str| config.values[key].origin.display().to_string();
        assert_eq!(config.get("A"), Some("default.d-a"));
        assert_eq!(config.get("B"), Some("default.d-b"));
        assert_eq!(origin("C"), format!("{cr}/default.conf"));
        assert_eq!(config.get("D"), Some("default.local"));
        assert_eq!(config.get("E"), Some("cr-domain"));
        assert_eq!(config.get("F"), Some("domain-conf"));
        assert_eq!(config.get("G"), Some("domain-local"));
        assert_eq!(config.get("H"), Some("cr-config"));
        assert_eq!(config.get("I"), Some("config-local-cms"));
        assert_eq!(
            config.get("CVMFS_SERVER_URL"),
            Some("http://s1.cern.ch:8000/cvmfs/cms.cern.ch")
        );
        assert_eq!(
            config.get("CVMFS_CONFIG_REPOSITORY"),
            Some("cvmfs-config.cern.ch")
        );
        assert!(
            config
                .diagnostics
                .iter()
                .any(|d| d.message.contains("locked"))
        );
        // The missing proxy is reported as the client's error.
        assert!(config.has_errors());
        assert_eq!(config.files_read.len(), 10);
    }

    #[test]
    fn diagnostics_for_shell_values_switches_proxies_and_cache() {
        let files = files(&[(
            "/etc/cvmfs/default.local",
            "CVMFS_HTTP_PROXY=\"http://squid:99999;DIRECT\"\nCVMFS_SHARED_CACHE=maybe\nCVMFS_CACHE_BASE=/a\nCVMFS_CACHE_DIR=/b\nCVMFS_USER=$USER\n",
        )]);
        let config = resolve(
            &Fqrn::parse("sft.cern.ch").unwrap(),
            &files,
            &ResolveOptions::default(),
        );
        let messages: Vec<&str> = config
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages.iter().any(|m| m.contains("invalid port")));
        assert!(messages.iter().any(|m| m.contains("neither on")));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("CVMFS_CACHE_BASE and CVMFS_CACHE_DIR"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("CVMFS_USER=$USER") && m.contains("shell"))
        );
    }

    #[test]
    fn client_profile_single_needs_no_proxy_and_config_repo_skips_itself() {
        let files = files(&[
            (
                "/etc/cvmfs/default.conf",
                "CVMFS_CONFIG_REPOSITORY=cvmfs-config.cern.ch\nCVMFS_CLIENT_PROFILE=single\n",
            ),
            (
                "/cvmfs/cvmfs-config.cern.ch/etc/cvmfs/default.conf",
                "X=1\n",
            ),
        ]);
        let config = resolve(
            &Fqrn::parse("cvmfs-config.cern.ch").unwrap(),
            &files,
            &ResolveOptions::default(),
        );
        assert!(!config.has_errors(), "{:?}", config.diagnostics);
        assert_eq!(config.get("X"), None);
    }
}
