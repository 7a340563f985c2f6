//! Parsing the requested ids: `MY_UID`, `MY_GID` and the target user name.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::remap::RemapError;

/// The container user the anchor image creates.
pub const DEFAULT_USER: &str = "cmsusr";

/// The kernel's overflow id (`nobody`), which owns unmapped files in user namespaces.
pub const OVERFLOW_ID: u32 = 65534;

/// The largest usable id: `u32::MAX` is `(uid_t)-1`, which means "no change" to the kernel.
pub const MAX_ID: u32 = u32::MAX - 1;

/// Which unusual ids are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdPolicy {
    /// Allow id 0 (the user becomes root-equivalent).
    pub allow_root: bool,
    /// Allow 65534, the overflow id.
    pub allow_overflow: bool,
}

/// What is wrong with one id or the user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum IdProblem {
    /// Not made of decimal digits only.
    NotANumber {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
    },
    /// Digits with a leading zero, which tools disagree on (octal or decimal).
    LeadingZero {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
    },
    /// Outside `1..=4294967294`.
    OutOfRange {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
    },
    /// Zero without permission: the user would be root-equivalent.
    Root {
        /// The variable.
        variable: String,
    },
    /// 65534 without permission: the overflow id.
    Overflow {
        /// The variable.
        variable: String,
    },
    /// The user name is not a valid login name.
    BadUserName {
        /// The name.
        value: String,
    },
}

impl fmt::Display for IdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotANumber { variable, value } => {
                write!(f, "{variable}={value:?} is not a number (digits only)")
            }
            Self::LeadingZero { variable, value } => write!(
                f,
                "{variable}={value:?} has a leading zero; write the id without it"
            ),
            Self::OutOfRange { variable, value } => {
                write!(f, "{variable}={value:?} is outside 1..={MAX_ID}")
            }
            Self::Root { variable } => write!(
                f,
                "{variable}=0 would make the user root-equivalent; refused unless root ids are allowed"
            ),
            Self::Overflow { variable } => write!(
                f,
                "{variable}={OVERFLOW_ID} is the overflow id (nobody); refused unless allowed"
            ),
            Self::BadUserName { value } => write!(
                f,
                "user name {value:?} is not a login name (lower-case letters, digits, '_' and '-', starting with a letter or '_', at most 32)"
            ),
        }
    }
}

/// The ids requested for the container user; `None` keeps the user's current id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRequest {
    /// The user to change (`cmsusr` by default).
    pub user: String,
    /// The new uid.
    pub uid: Option<u32>,
    /// The new primary gid.
    pub gid: Option<u32>,
}

impl IdRequest {
    /// Parses the variables' values (`None` or empty: not specified) and reports every
    /// problem at once.
    ///
    /// ```
    /// use cvmfs_core::remap::{IdPolicy, IdRequest};
    /// let request = IdRequest::from_values(Some("1234"), None, None, IdPolicy::default()).unwrap();
    /// assert_eq!((request.user.as_str(), request.uid, request.gid), ("cmsusr", Some(1234), None));
    /// assert!(IdRequest::from_values(Some("0"), Some("abc"), None, IdPolicy::default()).is_err());
    /// ```
    pub fn from_values(
        my_uid: Option<&str>,
        my_gid: Option<&str>,
        user: Option<&str>,
        policy: IdPolicy,
    ) -> Result<Self, RemapError> {
        let mut problems = Vec::new();
        let uid = parse_id("MY_UID", my_uid, policy).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        let gid = parse_id("MY_GID", my_gid, policy).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        let user = user.filter(|u| !u.is_empty()).unwrap_or(DEFAULT_USER);
        if !is_login_name(user) {
            problems.push(IdProblem::BadUserName {
                value: user.to_owned(),
            });
        }
        if problems.is_empty() {
            Ok(Self {
                user: user.to_owned(),
                uid,
                gid,
            })
        } else {
            Err(RemapError::InvalidIds { problems })
        }
    }
}

/// Parses one id variable.
pub fn parse_id(
    variable: &str,
    value: Option<&str>,
    policy: IdPolicy,
) -> Result<Option<u32>, IdProblem> {
    let Some(text) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let owned = || (variable.to_owned(), text.to_owned());
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        let (variable, value) = owned();
        return Err(IdProblem::NotANumber { variable, value });
    }
    if text.len() > 1 && text.starts_with('0') {
        let (variable, value) = owned();
        return Err(IdProblem::LeadingZero { variable, value });
    }
    let id = match text.parse::<u32>() {
        Ok(id) if id <= MAX_ID => id,
        _ => {
            let (variable, value) = owned();
            return Err(IdProblem::OutOfRange { variable, value });
        }
    };
    match id {
        0 if !policy.allow_root => Err(IdProblem::Root {
            variable: variable.to_owned(),
        }),
        OVERFLOW_ID if !policy.allow_overflow => Err(IdProblem::Overflow {
            variable: variable.to_owned(),
        }),
        _ => Ok(Some(id)),
    }
}

/// Whether `name` is a portable login name (the `useradd` default rule).
fn is_login_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let body = name.strip_suffix('$').unwrap_or(name);
    first_ok
        && name.len() <= 32
        && body
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problems(uid: Option<&str>, gid: Option<&str>, user: Option<&str>) -> Vec<IdProblem> {
        match IdRequest::from_values(uid, gid, user, IdPolicy::default()) {
            Err(RemapError::InvalidIds { problems }) => problems,
            other => panic!("expected invalid ids, got {other:?}"),
        }
    }

    #[test]
    fn unset_and_empty_keep_the_current_ids() {
        let request = IdRequest::from_values(None, Some(""), None, IdPolicy::default()).unwrap();
        assert_eq!((request.uid, request.gid), (None, None));
    }

    #[test]
    fn bounds_root_and_overflow() {
        let ok = IdRequest::from_values(Some("1"), Some("4294967294"), None, IdPolicy::default())
            .unwrap();
        assert_eq!((ok.uid, ok.gid), (Some(1), Some(4_294_967_294)));
        assert!(matches!(
            &problems(Some("4294967295"), None, None)[..],
            [IdProblem::OutOfRange { .. }]
        ));
        assert!(matches!(
            &problems(Some("99999999999"), None, None)[..],
            [IdProblem::OutOfRange { .. }]
        ));
        assert!(matches!(
            &problems(Some("0"), None, None)[..],
            [IdProblem::Root { .. }]
        ));
        assert!(matches!(
            &problems(None, Some("65534"), None)[..],
            [IdProblem::Overflow { .. }]
        ));
        let allowed = IdPolicy {
            allow_root: true,
            allow_overflow: true,
        };
        assert!(IdRequest::from_values(Some("0"), Some("65534"), None, allowed).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let found = problems(Some("-5"), Some("0012"), Some("Bad User"));
        assert_eq!(found.len(), 3);
        let message = RemapError::InvalidIds { problems: found }.to_string();
        assert!(message.contains("MY_UID=\"-5\""), "{message}");
        assert!(message.contains("MY_GID=\"0012\""), "{message}");
        assert!(message.contains("\"Bad User\""), "{message}");
        for bad in [" 5", "5 ", "+5", "1e3", "0x10", "١٢"] {
            assert!(
                matches!(
                    &problems(Some(bad), None, None)[..],
                    [IdProblem::NotANumber { .. }]
                ),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn valid_numbers_parse_exactly(id in 1u32..=MAX_ID) {
            prop_assume!(id != OVERFLOW_ID);
            let text = id.to_string();
            prop_assert_eq!(parse_id("MY_UID", Some(&text), IdPolicy::default()), Ok(Some(id)));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,12}") {
            let _ = parse_id("MY_UID", Some(&text), IdPolicy::default());
        }
    }
}
