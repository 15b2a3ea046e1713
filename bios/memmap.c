/*
 * Osprey BIOS: the memory map.  RAM sizes come from fw_cfg (etc/e820, or
 * the RAM size item), with the CMOS as a fallback; the BIOS adds what it
 * reserves: the EBDA, the BIOS and option-ROM area, and its table zone at
 * the top of low RAM.
 */
#include "bios.h"

#define EBDA_SEG 0x9fc0
#define HIGH_ZONE_SIZE (128u << 10) /* the machine keeps 160 KiB free of -initrd */

struct e820_entry e820_map[E820_MAX];
int e820_count;
u32 ram_below_4g;
u64 ram_above_4g;
static u32 high_zone_next, high_zone_end, high_zone_start;
static u32 fseg_next = 0xe0000, fseg_end = 0xf0000;

static u8 cmos_read(u8 reg)
{
    outb(reg | 0x80, 0x70); /* bit 7: NMI stays masked */
    return inb(0x71);
}

void e820_add(u64 base, u64 len, u32 type)
{
    if (len && e820_count < E820_MAX) {
        e820_map[e820_count].base = base;
        e820_map[e820_count].len = len;
        e820_map[e820_count].type = type;
        e820_count++;
    }
}

void memmap_init(void)
{
    u32 size;
    u16 key = fw_cfg_find_file("etc/e820", &size);
    if (key) {
        fw_cfg_select(key);
        for (u32 i = 0; i + 20 <= size; i += 20) {
            struct e820_entry e;
            fw_cfg_read(&e, 20);
            if (e.type != E820_RAM) {
                continue;
            }
            if (e.base < 0x100000000ull && e.base + e.len <= 0x100000000ull) {
                if (e.base + e.len > ram_below_4g) {
                    ram_below_4g = (u32)(e.base + e.len);
                }
            } else if (e.base >= 0x100000000ull) {
                ram_above_4g += e.len;
            }
        }
    }
    if (!ram_below_4g) {
        /* CMOS: KiB above 1 MiB (0x30/0x31), 64 KiB units above 16 MiB (0x34/0x35). */
        u32 above16 = cmos_read(0x34) | (u32)cmos_read(0x35) << 8;
        u32 ext = cmos_read(0x30) | (u32)cmos_read(0x31) << 8;
        ram_below_4g = above16 ? (16u << 20) + (above16 << 16) : (1u << 20) + (ext << 10);
        ram_above_4g = (u64)(cmos_read(0x5b) | (u32)cmos_read(0x5c) << 8 |
                             (u32)cmos_read(0x5d) << 16) << 16;
    }
    high_zone_end = ram_below_4g;
    high_zone_next = (ram_below_4g - HIGH_ZONE_SIZE) & ~0xffffu;
    high_zone_start = high_zone_next;

    e820_add(0, EBDA_SEG << 4, E820_RAM);
    e820_add(EBDA_SEG << 4, 0xa0000 - (EBDA_SEG << 4), E820_RESERVED);
    e820_add(0xe0000, 0x20000, E820_RESERVED);
    e820_add(0x100000, high_zone_next - 0x100000, E820_RAM);
    e820_add(high_zone_next, high_zone_end - high_zone_next, E820_RESERVED);
    e820_add(0xfffc0000u, 0x40000, E820_RESERVED);
    if (ram_above_4g) {
        e820_add(0x100000000ull, ram_above_4g, E820_RAM);
    }
}

static u32 zone_alloc(u32 *next, u32 end, u32 size, u32 align)
{
    if (!align) {
        align = 1;
    }
    u32 addr = (*next + align - 1) & ~(align - 1);
    if (addr < *next || addr > end || size > end - addr) {
        return 0;
    }
    *next = addr + size;
    return addr;
}

u32 high_alloc(u32 size, u32 align) { return zone_alloc(&high_zone_next, high_zone_end, size, align); }
u32 fseg_alloc(u32 size, u32 align) { return zone_alloc(&fseg_next, fseg_end, size, align); }

/* Where the reserved table zone begins: the end of the RAM the OS gets below 4 GiB. */
u32 high_zone_base(void) { return high_zone_start; }
