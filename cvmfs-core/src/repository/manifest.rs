//! `.cvmfspublished`: the signed manifest naming the root catalog.

use serde::Serialize;

use super::hash::{ContentHash, InvalidHash};
use super::signed_document::{EnvelopeError, SignedDocument};
use crate::fqrn::Fqrn;

/// The MD5 of the empty root path, the only valid `R`.
pub const ROOT_PATH_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// A parsed manifest (its signature is checked by [`super::trust`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// `C`: the root catalog.
    pub root_catalog: ContentHash,
    /// `B`: the root catalog's size, when given.
    pub root_catalog_size: Option<u64>,
    /// `D`: the TTL in seconds.
    pub ttl: u64,
    /// `S`: the revision.
    pub revision: u64,
    /// `N`: the repository.
    pub fqrn: Fqrn,
    /// `X`: the signing certificate.
    pub certificate: ContentHash,
    /// `H`: the history database.
    pub history: Option<ContentHash>,
    /// `T`: the publish time (Unix seconds).
    pub timestamp: Option<u64>,
    /// `G`: garbage-collectable.
    pub garbage_collectable: bool,
    /// `A`: use `.cvmfsalt-*` paths.
    pub alternative_paths: bool,
    /// `M`: meta-info JSON.
    pub meta_info: Option<ContentHash>,
    /// `Y`: the hash of `.cvmfsreflog`.
    pub reflog: Option<ContentHash>,
}

/// Why a manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The envelope is broken.
    #[error("manifest: {0}")]
    Envelope(#[from] EnvelopeError),
    /// A required key is missing.
    #[error("manifest: the required key {0} is missing")]
    Missing(char),
    /// A key's value does not parse.
    #[error("manifest: key {key} has the invalid value {value:?}: {reason}")]
    BadValue {
        /// The key.
        key: char,
        /// The value (shortened).
        value: String,
        /// Why.
        reason: String,
    },
    /// `R` is not the MD5 of the empty path.
    #[error("manifest: the root path hash is {0}, not md5(\"\")")]
    RootMismatch(String),
}

fn bad(key: char, value: &str, reason: impl ToString) -> ManifestError {
    ManifestError::BadValue {
        key,
        value: value.chars().take(80).collect(),
        reason: reason.to_string(),
    }
}

impl Manifest {
    /// Parses a manifest's envelope and body (not its signature).
    pub fn parse(bytes: &[u8]) -> Result<(Self, SignedDocument), ManifestError> {
        let document = SignedDocument::split(bytes)?;
        let mut values: std::collections::BTreeMap<char, String> = Default::default();
        for line in document.body_lines() {
            let Ok(line) = std::str::from_utf8(line) else {
                continue;
            };
            let mut chars = line.chars();
            if let Some(key) = chars.next() {
                values.insert(key, chars.as_str().to_owned());
            }
        }
        let required = |key: char| values.get(&key).ok_or(ManifestError::Missing(key));
        let hash = |key: char, value: &str| -> Result<ContentHash, ManifestError> {
            ContentHash::parse(value).map_err(|e: InvalidHash| bad(key, value, e.reason))
        };
        let optional_hash = |key: char| -> Result<Option<ContentHash>, ManifestError> {
            values.get(&key).map(|v| hash(key, v)).transpose()
        };
        let number = |key: char, value: &str| -> Result<u64, ManifestError> {
            value.parse().map_err(|e| bad(key, value, e))
        };
        let root = required('R')?;
        if root != ROOT_PATH_MD5 {
            return Err(ManifestError::RootMismatch(root.clone()));
        }
        let fqrn_text = required('N')?;
        let manifest = Self {
            root_catalog: hash('C', required('C')?)?,
            root_catalog_size: values.get(&'B').map(|v| number('B', v)).transpose()?,
            ttl: number('D', required('D')?)?,
            revision: number('S', required('S')?)?,
            fqrn: Fqrn::parse(fqrn_text).map_err(|e| bad('N', fqrn_text, e))?,
            certificate: hash('X', required('X')?)?,
            history: optional_hash('H')?,
            timestamp: values.get(&'T').map(|v| number('T', v)).transpose()?,
            garbage_collectable: values.get(&'G').is_some_and(|v| v == "yes"),
            alternative_paths: values.get(&'A').is_some_and(|v| v == "yes"),
            meta_info: optional_hash('M')?,
            reflog: optional_hash('Y')?,
        };
        Ok((manifest, document))
    }

    /// The body as the publisher writes it (keys in the writer's order).
    pub fn render_body(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut out = format!("C{}\n", self.root_catalog);
        if let Some(size) = self.root_catalog_size {
            out.push_str(&format!("B{size}\n"));
        }
        out.push_str(&format!(
            "R{ROOT_PATH_MD5}\nD{}\nS{}\nG{}\nA{}\nN{}\nX{}\n",
            self.ttl,
            self.revision,
            yes(self.garbage_collectable),
            yes(self.alternative_paths),
            self.fqrn,
            self.certificate
        ));
        if let Some(history) = &self.history {
            out.push_str(&format!("H{history}\n"));
        }
        if let Some(timestamp) = self.timestamp {
            out.push_str(&format!("T{timestamp}\n"));
        }
        if let Some(meta) = &self.meta_info {
            out.push_str(&format!("M{meta}\n"));
        }
        if let Some(reflog) = &self.reflog {
            out.push_str(&format!("Y{reflog}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] =
        include_bytes!("../../../testdata/cvmfs/fixture.example.org/.cvmfspublished");

    #[test]
    fn the_fixture_manifest_parses_and_renders_byte_exact() {
        let (manifest, document) = Manifest::parse(FIXTURE).unwrap();
        assert_eq!(manifest.revision, 4);
        assert_eq!(manifest.fqrn.as_str(), "fixture.example.org");
        assert_eq!(
            manifest.root_catalog.to_string(),
            "e4d912057896a9752596b3755a88ed600def528c"
        );
        assert_eq!(manifest.ttl, 240);
        assert_eq!(manifest.root_catalog_size, Some(76800));
        assert_eq!(manifest.render_body().as_bytes(), document.body);
        document.check_body().unwrap();
    }

    #[test]
    fn a_wrong_root_path_or_missing_key_is_refused() {
        let text = String::from_utf8_lossy(FIXTURE).into_owned();
        let body_end = text.find("--\n").unwrap();
        let body = &text[..body_end];
        let with = |body: &str| {
            let mut bytes = body.as_bytes().to_vec();
            bytes.extend_from_slice(b"--\nabc\nsig");
            Manifest::parse(&bytes)
        };
        assert!(matches!(
            with(&body.replace("Rd41d8cd98f00b204e9800998ecf8427e", "R00")),
            Err(ManifestError::RootMismatch(_))
        ));
        assert!(matches!(
            with(&body.replace("S4\n", "")),
            Err(ManifestError::Missing('S'))
        ));
    }
}
