/*
 * A Multiboot v1 test kernel: checks what the loader promised (EAX magic, the
 * info structure: memory sizes, command line, two modules with contents and
 * strings, the memory map, the loader name) for "-m 64", and that it was
 * loaded fresh (a .data word it clears on every boot must be back after a
 * reset).  Ends through isa-debug-exit, or with "wait" in its command line
 * halts after PASS so the test can reset it.
 */
#include "common.h"

#define MB_MODULE_ONE "first module data"

__attribute__((section(".multiboot"), used, aligned(4)))
static const u32 multiboot_header[3] = {0x1badb002u, 0x3u, (u32)-(0x1badb002u + 0x3u)};

extern u32 entry_regs[10];
static volatile u32 pristine = 0x5a5aa5a5u;
static u32 bss_word;

void kmain(void);

void kmain(void)
{
    u32 magic = entry_regs[0];
    const u32 *mbi = (const u32 *)entry_regs[1];
    puts_dbg("BOOT multiboot\n");
    CHECK_EQ("EAX magic", magic, 0x2badb002u);
    check_entry_state(entry_regs[5], entry_regs[6], entry_regs[7], entry_regs[8]);
    CHECK_EQ("data word reloaded", pristine, 0x5a5aa5a5u);
    CHECK_EQ("bss zeroed", bss_word, 0);
    pristine = 0;
    bss_word = 1;
    if (magic != 0x2badb002u) {
        finish("multiboot", 0);
    }
    u32 flags = mbi[0];
    CHECK_EQ("flags mem|cmdline|mods|mmap|name", flags & 0x24d, 0x24d);
    CHECK_EQ("mem_lower (KiB)", mbi[1], 639);
    CHECK_EQ("mem_upper (KiB)", mbi[2], (64 << 10) - 1024);
    const char *cmdline = (const char *)mbi[4];
    /* "KERNEL-PATH APPEND", where the test's -append is "mbtest=1 [wait ]second". */
    CHECK_EQ("cmdline starts with the kernel path",
             contains(cmdline, "multiboot_kernel.elf mbtest=1 "), 1);
    CHECK_EQ("cmdline ends with the -append text", ends_with(cmdline, " second"), 1);
    CHECK_EQ("loader name", str_eq((const char *)mbi[16], "osprey"), 1);

    CHECK_EQ("mods_count", mbi[5], 2);
    const u32 *mods = (const u32 *)mbi[6];
    if (mbi[5] == 2) {
        CHECK_EQ("module 0 page aligned", mods[0] & 0xfff, 0);
        CHECK_EQ("module 1 page aligned", mods[4] & 0xfff, 0);
        CHECK_EQ("module 0 length", mods[1] - mods[0], str_len(MB_MODULE_ONE));
        CHECK_EQ("module 0 above the kernel", mods[0] >= 0x100000, 1);
        const char *m0 = (const char *)mods[0];
        for (u32 i = 0; i < str_len(MB_MODULE_ONE); i++) {
            if (m0[i] != MB_MODULE_ONE[i]) {
                fail("module 0 byte", i, 0);
                break;
            }
        }
        CHECK_EQ("module 1 length", mods[5] - mods[4], 5000);
        const u8 *m1 = (const u8 *)mods[4];
        for (u32 i = 0; i < 5000; i++) {
            if (m1[i] != (u8)(i * 7)) {
                fail("module 1 byte", i, 0);
                break;
            }
        }
        CHECK_EQ("module 0 string", ends_with((const char *)mods[2], "mod1.bin one-arg"), 1);
        CHECK_EQ("module 1 string", ends_with((const char *)mods[6], "mod2.bin two=2"), 1);
        /* Scribble over the modules: a reset must bring them back. */
        *(volatile char *)mods[0] = 'X';
    }

    u32 len = mbi[11];
    const u8 *p = (const u8 *)mbi[12];
    u64 ram = 0;
    int saw_low = 0, saw_high = 0;
    for (u32 off = 0; off < len && off < 4096;) {
        u32 size = *(const u32 *)(p + off);
        u64 base = *(const u64 *)(p + off + 4);
        u64 length = *(const u64 *)(p + off + 12);
        u32 type = *(const u32 *)(p + off + 20);
        if (type == 1) {
            ram += length;
        }
        if (base == 0 && length == 0x9fc00 && type == 1) {
            saw_low = 1;
        }
        if (base == 0x100000 && length == (63u << 20) && type == 1) {
            saw_high = 1;
        }
        off += size + 4;
    }
    CHECK_EQ("mmap has 0-0x9fc00 RAM", saw_low, 1);
    CHECK_EQ("mmap has 1M-64M RAM", saw_high, 1);
    CHECK_EQ("mmap RAM total", (u32)ram, 0x9fc00 + (63u << 20));
    finish("multiboot", contains(cmdline, "wait"));
}
