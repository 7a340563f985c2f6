import pytest

import cvmfs_mount as cm


def test_helper_plans_put_the_configuration_repository_first():
    plan = cm.MountPlan("sft cms", backend="cvmfs2-helper")
    assert plan.targets == ["/cvmfs/cvmfs-config.cern.ch", "/cvmfs/sft.cern.ch", "/cvmfs/cms.cern.ch"]
    assert plan.unmount_order == list(reversed(plan.targets))
    assert [s.action for s in plan.steps[:3]] == ["create-mountpoint", "mount", "verify"]
    assert plan.steps[1].detail == "mount -t cvmfs cvmfs-config.cern.ch"
    plan.validate()


def test_plans_round_trip_through_json_and_compare_equal():
    plan = cm.MountPlan("cms", backend="host-bind", source="/host/cvmfs", read_only=True, propagation="rslave")
    again = cm.MountPlan.from_json(plan.to_json())
    assert again == plan
    assert "backend='host-bind'" in repr(plan)
    assert [s.action for s in plan.steps] == ["create-mountpoint", "mount", "set-propagation", "remount-read-only", "verify"]


def test_the_default_backend_is_never_the_stand_in_and_a_plan_needs_no_source_to_be_shown():
    assert "backend='snapshot'" not in repr(cm.MountPlan("cms"))
    plan = cm.MountPlan("cms", backend="snapshot")
    assert plan.steps[1].detail == "snapshot of <--source not given>"
    assert cm.MountPlan.from_json(plan.to_json()) == plan


def test_mounting_a_plan_without_its_source_is_refused_and_creates_nothing(tmp_path):
    root = tmp_path / "cvmfs"
    plan = cm.MountPlan("cms", backend="snapshot", root=str(root))
    results = cm.mount(plan)
    assert [r.ok for r in results] == [False]
    assert "pass --source" in results[0].error
    assert not root.exists()


def test_bad_plans_raise_invalid_input():
    with pytest.raises(cm.InvalidInputError, match="unknown backend"):
        cm.MountPlan("cms", backend="docker")
    with pytest.raises(cm.InvalidInputError, match="invalid propagation"):
        cm.MountPlan("cms", backend="cvmfs2-helper", propagation="sideways")
    with pytest.raises(cm.InvalidInputError, match="must not be / itself"):
        cm.MountPlan("cms", backend="cvmfs2-helper", root="/")
    with pytest.raises(cm.InvalidInputError, match="JSON"):
        cm.MountPlan.from_json("{")
