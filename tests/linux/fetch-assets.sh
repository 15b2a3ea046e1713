#!/bin/sh
# Fetch the real-guest Linux boot assets from the Debian archive into a cache directory:
#   amd64: the kernel that linux-image-amd64 currently depends on, and busybox-static
#   i386:  the kernel that linux-image-686:i386 currently depends on, and busybox-static:i386
# The versions are resolved from the archive on every run (apt-cache, cheap), never hard-coded;
# a file already in the cache for the current version is not downloaded again.
#
# Usage: tests/linux/fetch-assets.sh [CACHE_DIR]
#   CACHE_DIR defaults to $OSPREY_ASSETS, then ~/.cache/osprey/assets.
# Prints one NAME=PATH line per asset: VMLINUZ_AMD64, BUSYBOX_AMD64, MODULES_AMD64 (a directory
# with button.ko and evdev.ko), KMODS_AMD64 (the kernel's whole module tree, lib/modules/VER, for
# make-initramfs.py --kmods/--kmod), and the same for the 686 kernel: VMLINUZ_686, BUSYBOX_I386,
# MODULES_686.
# Exit status: 0 done, 1 usage or local error, 3 the archive could not be reached (callers
# such as tests/linux/test_linux.py skip on 3 and fail on anything else).
# Needs root: apt-get update and dpkg --add-architecture i386 (done once, only when missing).
set -eu

cache=${1:-${OSPREY_ASSETS:-$HOME/.cache/osprey/assets}}
log() { echo "fetch-assets: $*" >&2; }
unreachable() { log "$*"; exit 3; }

for tool in apt-get apt-cache dpkg dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool not found (a Debian host is needed)"; exit 1; }
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
export DEBIAN_FRONTEND=noninteractive

need_root() {
    if [ "$(id -u)" != 0 ]; then
        log "$1 needs root; run as root once (or pre-fill $cache)"
        exit 1
    fi
}

# Where apt keeps its package lists (normally /var/lib/apt/lists/).
lists=/var/lib/apt/lists/
eval "$(apt-config shell lists Dir::State::Lists/d)"

# A fresh Debian container has empty package lists: apt-cache knows nothing until an update.
if ! ls "$lists"*_Packages* >/dev/null 2>&1; then
    need_root "apt-get update"
    log "package lists are empty: apt-get update"
    apt-get update -qq >&2 || log "apt-get update reported errors; using the lists it got"
    ls "$lists"*_Packages* >/dev/null 2>&1 ||
        unreachable "apt-get update failed: the archive is unreachable"
fi

# The i386 packages need the foreign architecture once, and its package lists. An update that
# fails only in part (a mirror mid-sync) still leaves usable lists: carry on with a warning.
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    need_root "dpkg --add-architecture i386"
    log "adding the i386 architecture"
    dpkg --add-architecture i386
fi
if ! ls "$lists"*_binary-i386_Packages* >/dev/null 2>&1; then
    need_root "apt-get update"
    log "no i386 package lists yet: apt-get update"
    apt-get update -qq >&2 || log "apt-get update reported errors; using the lists it got"
    ls "$lists"*_binary-i386_Packages* >/dev/null 2>&1 ||
        unreachable "apt-get update (i386) failed: the archive is unreachable"
fi

# One apt-cache call resolves everything (each call re-reads all the package lists, seconds
# each when apt keeps no binary cache, as in Debian's container images):
# lines "PACKAGE:ARCH VERSION DEPENDS" for the candidate versions.
resolved=$(apt-cache show --no-all-versions linux-image-amd64 linux-image-686:i386 \
               busybox-static busybox-static:i386 2>/dev/null |
           awk '/^Package:/ { p = $2 } /^Architecture:/ { a = $2 } /^Version:/ { v = $2 }
                /^Depends:/ { d = $2 } /^$/ { if (p != "") print p ":" a, v, d; p = d = "" }
                END { if (p != "") print p ":" a, v, d }')

# The real package behind a metapackage: "linux-image-amd64" -> "linux-image-6.1.0-NN-amd64".
kernel_package() {
    pkg=$(echo "$resolved" | awk -v want="$1" '$1 == want { print $3 }')
    case "$pkg" in
    linux-image-[0-9]*) echo "$pkg" ;;
    *) log "cannot resolve the kernel package behind $1"; exit 1 ;;
    esac
}

# The candidate version of a package, made safe for a file name (1:1.35.0-4 -> 1.35.0-4).
candidate_version() {
    ver=$(echo "$resolved" | awk -v want="$1" '$1 == want { print $2 }')
    [ -n "$ver" ] || { log "no candidate version for $1"; exit 1; }
    echo "$ver" | sed 's/^[0-9]*://; s/[^A-Za-z0-9.+~-]/_/g'
}

# Download one .deb into a scratch directory and copy files out of it: $1 = package,
# then pairs of "member-in-the-deb destination-path".
extract_from_deb() {
    pkg=$1
    shift
    work=$(mktemp -d "$cache/.download.XXXXXX")
    # apt drops privileges to _apt for downloads; let it write into the scratch directory.
    chmod 777 "$work"
    log "downloading $pkg"
    if ! (cd "$work" && apt-get download -q "$pkg" >&2); then
        rm -rf "$work"
        unreachable "apt-get download $pkg failed: the archive is unreachable"
    fi
    deb=$(ls "$work"/*.deb)
    mkdir "$work/root"
    members=$(printf './%s %s\n' "$@" | awk '{ print $1 }')
    # shellcheck disable=SC2086
    if ! dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" $members; then
        rm -rf "$work"
        log "$pkg does not hold what is needed:" $members
        exit 1
    fi
    while [ $# -ge 2 ]; do
        # A temporary name and a rename: an interrupted run never leaves half a file.
        mkdir -p "$(dirname "$2")"
        cp "$work/root/$1" "$2.tmp"
        mv "$2.tmp" "$2"
        shift 2
    done
    rm -rf "$work"
}

# Download one .deb and copy a whole directory out of it: $1 = package, $2 = the directory in the
# deb, $3 = the destination (replaced as a whole, through a temporary name).
extract_tree_from_deb() {
    work=$(mktemp -d "$cache/.download.XXXXXX")
    chmod 777 "$work"
    log "downloading $1 (module tree)"
    if ! (cd "$work" && apt-get download -q "$1" >&2); then
        rm -rf "$work"
        unreachable "apt-get download $1 failed: the archive is unreachable"
    fi
    mkdir "$work/root"
    if ! dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$work/root" "./$2"; then
        rm -rf "$work"
        log "$1 does not hold $2"
        exit 1
    fi
    rm -rf "$3"
    mv "$work/root/$2" "$3"
    rm -rf "$work"
}

# $1 = arch directory, $2 = kernel metapackage, $3 = busybox package, $4/$5/$6 = variable names,
# $7 = the architecture suffix apt needs for the kernel package, $8 = the variable naming the
# whole module tree (empty: not wanted)
fetch_arch() {
    dir="$cache/$1"
    mkdir -p "$dir"
    kpkg=$(kernel_package "$2") || exit 1
    kver=${kpkg#linux-image-}
    vmlinuz="$dir/vmlinuz-$kver"
    # The ACPI power button driver and the evdev interface are modules in Debian's kernel; the
    # power-button test loads them from the initramfs, as udev would on an installed system.
    mods="$dir/modules-$kver"
    mdir="lib/modules/$kver/kernel/drivers"
    if [ ! -s "$vmlinuz" ] || [ ! -s "$mods/button.ko" ] || [ ! -s "$mods/evdev.ko" ]; then
        extract_from_deb "$kpkg${7:-}" "boot/vmlinuz-$kver" "$vmlinuz" \
            "$mdir/acpi/button.ko" "$mods/button.ko" "$mdir/input/evdev.ko" "$mods/evdev.ko"
    fi
    # The whole module tree (amd64 only): device tests load their drivers (ata_piix, 8139too,
    # bochs...) from it. modules.order is the last file written: its presence means complete.
    if [ -n "${8:-}" ] && [ ! -s "$dir/kmods-$kver/modules.order" ]; then
        extract_tree_from_deb "$kpkg${7:-}" "lib/modules/$kver" "$dir/kmods-$kver"
    fi
    bver=$(candidate_version "$3") || exit 1
    busybox="$dir/busybox-$bver"
    if [ ! -s "$busybox" ]; then
        extract_from_deb "$3" "bin/busybox" "$busybox"
        chmod 755 "$busybox"
    fi
    echo "$4=$vmlinuz"
    echo "$5=$busybox"
    echo "$6=$mods"
    if [ -n "${8:-}" ]; then
        echo "$8=$dir/kmods-$kver"
    fi
}

fetch_arch amd64 linux-image-amd64:amd64 busybox-static:amd64 \
    VMLINUZ_AMD64 BUSYBOX_AMD64 MODULES_AMD64 "" KMODS_AMD64
fetch_arch i386 linux-image-686:i386 busybox-static:i386 VMLINUZ_686 BUSYBOX_I386 MODULES_686 :i386
