#!/usr/bin/env python3
"""PCI at register level: configuration mechanism #1, the i440FX host bridge
(IDs, PAM shadowing, SMRAM), PIIX function IDs, and BARs of pci-testdev
(sizing, mapping with the command register, moving, rejecting RAM overlap)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases, temp_path  # noqa: E402
from pcilib import (CONFADD, CONFDATA, HOST, ISA, PM, cfg_read, cfg_write,  # noqa: E402
                    devfn)

TESTDEV = devfn(5)
MEM_BASE = 0xe0001000
IO_BASE = 0xc000


def test_config_mechanism():
    with QTest() as qt:
        check_eq(cfg_read(qt, HOST, 0x00), 0x12378086, "host bridge vendor/device dword")
        check_eq(cfg_read(qt, HOST, 0x00, 2), 0x8086, "vendor word at 0xcfc")
        check_eq(cfg_read(qt, HOST, 0x02, 2), 0x1237, "device word at 0xcfe")
        check_eq(cfg_read(qt, HOST, 0x01, 1), 0x80, "byte at 0xcfd")
        check_eq(cfg_read(qt, HOST, 0x03, 1), 0x12, "byte at 0xcff")
        check_eq(cfg_read(qt, HOST, 0x08), 0x06000002, "class 0600, revision 02")
        # The address register: only dwords; it reads back without bits 1:0.
        qt.outl(CONFADD, 0x80000003)
        check_eq(qt.inl(CONFADD), 0x80000000, "CONFADD readback")
        qt.outb(CONFADD, 0x00)
        qt.outw(CONFADD + 2, 0x0000)
        check_eq(qt.inl(CONFADD), 0x80000000, "byte/word writes do not touch CONFADD")
        check_eq(qt.inb(CONFADD), 0xff, "byte read of 0xcf8 floats")
        check_eq(qt.inw(CONFADD + 2), 0xffff, "word read of 0xcfa floats")
        # Enable bit clear: no configuration cycle.
        qt.outl(CONFADD, 0x00000000)
        check_eq(qt.inl(CONFDATA), 0xffffffff, "data with enable clear")
        # Writes at sub-offsets land on the right bytes (latency timer 0x0d).
        cfg_write(qt, HOST, 0x0d, 0x40, 1)
        check_eq(cfg_read(qt, HOST, 0x0c), 0x00004000, "byte write at 0xcfd")
        cfg_write(qt, HOST, 0x0e, 0xffff, 2)
        check_eq(cfg_read(qt, HOST, 0x0e, 1), 0x00, "header type is read-only")


def test_absent_functions():
    with QTest() as qt:
        check_eq(cfg_read(qt, devfn(3), 0x00), 0xffffffff, "empty slot 3")
        check_eq(cfg_read(qt, devfn(0, 1), 0x00), 0xffffffff, "00.1")
        check_eq(cfg_read(qt, devfn(1, 2), 0x00, 2), 0xffff, "01.2 (no USB), word")
        check_eq(cfg_read(qt, HOST, 0x00, bus=1), 0xffffffff, "bus 1")
        cfg_write(qt, devfn(3), 0x04, 0x7)  # must be ignored, not crash
        check_eq(cfg_read(qt, devfn(3), 0x04), 0xffffffff, "after a write")


def test_piix_ids():
    with QTest() as qt:
        check_eq(cfg_read(qt, ISA, 0x00), 0x70008086, "PIIX3 IDs")
        check_eq(cfg_read(qt, ISA, 0x0a, 2), 0x0601, "PIIX3 class")
        check_eq(cfg_read(qt, ISA, 0x0e, 1), 0x80, "PIIX3 header type: multi-function")
        check_eq(cfg_read(qt, PM, 0x00), 0x71138086, "PM IDs")
        check_eq(cfg_read(qt, PM, 0x08), 0x06800003, "PM class 0680, revision 03")


def start_testdev(extra=""):
    return QTest(["-device", "pci-testdev,addr=05.0" + extra])


def test_testdev_ids_and_default_slot():
    with start_testdev() as qt:
        check_eq(cfg_read(qt, TESTDEV, 0x00), 0x00051b36, "pci-testdev IDs")
        check_eq(cfg_read(qt, TESTDEV, 0x2c), 0x11001af4, "subsystem")
        check_eq(cfg_read(qt, TESTDEV, 0x04, 2), 0x0000, "command after reset")
    with QTest(["-device", "pci-testdev", "-device", "pci-testdev,id=t2"]) as qt:
        check_eq(cfg_read(qt, devfn(2), 0x00), 0x00051b36, "first free slot is 2")
        check_eq(cfg_read(qt, devfn(3), 0x00), 0x00051b36, "then 3")


def test_testdev_addr_errors():
    for spec, msg in (("addr=01.0", "already in use"), ("addr=20.0", "slot[.function]"),
                      ("addr=zz", "slot[.function]")):
        qt = QTest(["-device", "pci-testdev," + spec])
        status = qt.wait_exit()
        err = qt.stderr_text()
        qt.close()
        check(status != 0, "%s: exit status %d" % (spec, status))
        check(msg in err, "%s: stderr %r" % (spec, err))


def test_bar_sizing():
    with start_testdev() as qt:
        check_eq(cfg_read(qt, TESTDEV, 0x10), 0x00000000, "BAR0 reset: 32-bit memory")
        check_eq(cfg_read(qt, TESTDEV, 0x14), 0x00000001, "BAR1 reset: I/O")
        for bar, expect in ((0x10, 0xfffff000), (0x14, 0xffffff01), (0x18, 0),
                            (0x30, 0)):
            cfg_write(qt, TESTDEV, bar, 0xffffffff)
            check_eq(cfg_read(qt, TESTDEV, bar), expect, "sizing BAR at 0x%x" % bar)
            cfg_write(qt, TESTDEV, bar, 0)
    with start_testdev(",membar=0x200000000") as qt:
        check_eq(cfg_read(qt, TESTDEV, 0x18), 0x0000000c, "BAR2: 64-bit prefetchable")
        cfg_write(qt, TESTDEV, 0x18, 0xffffffff)
        cfg_write(qt, TESTDEV, 0x1c, 0xffffffff)
        check_eq(cfg_read(qt, TESTDEV, 0x18), 0x0000000c, "BAR2 low dword of an 8 GiB BAR")
        check_eq(cfg_read(qt, TESTDEV, 0x1c), 0xfffffffe, "BAR2 high dword")


def map_testdev(qt, cmd):
    cfg_write(qt, TESTDEV, 0x10, MEM_BASE)
    cfg_write(qt, TESTDEV, 0x14, IO_BASE)
    cfg_write(qt, TESTDEV, 0x04, cmd, 2)


def test_bar_mapping_follows_command():
    with start_testdev() as qt:
        map_testdev(qt, 0)
        check_eq(qt.readl(MEM_BASE + 4), 0xffffffff, "MMIO BAR with decode off")
        check_eq(qt.inl(IO_BASE + 4), 0xffffffff, "I/O BAR with decode off")
        cfg_write(qt, TESTDEV, 0x04, 0x2, 2)
        check_eq(qt.readb(MEM_BASE + 1), 4, "MMIO test 0 width")
        check_eq(qt.readl(MEM_BASE + 4), 0x800, "MMIO test 0 offset")
        check_eq(qt.memread(MEM_BASE + 16, 11), b"no-eventfd\0", "MMIO test 0 name")
        check_eq(qt.inl(IO_BASE + 4), 0xffffffff, "I/O still off")
        cfg_write(qt, TESTDEV, 0x04, 0x3, 2)
        check_eq(qt.inb(IO_BASE + 1), 4, "I/O test 0 width")
        check_eq(qt.inl(IO_BASE + 4), 0x80, "I/O test 0 offset")
        cfg_write(qt, TESTDEV, 0x04, 0x1, 2)
        check_eq(qt.readl(MEM_BASE + 4), 0xffffffff, "MMIO gone with memory decode off")
        check_eq(qt.inl(IO_BASE + 4), 0x80, "I/O stays")
        cfg_write(qt, TESTDEV, 0x04, 0x0, 2)
        check_eq(qt.inl(IO_BASE + 4), 0xffffffff, "I/O gone")


def test_bar_move_and_bad_addresses():
    with start_testdev() as qt:
        map_testdev(qt, 0x3)
        check_eq(qt.readl(MEM_BASE + 4), 0x800, "mapped at the first address")
        cfg_write(qt, TESTDEV, 0x10, MEM_BASE + 0x10000)
        check_eq(qt.readl(MEM_BASE + 4), 0xffffffff, "old address empty")
        check_eq(qt.readl(MEM_BASE + 0x10004), 0x800, "new address")
        cfg_write(qt, TESTDEV, 0x14, 0xd000)
        check_eq(qt.inl(IO_BASE + 4), 0xffffffff, "old I/O address empty")
        check_eq(qt.inl(0xd004), 0x80, "new I/O address")
        # Over RAM: refused, RAM stays visible.
        qt.writel(0x100004, 0x5a5a5a5a)
        cfg_write(qt, TESTDEV, 0x10, 0x100000)
        check_eq(qt.readl(0x100004), 0x5a5a5a5a, "BAR over RAM is not mapped")
        # Address 0 is not a mapping either.
        cfg_write(qt, TESTDEV, 0x14, 0x0)
        check_eq(qt.inl(0x4), 0xffffffff, "I/O BAR at 0 not mapped")


def test_testdev_regions():
    with start_testdev() as qt:
        map_testdev(qt, 0x3)
        for base, rd, wr, area in ((MEM_BASE, qt.readl, qt.writel, 0x800),
                                   (IO_BASE, qt.inl, qt.outl, 0x80)):
            check_eq(rd(base + 12), 0, "count of test 0")
            wr(base + area, 0x1234)
            wr(base + area, 0x1234)
            check_eq(rd(base + 12), 2, "count after two writes")
            check_eq(rd(base + area), 0x1234, "test area reads back")
            # Test 2 counts only its data value.
            wr(base, 2)
            check_eq(rd(base + 8), 0xfa, "test 2 data")
            check_eq(rd(base + 4), area + 8, "test 2 offset")
            wr(base + area + 8, 0x11)
            check_eq(rd(base + 12), 0, "non-matching write not counted")
            wr(base + area + 8, 0xfa)
            check_eq(rd(base + 12), 1, "matching write counted")
            wr(base, 3)
            check_eq(rd(base) >> 8 & 0xff, 0xff, "test 3 does not exist")
        # Scratch beyond the header.
        qt.writeb(MEM_BASE + 0xffe, 0x77)
        check_eq(qt.readb(MEM_BASE + 0xffe), 0x77, "MMIO scratch")


BIOS_SIZE = 0x10000


def bios_pattern(size=BIOS_SIZE):
    return bytes((i * 7 + 3 + (i >> 16)) & 0xff for i in range(size))


def pam_boot(size=BIOS_SIZE):
    path = temp_path("bios.bin")
    with open(path, "wb") as f:
        f.write(bios_pattern(size))
    return QTest(["-bios", path])


def rom_dword(off, size=BIOS_SIZE):
    """The dword the ROM holds at offset off of its last 64 KiB (0xF0000 + off)."""
    p = bios_pattern(size)
    start = size - BIOS_SIZE + off
    return int.from_bytes(p[start:start + 4], "little")


def set_pam0(qt, val):
    # PAM0 is 0x59: a byte access at 0xcfd after selecting dword 0x58.
    qt.outl(CONFADD, 0x80000058)
    qt.outb(CONFDATA + 1, val)


def test_pam_modes():
    with pam_boot() as qt:
        check_eq(cfg_read(qt, HOST, 0x59, 1), 0, "PAM0 at reset")
        check_eq(qt.readl(0xf0000), rom_dword(0), "reset: 0xF0000 is the ROM")
        check_eq(qt.readl(0xffff0), rom_dword(0xfff0), "reset vector area is the ROM")
        qt.writel(0xf0000, 0x11223344)
        check_eq(qt.readl(0xf0000), rom_dword(0), "ROM ignores writes")

        set_pam0(qt, 0x30)  # 11: RAM read/write
        check_eq(cfg_read(qt, HOST, 0x59, 1), 0x30, "PAM0 readback")
        check_eq(qt.readl(0xf0000), 0, "mode 11: RAM (zero)")
        qt.writel(0xf0000, 0xdeadbeef)
        check_eq(qt.readl(0xf0000), 0xdeadbeef, "mode 11: RAM is writable")

        set_pam0(qt, 0x10)  # 01: read RAM, write ROM
        check_eq(qt.readl(0xf0000), 0xdeadbeef, "mode 01 reads RAM")
        qt.writel(0xf0000, 0x12345678)
        check_eq(qt.readl(0xf0000), 0xdeadbeef, "mode 01 drops writes")

        set_pam0(qt, 0x20)  # 10: read ROM, write RAM
        check_eq(qt.readl(0xf0004), rom_dword(4), "mode 10 reads ROM")
        qt.writel(0xf0004, 0xcafef00d)
        check_eq(qt.readl(0xf0004), rom_dword(4), "mode 10 still reads ROM after a write")
        set_pam0(qt, 0x10)
        check_eq(qt.readl(0xf0004), 0xcafef00d, "the mode 10 write landed in RAM")

        set_pam0(qt, 0x00)
        check_eq(qt.readl(0xf0004), rom_dword(4), "mode 00: ROM again")


def test_pam_16k_segments():
    # A 128 KiB image: its first half shows at 0xE0000-0xEFFFF.
    with pam_boot(0x20000) as qt:
        # PAM5 high nibble: 0xE4000-0xE7FFF.
        check_eq(qt.readl(0xe4000), rom_dword(0x4000 - 0x10000, 0x20000), "E4000 is ROM")
        cfg_write(qt, HOST, 0x5e, 0x30, 1)
        check_eq(qt.readl(0xe4000), 0, "E4000 shadow RAM")
        qt.writel(0xe4000, 0x0badf00d)
        check_eq(qt.readl(0xe4000), 0x0badf00d, "E4000 shadowed read/write")
        check_eq(qt.readl(0xe3ffc), rom_dword(0x3ffc - 0x10000, 0x20000),
                 "E0000-E3FFF (low nibble, mode 00) still ROM")
        check_eq(qt.readl(0xe8000), rom_dword(0x8000 - 0x10000, 0x20000), "E8000 still ROM")
        check_eq(cfg_read(qt, HOST, 0x5e, 1), 0x30, "PAM5")
        cfg_write(qt, HOST, 0x5e, 0xff, 1)
        check_eq(cfg_read(qt, HOST, 0x5e, 1), 0x33, "PAM reserved bits read 0")


def test_smram():
    with QTest() as qt:
        check_eq(cfg_read(qt, HOST, 0x72, 1), 0x02, "SMRAM at reset")
        cfg_write(qt, HOST, 0x72, 0x48, 1)  # D_OPEN | G_SMRAME
        check_eq(cfg_read(qt, HOST, 0x72, 1), 0x4a, "D_OPEN set")
        qt.writel(0xa0000, 0x600dcafe)
        check_eq(qt.readl(0xa0000), 0x600dcafe, "open SMRAM is RAM")
        cfg_write(qt, HOST, 0x72, 0x18, 1)  # D_LCK
        check_eq(cfg_read(qt, HOST, 0x72, 1), 0x1a, "locked, D_OPEN cleared")
        cfg_write(qt, HOST, 0x72, 0x40, 1)
        check_eq(cfg_read(qt, HOST, 0x72, 1), 0x1a, "locked: D_OPEN, D_LCK, G_SMRAME stay")
        cfg_write(qt, HOST, 0x72, 0x38, 1)
        check_eq(cfg_read(qt, HOST, 0x72, 1), 0x3a, "locked: D_CLS still writable")


def test_hmp_info_pci():
    from test_hmp import Osprey as HmpOsprey
    with HmpOsprey(["-device", "pci-testdev,addr=05.0,id=td"]) as vm:
        hmp = vm.connect()
        hmp.greet()
        out = hmp.run("info pci")
        for want in ("Bus  0, device   0, function 0:", "Host bridge: PCI device 8086:1237",
                     "ISA bridge: PCI device 8086:7000", "device   1, function 3:",
                     "device   5, function 0:", "PCI device 1b36:0005",
                     "BAR0: 32 bit memory (not mapped) [size 0x1000]",
                     "BAR1: I/O (not mapped) [size 0x100]", 'id "td"'):
            check(want in out, "%r missing from: %r" % (want, out))


if __name__ == "__main__":
    run_cases([
        ("pci/config-mechanism-1", test_config_mechanism),
        ("pci/absent-functions", test_absent_functions),
        ("pci/piix-ids", test_piix_ids),
        ("pci/testdev-ids-default-slot", test_testdev_ids_and_default_slot),
        ("pci/testdev-addr-errors", test_testdev_addr_errors),
        ("pci/bar-sizing", test_bar_sizing),
        ("pci/bar-mapping-command", test_bar_mapping_follows_command),
        ("pci/bar-move-bad-addresses", test_bar_move_and_bad_addresses),
        ("pci/testdev-regions", test_testdev_regions),
        ("pci/pam-modes", test_pam_modes),
        ("pci/pam-16k-segments", test_pam_16k_segments),
        ("pci/smram", test_smram),
        ("pci/hmp-info-pci", test_hmp_info_pci),
    ])
