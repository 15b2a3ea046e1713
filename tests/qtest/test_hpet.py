#!/usr/bin/env python3
"""The HPET at register level, driven over qtest.

The main counter ticks every 10 ns of the virtual clock, so clock_step gives
exact counts.  Non-legacy interrupts are routed to IOAPIC inputs 20-23 and seen
in CPU 0's local APIC IRR; legacy replacement interrupts are seen on ISA IRQ 0
and 8 through irq_intercept_in isa.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402

HPET = 0xfed00000
IOAPIC = 0xfec00000
APIC = 0xfee00000
CAP, CONFIG, STATUS, COUNTER = 0x000, 0x010, 0x020, 0x0f0
ENABLE, LEGACY = 1, 2
INT_LEVEL, INT_ENB, PERIODIC, VAL_SET, MODE32 = 1 << 1, 1 << 2, 1 << 3, 1 << 6, 1 << 8


def tconf(n):
    return 0x100 + 0x20 * n


def tcmp(n):
    return 0x108 + 0x20 * n


def route(pin):
    return pin << 9


class Hpet:
    def __init__(self, qt):
        self.qt = qt
        qt.writel(APIC + 0xf0, 0x1ff)  # software-enable CPU 0's APIC

    def r(self, reg):
        return self.qt.readq(HPET + reg)

    def w(self, reg, val):
        self.qt.writeq(HPET + reg, val)

    def ioapic_entry(self, pin, low):
        self.qt.writel(IOAPIC, 0x11 + 2 * pin)
        self.qt.writel(IOAPIC + 0x10, 0)
        self.qt.writel(IOAPIC, 0x10 + 2 * pin)
        self.qt.writel(IOAPIC + 0x10, low)

    def irr(self, vector):
        return (self.qt.readl(APIC + 0x200 + 0x10 * (vector >> 5)) >> (vector & 31)) & 1

    def ack_eoi(self):
        v = int(self.qt.cmd("intr_ack 0"))
        self.qt.writel(APIC + 0xb0, 0)
        return v


def start():
    qt = QTest()
    return qt, Hpet(qt)


def test_capabilities():
    qt, h = start()
    with qt:
        check_eq(h.r(CAP), 0x009896808086a201, "capabilities (10 ns, Intel, 3 timers, 64-bit)")
        check_eq(qt.readl(HPET + 4), 10000000, "period in fs, upper half")
        check_eq(h.r(CONFIG), 0, "configuration at reset")
        check_eq(h.r(STATUS), 0, "status at reset")
        check_eq(h.r(COUNTER), 0, "counter at reset")
        check_eq(h.r(tconf(0)), 0x00f0000000000030, "timer 0: routes 20-23, periodic, 64-bit")
        check_eq(h.r(tconf(1)), 0x00f0000000000020, "timer 1: not periodic-capable")
        check_eq(h.r(tcmp(2)), 0xffffffffffffffff, "comparator resets to all ones")
        h.w(CAP, 0)
        check_eq(h.r(CAP), 0x009896808086a201, "capabilities are read-only")


def test_counter():
    qt, h = start()
    with qt:
        qt.clock_step(1000)
        check_eq(h.r(COUNTER), 0, "halted counter does not move")
        h.w(CONFIG, ENABLE)
        qt.clock_step(1000)
        check_eq(h.r(COUNTER), 100, "100 ticks in 1000 ns")
        qt.clock_step(5)
        check_eq(h.r(COUNTER), 100, "half a tick")
        qt.clock_step(5)
        check_eq(h.r(COUNTER), 101, "a whole tick")
        h.w(CONFIG, 0)
        qt.clock_step(1000)
        check_eq(h.r(COUNTER), 101, "halted again: value kept")
        h.w(COUNTER, 0x1234567890)
        check_eq(h.r(COUNTER), 0x1234567890, "writable while halted")
        qt.writel(HPET + COUNTER, 0x11)
        check_eq(h.r(COUNTER), 0x1200000011, "32-bit write of the low half")
        h.w(CONFIG, ENABLE)
        qt.clock_step(20)
        check_eq(qt.readl(HPET + COUNTER), 0x13, "32-bit read of the low half")
        check_eq(qt.readl(HPET + COUNTER + 4), 0x12, "32-bit read of the high half")


def test_oneshot_ioapic():
    qt, h = start()
    with qt:
        h.ioapic_entry(20, 0x50)
        h.w(tconf(2), INT_ENB | route(20))
        check_eq(h.r(tconf(2)) & 0xffff, INT_ENB | route(20) | 0x20, "timer 2 config")
        h.w(tcmp(2), 100)
        h.w(CONFIG, ENABLE)
        qt.clock_step(999)
        check_eq(h.irr(0x50), 0, "no interrupt before the match")
        qt.clock_step(1)
        check_eq(h.irr(0x50), 1, "match at counter 100 -> IOAPIC input 20 -> vector 0x50")
        check_eq(h.ack_eoi(), 0x50, "INTA")
        check_eq(h.r(STATUS), 0, "edge-triggered: status stays 0")
        qt.clock_step(100000)
        check_eq(h.irr(0x50), 0, "one-shot: no second interrupt")
        check_eq(h.r(tcmp(2)), 100, "one-shot comparator unchanged")


def test_periodic():
    qt, h = start()
    with qt:
        h.ioapic_entry(21, 0x51)
        h.w(tconf(0), INT_ENB | PERIODIC | VAL_SET | route(21))
        h.w(tcmp(0), 50)
        check_eq(h.r(tconf(0)) & VAL_SET, 0, "VAL_SET clears itself")
        h.w(CONFIG, ENABLE)
        for k in range(1, 5):
            qt.clock_step(499)
            check_eq(h.irr(0x51), 0, "period %d: not yet" % k)
            qt.clock_step(1)
            check_eq(h.irr(0x51), 1, "period %d: fired" % k)
            check_eq(h.r(tcmp(0)), 50 * (k + 1), "comparator advanced by the period")
            h.ack_eoi()
        # A write without VAL_SET changes only the period.
        h.w(tcmp(0), 20)
        check_eq(h.r(tcmp(0)), 250, "comparator kept")
        qt.clock_step(500)
        check_eq(h.r(tcmp(0)), 270, "then advances by the new period")
        h.w(tconf(1), PERIODIC)
        check_eq(h.r(tconf(1)) & PERIODIC, 0, "timer 1 cannot be periodic")


def test_32bit_mode():
    qt, h = start()
    with qt:
        h.w(tconf(1), MODE32)
        h.w(tcmp(1), 0x100000005)
        check_eq(h.r(tcmp(1)), 5, "32-bit comparator")
        h.ioapic_entry(22, 0x52)
        h.w(tconf(1), MODE32 | INT_ENB | route(22))
        h.w(COUNTER, 0x2fffffff0)
        h.w(CONFIG, ENABLE)
        qt.clock_step(20 * 10)  # low half wraps from 0xfffffff0 through 0 to 5
        check_eq(h.irr(0x52), 0, "not at low half 4")
        qt.clock_step(10 * 1)
        check_eq(h.irr(0x52), 1, "32-bit match on the low half after the wrap")


def test_level_status():
    qt, h = start()
    with qt:
        h.ioapic_entry(23, 0x53 | (1 << 15))  # level-triggered
        h.w(tconf(2), INT_LEVEL | route(23))  # interrupt not enabled yet
        h.w(tcmp(2), 10)
        h.w(CONFIG, ENABLE)
        qt.clock_step(100)
        check_eq(h.r(STATUS), 4, "status set on the match even with INT_ENB clear")
        check_eq(h.irr(0x53), 0, "but no interrupt")
        h.w(tconf(2), INT_LEVEL | INT_ENB | route(23))
        check_eq(h.irr(0x53), 1, "enabling raises the level")
        check_eq(h.ack_eoi(), 0x53, "INTA")
        check_eq(h.irr(0x53), 1, "still asserted: the IOAPIC delivers again after EOI")
        qt.writel(HPET + STATUS, 4)
        check_eq(h.r(STATUS), 0, "write 1 clears")
        check_eq(h.ack_eoi(), 0x53, "INTA")
        check_eq(h.irr(0x53), 0, "deasserted: no more")


def test_legacy_replacement():
    qt, h = start()
    with qt:
        qt.irq_intercept()
        h.w(tconf(0), INT_ENB | route(20))
        h.w(tconf(1), INT_ENB | route(20))
        h.w(tcmp(0), 10)
        h.w(tcmp(1), 20)
        h.w(CONFIG, ENABLE | LEGACY)
        check_eq(h.r(CONFIG), 3, "legacy replacement on")
        qt.clock_step(100)
        check_eq(qt.pop_irqs(), [("raise", 0), ("lower", 0)], "timer 0 -> ISA IRQ 0")
        qt.clock_step(100)
        check_eq(qt.pop_irqs(), [("raise", 8), ("lower", 8)], "timer 1 -> ISA IRQ 8")
        # IRQ 0 reaches IOAPIC input 2.
        h.w(CONFIG, 0)
        h.ioapic_entry(2, 0x40)
        h.w(tcmp(0), 100)  # the counter stands at 20
        h.w(CONFIG, ENABLE | LEGACY)
        qt.clock_step(1000)
        check(("raise", 0) in qt.pop_irqs(), "IRQ 0 again")
        check_eq(h.irr(0x40), 1, "through IOAPIC input 2")
        # Without legacy mode timer 0 follows INT_ROUTE and IRQ 0 stays quiet.
        h.w(CONFIG, 0)
        h.ioapic_entry(20, 0x54)
        h.w(tcmp(0), 0x200)
        h.w(CONFIG, ENABLE)
        qt.clock_step(10000)
        check_eq(qt.pop_irqs(), [], "no ISA IRQ without legacy mode")
        check_eq(h.irr(0x54), 1, "timer 0 on IOAPIC input 20")


if __name__ == "__main__":
    run_cases([
        ("hpet/capabilities", test_capabilities),
        ("hpet/counter", test_counter),
        ("hpet/oneshot-ioapic", test_oneshot_ioapic),
        ("hpet/periodic", test_periodic),
        ("hpet/32bit-mode", test_32bit_mode),
        ("hpet/level-status", test_level_status),
        ("hpet/legacy-replacement", test_legacy_replacement),
    ])
