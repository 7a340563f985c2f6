//! `.cvmfswhitelist`: the master-key-signed list of certificate fingerprints allowed to sign
//! a repository's manifests, with an expiry.

use serde::Serialize;

use super::hash::{ContentHash, HashAlgorithm};
use super::signed_document::{EnvelopeError, SignedDocument};

/// A UTC time truncated to the hour (the whitelist's expiry granularity), as
/// `YYYYMMDDhh` read as a number: comparisons are plain integer comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UtcHour(pub u64);

impl UtcHour {
    /// The hour that contains `unix_seconds`.
    pub fn from_unix(unix_seconds: u64) -> Self {
        let days = unix_seconds / 86_400;
        let hour = (unix_seconds % 86_400) / 3600;
        let (year, month, day) = civil_from_days(days);
        Self(((year * 100 + month) * 100 + day) * 100 + hour)
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// algorithm, for the non-negative range used here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYYMMDDhhmmss` in UTC, as the whitelist writes times.
pub fn utc_timestamp(unix_seconds: u64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds / 86_400);
    let seconds = unix_seconds % 86_400;
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        seconds / 3600,
        (seconds % 3600) / 60,
        seconds % 60
    )
}

/// A certificate fingerprint as the whitelist lists it: upper-case hex pairs joined by
/// `:`, then the algorithm id in upper case when it is not SHA-1.
pub fn fingerprint_line(hash: &ContentHash) -> String {
    let pairs: Vec<String> = hash.digest.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}{}",
        pairs.join(":"),
        hash.algorithm.id().to_ascii_uppercase()
    )
}

/// The body of a whitelist created at `created` and expiring at `expires` (Unix
/// seconds) for `fqrn`, listing `fingerprints`.
pub fn render_body(created: u64, expires: u64, fqrn: &str, fingerprints: &[ContentHash]) -> String {
    let mut body = format!(
        "{}\nE{}\nN{fqrn}\n",
        utc_timestamp(created),
        utc_timestamp(expires)
    );
    for fingerprint in fingerprints {
        body.push_str(&fingerprint_line(fingerprint));
        body.push('\n');
    }
    body
}

/// A parsed whitelist (its signature is checked by [`super::trust`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Whitelist {
    /// The expiry line's text (`YYYYMMDDhhmmss`).
    pub expires: String,
    /// The expiry hour: valid while now's hour is strictly before it.
    pub expires_hour: UtcHour,
    /// The repository it is for.
    pub fqrn: String,
    /// Whether it asks for PKCS#7 verification (not supported: refused by the trust chain).
    pub pkcs7: bool,
    /// The certificate fingerprints it lists.
    pub fingerprints: Vec<ContentHash>,
}

/// Why a whitelist is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhitelistError {
    /// The envelope is broken.
    #[error("whitelist: {0}")]
    Envelope(#[from] EnvelopeError),
    /// A fixed line is missing or malformed.
    #[error("whitelist: line {line} {problem}")]
    BadLine {
        /// The line number (1-based).
        line: usize,
        /// What is wrong.
        problem: &'static str,
    },
}

impl Whitelist {
    /// Parses a whitelist's envelope and body (not its signature).
    pub fn parse(bytes: &[u8]) -> Result<(Self, SignedDocument), WhitelistError> {
        let document = SignedDocument::split(bytes)?;
        let lines: Vec<&[u8]> = document.body.split(|b| *b == b'\n').collect();
        let line = |n: usize| lines.get(n).and_then(|l| std::str::from_utf8(l).ok());
        let created = line(0).ok_or(WhitelistError::BadLine {
            line: 1,
            problem: "(creation time) is missing",
        })?;
        if created.len() != 14 || !created.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WhitelistError::BadLine {
                line: 1,
                problem: "is not a 14-digit creation time",
            });
        }
        let expires = line(1)
            .and_then(|l| l.strip_prefix('E'))
            .filter(|e| e.len() == 14 && e.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(WhitelistError::BadLine {
                line: 2,
                problem: "is not E followed by a 14-digit expiry time",
            })?;
        let fqrn = line(2)
            .and_then(|l| l.strip_prefix('N'))
            .ok_or(WhitelistError::BadLine {
                line: 3,
                problem: "is not N followed by the repository name",
            })?;
        let expires_hour = UtcHour(expires[..10].parse().unwrap_or(0));
        let mut pkcs7 = false;
        let mut fingerprints = Vec::new();
        for raw in lines.iter().skip(3) {
            let Ok(text) = std::str::from_utf8(raw) else {
                continue;
            };
            if text == "Vpkcs7" {
                pkcs7 = true;
                continue;
            }
            if let Some(hash) = fingerprint(text) {
                fingerprints.push(hash);
            }
        }
        Ok((
            Self {
                expires: expires.to_owned(),
                expires_hour,
                fqrn: fqrn.to_owned(),
                pkcs7,
                fingerprints,
            },
            document,
        ))
    }

    /// Whether the whitelist is still valid at `now` (Unix seconds).
    pub fn is_valid_at(&self, now_unix: u64) -> bool {
        UtcHour::from_unix(now_unix) < self.expires_hour
    }
}

/// A fingerprint line: `AB:CD:...[-SHAKE128]`, up to a space, tab or `#`; lines that do not
/// parse are ignored, as upstream does.
fn fingerprint(line: &str) -> Option<ContentHash> {
    let end = line.find([' ', '\t', '#']).unwrap_or(line.len());
    let cleaned: String = line[..end].to_ascii_lowercase().replace(':', "");
    let hash = ContentHash::parse(&cleaned).ok()?;
    Some(hash).filter(|h| HashAlgorithm::ALL.contains(&h.algorithm))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURE: &[u8] =
        include_bytes!("../../../testdata/cvmfs/fixture.example.org/.cvmfswhitelist");

    #[test]
    fn the_fixture_whitelist_parses() {
        let (whitelist, document) = Whitelist::parse(FIXTURE).unwrap();
        assert_eq!(whitelist.fqrn, "fixture.example.org");
        assert_eq!(whitelist.expires, "20271129064310");
        assert_eq!(whitelist.fingerprints.len(), 1);
        assert_eq!(
            whitelist.fingerprints[0].to_string(),
            "689a4e1e16f6a33ca9fb0491523f05d212bd3e47"
        );
        document.check_body().unwrap();
        // Expires 2027-11-29 06:43: valid in the 05 hour, not from 06:00 on.
        assert!(whitelist.is_valid_at(1_827_467_999)); // 2027-11-29 05:59:59 UTC
        assert!(!whitelist.is_valid_at(1_827_468_000)); // 2027-11-29 06:00:00 UTC
    }

    #[test]
    fn rendering_reproduces_the_fixture_body() {
        let (whitelist, document) = Whitelist::parse(FIXTURE).unwrap();
        // Created 2026-11-29 06:43:10, expiring a year later, as the fixture says.
        let body = render_body(
            1_795_934_590,
            1_827_470_590,
            &whitelist.fqrn,
            &whitelist.fingerprints,
        );
        assert_eq!(body.as_bytes(), document.body);
        assert_eq!(utc_timestamp(951_782_400), "20000229000000");
    }

    #[test]
    fn hours_are_counted_in_utc() {
        assert_eq!(UtcHour::from_unix(0), UtcHour(1_970_010_100));
        assert_eq!(UtcHour::from_unix(951_782_400), UtcHour(2_000_022_900));
        assert_eq!(UtcHour::from_unix(1_795_934_590), UtcHour(2_026_112_906));
    }

    #[test]
    fn fingerprint_lines_take_comments_and_algorithm_ids() {
        let sha1 = "68:9A:4E:1E:16:F6:A3:3C:A9:FB:04:91:52:3F:05:D2:12:BD:3E:47";
        assert!(fingerprint(&format!("{sha1} # the key")).is_some());
        assert_eq!(
            fingerprint(&format!("{sha1}-SHAKE128")).unwrap().algorithm,
            HashAlgorithm::Shake128
        );
        assert!(fingerprint("not a fingerprint").is_none());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Whitelist::parse(&bytes);
        }

        #[test]
        fn hour_order_is_time_order(a in 0u64..4_000_000_000, b in 0u64..4_000_000_000) {
            if a / 3600 < b / 3600 {
                prop_assert!(UtcHour::from_unix(a) < UtcHour::from_unix(b));
            }
        }
    }
}
