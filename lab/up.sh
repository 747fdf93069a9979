#!/bin/sh
# Bring the migbench lab up: two "hosts" (hA, hB: network + mount namespaces, each with
# its own libvirtd), a client (cl), a switch (sw), optional NFS storage (st + a delaying
# relay nr), and the IOC guest running on hA. Idempotent: when the lab is already up it
# only reports so; a half-built lab is torn down (down.sh) and built again.
#
# Environment: LAB (state dir, default /var/lib/migbench-lab), LAB_CACHE (downloads,
# /var/cache/migbench), LAB_NS_PREFIX (namespace prefix, "mb-"), LAB_STORAGE (none|nfs),
# LAB_GUEST_MIB (512), LAB_NO_INSTALL=1 (skip apt-get/pip), LAB_START_GUEST=0 (no guest).
# Must run as root.
set -eu
. "$(dirname "$0")/lib.sh"
need_root

case $LAB_STORAGE in none|nfs) ;; *) die "LAB_STORAGE must be none or nfs" ;; esac

# --- packages -------------------------------------------------------------------------
PKGS="qemu-system-x86 qemu-utils qemu-block-extra libvirt-daemon-system libvirt-clients
iputils-ping nfs-ganesha nfs-ganesha-vfs rpcbind busybox-static gcc libc6-dev iproute2
cpio gzip unzip file procps python3 python3-pip bash coreutils netperf"
NONFREE_LIST=/etc/apt/sources.list.d/migbench-non-free.sources
install_packages() {
    missing=
    for p in $PKGS; do
        dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
            || missing="$missing $p"
    done
    # QEMU's system emulator and its tools must come from the same release (a newer
    # backported qemu-utils "Breaks" Debian 12's qemu-system-common).
    qv=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null || true)
    for p in qemu-utils qemu-block-extra; do
        v=$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || true)
        [ -z "$qv" ] || [ "$v" = "$qv" ] || missing="$missing $p"
    done
    command -v pip >/dev/null 2>&1 || command -v pip3 >/dev/null 2>&1 || missing="$missing python3-pip"
    [ -n "$missing" ] || return 0
    log "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed"
    # netperf (the seed's link test, record.sh's probe) is in Debian's non-free
    # component: add it (one sources file) when no configured source offers netperf.
    if ! apt-cache policy netperf 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
        log "netperf is in Debian's non-free component: adding $NONFREE_LIST ($codename)"
        printf '%s\n' "# added by migbench lab/up.sh: netperf (the seed's link test) is in Debian's non-free" \
            "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: $codename" "Components: non-free" \
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" > "$NONFREE_LIST"
        apt-get update -qq >/dev/null || die "apt-get update failed"
    fi
    qv=$(apt-cache policy qemu-system-x86 | awk '/Candidate:/{print $2}')
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends --allow-downgrades \
        $(echo $PKGS | tr ' ' '\n' | grep -v -e '^qemu-utils$' -e '^qemu-block-extra$') \
        "qemu-utils=$qv" "qemu-block-extra=$qv" >"$LAB_CACHE/apt.log" 2>&1 \
        || die "apt-get install failed (see $LAB_CACHE/apt.log)"
}
mkdir -p "$LAB_CACHE"
[ "${LAB_NO_INSTALL:-0}" = 1 ] || install_packages

# --- already up? ----------------------------------------------------------------------
if [ -f "$LAB/up" ]; then
    if [ "$(cat "$LAB/storage" 2>/dev/null)" != "$LAB_STORAGE" ]; then
        log "lab is up with storage $(cat "$LAB/storage" 2>/dev/null), $LAB_STORAGE wanted: rebuilding"
        "$LAB_DIR/down.sh"
    elif "$LAB_DIR/status.sh" --check >/dev/null 2>&1; then
        log "lab already up ($LAB, namespaces ${LAB_NS_PREFIX}*)"
        exit 0
    else
        log "lab half up: tearing down first"
        "$LAB_DIR/down.sh"
    fi
else
    for ns in "$NS_SW" "$NS_A" "$NS_B" "$NS_CL" "$NS_ST" "$NS_NR"; do
        if ns_exists "$ns"; then log "leftover namespace $ns: tearing down first"; "$LAB_DIR/down.sh"; break; fi
    done
fi

# --- guest image ----------------------------------------------------------------------
guest=$("$LAB_DIR/build-guest.sh")
mkdir -p "$LAB"
rm -f "$LAB/guest"; ln -s "$guest" "$LAB/guest"
echo "$LAB_STORAGE" > "$LAB/storage"

# --- network --------------------------------------------------------------------------
log "network: namespaces ${LAB_NS_PREFIX}{sw,hA,hB,cl$( [ "$LAB_STORAGE" = nfs ] && echo ,st,nr)}"
: > "$LAB/namespaces"
for ns in "$NS_SW" "$NS_A" "$NS_B" "$NS_CL"; do ip netns add "$ns"; echo "$ns" >> "$LAB/namespaces"; done
if [ "$LAB_STORAGE" = nfs ]; then
    for ns in "$NS_ST" "$NS_NR"; do ip netns add "$ns"; echo "$ns" >> "$LAB/namespaces"; done
fi
ip -n "$NS_SW" link add br0 type bridge stp_state 0
ip -n "$NS_SW" link set lo up
ip -n "$NS_SW" link set br0 up
# attach NS with address IP; hosts get their own bridge br0 holding the uplink + guest.
attach() { ns=$1 port=$2 ip=$3 bridged=$4  # (top-level helper; clobbers these names)
    # A host's uplink gets a fixed address above the guest tap's (see below): were
    # the bridge's own address not set, every lab would lose the hosts' link at the
    # first migration, not 1 in 50.
    if [ "$bridged" = yes ]; then
        ip link add "$port" netns "$NS_SW" type veth peer name eth0 netns "$ns" \
            address "$(bridge_mac "$ip" | sed 's/^02:00:/fe:ff:/')"
    else
        ip link add "$port" netns "$NS_SW" type veth peer name eth0 netns "$ns"
    fi
    ip -n "$NS_SW" link set "$port" master br0 up
    ip -n "$ns" link set lo up
    if [ "$bridged" = yes ]; then
        # The bridge's own address, set: one left unset follows its lowest port, and
        # the guest's tap (fe:54:00:c0:02:0a, libvirt's fe: form of the guest's MAC) is
        # lower than a random uplink MAC that starts fe:55..fe:ff (about 1 uplink in 100).
        # The host's address would then change to the tap's when the guest arrives,
        # which the other host also has as a local port: it stops reaching this one.
        ip -n "$ns" link add br0 address "$(bridge_mac "$ip")" type bridge stp_state 0
        ip -n "$ns" link set eth0 master br0 up
        ip -n "$ns" addr add "$ip/$PREFIXLEN" dev br0
        ip -n "$ns" link set br0 up
    else
        ip -n "$ns" addr add "$ip/$PREFIXLEN" dev eth0
        ip -n "$ns" link set eth0 up
    fi
}
attach "$NS_A" vhA "$IP_A" yes
attach "$NS_B" vhB "$IP_B" yes
attach "$NS_CL" vcl "$IP_CL" no
if [ "$LAB_STORAGE" = nfs ]; then
    attach "$NS_ST" vst "$IP_ST" no
    attach "$NS_NR" vnr "$IP_NR" no
fi
wait_for 10 inns "$NS_CL" ping -c1 -W1 "$IP_A" || die "no ping cl -> hA"
wait_for 10 inns "$NS_CL" ping -c1 -W1 "$IP_B" || die "no ping cl -> hB"

# --- libvirtd per host ----------------------------------------------------------------
# mount point of the per-host bind mounts; removed by down.sh only if this lab made it
if [ ! -d /run/libvirt ]; then mkdir -p /run/libvirt; touch "$LAB/made-run-libvirt"; fi
for h in hA hB; do
    d=$LAB/$h
    rm -rf "$d"; mkdir -p "$d/run" "$d/lib" "$d/etc" "$d/log/qemu" "$d/cache"
    cp -a /etc/libvirt/. "$d/etc/"
    cp -a /var/lib/libvirt/. "$d/lib/" 2>/dev/null || true
    rm -f "$d/etc/qemu/networks/autostart/"* "$d/etc/qemu/"*.xml 2>/dev/null || true
    # libvirt logs warnings and errors; with LAB_LIBVIRT_LOG_FILTERS (e.g. "1:qemu.qemu_migration")
    # also what those filters let through (lab/e2e.sh asks, to show where a job hung)
    if [ -n "${LAB_LIBVIRT_LOG_FILTERS:-}" ]; then
        sed -e "s/@HOST_UUID@/$(cat /proc/sys/kernel/random/uuid)/" -e 's/^log_outputs = "3:/log_outputs = "1:/' \
            "$LAB_DIR/templates/libvirtd.conf.add"
        printf 'log_level = 3\nlog_filters = "%s"\n' "$LAB_LIBVIRT_LOG_FILTERS"
    else
        sed "s/@HOST_UUID@/$(cat /proc/sys/kernel/random/uuid)/" "$LAB_DIR/templates/libvirtd.conf.add"
    fi >> "$d/etc/libvirtd.conf"
    sed "s/@HOST_IP@/$(host_ip "$h")/" "$LAB_DIR/templates/qemu.conf.add" >> "$d/etc/qemu.conf"
    ip netns exec "$(host_ns "$h")" unshare -m --propagation private sh -c '
        d=$1
        mount --bind "$d/run" /run/libvirt
        mount --bind "$d/lib" /var/lib/libvirt
        mount --bind "$d/etc" /etc/libvirt
        mount --bind "$d/log" /var/log/libvirt
        mount --bind "$d/cache" /var/cache/libvirt
        exec libvirtd -d -p "$d/libvirtd.pid"' sh "$d"
done
for h in hA hB; do
    wait_for 30 virsh -c "$(host_uri "$h")" version || die "libvirtd of $h does not answer ($LAB/$h/log/libvirtd.log)"
done

# --- NFS storage ----------------------------------------------------------------------
if [ "$LAB_STORAGE" = nfs ]; then
    log "storage: nfs-ganesha in $NS_ST ($IP_ST), delaying relay in $NS_NR ($IP_NR)"
    mkdir -p "$LAB/st/run" "$LAB/st/varlib" "$NFS_EXPORT" "$LAB/nr"
    sed -e "s|@EXPORT@|$NFS_EXPORT|" -e "s/@MNT_PORT@/$NFS_MNT_PORT/" \
        "$LAB_DIR/templates/ganesha.conf" > "$LAB/st/ganesha.conf"
    ip netns exec "$NS_ST" unshare -m --propagation private sh -c '
        st=$1
        mount -t tmpfs -o mode=755 lab-run /run
        mkdir -p /run/rpcbind /run/ganesha
        chown _rpc /run/rpcbind 2>/dev/null || true
        mount --bind "$st/varlib" /var/lib/nfs
        rpcbind -w
        sleep 0.5
        exec ganesha.nfsd -f "$st/ganesha.conf" -L "$st/ganesha.log" -p "$st/ganesha.pid" -N NIV_EVENT
    ' sh "$LAB/st"
    echo 0 > "$LAB/nr/delay_ms"
    ip netns exec "$NS_NR" setsid /usr/bin/python3 "$LAB_DIR/nfs-relay.py" --upstream "$IP_ST" \
        --ports "111,2049,$NFS_MNT_PORT" --delay-file "$LAB/nr/delay_ms" \
        </dev/null >"$LAB/nr/relay.log" 2>&1 &
    img=nfs://$IP_ST$NFS_EXPORT/$LAB_DOMAIN.qcow2
    # the first create also waits for ganesha to serve the export
    wait_for 90 inns "$NS_A" timeout 20 qemu-img create -q -f qcow2 "$img" 64M \
        || die "qemu-img create $img failed (ganesha log: $LAB/st/ganesha.log)"
    wait_for 20 inns "$NS_B" timeout 20 qemu-img info "nfs://$IP_NR$NFS_EXPORT/$LAB_DOMAIN.qcow2" \
        || die "NFS through the relay ($IP_NR) does not work ($LAB/nr/relay.log)"
fi

touch "$LAB/up"

# --- guest on hA ----------------------------------------------------------------------
if [ "${LAB_START_GUEST:-1}" = 1 ]; then
    disk=
    [ "$LAB_STORAGE" = nfs ] && disk=$IP_ST
    log "starting guest $LAB_DOMAIN on hA (${LAB_GUEST_MIB} MiB, TCG)"
    start_guest hA "$LAB_GUEST_MIB" "migbench.wws_mib=0 migbench.rate=0" "$disk"
fi
log "lab up"
"$LAB_DIR/status.sh"
