#!/usr/bin/env python3
"""The PIIX4 ACPI PM function at register level: PMBA enabling, the PM timer
rate and wrap (exact, with clock_step), TMR_STS and the SCI on ISA IRQ 9,
SCI_EN through the SMI command port, the GPE0 block, the power button over
QMP, and S5 soft-off."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402
from pcilib import PM, cfg_read, cfg_write, with_qmp  # noqa: E402

PMBASE = 0x600
PM1_STS, PM1_EN, PM1_CNT, PM_TMR = PMBASE, PMBASE + 2, PMBASE + 4, PMBASE + 8
GPE0 = 0xafe0
HZ = 3579545
NS = 1000000000
SCI = 9
TMR_STS, PWRBTN_STS = 0x0001, 0x0100
SCI_EN, SLP_EN = 0x0001, 0x2000


def ticks(ns):
    return ns * HZ // NS


def ns_of_ticks(t):
    return -(-t * NS // HZ)


def enable_pm(qt):
    cfg_write(qt, PM, 0x40, PMBASE | 1)
    cfg_write(qt, PM, 0x80, 1, 1)


def test_pmba_enable():
    with QTest() as qt:
        check_eq(cfg_read(qt, PM, 0x40), 0x00000001, "PMBA at reset")
        check_eq(cfg_read(qt, PM, 0x80, 1), 0x00, "PMREGMISC at reset")
        cfg_write(qt, PM, 0x40, PMBASE | 0x3f)
        check_eq(cfg_read(qt, PM, 0x40), PMBASE | 1, "PMBA: 64-byte aligned, bit 0 fixed")
        check_eq(qt.inw(PM1_CNT), 0xffff, "block not decoded before PMIOSE")
        cfg_write(qt, PM, 0x80, 1, 1)
        check_eq(qt.inw(PM1_CNT), 0x0000, "PM1_CNT decoded")
        cfg_write(qt, PM, 0x40, 0xb001)
        check_eq(qt.inw(PM1_CNT), 0xffff, "moved away")
        check_eq(qt.inw(0xb004), 0x0000, "at the new base")


def test_pm_timer_rate():
    with QTest() as qt:
        enable_pm(qt)
        t0 = qt.clock_step(0)
        check_eq(qt.inl(PM_TMR), ticks(t0) & 0xffffff, "PM_TMR at start")
        now = qt.clock_step(NS)
        check_eq(qt.inl(PM_TMR), ticks(now) & 0xffffff, "after one second")
        check_eq((ticks(now) - ticks(t0)), HZ, "3579545 ticks per second")
        now = qt.clock_step(12345)
        check_eq(qt.inl(PM_TMR), ticks(now) & 0xffffff, "after 12345 ns more")
        # Past 2^24 ticks the 24-bit counter wraps.
        target = ns_of_ticks(1 << 24) + 1000
        now = qt.clock_step(target - now)
        check_eq(qt.inl(PM_TMR), ticks(now) & 0xffffff, "after wrapping")
        check(qt.inl(PM_TMR) < 0x10000, "wrapped value is small")
        check_eq(qt.inb(PM_TMR + 3), 0, "top byte of a 24-bit timer")


def test_tmr_sts_and_sci():
    with QTest() as qt:
        enable_pm(qt)
        qt.irq_intercept()
        qt.outw(PM1_EN, TMR_STS)
        qt.outb(0xb2, 0xf1)
        check_eq(qt.inw(PM1_CNT) & SCI_EN, SCI_EN, "SCI_EN from ACPI_ENABLE")
        toggle = ns_of_ticks(1 << 23)
        now = qt.clock_step(0)
        qt.clock_step(toggle - 1 - now)
        check_eq(qt.inw(PM1_STS) & TMR_STS, 0, "TMR_STS before bit 23 toggles")
        check_eq(qt.irq_get(SCI), 0, "SCI low before")
        qt.pop_irqs()
        qt.clock_step(1)
        check_eq(qt.inw(PM1_STS) & TMR_STS, TMR_STS, "TMR_STS when bit 23 toggles")
        check_eq(qt.irq_get(SCI), 1, "SCI raised")
        check(("raise", SCI) in qt.pop_irqs(), "IRQ 9 raise reported")
        qt.outw(PM1_STS, TMR_STS)  # write 1 to clear
        check_eq(qt.inw(PM1_STS) & TMR_STS, 0, "TMR_STS cleared")
        check_eq(qt.irq_get(SCI), 0, "SCI lowered")
        # The next toggle (bit 23 falling at 2^24) sets it again.
        qt.clock_step(ns_of_ticks(1 << 24) - toggle)
        check_eq(qt.irq_get(SCI), 1, "SCI at the next toggle")


def test_tmr_sts_without_tmr_en():
    with QTest() as qt:
        enable_pm(qt)
        qt.outb(0xb2, 0xf1)
        qt.irq_intercept()
        toggle = ns_of_ticks(1 << 23)
        now = qt.clock_step(0)
        qt.clock_step(toggle - 1 - now)
        check_eq(qt.inw(PM1_STS) & TMR_STS, 0, "not yet")
        qt.clock_step(1)
        check_eq(qt.inw(PM1_STS) & TMR_STS, TMR_STS, "set at the toggle with TMR_EN clear")
        check_eq(qt.irq_get(SCI), 0, "no SCI without TMR_EN")
        qt.outw(PM1_STS, TMR_STS)
        check_eq(qt.inw(PM1_STS) & TMR_STS, 0, "cleared")
        qt.clock_step(ns_of_ticks(3 << 23) - toggle)
        check_eq(qt.inw(PM1_STS) & TMR_STS, TMR_STS, "set again after more toggles")
        qt.outw(PM1_STS, TMR_STS)
        qt.outw(PM1_EN, TMR_STS)
        check_eq(qt.irq_get(SCI), 0, "TMR_EN alone does not raise a cleared status")


def test_sci_en_gates_sci():
    with QTest() as qt:
        enable_pm(qt)
        qt.irq_intercept()
        qt.outw(PM1_EN, TMR_STS)
        qt.clock_step(ns_of_ticks(1 << 23))
        check_eq(qt.inw(PM1_STS) & TMR_STS, TMR_STS, "status set without SCI_EN")
        check_eq(qt.irq_get(SCI), 0, "no SCI while SCI_EN is clear")
        qt.outb(0xb2, 0xf1)
        check_eq(qt.irq_get(SCI), 1, "ACPI_ENABLE raises the pending SCI")
        qt.outb(0xb2, 0xf0)
        check_eq(qt.inw(PM1_CNT) & SCI_EN, 0, "ACPI_DISABLE clears SCI_EN")
        check_eq(qt.irq_get(SCI), 0, "SCI dropped")
        qt.outw(PM1_CNT, SCI_EN)
        check_eq(qt.irq_get(SCI), 1, "SCI_EN written directly")
        qt.outw(PM1_EN, 0)
        check_eq(qt.irq_get(SCI), 0, "TMR_EN cleared")
        check_eq(qt.inb(0xb2), 0xf0, "APMC reads the last command")
        qt.outb(0xb3, 0x5a)
        check_eq(qt.inb(0xb3), 0x5a, "APMS scratch")


def test_gpe0_block():
    with QTest() as qt:
        check_eq(qt.inl(GPE0), 0, "GPE0 STS/EN at reset")
        qt.outw(GPE0 + 2, 0xffff)
        check_eq(qt.inw(GPE0 + 2), 0xffff, "GPE0_EN writable")
        qt.outw(GPE0, 0xffff)
        check_eq(qt.inw(GPE0), 0, "GPE0_STS is write-1-to-clear (nothing set)")


def wait_for(fn, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


def test_power_button():
    qt, qmp = with_qmp()
    with qt:
        enable_pm(qt)
        qt.irq_intercept()
        qt.outb(0xb2, 0xf1)
        qmp.ok("system_powerdown")
        qmp.wait_event("POWERDOWN")
        wait_for(lambda: qt.inw(PM1_STS) & PWRBTN_STS, "PWRBTN_STS")
        check_eq(qt.irq_get(SCI), 0, "no SCI with PWRBTN_EN clear")
        qt.outw(PM1_EN, PWRBTN_STS)
        check_eq(qt.irq_get(SCI), 1, "SCI once PWRBTN_EN is set")
        qt.outw(PM1_STS, PWRBTN_STS)
        check_eq(qt.irq_get(SCI), 0, "cleared")
        qmp.ok("system_powerdown")
        wait_for(lambda: qt.irq_get(SCI), "SCI from a second press")
        check_eq(qt.inw(PM1_STS) & PWRBTN_STS, PWRBTN_STS, "PWRBTN_STS again")


def test_s5_soft_off():
    qt, qmp = with_qmp()
    with qt:
        enable_pm(qt)
        qt.outw(PM1_CNT, (1 << 10) | SLP_EN)  # SLP_TYP 1: not implemented, ignored
        check_eq(qt.inw(PM1_CNT) & SLP_EN, 0, "SLP_EN reads 0")
        check(qt.proc.poll() is None, "still running after SLP_TYP 1")
        qt.outw(PM1_CNT, SLP_EN | SCI_EN)  # SLP_TYP 0 = S5
        ev = qmp.wait_event("SHUTDOWN")
        check_eq(ev.get("data"), {"guest": True, "reason": "guest-shutdown"}, "SHUTDOWN data")
        check_eq(qt.wait_exit(), 0, "exit status")


if __name__ == "__main__":
    run_cases([
        ("acpi-pm/pmba-enable", test_pmba_enable),
        ("acpi-pm/timer-rate", test_pm_timer_rate),
        ("acpi-pm/tmr-sts-sci", test_tmr_sts_and_sci),
        ("acpi-pm/tmr-sts-without-tmr-en", test_tmr_sts_without_tmr_en),
        ("acpi-pm/sci-en-gates-sci", test_sci_en_gates_sci),
        ("acpi-pm/gpe0-block", test_gpe0_block),
        ("acpi-pm/power-button", test_power_button),
        ("acpi-pm/s5-soft-off", test_s5_soft_off),
    ])
