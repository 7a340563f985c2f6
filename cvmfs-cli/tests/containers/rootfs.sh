#!/usr/bin/env bash
# Builds a minimal root filesystem for container tests in $1: busybox-static for the
# shell and tools, cvmfs-cli ($2) with the shared libraries it links, and a cmsusr
# account (uid/gid 1000) like the anchor image's.
set -euo pipefail
root=$1
cli=$2
mkdir -p "$root"/{bin,usr/bin,etc,home/cmsusr,cvmfs,snap,tmp,proc,sys,dev,run,root}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for tool in sh ash id cat grep sleep ls echo true mkdir seq trap test stat awk touch head date tail; do
    ln -sf busybox "$root/bin/$tool"
done
cp "$cli" "$root/usr/bin/cvmfs-cli"
# The binary's shared libraries and loader, at the same paths.
ldd "$cli" | grep -o '/[^ )]*' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\ncmsusr:x:1000:1000:CMS user:/home/cmsusr:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\ncmsusr:x:1000:\n' > "$root/etc/group"
echo "data owned by cmsusr" > "$root/home/cmsusr/notes.txt"
chown -R 1000:1000 "$root/home/cmsusr"
