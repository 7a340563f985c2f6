//! Python bindings: `import cvmfs_mount`. Thin wrappers over `cvmfs-core` (parsing and
//! planning) and `cvmfs-mount` (operations); blocking calls release the GIL.

mod errors;
mod objects;
mod operations;

use pyo3::prelude::*;

/// The native part of the `cvmfs_mount` Python package.
#[pymodule]
fn cvmfs_mount(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(module)?;
    objects::register(module)?;
    operations::register(module)?;
    Ok(())
}
