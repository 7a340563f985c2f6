//! `cvmfs-cli plan`: print the plan, change nothing.

use std::io::Write;
use std::path::Path;

use crate::args::CLIENT_CONFIG_DIR;
use crate::args::{OutputArgs, PlanArgs, SelectionArgs};
use crate::error::CliError;
use crate::exit_code;
use crate::plan_input::{SourceUse, build_plan};

/// Runs `plan`; returns the exit code.
pub fn run(args: &PlanArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    print(
        &args.selection,
        &args.output,
        SourceUse::NotRead,
        Path::new(CLIENT_CONFIG_DIR),
        out,
        err,
    )
}

/// What a dry run of an acting command shows: the plan, validated as the command would
/// validate it, then (in the table form) what the command would do next.
pub fn dry_run(
    selection: &SelectionArgs,
    output: &OutputArgs,
    source_use: SourceUse,
    client_config_dir: &Path,
    then: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    let code = print(selection, output, source_use, client_config_dir, out, err)?;
    if !output.json && !output.toml {
        crate::commands::emit(out, &format!("Dry run: nothing was changed. {then}\n"))?;
    }
    Ok(code)
}

/// Prints the plan for the selection in the requested format.
pub fn print(
    selection: &SelectionArgs,
    output: &OutputArgs,
    source_use: SourceUse,
    client_config_dir: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    let request = build_plan(selection, source_use, client_config_dir)?;
    for warning in &request.warnings {
        // Warnings are advisory: a closed stderr must not fail the plan.
        let _ = writeln!(err, "warning: {warning}");
    }
    let text = if output.json {
        format!("{}\n", request.plan.to_json())
    } else if output.toml {
        request.plan.to_toml().map_err(|e| CliError::InvalidInput {
            problems: vec![e.into()],
        })?
    } else {
        request.plan.to_table(None)
    };
    crate::commands::emit(out, &text)?;
    Ok(exit_code::SUCCESS)
}
