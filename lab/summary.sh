#!/bin/bash
# Key figures of recorded bundles, read from the raw files as the tools printed them,
# one Markdown table row per bundle (the README's tables are made with it).
#
# usage: lab/summary.sh [--probe] BUNDLE_DIR...
#   default columns: bundle, outcome, time elapsed, total downtime (source's
#     domjobinfo --completed; for an aborted job the last sample of the series),
#     QEMU's own downtime (query-migrate's completed reply, when a sample caught it
#     before the source QEMU exited), memory processed, iterations, ping lost (transmitted - received) / longest gap
#     between two replies, PV stall (longest gap between two rootHost:calcExample
#     updates by client time, and values missed in its 0..9 count after the first
#     update: the initial value races the subscription), load average
#   --probe: bundle, netperf Mbit/s at 128/256/512/1024/2048 B (8 KiB buffers) and with
#     default buffers + 64 KiB messages, ping RTT avg, NFS round trip measured, added,
#     the dirtier's achieved page writes/s and disk KiB/s
# Needs only bash, awk, sed, grep.
set -eu
mode=main
[ "${1:-}" != --probe ] || { mode=probe; shift; }
[ $# -gt 0 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2; }

toml() { sed -n "s/^$2 = //p" "$1/trace.toml" | head -n1 | tr -d '"'; }
jobval() { sed -n "s/^$2: *//p" "$1" | head -n1 | sed 's/ *$//; s/  */ /g'; }

if [ $mode = main ]; then
    echo "| bundle | outcome | time | downtime | QEMU downtime | processed | iter. | ping lost / longest gap | PV stall (missed) | load |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
else
    echo "| bundle | 128 B | 256 B | 512 B | 1024 B | 2048 B | default, 64 KiB | RTT avg | NFS RTT measured (added) | writes/s achieved | disk KiB/s achieved |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
fi
for d in "$@"; do
    d=${d%/}
    name=$(basename "$d")
    if [ $mode = probe ]; then
        p() { local v; v=$(toml "$d" "$1"); echo "${v:-—}"; }
        nfs=—
        [ -z "$(toml "$d" nfs_rtt_measured_ms)" ] || nfs="$(p nfs_rtt_measured_ms) ms ($(p nfs_rtt_added_ms) ms)"
        echo "| $name | $(p tcp_mbit_s_8k_128b) | $(p tcp_mbit_s_8k_256b) | $(p tcp_mbit_s_8k_512b) | $(p tcp_mbit_s_8k_1024b) | $(p tcp_mbit_s_8k_2048b) | $(p tcp_mbit_s_default) | $(p rtt_ms_avg) ms | $nfs | $(p dirtier_writes_per_s_achieved) | $(p disk_kib_s_achieved) |"
        continue
    fi
    outcome=$(toml "$d" outcome)
    c=$d/domjobinfo-completed.txt
    if [ -s "$c" ]; then
        t=$(jobval "$c" "Time elapsed"); dt=$(jobval "$c" "Total downtime")
        mp=$(jobval "$c" "Memory processed"); it=$(jobval "$c" "Iteration")
    elif [ -s "$d/domjobinfo-series.txt" ]; then
        # aborted: the last sample of the running job
        last=$(awk 'BEGIN{RS=""} /Operation: *Outgoing migration/ && /Job type: *Unbounded/ {b=$0} END{print b}' "$d/domjobinfo-series.txt")
        t="$(printf '%s\n' "$last" | sed -n 's/^Time elapsed: *//p' | sed 's/  */ /g') (at abort)"
        dt="— (expected $(printf '%s\n' "$last" | sed -n 's/^Expected downtime: *//p' | sed 's/  */ /g'))"
        mp=$(printf '%s\n' "$last" | sed -n 's/^Memory processed: *//p')
        it=$(printf '%s\n' "$last" | sed -n 's/^Iteration: *//p' | sed 's/ *$//')
    else
        # aborted, sampled on QEMU's socket: the last active query-migrate reply
        last=$(grep -E '"status": ?"active"' "$d/query-migrate.jsonl" 2>/dev/null | tail -n1)
        num() { printf '%s\n' "$last" | grep -oE "\"$1\": ?[0-9]+" | head -n1 | grep -oE '[0-9]+$'; }
        t="$(num total-time) ms (at abort)"
        dt="— (expected $(num expected-downtime) ms)"
        mp=$(awk -v b="$(num transferred)" 'BEGIN{ if (b != "") printf "%.3f MiB", b / 1048576 }')
        it=$(( $(num dirty-sync-count || echo 1) - 1 ))
    fi
    qd=$(grep -oE '"status": ?"completed"[^}]*"downtime": ?[0-9]+' "$d/query-migrate.jsonl" 2>/dev/null | head -n1 | grep -oE '[0-9]+$' || true)
    qd=${qd:+$qd ms}
    pingf=$(awk '
        /packets transmitted/ { tx = $1; rx = $4 }
        /bytes from/ { s = substr($1, 2, length($1) - 2) + 0; if (last && s - last > g) g = s - last; last = s }
        END { printf "%d / %.2f s", tx - rx, g }' "$d/ping.log")
    pv=$(TZ=UTC awk '
        $1 == "rootHost:calcExample" {
            if (!match($0, /\(([0-9-]+ [0-9:.]+)\)/)) next
            ts = substr($0, RSTART + 1, RLENGTH - 2); split(ts, a, /[- :]/)
            t = mktime(a[1] " " a[2] " " a[3] " " a[4] " " a[5] " 0") + a[6]
            v = $NF + 0
            if (n) { if (t - lt > g) g = t - lt; m = (v - lv + 10) % 10; if (n > 1 && m > 1) miss += m - 1 }
            lt = t; lv = v; n++ }
        END { printf "%.2f s (%d)", g, miss }' "$d/camonitor.log")
    echo "| $name | $outcome | $t | $dt | ${qd:-—} | $mp | $it | $pingf | $pv | $(toml "$d" load_avg) |"
done
