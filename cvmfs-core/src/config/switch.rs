//! On/off switches: YES/ON/1/TRUE and NO/OFF/0/FALSE, in any case.

/// Parameters the client reads as switches.
pub const SWITCHES: [&str; 12] = [
    "CVMFS_SHARED_CACHE",
    "CVMFS_STRICT_MOUNT",
    "CVMFS_CONFIG_REPO_REQUIRED",
    "CVMFS_SYSTEMD_NOKILL",
    "CVMFS_AUTO_UPDATE",
    "CVMFS_IGNORE_SIGNATURE",
    "CVMFS_USE_GEOAPI",
    "CVMFS_SEND_INFO_HEADER",
    "CVMFS_FOLLOW_REDIRECTS",
    "CVMFS_ENFORCE_ACLS",
    "CVMFS_HIDE_MAGIC_XATTRS",
    "CVMFS_NFS_SOURCE",
];

/// `Some(true)` for on, `Some(false)` for off, `None` for anything else.
///
/// ```
/// use cvmfs_core::config::parse_switch;
/// assert_eq!(parse_switch("Yes"), Some(true));
/// assert_eq!(parse_switch("0"), Some(false));
/// assert_eq!(parse_switch("maybe"), None);
/// ```
pub fn parse_switch(value: &str) -> Option<bool> {
    const ON: [&str; 4] = ["YES", "ON", "1", "TRUE"];
    const OFF: [&str; 4] = ["NO", "OFF", "0", "FALSE"];
    if ON.iter().any(|on| on.eq_ignore_ascii_case(value)) {
        Some(true)
    } else if OFF.iter().any(|off| off.eq_ignore_ascii_case(value)) {
        Some(false)
    } else {
        None
    }
}
