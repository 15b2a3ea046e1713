/*
 * Osprey BIOS: power-on self test.  entry.S has shadowed the BIOS into RAM
 * and set up big real mode; this sets up the interrupt controllers, timer,
 * RTC, keyboard, BDA/EBDA, PCI, the memory map and the firmware tables from
 * fw_cfg, then boots.
 */
#include "bios.h"

#define EBDA_SEG 0x9fc0

u16 nr_cpus = 1;
static bool nographic;
static char boot_order[17] = "cdn";

extern char entry_int10[], entry_int11[], entry_int12[], entry_int13[], entry_int14[];
extern char entry_int15[], entry_int16[], entry_int17[], entry_int18[], entry_int19[];
extern char entry_int1a[], entry_irq0[], entry_irq1[], entry_irq_master[], entry_irq_slave[];
extern char entry_iret[];
extern u16 vga_bdf;

void post_main(void) __attribute__((noreturn));
void handle_int18(struct bregs *r);
void handle_int19(struct bregs *r);

static void ivt_set(u8 vec, void *handler)
{
    far_ww(0, vec * 4, (u16)(u32)handler);
    far_ww(0, vec * 4 + 2, BIOS_SEG);
}

static void ivt_init(void)
{
    for (int v = 0; v < 256; v++) {
        ivt_set((u8)v, entry_iret);
    }
    for (int i = 0; i < 8; i++) {
        ivt_set((u8)(0x08 + i), entry_irq_master);
        ivt_set((u8)(0x70 + i), entry_irq_slave);
    }
    ivt_set(0x08, entry_irq0);
    ivt_set(0x09, entry_irq1);
    ivt_set(0x10, entry_int10);
    ivt_set(0x11, entry_int11);
    ivt_set(0x12, entry_int12);
    ivt_set(0x13, entry_int13);
    ivt_set(0x14, entry_int14);
    ivt_set(0x15, entry_int15);
    ivt_set(0x16, entry_int16);
    ivt_set(0x17, entry_int17);
    ivt_set(0x18, entry_int18);
    ivt_set(0x19, entry_int19);
    ivt_set(0x1a, entry_int1a);
    /* INT 1Dh-1Fh point at tables nobody here provides. */
    for (int v = 0x1d; v <= 0x1f; v++) {
        far_wl(0, (u16)(v * 4), 0);
    }
}

static void bda_init(void)
{
    for (u16 i = 0; i < 0x100; i++) {
        far_wb(BDA_SEG, i, 0);
    }
    bda_ww(BDA_COM1, 0x3f8);
    bda_ww(BDA_EBDA_SEG, EBDA_SEG);
    bda_ww(BDA_MEM_KIB, EBDA_SEG >> 6);
    /* FPU, 80x25 colour video, one serial port. */
    bda_ww(BDA_EQUIPMENT, 0x0002 | 0x0020 | (1 << 9));
    for (u16 i = 0; i < 0x400; i++) {
        far_wb(EBDA_SEG, i, 0);
    }
    far_wb(EBDA_SEG, 0, 1); /* its size in KiB */
}

static void pic_init(void)
{
    outb(0x11, 0x20);
    outb(0x11, 0xa0);
    outb(0x08, 0x21);
    outb(0x70, 0xa1);
    outb(0x04, 0x21);
    outb(0x02, 0xa1);
    outb(0x01, 0x21);
    outb(0x01, 0xa1);
    outb(0xf8, 0x21); /* timer, keyboard, cascade */
    outb(0xff, 0xa1);
}

/*
 * The boot CPU's local APIC in virtual-wire mode: software-enabled, LINT0
 * as ExtINT so the 8259's INTR reaches the CPU, LINT1 as NMI (Intel
 * MultiProcessor spec, "Virtual Wire Mode").  A CPU without an APIC
 * (CPUID.1:EDX bit 9) is left alone.
 */
static void lapic_init(void)
{
    u32 eax = 1, ebx, ecx, edx;
    asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    if (!(edx & (1u << 9))) {
        return;
    }
    flat_wl(0xfee000f0, flat_rl(0xfee000f0) | 0x1ff);
    flat_wl(0xfee00350, 0x700);
    flat_wl(0xfee00360, 0x400);
}

static void pit_init(void)
{
    outb(0x34, 0x43); /* channel 0, lo/hi, mode 2 */
    outb(0, 0x40);
    outb(0, 0x40);    /* 65536: 18.2 Hz */
}

static void rtc_init(void)
{
    outb(0x0a, 0x70);
    outb(0x26, 0x71);
    outb(0x0b, 0x70);
    outb(0x02, 0x71); /* 24-hour, BCD, no interrupts */
    outb(0x0c, 0x70);
    inb(0x71);
    outb(0x0d, 0x70);
    inb(0x71);
}

/* The order to try: "bootorder" from -boot order=..., else CMOS 0x3D/0x38. */
static void boot_order_init(void)
{
    if (bootorder_letters(boot_order, sizeof(boot_order))) {
        return;
    }
    u16 dev = fw_cfg_read_i16(0x0c);
    u8 cmos[3];
    outb(0x3d, 0x70);
    u8 b = inb(0x71);
    outb(0x38, 0x70);
    u8 c = inb(0x71);
    cmos[0] = b & 0xf;
    cmos[1] = b >> 4;
    cmos[2] = c >> 4;
    int n = 0;
    for (int i = 0; i < 3; i++) {
        static const char codes[] = "\0acdn";
        if (cmos[i] >= 1 && cmos[i] <= 4) {
            boot_order[n++] = codes[cmos[i]];
        }
    }
    if (!n) {
        /* No -boot: the boot device item first, then the other of disk and CD. */
        memcpy(boot_order, dev == 'd' ? "dc" : "cd", 2);
        n = 2;
    }
    boot_order[n] = 0;
}

void post_main(void)
{
    serial_init();
    if (fw_cfg_present()) {
        nographic = fw_cfg_read_i16(0x04) != 0;
        nr_cpus = fw_cfg_read_i16(0x05);
    }
    memmap_init();
    pmm_setup();
    ivt_init();
    bda_init();
    pic_init();
    lapic_init();
    pit_init();
    smp_setup();
    rtc_init();
    keyboard_init();
    pci_setup();
    vga_present = vga_bdf != 0xffff;
    serial_console = nographic || !vga_present;
    vga_text_init();
    option_rom_vga_run();
    vga_rom_adopt();
    printf("Osprey BIOS " OSPREY_BIOS_VERSION "\n");
    printf("%u MiB RAM, %u CPU%s\n", (unsigned)((ram_below_4g + ram_above_4g) >> 20),
           cpus_started, cpus_started == 1 ? "" : "s");
    if (cpus_started < nr_cpus) {
        printf("%u of %u CPUs did not start\n", nr_cpus - cpus_started, nr_cpus);
    }
    acpi_setup();
    acpi_madt_disable_missing_cpus();
    mptable_setup();
    boot_order_init();
    disk_setup();
    bootorder_load();
    option_roms_run();
    asm volatile("int $0x19");
    for (;;) {
        asm volatile("hlt");
    }
}

/* Reset through the PIIX3 reset control register (port 0xCF9). */
static void __attribute__((noreturn)) system_reset(void)
{
    outb(0x02, 0xcf9);
    outb(0x06, 0xcf9);
    outb(0xfe, 0x64);
    for (;;) {
        asm volatile("hlt");
    }
}

void handle_int18(struct bregs *r)
{
    printf("No bootable device.\n");
    outb(1, 0x4f0); /* osprey-boot-status: with -no-reboot the machine exits with status 1 */
    u32 wait_ms = 0xffffffffu;
    u32 size;
    u16 key = fw_cfg_find_file("etc/boot-fail-wait", &size);
    if (key && size == 4) {
        fw_cfg_select(key);
        fw_cfg_read(&wait_ms, 4);
    }
    if (wait_ms == 0xffffffffu) {
        wait_ms = 5000; /* retry anyway: nothing else can change the outcome */
    }
    printf("Retrying in %u seconds.\n", (unsigned)(wait_ms / 1000));
    u32 start = far_rl(BDA_SEG, BDA_TICKS);
    asm volatile("sti");
    while ((far_rl(BDA_SEG, BDA_TICKS) - start) * 55 < wait_ms) {
        asm volatile("hlt");
    }
    system_reset();
}

/* A key through INT 16h (nested from inside the BIOS), or -1 when none is waiting. */
static int key_poll(void)
{
    u32 ax = 0x0100;
    u8 none;
    asm volatile("int $0x16\n\tsetz %1" : "+a"(ax), "=q"(none) : : "cc", "memory");
    if (none) {
        return -1;
    }
    ax = 0;
    asm volatile("int $0x16" : "+a"(ax) : : "cc", "memory");
    return (int)(ax & 0xffff);
}

static bool is_menu_key(int key)
{
    return (key & 0xff) == 0x1b || (key >> 8) == 0x86 || (key >> 8) == 0x58; /* ESC, F12 */
}

/*
 * -boot menu=on: offer the menu for etc/boot-menu-wait ms (splash-time=; 2.5 s by default),
 * on the screen and the serial console; ESC or F12 opens it, a digit moves that device to the
 * front of the boot order, ahead of bootindex= devices (returns true then).  Without
 * menu=on nothing waits.
 */
static bool boot_menu(void)
{
    if (!fw_cfg_present() || !fw_cfg_read_i16(0x0e)) {
        return false;
    }
    u32 wait_ms = 2500, size;
    u16 key = fw_cfg_find_file("etc/boot-menu-wait", &size);
    if (key && size == 2) {
        u16 ms;
        fw_cfg_select(key);
        fw_cfg_read(&ms, 2);
        wait_ms = ms;
    }
    printf("Press ESC or F12 for the boot menu.\n");
    asm volatile("sti");
    u32 start = far_rl(BDA_SEG, BDA_TICKS);
    int k = -1;
    while ((far_rl(BDA_SEG, BDA_TICKS) - start) * 55 < wait_ms) {
        k = key_poll();
        if (k >= 0 && is_menu_key(k)) {
            break;
        }
        k = -1;
        asm volatile("hlt");
    }
    if (k < 0) {
        return false;
    }
    static const char letters[] = "cdn";
    static const char *const names[] = {"Hard disk", "CD-ROM", "Network (option ROM)"};
    int count = boot_entry_count() ? 3 : 2;
    printf("\nSelect boot device:\n\n");
    for (int i = 0; i < count; i++) {
        printf("%d. %s\n", i + 1, names[i]);
    }
    for (;;) {
        while ((k = key_poll()) < 0) {
            asm volatile("hlt");
        }
        u8 c = (u8)k;
        if (c == 0x1b) {
            return false; /* the usual order */
        }
        if (c >= '1' && c < '1' + count) {
            char picked = letters[c - '1'];
            char order[sizeof(boot_order)];
            int n = 0;
            order[n++] = picked;
            for (const char *p = boot_order; *p && n < (int)sizeof(boot_order) - 1; p++) {
                if (*p != picked) {
                    order[n++] = *p;
                }
            }
            order[n] = 0;
            memcpy(boot_order, order, (size_t)n + 1);
            printf("Booting %s first.\n", names[c - '1']);
            return true;
        }
    }
}

void handle_int19(struct bregs *r)
{
    if (linux_boot_present()) {
        linux_boot();
    }
    bool chosen = boot_menu();
    if (!chosen) {
        bootorder_boot();
    }
    if (boot_strict && !chosen) {
        printf("Strict boot order (-boot strict=on): no other device is tried.\n");
        asm volatile("int $0x18");
    }
    for (const char *p = boot_order; *p; p++) {
        switch (*p) {
        case 'c':
            disk_boot(0);
            break;
        case 'd':
            disk_boot(1);
            break;
        case 'n':
            option_rom_boot();
            break;
        case 'a':
            printf("Floppy boot: no floppy drives.\n");
            break;
        }
    }
    asm volatile("int $0x18");
}
