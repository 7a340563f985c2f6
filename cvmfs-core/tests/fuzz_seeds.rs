//! The fuzz seeds are real inputs: the plan documents are accepted (so the fuzzer
//! exercises validation and the round trip from its first run) and the mountinfo tables
//! parse to non-empty tables. A format change that makes the seeds stale fails here.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use cvmfs_core::{MountPlan, MountTable};

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

#[test]
fn plan_document_seeds_are_valid_plans() {
    for (name, bytes) in seeds("plan_document") {
        let text = String::from_utf8(bytes).unwrap();
        let plan = MountPlan::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        plan.validate().unwrap();
        assert_eq!(
            MountPlan::from_json(&plan.to_json()).unwrap(),
            plan,
            "{name}"
        );
    }
}

#[test]
fn mountinfo_seeds_are_non_empty_tables() {
    for (name, bytes) in seeds("mountinfo") {
        let table = MountTable::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(table.len() >= 5, "{name}: {} mounts", table.len());
    }
}

#[test]
fn signed_document_seeds_are_the_real_manifest_and_whitelist() {
    use cvmfs_core::repository::manifest::Manifest;
    use cvmfs_core::repository::whitelist::Whitelist;
    let seeds = seeds("signed_documents");
    assert!(seeds.iter().any(|(_, b)| Manifest::parse(b).is_ok()));
    assert!(seeds.iter().any(|(_, b)| Whitelist::parse(b).is_ok()));
}

#[test]
fn catalog_row_seeds_decode() {
    use cvmfs_core::repository::catalog_row::decode_xattrs;
    use cvmfs_core::repository::hash::ContentHash;
    let seeds = seeds("catalog_row");
    assert!(seeds.iter().any(|(_, b)| decode_xattrs(b).is_ok()));
    assert!(
        seeds
            .iter()
            .any(|(_, b)| std::str::from_utf8(b).is_ok_and(|t| ContentHash::parse(t).is_ok()))
    );
}
