//! The arguments of a directory server (`--source DIR --target DIR --fqrn NAME ...`),
//! parsed and rendered so that [`ServerArgs::to_args`] and [`ServerArgs::parse`] are
//! inverses.

use std::ffi::OsString;
use std::path::PathBuf;

/// What a server serves, and its faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    /// The directory served.
    pub source: PathBuf,
    /// The mountpoint.
    pub target: PathBuf,
    /// The repository name answered in `user.fqrn`.
    pub fqrn: String,
    /// The revision answered in `user.revision`.
    pub revision: String,
    /// Delay before each answer.
    pub latency_ms: u64,
    /// Delay before mounting (a slow mount).
    pub mount_delay_ms: u64,
    /// Start hung.
    pub hang: bool,
}

/// The revision a server answers unless told otherwise.
const DEFAULT_REVISION: &str = "1";

impl ServerArgs {
    /// Serves `source` at `target` as `fqrn`, with the default revision and no faults.
    pub fn new(source: PathBuf, target: PathBuf, fqrn: impl Into<String>) -> Self {
        Self {
            source,
            target,
            fqrn: fqrn.into(),
            revision: DEFAULT_REVISION.to_owned(),
            latency_ms: 0,
            mount_delay_ms: 0,
            hang: false,
        }
    }

    /// Parses `--source DIR --target DIR --fqrn NAME [--revision N] [--latency-ms N]
    /// [--mount-delay-ms N] [--hang]`.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Self, String> {
        let mut parsed = Self::new(PathBuf::new(), PathBuf::new(), String::new());
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--hang" {
                parsed.hang = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| format!("{} needs a value", flag.to_string_lossy()))?;
            let number = || {
                value
                    .to_str()
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| {
                        format!("{} takes a number, not {value:?}", flag.to_string_lossy())
                    })
            };
            match flag.to_str() {
                Some("--source") => parsed.source = PathBuf::from(&value),
                Some("--target") => parsed.target = PathBuf::from(&value),
                Some("--fqrn") => parsed.fqrn = value.to_string_lossy().into_owned(),
                Some("--revision") => parsed.revision = value.to_string_lossy().into_owned(),
                Some("--latency-ms") => parsed.latency_ms = number()?,
                Some("--mount-delay-ms") => parsed.mount_delay_ms = number()?,
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        let mut missing = Vec::new();
        if parsed.source.as_os_str().is_empty() {
            missing.push("--source");
        }
        if parsed.target.as_os_str().is_empty() {
            missing.push("--target");
        }
        if parsed.fqrn.is_empty() {
            missing.push("--fqrn");
        }
        if missing.is_empty() {
            Ok(parsed)
        } else {
            Err(format!("missing {}", missing.join(", ")))
        }
    }
    /// The command-line arguments [`ServerArgs::parse`] reads back into these; values at
    /// their defaults are left out.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--source".into(),
            self.source.clone().into_os_string(),
            "--target".into(),
            self.target.clone().into_os_string(),
            "--fqrn".into(),
            self.fqrn.clone().into(),
        ];
        if self.revision != DEFAULT_REVISION {
            args.extend(["--revision".into(), self.revision.clone().into()]);
        }
        if self.latency_ms > 0 {
            args.extend(["--latency-ms".into(), self.latency_ms.to_string().into()]);
        }
        if self.mount_delay_ms > 0 {
            args.extend([
                "--mount-delay-ms".into(),
                self.mount_delay_ms.to_string().into(),
            ]);
        }
        if self.hang {
            args.push("--hang".into());
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reports_every_missing_argument_at_once() {
        let error = ServerArgs::parse(["--revision", "7"].map(OsString::from)).unwrap_err();
        assert_eq!(error, "missing --source, --target, --fqrn");
        let error = ServerArgs::parse(["--latency-ms", "x"].map(OsString::from)).unwrap_err();
        assert!(error.contains("--latency-ms takes a number"), "{error}");
    }

    proptest! {
        /// What `to_args` writes, `parse` reads back unchanged.
        #[test]
        fn arguments_round_trip(
            source in "/[a-z ]{1,12}",
            target in "/[a-z-]{1,12}",
            fqrn in "[a-z]{1,8}\\.cern\\.ch",
            revision in "[0-9]{1,4}",
            latency_ms in 0u64..5000,
            mount_delay_ms in 0u64..5000,
            hang in any::<bool>(),
        ) {
            let args = ServerArgs {
                revision,
                latency_ms,
                mount_delay_ms,
                hang,
                ..ServerArgs::new(source.into(), target.into(), fqrn)
            };
            prop_assert_eq!(ServerArgs::parse(args.to_args()), Ok(args));
        }
    }
}
