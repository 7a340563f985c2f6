//! Real containers with podman and runc, started from a directory root filesystem
//! (busybox-static plus cvmfs-cli): the entrypoint as PID 1, the automounter pattern and a
//! host bind, the consumers started from `run-args podman` output. Everything runs inside
//! `unshare -m --propagation private`. Without root, /dev/fuse, podman, runc or busybox
//! the test says it skipped; with CVMFS_REQUIRE_PRIVILEGED=1 (CI) it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

mod common;

use common::{assert_printed, can_run, in_namespace};

fn available() -> bool {
    can_run(&["/usr/bin/podman", "/usr/sbin/runc", "/bin/busybox"])
}

const SCRIPT: &str = r#"
D=$WORK
ROOTFS=$D/rootfs
bash "$ROOTFS_SCRIPT" $ROOTFS "$CLI"
for r in cms.cern.ch sft.cern.ch; do mkdir -p $D/snap/$r; echo "this is $r" > $D/snap/$r/README; done
chmod -R a+rX $D/snap
RUNTIME=(--runtime runc --cgroup-manager=cgroupfs)
TERM_NAME=cvmfs-test-term-$$
PUB_NAME=cvmfs-test-pub-$$
LIMITS=(--network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
# Runs the words of a `cvmfs-cli run-args podman` line with this machine's runtime flags,
# the image replaced by the test root filesystem.
run_from_args() {
    local image=$1; shift
    eval "set -- $("$CLI" run-args podman "$@")"
    local words=()
    for word in "$@"; do
        case "$word" in
            podman) words+=(podman "${RUNTIME[@]}") ;;
            run) words+=(run "${LIMITS[@]}") ;;
            "$image") words+=(--rootfs "$ROOTFS") ;;
            *) words+=("$word") ;;
        esac
    done
    "${words[@]}"
}
cleanup() { podman "${RUNTIME[@]}" rm -f -t 0 $PUB_NAME $TERM_NAME >/dev/null 2>&1 || true; umount -R -l $D/shared-mounts $D/host-cvmfs 2>/dev/null || true; }
trap cleanup EXIT

echo "== entrypoint as PID 1"
set +e
podman "${RUNTIME[@]}" run --rm "${LIMITS[@]}" --device /dev/fuse --cap-add SYS_ADMIN \
    -e CVMFS_MOUNTS=cms -e MY_UID=4242 -e MY_GID=4343 -v $D/snap:/snap:ro --rootfs $ROOTFS \
    /usr/bin/cvmfs-cli entrypoint --backend snapshot --source /snap -- \
    sh -c 'echo "pid1=$(cat /proc/1/comm)"; echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"; grep -E "^(CapPrm|CapEff|CapBnd|NoNewPrivs)" /proc/self/status; cat /cvmfs/cms.cern.ch/README; echo "home=$(stat -c %u:%g /home/cmsusr/notes.txt)"; exit 3'
echo "entrypoint-exit=$?"
set -e

echo "== SIGTERM reaches the command"
podman "${RUNTIME[@]}" run -d --name $TERM_NAME "${LIMITS[@]}" --device /dev/fuse --cap-add SYS_ADMIN \
    -e CVMFS_MOUNTS=none -v $D/snap:/snap:ro --rootfs $ROOTFS /usr/bin/cvmfs-cli entrypoint --backend snapshot --source /snap -- \
    sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
for i in $(seq 100); do podman "${RUNTIME[@]}" logs $TERM_NAME 2>&1 | grep -q ready && break; sleep 0.1; done
podman "${RUNTIME[@]}" stop -t 10 $TERM_NAME >/dev/null
echo "term-exit=$(podman "${RUNTIME[@]}" inspect $TERM_NAME --format '{{.State.ExitCode}}')"
podman "${RUNTIME[@]}" logs $TERM_NAME 2>&1 | grep got-term

echo "== automounter pattern"
mkdir -p $D/shared-mounts/cvmfs
mount --bind $D/shared-mounts $D/shared-mounts; mount --make-rshared $D/shared-mounts
podman "${RUNTIME[@]}" run -d --name $PUB_NAME "${LIMITS[@]}" --privileged \
    -v $D/shared-mounts:/cvmfsmounts:rshared -v $D/snap:/snap:ro --rootfs $ROOTFS \
    sh -c '/usr/bin/cvmfs-cli mount --mounts cms --backend snapshot --source /snap --root /cvmfsmounts/cvmfs && echo published && sleep 600' >/dev/null
for i in $(seq 100); do podman "${RUNTIME[@]}" logs $PUB_NAME 2>&1 | grep -q published && break; sleep 0.1; done
run_from_args aperloff/cms-cvmfs-docker:latest --backend automounter-slave --shared-dir $D/shared-mounts/cvmfs --mounts cms -- \
    sh -c 'cat /cvmfs/cms.cern.ch/README; for i in $(seq 100); do [ -e /cvmfs/sft.cern.ch/README ] && break; sleep 0.1; done; cat /cvmfs/sft.cern.ch/README' > $D/consumer.out 2>&1 &
consumer=$!
# The consumer has started when it has read cms; only then is sft published.
for i in $(seq 200); do grep -q "this is cms" $D/consumer.out 2>/dev/null && break; sleep 0.1; done
podman "${RUNTIME[@]}" exec $PUB_NAME /usr/bin/cvmfs-cli mount --mounts sft --backend snapshot --source /snap --root /cvmfsmounts/cvmfs
set +e; wait $consumer; echo "consumer-exit=$?"; set -e
sed 's/^/consumer: /' $D/consumer.out

echo "== host bind"
"$CLI" mount --mounts cms --backend snapshot --source $D/snap --root $D/host-cvmfs
run_from_args aperloff/cms-cvmfs-docker:latest --backend host-bind --per-repository --source $D/host-cvmfs --mounts cms -- \
    sh -c 'cat /cvmfs/cms.cern.ch/README; touch /cvmfs/cms.cern.ch/x 2>/dev/null || echo read-only'
echo "hostbind-exit=$?"
"$CLI" umount --mounts cms --backend snapshot --source $D/snap --root $D/host-cvmfs
"#;

#[test]
fn containers_entrypoint_automounter_and_host_bind() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rootfs_script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/containers/rootfs.sh");
    assert_printed(
        in_namespace(
            SCRIPT,
            &[
                ("WORK", dir.path().as_os_str()),
                ("ROOTFS_SCRIPT", std::ffi::OsStr::new(rootfs_script)),
            ],
        ),
        &[
            "Mounting the local snapshot \"cms.cern.ch\" ... DONE",
            "pid1=cvmfs-cli",
            "uid=4242 gid=4343 groups=4343",
            "CapPrm:\t0000000000000000",
            "CapEff:\t0000000000000000",
            "CapBnd:\t0000000000000000",
            "NoNewPrivs:\t1",
            "home=4242:4343",
            "entrypoint-exit=3",
            "term-exit=42",
            "got-term",
            "consumer: this is cms.cern.ch",
            "consumer: this is sft.cern.ch",
            "consumer-exit=0",
            "read-only",
            "hostbind-exit=0",
        ],
    );
}
