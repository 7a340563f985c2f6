//! A temporary directory that tests mount under, and the engine wired to real system
//! calls. Dropping it detaches every mount below it before the files are removed, so a
//! failing test never leaves a mount behind or deletes through one.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::{Backend, Catalog, MountPlan, MountTable, PlanOptions, Selection};
use cvmfs_mount::backend::{BackendSettings, HelperSettings, NativeSettings, SnapshotSettings};
use cvmfs_mount::{Engine, EngineOptions};
use nix::mount::{MntFlags, MsFlags};
use tempfile::TempDir;

/// The snapshot server built with these tests.
pub const SERVER: &str = env!("CARGO_BIN_EXE_cvmfs-snapshot-server");
/// Our own client's server.
pub const NATIVE: &str = env!("CARGO_BIN_EXE_cvmfs-native-server");
/// The test mount helper built with these tests.
pub const HELPER: &str = env!("CARGO_BIN_EXE_cvmfs-test-mount-helper");

pub struct Sandbox {
    dir: TempDir,
}

/// What the mount table says about one mountpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub fs_type: String,
    pub source: String,
    pub shared: bool,
    pub slave: bool,
    pub unbindable: bool,
    pub read_only: bool,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("cvmfs-mount-test")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// `snap/<fqrn>/` for each name, with a few files, a subdirectory and a symlink.
    pub fn snapshots(&self, names: &[&str]) -> PathBuf {
        let root = self.path("snap");
        for name in names {
            let repo = root.join(name);
            fs::create_dir_all(repo.join("sub")).unwrap();
            fs::write(repo.join("README"), format!("this is {name}\n")).unwrap();
            fs::write(repo.join("sub/data.txt"), b"0123456789").unwrap();
            symlink("README", repo.join("link")).unwrap();
        }
        root
    }

    /// Binds a directory onto itself and makes it shared, like an automounter's or a
    /// host's `/cvmfs`.
    pub fn make_shared(&self, dir: &Path) {
        fs::create_dir_all(dir).unwrap();
        nix::mount::mount(Some(dir), dir, None::<&str>, MsFlags::MS_BIND, None::<&str>).unwrap();
        nix::mount::mount(
            None::<&str>,
            dir,
            None::<&str>,
            MsFlags::MS_SHARED,
            None::<&str>,
        )
        .unwrap();
    }

    pub fn plan(&self, selection: &str, backend: Backend, root: &str) -> MountPlan {
        self.plan_with(
            selection,
            backend,
            PlanOptions {
                root: self.path(root),
                ..PlanOptions::default()
            },
        )
    }

    pub fn plan_with(&self, selection: &str, backend: Backend, options: PlanOptions) -> MountPlan {
        let catalog = Catalog::cms();
        let selection = Selection::parse(Some(selection), &catalog).unwrap();
        MountPlan::build(&selection, &catalog, backend, &options).unwrap()
    }

    pub fn settings(&self, helper: Option<&Path>) -> BackendSettings {
        settings_for(self.dir.path(), helper)
    }

    pub fn engine(&self, plan: &MountPlan, settings: &BackendSettings) -> Engine {
        let options = EngineOptions {
            probe_timeout: Duration::from_millis(1500),
            verify_wait: Duration::from_secs(10),
            backoff: Duration::from_millis(50),
            ..EngineOptions::default()
        };
        Engine::for_host(plan, settings, options)
    }

    /// The visible mount at `path`, as the mount table shows it.
    pub fn seen(&self, path: &Path) -> Option<Seen> {
        let text = fs::read("/proc/thread-self/mountinfo").unwrap();
        let table = MountTable::parse(&text).unwrap();
        use std::os::unix::ffi::OsStrExt;
        table.visible_at(path.as_os_str().as_bytes()).map(|m| Seen {
            fs_type: String::from_utf8_lossy(&m.fs_type).into_owned(),
            source: String::from_utf8_lossy(&m.source).into_owned(),
            shared: m.shared.is_some(),
            slave: m.master.is_some(),
            unbindable: m.unbindable,
            read_only: m.is_read_only(),
        })
    }

    /// Every mountpoint below the sandbox, deepest first.
    pub fn mounts_below(&self) -> Vec<PathBuf> {
        let text = fs::read("/proc/thread-self/mountinfo").unwrap_or_default();
        let Ok(table) = MountTable::parse(&text) else {
            return Vec::new();
        };
        use std::os::unix::ffi::OsStrExt;
        table
            .mounts_under(self.dir.path().as_os_str().as_bytes())
            .into_iter()
            .map(|m| m.mount_point_path().to_owned())
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for _ in 0..8 {
            let below = self.mounts_below();
            if below.is_empty() {
                break;
            }
            for target in below {
                let _ = nix::mount::umount2(&target, MntFlags::MNT_DETACH);
            }
        }
        // Snapshot servers whose mount was detached exit on their own.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Backend settings for a sandbox at `dir`: the stand-ins built with these tests.
pub fn settings_for(dir: &Path, helper: Option<&Path>) -> BackendSettings {
    BackendSettings {
        helper: HelperSettings {
            program: helper.map_or_else(|| PathBuf::from(HELPER), Path::to_owned),
            client_binary: None,
            timeout: Duration::from_secs(30),
            config_dir: dir.join("etc-cvmfs"),
            write_default_local: None,
        },
        snapshot: SnapshotSettings::new(SERVER),
        native: {
            let mut native = NativeSettings::new(NATIVE);
            native.config_dir = dir.join("etc-cvmfs");
            native
        },
        host_bind_accepts_stand_in: false,
    }
}

/// Waits until `ready` holds, checking every 10 ms; panics naming `what` after `limit`.
/// Tests wait for a state this way instead of sleeping for a guessed time.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not reached within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether the mount at `path` answers with "not connected" (its server is gone).
pub fn is_dead(path: &Path) -> bool {
    std::fs::metadata(path).is_err_and(|e| e.raw_os_error() == Some(nix::libc::ENOTCONN))
}
