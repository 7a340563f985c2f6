//! `cvmfs2-helper`: mounts through the real client's mount helper, called the way
//! `mount -t cvmfs <fqrn> <mountpoint>` calls it. Decisions follow the exit code (0, 1,
//! 32); the relayed `(<code> - <text>)` line, which can arrive truncated, only refines
//! the error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cvmfs_core::MountPlan;
use cvmfs_core::config::{ClientProfile, EffectiveConfig, parse_switch};
use cvmfs_core::plan::MountSource;

use crate::atomic_file::write_atomically;
use crate::backend::{MountBackend, Note, Requirement, unsupported};
use crate::error::MountError;
use crate::host_facts::{FactRequest, HostFacts};
use crate::sys::{MountOps, ProgramOutput};

/// How the helper backend runs.
#[derive(Debug, Clone)]
pub struct HelperSettings {
    /// The mount helper (`/sbin/mount.cvmfs`).
    pub program: PathBuf,
    /// The client binary whose presence preflight checks (`/usr/bin/cvmfs2`).
    pub client_binary: Option<PathBuf>,
    /// How long one mount may take before the helper is killed.
    pub timeout: Duration,
    /// The client's configuration directory (`/etc/cvmfs`).
    pub config_dir: PathBuf,
    /// Write this profile's `default.local` before mounting.
    pub write_default_local: Option<ClientProfile>,
}

impl Default for HelperSettings {
    fn default() -> Self {
        Self {
            program: PathBuf::from("/sbin/mount.cvmfs"),
            client_binary: Some(PathBuf::from("/usr/bin/cvmfs2")),
            timeout: Duration::from_secs(120),
            config_dir: PathBuf::from("/etc/cvmfs"),
            write_default_local: None,
        }
    }
}

/// Mounts through the client's mount helper.
#[derive(Debug, Clone, Default)]
pub struct HelperBackend {
    /// Settings.
    pub settings: HelperSettings,
}

/// Finds the client's code in a relayed `<message> (<code> - <text>)` line; `None` when
/// the line was cut before the code.
///
/// ```
/// use cvmfs_mount::backend::parse_relayed_code;
/// assert_eq!(parse_relayed_code("Failed to initialize root file catalog (16 - file catalog failure)"), Some(16));
/// assert_eq!(parse_relayed_code("F"), None);
/// ```
pub fn parse_relayed_code(message: &str) -> Option<u8> {
    let open = message.rfind('(')?;
    let (code, rest) = message[open + 1..].split_once(" - ")?;
    if !rest.contains(')') {
        return None;
    }
    code.trim().parse().ok().filter(|c| *c <= 25)
}

/// The helper's message: stderr, or stdout without its progress prefix.
fn helper_message(output: &ProgramOutput) -> String {
    let stderr = output.stderr.trim();
    if !stderr.is_empty() {
        return stderr.to_owned();
    }
    let stdout = output.stdout.trim();
    stdout
        .strip_prefix("CernVM-FS: loading Fuse module...")
        .unwrap_or(stdout)
        .trim()
        .to_owned()
}

/// Turns a helper run into success notes or the typed error.
fn classify(
    fqrn: &cvmfs_core::Fqrn,
    program: &Path,
    timeout: Duration,
    output: &ProgramOutput,
) -> Result<Vec<Note>, MountError> {
    let message = helper_message(output);
    if output.timed_out {
        return Err(MountError::HelperTimedOut {
            program: program.to_owned(),
            fqrn: fqrn.clone(),
            after: timeout,
        });
    }
    match output.code {
        Some(0) => Ok(Vec::new()),
        Some(1) if message.contains("is already mounted on") => Ok(vec![Note::Warning(format!(
            "the helper reports {fqrn} already mounted ({message}); verifying the existing mount"
        ))]),
        Some(1) => Err(MountError::HelperCheckFailed {
            fqrn: fqrn.clone(),
            message,
        }),
        Some(32) => Err(MountError::ClientFailed {
            fqrn: fqrn.clone(),
            code: parse_relayed_code(&message),
            message,
        }),
        other => Err(MountError::HelperUnexpected {
            fqrn: fqrn.clone(),
            status: other.map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}")),
            message,
        }),
    }
}

/// What the helper needs, from gathered host facts and the effective configuration.
pub fn helper_requirements(
    settings: &HelperSettings,
    facts: &HostFacts,
    config: Option<&EffectiveConfig>,
) -> Vec<Requirement> {
    let mut needs = Vec::new();
    if !facts.is_root {
        needs.push(Requirement::blocking(
            "not running as root (the helper fails with \"Failed to create socket directory\")",
            "run as root, or use the snapshot backend in a user namespace",
        ));
    }
    if !facts.executable(&settings.program) {
        needs.push(Requirement::blocking(
            format!("the mount helper {} is missing", settings.program.display()),
            "install the cvmfs package, or pass the helper's path",
        ));
    }
    if let Some(client) = &settings.client_binary
        && !facts.executable(client)
    {
        needs.push(Requirement::blocking(
            format!(
                "the client {} is missing (\"Failed to locate the cvmfs2 binary\")",
                client.display()
            ),
            "install the cvmfs package",
        ));
    }
    let get = |key: &str| config.and_then(|c| c.get(key));
    let user = &client_user(config);
    match &facts.dev_fuse {
        None => needs.push(Requirement::blocking(
            "/dev/fuse does not exist (\"Fuse not loaded\")",
            "pass --device /dev/fuse to the container, or modprobe fuse on the host",
        )),
        Some(fuse) if !fuse.read_write_for(facts.user_ids(user)) => needs.push(Requirement::blocking(
            format!("/dev/fuse is not readable and writable by {user} (\"fuse: failed to open /dev/fuse: Permission denied\")"),
            "chmod 0666 /dev/fuse, or run the client as a user that can open it",
        )),
        Some(_) => {}
    }
    let nfiles = get("CVMFS_NFILES")
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(131_072);
    if let Some(hard) = facts.nofile_hard
        && nfiles > hard
    {
        needs.push(Requirement::blocking(
            format!("CVMFS_NFILES={nfiles} is above the hard open-files limit {hard} (\"Failed to set maximum number of open files\")"),
            format!("lower CVMFS_NFILES to {hard} or less, or raise the limit (--ulimit nofile={nfiles}:{nfiles})"),
        ));
    }
    let single = get("CVMFS_CLIENT_PROFILE") == Some("single");
    if get("CVMFS_HTTP_PROXY").is_none_or(|p| p.trim().is_empty()) && !single {
        needs.push(Requirement::blocking(
            "CVMFS_HTTP_PROXY is missing or empty (\"CVMFS_HTTP_PROXY required\")",
            "set CVMFS_HTTP_PROXY in /etc/cvmfs/default.local (DIRECT without a site proxy)",
        ));
    }
    if get("CVMFS_CONFIG_REPO_REQUIRED").is_some_and(|v| parse_switch(v).is_none()) {
        needs.push(Requirement::warning(
            "CVMFS_CONFIG_REPO_REQUIRED is neither on nor off",
            "use yes or no",
        ));
    }
    needs
}

/// The user the client runs as (`CVMFS_USER`, default `cvmfs`).
fn client_user(config: Option<&EffectiveConfig>) -> String {
    config
        .and_then(|c| c.get("CVMFS_USER"))
        .unwrap_or("cvmfs")
        .to_owned()
}

impl HelperBackend {
    /// The client's effective configuration for the plan's first repository.
    fn client_config(&self, plan: &MountPlan) -> Option<EffectiveConfig> {
        plan.repositories().first().map(|fqrn| {
            crate::client_config::load_effective(&self.settings.config_dir, plan.root(), fqrn)
        })
    }
}

impl MountBackend for HelperBackend {
    fn kind(&self) -> cvmfs_core::BackendKind {
        cvmfs_core::BackendKind::Cvmfs2Helper
    }

    fn fact_request(&self, plan: &MountPlan) -> FactRequest {
        let mut executables = vec![self.settings.program.clone()];
        executables.extend(self.settings.client_binary.clone());
        FactRequest {
            executables,
            users: vec![client_user(self.client_config(plan).as_ref())],
        }
    }

    fn preflight(
        &self,
        _ops: &dyn MountOps,
        facts: &HostFacts,
        plan: &MountPlan,
    ) -> Vec<Requirement> {
        helper_requirements(&self.settings, facts, self.client_config(plan).as_ref())
    }

    fn prepare(&self, plan: &MountPlan) -> Result<Vec<Note>, MountError> {
        let Some(profile) = &self.settings.write_default_local else {
            return Ok(Vec::new());
        };
        let text = profile.render_default_local(plan);
        let path = self.settings.config_dir.join("default.local");
        write_atomically(&path, text.as_bytes())?;
        Ok(vec![Note::Info(format!(
            "wrote {} (profile {})",
            path.display(),
            profile.name
        ))])
    }

    fn mount(
        &self,
        ops: &dyn MountOps,
        source: &MountSource,
        target: &Path,
    ) -> Result<Vec<Note>, MountError> {
        let MountSource::Cvmfs2Helper { fqrn } = source else {
            return Err(unsupported(self.name(), source));
        };
        let args = [OsString::from(fqrn.as_str()), target.as_os_str().to_owned()];
        let output = ops
            .run_program(&self.settings.program, &args, self.settings.timeout)
            .map_err(|source| MountError::Spawn {
                program: self.settings.program.clone(),
                source,
            })?;
        classify(fqrn, &self.settings.program, self.settings.timeout, &output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cvmfs_core::Fqrn;

    fn output(code: Option<i32>, stderr: &str) -> ProgramOutput {
        ProgramOutput {
            code,
            stdout: "CernVM-FS: loading Fuse module... ".to_owned(),
            stderr: stderr.to_owned(),
            timed_out: code.is_none(),
        }
    }

    fn run(code: Option<i32>, stderr: &str) -> Result<Vec<Note>, MountError> {
        let fqrn = Fqrn::parse("cms.cern.ch").unwrap();
        classify(
            &fqrn,
            Path::new("/sbin/mount.cvmfs"),
            Duration::from_secs(1),
            &output(code, stderr),
        )
    }

    #[test]
    fn exit_codes_decide_and_messages_refine() {
        assert!(run(Some(0), "").unwrap().is_empty());
        assert!(
            matches!(run(Some(1), "CVMFS_HTTP_PROXY required"), Err(MountError::HelperCheckFailed { message, .. }) if message == "CVMFS_HTTP_PROXY required")
        );
        assert!(matches!(
            run(
                Some(32),
                "Failed to initialize root file catalog (16 - file catalog failure)"
            ),
            Err(MountError::ClientFailed { code: Some(16), .. })
        ));
        // A relayed line cut to its first letter still fails by the exit code.
        assert!(matches!(
            run(Some(32), "F"),
            Err(MountError::ClientFailed { code: None, .. })
        ));
        assert!(
            matches!(run(Some(1), "Repository cms.cern.ch is already mounted on /cvmfs/cms.cern.ch"), Ok(notes) if notes.len() == 1)
        );
        assert!(matches!(
            run(None, ""),
            Err(MountError::HelperTimedOut { .. })
        ));
        assert!(matches!(
            run(Some(7), "x"),
            Err(MountError::HelperUnexpected { .. })
        ));
        let message = run(
            Some(32),
            "Failed to grab mountpoint /cvmfs/cms.cern.ch (30)",
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("exit 32"), "{message}");
    }

    /// What the classification must make of each upstream result.
    #[derive(Debug, PartialEq)]
    enum Verdict {
        Mounted,
        AlreadyMounted,
        Check,
        Client(Option<u8>),
        TimedOut,
        Unexpected,
    }

    fn verdict(result: Result<Vec<Note>, MountError>) -> Verdict {
        match result {
            Ok(notes) if notes.is_empty() => Verdict::Mounted,
            Ok(_) => Verdict::AlreadyMounted,
            Err(MountError::HelperCheckFailed { .. }) => Verdict::Check,
            Err(MountError::ClientFailed { code, .. }) => Verdict::Client(code),
            Err(MountError::HelperTimedOut { .. }) => Verdict::TimedOut,
            Err(_) => Verdict::Unexpected,
        }
    }

    /// The upstream helper's exit codes and messages (`src/bin/mount-helper-facts.md`),
    /// fed to the product's classification, not to the stand-in.
    #[test]
    fn upstream_results_are_classified_by_exit_code_and_refined_by_message() {
        let table: &[(Option<i32>, &str, Verdict)] = &[
            (Some(0), "", Verdict::Mounted),
            (Some(1), "Invalid repository: a@b", Verdict::Check),
            (Some(1), "CVMFS_USER required", Verdict::Check),
            (Some(1), "Fuse not loaded", Verdict::Check),
            (
                Some(1),
                "Not allowed to mount cms.cern.ch, add it to CVMFS_REPOSITORIES",
                Verdict::Check,
            ),
            (Some(1), "CVMFS_HTTP_PROXY required", Verdict::Check),
            (
                Some(1),
                "Failed to find user cvmfs in passwd database",
                Verdict::Check,
            ),
            (
                Some(1),
                "Failed to locate the cvmfs2 binary",
                Verdict::Check,
            ),
            (
                Some(1),
                "Repository cms.cern.ch is not mounted",
                Verdict::Check,
            ),
            (
                Some(1),
                "Repository cms.cern.ch is already mounted on /cvmfs/cms.cern.ch",
                Verdict::AlreadyMounted,
            ),
            (
                Some(32),
                "Failed to initialize root file catalog (16 - file catalog failure)",
                Verdict::Client(Some(16)),
            ),
            (
                Some(32),
                "Failed to initialize root file catalog (1",
                Verdict::Client(None),
            ),
            (
                Some(32),
                "Failed to initialize root file catalog (16 - file catalog failure",
                Verdict::Client(None),
            ),
            (
                Some(32),
                "revision blacklisted (25 - revision blacklisted)",
                Verdict::Client(Some(25)),
            ),
            (
                Some(32),
                "unknown (26 - not a loader code)",
                Verdict::Client(None),
            ),
            (
                Some(32),
                "Failed to grab mountpoint /cvmfs/cms.cern.ch (30)",
                Verdict::Client(None),
            ),
            (
                Some(32),
                "Failed to set maximum number of open files, insufficient permissions",
                Verdict::Client(None),
            ),
            (Some(32), "F", Verdict::Client(None)),
            (Some(32), "", Verdict::Client(None)),
            (None, "", Verdict::TimedOut),
            (Some(2), "usage", Verdict::Unexpected),
            (Some(127), "mount.cvmfs: not found", Verdict::Unexpected),
        ];
        for (code, stderr, expected) in table {
            assert_eq!(
                &verdict(run(*code, stderr)),
                expected,
                "exit {code:?}, {stderr:?}"
            );
        }
    }

    #[test]
    fn requirements_name_the_real_clients_failures() {
        let facts = HostFacts {
            nofile_hard: Some(1024),
            ..HostFacts::default()
        };
        let needs = helper_requirements(&HelperSettings::default(), &facts, None);
        let text: Vec<&str> = needs.iter().map(|r| r.problem.as_str()).collect();
        assert_eq!(needs.len(), 6, "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.contains("Failed to create socket directory"))
        );
        assert!(text.iter().any(|t| t.contains("Fuse not loaded")));
        assert!(text.iter().any(|t| t.contains("CVMFS_NFILES=131072")));
        assert!(text.iter().any(|t| t.contains("CVMFS_HTTP_PROXY")));
        assert!(needs.iter().all(|r| !r.fix.is_empty()));
    }
}
