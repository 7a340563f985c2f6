//! `/etc/group` records: `name:password:gid:member,member`.

use serde::{Deserialize, Serialize};

use crate::remap::colon_file::{ColonRecord, fields, id_field};

/// One group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    /// Group name.
    pub name: String,
    /// Password field (usually `x`).
    pub password: String,
    /// Group id.
    pub gid: u32,
    /// Supplementary members, as written (comma-separated in the file).
    pub members: String,
}

impl GroupEntry {
    /// The member names.
    pub fn member_names(&self) -> impl Iterator<Item = &str> {
        self.members.split(',').filter(|m| !m.is_empty())
    }
}

impl ColonRecord for GroupEntry {
    fn parse(line: &str) -> Option<Self> {
        let [name, password, gid, members] = fields::<4>(line)?;
        if name.is_empty() || name.starts_with(['+', '-', '#']) {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            password: password.to_owned(),
            gid: id_field(gid)?,
            members: members.to_owned(),
        })
    }

    fn render(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.name, self.password, self.gid, self.members
        )
    }

    fn name(&self) -> &str {
        &self.name
    }
}
