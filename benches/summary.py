"""Reads compare.sh's results and prints each figure with its target."""
import json
import pathlib
import statistics
import sys

out = pathlib.Path(sys.argv[1])


def medians(name):
    results = json.loads((out / f"{name}.json").read_text())["results"]
    return {r["command"]: statistics.median(r["times"]) for r in results}


check = medians("check")
hung = medians("check-hung")
anchor_hung = json.loads((out / "check-hung-anchor.json").read_text())
one = medians("mount-one")["one-mount"]
nine = medians("mount-nine")
recovery = json.loads((out / "recovery.json").read_text())["crash_to_healthy_seconds"]
start = medians("start")
scale = medians("check-200")["cvmfs-cli-200"]

rows = [
    ("1. check, 9 healthy", f"cvmfs-cli {check['cvmfs-cli']*1e3:.1f} ms, anchor probe {check['anchor-probe']*1e3:.1f} ms",
     f"{check['anchor-probe']/check['cvmfs-cli']:.1f}x faster", ">= 20x"),
    ("1. check, one hung", f"cvmfs-cli {hung['cvmfs-cli-hung']*1e3:.0f} ms (timeout 1000 ms); anchor probe "
     + ("never returned (killed after 10 s)" if anchor_hung["anchor_probe_hung_status"] == 124 else f"exit {anchor_hung['anchor_probe_hung_status']}"),
     f"+{(hung['cvmfs-cli-hung']-1.0)*1e3:.0f} ms over the timeout", "<= timeout + 100 ms"),
    ("2. mount 9 at 500 ms each", f"cvmfs-cli {nine['cvmfs-cli']:.2f} s, anchor sequential {nine['anchor-sequential']:.2f} s, one mount {one:.2f} s",
     f"{nine['cvmfs-cli']/one:.2f}x one mount", "<= 2.2x one mount"),
    ("3. crash to healthy (watch 1 s)", ", ".join(f"{t:.2f}" for t in recovery) + " s",
     f"median {statistics.median(recovery):.2f} s", "< 1.5 s"),
    ("4. start to command, 100k-file home", f"entrypoint {start['cvmfs-cli-entrypoint']:.2f} s, anchor {start['anchor-start']:.2f} s",
     f"{start['anchor-start']/start['cvmfs-cli-entrypoint']:.1f}x faster", ">= 5x"),
    ("6. check, 200 healthy", f"{scale*1e3:.1f} ms", f"{scale*1e3:.1f} ms", "< 50 ms"),
]
print("| benchmark | measured | result | target |")
print("|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
