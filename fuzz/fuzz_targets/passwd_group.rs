#![no_main]
//! passwd/group content: byte-exact round trip and remaps that never panic.

use cvmfs_core::remap::{GroupFile, IdPolicy, IdRequest, PasswdFile, plan_remap};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert_eq!(PasswdFile::parse(text).render(), text);
    assert_eq!(GroupFile::parse(text).render(), text);
    let (passwd, group) = text.split_once("\n\n").unwrap_or((text, ""));
    if let Ok(request) =
        IdRequest::from_values(Some("4242"), Some("4243"), None, IdPolicy::default())
    {
        if let Ok(plan) = plan_remap(passwd, group, &request) {
            assert_eq!(
                PasswdFile::parse(&plan.passwd)
                    .find("cmsusr")
                    .map(|u| (u.uid, u.gid)),
                Some((4242, 4243))
            );
        }
    }
});
