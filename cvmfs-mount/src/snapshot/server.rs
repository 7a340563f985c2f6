//! Running a snapshot filesystem: as a detached server process that reports readiness on
//! its standard output, or in the calling process.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

use fuser::{BackgroundSession, Config, Session, SessionACL};
use nix::mount::MntFlags;
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

use crate::error::MountError;
use crate::mount_table::{TableText, path_bytes};
use crate::snapshot::faults::Faults;
use crate::snapshot::filesystem::{Shared, SnapshotFs, connection_alive};
use crate::sys::LinuxOps;

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

/// The revision a server answers unless told otherwise.
const DEFAULT_REVISION: &str = "1";

impl ServerArgs {
    /// Serves `source` at `target` as `fqrn`, with the default revision and no faults.
    pub fn new(source: PathBuf, target: PathBuf, fqrn: impl Into<String>) -> Self {
        Self {
            source,
            target,
            fqrn: fqrn.into(),
            revision: DEFAULT_REVISION.to_owned(),
            latency_ms: 0,
            mount_delay_ms: 0,
            hang: false,
        }
    }

    /// Parses `--source DIR --target DIR --fqrn NAME [--revision N] [--latency-ms N]
    /// [--mount-delay-ms N] [--hang]`.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Self, String> {
        let mut parsed = Self::new(PathBuf::new(), PathBuf::new(), String::new());
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
    /// The command-line arguments [`ServerArgs::parse`] reads back into these; values at
    /// their defaults are left out.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--source".into(),
            self.source.clone().into_os_string(),
            "--target".into(),
            self.target.clone().into_os_string(),
            "--fqrn".into(),
            self.fqrn.clone().into(),
        ];
        if self.revision != DEFAULT_REVISION {
            args.extend(["--revision".into(), self.revision.clone().into()]);
        }
        if self.latency_ms > 0 {
            args.extend(["--latency-ms".into(), self.latency_ms.to_string().into()]);
        }
        if self.mount_delay_ms > 0 {
            args.extend([
                "--mount-delay-ms".into(),
                self.mount_delay_ms.to_string().into(),
            ]);
        }
        if self.hang {
            args.push("--hang".into());
        }
        args
    }
}

fn config() -> Config {
    let mut config = Config::default();
    config.acl = SessionACL::All;
    config
}

/// A FUSE mount made by this process itself, so that nothing unmounts it by path later:
/// fuser's own mount code unmounts its mountpoint by path when a session ends, which
/// after a repair would hit the new mount at the same path.
struct OwnMount {
    target: PathBuf,
    mount_id: u32,
    device: OwnedFd,
}

impl OwnMount {
    /// Opens `/dev/fuse` and mounts it read-only at `target` with the client's mount
    /// shape: type `fuse`, source `cvmfs2`, `allow_other`, `default_permissions`.
    fn mount(target: &Path) -> std::io::Result<(OwnedFd, Self)> {
        let device = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot open /dev/fuse: {e}")))?;
        let root_mode = std::fs::metadata(target)?.mode() & 0o170_000;
        let data = format!(
            "fd={},rootmode={root_mode:o},user_id={},group_id={},default_permissions,allow_other",
            device.as_raw_fd(),
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        );
        nix::mount::mount(
            Some("cvmfs2"),
            target,
            Some("fuse"),
            crate::sys::flags::CLIENT_FUSE_MOUNT,
            Some(data.as_str()),
        )
        .map_err(|e| std::io::Error::other(format!("mount(2) of type fuse failed: {e}")))?;
        let mount_id = visible_mount_id(target).unwrap_or(0);
        let device = OwnedFd::from(device);
        let watch = device.try_clone()?;
        Ok((
            device,
            Self {
                target: target.to_owned(),
                mount_id,
                device: watch,
            },
        ))
    }

    /// Unmounts only if the mount visible at the target is still this one: while our
    /// connection is alive our mount exists, so no other mount can have its id.
    fn unmount(&self) -> std::io::Result<()> {
        if connection_alive(&self.device) && visible_mount_id(&self.target) == Some(self.mount_id) {
            nix::mount::umount2(&self.target, MntFlags::MNT_DETACH)?;
        }
        Ok(())
    }
}

fn visible_mount_id(target: &Path) -> Option<u32> {
    let mut text = TableText::read(&LinuxOps).ok()?;
    let table = text.parse().ok()?;
    table.visible_at(path_bytes(target)).map(|m| m.mount_id)
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
    let (device, own) = match OwnMount::mount(&args.target) {
        Ok(pair) => pair,
        Err(err) => return fail(format!("cannot mount {}: {err}", args.target.display())),
    };
    if let Ok(watch) = own.device.try_clone() {
        let _ = shared.device.set(watch);
    }
    let session = match Session::from_fd(fs, device, SessionACL::All, config()) {
        Ok(session) => session,
        Err(err) => {
            let _ = own.unmount();
            return fail(format!(
                "FUSE handshake on {} failed: {err}",
                args.target.display()
            ));
        }
    };
    let mut signals = match Signals::new([SIGUSR1, SIGUSR2, SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(err) => {
            let _ = own.unmount();
            return fail(format!("cannot handle signals: {err}"));
        }
    };
    let faults = Arc::clone(&shared);
    std::thread::spawn(move || {
        for signal in signals.forever() {
            match signal {
                SIGUSR1 => Faults::toggle(&faults.faults.hang),
                SIGUSR2 => Faults::toggle(&faults.faults.io_errors),
                _ => {
                    // Clear a hang so pending requests are answered, then leave.
                    faults.faults.hang.store(false, Ordering::SeqCst);
                    let _ = own.unmount();
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

/// A snapshot served by a thread of this process.
pub struct InProcessServer {
    session: BackgroundSession,
    shared: Arc<Shared>,
    own: OwnMount,
}

impl InProcessServer {
    /// The switchable faults.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Unmounts (if the mount is still ours) and waits for the serving thread.
    pub fn unmount(self) -> Result<(), MountError> {
        self.shared.faults.hang.store(false, Ordering::SeqCst);
        self.own.unmount().map_err(|source| MountError::ServeFuse {
            target: self.own.target.clone(),
            source,
        })?;
        self.session.join().map_err(|source| MountError::ServeFuse {
            target: self.own.target.clone(),
            source,
        })
    }
}

/// Serves `args.source` at `args.target` from a background thread of this process.
pub fn serve_in_process(args: &ServerArgs) -> Result<InProcessServer, MountError> {
    let (fs, shared) = filesystem(args)?;
    let serve_error = |source| MountError::ServeFuse {
        target: args.target.clone(),
        source,
    };
    let (device, own) = OwnMount::mount(&args.target).map_err(serve_error)?;
    if let Ok(watch) = own.device.try_clone() {
        let _ = shared.device.set(watch);
    }
    let session = Session::from_fd(fs, device, SessionACL::All, config())
        .and_then(Session::spawn)
        .map_err(|source| {
            let _ = own.unmount();
            serve_error(source)
        })?;
    Ok(InProcessServer {
        session,
        shared,
        own,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reports_every_missing_argument_at_once() {
        let error = ServerArgs::parse(["--revision", "7"].map(OsString::from)).unwrap_err();
        assert_eq!(error, "missing --source, --target, --fqrn");
        let error = ServerArgs::parse(["--latency-ms", "x"].map(OsString::from)).unwrap_err();
        assert!(error.contains("--latency-ms takes a number"), "{error}");
    }

    proptest! {
        /// What `to_args` writes, `parse` reads back unchanged.
        #[test]
        fn arguments_round_trip(
            source in "/[a-z ]{1,12}",
            target in "/[a-z-]{1,12}",
            fqrn in "[a-z]{1,8}\\.cern\\.ch",
            revision in "[0-9]{1,4}",
            latency_ms in 0u64..5000,
            mount_delay_ms in 0u64..5000,
            hang in any::<bool>(),
        ) {
            let args = ServerArgs {
                revision,
                latency_ms,
                mount_delay_ms,
                hang,
                ..ServerArgs::new(source.into(), target.into(), fqrn)
            };
            prop_assert_eq!(ServerArgs::parse(args.to_args()), Ok(args));
        }
    }
}
