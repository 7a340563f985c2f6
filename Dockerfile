# The product image: the static cvmfs-cli on a small base, with the entrypoint that
# replaces the anchor's run.sh (remap cmsusr to MY_UID/MY_GID, mount CVMFS_MOUNTS, check,
# then run the command or a shell with every privilege dropped).
#
#   docker build -t cvmfs-cli .
#   eval "$(cvmfs-cli run-args docker -i cvmfs-cli --mounts 'cms sft')"
#
# Mounting inside the container needs a CVMFS client in the image (the cvmfs2-helper
# backend) until the native client lands; with a host that provides /cvmfs, use
# `run-args docker --backend host-bind` instead. CI has no registry: it builds the
# equivalent image from a directory root filesystem with `docker import`
# (cvmfs-cli/tests/docker.rs, cvmfs-cli/tests/containers/rootfs.sh).

FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# musl: one static binary, no shared libraries to carry into the image.
RUN cargo build --release --locked -p cvmfs-cli \
    && install -D -m 0755 target/release/cvmfs-cli /out/usr/bin/cvmfs-cli

FROM alpine:3.20
RUN apk add --no-cache bash \
    && addgroup -g 1000 cmsusr \
    && adduser -D -u 1000 -G cmsusr -h /home/cmsusr -s /bin/bash cmsusr \
    && mkdir -p /cvmfs
COPY --from=build /out/ /
ENTRYPOINT ["cvmfs-cli", "entrypoint", "--"]
