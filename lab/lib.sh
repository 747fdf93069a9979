# shellcheck shell=sh
# Common settings and helpers of the migbench lab scripts (sourced, not run).
#
# Everything the lab creates lives in network namespaces named "$LAB_NS_PREFIX<role>"
# and under "$LAB" (runtime state), plus a download cache under "$LAB_CACHE".
# Override any of these in the environment, e.g. for a CI run that must not collide
# with a leftover lab:  LAB=/tmp/mb-ci LAB_NS_PREFIX=mbci- lab/up.sh

LAB_DIR=$(CDPATH= cd "$(dirname "$0")" && pwd)
: "${LAB:=/var/lib/migbench-lab}"
: "${LAB_CACHE:=/var/cache/migbench}"
: "${LAB_NS_PREFIX:=mb-}"
: "${LAB_DOMAIN:=ioc1}"
# Storage of the guest: "none" (runs from its initramfs) or "nfs" (a qcow2 disk on
# the storage namespace's NFS server, reached through QEMU's own NFS client).
: "${LAB_STORAGE:=none}"
# Guest defaults (record.sh can change them per run).
: "${LAB_GUEST_MIB:=512}"
: "${LAB_GUEST_VCPUS:=1}"
: "${LAB_GUEST_MAC:=52:54:00:c0:02:0a}"

NS_SW=${LAB_NS_PREFIX}sw
NS_A=${LAB_NS_PREFIX}hA
NS_B=${LAB_NS_PREFIX}hB
NS_CL=${LAB_NS_PREFIX}cl
NS_ST=${LAB_NS_PREFIX}st
NS_NR=${LAB_NS_PREFIX}nr      # delaying NFS relay ("WAN box" in front of st)

IP_A=192.0.2.1
IP_B=192.0.2.2
IP_CL=192.0.2.3
IP_ST=192.0.2.4
IP_NR=192.0.2.5
IP_GUEST=192.0.2.10
PREFIXLEN=24
# ganesha's mountd port, fixed so portmapper answers stay valid through the relay.
NFS_MNT_PORT=20048
NFS_EXPORT=$LAB/st/export
GUEST_CTL_PORT=7000

# A host bridge's address: locally administered, from its IP (192.0.2.1 ->
# 02:00:c0:00:02:01), below any guest tap's fe:.. address.
bridge_mac() { printf '02:00:%02x:%02x:%02x:%02x\n' $(echo "$1" | tr . ' '); }

URI_A="qemu+unix:///system?socket=$LAB/hA/run/libvirt-sock"
URI_B="qemu+unix:///system?socket=$LAB/hB/run/libvirt-sock"

EPICS_BIN=$LAB_CACHE/epics/squashfs-root/usr/bin

log() { printf '%s lab: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "$(basename "$0") must run as root (network namespaces, libvirtd, apt-get)"
}

ns_exists() { [ -e "/run/netns/$1" ]; }
inns() { _in_ns=$1; shift; ip netns exec "$_in_ns" "$@"; }

# Host short name (hA/hB) -> URI / namespace / IP.
host_uri() { case $1 in hA) echo "$URI_A" ;; hB) echo "$URI_B" ;; *) die "unknown host $1" ;; esac; }
host_ns()  { case $1 in hA) echo "$NS_A" ;; hB) echo "$NS_B" ;; *) die "unknown host $1" ;; esac; }
host_ip()  { case $1 in hA) echo "$IP_A" ;; hB) echo "$IP_B" ;; *) die "unknown host $1" ;; esac; }
other_host() { case $1 in hA) echo hB ;; hB) echo hA ;; *) die "unknown host $1" ;; esac; }

virsh_h() { _vh_h=$1; shift; virsh -q -c "$(host_uri "$_vh_h")" "$@"; }

# Wait until a command succeeds, at most $1 seconds (polling every 0.2 s).
wait_for() {
    _wf_end=$(( $(date +%s) + $1 )); shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$_wf_end" ] || return 1
        sleep 0.2
    done
}

# Which host runs the domain now: prints hA, hB, "none" or "both".
domain_where() {
    _dw_a=no; _dw_b=no
    [ "$(virsh_h hA domstate "$LAB_DOMAIN" 2>/dev/null | head -n1)" = running ] && _dw_a=yes
    [ "$(virsh_h hB domstate "$LAB_DOMAIN" 2>/dev/null | head -n1)" = running ] && _dw_b=yes
    case $_dw_a$_dw_b in yesno) echo hA ;; noyes) echo hB ;; yesyes) echo both ;; *) echo none ;; esac
}

# Send one line to the guest's control channel (dirtier) from the client namespace;
# prints the guest's one-line answer.
guest_ctl() {
    inns "$NS_CL" timeout 5 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "%s\n" "$3" >&3
        IFS= read -r -t 4 line <&3 && printf "%s\n" "$line"' sh "$IP_GUEST" "$GUEST_CTL_PORT" "$1"
}

# --- per-run network knobs (used by netctl.sh and record.sh) ----------------------

# Shape both directions of both hosts' links (host->switch and switch->host) with tbf:
# RATE like 100mbit or 1gbit, or "off" to remove shaping.
set_link_rate() {
    _lr_rate=$1
    for _lr_spec in "$NS_A eth0" "$NS_B eth0" "$NS_SW vhA" "$NS_SW vhB"; do
        set -- $_lr_spec
        if [ "$_lr_rate" = off ]; then
            ip -n "$1" link show "$2" >/dev/null 2>&1 || continue
            tc -n "$1" qdisc del dev "$2" root 2>/dev/null || true
        else
            _lr_bits=$(rate_bits "$_lr_rate") || die "bad link rate '$_lr_rate' (e.g. 100mbit, 1gbit)"
            _lr_burst=$(( _lr_bits / 8 / 250 )); [ "$_lr_burst" -ge 65536 ] || _lr_burst=65536
            tc -n "$1" qdisc replace dev "$2" root tbf rate "$_lr_rate" burst "$_lr_burst" latency 50ms
        fi
    done
}

# 100mbit / 1gbit / 2500kbit -> bits per second
rate_bits() {
    case $1 in
    *gbit) echo $(( ${1%gbit} * 1000000000 )) ;;
    *mbit) echo $(( ${1%mbit} * 1000000 )) ;;
    *kbit) echo $(( ${1%kbit} * 1000 )) ;;
    *) return 1 ;;
    esac
}

# STP on a host's bridge: set_stp hB on 3 (forward delay in s, 2..30) | set_stp hB off
set_stp() {
    _st_ns=$(host_ns "$1")
    if [ "$2" = on ]; then
        ip -n "$_st_ns" link set br0 type bridge forward_delay $(( ${3:-15} * 100 )) stp_state 1
    else
        ip -n "$_st_ns" link set br0 type bridge stp_state 0 forward_delay 1500
    fi
}

# Added NFS round-trip time through the relay (milliseconds, may be fractional).
set_nfs_delay() {
    [ -d "$LAB/nr" ] || die "NFS relay not running (lab up with LAB_STORAGE=nfs)"
    printf '%s\n' "$1" > "$LAB/nr/delay_ms.tmp" && mv "$LAB/nr/delay_ms.tmp" "$LAB/nr/delay_ms"
}

# --- the guest domain --------------------------------------------------------------

# domain_xml MEM_MIB "KERNEL CMDLINE EXTRA" DISK_HOST(empty = no disk)
domain_xml() {
    _dx_mem=$1; _dx_extra=$2; _dx_disk=${3:-}
    cat <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$LAB_DOMAIN</name>
  <memory unit='MiB'>$_dx_mem</memory>
  <vcpu>$LAB_GUEST_VCPUS</vcpu>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <kernel>$LAB/guest/vmlinuz</kernel>
    <initrd>$LAB/guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 migbench.ip=$IP_GUEST/$PREFIXLEN $_dx_extra</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
XML
    if [ -n "$_dx_disk" ]; then
        cat <<XML
    <disk type='network' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source protocol='nfs' name='$NFS_EXPORT/$LAB_DOMAIN.qcow2'>
        <host name='$_dx_disk'/>
      </source>
      <target dev='vda' bus='virtio'/>
    </disk>
XML
    fi
    cat <<XML
    <interface type='bridge'>
      <mac address='$LAB_GUEST_MAC'/>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='/var/log/libvirt/qemu/$LAB_DOMAIN-console.log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='pty'/>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-qmp'/>
    <qemu:arg value='unix:$LAB_QMP_SOCKET,server=on,wait=off'/>
  </qemu:commandline>
</domain>
XML
}

# The guest's QEMU on host H answers QMP, beside libvirt's monitor, on
# $LAB/H/lib/qemu/migbench-qmp.sock: each host's libvirtd, and the QEMU it starts,
# see $LAB/H/lib as /var/lib/libvirt, so one path in the definition serves both ends
# of a migration. lab/qmp-poll.py samples the job there, away from libvirt's locks.
LAB_QMP_SOCKET=/var/lib/libvirt/qemu/migbench-qmp.sock
qmp_socket() { echo "$LAB/$1/lib/qemu/migbench-qmp.sock"; }

# How much of the guest QEMU's memory on host H the kernel holds, in MiB, as
# "<resident> <in transparent huge pages>" from its smaps_rollup (empty when it does
# not run there). libvirtd, and so its QEMU, sees $LAB/H/run as /run/libvirt, where it
# keeps qemu/<domain>.pid.
qemu_mem_mib() {
    _qm_pid=$(cat "$LAB/$1/run/qemu/$LAB_DOMAIN.pid" 2>/dev/null) || return 0
    awk '$1 == "Rss:" {r = $2} $1 == "AnonHugePages:" {h = $2}
        END {if (r != "") printf "%d %d", r / 1024, h / 1024}' "/proc/$_qm_pid/smaps_rollup" 2>/dev/null || true
}

# Is the guest reachable (one ping from the client)?
guest_pings() { inns "$NS_CL" ping -c1 -W1 "$IP_GUEST" >/dev/null 2>&1; }
# Does the IOC answer over CA from the client?
guest_ca() {
    inns "$NS_CL" env EPICS_CA_AUTO_ADDR_LIST=NO EPICS_CA_ADDR_LIST="$IP_GUEST" \
        "$EPICS_BIN/caget" -w 2 rootHost:calcExample >/dev/null 2>&1
}

# (Re)start the guest fresh on a host: start_guest HOST MEM_MIB "EXTRA CMDLINE" DISK_HOST
start_guest() {
    _sg_h=$1
    for _sg_x in hA hB; do
        virsh_h "$_sg_x" destroy "$LAB_DOMAIN" >/dev/null 2>&1 || true
        virsh_h "$_sg_x" undefine "$LAB_DOMAIN" >/dev/null 2>&1 || true
    done
    domain_xml "$2" "$3" "${4:-}" > "$LAB/$LAB_DOMAIN.xml"
    # persistent on the host it starts on, so that host keeps the completed job's
    # statistics after the domain migrated away (it arrives transient on the other)
    virsh_h "$_sg_h" define "$LAB/$LAB_DOMAIN.xml" >/dev/null
    virsh_h "$_sg_h" start "$LAB_DOMAIN" >/dev/null
    wait_for 90 guest_pings || die "guest does not answer ping on $IP_GUEST (console: $LAB/$_sg_h/log/qemu/$LAB_DOMAIN-console.log)"
    wait_for 60 guest_ca || die "IOC does not answer CA on $IP_GUEST"
}

# Which accelerator the running domain uses: kvm or tcg (asks QEMU, not the XML).
domain_accel() {
    _da_h=$(domain_where)
    case $_da_h in hA|hB) ;; *) echo unknown; return ;; esac
    if virsh_h "$_da_h" qemu-monitor-command "$LAB_DOMAIN" '{"execute":"query-kvm"}' 2>/dev/null \
        | grep -q '"enabled": *true'; then echo kvm; else echo tcg; fi
}
