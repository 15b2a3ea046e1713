#!/bin/sh
# Run the guest test programs on Debian's QEMU: the reference verdict for Osprey's results.
# Usage: tests/guest/run-on-qemu.sh [-v] [NAME...]   (images go to ${OSPREY_BUILD:-build}/guest)
here=$(dirname "$0")
exec python3 "$here/test_guest.py" --emulator "${QEMU:-qemu-system-x86_64}" "$@"
