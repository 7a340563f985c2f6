//! The exception hierarchy; messages are the Rust messages.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use cvmfs_core::CoreError;
use cvmfs_mount::MountError;

create_exception!(
    cvmfs_mount,
    CvmfsError,
    PyException,
    "Base class of every cvmfs_mount error."
);
create_exception!(
    cvmfs_mount,
    InvalidInputError,
    CvmfsError,
    "Bad input: nothing was changed."
);
create_exception!(
    cvmfs_mount,
    MountFailedError,
    CvmfsError,
    "Mounting, unmounting or repairing failed."
);
create_exception!(
    cvmfs_mount,
    ProbeTimeoutError,
    CvmfsError,
    "A repository did not answer in time (hung)."
);
create_exception!(
    cvmfs_mount,
    PermissionDeniedError,
    CvmfsError,
    "Not allowed to mount here."
);

create_exception!(
    cvmfs_mount,
    RepositoryRefusedError,
    CvmfsError,
    "A repository failed verification or could not be read (names what failed)."
);

/// Adds the exception types to the module.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("CvmfsError", py.get_type::<CvmfsError>())?;
    module.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    module.add("MountFailedError", py.get_type::<MountFailedError>())?;
    module.add("ProbeTimeoutError", py.get_type::<ProbeTimeoutError>())?;
    module.add(
        "PermissionDeniedError",
        py.get_type::<PermissionDeniedError>(),
    )?;
    module.add(
        "RepositoryRefusedError",
        py.get_type::<RepositoryRefusedError>(),
    )?;
    Ok(())
}

/// A core error (any module's) as `InvalidInputError`.
pub fn invalid(err: impl Into<CoreError>) -> PyErr {
    InvalidInputError::new_err(err.into().to_string())
}

/// An engine error as `PermissionDeniedError` or `MountFailedError`.
pub fn failed(err: &MountError) -> PyErr {
    if err.is_permission_denied() {
        PermissionDeniedError::new_err(err.to_string())
    } else {
        MountFailedError::new_err(err.to_string())
    }
}
