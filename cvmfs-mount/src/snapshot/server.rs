//! Running a snapshot filesystem: as a detached server process that reports readiness on
//! its standard output, or in the calling process.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fuser::{BackgroundSession, Config, MountOption, Session, SessionACL};
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

use cvmfs_core::MountTable;

use crate::error::MountError;
use crate::mount_table::path_bytes;
use crate::snapshot::faults::Faults;
use crate::snapshot::filesystem::{Shared, SnapshotFs};

/// What a server serves, and its faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    /// The directory served.
    pub source: PathBuf,
    /// The mountpoint.
    pub target: PathBuf,
    /// The repository name answered in `user.fqrn`.
    pub fqrn: String,
    /// The revision answered in `user.revision`.
    pub revision: String,
    /// Delay before each answer.
    pub latency_ms: u64,
    /// Delay before mounting (a slow mount).
    pub mount_delay_ms: u64,
    /// Start hung.
    pub hang: bool,
}

impl ServerArgs {
    /// Parses `--source DIR --target DIR --fqrn NAME [--revision N] [--latency-ms N]
    /// [--mount-delay-ms N] [--hang]`.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Self, String> {
        let mut parsed = Self {
            source: PathBuf::new(),
            target: PathBuf::new(),
            fqrn: String::new(),
            revision: "1".to_owned(),
            latency_ms: 0,
            mount_delay_ms: 0,
            hang: false,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--hang" {
                parsed.hang = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| format!("{} needs a value", flag.to_string_lossy()))?;
            let number = || {
                value
                    .to_str()
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| {
                        format!("{} takes a number, not {value:?}", flag.to_string_lossy())
                    })
            };
            match flag.to_str() {
                Some("--source") => parsed.source = PathBuf::from(&value),
                Some("--target") => parsed.target = PathBuf::from(&value),
                Some("--fqrn") => parsed.fqrn = value.to_string_lossy().into_owned(),
                Some("--revision") => parsed.revision = value.to_string_lossy().into_owned(),
                Some("--latency-ms") => parsed.latency_ms = number()?,
                Some("--mount-delay-ms") => parsed.mount_delay_ms = number()?,
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        let mut missing = Vec::new();
        if parsed.source.as_os_str().is_empty() {
            missing.push("--source");
        }
        if parsed.target.as_os_str().is_empty() {
            missing.push("--target");
        }
        if parsed.fqrn.is_empty() {
            missing.push("--fqrn");
        }
        if missing.is_empty() {
            Ok(parsed)
        } else {
            Err(format!("missing {}", missing.join(", ")))
        }
    }
}

fn config() -> Config {
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName("cvmfs2".to_owned()),
        MountOption::RO,
        MountOption::NoSuid,
        MountOption::NoDev,
        MountOption::DefaultPermissions,
    ];
    config.acl = SessionACL::All;
    config
}

fn filesystem(args: &ServerArgs) -> Result<(SnapshotFs, Arc<Shared>), MountError> {
    if !args.source.is_dir() {
        return Err(MountError::SnapshotSourceMissing {
            path: args.source.clone(),
        });
    }
    let shared = Arc::new(Shared {
        faults: Faults::default(),
        ..Shared::default()
    });
    shared
        .faults
        .latency_ms
        .store(args.latency_ms, Ordering::Relaxed);
    shared.faults.hang.store(args.hang, Ordering::SeqCst);
    let fs = SnapshotFs::new(
        args.source.clone(),
        args.fqrn.clone(),
        args.revision.clone(),
        Arc::clone(&shared),
    );
    Ok((fs, shared))
}

/// Records the FUSE connection directory of the mount at `target`.
fn note_connection(shared: &Shared, target: &Path) {
    let Ok(text) = std::fs::read("/proc/thread-self/mountinfo") else {
        return;
    };
    let Ok(table) = MountTable::parse(&text) else {
        return;
    };
    if let Some(mount) = table.visible_at(path_bytes(target)) {
        let _ = shared.connection.set(PathBuf::from(format!(
            "/sys/fs/fuse/connections/{}",
            mount.minor
        )));
    }
}

/// Runs a server in this process until its mount goes away. Prints `READY pid=<pid>`
/// once mounted, or `ERROR <message>`; afterwards it never writes to stdout again.
/// SIGUSR1 toggles a hang, SIGUSR2 toggles I/O errors, SIGTERM/SIGINT unmount and exit.
/// Returns the process exit code.
pub fn run_server(args: &ServerArgs) -> i32 {
    let fail = |message: String| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ERROR {message}");
        let _ = out.flush();
        1
    };
    let (fs, shared) = match filesystem(args) {
        Ok(pair) => pair,
        Err(err) => return fail(err.to_string()),
    };
    if args.mount_delay_ms > 0 {
        std::thread::sleep(Duration::from_millis(args.mount_delay_ms));
    }
    let mut session = match Session::new(fs, &args.target, &config()) {
        Ok(session) => session,
        Err(err) => return fail(format!("cannot mount {}: {err}", args.target.display())),
    };
    note_connection(&shared, &args.target);
    let mut signals = match Signals::new([SIGUSR1, SIGUSR2, SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(err) => return fail(format!("cannot handle signals: {err}")),
    };
    let mut unmounter = session.unmount_callable();
    let faults = Arc::clone(&shared);
    std::thread::spawn(move || {
        for signal in signals.forever() {
            match signal {
                SIGUSR1 => Faults::toggle(&faults.faults.hang),
                SIGUSR2 => Faults::toggle(&faults.faults.io_errors),
                _ => {
                    // Clear a hang so the unmount is answered, then leave.
                    faults.faults.hang.store(false, Ordering::SeqCst);
                    let _ = unmounter.unmount();
                    break;
                }
            }
        }
    });
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "READY pid={}", std::process::id());
        let _ = out.flush();
    }
    match session.run() {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// A snapshot served by a thread of this process; dropping it unmounts.
pub struct InProcessServer {
    session: BackgroundSession,
    shared: Arc<Shared>,
}

impl InProcessServer {
    /// The switchable faults.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Unmounts and waits for the serving thread.
    pub fn unmount(self) -> Result<(), MountError> {
        self.session
            .umount_and_join()
            .map_err(|source| MountError::ServeFuse {
                target: PathBuf::new(),
                source,
            })
    }
}

/// Serves `args.source` at `args.target` from a background thread of this process.
pub fn serve_in_process(args: &ServerArgs) -> Result<InProcessServer, MountError> {
    let (fs, shared) = filesystem(args)?;
    let session = Session::new(fs, &args.target, &config())
        .and_then(Session::spawn)
        .map_err(|source| MountError::ServeFuse {
            target: args.target.clone(),
            source,
        })?;
    note_connection(&shared, &args.target);
    Ok(InProcessServer { session, shared })
}
