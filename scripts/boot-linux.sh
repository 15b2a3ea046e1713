#!/bin/sh
# Boot Debian's current amd64 Linux kernel on Osprey with a busybox shell on the terminal:
#   build/osprey -m 512 -nographic -kernel vmlinuz -initrd initrd.gz -append "console=ttyS0"
# The kernel and busybox come from the Debian archive (tests/linux/fetch-assets.sh, cached in
# $OSPREY_ASSETS or ~/.cache/osprey/assets; the first run needs root and the network).
# In the guest, `poweroff -f` shuts the machine down; Ctrl-A x quits the emulator at any time.
# Extra arguments go to the emulator (e.g. -smp 2). OSPREY=path picks another Osprey binary;
# OSPREY_LINUX_EMULATOR=qemu runs Debian's qemu-system-x86_64 -accel tcg instead.
set -eu
cd "$(dirname "$0")/.."
assets=$(sh tests/linux/fetch-assets.sh) || {
    echo "boot-linux: could not fetch the kernel and busybox (see above)" >&2
    exit 1
}
vmlinuz=$(echo "$assets" | sed -n 's/^VMLINUZ_AMD64=//p')
busybox=$(echo "$assets" | sed -n 's/^BUSYBOX_AMD64=//p')
build=${OSPREY_BUILD:-build}
mkdir -p "$build/linux"
initrd="$build/linux/interactive-amd64.gz"
python3 tests/linux/make-initramfs.py --mode interactive --busybox "$busybox" \
    --out "$initrd" >/dev/null
if [ "${OSPREY_LINUX_EMULATOR:-osprey}" = qemu ]; then
    exec qemu-system-x86_64 -accel tcg -m 512 -nographic -kernel "$vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0" "$@"
fi
osprey=${OSPREY:-$build/osprey}
if [ ! -x "$osprey" ]; then
    echo "boot-linux: $osprey not found: run ./configure && make first" >&2
    exit 1
fi
exec "$osprey" -m 512 -nographic -kernel "$vmlinuz" -initrd "$initrd" -append "console=ttyS0" "$@"
