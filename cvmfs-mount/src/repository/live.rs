//! A repository that follows its servers: after the revision's TTL (the root catalog's
//! `TTL`, capped by `CVMFS_MAX_TTL`) the manifest is checked again and a newer revision
//! becomes the current root. Readers hold an `Arc` of the revision they started with, so
//! the old root stays readable for them. A failed check, or an offline repository, is
//! tried again after 180 s, as the client does.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::error::RepositoryError;
use super::reader::{Repository, unix_now};

/// The retry interval after a failed check or while offline (the client's short TTL).
pub const SHORT_TTL: Duration = Duration::from_secs(180);

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// The same revision is still current.
    Unchanged {
        /// The revision.
        revision: u64,
    },
    /// A newer revision (or the same one back online) is now current.
    Updated {
        /// The revision before.
        from: u64,
        /// The revision now.
        to: u64,
    },
    /// The root is fixed (a tag or a date): never checked.
    Fixed,
}

#[derive(Debug)]
struct Schedule {
    next_check: Instant,
    last_error: Option<String>,
}

/// The current revision of a repository, refreshed after its TTL.
#[derive(Debug)]
pub struct LiveRepository {
    current: RwLock<Arc<Repository>>,
    schedule: Mutex<Schedule>,
    max_ttl: Option<Duration>,
}

impl LiveRepository {
    /// Follows `repository`, capping its TTL at `max_ttl` (`CVMFS_MAX_TTL`).
    pub fn new(repository: Repository, max_ttl: Option<Duration>) -> Self {
        let wait = if repository.offline().is_some() {
            SHORT_TTL
        } else {
            repository.ttl(max_ttl)
        };
        Self {
            current: RwLock::new(Arc::new(repository)),
            schedule: Mutex::new(Schedule {
                next_check: Instant::now() + wait,
                last_error: None,
            }),
            max_ttl,
        }
    }

    /// The revision readers should use now (no check; see [`Self::refresh_if_due`]).
    pub fn current(&self) -> Arc<Repository> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Time until the next check (`None`: a fixed root, never) — the client's
    /// `user.expires`.
    pub fn expires_in(&self) -> Option<Duration> {
        if self.current().fixed_root() {
            return None;
        }
        let schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            schedule
                .next_check
                .saturating_duration_since(Instant::now()),
        )
    }

    /// Why the last check failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        let schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        schedule.last_error.clone()
    }

    /// Checks when the TTL has run out (one caller checks; others go on with the
    /// current revision). `None` when no check was due.
    pub fn refresh_if_due(&self) -> Option<Result<Refreshed, RepositoryError>> {
        {
            let schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
            if Instant::now() < schedule.next_check {
                return None;
            }
        }
        Some(self.refresh())
    }

    /// Checks the servers now.
    pub fn refresh(&self) -> Result<Refreshed, RepositoryError> {
        let current = self.current();
        if current.fixed_root() {
            return Ok(Refreshed::Fixed);
        }
        let from = current.trusted().manifest.revision;
        let result = current.refresh(unix_now());
        let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(None) => {
                schedule.next_check = Instant::now() + current.ttl(self.max_ttl);
                schedule.last_error = None;
                Ok(Refreshed::Unchanged { revision: from })
            }
            Ok(Some(next)) => {
                let to = next.trusted().manifest.revision;
                schedule.next_check = Instant::now() + next.ttl(self.max_ttl);
                schedule.last_error = None;
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
                Ok(Refreshed::Updated { from, to })
            }
            Err(error) => {
                schedule.next_check = Instant::now() + SHORT_TTL;
                schedule.last_error = Some(error.to_string());
                Err(error)
            }
        }
    }
}
