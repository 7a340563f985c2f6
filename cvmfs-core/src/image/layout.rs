//! Where DUCC puts an image in the repository: the public path
//! `<repository>/<registry>/<image repository>:<tag-or-digest>` (a relative symlink into
//! `.flat/`), the flat root filesystem `.flat/<c[0:2]>/<c>` named by the config digest,
//! the layers `.layers/<l[0:2]>/<l>/layerfs`, the chains `.chains/<h[0:2]>/<h>` (the root
//! filesystem after each layer, named by DUCC's own chain ids), and the manifest DUCC used in
//! `.metadata/<registry>/<image repository>:<tag>/manifest.json` (Go-marshalled: keys are
//! matched without regard to case).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::spec::ImageSpec;

/// The image's public path below the repository root `root`.
pub fn public_path(root: &Path, spec: &ImageSpec) -> Option<PathBuf> {
    let reference = spec.reference()?;
    Some(
        root.join(&spec.registry)
            .join(format!("{}:{reference}", spec.repository)),
    )
}

/// The hex part of a `sha256:` digest, when it is one.
fn hex_of(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// The flat root filesystem of the image whose config digest is `digest`.
pub fn flat_path(root: &Path, digest: &str) -> Option<PathBuf> {
    let hex = hex_of(digest)?;
    Some(root.join(".flat").join(&hex[..2]).join(hex))
}

/// The unpacked layer whose compressed blob digest is `digest`.
pub fn layer_path(root: &Path, digest: &str) -> Option<PathBuf> {
    let hex = hex_of(digest)?;
    Some(
        root.join(".layers")
            .join(&hex[..2])
            .join(hex)
            .join("layerfs"),
    )
}

/// DUCC's chain ids of a layer list, bottom first: `h0 = sha256("sha256:<l0>")` and
/// `hi = sha256("sha256:<h(i-1)> sha256:<li>")` over the UTF-8 text. These are not the
/// OCI chain ids (which hash uncompressed diff ids). Layers that are not `sha256:` hex
/// digests end the list: DUCC has no chain for them.
pub fn chain_ids(layers: &[String]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    let mut ids: Vec<String> = Vec::with_capacity(layers.len());
    for layer in layers {
        let Some(hex) = hex_of(layer) else { break };
        let text = match ids.last() {
            None => format!("sha256:{hex}"),
            Some(previous) => format!("sha256:{previous} sha256:{hex}"),
        };
        ids.push(hex::encode(Sha256::digest(text.as_bytes())));
    }
    ids
}

/// The chain (root filesystem after some layers) with DUCC chain id `id`.
pub fn chain_path(root: &Path, id: &str) -> Option<PathBuf> {
    let hex = hex_of(id)?;
    Some(root.join(".chains").join(&hex[..2]).join(hex))
}

/// The manifest DUCC stored for a tagged image (digest-only images share their
/// repository's directory).
pub fn metadata_manifest_path(root: &Path, spec: &ImageSpec) -> PathBuf {
    let dir = match &spec.tag {
        Some(tag) => format!("{}:{tag}", spec.repository),
        None => spec.repository.clone(),
    };
    root.join(".metadata")
        .join(&spec.registry)
        .join(dir)
        .join("manifest.json")
}

/// What `.metadata/.../manifest.json` says about an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageManifest {
    /// The config digest (`sha256:...`): the flat's name.
    pub config_digest: String,
    /// The layers' compressed blob digests, bottom first.
    pub layers: Vec<String>,
}

/// Why a stored manifest cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON.
    #[error("the image manifest is not JSON: {reason}")]
    NotJson {
        /// The parser's message.
        reason: String,
    },
    /// A required field is missing or not a string.
    #[error("the image manifest has no {field}")]
    Missing {
        /// The field (`Config.Digest`, `Layers[].Digest`).
        field: &'static str,
    },
}

/// The value of `key` in `object`, the key compared without regard to case.
fn field<'a>(object: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Reads a stored manifest (`SchemaVersion`, `Config{Digest}`, `Layers[{Digest}]`, any
/// case).
pub fn parse_manifest(text: &str) -> Result<ImageManifest, ManifestError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ManifestError::NotJson {
            reason: e.to_string(),
        })?;
    let config_digest = field(&value, "config")
        .and_then(|c| field(c, "digest"))
        .and_then(serde_json::Value::as_str)
        .ok_or(ManifestError::Missing {
            field: "Config.Digest",
        })?
        .to_owned();
    let layers = field(&value, "layers")
        .and_then(serde_json::Value::as_array)
        .ok_or(ManifestError::Missing { field: "Layers" })?
        .iter()
        .map(|layer| {
            field(layer, "digest")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or(ManifestError::Missing {
                    field: "Layers[].Digest",
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(ImageManifest {
        config_digest,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::spec::parse;
    use proptest::prelude::*;

    const C: &str = "5e35e350aded98340bc8fcb0ba392d809c807bc3eb5c618d4a0674d98d88bccd";

    #[test]
    fn paths_as_ducc_lays_them_out() {
        let root = Path::new("/cvmfs/unpacked.cern.ch");
        let (spec, _) = parse("https://registry.hub.docker.com/library/centos:centos7").unwrap();
        assert_eq!(
            public_path(root, &spec).unwrap(),
            Path::new("/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/centos:centos7")
        );
        assert_eq!(
            flat_path(root, &format!("sha256:{C}")).unwrap(),
            Path::new(&format!("/cvmfs/unpacked.cern.ch/.flat/5e/{C}"))
        );
        assert_eq!(
            layer_path(root, C).unwrap(),
            Path::new(&format!("/cvmfs/unpacked.cern.ch/.layers/5e/{C}/layerfs"))
        );
        assert_eq!(
            metadata_manifest_path(root, &spec),
            Path::new(
                "/cvmfs/unpacked.cern.ch/.metadata/registry.hub.docker.com/library/centos:centos7/manifest.json"
            )
        );
        let (digest_only, _) = parse(&format!("https://r.io/minio/minio@sha256:{C}")).unwrap();
        assert!(
            public_path(root, &digest_only)
                .unwrap()
                .ends_with(format!("minio:sha256:{C}"))
        );
        assert!(flat_path(root, "sha256:short").is_none());
    }

    #[test]
    fn chain_ids_follow_ducc_not_oci() {
        // Computed for this project with sha256sum over the same strings (not an
        // upstream fixture).
        let layers = vec![format!("sha256:{}", "a".repeat(64)), "b".repeat(64)];
        let ids = chain_ids(&layers);
        assert_eq!(
            ids,
            [
                "9f447b1b473d359884f2b8541a1ad0b7d194ed59b79e8eee48047ec4830564fd",
                "cf899a1982a597d90e00c94ecfb7b79be1ff95173488f6db5b844052e4cb9d83"
            ]
        );
        assert_eq!(
            chain_path(Path::new("/r"), &ids[1]).unwrap(),
            Path::new(&format!("/r/.chains/cf/{}", ids[1]))
        );
        assert_eq!(
            chain_ids(&["sha256:nothex".to_owned(), "a".repeat(64)]).len(),
            0
        );
    }

    #[test]
    fn stored_manifests_read_whatever_the_key_case() {
        let text = format!(
            r#"{{"SchemaVersion":2,"MediaType":"m","Config":{{"MediaType":"c","Size":1,"Digest":"sha256:{C}"}},"Layers":[{{"Digest":"sha256:aa"}},{{"digest":"sha256:bb"}}]}}"#
        );
        let manifest = parse_manifest(&text).unwrap();
        assert_eq!(manifest.config_digest, format!("sha256:{C}"));
        assert_eq!(manifest.layers, ["sha256:aa", "sha256:bb"]);
        assert_eq!(
            parse_manifest(r#"{"config":{}}"#),
            Err(ManifestError::Missing {
                field: "Config.Digest"
            })
        );
        assert!(matches!(
            parse_manifest("{"),
            Err(ManifestError::NotJson { .. })
        ));
    }

    proptest! {
        /// Any key case reads the same manifest; arbitrary text never panics.
        #[test]
        fn key_case_never_matters(upper in proptest::collection::vec(any::<bool>(), 4), junk in ".{0,40}") {
            let key = |name: &str, up: bool| if up { name.to_ascii_uppercase() } else { name.to_owned() };
            let text = format!(
                r#"{{"{}":{{"{}":"sha256:{C}"}},"{}":[{{"{}":"sha256:aa"}}]}}"#,
                key("config", upper[0]), key("digest", upper[1]), key("layers", upper[2]), key("digest", upper[3])
            );
            let manifest = parse_manifest(&text).unwrap();
            prop_assert_eq!(manifest.layers, vec!["sha256:aa".to_owned()]);
            let _ = parse_manifest(&junk);
        }
    }
}
