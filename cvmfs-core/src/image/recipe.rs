//! Checking a DUCC recipe (`recipe.yaml`, "Recipe v1") before a pull request: the keys
//! and their types, then every input line as [`super::spec::check`] judges it, plus what
//! only the whole list shows (duplicates, entries a wildcard already covers) and the
//! live recipe's style. Every finding carries its line.
//!
//! YAML is read with `yaml-rust2` (YAML 1.2); DUCC's `yaml.v2` reads YAML 1.1, which
//! differs only for scalars a recipe has no business holding (`yes`, octal numbers).

use serde::Serialize;
use yaml_rust2::{Yaml, YamlLoader};

use super::spec::{Severity, check, parse};
use super::wildcard::Pattern;

/// The top-level keys DUCC reads.
const KEYS: [&str; 6] = [
    "version",
    "user",
    "cvmfs_repo",
    "output_format",
    "input",
    "ignoreErrors",
];

/// One finding, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipeFinding {
    /// The 1-based line, when it has one.
    pub line: Option<usize>,
    /// How serious.
    pub severity: Severity,
    /// A short name of the check.
    pub check: &'static str,
    /// What is wrong.
    pub message: String,
    /// The input entry concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// What a recipe check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecipeReport {
    /// The input entries read.
    pub entries: usize,
    /// Everything found, in line order.
    pub findings: Vec<RecipeFinding>,
}

impl RecipeReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    fn push(
        &mut self,
        line: Option<usize>,
        severity: Severity,
        check: &'static str,
        message: String,
        entry: Option<&str>,
    ) {
        self.findings.push(RecipeFinding {
            line,
            severity,
            check,
            message,
            entry: entry.map(str::to_owned),
        });
    }
}

/// The 1-based line of the first line at or after `from` that holds `needle`.
fn line_of(lines: &[&str], needle: &str, from: usize) -> Option<usize> {
    (from..lines.len())
        .find(|&i| lines[i].contains(needle))
        .map(|i| i + 1)
}

/// The line of a top-level key.
fn key_line(lines: &[&str], key: &str) -> Option<usize> {
    lines
        .iter()
        .position(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
        .map(|i| i + 1)
}

fn yaml_type(value: &Yaml) -> &'static str {
    match value {
        Yaml::Real(_) => "a number",
        Yaml::Integer(_) => "an integer",
        Yaml::String(_) => "a string",
        Yaml::Boolean(_) => "a boolean",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Alias(_) => "an alias",
        Yaml::Null => "empty",
        Yaml::BadValue => "not a value",
    }
}

/// Checks the recipe `text`.
pub fn lint(text: &str) -> RecipeReport {
    let mut report = RecipeReport::default();
    let lines: Vec<&str> = text.lines().collect();
    let docs = match YamlLoader::load_from_str(text) {
        Ok(docs) => docs,
        Err(e) => {
            report.push(
                Some(e.marker().line()),
                Severity::Error,
                "yaml",
                format!("not YAML: {}", e.info()),
                None,
            );
            return report;
        }
    };
    let Some(Yaml::Hash(top)) = docs.first() else {
        report.push(
            None,
            Severity::Error,
            "top-level",
            "the recipe is not a mapping of keys (version, cvmfs_repo, input, ...)".to_owned(),
            None,
        );
        return report;
    };
    for (key, value) in top {
        let Some(key) = key.as_str() else {
            report.push(
                None,
                Severity::Error,
                "key",
                format!("a key that is {}, not a name", yaml_type(key)),
                None,
            );
            continue;
        };
        let line = key_line(&lines, key);
        if !KEYS.contains(&key) {
            report.push(
                line,
                Severity::Error,
                "unknown-key",
                format!(
                    "unknown key {key:?}: DUCC ignores it (keys: {})",
                    KEYS.join(", ")
                ),
                None,
            );
            continue;
        }
        let expected = match key {
            "version" => matches!(value, Yaml::Integer(_)),
            "input" | "ignoreErrors" => matches!(value, Yaml::Array(_)),
            _ => matches!(value, Yaml::String(_)),
        };
        if !expected {
            report.push(
                line,
                Severity::Error,
                "key-type",
                format!(
                    "{key} is {}: DUCC fails on the whole file (it wants {})",
                    yaml_type(value),
                    match key {
                        "version" => "the integer 1",
                        "input" | "ignoreErrors" => "a list of strings",
                        _ => "a string",
                    }
                ),
                None,
            );
            continue;
        }
        match (key, value) {
            ("version", Yaml::Integer(n)) if *n != 1 => report.push(
                line,
                Severity::Error,
                "version",
                format!("version {n}: only 1 exists"),
                None,
            ),
            ("cvmfs_repo", Yaml::String(repo)) if repo != "unpacked.cern.ch" => report.push(
                line,
                Severity::Error,
                "cvmfs-repo",
                format!("cvmfs_repo {repo:?}: the recipe publishes into unpacked.cern.ch"),
                None,
            ),
            _ => {}
        }
    }
    let input = top
        .iter()
        .find(|(k, _)| k.as_str() == Some("input"))
        .map(|(_, v)| v);
    let items = match input {
        None => {
            report.push(
                None,
                Severity::Error,
                "no-input",
                "no input: nothing is converted".to_owned(),
                None,
            );
            return sorted(report);
        }
        Some(Yaml::Array(items)) => items,
        Some(_) => return sorted(report),
    };
    if items.is_empty() {
        report.push(
            key_line(&lines, "input"),
            Severity::Error,
            "no-input",
            "input is empty: nothing is converted".to_owned(),
            None,
        );
    }
    let mut from = key_line(&lines, "input").unwrap_or(0);
    let mut seen: Vec<(String, Option<usize>)> = Vec::new();
    for item in items {
        let Some(entry) = item.as_str() else {
            report.push(
                None,
                Severity::Error,
                "entry-type",
                format!("an input entry that is {}, not a string", yaml_type(item)),
                None,
            );
            continue;
        };
        report.entries += 1;
        let line = line_of(&lines, entry, from);
        if let Some(line) = line {
            from = line;
            let raw = lines[line - 1].trim_start().trim_start_matches('-').trim();
            if !raw.starts_with('\'') {
                report.push(
                    Some(line),
                    Severity::Warning,
                    "style",
                    "the live recipe single-quotes every entry".to_owned(),
                    Some(entry),
                );
            }
        }
        for finding in check(entry) {
            report.push(
                line,
                finding.severity,
                finding.check,
                finding.message,
                Some(entry),
            );
        }
        if let Some((_, first)) = seen.iter().find(|(e, _)| e == entry) {
            report.push(
                line,
                Severity::Warning,
                "duplicate",
                format!(
                    "listed before{}",
                    first.map(|l| format!(" (line {l})")).unwrap_or_default()
                ),
                Some(entry),
            );
        }
        seen.push((entry.to_owned(), line));
    }
    covered_by_wildcards(&mut report, &seen);
    sorted(report)
}

/// Warns about entries a wildcard entry of the same image repository already matches.
fn covered_by_wildcards(report: &mut RecipeReport, entries: &[(String, Option<usize>)]) {
    let parsed: Vec<_> = entries
        .iter()
        .filter_map(|(text, line)| parse(text).ok().map(|(spec, _)| (spec, *line)))
        .collect();
    for (spec, line) in &parsed {
        let Some(tag) = spec.tag.as_deref().filter(|_| !spec.is_wildcard()) else {
            continue;
        };
        let cover = parsed.iter().find(|(other, _)| {
            other.is_wildcard()
                && other.registry == spec.registry
                && other.repository == spec.repository
                && other
                    .tag
                    .as_deref()
                    .is_some_and(|t| Pattern::new(t).matches(tag))
        });
        if let Some((wildcard, wildcard_line)) = cover {
            report.push(
                *line,
                Severity::Warning,
                "covered-by-wildcard",
                format!(
                    "already matched by {wildcard}{}",
                    wildcard_line
                        .map(|l| format!(" (line {l})"))
                        .unwrap_or_default()
                ),
                Some(&spec.to_string()),
            );
        }
    }
}

fn sorted(mut report: RecipeReport) -> RecipeReport {
    report.findings.sort_by_key(|f| f.line.unwrap_or(0));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of the live recipe (cvmfs/images-unpacked.cern.ch), all valid.
    const LIVE_SHAPE: &str = "version: 1
user: cvmfsunpacker
cvmfs_repo: 'unpacked.cern.ch'
output_format: 'https://gitlab-registry.cern.ch/unpacked/sync/$(image)'
input:
    - 'https://registry.hub.docker.com/library/centos:centos7'
    - 'https://registry.hub.docker.com/atlas/analysisbase:21.2.1*'
    - 'https://ghcr.io/hepdata/hepdata_lib:v0.11.0'
    - 'https://gitlab-registry.cern.ch/cms-cloud/cmssw-docker/cc7-cms:2023-06-01'
";

    fn checks(report: &RecipeReport) -> Vec<(Option<usize>, &'static str)> {
        report.findings.iter().map(|f| (f.line, f.check)).collect()
    }

    #[test]
    fn the_live_recipes_shape_is_clean_but_for_its_wildcard_dot() {
        let report = lint(LIVE_SHAPE);
        assert_eq!(report.entries, 4);
        assert!(!report.has_errors(), "{report:?}");
        assert_eq!(checks(&report), [(Some(7), "wildcard-dot")]);
    }

    #[test]
    fn every_error_and_warning_class_is_found_with_its_line() {
        let text = "version: '1'
cvmfs_repo: 'other.cern.ch'
imput: []
input:
    - 'https://registry.hub.docker.com/library/centos:centos7'
    - 'https://registry.hub.docker.com/library/centos:centos7'
    - 'https://ghcr.io/a/b:1.0'
    - 'https://ghcr.io/a/b:1.*'
    - https://ghcr.io/a/c:latest
    - 'library/centos:7'
    - 'https://docker.io/centos:7'
    - 'https://ghcr.io/a/d'
    - 42
";
        let report = lint(text);
        let found = checks(&report);
        for expected in [
            (Some(1), "key-type"),
            (Some(2), "cvmfs-repo"),
            (Some(3), "unknown-key"),
            (Some(6), "duplicate"),
            (Some(7), "covered-by-wildcard"),
            (Some(8), "wildcard-dot"),
            (Some(9), "style"),
            (Some(9), "mutable-tag"),
            (Some(10), "no-scheme"),
            (Some(11), "docker-hub-alias"),
            (Some(11), "docker-hub-library"),
            (Some(12), "no-tag"),
            (None, "entry-type"),
        ] {
            assert!(
                found.contains(&expected),
                "{expected:?} missing in {found:?}"
            );
        }
        assert!(report.has_errors());
        assert_eq!(report.entries, 8);
    }

    #[test]
    fn broken_files_say_why() {
        assert_eq!(
            checks(&lint("version: 1\ninput: x: y\n")),
            [(Some(2), "yaml")]
        );
        assert_eq!(checks(&lint("- a\n- b\n")), [(None, "top-level")]);
        assert_eq!(checks(&lint("version: 1\n")), [(None, "no-input")]);
        assert_eq!(
            checks(&lint("version: 2\ninput: []\n")),
            [(Some(1), "version"), (Some(2), "no-input")]
        );
    }
}
