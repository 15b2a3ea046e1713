#!/usr/bin/env python3
"""The standard VGA (PCI 1234:1111) and Bochs VBE at register level, over qtest,
with the screen checked through QMP/HMP screendumps (PPM and PNG)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases, temp_path  # noqa: E402
from pcilib import cfg_read, cfg_write, with_qmp  # noqa: E402
import vgalib  # noqa: E402
from vgalib import (MMIO_BAR, VGA_DEVFN, VRAM_BAR, dac8, ega_rgb6, pixel, read_png,  # noqa: E402
                    read_ppm, set_mode, vbe_r, vbe_set_mode, vbe_w)


def start(extra=()):
    return with_qmp(["-vga", "std"] + list(extra))


def dump(qmp, fmt="ppm"):
    path = temp_path("screen.%s" % fmt)
    args = {"filename": path}
    if fmt != "ppm":
        args["format"] = fmt
    qmp.ok("screendump", args)
    return read_png(path) if fmt == "png" else read_ppm(path)


def bar_size(qt, reg):
    old = cfg_read(qt, VGA_DEVFN, reg)
    cfg_write(qt, VGA_DEVFN, reg, 0xffffffff)
    v = cfg_read(qt, VGA_DEVFN, reg)
    cfg_write(qt, VGA_DEVFN, reg, old)
    return ((~(v & ~0xf)) & 0xffffffff) + 1, v & 0xf


def test_pci_identity():
    qt, qmp = start()
    with qt:
        check_eq(cfg_read(qt, VGA_DEVFN, 0x00), 0x11111234, "vendor/device")
        check_eq(cfg_read(qt, VGA_DEVFN, 0x08) >> 8, 0x030000, "class: VGA controller")
        size, flags = bar_size(qt, 0x10)
        check_eq(size, 16 << 20, "BAR0 (VRAM) size")
        check_eq(flags, 0x8, "BAR0 is prefetchable 32-bit memory")
        size, flags = bar_size(qt, 0x18)
        check_eq(size, 0x1000, "BAR2 (MMIO) size")
        check_eq(cfg_read(qt, VGA_DEVFN, 0x30), 0, "no ROM BAR without romfile=")
    qt, qmp = with_qmp(["-device", "VGA,vgamem_mb=64"])
    with qt:
        check_eq(bar_size(qt, 0x10)[0], 64 << 20, "vgamem_mb=64")
        check_eq(vbe_r(qt, 0xa), 64 * 16, "VIDEO_MEMORY_64K follows vgamem_mb")


def test_vga_none_and_default():
    qt = QTest(["-vga", "none"])
    with qt:
        check_eq(cfg_read(qt, VGA_DEVFN, 0), 0xffffffff, "-vga none: no function at 00:02.0")
        check_eq(qt.inb(0x3cc), 0xff, "-vga none: no VGA ports")
    # qtest runs with -nodefaults, which drops the default VGA as in QEMU
    qt = QTest([])
    with qt:
        check_eq(cfg_read(qt, VGA_DEVFN, 0), 0xffffffff, "-nodefaults: no VGA")


def test_rom_bar():
    rom = temp_path("vgabios.bin")
    image = bytes([0x55, 0xaa, 0x40]) + bytes(range(256)) * 20
    with open(rom, "wb") as f:
        f.write(image)
    qt, qmp = with_qmp(["-device", "VGA,romfile=" + rom])
    with qt:
        cfg_write(qt, VGA_DEVFN, 0x30, 0xfffff800)
        v = cfg_read(qt, VGA_DEVFN, 0x30)
        check_eq(((~(v & ~0x7ff)) & 0xffffffff) + 1, 8192, "ROM BAR rounds 5 KiB up to 8 KiB")
        cfg_write(qt, VGA_DEVFN, 0x30, 0xe2000001)
        cfg_write(qt, VGA_DEVFN, 0x04, 0x2, size=2)
        check_eq(qt.readw(0xe2000000), 0xaa55, "ROM signature through the ROM BAR")
        check_eq(qt.readb(0xe2000003 + 300), image[303], "ROM contents")


def test_register_readback():
    qt, qmp = start()
    with qt:
        qt.outb(0x3c2, 0x67)
        check_eq(qt.inb(0x3cc), 0x67, "misc output")
        for idx, val, want in [(1, 0xff, 0x3d), (2, 0xff, 0x0f), (3, 0xff, 0x3f),
                               (4, 0xff, 0x0e)]:
            qt.outb(0x3c4, idx)
            qt.outb(0x3c5, val)
            check_eq(qt.inb(0x3c5), want, "sequencer %d writable bits" % idx)
        check_eq(qt.inb(0x3c4), 4, "sequencer index reads back")
        for idx, want in [(0, 0x0f), (3, 0x1f), (4, 0x03), (5, 0x7b), (8, 0xff)]:
            qt.outb(0x3ce, idx)
            qt.outb(0x3cf, 0xff)
            check_eq(qt.inb(0x3cf), want, "graphics %d writable bits" % idx)
        # CRTC at 0x3d4 in colour mode; 0x3b4 does not decode then
        qt.outb(0x3d4, 0x0e)
        qt.outb(0x3d5, 0x12)
        check_eq(qt.inb(0x3d5), 0x12, "CRTC cursor high")
        check_eq(qt.inb(0x3b5), 0xff, "mono CRTC port does not decode in colour mode")
        # CR11 bit 7 write-protects CR0-CR7 (but not CR7's line compare bit 4)
        qt.outb(0x3d4, 0x00)
        qt.outb(0x3d5, 0x5f)
        qt.outb(0x3d4, 0x11)
        qt.outb(0x3d5, 0x80)
        qt.outb(0x3d4, 0x00)
        qt.outb(0x3d5, 0x11)
        check_eq(qt.inb(0x3d5), 0x5f, "CR0 protected")
        qt.outb(0x3d4, 0x07)
        qt.outb(0x3d5, 0xff)
        check_eq(qt.inb(0x3d5), 0x10, "CR7: only line compare bit 8 is writable")
        # Attribute controller: index/data flip-flop, reset by reading input status 1
        qt.inb(0x3da)
        qt.outb(0x3c0, 0x05)
        qt.outb(0x3c0, 0x2a)
        check_eq(qt.inb(0x3c0), 0x05, "attribute index reads back")
        check_eq(qt.inb(0x3c1), 0x2a, "attribute palette 5")
        qt.outb(0x3c0, 0x13)  # flip-flop is at "index" again after the data write
        qt.outb(0x3c0, 0xff)
        check_eq(qt.inb(0x3c1), 0x0f, "horizontal pel panning has 4 bits")
        qt.outb(0x3c0, 0x06)  # index
        qt.inb(0x3da)          # back to index
        qt.outb(0x3c0, 0x07)   # so this is an index too
        qt.outb(0x3c0, 0x11)
        check_eq(qt.inb(0x3c1), 0x11, "flip-flop reset by 0x3da: palette 7 written")
        # DAC: write index auto-increments after three components; 6-bit values
        qt.outb(0x3c8, 0x10)
        for v in (0x3f, 0x41, 0x15, 0x01, 0x02, 0x03):
            qt.outb(0x3c9, v)
        check_eq(qt.inb(0x3c8), 0x12, "DAC write index advanced by two entries")
        check_eq(qt.inb(0x3c7), 0x00, "DAC state: write mode")
        qt.outb(0x3c7, 0x10)
        check_eq(qt.inb(0x3c7), 0x03, "DAC state: read mode")
        got = [qt.inb(0x3c9) for _ in range(6)]
        check_eq(got, [0x3f, 0x01, 0x15, 0x01, 0x02, 0x03], "DAC entries 0x10-0x11")
        qt.outb(0x3c6, 0xf0)
        check_eq(qt.inb(0x3c6), 0xf0, "PEL mask")
        # retrace bits toggle so polling loops finish
        a, b = qt.inb(0x3da) & 0x08, qt.inb(0x3da) & 0x08
        check(a != b, "vertical retrace bit toggles")


def test_planar_write_modes():
    qt, qmp = start()
    with qt:
        set_mode(qt, 0x12)
        # write mode 2: the byte's low bits are the colour, bit mask picks pixels
        qt.outb(0x3ce, 5)
        qt.outb(0x3cf, 0x02)
        qt.outb(0x3ce, 8)
        qt.outb(0x3cf, 0xf0)
        qt.writeb(0xa0000, 0x0c)
        # read mode 0 per plane
        qt.outb(0x3ce, 5)
        qt.outb(0x3cf, 0x00)
        planes = []
        for p in range(4):
            qt.outb(0x3ce, 4)
            qt.outb(0x3cf, p)
            planes.append(qt.readb(0xa0000))
        check_eq(planes, [0x00, 0x00, 0xf0, 0xf0], "write mode 2, colour 12, mask 0xf0")
        # read mode 1: colour compare
        qt.outb(0x3ce, 5)
        qt.outb(0x3cf, 0x08)
        qt.outb(0x3ce, 2)
        qt.outb(0x3cf, 0x0c)
        qt.outb(0x3ce, 7)
        qt.outb(0x3cf, 0x0f)
        check_eq(qt.readb(0xa0000), 0xf0, "colour compare finds colour 12")
        # write mode 1 copies the latches loaded by the read
        qt.outb(0x3ce, 5)
        qt.outb(0x3cf, 0x01)
        qt.writeb(0xa0001, 0x00)
        qt.outb(0x3ce, 5)
        qt.outb(0x3cf, 0x00)
        qt.outb(0x3ce, 4)
        qt.outb(0x3cf, 2)
        check_eq(qt.readb(0xa0001), 0xf0, "write mode 1: latch copy")
        # set/reset with ALU XOR through write mode 0
        qt.outb(0x3ce, 8)
        qt.outb(0x3cf, 0xff)
        qt.outb(0x3ce, 0)
        qt.outb(0x3cf, 0x01)
        qt.outb(0x3ce, 1)
        qt.outb(0x3cf, 0x01)
        qt.outb(0x3ce, 3)
        qt.outb(0x3cf, 0x18)
        qt.readb(0xa0000)   # latch: plane 2/3 = 0xf0, plane 0/1 = 0
        qt.writeb(0xa0000, 0x00)
        qt.outb(0x3ce, 3)
        qt.outb(0x3cf, 0x00)
        qt.outb(0x3ce, 1)
        qt.outb(0x3cf, 0x00)
        planes = []
        for p in range(4):
            qt.outb(0x3ce, 4)
            qt.outb(0x3cf, p)
            planes.append(qt.readb(0xa0000))
        check_eq(planes, [0xff, 0x00, 0xf0, 0xf0], "set/reset plane 0, XOR with latches")
        # the screen: first 8 pixels of mode 12h
        img = dump(qmp)
        check_eq(img[:2], (640, 480), "mode 12h size")
        c13 = tuple(dac8(v) for v in ega_rgb6(0x3d))   # colour 13 -> palette 0x3d
        c1 = tuple(dac8(v) for v in ega_rgb6(0x01))
        check_eq(pixel(img, 0, 0), c13, "pixel 0 is colour 13 (planes 0, 2, 3)")
        check_eq(pixel(img, 4, 0), c1, "pixel 4 is colour 1 (plane 0)")


def test_mode13_and_mode_x():
    qt, qmp = start()
    with qt:
        set_mode(qt, 0x13, palette=False)
        qt.outb(0x3c8, 0)
        for i in range(256):
            for c in (i & 0x3f, (i * 3) & 0x3f, (255 - i) & 0x3f):
                qt.outb(0x3c9, c)
        # chain-4: linear bytes at A0000
        qt.memwrite(0xa0000, bytes(range(256)) * 2)
        img = dump(qmp)
        check_eq(img[:2], (320, 200), "mode 13h size")
        for x in (0, 1, 77, 255):
            check_eq(pixel(img, x, 0), (dac8(x & 0x3f), dac8((x * 3) & 0x3f),
                                        dac8((255 - x) & 0x3f)), "13h pixel %d" % x)
        check_eq(pixel(img, 192, 1), pixel(img, 0, 0), "13h row 1 starts at byte 320")
        # mode X: chain-4 off, each plane holds every fourth pixel
        qt.outb(0x3c4, 4)
        qt.outb(0x3c5, 0x06)
        qt.outb(0x3d4, 0x14)
        qt.outb(0x3d5, 0x00)
        qt.outb(0x3d4, 0x17)
        qt.outb(0x3d5, 0xe3)
        qt.outb(0x3c4, 2)
        qt.outb(0x3c5, 0x02)  # plane 1 only
        qt.writeb(0xa0000 + 80 * 5 + 2, 200)  # pixel x = 2*4+1 = 9, y = 5
        img = dump(qmp)
        check_eq(img[:2], (320, 200), "mode X size")
        check_eq(pixel(img, 9, 5), (dac8(200 & 0x3f), dac8(600 & 0x3f), dac8(55)),
                 "mode X pixel (9, 5) from plane 1")
        # start address panning: the screen starts 80 planar bytes (one line) later
        qt.outb(0x3d4, 0x0c)
        qt.outb(0x3d5, 0x00)
        qt.outb(0x3d4, 0x0d)
        qt.outb(0x3d5, 80)
        img = dump(qmp)
        check_eq(pixel(img, 9, 4), (dac8(200 & 0x3f), dac8(600 & 0x3f), dac8(55)),
                 "start address moves the picture up one line")


def test_text_mode():
    qt, qmp = start()
    with qt:
        set_mode(qt, 0x03)
        vgalib.load_font(qt, chars=range(0x20, 0x80))
        vgalib.load_font(qt, chars=[0xc4])
        msg = b"Osprey"
        for i, c in enumerate(msg):
            qt.writeb(0xb8000 + 160 * 2 + 2 * i, c)
            qt.writeb(0xb8000 + 160 * 2 + 2 * i + 1, 0x1e)  # yellow on blue
        qt.writeb(0xb8000 + 160 * 3, 0xc4)   # a line-drawing character
        qt.writeb(0xb8000 + 160 * 3 + 1, 0x07)
        # cursor off for exact pixels
        qt.outb(0x3d4, 0x0a)
        qt.outb(0x3d5, 0x20)
        img = dump(qmp)
        check_eq(img[:2], (720, 400), "80x25 with 9-dot cells")
        yellow = tuple(dac8(v) for v in ega_rgb6(0x3e))
        blue = tuple(dac8(v) for v in ega_rgb6(0x01))
        for i, c in enumerate(msg):
            glyph = vgalib.font_glyph(c)
            for r in range(16):
                for x in range(9):
                    on = x < 8 and (glyph[r] >> (7 - x)) & 1
                    want = yellow if on else blue
                    got = pixel(img, i * 9 + x, 32 + r)
                    if got != want:
                        raise AssertionError("char %r row %d dot %d: %r, expected %r" %
                                             (chr(c), r, x, got, want))
        # the ninth dot repeats the eighth for C0-DF (line graphics enabled in mode 3)
        g = vgalib.font_glyph(0xc4)
        for r in range(16):
            check_eq(pixel(img, 8, 48 + r), pixel(img, 7, 48 + r) if g[r] & 1 else (0, 0, 0),
                     "9th dot of 0xC4 row %d" % r)
        # 8-dot mode: 640 wide
        qt.outb(0x3c4, 1)
        qt.outb(0x3c5, 0x01)
        check_eq(dump(qmp)[:2], (640, 400), "8-dot cells")
        # 50 rows: 8-line cells
        qt.outb(0x3d4, 0x09)
        qt.outb(0x3d5, 0x47)
        check_eq(dump(qmp)[:2], (640, 400), "80x50 keeps 400 lines")
        # 40 columns: CR1 = 39 and the dot clock halved, each dot drawn twice
        qt.outb(0x3d4, 0x11)
        qt.outb(0x3d5, 0x0e)  # CR0-7 writable again
        qt.outb(0x3d4, 0x09)
        qt.outb(0x3d5, 0x4f)
        qt.outb(0x3d4, 0x01)
        qt.outb(0x3d5, 0x27)
        qt.outb(0x3c4, 1)
        qt.outb(0x3c5, 0x09)
        img = dump(qmp)
        check_eq(img[:2], (640, 400), "40x25 at double dots")
        check_eq(pixel(img, 0, 32 + 3), pixel(img, 1, 32 + 3), "dots doubled")


def test_text_cursor_and_blink():
    qt, qmp = start()
    with qt:
        set_mode(qt, 0x03)
        vgalib.load_font(qt, chars=[0x41])
        qt.writeb(0xb8000, 0x41)
        qt.writeb(0xb8001, 0x87)        # blinking grey on black
        qt.writeb(0xb8002, 0x20)
        qt.writeb(0xb8003, 0x07)
        qt.outb(0x3d4, 0x0e)
        qt.outb(0x3d5, 0x00)
        qt.outb(0x3d4, 0x0f)
        qt.outb(0x3d5, 0x01)            # cursor on cell 1
        qt.outb(0x3d4, 0x0a)
        qt.outb(0x3d5, 0x0e)
        qt.outb(0x3d4, 0x0b)
        qt.outb(0x3d5, 0x0f)            # cursor lines 14-15
        grey = tuple(dac8(v) for v in ega_rgb6(0x07))
        qt.clock_set(0)
        img = dump(qmp)
        check_eq(pixel(img, 9 + 3, 14), grey, "cursor drawn on line 14 at time 0")
        check_eq(pixel(img, 9 + 3, 13), (0, 0, 0), "cursor not on line 13")
        g = vgalib.font_glyph(0x41)
        lit = [(x, r) for r in range(16) for x in range(8) if (g[r] >> (7 - x)) & 1]
        check(any(pixel(img, x, r) == grey for x, r in lit), "blinking char visible at 0")
        qt.clock_step(600 * 1000 * 1000)  # past both blink half-periods
        img = dump(qmp)
        check(all(pixel(img, x, r) == (0, 0, 0) for x, r in lit), "blink phase hides the char")
        check_eq(pixel(img, 9 + 3, 14), grey, "cursor back on at 0.6 s (0.25 s half period)")
        # blink disabled: bit 7 is background intensity instead
        qt.inb(0x3da)
        qt.outb(0x3c0, 0x30)
        qt.outb(0x3c0, 0x04)
        img = dump(qmp)
        check(any(pixel(img, x, r) == grey for x, r in lit), "no blink with AR10 bit 3 off")
        # cursor disabled by CR0A bit 5
        qt.outb(0x3d4, 0x0a)
        qt.outb(0x3d5, 0x2e)
        qt.clock_step(1000 * 1000 * 1000)
        img = dump(qmp)
        check_eq(pixel(img, 9 + 3, 14), (0, 0, 0), "cursor disabled")


def test_cga_modes():
    qt, qmp = start()
    with qt:
        # mode 4 (320x200, 4 colours): odd/even, CGA addressing, shift mode 1
        set_mode(qt, 0x03)
        regs = [(0x3d4, 0x11, 0x0e), (0x3c4, 1, 0x09), (0x3c4, 4, 0x02), (0x3ce, 5, 0x30), (0x3ce, 6, 0x0f),
                (0x3d4, 0x01, 0x27), (0x3d4, 0x09, 0xc1), (0x3d4, 0x13, 0x14),
                (0x3d4, 0x17, 0xa2), (0x3d4, 0x14, 0x00)]
        for port, idx, val in regs:
            qt.outb(port, idx)
            qt.outb(port + 1, val)
        qt.inb(0x3da)
        for i, v in enumerate([0x00, 0x13, 0x15, 0x17]):
            qt.outb(0x3c0, i)
            qt.outb(0x3c0, v)
        qt.outb(0x3c0, 0x10)
        qt.outb(0x3c0, 0x01)
        qt.outb(0x3c0, 0x20)
        qt.writeb(0xb8000, 0b00011011)           # line 0: colours 0,1,2,3
        qt.writeb(0xb8000 + 0x2000, 0b11100100)  # line 1: colours 3,2,1,0
        img = dump(qmp)
        check_eq(img[:2], (320, 200), "mode 4 size")
        col = [tuple(dac8(v) for v in ega_rgb6(c)) for c in (0x00, 0x13, 0x15, 0x17)]
        check_eq([pixel(img, x, 0) for x in range(4)], col, "even line from bank 0")
        check_eq([pixel(img, x, 1) for x in range(4)], col[::-1], "odd line from bank 1")


def test_vbe_registers():
    qt, qmp = start()
    with qt:
        check_eq(vbe_r(qt, 0), 0xb0c5, "DISPI ID")
        vbe_w(qt, 0, 0xb0c0)
        check_eq(vbe_r(qt, 0), 0xb0c0, "ID accepts B0C0-B0C5")
        vbe_w(qt, 0, 0x1234)
        check_eq(vbe_r(qt, 0), 0xb0c0, "ID ignores other values")
        vbe_w(qt, 4, 0x02)
        check_eq((vbe_r(qt, 1), vbe_r(qt, 2), vbe_r(qt, 3)), (2560, 1600, 32), "GETCAPS maxima")
        vbe_w(qt, 4, 0x00)
        check_eq(vbe_r(qt, 0xa), 256, "16 MiB in 64 KiB units")
        vbe_set_mode(qt, 800, 600, 16)
        check_eq((vbe_r(qt, 1), vbe_r(qt, 2), vbe_r(qt, 3)), (800, 600, 16), "mode regs")
        check_eq(vbe_r(qt, 6), 800, "virtual width defaults to xres")
        check_eq(vbe_r(qt, 7), (16 << 20) // 1600, "virtual height from VRAM size")
        # the same registers through the BAR2 MMIO window
        vgalib.enable_pci(qt)
        check_eq(qt.readw(MMIO_BAR + 0x500 + 2 * 1), 800, "XRES via MMIO")
        qt.writew(MMIO_BAR + 0x500 + 2 * 9, 3)
        check_eq(vbe_r(qt, 9), 3, "Y_OFFSET written via MMIO")
        check_eq(qt.readl(MMIO_BAR + 0x600), 8, "framebuffer byte-order block size")
        check_eq(qt.readl(MMIO_BAR + 0x604), 0x1e1e1e1e, "little-endian framebuffer")
        qt.writeb(MMIO_BAR + 0x400 + 0x08, 0x05)  # 0x3c8 via MMIO
        check_eq(qt.inb(0x3c8), 0x05, "VGA port 0x3c8 via MMIO")
        # hostile values never break anything
        vbe_w(qt, 4, 0)
        vbe_set_mode(qt, 4000, 4000, 32)
        check_eq(vbe_r(qt, 4) & 1, 0, "oversized mode refused")
        vbe_set_mode(qt, 640, 480, 13)
        check_eq(vbe_r(qt, 4) & 1, 0, "bpp 13 refused")
        vbe_set_mode(qt, 640, 480, 32)
        vbe_w(qt, 8, 0xffff)
        vbe_w(qt, 9, 0xffff)
        vbe_w(qt, 5, 0xffff)
        vbe_w(qt, 6, 0xffff)
        vbe_w(qt, 0x55, 0x1234)
        qt.outw(0x1ce, 0xffff)
        qt.inw(0x1cf)
        img = dump(qmp)
        check_eq(img[:2], (640, 480), "mode still sane after hostile writes")
        vbe_w(qt, 1, 0xffff)  # XRES rewritten while enabled: nothing sensible to show
        vbe_w(qt, 3, 99)
        img = dump(qmp)
        check_eq(img[:2], (640, 480), "an impossible mode shows the blank default screen")


def test_vbe_framebuffer():
    qt, qmp = start()
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 1024, 768, 32)
        qt.writel(VRAM_BAR + 4 * (100 * 1024 + 200), 0x00123456)
        qt.writel(VRAM_BAR + 4 * (767 * 1024 + 1023), 0x00abcdef)
        img = dump(qmp, "png")
        check_eq(img[:2], (1024, 768), "1024x768")
        check_eq(pixel(img, 200, 100), (0x12, 0x34, 0x56), "32 bpp pixel")
        check_eq(pixel(img, 1023, 767), (0xab, 0xcd, 0xef), "last pixel")
        ppm = dump(qmp, "ppm")
        check_eq(ppm, img, "PNG and PPM screendumps agree")
        # virtual width 2048 and a y/x offset: the visible window moves
        vbe_w(qt, 6, 2048)
        check_eq(vbe_r(qt, 7), (16 << 20) // (2048 * 4), "virtual height for 2048 wide")
        qt.writel(VRAM_BAR + 4 * (10 * 2048 + 1500), 0x00ff0000)
        vbe_w(qt, 8, 1000)
        vbe_w(qt, 9, 5)
        img = dump(qmp)
        check_eq(pixel(img, 500, 5), (0xff, 0, 0), "panned view shows (1500,10) at (500,5)")
        # other depths
        for bpp, write, want in [(16, lambda a: qt.writew(a, 0xf800), (0xff, 0, 0)),
                                 (15, lambda a: qt.writew(a, 0x03e0), (0, 0xff, 0)),
                                 (24, lambda a: qt.memwrite(a, b"\x11\x22\x33"),
                                  (0x33, 0x22, 0x11)),
                                 (8, lambda a: qt.writeb(a, 0x02), None)]:
            vbe_set_mode(qt, 640, 480, bpp)
            Bpp = 2 if bpp == 15 else bpp // 8
            if bpp == 8:
                qt.outb(0x3c8, 2)
                for c in (0x3f, 0x00, 0x3f):
                    qt.outb(0x3c9, c)
                want = (0xff, 0, 0xff)
            write(VRAM_BAR + Bpp * (3 * 640 + 7))
            img = dump(qmp)
            check_eq(img[:2], (640, 480), "%d bpp size" % bpp)
            check_eq(pixel(img, 7, 3), want, "%d bpp pixel" % bpp)
        # the legacy window banks through VRAM in VBE modes
        vbe_set_mode(qt, 640, 480, 32)
        vbe_w(qt, 5, 1)  # bank 1: offset 64 KiB
        qt.writel(0xa0000 + 16, 0x0000ff00)
        check_eq(qt.readl(VRAM_BAR + 0x10000 + 16), 0x0000ff00, "bank 1 maps VRAM + 64K")
        img = dump(qmp)
        off = (0x10000 + 16) // 4
        check_eq(pixel(img, off % 640, off // 640), (0, 0xff, 0), "banked write on screen")


def test_hmp_screendump_and_errors():
    from test_hmp import Hmp  # noqa: E402
    from qtest import MonitorProcess  # noqa: E402
    path = temp_path("hmp.png")
    with MonitorProcess("-monitor", Hmp, extra=["-vga", "std"]) as mp:
        hmp = mp.connect()
        hmp.greet()
        out = hmp.run("screendump %s format=png" % path)
        check("Error" not in out, "screendump said %r" % out)
        img = read_png(path)
        check_eq(img[:2], (640, 480), "blank screen is the 640x480 default")
        out = hmp.run("screendump %s format=gif" % path)
        check("format" in out, "bad format rejected: %r" % out)
    with MonitorProcess("-qmp", __import__("test_qmp").Qmp, extra=["-vga", "none"]) as mp:
        qmp = mp.connect()
        qmp.negotiate()
        err = qmp.error("screendump", {"filename": path})
        check("console" in err["desc"], "no VGA: %r" % err)


def test_mode_change_log():
    log = temp_path("trace.log")
    qt, qmp = with_qmp(["-vga", "std", "-d", "trace", "-D", log])
    with qt:
        vgalib.enable_pci(qt)
        vbe_set_mode(qt, 800, 600, 16)
        dump(qmp)
        set_mode(qt, 0x13)
        vbe_w(qt, 4, 0)
        dump(qmp)
    with open(log) as f:
        text = f.read()
    check("vga: mode VBE 800x600 bpp 16" in text, "VBE mode change logged: %r" % text[-300:])
    check("vga: mode 256-colour 320x200" in text, "mode 13h logged: %r" % text[-300:])


if __name__ == "__main__":
    run_cases([
        ("vga/pci-identity", test_pci_identity),
        ("vga/none-and-nodefaults", test_vga_none_and_default),
        ("vga/rom-bar", test_rom_bar),
        ("vga/register-readback", test_register_readback),
        ("vga/planar-write-modes", test_planar_write_modes),
        ("vga/mode13-and-mode-x", test_mode13_and_mode_x),
        ("vga/text-mode", test_text_mode),
        ("vga/text-cursor-and-blink", test_text_cursor_and_blink),
        ("vga/cga-modes", test_cga_modes),
        ("vga/vbe-registers", test_vbe_registers),
        ("vga/vbe-framebuffer", test_vbe_framebuffer),
        ("vga/hmp-screendump", test_hmp_screendump_and_errors),
        ("vga/mode-change-log", test_mode_change_log),
    ])
