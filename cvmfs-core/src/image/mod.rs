//! Container images published unpacked by DUCC (`/cvmfs/unpacked.cern.ch`), as pure data:
//!
//! - [`spec`]: image specifications parsed exactly as DUCC parses them, and checked for
//!   what DUCC would misread, absorb silently or fail on.
//! - [`wildcard`]: tag wildcards with DUCC's regular-expression semantics, and where a
//!   shell glob would differ.
//! - [`recipe`]: checking a DUCC recipe before a pull request, every finding with its line.
//! - [`layout`]: the public path, `.flat`, `.layers` and `.metadata` of an image, and the
//!   stored manifest.

pub mod layout;
pub mod recipe;
pub mod spec;
pub mod wildcard;

pub use spec::{ImageSpec, SpecError, check, parse};
pub use wildcard::Pattern;
