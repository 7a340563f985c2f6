#![no_main]
//! Repository names: parse agrees with the problem list; accepted names re-parse.

use cvmfs_core::{Domain, Fqrn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert_eq!(Fqrn::parse(text).is_ok(), Fqrn::problems(text).is_empty());
    if let Ok(fqrn) = Fqrn::expand(text, &Domain::cern()) {
        assert_eq!(Fqrn::parse(fqrn.as_str()).ok().as_ref(), Some(&fqrn));
        assert!(fqrn.as_str().len() <= 60);
    }
});
