"""Crash-to-healthy times under `cvmfs-cli watch`, and what the anchor's shell check does
with the same crash. Called by compare.sh inside its private mount namespace.

Usage: recovery.py CLI ROOT SOURCE HELPER ANCHOR_ROOT RECHECK OUT_JSON
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

cli, root, source, helper, anchor_root, recheck, out = sys.argv[1:8]
KILLS = 15
LIMIT = 20.0


def server_pid():
    """The serving process of cms.cern.ch under ROOT, or None when it is not healthy."""
    args = [cli, "check", "--mounts", "cms", "--source", source, "--root", root, "--json"]
    text = subprocess.run(args, capture_output=True, text=True).stdout
    found = re.search(r'"pid": (\d+)', text)
    return int(found.group(1)) if found else None


# Ours: kill the server at a random moment of watch's 1 s round, then poll until a new
# server answers.
times = []
for _ in range(KILLS):
    old = server_pid()
    if old is None:
        raise SystemExit("cms.cern.ch is not healthy before the kill")
    time.sleep(random.uniform(0.0, 1.0))
    start = time.perf_counter()
    os.kill(old, signal.SIGKILL)
    while True:
        now = server_pid()
        if now is not None and now != old:
            break
        if time.perf_counter() - start > LIMIT:
            raise SystemExit(f"not recovered within {LIMIT} s")
        time.sleep(0.005)
    times.append(time.perf_counter() - start)

# The anchor: the same crash, then its check in ten interactive shells, one a second, as
# the unprivileged user (uid 65534), as in the image.
mountpoint = os.path.join(anchor_root, "cms.cern.ch")
os.kill(int(os.getxattr(mountpoint, "user.pid")), signal.SIGKILL)
time.sleep(0.1)
shells = []
for _ in range(10):
    shell = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", recheck, helper,
         anchor_root, "cms.cern.ch"],
        capture_output=True, text=True, timeout=30,
    )
    shells.append(shell.stdout.strip().splitlines())
    time.sleep(1.0)
try:
    os.getxattr(mountpoint, "user.fqrn")
    anchor_state = "healthy"
except OSError as error:
    anchor_state = f"{os.strerror(error.errno)} (errno {error.errno})"

with open(out, "w") as file:
    json.dump({
        "crash_to_healthy_seconds": times,
        "anchor_state_after_10_shells": anchor_state,
        "anchor_last_shell_output": shells[-1],
    }, file, indent=1)
