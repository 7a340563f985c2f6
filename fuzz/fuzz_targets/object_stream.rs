#![no_main]
//! A downloaded object through the streaming verifier, in pieces of any size: never a
//! panic; what it accepts is exactly what a one-shot zlib decoder gives for a complete
//! stream, and a copy whose hash does not match is refused.

use std::io::Read;

use cvmfs_core::repository::catalog_row::Compression;
use cvmfs_core::repository::hash::{ContentHash, HashAlgorithm};
use cvmfs_mount::repository::object::{ExpectedSize, VerifyingSink};
use cvmfs_mount::repository::source::ObjectSink;
use libfuzzer_sys::fuzz_target;

const CAP: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&piece, object)) = data.split_first() else {
        return;
    };
    let piece = usize::from(piece) + 1;
    let hash = ContentHash::of(HashAlgorithm::Sha1, object);
    let mut sink = VerifyingSink::new(
        hash,
        Compression::Zlib,
        ExpectedSize::AtMost(CAP),
        Vec::new(),
    );
    sink.restart().expect("memory");
    for chunk in object.chunks(piece) {
        sink.write(chunk).expect("memory");
    }
    assert!(sink.finish().is_ok(), "the right hash is accepted");
    let accepted = sink.outcome().is_ok();
    let streamed = sink.into_output();
    let mut decoder = flate2::read::ZlibDecoder::new(object);
    let mut whole = Vec::new();
    let one_shot = (&mut decoder).take(CAP + 1).read_to_end(&mut whole);
    if accepted {
        assert!(one_shot.is_ok());
        assert_eq!(streamed, whole);
        assert_eq!(
            decoder.total_in(),
            object.len() as u64,
            "no trailing bytes accepted"
        );
    }
    let other = ContentHash::of(HashAlgorithm::Sha1, b"another object");
    if other != hash {
        let mut wrong = VerifyingSink::new(
            other,
            Compression::Zlib,
            ExpectedSize::AtMost(CAP),
            Vec::new(),
        );
        wrong.write(object).expect("memory");
        assert!(wrong.finish().is_err(), "a wrong hash is refused");
    }
});
