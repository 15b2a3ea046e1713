#!/usr/bin/env python3
"""fw_cfg at register level over qtest: the port interface at 0x510/0x511, the DMA
interface at 0x514, the standard items, the file directory, etc/e820, and the
kernel items a -kernel/-append run provides.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "boot"))
from qtest import QTest, check, check_eq, run_cases, temp_path  # noqa: E402
from bootimg import make_bzimage  # noqa: E402

SEL, DATA, DMA_HI, DMA_LO = 0x510, 0x511, 0x514, 0x518
K_SIGNATURE, K_ID, K_UUID, K_RAM_SIZE, K_NB_CPUS, K_MAX_CPUS = 0, 1, 2, 3, 5, 0xf
K_KERNEL_SIZE, K_CMDLINE_ADDR, K_CMDLINE_SIZE, K_CMDLINE_DATA = 8, 0x13, 0x14, 0x15
K_SETUP_SIZE, K_FILE_DIR = 0x17, 0x19
CTL_ERROR, CTL_READ, CTL_SKIP, CTL_SELECT, CTL_WRITE = 1, 2, 4, 8, 0x10
DESC = 0x1000  # where the tests put the DMA descriptor in guest RAM


def bswap32(v):
    return struct.unpack(">I", struct.pack("<I", v))[0]


def read_item(qt, key, n):
    qt.outw(SEL, key)
    return bytes(qt.inb(DATA) for _ in range(n))


def read_dir(qt):
    count = struct.unpack(">I", read_item(qt, K_FILE_DIR, 4))[0]
    files = {}
    order = []
    for _ in range(count):
        ent = bytes(qt.inb(DATA) for _ in range(64))
        size, select = struct.unpack(">IH", ent[:6])
        name = ent[8:].split(b"\0")[0].decode()
        files[name] = (select, size)
        order.append(name)
    return files, order


def read_file(qt, name):
    files, _ = read_dir(qt)
    check(name in files, "%s missing from the directory %r" % (name, sorted(files)))
    select, size = files[name]
    return read_item(qt, select, size)


def dma(qt, control, length, addr, desc=DESC):
    """Run one DMA descriptor; returns the control word the device wrote back."""
    qt.memwrite(desc, struct.pack(">IIQ", control, length, addr))
    qt.outl(DMA_HI, bswap32(desc >> 32))
    qt.outl(DMA_LO, bswap32(desc & 0xffffffff))
    return struct.unpack(">I", qt.memread(desc, 4))[0]


def parse_e820(blob):
    check_eq(len(blob) % 20, 0, "etc/e820 size is a multiple of 20")
    return [struct.unpack("<QQI", blob[i:i + 20]) for i in range(0, len(blob), 20)]


def test_signature_and_id():
    with QTest() as qt:
        check_eq(read_item(qt, K_SIGNATURE, 4), b"QEMU", "signature")
        check_eq(struct.unpack("<I", read_item(qt, K_ID, 4))[0], 3, "ID (traditional | DMA)")
        # Past the end of an item the data port reads 0.
        check_eq(read_item(qt, K_SIGNATURE, 6), b"QEMU\0\0", "signature read past its end")
        # Selecting again starts from the beginning.
        check_eq(read_item(qt, K_SIGNATURE, 2), b"QE", "reselect restarts")
        check_eq(read_item(qt, 0x7ff0, 2), b"\0\0", "an unknown key reads zeros")
        check_eq(read_item(qt, K_UUID, 16), bytes(16), "UUID")


def test_dma_signature_port():
    with QTest() as qt:
        sig = b"".join(struct.pack("<I", qt.inl(p)) for p in (DMA_HI, DMA_LO))
        check_eq(sig, b"QEMU CFG", "DMA port signature")
        check_eq(qt.inb(DMA_HI), ord("Q"), "byte read of the DMA port")


def test_ram_and_cpus():
    with QTest(["-m", "128", "-smp", "2"]) as qt:
        check_eq(struct.unpack("<Q", read_item(qt, K_RAM_SIZE, 8))[0], 128 << 20, "RAM size")
        check_eq(struct.unpack("<H", read_item(qt, K_NB_CPUS, 2))[0], 2, "NB_CPUS")
        check_eq(struct.unpack("<H", read_item(qt, K_MAX_CPUS, 2))[0], 2, "MAX_CPUS")
    with QTest(["-m", "5G"]) as qt:
        check_eq(struct.unpack("<Q", read_item(qt, K_RAM_SIZE, 8))[0], 5 << 30, "RAM size 5G")


def test_file_directory():
    with QTest() as qt:
        files, order = read_dir(qt)
        for name in ("etc/e820", "bootorder", "etc/boot-fail-wait"):
            check(name in files, "%s missing from %r" % (name, order))
        check_eq(order, sorted(order), "directory sorted by name")
        selects = sorted(sel for sel, _ in files.values())
        check(selects[0] >= 0x20, "file selectors start at 0x20: %r" % selects)
        check_eq(len(set(selects)), len(selects), "distinct selectors")
        check_eq(files["bootorder"][1], 0, "bootorder is empty without bootable devices")
        check_eq(read_file(qt, "etc/boot-fail-wait"), b"\xff\xff\xff\xff", "boot-fail-wait")
        # The size in the directory is the item's real length: one byte further reads 0.
        sel, size = files["etc/e820"]
        data = read_item(qt, sel, size + 4)
        check_eq(data[size:], bytes(4), "bytes after etc/e820")


def check_map(entries, total):
    ram = 0
    last_end = 0
    for addr, length, typ in entries:
        check(length > 0, "empty e820 entry %r" % ((addr, length, typ),))
        check(addr >= last_end, "overlapping or unsorted e820 entries %r" % entries)
        last_end = addr + length
        if typ == 1:
            ram += length
    check_eq(ram, total, "RAM in etc/e820")


def test_e820():
    with QTest(["-m", "128"]) as qt:
        entries = parse_e820(read_file(qt, "etc/e820"))
        check_eq(entries, [(0, 128 << 20, 1)], "etc/e820 for -m 128")
        check_map(entries, 128 << 20)
    with QTest(["-m", "5G"]) as qt:
        entries = parse_e820(read_file(qt, "etc/e820"))
        check_map(entries, 5 << 30)
        check_eq(entries, [(0, 0xc0000000, 1), (1 << 32, (5 << 30) - 0xc0000000, 1)],
                 "etc/e820 for -m 5G")


def test_dma_read():
    with QTest() as qt:
        qt.memwrite(0x2000, b"\xaa" * 8)
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_READ, 4, 0x2000)
        check_eq(ctl, 0, "control after DMA read")
        check_eq(qt.memread(0x2000, 8), b"QEMU\xaa\xaa\xaa\xaa", "signature by DMA")
        # A read past the item's end fills zeros and still succeeds.
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_READ, 8, 0x2000)
        check_eq(ctl, 0, "control after a read past the end")
        check_eq(qt.memread(0x2000, 8), b"QEMU\0\0\0\0", "zero fill past the end")
        # DMA and the data port share the read offset.
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_READ, 1, 0x2000)
        check_eq(ctl, 0, "one-byte DMA")
        check_eq(bytes(qt.inb(DATA) for _ in range(3)), b"EMU", "port continues after DMA")


def test_dma_skip_select():
    with QTest() as qt:
        files, order = read_dir(qt)
        first_size = files[order[0]][1]
        ctl = dma(qt, (K_FILE_DIR << 16) | CTL_SELECT | CTL_SKIP, 4, 0)
        check_eq(ctl, 0, "select + skip")
        ctl = dma(qt, CTL_READ, 4, 0x3000)
        check_eq(ctl, 0, "read after skip")
        check_eq(struct.unpack(">I", qt.memread(0x3000, 4))[0], first_size,
                 "first directory entry's size after skipping the count")
        # Select alone (no read/skip) just selects.
        check_eq(dma(qt, (K_ID << 16) | CTL_SELECT, 0, 0), 0, "select only")
        check_eq(qt.inb(DATA), 3, "ID via the port after DMA select")


def test_dma_hostile():
    with QTest(["-m", "64"]) as qt:
        # Huge length to an address beyond RAM: error bit, no crash.
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_READ, 0xffffffff,
                  0xfffffffffffff000)
        check(ctl & CTL_ERROR, "error bit for a DMA that wraps: 0x%x" % ctl)
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_READ, 0x1000, 0x100000000000)
        check(ctl & CTL_ERROR, "error bit for a DMA into unmapped space: 0x%x" % ctl)
        # A huge zero fill into RAM stops at the cap with the error bit.
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_READ, 0xffffffff, 0x200000)
        check(ctl & CTL_ERROR, "error bit for a 4 GiB read past the end: 0x%x" % ctl)
        # Writes are not allowed to any item.
        ctl = dma(qt, (K_SIGNATURE << 16) | CTL_SELECT | CTL_WRITE, 4, 0x2000)
        check(ctl & CTL_ERROR, "error bit for a DMA write: 0x%x" % ctl)
        check_eq(read_item(qt, K_SIGNATURE, 4), b"QEMU", "signature intact after a write")
        # A descriptor address beyond RAM: nothing to read, nothing written, no crash.
        qt.outl(DMA_HI, bswap32(0x10))
        qt.outl(DMA_LO, bswap32(0))
        # Odd-sized writes to the DMA and selector ports are ignored.
        qt.outb(DMA_LO, 0x12)
        qt.outb(SEL, 0x1)
        check_eq(read_item(qt, K_SIGNATURE, 4), b"QEMU", "still answering")


def test_kernel_cmdline_items():
    kernel = temp_path("bzImage")
    with open(kernel, "wb") as f:
        f.write(make_bzimage(b"\xf4" * 32))
    append = "console=ttyS0 root=/dev/fwcfg quiet"
    with QTest(["-m", "64", "-kernel", kernel, "-append", append]) as qt:
        size = struct.unpack("<I", read_item(qt, K_CMDLINE_SIZE, 4))[0]
        check_eq(size, len(append) + 1, "CMDLINE_SIZE")
        check_eq(read_item(qt, K_CMDLINE_DATA, size), append.encode() + b"\0", "CMDLINE_DATA")
        check_eq(struct.unpack("<I", read_item(qt, K_CMDLINE_ADDR, 4))[0], 0x20000,
                 "CMDLINE_ADDR")
        check_eq(struct.unpack("<I", read_item(qt, K_KERNEL_SIZE, 4))[0], 32, "KERNEL_SIZE")
        check_eq(struct.unpack("<I", read_item(qt, K_SETUP_SIZE, 4))[0], 1024, "SETUP_SIZE")
        # The direct boot put the zero page and the command line in RAM as well.
        check_eq(qt.memread(0x7000 + 0x202, 4), b"HdrS", "zero page header")
        check_eq(qt.readb(0x7000 + 0x210), 0xff, "type_of_loader")
        check_eq(qt.readl(0x7000 + 0x228), 0x20000, "cmd_line_ptr")
        check_eq(qt.memread(0x20000, len(append) + 1), append.encode() + b"\0",
                 "command line in RAM")


def test_kernel_with_bios():
    """With -bios the kernel goes to fw_cfg for the BIOS, and nothing is put in RAM."""
    kernel = temp_path("bzImage")
    with open(kernel, "wb") as f:
        f.write(make_bzimage(bytes(range(48))))
    initrd = temp_path("initrd")
    with open(initrd, "wb") as f:
        f.write(b"INITRD" * 1000)
    bios = temp_path("bios.bin")
    with open(bios, "wb") as f:
        f.write(bytes(65536))
    with QTest(["-m", "64", "-bios", bios, "-kernel", kernel, "-initrd", initrd,
                "-append", "root=/dev/sda"]) as qt:
        check_eq(struct.unpack("<I", read_item(qt, 0x16, 4))[0], 0x10000, "SETUP_ADDR")
        setup = read_item(qt, 0x18, 1024)
        check_eq(setup[0x202:0x206], b"HdrS", "SETUP_DATA header")
        check_eq(setup[0x210], 0xff, "type_of_loader in SETUP_DATA")
        check_eq(struct.unpack_from("<I", setup, 0x228)[0], 0x20000, "cmd_line_ptr")
        rd_addr = struct.unpack("<I", read_item(qt, 0x0a, 4))[0]
        check_eq(struct.unpack_from("<I", setup, 0x218)[0], rd_addr, "ramdisk_image")
        check_eq(struct.unpack_from("<I", setup, 0x21c)[0], 6000, "ramdisk_size")
        check_eq(rd_addr & 0xfff, 0, "initrd address page aligned")
        check(rd_addr + 6000 <= 64 << 20, "initrd below the end of RAM: 0x%x" % rd_addr)
        check_eq(struct.unpack("<I", read_item(qt, 0x0b, 4))[0], 6000, "INITRD_SIZE")
        check_eq(read_item(qt, 0x12, 6), b"INITRD", "INITRD_DATA")
        check_eq(struct.unpack("<I", read_item(qt, 0x07, 4))[0], 0x100000, "KERNEL_ADDR")
        check_eq(read_item(qt, 0x11, 48), bytes(range(48)), "KERNEL_DATA")
        check_eq(qt.memread(0x100000, 16), bytes(16), "no direct load with -bios")


if __name__ == "__main__":
    run_cases([
        ("fw_cfg/signature-id", test_signature_and_id),
        ("fw_cfg/dma-port-signature", test_dma_signature_port),
        ("fw_cfg/ram-cpus", test_ram_and_cpus),
        ("fw_cfg/file-directory", test_file_directory),
        ("fw_cfg/e820", test_e820),
        ("fw_cfg/dma-read", test_dma_read),
        ("fw_cfg/dma-skip-select", test_dma_skip_select),
        ("fw_cfg/dma-hostile", test_dma_hostile),
        ("fw_cfg/kernel-cmdline", test_kernel_cmdline_items),
        ("fw_cfg/kernel-with-bios", test_kernel_with_bios),
    ])
