//! Child processes that some thread of this process waits for by pid (a mount helper's
//! run, a server's reaper, a probe process), so that a PID 1 that reaps every orphan
//! never steals their exit status: [`reap_orphans`] leaves them alone. A spawn in
//! progress holds a [`SpawnGuard`], during which no orphan is reaped (the new child's pid
//! is not registered yet).

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

use nix::errno::Errno;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

#[derive(Debug, Default)]
struct Registry {
    owned: BTreeSet<i32>,
    spawning: usize,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    owned: BTreeSet::new(),
    spawning: 0,
});

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Held while a child is being started; register its pid with [`SpawnGuard::own`].
#[derive(Debug)]
pub struct SpawnGuard(());

impl SpawnGuard {
    /// Marks a spawn in progress.
    pub fn new() -> Self {
        registry().spawning += 1;
        Self(())
    }

    /// Registers the started child as waited for by its spawner.
    pub fn own(self, pid: u32) {
        if let Ok(pid) = i32::try_from(pid) {
            registry().owned.insert(pid);
        }
    }
}

impl Default for SpawnGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SpawnGuard {
    fn drop(&mut self) {
        registry().spawning -= 1;
    }
}

/// The spawner has reaped `pid`: it is no longer owned.
pub fn release(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        registry().owned.remove(&pid);
    }
}

/// Whether `pid` is a child some thread waits for.
pub fn is_owned(pid: i32) -> bool {
    registry().owned.contains(&pid)
}

/// This process's children (of every thread), from `/proc/self/task/*/children`.
fn children() -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// Reaps every child that has ended and that nobody waits for by pid, except `keep`
/// (a child the caller waits for itself). Returns how many were reaped. Does nothing
/// while a spawn is in progress.
pub fn reap_orphans(keep: Pid) -> usize {
    if registry().spawning > 0 {
        return 0;
    }
    let mut reaped = 0;
    for pid in children() {
        if pid == keep.as_raw() || is_owned(pid) {
            continue;
        }
        match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) => reaped += 1,
            Ok(_) | Err(Errno::ECHILD | Errno::EINTR) => {}
            Err(_) => {}
        }
    }
    reaped
}
