//! Faults a snapshot server can be told to show, for tests: latency, a hang (requests
//! never answered), and I/O errors. A crash is a `kill -9` of the server process.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Switchable faults, shared between the filesystem and the server's signal handling.
#[derive(Debug, Default)]
pub struct Faults {
    /// Hold every request until cleared (SIGUSR1 toggles it).
    pub hang: AtomicBool,
    /// Fail file reads with EIO and count them in `user.nioerr` (SIGUSR2 toggles it).
    pub io_errors: AtomicBool,
    /// Delay before answering each request, in milliseconds.
    pub latency_ms: AtomicU64,
}

impl Faults {
    /// Flips a switch.
    pub fn toggle(flag: &AtomicBool) {
        flag.fetch_xor(true, Ordering::SeqCst);
    }
}
