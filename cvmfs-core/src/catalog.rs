//! The catalog of known repositories: what `CVMFS_MOUNTS=all` means, which names are
//! expected, and which repository holds the client's central configuration.

use serde::{Deserialize, Serialize};

use thiserror::Error;

use crate::fqrn::NameError;
use crate::fqrn::{Domain, Fqrn};

/// The anchor image's repositories, in the anchor's order.
pub const CMS_REPOSITORIES: [&str; 9] = [
    "cms.cern.ch",
    "cms-ib.cern.ch",
    "oasis.opensciencegrid.org",
    "cms-lpc.opensciencegrid.org",
    "sft.cern.ch",
    "cms-bril.cern.ch",
    "cms-opendata-conddb.cern.ch",
    "ilc.desy.de",
    "unpacked.cern.ch",
];

/// Repositories the anchor's 2026 successor image adds after the nine.
pub const CMS_2026_ADDITIONS: [&str; 2] = ["muoncollider.cern.ch", "sw.hsf.org"];

/// The configuration repository of CERN's default client setup.
pub const CERN_CONFIG_REPOSITORY: &str = "cvmfs-config.cern.ch";

/// An ordered set of known repositories plus the client's configuration repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    profile: String,
    default_domain: Domain,
    config_repository: Option<Fqrn>,
    repositories: Vec<Fqrn>,
}

/// Parses static names that are known to be valid.
fn known(names: &[&str]) -> Vec<Fqrn> {
    names
        .iter()
        .filter_map(|name| Fqrn::parse(name).ok())
        .collect()
}

/// A catalog profile name that is not built in.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown catalog profile {input:?} (known: {})", known.join(", "))]
pub struct UnknownProfile {
    /// The name.
    pub input: String,
    /// The built-in profiles.
    pub known: Vec<String>,
}

impl Catalog {
    /// The anchor's nine repositories (`cms` profile), configuration repository
    /// `cvmfs-config.cern.ch`, default domain `cern.ch`.
    pub fn cms() -> Self {
        Self {
            profile: "cms".to_owned(),
            default_domain: Domain::cern(),
            config_repository: Fqrn::parse(CERN_CONFIG_REPOSITORY).ok(),
            repositories: known(&CMS_REPOSITORIES),
        }
    }

    /// The 2026 successor image's eleven repositories (`cms-2026` profile).
    pub fn cms_2026() -> Self {
        let mut catalog = Self::cms();
        catalog.profile = "cms-2026".to_owned();
        catalog.repositories.extend(known(&CMS_2026_ADDITIONS));
        catalog
    }

    /// A built-in profile by name: `cms` or `cms-2026`.
    pub fn profile(name: &str) -> Result<Self, UnknownProfile> {
        match name {
            "cms" => Ok(Self::cms()),
            "cms-2026" => Ok(Self::cms_2026()),
            _ => Err(UnknownProfile {
                input: name.to_owned(),
                known: vec!["cms".to_owned(), "cms-2026".to_owned()],
            }),
        }
    }

    /// A catalog of the given repositories; duplicates are dropped keeping the first.
    pub fn new(
        profile: impl Into<String>,
        default_domain: Domain,
        config_repository: Option<Fqrn>,
        repositories: impl IntoIterator<Item = Fqrn>,
    ) -> Self {
        let mut catalog = Self {
            profile: profile.into(),
            default_domain,
            config_repository,
            repositories: Vec::new(),
        };
        catalog.extend(repositories);
        catalog
    }

    /// Adds repositories at the end, skipping ones already known.
    pub fn extend(&mut self, repositories: impl IntoIterator<Item = Fqrn>) {
        for fqrn in repositories {
            if !self.repositories.contains(&fqrn) {
                self.repositories.push(fqrn);
            }
        }
    }

    /// Replaces the known repositories, keeping the profile name and domain.
    pub fn replace(&mut self, repositories: impl IntoIterator<Item = Fqrn>) {
        self.repositories.clear();
        self.extend(repositories);
    }

    /// Sets the configuration repository (`None`: the client has none).
    pub fn set_config_repository(&mut self, config_repository: Option<Fqrn>) {
        self.config_repository = config_repository;
    }

    /// Sets the domain used to expand short names.
    pub fn set_default_domain(&mut self, domain: Domain) {
        self.default_domain = domain;
    }

    /// The profile's name.
    pub fn profile_name(&self) -> &str {
        &self.profile
    }

    /// The domain used to expand short names.
    pub fn default_domain(&self) -> &Domain {
        &self.default_domain
    }

    /// The configuration repository, mounted before any other by the client backend.
    pub fn config_repository(&self) -> Option<&Fqrn> {
        self.config_repository.as_ref()
    }

    /// The known repositories in order (the configuration repository is not among them).
    pub fn repositories(&self) -> &[Fqrn] {
        &self.repositories
    }

    /// Whether `fqrn` is a known repository or the configuration repository.
    pub fn contains(&self, fqrn: &Fqrn) -> bool {
        self.repositories.contains(fqrn) || self.config_repository.as_ref() == Some(fqrn)
    }

    /// Expands a short name with this catalog's default domain and validates it.
    pub fn resolve(&self, name: &str) -> Result<Fqrn, NameError> {
        self.resolve_checked(name)
            .map_err(|problems| NameError::InvalidFqrn {
                input: name.to_owned(),
                problems,
            })
    }

    /// Like [`Catalog::resolve`], returning the broken rules instead of an error. A short
    /// name is looked up in the catalog before the default domain is added: `oasis` is
    /// `oasis.opensciencegrid.org` when that is the catalog's only `oasis` and
    /// `oasis.cern.ch` is not in it.
    pub fn resolve_checked(&self, name: &str) -> Result<Fqrn, Vec<crate::fqrn::NameProblem>> {
        let expanded = Fqrn::expand_checked(name, &self.default_domain)?;
        if name.contains('.') || self.contains(&expanded) {
            return Ok(expanded);
        }
        let mut same_org = self
            .repositories
            .iter()
            .chain(&self.config_repository)
            .filter(|known| known.org() == name);
        match (same_org.next(), same_org.next()) {
            (Some(only), None) => Ok(only.clone()),
            _ => Ok(expanded),
        }
    }

    /// The catalog name `fqrn` most likely meant, when it is not in the catalog: one that
    /// differs only in case (`CMS.cern.ch`), or has the same domain and an organisation
    /// one edit away (two for organisations of five letters or more: `cmss.cern.ch`);
    /// `None` when nothing is that close.
    pub fn nearest(&self, fqrn: &Fqrn) -> Option<&Fqrn> {
        if self.contains(fqrn) {
            return None;
        }
        let org = if fqrn.org().bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(fqrn.org().to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(fqrn.org())
        };
        self.repositories
            .iter()
            .chain(&self.config_repository)
            .filter(|known| known.domain().eq_ignore_ascii_case(fqrn.domain()))
            .filter_map(|known| {
                let limit = if known.org().len() >= 5 { 2 } else { 1 };
                // The distance is at least the length difference: long names (a
                // fuzzer's, or a typo-free unknown one) skip the quadratic comparison.
                if org.len().abs_diff(known.org().len()) > limit {
                    return None;
                }
                let distance = strsim::levenshtein(&org, known.org());
                (distance <= limit).then_some((distance, known))
            })
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, known)| known)
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::cms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_looked_up_before_the_default_domain() {
        let catalog = Catalog::cms();
        assert_eq!(
            catalog.resolve("oasis").unwrap().as_str(),
            "oasis.opensciencegrid.org"
        );
        assert_eq!(catalog.resolve("cms").unwrap().as_str(), "cms.cern.ch");
        assert_eq!(catalog.resolve("atlas").unwrap().as_str(), "atlas.cern.ch");
    }

    #[test]
    fn near_misses_get_the_name_they_meant() {
        let catalog = Catalog::cms();
        let near = |name: &str| {
            catalog
                .nearest(&Fqrn::parse(name).unwrap())
                .map(|f| f.as_str().to_owned())
        };
        assert_eq!(near("cmss.cern.ch").as_deref(), Some("cms.cern.ch"));
        assert_eq!(near("CMS.cern.ch").as_deref(), Some("cms.cern.ch"));
        assert_eq!(near("cms.cern.ch"), None);
        assert_eq!(near("atlas.cern.ch"), None);
    }

    #[test]
    fn cms_profile_has_the_anchor_order() {
        let catalog = Catalog::cms();
        let names: Vec<&str> = catalog.repositories().iter().map(Fqrn::as_str).collect();
        assert_eq!(names, CMS_REPOSITORIES);
        assert_eq!(
            catalog.config_repository().map(Fqrn::as_str),
            Some("cvmfs-config.cern.ch")
        );
        assert_eq!(catalog.default_domain().as_str(), "cern.ch");
    }

    #[test]
    fn successor_profile_appends_two() {
        let catalog = Catalog::profile("cms-2026").unwrap();
        assert_eq!(catalog.repositories().len(), 11);
        assert_eq!(catalog.repositories()[10].as_str(), "sw.hsf.org");
        assert!(matches!(
            Catalog::profile("atlas"),
            Err(UnknownProfile { .. })
        ));
    }

    #[test]
    fn extend_and_replace_keep_order_without_duplicates() {
        let mut catalog = Catalog::cms();
        let extra = Fqrn::parse("atlas.cern.ch").unwrap();
        catalog.extend([extra.clone(), Fqrn::parse("cms.cern.ch").unwrap()]);
        assert_eq!(catalog.repositories().len(), 10);
        assert_eq!(catalog.repositories()[9], extra);
        catalog.replace([extra.clone(), extra.clone()]);
        assert_eq!(catalog.repositories(), std::slice::from_ref(&extra));
        assert!(catalog.contains(&Fqrn::parse("cvmfs-config.cern.ch").unwrap()));
    }
}
