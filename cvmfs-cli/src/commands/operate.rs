//! `mount`, `umount`, `check` and `repair`: the plan, executed by the engine.

use std::io::Write;

use crate::args::OperateArgs;
use crate::engine_setup::engine_with_progress;
use crate::error::CliError;
use crate::plan_input::{SourceUse, build_plan};
use crate::report_output::{print_probes, print_report};

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
            then,
            out,
            err,
        );
    }
    let request = build_plan(&args.selection, source_use)?;
    for warning in &request.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    let plan = request.plan;
    let engine = engine_with_progress(&plan, &args.engine, args.output.json);
    let json = args.output.json;
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
            print_report(&engine.mount(&plan), json, out)
        }
        Operation::Unmount => print_report(&engine.unmount(&plan), json, out),
        Operation::Repair => print_report(&engine.repair(&plan), json, out),
        Operation::Check => {
            let results = engine
                .probe_isolated(&plan)
                .map_err(|source| CliError::Engine { source })?;
            print_probes(&results, json, out)
        }
    }
}
