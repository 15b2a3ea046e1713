#!/usr/bin/env python3
"""isa-serial (16550A) at register level, driven over qtest.

COM1's chardev is a unix socket the test connects to, so the test sees every
transmitted byte and injects received ones.  Loopback mode gives exact FIFO
fill levels where timing through the socket would not.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (QTest, check, check_eq, connect_unix, recv_exactly,  # noqa: E402
                   recv_nothing, run_cases, unix_socket_path)

COM1, COM2, COM3, COM4 = 0x3f8, 0x2f8, 0x3e8, 0x2e8
RBR = THR = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR, MCR, LSR, MSR, SCR = 3, 4, 5, 6, 7

IIR_NONE, IIR_MSI, IIR_THRI, IIR_RDI, IIR_RLSI, IIR_CTI = 0x01, 0x00, 0x02, 0x04, 0x06, 0x0c
FIFO_BITS = 0xc0
LSR_DR, LSR_OE, LSR_BI, LSR_THRE, LSR_TEMT = 0x01, 0x02, 0x10, 0x20, 0x40
MCR_OUT2, MCR_LOOP = 0x08, 0x10


class Uart:
    def __init__(self, qt, base=COM1):
        self.qt, self.base = qt, base

    def r(self, reg):
        return self.qt.inb(self.base + reg)

    def w(self, reg, val):
        self.qt.outb(self.base + reg, val)

    def read_bytes(self, n):
        return bytes(self.r(RBR) for _ in range(n))


def wait_for(fn, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.005)


def settle(u):
    """Give bytes already sent on the socket time to land in the FIFO."""
    time.sleep(0.1)
    u.r(SCR)


def start(connect=True, extra=()):
    path = unix_socket_path("com1")
    qt = QTest(["-serial", "unix:%s,server=on,wait=off" % path] + list(extra))
    qt.cmd("endianness")  # the machine is built, so the socket is listening
    u = Uart(qt)
    if not connect:
        return qt, None, u
    sock = connect_unix(path)
    # The backend has accepted once a byte from us shows up in the receiver.
    sock.sendall(b"!")
    wait_for(lambda: u.r(LSR) & LSR_DR, "the first byte through the socket")
    check_eq(u.r(RBR), ord("!"), "sync byte")
    return qt, sock, u


def test_reset_values():
    qt, _, u = start(connect=False)
    with qt:
        check_eq(u.r(IER), 0x00, "IER")
        check_eq(u.r(IIR), 0x01, "IIR")
        check_eq(u.r(LCR), 0x00, "LCR")
        check_eq(u.r(MCR), 0x00, "MCR")
        check_eq(u.r(LSR), 0x60, "LSR (THRE|TEMT)")
        # Modem inputs of a host line read as a connected peer; no delta bits.
        check_eq(u.r(MSR), 0xb0, "MSR (DCD|DSR|CTS)")
        u.w(LCR, 0x80)
        check_eq(u.r(DLL) | u.r(DLM) << 8, 12, "power-on divisor (9600 baud)")
        u.w(LCR, 0x00)
        for v in (0x5a, 0xa5):
            u.w(SCR, v)
            check_eq(u.r(SCR), v, "SCR")
        check_eq(qt.irq_get(4), 0, "IRQ 4 at reset")


def test_divisor_latch():
    qt, sock, u = start()
    with qt:
        u.w(IER, 0x05)
        u.w(LCR, 0x83)
        check_eq(u.r(LCR), 0x83, "LCR with DLAB")
        u.w(DLL, 0x34)
        u.w(DLM, 0x12)
        check_eq(u.r(DLL), 0x34, "DLL")
        check_eq(u.r(DLM), 0x12, "DLM")
        check_eq(recv_nothing(sock), b"", "DLL write must not transmit")
        # A received byte stays hidden behind DLL while DLAB is set.
        sock.sendall(b"R")
        wait_for(lambda: u.r(LSR) & LSR_DR, "received byte")
        check_eq(u.r(0), 0x34, "offset 0 with DLAB reads DLL, not RBR")
        check(u.r(LSR) & LSR_DR, "DLL read must not consume the received byte")
        u.w(LCR, 0x03)
        check_eq(u.r(IER), 0x05, "IER kept while DLAB hid it")
        check_eq(u.r(RBR), ord("R"), "RBR after DLAB cleared")
        u.w(THR, ord("X"))
        check_eq(recv_exactly(sock, 1), b"X", "THR after DLAB cleared")
        u.w(LCR, 0x83)
        check_eq(u.r(DLL) | u.r(DLM) << 8, 0x1234, "divisor kept")
        u.w(DLL, 0x01)
        u.w(DLM, 0x00)
        check_eq(u.r(DLL) | u.r(DLM) << 8, 1, "divisor 1 (115200 baud)")


def test_transmit():
    qt, sock, u = start()
    with qt:
        u.w(LCR, 0x03)
        msg = b"Hello, UART!\r\n\x00\xff"
        for b in msg:
            u.w(THR, b)
            check_eq(u.r(LSR) & 0x60, 0x60, "THRE|TEMT after a write")
        check_eq(recv_exactly(sock, len(msg)), msg, "bytes at the socket")


def test_rx_trigger_levels():
    qt, _, u = start(connect=False)
    with qt:
        u.w(MCR, MCR_LOOP)
        u.w(IER, 0x01)
        for bits, level in ((0x00, 1), (0x40, 4), (0x80, 8), (0xc0, 14)):
            u.w(FCR, 0x07 | bits)
            data = bytes(0x41 + i for i in range(level))
            for b in data[:-1]:
                u.w(THR, b)
            check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "IIR below trigger %d" % level)
            u.w(THR, data[-1])
            check_eq(u.r(IIR), FIFO_BITS | IIR_RDI, "IIR at trigger %d" % level)
            check_eq(u.read_bytes(level), data, "FIFO contents at trigger %d" % level)
            check_eq(u.r(LSR) & LSR_DR, 0, "FIFO empty after reading")
            check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "IIR after draining")


def test_rx_fifo_from_chardev():
    qt, sock, u = start()
    with qt:
        u.w(LCR, 0x03)
        u.w(FCR, 0xc7)  # FIFO on, both reset, trigger 14
        u.w(IER, 0x01)
        u.w(MCR, MCR_OUT2)
        qt.irq_intercept()
        sock.sendall(b"abcdefghijklm")
        wait_for(lambda: u.r(LSR) & LSR_DR, "13 bytes")
        settle(u)
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "IIR with 13 bytes, trigger 14")
        check_eq(qt.irq_get(4), 0, "IRQ 4 below the trigger")
        check_eq(qt.pop_irqs(), [], "IRQ events below the trigger")
        sock.sendall(b"n")
        wait_for(lambda: u.r(IIR) == FIFO_BITS | IIR_RDI, "data-available at 14 bytes")
        check_eq(qt.irq_get(4), 1, "IRQ 4 at the trigger")
        check_eq(qt.pop_irqs(), [("raise", 4)], "IRQ events at the trigger")
        check_eq(u.r(RBR), ord("a"), "first byte")
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "IIR back below the trigger")
        check_eq(qt.pop_irqs(), [("lower", 4)], "IRQ events below the trigger again")
        check_eq(u.read_bytes(13), b"bcdefghijklmn", "the rest, in order")
        check_eq(u.r(LSR), 0x60, "LSR with the FIFO empty")


def test_char_timeout():
    qt, sock, u = start()
    with qt:
        u.w(LCR, 0x83)
        u.w(DLL, 12)
        u.w(DLM, 0)
        u.w(LCR, 0x03)  # 8N1: 10 bits a character, 9600 baud
        u.w(FCR, 0x87)  # trigger 8
        u.w(IER, 0x01)
        u.w(MCR, MCR_OUT2)
        qt.irq_intercept()
        four_chars = 4 * 10 * 12 * 10**9 // 115200  # 4166666 ns
        sock.sendall(b"xyz")
        wait_for(lambda: u.r(LSR) & LSR_DR, "3 bytes")
        settle(u)
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "IIR right after 3 bytes")
        qt.clock_step(four_chars - 100000)
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "IIR before 4 character times")
        check_eq(qt.irq_get(4), 0, "IRQ 4 before the timeout")
        qt.clock_step(200000)
        check_eq(u.r(IIR), FIFO_BITS | IIR_CTI, "IIR after 4 character times")
        check_eq(qt.irq_get(4), 1, "IRQ 4 on timeout")
        check_eq(qt.pop_irqs(), [("raise", 4)], "IRQ events on timeout")
        check_eq(u.r(RBR), ord("x"), "first byte")
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "a read clears the timeout")
        check_eq(qt.pop_irqs(), [("lower", 4)], "IRQ events after the read")
        qt.clock_step(four_chars - 100000)
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "the read restarted the timer")
        qt.clock_step(200000)
        check_eq(u.r(IIR), FIFO_BITS | IIR_CTI, "timeout again for the 2 bytes left")
        check_eq(u.read_bytes(2), b"yz", "the rest")
        qt.clock_step(10 * four_chars)
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "no timeout with the FIFO empty")

        # The timeout follows the programmed baud rate: 115200 baud, 7E2 = 11 bits.
        u.w(MCR, MCR_LOOP)
        u.w(LCR, 0x80 | 0x1e)
        u.w(DLL, 1)
        u.w(LCR, 0x1e)
        four_chars = 4 * 11 * 10**9 // 115200  # 381944 ns
        u.w(THR, 0x55)
        start_ns = qt.clock_step(0)
        qt.clock_step(four_chars - 20000)
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "before 4 character times at 115200")
        # clock_step without an argument runs to the next timer deadline.
        now = start_ns
        while u.r(IIR) != FIFO_BITS | IIR_CTI:
            now = qt.clock_step()
            check(now - start_ns <= four_chars + 1000, "no timeout by %d ns" % (now - start_ns))
        check(now - start_ns >= four_chars - 1000, "timeout early at %d ns" % (now - start_ns))
        check_eq(u.r(RBR), 0x55, "looped byte")


def test_iir_priorities():
    qt, _, u = start(connect=False)
    with qt:
        u.w(FCR, 0x07)  # trigger 1
        u.w(MCR, MCR_LOOP)
        u.r(MSR)  # drop the deltas of entering loopback
        u.w(IER, 0x07)  # line status, THRE, data
        check_eq(u.r(IIR), FIFO_BITS | IIR_THRI, "THRE once ETBEI is enabled")
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "reading IIR acknowledged THRE")
        for i in range(17):
            u.w(THR, 0x30 + i)
        check_eq(u.r(IIR), FIFO_BITS | IIR_RLSI, "line status first (overrun)")
        check_eq(u.r(LSR), LSR_OE | LSR_DR | LSR_THRE | LSR_TEMT, "LSR with overrun")
        check_eq(u.r(IIR), FIFO_BITS | IIR_RDI, "then data available")
        check_eq(u.read_bytes(16), bytes(range(0x30, 0x40)), "FIFO kept the first 16")
        check_eq(u.r(IIR), FIFO_BITS | IIR_THRI, "then THR empty")
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "THRE acknowledged by the IIR read")
        # Modem status is last: THRE wins over it until acknowledged.
        u.w(IER, 0x0f & ~0x02)
        u.w(MCR, MCR_LOOP | 0x03)  # DTR, RTS -> DSR, CTS change
        u.w(IER, 0x0f)  # re-enabling ETBEI arms THRE again
        check_eq(u.r(IIR), FIFO_BITS | IIR_THRI, "THRE over modem status")
        check_eq(u.r(IIR), FIFO_BITS | IIR_MSI, "then modem status")
        check_eq(u.r(MSR), 0x33, "MSR: CTS, DSR with their deltas")
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "MSR read clears modem status")
        # Data over THRE: a write arms THRE and (looped) brings data.
        u.w(THR, 0x61)
        check_eq(u.r(IIR), FIFO_BITS | IIR_RDI, "data over THRE")
        check_eq(u.r(RBR), 0x61, "looped byte")
        check_eq(u.r(IIR), FIFO_BITS | IIR_THRI, "THRE after the data is read")
        check_eq(u.r(IIR), FIFO_BITS | IIR_NONE, "all acknowledged")


def test_thre_interrupt():
    qt, sock, u = start()
    with qt:
        u.w(MCR, MCR_OUT2)
        qt.irq_intercept()
        u.w(IER, 0x02)
        check_eq(qt.pop_irqs(), [("raise", 4)], "enabling ETBEI with THR empty")
        check_eq(u.r(IIR), IIR_THRI, "IIR reports THRE (16450 mode: no FIFO bits)")
        check_eq(qt.pop_irqs(), [("lower", 4)], "the IIR read acknowledged THRE")
        check_eq(u.r(IIR), IIR_NONE, "nothing pending")
        u.w(THR, ord("a"))
        check_eq(qt.pop_irqs(), [("raise", 4)], "THRE again once the byte is sent")
        # Without an IIR read, the next THR write drops THRE until that byte is sent.
        u.w(THR, ord("b"))
        check_eq(qt.pop_irqs(), [("lower", 4), ("raise", 4)], "THR write clears THRE")
        check_eq(recv_exactly(sock, 2), b"ab", "bytes sent")
        u.w(IER, 0x00)
        check_eq(qt.pop_irqs(), [("lower", 4)], "ETBEI off")
        u.w(IER, 0x02)
        check_eq(u.r(IIR), IIR_THRI, "THRE re-armed by enabling ETBEI")


def test_loopback():
    qt, sock, u = start()
    with qt:
        check_eq(u.r(MSR), 0xb0, "MSR on the host line")
        u.w(MCR, MCR_LOOP)
        check_eq(u.r(MSR), 0x0b, "entering loopback drops CTS/DSR/DCD (deltas)")
        check_eq(u.r(MSR), 0x00, "MSR read cleared the deltas")
        u.w(MCR, MCR_LOOP | 0x0f)
        check_eq(u.r(MSR), 0xfb, "all outputs on: CTS DSR RI DCD, no TERI on a rising RI")
        u.w(MCR, MCR_LOOP)
        check_eq(u.r(MSR), 0x0f, "all off: deltas and TERI")
        for mcr, msr in ((0x01, 0x22), (0x02, 0x13), (0x04, 0x41), (0x08, 0x8c)):
            u.w(MCR, MCR_LOOP | mcr)
            check_eq(u.r(MSR), msr, "MSR for MCR 0x%02x" % (MCR_LOOP | mcr))
        u.w(MCR, MCR_LOOP)
        u.r(MSR)
        # The transmitter feeds the receiver, not the line.
        u.w(THR, ord("L"))
        check_eq(u.r(LSR), LSR_DR | LSR_THRE | LSR_TEMT, "LSR after a looped byte")
        check_eq(u.r(RBR), ord("L"), "looped byte")
        # Host input waits while the receiver is disconnected from the line.
        sock.sendall(b"H")
        settle(u)
        check_eq(u.r(LSR) & LSR_DR, 0, "no host input in loopback")
        # A break in loopback is received as one zero character with BI.
        u.w(LCR, 0x43)
        check_eq(u.r(LSR), LSR_BI | LSR_DR | LSR_THRE | LSR_TEMT, "LSR after a looped break")
        check_eq(u.r(RBR), 0, "break character")
        check_eq(u.r(LSR), LSR_THRE | LSR_TEMT, "BI cleared by the LSR read")
        u.w(LCR, 0x03)
        u.w(MCR, 0x00)
        wait_for(lambda: u.r(LSR) & LSR_DR, "host input after loopback ends")
        check_eq(u.r(RBR), ord("H"), "host byte")
        check_eq(u.r(MSR), 0xbb, "back on the line: CTS/DSR/DCD rise")
        u.w(THR, ord("T"))
        check_eq(recv_exactly(sock, 1), b"T", "only the non-loopback byte reached the line")
        check_eq(recv_nothing(sock), b"", "nothing else on the line")


def test_overrun():
    qt, _, u = start(connect=False)
    with qt:
        u.w(MCR, MCR_LOOP)
        # 16450 mode: one-byte RBR, the new character overwrites the old.
        u.w(THR, ord("a"))
        u.w(THR, ord("b"))
        check_eq(u.r(LSR), LSR_OE | LSR_DR | LSR_THRE | LSR_TEMT, "LSR after overrun")
        check_eq(u.r(LSR), LSR_DR | LSR_THRE | LSR_TEMT, "OE cleared by reading LSR")
        check_eq(u.r(RBR), ord("b"), "16450 overrun keeps the newest byte")
        # FIFO mode: 16 fit, the 17th is lost and the FIFO kept.
        u.w(FCR, 0x01)
        for i in range(16):
            u.w(THR, 0x40 + i)
        check_eq(u.r(LSR), LSR_DR | LSR_THRE | LSR_TEMT, "16 bytes: no overrun")
        u.w(THR, 0x7e)
        check_eq(u.r(LSR), LSR_OE | LSR_DR | LSR_THRE | LSR_TEMT, "17th byte: overrun")
        check_eq(u.read_bytes(16), bytes(range(0x40, 0x50)), "FIFO after overrun")
        check_eq(u.r(LSR), LSR_THRE | LSR_TEMT, "empty")
        # FCR RX reset empties the FIFO.
        for i in range(5):
            u.w(THR, i)
        u.w(FCR, 0x03)
        check_eq(u.r(LSR), LSR_THRE | LSR_TEMT, "FIFO reset")
        # Turning the FIFO off drops its contents and the FIFO bits of IIR.
        u.w(THR, 1)
        u.w(FCR, 0x00)
        check_eq(u.r(LSR) & LSR_DR, 0, "FIFO disable empties it")
        check_eq(u.r(IIR), IIR_NONE, "IIR without FIFO bits")


def test_irq_line():
    qt, sock, u = start()
    with qt:
        qt.irq_intercept()
        sock.sendall(b"q")
        wait_for(lambda: u.r(LSR) & LSR_DR, "a byte")
        check_eq(u.r(IIR), IIR_NONE, "IER 0: nothing pending")
        u.w(IER, 0x01)
        check_eq(u.r(IIR), IIR_RDI, "data available")
        check_eq(qt.irq_get(4), 0, "OUT2 off gates the line")
        check_eq(qt.pop_irqs(), [], "no events with OUT2 off")
        steps = [
            (MCR, MCR_OUT2, ("raise", 4)),
            (MCR, 0x00, ("lower", 4)),
            (MCR, MCR_OUT2 | 0x03, ("raise", 4)),
            (IER, 0x00, ("lower", 4)),
            (IER, 0x01, ("raise", 4)),
            (MCR, MCR_OUT2 | MCR_LOOP, ("lower", 4)),
            (MCR, MCR_OUT2, ("raise", 4)),
        ]
        for reg, val, event in steps:
            u.w(reg, val)
            check_eq(qt.pop_irqs(), [event], "after writing 0x%02x to reg %d" % (val, reg))
            check_eq(qt.irq_get(4), 1 if event[0] == "raise" else 0, "irq_get 4")
        check_eq(u.r(IIR), IIR_RDI, "the loopback gate left IIR alone")
        check_eq(u.r(RBR), ord("q"), "byte")
        check_eq(qt.pop_irqs(), [("lower", 4)], "reading the byte lowers the line")
        # FIFO mode: the line follows the trigger level.
        u.w(FCR, 0x87)
        sock.sendall(b"1234567")
        wait_for(lambda: u.r(LSR) & LSR_DR, "7 bytes")
        settle(u)
        check_eq(qt.pop_irqs(), [], "7 bytes, trigger 8: line stays low")
        sock.sendall(b"8")
        wait_for(lambda: qt.irq_get(4), "the line at 8 bytes")
        check_eq(qt.pop_irqs(), [("raise", 4)], "events at the trigger")
        check_eq(u.r(RBR), ord("1"), "first byte")
        check_eq(qt.pop_irqs(), [("lower", 4)], "below the trigger again")
        check_eq(u.read_bytes(7), b"2345678", "rest")
        check_eq(qt.irq_get(3), 0, "COM1 never touches IRQ 3")


def test_flow_control():
    qt, sock, u = start()
    with qt:
        u.w(FCR, 0x07)
        data = bytes((i * 7 + 3) & 0xff for i in range(100))
        sock.sendall(data)
        got = b""
        deadline = time.monotonic() + 10
        while len(got) < len(data) and time.monotonic() < deadline:
            lsr = u.r(LSR)
            check_eq(lsr & LSR_OE, 0, "no overrun with flow control")
            if lsr & LSR_DR:
                got += bytes([u.r(RBR)])
        check_eq(got, data, "all bytes, in order, none lost")


def test_other_ports():
    qt = QTest(["-serial", "null", "-serial", "null", "-device", "isa-serial,index=2",
                "-device", "isa-serial,index=3",
                "-device", "isa-serial,iobase=0x2e0,irq=5"])
    with qt:
        qt.irq_intercept()
        for n, (base, irq) in enumerate(((COM1, 4), (COM2, 3), (COM3, 4), (COM4, 3),
                                         (0x2e0, 5))):
            u = Uart(qt, base)
            u.w(SCR, 0x10 + n)
            check_eq(u.r(SCR), 0x10 + n, "SCR at 0x%x" % base)
            check_eq(u.r(LSR), 0x60, "LSR at 0x%x" % base)
            u.w(MCR, MCR_OUT2)
            u.w(IER, 0x02)
            check_eq(qt.irq_get(irq), 1, "IRQ %d from the UART at 0x%x" % (irq, base))
            u.w(IER, 0x00)
            check_eq(qt.irq_get(irq), 0, "IRQ %d lowered" % irq)
            u.w(MCR, 0)
        check_eq(qt.inb(0x3e0 + 7), 0xff, "no UART at 0x3e0")


if __name__ == "__main__":
    run_cases([
        ("serial/reset-values", test_reset_values),
        ("serial/divisor-latch", test_divisor_latch),
        ("serial/transmit", test_transmit),
        ("serial/rx-trigger-levels", test_rx_trigger_levels),
        ("serial/rx-fifo-from-chardev", test_rx_fifo_from_chardev),
        ("serial/char-timeout", test_char_timeout),
        ("serial/iir-priorities", test_iir_priorities),
        ("serial/thre-interrupt", test_thre_interrupt),
        ("serial/loopback", test_loopback),
        ("serial/overrun", test_overrun),
        ("serial/irq-line", test_irq_line),
        ("serial/flow-control", test_flow_control),
        ("serial/other-ports", test_other_ports),
    ])
