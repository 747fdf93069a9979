#!/bin/sh
# Tear the migbench lab down: guest, libvirtd daemons, NFS server, relay, every process
# left in the lab's namespaces (by pid), the namespaces themselves (and with them their
# bridges, veths and private mounts) and the runtime state under $LAB. Downloads in
# $LAB_CACHE are kept. Idempotent: safe to run when nothing is up.
set -eu
. "$(dirname "$0")/lib.sh"
need_root

all_ns="$NS_SW $NS_A $NS_B $NS_CL $NS_ST $NS_NR"

# 1. guest first, through libvirt, so QEMU exits cleanly
for h in hA hB; do
    if [ -S "$LAB/$h/run/libvirt-sock" ]; then
        timeout 20 virsh -q -c "$(host_uri "$h")" destroy "$LAB_DOMAIN" >/dev/null 2>&1 || true
    fi
done

# 2. every process in the lab's namespaces: TERM, wait up to 10 s, then KILL
pids_in_ns() { for ns in $all_ns; do ns_exists "$ns" && ip netns pids "$ns" 2>/dev/null; done; true; }
pids=$(pids_in_ns)
if [ -n "$pids" ]; then
    log "stopping $(echo "$pids" | wc -w) process(es) in ${LAB_NS_PREFIX}* namespaces"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    alive() { for p in $pids $(pids_in_ns); do kill -0 "$p" 2>/dev/null && echo "$p"; done; true; }
    n=0
    while [ -n "$(alive)" ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
    left=$(alive)
    # shellcheck disable=SC2086
    [ -z "$left" ] || { log "killing $left"; kill -KILL $left 2>/dev/null || true; sleep 0.5; }
fi

# 3. namespaces (their veths and bridges go with them)
for ns in $all_ns; do
    if ns_exists "$ns"; then ip netns del "$ns"; fi
done

# 4. state; /run/libvirt was only a mount point: removed if this lab made it and no
# libvirtd runs any more (another lab's private bind mount on it would be detached)
if [ -f "$LAB/made-run-libvirt" ] && ! pgrep -x libvirtd >/dev/null; then
    rmdir /run/libvirt 2>/dev/null || true
fi
rm -rf "$LAB"
log "lab down"
