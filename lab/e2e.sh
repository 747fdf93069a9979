#!/bin/bash
# End-to-end check of the lab: bring a private lab up (own state dir and namespace
# prefix, so it cannot collide with a lab that is already up), record two real
# migrations (an idle guest that converges, a dirtying guest that never converges and
# is aborted at its timeout), check the bundles, tear the lab down. Exits non-zero on
# any failure; the whole run is bounded (E2E_BUDGET seconds, default 540).
# With the NFS disk (the default, E2E_STORAGE=nfs) the converging run has the guest's
# disk on NFS behind the delaying relay (+10 ms round trip) with a guest disk writer,
# and its bundle must carry the storage set-up and the measured NFS round trip; when a
# `migbench` with a `replay` command is found ($MIGBENCH, PATH, or target/*/ of this
# repository) that bundle is replayed and the report must show the storage part of
# the downtime. Every recording starts with the link probe (netperf, ping).
#
# usage: lab/e2e.sh [OUT_DIR]    bundles go to OUT_DIR (default: a temp dir, removed
#                                at the end unless E2E_KEEP=1). Needs root.
# Environment: E2E_STORAGE=nfs|none (default nfs), E2E_BUDGET (s), E2E_KEEP=1,
#              E2E_LAB / E2E_NS_PREFIX (default: a temp dir, mbe<pid>-), MIGBENCH.
set -eu
. "$(dirname "$0")/lib.sh"
need_root

E2E_BUDGET=${E2E_BUDGET:-540}
export LAB=${E2E_LAB:-$(mktemp -d /tmp/migbench-e2e-lab.XXXXXX)}
export LAB_NS_PREFIX=${E2E_NS_PREFIX:-mbe$$-}
export LAB_STORAGE=${E2E_STORAGE:-nfs} LAB_GUEST_MIB=256
# libvirt logs each step of a migration and the monitor traffic (shown if a check fails)
export LAB_LIBVIRT_LOG_FILTERS=${LAB_LIBVIRT_LOG_FILTERS:-1:qemu.qemu_migration 1:qemu.qemu_process 1:qemu.qemu_monitor}
case $LAB_STORAGE in none|nfs) ;; *) die "E2E_STORAGE must be nfs or none" ;; esac
# again, so that the names and URIs derived from LAB and LAB_NS_PREFIX are this lab's
. "$LAB_DIR/lib.sh"
NFS_DELAY_MS=10
OUT=${1:-}
made_out=no
if [ -z "$OUT" ]; then OUT=$(mktemp -d /tmp/migbench-e2e-bundles.XXXXXX); made_out=yes; fi
mkdir -p "$OUT"

passed=0 failed=0 failures=
pass() { passed=$((passed + 1)); echo "e2e: PASS $*"; }
fail() { failed=$((failed + 1)); failures="$failures
  $*"; echo "e2e: FAIL $*"; }
# What the lab's daemons said, for a failed run: read before the teardown removes $LAB.
# Kept short (CI shows the end of the output): the tools' own lines of each record.log,
# libvirt's last log lines, QEMU's log without its command line, the NFS server's and
# the relay's last lines, and the state and kernel wait channel of the lab's processes.
diagnose() {
    local h f d ns
    echo "e2e: diagnostics (the lab's own logs, last lines)"
    for d in ${b1:-} ${b2:-}; do
        # up to its summary, which the run printed already
        [ -f "$d/record.log" ] && awk '/^== /{exit} {print}' "$d/record.log" \
            | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T|^nfs-ping direct: |^$' \
            | tail -n 20 | cut -c1-240 | sed "s|^|  $(basename "$d")/record.log: |"
    done
    for h in hA hB; do
        f=$LAB/$h/log/libvirtd.log
        [ -f "$f" ] && grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' "$f" | tail -n 30 | cut -c1-240 | sed "s|^|  $h/libvirtd.log: |"
        f=$LAB/$h/log/qemu/$LAB_DOMAIN.log
        [ -f "$f" ] && grep -Ev '^-|^[A-Z_]+=| \\$' "$f" | tail -n 12 | cut -c1-240 | sed "s|^|  $h/$LAB_DOMAIN.log: |"
    done
    for f in "$LAB/st/ganesha.log" "$LAB/nr/relay.log"; do
        [ -f "$f" ] && tail -n 8 "$f" | cut -c1-240 | sed "s|^|  ${f#"$LAB"/}: |"
    done
    for ns in "$NS_A" "$NS_B" "$NS_ST" "$NS_NR"; do
        ns_exists "$ns" && ip netns pids "$ns" 2>/dev/null
    done | xargs -r ps -o pid=,stat=,wchan:24=,etime=,args= -p 2>/dev/null | cut -c1-160 | sed 's/^/  ps: /'
    # QEMU's NFS and migration sockets: SYN-SENT means the path is broken, ESTAB with
    # bytes queued that the peer does not answer
    for h in hA hB; do
        ns=$(host_ns "$h")
        ns_exists "$ns" || continue
        ip netns exec "$ns" ss -Htnp 2>/dev/null \
            | grep -E 'qemu|libvirtd' | cut -c1-160 | sed "s|^|  $h ss: |"
        # the host's link addresses and what it knows of its neighbours' (ARP)
        { ip -n "$ns" -br link show type bridge; ip -n "$ns" neigh show; } 2>/dev/null \
            | sed "s|^|  $h net: |"
    done
}
cleanup() {
    trap - EXIT INT TERM
    [ -z "${WATCHDOG:-}" ] || kill "$WATCHDOG" 2>/dev/null || true
    [ "$failed" = 0 ] || diagnose || true
    echo "e2e: tearing the lab down"
    timeout 120 "$LAB_DIR/down.sh" || echo "e2e: down.sh failed"
    for ns in sw hA hB cl st nr; do
        if [ -e "/run/netns/$LAB_NS_PREFIX$ns" ]; then fail "namespace $LAB_NS_PREFIX$ns left behind"; fi
    done
    if [ "$made_out" = yes ] && [ "${E2E_KEEP:-0}" != 1 ]; then rm -rf "$OUT"; else echo "e2e: bundles in $OUT"; fi
    [ "$failed" = 0 ] || echo "e2e: failed:$failures"
    echo "e2e: $passed passed, $failed failed"
    [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}
trap 'cleanup; exit $?' EXIT
trap 'echo "e2e: interrupted"; exit 130' INT TERM
# hard bound on the whole run: TERM ourselves (the EXIT trap tears the lab down)
( sleep "$E2E_BUDGET"; echo "e2e: time budget of ${E2E_BUDGET} s exceeded"; kill -TERM $$ ) &
WATCHDOG=$!

t0=$(date +%s)
echo "e2e: lab up (LAB=$LAB, prefix $LAB_NS_PREFIX, storage $LAB_STORAGE)"
if timeout 400 "$LAB_DIR/up.sh"; then pass "lab up in $(( $(date +%s) - t0 )) s"; else fail "lab up"; exit 1; fi
accel=$(domain_accel)
[ "$accel" = tcg ] || [ "$accel" = kvm ] && pass "guest runs, accel $accel" || fail "guest accel unknown"

# check_bundle DIR OUTCOME: the manifest and the raw files look like a real run
check_bundle() {
    local d=$1 want=$2 ok=yes
    grep -q '^complete = true$' "$d/trace.toml" || { echo "  $d: not complete"; ok=no; }
    grep -q "^outcome = \"$want\"\$" "$d/trace.toml" || { echo "  $d: outcome is not $want: $(grep '^outcome' "$d/trace.toml")"; ok=no; }
    grep -q "^accel = \"$accel\"\$" "$d/trace.toml" || { echo "  $d: accel missing"; ok=no; }
    grep -q "^host_boot_id = \"$(cat /proc/sys/kernel/random/boot_id)\"\$" "$d/trace.toml" || { echo "  $d: [lab] host_boot_id missing"; ok=no; }
    grep -Eq '^host_free_2mib_blocks = [0-9]+$' "$d/trace.toml" || { echo "  $d: [lab] host_free_2mib_blocks missing"; ok=no; }
    grep -Eq '^[0-9]+ packets transmitted, [0-9]+ received' "$d/ping.log" || { echo "  $d: ping.log has no footer"; ok=no; }
    [ "$(grep -c 'bytes from' "$d/ping.log")" -gt 50 ] || { echo "  $d: too few ping replies"; ok=no; }
    [ "$(grep -c '^rootHost:calcExample ' "$d/camonitor.log")" -ge 5 ] || { echo "  $d: too few camonitor updates"; ok=no; }
    grep -Eq '"status": ?"active"' "$d/query-migrate.jsonl" || { echo "  $d: query-migrate never saw an active job"; ok=no; }
    # libvirt's series only when the job was sampled through virsh (--job-poll-via virsh)
    [ ! -e "$d/domjobinfo-series.txt" ] || grep -q '^Operation: *Outgoing migration' "$d/domjobinfo-series.txt" \
        || { echo "  $d: domjobinfo series has no job"; ok=no; }
    if [ "$want" = completed ]; then
        grep -q '^Total downtime:' "$d/domjobinfo-completed.txt" 2>/dev/null || { echo "  $d: no completed job info"; ok=no; }
    fi
    [ "$(du -sk "$d" | cut -f1)" -lt 1024 ] || { echo "  $d: bundle over 1 MiB"; ok=no; }
    # the link probe: raw files listed, figures parsed
    for f in probe-netperf.txt probe-rtt.txt; do
        { [ -s "$d/$f" ] && grep -q "^path = \"$f\"" "$d/trace.toml"; } || { echo "  $d: probe file $f missing"; ok=no; }
    done
    for k in tcp_mbit_s_8k_128b tcp_mbit_s_8k_256b tcp_mbit_s_8k_512b tcp_mbit_s_8k_1024b tcp_mbit_s_8k_2048b \
             tcp_mbit_s_default rtt_ms_avg duration_s; do
        grep -Eq "^$k = [0-9.]+\$" "$d/trace.toml" || { echo "  $d: [probe] $k missing"; ok=no; }
    done
    if [ "$LAB_STORAGE" = nfs ]; then
        grep -q '^kind = "nfs"$' "$d/trace.toml" || { echo "  $d: [storage] kind is not nfs"; ok=no; }
        for k in 'nfs_server = "' 'image_format = "qcow2"' 'cache = "none"' 'nfs_rtt_added_ms = ' 'nfs_rtt_measured_ms = '; do
            grep -q "^$k" "$d/trace.toml" || { echo "  $d: no '$k...' in the manifest"; ok=no; }
        done
        [ -s "$d/probe-nfs-rtt.txt" ] || { echo "  $d: probe-nfs-rtt.txt missing"; ok=no; }
    fi
    [ $ok = yes ]
}

# check_nfs_rtt DIR ADDED_MS: the NFS round trip measured through the relay covers the
# added latency, and the manifest says what was added
check_nfs_rtt() {
    local d=$1 added=$2 m
    m=$(sed -n 's/^nfs_rtt_measured_ms = //p' "$d/trace.toml")
    grep -q "^nfs_rtt_added_ms = $added.0\$" "$d/trace.toml" || { echo "  $d: nfs_rtt_added_ms is not $added"; return 1; }
    awk -v m="$m" -v a="$added" 'BEGIN{exit !(m != "" && m >= a * 0.9 && m < a + 50)}' \
        || { echo "  $d: measured NFS round trip '$m' ms does not fit the added $added ms"; return 1; }
    echo "  NFS round trip measured through the relay: $m ms (added $added ms)"
}

# A migbench binary with a replay command, if there is one.
find_migbench() {
    local c
    for c in "${MIGBENCH:-}" "$(command -v migbench 2>/dev/null)" "$LAB_DIR/../target/release/migbench" \
             "$LAB_DIR/../target/debug/migbench"; do
        [ -n "$c" ] && [ -x "$c" ] && "$c" replay --help >/dev/null 2>&1 && { echo "$c"; return 0; }
    done
    return 1
}

if [ "$LAB_STORAGE" = nfs ]; then
    b1=$OUT/e2e-nfs-idle-disk256k-rtt${NFS_DELAY_MS}ms-256m-a2b
    nfs_opts="--disk-kib-s 256 --nfs-delay $NFS_DELAY_MS"
else
    b1=$OUT/e2e-idle-256m-a2b
    nfs_opts=
fi
# shellcheck disable=SC2086
if "$LAB_DIR/record.sh" --memory 256 --wws 0 --rate 0 --bandwidth 64 --settle 2 --tail 5 --timeout 60 $nfs_opts "$b1"; then
    pass "converging migration recorded${nfs_opts:+ (NFS disk, +$NFS_DELAY_MS ms NFS round trip)}"
else
    fail "converging migration (record.sh exit $?)"
fi
if check_bundle "$b1" completed; then pass "bundle $(basename "$b1") checks"; else fail "bundle $(basename "$b1") checks"; fi
if [ "$LAB_STORAGE" = nfs ]; then
    if check_nfs_rtt "$b1" "$NFS_DELAY_MS"; then pass "NFS latency recorded and measured"; else fail "NFS latency"; fi
    if mb=$(find_migbench); then
        # Exit 3 means the replay ran and a check missed its tolerance: still a report.
        model="$LAB_DIR/../models/lab-tcg.toml"
        rc=0; rep=$(timeout 120 "$mb" replay "$b1" --model "$model" 2>&1) || rc=$?
        printf '%s\n' "$rep" | sed 's/^/  replay: /'
        if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
            if printf '%s\n' "$rep" | grep -q 'NFS storage handover'; then pass "replay shows the storage part of the downtime"
            else fail "replay report does not show the storage part of the downtime"; fi
        else
            fail "migbench replay $b1 (exit $rc)"
        fi
    else
        echo "e2e: SKIP replay: no migbench with a replay command (set MIGBENCH or cargo build --release)"
    fi
fi
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
if [ -n "$(for ns in "$NS_A" "$NS_B"; do ip netns pids "$ns"; done | xargs -r ps -o comm= -p | grep -x netserver)" ]; then
    fail "a netserver was left running"
fi
# the guest's tap joined each host's bridge: the bridges keep the addresses up.sh set
# (their uplinks' are higher than the tap's, so a bridge that followed its ports
# would have taken the tap's, and the hosts would not reach each other)
macs_ok=yes
for h in hA hB; do
    m=$(ip -n "$(host_ns "$h")" -br link show br0 | awk '{print $3}')
    [ "$m" = "$(bridge_mac "$(host_ip "$h")")" ] || { echo "  $h br0 has $m"; macs_ok=no; }
done
[ "$macs_ok" = yes ] && pass "host bridges keep their own addresses" || fail "a host bridge changed its address"
echo "e2e: recordings done in $(( $(date +%s) - t0 )) s"
