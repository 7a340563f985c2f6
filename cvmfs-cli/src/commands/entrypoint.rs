//! `entrypoint`: the container's PID 1, replacing the anchor's `run.sh`.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use cvmfs_core::Selection;
use cvmfs_core::environment::{EnvironmentOptions, EnvironmentSetup};
use cvmfs_core::remap::{IdPolicy, IdRequest};
use cvmfs_mount::accounts::{AccountFiles, apply_remap};
use cvmfs_mount::home_ownership::chown_home;
use cvmfs_mount::init::{Credentials, spawn_unprivileged, supervise};
use cvmfs_mount::{StopSignal, watch};

use crate::args::EntrypointArgs;
use crate::engine_setup::engine;
use crate::error::{CliError, InputProblem};
use crate::exit_code;
use crate::plan_input::build_plan;
use crate::report_output::print_report;

/// The command to run: a shell, bash with the given options, or the command itself.
fn command_line(args: &[OsString]) -> Vec<OsString> {
    let shell = if Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    match args.first() {
        None => vec![OsString::from(shell)],
        Some(first) if first.to_string_lossy().starts_with('-') => {
            std::iter::once(OsString::from(shell))
                .chain(args.iter().cloned())
                .collect()
        }
        Some(_) => args.to_vec(),
    }
}

/// Runs the entrypoint; returns the command's exit status.
pub fn run(
    args: &EntrypointArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    // 1. Validate everything before changing anything.
    let policy = IdPolicy {
        allow_root: args.allow_root_ids,
        allow_overflow: false,
    };
    let my_uid = std::env::var("MY_UID").ok();
    let my_gid = std::env::var("MY_GID").ok();
    let ids = IdRequest::from_values(
        my_uid.as_deref(),
        my_gid.as_deref(),
        Some(&args.user),
        policy,
    );
    let plan = build_plan(&args.selection);
    let (ids, request) = match (ids, plan) {
        (Ok(ids), Ok(request)) => (ids, request),
        (ids, plan) => {
            let mut problems: Vec<InputProblem> = Vec::new();
            if let Err(e) = ids {
                problems.push(e.into());
            }
            if let Err(CliError::InvalidInput { problems: more }) = plan {
                problems.extend(more);
            }
            return Err(CliError::InvalidInput { problems });
        }
    };
    let say = |out: &mut dyn Write, line: String| {
        let _ = writeln!(out, "{line}");
    };
    // 2. Remap the user and give them their files.
    let files = AccountFiles::under(&args.etc);
    let remap = apply_remap(&files, &ids).map_err(|source| CliError::Engine { source })?;
    for notice in &remap.notices {
        say(out, notice.clone());
    }
    for action in &remap.actions {
        log::info!("{}", serde_json::to_string(action).unwrap_or_default());
    }
    let home = Path::new(&remap.home);
    match chown_home(
        home,
        (remap.old_uid, remap.old_gid),
        (remap.new_uid, remap.new_gid),
    ) {
        Ok(report) => log::info!(
            "home {}: {} entries visited, {} changed, {} mounts left alone{}",
            home.display(),
            report.visited,
            report.changed,
            report.skipped_mounts.len(),
            report
                .not_walked
                .map(|w| format!(" (not walked: {w})"))
                .unwrap_or_default()
        ),
        Err(e) => say(err, format!("warning: {e}")),
    }
    // 3. Mount, with the real status of each repository; failures do not stop the shell.
    let plan = request.plan;
    let engine = engine(&plan, &args.engine);
    let _ = print_report(&engine.mount(&plan), false, out)?;
    // 4. Check.
    let repositories: Vec<String> = plan
        .repositories()
        .iter()
        .map(ToString::to_string)
        .collect();
    if repositories.is_empty() {
        say(
            out,
            "Not necessary to check the CVMFS mounts points.".to_owned(),
        );
    } else {
        let healthy = engine
            .probe(&plan)
            .map(|results| results.iter().all(|r| r.health.is_healthy()));
        if matches!(healthy, Ok(true)) {
            say(out, "Checking CVMFS mounts ... DONE".to_owned());
            say(
                out,
                "\tThe following CVMFS folders have been successfully mounted:".to_owned(),
            );
            for name in &repositories {
                say(out, format!("\t\t{name}"));
            }
        } else {
            say(out, "Checking CVMFS mounts ... FAILED".to_owned());
            say(
                out,
                "\tAt least one CVMFS repository is not healthy; the shell starts anyway."
                    .to_owned(),
            );
        }
    }
    // 5. Environment hints.
    let selection = Selection::from_repositories(plan.repositories().into_iter().cloned());
    let setup = EnvironmentSetup::for_selection(
        &selection,
        &EnvironmentOptions {
            root: plan.root().to_owned(),
            ..EnvironmentOptions::default()
        },
    );
    for script in &setup.scripts {
        if script.sh.exists() {
            say(
                out,
                format!(
                    "Set up the environment with: source {}",
                    script.sh.display()
                ),
            );
        } else {
            say(out, script.missing_message.clone());
        }
    }
    let _ = out.flush();
    // 6. Optional background repair, as root, while the command runs unprivileged.
    let stop = StopSignal::new();
    let watcher = args.watch.then(|| {
        let (engine, plan, stop) = (engine.clone(), plan.clone(), stop.clone());
        let interval = Duration::from_millis(args.watch_interval_ms);
        std::thread::spawn(move || watch(&engine, &plan, interval, &stop, |_| {}))
    });
    // 7. Drop every privilege and run the command.
    let who = Credentials {
        user: remap.user.clone(),
        uid: remap.new_uid,
        gid: remap.new_gid,
        groups: remap.group_ids(),
        home: home.to_owned(),
    };
    let command = command_line(&args.command);
    let status = spawn_unprivileged(&command, &who).and_then(supervise);
    stop.stop();
    if let Some(watcher) = watcher {
        let _ = watcher.join();
    }
    match status {
        Ok(code) => Ok(u8::try_from(code).unwrap_or(exit_code::INTERNAL)),
        Err(e) => {
            say(err, format!("cannot run {command:?} as {}: {e}", who.user));
            Ok(127)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_go_to_bash_and_commands_run_as_given() {
        let shell = command_line(&[]);
        assert_eq!(shell.len(), 1);
        let options = command_line(&["-c".into(), "echo hi".into()]);
        assert_eq!(options[1..], ["-c", "echo hi"]);
        let direct = command_line(&["python3".into(), "x.py".into()]);
        assert_eq!(direct, ["python3", "x.py"]);
    }
}
