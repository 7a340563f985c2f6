//! The command-line definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Make CernVM-FS repositories available inside containers, reliably.
#[derive(Debug, Parser)]
#[command(name = "cvmfs-cli", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  internal error (for example, output could not be written)
  2  invalid command line or input; nothing was changed
  3  partial failure: some repositories failed, the others are mounted
  4  total failure: no repository could be handled";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the mount plan for a selection without changing anything.
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
}

const PLAN_EXAMPLES: &str = "\
Examples:
  cvmfs-cli plan --dry-run --mounts all --backend cvmfs2-helper
  CVMFS_MOUNTS='cms oasis' cvmfs-cli plan --backend snapshot --source ./snapshots --json
  cvmfs-cli plan --mounts cms --backend host-bind --source /host/cvmfs --read-only --propagation rslave";

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Accepted for symmetry with the mount commands: `plan` never changes the system.
    #[arg(long)]
    pub dry_run: bool,
    /// Selection, backend and layout.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The backends, as the command line names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendName {
    /// Serve local directories read-only through FUSE (needs --source).
    Snapshot,
    /// The real client's mount helper (`mount -t cvmfs`).
    #[value(name = "cvmfs2-helper")]
    Cvmfs2Helper,
    /// Bind a host's /cvmfs (needs --source, the host directory as seen here).
    HostBind,
    /// Consume an automounter's rshared directory (--shared-dir).
    AutomounterSlave,
}

/// The options every subcommand shares, so a printed plan can be executed by changing
/// only the subcommand.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Repositories to make available: names separated by spaces or commas, `all`, or
    /// `none`. Short names get the default domain.
    #[arg(long, env = "CVMFS_MOUNTS", value_name = "LIST")]
    pub mounts: Option<String>,
    /// How repositories are provided.
    #[arg(long, value_enum, default_value_t = BackendName::Snapshot)]
    pub backend: BackendName,
    /// Where repositories appear.
    #[arg(long, value_name = "DIR", default_value = "/cvmfs")]
    pub root: PathBuf,
    /// snapshot: the directory with one subdirectory per repository; host-bind: where the
    /// host's repositories are visible.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// automounter-slave: the automounter's shared directory (default: the first of
    /// /shared-mounts/cvmfs and /cvmfsmounts/cvmfs that exists).
    #[arg(long, value_name = "DIR")]
    pub shared_dir: Option<PathBuf>,
    /// Make bind mounts read-only (client and snapshot mounts always are).
    #[arg(long)]
    pub read_only: bool,
    /// Propagation for every mount (default: rslave for whole-root binds, none otherwise).
    #[arg(long, value_name = "TYPE")]
    pub propagation: Option<String>,
    /// host-bind: bind the whole root recursively (default when the selection is `all`).
    #[arg(long, conflicts_with = "per_repository")]
    pub whole_root: bool,
    /// host-bind: bind each repository on its own (default for a list).
    #[arg(long)]
    pub per_repository: bool,
    /// host-bind: the sources are plain directories (an exported snapshot), not client
    /// mounts; they are verified as mountpoints only.
    #[arg(long)]
    pub plain_source: bool,
    /// Mount a repository at another path under the root: `FQRN=PATH` (repeatable).
    #[arg(long = "target", value_name = "FQRN=PATH")]
    pub targets: Vec<String>,
    /// Built-in catalog of known repositories.
    #[arg(long, value_name = "NAME", default_value = "cms")]
    pub profile: String,
    /// Add a repository to the catalog, so `all` includes it (repeatable).
    #[arg(long = "add-repository", value_name = "FQRN")]
    pub add_repositories: Vec<String>,
    /// Domain for short names.
    #[arg(long, value_name = "DOMAIN", default_value = "cern.ch")]
    pub default_domain: String,
    /// The client's configuration repository; `none` for a client without one.
    #[arg(long, value_name = "FQRN")]
    pub config_repository: Option<String>,
}

/// How results are printed.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print JSON for machines.
    #[arg(long, conflicts_with = "toml")]
    pub json: bool,
    /// Print TOML.
    #[arg(long)]
    pub toml: bool,
}
