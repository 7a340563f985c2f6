//! The `MountPlan`: an ordered, validated list of steps that makes a selection appear
//! under a mount root. Building a plan changes nothing; `cvmfs-mount` executes it.

mod backend;
mod error;
mod path_rules;
mod problem;
mod propagation;
mod render;
mod step;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use backend::{AUTOMOUNTER_SHARED_DIRS, Backend, BackendKind, UnknownBackend};
pub use error::PlanError;
pub use problem::PlanProblem;
pub use propagation::{InvalidPropagation, Propagation};
pub use step::{MountSource, Step, Verification};

use crate::catalog::Catalog;
use crate::fqrn::Fqrn;
use crate::selection::{Selection, SelectionKind};
use path_rules::{check_absolute, depth, is_within};

/// The default mount root.
pub const DEFAULT_ROOT: &str = "/cvmfs";

/// How a plan is built, beyond the selection and backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanOptions {
    /// Where repositories appear (`/cvmfs`).
    pub root: PathBuf,
    /// Make bind mounts read-only (client and snapshot mounts are read-only anyway).
    pub read_only: bool,
    /// Propagation for every mount; `None` takes the backend's default (rslave for
    /// binds of a whole root, none otherwise).
    pub propagation: Option<Propagation>,
    /// Mount a repository somewhere else under the root.
    pub targets: BTreeMap<Fqrn, PathBuf>,
    /// For `host-bind`: bind the whole root recursively instead of each repository.
    /// `None`: whole root when the selection is `all`.
    pub whole_root: Option<bool>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            root: PathBuf::from(DEFAULT_ROOT),
            read_only: false,
            propagation: None,
            targets: BTreeMap::new(),
            whole_root: None,
        }
    }
}

/// What an entry of the plan mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryRole {
    /// The client's configuration repository (optional: failure is a warning unless
    /// `CVMFS_CONFIG_REPO_REQUIRED` is on).
    ConfigRepository,
    /// A selected repository.
    Repository,
    /// The whole mount root (recursive bind); its repositories are verified below it.
    Root,
}

/// One mount of the plan with the steps that make it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEntry {
    role: EntryRole,
    repository: Option<Fqrn>,
    target: PathBuf,
    steps: Vec<Step>,
}

impl PlanEntry {
    /// What the entry mounts.
    pub fn role(&self) -> EntryRole {
        self.role
    }

    /// The repository, for repository entries.
    pub fn repository(&self) -> Option<&Fqrn> {
        self.repository.as_ref()
    }

    /// The mountpoint.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The steps, in execution order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The repositories this entry is expected to provide (verified after mounting).
    pub fn verified_repositories(&self) -> impl Iterator<Item = &Fqrn> {
        self.steps.iter().filter_map(|step| match step {
            Step::Verify {
                check: Verification::Repository { fqrn },
                ..
            } => Some(fqrn),
            _ => None,
        })
    }
}

/// An ordered list of mounts under one root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountPlan {
    root: PathBuf,
    backend: Backend,
    read_only: bool,
    entries: Vec<PlanEntry>,
    unmount_order: Vec<PathBuf>,
}

impl MountPlan {
    /// Builds the plan for `selection`, or reports every problem with the options.
    pub fn build(
        selection: &Selection,
        catalog: &Catalog,
        backend: Backend,
        options: &PlanOptions,
    ) -> Result<Self, PlanError> {
        let problems = check_options(selection, &backend, options);
        if !problems.is_empty() {
            return Err(PlanError::InvalidOptions { problems });
        }
        let whole_root = match &backend {
            Backend::AutomounterSlave { .. } => true,
            Backend::HostBind { .. } => options
                .whole_root
                .unwrap_or(selection.kind() == SelectionKind::All),
            Backend::Cvmfs2Helper | Backend::Native | Backend::Snapshot { .. } => false,
        };
        let mut entries = Vec::new();
        if whole_root {
            entries.push(root_entry(selection, &backend, options));
        } else {
            let config = catalog
                .config_repository()
                .filter(|_| backend.needs_config_repository() && !selection.is_empty());
            if let Some(config) = config {
                entries.push(repository_entry(
                    EntryRole::ConfigRepository,
                    config,
                    &backend,
                    options,
                ));
            }
            let mut repositories: Vec<PlanEntry> = selection
                .repositories()
                .iter()
                .filter(|fqrn| Some(*fqrn) != config)
                .map(|fqrn| repository_entry(EntryRole::Repository, fqrn, &backend, options))
                .collect();
            // Parents before children; the stable sort keeps the selection's order otherwise.
            repositories.sort_by_key(|entry| depth(&entry.target));
            entries.extend(repositories);
        }
        let unmount_order = entries.iter().rev().map(|e| e.target.clone()).collect();
        // Client and snapshot mounts are read-only whatever the option: the document
        // says so, as the table does.
        let read_only = options.read_only
            || matches!(
                backend,
                Backend::Cvmfs2Helper | Backend::Native | Backend::Snapshot { .. }
            );
        let plan = Self {
            root: options.root.clone(),
            backend,
            read_only,
            entries,
            unmount_order,
        };
        plan.validate()?;
        Ok(plan)
    }

    /// Checks every invariant and reports all broken ones: targets under the root, no
    /// shared targets, the configuration repository first (when the backend needs it),
    /// parents before children, each entry's steps well-formed, and the unmount order
    /// the exact reverse of the mount order.
    pub fn validate(&self) -> Result<(), PlanError> {
        let mut problems = Vec::new();
        if let Err(fault) = check_absolute(&self.root) {
            problems.push(bad_path("mount root", &self.root, &fault));
        } else if depth(&self.root) == 0 {
            problems.push(PlanProblem::RootIsSlash);
        }
        let mut seen = HashSet::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if let Err(fault) = check_absolute(&entry.target) {
                problems.push(bad_path("mount target", &entry.target, &fault));
            } else if !is_within(&self.root, &entry.target) {
                problems.push(PlanProblem::TargetOutsideRoot {
                    target: entry.target.clone(),
                    root: self.root.clone(),
                });
            }
            if !seen.insert(entry.target.as_path()) {
                problems.push(PlanProblem::DuplicateTarget {
                    target: entry.target.clone(),
                });
            }
            if entry.role == EntryRole::ConfigRepository && index != 0 {
                problems.push(PlanProblem::ConfigRepositoryNotFirst { position: index });
            }
            for later in &self.entries[index + 1..] {
                if entry.target != later.target && entry.target.starts_with(&later.target) {
                    problems.push(PlanProblem::ChildBeforeParent {
                        child: entry.target.clone(),
                        parent: later.target.clone(),
                    });
                }
            }
            problems.extend(entry_step_problems(entry));
        }
        let expected: Vec<PathBuf> = self
            .entries
            .iter()
            .rev()
            .map(|e| e.target.clone())
            .collect();
        if expected != self.unmount_order {
            problems.push(PlanProblem::UnmountOrderNotReverse {
                expected,
                found: self.unmount_order.clone(),
            });
        }
        // Reported once each, in a stable order.
        problems.dedup();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PlanError::Invalid { problems })
        }
    }

    /// The mount root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The backend.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Whether the mounts are read-only: always for client and snapshot mounts, for
    /// binds when asked.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The mounts in order.
    pub fn entries(&self) -> &[PlanEntry] {
        &self.entries
    }

    /// Every step of every entry, in execution order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.entries.iter().flat_map(|entry| entry.steps.iter())
    }

    /// The targets to unmount, in order: the exact reverse of the mount order.
    pub fn unmount_order(&self) -> &[PathBuf] {
        &self.unmount_order
    }

    /// The client's configuration repository, when the plan mounts one first.
    pub fn config_repository(&self) -> Option<&Fqrn> {
        self.entries
            .iter()
            .find(|entry| entry.role == EntryRole::ConfigRepository)
            .and_then(|entry| entry.repository.as_ref())
    }

    /// Every repository the plan provides, configuration repository included.
    pub fn repositories(&self) -> Vec<&Fqrn> {
        self.entries
            .iter()
            .flat_map(|entry| entry.repository.iter().chain(entry.verified_repositories()))
            .fold(Vec::new(), |mut acc, fqrn| {
                if !acc.contains(&fqrn) {
                    acc.push(fqrn);
                }
                acc
            })
    }
}

fn bad_path(what: &str, path: &Path, fault: &path_rules::PathFault) -> PlanProblem {
    PlanProblem::BadPath {
        what: what.to_owned(),
        path: path.to_owned(),
        reason: fault.describe().to_owned(),
    }
}

/// Every problem with the inputs of [`MountPlan::build`].
fn check_options(
    selection: &Selection,
    backend: &Backend,
    options: &PlanOptions,
) -> Vec<PlanProblem> {
    let mut problems = Vec::new();
    let root_ok = match check_absolute(&options.root) {
        Err(fault) => {
            problems.push(bad_path("mount root", &options.root, &fault));
            false
        }
        Ok(()) if depth(&options.root) == 0 => {
            problems.push(PlanProblem::RootIsSlash);
            false
        }
        Ok(()) => true,
    };
    if let Some(source) = backend.source_path() {
        let what = match backend {
            Backend::HostBind { .. } => "host-bind source root",
            Backend::AutomounterSlave { .. } => "automounter shared directory",
            _ => "snapshot source directory",
        };
        match check_absolute(source) {
            Err(fault) => problems.push(bad_path(what, source, &fault)),
            Ok(()) if root_ok => {
                let binds = !matches!(backend, Backend::Snapshot { .. });
                if binds && (source.starts_with(&options.root) || options.root.starts_with(source))
                {
                    problems.push(PlanProblem::SourceOverlapsRoot {
                        source: source.to_owned(),
                        root: options.root.clone(),
                    });
                }
            }
            Ok(()) => {}
        }
    }
    let binds_whole_root = match backend {
        Backend::AutomounterSlave { .. } => true,
        Backend::HostBind { .. } => options
            .whole_root
            .unwrap_or(selection.kind() == SelectionKind::All),
        _ => false,
    };
    if binds_whole_root && !options.targets.is_empty() {
        problems.push(PlanProblem::OverrideWithWholeRoot {
            backend: backend.name().to_owned(),
        });
    }
    for (fqrn, target) in &options.targets {
        if !selection.repositories().contains(fqrn) {
            problems.push(PlanProblem::OverrideNotSelected { fqrn: fqrn.clone() });
        }
        match check_absolute(target) {
            Err(fault) => problems.push(bad_path(&format!("target for {fqrn}"), target, &fault)),
            Ok(()) if root_ok && (!is_within(&options.root, target) || target == &options.root) => {
                problems.push(PlanProblem::TargetOutsideRoot {
                    target: target.clone(),
                    root: options.root.clone(),
                });
            }
            Ok(()) => {}
        }
    }
    problems
}

/// The mount of one repository at its target.
fn repository_entry(
    role: EntryRole,
    fqrn: &Fqrn,
    backend: &Backend,
    options: &PlanOptions,
) -> PlanEntry {
    let target = options
        .targets
        .get(fqrn)
        .cloned()
        .unwrap_or_else(|| options.root.join(fqrn.as_str()));
    let (source, is_bind) = match backend {
        Backend::Cvmfs2Helper => (MountSource::Cvmfs2Helper { fqrn: fqrn.clone() }, false),
        Backend::Native => (MountSource::Native { fqrn: fqrn.clone() }, false),
        Backend::Snapshot { source_dir } => (
            MountSource::Snapshot {
                fqrn: fqrn.clone(),
                directory: source_dir.as_ref().map(|dir| dir.join(fqrn.as_str())),
            },
            false,
        ),
        Backend::HostBind { .. } | Backend::AutomounterSlave { .. } => (
            MountSource::Bind {
                source: backend.source_path().map(|root| root.join(fqrn.as_str())),
                recursive: false,
            },
            true,
        ),
    };
    let mut steps = vec![
        Step::CreateMountpoint {
            target: target.clone(),
        },
        Step::Mount {
            target: target.clone(),
            source,
        },
    ];
    if let Some(propagation) = options.propagation {
        steps.push(Step::SetPropagation {
            target: target.clone(),
            propagation,
        });
    }
    if is_bind && options.read_only {
        steps.push(Step::RemountReadOnly {
            target: target.clone(),
        });
    }
    let plain = matches!(
        backend,
        Backend::HostBind {
            plain_source: true,
            ..
        }
    );
    steps.push(Step::Verify {
        target: target.clone(),
        check: if plain {
            Verification::Mountpoint
        } else {
            Verification::Repository { fqrn: fqrn.clone() }
        },
    });
    PlanEntry {
        role,
        repository: Some(fqrn.clone()),
        target,
        steps,
    }
}

/// A recursive bind of a whole root, rslave by default, then one verification per
/// selected repository below it (none for `all`, whose members appear on demand).
fn root_entry(selection: &Selection, backend: &Backend, options: &PlanOptions) -> PlanEntry {
    let target = options.root.clone();
    let source = backend.source_path().map(Path::to_owned);
    let mut steps = vec![
        Step::CreateMountpoint {
            target: target.clone(),
        },
        Step::Mount {
            target: target.clone(),
            source: MountSource::Bind {
                source,
                recursive: true,
            },
        },
        Step::SetPropagation {
            target: target.clone(),
            propagation: options.propagation.unwrap_or(Propagation::RSlave),
        },
    ];
    if options.read_only {
        steps.push(Step::RemountReadOnly {
            target: target.clone(),
        });
    }
    steps.push(Step::Verify {
        target: target.clone(),
        check: Verification::Mountpoint,
    });
    for fqrn in selection.repositories() {
        steps.push(Step::Verify {
            target: target.join(fqrn.as_str()),
            check: Verification::Repository { fqrn: fqrn.clone() },
        });
    }
    PlanEntry {
        role: EntryRole::Root,
        repository: None,
        target,
        steps,
    }
}

/// Rank of a step in the required order create, mount, propagation, read-only, verify.
fn step_rank(step: &Step) -> u8 {
    match step {
        Step::CreateMountpoint { .. } => 0,
        Step::Mount { .. } => 1,
        Step::SetPropagation { .. } => 2,
        Step::RemountReadOnly { .. } => 3,
        Step::Verify { .. } => 4,
    }
}

fn entry_step_problems(entry: &PlanEntry) -> Vec<PlanProblem> {
    let mut problems = Vec::new();
    let mounts = entry
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Mount { .. }))
        .count();
    if mounts != 1 {
        problems.push(PlanProblem::MountStepCount {
            target: entry.target.clone(),
            count: mounts,
        });
    }
    if entry
        .steps
        .windows(2)
        .any(|w| step_rank(&w[0]) > step_rank(&w[1]))
    {
        problems.push(PlanProblem::StepsOutOfOrder {
            target: entry.target.clone(),
        });
    }
    for step in &entry.steps {
        let allowed = match step {
            // The root entry verifies repositories below its target.
            Step::Verify { target, .. } if entry.role == EntryRole::Root => {
                target.starts_with(&entry.target)
            }
            other => other.target() == entry.target,
        };
        if !allowed {
            problems.push(PlanProblem::StepOutsideEntry {
                target: entry.target.clone(),
                step: step.to_string(),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests;
