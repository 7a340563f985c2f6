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
/// resolves the effective configuration.
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
    resolve(fqrn, &files, &options)
}
