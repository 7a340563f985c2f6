//! Parsing mountinfo lines.
//!
//! `id parent major:minor root mountpoint options [optional...] - fstype source superopts`
//! Fields are separated by single spaces and never contain one (the kernel escapes it),
//! so the three fields after the ` - ` separator are found from the end of the line: that
//! stays right whatever optional fields come before, and an empty source is two spaces.

use std::borrow::Cow;
use std::ops::Range;

use crate::mountinfo::entry::MountInfo;
use crate::mountinfo::escape::{decode, decode_in_place};
use thiserror::Error;

/// Where each field of one line is, and the fields already converted to numbers.
struct Located {
    mount_id: u32,
    parent_id: u32,
    major: u32,
    minor: u32,
    root: Range<usize>,
    mount_point: Range<usize>,
    mount_options: Range<usize>,
    optional_fields: Range<usize>,
    shared: Option<u32>,
    master: Option<u32>,
    propagate_from: Option<u32>,
    unbindable: bool,
    fs_type: Range<usize>,
    source: Range<usize>,
    super_options: Range<usize>,
}

impl Located {
    /// The fields that may hold `\NNN` escapes.
    fn escapable(&mut self) -> [&mut Range<usize>; 4] {
        [
            &mut self.root,
            &mut self.mount_point,
            &mut self.fs_type,
            &mut self.source,
        ]
    }

    /// The entry, with `field` turning each escapable range into its decoded bytes.
    fn entry<'a>(self, line: &'a [u8], field: impl Fn(&'a [u8]) -> Cow<'a, [u8]>) -> MountInfo<'a> {
        MountInfo {
            mount_id: self.mount_id,
            parent_id: self.parent_id,
            major: self.major,
            minor: self.minor,
            root: field(&line[self.root]),
            mount_point: field(&line[self.mount_point]),
            mount_options: &line[self.mount_options],
            optional_fields: &line[self.optional_fields],
            shared: self.shared,
            master: self.master,
            propagate_from: self.propagate_from,
            unbindable: self.unbindable,
            fs_type: field(&line[self.fs_type]),
            source: field(&line[self.source]),
            super_options: &line[self.super_options],
        }
    }
}

/// A mountinfo line that does not have the kernel's format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("malformed mountinfo line {line}: {reason}: {text:?}")]
pub struct MountinfoError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
    /// The line (lossily decoded).
    pub text: String,
}

fn malformed(line: &[u8], number: usize, reason: &'static str) -> MountinfoError {
    MountinfoError {
        line: number,
        reason,
        text: String::from_utf8_lossy(line).into_owned(),
    }
}

fn locate(line: &[u8], number: usize) -> Result<Located, MountinfoError> {
    let fail = |reason: &'static str| malformed(line, number, reason);
    // The last three separators delimit superopts, source and fstype.
    let space_before = |end: usize| memchr::memrchr(b' ', &line[..end]);
    let p3 = space_before(line.len()).ok_or_else(|| fail("too few fields"))?;
    let p2 = space_before(p3).ok_or_else(|| fail("too few fields"))?;
    let p1 = space_before(p2).ok_or_else(|| fail("too few fields"))?;
    if p1 < 2 || line[p1 - 1] != b'-' || line[p1 - 2] != b' ' {
        return Err(fail("no ' - ' separator before the last three fields"));
    }

    let head_end = p1 - 2;
    let mut at = 0;
    let mut next = |what: &'static str| {
        let end = memchr::memchr(b' ', &line[at..head_end]).map_or(head_end, |i| at + i);
        let field = at..end;
        at = (end + 1).min(head_end);
        if field.is_empty() {
            Err(fail(what))
        } else {
            Ok(field)
        }
    };
    let number_at =
        |range: Range<usize>, reason| number_field(&line[range]).ok_or_else(|| fail(reason));
    let mount_id = number_at(next("missing mount id")?, "mount id is not a number")?;
    let parent_id = number_at(next("missing parent id")?, "parent id is not a number")?;
    let device = &line[next("missing major:minor")?];
    let (major, minor) = device
        .iter()
        .position(|&b| b == b':')
        .and_then(|colon| {
            Some((
                number_field(&device[..colon])?,
                number_field(&device[colon + 1..])?,
            ))
        })
        .ok_or_else(|| fail("major:minor is not two numbers"))?;
    let root = next("missing root")?;
    let mount_point = next("missing mount point")?;
    let mount_options = next("missing mount options")?;
    let optional_fields = at..head_end;

    let (mut shared, mut master, mut propagate_from, mut unbindable) = (None, None, None, false);
    for tag in line[optional_fields.clone()]
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
    {
        if let Some(n) = tag.strip_prefix(b"shared:") {
            shared = Some(number_field(n).ok_or_else(|| fail("shared:N is not a number"))?);
        } else if let Some(n) = tag.strip_prefix(b"master:") {
            master = Some(number_field(n).ok_or_else(|| fail("master:N is not a number"))?);
        } else if let Some(n) = tag.strip_prefix(b"propagate_from:") {
            propagate_from =
                Some(number_field(n).ok_or_else(|| fail("propagate_from:N is not a number"))?);
        } else if tag == b"unbindable" {
            unbindable = true;
        }
        // Unknown tags are tolerated; they stay visible in `optional_fields`.
    }
    if p2 == p1 + 1 {
        return Err(fail("empty filesystem type"));
    }
    Ok(Located {
        mount_id,
        parent_id,
        major,
        minor,
        root,
        mount_point,
        mount_options,
        optional_fields,
        shared,
        master,
        propagate_from,
        unbindable,
        fs_type: p1 + 1..p2,
        source: p2 + 1..p3,
        super_options: p3 + 1..line.len(),
    })
}

/// Parses one line (without its newline); `number` is its 1-based line number for errors.
/// A field holding an escape is decoded into its own allocation; see
/// [`parse_line_in_place`] for the variant that never allocates.
pub fn parse_line(line: &[u8], number: usize) -> Result<MountInfo<'_>, MountinfoError> {
    Ok(locate(line, number)?.entry(line, decode))
}

/// Parses one line like [`parse_line`], decoding escapes inside `line` itself: a decoded
/// field is never longer than its escaped form, so it is written over it and every field
/// of the result borrows from `line`. No allocation at all.
pub fn parse_line_in_place(
    line: &mut [u8],
    number: usize,
) -> Result<MountInfo<'_>, MountinfoError> {
    let mut at = locate(line, number)?;
    for range in at.escapable() {
        let field = &mut line[range.clone()];
        if memchr::memchr(b'\\', field).is_some() {
            range.end = range.start + decode_in_place(field);
        }
    }
    let line: &[u8] = line;
    Ok(at.entry(line, Cow::Borrowed))
}

/// Parses decimal digits into a `u32` without allocating.
fn number_field(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(d - b'0');
    }
    u32::try_from(value).ok()
}

/// Parses every non-empty line; the first malformed one is an error with its number.
pub fn parse_lines(text: &[u8]) -> Result<Vec<MountInfo<'_>>, MountinfoError> {
    // Counting lines first sizes the result exactly: one allocation for the table.
    let mut mounts = Vec::with_capacity(memchr::memchr_iter(b'\n', text).count() + 1);
    let mut start = 0;
    let mut number = 0;
    while start < text.len() {
        number += 1;
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        let line = &text[start..end];
        if !line.is_empty() {
            mounts.push(parse_line(line, number)?);
        }
        start = end + 1;
    }
    Ok(mounts)
}

/// Parses every non-empty line like [`parse_lines`], decoding escapes inside `text`: the
/// result vector is the only allocation, whatever the lines hold.
pub fn parse_lines_in_place(text: &mut [u8]) -> Result<Vec<MountInfo<'_>>, MountinfoError> {
    let mut mounts = Vec::with_capacity(memchr::memchr_iter(b'\n', text).count() + 1);
    let mut rest = text;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let (line, tail) = std::mem::take(&mut rest).split_at_mut(end);
        // `tail` starts with the newline, or is empty at the end of the text.
        rest = tail.get_mut(1..).unwrap_or_default();
        if !line.is_empty() {
            mounts.push(parse_line_in_place(line, number)?);
        }
    }
    Ok(mounts)
}
