//! `cvmfs-cli plan` as a user runs it.

#![allow(clippy::unwrap_used)] // test helpers: a failure should panic with the error

use assert_cmd::Command;
use cvmfs_core::MountPlan;
use predicates::prelude::*;

fn cli() -> Command {
    let mut cmd = Command::cargo_bin("cvmfs-cli").unwrap();
    cmd.env_remove("CVMFS_MOUNTS");
    cmd
}

fn plan_json(args: &[&str]) -> MountPlan {
    let output = cli()
        .args(["plan", "--dry-run", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    MountPlan::from_json(std::str::from_utf8(&output.stdout).unwrap()).unwrap()
}

fn targets(plan: &MountPlan) -> Vec<String> {
    plan.entries()
        .iter()
        .map(|e| e.target().display().to_string())
        .collect()
}

#[test]
fn helper_plan_for_all_lists_config_repository_first() {
    cli()
        .args([
            "plan",
            "--dry-run",
            "--mounts",
            "all",
            "--backend",
            "cvmfs2-helper",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("cvmfs-config.cern.ch (config)"))
        .stdout(predicate::str::contains("mount -t cvmfs unpacked.cern.ch"))
        .stdout(predicate::str::contains("Unmount order:"));
    let plan = plan_json(&["--mounts", "all", "--backend", "cvmfs2-helper"]);
    assert_eq!(plan.entries().len(), 10);
    assert_eq!(targets(&plan)[0], "/cvmfs/cvmfs-config.cern.ch");
    assert_eq!(targets(&plan)[1], "/cvmfs/cms.cern.ch");
}

#[test]
fn selection_comes_from_the_environment_unless_given() {
    let output = cli()
        .env("CVMFS_MOUNTS", "sft cms")
        .args([
            "plan",
            "--json",
            "--backend",
            "cvmfs2-helper",
            "--config-repository",
            "none",
        ])
        .output()
        .unwrap();
    let plan = MountPlan::from_json(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    assert_eq!(targets(&plan), ["/cvmfs/sft.cern.ch", "/cvmfs/cms.cern.ch"]);
    let output = cli()
        .env("CVMFS_MOUNTS", "sft cms")
        .args([
            "plan",
            "--json",
            "--backend",
            "cvmfs2-helper",
            "--mounts",
            "ilc.desy.de",
        ])
        .output()
        .unwrap();
    let plan = MountPlan::from_json(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    assert_eq!(
        targets(&plan),
        ["/cvmfs/cvmfs-config.cern.ch", "/cvmfs/ilc.desy.de"]
    );
}

#[test]
fn nothing_selected_plans_nothing() {
    for value in ["", "  ", "NONE"] {
        cli()
            .env("CVMFS_MOUNTS", value)
            .args(["plan", "--backend", "cvmfs2-helper"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Nothing is selected"));
    }
}

#[test]
fn every_bad_token_and_option_is_reported_with_exit_2() {
    cli()
        .args([
            "mount",
            "--backend",
            "snapshot",
            "--mounts",
            "cms none *.cern.ch a@b",
            "--target",
            "bogus",
            "--propagation",
            "sideways",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("token 2 (\"none\""))
        .stderr(predicate::str::contains("token 3 (\"*.cern.ch\""))
        .stderr(predicate::str::contains("token 4 (\"a@b\""))
        .stderr(predicate::str::contains(
            "--source: is required by the snapshot backend to mount",
        ))
        .stderr(predicate::str::contains(
            "--target: \"bogus\" is not of the form FQRN=PATH",
        ))
        .stderr(predicate::str::contains("invalid propagation \"sideways\""));
}

#[test]
fn json_errors_are_machine_readable() {
    let output = cli()
        .args([
            "plan",
            "--json",
            "--backend",
            "cvmfs2-helper",
            "--mounts",
            "cms?",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["ok"], false);
    assert_eq!(value["errors"][0]["kind"], "invalid-selection");
    assert_eq!(value["errors"][0]["problems"].as_array().unwrap().len(), 1);
}

#[test]
fn relative_sources_are_resolved_and_unknown_names_warn() {
    let dir = std::env::temp_dir();
    let output = cli()
        .current_dir(&dir)
        .args([
            "plan",
            "--json",
            "--backend",
            "snapshot",
            "--source",
            "./snaps",
            "--mounts",
            "atlas",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: repository atlas.cern.ch (token 1) is not in the catalog"),
        "{stderr}"
    );
    let plan = MountPlan::from_json(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    let expected = dir.canonicalize().unwrap_or(dir).join("snaps");
    assert_eq!(plan.backend().source_path(), Some(expected.as_path()));
}

#[test]
fn host_bind_options_shape_the_steps() {
    let plan = plan_json(&[
        "--backend",
        "host-bind",
        "--source",
        "/host/cvmfs",
        "--mounts",
        "cms",
        "--read-only",
        "--propagation",
        "rslave",
    ]);
    let actions: Vec<&str> = plan.steps().map(|s| s.action()).collect();
    assert_eq!(
        actions,
        [
            "create-mountpoint",
            "mount",
            "set-propagation",
            "remount-read-only",
            "verify"
        ]
    );
    let whole = plan_json(&[
        "--backend",
        "host-bind",
        "--source",
        "/host/cvmfs",
        "--mounts",
        "cms",
        "--whole-root",
    ]);
    assert_eq!(targets(&whole), ["/cvmfs"]);
    cli()
        .args([
            "plan",
            "--backend",
            "snapshot",
            "--source",
            "/s",
            "--whole-root",
            "--mounts",
            "cms",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--whole-root: applies to the host-bind backend only",
        ));
}

#[test]
fn automounter_and_toml_output() {
    let output = cli()
        .args([
            "plan",
            "--toml",
            "--backend",
            "automounter-slave",
            "--shared-dir",
            "/shared-mounts/cvmfs",
            "--mounts",
            "cms sft",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let plan = MountPlan::from_toml(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    assert_eq!(targets(&plan), ["/cvmfs"]);
    assert_eq!(plan.entries()[0].verified_repositories().count(), 2);
}

#[test]
fn usage_errors_and_help() {
    cli().args(["plan", "--backend", "docker"]).assert().code(2);
    cli()
        .args(["plan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    cli()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("partial failure"));
}

/// Issue 11, defect 1: the stand-in was the silent default, and commands that never read
/// a source demanded one.
#[test]
fn no_command_asks_for_a_source_it_does_not_read_and_the_stand_in_is_never_the_default() {
    // The design card's command: no --backend, no --source.
    let plan = plan_json(&["--mounts", "cms"]);
    assert_ne!(plan.backend().kind(), cvmfs_core::BackendKind::Snapshot);
    // A snapshot or host-bind plan without a source is shown, and says what is missing.
    for backend in ["snapshot", "host-bind"] {
        cli()
            .args(["plan", "--dry-run", "--backend", backend, "--mounts", "cms"])
            .assert()
            .success()
            .stdout(predicate::str::contains("<--source not given>"))
            .stdout(predicate::str::contains("(no source given)"));
        let plan = plan_json(&["--backend", backend, "--mounts", "cms"]);
        assert!(plan.backend().lacks_source());
        // ... and the JSON document round-trips without a source.
        let again = MountPlan::from_json(&plan.to_json()).unwrap();
        assert_eq!(again, plan);
    }
    // Mounting is the one thing that needs it; a selection of none mounts nothing.
    cli()
        .args(["mount", "--backend", "snapshot", "--mounts", "cms"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "--source: is required by the snapshot backend to mount",
        ));
    let root = tempfile::tempdir().unwrap();
    let root_arg = root.path().join("cvmfs");
    for command in ["mount", "umount", "check", "repair"] {
        cli()
            .args([
                command,
                "--backend",
                "snapshot",
                "--mounts",
                "none",
                "--root",
            ])
            .arg(&root_arg)
            .assert()
            .success();
    }
    // Nothing was created for the empty selection.
    assert!(!root_arg.exists());
    // check and umount of a source-less snapshot plan read only the targets.
    cli()
        .args([
            "check",
            "--backend",
            "snapshot",
            "--mounts",
            "cms",
            "--root",
        ])
        .arg(&root_arg)
        .assert()
        .code(4)
        .stdout(predicate::str::contains("cms.cern.ch: not mounted"));
    cli()
        .args([
            "umount",
            "--backend",
            "snapshot",
            "--mounts",
            "cms",
            "--root",
        ])
        .arg(&root_arg)
        .assert()
        .success();
    cli()
        .args([
            "config",
            "render",
            "--backend",
            "snapshot",
            "--mounts",
            "cms",
        ])
        .assert()
        .success();
}

/// Issue 11, defect 6: typos no longer pass with exit 0, and short names are looked up in
/// the catalog before the default domain.
#[test]
fn typos_are_refused_with_the_name_they_meant() {
    cli()
        .args(["plan", "--backend", "cvmfs2-helper", "--mounts"])
        .arg("cmss CMS cms..cern.ch")
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "names cmss.cern.ch, which is not in the catalog: did you mean cms.cern.ch?",
        ))
        .stderr(predicate::str::contains(
            "names CMS.cern.ch, which is not in the catalog: did you mean cms.cern.ch?",
        ))
        .stderr(predicate::str::contains("has two dots in a row"));
    let plan = plan_json(&["--backend", "cvmfs2-helper", "--mounts", "oasis"]);
    assert!(
        plan.entries()
            .iter()
            .any(|e| e.target() == std::path::Path::new("/cvmfs/oasis.opensciencegrid.org")),
        "{plan:?}"
    );
    // Named on purpose: --add-repository makes it a catalog name.
    plan_json(&[
        "--backend",
        "cvmfs2-helper",
        "--mounts",
        "cmss",
        "--add-repository",
        "cmss.cern.ch",
    ]);
}

/// Issue 11, defect 11: the JSON document says read-only where the table does.
#[test]
fn client_and_snapshot_plans_say_read_only_in_every_format() {
    for backend in ["cvmfs2-helper", "snapshot"] {
        assert!(plan_json(&["--backend", backend, "--mounts", "cms"]).read_only());
    }
    let bind = [
        "--backend",
        "host-bind",
        "--source",
        "/host/cvmfs",
        "--mounts",
        "cms",
    ];
    assert!(!plan_json(&bind).read_only());
}

/// Issue 11, defect 12: the helper's configuration repository is the one the client's
/// own files configure; an empty CVMFS_CONFIG_REPOSITORY means none, and then nobody's
/// unselected repository is mounted or checked.
#[test]
fn the_configuration_repository_comes_from_the_clients_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc-cvmfs");
    std::fs::create_dir_all(config.join("default.d")).unwrap();
    let plan_with = |config_dir: &std::path::Path| -> Vec<String> {
        let output = cli()
            .args([
                "mount",
                "--dry-run",
                "--json",
                "--backend",
                "cvmfs2-helper",
                "--mounts",
                "test.example.org",
                "--config-dir",
            ])
            .arg(config_dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let plan = MountPlan::from_json(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
        plan.entries()
            .iter()
            .map(|e| e.target().display().to_string())
            .collect()
    };
    // No client files: the catalog's default.
    assert_eq!(
        plan_with(&dir.path().join("missing")),
        ["/cvmfs/cvmfs-config.cern.ch", "/cvmfs/test.example.org"]
    );
    std::fs::write(
        config.join("default.d/50-site.conf"),
        "CVMFS_CONFIG_REPOSITORY=config-osg.opensciencegrid.org\n",
    )
    .unwrap();
    assert_eq!(
        plan_with(&config),
        [
            "/cvmfs/config-osg.opensciencegrid.org",
            "/cvmfs/test.example.org"
        ]
    );
    std::fs::write(
        config.join("default.d/99-none.conf"),
        "CVMFS_CONFIG_REPOSITORY=\n",
    )
    .unwrap();
    assert_eq!(plan_with(&config), ["/cvmfs/test.example.org"]);
    // check judges only that.
    cli()
        .args([
            "check",
            "--backend",
            "cvmfs2-helper",
            "--mounts",
            "test.example.org",
        ])
        .arg("--config-dir")
        .arg(&config)
        .arg("--root")
        .arg(dir.path().join("cvmfs"))
        .assert()
        .code(4)
        .stdout(predicate::str::contains("test.example.org: not mounted"))
        .stdout(predicate::str::contains("cvmfs-config").not());
}
