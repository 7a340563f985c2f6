//! `/etc/passwd` records: `name:password:uid:gid:gecos:home:shell`.

use serde::{Deserialize, Serialize};

use crate::remap::colon_file::{ColonRecord, fields, id_field};

/// One user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswdEntry {
    /// Login name.
    pub name: String,
    /// Password field (usually `x`).
    pub password: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Comment field.
    pub gecos: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

impl ColonRecord for PasswdEntry {
    fn parse(line: &str) -> Option<Self> {
        let [name, password, uid, gid, gecos, home, shell] = fields::<7>(line)?;
        if name.is_empty() || name.starts_with(['+', '-', '#']) {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            password: password.to_owned(),
            uid: id_field(uid)?,
            gid: id_field(gid)?,
            gecos: gecos.to_owned(),
            home: home.to_owned(),
            shell: shell.to_owned(),
        })
    }

    fn render(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}:{}:{}",
            self.name, self.password, self.uid, self.gid, self.gecos, self.home, self.shell
        )
    }

    fn name(&self) -> &str {
        &self.name
    }
}
