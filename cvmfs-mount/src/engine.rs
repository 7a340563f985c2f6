//! The executor of mount plans: idempotent, the configuration repository first and the
//! rest in parallel (parents before children), one report per entry, and one failure
//! never stopping the others.

use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use cvmfs_core::MountPlan;
use cvmfs_core::plan::{EntryRole, PlanEntry, Step, Verification};
use nix::errno::Errno;
use nix::mount::MntFlags;
use serde::{Deserialize, Serialize};

use crate::backend::{BackendSettings, MountBackend, Requirement, backend_for};
use crate::error::MountError;
use crate::health::Health;
use crate::mount_table::{TableText, path_bytes};
use crate::mountpoint::{create_mountpoint, ensure_empty};
use crate::probe::{Expectation, ProbeResult, ProbeTarget, probe_all, probe_one};
use crate::report::{EntryReport, ErrorReport, Operation, Outcome, PlanReport};
use crate::sys::{LinuxOps, MountOps, flags};

/// Limits and choices of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineOptions {
    /// Hard limit for one probe.
    pub probe_timeout: Duration,
    /// How long a verify step waits for a repository to become healthy.
    pub verify_wait: Duration,
    /// Attempts per repository in a repair.
    pub repair_attempts: u32,
    /// First pause between repair attempts (doubled each time).
    pub backoff: Duration,
    /// Mount over directories that hold files.
    pub allow_non_empty: bool,
    /// A failing configuration repository stops the others.
    pub config_repo_required: bool,
    /// Repair remounts repositories that serve with I/O errors (degraded); by default
    /// they are left, since a remount breaks files open on them.
    pub remount_degraded: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            probe_timeout: Duration::from_secs(2),
            verify_wait: Duration::from_secs(10),
            repair_attempts: 3,
            backoff: Duration::from_millis(100),
            allow_non_empty: false,
            config_repo_required: false,
            remount_degraded: false,
        }
    }
}

/// Called with each entry's report, and the operation it belongs to, as soon as the entry
/// is done (entries finish in parallel).
pub type ProgressHook = Arc<dyn Fn(Operation, &EntryReport) + Send + Sync>;

/// Executes plans with one backend over one set of system calls.
#[derive(Clone)]
pub struct Engine {
    ops: Arc<dyn MountOps>,
    backend: Arc<dyn MountBackend>,
    options: EngineOptions,
    progress: Option<ProgressHook>,
}

/// What an entry's own target is expected to show.
pub fn entry_expectation(entry: &PlanEntry) -> Expectation {
    entry
        .steps()
        .iter()
        .find_map(|step| match step {
            Step::Verify { target, check } if target == entry.target() => Some(match check {
                Verification::Repository { fqrn } => Expectation::Repository { fqrn: fqrn.clone() },
                Verification::Mountpoint => Expectation::Mountpoint,
            }),
            _ => None,
        })
        .unwrap_or(Expectation::Mountpoint)
}

/// What the mount table shows at an entry's target when unmounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FoundAtTarget {
    /// No mount.
    Nothing,
    /// A mount of the shape the entry makes (it may be ours: unmounting is allowed).
    OurShape,
    /// Another kind of mount: never touched.
    Foreign,
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Engine {
    /// An engine.
    pub fn new(
        ops: Arc<dyn MountOps>,
        backend: Arc<dyn MountBackend>,
        options: EngineOptions,
    ) -> Self {
        Self {
            ops,
            backend,
            options,
            progress: None,
        }
    }

    /// An engine for `plan` on this machine: the real system calls ([`LinuxOps`]) and the
    /// backend the plan names, configured from `settings`. Every face (the command line,
    /// the Python bindings) builds its engines here.
    pub fn for_host(plan: &MountPlan, settings: &BackendSettings, options: EngineOptions) -> Self {
        Self::new(
            Arc::new(LinuxOps),
            backend_for(plan.backend(), settings),
            options,
        )
    }

    /// The same engine with other options.
    pub fn with_options(mut self, options: EngineOptions) -> Self {
        self.options = options;
        self
    }

    /// Reports each entry to `hook` as soon as it is done.
    pub fn with_progress(mut self, hook: ProgressHook) -> Self {
        self.progress = Some(hook);
        self
    }

    /// The system calls in use.
    pub fn ops(&self) -> &Arc<dyn MountOps> {
        &self.ops
    }

    /// The options in use.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// What the backend lacks for this plan.
    pub fn preflight(&self, plan: &MountPlan) -> Vec<Requirement> {
        let facts = self.ops.host_facts(&self.backend.fact_request(plan));
        self.backend.preflight(self.ops.as_ref(), &facts, plan)
    }

    /// Probes every entry's own target (and, for a whole-root bind, each repository
    /// below it) in parallel, each within the probe timeout.
    pub fn probe(&self, plan: &MountPlan) -> Result<Vec<ProbeResult>, MountError> {
        let mut targets = Vec::new();
        for entry in plan.entries() {
            targets.push(ProbeTarget {
                path: entry.target().to_owned(),
                expect: entry_expectation(entry),
            });
            if entry.role() == EntryRole::Root {
                for fqrn in entry.verified_repositories() {
                    targets.push(ProbeTarget {
                        path: entry.target().join(fqrn.as_str()),
                        expect: Expectation::Repository { fqrn: fqrn.clone() },
                    });
                }
            }
        }
        probe_all(&self.ops, &targets, self.options.probe_timeout)
    }

    /// Mounts every entry of the plan; healthy mounts are left as they are. When the
    /// backend's preparation fails, nothing is mounted and every entry reports why.
    pub fn mount(&self, plan: &MountPlan) -> PlanReport {
        // A plan made without the source its backend reads is refused before anything
        // (not even a mountpoint directory) is created.
        let prepared = if plan.backend().lacks_source() {
            Err(MountError::SourceNotGiven {
                backend: plan.backend().kind(),
            })
        } else {
            self.backend.prepare(plan)
        };
        match prepared {
            Ok(notes) => {
                let mut report = self.run_entries(plan, Operation::Mount, |entry| {
                    self.mount_entry(plan, entry)
                });
                if let Some(first) = report.entries.first_mut() {
                    first.prepend_notes(notes);
                }
                report
            }
            Err(err) => PlanReport {
                operation: Operation::Mount,
                backend: self.backend.kind(),
                entries: plan
                    .entries()
                    .iter()
                    .map(|entry| failed(skipped(entry, ""), &err, Instant::now()))
                    .collect(),
            },
        }
    }

    /// Repairs dead, hung and missing mounts of the plan; healthy ones are not touched.
    pub fn repair(&self, plan: &MountPlan) -> PlanReport {
        self.run_entries(plan, Operation::Repair, |entry| {
            self.repair_entry(plan, entry)
        })
    }

    /// Runs `work` on the configuration repository first, then on the others in waves of
    /// parallel work: an entry waits for the entries whose targets contain its own.
    fn run_entries(
        &self,
        plan: &MountPlan,
        operation: Operation,
        work: impl Fn(&PlanEntry) -> EntryReport + Sync,
    ) -> PlanReport {
        let work = |entry: &PlanEntry| {
            let report = work(entry);
            if let Some(hook) = &self.progress {
                hook(operation, &report);
            }
            report
        };
        let entries = plan.entries();
        let mut reports: Vec<Option<EntryReport>> = vec![None; entries.len()];
        let mut start = 0;
        if let Some(first) = entries
            .first()
            .filter(|e| e.role() == EntryRole::ConfigRepository)
        {
            let mut report = work(first);
            if !report.outcome.is_success() {
                if self.options.config_repo_required {
                    let reason = format!(
                        "the configuration repository {} failed and CVMFS_CONFIG_REPO_REQUIRED is on",
                        first.target().display()
                    );
                    for (slot, entry) in reports.iter_mut().zip(entries).skip(1) {
                        *slot = Some(skipped(entry, &reason));
                    }
                } else {
                    report.warnings.push(
                        "the configuration repository is optional: the others use the local configuration".to_owned(),
                    );
                }
            }
            reports[0] = Some(report);
            start = 1;
        }
        loop {
            let ready: Vec<usize> = (start..entries.len())
                .filter(|&i| reports[i].is_none())
                .filter(|&i| {
                    (start..entries.len()).all(|j| {
                        j == i
                            || reports[j].is_some()
                            || !entries[i].target().starts_with(entries[j].target())
                    })
                })
                .collect();
            if ready.is_empty() {
                break;
            }
            let done: Vec<(usize, EntryReport)> = thread::scope(|scope| {
                let handles: Vec<_> = ready
                    .iter()
                    .map(|&i| {
                        let work = &work;
                        let entry = &entries[i];
                        (i, scope.spawn(move || work(entry)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|(i, handle)| {
                        let report = handle.join().unwrap_or_else(|_| EntryReport {
                            outcome: Outcome::Failed,
                            error: Some(ErrorReport {
                                kind: "panic".to_owned(),
                                message: "the worker for this entry panicked".to_owned(),
                            }),
                            ..skipped(&entries[i], "")
                        });
                        (i, report)
                    })
                    .collect()
            });
            for (i, report) in done {
                reports[i] = Some(report);
            }
        }
        PlanReport {
            operation,
            backend: self.backend.kind(),
            entries: reports
                .into_iter()
                .zip(entries)
                .map(|(report, entry)| report.unwrap_or_else(|| skipped(entry, "not reached")))
                .collect(),
        }
    }

    fn mount_entry(&self, plan: &MountPlan, entry: &PlanEntry) -> EntryReport {
        let started = Instant::now();
        let mut report = skipped(entry, "");
        let expect = entry_expectation(entry);
        let before = match probe_one(
            &self.ops,
            entry.target(),
            expect,
            self.options.probe_timeout,
        ) {
            Ok(result) => result,
            Err(err) => return failed(report, &err, started),
        };
        report.health_before = Some(before.health.clone());
        if before.health.is_serving() {
            report.outcome = Outcome::AlreadyMounted;
            report.elapsed_ms = millis(started);
            return report;
        }
        if before.health.is_foreign() {
            let err = MountError::VerifyFailed {
                target: entry.target().to_owned(),
                state: format!(
                    "{}; occupied by another mount, left untouched",
                    before.health
                ),
            };
            return failed(report, &err, started);
        }
        if before.health != Health::NotMounted
            && let Err(err) = self.clear_broken(&before, &mut report.actions)
        {
            return failed(report, &err, started);
        }
        match self.run_steps(plan, entry, &mut report) {
            Ok(()) => {
                report.outcome = Outcome::Mounted;
                report.elapsed_ms = millis(started);
                report
            }
            Err(err) => failed(report, &err, started),
        }
    }

    /// Gets a dead or hung mount out of the way: abort a hung connection, then detach.
    /// A mount that is already gone (the client's watchdog was faster) is fine.
    fn clear_broken(
        &self,
        found: &ProbeResult,
        actions: &mut Vec<String>,
    ) -> Result<(), MountError> {
        if let (Health::Hung { .. }, Some(minor)) = (&found.health, found.minor) {
            match self.ops.abort_fuse_connection(minor) {
                Ok(()) => actions.push(format!("aborted FUSE connection {minor}")),
                // Detaching still frees the mountpoint; processes already blocked on the
                // old mount stay blocked until its server ends.
                Err(source) => actions.push(format!(
                    "{}; detaching anyway",
                    MountError::AbortConnection { minor, source }
                )),
            }
        }
        match self.ops.umount(&found.path, MntFlags::MNT_DETACH) {
            Ok(()) => actions.push(format!("lazily unmounted {}", found.path.display())),
            Err(Errno::EINVAL | Errno::ENOENT) => {
                actions.push(format!("{} was already unmounted", found.path.display()));
            }
            Err(errno) => {
                return Err(MountError::Unmount {
                    target: found.path.clone(),
                    errno,
                });
            }
        }
        Ok(())
    }

    /// Runs the entry's steps; when a step after the mount fails, the mount is undone.
    /// Repositories verified below a whole-root bind share one deadline, and one that
    /// does not appear is a warning: the bind itself worked, and the source serves them.
    fn run_steps(
        &self,
        plan: &MountPlan,
        entry: &PlanEntry,
        report: &mut EntryReport,
    ) -> Result<(), MountError> {
        let mut mounted = false;
        let mut deadline = None;
        for step in entry.steps() {
            if let Step::Verify { target, check } = step {
                let expect = match check {
                    Verification::Repository { fqrn } => {
                        Expectation::Repository { fqrn: fqrn.clone() }
                    }
                    Verification::Mountpoint => Expectation::Mountpoint,
                };
                let until =
                    *deadline.get_or_insert_with(|| Instant::now() + self.options.verify_wait);
                match self.wait_healthy(target, expect, until) {
                    Ok(()) => report.actions.push(step.to_string()),
                    Err(err) if target != entry.target() => report.warnings.push(err.to_string()),
                    Err(err) => return Err(self.roll_back(entry, report, mounted, err)),
                }
                continue;
            }
            if let Err(err) = self.run_step(plan, step, report) {
                return Err(self.roll_back(entry, report, mounted, err));
            }
            mounted |= matches!(step, Step::Mount { .. });
            report.actions.push(step.to_string());
        }
        Ok(())
    }

    /// Undoes this entry's mount after a later step failed; returns the error.
    fn roll_back(
        &self,
        entry: &PlanEntry,
        report: &mut EntryReport,
        mounted: bool,
        err: MountError,
    ) -> MountError {
        if mounted {
            match self.ops.umount(entry.target(), MntFlags::MNT_DETACH) {
                Ok(()) => report.actions.push(format!(
                    "rolled back: unmounted {}",
                    entry.target().display()
                )),
                Err(errno) => report.warnings.push(format!(
                    "could not roll back {}: {errno}",
                    entry.target().display()
                )),
            }
        }
        err
    }

    fn run_step(
        &self,
        plan: &MountPlan,
        step: &Step,
        report: &mut EntryReport,
    ) -> Result<(), MountError> {
        let ops = self.ops.as_ref();
        match step {
            Step::CreateMountpoint { target } => {
                report
                    .created_dirs
                    .extend(create_mountpoint(ops, plan.root(), target)?);
                ensure_empty(ops, target, self.options.allow_non_empty)
            }
            Step::Mount { target, source } => {
                report.add_notes(self.backend.mount(ops, source, target)?);
                Ok(())
            }
            Step::SetPropagation {
                target,
                propagation,
            } => ops
                .mount(
                    None,
                    target,
                    None,
                    flags::propagation_flags(*propagation),
                    None,
                )
                .map_err(|errno| MountError::SetPropagation {
                    target: target.clone(),
                    propagation: *propagation,
                    errno,
                }),
            Step::RemountReadOnly { target } => ops
                .mount(None, target, None, flags::REMOUNT_BIND_READ_ONLY, None)
                .map_err(|errno| MountError::RemountReadOnly {
                    target: target.clone(),
                    errno,
                }),
            // Verification is handled by `run_steps`, which owns the shared deadline.
            Step::Verify { .. } => Ok(()),
        }
    }

    /// Polls a target until it is healthy or the verify wait is over. Accessing the path
    /// also triggers an automounter.
    fn wait_healthy(
        &self,
        target: &Path,
        expect: Expectation,
        deadline: Instant,
    ) -> Result<(), MountError> {
        let started = Instant::now();
        loop {
            let result = probe_one(
                &self.ops,
                target,
                expect.clone(),
                self.options.probe_timeout,
            )?;
            if result.health.is_healthy() {
                return match result.server_version {
                    Some(version) if result.is_stand_in() && self.backend.refuses_stand_in() => {
                        Err(MountError::ServedByStandIn {
                            target: target.to_owned(),
                            version,
                        })
                    }
                    _ => Ok(()),
                };
            }
            if Instant::now() >= deadline || matches!(result.health, Health::Hung { .. }) {
                return Err(match expect {
                    Expectation::Repository { fqrn } if result.health == Health::NotMounted => {
                        MountError::RepositoryDidNotAppear {
                            fqrn,
                            target: target.to_owned(),
                            waited: started.elapsed(),
                            state: result.health.to_string(),
                        }
                    }
                    _ => MountError::VerifyFailed {
                        target: target.to_owned(),
                        state: result.health.to_string(),
                    },
                });
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// Unmounts the plan in reverse order. Only mounts of the expected shape at plan
    /// targets are unmounted; anything else is reported and left alone.
    pub fn unmount(&self, plan: &MountPlan) -> PlanReport {
        self.unmount_where(plan, |_| true)
    }

    /// Undoes a [`Engine::mount`]: unmounts exactly the entries `mounted` reports as
    /// mounted by it, in reverse order. Repositories that were mounted before (by
    /// someone else) and entries that failed are not touched.
    pub fn undo_mount(&self, plan: &MountPlan, mounted: &PlanReport) -> PlanReport {
        let mut undone = self.unmount_where(plan, |entry| {
            mounted
                .entry(entry.target())
                .is_some_and(|report| report.outcome == Outcome::Mounted)
        });
        // Then the directories the mount created, innermost first; one that is busy or
        // holds something now is left (and said so).
        let mut created: Vec<(&std::path::Path, &std::path::Path)> = mounted
            .entries
            .iter()
            .flat_map(|e| {
                e.created_dirs
                    .iter()
                    .map(|d| (e.target.as_path(), d.as_path()))
            })
            .collect();
        created.sort_by_key(|(_, dir)| std::cmp::Reverse(dir.components().count()));
        for (target, dir) in created {
            let note = match self.ops.rmdir(dir) {
                Ok(()) => format!("removed the directory {} it created", dir.display()),
                Err(Errno::ENOENT) => continue,
                Err(errno) => format!(
                    "left the directory {} it created: {}",
                    dir.display(),
                    errno.desc()
                ),
            };
            if let Some(entry) = undone.entries.iter_mut().find(|e| e.target == target) {
                entry.actions.push(note);
            } else {
                log::info!("{note}");
            }
        }
        undone
    }

    fn unmount_where(&self, plan: &MountPlan, chosen: impl Fn(&PlanEntry) -> bool) -> PlanReport {
        let mut entries = Vec::new();
        for target in plan.unmount_order() {
            let Some(entry) = plan.entries().iter().find(|e| e.target() == target) else {
                continue;
            };
            if chosen(entry) {
                entries.push(self.unmount_entry(entry));
            }
        }
        // Reports in plan order.
        entries.reverse();
        PlanReport {
            operation: Operation::Unmount,
            backend: self.backend.kind(),
            entries,
        }
    }

    /// What is mounted at the entry's target, judged by the shape this entry mounts.
    fn found_at(&self, entry: &PlanEntry) -> Result<FoundAtTarget, MountError> {
        let mut text = TableText::read(self.ops.as_ref())?;
        let table = text.parse()?;
        Ok(match table.visible_at(path_bytes(entry.target())) {
            None => FoundAtTarget::Nothing,
            Some(mount) => match entry_expectation(entry) {
                Expectation::Repository { .. } if !mount.is_fuse() => FoundAtTarget::Foreign,
                _ => FoundAtTarget::OurShape,
            },
        })
    }

    fn unmount_entry(&self, entry: &PlanEntry) -> EntryReport {
        let started = Instant::now();
        let mut report = skipped(entry, "");
        // Stacked copies of our mount are removed too, within a bound.
        for round in 0..8 {
            match self.found_at(entry) {
                Err(err) => return failed(report, &err, started),
                Ok(FoundAtTarget::Nothing) => {
                    report.outcome = if round == 0 {
                        Outcome::NotMounted
                    } else {
                        Outcome::Unmounted
                    };
                    report.elapsed_ms = millis(started);
                    return report;
                }
                Ok(FoundAtTarget::Foreign) if round == 0 => {
                    let err = MountError::NotInPlan {
                        target: entry.target().to_owned(),
                    };
                    return failed(report, &err, started);
                }
                Ok(FoundAtTarget::Foreign) => break,
                Ok(FoundAtTarget::OurShape) => {
                    if let Err(err) = self.backend.unmount(self.ops.as_ref(), entry.target()) {
                        return failed(report, &err, started);
                    }
                    report
                        .actions
                        .push(format!("unmounted {}", entry.target().display()));
                }
            }
        }
        report.outcome = Outcome::Unmounted;
        report.elapsed_ms = millis(started);
        report
    }

    fn repair_entry(&self, plan: &MountPlan, entry: &PlanEntry) -> EntryReport {
        let started = Instant::now();
        let mut report = skipped(entry, "");
        let mut pause = self.options.backoff;
        let mut last_error = None;
        for attempt in 1..=self.options.repair_attempts.max(1) {
            let found = match probe_one(
                &self.ops,
                entry.target(),
                entry_expectation(entry),
                self.options.probe_timeout,
            ) {
                Ok(found) => found,
                Err(err) => return failed(report, &err, started),
            };
            if report.health_before.is_none() {
                report.health_before = Some(found.health.clone());
            }
            let degraded = matches!(found.health, Health::Degraded { .. });
            if degraded && !self.options.remount_degraded {
                report.outcome = Outcome::LeftDegraded;
                report.warnings.push(format!(
                    "{} serves with {}; left mounted, as a remount breaks files open on it (remount it with --remount-degraded)",
                    entry.target().display(),
                    found.health
                ));
                report.elapsed_ms = millis(started);
                return report;
            }
            if found.health.is_serving() && !degraded {
                report.outcome = if attempt == 1 {
                    Outcome::Healthy
                } else {
                    Outcome::Repaired
                };
                report.elapsed_ms = millis(started);
                return report;
            }
            if !found.health.needs_repair() && !degraded {
                let err = MountError::VerifyFailed {
                    target: entry.target().to_owned(),
                    state: format!("{}; not ours, left untouched", found.health),
                };
                return failed(report, &err, started);
            }
            report.actions.push(format!(
                "attempt {attempt}: {} is {}",
                entry.target().display(),
                found.health
            ));
            let result = if found.health == Health::NotMounted {
                Ok(())
            } else {
                self.clear_broken(&found, &mut report.actions)
            };
            match result.and_then(|()| self.run_steps(plan, entry, &mut report)) {
                Ok(()) => {
                    report.outcome = Outcome::Repaired;
                    report.elapsed_ms = millis(started);
                    return report;
                }
                Err(err) => {
                    report
                        .actions
                        .push(format!("attempt {attempt} failed: {err}"));
                    last_error = Some(err);
                }
            }
            if attempt < self.options.repair_attempts {
                thread::sleep(pause);
                pause *= 2;
            }
        }
        match last_error {
            Some(err) => failed(report, &err, started),
            None => report,
        }
    }
}

fn skipped(entry: &PlanEntry, reason: &str) -> EntryReport {
    EntryReport {
        target: entry.target().to_owned(),
        repository: entry.repository().cloned(),
        role: entry.role(),
        outcome: Outcome::Skipped,
        health_before: None,
        actions: Vec::new(),
        warnings: if reason.is_empty() {
            Vec::new()
        } else {
            vec![reason.to_owned()]
        },
        error: None,
        elapsed_ms: 0,
        created_dirs: Vec::new(),
    }
}

fn failed(mut report: EntryReport, err: &MountError, started: Instant) -> EntryReport {
    report.outcome = Outcome::Failed;
    report.error = Some(ErrorReport::from(err));
    report.elapsed_ms = millis(started);
    report
}

#[cfg(test)]
mod tests;
