//! A simulated system for tests and dry runs: a mount table that `mount` and `umount`
//! update (with the kernel's rules for propagation calls), directories and symlinks, a
//! log of every call, scripted program results, and failures injected on the n-th call
//! of an operation.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};

use cvmfs_core::mountinfo::encode;

use crate::host_facts::{FactRequest, HostFacts};
use crate::sys::{MountOps, PathKind, ProgramOutput, ServerSpawn, ServerStart};

/// The operations of [`MountOps`], for injecting failures and counting calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `mount`.
    Mount,
    /// `umount`.
    Umount,
    /// `mkdir`.
    Mkdir,
    /// `rmdir`.
    Rmdir,
    /// `lstat`.
    Lstat,
    /// `dir_is_empty`.
    DirIsEmpty,
    /// `getxattr`.
    Getxattr,
    /// `statfs_magic`.
    Statfs,
    /// `abort_fuse_connection`.
    Abort,
    /// `mountinfo`.
    Mountinfo,
    /// `run_program`.
    RunProgram,
    /// `spawn_server`.
    SpawnServer,
}

/// One recorded call that changes or spawns something (inspections are not logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeCall {
    /// A mount call with its flags.
    Mount {
        /// Source.
        source: Option<PathBuf>,
        /// Target.
        target: PathBuf,
        /// Filesystem type.
        fstype: Option<String>,
        /// Flags.
        flags: MsFlags,
    },
    /// An unmount call.
    Umount {
        /// Target.
        target: PathBuf,
        /// Flags.
        flags: MntFlags,
    },
    /// A directory creation.
    Mkdir(PathBuf),
    /// A directory removal.
    Rmdir(PathBuf),
    /// An abort of a FUSE connection.
    Abort(u32),
    /// A program run.
    RunProgram {
        /// The program.
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A server start.
    SpawnServer {
        /// The program.
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
    },
}

/// How a simulated FUSE mount answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeHealth {
    /// Answers as repository `fqrn`, with `io_errors` I/O errors.
    Serving {
        /// `user.fqrn`.
        fqrn: String,
        /// `user.nioerr`.
        io_errors: u64,
        /// `user.version`.
        version: String,
    },
    /// The server is gone: ENOTCONN.
    Dead,
    /// Never answers (the fake sleeps this long, then fails with ENOTCONN).
    Hung(Duration),
    /// Not a FUSE mount: no client attributes.
    Plain,
}

/// One simulated mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeMount {
    /// Mount id.
    pub id: u32,
    /// Parent mount id.
    pub parent: u32,
    /// Mountpoint.
    pub target: PathBuf,
    /// Filesystem type.
    pub fs_type: String,
    /// Source.
    pub source: String,
    /// Read-only.
    pub read_only: bool,
    /// `shared:N`.
    pub shared: Option<u32>,
    /// `master:N`.
    pub master: Option<u32>,
    /// Unbindable.
    pub unbindable: bool,
    /// Device minor.
    pub minor: u32,
    /// How it answers.
    pub health: FakeHealth,
}

/// A scripted result for [`MountOps::run_program`] or [`MountOps::spawn_server`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeResponse {
    /// Exit code (`None`: timed out).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Whether a healthy client mount appears at the target.
    pub mounts: bool,
    /// The repository the new mount answers as, when not the requested one (a server
    /// that mounts the wrong repository: verification fails).
    pub answers_as: Option<String>,
}

impl FakeResponse {
    /// A successful mount.
    pub fn mounted() -> Self {
        Self {
            code: Some(0),
            stdout: "CernVM-FS: mounted cvmfs".to_owned(),
            stderr: String::new(),
            mounts: true,
            answers_as: None,
        }
    }

    /// A failure with this exit code and standard error.
    pub fn failure(code: i32, stderr: &str) -> Self {
        Self {
            code: Some(code),
            stdout: String::new(),
            stderr: stderr.to_owned(),
            mounts: false,
            answers_as: None,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    mounts: Vec<FakeMount>,
    dirs: BTreeSet<PathBuf>,
    symlinks: BTreeSet<PathBuf>,
    non_empty: BTreeSet<PathBuf>,
    log: Vec<FakeCall>,
    counts: HashMap<Op, usize>,
    failures: HashMap<(Op, usize), Errno>,
    failures_at: Vec<(Op, PathBuf, MsFlags, Errno)>,
    responses: HashMap<String, Vec<FakeResponse>>,
    next_id: u32,
    next_peer: u32,
    facts: HostFacts,
}

/// The simulated system. Cheap to share: all state is behind one lock.
#[derive(Debug)]
pub struct FakeOps {
    state: Mutex<State>,
}

const FUSE_MAGIC: i64 = 0x6573_5546;
const TMPFS_MAGIC: i64 = 0x0102_1994;

impl Default for FakeOps {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeOps {
    /// A system with `/` as a private ext4 root mount (id 1) and no other mount.
    pub fn new() -> Self {
        let mut state = State {
            next_id: 100,
            next_peer: 1,
            facts: HostFacts {
                is_root: true,
                cap_sys_admin: true,
                dev_fuse: Some(crate::host_facts::DeviceAccess {
                    mode: 0o666,
                    uid: 0,
                    gid: 0,
                }),
                dev_fuse_usable: true,
                user_namespaces: true,
                root_propagation: Some("shared".to_owned()),
                ..HostFacts::default()
            },
            ..State::default()
        };
        state.dirs.insert(PathBuf::from("/"));
        state.mounts.push(FakeMount {
            id: 1,
            parent: 0,
            target: PathBuf::from("/"),
            fs_type: "ext4".to_owned(),
            source: "/dev/vda".to_owned(),
            read_only: false,
            shared: None,
            master: None,
            unbindable: false,
            minor: 1,
            health: FakeHealth::Plain,
        });
        Self {
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the state from the others.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the host facts [`MountOps::host_facts`] answers (root with a usable
    /// `/dev/fuse` until set).
    pub fn set_host_facts(&self, facts: HostFacts) {
        self.lock().facts = facts;
    }

    /// Creates a directory and its parents.
    pub fn add_dir(&self, path: impl AsRef<Path>) {
        let mut state = self.lock();
        for ancestor in path.as_ref().ancestors() {
            state.dirs.insert(ancestor.to_owned());
        }
    }

    /// Plants a symlink (its target is irrelevant: it is never followed).
    pub fn add_symlink(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        if let Some(parent) = path.parent() {
            self.add_dir(parent);
        }
        self.lock().symlinks.insert(path.to_owned());
    }

    /// Marks a directory as holding files.
    pub fn add_files_in(&self, path: impl AsRef<Path>) {
        self.add_dir(path.as_ref());
        self.lock().non_empty.insert(path.as_ref().to_owned());
    }

    /// Adds a client-shaped mount (`fuse`, `cvmfs2`, read-only) serving `fqrn`.
    pub fn add_client_mount(&self, target: impl AsRef<Path>, fqrn: &str) -> u32 {
        self.add_dir(target.as_ref());
        let mut state = self.lock();
        push_mount(
            &mut state,
            target.as_ref(),
            "fuse",
            "cvmfs2",
            true,
            client_health(fqrn),
        )
    }

    /// Adds a mount of the snapshot stand-in: the client's shape in the mount table, its
    /// own name in `user.version`.
    pub fn add_stand_in_mount(&self, target: impl AsRef<Path>, fqrn: &str) -> u32 {
        self.add_dir(target.as_ref());
        let mut state = self.lock();
        let health = FakeHealth::Serving {
            fqrn: fqrn.to_owned(),
            io_errors: 0,
            version: format!("{} 0.1.0", crate::directory_server::STAND_IN_VERSION_PREFIX),
        };
        push_mount(&mut state, target.as_ref(), "fuse", "cvmfs2", true, health)
    }

    /// Adds a shared tmpfs mount (a directory published with rshared propagation).
    pub fn add_shared_dir(&self, target: impl AsRef<Path>) -> u32 {
        self.add_dir(target.as_ref());
        let mut state = self.lock();
        let peer = state.next_peer;
        state.next_peer += 1;
        let id = push_mount(
            &mut state,
            target.as_ref(),
            "tmpfs",
            "tmpfs",
            false,
            FakeHealth::Plain,
        );
        if let Some(m) = state.mounts.last_mut() {
            m.shared = Some(peer);
        }
        id
    }

    /// Changes how the visible mount at `target` answers.
    pub fn set_health(&self, target: impl AsRef<Path>, health: FakeHealth) {
        let mut state = self.lock();
        if let Some(index) = visible_index(&state, target.as_ref()) {
            state.mounts[index].health = health;
        }
    }

    /// Makes the first call of `op` at `target` whose flags include `flags` fail with
    /// `errno` (for `mount`, a step: bind, propagation, read-only remount; other
    /// operations ignore `flags`). Unlike [`FakeOps::fail_nth`] this does not depend on
    /// the order in which parallel entries run.
    pub fn fail_at(&self, op: Op, target: impl AsRef<Path>, flags: MsFlags, errno: Errno) {
        self.lock()
            .failures_at
            .push((op, target.as_ref().to_owned(), flags, errno));
    }

    /// Makes the `nth` (1-based) call of `op` fail with `errno`.
    pub fn fail_nth(&self, op: Op, nth: usize, errno: Errno) {
        self.lock().failures.insert((op, nth), errno);
    }

    /// Queues results for programs or servers whose arguments mention `fqrn`; the last
    /// queued result repeats.
    pub fn script(&self, fqrn: &str, responses: Vec<FakeResponse>) {
        self.lock().responses.insert(fqrn.to_owned(), responses);
    }

    /// The recorded calls, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        self.lock().log.clone()
    }

    /// How many times `op` was called.
    pub fn count(&self, op: Op) -> usize {
        self.lock().counts.get(&op).copied().unwrap_or(0)
    }

    /// The current mounts, in table order.
    pub fn mounts(&self) -> Vec<FakeMount> {
        self.lock().mounts.clone()
    }

    /// The visible mount at `target`.
    pub fn mount_at(&self, target: impl AsRef<Path>) -> Option<FakeMount> {
        let state = self.lock();
        visible_index(&state, target.as_ref()).map(|i| state.mounts[i].clone())
    }

    /// Counts the call and returns an injected failure, if any.
    /// Like [`FakeOps::enter`], and fails the call if [`FakeOps::fail_at`] asked for it.
    fn enter_at(
        &self,
        op: Op,
        target: &Path,
        flags: MsFlags,
    ) -> Result<MutexGuard<'_, State>, Errno> {
        let mut state = self.enter(op)?;
        let found = state.failures_at.iter().position(|(o, t, f, _)| {
            *o == op && t == target && (op != Op::Mount || flags.contains(*f))
        });
        match found {
            Some(index) => Err(state.failures_at.remove(index).3),
            None => Ok(state),
        }
    }

    fn enter(&self, op: Op) -> Result<MutexGuard<'_, State>, Errno> {
        let mut state = self.lock();
        let count = state.counts.entry(op).or_insert(0);
        *count += 1;
        let nth = *count;
        match state.failures.remove(&(op, nth)) {
            Some(errno) => Err(errno),
            None => Ok(state),
        }
    }

    fn next_response(&self, args: &[String]) -> FakeResponse {
        let mut state = self.lock();
        let key = state
            .responses
            .keys()
            .find(|fqrn| args.iter().any(|a| a == *fqrn))
            .cloned();
        match key.and_then(|k| state.responses.get_mut(&k)) {
            Some(queue) if queue.len() > 1 => queue.remove(0),
            Some(queue) => queue.first().cloned().unwrap_or_else(FakeResponse::mounted),
            None => FakeResponse::mounted(),
        }
    }
}

fn client_health(fqrn: &str) -> FakeHealth {
    FakeHealth::Serving {
        fqrn: fqrn.to_owned(),
        io_errors: 0,
        version: "2.12.7.0".to_owned(),
    }
}

/// Adds a mount on top of whatever serves `target` and returns its id.
fn push_mount(
    state: &mut State,
    target: &Path,
    fs_type: &str,
    source: &str,
    read_only: bool,
    health: FakeHealth,
) -> u32 {
    let parent = serving_index(state, target).map_or(1, |i| state.mounts[i].id);
    let id = state.next_id;
    state.next_id += 1;
    state.mounts.push(FakeMount {
        id,
        parent,
        target: target.to_owned(),
        fs_type: fs_type.to_owned(),
        source: source.to_owned(),
        read_only,
        shared: None,
        master: None,
        unbindable: false,
        minor: id,
        health,
    });
    id
}

/// The index of the last mount at exactly `target`.
fn visible_index(state: &State, target: &Path) -> Option<usize> {
    state.mounts.iter().rposition(|m| m.target == target)
}

/// The index of the mount serving `path`: the last mount whose target is a prefix.
fn serving_index(state: &State, path: &Path) -> Option<usize> {
    state
        .mounts
        .iter()
        .enumerate()
        .filter(|(_, m)| path.starts_with(&m.target))
        .max_by_key(|(i, m)| (m.target.components().count(), *i))
        .map(|(i, _)| i)
}

fn is_dir(state: &State, path: &Path) -> bool {
    state.dirs.contains(path) || state.mounts.iter().any(|m| m.target == path)
}

impl MountOps for FakeOps {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        _data: Option<&str>,
    ) -> Result<(), Errno> {
        let mut state = self.enter_at(Op::Mount, target, flags)?;
        state.log.push(FakeCall::Mount {
            source: source.map(Path::to_owned),
            target: target.to_owned(),
            fstype: fstype.map(str::to_owned),
            flags,
        });
        if !is_dir(&state, target) {
            return Err(Errno::ENOENT);
        }
        let propagation = flags & super::flags::PROPAGATION_KINDS;
        if !propagation.is_empty() {
            // The kernel: a propagation change must be alone in its call (MS_REC allowed).
            if propagation.bits().count_ones() != 1
                || !(flags - propagation - MsFlags::MS_REC).is_empty()
            {
                return Err(Errno::EINVAL);
            }
            let index = visible_index(&state, target).ok_or(Errno::EINVAL)?;
            let peer = state.next_peer;
            let m = &mut state.mounts[index];
            match propagation {
                MsFlags::MS_SHARED => {
                    if m.shared.is_none() {
                        m.shared = Some(peer);
                    }
                }
                MsFlags::MS_SLAVE => {
                    if let Some(shared) = m.shared.take() {
                        m.master = Some(shared);
                    }
                }
                MsFlags::MS_UNBINDABLE => {
                    m.shared = None;
                    m.master = None;
                    m.unbindable = true;
                }
                _ => {
                    m.shared = None;
                    m.master = None;
                }
            }
            if propagation == MsFlags::MS_SHARED {
                state.next_peer += 1;
            }
            return Ok(());
        }
        if flags.contains(MsFlags::MS_REMOUNT) {
            let index = visible_index(&state, target).ok_or(Errno::EINVAL)?;
            state.mounts[index].read_only = flags.contains(MsFlags::MS_RDONLY);
            return Ok(());
        }
        if flags.contains(MsFlags::MS_BIND) {
            let source = source.ok_or(Errno::EINVAL)?;
            if !is_dir(&state, source) {
                return Err(Errno::ENOENT);
            }
            let origin = serving_index(&state, source).map(|i| state.mounts[i].clone());
            let (fs_type, src, health, ro) = match origin.filter(|o| o.target == source) {
                Some(o) => (o.fs_type, o.source, o.health, o.read_only),
                None => (
                    "ext4".to_owned(),
                    "/dev/vda".to_owned(),
                    FakeHealth::Plain,
                    false,
                ),
            };
            push_mount(&mut state, target, &fs_type, &src, ro, health);
            if flags.contains(MsFlags::MS_REC) {
                let below: Vec<FakeMount> = state
                    .mounts
                    .iter()
                    .filter(|m| m.target != source && m.target.starts_with(source))
                    .cloned()
                    .collect();
                for m in below {
                    let relative = m.target.strip_prefix(source).unwrap_or(Path::new(""));
                    push_mount(
                        &mut state,
                        &target.join(relative),
                        &m.fs_type,
                        &m.source,
                        m.read_only,
                        m.health,
                    );
                }
            }
            return Ok(());
        }
        let fs_type = fstype.unwrap_or("none");
        let src = source.map(|s| s.display().to_string()).unwrap_or_default();
        push_mount(
            &mut state,
            target,
            fs_type,
            &src,
            flags.contains(MsFlags::MS_RDONLY),
            FakeHealth::Plain,
        );
        Ok(())
    }

    fn umount(&self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        let mut state = self.enter_at(Op::Umount, target, MsFlags::empty())?;
        state.log.push(FakeCall::Umount {
            target: target.to_owned(),
            flags,
        });
        let index = visible_index(&state, target).ok_or(Errno::EINVAL)?;
        let busy = state.mounts.iter().any(|m| {
            m.target != state.mounts[index].target
                && m.target.starts_with(&state.mounts[index].target)
                && m.id > state.mounts[index].id
        });
        if busy && !flags.contains(MntFlags::MNT_DETACH) {
            // The kernel: a mount with mounts below it is busy; only a lazy unmount
            // takes the whole subtree.
            return Err(Errno::EBUSY);
        }
        let removed = state.mounts.remove(index);
        if flags.contains(MntFlags::MNT_DETACH) {
            // A lazy unmount detaches the whole subtree.
            state.mounts.retain(|m| {
                !(m.target != removed.target
                    && m.target.starts_with(&removed.target)
                    && m.id > removed.id)
            });
        }
        Ok(())
    }

    fn mkdir(&self, path: &Path) -> Result<(), Errno> {
        let mut state = self.enter_at(Op::Mkdir, path, MsFlags::empty())?;
        state.log.push(FakeCall::Mkdir(path.to_owned()));
        if state.symlinks.contains(path) || is_dir(&state, path) {
            return Err(Errno::EEXIST);
        }
        if !path.parent().is_some_and(|p| is_dir(&state, p)) {
            return Err(Errno::ENOENT);
        }
        state.dirs.insert(path.to_owned());
        Ok(())
    }

    fn rmdir(&self, path: &Path) -> Result<(), Errno> {
        let mut state = self.enter_at(Op::Rmdir, path, MsFlags::empty())?;
        state.log.push(FakeCall::Rmdir(path.to_owned()));
        if !state.dirs.contains(path) {
            return Err(Errno::ENOENT);
        }
        if state.mounts.iter().any(|m| m.target == path) {
            return Err(Errno::EBUSY);
        }
        if state.dirs.iter().any(|d| d.parent() == Some(path)) {
            return Err(Errno::ENOTEMPTY);
        }
        state.dirs.remove(path);
        Ok(())
    }

    fn lstat(&self, path: &Path) -> Result<PathKind, Errno> {
        let state = self.enter(Op::Lstat)?;
        if state.symlinks.contains(path) {
            Ok(PathKind::Symlink)
        } else if is_dir(&state, path) {
            Ok(PathKind::Directory)
        } else {
            Err(Errno::ENOENT)
        }
    }

    fn dir_is_empty(&self, path: &Path) -> Result<bool, Errno> {
        let state = self.enter(Op::DirIsEmpty)?;
        if !is_dir(&state, path) {
            return Err(Errno::ENOENT);
        }
        let has_child = state.dirs.iter().any(|d| d.parent() == Some(path))
            || state.symlinks.iter().any(|d| d.parent() == Some(path));
        Ok(!has_child && !state.non_empty.contains(path))
    }

    fn getxattr(&self, path: &Path, name: &str) -> Result<Vec<u8>, Errno> {
        let health = {
            let state = self.enter(Op::Getxattr)?;
            serving_index(&state, path).map(|i| state.mounts[i].health.clone())
        };
        match health {
            Some(FakeHealth::Serving {
                fqrn,
                io_errors,
                version,
            }) => match name {
                "user.fqrn" => Ok(fqrn.into_bytes()),
                "user.version" => Ok(version.into_bytes()),
                "user.revision" => Ok(b"7".to_vec()),
                "user.pid" => Ok(b"4242".to_vec()),
                "user.nioerr" => Ok(io_errors.to_string().into_bytes()),
                _ => Err(Errno::ENODATA),
            },
            Some(FakeHealth::Dead) => Err(Errno::ENOTCONN),
            Some(FakeHealth::Hung(duration)) => {
                std::thread::sleep(duration);
                Err(Errno::ENOTCONN)
            }
            Some(FakeHealth::Plain) | None => Err(Errno::ENODATA),
        }
    }

    fn statfs_magic(&self, path: &Path) -> Result<i64, Errno> {
        let state = self.enter(Op::Statfs)?;
        match serving_index(&state, path).map(|i| &state.mounts[i]) {
            Some(m) if m.fs_type == "fuse" => Ok(FUSE_MAGIC),
            Some(_) => Ok(TMPFS_MAGIC),
            None => Err(Errno::ENOENT),
        }
    }

    fn abort_fuse_connection(&self, minor: u32) -> io::Result<()> {
        let mut state = self.enter(Op::Abort).map_err(io::Error::from)?;
        state.log.push(FakeCall::Abort(minor));
        let mut found = false;
        for m in state
            .mounts
            .iter_mut()
            .filter(|m| m.minor == minor && m.fs_type == "fuse")
        {
            m.health = FakeHealth::Dead;
            found = true;
        }
        if found {
            Ok(())
        } else {
            Err(io::Error::from(Errno::ENOENT))
        }
    }

    fn mountinfo(&self) -> io::Result<Vec<u8>> {
        let state = self.enter(Op::Mountinfo).map_err(io::Error::from)?;
        let mut out = Vec::new();
        for m in &state.mounts {
            out.extend_from_slice(format!("{} {} 0:{} / ", m.id, m.parent, m.minor).as_bytes());
            out.extend(encode(m.target.as_os_str().as_encoded_bytes()));
            out.extend_from_slice(if m.read_only {
                b" ro,relatime"
            } else {
                b" rw,relatime"
            });
            if let Some(peer) = m.shared {
                out.extend_from_slice(format!(" shared:{peer}").as_bytes());
            }
            if let Some(master) = m.master {
                out.extend_from_slice(format!(" master:{master}").as_bytes());
            }
            if m.unbindable {
                out.extend_from_slice(b" unbindable");
            }
            out.extend_from_slice(format!(" - {} {} rw\n", m.fs_type, m.source).as_bytes());
        }
        Ok(out)
    }

    fn host_facts(&self, request: &FactRequest) -> HostFacts {
        let mut facts = self.lock().facts.clone();
        // Only what was asked about is reported, as on a real host.
        facts
            .executables
            .retain(|p| request.executables.contains(p));
        facts
            .users
            .retain(|(name, _, _)| request.users.contains(name));
        facts
    }

    fn run_program(
        &self,
        program: &Path,
        args: &[OsString],
        _timeout: Duration,
    ) -> io::Result<ProgramOutput> {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        {
            let mut state = self.enter(Op::RunProgram).map_err(io::Error::from)?;
            state.log.push(FakeCall::RunProgram {
                program: program.to_owned(),
                args: args.clone(),
            });
        }
        let response = self.next_response(&args);
        if response.mounts
            && let [fqrn, target, ..] = args.as_slice()
        {
            self.add_client_mount(target, fqrn);
        }
        Ok(ProgramOutput {
            code: response.code,
            stdout: response.stdout,
            stderr: response.stderr,
            timed_out: response.code.is_none(),
        })
    }

    fn spawn_server(&self, spawn: &ServerSpawn) -> io::Result<ServerStart> {
        let args: Vec<String> = spawn
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        {
            let mut state = self.enter(Op::SpawnServer).map_err(io::Error::from)?;
            state.log.push(FakeCall::SpawnServer {
                program: spawn.program.clone(),
                args: args.clone(),
            });
        }
        let response = self.next_response(&args);
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .cloned()
        };
        if response.code.is_none() {
            return Ok(ServerStart::TimedOut);
        }
        if !response.mounts {
            return Ok(ServerStart::Failed {
                message: response.stderr,
            });
        }
        if let (Some(fqrn), Some(target)) = (value("--fqrn"), value("--target")) {
            self.add_client_mount(&target, response.answers_as.as_deref().unwrap_or(&fqrn));
        }
        Ok(ServerStart::Ready {
            pid: 4242,
            note: String::new(),
        })
    }
}
