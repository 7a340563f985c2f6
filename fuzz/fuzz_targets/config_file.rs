#![no_main]
//! Client configuration files, proxy lists and server URLs: never panic.

use cvmfs_core::Fqrn;
use cvmfs_core::config::{
    ConfigFiles, ResolveOptions, parse_file, parse_proxy_list, parse_server_urls, resolve,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_file(text);
    for assignment in &parsed.assignments {
        assert!(!assignment.key.is_empty() && !assignment.key.contains(char::is_whitespace));
    }
    let _ = parse_proxy_list(text);
    let _ = parse_server_urls(text);
    let mut files = ConfigFiles::new();
    files.insert("/etc/cvmfs/default.local".into(), text.to_owned());
    if let Ok(fqrn) = Fqrn::parse("cms.cern.ch") {
        let config = resolve(&fqrn, &files, &ResolveOptions::default());
        let _ = config.show();
    }
});
