#!/usr/bin/env bash
# The native backend, whole-process: a published tree of 20,000 files of 1-64 KB in 2,000
# directories, served by nginx on loopback (.ci/web), mounted with our own client.
#   - warm find and warm read of every file, against the same through the snapshot
#     server on the same tree in a local directory (same FUSE cost, no catalogs, no cache);
#   - cold read of every file (empty cache), against curl fetching the same objects plus
#     the warm read, sequential and with 8 readers;
#   - mount time with a cold and a warm cache, and the daemon's resident memory after the
#     cold read.
# Needs root, /dev/fuse, hyperfine, curl, nginx and squid (.ci/web), and a private mount
# namespace:
#   sudo unshare -m --propagation private bash benches/native.sh [RESULTS_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${1:-$top/target/bench-results/native}
mkdir -p "$out"
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/$PPID/ns/mnt 2>/dev/null || true)" ]; then
    echo "run me inside: unshare -m --propagation private" >&2
    exit 2
fi
for tool in hyperfine curl python3 nginx; do
    command -v "$tool" > /dev/null || { echo "native.sh needs $tool" >&2; exit 2; }
done
cargo build --release -q -p cvmfs-cli --target-dir "$top/target/bench"
CLI=$top/target/bench/release/cvmfs-cli
vars=$("$top/.ci/web" start)
eval "$vars"
D=$(mktemp -d /var/tmp/cvmfs-native-bench.XXXXXX)
chmod 755 "$D"
FQRN=bench.example.org
WEB=$CVMFS_TEST_WEB_ROOT/cvmfs/native-bench
cleanup() {
    umount -l "$D/native/$FQRN" 2> /dev/null || true
    umount -l "$D/snapshot" 2> /dev/null || true
    rm -rf "$D" "$WEB" || true
    "$top/.ci/web" stop || true
}
trap cleanup EXIT

echo "== the tree"
python3 - "$D/tree" <<'EOF'
import os, random, sys
root = sys.argv[1]
rng = random.Random(42)
for i in range(20000):
    d = os.path.join(root, f"d{i % 2000:04d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}"), "wb") as f:
        f.write(rng.randbytes(rng.randint(1024, 65536)))
EOF
mkdir -p "$WEB"
"$CLI" publish "$D/tree" --fqrn $FQRN --out "$WEB/$FQRN" --keys-dir "$D/keys" > /dev/null
chmod -R a+rX "$WEB"
du -sh "$D/tree" | sed 's/^/tree: /'
mkdir -p "$D/native" "$D/snapshot"
mount_native() { # CACHE -> mounts at $D/native
    "$CLI" mount --backend native --mounts $FQRN --root "$D/native" \
        --server-url "$CVMFS_TEST_WEB_URL/cvmfs/native-bench/@fqrn@" --http-proxy DIRECT \
        --key "$D/keys/$FQRN.pub" --cache-dir "$1" > /dev/null
}
ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

echo "== mount, cold cache"
start=$(ms); mount_native "$D/cache"; mount_cold=$(( $(ms) - start ))
R=$D/native/$FQRN
echo "== cold read, sequential"
start=$(ms); find "$R" -type f -exec cat {} + > /dev/null; cold_seq=$(( $(ms) - start ))
pid=$(python3 -c "import os; print(os.getxattr('$R', 'user.pid').decode())")
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
"$CLI" umount --backend native --mounts $FQRN --root "$D/native" > /dev/null
echo "== mount, warm cache"
start=$(ms); mount_native "$D/cache"; mount_warm=$(( $(ms) - start ))
"$CLI" umount --backend native --mounts $FQRN --root "$D/native" > /dev/null
echo "== cold read, 8 readers"
mount_native "$D/cache8"
start=$(ms); find "$R" -type f -print0 | xargs -0 -n 100 -P 8 cat > /dev/null; cold_par=$(( $(ms) - start ))

echo "== curl, the same objects"
python3 - "$WEB/$FQRN" "$CVMFS_TEST_WEB_URL/cvmfs/native-bench/$FQRN" > "$D/curl.cfg" <<'EOF'
import os, sys
served, url = sys.argv[1], sys.argv[2]
for d in sorted(os.listdir(os.path.join(served, "data"))):
    for name in sorted(os.listdir(os.path.join(served, "data", d))):
        if not name.endswith(("C", "X", "H")):
            print(f'url = "{url}/data/{d}/{name}"\noutput = "/dev/null"')
EOF
start=$(ms); curl --silent --fail --config "$D/curl.cfg"; curl_seq=$(( $(ms) - start ))
start=$(ms); curl --silent --fail --parallel --parallel-max 8 --config "$D/curl.cfg"; curl_par=$(( $(ms) - start ))

echo "== warm: native against the snapshot server on the same tree"
"$CLI" serve --source "$D/tree" --target "$D/snapshot" --fqrn $FQRN --detach > /dev/null
S=$D/snapshot
hyperfine -N --warmup 2 --runs 10 --export-json "$out/warm-find.json" \
    "find $R" "find $S" > "$out/warm-find.txt"
hyperfine --warmup 2 --runs 10 --export-json "$out/warm-read.json" \
    "find $R -type f -exec cat {} + > /dev/null" "find $S -type f -exec cat {} + > /dev/null" > "$out/warm-read.txt"
mean() { python3 -c "import json,sys; r=json.load(open('$1'))['results']; print(f\"{r[$2]['mean']*1000:.1f}\")"; }
find_native=$(mean "$out/warm-find.json" 0); find_snap=$(mean "$out/warm-find.json" 1)
read_native=$(mean "$out/warm-read.json" 0); read_snap=$(mean "$out/warm-read.json" 1)
warm_read_ms=$read_native

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
{
    echo "| benchmark | native | reference | ratio | goal |"
    echo "|---|---|---|---|---|"
    echo "| warm find, 22,001 entries | $find_native ms | snapshot server $find_snap ms | $(ratio "$find_native" "$find_snap")x | at most 1.3x |"
    echo "| warm read of every file | $read_native ms | snapshot server $read_snap ms | $(ratio "$read_native" "$read_snap")x | at most 1.3x |"
    echo "| cold read, sequential | $cold_seq ms | curl $curl_seq ms + warm read $warm_read_ms ms | $(ratio "$cold_seq" "($curl_seq + $warm_read_ms)")x | reported |"
    echo "| cold read, 8 readers | $cold_par ms | curl --parallel-max 8 $curl_par ms + warm read $warm_read_ms ms | $(ratio "$cold_par" "($curl_par + $warm_read_ms)")x | reported |"
    echo "| mount, cold cache | $mount_cold ms | | | |"
    echo "| mount, warm cache | $mount_warm ms | | | |"
    echo "| daemon resident memory after the cold read | $(( rss_kib / 1024 )) MiB | | | |"
} | tee "$out/summary.md"
