//! `image`: container images published unpacked by DUCC. `lint` checks a recipe with
//! the core's rules; `resolve` finds an image in the mounted repository (mounting it when
//! nothing is mounted there); `run` starts a runtime on the image's root filesystem.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::MountPlan;
use cvmfs_core::image::ImageSpec;
use cvmfs_core::image::launch::{ImageRuntime, Resolved, image_argv};
use cvmfs_core::image::recipe::lint;
use cvmfs_core::image::spec::Severity;
use cvmfs_core::image::spec::parse_for_lookup;
use cvmfs_mount::container::signals::{SignalForwarder, status_of};
use cvmfs_mount::image::resolve::{Resolution, ResolvedImage};
use cvmfs_mount::image::{Availability, ensure_mounted, resolve};
use cvmfs_mount::{Engine, PlanReport};

use crate::args::{
    CatalogArgs, ImageCommand, ImageRepositoryArgs, ImageResolveArgs, ImageRunArgs, SelectionArgs,
};
use crate::engine_setup::engine;
use crate::error::{CliError, InputProblem};
use crate::exit_code;
use crate::plan_input::{SourceUse, build_plan};
use crate::report_output::print_report;

/// Runs an `image` subcommand.
pub fn run(
    command: &ImageCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    match command {
        ImageCommand::Lint { recipe, json } => lint_recipe(recipe, *json, out),
        ImageCommand::Resolve(args) => resolve_image(args, out, err),
        ImageCommand::Run(args) => run_image(args, out, err),
    }
}

/// `image lint`.
fn lint_recipe(recipe: &Path, json: bool, out: &mut dyn Write) -> Result<u8, CliError> {
    let text = std::fs::read_to_string(recipe).map_err(|source| CliError::ReadInput {
        path: recipe.to_owned(),
        source,
    })?;
    let report = lint(&text);
    if json {
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

/// The specification to look an image up by (see `parse_for_lookup`); warnings go to
/// `err`, errors are the input problems.
fn image_spec(text: &str, err: &mut dyn Write) -> Result<ImageSpec, CliError> {
    match parse_for_lookup(text) {
        Ok((spec, warnings)) => {
            for warning in warnings {
                let _ = writeln!(err, "warning: {text}: {}", warning.message);
            }
            Ok(spec)
        }
        Err(errors) => Err(CliError::InvalidInput {
            problems: errors
                .into_iter()
                .map(|e| InputProblem::Option {
                    option: "SPEC",
                    message: format!("{text}: {}", e.message),
                })
                .collect(),
        }),
    }
}

/// The plan that mounts the image repository, as `mount --mounts FQRN` would make it.
fn image_plan(args: &ImageRepositoryArgs) -> Result<MountPlan, CliError> {
    let selection = SelectionArgs {
        mounts: Some(args.repository.clone()),
        backend: args.backend,
        root: args.root.clone(),
        source: args.source.clone(),
        shared_dir: None,
        read_only: false,
        propagation: None,
        whole_root: false,
        per_repository: false,
        plain_source: false,
        targets: Vec::new(),
        catalog: CatalogArgs {
            profile: "cms".to_owned(),
            add_repositories: Vec::new(),
            default_domain: "cern.ch".to_owned(),
            config_repository: None,
        },
    };
    Ok(build_plan(&selection, SourceUse::Mounts, &args.engine.config_dir)?.plan)
}

/// Where the image repository is mounted.
fn repository_root(args: &ImageRepositoryArgs) -> PathBuf {
    args.root.join(&args.repository)
}

/// Makes the repository available (mounting it unless `--no-mount`); returns the engine,
/// the plan and the report of a mount this call made.
fn make_available(
    args: &ImageRepositoryArgs,
    err: &mut dyn Write,
) -> Result<(Engine, MountPlan, Option<PlanReport>), CliError> {
    let plan = image_plan(args)?;
    let engine = engine(&plan, &args.engine);
    let target = plan
        .entries()
        .iter()
        .map(|e| e.target().to_owned())
        .find(|t| t.ends_with(&args.repository))
        .unwrap_or_else(|| repository_root(args));
    if args.no_mount {
        return Ok((engine, plan, None));
    }
    match ensure_mounted(&engine, &plan, &target)
        .map_err(|source| CliError::ImageUnavailable { source })?
    {
        Availability::AlreadyMounted => Ok((engine, plan, None)),
        Availability::MountedNow(report) => {
            let _ = writeln!(
                err,
                "mounted {} at {} with the {} backend",
                args.repository,
                target.display(),
                report.backend
            );
            Ok((engine, plan, Some(report)))
        }
    }
}

fn resolution(args: &ImageRepositoryArgs, spec: &ImageSpec) -> Result<Resolution, CliError> {
    resolve(
        &repository_root(args),
        spec,
        Duration::from_millis(args.resolve_timeout_ms),
    )
    .map_err(|source| CliError::ImageResolve { source })
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(seconds: u64) -> String {
    let t = cvmfs_core::repository::whitelist::utc_timestamp(seconds);
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        &t[..4],
        &t[4..6],
        &t[6..8],
        &t[8..10],
        &t[10..12],
        &t[12..14]
    )
}

fn describe(image: &ResolvedImage) -> String {
    let mut text = format!("{}\n", image.spec);
    let mut row = |name: &str, value: String| text.push_str(&format!("  {name:<12} {value}\n"));
    row("public path", image.public_path.display().to_string());
    if let Some(link) = &image.link {
        row("links to", link.clone());
    }
    row("flat", image.canonical_path.display().to_string());
    row("config", image.config_digest.clone());
    if let Some(updated) = image.updated {
        row("updated", utc(updated));
    }
    let present = image.layers.iter().filter(|l| l.present).count();
    row(
        "layers",
        format!("{} ({present} unpacked in .layers)", image.layers.len()),
    );
    for layer in &image.layers {
        let state = match (layer.present, layer.chain_present) {
            (true, true) => "",
            (true, false) => "  (no chain in .chains)",
            (false, _) => "  (missing from .layers)",
        };
        text.push_str(&format!("    {}{state}\n", layer.digest));
    }
    let env = image.environment.assignments();
    if !env.is_empty() {
        text.push_str(&format!("  {:<12} {}\n", "environment", env[0]));
        for assignment in &env[1..] {
            text.push_str(&format!("  {:<12} {assignment}\n", ""));
        }
    }
    for skipped in &image.environment.skipped {
        text.push_str(&format!(
            "  note: environment line {} left out ({}): {}\n",
            skipped.line, skipped.reason, skipped.text
        ));
    }
    for note in &image.notes {
        text.push_str(&format!("  note: {note}\n"));
    }
    text
}

/// `image resolve`.
fn resolve_image(
    args: &ImageResolveArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    // No tag and no digest is refused with the other misreadings.
    let spec = image_spec(&args.spec, err)?;
    make_available(&args.repository, err)?;
    let found = resolution(&args.repository, &spec)?;
    if args.json {
        crate::commands::emit_json(out, &found)?;
    } else {
        let mut text = String::new();
        if let Some(pattern) = &found.pattern {
            text.push_str(&format!(
                "{}: the pattern {pattern:?} matches {} of {} published tags\n",
                args.spec,
                found.images.len() + found.unresolved.len(),
                found.published_tags.len()
            ));
            for tag in &found.glob_differs {
                text.push_str(&format!(
                    "  note: {tag:?} is judged differently by DUCC's rule (a regular expression: '.' is any character) than by a shell glob\n"
                ));
            }
        }
        for image in &found.images {
            text.push_str(&describe(image));
        }
        crate::commands::emit(out, &text)?;
    }
    for failed in &found.unresolved {
        let _ = writeln!(err, "error: tag {}: {}", failed.reference, failed.error);
    }
    Ok(if found.images.is_empty() {
        if found.pattern.is_some() {
            let _ = writeln!(
                err,
                "error: no published tag of {} matches (published: {})",
                args.spec,
                if found.published_tags.is_empty() {
                    "none".to_owned()
                } else {
                    found.published_tags.join(" ")
                }
            );
        }
        exit_code::TOTAL
    } else if found.unresolved.is_empty() {
        exit_code::SUCCESS
    } else {
        exit_code::PARTIAL
    })
}

/// `image run`.
fn run_image(
    args: &ImageRunArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, CliError> {
    let spec = image_spec(&args.spec, err)?;
    let mut problems = Vec::new();
    if spec.is_wildcard() {
        problems.push(InputProblem::Option {
            option: "SPEC",
            message: format!(
                "{}: a wildcard names several images (`cvmfs-cli image resolve` lists them)",
                args.spec
            ),
        });
    }
    let runtime = match args.runtime.parse::<ImageRuntime>() {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            problems.push(InputProblem::Option {
                option: "--runtime",
                message: e.to_string(),
            });
            None
        }
    };
    let (Some(runtime), true) = (runtime, problems.is_empty()) else {
        return Err(CliError::InvalidInput { problems });
    };
    let root = repository_root(&args.repository);
    // Handlers first: a Ctrl-C while mounting is kept and acted on once the mount is in,
    // so a mount this run made is never left behind.
    let forwarder = if args.dry_run {
        None
    } else {
        Some(SignalForwarder::install().map_err(|source| CliError::Signals { source })?)
    };
    // Running needs the repository mounted (Docker is refused anyway); a dry run only
    // reads what is there (Podman's needs the path resolved through a mount).
    let needs_mount = !args.dry_run && runtime != ImageRuntime::Docker;
    let (engine, plan, mounted) = if needs_mount {
        let (engine, plan, mounted) = make_available(&args.repository, err)?;
        (Some(engine), Some(plan), mounted)
    } else {
        (None, None, None)
    };
    let undo = |err: &mut dyn Write| {
        if let (Some(engine), Some(plan), Some(report)) = (&engine, &plan, &mounted) {
            let undone = engine.undo_mount(plan, report);
            if undone.status() != cvmfs_mount::Status::Complete {
                let _ = print_report(&undone, false, err);
            }
        }
    };
    if let Some(signal) = forwarder
        .as_ref()
        .and_then(SignalForwarder::take_terminating)
    {
        let _ = writeln!(
            err,
            "stopped by {signal} while mounting; the command is not run"
        );
        undo(err);
        return Ok(u8::try_from(status_of(signal)).unwrap_or(exit_code::INTERNAL));
    }
    let image = if runtime == ImageRuntime::Podman || runtime == ImageRuntime::Docker {
        match resolution(&args.repository, &spec) {
            Ok(mut found) => found.images.pop(),
            Err(e) if runtime == ImageRuntime::Podman => {
                undo(err);
                return Err(e);
            }
            // Docker is refused either way; the canonical path only improves the advice.
            Err(_) => None,
        }
    } else {
        None
    };
    let launched = image_argv(
        runtime,
        &spec,
        &root,
        &args.repository.root,
        image.as_ref().map(|i| Resolved {
            canonical_path: &i.canonical_path,
            environment: &i.environment.variables,
        }),
        &args.runtime_args,
        &args.command,
    );
    let words = match launched {
        Ok(words) => words,
        Err(source) => {
            undo(err);
            return Err(CliError::ImageLaunch { source });
        }
    };
    let Some(forwarder) = forwarder else {
        let line = shlex::try_join(words.iter().map(String::as_str)).unwrap_or_default();
        crate::commands::emit(out, &format!("{line}\n"))?;
        return Ok(exit_code::SUCCESS);
    };
    let _ = out.flush();
    let status = crate::commands::forwarded_child::run(words[0].as_ref(), &words[1..], &forwarder);
    undo(err);
    match status {
        Ok(status) => Ok(crate::commands::forwarded_child::exit_status(status)),
        Err(source) => Err(CliError::RunEngine {
            program: words[0].clone(),
            source,
        }),
    }
}
