//! The subcommands that need no privileges, as a user runs them.

#![allow(clippy::unwrap_used)] // test helpers: a failure should panic with the error

use assert_cmd::Command;
use predicates::prelude::*;

fn cli() -> Command {
    let mut cmd = Command::cargo_bin("cvmfs-cli").unwrap();
    cmd.env_remove("CVMFS_MOUNTS");
    cmd
}

#[test]
fn env_output_evaluates_in_bash_and_reports_missing_scripts() {
    let output = cli()
        .args(["env", "--mounts", "cms oasis.opensciencegrid.org"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    let run = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("{script}\necho \"$XrdSecGSISRVNAMES\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "cmseos.fnal.gov\n");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("Unable to source /cvmfs/cms.cern.ch/cmsset_default.sh"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("Unable to setup the grid utilities from /cvmfs/oasis.opensciencegrid.org/"),
        "{stderr}"
    );
}

#[test]
fn env_other_shells_json_and_bad_input() {
    cli()
        .args(["env", "--mounts", "cms", "--shell", "tcsh", "--el", "el9"])
        .assert()
        .success()
        .stdout(predicate::str::contains("setenv XrdSecGSISRVNAMES"));
    cli()
        .args(["env", "--mounts", "cms", "--shell", "fish"])
        .assert()
        .success()
        .stdout(predicate::str::contains("set -gx XrdSecGSISRVNAMES"));
    let output = cli()
        .args(["env", "--mounts", "all", "--json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["scripts"].as_array().unwrap().len(), 2);
    cli()
        .args([
            "env",
            "--shell",
            "powershell",
            "--el",
            "el6",
            "--mounts",
            "a*",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid shell \"powershell\""))
        .stderr(predicate::str::contains("invalid EL release \"el6\""))
        .stderr(predicate::str::contains("glob"));
}

#[test]
fn config_show_lists_origins_and_reports_problems() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("domain.d")).unwrap();
    std::fs::write(
        dir.path().join("default.conf"),
        "CVMFS_HTTP_PROXY=auto\nCVMFS_QUOTA_LIMIT=4000\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("default.local"),
        "CVMFS_HTTP_PROXY=DIRECT\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("domain.d/cern.ch.conf"),
        "CVMFS_SERVER_URL=http://s1.cern.ch:8000/cvmfs/@fqrn@\nCVMFS_USER=$USER\n",
    )
    .unwrap();
    let config_dir = dir.path().to_str().unwrap();
    let local = format!("CVMFS_HTTP_PROXY=DIRECT    # from {config_dir}/default.local");
    let server = "CVMFS_SERVER_URL=http://s1.cern.ch:8000/cvmfs/cms.cern.ch    # from";
    cli()
        .args(["config", "show", "cms", "--config-dir", config_dir])
        .assert()
        .success()
        .stdout(predicate::str::contains(local))
        .stdout(predicate::str::contains(server))
        .stderr(predicate::str::contains("needs shell evaluation"));
    std::fs::write(dir.path().join("default.local"), "CVMFS_HTTP_PROXY=\n").unwrap();
    cli()
        .args([
            "config",
            "show",
            "cms.cern.ch",
            "--config-dir",
            config_dir,
            "--json",
        ])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("\"diagnostics\""));
    cli().args(["config", "show", "a@b"]).assert().code(2);
}

#[test]
fn config_render_writes_the_anchor_values_for_the_selection() {
    cli()
        .args([
            "config",
            "render",
            "--mounts",
            "cms sft",
            "--backend",
            "cvmfs2-helper",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "CVMFS_REPOSITORIES=cms.cern.ch,sft.cern.ch\n",
        ))
        .stdout(predicate::str::contains(
            "CVMFS_CACHE_BASE=/var/cache/cvmfs2\n",
        ))
        .stdout(predicate::str::contains("CMS_LOCAL_SITE=T3_US_OSG\n"));
}

#[test]
fn doctor_ranks_all_five_backends() {
    let output = cli()
        .args(["doctor", "--json", "--root", "/nonexistent-cvmfs-root"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ranked = value["recommendations"].as_array().unwrap();
    assert_eq!(ranked.len(), 5);
    assert!(
        ranked
            .iter()
            .all(|r| !r["reason"].as_str().unwrap().is_empty())
    );
    // The expectation comes from the host itself, not from the output under test: with
    // a usable /dev/fuse and root, our own client (and the snapshot backend) works and
    // doctor exits 0.
    let fuse_usable = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .is_ok();
    let root = nix::unistd::geteuid().is_root();
    let snapshot = ranked.iter().find(|r| r["backend"] == "snapshot").unwrap();
    assert_eq!(snapshot["works"], fuse_usable && root, "{snapshot}");
    let native = ranked.iter().find(|r| r["backend"] == "native").unwrap();
    assert_eq!(native["works"], fuse_usable && root, "{native}");
    if fuse_usable && root {
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(
            ranked[0]["backend"], "native",
            "our own client first without /cvmfs"
        );
    }
    cli()
        .args(["doctor", "--root", "/nonexistent-cvmfs-root"])
        .assert()
        .stdout(predicate::str::contains("Backends, best first:"));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        cli()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("cvmfs-cli"));
    }
    cli()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH cvmfs-cli"));
}

#[test]
fn mount_dry_run_prints_the_plan_and_changes_nothing() {
    cli()
        .args([
            "mount",
            "--dry-run",
            "--mounts",
            "cms",
            "--backend",
            "cvmfs2-helper",
            "--root",
            "/nonexistent/cvmfs",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("mount -t cvmfs cms.cern.ch"));
    assert!(!std::path::Path::new("/nonexistent/cvmfs").exists());
}

#[test]
fn acting_commands_reject_bad_input_before_touching_anything() {
    for sub in ["mount", "umount", "check", "repair"] {
        cli()
            .args([
                sub,
                "--mounts",
                "cms none",
                "--backend",
                "cvmfs2-helper",
                "--root",
                "/nonexistent/cvmfs",
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("token 2 (\"none\""));
    }
    assert!(!std::path::Path::new("/nonexistent/cvmfs").exists());
}

#[test]
fn nothing_selected_mounts_nothing() {
    cli()
        .args(["mount", "--mounts", "none", "--backend", "cvmfs2-helper"])
        .assert()
        .success()
        .stdout("Not mounting any filesystems.\n");
    cli()
        .args(["check", "--mounts", "", "--backend", "cvmfs2-helper"])
        .assert()
        .success()
        .stdout("Not necessary to check the CVMFS mounts points.\n");
}

#[test]
fn run_args_survive_a_posix_shell_unchanged() {
    let tricky = [
        "it's",
        "a \"quoted\" $(rm -rf /) `x`",
        "tab\there",
        "semi;colon|pipe&",
        "*",
        "",
    ];
    let mut args = vec![
        "run-args",
        "podman",
        "--mounts",
        "cms sft",
        "-l",
        "/my data dir",
        "--",
    ];
    args.extend(tricky);
    let mut json_args = args.clone();
    json_args.insert(2, "--json");
    let output = cli().args(&json_args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let words: Vec<String> = value["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect();
    assert!(words.ends_with(&tricky.map(String::from)), "{words:?}");
    let line = cli().args(&args).output().unwrap();
    let line = String::from_utf8(line.stdout).unwrap();
    let shell = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("set -- {}\nprintf '%s\\0' \"$@\"", line.trim_end()))
        .output()
        .unwrap();
    let split: Vec<String> = String::from_utf8(shell.stdout)
        .unwrap()
        .split_terminator('\0')
        .map(str::to_owned)
        .collect();
    assert_eq!(split, words, "line: {line}");
}

#[test]
fn run_args_manifests_and_bad_runtimes() {
    cli()
        .args(["run-args", "kubernetes", "--mounts", "all"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "mountPropagation: HostToContainer",
        ));
    cli()
        .args([
            "run-args",
            "gitlab-ci",
            "--backend",
            "automounter-slave",
            "--shared-dir",
            "/cvmfsmounts/cvmfs",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "/cvmfsmounts/cvmfs:/cvmfs:ro,rslave",
        ));
    cli()
        .args(["run-args", "lxc", "--mounts", "cms none"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid runtime \"lxc\""))
        .stderr(predicate::str::contains("token 2"));
}

#[test]
fn the_catalog_options_reach_every_command_that_reads_a_selection() {
    // config render: the configuration repository comes from the plan, not a fixed catalog.
    cli()
        .args([
            "config",
            "render",
            "--backend",
            "cvmfs2-helper",
            "--config-repository",
            "none",
        ])
        .args(["--mounts", "cms cvmfs-config.cern.ch"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "CVMFS_REPOSITORIES=cms.cern.ch,cvmfs-config.cern.ch\n",
        ));
    cli()
        .args(["config", "render", "--backend", "cvmfs2-helper"])
        .args([
            "--config-repository",
            "config.example.org",
            "--mounts",
            "cms",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("CVMFS_REPOSITORIES=cms.cern.ch\n"));
    // run-args and env resolve names against the same catalog as plan.
    cli()
        .args(["run-args", "docker", "--json", "--mounts", "all"])
        .args(["--add-repository", "extra.example.org"])
        .assert()
        .success()
        .stdout(predicate::str::contains("extra.example.org"));
    cli()
        .args(["env", "--mounts", "cms", "--profile", "atlas"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("atlas"));
    cli()
        .args([
            "run-args",
            "docker",
            "--mounts",
            "cms",
            "--default-domain=-bad-",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid default domain"));
}

/// Issue 11, defect 7: the CVMFS vocabulary users know reaches the matching commands.
#[test]
fn the_cvmfs_config_words_are_aliases() {
    for (word, usage) in [
        ("probe", "Usage: cvmfs-cli check"),
        ("stat", "Usage: cvmfs-cli check"),
        ("chksetup", "Usage: cvmfs-cli doctor"),
        ("showconfig", "Usage: cvmfs-cli showconfig"),
    ] {
        cli()
            .args([word, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(usage));
    }
    cli()
        .args(["probe", "--mounts", "none", "--backend", "cvmfs2-helper"])
        .assert()
        .success();
}

/// Issue 11, defect 11: every page the man page names (`cvmfs-cli-plan(1)`, ...) exists.
#[test]
fn every_man_page_the_main_page_names_exists() {
    let main = cli().arg("man").output().unwrap();
    assert!(main.status.success());
    let text = String::from_utf8(main.stdout).unwrap();
    let named: Vec<String> = text
        .split("cvmfs\\-cli\\-")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("(1)")
                .map(|(name, _)| name.replace("\\-", "-"))
        })
        .collect();
    assert!(named.len() >= 15, "{named:?}");
    for name in named {
        let page = cli().args(["man", &name]).output().unwrap();
        assert!(page.status.success(), "cvmfs-cli man {name}");
        let page = String::from_utf8(page.stdout).unwrap();
        assert!(
            page.contains(&format!(".TH cvmfs-cli-{name} 1")),
            "{name}: {page}"
        );
    }
}

/// Issue 11, defect 9: the GitLab automounter never binds the host's root.
#[test]
fn gitlab_ci_refuses_a_shared_dir_whose_parent_is_the_root() {
    cli()
        .args([
            "run-args",
            "gitlab-ci",
            "--backend",
            "automounter-slave",
            "--shared-dir",
            "/tmp",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("that is the host's root"));
}

/// Issue 11, defect 9: the overflow id "nobody" (65534) is never printed as MY_UID, and
/// the entrypoint refuses it unless allowed.
#[test]
fn nobody_ids_are_not_passed_on_and_can_be_allowed() {
    let entrypoint = |allow: bool| {
        let mut cmd = cli();
        cmd.env("MY_UID", "65534").env("MY_GID", "65534").args([
            "entrypoint",
            "--dry-run",
            "--mounts",
            "none",
        ]);
        if allow {
            cmd.arg("--allow-nobody-ids");
        }
        cmd.args(["--", "true"]).assert()
    };
    entrypoint(false)
        .code(2)
        .stderr(predicate::str::contains("65534"));
    entrypoint(true)
        .success()
        .stdout(predicate::str::contains("uid 65534"));
    if nix::unistd::geteuid().is_root() {
        let output = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_cvmfs-cli"))
            .args(["run-args", "docker", "--mounts", "cms"])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && !line.contains("MY_UID"),
            "{line}"
        );
    }
}

/// Issue 11, defect 11: tcsh completions (common on HEP login nodes), accepted by tcsh.
#[test]
fn tcsh_completions_are_accepted_by_tcsh() {
    let output = cli().args(["completions", "tcsh"]).output().unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(
        script
            .contains("'n/--backend/(native snapshot cvmfs2-helper host-bind automounter-slave)/'")
    );
    assert!(
        !script.contains("stand-in"),
        "hidden options stay hidden: {script}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cvmfs-cli.tcsh");
    std::fs::write(&file, &script).unwrap();
    // tcsh is installed by .ci/install-deps; it must accept the file and list the rule.
    let shown = std::process::Command::new("tcsh")
        .arg("-f")
        .arg("-c")
        .arg(format!("source {}; complete cvmfs-cli", file.display()))
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(String::from_utf8_lossy(&shown.stdout).contains("p/1/(plan mount"));
}

/// Issue 11, defect 11: `config render` and `serve` speak JSON when asked.
#[test]
fn config_render_and_serve_print_json() {
    let output = cli()
        .args([
            "config",
            "render",
            "--json",
            "--backend",
            "cvmfs2-helper",
            "--mounts",
            "cms",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["file"], "default.local");
    assert!(
        value["content"]
            .as_str()
            .unwrap()
            .contains("CVMFS_REPOSITORIES")
    );
    assert_eq!(value["repositories"][0], "cvmfs-config.cern.ch");
    let dir = tempfile::tempdir().unwrap();
    let output = cli()
        .args([
            "serve",
            "--dry-run",
            "--json",
            "--fqrn",
            "cms.cern.ch",
            "--source",
        ])
        .arg(dir.path())
        .arg("--target")
        .arg(dir.path().join("mnt"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (value["fqrn"].as_str(), value["dry_run"].as_bool()),
        (Some("cms.cern.ch"), Some(true))
    );
    assert!(
        !dir.path().join("mnt").exists(),
        "a dry run creates nothing"
    );
}

/// With no `/etc/cvmfs` at all, the public domains' repositories still have servers, keys
/// and a proxy rule: the native client's built-in defaults, each saying so.
#[test]
fn config_show_without_etc_cvmfs_shows_the_built_in_defaults() {
    let empty = tempfile::tempdir().unwrap();
    for (fqrn, server) in [
        (
            "cms.cern.ch",
            "http://cvmfs-stratum-one.cern.ch/cvmfs/cms.cern.ch;",
        ),
        (
            "oasis.opensciencegrid.org",
            "http://cvmfs-s1bnl.opensciencegrid.org:8000/cvmfs/oasis.opensciencegrid.org",
        ),
        (
            "biomed.egi.eu",
            "http://cvmfs-egi.gridpp.rl.ac.uk:8000/cvmfs/biomed.egi.eu;",
        ),
    ] {
        let output = cli()
            .args(["config", "show", fqrn, "--config-dir"])
            .arg(empty.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        let line = stdout
            .lines()
            .find(|l| l.starts_with("CVMFS_SERVER_URL="))
            .unwrap_or_else(|| panic!("{fqrn}: {stdout}"));
        assert!(line.contains(server), "{line}");
        assert!(
            line.ends_with("# from (built-in defaults of the native client)"),
            "{line}"
        );
        assert!(
            stdout.contains("CVMFS_HTTP_PROXY=DIRECT    # from (built-in"),
            "{stdout}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("single client profile"), "{stderr}");
    }
    // A domain without built-in defaults gets none.
    let output = cli()
        .args(["config", "show", "test.example.org", "--config-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains("CVMFS_SERVER_URL"));
}

/// `image lint`: each finding with its file and line; exit 2 on errors, 0 on warnings only.
#[test]
fn image_lint_names_every_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "version: 1\ncvmfs_repo: 'unpacked.cern.ch'\ninput:\n    - 'library/centos:7'\n    - 'https://ghcr.io/a/b'\n    - 'https://ghcr.io/a/c:latest'\n",
    )
    .unwrap();
    let output = cli().args(["image", "lint"]).arg(&bad).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains(":4: error[no-scheme]"), "{stdout}");
    assert!(stdout.contains(":5: error[no-tag]"), "{stdout}");
    assert!(stdout.contains(":6: warning[mutable-tag]"), "{stdout}");
    assert!(
        stdout.contains("3 entries, 3 errors, 1 warnings"),
        "{stdout}"
    );
    let output = cli()
        .args(["image", "lint", "--json"])
        .arg(&bad)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["entries"], 3);
    assert_eq!(report["findings"][0]["line"], 4);
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "version: 1\ncvmfs_repo: 'unpacked.cern.ch'\ninput:\n    - 'https://ghcr.io/a/c:v1'\n",
    )
    .unwrap();
    cli()
        .args(["image", "lint"])
        .arg(&good)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 entries, 0 errors, 0 warnings"));
    cli()
        .args(["image", "lint"])
        .arg(dir.path().join("missing.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.yaml"));
}

/// A tree laid out as DUCC lays out unpacked.cern.ch (busybox images), under
/// `<dir>/cvmfs/unpacked.cern.ch`, not mounted: `--no-mount` and the dry runs use it as
/// they would use the mounted repository. The mounted case is `tests/images.rs`.
fn ducc_tree() -> Option<tempfile::TempDir> {
    if !std::path::Path::new("/bin/busybox").exists() {
        assert!(
            std::env::var("CVMFS_REQUIRE_PRIVILEGED").map_or(true, |v| v != "1"),
            "busybox-static is required (CVMFS_REQUIRE_PRIVILEGED=1)"
        );
        eprintln!("SKIPPED: no /bin/busybox");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/images/make-unpacked.sh"
        ))
        .arg(dir.path().join("cvmfs/unpacked.cern.ch"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    Some(dir)
}

const BUSYBOX: &str = "https://registry.hub.docker.com/library/busybox";

#[test]
fn image_resolve_without_mounting_reads_the_tree_and_refuses_bad_specs() {
    let Some(dir) = ducc_tree() else { return };
    let root = dir.path().join("cvmfs");
    let resolve = |spec: &str| {
        let mut cmd = cli();
        cmd.args(["image", "resolve", "--no-mount", "--root"])
            .arg(&root)
            .arg(spec);
        cmd
    };
    resolve(&format!("{BUSYBOX}:stable"))
        .assert()
        .success()
        .stdout(predicate::str::contains("GREETING=hello from busybox 1.36"))
        .stdout(predicate::str::contains("2 (2 unpacked in .layers)"));
    // A shell glob and DUCC's rule disagree on '.': said, and every match shown.
    resolve(&format!("{BUSYBOX}:1.3*"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "the pattern \"1.3*\" matches 3 of 5 published tags",
        ))
        .stderr(predicate::str::contains("matches any character"));
    // What DUCC would misread: every problem at once, exit 2, nothing touched.
    resolve("library/centos:7 ")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("whitespace"))
        .stderr(predicate::str::contains("not a registry host"));
    resolve(BUSYBOX)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither tag nor digest"));
    // Not mounted and not to be mounted: said so.
    let mut absent = cli();
    absent
        .args(["image", "resolve", "--no-mount", "--root"])
        .arg(dir.path().join("nothing"))
        .arg(format!("{BUSYBOX}:1.36"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "the repository is not mounted there",
        ));
}

#[test]
fn image_run_commands_for_each_runtime_and_docker_refused() {
    let Some(dir) = ducc_tree() else { return };
    let root = dir.path().join("cvmfs");
    let run = |runtime: &str, spec: &str| {
        let mut cmd = cli();
        cmd.args([
            "image",
            "run",
            "--dry-run",
            "--no-mount",
            "--runtime",
            runtime,
        ])
        .arg("--root")
        .arg(&root)
        .args([spec, "--", "sh", "-c", "echo $GREETING"]);
        cmd
    };
    let flat = root.join("unpacked.cern.ch/.flat");
    run("podman", &format!("{BUSYBOX}:1.37.0"))
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "podman run --rm -e 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -e 'GREETING=hello from busybox 1.37' --rootfs ",
        ))
        .stdout(predicate::str::contains(format!("{}/", flat.display())))
        .stdout(predicate::str::contains(":O sh -c 'echo $GREETING'"));
    run("singularity", &format!("{BUSYBOX}:1.36"))
        .assert()
        .success()
        .stdout(format!(
            "singularity exec -B {} {}/unpacked.cern.ch/registry.hub.docker.com/library/busybox:1.36 sh -c 'echo $GREETING'\n",
            root.display(),
            root.display()
        ));
    run("docker", &format!("{BUSYBOX}:1.36"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "removed with graph-driver plugins in Docker 28",
        ))
        .stderr(predicate::str::contains(format!(
            "podman run --rm --rootfs {}/",
            flat.display()
        )))
        .stderr(predicate::str::contains(
            "docker run --rm registry.hub.docker.com/library/busybox:1.36 sh -c 'echo $GREETING'",
        ));
    run("podman", &format!("{BUSYBOX}:*"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a wildcard names several images"));
}

#[test]
fn run_args_turns_an_image_spec_into_the_unpacked_form() {
    let Some(dir) = ducc_tree() else { return };
    let root = dir.path().join("cvmfs");
    let run_args = |runtime: &str| {
        let mut cmd = cli();
        cmd.args([
            "run-args",
            runtime,
            "-i",
            &format!("{BUSYBOX}:1.36"),
            "--root",
        ])
        .arg(&root)
        .args(["--", "id"]);
        cmd
    };
    run_args("apptainer")
        .assert()
        .success()
        .stdout(format!(
            "apptainer exec -B {} {}/unpacked.cern.ch/registry.hub.docker.com/library/busybox:1.36 id\n",
            root.display(),
            root.display()
        ));
    run_args("podman")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "-e 'GREETING=hello from busybox 1.36' --rootfs ",
        ))
        .stdout(predicate::str::contains(":O id\n"));
    run_args("docker")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Docker 28"));
    run_args("kubernetes")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "kubernetes cannot run an image from its unpacked root filesystem",
        ));
}
