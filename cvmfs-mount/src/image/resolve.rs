//! Finding an image in a mounted DUCC repository: the public path, where it leads (read
//! through the mount, so variant and multi-architecture symlinks resolve as the client
//! resolves them), the config digest that names the flat, the layers from `.metadata`, the
//! last update (the public symlink's mtime) and the image's environment; for a wildcard,
//! every tag published in the repository's own directory that DUCC's rule matches.
//!
//! Everything runs on a worker thread with a deadline: a hung mount gives
//! [`ResolveError::Hung`] instead of a process stuck in the kernel.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, UNIX_EPOCH};

use cvmfs_core::image::environment::{ENV_FILE, ImageEnvironment};
use cvmfs_core::image::layout::{
    ImageManifest, chain_ids, chain_path, layer_path, metadata_manifest_path, parse_manifest,
    public_path,
};
use cvmfs_core::image::{ImageSpec, Pattern};
use serde::Serialize;

/// A layer of the image and whether the repository holds it unpacked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerState {
    /// The compressed blob digest (`sha256:...`).
    pub digest: String,
    /// `.layers/<xx>/<hex>/layerfs`.
    pub path: Option<PathBuf>,
    /// Whether that directory exists.
    pub present: bool,
    /// `.chains/<xx>/<id>`: the root filesystem after this layer, named by DUCC's chain
    /// id (absent for a layer whose digest is not `sha256:`).
    pub chain: Option<PathBuf>,
    /// Whether that directory exists.
    pub chain_present: bool,
}

/// One image as the repository holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedImage {
    /// The specification of this one image (a wildcard's tag filled in).
    pub spec: String,
    /// The tag, or the digest for a digest-only image.
    pub reference: String,
    /// `<repository root>/<registry>/<repository>:<reference>`.
    pub public_path: PathBuf,
    /// What the public symlink says, as the mount shows it (variables expanded).
    pub link: Option<String>,
    /// Where the public path leads: `<repository root>/.flat/<xx>/<config digest>`.
    pub canonical_path: PathBuf,
    /// The config digest (`sha256:...`) that names the flat.
    pub config_digest: String,
    /// Unix seconds of the public symlink's mtime: when DUCC last pointed it.
    pub updated: Option<u64>,
    /// The manifest DUCC stored in `.metadata`, when readable.
    pub manifest: Option<ImageManifest>,
    /// The layers the manifest lists.
    pub layers: Vec<LayerState>,
    /// Why the manifest is missing or disagrees with the flat (DUCC may be mid-update).
    pub notes: Vec<String>,
    /// The image's `ENV` from the flat's Singularity environment file.
    pub environment: ImageEnvironment,
}

/// A tag a wildcard matched that could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// The tag.
    pub reference: String,
    /// Why.
    pub error: String,
}

/// What a specification resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The wildcard pattern, when the tag had one.
    pub pattern: Option<String>,
    /// The images, in tag order.
    pub images: Vec<ResolvedImage>,
    /// For a wildcard: matching tags that could not be resolved, and why (the others are
    /// still resolved).
    pub unresolved: Vec<Unresolved>,
    /// For a wildcard: the published tags it was compared with.
    pub published_tags: Vec<String>,
    /// For a wildcard: published tags a shell glob would judge differently (DUCC's `.`
    /// and other regex characters).
    pub glob_differs: Vec<String>,
}

/// Why an image cannot be resolved; each names the path it was at.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The specification names no tag or digest: DUCC publishes no path for it.
    #[error("{spec}: no tag or digest, so there is no published path (add :TAG)")]
    NoReference {
        /// The specification.
        spec: String,
    },
    /// The repository's directory does not exist: it is not mounted.
    #[error("{} does not exist: the repository is not mounted there", root.display())]
    NotMounted {
        /// The repository root.
        root: PathBuf,
    },
    /// Nothing is published at the public path.
    #[error("{spec} is not published in this repository: {} does not exist", path.display())]
    NotPublished {
        /// The specification.
        spec: String,
        /// The public path.
        path: PathBuf,
    },
    /// A path could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The public path does not lead into `.flat/<xx>/<64 hex>`.
    #[error(
        "{} leads to {}, which is not a flat root filesystem (.flat/<xx>/<config digest>) of {}",
        public_path.display(), canonical.display(), root.display()
    )]
    NotAFlat {
        /// The public path.
        public_path: PathBuf,
        /// Where it leads.
        canonical: PathBuf,
        /// The repository root.
        root: PathBuf,
    },
    /// A wildcard's directory could not be listed.
    #[error("cannot list {} for the tags of {spec}: {source}", dir.display())]
    ListTags {
        /// The specification.
        spec: String,
        /// The directory.
        dir: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The mount did not answer in time.
    #[error("{} did not answer within {} ms (a hung mount: try `cvmfs-cli repair`)", root.display(), after.as_millis())]
    Hung {
        /// The repository root.
        root: PathBuf,
        /// The deadline.
        after: Duration,
    },
    /// The worker thread could not be started.
    #[error("cannot start the resolving thread: {source}")]
    Spawn {
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Resolves `spec` in the repository mounted at `root` (`/cvmfs/unpacked.cern.ch`),
/// within `timeout`.
pub fn resolve(
    root: &Path,
    spec: &ImageSpec,
    timeout: Duration,
) -> Result<Resolution, ResolveError> {
    let (sender, receiver) = mpsc::channel();
    let (job_root, job_spec) = (root.to_owned(), spec.clone());
    std::thread::Builder::new()
        .name("cvmfs-image-resolve".to_owned())
        .spawn(move || {
            // The receiver is gone after a timeout: nothing to do then.
            let _ = sender.send(resolve_now(&job_root, &job_spec));
        })
        .map_err(|source| ResolveError::Spawn { source })?;
    receiver
        .recv_timeout(timeout)
        .unwrap_or(Err(ResolveError::Hung {
            root: root.to_owned(),
            after: timeout,
        }))
}

/// [`resolve`] on the calling thread, without a deadline.
pub fn resolve_now(root: &Path, spec: &ImageSpec) -> Result<Resolution, ResolveError> {
    if let Err(e) = std::fs::symlink_metadata(root) {
        return Err(if e.kind() == std::io::ErrorKind::NotFound {
            ResolveError::NotMounted {
                root: root.to_owned(),
            }
        } else {
            read_error(root)(e)
        });
    }
    if !spec.is_wildcard() {
        let image = resolve_one(root, spec)?;
        return Ok(Resolution {
            pattern: None,
            images: vec![image],
            unresolved: Vec::new(),
            published_tags: Vec::new(),
            glob_differs: Vec::new(),
        });
    }
    let pattern_text = spec.tag.clone().unwrap_or_default();
    let pattern = Pattern::new(&pattern_text);
    let published_tags = published_tags(root, spec)?;
    let mut images = Vec::new();
    let mut unresolved = Vec::new();
    for tag in pattern.expand(&published_tags) {
        match resolve_one(root, &spec.with_tag(tag)) {
            Ok(image) => images.push(image),
            Err(err) => unresolved.push(Unresolved {
                reference: tag.to_owned(),
                error: err.to_string(),
            }),
        }
    }
    let glob_differs = pattern
        .differs_from_glob(&published_tags)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(Resolution {
        pattern: Some(pattern_text),
        images,
        unresolved,
        published_tags,
        glob_differs,
    })
}

/// The tags published for the spec's repository: the names `<last component>:<tag>` in
/// its registry directory (digest-only entries, whose "tag" holds a `:`, left out).
fn published_tags(root: &Path, spec: &ImageSpec) -> Result<Vec<String>, ResolveError> {
    let (parent, base) = match spec.repository.rsplit_once('/') {
        Some((parent, base)) => (root.join(&spec.registry).join(parent), base),
        None => (root.join(&spec.registry), spec.repository.as_str()),
    };
    let entries = match std::fs::read_dir(&parent) {
        Ok(entries) => entries,
        // A registry or namespace nobody published: no tags, which the caller reports.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ResolveError::ListTags {
                spec: spec.to_string(),
                dir: parent,
                source,
            });
        }
    };
    let prefix = format!("{base}:");
    let mut tags = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ResolveError::ListTags {
            spec: spec.to_string(),
            dir: parent.clone(),
            source,
        })?;
        let name = entry.file_name();
        if let Some(tag) = name.to_str().and_then(|n| n.strip_prefix(&prefix))
            && !tag.is_empty()
            && !tag.contains(':')
        {
            tags.push(tag.to_owned());
        }
    }
    tags.sort();
    Ok(tags)
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> ResolveError + '_ {
    move |source| ResolveError::Read {
        path: path.to_owned(),
        source,
    }
}

/// The config digest a canonical path names, when it is `<root>/.flat/<xx>/<64 hex>`
/// with `xx` the digest's first two characters.
fn flat_digest(root: &Path, canonical: &Path) -> Option<String> {
    let rest = canonical.strip_prefix(root).ok()?;
    let parts: Vec<&str> = rest.iter().map(|p| p.to_str()).collect::<Option<_>>()?;
    match parts.as_slice() {
        [".flat", prefix, hex]
            if hex.len() == 64
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
                && hex.starts_with(prefix)
                && prefix.len() == 2 =>
        {
            Some(format!("sha256:{hex}"))
        }
        _ => None,
    }
}

/// Resolves one image with a concrete tag or digest.
fn resolve_one(root: &Path, spec: &ImageSpec) -> Result<ResolvedImage, ResolveError> {
    let public = public_path(root, spec).ok_or_else(|| ResolveError::NoReference {
        spec: spec.to_string(),
    })?;
    let link_meta = match std::fs::symlink_metadata(&public) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ResolveError::NotPublished {
                spec: spec.to_string(),
                path: public,
            });
        }
        Err(source) => return Err(read_error(&public)(source)),
    };
    let link = link_meta
        .file_type()
        .is_symlink()
        .then(|| std::fs::read_link(&public))
        .transpose()
        .map_err(read_error(&public))?
        .map(|target| target.display().to_string());
    let updated = link_meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    // The repository root itself may sit behind symlinks (a bind, /cvmfs itself a link):
    // compare canonical with canonical.
    let canonical_root = std::fs::canonicalize(root).map_err(read_error(root))?;
    let canonical = std::fs::canonicalize(&public).map_err(read_error(&public))?;
    let config_digest =
        flat_digest(&canonical_root, &canonical).ok_or_else(|| ResolveError::NotAFlat {
            public_path: public.clone(),
            canonical: canonical.clone(),
            root: canonical_root.clone(),
        })?;
    let mut notes = Vec::new();
    let manifest_path = metadata_manifest_path(root, spec);
    let manifest = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => match parse_manifest(&text) {
            Ok(manifest) => Some(manifest),
            Err(err) => {
                notes.push(format!("{}: {err}", manifest_path.display()));
                None
            }
        },
        Err(err) => {
            notes.push(format!("{}: {err}", manifest_path.display()));
            None
        }
    };
    if let Some(m) = &manifest
        && m.config_digest != config_digest
    {
        notes.push(format!(
            "the stored manifest names config {} but the public path leads to {config_digest} (DUCC may be updating this tag)",
            m.config_digest
        ));
    }
    let digests = manifest.as_ref().map_or(&[][..], |m| m.layers.as_slice());
    let chains = chain_ids(digests);
    let layers = digests
        .iter()
        .enumerate()
        .map(|(i, digest)| {
            let path = layer_path(root, digest);
            let chain = chains.get(i).and_then(|id| chain_path(root, id));
            LayerState {
                digest: digest.clone(),
                present: path.as_deref().is_some_and(Path::is_dir),
                path,
                chain_present: chain.as_deref().is_some_and(Path::is_dir),
                chain,
            }
        })
        .collect();
    let env_path = canonical.join(ENV_FILE);
    let environment = match std::fs::read(&env_path) {
        Ok(bytes) => cvmfs_core::image::environment::parse(&String::from_utf8_lossy(&bytes)),
        Err(err) => {
            notes.push(format!(
                "{}: {err} (no image environment)",
                env_path.display()
            ));
            ImageEnvironment::default()
        }
    };
    Ok(ResolvedImage {
        spec: spec.to_string(),
        reference: spec.reference().unwrap_or_default().to_owned(),
        public_path: public,
        link,
        canonical_path: canonical,
        config_digest,
        updated,
        manifest,
        layers,
        notes,
        environment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cvmfs_core::image::parse;
    use std::os::unix::fs::symlink;

    const C: &str = "5e35e350aded98340bc8fcb0ba392d809c807bc3eb5c618d4a0674d98d88bccd";
    const L: &str = "aa11e350aded98340bc8fcb0ba392d809c807bc3eb5c618d4a0674d98d88bccd";

    /// A DUCC-shaped tree in a plain directory (the mounted case is the privileged test).
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let flat = r.join(".flat/5e").join(C);
        std::fs::create_dir_all(flat.join(".singularity.d/env")).unwrap();
        std::fs::write(
            flat.join(ENV_FILE),
            "#!/bin/sh\nexport PATH=\"/bin\"\nexport GREETING=\"${GREETING:-hi}\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(r.join(".layers/aa").join(L).join("layerfs")).unwrap();
        let lib = r.join("registry.hub.docker.com/library");
        std::fs::create_dir_all(&lib).unwrap();
        for tag in ["1.36", "1.36.1", "1x36", "latest"] {
            symlink(
                format!("../../.flat/5e/{C}"),
                lib.join(format!("busybox:{tag}")),
            )
            .unwrap();
        }
        symlink(
            format!("../../.flat/5e/{C}"),
            lib.join(format!("busybox:sha256:{C}")),
        )
        .unwrap();
        symlink("../../nowhere", lib.join("busybox:broken")).unwrap();
        let meta = r.join(".metadata/registry.hub.docker.com/library/busybox:1.36");
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("manifest.json"),
            format!(r#"{{"Config":{{"Digest":"sha256:{C}"}},"Layers":[{{"Digest":"sha256:{L}"}},{{"Digest":"sha256:{C}"}}]}}"#),
        )
        .unwrap();
        dir
    }

    fn spec(text: &str) -> ImageSpec {
        parse(text).unwrap().0
    }

    #[test]
    fn an_exact_tag_resolves_to_its_flat_layers_and_environment() {
        let dir = tree();
        let found = resolve(
            dir.path(),
            &spec("https://registry.hub.docker.com/library/busybox:1.36"),
            Duration::from_secs(10),
        )
        .unwrap();
        let image = &found.images[0];
        assert_eq!(image.config_digest, format!("sha256:{C}"));
        assert!(image.canonical_path.ends_with(format!(".flat/5e/{C}")));
        assert_eq!(
            image.link.as_deref(),
            Some(format!("../../.flat/5e/{C}").as_str())
        );
        assert_eq!(image.layers.len(), 2);
        assert!(image.layers[0].present);
        assert!(!image.layers[1].present);
        assert_eq!(
            image.environment.assignments(),
            ["PATH=/bin", "GREETING=hi"]
        );
        assert!(image.notes.is_empty(), "{:?}", image.notes);
        assert!(image.updated.is_some());
    }

    #[test]
    fn a_wildcard_matches_published_tags_by_ducc_rule() {
        let dir = tree();
        let found = resolve_now(
            dir.path(),
            &spec("https://registry.hub.docker.com/library/busybox:1.36*"),
        )
        .unwrap();
        let tags: Vec<&str> = found.images.iter().map(|i| i.reference.as_str()).collect();
        // `*` matches nothing too, `.` any character (DUCC's regex); digest-only names
        // and broken links are not tags of the pattern.
        assert_eq!(tags, ["1.36", "1.36.1", "1x36"]);
        assert_eq!(found.glob_differs, ["1x36"]);
        assert_eq!(found.pattern.as_deref(), Some("1.36*"));
        assert_eq!(
            found.published_tags,
            ["1.36", "1.36.1", "1x36", "broken", "latest"]
        );
        // A broken tag among the matches is reported; the others still resolve.
        let all = resolve_now(
            dir.path(),
            &spec("https://registry.hub.docker.com/library/busybox:*"),
        )
        .unwrap();
        assert_eq!(all.images.len(), 4);
        assert_eq!(all.unresolved.len(), 1);
        assert_eq!(all.unresolved[0].reference, "broken");
    }

    #[test]
    fn missing_broken_and_digest_only_images_say_what_they_are() {
        let dir = tree();
        let missing = resolve_now(
            dir.path(),
            &spec("https://registry.hub.docker.com/library/busybox:9"),
        )
        .unwrap_err();
        assert!(
            matches!(missing, ResolveError::NotPublished { .. }),
            "{missing}"
        );
        assert!(
            missing.to_string().contains("busybox:9 does not exist"),
            "{missing}"
        );
        let broken = resolve_now(
            dir.path(),
            &spec("https://registry.hub.docker.com/library/busybox:broken"),
        )
        .unwrap_err();
        assert!(matches!(broken, ResolveError::Read { .. }), "{broken}");
        let by_digest = resolve_now(
            dir.path(),
            &spec(&format!(
                "https://registry.hub.docker.com/library/busybox@sha256:{C}"
            )),
        )
        .unwrap();
        assert_eq!(by_digest.images[0].reference, format!("sha256:{C}"));
        // Its manifest directory is the repository's (none here): a note, not a failure.
        assert!(!by_digest.images[0].notes.is_empty());
        let nothing = resolve_now(dir.path(), &spec("https://ghcr.io/nobody/nothing:*")).unwrap();
        assert!(nothing.images.is_empty());
        assert!(matches!(
            resolve_now(&dir.path().join("absent"), &spec("https://r.io/x/y:1")),
            Err(ResolveError::NotMounted { .. })
        ));
        assert!(matches!(
            resolve_now(dir.path(), &spec("https://r.io/x/y")),
            Err(ResolveError::NoReference { .. })
        ));
    }

    #[test]
    fn a_path_outside_the_flats_is_refused() {
        let dir = tree();
        let lib = dir.path().join("registry.hub.docker.com/library");
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        symlink("../../elsewhere", lib.join("busybox:odd")).unwrap();
        let err = resolve_now(
            dir.path(),
            &spec("https://registry.hub.docker.com/library/busybox:odd"),
        )
        .unwrap_err();
        assert!(matches!(err, ResolveError::NotAFlat { .. }), "{err}");
    }
}
