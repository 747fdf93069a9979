#!/bin/bash
# Record the lab's calibration set (traces/lab-tcg-cal-*) and the STP set
# (traces/lab-tcg-stp-*) with lab/record.sh: idle to non-converging dirty rates at two
# bandwidth caps, two guest memory sizes, an NFS disk with a guest disk writer at two
# added NFS latencies, both directions, and STP on the destination bridge at three
# forward delays plus off, and auto-converge at three dirty rates; then the lab's first
# recordings (traces/lab-tcg-{idle,dirty,nfs}-*, made before the link probe existed), so
# that a tagged repeat has them with the probe. Bundles that exist
# already are skipped, so an interrupted set can be resumed.
#
# usage: lab/calib-set.sh [--only REGEX] [--tag TAG] [--host-load N [--host-load-kind K]]
#                         [--list] [OUT_DIR]
#   (default OUT_DIR: traces/; --tag TAG records a repeat of the set, each bundle named
#   <name>-TAG, e.g. --tag q2 for a second recording on a quiet host; --host-load N
#   records each run with N busy loops on the host, lab/record.sh --host-load and
#   --host-load-kind cpu|memory|churn|build|cargo, and does not wait for a quiet machine)
# Environment: as for up.sh/record.sh (LAB, LAB_NS_PREFIX, ...), plus
#   CAL_MAX_LOAD (default 4.0): before each run, wait while the 1-minute load average of
#                the machine is above this (others' jobs perturb TCG timing) ...
#   CAL_LOAD_WAIT_S (default 300): ... but at most this long, then record anyway (the
#                bundle's [lab] load_avg says what it was).
# The lab is brought up with the storage each run needs (up.sh rebuilds it when the
# storage differs) and is left up at the end: lab/down.sh.
set -eu
. "$(dirname "$0")/lib.sh"
need_root

ONLY= LIST=no OUT= TAG= HOST_LOAD=0 HOST_LOAD_KIND=cpu
while [ $# -gt 0 ]; do
    case $1 in
    --only) ONLY=$2; shift ;;
    --tag) TAG=$2; shift ;;
    --host-load) HOST_LOAD=$2; shift ;;
    --host-load-kind) HOST_LOAD_KIND=$2; shift ;;
    --list) LIST=yes ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) OUT=$1 ;;
    esac
    shift
done
[ -n "$OUT" ] || OUT=$LAB_DIR/../traces
CAL_MAX_LOAD=${CAL_MAX_LOAD:-4.0}
CAL_LOAD_WAIT_S=${CAL_LOAD_WAIT_S:-300}

# storage  bundle name  record.sh options (all runs: 1 Gbit/s tbf link, 300 ms limit)
RUNS='
nfs  lab-tcg-cal-nfs-idle-disk256k-rtt0-512m-a2b      --memory 512 --bandwidth 64 --rate 0 --disk-kib-s 256 --nfs-delay 0
nfs  lab-tcg-cal-nfs-idle-disk256k-rtt10-512m-a2b     --memory 512 --bandwidth 64 --rate 0 --disk-kib-s 256 --nfs-delay 10
nfs  lab-tcg-cal-nfs-idle-disk256k-rtt10-512m-a2b-2   --memory 512 --bandwidth 64 --rate 0 --disk-kib-s 256 --nfs-delay 10
nfs  lab-tcg-cal-nfs-idle-disk256k-rtt0-512m-a2b-2    --memory 512 --bandwidth 64 --rate 0 --disk-kib-s 256 --nfs-delay 0
nfs  lab-tcg-cal-nfs-idle-disk256k-rtt20-512m-a2b     --memory 512 --bandwidth 64 --rate 0 --disk-kib-s 256 --nfs-delay 20
nfs  lab-tcg-cal-nfs-dirty5k-64m-disk256k-rtt0-512m-b2a  --memory 512 --bandwidth 64 --wws 64 --rate 5000 --disk-kib-s 256 --nfs-delay 0 --direction b2a
nfs  lab-tcg-cal-nfs-dirty5k-64m-disk256k-rtt10-512m-b2a --memory 512 --bandwidth 64 --wws 64 --rate 5000 --disk-kib-s 256 --nfs-delay 10 --direction b2a
none lab-tcg-cal-idle-512m-64mibs-a2b                 --memory 512 --bandwidth 64 --rate 0
none lab-tcg-cal-dirty2k-64m-512m-64mibs-a2b          --memory 512 --bandwidth 64 --wws 64 --rate 2000
none lab-tcg-cal-dirty5k-64m-512m-64mibs-b2a          --memory 512 --bandwidth 64 --wws 64 --rate 5000 --direction b2a
none lab-tcg-cal-dirty10k-64m-512m-64mibs-a2b         --memory 512 --bandwidth 64 --wws 64 --rate 10000
none lab-tcg-cal-dirty20k-64m-512m-64mibs-b2a         --memory 512 --bandwidth 64 --wws 64 --rate 20000 --direction b2a
none lab-tcg-cal-idle-512m-32mibs-b2a                 --memory 512 --bandwidth 32 --rate 0 --direction b2a
none lab-tcg-cal-dirty2k-64m-512m-32mibs-b2a          --memory 512 --bandwidth 32 --wws 64 --rate 2000 --direction b2a
none lab-tcg-cal-dirty5k-64m-512m-32mibs-a2b          --memory 512 --bandwidth 32 --wws 64 --rate 5000
none lab-tcg-cal-dirty10k-64m-512m-32mibs-b2a         --memory 512 --bandwidth 32 --wws 64 --rate 10000 --direction b2a
none lab-tcg-cal-dirty20k-64m-512m-32mibs-a2b         --memory 512 --bandwidth 32 --wws 64 --rate 20000
none lab-tcg-cal-idle-256m-64mibs-a2b                 --memory 256 --bandwidth 64 --rate 0
none lab-tcg-cal-dirty5k-64m-256m-64mibs-b2a          --memory 256 --bandwidth 64 --wws 64 --rate 5000 --direction b2a
none lab-tcg-cal-dirty10k-64m-256m-32mibs-a2b         --memory 256 --bandwidth 32 --wws 64 --rate 10000
none lab-tcg-ac-dirty20k-64m-32mibs-512m-a2b         --memory 512 --bandwidth 32 --wws 64 --rate 20000 --auto-converge --timeout 150
none lab-tcg-ac-dirty40k-64m-32mibs-512m-b2a         --memory 512 --bandwidth 32 --wws 64 --rate 40000 --auto-converge --direction b2a --timeout 150
none lab-tcg-ac-dirty10k-64m-16mibs-512m-a2b         --memory 512 --bandwidth 16 --wws 64 --rate 10000 --auto-converge --timeout 150
none lab-tcg-stp-off-idle-512m-a2b                    --memory 512 --bandwidth 64 --rate 0 --tail 16
none lab-tcg-stp-fd2s-idle-512m-a2b                   --memory 512 --bandwidth 64 --rate 0 --stp-dest 2
none lab-tcg-stp-fd5s-idle-512m-a2b                   --memory 512 --bandwidth 64 --rate 0 --stp-dest 5
none lab-tcg-stp-fd10s-idle-512m-a2b                  --memory 512 --bandwidth 64 --rate 0 --stp-dest 10
none lab-tcg-idle-512m-a2b                            --memory 512 --bandwidth 64 --wws 0 --rate 0
none lab-tcg-dirty5k-64m-512m-a2b                     --memory 512 --bandwidth 64 --wws 64 --rate 5000
none lab-tcg-dirty5k-64m-512m-b2a                     --memory 512 --bandwidth 64 --wws 64 --rate 5000 --direction b2a
none lab-tcg-dirty10k-64m-512m-a2b                    --memory 512 --bandwidth 64 --wws 64 --rate 10000
none lab-tcg-dirty20k-64m-32mibs-nonconv-512m-a2b     --memory 512 --bandwidth 32 --wws 64 --rate 20000
none lab-tcg-dirty20k-64m-32mibs-autoconverge-512m-a2b --memory 512 --bandwidth 32 --wws 64 --rate 20000 --auto-converge --timeout 150
none lab-tcg-idle-256m-scan100ms-a2b                  --memory 256 --bandwidth 64 --wws 0 --rate 0 --scan .1
none lab-tcg-idle-512m-100mbit-nocap-b2a              --memory 512 --bandwidth 0 --wws 0 --rate 0 --link 100mbit
none lab-tcg-idle-512m-a2b-stp5s                      --memory 512 --bandwidth 64 --wws 0 --rate 0 --stp-dest 5
nfs  lab-tcg-nfs-dirty2k-32m-disk256k-rtt5ms-512m-a2b --memory 512 --bandwidth 64 --wws 32 --rate 2000 --disk-kib-s 256 --nfs-delay 5
nfs  lab-tcg-nfs-idle-disk128k-rtt20ms-512m-b2a       --memory 512 --bandwidth 64 --wws 0 --rate 0 --disk-kib-s 128 --nfs-delay 20 --direction b2a
'

wait_load() {
    local end=$(( $(date +%s) + CAL_LOAD_WAIT_S )) l
    while :; do
        l=$(cut -d' ' -f1 /proc/loadavg)
        awk -v l="$l" -v m="$CAL_MAX_LOAD" 'BEGIN{exit !(l <= m)}' && return 0
        if [ "$(date +%s)" -ge "$end" ]; then log "load $l still above $CAL_MAX_LOAD after ${CAL_LOAD_WAIT_S} s: recording anyway"; return 0; fi
        log "load $l above $CAL_MAX_LOAD: waiting"
        sleep 15
    done
}

mkdir -p "$OUT"
ok=0 bad=0 skipped=0
while read -r storage name opts; do
    [ -n "$name" ] || continue
    [ -z "$TAG" ] || name=$name-$TAG
    if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then continue; fi
    if [ $LIST = yes ]; then echo "$storage $name $opts"; continue; fi
    if [ -e "$OUT/$name/trace.toml" ]; then log "$name exists: skipped"; skipped=$((skipped + 1)); continue; fi
    rm -rf "${OUT:?}/$name"
    if ! LAB_STORAGE=$storage timeout 600 "$LAB_DIR/up.sh" >/dev/null; then
        log "lab up ($storage) failed"; bad=$((bad + 1)); continue
    fi
    [ "$HOST_LOAD" != 0 ] || wait_load
    log "recording $name ($opts)"
    # shellcheck disable=SC2086
    if timeout 400 "$LAB_DIR/record.sh" --timeout 40 --host-load "$HOST_LOAD" --host-load-kind "$HOST_LOAD_KIND" $opts "$OUT/$name" >"$OUT/.$name.out" 2>&1; then
        ok=$((ok + 1))
        sed -n '/^== /,$p' "$OUT/.$name.out" >&2
        rm -f "$OUT/.$name.out"
    else
        log "$name: record.sh failed (exit $?), see $OUT/.$name.out"; bad=$((bad + 1))
    fi
done <<< "$RUNS"
[ $LIST = yes ] || log "calibration set: $ok recorded, $skipped skipped, $bad failed"
[ "$bad" = 0 ]
