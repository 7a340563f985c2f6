//! Printing engine reports: the anchor's progress lines with the real status of each
//! repository, or JSON.

use std::io::Write;
use std::sync::Arc;

use cvmfs_core::BackendKind;
use cvmfs_mount::engine::ProgressHook;
use cvmfs_mount::probe::ProbeResult;
use cvmfs_mount::{EntryReport, Operation, Outcome, PlanReport, Status};

use crate::error::CliError;
use crate::exit_code;

/// The exit code for a report's status.
pub fn status_code(status: Status) -> u8 {
    match status {
        Status::Complete => exit_code::SUCCESS,
        Status::Partial => exit_code::PARTIAL,
        Status::Failed => exit_code::TOTAL,
    }
}

fn name(entry: &cvmfs_mount::EntryReport) -> String {
    entry.name()
}

fn word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Mounted => "DONE",
        Outcome::AlreadyMounted => "ALREADY MOUNTED",
        Outcome::Unmounted => "UNMOUNTED",
        Outcome::NotMounted => "NOT MOUNTED",
        Outcome::Healthy => "HEALTHY",
        Outcome::Repaired => "REPAIRED",
        Outcome::LeftDegraded => "DEGRADED",
        Outcome::Skipped => "SKIPPED",
        Outcome::Failed => "FAILED",
    }
}

/// Writes a report; returns the exit code for its status.
pub fn print_report(report: &PlanReport, json: bool, out: &mut dyn Write) -> Result<u8, CliError> {
    print_report_lines(report, json, true, out)
}

/// Writes what [`print_report`] writes after [`streamed_lines`] printed the entries: only
/// the line for an empty plan; returns the exit code.
pub fn finish_streamed(report: &PlanReport, out: &mut dyn Write) -> Result<u8, CliError> {
    print_report_lines(report, false, false, out)
}

fn print_report_lines(
    report: &PlanReport,
    json: bool,
    entries: bool,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let write = |out: &mut dyn Write, text: String| {
        out.write_all(text.as_bytes())
            .map_err(|source| CliError::WriteOutput { source })
    };
    if json {
        let text = serde_json::to_string_pretty(report).unwrap_or_default();
        write(out, format!("{text}\n"))?;
        return Ok(status_code(report.status()));
    }
    if report.entries.is_empty() {
        let line = match report.operation {
            Operation::Mount => "Not mounting any filesystems.",
            Operation::Unmount | Operation::Repair => "Nothing is selected.",
        };
        write(out, format!("{line}\n"))?;
        return Ok(exit_code::SUCCESS);
    }
    if entries {
        for entry in &report.entries {
            write(out, entry_text(report.operation, report.backend, entry))?;
        }
    }
    Ok(status_code(report.status()))
}

/// The anchor's line for one entry, with its warnings below.
fn entry_text(operation: Operation, backend: BackendKind, entry: &EntryReport) -> String {
    let verb = match operation {
        Operation::Mount => "Mounting",
        Operation::Unmount => "Unmounting",
        Operation::Repair => "Repairing",
    };
    // The snapshot backend serves local directories: never worded as the client's mounts.
    let what = if backend == BackendKind::Snapshot {
        "the local snapshot"
    } else {
        "the filesystem"
    };
    let mut line = format!(
        "{verb} {what} \"{}\" ... {}",
        name(entry),
        word(entry.outcome)
    );
    if let Some(error) = &entry.error {
        line.push_str(&format!(": {}", error.message));
    }
    line.push('\n');
    for warning in &entry.warnings {
        line.push_str(&format!("\twarning: {warning}\n"));
    }
    line
}

/// Prints each entry of `operation` on standard output as soon as it finishes, flushed,
/// whatever standard output is (a terminal, `docker logs`, a CI log): nothing waits for
/// the last mount. Entries of other operations (a watch's repair rounds) are left to
/// their own reporting.
pub fn streamed_lines(operation: Operation, backend: BackendKind) -> ProgressHook {
    Arc::new(move |done: Operation, entry: &EntryReport| {
        if done == operation {
            let mut out = std::io::stdout().lock();
            // Informational: a closed standard output must not stop the mounts.
            let _ = out.write_all(entry_text(done, backend, entry).as_bytes());
            let _ = out.flush();
        }
    })
}

/// The anchor's line for a check: `Checking CVMFS mounts ... DONE` or `... FAILED`.
pub fn check_line(all_healthy: bool) -> String {
    format!(
        "Checking CVMFS mounts ... {}",
        if all_healthy { "DONE" } else { "FAILED" }
    )
}

/// The anchor's line when nothing is selected, so nothing is checked.
pub const NOTHING_TO_CHECK: &str = "Not necessary to check the CVMFS mounts points.";

/// Writes probe results; returns 0 when every repository is healthy.
pub fn print_probes(
    results: &[ProbeResult],
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let healthy = results.iter().filter(|r| r.health.is_healthy()).count();
    let code = if healthy == results.len() {
        exit_code::SUCCESS
    } else if healthy == 0 {
        exit_code::TOTAL
    } else {
        exit_code::PARTIAL
    };
    let text = if json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(results).unwrap_or_default()
        )
    } else if results.is_empty() {
        format!("{NOTHING_TO_CHECK}\n")
    } else {
        let mut text = format!("{}\n", check_line(code == exit_code::SUCCESS));
        for result in results {
            let ms = result.elapsed_us as f64 / 1000.0;
            text.push_str(&format!(
                "\t{}: {} ({ms:.1} ms)\n",
                result.path.display(),
                result.health
            ));
        }
        if code != exit_code::SUCCESS {
            text.push_str("At least one CVMFS repository is not healthy; run `cvmfs-cli repair` with the same options.\n");
            if results
                .iter()
                .any(|r| matches!(r.health, cvmfs_mount::Health::Degraded { .. }))
            {
                text.push_str("Degraded repositories still serve: `repair` leaves them unless given --remount-degraded (a remount breaks files open on them).\n");
            }
        }
        text
    };
    out.write_all(text.as_bytes())
        .map_err(|source| CliError::WriteOutput { source })?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cvmfs_core::BackendKind;
    use cvmfs_core::plan::EntryRole;
    use cvmfs_mount::{EntryReport, Operation};

    fn report(backend: BackendKind) -> PlanReport {
        PlanReport {
            operation: Operation::Mount,
            backend,
            entries: vec![EntryReport {
                target: "/cvmfs/cms.cern.ch".into(),
                repository: cvmfs_core::Fqrn::parse("cms.cern.ch").ok(),
                role: EntryRole::Repository,
                outcome: Outcome::Mounted,
                health_before: None,
                actions: Vec::new(),
                warnings: Vec::new(),
                error: None,
                elapsed_ms: 1,
                created_dirs: Vec::new(),
            }],
        }
    }

    fn printed(backend: BackendKind) -> String {
        let mut out = Vec::new();
        print_report(&report(backend), false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot_mounts_are_never_worded_as_the_clients() {
        assert_eq!(
            printed(BackendKind::Cvmfs2Helper),
            "Mounting the filesystem \"cms.cern.ch\" ... DONE\n"
        );
        assert_eq!(
            printed(BackendKind::Snapshot),
            "Mounting the local snapshot \"cms.cern.ch\" ... DONE\n"
        );
    }
}
