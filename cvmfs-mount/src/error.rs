//! The one error type of `cvmfs-mount`: a variant per failing step, each with the path
//! or repository it concerns and the underlying error.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use cvmfs_core::mountinfo::MountinfoError;
use cvmfs_core::remap::RemapError;
use cvmfs_core::{Fqrn, Propagation};
use nix::errno::Errno;
use thiserror::Error;

/// Everything that can go wrong while mounting, probing or repairing.
#[derive(Debug, Error)]
pub enum MountError {
    /// A directory on the way to a mountpoint could not be created.
    #[error("cannot create the mountpoint directory {path}: {errno}")]
    CreateMountpoint {
        /// The directory.
        path: PathBuf,
        /// The system error.
        errno: Errno,
    },
    /// A component of a mountpoint below the root is a symlink: refused.
    #[error(
        "refusing {path}: {component} is a symbolic link (mountpoints are never resolved through symlinks)"
    )]
    SymlinkInPath {
        /// The mountpoint.
        path: PathBuf,
        /// The symlink.
        component: PathBuf,
    },
    /// A component of a mountpoint is not a directory.
    #[error("cannot use {path} as a mountpoint: {component} is not a directory")]
    NotADirectory {
        /// The mountpoint.
        path: PathBuf,
        /// The offending component.
        component: PathBuf,
    },
    /// The mountpoint holds files and mounting over them was not asked for.
    #[error("refusing to mount on {path}: the directory is not empty (it would hide its files)")]
    MountpointNotEmpty {
        /// The mountpoint.
        path: PathBuf,
    },
    /// Inspecting a path failed.
    #[error("cannot inspect {path}: {errno}")]
    Inspect {
        /// The path.
        path: PathBuf,
        /// The system error.
        errno: Errno,
    },
    /// A bind mount failed.
    #[error("cannot bind {source_path} on {target}{}: {errno}", if *recursive { " recursively" } else { "" })]
    Bind {
        /// What was bound.
        source_path: PathBuf,
        /// Where.
        target: PathBuf,
        /// With submounts.
        recursive: bool,
        /// The system error.
        errno: Errno,
    },
    /// Changing propagation failed.
    #[error("cannot change the propagation of {target} to {propagation}: {errno}")]
    SetPropagation {
        /// The mountpoint.
        target: PathBuf,
        /// The requested propagation.
        propagation: Propagation,
        /// The system error.
        errno: Errno,
    },
    /// The read-only remount of a bind failed.
    #[error("cannot remount {target} read-only: {errno}")]
    RemountReadOnly {
        /// The mountpoint.
        target: PathBuf,
        /// The system error.
        errno: Errno,
    },
    /// An unmount failed.
    #[error("cannot unmount {target}: {errno}")]
    Unmount {
        /// The mountpoint.
        target: PathBuf,
        /// The system error.
        errno: Errno,
    },
    /// No new user and mount namespace could be created.
    #[error(
        "cannot create a user namespace (user namespaces disabled, or this process already has threads): {errno}"
    )]
    EnterUserNamespace {
        /// The system error.
        errno: Errno,
    },
    /// The mount table could not be read.
    #[error("cannot read the mount table: {source}")]
    ReadMountTable {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The mount table could not be parsed.
    #[error("cannot parse the mount table: {source}")]
    ParseMountTable {
        /// The parser's error.
        #[source]
        source: MountinfoError,
    },
    /// Aborting a hung FUSE connection failed.
    #[error(
        "cannot abort FUSE connection {minor} (/sys/fs/fuse/connections/{minor}/abort): {source}"
    )]
    AbortConnection {
        /// The connection (device minor).
        minor: u32,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A program (mount helper, snapshot server) could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The mount helper did not finish in time and was killed.
    #[error(
        "the mount helper {program} did not finish mounting {fqrn} within {after:?}; it was killed"
    )]
    HelperTimedOut {
        /// The helper.
        program: PathBuf,
        /// The repository.
        fqrn: Fqrn,
        /// The time limit.
        after: Duration,
    },
    /// The mount helper refused before starting the client (exit code 1).
    #[error("mounting {fqrn} failed before the client started (exit 1): {message}")]
    HelperCheckFailed {
        /// The repository.
        fqrn: Fqrn,
        /// The helper's message.
        message: String,
    },
    /// The client failed (exit code 32); `code` is the client's code when the relayed
    /// `(<code> - <text>)` line survived.
    #[error("the client failed to mount {fqrn} (exit 32{}): {message}", code.map(|c| format!(", client code {c} {}", client_code_name(c))).unwrap_or_default())]
    ClientFailed {
        /// The repository.
        fqrn: Fqrn,
        /// The client's code (0..=25), when known.
        code: Option<u8>,
        /// The relayed message (possibly truncated).
        message: String,
    },
    /// The mount helper exited with a code it never uses, or by a signal.
    #[error("the mount helper exited unexpectedly ({status}) for {fqrn}: {message}")]
    HelperUnexpected {
        /// The repository.
        fqrn: Fqrn,
        /// The exit status as text.
        status: String,
        /// Its output.
        message: String,
    },
    /// A bind source is missing.
    #[error("the source {path} does not exist")]
    SourceMissing {
        /// The source.
        path: PathBuf,
    },
    /// A bind source is not a client mount and was not declared a plain directory.
    #[error(
        "the source {path} is not a CVMFS client mount (fuse/cvmfs2); pass it as a plain directory if it is an exported snapshot"
    )]
    SourceNotClientMount {
        /// The source.
        path: PathBuf,
    },
    /// A shared directory that is not shared: later mounts would never arrive.
    #[error(
        "{path} is not a shared mount ({propagation}), so repositories mounted there later will not arrive; on the publishing side run: mount --make-rshared {path}"
    )]
    SourceNotShared {
        /// The directory.
        path: PathBuf,
        /// Its current propagation.
        propagation: String,
    },
    /// A repository expected under a whole-root bind did not appear in time.
    #[error("{fqrn} did not appear at {target} within {waited:?} (last state: {state})")]
    RepositoryDidNotAppear {
        /// The repository.
        fqrn: Fqrn,
        /// Where it was expected.
        target: PathBuf,
        /// How long we waited.
        waited: Duration,
        /// The last probe result.
        state: String,
    },
    /// After mounting, the mount did not pass verification.
    #[error("{target} is mounted but not healthy: {state}")]
    VerifyFailed {
        /// The mountpoint.
        target: PathBuf,
        /// The probe result.
        state: String,
    },
    /// The snapshot server reported an error before it was ready.
    #[error("the snapshot server for {target} failed: {message}")]
    SnapshotServer {
        /// The mountpoint.
        target: PathBuf,
        /// Its message.
        message: String,
    },
    /// The native server reported an error before it was ready.
    #[error("the native client for {target} failed: {message}")]
    NativeServer {
        /// The mountpoint.
        target: PathBuf,
        /// Its message.
        message: String,
    },
    /// The configuration of a repository does not let the native client mount it;
    /// every problem is listed.
    #[error("{fqrn}: cannot be mounted with this configuration: {}", problems.join("; "))]
    NativeConfiguration {
        /// The repository.
        fqrn: String,
        /// Each problem, naming the setting.
        problems: Vec<String>,
    },
    /// The repository could not be opened (fetched and verified).
    #[error("{fqrn}: {source}")]
    NativeOpen {
        /// The repository.
        fqrn: String,
        /// What failed.
        #[source]
        source: crate::repository::RepositoryError,
    },
    /// The plan was made without the source directory its backend reads (it can be
    /// shown, checked and unmounted, not mounted).
    #[error(
        "the {backend} backend reads its repositories from a source directory, and the plan has none (pass --source)"
    )]
    SourceNotGiven {
        /// The backend.
        backend: cvmfs_core::BackendKind,
    },
    /// A mount that must be the client's is served by the snapshot stand-in.
    #[error(
        "{target} is served by {version}, the snapshot stand-in, not the CVMFS client; bind the host's client mounts (or pass --plain-source for plain directories)"
    )]
    ServedByStandIn {
        /// The mount checked.
        target: PathBuf,
        /// Its `user.version`.
        version: String,
    },
    /// The snapshot source directory is missing.
    #[error("the snapshot source {path} is not a directory")]
    SnapshotSourceMissing {
        /// The directory.
        path: PathBuf,
    },
    /// Serving FUSE in this process failed.
    #[error("cannot serve {target} through FUSE: {source}")]
    ServeFuse {
        /// The mountpoint.
        target: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The id remap was refused by the core rules; nothing was changed.
    #[error("{source}")]
    Remap {
        /// The core error.
        #[source]
        source: RemapError,
    },
    /// Changing a file's owner failed.
    #[error("cannot change the owner of {path}: {errno}")]
    Chown {
        /// The file.
        path: PathBuf,
        /// The system error.
        errno: Errno,
    },
    /// The step kind is not handled by the selected backend.
    #[error("the {backend} backend cannot perform: {step}")]
    UnsupportedStep {
        /// The backend.
        backend: &'static str,
        /// The step.
        step: String,
    },
    /// The pipe for a probe process could not be created.
    #[error("cannot create a pipe for the probe process: {errno}")]
    ProbePipe {
        /// The system error.
        errno: Errno,
    },
    /// The probe process could not be forked.
    #[error("cannot fork the probe process: {errno}")]
    ProbeFork {
        /// The system error.
        errno: Errno,
    },
    /// Waiting for the probe process's report failed.
    #[error("cannot wait for the probe process's report: {errno}")]
    ProbeWait {
        /// The system error.
        errno: Errno,
    },
    /// The probe process did not report in time.
    #[error("the probe process did not report within {limit:?}")]
    ProbeNoReport {
        /// The time allowed.
        limit: Duration,
    },
    /// The probe process's report could not be read.
    #[error("cannot read the probe process's report: {source}")]
    ProbeRead {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The probe process reported an error instead of results.
    #[error("the probe process failed: {message}")]
    ProbeChildFailed {
        /// Its message.
        message: String,
    },
    /// An operation was attempted on a target that the plan does not own.
    #[error("{target} is not a mount of this plan; left untouched")]
    NotInPlan {
        /// The path.
        target: PathBuf,
    },
}

/// The client's loader exit codes, as named by the client.
pub fn client_code_name(code: u8) -> &'static str {
    const NAMES: [&str; 26] = [
        "ok",
        "unknown",
        "illegal options",
        "permission denied",
        "failed to mount",
        "loader talk socket",
        "FUSE loop",
        "load library",
        "incompatible versions",
        "cache directory",
        "peers",
        "NFS maps",
        "quota",
        "watchdog",
        "talk socket",
        "signature verification",
        "file catalog",
        "maintenance mode",
        "save state",
        "restore state",
        "already mounted (other repository)",
        "double mount",
        "history",
        "proxy auto-discovery failed",
        "workspace already locked",
        "revision blacklisted",
    ];
    NAMES
        .get(usize::from(code))
        .copied()
        .unwrap_or("unknown code")
}

impl MountError {
    /// Whether the step failed for lack of privileges: EPERM or EACCES from the kernel, or
    /// a message relayed from another process (mount helper, client, server) that says so.
    pub fn is_permission_denied(&self) -> bool {
        let io_denied = |source: &io::Error| source.kind() == io::ErrorKind::PermissionDenied;
        let says_denied = |message: &str| {
            message.contains("Permission denied") || message.contains("Operation not permitted")
        };
        match self {
            Self::CreateMountpoint { errno, .. }
            | Self::Inspect { errno, .. }
            | Self::Bind { errno, .. }
            | Self::SetPropagation { errno, .. }
            | Self::RemountReadOnly { errno, .. }
            | Self::Unmount { errno, .. }
            | Self::Chown { errno, .. } => matches!(errno, Errno::EPERM | Errno::EACCES),
            Self::EnterUserNamespace { .. } => true,
            Self::ReadMountTable { source }
            | Self::AbortConnection { source, .. }
            | Self::Spawn { source, .. }
            | Self::ServeFuse { source, .. }
            | Self::WriteFile { source, .. }
            | Self::ReadFile { source, .. }
            | Self::ProbeRead { source } => io_denied(source),
            Self::HelperCheckFailed { message, .. }
            | Self::ClientFailed { message, .. }
            | Self::HelperUnexpected { message, .. }
            | Self::SnapshotServer { message, .. }
            | Self::NativeServer { message, .. } => says_denied(message),
            Self::RepositoryDidNotAppear { state, .. } | Self::VerifyFailed { state, .. } => {
                says_denied(state)
            }
            _ => false,
        }
    }

    /// A stable kebab-case name of the variant for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateMountpoint { .. } => "create-mountpoint",
            Self::SymlinkInPath { .. } => "symlink-in-path",
            Self::NotADirectory { .. } => "not-a-directory",
            Self::MountpointNotEmpty { .. } => "mountpoint-not-empty",
            Self::Inspect { .. } => "inspect",
            Self::Bind { .. } => "bind",
            Self::SetPropagation { .. } => "set-propagation",
            Self::RemountReadOnly { .. } => "remount-read-only",
            Self::Unmount { .. } => "unmount",
            Self::EnterUserNamespace { .. } => "enter-user-namespace",
            Self::ReadMountTable { .. } => "read-mount-table",
            Self::ParseMountTable { .. } => "parse-mount-table",
            Self::AbortConnection { .. } => "abort-connection",
            Self::Spawn { .. } => "spawn",
            Self::HelperTimedOut { .. } => "helper-timed-out",
            Self::HelperCheckFailed { .. } => "helper-check-failed",
            Self::ClientFailed { .. } => "client-failed",
            Self::HelperUnexpected { .. } => "helper-unexpected",
            Self::SourceMissing { .. } => "source-missing",
            Self::SourceNotClientMount { .. } => "source-not-client-mount",
            Self::SourceNotShared { .. } => "source-not-shared",
            Self::RepositoryDidNotAppear { .. } => "repository-did-not-appear",
            Self::VerifyFailed { .. } => "verify-failed",
            Self::SnapshotServer { .. } => "snapshot-server",
            Self::NativeServer { .. } => "native-server",
            Self::NativeConfiguration { .. } => "native-configuration",
            Self::NativeOpen { .. } => "native-open",
            Self::SourceNotGiven { .. } => "source-not-given",
            Self::ServedByStandIn { .. } => "served-by-stand-in",
            Self::SnapshotSourceMissing { .. } => "snapshot-source-missing",
            Self::ServeFuse { .. } => "serve-fuse",
            Self::WriteFile { .. } => "write-file",
            Self::ReadFile { .. } => "read-file",
            Self::Remap { .. } => "remap",
            Self::Chown { .. } => "chown",
            Self::UnsupportedStep { .. } => "unsupported-step",
            Self::ProbePipe { .. } => "probe-pipe",
            Self::ProbeFork { .. } => "probe-fork",
            Self::ProbeWait { .. } => "probe-wait",
            Self::ProbeNoReport { .. } => "probe-no-report",
            Self::ProbeRead { .. } => "probe-read",
            Self::ProbeChildFailed { .. } => "probe-child-failed",
            Self::NotInPlan { .. } => "not-in-plan",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_comes_from_errno_io_kind_or_relayed_message() {
        let target = PathBuf::from("/cvmfs/cms.cern.ch");
        let unmount = |errno| MountError::Unmount {
            target: target.clone(),
            errno,
        };
        assert!(unmount(Errno::EPERM).is_permission_denied());
        assert!(unmount(Errno::EACCES).is_permission_denied());
        assert!(!unmount(Errno::EBUSY).is_permission_denied());
        let spawn = |kind| MountError::Spawn {
            program: PathBuf::from("/usr/bin/cvmfs2"),
            source: io::Error::from(kind),
        };
        assert!(spawn(io::ErrorKind::PermissionDenied).is_permission_denied());
        assert!(!spawn(io::ErrorKind::NotFound).is_permission_denied());
        let server = |message: &str| MountError::SnapshotServer {
            target: target.clone(),
            message: message.to_owned(),
        };
        assert!(server("fuse: failed to open /dev/fuse: Permission denied").is_permission_denied());
        assert!(!server("the source vanished").is_permission_denied());
        assert!(
            MountError::EnterUserNamespace {
                errno: Errno::ENOSPC
            }
            .is_permission_denied()
        );
        assert!(!MountError::NotInPlan { target }.is_permission_denied());
    }
}
