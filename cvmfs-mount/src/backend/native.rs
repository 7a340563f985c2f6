//! `native`: our own client mounts each repository, as a detached server process per
//! repository (like the client, and like the snapshot server), so the engine's probe,
//! repair and watch work unchanged.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::MountPlan;
use cvmfs_core::plan::{MountSource, Step};

use crate::backend::fuse_server::{fuse_requirements, start_server};
use crate::backend::{MountBackend, Note, Requirement, unsupported};
use crate::error::MountError;
use crate::native::NativeArgs;
use crate::sys::MountOps;

/// How native servers are started and configured.
#[derive(Debug, Clone)]
pub struct NativeSettings {
    /// The program that runs a server (for example `cvmfs-cli`).
    pub program: PathBuf,
    /// Arguments before the server's own (for example a subcommand).
    pub prefix_args: Vec<OsString>,
    /// The client configuration (`/etc/cvmfs`).
    pub config_dir: PathBuf,
    /// The cache directory instead of the configuration's.
    pub cache_dir: Option<PathBuf>,
    /// Servers instead of the configuration's (`CVMFS_SERVER_URL` syntax).
    pub server_url: Option<String>,
    /// Proxies instead of the configuration's (`CVMFS_HTTP_PROXY` syntax).
    pub http_proxy: Option<String>,
    /// Master keys instead of the configuration's.
    pub keys: Vec<PathBuf>,
    /// How long a server may take to fetch, verify and mount.
    pub ready_timeout: Duration,
}

impl NativeSettings {
    /// Settings for `program` reading `/etc/cvmfs`, with a 60 s readiness limit (a cold
    /// start fetches the manifest, whitelist, certificate and root catalog).
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            prefix_args: Vec::new(),
            config_dir: PathBuf::from("/etc/cvmfs"),
            cache_dir: None,
            server_url: None,
            http_proxy: None,
            keys: Vec::new(),
            ready_timeout: Duration::from_secs(60),
        }
    }

    /// The server arguments for `fqrn` at `target`.
    pub fn args(&self, fqrn: &str, target: &Path) -> NativeArgs {
        let mut args = NativeArgs::new(fqrn, target.to_owned(), self.config_dir.clone());
        args.cache_dir.clone_from(&self.cache_dir);
        args.server_url.clone_from(&self.server_url);
        args.http_proxy.clone_from(&self.http_proxy);
        args.keys.clone_from(&self.keys);
        args
    }
}

/// Starts one native server per repository.
#[derive(Debug, Clone)]
pub struct NativeBackend {
    /// Settings.
    pub settings: NativeSettings,
}

impl MountBackend for NativeBackend {
    fn kind(&self) -> cvmfs_core::BackendKind {
        cvmfs_core::BackendKind::Native
    }

    fn preflight(
        &self,
        _ops: &dyn MountOps,
        facts: &crate::host_facts::HostFacts,
        plan: &MountPlan,
    ) -> Vec<Requirement> {
        let mut needs = fuse_requirements(facts);
        // What the configuration lacks is named per repository, before anything mounts.
        for step in plan.steps() {
            if let Step::Mount {
                source: MountSource::Native { fqrn },
                ..
            } = step
            {
                for problem in self.configuration_problems(fqrn) {
                    needs.push(Requirement::blocking(
                        format!("{fqrn}: {problem}"),
                        format!(
                            "set it in {}/config.d/{fqrn}.local (or the domain's file), or pass --server-url and --key",
                            self.settings.config_dir.display()
                        ),
                    ));
                }
            }
        }
        needs
    }

    fn mount(
        &self,
        ops: &dyn MountOps,
        source: &MountSource,
        target: &Path,
    ) -> Result<Vec<Note>, MountError> {
        let MountSource::Native { fqrn } = source else {
            return Err(unsupported(self.name(), source));
        };
        let mut args = self.settings.prefix_args.clone();
        args.extend(self.settings.args(fqrn.as_str(), target).to_args());
        let (pid, note) = start_server(
            ops,
            &self.settings.program,
            args,
            self.settings.ready_timeout,
            |message| MountError::NativeServer {
                target: target.to_owned(),
                message,
            },
        )?;
        let text = format!("native client pid {pid} serves {note}");
        Ok(vec![if note.contains("offline") {
            Note::Warning(text)
        } else {
            Note::Info(text)
        }])
    }

    fn refuses_stand_in(&self) -> bool {
        true
    }
}

impl NativeBackend {
    /// What keeps the configuration from naming servers and keys for `fqrn` (empty when
    /// the settings override them).
    fn configuration_problems(&self, fqrn: &cvmfs_core::Fqrn) -> Vec<String> {
        let config = crate::native::setup::configuration(&self.settings.config_dir, fqrn);
        let mut problems = Vec::new();
        if self.settings.server_url.is_none() && config.get("CVMFS_SERVER_URL").is_none() {
            problems.push(format!(
                "no servers: CVMFS_SERVER_URL is not set, and {} has no built-in defaults",
                fqrn.domain()
            ));
        }
        if self.settings.keys.is_empty()
            && let Err(e) = crate::repository::keys::anchors_from_config(&config)
        {
            problems.push(format!("no master key: {e}"));
        }
        problems
    }
}
