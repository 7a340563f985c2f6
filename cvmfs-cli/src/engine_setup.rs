//! Wiring the mount engine for the command line: real system calls, the backend the plan
//! needs, and snapshot servers started as `cvmfs-cli serve` children.

use std::path::PathBuf;
use std::time::Duration;

use cvmfs_core::MountPlan;
use cvmfs_core::config::ClientProfile;
use cvmfs_mount::backend::{BackendSettings, HelperSettings, NativeSettings, SnapshotSettings};
use cvmfs_mount::{Engine, EngineOptions};

use crate::args::EngineArgs;

/// The program to start snapshot servers with: this executable's `serve` subcommand.
pub fn snapshot_settings() -> SnapshotSettings {
    let program = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cvmfs-cli"));
    let mut settings = SnapshotSettings::new(program);
    settings.prefix_args = vec!["serve".into()];
    settings
}

/// The program to start native servers with: this executable's hidden `native-server`
/// subcommand, configured from the command line (paths made absolute).
pub fn native_settings(args: &EngineArgs) -> NativeSettings {
    let program = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cvmfs-cli"));
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    let mut settings = NativeSettings::new(program);
    settings.prefix_args = vec!["native-server".into()];
    settings.config_dir = absolute(&args.config_dir);
    settings.cache_dir = args.cache_dir.as_ref().map(absolute);
    settings.server_url.clone_from(&args.server_url);
    settings.http_proxy.clone_from(&args.http_proxy);
    settings.keys = args.keys.iter().map(absolute).collect();
    settings
}

/// An engine for `plan` configured from the command line.
pub fn engine(plan: &MountPlan, args: &EngineArgs) -> Engine {
    let settings = BackendSettings {
        helper: HelperSettings {
            program: args.helper.clone(),
            client_binary: args.client_binary.clone(),
            timeout: Duration::from_secs(args.helper_timeout),
            config_dir: args.config_dir.clone(),
            write_default_local: args.write_default_local.then(ClientProfile::cms),
        },
        snapshot: {
            let mut snapshot = snapshot_settings();
            if args.snapshot_mount_delay_ms > 0 {
                snapshot.extra_args = vec![
                    "--mount-delay-ms".into(),
                    args.snapshot_mount_delay_ms.to_string().into(),
                ];
                snapshot.ready_timeout += Duration::from_millis(args.snapshot_mount_delay_ms);
            }
            snapshot
        },
        native: native_settings(args),
        host_bind_accepts_stand_in: args.host_bind_accepts_stand_in,
    };
    let options = EngineOptions {
        probe_timeout: Duration::from_millis(args.probe_timeout_ms),
        verify_wait: Duration::from_millis(args.verify_wait_ms),
        repair_attempts: args.repair_attempts,
        backoff: Duration::from_millis(100),
        allow_non_empty: args.allow_non_empty,
        config_repo_required: args.config_repo_required,
        remount_degraded: args.remount_degraded,
    };
    Engine::for_host(plan, &settings, options)
}
