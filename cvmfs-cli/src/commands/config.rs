//! `config show` and `config render`.

use std::io::Write;
use std::path::Path;

use cvmfs_core::config::ClientProfile;
use cvmfs_core::{Domain, Fqrn};
use cvmfs_mount::client_config::load_effective;

use crate::args::CLIENT_CONFIG_DIR;
use crate::args::{ConfigCommand, SelectionArgs, ShowConfigArgs};
use crate::error::CliError;
use crate::exit_code;
use crate::plan_input::{SourceUse, build_plan};

/// Runs a `config` subcommand.
pub fn run(
    command: &ConfigCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    match command {
        ConfigCommand::Show(args) => show(args, out, err),
        ConfigCommand::Render { selection, json } => render(selection, *json, out),
    }
}

/// Runs `config show` (also called as `showconfig`).
pub fn show(
    args: &ShowConfigArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    let (repository, config_dir, mount_dir, json) = (
        args.repository.as_str(),
        args.config_dir.as_path(),
        args.mount_dir.as_path(),
        args.json,
    );
    let fqrn = Fqrn::expand(repository, &Domain::cern()).map_err(|e| CliError::InvalidInput {
        problems: vec![e.into()],
    })?;
    let config = load_effective(config_dir, mount_dir, &fqrn);
    if json {
        crate::commands::emit_json(out, &config)?;
    } else {
        if config.files_read.is_empty() {
            let _ = writeln!(
                err,
                "warning: no configuration file found under {}",
                config_dir.display()
            );
        }
        crate::commands::emit(out, &config.show())?;
        for diagnostic in &config.diagnostics {
            let _ = writeln!(err, "{}: {}", diagnostic.severity, diagnostic.message);
        }
    }
    Ok(if config.has_errors() {
        exit_code::PARTIAL
    } else {
        exit_code::SUCCESS
    })
}

fn render(selection: &SelectionArgs, json: bool, out: &mut dyn Write) -> Result<u8, CliError> {
    let request = build_plan(selection, SourceUse::NotRead, Path::new(CLIENT_CONFIG_DIR))?;
    let text = ClientProfile::cms().render_default_local(&request.plan);
    if json {
        let value = serde_json::json!({
            "file": "default.local",
            "content": text,
            "repositories": request.plan.repositories(),
            "config_repository": request.plan.config_repository(),
        });
        crate::commands::emit_json(out, &value)?;
    } else {
        crate::commands::emit(out, &text)?;
    }
    Ok(exit_code::SUCCESS)
}
