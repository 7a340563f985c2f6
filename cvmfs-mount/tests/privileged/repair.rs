//! Faults and recovery: a killed server (dead mount), a hung server, the watch loop, and
//! probe latency.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use cvmfs_core::Backend;
use cvmfs_mount::probe::Expectation;
use cvmfs_mount::{Engine, Health, Outcome, Status, StopSignal, watch};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::TestResult;
use crate::sandbox::{Sandbox, is_dead, wait_until};

fn pid_of(engine: &Engine, target: &Path, fqrn: &str) -> u32 {
    let expect = Expectation::Repository {
        fqrn: cvmfs_core::Fqrn::parse(fqrn).unwrap(),
    };
    let result =
        cvmfs_mount::probe::probe_one(engine.ops(), target, expect, Duration::from_secs(2))
            .unwrap();
    match result.health {
        Health::Healthy { pid: Some(pid), .. } => pid,
        other => panic!(
            "expected a healthy mount with a pid at {}, found {other}",
            target.display()
        ),
    }
}

/// Whether the repository at `target` does not answer within 100 ms.
fn hangs(engine: &Engine, target: &Path) -> bool {
    let expect = Expectation::Mountpoint;
    cvmfs_mount::probe::probe_one(engine.ops(), target, expect, Duration::from_millis(100))
        .is_ok_and(|r| matches!(r.health, Health::Hung { .. }))
}

fn signal(pid: u32, signal: Signal) {
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), signal).unwrap();
}

fn mounted(sandbox: &Sandbox, names: &[&str], selection: &str) -> (cvmfs_core::MountPlan, Engine) {
    sandbox.snapshots(names);
    let backend = Backend::Snapshot {
        source_dir: Some(sandbox.path("snap")),
    };
    let plan = sandbox.plan(selection, backend, "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(None));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    (plan, engine)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

pub fn killed_server_is_dead_then_repaired() -> TestResult {
    let sandbox = Sandbox::new();
    let (plan, engine) = mounted(&sandbox, &["cms.cern.ch", "sft.cern.ch"], "cms sft");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    let old = pid_of(&engine, &cms, "cms.cern.ch");
    signal(old, Signal::SIGKILL);
    wait_until(
        "the killed server's mount is dead",
        Duration::from_secs(5),
        || is_dead(&cms),
    );
    let probes = engine.probe(&plan)?;
    assert!(
        matches!(&probes[0].health, Health::Dead { error } if error.contains("not connected")),
        "{probes:?}"
    );
    assert!(probes[1].health.is_healthy());
    let report = engine.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:#?}");
    assert_eq!(
        report.entries[1].outcome,
        Outcome::Healthy,
        "healthy mounts are never touched"
    );
    assert!(report.entries[1].actions.is_empty());
    let new = pid_of(&engine, &cms, "cms.cern.ch");
    assert_ne!(old, new);
    assert_eq!(
        std::fs::read_to_string(cms.join("README"))?,
        "this is cms.cern.ch\n"
    );
    Ok(())
}

pub fn hung_server_probe_times_out_then_repaired() -> TestResult {
    let sandbox = Sandbox::new();
    let (plan, engine) = mounted(&sandbox, &["cms.cern.ch"], "cms");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    let old = pid_of(&engine, &cms, "cms.cern.ch");
    signal(old, Signal::SIGUSR1);
    wait_until("the server hangs", Duration::from_secs(5), || {
        hangs(&engine, &cms)
    });
    let started = Instant::now();
    let probes = engine.probe(&plan)?;
    let took = started.elapsed();
    println!(
        "probe of a hung repository returned after {took:?} (timeout {:?})",
        engine.options().probe_timeout
    );
    assert_eq!(
        probes[0].health,
        Health::Hung { after_ms: 1500 },
        "{probes:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "the probe must not block: {took:?}"
    );
    let report = engine.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:#?}");
    assert!(
        report.entries[0]
            .actions
            .iter()
            .any(|a| a.starts_with("aborted FUSE connection")),
        "{report:#?}"
    );
    assert_ne!(pid_of(&engine, &cms, "cms.cern.ch"), old);
    // The hung server notices its connection is gone and exits.
    let deadline = Instant::now() + Duration::from_secs(10);
    while kill(Pid::from_raw(i32::try_from(old)?), None).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the hung server {old} did not exit"
        );
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

pub fn watch_loop_recovers_a_crash() -> TestResult {
    let sandbox = Sandbox::new();
    let (plan, engine) = mounted(&sandbox, &["cms.cern.ch"], "cms");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    let stop = StopSignal::new();
    let watcher = {
        let (engine, plan, stop) = (engine.clone(), plan.clone(), stop.clone());
        thread::spawn(move || watch(&engine, &plan, Duration::from_secs(1), &stop, |_| {}))
    };
    let mut recoveries = Vec::new();
    for _ in 0..3 {
        let pid = pid_of(&engine, &cms, "cms.cern.ch");
        let crashed = Instant::now();
        signal(pid, Signal::SIGKILL);
        loop {
            let expect = Expectation::Repository {
                fqrn: cvmfs_core::Fqrn::parse("cms.cern.ch")?,
            };
            let now = cvmfs_mount::probe::probe_one(
                engine.ops(),
                &cms,
                expect,
                Duration::from_millis(500),
            )?;
            if matches!(now.health, Health::Healthy { pid: Some(p), .. } if p != pid) {
                break;
            }
            assert!(
                crashed.elapsed() < Duration::from_secs(20),
                "not repaired: {}",
                now.health
            );
            thread::sleep(Duration::from_millis(5));
        }
        recoveries.push(crashed.elapsed());
    }
    stop.stop();
    let rounds = watcher.join().unwrap();
    println!(
        "watch (1 s interval): crash to healthy {recoveries:?}, median {:?}, {rounds} rounds",
        median(recoveries.clone())
    );
    assert!(rounds >= 2);
    Ok(())
}

pub fn probe_latency_of_nine_repositories() -> TestResult {
    let sandbox = Sandbox::new();
    let (plan, engine) = mounted(&sandbox, &cvmfs_core::catalog::CMS_REPOSITORIES, "all");
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let probes = engine.probe(&plan)?;
        times.push(started.elapsed());
        assert_eq!(probes.len(), 9);
        assert!(probes.iter().all(|p| p.health.is_healthy()), "{probes:?}");
    }
    let mut sorted = times.clone();
    sorted.sort();
    // A generous bound (a probe is about a millisecond here; the figures themselves are
    // measured in benches/): a probe that waited for a timeout would take 1.5 s.
    assert!(
        sorted[sorted.len() / 2] < Duration::from_millis(300),
        "median probe {:?}",
        sorted[sorted.len() / 2]
    );
    println!(
        "probe of 9 healthy snapshot repositories: median {:?}, p90 {:?}, max {:?}",
        sorted[sorted.len() / 2],
        sorted[sorted.len() * 9 / 10],
        sorted[sorted.len() - 1]
    );
    Ok(())
}

pub fn io_errors_make_a_degraded_repository() -> TestResult {
    let sandbox = Sandbox::new();
    let (plan, engine) = mounted(&sandbox, &["cms.cern.ch"], "cms");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    signal(pid_of(&engine, &cms, "cms.cern.ch"), Signal::SIGUSR2);
    // Each new open reads through the server (the kernel caches no file content here).
    wait_until("reads fail with EIO", Duration::from_secs(5), || {
        std::fs::read(cms.join("sub/data.txt"))
            .is_err_and(|e| e.raw_os_error() == Some(nix::libc::EIO))
    });
    let probes = engine.probe(&plan)?;
    assert!(
        matches!(probes[0].health, Health::Degraded { io_errors, .. } if io_errors >= 1),
        "{probes:?}"
    );
    // By default a degraded mount is left (a remount breaks open files), and repair
    // says so instead of calling it healthy: the same verdict as check.
    let report = engine.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::LeftDegraded);
    assert_eq!(report.status(), cvmfs_mount::Status::Failed);
    assert!(report.entries[0].actions.is_empty());
    assert!(
        report.entries[0].warnings[0].contains("--remount-degraded"),
        "{report:?}"
    );
    // Asked to, repair remounts it: healthy again, reads work.
    let mut options = engine.options().clone();
    options.remount_degraded = true;
    let remounting = engine.clone().with_options(options);
    let report = remounting.repair(&plan);
    assert_eq!(report.entries[0].outcome, Outcome::Repaired, "{report:?}");
    assert!(remounting.probe(&plan)?[0].health.is_healthy());
    assert!(std::fs::read(cms.join("sub/data.txt")).is_ok());
    Ok(())
}

pub fn in_process_server_serves_and_unmounts() -> TestResult {
    use cvmfs_mount::directory_server::{ServerArgs, serve_in_process};
    use cvmfs_mount::sys::{LinuxOps, MountOps};
    let sandbox = Sandbox::new();
    let snaps = sandbox.snapshots(&["sft.cern.ch"]);
    let target = sandbox.path("inproc");
    std::fs::create_dir_all(&target)?;
    let server = serve_in_process(&ServerArgs {
        source: snaps.join("sft.cern.ch"),
        target: target.clone(),
        fqrn: "sft.cern.ch".to_owned(),
        revision: "9".to_owned(),
        latency_ms: 0,
        mount_delay_ms: 0,
        hang: false,
    })?;
    assert_eq!(
        std::fs::read_to_string(target.join("README"))?,
        "this is sft.cern.ch\n"
    );
    let seen = sandbox.seen(&target).unwrap();
    assert_eq!(
        (seen.fs_type.as_str(), seen.source.as_str()),
        ("fuse", "cvmfs2")
    );
    assert_eq!(LinuxOps.getxattr(&target, "user.revision")?, b"9");
    assert_eq!(
        LinuxOps.getxattr(&target, "user.pid")?,
        std::process::id().to_string().into_bytes()
    );
    server.unmount()?;
    assert!(sandbox.seen(&target).is_none());
    Ok(())
}

/// This process's children that have ended but were not reaped.
fn zombie_children() -> Vec<u32> {
    let mut zombies = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for pid in children.split_whitespace() {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The state follows the command name, which ends with the last ')'.
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            if state.is_some_and(|s| s.starts_with('Z')) {
                zombies.push(pid.parse().unwrap());
            }
        }
    }
    zombies
}

pub fn isolated_probe_returns_on_a_hang_and_reaps_its_child() -> TestResult {
    let sandbox = Sandbox::new();
    let (plan, engine) = mounted(&sandbox, &["cms.cern.ch"], "cms");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    let probes = engine.probe_isolated(&plan)?;
    assert!(probes[0].health.is_healthy(), "{probes:?}");
    assert_eq!(
        zombie_children(),
        Vec::<u32>::new(),
        "the probe child is reaped"
    );

    let server = pid_of(&engine, &cms, "cms.cern.ch");
    signal(server, Signal::SIGUSR1);
    let started = Instant::now();
    let probes = engine.probe_isolated(&plan)?;
    let took = started.elapsed();
    assert_eq!(
        probes[0].health,
        Health::Hung { after_ms: 1500 },
        "{probes:?}"
    );
    assert!(took < Duration::from_secs(3), "returned after {took:?}");
    // The child's probe thread stays blocked until the server answers; then it exits
    // and the background reaper collects it.
    signal(server, Signal::SIGUSR1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !zombie_children().is_empty() {
        assert!(Instant::now() < deadline, "probe child never reaped");
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(engine.unmount(&plan).status(), Status::Complete);
    Ok(())
}
