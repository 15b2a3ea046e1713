#!/usr/bin/env python3
"""RTL8139 at register level over qtest: EEPROM, receive ring, normal and C+
transmit, C+ receive, offloads, interrupts, the timer, reset and link state.

The NIC's -netdev socket is connected to this test, which injects frames
and captures what the NIC sends.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcilib import cfg_read, with_qmp  # noqa: E402
from qtest import check, check_eq, recv_nothing, run_cases  # noqa: E402
from rtl8139lib import *  # noqa: E402,F401,F403
import rtl8139lib as R  # noqa: E402

RXBUF = 0x100000
TXBUF = 0x110000
TXRING = 0x120000
RXRING = 0x121000
RXDATA = 0x130000
BCAST = b"\xff" * 6


def eeprom_read(nic, addr, addr_len=6):
    """Bit-bang a READ as Linux's 8139too does."""
    EE_CS, EE_SK, EE_DI, EE_ENB = 0x08, 0x04, 0x02, 0x80 | 0x08
    nic.w8(CFG9346, 0x80)
    nic.w8(CFG9346, EE_ENB)
    cmd = addr | (6 << addr_len)
    for i in range(4 + addr_len, -1, -1):
        d = EE_DI if cmd & (1 << i) else 0
        nic.w8(CFG9346, EE_ENB | d)
        nic.w8(CFG9346, EE_ENB | d | EE_SK)
    nic.w8(CFG9346, EE_ENB)
    val = 0
    for _ in range(16):
        nic.w8(CFG9346, EE_ENB | EE_SK)
        val = (val << 1) | (nic.r8(CFG9346) & 1)
        nic.w8(CFG9346, EE_ENB)
    nic.w8(CFG9346, 0)
    return val


def test_ids_and_reset_values():
    with Nic() as nic:
        qt = nic.qt
        check_eq(cfg_read(qt, nic.dfn, 0), 0x813910ec, "vendor/device")
        check_eq(cfg_read(qt, nic.dfn, 8) >> 8, 0x020000, "class: Ethernet")
        check_eq(cfg_read(qt, nic.dfn, 8) & 0xff, 0x20, "revision 0x20 (C+)")
        check_eq(cfg_read(qt, nic.dfn, 0x3c) >> 8 & 0xff, 1, "INTA#")
        check_eq(cfg_read(qt, nic.dfn, 0x34) & 0xff, 0x50, "capability list at 0x50")
        check_eq(cfg_read(qt, nic.dfn, 0x50) & 0xff, 0x01, "power management capability")
        check_eq(bytes(nic.r8(IDR0 + i) for i in range(6)), MAC, "IDR holds mac=")
        check_eq(nic.r32(TCR) & 0x7cc00000, 0x74800000, "TCR: RTL8139C+ version")
        check_eq(nic.r8(CR), CR_BUFE, "CR: buffer empty, RX/TX off")
        check_eq(nic.r16(ISR), 0, "ISR")
        check_eq(nic.r16(IMR), 0, "IMR")
        check_eq(nic.r16(BMSR), 0x782d, "BMSR: link up, autonegotiation complete")
        check_eq(nic.r8(MSR) & 0x04, 0, "MSR: LINKB clear (link up)")
        check_eq(nic.r16(TSAD) & 0xf, 0xf, "all four TX descriptors owned by the driver")


def test_rx_wrap_mode_frame_after_header():
    """RCR.WRAP (8139too's setting): a frame whose header ends exactly at the end of the ring
    continues past the end, in one piece after its header, and only the next frame starts
    over at offset 0.  (Its data once went to offset 0: 8139too read stale bytes instead.)"""
    size = 8192
    with Nic() as nic:
        qt = nic.qt
        qt.memwrite(RXBUF, bytes(size + 2048))
        rx_setup(nic, RCR_APM | RCR_WRAP)
        # Five frames of 1500 ring bytes and one of 688 bring the write offset to size - 4.
        lens = [1500 - 8] * 5 + [688 - 8, 300, 200]
        off = 0
        for i, n in enumerate(lens):
            frame = eth_frame(MAC, bytes([(i * 13 + k) & 0xff for k in range(n - 14)]))
            nic.inject(frame)
            nic.wait_isr(INT_ROK)
            nic.w16(ISR, INT_ROK)
            hdr = qt.memread(RXBUF + off, 4)
            status, length = struct.unpack("<HH", hdr)
            check_eq(status & 1, 1, "frame %d at 0x%x: ROK" % (i, off))
            check_eq(length, n + 4, "frame %d: length" % i)
            data = qt.memread(RXBUF + off + 4, n)
            check_eq(data, frame, "frame %d at 0x%x: data right after its header" % (i, off))
            if i == 6:
                check_eq(off, size - 4, "frame 6's header is the last 4 bytes of the ring")
            off = (off + 4 + length + 3) & ~3
            off %= size
            check_eq(nic.r16(CBR), off, "frame %d: CBR" % i)
            nic.w16(CAPR, (off - 16) & 0xffff)
        check_eq(off, 512, "frames 6 and 7 went to the start of the ring: 304 + 208 bytes")


def test_eeprom():
    with Nic() as nic:
        check_eq(eeprom_read(nic, 0), 0x8129, "word 0: signature")
        check_eq(eeprom_read(nic, 1), 0x10ec, "word 1: vendor")
        check_eq(eeprom_read(nic, 2), 0x8139, "word 2: device")
        mac = b"".join(struct.pack("<H", eeprom_read(nic, 7 + i)) for i in range(3))
        check_eq(mac, MAC, "words 7-9: the MAC address")
        check(eeprom_read(nic, 0, addr_len=8) != 0x8129,
              "a 93C46 (6 address bits) does not answer 8-bit addressing with the signature")
        # Auto-load copies the EEPROM's address into IDR.
        nic.w8(CFG9346, 0xc0)
        nic.w32(IDR0, 0x44332211)
        check_eq(nic.r8(IDR0), 0x11, "IDR writable")
        nic.w8(CFG9346, 0x40)
        check_eq(bytes(nic.r8(IDR0 + i) for i in range(6)), MAC, "auto-load restores IDR")
        check_eq(nic.r8(CFG9346) & 0xc0, 0, "back to normal mode after auto-load")


def rx_setup(nic, rcr, size_idx=0):
    nic.w32(RBSTART, RXBUF)
    nic.w32(RCR, rcr | (size_idx << 11))
    nic.w16(IMR, 0xffff)
    nic.w8(CR, CR_RE | CR_TE)


def read_rx_packet(nic, off, size):
    qt = nic.qt
    hdr = qt.memread(RXBUF + off, 4)
    status, length = struct.unpack("<HH", hdr)
    end = off + 4 + length
    if end <= size:
        data = qt.memread(RXBUF + off + 4, length)
    else:
        first = size - off - 4
        data = qt.memread(RXBUF + off + 4, first) + qt.memread(RXBUF, length - first)
    return status, data, (off + 4 + length + 3) & ~3


def test_rx_ring_wrap_and_capr():
    size = 8192
    with Nic() as nic:
        rx_setup(nic, RCR_APM | RCR_AB)  # no WRAP: the chip wraps at the end
        off = 0
        payloads = []
        for i in range(12):
            payload = bytes([(i * 7 + k) & 0xff for k in range(900 + i)])
            frame = eth_frame(MAC, payload)
            payloads.append(frame)
        # Inject all; the 8 KiB ring holds only some, the rest must wait (not be lost).
        for f in payloads:
            nic.inject(f)
        nic.wait_isr(INT_ROK)
        check_eq(nic.irq(), 1, "ROK with IMR set raises the line")
        got = 0
        wrapped = False
        for i, f in enumerate(payloads):
            while nic.r8(CR) & CR_BUFE:
                nic.wait_isr(INT_ROK)
                nic.w16(ISR, INT_ROK)
            status, data, nxt = read_rx_packet(nic, off, size)
            check_eq(status & 0x4001, 0x4001, "frame %d: ROK and physical match" % i)
            check_eq(len(data), max(len(f), 60) + 4, "frame %d: length includes CRC" % i)
            check_eq(data[:len(f)], f, "frame %d: contents" % i)
            crc = struct.unpack("<I", data[-4:])[0]
            import zlib
            check_eq(crc, zlib.crc32(data[:-4]) & 0xffffffff, "frame %d: CRC" % i)
            wrapped = wrapped or nxt > size
            off = nxt % size
            nic.w16(CAPR, (off - 16) & 0xffff)
            got += 1
        check_eq(got, 12, "every frame arrived")
        check(wrapped, "the ring wrapped")
        check_eq(nic.r16(CBR), off, "CBR at the write offset")
        check(nic.r8(CR) & CR_BUFE, "ring empty again")


def ether_hash(addr):
    """The multicast filter index: the top 6 bits of the big-endian Ethernet CRC,
    derived here from zlib's reflected CRC-32 (bit-reversed, uninverted)."""
    import zlib
    reflected = zlib.crc32(addr) ^ 0xffffffff
    return int("{:032b}".format(reflected)[::-1], 2) >> 26


def drain_ring(nic, off, want, timeout=5.0):
    import time
    seen = []
    deadline = time.monotonic() + timeout
    while len(seen) < want and time.monotonic() < deadline:
        if nic.r8(CR) & CR_BUFE:
            time.sleep(0.01)
            continue
        status, data, nxt = read_rx_packet(nic, off, 8192)
        seen.append((status & 0xe000, data[14:15]))
        off = nxt % 8192
        nic.w16(CAPR, (off - 16) & 0xffff)
    return seen, off


def settle(nic):
    """Let frames already on the socket reach the NIC."""
    import time
    time.sleep(0.3)
    nic.r16(ISR)


def test_rx_accept_rules():
    with Nic() as nic:
        rx_setup(nic, RCR_APM)
        other = b"\x02\x11\x22\x33\x44\x55"
        mcast = b"\x01\x00\x5e\x00\x00\x01"
        for dst, tag in ((BCAST, b"b"), (other, b"o"), (mcast, b"m"), (MAC, b"u")):
            nic.inject(eth_frame(dst, tag * 50))
        settle(nic)
        seen, off = drain_ring(nic, 0, 2, timeout=0.5)
        check_eq(seen, [(0x4000, b"u")], "APM alone takes only our unicast (PAM status)")
        nic.w32(RCR, RCR_APM | RCR_AB | RCR_AM)
        h = ether_hash(mcast)
        nic.w8(MAR0 + (h >> 3), 1 << (h & 7))
        other_group = next(bytes([1, 0, 0x5e, 0, 0, n]) for n in range(2, 255)
                           if ether_hash(bytes([1, 0, 0x5e, 0, 0, n])) != h)
        for dst, tag in ((mcast, b"m"), (other_group, b"n"), (BCAST, b"b"), (other, b"o")):
            nic.inject(eth_frame(dst, tag * 50))
        settle(nic)
        seen, off = drain_ring(nic, off, 3, timeout=0.5)
        check_eq(seen, [(0x8000, b"m"), (0x2000, b"b")],
                 "hashed group (MAR status) and broadcast (BAR status) only")
        nic.w32(RCR, RCR_AAP)
        nic.inject(eth_frame(other, b"p" * 50))
        seen, off = drain_ring(nic, off, 1)
        check_eq(seen, [(0x0000, b"p")], "promiscuous takes a foreign unicast")


def test_tx_normal():
    with Nic() as nic:
        qt = nic.qt
        nic.w16(IMR, INT_TOK)
        nic.w8(CR, CR_TE)
        for n in range(6):
            d = n % 4
            frame = eth_frame(BCAST, bytes([n]) * (60 + 100 * n))
            qt.memwrite(TXBUF + 0x800 * d, frame)
            nic.w32(TSAD0 + 4 * d, TXBUF + 0x800 * d)
            nic.w32(TSD0 + 4 * d, len(frame))
            check_eq(nic.capture(), frame, "frame %d on the wire" % n)
            tsd = nic.r32(TSD0 + 4 * d)
            check_eq(tsd & (TSD_OWN | TSD_TOK), TSD_OWN | TSD_TOK, "TSD%d: OWN and TOK" % d)
            check_eq(nic.r16(ISR) & INT_TOK, INT_TOK, "ISR.TOK")
            check_eq(nic.irq(), 1, "TOK interrupt")
            nic.w16(ISR, INT_TOK)
            check_eq(nic.irq(), 0, "ISR write-1-clear lowers the line")
        # Oversized descriptor: aborted, nothing sent.
        nic.w32(TSD0, 4000)
        check(nic.r32(TSD0) & (1 << 30), "TSD size over 1792 aborts")
        check(recv_nothing(nic.peer) == b"", "nothing sent for the aborted descriptor")


def cp_tx_desc(qt, idx, opts1, addr, opts2=0):
    qt.memwrite(TXRING + 16 * idx, struct.pack("<IIQ", opts1, opts2, addr))


def cp_start(nic, rx=False):
    nic.w16(CPCR, 0x0001 | (0x0002 | 0x0020 | 0x0040 if rx else 0))
    nic.w32(TSAD0, TXRING)
    nic.w32(TSAD0 + 4, 0)
    nic.w32(RDSAR, RXRING)
    nic.w32(RDSAR + 4, 0)
    nic.w32(RCR, RCR_APM | RCR_AB)
    nic.w8(CR, CR_RE | CR_TE)
    nic.w16(IMR, 0xffff)


def test_tx_cplus_fragments_and_checksums():
    with Nic() as nic:
        qt = nic.qt
        cp_start(nic)
        ip = ipv4_tcp(b"hello, offload " * 20)
        frame = eth_frame(BCAST, ip, ethertype=0x0800)
        # Three fragments; checksums zero in memory, the chip fills them.
        parts = [frame[:20], frame[20:100], frame[100:]]
        addr = TXBUF
        flags = (1 << 18) | (1 << 16)  # IPCS | TCPCS
        for i, p in enumerate(parts):
            qt.memwrite(addr, p)
            o1 = DESC_OWN | flags | len(p)
            o1 |= DESC_FS if i == 0 else 0
            o1 |= DESC_LS if i == len(parts) - 1 else 0
            cp_tx_desc(qt, i, o1, addr)
            addr += 0x400
        cp_tx_desc(qt, 3, 0, 0)  # not owned: the ring stops here
        nic.w8(TPPOLL, 0x40)
        out = nic.capture()
        check_eq(len(out), len(frame), "assembled length")
        check_eq(out[:14], frame[:14], "Ethernet header")
        check(l4_ok(out[14:]), "IP and TCP checksums filled in")
        check_eq(out[14 + 40:], frame[14 + 40:], "payload untouched")
        for i in range(3):
            o1 = struct.unpack("<I", qt.memread(TXRING + 16 * i, 4))[0]
            check_eq(o1 & DESC_OWN, 0, "descriptor %d handed back" % i)
        isr = nic.r16(ISR)
        check(isr & INT_TOK and isr & INT_TDU, "TOK and TX-descriptor-unavailable: 0x%x" % isr)
        # UDP checksum and a VLAN tag inserted by the chip.
        nic.w16(ISR, 0xffff)
        udp = eth_frame(BCAST, ipv4_udp(b"x" * 33), ethertype=0x0800)
        qt.memwrite(TXBUF, udp)
        cp_tx_desc(qt, 3, DESC_OWN | DESC_FS | DESC_LS | DESC_EOR | (1 << 17) | (1 << 18) | len(udp),
                   TXBUF, opts2=(1 << 17) | 0x2301)  # tag 0x0123 in network order
        cp_tx_desc(qt, 0, 0, 0)
        nic.w8(TPPOLL, 0x40)
        out = nic.capture()
        check_eq(out[12:16], b"\x81\x00\x01\x23", "802.1Q tag inserted")
        check_eq(out[16:18], b"\x08\x00", "original ethertype after the tag")
        check(l4_ok(out[18:]), "UDP checksum filled in")


def test_tx_cplus_tso():
    with Nic() as nic:
        qt = nic.qt
        cp_start(nic)
        payload = bytes(range(256)) * 14  # 3584 bytes
        ip = ipv4_tcp(payload, seq=5000, flags=0x19)  # FIN|PSH|ACK
        frame = eth_frame(BCAST, ip, ethertype=0x0800)
        qt.memwrite(TXBUF, frame)
        mss = 1000
        cp_tx_desc(qt, 0, DESC_OWN | DESC_FS | DESC_LS | (1 << 27) | (mss << 16) | len(frame),
                   TXBUF)
        cp_tx_desc(qt, 1, 0, 0)
        nic.w8(TPPOLL, 0x40)
        got = b""
        for i in range(4):
            seg = nic.capture()
            ipp = seg[14:]
            check(l4_ok(ipp), "segment %d checksums" % i)
            seq = struct.unpack(">I", ipp[24:28])[0]
            check_eq(seq, 5000 + len(got), "segment %d sequence number" % i)
            flags = ipp[33]
            check_eq(flags & 0x09, 0x09 if i == 3 else 0, "FIN/PSH only on the last")
            check_eq(struct.unpack(">H", ipp[4:6])[0], 7 + i, "IP id increments")
            data = ipp[40:]
            check(len(data) <= mss, "segment within MSS")
            got += data
        check_eq(got, payload, "payload reassembles")
        check(recv_nothing(nic.peer) == b"", "exactly four segments")


def test_tx_cplus_bad_ip_lengths():
    """The old leak: checksum offload trusting the IP header's lengths."""
    with Nic() as nic:
        qt = nic.qt
        cp_start(nic)
        cases = [ipv4_tcp(b"a" * 40, total=4000),     # total length beyond the frame
                 ipv4_tcp(b"b" * 40, ihl_words=15, total=30),  # header longer than total
                 ipv4_tcp(b"c" * 40, total=10)]       # total shorter than a header
        for i, ip in enumerate(cases):
            frame = eth_frame(BCAST, ip, ethertype=0x0800)
            qt.memwrite(TXBUF, frame)
            for lso in (0, 1 << 27 | 100 << 16):
                cp_tx_desc(qt, 0, DESC_OWN | DESC_FS | DESC_LS | DESC_EOR | (7 << 16) * (not lso)
                           | lso | len(frame), TXBUF)
                nic.w8(TPPOLL, 0x40)
                if lso:
                    check(recv_nothing(nic.peer) == b"", "case %d: no segments from a bad header" % i)
                else:
                    out = nic.capture()
                    check_eq(out, frame, "case %d: sent unmodified, nothing beyond it" % i)


def cp_rx_desc(qt, idx, size, eor=False):
    qt.memwrite(RXRING + 16 * idx,
                struct.pack("<IIQ", DESC_OWN | (DESC_EOR if eor else 0) | size, 0,
                            RXDATA + 0x800 * idx))


def test_rx_cplus():
    with Nic() as nic:
        qt = nic.qt
        cp_start(nic, rx=True)
        for i in range(3):
            cp_rx_desc(qt, i, 1536, eor=(i == 2))
        udp = eth_frame(MAC, ipv4_udp(b"y" * 100), ethertype=0x0800)
        # Give it a valid checksum so the chip can report it good.
        ipp = bytearray(udp[14:])
        ipp[10:12] = struct.pack(">H", csum(bytes(ipp[:20])))
        pseudo = ipp[12:20] + struct.pack(">BBH", 0, 17, len(ipp) - 20)
        ipp[26:28] = struct.pack(">H", csum(bytes(pseudo + ipp[20:])))
        udp = udp[:14] + bytes(ipp)
        vlan = MAC + b"\x02\0\0\0\0\1" + b"\x81\x00\x00\x42" + b"\x88\xb5" + b"v" * 60
        frames = [udp, vlan, eth_frame(BCAST, b"z" * 80), eth_frame(MAC, b"w" * 70)]
        for f in frames:
            nic.inject(f)
        nic.wait_isr(INT_ROK)
        import time
        deadline = time.monotonic() + 5
        while not (nic.r16(ISR) & INT_RXOVW) and time.monotonic() < deadline:
            time.sleep(0.01)
        o1, o2 = struct.unpack("<II", qt.memread(RXRING, 8))
        check_eq(o1 & (DESC_OWN | DESC_FS | DESC_LS), DESC_FS | DESC_LS, "desc 0 filled")
        check_eq(o1 & 0x1fff, len(udp) + 4, "desc 0 length with CRC")
        check_eq((o1 >> 16) & 3, 2, "UDP recognised")
        check_eq(o1 & (1 << 14), 0, "UDP checksum good")
        check_eq(qt.memread(RXDATA, len(udp)), udp, "desc 0 data")
        o1, o2 = struct.unpack("<II", qt.memread(RXRING + 16, 8))
        check_eq(o2, (1 << 16) | 0x4200, "desc 1: VLAN tag stripped into opts2")
        check_eq(o1 & 0x1fff, len(vlan) - 4 + 4, "desc 1: length without the tag")
        check_eq(qt.memread(RXDATA + 0x800, 14), vlan[:12] + b"\x88\xb5", "tag removed")
        o1, _ = struct.unpack("<II", qt.memread(RXRING + 32, 8))
        check(o1 & DESC_EOR, "EOR kept")
        check(nic.r16(ISR) & INT_RXOVW, "ring exhausted: RX descriptor unavailable")
        # The fourth frame waited; a fresh descriptor at index 0 (after EOR) takes it.
        cp_rx_desc(qt, 0, 1536)
        nic.w16(ISR, 0xffff)
        nic.wait_isr(INT_ROK)
        o1, _ = struct.unpack("<II", qt.memread(RXRING, 8))
        check_eq(o1 & DESC_OWN, 0, "the waiting frame landed")
        check_eq(qt.memread(RXDATA + 14, 1), b"w", "in order, nothing lost")
        # A buffer too small for the frame: dropped with RER, descriptor untouched.
        cp_rx_desc(qt, 1, 64)
        nic.w16(ISR, 0xffff)
        nic.inject(eth_frame(MAC, b"q" * 200))
        nic.wait_isr(INT_RER)
        o1, _ = struct.unpack("<II", qt.memread(RXRING + 16, 8))
        check(o1 & DESC_OWN, "a too-small descriptor stays with the driver")


def test_interrupt_masking_and_timer():
    with Nic() as nic:
        qt = nic.qt
        nic.w8(CR, CR_TE)
        frame = eth_frame(BCAST, b"i" * 60)
        qt.memwrite(TXBUF, frame)
        nic.w32(TSAD0, TXBUF)
        nic.w32(TSD0, len(frame))
        nic.capture()
        check_eq(nic.r16(ISR) & INT_TOK, INT_TOK, "TOK latched while masked")
        check_eq(nic.irq(), 0, "masked: line low")
        nic.w16(IMR, INT_ROK)
        check_eq(nic.irq(), 0, "other bits unmasked: still low")
        nic.w16(IMR, INT_TOK)
        check_eq(nic.irq(), 1, "unmasking raises the line")
        nic.w16(IMR, 0)
        check_eq(nic.irq(), 0, "masking lowers it")
        nic.w16(ISR, 0xffff)
        # Timer: TCTR counts the 33 MHz PCI clock; TimerInt fires when it matches.
        nic.w32(TCTR, 0)
        qt.clock_step(1000000)  # 1 ms
        t = nic.r32(TCTR)
        check_eq(t, 33000, "TCTR after 1 ms")
        nic.w16(IMR, INT_TIMEOUT)
        nic.w32(TCTR, 0)
        nic.w32(TIMERINT, 330000)  # 10 ms
        qt.clock_step(9000000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, 0, "not yet at 9 ms")
        qt.clock_step(2000000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, INT_TIMEOUT, "TimeOut at 10 ms")
        check_eq(nic.irq(), 1, "timer interrupt")
        # Once per match: the counter runs on past TimerInt and matches again only after
        # its 2^32-clock wrap (130 s); a TCTR write restarts it from 0.
        nic.w16(ISR, INT_TIMEOUT)
        qt.clock_step(100000000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, 0, "no second TimeOut before TCTR wraps")
        nic.w32(TCTR, 0)
        qt.clock_step(9900000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, 0, "TCTR restarted: not yet at 9.9 ms")
        qt.clock_step(200000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, INT_TIMEOUT, "TCTR restarted: TimeOut at 10 ms")
        nic.w16(ISR, INT_TIMEOUT)
        nic.w32(TIMERINT, 33000)  # below the count (about 10 ms now): only after the wrap
        qt.clock_step(1000000000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, 0, "TimerInt behind TCTR: no TimeOut in 1 s")
        qt.clock_step(130000000000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, INT_TIMEOUT, "TimerInt behind TCTR: after the wrap")
        nic.w32(TIMERINT, 0)
        nic.w16(ISR, INT_TIMEOUT)
        qt.clock_step(200000000)
        check_eq(nic.r16(ISR) & INT_TIMEOUT, 0, "TimerInt 0 disables the timer")


INTRMIT = 0xe2
MIT_UNIT_NS = 2560  # one IntrMitigate timer unit (hw/net/rtl8139.c)


def test_interrupt_mitigation():
    """IntrMitigate = TxTimer << 12 | TxPackets << 8 | RxTimer << 4 | RxPackets: ISR shows
    ROK/TOK at once, the line waits for the frame count or the timer."""
    with Nic() as nic:
        qt = nic.qt
        rx_setup(nic, RCR_APM)
        nic.w16(IMR, INT_TOK | INT_ROK)
        frame = eth_frame(BCAST, b"m" * 60)
        qt.memwrite(TXBUF, frame)

        def send(n):
            nic.w32(TSAD0 + 4 * n, TXBUF)
            nic.w32(TSD0 + 4 * n, len(frame))
            nic.capture()

        nic.w16(INTRMIT, 0x0300)                      # TX: 3 frames, no timer
        check_eq(nic.r16(INTRMIT), 0x0300, "IntrMitigate reads back")
        send(0)
        check_eq(nic.r16(ISR) & INT_TOK, INT_TOK, "TOK in ISR at once")
        check_eq(nic.irq(), 0, "TX frame 1 of 3: line held")
        qt.clock_step(10 ** 9)
        check_eq(nic.irq(), 0, "no timer set: still held after 1 s")
        send(1)
        check_eq(nic.irq(), 0, "TX frame 2 of 3: line held")
        send(2)
        check_eq(nic.irq(), 1, "TX frame 3 of 3: interrupt")
        nic.w16(ISR, 0xffff)
        check_eq(nic.irq(), 0, "acknowledged")

        nic.w16(INTRMIT, 0x4000)                      # TX: timer 4 units, no count
        send(3)
        check_eq(nic.irq(), 0, "TX timer: held")
        qt.clock_step(4 * MIT_UNIT_NS - 100)
        check_eq(nic.irq(), 0, "TX timer: still held just before 4 units")
        qt.clock_step(200)
        check_eq(nic.irq(), 1, "TX timer: interrupt after 4 units")
        nic.w16(ISR, 0xffff)

        nic.w16(INTRMIT, 0x0002)                      # RX: 2 frames
        nic.inject(eth_frame(MAC, b"a" * 60))
        nic.wait_isr(INT_ROK)
        check_eq(nic.irq(), 0, "RX frame 1 of 2: line held")
        nic.inject(eth_frame(MAC, b"b" * 60))
        deadline = time.monotonic() + 5
        while nic.irq() == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        check_eq(nic.irq(), 1, "RX frame 2 of 2: interrupt")
        nic.w16(CAPR, (nic.r16(CBR) - 16) & 0xffff)
        nic.w16(ISR, 0xffff)

        nic.w16(INTRMIT, 0x0020)                      # RX: timer 2 units
        nic.inject(eth_frame(MAC, b"c" * 60))
        nic.wait_isr(INT_ROK)
        check_eq(nic.irq(), 0, "RX timer: held")
        qt.clock_step(2 * MIT_UNIT_NS + 1)
        check_eq(nic.irq(), 1, "RX timer: interrupt after 2 units")
        nic.w16(ISR, 0xffff)

        nic.w16(INTRMIT, 0x0f00)                      # held, then the register is rewritten
        send(0)
        check_eq(nic.irq(), 0, "TX 1 of 15: held")
        nic.w16(INTRMIT, 0)
        check_eq(nic.irq(), 1, "writing IntrMitigate lets a held interrupt out")
        nic.w16(ISR, 0xffff)
        send(1)
        check_eq(nic.irq(), 1, "IntrMitigate 0: every frame interrupts")
        nic.w16(ISR, 0xffff)
        nic.w16(INTRMIT, 0x0f00)
        send(2)
        check_eq(nic.irq(), 0, "held before reset")
        nic.w8(CR, CR_RST)
        nic.w16(IMR, INT_TOK)
        nic.w8(CR, CR_TE)
        check_eq(nic.irq(), 0, "software reset clears ISR and what was held")


def test_software_and_system_reset():
    with Nic() as nic:
        rx_setup(nic, RCR_APM)
        nic.inject(eth_frame(MAC, b"r" * 60))
        nic.wait_isr(INT_ROK)
        check(nic.irq() == 1, "interrupt pending before reset")
        nic.w8(CR, CR_RST)
        check_eq(nic.r8(CR) & CR_RST, 0, "RST self-clears")
        check_eq(nic.r16(ISR), 0, "ISR cleared")
        check_eq(nic.r16(IMR), 0, "IMR cleared")
        check_eq(nic.irq(), 0, "line lowered")
        check_eq(nic.r16(CBR), 0, "CBR back to 0")
        check_eq(bytes(nic.r8(IDR0 + i) for i in range(6)), MAC, "address kept")
        # A C+ ring position and mode are forgotten too.
        nic.w16(CPCR, 3)
        nic.w8(CR, CR_RST)
        check_eq(nic.r16(CPCR), 0, "C+ mode off after reset")


def test_link_and_monitor():
    qt, qmp = with_qmp(["-netdev", "hubport,id=h0,hubid=0", "-device",
                        "rtl8139,netdev=h0,id=nic0,mac=52:54:00:00:00:01"])
    try:
        from rtl8139lib import find_slot
        from pcilib import cfg_write, ISA
        slot = find_slot(qt)
        cfg_write(qt, slot << 3, 0x10, IOBASE)
        cfg_write(qt, slot << 3, 0x04, 0x0007, 2)
        cfg_write(qt, ISA, 0x60, 0x0b0b0b0b)
        qt.outw(IOBASE + IMR, INT_PUN)
        check_eq(qt.inw(IOBASE + BMSR) & 4, 4, "link up")
        r = qmp.execute("set_link", {"name": "nic0", "up": False})
        check("return" in r, "set_link accepted: %r" % r)
        check_eq(qt.inw(IOBASE + BMSR) & 4, 0, "BMSR link down")
        check_eq(qt.inb(IOBASE + MSR) & 4, 4, "MSR LINKB set")
        check_eq(qt.inw(IOBASE + ISR) & INT_PUN, INT_PUN, "link change interrupt")
        check_eq(cfg_read(qt, slot << 3, 4) >> 19 & 1, 1, "INTx asserted")
        r = qmp.execute("set_link", {"name": "nic0", "up": True})
        check_eq(qt.inw(IOBASE + BMSR) & 4, 4, "link back up")
        r = qmp.execute("set_link", {"name": "nosuch", "up": True})
        check("error" in r, "unknown device is an error")
    finally:
        qmp.close()
        qt.close()


def test_two_vms_over_socket():
    """Two Osprey processes, each with an RTL8139, joined by -netdev socket listen/connect."""
    port = free_port()
    mac_b = "52:54:00:00:00:0b"
    with Nic(netdev="socket,listen=127.0.0.1:%d" % port) as a, \
            Nic(netdev="socket,connect=127.0.0.1:%d" % port, mac=mac_b) as b:
        for nic in (a, b):
            rx_setup(nic, RCR_APM | RCR_AB)
        b_mac = bytes(int(x, 16) for x in mac_b.split(":"))
        frames = [eth_frame(b_mac, bytes([n]) * (100 + 300 * n), src=MAC) for n in range(4)]
        for n, f in enumerate(frames):
            a.qt.memwrite(TXBUF, f)
            a.w32(TSAD0 + 4 * n, TXBUF)
            a.w32(TSD0 + 4 * n, len(f))
        off = 0
        for n, f in enumerate(frames):
            import time
            deadline = time.monotonic() + 5
            while b.r8(CR) & CR_BUFE and time.monotonic() < deadline:
                time.sleep(0.01)
            status, data, off = read_rx_packet(b, off, 8192)
            check_eq(data[:len(f)], f, "frame %d crossed from VM A to VM B" % n)
        # And back, broadcast.
        reply = eth_frame(BCAST, b"pong" * 20, src=b_mac)
        b.qt.memwrite(TXBUF, reply)
        b.w32(TSAD0, TXBUF)
        b.w32(TSD0, len(reply))
        a.wait_isr(INT_ROK)
        status, data, _ = read_rx_packet(a, 0, 8192)
        check_eq((status & 0x2000, data[:len(reply)]), (0x2000, reply), "broadcast back to A")


def test_hmp_network_commands():
    from test_hmp import Osprey
    port = free_port()
    extra = ["-net", "nic,model=rtl8139,macaddr=52:54:00:00:00:07", "-net", "user",
             "-netdev", "user,id=u1,hostfwd=tcp:127.0.0.1:%d-:22" % port,
             "-device", "rtl8139,netdev=u1,id=nic1"]
    with Osprey(extra) as o:
        hmp = o.connect()
        hmp.greet()
        text = hmp.run("info network")
        check("hub 0" in text and "52:54:00:00:00:07" in text, "hub 0 with the -net nic: %r" % text)
        check("nic1" in text and "type=user" in text, "the -netdev user: %r" % text)
        # The hostfwd listens on the host: a connection is accepted by slirp.
        import socket as pysock
        c = pysock.create_connection(("127.0.0.1", port), timeout=5)
        c.close()
        out = hmp.run("hostfwd_remove u1 tcp:127.0.0.1:%d" % port)
        check_eq(out.strip(), "", "hostfwd_remove succeeds")
        try:
            pysock.create_connection(("127.0.0.1", port), timeout=2).close()
            check(False, "the removed forward still listens")
        except OSError:
            pass
        out = hmp.run("hostfwd_add u1 tcp:127.0.0.1:%d-:80" % port)
        check_eq(out.strip(), "", "hostfwd_add succeeds")
        pysock.create_connection(("127.0.0.1", port), timeout=5).close()
        out = hmp.run("hostfwd_add u1 tcp:nonsense")
        check("invalid" in out, "a bad rule is reported: %r" % out)
        out = hmp.run("set_link nic1 off")
        check_eq(out.strip(), "", "set_link")
        check("link=down" in hmp.run("info network"), "info network shows the link down")
        check("not found" in hmp.run("set_link nosuch on"), "unknown name")


def test_pcap_dump():
    from qtest import temp_path
    pcap = temp_path("rtl8139.pcap")
    with Nic(extra_args=["-object", "filter-dump,id=f0,netdev=n0,file=%s" % pcap]) as nic:
        nic.w8(CR, CR_TE | CR_RE)
        nic.w32(RCR, RCR_APM)
        nic.w32(RBSTART, RXBUF)
        out = eth_frame(BCAST, b"dump-me" * 10)
        nic.qt.memwrite(TXBUF, out)
        nic.w32(TSAD0, TXBUF)
        nic.w32(TSD0, len(out))
        nic.capture()
        inp = eth_frame(MAC, b"and-me" * 10)
        nic.inject(inp)
        nic.wait_isr(INT_ROK)
    data = open(pcap, "rb").read()
    magic, major, minor, _, _, snap, link = struct.unpack("<IHHiIII", data[:24])
    check_eq((magic, major, minor, link), (0xa1b2c3d4, 2, 4, 1), "pcap global header")
    frames, pos = [], 24
    while pos + 16 <= len(data):
        caplen, origlen = struct.unpack("<II", data[pos + 8:pos + 16])
        frames.append(data[pos + 16:pos + 16 + caplen])
        pos += 16 + caplen
    check_eq(frames, [out, inp], "both directions recorded in order")


def test_default_nic():
    from qtest import QTest
    base = ["-accel", "qtest", "-qtest", "stdio", "-display", "none"]
    with QTest([], base_args=base) as qt:
        from rtl8139lib import find_slot
        find_slot(qt)  # raises when absent
    with QTest(["-nic", "none"], base_args=base) as qt:
        from pcilib import cfg_read
        ids = [cfg_read(qt, slot << 3, 0) for slot in range(32)]
        check(0x813910ec not in ids, "-nic none: no NIC")
    with QTest(["-net", "none"], base_args=base) as qt:
        from pcilib import cfg_read
        ids = [cfg_read(qt, slot << 3, 0) for slot in range(32)]
        check(0x813910ec not in ids, "-net none: no NIC")


def test_command_line_errors():
    import subprocess
    from qtest import OSPREY
    base = [OSPREY, "-accel", "qtest", "-qtest", "null", "-display", "none", "-nodefaults"]
    cases = [(["-netdev", "user"], "id"),
             (["-netdev", "bogus,id=x"], "not supported"),
             (["-device", "rtl8139,netdev=nope"], "not found"),
             (["-netdev", "user,id=a", "-device", "rtl8139,netdev=a",
               "-device", "rtl8139,netdev=a"], "in use"),
             (["-device", "rtl8139,mac=52:54:00:12:34"], "MAC"),
             (["-nic", "user,model=e1000"], "model"),
             (["-netdev", "user,id=a,hostfwd=tcp:bad"], "forwarding rule"),
             (["-netdev", "socket,id=s"], "exactly one")]
    for args, want in cases:
        r = subprocess.run(base + args, capture_output=True, text=True, timeout=10)
        check(r.returncode != 0, "%s fails" % args)
        check(want in r.stderr, "%s: %r mentions %r" % (args, r.stderr.strip(), want))


if __name__ == "__main__":
    run_cases([
        ("rtl8139/ids-and-reset-values", test_ids_and_reset_values),
        ("rtl8139/eeprom", test_eeprom),
        ("rtl8139/rx-ring-wrap-and-capr", test_rx_ring_wrap_and_capr),
        ("rtl8139/rx-wrap-mode-frame-after-header", test_rx_wrap_mode_frame_after_header),
        ("rtl8139/rx-accept-rules", test_rx_accept_rules),
        ("rtl8139/tx-normal", test_tx_normal),
        ("rtl8139/tx-cplus-fragments-and-checksums", test_tx_cplus_fragments_and_checksums),
        ("rtl8139/tx-cplus-tso", test_tx_cplus_tso),
        ("rtl8139/tx-cplus-bad-ip-lengths", test_tx_cplus_bad_ip_lengths),
        ("rtl8139/rx-cplus", test_rx_cplus),
        ("rtl8139/interrupt-masking-and-timer", test_interrupt_masking_and_timer),
        ("rtl8139/interrupt-mitigation", test_interrupt_mitigation),
        ("rtl8139/software-reset", test_software_and_system_reset),
        ("rtl8139/link-and-qmp-set-link", test_link_and_monitor),
        ("rtl8139/two-vms-over-socket", test_two_vms_over_socket),
        ("rtl8139/hmp-network-commands", test_hmp_network_commands),
        ("rtl8139/pcap-dump", test_pcap_dump),
        ("rtl8139/default-nic", test_default_nic),
        ("rtl8139/command-line-errors", test_command_line_errors),
    ])
