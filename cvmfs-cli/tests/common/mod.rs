//! Helpers shared by the CLI's privileged test files.

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// Whether the machine has root, `/dev/fuse` and `tools`; says so when it skips, and
/// fails instead when CVMFS_REQUIRE_PRIVILEGED=1 (CI).
pub fn can_run(tools: &[&str]) -> bool {
    let ok = nix::unistd::geteuid().is_root()
        && Path::new("/dev/fuse").exists()
        && tools.iter().all(|t| Path::new(t).exists());
    if !ok {
        let needs = format!("root, /dev/fuse and {tools:?}");
        assert!(
            std::env::var("CVMFS_REQUIRE_PRIVILEGED").map_or(true, |v| v != "1"),
            "{needs} are required (CVMFS_REQUIRE_PRIVILEGED=1)"
        );
        eprintln!("SKIPPED: needs {needs}");
    }
    ok
}

/// Runs a bash script (`-euo pipefail`) in a private mount namespace with `CLI` set to the
/// binary under test and the given extra variables; returns (status, stdout, stderr).
pub fn in_namespace(script: &str, vars: &[(&str, &OsStr)]) -> (i32, String, String) {
    run_script(&["unshare", "-m", "--propagation", "private"], script, vars)
}

/// Runs a bash script as [`in_namespace`] does, started through `prefix` (a command that
/// enters the namespace to run it in).
pub fn run_script(prefix: &[&str], script: &str, vars: &[(&str, &OsStr)]) -> (i32, String, String) {
    let mut command = Command::new(prefix[0]);
    command
        .args(&prefix[1..])
        .args(["bash", "-euo", "pipefail", "-c", script])
        .env("CLI", env!("CARGO_BIN_EXE_cvmfs-cli"))
        .env_remove("CVMFS_MOUNTS");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command
        .output()
        .expect("the namespace's entry command runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts that a script run by [`in_namespace`] succeeded and printed each of `lines`;
/// returns its (stdout, stderr) for further checks.
pub fn assert_printed(run: (i32, String, String), lines: &[&str]) -> (String, String) {
    let (status, stdout, stderr) = run;
    assert_eq!(status, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for line in lines {
        assert!(
            stdout.contains(line),
            "missing {line:?} in:\n{stdout}\nstderr:\n{stderr}"
        );
    }
    (stdout, stderr)
}
