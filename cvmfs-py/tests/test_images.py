"""Images DUCC publishes unpacked: resolve_image and image_command on a tree laid out as
DUCC lays out unpacked.cern.ch (busybox images built by the CLI tests' script; the
mounted case is cvmfs-cli/tests/images.rs)."""

import os
import pathlib
import subprocess

import pytest

import cvmfs_mount as cm

SCRIPT = (
    pathlib.Path(__file__).resolve().parents[2]
    / "cvmfs-cli"
    / "tests"
    / "images"
    / "make-unpacked.sh"
)
BUSYBOX = "https://registry.hub.docker.com/library/busybox"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    if not os.path.exists("/bin/busybox"):
        if os.environ.get("CVMFS_REQUIRE_PRIVILEGED") == "1":
            pytest.fail("busybox-static is required (CVMFS_REQUIRE_PRIVILEGED=1)")
        pytest.skip("no /bin/busybox")
    root = tmp_path_factory.mktemp("cvmfs") / "unpacked.cern.ch"
    made = subprocess.run(
        ["bash", str(SCRIPT), str(root)], check=True, capture_output=True, text=True
    ).stdout
    configs = dict(
        line[len("tag=") :].split(" config=")
        for line in made.splitlines()
        if line.startswith("tag=")
    )
    return root, configs


def test_resolve_image_finds_the_flat_and_expands_wildcards(tree):
    root, configs = tree
    found = cm.resolve_image(f"{BUSYBOX}:1.36.1", repository_root=str(root))
    image = found["images"][0]
    assert image["config_digest"] == "sha256:" + configs["1.36.1"]
    assert pathlib.Path(image["canonical_path"]).parent.name == configs["1.36.1"][:2]
    names = {v["name"]: v["value"] for v in image["environment"]["variables"]}
    assert names["GREETING"] == "hello from busybox 1.36"
    wild = cm.resolve_image(f"{BUSYBOX}:1.3*", repository_root=str(root))
    assert [i["reference"] for i in wild["images"]] == ["1.36", "1.36.1", "1.37.0"]
    with pytest.raises(FileNotFoundError, match="busybox:2.0 is not published"):
        cm.resolve_image(f"{BUSYBOX}:2.0", repository_root=str(root))
    with pytest.raises(cm.InvalidInputError, match="not a registry host"):
        cm.resolve_image("library/centos:7", repository_root=str(root))


def test_image_command_for_podman_apptainer_and_docker(tree):
    root, configs = tree
    podman = cm.image_command(
        f"{BUSYBOX}:1.37.0", "podman", ["env"], repository_root=str(root)
    )
    assert podman[:3] == ["podman", "run", "--rm"]
    assert "GREETING=hello from busybox 1.37" in podman
    assert podman[-2].endswith(configs["1.37.0"] + ":O")
    apptainer = cm.image_command(
        f"{BUSYBOX}:1.36", "apptainer", ["id"], repository_root=str(root)
    )
    assert apptainer == [
        "apptainer",
        "exec",
        "-B",
        str(root.parent),
        f"{root}/registry.hub.docker.com/library/busybox:1.36",
        "id",
    ]
    with pytest.raises(cm.InvalidInputError, match="Docker 28"):
        cm.image_command(f"{BUSYBOX}:1.36", "docker", repository_root=str(root))
    with pytest.raises(cm.InvalidInputError, match="wildcard"):
        cm.image_command(f"{BUSYBOX}:*", "podman", repository_root=str(root))
