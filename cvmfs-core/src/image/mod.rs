//! Container images published unpacked by DUCC (`/cvmfs/unpacked.cern.ch`), as pure data:
//!
//! - [`spec`]: image specifications parsed exactly as DUCC parses them, and checked for
//!   what DUCC would misread, absorb silently or fail on.
//! - [`wildcard`]: tag wildcards with DUCC's regular-expression semantics, and where a
//!   shell glob would differ.
//! - [`recipe`]: checking a DUCC recipe before a pull request, every finding with its line.
//! - [`layout`]: the public path, `.flat`, `.layers`, `.chains` and `.metadata` of an image,
//!   and the stored manifest.
//! - [`environment`]: the image's `ENV`, read from the flat's Singularity environment file.
//! - [`launch`]: the command that runs an unpacked image with Podman, Apptainer or
//!   Singularity (and why Docker cannot).

pub mod environment;
pub mod launch;
pub mod layout;
pub mod recipe;
pub mod spec;
pub mod wildcard;

pub use spec::{ImageSpec, SpecError, check, parse};
pub use wildcard::Pattern;
