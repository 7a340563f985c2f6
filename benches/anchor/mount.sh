#!/usr/bin/env bash
# The anchor's mount function: one `mount -t cvmfs` (here: the mount helper, called the
# same way) per repository, one after the other, printing DONE whatever happened.
# Usage: mount.sh HELPER ROOT REPO...
helper=$1; root=$2; shift 2
for repo in "$@"; do
    mkdir -p "$root/$repo"
    echo -n "Mounting the filesystem \"$repo\" ... "
    "$helper" "$repo" "$root/$repo" > /dev/null 2>&1
    echo "DONE"
done
