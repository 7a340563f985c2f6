//! The real system calls, through `nix` and the standard library.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::{Mode, SFlag};

use crate::host_facts::{FactRequest, HostFacts};
use crate::mount_table::TableText;
use crate::sys::children::{self, SpawnGuard};
use crate::sys::{MountOps, PathKind, ProgramOutput, ServerSpawn, ServerStart};

/// The Linux implementation of [`MountOps`].
#[derive(Debug, Default, Clone, Copy)]
pub struct LinuxOps;

fn io_errno(err: &io::Error) -> Errno {
    err.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

/// Reads a pipe to the end on its own thread.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            // A read error ends the capture; what was read is kept.
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Waits for `child` until `deadline`; kills it afterwards.
fn wait_until(
    child: &mut Child,
    deadline: Instant,
) -> io::Result<Option<std::process::ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            // Already exited between the checks: kill fails harmlessly.
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

impl MountOps for LinuxOps {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno> {
        nix::mount::mount(source, target, fstype, flags, data)
    }

    fn umount(&self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        nix::mount::umount2(target, flags)
    }

    fn mkdir(&self, path: &Path) -> Result<(), Errno> {
        nix::unistd::mkdir(path, Mode::from_bits_truncate(0o755))
    }

    fn rmdir(&self, path: &Path) -> Result<(), Errno> {
        std::fs::remove_dir(path).map_err(|e| io_errno(&e))
    }

    fn lstat(&self, path: &Path) -> Result<PathKind, Errno> {
        let stat = nix::sys::stat::lstat(path)?;
        let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
        Ok(if kind == SFlag::S_IFDIR {
            PathKind::Directory
        } else if kind == SFlag::S_IFLNK {
            PathKind::Symlink
        } else {
            PathKind::Other
        })
    }

    fn dir_is_empty(&self, path: &Path) -> Result<bool, Errno> {
        let mut entries = std::fs::read_dir(path).map_err(|e| io_errno(&e))?;
        Ok(entries.next().is_none())
    }

    fn getxattr(&self, path: &Path, name: &str) -> Result<Vec<u8>, Errno> {
        match xattr::get(path, name) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(Errno::ENODATA),
            Err(err) => Err(io_errno(&err)),
        }
    }

    fn statfs_magic(&self, path: &Path) -> Result<i64, Errno> {
        let stat = nix::sys::statfs::statfs(path)?;
        // The magic number fits in i64 on every Linux target.
        #[allow(clippy::useless_conversion)]
        Ok(i64::from(stat.filesystem_type().0))
    }

    fn abort_fuse_connection(&self, minor: u32) -> io::Result<()> {
        let connections = Path::new("/sys/fs/fuse/connections");
        let abort = connections.join(minor.to_string()).join("abort");
        if !abort.exists() && std::fs::read_dir(connections).is_ok_and(|mut d| d.next().is_none()) {
            // The FUSE control filesystem is not mounted (common in containers): mount
            // it where systemd would, so the connection can be aborted.
            nix::mount::mount(
                Some("fusectl"),
                connections,
                Some("fusectl"),
                MsFlags::empty(),
                None::<&str>,
            )
            .map_err(io::Error::from)?;
        }
        std::fs::write(abort, b"1")
    }

    fn mountinfo(&self) -> io::Result<Vec<u8>> {
        // procfs reports a size of 0, so `fs::read` would start from a tiny buffer and
        // double it read by read; 64 KiB holds a few hundred mounts in one read.
        let mut text = Vec::with_capacity(64 * 1024);
        std::fs::File::open("/proc/thread-self/mountinfo")?.read_to_end(&mut text)?;
        Ok(text)
    }

    fn run_program(
        &self,
        program: &Path,
        args: &[OsString],
        timeout: Duration,
    ) -> io::Result<ProgramOutput> {
        let guard = SpawnGuard::new();
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        guard.own(child.id());
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = wait_until(&mut child, Instant::now() + timeout);
        children::release(child.id());
        let status = status?;
        Ok(ProgramOutput {
            code: status.and_then(|s| s.code()),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
            timed_out: status.is_none(),
        })
    }

    fn host_facts(&self, request: &FactRequest) -> HostFacts {
        let mut facts = HostFacts::gather(request);
        if let Ok(mut text) = TableText::read(self)
            && let Ok(table) = text.parse()
        {
            facts.root_propagation = table
                .visible_at(b"/")
                .map(|m| format!("{:?}", m.propagation()).to_lowercase());
        }
        facts
    }

    fn spawn_server(&self, spawn: &ServerSpawn) -> io::Result<ServerStart> {
        let guard = SpawnGuard::new();
        let mut child = Command::new(&spawn.program)
            .args(&spawn.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C meant for the caller does not kill it.
            .process_group(0)
            .spawn()?;
        guard.own(child.id());
        let pid = child.id();
        let stdout = child.stdout.take();
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            let mut line = String::new();
            // EOF or an error leaves the line empty: the server failed to start.
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = match receiver.recv_timeout(spawn.ready_timeout) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                children::release(pid);
                return Ok(ServerStart::TimedOut);
            }
        };
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("READY pid=") {
            let (pid, note) = rest.split_once(' ').unwrap_or((rest, ""));
            let pid = pid.parse().unwrap_or(child.id());
            let note = note.trim().to_owned();
            // Reap the server whenever it ends, so it never lingers as a zombie.
            thread::spawn(move || {
                let _ = child.wait();
                children::release(pid);
            });
            return Ok(ServerStart::Ready { pid, note });
        }
        let _ = child.wait();
        children::release(pid);
        let message = line.strip_prefix("ERROR ").unwrap_or(line);
        Ok(ServerStart::Failed {
            message: if message.is_empty() {
                "exited before it was ready".to_owned()
            } else {
                message.to_owned()
            },
        })
    }
}
