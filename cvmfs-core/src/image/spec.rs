//! DUCC image specifications (`SCHEME://REGISTRY[:PORT]/REPO[/REPO...][:TAG][@DIGEST]`),
//! parsed as DUCC parses them ([`parse`]), and judged for what DUCC would misread,
//! silently absorb or fail on ([`check`]).

use std::fmt;

use serde::Serialize;

/// An image as DUCC understands it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSpec {
    /// `https` in every real entry.
    pub scheme: String,
    /// The registry host, port included, case kept.
    pub registry: String,
    /// The repository path (`library/centos`), without leading or trailing `/`.
    pub repository: String,
    /// The tag, possibly with `*` wildcards.
    pub tag: Option<String>,
    /// The digest (`sha256:...`).
    pub digest: Option<String>,
}

/// Why DUCC cannot parse a specification (its own messages, in our words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// No registry could be identified, even with `https://` in front.
    #[error("{input:?}: no registry can be identified (write https://REGISTRY/REPOSITORY:TAG)")]
    NoRegistry {
        /// The specification.
        input: String,
    },
    /// The path is empty: no repository.
    #[error("{input:?}: no repository after the registry {registry:?}")]
    NoRepository {
        /// The specification.
        input: String,
        /// The registry DUCC found.
        registry: String,
    },
    /// More than one `@`, or more than one `:` in the path.
    #[error("{input:?}: {problem}")]
    Unparsable {
        /// The specification.
        input: String,
        /// What DUCC stumbles over.
        problem: &'static str,
    },
}

impl ImageSpec {
    /// Whether the tag holds a `*` (DUCC expands it against the registry's tag list).
    pub fn is_wildcard(&self) -> bool {
        self.tag.as_deref().is_some_and(|t| t.contains('*'))
    }

    /// What names the image under its repository: the tag, else the digest (DUCC's
    /// public path uses this).
    pub fn reference(&self) -> Option<&str> {
        self.tag.as_deref().or(self.digest.as_deref())
    }

    /// The image as a container engine pulls it from its registry
    /// (`registry.hub.docker.com/library/centos:centos7`, `@digest` pinned).
    pub fn registry_reference(&self) -> String {
        let mut text = format!("{}/{}", self.registry, self.repository);
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(digest);
        }
        text
    }

    /// The same image with `tag` instead of a wildcard.
    pub fn with_tag(&self, tag: &str) -> Self {
        Self {
            tag: Some(tag.to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageSpec {
    /// The canonical form DUCC reads back to the same parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.registry_reference())
    }
}

/// What DUCC absorbs silently while parsing: things a recipe must not contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Absorbed {
    /// The specification had no `scheme://` and DUCC put `https://` in front.
    pub implied_scheme: bool,
    /// A `user@` before the host.
    pub userinfo: bool,
    /// A `?query`.
    pub query: bool,
    /// A `#fragment`.
    pub fragment: bool,
    /// A `%xx` escape (decoded by DUCC).
    pub percent: bool,
}

/// Splits `scheme://rest` when the scheme is a URL scheme (a letter, then letters,
/// digits, `+`, `-`, `.`) and the authority is not empty.
fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = input.split_once("://")?;
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (valid && !authority.is_empty()).then_some((scheme, rest))
}

/// Parses `input` as DUCC does: a URL (with `https://` put in front when none gives a
/// host), the registry the host (port included), the rest of the path split on `@` and
/// `:`. What DUCC absorbs without a word is reported in [`Absorbed`].
pub fn parse(input: &str) -> Result<(ImageSpec, Absorbed), SpecError> {
    let mut absorbed = Absorbed::default();
    let (scheme, rest) = match split_scheme(input) {
        Some(split) => split,
        None => {
            absorbed.implied_scheme = true;
            ("https", input)
        }
    };
    // The fragment, then the query, are cut off as a URL parser does.
    let rest = match rest.split_once('#') {
        Some((before, _)) => {
            absorbed.fragment = true;
            before
        }
        None => rest,
    };
    let rest = match rest.split_once('?') {
        Some((before, _)) => {
            absorbed.query = true;
            before
        }
        None => rest,
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let registry = match authority.rsplit_once('@') {
        Some((_, host)) => {
            absorbed.userinfo = true;
            host
        }
        None => authority,
    };
    if registry.is_empty() {
        return Err(SpecError::NoRegistry {
            input: input.to_owned(),
        });
    }
    absorbed.percent = path.contains('%');
    if path.is_empty() || path == "/" {
        return Err(SpecError::NoRepository {
            input: input.to_owned(),
            registry: registry.to_owned(),
        });
    }
    if path.split(':').count() > 3 {
        return Err(SpecError::Unparsable {
            input: input.to_owned(),
            problem: "more than two ':' in the path",
        });
    }
    let mut at = path.split('@');
    let named = at.next().unwrap_or_default();
    let digest = at.next().map(str::to_owned);
    if at.next().is_some() {
        return Err(SpecError::Unparsable {
            input: input.to_owned(),
            problem: "more than one '@'",
        });
    }
    let mut parts = named.split(':');
    let repository = parts
        .next()
        .unwrap_or_default()
        .trim_matches('/')
        .to_owned();
    let tag = parts.next().map(str::to_owned);
    if parts.next().is_some() {
        return Err(SpecError::Unparsable {
            input: input.to_owned(),
            problem: "more than one ':' before the digest",
        });
    }
    if repository.is_empty() {
        return Err(SpecError::NoRepository {
            input: input.to_owned(),
            registry: registry.to_owned(),
        });
    }
    Ok((
        ImageSpec {
            scheme: scheme.to_owned(),
            registry: registry.to_owned(),
            repository,
            tag,
            digest,
        },
        absorbed,
    ))
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// DUCC fails, drops the image, or does something else than meant.
    Error,
    /// Works, but is probably not what the author wants.
    Warning,
}

/// One thing wrong with a specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// A short name of the check (`no-tag`, `docker-hub-alias`, ...).
    pub check: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

fn error(check: &'static str, message: String) -> Finding {
    Finding {
        severity: Severity::Error,
        check,
        message,
    }
}

fn warning(check: &'static str, message: String) -> Finding {
    Finding {
        severity: Severity::Warning,
        check,
        message,
    }
}

/// Whether `component` is a valid repository path component
/// (`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`).
fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let dashes = separator.bytes().all(|b| b == b'-');
        if !(separator == "." || separator == "_" || separator == "__" || dashes) {
            return false;
        }
    }
    true
}

/// Whether `tag` is a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), `*` allowed
/// anywhere in a wildcard pattern.
fn valid_tag(tag: &str, wildcard: bool) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphanumeric()
            || c == '_'
            || (!first && (c == '.' || c == '-'))
            || (wildcard && c == '*')
    };
    !tag.is_empty() && tag.len() <= 128 && tag.chars().enumerate().all(|(i, c)| ok(c, i == 0))
}

/// The Docker Hub names DUCC does not treat as `registry.hub.docker.com`.
const DOCKER_HUB_ALIASES: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "hub.docker.com",
];

/// Everything wrong with the specification `input` for a recipe: what DUCC fails on or
/// misreads (errors) and what is probably unintended (warnings). Empty for a good entry.
pub fn check(input: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    if input.trim() != input || input.contains(char::is_whitespace) {
        found.push(error("whitespace", "contains whitespace".to_owned()));
    }
    let (spec, absorbed) = match parse(input) {
        Ok(parsed) => parsed,
        Err(e) => {
            found.push(error("unparsable", e.to_string()));
            return found;
        }
    };
    if absorbed.implied_scheme {
        // `library/centos:7` reads as registry `library`: say what DUCC would do.
        found.push(error(
            "no-scheme",
            format!(
                "no https:// in front: DUCC reads registry {:?} and repository {:?}",
                spec.registry, spec.repository
            ),
        ));
    } else if spec.scheme != "https" {
        found.push(error(
            "scheme",
            format!("scheme {:?}: entries use https://", spec.scheme),
        ));
    }
    for (absorbed, what) in [
        (absorbed.userinfo, "a user@ before the registry"),
        (absorbed.query, "a ?query"),
        (absorbed.fragment, "a #fragment"),
        (absorbed.percent, "a %-escape"),
    ] {
        if absorbed {
            found.push(error(
                "absorbed",
                format!("{what}, which DUCC drops or decodes without a word"),
            ));
        }
    }
    if spec.registry.chars().any(|c| c.is_ascii_uppercase()) {
        found.push(error(
            "registry-case",
            format!(
                "registry {:?} has capitals: a directory of its own beside the lowercase one",
                spec.registry
            ),
        ));
    }
    if !spec.registry.contains('.') && !spec.registry.contains(':') {
        found.push(error(
            "registry",
            format!(
                "{:?} is not a registry host (a repository namespace read as the registry?)",
                spec.registry
            ),
        ));
    }
    for component in spec.repository.split('/') {
        if component.contains('*') {
            found.push(error(
                "wildcard-outside-tag",
                format!(
                    "'*' in the repository {:?}: only tags expand",
                    spec.repository
                ),
            ));
        } else if !valid_component(component) {
            found.push(error(
                "repository",
                format!(
                    "repository component {component:?} is not [a-z0-9] separated by . _ __ or -"
                ),
            ));
        }
    }
    match (&spec.tag, &spec.digest) {
        (None, None) => found.push(error(
            "no-tag",
            "neither tag nor digest: DUCC's whole run fails on it".to_owned(),
        )),
        (Some(tag), digest) => {
            if !valid_tag(tag, true) {
                found.push(error("tag", format!("tag {tag:?} is not a valid tag")));
            }
            if spec.is_wildcard() && digest.is_some() {
                found.push(error(
                    "wildcard-with-digest",
                    "a wildcard tag with a digest".to_owned(),
                ));
            }
            if spec.is_wildcard() && tag.contains('.') {
                found.push(warning(
                    "wildcard-dot",
                    format!("'.' in the wildcard {tag:?} matches any character (DUCC uses a regular expression)"),
                ));
            }
            if tag == "*" {
                found.push(warning(
                    "wildcard-all",
                    "':*' takes every tag of the repository".to_owned(),
                ));
            }
            if tag == "latest" {
                found.push(warning(
                    "mutable-tag",
                    "'latest' moves: a job that resolved the path may lose its files".to_owned(),
                ));
            }
        }
        (None, Some(_)) => {}
    }
    if let Some(digest) = &spec.digest {
        let hex = digest.strip_prefix("sha256:").unwrap_or_default();
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            found.push(error(
                "digest",
                format!("digest {digest:?} is not sha256: and 64 lowercase hex digits"),
            ));
        }
    }
    let registry = spec.registry.to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&registry.as_str()) {
        found.push(warning(
            "docker-hub-alias",
            format!(
                "Docker Hub as {registry:?}: unpacked.cern.ch uses registry.hub.docker.com (another path, untested with DUCC)"
            ),
        ));
    }
    if (registry == "registry.hub.docker.com" || DOCKER_HUB_ALIASES.contains(&registry.as_str()))
        && !spec.repository.contains('/')
    {
        found.push(warning(
            "docker-hub-library",
            format!(
                "single-component Docker Hub repository {:?}: DUCC adds no library/",
                spec.repository
            ),
        ));
    }
    found
}

/// A specification to look an image up by (not a recipe entry): parsed as DUCC parses
/// it, refused when DUCC would misread, absorb or fail on it. A missing `https://` alone
/// is accepted, since DUCC adds it and the path is the same. Returns the image and the
/// warnings worth showing, or every error at once.
pub fn parse_for_lookup(input: &str) -> Result<(ImageSpec, Vec<Finding>), Vec<Finding>> {
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = check(input)
        .into_iter()
        .filter(|f| f.check != "no-scheme")
        .partition(|f| f.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(errors);
    }
    match parse(input) {
        Ok((spec, _)) => Ok((spec, warnings)),
        Err(e) => Err(vec![error("unparsable", e.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lookups_accept_a_missing_scheme_and_refuse_misreadings() {
        let (spec, warnings) =
            super::parse_for_lookup("registry.hub.docker.com/library/busybox:latest").unwrap();
        assert_eq!(spec.registry, "registry.hub.docker.com");
        assert!(warnings.iter().any(|w| w.check == "mutable-tag"));
        let errors = super::parse_for_lookup("library/centos:7 ").unwrap_err();
        let checks: Vec<&str> = errors.iter().map(|e| e.check).collect();
        assert!(
            checks.contains(&"whitespace") && checks.contains(&"registry"),
            "{checks:?}"
        );
        assert!(super::parse_for_lookup("https://r.io/x").is_err());
    }

    use super::*;
    use proptest::prelude::*;

    fn parts(input: &str) -> (String, String, Option<String>, Option<String>) {
        let (spec, _) = parse(input).unwrap();
        (spec.registry, spec.repository, spec.tag, spec.digest)
    }

    #[test]
    fn the_reference_table_parses_as_ducc_parses_it() {
        assert_eq!(
            parts("https://registry.hub.docker.com/library/centos:centos7"),
            (
                "registry.hub.docker.com".into(),
                "library/centos".into(),
                Some("centos7".into()),
                None
            )
        );
        assert_eq!(
            parts(
                "https://gitlab-p4n.aip.de:5005/compute4punch/container-stacks/htcondor-wn:latest"
            )
            .0,
            "gitlab-p4n.aip.de:5005"
        );
        assert_eq!(
            parts("https://hub.docker.com/library/redis:5@sha256:aaabbbccc"),
            (
                "hub.docker.com".into(),
                "library/redis".into(),
                Some("5".into()),
                Some("sha256:aaabbbccc".into())
            )
        );
        assert_eq!(parts("https://hub.docker.com/library/redis/").2, None);
        // Without a scheme: a host and path get https://; a namespace is misread.
        assert_eq!(
            parts("registry.hub.docker.com/library/centos:centos7").0,
            "registry.hub.docker.com"
        );
        assert_eq!(parts("library/centos:7").0, "library");
        assert_eq!(parts("localhost:5000/foo:1").0, "localhost:5000");
        assert!(matches!(
            parse("centos:7"),
            Err(SpecError::NoRepository { .. })
        ));
        assert!(matches!(
            parse("https://r.io/redis:5:4"),
            Err(SpecError::Unparsable { .. })
        ));
        assert!(matches!(
            parse("https://r.io/a@b@c"),
            Err(SpecError::Unparsable { .. })
        ));
        assert!(parse("https://r.io/a/b:x*").unwrap().0.is_wildcard());
    }

    #[test]
    fn what_ducc_would_misread_is_an_error_and_doubts_are_warnings() {
        let checks =
            |input: &str| -> Vec<&'static str> { check(input).iter().map(|f| f.check).collect() };
        assert!(check("https://registry.hub.docker.com/library/centos:centos7").is_empty());
        assert!(checks("library/centos:7").contains(&"no-scheme"));
        assert!(checks("https://ghcr.io/a/b").contains(&"no-tag"));
        assert!(checks("https://ghcr.io/a/b:1?x=1").contains(&"absorbed"));
        assert!(checks("https://me@ghcr.io/a/b:1").contains(&"absorbed"));
        assert!(checks("https://GHCR.io/a/b:1").contains(&"registry-case"));
        assert!(checks("https://ghcr.io/A/b:1").contains(&"repository"));
        assert!(checks("https://ghcr.io/a*/b:1").contains(&"wildcard-outside-tag"));
        assert!(checks("https://ghcr.io/a/b:1@sha256:abc").contains(&"digest"));
        assert!(checks("https://ghcr.io/a/b:*@sha256:abc").contains(&"wildcard-with-digest"));
        assert!(checks("https://docker.io/library/centos:7").contains(&"docker-hub-alias"));
        assert!(checks("https://registry.hub.docker.com/centos:7").contains(&"docker-hub-library"));
        assert!(checks("https://ghcr.io/a/b:21.2.1*").contains(&"wildcard-dot"));
        assert!(checks("https://ghcr.io/a/b:latest").contains(&"mutable-tag"));
        assert!(checks("https://ghcr.io/a/b:*").contains(&"wildcard-all"));
        assert!(checks("http://ghcr.io/a/b:1").contains(&"scheme"));
        assert!(checks(" https://ghcr.io/a/b:1").contains(&"whitespace"));
        assert!(checks("https://ghcr.io/a/b:.bad").contains(&"tag"));
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,5}((\\.|_|__|-{1,2})[a-z0-9]{1,5}){0,2}"
    }

    proptest! {
        /// Rendering and parsing again gives the same parts, for every valid
        /// specification, and a valid one has no findings.
        #[test]
        fn render_then_parse_is_the_identity(
            host in "[a-z]{1,8}(\\.[a-z]{2,5}){1,2}",
            port in proptest::option::of(1u16..65535),
            components in proptest::collection::vec(component(), 1..4),
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_-]{0,20}"),
            digest in proptest::option::of("[0-9a-f]{64}"),
        ) {
            let spec = ImageSpec {
                scheme: "https".to_owned(),
                registry: match port {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                },
                repository: components.join("/"),
                tag: tag.clone().or_else(|| digest.is_none().then(|| "v1".to_owned())),
                digest: digest.map(|d| format!("sha256:{d}")),
            };
            let text = spec.to_string();
            let (parsed, absorbed) = parse(&text).unwrap();
            prop_assert_eq!(&parsed, &spec);
            prop_assert_eq!(absorbed, Absorbed::default());
            let errors: Vec<_> = check(&text)
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            prop_assert!(errors.is_empty(), "{:?}", errors);
        }

        /// Parsing never panics, whatever the text.
        #[test]
        fn parsing_anything_never_panics(input in ".{0,60}") {
            let _ = parse(&input);
            let _ = check(&input);
        }
    }
}
