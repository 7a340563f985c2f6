//! The command line's error type.

use std::io;
use std::path::PathBuf;

use cvmfs_core::CoreError;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::exit_code;

/// One problem with the command line or its input.
#[derive(Debug, Error)]
pub enum InputProblem {
    /// A value rejected by the core rules.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// An option that is missing or does not fit the others.
    #[error("{option}: {message}")]
    Option {
        /// The option, as spelled on the command line.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Each core module's error is a problem with the input, through the core's umbrella.
macro_rules! core_problems {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for InputProblem {
            fn from(error: $error) -> Self {
                Self::Core(CoreError::from(error))
            }
        })*
    };
}

core_problems!(
    cvmfs_core::fqrn::NameError,
    cvmfs_core::catalog::UnknownProfile,
    cvmfs_core::selection::SelectionError,
    cvmfs_core::plan::InvalidPropagation,
    cvmfs_core::plan::UnknownBackend,
    cvmfs_core::choice::InvalidChoice,
    cvmfs_core::plan::PlanError,
    cvmfs_core::remap::RemapError,
    cvmfs_core::config::ProxyConfigError,
);

impl Serialize for InputProblem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Core(err) => err.serialize(serializer),
            Self::Option { option, message } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("kind", "invalid-option")?;
                map.serialize_entry("message", &format!("{option}: {message}"))?;
                map.serialize_entry("problems", &[message])?;
                map.end()
            }
        }
    }
}

/// Everything a subcommand can fail with.
#[derive(Debug, Error)]
pub enum CliError {
    /// The input is invalid; every problem is listed and nothing was changed.
    #[error("invalid input, nothing was changed:{}", list(problems))]
    InvalidInput {
        /// Every problem found.
        problems: Vec<InputProblem>,
    },
    /// A relative path could not be made absolute.
    #[error(
        "cannot resolve the relative path {path}: the current directory is unavailable: {source}"
    )]
    CurrentDir {
        /// The relative path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The engine failed as a whole (for example, the mount table could not be read).
    #[error("{source}")]
    Engine {
        /// The engine's error.
        #[source]
        source: cvmfs_mount::MountError,
    },
    /// The signal handlers could not be installed.
    #[error("cannot install the signal handlers: {source}")]
    Signals {
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The snapshot server could not start.
    #[error("the snapshot server failed: {message}")]
    Serve {
        /// Why.
        message: String,
    },
    /// The `cvmfs_docker` helper's flags do not make a valid request.
    #[error("{message}")]
    Helper {
        /// What clap or the request said.
        message: String,
    },
    /// The container engine could not be started.
    #[error("cannot run {program}: {source}")]
    RunEngine {
        /// The engine's program.
        program: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// Publishing failed.
    #[error("publishing failed: {message}")]
    Publish {
        /// What failed.
        message: String,
    },
    /// A repository could not be read or was refused.
    #[error(transparent)]
    Repository(#[from] cvmfs_mount::repository::RepositoryError),
    /// The cache could not be used.
    #[error(transparent)]
    Cache(#[from] cvmfs_mount::repository::cache::CacheError),
    /// An input file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadInput {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The image repository is not available and could not be mounted.
    #[error(transparent)]
    ImageUnavailable {
        /// Why.
        #[from]
        source: cvmfs_mount::image::AvailabilityError,
    },
    /// An image could not be resolved in the mounted repository.
    #[error(transparent)]
    ImageResolve {
        /// Why.
        #[from]
        source: cvmfs_mount::image::ResolveError,
    },
    /// No runtime command can run the image (Docker, an unresolved path for Podman).
    #[error(transparent)]
    ImageLaunch {
        /// Why, with the alternatives.
        #[from]
        source: cvmfs_core::image::launch::LaunchError,
    },
    /// Writing the result failed.
    #[error("cannot write the output: {source}")]
    WriteOutput {
        /// The error.
        #[source]
        source: io::Error,
    },
}

fn list(problems: &[InputProblem]) -> String {
    problems.iter().map(|p| format!("\n{p}")).collect()
}

impl CliError {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::InvalidInput { .. }
            | Self::Helper { .. }
            | Self::ReadInput { .. }
            | Self::ImageLaunch { .. } => exit_code::USAGE,
            Self::Engine { .. }
            | Self::Serve { .. }
            | Self::RunEngine { .. }
            | Self::Repository { .. }
            | Self::Cache { .. }
            | Self::Publish { .. }
            | Self::ImageUnavailable { .. }
            | Self::ImageResolve { .. } => exit_code::TOTAL,
            Self::CurrentDir { .. } | Self::WriteOutput { .. } | Self::Signals { .. } => {
                exit_code::INTERNAL
            }
        }
    }

    /// The error as JSON for `--json` callers.
    pub fn to_json(&self) -> String {
        let problems: Vec<serde_json::Value> = match self {
            Self::InvalidInput { problems } => problems
                .iter()
                .map(|p| serde_json::to_value(p).unwrap_or_default())
                .collect(),
            other => vec![
                serde_json::json!({"kind": "internal", "message": other.to_string(), "problems": []}),
            ],
        };
        serde_json::json!({ "ok": false, "exit_code": self.exit_code(), "errors": problems })
            .to_string()
    }
}
