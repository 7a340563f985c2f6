//! Container images that DUCC publishes unpacked (`/cvmfs/unpacked.cern.ch`), on a
//! mounted repository:
//!
//! - [`availability`]: the image repository mounted when it is not (and left alone when
//!   something unusable is there).
//! - [`resolve`]: an image specification to its public path, flat root filesystem,
//!   layers, last update and environment; a wildcard to every published tag it matches.
//!
//! The specifications, layout and launch commands themselves are pure data in
//! [`cvmfs_core::image`].

pub mod availability;
pub mod resolve;

pub use availability::{Availability, AvailabilityError, ensure_mounted};
pub use resolve::{LayerState, Resolution, ResolveError, ResolvedImage, Unresolved, resolve};
