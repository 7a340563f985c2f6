//! The client's magic extended attributes (`user.fqrn`, `user.revision`, ...), answered
//! on every path of a mount from what the tree reports ([`RepositoryStatus`]).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::fuse::tree::RepositoryStatus;

/// The attribute names, in the order `listxattr` gives them.
pub const NAMES: [&str; 21] = [
    "user.fqrn",
    "user.revision",
    "user.root_hash",
    "user.expires",
    "user.version",
    "user.pid",
    "user.uptime",
    "user.host",
    "user.host_list",
    "user.proxy",
    "user.timeout",
    "user.nioerr",
    "user.timestamp_last_ioerr",
    "user.usedfd",
    "user.maxfd",
    "user.nclg",
    "user.ndownload",
    "user.hitrate",
    "user.rx",
    "user.speed",
    "user.logbuffer",
];

/// The value of attribute `name` for a server started at `started`, or `None` for a
/// name the client does not have.
pub fn value(name: &str, status: &RepositoryStatus, started: SystemTime) -> Option<String> {
    let uptime_min = SystemTime::now()
        .duration_since(started)
        .unwrap_or_default()
        .as_secs()
        / 60;
    Some(match name {
        "user.fqrn" => status.fqrn.clone(),
        "user.revision" => status.revision.clone(),
        "user.root_hash" => status.root_hash.clone(),
        "user.expires" => status.expires_min.to_string(),
        "user.version" => status.version.clone(),
        "user.pid" => std::process::id().to_string(),
        "user.uptime" => uptime_min.to_string(),
        "user.host" => status.host.clone(),
        "user.host_list" => status.host_list.clone(),
        "user.proxy" => status.proxy.clone(),
        "user.timeout" => status.timeout_secs.to_string(),
        "user.nioerr" => status.io_errors.to_string(),
        "user.timestamp_last_ioerr" => status.last_io_error.to_string(),
        "user.usedfd" => "0".to_owned(),
        "user.maxfd" => "131072".to_owned(),
        "user.nclg" => status.catalogs.to_string(),
        "user.ndownload" => status.downloads.to_string(),
        "user.hitrate" => format!(
            "{}.{:03}",
            status.hit_rate_milli / 1000,
            status.hit_rate_milli % 1000
        ),
        "user.rx" => status.received_kib.to_string(),
        "user.speed" => "0".to_owned(),
        "user.logbuffer" => status.log_buffer.clone(),
        _ => return None,
    })
}

/// Unix minutes now plus `minutes`: an expiry as `user.expires` shows it.
pub fn minutes_from_now(minutes: u64) -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / 60
        + minutes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_has_a_value_and_others_have_none() {
        let status = RepositoryStatus {
            fqrn: "cms.cern.ch".into(),
            revision: "7".into(),
            root_hash: "ab".into(),
            version: "test".into(),
            host: "file:///srv".into(),
            host_list: "file:///srv".into(),
            proxy: "DIRECT".into(),
            expires_min: 1,
            io_errors: 3,
            last_io_error: 0,
            catalogs: 1,
            received_kib: 0,
            downloads: 0,
            hit_rate_milli: 100_000,
            timeout_secs: 5,
            log_buffer: String::new(),
        };
        for name in NAMES {
            assert!(value(name, &status, SystemTime::now()).is_some(), "{name}");
        }
        assert_eq!(
            value("user.nioerr", &status, SystemTime::now()).as_deref(),
            Some("3")
        );
        assert_eq!(value("user.other", &status, SystemTime::now()), None);
    }
}
