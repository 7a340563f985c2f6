//! Inputs shared by the benchmarks: generated tables shaped like real ones.

use std::fmt::Write;

/// A mountinfo table of `lines` lines: a root, a `/cvmfs` tmpfs, client-shaped FUSE
/// mounts with propagation tags, and one in eight paths with an escaped space.
pub fn generated_mountinfo(lines: usize) -> String {
    let mut text = String::with_capacity(lines * 150);
    text.push_str("22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro\n");
    text.push_str("23 22 0:26 / /cvmfs rw,relatime shared:2 - tmpfs tmpfs rw,size=65536k\n");
    for i in 2..lines {
        let id = i + 22;
        let space = if i % 8 == 0 { "\\040copy" } else { "" };
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "{id} 23 0:{minor} / /cvmfs/repo{i}{space}.cern.ch ro,nosuid,nodev,relatime master:2 - fuse cvmfs2 ro,user_id=0,group_id=0,default_permissions,allow_other",
            minor = 40 + i % 200
        );
    }
    text
}
