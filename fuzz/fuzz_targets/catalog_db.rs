#![no_main]
//! Catalog databases from the network (after their hash check, a publisher could still
//! be hostile): opening, looking up, listing, nested rows and chunk lists never panic.

use std::sync::OnceLock;

use cvmfs_core::repository::hash::{ContentHash, HashAlgorithm};
use cvmfs_mount::repository::catalog_db::CatalogDb;
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("scratch directory"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    let hash = ContentHash::of(HashAlgorithm::Sha1, data);
    let Ok(db) = CatalogDb::open(data, scratch(), hash, "") else {
        return;
    };
    let _ = db.lookup("");
    if let Ok(rows) = db.children("") {
        for row in rows.iter().take(8) {
            let _ = db.chunks(&format!("/{}", row.name));
        }
    }
    let _ = db.nested();
    let _ = db.counters();
});
