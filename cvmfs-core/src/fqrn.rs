//! Repository names: fully qualified repository names (FQRNs) and domains.
//!
//! The rules follow the client: 1 to 60 characters from `A-Z a-z 0-9 - _ .`, the first
//! alphanumeric, at least one dot, and no trailing dot. Mixed case is accepted, as the
//! client's mount helper accepts it; names are compared byte for byte.

use std::fmt;

use serde::{Deserialize, Serialize};

use thiserror::Error;

use crate::problem_list::join_problems;

/// The longest repository name the client accepts.
pub const MAX_FQRN_LEN: usize = 60;

/// Everything wrong with one candidate repository name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "problem")]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_FQRN_LEN`] characters.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A character outside `A-Z a-z 0-9 - _ .`.
    InvalidCharacter {
        /// The character.
        character: char,
        /// Its byte offset in the name.
        offset: usize,
    },
    /// The first character is not a letter or a digit.
    FirstNotAlphanumeric {
        /// The character.
        character: char,
    },
    /// The name has no dot, so it is not fully qualified.
    NoDot,
    /// The name ends with a dot.
    TrailingDot,
    /// Two dots in a row: a label is empty.
    EmptyLabel,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("is empty"),
            Self::TooLong { len } => {
                write!(f, "is {len} characters long (at most {MAX_FQRN_LEN})")
            }
            Self::InvalidCharacter { character, offset } => write!(
                f,
                "has the character {character:?} at offset {offset} (allowed: A-Z a-z 0-9 - _ .)"
            ),
            Self::FirstNotAlphanumeric { character } => {
                write!(
                    f,
                    "starts with {character:?} (must start with a letter or digit)"
                )
            }
            Self::NoDot => f.write_str("has no dot (not fully qualified)"),
            Self::TrailingDot => f.write_str("ends with a dot"),
            Self::EmptyLabel => f.write_str("has two dots in a row (an empty label)"),
        }
    }
}

/// A repository name or default domain that breaks the naming rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// A repository name breaks the client's rules.
    #[error("invalid repository name {input:?}: it {}", join_problems(problems))]
    InvalidFqrn {
        /// The name.
        input: String,
        /// Every rule it breaks.
        problems: Vec<NameProblem>,
    },
    /// A default domain breaks the naming rules.
    #[error("invalid default domain {input:?}: it {}", join_problems(problems))]
    InvalidDomain {
        /// The domain.
        input: String,
        /// Every rule it breaks.
        problems: Vec<NameProblem>,
    },
}

impl NameError {
    /// Every broken rule as a sentence.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::InvalidFqrn { problems, .. } | Self::InvalidDomain { problems, .. } => {
                crate::problem_list::sentences(problems)
            }
        }
    }
}

/// Checks the characters, first character and length shared by names and domains.
fn character_problems(name: &str) -> Vec<NameProblem> {
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push(NameProblem::Empty);
        return problems;
    }
    if name.len() > MAX_FQRN_LEN {
        problems.push(NameProblem::TooLong { len: name.len() });
    }
    for (offset, character) in name.char_indices() {
        if !(character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.')) {
            problems.push(NameProblem::InvalidCharacter { character, offset });
        }
    }
    if let Some(first) = name.chars().next()
        && !first.is_ascii_alphanumeric()
    {
        problems.push(NameProblem::FirstNotAlphanumeric { character: first });
    }
    if name.ends_with('.') {
        problems.push(NameProblem::TrailingDot);
    }
    if name.contains("..") {
        problems.push(NameProblem::EmptyLabel);
    }
    problems
}

/// A validated, fully qualified repository name such as `cms.cern.ch`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fqrn(String);

impl Fqrn {
    /// Parses a fully qualified name; a dot-less name is an error (see [`Fqrn::expand`]).
    ///
    /// ```
    /// use cvmfs_core::Fqrn;
    /// let name = Fqrn::parse("cms-lpc.opensciencegrid.org").unwrap();
    /// assert_eq!(name.org(), "cms-lpc");
    /// assert_eq!(name.domain(), "opensciencegrid.org");
    /// assert!(Fqrn::parse("cms").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self, NameError> {
        let problems = Self::problems(name);
        if problems.is_empty() {
            Ok(Self(name.to_owned()))
        } else {
            Err(NameError::InvalidFqrn {
                input: name.to_owned(),
                problems,
            })
        }
    }

    /// Parses a name, expanding a dot-less short name with `default_domain` the way the
    /// client does (`atlas` becomes `atlas.cern.ch`).
    ///
    /// ```
    /// use cvmfs_core::{Domain, Fqrn};
    /// let cern = Domain::cern();
    /// assert_eq!(Fqrn::expand("atlas", &cern).unwrap().as_str(), "atlas.cern.ch");
    /// assert_eq!(Fqrn::expand("sw.hsf.org", &cern).unwrap().as_str(), "sw.hsf.org");
    /// ```
    pub fn expand(name: &str, default_domain: &Domain) -> Result<Self, NameError> {
        Self::expand_checked(name, default_domain).map_err(|problems| NameError::InvalidFqrn {
            input: name.to_owned(),
            problems,
        })
    }

    /// Like [`Fqrn::expand`], returning the broken rules instead of an error.
    pub fn expand_checked(name: &str, default_domain: &Domain) -> Result<Self, Vec<NameProblem>> {
        let candidate =
            if !name.is_empty() && !name.contains('.') && character_problems(name).is_empty() {
                format!("{name}.{}", default_domain.as_str())
            } else {
                name.to_owned()
            };
        let problems = Self::problems(&candidate);
        if problems.is_empty() {
            Ok(Self(candidate))
        } else {
            Err(problems)
        }
    }

    /// Every rule `name` breaks; empty when it is a valid FQRN.
    pub fn problems(name: &str) -> Vec<NameProblem> {
        let mut problems = character_problems(name);
        if !name.is_empty() && !name.contains('.') {
            problems.push(NameProblem::NoDot);
        }
        problems
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The organisation: the text before the first dot (`cms` for `cms.cern.ch`).
    pub fn org(&self) -> &str {
        self.0
            .split_once('.')
            .map_or(self.0.as_str(), |(org, _)| org)
    }

    /// The domain: the text after the first dot (`cern.ch` for `cms.cern.ch`).
    pub fn domain(&self) -> &str {
        self.0.split_once('.').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Display for Fqrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Fqrn {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Fqrn> for String {
    fn from(value: Fqrn) -> Self {
        value.0
    }
}

impl std::str::FromStr for Fqrn {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A validated default domain such as `cern.ch`, used to expand short names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    /// The client's default domain, `cern.ch`.
    pub fn cern() -> Self {
        Self("cern.ch".to_owned())
    }

    /// Parses a domain: the repository-name characters, starting with a letter or digit,
    /// no trailing dot.
    pub fn parse(domain: &str) -> Result<Self, NameError> {
        let problems = character_problems(domain);
        if problems.is_empty() {
            Ok(Self(domain.to_owned()))
        } else {
            Err(NameError::InvalidDomain {
                input: domain.to_owned(),
                problems,
            })
        }
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Domain {
    fn default() -> Self {
        Self::cern()
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Domain {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(value: Domain) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_anchor_repositories_and_mixed_case() {
        for name in [
            "cms.cern.ch",
            "cms-opendata-conddb.cern.ch",
            "ilc.desy.de",
            "CMS.Cern.ch",
            "a_b.c",
        ] {
            assert!(Fqrn::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn reports_every_problem_of_one_name() {
        let err = Fqrn::parse("-a@b.").unwrap_err();
        let NameError::InvalidFqrn { input, problems } = err else {
            panic!("wrong error {err:?}")
        };
        assert_eq!(input, "-a@b.");
        assert_eq!(
            problems,
            vec![
                NameProblem::InvalidCharacter {
                    character: '@',
                    offset: 2
                },
                NameProblem::FirstNotAlphanumeric { character: '-' },
                NameProblem::TrailingDot,
            ]
        );
    }

    #[test]
    fn length_limit_is_sixty() {
        let ok = format!("{}.ch", "a".repeat(57));
        assert_eq!(ok.len(), 60);
        assert!(Fqrn::parse(&ok).is_ok());
        let long = format!("{}.ch", "a".repeat(58));
        assert_eq!(
            Fqrn::problems(&long),
            vec![NameProblem::TooLong { len: 61 }]
        );
    }

    #[test]
    fn short_names_expand_with_the_default_domain() {
        let desy = Domain::parse("desy.de").unwrap();
        assert_eq!(Fqrn::expand("ilc", &desy).unwrap().as_str(), "ilc.desy.de");
        assert!(Fqrn::expand("", &desy).is_err());
        assert!(Fqrn::expand("a b", &desy).is_err());
        assert!(Fqrn::parse("cms").is_err());
        // The expanded name is checked against the length limit too.
        let long_short = "a".repeat(55);
        assert!(Fqrn::expand(&long_short, &Domain::cern()).is_err());
    }

    #[test]
    fn org_and_domain_split_at_the_first_dot() {
        let name = Fqrn::parse("a.b.opensciencegrid.org").unwrap();
        assert_eq!(name.org(), "a");
        assert_eq!(name.domain(), "b.opensciencegrid.org");
    }

    #[test]
    fn domains_are_validated() {
        assert!(Domain::parse("cern.ch").is_ok());
        assert!(Domain::parse("").is_err());
        assert!(Domain::parse("cern.ch.").is_err());
        assert!(Domain::parse(".cern").is_err());
    }

    #[test]
    fn serde_rejects_invalid_names() {
        assert!(serde_json::from_str::<Fqrn>("\"cms.cern.ch\"").is_ok());
        assert!(serde_json::from_str::<Fqrn>("\"cms\"").is_err());
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(name in "[a-zA-Z0-9][a-zA-Z0-9_-]{0,8}(\\.[a-zA-Z0-9_-]{1,6}){0,2}\\.[a-z]{1,8}") {
            let parsed = Fqrn::parse(&name).unwrap();
            prop_assert_eq!(parsed.as_str(), name.as_str());
            prop_assert_eq!(format!("{}.{}", parsed.org(), parsed.domain()), name);
        }

        #[test]
        fn parse_never_panics_and_agrees_with_problems(name in "\\PC{0,70}") {
            prop_assert_eq!(Fqrn::parse(&name).is_ok(), Fqrn::problems(&name).is_empty());
        }
    }
}
