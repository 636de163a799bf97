#!/usr/bin/env bash
# Builds the tiny test guest: the host's Debian kernel and an initramfs made
# of busybox-static, a few virtio/ACPI modules and the /init beside this
# script. The result is cached in $VMRELAY_GUEST_DIR (default
# ~/.cache/vmrelay/guest) and rebuilt only when its inputs change.
#
# When VMRELAY_PEERS_DIR is set, the paths are published for tests as
# $VMRELAY_PEERS_DIR/guest/{kernel,initrd,dir}.
#
# Kernel facts (Debian 6.1, /boot/config-*): acpiphp (HOTPLUG_PCI_ACPI) and
# pciehp are built in, so PCI hot-unplug needs no module; virtio, virtio_pci,
# virtio_blk, virtio_net, the ACPI button and evdev are modules.
set -euo pipefail

# The daemons and modprobe live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${VMRELAY_GUEST_DIR:-${HOME:-/root}/.cache/vmrelay/guest}
modules=(virtio_pci virtio_blk virtio_net virtio_balloon button evdev)

fail() {
    echo "guest: $*" >&2
    exit 1
}

# The newest kernel that has both an image in /boot and its modules.
kver=
for image in $(ls -v /boot/vmlinuz-* 2>/dev/null); do
    v=${image#/boot/vmlinuz-}
    [ -d "/lib/modules/$v" ] && kver=$v
done
[ -n "$kver" ] || fail "no /boot/vmlinuz-* with /lib/modules/<version>: install linux-image-amd64"
[ -r "/boot/vmlinuz-$kver" ] || fail "/boot/vmlinuz-$kver is not readable (run as root)"
busybox=$(command -v busybox) || fail "busybox not found: install busybox-static"
# A dynamic busybox would need its libraries in the initramfs.
if readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    fail "$busybox is not static: install busybox-static"
fi
command -v cpio >/dev/null || fail "cpio not found"

key=$( {
    echo "$kver" "${modules[*]}"
    sha256sum "$busybox" "/boot/vmlinuz-$kver" "$here/build.sh" "$here/init" \
        "$here/hotplug" "$here/power-button"
} | sha256sum | cut -d' ' -f1)

publish() {
    [ -n "${VMRELAY_PEERS_DIR:-}" ] || return 0
    mkdir -p "$VMRELAY_PEERS_DIR/guest"
    echo "$out/vmlinuz" >"$VMRELAY_PEERS_DIR/guest/kernel"
    echo "$out/initrd.img" >"$VMRELAY_PEERS_DIR/guest/initrd"
    echo "$out" >"$VMRELAY_PEERS_DIR/guest/dir"
}

# Build trees share the cache: one build at a time, the others then find it.
mkdir -p "$out"
exec 8>"$out/.lock"
flock 8

if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$key" ] &&
    [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
    echo "guest: cached in $out (kernel $kver)"
    publish
    exit 0
fi

start=${EPOCHREALTIME/./}
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,etc/acpi/PWRF,lib/modules}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/init" "$stage/init"
install -m 0755 "$here/hotplug" "$stage/bin/hotplug"
# busybox acpid maps the power button to <confdir>/PWRF/00000080.
install -m 0755 "$here/power-button" "$stage/etc/acpi/PWRF/00000080"
# Only root can make device nodes; /init remounts /dev as devtmpfs anyway.
mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null || true

# modprobe prints each module's dependencies first, in load order.
: >"$stage/etc/modules.list"
for m in "${modules[@]}"; do
    deps=$(modprobe -S "$kver" --show-depends "$m") || fail "module $m not found for $kver"
    while read -r verb path _; do
        [ "$verb" = insmod ] || continue
        name=$(basename "$path")
        grep -qxF "$name" "$stage/etc/modules.list" && continue
        case "$path" in
        *.ko) cp "$path" "$stage/lib/modules/$name" ;;
        *.ko.xz) xz -dc "$path" >"$stage/lib/modules/${name%.xz}"; name=${name%.xz} ;;
        *.ko.zst) zstd -qdc "$path" >"$stage/lib/modules/${name%.zst}"; name=${name%.zst} ;;
        *) fail "unexpected module file $path" ;;
        esac
        echo "$name" >>"$stage/etc/modules.list"
    done <<<"$deps"
done

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) |
    gzip -6 >"$out/initrd.img.tmp"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$key" >"$out/stamp"

ms=$(((${EPOCHREALTIME/./} - start) / 1000))
echo "guest: built in $out (kernel $kver, initrd $(stat -c %s "$out/initrd.img") bytes," \
    "$ms ms)"
publish
