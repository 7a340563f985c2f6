#!/usr/bin/env bash
# The anchor's container start (run.sh), step for step: remap cmsusr to MY_UID/MY_GID
# (groupmod/usermod edit passwd and group), chown -R the home, mount each repository in
# turn, probe, then drop to the user and run the command.
# Usage: start.sh ETC HOME HELPER ROOT REPOS CMD...
etc=$1; home=$2; helper=$3; root=$4; repos=$5; shift 5
user=cmsusr
# groupmod -g / usermod -o -u, as sed edits of the same files.
sed -i "s/^$user:x:[0-9]*:/$user:x:$MY_GID:/" "$etc/group"
sed -i "s/^\($user:x:\)[0-9]*:[0-9]*:/\1$MY_UID:$MY_GID:/" "$etc/passwd"
chown -R "$MY_UID:$MY_GID" "$home"
for repo in $repos; do
    mkdir -p "$root/$repo"
    "$helper" "$repo" "$root/$repo" > /dev/null 2>&1
    echo "Mounting the filesystem \"$repo\" ... DONE"
done
for repo in $repos; do
    ls "$root/$repo" > /dev/null 2>&1
    df -P "$root/$repo" 2>/dev/null | grep -q '^cvmfs2' || echo "Probing $root/$repo... Failed!"
done
exec setpriv --reuid="$MY_UID" --regid="$MY_GID" --clear-groups "$@"
