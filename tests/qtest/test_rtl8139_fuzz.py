#!/usr/bin/env python3
"""RTL8139 fuzz over qtest: random register writes, random descriptor rings and
buffer addresses (in RAM, at its edge, in MMIO holes, above 4 GiB), random frame
lengths injected from the wire, in normal and C+ mode.  The device must never
crash, and in the sanitizer build ASan must stay quiet (the qtest driver prints
the report if one appears, and the process must still answer at the end).

Seeded and reproducible: OSPREY_FUZZ_SEED picks the seed, OSPREY_FUZZ_OPS the length.
"""
import os
import random
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import SANITIZER_MARKERS, check, run_cases  # noqa: E402
from rtl8139lib import (CPCR, CR, DESC_EOR, DESC_FS, DESC_LS, DESC_OWN, IOBASE,  # noqa: E402
                        MAC, RDSAR, TPPOLL, TSAD0, TSD0, Nic)

RAM = 64 << 20
OPS = int(os.environ.get("OSPREY_FUZZ_OPS", "2500"))
SEED = int(os.environ.get("OSPREY_FUZZ_SEED", "8139"))


def drain(sock, stop):
    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            if not sock.recv(65536):
                return
        except OSError:
            continue


def rand_addr(rng):
    return rng.choice([
        rng.randrange(0x100000, 0x200000) & ~0xf,   # ordinary RAM
        RAM - rng.randrange(1, 64),                # straddling the end of RAM
        rng.randrange(0, 1 << 32),                 # anywhere, holes and MMIO included
        (1 << 32) + rng.randrange(0, 1 << 20),     # above 4 GiB (nothing there)
        0xfffffff0,
    ])


def rand_desc(rng):
    opts1 = rng.getrandbits(32) | (DESC_OWN if rng.random() < 0.8 else 0)
    if rng.random() < 0.5:
        opts1 = (opts1 & ~0xffff) | rng.choice([0, 1, 14, 60, 1514, 1536, 4096, 0xffff])
    if rng.random() < 0.3:
        opts1 |= DESC_FS | DESC_LS
    return struct.pack("<IIQ", opts1, rng.getrandbits(32), rand_addr(rng))


def rand_frame(rng):
    n = rng.choice([0, 1, 13, 14, 59, 60, 64, 1514, 1518, 4000, 9000, rng.randrange(0, 16384)])
    dst = rng.choice([MAC, b"\xff" * 6, b"\x01\x00\x5e\x00\x00\x01", os.urandom(6)])
    body = bytearray(rng.getrandbits(8) for _ in range(min(n, 64))) + bytes(max(0, n - 64))
    if n >= 34 and rng.random() < 0.5:
        body[12:14] = rng.choice([b"\x08\x00", b"\x81\x00"])
        body[14] = 0x40 | rng.randrange(16)
    return (dst + bytes(body))[:n] if n else b""


def fuzz(seed, ops):
    rng = random.Random(seed)
    stop = threading.Event()
    with Nic(timeout=30) as nic:
        qt = nic.qt
        t = threading.Thread(target=drain, args=(nic.peer, stop), daemon=True)
        t.start()
        try:
            ring = 0x180000
            qt.memwrite(ring, b"".join(rand_desc(rng) for _ in range(64)))
            for i in range(ops):
                op = rng.random()
                if op < 0.35:
                    reg = rng.choice([TSD0, TSD0 + 4, TSAD0, TSAD0 + 4, CR, CPCR, TPPOLL, RDSAR,
                                      RDSAR + 4, 0x30, 0x38, 0x3c, 0x3e, 0x40, 0x44, 0x50, 0x54,
                                      0x62, 0xe2, 0xda, rng.randrange(0, 256)])
                    size = rng.choice([1, 2, 4])
                    reg = min(reg, 256 - size)
                    val = rng.getrandbits(8 * size)
                    if reg == CR and rng.random() < 0.9:
                        val &= ~0x10  # reset only now and then
                    {1: qt.outb, 2: qt.outw, 4: qt.outl}[size](IOBASE + reg, val)
                elif op < 0.5:
                    # Point the rings at the descriptor area or somewhere wild.
                    base = ring if rng.random() < 0.7 else rand_addr(rng)
                    qt.outl(IOBASE + rng.choice([TSAD0, RDSAR]), base & 0xffffffff)
                    qt.outl(IOBASE + rng.choice([TSAD0 + 4, RDSAR + 4]), base >> 32)
                    qt.outb(IOBASE + TPPOLL, 0x40)
                elif op < 0.65:
                    idx = rng.randrange(64)
                    qt.memwrite(ring + 16 * idx, rand_desc(rng))
                    if rng.random() < 0.2:
                        qt.memwrite(ring + 16 * 63 + 4 * 0, struct.pack("<I", DESC_OWN | DESC_EOR))
                elif op < 0.85:
                    f = rand_frame(rng)
                    if f:
                        nic.inject(f)
                else:
                    # Normal-mode transmit of a random size from a random address.
                    d = rng.randrange(4)
                    qt.outl(IOBASE + TSAD0 + 4 * d, rand_addr(rng) & 0xffffffff)
                    qt.outl(IOBASE + TSD0 + 4 * d, rng.getrandbits(14))
                    qt.outb(IOBASE + 0x37, 0x0c)
            # Still alive and answering.
            check(qt.inl(IOBASE + 0) is not None, "registers still answer")
            check(qt.proc.poll() is None, "osprey still runs")
        finally:
            stop.set()
        err = qt.stderr_text()
        check(not any(m in err for m in SANITIZER_MARKERS), "sanitizer report: %s" % err[-2000:])


def test_fuzz_seed():
    fuzz(SEED, OPS)


def test_fuzz_second_seed():
    fuzz(SEED + 1, OPS // 2)


if __name__ == "__main__":
    run_cases([
        ("rtl8139-fuzz/seed-%d" % SEED, test_fuzz_seed),
        ("rtl8139-fuzz/seed-%d" % (SEED + 1), test_fuzz_second_seed),
    ])
