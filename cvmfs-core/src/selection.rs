//! The `CVMFS_MOUNTS` selection: which repositories a container wants.
//!
//! Unset, empty, whitespace or `none` (any case) select nothing; `all` (any case)
//! selects the whole catalog; anything else is a list separated by whitespace and/or
//! commas. Tokens are validated, never globbed, and every bad token is reported at once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use thiserror::Error;

use crate::fqrn::{Fqrn, NameProblem};
use crate::problem_list::Bullets;
use crate::problem_list::join_problems;

/// Characters a shell would expand as a glob; the anchor let them expand against the
/// working directory.
const GLOB_CHARACTERS: [char; 6] = ['*', '?', '[', ']', '{', '}'];

/// What a selection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SelectionKind {
    /// Nothing: unset, empty, whitespace or `none`.
    Nothing,
    /// The whole catalog: `all`.
    All,
    /// An explicit list of names.
    List,
}

/// One token of the variable, with where it stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// The token's text.
    pub text: String,
    /// Its position among the tokens, counting from 1.
    pub position: usize,
    /// Its byte offset in the variable's value.
    pub offset: usize,
}

/// Why one token was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "problem")]
pub enum TokenProblem {
    /// The token contains shell glob characters; they are never expanded.
    Glob {
        /// The glob characters found, in order.
        characters: Vec<char>,
    },
    /// `none` or `all` inside a list of names.
    KeywordInList {
        /// The keyword as written.
        keyword: String,
    },
    /// The token is not a valid repository name.
    InvalidName {
        /// Every rule it breaks.
        problems: Vec<NameProblem>,
    },
    /// The token names a repository the catalog lacks, a near miss of one it has.
    NearMiss {
        /// What the token names.
        fqrn: Fqrn,
        /// The catalog name it most likely meant.
        suggestion: Fqrn,
    },
}

impl fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Glob { characters } => {
                let shown: String = characters.iter().collect();
                write!(
                    f,
                    "contains the glob character(s) {shown:?}; names are never expanded"
                )
            }
            Self::KeywordInList { keyword } => write!(
                f,
                "{keyword:?} must stand alone, not inside a list of repositories"
            ),
            Self::InvalidName { problems } => {
                write!(
                    f,
                    "is not a repository name: it {}",
                    join_problems(problems)
                )
            }
            Self::NearMiss { fqrn, suggestion } => write!(
                f,
                "names {fqrn}, which is not in the catalog: did you mean {suggestion}? (to mount {fqrn} as written, add it with --add-repository)"
            ),
        }
    }
}

/// A `CVMFS_MOUNTS` value with bad tokens; every one is listed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid CVMFS_MOUNTS value {input:?}: {} bad token(s){}", problems.len(), Bullets(problems))]
pub struct SelectionError {
    /// The variable's value.
    pub input: String,
    /// Every bad token.
    pub problems: Vec<BadToken>,
}

/// A rejected token and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadToken {
    /// The token.
    pub token: Token,
    /// What is wrong with it.
    pub problem: TokenProblem,
}

impl fmt::Display for BadToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "token {} ({:?}, at offset {}) {}",
            self.token.position, self.token.text, self.token.offset, self.problem
        )
    }
}

/// Something accepted but worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "warning")]
pub enum SelectionWarning {
    /// A valid name the catalog does not know; it is mounted all the same.
    NotInCatalog {
        /// The repository.
        fqrn: Fqrn,
        /// The token that named it.
        token: Token,
    },
    /// A name given again (directly or as a short name); the later one is dropped.
    Duplicate {
        /// The repository.
        fqrn: Fqrn,
        /// The dropped token.
        token: Token,
        /// The position of the token that is kept.
        first_position: usize,
    },
}

impl fmt::Display for SelectionWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInCatalog { fqrn, token } => write!(
                f,
                "repository {fqrn} (token {}) is not in the catalog; it will be mounted if the backend can find it",
                token.position
            ),
            Self::Duplicate {
                fqrn,
                token,
                first_position,
            } => write!(
                f,
                "token {} ({:?}) repeats {fqrn} from token {first_position}; ignored",
                token.position, token.text
            ),
        }
    }
}

/// A parsed `CVMFS_MOUNTS` value: the repositories in order, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    kind: SelectionKind,
    repositories: Vec<Fqrn>,
    warnings: Vec<SelectionWarning>,
}

/// Splits a value at runs of whitespace and commas, keeping offsets.
pub fn tokenize(value: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (offset, character) in value.char_indices() {
        let separator = character.is_whitespace() || character == ',';
        match (separator, start) {
            (true, Some(begin)) => {
                tokens.push(make_token(value, begin, offset, tokens.len()));
                start = None;
            }
            (false, None) => start = Some(offset),
            _ => {}
        }
    }
    if let Some(begin) = start {
        tokens.push(make_token(value, begin, value.len(), tokens.len()));
    }
    tokens
}

fn make_token(value: &str, begin: usize, end: usize, index: usize) -> Token {
    Token {
        text: value[begin..end].to_owned(),
        position: index + 1,
        offset: begin,
    }
}

impl Selection {
    /// Parses the value of `CVMFS_MOUNTS` (`None` when the variable is unset).
    ///
    /// ```
    /// use cvmfs_core::{Catalog, Selection};
    /// use cvmfs_core::selection::SelectionKind;
    /// let catalog = Catalog::cms();
    /// assert_eq!(Selection::parse(Some(" NONE "), &catalog).unwrap().kind(), SelectionKind::Nothing);
    /// assert_eq!(Selection::parse(Some(" all"), &catalog).unwrap().repositories().len(), 9);
    /// let picked = Selection::parse(Some("cms,sft.cern.ch cms"), &catalog).unwrap();
    /// assert_eq!(picked.names(), ["cms.cern.ch", "sft.cern.ch"]);
    /// assert!(Selection::parse(Some("cms* none"), &catalog).is_err());
    /// ```
    pub fn parse(value: Option<&str>, catalog: &Catalog) -> Result<Self, SelectionError> {
        let text = value.unwrap_or("");
        let tokens = tokenize(text);
        if let [only] = tokens.as_slice() {
            if only.text.eq_ignore_ascii_case("none") {
                return Ok(Self::nothing());
            }
            if only.text.eq_ignore_ascii_case("all") {
                return Ok(Self::all(catalog));
            }
        }
        if tokens.is_empty() {
            return Ok(Self::nothing());
        }
        let mut bad = Vec::new();
        let mut repositories: Vec<(Fqrn, usize)> = Vec::new();
        let mut warnings = Vec::new();
        for token in tokens {
            match classify(&token, catalog) {
                Err(problem) => bad.push(BadToken { token, problem }),
                Ok(fqrn) => {
                    if let Some((_, first_position)) =
                        repositories.iter().find(|(known, _)| *known == fqrn)
                    {
                        warnings.push(SelectionWarning::Duplicate {
                            fqrn,
                            first_position: *first_position,
                            token,
                        });
                        continue;
                    }
                    if !catalog.contains(&fqrn) {
                        warnings.push(SelectionWarning::NotInCatalog {
                            fqrn: fqrn.clone(),
                            token: token.clone(),
                        });
                    }
                    repositories.push((fqrn, token.position));
                }
            }
        }
        if !bad.is_empty() {
            return Err(SelectionError {
                input: text.to_owned(),
                problems: bad,
            });
        }
        Ok(Self {
            kind: SelectionKind::List,
            repositories: repositories.into_iter().map(|(fqrn, _)| fqrn).collect(),
            warnings,
        })
    }

    /// A selection of nothing.
    pub fn nothing() -> Self {
        Self {
            kind: SelectionKind::Nothing,
            repositories: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The whole catalog, in catalog order.
    pub fn all(catalog: &Catalog) -> Self {
        Self {
            kind: SelectionKind::All,
            repositories: catalog.repositories().to_vec(),
            warnings: Vec::new(),
        }
    }

    /// An explicit list of repositories (duplicates dropped, keeping the first).
    pub fn from_repositories(repositories: impl IntoIterator<Item = Fqrn>) -> Self {
        let mut unique: Vec<Fqrn> = Vec::new();
        for fqrn in repositories {
            if !unique.contains(&fqrn) {
                unique.push(fqrn);
            }
        }
        Self {
            kind: if unique.is_empty() {
                SelectionKind::Nothing
            } else {
                SelectionKind::List
            },
            repositories: unique,
            warnings: Vec::new(),
        }
    }

    /// What was asked for.
    pub fn kind(&self) -> SelectionKind {
        self.kind
    }

    /// The selected repositories in order.
    pub fn repositories(&self) -> &[Fqrn] {
        &self.repositories
    }

    /// The selected names as text.
    pub fn names(&self) -> Vec<&str> {
        self.repositories.iter().map(Fqrn::as_str).collect()
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.repositories.is_empty()
    }

    /// Accepted oddities: names outside the catalog, duplicates.
    pub fn warnings(&self) -> &[SelectionWarning] {
        &self.warnings
    }
}

/// Validates one list token and resolves it to a repository name.
fn classify(token: &Token, catalog: &Catalog) -> Result<Fqrn, TokenProblem> {
    let text = token.text.as_str();
    if text.eq_ignore_ascii_case("none") || text.eq_ignore_ascii_case("all") {
        return Err(TokenProblem::KeywordInList {
            keyword: text.to_owned(),
        });
    }
    let globs: Vec<char> = text
        .chars()
        .filter(|c| GLOB_CHARACTERS.contains(c))
        .collect();
    if !globs.is_empty() {
        return Err(TokenProblem::Glob { characters: globs });
    }
    let fqrn = catalog
        .resolve_checked(text)
        .map_err(|problems| TokenProblem::InvalidName { problems })?;
    match catalog.nearest(&fqrn) {
        Some(suggestion) => Err(TokenProblem::NearMiss {
            suggestion: suggestion.clone(),
            fqrn,
        }),
        None => Ok(fqrn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(value: Option<&str>) -> Result<Selection, SelectionError> {
        Selection::parse(value, &Catalog::cms())
    }

    fn bad_tokens(value: &str) -> Vec<(usize, String)> {
        match parse(Some(value)) {
            Err(SelectionError { problems, .. }) => problems
                .into_iter()
                .map(|bad| (bad.token.position, bad.token.text))
                .collect(),
            other => panic!("expected an invalid selection for {value:?}, got {other:?}"),
        }
    }

    /// The anchor's table of `CVMFS_MOUNTS` inputs, with its defects fixed.
    #[test]
    fn anchor_table_of_inputs() {
        for nothing in [
            None,
            Some(""),
            Some("   \t\n"),
            Some("none"),
            Some("NoNe"),
            Some(" none "),
        ] {
            let selection = parse(nothing).unwrap();
            assert_eq!(selection.kind(), SelectionKind::Nothing, "{nothing:?}");
            assert!(selection.is_empty());
        }
        for all in ["all", "ALL", " all", "all \n", ",all,"] {
            let selection = parse(Some(all)).unwrap();
            assert_eq!(selection.kind(), SelectionKind::All, "{all:?}");
            assert_eq!(selection.names(), crate::catalog::CMS_REPOSITORIES);
        }
        let list = parse(Some("cms.cern.ch oasis.opensciencegrid.org")).unwrap();
        assert_eq!(list.kind(), SelectionKind::List);
        assert_eq!(list.names(), ["cms.cern.ch", "oasis.opensciencegrid.org"]);
    }

    #[test]
    fn separators_are_whitespace_and_commas() {
        let selection = parse(Some("cms,,sft.cern.ch\t ilc.desy.de ,unpacked.cern.ch")).unwrap();
        assert_eq!(
            selection.names(),
            [
                "cms.cern.ch",
                "sft.cern.ch",
                "ilc.desy.de",
                "unpacked.cern.ch"
            ]
        );
    }

    #[test]
    fn duplicates_keep_the_first_position_and_warn() {
        let selection = parse(Some("sft cms.cern.ch sft.cern.ch cms")).unwrap();
        assert_eq!(selection.names(), ["sft.cern.ch", "cms.cern.ch"]);
        assert_eq!(selection.warnings().len(), 2);
        assert!(matches!(
            &selection.warnings()[0],
            SelectionWarning::Duplicate { first_position: 1, token, .. } if token.position == 3
        ));
    }

    #[test]
    fn unknown_valid_names_are_accepted_with_a_warning() {
        let selection = parse(Some("atlas cms")).unwrap();
        assert_eq!(selection.names(), ["atlas.cern.ch", "cms.cern.ch"]);
        assert!(matches!(
            selection.warnings(),
            [SelectionWarning::NotInCatalog { fqrn, .. }] if fqrn.as_str() == "atlas.cern.ch"
        ));
    }

    #[test]
    fn every_bad_token_is_reported_at_once_with_its_position() {
        let long = format!("{}.cern.ch", "x".repeat(60));
        let value = format!("cms none c*s ok.cern.ch a@b ALL {long} [ab]");
        assert_eq!(
            bad_tokens(&value),
            vec![
                (2, "none".to_owned()),
                (3, "c*s".to_owned()),
                (5, "a@b".to_owned()),
                (6, "ALL".to_owned()),
                (7, long.clone()),
                (8, "[ab]".to_owned()),
            ]
        );
    }

    #[test]
    fn error_message_names_the_input_and_each_token() {
        let message = parse(Some("cms ?")).unwrap_err().to_string();
        assert!(message.contains("CVMFS_MOUNTS"), "{message}");
        assert!(message.contains("token 2 (\"?\""), "{message}");
        assert!(message.contains("glob"), "{message}");
    }

    #[test]
    fn tokenizer_records_offsets() {
        let tokens = tokenize("  a, bb");
        assert_eq!(tokens[0].offset, 2);
        assert_eq!(tokens[1].offset, 5);
        assert_eq!(tokens[1].position, 2);
    }

    proptest! {
        #[test]
        fn parse_never_panics(value in "\\PC{0,80}") {
            let _ = parse(Some(&value));
        }

        #[test]
        fn lists_of_valid_names_round_trip(
            names in proptest::collection::vec("[a-z][a-z0-9-]{0,10}\\.[a-z]{2,5}", 1..10),
            separators in proptest::collection::vec("[ ,\t]{1,3}", 10),
        ) {
            let mut value = String::new();
            for (name, separator) in names.iter().zip(&separators) {
                value.push_str(name);
                value.push_str(separator);
            }
            let selection = parse(Some(&value)).unwrap();
            let mut expected: Vec<&str> = Vec::new();
            for name in &names {
                if !expected.contains(&name.as_str()) {
                    expected.push(name);
                }
            }
            prop_assert_eq!(selection.names(), expected);
        }
    }
}
