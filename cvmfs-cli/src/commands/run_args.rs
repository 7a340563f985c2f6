//! `run-args`: what to pass a container runtime; rendering lives in `cvmfs-core`.

use std::io::Write;
use std::path::PathBuf;

use cvmfs_core::runtime_args::{Provision, Rendered, RunRequest, Runtime, render};

use std::time::Duration;

use cvmfs_core::BackendKind;
use cvmfs_core::image::launch::{ImageRuntime, Resolved, image_argv};
use cvmfs_core::image::spec::parse_for_lookup;
use cvmfs_mount::doctor::{rshared_source_fix, rslave_source_fix};
use cvmfs_mount::image::resolve;
use cvmfs_mount::sys::LinuxOps;

use crate::args::RunArgsArgs;
use crate::error::{CliError, InputProblem};
use crate::exit_code;

/// Runs `run-args`.
pub fn run(args: &RunArgsArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let rendered = rendered(args)?;
    let text = if args.json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&rendered).unwrap_or_default()
        )
    } else {
        match &rendered {
            Rendered::Argv(_) => format!("{}\n", rendered.to_shell_line()),
            Rendered::Manifest(text) => text.clone(),
        }
    };
    crate::commands::emit(out, &text)?;
    Ok(exit_code::SUCCESS)
}

/// Whether the image names an image DUCC publishes unpacked (`https://REGISTRY/...`),
/// not a registry reference (which never holds `://`).
fn is_image_spec(image: &str) -> bool {
    image.contains("://")
}

/// The unpacked form of `run-args` for an image specification: the runtime started on
/// the image's path in the repository under `--root`.
fn unpacked(args: &RunArgsArgs, runtime: Runtime) -> Result<Rendered, CliError> {
    let problem = |message: String| CliError::InvalidInput {
        problems: vec![InputProblem::Option {
            option: "--image",
            message,
        }],
    };
    let image_runtime = match runtime {
        Runtime::Podman => ImageRuntime::Podman,
        Runtime::Apptainer => ImageRuntime::Apptainer,
        Runtime::Singularity => ImageRuntime::Singularity,
        Runtime::Docker => ImageRuntime::Docker,
        other => {
            return Err(problem(format!(
                "{}: {other} cannot run an image from its unpacked root filesystem (podman, apptainer and singularity can); give a registry image instead",
                args.image
            )));
        }
    };
    let (spec, _) = parse_for_lookup(&args.image).map_err(|errors| CliError::InvalidInput {
        problems: errors
            .into_iter()
            .map(|e| InputProblem::Option {
                option: "--image",
                message: format!("{}: {}", args.image, e.message),
            })
            .collect(),
    })?;
    if spec.is_wildcard() || spec.reference().is_none() {
        return Err(problem(format!(
            "{}: name one image, with a tag or digest and no wildcard",
            args.image
        )));
    }
    let root = args.root.join(&args.image_repository);
    // Podman needs the path the public link leads to: resolved through the repository
    // as it is mounted here, never guessed.
    let resolved = if image_runtime == ImageRuntime::Podman {
        let found = resolve(&root, &spec, Duration::from_secs(30))
            .map_err(|e| problem(format!("{e} (podman needs the resolved path)")))?;
        found.images.into_iter().next()
    } else {
        None
    };
    image_argv(
        image_runtime,
        &spec,
        &root,
        &args.root,
        resolved.as_ref().map(|i| Resolved {
            canonical_path: &i.canonical_path,
            environment: &i.environment.variables,
        }),
        &[],
        &args.command,
    )
    .map(Rendered::Argv)
    .map_err(|source| CliError::ImageLaunch { source })
}

/// What `run-args` prints, validated: the argument vector or the manifest.
pub fn rendered(args: &RunArgsArgs) -> Result<Rendered, CliError> {
    if is_image_spec(&args.image)
        && let Ok(runtime) = args.runtime.parse::<Runtime>()
    {
        return unpacked(args, runtime);
    }
    let mut problems: Vec<InputProblem> = Vec::new();
    let runtime = args
        .runtime
        .parse::<Runtime>()
        .map_err(|e| problems.push(e.into()))
        .ok();
    let selection =
        crate::plan_input::selection(args.mounts.as_deref(), &args.catalog, &mut problems);
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    let gitconfig = if args.gitconfig {
        // Resolve a symlinked ~/.gitconfig to the file itself (the anchor bound the link).
        match std::fs::canonicalize(home.join(".gitconfig")) {
            Ok(file) => Some(file),
            Err(err) => {
                problems.push(InputProblem::Option {
                    option: "--gitconfig",
                    message: format!("{}/.gitconfig cannot be read: {err}", home.display()),
                });
                None
            }
        }
    } else {
        None
    };
    let display = match (&args.display, args.x11) {
        (Some(display), _) => Some(display.clone()),
        (None, true) => std::env::var("DISPLAY").ok(),
        (None, false) => None,
    };
    // Sources the engine would bind: a missing one is created empty and owned by root
    // by Docker, and an rslave bind from a private mount is refused.
    let mut binds: Vec<(&'static str, PathBuf, bool)> = Vec::new();
    match args.backend {
        BackendKind::HostBind => {
            binds.push(("--source", args.source.clone(), !args.per_repository))
        }
        BackendKind::AutomounterSlave => {
            binds.push(("--shared-dir", args.shared_dir.clone(), true))
        }
        BackendKind::Cvmfs2Helper | BackendKind::Native | BackendKind::Snapshot => {}
    }
    if args.automounter
        && let Some(parent) = args.shared_dir.parent()
    {
        binds.push(("--shared-dir", parent.to_owned(), false));
    }
    if let Some(local) = &args.local {
        binds.push(("--local", local.clone(), false));
    }
    let engine = args.runtime == "docker" || args.runtime == "podman";
    if args.automounter {
        if !engine {
            problems.push(InputProblem::Option {
                option: "--automounter",
                message: format!("is for docker and podman, not {}", args.runtime),
            });
        } else if !args.skip_propagation_check
            && let Some(parent) = args.shared_dir.parent()
            && parent.is_dir()
            && let Some(fix) = rshared_source_fix(&LinuxOps, parent)
        {
            problems.push(InputProblem::Option {
                option: "--shared-dir",
                message: fix.to_string(),
            });
        }
    }
    // Docker alone creates a missing source (podman and apptainer refuse one).
    let creates_missing = args.runtime == "docker";
    if args.x11 && creates_missing && !home.join(".Xauthority").is_file() {
        binds.push(("--x11", home.join(".Xauthority"), false));
    }
    for (option, dir, rslave) in binds {
        let exists = if option == "--x11" {
            dir.is_file()
        } else {
            dir.is_dir()
        };
        if creates_missing && !exists {
            problems.push(InputProblem::Option {
                option,
                message: format!(
                    "{} does not exist here (Docker would create it as an empty directory owned by root)",
                    dir.display()
                ),
            });
        } else if rslave
            && engine
            && !args.skip_propagation_check
            && let Some(fix) = rslave_source_fix(&LinuxOps, &dir)
        {
            problems.push(InputProblem::Option {
                option,
                message: fix.to_string(),
            });
        }
    }
    // The GitLab pattern's automounter binds the shared directory's parent rshared.
    if (args.automounter
        || (args.runtime == "gitlab-ci" && args.backend == BackendKind::AutomounterSlave))
        && args
            .shared_dir
            .parent()
            .is_none_or(|p| p == std::path::Path::new("/"))
    {
        problems.push(InputProblem::Option {
            option: "--shared-dir",
            message: format!(
                "the automounter binds the parent of {} with rshared propagation, and that is the host's root: use a directory two levels down, such as /cvmfsmounts/cvmfs",
                args.shared_dir.display()
            ),
        });
    }
    if args.x11 && display.is_none() {
        problems.push(InputProblem::Option {
            option: "--x11",
            message: "DISPLAY is not set: pass --display or set DISPLAY".to_owned(),
        });
    }
    // Root's own ids would make the container user root-equivalent, and the overflow
    // id 65534 ("nobody") is refused by the entrypoint: without --my-uid, such callers
    // keep the image's ids.
    let (uid, gid) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let ids = match (args.my_uid, args.my_gid) {
        (Some(my_uid), my_gid) => Some((my_uid, my_gid.unwrap_or(gid))),
        (None, Some(_)) if uid == 0 || uid == 65534 => {
            problems.push(InputProblem::Option {
                option: "--my-gid",
                message: "needs --my-uid when run as root or as nobody (65534)".to_owned(),
            });
            None
        }
        (None, my_gid) => (uid != 0 && uid != 65534).then(|| (uid, my_gid.unwrap_or(gid))),
    };
    let (Some(runtime), Some(selection)) = (runtime, selection) else {
        return Err(CliError::InvalidInput { problems });
    };
    if !problems.is_empty() {
        return Err(CliError::InvalidInput { problems });
    }
    let provision = if args.automounter {
        Provision::Publisher {
            host_dir: args.shared_dir.clone(),
        }
    } else {
        match args.backend {
            BackendKind::Cvmfs2Helper | BackendKind::Native | BackendKind::Snapshot => {
                Provision::InContainer
            }
            BackendKind::HostBind if args.per_repository => Provision::HostPerRepository {
                host_root: args.source.clone(),
                repositories: selection.repositories().to_vec(),
            },
            BackendKind::HostBind => Provision::HostRoot {
                host_root: args.source.clone(),
            },
            BackendKind::AutomounterSlave => Provision::Automounter {
                host_dir: args.shared_dir.clone(),
            },
        }
    };
    let image = match &args.registry {
        Some(registry) => format!("{}/{}", registry.trim_end_matches('/'), args.image),
        None => args.image.clone(),
    };
    let request = RunRequest {
        runtime,
        provision,
        mounts: selection.names().join(" "),
        image,
        name: args.name.clone(),
        extra_bind: args.local.clone().map(|local| (local, args.remote.clone())),
        ssh_agent_socket: args
            .ssh
            .then(|| std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from))
            .flatten(),
        ssh: args.ssh,
        gitconfig,
        vnc: args.vnc,
        port: args.port,
        display,
        x11: args.x11,
        globus: home.join(".globus").is_dir(),
        ids,
        home: home.clone(),
        user: args.user.clone(),
        root: args.root.clone(),
        command: args.command.clone(),
        network: args.network.clone(),
    };
    render(&request).map_err(|e| CliError::InvalidInput {
        problems: vec![e.into()],
    })
}
