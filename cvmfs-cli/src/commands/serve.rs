//! `serve`: run the snapshot FUSE server in the foreground, or detached.

use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

use cvmfs_mount::directory_server::{ServerArgs, run_server};
use cvmfs_mount::sys::{LinuxOps, MountOps, ServerSpawn, ServerStart};

use crate::args::ServeArgs;
use crate::error::CliError;
use crate::exit_code;

fn server_args(args: &ServeArgs) -> Result<ServerArgs, CliError> {
    let absolute = |p: &std::path::Path| {
        std::path::absolute(p).map_err(|source| CliError::CurrentDir {
            path: p.to_owned(),
            source,
        })
    };
    Ok(ServerArgs {
        source: absolute(&args.source)?,
        target: absolute(&args.target)?,
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
        Ok(ServerStart::Ready { pid }) => {
            crate::commands::emit(
                out,
                &format!(
                    "serving {} at {} (pid {pid})\n",
                    server.source.display(),
                    server.target.display()
                ),
            )?;
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
