//! `doctor`: what this host can do, and the backend to use.

use std::io::Write;

use cvmfs_mount::doctor::{HostReport, default_backend, recommend};
use cvmfs_mount::sys::LinuxOps;

use crate::args::DoctorArgs;
use crate::error::CliError;
use crate::exit_code;

fn yes(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// Runs `doctor`; exits 0 when at least one backend will work.
pub fn run(args: &DoctorArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut host = HostReport::gather(&LinuxOps, &args.root);
    let ops: std::sync::Arc<dyn cvmfs_mount::sys::MountOps> = std::sync::Arc::new(LinuxOps);
    host.identify_servers(
        &ops,
        std::time::Duration::from_millis(args.probe_timeout_ms),
    );
    let ranked = recommend(&host);
    let default = default_backend(&host);
    let code = if ranked.iter().any(|r| r.works) {
        exit_code::SUCCESS
    } else {
        exit_code::TOTAL
    };
    if args.json {
        let value = serde_json::json!({
            "host": host,
            "recommendations": ranked,
            "default_backend": default,
        });
        crate::commands::emit_json(out, &value)?;
        return Ok(code);
    }
    let mut text = String::from("Host:\n");
    let rows = [
        ("running as root", yes(host.facts.is_root).to_owned()),
        ("CAP_SYS_ADMIN", yes(host.facts.cap_sys_admin).to_owned()),
        (
            "/dev/fuse",
            if host.facts.dev_fuse_usable {
                "usable"
            } else if host.facts.dev_fuse.is_some() {
                "present but not usable"
            } else {
                "missing"
            }
            .to_owned(),
        ),
        (
            "user namespaces",
            yes(host.facts.user_namespaces).to_owned(),
        ),
        ("fusermount3", yes(host.facts.fusermount3).to_owned()),
        (
            "CVMFS client installed",
            yes(host.helper_installed && host.client_installed).to_owned(),
        ),
        (
            "inside a container",
            host.facts
                .container
                .clone()
                .unwrap_or_else(|| "no".to_owned()),
        ),
        (
            "SELinux",
            host.facts
                .selinux
                .clone()
                .unwrap_or_else(|| "off".to_owned()),
        ),
        (
            "AppArmor",
            host.facts
                .apparmor
                .clone()
                .unwrap_or_else(|| "off".to_owned()),
        ),
    ];
    for (name, value) in rows {
        text.push_str(&format!("  {name:<24} {value}\n"));
    }
    text.push_str(&format!(
        "  {:<24} {}\n",
        args.root.display(),
        match (&host.root_mount, host.root_exists) {
            (Some(m), _) => format!(
                "{} mount ({}), {} below",
                m.fs_type,
                m.propagation,
                host.repositories.len()
            ),
            (None, true) => format!("directory, {} mounts below", host.repositories.len()),
            (None, false) => "does not exist".to_owned(),
        }
    ));
    for repo in &host.repositories {
        text.push_str(&format!(
            "    {} ({} from {}, {}){}\n",
            repo.path.display(),
            repo.fs_type,
            repo.source,
            repo.propagation,
            if repo.is_stand_in() {
                ": the snapshot stand-in, not the CVMFS client"
            } else {
                ""
            }
        ));
    }
    if let Some(fix) = &host.root_propagation_fix {
        text.push_str(&format!("  {fix}\n"));
    }
    for dir in &host.shared_dirs {
        text.push_str(&format!(
            "  automounter directory {}: {}\n",
            dir.path.display(),
            if dir.shared { "shared" } else { "not shared" }
        ));
    }
    text.push_str("Backends, best first:\n");
    for (rank, r) in ranked.iter().enumerate() {
        text.push_str(&format!(
            "  {}. {:<18} {}  {}\n",
            rank + 1,
            r.backend,
            if r.works { "works:" } else { "no:" },
            r.reason
        ));
    }
    if let Some(best) = ranked.iter().find(|r| r.works) {
        text.push_str(&format!("Recommended: --backend {}\n", best.backend));
    }
    text.push_str(&format!(
        "Without --backend, commands use {default} (the best backend here that needs no --source)\n"
    ));
    crate::commands::emit(out, &text)?;
    Ok(code)
}
