#!/usr/bin/env python3
"""The qtest protocol itself: replies, number and range checks, clock, IRQ queries, logging."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (QTest, check, check_eq, connect_unix, recv_exactly, run_cases,  # noqa: E402
                   temp_path, unix_socket_path)


def expect_fail(qt, line):
    reply = qt.raw(line)
    check(reply.startswith("FAIL "), "%r should fail, got %r" % (line, reply))


def test_basic_replies():
    with QTest() as qt:
        check_eq(qt.raw("endianness"), "OK little", "endianness")
        check_eq(qt.raw("  endianness\t"), "OK little", "extra blanks")
        check_eq(qt.raw("endianness\r"), "OK little", "CRLF line end")
        # A blank line gets no reply: the next reply belongs to the next command.
        check_eq(qt.raw("\nendianness"), "OK little", "blank line ignored")
        check_eq(qt.inb(0x9999), 0xff, "unassigned port reads all ones")
        check_eq(qt.inw(0x9999), 0xffff, "unassigned port, 16 bits")
        check_eq(qt.inl(0x9998), 0xffffffff, "unassigned port, 32 bits")
        qt.outb(0x9999, 0x12)
        qt.outl(0xfffc, 0xffffffff)


def test_malformed():
    with QTest() as qt:
        for line in ("bogus", "outb", "outb 0x80", "outb 0x80 1 2", "outb 0x10000 1",
                     "outb 0x80 0x100", "outw 0x80 0x10000", "outl 0x80 0x100000000",
                     "outw 0xffff 0", "outl 0xfffd 0", "inb -1", "inb 0x", "inb 12abc",
                     "inb 99999999999999999999999", "inq 0x80", "outq 0x80 0",
                     "readb", "readq 0xfffffffffffffff9", "writew 0 0x10000",
                     "read 0", "read 0 0x40000000", "read 0xffffffffffffffff 2",
                     "write 0 2 0x010203", "write 0 2 0xzz", "write 0 2 0x1", "write 0 2 12",
                     "memset 0 16 0x100", "clock_step -5", "clock_step x", "clock_set",
                     "irq_get 16", "irq_get", "irq_intercept_in", "irq_intercept_in pic",
                     "endianness big", "a b c d e f g h i j"):
            expect_fail(qt, line)
        # A NUL byte or an overlong line is refused as a whole, and the stream goes on.
        expect_fail(qt, "endian\0ness")
        expect_fail(qt, "a" * (2 << 20))
        check_eq(qt.raw("endianness"), "OK little", "still serving after bad input")


def test_memory():
    with QTest(["-m", "64"]) as qt:
        qt.writel(0x1000, 0xdeadbeef)
        check_eq(qt.readl(0x1000), 0xdeadbeef, "readl")
        check_eq(qt.readb(0x1000), 0xef, "readb (little-endian)")
        check_eq(qt.readw(0x1002), 0xdead, "readw")
        qt.writeq(0x1008, 0x0123456789abcdef)
        check_eq(qt.readq(0x1008), 0x0123456789abcdef, "readq")
        check_eq(qt.readq(0x1004), 0x89abcdef00000000, "readq across the two")
        qt.writeb(0x1001, 0x00)
        qt.writew(0x1002, 0x1122)
        check_eq(qt.readl(0x1000), 0x112200ef, "narrow writes")
        check_eq(qt.raw("readb 0x1000"), "OK 0x00000000000000ef", "QEMU reply format")
        qt.memwrite(0x2000, b"\x01\x02\x03\x04\xfe")
        check_eq(qt.memread(0x2000, 5), b"\x01\x02\x03\x04\xfe", "write/read")
        check_eq(qt.raw("read 0x2000 3"), "OK 0x010203", "read reply format")
        check_eq(qt.raw("write 0x2000 4 0xAABB"), "OK", "short data")
        check_eq(qt.memread(0x2000, 5), b"\xaa\xbb\x00\x00\xfe", "short data is zero-filled")
        check_eq(qt.raw("memset 0x3000 0x20 0x5a"), "OK", "memset")
        check_eq(qt.memread(0x2ffe, 0x24), b"\x00\x00" + b"\x5a" * 0x20 + b"\x00\x00",
                 "memset range")
        check_eq(qt.raw("read 0x3000 0"), "OK 0x", "empty read")
        big = bytes(range(256)) * 1024
        qt.memwrite(0x10000, big)
        check_eq(qt.memread(0x10000, len(big)), big, "256 KiB round trip")


def test_clock():
    with QTest() as qt:
        t0 = qt.clock_step(0)
        check_eq(qt.clock_step(1000), t0 + 1000, "clock_step 1000")
        check_eq(qt.clock_set(t0 + 5000), t0 + 5000, "clock_set")
        expect_fail(qt, "clock_set %d" % t0)
        expect_fail(qt, "clock_step 0x7fffffffffffffff")
        check_eq(qt.clock_step(0), t0 + 5000, "clock stands still without steps")


def test_irq_queries():
    with QTest() as qt:
        for n in range(16):
            check_eq(qt.irq_get(n), 0, "ISA IRQ %d idle" % n)
        qt.irq_intercept()
        qt.irq_intercept()  # a second time is harmless
        qt.cmd("irq_intercept_out isa")
        check_eq(qt.pop_irqs(), [], "no events without changes")


def test_log():
    path = temp_path("qtest.log")
    with QTest(["-qtest-log", path]) as qt:
        qt.outb(0x9999, 1)
        qt.raw("bogus")
    with open(path) as f:
        log = f.read()
    check("outb 0x9999 0x1" in log, "command logged: %r" % log)
    check("FAIL unknown command 'bogus'" in log, "reply logged: %r" % log)
    check("[R " in log and "[S " in log, "directions marked: %r" % log)


def test_hangup_exits():
    # Over a socket: the driver closing its connection ends the emulator.
    path = unix_socket_path("qtest")
    qt = QTest(base_args=["-accel", "qtest", "-qtest", "unix:%s,server=on,wait=off" % path,
                          "-nodefaults", "-display", "none"])
    with qt:
        sock = connect_unix(path)
        sock.sendall(b"endianness\n")
        check_eq(recv_exactly(sock, 10), b"OK little\n", "reply over the socket")
        sock.close()
        check_eq(qt.wait_exit(5), 0, "exit status when the driver hangs up")


if __name__ == "__main__":
    run_cases([
        ("qtest/basic-replies", test_basic_replies),
        ("qtest/malformed", test_malformed),
        ("qtest/memory", test_memory),
        ("qtest/clock", test_clock),
        ("qtest/irq-queries", test_irq_queries),
        ("qtest/log", test_log),
        ("qtest/hangup-exits", test_hangup_exits),
    ])
