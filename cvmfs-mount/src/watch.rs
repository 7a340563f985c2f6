//! The watch loop: probe at an interval, repair what broke, report each round; stops
//! promptly when asked.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cvmfs_core::MountPlan;

use crate::engine::Engine;
use crate::report::PlanReport;

/// A handle that stops a watch loop from any thread.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl StopSignal {
    /// A signal not yet raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the loop to stop; it finishes the round it is in.
    pub fn stop(&self) {
        let (flag, condvar) = &*self.inner;
        *flag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        condvar.notify_all();
    }

    /// Whether stop was asked.
    pub fn is_stopped(&self) -> bool {
        *self
            .inner
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits up to `timeout`; returns whether stop was asked.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flag, condvar) = &*self.inner;
        let guard = flag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (guard, _) = condvar
            .wait_timeout_while(guard, timeout, |stopped| !*stopped)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard
    }
}

/// Repairs `plan` every `interval` until `stop` is raised, handing each round's report
/// to `on_round`. Returns the number of rounds run.
pub fn watch(
    engine: &Engine,
    plan: &MountPlan,
    interval: Duration,
    stop: &StopSignal,
    mut on_round: impl FnMut(&PlanReport),
) -> u64 {
    let mut rounds = 0;
    while !stop.is_stopped() {
        let report = engine.repair(plan);
        rounds += 1;
        on_round(&report);
        if stop.wait(interval) {
            break;
        }
    }
    rounds
}
