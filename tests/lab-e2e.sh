#!/bin/sh
# End-to-end test of `migbench record` on a real, private lab (needs root):
#   installs the build dependencies of the `lab` feature (libvirt-dev, libca-dev,
#   libcom-dev) when missing, brings a private lab up (own $LAB, own namespace
#   prefix: it never touches another lab), records a converging and a
#   non-converging migration and replays them (tests/lab_e2e.rs), runs the fault
#   tests (tests/lab_faults.rs: destination QEMU killed, link down, SIGINT), and
#   tears the lab down whatever happened. Bounded after the build: LAB_E2E_BUDGET
#   seconds (600).
# usage: sh tests/lab-e2e.sh                 the whole test
#        sh tests/lab-e2e.sh --install-only  only the build dependencies (for a CI step
#                                            that runs clippy --all-features first)
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "lab-e2e: needs root (network namespaces, libvirtd, apt-get)" >&2
    exit 1
fi

missing=
for p in libvirt-dev libca-dev libcom-dev pkg-config; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "lab-e2e: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "${1:-}" = --install-only ] && exit 0

echo "lab-e2e: building with --features lab"
nice cargo build --release --features lab --tests --bins -q

# the budget counts from here: lab up, recordings, fault tests, lab down
BUDGET=${LAB_E2E_BUDGET:-600}
start=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - start) )); }

export LAB="$(mktemp -d /tmp/migbench-lab-e2e.XXXXXX)"
export LAB_NS_PREFIX="mre$$-" LAB_STORAGE=none LAB_GUEST_MIB=256
export MIGBENCH_LAB=1 MIGBENCH_LAB_OUT="$LAB/bundles"
down() {
    rc=$?
    trap - EXIT INT TERM
    if [ "$rc" != 0 ] && [ -d "$MIGBENCH_LAB_OUT" ]; then
        keep=/tmp/migbench-lab-e2e-bundles.$$
        cp -r "$MIGBENCH_LAB_OUT" "$keep" && echo "lab-e2e: bundles kept in $keep"
        # what libvirtd and QEMU said on each host (QEMU's own errors, such as a
        # migration connect that timed out, go to the domain's log only)
        for h in hA hB; do
            [ -d "$LAB/$h/log" ] || continue
            mkdir -p "$keep/logs-$h" && cp -r "$LAB/$h/log/." "$keep/logs-$h/"
            for f in "$LAB/$h/log/qemu/"*.log; do
                [ -f "$f" ] || continue
                echo "lab-e2e: last lines of $h's $(basename "$f"):"
                tail -n 8 "$f" | sed 's/^/  /'
            done
        done
    fi
    rm -f "$LAB.up.log"
    echo "lab-e2e: tearing the lab down"
    timeout 120 lab/down.sh >/dev/null 2>&1 || echo "lab-e2e: down.sh failed" >&2
    for ns in sw hA hB cl; do
        if [ -e "/run/netns/$LAB_NS_PREFIX$ns" ]; then echo "lab-e2e: namespace $LAB_NS_PREFIX$ns left behind" >&2; rc=1; fi
    done
    exit "$rc"
}
trap down EXIT
trap 'exit 130' INT TERM

echo "lab-e2e: lab up (LAB=$LAB, prefix $LAB_NS_PREFIX)"
timeout "$(left)" lab/up.sh >"$LAB.up.log" 2>&1 || { tail -20 "$LAB.up.log"; echo "lab-e2e: lab up failed"; exit 1; }
grep -E '^(versions|guest):' "$LAB.up.log" || true
lab/netctl.sh link 1gbit >/dev/null
echo "lab-e2e: lab up after $(( $(date +%s) - start )) s; running the lab tests"
rc=0
timeout "$(left)" cargo test --release --features lab -q --test lab_e2e --test lab_faults -- --test-threads=1 --nocapture || rc=$?
echo "lab-e2e: done after $(( $(date +%s) - start )) s (exit $rc)"
exit $rc
