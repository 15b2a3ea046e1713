/*
 * Osprey BIOS: VESA BIOS Extensions (VBE Core 3.0: functions 4F00h-4F09h) over the Bochs
 * VBE "DISPI" registers of the standard VGA (PCI 1234:1111; index port 0x1CE, data 0x1CF).
 * Modes from 640x480 to 1920x1080 at 8, 16, 24 and 32 bits per pixel, each with a linear
 * framebuffer (the VGA's BAR 0) and a 64 KiB window at A000h banked through 4F05h.
 *
 * Built twice: into the VGA BIOS option ROM (bios/vgabios, the default), and into the system
 * BIOS's INT 10h for a VGA without that ROM (romfile= of another image, or none).
 */
#include "bios.h"

#define DISPI_INDEX 0x1ce
#define DISPI_DATA 0x1cf
#define DISPI_ID 0
#define DISPI_XRES 1
#define DISPI_YRES 2
#define DISPI_BPP 3
#define DISPI_ENABLE 4
#define DISPI_BANK 5
#define DISPI_VIRT_WIDTH 6
#define DISPI_VIRT_HEIGHT 7
#define DISPI_X_OFFSET 8
#define DISPI_Y_OFFSET 9
#define DISPI_VIDEO_MEMORY_64K 10
#define DISPI_ENABLED 0x01
#define DISPI_LFB_ENABLED 0x40
#define DISPI_NOCLEARMEM 0x80

#define VBE_OK 0x004f
#define VBE_FAILED 0x014f

u32 pci_read32(u16 bdf, u8 reg);
extern u16 vga_bdf;

bool vbe_active;
static u16 current_mode = 3;

struct vbe_mode {
    u16 number;
    u16 width, height;
    u8 bpp;
};

/* The VESA numbers where VBE 1.2 defined one, 0x140+ for the rest. */
static const struct vbe_mode modes[] = {
    {0x101, 640, 480, 8},    {0x110, 640, 480, 15},   {0x111, 640, 480, 16},
    {0x112, 640, 480, 24},   {0x140, 640, 480, 32},   {0x103, 800, 600, 8},
    {0x114, 800, 600, 16},   {0x115, 800, 600, 24},   {0x141, 800, 600, 32},
    {0x105, 1024, 768, 8},   {0x117, 1024, 768, 16},  {0x118, 1024, 768, 24},
    {0x142, 1024, 768, 32},  {0x107, 1280, 1024, 8},  {0x11a, 1280, 1024, 16},
    {0x11b, 1280, 1024, 24}, {0x143, 1280, 1024, 32}, {0x144, 1920, 1080, 8},
    {0x145, 1920, 1080, 16}, {0x146, 1920, 1080, 24}, {0x147, 1920, 1080, 32},
};

/* The list 4F00h points at: built at the first call from the modes that fit the VRAM. */
static u16 mode_list[ARRAY_SIZE(modes) + 1];

static const char oem_string[] = "Osprey VBE";
static const char oem_vendor[] = "Osprey";
static const char oem_product[] = "Osprey standard VGA";
static const char oem_revision[] = OSPREY_BIOS_VERSION;

static void dispi_write(u16 index, u16 value)
{
    outw(index, DISPI_INDEX);
    outw(value, DISPI_DATA);
}

static u16 dispi_read(u16 index)
{
    outw(index, DISPI_INDEX);
    return inw(DISPI_DATA);
}

static bool dispi_present(void)
{
    u16 id = dispi_read(DISPI_ID);
    return vga_present && id >= 0xb0c0 && id <= 0xb0c5;
}

static u32 vram_bytes(void) { return (u32)dispi_read(DISPI_VIDEO_MEMORY_64K) << 16; }

static u32 bytes_per_line(const struct vbe_mode *m) { return (u32)m->width * ((m->bpp + 7) / 8); }

static bool mode_fits(const struct vbe_mode *m)
{
    return bytes_per_line(m) * m->height <= vram_bytes();
}

static const struct vbe_mode *find_mode(u16 number)
{
    for (u32 i = 0; i < ARRAY_SIZE(modes); i++) {
        if (modes[i].number == (number & 0x1ff) && mode_fits(&modes[i])) {
            return &modes[i];
        }
    }
    return NULL;
}

static void far_far_ptr(u16 seg, u16 off, const void *p)
{
    far_ww(seg, off, (u16)(u32)p);
    far_ww(seg, off + 2, code_seg());
}

/* 4F00h: controller information at ES:DI (512 bytes when the caller signs it "VBE2"). */
static void vbe_controller_info(struct bregs *r)
{
    u16 seg = r->es, off = r->di.x;
    bool vbe2 = far_rl(seg, off) == 0x32454256; /* "VBE2" */
    u16 len = vbe2 ? 512 : 256;
    for (u16 i = 0; i < len; i++) {
        far_wb(seg, off + i, 0);
    }
    int n = 0;
    for (u32 i = 0; i < ARRAY_SIZE(modes); i++) {
        if (mode_fits(&modes[i])) {
            mode_list[n++] = modes[i].number;
        }
    }
    mode_list[n] = 0xffff;
    far_wl(seg, off, 0x41534556); /* "VESA" */
    far_ww(seg, off + 0x04, 0x0300);
    far_far_ptr(seg, off + 0x06, oem_string);
    far_wl(seg, off + 0x0a, 0);   /* capabilities: 6-bit DAC, VGA compatible */
    far_far_ptr(seg, off + 0x0e, mode_list);
    far_ww(seg, off + 0x12, (u16)(vram_bytes() >> 16));
    if (vbe2) {
        far_ww(seg, off + 0x14, 0x0001);
        far_far_ptr(seg, off + 0x16, oem_vendor);
        far_far_ptr(seg, off + 0x1a, oem_product);
        far_far_ptr(seg, off + 0x1e, oem_revision);
    }
    r->ax.x = VBE_OK;
}

/* Mask size and position of red, green, blue, reserved for a direct-colour depth. */
static void colour_fields(u8 bpp, u8 f[8])
{
    static const u8 rgb15[8] = {5, 10, 5, 5, 5, 0, 1, 15};
    static const u8 rgb16[8] = {5, 11, 6, 5, 5, 0, 0, 0};
    static const u8 rgb24[8] = {8, 16, 8, 8, 8, 0, 0, 0};
    static const u8 rgb32[8] = {8, 16, 8, 8, 8, 0, 8, 24};
    const u8 *src = bpp == 15 ? rgb15 : bpp == 16 ? rgb16 : bpp == 24 ? rgb24 : rgb32;
    memcpy(f, src, 8);
}

/* 4F01h: mode information (256 bytes at ES:DI). */
static void vbe_mode_info(struct bregs *r)
{
    const struct vbe_mode *m = find_mode(r->cx.x);
    if (!m) {
        r->ax.x = VBE_FAILED;
        return;
    }
    u16 seg = r->es, off = r->di.x;
    for (u16 i = 0; i < 256; i++) {
        far_wb(seg, off + i, 0);
    }
    u32 pitch = bytes_per_line(m);
    u32 pages = vram_bytes() / (pitch * m->height);
    pages = pages ? pages - 1 : 0;
    if (pages > 255) {
        pages = 255;
    }
    /* supported, extended info, colour, graphics, linear framebuffer */
    far_ww(seg, off + 0x00, 0x009b);
    far_wb(seg, off + 0x02, 0x07);   /* window A: exists, readable, writable */
    far_ww(seg, off + 0x04, 64);     /* granularity in KiB */
    far_ww(seg, off + 0x06, 64);     /* window size in KiB */
    far_ww(seg, off + 0x08, 0xa000);
    far_ww(seg, off + 0x10, (u16)pitch);
    far_ww(seg, off + 0x12, m->width);
    far_ww(seg, off + 0x14, m->height);
    far_wb(seg, off + 0x16, 8);
    far_wb(seg, off + 0x17, 16);
    far_wb(seg, off + 0x18, 1);
    far_wb(seg, off + 0x19, m->bpp);
    far_wb(seg, off + 0x1a, 1);
    far_wb(seg, off + 0x1b, m->bpp == 8 ? 4 : 6); /* packed pixel / direct colour */
    far_wb(seg, off + 0x1d, (u8)pages);
    far_wb(seg, off + 0x1e, 1);
    if (m->bpp > 8) {
        u8 f[8];
        colour_fields(m->bpp, f);
        for (int i = 0; i < 8; i++) {
            far_wb(seg, off + 0x1f + i, f[i]);     /* banked fields */
            far_wb(seg, off + 0x36 + i, f[i]);     /* linear fields (VBE 3.0) */
        }
    }
    far_wl(seg, off + 0x28, pci_read32(vga_bdf, 0x10) & 0xfffffff0u);
    far_ww(seg, off + 0x32, (u16)pitch);
    far_wb(seg, off + 0x34, (u8)pages);
    far_wb(seg, off + 0x35, (u8)pages);
    r->ax.x = VBE_OK;
}

void vbe_disable(void)
{
    if (vbe_active && dispi_present()) {
        dispi_write(DISPI_ENABLE, 0);
    }
    vbe_active = false;
    current_mode = 3;
}

/* 4F02h: BX = mode, bit 14 linear framebuffer, bit 15 keep the memory. */
static void vbe_set_mode(struct bregs *r)
{
    u16 bx = r->bx.x;
    if ((bx & 0x1ff) < 0x100) {
        /* A VGA mode through VBE: the text BIOS's mode set. */
        struct bregs legacy = *r;
        legacy.ax.x = (u16)(bx & 0xff);
        handle_int10(&legacy);
        r->ax.x = VBE_OK;
        return;
    }
    const struct vbe_mode *m = find_mode(bx);
    if (!m || (bx & 0x0800)) { /* bit 11: a CRTC timing block we do not take */
        r->ax.x = VBE_FAILED;
        return;
    }
    dispi_write(DISPI_ENABLE, 0);
    dispi_write(DISPI_BPP, m->bpp);
    dispi_write(DISPI_XRES, m->width);
    dispi_write(DISPI_YRES, m->height);
    dispi_write(DISPI_BANK, 0);
    dispi_write(DISPI_VIRT_WIDTH, m->width);
    dispi_write(DISPI_X_OFFSET, 0);
    dispi_write(DISPI_Y_OFFSET, 0);
    dispi_write(DISPI_ENABLE, DISPI_ENABLED | ((bx & 0x4000) ? DISPI_LFB_ENABLED : 0) |
                                  ((bx & 0x8000) ? DISPI_NOCLEARMEM : 0));
    vbe_active = true;
    current_mode = bx & 0x41ff;
    r->ax.x = VBE_OK;
}

/* 4F09h: palette data, 4 bytes per entry (blue, green, red, alignment) at ES:DI. */
static void vbe_palette(struct bregs *r)
{
    u16 first = r->dx.x, count = r->cx.x, off = r->di.x;
    if (first > 255 || count > 256 - first) {
        r->ax.x = VBE_FAILED;
        return;
    }
    switch (r->bx.l & 0x7f) {
    case 0x00: /* set (bit 7: during vertical retrace, the same for us) */
        outb((u8)first, 0x3c8);
        for (u16 i = 0; i < count; i++, off += 4) {
            outb(far_rb(r->es, off + 2) & 0x3f, 0x3c9);
            outb(far_rb(r->es, off + 1) & 0x3f, 0x3c9);
            outb(far_rb(r->es, off) & 0x3f, 0x3c9);
        }
        break;
    case 0x01: /* get */
        outb((u8)first, 0x3c7);
        for (u16 i = 0; i < count; i++, off += 4) {
            u8 red = inb(0x3c9), green = inb(0x3c9), blue = inb(0x3c9);
            far_wb(r->es, off, blue);
            far_wb(r->es, off + 1, green);
            far_wb(r->es, off + 2, red);
            far_wb(r->es, off + 3, 0);
        }
        break;
    default:
        r->ax.x = VBE_FAILED;
        return;
    }
    r->ax.x = VBE_OK;
}

void handle_vbe(struct bregs *r)
{
    if (!dispi_present()) {
        r->ax.x = VBE_FAILED;
        return;
    }
    switch (r->ax.l) {
    case 0x00:
        vbe_controller_info(r);
        return;
    case 0x01:
        vbe_mode_info(r);
        return;
    case 0x02:
        vbe_set_mode(r);
        return;
    case 0x03:
        r->bx.x = current_mode;
        r->ax.x = VBE_OK;
        return;
    case 0x05: /* window control: BH 0 set, 1 get; window A only, 64 KiB units */
        if (r->bx.l != 0) {
            break;
        }
        if (r->bx.h == 0) {
            dispi_write(DISPI_BANK, r->dx.x);
        } else {
            r->dx.x = dispi_read(DISPI_BANK);
        }
        r->ax.x = VBE_OK;
        return;
    case 0x06: /* scan line length: BL 0 set in pixels, 1 get, 3 get maximum */
        if (r->bx.l == 0) {
            dispi_write(DISPI_VIRT_WIDTH, r->cx.x);
        } else if (r->bx.l != 1 && r->bx.l != 3) {
            break;
        }
        {
            u16 bpp = dispi_read(DISPI_BPP);
            u16 width = dispi_read(DISPI_VIRT_WIDTH);
            u32 pitch = (u32)width * ((bpp + 7) / 8);
            r->bx.x = (u16)pitch;
            r->cx.x = width;
            r->dx.x = pitch ? (u16)(vram_bytes() / pitch) : 0;
        }
        r->ax.x = VBE_OK;
        return;
    case 0x07: /* display start: BL 0/80h set CX, DX; 1 get */
        if (r->bx.l == 0 || r->bx.l == 0x80) {
            dispi_write(DISPI_X_OFFSET, r->cx.x);
            dispi_write(DISPI_Y_OFFSET, r->dx.x);
        } else if (r->bx.l == 1) {
            r->cx.x = dispi_read(DISPI_X_OFFSET);
            r->dx.x = dispi_read(DISPI_Y_OFFSET);
            r->bx.h = 0;
        } else {
            break;
        }
        r->ax.x = VBE_OK;
        return;
    case 0x08: /* DAC width: always 6 bits */
        r->bx.h = 6;
        r->ax.x = r->bx.l == 1 ? VBE_OK : 0x034f;
        return;
    case 0x09:
        vbe_palette(r);
        return;
    }
    dprintf("vbe: AX=%04x BX=%04x not supported\n", r->ax.x, r->bx.x);
    r->ax.x = VBE_FAILED;
}
