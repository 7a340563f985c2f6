#![no_main]
//! Manifests and whitelists from the network: parsing never panics, an accepted manifest
//! renders back to its own body, and the envelope's body check is total.

use cvmfs_core::repository::manifest::Manifest;
use cvmfs_core::repository::whitelist::Whitelist;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((manifest, document)) = Manifest::parse(data) {
        let _ = document.check_body();
        // Rendering is total and parses again to the same manifest.
        let mut again = manifest.render_body().into_bytes();
        again.extend_from_slice(b"--\n0000000000000000000000000000000000000000\nx");
        let (reparsed, _) = Manifest::parse(&again).expect("a rendered manifest parses");
        assert_eq!(reparsed, manifest);
    }
    if let Ok((whitelist, document)) = Whitelist::parse(data) {
        let _ = document.check_body();
        let _ = whitelist.is_valid_at(1_800_000_000);
    }
});
