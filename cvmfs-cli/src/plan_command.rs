//! `cvmfs-cli plan`: print the plan, change nothing.

use std::io::Write;

use crate::args::PlanArgs;
use crate::error::CliError;
use crate::exit_code;
use crate::plan_input::build_plan;

/// Runs `plan`; returns the exit code.
pub fn run(args: &PlanArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    let request = build_plan(&args.selection)?;
    for warning in &request.warnings {
        // Warnings are advisory: a closed stderr must not fail the plan.
        let _ = writeln!(err, "warning: {warning}");
    }
    let text = if args.output.json {
        format!("{}\n", request.plan.to_json())
    } else if args.output.toml {
        request.plan.to_toml().map_err(|e| CliError::InvalidInput {
            problems: vec![e.into()],
        })?
    } else {
        request.plan.to_table(None)
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| CliError::WriteOutput { source })?;
    Ok(exit_code::SUCCESS)
}
