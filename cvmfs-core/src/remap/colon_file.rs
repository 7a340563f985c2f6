//! A parser and writer for colon-separated account files that keeps every line it does
//! not change byte-exact: comments, NIS `+` lines, malformed lines, blank lines and a
//! missing final newline all survive a round trip.

use serde::{Deserialize, Serialize};

/// A record type of a colon-separated file.
pub trait ColonRecord: Sized {
    /// Parses one line (without its newline); `None` when it is not a record.
    fn parse(line: &str) -> Option<Self>;
    /// Renders the record as one line without a newline.
    fn render(&self) -> String;
    /// The record's name (first field).
    fn name(&self) -> &str;
}

/// One line: the text as read (or as re-rendered after a change) and the parsed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line<T> {
    raw: String,
    newline: bool,
    record: Option<T>,
}

impl<T> Line<T> {
    /// The parsed record, if the line is one.
    pub fn record(&self) -> Option<&T> {
        self.record.as_ref()
    }

    /// The line's text without its newline.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

/// A whole file of records and other lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColonFile<T> {
    lines: Vec<Line<T>>,
}

impl<T: ColonRecord> ColonFile<T> {
    /// Parses file content; never fails, since unknown lines are kept as they are.
    pub fn parse(content: &str) -> Self {
        let mut lines = Vec::new();
        let mut rest = content;
        while !rest.is_empty() {
            let (raw, newline, next) = match rest.find('\n') {
                Some(end) => (&rest[..end], true, &rest[end + 1..]),
                None => (rest, false, ""),
            };
            lines.push(Line {
                raw: raw.to_owned(),
                newline,
                record: T::parse(raw),
            });
            rest = next;
        }
        Self { lines }
    }

    /// The content: unchanged lines byte-exact, changed ones re-rendered.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.raw.len() + 1).sum());
        for line in &self.lines {
            out.push_str(&line.raw);
            if line.newline {
                out.push('\n');
            }
        }
        out
    }

    /// Every line in order.
    pub fn lines(&self) -> &[Line<T>] {
        &self.lines
    }

    /// Every record in order.
    pub fn records(&self) -> impl Iterator<Item = &T> {
        self.lines.iter().filter_map(Line::record)
    }

    /// The first record named `name`.
    pub fn find(&self, name: &str) -> Option<&T> {
        self.records().find(|record| record.name() == name)
    }

    /// The 1-based number of a line that starts with `name:` but is not a valid record.
    pub fn malformed_line_for(&self, name: &str) -> Option<usize> {
        let prefix = format!("{name}:");
        self.lines
            .iter()
            .position(|line| line.record.is_none() && line.raw.starts_with(&prefix))
            .map(|index| index + 1)
    }

    /// Changes every record for which `change` returns true and re-renders those lines.
    /// Returns how many records changed.
    pub fn update(&mut self, mut change: impl FnMut(&mut T) -> bool) -> usize {
        let mut changed = 0;
        for line in &mut self.lines {
            if let Some(record) = line.record.as_mut()
                && change(record)
            {
                line.raw = record.render();
                changed += 1;
            }
        }
        changed
    }

    /// Appends a record as a new line, adding the missing final newline first.
    pub fn append(&mut self, record: T) {
        if let Some(last) = self.lines.last_mut() {
            last.newline = true;
        }
        self.lines.push(Line {
            raw: record.render(),
            newline: true,
            record: Some(record),
        });
    }
}

/// Splits a line at `:` into exactly `N` fields.
pub(crate) fn fields<const N: usize>(line: &str) -> Option<[&str; N]> {
    let mut parts = line.split(':');
    let mut out = [""; N];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Parses a numeric id field strictly (digits only, fits in `u32`).
pub(crate) fn id_field(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
