//! The `cvmfs2-helper` backend against the test mount helper, which reproduces the real
//! helper's behaviour and mounts through the snapshot server.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cvmfs_core::plan::MountSource;
use cvmfs_core::{Backend, Fqrn};
use cvmfs_mount::backend::{HelperBackend, MountBackend, Note};
use cvmfs_mount::sys::LinuxOps;
use cvmfs_mount::{MountError, Outcome, Status};

use crate::TestResult;
use crate::sandbox::{HELPER, SERVER, Sandbox};

/// Writes a configuration directory and a `mount.cvmfs` wrapper that points the test
/// helper at it; returns the wrapper.
pub fn helper_with(sandbox: &Sandbox, name: &str, extra: &str) -> PathBuf {
    let dir = sandbox.path(&format!("etc-{name}"));
    fs::create_dir_all(&dir).unwrap();
    let snap = sandbox.path("snap");
    fs::write(
        dir.join("default.local"),
        format!(
            "CVMFS_HTTP_PROXY=DIRECT\nCVMFS_USER=root\nCVMFS_NFILES=4096\nCVMFS_TEST_SNAPSHOT_DIR={}\nCVMFS_TEST_SERVER={SERVER}\n{extra}",
            snap.display()
        ),
    )
    .unwrap();
    let wrapper = sandbox.path(&format!("bin-{name}/mount.cvmfs"));
    fs::create_dir_all(wrapper.parent().unwrap()).unwrap();
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nCVMFS_TEST_CONFIG_DIR='{}' exec '{HELPER}' \"$@\"\n",
            dir.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

fn backend(sandbox: &Sandbox, wrapper: &Path) -> HelperBackend {
    HelperBackend {
        settings: sandbox.settings(Some(wrapper)).helper,
    }
}

fn mount_one(backend: &HelperBackend, name: &str, target: &Path) -> Result<Vec<Note>, MountError> {
    fs::create_dir_all(target).unwrap();
    let source = MountSource::Cvmfs2Helper {
        fqrn: Fqrn::parse(name).unwrap(),
    };
    backend.mount(&LinuxOps, &source, target)
}

pub fn mounts_config_repository_first() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cvmfs-config.cern.ch", "cms.cern.ch", "sft.cern.ch"]);
    let wrapper = helper_with(&sandbox, "ok", "");
    let plan = sandbox.plan("cms sft", Backend::Cvmfs2Helper, "cvmfs");
    let engine = sandbox.engine(&plan, &sandbox.settings(Some(&wrapper)));
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    assert_eq!(
        report.entries[0].target,
        sandbox.path("cvmfs/cvmfs-config.cern.ch")
    );
    let seen = sandbox.seen(&sandbox.path("cvmfs/sft.cern.ch")).unwrap();
    assert_eq!(
        (seen.fs_type.as_str(), seen.source.as_str()),
        ("fuse", "cvmfs2")
    );
    // "Already mounted" on a healthy mount is success: mounting again is a no-op.
    let again = engine.mount(&plan);
    assert!(
        again
            .entries
            .iter()
            .all(|e| e.outcome == Outcome::AlreadyMounted),
        "{again:#?}"
    );
    assert_eq!(engine.unmount(&plan).status(), Status::Complete);

    // The backend can write the client's default.local for the plan first.
    let mut settings = sandbox.settings(Some(&wrapper));
    settings.helper.write_default_local = Some(cvmfs_core::config::ClientProfile::cms());
    settings.helper.config_dir = sandbox.path("etc-written");
    let writer = sandbox.engine(&plan, &settings);
    let report = writer.mount(&plan);
    assert_eq!(report.status(), Status::Complete, "{report:#?}");
    let written = fs::read_to_string(sandbox.path("etc-written/default.local"))?;
    assert!(
        written.contains("CVMFS_REPOSITORIES=cms.cern.ch,sft.cern.ch\n"),
        "{written}"
    );
    assert!(written.contains("CVMFS_QUOTA_LIMIT=46000\n"), "{written}");
    assert!(
        report.entries[0].actions[0].starts_with("wrote "),
        "{report:#?}"
    );
    assert_eq!(engine.unmount(&plan).status(), Status::Complete);

    // Without the configuration repository's data: a warning, and the others mount.
    fs::remove_dir_all(sandbox.path("snap/cvmfs-config.cern.ch"))?;
    let report = engine.mount(&plan);
    assert_eq!(report.status(), Status::Partial, "{report:#?}");
    assert_eq!(
        report.entries[0].error.as_ref().unwrap().kind,
        "client-failed"
    );
    assert!(
        report.entries[0]
            .warnings
            .iter()
            .any(|w| w.contains("optional"))
    );
    assert_eq!(report.entries[1].outcome, Outcome::Mounted);
    assert_eq!(report.entries[2].outcome, Outcome::Mounted);
    Ok(())
}

pub fn failure_classes() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cms.cern.ch", "sft.cern.ch"]);
    let mp = |n: &str| sandbox.path(&format!("mnt/{n}"));

    let no_proxy = backend(
        &sandbox,
        &helper_with(&sandbox, "noproxy", "CVMFS_HTTP_PROXY=\n"),
    );
    let err = mount_one(&no_proxy, "cms.cern.ch", &mp("a")).unwrap_err();
    assert!(
        matches!(&err, MountError::HelperCheckFailed { message, .. } if message == "CVMFS_HTTP_PROXY required"),
        "{err}"
    );

    let plain = backend(&sandbox, &helper_with(&sandbox, "plain", ""));
    let err = mount_one(&plain, "atlas.cern.ch", &mp("b")).unwrap_err();
    assert!(
        matches!(err, MountError::ClientFailed { code: Some(16), .. }),
        "{err}"
    );

    let cut = backend(
        &sandbox,
        &helper_with(&sandbox, "cut", "CVMFS_TEST_TRUNCATE_MESSAGES=yes\n"),
    );
    let err = mount_one(&cut, "atlas.cern.ch", &mp("c")).unwrap_err();
    assert!(
        matches!(&err, MountError::ClientFailed { code: None, message, .. } if message == "F"),
        "{err}"
    );

    let strict = backend(
        &sandbox,
        &helper_with(
            &sandbox,
            "strict",
            "CVMFS_STRICT_MOUNT=yes\nCVMFS_REPOSITORIES=sft.cern.ch\n",
        ),
    );
    let err = mount_one(&strict, "cms.cern.ch", &mp("d")).unwrap_err();
    assert!(
        err.to_string()
            .contains("Not allowed to mount cms.cern.ch, add it to CVMFS_REPOSITORIES"),
        "{err}"
    );
    // As upstream: strict mount allows the configuration repository.
    let strict_config = backend(
        &sandbox,
        &helper_with(
            &sandbox,
            "strict-config",
            "CVMFS_STRICT_MOUNT=yes\nCVMFS_REPOSITORIES=sft.cern.ch\n",
        ),
    );
    // The client reads CVMFS_CONFIG_REPOSITORY from default.conf and default.d only.
    fs::create_dir_all(sandbox.path("etc-strict-config/default.d"))?;
    fs::write(
        sandbox.path("etc-strict-config/default.d/50-config.conf"),
        "CVMFS_CONFIG_REPOSITORY=cms.cern.ch\n",
    )?;
    mount_one(&strict_config, "cms.cern.ch", &mp("d2"))?;
    nix::mount::umount2(&mp("d2"), nix::mount::MntFlags::MNT_DETACH)?;

    // As upstream: a missing client binary is a check failure (exit 1).
    let no_client = backend(
        &sandbox,
        &helper_with(
            &sandbox,
            "no-client",
            "CVMFS_TEST_SERVER=/nonexistent/cvmfs2\n",
        ),
    );
    let err = mount_one(&no_client, "cms.cern.ch", &mp("d3")).unwrap_err();
    assert!(
        matches!(&err, MountError::HelperCheckFailed { message, .. } if message == "Failed to locate the cvmfs2 binary"),
        "{err}"
    );

    mount_one(&plain, "cms.cern.ch", &mp("e"))?;
    let notes = mount_one(&plain, "cms.cern.ch", &mp("f"))?;
    assert!(
        matches!(&notes[0], Note::Warning(text) if text.contains("already mounted")),
        "{notes:?}"
    );
    // The engine still verifies the target: nothing is mounted at f.
    assert!(sandbox.seen(&mp("f")).is_none());

    let slow = backend(
        &sandbox,
        &helper_with(&sandbox, "slow", "CVMFS_TEST_MOUNT_DELAY_MS=3000\n"),
    );
    let mut slow = slow;
    slow.settings.timeout = Duration::from_millis(500);
    let err = mount_one(&slow, "sft.cern.ch", &mp("g")).unwrap_err();
    assert!(matches!(err, MountError::HelperTimedOut { .. }), "{err}");
    Ok(())
}

fn run(wrapper: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(wrapper).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn program_messages_and_exit_codes() -> TestResult {
    let sandbox = Sandbox::new();
    sandbox.snapshots(&["cms.cern.ch"]);
    let wrapper = helper_with(&sandbox, "cli", "");
    let mp = sandbox.path("cvmfs/cms.cern.ch");
    let mp_text = mp.to_str().unwrap();

    let (code, _, stderr) = run(&wrapper, &["cms.cern.ch", mp_text, "-z"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("invalid option -- 'z'"), "{stderr}");

    let (code, _, stderr) = run(&wrapper, &["a@b", mp_text]);
    assert_eq!((code, stderr.trim()), (Some(1), "Invalid repository: a@b"));

    let (code, stdout, _) = run(&wrapper, &["/some/path/cms", "/does/not/exist", "-f"]);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("/usr/bin/cvmfs2 -o system_mount,fsname=cvmfs2,allow_other,grab_mountpoint,uid=0,gid=0 cms.cern.ch /does/not/exist"), "{stdout}");

    let (code, _, stderr) = run(&wrapper, &["cms.cern.ch", mp_text]);
    assert_eq!(
        (code, stderr.trim()),
        (
            Some(32),
            format!("Mount point {mp_text} does not exist").as_str()
        )
    );

    fs::create_dir_all(&mp)?;
    let (code, stdout, _) = run(&wrapper, &["cms.cern.ch", mp_text]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        format!("CernVM-FS: loading Fuse module... done\nCernVM-FS: mounted cvmfs on {mp_text}\n")
    );

    let (code, _, stderr) = run(&wrapper, &["cms", mp_text]);
    assert_eq!(
        (code, stderr.trim()),
        (
            Some(1),
            format!("Repository cms.cern.ch is already mounted on {mp_text}").as_str()
        )
    );
    let (code, _, _) = run(&wrapper, &["cms", mp_text, "-o", "remount"]);
    assert_eq!(code, Some(0));
    // As upstream: a remount of a repository that is not mounted is refused (exit 1).
    let other = sandbox.path("cvmfs/sft.cern.ch");
    fs::create_dir_all(&other)?;
    let (code, _, stderr) = run(&wrapper, &["sft", other.to_str().unwrap(), "-o", "remount"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(sandbox.seen(&other).is_none());

    // Kill the server: the mountpoint is dead, and the helper cannot grab it.
    let pid = server_pid(&mp);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )?;
    crate::sandbox::wait_until("the mount is dead", Duration::from_secs(5), || {
        crate::sandbox::is_dead(&mp)
    });
    let (code, _, stderr) = run(&wrapper, &["cms.cern.ch", mp_text]);
    assert_eq!(
        (code, stderr.trim()),
        (
            Some(32),
            format!("Failed to grab mountpoint {mp_text} (30)").as_str()
        )
    );
    // After an unmount, a new mount succeeds.
    nix::mount::umount2(&mp, nix::mount::MntFlags::MNT_DETACH)?;
    let (code, _, _) = run(&wrapper, &["cms.cern.ch", mp_text]);
    assert_eq!(code, Some(0));
    Ok(())
}

pub fn server_pid(mp: &Path) -> i32 {
    use cvmfs_mount::sys::MountOps;
    let pid = LinuxOps.getxattr(mp, "user.pid").unwrap();
    String::from_utf8(pid).unwrap().parse().unwrap()
}
