//! Rendering a `default.local` for a plan, from a named client profile.

use serde::{Deserialize, Serialize};

use crate::plan::MountPlan;

/// Client settings that go into `default.local`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientProfile {
    /// The profile's name.
    pub name: String,
    /// `CVMFS_CACHE_BASE`.
    pub cache_base: String,
    /// `CVMFS_QUOTA_LIMIT` in MB (-1: unlimited).
    pub quota_limit_mb: i64,
    /// `CVMFS_HTTP_PROXY`.
    pub http_proxy: String,
    /// Extra variables appended verbatim (the anchor's `CMS_LOCAL_SITE`).
    pub extra: Vec<(String, String)>,
}

impl ClientProfile {
    /// The anchor image's settings: cache `/var/cache/cvmfs2`, quota 46000 MB, proxy
    /// `DIRECT`, and `CMS_LOCAL_SITE=T3_US_OSG`.
    pub fn cms() -> Self {
        Self {
            name: "cms".to_owned(),
            cache_base: "/var/cache/cvmfs2".to_owned(),
            quota_limit_mb: 46000,
            http_proxy: "DIRECT".to_owned(),
            extra: vec![("CMS_LOCAL_SITE".to_owned(), "T3_US_OSG".to_owned())],
        }
    }

    /// The `default.local` for `plan`: `CVMFS_REPOSITORIES` lists the plan's
    /// repositories (its configuration repository excluded) in plan order.
    ///
    /// ```
    /// use cvmfs_core::{Backend, Catalog, MountPlan, PlanOptions, Selection};
    /// use cvmfs_core::config::ClientProfile;
    /// let catalog = Catalog::cms();
    /// let selection = Selection::parse(Some("cms sft"), &catalog).unwrap();
    /// let plan = MountPlan::build(&selection, &catalog, Backend::Cvmfs2Helper, &PlanOptions::default()).unwrap();
    /// let text = ClientProfile::cms().render_default_local(&plan);
    /// assert!(text.contains("CVMFS_REPOSITORIES=cms.cern.ch,sft.cern.ch\n"));
    /// ```
    pub fn render_default_local(&self, plan: &MountPlan) -> String {
        let config_repository = plan.config_repository();
        let repositories: Vec<&str> = plan
            .repositories()
            .into_iter()
            .filter(|fqrn| Some(*fqrn) != config_repository)
            .map(crate::Fqrn::as_str)
            .collect();
        let mut out = format!(
            "# Written by cvmfs-mount for profile {}.\nCVMFS_CACHE_BASE={}\nCVMFS_QUOTA_LIMIT={}\nCVMFS_HTTP_PROXY={}\nCVMFS_REPOSITORIES={}\n",
            self.name,
            self.cache_base,
            self.quota_limit_mb,
            self.http_proxy,
            repositories.join(",")
        );
        if plan.root() != std::path::Path::new(crate::plan::DEFAULT_ROOT) {
            out.push_str(&format!("CVMFS_MOUNT_DIR={}\n", plan.root().display()));
        }
        for (key, value) in &self.extra {
            out.push_str(&format!("{key}={value}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigFiles, ResolveOptions, resolve};
    use crate::{Backend, Catalog, Fqrn, PlanOptions, Selection};

    #[test]
    fn rendered_file_resolves_to_the_anchor_values() {
        let catalog = Catalog::cms();
        let plan = MountPlan::build(
            &Selection::all(&catalog),
            &catalog,
            Backend::Cvmfs2Helper,
            &PlanOptions::default(),
        )
        .unwrap();
        let text = ClientProfile::cms().render_default_local(&plan);
        let mut files = ConfigFiles::new();
        files.insert("/etc/cvmfs/default.local".into(), text);
        let config = resolve(
            &Fqrn::parse("cms.cern.ch").unwrap(),
            &files,
            &ResolveOptions::default(),
        );
        assert!(!config.has_errors(), "{:?}", config.diagnostics);
        assert_eq!(config.get("CVMFS_CACHE_BASE"), Some("/var/cache/cvmfs2"));
        assert_eq!(config.get("CVMFS_QUOTA_LIMIT"), Some("46000"));
        assert_eq!(config.get("CVMFS_HTTP_PROXY"), Some("DIRECT"));
        assert_eq!(config.get("CMS_LOCAL_SITE"), Some("T3_US_OSG"));
        assert_eq!(
            config.get("CVMFS_REPOSITORIES"),
            Some(crate::catalog::CMS_REPOSITORIES.join(",").as_str())
        );
    }
}
