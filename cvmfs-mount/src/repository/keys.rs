//! Loading master public keys the way the client finds them: named files, or every
//! `*.pub` in a directory.

use std::path::{Path, PathBuf};

use cvmfs_core::repository::trust::TrustAnchors;

use super::error::RepositoryError;

/// The keys in `files` and every `*.pub` directly in `dir`; at least one is required.
pub fn load_anchors(
    files: &[PathBuf],
    dir: Option<&Path>,
) -> Result<TrustAnchors, RepositoryError> {
    let mut paths: Vec<PathBuf> = files.to_vec();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|source| RepositoryError::ReadKey {
            path: dir.to_owned(),
            source,
        })?;
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pub"))
            .collect();
        found.sort();
        paths.extend(found);
    }
    if paths.is_empty() {
        return Err(RepositoryError::NoAnchors);
    }
    let mut texts = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|source| RepositoryError::ReadKey {
            path: path.clone(),
            source,
        })?;
        texts.push((path.display().to_string(), text));
    }
    Ok(TrustAnchors::from_pem(
        texts.iter().map(|(n, t)| (n.as_str(), t.as_str())),
    )?)
}

/// The master keys a repository's configuration names: `CVMFS_PUBLIC_KEY` (`:`-separated
/// files) if set, else every `*.pub` in `CVMFS_KEYS_DIR` (default `/etc/cvmfs/keys`), as
/// the client's code checks them. A `CVMFS_KEYS_DIR` from the built-in defaults whose
/// directory holds no key means the built-in keys of the repository's domain.
pub fn anchors_from_config(
    config: &cvmfs_core::config::EffectiveConfig,
) -> Result<TrustAnchors, RepositoryError> {
    use cvmfs_core::config::builtin;
    if let Some(files) = config.get("CVMFS_PUBLIC_KEY").filter(|v| !v.is_empty()) {
        let files: Vec<PathBuf> = files.split(':').map(PathBuf::from).collect();
        return load_anchors(&files, None);
    }
    let dir = config.get("CVMFS_KEYS_DIR").unwrap_or("/etc/cvmfs/keys");
    let from_files = load_anchors(&[], Some(Path::new(dir)));
    let built_in = config
        .values
        .get("CVMFS_KEYS_DIR")
        .is_some_and(builtin::is_builtin)
        .then(|| builtin::domain(config.fqrn.domain()))
        .flatten();
    match (from_files, built_in) {
        (Ok(anchors), _) => Ok(anchors),
        (Err(_), Some(domain)) => Ok(TrustAnchors::from_pem(domain.keys.iter().copied())?),
        (Err(e), None) => Err(e),
    }
}
