//! Library results as plain Python objects (dicts, lists, strings, numbers): through
//! their serde form and Python's own `json`, so the keys are the documented JSON keys.

use pyo3::prelude::*;

/// `value` as the Python object its JSON form reads to.
pub fn to_python<'py>(
    py: Python<'py>,
    value: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}
