//! `mount`, `umount`, `check` and `repair`: the plan, executed by the engine.

use std::io::Write;

use crate::args::OperateArgs;
use crate::engine_setup::engine;
use crate::error::CliError;
use crate::plan_input::{SourceUse, build_plan};
use crate::report_output::{finish_streamed, print_probes, print_report, streamed_lines};

/// What to do with the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Mount.
    Mount,
    /// Unmount.
    Unmount,
    /// Probe.
    Check,
    /// Repair.
    Repair,
}

/// Runs one operation; returns the exit code.
pub fn run(
    operation: Operation,
    args: &OperateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    let source_use = match operation {
        Operation::Mount | Operation::Repair => SourceUse::Mounts,
        Operation::Unmount | Operation::Check => SourceUse::NotRead,
    };
    if args.dry_run {
        let then = match operation {
            Operation::Mount => "mount would run these steps.",
            Operation::Unmount => "umount would unmount in the order above.",
            Operation::Check => "check would probe each target.",
            Operation::Repair => "repair would remount what is not healthy.",
        };
        return crate::commands::plan::dry_run(
            &args.selection,
            &args.output,
            source_use,
            &args.engine.config_dir,
            then,
            out,
            err,
        );
    }
    let request = build_plan(&args.selection, source_use, &args.engine.config_dir)?;
    for warning in &request.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    let plan = request.plan;
    let json = args.output.json;
    // Text output: each repository's line as soon as it is done, whatever stdout is.
    let streamed = match operation {
        Operation::Mount => Some(cvmfs_mount::Operation::Mount),
        Operation::Repair => Some(cvmfs_mount::Operation::Repair),
        Operation::Unmount | Operation::Check => None,
    }
    .filter(|_| !json);
    let engine = match streamed {
        Some(done) => {
            engine(&plan, &args.engine).with_progress(streamed_lines(done, plan.backend().kind()))
        }
        None => engine(&plan, &args.engine),
    };
    let finish = |report: &cvmfs_mount::PlanReport, out: &mut dyn Write| {
        if json {
            print_report(report, true, out)
        } else {
            finish_streamed(report, out)
        }
    };
    match operation {
        Operation::Mount => {
            for need in engine.preflight(&plan) {
                let kind = if need.blocking { "problem" } else { "warning" };
                let _ = writeln!(err, "{kind}: {} (fix: {})", need.problem, need.fix);
            }
            log::info!(
                "mounting {} entries with {}",
                plan.entries().len(),
                plan.backend()
            );
            finish(&engine.mount(&plan), out)
        }
        Operation::Unmount => print_report(&engine.unmount(&plan), json, out),
        Operation::Repair => finish(&engine.repair(&plan), out),
        Operation::Check => {
            let results = engine
                .probe_isolated(&plan)
                .map_err(|source| CliError::Engine { source })?;
            print_probes(&results, json, out)
        }
    }
}
