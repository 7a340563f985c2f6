//! Turning the shared selection options into a core plan request, collecting every
//! problem before reporting.

use std::path::{Path, PathBuf};

use cvmfs_core::selection::SelectionWarning;
use cvmfs_core::{
    Backend, BackendKind, Catalog, Domain, Fqrn, MountPlan, PlanOptions, Propagation, Selection,
};
use cvmfs_mount::client_config::{ConfigRepositorySetting, config_repository_setting};

use crate::args::{CatalogArgs, SelectionArgs};
use crate::error::{CliError, InputProblem};

/// A validated plan and the warnings worth showing.
pub struct PlanRequest {
    /// The plan.
    pub plan: MountPlan,
    /// Accepted oddities of the selection.
    pub warnings: Vec<SelectionWarning>,
}

/// Whether the command reads the backend's source directory (`--source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceUse {
    /// The command mounts (mount, repair, exec, watch, the entrypoint): a backend that
    /// reads a source needs one, unless nothing is selected.
    Mounts,
    /// The command only shows, checks or unmounts the plan: a missing source is fine.
    NotRead,
}

/// The backend `--backend` names, or the default `doctor` picks for this host.
pub fn backend_kind(args: &SelectionArgs) -> BackendKind {
    args.backend.unwrap_or_else(|| {
        cvmfs_mount::doctor::default_backend_on(&cvmfs_mount::sys::LinuxOps, &args.root)
    })
}

/// Builds the plan for the options, or reports every problem at once. For the client's
/// helper, the configuration repository is the one the client's files in
/// `client_config_dir` name (unless `--config-repository` says otherwise, or the client
/// has no files there).
pub fn build_plan(
    args: &SelectionArgs,
    source_use: SourceUse,
    client_config_dir: &Path,
) -> Result<PlanRequest, CliError> {
    let mut problems: Vec<InputProblem> = Vec::new();
    let mut catalog = catalog(&args.catalog, &mut problems);
    let selection = match Selection::parse(args.mounts.as_deref(), &catalog) {
        Ok(selection) => Some(selection),
        Err(err) => {
            problems.push(err.into());
            None
        }
    };
    let kind = backend_kind(args);
    if kind == BackendKind::Cvmfs2Helper && args.catalog.config_repository.is_none() {
        let probe_name = selection
            .as_ref()
            .and_then(|s| s.repositories().first().cloned())
            .or_else(|| catalog.repositories().first().cloned());
        if let Some(name) = probe_name {
            match config_repository_setting(client_config_dir, &name) {
                ConfigRepositorySetting::NoConfiguration => {}
                ConfigRepositorySetting::Unset => catalog.set_config_repository(None),
                ConfigRepositorySetting::Set(fqrn) => catalog.set_config_repository(Some(fqrn)),
                ConfigRepositorySetting::Invalid { value, .. } => {
                    problems.push(InputProblem::Option {
                        option: "--config-dir",
                        message: format!(
                            "the client's CVMFS_CONFIG_REPOSITORY={value:?} under {} is not a repository name (or pass --config-repository)",
                            client_config_dir.display()
                        ),
                    });
                }
            }
        }
    }
    let needs_source =
        source_use == SourceUse::Mounts && selection.as_ref().is_none_or(|s| !s.is_empty());
    let backend = backend(args, kind, needs_source, &mut problems)?;
    let mut options = PlanOptions {
        root: absolute(&args.root)?,
        read_only: args.read_only,
        ..PlanOptions::default()
    };
    if let Some(text) = &args.propagation {
        match text.parse::<Propagation>() {
            Ok(propagation) => options.propagation = Some(propagation),
            Err(err) => problems.push(err.into()),
        }
    }
    if args.plain_source && kind != BackendKind::HostBind {
        problems.push(InputProblem::Option {
            option: "--plain-source",
            message: "applies to the host-bind backend only".to_owned(),
        });
    }
    if args.whole_root || args.per_repository {
        if kind != BackendKind::HostBind {
            problems.push(InputProblem::Option {
                option: if args.whole_root {
                    "--whole-root"
                } else {
                    "--per-repository"
                },
                message: "applies to the host-bind backend only".to_owned(),
            });
        }
        options.whole_root = Some(args.whole_root);
    }
    for spec in &args.targets {
        match spec.split_once('=') {
            Some((name, path)) if !path.is_empty() => match catalog.resolve(name) {
                Ok(fqrn) => {
                    options.targets.insert(fqrn, absolute(Path::new(path))?);
                }
                Err(err) => problems.push(err.into()),
            },
            _ => problems.push(InputProblem::Option {
                option: "--target",
                message: format!("{spec:?} is not of the form FQRN=PATH"),
            }),
        }
    }
    let Some(backend) = backend else {
        return Err(CliError::InvalidInput { problems });
    };
    // Plan-option problems are reported together with the others, even when the
    // selection itself was invalid (checked against an empty selection then).
    let planned = MountPlan::build(
        selection.as_ref().unwrap_or(&Selection::nothing()),
        &catalog,
        backend,
        &options,
    );
    match planned {
        Err(err) => problems.push(err.into()),
        Ok(plan) if problems.is_empty() => {
            let warnings = selection.map(|s| s.warnings().to_vec()).unwrap_or_default();
            return Ok(PlanRequest { plan, warnings });
        }
        Ok(_) => {}
    }
    Err(CliError::InvalidInput { problems })
}

/// The selection `mounts` names in the catalog the options describe; every problem is
/// added to `problems`.
pub fn selection(
    mounts: Option<&str>,
    catalog_args: &CatalogArgs,
    problems: &mut Vec<InputProblem>,
) -> Option<Selection> {
    let catalog = catalog(catalog_args, problems);
    Selection::parse(mounts, &catalog)
        .map_err(|e| problems.push(e.into()))
        .ok()
}

/// The catalog the options describe; every problem is added to `problems` (the built-in
/// CMS catalog stands in for an unknown profile so that the other options are still
/// checked).
pub fn catalog(args: &CatalogArgs, problems: &mut Vec<InputProblem>) -> Catalog {
    let mut catalog = Catalog::profile(&args.profile).unwrap_or_else(|err| {
        problems.push(err.into());
        Catalog::cms()
    });
    match Domain::parse(&args.default_domain) {
        Ok(domain) => catalog.set_default_domain(domain),
        Err(err) => problems.push(err.into()),
    }
    if let Some(config) = &args.config_repository {
        if config.eq_ignore_ascii_case("none") {
            catalog.set_config_repository(None);
        } else {
            match Fqrn::parse(config) {
                Ok(fqrn) => catalog.set_config_repository(Some(fqrn)),
                Err(err) => problems.push(err.into()),
            }
        }
    }
    let mut extra = Vec::new();
    for name in &args.add_repositories {
        match catalog.resolve(name) {
            Ok(fqrn) => extra.push(fqrn),
            Err(err) => problems.push(err.into()),
        }
    }
    catalog.extend(extra);
    catalog
}

/// The backend with its settings; `None` when a problem was added. A source the
/// command does not read may be missing (the plan then says so).
fn backend(
    args: &SelectionArgs,
    kind: BackendKind,
    needs_source: bool,
    problems: &mut Vec<InputProblem>,
) -> Result<Option<Backend>, CliError> {
    let source = |problems: &mut Vec<InputProblem>| -> Result<Option<PathBuf>, CliError> {
        match &args.source {
            Some(path) => Ok(Some(absolute(path)?)),
            None if needs_source => {
                problems.push(InputProblem::Option {
                    option: "--source",
                    message: format!("is required by the {kind} backend to mount"),
                });
                Ok(None)
            }
            None => Ok(None),
        }
    };
    let unused = |problems: &mut Vec<InputProblem>, option: &'static str, present: bool| {
        if present {
            problems.push(InputProblem::Option {
                option,
                message: format!("is not used by the {kind} backend"),
            });
        }
    };
    Ok(match kind {
        BackendKind::Cvmfs2Helper => {
            unused(problems, "--source", args.source.is_some());
            unused(problems, "--shared-dir", args.shared_dir.is_some());
            Some(Backend::Cvmfs2Helper)
        }
        BackendKind::Native => {
            unused(problems, "--source", args.source.is_some());
            unused(problems, "--shared-dir", args.shared_dir.is_some());
            Some(Backend::Native)
        }
        BackendKind::Snapshot => {
            unused(problems, "--shared-dir", args.shared_dir.is_some());
            Some(Backend::Snapshot {
                source_dir: source(problems)?,
            })
        }
        BackendKind::HostBind => {
            unused(problems, "--shared-dir", args.shared_dir.is_some());
            let source_root = source(problems)?;
            Some(Backend::HostBind {
                source_root,
                plain_source: args.plain_source,
            })
        }
        BackendKind::AutomounterSlave => {
            unused(problems, "--source", args.source.is_some());
            let shared_dir = match &args.shared_dir {
                Some(dir) => absolute(dir)?,
                None => cvmfs_mount::backend::default_shared_dir(&cvmfs_mount::sys::LinuxOps),
            };
            Some(Backend::AutomounterSlave { shared_dir })
        }
    })
}

/// Makes a relative path absolute against the current directory (the core requires
/// absolute paths; `..` and `.` are left for the core to reject).
fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    if path.is_absolute() || path.as_os_str().is_empty() {
        return Ok(path.to_owned());
    }
    let cwd = std::env::current_dir().map_err(|source| CliError::CurrentDir {
        path: path.to_owned(),
        source,
    })?;
    let joined = cwd.join(path);
    // `./snap` is common: drop `.` components, which carry no meaning.
    Ok(joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect())
}
