//! Built-in defaults for the public domains our users mount (`cern.ch`,
//! `opensciencegrid.org`, `egi.eu`), so the native client mounts their repositories on a
//! machine with no `/etc/cvmfs` at all: the stratum-1 servers and master public keys
//! the upstream configuration packages ship (facts from the format reference, section
//! 9), and the `single` client profile's proxy rule. They fill only what the client's
//! own files leave unset, and every value says where it came from.

use std::path::PathBuf;

use crate::config::effective::{ConfigValue, EffectiveConfig, Severity};

/// A domain's built-in servers and keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinDomain {
    /// The domain (`cern.ch`).
    pub domain: &'static str,
    /// Its stratum-1 servers (`CVMFS_SERVER_URL` syntax).
    pub server_url: &'static str,
    /// Its master public keys: file name and PEM.
    pub keys: &'static [(&'static str, &'static str)],
}

/// `cern-it1.cern.ch.pub`.
const CERN_IT1_CERN_CH_PUB: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo8uKvscgW7FNxzb65Uhm\n\
yr8jPJiyrl2kVzb/hhgdfN14C0tCbfFoE6ciuZFg+9ytLeiL9pzM96gSC+atIFl4\n\
7wTgtAFO1W4PtDQBwA/IG2bnwvNrzk19ob0JYhjZlS9tYKeh7TKCub55+vMwcEbP\n\
urzo3WSNCzJngiGMh1vM5iSlGLpCdSGzdwxLGwc1VjRM7q3KAd7M7TJCynKqXZPX\n\
R2xiD6I/p4xv39AnwphCFSmDh0MWE1WeeNHIiiveikvvN+l8d/ZNASIDhKNCsz6o\n\
aFDsGXvjGy7dg43YzjSSYSFGUnONtl5Fe6y4bQZj1LEPbeInW334MAbMwYF4LKma\n\
yQIDAQAB\n\
-----END PUBLIC KEY-----\n";

/// `cern-it4.cern.ch.pub`.
const CERN_IT4_CERN_CH_PUB: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzlAraXimfJP5ie0KtDAE\n\
rNUU5d9bzst+kqfhnb0U0OUtmCIbsueaDlbMmTdRSHMr+T0jI8i9CZxJwtxDqll+\n\
UuB3Li2hYBhk0tYTy29JJYvofVULvrw1kMSLKyTWnV30/MHjYxhLHoZWfdepTjVg\n\
lM0rP58K10wR3Z/AaaikOcy4z6P/MHs9ES1jdZqEBQEmmzKw5nf7pfU2QuVWJrKP\n\
wZ9XeYDzipVbMc1zaLEK0slE+bm2ge/Myvuj/rpYKT+6qzbasQg62abGFuOrjgKI\n\
X4/BVnilkhUfH6ssRKw4yehlKG1M5KJje2+y+iVvLbfoaw3g1Sjrf4p3Gq+ul7AC\n\
PwIDAQAB\n\
-----END PUBLIC KEY-----\n";

/// `cern-it5.cern.ch.pub`.
const CERN_IT5_CERN_CH_PUB: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqFzLLZAg2xmHJLbbq0+N\n\
eYtjRDghUK5mYhARndnC3skFVowDTiqJVc9dIDX5zuxQ9HyC0iKM1HbvN64IH/Uf\n\
qoXLyZLiXbFwpg6BtEJxwhijdZCiCC5PC//Bb7zSFIVZvWjndujr6ejaY6kx3+jI\n\
sU1HSJ66pqorj+D1fbZCziLcWbS1GzceZ7aTYYPUdGZF1CgjBK5uKrEAoBsPgjWo\n\
+YOEkjskY7swfhUzkCe0YyMyAaS0gsWgYrY2ebrpauFFqKxveKWjDVBTGcwDhiBX\n\
60inUgD6CJXhUpvGHfU8V7Bv6l7dmyzhq/Bk2kRC92TIvxfaHRmS7nuknUY0hW6t\n\
2QIDAQAB\n\
-----END PUBLIC KEY-----\n";

/// `egi.eu.pub`.
const EGI_EU_PUB: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxKhc7s1HmmPWH4Cq1U3K\n\
4FNFKcMQgZxUrgQEfvgkF97OZ8I8wzC9MWqmegX6tqlPmAzYWTM+Xi4nEBWYRhd+\n\
hVN/prHyYGzb/kTyCSHa9EQtIk9SUyoPfQxkGRnx68pD5con8KJySNa8neplsXx+\n\
2gypwjasBRQLzB3BrrGhrzZ5fL84+dsxNBBW6QfNO1BS5ATeWl3g1J27f0GoGtRO\n\
YbPhaAd9D+B+qVo9pt3jKXvjTZQG0pE16xaX1elciFT9OhtZGaErDJyURskD7g3/\n\
NotcpBL5K5v95zA/kh5u+TRrmeTxHyDOpyrGrkqRaT5p+/C1z0HDyKFQbptegCbn\n\
GwIDAQAB\n\
-----END PUBLIC KEY-----\n";

/// `opensciencegrid.org.pub`.
const OPENSCIENCEGRID_ORG_PUB: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqQGYXTp9cRcMbGeDoijB\n\
gKNTCEpIWB7XcqIHVXJjfxEkycQXMyZkB7O0CvV3UmmY2K7CQqTnd9ddcApn7BqQ\n\
/7QGP0H1jfXLfqVdwnhyjIHxmV2x8GIHRHFA0wE+DadQwoi1G0k0SNxOVS5qbdeV\n\
yiyKsoU4JSqy5l2tK3K/RJE4htSruPCrRCK3xcN5nBeZK5gZd+/ufPIG+hd78kjQ\n\
Dy3YQXwmEPm7kAZwIsEbMa0PNkp85IDkdR1GpvRvDMCRmUaRHrQUPBwPIjs0akL+\n\
qoTxJs9k6quV0g3Wd8z65s/k5mEZ+AnHHI0+0CL3y80wnuLSBYmw05YBtKyoa1Fb\n\
FQIDAQAB\n\
-----END PUBLIC KEY-----\n";

/// The domains with built-in defaults.
pub const DOMAINS: [BuiltinDomain; 3] = [
    BuiltinDomain {
        domain: "cern.ch",
        server_url: "http://cvmfs-stratum-one.cern.ch/cvmfs/@fqrn@;http://cernvmfs.gridpp.rl.ac.uk/cvmfs/@fqrn@;http://cvmfs-s1bnl.opensciencegrid.org/cvmfs/@fqrn@;http://cvmfs-s1fnal.opensciencegrid.org/cvmfs/@fqrn@",
        keys: &[
            ("cern-it1.cern.ch.pub", CERN_IT1_CERN_CH_PUB),
            ("cern-it4.cern.ch.pub", CERN_IT4_CERN_CH_PUB),
            ("cern-it5.cern.ch.pub", CERN_IT5_CERN_CH_PUB),
        ],
    },
    BuiltinDomain {
        domain: "opensciencegrid.org",
        server_url: "http://cvmfs-egi.gridpp.rl.ac.uk:8000/cvmfs/@fqrn@;http://klei.nikhef.nl:8000/cvmfs/@fqrn@;http://cvmfs-s1bnl.opensciencegrid.org:8000/cvmfs/@fqrn@;http://cvmfs-s1fnal.opensciencegrid.org:8000/cvmfs/@fqrn@;http://cvmfs-stratum-one.ihep.ac.cn:8000/cvmfs/@fqrn@",
        keys: &[("opensciencegrid.org.pub", OPENSCIENCEGRID_ORG_PUB)],
    },
    BuiltinDomain {
        domain: "egi.eu",
        server_url: "http://cvmfs-egi.gridpp.rl.ac.uk:8000/cvmfs/@fqrn@;http://klei.nikhef.nl:8000/cvmfs/@fqrn@;http://cvmfsrepo.lcg.triumf.ca:8000/cvmfs/@fqrn@;http://cvmfs-stratum-one.ihep.ac.cn:8000/cvmfs/@fqrn@",
        keys: &[("egi.eu.pub", EGI_EU_PUB)],
    },
];

/// Where built-in values say they come from (`config show`'s origin column).
pub const BUILTIN_ORIGIN: &str = "(built-in defaults of the native client)";

/// The built-in defaults of `domain`, if it has them.
pub fn domain(domain: &str) -> Option<&'static BuiltinDomain> {
    DOMAINS.iter().find(|d| d.domain == domain)
}

/// Whether a value came from the built-in defaults.
pub fn is_builtin(value: &ConfigValue) -> bool {
    value.origin.as_os_str() == BUILTIN_ORIGIN
}

impl EffectiveConfig {
    /// Fills what the client's files leave unset from the built-in defaults:
    /// `CVMFS_SERVER_URL` and `CVMFS_KEYS_DIR` (`/etc/cvmfs/keys/<domain>`, whose keys are
    /// built in when the directory has none) for the public domains, and
    /// `CVMFS_HTTP_PROXY=DIRECT` (the `single` client profile's `auto;DIRECT`, where this
    /// client does no proxy auto-discovery).
    pub fn with_builtin_defaults(mut self) -> Self {
        let mut set = |key: &str, value: String| {
            self.values
                .entry(key.to_owned())
                .or_insert_with(|| ConfigValue {
                    value,
                    origin: PathBuf::from(BUILTIN_ORIGIN),
                    line: 0,
                    needs_shell: false,
                });
        };
        let fqrn = self.fqrn.clone();
        if let Some(defaults) = domain(fqrn.domain()) {
            set(
                "CVMFS_SERVER_URL",
                defaults
                    .server_url
                    .replace("@fqrn@", fqrn.as_str())
                    .replace("@org@", fqrn.org()),
            );
            set(
                "CVMFS_KEYS_DIR",
                format!("/etc/cvmfs/keys/{}", defaults.domain),
            );
        }
        set("CVMFS_HTTP_PROXY", "DIRECT".to_owned());
        // The upstream client still refuses a missing proxy setting; say what each does.
        for diagnostic in &mut self.diagnostics {
            if diagnostic.key.as_deref() == Some("CVMFS_HTTP_PROXY")
                && diagnostic.message.contains("is not set")
            {
                diagnostic.severity = Severity::Warning;
                diagnostic.message = "CVMFS_HTTP_PROXY is not set in the files: the upstream client refuses to mount; the native client uses DIRECT (the single client profile's auto;DIRECT, without proxy auto-discovery)".to_owned();
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fqrn;
    use crate::config::{ConfigFiles, ResolveOptions, resolve};

    #[test]
    fn public_domains_get_servers_keys_and_a_proxy_rule_and_files_win() {
        let fqrn = Fqrn::parse("cms.cern.ch").unwrap();
        let config =
            resolve(&fqrn, &ConfigFiles::new(), &ResolveOptions::default()).with_builtin_defaults();
        assert!(
            config
                .get("CVMFS_SERVER_URL")
                .unwrap()
                .starts_with("http://cvmfs-stratum-one.cern.ch/cvmfs/cms.cern.ch;")
        );
        assert_eq!(
            config.get("CVMFS_KEYS_DIR"),
            Some("/etc/cvmfs/keys/cern.ch")
        );
        assert_eq!(config.get("CVMFS_HTTP_PROXY"), Some("DIRECT"));
        assert!(config.show().contains(BUILTIN_ORIGIN));
        let mut files = ConfigFiles::new();
        files.insert(
            "/etc/cvmfs/default.local".into(),
            "CVMFS_HTTP_PROXY=http://squid:3128\n".into(),
        );
        let config = resolve(&fqrn, &files, &ResolveOptions::default()).with_builtin_defaults();
        assert_eq!(config.get("CVMFS_HTTP_PROXY"), Some("http://squid:3128"));
        let other = resolve(
            &Fqrn::parse("test.example.org").unwrap(),
            &ConfigFiles::new(),
            &ResolveOptions::default(),
        )
        .with_builtin_defaults();
        assert_eq!(other.get("CVMFS_SERVER_URL"), None);
    }

    #[test]
    fn every_built_in_key_is_an_rsa_public_key() {
        for domain in DOMAINS {
            let keys =
                crate::repository::trust::TrustAnchors::from_pem(domain.keys.iter().copied())
                    .unwrap();
            assert_eq!(keys.len(), domain.keys.len(), "{}", domain.domain);
        }
    }
}
