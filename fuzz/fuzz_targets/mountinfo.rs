#![no_main]
//! mountinfo text: parse errors carry a line number, never a panic; lookups are safe;
//! parsing in place gives exactly what the copying parser gives.

use cvmfs_core::MountTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buffer = data.to_vec();
    assert_eq!(
        format!("{:?}", MountTable::parse(data)),
        format!("{:?}", MountTable::parse_in_place(&mut buffer)),
    );
    if let Ok(table) = MountTable::parse(data) {
        let _ = table.serving(b"/cvmfs/cms.cern.ch/x");
        let under = table.mounts_under(b"/cvmfs");
        assert!(under.len() <= table.len());
        for mount in table.mounts() {
            let _ = (
                mount.propagation(),
                mount.is_client_mount(),
                mount.options().count(),
            );
        }
    }
});
