#!/bin/bash
# Record one real live migration of the lab guest into a trace bundle
# (format: traces/<bundle>/trace.toml + raw files, see lab/README.md).
#
# usage: lab/record.sh [options] BUNDLE_DIR
#   --name NAME            bundle name (default: basename of BUNDLE_DIR)
#   --description TEXT     free text for the manifest (default: made from the options)
#   --direction A->B|B->A  (also a2b, b2a; default A->B)
#   --bandwidth MIB_S      max migration bandwidth, virsh migrate --bandwidth (default 64;
#                          0 = do not pass it: libvirt's default, unlimited)
#   --downtime MS          max downtime, virsh migrate-setmaxdowntime (default 300)
#   --auto-converge        enable auto-converge (default off)
#   --wws MIB              dirtier working set (default 64)
#   --rate N               dirtier page-writes/s (default 0 = idle)
#   --disk-kib-s N         guest disk writer rate, NFS storage only (default 0)
#   --memory MIB           guest memory (default $LAB_GUEST_MIB = 512)
#   --scan S               calcExample SCAN period, 1 or .1 (default 1)
#   --timeout S            abort the job (virsh domjobabort) after S s (default 120)
#   --link RATE            shape the hosts' links with tbf: 100mbit, 1gbit, off (default 1gbit)
#   --stp-dest FD_S        STP on the destination host's bridge, forward delay FD_S s (2..30);
#                          default: STP off on both host bridges
#   --nfs-delay MS         added NFS round-trip time through the relay (storage nfs only)
#   --lead S               recording before the migration starts (default 3)
#   --tail S               recording after the job ends (default 8, at least 2*FD+6 with STP)
#   --settle S             wait after the guest is up, before recording (default 5)
#   --reuse                keep the running guest (must be on the source): the dirtier is set
#                          over its control channel instead of a fresh boot
#   --probe-s S            link probe before the run, S seconds per netperf test (default 2;
#                          the seed used 30): netperf TCP_STREAM source -> destination with
#                          8 KiB socket buffers and 128..2048 B messages, one with default
#                          buffers and 64 KiB messages, and ping -c 10 -i 0.2 between the hosts
#   --no-probe             skip the link probe
#   --host-load N          N busy loops on the host, at most 8 (each under timeout, for at
#                          most the run's timeout + 300 s), from before the guest boots to
#                          the end of the recording: a busy host on purpose (default 0;
#                          written to [lab] host_busy_loops and host_busy_loop_kind)
#   --host-load-kind cpu|memory|churn|build|cargo
#                          cpu (default): a shell `while :` loop; memory: dd from /dev/zero
#                          to /dev/null in 64 MiB blocks, which writes a 64 MiB buffer over
#                          and over (memory bandwidth and the caches, as a build's compilers
#                          use them); churn: dd the same with a fresh 256 MiB buffer each
#                          time (one block, then exit: the kernel faults in, zeroes and
#                          frees 65536 pages a round, ~0.2 s); build: `cc -O2` compiles
#                          and links a generated C file over and over, about 0.4 s a
#                          round (short processes, page faults, temporary files: a
#                          build's load, repeatable); cargo: a real build, cargo build
#                          --release --offline -j N of this repository into a scratch
#                          target directory in /tmp, from scratch each time it ends (one
#                          build with N jobs, not N loops; ~80 s on two cores)
#   --job-poll S           sample the job statistics every S s (default 0.1; 0 = do not
#                          sample during the job, keep only the finished job's statistics:
#                          to measure what the sampling itself costs the migration)
#   --job-poll-via qmp|virsh
#                          qmp (default): query-migrate on the second QMP socket the lab's
#                          domain gives QEMU (lab/qmp-poll.py), which takes none of libvirt's
#                          locks; virsh: virsh domjobinfo and virsh qemu-monitor-command
#                          query-migrate, each its own process, as every run before
#                          2026-11-27 was sampled (those queries hold libvirt's domain job
#                          and can lengthen the guest's pause: lab/README.md)
# With the NFS disk the round trip of real NFS calls (NULL RPCs, lab/nfs-ping.py) from the
# source host on the disk's path is measured too (probe-nfs-rtt.txt).
# The guest is (re)booted on the source unless --reuse. The run always ends with the guest
# running on exactly one host, which is printed. Ctrl-C aborts the job and keeps the bundle,
# marked complete = false. Needs root and a lab that is up (lab/up.sh).
set -eu
. "$(dirname "$0")/lib.sh"
need_root

NAME= DESC= DIR_ARG=A-\>B BW=64 DT=300 AC=false WWS=64 RATE=0 DISKK=0 MEM=$LAB_GUEST_MIB
SCAN=1 TIMEOUT=120 LINK=1gbit STP_FD= NFS_DELAY= LEAD=3 TAIL=8 SETTLE=5 REUSE=no OUT=
PROBE=yes PROBE_S=2 JOB_POLL=0.1 JOB_POLL_VIA=qmp HOST_LOAD=0 HOST_LOAD_KIND=cpu
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
    --name) NAME=$2; shift ;;
    --description) DESC=$2; shift ;;
    --direction) DIR_ARG=$2; shift ;;
    --bandwidth) BW=$2; shift ;;
    --downtime) DT=$2; shift ;;
    --auto-converge) AC=true ;;
    --wws) WWS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --disk-kib-s) DISKK=$2; shift ;;
    --memory) MEM=$2; shift ;;
    --scan) SCAN=$2; shift ;;
    --timeout) TIMEOUT=$2; shift ;;
    --link) LINK=$2; shift ;;
    --stp-dest) STP_FD=$2; shift ;;
    --nfs-delay) NFS_DELAY=$2; shift ;;
    --lead) LEAD=$2; shift ;;
    --tail) TAIL=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    --reuse) REUSE=yes ;;
    --probe-s) PROBE_S=$2; shift ;;
    --no-probe) PROBE=no ;;
    --host-load) HOST_LOAD=$2; shift ;;
    --host-load-kind) HOST_LOAD_KIND=$2; shift ;;
    --job-poll) JOB_POLL=$2; shift ;;
    --job-poll-via) JOB_POLL_VIA=$2; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "record.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$1 ;;
    esac
    shift
done
[ -n "$OUT" ] || usage
case $DIR_ARG in
A-\>B|a2b|AB) SRC=hA DST=hB DIRECTION="A->B" ;;
B-\>A|b2a|BA) SRC=hB DST=hA DIRECTION="B->A" ;;
*) die "--direction must be A->B or B->A" ;;
esac
for v in BW DT WWS RATE DISKK MEM TIMEOUT LEAD TAIL SETTLE PROBE_S HOST_LOAD; do
    case ${!v} in ''|*[!0-9]*) die "--$(echo $v | tr 'A-Z_' 'a-z-') must be a non-negative integer" ;; esac
done
[ "$PROBE_S" -ge 1 ] || die "--probe-s must be at least 1 s"
case $HOST_LOAD_KIND in cpu|memory|churn|build|cargo) ;; *) die "--host-load-kind must be cpu, memory, churn, build or cargo" ;; esac
REPO_DIR=$(cd "$LAB_DIR/.." && pwd)
if [ "$HOST_LOAD" -gt 0 ] && [ "$HOST_LOAD_KIND" = build ]; then
    command -v cc >/dev/null || die "--host-load-kind build needs a C compiler (cc)"
fi
if [ "$HOST_LOAD" -gt 0 ] && [ "$HOST_LOAD_KIND" = cargo ]; then
    command -v cargo >/dev/null || die "--host-load-kind cargo needs cargo on PATH"
    [ -f "$REPO_DIR/Cargo.toml" ] || die "--host-load-kind cargo builds $REPO_DIR/Cargo.toml, which is missing"
fi
[ "$HOST_LOAD" -le 8 ] || die "--host-load: at most 8 busy loops"
case $JOB_POLL in
0) JOB_POLL_US=0 ;;
[0-9]|[0-9].[0-9]|[0-9].[0-9][0-9]) JOB_POLL_US=$(awk -v s="$JOB_POLL" 'BEGIN{printf "%d", s * 1e6}')
    [ "$JOB_POLL_US" -ge 50000 ] || die "--job-poll must be 0 or from 0.05 to 9.99 s" ;;
*) die "--job-poll must be 0 or a number of seconds from 0.05 to 9.99 (e.g. 0.1, 1)" ;;
esac
case $JOB_POLL_VIA in qmp|virsh) ;; *) die "--job-poll-via must be qmp or virsh" ;; esac
[ "$JOB_POLL_US" != 0 ] || JOB_POLL_VIA=none
[ "$PROBE" = no ] || { command -v netperf && command -v netserver; } >/dev/null \
    || die "the link probe needs netperf (lab/up.sh installs it; or pass --no-probe)"
[ -z "$STP_FD" ] || { [ "$STP_FD" -ge 2 ] && [ "$STP_FD" -le 30 ]; } || die "--stp-dest must be 2..30 s"
[ -z "$STP_FD" ] || [ "$TAIL" -ge $((2 * STP_FD + 6)) ] || TAIL=$((2 * STP_FD + 6))
"$LAB_DIR/status.sh" --check || die "the lab is not up (lab/up.sh)"
STORAGE=$(cat "$LAB/storage")
[ "$STORAGE" = nfs ] || { [ -z "$NFS_DELAY" ] && [ "$DISKK" = 0 ]; } \
    || die "--nfs-delay and --disk-kib-s need the lab up with LAB_STORAGE=nfs"
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then die "$OUT exists and is not empty"; fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -n "$NAME" ] || NAME=$(basename "$OUT")
SRC_URI=$(host_uri "$SRC") DST_URI=$(host_uri "$DST") DST_IP=$(host_ip "$DST")
RLOG=$OUT/record.log
rlog() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$*" | tee -a "$RLOG" >&2; }
tq() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }   # TOML string

PIDS_BG=() PING_PID= FINISHED=no MIG_PID= OUTCOME=failed COMPLETE=false INTERRUPTED=no ABORT_REASON= MIG_RC=
SRC_QEMU_RSS_MIB= SRC_QEMU_THP_MIB= DST_QEMU_RSS_MIB= DST_QEMU_THP_MIB= STATE_FSYNC_MS=
STOP=$OUT/.stop
cleanup_bg() {
    touch "$STOP"
    # ping writes its statistics footer on SIGINT; the others just stop on TERM
    # (background jobs of a script ignore SIGINT unless they catch it, as ping does)
    [ -z "$PING_PID" ] || kill -INT "$PING_PID" 2>/dev/null || true
    for p in "${PIDS_BG[@]}"; do [ "$p" = "$PING_PID" ] || kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS_BG[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    PIDS_BG=()
    stop_host_load
    rm -f "$STOP"
}
HOG_PIDS=() HOG_DIR=
# What --host-load runs, in words, for the log and the manifest's description.
host_load_words() {
    if [ "$HOST_LOAD_KIND" = cargo ]; then echo "a cargo build of $HOST_LOAD jobs"
    else echo "$HOST_LOAD $HOST_LOAD_KIND busy loops"; fi
}
start_host_load() {
    local i
    if [ "$HOST_LOAD" -gt 0 ] && [ "$HOST_LOAD_KIND" = cargo ]; then
        HOG_DIR=$(mktemp -d /tmp/migbench-host-load.XXXXXX)
    fi
    if [ "$HOST_LOAD" -gt 0 ] && [ "$HOST_LOAD_KIND" = build ]; then
        # One C file of 60 small functions and a main, compiled and linked over and over:
        # about 0.4 s and five short processes (cc, cc1, as, collect2, ld) per round,
        # with their temporary files and the program written each time.
        HOG_DIR=$(mktemp -d /tmp/migbench-host-load.XXXXXX)
        {
            for i in $(seq 60); do
                echo "int f$i(int *a, int n) { int s = 0; for (int j = 0; j < n; j++) { s += a[j] * $i ^ (s >> 3); if (s & 1) a[j] = s; } return s; }"
            done
            echo "int main(void) { int a[64] = {0}; return f1(a, 64) & 1; }"
        } >"$HOG_DIR/gen.c"
    fi
    for i in $(seq "$HOST_LOAD"); do
        case $HOST_LOAD_KIND in
        cpu) timeout $((TIMEOUT + 300)) sh -c 'while :; do :; done' & ;;
        memory) timeout $((TIMEOUT + 300)) dd if=/dev/zero of=/dev/null bs=64M 2>/dev/null & ;;
        churn) timeout $((TIMEOUT + 300)) sh -c 'while :; do dd if=/dev/zero of=/dev/null bs=256M count=1 2>/dev/null; done' & ;;
        build) setsid timeout $((TIMEOUT + 300)) sh -c 'cd "$1" && while :; do cc -O2 gen.c -o "prog$2"; done' \
                   sh "$HOG_DIR" "$i" & ;;
        cargo) setsid timeout $((TIMEOUT + 300)) sh -c 'while :; do rm -rf "$1/target"
                   cargo build --release --offline --quiet -j "$2" --manifest-path "$3/Cargo.toml" --target-dir "$1/target" >/dev/null 2>&1 || sleep 1; done' \
                   sh "$HOG_DIR" "$HOST_LOAD" "$REPO_DIR" & ;;
        esac
        HOG_PIDS+=($!)
        [ "$HOST_LOAD_KIND" != cargo ] || break   # one build, N jobs
    done
    [ "$HOST_LOAD" = 0 ] || rlog "host load: $(host_load_words) (pids ${HOG_PIDS[*]})"
}
stop_host_load() {
    local p
    # build and cargo loops run in their own process group (setsid): the compilers go too
    for p in "${HOG_PIDS[@]}"; do
        case $HOST_LOAD_KIND in build|cargo) kill -TERM -- "-$p" 2>/dev/null || true ;; esac
        kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
    done
    [ ${#HOG_PIDS[@]} = 0 ] || rlog "host load: stopped"
    HOG_PIDS=()
    if [ -n "$HOG_DIR" ]; then sleep 1; rm -rf "$HOG_DIR"; HOG_DIR=; fi
}
on_signal() {
    INTERRUPTED=yes
    rlog "interrupted"
    if [ -n "$MIG_PID" ] && kill -0 "$MIG_PID" 2>/dev/null; then
        ABORT_REASON="interrupted"
        rlog "aborting job: virsh -c '$SRC_URI' domjobabort $LAB_DOMAIN"
        timeout 20 virsh -c "$SRC_URI" domjobabort "$LAB_DOMAIN" >>"$RLOG" 2>&1 || true
        for _ in $(seq 300); do kill -0 "$MIG_PID" 2>/dev/null || break; sleep 0.1; done
        OUTCOME=aborted
    fi
    finish
    exit 130
}

# --- set-up -------------------------------------------------------------------------
rlog "bundle $NAME: $DIRECTION bw=${BW}MiB/s downtime=${DT}ms auto-converge=$AC wws=${WWS}MiB rate=$RATE/s mem=${MEM}MiB link=$LINK stp-dest=${STP_FD:-off} storage=$STORAGE"
set_link_rate "$LINK"
set_stp "$SRC" off
if [ -n "$STP_FD" ]; then
    # before the guest's port joins the destination bridge; the uplink port then needs
    # 2 x forward delay to forward again
    set_stp "$DST" on "$STP_FD"
    rlog "STP on $DST br0, forward delay ${STP_FD}s: waiting $((2 * STP_FD + 1)) s for its uplink to forward"
    sleep $((2 * STP_FD + 1))
    wait_for 20 inns "$(host_ns "$DST")" ping -c1 -W1 "$IP_CL" || die "$DST unreachable after STP change"
else
    set_stp "$DST" off
fi
DISK_HOST=
NFS_ADDED=0.0
if [ "$STORAGE" = nfs ]; then
    if [ -n "$NFS_DELAY" ]; then
        DISK_HOST=$IP_NR; set_nfs_delay "$NFS_DELAY"
        NFS_ADDED=$(awk -v d="$NFS_DELAY" 'BEGIN{s = sprintf("%g", d + 0); if (s !~ /[.e]/) s = s ".0"; print s}')
    else DISK_HOST=$IP_ST; fi
fi
start_host_load
trap stop_host_load EXIT   # until the recorder's own exit handler takes over below
CMDLINE_EXTRA="migbench.wws_mib=$WWS migbench.rate=$RATE migbench.disk_kib_s=$DISKK migbench.scan=$SCAN"
if [ $REUSE = yes ]; then
    [ "$(domain_where)" = "$SRC" ] || die "--reuse: the guest does not run on $SRC"
    rlog "reusing the guest that runs on $SRC (no fresh boot)"
    guest_ctl "set wws_mib=$WWS rate=$RATE disk_kib_s=$DISKK" >>"$RLOG" || die "guest control channel does not answer"
else
    rlog "booting the guest on $SRC"
    start_guest "$SRC" "$MEM" "$CMDLINE_EXTRA" "$DISK_HOST"
fi
virsh -c "$SRC_URI" dumpxml "$LAB_DOMAIN" > "$OUT/domain.xml"
QMP_SOCK=$(qmp_socket "$SRC")
if [ "$JOB_POLL_VIA" = qmp ] && ! python3 "$LAB_DIR/qmp-poll.py" "$QMP_SOCK" --once query-status >/dev/null; then
    die "--job-poll-via qmp: QEMU does not answer on $QMP_SOCK (a guest booted before lab/lib.sh gave its domain that socket: boot it anew, without --reuse, or pass --job-poll-via virsh)"
fi
MEM=$(( $(virsh -c "$SRC_URI" dominfo "$LAB_DOMAIN" | awk '/^Max memory:/{print $3}') / 1024 ))
VCPUS=$(virsh -c "$SRC_URI" dominfo "$LAB_DOMAIN" | awk '/^CPU\(s\):/{print $2}')
sleep "$SETTLE"
guest_ctl get >>"$RLOG" 2>&1 || rlog "guest control channel does not answer"
ACCEL=$(domain_accel)
QEMU_VERSION=$(qemu-system-x86_64 --version | awk 'NR==1{print $4}')
LIBVIRT_VERSION=$(libvirtd --version | awk '{print $NF}')

# --- link probe (the seed's netperf test) and the NFS round trip -------------------
# netperf TCP_STREAM from the source host to a netserver on the destination host, over
# the (shaped) link the migration will use: 8 KiB socket buffers (-s/-S 8192; Linux
# doubles them) with 128..2048 B messages as in the seed, and once with default buffers
# and 64 KiB messages (what a migration stream gets); then ping -c 10 -i 0.2.
NETPERF_PORT=12865 NETSERVER_PID= PROBE_TOML= PROBE_MSGS="256 512 1024 2048 default 128"
C_NETSERVER="netserver -D -4 -L $DST_IP -p $NETPERF_PORT"
C_NETPERF="netperf -H $DST_IP -p $NETPERF_PORT -4 -t TCP_STREAM -l $PROBE_S -f m"
C_PROBE_PING="ping -D -c 10 -i 0.2 $DST_IP"
run_probe() {
    local f=$OUT/probe-netperf.txt m c o thr key
    rlog "link probe: $C_NETSERVER on $DST; $C_NETPERF -- ... from $SRC"
    ip netns exec "$(host_ns "$DST")" $C_NETSERVER >>"$RLOG" 2>&1 &
    NETSERVER_PID=$!
    wait_for 10 sh -c "ip netns exec '$(host_ns "$DST")' ss -Hltn 'sport = :$NETPERF_PORT' | grep -q ." \
        || rlog "netserver does not listen on $DST_IP:$NETPERF_PORT"
    : > "$f"
    PROBE_TOML="tool = $(tq "$(netperf -V 2>&1 | head -n1)")
from = \"$SRC\"
to = \"$DST\"
duration_s = $PROBE_S
socket_buffer_bytes = 8192"
    for m in $PROBE_MSGS; do
        if [ "$m" = default ]; then c="$C_NETPERF -- -m 65536" key=tcp_mbit_s_default
        else c="$C_NETPERF -- -s 8192 -S 8192 -m $m" key=tcp_mbit_s_8k_${m}b; fi
        printf '# %s %s\n' "$(date +%s.%N)" "$c" >> "$f"
        o=$(ip netns exec "$(host_ns "$SRC")" timeout $((PROBE_S + 20)) $c 2>&1) || rlog "netperf failed: $c"
        printf '%s\n\n' "$o" >> "$f"
        # the result line: recv socket, send socket, message size, elapsed s, 10^6 bits/s
        thr=$(printf '%s\n' "$o" | awk 'NF == 5 && $1 ~ /^[0-9]+$/ && $5 ~ /^[0-9.]+$/ {t = $5} END {print t}')
        if [ -n "$thr" ]; then PROBE_TOML="$PROBE_TOML
$key = $thr"; fi
        rlog "probe: $key = ${thr:-?} Mbit/s"
    done
    PROBE_TOML="$PROBE_TOML
default_message_bytes = 65536"
    kill -TERM "$NETSERVER_PID" 2>/dev/null || true
    wait "$NETSERVER_PID" 2>/dev/null || true
    NETSERVER_PID=
    ip netns exec "$(host_ns "$SRC")" timeout 20 $C_PROBE_PING > "$OUT/probe-rtt.txt" 2>>"$RLOG" || rlog "probe ping: loss or error"
    o=$(awk -F'[/ ]+' '/^rtt /{printf "rtt_ms_min = %s\nrtt_ms_avg = %s\nrtt_ms_max = %s\nrtt_ms_mdev = %s\n", $7, $8, $9, $10}' "$OUT/probe-rtt.txt")
    [ -z "$o" ] || PROBE_TOML="$PROBE_TOML
$o"
    RTT=$(awk -F'[/ ]+' '/^rtt /{print $8}' "$OUT/probe-rtt.txt")
    rlog "probe: rtt avg ${RTT:-?} ms"
}
# NFS: round trip of real NFS calls (NULL RPCs) from the source host on the disk's path
# (through the delaying relay when --nfs-delay is given), and straight to the server.
NFS_RTT_MS= NFS_RTT_MIN_MS= NFS_RTT_DIRECT_MS= C_NFSPING=
median_time() { sed -n 's/.* time=\([0-9.]*\) ms$/\1/p' "$@" | sort -n \
    | awk '{v[NR] = $1} END {if (NR) printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
if [ "$STORAGE" = nfs ]; then
    C_NFSPING="nfs-ping.py -c 10 -i 0.2 $DISK_HOST"
    ip netns exec "$(host_ns "$SRC")" timeout 30 "$LAB_DIR/nfs-ping.py" -c 10 -i 0.2 "$DISK_HOST" \
        > "$OUT/probe-nfs-rtt.txt" 2>>"$RLOG" || rlog "nfs-ping $DISK_HOST: errors"
    NFS_RTT_MS=$(median_time "$OUT/probe-nfs-rtt.txt")
    NFS_RTT_MIN_MS=$(awk -F'[/ ]+' '/^rtt /{print $7}' "$OUT/probe-nfs-rtt.txt")
    if [ "$DISK_HOST" != "$IP_ST" ]; then
        o=$(ip netns exec "$(host_ns "$SRC")" timeout 30 "$LAB_DIR/nfs-ping.py" -c 10 -i 0.1 "$IP_ST" 2>&1) || true
        printf '%s\n' "$o" | sed 's/^/nfs-ping direct: /' >> "$RLOG"
        NFS_RTT_DIRECT_MS=$(printf '%s\n' "$o" | median_time)
    else
        NFS_RTT_DIRECT_MS=$NFS_RTT_MS
    fi
    rlog "NFS NULL RPC round trip from $SRC: ${NFS_RTT_MS:-?} ms (median) via $DISK_HOST, ${NFS_RTT_DIRECT_MS:-?} ms direct to $IP_ST"
fi
# achieved KEY: increase of the dirtier's counter KEY per second over the recording
achieved() {
    awk -v a="${DIRTIER_G0:-}" -v b="${DIRTIER_G1:-}" -v t0="${DIRTIER_T0:-0}" -v t1="${DIRTIER_T1:-0}" -v k="$1" '
        function val(s, k,   n, i, f) { n = split(s, f, " ")
            for (i = 1; i <= n; i++) if (index(f[i], k "=") == 1) return substr(f[i], length(k) + 2)
            return "" }
        BEGIN { x = val(a, k); y = val(b, k)
            if (x != "" && y != "" && t1 > t0) printf "%.1f", (y - x) / (t1 - t0) }'
}

# --- workload probe: the dirtier flat out on the guest's vCPU ----------------------
# Page writes one busy vCPU makes: what maps CPU load to write rate, and how far the
# auto-converge throttle must go before it slows the paced dirtier.
WL_PROBE_S=4 WL_PROBE_RATE=10000000 WL_PROBE_TOML=
if [ "$PROBE" = yes ]; then
    if guest_ctl "set rate=$WL_PROBE_RATE" >/dev/null 2>&1; then
        # The dirtier adds to its counter after each batch (up to a tenth of the rate),
        # so the counter is polled and the rate taken between its first and last change.
        end=$(( $(date +%s) + WL_PROBE_S ))
        while [ "$(date +%s)" -lt "$end" ]; do
            printf '%s %s\n' "$EPOCHREALTIME" "$(guest_ctl get 2>/dev/null)"
            sleep 0.1
        done > "$OUT/.wl-probe"
        guest_ctl "set rate=$RATE" >/dev/null 2>&1 || die "could not set the dirtier back to $RATE writes/s"
        w=$(awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^writes=/) v = substr($i, 8) + 0
                   if (v != last) { if (!n++) { t0 = $1; w0 = v } t1 = $1; w1 = v; last = v } }
                 END { if (n > 2 && t1 > t0) printf "%.0f", (w1 - w0) / (t1 - t0) }' "$OUT/.wl-probe")
        rm -f "$OUT/.wl-probe"
        rlog "probe: dirtier flat out: ${w:-?} page writes/s (asked for $WL_PROBE_RATE, ${WL_PROBE_S} s)"
        [ -z "$w" ] || WL_PROBE_TOML="
dirtier_max_writes_per_s = $w
dirtier_max_how = $(tq "dirtier asked for $WL_PROBE_RATE writes/s over its ${WWS} MiB working set for $WL_PROBE_S s; rate between the first and last change of its counter, polled every 0.1 s")"
        sleep 1
    else
        rlog "probe: the dirtier does not answer"
    fi
fi
# The link probe last, its 128 B test (the free-CPU figure the model scales by) at the
# end, a few seconds before the migrate call: load that comes or goes in between is
# what a probe taken earlier misses.
RTT=
if [ "$PROBE" = yes ]; then
    trap '[ -z "$NETSERVER_PID" ] || kill "$NETSERVER_PID" 2>/dev/null; stop_host_load' EXIT
    run_probe
    trap stop_host_load EXIT
    PROBE_TOML="$PROBE_TOML$WL_PROBE_TOML"
fi
[ -n "$RTT" ] || RTT=$(inns "$(host_ns "$SRC")" ping -c 5 -i 0.2 -q "$DST_IP" | awk -F/ '/^rtt/{print $5}')
[ -n "$RTT" ] || RTT=0
rlog "accel=$ACCEL qemu=$QEMU_VERSION libvirt=$LIBVIRT_VERSION rtt $SRC->$DST=${RTT}ms"
virsh -c "$SRC_URI" migrate-setmaxdowntime "$LAB_DOMAIN" "$DT" >>"$RLOG"
RECORDED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_AVG=$(cut -d' ' -f1-3 /proc/loadavg)
rlog "load average $LOAD_AVG"
# the host's kernel, boot and free memory (as src/lab/host.rs reads them): which boot
# of the machine a run was recorded in, and what may differ between boots
HOST_KERNEL=$(cat /proc/sys/kernel/osrelease 2>/dev/null || true)
HOST_BOOT_ID=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || true)
HOST_UPTIME_S=$(awk '{printf "%.0f", $1}' /proc/uptime 2>/dev/null || true)
HOST_THP=$(sed -n 's/.*\[\([a-z]*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
HOST_MEM_AVAILABLE_MIB=$(awk '$1 == "MemAvailable:" && $3 == "kB" {print int($2 / 1024)}' /proc/meminfo 2>/dev/null || true)
# free blocks of order 9 and up (2 MiB of 4 KiB pages), counted in 2 MiB
HOST_FREE_2MIB_BLOCKS=$(awk '{for (i = 1; i <= NF; i++) if ($i == "zone") break
    for (j = i + 2; j <= NF; j++) { o = j - i - 2; if (o >= 9) t += $j * 2 ^ (o - 9) }} END {if (NR) printf "%d", t}' \
    /proc/buddyinfo 2>/dev/null || true)
rlog "host: kernel ${HOST_KERNEL:-?}, up ${HOST_UPTIME_S:-?} s, THP ${HOST_THP:-?}, ${HOST_MEM_AVAILABLE_MIB:-?} MiB available, ${HOST_FREE_2MIB_BLOCKS:-?} free 2 MiB blocks"
# the source QEMU's resident memory and how much of it sits in 2 MiB pages: with THP,
# the guest's RAM may or may not get them, by how fragmented the host's memory is
read -r SRC_QEMU_RSS_MIB SRC_QEMU_THP_MIB <<EOF
$(qemu_mem_mib "$SRC")
EOF
rlog "source QEMU: ${SRC_QEMU_RSS_MIB:-?} MiB resident, ${SRC_QEMU_THP_MIB:-?} MiB in huge pages"
# how long a 4 KiB fsync takes where both libvirtds keep their state (status XML, which
# libvirt rewrites and fsyncs several times between the source's pause and the
# destination's resume): median of 9, ms
STATE_FSYNC_MS=$(python3 - "$LAB/$SRC/run" <<'PY' 2>/dev/null || true
import os, statistics, sys, time
p = os.path.join(sys.argv[1], ".migbench-fsync-probe")
lat = []
for _ in range(9):
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, b"x" * 4096)
    t = time.perf_counter()
    os.fsync(fd)
    lat.append((time.perf_counter() - t) * 1e3)
    os.close(fd)
os.unlink(p)
print(f"{statistics.median(lat):.3f}")
PY
)
rlog "state directory fsync: ${STATE_FSYNC_MS:-?} ms (median of 9)"

# --- commands (exactly as run) ------------------------------------------------------
CA_ENV="TZ=UTC EPICS_CA_AUTO_ADDR_LIST=NO EPICS_CA_ADDR_LIST=$IP_GUEST"
C_PING="ping -D -O -i 0.1 $IP_GUEST"
C_CAMON="camonitor -tsc rootHost:calcExample rootHost:ai1"
C_JOBINFO="virsh -c '$SRC_URI' domjobinfo $LAB_DOMAIN"
C_QMP="virsh -c '$SRC_URI' qemu-monitor-command $LAB_DOMAIN '{\"execute\":\"query-migrate\"}'"
C_QMP_POLL="python3 lab/qmp-poll.py $QMP_SOCK $JOB_POLL"
MIG_ARGS=(migrate --live)
[ "$STORAGE" = nfs ] || MIG_ARGS+=(--unsafe)
[ "$AC" = true ] && MIG_ARGS+=(--auto-converge)
[ "$BW" -gt 0 ] && MIG_ARGS+=(--bandwidth "$BW")
MIG_ARGS+=("$LAB_DOMAIN" "$DST_URI" "tcp://$DST_IP")
shq() { local a out=; for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:@%+=,-]+$ ]]; then out+=" $a"; else out+=" '$a'"; fi; done; printf '%s' "${out# }"; }
C_MIGRATE="virsh -c '$SRC_URI' $(shq "${MIG_ARGS[@]}")"
C_ABORT="virsh -c '$SRC_URI' domjobabort $LAB_DOMAIN"
C_COMPLETED=


write_manifest() {
    local desc=$DESC w
    if [ -z "$desc" ]; then
        if [ "$RATE" = 0 ]; then desc="idle"; else desc="dirtying $RATE page-writes/s over $WWS MiB,"; fi
        desc="$desc $MEM MiB guest,"
        if [ "$BW" -gt 0 ]; then desc="$desc $BW MiB/s cap,"; else desc="$desc no bandwidth cap,"; fi
        desc="$desc downtime limit $DT ms,"
        if [ "$AC" = true ]; then desc="$desc auto-converge,"; fi
        desc="$desc $DIRECTION, $ACCEL, link $LINK"
        if [ -n "$STP_FD" ]; then desc="$desc, STP on the destination bridge (forward delay $STP_FD s)"; fi
        if [ "$STORAGE" = nfs ]; then desc="$desc, NFS disk (added RTT $NFS_ADDED ms, disk writes $DISKK KiB/s)"; fi
        if [ "$HOST_LOAD" -gt 0 ]; then desc="$desc, $(host_load_words) on the host"; fi
    fi
    {
        echo "[bundle]"
        echo "name = $(tq "$NAME")"
        echo "description = $(tq "$desc")"
        echo "synthetic = false"
        echo "complete = $COMPLETE"
        echo "recorded_at = \"$RECORDED_AT\""
        echo "recorder = \"lab/record.sh\""
        echo "timezone = \"UTC\""
        echo "outcome = \"$OUTCOME\""
        echo
        echo "[hosts]"
        echo "source = \"$SRC\""
        echo "destination = \"$DST\""
        echo "source_ip = \"$(host_ip "$SRC")\""
        echo "destination_ip = \"$DST_IP\""
        echo "accel = \"$ACCEL\""
        echo "qemu_version = \"$QEMU_VERSION\""
        echo "libvirt_version = \"$LIBVIRT_VERSION\""
        echo
        echo "[guest]"
        echo "memory_mib = $MEM"
        echo "vcpus = $VCPUS"
        echo
        echo "[workload]"
        echo "wws_mib = $WWS"
        echo "hot_writes_per_s = $RATE"
        echo "cold_writes_per_s = 0"
        echo "disk_writes_kib_s = $DISKK"
        echo "catch_up_ms = 100  # the dirtier makes up at most 100 ms of writes after a stall"
        echo
        echo "[link]"
        if [ "$LINK" != off ]; then echo "bandwidth_mbit_s = $(( $(rate_bits "$LINK") / 1000000 ))"; fi
        echo "rtt_ms = $RTT"
        echo
        echo "[storage]"
        echo "kind = \"$STORAGE\""
        if [ "$STORAGE" = nfs ]; then
            echo "nfs_server = \"$IP_ST\""
            echo "nfs_rtt_added_ms = $NFS_ADDED"
            echo "image_format = \"qcow2\""
            echo "cache = \"none\""
        fi
        echo
        echo "[migration]"
        if [ "$BW" -gt 0 ]; then echo "max_bandwidth_mib_s = $BW"; fi
        echo "downtime_limit_ms = $DT"
        echo "auto_converge = $AC"
        echo "postcopy = false"
        echo "direction = \"$DIRECTION\""
        echo
        echo "[network]"
        echo "bridge_stp = $( [ -n "$STP_FD" ] && echo true || echo false)"
        if [ -n "$STP_FD" ]; then echo "forward_delay_s = $STP_FD"; fi
        echo
        for pv in rootHost:calcExample rootHost:ai1; do
            echo "[[pvs]]"
            echo "name = \"$pv\""
            echo "scan_period_s = $(awk -v s="$SCAN" 'BEGIN{printf "%.1f", s}')"
            echo "counting_modulo = 10"
            echo
        done
        echo "[[files]]"
        echo "path = \"ping.log\""
        echo "format = \"ping\""
        echo "role = \"ping\""
        echo "command = $(tq "$C_PING")"
        echo
        echo "[[files]]"
        echo "path = \"camonitor.log\""
        echo "format = \"camonitor\""
        echo "role = \"pv\""
        echo "command = $(tq "$CA_ENV $C_CAMON")"
        echo
        if [ "$JOB_POLL_VIA" = qmp ]; then
            echo "[[files]]"
            echo "path = \"query-migrate.jsonl\""
            echo "format = \"query-migrate\""
            echo "role = \"jobstats\""
            echo "command = $(tq "$C_QMP_POLL  # query-migrate on QEMU's second QMP monitor every ~$JOB_POLL s; each line: unix time sent, QEMU's reply")"
        elif [ "$JOB_POLL_VIA" = virsh ]; then
            echo "[[files]]"
            echo "path = \"domjobinfo-series.txt\""
            echo "format = \"domjobinfo-series\""
            echo "role = \"jobstats\""
            echo "command = $(tq "date +%s.%N; $C_JOBINFO  # every ~$JOB_POLL s")"
            echo
            echo "[[files]]"
            echo "path = \"query-migrate.jsonl\""
            echo "format = \"query-migrate\""
            echo "role = \"jobstats\""
            echo "command = $(tq "echo \"\$(date +%s.%N) \$($C_QMP)\"  # every ~$JOB_POLL s")"
        fi
        if [ -s "$OUT/domjobinfo-completed.txt" ]; then
            echo
            echo "[[files]]"
            echo "path = \"domjobinfo-completed.txt\""
            echo "format = \"domjobinfo\""
            echo "role = \"jobinfo-completed\""
            echo "command = $(tq "$C_COMPLETED")"
        fi
        if [ -s "$OUT/domjobinfo-completed-destination.txt" ]; then
            echo
            echo "[[files]]"
            echo "path = \"domjobinfo-completed-destination.txt\""
            echo "format = \"domjobinfo\""
            echo "role = \"log\""
            echo "command = $(tq "$C_COMPLETED_DST")"
        fi
        if [ -s "$OUT/probe-netperf.txt" ]; then
            echo
            echo "[[files]]"
            echo "path = \"probe-netperf.txt\""
            echo "format = \"netperf\""
            echo "role = \"probe\""
            echo "command = $(tq "$C_NETPERF -- -s 8192 -S 8192 -m M  (M = ${PROBE_MSGS// /, }), then $C_NETPERF -- -m 65536; from $SRC, '$C_NETSERVER' on $DST; each block starts with '# <unix time> <command>'")"
        fi
        if [ -s "$OUT/probe-rtt.txt" ]; then
            echo
            echo "[[files]]"
            echo "path = \"probe-rtt.txt\""
            echo "format = \"ping\""
            echo "role = \"probe\""
            echo "command = $(tq "$C_PROBE_PING  # from $SRC")"
        fi
        if [ -s "$OUT/probe-nfs-rtt.txt" ]; then
            echo
            echo "[[files]]"
            echo "path = \"probe-nfs-rtt.txt\""
            echo "format = \"nfs-ping\""
            echo "role = \"probe\""
            echo "command = $(tq "$C_NFSPING  # lab/nfs-ping.py from $SRC: NFSv3 NULL RPC round trips on the disk's path")"
        fi
        if [ -n "$PROBE_TOML" ]; then
            echo
            echo "# Link probe before the run (netperf as in the seed's link test, ping between the hosts)."
            echo "[probe]"
            printf '%s\n' "$PROBE_TOML"
        fi
        echo
        echo "# Not part of the agreed format: how the lab ran (lab/record.sh)."
        echo "[lab]"
        echo "load_avg = ${LOAD_AVG%% *}"
        echo "job_poll_s = $JOB_POLL"
        echo "job_poll_via = \"$JOB_POLL_VIA\""
        echo "guest_boot = \"$( [ $REUSE = yes ] && echo "reused: it ran before this run, maybe migrated" || echo "booted on the source for this run")\""
        echo "load_avg_1_5_15_min = $(tq "$LOAD_AVG")"
        [ "$HOST_LOAD" = 0 ] || echo "host_busy_loops = $HOST_LOAD  # added on purpose (--host-load), from before the guest boot to the end"
        [ "$HOST_LOAD" = 0 ] || echo "host_busy_loop_kind = \"$HOST_LOAD_KIND\""
        [ -z "$HOST_KERNEL" ] || echo "host_kernel = $(tq "$HOST_KERNEL")"
        [ -z "$HOST_BOOT_ID" ] || echo "host_boot_id = $(tq "$HOST_BOOT_ID")"
        [ -z "$HOST_UPTIME_S" ] || echo "host_uptime_s = $HOST_UPTIME_S"
        [ -z "$HOST_THP" ] || echo "host_thp = $(tq "$HOST_THP")"
        [ -z "$HOST_MEM_AVAILABLE_MIB" ] || echo "host_mem_available_mib = $HOST_MEM_AVAILABLE_MIB"
        [ -z "$HOST_FREE_2MIB_BLOCKS" ] || echo "host_free_2mib_blocks = $HOST_FREE_2MIB_BLOCKS"
        [ -z "$STATE_FSYNC_MS" ] || echo "state_dir_fsync_ms = $STATE_FSYNC_MS"
        [ -z "$SRC_QEMU_RSS_MIB" ] || echo "source_qemu_rss_mib = $SRC_QEMU_RSS_MIB"
        [ -z "$SRC_QEMU_THP_MIB" ] || echo "source_qemu_thp_mib = $SRC_QEMU_THP_MIB"
        [ -z "$DST_QEMU_RSS_MIB" ] || echo "destination_qemu_rss_mib = $DST_QEMU_RSS_MIB"
        [ -z "$DST_QEMU_THP_MIB" ] || echo "destination_qemu_thp_mib = $DST_QEMU_THP_MIB"
        if [ "$STORAGE" = nfs ]; then
            [ -z "$NFS_RTT_MS" ] || echo "nfs_rtt_measured_ms = $NFS_RTT_MS"
            [ -z "$NFS_RTT_MIN_MS" ] || echo "nfs_rtt_measured_min_ms = $NFS_RTT_MIN_MS"
            [ -z "$NFS_RTT_DIRECT_MS" ] || echo "nfs_rtt_direct_ms = $NFS_RTT_DIRECT_MS"
            echo "nfs_rtt_how = $(tq "median of 10 NFSv3 NULL RPCs over one TCP connection from $SRC to $DISK_HOST:2049 (lab/nfs-ping.py); direct = to $IP_ST without the relay")"
            echo "nfs_relay = $( [ "$DISK_HOST" = "$IP_NR" ] && echo "\"$IP_NR\"" || echo '""')"
        fi
        w=$(achieved writes); [ -z "$w" ] || echo "dirtier_writes_per_s_achieved = $w"
        w=$(achieved disk_kib); [ -z "$w" ] || echo "disk_kib_s_achieved = $w"
        [ -z "${DIRTIER_T1:-}" ] || echo "dirtier_window_s = $(awk -v a="$DIRTIER_T0" -v b="$DIRTIER_T1" 'BEGIN{printf "%.1f", b - a}')"
        echo "migrate_command = $(tq "$C_MIGRATE")"
        echo "max_downtime_command = $(tq "virsh -c '$SRC_URI' migrate-setmaxdowntime $LAB_DOMAIN $DT")"
        echo "abort_command = $(tq "$C_ABORT")"
        echo "aborted_because = $(tq "$ABORT_REASON")"
        echo "migrate_exit_code = ${MIG_RC:--1}"
        echo "guest_after = \"${WHERE_AFTER:-unknown}\""
        echo "guest_kernel_cmdline_extra = $(tq "$CMDLINE_EXTRA")"
        echo "link_shaping = $(tq "$( [ "$LINK" = off ] && echo none || echo "tbf rate $LINK on both hosts' links, both directions")")"
        echo "storage_path = $(tq "$( [ "$STORAGE" = nfs ] && echo "nfs://$DISK_HOST$NFS_EXPORT/$LAB_DOMAIN.qcow2" || echo "initramfs only")")"
        echo "log = \"record.log\""
        echo "domain_xml = \"domain.xml\""
    } > "$OUT/trace.toml.tmp"
    mv "$OUT/trace.toml.tmp" "$OUT/trace.toml"
}

# The completed job's statistics: the source's view (its persistent, now inactive,
# definition keeps them) into domjobinfo-completed.txt, the destination's view (which
# libvirt computes from the source's stop time) into domjobinfo-completed-destination.txt.
C_COMPLETED_DST=
collect_completed() {
    local o
    if o=$(timeout 20 virsh -c "$SRC_URI" domjobinfo --completed "$LAB_DOMAIN" 2>/dev/null) && echo "$o" | grep -q '^Job type:' && ! echo "$o" | grep -q '^Job type: *None'; then
        printf '%s\n' "$o" > "$OUT/domjobinfo-completed.txt"
        C_COMPLETED="virsh -c '$SRC_URI' domjobinfo --completed $LAB_DOMAIN"
    fi
    if [ "$OUTCOME" = completed ] && o=$(timeout 20 virsh -c "$DST_URI" domjobinfo --completed "$LAB_DOMAIN" 2>/dev/null) \
        && echo "$o" | grep -q '^Job type:' && ! echo "$o" | grep -q '^Job type: *None'; then
        if [ -z "$C_COMPLETED" ]; then
            printf '%s\n' "$o" > "$OUT/domjobinfo-completed.txt"
            C_COMPLETED="virsh -c '$DST_URI' domjobinfo --completed $LAB_DOMAIN"
        else
            printf '%s\n' "$o" > "$OUT/domjobinfo-completed-destination.txt"
            C_COMPLETED_DST="virsh -c '$DST_URI' domjobinfo --completed $LAB_DOMAIN"
        fi
    fi
}

finish() {
    [ "$FINISHED" = no ] || return 0
    FINISHED=yes
    trap - INT TERM
    cleanup_bg
    [ -n "$C_COMPLETED" ] || collect_completed
    WHERE_AFTER=$(domain_where)
    # the destination QEMU's memory once the guest runs there, as for the source's above
    if [ "$WHERE_AFTER" = "$DST" ]; then
        read -r DST_QEMU_RSS_MIB DST_QEMU_THP_MIB <<EOF
$(qemu_mem_mib "$DST")
EOF
    fi
    [ "$INTERRUPTED" = yes ] || [ -z "$MIG_RC" ] || COMPLETE=true
    write_manifest
    rlog "outcome=$OUTCOME complete=$COMPLETE; guest now runs on: $WHERE_AFTER"
    case $WHERE_AFTER in hA|hB) ;; *) rlog "WARNING: guest is not running on exactly one host ($WHERE_AFTER)" ;; esac
}

on_exit() {
    local rc=$?
    if [ "$FINISHED" = no ]; then
        INTERRUPTED=yes
        rlog "recorder failed (exit $rc): keeping the bundle, complete = false"
        if [ -n "$MIG_PID" ] && kill -0 "$MIG_PID" 2>/dev/null; then
            ABORT_REASON="recorder error"
            timeout 20 virsh -c "$SRC_URI" domjobabort "$LAB_DOMAIN" >>"$RLOG" 2>&1 || true
            for _ in $(seq 300); do kill -0 "$MIG_PID" 2>/dev/null || break; sleep 0.1; done
            OUTCOME=aborted
        fi
        finish || true
    fi
}
trap on_signal INT TERM
trap on_exit EXIT
write_manifest   # provisional: complete = false until the end

# sleep what is left of --job-poll since the sample started at $1 (bash EPOCHREALTIME;
# >= 10 ms)
pace() { local s=${1/./} n=${EPOCHREALTIME/./} d; d=$(( s + JOB_POLL_US - n )); [ $d -ge 10000 ] || d=10000
    sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"; }

# --- recording ----------------------------------------------------------------------
ip netns exec "$NS_CL" stdbuf -oL $C_PING > "$OUT/ping.log" 2>>"$RLOG" &
PING_PID=$!
PIDS_BG+=($!)
ip netns exec "$NS_CL" env PATH="$EPICS_BIN:$PATH" $CA_ENV stdbuf -oL "$EPICS_BIN"/$C_CAMON \
    > "$OUT/camonitor.log" 2>>"$RLOG" &
PIDS_BG+=($!)
# the job-statistics samplers; each loop is the background job itself (no wrapper
# subshell), so that cleanup_bg's TERM reaches it
if [ "$JOB_POLL_VIA" = qmp ]; then
    python3 "$LAB_DIR/qmp-poll.py" "$QMP_SOCK" "$JOB_POLL" "$STOP" > "$OUT/query-migrate.jsonl" 2>>"$RLOG" &
    PIDS_BG+=($!)
elif [ "$JOB_POLL_VIA" = virsh ]; then
    (
        while [ ! -e "$STOP" ]; do
            t0=$EPOCHREALTIME t=$(date +%s.%N)
            if o=$(virsh -c "$SRC_URI" domjobinfo "$LAB_DOMAIN" 2>/dev/null); then printf '%s\n%s\n\n' "$t" "$o"; fi
            pace "$t0"
        done
    ) > "$OUT/domjobinfo-series.txt" &
    PIDS_BG+=($!)
    (
        while [ ! -e "$STOP" ]; do
            t0=$EPOCHREALTIME t=$(date +%s.%N)
            if o=$(virsh -c "$SRC_URI" qemu-monitor-command "$LAB_DOMAIN" '{"execute":"query-migrate"}' 2>/dev/null); then
                printf '%s %s\n' "$t" "$o"
            fi
            pace "$t0"
        done
    ) > "$OUT/query-migrate.jsonl" &
    PIDS_BG+=($!)
fi
# the dirtier's counters (cumulative page writes, disk KiB) at both ends of the
# recording: what the guest achieved, which under TCG and a loaded machine can be less
# than it was told
DIRTIER_T0=$EPOCHREALTIME DIRTIER_G0=$(guest_ctl get 2>/dev/null || true) DIRTIER_T1= DIRTIER_G1=
rlog "dirtier at the start: ${DIRTIER_G0:-no answer}"
sleep "$LEAD"

rlog "migrate: $C_MIGRATE"
T_START=$(date +%s.%N)
virsh -c "$SRC_URI" "${MIG_ARGS[@]}" >>"$RLOG" 2>&1 &
MIG_PID=$!
# query-migrate-parameters during the job; with --job-poll-via qmp the sampler asks it
# (QEMU's socket takes one client at a time), otherwise one query 1 s in
if [ "$JOB_POLL_VIA" = virsh ]; then
    (sleep 1; virsh -c "$SRC_URI" qemu-monitor-command "$LAB_DOMAIN" '{"execute":"query-migrate-parameters"}' 2>/dev/null \
        | sed 's/^/migrate-parameters during the job: /' >>"$RLOG") &
elif [ "$JOB_POLL_VIA" = none ]; then
    # on QEMU's own socket (none of libvirt's locks)
    (sleep 1; python3 "$LAB_DIR/qmp-poll.py" "$QMP_SOCK" --once query-migrate-parameters 2>/dev/null \
        | sed 's/^/migrate-parameters during the job: /' >>"$RLOG") &
fi
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "$MIG_PID" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        ABORT_REASON="timeout after ${TIMEOUT} s"
        rlog "timeout (${TIMEOUT} s): $C_ABORT"
        timeout 20 virsh -c "$SRC_URI" domjobabort "$LAB_DOMAIN" >>"$RLOG" 2>&1 || rlog "domjobabort failed"
        for _ in $(seq 300); do kill -0 "$MIG_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$MIG_PID" 2>/dev/null && { rlog "migrate still running after abort: killing the client"; kill "$MIG_PID"; }
        break
    fi
    sleep 0.2
done
set +e; wait "$MIG_PID"; MIG_RC=$?; set -e
MIG_PID=
T_END=$(date +%s.%N)
if [ "$MIG_RC" = 0 ]; then OUTCOME=completed
elif [ -n "$ABORT_REASON" ]; then OUTCOME=aborted
else OUTCOME=failed; fi
rlog "migrate exit code $MIG_RC after $(awk -v a="$T_START" -v b="$T_END" 'BEGIN{printf "%.2f", b-a}') s: $OUTCOME"
sleep 0.5   # one more sample of the end state
collect_completed
rlog "recording ${TAIL} s more"
sleep "$TAIL"
DIRTIER_T1=$EPOCHREALTIME DIRTIER_G1=$(guest_ctl get 2>/dev/null || true)
rlog "dirtier at the end: ${DIRTIER_G1:-no answer}"
finish

# --- summary (as the tools printed it) ------------------------------------------------
{
    echo "== $NAME: $OUTCOME, guest on $WHERE_AFTER"
    [ ! -s "$OUT/domjobinfo-completed-destination.txt" ] || { echo "-- destination:"; grep -E '^(Operation|Time elapsed|Total downtime):' "$OUT/domjobinfo-completed-destination.txt"; echo "-- source:"; }
    [ ! -s "$OUT/domjobinfo-completed.txt" ] || grep -E '^(Job type|Operation|Time elapsed|Total downtime|Memory processed|Memory total|Iteration|Dirty rate|Auto converge throttle|Constant pages|Normal pages):' "$OUT/domjobinfo-completed.txt"
    tail -n 2 "$OUT/ping.log"
    awk '/no answer yet/{n++; if(n>m)m=n; next} /bytes from/{n=0} END{printf "ping: longest run of unanswered probes: %d (~%.1f s)\n", m, m/10}' "$OUT/ping.log"
    echo "camonitor: $(wc -l < "$OUT/camonitor.log") lines; bundle $(du -sh "$OUT" | cut -f1)"
} | tee -a "$RLOG"
[ "$OUTCOME" != failed ]
