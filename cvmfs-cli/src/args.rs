//! The command-line definition.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use cvmfs_core::BackendKind;

/// Make CernVM-FS repositories available inside containers, reliably.
#[derive(Debug, Parser)]
#[command(name = "cvmfs-cli", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// More log output (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors in the log.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  internal error (for example, output could not be written)
  2  invalid command line or input; nothing was changed
  3  partial failure: some repositories failed, the others are done
     (config show: the configuration has errors the client would refuse)
  4  total failure: no repository could be handled (doctor: no backend works here)
  exec and entrypoint return the command's own status.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the mount plan for a selection without changing anything.
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Mount the selection (idempotent: healthy mounts are left alone).
    #[command(after_help = MOUNT_EXAMPLES)]
    Mount(OperateArgs),
    /// Unmount the selection in reverse order; only mounts of the plan's shape.
    #[command(after_help = UMOUNT_EXAMPLES)]
    Umount(OperateArgs),
    /// Probe every selected repository, each within the probe timeout; exit 0 only when
    /// all are healthy (`cvmfs_config probe` and `stat` users: same meaning).
    #[command(after_help = CHECK_EXAMPLES, visible_aliases = ["probe", "stat"])]
    Check(OperateArgs),
    /// Repair dead, hung or missing repositories; healthy ones are not touched.
    #[command(after_help = REPAIR_EXAMPLES)]
    Repair(OperateArgs),
    /// Probe at an interval and repair what breaks, until interrupted.
    #[command(after_help = WATCH_EXAMPLES)]
    Watch(WatchArgs),
    /// Mount the selection for the lifetime of one command, then unmount whatever its
    /// exit; returns the command's status. Unprivileged users get a private user and
    /// mount namespace (snapshot backend).
    #[command(after_help = EXEC_EXAMPLES)]
    Exec(ExecArgs),
    /// The container's PID 1: remap the user's ids, mount CVMFS_MOUNTS, check, then run
    /// the command (or a shell) with every privilege dropped.
    #[command(after_help = ENTRYPOINT_EXAMPLES)]
    Entrypoint(EntrypointArgs),
    /// The native backend's server for one repository (started by `mount`; prints
    /// `READY pid=N` once mounted).
    #[command(hide = true)]
    NativeServer {
        /// `--fqrn NAME --target DIR [--config-dir DIR] [--cache-dir DIR] [--server-url
        /// URLS] [--http-proxy LIST] [--key FILE]...`
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Serve a directory read-only through FUSE as a repository (the snapshot backend's
    /// server; a stand-in, not the CVMFS client).
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Print the shell environment for the selection (for `eval "$(cvmfs-cli env)"`).
    #[command(after_help = ENV_EXAMPLES)]
    Env(EnvArgs),
    /// Show a repository's effective client configuration, or render a default.local.
    #[command(subcommand, after_help = CONFIG_EXAMPLES)]
    Config(ConfigCommand),
    /// `config show` under its `cvmfs_config` name: a repository's effective client
    /// configuration.
    #[command(after_help = "Examples:\n  cvmfs-cli showconfig cms.cern.ch")]
    Showconfig(ShowConfigArgs),
    /// The arguments or manifest a container runtime needs for a backend: no eval, every
    /// value quoted.
    #[command(after_help = RUN_ARGS_EXAMPLES)]
    RunArgs(RunArgsArgs),
    /// Publish a directory as a signed repository any web server can serve (no upstream
    /// server tools needed); a second publish makes the next revision.
    #[command(after_help = PUBLISH_EXAMPLES)]
    Publish(PublishArgs),
    /// Look inside a repository without mounting it: every byte verified (signatures,
    /// whitelist, content hashes) before it is shown.
    #[command(subcommand, after_help = REPO_EXAMPLES)]
    Repo(RepoCommand),
    /// Container images published unpacked in CVMFS by DUCC (unpacked.cern.ch).
    #[command(subcommand)]
    Image(ImageCommand),
    /// The local cache: what it holds, evict least recently used objects, wipe it.
    #[command(subcommand, after_help = CACHE_EXAMPLES)]
    Cache(CacheCommand),
    /// `cache wipe` under its `cvmfs_config` name: remove every cached object.
    #[command(after_help = "Examples:\n  cvmfs-cli wipecache --cache-dir ~/.cache/cvmfs")]
    Wipecache(CacheLocationArgs),
    /// Inspect this host and recommend the backend that will work (`cvmfs_config
    /// chksetup` users: same meaning).
    #[command(after_help = DOCTOR_EXAMPLES, visible_alias = "chksetup")]
    Doctor(DoctorArgs),
    /// Print shell completions for cvmfs-cli.
    #[command(
        after_help = "Examples:\n  cvmfs-cli completions bash > /etc/bash_completion.d/cvmfs-cli\n  cvmfs-cli completions fish > ~/.config/fish/completions/cvmfs-cli.fish\n  cvmfs-cli completions tcsh > ~/.cvmfs-cli.tcsh   # then: source ~/.cvmfs-cli.tcsh"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page (roff) of cvmfs-cli, or of one subcommand (cvmfs-cli-plan(1)).
    #[command(
        after_help = "Examples:\n  cvmfs-cli man > /usr/local/share/man/man1/cvmfs-cli.1\n  cvmfs-cli man plan > /usr/local/share/man/man1/cvmfs-cli-plan.1"
    )]
    Man {
        /// The subcommand whose page to print (`config show` as `config-show`).
        subcommand: Option<String>,
    },
}

const PLAN_EXAMPLES: &str = "\
Examples:
  cvmfs-cli plan --dry-run --mounts cms
  cvmfs-cli plan --mounts all --backend cvmfs2-helper
  CVMFS_MOUNTS='cms oasis' cvmfs-cli plan --backend snapshot --source ./snapshots --json
  cvmfs-cli plan --mounts cms --backend host-bind --source /host/cvmfs \\
      --read-only --propagation rslave";

const MOUNT_EXAMPLES: &str = "\
Examples:
  cvmfs-cli mount --mounts 'cms oasis.opensciencegrid.org' --backend cvmfs2-helper
  cvmfs-cli mount --mounts all --backend host-bind --source /host/cvmfs
  cvmfs-cli mount --mounts cms --backend snapshot --source /srv/snapshots --json";

const UMOUNT_EXAMPLES: &str = "\
Examples:
  cvmfs-cli umount --mounts cms --backend snapshot
  cvmfs-cli umount --mounts all --backend cvmfs2-helper";

const CHECK_EXAMPLES: &str = "\
Examples:
  CVMFS_MOUNTS=all cvmfs-cli check --backend cvmfs2-helper
  cvmfs-cli check --mounts cms --probe-timeout-ms 500 --json";

const REPAIR_EXAMPLES: &str = "\
Examples:
  cvmfs-cli repair --mounts all --backend cvmfs2-helper";

const WATCH_EXAMPLES: &str = "\
Examples:
  cvmfs-cli watch --mounts all --backend cvmfs2-helper --interval-ms 1000
  cvmfs-cli watch --mounts cms --backend snapshot --source ./snapshots --rounds 3";

const EXEC_EXAMPLES: &str = "\
Examples:
  cvmfs-cli exec --mounts cms --backend cvmfs2-helper -- scram project CMSSW_13_0_0
  cvmfs-cli exec --mounts cms --backend snapshot --source ./snapshots -- ls /cvmfs/cms.cern.ch
  cvmfs-cli exec --dry-run --mounts 'cms sft' -- ./analysis.sh
  # In a Dockerfile (BuildKit, RUN --security=insecure):
  RUN --security=insecure cvmfs-cli exec --mounts cms -- ./build-with-cvmfs.sh";

const ENTRYPOINT_EXAMPLES: &str = "\
Examples (as the image's ENTRYPOINT [\"cvmfs-cli\", \"entrypoint\", \"--\"]):
  docker run -e CVMFS_MOUNTS='cms sft' -e MY_UID=\"$(id -u)\" -e MY_GID=\"$(id -g)\" \\
      --device /dev/fuse --cap-add SYS_ADMIN image
  cvmfs-cli entrypoint --backend cvmfs2-helper --watch -- python3 analysis.py
  cvmfs-cli entrypoint -- -c 'cmsenv && scram b'      # arguments starting with - go to bash
  CVMFS_MOUNTS=cms MY_UID=1000 MY_GID=1000 cvmfs-cli entrypoint --dry-run -- bash";

const SERVE_EXAMPLES: &str = "\
Examples:
  cvmfs-cli serve --source ./cms-snapshot --target /cvmfs/cms.cern.ch --fqrn cms.cern.ch
  cvmfs-cli serve --source ./cms-snapshot --target /cvmfs/cms.cern.ch --fqrn cms.cern.ch --detach
  cvmfs-cli serve --dry-run --source ./cms-snapshot --target ./mnt --fqrn cms.cern.ch";

const ENV_EXAMPLES: &str = "\
Examples:
  eval \"$(cvmfs-cli env --mounts 'cms oasis.opensciencegrid.org')\"
  cvmfs-cli env --shell tcsh --el el9
  cvmfs-cli env --json";

const CONFIG_EXAMPLES: &str = "\
Examples:
  cvmfs-cli config show cms.cern.ch
  cvmfs-cli config show atlas --config-dir ./etc-cvmfs --json
  cvmfs-cli config render --mounts all --backend cvmfs2-helper > /etc/cvmfs/default.local";

const RUN_ARGS_EXAMPLES: &str = "\
Examples:
  readarray -td '' argv < <(cvmfs-cli run-args docker --mounts 'cms sft' --json \\
      | jq -j '.value[] + \"\\u0000\"') && \"${argv[@]}\"            # the argv, word for word
  eval \"$(cvmfs-cli run-args docker --mounts 'cms oasis.opensciencegrid.org')\"    # one quoted line
  cvmfs-cli run-args podman --backend host-bind --per-repository --mounts 'cms sft'
  cvmfs-cli run-args apptainer --backend host-bind -- python3 analysis.py
  cvmfs-cli run-args apptainer -i https://registry.hub.docker.com/library/busybox:1.36 -- ls /cvmfs
  cvmfs-cli run-args kubernetes --mounts all > pod.yaml
  cvmfs-cli run-args gitlab-ci --backend automounter-slave --shared-dir /cvmfsmounts/cvmfs";

const PUBLISH_EXAMPLES: &str = "\
Examples:
  cvmfs-cli publish ./cms-snapshot --fqrn test.example.org --out ./served/t --keys-dir ./keys
  cvmfs-cli publish ./cms-snapshot --fqrn test.example.org --out ./served/t --keys-dir ./keys \\
      --tag v2 --hash shake128 --chunk-threshold 16777216";

const REPO_EXAMPLES: &str = "\
Examples:
  cvmfs-cli repo info --source ./served/fixture.example.org --keys-dir ./keys
  cvmfs-cli repo ls -l -R --source \"file://$PWD/served/fixture.example.org\" --key ./fixture.pub /
  cvmfs-cli repo cat --source ./served/fixture.example.org --key ./fixture.pub README.txt";

const DOCTOR_EXAMPLES: &str = "\
Examples:
  cvmfs-cli doctor
  cvmfs-cli doctor --json";

/// Where the client's configuration lives (`--config-dir`'s default).
pub const CLIENT_CONFIG_DIR: &str = "/etc/cvmfs";

/// The shells completions are printed for: clap's, and tcsh (common on HEP login nodes,
/// which clap does not cover).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
    /// Tcsh (and csh).
    Tcsh,
}

/// Options of the engine shared by the commands that act.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// cvmfs2-helper: the client's mount helper.
    #[arg(long, value_name = "PATH", default_value = "/sbin/mount.cvmfs")]
    pub helper: PathBuf,
    /// cvmfs2-helper: the client binary preflight looks for.
    #[arg(long, value_name = "PATH", default_value = "/usr/bin/cvmfs2")]
    pub client_binary: Option<PathBuf>,
    /// cvmfs2-helper: the client's configuration directory (its CVMFS_CONFIG_REPOSITORY
    /// decides the configuration repository unless --config-repository is given).
    #[arg(long, value_name = "DIR", default_value = CLIENT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// cvmfs2-helper: seconds one mount may take before the helper is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub helper_timeout: u64,
    /// cvmfs2-helper: write the cms profile's default.local for the selection first.
    #[arg(long)]
    pub write_default_local: bool,
    /// A failing configuration repository stops the others (CVMFS_CONFIG_REPO_REQUIRED).
    #[arg(long)]
    pub config_repo_required: bool,
    /// Hard limit for probing one repository, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub probe_timeout_ms: u64,
    /// How long a mount may take to become healthy, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub verify_wait_ms: u64,
    /// Attempts per repository when repairing.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub repair_attempts: u32,
    /// Repair also remounts degraded repositories (serving with I/O errors), breaking
    /// files open on them.
    #[arg(long)]
    pub remount_degraded: bool,
    /// Mount over directories that hold files (hiding them).
    #[arg(long)]
    pub allow_non_empty: bool,
    /// snapshot: each server waits this long before mounting (a slow mount, for testing
    /// what happens meanwhile; the snapshot backend is itself a test stand-in).
    /// native: the cache directory (default: CVMFS_CACHE_BASE of the configuration, with
    /// CVMFS_QUOTA_LIMIT).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// native: servers instead of the configuration's (CVMFS_SERVER_URL syntax, `@fqrn@`
    /// allowed; `file:///dir/@fqrn@` reads served trees from a directory).
    #[arg(long, value_name = "URLS")]
    pub server_url: Option<String>,
    /// native: proxies instead of the configuration's (CVMFS_HTTP_PROXY syntax).
    #[arg(long, value_name = "LIST")]
    pub http_proxy: Option<String>,
    /// native: a master public key instead of the configuration's (repeatable).
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<PathBuf>,
    #[arg(long, value_name = "MS", default_value_t = 0, hide = true)]
    pub snapshot_mount_delay_ms: u64,
    /// host-bind: accept sources served by the snapshot stand-in as client mounts (for
    /// tests that bind stand-in mounts; a user's host-bind wants the client's).
    #[arg(long, hide = true)]
    pub host_bind_accepts_stand_in: bool,
}

/// Arguments of `mount`, `umount`, `check` and `repair`.
#[derive(Debug, Args)]
pub struct OperateArgs {
    /// Print the plan instead of acting (the same output as `plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// Selection, backend and layout.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// What to watch.
    #[command(flatten)]
    pub operate: OperateArgs,
    /// Milliseconds between rounds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub interval_ms: u64,
    /// Stop after this many rounds (default: until SIGINT or SIGTERM).
    #[arg(long, value_name = "N")]
    pub rounds: Option<u64>,
}

/// Arguments of `exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// What to mount.
    #[command(flatten)]
    pub operate: OperateArgs,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<std::ffi::OsString>,
}

/// Arguments of `entrypoint`.
#[derive(Debug, Args)]
pub struct EntrypointArgs {
    /// What to mount (CVMFS_MOUNTS by default) and how.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// The directory with passwd and group.
    #[arg(long, value_name = "DIR", default_value = "/etc")]
    pub etc: PathBuf,
    /// The container user to remap and run as.
    #[arg(long, env = "CVMFS_USER_NAME", default_value = "cmsusr")]
    pub user: String,
    /// Accept MY_UID=0 / MY_GID=0 (the user becomes root-equivalent).
    #[arg(long)]
    pub allow_root_ids: bool,
    /// Accept MY_UID/MY_GID 65534 (the overflow id "nobody", which files of unmapped
    /// users show).
    #[arg(long)]
    pub allow_nobody_ids: bool,
    /// Keep repairing mounts in the background while the command runs.
    #[arg(long, env = "CVMFS_WATCH", value_parser = clap::builder::FalseyValueParser::new())]
    pub watch: bool,
    /// Milliseconds between repair rounds with --watch.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub watch_interval_ms: u64,
    /// Report each step as a JSON line on standard output (the command's output follows).
    #[arg(long)]
    pub json: bool,
    /// Leave interactive shells alone (by default each checks the mounts and sets up
    /// the environment, as the anchor's did: <etc>/profile.d/cvmfs-mount.sh).
    #[arg(long)]
    pub no_shell_profile: bool,
    /// Validate the input and print the plan, the user and the command instead of
    /// acting.
    #[arg(long)]
    pub dry_run: bool,
    /// The command; arguments starting with `-` are passed to bash, none gives a shell.
    #[arg(last = true)]
    pub command: Vec<std::ffi::OsString>,
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The directory to serve.
    #[arg(long, value_name = "DIR")]
    pub source: PathBuf,
    /// The mountpoint.
    #[arg(long, value_name = "DIR")]
    pub target: PathBuf,
    /// The repository name answered in `user.fqrn`.
    #[arg(long, value_name = "FQRN")]
    pub fqrn: String,
    /// The revision answered in `user.revision`.
    #[arg(long, default_value = "1")]
    pub revision: String,
    /// Delay every answer (fault injection).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Delay the mount itself (fault injection).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub mount_delay_ms: u64,
    /// Start hung: requests are not answered until SIGUSR1 (fault injection).
    #[arg(long)]
    pub hang: bool,
    /// Start the server in the background and return once it is mounted.
    #[arg(long)]
    pub detach: bool,
    /// Validate the input and say what would be served instead of serving.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON (what is or would be served, and the server's pid).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Repositories (as for `plan`); default CVMFS_MOUNTS.
    #[arg(long, env = "CVMFS_MOUNTS", value_name = "LIST")]
    pub mounts: Option<String>,
    /// Where repositories are mounted.
    #[arg(long, value_name = "DIR", default_value = "/cvmfs")]
    pub root: PathBuf,
    /// The shell to write for.
    #[arg(long, default_value = "bash")]
    pub shell: String,
    /// The OSG worker-node client layout.
    #[arg(long, default_value = "el7")]
    pub el: String,
    /// The architecture in the layout's directory names.
    #[arg(long, default_value = "x86_64")]
    pub arch: String,
    /// The catalog names are resolved against.
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The effective configuration of a repository, with the file each value comes from.
    #[command(
        after_help = "Examples:\n  cvmfs-cli config show cms.cern.ch\n  cvmfs-cli config show sft --config-dir ./etc-cvmfs --json"
    )]
    Show(ShowConfigArgs),
    /// A default.local for a selection (the anchor's cms profile).
    #[command(
        after_help = "Examples:\n  cvmfs-cli config render --mounts all --backend cvmfs2-helper"
    )]
    Render {
        /// Selection, backend and layout.
        #[command(flatten)]
        selection: SelectionArgs,
        /// Print JSON: the file's name and content, and the repositories it serves.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `config show` (and of `showconfig`, its `cvmfs_config` name).
#[derive(Debug, Args)]
pub struct ShowConfigArgs {
    /// The repository (short names get the default domain).
    pub repository: String,
    /// The client's configuration directory.
    #[arg(long, value_name = "DIR", default_value = CLIENT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// Where the configuration repository is mounted.
    #[arg(long, value_name = "DIR", default_value = "/cvmfs")]
    pub mount_dir: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The directory to publish.
    pub dir: PathBuf,
    /// The repository's name.
    #[arg(long, value_name = "FQRN")]
    pub fqrn: String,
    /// The served tree to write (what a web server serves at /cvmfs/FQRN).
    #[arg(long, value_name = "SERVED_DIR")]
    pub out: PathBuf,
    /// Where the keys are, generated on first use (never inside --out).
    #[arg(long, value_name = "DIR")]
    pub keys_dir: PathBuf,
    /// The content-hash algorithm.
    #[arg(long, value_name = "ALGORITHM", default_value = "sha1", value_parser = ["sha1", "rmd160", "shake128"])]
    pub hash: String,
    /// Files larger than this many bytes are chunked (0: never).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub chunk_threshold: u64,
    /// The size of each chunk.
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024)]
    pub chunk_size: u64,
    /// Days until the whitelist expires.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub whitelist_days: u64,
    /// How long clients keep a revision before checking for a newer one (the root
    /// catalog's `TTL`).
    #[arg(long, value_name = "SECONDS", default_value_t = 240)]
    pub ttl: u64,
    /// A named tag for this revision.
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
    /// The tag's description.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub tag_description: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where a repository is read from and what it is checked against.
#[derive(Debug, Args)]
pub struct RepoSourceArgs {
    /// The served tree (a directory or `file://` URL, as a stratum-1 serves it). Without
    /// it and without --server-url, the client configuration in --config-dir says where
    /// (CVMFS_SERVER_URL, CVMFS_HTTP_PROXY, keys), for --fqrn.
    #[arg(long, value_name = "DIR|URL")]
    pub source: Option<String>,
    /// The client configuration used without --source and --server-url.
    #[arg(long, value_name = "DIR", default_value = CLIENT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// Servers over HTTP, as CVMFS_SERVER_URL (`;`-separated, `@fqrn@` allowed).
    #[arg(long, value_name = "URLS", conflicts_with = "source")]
    pub server_url: Option<String>,
    /// Proxies, as CVMFS_HTTP_PROXY (`;` fail-over groups, `|` load-balanced, DIRECT).
    #[arg(long, value_name = "LIST", requires = "server_url")]
    pub http_proxy: Option<String>,
    /// The repository's name (default: the source's last path component).
    #[arg(long, value_name = "FQRN")]
    pub fqrn: Option<String>,
    /// A master public key (repeatable).
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<PathBuf>,
    /// Every `*.pub` in this directory is a master public key.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Open this tag instead of the head.
    #[arg(long, value_name = "NAME", conflicts_with = "date")]
    pub tag: Option<String>,
    /// Open the newest tagged revision published at or before this time (Unix seconds).
    #[arg(long, value_name = "UNIX")]
    pub date: Option<u64>,
    /// Keep verified objects and the accepted revision here (objects are read from it
    /// first; a rollback is refused across runs).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Judge the whitelist's expiry at this time (Unix seconds) instead of now.
    #[arg(long, value_name = "UNIX")]
    pub now: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

const CACHE_EXAMPLES: &str = "\
Examples:
  cvmfs-cli cache info --cache-dir ~/.cache/cvmfs --json
  cvmfs-cli cache evict --to-mb 1000 --cache-dir ~/.cache/cvmfs
  cvmfs-cli cache wipe --cache-dir ~/.cache/cvmfs
  cvmfs-cli cache info   # the cache of /etc/cvmfs (CVMFS_CACHE_BASE, CVMFS_QUOTA_LIMIT)";

/// The `image` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Check a DUCC recipe before a pull request: its keys and types, every input line
    /// (what DUCC would misread, drop or fail on; duplicates, entries a wildcard already
    /// covers, mutable tags, Docker Hub aliases), each with its line; exit 2 on errors.
    #[command(
        after_help = "Examples:\n  cvmfs-cli image lint recipe.yaml\n  cvmfs-cli image lint --json recipe.yaml"
    )]
    Lint {
        /// The recipe (`recipe.yaml`).
        recipe: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find an image in the mounted repository: its public path, the flat root filesystem
    /// it leads to, the config digest, the layers, when it was last updated and its
    /// environment; a wildcard tag lists every published tag it matches (DUCC's rule).
    /// Mounts the repository when nothing is mounted there (and leaves it mounted).
    #[command(after_help = IMAGE_RESOLVE_EXAMPLES)]
    Resolve(ImageResolveArgs),
    /// Run a command in an image straight from CVMFS: podman with the flat path as an
    /// overlay root filesystem and the image's environment, apptainer or singularity with
    /// the public path. Docker cannot run a directory and is refused with the
    /// alternatives. A repository this command mounted is unmounted afterwards.
    #[command(after_help = IMAGE_RUN_EXAMPLES)]
    Run(ImageRunArgs),
}

const IMAGE_RESOLVE_EXAMPLES: &str = "\
Examples:
  cvmfs-cli image resolve https://registry.hub.docker.com/library/busybox:1.36
  cvmfs-cli image resolve --json 'https://registry.hub.docker.com/library/busybox:1.3*'
  cvmfs-cli image resolve --no-mount https://registry.hub.docker.com/library/busybox:stable";

const IMAGE_RUN_EXAMPLES: &str = "\
Examples:
  cvmfs-cli image run https://registry.hub.docker.com/library/busybox:1.36 -- busybox echo hello
  cvmfs-cli image run --runtime apptainer https://registry.hub.docker.com/library/busybox:1.36 -- ls
  cvmfs-cli image run --runtime-arg=-t https://registry.hub.docker.com/library/busybox:1.36 -- sh";

/// Where the image repository is, and how to mount it when nothing is mounted there.
#[derive(Debug, Args)]
pub struct ImageRepositoryArgs {
    /// The repository DUCC publishes images into.
    #[arg(long, value_name = "FQRN", default_value = "unpacked.cern.ch")]
    pub repository: String,
    /// Where repositories appear (the client's CVMFS_MOUNT_DIR).
    #[arg(
        long,
        value_name = "DIR",
        env = "CVMFS_MOUNT_DIR",
        default_value = "/cvmfs"
    )]
    pub root: PathBuf,
    /// The backend that mounts the repository when it is not mounted (default: the best
    /// one `doctor` finds here).
    #[arg(long, value_parser = backend_kind())]
    pub backend: Option<BackendKind>,
    /// snapshot and host-bind: where the repository's directory is.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// Never mount: fail when the repository is not mounted already.
    #[arg(long)]
    pub no_mount: bool,
    /// Hard limit for reading the image's paths through the mount, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub resolve_timeout_ms: u64,
    /// How mounting is done.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Arguments of `image resolve`.
#[derive(Debug, Args)]
pub struct ImageResolveArgs {
    /// The image as DUCC's recipe names it (`https://REGISTRY/REPOSITORY:TAG`, `*` allowed
    /// in the tag).
    pub spec: String,
    /// The repository and its mounting.
    #[command(flatten)]
    pub repository: ImageRepositoryArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `image run`.
#[derive(Debug, Args)]
pub struct ImageRunArgs {
    /// The image (`https://REGISTRY/REPOSITORY:TAG`; no wildcard).
    pub spec: String,
    /// podman, apptainer or singularity (docker is refused with the alternatives).
    #[arg(long, value_name = "NAME", default_value = "podman", value_parser = clap::builder::PossibleValuesParser::new(cvmfs_core::image::launch::ImageRuntime::NAMES))]
    pub runtime: String,
    /// One more option for the runtime, placed after `run` or `exec` (repeatable; write
    /// `--runtime-arg=--network=none` for one that starts with a dash).
    #[arg(long = "runtime-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub runtime_args: Vec<String>,
    /// Print the runtime's command line instead of running it (nothing is mounted).
    #[arg(long)]
    pub dry_run: bool,
    /// The repository and its mounting.
    #[command(flatten)]
    pub repository: ImageRepositoryArgs,
    /// The command to run in the image (default: an interactive shell).
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// Which cache: a directory, or the one the client configuration names.
#[derive(Debug, Args)]
pub struct CacheLocationArgs {
    /// The cache directory (default: CVMFS_CACHE_BASE of the client configuration, plus
    /// `shared` unless CVMFS_SHARED_CACHE=no, with CVMFS_QUOTA_LIMIT).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The client configuration used without --cache-dir.
    #[arg(long, value_name = "DIR", default_value = CLIENT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// The repository whose configuration names the cache (an exclusive cache, or
    /// repository-specific settings).
    #[arg(long, value_name = "FQRN")]
    pub fqrn: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The `cache` subcommands.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Where the cache is, its quota, usage, objects, and the revisions it remembers.
    #[command(after_help = "Examples:\n  cvmfs-cli cache info --cache-dir ~/.cache/cvmfs")]
    Info {
        /// The cache.
        #[command(flatten)]
        location: CacheLocationArgs,
    },
    /// Evict least recently used objects until at most --to-mb remain (catalogs this
    /// process uses stay; other processes keep reading the files they have open).
    #[command(
        after_help = "Examples:\n  cvmfs-cli cache evict --to-mb 500 --cache-dir ~/.cache/cvmfs"
    )]
    Evict {
        /// The cache.
        #[command(flatten)]
        location: CacheLocationArgs,
        /// The most to keep, in megabytes (MiB, as CVMFS_QUOTA_LIMIT).
        #[arg(long, value_name = "MB")]
        to_mb: u64,
    },
    /// Remove every cached object. The remembered revisions stay (they refuse rollbacks).
    #[command(after_help = "Examples:\n  cvmfs-cli cache wipe --cache-dir ~/.cache/cvmfs")]
    Wipe {
        /// The cache.
        #[command(flatten)]
        location: CacheLocationArgs,
    },
}

/// The `repo` subcommands.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// The manifest, certificate, whitelist and root catalog's properties and counters.
    #[command(
        after_help = "Examples:\n  cvmfs-cli repo info --source ./served/fixture.example.org --keys-dir ./keys --json"
    )]
    Info {
        /// The repository.
        #[command(flatten)]
        source: RepoSourceArgs,
    },
    /// List a directory (JSON: one entry per line).
    #[command(
        after_help = "Examples:\n  cvmfs-cli repo ls -l --source ./served/fixture.example.org --key ./fixture.pub /bin"
    )]
    Ls {
        /// The repository.
        #[command(flatten)]
        source: RepoSourceArgs,
        /// Long format.
        #[arg(short = 'l')]
        long: bool,
        /// Recursively.
        #[arg(short = 'R')]
        recursive: bool,
        /// The directory.
        #[arg(default_value = "/")]
        path: String,
    },
    /// Print a file's content.
    #[command(
        after_help = "Examples:\n  cvmfs-cli repo cat --source ./served/fixture.example.org --key ./fixture.pub README.txt"
    )]
    Cat {
        /// The repository.
        #[command(flatten)]
        source: RepoSourceArgs,
        /// The file.
        path: String,
    },
    /// An entry's metadata.
    #[command(
        after_help = "Examples:\n  cvmfs-cli repo stat --json --source ./served/fixture.example.org --key ./fixture.pub links/chain"
    )]
    Stat {
        /// The repository.
        #[command(flatten)]
        source: RepoSourceArgs,
        /// The entry.
        path: String,
    },
    /// The named tags of the history database.
    #[command(
        after_help = "Examples:\n  cvmfs-cli repo tags --source ./served/fixture.example.org --key ./fixture.pub"
    )]
    Tags {
        /// The repository.
        #[command(flatten)]
        source: RepoSourceArgs,
    },
    /// Load every catalog and (with --objects) read every file, checking every hash.
    #[command(
        after_help = "Examples:\n  cvmfs-cli repo verify --objects --source ./served/fixture.example.org --key ./fixture.pub"
    )]
    Verify {
        /// The repository.
        #[command(flatten)]
        source: RepoSourceArgs,
        /// Also fetch and verify every file's objects.
        #[arg(long)]
        objects: bool,
    },
}

/// Arguments of `run-args`.
#[derive(Debug, Args)]
pub struct RunArgsArgs {
    /// docker, podman, apptainer, singularity, kubernetes or gitlab-ci.
    pub runtime: String,
    /// Repositories, as for `plan`.
    #[arg(long, short = 'm', env = "CVMFS_MOUNTS", value_name = "LIST")]
    pub mounts: Option<String>,
    /// How the container gets repositories: native (our own client, nothing else in the
    /// image), cvmfs2-helper or snapshot mount inside it, host-bind binds the host's,
    /// automounter-slave consumes an automounter's.
    #[arg(long, value_parser = backend_kind(), default_value_t = BackendKind::Native)]
    pub backend: BackendKind,
    /// host-bind: the host's directory with the repositories.
    #[arg(long, value_name = "DIR", default_value = "/cvmfs")]
    pub source: PathBuf,
    /// host-bind: one read-only bind per repository instead of the whole directory.
    /// Such binds go stale for good when the host remounts a repository (the container
    /// keeps "not connected"); the whole-directory rslave bind recovers.
    #[arg(long)]
    pub per_repository: bool,
    /// automounter-slave: the host directory the automounter shares.
    #[arg(long, value_name = "DIR", default_value = "/shared-mounts/cvmfs")]
    pub shared_dir: PathBuf,
    /// The catalog names are resolved against.
    #[command(flatten)]
    pub catalog: CatalogArgs,
    /// Where repositories appear in the container.
    #[arg(long, value_name = "DIR", default_value = "/cvmfs")]
    pub root: PathBuf,
    /// The image (`-i`). For apptainer, singularity and podman it may be an image that
    /// DUCC publishes unpacked, named as its recipe names it (`https://REGISTRY/REPO:TAG`):
    /// the arguments then run it from the repository under --root (podman: the flat path
    /// resolved through the mounted repository, with the image's environment).
    #[arg(long, short = 'i', default_value = cvmfs_core::runtime_args::DEFAULT_IMAGE)]
    pub image: String,
    /// The repository holding unpacked images (with an image specification).
    #[arg(long, value_name = "FQRN", default_value = "unpacked.cern.ch")]
    pub image_repository: String,
    /// A registry to prefix to the image (`-R`).
    #[arg(long, short = 'R', value_name = "REGISTRY")]
    pub registry: Option<String>,
    /// A persistent container name instead of --rm (`-n`).
    #[arg(long, short = 'n')]
    pub name: Option<String>,
    /// An extra directory to bind (`-l`).
    #[arg(long, short = 'l', value_name = "DIR")]
    pub local: Option<PathBuf>,
    /// Where the extra directory appears (`-r`).
    #[arg(
        long,
        short = 'r',
        value_name = "DIR",
        default_value = "/root/local_mount/"
    )]
    pub remote: PathBuf,
    /// Mount ~/.ssh and forward the ssh agent (`-s`).
    #[arg(long, short = 's')]
    pub ssh: bool,
    /// Mount ~/.gitconfig, following symlinks (`-g`).
    #[arg(long, short = 'g')]
    pub gitconfig: bool,
    /// Publish VNC (5901) and noVNC (6080) on 127.0.0.1.
    #[arg(long)]
    pub vnc: bool,
    /// Publish one more port on 127.0.0.1 (`-p`).
    #[arg(long, short = 'p')]
    pub port: Option<u16>,
    /// DISPLAY for X11 (`-D`; host.docker.internal:0 on macOS and Windows).
    #[arg(long, short = 'D')]
    pub display: Option<String>,
    /// The Linux X11 recipe: DISPLAY from the environment, XAUTHORITY and the X socket.
    #[arg(long)]
    pub x11: bool,
    /// The user in the image.
    #[arg(long, default_value = "cmsusr")]
    pub user: String,
    /// MY_UID for the container user (default: your uid, none for root).
    #[arg(long, value_name = "UID")]
    pub my_uid: Option<u32>,
    /// MY_GID for the container user (default: your gid, none for root).
    #[arg(long, value_name = "GID")]
    pub my_gid: Option<u32>,
    /// docker/podman: print the automounter container itself, publishing the selection
    /// into --shared-dir (mounting inside, repairing, unmounting when stopped).
    #[arg(long)]
    pub automounter: bool,
    /// docker/podman: the container's network (`host` or `none`, for example).
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,
    /// Print the arguments even when the bind source's propagation would make the
    /// engine refuse them.
    #[arg(long)]
    pub skip_propagation_check: bool,
    /// Print JSON (an argument vector or a manifest).
    #[arg(long)]
    pub json: bool,
    /// The command to run in the container (default: an interactive shell).
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The mount root to inspect.
    #[arg(long, value_name = "DIR", default_value = "/cvmfs")]
    pub root: PathBuf,
    /// Hard limit for asking one mount what serves it, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub probe_timeout_ms: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

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

/// Parses `--backend` with the core's names, offering them as the possible values.
fn backend_kind() -> impl clap::builder::TypedValueParser<Value = BackendKind> {
    clap::builder::PossibleValuesParser::new(BackendKind::NAMES)
        .try_map(|name| name.parse::<BackendKind>())
}

/// The options every subcommand shares, so a printed plan can be executed by changing
/// only the subcommand.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Repositories to make available: names separated by spaces or commas, `all`, or
    /// `none`. Short names get the default domain.
    #[arg(long, env = "CVMFS_MOUNTS", value_name = "LIST")]
    pub mounts: Option<String>,
    /// How repositories are provided: `cvmfs2-helper` mounts through the installed
    /// client's mount helper; `host-bind` binds a host's /cvmfs (--source);
    /// `automounter-slave` consumes an automounter's shared directory; `snapshot` serves
    /// local directories (--source) through a FUSE stand-in that is not the CVMFS client.
    /// Default: the best backend `doctor` finds here that needs no --source
    /// (automounter-slave when an automounter's directory is shared, else cvmfs2-helper).
    #[arg(long, value_parser = backend_kind())]
    pub backend: Option<BackendKind>,
    /// Where repositories appear (the client's CVMFS_MOUNT_DIR).
    #[arg(
        long,
        value_name = "DIR",
        env = "CVMFS_MOUNT_DIR",
        default_value = "/cvmfs"
    )]
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
    /// The catalog names are resolved against.
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

/// The options that decide the catalog: which names exist, what `all` means, the default
/// domain and the configuration repository. Every command that reads a selection takes
/// them, and `plan_input::catalog` is the one place that turns them into a catalog.
#[derive(Debug, Args)]
pub struct CatalogArgs {
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
