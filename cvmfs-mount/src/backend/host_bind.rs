//! `host-bind`: bind a host's repositories (per repository, or the whole root
//! recursively with rslave propagation).

use std::path::Path;

use cvmfs_core::MountPlan;
use cvmfs_core::plan::{MountSource, Step};

use crate::backend::{
    MountBackend, Note, Requirement, bind, given_source, source_table, unsupported,
};
use crate::error::MountError;
use crate::mount_table::path_bytes;
use crate::sys::MountOps;

/// Binds from a host directory.
#[derive(Debug, Clone, Default)]
pub struct HostBindBackend {
    /// The sources are plain directories (an exported snapshot), not client mounts.
    pub plain_source: bool,
    /// Sources served by the snapshot stand-in pass as client mounts (tests only).
    pub accepts_stand_in: bool,
}

impl HostBindBackend {
    fn check_source(
        &self,
        ops: &dyn MountOps,
        source: &Path,
        recursive: bool,
    ) -> Result<Vec<String>, MountError> {
        let mut text = source_table(ops, source)?;
        let table = text.parse()?;
        let mut notes = Vec::new();
        if recursive {
            // Later mounts under the source (autofs) reach us only if it is shared.
            let carries = table
                .serving(path_bytes(source))
                .is_some_and(|m| m.propagation().carries_events());
            if !carries {
                notes.push(format!(
                    "{} is not shared: repositories mounted there later will not appear here; on the host run: mount --make-rshared {}",
                    source.display(),
                    source.display()
                ));
            }
        } else if !self.plain_source
            && !table
                .visible_at(path_bytes(source))
                .is_some_and(|m| m.is_client_mount())
        {
            return Err(MountError::SourceNotClientMount {
                path: source.to_owned(),
            });
        }
        Ok(notes)
    }
}

impl MountBackend for HostBindBackend {
    fn kind(&self) -> cvmfs_core::BackendKind {
        cvmfs_core::BackendKind::HostBind
    }

    /// A client mount is what the host's repositories are; a stand-in's mount that looks
    /// like one in the mount table is not.
    fn refuses_stand_in(&self) -> bool {
        !self.plain_source && !self.accepts_stand_in
    }

    fn preflight(
        &self,
        ops: &dyn MountOps,
        _facts: &crate::host_facts::HostFacts,
        plan: &MountPlan,
    ) -> Vec<Requirement> {
        let mut needs = Vec::new();
        for step in plan.steps() {
            if let Step::Mount {
                source:
                    MountSource::Bind {
                        source: Some(source),
                        recursive,
                    },
                ..
            } = step
            {
                match self.check_source(ops, source, *recursive) {
                    Ok(notes) => needs.extend(notes.into_iter().map(|n| {
                        Requirement::warning(n, "make the host's mount shared before binding it")
                    })),
                    Err(err) => needs.push(Requirement::blocking(
                        err.to_string(),
                        "mount the repository on the host (or bind /cvmfs with --whole-root), or declare a plain directory",
                    )),
                }
            }
        }
        needs
    }

    fn mount(
        &self,
        ops: &dyn MountOps,
        source: &MountSource,
        target: &Path,
    ) -> Result<Vec<Note>, MountError> {
        let MountSource::Bind { source, recursive } = source else {
            return Err(unsupported(self.name(), source));
        };
        let source = given_source(self.kind(), source.as_deref())?;
        let notes: Vec<Note> = self
            .check_source(ops, source, *recursive)?
            .into_iter()
            .map(Note::Warning)
            .collect();
        bind(ops, source, target, *recursive)?;
        Ok(notes)
    }
}
