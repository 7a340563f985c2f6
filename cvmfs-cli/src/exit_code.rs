//! The documented exit codes of `cvmfs-cli`.

/// Everything asked for was done.
pub const SUCCESS: u8 = 0;
/// An unexpected failure outside the user's input (for example, stdout closed).
pub const INTERNAL: u8 = 1;
/// The command line or its input is invalid; nothing was changed.
pub const USAGE: u8 = 2;
/// Some repositories failed, the others succeeded.
pub const PARTIAL: u8 = 3;
/// Every repository failed.
pub const TOTAL: u8 = 4;
