//! `env`: the interactive environment for the selection.

use std::io::Write;

use cvmfs_core::environment::{ElRelease, EnvironmentOptions, EnvironmentSetup, Shell};

use crate::args::EnvArgs;
use crate::error::{CliError, InputProblem};
use crate::exit_code;

/// Runs `env`.
pub fn run(args: &EnvArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut problems: Vec<InputProblem> = Vec::new();
    let shell = args
        .shell
        .parse::<Shell>()
        .map_err(|e| problems.push(e.into()))
        .ok();
    let el = args
        .el
        .parse::<ElRelease>()
        .map_err(|e| problems.push(e.into()))
        .ok();
    let selection =
        crate::plan_input::selection(args.mounts.as_deref(), &args.catalog, &mut problems);
    let (Some(shell), Some(el), Some(selection), true) =
        (shell, el, selection, problems.is_empty())
    else {
        return Err(CliError::InvalidInput { problems });
    };
    let options = EnvironmentOptions {
        root: args.root.clone(),
        el,
        arch: args.arch.clone(),
    };
    let setup = EnvironmentSetup::for_selection(&selection, &options);
    let text = if args.json {
        format!("{}\n", setup.to_json())
    } else {
        setup.render(shell)
    };
    crate::commands::emit(out, &text)?;
    Ok(exit_code::SUCCESS)
}
