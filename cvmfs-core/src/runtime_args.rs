//! Container-runtime arguments for a chosen way of providing repositories: an argument
//! vector for docker, podman, apptainer and singularity, or a manifest for Kubernetes and
//! GitLab CI. Values are never spliced into shell text: an argument vector is rendered as
//! one POSIX-quoted line only on request, and manifests quote every scalar.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::choice::InvalidChoice;
use crate::fqrn::Fqrn;

/// The anchor's image.
pub const DEFAULT_IMAGE: &str = "aperloff/cms-cvmfs-docker:latest";

/// A container runtime or orchestrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    /// `docker run`.
    Docker,
    /// `podman run`.
    Podman,
    /// `apptainer exec`.
    Apptainer,
    /// `singularity exec`.
    Singularity,
    /// A Kubernetes manifest using the cvmfs-csi driver.
    Kubernetes,
    /// A GitLab CI job for the automounter pattern.
    GitlabCi,
}

impl FromStr for Runtime {
    type Err = InvalidChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "docker" => Self::Docker,
            "podman" => Self::Podman,
            "apptainer" => Self::Apptainer,
            "singularity" => Self::Singularity,
            "kubernetes" | "k8s" => Self::Kubernetes,
            "gitlab-ci" => Self::GitlabCi,
            _ => {
                return Err(InvalidChoice {
                    what: "runtime",
                    input: s.to_owned(),
                    expected: "docker, podman, apptainer, singularity, kubernetes or gitlab-ci",
                });
            }
        })
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Docker => "docker",
            Self::Podman => "podman",
            Self::Apptainer => "apptainer",
            Self::Singularity => "singularity",
            Self::Kubernetes => "kubernetes",
            Self::GitlabCi => "gitlab-ci",
        })
    }
}

/// How the container gets its repositories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Provision {
    /// The container mounts them itself (`--device /dev/fuse --cap-add SYS_ADMIN`).
    InContainer,
    /// The host's whole `/cvmfs`, recursively and rslave.
    HostRoot {
        /// The host directory.
        host_root: PathBuf,
    },
    /// One read-only bind per repository (podman needs `:ro`).
    HostPerRepository {
        /// The host directory.
        host_root: PathBuf,
        /// The repositories.
        repositories: Vec<Fqrn>,
    },
    /// An automounter's shared directory, rslave.
    Automounter {
        /// The host directory the automounter shares (`/shared-mounts/cvmfs`).
        host_dir: PathBuf,
    },
    /// The automounter itself: it mounts inside its container, below an rshared bind of
    /// `host_dir`'s parent, so the host (and every consumer) sees the repositories in
    /// `host_dir`; it repairs them while it runs and unmounts them when stopped.
    Publisher {
        /// The host directory to publish in (`/shared-mounts/cvmfs`).
        host_dir: PathBuf,
    },
}

/// What a container that mounts with FUSE needs from Docker and podman: the device and
/// CAP_SYS_ADMIN (never `--privileged`), and no AppArmor profile that forbids mount(2).
const FUSE_MOUNT_ARGS: [&str; 6] = [
    "--device",
    "/dev/fuse",
    "--cap-add",
    "SYS_ADMIN",
    "--security-opt",
    "apparmor=unconfined",
];

/// Where the publisher's bind of the shared directory's parent appears inside it.
pub const PUBLISHER_MOUNT_PARENT: &str = "/cvmfsmounts";

/// Everything a run needs; the anchor's host-helper options included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRequest {
    /// The runtime.
    pub runtime: Runtime,
    /// How repositories arrive.
    pub provision: Provision,
    /// The `CVMFS_MOUNTS` value for in-container mounting.
    pub mounts: String,
    /// The image.
    pub image: String,
    /// A persistent container name instead of `--rm` (`-n`).
    pub name: Option<String>,
    /// An extra bind `local:remote` (`-l`/`-r`).
    pub extra_bind: Option<(PathBuf, PathBuf)>,
    /// Mount `~/.ssh` and forward the agent socket (`-s`).
    pub ssh_agent_socket: Option<PathBuf>,
    /// Mount `~/.ssh` (`-s`).
    pub ssh: bool,
    /// Mount `~/.gitconfig` (`-g`); the caller passes the resolved file.
    pub gitconfig: Option<PathBuf>,
    /// Publish VNC (5901) and noVNC (6080) on 127.0.0.1 (`-v`).
    pub vnc: bool,
    /// Publish one more port on 127.0.0.1 (`-p`).
    pub port: Option<u16>,
    /// `DISPLAY` (`-D`).
    pub display: Option<String>,
    /// The Linux X11 recipe: XAUTHORITY and the X11 socket directory.
    pub x11: bool,
    /// The caller's uid and gid, for `MY_UID`/`MY_GID`.
    pub ids: Option<(u32, u32)>,
    /// The caller's home directory (for ~/.globus, ~/.ssh, ...).
    pub home: PathBuf,
    /// Bind `~/.globus` (the anchor always did; podman refuses a missing source, so
    /// callers set this only when it exists).
    pub globus: bool,
    /// The container user (`cmsusr`).
    pub user: String,
    /// Where repositories appear in the container.
    pub root: PathBuf,
    /// The command to run; empty for an interactive shell.
    pub command: Vec<String>,
    /// docker/podman: `--network` (`host`, `none`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// What `render` produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum Rendered {
    /// A command as an argument vector.
    Argv(Vec<String>),
    /// A manifest (YAML).
    Manifest(String),
}

impl Rendered {
    /// The argument vector as one line for a POSIX shell: every word quoted as needed,
    /// so spaces, quotes and `$()` survive unchanged. Manifests are returned as they are.
    pub fn to_shell_line(&self) -> String {
        match self {
            Self::Argv(words) => {
                shlex::try_join(words.iter().map(String::as_str)).unwrap_or_default()
            }
            Self::Manifest(text) => text.clone(),
        }
    }
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Renders the request for its runtime.
pub fn render(request: &RunRequest) -> Result<Rendered, InvalidChoice> {
    if request
        .command
        .iter()
        .chain([&request.image, &request.mounts])
        .any(|w| w.contains('\0'))
    {
        return Err(InvalidChoice {
            what: "argument",
            input: "(contains a NUL byte)".to_owned(),
            expected: "text without NUL bytes",
        });
    }
    Ok(match request.runtime {
        Runtime::Docker | Runtime::Podman => Rendered::Argv(engine_argv(request)),
        Runtime::Apptainer | Runtime::Singularity => Rendered::Argv(apptainer_argv(request)),
        Runtime::Kubernetes => Rendered::Manifest(kubernetes(request)),
        Runtime::GitlabCi => Rendered::Manifest(gitlab_ci(request)),
    })
}

/// The binds a host-provided setup needs, as (source, target, option): the whole
/// directory rslave, or each repository read-only. Empty for in-container mounting.
fn host_binds(
    provision: &Provision,
    root: &std::path::Path,
) -> Vec<(String, String, &'static str)> {
    let root = path(root);
    match provision {
        Provision::InContainer | Provision::Publisher { .. } => Vec::new(),
        // Read-only: the container must not write into the host's tree.
        Provision::HostRoot { host_root: dir } | Provision::Automounter { host_dir: dir } => {
            vec![(path(dir), root, "ro,rslave")]
        }
        Provision::HostPerRepository {
            host_root,
            repositories,
        } => repositories
            .iter()
            .map(|fqrn| {
                (
                    format!("{}/{fqrn}", path(host_root)),
                    format!("{root}/{fqrn}"),
                    "ro",
                )
            })
            .collect(),
    }
}

/// The automounter container: detached, restarted by the engine, mounting with FUSE into
/// the rshared bind, repairing in the background (`CVMFS_WATCH`).
fn publisher_argv(r: &RunRequest, host_dir: &std::path::Path) -> Vec<String> {
    let parent = host_dir
        .parent()
        .map_or_else(|| PathBuf::from("/"), std::path::Path::to_owned);
    let inside = match host_dir.file_name() {
        Some(name) => format!("{PUBLISHER_MOUNT_PARENT}/{}", name.to_string_lossy()),
        None => PUBLISHER_MOUNT_PARENT.to_owned(),
    };
    let mut a: Vec<String> = vec![r.runtime.to_string(), "run".into(), "-d".into()];
    a.extend([
        "--name".into(),
        r.name
            .clone()
            .unwrap_or_else(|| "cvmfs-automounter".to_owned()),
        "--restart".into(),
        "unless-stopped".into(),
    ]);
    if let Some(network) = &r.network {
        a.extend(["--network".into(), network.clone()]);
    }
    a.extend(FUSE_MOUNT_ARGS.map(String::from));
    a.extend([
        "-e".into(),
        format!("CVMFS_MOUNTS={}", r.mounts),
        "-e".into(),
        format!("CVMFS_MOUNT_DIR={inside}"),
        "-e".into(),
        "CVMFS_WATCH=1".into(),
        "-v".into(),
        format!("{}:{PUBLISHER_MOUNT_PARENT}:rshared", path(&parent)),
    ]);
    if let Some((local, remote)) = &r.extra_bind {
        a.extend(["-v".into(), format!("{}:{}", path(local), path(remote))]);
    }
    a.push(r.image.clone());
    if r.command.is_empty() {
        // PID 1 must stay: the entrypoint's command only waits.
        a.extend(["tail", "-f", "/dev/null"].map(String::from));
    } else {
        a.extend(r.command.iter().cloned());
    }
    a
}

fn engine_argv(r: &RunRequest) -> Vec<String> {
    if let Provision::Publisher { host_dir } = &r.provision {
        return publisher_argv(r, host_dir);
    }
    let mut a: Vec<String> = vec![r.runtime.to_string(), "run".into()];
    if r.command.is_empty() {
        a.push("-it".into());
    }
    match &r.name {
        Some(name) => a.extend(["--name".into(), name.clone()]),
        None => a.push("--rm".into()),
    }
    if let Some(network) = &r.network {
        a.extend(["--network".into(), network.clone()]);
    }
    match &r.provision {
        Provision::InContainer => {
            a.extend(FUSE_MOUNT_ARGS.map(String::from));
            a.extend(["-e".into(), format!("CVMFS_MOUNTS={}", r.mounts)]);
        }
        host => {
            for (source, target, option) in host_binds(host, &r.root) {
                a.extend(["-v".into(), format!("{source}:{target}:{option}")]);
            }
        }
    }
    if let Some((uid, gid)) = r.ids {
        a.extend([
            "-e".into(),
            format!("MY_UID={uid}"),
            "-e".into(),
            format!("MY_GID={gid}"),
        ]);
    }
    let home = path(&r.home);
    let inside = format!("/home/{}", r.user);
    if r.globus {
        a.extend(["-v".into(), format!("{home}/.globus:{inside}/.globus")]);
    }
    if let Some(display) = &r.display {
        a.extend(["-e".into(), format!("DISPLAY={display}")]);
    }
    if r.x11 {
        a.extend([
            "-e".into(),
            format!("XAUTHORITY={inside}/.Xauthority"),
            "-v".into(),
            format!("{home}/.Xauthority:{inside}/.Xauthority"),
            "-v".into(),
            "/tmp/.X11-unix/:/tmp/.X11-unix".into(),
        ]);
    }
    if r.ssh {
        a.extend(["-v".into(), format!("{home}/.ssh:{inside}/.ssh")]);
    }
    if let Some(socket) = &r.ssh_agent_socket {
        a.extend([
            "-v".into(),
            format!("{}:/ssh-agent", path(socket)),
            "-e".into(),
            "SSH_AUTH_SOCK=/ssh-agent".into(),
        ]);
    }
    if let Some(gitconfig) = &r.gitconfig {
        a.extend([
            "-v".into(),
            format!("{}:{inside}/.gitconfig:ro", path(gitconfig)),
        ]);
    }
    if r.vnc {
        a.extend(["-p", "127.0.0.1:5901:5901", "-p", "127.0.0.1:6080:6080"].map(String::from));
    }
    if let Some(port) = r.port {
        a.extend(["-p".into(), format!("127.0.0.1:{port}:{port}")]);
    }
    if let Some((local, remote)) = &r.extra_bind {
        a.extend(["-v".into(), format!("{}:{}", path(local), path(remote))]);
    }
    a.push(r.image.clone());
    a.extend(r.command.iter().cloned());
    a
}

fn apptainer_argv(r: &RunRequest) -> Vec<String> {
    let verb = if r.command.is_empty() {
        "shell"
    } else {
        "exec"
    };
    let mut a: Vec<String> = vec![r.runtime.to_string(), verb.into()];
    let root = path(&r.root);
    match &r.provision {
        Provision::InContainer => {
            // The container's own client mounts each repository through a FUSE mount
            // that apptainer sets up (`--fusemount`).
            for fqrn in r.mounts.split([' ', ',']).filter(|t| !t.is_empty()) {
                a.extend([
                    "--fusemount".into(),
                    format!("container:cvmfs2 {fqrn} {root}/{fqrn}"),
                ]);
            }
        }
        host => {
            // Apptainer binds take no propagation option: only read-only carries over.
            for (source, target, option) in host_binds(host, &r.root) {
                let read_only = if option.split(',').any(|o| o == "ro") {
                    ":ro"
                } else {
                    ""
                };
                a.extend(["--bind".into(), format!("{source}:{target}{read_only}")]);
            }
        }
    }
    if let Some((local, remote)) = &r.extra_bind {
        a.extend(["--bind".into(), format!("{}:{}", path(local), path(remote))]);
    }
    a.push(r.image.clone());
    a.extend(r.command.iter().cloned());
    a
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn kubernetes(r: &RunRequest) -> String {
    let name = r.name.clone().unwrap_or_else(|| "cvmfs-user".to_owned());
    let command = if r.command.is_empty() {
        vec!["sleep".to_owned(), "infinity".to_owned()]
    } else {
        r.command.clone()
    };
    let command: Vec<String> = command.iter().map(|c| quoted(c)).collect();
    let repository = match &r.provision {
        Provision::HostPerRepository { repositories, .. } if repositories.len() == 1 => {
            format!(
                "\nparameters:\n  repository: {}",
                quoted(repositories[0].as_str())
            )
        }
        _ => String::new(),
    };
    format!(
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: cvmfs\nprovisioner: cvmfs.csi.cern.ch{repository}\n---\n\
apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: cvmfs\nspec:\n  accessModes:\n    - ReadOnlyMany\n  resources:\n    requests:\n      storage: 1\n  storageClassName: cvmfs\n---\n\
apiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\nspec:\n  containers:\n    - name: main\n      image: {}\n      command: [{}]\n      env:\n        - name: CVMFS_MOUNTS\n          value: {}\n      volumeMounts:\n        - name: cvmfs\n          mountPath: {}\n          mountPropagation: HostToContainer\n  volumes:\n    - name: cvmfs\n      persistentVolumeClaim:\n        claimName: cvmfs\n        readOnly: true\n",
        quoted(&name),
        quoted(&r.image),
        command.join(", "),
        quoted(&r.mounts),
        quoted(&path(&r.root)),
    )
}

fn gitlab_ci(r: &RunRequest) -> String {
    let host_dir = match &r.provision {
        Provision::Automounter { host_dir } => host_dir.clone(),
        _ => PathBuf::from("/cvmfsmounts/cvmfs"),
    };
    let shared_parent = host_dir
        .parent()
        .map_or_else(|| PathBuf::from("/cvmfsmounts"), std::path::Path::to_owned);
    let automounter = [
        "docker",
        "run",
        "-d",
        "--name",
        "cvmfs-automounter",
        "--pid=host",
        "--user",
        "0",
        "--privileged",
        "--restart",
        "always",
        "-e",
        &format!("CVMFS_MOUNTS={}", r.mounts),
        "-v",
        &format!("{}:/cvmfsmounts:rshared", path(&shared_parent)),
        "cvmfs/automounter",
    ]
    .map(String::from);
    let mut build = vec![
        "docker".to_owned(),
        "run".to_owned(),
        "--rm".to_owned(),
        "-v".to_owned(),
        format!("{}:{}:ro,rslave", path(&host_dir), path(&r.root)),
        r.image.clone(),
    ];
    build.extend(if r.command.is_empty() {
        vec!["ls".to_owned(), path(&r.root)]
    } else {
        r.command.clone()
    });
    let line = |words: &[String]| {
        quoted(&shlex::try_join(words.iter().map(String::as_str)).unwrap_or_default())
    };
    format!(
        "# The runner cannot see {root}; the containers it starts can.\ncvmfs-job:\n  image: docker:cli\n  services:\n    - docker:dind\n  tags:\n    - docker-privileged\n  script:\n    - {}\n    - {}\n  after_script:\n    - \"docker rm -f cvmfs-automounter\"\n",
        line(&automounter),
        line(&build),
        root = path(&r.root),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request(runtime: Runtime, provision: Provision) -> RunRequest {
        RunRequest {
            runtime,
            provision,
            mounts: "cms.cern.ch oasis.opensciencegrid.org".to_owned(),
            image: DEFAULT_IMAGE.to_owned(),
            name: None,
            extra_bind: None,
            ssh_agent_socket: None,
            ssh: false,
            gitconfig: None,
            vnc: false,
            port: None,
            display: None,
            x11: false,
            ids: Some((1000, 1000)),
            home: PathBuf::from("/home/me"),
            globus: true,
            user: "cmsusr".to_owned(),
            root: PathBuf::from("/cvmfs"),
            command: Vec::new(),
            network: None,
        }
    }

    fn argv(r: &RunRequest) -> Vec<String> {
        match render(r).unwrap() {
            Rendered::Argv(a) => a,
            Rendered::Manifest(m) => panic!("manifest: {m}"),
        }
    }

    #[test]
    fn in_container_mounting_has_the_anchors_flags() {
        let a = argv(&request(Runtime::Docker, Provision::InContainer));
        let line = a.join(" ");
        assert!(
            line.starts_with("docker run -it --rm --device /dev/fuse --cap-add SYS_ADMIN"),
            "{line}"
        );
        assert!(a.contains(&"CVMFS_MOUNTS=cms.cern.ch oasis.opensciencegrid.org".to_owned()));
        assert!(a.contains(&"MY_UID=1000".to_owned()));
        assert!(a.contains(&"/home/me/.globus:/home/cmsusr/.globus".to_owned()));
        assert_eq!(a.last().unwrap(), DEFAULT_IMAGE);
    }

    #[test]
    fn host_binds_use_rslave_or_read_only() {
        let host = PathBuf::from("/cvmfs");
        let a = argv(&request(
            Runtime::Docker,
            Provision::HostRoot {
                host_root: host.clone(),
            },
        ));
        assert!(a.contains(&"/cvmfs:/cvmfs:ro,rslave".to_owned()));
        let repos = vec![Fqrn::parse("cms.cern.ch").unwrap()];
        let a = argv(&request(
            Runtime::Podman,
            Provision::HostPerRepository {
                host_root: host,
                repositories: repos,
            },
        ));
        assert_eq!(a[0], "podman");
        assert!(a.contains(&"/cvmfs/cms.cern.ch:/cvmfs/cms.cern.ch:ro".to_owned()));
        let a = argv(&request(
            Runtime::Docker,
            Provision::Automounter {
                host_dir: "/shared-mounts/cvmfs".into(),
            },
        ));
        assert!(a.contains(&"/shared-mounts/cvmfs:/cvmfs:ro,rslave".to_owned()));
    }

    #[test]
    fn helper_options_bind_ports_to_localhost() {
        let mut r = request(Runtime::Docker, Provision::InContainer);
        r.vnc = true;
        r.port = Some(8888);
        r.name = Some("analysis".to_owned());
        r.display = Some(":0".to_owned());
        r.x11 = true;
        r.ssh = true;
        r.ssh_agent_socket = Some("/run/user/1000/agent.sock".into());
        r.gitconfig = Some("/home/me/dotfiles/gitconfig".into());
        r.extra_bind = Some(("/data dir".into(), "/root/local_mount/".into()));
        r.command = vec!["bash".into(), "-c".into(), "echo $(id)".into()];
        let a = argv(&r);
        for expected in [
            "127.0.0.1:5901:5901",
            "127.0.0.1:6080:6080",
            "127.0.0.1:8888:8888",
            "DISPLAY=:0",
            "/tmp/.X11-unix/:/tmp/.X11-unix",
            "SSH_AUTH_SOCK=/ssh-agent",
            "/home/me/dotfiles/gitconfig:/home/cmsusr/.gitconfig:ro",
            "/data dir:/root/local_mount/",
        ] {
            assert!(
                a.contains(&expected.to_owned()),
                "{expected} missing in {a:?}"
            );
        }
        assert!(!a.contains(&"--rm".to_owned()) && !a.contains(&"-it".to_owned()));
        assert_eq!(&a[a.len() - 3..], ["bash", "-c", "echo $(id)"]);
    }

    #[test]
    fn apptainer_kubernetes_and_gitlab() {
        let a = argv(&request(
            Runtime::Apptainer,
            Provision::HostRoot {
                host_root: "/cvmfs".into(),
            },
        ));
        assert_eq!(a[..4], ["apptainer", "shell", "--bind", "/cvmfs:/cvmfs:ro"]);
        let Rendered::Manifest(k8s) =
            render(&request(Runtime::Kubernetes, Provision::InContainer)).unwrap()
        else {
            panic!()
        };
        assert!(k8s.contains("provisioner: cvmfs.csi.cern.ch"));
        assert!(k8s.contains("mountPropagation: HostToContainer"));
        assert!(k8s.contains("- ReadOnlyMany"));
        let Rendered::Manifest(ci) = render(&request(
            Runtime::GitlabCi,
            Provision::Automounter {
                host_dir: "/cvmfsmounts/cvmfs".into(),
            },
        ))
        .unwrap() else {
            panic!()
        };
        // The lesson's automounter line, word for word where it matters.
        assert!(
            ci.contains("--pid=host")
                && ci.contains("--user 0 --privileged --restart always")
                && ci.contains("-v /cvmfsmounts:/cvmfsmounts:rshared"),
            "{ci}"
        );
        assert!(ci.contains("/cvmfsmounts:/cvmfsmounts:rshared"), "{ci}");
        assert!(ci.contains("/cvmfsmounts/cvmfs:/cvmfs:ro,rslave"), "{ci}");
    }

    proptest! {
        /// Any value survives a round trip through a real POSIX shell's word splitting:
        /// `sh` prints each word of the rendered line NUL-terminated.
        #[test]
        fn shell_lines_round_trip(command in proptest::collection::vec("[^\\x00]{0,20}", 0..5), mounts in "[^\\x00]{0,30}") {
            let mut r = request(Runtime::Podman, Provision::InContainer);
            r.command = command;
            r.mounts = mounts;
            let rendered = render(&r).unwrap();
            let Rendered::Argv(words) = &rendered else { panic!() };
            let line = rendered.to_shell_line();
            let output = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("printf '%s\\0' {line}"))
                .output()
                .unwrap();
            prop_assert!(output.status.success(), "{line}");
            let split: Vec<String> = output
                .stdout
                .split(|b| *b == 0)
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            // printf terminates every word with NUL: the text after the last is empty.
            prop_assert_eq!(&split[..split.len() - 1], words.as_slice());
        }
    }
}
