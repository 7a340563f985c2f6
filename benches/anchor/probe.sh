#!/usr/bin/env bash
# The anchor's health check, as `cvmfs_config probe` does it: per repository, list the
# directory (to trigger autofs), then OK only if `df -P` shows a filesystem named cvmfs2.
# No timeout. Usage: probe.sh ROOT REPO...
root=$1; shift
status=0
for repo in "$@"; do
    ls "$root/$repo" > /dev/null 2>&1
    if df -P "$root/$repo" 2>/dev/null | grep -q '^cvmfs2'; then
        echo "Probing $root/$repo... OK"
    else
        echo "Probing $root/$repo... Failed!"
        status=1
    fi
done
exit $status
