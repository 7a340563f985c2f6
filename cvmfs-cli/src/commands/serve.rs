//! `serve`: run the snapshot FUSE server in the foreground, or detached.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use cvmfs_core::Fqrn;

use cvmfs_mount::directory_server::{ServerArgs, run_server};
use cvmfs_mount::mountpoint::{create_mountpoint, ensure_empty};
use cvmfs_mount::sys::{LinuxOps, MountOps, PathKind, ServerSpawn, ServerStart};

use crate::args::ServeArgs;
use crate::error::{CliError, InputProblem};
use crate::exit_code;

/// The server's arguments, validated: every problem with the repository name, the
/// source and the target at once, before anything is created.
fn server_args(args: &ServeArgs) -> Result<ServerArgs, CliError> {
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|source| CliError::CurrentDir {
            path: p.to_owned(),
            source,
        })
    };
    let (source, target) = (absolute(&args.source)?, absolute(&args.target)?);
    let mut problems: Vec<InputProblem> = Vec::new();
    if let Err(err) = Fqrn::parse(&args.fqrn) {
        problems.push(err.into());
    }
    if LinuxOps.lstat(&source) != Ok(PathKind::Directory) {
        problems.push(InputProblem::Option {
            option: "--source",
            message: format!("{} is not a directory", source.display()),
        });
    }
    match LinuxOps.lstat(&target) {
        Ok(PathKind::Directory) => {
            if let Err(err) = ensure_empty(&LinuxOps, &target, false) {
                problems.push(InputProblem::Option {
                    option: "--target",
                    message: format!("{err}; serving there would hide its files"),
                });
            }
        }
        Err(nix::errno::Errno::ENOENT) => {}
        Ok(_) => problems.push(InputProblem::Option {
            option: "--target",
            message: format!("{} is not a directory", target.display()),
        }),
        Err(errno) => problems.push(InputProblem::Option {
            option: "--target",
            message: format!("cannot inspect {}: {errno}", target.display()),
        }),
    }
    if !problems.is_empty() {
        return Err(CliError::InvalidInput { problems });
    }
    Ok(ServerArgs {
        source,
        target,
        fqrn: args.fqrn.clone(),
        revision: args.revision.clone(),
        latency_ms: args.latency_ms,
        mount_delay_ms: args.mount_delay_ms,
        hang: args.hang,
    })
}

/// Runs `serve`; returns the server's exit code, or 0 once a detached server is ready.
pub fn run(args: &ServeArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let server = server_args(args)?;
    let as_json = |pid: Option<u32>, dry_run: bool| {
        let value = serde_json::json!({
            "source": server.source,
            "target": server.target,
            "fqrn": server.fqrn,
            "revision": server.revision,
            "pid": pid,
            "dry_run": dry_run,
            "stand_in": "the snapshot FUSE stand-in, not the CVMFS client",
        });
        format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
    };
    if args.dry_run && args.json {
        crate::commands::emit(out, &as_json(None, true))?;
        return Ok(exit_code::SUCCESS);
    }
    if args.dry_run {
        crate::commands::emit(
            out,
            &format!(
                "Dry run: nothing was changed. serve would create {} if missing and serve {} read-only there as {} (revision {}) through the snapshot FUSE stand-in, which is not the CVMFS client.\n",
                server.target.display(),
                server.source.display(),
                server.fqrn,
                server.revision
            ),
        )?;
        return Ok(exit_code::SUCCESS);
    }
    create_mountpoint(&LinuxOps, &server.target, &server.target)
        .map_err(|source| CliError::Engine { source })?;
    if !args.detach {
        return Ok(u8::try_from(run_server(&server)).unwrap_or(exit_code::TOTAL));
    }
    let program = std::env::current_exe().map_err(|source| CliError::Serve {
        message: format!("cannot find this program: {source}"),
    })?;
    let mut child_args: Vec<OsString> = vec!["serve".into()];
    child_args.extend(server.to_args());
    let spawn = ServerSpawn {
        program,
        args: child_args,
        ready_timeout: Duration::from_millis(10_000 + server.mount_delay_ms),
    };
    match LinuxOps.spawn_server(&spawn) {
        Ok(ServerStart::Ready { pid, .. }) => {
            let text = if args.json {
                as_json(Some(pid), false)
            } else {
                format!(
                    "serving {} at {} (pid {pid})\n",
                    server.source.display(),
                    server.target.display()
                )
            };
            crate::commands::emit(out, &text)?;
            Ok(exit_code::SUCCESS)
        }
        Ok(ServerStart::Failed { message }) => Err(CliError::Serve { message }),
        Ok(ServerStart::TimedOut) => Err(CliError::Serve {
            message: "not ready in time; killed".to_owned(),
        }),
        Err(source) => Err(CliError::Serve {
            message: source.to_string(),
        }),
    }
}
