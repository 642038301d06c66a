#!/bin/sh
# t/vm/run.sh MODE OUT: boots Debian 12's own kernel (the current bookworm
# linux-image-6.1, from Debian's archive) in QEMU, with this machine's
# root shared read-only over 9p, plain (MODE plain) or as the lower layer of
# an overlayfs (MODE overlay), and runs t/vm/inside.sh there.  Results land
# in OUT: MODE.json (the page), MODE.requests, MODE.progs.json, MODE.log.
#
# No KVM on these machines (no vmx): TCG, two vCPUs.  The kernel and its
# modules are kept in $PHPBPF_VM_CACHE (/var/cache/phpbpf-vm) once fetched.
set -eu
mode=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${PHPBPF_VM_CACHE:-/var/cache/phpbpf-vm}
mkdir -p "$cache" "$out"
pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*\)$/\1/p' | head -1)
[ -n "$pkg" ] || { echo "run.sh: no bookworm linux-image-6.1 package known to apt" >&2; exit 2; }
kdir=$cache/$pkg
if [ ! -e "$kdir/vmlinuz" ]; then
    rm -rf "$kdir" "$kdir.x"
    (cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1)
    dpkg -x "$cache"/"${pkg}"_*.deb "$kdir.x"
    mkdir -p "$kdir/modules"
    cp "$kdir.x"/boot/vmlinuz-* "$kdir/vmlinuz.tmp"
    # What the init needs to mount a 9p share and an overlay, in load order.
    for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet \
             9pnet_virtio netfs fscache 9p overlay; do
        f=$(find "$kdir.x/lib/modules" -name "$m.ko" | head -1)
        [ -n "$f" ] || { echo "run.sh: $pkg has no $m.ko" >&2; exit 2; }
        cp "$f" "$kdir/modules/"
        echo $m >> "$kdir/modules/order"
    done
    rm -rf "$kdir.x" "$cache"/"${pkg}"_*.deb
    mv "$kdir/vmlinuz.tmp" "$kdir/vmlinuz"
fi
ird=$out/initrd-$mode
rm -rf "$ird"
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/host" "$ird/out" "$ird/merged" "$ird/layers"
cp /bin/busybox "$ird/bin/busybox"
cp -r "$kdir/modules" "$ird/modules"
cp "$top/t/vm/init" "$ird/init"
echo "$mode" > "$ird/mode"
echo "$top/t/vm/inside.sh" > "$ird/script"
echo "$top" > "$ird/tree.path"
(cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$out/initrd-$mode.gz"
rm -rf "$ird"
rm -f "$out/$mode.json" "$out/$mode.log"
timeout 900 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 4096 -smp 2 -nographic \
    -no-reboot -kernel "$kdir/vmlinuz" -initrd "$out/initrd-$mode.gz" \
    -append "console=ttyS0 panic=1 quiet" \
    -virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$top,mount_tag=tree,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$out,mount_tag=out,security_model=none" > "$out/$mode.console" 2>&1 || true
rm -f "$out/initrd-$mode.gz"
[ -s "$out/$mode.json" ]
