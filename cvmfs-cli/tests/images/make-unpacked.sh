#!/usr/bin/env bash
# Builds in $1 a repository tree laid out as DUCC lays out /cvmfs/unpacked.cern.ch, from
# the busybox-static binary ($2, default /bin/busybox), for `cvmfs-cli publish`:
#
#   registry.hub.docker.com/library/busybox:{1.36,1.36.1,stable}  -> ../../.flat/<c1>
#   registry.hub.docker.com/library/busybox:1.37.0               -> ../../.flat/<c2>
#   registry.hub.docker.com/library/busybox:multi  -> a variant symlink through
#       .multiarch/$(CVMFS_ARCH:-amd64)/..., with .multiarch/x86_64 -> amd64
#   .flat/<xx>/<config digest>     the merged root filesystem plus DUCC's Singularity files
#   .layers/<xx>/<blob digest>/    layerfs, .metadata/{origin,layers}.json
#   .chains/<xx>/<DUCC chain id>   the root filesystem after each layer
#   .metadata/<registry>/<repository>:<tag>/manifest.json   (Go-marshalled keys)
#
# The digests are real: layers are reproducible tar.gz files of the layer trees, the
# configs are JSON documents holding the image's ENV and diff ids. Prints
# "tag=<tag> config=<hex>" and "layer=<hex>" lines for the test to compare with.
set -euo pipefail
out=$1
busybox=${2:-/bin/busybox}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
registry=registry.hub.docker.com
repository=library/busybox
sha() { sha256sum | cut -d' ' -f1; }

# Layer 1: busybox and the applets the tests use. Layer 2: a file of its own.
mkdir -p "$work/l1/bin" "$work/l2/etc"
cp "$busybox" "$work/l1/bin/busybox"
for applet in sh echo env cat ls id true printenv; do ln -s busybox "$work/l1/bin/$applet"; done
echo "busybox from an unpacked layer" > "$work/l2/etc/motd"
layer_tar() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - . ; }
declare -a blobs diffs
for i in 1 2; do
    layer_tar "$work/l$i" > "$work/l$i.tar"
    gzip -n -c "$work/l$i.tar" > "$work/l$i.tar.gz"
    diffs[i]=$(sha < "$work/l$i.tar")
    blobs[i]=$(sha < "$work/l$i.tar.gz")
done

# The layers, unpacked, with DUCC's metadata; the chains after each layer.
mkdir -p "$out"
for i in 1 2; do
    b=${blobs[i]}
    dir="$out/.layers/${b:0:2}/$b"
    mkdir -p "$dir/.metadata"
    cp -a "$work/l$i" "$dir/layerfs"
    printf '[{"id":"%s","created":"1970-01-01T00:00:00Z","compressed-diff-digest":"sha256:%s","diff-digest":"sha256:%s","diff-size":%s}]\n' \
        "${diffs[i]}" "$b" "${diffs[i]}" "$(stat -c %s "$work/l$i.tar")" > "$dir/.metadata/layers.json"
    echo "layer=$b"
done
h0=$(printf 'sha256:%s' "${blobs[1]}" | sha)
h1=$(printf 'sha256:%s sha256:%s' "$h0" "${blobs[2]}" | sha)
mkdir -p "$work/merged"
cp -a "$work/l1/." "$work/merged/"
mkdir -p "$out/.chains/${h0:0:2}" "$out/.chains/${h1:0:2}"
cp -a "$work/l1" "$out/.chains/${h0:0:2}/$h0"
cp -a "$work/l2/." "$work/merged/"
cp -a "$work/merged" "$out/.chains/${h1:0:2}/$h1"
echo "chain=$h0"
echo "chain=$h1"

# One image per greeting: its config, flat and manifest; public links for its tags.
image() {
    local greeting=$1; shift
    local config
    config=$(printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GREETING=%s"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
        "$greeting" "${diffs[1]}" "${diffs[2]}")
    local c
    c=$(printf '%s' "$config" | sha)
    local flat="$out/.flat/${c:0:2}/$c"
    mkdir -p "$(dirname "$flat")"
    cp -a "$work/merged" "$flat"
    # DUCC's Singularity files.
    mkdir -p "$flat"/.singularity.d/{actions,env,libs} "$flat"/{dev,proc,sys,tmp,var/tmp,root,home,etc}
    : > "$flat/etc/hosts"
    : > "$flat/etc/resolv.conf"
    printf '#!/bin/sh\nexport PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nexport GREETING="${GREETING:-%s}"\n' \
        "$greeting" > "$flat/.singularity.d/env/10-docker2singularity.sh"
    printf '#!/bin/sh\n' > "$flat/.singularity.d/env/01-base.sh"
    printf '#!/bin/sh\nOCI_ENTRYPOINT=""\nOCI_CMD="sh"\nexec $OCI_ENTRYPOINT $OCI_CMD "$@"\n' > "$flat/.singularity.d/runscript"
    for action in exec run shell start test; do
        printf '#!/bin/sh\nexec "$@"\n' > "$flat/.singularity.d/actions/$action"
    done
    chmod 755 "$flat"/.singularity.d/env/*.sh "$flat/.singularity.d/runscript" "$flat"/.singularity.d/actions/*
    ln -s .singularity.d/runscript "$flat/singularity"
    ln -s .singularity.d/env/90-environment.sh "$flat/environment"
    for action in exec run shell test; do ln -s ".singularity.d/actions/$action" "$flat/.$action"; done
    # The layers know which images use them.
    for i in 1 2; do
        printf '{"origin":["sha256:%s"]}\n' "$c" >> "$out/.layers/${blobs[i]:0:2}/${blobs[i]}/.metadata/origin.json.parts"
    done
    local manifest
    manifest=$(printf '{"SchemaVersion":2,"MediaType":"application/vnd.docker.distribution.manifest.v2+json","Config":{"MediaType":"application/vnd.docker.container.image.v1+json","Size":%s,"Digest":"sha256:%s"},"Layers":[{"MediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","Size":%s,"Digest":"sha256:%s"},{"MediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","Size":%s,"Digest":"sha256:%s"}]}' \
        "${#config}" "$c" "$(stat -c %s "$work/l1.tar.gz")" "${blobs[1]}" "$(stat -c %s "$work/l2.tar.gz")" "${blobs[2]}")
    mkdir -p "$out/$registry/library"
    for tag in "$@"; do
        mkdir -p "$out/.metadata/$registry/$repository:$tag"
        printf '%s\n' "$manifest" > "$out/.metadata/$registry/$repository:$tag/manifest.json"
        if [ "$tag" = multi ]; then
            mkdir -p "$out/.multiarch/amd64/$registry/library"
            ln -s "../../../../.flat/${c:0:2}/$c" "$out/.multiarch/amd64/$registry/$repository:$tag"
            [ -e "$out/.multiarch/x86_64" ] || ln -s amd64 "$out/.multiarch/x86_64"
            ln -s "../../.multiarch/\$(CVMFS_ARCH:-amd64)/$registry/$repository:$tag" "$out/$registry/$repository:$tag"
        else
            ln -s "../../.flat/${c:0:2}/$c" "$out/$registry/$repository:$tag"
        fi
        echo "tag=$tag config=$c"
    done
}
image "hello from busybox 1.36" 1.36 1.36.1 stable multi
image "hello from busybox 1.37" 1.37.0
for i in 1 2; do
    dir="$out/.layers/${blobs[i]:0:2}/${blobs[i]}/.metadata"
    origins=$(sed -e 's/{"origin":\["\(.*\)"\]}/"\1"/' "$dir/origin.json.parts" | paste -sd, -)
    printf '{"origin":[%s]}\n' "$origins" > "$dir/origin.json"
    rm "$dir/origin.json.parts"
done
