//! Python bindings: `import cvmfs_mount`.
//!
//! The module is being built; today it exposes the selection parser only.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use cvmfs_core::{Catalog, Selection};

/// Parses a `CVMFS_MOUNTS` value against the built-in `cms` catalog and returns the
/// selected repository names in order. Raises `ValueError` listing every bad token.
#[pyfunction]
#[pyo3(signature = (text=None))]
fn parse_selection(text: Option<&str>) -> PyResult<Vec<String>> {
    Selection::parse(text, &Catalog::cms())
        .map(|selection| selection.names().into_iter().map(str::to_owned).collect())
        .map_err(|err| PyValueError::new_err(err.to_string()))
}

/// The `cvmfs_mount` Python module.
#[pymodule]
fn cvmfs_mount(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_function(wrap_pyfunction!(parse_selection, module)?)?;
    Ok(())
}
