//! The publisher's keys: a master key (signs the whitelist; its public half is what
//! clients trust) and a repository key with a self-signed certificate (signs manifests).
//! Generated on first use into a key directory, private keys mode 0600.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{DecodePem, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::PublishError;

/// The keys a repository is published with.
pub struct PublisherKeys {
    /// Signs the whitelist.
    pub master: RsaPrivateKey,
    /// Signs manifests.
    pub repository: RsaPrivateKey,
    /// The repository key's certificate (PEM).
    pub certificate_pem: String,
    /// Where the master public key is (what clients get).
    pub master_public_path: PathBuf,
}

fn write_private(path: &Path, pem: &str) -> Result<(), PublishError> {
    let io = |source| PublishError::Keys {
        path: path.to_owned(),
        source,
    };
    std::fs::write(path, pem).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)
}

fn read(path: &Path) -> Result<String, PublishError> {
    std::fs::read_to_string(path).map_err(|source| PublishError::Keys {
        path: path.to_owned(),
        source,
    })
}

fn bad_key(path: &Path, reason: impl ToString) -> PublishError {
    PublishError::BadKey {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// Bits of generated keys.
const KEY_BITS: usize = 2048;

impl PublisherKeys {
    /// Loads the keys for `fqrn` from `dir`, generating what is missing.
    pub fn load_or_generate(dir: &Path, fqrn: &str) -> Result<Self, PublishError> {
        std::fs::create_dir_all(dir).map_err(|source| PublishError::Keys {
            path: dir.to_owned(),
            source,
        })?;
        let master_path = dir.join(format!("{fqrn}.masterkey"));
        let master_public_path = dir.join(format!("{fqrn}.pub"));
        let key_path = dir.join(format!("{fqrn}.key"));
        let certificate_path = dir.join(format!("{fqrn}.crt"));
        let mut rng = rand::thread_rng();
        let mut load_or_make = |path: &Path| -> Result<RsaPrivateKey, PublishError> {
            if path.exists() {
                RsaPrivateKey::from_pkcs8_pem(&read(path)?).map_err(|e| bad_key(path, e))
            } else {
                let key = RsaPrivateKey::new(&mut rng, KEY_BITS).map_err(|e| bad_key(path, e))?;
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| bad_key(path, e))?;
                write_private(path, &pem)?;
                Ok(key)
            }
        };
        let master = load_or_make(&master_path)?;
        let repository = load_or_make(&key_path)?;
        let master_public = RsaPublicKey::from(&master)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| bad_key(&master_public_path, e))?;
        // Rewritten only when it differs, and atomically: clients may be reading it.
        if std::fs::read_to_string(&master_public_path).ok().as_deref()
            != Some(master_public.as_str())
        {
            crate::atomic_file::write_atomically(&master_public_path, master_public.as_bytes())
                .map_err(|e| PublishError::Keys {
                    path: master_public_path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
        }
        let certificate_pem = match std::fs::read_to_string(&certificate_path) {
            Ok(pem) if x509_cert::Certificate::from_pem(&pem).is_ok() => pem,
            _ => {
                let pem =
                    self_signed(&repository, fqrn).map_err(|e| bad_key(&certificate_path, e))?;
                std::fs::write(&certificate_path, &pem).map_err(|source| PublishError::Keys {
                    path: certificate_path.clone(),
                    source,
                })?;
                pem
            }
        };
        Ok(Self {
            master,
            repository,
            certificate_pem,
            master_public_path,
        })
    }
}

/// A self-signed certificate for the repository key (only its key and DER fingerprint
/// matter to clients).
fn self_signed(key: &RsaPrivateKey, fqrn: &str) -> Result<String, String> {
    let public = RsaPublicKey::from(key);
    let spki_der = public.to_public_key_der().map_err(|e| e.to_string())?;
    let spki =
        SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes()).map_err(|e| e.to_string())?;
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
    let subject = Name::from_str(&format!("CN={fqrn}")).map_err(|e| e.to_string())?;
    let validity =
        Validity::from_now(Duration::from_secs(10 * 365 * 86_400)).map_err(|e| e.to_string())?;
    let builder = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        validity,
        subject,
        spki,
        &signer,
    )
    .map_err(|e| e.to_string())?;
    let certificate = builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| e.to_string())?;
    certificate
        .to_pem(x509_cert::der::pem::LineEnding::LF)
        .map_err(|e| e.to_string())
}
