#!/usr/bin/env python3
"""PIIX3 at register level: PIRQ route control registers and the reset
control register at 0xCF9 (a QMP socket sees the RESET event).

No device raises INTx yet (pci-testdev has no interrupt pin), so routing of
a live INTx level is not exercised here; the registers are."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402
from pcilib import HOST, ISA, cfg_read, cfg_write, with_qmp  # noqa: E402


def test_pirq_registers():
    with QTest() as qt:
        check_eq(cfg_read(qt, ISA, 0x60), 0x80808080, "PIRQRC A-D at reset: disabled")
        cfg_write(qt, ISA, 0x60, 0x0b0a0b0a)
        check_eq(cfg_read(qt, ISA, 0x60), 0x0b0a0b0a, "routed to 10/11")
        cfg_write(qt, ISA, 0x62, 0xff, 1)
        check_eq(cfg_read(qt, ISA, 0x62, 1), 0x8f, "reserved bits 6:4 read 0")
        check_eq(cfg_read(qt, ISA, 0x61, 1), 0x0b, "neighbour untouched")


def test_reset_control_register():
    qt, qmp = with_qmp()
    with qt:
        check_eq(qt.inb(0xcf9), 0x00, "RC at reset")
        qt.outb(0xcf9, 0x02)  # SRST alone: no reset yet
        check_eq(qt.inb(0xcf9), 0x02, "SRST reads back")
        check_eq(qt.inw(0xcf8), 0x02ff, "word read of 0xcf8: 0xcf9 is RC, 0xcf8 floats")
        cfg_write(qt, ISA, 0x60, 0x0a, 1)
        cfg_write(qt, HOST, 0x59, 0x30, 1)
        check(not [e for e in qmp.events if e["event"] == "RESET"], "no reset yet")
        qt.outb(0xcf9, 0x06)  # RCPU 0->1 with SRST: hard reset
        ev = qmp.wait_event("RESET")
        check_eq(ev.get("data"), {"guest": True, "reason": "guest-reset"}, "RESET data")
        check_eq(cfg_read(qt, ISA, 0x60, 1), 0x80, "PIRQRCA back to reset value")
        check_eq(cfg_read(qt, HOST, 0x59, 1), 0x00, "PAM0 back to reset value")
        check_eq(qt.inb(0xcf9), 0x00, "RC after reset")
        # A word write through 0xcf8 reaches 0xcf9 too.
        qt.outw(0xcf8, 0x0600)
        qmp.wait_event("RESET")
        check_eq(qt.inl(0xcf8), 0x00000000, "CONFADD untouched by the word write")


def test_no_reboot_exits():
    qt, qmp = with_qmp(["-no-reboot"])
    with qt:
        qt.outb(0xcf9, 0x0e)
        ev = qmp.wait_event("SHUTDOWN")
        check_eq(ev.get("data"), {"guest": True, "reason": "guest-reset"}, "SHUTDOWN data")
        check_eq(qt.wait_exit(), 0, "exit status")


if __name__ == "__main__":
    run_cases([
        ("piix/pirq-registers", test_pirq_registers),
        ("piix/reset-control-0xcf9", test_reset_control_register),
        ("piix/no-reboot", test_no_reboot_exits),
    ])
