#!/usr/bin/env python3
"""pc-testdev (-device pc-testdev) at register level, with the port layout the
kvm-unit-tests suites use: the 32-bit scratch port at 0xe0, its byte-split twin
at 0xe8, the flush-page port at 0xe4, IRQ lines at 0x2000 and the MMIO
scratch area at 0xff000000.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check_eq, run_cases  # noqa: E402

TESTDEV = ["-device", "pc-testdev"]
IOMEM = 0xff000000


def test_absent_without_device():
    with QTest() as qt:
        check_eq(qt.inl(0xe0), 0xffffffff, "nothing at 0xe0 without -device pc-testdev")


def test_scratch_port_sizes():
    with QTest(TESTDEV) as qt:
        check_eq(qt.inl(0xe0), 0, "power-on value")
        qt.outl(0xe0, 0x12345678)
        check_eq(qt.inl(0xe0), 0x12345678, "32-bit")
        check_eq(qt.inw(0xe0), 0x5678, "low word")
        check_eq(qt.inw(0xe2), 0x1234, "high word")
        check_eq([qt.inb(0xe0 + i) for i in range(4)], [0x78, 0x56, 0x34, 0x12], "bytes")
        qt.outb(0xe1, 0xab)
        check_eq(qt.inl(0xe0), 0x1234ab78, "byte write touches one byte")
        qt.outw(0xe2, 0xcdef)
        check_eq(qt.inl(0xe0), 0xcdefab78, "word write at offset 2")


def test_byte_split_port():
    with QTest(TESTDEV) as qt:
        qt.outl(0xe8, 0xdeadbeef)
        check_eq(qt.inl(0xe8), 0xdeadbeef, "4 bytes split and reassembled")
        check_eq(qt.inl(0xe0), 0xdeadbeef, "same register as 0xe0")
        qt.outw(0xea, 0x0102)
        check_eq(qt.inl(0xe0), 0x0102beef, "word at 0xea")
        check_eq(qt.inb(0xeb), 0x01, "byte at 0xeb")


def test_flush_page_ignored():
    with QTest(TESTDEV) as qt:
        qt.outl(0xe0, 0x55aa55aa)
        qt.outl(0xe4, 0x1000)
        check_eq(qt.inl(0xe0), 0x55aa55aa, "flush-page leaves the scratch register")


def test_irq_lines():
    with QTest(TESTDEV) as qt:
        qt.irq_intercept()
        qt.outb(0x2000 + 10, 1)
        check_eq(qt.irq_get(10), 1, "IRQ 10 raised")
        check_eq(qt.inb(0x2000 + 10), 1, "reads back")
        qt.outb(0x2000 + 10, 0)
        check_eq(qt.irq_get(10), 0, "IRQ 10 lowered")
        qt.outb(0x2000 + 20, 1)  # an IOAPIC-only pin: logged, nothing moves
        check_eq(qt.pop_irqs(), [("raise", 10), ("lower", 10)], "edges")


def test_iomem():
    with QTest(TESTDEV) as qt:
        check_eq(qt.readl(IOMEM), 0, "zeroed")
        qt.writeq(IOMEM + 8, 0x1122334455667788)
        check_eq(qt.readq(IOMEM + 8), 0x1122334455667788, "64-bit")
        check_eq(qt.readb(IOMEM + 9), 0x77, "byte inside it")
        qt.writew(IOMEM + 0xfffe, 0xbeef)
        check_eq(qt.readw(IOMEM + 0xfffe), 0xbeef, "last word")
        qt.memwrite(IOMEM + 0x100, b"osprey")
        check_eq(qt.memread(IOMEM + 0x100, 6), b"osprey", "buffer")


if __name__ == "__main__":
    run_cases([(name, fn) for name, fn in sorted(globals().items())
               if name.startswith("test_") and callable(fn)])
