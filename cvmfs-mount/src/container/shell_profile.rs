//! What the anchor's interactive shells did, for every interactive shell of the
//! container: check the mounts with a short probe, then set up the environment
//! (`cmsset_default.sh`, the OSG client). The entrypoint writes a snippet to
//! `<etc>/profile.d/cvmfs-mount.sh` (login shells) and sources it from
//! `<etc>/bash.bashrc` (interactive shells such as `docker exec -it ... bash`).

use std::path::{Path, PathBuf};

use crate::atomic_file::write_atomically;
use crate::error::MountError;

/// The file name of the snippet under `<etc>/profile.d`.
pub const SNIPPET_NAME: &str = "cvmfs-mount.sh";

/// The commands the snippet runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellProfile {
    /// The `cvmfs-cli` executable.
    pub cli: PathBuf,
    /// The arguments of the fast check (`check ...`).
    pub check_args: Vec<String>,
    /// The arguments that print the environment (`env ...`).
    pub env_args: Vec<String>,
}

/// Quotes words for a POSIX shell.
fn shell_words<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    // Joining fails only for a NUL byte, which no argument holds.
    shlex::try_join(words).unwrap_or_default()
}

impl ShellProfile {
    /// The snippet: runs once per interactive shell process tree (a guard variable
    /// keeps `/etc/profile` and `bash.bashrc` from running it twice in one shell).
    pub fn render(&self) -> String {
        let cli = self.cli.to_string_lossy();
        let check = shell_words(
            std::iter::once(cli.as_ref()).chain(self.check_args.iter().map(String::as_str)),
        );
        let env = shell_words(
            std::iter::once(cli.as_ref()).chain(self.env_args.iter().map(String::as_str)),
        );
        format!(
            "# Written by `cvmfs-cli entrypoint`: what the anchor's interactive shells did.\n\
             case $- in\n\
             *i*)\n\
             \x20   if [ -z \"${{CVMFS_MOUNT_SHELL_DONE-}}\" ]; then\n\
             \x20       CVMFS_MOUNT_SHELL_DONE=1; export CVMFS_MOUNT_SHELL_DONE\n\
             \x20       {check} || echo \"Some CVMFS repositories are not healthy (see above).\" >&2\n\
             \x20       eval \"$({env})\"\n\
             \x20   fi\n\
             \x20   ;;\n\
             esac\n"
        )
    }

    /// Writes the snippet under `<etc>/profile.d` and makes `<etc>/bash.bashrc` (when
    /// the image has one) source it; both replaced atomically. Returns the snippet's path.
    pub fn install(&self, etc: &Path) -> Result<PathBuf, MountError> {
        let dir = etc.join("profile.d");
        std::fs::create_dir_all(&dir).map_err(|source| MountError::WriteFile {
            path: dir.clone(),
            source,
        })?;
        let snippet = dir.join(SNIPPET_NAME);
        write_atomically(&snippet, self.render().as_bytes())?;
        let bashrc = etc.join("bash.bashrc");
        if let Ok(text) = std::fs::read_to_string(&bashrc) {
            let line = format!(". {}\n", shell_words([snippet.to_string_lossy().as_ref()]));
            if !text.contains(line.trim_end()) {
                let mut updated = text;
                if !updated.is_empty() && !updated.ends_with('\n') {
                    updated.push('\n');
                }
                updated.push_str(&line);
                write_atomically(&bashrc, updated.as_bytes())?;
            }
        }
        Ok(snippet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> ShellProfile {
        ShellProfile {
            cli: PathBuf::from("/usr/bin/cvmfs-cli"),
            check_args: vec![
                "check".into(),
                "--mounts".into(),
                "cms.cern.ch sft.cern.ch".into(),
            ],
            env_args: vec!["env".into(), "--mounts".into(), "cms.cern.ch".into()],
        }
    }

    #[test]
    fn the_snippet_quotes_its_words_and_runs_in_interactive_shells_only() {
        let text = profile().render();
        assert!(text.contains("/usr/bin/cvmfs-cli check --mounts 'cms.cern.ch sft.cern.ch' ||"));
        assert!(text.contains("eval \"$(/usr/bin/cvmfs-cli env --mounts cms.cern.ch)\""));
        assert!(text.contains("case $- in\n*i*)"));
    }

    #[test]
    fn install_writes_the_snippet_and_sources_it_once_from_bash_bashrc() {
        let etc = tempfile::tempdir().unwrap();
        std::fs::write(etc.path().join("bash.bashrc"), "# site\nalias ll='ls -l'").unwrap();
        let snippet = profile().install(etc.path()).unwrap();
        profile().install(etc.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&snippet).unwrap(),
            profile().render()
        );
        let bashrc = std::fs::read_to_string(etc.path().join("bash.bashrc")).unwrap();
        assert!(bashrc.starts_with("# site\nalias ll='ls -l'\n"), "{bashrc}");
        assert_eq!(bashrc.matches("cvmfs-mount.sh").count(), 1, "{bashrc}");
    }
}
