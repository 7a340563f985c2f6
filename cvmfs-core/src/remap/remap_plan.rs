//! Computing new `/etc/passwd` and `/etc/group` contents for an id request, with the
//! anchor's semantics: an existing group with the requested gid becomes the user's
//! primary group; otherwise the user's own group gets the new gid; the uid is set even
//! when another user has it (like `usermod -o`).

use serde::{Deserialize, Serialize};

use crate::remap::RemapError;
use crate::remap::ids::IdRequest;
use crate::remap::{GroupEntry, GroupFile, PasswdFile};

/// One change the plan makes, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum RemapAction {
    /// The user's uid changes.
    SetUid {
        /// The user.
        user: String,
        /// Old uid.
        from: u32,
        /// New uid.
        to: u32,
        /// Other users that already have the new uid.
        shared_with: Vec<String>,
    },
    /// The user's primary group becomes an existing group.
    UseExistingGroup {
        /// The user.
        user: String,
        /// The existing group.
        group: String,
        /// Its gid.
        gid: u32,
    },
    /// The user's own group gets a new gid (and every user whose primary group it was).
    ChangeGroupGid {
        /// The group.
        group: String,
        /// Old gid.
        from: u32,
        /// New gid.
        to: u32,
        /// Users whose primary gid follows.
        users: Vec<String>,
    },
    /// The user had no own group: one is created with the requested gid.
    CreateGroup {
        /// The group.
        group: String,
        /// Its gid.
        gid: u32,
    },
}

/// The outcome of [`plan_remap`]: new file contents and what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemapPlan {
    /// The user.
    pub user: String,
    /// The home directory from passwd.
    pub home: String,
    /// Uid before.
    pub old_uid: u32,
    /// Uid after.
    pub new_uid: u32,
    /// Primary gid before.
    pub old_gid: u32,
    /// Primary gid after.
    pub new_gid: u32,
    /// New `/etc/passwd` content.
    pub passwd: String,
    /// New `/etc/group` content.
    pub group: String,
    /// Whether `passwd` differs from the input.
    pub passwd_changed: bool,
    /// Whether `group` differs from the input.
    pub group_changed: bool,
    /// The changes, in order.
    pub actions: Vec<RemapAction>,
    /// The anchor's lines for ids that were not specified.
    pub notices: Vec<String>,
}

impl RemapPlan {
    /// Whether anything changes.
    pub fn is_noop(&self) -> bool {
        !self.passwd_changed && !self.group_changed
    }

    /// The user's groups after the remap, for `setgroups`: the primary gid first, then
    /// every other group of the new `/etc/group` that lists the user as a member.
    pub fn group_ids(&self) -> Vec<u32> {
        let mut gids = vec![self.new_gid];
        gids.extend(
            GroupFile::parse(&self.group)
                .records()
                .filter(|g| g.member_names().any(|m| m == self.user))
                .map(|g| g.gid)
                .filter(|gid| *gid != self.new_gid),
        );
        gids
    }
}

/// Computes the remap of `request.user` in the given file contents.
///
/// ```
/// use cvmfs_core::remap::{IdPolicy, IdRequest, plan_remap};
/// let passwd = "root:x:0:0:root:/root:/bin/bash\ncmsusr:x:1000:1000::/home/cmsusr:/bin/bash\n";
/// let group = "root:x:0:\ncmsusr:x:1000:\nusers:x:100:\n";
/// let request = IdRequest::from_values(Some("4242"), Some("100"), None, IdPolicy::default()).unwrap();
/// let plan = plan_remap(passwd, group, &request).unwrap();
/// assert_eq!(plan.passwd, "root:x:0:0:root:/root:/bin/bash\ncmsusr:x:4242:100::/home/cmsusr:/bin/bash\n");
/// assert!(!plan.group_changed);
/// ```
pub fn plan_remap(passwd: &str, group: &str, request: &IdRequest) -> Result<RemapPlan, RemapError> {
    let mut users = PasswdFile::parse(passwd);
    let mut groups = GroupFile::parse(group);
    let user_name = request.user.as_str();
    let Some(user) = users.find(user_name).cloned() else {
        return Err(match users.malformed_line_for(user_name) {
            Some(line) => RemapError::MalformedAccountLine {
                file: "passwd",
                line,
                name: user_name.to_owned(),
            },
            None => RemapError::UnknownUser {
                user: user_name.to_owned(),
            },
        });
    };
    let mut actions = Vec::new();
    let mut notices = Vec::new();
    let new_uid = request.uid.unwrap_or(user.uid);
    let new_gid = request.gid.unwrap_or(user.gid);
    if request.uid.is_none() {
        notices.push(format!(
            "MY_UID variable not specified, defaulting to {user_name} user id ({})",
            user.uid
        ));
    }
    if request.gid.is_none() {
        notices.push(format!(
            "MY_GID variable not specified, defaulting to {user_name} group id ({})",
            user.gid
        ));
    }

    if new_gid != user.gid {
        if let Some(existing) = groups.records().find(|g| g.gid == new_gid) {
            actions.push(RemapAction::UseExistingGroup {
                user: user_name.to_owned(),
                group: existing.name.clone(),
                gid: new_gid,
            });
            users.update(|u| set_if(u.name == user_name, &mut u.gid, new_gid));
        } else if let Some(own) = groups.find(user_name).cloned() {
            let mut followers = Vec::new();
            users.update(|u| {
                let follows = u.name == user_name || u.gid == own.gid;
                if follows {
                    followers.push(u.name.clone());
                }
                set_if(follows, &mut u.gid, new_gid)
            });
            groups.update(|g| set_if(g.name == user_name, &mut g.gid, new_gid));
            actions.push(RemapAction::ChangeGroupGid {
                group: own.name,
                from: own.gid,
                to: new_gid,
                users: followers,
            });
        } else if let Some(line) = groups.malformed_line_for(user_name) {
            return Err(RemapError::MalformedAccountLine {
                file: "group",
                line,
                name: user_name.to_owned(),
            });
        } else {
            groups.append(GroupEntry {
                name: user_name.to_owned(),
                password: "x".to_owned(),
                gid: new_gid,
                members: String::new(),
            });
            users.update(|u| set_if(u.name == user_name, &mut u.gid, new_gid));
            actions.push(RemapAction::CreateGroup {
                group: user_name.to_owned(),
                gid: new_gid,
            });
        }
    }

    if new_uid != user.uid {
        let shared_with = users
            .records()
            .filter(|u| u.uid == new_uid && u.name != user_name)
            .map(|u| u.name.clone())
            .collect();
        users.update(|u| set_if(u.name == user_name, &mut u.uid, new_uid));
        actions.push(RemapAction::SetUid {
            user: user_name.to_owned(),
            from: user.uid,
            to: new_uid,
            shared_with,
        });
    }

    let new_passwd = users.render();
    let new_group = groups.render();
    Ok(RemapPlan {
        user: user_name.to_owned(),
        home: user.home,
        old_uid: user.uid,
        new_uid,
        old_gid: user.gid,
        new_gid,
        passwd_changed: new_passwd != passwd,
        group_changed: new_group != group,
        passwd: new_passwd,
        group: new_group,
        actions,
        notices,
    })
}

/// Sets `slot` to `value` when `condition` holds and it differs; reports a change.
fn set_if(condition: bool, slot: &mut u32, value: u32) -> bool {
    if condition && *slot != value {
        *slot = value;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remap::IdPolicy;
    use crate::remap::colon_file::ColonRecord;
    use crate::remap::{GroupEntry, PasswdEntry};
    use proptest::prelude::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n# a comment\n+::::::\ncmsusr:x:1000:1000:CMS user:/home/cmsusr:/bin/bash\nhelper:x:1001:1000::/home/helper:/bin/sh\nbroken line\n";
    const GROUP: &str = "root:x:0:\nusers:x:100:alice,bob\ncmsusr:x:1000:\n";

    fn request(uid: Option<&str>, gid: Option<&str>) -> IdRequest {
        IdRequest::from_values(uid, gid, None, IdPolicy::default()).unwrap()
    }

    #[test]
    fn unspecified_ids_change_nothing_and_print_the_anchor_notices() {
        let plan = plan_remap(PASSWD, GROUP, &request(None, None)).unwrap();
        assert!(plan.is_noop());
        assert_eq!(plan.passwd, PASSWD);
        assert_eq!(
            plan.notices,
            [
                "MY_UID variable not specified, defaulting to cmsusr user id (1000)",
                "MY_GID variable not specified, defaulting to cmsusr group id (1000)"
            ]
        );
    }

    #[test]
    fn existing_group_becomes_the_primary_group() {
        let plan = plan_remap(PASSWD, GROUP, &request(Some("501"), Some("100"))).unwrap();
        assert_eq!(
            plan.passwd,
            PASSWD.replace("cmsusr:x:1000:1000:", "cmsusr:x:501:100:")
        );
        assert!(!plan.group_changed);
        assert!(
            matches!(&plan.actions[0], RemapAction::UseExistingGroup { group, .. } if group == "users")
        );
    }

    #[test]
    fn own_group_gets_the_new_gid_and_its_members_follow() {
        let plan = plan_remap(PASSWD, GROUP, &request(None, Some("2000"))).unwrap();
        assert_eq!(
            plan.group,
            GROUP.replace("cmsusr:x:1000:", "cmsusr:x:2000:")
        );
        let expected = PASSWD
            .replace("cmsusr:x:1000:1000:", "cmsusr:x:1000:2000:")
            .replace("helper:x:1001:1000:", "helper:x:1001:2000:");
        assert_eq!(plan.passwd, expected);
        assert!(
            matches!(&plan.actions[0], RemapAction::ChangeGroupGid { users, .. } if users == &["cmsusr", "helper"])
        );
    }

    #[test]
    fn group_ids_list_the_primary_group_then_memberships() {
        let group = "root:x:0:\nusers:x:100:alice,cmsusr\nwheel:x:10:cmsusr\ncmsusr:x:1000:\n";
        let plan = plan_remap(PASSWD, group, &request(Some("501"), Some("4343"))).unwrap();
        assert_eq!(plan.group_ids(), [4343, 100, 10]);
        let plan = plan_remap(PASSWD, group, &request(None, Some("100"))).unwrap();
        assert_eq!(plan.group_ids(), [100, 10]);
    }

    #[test]
    fn missing_own_group_is_created() {
        let group = "root:x:0:"; // no final newline
        let plan = plan_remap(PASSWD, group, &request(None, Some("3000"))).unwrap();
        assert_eq!(plan.group, "root:x:0:\ncmsusr:x:3000:\n");
    }

    #[test]
    fn duplicate_uid_is_allowed_and_reported() {
        let plan = plan_remap(PASSWD, GROUP, &request(Some("1001"), None)).unwrap();
        assert!(
            matches!(&plan.actions[0], RemapAction::SetUid { shared_with, .. } if shared_with == &["helper"])
        );
    }

    #[test]
    fn unknown_and_malformed_users_are_errors() {
        let missing =
            IdRequest::from_values(Some("5"), None, Some("nobody2"), IdPolicy::default()).unwrap();
        assert!(matches!(
            plan_remap(PASSWD, GROUP, &missing),
            Err(RemapError::UnknownUser { .. })
        ));
        let broken = "cmsusr:x:abc:1000::/home/cmsusr:/bin/bash\n";
        assert!(matches!(
            plan_remap(broken, GROUP, &request(Some("5"), None)),
            Err(RemapError::MalformedAccountLine {
                file: "passwd",
                line: 1,
                ..
            })
        ));
    }

    fn line_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}:x:[0-9]{1,6}:[0-9]{1,6}:[ -9;-~]{0,10}:/[a-z/]{0,10}:/bin/[a-z]{1,5}",
            "[a-z]{1,8}:x:[0-9]{1,6}:[a-z,]{0,12}",
            "[ -~]{0,30}",
            Just(String::new()),
        ]
    }

    proptest! {
        /// Parsing and rendering any content gives it back byte for byte.
        #[test]
        fn files_round_trip_byte_exact(lines in proptest::collection::vec(line_strategy(), 0..12), final_newline in any::<bool>()) {
            let mut content = lines.join("\n");
            if final_newline && !content.is_empty() {
                content.push('\n');
            }
            prop_assert_eq!(PasswdFile::parse(&content).render(), content.clone());
            prop_assert_eq!(GroupFile::parse(&content).render(), content);
        }

        /// Records render to what they parse from.
        #[test]
        fn records_round_trip(uid in any::<u32>(), gid in any::<u32>(), name in "[a-z_][a-z0-9_-]{0,10}") {
            let line = format!("{name}:x:{uid}:{gid}:gecos:/home/{name}:/bin/bash");
            prop_assert_eq!(PasswdEntry::parse(&line).unwrap().render(), line);
            let line = format!("{name}:x:{gid}:a,b");
            prop_assert_eq!(GroupEntry::parse(&line).unwrap().render(), line);
        }

        /// A remap changes only the lines it must, and applies the requested ids.
        #[test]
        fn remap_touches_only_what_it_must(uid in 1u32..70000, gid in 1u32..70000) {
            prop_assume!(uid != 65534 && gid != 65534);
            let plan = plan_remap(PASSWD, GROUP, &request(Some(&uid.to_string()), Some(&gid.to_string()))).unwrap();
            let users = PasswdFile::parse(&plan.passwd);
            let me = users.find("cmsusr").unwrap();
            prop_assert_eq!((me.uid, me.gid), (uid, gid));
            let before: Vec<&str> = PASSWD.lines().collect();
            let after: Vec<&str> = plan.passwd.lines().collect();
            for (old, new) in before.iter().zip(&after) {
                if !old.starts_with("cmsusr:") && !old.starts_with("helper:") {
                    prop_assert_eq!(old, new);
                }
            }
            prop_assert!(GroupFile::parse(&plan.group).records().any(|g| g.gid == gid));
        }
    }
}
