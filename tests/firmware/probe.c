/*
 * A firmware probe booted from a disk by tests/firmware/test_bios.py: it checks what
 * bootloaders and option ROMs look for in a BIOS and prints one line per check on INT 10h
 * teletype (copied to COM1 with -nographic):
 *   PROBE-DISK <n>        the line in sector 40 of the disk it booted from (bootindex tests)
 *   APM-ABSENT            INT 15h AX=5300h answers "not present" (CF, AH=86h)
 *   PNP-OK                the $PnP installation check structure with a valid checksum
 *   PMM-OK                $PMM: allocate (extended and conventional), find, deallocate
 *   EDD30-OK              INT 13h AH=48h fills the EDD 3.0 device path (PCI, ATA, checksum)
 *   PROBE-DONE / PROBE-FAIL <what>
 * When the line in sector 40 starts with "VGA", it checks the VGA BIOS instead, waiting for
 * a key (INT 16h, from COM1) after each screen so the test can take a screendump:
 *   FONT-OK               AX=1130h: 8x16 (BH=6), 8x14 (BH=2), 8x8 (BH=3) tables with glyphs
 *   MODE13-DRAWN          mode 13h: red left half, green right half (A000h), a white 8x8
 *                         block at (300, 180) through INT 10h AH=0Ch
 *   MODE12-DRAWN          mode 12h: a blue 64x32 block at (0, 100) (AH=0Ch, read back with
 *                         AH=0Dh); the teletype text above it is drawn in graphics
 *   MODE3-BACK            mode 3 again, and AH=0Fh says so
 * Built with gcc -m16 -ffreestanding, linked at 0x7C00 with CS = DS = SS = 0.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

extern u8 boot_drive;

static u8 far_rb(u16 seg, u16 off)
{
    u8 v;
    asm volatile("movw %1, %%fs\n\tmovb %%fs:(%2), %0" : "=q"(v) : "r"(seg), "r"((u32)off)
                 : "memory");
    return v;
}

static void putc_tty(char c)
{
    asm volatile("int $0x10" : : "a"(0x0e00 | (u8)c), "b"(0x0007) : "memory");
}

static void puts_tty(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            putc_tty('\r');
        }
        putc_tty(*s);
    }
}

static void puthex(u32 v)
{
    for (int i = 28; i >= 0; i -= 4) {
        putc_tty("0123456789abcdef"[(v >> i) & 15]);
    }
}

static int failures;

static void fail(const char *what, u32 value)
{
    puts_tty("PROBE-FAIL ");
    puts_tty(what);
    putc_tty(' ');
    puthex(value);
    puts_tty("\n");
    failures++;
}

/* INT 13h AH=42h: one sector of the boot disk to buf. */
static int read_sector(u32 lba, void *buf)
{
    static struct {
        u8 size, zero;
        u16 count, off, seg;
        u32 lba_lo, lba_hi;
    } __attribute__((packed)) dap;
    dap.size = 16;
    dap.zero = 0;
    dap.count = 1;
    dap.off = (u16)(u32)buf;
    dap.seg = 0;
    dap.lba_lo = lba;
    dap.lba_hi = 0;
    u32 ax = 0x4200;
    u8 cf;
    asm volatile("int $0x13\n\tsetc %1" : "+a"(ax), "=q"(cf) : "d"((u32)boot_drive),
                 "S"((u32)(u16)(u32)&dap) : "memory", "cc");
    return cf ? -1 : 0;
}

static int vga_mode;

static void check_disk_line(void)
{
    static char sector[512];
    vga_mode = 0;
    if (read_sector(40, sector) < 0) {
        fail("read-sector-40", 0);
        return;
    }
    sector[63] = 0;
    vga_mode = sector[0] == 'V' && sector[1] == 'G' && sector[2] == 'A';
    puts_tty(sector);
    puts_tty("\n");
}

static void check_apm(void)
{
    u32 ax = 0x5300, bx = 0;
    u8 cf;
    asm volatile("int $0x15\n\tsetc %1" : "+a"(ax), "=q"(cf), "+b"(bx) : : "memory", "cc");
    if (cf && ((ax >> 8) & 0xff) == 0x86) {
        puts_tty("APM-ABSENT\n");
    } else {
        fail("apm", ax);
    }
}

/* A structure in the F segment on a 16-byte boundary whose len bytes sum to zero. */
static int find_fseg(const char *sig, int len_off, int len_scale)
{
    for (u32 off = 0; off < 0x10000; off += 16) {
        if (far_rb(0xf000, off) == sig[0] && far_rb(0xf000, off + 1) == sig[1] &&
            far_rb(0xf000, off + 2) == sig[2] && far_rb(0xf000, off + 3) == sig[3]) {
            u32 len = far_rb(0xf000, off + len_off) * len_scale;
            u8 sum = 0;
            for (u32 i = 0; i < len; i++) {
                sum += far_rb(0xf000, off + i);
            }
            if (len && !sum) {
                return (int)off;
            }
        }
    }
    return -1;
}

static void check_pnp(void)
{
    if (find_fseg("$PnP", 5, 1) < 0) {
        fail("pnp", 0);
    } else {
        puts_tty("PNP-OK\n");
    }
}

static u16 pmm_seg, pmm_off;

/* A far call to the PMM entry with the arguments pushed right to left, as C does. */
static u32 pmm_call(u16 fn, u32 a, u32 b, u16 flags)
{
    u32 ax, dx;
    u32 target = (u32)pmm_seg << 16 | pmm_off;
    asm volatile("pushw %w5\n\tpushl %4\n\tpushl %3\n\tpushw %w2\n\t"
                 "lcallw *%6\n\taddw $12, %%sp"
                 : "=a"(ax), "=d"(dx)
                 : "r"((u32)fn), "r"(a), "r"(b), "r"((u32)flags), "m"(target)
                 : "memory", "cc");
    return (dx & 0xffff) << 16 | (ax & 0xffff);
}

static void check_pmm(void)
{
    int off = find_fseg("$PMM", 5, 1);
    if (off < 0) {
        fail("pmm-structure", 0);
        return;
    }
    pmm_off = far_rb(0xf000, off + 7) | far_rb(0xf000, off + 8) << 8;
    pmm_seg = far_rb(0xf000, off + 9) | far_rb(0xf000, off + 10) << 8;
    u32 largest = pmm_call(0, 0, 0xffffffffu, 2);
    u32 ext = pmm_call(0, 0x1000, 0x4f535052, 2 | 4); /* 64 KiB, aligned, handle 'RPSO' */
    u32 conv = pmm_call(0, 0x100, 0xffffffffu, 1);
    u32 found = pmm_call(1, 0x4f535052, 0, 0);
    u32 freed = pmm_call(2, ext, 0, 0);
    u32 gone = pmm_call(1, 0x4f535052, 0, 0);
    u32 huge = pmm_call(0, largest + 1, 0xffffffffu, 2);
    if (largest < 0x1000 || ext < 0x100000 || (ext & 0xffff) || !conv || conv >= 0xa0000 ||
        found != ext || freed != 0 || gone != 0 || huge != 0) {
        fail("pmm", ext);
        fail("pmm-conv", conv);
        fail("pmm-find", found);
        return;
    }
    puts_tty("PMM-OK\n");
}

static void check_edd30(void)
{
    static u8 buf[0x42];
    buf[0] = 0x42;
    buf[1] = 0;
    u32 ax = 0x4800;
    u8 cf;
    asm volatile("int $0x13\n\tsetc %1" : "+a"(ax), "=q"(cf) : "d"((u32)boot_drive),
                 "S"((u32)(u16)(u32)buf) : "memory", "cc");
    u8 sum = 0;
    for (int i = 0x1e; i < 0x42; i++) {
        sum += buf[i];
    }
    if (cf || buf[0] != 0x42 || buf[0x1e] != 0xdd || buf[0x1f] != 0xbe || sum ||
        buf[0x24] != 'P' || buf[0x25] != 'C' || buf[0x26] != 'I' || buf[0x28] != 'A' ||
        buf[0x29] != 'T' || buf[0x2a] != 'A' || buf[0x2b] != ' ' || buf[0x30] != 0 ||
        buf[0x31] != 1 || buf[0x32] != 1) {
        fail("edd30", (u32)buf[0] | (u32)buf[0x1e] << 8 | (u32)sum << 16);
        return;
    }
    puts_tty("EDD30-OK\n");
}

static u32 int10(u32 ax, u32 bx, u32 cx, u32 dx)
{
    asm volatile("int $0x10" : "+a"(ax), "+b"(bx), "+c"(cx), "+d"(dx) : : "memory", "cc");
    return ax;
}

static void wait_key(void)
{
    u32 ax = 0;
    asm volatile("int $0x16" : "+a"(ax) : : "memory", "cc");
}

static void far_wb(u16 seg, u16 off, u8 v)
{
    asm volatile("movw %0, %%fs\n\tmovb %1, %%fs:(%2)" : : "r"(seg), "q"(v), "r"((u32)off)
                 : "memory");
}

/* AX=1130h BH=which: the table's first glyph row of 'A' must not be all blank. */
static int font_ok(u8 which, u8 height)
{
    u32 ax = 0x1130, bx = (u32)which << 8, cx = 0, dx = 0, bp = 0, es = 0;
    asm volatile("pushl %%ebp\n\tint $0x10\n\tmovl %%ebp, %%esi\n\tmovw %%es, %%di\n\t"
                 "popl %%ebp"
                 : "+a"(ax), "+b"(bx), "+c"(cx), "+d"(dx), "=S"(bp), "=D"(es) : : "memory", "cc");
    u8 any = 0;
    for (u8 row = 0; row < height; row++) {
        any |= far_rb((u16)es, (u16)(bp + 'A' * height + row));
    }
    return (es & 0xffff) && any;
}

static void vga_checks(void)
{
    if (font_ok(6, 16) && font_ok(2, 14) && font_ok(3, 8)) {
        puts_tty("FONT-OK\n");
    } else {
        fail("font", 0);
    }
    int10(0x0013, 0, 0, 0);
    if ((int10(0x0f00, 0, 0, 0) & 0x7f) != 0x13) {
        fail("mode13", int10(0x0f00, 0, 0, 0));
    }
    for (u32 y = 0; y < 200; y++) {
        for (u32 x = 0; x < 320; x++) {
            far_wb(0xa000, (u16)(y * 320 + x), x < 160 ? 4 : 2);
        }
    }
    for (u32 y = 180; y < 188; y++) {
        for (u32 x = 300; x < 308; x++) {
            int10(0x0c0f, 0, x, y);
        }
    }
    puts_tty("MODE13-DRAWN\n");
    wait_key();
    int10(0x0012, 0, 0, 0);
    for (u32 y = 100; y < 132; y++) {
        for (u32 x = 0; x < 64; x++) {
            int10(0x0c01, 0, x, y);
        }
    }
    if ((int10(0x0d00, 0, 10, 110) & 0xff) != 1 || (int10(0x0d00, 0, 100, 110) & 0xff) != 0) {
        fail("mode12-read-pixel", int10(0x0d00, 0, 10, 110));
    }
    puts_tty("MODE12-DRAWN\n");
    wait_key();
    int10(0x0003, 0, 0, 0);
    if ((int10(0x0f00, 0, 0, 0) & 0xffff) != 0x5003) {
        fail("mode3", int10(0x0f00, 0, 0, 0));
    }
    puts_tty("MODE3-BACK\n");
}

void probe_main(u32 drive)
{
    failures = 0; /* no BSS clearing: the loader copies sectors only */
    puts_tty("PROBE-START\n");
    check_disk_line();
    if (vga_mode) {
        vga_checks();
        puts_tty(failures ? "PROBE-FAILED\n" : "PROBE-DONE\n");
        for (;;) {
            asm volatile("hlt");
        }
    }
    check_apm();
    check_pnp();
    check_pmm();
    check_edd30();
    puts_tty(failures ? "PROBE-FAILED\n" : "PROBE-DONE\n");
    for (;;) {
        asm volatile("hlt");
    }
}
