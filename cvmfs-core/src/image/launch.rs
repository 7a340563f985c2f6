//! The command that runs an image straight from its unpacked root filesystem:
//!
//! - Podman: `podman run --rm -e NAME=VALUE... --rootfs <canonical .flat path>:O CMD`.
//!   The canonical path, because runc refuses a symlinked root filesystem; `:O`, because
//!   the tree is read-only and Podman must write `/etc/hostname` and `/run/.containerenv`
//!   (the overlay's upper directory lives in container storage and is discarded at exit);
//!   `-e`, because `--rootfs` applies no image configuration.
//! - Apptainer and Singularity: `apptainer exec -B <mount root> <public path> CMD`. They
//!   resolve the public symlink themselves and run the directory as a sandbox image; the
//!   bind makes the other repositories visible (the flat has no `/cvmfs`).
//! - Docker has no way to run a directory: its route for unpacked images, the
//!   `cvmfs/graphdriver` thin-image plugin, went with graph-driver plugins in Docker 28.
//!   It gets an error that names the alternatives.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::environment::EnvVariable;
use super::layout::public_path;
use super::spec::ImageSpec;

/// A runtime that might run an unpacked image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageRuntime {
    /// `podman run --rootfs PATH:O`.
    Podman,
    /// `apptainer exec PATH`.
    Apptainer,
    /// `singularity exec PATH` (SingularityCE, same form).
    Singularity,
    /// Refused, with the alternatives.
    Docker,
}

impl ImageRuntime {
    /// The names accepted, in the order help lists them.
    pub const NAMES: [&'static str; 4] = ["podman", "apptainer", "singularity", "docker"];
}

impl fmt::Display for ImageRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Podman => "podman",
            Self::Apptainer => "apptainer",
            Self::Singularity => "singularity",
            Self::Docker => "docker",
        })
    }
}

impl std::str::FromStr for ImageRuntime {
    type Err = LaunchError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "podman" => Ok(Self::Podman),
            "apptainer" => Ok(Self::Apptainer),
            "singularity" => Ok(Self::Singularity),
            "docker" => Ok(Self::Docker),
            other => Err(LaunchError::UnknownRuntime {
                name: other.to_owned(),
            }),
        }
    }
}

/// An image to launch, as resolution found it.
#[derive(Debug, Clone, Copy)]
pub struct LaunchRequest<'a> {
    /// The runtime.
    pub runtime: ImageRuntime,
    /// The image's public path (`/cvmfs/unpacked.cern.ch/<registry>/<repository>:<tag>`).
    pub public_path: &'a Path,
    /// Where the public path leads (`.../.flat/xx/<config digest>`); Podman needs it.
    pub canonical_path: Option<&'a Path>,
    /// The directory holding the repositories (`/cvmfs`), bound for Apptainer.
    pub mount_root: &'a Path,
    /// The image's environment (Podman).
    pub environment: &'a [EnvVariable],
    /// The image as a registry reference (`registry.hub.docker.com/library/centos:7`),
    /// for Docker's alternative.
    pub registry_reference: &'a str,
    /// Extra runtime options, placed after the verb (`run`, `exec`).
    pub runtime_args: &'a [String],
    /// The command; empty for an interactive shell.
    pub command: &'a [String],
}

/// Why no command can be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// The runtime is not one of [`ImageRuntime::NAMES`].
    #[error("{name:?} is not a runtime for unpacked images (podman, apptainer, singularity)")]
    UnknownRuntime {
        /// What was asked for.
        name: String,
    },
    /// Docker cannot run a directory root filesystem.
    #[error(
        "docker cannot run an image from its unpacked root filesystem: it has no --rootfs, and its only route for unpacked images, the cvmfs/graphdriver thin-image plugin, was removed with graph-driver plugins in Docker 28. Instead run:\n  {}",
        alternatives.join("\n  ")
    )]
    DockerCannot {
        /// Commands that work instead.
        alternatives: Vec<String>,
    },
    /// Podman needs the resolved path, and it is not known.
    #[error(
        "podman needs the canonical path of {public_path} (runc refuses a symlinked root filesystem); resolve it through the mounted repository first"
    )]
    NotResolved {
        /// The public path.
        public_path: String,
    },
    /// A path or word cannot be passed on.
    #[error("{what} {value:?} cannot be passed to {runtime}: {problem}")]
    Unpassable {
        /// What it is (`the mount root`, `an argument`).
        what: &'static str,
        /// The value.
        value: String,
        /// The runtime.
        runtime: ImageRuntime,
        /// Why.
        problem: &'static str,
    },
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// What resolution found out about an image, as launching needs it.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// Where the public path leads.
    pub canonical_path: &'a Path,
    /// The image's environment.
    pub environment: &'a [EnvVariable],
}

/// The argument vector that runs `spec` from the repository at `repository_root` (below
/// `mount_root`), with what resolution found (Podman needs it).
pub fn image_argv(
    runtime: ImageRuntime,
    spec: &ImageSpec,
    repository_root: &Path,
    mount_root: &Path,
    resolved: Option<Resolved<'_>>,
    runtime_args: &[String],
    command: &[String],
) -> Result<Vec<String>, LaunchError> {
    let public = public_path(repository_root, spec).unwrap_or_else(|| repository_root.to_owned());
    argv(&LaunchRequest {
        runtime,
        public_path: &public,
        canonical_path: resolved.map(|r| r.canonical_path),
        mount_root,
        environment: resolved.map_or(&[], |r| r.environment),
        registry_reference: &spec.registry_reference(),
        runtime_args,
        command,
    })
}

/// The argument vector for the request.
pub fn argv(request: &LaunchRequest<'_>) -> Result<Vec<String>, LaunchError> {
    let runtime = request.runtime;
    if let Some(word) = request
        .command
        .iter()
        .chain(request.runtime_args)
        .find(|w| w.contains('\0'))
    {
        return Err(LaunchError::Unpassable {
            what: "an argument",
            value: word.clone(),
            runtime,
            problem: "it contains a NUL byte",
        });
    }
    let shell = || vec!["/bin/sh".to_owned()];
    match runtime {
        ImageRuntime::Podman => {
            let canonical = request
                .canonical_path
                .ok_or_else(|| LaunchError::NotResolved {
                    public_path: text(request.public_path),
                })?;
            let mut a: Vec<String> = vec!["podman".into(), "run".into(), "--rm".into()];
            if request.command.is_empty() {
                a.push("-it".into());
            }
            for variable in request.environment {
                a.extend(["-e".into(), format!("{}={}", variable.name, variable.value)]);
            }
            a.extend(request.runtime_args.iter().cloned());
            a.extend(["--rootfs".into(), format!("{}:O", text(canonical))]);
            if request.command.is_empty() {
                a.extend(shell());
            } else {
                a.extend(request.command.iter().cloned());
            }
            Ok(a)
        }
        ImageRuntime::Apptainer | ImageRuntime::Singularity => {
            let root = text(request.mount_root);
            if root.contains([':', ',']) {
                return Err(LaunchError::Unpassable {
                    what: "the mount root",
                    value: root,
                    runtime,
                    problem: "a bind path cannot hold ':' or ','",
                });
            }
            let verb = if request.command.is_empty() {
                "shell"
            } else {
                "exec"
            };
            let mut a: Vec<String> = vec![runtime.to_string(), verb.into(), "-B".into(), root];
            a.extend(request.runtime_args.iter().cloned());
            a.push(text(request.public_path));
            a.extend(request.command.iter().cloned());
            Ok(a)
        }
        ImageRuntime::Docker => {
            let command = if request.command.is_empty() {
                String::new()
            } else {
                format!(
                    " {}",
                    shlex::try_join(request.command.iter().map(String::as_str)).unwrap_or_default()
                )
            };
            let quote = |p: &Path| shlex::try_quote(&text(p)).map(|q| q.into_owned());
            let public = quote(request.public_path).unwrap_or_default();
            let rootfs = match request.canonical_path {
                Some(path) => quote(path).unwrap_or_default(),
                None => format!("\"$(realpath {public})\""),
            };
            Err(LaunchError::DockerCannot {
                alternatives: vec![
                    format!("podman run --rm --rootfs {rootfs}:O{command}"),
                    format!(
                        "apptainer exec -B {} {public}{command}",
                        text(request.mount_root)
                    ),
                    format!(
                        "docker run --rm {}{command}   (from the registry, not from CVMFS)",
                        request.registry_reference
                    ),
                ],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn request<'a>(
        runtime: ImageRuntime,
        canonical: Option<&'a Path>,
        env: &'a [EnvVariable],
        command: &'a [String],
    ) -> LaunchRequest<'a> {
        LaunchRequest {
            runtime,
            public_path: Path::new(
                "/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/busybox:1.36",
            ),
            canonical_path: canonical,
            mount_root: Path::new("/cvmfs"),
            environment: env,
            registry_reference: "registry.hub.docker.com/library/busybox:1.36",
            runtime_args: &[],
            command,
        }
    }

    #[test]
    fn podman_gets_the_canonical_path_with_overlay_and_the_environment() {
        let flat = PathBuf::from("/cvmfs/unpacked.cern.ch/.flat/5e/5e35");
        let env = [EnvVariable {
            name: "GREETING".into(),
            value: "hello world".into(),
            default_only: true,
        }];
        let command = ["busybox".to_owned(), "echo".to_owned(), "hi".to_owned()];
        let a = argv(&request(ImageRuntime::Podman, Some(&flat), &env, &command)).unwrap();
        assert_eq!(
            a,
            [
                "podman",
                "run",
                "--rm",
                "-e",
                "GREETING=hello world",
                "--rootfs",
                "/cvmfs/unpacked.cern.ch/.flat/5e/5e35:O",
                "busybox",
                "echo",
                "hi"
            ]
        );
        assert!(matches!(
            argv(&request(ImageRuntime::Podman, None, &env, &command)),
            Err(LaunchError::NotResolved { .. })
        ));
        let shell = argv(&request(ImageRuntime::Podman, Some(&flat), &[], &[])).unwrap();
        assert_eq!(shell[3], "-it");
        assert_eq!(shell.last().unwrap(), "/bin/sh");
    }

    #[test]
    fn apptainer_and_singularity_get_the_public_path_and_the_root_bound() {
        let command = ["cat".to_owned(), "/etc/os-release".to_owned()];
        for runtime in [ImageRuntime::Apptainer, ImageRuntime::Singularity] {
            let a = argv(&request(runtime, None, &[], &command)).unwrap();
            assert_eq!(
                a,
                [
                    runtime.to_string().as_str(),
                    "exec",
                    "-B",
                    "/cvmfs",
                    "/cvmfs/unpacked.cern.ch/registry.hub.docker.com/library/busybox:1.36",
                    "cat",
                    "/etc/os-release"
                ]
            );
        }
        let shell = argv(&request(ImageRuntime::Apptainer, None, &[], &[])).unwrap();
        assert_eq!(shell[1], "shell");
        let mut odd = request(ImageRuntime::Apptainer, None, &[], &command);
        odd.mount_root = Path::new("/a:b");
        assert!(matches!(argv(&odd), Err(LaunchError::Unpassable { .. })));
    }

    #[test]
    fn docker_is_refused_with_working_alternatives() {
        let flat = PathBuf::from("/cvmfs/unpacked.cern.ch/.flat/5e/5e35");
        let command = ["echo".to_owned(), "a b".to_owned()];
        let err = argv(&request(ImageRuntime::Docker, Some(&flat), &[], &command)).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("Docker 28"), "{message}");
        assert!(
            message.contains(
                "podman run --rm --rootfs /cvmfs/unpacked.cern.ch/.flat/5e/5e35:O echo 'a b'"
            ),
            "{message}"
        );
        assert!(message.contains("apptainer exec -B /cvmfs"), "{message}");
        assert_eq!("docker".parse::<ImageRuntime>(), Ok(ImageRuntime::Docker));
        assert!("rkt".parse::<ImageRuntime>().is_err());
    }
}
