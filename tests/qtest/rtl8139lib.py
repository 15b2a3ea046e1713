"""Shared helpers for the RTL8139 qtests: a NIC on PCI wired to a socket
backend whose other end is this test, so frames can be injected and captured.

The stream format of -netdev socket is a 32-bit big-endian length and then
the frame.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcilib import ISA, cfg_read, cfg_write  # noqa: E402
from qtest import QTest, QTestError, recv_exactly  # noqa: E402

IOBASE = 0xc100
IRQ = 11
MAC = bytes([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef])
MAC_STR = "52:54:00:ab:cd:ef"

# Registers
IDR0, MAR0, TSD0, TSAD0, RBSTART, CR, CAPR, CBR = 0x00, 0x08, 0x10, 0x20, 0x30, 0x37, 0x38, 0x3a
IMR, ISR, TCR, RCR, TCTR, MPC, CFG9346, CONFIG1 = 0x3c, 0x3e, 0x40, 0x44, 0x48, 0x4c, 0x50, 0x52
TIMERINT, MSR, TSAD, BMCR, BMSR = 0x54, 0x58, 0x60, 0x62, 0x64
TPPOLL, CPCR, RDSAR = 0xd9, 0xe0, 0xe4

CR_BUFE, CR_TE, CR_RE, CR_RST = 0x01, 0x04, 0x08, 0x10
INT_ROK, INT_RER, INT_TOK, INT_TER, INT_RXOVW, INT_PUN, INT_TDU, INT_SWINT, INT_TIMEOUT = \
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x80, 0x100, 0x4000
RCR_AAP, RCR_APM, RCR_AM, RCR_AB, RCR_WRAP = 0x01, 0x02, 0x04, 0x08, 0x80
TSD_OWN, TSD_TOK = 1 << 13, 1 << 15

DESC_OWN, DESC_EOR, DESC_FS, DESC_LS = 1 << 31, 1 << 30, 1 << 29, 1 << 28


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_slot(qt, vendor=0x10ec, device=0x8139):
    for slot in range(32):
        if cfg_read(qt, slot << 3, 0) == (device << 16) | vendor:
            return slot
    raise QTestError("no %04x:%04x on the bus" % (vendor, device))


class Nic:
    """One RTL8139 under qtest, with the test holding the other end of its cable."""

    def __init__(self, extra_dev="", extra_args=(), timeout=10.0, with_peer=True, netdev=None,
                 mac=MAC_STR):
        self.peer = None
        args = ["-m", "64"]
        if netdev:
            # The caller's backend (another VM, a hub...): no test-held cable.
            args += ["-netdev", netdev + ",id=n0", "-device", "rtl8139,netdev=n0,mac=" + mac]
            with_peer = False
        elif with_peer:
            lsock = socket.socket()
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind(("127.0.0.1", 0))
            lsock.listen(1)
            port = lsock.getsockname()[1]
            args += ["-netdev", "socket,id=n0,connect=127.0.0.1:%d" % port,
                     "-device", "rtl8139,netdev=n0,mac=%s%s" % (MAC_STR, extra_dev)]
        elif not netdev:
            args += ["-device", "rtl8139,mac=%s%s" % (MAC_STR, extra_dev)]
        self.qt = QTest(args + list(extra_args), timeout=timeout)
        if with_peer:
            lsock.settimeout(5)
            try:
                self.peer, _ = lsock.accept()
            finally:
                lsock.close()
            self.peer.settimeout(5)
        qt = self.qt
        self.slot = find_slot(qt)
        self.dfn = self.slot << 3
        cfg_write(qt, self.dfn, 0x10, IOBASE)
        cfg_write(qt, self.dfn, 0x04, 0x0007, 2)  # I/O, memory, bus master
        cfg_write(qt, ISA, 0x60, 0x0b0b0b0b)      # every PIRQ to IRQ 11

    def close(self):
        if self.peer:
            self.peer.close()
        self.qt.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # registers
    def r8(self, reg):
        return self.qt.inb(IOBASE + reg)

    def r16(self, reg):
        return self.qt.inw(IOBASE + reg)

    def r32(self, reg):
        return self.qt.inl(IOBASE + reg)

    def w8(self, reg, v):
        self.qt.outb(IOBASE + reg, v)

    def w16(self, reg, v):
        self.qt.outw(IOBASE + reg, v)

    def w32(self, reg, v):
        self.qt.outl(IOBASE + reg, v)

    def irq(self):
        """The INTx level, as PCI status bit 3 (Interrupt Status) shows it."""
        return (cfg_read(self.qt, self.dfn, 0x04) >> 19) & 1

    # the wire
    def inject(self, frame):
        self.peer.sendall(struct.pack(">I", len(frame)) + frame)

    def capture(self, timeout=5.0):
        hdr = recv_exactly(self.peer, 4, timeout)
        (n,) = struct.unpack(">I", hdr)
        return recv_exactly(self.peer, n, timeout)

    def wait_isr(self, bits, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            v = self.r16(ISR)
            if v & bits:
                return v
            if time.monotonic() > deadline:
                raise AssertionError("ISR bits 0x%x never set (ISR 0x%04x)" % (bits, v))
            time.sleep(0.002)


def eth_frame(dst, payload, src=b"\x02\x00\x00\x00\x00\x01", ethertype=0x88b5):
    return dst + src + struct.pack(">H", ethertype) + payload


def csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4_tcp(payload, src="10.0.0.1", dst="10.0.0.2", seq=1000, flags=0x18, ip_id=7,
             ihl_words=5, total=None):
    tcp = struct.pack(">HHIIBBHHH", 1234, 80, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
    ip_len = 4 * ihl_words + len(tcp) if total is None else total
    ip = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl_words, 0, ip_len, ip_id, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip += b"\0" * (4 * ihl_words - 20)
    return ip + tcp


def ipv4_udp(payload, src="10.0.0.1", dst="10.0.0.2"):
    udp = struct.pack(">HHHH", 5000, 53, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def l4_ok(ip_pkt):
    """True when the IP header checksum and the TCP/UDP checksum are right."""
    ihl = (ip_pkt[0] & 15) * 4
    total = struct.unpack(">H", ip_pkt[2:4])[0]
    if csum(ip_pkt[:ihl]) != 0:
        return False
    proto = ip_pkt[9]
    l4 = ip_pkt[ihl:total]
    pseudo = ip_pkt[12:20] + struct.pack(">BBH", 0, proto, len(l4))
    return csum(pseudo + l4) == 0
