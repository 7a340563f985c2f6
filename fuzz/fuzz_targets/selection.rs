#![no_main]
//! `CVMFS_MOUNTS` parsing: never panics; accepted selections hold valid, unique names.

use cvmfs_core::{Catalog, Fqrn, Selection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(selection) = Selection::parse(Some(text), &Catalog::cms()) {
        let names = selection.repositories();
        for (i, fqrn) in names.iter().enumerate() {
            assert!(Fqrn::parse(fqrn.as_str()).is_ok());
            assert!(!names[..i].contains(fqrn));
        }
    }
});
