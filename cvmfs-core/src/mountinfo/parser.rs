//! Parsing mountinfo lines.
//!
//! `id parent major:minor root mountpoint options [optional...] - fstype source superopts`
//! Fields are separated by single spaces and never contain one (the kernel escapes it),
//! so the three fields after the ` - ` separator are found from the end of the line: that
//! stays right whatever optional fields come before, and an empty source is two spaces.

use crate::error::CoreError;
use crate::mountinfo::entry::MountInfo;
use crate::mountinfo::escape::decode;

/// Parses one line (without its newline); `number` is its 1-based line number for errors.
pub fn parse_line(line: &[u8], number: usize) -> Result<MountInfo<'_>, CoreError> {
    let fail = |reason: &'static str| CoreError::MalformedMountinfo {
        line: number,
        reason,
        text: String::from_utf8_lossy(line).into_owned(),
    };
    // The last three separators delimit superopts, source and fstype.
    let space_before = |end: usize| memchr::memrchr(b' ', &line[..end]);
    let p3 = space_before(line.len()).ok_or_else(|| fail("too few fields"))?;
    let p2 = space_before(p3).ok_or_else(|| fail("too few fields"))?;
    let p1 = space_before(p2).ok_or_else(|| fail("too few fields"))?;
    if p1 < 2 || line[p1 - 1] != b'-' || line[p1 - 2] != b' ' {
        return Err(fail("no ' - ' separator before the last three fields"));
    }
    let super_options = &line[p3 + 1..];
    let source = &line[p2 + 1..p3];
    let fs_type = &line[p1 + 1..p2];

    let mut rest = &line[..p1 - 2];
    let mut next = |what: &'static str| {
        let (field, after) = match memchr::memchr(b' ', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = after;
        if field.is_empty() {
            Err(fail(what))
        } else {
            Ok(field)
        }
    };
    let mount_id =
        number_field(next("missing mount id")?).ok_or_else(|| fail("mount id is not a number"))?;
    let parent_id = number_field(next("missing parent id")?)
        .ok_or_else(|| fail("parent id is not a number"))?;
    let device = next("missing major:minor")?;
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
    let optional_fields = rest;

    let (mut shared, mut master, mut propagate_from, mut unbindable) = (None, None, None, false);
    for tag in optional_fields
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
    if fs_type.is_empty() {
        return Err(fail("empty filesystem type"));
    }
    Ok(MountInfo {
        mount_id,
        parent_id,
        major,
        minor,
        root: decode(root),
        mount_point: decode(mount_point),
        mount_options,
        optional_fields,
        shared,
        master,
        propagate_from,
        unbindable,
        fs_type: decode(fs_type),
        source: decode(source),
        super_options,
    })
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
pub fn parse_lines(text: &[u8]) -> Result<Vec<MountInfo<'_>>, CoreError> {
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
