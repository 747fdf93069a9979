#!/bin/bash
# End-to-end check of the lab: bring a private lab up (own state dir and namespace
# prefix, so it cannot collide with a lab that is already up), record two real
# migrations (an idle guest that converges, a dirtying guest that never converges and
# is aborted at its timeout), check the bundles, tear the lab down. Exits non-zero on
# any failure; the whole run is bounded (E2E_BUDGET seconds, default 540).
#
# usage: lab/e2e.sh [OUT_DIR]    bundles go to OUT_DIR (default: a temp dir, removed
#                                at the end unless E2E_KEEP=1). Needs root.
set -eu
. "$(dirname "$0")/lib.sh"
need_root

E2E_BUDGET=${E2E_BUDGET:-540}
export LAB=${E2E_LAB:-$(mktemp -d /tmp/migbench-e2e-lab.XXXXXX)}
export LAB_NS_PREFIX=${E2E_NS_PREFIX:-mbe$$-}
export LAB_STORAGE=none LAB_GUEST_MIB=256
OUT=${1:-}
made_out=no
if [ -z "$OUT" ]; then OUT=$(mktemp -d /tmp/migbench-e2e-bundles.XXXXXX); made_out=yes; fi
mkdir -p "$OUT"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "e2e: PASS $*"; }
fail() { failed=$((failed + 1)); echo "e2e: FAIL $*"; }
cleanup() {
    trap - EXIT INT TERM
    [ -z "${WATCHDOG:-}" ] || kill "$WATCHDOG" 2>/dev/null || true
    echo "e2e: tearing the lab down"
    timeout 120 "$LAB_DIR/down.sh" || echo "e2e: down.sh failed"
    for ns in sw hA hB cl st nr; do
        if [ -e "/run/netns/$LAB_NS_PREFIX$ns" ]; then fail "namespace $LAB_NS_PREFIX$ns left behind"; fi
    done
    if [ "$made_out" = yes ] && [ "${E2E_KEEP:-0}" != 1 ]; then rm -rf "$OUT"; else echo "e2e: bundles in $OUT"; fi
    echo "e2e: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}
trap 'cleanup; exit $?' EXIT
trap 'echo "e2e: interrupted"; exit 130' INT TERM
# hard bound on the whole run: TERM ourselves (the EXIT trap tears the lab down)
( sleep "$E2E_BUDGET"; echo "e2e: time budget of ${E2E_BUDGET} s exceeded"; kill -TERM $$ ) &
WATCHDOG=$!

t0=$(date +%s)
echo "e2e: lab up (LAB=$LAB, prefix $LAB_NS_PREFIX)"
if timeout 400 "$LAB_DIR/up.sh"; then pass "lab up in $(( $(date +%s) - t0 )) s"; else fail "lab up"; exit 1; fi
accel=$(domain_accel)
[ "$accel" = tcg ] || [ "$accel" = kvm ] && pass "guest runs, accel $accel" || fail "guest accel unknown"

# check_bundle DIR OUTCOME: the manifest and the raw files look like a real run
check_bundle() {
    local d=$1 want=$2 ok=yes
    grep -q '^complete = true$' "$d/trace.toml" || { echo "  $d: not complete"; ok=no; }
    grep -q "^outcome = \"$want\"\$" "$d/trace.toml" || { echo "  $d: outcome is not $want: $(grep '^outcome' "$d/trace.toml")"; ok=no; }
    grep -q "^accel = \"$accel\"\$" "$d/trace.toml" || { echo "  $d: accel missing"; ok=no; }
    grep -Eq '^[0-9]+ packets transmitted, [0-9]+ received' "$d/ping.log" || { echo "  $d: ping.log has no footer"; ok=no; }
    [ "$(grep -c 'bytes from' "$d/ping.log")" -gt 50 ] || { echo "  $d: too few ping replies"; ok=no; }
    [ "$(grep -c '^rootHost:calcExample ' "$d/camonitor.log")" -ge 5 ] || { echo "  $d: too few camonitor updates"; ok=no; }
    grep -q '"status":"active"' "$d/query-migrate.jsonl" || { echo "  $d: query-migrate never saw an active job"; ok=no; }
    grep -q '^Operation: *Outgoing migration' "$d/domjobinfo-series.txt" || { echo "  $d: domjobinfo series has no job"; ok=no; }
    if [ "$want" = completed ]; then
        grep -q '^Total downtime:' "$d/domjobinfo-completed.txt" 2>/dev/null || { echo "  $d: no completed job info"; ok=no; }
    fi
    [ "$(du -sk "$d" | cut -f1)" -lt 1024 ] || { echo "  $d: bundle over 1 MiB"; ok=no; }
    [ $ok = yes ]
}

b1=$OUT/e2e-idle-256m-a2b
if "$LAB_DIR/record.sh" --memory 256 --wws 0 --rate 0 --bandwidth 64 --settle 2 --tail 5 --timeout 60 "$b1"; then
    pass "converging migration recorded"
else
    fail "converging migration (record.sh exit $?)"
fi
if check_bundle "$b1" completed; then pass "bundle $(basename "$b1") checks"; else fail "bundle $(basename "$b1") checks"; fi
where=$(domain_where)
[ "$where" = hB ] && pass "guest on hB after the migration" || fail "guest on '$where' after the migration (wanted hB)"

b2=$OUT/e2e-dirty20k-64m-32mibs-nonconv-256m-b2a
if "$LAB_DIR/record.sh" --direction b2a --memory 256 --wws 64 --rate 20000 --bandwidth 32 \
        --settle 2 --tail 4 --timeout 25 "$b2"; then
    pass "non-converging migration recorded and aborted"
else
    fail "non-converging migration (record.sh exit $?)"
fi
if check_bundle "$b2" aborted; then pass "bundle $(basename "$b2") checks"; else fail "bundle $(basename "$b2") checks"; fi
where=$(domain_where)
[ "$where" = hB ] && pass "guest still on hB after the abort" || fail "guest on '$where' after the abort (wanted hB)"
echo "e2e: recordings done in $(( $(date +%s) - t0 )) s"
