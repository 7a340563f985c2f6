#![no_main]
//! Plan documents read from JSON: anything accepted satisfies the invariants again.

use cvmfs_core::MountPlan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) = MountPlan::from_json(text) {
        assert!(plan.validate().is_ok());
        assert_eq!(MountPlan::from_json(&plan.to_json()).ok(), Some(plan));
    }
});
