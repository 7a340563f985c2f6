//! `cvmfs_docker`: the anchor's host helper, with its flags and their meanings, when
//! this executable is called by that name (`ln -s cvmfs-cli cvmfs_docker`). Its `-v`
//! publishes VNC (not "verbose"), `-d` prints the command instead of running it, `-n`
//! names a persistent container; the command is what `run-args docker` renders, and it
//! is executed from its words (no `eval`), replacing this process.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use clap::Parser;
use cvmfs_core::runtime_args::Rendered;

use crate::args::{Cli, Command};
use crate::error::CliError;
use crate::exit_code;

/// The helper's flags.
#[derive(Debug, Parser)]
#[command(
    name = "cvmfs_docker",
    about = "Start the CMS CVMFS image with Docker, as the anchor's cvmfs_docker did (the command is run from its words, never through eval)",
    after_help = "Examples:\n  cvmfs_docker -m 'cms oasis' -v -n analysis\n  cvmfs_docker -d -m cms -- python3 analysis.py"
)]
pub struct HelperArgs {
    /// CVMFS_MOUNTS for the container.
    #[arg(short = 'm', value_name = "MOUNTS")]
    mounts: Option<String>,
    /// An extra directory to bind.
    #[arg(short = 'l', value_name = "LOCAL")]
    local: Option<PathBuf>,
    /// Where the extra directory appears.
    #[arg(short = 'r', value_name = "REMOTE")]
    remote: Option<PathBuf>,
    /// A persistent container with this name instead of --rm.
    #[arg(short = 'n', value_name = "NAME")]
    name: Option<String>,
    /// Mount ~/.ssh and forward the ssh agent.
    #[arg(short = 's')]
    ssh: bool,
    /// Mount ~/.gitconfig.
    #[arg(short = 'g')]
    gitconfig: bool,
    /// Publish VNC (5901) and noVNC (6080) on 127.0.0.1.
    #[arg(short = 'v')]
    vnc: bool,
    /// Publish one more port on 127.0.0.1.
    #[arg(short = 'p', value_name = "PORT")]
    port: Option<u16>,
    /// Print the command instead of running it.
    #[arg(short = 'd')]
    print_only: bool,
    /// DISPLAY for X11.
    #[arg(short = 'D', value_name = "DISPLAY")]
    display: Option<String>,
    /// The image.
    #[arg(short = 'i', value_name = "IMAGE")]
    image: Option<String>,
    /// A registry to prefix to the image.
    #[arg(short = 'R', value_name = "REGISTRY")]
    registry: Option<String>,
    /// Print the command on standard error before running it.
    #[arg(short = 'V')]
    trace: bool,
    /// The command to run in the container (default: an interactive shell).
    #[arg(last = true)]
    command: Vec<String>,
}

impl HelperArgs {
    /// The same request as `cvmfs-cli run-args docker` words it.
    fn run_args_words(&self) -> Vec<OsString> {
        let mut words: Vec<OsString> = vec!["cvmfs-cli".into(), "run-args".into(), "docker".into()];
        let mut option = |flag: &str, value: Option<OsString>| {
            if let Some(value) = value {
                words.push(flag.into());
                words.push(value);
            }
        };
        option("--mounts", self.mounts.clone().map(Into::into));
        option("--local", self.local.clone().map(Into::into));
        option("--remote", self.remote.clone().map(Into::into));
        option("--name", self.name.clone().map(Into::into));
        option("--port", self.port.map(|p| p.to_string().into()));
        option("--display", self.display.clone().map(Into::into));
        option("--image", self.image.clone().map(Into::into));
        option("--registry", self.registry.clone().map(Into::into));
        for (flag, on) in [
            ("--ssh", self.ssh),
            ("--gitconfig", self.gitconfig),
            ("--vnc", self.vnc),
        ] {
            if on {
                words.push(flag.into());
            }
        }
        if !self.command.is_empty() {
            words.push("--".into());
            words.extend(self.command.iter().map(Into::into));
        }
        words
    }
}

/// Runs the helper: prints the command with `-d`, else replaces this process with it.
pub fn run(args: &HelperArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, CliError> {
    let cli = Cli::try_parse_from(args.run_args_words()).map_err(|e| CliError::Helper {
        message: e.to_string(),
    })?;
    let Command::RunArgs(run_args) = &cli.command else {
        return Err(CliError::Helper {
            message: "the helper's words did not make a run-args request".to_owned(),
        });
    };
    let rendered = crate::commands::run_args::rendered(run_args)?;
    let Rendered::Argv(argv) = &rendered else {
        return Err(CliError::Helper {
            message: "docker renders an argument vector".to_owned(),
        });
    };
    if args.print_only {
        crate::commands::emit(out, &format!("{}\n", rendered.to_shell_line()))?;
        return Ok(exit_code::SUCCESS);
    }
    if args.trace {
        let _ = writeln!(err, "+ {}", rendered.to_shell_line());
    }
    // Replaces this process: docker gets the terminal and its status is ours.
    let source = std::process::Command::new(&argv[0]).args(&argv[1..]).exec();
    Err(CliError::RunEngine {
        program: argv[0].clone(),
        source,
    })
}
