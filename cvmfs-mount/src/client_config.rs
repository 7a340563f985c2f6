//! Reading the client's configuration files from disk for the core resolver.

use std::path::{Path, PathBuf};

use cvmfs_core::Fqrn;
use cvmfs_core::config::{ConfigFiles, EffectiveConfig, ResolveOptions, resolve};

fn read_into(files: &mut ConfigFiles, path: PathBuf) {
    if let Ok(content) = std::fs::read_to_string(&path) {
        files.insert(path, content);
    }
}

fn read_local(files: &mut ConfigFiles, dir: &Path, fqrn: &Fqrn) {
    read_into(files, dir.join("default.conf"));
    if let Ok(entries) = std::fs::read_dir(dir.join("default.d")) {
        for entry in entries.flatten() {
            read_into(files, entry.path());
        }
    }
    read_into(files, dir.join("default.local"));
    let domain = fqrn.domain();
    read_into(files, dir.join(format!("domain.d/{domain}.conf")));
    read_into(files, dir.join(format!("domain.d/{domain}.local")));
    read_into(files, dir.join(format!("config.d/{fqrn}.conf")));
    read_into(files, dir.join(format!("config.d/{fqrn}.local")));
}

/// Reads every file the client would read for `fqrn` (missing ones are skipped) and
/// resolves the effective configuration, with the native client's built-in defaults for
/// what the files leave unset (each says so as its origin).
pub fn load_effective(config_dir: &Path, mount_dir: &Path, fqrn: &Fqrn) -> EffectiveConfig {
    let options = ResolveOptions {
        config_dir: config_dir.to_owned(),
        mount_dir: mount_dir.to_owned(),
    };
    let mut files = ConfigFiles::new();
    read_local(&mut files, config_dir, fqrn);
    // The configuration repository's files, once its name is known.
    let first = resolve(fqrn, &files, &options);
    if let Some(repo) = first.get("CVMFS_CONFIG_REPOSITORY") {
        let mount = first
            .get("CVMFS_MOUNT_DIR")
            .map_or_else(|| mount_dir.to_owned(), PathBuf::from);
        read_local(&mut files, &mount.join(repo).join("etc/cvmfs"), fqrn);
    }
    resolve(fqrn, &files, &options).with_builtin_defaults()
}

/// The configuration `fqrn` gets from a `default.local` holding `text` (and nothing
/// else): what unit tests of the settings' readers start from.
#[cfg(test)]
pub(crate) fn resolved_for_tests(fqrn: &str, text: &str) -> EffectiveConfig {
    let mut files = ConfigFiles::new();
    files.insert(PathBuf::from("/etc/cvmfs/default.local"), text.to_owned());
    let options = ResolveOptions {
        config_dir: PathBuf::from("/etc/cvmfs"),
        mount_dir: PathBuf::from("/cvmfs"),
    };
    resolve(
        &Fqrn::parse(fqrn).expect("a valid test name"),
        &files,
        &options,
    )
}

/// What the client's own configuration says about its configuration repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigRepositorySetting {
    /// No configuration file exists: the client is not set up here.
    NoConfiguration,
    /// The files leave `CVMFS_CONFIG_REPOSITORY` unset or empty: no configuration
    /// repository is mounted.
    Unset,
    /// The configured repository.
    Set(Fqrn),
    /// The value is not a repository name.
    Invalid {
        /// The value.
        value: String,
        /// Why.
        error: cvmfs_core::fqrn::NameError,
    },
}

/// Reads `CVMFS_CONFIG_REPOSITORY` from the local files the client reads before any
/// repository is mounted (`default.conf`, `default.d`, `default.local`, and the domain
/// and repository files of `fqrn`).
pub fn config_repository_setting(config_dir: &Path, fqrn: &Fqrn) -> ConfigRepositorySetting {
    let mut files = ConfigFiles::new();
    read_local(&mut files, config_dir, fqrn);
    if files.is_empty() {
        return ConfigRepositorySetting::NoConfiguration;
    }
    let options = ResolveOptions {
        config_dir: config_dir.to_owned(),
        mount_dir: PathBuf::from("/cvmfs"),
    };
    match resolve(fqrn, &files, &options).get("CVMFS_CONFIG_REPOSITORY") {
        None | Some("") => ConfigRepositorySetting::Unset,
        Some(value) => match Fqrn::parse(value) {
            Ok(fqrn) => ConfigRepositorySetting::Set(fqrn),
            Err(error) => ConfigRepositorySetting::Invalid {
                value: value.to_owned(),
                error,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(files: &[(&str, &str)]) -> ConfigRepositorySetting {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        config_repository_setting(dir.path(), &Fqrn::parse("test.example.org").unwrap())
    }

    #[test]
    fn the_configuration_repository_comes_from_the_clients_files() {
        let cern = (
            "default.d/50-cern.conf",
            "CVMFS_CONFIG_REPOSITORY=cvmfs-config.cern.ch\n",
        );
        assert_eq!(setting(&[]), ConfigRepositorySetting::NoConfiguration);
        assert_eq!(
            setting(&[cern]),
            ConfigRepositorySetting::Set(Fqrn::parse("cvmfs-config.cern.ch").unwrap())
        );
        // A later drop-in empties it: the 2.12 client then mounts no configuration
        // repository. default.local cannot change it (locked after default.d).
        assert_eq!(
            setting(&[
                cern,
                ("default.d/99-none.conf", "CVMFS_CONFIG_REPOSITORY=\n")
            ]),
            ConfigRepositorySetting::Unset
        );
        assert!(matches!(
            setting(&[cern, ("default.local", "CVMFS_CONFIG_REPOSITORY=\n")]),
            ConfigRepositorySetting::Set(_)
        ));
        assert!(matches!(
            setting(&[("default.d/50.conf", "CVMFS_CONFIG_REPOSITORY=bad..name\n")]),
            ConfigRepositorySetting::Invalid { .. }
        ));
    }
}
