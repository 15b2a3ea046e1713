#!/usr/bin/env python3
"""The local APIC (xAPIC) at register level, driven over qtest.

qtest accesses act as CPU 0, so the page at 0xfee00000 is CPU 0's APIC.
`intr_ack CPU` runs the INTA cycle the CPU would (the vector, or -1 when the
APIC does not request an interrupt), which moves the vector from IRR to ISR.
The timer counts at 1 GHz (one tick per virtual ns) before the divider.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402

BASE = 0xfee00000
ID, VER, TPR, APR, PPR, EOI, RRD, LDR, DFR, SVR = (0x20, 0x30, 0x80, 0x90, 0xa0, 0xb0, 0xc0,
                                                   0xd0, 0xe0, 0xf0)
ISR, TMR, IRR, ESR, ICR_LO, ICR_HI = 0x100, 0x180, 0x200, 0x280, 0x300, 0x310
LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR = (0x320, 0x330, 0x340, 0x350,
                                                                      0x360, 0x370)
LVTS = (LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR)
TIMER_INIT, TIMER_CUR, TIMER_DCR = 0x380, 0x390, 0x3e0
MASKED = 1 << 16
PERIODIC = 1 << 17
# DCR encodings and their dividers.
DIVIDERS = {0x0: 2, 0x1: 4, 0x2: 8, 0x3: 16, 0x8: 32, 0x9: 64, 0xa: 128, 0xb: 1}


class Apic:
    def __init__(self, qt):
        self.qt = qt

    def r(self, reg):
        return self.qt.readl(BASE + reg)

    def w(self, reg, val):
        self.qt.writel(BASE + reg, val)

    def vec_bit(self, base, vector):
        return (self.r(base + 0x10 * (vector >> 5)) >> (vector & 31)) & 1

    def enable(self):
        self.w(SVR, 0x1ff)

    def ack(self, cpu=0):
        return int(self.qt.cmd("intr_ack %d" % cpu))


def start(extra=()):
    qt = QTest(list(extra))
    return qt, Apic(qt)


def test_reset_values():
    qt, a = start()
    with qt:
        check_eq(a.r(ID), 0, "ID of CPU 0")
        check_eq(a.r(VER), 0x00050014, "version")
        for reg in (TPR, APR, PPR, LDR, ESR, ICR_LO, ICR_HI, TIMER_INIT, TIMER_CUR, TIMER_DCR):
            check_eq(a.r(reg), 0, "register 0x%x" % reg)
        check_eq(a.r(DFR), 0xffffffff, "DFR (flat model)")
        check_eq(a.r(SVR), 0xff, "SVR (software-disabled, spurious vector 0xff)")
        for reg in LVTS:
            check_eq(a.r(reg), MASKED, "LVT 0x%x masked" % reg)
        for base in (ISR, TMR, IRR):
            for i in range(8):
                check_eq(a.r(base + 0x10 * i), 0, "register 0x%x" % (base + 0x10 * i))


def test_id_and_ldr():
    qt, a = start()
    with qt:
        a.w(ID, 0x05000000)
        check_eq(a.r(ID), 0x05000000, "ID written")
        a.w(LDR, 0xffffffff)
        check_eq(a.r(LDR), 0xff000000, "LDR keeps bits 31:24")
        a.w(DFR, 0x0)
        check_eq(a.r(DFR), 0x0fffffff, "DFR cluster model, low bits read ones")
        check_eq(a.r(VER), 0x00050014, "version is read-only")
        a.w(VER, 0)
        check_eq(a.r(VER), 0x00050014, "version after a write")


def test_tpr_ppr():
    qt, a = start()
    with qt:
        a.enable()
        a.w(TPR, 0x35)
        check_eq(a.r(TPR), 0x35, "TPR")
        check_eq(a.r(PPR), 0x35, "PPR = TPR with nothing in service")
        a.w(TPR, 0x1ff)
        check_eq(a.r(TPR), 0xff, "TPR is 8 bits")
        a.w(TPR, 0)
        # Put vector 0x61 in service: PPR follows its class while TPR is lower.
        a.w(ICR_LO, 0x40061)  # fixed, self
        check_eq(a.ack(), 0x61, "INTA vector")
        check_eq(a.r(PPR), 0x60, "PPR = ISR class")
        a.w(TPR, 0x72)
        check_eq(a.r(PPR), 0x72, "PPR = TPR when higher")
        a.w(EOI, 0)
        a.w(TPR, 0)
        check_eq(a.r(PPR), 0, "PPR after EOI")


def test_svr_enable_and_lvt_masks():
    qt, a = start()
    with qt:
        a.w(LVT_LINT0, 0x700)
        check_eq(a.r(LVT_LINT0), 0x10700, "software-disabled: the mask stays set")
        a.enable()
        check_eq(a.r(SVR), 0x1ff, "SVR enabled")
        expect = {LVT_TIMER: 0x700ff, LVT_THERMAL: 0x107ff, LVT_PERF: 0x107ff,
                  LVT_LINT0: 0x1a7ff, LVT_LINT1: 0x1a7ff, LVT_ERROR: 0x100ff}
        for reg, mask in expect.items():
            a.w(reg, 0xffffffff)
            check_eq(a.r(reg), mask, "LVT 0x%x writable bits" % reg)
            a.w(reg, 0x40)
            check_eq(a.r(reg), 0x40, "LVT 0x%x unmasked" % reg)
        a.w(SVR, 0xff)
        for reg in LVTS:
            check(a.r(reg) & MASKED, "LVT 0x%x masked by software disable" % reg)


def timer_case(a, qt, dcr, periodic):
    div = DIVIDERS[dcr]
    a.w(TIMER_DCR, dcr)
    check_eq(a.r(TIMER_DCR), dcr, "DCR")
    a.w(LVT_TIMER, 0x40 | (PERIODIC if periodic else 0))
    initial = 1000
    a.w(TIMER_INIT, initial)
    check_eq(a.r(TIMER_CUR), initial, "current count at load (divider %d)" % div)
    qt.clock_step(div * 250)
    check_eq(a.r(TIMER_CUR), initial - 250, "after 250 ticks (divider %d)" % div)
    check_eq(a.vec_bit(IRR, 0x40), 0, "no interrupt before expiry")
    qt.clock_step(div * 750 - 1)
    check_eq(a.r(TIMER_CUR), 1, "one tick before expiry (divider %d)" % div)
    check_eq(a.vec_bit(IRR, 0x40), 0, "still no interrupt")
    qt.clock_step(1)
    check_eq(a.vec_bit(IRR, 0x40), 1, "expiry sets IRR (divider %d)" % div)
    if periodic:
        check_eq(a.r(TIMER_CUR), initial, "periodic: reloaded")
        qt.clock_step(div * 100)
        check_eq(a.r(TIMER_CUR), initial - 100, "periodic: counting again")
    else:
        check_eq(a.r(TIMER_CUR), 0, "one-shot: stays at 0")
    check_eq(a.ack(), 0x40, "INTA takes the timer vector")
    check_eq(a.vec_bit(IRR, 0x40), 0, "IRR cleared by INTA")
    check_eq(a.vec_bit(ISR, 0x40), 1, "ISR set by INTA")
    a.w(EOI, 0)
    check_eq(a.vec_bit(ISR, 0x40), 0, "EOI clears ISR")
    if periodic:
        qt.clock_step(div * 900)
        check_eq(a.vec_bit(IRR, 0x40), 1, "periodic: fires again")
        a.ack()
        a.w(EOI, 0)
    else:
        qt.clock_step(div * 5000)
        check_eq(a.vec_bit(IRR, 0x40), 0, "one-shot fires once")
    a.w(TIMER_INIT, 0)
    check_eq(a.r(TIMER_CUR), 0, "initial count 0 stops the timer")


def test_timer_oneshot():
    qt, a = start()
    with qt:
        a.enable()
        for dcr in sorted(DIVIDERS):
            timer_case(a, qt, dcr, periodic=False)


def test_timer_periodic():
    qt, a = start()
    with qt:
        a.enable()
        for dcr in sorted(DIVIDERS):
            timer_case(a, qt, dcr, periodic=True)


def test_timer_masked_and_divider_change():
    qt, a = start()
    with qt:
        a.enable()
        a.w(TIMER_DCR, 0xb)  # divide by 1
        a.w(LVT_TIMER, MASKED | 0x41)
        a.w(TIMER_INIT, 100)
        qt.clock_step(200)
        check_eq(a.vec_bit(IRR, 0x41), 0, "a masked timer raises nothing")
        a.w(LVT_TIMER, 0x41)
        a.w(TIMER_INIT, 1000)
        qt.clock_step(400)
        a.w(TIMER_DCR, 0x1)  # divide by 4: the current count is kept
        check_eq(a.r(TIMER_CUR), 600, "count kept across a divider change")
        qt.clock_step(4 * 600 - 4)
        check_eq(a.r(TIMER_CUR), 1, "counting at the new rate")
        check_eq(a.vec_bit(IRR, 0x41), 0, "not yet")
        qt.clock_step(4)
        check_eq(a.vec_bit(IRR, 0x41), 1, "expired at the new rate")


def test_self_ipi_and_priority():
    qt, a = start()
    with qt:
        check_eq(a.ack(), -1, "nothing requested after reset")
        a.w(ICR_LO, 0x40050)
        check_eq(a.vec_bit(IRR, 0x50), 0, "software-disabled APIC accepts no fixed IPI")
        a.enable()
        a.w(ICR_LO, 0x40050)  # fixed, shorthand self
        check_eq(a.vec_bit(IRR, 0x50), 1, "self IPI lands in IRR")
        check_eq(a.r(ICR_LO) & (1 << 12), 0, "delivery status idle")
        a.w(TPR, 0x50)
        check_eq(a.ack(), -1, "TPR class 5 blocks vector 0x50")
        a.w(TPR, 0x4f)
        a.w(ICR_LO, 0x40090)
        check_eq(a.ack(), 0x90, "the highest vector first")
        check_eq(a.ack(), -1, "0x50 waits while 0x90 is in service")
        a.w(EOI, 0)
        check_eq(a.vec_bit(ISR, 0x90), 0, "EOI cleared 0x90")
        check_eq(a.ack(), 0x50, "then 0x50")
        a.w(EOI, 0)
        check_eq(a.r(ISR + 0x20), 0, "ISR empty")
        # Physical destination 0 (our ID) and all-including-self work the same way.
        a.w(ICR_HI, 0)
        a.w(ICR_LO, 0x00061)
        check_eq(a.vec_bit(IRR, 0x61), 1, "physical destination = own ID")
        a.w(ICR_HI, 0x01000000)
        a.w(ICR_LO, 0x00062)
        check_eq(a.vec_bit(IRR, 0x62), 0, "physical destination 1: not us")
        a.w(ICR_LO, 0x80063)
        check_eq(a.vec_bit(IRR, 0x63), 1, "all including self")
        a.w(ICR_LO, 0xc0064)
        check_eq(a.vec_bit(IRR, 0x64), 0, "all excluding self")
        a.w(LDR, 0x02000000)
        a.w(ICR_HI, 0x03000000)
        a.w(ICR_LO, 0x00865)
        check_eq(a.vec_bit(IRR, 0x65), 1, "logical flat destination matches")
        a.w(ICR_HI, 0x04000000)
        a.w(ICR_LO, 0x00866)
        check_eq(a.vec_bit(IRR, 0x66), 0, "logical flat destination misses")


def test_esr():
    qt, a = start()
    with qt:
        a.enable()
        a.w(ICR_LO, 0x40005)  # illegal vector 5
        check_eq(a.r(ESR), 0, "ESR reads the errors latched by the last write")
        a.w(ESR, 0)
        check_eq(a.r(ESR), 0x20, "send illegal vector")
        a.w(ESR, 0)
        check_eq(a.r(ESR), 0, "cleared by the next write")
        a.w(LVT_ERROR, 0x4e)
        a.w(LVT_TIMER, 0x03)  # an illegal vector in the LVT: a receive error
        a.w(TIMER_DCR, 0xb)
        a.w(TIMER_INIT, 10)
        qt.clock_step(10)
        a.w(ESR, 0)
        check_eq(a.r(ESR), 0x40, "receive illegal vector")
        check_eq(a.vec_bit(IRR, 0x4e), 1, "the error LVT raised its vector")


def test_tmr_level():
    qt, a = start()
    with qt:
        a.enable()
        a.w(ICR_LO, 0x4c070)  # fixed, level, assert, self
        check_eq(a.vec_bit(TMR, 0x70), 1, "level-triggered IPI sets TMR")
        a.w(ICR_LO, 0x40071)
        check_eq(a.vec_bit(TMR, 0x71), 0, "edge leaves TMR clear")


def test_tsc_deadline_mode_bits():
    qt, a = start()
    with qt:
        a.enable()
        a.w(LVT_TIMER, 0x40040)  # TSC-deadline mode
        check_eq(a.r(LVT_TIMER), 0x40040, "TSC-deadline mode selected")
        a.w(TIMER_INIT, 1000)
        check_eq(a.r(TIMER_INIT), 0, "initial count ignored in TSC-deadline mode")
        check_eq(a.r(TIMER_CUR), 0, "current count reads 0")


def test_absent_on_486():
    qt, a = start(["-cpu", "486"])
    with qt:
        check_eq(a.r(VER), 0xffffffff, "no APIC page on a 486")
        check_eq(qt.readl(0xfec00010), 0xffffffff, "and no IOAPIC")
    qt, a = start(["-smp", "2"])
    with qt:
        check_eq(a.r(ID), 0, "qtest accesses reach CPU 0's APIC")


if __name__ == "__main__":
    run_cases([
        ("apic/reset-values", test_reset_values),
        ("apic/id-ldr-dfr", test_id_and_ldr),
        ("apic/tpr-ppr", test_tpr_ppr),
        ("apic/svr-enable-lvt-masks", test_svr_enable_and_lvt_masks),
        ("apic/timer-oneshot", test_timer_oneshot),
        ("apic/timer-periodic", test_timer_periodic),
        ("apic/timer-masked-divider-change", test_timer_masked_and_divider_change),
        ("apic/self-ipi-priority", test_self_ipi_and_priority),
        ("apic/esr", test_esr),
        ("apic/tmr-level", test_tmr_level),
        ("apic/tsc-deadline-mode", test_tsc_deadline_mode_bits),
        ("apic/absent-on-486", test_absent_on_486),
    ])
