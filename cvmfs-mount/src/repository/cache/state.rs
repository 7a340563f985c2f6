//! What each repository last accepted, below `state/<fqrn>/`: the signed files (manifest,
//! whitelist, certificate) and `accepted.json` (revision, publish time, root catalog, when
//! it was accepted). The revision refuses rollbacks across restarts; the signed files let
//! a later start open the same revision when no server answers (offline mode), verified
//! again as they were when accepted.

use std::path::PathBuf;

use cvmfs_core::repository::trust::AcceptedState;
use serde::{Deserialize, Serialize};

use super::{Cache, CacheError, io_error, private_dir};

/// The signed files that proved an accepted revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFiles {
    /// `.cvmfspublished`.
    pub manifest: Vec<u8>,
    /// `.cvmfswhitelist`.
    pub whitelist: Vec<u8>,
    /// The certificate, decompressed.
    pub certificate: Vec<u8>,
}

/// A repository's remembered state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryState {
    /// The repository.
    pub fqrn: String,
    /// What was accepted.
    #[serde(flatten)]
    pub accepted: AcceptedState,
    /// When it was accepted (Unix seconds): offline mode judges the whitelist at this time.
    pub accepted_at: u64,
}

const FILES: [&str; 3] = ["manifest", "whitelist", "certificate"];

impl Cache {
    fn state_dir(&self, fqrn: &str) -> Option<PathBuf> {
        // A repository name never contains a path separator; refuse one that does.
        (!fqrn.is_empty() && !fqrn.contains('/') && !fqrn.starts_with('.'))
            .then(|| self.base().join("state").join(fqrn))
    }

    fn write_state_file(
        &self,
        dir: &std::path::Path,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), CacheError> {
        let transaction = self.begin()?;
        std::io::Write::write_all(&mut transaction.file(), bytes)
            .map_err(io_error(transaction.file.path()))?;
        transaction
            .file()
            .sync_data()
            .map_err(io_error(transaction.file.path()))?;
        let target = dir.join(name);
        transaction
            .file
            .persist(&target)
            .map_err(|e| io_error(&target)(e.error))?;
        Ok(())
    }

    /// What the client last accepted for `fqrn`, if anything.
    pub fn accepted(&self, fqrn: &str) -> Option<AcceptedState> {
        self.state(fqrn).map(|s| s.accepted)
    }

    /// The remembered state of `fqrn`.
    pub fn state(&self, fqrn: &str) -> Option<RepositoryState> {
        let text = std::fs::read_to_string(self.state_dir(fqrn)?.join("accepted.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The signed files of the remembered state, when all are there.
    pub fn signed_files(&self, fqrn: &str) -> Option<SignedFiles> {
        let dir = self.state_dir(fqrn)?;
        let [manifest, whitelist, certificate] =
            FILES.map(|name| std::fs::read(dir.join(name)).ok());
        Some(SignedFiles {
            manifest: manifest?,
            whitelist: whitelist?,
            certificate: certificate?,
        })
    }

    /// Remembers what the client accepted for `fqrn` at `accepted_at`, and the signed
    /// files that proved it (the state is written last, so it never names files that
    /// are not there).
    pub fn remember(
        &self,
        fqrn: &str,
        accepted: &AcceptedState,
        accepted_at: u64,
        signed: &SignedFiles,
    ) -> Result<(), CacheError> {
        let Some(dir) = self.state_dir(fqrn) else {
            return Ok(());
        };
        private_dir(&dir)?;
        for (name, bytes) in
            FILES
                .iter()
                .zip([&signed.manifest, &signed.whitelist, &signed.certificate])
        {
            self.write_state_file(&dir, name, bytes)?;
        }
        let state = RepositoryState {
            fqrn: fqrn.to_owned(),
            accepted: *accepted,
            accepted_at,
        };
        let text = serde_json::to_string_pretty(&state).unwrap_or_default();
        self.write_state_file(&dir, "accepted.json", text.as_bytes())
    }

    /// Every repository with a remembered state.
    pub fn repositories(&self) -> Vec<RepositoryState> {
        let mut out: Vec<RepositoryState> = std::fs::read_dir(self.base().join("state"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| self.state(&e.file_name().to_string_lossy()))
            .collect();
        out.sort_by(|a, b| a.fqrn.cmp(&b.fqrn));
        out
    }
}
