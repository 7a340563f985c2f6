//! Operations through the mount engine; each releases the GIL while it blocks.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;

use cvmfs_mount::backend::{BackendSettings, HelperSettings, NativeSettings, SnapshotSettings};
use cvmfs_mount::directory_server::{InProcessServer, ServerArgs, serve_in_process};
use cvmfs_mount::{Engine, EngineOptions, EntryReport, Health, PlanReport};

use crate::errors::{MountFailedError, PermissionDeniedError, ProbeTimeoutError, failed};
use crate::objects::MountPlan;

/// What happened to one mount.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq, Eq)]
pub struct EntryResult {
    /// The mountpoint.
    #[pyo3(get)]
    target: String,
    /// The repository, if the entry mounts one.
    #[pyo3(get)]
    repository: Option<String>,
    /// `mounted`, `already-mounted`, `unmounted`, `not-mounted`, `healthy`, `repaired`,
    /// `skipped` or `failed`.
    #[pyo3(get)]
    outcome: String,
    /// The error message, when it failed.
    #[pyo3(get)]
    error: Option<String>,
    /// Every action taken.
    #[pyo3(get)]
    actions: Vec<String>,
    /// Warnings.
    #[pyo3(get)]
    warnings: Vec<String>,
}

#[pymethods]
impl EntryResult {
    /// Whether the entry is in the wanted state.
    #[getter]
    fn ok(&self) -> bool {
        !matches!(self.outcome.as_str(), "failed" | "skipped")
    }

    fn __repr__(&self) -> String {
        format!("EntryResult('{}', '{}')", self.target, self.outcome)
    }
}

fn entry(report: &EntryReport) -> EntryResult {
    EntryResult {
        target: report.target.display().to_string(),
        repository: report.repository.as_ref().map(ToString::to_string),
        outcome: report.outcome.name().to_owned(),
        error: report.error.as_ref().map(|e| e.message.clone()),
        actions: report.actions.clone(),
        warnings: report.warnings.clone(),
    }
}

fn entries(report: &PlanReport) -> Vec<EntryResult> {
    report.entries.iter().map(entry).collect()
}

/// The health of one repository.
#[pyclass(module = "cvmfs_mount", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct ProbeResult {
    /// The mountpoint.
    #[pyo3(get)]
    path: String,
    /// `healthy`, `not-mounted`, `dead`, `hung`, `wrong-filesystem`, `wrong-repository`
    /// or `degraded`.
    #[pyo3(get)]
    state: String,
    /// The state in words.
    #[pyo3(get)]
    detail: String,
    /// `user.revision`, when healthy.
    #[pyo3(get)]
    revision: Option<String>,
    /// `user.pid`, when healthy.
    #[pyo3(get)]
    pid: Option<u32>,
    /// How long the probe took.
    #[pyo3(get)]
    elapsed_ms: f64,
}

#[pymethods]
impl ProbeResult {
    /// Whether the repository is healthy.
    #[getter]
    fn healthy(&self) -> bool {
        self.state == "healthy"
    }

    fn __repr__(&self) -> String {
        format!("ProbeResult('{}', '{}')", self.path, self.state)
    }
}

fn snapshot_settings(py: Python<'_>) -> PyResult<SnapshotSettings> {
    let python: String = py.import("sys")?.getattr("executable")?.extract()?;
    let mut settings = SnapshotSettings::new(python);
    settings.prefix_args = vec![OsString::from("-m"), OsString::from("cvmfs_mount._serve")];
    Ok(settings)
}

fn native_settings(py: Python<'_>, config_dir: Option<PathBuf>) -> PyResult<NativeSettings> {
    let python: String = py.import("sys")?.getattr("executable")?.extract()?;
    let mut settings = NativeSettings::new(python);
    settings.prefix_args = vec![OsString::from("-m"), OsString::from("cvmfs_mount._native")];
    if let Some(dir) = config_dir {
        settings.config_dir = std::path::absolute(&dir).unwrap_or(dir);
    }
    Ok(settings)
}

/// What the caller chose for the backends: the client's mount helper, and the client
/// configuration the native backend reads.
#[derive(Default)]
struct Choices {
    helper: Option<PathBuf>,
    config_dir: Option<PathBuf>,
}

fn engine(
    py: Python<'_>,
    plan: &MountPlan,
    probe_timeout_ms: u64,
    choices: Choices,
) -> PyResult<Engine> {
    let Choices { helper, config_dir } = choices;
    let mut helper_settings = HelperSettings::default();
    if let Some(helper) = helper {
        helper_settings.program = helper;
        helper_settings.client_binary = None;
    }
    let settings = BackendSettings {
        helper: helper_settings,
        snapshot: snapshot_settings(py)?,
        native: native_settings(py, config_dir)?,
        host_bind_accepts_stand_in: false,
    };
    let options = EngineOptions {
        probe_timeout: Duration::from_millis(probe_timeout_ms),
        ..EngineOptions::default()
    };
    Ok(Engine::for_host(&plan.inner, &settings, options))
}

/// Runs one engine operation on the plan with the GIL released.
fn operate(
    py: Python<'_>,
    plan: &MountPlan,
    probe_timeout_ms: u64,
    choices: Choices,
    operation: fn(&Engine, &cvmfs_core::MountPlan) -> PlanReport,
) -> PyResult<Vec<EntryResult>> {
    let engine = engine(py, plan, probe_timeout_ms, choices)?;
    let inner = plan.inner.clone();
    Ok(entries(&py.detach(move || operation(&engine, &inner))))
}

/// Mounts the plan; returns one result per entry (failures are results, not exceptions).
/// `config_dir` is the client configuration the native backend reads (`/etc/cvmfs`).
#[pyfunction]
#[pyo3(signature = (plan, probe_timeout_ms = 2000, helper = None, config_dir = None))]
fn mount(
    py: Python<'_>,
    plan: &MountPlan,
    probe_timeout_ms: u64,
    helper: Option<PathBuf>,
    config_dir: Option<PathBuf>,
) -> PyResult<Vec<EntryResult>> {
    let choices = Choices { helper, config_dir };
    operate(py, plan, probe_timeout_ms, choices, Engine::mount)
}

/// Unmounts the plan in reverse order.
#[pyfunction]
#[pyo3(signature = (plan, probe_timeout_ms = 2000))]
fn unmount(py: Python<'_>, plan: &MountPlan, probe_timeout_ms: u64) -> PyResult<Vec<EntryResult>> {
    operate(
        py,
        plan,
        probe_timeout_ms,
        Choices::default(),
        Engine::unmount,
    )
}

/// Repairs dead, hung and missing mounts; healthy ones are not touched.
#[pyfunction]
#[pyo3(signature = (plan, probe_timeout_ms = 2000, helper = None, config_dir = None))]
fn repair(
    py: Python<'_>,
    plan: &MountPlan,
    probe_timeout_ms: u64,
    helper: Option<PathBuf>,
    config_dir: Option<PathBuf>,
) -> PyResult<Vec<EntryResult>> {
    let choices = Choices { helper, config_dir };
    operate(py, plan, probe_timeout_ms, choices, Engine::repair)
}

/// Probes every repository of the plan, each within `timeout_ms`.
#[pyfunction]
#[pyo3(signature = (plan, timeout_ms = 2000))]
fn probe(py: Python<'_>, plan: &MountPlan, timeout_ms: u64) -> PyResult<Vec<ProbeResult>> {
    let engine = engine(py, plan, timeout_ms, Choices::default())?;
    let inner = plan.inner.clone();
    let results = py
        .detach(move || engine.probe_isolated(&inner))
        .map_err(|e| failed(&e))?;
    Ok(results
        .into_iter()
        .map(|r| {
            let (revision, pid) = match &r.health {
                Health::Healthy { revision, pid } => (revision.clone(), *pid),
                _ => (None, None),
            };
            ProbeResult {
                path: r.path.display().to_string(),
                state: r.health.name().to_owned(),
                detail: r.health.to_string(),
                revision,
                pid,
                elapsed_ms: r.elapsed_us as f64 / 1000.0,
            }
        })
        .collect())
}

/// Probes and raises unless every repository is healthy: `ProbeTimeoutError` when one
/// hangs, `MountFailedError` otherwise.
#[pyfunction]
#[pyo3(signature = (plan, timeout_ms = 2000))]
fn check(py: Python<'_>, plan: &MountPlan, timeout_ms: u64) -> PyResult<Vec<ProbeResult>> {
    let results = probe(py, plan, timeout_ms)?;
    if let Some(hung) = results.iter().find(|r| r.state == "hung") {
        return Err(ProbeTimeoutError::new_err(format!(
            "{}: {}",
            hung.path, hung.detail
        )));
    }
    let bad: Vec<String> = results
        .iter()
        .filter(|r| r.state != "healthy")
        .map(|r| format!("{}: {}", r.path, r.detail))
        .collect();
    if bad.is_empty() {
        Ok(results)
    } else {
        Err(MountFailedError::new_err(bad.join("; ")))
    }
}

/// A snapshot served by a thread of this process.
#[pyclass(module = "cvmfs_mount")]
pub struct SnapshotServer {
    server: Mutex<Option<InProcessServer>>,
    /// The mountpoint.
    #[pyo3(get)]
    target: String,
}

#[pymethods]
impl SnapshotServer {
    /// Unmounts (if still ours) and stops serving. Safe to call twice.
    fn unmount(&self, py: Python<'_>) -> PyResult<()> {
        let server = self
            .server
            .lock()
            .map_err(|_| MountFailedError::new_err("server state poisoned"))?
            .take();
        match server {
            Some(server) => py.detach(move || server.unmount()).map_err(|e| failed(&e)),
            None => Ok(()),
        }
    }

    fn __repr__(&self) -> String {
        format!("SnapshotServer('{}')", self.target)
    }
}

/// Serves `source` read-only at `target` as repository `fqrn` from this process.
#[pyfunction]
#[pyo3(signature = (source, target, fqrn, revision = "1"))]
fn serve(
    py: Python<'_>,
    source: PathBuf,
    target: PathBuf,
    fqrn: &str,
    revision: &str,
) -> PyResult<SnapshotServer> {
    let args = ServerArgs {
        revision: revision.to_owned(),
        ..ServerArgs::new(source, target.clone(), fqrn)
    };
    let server = py
        .detach(move || serve_in_process(&args))
        .map_err(|e| failed(&e))?;
    Ok(SnapshotServer {
        server: Mutex::new(Some(server)),
        target: target.display().to_string(),
    })
}

/// Runs a detached snapshot server (`python -m cvmfs_mount._serve ARGS`); returns the
/// exit code.
#[pyfunction]
fn run_server(py: Python<'_>, args: Vec<String>) -> PyResult<i32> {
    let parsed = ServerArgs::parse(args.into_iter().map(OsString::from))
        .map_err(crate::errors::InvalidInputError::new_err)?;
    Ok(py.detach(move || cvmfs_mount::directory_server::run_server(&parsed)))
}

/// Runs a detached native client server (`python -m cvmfs_mount._native ARGS`); returns
/// the exit code.
#[pyfunction]
fn run_native_server(py: Python<'_>, args: Vec<String>) -> PyResult<i32> {
    let parsed = cvmfs_mount::native::NativeArgs::parse(args.into_iter().map(OsString::from))
        .map_err(crate::errors::InvalidInputError::new_err)?;
    Ok(py.detach(move || cvmfs_mount::native::run_server(&parsed)))
}

/// Moves this process into a new user and mount namespace where it is root, so an
/// unprivileged user can mount FUSE. Fails when the process already has threads.
#[pyfunction]
fn enter_user_namespace() -> PyResult<()> {
    cvmfs_mount::container::user_namespace::enter_as_root()
        .map_err(|e| PermissionDeniedError::new_err(e.to_string()))
}

/// Whether this process can mount FUSE now (root, or CAP_SYS_ADMIN, and /dev/fuse opens).
#[pyfunction]
fn can_mount() -> bool {
    use cvmfs_mount::sys::MountOps;
    cvmfs_mount::sys::LinuxOps
        .host_facts(&cvmfs_mount::host_facts::FactRequest::default())
        .can_mount_fuse()
}

/// Adds the operations to the module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<EntryResult>()?;
    module.add_class::<ProbeResult>()?;
    module.add_class::<SnapshotServer>()?;
    for function in [
        wrap_pyfunction!(mount, module)?,
        wrap_pyfunction!(unmount, module)?,
        wrap_pyfunction!(repair, module)?,
        wrap_pyfunction!(probe, module)?,
        wrap_pyfunction!(check, module)?,
        wrap_pyfunction!(serve, module)?,
        wrap_pyfunction!(run_server, module)?,
        wrap_pyfunction!(run_native_server, module)?,
        wrap_pyfunction!(enter_user_namespace, module)?,
        wrap_pyfunction!(can_mount, module)?,
    ] {
        module.add_function(function)?;
    }
    Ok(())
}
