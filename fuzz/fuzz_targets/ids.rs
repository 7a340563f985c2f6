#![no_main]
//! MY_UID / MY_GID values and id maps: never panic; accepted ids are in range.

use cvmfs_core::remap::{IdPolicy, IdRequest, parse_id_map, render_id_map};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (uid, gid) = text.split_once(',').unwrap_or((text, ""));
    if let Ok(request) = IdRequest::from_values(Some(uid), Some(gid), None, IdPolicy::default()) {
        for id in [request.uid, request.gid].into_iter().flatten() {
            assert!(id != 0 && id != 65534 && id != u32::MAX);
        }
    }
    if let Ok(map) = parse_id_map(text) {
        if let Ok(rendered) = render_id_map(&map) {
            assert_eq!(parse_id_map(&rendered).ok(), Some(map));
        }
    }
});
