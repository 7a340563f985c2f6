//! `repo`: look inside a repository without mounting it. Every command opens it through
//! the library's verified reader: nothing is shown before the chain and the hashes check.

use std::io::Write;

use cvmfs_mount::repository::keys::load_anchors;
use cvmfs_mount::repository::walk::{verify, walk};
use cvmfs_mount::repository::{
    Entry, EntryKind, Repository, RootChoice, open_configured, open_http, open_location,
};

use crate::args::{RepoCommand, RepoSourceArgs};
use crate::error::CliError;
use crate::exit_code;

fn open(args: &RepoSourceArgs) -> Result<Repository, CliError> {
    let repo = open_any(args)?;
    if let Some(why) = repo.offline() {
        log::warn!(
            "offline: no server answered, reading revision {} remembered in the cache ({why})",
            repo.trusted().manifest.revision
        );
    }
    Ok(repo)
}

fn open_any(args: &RepoSourceArgs) -> Result<Repository, CliError> {
    let root = match (&args.tag, args.date) {
        (Some(tag), _) => RootChoice::Tag(tag.clone()),
        (None, Some(date)) => RootChoice::Date(date),
        (None, None) => RootChoice::Head,
    };
    let cache = args
        .cache_dir
        .as_ref()
        .map(cvmfs_mount::repository::cache::Cache::new);
    let keys_given = !args.keys.is_empty() || args.keys_dir.is_some();
    let anchors = || load_anchors(&args.keys, args.keys_dir.as_deref());
    Ok(match (&args.server_url, &args.source) {
        (Some(urls), _) => open_http(
            urls,
            args.http_proxy.as_deref(),
            args.fqrn.as_deref(),
            &anchors()?,
            args.now,
            root,
            cache.as_ref(),
        )?,
        (None, Some(source)) => open_location(
            source,
            args.fqrn.as_deref(),
            &anchors()?,
            args.now,
            root,
            cache.as_ref(),
        )?,
        (None, None) => {
            let Some(fqrn) = &args.fqrn else {
                return Err(CliError::InvalidInput {
                    problems: vec![crate::error::InputProblem::Option {
                        option: "--fqrn",
                        message: "is required to read a repository through the client configuration (or pass --source or --server-url)".to_owned(),
                    }],
                });
            };
            let given = if keys_given { Some(anchors()?) } else { None };
            open_configured(
                &args.config_dir,
                fqrn,
                given.as_ref(),
                args.now,
                root,
                cache.as_ref(),
            )?
        }
    })
}

/// `drwxr-xr-x`-style mode text.
fn mode_text(entry: &Entry) -> String {
    let kind = match entry.kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Fifo => 'p',
        EntryKind::Socket => 's',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::File => '-',
    };
    let bits = entry.mode;
    let mut text = String::from(kind);
    for (shift, letters) in [(6, "rwx"), (3, "rwx"), (0, "rwx")] {
        for (i, letter) in letters.chars().enumerate() {
            let on = bits & (1 << (shift + 2 - i)) != 0;
            text.push(if on { letter } else { '-' });
        }
    }
    text
}

fn long_line(entry: &Entry, name: &str) -> String {
    let target = entry
        .target
        .as_ref()
        .map(|t| format!(" -> {t}"))
        .unwrap_or_default();
    format!(
        "{} {:>3} {:>5} {:>5} {:>10} {:>11} {name}{target}\n",
        mode_text(entry),
        entry.nlink,
        entry.uid,
        entry.gid,
        entry.size,
        entry.mtime
    )
}

fn shown_path(entry: &Entry) -> &str {
    if entry.path.is_empty() {
        "/"
    } else {
        &entry.path
    }
}

/// Runs a `repo` subcommand.
pub fn run(command: &RepoCommand, out: &mut dyn Write) -> Result<u8, CliError> {
    match command {
        RepoCommand::Info { source } => info(source, out),
        RepoCommand::Ls {
            source,
            long,
            recursive,
            path,
        } => ls(source, path, *long, *recursive, out),
        RepoCommand::Cat { source, path } => {
            let repo = open(source)?;
            let data = repo.read(path)?;
            out.write_all(&data)
                .and_then(|()| out.flush())
                .map_err(|source| CliError::WriteOutput { source })?;
            Ok(exit_code::SUCCESS)
        }
        RepoCommand::Stat { source, path } => {
            let repo = open(source)?;
            let entry = repo.stat(path)?;
            if source.json {
                crate::commands::emit_json(out, &entry)?;
            } else {
                let mut text = format!("{}\n", shown_path(&entry));
                text.push_str(&long_line(&entry, ""));
                text.push_str(&format!("inode {}\n", entry.inode));
                if let Some(content) = &entry.content {
                    text.push_str(&format!(
                        "content: {} chunk(s), {}, {}\n",
                        content.chunks,
                        content.compression.name(),
                        content
                            .hash
                            .map_or_else(|| "chunked".to_owned(), |h| h.to_string())
                    ));
                }
                for (key, value) in &entry.xattrs {
                    text.push_str(&format!("xattr {key}={}\n", String::from_utf8_lossy(value)));
                }
                crate::commands::emit(out, &text)?;
            }
            Ok(exit_code::SUCCESS)
        }
        RepoCommand::Tags { source } => {
            let repo = open(source)?;
            let tags = repo.tags()?;
            if source.json {
                crate::commands::emit_json(out, &tags)?;
            } else {
                let mut text = String::new();
                for tag in &tags {
                    text.push_str(&format!(
                        "{:<20} revision {:>5}  {}  {}  {}\n",
                        tag.name, tag.revision, tag.timestamp, tag.root_hash, tag.description
                    ));
                }
                crate::commands::emit(out, &text)?;
            }
            Ok(exit_code::SUCCESS)
        }
        RepoCommand::Verify { source, objects } => {
            let repo = open(source)?;
            let report = verify(&repo, *objects)?;
            if source.json {
                crate::commands::emit_json(out, &report)?;
            } else {
                crate::commands::emit(
                    out,
                    &format!(
                        "verified {}: {} entries ({} directories, {} files, {} nested catalogs); {} files read, {} bytes, every hash checked\n",
                        repo.trusted().manifest.fqrn,
                        report.entries,
                        report.directories,
                        report.files,
                        report.nested_catalogs,
                        report.files_read,
                        report.bytes_read
                    ),
                )?;
            }
            Ok(exit_code::SUCCESS)
        }
    }
}

fn info(source: &RepoSourceArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let repo = open(source)?;
    let trusted = repo.trusted();
    let manifest = &trusted.manifest;
    let counters = repo.counters()?;
    let properties: Vec<(&str, Option<String>)> = [
        "schema",
        "schema_revision",
        "revision",
        "TTL",
        "last_modified",
        "previous_revision",
    ]
    .into_iter()
    .map(|key| Ok((key, repo.root_property(key)?)))
    .collect::<Result<_, CliError>>()?;
    if source.json {
        let value = serde_json::json!({
            "source": repo.describe_source(),
            "offline": repo.offline(),
            "fetches": repo.counters_of_fetches(),
            "manifest": manifest,
            "root_catalog": repo.root_hash(),
            "certificate_fingerprint": trusted.certificate_fingerprint,
            "whitelist_expires": trusted.whitelist.expires,
            "properties": properties.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "counters": counters.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        });
        crate::commands::emit_json(out, &value)?;
        return Ok(exit_code::SUCCESS);
    }
    let mut text = match repo.offline() {
        None => format!(
            "{} from {} (signature, whitelist and hashes verified)\n",
            manifest.fqrn,
            repo.describe_source()
        ),
        Some(why) => format!(
            "{} OFFLINE from the cache (verified when accepted; no server answered: {why})\n",
            manifest.fqrn
        ),
    };
    text.push_str(&format!("  revision           {}\n", manifest.revision));
    text.push_str(&format!("  root catalog       {}\n", repo.root_hash()));
    text.push_str(&format!(
        "  published          {}\n",
        manifest
            .timestamp
            .map_or_else(|| "-".to_owned(), |t| t.to_string())
    ));
    text.push_str(&format!("  TTL                {} s\n", manifest.ttl));
    text.push_str(&format!(
        "  certificate        {}\n",
        trusted.certificate_fingerprint
    ));
    text.push_str(&format!(
        "  whitelist expires  {} UTC\n",
        trusted.whitelist.expires
    ));
    for (key, value) in properties {
        if let Some(value) = value {
            text.push_str(&format!("  {key:<18} {value}\n"));
        }
    }
    // Totals: the root catalog's own entries plus what its nested catalogs hold.
    for (counter, own) in counters.iter().filter(|(c, _)| c.starts_with("self_")) {
        let name = &counter["self_".len()..];
        let nested = counters
            .iter()
            .find(|(c, _)| c.strip_prefix("subtree_") == Some(name))
            .map_or(0, |(_, v)| *v);
        text.push_str(&format!(
            "  {:<18} {}\n",
            format!("total {name}"),
            own + nested
        ));
    }
    crate::commands::emit(out, &text)?;
    Ok(exit_code::SUCCESS)
}

fn ls(
    source: &RepoSourceArgs,
    path: &str,
    long: bool,
    recursive: bool,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let repo = open(source)?;
    let mut text = String::new();
    let emit = |entry: &Entry, text: &mut String| -> Result<(), CliError> {
        if source.json {
            let line = serde_json::to_string(entry).unwrap_or_default();
            text.push_str(&line);
            text.push('\n');
        } else if long {
            text.push_str(&long_line(entry, shown_path(entry)));
        } else {
            text.push_str(shown_path(entry));
            text.push('\n');
        }
        Ok(())
    };
    if recursive {
        walk(&repo, path, &mut |entry| {
            emit(entry, &mut text).map_err(|_| cvmfs_mount::repository::RepositoryError::NotFound {
                path: entry.path.clone(),
            })
        })?;
    } else {
        for entry in repo.list(path)? {
            emit(&entry, &mut text)?;
        }
    }
    crate::commands::emit(out, &text)?;
    Ok(exit_code::SUCCESS)
}

/// Runs `publish`.
pub fn publish(args: &crate::args::PublishArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    use cvmfs_core::repository::hash::HashAlgorithm;
    use cvmfs_mount::repository::publish::{PublishOptions, publish};
    let mut problems = Vec::new();
    if let Err(e) = cvmfs_core::Fqrn::parse(&args.fqrn) {
        problems.push(e.into());
    }
    if !args.dir.is_dir() {
        problems.push(crate::error::InputProblem::Option {
            option: "DIR",
            message: format!("{} is not a directory", args.dir.display()),
        });
    }
    if args.chunk_threshold > 0 && args.chunk_size == 0 {
        problems.push(crate::error::InputProblem::Option {
            option: "--chunk-size",
            message: "must be positive when chunking".to_owned(),
        });
    }
    if !problems.is_empty() {
        return Err(CliError::InvalidInput { problems });
    }
    let algorithm = match args.hash.as_str() {
        "rmd160" => HashAlgorithm::Rmd160,
        "shake128" => HashAlgorithm::Shake128,
        _ => HashAlgorithm::Sha1,
    };
    let options = PublishOptions {
        fqrn: args.fqrn.clone(),
        keys_dir: args.keys_dir.clone(),
        algorithm,
        chunk_threshold: args.chunk_threshold,
        chunk_size: args.chunk_size,
        whitelist_days: args.whitelist_days,
        tag: args
            .tag
            .clone()
            .map(|name| (name, args.tag_description.clone())),
        now_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        ttl: args.ttl,
    };
    let published = publish(&args.dir, &args.out, &options).map_err(|e| CliError::Publish {
        message: e.to_string(),
    })?;
    if args.json {
        crate::commands::emit_json(out, &published)?;
    } else {
        crate::commands::emit(
            out,
            &format!(
                "published {} revision {} (root catalog {}, {} catalogs, {} new objects) into {}; clients trust {}\n",
                args.fqrn,
                published.revision,
                published.root_catalog,
                published.catalogs,
                published.objects_written,
                args.out.display(),
                published.master_public_key.display()
            ),
        )?;
    }
    Ok(exit_code::SUCCESS)
}
