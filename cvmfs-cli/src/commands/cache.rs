//! `cache` (and `wipecache`): what the local cache holds, LRU eviction, wiping. The
//! cache is the library's; this only locates it and prints.

use std::io::Write;

use cvmfs_mount::repository::cache::Cache;
use cvmfs_mount::repository::cache::quota::Cleanup;

use crate::args::{CacheCommand, CacheLocationArgs};
use crate::error::CliError;
use crate::exit_code;

fn locate(location: &CacheLocationArgs) -> Result<Cache, CliError> {
    let configured = Cache::configured(&location.config_dir, location.fqrn.as_deref())?;
    Ok(match &location.cache_dir {
        // An explicit directory keeps the configured quota.
        Some(dir) => Cache::with_quota(dir, configured.quota()),
        None => configured,
    })
}

/// Bytes as MiB with one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Runs a `cache` subcommand.
pub fn run(command: &CacheCommand, out: &mut dyn Write) -> Result<u8, CliError> {
    match command {
        CacheCommand::Info { location } => info(location, out),
        CacheCommand::Evict { location, to_mb } => {
            let cache = locate(location)?;
            let cleanup = cache.evict_to(to_mb.saturating_mul(1024 * 1024))?;
            report(location, &cache, "evicted", &cleanup, out)
        }
        CacheCommand::Wipe { location } => wipe(location, out),
    }
}

/// Runs `cache wipe` (and `wipecache`).
pub fn wipe(location: &CacheLocationArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let cache = locate(location)?;
    let cleanup = cache.wipe()?;
    report(location, &cache, "wiped", &cleanup, out)
}

fn report(
    location: &CacheLocationArgs,
    cache: &Cache,
    verb: &str,
    cleanup: &Cleanup,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    if location.json {
        crate::commands::emit_json(
            out,
            &serde_json::json!({"cache": cache.base(), "result": cleanup}),
        )?;
    } else {
        crate::commands::emit(
            out,
            &format!(
                "{verb} {}: {} objects removed ({}), {} held now{}\n",
                cache.base().display(),
                cleanup.evicted,
                mib(cleanup.freed_bytes),
                mib(cleanup.used_bytes),
                if verb == "wiped" {
                    "; the remembered revisions stay (they refuse rollbacks)"
                } else {
                    ""
                }
            ),
        )?;
    }
    Ok(exit_code::SUCCESS)
}

fn info(location: &CacheLocationArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let cache = locate(location)?;
    let info = cache.info()?;
    if location.json {
        crate::commands::emit_json(out, &info)?;
        return Ok(exit_code::SUCCESS);
    }
    let quota = info.quota_bytes.map_or_else(
        || "no quota".to_owned(),
        |q| {
            format!(
                "of {} quota ({:.1} %)",
                mib(q),
                info.used_bytes as f64 * 100.0 / q.max(1) as f64
            )
        },
    );
    let mut text = format!(
        "cache {}{}\n",
        info.base.display(),
        if info.exists {
            ""
        } else {
            " (nothing cached yet: the directory does not exist)"
        }
    );
    text.push_str(&format!("  used        {} {quota}\n", mib(info.used_bytes)));
    text.push_str(&format!("  objects     {}\n", info.objects));
    text.push_str(&format!("  unfinished  {} downloads\n", info.transactions));
    for state in &info.repositories {
        text.push_str(&format!(
            "  {}  revision {}  root {}  accepted at {}\n",
            state.fqrn, state.accepted.revision, state.accepted.root_catalog, state.accepted_at
        ));
    }
    crate::commands::emit(out, &text)?;
    Ok(exit_code::SUCCESS)
}
