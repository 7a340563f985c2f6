//! A parsed mount table and the lookups the mount engine needs.

use serde::Serialize;

use crate::mountinfo::MountinfoError;
use crate::mountinfo::entry::MountInfo;
use crate::mountinfo::parser::{parse_lines, parse_lines_in_place};

/// Every mount of one mount namespace, in table order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountTable<'a> {
    mounts: Vec<MountInfo<'a>>,
}

impl<'a> MountTable<'a> {
    /// Parses mountinfo text.
    ///
    /// ```
    /// use cvmfs_core::MountTable;
    /// let text = b"1 0 0:1 / / rw - rootfs rootfs rw\n\
    ///              30 1 0:52 / /cvmfs/cms.cern.ch ro,nosuid,nodev,relatime - fuse cvmfs2 ro,user_id=0,group_id=0,default_permissions,allow_other\n";
    /// let table = MountTable::parse(text).unwrap();
    /// let cms = table.visible_at(b"/cvmfs/cms.cern.ch").unwrap();
    /// assert!(cms.is_client_mount());
    /// assert_eq!(cms.minor, 52);
    /// ```
    pub fn parse(text: &'a [u8]) -> Result<Self, MountinfoError> {
        Ok(Self {
            mounts: parse_lines(text)?,
        })
    }

    /// Parses mountinfo text like [`MountTable::parse`], decoding `\NNN` escapes inside
    /// `text` (which is left holding decoded fields): the result vector is the only
    /// allocation. For callers that own the bytes they just read.
    ///
    /// ```
    /// use cvmfs_core::MountTable;
    /// let mut text = b"30 1 0:52 / /cvmfs/a\\040b ro - fuse cvmfs2 ro\n".to_vec();
    /// let table = MountTable::parse_in_place(&mut text).unwrap();
    /// assert_eq!(&*table.mounts()[0].mount_point, b"/cvmfs/a b");
    /// ```
    pub fn parse_in_place(text: &'a mut [u8]) -> Result<Self, MountinfoError> {
        Ok(Self {
            mounts: parse_lines_in_place(text)?,
        })
    }

    /// A table of already parsed mounts.
    pub fn from_mounts(mounts: Vec<MountInfo<'a>>) -> Self {
        Self { mounts }
    }

    /// The mounts in table order.
    pub fn mounts(&self) -> &[MountInfo<'a>] {
        &self.mounts
    }

    /// Number of mounts.
    pub fn len(&self) -> usize {
        self.mounts.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.mounts.is_empty()
    }

    /// The top of the stack of mounts at `mount_point` that starts with a child of
    /// `parent` (`None`: the namespace root, whose parent is outside the table).
    fn top_at(&self, mount_point: &[u8], parent: Option<u32>) -> Option<&MountInfo<'a>> {
        let at = |m: &&MountInfo<'a>| &*m.mount_point == mount_point;
        let mut current = match parent {
            Some(parent) => self
                .mounts
                .iter()
                .filter(at)
                .rfind(|m| m.parent_id == parent)?,
            None => self.mounts.iter().filter(at).find(|m| {
                !self
                    .mounts
                    .iter()
                    .any(|p| p.mount_id == m.parent_id && at(&p) && p.mount_id != m.mount_id)
            })?,
        };
        // Mounts stacked on the same mountpoint have the one below as their parent. A
        // table from a hostile or corrupted source may hold a cycle: each mount is
        // climbed at most once.
        for _ in 0..self.mounts.len() {
            let Some(above) = self
                .mounts
                .iter()
                .filter(at)
                .rfind(|m| m.parent_id == current.mount_id && m.mount_id != current.mount_id)
            else {
                break;
            };
            current = above;
        }
        Some(current)
    }

    /// The mount that serves `path` (an absolute, normalised path): the visible mount
    /// at the deepest mountpoint on the way from `/`, following ids and parent ids, so
    /// stacked and shadowed mounts are told apart.
    pub fn serving(&self, path: &[u8]) -> Option<&MountInfo<'a>> {
        let mut current = self.top_at(b"/", None)?;
        for (end, _) in path
            .iter()
            .enumerate()
            .filter(|(i, b)| **b == b'/' && *i > 0)
        {
            if let Some(child) = self.top_at(&path[..end], Some(current.mount_id)) {
                current = child;
            }
        }
        if path.len() > 1
            && !path.ends_with(b"/")
            && let Some(child) = self.top_at(path, Some(current.mount_id))
        {
            current = child;
        }
        Some(current)
    }

    /// The visible mount whose mountpoint is exactly `path`, if `path` is a mountpoint.
    pub fn visible_at(&self, path: &[u8]) -> Option<&MountInfo<'a>> {
        self.serving(path).filter(|m| &*m.mount_point == path)
    }

    /// Whether `path` is a visible mountpoint.
    pub fn is_mountpoint(&self, path: &[u8]) -> bool {
        self.visible_at(path).is_some()
    }

    /// Every mount at or below `prefix`, deepest first (the safe unmount order), later
    /// mounts of the same depth first.
    pub fn mounts_under(&self, prefix: &[u8]) -> Vec<&MountInfo<'a>> {
        let below = |m: &&MountInfo<'a>| {
            let mp: &[u8] = &m.mount_point;
            mp == prefix
                || (mp.starts_with(prefix)
                    && (prefix.ends_with(b"/") || mp.get(prefix.len()) == Some(&b'/')))
        };
        let mut found: Vec<(usize, &MountInfo<'a>)> =
            self.mounts.iter().filter(below).enumerate().collect();
        found.sort_by_key(|(index, m)| {
            let depth = m.mount_point.iter().filter(|&&b| b == b'/').count();
            (std::cmp::Reverse(depth), std::cmp::Reverse(*index))
        });
        found.into_iter().map(|(_, m)| m).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    use crate::mountinfo::MountPropagation;
    use crate::mountinfo::encode;
    use proptest::prelude::*;

    const TABLE: &[u8] = b"\
22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:26 / /cvmfs rw,relatime shared:10 - tmpfs tmpfs rw
31 30 0:52 / /cvmfs/cms.cern.ch ro,nosuid,nodev,relatime master:10 - fuse cvmfs2 ro,user_id=0,group_id=0,default_permissions,allow_other
32 30 0:53 / /cvmfs/sft.cern.ch ro,nosuid,nodev,relatime shared:12 master:10 propagate_from:10 - fuse cvmfs2 ro,user_id=0
33 32 0:54 / /cvmfs/sft.cern.ch ro,relatime unbindable weird:tag - fuse cvmfs2 ro
34 22 0:27 /sub\\040dir /with\\040space\\011tab rw - tmpfs  rw
";

    /// A later mount on /cvmfs with the same parent shadows the first and its children.
    const SHADOW: &[u8] = b"35 22 0:28 / /cvmfs rw - tmpfs over rw\n";

    #[test]
    fn parses_every_field() {
        let table = MountTable::parse(TABLE).unwrap();
        assert_eq!(table.len(), 6);
        let cms = &table.mounts()[2];
        assert_eq!(
            (cms.mount_id, cms.parent_id, cms.major, cms.minor),
            (31, 30, 0, 52)
        );
        assert!(cms.is_client_mount() && cms.is_read_only());
        assert_eq!(cms.propagation(), MountPropagation::Slave { master: 10 });
        let sft = &table.mounts()[3];
        assert_eq!(
            sft.propagation(),
            MountPropagation::SharedAndSlave {
                peer: 12,
                master: 10
            }
        );
        assert_eq!(sft.propagate_from, Some(10));
        let stacked = &table.mounts()[4];
        assert!(stacked.unbindable);
        assert_eq!(stacked.optional_fields, b"unbindable weird:tag");
        let odd = &table.mounts()[5];
        assert_eq!(&*odd.mount_point, b"/with space\ttab");
        assert_eq!(&*odd.root, b"/sub dir");
        assert_eq!(&*odd.source, b"");
        assert_eq!(odd.super_options, b"rw");
    }

    #[test]
    fn visibility_follows_ids_through_stacks_and_shadows() {
        let table = MountTable::parse(TABLE).unwrap();
        // sft.cern.ch has a mount stacked on it: the top one is visible.
        assert_eq!(
            table.visible_at(b"/cvmfs/sft.cern.ch").unwrap().mount_id,
            33
        );
        assert_eq!(
            table.visible_at(b"/cvmfs/cms.cern.ch").unwrap().mount_id,
            31
        );
        assert_eq!(
            table.serving(b"/cvmfs/cms.cern.ch/a/b").unwrap().mount_id,
            31
        );
        assert!(table.visible_at(b"/cvmfs/cms.cern.ch/a").is_none());
        let shadowed = [TABLE, SHADOW].concat();
        let table = MountTable::parse(&shadowed).unwrap();
        // A later tmpfs on /cvmfs (parent 22) hides 30 and everything below it.
        assert_eq!(table.visible_at(b"/cvmfs").unwrap().mount_id, 35);
        assert!(table.visible_at(b"/cvmfs/cms.cern.ch").is_none());
        assert_eq!(table.serving(b"/cvmfs/cms.cern.ch/x").unwrap().mount_id, 35);
        assert_eq!(table.serving(b"/etc/passwd").unwrap().mount_id, 22);
        assert!(table.is_mountpoint(b"/"));
    }

    #[test]
    fn unmount_order_is_deepest_first() {
        let shadowed = [TABLE, SHADOW].concat();
        let table = MountTable::parse(&shadowed).unwrap();
        let ids: Vec<u32> = table
            .mounts_under(b"/cvmfs")
            .iter()
            .map(|m| m.mount_id)
            .collect();
        assert_eq!(ids, [33, 32, 31, 35, 30]);
        assert!(table.mounts_under(b"/cvmf").is_empty());
    }

    #[test]
    fn malformed_lines_name_their_number() {
        for (text, line) in [
            (&b"22 1 252:1 / / rw - ext4 /dev/vda rw\nbroken\n"[..], 2),
            (b"x 1 252:1 / / rw - ext4 /dev/vda rw", 1),
            (b"22 1 2521 / / rw - ext4 /dev/vda rw", 1),
            (b"22 1 252:1 / / rw ext4 /dev/vda rw", 1),
            (b"\n\n22 1 252:1 / / rw shared:x - ext4 /dev/vda rw", 3),
            (b"22 1 252:1 / - ext4 a b", 1),
        ] {
            match MountTable::parse(text) {
                Err(MountinfoError { line: found, .. }) => assert_eq!(found, line),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(text)),
            }
        }
    }

    #[test]
    fn parent_cycles_terminate() {
        // Found by the fuzzer: two mounts at one mountpoint, each the other's parent.
        let text = b"1 0 0:1 / / rw - ext4 a rw\n5 6 0:5 / /cvmfs rw - tmpfs t rw\n6 5 0:6 / /cvmfs rw - tmpfs t rw\n";
        let table = MountTable::parse(text).unwrap();
        assert!(table.serving(b"/cvmfs/x").is_some());
        let cyclic_root = b"5 6 0:5 / / rw - tmpfs t rw\n6 5 0:6 / / rw - tmpfs t rw\n";
        let table = MountTable::parse(cyclic_root).unwrap();
        let _ = table.serving(b"/a");
    }

    #[test]
    fn non_utf8_paths_survive() {
        let text = b"40 1 0:9 / /data/\xff\xfe rw - tmpfs tmpfs rw\n";
        let table = MountTable::parse(text).unwrap();
        assert_eq!(&*table.mounts()[0].mount_point, b"/data/\xff\xfe");
        assert!(
            serde_json::to_string(&table)
                .unwrap()
                .contains("[47,100,97,116,97,47,255,254]")
        );
    }

    proptest! {
        /// Arbitrary escaped paths and sources parse back to the raw bytes.
        #[test]
        fn escaped_fields_round_trip(
            mount_point in proptest::collection::vec(any::<u8>(), 1..40),
            source in proptest::collection::vec(any::<u8>(), 0..20),
            tags in proptest::collection::vec("(shared|master|propagate_from):[0-9]{1,5}|unbindable|[a-z]{1,6}:[0-9]", 0..4),
        ) {
            let mut line = b"100 1 0:77 / ".to_vec();
            line.extend(encode(&mount_point));
            line.extend_from_slice(b" rw,relatime");
            for tag in &tags {
                line.push(b' ');
                line.extend_from_slice(tag.as_bytes());
            }
            line.extend_from_slice(b" - fuse ");
            line.extend(encode(&source));
            line.extend_from_slice(b" ro,allow_other");
            let parsed = crate::mountinfo::parse_line(&line, 1).unwrap();
            prop_assert_eq!(&*parsed.mount_point, &mount_point[..]);
            prop_assert_eq!(&*parsed.source, &source[..]);
            prop_assert_eq!(parsed.minor, 77);
            let mut buffer = line.clone();
            let in_place = crate::mountinfo::parse_line_in_place(&mut buffer, 1).unwrap();
            prop_assert_eq!(&in_place, &parsed);
            prop_assert!(matches!(in_place.mount_point, Cow::Borrowed(_)));
            prop_assert!(matches!(in_place.source, Cow::Borrowed(_)));
        }

        /// Both parsers agree on any text: the same mounts or the same error.
        #[test]
        fn parsing_in_place_agrees(lines in proptest::collection::vec(
            "[0-9]{1,3} [0-9]{1,3} [0-9]{1,2}:[0-9]{1,3} [/a\\\\0-7 ]{1,12} [/a-z\\\\0-7 ]{1,16} r[ow]( shared:[0-9x]| master:[0-9]| unbindable){0,2} -( [a-z\\\\0-7]{0,6}){2,3}",
            0..6,
        )) {
            let text = lines.join("\n").into_bytes();
            let copied = MountTable::parse(&text);
            let mut buffer = text.clone();
            let in_place = MountTable::parse_in_place(&mut buffer);
            prop_assert_eq!(format!("{copied:?}"), format!("{in_place:?}"));
        }

        #[test]
        fn arbitrary_bytes_never_panic(text in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(table) = MountTable::parse(&text) {
                let _ = table.serving(b"/cvmfs/cms.cern.ch");
                let _ = table.mounts_under(b"/");
            }
            let copied = format!("{:?}", MountTable::parse(&text));
            let mut buffer = text.clone();
            prop_assert_eq!(copied, format!("{:?}", MountTable::parse_in_place(&mut buffer)));
        }
    }
}
