//! The acting subcommands for real: `mount`, `check`, `repair`, `watch`, `serve` and
//! `umount` run inside `unshare -m --propagation private`, under a temporary directory.
//! Without root or `/dev/fuse` the test says it skipped; with CVMFS_REQUIRE_PRIVILEGED=1
//! (CI) it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: failures should panic

mod common;

use common::{assert_printed, can_run, in_namespace};

fn privileged() -> bool {
    can_run(&[])
}

#[test]
fn mount_check_crash_repair_watch_serve_umount() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
D={d}
for r in cms.cern.ch sft.cern.ch; do mkdir -p $D/snap/$r; echo "this is $r" > $D/snap/$r/README; done
opts="--mounts 'cms sft' --backend snapshot --source $D/snap --root $D/cvmfs --probe-timeout-ms 1000"
cleanup() {{ eval "$CLI umount $opts" >/dev/null 2>&1 || true; umount -R -l $D/cvmfs 2>/dev/null || true; }}
trap cleanup EXIT
echo "== mount"; eval "$CLI mount $opts"
echo "== read"; cat $D/cvmfs/cms.cern.ch/README
echo "== doctor"; $CLI doctor --root $D/cvmfs || true
echo "== host-bind of the stand-in's mounts"
set +e; $CLI mount --backend host-bind --source $D/cvmfs --mounts cms --root $D/bound; echo "host-bind-status=$?"; set -e
echo "bound: $(grep -c " $D/bound" /proc/self/mountinfo || true)"
echo "== check"; eval "$CLI check $opts"
pid=$(eval "$CLI check $opts --json" | grep -o '"pid": [0-9]*' | head -n 1 | grep -o '[0-9]*')
kill -9 "$pid"
# Wait for the state, not a guessed time: the mount answers "not connected" once dead.
for i in $(seq 100); do case "$(stat $D/cvmfs/cms.cern.ch 2>&1 || true)" in *"not connected"*) break;; esac; sleep 0.05; done
echo "== check after crash"; set +e; eval "$CLI check $opts"; echo "check-status=$?"; set -e
echo "== repair"; eval "$CLI repair $opts"
echo "== check after repair"; eval "$CLI check $opts"
kill -9 $(eval "$CLI check $opts --json" | grep -o '"pid": [0-9]*' | head -n 1 | grep -o '[0-9]*')
echo "== watch"; eval "$CLI watch $opts --interval-ms 100 --rounds 2"
echo "== serve"; mkdir -p $D/extra; $CLI serve --source $D/snap/sft.cern.ch --target $D/extra --fqrn sft.cern.ch --detach
cat $D/extra/README; umount $D/extra
echo "== umount"; eval "$CLI umount $opts"
echo "== lines as each repository finishes, into a pipe"
$CLI mount --backend snapshot --source $D/snap --root $D/streamed --mounts 'cms nothere.cern.ch' --snapshot-mount-delay-ms 3000 > $D/streamed.out 2>/dev/null &
slow=$!
for i in $(seq 200); do grep -q 'nothere.cern.ch" ... FAILED' $D/streamed.out && break; sleep 0.01; done
kill -0 $slow && grep -q 'nothere.cern.ch" ... FAILED' $D/streamed.out && echo "failure-printed-while-cms-mounts"
set +e; wait $slow; set -e
$CLI umount --backend snapshot --root $D/streamed --mounts cms > /dev/null
echo "left: $(grep -c " $D/" /proc/self/mountinfo || true)"
"#
    );
    assert_printed(
        in_namespace(&script, &[]),
        &[
            "Mounting the local snapshot \"cms.cern.ch\" ... DONE",
            "Mounting the local snapshot \"sft.cern.ch\" ... DONE",
            "this is cms.cern.ch",
            "cms.cern.ch (fuse from cvmfs2, private): the snapshot stand-in, not the CVMFS client",
            "2 snapshot stand-in mounts are not the client's",
            "is served by cvmfs-mount snapshot",
            "host-bind-status=4",
            "bound: 0",
            "Checking CVMFS mounts ... DONE",
            "Checking CVMFS mounts ... FAILED",
            "dead (Transport endpoint is not connected",
            "check-status=3",
            "Repairing the local snapshot \"cms.cern.ch\" ... REPAIRED",
            "Repairing the local snapshot \"sft.cern.ch\" ... HEALTHY",
            "round 1: cms.cern.ch Repaired",
            "this is sft.cern.ch",
            "Unmounting the local snapshot \"sft.cern.ch\" ... UNMOUNTED",
            "failure-printed-while-cms-mounts",
            "left: 0",
        ],
    );
}

#[test]
fn exec_mounts_for_one_command_as_root_and_unprivileged() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
D={d}
mkdir -p $D/snap/cms.cern.ch $D/bin; echo "this is cms.cern.ch" > $D/snap/cms.cern.ch/README
chmod 755 $D $D/snap $D/snap/cms.cern.ch; chmod 644 $D/snap/cms.cern.ch/README
cp "$CLI" $D/bin/cvmfs-cli; chmod 755 $D/bin $D/bin/cvmfs-cli
echo "== root"
set +e
$D/bin/cvmfs-cli exec --mounts cms --backend snapshot --source $D/snap --root $D/cvmfs -- sh -c "cat $D/cvmfs/cms.cern.ch/README; exit 7"
echo "exit=$?"
set -e
echo "left: $(grep -c " $D/" /proc/self/mountinfo || true)"
# The directories exec created for its mounts are gone with them.
[ ! -e $D/cvmfs ] && echo "exec-created-dirs-removed"
# An unprivileged user: /dev/fuse must be usable by them (0666, the Debian default). This
# machine has it 0600, so a node of the same device is bound over it, in this namespace only.
mknod $D/fuse c 10 229; chmod 666 $D/fuse; mount --bind $D/fuse /dev/fuse
mkdir -m 777 $D/user
echo "== user"
setpriv --reuid=65534 --regid=65534 --clear-groups $D/bin/cvmfs-cli exec --mounts cms --backend snapshot --source $D/snap --root $D/user/cvmfs -- sh -c "cat $D/user/cvmfs/cms.cern.ch/README"
echo "user-exit=$?"
echo "== user, native backend"
mkdir -p $D/served; cp -r "$TESTDATA/fixture.example.org" $D/served/; cp "$TESTDATA/keys/fixture.example.org.pub" $D/fixture.pub
chmod -R a+rX $D/served $D/fixture.pub
mkdir -m 777 $D/home
HOME=$D/home setpriv --reuid=65534 --regid=65534 --clear-groups $D/bin/cvmfs-cli exec --mounts fixture.example.org --backend native --server-url "file://$D/served/@fqrn@" --key $D/fixture.pub --root $D/user/native -- sh -c "head -c 36 $D/user/native/fixture.example.org/README.txt; echo"
echo "native-user-exit=$?"
[ -d $D/home/.cache/cvmfs ] && echo "cache-in-home"
echo "== user, client backend"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups $D/bin/cvmfs-cli exec --mounts cms --backend cvmfs2-helper -- true
echo "helper-exit=$?"
"#
    );
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/cvmfs");
    let (stdout, stderr) = assert_printed(
        in_namespace(&script, &[("TESTDATA", testdata.as_os_str())]),
        &[
            "exit=7",
            "left: 0",
            "exec-created-dirs-removed",
            "user-exit=0",
            "fixture.example.org: small CernVM-FS",
            "native-user-exit=0",
            "cache-in-home",
            "helper-exit=2",
        ],
    );
    assert_eq!(
        stdout.matches("this is cms.cern.ch").count(),
        2,
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("needs root; unprivileged users can use the native or snapshot backend"),
        "{stderr}"
    );
}

#[test]
fn entrypoint_remaps_mounts_drops_privileges_and_forwards_signals() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
D={d}
chmod 755 $D
mkdir -p $D/etc $D/home/cmsusr/sub $D/snap/cms.cern.ch
printf 'root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000:CMS user:%s/home/cmsusr:/bin/sh\n' $D > $D/etc/passwd
printf 'root:x:0:\nusers:x:100:cmsusr\ncmsusr:x:1000:\n' > $D/etc/group
echo "this is cms.cern.ch" > $D/snap/cms.cern.ch/README; chmod -R a+rX $D/snap
echo data > $D/home/cmsusr/sub/file; chown -R 1000:1000 $D/home/cmsusr
echo secret > $D/hostfile; touch $D/home/cmsusr/hostfile; mount --bind $D/hostfile $D/home/cmsusr/hostfile
cp $D/etc/passwd $D/passwd.before
# The user's interactive shells run this executable: a copy they can reach.
mkdir -p $D/bin; cp "$CLI" $D/bin/cvmfs-cli; chmod 755 $D/bin $D/bin/cvmfs-cli; CLI=$D/bin/cvmfs-cli
opts="--etc $D/etc --mounts cms --backend snapshot --source $D/snap --root $D/cvmfs"
echo "== bad ids"
set +e
MY_UID=abc MY_GID=0 $CLI entrypoint $opts -- true; echo "bad-exit=$?"
cmp -s $D/passwd.before $D/etc/passwd && echo "passwd unchanged"
echo "mounted after bad ids: $(grep -c " $D/cvmfs" /proc/self/mountinfo)"
echo "== run"
MY_UID=4242 MY_GID=4343 $CLI entrypoint $opts -- sh -c 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"; grep -E "^(CapPrm|CapEff|CapAmb|CapBnd|NoNewPrivs)" /proc/self/status; cat '$D'/cvmfs/cms.cern.ch/README; sh -ic ". '$D'/etc/profile.d/cvmfs-mount.sh && echo interactive-shell-checked=\$CVMFS_MOUNT_SHELL_DONE" 2>/dev/null; exit 5'
echo "run-exit=$?"
grep cmsusr $D/etc/passwd $D/etc/group
stat -c 'owner %u:%g %n' $D/home/cmsusr/sub/file $D/hostfile
echo "== json"
MY_UID=4242 MY_GID=4343 $CLI entrypoint --json $opts -- true > $D/events.jsonl
for event in mounted checked shell-profile unmounted; do
    grep -q "\"event\":\"$event\"" $D/events.jsonl && echo "json-event $event"
done
echo "== signal"
MY_UID=4242 MY_GID=4343 $CLI entrypoint $opts -- sh -c 'trap "echo got-term; exit 42" TERM; echo trap-ready; while :; do sleep 0.1; done' > $D/sig.out 2>&1 &
pid=$!
# The command says when its trap is set: then the signal is sent.
for i in $(seq 100); do grep -q trap-ready $D/sig.out && break; sleep 0.1; done
kill -TERM $pid; wait $pid; echo "signal-exit=$?"
grep got-term $D/sig.out
umount -R -l $D/cvmfs 2>/dev/null || true
"#
    );
    let (stdout, stderr) = assert_printed(
        in_namespace(&script, &[]),
        &[
            "bad-exit=2",
            "passwd unchanged",
            "mounted after bad ids: 0",
            "Mounting the local snapshot \"cms.cern.ch\" ... DONE",
            "Checking CVMFS mounts ... DONE",
            "The following CVMFS folders have been successfully mounted:",
            "uid=4242 gid=4343 groups=4343 100",
            "CapPrm:\t0000000000000000",
            "CapEff:\t0000000000000000",
            "CapAmb:\t0000000000000000",
            "CapBnd:\t0000000000000000",
            "NoNewPrivs:\t1",
            "this is cms.cern.ch",
            "interactive-shell-checked=1",
            "run-exit=5",
            "cmsusr:x:4242:4343:CMS user:",
            "cmsusr:x:4343:",
            "owner 4242:4343",
            "hostfile",
            "json-event mounted",
            "json-event checked",
            "json-event shell-profile",
            "json-event unmounted",
            "signal-exit=42",
            "got-term",
        ],
    );
    // The interactive shell checked the mounts again (once by the entrypoint, then by
    // the shell, as the unprivileged user).
    assert!(
        stdout.matches("Checking CVMFS mounts ... DONE").count() >= 2,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("owner 0:0 {d}/hostfile")),
        "the bind-mounted host file must keep its owner:\n{stdout}"
    );
    assert!(
        stderr.contains("MY_UID=\"abc\" is not a number"),
        "{stderr}"
    );
}

#[test]
fn check_returns_on_a_hung_repository_and_repair_fixes_it() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
D={d}
mkdir -p $D/snap/cms.cern.ch
opts="--mounts cms --backend snapshot --source $D/snap --root $D/cvmfs --probe-timeout-ms 500"
eval "$CLI mount $opts" > /dev/null
pid=$(eval "$CLI check $opts --json" | grep -o '"pid": [0-9]*' | grep -o '[0-9]*$')
kill -USR1 "$pid"
# Wait until the server really hangs: a check with a short timeout exits 4 (hung).
# (A stat would not do: the kernel answers it from its attribute cache.)
hung() {{ rc=0; $CLI check --mounts cms --backend snapshot --source $D/snap --root $D/cvmfs --probe-timeout-ms 200 > /dev/null 2>&1 || rc=$?; [ $rc -eq 4 ]; }}
for i in $(seq 50); do hung && break; done
# The process must end, not only print: timeout would answer 124 if it did not.
set +e; timeout 20 $CLI check $opts; echo "check-status=$?"; set -e
eval "$CLI repair $opts"
eval "$CLI check $opts" > /dev/null && echo "healthy again"
eval "$CLI umount $opts" > /dev/null
"#
    );
    assert_printed(
        in_namespace(&script, &[]),
        &[
            "hung (no answer within 500 ms)",
            "check-status=4",
            "REPAIRED",
            "healthy again",
        ],
    );
}

/// Shell for the signal tests: `ready FILE` waits for the command's ready marker, and
/// `$cmd` is a command that traps INT (exit 7) and HUP (exit 8) and says when it is ready.
const SIGNAL_PROBE: &str = r#"ready() { for i in $(seq 100); do grep -q ready $1 && return 0; sleep 0.05; done; return 1; }
cmd='trap "echo got-int; exit 7" INT; trap "echo got-hup; exit 8" HUP; echo ready; while :; do sleep 0.05; done'"#;

#[test]
fn exec_forwards_int_and_hup_and_a_stop_while_mounting_leaves_nothing() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
D={d}
for r in cms.cern.ch sft.cern.ch; do mkdir -p $D/snap/$r; echo "this is $r" > $D/snap/$r/README; done
opts="--mounts cms --backend snapshot --source $D/snap --root $D/cvmfs"
{SIGNAL_PROBE}
for signal in INT HUP; do
    $CLI exec $opts -- sh -c "$cmd" > $D/$signal.out 2>&1 &
    pid=$!
    ready $D/$signal.out
    kill -$signal $pid
    rc=0; wait $pid || rc=$?
    echo "$signal: exit=$rc $(grep got- $D/$signal.out)"
done
echo "== stop while mounting"
$CLI exec --mounts 'cms sft' --backend snapshot --source $D/snap --root $D/slow --snapshot-mount-delay-ms 1500 -- echo command-ran > $D/stop.out 2>&1 &
pid=$!
# Mounting has started when a snapshot server runs for this directory.
for i in $(seq 100); do pgrep -f "serve --source $D/snap" > /dev/null && break; sleep 0.02; done
kill -INT $pid
rc=0; wait $pid || rc=$?
echo "stop: exit=$rc"
cat $D/stop.out
echo "mounts left: $(grep -c " $D/slow" /proc/self/mountinfo || true)"
for i in $(seq 100); do pgrep -f "serve --source $D/snap" > /dev/null || break; sleep 0.05; done
echo "servers left: $(pgrep -fc "serve --source $D/snap" || true)"
"#
    );
    let (stdout, _) = assert_printed(
        in_namespace(&script, &[]),
        &[
            "INT: exit=7 got-int",
            "HUP: exit=8 got-hup",
            "stop: exit=130",
            "stopped by SIGINT while mounting; the command is not run",
            "mounts left: 0",
            "servers left: 0",
        ],
    );
    assert!(!stdout.contains("command-ran"), "{stdout}");
}

#[test]
fn entrypoint_as_pid_1_forwards_int_and_hup_and_reaps_orphans() {
    if !privileged() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
D={d}
chmod 755 $D
mkdir -p $D/etc $D/home/cmsusr
printf 'root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000::%s/home/cmsusr:/bin/sh\n' $D > $D/etc/passwd
printf 'root:x:0:\ncmsusr:x:1000:\n' > $D/etc/group
opts="--mounts none --backend cvmfs2-helper --etc $D/etc"
{SIGNAL_PROBE}
for signal in INT HUP; do
    # A PID namespace of its own: the entrypoint is PID 1 there, as in a container.
    MY_UID=4242 MY_GID=4343 unshare --pid --fork $CLI entrypoint $opts -- sh -c "$cmd" > $D/$signal.out 2>&1 &
    pid=$!
    ready $D/$signal.out
    kill -$signal $(pgrep -P $(pgrep -P $pid))
    rc=0; wait $pid || rc=$?
    echo "$signal: exit=$rc $(grep got- $D/$signal.out)"
done
echo "== orphan"
# The command leaves an orphan that ends at once; PID 1 must reap it.
MY_UID=4242 MY_GID=4343 unshare --pid --fork --mount-proc $CLI entrypoint $opts -- sh -c '
    sh -c "sleep 0.1 &"
    sleep 0.5
    zombies=0
    for status in /proc/[0-9]*/status; do grep -q "^State:.*Z" $status 2>/dev/null && zombies=$((zombies + 1)); done
    echo "zombies=$zombies"'
"#
    );
    assert_printed(
        in_namespace(&script, &[]),
        &["INT: exit=7 got-int", "HUP: exit=8 got-hup", "zombies=0"],
    );
}

/// The README's main job, run as written (the binary for `cargo run`, and the mount root
/// and cache moved under this test's directory).
#[test]
fn readme_main_job_mounts_the_fixture_with_the_native_client() {
    if !privileged() {
        return;
    }
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(workspace.join("README.md")).unwrap();
    let after = &readme[readme.find("Main job:").unwrap()..];
    let block = &after[after.find("```sh\n").unwrap() + 6..];
    let command = &block[..block.find("```").unwrap()];
    assert!(command.contains("--backend native"), "{command}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let command = command
        .replace("cargo run -q -p cvmfs-cli --", "\"$CLI\"")
        .replace(
            "--backend native",
            &format!("--backend native --root {d}/cvmfs"),
        )
        .replace(
            "/cvmfs/fixture.example.org",
            &format!("{d}/cvmfs/fixture.example.org"),
        )
        .replace("/tmp/cvmfs-cache", &format!("{d}/cache"));
    let script = format!("cd {}\n{command}", workspace.display());
    let (stdout, _) = assert_printed(
        in_namespace(&script, &[]),
        &[
            "README.txt",
            "fixture.example.org: small CernVM-FS test repository.",
        ],
    );
    assert!(stdout.contains("random-300k.bin"), "{stdout}");
}
