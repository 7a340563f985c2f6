//! Tests that really mount: FUSE, binds, propagation, faults and repair. They need root
//! and `/dev/fuse`, and run in a private mount namespace entered by `main` before any
//! thread exists, so no mount can leak to the machine; each test works only under a
//! temporary directory it created and detaches everything there when it ends.
//!
//! Without the privileges the tests are reported as ignored with the reason, unless
//! `CVMFS_REQUIRE_PRIVILEGED=1` (set by CI), which turns a skip into a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

mod entrypoint;
mod helper_backend;
mod mounts;
mod native;
mod repair;
mod sandbox;

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use nix::mount::MsFlags;
use nix::sched::CloneFlags;

type TestResult = Result<(), Failed>;

/// A named test.
type NamedTest = (&'static str, fn() -> TestResult);

/// Enters a private mount namespace; returns why the suite cannot run, if it cannot.
fn isolate() -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return Err("not root".to_owned());
    }
    if !Path::new("/dev/fuse").exists() {
        return Err("/dev/fuse is missing".to_owned());
    }
    nix::sched::unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("unshare(CLONE_NEWNS) failed: {e}"))?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| format!("making / rprivate failed: {e}"))
}

/// Gives the calling test thread a mount namespace of its own (a copy of the suite's
/// private one). `cargo test` runs every test on a thread of one process, and the mount
/// helper looks for a repository mounted anywhere in its namespace, as the real helper
/// does: without this, one test's mount of `cms.cern.ch` is "already mounted" for
/// another. Threads and children started by the test inherit its namespace.
fn isolate_thread() -> TestResult {
    nix::sched::unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("unshare(CLONE_NEWNS) for the test thread failed: {e}").into())
}

fn main() {
    if let Ok(dir) = std::env::var(entrypoint::ROLE) {
        std::process::exit(entrypoint::role(&dir));
    }
    let args = Arguments::from_args();
    let tests: Vec<NamedTest> = vec![
        (
            "snapshot_mounts_are_read_listed_and_look_like_the_client",
            mounts::snapshot_mounts_look_like_the_client,
        ),
        (
            "binds_with_each_propagation",
            mounts::binds_with_each_propagation,
        ),
        (
            "automounter_repositories_mounted_later_appear_in_the_consumer",
            mounts::automounter_scenario,
        ),
        (
            "host_bind_whole_root_rslave_receives_later_mounts",
            mounts::host_bind_whole_root_receives_later_mounts,
        ),
        (
            "host_bind_per_repository_checks_its_source",
            mounts::host_bind_per_repository_checks_its_source,
        ),
        (
            "symlink_attack_is_refused",
            mounts::symlink_attack_is_refused,
        ),
        (
            "partial_failure_leaves_the_others_mounted",
            mounts::partial_failure_leaves_the_others_mounted,
        ),
        (
            "unmount_removes_only_the_plans_mounts",
            mounts::unmount_removes_only_the_plans_mounts,
        ),
        (
            "killed_server_is_dead_then_repaired",
            repair::killed_server_is_dead_then_repaired,
        ),
        (
            "hung_server_probe_times_out_then_repaired",
            repair::hung_server_probe_times_out_then_repaired,
        ),
        (
            "isolated_probe_returns_on_a_hang_and_reaps_its_child",
            repair::isolated_probe_returns_on_a_hang_and_reaps_its_child,
        ),
        (
            "watch_loop_recovers_a_crash",
            repair::watch_loop_recovers_a_crash,
        ),
        (
            "nine_healthy_repositories_probe_healthy_well_within_the_timeout",
            repair::probe_latency_of_nine_repositories,
        ),
        (
            "io_errors_make_a_degraded_repository",
            repair::io_errors_make_a_degraded_repository,
        ),
        (
            "in_process_server_serves_and_unmounts",
            repair::in_process_server_serves_and_unmounts,
        ),
        (
            "helper_backend_mounts_config_repository_first",
            helper_backend::mounts_config_repository_first,
        ),
        (
            "helper_backend_failure_classes",
            helper_backend::failure_classes,
        ),
        (
            "entrypoint_watch_repairs_through_the_helper_without_losing_its_status",
            entrypoint::watch_repairs_through_the_helper_without_losing_its_status,
        ),
        (
            "helper_program_messages_and_exit_codes",
            helper_backend::program_messages_and_exit_codes,
        ),
        (
            "native_mount_shows_the_fixture_as_the_client_did",
            native::native_mount_shows_the_fixture_as_the_client_did,
        ),
        (
            "native_killed_and_hung_servers_are_repaired",
            native::native_killed_and_hung_servers_are_repaired,
        ),
        (
            "native_new_revision_appears_without_remount_and_open_files_keep_theirs",
            native::native_new_revision_appears_without_remount_and_open_files_keep_theirs,
        ),
        (
            "native_outage_cached_files_read_uncached_fail_then_recover_and_offline_mount",
            native::native_outage_cached_files_read_uncached_fail_then_recover_and_offline_mount,
        ),
        (
            "native_corrupted_object_is_eio_for_that_file_only",
            native::native_corrupted_object_is_eio_for_that_file_only,
        ),
        (
            "native_two_repositories_share_a_cache_that_fills_up",
            native::native_two_repositories_share_a_cache_that_fills_up,
        ),
    ];
    let blocked = if args.list { None } else { isolate().err() };
    let required = std::env::var("CVMFS_REQUIRE_PRIVILEGED").is_ok_and(|v| v == "1");
    if let Some(reason) = &blocked {
        eprintln!(
            "privileged suite cannot run: {reason}; {}",
            if required {
                "CVMFS_REQUIRE_PRIVILEGED=1, so every test fails"
            } else {
                "tests are ignored"
            }
        );
    }
    let trials = tests
        .into_iter()
        .map(|(name, test)| match &blocked {
            None => Trial::test(name, move || {
                isolate_thread()?;
                test()
            }),
            Some(reason) if required => {
                let reason = reason.clone();
                Trial::test(name, move || {
                    Err(format!("skipped, but required: {reason}").into())
                })
            }
            Some(_) => Trial::test(name, test).with_ignored_flag(true),
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
