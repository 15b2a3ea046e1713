#!/usr/bin/env python3
"""isa-debug-exit: a guest write of V ends the emulator with status (V << 1) | 1."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, QTestError, check, check_eq, run_cases  # noqa: E402


def exit_status(args, command):
    with QTest(args) as qt:
        check_eq(qt.raw(command), "OK", "reply to %r" % command)
        return qt.wait_exit()


def still_alive(qt, what):
    check_eq(qt.raw("endianness"), "OK little", "emulator still running after " + what)
    check(qt.proc.poll() is None, "emulator exited after " + what)


def test_outb_values():
    for v in (0x00, 0x01, 0x2a, 0x7f):
        rc = exit_status(["-device", "isa-debug-exit"], "outb 0x501 0x%x" % v)
        check_eq(rc, (v << 1) | 1, "exit status for outb 0x%x" % v)


def test_outw_value():
    # The 16-bit value is used; the process status keeps its low 8 bits.
    rc = exit_status(["-device", "isa-debug-exit"], "outw 0x501 0x0102")
    check_eq(rc, ((0x0102 << 1) | 1) & 0xff, "exit status for outw 0x0102")


def test_second_byte_of_port():
    rc = exit_status(["-device", "isa-debug-exit"], "outb 0x502 0x10")
    check_eq(rc, 0x21, "exit status for a write to iobase+1")


def test_iobase_iosize():
    args = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    with QTest(args) as qt:
        qt.outb(0x501, 0x05)
        still_alive(qt, "a write to the default port")
        qt.outb(0xf8, 0x05)
        still_alive(qt, "a write just past the 4-byte window")
        qt.outb(0xf3, 0x05)
        still_alive(qt, "a write just before the window")
        check_eq(qt.inb(0xf4), 0xff, "reads float high")
        still_alive(qt, "a read")
        check_eq(qt.raw("outl 0xf4 0x12345678"), "OK", "outl reply")
        check_eq(qt.wait_exit(), ((0x12345678 << 1) | 1) & 0xff, "exit status for outl")
    rc = exit_status(args, "outb 0xf7 0x33")
    check_eq(rc, 0x67, "exit status for the window's last byte")


def test_absent_without_device():
    with QTest() as qt:
        qt.outb(0x501, 0x01)
        still_alive(qt, "a write to 0x501 with no isa-debug-exit")


def test_bad_iosize():
    qt = QTest(["-device", "isa-debug-exit,iosize=0"])
    with qt:
        try:
            reply = qt.raw("endianness")
        except QTestError:
            reply = None
        check(reply is None, "iosize=0 accepted (reply %r)" % reply)
        check_eq(qt.wait_exit(), 1, "exit status for a bad property")
        check("iosize" in qt.stderr_text(), "error names iosize: %r" % qt.stderr_text())


if __name__ == "__main__":
    run_cases([
        ("debugexit/outb-values", test_outb_values),
        ("debugexit/outw-value", test_outw_value),
        ("debugexit/second-byte", test_second_byte_of_port),
        ("debugexit/iobase-iosize", test_iobase_iosize),
        ("debugexit/absent-without-device", test_absent_without_device),
        ("debugexit/bad-iosize", test_bad_iosize),
    ])
