/*
 * The protected-mode part of a fake bzImage: checks the 32-bit boot protocol
 * state (ESI = zero page, EBX/EDI/EBP zero, flat segments 0x10/0x18) and the
 * zero page (header copy, type_of_loader, command line, e820 for -m 64,
 * memory sizes, the initrd's place and bytes).
 */
#include "common.h"

extern u32 entry_regs[10];

void kmain(void);

void kmain(void)
{
    const u8 *zp = (const u8 *)entry_regs[2];
    puts_dbg("BOOT linux\n");
    CHECK_EQ("ESI", entry_regs[2], 0x7000);
    CHECK_EQ("EBX", entry_regs[1], 0);
    CHECK_EQ("EDI", entry_regs[3], 0);
    CHECK_EQ("EBP", entry_regs[4], 0);
    CHECK_EQ("CS", entry_regs[5], 0x10);
    CHECK_EQ("DS", entry_regs[6], 0x18);
    CHECK_EQ("SS", entry_regs[9], 0x18);
    check_entry_state(entry_regs[5], entry_regs[6], entry_regs[7], entry_regs[8]);

    CHECK_EQ("HdrS in the zero page", *(const u32 *)(zp + 0x202), 0x53726448);
    CHECK_EQ("type_of_loader", zp[0x210], 0xff);
    CHECK_EQ("loadflags LOADED_HIGH|CAN_USE_HEAP", zp[0x211] & 0x81, 0x81);
    const char *cmdline = (const char *)*(const u32 *)(zp + 0x228);
    CHECK_EQ("cmd_line_ptr string", str_eq(cmdline, "console=ttyS0 bztest=1"), 1);
    CHECK_EQ("ext_mem_k", *(const u16 *)(zp + 0x2), 0xfc00);
    CHECK_EQ("alt_mem_k", *(const u32 *)(zp + 0x1e0), 63 * 1024);
    CHECK_EQ("orig_video_isVGA", zp[0xf], 0);

    static const u32 want[][5] = {
        /* addr lo, addr hi, size lo, size hi, type */
        {0, 0, 0x9fc00, 0, 1},
        {0x9fc00, 0, 0x400, 0, 2},
        {0xf0000, 0, 0x10000, 0, 2},
        {0x100000, 0, 63u << 20, 0, 1},
        {0xfffc0000u, 0, 0x40000, 0, 2},
    };
    CHECK_EQ("e820_entries", zp[0x1e8], 5);
    for (u32 i = 0; i < 5 && i < zp[0x1e8]; i++) {
        const u32 *e = (const u32 *)(zp + 0x2d0 + i * 20);
        for (int j = 0; j < 5; j++) {
            if (e[j] != want[i][j]) {
                fail("e820 entry field", i * 16 + j, want[i][j]);
            }
        }
    }

    u32 image = *(const u32 *)(zp + 0x218), size = *(const u32 *)(zp + 0x21c);
    CHECK_EQ("ramdisk_size", size, 12345);
    CHECK_EQ("ramdisk_image page aligned", image & 0xfff, 0);
    CHECK_EQ("ramdisk below the end of RAM", image + size <= (64u << 20), 1);
    CHECK_EQ("ramdisk placed high", image + size > (64u << 20) - 4096 - 4096, 1);
    const u8 *rd = (const u8 *)image;
    for (u32 i = 0; i < size; i++) {
        if (rd[i] != (u8)(i * 13 + 1)) {
            fail("initrd byte", i, (u8)(i * 13 + 1));
            break;
        }
    }
    finish("linux", 0);
}
