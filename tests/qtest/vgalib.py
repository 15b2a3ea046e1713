"""VGA helpers shared by the display tests: standard mode register sets (the
values of IBM's VGA BIOS mode tables, as documented by FreeVGA), a text font
generator, the EGA palette, and readers for PPM/PNG screendumps."""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcilib import cfg_read, cfg_write, devfn  # noqa: E402

VGA_DEVFN = devfn(2)
VRAM_BAR = 0xe0000000
MMIO_BAR = 0xe1000000
VBE_INDEX, VBE_DATA = 0x1ce, 0x1cf

MODES = {
    # misc, sequencer 0-4, CRTC 0-0x18, graphics 0-8, attribute 0-0x14
    0x03: (0x67, [0x03, 0x00, 0x03, 0x00, 0x02],
           [0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
            0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff],
           [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff],
           [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
            0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00]),
    0x12: (0xe3, [0x03, 0x01, 0x0f, 0x00, 0x06],
           [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0xea, 0x0c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff],
           [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff],
           [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
            0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00]),
    0x13: (0x63, [0x03, 0x01, 0x0f, 0x00, 0x0e],
           [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x9c, 0x0e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff],
           [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
           list(range(16)) + [0x41, 0x00, 0x0f, 0x00, 0x00]),
}


def ega_rgb6(i):
    """EGA colour i (0-63, rgbRGB bits) as 6-bit DAC values."""
    def comp(hi, lo):
        return (0x2a if hi else 0) + (0x15 if lo else 0)
    return (comp(i & 4, i & 32), comp(i & 2, i & 16), comp(i & 1, i & 8))


def dac8(v):
    """The renderer's 6-bit to 8-bit DAC expansion."""
    return ((v << 2) | (v >> 4)) & 0xff


def set_mode(qt, mode, palette=True):
    misc, seq, crtc, gfx, attr = MODES[mode]
    qt.outb(0x3c2, misc)
    for i, v in enumerate(seq):
        qt.outb(0x3c4, i)
        qt.outb(0x3c5, v)
    qt.outb(0x3d4, 0x11)
    qt.outb(0x3d5, 0x00)  # unlock CR0-CR7
    for i, v in enumerate(crtc):
        qt.outb(0x3d4, i)
        qt.outb(0x3d5, v)
    for i, v in enumerate(gfx):
        qt.outb(0x3ce, i)
        qt.outb(0x3cf, v)
    qt.inb(0x3da)  # attribute flip-flop to "index"
    for i, v in enumerate(attr):
        qt.outb(0x3c0, i)
        qt.outb(0x3c0, v)
    qt.outb(0x3c0, 0x20)  # palette address source: screen on
    if palette:
        qt.outb(0x3c8, 0)
        data = bytearray()
        for i in range(64):
            data += bytes(ega_rgb6(i))
        for b in data:
            qt.outb(0x3c9, b)


def font_glyph(ch):
    """A deterministic 16-row test glyph for character ch (distinct per char)."""
    rows = []
    for r in range(16):
        v = ((ch * 37) ^ (r * 11) ^ (ch >> 3)) & 0xff
        if r in (0, 15):
            v = 0
        rows.append(v)
    return rows


def load_font(qt, chars=range(256)):
    """Write the test font into plane 2 (font map 0) as a BIOS would."""
    qt.outb(0x3c4, 2)
    qt.outb(0x3c5, 0x04)   # map mask: plane 2
    qt.outb(0x3c4, 4)
    qt.outb(0x3c5, 0x06)   # odd/even off, extended memory
    qt.outb(0x3ce, 4)
    qt.outb(0x3cf, 0x02)
    qt.outb(0x3ce, 5)
    qt.outb(0x3cf, 0x00)
    qt.outb(0x3ce, 6)
    qt.outb(0x3cf, 0x04)   # A0000, 64K, text off while loading
    for ch in chars:
        qt.memwrite(0xa0000 + ch * 32, bytes(font_glyph(ch)) + bytes(16))
    # back to text mode addressing
    qt.outb(0x3c4, 2)
    qt.outb(0x3c5, 0x03)
    qt.outb(0x3c4, 4)
    qt.outb(0x3c5, 0x02)
    qt.outb(0x3ce, 4)
    qt.outb(0x3cf, 0x00)
    qt.outb(0x3ce, 5)
    qt.outb(0x3cf, 0x10)
    qt.outb(0x3ce, 6)
    qt.outb(0x3cf, 0x0e)


def enable_pci(qt):
    cfg_write(qt, VGA_DEVFN, 0x10, VRAM_BAR)
    cfg_write(qt, VGA_DEVFN, 0x18, MMIO_BAR)
    cfg_write(qt, VGA_DEVFN, 0x04, 0x3, size=2)


def vbe_w(qt, index, val):
    qt.outw(VBE_INDEX, index)
    qt.outw(VBE_DATA, val)


def vbe_r(qt, index):
    qt.outw(VBE_INDEX, index)
    return qt.inw(VBE_DATA)


def vbe_set_mode(qt, w, h, bpp, flags=0x41):
    vbe_w(qt, 4, 0)
    vbe_w(qt, 1, w)
    vbe_w(qt, 2, h)
    vbe_w(qt, 3, bpp)
    vbe_w(qt, 4, flags)


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    assert parts[0] == b"P6", "not a binary PPM"
    w, h = map(int, parts[1].split())
    assert parts[2] == b"255"
    pix = parts[3]
    assert len(pix) == w * h * 3, "PPM data is %d bytes, expected %d" % (len(pix), w * h * 3)
    return w, h, pix


def read_png(path):
    """Decode an 8-bit RGB, non-interlaced PNG (what Osprey writes) with zlib only."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype == 2 and interlace == 0, "unexpected PNG format"
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * 3
    out = bytearray()
    prev = bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if ft == 1:
                line[i] = (line[i] + a) & 0xff
            elif ft == 2:
                line[i] = (line[i] + b) & 0xff
            elif ft == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xff
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 0xff
        out += line
        prev = line
    return w, h, bytes(out)


def pixel(img, x, y):
    w, h, pix = img
    o = (y * w + x) * 3
    return tuple(pix[o:o + 3])
