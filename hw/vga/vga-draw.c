/*
 * The VGA renderer: works out the mode from the CRTC, sequencer, graphics
 * and attribute registers (or the VBE registers), and draws VRAM into the
 * console surface, redrawing only what changed: text cells are compared
 * with what was drawn last, graphics scanlines with the VRAM dirty pages.
 */
#include "hw/vga/vga.h"

#include "core/log.h"
#include "core/timer.h"

/* Cursor and character blink half-periods (the VGA blinks at 1/16 and 1/32 of ~60 Hz). */
#define VGA_CURSOR_BLINK_NS (NANOSECONDS_PER_SECOND / 4)
#define VGA_CHAR_BLINK_NS (NANOSECONDS_PER_SECOND / 2)

static inline uint32_t rgb_pixel(unsigned r, unsigned g, unsigned b)
{
    return 0xff000000u | (r << 16) | (g << 8) | b;
}

static inline uint8_t dac_to_8bit(uint8_t v)
{
    v &= 0x3f;
    return (uint8_t)((v << 2) | (v >> 4));
}

static void vga_update_palette(VGACommonState *s)
{
    bool dac8 = (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC) != 0;
    for (int i = 0; i < 256; i++) {
        const uint8_t *c = &s->palette[i * 3];
        if (dac8) {
            s->palette_rgb[i] = rgb_pixel(c[0], c[1], c[2]);
        } else {
            s->palette_rgb[i] = rgb_pixel(dac_to_8bit(c[0]), dac_to_8bit(c[1]),
                                          dac_to_8bit(c[2]));
        }
    }
}

/* A 4-bit attribute colour through the palette registers to a DAC index. */
static uint8_t vga_attr_to_dac(const VGACommonState *s, unsigned color)
{
    uint8_t v = s->ar[color & 0x0f];
    if (s->ar[0x10] & 0x80) {
        /* P5-P4 from the colour select register. */
        v = (v & 0x0f) | ((s->ar[0x14] & 0x03) << 4);
    }
    v |= (s->ar[0x14] & 0x0c) << 4; /* P7-P6 */
    return v & s->pel_mask;
}

static int vga_vertical_display_end(const VGACommonState *s)
{
    int vde = s->cr[0x12] | ((s->cr[0x07] & 0x02) << 7) | ((s->cr[0x07] & 0x40) << 3);
    return vde + 1;
}

static uint32_t vga_start_address(const VGACommonState *s)
{
    return (uint32_t)s->cr[0x0c] << 8 | s->cr[0x0d];
}

/* Work out what the registers describe. */
static void vga_compute_mode(VGACommonState *s, VGAMode *m)
{
    memset(m, 0, sizeof(*m));
    if (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) {
        m->kind = VGA_MODE_VBE;
        m->width = s->vbe_regs[VBE_DISPI_INDEX_XRES];
        m->height = s->vbe_regs[VBE_DISPI_INDEX_YRES];
        m->bpp = s->vbe_regs[VBE_DISPI_INDEX_BPP];
        /* Mode registers rewritten while enabled are only shown if they still make sense. */
        unsigned bytes = m->bpp == 15 ? 2 : m->bpp / 8;
        bool bpp_ok = m->bpp == 8 || m->bpp == 15 || m->bpp == 16 || m->bpp == 24 ||
                      m->bpp == 32;
        if (!bpp_ok || m->width == 0 || m->height == 0 || m->width > VBE_DISPI_MAX_XRES ||
            m->height > VBE_DISPI_MAX_YRES ||
            (uint64_t)m->width * m->height * bytes > s->vram_size) {
            memset(m, 0, sizeof(*m));
        }
        return;
    }
    /* Screen off (sequencer clocking bit 5), or the palette not connected to the screen. */
    if (!(s->ar_index & 0x20) || (s->sr[1] & 0x20)) {
        return;
    }
    int hde_chars = s->cr[0x01] + 1;
    int vde = vga_vertical_display_end(s);
    int max_scan = (s->cr[0x09] & 0x1f) + 1;
    m->dot_double = (s->sr[1] & 0x08) != 0;
    if (!(s->gr[6] & 0x01)) {
        m->kind = VGA_MODE_TEXT;
        m->cell_w = (s->sr[1] & 0x01) ? 8 : 9;
        m->cell_h = max_scan;
        m->cols = hde_chars;
        m->rows = vde / max_scan;
        m->width = m->cols * m->cell_w * (m->dot_double ? 2 : 1);
        m->height = m->rows * m->cell_h;
    } else {
        /*
         * With CGA addressing (CR17 bit 0 clear) the row scan counter's bit 0
         * picks the odd-line bank instead of repeating the line.
         */
        bool cga_addressing = !(s->cr[0x17] & 0x01);
        int lines = vde / ((s->cr[0x09] & 0x80) ? 2 : 1);
        m->height = cga_addressing ? lines : lines / max_scan;
        m->width = hde_chars * 8;
        unsigned shift = (s->gr[5] >> 5) & 3;
        if (shift >= 2) {
            m->kind = VGA_MODE_256; /* each pixel lasts two dot clocks */
            m->width /= 2;
        } else if (shift == 1) {
            m->kind = VGA_MODE_CGA2;
        } else if (cga_addressing && (s->ar[0x12] & 0x0f) == 0x01) {
            m->kind = VGA_MODE_CGA1;
        } else {
            m->kind = VGA_MODE_PLANAR4;
        }
    }
    if (m->width <= 0 || m->height <= 0 || m->width > 4096 || m->height > 4096) {
        m->kind = VGA_MODE_NONE;
        m->width = m->height = 0;
    }
}

static const char *const vga_mode_names[] = {
    [VGA_MODE_NONE] = "off", [VGA_MODE_TEXT] = "text", [VGA_MODE_PLANAR4] = "planar 16-colour",
    [VGA_MODE_CGA2] = "CGA 4-colour", [VGA_MODE_CGA1] = "CGA 2-colour",
    [VGA_MODE_256] = "256-colour", [VGA_MODE_VBE] = "VBE",
};

static void vga_dirty_cb(void *opaque, int x, int y, int w, int h)
{
    display_dirty(opaque, x, y, w, h);
}

/* ---------------------------------------------------------------------- */
/* Text */

static const uint32_t vga_font_map_offset[8] = {0x0000, 0x4000, 0x8000, 0xc000,
                                                0x2000, 0x6000, 0xa000, 0xe000};

static void draw_cell(const VGATextParams *p, uint32_t *dst, int stride, int row, int col,
                      uint8_t ch, uint8_t attr, bool cursor)
{
    uint32_t font = (attr & 0x08) ? p->font_a : p->font_b;
    unsigned fg_i = attr & 0x0f;
    unsigned bg_i = attr >> 4;
    bool hide_fg = false;
    if (p->blink_enabled) {
        bg_i &= 7;
        hide_fg = (attr & 0x80) && !p->blink_on;
    }
    uint32_t fg = p->colors[fg_i];
    uint32_t bg = p->colors[bg_i];
    int dots = p->dot_double ? 2 : 1;
    int px0 = col * p->cell_w * dots;
    int py0 = row * p->cell_h;
    for (int y = 0; y < p->cell_h; y++) {
        uint32_t glyph_off = (font + (uint32_t)ch * 32 + (uint32_t)y) * 4 + 2;
        uint8_t bits = glyph_off < p->vram_size ? p->vram[glyph_off] : 0;
        if (hide_fg) {
            bits = 0;
        }
        if (cursor && y >= p->cursor_start && y <= p->cursor_end) {
            bits = 0xff;
        }
        uint32_t *line = dst + (size_t)(py0 + y) * stride + px0;
        for (int x = 0; x < p->cell_w; x++) {
            bool on;
            if (x < 8) {
                on = bits & (0x80 >> x);
            } else {
                /* The ninth dot: a copy of the eighth for line-drawing characters. */
                on = p->line_graphics && ch >= 0xc0 && ch <= 0xdf && (bits & 1);
                if (cursor && y >= p->cursor_start && y <= p->cursor_end) {
                    on = true;
                }
            }
            uint32_t c = on ? fg : bg;
            for (int d = 0; d < dots; d++) {
                line[x * dots + d] = c;
            }
        }
    }
}

int vga_draw_text(const VGATextParams *p, uint32_t *dst, int stride,
                  void (*dirty)(void *opaque, int x, int y, int w, int h), void *opaque)
{
    int drawn = 0;
    int cell_px = p->cell_w * (p->dot_double ? 2 : 1);
    for (int row = 0; row < p->rows; row++) {
        int first = -1, last = -1;
        for (int col = 0; col < p->cols; col++) {
            int idx = row * p->cols + col;
            /* The CRTC address counter is 16 bits: the text wraps inside 64K cells. */
            uint32_t cell = (p->start_cell + (uint32_t)row * p->row_stride + col) & 0xffff;
            uint32_t off = cell * 4;
            uint8_t ch = off + 1 < p->vram_size ? p->vram[off] : 0;
            uint8_t attr = off + 1 < p->vram_size ? p->vram[off + 1] : 0;
            uint16_t v = ch | attr << 8;
            bool cursor = p->cursor_cell >= 0 && (uint32_t)p->cursor_cell == cell;
            bool blinking = p->blink_enabled && (attr & 0x80) && p->blink_changed;
            if (p->shadow && p->shadow[idx] == v && !cursor && !blinking &&
                idx != p->force_cell) {
                continue;
            }
            draw_cell(p, dst, stride, row, col, ch, attr, cursor);
            if (p->shadow_out) {
                p->shadow_out[idx] = v;
            }
            if (first < 0) {
                first = col;
            }
            last = col;
            drawn++;
        }
        if (first >= 0 && dirty) {
            dirty(opaque, first * cell_px, row * p->cell_h, (last - first + 1) * cell_px,
                  p->cell_h);
        }
    }
    return drawn;
}

static void vga_update_text(VGACommonState *s, DisplaySurface *surf, bool full)
{
    VGAMode *m = &s->mode;
    int cells = m->cols * m->rows;
    if (s->text_shadow_cells != cells) {
        free(s->text_shadow);
        s->text_shadow = xcalloc(cells, sizeof(uint16_t));
        s->text_shadow_cells = cells;
        full = true;
    }
    /* The font lives in plane 2 of the first 256 KiB; a write there redraws all. */
    for (uint32_t pg = 0; pg < MIN(s->vram_size, 0x40000u) / MEMORY_PAGE_SIZE; pg++) {
        if (s->dirty_pages[pg]) {
            full = true; /* cheap enough: text pages are few */
            break;
        }
    }
    uint32_t colors[16];
    for (int i = 0; i < 16; i++) {
        colors[i] = s->palette_rgb[vga_attr_to_dac(s, i)];
    }
    int64_t now = clock_get_ns(machine_vclock(s->machine));
    bool cursor_phase = (now / VGA_CURSOR_BLINK_NS) % 2 == 0;
    bool blink_on = (now / VGA_CHAR_BLINK_NS) % 2 == 0;
    uint32_t start = vga_start_address(s);
    uint32_t cursor_addr = (uint32_t)s->cr[0x0e] << 8 | s->cr[0x0f];
    bool cursor_visible = !(s->cr[0x0a] & 0x20) && cursor_phase;
    int cursor_cell = cursor_visible ? (int)cursor_addr : -1;
    /* Redraw the cell the cursor left. */
    int force = -1;
    if (s->last_cursor_cell >= 0) {
        int rel = (int)(((uint32_t)s->last_cursor_cell - start) & 0xffff);
        uint32_t stride = (uint32_t)s->cr[0x13] * 2;
        if (stride && rel / (int)stride < m->rows && rel % (int)stride < m->cols) {
            force = (rel / (int)stride) * m->cols + rel % (int)stride;
        }
    }
    uint32_t font_a = vga_font_map_offset[((s->sr[3] >> 5) & 1) << 2 | ((s->sr[3] >> 2) & 3)];
    uint32_t font_b = vga_font_map_offset[((s->sr[3] >> 4) & 1) << 2 | (s->sr[3] & 3)];
    VGATextParams p = {
        .vram = s->vram,
        .vram_size = s->vram_size,
        .start_cell = start,
        .row_stride = (uint32_t)s->cr[0x13] * 2,
        .cols = m->cols,
        .rows = m->rows,
        .cell_w = m->cell_w,
        .cell_h = m->cell_h,
        .dot_double = m->dot_double,
        .font_a = font_a,
        .font_b = font_b,
        .line_graphics = (s->ar[0x10] & 0x04) != 0,
        .blink_enabled = (s->ar[0x10] & 0x08) != 0,
        .blink_on = blink_on,
        .blink_changed = blink_on != s->last_blink_on,
        .cursor_cell = cursor_cell,
        .cursor_start = s->cr[0x0a] & 0x1f,
        .cursor_end = s->cr[0x0b] & 0x1f,
        .colors = colors,
        .shadow = full ? NULL : s->text_shadow,
        .shadow_out = s->text_shadow,
        .force_cell = force,
    };
    vga_draw_text(&p, surface_data(surf), surface_stride(surf), vga_dirty_cb, s->display);
    s->last_cursor_cell = cursor_cell;
    s->last_blink_on = blink_on;
}

/* ---------------------------------------------------------------------- */
/* Graphics */

/* Snapshot and clear the dirty pages covering [start, start+len). */
static void vga_collect_dirty(VGACommonState *s)
{
    uint32_t pages = s->vram_size / MEMORY_PAGE_SIZE;
    /* Under KVM the guest writes VRAM directly: fetch the slot's dirty log first. */
    memory_region_sync_dirty_bitmap(s->vram_mr);
    for (uint32_t pg = 0; pg < pages; pg++) {
        s->dirty_pages[pg] =
            memory_region_test_and_clear_dirty(s->vram_mr, (uint64_t)pg * MEMORY_PAGE_SIZE,
                                               MEMORY_PAGE_SIZE);
    }
}

static bool vga_range_dirty(VGACommonState *s, uint64_t start, uint64_t len)
{
    if (len == 0) {
        return false;
    }
    uint64_t first = start / MEMORY_PAGE_SIZE;
    uint64_t last = (start + len - 1) / MEMORY_PAGE_SIZE;
    uint64_t pages = s->vram_size / MEMORY_PAGE_SIZE;
    for (uint64_t pg = first; pg <= last; pg++) {
        if (s->dirty_pages[pg % pages]) {
            return true;
        }
    }
    return false;
}

static inline uint8_t vram_byte(const VGACommonState *s, uint64_t off)
{
    return s->vram[off % s->vram_size];
}

/* One scanline of a VBE mode into dst. */
static void vga_draw_vbe_line(VGACommonState *s, uint32_t *dst, uint64_t src, int width)
{
    int bpp = s->mode.bpp;
    for (int x = 0; x < width; x++) {
        uint32_t px;
        switch (bpp) {
        case 8:
            px = s->palette_rgb[vram_byte(s, src + x)];
            break;
        case 15: {
            unsigned v = vram_byte(s, src + x * 2) | vram_byte(s, src + x * 2 + 1) << 8;
            unsigned r = (v >> 10) & 0x1f, g = (v >> 5) & 0x1f, b = v & 0x1f;
            px = rgb_pixel(r << 3 | r >> 2, g << 3 | g >> 2, b << 3 | b >> 2);
            break;
        }
        case 16: {
            unsigned v = vram_byte(s, src + x * 2) | vram_byte(s, src + x * 2 + 1) << 8;
            unsigned r = (v >> 11) & 0x1f, g = (v >> 5) & 0x3f, b = v & 0x1f;
            px = rgb_pixel(r << 3 | r >> 2, g << 2 | g >> 4, b << 3 | b >> 2);
            break;
        }
        case 24:
            px = rgb_pixel(vram_byte(s, src + x * 3 + 2), vram_byte(s, src + x * 3 + 1),
                           vram_byte(s, src + x * 3));
            break;
        default: /* 32 */
            px = rgb_pixel(vram_byte(s, src + x * 4 + 2), vram_byte(s, src + x * 4 + 1),
                           vram_byte(s, src + x * 4));
            break;
        }
        dst[x] = px;
    }
}

/* One scanline of a legacy graphics mode; vaddr is the planar address of its start. */
static void vga_draw_legacy_line(VGACommonState *s, uint32_t *dst, uint32_t vaddr, int width)
{
    VGAMode *m = &s->mode;
    uint32_t planar_size = s->vram_size / 4;
    switch (m->kind) {
    case VGA_MODE_256:
        for (int x = 0; x < width; x++) {
            /* Four pixels per planar address, one from each plane. */
            uint32_t a = (vaddr + x / 4) % planar_size;
            dst[x] = s->palette_rgb[s->vram[a * 4 + (x & 3)] & s->pel_mask];
        }
        break;
    case VGA_MODE_CGA2:
        for (int x = 0; x < width; x++) {
            /* Two bytes (planes 0 and 1) of 2-bit pixels per planar address. */
            uint32_t a = (vaddr + x / 8) % planar_size;
            uint8_t b = s->vram[a * 4 + ((x / 4) & 1)];
            unsigned c = (b >> (6 - 2 * (x & 3))) & 3;
            dst[x] = s->palette_rgb[vga_attr_to_dac(s, c)];
        }
        break;
    case VGA_MODE_CGA1:
        for (int x = 0; x < width; x++) {
            uint32_t a = (vaddr + x / 16) % planar_size;
            uint8_t b = s->vram[a * 4 + ((x / 8) & 1)];
            unsigned c = (b >> (7 - (x & 7))) & 1;
            dst[x] = s->palette_rgb[vga_attr_to_dac(s, c)];
        }
        break;
    default: { /* PLANAR4 */
        uint8_t plane_enable = s->ar[0x12] & 0x0f;
        for (int x = 0; x < width; x++) {
            uint32_t a = (vaddr + x / 8) % planar_size;
            unsigned bit = 7 - (x & 7);
            unsigned c = 0;
            for (int p = 0; p < 4; p++) {
                c |= ((s->vram[a * 4 + p] >> bit) & 1) << p;
            }
            dst[x] = s->palette_rgb[vga_attr_to_dac(s, c & plane_enable)];
        }
        break;
    }
    }
}

static void vga_update_graphics(VGACommonState *s, DisplaySurface *surf, bool full)
{
    VGAMode *m = &s->mode;
    uint32_t *data = surface_data(surf);
    int stride = surface_stride(surf);
    int first_dirty = -1;
    for (int y = 0; y < m->height; y++) {
        uint64_t src;
        uint64_t len;
        if (m->kind == VGA_MODE_VBE) {
            src = s->vbe_start_addr + (uint64_t)y * s->vbe_line_offset;
            len = (uint64_t)m->width * (m->bpp == 15 ? 2 : m->bpp / 8);
        } else {
            /*
             * CRTC addressing: the offset register counts words (x2) or
             * dwords (x4, CR14 bit 6); CGA modes put odd rows 8K further
             * (CR17 bit 0 clear substitutes row bit 0 for address bit 13).
             */
            uint32_t offset = (uint32_t)s->cr[0x13] * 2; /* planar addresses per line */
            uint32_t row = (uint32_t)y;
            uint32_t vaddr;
            if (m->kind == VGA_MODE_CGA2 || m->kind == VGA_MODE_CGA1) {
                /* Odd/even memory: a planar address holds two CPU bytes; banks 8K apart. */
                vaddr = vga_start_address(s) + (row / 2) * (offset / 2) + (row & 1) * 0x1000;
            } else {
                vaddr = vga_start_address(s) + row * offset;
            }
            vaddr %= s->vram_size / 4;
            src = (uint64_t)vaddr;
            len = (uint64_t)m->width; /* enough planar addresses for any legacy mode */
            if (!full && !vga_range_dirty(s, src * 4, len * 4)) {
                goto clean;
            }
            vga_draw_legacy_line(s, data + (size_t)y * stride, vaddr, m->width);
            goto drawn;
        }
        if (!full && !vga_range_dirty(s, src, len)) {
            goto clean;
        }
        vga_draw_vbe_line(s, data + (size_t)y * stride, src, m->width);
    drawn:
        if (first_dirty < 0) {
            first_dirty = y;
        }
        continue;
    clean:
        if (first_dirty >= 0) {
            display_dirty(s->display, 0, first_dirty, m->width, y - first_dirty);
            first_dirty = -1;
        }
    }
    if (first_dirty >= 0) {
        display_dirty(s->display, 0, first_dirty, m->width, m->height - first_dirty);
    }
}

/* ---------------------------------------------------------------------- */

void vga_invalidate_display(void *opaque)
{
    VGACommonState *s = opaque;
    s->full_update = true;
}

void vga_update_display(void *opaque)
{
    VGACommonState *s = opaque;
    VGAMode mode;
    vga_compute_mode(s, &mode);
    bool full = s->full_update;
    if (memcmp(&mode, &s->mode, sizeof(mode)) != 0) {
        log_mask(LOG_TRACE, "vga: mode %s %dx%d%s%s\n", vga_mode_names[mode.kind], mode.width,
                 mode.height, mode.kind == VGA_MODE_VBE ? " bpp " : "",
                 mode.kind == VGA_MODE_VBE ? (mode.bpp == 8 ? "8" : mode.bpp == 15 ? "15"
                                               : mode.bpp == 16 ? "16" : mode.bpp == 24 ? "24"
                                               : "32") : "");
        s->mode = mode;
        full = true;
    }
    if (s->palette_dirty) {
        vga_update_palette(s);
        s->palette_dirty = false;
        full = true;
    }
    vga_collect_dirty(s);
    s->full_update = false;
    if (mode.kind == VGA_MODE_NONE) {
        DisplaySurface *surf = display_resize(s->display, DISPLAY_DEFAULT_WIDTH,
                                              DISPLAY_DEFAULT_HEIGHT);
        if (full) {
            pixman_fill(surface_data(surf), surface_stride(surf), 32, 0, 0, surf->width,
                        surf->height, 0xff000000u);
            display_dirty(s->display, 0, 0, surf->width, surf->height);
        }
        return;
    }
    DisplaySurface *before = display_surface(s->display);
    DisplaySurface *surf = display_resize(s->display, mode.width, mode.height);
    if (surf != before) {
        full = true;
    }
    if (mode.kind == VGA_MODE_TEXT) {
        vga_update_text(s, surf, full);
    } else {
        vga_update_graphics(s, surf, full);
    }
}

const GraphicHwOps vga_hw_ops = {
    .update = vga_update_display,
    .invalidate = vga_invalidate_display,
};
