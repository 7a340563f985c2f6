//! `entrypoint`: the container's PID 1, replacing the anchor's `run.sh`. The sequence
//! is the library's ([`run_entrypoint`]); this module validates the input and words each
//! event the way the anchor did.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use cvmfs_core::remap::{IdPolicy, IdRequest};
use cvmfs_mount::container::entrypoint::{
    EntrypointConfig, EntrypointError, EntrypointEvent, command_line, run_entrypoint,
};
use cvmfs_mount::container::shell_profile::ShellProfile;

use crate::args::EntrypointArgs;
use crate::engine_setup::engine;
use crate::error::{CliError, InputProblem};
use crate::exit_code;
use crate::plan_input::{SourceUse, build_plan};
use crate::report_output::{
    NOTHING_TO_CHECK, check_line, finish_streamed, print_report, streamed_lines,
};

/// The shell for interactive use and for options: bash where the image has it.
fn shell() -> &'static Path {
    if Path::new("/bin/bash").exists() {
        Path::new("/bin/bash")
    } else {
        Path::new("/bin/sh")
    }
}

/// One event as a JSON line (`--json`): `{"event": name, ...}` on standard output, for
/// log collectors; the command's own output follows as it is.
fn event_json(event: &EntrypointEvent) -> serde_json::Value {
    use serde_json::json;
    let error = |e: &cvmfs_mount::MountError| cvmfs_mount::report::ErrorReport::from(e);
    match event {
        EntrypointEvent::RemapNotice(line) => json!({"event": "remap-notice", "message": line}),
        EntrypointEvent::RemapAction(action) => json!({"event": "remap", "action": action}),
        EntrypointEvent::HomeOwned { home, report } => json!({
            "event": "home-owned", "home": home, "visited": report.visited, "changed": report.changed,
        }),
        EntrypointEvent::HomeFailed { home, error: e } => {
            json!({"event": "home-failed", "home": home, "error": error(e)})
        }
        EntrypointEvent::Mounted(report) => json!({"event": "mounted", "report": report}),
        EntrypointEvent::NothingToCheck => json!({"event": "nothing-to-check"}),
        EntrypointEvent::Checked {
            repositories,
            results,
            error: e,
        } => json!({
            "event": "checked", "repositories": repositories, "results": results,
            "error": e.as_ref().map(error),
        }),
        EntrypointEvent::EnvironmentScript { script, exists, .. } => {
            json!({"event": "environment-script", "script": script, "exists": exists})
        }
        EntrypointEvent::ShellProfile { result } => match result {
            Ok(path) => json!({"event": "shell-profile", "path": path}),
            Err(e) => json!({"event": "shell-profile", "error": error(e)}),
        },
        EntrypointEvent::Repaired(report) => json!({"event": "repaired", "report": report}),
        EntrypointEvent::Unmounted(report) => json!({"event": "unmounted", "report": report}),
        EntrypointEvent::StoppedBeforeCommand { signal, undone } => json!({
            "event": "stopped-before-command", "signal": signal.as_str(), "undone": undone,
        }),
        EntrypointEvent::CommandFailed {
            command,
            user,
            error: e,
        } => json!({
            "event": "command-failed",
            "command": command.iter().map(|w| w.to_string_lossy()).collect::<Vec<_>>(),
            "user": user, "error": e.to_string(),
        }),
    }
}

/// Writes one event as a JSON line on standard output.
fn say_json(event: EntrypointEvent) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", event_json(&event));
    let _ = out.flush();
}

/// Writes one event the way the anchor's `run.sh` worded it: progress on standard
/// output, problems on standard error.
fn say(event: EntrypointEvent) {
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    // A closed standard output must not stop PID 1: the lines are informational.
    let _ = match event {
        EntrypointEvent::RemapNotice(line) => writeln!(out, "{line}"),
        EntrypointEvent::RemapAction(action) => {
            log::info!("{}", serde_json::to_string(&action).unwrap_or_default());
            Ok(())
        }
        EntrypointEvent::HomeOwned { home, report } => {
            log::info!(
                "home {}: {} entries visited, {} changed, {} mounts left alone{}",
                home.display(),
                report.visited,
                report.changed,
                report.skipped_mounts.len(),
                report
                    .not_walked
                    .map(|w| format!(" (not walked: {w})"))
                    .unwrap_or_default()
            );
            Ok(())
        }
        EntrypointEvent::HomeFailed { error, .. } => writeln!(err, "warning: {error}"),
        // Each repository's line was printed as it finished (streamed_lines).
        EntrypointEvent::Mounted(report) => {
            finish_streamed(&report, &mut out).map(|_| ()).or(Ok(()))
        }
        EntrypointEvent::NothingToCheck => writeln!(out, "{NOTHING_TO_CHECK}"),
        EntrypointEvent::Checked {
            repositories,
            results,
            error,
        } => {
            let healthy = error.is_none() && results.iter().all(|r| r.health.is_healthy());
            let mut text = format!("{}\n", check_line(healthy));
            if healthy {
                text.push_str("\tThe following CVMFS folders have been successfully mounted:\n");
                for name in &repositories {
                    text.push_str(&format!("\t\t{name}\n"));
                }
            } else {
                for result in results.iter().filter(|r| !r.health.is_healthy()) {
                    text.push_str(&format!("\t{}: {}\n", result.path.display(), result.health));
                }
                if let Some(error) = error {
                    text.push_str(&format!("\t{error}\n"));
                }
                text.push_str(
                    "\tAt least one CVMFS repository is not healthy; the shell starts anyway.\n",
                );
            }
            out.write_all(text.as_bytes())
        }
        EntrypointEvent::EnvironmentScript {
            script,
            exists: true,
            ..
        } => writeln!(
            out,
            "Set up the environment with: source {}",
            script.display()
        ),
        EntrypointEvent::EnvironmentScript {
            missing_message, ..
        } => writeln!(out, "{missing_message}"),
        EntrypointEvent::ShellProfile { result: Ok(path) } => {
            log::info!("interactive shells run {}", path.display());
            Ok(())
        }
        EntrypointEvent::ShellProfile { result: Err(error) } => {
            writeln!(err, "warning: interactive shells are left alone: {error}")
        }
        EntrypointEvent::Unmounted(report) => {
            if report.status() == cvmfs_mount::Status::Complete {
                log::info!(
                    "unmounted {} entries this run mounted",
                    report.entries.len()
                );
                Ok(())
            } else {
                let _ = writeln!(err, "unmounting what this run mounted:");
                print_report(&report, false, &mut err)
                    .map(|_| ())
                    .or(Ok(()))
            }
        }
        EntrypointEvent::Repaired(report) => {
            let _ = writeln!(err, "watch: a repository needed repair");
            print_report(&report, false, &mut err)
                .map(|_| ())
                .or(Ok(()))
        }
        EntrypointEvent::StoppedBeforeCommand { signal, undone } => {
            let _ = writeln!(err, "stopped by {signal} before the command started");
            print_report(&undone, false, &mut err)
                .map(|_| ())
                .or(Ok(()))
        }
        EntrypointEvent::CommandFailed {
            command,
            user,
            error,
        } => writeln!(err, "cannot run {command:?} as {user}: {error}"),
    };
    let _ = out.flush();
}

/// The commands interactive shells run: a fast check of the plan's repositories and the
/// environment for them, through this executable.
fn shell_profile(plan: &cvmfs_core::MountPlan) -> ShellProfile {
    let config = plan.config_repository();
    let names: Vec<String> = plan
        .repositories()
        .into_iter()
        .filter(|fqrn| Some(*fqrn) != config)
        .map(|fqrn| fqrn.as_str().to_owned())
        .collect();
    let root = plan.root().display().to_string();
    // Every name joins the catalog, so the checks accept exactly what was mounted.
    let catalog: Vec<String> = names
        .iter()
        .flat_map(|name| ["--add-repository".to_owned(), name.clone()])
        .chain([
            "--config-repository".to_owned(),
            config.map_or_else(|| "none".to_owned(), |c| c.as_str().to_owned()),
        ])
        .collect();
    let mounts = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(" ")
    };
    let mut check_args: Vec<String> = [
        "check",
        "--backend",
        plan.backend().name(),
        "--root",
        &root,
        "--mounts",
        &mounts,
        "--probe-timeout-ms",
        "1000",
    ]
    .map(str::to_owned)
    .to_vec();
    if let cvmfs_core::Backend::HostBind {
        plain_source: true, ..
    } = plan.backend()
    {
        check_args.push("--plain-source".to_owned());
    }
    check_args.extend(catalog.iter().cloned());
    let mut env_args: Vec<String> = ["env", "--root", &root, "--mounts", &mounts]
        .map(str::to_owned)
        .to_vec();
    env_args.extend(catalog);
    ShellProfile {
        cli: std::env::current_exe().unwrap_or_else(|_| "cvmfs-cli".into()),
        check_args,
        env_args,
    }
}

/// Runs the entrypoint; returns the command's exit status.
pub fn run(args: &EntrypointArgs) -> Result<u8, CliError> {
    // Validate everything before changing anything; report every problem at once.
    let policy = IdPolicy {
        allow_root: args.allow_root_ids,
        allow_overflow: args.allow_nobody_ids,
    };
    let my_uid = std::env::var("MY_UID").ok();
    let my_gid = std::env::var("MY_GID").ok();
    let ids = IdRequest::from_values(
        my_uid.as_deref(),
        my_gid.as_deref(),
        Some(&args.user),
        policy,
    );
    let (ids, request) = match (
        ids,
        build_plan(&args.selection, SourceUse::Mounts, &args.engine.config_dir),
    ) {
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
    let command = command_line(&args.command, shell());
    if args.dry_run {
        let mut text = request.plan.to_table(None);
        let id = |what: &str, id: Option<u32>| {
            id.map_or_else(|| format!("{what} unchanged"), |id| format!("{what} {id}"))
        };
        text.push_str(&format!(
            "Dry run: nothing was changed. The entrypoint would mount the plan, remap {} ({}, {}) and run `{}` as {}.\n",
            ids.user,
            id("uid", ids.uid),
            id("gid", ids.gid),
            crate::commands::shell_line(&command),
            ids.user,
        ));
        crate::commands::emit(&mut std::io::stdout().lock(), &text)?;
        return Ok(exit_code::SUCCESS);
    }
    let engine = engine(&request.plan, &args.engine);
    // Text: each repository's line as it finishes; JSON: the mounted event says it all.
    let engine = if args.json {
        engine
    } else {
        engine.with_progress(streamed_lines(
            cvmfs_mount::Operation::Mount,
            request.plan.backend().kind(),
        ))
    };
    let shell_profile = (!args.no_shell_profile).then(|| shell_profile(&request.plan));
    let config = EntrypointConfig {
        etc: args.etc.clone(),
        ids,
        plan: request.plan,
        command,
        shell_profile,
        watch: args
            .watch
            .then(|| Duration::from_millis(args.watch_interval_ms)),
    };
    let outcome = if args.json {
        run_entrypoint(&engine, &config, &say_json)
    } else {
        run_entrypoint(&engine, &config, &say)
    };
    match outcome {
        Ok(code) => Ok(u8::try_from(code).unwrap_or(exit_code::INTERNAL)),
        Err(EntrypointError::Remap { source }) => Err(CliError::Engine { source }),
        Err(EntrypointError::Signals { source }) => Err(CliError::Signals { source }),
    }
}
