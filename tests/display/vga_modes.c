/*
 * guest-bits: 32
 * A guest that drives the standard VGA with no BIOS: it finds the PCI
 * function 1234:1111, maps its BAR, sets mode 13h by programming the
 * sequencer, CRTC, graphics and attribute controllers and the DAC, draws a
 * pattern through the 0xA0000 window, then switches to a Bochs VBE
 * 1024x768x32 linear framebuffer mode and draws another.  After each picture
 * it says "SHOT <name>" on the debug console and waits for a byte on COM1, so
 * the host can take a screendump and compare it with the expected pixels.
 */
#include "guest.h"

#define VGA_BAR0 0xe0000000u
#define COM1 0x3f8

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static uint32_t pci_read(int dev, int reg)
{
    outl(0xcf8, 0x80000000u | (dev << 11) | reg);
    return inl(0xcfc);
}

static void pci_write(int dev, int reg, uint32_t v)
{
    outl(0xcf8, 0x80000000u | (dev << 11) | reg);
    outl(0xcfc, v);
}

/* Tell the host a picture is ready and wait until it has taken it. */
static void shot(const char *name)
{
    gprintf("SHOT %s\n", name);
    while (!(inb(COM1 + 5) & 1)) {
        asm volatile("pause");
    }
    (void)inb(COM1);
}

/* Mode 13h: the register values of IBM's VGA BIOS mode table. */
static const uint8_t mode13_seq[5] = {0x03, 0x01, 0x0f, 0x00, 0x0e};
static const uint8_t mode13_crtc[25] = {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00,
                                        0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x0e,
                                        0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff};
static const uint8_t mode13_gfx[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff};

static void set_mode13(void)
{
    outb(0x3c2, 0x63);
    for (int i = 0; i < 5; i++) {
        outb(0x3c4, i);
        outb(0x3c5, mode13_seq[i]);
    }
    outb(0x3d4, 0x11);
    outb(0x3d5, 0x00);
    for (int i = 0; i < 25; i++) {
        outb(0x3d4, i);
        outb(0x3d5, mode13_crtc[i]);
    }
    for (int i = 0; i < 9; i++) {
        outb(0x3ce, i);
        outb(0x3cf, mode13_gfx[i]);
    }
    (void)inb(0x3da);
    for (int i = 0; i < 16; i++) {
        outb(0x3c0, i);
        outb(0x3c0, i);
    }
    static const uint8_t ar_rest[5] = {0x41, 0x00, 0x0f, 0x00, 0x00};
    for (int i = 0; i < 5; i++) {
        outb(0x3c0, 0x10 + i);
        outb(0x3c0, ar_rest[i]);
    }
    outb(0x3c0, 0x20);
    /* A palette the host recomputes: entry i = (i & 63, (i >> 2) & 63, 63 - (i & 63)). */
    outb(0x3c8, 0);
    for (int i = 0; i < 256; i++) {
        outb(0x3c9, i & 63);
        outb(0x3c9, (i >> 2) & 63);
        outb(0x3c9, 63 - (i & 63));
    }
}

static void vbe_write(uint16_t index, uint16_t val)
{
    outw(0x1ce, index);
    outw(0x1cf, val);
}

static uint16_t vbe_read(uint16_t index)
{
    outw(0x1ce, index);
    return inw(0x1cf);
}

void guest_main(void)
{
    CHECK_EQ(pci_read(2, 0), 0x11111234u, "VGA at 00:02.0");
    pci_write(2, 0x10, VGA_BAR0);
    pci_write(2, 0x04, 0x3);

    set_mode13();
    volatile uint8_t *win = (volatile uint8_t *)0xa0000;
    for (int y = 0; y < 200; y++) {
        for (int x = 0; x < 320; x++) {
            win[y * 320 + x] = (uint8_t)(x + 2 * y);
        }
    }
    CHECK_EQ(win[5 * 320 + 7], (uint8_t)(7 + 10), "chain-4 reads back");
    shot("mode13");

    CHECK_EQ(vbe_read(0), 0xb0c5, "Bochs VBE present");
    vbe_write(4, 0);
    vbe_write(1, 1024);
    vbe_write(2, 768);
    vbe_write(3, 32);
    vbe_write(4, 0x41); /* enabled, linear framebuffer */
    CHECK_EQ(vbe_read(1), 1024, "XRES");
    volatile uint32_t *fb = (volatile uint32_t *)VGA_BAR0;
    for (int y = 0; y < 768; y++) {
        for (int x = 0; x < 1024; x++) {
            fb[y * 1024 + x] = ((uint32_t)(x & 0xff) << 16) | ((uint32_t)(y & 0xff) << 8) |
                               (uint32_t)((x ^ y) & 0xff);
        }
    }
    CHECK_EQ(fb[1023], 0x00ff00ffu, "framebuffer reads back");
    shot("vbe1024");
}
