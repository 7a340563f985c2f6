//! `automounter-slave`: consume the directory an automounter publishes with rshared
//! propagation: a recursive bind, then rslave, so repositories it mounts later arrive.

use std::path::{Path, PathBuf};

use cvmfs_core::MountPlan;
use cvmfs_core::plan::{AUTOMOUNTER_SHARED_DIRS, MountSource, Step};

use crate::backend::{
    MountBackend, Note, Requirement, bind, given_source, source_table, unsupported,
};
use crate::error::MountError;
use crate::mount_table::path_bytes;
use crate::sys::{MountOps, PathKind};

/// The automounter directory to consume when none is given: the first of
/// [`AUTOMOUNTER_SHARED_DIRS`] that is a directory here, else the first.
pub fn default_shared_dir(ops: &dyn MountOps) -> PathBuf {
    AUTOMOUNTER_SHARED_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|dir| ops.lstat(dir) == Ok(PathKind::Directory))
        .unwrap_or_else(|| PathBuf::from(AUTOMOUNTER_SHARED_DIRS[0]))
}

/// Binds an automounter's shared directory.
#[derive(Debug, Clone, Default)]
pub struct AutomounterBackend;

fn check_shared(ops: &dyn MountOps, shared_dir: &Path) -> Result<(), MountError> {
    let mut text = source_table(ops, shared_dir)?;
    let table = text.parse()?;
    let propagation = table
        .serving(path_bytes(shared_dir))
        .map(|m| m.propagation());
    match propagation {
        Some(p) if p.carries_events() => Ok(()),
        other => Err(MountError::SourceNotShared {
            path: shared_dir.to_owned(),
            propagation: other.map_or_else(
                || "not mounted".to_owned(),
                |p| format!("{p:?}").to_lowercase(),
            ),
        }),
    }
}

impl MountBackend for AutomounterBackend {
    fn kind(&self) -> cvmfs_core::BackendKind {
        cvmfs_core::BackendKind::AutomounterSlave
    }

    fn preflight(
        &self,
        ops: &dyn MountOps,
        _facts: &crate::host_facts::HostFacts,
        plan: &MountPlan,
    ) -> Vec<Requirement> {
        plan.steps()
            .filter_map(|step| match step {
                Step::Mount {
                    source: MountSource::Bind { source, .. },
                    ..
                } => given_source(self.kind(), source.as_deref())
                    .and_then(|source| check_shared(ops, source))
                    .err(),
                _ => None,
            })
            .map(|err| {
                Requirement::blocking(
                    err.to_string(),
                    "start the automounter with its directory bound :rshared (docker run -v /shared-mounts:/cvmfsmounts:rshared ...)",
                )
            })
            .collect()
    }

    fn mount(
        &self,
        ops: &dyn MountOps,
        source: &MountSource,
        target: &Path,
    ) -> Result<Vec<Note>, MountError> {
        let MountSource::Bind { source, .. } = source else {
            return Err(unsupported(self.name(), source));
        };
        let source = given_source(self.kind(), source.as_deref())?;
        check_shared(ops, source)?;
        bind(ops, source, target, true)?;
        Ok(Vec::new())
    }
}
