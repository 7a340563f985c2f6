#![no_main]
//! Image specifications and recipes: parsing, checking and linting never panic, and
//! whatever parses with nothing absorbed renders back to text that parses to the same
//! parts.

use cvmfs_core::image::recipe::lint;
use cvmfs_core::image::spec::{Absorbed, check, parse};
use cvmfs_core::image::wildcard::Pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = check(text);
    // The same bytes as a whole recipe.
    let _ = lint(text);
    if let Ok((spec, absorbed)) = parse(text) {
        if absorbed == Absorbed::default() {
            let again = parse(&spec.to_string()).expect("a rendered specification parses");
            assert_eq!(again.0, spec);
        }
        if let Some(tag) = &spec.tag {
            let pattern = Pattern::new(tag);
            let _ = pattern.matches(tag);
            let _ = pattern.glob_matches(tag);
        }
    }
});
