//! Which mechanism makes the repositories appear.

use std::fmt;
use std::path::{Path, PathBuf};

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
        /// Where the host's repositories are visible, e.g. `/cvmfs` on the host.
        source_root: PathBuf,
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
    /// The embedded FUSE server that serves `<source_dir>/<fqrn>` read-only.
    Snapshot {
        /// The directory that holds one subdirectory per repository.
        source_dir: PathBuf,
    },
}

impl Backend {
    /// The backend's name as the command line spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Cvmfs2Helper => "cvmfs2-helper",
            Self::HostBind { .. } => "host-bind",
            Self::AutomounterSlave { .. } => "automounter-slave",
            Self::Snapshot { .. } => "snapshot",
        }
    }

    /// Whether the client's configuration repository must be mounted before the others.
    pub fn needs_config_repository(&self) -> bool {
        matches!(self, Self::Cvmfs2Helper)
    }

    /// The source path the backend reads from, if it has one.
    pub fn source_path(&self) -> Option<&Path> {
        match self {
            Self::Cvmfs2Helper => None,
            Self::HostBind { source_root, .. } => Some(source_root),
            Self::AutomounterSlave { shared_dir } => Some(shared_dir),
            Self::Snapshot { source_dir } => Some(source_dir),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        if let Some(source) = self.source_path() {
            write!(f, " (source {})", source.display())?;
        }
        Ok(())
    }
}
