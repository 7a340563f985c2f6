#![no_main]
//! The environment file of a flat root filesystem (image-author text): reading it never
//! panics, every skipped statement names a line of the file, and what was read renders
//! back to a file that reads to the same variables.

use cvmfs_core::image::environment::{parse, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let env = parse(&text);
    let lines = text.split('\n').count();
    for skipped in &env.skipped {
        assert!(skipped.line >= 1 && skipped.line <= lines);
    }
    let again = parse(&render(&env.variables));
    assert!(again.skipped.is_empty(), "{:?}", again.skipped);
    assert_eq!(again.variables, env.variables);
});
