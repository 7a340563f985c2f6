//! Mount sessions: the FUSE mount made by this process itself (`mount(2)` with the
//! client's shape), the readiness protocol of a detached server (`READY pid=N` or
//! `ERROR message` on its standard output), and serving from a thread of this process.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fuser::{BackgroundSession, Config, Session, SessionACL};
use nix::mount::MntFlags;
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

use crate::fuse::adapter::{CacheLifetimes, FuseAdapter};
use crate::fuse::faults::{Faults, FaultyTree};
use crate::fuse::tree::ReadOnlyTree;
use crate::mount_table::{TableText, path_bytes};
use crate::sys::LinuxOps;

/// Whether the FUSE connection behind `device` is alive: the kernel reports `POLLERR`
/// on `/dev/fuse` once the connection is aborted or its superblock destroyed.
pub fn connection_alive(device: &OwnedFd) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut fds = [PollFd::new(device.as_fd(), PollFlags::empty())];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => !fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP)),
        Err(_) => true,
    }
}

/// How a tree is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The mountpoint.
    pub target: PathBuf,
    /// Wait this long before mounting (a slow mount, for tests).
    pub mount_delay: Duration,
    /// Kernel cache lifetimes.
    pub lifetimes: CacheLifetimes,
    /// Said after `READY pid=N` (what is served, whether offline).
    pub ready_note: String,
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

/// Mounts `options.target` and prepares the session for `tree` behind `faults`.
fn start<T: ReadOnlyTree>(
    tree: T,
    faults: &Arc<Faults>,
    options: &ServeOptions,
) -> std::io::Result<(Session<FuseAdapter<FaultyTree<T>>>, OwnMount)> {
    let (device, own) = OwnMount::mount(&options.target).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot mount {}: {e}", options.target.display()),
        )
    })?;
    if let Ok(watch) = own.device.try_clone() {
        let _ = faults.connection.set(watch);
    }
    let adapter = FuseAdapter::new(FaultyTree::new(tree, Arc::clone(faults)), options.lifetimes);
    match Session::from_fd(adapter, device, SessionACL::All, config()) {
        Ok(session) => Ok((session, own)),
        Err(e) => {
            let _ = own.unmount();
            Err(std::io::Error::new(
                e.kind(),
                format!("FUSE handshake on {} failed: {e}", options.target.display()),
            ))
        }
    }
}

/// Prints a line of the readiness protocol.
fn announce(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Serves `tree` at `options.target` from this process until the mount goes away, as a
/// detached server: prints `READY pid=<pid>` once mounted, or `ERROR <message>`, and
/// never writes to standard output again. SIGUSR1 toggles a hang, SIGUSR2 toggles I/O
/// errors, SIGTERM/SIGINT unmount and end. Returns the process exit code.
pub fn run_detached<T: ReadOnlyTree>(tree: T, faults: Arc<Faults>, options: &ServeOptions) -> i32 {
    if !options.mount_delay.is_zero() {
        std::thread::sleep(options.mount_delay);
    }
    let (session, own) = match start(tree, &faults, options) {
        Ok(pair) => pair,
        Err(e) => {
            announce(&format!("ERROR {e}"));
            return 1;
        }
    };
    let mut signals = match Signals::new([SIGUSR1, SIGUSR2, SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(e) => {
            let _ = own.unmount();
            announce(&format!("ERROR cannot handle signals: {e}"));
            return 1;
        }
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            match signal {
                SIGUSR1 => Faults::toggle(&faults.hang),
                SIGUSR2 => Faults::toggle(&faults.io_errors),
                _ => {
                    // Clear a hang so pending requests are answered, then leave.
                    faults.hang.store(false, Ordering::SeqCst);
                    let _ = own.unmount();
                    break;
                }
            }
        }
    });
    announce(format!("READY pid={} {}", std::process::id(), options.ready_note).trim_end());
    match session.run() {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// A tree served by a thread of this process.
pub struct InProcessSession {
    session: BackgroundSession,
    faults: Arc<Faults>,
    own: OwnMount,
}

impl InProcessSession {
    /// Serves `tree` at `options.target` from a background thread.
    pub fn start<T: ReadOnlyTree>(
        tree: T,
        faults: Arc<Faults>,
        options: &ServeOptions,
    ) -> std::io::Result<Self> {
        let (session, own) = start(tree, &faults, options)?;
        let session = session.spawn().inspect_err(|_| {
            let _ = own.unmount();
        })?;
        Ok(Self {
            session,
            faults,
            own,
        })
    }

    /// The switchable faults.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The mountpoint.
    pub fn target(&self) -> &Path {
        &self.own.target
    }

    /// Unmounts (if the mount is still ours) and waits for the serving thread.
    pub fn unmount(self) -> std::io::Result<()> {
        self.faults.hang.store(false, Ordering::SeqCst);
        self.own.unmount()?;
        self.session.join()
    }
}
