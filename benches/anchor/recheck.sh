#!/usr/bin/env bash
# The anchor's check in every interactive shell, run as the container user: probe each
# repository (`ls`, then `df -P` looking for cvmfs2); on a failure print the anchor's
# message and run its mount function again, as that same unprivileged user, without
# unmounting the dead mount first, printing DONE whatever happened.
# Usage: recheck.sh HELPER ROOT REPO...
helper=$1; root=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
echo -n "Checking CVMFS mounts ... "
if "$here/probe.sh" "$root" "$@" > /dev/null 2>&1; then
    echo "DONE"
    exit 0
fi
echo "At least one CVMFS folders is not mounted. Will automatically retry the CVMFS mounts."
"$here/mount.sh" "$helper" "$root" "$@"
