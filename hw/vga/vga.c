/*
 * VGA registers, the legacy memory window and the Bochs VBE extension.
 * See vga.h for the references and the VRAM model.
 */
#include "hw/vga/vga.h"

#include "core/log.h"

/* Bits of the registers the emulation looks at. */
#define MISC_COLOR 0x01          /* CRTC at 0x3d4 (else 0x3b4) */
#define SR4_CHAIN4 0x08
#define SR4_ODD_EVEN_DISABLE 0x04
#define GR5_HOST_ODD_EVEN 0x10
#define CR11_PROTECT 0x80
#define ST01_DISP_ENABLE 0x01
#define ST01_V_RETRACE 0x08

/* Writable bits of each register (the rest read as 0), after FreeVGA. */
static const uint8_t sr_mask[VGA_SEQ_REGS] = {0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0x00};
static const uint8_t gr_mask[VGA_GFX_REGS] = {0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f,
                                              0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void vga_mark_vram_dirty(VGACommonState *s, uint32_t addr, uint32_t len)
{
    memory_region_set_dirty(s->vram_mr, addr, len);
}

static bool vbe_enabled(const VGACommonState *s)
{
    return s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}

/* ---------------------------------------------------------------------- */
/* I/O ports */

static bool vga_port_ignored(VGACommonState *s, uint32_t port)
{
    /* The CRTC and status ports of the mode not selected by misc bit 0 do not decode. */
    bool color = s->misc_output & MISC_COLOR;
    if (color) {
        return port >= 0x3b0 && port <= 0x3bf;
    }
    return port >= 0x3d0 && port <= 0x3df;
}

uint32_t vga_ioport_read(VGACommonState *s, uint32_t port)
{
    if (vga_port_ignored(s, port)) {
        return 0xff;
    }
    switch (port) {
    case 0x3c0:
        return s->ar_flip_flop ? 0 : s->ar_index;
    case 0x3c1: {
        unsigned idx = s->ar_index & 0x1f;
        return idx < VGA_ATTR_REGS ? s->ar[idx] : 0;
    }
    case 0x3c2:
        return 0x10; /* input status 0: switch sense high, no CRT interrupt */
    case 0x3c4:
        return s->sr_index;
    case 0x3c5:
        return s->sr_index < VGA_SEQ_REGS ? s->sr[s->sr_index] : 0xff;
    case 0x3c6:
        return s->pel_mask;
    case 0x3c7:
        return s->dac_state;
    case 0x3c8:
        return s->dac_write_index;
    case 0x3c9: {
        uint8_t v = s->palette[s->dac_read_index * 3 + s->dac_sub_index];
        if (++s->dac_sub_index == 3) {
            s->dac_sub_index = 0;
            s->dac_read_index++;
        }
        return v;
    }
    case 0x3ca:
        return s->feature_ctrl;
    case 0x3cc:
        return s->misc_output;
    case 0x3ce:
        return s->gr_index;
    case 0x3cf:
        return s->gr_index < VGA_GFX_REGS ? s->gr[s->gr_index] : 0xff;
    case 0x3b4:
    case 0x3d4:
        return s->cr_index;
    case 0x3b5:
    case 0x3d5:
        return s->cr_index < VGA_CRTC_REGS ? s->cr[s->cr_index] : 0xff;
    case 0x3ba:
    case 0x3da:
        /*
         * Input status 1.  Nothing here follows real beam timing; toggling
         * the retrace bits lets guests that wait for a retrace edge move on.
         */
        s->st01_toggle ^= ST01_V_RETRACE | ST01_DISP_ENABLE;
        s->ar_flip_flop = false;
        return s->st01_toggle;
    default:
        return 0xff;
    }
}

static void vga_crtc_write(VGACommonState *s, uint8_t val)
{
    uint8_t idx = s->cr_index;
    if (idx >= VGA_CRTC_REGS) {
        log_guest_error("vga: write 0x%02x to CRTC register 0x%02x, which does not exist\n",
                        val, idx);
        return;
    }
    if ((s->cr[0x11] & CR11_PROTECT) && idx <= 7) {
        /* Write protect covers CR0-CR7, except the line compare bit of CR7. */
        if (idx == 7) {
            s->cr[7] = (s->cr[7] & ~0x10) | (val & 0x10);
        }
        return;
    }
    s->cr[idx] = val;
}

void vga_ioport_write(VGACommonState *s, uint32_t port, uint32_t val)
{
    val &= 0xff;
    if (vga_port_ignored(s, port)) {
        return;
    }
    switch (port) {
    case 0x3c0:
        if (!s->ar_flip_flop) {
            s->ar_index = val & 0x3f;
        } else {
            unsigned idx = s->ar_index & 0x1f;
            if (idx < 0x10) {
                s->ar[idx] = val & 0x3f;
            } else if (idx == 0x10) {
                s->ar[idx] = val & 0xef;
            } else if (idx == 0x11) {
                s->ar[idx] = val;
            } else if (idx == 0x12) {
                s->ar[idx] = val & 0x3f;
            } else if (idx == 0x13 || idx == 0x14) {
                s->ar[idx] = val & 0x0f;
            } else {
                log_guest_error("vga: write to attribute register 0x%02x\n", idx);
            }
            s->palette_dirty = true;
        }
        s->ar_flip_flop = !s->ar_flip_flop;
        break;
    case 0x3c2:
        s->misc_output = val & ~0x10;
        break;
    case 0x3c4:
        s->sr_index = val & 7;
        break;
    case 0x3c5:
        s->sr[s->sr_index] = val & sr_mask[s->sr_index];
        break;
    case 0x3c6:
        s->pel_mask = val;
        s->palette_dirty = true;
        break;
    case 0x3c7:
        s->dac_read_index = val;
        s->dac_sub_index = 0;
        s->dac_state = 3;
        break;
    case 0x3c8:
        s->dac_write_index = val;
        s->dac_sub_index = 0;
        s->dac_state = 0;
        break;
    case 0x3c9:
        s->dac_cache[s->dac_sub_index] = val & 0x3f;
        if (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC) {
            s->dac_cache[s->dac_sub_index] = val;
        }
        if (++s->dac_sub_index == 3) {
            memcpy(&s->palette[s->dac_write_index * 3], s->dac_cache, 3);
            s->dac_sub_index = 0;
            s->dac_write_index++;
            s->palette_dirty = true;
        }
        break;
    case 0x3ce:
        s->gr_index = val & 0x0f;
        break;
    case 0x3cf:
        s->gr[s->gr_index] = val & gr_mask[s->gr_index];
        break;
    case 0x3b4:
    case 0x3d4:
        s->cr_index = val;
        break;
    case 0x3b5:
    case 0x3d5:
        vga_crtc_write(s, val);
        break;
    case 0x3ba:
    case 0x3da:
        s->feature_ctrl = val & 0x03;
        break;
    default:
        log_guest_error("vga: write 0x%02x to unknown port 0x%x\n", val, port);
        break;
    }
}

/* ---------------------------------------------------------------------- */
/* The legacy memory window */

/* Translate a window offset (0..128K) per GR6's memory map; false when it does not decode. */
static bool vga_window_offset(VGACommonState *s, uint32_t addr, uint32_t *out)
{
    switch ((s->gr[6] >> 2) & 3) {
    case 0: /* A0000-BFFFF */
        break;
    case 1: /* A0000-AFFFF */
        if (addr >= 0x10000) {
            return false;
        }
        addr += s->bank_offset;
        break;
    case 2: /* B0000-B7FFF */
        if (addr < 0x10000 || addr >= 0x18000) {
            return false;
        }
        addr -= 0x10000;
        break;
    case 3: /* B8000-BFFFF */
        if (addr < 0x18000) {
            return false;
        }
        addr -= 0x18000;
        break;
    }
    *out = addr;
    return true;
}

uint8_t vga_mem_read(VGACommonState *s, uint32_t addr)
{
    if (!vga_window_offset(s, addr, &addr)) {
        return 0xff;
    }
    if (s->sr[4] & SR4_CHAIN4) {
        return addr < s->vram_size ? s->vram[addr] : 0xff;
    }
    if (s->gr[5] & GR5_HOST_ODD_EVEN) {
        unsigned plane = (s->gr[4] & 2) | (addr & 1);
        uint32_t off = ((addr & ~1u) << 1) | plane;
        return off < s->vram_size ? s->vram[off] : 0xff;
    }
    if ((uint64_t)addr * 4 + 3 >= s->vram_size) {
        return 0xff;
    }
    s->latch = ldl_le_p(&s->vram[addr * 4]);
    if (!(s->gr[5] & 0x08)) {
        /* Read mode 0: the plane read map select picks. */
        return s->latch >> ((s->gr[4] & 3) * 8);
    }
    /* Read mode 1: colour compare against GR2 on the planes GR7 cares about. */
    uint8_t result = 0xff;
    for (int p = 0; p < 4; p++) {
        if (!(s->gr[7] & (1 << p))) {
            continue;
        }
        uint8_t plane = s->latch >> (p * 8);
        uint8_t want = (s->gr[2] & (1 << p)) ? 0xff : 0x00;
        result &= ~(plane ^ want);
    }
    return result;
}

/* A byte replicated into the four plane lanes of a 32-bit latch value. */
static inline uint32_t vga_expand(uint8_t v)
{
    return v * 0x01010101u;
}

/* Each bit of a 4-bit mask as 0x00/0xff in its plane's lane. */
static inline uint32_t vga_plane_mask(unsigned bits)
{
    uint32_t m = 0;
    for (int p = 0; p < 4; p++) {
        if (bits & (1 << p)) {
            m |= 0xffu << (p * 8);
        }
    }
    return m;
}

void vga_mem_write(VGACommonState *s, uint32_t addr, uint8_t val)
{
    if (!vga_window_offset(s, addr, &addr)) {
        return;
    }
    if (s->sr[4] & SR4_CHAIN4) {
        unsigned plane = addr & 3;
        if ((s->sr[2] & (1 << plane)) && addr < s->vram_size) {
            s->vram[addr] = val;
            vga_mark_vram_dirty(s, addr, 1);
        }
        return;
    }
    if (s->gr[5] & GR5_HOST_ODD_EVEN) {
        unsigned plane = addr & 1;
        for (unsigned p = plane; p < 4; p += 2) {
            uint32_t off = ((addr & ~1u) << 1) | p;
            if ((s->sr[2] & (1 << p)) && off < s->vram_size) {
                s->vram[off] = val;
                vga_mark_vram_dirty(s, off, 1);
            }
        }
        return;
    }
    if ((uint64_t)addr * 4 + 3 >= s->vram_size) {
        return;
    }

    /* Planar write modes (GR5 bits 0-1), through rotate, set/reset, ALU and bit mask. */
    unsigned rotate = s->gr[3] & 7;
    uint8_t rotated = (uint8_t)((val >> rotate) | (val << (8 - rotate)));
    uint32_t v;
    uint32_t bit_mask = s->gr[8];
    switch (s->gr[5] & 3) {
    case 0: {
        v = vga_expand(rotated);
        uint32_t sr_enable = vga_plane_mask(s->gr[1]);
        v = (v & ~sr_enable) | (vga_plane_mask(s->gr[0]) & sr_enable);
        break;
    }
    case 1:
        v = s->latch; /* latches straight through */
        goto store;
    case 2:
        v = vga_plane_mask(val & 0x0f);
        break;
    default: /* 3 */
        bit_mask &= rotated;
        v = vga_plane_mask(s->gr[0]);
        break;
    }
    switch ((s->gr[3] >> 3) & 3) {
    case 1:
        v &= s->latch;
        break;
    case 2:
        v |= s->latch;
        break;
    case 3:
        v ^= s->latch;
        break;
    default:
        break;
    }
    bit_mask = vga_expand((uint8_t)bit_mask);
    v = (v & bit_mask) | (s->latch & ~bit_mask);
store: {
        uint32_t plane_enable = vga_plane_mask(s->sr[2] & 0x0f);
        uint32_t old = ldl_le_p(&s->vram[addr * 4]);
        stl_le_p(&s->vram[addr * 4], (old & ~plane_enable) | (v & plane_enable));
        vga_mark_vram_dirty(s, addr * 4, 4);
    }
}

/* ---------------------------------------------------------------------- */
/* Bochs VBE */

static unsigned vbe_bytes_per_pixel(unsigned bpp)
{
    return bpp == 15 ? 2 : bpp / 8;
}

static bool vbe_bpp_valid(unsigned bpp)
{
    return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

/* Derive line offset, virtual height and start address; keep them inside VRAM. */
static void vbe_update_geometry(VGACommonState *s)
{
    uint16_t *r = s->vbe_regs;
    unsigned bpp = r[VBE_DISPI_INDEX_BPP];
    if (!vbe_bpp_valid(bpp)) {
        return;
    }
    unsigned bytes = vbe_bytes_per_pixel(bpp);
    if (r[VBE_DISPI_INDEX_VIRT_WIDTH] < r[VBE_DISPI_INDEX_XRES]) {
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
    }
    uint32_t line = (uint32_t)r[VBE_DISPI_INDEX_VIRT_WIDTH] * bytes;
    if (line == 0) {
        return;
    }
    uint32_t virt_height = s->vram_size / line;
    if (virt_height < r[VBE_DISPI_INDEX_YRES]) {
        log_guest_error("vbe: virtual width %u at %u bpp leaves no room for %u lines\n",
                        r[VBE_DISPI_INDEX_VIRT_WIDTH], bpp, r[VBE_DISPI_INDEX_YRES]);
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
        line = (uint32_t)r[VBE_DISPI_INDEX_XRES] * bytes;
        virt_height = line ? s->vram_size / line : 0;
    }
    r[VBE_DISPI_INDEX_VIRT_HEIGHT] = MIN(virt_height, 0xffffu);
    s->vbe_line_offset = line;
    uint64_t start = (uint64_t)r[VBE_DISPI_INDEX_Y_OFFSET] * line +
                     (uint64_t)r[VBE_DISPI_INDEX_X_OFFSET] * bytes;
    uint64_t visible = (uint64_t)line * (r[VBE_DISPI_INDEX_YRES] ? r[VBE_DISPI_INDEX_YRES] - 1
                                                                  : 0) +
                       (uint64_t)r[VBE_DISPI_INDEX_XRES] * bytes;
    if (start + visible > s->vram_size) {
        log_guest_error("vbe: offset %u,%u puts the screen past the end of VRAM\n",
                        r[VBE_DISPI_INDEX_X_OFFSET], r[VBE_DISPI_INDEX_Y_OFFSET]);
        start = 0;
    }
    s->vbe_start_addr = (uint32_t)start;
    s->full_update = true;
}

uint16_t vbe_read(VGACommonState *s, uint16_t index)
{
    if (index >= VBE_DISPI_INDEX_NB) {
        return 0;
    }
    if (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) {
        switch (index) {
        case VBE_DISPI_INDEX_XRES:
            return VBE_DISPI_MAX_XRES;
        case VBE_DISPI_INDEX_YRES:
            return VBE_DISPI_MAX_YRES;
        case VBE_DISPI_INDEX_BPP:
            return VBE_DISPI_MAX_BPP;
        default:
            break;
        }
    }
    if (index == VBE_DISPI_INDEX_VIDEO_MEMORY_64K) {
        return s->vram_size >> 16;
    }
    return s->vbe_regs[index];
}

static void vbe_enable(VGACommonState *s, uint16_t val)
{
    uint16_t *r = s->vbe_regs;
    unsigned bpp = r[VBE_DISPI_INDEX_BPP];
    if (!vbe_bpp_valid(bpp)) {
        if (bpp == 4) {
            log_unimp("vbe: 4 bpp planar modes\n");
        } else {
            log_guest_error("vbe: enable with invalid bpp %u\n", bpp);
        }
        return;
    }
    if (r[VBE_DISPI_INDEX_XRES] == 0 || r[VBE_DISPI_INDEX_YRES] == 0 ||
        r[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES ||
        r[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES ||
        (uint64_t)r[VBE_DISPI_INDEX_XRES] * r[VBE_DISPI_INDEX_YRES] *
                vbe_bytes_per_pixel(bpp) > s->vram_size) {
        log_guest_error("vbe: enable with invalid mode %ux%u\n", r[VBE_DISPI_INDEX_XRES],
                        r[VBE_DISPI_INDEX_YRES]);
        return;
    }
    if (r[VBE_DISPI_INDEX_XRES] % 8) {
        log_guest_error("vbe: width %u is not a multiple of 8\n", r[VBE_DISPI_INDEX_XRES]);
    }
    bool was_enabled = vbe_enabled(s);
    r[VBE_DISPI_INDEX_ENABLE] = val;
    if (!was_enabled) {
        /* A fresh mode: no virtual size or panning carried over from the last one. */
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
        r[VBE_DISPI_INDEX_X_OFFSET] = 0;
        r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
        if (!(val & VBE_DISPI_NOCLEARMEM)) {
            memset(s->vram, 0, s->vram_size);
            vga_mark_vram_dirty(s, 0, s->vram_size);
        }
        /* What the legacy registers look like in a VBE mode: graphics, chain-4. */
        s->gr[6] = (s->gr[6] & ~0x0c) | 0x05; /* graphics, A0000 64K window */
        s->gr[5] = (s->gr[5] & ~0x60) | 0x40;
        s->sr[4] |= SR4_CHAIN4;
        s->sr[2] = 0x0f;
    }
    vbe_update_geometry(s);
}

void vbe_write(VGACommonState *s, uint16_t index, uint16_t val)
{
    uint16_t *r = s->vbe_regs;
    switch (index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5) {
            r[index] = val;
        }
        break;
    case VBE_DISPI_INDEX_XRES:
    case VBE_DISPI_INDEX_YRES:
    case VBE_DISPI_INDEX_BPP:
        /* Takes effect at the next enable, as on Bochs. */
        if (vbe_enabled(s)) {
            log_guest_error("vbe: mode register %u written while enabled\n", index);
        }
        r[index] = val;
        if (index == VBE_DISPI_INDEX_BPP && val == 0) {
            r[index] = 8;
        }
        break;
    case VBE_DISPI_INDEX_BANK: {
        uint32_t max_bank = s->vram_size >> 16;
        if (val >= max_bank) {
            log_guest_error("vbe: bank %u beyond VRAM\n", val);
            val = 0;
        }
        r[index] = val;
        s->bank_offset = (uint32_t)val << 16;
        break;
    }
    case VBE_DISPI_INDEX_ENABLE:
        if (val & VBE_DISPI_ENABLED) {
            vbe_enable(s, val);
        } else {
            if (vbe_enabled(s)) {
                /* Back to VGA: the legacy registers say what the screen shows. */
                s->bank_offset = 0;
                r[VBE_DISPI_INDEX_BANK] = 0;
            }
            r[index] = val;
        }
        s->full_update = true;
        s->palette_dirty = true;
        log_mask(LOG_TRACE, "vbe: %s %ux%ux%u\n", (val & VBE_DISPI_ENABLED) ? "enable"
                                                                        : "disable",
                 r[VBE_DISPI_INDEX_XRES], r[VBE_DISPI_INDEX_YRES], r[VBE_DISPI_INDEX_BPP]);
        break;
    case VBE_DISPI_INDEX_VIRT_WIDTH:
    case VBE_DISPI_INDEX_X_OFFSET:
    case VBE_DISPI_INDEX_Y_OFFSET:
        r[index] = val;
        if (vbe_enabled(s)) {
            vbe_update_geometry(s);
        }
        break;
    case VBE_DISPI_INDEX_VIRT_HEIGHT:
    case VBE_DISPI_INDEX_VIDEO_MEMORY_64K:
        /* Derived from VRAM size and virtual width: read-only. */
        break;
    default:
        log_guest_error("vbe: write 0x%04x to register %u, which does not exist\n", val, index);
        break;
    }
}

/* ---------------------------------------------------------------------- */
/* Life cycle */

void vga_common_init(VGACommonState *s, Machine *m, MemoryRegion *vram_mr, uint32_t vram_size)
{
    s->machine = m;
    s->vram_mr = vram_mr;
    s->vram = memory_region_get_ram_ptr(vram_mr);
    s->vram_size = vram_size;
    memory_region_set_dirty_tracking(vram_mr, true);
    s->dirty_pages = xcalloc(vram_size / MEMORY_PAGE_SIZE + 1, 1);
    s->display = display_get(m);
    display_register_hw(s->display, &vga_hw_ops, s);
}

void vga_common_destroy(VGACommonState *s)
{
    if (s->display) {
        display_unregister_hw(s->display, s);
        s->display = NULL;
    }
    free(s->text_shadow);
    s->text_shadow = NULL;
    free(s->dirty_pages);
    s->dirty_pages = NULL;
}

void vga_common_reset(VGACommonState *s)
{
    s->misc_output = 0;
    s->feature_ctrl = 0;
    s->st01_toggle = 0;
    s->sr_index = 0;
    memset(s->sr, 0, sizeof(s->sr));
    s->gr_index = 0;
    memset(s->gr, 0, sizeof(s->gr));
    s->cr_index = 0;
    memset(s->cr, 0, sizeof(s->cr));
    s->ar_index = 0;
    s->ar_flip_flop = false;
    memset(s->ar, 0, sizeof(s->ar));
    s->dac_read_index = 0;
    s->dac_write_index = 0;
    s->dac_sub_index = 0;
    s->dac_state = 0;
    s->pel_mask = 0xff;
    memset(s->palette, 0, sizeof(s->palette));
    s->latch = 0;
    s->vbe_index = 0;
    memset(s->vbe_regs, 0, sizeof(s->vbe_regs));
    s->vbe_regs[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    s->vbe_start_addr = 0;
    s->vbe_line_offset = 0;
    s->bank_offset = 0;
    s->full_update = true;
    s->palette_dirty = true;
}

int vga_common_post_load(VGACommonState *s)
{
    s->bank_offset = (uint32_t)(s->vbe_regs[VBE_DISPI_INDEX_BANK] << 16);
    if (s->bank_offset >= s->vram_size) {
        s->bank_offset = 0;
    }
    s->sr_index &= 7;
    s->gr_index &= 0x0f;
    s->dac_sub_index %= 3;
    if (s->vbe_index >= VBE_DISPI_INDEX_NB) {
        s->vbe_index = 0;
    }
    s->vbe_start_addr = 0;
    s->vbe_line_offset = 0;
    if (vbe_enabled(s)) {
        vbe_update_geometry(s);
    }
    s->full_update = true;
    s->palette_dirty = true;
    return 0;
}

static const VMStateField vga_common_fields[] = {
    VMSTATE_U8(VGACommonState, misc_output),
    VMSTATE_U8(VGACommonState, feature_ctrl),
    VMSTATE_U8(VGACommonState, st01_toggle),
    VMSTATE_U8(VGACommonState, sr_index),
    VMSTATE_U8_ARRAY(VGACommonState, sr),
    VMSTATE_U8(VGACommonState, gr_index),
    VMSTATE_U8_ARRAY(VGACommonState, gr),
    VMSTATE_U8(VGACommonState, cr_index),
    VMSTATE_U8_ARRAY(VGACommonState, cr),
    VMSTATE_U8(VGACommonState, ar_index),
    VMSTATE_BOOL(VGACommonState, ar_flip_flop),
    VMSTATE_U8_ARRAY(VGACommonState, ar),
    VMSTATE_U8(VGACommonState, dac_read_index),
    VMSTATE_U8(VGACommonState, dac_write_index),
    VMSTATE_U8(VGACommonState, dac_sub_index),
    VMSTATE_U8(VGACommonState, dac_state),
    VMSTATE_U8_ARRAY(VGACommonState, dac_cache),
    VMSTATE_U8(VGACommonState, pel_mask),
    VMSTATE_U8_ARRAY(VGACommonState, palette),
    VMSTATE_U32(VGACommonState, latch),
    VMSTATE_U16(VGACommonState, vbe_index),
    VMSTATE_U16_ARRAY(VGACommonState, vbe_regs),
    /*
     * VRAM with the registers (QEMU migrates it as a RAM block; Osprey's
     * snapshots save device state, so the device carries its memory).
     */
    VMSTATE_VBUFFER_U32(VGACommonState, vram, vram_size),
    VMSTATE_END,
};

const VMStateDescription vga_common_vmstate = {
    .name = "vga",
    .version = 2,
    .fields = vga_common_fields,
};
