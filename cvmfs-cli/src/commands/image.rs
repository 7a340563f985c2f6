//! `image`: container images published unpacked by DUCC. `lint` checks a recipe with
//! the core's rules and prints each finding with its line.

use std::io::Write;

use cvmfs_core::image::recipe::lint;
use cvmfs_core::image::spec::Severity;

use crate::args::ImageCommand;
use crate::error::CliError;
use crate::exit_code;

/// Runs an `image` subcommand.
pub fn run(command: &ImageCommand, out: &mut dyn Write) -> Result<u8, CliError> {
    match command {
        ImageCommand::Lint { recipe, json } => {
            let text = std::fs::read_to_string(recipe).map_err(|source| CliError::ReadInput {
                path: recipe.clone(),
                source,
            })?;
            let report = lint(&text);
            if *json {
                crate::commands::emit_json(out, &report)?;
            } else {
                let mut lines = String::new();
                for finding in &report.findings {
                    let at = finding
                        .line
                        .map_or_else(String::new, |line| format!(":{line}"));
                    let severity = match finding.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    };
                    let entry = finding
                        .entry
                        .as_ref()
                        .map(|e| format!(" [{e}]"))
                        .unwrap_or_default();
                    lines.push_str(&format!(
                        "{}{at}: {severity}[{}]: {}{entry}\n",
                        recipe.display(),
                        finding.check,
                        finding.message
                    ));
                }
                let errors = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .count();
                lines.push_str(&format!(
                    "{}: {} entries, {errors} errors, {} warnings\n",
                    recipe.display(),
                    report.entries,
                    report.findings.len() - errors
                ));
                crate::commands::emit(out, &lines)?;
            }
            Ok(if report.has_errors() {
                exit_code::USAGE
            } else {
                exit_code::SUCCESS
            })
        }
    }
}
