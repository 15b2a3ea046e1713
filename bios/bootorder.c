/*
 * Osprey BIOS: the boot order from fw_cfg.
 *
 * "bootorder" (written by the machine from bootindex=, in QEMU's form, see
 * hw/i386/bootorder.c) lists device paths, highest priority first:
 *   /pci@i0cf8/ide@1,1/drive@B/disk@U   IDE channel B, unit U (hard disk or CD-ROM)
 *   /pci@i0cf8/ethernet@S[,F]           the boot entries (BEVs) of that PCI function's ROM
 *   HALT                                strict: only these are tried
 * Those entries are tried first at INT 19h, then (unless HALT) the letters of
 * "etc/osprey-boot-order" (-boot order=, any length), else the CMOS order.  Hard disks are
 * also renumbered by priority, so the first bootindex disk is drive 80h, as bootloaders on
 * it expect.
 */
#include "bios.h"

#define BOOTORDER_MAX_BYTES 1024
#define MAX_BOOT_ITEMS 16

struct boot_item {
    char kind;   /* 'i': IDE drive, 'p': PCI function's ROM */
    u8 channel, unit;
    u16 bdf;
};
static struct boot_item items[MAX_BOOT_ITEMS];
static int nr_items;
bool boot_strict;

static const char *find(const char *s, const char *what)
{
    size_t n = strlen(what);
    for (; *s; s++) {
        if (!memcmp(s, what, n)) {
            return s + n;
        }
    }
    return NULL;
}

/* A hex number at *s (advanced past it), or -1. */
static int hex_at(const char **s)
{
    int v = -1;
    for (;; (*s)++) {
        char c = **s;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0 || v > 0xfff) {
            return v;
        }
        v = (v < 0 ? 0 : v << 4) | d;
    }
}

static void parse_line(const char *line)
{
    if (!strcmp(line, "HALT")) {
        boot_strict = true;
        return;
    }
    if (nr_items == MAX_BOOT_ITEMS) {
        return;
    }
    struct boot_item *it = &items[nr_items];
    const char *p = find(line, "/drive@");
    if (p && find(line, "ide@")) {
        int channel = hex_at(&p);
        const char *q = find(p, "/disk@");
        int unit = q ? hex_at(&q) : -1;
        if (channel >= 0 && channel < 2 && unit >= 0 && unit < 2) {
            *it = (struct boot_item){'i', (u8)channel, (u8)unit, 0};
            nr_items++;
            return;
        }
    }
    /* The last path component names the PCI function: NAME@SLOT[,FN]. */
    p = find(line, "/pci@i0cf8/");
    const char *at = p ? find(p, "@") : NULL;
    if (at && !find(p, "/")) {
        int slot = hex_at(&at);
        int fn = 0;
        if (*at == ',') {
            at++;
            fn = hex_at(&at);
        }
        if (slot >= 0 && slot < 32 && fn >= 0 && fn < 8) {
            *it = (struct boot_item){'p', 0, 0, (u16)(slot << 3 | fn)};
            nr_items++;
            return;
        }
    }
    dprintf("bootorder: '%s' is not a device this BIOS boots\n", line);
}

/* Read "bootorder" and renumber the hard disks by it (after disk_setup). */
void bootorder_load(void)
{
    u32 size;
    u16 key = fw_cfg_find_file("bootorder", &size);
    if (!key || !size) {
        return;
    }
    static char text[BOOTORDER_MAX_BYTES + 1];
    if (size > BOOTORDER_MAX_BYTES) {
        size = BOOTORDER_MAX_BYTES;
    }
    fw_cfg_select(key);
    fw_cfg_read(text, size);
    text[size] = 0;
    char *line = text;
    for (char *p = text;; p++) {
        if (*p == '\n' || !*p) {
            bool end = !*p;
            *p = 0;
            if (*line) {
                parse_line(line);
            }
            if (end) {
                break;
            }
            line = p + 1;
        }
    }
    for (int i = nr_items - 1; i >= 0; i--) {
        if (items[i].kind == 'i') {
            disk_prioritize(items[i].channel, items[i].unit);
        }
    }
}

/* -boot order= beyond the CMOS's three devices: "etc/osprey-boot-order", or 0. */
bool bootorder_letters(char *order, u32 room)
{
    u32 size;
    u16 key = fw_cfg_find_file("etc/osprey-boot-order", &size);
    if (!key || !size || size >= room) {
        return false;
    }
    fw_cfg_select(key);
    fw_cfg_read(order, size);
    order[size] = 0;
    for (u32 i = 0; order[i]; i++) {
        if (order[i] < 'a' || order[i] > 'p') {
            order[0] = 0;
            return false;
        }
    }
    return order[0] != 0;
}

/* Try the bootindex devices in order; returns when none booted. */
void bootorder_boot(void)
{
    for (int i = 0; i < nr_items; i++) {
        if (items[i].kind == 'i') {
            disk_boot_ide(items[i].channel, items[i].unit);
        } else {
            option_rom_boot_bdf(items[i].bdf);
        }
    }
}
