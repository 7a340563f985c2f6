//! The client's simple configuration parser, line by line.
//!
//! Per line: cut at the first `#` (even inside quotes), trim, skip empty; split at the
//! first `=`; trim the key and remove one leading `readonly `, `export ` or `eval `; skip
//! a key that is empty or contains a space. Trim the value and strip one pair of matching
//! quotes when it is longer than two characters. Values with `$` or backquotes would be
//! expanded by the client's shell-based parser: they are flagged, never guessed.

use serde::{Deserialize, Serialize};

/// One `KEY=VALUE` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The key.
    pub key: String,
    /// The value after trimming and quote stripping.
    pub value: String,
    /// The 1-based line number.
    pub line: usize,
    /// Whether the client's shell parser would expand it (`$` or a backquote outside
    /// single quotes).
    pub needs_shell: bool,
}

/// A line that is neither empty, a comment nor an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedLine {
    /// The 1-based line number.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// Why it was skipped.
    pub reason: String,
}

/// A parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedFile {
    /// Assignments in file order.
    pub assignments: Vec<Assignment>,
    /// Lines the client ignores that are worth reporting.
    pub skipped: Vec<SkippedLine>,
}

/// Parses one file's content with the client's line rules.
///
/// ```
/// use cvmfs_core::config::parse_file;
/// let parsed = parse_file("export CVMFS_HTTP_PROXY='DIRECT' # comment\nX=\"\"\n");
/// assert_eq!(parsed.assignments[0].key, "CVMFS_HTTP_PROXY");
/// assert_eq!(parsed.assignments[0].value, "DIRECT");
/// assert_eq!(parsed.assignments[1].value, "\"\"");
/// ```
pub fn parse_file(content: &str) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    for (index, raw) in content.lines().enumerate() {
        let line = index + 1;
        let uncommented = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
        if uncommented.is_empty() {
            continue;
        }
        let skip = |reason: &str| SkippedLine {
            line,
            text: raw.to_owned(),
            reason: reason.to_owned(),
        };
        let Some((key, value)) = uncommented.split_once('=') else {
            parsed.skipped.push(skip("no '=' in the line"));
            continue;
        };
        let mut key = key.trim();
        for prefix in ["readonly ", "export ", "eval "] {
            if let Some(rest) = key.strip_prefix(prefix) {
                key = rest.trim_start();
                break;
            }
        }
        if key.is_empty() {
            parsed.skipped.push(skip("empty key"));
            continue;
        }
        if key.contains(char::is_whitespace) {
            parsed.skipped.push(skip("the key contains a space"));
            continue;
        }
        let (value, single_quoted) = strip_quotes(value.trim());
        let needs_shell = !single_quoted && (value.contains('$') || value.contains('`'));
        parsed.assignments.push(Assignment {
            key: key.to_owned(),
            value: value.to_owned(),
            line,
            needs_shell,
        });
    }
    parsed
}

/// Strips one pair of matching quotes from a value longer than two characters; tells
/// whether they were single quotes.
fn strip_quotes(value: &str) -> (&str, bool) {
    let bytes = value.as_bytes();
    if bytes.len() > 2 {
        let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
        if first == last && (first == b'"' || first == b'\'') {
            return (&value[1..value.len() - 1], first == b'\'');
        }
    }
    (value, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn client_line_rules() {
        let content = "\
# comment
  CVMFS_REPOSITORIES = cms.cern.ch,sft.cern.ch   
readonly CVMFS_USER=cvmfs
eval CVMFS_X=\"a # cut inside quotes\"
export  CVMFS_QUOTA_LIMIT='46000'
BAD KEY=1
=novalue
just words
CVMFS_EMPTY=
CVMFS_TWO=\"\"
CVMFS_SHELL=$HOME/x
CVMFS_LITERAL='$HOME'
CVMFS_TICK=`hostname`
";
        let parsed = parse_file(content);
        let pairs: Vec<(&str, &str, bool)> = parsed
            .assignments
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str(), a.needs_shell))
            .collect();
        assert_eq!(
            pairs,
            [
                ("CVMFS_REPOSITORIES", "cms.cern.ch,sft.cern.ch", false),
                ("CVMFS_USER", "cvmfs", false),
                ("CVMFS_X", "\"a", false),
                ("CVMFS_QUOTA_LIMIT", "46000", false),
                ("CVMFS_EMPTY", "", false),
                ("CVMFS_TWO", "\"\"", false),
                ("CVMFS_SHELL", "$HOME/x", true),
                ("CVMFS_LITERAL", "$HOME", false),
                ("CVMFS_TICK", "`hostname`", true),
            ]
        );
        let skipped: Vec<usize> = parsed.skipped.iter().map(|s| s.line).collect();
        assert_eq!(skipped, [6, 7, 8]);
        assert_eq!(parsed.assignments[1].line, 3);
    }

    proptest! {
        /// A rendered assignment parses back to the same key and value.
        #[test]
        fn simple_assignments_round_trip(key in "[A-Z_][A-Z0-9_]{0,20}", value in "[^#\\s'\"][^#\\n]{0,30}[^#\\s'\"]") {
            let parsed = parse_file(&format!("{key}={value}\n"));
            prop_assert_eq!(&parsed.assignments[0].key, &key);
            prop_assert_eq!(&parsed.assignments[0].value, value.trim());
            let quoted = parse_file(&format!("export {key}=\"{value}\"\n"));
            prop_assert_eq!(&quoted.assignments[0].value, &value);
        }

        #[test]
        fn never_panics(content in "\\PC{0,200}") {
            let _ = parse_file(&content);
        }
    }
}
