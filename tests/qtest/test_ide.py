#!/usr/bin/env python3
"""The PIIX3 IDE function at register level, driven over qtest.

Disks are raw image files the test writes with a known pattern and reads back
on the host, so every data check compares the guest-visible bytes with the file.
The bus-master cases build PRD tables in guest RAM with qtest writes.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import (QTest, check, check_eq, connect_unix, run_cases,  # noqa: E402
                   temp_path, unix_socket_path)
from pcilib import cfg_read, cfg_write, devfn  # noqa: E402
from test_hmp import Hmp  # noqa: E402
from test_qmp import Qmp  # noqa: E402

IDE = devfn(1, 1)
PRI, PRI_CTL, SEC, SEC_CTL = 0x1f0, 0x3f6, 0x170, 0x376
DATA, ERR, FEAT, NSECT, LBAL, LBAM, LBAH, DEV, STATUS, CMD = 0, 1, 1, 2, 3, 4, 5, 6, 7, 7
BSY, DRDY, DSC, DRQ, ST_ERR = 0x80, 0x40, 0x10, 0x08, 0x01
ABRT, IDNF = 0x04, 0x10
SRST, NIEN = 0x04, 0x02
BMBASE = 0xc000
BM_START, BM_READ = 0x01, 0x08
BM_ACTIVE, BM_ERROR, BM_INTR = 0x01, 0x02, 0x04
PRD_TABLE = 0x20000
BUF = 0x100000
SECTOR = 512
DISK_SECTORS = 8192  # 4 MiB


def pattern(nbytes, seed):
    """Bytes that differ per sector and per seed, so misplaced data shows."""
    out = bytearray()
    i = 0
    while len(out) < nbytes:
        out += struct.pack("<IHH", i, seed, (i * 7 + seed) & 0xffff) * 64
        i += 1
    return bytes(out[:nbytes])


def make_image(name, nbytes, seed):
    path = temp_path(name)
    with open(path, "wb") as f:
        f.write(pattern(nbytes, seed))
    return path


def read_file(path, offset, length):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def drive_arg(path, index, media="disk"):
    return ["-drive", "file=%s,if=ide,index=%d,format=raw,media=%s" % (path, index, media)]


class Ide:
    """One channel's registers over qtest."""

    def __init__(self, qt, base=PRI, ctl=PRI_CTL):
        self.qt, self.base, self.ctl = qt, base, ctl

    def r(self, reg):
        return self.qt.inb(self.base + reg)

    def w(self, reg, val):
        self.qt.outb(self.base + reg, val)

    def alt(self):
        return self.qt.inb(self.ctl)

    def wait(self, what="not busy", timeout=5.0):
        """Poll alternate status until BSY clears (block completions run in the main loop)."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.alt()
            if not st & BSY:
                return st
            if time.monotonic() > deadline:
                raise AssertionError("drive stayed busy: %s (status 0x%02x)" % (what, st))
            time.sleep(0.001)

    def select(self, unit=0, lba=True, head=0):
        self.w(DEV, 0xa0 | (0x40 if lba else 0) | (unit << 4) | head)

    def lba28(self, lba, count, unit=0):
        self.w(NSECT, count & 0xff)
        self.w(LBAL, lba & 0xff)
        self.w(LBAM, (lba >> 8) & 0xff)
        self.w(LBAH, (lba >> 16) & 0xff)
        self.w(DEV, 0xe0 | (unit << 4) | ((lba >> 24) & 0xf))

    def lba48(self, lba, count, unit=0):
        for shift in (8, 0):
            self.w(NSECT, (count >> shift) & 0xff)
        self.w(LBAL, (lba >> 24) & 0xff)
        self.w(LBAM, (lba >> 32) & 0xff)
        self.w(LBAH, (lba >> 40) & 0xff)
        self.w(LBAL, lba & 0xff)
        self.w(LBAM, (lba >> 8) & 0xff)
        self.w(LBAH, (lba >> 16) & 0xff)
        self.w(DEV, 0x40 | (unit << 4))

    def command(self, cmd):
        self.w(CMD, cmd)
        return self.wait("command 0x%02x" % cmd)

    def read_data(self, nbytes):
        out = bytearray()
        for _ in range(nbytes // 4):
            out += struct.pack("<I", self.qt.inl(self.base))
        return bytes(out)

    def write_data(self, data):
        for i in range(0, len(data), 4):
            self.qt.outl(self.base, struct.unpack_from("<I", data, i)[0])

    def pio_in(self, nbytes, block=SECTOR):
        """Read nbytes in DRQ blocks, checking DRQ and an interrupt before each block."""
        out = b""
        while len(out) < nbytes:
            st = self.wait("PIO data")
            check(st & DRQ, "DRQ before block %d (status 0x%02x)" % (len(out) // block, st))
            check_eq(self.qt.irq_get(14 if self.base == PRI else 15), 1, "INTRQ with data")
            self.r(STATUS)  # acknowledge
            out += self.read_data(min(block, nbytes - len(out)))
        return out

    def pio_out(self, data, block=SECTOR):
        first = True
        for off in range(0, len(data), block):
            st = self.wait("PIO out")
            check(st & DRQ, "DRQ for block at %d (status 0x%02x)" % (off, st))
            if not first:
                self.r(STATUS)
            first = False
            self.write_data(data[off:off + block])
        return self.wait("write done")

    def identify(self, cmd=0xec, unit=0):
        self.select(unit)
        st = self.command(cmd)
        check(st & DRQ, "IDENTIFY gives data (status 0x%02x)" % st)
        raw = self.read_data(512)
        return list(struct.unpack("<256H", raw))


def ide_string(words, first, n):
    return b"".join(struct.pack(">H", w) for w in words[first:first + n]).decode().strip()


def setup_pci(qt):
    """What firmware does: BAR4 at BMBASE, I/O decode and bus mastering on."""
    cfg_write(qt, IDE, 0x20, BMBASE | 1)
    cfg_write(qt, IDE, 0x04, 0x0005, 2)
    qt.irq_intercept("isa")


def start(extra=(), image_seed=1, sectors=DISK_SECTORS):
    path = make_image("disk%d.img" % image_seed, sectors * SECTOR, image_seed)
    qt = QTest(drive_arg(path, 0) + list(extra))
    setup_pci(qt)
    return qt, Ide(qt), path


def put_prd(qt, entries, table=PRD_TABLE):
    """entries: (addr, count, eot); count 0x10000 is written as 0."""
    data = b"".join(struct.pack("<IHH", a, c & 0xffff, 0x8000 if eot else 0)
                    for a, c, eot in entries)
    qt.memwrite(table, data)


def bm_start(qt, to_memory, table=PRD_TABLE, base=BMBASE):
    qt.outl(base + 4, table)
    qt.outb(base + 2, BM_INTR | BM_ERROR)  # clear old status
    qt.outb(base, BM_START | (BM_READ if to_memory else 0))


def bm_status(qt, base=BMBASE):
    return qt.inb(base + 2)


def dma_cmd(ide, cmd, lba, count, ext=False):
    (ide.lba48 if ext else ide.lba28)(lba, count)
    ide.w(CMD, cmd)


# ---------------------------------------------------------------------------


def test_pci_ids():
    qt, _, _ = start()
    with qt:
        check_eq(cfg_read(qt, IDE, 0x00), 0x71118086, "8086:7111 (the PIIX4 IDE function)")
        check_eq(cfg_read(qt, IDE, 0x08) >> 8, 0x010180, "class IDE, bus master, legacy")
        check_eq(cfg_read(qt, IDE, 0x20), BMBASE | 1, "BAR4 is I/O")
        cfg_write(qt, IDE, 0x20, 0xffffffff)
        check_eq(cfg_read(qt, IDE, 0x20), 0xfffffff1, "BAR4 size 16")
        check_eq(cfg_read(qt, IDE, 0x40, 2), 0x8000, "IDETIM primary decode enabled")


def test_identify():
    qt, ide, _ = start()
    with qt:
        check_eq(ide.alt(), DRDY | DSC, "power-on status")
        w = ide.identify()
        check_eq(w[0], 0x0040, "word 0: fixed disk")
        check_eq((w[1], w[3], w[6]), (8, 16, 63), "default CHS")
        check_eq(ide_string(w, 27, 20), "OSPREY HARDDISK", "model")
        check_eq(ide_string(w, 10, 10), "OSP00HD", "serial")
        check_eq(w[60] | (w[61] << 16), DISK_SECTORS, "LBA28 sectors")
        check_eq(w[100] | (w[101] << 16), DISK_SECTORS, "LBA48 sectors")
        check(w[49] & 0x0300 == 0x0300, "LBA and DMA capabilities")
        check(w[83] & (1 << 10), "LBA48 supported")
        check_eq(w[88] & 0xff, 0x3f, "UDMA 0-5 supported")
        check_eq(w[63] & 0xff, 0x07, "MWDMA 0-2 supported")
        check_eq(w[47] & 0xff, 16, "max sectors per MULTIPLE")
        check_eq(ide.alt() & (DRQ | BSY), 0, "DRQ clears after 256 words")
        # SET FEATURES transfer mode shows in IDENTIFY.
        ide.w(FEAT, 0x03)
        ide.w(NSECT, 0x45)  # UDMA5
        st = ide.command(0xef)
        check_eq(st & ST_ERR, 0, "SET FEATURES UDMA5 accepted")
        w = ide.identify()
        check_eq(w[88] >> 8, 0x20, "UDMA5 selected")
        ide.w(FEAT, 0x03)
        ide.w(NSECT, 0x47)  # UDMA7 does not exist
        st = ide.command(0xef)
        check(st & ST_ERR and ide.r(ERR) & ABRT, "UDMA7 aborted")
        # No slave: status reads 0 with the slave selected.
        ide.select(1)
        check_eq(ide.alt(), 0, "absent slave status")


def test_pio_read_write():
    qt, ide, path = start()
    with qt:
        ide.lba28(5, 3)
        ide.w(CMD, 0x20)
        data = ide.pio_in(3 * SECTOR)
        check_eq(data, read_file(path, 5 * SECTOR, 3 * SECTOR), "READ SECTORS data")
        check_eq(ide.alt() & (DRQ | BSY | ST_ERR), 0, "idle after read")
        new = pattern(2 * SECTOR, 99)
        ide.lba28(10, 2)
        ide.w(CMD, 0x30)
        st = ide.pio_out(new)
        check_eq(st & (ST_ERR | DRQ), 0, "WRITE SECTORS done (0x%02x)" % st)
        check_eq(read_file(path, 10 * SECTOR, 2 * SECTOR), new, "file after WRITE SECTORS")
        check_eq(read_file(path, 12 * SECTOR, SECTOR), pattern(13 * SECTOR, 1)[12 * SECTOR:],
                 "next sector untouched")


def test_pio_multiple():
    qt, ide, path = start()
    with qt:
        ide.w(NSECT, 4)
        ide.select()
        check_eq(ide.command(0xc6) & ST_ERR, 0, "SET MULTIPLE 4")
        ide.w(NSECT, 3)
        check(ide.command(0xc6) & ST_ERR, "SET MULTIPLE 3 is not a power of two")
        ide.lba28(100, 10)
        ide.w(CMD, 0xc4)
        data = ide.pio_in(10 * SECTOR, block=4 * SECTOR)
        check_eq(data, read_file(path, 100 * SECTOR, 10 * SECTOR), "READ MULTIPLE")
        new = pattern(6 * SECTOR, 5)
        ide.lba28(200, 6)
        ide.w(CMD, 0xc5)
        ide.pio_out(new, block=4 * SECTOR)
        check_eq(read_file(path, 200 * SECTOR, 6 * SECTOR), new, "WRITE MULTIPLE")


def test_chs():
    qt, ide, path = start()
    with qt:
        # Cylinder 1, head 2, sector 5 with 16 heads and 63 sectors per track.
        lba = (1 * 16 + 2) * 63 + 4
        ide.w(NSECT, 1)
        ide.w(LBAL, 5)
        ide.w(LBAM, 1)
        ide.w(LBAH, 0)
        ide.select(lba=False, head=2)
        ide.w(CMD, 0x20)
        check_eq(ide.pio_in(SECTOR), read_file(path, lba * SECTOR, SECTOR), "CHS read")
        # INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors.
        ide.w(NSECT, 17)
        ide.select(lba=False, head=3)
        check_eq(ide.command(0x91) & ST_ERR, 0, "INITIALIZE DEVICE PARAMETERS")
        w = ide.identify()
        check_eq((w[55], w[56]), (4, 17), "current heads and sectors")
        lba = (2 * 4 + 3) * 17 + 16
        ide.w(NSECT, 1)
        ide.w(LBAL, 17)
        ide.w(LBAM, 2)
        ide.w(LBAH, 0)
        ide.select(lba=False, head=3)
        ide.w(CMD, 0x20)
        check_eq(ide.pio_in(SECTOR), read_file(path, lba * SECTOR, SECTOR), "new CHS read")


def test_lba48():
    # A sparse image past 2^28 sectors: LBA28 cannot reach the end.
    path = temp_path("big.img")
    total = (1 << 28) + 4096
    with open(path, "wb") as f:
        f.truncate(total * SECTOR)
    qt = QTest(drive_arg(path, 0))
    with qt:
        setup_pci(qt)
        ide = Ide(qt)
        w = ide.identify()
        check_eq(w[60] | (w[61] << 16), 0x0fffffff, "LBA28 capacity capped")
        got = w[100] | (w[101] << 16) | (w[102] << 32)
        check_eq(got, total, "LBA48 capacity")
        lba = (1 << 28) + 100
        new = pattern(2 * SECTOR, 48)
        ide.lba48(lba, 2)
        ide.w(CMD, 0x34)
        ide.pio_out(new)
        check_eq(read_file(path, lba * SECTOR, 2 * SECTOR), new, "WRITE SECTORS EXT in the file")
        ide.lba48(lba, 2)
        ide.w(CMD, 0x24)
        check_eq(ide.pio_in(2 * SECTOR), new, "READ SECTORS EXT")
        # HOB reads back the high bytes.
        ide.lba48(0x123456789a, 1)
        qt.outb(PRI_CTL, 0x80)
        check_eq(ide.r(LBAL), 0x34, "HOB LBA low = bits 24-31")
        check_eq(ide.r(LBAM), 0x12, "HOB LBA mid = bits 32-39")
        qt.outb(PRI_CTL, 0x00)
        check_eq(ide.r(LBAL), 0x9a, "LBA low")
        # Beyond the end: IDNF.
        ide.lba48(total - 1, 2)
        st = ide.command(0x24)
        check(st & ST_ERR, "READ EXT past the end fails")
        check_eq(ide.r(ERR), IDNF, "IDNF")


def test_errors():
    qt, ide, _ = start()
    with qt:
        ide.lba28(DISK_SECTORS - 1, 2)
        st = ide.command(0x20)
        check_eq(st & (ST_ERR | DRQ), ST_ERR, "out-of-range READ SECTORS")
        check_eq(ide.r(ERR), IDNF, "error register IDNF")
        check_eq(qt.irq_get(14), 1, "error raises INTRQ")
        ide.r(STATUS)
        check_eq(qt.irq_get(14), 0, "status read acknowledges")
        ide.lba28(DISK_SECTORS, 1)
        st = ide.command(0x40)
        check(st & ST_ERR and ide.r(ERR) == IDNF, "READ VERIFY out of range")
        ide.lba28(0, 8)
        check_eq(ide.command(0x40) & ST_ERR, 0, "READ VERIFY in range")
        ide.select()
        st = ide.command(0x00)
        check(st & ST_ERR and ide.r(ERR) == ABRT, "NOP / unknown command aborts")
        st = ide.command(0xa1)
        check(st & ST_ERR and ide.r(ERR) == ABRT, "IDENTIFY PACKET on a disk aborts")
        st = ide.command(0x08)
        check(st & ST_ERR and ide.r(ERR) == ABRT, "DEVICE RESET on a disk aborts")
        # Power management.
        check_eq(ide.command(0xe0) & ST_ERR, 0, "STANDBY IMMEDIATE")
        ide.command(0xe5)
        check_eq(ide.r(NSECT), 0x00, "CHECK POWER MODE: standby")
        ide.command(0xe1)
        ide.command(0xe5)
        check_eq(ide.r(NSECT), 0xff, "CHECK POWER MODE: active")
        check_eq(ide.command(0xe7) & ST_ERR, 0, "FLUSH CACHE")
        check_eq(ide.command(0xea) & ST_ERR, 0, "FLUSH CACHE EXT")
        # nIEN masks INTRQ.
        qt.outb(PRI_CTL, NIEN)
        ide.command(0xe5)
        check_eq(qt.irq_get(14), 0, "nIEN keeps INTRQ low")
        qt.outb(PRI_CTL, 0)
        check_eq(qt.irq_get(14), 1, "pending interrupt shows when nIEN clears")


def test_soft_reset():
    qt, ide, _ = start()
    with qt:
        ide.lba28(0, 4)
        ide.w(CMD, 0x20)
        ide.wait()
        check(ide.alt() & DRQ, "mid-transfer")
        qt.outb(PRI_CTL, SRST)
        check_eq(ide.alt(), BSY, "BSY while SRST is set")
        ide.select(1)
        qt.outb(PRI_CTL, 0)
        check_eq(ide.alt(), DRDY | DSC, "ready after reset, master selected")
        check_eq([ide.r(r) for r in (NSECT, LBAL, LBAM, LBAH)], [1, 1, 0, 0], "ATA signature")
        check_eq(ide.r(ERR), 0x01, "diagnostic code")
        check_eq(ide.r(DEV) & 0x10, 0, "master selected")
        check_eq(qt.irq_get(14), 0, "no interrupt from soft reset")


def test_dma_read_write():
    qt, ide, path = start()
    with qt:
        # Two PRD entries: 1.5 KiB + 2.5 KiB (8 sectors).
        put_prd(qt, [(BUF, 1536, False), (BUF + 0x3000, 2560, True)])
        dma_cmd(ide, 0xc8, 40, 8)
        bm_start(qt, to_memory=True)
        st = ide.wait("READ DMA")
        qt.outb(BMBASE, 0)
        check_eq(st & (ST_ERR | DRQ), 0, "READ DMA status")
        check_eq(bm_status(qt), BM_INTR, "BM status: interrupt, not active")
        check_eq(qt.irq_get(14), 1, "IRQ 14")
        want = read_file(path, 40 * SECTOR, 8 * SECTOR)
        got = qt.memread(BUF, 1536) + qt.memread(BUF + 0x3000, 2560)
        check_eq(got, want, "READ DMA data")
        # WRITE DMA of 8 sectors from one entry.
        new = pattern(8 * SECTOR, 77)
        qt.memwrite(BUF, new)
        put_prd(qt, [(BUF, 4096, True)])
        ide.r(STATUS)
        dma_cmd(ide, 0xca, 300, 8)
        bm_start(qt, to_memory=False)
        st = ide.wait("WRITE DMA")
        qt.outb(BMBASE, 0)
        check_eq(st & ST_ERR, 0, "WRITE DMA status")
        check_eq(bm_status(qt), BM_INTR, "BM status after write")
        check_eq(read_file(path, 300 * SECTOR, 8 * SECTOR), new, "file after WRITE DMA")
        # READ DMA EXT across several 128 KiB chunks.
        put_prd(qt, [(BUF + i * 0x10000, 0x10000, i == 5) for i in range(6)])
        dma_cmd(ide, 0x25, 1000, 768, ext=True)
        bm_start(qt, to_memory=True)
        st = ide.wait("READ DMA EXT")
        qt.outb(BMBASE, 0)
        check_eq(st & ST_ERR, 0, "READ DMA EXT status")
        check_eq(qt.memread(BUF, 768 * SECTOR), read_file(path, 1000 * SECTOR, 768 * SECTOR),
                 "READ DMA EXT data (byte count 0 = 64 KiB)")
        check_eq(bm_status(qt), BM_INTR, "table used up exactly")


def test_dma_prd_edges():
    qt, ide, path = start()
    with qt:
        # Table longer than the transfer: interrupt with Active still set.
        put_prd(qt, [(BUF, 4096, False), (BUF + 0x2000, 4096, True)])
        dma_cmd(ide, 0xc8, 0, 8)
        bm_start(qt, to_memory=True)
        ide.wait()
        check_eq(bm_status(qt), BM_INTR | BM_ACTIVE, "PRD longer than transfer")
        qt.outb(BMBASE, 0)
        check_eq(bm_status(qt) & BM_ACTIVE, 0, "stop clears Active")
        ide.r(STATUS)
        # Table crossing a page, data crossing a page, odd count rounded down.
        table = 0x30ff8
        put_prd(qt, [(BUF + 0xf00, 2048 + 1, False), (BUF + 0x5000, 2048, True)], table=table)
        qt.memwrite(BUF, bytes(0x6000))
        dma_cmd(ide, 0xc8, 16, 8)
        bm_start(qt, to_memory=True, table=table)
        st = ide.wait()
        qt.outb(BMBASE, 0)
        check_eq(st & ST_ERR, 0, "page-crossing table")
        got = qt.memread(BUF + 0xf00, 2048) + qt.memread(BUF + 0x5000, 2048)
        check_eq(got, read_file(path, 16 * SECTOR, 8 * SECTOR), "page-crossing data")
        check_eq(bm_status(qt), BM_INTR, "status after page-crossing table")
        ide.r(STATUS)
        # Table shorter than the transfer: neither Active nor Interrupt, DRQ stays.
        put_prd(qt, [(BUF, 2048, True)])
        dma_cmd(ide, 0xc8, 0, 8)
        bm_start(qt, to_memory=True)
        st = ide.wait()
        check_eq(bm_status(qt), 0, "PRD shorter than transfer")
        check(st & DRQ, "drive still wants to transfer")
        check_eq(qt.irq_get(14), 0, "no interrupt")
        qt.outb(BMBASE, 0)
        qt.outb(PRI_CTL, SRST)
        qt.outb(PRI_CTL, 0)
        check_eq(ide.alt(), DRDY | DSC, "soft reset recovers")
        # No EOT anywhere: the walk stops after the 64 KiB the table may span.
        qt.memwrite(PRD_TABLE, struct.pack("<IHH", BUF, 2, 0) * 8192)
        dma_cmd(ide, 0xc8, 0, 128)
        bm_start(qt, to_memory=True)
        st = ide.wait()
        check_eq(bm_status(qt), 0, "missing EOT: table exhausted")
        check(st & DRQ, "transfer incomplete")
        qt.outb(BMBASE, 0)
        qt.outb(PRI_CTL, SRST)
        qt.outb(PRI_CTL, 0)
        # DMA into unassigned memory: bus-master error, the command fails.
        put_prd(qt, [(0xd0000000, 4096, True)])
        dma_cmd(ide, 0xc8, 0, 8)
        bm_start(qt, to_memory=True)
        st = ide.wait()
        qt.outb(BMBASE, 0)
        check_eq(bm_status(qt), BM_ERROR | BM_INTR, "BM error for unassigned memory")
        check(st & ST_ERR and ide.r(ERR) & ABRT, "command aborted (0x%02x)" % st)
        # WRITE DMA from unassigned memory: nothing reaches the file.
        before = read_file(path, 0, 8 * SECTOR)
        ide.r(STATUS)
        dma_cmd(ide, 0xca, 0, 8)
        bm_start(qt, to_memory=False)
        st = ide.wait()
        qt.outb(BMBASE, 0)
        check(st & ST_ERR, "WRITE DMA from unassigned memory fails")
        check_eq(read_file(path, 0, 8 * SECTOR), before, "file untouched")
        # Bus mastering off in PCI: nothing moves until it is on.
        cfg_write(qt, IDE, 0x04, 0x0001, 2)
        put_prd(qt, [(BUF, 4096, True)])
        qt.memwrite(BUF, bytes(4096))
        dma_cmd(ide, 0xc8, 8, 8)
        bm_start(qt, to_memory=True)
        ide.wait()
        check_eq(qt.memread(BUF, 16), bytes(16), "no DMA without bus mastering")
        qt.outb(BMBASE, 0)
        cfg_write(qt, IDE, 0x04, 0x0005, 2)
        bm_start(qt, to_memory=True)
        ide.wait()
        qt.outb(BMBASE, 0)
        check_eq(qt.memread(BUF, 4096), read_file(path, 8 * SECTOR, 4096), "DMA once enabled")


# ---------------------------------------------------------------------------
# ATAPI

TUR, REQ_SENSE, INQUIRY, START_STOP, PREVENT = 0x00, 0x03, 0x12, 0x1b, 0x1e
READ_CAP, READ10, READ_TOC, GET_CONFIG, GESN = 0x25, 0x28, 0x43, 0x46, 0x4a
READ_DISC_INFO, MODE_SENSE10, READ12 = 0x51, 0x5a, 0xa8
CD_SECTORS = 300


class Atapi(Ide):
    def packet(self, cdb, limit=0xfffe, dma=False, unit=0):
        """Send a 12-byte packet; returns (data, status, error) for a PIO data-in command."""
        cdb = bytes(cdb) + bytes(12 - len(cdb))
        self.w(FEAT, 1 if dma else 0)
        self.w(LBAM, limit & 0xff)
        self.w(LBAH, limit >> 8)
        self.select(unit, lba=False)
        self.w(CMD, 0xa0)
        st = self.wait("PACKET")
        check(st & DRQ, "DRQ for the packet (0x%02x)" % st)
        check_eq(self.r(NSECT) & 3, 1, "interrupt reason: command")
        for i in range(0, 12, 2):
            self.qt.outw(self.base, cdb[i] | (cdb[i + 1] << 8))
        data = b""
        while True:
            st = self.wait("packet command")
            self.r(STATUS)
            if not st & DRQ or dma:
                break
            check_eq(self.r(NSECT) & 3, 2, "interrupt reason: data in")
            n = self.r(LBAM) | (self.r(LBAH) << 8)
            check(0 < n <= (limit & ~1 if limit not in (0, 0xffff) else 0xfffe),
                  "piece of %d bytes within the limit %d" % (n, limit))
            for _ in range((n + 1) // 2):
                data += struct.pack("<H", self.qt.inw(self.base))
        if not dma:
            check_eq(self.r(NSECT) & 3, 3, "interrupt reason: completion")
        return data, st, self.r(ERR)

    def ok(self, cdb, **kw):
        data, st, err = self.packet(cdb, **kw)
        check_eq(st & ST_ERR, 0, "command 0x%02x good (error 0x%02x)" % (cdb[0], err))
        return data

    def sense(self):
        s = self.ok([REQ_SENSE, 0, 0, 0, 18])
        return s[2] & 0xf, s[12], s[13]


def cd_start(with_qmp=False, hmp=False, iso=True):
    path = make_image("cd.iso", CD_SECTORS * 2048, 7) if iso else None
    extra = ["-drive", "if=ide,index=2,media=cdrom" + (",file=%s,format=raw" % path if iso else "")]
    sock = None
    if with_qmp or hmp:
        sock = unix_socket_path("mon")
        extra += ["-qmp" if with_qmp else "-monitor", "unix:%s,server=on,wait=off" % sock]
    qt = QTest(extra)
    setup_pci(qt)
    mon = None
    if sock:
        if with_qmp:
            mon = Qmp(connect_unix(sock))
            mon.negotiate()
        else:
            mon = Hmp(connect_unix(sock))
            mon.greet()
    return qt, Atapi(qt, SEC, SEC_CTL), path, mon


def test_atapi_identify_and_signature():
    qt, cd, _, _ = cd_start()
    with qt:
        check_eq([cd.r(r) for r in (NSECT, LBAL, LBAM, LBAH)], [1, 1, 0x14, 0xeb],
                 "ATAPI signature at power-on")
        cd.select()
        st = cd.command(0xec)
        check(st & ST_ERR and cd.r(ERR) & ABRT, "IDENTIFY DEVICE aborted by ATAPI")
        check_eq((cd.r(LBAM), cd.r(LBAH)), (0x14, 0xeb), "signature after aborted IDENTIFY")
        w = cd.identify(0xa1)
        check_eq(w[0], 0x85c0, "word 0: ATAPI CD-ROM, removable")
        check_eq(ide_string(w, 27, 20), "OSPREY DVD-ROM", "model")
        check(w[82] & (1 << 4), "PACKET feature set")
        cd.select()
        st = cd.command(0x08)
        check_eq(st & ST_ERR, 0, "DEVICE RESET")
        check_eq((cd.r(LBAM), cd.r(LBAH)), (0x14, 0xeb), "signature after DEVICE RESET")


def test_atapi_commands():
    qt, cd, path, _ = cd_start()
    with qt:
        inq = cd.ok([INQUIRY, 0, 0, 0, 36])
        check_eq(inq[0], 0x05, "INQUIRY: CD/DVD device")
        check_eq(inq[1], 0x80, "INQUIRY: removable")
        check_eq(inq[8:16], b"OSPREY  ", "vendor")
        check_eq(cd.ok([INQUIRY, 0, 0, 0, 5]), inq[:5] + b"\0", "allocation length 5")
        cap = cd.ok([READ_CAP])
        check_eq(struct.unpack(">II", cap), (CD_SECTORS - 1, 2048), "READ CAPACITY")
        data = cd.ok([READ10, 0, 0, 0, 0, 10, 0, 0, 3])
        check_eq(data, read_file(path, 10 * 2048, 3 * 2048), "READ(10)")
        # Small byte count limit: many pieces.
        data = cd.ok([READ12, 0, 0, 0, 0, 20, 0, 0, 0, 2], limit=1001)
        check_eq(data, read_file(path, 20 * 2048, 2 * 2048), "READ(12) in 1000-byte pieces")
        # Reads larger than the bounce buffer.
        data = cd.ok([READ10, 0, 0, 0, 0, 0, 0, 0, 100])
        check_eq(data, read_file(path, 0, 100 * 2048), "READ(10) of 200 KiB")
        _, st, err = cd.packet([READ10, 0, 0, 0, 1, 0x2c, 0, 0, 1])  # LBA 300 = end
        check(st & ST_ERR, "READ past the end fails")
        check_eq(err >> 4, 5, "ILLEGAL REQUEST in the error register")
        check_eq(cd.sense(), (5, 0x21, 0), "sense: LBA out of range")
        check_eq(cd.sense(), (0, 0, 0), "sense cleared after REQUEST SENSE")
        toc = cd.ok([READ_TOC, 0, 0, 0, 0, 0, 0, 0, 100])
        check_eq(toc[:4], bytes([0, 18, 1, 1]), "TOC header")
        check_eq(toc[4:12], bytes([0, 0x14, 1, 0, 0, 0, 0, 0]), "track 1 at LBA 0")
        check_eq(toc[12:20], bytes([0, 0x14, 0xaa, 0]) + struct.pack(">I", CD_SECTORS),
                 "lead-out")
        toc = cd.ok([READ_TOC, 2, 0, 0, 0, 0, 0, 0, 100])
        check_eq(toc[8:12], bytes([0, 0, 2, 0]), "track 1 at MSF 00:02:00")
        check_eq(toc[16:20], bytes([0, 0, 6, 0]), "lead-out at MSF 00:06:00 (300+150 frames)")
        sess = cd.ok([READ_TOC, 0, 1, 0, 0, 0, 0, 0, 12])
        check_eq(sess, bytes([0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]), "TOC format 1")
        _, st, _ = cd.packet([READ_TOC, 0, 5, 0, 0, 0, 0, 0, 12])
        check(st & ST_ERR, "TOC format 5 is refused")
        cd.sense()
        ms = cd.ok([MODE_SENSE10, 0, 0x2a, 0, 0, 0, 0, 0, 64])
        check_eq(len(ms), 28, "MODE SENSE capabilities page length")
        check_eq(ms[8], 0x2a, "page 2Ah")
        check_eq(struct.unpack(">H", ms[:2])[0], 26, "mode data length")
        _, st, _ = cd.packet([MODE_SENSE10, 0, 0xc0 | 0x2a, 0, 0, 0, 0, 0, 64])
        check_eq(cd.sense(), (5, 0x39, 0), "saved values not supported")
        gc = cd.ok([GET_CONFIG, 0, 0, 0, 0, 0, 0, 0, 64])
        check_eq(struct.unpack(">H", gc[6:8])[0], 0x0008, "current profile CD-ROM")
        check_eq(struct.unpack(">H", gc[8:10])[0], 0, "first feature: profile list")
        gc = cd.ok([GET_CONFIG, 2, 0, 3, 0, 0, 0, 0, 64])
        check_eq(len(gc), 16, "RT=2 gives exactly one feature")
        check_eq(struct.unpack(">H", gc[8:10])[0], 3, "removable medium feature")
        di = cd.ok([READ_DISC_INFO, 0, 0, 0, 0, 0, 0, 0, 34])
        check_eq(di[:4], bytes([0, 32, 0x0e, 1]), "disc information")
        _, st, _ = cd.packet([0xff])
        check_eq(cd.sense(), (5, 0x20, 0), "unknown opcode")
        # ATAPI READ(10) by DMA.
        put_prd(qt, [(BUF, 4 * 2048, True)], table=PRD_TABLE)
        qt.outl(BMBASE + 8 + 4, PRD_TABLE)
        qt.outb(BMBASE + 8 + 2, BM_INTR | BM_ERROR)
        qt.outb(BMBASE + 8, BM_START | BM_READ)
        cd.packet([READ10, 0, 0, 0, 0, 50, 0, 0, 4], dma=True)
        qt.outb(BMBASE + 8, 0)
        check_eq(qt.inb(BMBASE + 8 + 2), BM_INTR, "ATAPI DMA status")
        check_eq(qt.memread(BUF, 4 * 2048), read_file(path, 50 * 2048, 4 * 2048),
                 "READ(10) by DMA")
        check_eq(cd.r(NSECT) & 3, 3, "completion after DMA")


def test_atapi_media_change_qmp():
    qt, cd, _, qmp = cd_start(with_qmp=True)
    with qt:
        blocks = {b["device"]: b for b in qmp.ok("query-block")}
        check(set(blocks) == {"ide1-cd0"}, "query-block drives: %r" % list(blocks))
        check_eq(blocks["ide1-cd0"]["removable"], True, "removable")
        check("inserted" in blocks["ide1-cd0"], "medium inserted")
        cd.ok([TUR])
        # Eject by the guest: START STOP UNIT with LoEj.
        cd.ok([START_STOP, 0, 0, 0, 0x02])
        _, st, _ = cd.packet([TUR])
        check(st & ST_ERR, "TUR after eject fails")
        check_eq(cd.sense(), (2, 0x3a, 0), "medium not present")
        b = qmp.ok("query-block")[0]
        check("inserted" not in b and b["tray_open"], "query-block after guest eject: %r" % b)
        # A new medium from the monitor: unit attention once, then ready.
        other = make_image("other.iso", 100 * 2048, 9)
        qmp.ok("blockdev-change-medium", {"device": "ide1-cd0", "filename": other,
                                          "format": "raw"})
        ev = cd.ok([GESN, 1, 0, 0, 0x10, 0, 0, 0, 8])
        check_eq(ev[2:6], bytes([4, 0x10, 2, 2]), "GESN: new media, present")
        _, st, err = cd.packet([TUR])
        check(st & ST_ERR and err >> 4 == 6, "UNIT ATTENTION after change")
        check_eq(cd.sense(), (6, 0x28, 0), "sense: medium may have changed")
        cd.ok([TUR])
        cap = cd.ok([READ_CAP])
        check_eq(struct.unpack(">I", cap[:4])[0], 99, "capacity of the new disc")
        check_eq(cd.ok([READ10, 0, 0, 0, 0, 1, 0, 0, 1]), read_file(other, 2048, 2048),
                 "data of the new disc")
        # A locked tray refuses the monitor's eject unless forced.
        cd.ok([PREVENT, 0, 0, 0, 1])
        err = qmp.error("eject", {"device": "ide1-cd0"})
        check("locked" in err["desc"], "eject of a locked tray: %r" % err)
        _, st, _ = cd.packet([START_STOP, 0, 0, 0, 0x02])
        check_eq(cd.sense(), (5, 0x53, 2), "guest eject while locked")
        qmp.ok("eject", {"device": "ide1-cd0", "force": True})
        check("inserted" not in qmp.ok("query-block")[0], "forced eject")
        err = qmp.error("eject", {"device": "nope"})
        check("not found" in err["desc"], "unknown device: %r" % err)


def test_atapi_monitor_hmp():
    qt, cd, path, hmp = cd_start(hmp=True)
    with qt:
        out = hmp.run("info block")
        check("ide1-cd0: %s" % path in out, "info block names the image: %r" % out)
        check("not locked, tray closed" in out, "tray state: %r" % out)
        hmp.run("eject ide1-cd0")
        out = hmp.run("info block")
        check("ide1-cd0: [not inserted]" in out, "after eject: %r" % out)
        _, st, _ = cd.packet([TUR])
        check_eq(cd.sense(), (2, 0x3a, 0), "guest sees no medium")
        hmp.run("change ide1-cd0 %s raw" % path)
        _, st, _ = cd.packet([TUR])
        check_eq(cd.sense(), (6, 0x28, 0), "unit attention after change")
        check_eq(cd.ok([READ10, 0, 0, 0, 0, 3, 0, 0, 1]), read_file(path, 3 * 2048, 2048),
                 "reads after change")
        out = hmp.run("eject ide0-hd0")
        check("not found" in out, "no such drive: %r" % out)


def test_default_cdrom():
    # Without -nodefaults the board adds an empty CD-ROM at ide1-cd0, as QEMU does.
    sock = unix_socket_path("qmp")
    qt = QTest(["-qmp", "unix:%s,server=on,wait=off" % sock],
               base_args=["-accel", "qtest", "-qtest", "stdio", "-display", "none"])
    with qt:
        qmp = Qmp(connect_unix(sock))
        qmp.negotiate()
        blocks = qmp.ok("query-block")
        check_eq([b["device"] for b in blocks], ["ide1-cd0"], "default drives")
        check("inserted" not in blocks[0], "empty")
        cd = Atapi(qt, SEC, SEC_CTL)
        _, st, _ = cd.packet([TUR])
        check_eq(cd.sense(), (2, 0x3a, 0), "no medium")
    with QTest() as qt:
        qt.outb(SEC + DEV, 0xa0)
        check_eq(qt.inb(SEC + STATUS), 0, "-nodefaults: no CD-ROM")


def test_hostile_registers():
    """Random register traffic, commands, PRD tables and DMA starts: the emulator survives
    (ASan watches in the sanitizer build) and the drive still works after a soft reset."""
    import random
    rng = random.Random(1234)
    qt, ide, path = start(extra=drive_arg(make_image("cd-h.iso", 64 * 2048, 3), 2, "cdrom"))
    with qt:
        ports = [PRI + i for i in range(8)] + [SEC + i for i in range(8)] + \
            [PRI_CTL, SEC_CTL] + [BMBASE + i for i in range(16)]
        cmds = [0x20, 0x24, 0x25, 0x30, 0x35, 0xc4, 0xc5, 0xc8, 0xca, 0xa0, 0xa1, 0xec, 0xef,
                0x91, 0xc6, 0x40, 0xe7, 0x08, 0x90]
        for i in range(1500):
            if i % 100 == 0:
                qt.memwrite(PRD_TABLE, bytes(rng.getrandbits(8) for _ in range(64)))
            port = rng.choice(ports)
            op = rng.random()
            if op < 0.45:
                qt.outb(port, rng.getrandbits(8))
            elif op < 0.6:
                qt.outb(rng.choice((PRI, SEC)) + CMD, rng.choice(cmds))
            elif op < 0.7:
                qt.outl(rng.choice((PRI, SEC)), rng.getrandbits(32))
            elif op < 0.8:
                qt.outl(rng.choice((BMBASE + 4, BMBASE + 12)), PRD_TABLE)
            else:
                qt.inw(port & ~1)
        qt.outb(BMBASE, 0)
        qt.outb(PRI_CTL, SRST)
        qt.outb(PRI_CTL, 0)
        ide.wait()
        ide.lba28(7, 1)
        ide.w(CMD, 0x20)
        check_eq(ide.pio_in(SECTOR), read_file(path, 7 * SECTOR, SECTOR),
                 "the disk works after the storm")


if __name__ == "__main__":
    run_cases([
        ("ide/pci-ids", test_pci_ids),
        ("ide/identify", test_identify),
        ("ide/pio-read-write", test_pio_read_write),
        ("ide/pio-multiple", test_pio_multiple),
        ("ide/chs", test_chs),
        ("ide/lba48", test_lba48),
        ("ide/errors", test_errors),
        ("ide/soft-reset", test_soft_reset),
        ("ide/dma-read-write", test_dma_read_write),
        ("ide/dma-prd-edges", test_dma_prd_edges),
        ("ide/atapi-identify", test_atapi_identify_and_signature),
        ("ide/atapi-commands", test_atapi_commands),
        ("ide/atapi-media-change-qmp", test_atapi_media_change_qmp),
        ("ide/atapi-monitor-hmp", test_atapi_monitor_hmp),
        ("ide/default-cdrom", test_default_cdrom),
        ("ide/hostile-registers", test_hostile_registers),
    ])
