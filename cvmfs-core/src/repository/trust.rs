//! The verification chain, as a pure function over bytes: master public keys → whitelist
//! (raw PKCS#1 v1.5 signature over its ASCII hash string, name, expiry) → the certificate's
//! fingerprint listed there and not blacklisted → the manifest's PKCS#1 v1.5/SHA-1
//! signature over its ASCII hash string → the root catalog hash. Plus: revisions and
//! timestamps never go backwards, and blacklisted revisions are refused. Nothing of the
//! repository is trusted before this returns `Ok`.

use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde::Serialize;
use sha1::Digest;
use x509_cert::der::{Decode, DecodePem, Encode};

use super::hash::ContentHash;
use super::manifest::{Manifest, ManifestError};
use super::whitelist::{Whitelist, WhitelistError};

/// The master public keys a client trusts (PEM `PUBLIC KEY`, RSA).
#[derive(Debug, Clone)]
pub struct TrustAnchors {
    keys: Vec<RsaPublicKey>,
}

/// Why a trust anchor cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: not an RSA public key in PEM (\"PUBLIC KEY\"): {reason}")]
pub struct BadAnchor {
    /// The key's name (file).
    pub name: String,
    /// Why.
    pub reason: String,
}

impl TrustAnchors {
    /// Reads PEM public keys; every key must parse.
    pub fn from_pem<'a>(
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, BadAnchor> {
        let keys = keys
            .into_iter()
            .map(|(name, pem)| {
                RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|e| BadAnchor {
                    name: name.to_owned(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { keys })
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys in PEM, one after the other (the client's `user.pubkeys`).
    pub fn to_pem(&self) -> String {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        self.keys
            .iter()
            .filter_map(|key| key.to_public_key_pem(LineEnding::LF).ok())
            .collect()
    }
}

/// A revision blacklist and certificate blacklist (`CVMFS_BLACKLIST`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blacklist {
    /// Certificates that must not sign.
    pub fingerprints: Vec<ContentHash>,
    /// `<fqrn N`: every revision below `N` of `fqrn` is refused.
    pub revisions: Vec<(String, u64)>,
}

impl Blacklist {
    /// Parses the file: fingerprint lines (whitelist format) and `<fqrn N` lines.
    pub fn parse(text: &str) -> Self {
        let mut list = Self::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix('<') {
                if let Some((fqrn, n)) = rest.split_once(' ')
                    && let Ok(n) = n.parse()
                {
                    list.revisions.push((fqrn.to_owned(), n));
                }
            } else {
                let cleaned = line.trim().to_ascii_lowercase().replace(':', "");
                if let Ok(hash) = ContentHash::parse(&cleaned) {
                    list.fingerprints.push(hash);
                }
            }
        }
        list
    }
}

/// What the client remembers from the last manifest it accepted for the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AcceptedState {
    /// The revision.
    pub revision: u64,
    /// The publish timestamp.
    pub timestamp: Option<u64>,
    /// The root catalog.
    pub root_catalog: ContentHash,
}

/// What a verification needs besides the documents.
#[derive(Debug, Clone)]
pub struct TrustContext<'a> {
    /// The repository expected.
    pub fqrn: &'a str,
    /// The master keys.
    pub anchors: &'a TrustAnchors,
    /// "Now", in Unix seconds (whitelist expiry).
    pub now_unix: u64,
    /// The last accepted manifest, if any.
    pub accepted: Option<AcceptedState>,
    /// The blacklist.
    pub blacklist: &'a Blacklist,
}

/// A manifest whose whole chain verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedManifest {
    /// The manifest.
    pub manifest: Manifest,
    /// The whitelist that vouched for the certificate.
    pub whitelist: Whitelist,
    /// The certificate's fingerprint (SHA-1 over its DER).
    pub certificate_fingerprint: ContentHash,
}

impl TrustedManifest {
    /// The state to remember for the next verification.
    pub fn accepted_state(&self) -> AcceptedState {
        AcceptedState {
            revision: self.manifest.revision,
            timestamp: self.manifest.timestamp,
            root_catalog: self.manifest.root_catalog,
        }
    }
}

/// Why the chain did not verify; each names the link that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// The manifest does not parse or its body does not hash to its signed line.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The whitelist does not parse or its body does not hash to its signed line.
    #[error(transparent)]
    Whitelist(#[from] WhitelistError),
    /// The manifest is for another repository.
    #[error("the manifest is for {found}, not {expected}")]
    ManifestName {
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
    /// The whitelist is for another repository.
    #[error("the whitelist is for {found}, not {expected}")]
    WhitelistName {
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
    /// No master key verifies the whitelist's signature.
    #[error("the whitelist's signature is not made by any of the {keys} trusted master key(s)")]
    WhitelistSignature {
        /// How many keys were tried.
        keys: usize,
    },
    /// The whitelist has expired.
    #[error("the whitelist expired at {expires} UTC (hour granularity)")]
    WhitelistExpired {
        /// Its expiry line.
        expires: String,
    },
    /// PKCS#7 whitelists are not supported.
    #[error("the whitelist asks for PKCS#7 verification, which this client does not do")]
    WhitelistPkcs7,
    /// The certificate object is not a PEM X.509 certificate with an RSA key.
    #[error("the certificate is unusable: {reason}")]
    Certificate {
        /// Why.
        reason: String,
    },
    /// The certificate is not listed in the whitelist.
    #[error("the certificate {fingerprint} is not listed in the whitelist")]
    CertificateNotListed {
        /// Its SHA-1 fingerprint.
        fingerprint: String,
    },
    /// The certificate is blacklisted.
    #[error("the certificate {fingerprint} is blacklisted")]
    CertificateBlacklisted {
        /// Its fingerprint.
        fingerprint: String,
    },
    /// The manifest's signature does not verify with the certificate.
    #[error("the manifest's signature does not verify with the certificate {fingerprint}")]
    ManifestSignature {
        /// The certificate's fingerprint.
        fingerprint: String,
    },
    /// The revision is blacklisted.
    #[error("revision {revision} of {fqrn} is blacklisted (revisions below {minimum} are)")]
    RevisionBlacklisted {
        /// The repository.
        fqrn: String,
        /// The revision offered.
        revision: u64,
        /// The blacklist's minimum.
        minimum: u64,
    },
    /// The manifest is older than one already accepted (a replay).
    #[error(
        "the manifest (revision {revision}, timestamp {timestamp:?}) is older than the accepted one (revision {accepted_revision}, timestamp {accepted_timestamp:?})"
    )]
    Rollback {
        /// Offered revision.
        revision: u64,
        /// Offered timestamp.
        timestamp: Option<u64>,
        /// Accepted revision.
        accepted_revision: u64,
        /// Accepted timestamp.
        accepted_timestamp: Option<u64>,
    },
    /// Same revision, another root catalog.
    #[error(
        "revision {revision} was accepted with root catalog {accepted}, now it names {offered}"
    )]
    Fork {
        /// The revision.
        revision: u64,
        /// The accepted root.
        accepted: String,
        /// The offered root.
        offered: String,
    },
}

/// Verifies the chain. `certificate_pem` is the certificate object after its own hash
/// check and decompression (the caller fetched it by the manifest's `X`).
pub fn verify(
    context: &TrustContext<'_>,
    manifest_bytes: &[u8],
    whitelist_bytes: &[u8],
    certificate_pem: &[u8],
) -> Result<TrustedManifest, TrustError> {
    // The whitelist first: nothing the manifest says is used before it is vouched for.
    let (whitelist, whitelist_doc) = Whitelist::parse(whitelist_bytes)?;
    whitelist_doc
        .check_body()
        .map_err(|e| TrustError::Whitelist(e.into()))?;
    let unprefixed = Pkcs1v15Sign::new_unprefixed();
    let signed_by_master = context.anchors.keys.iter().any(|key| {
        key.verify(
            unprefixed.clone(),
            whitelist_doc.printed_hash.as_bytes(),
            &whitelist_doc.signature,
        )
        .is_ok()
    });
    if !signed_by_master {
        return Err(TrustError::WhitelistSignature {
            keys: context.anchors.len(),
        });
    }
    if whitelist.fqrn != context.fqrn {
        return Err(TrustError::WhitelistName {
            expected: context.fqrn.to_owned(),
            found: whitelist.fqrn,
        });
    }
    if whitelist.pkcs7 {
        return Err(TrustError::WhitelistPkcs7);
    }
    if !whitelist.is_valid_at(context.now_unix) {
        return Err(TrustError::WhitelistExpired {
            expires: whitelist.expires,
        });
    }
    // The certificate: listed, not blacklisted.
    let certificate = x509_cert::Certificate::from_pem(certificate_pem)
        .or_else(|_| x509_cert::Certificate::from_der(certificate_pem))
        .map_err(|e| TrustError::Certificate {
            reason: e.to_string(),
        })?;
    let der = certificate.to_der().map_err(|e| TrustError::Certificate {
        reason: e.to_string(),
    })?;
    let sha1_fingerprint = ContentHash::of(super::hash::HashAlgorithm::Sha1, &der);
    let listed = whitelist
        .fingerprints
        .iter()
        .any(|f| ContentHash::of(f.algorithm, &der) == *f);
    if !listed {
        return Err(TrustError::CertificateNotListed {
            fingerprint: sha1_fingerprint.to_string(),
        });
    }
    if context
        .blacklist
        .fingerprints
        .iter()
        .any(|f| ContentHash::of(f.algorithm, &der) == *f)
    {
        return Err(TrustError::CertificateBlacklisted {
            fingerprint: sha1_fingerprint.to_string(),
        });
    }
    let spki_der = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| TrustError::Certificate {
            reason: e.to_string(),
        })?;
    let key =
        RsaPublicKey::from_public_key_der(&spki_der).map_err(|e| TrustError::Certificate {
            reason: format!("not an RSA key: {e}"),
        })?;
    // The manifest: body hash, then its signature by the certificate's key.
    let (manifest, manifest_doc) = Manifest::parse(manifest_bytes)?;
    manifest_doc
        .check_body()
        .map_err(|e| TrustError::Manifest(e.into()))?;
    let digest = sha1::Sha1::digest(manifest_doc.printed_hash.as_bytes());
    key.verify(
        Pkcs1v15Sign::new::<sha1::Sha1>(),
        &digest,
        &manifest_doc.signature,
    )
    .map_err(|_| TrustError::ManifestSignature {
        fingerprint: sha1_fingerprint.to_string(),
    })?;
    if manifest.fqrn.as_str() != context.fqrn {
        return Err(TrustError::ManifestName {
            expected: context.fqrn.to_owned(),
            found: manifest.fqrn.to_string(),
        });
    }
    // Replays and blacklisted revisions.
    for (fqrn, minimum) in &context.blacklist.revisions {
        if fqrn == context.fqrn && manifest.revision < *minimum {
            return Err(TrustError::RevisionBlacklisted {
                fqrn: fqrn.clone(),
                revision: manifest.revision,
                minimum: *minimum,
            });
        }
    }
    if let Some(accepted) = context.accepted {
        let older_timestamp = matches!(
            (manifest.timestamp, accepted.timestamp),
            (Some(t), Some(a)) if t < a
        );
        if manifest.revision < accepted.revision || older_timestamp {
            return Err(TrustError::Rollback {
                revision: manifest.revision,
                timestamp: manifest.timestamp,
                accepted_revision: accepted.revision,
                accepted_timestamp: accepted.timestamp,
            });
        }
        if manifest.revision == accepted.revision && manifest.root_catalog != accepted.root_catalog
        {
            return Err(TrustError::Fork {
                revision: manifest.revision,
                accepted: accepted.root_catalog.to_string(),
                offered: manifest.root_catalog.to_string(),
            });
        }
    }
    Ok(TrustedManifest {
        manifest,
        whitelist,
        certificate_fingerprint: sha1_fingerprint,
    })
}
