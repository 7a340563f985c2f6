//! Images DUCC publishes unpacked: `resolve_image` and `image_command`, the library's
//! resolution and launch commands (what `cvmfs-cli image resolve` and `image run
//! --dry-run` print). The repository must be mounted (or be a plain tree) at
//! `repository_root`; mounting is `mount()`'s job.

use std::path::PathBuf;
use std::time::Duration;

use cvmfs_core::image::ImageSpec;
use cvmfs_core::image::launch::{ImageRuntime, Resolved, image_argv};
use cvmfs_core::image::spec::parse_for_lookup;
use cvmfs_mount::image::{ResolveError, resolve};
use pyo3::prelude::*;

use crate::errors::{InvalidInputError, ProbeTimeoutError};
use crate::python_value::to_python;

fn spec_of(text: &str) -> PyResult<ImageSpec> {
    parse_for_lookup(text)
        .map(|(spec, _)| spec)
        .map_err(|errors| {
            let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            InvalidInputError::new_err(format!("{text}: {}", messages.join("; ")))
        })
}

fn resolve_failed(err: ResolveError) -> PyErr {
    match err {
        ResolveError::Hung { .. } => ProbeTimeoutError::new_err(err.to_string()),
        ResolveError::NoReference { .. } => InvalidInputError::new_err(err.to_string()),
        ResolveError::NotPublished { .. } | ResolveError::NotMounted { .. } => {
            pyo3::exceptions::PyFileNotFoundError::new_err(err.to_string())
        }
        other => pyo3::exceptions::PyOSError::new_err(other.to_string()),
    }
}

fn timeout_of(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|e| InvalidInputError::new_err(format!("timeout {seconds}: {e}")))
}

/// Resolves an image specification (`https://REGISTRY/REPOSITORY:TAG`, `*` allowed in
/// the tag) in the repository at `repository_root`: a dict with `pattern`, `images`
/// (public_path, link, canonical_path, config_digest, updated, manifest, layers, notes,
/// environment), `unresolved`, `published_tags` and `glob_differs`.
#[pyfunction]
#[pyo3(signature = (spec, repository_root = PathBuf::from("/cvmfs/unpacked.cern.ch"), timeout = 30.0))]
fn resolve_image<'py>(
    py: Python<'py>,
    spec: &str,
    repository_root: PathBuf,
    timeout: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = spec_of(spec)?;
    let timeout = timeout_of(timeout)?;
    let found = py
        .detach(|| resolve(&repository_root, &spec, timeout))
        .map_err(resolve_failed)?;
    to_python(py, &found)
}

/// The argument vector that runs one image with `runtime` (`podman`, `apptainer`,
/// `singularity`; `docker` raises with the alternatives). Podman's needs the image
/// resolved, so the repository must be readable at `repository_root`.
#[pyfunction]
#[pyo3(signature = (spec, runtime = "podman", command = Vec::new(), repository_root = PathBuf::from("/cvmfs/unpacked.cern.ch"), runtime_args = Vec::new(), timeout = 30.0))]
fn image_command(
    py: Python<'_>,
    spec: &str,
    runtime: &str,
    command: Vec<String>,
    repository_root: PathBuf,
    runtime_args: Vec<String>,
    timeout: f64,
) -> PyResult<Vec<String>> {
    let parsed = spec_of(spec)?;
    if parsed.is_wildcard() {
        return Err(InvalidInputError::new_err(format!(
            "{spec}: a wildcard names several images (resolve_image lists them)"
        )));
    }
    let runtime: ImageRuntime =
        runtime
            .parse()
            .map_err(|e: cvmfs_core::image::launch::LaunchError| {
                InvalidInputError::new_err(e.to_string())
            })?;
    let timeout = timeout_of(timeout)?;
    let resolved = if matches!(runtime, ImageRuntime::Podman | ImageRuntime::Docker) {
        match py.detach(|| resolve(&repository_root, &parsed, timeout)) {
            Ok(mut found) => found.images.pop(),
            Err(err) if runtime == ImageRuntime::Podman => return Err(resolve_failed(err)),
            Err(_) => None,
        }
    } else {
        None
    };
    let mount_root = repository_root
        .parent()
        .map_or_else(|| PathBuf::from("/"), PathBuf::from);
    image_argv(
        runtime,
        &parsed,
        &repository_root,
        &mount_root,
        resolved.as_ref().map(|i| Resolved {
            canonical_path: &i.canonical_path,
            environment: &i.environment.variables,
        }),
        &runtime_args,
        &command,
    )
    .map_err(|e| InvalidInputError::new_err(e.to_string()))
}

/// Adds the functions to the module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(resolve_image, module)?)?;
    module.add_function(wrap_pyfunction!(image_command, module)?)?;
    Ok(())
}
