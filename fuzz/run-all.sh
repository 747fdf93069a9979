#!/bin/sh
# Runs every fuzz target for RUNS executions (10 million by default), two at a time at low
# priority, seeded from seeds/<target>; the libFuzzer output of each goes to $LOGS/<target>.log.
# cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 lets the stable toolchain provide them.
# The library has no unsafe code, so AddressSanitizer is off by default (SANITIZER=address to
# turn it on): it finds nothing safe Rust can do and costs most of the speed. Overflow checks
# and debug assertions stay on, so arithmetic overflow is caught.
set -eu
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
LOGS=${LOGS:-/tmp/migbench-fuzz-logs}
JOBS=${JOBS:-2}
SANITIZER=${SANITIZER:-none}
mkdir -p "$LOGS"
RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer "$SANITIZER" --debug-assertions
RUSTC_BOOTSTRAP=1 cargo fuzz list | xargs -P "$JOBS" -I{} sh -c '
  mkdir -p corpus/{}
  if RUSTC_BOOTSTRAP=1 nice -n 15 cargo fuzz run --sanitizer '"$SANITIZER"' --debug-assertions {} corpus/{} seeds/{} -- \
       -runs='"$RUNS"' -max_len=4096 -print_final_stats=1 > '"$LOGS"'/{}.log 2>&1
  then echo "{}: ok"; else echo "{}: FAILED (see '"$LOGS"'/{}.log)"; fi'
