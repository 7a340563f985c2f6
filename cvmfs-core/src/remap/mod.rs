//! Remapping the container user to the caller's ids: parsing `MY_UID`/`MY_GID`, editing
//! `/etc/passwd` and `/etc/group` content byte-exactly, and user-namespace id maps.
//! Everything is computed from text; writing files is `cvmfs-mount`'s job.

mod colon_file;
mod error;
mod group;
mod id_map;
mod ids;
mod passwd;
mod remap_plan;

pub use colon_file::{ColonFile, ColonRecord};
pub use error::RemapError;
pub use group::GroupEntry;
pub use id_map::{IdMapping, parse_id_map, render_id_map};
pub use ids::{DEFAULT_USER, IdPolicy, IdProblem, IdRequest};
pub use passwd::PasswdEntry;
pub use remap_plan::{RemapAction, RemapPlan, plan_remap};

/// `/etc/passwd` content.
pub type PasswdFile = ColonFile<PasswdEntry>;
/// `/etc/group` content.
pub type GroupFile = ColonFile<GroupEntry>;
