//! Every call that inspects or changes the system goes through [`MountOps`], so the
//! engine's logic can be tested against a simulated system ([`FakeOps`]) without
//! privileges, and the command line's dry run can record what would happen.

pub mod children;
mod fake;
pub mod flags;
mod linux;

use std::ffi::OsString;
use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::host_facts::{FactRequest, HostFacts};

pub use fake::{FakeCall, FakeHealth, FakeMount, FakeOps, FakeResponse, Op};
pub use linux::LinuxOps;
pub use nix::errno::Errno;
pub use nix::mount::{MntFlags, MsFlags};

/// What a path is, without following a final symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// Anything else.
    Other,
}

/// How a finished program ended, with its output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgramOutput {
    /// The exit code; `None` when killed by a signal or after a timeout.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Whether it was killed because it ran out of time.
    pub timed_out: bool,
}

/// A request to start a long-running server that reports readiness on its stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpawn {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// How long to wait for its `READY` line.
    pub ready_timeout: Duration,
}

/// What a started server reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStart {
    /// It printed `READY pid=<pid> [note]`.
    Ready {
        /// Its process id.
        pid: u32,
        /// What it said after its pid (what it serves), possibly empty.
        note: String,
    },
    /// It printed `ERROR <message>` or exited before becoming ready.
    Failed {
        /// Why.
        message: String,
    },
    /// It did not become ready in time and was killed.
    TimedOut,
}

/// The system calls of the engine. Implementations must be usable from many threads.
pub trait MountOps: Send + Sync + Debug {
    /// `mount(2)`.
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno>;
    /// `umount2(2)`.
    fn umount(&self, target: &Path, flags: MntFlags) -> Result<(), Errno>;
    /// `mkdir(2)` of one directory, mode 0755.
    fn mkdir(&self, path: &Path) -> Result<(), Errno>;
    /// `rmdir(2)` of one empty directory (EBUSY for a mountpoint, ENOTEMPTY otherwise).
    fn rmdir(&self, path: &Path) -> Result<(), Errno>;
    /// `lstat(2)`, reduced to the kind of file.
    fn lstat(&self, path: &Path) -> Result<PathKind, Errno>;
    /// Whether a directory has no entries.
    fn dir_is_empty(&self, path: &Path) -> Result<bool, Errno>;
    /// `getxattr(2)` of one attribute.
    fn getxattr(&self, path: &Path, name: &str) -> Result<Vec<u8>, Errno>;
    /// `statfs(2)`, reduced to the filesystem magic number.
    fn statfs_magic(&self, path: &Path) -> Result<i64, Errno>;
    /// Writes to `/sys/fs/fuse/connections/<minor>/abort`.
    fn abort_fuse_connection(&self, minor: u32) -> io::Result<()>;
    /// The calling thread's mount table (`/proc/thread-self/mountinfo`).
    fn mountinfo(&self) -> io::Result<Vec<u8>>;
    /// Runs a program to completion, killing it after `timeout`.
    fn run_program(
        &self,
        program: &Path,
        args: &[OsString],
        timeout: Duration,
    ) -> io::Result<ProgramOutput>;
    /// Starts a server that detaches once ready.
    fn spawn_server(&self, spawn: &ServerSpawn) -> io::Result<ServerStart>;
    /// The facts of the host, with the executables and users `request` asks about.
    fn host_facts(&self, request: &FactRequest) -> HostFacts;
}
