//! Real mounts: snapshot, binds, propagation, the automounter pattern, safety.

use std::fs;
use std::os::unix::fs::symlink;
use std::time::Duration;

use cvmfs_core::{Backend, PlanOptions, Propagation};
use cvmfs_mount::sys::{LinuxOps, MountOps, ServerSpawn, ServerStart};
use cvmfs_mount::{Health, Outcome, Status};

use crate::TestResult;
use crate::sandbox::{SERVER, Sandbox};

fn snapshot_backend(sandbox: &Sandbox) -> Backend {
    Backend::Snapshot {
        source_dir: Some(sandbox.path("snap")),
    }
}

/// Starts a snapshot server directly (as an automounter or a host would mount).
fn serve(source: &std::path::Path, target: &std::path::Path, fqrn: &str) -> u32 {
    fs::create_dir_all(target).unwrap();
    let spawn = ServerSpawn {
        program: SERVER.into(),
        args: vec![
            "--source".into(),
            source.as_os_str().to_owned(),
            "--target".into(),
            target.as_os_str().to_owned(),
            "--fqrn".into(),
            fqrn.into(),
        ],
        ready_timeout: Duration::from_secs(10),
    };
    match LinuxOps.spawn_server(&spawn).unwrap() {
        ServerStart::Ready { pid, .. } => pid,
        other => panic!("server did not start: {other:?}"),
    }
}

pub fn snapshot_mounts_look_like_the_client() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cms.cern.ch", "sft.cern.ch"]);
    let plan = sandbox.plan("cms sft", snapshot_backend(&sandbox), "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    assert_eq!(
        fs::read_to_string(cms.join("README"))?,
        "this is cms.cern.ch\n"
    );
    assert_eq!(
        fs::read_to_string(cms.join("link"))?,
        "this is cms.cern.ch\n"
    );
    assert_eq!(fs::read(cms.join("sub/data.txt"))?, b"0123456789");
    let mut names: Vec<String> = fs::read_dir(&cms)?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["README", "link", "sub"]);
    let seen = sandbox.seen(&cms).unwrap();
    assert_eq!(
        (seen.fs_type.as_str(), seen.source.as_str(), seen.read_only),
        ("fuse", "cvmfs2", true)
    );
    assert_eq!(
        LinuxOps.getxattr(&cms.join("sub/data.txt"), "user.fqrn")?,
        b"cms.cern.ch"
    );
    assert!(
        fs::write(cms.join("new"), b"x").is_err(),
        "the snapshot must be read-only"
    );
    // Mounting again changes nothing.
    let again = engine.mount(&plan);
    assert!(
        again
            .entries
            .iter()
            .all(|e| e.outcome == Outcome::AlreadyMounted),
        "{again:#?}"
    );
    let report = engine.unmount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    assert!(sandbox.seen(&cms).is_none());
    Ok(())
}

pub fn binds_with_each_propagation() -> TestResult {
    let sandbox = Sandbox::new();
    let source = sandbox.path("export/cms.cern.ch");
    sandbox.make_shared(&source);
    fs::write(source.join("file"), b"exported")?;
    for propagation in Propagation::ALL {
        let options = PlanOptions {
            root: sandbox.path("cvmfs"),
            propagation: Some(propagation),
            read_only: true,
            ..PlanOptions::default()
        };
        let backend = Backend::HostBind {
            source_root: Some(sandbox.path("export")),
            plain_source: true,
        };
        let plan = sandbox.plan_with("cms", backend, options);
        let engine = sandbox.engine(&plan, &sandbox.settings(None));
        let report = engine.mount(&plan);
        assert_eq!(
            report.status(),
            Status::Complete,
            "{propagation}: {report:#?}"
        );
        let target = sandbox.path("cvmfs/cms.cern.ch");
        let seen = sandbox.seen(&target).unwrap();
        let expected = match propagation {
            Propagation::Private | Propagation::RPrivate => (false, false, false),
            Propagation::Slave | Propagation::RSlave => (false, true, false),
            Propagation::Shared | Propagation::RShared => (true, false, false),
            Propagation::Unbindable | Propagation::RUnbindable => (false, false, true),
        };
        assert_eq!(
            (seen.shared, seen.slave, seen.unbindable),
            expected,
            "{propagation}: {seen:?}"
        );
        assert!(seen.read_only, "{propagation}");
        assert_eq!(fs::read(target.join("file"))?, b"exported");
        assert_eq!(engine.unmount(&plan).status(), Status::Complete);
    }
    Ok(())
}

pub fn automounter_scenario() -> TestResult {
    let sandbox = Sandbox::new();
    let snaps = sandbox.snapshots(&["cms.cern.ch", "sft.cern.ch"]);
    let publish = sandbox.path("shared-mounts");
    sandbox.make_shared(&publish);
    fs::create_dir_all(publish.join("cvmfs"))?;
    let backend = Backend::AutomounterSlave {
        shared_dir: publish.join("cvmfs"),
    };
    let plan = sandbox.plan("cms", backend, "consumer/cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    // The automounter mounts cms only after the consumer has bound the directory.
    let publisher = {
        let (snaps, publish) = (snaps.clone(), publish.clone());
        let consumer = sandbox.path("consumer/cvmfs");
        std::thread::spawn(move || {
            crate::sandbox::wait_until("the consumer's bind", Duration::from_secs(10), || {
                consumer_bound(&consumer)
            });
            serve(
                &snaps.join("cms.cern.ch"),
                &publish.join("cvmfs/cms.cern.ch"),
                "cms.cern.ch",
            )
        })
    };
    let report = engine.mount(&plan);
    publisher.join().unwrap();
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let consumer = sandbox.path("consumer/cvmfs");
    let seen = sandbox.seen(&consumer).unwrap();
    assert!(
        seen.slave && !seen.shared,
        "the consumer must be a slave: {seen:?}"
    );
    assert_eq!(
        fs::read_to_string(consumer.join("cms.cern.ch/README"))?,
        "this is cms.cern.ch\n"
    );
    // A repository mounted later on the publishing side appears in the consumer.
    serve(
        &snaps.join("sft.cern.ch"),
        &publish.join("cvmfs/sft.cern.ch"),
        "sft.cern.ch",
    );
    assert_eq!(
        fs::read_to_string(consumer.join("sft.cern.ch/README"))?,
        "this is sft.cern.ch\n"
    );
    // And nothing mounted in the consumer travels back to the publisher.
    fs::create_dir_all(consumer.join("local"))?;
    nix::mount::mount(
        Some("none"),
        &consumer.join("local"),
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )?;
    assert!(sandbox.seen(&publish.join("cvmfs/local")).is_none());
    Ok(())
}

pub fn host_bind_whole_root_receives_later_mounts() -> TestResult {
    let sandbox = Sandbox::new();
    let snaps = sandbox.snapshots(&["cms.cern.ch", "sft.cern.ch"]);
    let host = sandbox.path("host-cvmfs");
    sandbox.make_shared(&host);
    serve(
        &snaps.join("cms.cern.ch"),
        &host.join("cms.cern.ch"),
        "cms.cern.ch",
    );
    let backend = Backend::HostBind {
        source_root: Some(host.clone()),
        plain_source: false,
    };
    let plan = sandbox.plan_with(
        "cms",
        backend,
        PlanOptions {
            root: sandbox.path("cvmfs"),
            whole_root: Some(true),
            ..PlanOptions::default()
        },
    );
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    assert!(
        engine.preflight(&plan).is_empty(),
        "{:?}",
        engine.preflight(&plan)
    );
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let root = sandbox.path("cvmfs");
    assert!(sandbox.seen(&root).unwrap().slave);
    assert_eq!(
        sandbox.seen(&root.join("cms.cern.ch")).unwrap().source,
        "cvmfs2"
    );
    // Mounted on the host afterwards (autofs would do this on access): arrives here.
    serve(
        &snaps.join("sft.cern.ch"),
        &host.join("sft.cern.ch"),
        "sft.cern.ch",
    );
    assert_eq!(
        fs::read_to_string(root.join("sft.cern.ch/README"))?,
        "this is sft.cern.ch\n"
    );
    let probes = engine.probe(&plan)?;
    assert!(probes[0].health.is_healthy(), "{probes:?}");
    Ok(())
}

pub fn host_bind_per_repository_checks_its_source() -> TestResult {
    let sandbox = Sandbox::new();
    let snaps = sandbox.snapshots(&["cms.cern.ch"]);
    let host = sandbox.path("host-cvmfs");
    fs::create_dir_all(host.join("sft.cern.ch"))?;
    serve(
        &snaps.join("cms.cern.ch"),
        &host.join("cms.cern.ch"),
        "cms.cern.ch",
    );
    let backend = Backend::HostBind {
        source_root: Some(host.clone()),
        plain_source: false,
    };
    let plan = sandbox.plan_with(
        "cms sft",
        backend,
        PlanOptions {
            root: sandbox.path("cvmfs"),
            read_only: true,
            ..PlanOptions::default()
        },
    );
    // The host's "client mount" here is our snapshot stand-in: host-bind tells it from
    // the client by its user.version, refuses it and leaves nothing mounted.
    let refused = sandbox.engine(&plan, &sandbox.settings(None)).mount(&plan);
    let error = refused.entries[0].error.as_ref().unwrap();
    assert_eq!(error.kind, "served-by-stand-in", "{refused:#?}");
    assert!(error.message.contains("not the CVMFS client"), "{error:?}");
    assert!(sandbox.seen(&sandbox.path("cvmfs/cms.cern.ch")).is_none());
    // Accepting the stand-in (as the remaining tests of binding do) binds it.
    let mut settings = sandbox.settings(None);
    settings.host_bind_accepts_stand_in = true;
    let engine = sandbox.engine(&plan, &settings);
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Partial, "{report:#?}");
    assert_eq!(report.entries[0].outcome, Outcome::Mounted);
    let seen = sandbox.seen(&sandbox.path("cvmfs/cms.cern.ch")).unwrap();
    assert_eq!(
        (seen.fs_type.as_str(), seen.source.as_str()),
        ("fuse", "cvmfs2")
    );
    assert_eq!(
        report.entries[1].error.as_ref().unwrap().kind,
        "source-not-client-mount"
    );
    assert!(sandbox.seen(&sandbox.path("cvmfs/sft.cern.ch")).is_none());
    Ok(())
}

pub fn symlink_attack_is_refused() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cms.cern.ch"]);
    let victim = sandbox.path("etc");
    fs::create_dir_all(&victim)?;
    fs::write(victim.join("passwd"), b"root:x:0:0::/root:/bin/sh\n")?;
    fs::create_dir_all(sandbox.path("cvmfs"))?;
    symlink(&victim, sandbox.path("cvmfs/cms.cern.ch"))?;
    let plan = sandbox.plan("cms", snapshot_backend(&sandbox), "cvmfs");
    let report = sandbox.engine(&plan, &sandbox.settings(None)).mount(&plan);
    assert_eq!(
        report.entries[0].error.as_ref().unwrap().kind,
        "symlink-in-path",
        "{report:#?}"
    );
    assert!(
        sandbox.mounts_below().is_empty(),
        "nothing may be mounted: {:?}",
        sandbox.mounts_below()
    );
    assert_eq!(
        fs::read(victim.join("passwd"))?,
        b"root:x:0:0::/root:/bin/sh\n"
    );
    Ok(())
}

pub fn partial_failure_leaves_the_others_mounted() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cms.cern.ch", "sft.cern.ch"]);
    let plan = sandbox.plan("cms atlas sft", snapshot_backend(&sandbox), "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Partial, "{report:#?}");
    let outcomes: Vec<Outcome> = report.entries.iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Mounted, Outcome::Failed, Outcome::Mounted]
    );
    let probes = engine.probe(&plan)?;
    assert!(
        probes[0].health.is_healthy() && probes[2].health.is_healthy(),
        "{probes:?}"
    );
    assert_eq!(probes[1].health, Health::NotMounted);
    Ok(())
}

pub fn unmount_removes_only_the_plans_mounts() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cms.cern.ch"]);
    let plan = sandbox.plan("cms sft", snapshot_backend(&sandbox), "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    engine.mount(&plan);
    // Someone else's tmpfs where sft.cern.ch would be, and one outside the plan.
    for dir in ["cvmfs/sft.cern.ch", "cvmfs/other"] {
        let path = sandbox.path(dir);
        fs::create_dir_all(&path)?;
        nix::mount::mount(
            Some("none"),
            &path,
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )?;
    }
    let report = engine.unmount(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Unmounted, "{report:#?}");
    assert_eq!(
        report.entries[1].error.as_ref().unwrap().kind,
        "not-in-plan"
    );
    assert!(sandbox.seen(&sandbox.path("cvmfs/sft.cern.ch")).is_some());
    assert!(sandbox.seen(&sandbox.path("cvmfs/other")).is_some());
    assert!(sandbox.seen(&sandbox.path("cvmfs/cms.cern.ch")).is_none());
    Ok(())
}

/// Whether something is mounted at `path` (read on the calling thread's table).
fn consumer_bound(path: &std::path::Path) -> bool {
    let text = std::fs::read("/proc/thread-self/mountinfo").unwrap_or_default();
    cvmfs_core::MountTable::parse(&text).is_ok_and(|table| {
        use std::os::unix::ffi::OsStrExt;
        table
            .mounts()
            .iter()
            .any(|m| &*m.mount_point == path.as_os_str().as_bytes())
    })
}
