//! `watch`: repair at an interval until SIGINT/SIGTERM or a number of rounds.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cvmfs_mount::{Outcome, StopSignal, watch};

use crate::args::WatchArgs;
use crate::engine_setup::engine;
use crate::error::CliError;
use crate::exit_code;
use crate::plan_input::{SourceUse, build_plan};

/// Runs `watch`; returns 0 after a clean stop.
pub fn run(args: &WatchArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    if args.operate.dry_run {
        let then = format!(
            "watch would repair what is not healthy every {} ms.",
            args.interval_ms
        );
        return crate::commands::plan::dry_run(
            &args.operate.selection,
            &args.operate.output,
            SourceUse::Mounts,
            &args.operate.engine.config_dir,
            &then,
            out,
            err,
        );
    }
    let request = build_plan(
        &args.operate.selection,
        SourceUse::Mounts,
        &args.operate.engine.config_dir,
    )?;
    for warning in &request.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    let plan = request.plan;
    let engine = engine(&plan, &args.operate.engine);
    let stop = StopSignal::new();
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registration fails only for forbidden signals; these two are allowed.
        let _ = signal_hook::flag::register(signal, Arc::clone(&interrupted));
    }
    // Turn the signal flag into a prompt stop of the loop.
    let watcher = {
        let (stop, interrupted) = (stop.clone(), Arc::clone(&interrupted));
        std::thread::spawn(move || {
            while !stop.is_stopped() {
                if interrupted.load(Ordering::SeqCst) {
                    stop.stop();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let mut rounds = 0;
    let mut failure = None;
    watch(
        &engine,
        &plan,
        Duration::from_millis(args.interval_ms),
        &stop,
        |report| {
            rounds += 1;
            for entry in report
                .entries
                .iter()
                .filter(|e| !matches!(e.outcome, Outcome::Healthy))
            {
                let written = if args.operate.output.json {
                    let line = serde_json::to_string(entry).unwrap_or_default();
                    writeln!(out, "{line}")
                } else {
                    let name = entry.name();
                    let error = entry
                        .error
                        .as_ref()
                        .map(|e| format!(": {}", e.message))
                        .unwrap_or_default();
                    writeln!(out, "round {rounds}: {name} {:?}{error}", entry.outcome)
                };
                if let Err(e) = written {
                    failure = Some(e);
                }
            }
            if failure.is_some() || args.rounds.is_some_and(|n| rounds >= n) {
                stop.stop();
            }
        },
    );
    stop.stop();
    let _ = watcher.join();
    if let Some(source) = failure {
        return Err(CliError::WriteOutput { source });
    }
    let _ = writeln!(err, "watch stopped after {rounds} round(s)");
    Ok(exit_code::SUCCESS)
}
