/*
 * Osprey VGA BIOS: the option ROM in the standard VGA's ROM BAR (PCI 1234:1111).  POST runs
 * its init (vga_post), which sets text mode 3, loads the 8x16 font into plane 2 and hooks
 * INT 10h, INT 1Fh and INT 43h.  Services: set mode (3 and 2: 80x25 text, 13h: 320x200x256,
 * 12h: 640x480x16, each with the VGA registers programmed for real), cursor shape and
 * position, active page, scroll, read/write character, pixels, teletype, write string,
 * palette and DAC registers, fonts (AX=1130h pointers to the 8x16/8x14/8x8 tables, which
 * bios/vgabios/psf2font.py generates from Debian's console fonts at build time, and loading
 * a ROM font in text mode), EGA/VGA information, display combination, and VBE (bios/vbe.c,
 * shared with the system BIOS) over the Bochs DISPI registers.
 *
 * State lives where every VGA BIOS keeps it: the BIOS data area (mode, columns, cursor,
 * page, rows, character height) and the VGA's own registers.  Register values are those of
 * the IBM VGA's standard modes (IBM VGA Technical Reference).
 */
#include "../bios.h"

#define VGA_TEXT_SEG 0xb800
#define VGA_GFX_SEG 0xa000
#define SEQ_INDEX 0x3c4
#define GC_INDEX 0x3ce
#define CRTC_INDEX 0x3d4
#define AC_INDEX 0x3c0
#define AC_READ 0x3c1
#define MISC_WRITE 0x3c2
#define INPUT_STATUS 0x3da
#define DAC_WRITE_INDEX 0x3c8
#define DAC_READ_INDEX 0x3c7
#define DAC_DATA 0x3c9
#define BDA_VIDEO_CTL 0x87
#define BDA_VIDEO_SWITCHES 0x88
#define BDA_VGA_FLAGS 0x89

extern const u8 font8x16[256 * 16], font8x14[256 * 14], font8x8[256 * 8];
u16 vga_bdf = 0xffff;
bool vga_present = true; /* this ROM runs only on the VGA it belongs to (vbe.c reads it) */

struct vga_mode {
    u8 number;
    bool graphics;
    u8 cols, rows, char_height;
    u16 page_size;
    u8 misc;
    u8 seq[5];
    u8 crtc[25];
    u8 ac[21];
    u8 gc[9];
};

static const struct vga_mode vga_modes[] = {
    {0x03, false, 80, 25, 16, 0x1000, 0x67,
     {0x03, 0x00, 0x03, 0x00, 0x02},
     {0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
      0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff},
     {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
      0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00},
     {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff}},
    {0x12, true, 80, 30, 16, 0xa000, 0xe3,
     {0x03, 0x01, 0x0f, 0x00, 0x06},
     {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff},
     {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
      0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00},
     {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff}},
    {0x13, true, 40, 25, 8, 0x0000, 0x63,
     {0x03, 0x01, 0x0f, 0x00, 0x0e},
     {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff},
     {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
      0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00},
     {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff}},
};

static const struct vga_mode *mode_find(u8 number)
{
    for (u32 i = 0; i < ARRAY_SIZE(vga_modes); i++) {
        if (vga_modes[i].number == number) {
            return &vga_modes[i];
        }
    }
    return NULL;
}

static const struct vga_mode *current_mode(void)
{
    const struct vga_mode *m = mode_find(bda_rb(BDA_VIDEO_MODE));
    return m ? m : &vga_modes[0];
}

static void seq_write(u8 index, u8 v)
{
    outb(index, SEQ_INDEX);
    outb(v, SEQ_INDEX + 1);
}

static void gc_write(u8 index, u8 v)
{
    outb(index, GC_INDEX);
    outb(v, GC_INDEX + 1);
}

static void crtc_write(u8 index, u8 v)
{
    outb(index, CRTC_INDEX);
    outb(v, CRTC_INDEX + 1);
}

/* The attribute controller: reading input status 1 resets its index/data flip-flop. */
static void ac_write(u8 index, u8 v)
{
    inb(INPUT_STATUS);
    outb(index, AC_INDEX);
    outb(v, AC_INDEX);
}

static u8 ac_read(u8 index)
{
    inb(INPUT_STATUS);
    outb(index, AC_INDEX);
    u8 v = inb(AC_READ);
    inb(INPUT_STATUS);
    return v;
}

static void ac_enable_video(void)
{
    inb(INPUT_STATUS);
    outb(0x20, AC_INDEX); /* palette address source: the screen shows again */
}

static void dac_set(u8 index, u8 r, u8 g, u8 b)
{
    outb(index, DAC_WRITE_INDEX);
    outb(r, DAC_DATA);
    outb(g, DAC_DATA);
    outb(b, DAC_DATA);
}

/*
 * The default DAC: for 16-colour modes the 64 EGA colours (bits 0-2 the 2/3 intensity
 * blue, green, red, bits 3-5 their 1/3 components); for mode 13h the 16 CGA colours, a grey
 * ramp and a colour cube.
 */
static void dac_load_default(bool mode13)
{
    if (!mode13) {
        for (u8 i = 0; i < 64; i++) {
            u8 r = ((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15;
            u8 g = ((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15;
            u8 b = (i & 1) * 0x2a + ((i >> 3) & 1) * 0x15;
            dac_set(i, r, g, b);
        }
        return;
    }
    for (u8 i = 0; i < 16; i++) {
        u8 hi = (i & 8) ? 0x15 : 0;
        u8 r = ((i >> 2) & 1) * 0x2a + hi;
        u8 g = ((i >> 1) & 1) * 0x2a + hi;
        u8 b = (i & 1) * 0x2a + hi;
        if (i == 6) {
            g = 0x15; /* brown, not dark yellow */
        }
        dac_set(i, r, g, b);
    }
    for (u8 i = 0; i < 16; i++) {
        u8 v = (u8)(i * 63 / 15);
        dac_set((u8)(16 + i), v, v, v);
    }
    for (u32 i = 0; i < 216; i++) {
        dac_set((u8)(32 + i), (u8)(i / 36 * 63 / 5), (u8)(i / 6 % 6 * 63 / 5),
                (u8)(i % 6 * 63 / 5));
    }
    for (u32 i = 248; i < 256; i++) {
        dac_set((u8)i, 0, 0, 0);
    }
}

/* Load a font (height rows per glyph) into plane 2, the character generator of text modes. */
static void font_load(const u8 *font, u8 height)
{
    seq_write(0x02, 0x04); /* write plane 2 only */
    seq_write(0x04, 0x07); /* sequential addressing, no odd/even */
    gc_write(0x04, 0x02);
    gc_write(0x05, 0x00);
    gc_write(0x06, 0x04);  /* A0000h, 64 KiB, no chaining */
    for (u16 ch = 0; ch < 256; ch++) {
        for (u8 row = 0; row < 32; row++) {
            far_wb(VGA_GFX_SEG, (u16)(ch * 32 + row), row < height ? font[ch * height + row] : 0);
        }
    }
    seq_write(0x02, 0x03);
    seq_write(0x04, 0x02);
    gc_write(0x04, 0x00);
    gc_write(0x05, 0x10);
    gc_write(0x06, 0x0e);
}

static void cursor_shape_set(u16 shape)
{
    bda_ww(BDA_CURSOR_SHAPE, shape);
    crtc_write(0x0a, shape >> 8);
    crtc_write(0x0b, shape & 0xff);
}

static void cursor_hw_update(u8 page)
{
    const struct vga_mode *m = current_mode();
    if (m->graphics || page != bda_rb(BDA_ACTIVE_PAGE)) {
        return;
    }
    u16 pos = bda_rw(BDA_CURSOR_POS + 2 * page);
    u16 addr = (u16)((pos >> 8) * m->cols + (pos & 0xff) + page * (m->page_size / 2));
    crtc_write(0x0e, addr >> 8);
    crtc_write(0x0f, addr & 0xff);
}

static void cursor_set(u8 page, u8 row, u8 col)
{
    page &= 7;
    bda_ww(BDA_CURSOR_POS + 2 * page, (u16)(row << 8 | col));
    cursor_hw_update(page);
}

static void clear_screen(const struct vga_mode *m)
{
    if (!m->graphics) {
        for (u16 i = 0; i < 0x8000; i += 2) {
            far_ww(VGA_TEXT_SEG, i, 0x0720);
        }
        return;
    }
    seq_write(0x02, 0x0f);
    for (u32 i = 0; i < 0x10000; i += 2) {
        far_ww(VGA_GFX_SEG, (u16)i, 0);
    }
}

static bool vga_set_mode(u8 number, bool keep_memory)
{
    const struct vga_mode *m = mode_find(number == 2 ? 3 : number);
    if (!m) {
        return false;
    }
    vbe_disable();
    inb(INPUT_STATUS);
    outb(0x00, AC_INDEX); /* blank while the registers change */
    outb(m->misc, MISC_WRITE);
    seq_write(0x00, 0x01); /* synchronous reset */
    for (u8 i = 1; i < 5; i++) {
        seq_write(i, m->seq[i]);
    }
    seq_write(0x00, 0x03);
    crtc_write(0x11, 0x00); /* unlock CRTC registers 0-7 */
    for (u8 i = 0; i < 25; i++) {
        crtc_write(i, m->crtc[i]);
    }
    for (u8 i = 0; i < 21; i++) {
        ac_write(i, m->ac[i]);
    }
    for (u8 i = 0; i < 9; i++) {
        gc_write(i, m->gc[i]);
    }
    dac_load_default(m->number == 0x13);
    outb(0xff, 0x3c6); /* DAC pixel mask */
    if (!m->graphics) {
        font_load(font8x16, 16);
    }
    if (!keep_memory) {
        clear_screen(m);
    }
    ac_enable_video();
    bda_wb(BDA_VIDEO_MODE, number == 2 ? 3 : number);
    bda_ww(BDA_VIDEO_COLS, m->cols);
    bda_ww(BDA_VIDEO_PAGE_SIZE, m->page_size);
    bda_ww(BDA_CRTC_PORT, CRTC_INDEX);
    bda_wb(BDA_VIDEO_ROWS, (u8)(m->rows - 1));
    bda_wb(BDA_CHAR_HEIGHT, m->char_height);
    bda_wb(BDA_VIDEO_CTL, (u8)(0x60 | (keep_memory ? 0x80 : 0)));
    bda_wb(BDA_VIDEO_SWITCHES, 0xf9);
    bda_wb(BDA_VGA_FLAGS, 0x51); /* 400 lines, VGA active, default palette loading */
    bda_wb(BDA_ACTIVE_PAGE, 0);
    for (u8 p = 0; p < 8; p++) {
        bda_ww(BDA_CURSOR_POS + 2 * p, 0);
    }
    if (!m->graphics) {
        cursor_shape_set(0x0d0e);
        crtc_write(0x0c, 0);
        crtc_write(0x0d, 0);
        cursor_hw_update(0);
    }
    /* INT 43h: the 8x8 graphics font (8x16 in mode 12h), as software drawing text reads it. */
    far_ww(0, 0x43 * 4, (u16)(u32)(m->char_height == 16 ? font8x16 : font8x8));
    far_ww(0, 0x43 * 4 + 2, code_seg());
    return true;
}

/* ---- Drawing characters and pixels in graphics modes ---- */

static void pixel_write(const struct vga_mode *m, u16 x, u16 y, u8 colour)
{
    if (m->number == 0x13) {
        if (x < 320 && y < 200) {
            far_wb(VGA_GFX_SEG, (u16)(y * 320 + x), colour);
        }
        return;
    }
    if (x >= 640 || y >= 480) {
        return;
    }
    /* Planar 16 colours: write mode 2 paints the colour into the bit the mask selects. */
    u16 off = (u16)(y * 80 + x / 8);
    gc_write(0x05, 0x02);
    gc_write(0x08, (u8)(0x80 >> (x & 7)));
    gc_write(0x03, (colour & 0x80) ? 0x18 : 0x00); /* bit 7: XOR, as the IBM BIOS */
    seq_write(0x02, 0x0f);
    (void)far_rb(VGA_GFX_SEG, off); /* load the latches */
    far_wb(VGA_GFX_SEG, off, colour & 0x0f);
    gc_write(0x03, 0x00);
    gc_write(0x08, 0xff);
    gc_write(0x05, 0x00);
}

static u8 pixel_read(const struct vga_mode *m, u16 x, u16 y)
{
    if (m->number == 0x13) {
        return x < 320 && y < 200 ? far_rb(VGA_GFX_SEG, (u16)(y * 320 + x)) : 0;
    }
    if (x >= 640 || y >= 480) {
        return 0;
    }
    u8 colour = 0;
    u16 off = (u16)(y * 80 + x / 8);
    for (u8 plane = 0; plane < 4; plane++) {
        gc_write(0x04, plane);
        if (far_rb(VGA_GFX_SEG, off) & (0x80 >> (x & 7))) {
            colour |= (u8)(1 << plane);
        }
    }
    gc_write(0x04, 0);
    return colour;
}

static void glyph_draw(const struct vga_mode *m, u8 row, u8 col, u8 ch, u8 fg, u8 bg)
{
    const u8 *font = m->char_height == 16 ? font8x16 : font8x8;
    u8 h = m->char_height;
    for (u8 y = 0; y < h; y++) {
        u8 bits = font[ch * h + y];
        for (u8 x = 0; x < 8; x++) {
            pixel_write(m, (u16)(col * 8 + x), (u16)(row * h + y),
                        (bits & (0x80 >> x)) ? fg : bg);
        }
    }
}

/* ---- Text services ---- */

static void char_put(u8 page, u8 row, u8 col, u8 ch, u8 attr, bool use_attr)
{
    const struct vga_mode *m = current_mode();
    if (row >= m->rows || col >= m->cols) {
        return;
    }
    if (m->graphics) {
        glyph_draw(m, row, col, ch, attr, 0);
        return;
    }
    u16 off = (u16)((page & 7) * m->page_size + 2 * (row * m->cols + col));
    far_wb(VGA_TEXT_SEG, off, ch);
    if (use_attr) {
        far_wb(VGA_TEXT_SEG, off + 1, attr);
    }
}

/* Scroll a window up (lines > 0) or down (lines < 0); 0 clears it. */
static void scroll(u8 page, int lines, u8 attr, u8 top, u8 left, u8 bottom, u8 right)
{
    const struct vga_mode *m = current_mode();
    if (bottom >= m->rows) {
        bottom = (u8)(m->rows - 1);
    }
    if (right >= m->cols) {
        right = (u8)(m->cols - 1);
    }
    if (top > bottom || left > right) {
        return;
    }
    int height = bottom - top + 1;
    if (lines == 0 || lines >= height || -lines >= height) {
        lines = height;
    }
    for (int i = 0; i < height; i++) {
        int row = lines > 0 ? top + i : bottom - i;
        int src = row + lines;
        bool blank = lines > 0 ? src > bottom : src < top;
        if (m->graphics) {
            /* Copy or clear the character row's pixel lines. */
            u8 h = m->char_height;
            for (u8 y = 0; y < h; y++) {
                for (u16 x = (u16)(left * 8); x < (u16)((right + 1) * 8); x++) {
                    u8 c = blank ? attr : pixel_read(m, x, (u16)(src * h + y));
                    pixel_write(m, x, (u16)(row * h + y), c & 0x7f);
                }
            }
            continue;
        }
        u16 base = (u16)((page & 7) * m->page_size);
        for (int col = left; col <= right; col++) {
            u16 dst = base + (u16)(2 * (row * m->cols + col));
            u16 cell = blank ? (u16)(attr << 8 | ' ')
                             : far_rw(VGA_TEXT_SEG, base + (u16)(2 * (src * m->cols + col)));
            far_ww(VGA_TEXT_SEG, dst, cell);
        }
    }
}

static void teletype(u8 page, u8 ch, u8 attr)
{
    const struct vga_mode *m = current_mode();
    page &= 7;
    u16 pos = bda_rw(BDA_CURSOR_POS + 2 * page);
    u8 row = pos >> 8, col = pos & 0xff;
    if (!teletype_control(ch, &row, &col)) {
        char_put(page, row, col, ch, attr, m->graphics);
        col++;
    }
    if (col >= m->cols) {
        col = 0;
        row++;
    }
    if (row >= m->rows) {
        /* The new line takes the attribute of the cell at the cursor (text modes). */
        u8 fill = 0x07;
        if (!m->graphics) {
            u16 off = (u16)(page * m->page_size + 2 * ((m->rows - 1) * m->cols + col));
            fill = far_rb(VGA_TEXT_SEG, off + 1);
        } else {
            fill = 0;
        }
        scroll(page, 1, fill, 0, 0, (u8)(m->rows - 1), (u8)(m->cols - 1));
        row = (u8)(m->rows - 1);
    }
    cursor_set(page, row, col);
}

/* AH=10h: palette registers and the DAC. */
static void palette_service(struct bregs *r)
{
    switch (r->ax.l) {
    case 0x00:
        if (r->bx.l < 16) {
            ac_write(r->bx.l, r->bx.h);
        }
        break;
    case 0x01:
        ac_write(0x11, r->bx.h);
        break;
    case 0x02:
        for (u8 i = 0; i < 17; i++) {
            ac_write(i < 16 ? i : 0x11, far_rb(r->es, (u16)(r->dx.x + i)));
        }
        break;
    case 0x03: { /* blink (BL=1) or intensity (BL=0) */
        u8 mode = ac_read(0x10);
        ac_write(0x10, r->bx.l ? (mode | 0x08) : (mode & ~0x08));
        break;
    }
    case 0x07:
        r->bx.h = r->bx.l < 16 ? ac_read(r->bx.l) : 0;
        break;
    case 0x10:
        dac_set(r->bx.l, r->dx.h, r->cx.h, r->cx.l);
        break;
    case 0x12:
        for (u16 i = 0; i < r->cx.x && r->bx.x + i < 256; i++) {
            u16 src = (u16)(r->dx.x + 3 * i);
            dac_set((u8)(r->bx.x + i), far_rb(r->es, src), far_rb(r->es, src + 1),
                    far_rb(r->es, src + 2));
        }
        break;
    case 0x15:
        outb(r->bx.l, DAC_READ_INDEX);
        r->dx.h = inb(DAC_DATA);
        r->cx.h = inb(DAC_DATA);
        r->cx.l = inb(DAC_DATA);
        break;
    case 0x17:
        outb(r->bx.l, DAC_READ_INDEX);
        for (u16 i = 0; i < r->cx.x && r->bx.x + i < 256; i++) {
            for (u8 c = 0; c < 3; c++) {
                far_wb(r->es, (u16)(r->dx.x + 3 * i + c), inb(DAC_DATA));
            }
        }
        break;
    default:
        dprintf("vgabios: AX=%04x not supported\n", r->ax.x);
        break;
    }
}

/* AH=11h: fonts.  AL=30h returns a table's address; 01h/02h/04h (and 11h/12h/14h, which
 * also recompute the rows) load a ROM font into the text-mode character generator. */
static void font_service(struct bregs *r)
{
    const struct vga_mode *m = current_mode();
    const u8 *font = NULL;
    u8 height = 0;
    switch (r->ax.l) {
    case 0x30: {
        r->cx.x = bda_rb(BDA_CHAR_HEIGHT);
        r->dx.l = bda_rb(BDA_VIDEO_ROWS);
        u16 seg = code_seg(), off = 0;
        switch (r->bx.h) {
        case 0x00: /* the INT 1Fh vector: 8x8 characters 80h-FFh */
            seg = far_rw(0, 0x1f * 4 + 2);
            off = far_rw(0, 0x1f * 4);
            break;
        case 0x01: /* the INT 43h vector */
            seg = far_rw(0, 0x43 * 4 + 2);
            off = far_rw(0, 0x43 * 4);
            break;
        case 0x02:
        case 0x05: /* 9x14 alternates: the 8x14 glyphs serve */
            off = (u16)(u32)font8x14;
            break;
        case 0x03:
            off = (u16)(u32)font8x8;
            break;
        case 0x04:
            off = (u16)((u32)font8x8 + 128 * 8);
            break;
        case 0x06:
        case 0x07:
            off = (u16)(u32)font8x16;
            break;
        default:
            seg = 0;
            break;
        }
        r->es = seg;
        r->bp.x = off;
        return;
    }
    case 0x01:
    case 0x11:
        font = font8x14;
        height = 14;
        break;
    case 0x02:
    case 0x12:
        font = font8x8;
        height = 8;
        break;
    case 0x04:
    case 0x14:
        font = font8x16;
        height = 16;
        break;
    default:
        dprintf("vgabios: AX=%04x not supported\n", r->ax.x);
        return;
    }
    if (m->graphics) {
        return;
    }
    font_load(font, height);
    if (r->ax.l & 0x10) {
        /* The character height follows the font; 400 scan lines give the row count. */
        crtc_write(0x09, (u8)(height - 1));
        crtc_write(0x0a, (u8)(height - 3));
        crtc_write(0x0b, (u8)(height - 2));
        bda_wb(BDA_CHAR_HEIGHT, height);
        bda_wb(BDA_VIDEO_ROWS, (u8)(400 / height - 1));
    }
}

static void write_string(struct bregs *r)
{
    u8 page = r->bx.h & 7;
    u16 saved = bda_rw(BDA_CURSOR_POS + 2 * page);
    cursor_set(page, r->dx.h, r->dx.l);
    bool with_attr = r->ax.l & 2;
    u16 off = r->bp.x;
    for (u16 i = 0; i < r->cx.x && i < 80 * 50; i++) {
        u8 ch = far_rb(r->es, off++);
        u8 attr = with_attr ? far_rb(r->es, off++) : r->bx.l;
        if (ch >= 0x20 && !current_mode()->graphics) {
            u16 pos = bda_rw(BDA_CURSOR_POS + 2 * page);
            char_put(page, pos >> 8, pos & 0xff, ch, attr, true);
            pos++;
            if ((pos & 0xff) >= current_mode()->cols) {
                teletype(page, '\r', attr);
                teletype(page, '\n', attr);
            } else {
                cursor_set(page, pos >> 8, pos & 0xff);
            }
        } else {
            teletype(page, ch, attr);
        }
    }
    if (!(r->ax.l & 1)) {
        cursor_set(page, saved >> 8, saved & 0xff);
    }
}

void handle_int10(struct bregs *r)
{
    const struct vga_mode *m = current_mode();
    u8 page = r->bx.h & 7;
    switch (r->ax.h) {
    case 0x00: {
        u8 mode = r->ax.l & 0x7f;
        if (!vga_set_mode(mode, r->ax.l & 0x80)) {
            dprintf("vgabios: mode %x not supported: mode 3 instead\n", mode);
            vga_set_mode(3, false);
        }
        r->ax.l = bda_rb(BDA_VIDEO_MODE) == 0x13 || bda_rb(BDA_VIDEO_MODE) == 0x12 ? 0x20
                                                                                  : 0x30;
        break;
    }
    case 0x01:
        cursor_shape_set(r->cx.x);
        break;
    case 0x02:
        cursor_set(page, r->dx.h, r->dx.l);
        break;
    case 0x03:
        r->dx.x = bda_rw(BDA_CURSOR_POS + 2 * page);
        r->cx.x = bda_rw(BDA_CURSOR_SHAPE);
        break;
    case 0x05:
        if (!m->graphics) {
            u8 p = r->ax.l & 7;
            u16 start = (u16)(p * m->page_size / 2);
            bda_wb(BDA_ACTIVE_PAGE, p);
            crtc_write(0x0c, start >> 8);
            crtc_write(0x0d, start & 0xff);
            cursor_hw_update(p);
        }
        break;
    case 0x06:
    case 0x07:
        scroll(bda_rb(BDA_ACTIVE_PAGE), r->ax.h == 6 ? r->ax.l : -(int)r->ax.l, r->bx.h,
               r->cx.h, r->cx.l, r->dx.h, r->dx.l);
        break;
    case 0x08: {
        u16 pos = bda_rw(BDA_CURSOR_POS + 2 * page);
        if (m->graphics) {
            r->ax.x = 0;
            break;
        }
        r->ax.x = far_rw(VGA_TEXT_SEG, (u16)(page * m->page_size +
                                             2 * ((pos >> 8) * m->cols + (pos & 0xff))));
        break;
    }
    case 0x09:
    case 0x0a: {
        u16 pos = bda_rw(BDA_CURSOR_POS + 2 * page);
        u8 row = pos >> 8, col = pos & 0xff;
        for (u16 i = 0; i < r->cx.x && row < m->rows; i++) {
            char_put(page, row, col, r->ax.l, r->bx.l, r->ax.h == 0x09 || m->graphics);
            if (++col >= m->cols) {
                col = 0;
                row++;
            }
        }
        break;
    }
    case 0x0c:
        if (m->graphics) {
            pixel_write(m, r->cx.x, r->dx.x, r->ax.l);
        }
        break;
    case 0x0d:
        r->ax.l = m->graphics ? pixel_read(m, r->cx.x, r->dx.x) : 0;
        break;
    case 0x0e:
        teletype(bda_rb(BDA_ACTIVE_PAGE), r->ax.l, r->bx.l);
        break;
    case 0x0f:
        r->ax.l = (u8)(bda_rb(BDA_VIDEO_MODE) | (bda_rb(BDA_VIDEO_CTL) & 0x80));
        r->ax.h = (u8)bda_rw(BDA_VIDEO_COLS);
        r->bx.h = bda_rb(BDA_ACTIVE_PAGE);
        break;
    case 0x10:
        palette_service(r);
        break;
    case 0x11:
        font_service(r);
        break;
    case 0x12:
        if (r->bx.l == 0x10) { /* EGA information: colour, 256 KiB, switches */
            r->bx.x = 0x0003;
            r->cx.x = 0x0009;
        } else if (r->bx.l >= 0x30 && r->bx.l <= 0x36) {
            r->ax.l = 0x12; /* "supported" for the alternate-select functions */
        }
        break;
    case 0x13:
        write_string(r);
        break;
    case 0x1a:
        if (r->ax.l == 0) {
            r->ax.l = 0x1a;
            r->bx.x = 0x0008; /* VGA with a colour display */
        }
        break;
    case 0x4f:
        handle_vbe(r);
        break;
    default:
        dprintf("vgabios: AX=%04x not supported\n", r->ax.x);
        break;
    }
}

extern char vga_int10_entry[];

void vga_post(u32 bdf)
{
    vga_bdf = (u16)bdf;
    far_ww(0, 0x10 * 4, (u16)(u32)vga_int10_entry);
    far_ww(0, 0x10 * 4 + 2, code_seg());
    far_ww(0, 0x1f * 4, (u16)((u32)font8x8 + 128 * 8));
    far_ww(0, 0x1f * 4 + 2, code_seg());
    vga_set_mode(3, false);
    /* The equipment word: an 80x25 colour adapter. */
    bda_ww(BDA_EQUIPMENT, (u16)((bda_rw(BDA_EQUIPMENT) & ~0x30) | 0x20));
}

/* The debug console (port 0xE9, -debugcon): what the ROM does not support. */
static void debug_hex(u32 v)
{
    for (int i = 12; i >= 0; i -= 4) {
        outb((u8)"0123456789abcdef"[(v >> i) & 15], 0xe9);
    }
}

void dprintf(const char *fmt, ...)
{
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            outb((u8)*fmt, 0xe9);
            continue;
        }
        while (fmt[1] >= '0' && fmt[1] <= '9') {
            fmt++;
        }
        fmt++;
        if (*fmt == 's') {
            for (const char *s = __builtin_va_arg(ap, const char *); *s; s++) {
                outb((u8)*s, 0xe9);
            }
        } else if (*fmt) {
            debug_hex(__builtin_va_arg(ap, u32));
        } else {
            break;
        }
    }
    __builtin_va_end(ap);
}

/* PCI configuration reads (mechanism #1), for VBE's framebuffer address in BAR 0. */
u32 pci_read32(u16 bdf, u8 reg)
{
    outl(0x80000000u | (u32)bdf << 8 | (reg & 0xfc), 0xcf8);
    return inl(0xcfc);
}
