//! The seed workflows on a real Docker Engine (Debian's dockerd, started by `.ci/dockerd`
//! in a private mount namespace of its own). The test image is `docker import`ed from a
//! directory root filesystem (busybox-static plus cvmfs-cli) with the product's
//! entrypoint; every container is started only from what `cvmfs-cli run-args docker`
//! prints: the JSON argv word for word, or the one-line form through a real shell.
//!
//! The script runs in the engine's mount namespace (nsenter), so the host side of each
//! pattern (a host /cvmfs, its propagation) is what the engine sees, and nothing reaches
//! the machine's mount table. Containers get `--cap-add SYS_ADMIN --device /dev/fuse`
//! instead of `--privileged`: this VM lacks CAP_SYS_RESOURCE, and `--privileged` fails
//! with "unable to apply caps: operation not permitted".
//!
//! Without an engine (DOCKER_HOST and CVMFS_TEST_DOCKERD_PIDFILE from `.ci/dockerd`) the
//! test says it skipped; with CVMFS_REQUIRE_DOCKER=1 (CI) it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

mod common;

use std::ffi::OsStr;

use common::{assert_printed, can_run, run_script};

/// The engine's pid, when one of ours runs and the host can mount.
fn engine_pid() -> Option<String> {
    let pid = std::env::var("CVMFS_TEST_DOCKERD_PIDFILE")
        .ok()
        .and_then(|file| std::fs::read_to_string(file).ok())
        .map(|pid| pid.trim().to_owned())
        .filter(|pid| std::path::Path::new(&format!("/proc/{pid}/ns/mnt")).exists());
    let ready = std::env::var_os("DOCKER_HOST").is_some()
        && pid.is_some()
        && can_run(&["/usr/bin/docker", "/bin/busybox", "/usr/bin/jq"]);
    if !ready {
        assert!(
            std::env::var("CVMFS_REQUIRE_DOCKER").map_or(true, |v| v != "1"),
            "a Docker Engine from .ci/dockerd is required (CVMFS_REQUIRE_DOCKER=1)"
        );
        eprintln!(
            "SKIPPED: no Docker Engine from .ci/dockerd (DOCKER_HOST, CVMFS_TEST_DOCKERD_PIDFILE)"
        );
        return None;
    }
    pid
}

const SCRIPT: &str = r#"
D=$WORK
ROOTFS=$D/rootfs
bash "$ROOTFS_SCRIPT" $ROOTFS "$CLI"
for r in cms.cern.ch sft.cern.ch a.cern.ch b.cern.ch c.cern.ch d.cern.ch e.cern.ch f.cern.ch g.cern.ch; do
    mkdir -p $D/snap/$r; echo "this is $r" > $D/snap/$r/README
done
chmod -R a+rX $D/snap
TAG=cvmfs-cli-test-$$
IMAGE=$TAG:ci
# The product's entrypoint; the snapshot stand-in serves /snap (there is no CVMFS client
# here), bound into the container with run-args' own -l/-r.
ENTRY='["/usr/bin/cvmfs-cli", "entrypoint", "--backend", "snapshot", "--source", "/snap", "--"]'
SLOW='["/usr/bin/cvmfs-cli", "entrypoint", "--backend", "snapshot", "--source", "/snap", "--snapshot-mount-delay-ms", "1500", "--"]'
tar -C $ROOTFS -c . | docker import --change "ENTRYPOINT $ENTRY" - $IMAGE >/dev/null
tar -C $ROOTFS -c . | docker import --change "ENTRYPOINT $SLOW" - $TAG:slow >/dev/null
cleanup() {
    docker rm -f $TAG-stop $TAG-slow $TAG-commit $TAG-export $TAG-auto >/dev/null 2>&1 || true
    umount -R -l $D/shared 2>/dev/null || true
    docker rmi -f $IMAGE $TAG:slow $TAG:derived $TAG:native >/dev/null 2>&1 || true
    rm -rf "$CVMFS_TEST_WEB_ROOT/cvmfs/docker-native-$$"
    umount -R -l $D/host-cvmfs 2>/dev/null || true
}
trap cleanup EXIT
COMMON=(-i $IMAGE --network none -l $D/snap -r /snap)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# What `cvmfs-cli run-args docker --json ARGS` prints, run word for word.
run_json() {
    local argv
    readarray -td '' argv < <("$CLI" run-args docker --json "$@" | jq -j '.value[] + "\u0000"')
    "${argv[@]}"
}
# The one-line form, through a real shell.
run_line() { local line; line=$("$CLI" run-args docker "$@"); bash -c "$line"; }

echo "== 1. mounting inside the container"
set +e
run_json "${COMMON[@]}" --backend snapshot --my-uid 4242 --my-gid 4343 --mounts 'cms sft nothere.cern.ch' -- \
    sh -c 'echo "uid=$(id -u) gid=$(id -g)"; grep -E "^(CapEff|CapPrm)" /proc/self/status; cat /cvmfs/cms.cern.ch/README /cvmfs/sft.cern.ch/README; echo "home=$(stat -c %u:%g /home/cmsusr/notes.txt)"; exit 7'
echo "inside-exit=$?"
set -e

echo "== start to shell, 9 repositories"
start=$(now_ms)
run_json "${COMMON[@]}" --backend snapshot --mounts 'cms sft a b c d e f g' -- sh -c 'echo shell-started' >/dev/null
echo "start-to-shell-ms=$(( $(now_ms) - start ))"

echo "== 2. the host's /cvmfs, bound whole and rslave"
mkdir -p $D/host-cvmfs
mount --bind $D/host-cvmfs $D/host-cvmfs
mount --make-private $D/host-cvmfs
# A private source: run-args says what to run instead of printing what Docker refuses.
set +e
"$CLI" run-args docker "${COMMON[@]}" --backend host-bind --source $D/host-cvmfs -- true 2>&1
echo "private-exit=$?"
run_json "${COMMON[@]}" --backend host-bind --source $D/host-cvmfs --skip-propagation-check -- true 2>&1
echo "docker-refused-exit=$?"
set -e
mount --make-rshared $D/host-cvmfs
"$CLI" mount --backend snapshot --source $D/snap --root $D/host-cvmfs --mounts cms >/dev/null
run_line "${COMMON[@]}" --backend host-bind --source $D/host-cvmfs -- \
    sh -c 'cat /cvmfs/cms.cern.ch/README; awk "\$5 == \"/cvmfs\" {print \"cvmfs-options=\" \$6}" /proc/self/mountinfo; while [ ! -e /cvmfs/sft.cern.ch/README ]; do sleep 0.05; done; cat /cvmfs/sft.cern.ch/README' > $D/consumer.out 2>&1 &
consumer=$!
for i in $(seq 300); do grep -q "this is cms" $D/consumer.out 2>/dev/null && break; sleep 0.05; done
# Mounted on the host after the container started: it arrives inside.
"$CLI" mount --backend snapshot --source $D/snap --root $D/host-cvmfs --mounts sft >/dev/null
set +e; wait $consumer; echo "consumer-exit=$?"; set -e
sed 's/^/consumer: /' $D/consumer.out
"$CLI" umount --backend snapshot --root $D/host-cvmfs --mounts 'cms sft' >/dev/null
umount $D/host-cvmfs

echo "== 3. the automounter pattern"
mkdir -p $D/shared/cvmfs
mount --bind $D/shared $D/shared
mount --make-rshared $D/shared
# sft arrives later: the automounter's repair rounds mount it once it exists.
mv $D/snap/sft.cern.ch $D/sft-later
run_json -i $IMAGE --network none -l $D/snap -r /snap --automounter --shared-dir $D/shared/cvmfs \
    --name $TAG-auto --mounts 'cms sft' >/dev/null
for i in $(seq 300); do [ -e $D/shared/cvmfs/cms.cern.ch/README ] && break; sleep 0.05; done
run_line "${COMMON[@]}" --backend automounter-slave --shared-dir $D/shared/cvmfs -- sh -c '
    cat /cvmfs/cms.cern.ch/README
    while [ ! -e /cvmfs/sft.cern.ch/README ]; do sleep 0.05; done; cat /cvmfs/sft.cern.ch/README
    while cat /cvmfs/cms.cern.ch/README >/dev/null 2>&1; do sleep 0.05; done; echo "cms-dead"
    until cat /cvmfs/cms.cern.ch/README 2>/dev/null; do sleep 0.05; done' > $D/auto-consumer.out 2>&1 &
consumer=$!
for i in $(seq 300); do grep -q "this is cms" $D/auto-consumer.out 2>/dev/null && break; sleep 0.05; done
mv $D/sft-later $D/snap/sft.cern.ch
for i in $(seq 300); do grep -q "this is sft" $D/auto-consumer.out 2>/dev/null && break; sleep 0.05; done
# The automounter's cms server dies; its repair round mounts it again.
pid=$(docker exec $TAG-auto /usr/bin/cvmfs-cli check --backend snapshot --mounts cms --json | grep -o '"pid": [0-9]*' | grep -o '[0-9]*')
docker exec $TAG-auto sh -c "kill -9 $pid"
set +e; wait $consumer; echo "auto-consumer-exit=$?"; set -e
sed 's/^/auto-consumer: /' $D/auto-consumer.out
echo "published-before-stop=$(grep -c " $D/shared/cvmfs/" /proc/self/mountinfo || true)"
docker stop $TAG-auto >/dev/null
echo "published-after-stop=$(grep -c " $D/shared/cvmfs/" /proc/self/mountinfo || true)"
docker rm -f $TAG-auto >/dev/null
umount $D/shared

echo "== 4. docker commit"
run_json "${COMMON[@]}" --backend snapshot --name $TAG-commit --my-uid 4242 --my-gid 4343 --mounts cms -- \
    sh -c 'echo set-up > /home/cmsusr/setup.txt; cat /cvmfs/cms.cern.ch/README' >/dev/null
docker commit $TAG-commit $TAG:derived >/dev/null
docker create --name $TAG-export $TAG:derived >/dev/null
echo "repository-files-in-image=$(docker export $TAG-export | tar -t | grep -c '^cvmfs/.*README' || true)"
run_json -i $TAG:derived --network none -l $D/snap -r /snap --backend snapshot --my-uid 5005 --my-gid 5006 --mounts cms -- \
    sh -c 'echo "derived: uid=$(id -u) gid=$(id -g) setup=$(stat -c %u:%g /home/cmsusr/setup.txt) $(cat /cvmfs/cms.cern.ch/README)"'

echo "== the cvmfs_docker helper's flags, run without eval"
ln -s "$CLI" $D/cvmfs_docker
set +e
$D/cvmfs_docker -m cms -i $IMAGE -l $D/snap -r /snap -- sh -c 'echo "helper: $(cat /cvmfs/cms.cern.ch/README)"; exit 9'
echo "helper-exit=$?"
set -e
echo "helper-vnc=$($D/cvmfs_docker -d -m cms -v -n keep | grep -c -- '-p 127.0.0.1:5901:5901 -p 127.0.0.1:6080:6080')"

echo "== 5. docker stop during the command"
run_json "${COMMON[@]}" --backend snapshot --name $TAG-stop --mounts cms -- \
    sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done' > $D/stop.out 2>&1 &
runner=$!
for i in $(seq 300); do grep -q ready $D/stop.out 2>/dev/null && break; sleep 0.05; done
docker stop -t 10 $TAG-stop >/dev/null
set +e; wait $runner; echo "stop-exit=$?"; set -e
grep got-term $D/stop.out

echo "== 5. docker stop while mounting"
before=$(grep -c fuse /proc/self/mountinfo || true)
run_json -i $TAG:slow --network none -l $D/snap -r /snap --backend snapshot --name $TAG-slow --mounts 'cms sft' -- \
    echo command-ran > $D/slow.out 2>&1 &
runner=$!
for i in $(seq 300); do [ "$(docker inspect -f '{{.State.Running}}' $TAG-slow 2>/dev/null)" = true ] && break; sleep 0.02; done
start=$(now_ms)
docker stop -t 10 $TAG-slow >/dev/null
echo "stop-latency-ms=$(( $(now_ms) - start ))"
set +e; wait $runner; echo "slow-stop-exit=$?"; set -e
grep -c command-ran $D/slow.out || true
echo "fuse-mounts-left=$(( $(grep -c fuse /proc/self/mountinfo || true) - before ))"

echo "== 6. our own client: nothing but cvmfs-cli (and busybox) in the image"
# The fixture on the host's web server, the client configuration bound in, the default
# backend (native) chosen inside the container.
N="$CVMFS_TEST_WEB_ROOT/cvmfs/docker-native-$$"
mkdir -p "$N"; cp -r "$TESTDATA/fixture.example.org" "$N/"; chmod -R a+rX "$N"
mkdir -p $D/etc/default.d $D/etc/keys
cp "$TESTDATA/keys/fixture.example.org.pub" $D/etc/keys/
printf 'CVMFS_SERVER_URL=%s/cvmfs/docker-native-%s/@fqrn@\nCVMFS_HTTP_PROXY=DIRECT\nCVMFS_KEYS_DIR=/etc/cvmfs/keys\n' \
    "$CVMFS_TEST_WEB_URL" $$ > $D/etc/default.d/50-test.conf
chmod -R a+rX $D/etc
tar -C $ROOTFS -c . | docker import --change 'ENTRYPOINT ["/usr/bin/cvmfs-cli", "entrypoint", "--"]' - $TAG:native >/dev/null
run_json -i $TAG:native --network host -l $D/etc -r /etc/cvmfs --mounts fixture.example.org -- sh -c '
    echo "native-readme=$(head -c 36 /cvmfs/fixture.example.org/README.txt)"
    awk "\$5 == \"/cvmfs/fixture.example.org\" {for (i = 7; i <= NF; i++) if (\$i == \"-\") print \"native-mount=\" \$(i+1), \$(i+2)}" /proc/self/mountinfo'
"#;

#[test]
fn docker_seed_workflows_from_run_args() {
    let Some(pid) = engine_pid() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rootfs_script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/containers/rootfs.sh");
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs");
    assert!(
        std::env::var_os("CVMFS_TEST_WEB_ROOT").is_some(),
        "the native section reads from .ci/web's nginx (CVMFS_TEST_WEB_ROOT)"
    );
    let namespace = format!("--mount=/proc/{pid}/ns/mnt");
    let (stdout, _) = assert_printed(
        run_script(
            &["nsenter", &namespace],
            SCRIPT,
            &[
                ("WORK", dir.path().as_os_str()),
                ("ROOTFS_SCRIPT", OsStr::new(rootfs_script)),
                ("TESTDATA", testdata.as_os_str()),
            ],
        ),
        &[
            // 1: remapped, no capabilities, the failing repository named, the shell
            // started anyway, the command's status passed through.
            "Mounting the local snapshot \"cms.cern.ch\" ... DONE",
            "Mounting the local snapshot \"nothere.cern.ch\" ... FAILED",
            "uid=4242 gid=4343",
            "CapPrm:\t0000000000000000",
            "CapEff:\t0000000000000000",
            "this is cms.cern.ch",
            "this is sft.cern.ch",
            "home=4242:4343",
            "inside-exit=7",
            // 2: a private source is refused with the fix; Docker itself refuses it.
            "which is not shared: the engine refuses a propagating bind from it",
            "mount --make-rshared",
            "private-exit=2",
            "not a shared or slave mount",
            "docker-refused-exit=125",
            "consumer: this is cms.cern.ch",
            "consumer: cvmfs-options=ro,",
            "consumer: this is sft.cern.ch",
            "consumer-exit=0",
            // 3: a consumer sees a repository published after it started, and again
            // after the automounter repaired it; a stopped automounter leaves nothing.
            "auto-consumer: this is cms.cern.ch",
            "auto-consumer: this is sft.cern.ch",
            "auto-consumer: cms-dead",
            "auto-consumer-exit=0",
            "published-before-stop=2",
            "published-after-stop=0",
            // 4: no repository content in the image; another user's ids remapped.
            "repository-files-in-image=0",
            "derived: uid=5005 gid=5006 setup=5005:5006 this is cms.cern.ch",
            // The helper: -v is VNC, -d prints, the status passes through.
            "helper: this is cms.cern.ch",
            "helper-exit=9",
            "helper-vnc=1",
            // 5: the command's own status; a stop while mounting ends with 143 and
            // runs nothing.
            "stop-exit=42",
            "got-term",
            "slow-stop-exit=143",
            "fuse-mounts-left=0",
            // 6: our own client mounts the fixture from the host's nginx.
            "native-readme=fixture.example.org: small CernVM-FS",
            "native-mount=fuse cvmfs2",
        ],
    );
    assert!(!stdout.contains("command-ran"), "{stdout}");
    let figure = |name: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {stdout}"))
    };
    // Behaviour, not performance: a stop while mounting ends the container once the
    // current step (a 1.5 s mount) is over, not at the engine's 10 s kill (figures are
    // printed for the record).
    let latency = figure("stop-latency-ms=");
    assert!(
        latency < 2500,
        "docker stop took {latency} ms while mounting"
    );
    eprintln!(
        "start-to-shell-ms={} stop-latency-ms={latency}",
        figure("start-to-shell-ms=")
    );
}
