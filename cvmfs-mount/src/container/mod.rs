//! A container's PID-1 duties, on top of the mount engine: the id remap of the image's
//! user, giving that user their home, the entrypoint sequence, starting the command with
//! every privilege dropped, forwarding signals and reaping zombies, and the user
//! namespace that lets an unprivileged user mount.
//!
//! - [`accounts`]: applies an id remap to `/etc/passwd` and `/etc/group`.
//! - [`home_ownership`]: changes the owner of what the old ids own in the home.
//! - [`signals`]: catches and forwards signals (one pending flag per signal).
//! - [`init`]: starts the command unprivileged and supervises it as PID 1.
//! - [`user_namespace`]: enters a user and mount namespace as root.
//! - [`shell_profile`]: the check and environment set-up of interactive shells.
//! - [`entrypoint`]: the whole sequence, reporting each step as an event.

pub mod accounts;
pub mod entrypoint;
pub mod home_ownership;
pub mod init;
pub mod shell_profile;
pub mod signals;
pub mod user_namespace;
