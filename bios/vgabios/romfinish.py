#!/usr/bin/env python3
"""Finish an option ROM image: pad it (code, data and the zeroed bss up to rom_end) to a
multiple of 512 bytes plus room for the checksum byte, write the size into the header
(byte 2) and the PCI data structure (image and maximum runtime length), then make all
bytes sum to zero.  Usage: romfinish.py IN.bin ROM_END OUT.bin"""
import sys

data = bytearray(open(sys.argv[1], "rb").read())
end = int(sys.argv[2], 16)
size = (max(len(data), end) + 1 + 511) // 512 * 512
data += bytes(size - len(data))
blocks = size // 512
if data[0:2] != b"\x55\xaa" or blocks > 127:
    raise SystemExit("romfinish: not an option ROM or too large (%d blocks)" % blocks)
data[2] = blocks
pcir = data[0x18] | data[0x19] << 8
if data[pcir:pcir + 4] != b"PCIR":
    raise SystemExit("romfinish: no PCI data structure at 0x%x" % pcir)
data[pcir + 0x10:pcir + 0x12] = blocks.to_bytes(2, "little")
data[pcir + 0x16:pcir + 0x18] = blocks.to_bytes(2, "little")
data[-1] = 0
data[-1] = (-sum(data)) & 0xff
open(sys.argv[3], "wb").write(data)
