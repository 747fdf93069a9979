#!/bin/sh
# Per-run network knobs of the migbench lab, by hand (record.sh sets them itself):
#   netctl.sh link 100mbit|1gbit|off     tbf on both hosts' links, both directions
#   netctl.sh stp hA|hB on FD_S          STP on a host's bridge (forward delay 2..30 s)
#   netctl.sh stp hA|hB off
#   netctl.sh nfs-delay MS               added NFS round trip through the relay
#   netctl.sh show
set -eu
. "$(dirname "$0")/lib.sh"
need_root
case ${1:-} in
link) set_link_rate "${2:?rate}" ;;
stp) set_stp "${2:?host}" "${3:?on|off}" "${4:-15}" ;;
nfs-delay) set_nfs_delay "${2:?ms}" ;;
show)
    for spec in "$NS_A eth0" "$NS_B eth0" "$NS_SW vhA" "$NS_SW vhB"; do
        set -- $spec; echo "$1 $2: $(tc -n "$1" qdisc show dev "$2" | head -n1)"; done
    for h in hA hB; do
        echo "$h br0: stp_state $(ip netns exec "$(host_ns $h)" cat /sys/class/net/br0/bridge/stp_state)"; done
    [ ! -f "$LAB/nr/delay_ms" ] || echo "nfs added rtt: $(cat "$LAB/nr/delay_ms") ms" ;;
*) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
