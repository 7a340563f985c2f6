//! Images from CVMFS for real: a repository laid out as DUCC lays out unpacked.cern.ch
//! (busybox-static in `.flat`, layers, chains, `.metadata`, public links for several tags,
//! a multi-architecture variant link, DUCC's Singularity files), published with our own
//! publisher and mounted with the native backend inside `unshare -m --propagation
//! private`. `image resolve` (exact, wildcard, multi-architecture, missing) and `image
//! run --runtime podman` run against it. Apptainer is not packaged for Debian 12: its
//! command line is checked, not run. Without root, /dev/fuse, podman, runc or busybox
//! the test says it skipped; with CVMFS_REQUIRE_PRIVILEGED=1 (CI) it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

mod common;

use common::{assert_printed, can_run, in_namespace};

const SCRIPT: &str = r#"
D=$WORK
bash "$MAKE_UNPACKED" $D/tree > $D/made.txt
"$CLI" publish $D/tree --fqrn unpacked.cern.ch --out $D/served/unpacked.cern.ch --keys-dir $D/keys >/dev/null
E=(--root $D/cvmfs --backend native --server-url "file://$D/served/@fqrn@" --key $D/keys/unpacked.cern.ch.pub --cache-dir $D/cache)
# This machine's podman: runc, cgroupfs, no network, limits the VM allows.
cat > $D/containers.conf <<'CONF'
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF=$D/containers.conf
mounted() { grep -c " $D/cvmfs/unpacked.cern.ch " /proc/self/mountinfo || true; }
B=https://registry.hub.docker.com/library/busybox

echo "== a runtime that cannot start: the mount this run made is undone"
mkdir -p $D/nobin
set +e
PATH=$D/nobin "$CLI" image run --runtime apptainer $B:1.36 "${E[@]}" -- true 2> $D/apptainer-run.err
echo "apptainer-run-exit=$?"
set -e
echo "after-apptainer-mounts=$(mounted)"

echo "== run mounts the repository, runs podman on the flat, unmounts"
set +e
"$CLI" image run $B:1.37.0 "${E[@]}" -- sh -c 'echo "greeting=$GREETING"; cat /etc/motd; busybox echo "busybox-ran"; exit 5'
echo "run-exit=$?"
set -e
echo "after-run-mounts=$(mounted)"

echo "== resolve mounts and leaves it mounted"
"$CLI" image resolve --json $B:1.36 "${E[@]}" > $D/exact.json
echo "after-resolve-mounts=$(mounted)"
"$CLI" image resolve --json "$B:1.3*" "${E[@]}" > $D/wild.json
"$CLI" image resolve --json $B:multi "${E[@]}" > $D/multi.json
"$CLI" image resolve "$B:1.3*" "${E[@]}" | grep -c "^  flat" | sed 's/^/wild-text-images=/'
set +e
"$CLI" image resolve $B:9.9 "${E[@]}" 2> $D/missing.err
echo "missing-exit=$?"
"$CLI" image resolve "https://ghcr.io/nobody/nothing:*" "${E[@]}" 2> $D/nomatch.err
echo "nomatch-exit=$?"
set -e

echo "== run on a mount that was there keeps it"
"$CLI" image run $B:1.36 "${E[@]}" -- sh -c 'echo "greeting=$GREETING"'
echo "after-second-run-mounts=$(mounted)"
"$CLI" image run --dry-run --runtime apptainer $B:1.36 "${E[@]}" -- cat /etc/motd > $D/apptainer.txt
set +e
"$CLI" image run --runtime docker $B:1.36 "${E[@]}" -- true 2> $D/docker.err
echo "docker-exit=$?"
set -e
"$CLI" umount --mounts unpacked.cern.ch "${E[@]}" >/dev/null
echo "end-mounts=$(mounted)"
"#;

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `key=value` lines of the tree builder's output.
fn made(dir: &std::path::Path, key: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join("made.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_owned))
        .collect()
}

#[test]
fn resolve_and_run_images_from_a_mounted_ducc_repository() {
    if !can_run(&["/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/images/make-unpacked.sh");
    let (stdout, stderr) = assert_printed(
        in_namespace(
            SCRIPT,
            &[
                ("WORK", dir.path().as_os_str()),
                ("MAKE_UNPACKED", script.as_os_str()),
            ],
        ),
        &[
            "apptainer-run-exit=4",
            "after-apptainer-mounts=0",
            "greeting=hello from busybox 1.37",
            "busybox from an unpacked layer",
            "busybox-ran",
            "run-exit=5",
            "after-run-mounts=0",
            "after-resolve-mounts=1",
            "wild-text-images=3",
            "missing-exit=4",
            "nomatch-exit=4",
            "greeting=hello from busybox 1.36",
            "after-second-run-mounts=1",
            "docker-exit=2",
            "end-mounts=0",
        ],
    );
    let d = dir.path();
    let root = d.join("cvmfs/unpacked.cern.ch");
    // The tree builder's digests, computed with sha256sum over real tar.gz layers and
    // config documents.
    let configs: std::collections::BTreeMap<String, String> = made(d, "tag")
        .iter()
        .map(|l| {
            let (tag, config) = l.split_once(" config=").unwrap();
            (tag.to_owned(), config.to_owned())
        })
        .collect();
    let layers = made(d, "layer");

    let exact = json(&d.join("exact.json"));
    let image = &exact["images"][0];
    let c = &configs["1.36"];
    assert_eq!(image["config_digest"], format!("sha256:{c}"), "{exact}");
    assert_eq!(
        image["canonical_path"],
        root.join(".flat")
            .join(&c[..2])
            .join(c)
            .display()
            .to_string()
    );
    assert_eq!(
        image["public_path"],
        root.join("registry.hub.docker.com/library/busybox:1.36")
            .display()
            .to_string()
    );
    let found: Vec<&str> = image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["present"], true, "{l}");
            assert_eq!(l["chain_present"], true, "{l}");
            l["digest"].as_str().unwrap().trim_start_matches("sha256:")
        })
        .collect();
    assert_eq!(found, layers);
    assert!(
        image["updated"].as_u64().unwrap() > 1_700_000_000,
        "{image}"
    );
    assert!(image["notes"].as_array().unwrap().is_empty(), "{image}");
    let env: Vec<String> = image["environment"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{}={}",
                v["name"].as_str().unwrap(),
                v["value"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        env.contains(&"GREETING=hello from busybox 1.36".to_owned()),
        "{env:?}"
    );
    // DUCC's chain ids, as the core computes them, are the chains the builder made.
    let digests: Vec<String> = layers.iter().map(|l| format!("sha256:{l}")).collect();
    assert_eq!(
        cvmfs_core::image::layout::chain_ids(&digests),
        made(d, "chain")
    );

    let wild = json(&d.join("wild.json"));
    let tags: Vec<&str> = wild["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["1.36", "1.36.1", "1.37.0"], "{wild}");
    assert_eq!(
        wild["published_tags"].as_array().unwrap().len(),
        5,
        "{wild}"
    );
    assert_eq!(
        wild["images"][2]["config_digest"],
        format!("sha256:{}", configs["1.37.0"])
    );

    // The variant link resolves through the mount with the machine's architecture.
    let multi = json(&d.join("multi.json"));
    assert_eq!(multi["images"][0]["config_digest"], format!("sha256:{c}"));
    let link = multi["images"][0]["link"].as_str().unwrap();
    assert!(
        link.contains(&format!(".multiarch/{}/", std::env::consts::ARCH)),
        "{link}"
    );

    let missing = std::fs::read_to_string(d.join("missing.err")).unwrap();
    assert!(
        missing.contains("busybox:9.9 is not published"),
        "{missing}"
    );
    let nomatch = std::fs::read_to_string(d.join("nomatch.err")).unwrap();
    assert!(nomatch.contains("no published tag"), "{nomatch}");
    let apptainer = std::fs::read_to_string(d.join("apptainer.txt")).unwrap();
    assert_eq!(
        apptainer.trim(),
        format!(
            "apptainer exec -B {} {}/registry.hub.docker.com/library/busybox:1.36 cat /etc/motd",
            d.join("cvmfs").display(),
            root.display()
        )
    );
    let cannot = std::fs::read_to_string(d.join("apptainer-run.err")).unwrap();
    assert!(cannot.contains("mounted unpacked.cern.ch"), "{cannot}");
    assert!(cannot.contains("cannot run apptainer"), "{cannot}");
    let docker = std::fs::read_to_string(d.join("docker.err")).unwrap();
    assert!(docker.contains("Docker 28"), "{docker}");
    assert!(
        docker.contains(&format!(
            "podman run --rm --rootfs {}",
            root.join(".flat").display()
        )),
        "{docker}"
    );
    assert!(!stderr.contains("panicked"), "{stdout}\n{stderr}");
}
