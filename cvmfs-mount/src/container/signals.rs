//! Forwarding signals to a command: one implementation for the entrypoint (PID 1) and
//! `exec`. Handlers are installed before anything else happens, so a signal that arrives
//! while repositories are mounting is kept, not lost; each signal has its own pending
//! flag, so two different signals close together are both delivered.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use signal_hook::SigId;

/// The signals passed on to the command.
pub const FORWARDED: [Signal; 6] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// The forwarded signals that ask a process to end (a stop before the command starts
/// ends the whole run).
pub const TERMINATING: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// Catches [`FORWARDED`] signals from the moment it is installed until it is dropped
/// (then the default actions apply again).
#[derive(Debug)]
pub struct SignalForwarder {
    pending: Vec<(Signal, Arc<AtomicBool>, SigId)>,
}

impl SignalForwarder {
    /// Installs the handlers.
    pub fn install() -> io::Result<Self> {
        let mut pending = Vec::with_capacity(FORWARDED.len());
        for signal in FORWARDED {
            let flag = Arc::new(AtomicBool::new(false));
            match signal_hook::flag::register(signal as i32, Arc::clone(&flag)) {
                Ok(id) => pending.push((signal, flag, id)),
                Err(e) => {
                    for (_, _, id) in pending {
                        signal_hook::low_level::unregister(id);
                    }
                    return Err(e);
                }
            }
        }
        Ok(Self { pending })
    }

    /// The signals that arrived since the last call, each once, in [`FORWARDED`] order.
    pub fn take(&self) -> Vec<Signal> {
        self.pending
            .iter()
            .filter(|(_, flag, _)| flag.swap(false, Ordering::SeqCst))
            .map(|(signal, _, _)| *signal)
            .collect()
    }

    /// The first terminating signal among those that arrived, without taking the others.
    pub fn take_terminating(&self) -> Option<Signal> {
        self.pending
            .iter()
            .filter(|(signal, _, _)| TERMINATING.contains(signal))
            .find(|(_, flag, _)| flag.swap(false, Ordering::SeqCst))
            .map(|(signal, _, _)| *signal)
    }

    /// Sends every signal that arrived since the last call to `pid`; returns them.
    pub fn forward_to(&self, pid: Pid) -> Vec<Signal> {
        let signals = self.take();
        for signal in &signals {
            // The command may have ended in between: nothing to deliver then.
            let _ = kill(pid, *signal);
        }
        signals
    }
}

impl Drop for SignalForwarder {
    fn drop(&mut self) {
        for (_, _, id) in self.pending.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// The exit status of a process ended by `signal`, as shells report it.
pub fn status_of(signal: Signal) -> i32 {
    128 + signal as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_different_signals_close_together_are_both_kept() {
        let forwarder = SignalForwarder::install().unwrap();
        nix::sys::signal::raise(Signal::SIGUSR1).unwrap();
        nix::sys::signal::raise(Signal::SIGUSR2).unwrap();
        nix::sys::signal::raise(Signal::SIGUSR1).unwrap();
        assert_eq!(forwarder.take(), [Signal::SIGUSR1, Signal::SIGUSR2]);
        assert!(forwarder.take().is_empty());
        nix::sys::signal::raise(Signal::SIGHUP).unwrap();
        nix::sys::signal::raise(Signal::SIGUSR2).unwrap();
        assert_eq!(forwarder.take_terminating(), Some(Signal::SIGHUP));
        assert_eq!(forwarder.take(), [Signal::SIGUSR2]);
        assert_eq!(status_of(Signal::SIGTERM), 143);
    }
}
