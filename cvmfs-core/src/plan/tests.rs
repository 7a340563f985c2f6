use super::*;
use proptest::prelude::*;

fn fqrn(name: &str) -> Fqrn {
    Fqrn::parse(name).unwrap()
}

fn select(value: &str) -> Selection {
    Selection::parse(Some(value), &Catalog::cms()).unwrap()
}

fn build(value: &str, backend: Backend, options: &PlanOptions) -> Result<MountPlan, PlanError> {
    MountPlan::build(&select(value), &Catalog::cms(), backend, options)
}

fn snapshot() -> Backend {
    Backend::Snapshot {
        source_dir: Some(PathBuf::from("/srv/snap")),
    }
}

fn problems(err: PlanError) -> Vec<PlanProblem> {
    match err {
        PlanError::Invalid { problems } | PlanError::InvalidOptions { problems } => problems,
        other => panic!("not a plan error: {other:?}"),
    }
}

#[test]
fn helper_plan_mounts_the_config_repository_first() {
    let plan = build("sft cms", Backend::Cvmfs2Helper, &PlanOptions::default()).unwrap();
    let targets: Vec<&str> = plan
        .entries()
        .iter()
        .map(|e| e.target().to_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "/cvmfs/cvmfs-config.cern.ch",
            "/cvmfs/sft.cern.ch",
            "/cvmfs/cms.cern.ch"
        ]
    );
    assert_eq!(plan.entries()[0].role(), EntryRole::ConfigRepository);
    let first: Vec<&str> = plan.entries()[1].steps().iter().map(Step::action).collect();
    assert_eq!(first, ["create-mountpoint", "mount", "verify"]);
    assert_eq!(
        plan.unmount_order(),
        [
            "/cvmfs/cms.cern.ch",
            "/cvmfs/sft.cern.ch",
            "/cvmfs/cvmfs-config.cern.ch"
        ]
        .map(PathBuf::from)
    );
}

#[test]
fn config_repository_selected_explicitly_is_not_mounted_twice() {
    let plan = build(
        "sft cvmfs-config.cern.ch",
        Backend::Cvmfs2Helper,
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(plan.entries().len(), 2);
    assert_eq!(
        plan.entries()[0].repository().unwrap().as_str(),
        "cvmfs-config.cern.ch"
    );
}

#[test]
fn snapshot_plan_needs_no_config_repository() {
    let plan = build("cms oasis", snapshot(), &PlanOptions::default()).unwrap();
    assert_eq!(plan.entries().len(), 2);
    assert_eq!(
        plan.entries()[0].steps()[1],
        Step::Mount {
            target: PathBuf::from("/cvmfs/cms.cern.ch"),
            source: MountSource::Snapshot {
                fqrn: fqrn("cms.cern.ch"),
                directory: Some(PathBuf::from("/srv/snap/cms.cern.ch")),
            },
        }
    );
}

#[test]
fn nothing_selected_is_an_empty_plan() {
    let plan = MountPlan::build(
        &Selection::nothing(),
        &Catalog::cms(),
        Backend::Cvmfs2Helper,
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(plan.entries().is_empty());
    assert!(plan.to_table(None).contains("Nothing is selected"));
}

#[test]
fn host_bind_per_repository_is_bind_propagation_then_read_only() {
    let options = PlanOptions {
        read_only: true,
        propagation: Some(Propagation::Slave),
        ..PlanOptions::default()
    };
    let backend = Backend::HostBind {
        source_root: Some(PathBuf::from("/host/cvmfs")),
        plain_source: false,
    };
    let plan = build("cms", backend, &options).unwrap();
    let actions: Vec<&str> = plan.steps().map(Step::action).collect();
    assert_eq!(
        actions,
        [
            "create-mountpoint",
            "mount",
            "set-propagation",
            "remount-read-only",
            "verify"
        ]
    );
}

#[test]
fn host_bind_of_all_binds_the_whole_root_rslave() {
    let backend = Backend::HostBind {
        source_root: Some(PathBuf::from("/host/cvmfs")),
        plain_source: false,
    };
    let plan = build("all", backend, &PlanOptions::default()).unwrap();
    assert_eq!(plan.entries().len(), 1);
    let entry = &plan.entries()[0];
    assert_eq!(entry.role(), EntryRole::Root);
    assert_eq!(
        entry.steps()[2],
        Step::SetPropagation {
            target: PathBuf::from("/cvmfs"),
            propagation: Propagation::RSlave
        }
    );
    assert_eq!(entry.verified_repositories().count(), 9);
}

#[test]
fn automounter_binds_the_shared_dir_and_verifies_each_repository() {
    let backend = Backend::AutomounterSlave {
        shared_dir: PathBuf::from("/shared-mounts/cvmfs"),
    };
    let plan = build("cms sft", backend, &PlanOptions::default()).unwrap();
    let steps: Vec<String> = plan.steps().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [
            "create-mountpoint /cvmfs",
            "mount /cvmfs (recursive bind of /shared-mounts/cvmfs)",
            "set-propagation /cvmfs (rslave)",
            "verify /cvmfs (is a mountpoint)",
            "verify /cvmfs/cms.cern.ch (client mount of cms.cern.ch)",
            "verify /cvmfs/sft.cern.ch (client mount of sft.cern.ch)",
        ]
    );
}

#[test]
fn target_overrides_put_parents_first() {
    let mut options = PlanOptions::default();
    options.targets.insert(
        fqrn("cms.cern.ch"),
        PathBuf::from("/cvmfs/sft.cern.ch/nested"),
    );
    let plan = build("cms sft", snapshot(), &options).unwrap();
    let targets: Vec<&str> = plan
        .entries()
        .iter()
        .map(|e| e.target().to_str().unwrap())
        .collect();
    assert_eq!(targets, ["/cvmfs/sft.cern.ch", "/cvmfs/sft.cern.ch/nested"]);
}

#[test]
fn every_bad_option_is_reported_at_once() {
    let mut options = PlanOptions {
        root: PathBuf::from("relative/root"),
        ..PlanOptions::default()
    };
    options
        .targets
        .insert(fqrn("atlas.cern.ch"), PathBuf::from("/etc/x"));
    let backend = Backend::Snapshot {
        source_dir: Some(PathBuf::from("snap")),
    };
    let found = problems(build("cms", backend, &options).unwrap_err());
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(matches!(&found[0], PlanProblem::BadPath { what, .. } if what == "mount root"));
    assert!(
        matches!(&found[1], PlanProblem::BadPath { what, .. } if what == "snapshot source directory")
    );
    assert!(matches!(&found[2], PlanProblem::OverrideNotSelected { .. }));
}

#[test]
fn overrides_outside_the_root_and_overlapping_sources_are_refused() {
    let mut options = PlanOptions::default();
    options
        .targets
        .insert(fqrn("cms.cern.ch"), PathBuf::from("/etc"));
    let found = problems(build("cms", snapshot(), &options).unwrap_err());
    assert!(matches!(
        &found[..],
        [PlanProblem::TargetOutsideRoot { .. }]
    ));

    let backend = Backend::HostBind {
        source_root: Some(PathBuf::from("/cvmfs/inner")),
        plain_source: false,
    };
    let found = problems(build("cms", backend, &PlanOptions::default()).unwrap_err());
    assert!(matches!(
        &found[..],
        [PlanProblem::SourceOverlapsRoot { .. }]
    ));

    let slash = PlanOptions {
        root: PathBuf::from("/"),
        ..PlanOptions::default()
    };
    let found = problems(build("cms", snapshot(), &slash).unwrap_err());
    assert_eq!(found, [PlanProblem::RootIsSlash]);
}

#[test]
fn validate_catches_tampered_plans() {
    let plan = build("cms sft", Backend::Cvmfs2Helper, &PlanOptions::default()).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    // Swap the config repository behind another entry and break the unmount order.
    json["entries"].as_array_mut().unwrap().swap(0, 1);
    let found = problems(MountPlan::from_json(&json.to_string()).unwrap_err());
    assert!(
        found
            .iter()
            .any(|p| matches!(p, PlanProblem::ConfigRepositoryNotFirst { position: 1 }))
    );
    assert!(
        found
            .iter()
            .any(|p| matches!(p, PlanProblem::UnmountOrderNotReverse { .. }))
    );

    let mut json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    json["entries"][1]["target"] = serde_json::json!("/cvmfs/cvmfs-config.cern.ch");
    json["entries"][2]["steps"][0]["target"] = serde_json::json!("/etc");
    let found = problems(MountPlan::from_json(&json.to_string()).unwrap_err());
    assert!(
        found
            .iter()
            .any(|p| matches!(p, PlanProblem::DuplicateTarget { .. }))
    );
    assert!(
        found
            .iter()
            .any(|p| matches!(p, PlanProblem::StepOutsideEntry { .. }))
    );
}

#[test]
fn json_and_toml_round_trip() {
    let mut options = PlanOptions {
        read_only: true,
        ..PlanOptions::default()
    };
    options
        .targets
        .insert(fqrn("cms.cern.ch"), PathBuf::from("/cvmfs/x/cms"));
    let backend = Backend::HostBind {
        source_root: Some(PathBuf::from("/host/cvmfs")),
        plain_source: false,
    };
    let plan = build("cms sft", backend, &options).unwrap();
    assert_eq!(MountPlan::from_json(&plan.to_json()).unwrap(), plan);
    let toml = plan.to_toml().unwrap();
    assert_eq!(MountPlan::from_toml(&toml).unwrap(), plan);
    assert!(plan.to_json().contains("\"kind\": \"host-bind\""));
}

#[test]
fn table_lists_every_step_and_the_unmount_order() {
    let plan = build("cms", Backend::Cvmfs2Helper, &PlanOptions::default()).unwrap();
    let table = plan.to_table(None);
    assert!(table.contains("cvmfs-config.cern.ch (config)"), "{table}");
    assert!(table.contains("mount -t cvmfs cms.cern.ch"), "{table}");
    assert_eq!(table.matches("create-mountpoint").count(), 2, "{table}");
    assert!(
        table.ends_with("Unmount order:\n  /cvmfs/cms.cern.ch\n  /cvmfs/cvmfs-config.cern.ch\n"),
        "{table}"
    );
}

fn backend_strategy() -> impl Strategy<Value = Backend> {
    prop_oneof![
        Just(Backend::Cvmfs2Helper),
        Just(Backend::HostBind {
            source_root: Some(PathBuf::from("/host/cvmfs")),
            plain_source: false
        }),
        Just(Backend::AutomounterSlave {
            shared_dir: PathBuf::from("/shared-mounts/cvmfs")
        }),
        Just(Backend::Snapshot {
            source_dir: Some(PathBuf::from("/srv/snap"))
        }),
    ]
}

proptest! {
    /// Every plan the builder returns satisfies the invariants, independently re-checked.
    #[test]
    fn built_plans_satisfy_the_invariants(
        names in proptest::collection::vec("xqz[a-z]{0,5}(\\.[a-z]{2,4})?", 0..8),
        backend in backend_strategy(),
        root in "/[a-z]{1,8}(/[a-z]{1,8})?",
        read_only in any::<bool>(),
        nest in proptest::option::of(0usize..8),
    ) {
        let catalog = Catalog::cms();
        let selection = Selection::parse(Some(&names.join(" ")), &catalog).unwrap();
        let mut options = PlanOptions { root: PathBuf::from(&root), read_only, ..PlanOptions::default() };
        // Optionally nest one repository below another to exercise parent ordering.
        if let (Some(i), [first, ..]) = (nest, selection.repositories())
            && let Some(child) = selection.repositories().get(i).filter(|c| *c != first)
        {
            options.targets.insert(child.clone(), PathBuf::from(&root).join(first.as_str()).join("inner"));
        }
        let plan = match MountPlan::build(&selection, &catalog, backend.clone(), &options) {
            Ok(plan) => plan,
            // The only refusal: target overrides with a backend that binds the whole
            // root (the automounter always does; host-bind does for `all` and on request).
            Err(PlanError::InvalidOptions { problems }) => {
                let whole_root = matches!(backend, Backend::AutomounterSlave { .. } | Backend::HostBind { .. });
                prop_assert!(whole_root && !options.targets.is_empty(), "{problems:?}");
                prop_assert!(
                    !problems.is_empty()
                        && problems.iter().all(|p| matches!(p, PlanProblem::OverrideWithWholeRoot { .. })),
                    "{problems:?}"
                );
                return Ok(());
            }
            Err(other) => {
                prop_assert!(false, "unexpected refusal: {other}");
                return Ok(());
            }
        };
        prop_assert!(plan.validate().is_ok());
        let mut targets = HashSet::new();
        for (i, entry) in plan.entries().iter().enumerate() {
            prop_assert!(entry.target().starts_with(&root));
            prop_assert!(targets.insert(entry.target().to_owned()));
            for earlier in &plan.entries()[..i] {
                prop_assert!(!earlier.target().starts_with(entry.target()) || earlier.target() == entry.target());
            }
            if entry.role() == EntryRole::ConfigRepository {
                prop_assert_eq!(i, 0);
            }
        }
        if backend.needs_config_repository() && !selection.is_empty() {
            prop_assert_eq!(plan.entries()[0].role(), EntryRole::ConfigRepository);
        }
        let reversed: Vec<PathBuf> = plan.entries().iter().rev().map(|e| e.target().to_owned()).collect();
        prop_assert_eq!(plan.unmount_order(), reversed.as_slice());
        for fqrn in selection.repositories() {
            prop_assert!(plan.repositories().contains(&fqrn));
        }
        prop_assert_eq!(MountPlan::from_json(&plan.to_json()).unwrap(), plan);
    }
}
