#!/bin/sh
# The one test command (see README): formatting, lint, unit and integration tests,
# snapshots, then the real lab end to end (root: it installs what it needs).
set -eu
cd "$(dirname "$0")/.."
export CI="${CI:-true}" INSTA_UPDATE=no
cargo fmt --all -- --check
# Build dependencies of the `lab` feature (libvirt-dev, libca-dev, libcom-dev).
sh tests/lab-e2e.sh --install-only
cargo clippy --all-targets --all-features -- -D warnings
cargo test --release --all-features
# Real migrations: a private lab up, recorded, replayed, fault tests, lab down.
sh tests/lab-e2e.sh
# Real migrations with the guest's disk on NFS and added NFS latency, replayed.
sh lab/e2e.sh
