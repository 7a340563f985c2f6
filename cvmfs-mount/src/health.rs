//! What a probe finds at a mountpoint.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The state of one repository's mountpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Health {
    /// Mounted, answering, the right repository, no I/O errors.
    Healthy {
        /// `user.revision`, when known.
        revision: Option<String>,
        /// `user.pid` of the serving process, when known.
        pid: Option<u32>,
    },
    /// Nothing is mounted there.
    NotMounted,
    /// Mounted, but the server is gone (ENOTCONN or another corrupted-mount error).
    Dead {
        /// The error seen.
        error: String,
    },
    /// Mounted, but it did not answer within the timeout.
    Hung {
        /// The timeout in milliseconds.
        after_ms: u64,
    },
    /// Something other than a client-shaped mount is there.
    WrongFilesystem {
        /// Its filesystem type.
        fs_type: String,
        /// Its source.
        source: String,
    },
    /// A client mount of another repository.
    WrongRepository {
        /// The repository found (`user.fqrn`).
        found: String,
    },
    /// Answering, but with I/O errors since it was mounted (`user.nioerr`).
    Degraded {
        /// The number of I/O errors.
        io_errors: u64,
        /// `user.revision`, when known.
        revision: Option<String>,
    },
}

impl Health {
    /// The state's stable name, as the JSON report spells it (`not-mounted`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Healthy { .. } => "healthy",
            Self::NotMounted => "not-mounted",
            Self::Dead { .. } => "dead",
            Self::Hung { .. } => "hung",
            Self::WrongFilesystem { .. } => "wrong-filesystem",
            Self::WrongRepository { .. } => "wrong-repository",
            Self::Degraded { .. } => "degraded",
        }
    }

    /// Whether the repository is usable as it is.
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Healthy { .. })
    }

    /// Whether something answers as the expected repository (healthy, or degraded by
    /// I/O errors: serving, and never remounted by us).
    pub fn is_serving(&self) -> bool {
        matches!(self, Self::Healthy { .. } | Self::Degraded { .. })
    }

    /// Whether another filesystem or repository occupies the mountpoint (left alone).
    pub fn is_foreign(&self) -> bool {
        matches!(
            self,
            Self::WrongFilesystem { .. } | Self::WrongRepository { .. }
        )
    }

    /// Whether a repair (unmount if needed, then mount again) applies.
    pub fn needs_repair(&self) -> bool {
        matches!(
            self,
            Self::NotMounted | Self::Dead { .. } | Self::Hung { .. }
        )
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Healthy { revision, pid } => {
                f.write_str("healthy")?;
                if let Some(revision) = revision {
                    write!(f, ", revision {revision}")?;
                }
                if let Some(pid) = pid {
                    write!(f, ", pid {pid}")?;
                }
                Ok(())
            }
            Self::NotMounted => f.write_str("not mounted"),
            Self::Dead { error } => write!(f, "dead ({error})"),
            Self::Hung { after_ms } => write!(f, "hung (no answer within {after_ms} ms)"),
            Self::WrongFilesystem { fs_type, source } => {
                write!(f, "wrong filesystem ({fs_type} from {source:?})")
            }
            Self::WrongRepository { found } => write!(f, "wrong repository ({found} is mounted)"),
            Self::Degraded { io_errors, .. } => write!(f, "degraded ({io_errors} I/O errors)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_are_the_json_names() {
        for health in [
            Health::Healthy {
                revision: None,
                pid: None,
            },
            Health::NotMounted,
            Health::Dead {
                error: String::new(),
            },
            Health::Hung { after_ms: 1 },
            Health::WrongFilesystem {
                fs_type: String::new(),
                source: String::new(),
            },
            Health::WrongRepository {
                found: String::new(),
            },
            Health::Degraded {
                io_errors: 1,
                revision: None,
            },
        ] {
            let json = serde_json::to_value(&health).unwrap_or_default();
            assert_eq!(json["state"], health.name());
        }
    }
}
