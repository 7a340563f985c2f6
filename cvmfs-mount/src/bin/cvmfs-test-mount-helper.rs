//! `cvmfs-test-mount-helper <repository> <mountpoint> [-o opts] [-f] [-n] [-v] [-h]`
//!
//! A TEST STAND-IN for the CVMFS client's mount helper (`mount.cvmfs`), not the client.
//! It reproduces the real helper's arguments, checks, messages and exit codes (0, 1, 32;
//! the facts are in `mount-helper-facts.md` beside this file) and, instead of starting
//! `cvmfs2`, serves `<CVMFS_TEST_SNAPSHOT_DIR>/<fqrn>` through `cvmfs-snapshot-server`,
//! which produces a real FUSE mount of the client's shape (`fuse`, source `cvmfs2`).
//! Built only with the `test-stand-ins` feature (tests and benchmarks).
//!
//! Configuration comes from the client's files, read with the client's layering from
//! `$CVMFS_TEST_CONFIG_DIR` (default `/etc/cvmfs`). Test-only parameters:
//! `CVMFS_TEST_SNAPSHOT_DIR` (where repository data lives), `CVMFS_TEST_SERVER` (the
//! server program; default: `cvmfs-snapshot-server` beside this program),
//! `CVMFS_TEST_MOUNT_DELAY_MS`, `CVMFS_TEST_REVISION`, and `CVMFS_TEST_TRUNCATE_MESSAGES`
//! (cut relayed client messages to their first letter, as the real helper sometimes does).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use cvmfs_core::config::{EffectiveConfig, parse_switch};
use cvmfs_core::{Domain, Fqrn, MountTable};
use cvmfs_mount::client_config::load_effective;
use cvmfs_mount::directory_server::ServerArgs;
use cvmfs_mount::host_facts::{FactRequest, HostFacts};
use cvmfs_mount::sys::{LinuxOps, MountOps, ServerSpawn, ServerStart};

const USAGE: &str = "Usage: cvmfs-test-mount-helper <repository> <mountpoint> [-o <options>] [-f] [-n] [-v] [-h]\n\
A test stand-in for mount.cvmfs: it serves local snapshots, it is not the CVMFS client.";

struct Args {
    repository: String,
    mountpoint: PathBuf,
    options: Vec<String>,
    dry_run: bool,
}

enum Parsed {
    Run(Args),
    Help,
    Invalid(String),
}

fn parse(program: &str, argv: &[String]) -> Parsed {
    let mut positional = Vec::new();
    let mut options = Vec::new();
    let mut dry_run = false;
    let mut i = 0;
    while i < argv.len() {
        let arg = &argv[i];
        match arg.as_str() {
            "-o" => {
                i += 1;
                match argv.get(i) {
                    Some(value) => options.extend(value.split(',').map(str::to_owned)),
                    None => {
                        return Parsed::Invalid(format!(
                            "{program}: option requires an argument -- 'o'"
                        ));
                    }
                }
            }
            "-f" => dry_run = true,
            "-n" | "-v" => {}
            "-h" => return Parsed::Help,
            flag if flag.starts_with('-') && flag.len() > 1 => {
                let letter = flag.chars().nth(1).unwrap_or('-');
                return Parsed::Invalid(format!("{program}: invalid option -- '{letter}'"));
            }
            _ => positional.push(arg.clone()),
        }
        i += 1;
    }
    match positional.as_slice() {
        [repository, mountpoint] => Parsed::Run(Args {
            repository: repository.clone(),
            mountpoint: PathBuf::from(mountpoint),
            options,
            dry_run,
        }),
        _ => Parsed::Invalid(USAGE.to_owned()),
    }
}

/// Prints a failure the way the helper relays it and returns the exit code.
fn fail(code: u8, message: &str, truncate: bool) -> ExitCode {
    let shown = if truncate {
        message.chars().take(1).collect::<String>()
    } else {
        message.to_owned()
    };
    eprintln!("{shown}");
    ExitCode::from(code)
}

fn server_program(config: &EffectiveConfig) -> PathBuf {
    if let Some(program) = config.get("CVMFS_TEST_SERVER") {
        return PathBuf::from(program);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("cvmfs-snapshot-server")))
        .unwrap_or_else(|| PathBuf::from("cvmfs-snapshot-server"))
}

/// The mountpoint where `fqrn` is already served, if any (dead mounts do not count).
fn already_mounted(ops: &LinuxOps, fqrn: &Fqrn) -> Option<PathBuf> {
    let text = ops.mountinfo().ok()?;
    let table = MountTable::parse(&text).ok()?;
    table
        .mounts()
        .iter()
        .filter(|m| m.is_client_mount())
        .map(|m| m.mount_point_path().to_owned())
        .find(|mp| ops.getxattr(mp, "user.fqrn").ok().as_deref() == Some(fqrn.as_str().as_bytes()))
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let program = argv
        .first()
        .cloned()
        .unwrap_or_else(|| "mount.cvmfs".to_owned());
    let args = match parse(&program, &argv[1..]) {
        Parsed::Run(args) => args,
        Parsed::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Parsed::Invalid(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    let config_dir = std::env::var_os("CVMFS_TEST_CONFIG_DIR")
        .map_or_else(|| PathBuf::from("/etc/cvmfs"), PathBuf::from);
    // A leading path in the repository argument is dropped.
    let name = args
        .repository
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let domain = Domain::parse("cern.ch").unwrap_or_default();
    let Ok(fqrn) = Fqrn::expand(&name, &domain) else {
        return fail(
            1,
            &format!("Invalid repository: {}", args.repository),
            false,
        );
    };
    let config = load_effective(&config_dir, Path::new("/cvmfs"), &fqrn);
    let switch = |key: &str| config.get(key).and_then(parse_switch).unwrap_or(false);
    let truncate = switch("CVMFS_TEST_TRUNCATE_MESSAGES");
    let user = config.get("CVMFS_USER").unwrap_or("cvmfs").to_owned();
    let facts = HostFacts::gather(&FactRequest {
        executables: Vec::new(),
        users: vec![user.clone()],
    });
    let ids = facts.user_ids(&user);
    if args.dry_run {
        let (uid, gid) = ids.unwrap_or((0, 0));
        let mut options = args.options.join(",");
        if !options.is_empty() {
            options.push(',');
        }
        println!(
            "/usr/bin/cvmfs2 -o {options}system_mount,fsname=cvmfs2,allow_other,grab_mountpoint,uid={uid},gid={gid} {fqrn} {}",
            args.mountpoint.display()
        );
        return ExitCode::SUCCESS;
    }
    if !facts.is_root {
        return fail(1, "Failed to create socket directory", false);
    }
    let single = config.get("CVMFS_CLIENT_PROFILE") == Some("single");
    if config
        .get("CVMFS_HTTP_PROXY")
        .is_none_or(|p| p.trim().is_empty())
        && !single
    {
        return fail(1, "CVMFS_HTTP_PROXY required", false);
    }
    if ids.is_none() {
        return fail(
            1,
            &format!("Failed to find user {user} in passwd database"),
            false,
        );
    }
    // Strict mount allows the listed repositories and the configuration repository.
    let listed = config.get("CVMFS_REPOSITORIES").is_some_and(|list| {
        list.split(',')
            .any(|r| r.trim() == fqrn.as_str() || r.trim() == fqrn.org())
    }) || config.get("CVMFS_CONFIG_REPOSITORY") == Some(fqrn.as_str());
    if switch("CVMFS_STRICT_MOUNT") && !listed {
        return fail(
            1,
            &format!("Not allowed to mount {fqrn}, add it to CVMFS_REPOSITORIES"),
            false,
        );
    }
    let program = server_program(&config);
    if !program.is_file() {
        return fail(1, "Failed to locate the cvmfs2 binary", false);
    }
    let ops = LinuxOps;
    let remount = args.options.iter().any(|o| o == "remount");
    let mounted_on = already_mounted(&ops, &fqrn);
    if remount {
        // A remount only pretends to act on a mounted repository; there is none here.
        return match mounted_on {
            Some(_) => ExitCode::SUCCESS,
            None => fail(1, &format!("Repository {fqrn} is not mounted"), false),
        };
    }
    if let Some(mounted_on) = mounted_on {
        return fail(
            1,
            &format!(
                "Repository {fqrn} is already mounted on {}",
                mounted_on.display()
            ),
            false,
        );
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "CernVM-FS: loading Fuse module... ");
        let _ = out.flush();
    }
    match std::fs::metadata(&args.mountpoint) {
        Ok(meta) if meta.is_dir() => {}
        Err(err) if err.raw_os_error() == Some(nix::libc::ENOTCONN) => {
            return fail(
                32,
                &format!(
                    "Failed to grab mountpoint {} (30)",
                    args.mountpoint.display()
                ),
                truncate,
            );
        }
        _ => {
            return fail(
                32,
                &format!("Mount point {} does not exist", args.mountpoint.display()),
                truncate,
            );
        }
    }
    let nfiles = config
        .get("CVMFS_NFILES")
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(131_072);
    if facts.nofile_hard.is_some_and(|hard| nfiles > hard) {
        return fail(
            32,
            "Failed to set maximum number of open files, insufficient permissions",
            truncate,
        );
    }
    if facts.dev_fuse.is_none_or(|fuse| !fuse.read_write_for(ids)) {
        return fail(
            32,
            "fuse: failed to open /dev/fuse: Permission denied\nfailed to mount file system",
            truncate,
        );
    }
    let data = config
        .get("CVMFS_TEST_SNAPSHOT_DIR")
        .map(|dir| Path::new(dir).join(fqrn.as_str()));
    let Some(data) = data.filter(|d| d.is_dir()) else {
        return fail(
            32,
            "Failed to initialize root file catalog (16 - file catalog failure)",
            truncate,
        );
    };
    let mut server = ServerArgs::new(data, args.mountpoint.clone(), fqrn.as_str());
    if let Some(revision) = config.get("CVMFS_TEST_REVISION") {
        server.revision = revision.to_owned();
    }
    if let Some(delay) = config.get("CVMFS_TEST_MOUNT_DELAY_MS") {
        match delay.parse() {
            Ok(millis) => server.mount_delay_ms = millis,
            Err(_) => {
                let message = format!("CVMFS_TEST_MOUNT_DELAY_MS takes a number, not {delay:?}");
                return fail(32, &message, truncate);
            }
        }
    }
    let spawn = ServerSpawn {
        program,
        args: server.to_args(),
        ready_timeout: Duration::from_secs(30),
    };
    match ops.spawn_server(&spawn) {
        Ok(ServerStart::Ready { .. }) => {
            println!(
                "done\nCernVM-FS: mounted cvmfs on {}",
                args.mountpoint.display()
            );
            ExitCode::SUCCESS
        }
        Ok(ServerStart::Failed { message }) => fail(
            32,
            &format!("{message}\nfailed to mount file system"),
            truncate,
        ),
        Ok(ServerStart::TimedOut) => fail(
            32,
            "failed to mount file system (4 - failed to mount)",
            truncate,
        ),
        Err(err) => fail(32, &format!("{err}\nfailed to mount file system"), truncate),
    }
}
