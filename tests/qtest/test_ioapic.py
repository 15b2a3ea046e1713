#!/usr/bin/env python3
"""The I/O APIC at register level, driven over qtest.

ISA lines are raised with `set_irq_in isa N LEVEL`; the board fans ISA IRQ n out
to IOAPIC input n (IRQ 0 to input 2).  Deliveries are observed in CPU 0's local
APIC (IRR/ISR through its MMIO page), and `intr_ack 0` plays the CPU's INTA.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check_eq, run_cases  # noqa: E402

IOAPIC = 0xfec00000
APIC = 0xfee00000
IRR, ISR, TMR, EOI, SVR = 0x200, 0x100, 0x180, 0xb0, 0xf0
MASKED, LEVEL, REMOTE_IRR, LOGICAL = 1 << 16, 1 << 15, 1 << 14, 1 << 11


class Ioapic:
    def __init__(self, qt):
        self.qt = qt

    def r(self, reg):
        self.qt.writel(IOAPIC, reg)
        return self.qt.readl(IOAPIC + 0x10)

    def w(self, reg, val):
        self.qt.writel(IOAPIC, reg)
        self.qt.writel(IOAPIC + 0x10, val)

    def set_entry(self, pin, low, dest=0):
        self.w(0x11 + 2 * pin, dest << 24)
        self.w(0x10 + 2 * pin, low)

    def entry_low(self, pin):
        return self.r(0x10 + 2 * pin)

    def irq(self, n, level):
        self.qt.cmd("set_irq_in isa %d %d" % (n, level))

    def apic_bit(self, base, vector):
        return (self.qt.readl(APIC + base + 0x10 * (vector >> 5)) >> (vector & 31)) & 1

    def ack(self):
        return int(self.qt.cmd("intr_ack 0"))

    def eoi(self):
        self.qt.writel(APIC + EOI, 0)


def start(extra=()):
    qt = QTest(list(extra))
    io = Ioapic(qt)
    qt.writel(APIC + SVR, 0x1ff)  # software-enable CPU 0's APIC
    return qt, io


def test_id_version():
    qt, io = start()
    with qt:
        check_eq(io.r(0x00), 0x01000000, "ID = number of CPUs")
        check_eq(io.r(0x01), 0x00170020, "version 0x20, 24 entries")
        check_eq(io.r(0x02), 0x01000000, "arbitration ID")
        io.w(0x00, 0x0f000000)
        check_eq(io.r(0x00), 0x0f000000, "ID is writable (bits 27:24)")
        io.w(0x01, 0)
        check_eq(io.r(0x01), 0x00170020, "version is read-only")
        qt.writel(IOAPIC, 0x12)
        check_eq(qt.readl(IOAPIC), 0x12, "IOREGSEL reads back")
    qt, io = start(["-smp", "4"])
    with qt:
        check_eq(io.r(0x00), 0x04000000, "ID with -smp 4")


def test_entry_masks():
    qt, io = start()
    with qt:
        for pin in (0, 23):
            check_eq(io.r(0x10 + 2 * pin), MASKED, "entry %d low at reset" % pin)
            check_eq(io.r(0x11 + 2 * pin), 0, "entry %d high at reset" % pin)
        io.w(0x10, 0xffffffff)
        check_eq(io.r(0x10), 0x0001afff, "low half writable bits (no status, no remote IRR)")
        io.w(0x11, 0xffffffff)
        check_eq(io.r(0x11), 0xff000000, "high half: destination only")
        check_eq(io.r(0x10 + 2 * 24), 0, "no entry 24")


def test_edge_delivery():
    qt, io = start()
    with qt:
        io.set_entry(1, 0x31)
        io.irq(1, 1)
        check_eq(io.apic_bit(IRR, 0x31), 1, "ISA IRQ 1 -> vector 0x31 in IRR")
        check_eq(io.apic_bit(TMR, 0x31), 0, "edge: TMR clear")
        check_eq(io.ack(), 0x31, "INTA")
        io.eoi()
        io.irq(1, 1)
        check_eq(io.apic_bit(IRR, 0x31), 0, "no new edge while the line stays high")
        io.irq(1, 0)
        io.irq(1, 1)
        check_eq(io.apic_bit(IRR, 0x31), 1, "a new rising edge delivers again")
        # ISA IRQ 0 arrives on input 2.
        io.set_entry(2, 0x30)
        io.irq(0, 1)
        check_eq(io.apic_bit(IRR, 0x30), 1, "ISA IRQ 0 -> input 2")
        io.irq(0, 0)


def test_masked():
    qt, io = start()
    with qt:
        io.set_entry(4, MASKED | 0x34)
        io.irq(4, 1)
        check_eq(io.apic_bit(IRR, 0x34), 0, "masked edge entry delivers nothing")
        io.irq(4, 0)
        io.set_entry(5, MASKED | LEVEL | 0x35)
        io.irq(5, 1)
        check_eq(io.apic_bit(IRR, 0x35), 0, "masked level entry delivers nothing")
        io.set_entry(5, LEVEL | 0x35)
        check_eq(io.apic_bit(IRR, 0x35), 1, "unmasking an asserted level entry delivers")
        # Destination elsewhere: physical ID 3 does not exist.
        io.set_entry(6, 0x36, dest=3)
        io.irq(6, 1)
        check_eq(io.apic_bit(IRR, 0x36), 0, "destination ID 3: not CPU 0")
        io.set_entry(7, LOGICAL | 0x37, dest=0xff)
        io.irq(7, 1)
        check_eq(io.apic_bit(IRR, 0x37), 0, "logical destination with LDR 0 misses")


def test_level_remote_irr():
    qt, io = start()
    with qt:
        io.set_entry(3, LEVEL | 0x43)
        io.irq(3, 1)
        check_eq(io.apic_bit(IRR, 0x43), 1, "level entry delivers")
        check_eq(io.apic_bit(TMR, 0x43), 1, "level: TMR set")
        check_eq(io.entry_low(3) & REMOTE_IRR, REMOTE_IRR, "remote IRR set")
        check_eq(io.ack(), 0x43, "INTA")
        check_eq(io.entry_low(3) & REMOTE_IRR, REMOTE_IRR, "remote IRR held until EOI")
        io.eoi()
        # Still asserted: the EOI broadcast re-delivers at once.
        check_eq(io.apic_bit(IRR, 0x43), 1, "re-delivered after EOI while asserted")
        check_eq(io.entry_low(3) & REMOTE_IRR, REMOTE_IRR, "remote IRR set again")
        io.irq(3, 0)
        check_eq(io.ack(), 0x43, "INTA of the second delivery")
        io.eoi()
        check_eq(io.entry_low(3) & REMOTE_IRR, 0, "remote IRR clear after EOI")
        check_eq(io.apic_bit(IRR, 0x43), 0, "no delivery once deasserted")
        # The EOI register (version 0x20) clears remote IRR the same way.
        io.irq(3, 1)
        check_eq(io.entry_low(3) & REMOTE_IRR, REMOTE_IRR, "remote IRR set")
        io.irq(3, 0)
        qt.writel(IOAPIC + 0x40, 0x42)
        check_eq(io.entry_low(3) & REMOTE_IRR, REMOTE_IRR, "EOI of another vector: kept")
        qt.writel(IOAPIC + 0x40, 0x43)
        check_eq(io.entry_low(3) & REMOTE_IRR, 0, "EOI register clears remote IRR")


if __name__ == "__main__":
    run_cases([
        ("ioapic/id-version", test_id_version),
        ("ioapic/entry-masks", test_entry_masks),
        ("ioapic/edge-delivery", test_edge_delivery),
        ("ioapic/masked", test_masked),
        ("ioapic/level-remote-irr", test_level_remote_irr),
    ])
