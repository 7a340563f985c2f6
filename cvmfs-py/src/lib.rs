//! Python bindings: `import cvmfs_mount`. Thin wrappers over `cvmfs-core` (parsing and
//! planning) and `cvmfs-mount` (operations); blocking calls release the GIL.
//!
//! - `errors`: the exception hierarchy and the mapping of library errors onto it.
//! - `objects`: parsed and planned values (selections, names, plans, remaps, ...).
//! - `operations`: mount, unmount, probe, check, repair and in-process servers.
//! - `repository`: a verified, read-only view of a served repository.

mod errors;
mod images;
mod objects;
mod operations;
mod python_value;
mod repository;

use pyo3::prelude::*;

/// The native part of the `cvmfs_mount` Python package.
#[pymodule]
fn cvmfs_mount(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(module)?;
    images::register(module)?;
    objects::register(module)?;
    operations::register(module)?;
    repository::register(module)?;
    Ok(())
}
