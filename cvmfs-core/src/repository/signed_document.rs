//! The envelope the manifest and the whitelist share: `\n`-terminated body lines, the line
//! `--`, the hash string of the body, then the binary signature to the end of the file.

use super::hash::{ContentHash, Hasher};

/// A signed document split into its parts; the body is kept byte-exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDocument {
    /// Every byte up to and including the `\n` before `--`.
    pub body: Vec<u8>,
    /// The hash string printed after `--` (the signed text).
    pub printed_hash: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Why a signed document cannot be split or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// No `--` line.
    #[error("no \"--\" line ends the signed body")]
    NoSeparator,
    /// Nothing after the separator.
    #[error("no hash line after \"--\"")]
    NoHashLine,
    /// The printed hash is not a hash string.
    #[error("the signed hash line is not a hash string: {0}")]
    BadHash(#[from] super::hash::InvalidHash),
    /// The body does not hash to the printed value.
    #[error("the body hashes to {computed}, the document says {printed}")]
    BodyMismatch {
        /// The hash of the body.
        computed: String,
        /// The printed hash.
        printed: String,
    },
    /// No signature bytes.
    #[error("the signature is missing")]
    NoSignature,
}

impl SignedDocument {
    /// Splits `bytes` at the first `--` line.
    pub fn split(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let mut start = 0;
        let separator = loop {
            if start >= bytes.len() {
                return Err(EnvelopeError::NoSeparator);
            }
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            if &bytes[start..end] == b"--" {
                break start;
            }
            start = end + 1;
        };
        let after = separator + 3;
        if after > bytes.len() {
            return Err(EnvelopeError::NoHashLine);
        }
        let rest = &bytes[after..];
        let line_end = memchr::memchr(b'\n', rest).ok_or(EnvelopeError::NoHashLine)?;
        let printed_hash = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| EnvelopeError::NoHashLine)?
            .to_owned();
        let signature = rest[line_end + 1..].to_vec();
        if signature.is_empty() {
            return Err(EnvelopeError::NoSignature);
        }
        Ok(Self {
            body: bytes[..separator].to_vec(),
            printed_hash,
            signature,
        })
    }

    /// Checks that the body hashes to the printed hash string (with its algorithm).
    pub fn check_body(&self) -> Result<ContentHash, EnvelopeError> {
        let printed = ContentHash::parse(&self.printed_hash)?;
        let mut hasher = Hasher::new(printed.algorithm);
        hasher.update(&self.body);
        let computed = hasher.finish();
        if computed != printed {
            return Err(EnvelopeError::BodyMismatch {
                computed: computed.to_string(),
                printed: self.printed_hash.clone(),
            });
        }
        Ok(printed)
    }

    /// The body's lines, without their `\n` (empty lines skipped).
    pub fn body_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.body.split(|b| *b == b'\n').filter(|l| !l.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repository::hash::HashAlgorithm;
    use proptest::prelude::*;

    fn document(body: &[u8], signature: &[u8]) -> Vec<u8> {
        let hash = ContentHash::of(HashAlgorithm::Sha1, body);
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(format!("--\n{hash}\n").as_bytes());
        bytes.extend_from_slice(signature);
        bytes
    }

    #[test]
    fn splits_and_checks_the_body() {
        let bytes = document(b"Cabc\nNx.y\n", b"\x00--\nsig");
        let doc = SignedDocument::split(&bytes).unwrap();
        assert_eq!(doc.body, b"Cabc\nNx.y\n");
        assert_eq!(doc.signature, b"\x00--\nsig");
        doc.check_body().unwrap();
        let mut tampered = bytes.clone();
        tampered[1] = b'x';
        assert!(matches!(
            SignedDocument::split(&tampered).unwrap().check_body(),
            Err(EnvelopeError::BodyMismatch { .. })
        ));
    }

    proptest! {
        #[test]
        fn splitting_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(doc) = SignedDocument::split(&bytes) {
                let _ = doc.check_body();
            }
        }

        #[test]
        fn documents_round_trip(lines in proptest::collection::vec("[A-Z][a-z0-9.]{0,20}", 0..8), signature in proptest::collection::vec(any::<u8>(), 1..64)) {
            let body: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\n").into_bytes()).collect();
            let bytes = document(&body, &signature);
            let doc = SignedDocument::split(&bytes).unwrap();
            prop_assert_eq!(&doc.body, &body);
            prop_assert_eq!(&doc.signature, &signature);
            prop_assert!(doc.check_body().is_ok());
        }
    }
}
