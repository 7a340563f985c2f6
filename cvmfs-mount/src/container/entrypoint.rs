//! The container entrypoint's sequence, as a library: remap the image's user to the
//! requested ids, give them their home, mount the plan, check it, point at the
//! environment scripts, optionally keep repairing in the background, then run the
//! command with every privilege dropped and supervise it as PID 1. Each step is reported
//! as an [`EntrypointEvent`]; the wording users read belongs to the caller (the command
//! line keeps the anchor's lines). Signal handlers are installed first: a stop that
//! arrives before the command runs ends the sequence after the current step, undoes the
//! mounts it made, and returns 128 + the signal.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::environment::{EnvironmentOptions, EnvironmentSetup};
use cvmfs_core::remap::{IdRequest, RemapAction};
use cvmfs_core::{Fqrn, MountPlan, Selection};
use nix::sys::signal::Signal;

use crate::container::accounts::{AccountFiles, apply_remap};
use crate::container::home_ownership::{HostTree, OwnershipReport, chown_home};
use crate::container::init::{Credentials, spawn_unprivileged, supervise};
use crate::container::shell_profile::ShellProfile;
use crate::container::signals::{SignalForwarder, status_of};
use crate::engine::Engine;
use crate::error::MountError;
use crate::probe::ProbeResult;
use crate::report::{Outcome, PlanReport};
use crate::watch::{StopSignal, watch};

/// What the entrypoint does.
#[derive(Debug, Clone)]
pub struct EntrypointConfig {
    /// The directory with `passwd` and `group` (`/etc`).
    pub etc: PathBuf,
    /// The validated id request for the image's user.
    pub ids: IdRequest,
    /// The repositories to mount.
    pub plan: MountPlan,
    /// The command (already resolved: a shell, or the program and its arguments).
    pub command: Vec<OsString>,
    /// Repair in the background at this interval while the command runs.
    pub watch: Option<Duration>,
    /// What interactive shells run (written under `etc`); `None` leaves the shells
    /// alone.
    pub shell_profile: Option<ShellProfile>,
}

/// One step of the sequence, as it happens.
#[derive(Debug)]
pub enum EntrypointEvent {
    /// A line the remap wants users to read (the anchor's "defaulting to" lines).
    RemapNotice(String),
    /// A change the remap made to the account files.
    RemapAction(RemapAction),
    /// The home directory was handed to the new ids (or why it was not walked).
    HomeOwned {
        /// The home directory.
        home: PathBuf,
        /// What the walk did.
        report: OwnershipReport,
    },
    /// Handing over the home directory failed part-way; the next start finishes it.
    HomeFailed {
        /// The home directory.
        home: PathBuf,
        /// Why.
        error: MountError,
    },
    /// Every repository's mount result.
    Mounted(PlanReport),
    /// Nothing is selected: nothing to check.
    NothingToCheck,
    /// The health of every repository after mounting.
    Checked {
        /// The repositories the plan provides.
        repositories: Vec<Fqrn>,
        /// The probe results (empty when the probe itself failed).
        results: Vec<ProbeResult>,
        /// The probe's own failure, if any.
        error: Option<MountError>,
    },
    /// An environment script for the selection.
    EnvironmentScript {
        /// The script to source.
        script: PathBuf,
        /// Whether it exists (the repository is mounted).
        exists: bool,
        /// The anchor's message for a missing script.
        missing_message: String,
    },
    /// The interactive shells' snippet was written (or why not).
    ShellProfile {
        /// The snippet's path, or the error.
        result: Result<PathBuf, MountError>,
    },
    /// A background repair round that found something to do.
    Repaired(PlanReport),
    /// After the command: the mounts this run made, undone.
    Unmounted(PlanReport),
    /// A stop arrived before the command started: the mounts made were undone.
    StoppedBeforeCommand {
        /// The signal.
        signal: Signal,
        /// What undoing the mounts did.
        undone: PlanReport,
    },
    /// The command could not be started.
    CommandFailed {
        /// The command.
        command: Vec<OsString>,
        /// The user it was to run as.
        user: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Errors that end the sequence before anything is mounted.
#[derive(Debug, thiserror::Error)]
pub enum EntrypointError {
    /// The signal handlers could not be installed.
    #[error("cannot install the signal handlers: {source}")]
    Signals {
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The id remap failed; nothing was changed.
    #[error("{source}")]
    Remap {
        /// The error.
        #[source]
        source: MountError,
    },
}

/// Runs the sequence with `engine`, reporting each step to `on_event` (called from this
/// thread, and from the watch thread for [`EntrypointEvent::Repaired`]). Returns the
/// command's exit status (128 + a signal that ended it; 127 when it could not start).
pub fn run_entrypoint(
    engine: &Engine,
    config: &EntrypointConfig,
    on_event: &(dyn Fn(EntrypointEvent) + Sync),
) -> Result<i32, EntrypointError> {
    let forwarder =
        SignalForwarder::install().map_err(|source| EntrypointError::Signals { source })?;
    let plan = &config.plan;
    // 1. The user and their files.
    let files = AccountFiles::under(&config.etc);
    let remap =
        apply_remap(&files, &config.ids).map_err(|source| EntrypointError::Remap { source })?;
    for notice in &remap.notices {
        on_event(EntrypointEvent::RemapNotice(notice.clone()));
    }
    for action in &remap.actions {
        on_event(EntrypointEvent::RemapAction(action.clone()));
    }
    let home = PathBuf::from(&remap.home);
    let tree = HostTree {
        ops: engine.ops().as_ref(),
    };
    match chown_home(
        &tree,
        &home,
        (remap.old_uid, remap.old_gid),
        (remap.new_uid, remap.new_gid),
    ) {
        Ok(report) => on_event(EntrypointEvent::HomeOwned {
            home: home.clone(),
            report,
        }),
        Err(error) => on_event(EntrypointEvent::HomeFailed {
            home: home.clone(),
            error,
        }),
    }
    // 2. Mount, with the real status of each repository.
    let mounted = engine.mount(plan);
    on_event(EntrypointEvent::Mounted(mounted.clone()));
    if let Some(code) = stop_requested(engine, plan, &mounted, &forwarder, on_event) {
        return Ok(code);
    }
    // 3. Check, from a child process: a hung repository cannot keep PID 1 from exiting.
    let repositories: Vec<Fqrn> = plan.repositories().into_iter().cloned().collect();
    if repositories.is_empty() {
        on_event(EntrypointEvent::NothingToCheck);
    } else {
        let (results, error) = match engine.probe_isolated(plan) {
            Ok(results) => (results, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        on_event(EntrypointEvent::Checked {
            repositories: repositories.clone(),
            results,
            error,
        });
    }
    // 4. Where the environment comes from.
    let setup = EnvironmentSetup::for_selection(
        &Selection::from_repositories(repositories),
        &EnvironmentOptions {
            root: plan.root().to_owned(),
            ..EnvironmentOptions::default()
        },
    );
    for script in setup.scripts {
        on_event(EntrypointEvent::EnvironmentScript {
            exists: script.sh.exists(),
            script: script.sh,
            missing_message: script.missing_message,
        });
    }
    if let Some(profile) = &config.shell_profile {
        on_event(EntrypointEvent::ShellProfile {
            result: profile.install(&config.etc),
        });
    }
    if let Some(code) = stop_requested(engine, plan, &mounted, &forwarder, on_event) {
        return Ok(code);
    }
    // 5. The command, unprivileged, with optional background repair as root.
    let who = Credentials {
        user: remap.user.clone(),
        uid: remap.new_uid,
        gid: remap.new_gid,
        groups: remap.group_ids(),
        home,
    };
    let stop = StopSignal::new();
    // Entries the watch mounted again (or for the first time) are this run's too.
    let remounted = std::sync::Mutex::new(Vec::<PathBuf>::new());
    let status = std::thread::scope(|scope| {
        if let Some(interval) = config.watch {
            let (stop, remounted) = (stop.clone(), &remounted);
            scope.spawn(move || {
                watch(engine, plan, interval, &stop, |round| {
                    let repaired = round
                        .entries
                        .iter()
                        .filter(|e| e.outcome == Outcome::Repaired)
                        .map(|e| e.target.clone());
                    if let Ok(mut list) = remounted.lock() {
                        list.extend(repaired);
                    }
                    if round
                        .entries
                        .iter()
                        .any(|e| !matches!(e.outcome, Outcome::Healthy | Outcome::LeftDegraded))
                    {
                        on_event(EntrypointEvent::Repaired(round.clone()));
                    }
                });
            });
        }
        let status = spawn_unprivileged(&config.command, &who)
            .and_then(|child| supervise(child, &forwarder));
        stop.stop();
        status
    });
    // 6. Undo the mounts this run made: where they propagate (an automounter publishing
    // into an rshared directory), the host is left with no dead FUSE mounts.
    let mut ours = mounted.clone();
    let remounted = remounted.into_inner().unwrap_or_default();
    for entry in &mut ours.entries {
        if remounted.contains(&entry.target) {
            entry.outcome = Outcome::Mounted;
        }
    }
    on_event(EntrypointEvent::Unmounted(engine.undo_mount(plan, &ours)));
    Ok(match status {
        Ok(code) => code,
        Err(error) => {
            on_event(EntrypointEvent::CommandFailed {
                command: config.command.clone(),
                user: who.user,
                error,
            });
            127
        }
    })
}

/// When a terminating signal arrived, undoes the mounts this run made and returns the
/// exit status to end with.
fn stop_requested(
    engine: &Engine,
    plan: &MountPlan,
    mounted: &PlanReport,
    forwarder: &SignalForwarder,
    on_event: &(dyn Fn(EntrypointEvent) + Sync),
) -> Option<i32> {
    let signal = forwarder.take_terminating()?;
    let undone = engine.undo_mount(plan, mounted);
    on_event(EntrypointEvent::StoppedBeforeCommand { signal, undone });
    Some(status_of(signal))
}

/// The command to run for the entrypoint's arguments: a login shell when there are
/// none, the shell with the arguments when the first starts with `-` (the anchor's
/// `run.sh` passed options to bash), else the arguments as they are. `shell` is the
/// shell to use (`/bin/bash` where it exists).
pub fn command_line(args: &[OsString], shell: &Path) -> Vec<OsString> {
    match args.first() {
        None => vec![shell.as_os_str().to_owned()],
        Some(first) if first.to_string_lossy().starts_with('-') => {
            std::iter::once(shell.as_os_str().to_owned())
                .chain(args.iter().cloned())
                .collect()
        }
        Some(_) => args.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_go_to_the_shell_and_commands_run_as_given() {
        let bash = Path::new("/bin/bash");
        assert_eq!(command_line(&[], bash), ["/bin/bash"]);
        let options = command_line(&["-c".into(), "echo hi".into()], bash);
        assert_eq!(options, ["/bin/bash", "-c", "echo hi"]);
        let direct = command_line(&["python3".into(), "x.py".into()], bash);
        assert_eq!(direct, ["python3", "x.py"]);
    }
}
