#!/usr/bin/env bash
# Whole-process comparisons with the anchor's way of working, on the same mounts, each
# ratio taken in one run. Needs root, /dev/fuse, hyperfine and setpriv (Debian packages
# hyperfine, util-linux) and a private mount namespace:
#   sudo unshare -m --propagation private bash benches/compare.sh [RESULTS_DIR]
# Figures go to RESULTS_DIR (default target/bench-results): hyperfine JSON per benchmark,
# recovery.json, machine.txt and summary.md (the table benches/README.md records).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-$top/target/bench-results}
mkdir -p "$out"
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/$PPID/ns/mnt 2>/dev/null || true)" ]; then
    echo "run me inside: unshare -m --propagation private" >&2
    exit 2
fi
for tool in hyperfine setpriv python3; do
    command -v "$tool" > /dev/null || { echo "compare.sh needs $tool" >&2; exit 2; }
done
cargo build --release -q -p cvmfs-cli -p cvmfs-mount --features cvmfs-mount/test-stand-ins --bins --target-dir "$top/target/bench"
# The same CLI linked statically (static-pie): what start-up costs without the dynamic loader.
# An explicit --target keeps the flag away from build scripts and proc-macros.
host=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release -q -p cvmfs-cli \
    --target "$host" --target-dir "$top/target/bench-static"
bin=$top/target/bench/release
CLI=$bin/cvmfs-cli
STATIC_CLI=$top/target/bench-static/$host/release/cvmfs-cli
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "kernel: $(uname -r)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
    echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "rustc: $(rustc --version)"
    echo "hyperfine: $(hyperfine --version)"
} > "$out/machine.txt"

D=$(mktemp -d /tmp/cvmfs-bench.XXXXXX)
# The 100,000-file home lives on the disk, as an image's home does, not on the tmpfs.
H=$(mktemp -d /var/tmp/cvmfs-bench-home.XXXXXX)
chmod 755 "$D" "$H"
cleanup() {
    umount -R -l "$D" 2> /dev/null || true
    pkill -f "cvmfs-snapshot-server --source $D" 2> /dev/null || true
    rm -rf "$D" "$H"
}
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
# Detaches every mount below the given directories (umount -R needs the top to be one).
# hyperfine runs --prepare through its shell: the benchmarks that use it pass `-S bash`,
# which sees this exported function (dash, the default `sh`, does not).
detach() { for dir in "$@"; do grep -o " $dir/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l || true; done; }
export -f detach

echo "== 2. mounting 9 repositories, 500 ms per mount"
# The mount helper, like the real one, refuses a repository already mounted anywhere in
# the namespace: every run starts from nothing mounted.
hf mount-one -S bash --runs 5 --prepare "detach $D/one; mkdir -p $D/one/cms.cern.ch" \
    -n one-mount "$slow cms.cern.ch $D/one/cms.cern.ch"
hf mount-nine -S bash --runs 5 \
    --prepare "detach $D/one $D/c2 $D/c3" \
    -n cvmfs-cli "$CLI mount --backend cvmfs2-helper --helper $slow --client-binary $slow --config-dir $D/etc-slow --mounts '$REPOS' --root $D/c2" \
    -n anchor-sequential "$here/anchor/mount.sh $slow $D/c3 $REPOS"
detach "$D/c2" "$D/c3"

echo "== 4. container start to a command (100,000 files in the home)"
python3 - "$H/cmsusr" << 'PY'
import os, sys
home = sys.argv[1]
os.mkdir(home)
for i in range(1000):
    sub = os.path.join(home, f"d{i:03}")
    os.mkdir(sub)
    for j in range(100):
        open(os.path.join(sub, f"f{j:02}"), "w").close()
PY
chown -R 4242:4343 "$H/cmsusr"
sync
printf 'root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000:CMS user:%s:/bin/sh\n' "$H/cmsusr" > "$D/passwd.orig"
printf 'root:x:0:\ncmsusr:x:1000:\n' > "$D/group.orig"
reset="detach $D/c5 $D/c6; mkdir -p $D/e5 $D/e6; for e in e5 e6; do cp $D/passwd.orig $D/\$e/passwd; cp $D/group.orig $D/\$e/group; done"
MY_UID=4242 MY_GID=4343 hf start -S bash --runs 5 --prepare "$reset" \
    -n cvmfs-cli-entrypoint "$CLI entrypoint --etc $D/e5 --backend cvmfs2-helper --helper $fast --client-binary $fast --config-dir $D/etc-fast --mounts '$REPOS' --root $D/c5 -- true" \
    -n anchor-start "$here/anchor/start.sh $D/e6 $H/cmsusr $fast $D/c6 '$REPOS' true"
detach "$D/c5" "$D/c6"

echo "== 1. health check of 9 repositories"
"$CLI" mount "${sel[@]}" --root "$D/c1" > /dev/null
hf check -N --warmup 5 --runs 100 \
    -n cvmfs-cli "$CLI check --mounts '$REPOS' --source $D/snap --root $D/c1" \
    -n cvmfs-cli-static "$STATIC_CLI check --mounts '$REPOS' --source $D/snap --root $D/c1" \
    -n anchor-probe "$here/anchor/probe.sh $D/c1 $REPOS"
pid=$("$CLI" check --mounts cms --source "$D/snap" --root "$D/c1" --json | grep -o '"pid": [0-9]*' | grep -o '[0-9]*$')
kill -USR1 "$pid"
hf check-hung -N --runs 5 -i -n cvmfs-cli-hung "$CLI check --mounts '$REPOS' --source $D/snap --root $D/c1 --probe-timeout-ms 1000"
start=$(date +%s.%N)
set +e
timeout 10 "$here/anchor/probe.sh" "$D/c1" $REPOS > /dev/null
probe_status=$?
set -e
echo "{\"anchor_probe_hung_status\": $probe_status, \"start\": $start, \"end\": $(date +%s.%N)}" > "$out/check-hung-anchor.json"
"$CLI" repair "${sel[@]}" --root "$D/c1" > /dev/null
"$CLI" umount "${sel[@]}" --root "$D/c1" > /dev/null

echo "== 3. recovery under watch (1 s interval), and the anchor's check with the same crash"
# The anchor's mount first: the helper refuses a repository mounted anywhere already.
"$here/anchor/mount.sh" "$fast" "$D/a3" cms.cern.ch > /dev/null
"$CLI" mount "${sel[@]}" --root "$D/c4" > /dev/null
"$CLI" watch "${sel[@]}" --root "$D/c4" --interval-ms 1000 > /dev/null 2>&1 &
watcher=$!
python3 "$here/recovery.py" "$CLI" "$D/c4" "$D/snap" "$fast" "$D/a3" "$here/anchor/recheck.sh" "$out/recovery.json"
kill "$watcher"
wait "$watcher" || true
"$CLI" umount "${sel[@]}" --root "$D/c4" > /dev/null
detach "$D/a3"

echo "== 6. probe cost at scale (200 repositories)"
many=""
for i in $(seq 1 200); do mkdir -p "$D/snap200/r$i.cern.ch"; many="$many r$i.cern.ch"; done
"$CLI" mount --mounts "$many" --source "$D/snap200" --root "$D/c200" > /dev/null 2>&1
hf check-200 -N --warmup 3 --runs 30 -n cvmfs-cli-200 "$CLI check --mounts '$many' --source $D/snap200 --root $D/c200"

python3 "$here/summary.py" "$out" | tee "$out/summary.md"
