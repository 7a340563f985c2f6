//! DUCC's tag wildcards: every `*` becomes `.*` and the result is a regular expression
//! that must match the whole tag; `*` may match nothing, and `.` (or any other regular
//! expression character) keeps its regular-expression meaning. A pattern that does not
//! compile matches nothing, as in DUCC (which says nothing about it: [`Pattern::new`]
//! does).

/// A compiled tag pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    regex: Option<regex::Regex>,
}

impl Pattern {
    /// Compiles `tag` with DUCC's rule; a pattern DUCC could not compile matches no tag.
    pub fn new(tag: &str) -> Self {
        let anchored = format!("^(?:{})$", tag.replace('*', ".*"));
        Self {
            text: tag.to_owned(),
            regex: regex::Regex::new(&anchored).ok(),
        }
    }

    /// Whether DUCC could compile it (if not, it expands to no tag at all).
    pub fn compiles(&self) -> bool {
        self.regex.is_some()
    }

    /// Whether DUCC keeps `tag` for this pattern.
    pub fn matches(&self, tag: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(tag))
    }

    /// The tags of `tags` DUCC keeps, in their order.
    pub fn expand<'a>(&self, tags: &'a [String]) -> Vec<&'a str> {
        tags.iter()
            .map(String::as_str)
            .filter(|t| self.matches(t))
            .collect()
    }

    /// Whether a shell glob of the same text (`*` any string, everything else literal)
    /// keeps `tag`: what users usually expect.
    pub fn glob_matches(&self, tag: &str) -> bool {
        glob(self.text.as_bytes(), tag.as_bytes())
    }

    /// The tags where DUCC and a shell glob disagree (kept by one, not the other).
    pub fn differs_from_glob<'a>(&self, tags: &'a [String]) -> Vec<&'a str> {
        tags.iter()
            .map(String::as_str)
            .filter(|t| self.matches(t) != self.glob_matches(t))
            .collect()
    }
}

/// A shell glob with `*` only.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn the_documented_examples_expand_as_ducc_expands_them() {
        let listed = tags(&[
            "21.2.10",
            "21.2.100-20191127",
            "21.2.15-20180118",
            "21.3.10",
            "121.2.10",
            "v21.2.10",
            "21.2.1",
            "21x2y1z",
        ]);
        let pattern = Pattern::new("21.2.1*");
        assert_eq!(
            pattern.expand(&listed),
            [
                "21.2.10",
                "21.2.100-20191127",
                "21.2.15-20180118",
                "21.2.1",
                "21x2y1z"
            ]
        );
        // Where a shell glob differs: '.' is any character to DUCC.
        assert_eq!(pattern.differs_from_glob(&listed), ["21x2y1z"]);
        assert_eq!(Pattern::new("*").expand(&listed).len(), listed.len());
        let suffix = Pattern::new("*-slc6");
        assert!(suffix.matches("a-slc6") && !suffix.matches("x-slc6-dev"));
        // A pattern DUCC cannot compile expands to nothing.
        let broken = Pattern::new("v1(*");
        assert!(!broken.compiles() && broken.expand(&listed).is_empty());
    }

    /// DUCC's rule for patterns of letters, digits, '-', '.' and '*': '.' any one
    /// character, '*' any string; written without regular expressions.
    fn ducc_rule(pattern: &[u8], text: &[u8]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some((b'*', rest)) => (0..=text.len()).any(|i| ducc_rule(rest, &text[i..])),
            Some((b'.', rest)) => !text.is_empty() && ducc_rule(rest, &text[1..]),
            Some((c, rest)) => text.first() == Some(c) && ducc_rule(rest, &text[1..]),
        }
    }

    proptest! {
        /// The compiled pattern keeps exactly the tags an independent implementation of
        /// DUCC's rule keeps.
        #[test]
        fn expansion_agrees_with_an_independent_implementation(
            pattern in "[ab1.*-]{0,8}",
            tag in "[ab1.x-]{0,10}",
        ) {
            let compiled = Pattern::new(&pattern);
            prop_assert!(compiled.compiles());
            prop_assert_eq!(
                compiled.matches(&tag),
                ducc_rule(pattern.as_bytes(), tag.as_bytes()),
                "pattern {:?} tag {:?}", pattern, tag
            );
        }
    }
}
