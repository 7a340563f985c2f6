//! Every example line in the help runs, exactly as a user would paste it into bash: the
//! commands that change the system run as dry runs, `docker` records the argv it was
//! given (and an `image` started with our entrypoint runs that entrypoint as a dry run),
//! and redirections into system paths go to a scratch directory. A usage error (exit 2),
//! an internal error (exit 1), an example wrapped by the help's line width, or a
//! subcommand without examples fails the test.

#![allow(clippy::unwrap_used)] // test helpers: a failure should panic with the error

use std::path::{Path, PathBuf};
use std::process::Command;

/// The built binary.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cvmfs-cli"))
}

/// The help of a (sub)command at a terminal width.
fn help(path: &[String], columns: &str) -> String {
    let output = Command::new(binary())
        .args(path)
        .arg("--help")
        .env("COLUMNS", columns)
        .output()
        .unwrap();
    assert!(output.status.success(), "{path:?} --help failed");
    String::from_utf8(output.stdout).unwrap()
}

/// The subcommands a help lists (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // Wrapped descriptions are indented further than the names.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The example lines of a help, with `\` continuations joined.
fn examples(help: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for line in help
        .lines()
        .skip_while(|line| !line.starts_with("Examples"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
    {
        let line = line.trim();
        if let Some(start) = line.strip_suffix('\\') {
            pending.push_str(start);
            continue;
        }
        pending.push_str(line);
        lines.push(std::mem::take(&mut pending));
    }
    assert!(pending.is_empty(), "an example ends with a continuation");
    lines
}

/// Every command path with its help, depth first.
fn command_paths(path: Vec<String>, found: &mut Vec<(Vec<String>, String)>) {
    let text = help(&path, "100");
    for sub in subcommands(&text) {
        let mut next = path.clone();
        next.push(sub);
        command_paths(next, found);
    }
    found.push((path, text));
}

/// The bash run before each example: the system-changing subcommands become dry runs,
/// and `docker` records its argv (NUL-separated) instead of starting containers.
const PRELUDE: &str = r#"
cvmfs-cli() {
    case " $* " in *" --dry-run "*) command "$REAL" "$@"; return ;; esac
    case "${1-}" in
        mount|umount|repair|watch|exec|entrypoint|serve) command "$REAL" "$1" --dry-run "${@:2}" ;;
        # The fixture's whitelist expires in 2027: judge it at a fixed time.
        repo) command "$REAL" "$1" "$2" --now "$REPO_NOW" "${@:3}" ;;
        # Images resolve in a DUCC tree under ./cvmfs (not mounted); runs are dry runs.
        image)
            case "$2" in
                resolve)
                    local no_mount=--no-mount
                    case " $* " in *" --no-mount "*) no_mount= ;; esac
                    CVMFS_MOUNT_DIR=$PWD/cvmfs command "$REAL" image resolve $no_mount "${@:3}" ;;
                run) CVMFS_MOUNT_DIR=$PWD/cvmfs command "$REAL" image run --dry-run "${@:3}" ;;
                *) command "$REAL" "$@" ;;
            esac ;;
        *) command "$REAL" "$@" ;;
    esac
}
docker() { printf '%s\0' "$@" > "$OUT/docker-argv"; }
"#;

/// The directory an example runs in: the relative paths the examples name exist.
fn workspace(example: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for repo in ["cms.cern.ch", "sft.cern.ch", "oasis.opensciencegrid.org"] {
        let snapshot = dir.path().join("snapshots").join(repo);
        std::fs::create_dir_all(&snapshot).unwrap();
        std::fs::write(snapshot.join("README"), repo).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("cms-snapshot")).unwrap();
    std::fs::write(dir.path().join("cms-snapshot/README"), "cms").unwrap();
    std::fs::create_dir_all(dir.path().join("etc-cvmfs")).unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    // The repo examples read the real fixture, served and with its key.
    if example.contains(" repo ") {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs");
        copy_tree(
            &testdata.join("fixture.example.org"),
            &dir.path().join("served/fixture.example.org"),
        );
        copy_tree(&testdata.join("keys"), &dir.path().join("keys"));
        std::fs::copy(
            testdata.join("keys/fixture.example.org.pub"),
            dir.path().join("fixture.pub"),
        )
        .unwrap();
    }
    // The recipe examples check a recipe of the live one's shape.
    if example.contains("image lint") {
        std::fs::write(
            dir.path().join("recipe.yaml"),
            "version: 1\nuser: cvmfsunpacker\ncvmfs_repo: 'unpacked.cern.ch'\ninput:\n    - 'https://registry.hub.docker.com/library/centos:centos7'\n",
        )
        .unwrap();
    }
    // The image examples find busybox images in a tree laid out as DUCC lays it out.
    if example.contains("image resolve") || example.contains("image run") {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/images/make-unpacked.sh");
        let output = Command::new("bash")
            .arg(script)
            .arg(dir.path().join("cvmfs/unpacked.cern.ch"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The cache examples look at a cache a verify filled.
    if example.contains(".cache/cvmfs") {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs");
        let status = Command::new(binary())
            .args([
                "repo",
                "verify",
                "--objects",
                "--now",
                "1796083200",
                "--source",
            ])
            .arg(testdata.join("fixture.example.org"))
            .arg("--key")
            .arg(testdata.join("keys/fixture.example.org.pub"))
            .arg("--cache-dir")
            .arg(dir.path().join(".cache/cvmfs"))
            .output()
            .unwrap();
        assert!(status.status.success());
    }
    if nix::unistd::geteuid().is_root() {
        let status = Command::new("chown")
            .args(["-R", &format!("{USER}:{USER}")])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
    dir
}

/// The unprivileged user examples run as when the test runs as root: a user pastes
/// them into their own shell (`MY_UID="$(id -u)"` is refused for root, as it should be).
const USER: u32 = 1000;

/// The shell an example runs in: as [`USER`] when the test runs as root.
fn shell() -> Command {
    if nix::unistd::geteuid().is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            &format!("--reuid={USER}"),
            &format!("--regid={USER}"),
            "--clear-groups",
            "bash",
        ]);
        cmd
    } else {
        Command::new("bash")
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Sends a `> path` redirection into the scratch directory; returns the new line and
/// the file written, if any.
fn redirect(line: &str, out: &Path, index: usize) -> (String, Option<PathBuf>) {
    let Some(at) = line.find(" > ") else {
        return (line.to_owned(), None);
    };
    let rest = &line[at + 3..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let file = out.join(format!("redirect-{index}"));
    (
        format!("{} > '{}'{}", &line[..at], file.display(), &rest[end..]),
        Some(file),
    )
}

/// The subcommand an example runs (the words after `cvmfs-cli` naming it), if any.
fn subcommand_of(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    words.find(|w| w.ends_with("cvmfs-cli"))?;
    let first = words.next()?;
    Some(match (first, words.next()) {
        ("config", Some(second)) => format!("config {second}"),
        _ => first.to_owned(),
    })
}

/// Options of `docker run` that take a value, as the examples and `run-args` use them.
const DOCKER_VALUE_OPTIONS: [&str; 8] = [
    "-e",
    "-v",
    "--device",
    "--cap-add",
    "--security-opt",
    "--name",
    "--network",
    "--user",
];

/// What `docker run` was given: the environment (`-e NAME=VALUE` or `-e NAME` from the
/// caller), the image and the arguments after it.
fn docker_run(argv: &[String]) -> (Vec<(String, String)>, String, Vec<String>) {
    assert_eq!(argv.first().map(String::as_str), Some("run"), "{argv:?}");
    let mut env = Vec::new();
    let mut words = argv[1..].iter();
    while let Some(word) = words.next() {
        if DOCKER_VALUE_OPTIONS.contains(&word.as_str()) {
            let value = words.next().unwrap();
            if word == "-e" {
                let (name, value) = value
                    .split_once('=')
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .unwrap_or_else(|| (value.clone(), std::env::var(value).unwrap_or_default()));
                env.push((name, value));
            }
        } else if !word.starts_with('-') {
            return (env, word.clone(), words.cloned().collect());
        }
    }
    panic!("docker run without an image: {argv:?}");
}

/// Runs what `docker run` was given when the image is the examples' `image` (ours, with
/// `ENTRYPOINT ["cvmfs-cli", "entrypoint", "--"]`): the entrypoint as a dry run.
fn run_our_image(env: &[(String, String)], args: &[String], line: &str) {
    let output = Command::new(binary())
        .args(["entrypoint", "--dry-run", "--"])
        .args(args)
        .env_remove("CVMFS_MOUNTS")
        .envs(env.iter().map(|(n, v)| (n, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{line}: the image's entrypoint refused its input: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (name, value) in env {
        if name == "MY_UID" {
            assert!(stdout.contains(&format!("uid {value}")), "{line}: {stdout}");
        }
        if name == "CVMFS_MOUNTS" {
            for repo in value.split_whitespace() {
                assert!(
                    stdout.contains(repo),
                    "{line}: {repo} not planned: {stdout}"
                );
            }
        }
    }
}

#[test]
fn every_help_example_runs_as_written() {
    let mut paths = Vec::new();
    command_paths(Vec::new(), &mut paths);
    let mut ran = 0;
    for (path, text) in &paths {
        let lines = examples(text);
        // A command with subcommands keeps its examples on them.
        if subcommands(text).is_empty() {
            assert!(
                !lines.is_empty(),
                "`cvmfs-cli {}` has no examples",
                path.join(" ")
            );
        }
        // What a narrow terminal shows must still be the same commands.
        assert_eq!(
            lines,
            examples(&help(path, "1000")),
            "`cvmfs-cli {}`: an example is wider than 100 columns and gets wrapped",
            path.join(" ")
        );
        for (index, example) in lines.iter().enumerate() {
            if example.starts_with('#') {
                continue;
            }
            // A Dockerfile line: what the RUN instruction runs.
            let example = example
                .strip_prefix("RUN --security=insecure ")
                .unwrap_or(example);
            let dir = workspace(example);
            let out = dir.path().join("out");
            let (line, written) = redirect(example, &out, index);
            let output = shell()
                .arg("-c")
                .arg(format!("set -euo pipefail\n{PRELUDE}\n{line}"))
                .current_dir(dir.path())
                .env("REAL", binary())
                .env("REPO_NOW", "1796083200")
                .env("OUT", &out)
                .env("HOME", dir.path())
                .env_remove("CVMFS_MOUNTS")
                .env_remove("MY_UID")
                .env_remove("MY_GID")
                .output()
                .unwrap();
            let code = output.status.code();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            // check, doctor and config show report the host's state (here: no client
            // and no mounts) in their status and diagnostics; nothing else may fail.
            let reports_host: &[i32] = match subcommand_of(example).as_deref() {
                Some("check") => &[3, 4],
                Some("doctor") => &[4],
                Some("config show" | "showconfig") => &[3],
                _ => &[],
            };
            assert!(
                code.is_some_and(|c| c == 0 || reports_host.contains(&c)),
                "`{example}` exited {code:?}\nstdout: {stdout}\nstderr: {stderr}"
            );
            assert!(
                !reports_host.is_empty() || !stderr.to_lowercase().contains("error"),
                "`{example}` reported an error: {stderr}"
            );
            if let Some(file) = written {
                let text = std::fs::read(&file).unwrap_or_default();
                assert!(!text.is_empty(), "`{example}` wrote nothing");
            }
            let argv_file = out.join("docker-argv");
            if argv_file.exists() {
                let argv: Vec<String> = std::fs::read(&argv_file)
                    .unwrap()
                    .split(|b| *b == 0)
                    .filter(|w| !w.is_empty())
                    .map(|w| String::from_utf8(w.to_vec()).unwrap())
                    .collect();
                let (env, image, args) = docker_run(&argv);
                // Word splitting would turn the second repository into the image.
                let mounts = env.iter().find(|(n, _)| n == "CVMFS_MOUNTS");
                assert!(
                    mounts.is_some(),
                    "`{example}` sets no CVMFS_MOUNTS: {argv:?}"
                );
                assert!(
                    ["image", "aperloff/cms-cvmfs-docker:latest"].contains(&image.as_str()),
                    "`{example}` split a word: image {image:?} in {argv:?}"
                );
                if image == "image" {
                    run_our_image(&env, &args, example);
                }
            }
            ran += 1;
        }
    }
    assert!(ran >= 40, "only {ran} examples ran");
}
