#![no_main]
//! Catalog columns from a downloaded catalog: xattr blobs and hash strings never panic,
//! and what decodes encodes back to the same entries (the blob's order is free).

use cvmfs_core::repository::catalog_row::{decode_xattrs, encode_xattrs, expand_symlink};
use cvmfs_core::repository::hash::ContentHash;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(xattrs) = decode_xattrs(data) {
        let encoded = encode_xattrs(&xattrs).expect("decoded entries fit the blob");
        assert_eq!(decode_xattrs(&encoded).ok(), Some(xattrs));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(hash) = ContentHash::parse(text) {
            assert_eq!(hash.to_string(), text);
        }
        let _ = expand_symlink(text, |name| (name.len() % 2 == 0).then(|| name.to_owned()));
    }
});
