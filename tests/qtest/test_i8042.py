#!/usr/bin/env python3
"""i8042 keyboard controller with PS/2 keyboard and mouse, and port 0x92, at
register level over qtest: controller commands, device commands through the
one-byte output buffer, IRQ 1 / IRQ 12, XLAT, the output port's A20 bit, and
the guest resets (observed as QMP RESET events).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (QTest, QTestError, check, check_eq, connect_unix,  # noqa: E402
                   run_cases, unix_socket_path)
from test_qmp import Qmp  # noqa: E402

DATA, CMD = 0x60, 0x64
ST_OBF, ST_SYS, ST_CMD, ST_UNLOCKED, ST_AUXB = 0x01, 0x04, 0x08, 0x10, 0x20
CB_KBD_INT, CB_AUX_INT, CB_SYS, CB_DIS_KBD, CB_DIS_AUX, CB_XLAT = 1, 2, 4, 0x10, 0x20, 0x40


def status(qt):
    return qt.inb(CMD)


def read_out(qt, aux=None):
    """One byte from the output buffer, which must be full (of mouse data if aux)."""
    st = status(qt)
    check(st & ST_OBF, "output buffer empty (status 0x%02x)" % st)
    if aux is not None:
        check_eq(bool(st & ST_AUXB), aux, "AUXB for this byte")
    return qt.inb(DATA)


def read_all(qt, aux=None):
    out = []
    while status(qt) & ST_OBF and len(out) < 64:
        out.append(read_out(qt, aux))
    return out


def ctrl(qt, cmd, data=None):
    qt.outb(CMD, cmd)
    if data is not None:
        qt.outb(DATA, data)


def kbd(qt, *bytes_):
    out = []
    for b in bytes_:
        qt.outb(DATA, b)
        out += read_all(qt, aux=False)
    return out


def mouse(qt, *bytes_):
    out = []
    for b in bytes_:
        ctrl(qt, 0xd4, b)
        out += read_all(qt, aux=True)
    return out


def set_cmd_byte(qt, val):
    ctrl(qt, 0x60, val)


def get_cmd_byte(qt):
    ctrl(qt, 0x20)
    return read_out(qt)


def test_self_test_and_status():
    with QTest() as qt:
        check_eq(status(qt) & ~ST_CMD, ST_UNLOCKED, "power-on status")
        ctrl(qt, 0xaa)
        check_eq(status(qt), ST_UNLOCKED | ST_CMD | ST_SYS | ST_OBF, "after self-test")
        check_eq(qt.inb(DATA), 0x55, "self-test passed")
        check_eq(status(qt) & ST_OBF, 0, "buffer emptied by the read")
        ctrl(qt, 0xab)
        check_eq(read_out(qt), 0x00, "keyboard interface test")
        ctrl(qt, 0xa9)
        check_eq(read_out(qt), 0x00, "aux interface test")
        ctrl(qt, 0xc0)
        check(read_out(qt) & 0x80, "input port: keyboard not inhibited")
        qt.outb(DATA, 0xee)
        check_eq(status(qt) & ST_CMD, 0, "A2 clear after a data write")


def test_command_byte():
    with QTest() as qt:
        check_eq(get_cmd_byte(qt), CB_KBD_INT | CB_AUX_INT, "power-on command byte")
        set_cmd_byte(qt, 0x47)
        check_eq(get_cmd_byte(qt), 0x47, "written back")
        check(status(qt) & ST_SYS, "SYS follows the command byte")
        ctrl(qt, 0xad)
        ctrl(qt, 0xa7)
        check_eq(get_cmd_byte(qt), 0x47 | CB_DIS_KBD | CB_DIS_AUX, "0xAD/0xA7 disable")
        ctrl(qt, 0xae)
        ctrl(qt, 0xa8)
        check_eq(get_cmd_byte(qt), 0x47, "0xAE/0xA8 enable")
        # Controller RAM beyond the command byte.
        ctrl(qt, 0x65, 0x5a)
        ctrl(qt, 0x25)
        check_eq(read_out(qt), 0x5a, "controller RAM byte 5")


def test_keyboard_commands():
    with QTest() as qt:
        set_cmd_byte(qt, 0)
        check_eq(kbd(qt, 0xff), [0xfa, 0xaa], "reset: ACK, BAT passed")
        check_eq(kbd(qt, 0xf2), [0xfa, 0xab, 0x83], "identify")
        check_eq(kbd(qt, 0xee), [0xee], "echo")
        check_eq(kbd(qt, 0xf0, 0x00), [0xfa, 0xfa, 0x02], "scan code set 2 by default")
        check_eq(kbd(qt, 0xf0, 0x01), [0xfa, 0xfa], "select set 1")
        check_eq(kbd(qt, 0xf0, 0x00), [0xfa, 0xfa, 0x01], "set 1 now")
        check_eq(kbd(qt, 0xf0, 0x03), [0xfa, 0xfa], "set 3 is acknowledged")
        check_eq(kbd(qt, 0xed, 0x07), [0xfa, 0xfa], "LEDs")
        check_eq(kbd(qt, 0xf3, 0x20), [0xfa, 0xfa], "typematic")
        check_eq(kbd(qt, 0xf5, 0xf4, 0xf6), [0xfa, 0xfa, 0xfa], "disable, enable, defaults")
        check_eq(kbd(qt, 0xf0, 0x00), [0xfa, 0xfa, 0x02], "defaults restore set 2")
        check_eq(kbd(qt, 0xfe), [0x02], "resend repeats the last byte")
        check_eq(kbd(qt, 0xe0), [0xfe], "unknown command -> resend")


def test_keyboard_irq1():
    with QTest() as qt:
        qt.irq_intercept()
        set_cmd_byte(qt, 0)
        qt.outb(DATA, 0xee)
        check_eq(qt.irq_get(1), 0, "no IRQ 1 with the interrupt disabled")
        check_eq(qt.inb(DATA), 0xee, "echo")
        set_cmd_byte(qt, CB_KBD_INT)
        qt.pop_irqs()
        qt.outb(DATA, 0xf2)
        check_eq(qt.irq_get(1), 1, "IRQ 1 with a response waiting")
        check_eq(qt.inb(DATA), 0xfa, "ACK")
        # The next byte loads at once and the line stays (or goes) high again.
        check_eq(qt.irq_get(1), 1, "IRQ 1 for the next byte")
        check_eq(qt.inb(DATA), 0xab, "identify 1")
        check_eq(qt.inb(DATA), 0x83, "identify 2")
        check_eq(qt.irq_get(1), 0, "IRQ 1 low with the buffer empty")
        check_eq(qt.irq_get(12), 0, "IRQ 12 never moved")
        events = qt.pop_irqs()
        check(("raise", 1) in events and ("lower", 1) in events, "edges: %r" % events)


def test_keyboard_irq1_edge_per_byte():
    """Every byte raises IRQ 1 anew: reading one drops the line before the next byte
    raises it, so an edge-triggered IOAPIC input delivers each (Linux atkbd's GETID)."""
    with QTest() as qt:
        qt.irq_intercept()
        set_cmd_byte(qt, CB_KBD_INT)
        qt.pop_irqs()
        qt.outb(DATA, 0xf2)
        check_eq(qt.pop_irqs(), [("raise", 1)], "the ACK raises IRQ 1")
        for want in (0xfa, 0xab):
            check_eq(qt.inb(DATA), want, "byte 0x%02x" % want)
            check_eq(qt.pop_irqs(), [("lower", 1), ("raise", 1)],
                     "reading 0x%02x pulses IRQ 1 for the next byte" % want)
        check_eq(qt.inb(DATA), 0x83, "identify 2")
        check_eq(qt.pop_irqs(), [("lower", 1)], "the last read leaves IRQ 1 low")


def test_mouse_commands_and_irq12():
    with QTest() as qt:
        qt.irq_intercept()
        set_cmd_byte(qt, CB_AUX_INT)
        ctrl(qt, 0xd4, 0xf2)
        check_eq(status(qt) & (ST_OBF | ST_AUXB), ST_OBF | ST_AUXB, "mouse data flagged")
        check_eq(qt.irq_get(12), 1, "IRQ 12")
        check_eq(qt.irq_get(1), 0, "not IRQ 1")
        check_eq(read_all(qt, aux=True), [0xfa, 0x00], "standard mouse ID 0")
        check_eq(qt.irq_get(12), 0, "IRQ 12 dropped")
        check_eq(mouse(qt, 0xff), [0xfa, 0xaa, 0x00], "reset")
        check_eq(mouse(qt, 0xe9), [0xfa, 0x00, 0x02, 100], "status: stream, off, 4/mm, 100/s")
        check_eq(mouse(qt, 0xe8, 0x03, 0xe7, 0xf4, 0xf0), [0xfa] * 5, "res, 2:1, on, remote")
        check_eq(mouse(qt, 0xe9), [0xfa, 0x70, 0x03, 100], "status after")
        check_eq(mouse(qt, 0xeb), [0xfa, 0x08, 0x00, 0x00], "read data: empty packet")
        check_eq(mouse(qt, 0xe6, 0xea, 0xf5, 0xf6), [0xfa] * 4, "1:1, stream, off, defaults")
        check_eq(mouse(qt, 0xe9), [0xfa, 0x00, 0x02, 100], "defaults")
        # The IntelliMouse knock: sample rates 200, 100, 80.
        check_eq(mouse(qt, 0xf3, 200, 0xf3, 100, 0xf3, 80), [0xfa] * 6, "knock")
        check_eq(mouse(qt, 0xf2), [0xfa, 0x03], "wheel mouse ID 3")
        check_eq(mouse(qt, 0xeb), [0xfa, 0x08, 0x00, 0x00, 0x00], "4-byte packets now")
        check_eq(mouse(qt, 0xee), [0xfa], "wrap mode")
        check_eq(mouse(qt, 0x12, 0xf2), [0x12, 0xf2], "wrap mode echoes")
        check_eq(mouse(qt, 0xec), [0xfa], "reset wrap mode")
        check_eq(mouse(qt, 0xfe), [0xfa], "resend")
        check_eq(mouse(qt, 0x01), [0xfe], "unknown command")


def test_output_order():
    with QTest() as qt:
        set_cmd_byte(qt, 0)
        ctrl(qt, 0xd4, 0xf2)   # mouse: FA 00, FA loads at once
        qt.outb(DATA, 0xee)    # keyboard: EE waits
        check_eq(read_out(qt, aux=True), 0xfa, "mouse ACK first (already loaded)")
        check_eq(read_out(qt, aux=False), 0xee, "keyboard before the mouse's next byte")
        check_eq(read_out(qt, aux=True), 0x00, "then the mouse")
        ctrl(qt, 0xd2, 0x9c)
        check_eq(read_out(qt, aux=False), 0x9c, "0xD2 writes the keyboard buffer")
        ctrl(qt, 0xd3, 0x5b)
        check_eq(read_out(qt, aux=True), 0x5b, "0xD3 writes the mouse buffer")
        # A disabled keyboard clock holds its bytes back.
        qt.outb(DATA, 0xee)
        ctrl(qt, 0xad)
        check_eq(read_out(qt), 0xee, "already in the buffer")
        qt.outb(DATA, 0xf2)  # writing to the keyboard enables it again
        check_eq(read_all(qt), [0xfa, 0xab, 0x83], "after re-enable")


def test_xlat():
    with QTest() as qt:
        set_cmd_byte(qt, CB_XLAT)
        check_eq(kbd(qt, 0xf2), [0xfa, 0xab, 0x41], "identify translated (83 -> 41)")
        check_eq(kbd(qt, 0xf0, 0x00), [0xfa, 0xfa, 0x41], "set 2 reported as 41")
        check_eq(kbd(qt, 0xff), [0xfa, 0xaa], "ACK and BAT are not translated")
        set_cmd_byte(qt, 0)
        check_eq(kbd(qt, 0xf2), [0xfa, 0xab, 0x83], "untranslated again")


def test_output_port_a20():
    with QTest() as qt:
        check_eq(qt.irq_get(0, "a20"), 1, "A20 line open at power-on")
        ctrl(qt, 0xd0)
        check_eq(read_out(qt) & 0x03, 0x03, "reset inactive, A20 on")
        ctrl(qt, 0xd1, 0xdd)
        ctrl(qt, 0xd0)
        check_eq(read_out(qt) & 0x03, 0x01, "A20 off")
        check_eq(qt.irq_get(0, "a20"), 0, "A20 line closed")
        ctrl(qt, 0xd1, 0xdf)
        ctrl(qt, 0xd0)
        check_eq(read_out(qt) & 0x03, 0x03, "A20 on again")
        check_eq(qt.irq_get(0, "a20"), 1, "A20 line open again")
        qt.outb(DATA, 0xee)
        ctrl(qt, 0xd0)  # read while the keyboard's byte fills the buffer
        check_eq(read_out(qt), 0xee, "the keyboard byte first")
        check_eq(read_out(qt) & 0x30, 0x10, "output port bit 4: keyboard OBF")


def test_port92_a20():
    with QTest() as qt:
        check_eq(qt.inb(0x92), 0x02, "power-on: A20 on, no reset")
        qt.outb(0x92, 0x00)
        check_eq(qt.inb(0x92), 0x00, "A20 off")
        check_eq(qt.irq_get(0, "a20"), 0, "A20 line closed by port 0x92")
        qt.outb(0x92, 0x02)
        check_eq(qt.inb(0x92), 0x02, "A20 on")
        check_eq(qt.irq_get(0, "a20"), 1, "A20 line open")


class QmpQTest:
    """A qtest machine with a QMP socket, to watch for RESET events."""

    def __init__(self):
        path = unix_socket_path("qmp")
        self.qt = QTest(["-qmp", "unix:%s,server=on,wait=off" % path])
        self.qt.cmd("endianness")
        self.qmp = Qmp(connect_unix(path))
        self.qmp.negotiate()

    def expect_reset(self, what):
        ev = self.qmp.wait_event("RESET", timeout=5)
        check_eq(ev.get("data"), {"guest": True, "reason": "guest-reset"}, what)

    def expect_no_reset(self, what):
        self.qt.cmd("endianness")
        try:
            self.qmp.wait_event("RESET", timeout=0.3)
        except QTestError:
            return
        raise AssertionError(what)

    def close(self):
        self.qmp.close()
        self.qt.close()


def test_reset_via_i8042():
    vm = QmpQTest()
    try:
        vm.qt.outb(CMD, 0xfe)
        vm.expect_reset("RESET after 0xFE")
        vm.qt.outb(CMD, 0xff)  # pulses no line
        vm.expect_no_reset("0xFF must not reset")
        # A reset restores power-on state: the command byte is back.
        check_eq(get_cmd_byte(vm.qt), CB_KBD_INT | CB_AUX_INT, "command byte after reset")
        ctrl(vm.qt, 0xd1, 0xde)  # output port bit 0 low
        vm.expect_reset("RESET after output port bit 0 = 0")
    finally:
        vm.close()


def test_reset_via_port92():
    vm = QmpQTest()
    try:
        vm.qt.outb(0x92, 0x02)
        vm.expect_no_reset("writing A20 alone must not reset")
        vm.qt.outb(0x92, 0x01)  # fast reset with A20 closed
        vm.expect_reset("RESET after port 0x92 bit 0 0->1")
        check_eq(vm.qt.inb(0x92), 0x02, "reset bit clear, A20 open after the reset")
        check_eq(vm.qt.irq_get(0, "a20"), 1, "A20 line open after the reset")
    finally:
        vm.close()


if __name__ == "__main__":
    run_cases([(name, fn) for name, fn in sorted(globals().items())
               if name.startswith("test_") and callable(fn)])
