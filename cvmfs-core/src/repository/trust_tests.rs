//! The verification chain against the real fixture, and every link tampered with.

use std::io::Read;

use super::hash::{ContentHash, ObjectSuffix};
use super::manifest::Manifest;
use super::trust::{AcceptedState, Blacklist, TrustAnchors, TrustContext, TrustError, verify};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/cvmfs/fixture.example.org"
);
const KEY: &str = include_str!("../../../testdata/cvmfs/keys/fixture.example.org.pub");
const MANIFEST: &[u8] =
    include_bytes!("../../../testdata/cvmfs/fixture.example.org/.cvmfspublished");
const WHITELIST: &[u8] =
    include_bytes!("../../../testdata/cvmfs/fixture.example.org/.cvmfswhitelist");
/// 2026-12-01 00:00 UTC: after publication, before the whitelist expires.
const NOW: u64 = 1_796_083_200;

fn certificate() -> Vec<u8> {
    let (manifest, _) = Manifest::parse(MANIFEST).unwrap();
    let path = format!(
        "{FIXTURE}/{}",
        manifest.certificate.object_path(ObjectSuffix::Certificate)
    );
    let compressed = std::fs::read(path).unwrap();
    assert_eq!(
        ContentHash::of(manifest.certificate.algorithm, &compressed),
        manifest.certificate
    );
    let mut pem = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut pem)
        .unwrap();
    pem
}

fn anchors() -> TrustAnchors {
    TrustAnchors::from_pem([("fixture.example.org.pub", KEY)]).unwrap()
}

fn check(
    manifest: &[u8],
    whitelist: &[u8],
    certificate: &[u8],
    adjust: impl FnOnce(&mut TrustContext<'_>),
) -> Result<super::trust::TrustedManifest, TrustError> {
    check_listed(
        manifest,
        whitelist,
        certificate,
        &Blacklist::default(),
        adjust,
    )
}

fn check_listed(
    manifest: &[u8],
    whitelist: &[u8],
    certificate: &[u8],
    blacklist: &Blacklist,
    adjust: impl FnOnce(&mut TrustContext<'_>),
) -> Result<super::trust::TrustedManifest, TrustError> {
    let anchors = anchors();
    let mut context = TrustContext {
        fqrn: "fixture.example.org",
        anchors: &anchors,
        now_unix: NOW,
        accepted: None,
        blacklist,
    };
    adjust(&mut context);
    verify(&context, manifest, whitelist, certificate)
}

#[test]
fn the_fixture_verifies() {
    let trusted = check(MANIFEST, WHITELIST, &certificate(), |_| {}).unwrap();
    assert_eq!(trusted.manifest.revision, 4);
    assert_eq!(
        trusted.certificate_fingerprint.to_string(),
        "689a4e1e16f6a33ca9fb0491523f05d212bd3e47"
    );
}

#[test]
fn every_flipped_byte_of_the_signed_documents_is_refused() {
    let certificate = certificate();
    for (name, document) in [("manifest", MANIFEST), ("whitelist", WHITELIST)] {
        for index in 0..document.len() {
            let mut tampered = document.to_vec();
            tampered[index] ^= 0x01;
            let result = if name == "manifest" {
                check(&tampered, WHITELIST, &certificate, |_| {})
            } else {
                check(MANIFEST, &tampered, &certificate, |_| {})
            };
            assert!(result.is_err(), "{name} byte {index} flipped was accepted");
        }
    }
}

#[test]
fn a_tampered_certificate_or_another_key_is_refused() {
    let mut pem = certificate();
    // A byte inside the base64 body: another certificate, not listed.
    let at = pem.len() / 2;
    pem[at] = if pem[at] == b'A' { b'B' } else { b'A' };
    assert!(matches!(
        check(MANIFEST, WHITELIST, &pem, |_| {}),
        Err(TrustError::CertificateNotListed { .. } | TrustError::Certificate { .. })
    ));
    // The certificate's own key is not a master key.
    let other = rsa::RsaPublicKey::new(
        rsa::BigUint::from_bytes_be(&[0xc5; 256]),
        rsa::BigUint::from(65_537u32),
    )
    .unwrap();
    let pem_key =
        rsa::pkcs8::EncodePublicKey::to_public_key_pem(&other, Default::default()).unwrap();
    let anchors = TrustAnchors::from_pem([("other.pub", pem_key.as_str())]).unwrap();
    let blacklist = Blacklist::default();
    let context = TrustContext {
        fqrn: "fixture.example.org",
        anchors: &anchors,
        now_unix: NOW,
        accepted: None,
        blacklist: &blacklist,
    };
    assert_eq!(
        verify(&context, MANIFEST, WHITELIST, &certificate()),
        Err(TrustError::WhitelistSignature { keys: 1 })
    );
}

#[test]
fn expiry_name_replays_and_blacklists_are_refused() {
    let certificate = certificate();
    assert!(matches!(
        check(MANIFEST, WHITELIST, &certificate, |c| c.now_unix =
            1_827_468_000),
        Err(TrustError::WhitelistExpired { .. })
    ));
    assert!(matches!(
        check(MANIFEST, WHITELIST, &certificate, |c| c.fqrn =
            "other.example.org"),
        Err(TrustError::WhitelistName { .. })
    ));
    let root = ContentHash::parse("e4d912057896a9752596b3755a88ed600def528c").unwrap();
    let newer = AcceptedState {
        revision: 5,
        timestamp: Some(1_795_934_590),
        root_catalog: root,
    };
    assert!(matches!(
        check(MANIFEST, WHITELIST, &certificate, |c| c.accepted =
            Some(newer)),
        Err(TrustError::Rollback { .. })
    ));
    let fork = AcceptedState {
        revision: 4,
        timestamp: Some(1_795_934_590),
        root_catalog: ContentHash::parse("0000000000000000000000000000000000000000").unwrap(),
    };
    assert!(matches!(
        check(MANIFEST, WHITELIST, &certificate, |c| c.accepted =
            Some(fork)),
        Err(TrustError::Fork { .. })
    ));
    let same = AcceptedState {
        revision: 4,
        timestamp: Some(1_795_934_590),
        root_catalog: root,
    };
    assert!(
        check(MANIFEST, WHITELIST, &certificate, |c| c.accepted =
            Some(same))
        .is_ok()
    );
    let blacklist = Blacklist::parse("<fixture.example.org 5\n");
    assert!(matches!(
        check_listed(MANIFEST, WHITELIST, &certificate, &blacklist, |_| {}),
        Err(TrustError::RevisionBlacklisted { minimum: 5, .. })
    ));
    let blacklist =
        Blacklist::parse("68:9A:4E:1E:16:F6:A3:3C:A9:FB:04:91:52:3F:05:D2:12:BD:3E:47\n");
    assert!(matches!(
        check_listed(MANIFEST, WHITELIST, &certificate, &blacklist, |_| {}),
        Err(TrustError::CertificateBlacklisted { .. })
    ));
}
