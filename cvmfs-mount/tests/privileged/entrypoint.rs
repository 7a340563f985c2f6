//! The entrypoint sequence with background repair through the mount helper. The test
//! runs the sequence in a child process (this test binary again, in the "entrypoint
//! role"), so its supervision of children cannot touch the test harness's own; the
//! parent kills the repository's server again and again and reads what the watch did.

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cvmfs_core::remap::{IdPolicy, IdRequest};
use cvmfs_core::{Backend, MountPlan};
use cvmfs_mount::container::entrypoint::{EntrypointConfig, EntrypointEvent, run_entrypoint};
use cvmfs_mount::{Engine, EngineOptions};

use crate::TestResult;
use crate::helper_backend::helper_with;
use crate::sandbox::Sandbox;

/// The variable that puts this binary in the entrypoint role; its value is the sandbox.
pub const ROLE: &str = "CVMFS_TEST_ENTRYPOINT_ROLE";

/// The entrypoint role: runs the sequence for the plan and helper the test wrote into
/// `dir`, printing one `EVENT` line per event; returns the exit status.
pub fn role(dir: &str) -> i32 {
    let dir = std::path::Path::new(dir);
    let plan = MountPlan::from_json(&fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    let wrapper = dir.join("bin-watch/mount.cvmfs");
    let mut settings = crate::sandbox::settings_for(dir, Some(&wrapper));
    settings.helper.timeout = Duration::from_secs(30);
    let options = EngineOptions {
        probe_timeout: Duration::from_millis(1500),
        backoff: Duration::from_millis(50),
        ..EngineOptions::default()
    };
    let engine = Engine::for_host(&plan, &settings, options);
    let config = EntrypointConfig {
        etc: dir.join("etc"),
        ids: IdRequest::from_values(
            Some("4242"),
            Some("4343"),
            Some("cmsusr"),
            IdPolicy::default(),
        )
        .unwrap(),
        plan,
        command: vec!["sleep".into(), "60".into()],
        watch: Some(Duration::from_millis(100)),
        shell_profile: None,
    };
    let say = |event: EntrypointEvent| {
        let line = match event {
            EntrypointEvent::Checked { results, .. } => format!(
                "checked healthy={}",
                results.iter().all(|r| r.health.is_healthy())
            ),
            EntrypointEvent::Repaired(report) => {
                let entries: Vec<String> = report
                    .entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{}={} [{}]",
                            e.name(),
                            e.outcome.name(),
                            e.actions.join(" | ")
                        )
                    })
                    .collect();
                format!("repaired {}", entries.join(" ; "))
            }
            other => format!("{other:?}").chars().take(60).collect(),
        };
        println!("EVENT {line}");
    };
    run_entrypoint(&engine, &config, &say).unwrap_or(126)
}

pub fn watch_repairs_through_the_helper_without_losing_its_status() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cvmfs-config.cern.ch", "cms.cern.ch"]);
    helper_with(&sandbox, "watch", "");
    let plan = sandbox.plan("cms", Backend::Cvmfs2Helper, "cvmfs");
    fs::write(sandbox.path("plan.json"), plan.to_json())?;
    fs::create_dir_all(sandbox.path("etc"))?;
    fs::create_dir_all(sandbox.path("home/cmsusr"))?;
    fs::write(
        sandbox.path("etc/passwd"),
        format!(
            "root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000::{}:/bin/sh\n",
            sandbox.path("home/cmsusr").display()
        ),
    )?;
    fs::write(sandbox.path("etc/group"), "root:x:0:\ncmsusr:x:1000:\n")?;
    let mut child = Command::new(std::env::current_exe()?)
        .env(ROLE, sandbox.path(""))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let (sender, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let wait_for = |prefix: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => panic!("no line starting with {prefix:?} within 20 s"),
            }
        }
    };
    assert_eq!(wait_for("EVENT checked"), "EVENT checked healthy=true");
    let cms = sandbox.path("cvmfs/cms.cern.ch");
    for round in 0..10 {
        let pid = crate::helper_backend::server_pid(&cms);
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        )?;
        let line = wait_for("EVENT repaired");
        assert!(
            line.contains("cms.cern.ch=repaired"),
            "round {round}: {line}"
        );
        assert!(
            !line.contains("failed"),
            "round {round}: a helper run failed: {line}"
        );
        assert_ne!(crate::helper_backend::server_pid(&cms), pid);
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id())?),
        nix::sys::signal::Signal::SIGTERM,
    )?;
    let status = child.wait()?;
    assert_eq!(
        status.code(),
        Some(143),
        "the command ends by the forwarded SIGTERM"
    );
    Ok(())
}
