//! The image's environment as DUCC leaves it in a flat root filesystem:
//! `.singularity.d/env/10-docker2singularity.sh`, one `export NAME="VALUE"` per `ENV` of
//! the image configuration, most as `NAME="${NAME:-VALUE}"` (Singularity keeps a value the
//! caller already has) and `PATH` unconditionally.
//!
//! Podman's `--rootfs` applies no image configuration, so this file is the only place the
//! image's `ENV` survives (DUCC does not keep the config blob). It is read here without a
//! shell: only literal values are accepted, and every statement that would need one
//! (`$OTHER`, a command substitution, anything but `export`) is reported and left out,
//! never guessed at.

use serde::Serialize;

/// One variable of the image's environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVariable {
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
    /// Written as `${NAME:-VALUE}`: the value applies only when the caller has none.
    pub default_only: bool,
}

/// A statement of the file that is not a literal `export`, left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedStatement {
    /// Its first line (1-based).
    pub line: usize,
    /// The statement's text (its first line).
    pub text: String,
    /// Why it is left out.
    pub reason: &'static str,
}

/// What the environment file says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageEnvironment {
    /// The variables, in file order; a later `export` of a name replaces the earlier one.
    pub variables: Vec<EnvVariable>,
    /// What could not be read without a shell.
    pub skipped: Vec<SkippedStatement>,
}

impl ImageEnvironment {
    /// `NAME=VALUE` for each variable, as a runtime's `-e` takes them.
    pub fn assignments(&self) -> Vec<String> {
        self.variables
            .iter()
            .map(|v| format!("{}={}", v.name, v.value))
            .collect()
    }
}

/// Where DUCC puts the file inside a flat root filesystem.
pub const ENV_FILE: &str = ".singularity.d/env/10-docker2singularity.sh";

/// A cursor over the file's characters that knows its line.
struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.line += 1;
        }
        c
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    /// Skips to the end of the statement (the next newline or `;` outside quotes is not
    /// tracked: a skipped statement ends at its line's end).
    fn skip_line(&mut self) {
        while let Some(c) = self.next() {
            if c == '\n' {
                break;
            }
        }
    }

    fn take_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            let ok =
                c == '_' || c.is_ascii_alphabetic() || (!name.is_empty() && c.is_ascii_digit());
            if !ok {
                break;
            }
            name.push(c);
            self.next();
        }
        name
    }
}

/// Why a value cannot be read without a shell.
type Refusal = &'static str;

const NEEDS_SHELL: Refusal = "the value expands a variable or a command: it needs a shell";

/// The characters a shell treats specially outside quotes.
fn special_unquoted(c: char) -> bool {
    matches!(
        c,
        '$' | '`'
            | '"'
            | '\''
            | '\\'
            | '|'
            | '&'
            | '<'
            | '>'
            | '('
            | ')'
            | '*'
            | '?'
            | '['
            | '#'
            | '~'
            | '{'
            | '}'
    ) || c.is_whitespace()
        || c == ';'
}

/// Reads a double-quoted segment after its opening quote; `wrapper` is set when the
/// whole segment is `${NAME:-...}` with `NAME` the variable being assigned.
fn double_quoted(
    cursor: &mut Cursor<'_>,
    assigned: &str,
    default_only: &mut bool,
) -> Result<String, Refusal> {
    let mut value = String::new();
    let mut first = true;
    loop {
        let c = cursor.next().ok_or("an unterminated double quote")?;
        match c {
            '"' => return Ok(value),
            '\\' => match cursor.next().ok_or("an unterminated double quote")? {
                // A backslash-newline is a line continuation inside double quotes.
                '\n' => {}
                e @ ('"' | '\\' | '$' | '`') => value.push(e),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            '$' if first && cursor.peek() == Some('{') => {
                cursor.next();
                let name = cursor.take_name();
                if name != assigned || cursor.next() != Some(':') || cursor.next() != Some('-') {
                    return Err(NEEDS_SHELL);
                }
                value.push_str(&default_word(cursor)?);
                *default_only = true;
                // Only `"${NAME:-VALUE}"` as the whole quoted text is understood.
                return match cursor.next() {
                    Some('"') => Ok(value),
                    _ => Err(NEEDS_SHELL),
                };
            }
            '$' | '`' => return Err(NEEDS_SHELL),
            other => value.push(other),
        }
        first = false;
    }
}

/// The default word of `${NAME:-WORD}` up to its closing brace: literal characters,
/// backslash escapes and nested double-quoted text.
fn default_word(cursor: &mut Cursor<'_>) -> Result<String, Refusal> {
    let mut word = String::new();
    loop {
        match cursor.next().ok_or("an unterminated ${...}")? {
            '}' => return Ok(word),
            '"' => {
                let mut nested = false;
                word.push_str(&double_quoted(cursor, "", &mut nested)?);
                if nested {
                    return Err(NEEDS_SHELL);
                }
            }
            '\\' => match cursor.next().ok_or("an unterminated ${...}")? {
                '\n' => {}
                e => word.push(e),
            },
            '$' | '`' => return Err(NEEDS_SHELL),
            other => word.push(other),
        }
    }
}

/// Reads the value word after `NAME=` up to the end of the statement.
fn value_word(
    cursor: &mut Cursor<'_>,
    assigned: &str,
    default_only: &mut bool,
) -> Result<String, Refusal> {
    let mut value = String::new();
    loop {
        match cursor.peek() {
            None | Some('\n' | ';') => return Ok(value),
            Some(c) if c.is_whitespace() => {
                // Trailing blanks are fine; another word is not.
                while cursor.peek().is_some_and(|c| c == ' ' || c == '\t') {
                    cursor.next();
                }
                return match cursor.peek() {
                    None | Some('\n' | ';' | '#') => Ok(value),
                    _ => Err("more than one word after the assignment"),
                };
            }
            Some('"') => {
                cursor.next();
                value.push_str(&double_quoted(cursor, assigned, default_only)?);
            }
            Some('\'') => {
                cursor.next();
                loop {
                    match cursor.next().ok_or("an unterminated single quote")? {
                        '\'' => break,
                        other => value.push(other),
                    }
                }
            }
            Some('\\') => {
                cursor.next();
                match cursor.next() {
                    Some('\n') | None => {}
                    Some(e) => value.push(e),
                }
            }
            Some(c) if special_unquoted(c) => return Err(NEEDS_SHELL),
            Some(c) => {
                cursor.next();
                value.push(c);
            }
        }
    }
}

/// Reads the environment file. Never fails: what cannot be read is listed in
/// [`ImageEnvironment::skipped`].
pub fn parse(text: &str) -> ImageEnvironment {
    let mut env = ImageEnvironment::default();
    let mut cursor = Cursor {
        chars: text.chars().peekable(),
        line: 1,
    };
    let lines: Vec<&str> = text.split('\n').collect();
    loop {
        while cursor.peek().is_some_and(|c| c.is_whitespace() || c == ';') {
            cursor.next();
        }
        let Some(c) = cursor.peek() else { break };
        let line = cursor.line;
        let mut skip = |cursor: &mut Cursor<'_>, reason: &'static str| {
            env.skipped.push(SkippedStatement {
                line,
                text: lines.get(line - 1).unwrap_or(&"").trim().to_owned(),
                reason,
            });
            if cursor.line == line {
                cursor.skip_line();
            }
        };
        if c == '#' {
            cursor.skip_line();
            continue;
        }
        let word = cursor.take_name();
        if word != "export" || !cursor.peek().is_some_and(|c| c == ' ' || c == '\t') {
            skip(&mut cursor, "not an export");
            continue;
        }
        while cursor.peek().is_some_and(|c| c == ' ' || c == '\t') {
            cursor.next();
        }
        let name = cursor.take_name();
        if name.is_empty() {
            skip(&mut cursor, "no variable name after export");
            continue;
        }
        if cursor.peek() != Some('=') {
            // `export NAME` marks an existing variable: it sets nothing.
            match cursor.peek() {
                None | Some('\n' | ';') => {}
                _ => skip(&mut cursor, "more than one word after export"),
            }
            continue;
        }
        cursor.next();
        let mut default_only = false;
        match value_word(&mut cursor, &name, &mut default_only) {
            Ok(value) => {
                env.variables.retain(|v| v.name != name);
                env.variables.push(EnvVariable {
                    name,
                    value,
                    default_only,
                });
            }
            Err(reason) => skip(&mut cursor, reason),
        }
    }
    env
}

/// Writes variables as DUCC does (`export NAME="${NAME:-VALUE}"`, or `NAME="VALUE"` when
/// unconditional), escaping what double quotes need.
pub fn render(variables: &[EnvVariable]) -> String {
    let mut text = String::from("#!/bin/sh\n");
    for v in variables {
        let mut escaped = String::with_capacity(v.value.len());
        for c in v.value.chars() {
            // Inside `${NAME:-...}` a `}` would end the default: escaped there too.
            if matches!(c, '"' | '\\' | '$' | '`') || (v.default_only && c == '}') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        if v.default_only {
            text.push_str(&format!(
                "export {}=\"${{{}:-{escaped}}}\"\n",
                v.name, v.name
            ));
        } else {
            text.push_str(&format!("export {}=\"{escaped}\"\n", v.name));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn var(name: &str, value: &str, default_only: bool) -> EnvVariable {
        EnvVariable {
            name: name.to_owned(),
            value: value.to_owned(),
            default_only,
        }
    }

    #[test]
    fn reads_the_forms_ducc_and_apptainer_write() {
        let text = "#!/bin/sh\n\
            export PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\
            export LANG=\"${LANG:-C.UTF-8}\"\n\
            export GPG_KEY=\"${GPG_KEY:-\"E3FF\"}\"\n\
            export QUOTED=\"say \\\"hi\\\" for \\$5\"\n\
            export SINGLE='a b'\n\
            export BARE=plain\n\
            export ONLY\n";
        let env = parse(text);
        assert_eq!(
            env.variables,
            [
                var(
                    "PATH",
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    false
                ),
                var("LANG", "C.UTF-8", true),
                var("GPG_KEY", "E3FF", true),
                var("QUOTED", "say \"hi\" for $5", false),
                var("SINGLE", "a b", false),
                var("BARE", "plain", false),
            ]
        );
        assert!(env.skipped.is_empty(), "{:?}", env.skipped);
        assert_eq!(env.assignments()[1], "LANG=C.UTF-8");
    }

    #[test]
    fn what_needs_a_shell_is_reported_with_its_line_not_guessed() {
        let text = "export A=\"x\"\nexport PATH=\"/opt/bin:$PATH\"\nsource /etc/profile\n\
            export B=\"${OTHER:-y}\"\nexport C=$(id -u)\nexport D=\"ok\"\nexport E=\"open\n";
        let env = parse(text);
        let names: Vec<&str> = env.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["A", "D"]);
        let lines: Vec<usize> = env.skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 7]);
        assert_eq!(env.skipped[1].reason, "not an export");
        assert_eq!(env.skipped[1].text, "source /etc/profile");
        assert_eq!(env.skipped[4].reason, "an unterminated double quote");
    }

    #[test]
    fn a_later_export_replaces_an_earlier_one() {
        let env = parse("export A=1; export A=2\n");
        assert_eq!(env.variables, [var("A", "2", false)]);
    }

    proptest! {
        /// Whatever literal values the image has, rendering and reading them back gives
        /// them unchanged.
        #[test]
        fn render_then_parse_round_trips(
            vars in proptest::collection::btree_map("[A-Z_][A-Z0-9_]{0,8}", ("[ -~\n\t]{0,20}", any::<bool>()), 0..6)
        ) {
            let variables: Vec<EnvVariable> = vars
                .into_iter()
                .map(|(name, (value, default_only))| var(&name, &value, default_only))
                .collect();
            let env = parse(&render(&variables));
            prop_assert!(env.skipped.is_empty(), "{:?}", env.skipped);
            prop_assert_eq!(env.variables, variables);
        }

        /// Arbitrary text never panics, and every skipped line exists.
        #[test]
        fn arbitrary_text_is_read_or_reported(text in "(export [A-Z]=)?[ -~\n]{0,60}") {
            let env = parse(&text);
            for skipped in &env.skipped {
                prop_assert!(skipped.line >= 1 && skipped.line <= text.split('\n').count());
            }
        }
    }
}
