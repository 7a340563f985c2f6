#!/usr/bin/env bash
# The fetch benchmark against a real nginx on loopback: starts .ci/web, runs
# `cargo bench --bench fetch`, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "fetch.sh needs curl" >&2; exit 2; }
vars=$(.ci/web start)
trap '.ci/web stop' EXIT
set -a
eval "$vars"
set +a
cargo bench -p cvmfs-benches --bench fetch
