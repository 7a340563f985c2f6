//! The interactive environment for a selection: scripts to source (each guarded by an
//! existence test that prints the anchor's "Unable to ..." line), variables and aliases,
//! rendered for bash/zsh, csh/tcsh, fish, and JSON.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::choice::InvalidChoice;
use crate::selection::Selection;

/// Versions of the OSG worker-node client layout (`el7-x86_64`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElRelease {
    /// Enterprise Linux 7 (the anchor's default).
    El7,
    /// Enterprise Linux 8.
    El8,
    /// Enterprise Linux 9.
    El9,
}

impl ElRelease {
    /// `el7`, `el8` or `el9`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::El7 => "el7",
            Self::El8 => "el8",
            Self::El9 => "el9",
        }
    }
}

impl FromStr for ElRelease {
    type Err = InvalidChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "el7" => Ok(Self::El7),
            "el8" => Ok(Self::El8),
            "el9" => Ok(Self::El9),
            _ => Err(InvalidChoice {
                what: "EL release",
                input: s.to_owned(),
                expected: "el7, el8 or el9",
            }),
        }
    }
}

/// A shell the environment can be rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// bash (also sh-compatible).
    Bash,
    /// zsh (same syntax as bash here).
    Zsh,
    /// csh.
    Csh,
    /// tcsh (same syntax as csh here).
    Tcsh,
    /// fish.
    Fish,
}

impl FromStr for Shell {
    type Err = InvalidChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bash" | "sh" => Ok(Self::Bash),
            "zsh" => Ok(Self::Zsh),
            "csh" => Ok(Self::Csh),
            "tcsh" => Ok(Self::Tcsh),
            "fish" => Ok(Self::Fish),
            _ => Err(InvalidChoice {
                what: "shell",
                input: s.to_owned(),
                expected: "bash, zsh, csh, tcsh or fish",
            }),
        }
    }
}

/// A setup script sourced only when it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardedScript {
    /// The sh-syntax script (bash, zsh, fish through bash).
    pub sh: PathBuf,
    /// The csh-syntax script.
    pub csh: PathBuf,
    /// What is printed when the script is missing.
    pub missing_message: String,
}

/// A shell alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// The alias name.
    pub name: String,
    /// The command words it expands to.
    pub words: Vec<String>,
}

/// Everything an interactive shell needs for the selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSetup {
    /// Scripts to source, in order.
    pub scripts: Vec<GuardedScript>,
    /// Variables to export, in order.
    pub variables: Vec<(String, String)>,
    /// Aliases to define.
    pub aliases: Vec<Alias>,
}

/// Options for [`EnvironmentSetup::for_selection`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentOptions {
    /// Where the repositories are mounted.
    pub root: PathBuf,
    /// The OSG worker-node client layout.
    pub el: ElRelease,
    /// The machine architecture in the layout's directory names.
    pub arch: String,
}

impl Default for EnvironmentOptions {
    fn default() -> Self {
        Self {
            root: PathBuf::from(crate::plan::DEFAULT_ROOT),
            el: ElRelease::El7,
            arch: "x86_64".to_owned(),
        }
    }
}

impl EnvironmentSetup {
    /// The anchor's environment: `cmsset_default` when `cms.cern.ch` is selected, the OSG
    /// worker-node client when `oasis.opensciencegrid.org` is, and always
    /// `XrdSecGSISRVNAMES` and the `voms-proxy-init` alias.
    pub fn for_selection(selection: &Selection, options: &EnvironmentOptions) -> Self {
        let selected = |name: &str| selection.repositories().iter().any(|f| f.as_str() == name);
        let root = &options.root;
        let mut scripts = Vec::new();
        if selected("cms.cern.ch") {
            let base = root.join("cms.cern.ch");
            scripts.push(GuardedScript {
                sh: base.join("cmsset_default.sh"),
                csh: base.join("cmsset_default.csh"),
                missing_message: format!(
                    "Unable to source {}",
                    base.join("cmsset_default.sh").display()
                ),
            });
        }
        if selected("oasis.opensciencegrid.org") {
            let oasis = root.join("oasis.opensciencegrid.org");
            let dir = oasis.join(format!(
                "mis/osg-wn-client/3.6/current/{}-{}",
                options.el.as_str(),
                options.arch
            ));
            scripts.push(GuardedScript {
                sh: dir.join("setup.sh"),
                csh: dir.join("setup.csh"),
                missing_message: format!(
                    "Unable to setup the grid utilities from {}/",
                    oasis.display()
                ),
            });
        }
        let words = "voms-proxy-init -voms cms --valid 192:00 -cert ~/.globus/usercert.pem -key ~/.globus/userkey.pem";
        Self {
            scripts,
            variables: vec![("XrdSecGSISRVNAMES".to_owned(), "cmseos.fnal.gov".to_owned())],
            aliases: vec![Alias {
                name: "voms-proxy-init".to_owned(),
                words: words.split(' ').map(str::to_owned).collect(),
            }],
        }
    }

    /// The setup as shell code for `eval` or `source`. Messages about missing scripts go
    /// to standard error, so `eval "$(cvmfs-cli env)"` never captures them.
    pub fn render(&self, shell: Shell) -> String {
        let mut out = String::new();
        for script in &self.scripts {
            out.push_str(&render_script(shell, script));
        }
        for (name, value) in &self.variables {
            out.push_str(&match shell {
                Shell::Bash | Shell::Zsh => format!("export {name}={}\n", sh_quote(value)),
                Shell::Csh | Shell::Tcsh => format!("setenv {name} {}\n", csh_quote(value)),
                Shell::Fish => format!("set -gx {name} {}\n", fish_quote(value)),
            });
        }
        for alias in &self.aliases {
            out.push_str(&render_alias(shell, alias));
        }
        out
    }

    /// The setup as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn render_script(shell: Shell, script: &GuardedScript) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => {
            let path = sh_quote_path(&script.sh);
            format!(
                "if [ -f {path} ]; then\n    . {path}\nelse\n    echo {} >&2\nfi\n",
                sh_quote(&script.missing_message)
            )
        }
        Shell::Csh | Shell::Tcsh => {
            let path = csh_quote(&script.csh.display().to_string());
            format!(
                "if ( -f {path} ) then\n    source {path}\nelse\n    echo {}\nendif\n",
                csh_quote(&script.missing_message)
            )
        }
        // fish cannot source sh scripts: run the script in bash and import the variables
        // it exports (NUL-separated, so values with newlines survive).
        Shell::Fish => {
            let path = fish_quote(&script.sh.display().to_string());
            format!(
                "if test -f {path}\n    for kv in (bash -c '. \"$1\" >/dev/null 2>&1; env -0' bash {path} | string split0)\n        set -l kv (string split -m 1 = -- $kv)\n        if not contains -- $kv[1] PWD SHLVL _ OLDPWD\n            set -gx $kv[1] $kv[2]\n        end\n    end\nelse\n    echo {} >&2\nend\n",
                fish_quote(&script.missing_message)
            )
        }
    }
}

fn render_alias(shell: Shell, alias: &Alias) -> String {
    let command = alias
        .words
        .iter()
        .map(|w| match w.strip_prefix("~/") {
            // Keep `~` unquoted so each shell expands it to the user's home.
            Some(rest) => format!("~/{}", sh_quote(rest)),
            None => sh_quote(w),
        })
        .collect::<Vec<_>>()
        .join(" ");
    match shell {
        Shell::Bash | Shell::Zsh => format!("alias {}={}\n", alias.name, sh_quote(&command)),
        Shell::Csh | Shell::Tcsh => format!("alias {} {}\n", alias.name, csh_quote(&command)),
        Shell::Fish => format!("alias {} {}\n", alias.name, fish_quote(&command)),
    }
}

/// POSIX quoting through `shlex`; a string with a NUL cannot be quoted and is rendered
/// empty (paths and values here come from validated plans and never contain NUL).
fn sh_quote(text: &str) -> String {
    shlex::try_quote(text)
        .map(|q| q.into_owned())
        .unwrap_or_default()
}

fn sh_quote_path(path: &Path) -> String {
    sh_quote(&path.display().to_string())
}

/// csh single quotes: no escapes inside, so a `'` closes, is escaped, and reopens; `!`
/// (history expansion) is escaped the same way. No crate covers csh quoting.
fn csh_quote(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '!' => out.push_str("'\\!'"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// fish single quotes: only `\\` and `\'` are escapes inside. No crate covers fish.
fn fish_quote(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

impl fmt::Display for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bash => "bash",
            Self::Zsh => "zsh",
            Self::Csh => "csh",
            Self::Tcsh => "tcsh",
            Self::Fish => "fish",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn setup(value: &str, options: &EnvironmentOptions) -> EnvironmentSetup {
        let selection = Selection::parse(Some(value), &Catalog::cms()).unwrap();
        EnvironmentSetup::for_selection(&selection, options)
    }

    #[test]
    fn anchor_scripts_and_messages() {
        let env = setup("all", &EnvironmentOptions::default());
        assert_eq!(env.scripts.len(), 2);
        assert_eq!(
            env.scripts[0].sh,
            Path::new("/cvmfs/cms.cern.ch/cmsset_default.sh")
        );
        assert_eq!(
            env.scripts[0].missing_message,
            "Unable to source /cvmfs/cms.cern.ch/cmsset_default.sh"
        );
        assert_eq!(
            env.scripts[1].sh,
            Path::new(
                "/cvmfs/oasis.opensciencegrid.org/mis/osg-wn-client/3.6/current/el7-x86_64/setup.sh"
            )
        );
        assert_eq!(
            env.scripts[1].missing_message,
            "Unable to setup the grid utilities from /cvmfs/oasis.opensciencegrid.org/"
        );
        let el9 = EnvironmentOptions {
            el: ElRelease::El9,
            ..EnvironmentOptions::default()
        };
        assert!(
            setup("oasis.opensciencegrid.org", &el9).scripts[0]
                .sh
                .to_str()
                .unwrap()
                .contains("/el9-x86_64/")
        );
        assert!(
            setup("sft", &EnvironmentOptions::default())
                .scripts
                .is_empty()
        );
    }

    #[test]
    fn bash_rendering_is_guarded_and_quoted() {
        let options = EnvironmentOptions {
            root: PathBuf::from("/my cvmfs"),
            ..EnvironmentOptions::default()
        };
        let text = setup("cms", &options).render(Shell::Bash);
        assert!(
            text.starts_with("if [ -f '/my cvmfs/cms.cern.ch/cmsset_default.sh' ]; then\n"),
            "{text}"
        );
        assert!(
            text.contains("echo 'Unable to source /my cvmfs/cms.cern.ch/cmsset_default.sh' >&2"),
            "{text}"
        );
        assert!(
            text.contains("export XrdSecGSISRVNAMES=cmseos.fnal.gov\n"),
            "{text}"
        );
        assert!(text.contains("alias voms-proxy-init='voms-proxy-init -voms cms --valid 192:00 -cert ~/.globus/usercert.pem -key ~/.globus/userkey.pem'"), "{text}");
    }

    #[test]
    fn csh_and_fish_renderings() {
        let env = setup("cms", &EnvironmentOptions::default());
        let csh = env.render(Shell::Tcsh);
        assert!(
            csh.contains("if ( -f '/cvmfs/cms.cern.ch/cmsset_default.csh' ) then"),
            "{csh}"
        );
        assert!(
            csh.contains("setenv XrdSecGSISRVNAMES 'cmseos.fnal.gov'"),
            "{csh}"
        );
        let fish = env.render(Shell::Fish);
        assert!(
            fish.contains("if test -f '/cvmfs/cms.cern.ch/cmsset_default.sh'"),
            "{fish}"
        );
        assert!(
            fish.contains("set -gx XrdSecGSISRVNAMES 'cmseos.fnal.gov'"),
            "{fish}"
        );
        assert_eq!(csh_quote("it's!"), "'it'\\''s'\\!''");
        assert_eq!(fish_quote("a'b\\c"), "'a\\'b\\\\c'");
        assert!(env.to_json().contains("\"XrdSecGSISRVNAMES\""));
    }

    #[test]
    fn bash_output_evaluates_in_bash_with_missing_scripts() {
        let options = EnvironmentOptions {
            root: PathBuf::from("/nonexistent root/$(touch /tmp/x)"),
            ..EnvironmentOptions::default()
        };
        let text = setup("cms oasis.opensciencegrid.org", &options).render(Shell::Bash);
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{text}\necho \"$XrdSecGSISRVNAMES\"; alias voms-proxy-init"
            ))
            .output()
            .unwrap();
        assert!(output.status.success());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stdout.starts_with("cmseos.fnal.gov\nalias voms-proxy-init="),
            "{stdout}"
        );
        assert_eq!(
            stderr,
            "Unable to source /nonexistent root/$(touch /tmp/x)/cms.cern.ch/cmsset_default.sh\n\
             Unable to setup the grid utilities from /nonexistent root/$(touch /tmp/x)/oasis.opensciencegrid.org/\n"
        );
    }
}
