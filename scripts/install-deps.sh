#!/bin/sh
# Install Osprey's Debian 12 build and test dependencies. Run as root.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the test suites need)
set -e
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: run as root (apt-get needs it)" >&2
    exit 1
fi
pkgs="build-essential pkg-config python3 git
      libsdl2-dev libvncserver-dev libpixman-1-dev libpng-dev zlib1g-dev libslirp-dev"
# console-setup-linux: its PSF console fonts become the VGA BIOS's 8x8/8x14/8x16 font tables
# (bios/vgabios/psf2font.py, at build time).
pkgs="$pkgs console-setup-linux"
if [ "${1:-}" = "--test" ]; then
    # QEMU is the behaviour reference and benchmark yardstick; cpio/busybox build boot tests.
    pkgs="$pkgs qemu-system-x86 qemu-utils seabios cpio"
    # iasl disassembles and recompiles the ACPI tables in tests/unit/test-acpi.
    pkgs="$pkgs acpica-tools"
    # tests/firmware builds boot images: SYSLINUX on FAT via mtools (no loop devices),
    # ISOLINUX and GRUB ISOs (with xorriso, below), a GRUB disk from grub-pc-bin's boot.img and core.
    pkgs="$pkgs syslinux syslinux-common isolinux mtools dosfstools grub-pc-bin"
    # xorriso makes the ISO image the IDE real-guest test reads through the ATAPI CD-ROM.
    pkgs="$pkgs xorriso"
    # The display tests: an X server, window capture, and real VNC clients to check against.
    pkgs="$pkgs xvfb x11-apps tigervnc-viewer vncsnapshot libjpeg-turbo-progs"
    # xdotool types real X input (Ctrl-Alt-G/F, mouse motion) into the SDL window under Xvfb.
    pkgs="$pkgs xdotool"
    # ipxe-qemu has pxe-rtl8139.rom, the PXE option ROM of the RTL8139 network-boot test.
    pkgs="$pkgs ipxe-qemu"
    # memtest86+ is booted from an EXTLINUX disk by tests/firmware (a real-mode-to-64-bit guest).
    pkgs="$pkgs memtest86+"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
