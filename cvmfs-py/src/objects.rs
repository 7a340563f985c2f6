//! Parsing and planning as Python objects with attributes, `repr` and equality.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;

use cvmfs_core::config::{ConfigFiles, ResolveOptions, resolve};
use cvmfs_core::environment::{ElRelease, EnvironmentOptions, EnvironmentSetup, Shell};
use cvmfs_core::plan::PlanOptions;
use cvmfs_core::remap::{IdPolicy, IdRequest, plan_remap};
use cvmfs_core::{Backend, BackendKind, Catalog, Domain, MountTable, Propagation, Selection};

use crate::errors::invalid;

/// A validated repository name.
#[pyclass(module = "cvmfs_mount", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fqrn {
    inner: cvmfs_core::Fqrn,
}

#[pymethods]
impl Fqrn {
    /// Parses a name; short names get `default_domain`.
    #[new]
    #[pyo3(signature = (name, default_domain = "cern.ch"))]
    fn new(name: &str, default_domain: &str) -> PyResult<Self> {
        let domain = Domain::parse(default_domain).map_err(invalid)?;
        cvmfs_core::Fqrn::expand(name, &domain)
            .map(|inner| Self { inner })
            .map_err(invalid)
    }

    /// The text before the first dot.
    #[getter]
    fn org(&self) -> &str {
        self.inner.org()
    }

    /// The text after the first dot.
    #[getter]
    fn domain(&self) -> &str {
        self.inner.domain()
    }

    fn __str__(&self) -> &str {
        self.inner.as_str()
    }

    fn __repr__(&self) -> String {
        format!("Fqrn('{}')", self.inner)
    }
}

/// A parsed `CVMFS_MOUNTS` value.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedSelection {
    /// `nothing`, `all` or `list`.
    #[pyo3(get)]
    kind: String,
    /// The repositories in order.
    #[pyo3(get)]
    repositories: Vec<String>,
    /// Accepted oddities (unknown names, duplicates).
    #[pyo3(get)]
    warnings: Vec<String>,
}

#[pymethods]
impl ParsedSelection {
    fn __repr__(&self) -> String {
        format!(
            "Selection(kind='{}', repositories={:?})",
            self.kind, self.repositories
        )
    }

    fn __len__(&self) -> usize {
        self.repositories.len()
    }
}

fn catalog(profile: &str) -> PyResult<Catalog> {
    Catalog::profile(profile).map_err(invalid)
}

fn selection(text: Option<&str>, profile: &str) -> PyResult<Selection> {
    Selection::parse(text, &catalog(profile)?).map_err(invalid)
}

/// Parses a `CVMFS_MOUNTS` value (`None`: unset). Raises `InvalidInputError` listing
/// every bad token.
#[pyfunction]
#[pyo3(signature = (text = None, profile = "cms"))]
fn parse_selection(text: Option<&str>, profile: &str) -> PyResult<ParsedSelection> {
    let parsed = selection(text, profile)?;
    Ok(ParsedSelection {
        kind: format!("{:?}", parsed.kind()).to_lowercase(),
        repositories: parsed.names().into_iter().map(str::to_owned).collect(),
        warnings: parsed.warnings().iter().map(ToString::to_string).collect(),
    })
}

/// One step of a plan.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct Step {
    /// `create-mountpoint`, `mount`, `set-propagation`, `remount-read-only`, `verify`.
    #[pyo3(get)]
    action: String,
    /// The path acted on.
    #[pyo3(get)]
    target: String,
    /// The arguments in words.
    #[pyo3(get)]
    detail: String,
}

#[pymethods]
impl Step {
    fn __repr__(&self) -> String {
        format!(
            "Step('{}', '{}', '{}')",
            self.action, self.target, self.detail
        )
    }
}

/// A validated mount plan.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct MountPlan {
    pub(crate) inner: cvmfs_core::MountPlan,
}

/// The backend with its settings. A plan without the `source` its backend reads can be
/// inspected, checked and unmounted; mounting it fails with "pass --source".
fn backend(
    kind: BackendKind,
    source: Option<&str>,
    shared_dir: Option<&str>,
    plain_source: bool,
) -> Backend {
    let path = |value: &str| std::path::absolute(value).unwrap_or_else(|_| PathBuf::from(value));
    match kind {
        BackendKind::Cvmfs2Helper => Backend::Cvmfs2Helper,
        BackendKind::Native => Backend::Native,
        BackendKind::Snapshot => Backend::Snapshot {
            source_dir: source.map(path),
        },
        BackendKind::HostBind => Backend::HostBind {
            source_root: source.map(path),
            plain_source,
        },
        BackendKind::AutomounterSlave => Backend::AutomounterSlave {
            shared_dir: shared_dir.map_or_else(
                || cvmfs_mount::backend::default_shared_dir(&cvmfs_mount::sys::LinuxOps),
                path,
            ),
        },
    }
}

#[pymethods]
impl MountPlan {
    /// Builds a plan: `selection` is a `CVMFS_MOUNTS` value; without `backend`, the best
    /// backend `doctor` finds here that needs no `source` (never the snapshot stand-in).
    #[new]
    #[pyo3(signature = (selection = None, backend = None, source = None, shared_dir = None, root = "/cvmfs", read_only = false, propagation = None, plain_source = false, profile = "cms"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        selection: Option<&str>,
        backend: Option<&str>,
        source: Option<&str>,
        shared_dir: Option<&str>,
        root: &str,
        read_only: bool,
        propagation: Option<&str>,
        plain_source: bool,
        profile: &str,
    ) -> PyResult<Self> {
        let catalog = catalog(profile)?;
        let parsed = Selection::parse(selection, &catalog).map_err(invalid)?;
        let options = PlanOptions {
            root: std::path::absolute(root).unwrap_or_else(|_| PathBuf::from(root)),
            read_only,
            propagation: propagation
                .map(str::parse::<Propagation>)
                .transpose()
                .map_err(invalid)?,
            ..PlanOptions::default()
        };
        let backend = match backend {
            Some(name) => name
                .parse::<BackendKind>()
                .map_err(|e| crate::errors::InvalidInputError::new_err(e.to_string()))?,
            None => {
                cvmfs_mount::doctor::default_backend_on(&cvmfs_mount::sys::LinuxOps, &options.root)
            }
        };
        let backend = self::backend(backend, source, shared_dir, plain_source);
        cvmfs_core::MountPlan::build(&parsed, &catalog, backend, &options)
            .map(|inner| Self { inner })
            .map_err(invalid)
    }

    /// Reads a plan from JSON and validates it.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        cvmfs_core::MountPlan::from_json(text)
            .map(|inner| Self { inner })
            .map_err(invalid)
    }

    /// The plan as JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Checks the invariants again; raises `InvalidInputError` listing every problem.
    fn validate(&self) -> PyResult<()> {
        self.inner.validate().map_err(invalid)
    }

    /// Every step in order.
    #[getter]
    fn steps(&self) -> Vec<Step> {
        self.inner
            .steps()
            .map(|s| Step {
                action: s.action().to_owned(),
                target: s.target().display().to_string(),
                detail: s.detail(),
            })
            .collect()
    }

    /// The mount targets in order.
    #[getter]
    fn targets(&self) -> Vec<String> {
        self.inner
            .entries()
            .iter()
            .map(|e| e.target().display().to_string())
            .collect()
    }

    /// The unmount order (the exact reverse).
    #[getter]
    fn unmount_order(&self) -> Vec<String> {
        self.inner
            .unmount_order()
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    }

    /// The repositories provided.
    #[getter]
    fn repositories(&self) -> Vec<String> {
        self.inner
            .repositories()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The mount root.
    #[getter]
    fn root(&self) -> String {
        self.inner.root().display().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "MountPlan(backend='{}', root='{}', targets={:?})",
            self.inner.backend().name(),
            self.inner.root().display(),
            self.targets()
        )
    }
}

/// The outcome of an id remap.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct RemapPlan {
    /// The user.
    #[pyo3(get)]
    user: String,
    /// Uid before and after.
    #[pyo3(get)]
    uid: (u32, u32),
    /// Gid before and after.
    #[pyo3(get)]
    gid: (u32, u32),
    /// New passwd content.
    #[pyo3(get)]
    passwd: String,
    /// New group content.
    #[pyo3(get)]
    group: String,
    /// The anchor's notices for unspecified ids.
    #[pyo3(get)]
    notices: Vec<String>,
}

#[pymethods]
impl RemapPlan {
    fn __repr__(&self) -> String {
        format!(
            "RemapPlan(user='{}', uid={:?}, gid={:?})",
            self.user, self.uid, self.gid
        )
    }
}

/// Computes new passwd/group contents for `MY_UID`/`MY_GID` values.
#[pyfunction]
#[pyo3(signature = (passwd, group, my_uid = None, my_gid = None, user = None, allow_root = false))]
fn remap_ids(
    passwd: &str,
    group: &str,
    my_uid: Option<&str>,
    my_gid: Option<&str>,
    user: Option<&str>,
    allow_root: bool,
) -> PyResult<RemapPlan> {
    let policy = IdPolicy {
        allow_root,
        allow_overflow: false,
    };
    let request = IdRequest::from_values(my_uid, my_gid, user, policy).map_err(invalid)?;
    let plan = plan_remap(passwd, group, &request).map_err(invalid)?;
    Ok(RemapPlan {
        user: plan.user,
        uid: (plan.old_uid, plan.new_uid),
        gid: (plan.old_gid, plan.new_gid),
        passwd: plan.passwd,
        group: plan.group,
        notices: plan.notices,
    })
}

/// The shell environment for a selection.
#[pyfunction]
#[pyo3(signature = (selection = None, shell = "bash", root = "/cvmfs", el = "el7"))]
fn environment(selection: Option<&str>, shell: &str, root: &str, el: &str) -> PyResult<String> {
    let parsed = self::selection(selection, "cms")?;
    let shell: Shell = shell.parse().map_err(invalid)?;
    let el: ElRelease = el.parse().map_err(invalid)?;
    let options = EnvironmentOptions {
        root: PathBuf::from(root),
        el,
        ..EnvironmentOptions::default()
    };
    Ok(EnvironmentSetup::for_selection(&parsed, &options).render(shell))
}

/// A repository's effective configuration.
#[pyclass(module = "cvmfs_mount", frozen)]
pub struct EffectiveConfig {
    /// Key to (value, origin file).
    #[pyo3(get)]
    values: BTreeMap<String, (String, String)>,
    /// Problems found.
    #[pyo3(get)]
    diagnostics: Vec<String>,
    shown: String,
}

#[pymethods]
impl EffectiveConfig {
    /// `KEY=VALUE    # from <file>` lines, as the client shows them.
    fn show(&self) -> String {
        self.shown.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "EffectiveConfig({} values, {} diagnostics)",
            self.values.len(),
            self.diagnostics.len()
        )
    }
}

/// Resolves a repository's configuration from files given as `{path: content}`.
#[pyfunction]
#[pyo3(signature = (fqrn, files, config_dir = "/etc/cvmfs", mount_dir = "/cvmfs"))]
fn resolve_config(
    fqrn: &str,
    files: BTreeMap<String, String>,
    config_dir: &str,
    mount_dir: &str,
) -> PyResult<EffectiveConfig> {
    let fqrn = cvmfs_core::Fqrn::expand(fqrn, &Domain::cern()).map_err(invalid)?;
    let files: ConfigFiles = files
        .into_iter()
        .map(|(k, v)| (PathBuf::from(k), v))
        .collect();
    let options = ResolveOptions {
        config_dir: PathBuf::from(config_dir),
        mount_dir: PathBuf::from(mount_dir),
    };
    let config = resolve(&fqrn, &files, &options);
    Ok(EffectiveConfig {
        values: config
            .values
            .iter()
            .map(|(k, v)| (k.clone(), (v.value.clone(), v.origin.display().to_string())))
            .collect(),
        diagnostics: config
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect(),
        shown: config.show(),
    })
}

/// One mount from a mount table.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Mount id.
    #[pyo3(get)]
    mount_id: u32,
    /// Parent id.
    #[pyo3(get)]
    parent_id: u32,
    /// Device minor.
    #[pyo3(get)]
    minor: u32,
    /// Mountpoint (decoded; non-UTF-8 bytes replaced).
    #[pyo3(get)]
    mount_point: String,
    /// Filesystem type.
    #[pyo3(get)]
    fs_type: String,
    /// Source.
    #[pyo3(get)]
    source: String,
    /// Propagation.
    #[pyo3(get)]
    propagation: String,
    /// Whether it has the client's mount shape.
    #[pyo3(get)]
    is_client_mount: bool,
}

#[pymethods]
impl MountEntry {
    fn __repr__(&self) -> String {
        format!(
            "MountEntry({} '{}' {} {})",
            self.mount_id, self.mount_point, self.fs_type, self.source
        )
    }
}

/// Parses mountinfo text (bytes); raises `InvalidInputError` naming the bad line.
#[pyfunction]
fn parse_mountinfo(text: &[u8]) -> PyResult<Vec<MountEntry>> {
    let table = MountTable::parse(text).map_err(invalid)?;
    Ok(table
        .mounts()
        .iter()
        .map(|m| MountEntry {
            mount_id: m.mount_id,
            parent_id: m.parent_id,
            minor: m.minor,
            mount_point: String::from_utf8_lossy(&m.mount_point).into_owned(),
            fs_type: String::from_utf8_lossy(&m.fs_type).into_owned(),
            source: String::from_utf8_lossy(&m.source).into_owned(),
            propagation: format!("{:?}", m.propagation()).to_lowercase(),
            is_client_mount: m.is_client_mount(),
        })
        .collect())
}

/// Adds the classes and functions to the module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Fqrn>()?;
    module.add_class::<ParsedSelection>()?;
    module.add_class::<Step>()?;
    module.add_class::<MountPlan>()?;
    module.add_class::<RemapPlan>()?;
    module.add_class::<EffectiveConfig>()?;
    module.add_class::<MountEntry>()?;
    module.add_function(wrap_pyfunction!(parse_selection, module)?)?;
    module.add_function(wrap_pyfunction!(remap_ids, module)?)?;
    module.add_function(wrap_pyfunction!(environment, module)?)?;
    module.add_function(wrap_pyfunction!(resolve_config, module)?)?;
    module.add_function(wrap_pyfunction!(parse_mountinfo, module)?)?;
    Ok(())
}
