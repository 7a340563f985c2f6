"""Reads compare.sh's results and prints each figure beside its target (Markdown)."""
import json
import pathlib
import statistics
import sys

out = pathlib.Path(sys.argv[1])


def medians(name):
    results = json.loads((out / f"{name}.json").read_text())["results"]
    return {r["command"]: statistics.median(r["times"]) for r in results}


def verdict(met):
    return "met" if met else "**missed**"


check = medians("check")
hung = medians("check-hung")["cvmfs-cli-hung"]
anchor_hung = json.loads((out / "check-hung-anchor.json").read_text())
one = medians("mount-one")["one-mount"]
nine = medians("mount-nine")
recovery = json.loads((out / "recovery.json").read_text())
crash = recovery["crash_to_healthy_seconds"]
start = medians("start")
scale = medians("check-200")["cvmfs-cli-200"]

ratio_check = check["anchor-probe"] / check["cvmfs-cli"]
ratio_static = check["anchor-probe"] / check["cvmfs-cli-static"]
anchor_hung_text = (
    "never returned (killed by `timeout` after 10 s)"
    if anchor_hung["anchor_probe_hung_status"] == 124
    else f"exit status {anchor_hung['anchor_probe_hung_status']}"
)
ratio_mount = nine["cvmfs-cli"] / one
ratio_start = start["anchor-start"] / start["cvmfs-cli-entrypoint"]
median_crash = statistics.median(crash)
rows = [
    ("1. check, 9 healthy",
     f"cvmfs-cli {check['cvmfs-cli'] * 1e3:.1f} ms (static build {check['cvmfs-cli-static'] * 1e3:.1f} ms), "
     f"anchor probe {check['anchor-probe'] * 1e3:.1f} ms",
     f"{ratio_check:.1f}x faster (static {ratio_static:.1f}x)", ">= 20x", verdict(ratio_check >= 20)),
    ("1. check, one hung",
     f"cvmfs-cli {hung * 1e3:.0f} ms at a 1000 ms timeout; anchor probe {anchor_hung_text}",
     f"+{(hung - 1.0) * 1e3:.0f} ms over the timeout", "<= timeout + 100 ms", verdict(hung <= 1.1)),
    ("2. mount 9, 500 ms each",
     f"cvmfs-cli {nine['cvmfs-cli']:.2f} s, anchor sequential {nine['anchor-sequential']:.2f} s, "
     f"one mount {one:.3f} s",
     f"{ratio_mount:.2f}x one mount", "<= 2.2x one mount", verdict(ratio_mount <= 2.2)),
    ("3. crash to healthy (watch, 1 s)",
     f"{len(crash)} kills at random points of the round: min {min(crash):.2f} s, max {max(crash):.2f} s; "
     f"anchor after 10 shells' checks: {recovery['anchor_state_after_10_shells']}",
     f"median {median_crash:.2f} s", "< 1.5 s median", verdict(median_crash < 1.5)),
    ("4. start to command, 100k-file home",
     f"entrypoint {start['cvmfs-cli-entrypoint'] * 1e3:.0f} ms, anchor {start['anchor-start'] * 1e3:.0f} ms",
     f"{ratio_start:.1f}x faster", ">= 5x", verdict(ratio_start >= 5)),
    ("6. check, 200 healthy", f"{scale * 1e3:.1f} ms", f"{scale * 1e3:.1f} ms", "< 50 ms",
     verdict(scale < 0.05)),
]
print((out / "machine.txt").read_text().strip().replace("\n", "; "))
print()
print("| benchmark | measured (medians) | result | target | |")
print("|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
