//! Which mechanism makes the repositories appear.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How repositories are provided. Paths are absolute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Backend {
    /// The real client's mount helper: `mount -t cvmfs <fqrn> <mountpoint>`.
    #[serde(rename = "cvmfs2-helper")]
    Cvmfs2Helper,
    /// Bind mounts of a host's `/cvmfs` (per repository, or the whole root recursively).
    HostBind {
        /// Where the host's repositories are visible, e.g. `/cvmfs` on the host; `None`
        /// for a plan that is only inspected, checked or unmounted (never mounted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_root: Option<PathBuf>,
        /// The sources are plain directories (an exported snapshot), not client mounts:
        /// they are verified as mountpoints only.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        plain_source: bool,
    },
    /// A recursive rslave bind of the directory an automounter shares with rshared
    /// propagation.
    AutomounterSlave {
        /// The shared directory, e.g. `/shared-mounts/cvmfs`.
        shared_dir: PathBuf,
    },
    /// Our own read-only client: a FUSE server per repository that fetches, verifies and
    /// caches the repository as the client's configuration (or built-in defaults) says.
    Native,
    /// The embedded FUSE server that serves `<source_dir>/<fqrn>` read-only.
    Snapshot {
        /// The directory that holds one subdirectory per repository; `None` for a plan
        /// that is only inspected, checked or unmounted (never mounted).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_dir: Option<PathBuf>,
    },
}

/// The directories an automounter shares its repositories in, in the order they are
/// tried when none is given: the CMS lessons' `/shared-mounts/cvmfs`, then the GitLab
/// runner pattern's `/cvmfsmounts/cvmfs`.
pub const AUTOMOUNTER_SHARED_DIRS: [&str; 2] = ["/shared-mounts/cvmfs", "/cvmfsmounts/cvmfs"];

/// Which backend, without its settings: the one owner of the backends' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// [`Backend::Native`].
    Native,
    /// [`Backend::Snapshot`].
    Snapshot,
    /// [`Backend::Cvmfs2Helper`].
    #[serde(rename = "cvmfs2-helper")]
    Cvmfs2Helper,
    /// [`Backend::HostBind`].
    HostBind,
    /// [`Backend::AutomounterSlave`].
    AutomounterSlave,
}

impl BackendKind {
    /// Every backend, in the order help texts list them.
    pub const ALL: [Self; 5] = [
        Self::Native,
        Self::Snapshot,
        Self::Cvmfs2Helper,
        Self::HostBind,
        Self::AutomounterSlave,
    ];

    /// Every backend's name, in the order of [`BackendKind::ALL`].
    pub const NAMES: [&'static str; 5] = [
        Self::ALL[0].name(),
        Self::ALL[1].name(),
        Self::ALL[2].name(),
        Self::ALL[3].name(),
        Self::ALL[4].name(),
    ];

    /// The name as the command line, the plan document and the bindings spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Snapshot => "snapshot",
            Self::Cvmfs2Helper => "cvmfs2-helper",
            Self::HostBind => "host-bind",
            Self::AutomounterSlave => "automounter-slave",
        }
    }

    /// Whether the backend reads repositories from a source directory (`--source`).
    pub fn reads_source(self) -> bool {
        matches!(self, Self::Snapshot | Self::HostBind)
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend name that is none of [`BackendKind::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {name:?} (one of: {})", BackendKind::NAMES.join(", "))]
pub struct UnknownBackend {
    /// What was given.
    pub name: String,
}

impl FromStr for BackendKind {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| UnknownBackend {
                name: name.to_owned(),
            })
    }
}

impl Backend {
    /// Which backend this is.
    pub fn kind(&self) -> BackendKind {
        match self {
            Self::Cvmfs2Helper => BackendKind::Cvmfs2Helper,
            Self::Native => BackendKind::Native,
            Self::HostBind { .. } => BackendKind::HostBind,
            Self::AutomounterSlave { .. } => BackendKind::AutomounterSlave,
            Self::Snapshot { .. } => BackendKind::Snapshot,
        }
    }

    /// The backend's name as the command line spells it.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Whether the client's configuration repository must be mounted before the others.
    pub fn needs_config_repository(&self) -> bool {
        matches!(self, Self::Cvmfs2Helper)
    }

    /// The source path the backend reads from, if it has one.
    pub fn source_path(&self) -> Option<&Path> {
        match self {
            Self::Cvmfs2Helper | Self::Native => None,
            Self::HostBind { source_root, .. } => source_root.as_deref(),
            Self::AutomounterSlave { shared_dir } => Some(shared_dir),
            Self::Snapshot { source_dir } => source_dir.as_deref(),
        }
    }

    /// Whether the backend reads a source that was not given: such a plan can be shown,
    /// checked and unmounted, but not mounted.
    pub fn lacks_source(&self) -> bool {
        self.kind().reads_source() && self.source_path().is_none()
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        if let Some(source) = self.source_path() {
            write!(f, " (source {})", source.display())?;
        } else if self.lacks_source() {
            f.write_str(" (no source given)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_parse_back_to_their_kind_and_match_the_plan_document() {
        for kind in BackendKind::ALL {
            assert_eq!(kind.name().parse::<BackendKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind.name()))
            );
        }
        let error = "nfs".parse::<BackendKind>().unwrap_err().to_string();
        assert!(
            error.contains("\"nfs\"") && error.contains("automounter-slave"),
            "{error}"
        );
    }

    proptest! {
        /// Parsing accepts exactly the four names.
        #[test]
        fn only_the_names_parse(name in "[a-z0-9-]{0,20}") {
            prop_assert_eq!(name.parse::<BackendKind>().is_ok(), BackendKind::NAMES.contains(&name.as_str()));
        }
    }
}
