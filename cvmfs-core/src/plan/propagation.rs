//! Mount propagation types, named as `mount --make-*` and Docker's bind options name them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use thiserror::Error;

/// A propagation change: the type and whether it applies to every submount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Propagation {
    /// `private`: no events in or out.
    Private,
    /// `rprivate`: private, recursively.
    RPrivate,
    /// `slave`: receives events from its master, sends none.
    Slave,
    /// `rslave`: slave, recursively (what a consumer of a host `/cvmfs` wants).
    RSlave,
    /// `shared`: a peer group, events both ways.
    Shared,
    /// `rshared`: shared, recursively (what an automounter publishes).
    RShared,
    /// `unbindable`: private and cannot be bind-mounted.
    Unbindable,
    /// `runbindable`: unbindable, recursively.
    RUnbindable,
}

impl Propagation {
    /// Every value, in the order listed in messages.
    pub const ALL: [Self; 8] = [
        Self::Private,
        Self::RPrivate,
        Self::Slave,
        Self::RSlave,
        Self::Shared,
        Self::RShared,
        Self::Unbindable,
        Self::RUnbindable,
    ];

    /// The name used by `mount --make-<name>` and by `-v a:b:<name>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::RPrivate => "rprivate",
            Self::Slave => "slave",
            Self::RSlave => "rslave",
            Self::Shared => "shared",
            Self::RShared => "rshared",
            Self::Unbindable => "unbindable",
            Self::RUnbindable => "runbindable",
        }
    }

    /// Whether the change applies to every submount (`MS_REC`).
    pub fn is_recursive(self) -> bool {
        matches!(
            self,
            Self::RPrivate | Self::RSlave | Self::RShared | Self::RUnbindable
        )
    }
}

impl fmt::Display for Propagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Propagation {
    type Err = InvalidPropagation;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| InvalidPropagation {
                input: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for propagation in Propagation::ALL {
            assert_eq!(
                propagation.as_str().parse::<Propagation>().unwrap(),
                propagation
            );
        }
        assert!("rslave ".parse::<Propagation>().is_err());
        assert!(Propagation::RSlave.is_recursive());
        assert!(!Propagation::Slave.is_recursive());
    }
}

/// An unknown propagation name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid propagation {input:?} (expected private, rprivate, slave, rslave, shared, rshared, unbindable or runbindable)"
)]
pub struct InvalidPropagation {
    /// The name.
    pub input: String,
}
