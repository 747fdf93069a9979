#!/bin/sh
# The one test command (see README): format, lint, unit and integration tests.
set -eu
cd "$(dirname "$0")/.."
export CI="${CI:-true}" INSTA_UPDATE=no
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --release
