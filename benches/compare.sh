#!/usr/bin/env bash
# Whole-process comparisons with the anchor's way of working, on the same snapshot mounts,
# each ratio taken in one run. Needs root, /dev/fuse, hyperfine (Debian package) and a
# private mount namespace:
#   sudo unshare -m --propagation private bash benches/compare.sh [RESULTS_DIR]
# Figures go to RESULTS_DIR (default target/bench-results) as hyperfine JSON and summary.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-$top/target/bench-results}
mkdir -p "$out"
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/$PPID/ns/mnt 2>/dev/null || true)" ]; then
    echo "run me inside: unshare -m --propagation private" >&2
    exit 2
fi
cargo build --release -q -p cvmfs-cli -p cvmfs-mount --bins --target-dir "$top/target/bench"
bin=$top/target/bench/release
CLI=$bin/cvmfs-cli
D=$(mktemp -d /tmp/cvmfs-bench.XXXXXX)
chmod 755 "$D"
cleanup() { umount -R -l "$D" 2>/dev/null || true; pkill -f "cvmfs-snapshot-server --source $D" 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
mount -t tmpfs bench "$D" && chmod 755 "$D"
REPOS="cms.cern.ch cms-ib.cern.ch oasis.opensciencegrid.org cms-lpc.opensciencegrid.org sft.cern.ch cms-bril.cern.ch cms-opendata-conddb.cern.ch ilc.desy.de unpacked.cern.ch"
for repo in $REPOS cvmfs-config.cern.ch; do mkdir -p "$D/snap/$repo"; echo "$repo" > "$D/snap/$repo/README"; done
chmod -R a+rX "$D/snap"
helper() { # NAME EXTRA-CONFIG -> a mount.cvmfs wrapper for the test helper
    mkdir -p "$D/etc-$1" "$D/bin-$1"
    printf 'CVMFS_HTTP_PROXY=DIRECT\nCVMFS_USER=root\nCVMFS_NFILES=4096\nCVMFS_TEST_SNAPSHOT_DIR=%s\nCVMFS_TEST_SERVER=%s\n%s' \
        "$D/snap" "$bin/cvmfs-snapshot-server" "$2" > "$D/etc-$1/default.local"
    printf '#!/bin/sh\nCVMFS_TEST_CONFIG_DIR=%s exec %s "$@"\n' "$D/etc-$1" "$bin/cvmfs-test-mount-helper" > "$D/bin-$1/mount.cvmfs"
    chmod 755 "$D/bin-$1/mount.cvmfs"
    echo "$D/bin-$1/mount.cvmfs"
}
fast=$(helper fast "")
slow=$(helper slow "CVMFS_TEST_MOUNT_DELAY_MS=500
")
sel=(--mounts "$REPOS" --source "$D/snap")
hf() { hyperfine --style basic --export-json "$out/$1.json" "${@:2}"; }

echo "== 1. health check of 9 repositories"
"$CLI" mount "${sel[@]}" --root "$D/c1" > /dev/null
hf check --warmup 5 --runs 50 \
    -n cvmfs-cli "$CLI check --mounts '$REPOS' --source $D/snap --root $D/c1" \
    -n anchor-probe "$here/anchor/probe.sh $D/c1 $REPOS"
pid=$("$CLI" check --mounts cms --source "$D/snap" --root "$D/c1" --json | grep -o '"pid": [0-9]*' | grep -o '[0-9]*$')
kill -USR1 "$pid"
hf check-hung --runs 5 -i -n cvmfs-cli-hung "$CLI check --mounts '$REPOS' --source $D/snap --root $D/c1 --probe-timeout-ms 1000"
start=$(date +%s.%N); set +e; timeout 10 "$here/anchor/probe.sh" "$D/c1" $REPOS > /dev/null; probe_status=$?; set -e
echo "{\"anchor_probe_hung_status\": $probe_status, \"start\": $start, \"end\": $(date +%s.%N)}" > "$out/check-hung-anchor.json"
"$CLI" repair "${sel[@]}" --root "$D/c1" > /dev/null

echo "== 2. mounting 9 repositories, 500 ms per mount"
hf mount-one --runs 5 --prepare "umount -l $D/one/cms.cern.ch 2>/dev/null || true; mkdir -p $D/one/cms.cern.ch" \
    -n one-mount "$slow cms.cern.ch $D/one/cms.cern.ch"
hf mount-nine --runs 5 \
    --prepare "umount -R -l $D/c2 2>/dev/null || true; umount -R -l $D/c3 2>/dev/null || true; rm -rf $D/c2 $D/c3" \
    -n cvmfs-cli "$CLI mount --backend cvmfs2-helper --helper $slow --client-binary $slow --config-dir $D/etc-slow --mounts '$REPOS' --root $D/c2" \
    -n anchor-sequential "$here/anchor/mount.sh $slow $D/c3 $REPOS"

echo "== 3. recovery under watch (1 s interval)"
"$CLI" mount "${sel[@]}" --root "$D/c4" > /dev/null
"$CLI" watch "${sel[@]}" --root "$D/c4" --interval-ms 1000 > /dev/null 2>&1 &
watcher=$!
python3 - "$CLI" "$D" "$out/recovery.json" <<'PY'
import json, re, subprocess, sys, time, os, signal
cli, d, out = sys.argv[1:4]
args = [cli, "check", "--mounts", "cms", "--source", f"{d}/snap", "--root", f"{d}/c4", "--json"]
def pid():
    text = subprocess.run(args, capture_output=True, text=True).stdout
    found = re.search(r'"pid": (\d+)', text)
    return int(found.group(1)) if found else None
times = []
for _ in range(7):
    old = pid()
    start = time.perf_counter()
    os.kill(old, signal.SIGKILL)
    while True:
        now = pid()
        if now is not None and now != old:
            break
        if time.perf_counter() - start > 20:
            raise SystemExit("not recovered")
        time.sleep(0.005)
    times.append(time.perf_counter() - start)
    time.sleep(0.3)
json.dump({"crash_to_healthy_seconds": times}, open(out, "w"))
PY
kill "$watcher"; wait "$watcher" || true

echo "== 4. container start to a command (100,000 files in the home)"
mkdir -p "$D/home/cmsusr"
python3 - "$D/home/cmsusr" <<'PY'
import os, sys
home = sys.argv[1]
for i in range(1000):
    sub = os.path.join(home, f"d{i:03}")
    os.mkdir(sub)
    for j in range(100):
        open(os.path.join(sub, f"f{j:02}"), "w").close()
PY
chown -R 4242:4343 "$D/home/cmsusr"
printf 'root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000:CMS user:%s:/bin/sh\n' "$D/home/cmsusr" > "$D/passwd.orig"
printf 'root:x:0:\ncmsusr:x:1000:\n' > "$D/group.orig"
reset="umount -R -l $D/c5 2>/dev/null || true; umount -R -l $D/c6 2>/dev/null || true; rm -rf $D/c5 $D/c6; mkdir -p $D/e5 $D/e6; for e in e5 e6; do cp $D/passwd.orig $D/\$e/passwd; cp $D/group.orig $D/\$e/group; done"
MY_UID=4242 MY_GID=4343 hf start --runs 5 --prepare "$reset" \
    -n cvmfs-cli-entrypoint "$CLI entrypoint --etc $D/e5 --backend cvmfs2-helper --helper $fast --client-binary $fast --config-dir $D/etc-fast --mounts '$REPOS' --root $D/c5 -- true" \
    -n anchor-start "$here/anchor/start.sh $D/e6 $D/home/cmsusr $fast $D/c6 '$REPOS' true"

echo "== 6. probe cost at scale (200 repositories)"
many=""
for i in $(seq 1 200); do mkdir -p "$D/snap200/r$i.cern.ch"; many="$many r$i.cern.ch"; done
"$CLI" mount --mounts "$many" --source "$D/snap200" --root "$D/c200" > /dev/null 2>&1
hf check-200 --warmup 3 --runs 20 -n cvmfs-cli-200 "$CLI check --mounts '$many' --source $D/snap200 --root $D/c200"

python3 "$here/summary.py" "$out" | tee "$out/summary.md"
