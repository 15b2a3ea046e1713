#!/bin/sh
# Boot a guest program on Osprey's DBT and show what it prints.
# The program (tests/guest/modes64.c) starts at the reset vector in real mode,
# switches to protected mode and long mode, checks each step, prints on the
# debug console and ends through isa-debug-exit (status 33 = pass).
set -u
cd "$(dirname "$0")/.."
python3 tests/guest/test_guest.py --build-only >/dev/null || exit 1
build/osprey -accel tcg -nodefaults -display none -bios build/guest/modes64.bin \
    -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4
status=$?
if [ "$status" -eq 33 ]; then
    echo "boot-demo: the guest passed (isa-debug-exit status 33)"
    exit 0
fi
echo "boot-demo: the guest failed (status $status)" >&2
exit 1
