#!/bin/sh
# Print what of the migbench lab is up: namespaces, daemons, URIs, versions, where the
# guest runs and under which accelerator (asked from QEMU: kvm or tcg).
#   status.sh           human report (exit 0)
#   status.sh --check   quiet; exit 0 only if the lab is fully up
set -u
. "$(dirname "$0")/lib.sh"
check=no
[ "${1:-}" = --check ] && check=yes
ok=yes
say() { [ $check = yes ] || printf '%s\n' "$*"; }
bad() { ok=no; say "  DOWN  $*"; }

say "migbench lab: LAB=$LAB prefix=$LAB_NS_PREFIX storage=$(cat "$LAB/storage" 2>/dev/null || echo '?')"
for ns in "$NS_SW" "$NS_A" "$NS_B" "$NS_CL"; do
    if ns_exists "$ns"; then say "  up    netns $ns"; else bad "netns $ns"; fi
done
storage=$(cat "$LAB/storage" 2>/dev/null || echo none)
if [ "$storage" = nfs ]; then
    for ns in "$NS_ST" "$NS_NR"; do
        if ns_exists "$ns"; then say "  up    netns $ns"; else bad "netns $ns"; fi
    done
fi
for h in hA hB; do
    uri=$(host_uri "$h")
    if v=$(timeout 10 virsh -c "$uri" version 2>/dev/null); then
        say "  up    libvirtd $h  $uri (pid $(cat "$LAB/$h/libvirtd.pid" 2>/dev/null))"
    else
        bad "libvirtd $h  $uri"
    fi
done
if [ "$storage" = nfs ] && ns_exists "$NS_ST"; then
    pids=$(ip netns pids "$NS_ST" 2>/dev/null | tr '\n' ' ')
    if [ -n "$pids" ]; then
        say "  up    nfs-ganesha + rpcbind in $NS_ST ($IP_ST, export $NFS_EXPORT), pids $pids"
    else
        bad "nfs-ganesha in $NS_ST"
    fi
    if [ -n "$(ip netns pids "$NS_NR" 2>/dev/null)" ]; then
        say "  up    NFS delay relay in $NS_NR ($IP_NR), added RTT $(cat "$LAB/nr/delay_ms" 2>/dev/null) ms"
    else
        bad "NFS relay in $NS_NR"
    fi
fi
[ $check = yes ] && { [ $ok = yes ]; exit $?; }

say "versions: $(qemu-system-x86_64 --version | head -n1); libvirt $(libvirtd --version | awk '{print $NF}')"
if [ $ok = yes ]; then
    where=$(domain_where)
    case $where in
    hA|hB)
        say "guest:  $LAB_DOMAIN running on $where, accel $(domain_accel), $IP_GUEST" \
            "(ping: $(guest_pings && echo ok || echo no), CA: $(guest_ca && echo ok || echo no))" ;;
    *) say "guest:  $LAB_DOMAIN running on: $where" ;;
    esac
    say "links:  hA eth0 $(tc -n "$NS_A" qdisc show dev eth0 | head -n1)"
    say "        hB eth0 $(tc -n "$NS_B" qdisc show dev eth0 | head -n1)"
    for h in hA hB; do
        say "bridge: $h br0 stp_state $(ip netns exec "$(host_ns "$h")" cat /sys/class/net/br0/bridge/stp_state)" \
            "forward_delay $(( $(ip netns exec "$(host_ns "$h")" cat /sys/class/net/br0/bridge/forward_delay) / 100 )) s"
    done
fi
say "use:    virsh -c '$URI_A' list   |   ip netns exec $NS_CL ping $IP_GUEST"
[ $ok = yes ]
