//! User-namespace id maps: the lines written to `/proc/<pid>/uid_map` and `gid_map`.

use serde::{Deserialize, Serialize};

use crate::remap::RemapError;

/// The kernel's limit on lines in one map (since Linux 4.15).
pub const MAX_MAP_LINES: usize = 340;

/// One range: ids `inside..inside+count` in the namespace are `outside..` outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMapping {
    /// First id inside the namespace.
    pub inside: u32,
    /// First id in the parent namespace.
    pub outside: u32,
    /// Number of ids.
    pub count: u32,
}

impl IdMapping {
    fn end(start: u32, count: u32) -> u64 {
        u64::from(start) + u64::from(count)
    }
}

/// Checks a map the way the kernel does and renders it, one `inside outside count` line
/// per mapping.
///
/// ```
/// use cvmfs_core::remap::{IdMapping, render_id_map};
/// let map = render_id_map(&[IdMapping { inside: 0, outside: 1000, count: 1 }]).unwrap();
/// assert_eq!(map, "0 1000 1\n");
/// ```
pub fn render_id_map(mappings: &[IdMapping]) -> Result<String, RemapError> {
    let mut problems = Vec::new();
    if mappings.is_empty() {
        problems.push("the map is empty".to_owned());
    }
    if mappings.len() > MAX_MAP_LINES {
        problems.push(format!(
            "{} lines (the kernel takes at most {MAX_MAP_LINES})",
            mappings.len()
        ));
    }
    for (i, m) in mappings.iter().enumerate() {
        let line = i + 1;
        if m.count == 0 {
            problems.push(format!("line {line} maps zero ids"));
        }
        if IdMapping::end(m.inside, m.count) > 1 << 32
            || IdMapping::end(m.outside, m.count) > 1 << 32
        {
            problems.push(format!("line {line} runs past the largest id"));
        }
        for (j, other) in mappings.iter().enumerate().take(i) {
            let overlaps = |a: u32, b: u32| {
                u64::from(a) < IdMapping::end(b, other.count)
                    && u64::from(b) < IdMapping::end(a, m.count)
            };
            if overlaps(m.inside, other.inside) {
                problems.push(format!(
                    "line {line} overlaps line {} inside the namespace",
                    j + 1
                ));
            }
            if overlaps(m.outside, other.outside) {
                problems.push(format!(
                    "line {line} overlaps line {} outside the namespace",
                    j + 1
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(RemapError::InvalidIdMap { problems });
    }
    Ok(mappings
        .iter()
        .map(|m| format!("{} {} {}\n", m.inside, m.outside, m.count))
        .collect())
}

/// Parses map text as the kernel shows it (fields separated by any whitespace).
pub fn parse_id_map(text: &str) -> Result<Vec<IdMapping>, RemapError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let numbers: Vec<Option<u32>> =
                line.split_whitespace().map(|f| f.parse().ok()).collect();
            match numbers.as_slice() {
                [Some(inside), Some(outside), Some(count)] => Ok(IdMapping {
                    inside: *inside,
                    outside: *outside,
                    count: *count,
                }),
                _ => Err(RemapError::MalformedIdMap {
                    line: index + 1,
                    text: line.to_owned(),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_overlaps_zero_counts_and_overflow() {
        let bad = [
            IdMapping {
                inside: 0,
                outside: 1000,
                count: 10,
            },
            IdMapping {
                inside: 5,
                outside: 5000,
                count: 1,
            },
            IdMapping {
                inside: 100,
                outside: 1005,
                count: 0,
            },
            IdMapping {
                inside: u32::MAX,
                outside: 0,
                count: 2,
            },
        ];
        let Err(RemapError::InvalidIdMap { problems }) = render_id_map(&bad) else {
            panic!("expected an error")
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(parse_id_map("0 1000\n").is_err());
        assert_eq!(
            parse_id_map("         0       1000          1\n")
                .unwrap()
                .len(),
            1
        );
    }

    proptest! {
        #[test]
        fn render_parse_round_trip(base in 0u32..1_000_000, outside in 0u32..1_000_000, counts in proptest::collection::vec(1u32..1000, 1..20)) {
            let mut mappings = Vec::new();
            let (mut inside, mut out) = (base, outside);
            for count in counts {
                mappings.push(IdMapping { inside, outside: out, count });
                inside += count;
                out += count;
            }
            let text = render_id_map(&mappings).unwrap();
            prop_assert_eq!(parse_id_map(&text).unwrap(), mappings);
        }
    }
}
