use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cvmfs_core::{Backend, Catalog, MountPlan, PlanOptions, Propagation, Selection};
use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};

use super::*;
use crate::backend::{
    AutomounterBackend, HelperBackend, HostBindBackend, SnapshotBackend, SnapshotSettings,
};
use crate::report::Status;
use crate::sys::{FakeCall, FakeHealth, FakeOps, FakeResponse, Op};

fn plan(selection: &str, backend: Backend, options: &PlanOptions) -> MountPlan {
    let catalog = Catalog::cms();
    let selection = Selection::parse(Some(selection), &catalog).unwrap();
    MountPlan::build(&selection, &catalog, backend, options).unwrap()
}

/// A plan of `selection` served from snapshots under `/srv/snap`, default options.
fn snapshot_plan(selection: &str) -> MountPlan {
    let backend = Backend::Snapshot {
        source_dir: Some(p("/srv/snap")),
    };
    plan(selection, backend, &PlanOptions::default())
}

fn options() -> EngineOptions {
    EngineOptions {
        probe_timeout: Duration::from_millis(300),
        verify_wait: Duration::from_millis(200),
        backoff: Duration::from_millis(1),
        ..EngineOptions::default()
    }
}

fn engine(
    fake: &Arc<FakeOps>,
    backend: impl MountBackend + 'static,
    options: EngineOptions,
) -> Engine {
    let ops: Arc<dyn MountOps> = fake.clone();
    Engine::new(ops, Arc::new(backend), options)
}

fn snapshot_backend() -> SnapshotBackend {
    SnapshotBackend {
        settings: SnapshotSettings::new("/usr/libexec/snapshot-server"),
    }
}

fn mount_calls(fake: &FakeOps) -> Vec<(Option<PathBuf>, PathBuf, MsFlags)> {
    fake.calls()
        .into_iter()
        .filter_map(|call| match call {
            FakeCall::Mount {
                source,
                target,
                flags,
                ..
            } => Some((source, target, flags)),
            _ => None,
        })
        .collect()
}

fn p(path: &str) -> PathBuf {
    PathBuf::from(path)
}

#[test]
fn bind_then_propagation_alone_then_read_only_remount() {
    let fake = Arc::new(FakeOps::new());
    fake.add_client_mount("/host/cvmfs/cms.cern.ch", "cms.cern.ch");
    let plan_options = PlanOptions {
        read_only: true,
        propagation: Some(Propagation::Slave),
        ..PlanOptions::default()
    };
    let plan = plan(
        "cms",
        Backend::HostBind {
            source_root: Some(p("/host/cvmfs")),
            plain_source: false,
        },
        &plan_options,
    );
    let report = engine(&fake, HostBindBackend::default(), options()).mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    assert_eq!(
        mount_calls(&fake),
        [
            (
                Some(p("/host/cvmfs/cms.cern.ch")),
                p("/cvmfs/cms.cern.ch"),
                MsFlags::MS_BIND
            ),
            (None, p("/cvmfs/cms.cern.ch"), MsFlags::MS_SLAVE),
            (
                None,
                p("/cvmfs/cms.cern.ch"),
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY
            ),
        ]
    );
    assert!(fake.mount_at("/cvmfs/cms.cern.ch").unwrap().read_only);
}

#[test]
fn nothing_is_done_when_the_target_is_already_a_healthy_mount() {
    let fake = Arc::new(FakeOps::new());
    fake.add_client_mount("/cvmfs/cms.cern.ch", "cms.cern.ch");
    let plan = snapshot_plan("cms");
    let report = engine(&fake, snapshot_backend(), options()).mount(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::AlreadyMounted);
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
}

#[test]
fn snapshot_mount_spawns_one_server_per_repository_in_parallel_after_checks() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    fake.add_dir("/srv/snap/sft.cern.ch");
    let plan = snapshot_plan("cms sft atlas");
    let report = engine(&fake, snapshot_backend(), options()).mount(&plan);
    assert_eq!(report.status(), Status::Partial);
    assert_eq!(fake.count(Op::SpawnServer), 2);
    let atlas = report.entry(&p("/cvmfs/atlas.cern.ch")).unwrap();
    assert_eq!(
        atlas.error.as_ref().unwrap().kind,
        "snapshot-source-missing"
    );
    // The failure left the others mounted and healthy.
    assert!(fake.mount_at("/cvmfs/cms.cern.ch").is_some());
    assert!(fake.mount_at("/cvmfs/sft.cern.ch").is_some());
}

#[test]
fn helper_mounts_the_config_repository_first_and_its_failure_is_a_warning() {
    let fake = Arc::new(FakeOps::new());
    fake.script(
        "cvmfs-config.cern.ch",
        vec![FakeResponse::failure(
            32,
            "Failed to initialize root file catalog (16 - file catalog failure)",
        )],
    );
    let plan = plan("cms sft", Backend::Cvmfs2Helper, &PlanOptions::default());
    let report = engine(&fake, HelperBackend::default(), options()).mount(&plan);
    let first = fake
        .calls()
        .into_iter()
        .find(|c| matches!(c, FakeCall::RunProgram { .. }))
        .unwrap();
    assert!(
        matches!(first, FakeCall::RunProgram { args, .. } if args[0] == "cvmfs-config.cern.ch")
    );
    assert_eq!(report.entries[0].outcome, Outcome::Failed);
    assert!(
        report.entries[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("client code 16 file catalog")
    );
    assert!(
        report.entries[0]
            .warnings
            .iter()
            .any(|w| w.contains("optional"))
    );
    assert_eq!(report.entries[1].outcome, Outcome::Mounted);
    assert_eq!(report.entries[2].outcome, Outcome::Mounted);
    assert_eq!(report.status(), Status::Partial);
}

#[test]
fn a_required_config_repository_failure_skips_the_others() {
    let fake = Arc::new(FakeOps::new());
    fake.script(
        "cvmfs-config.cern.ch",
        vec![FakeResponse::failure(1, "CVMFS_HTTP_PROXY required")],
    );
    let plan = plan("cms", Backend::Cvmfs2Helper, &PlanOptions::default());
    let engine_options = EngineOptions {
        config_repo_required: true,
        ..options()
    };
    let report = engine(&fake, HelperBackend::default(), engine_options).mount(&plan);
    assert_eq!(report.entries[1].outcome, Outcome::Skipped);
    assert_eq!(fake.count(Op::RunProgram), 1);
    assert_eq!(report.status(), Status::Failed);
}

#[test]
fn a_failing_propagation_call_rolls_back_that_entry_only() {
    let fake = Arc::new(FakeOps::new());
    fake.add_client_mount("/host/cvmfs/cms.cern.ch", "cms.cern.ch");
    fake.add_client_mount("/host/cvmfs/sft.cern.ch", "sft.cern.ch");
    let plan_options = PlanOptions {
        propagation: Some(Propagation::Slave),
        ..PlanOptions::default()
    };
    let plan = plan(
        "cms sft",
        Backend::HostBind {
            source_root: Some(p("/host/cvmfs")),
            plain_source: false,
        },
        &plan_options,
    );
    // The propagation step of sft.cern.ch fails, whatever order the entries run in.
    fake.fail_at(
        Op::Mount,
        "/cvmfs/sft.cern.ch",
        MsFlags::MS_SLAVE,
        Errno::EPERM,
    );
    let report = engine(&fake, HostBindBackend::default(), options()).mount(&plan);
    assert_eq!(report.status(), Status::Partial, "{report:#?}");
    let cms = report.entry(&p("/cvmfs/cms.cern.ch")).unwrap();
    let sft = report.entry(&p("/cvmfs/sft.cern.ch")).unwrap();
    assert_eq!(cms.outcome, Outcome::Mounted);
    assert!(fake.mount_at("/cvmfs/cms.cern.ch").is_some());
    assert_eq!(sft.outcome, Outcome::Failed);
    assert_eq!(sft.error.as_ref().unwrap().kind, "set-propagation");
    assert!(
        sft.actions.iter().any(|a| a.starts_with("rolled back")),
        "{sft:#?}"
    );
    assert!(fake.mount_at("/cvmfs/sft.cern.ch").is_none());
}

#[test]
fn a_failed_verify_rolls_back_that_entry_only() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    fake.add_dir("/srv/snap/sft.cern.ch");
    // The server for sft.cern.ch answers as another repository: verification fails.
    fake.script(
        "sft.cern.ch",
        vec![FakeResponse {
            answers_as: Some("atlas.cern.ch".to_owned()),
            ..FakeResponse::mounted()
        }],
    );
    let plan = snapshot_plan("cms sft");
    let report = engine(&fake, snapshot_backend(), options()).mount(&plan);
    assert_eq!(report.status(), Status::Partial, "{report:#?}");
    let sft = report.entry(&p("/cvmfs/sft.cern.ch")).unwrap();
    assert_eq!(
        sft.error.as_ref().unwrap().kind,
        "verify-failed",
        "{sft:#?}"
    );
    assert!(
        sft.actions.iter().any(|a| a.starts_with("rolled back")),
        "{sft:#?}"
    );
    assert!(fake.mount_at("/cvmfs/sft.cern.ch").is_none());
    assert!(fake.mount_at("/cvmfs/cms.cern.ch").is_some());
}

#[test]
fn a_failed_preparation_mounts_nothing_and_reports_every_entry() {
    let fake = Arc::new(FakeOps::new());
    let helper = HelperBackend {
        settings: crate::backend::HelperSettings {
            write_default_local: Some(cvmfs_core::config::ClientProfile::cms()),
            // A file where the configuration directory should be: writing fails.
            config_dir: p("/proc/self/status/cvmfs"),
            ..crate::backend::HelperSettings::default()
        },
    };
    let plan = plan("cms sft", Backend::Cvmfs2Helper, &PlanOptions::default());
    let report = engine(&fake, helper, options()).mount(&plan);
    assert_eq!(report.status(), Status::Failed, "{report:#?}");
    assert!(report.entries.iter().all(|e| e.outcome == Outcome::Failed
        && e.error.as_ref().is_some_and(|err| err.kind == "write-file")));
    assert!(
        fake.mounts().len() == 1,
        "only / is mounted: {:?}",
        fake.mounts()
    );
    assert_eq!(fake.count(Op::RunProgram), 0);
}

#[test]
fn a_planted_symlink_is_refused_and_nothing_is_mounted() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    fake.add_dir("/cvmfs");
    fake.add_symlink("/cvmfs/cms.cern.ch");
    let plan = snapshot_plan("cms");
    let report = engine(&fake, snapshot_backend(), options()).mount(&plan);
    assert_eq!(
        report.entries[0].error.as_ref().unwrap().kind,
        "symlink-in-path"
    );
    assert_eq!(fake.count(Op::SpawnServer), 0);
}

#[test]
fn non_empty_mountpoints_are_refused_unless_allowed() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    fake.add_files_in("/cvmfs/cms.cern.ch");
    let plan = snapshot_plan("cms");
    let report = engine(&fake, snapshot_backend(), options()).mount(&plan);
    assert_eq!(
        report.entries[0].error.as_ref().unwrap().kind,
        "mountpoint-not-empty"
    );
    let allowed = EngineOptions {
        allow_non_empty: true,
        ..options()
    };
    let report = engine(&fake, snapshot_backend(), allowed).mount(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Mounted);
}

#[test]
fn automounter_binds_recursively_then_rslave_and_waits_for_repositories() {
    let fake = Arc::new(FakeOps::new());
    fake.add_shared_dir("/shared-mounts");
    fake.add_dir("/shared-mounts/cvmfs");
    fake.add_client_mount("/shared-mounts/cvmfs/cms.cern.ch", "cms.cern.ch");
    let plan = plan(
        "cms",
        Backend::AutomounterSlave {
            shared_dir: p("/shared-mounts/cvmfs"),
        },
        &PlanOptions::default(),
    );
    let report = engine(&fake, AutomounterBackend, options()).mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    assert_eq!(
        mount_calls(&fake),
        [
            (
                Some(p("/shared-mounts/cvmfs")),
                p("/cvmfs"),
                MsFlags::MS_BIND | MsFlags::MS_REC
            ),
            (None, p("/cvmfs"), MsFlags::MS_SLAVE | MsFlags::MS_REC),
        ]
    );
}

#[test]
fn automounter_refuses_a_directory_that_is_not_shared() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/shared-mounts/cvmfs");
    let plan = plan(
        "cms",
        Backend::AutomounterSlave {
            shared_dir: p("/shared-mounts/cvmfs"),
        },
        &PlanOptions::default(),
    );
    let engine = engine(&fake, AutomounterBackend, options());
    let needs = engine.preflight(&plan);
    assert!(
        needs[0]
            .problem
            .contains("mount --make-rshared /shared-mounts/cvmfs"),
        "{needs:?}"
    );
    let report = engine.mount(&plan);
    assert_eq!(
        report.entries[0].error.as_ref().unwrap().kind,
        "source-not-shared"
    );
    assert!(mount_calls(&fake).is_empty());
}

#[test]
fn repair_detaches_dead_aborts_hung_and_leaves_healthy_alone() {
    let fake = Arc::new(FakeOps::new());
    for name in ["cms.cern.ch", "sft.cern.ch", "ilc.desy.de"] {
        fake.add_dir(format!("/srv/snap/{name}"));
    }
    let plan = snapshot_plan("cms sft ilc");
    let engine = engine(&fake, snapshot_backend(), options());
    assert_eq!(engine.mount(&plan).status(), Status::Complete);
    let hung_minor = fake.mount_at("/cvmfs/sft.cern.ch").unwrap().minor;
    fake.set_health("/cvmfs/cms.cern.ch", FakeHealth::Dead);
    fake.set_health(
        "/cvmfs/sft.cern.ch",
        FakeHealth::Hung(Duration::from_secs(5)),
    );
    let before = fake.calls().len();
    let report = engine.repair(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let outcomes: Vec<Outcome> = report.entries.iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Repaired, Outcome::Repaired, Outcome::Healthy]
    );
    let calls = &fake.calls()[before..];
    let detach = |t: &str| FakeCall::Umount {
        target: p(t),
        flags: MntFlags::MNT_DETACH,
    };
    assert!(calls.contains(&detach("/cvmfs/cms.cern.ch")));
    assert!(calls.contains(&FakeCall::Abort(hung_minor)));
    let abort_at = calls
        .iter()
        .position(|c| c == &FakeCall::Abort(hung_minor))
        .unwrap();
    let detach_at = calls
        .iter()
        .position(|c| c == &detach("/cvmfs/sft.cern.ch"))
        .unwrap();
    assert!(abort_at < detach_at, "abort first, then detach: {calls:?}");
    // The healthy repository was never touched.
    assert!(
        !calls
            .iter()
            .any(|c| format!("{c:?}").contains("ilc.desy.de"))
    );
    assert!(
        engine
            .probe(&plan)
            .unwrap()
            .iter()
            .all(|r| r.health.is_healthy())
    );
}

#[test]
fn repair_treats_an_already_unmounted_dead_mount_like_a_missing_one() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    let plan = snapshot_plan("cms");
    let engine = engine(&fake, snapshot_backend(), options());
    engine.mount(&plan);
    fake.set_health("/cvmfs/cms.cern.ch", FakeHealth::Dead);
    // The watchdog unmounts between our probe and our unmount: EINVAL.
    fake.fail_nth(Op::Umount, 1, Errno::EINVAL);
    let report = engine.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:#?}");
    assert!(
        report.entries[0]
            .actions
            .iter()
            .any(|a| a.contains("already unmounted"))
    );
}

#[test]
fn repair_retries_with_backoff_and_reports_every_attempt() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    let plan = snapshot_plan("cms");
    fake.script(
        "cms.cern.ch",
        vec![
            FakeResponse::failure(1, "busy"),
            FakeResponse::failure(1, "busy"),
            FakeResponse::mounted(),
        ],
    );
    let report = engine(&fake, snapshot_backend(), options()).repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:#?}");
    assert_eq!(fake.count(Op::SpawnServer), 3);
    assert_eq!(
        report.entries[0]
            .actions
            .iter()
            .filter(|a| a.contains("failed"))
            .count(),
        2
    );
}

#[test]
fn unmount_goes_in_reverse_and_leaves_foreign_mounts_alone() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    let plan = snapshot_plan("cms sft");
    let engine = engine(&fake, snapshot_backend(), options());
    engine.mount(&plan);
    // Someone else's tmpfs sits where sft.cern.ch would be.
    fake.add_shared_dir("/cvmfs/sft.cern.ch");
    let report = engine.unmount(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Unmounted);
    assert_eq!(report.entries[1].outcome, Outcome::Failed);
    assert_eq!(
        report.entries[1].error.as_ref().unwrap().kind,
        "not-in-plan"
    );
    assert!(fake.mount_at("/cvmfs/sft.cern.ch").is_some());
    assert!(fake.mount_at("/cvmfs/cms.cern.ch").is_none());
}

#[test]
fn watch_repairs_each_round_and_stops_when_asked() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    let plan = snapshot_plan("cms");
    let engine = engine(&fake, snapshot_backend(), options());
    let stop = crate::watch::StopSignal::new();
    let mut outcomes = Vec::new();
    let rounds = crate::watch::watch(&engine, &plan, Duration::from_millis(1), &stop, |report| {
        outcomes.push(report.entries[0].outcome);
        match outcomes.len() {
            2 => fake.set_health("/cvmfs/cms.cern.ch", FakeHealth::Dead),
            4 => stop.stop(),
            _ => {}
        }
    });
    assert_eq!(rounds, 4);
    assert_eq!(
        outcomes,
        [
            Outcome::Repaired,
            Outcome::Healthy,
            Outcome::Repaired,
            Outcome::Healthy
        ]
    );
}

#[test]
fn preflight_judges_the_facts_the_system_calls_report() {
    let fake = Arc::new(FakeOps::new());
    let helper = HelperBackend::default();
    let cms = plan("cms", Backend::Cvmfs2Helper, &PlanOptions::default());
    // The fake's default host: root with a usable /dev/fuse, but no client installed.
    let needs = engine(&fake, helper.clone(), options()).preflight(&cms);
    let problems: Vec<&str> = needs.iter().map(|r| r.problem.as_str()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("mount.cvmfs is missing")),
        "{problems:#?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("not running as root")),
        "{problems:#?}"
    );
    fake.set_host_facts(crate::host_facts::HostFacts {
        executables: vec![p("/sbin/mount.cvmfs"), p("/usr/bin/cvmfs2")],
        nofile_hard: Some(1024),
        ..crate::host_facts::HostFacts::default()
    });
    let needs = engine(&fake, helper, options()).preflight(&cms);
    let problems: Vec<&str> = needs.iter().map(|r| r.problem.as_str()).collect();
    assert!(
        problems.iter().any(|p| p.contains("not running as root")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("Fuse not loaded")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("CVMFS_NFILES=131072")),
        "{problems:#?}"
    );
    assert!(
        !problems
            .iter()
            .any(|p| p.contains("mount.cvmfs") || p.contains("/usr/bin/cvmfs2")),
        "{problems:#?}"
    );
    let snapshot = engine(&fake, snapshot_backend(), options()).preflight(&snapshot_plan("cms"));
    let problems: Vec<&str> = snapshot.iter().map(|r| r.problem.as_str()).collect();
    assert!(
        problems.contains(&"/dev/fuse does not exist"),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("fusermount3 is missing")),
        "{problems:#?}"
    );
}

/// The unmount calls recorded, in order, with whether each was lazy.
fn umount_calls(fake: &FakeOps) -> Vec<(PathBuf, bool)> {
    fake.calls()
        .into_iter()
        .filter_map(|call| match call {
            FakeCall::Umount { target, flags } => {
                Some((target, flags.contains(MntFlags::MNT_DETACH)))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_fake_kernel_refuses_to_unmount_a_parent_before_its_children() {
    let fake = FakeOps::new();
    fake.add_client_mount("/cvmfs/cms.cern.ch", "cms.cern.ch");
    fake.add_client_mount("/cvmfs/cms.cern.ch/sft", "sft.cern.ch");
    assert_eq!(
        fake.umount(Path::new("/cvmfs/cms.cern.ch"), MntFlags::empty()),
        Err(Errno::EBUSY)
    );
    assert!(fake.mount_at("/cvmfs/cms.cern.ch/sft").is_some());
}

#[test]
fn nested_targets_unmount_children_first_without_lazy_fallback() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    fake.add_dir("/srv/snap/sft.cern.ch");
    let mut targets = std::collections::BTreeMap::new();
    targets.insert(
        cvmfs_core::Fqrn::parse("sft.cern.ch").unwrap(),
        p("/cvmfs/cms.cern.ch/sft"),
    );
    let nested = plan(
        "cms sft",
        Backend::Snapshot {
            source_dir: Some(p("/srv/snap")),
        },
        &PlanOptions {
            targets,
            ..PlanOptions::default()
        },
    );
    let engine = engine(&fake, snapshot_backend(), options());
    assert_eq!(engine.mount(&nested).status(), Status::Complete);
    let report = engine.unmount(&nested);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    assert_eq!(
        umount_calls(&fake),
        [
            (p("/cvmfs/cms.cern.ch/sft"), false),
            (p("/cvmfs/cms.cern.ch"), false)
        ],
        "the child first, and no busy parent detached lazily"
    );
}

#[test]
fn a_helper_plan_unmounts_the_configuration_repository_last() {
    let fake = Arc::new(FakeOps::new());
    let helper = plan("cms sft", Backend::Cvmfs2Helper, &PlanOptions::default());
    for target in helper.entries().iter().map(|e| e.target().to_owned()) {
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        fake.add_client_mount(&target, &name);
    }
    let engine = engine(&fake, HelperBackend::default(), options());
    let report = engine.unmount(&helper);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let order: Vec<PathBuf> = umount_calls(&fake).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        order,
        [
            p("/cvmfs/sft.cern.ch"),
            p("/cvmfs/cms.cern.ch"),
            p("/cvmfs/cvmfs-config.cern.ch")
        ]
    );
}

/// Issue 11, defect 2: undoing a mount removes the mountpoint directories it created,
/// and only those; what was there before stays.
#[test]
fn undo_removes_the_directories_the_mount_created() {
    let fake = Arc::new(FakeOps::new());
    fake.add_dir("/srv/snap/cms.cern.ch");
    fake.add_dir("/srv/snap/sft.cern.ch");
    fake.add_dir("/data");
    fake.add_dir("/data/cvmfs");
    fake.add_dir("/data/cvmfs/sft.cern.ch");
    let layout = PlanOptions {
        root: p("/data/cvmfs"),
        ..PlanOptions::default()
    };
    let backend = Backend::Snapshot {
        source_dir: Some(p("/srv/snap")),
    };
    let plan = plan("cms sft", backend, &layout);
    let engine = engine(&fake, snapshot_backend(), options());
    let mounted = engine.mount(&plan);
    assert_eq!(mounted.status(), Status::Complete, "{mounted:?}");
    assert_eq!(
        mounted.entries[0].created_dirs,
        [p("/data/cvmfs/cms.cern.ch")]
    );
    assert!(mounted.entries[1].created_dirs.is_empty());
    let undone = engine.undo_mount(&plan, &mounted);
    assert_eq!(undone.status(), Status::Complete, "{undone:?}");
    assert_eq!(
        fake.lstat(Path::new("/data/cvmfs/cms.cern.ch")),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fake.lstat(Path::new("/data/cvmfs/sft.cern.ch")),
        Ok(crate::sys::PathKind::Directory)
    );
    assert!(
        undone.entries[0]
            .actions
            .iter()
            .any(|a| a.contains("removed the directory /data/cvmfs/cms.cern.ch"))
    );
}
