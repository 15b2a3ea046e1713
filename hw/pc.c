/*
 * The "pc" machine: what it contains and how the parts are wired.
 *
 * Today: RAM (split below/above 4 GiB as on a real i440FX board), the ISA
 * interrupt lines, COM1-COM4 UARTs from -serial, the debug console, user
 * -device devices, monitors and QMP.  The chipset, interrupt controllers and
 * firmware join in the PC-platform issue.
 */
#include <errno.h>
#include <unistd.h>

#include "accel/accel.h"
#include "block/drive.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/monitor.h"
#include "core/options.h"
#include "cpu/x86/cpu.h"
#include "cpu/x86/cpuid.h"
#include "hw/acpi/acpi-build.h"
#include "hw/audio/pcspk.h"
#include "hw/i386/bootorder.h"
#include "hw/i386/direct-boot.h"
#include "hw/i386/e820.h"
#include "hw/i386/mptable.h"
#include "hw/i386/smbios.h"
#include "hw/input/i8042.h"
#include "hw/intc/apic.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/misc/port92.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/rtc/mc146818.h"
#include "hw/timer/hpet.h"
#include "hw/pci/pci.h"
#include "net/net.h"
#include "hw/timer/i8254.h"
#include "ui/console.h"

/* RAM above this goes above 4 GiB, leaving room for the PCI hole. */
#define PC_LOWMEM_LIMIT 0xe0000000ULL
#define PC_LOWMEM_SPLIT 0xc0000000ULL

bool pc_machine_init(Machine *m, Error **errp);

typedef struct PcBoard {
    /*
     * Interrupt wiring.  ISA IRQ n (m->isa_irqs) fans out to PIC input n and
     * IOAPIC input n (IRQ 0 to IOAPIC input 2, as on every PC).  The PIC's
     * INTR output reaches the CPU through cpu_intr.  Each pointer is NULL
     * until the controller exists.
     */
    IRQState *pic_in;    /* 16 lines */
    IRQState *ioapic_in; /* 24 lines */
    IRQState cpu_intr;   /* the PIC's INTR pin, wired to CPU 0 (LINT0 with an APIC) */
    IRQState a20;        /* the A20 gate: i8042 output port and port 0x92 */
    int (*pic_ack)(void *pic); /* INTA cycle on the PIC: vector */
    void *pic;
    DeviceState *pit; /* the 8254: the HPET's legacy replacement cuts its IRQ 0 */

    MemoryRegion ram_below_4g;
    MemoryRegion ram_above_4g;
    MemoryRegion bios;     /* the firmware image, ending at 4 GiB */
    MemoryRegion isa_bios; /* its last 128 KiB, aliased below 1 MiB */
    PCIBus *pci_bus;       /* PIRQs routed to ISA IRQs are ORed into the PIC inputs */

    FWCfgState *fw_cfg;
    /* ACPI tables at the top of low RAM (0: none) and the RSDP, for the e820 map. */
    uint64_t acpi_tables_start;
    uint64_t acpi_rsdp_addr;
    /* -kernel without -bios: re-applied after every system reset. */
    DirectBoot direct_boot;
} PcBoard;

#define PC_BIOS_MAX_SIZE (16u << 20)
/* The top of low RAM a BIOS keeps for its tables (QEMU: 128 KiB of ACPI + 32 KiB). */
#define PC_FIRMWARE_HIGH_RESERVE (160u << 10)
#define PC_ISA_BIOS_MAX_SIZE (128u << 10)

static void pc_board_free(Machine *m)
{
    PcBoard *board = m->board;
    for (int i = 0; i < m->nr_cpus; i++) {
        free(m->cpus[i]);
        m->cpus[i] = NULL;
    }
    m->nr_cpus = 0;
    pci_bus_free(m->pci_bus);
    m->pci_bus = NULL;
    if (board->isa_bios.name) {
        memory_region_destroy(&board->isa_bios);
    }
    if (board->bios.name) {
        memory_region_destroy(&board->bios);
    }
    memory_region_destroy(&board->ram_below_4g);
    if (board->ram_above_4g.name) {
        memory_region_destroy(&board->ram_above_4g);
    }
    direct_boot_free(&board->direct_boot);
    display_free(m);
    net_cleanup(m); /* after the NICs, which the devices' teardown detached */
    free(board);
    m->board = NULL;
}

static void pc_init_ram(Machine *m, PcBoard *board)
{
    uint64_t ram = m->cfg->ram_size;
    uint64_t below = ram >= PC_LOWMEM_LIMIT ? PC_LOWMEM_SPLIT : ram;
    m->ram_size = ram;
    memory_region_init_ram(&m->ram, "pc.ram", ram);
    memory_region_init_alias(&board->ram_below_4g, "ram-below-4g", &m->ram, 0, below);
    memory_region_add_subregion(&m->system_memory, 0, &board->ram_below_4g);
    if (ram > below) {
        memory_region_init_alias(&board->ram_above_4g, "ram-above-4g", &m->ram, below,
                                 ram - below);
        memory_region_add_subregion(&m->system_memory, 1ULL << 32, &board->ram_above_4g);
    }
}

static void pc_isa_irq_handler(void *opaque, int n, int level)
{
    PcBoard *board = opaque;
    if (board->pic_in) {
        int pci = board->pci_bus && ((board->pci_bus->pci_isa_irq_levels >> n) & 1);
        irq_set(&board->pic_in[n], level || pci);
    }
    if (board->ioapic_in) {
        int pci = board->pci_bus && ((board->pci_bus->pci_isa_irq_levels >> n) & 1);
        irq_set(&board->ioapic_in[n == 0 ? 2 : n], level || pci);
    }
}

/* The PIC's INTR pin, straight to CPU 0 (the local APIC takes it over as LINT0). */
static void pc_cpu_intr_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
    if (apic_set_lint(m->cpus[0], 0, level)) {
        return; /* LINT0: virtual wire when programmed ExtINT, INTR when the APIC is off */
    }
    if (level) {
        x86_cpu_interrupt(m->cpus[0], CPU_INTERRUPT_HARD);
    } else {
        x86_cpu_reset_interrupt(m->cpus[0], CPU_INTERRUPT_HARD);
    }
}

static void pc_a20_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
    for (int i = 0; i < m->nr_cpus; i++) {
        x86_cpu_set_a20(m->cpus[i], level != 0);
    }
}

/* INTA without a local APIC: ask the PIC. */
static int pc_pic_only_ack(void *opaque)
{
    PcBoard *board = opaque;
    return board->pic_ack ? board->pic_ack(board->pic) : -1;
}

static const X86IntrOps pc_pic_only_intr_ops = {
    .ack = pc_pic_only_ack,
};

/* The vCPUs' state; the accelerator attaches to them.  APs wait for SIPI. */
static bool pc_init_cpus(Machine *m, PcBoard *board, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    const X86CpuModel *model = cfg->cpu_model ? x86_cpu_model_lookup(cfg->cpu_model) : NULL;
    X86CpuFeatureMods mods = {{0}};
    char err[256];
    /* -cpu was validated when parsed; NULL means the default model. */
    if (cfg->cpu_features &&
        !x86_cpu_parse_features(model, cfg->cpu_features, &mods, err, sizeof(err))) {
        error_setg(errp, "-cpu: %s", err);
        return false;
    }
    m->nr_cpus = cfg->smp_cpus;
    for (int i = 0; i < m->nr_cpus; i++) {
        CPUX86State *env = XNEW(CPUX86State);
        env->machine = m;
        env->cpu_index = i;
        env->exception_index = -1;
        env->old_exception = -1;
        env->cpu_model = model;
        env->cpu_mods = mods;
        env->intr_ops = &pc_pic_only_intr_ops;
        env->intr_opaque = board;
        x86_cpu_reset(env);
        m->cpus[i] = env;
    }
    irq_init(&board->cpu_intr, pc_cpu_intr_handler, m, 0);
    irq_init(&board->a20, pc_a20_handler, m, 0);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        irq_init(&m->isa_irqs[i], pc_isa_irq_handler, board, i);
    }
    return true;
}

/*
 * Find a firmware file: a path with a '/' is taken as given; a bare name is
 * looked up in the -L directories, then in the usual Debian locations.
 */
static char *pc_find_firmware(const MachineConfig *cfg, const char *name)
{
    if (strchr(name, '/')) {
        return xstrdup(name);
    }
    static const char *const system_dirs[] = {"/usr/share/seabios", "/usr/share/qemu"};
    for (int i = 0; i < cfg->firmware_dirs.n + (int)ARRAY_SIZE(system_dirs); i++) {
        const char *dir = i < cfg->firmware_dirs.n ? cfg->firmware_dirs.v[i]
                                                   : system_dirs[i - cfg->firmware_dirs.n];
        char *path = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "rb");
        if (f) {
            fclose(f);
            return path;
        }
        free(path);
    }
    return xstrdup(name);
}

/* Map the firmware as ROM ending at 4 GiB, with its tail visible below 1 MiB. */
static bool pc_load_bios(Machine *m, PcBoard *board, const char *name, Error **errp)
{
    char *path = pc_find_firmware(m->cfg, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setg(errp, "-bios: could not open '%s': %s", path, strerror(errno));
        free(path);
        return false;
    }
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        size = ftell(f);
        rewind(f);
    }
    if (size <= 0 || size > PC_BIOS_MAX_SIZE || size % 65536) {
        error_setg(errp, "-bios: '%s' has size %ld; it must be a multiple of 64 KiB, "
                   "at most 16 MiB", path, size);
        fclose(f);
        free(path);
        return false;
    }
    memory_region_init_rom(&board->bios, "pc.bios", size);
    size_t got = fread(memory_region_get_ram_ptr(&board->bios), 1, size, f);
    fclose(f);
    if (got != (size_t)size) {
        error_setg(errp, "-bios: short read from '%s'", path);
        free(path);
        return false;
    }
    free(path);
    memory_region_add_subregion(&m->system_memory, (1ULL << 32) - size, &board->bios);
    uint64_t isa_size = MIN((uint64_t)size, PC_ISA_BIOS_MAX_SIZE);
    memory_region_init_alias(&board->isa_bios, "isa-bios", &board->bios, size - isa_size,
                             isa_size);
    /* Above RAM: the chipset's PAM registers will later choose between the two. */
    memory_region_add_subregion_overlap(&m->system_memory, 0x100000 - isa_size,
                                        &board->isa_bios, 1);
    return true;
}

static DeviceState *pc_create(Machine *m, const char *type, const char *const *props,
                              Error **errp);

/*
 * The IDE function at 01.1; with defaults, an empty CD-ROM at ide1-cd0 as on QEMU.  It is the
 * PIIX4's (8086:7111), whose Ultra DMA/33 timing registers let guests run the disks in UDMA;
 * drivers of the PIIX3's function (QEMU's) stop at multiword DMA 2.
 */
static bool pc_init_ide(Machine *m, Error **errp)
{
    const char *props[] = {"addr", "01.1", "piix4", "on",
                           "default-cdrom", m->cfg->nodefaults ? "off" : "on", NULL};
    return pc_create(m, "piix3-ide", props, errp) != NULL;
}

/* PCI bus 0 with the i440FX host bridge, the PIIX3 ISA bridge and its ACPI PM function. */
static bool pc_init_pci(Machine *m, PcBoard *board, Error **errp)
{
    PCIBus *bus = pci_bus_new(m);
    m->pci_bus = bus;
    board->pci_bus = bus;
    bus->low_ram_end = board->ram_below_4g.size;
    bus->high_ram_end = board->ram_above_4g.name ? (1ULL << 32) + board->ram_above_4g.size : 0;
    bus->pic_in = &board->pic_in;
    bus->ioapic_in = &board->ioapic_in;
    bus->isa_bios = board->isa_bios.name ? &board->isa_bios : NULL;
    const char *host[] = {"addr", "00.0", NULL};
    const char *isa[] = {"addr", "01.0", NULL};
    const char *pm[] = {"addr", "01.3", NULL};
    return pc_create(m, "i440FX-pcihost", host, errp) && pc_create(m, "PIIX3", isa, errp) &&
           pc_create(m, "PIIX4_PM", pm, errp) && pc_init_ide(m, errp);
}

/* Create a device with properties given as "name", "value" pairs. */
static DeviceState *pc_create(Machine *m, const char *type, const char *const *props,
                              Error **errp)
{
    DeviceState *dev = device_new(m, type, errp);
    if (!dev) {
        return NULL;
    }
    for (int i = 0; props && props[i]; i += 2) {
        if (!device_set_prop(dev, props[i], props[i + 1], errp)) {
            return NULL;
        }
    }
    return device_realize(dev, errp) ? dev : NULL;
}

/* -vga std (the default, at 00:02.0 as in QEMU) or none; -nodefaults drops the default. */
static char *pc_default_vga_rom(const MachineConfig *cfg);

static bool pc_init_vga(Machine *m, Error **errp)
{
    const char *vga = m->cfg->vga;
    if (vga ? !strcmp(vga, "none") : m->cfg->nodefaults) {
        return true;
    }
    /* With Osprey's BIOS the VGA BIOS is Osprey's too (bios/vgabios), in the ROM BAR. */
    char *rom = pc_default_vga_rom(m->cfg);
    const char *props[] = {"addr", "02.0", rom ? "romfile" : NULL, rom, NULL};
    bool ok = pc_create(m, "VGA", props, errp) != NULL;
    free(rom);
    return ok;
}

/* The CMOS bytes a PC BIOS reads to size memory and pick boot devices. */
static void pc_cmos_init(Machine *m, DeviceState *rtc)
{
    const MachineConfig *cfg = m->cfg;
    uint64_t ram = m->ram_size;
    uint64_t below = ram >= PC_LOWMEM_LIMIT ? PC_LOWMEM_SPLIT : ram;
    uint64_t above = ram - below;

    /* Base memory: 640 KiB. */
    mc146818_set_cmos(rtc, 0x15, 640 & 0xff);
    mc146818_set_cmos(rtc, 0x16, 640 >> 8);
    /* Extended memory from 1 MiB, in KiB, capped at 65535 (both copies). */
    uint64_t ext_kib = below > (1 << 20) ? (below - (1 << 20)) / 1024 : 0;
    ext_kib = MIN(ext_kib, 0xffff);
    mc146818_set_cmos(rtc, 0x17, ext_kib & 0xff);
    mc146818_set_cmos(rtc, 0x18, ext_kib >> 8);
    mc146818_set_cmos(rtc, 0x30, ext_kib & 0xff);
    mc146818_set_cmos(rtc, 0x31, ext_kib >> 8);
    /* Memory above 16 MiB (below 4 GiB) in 64 KiB units. */
    uint64_t above16 = below > (16 << 20) ? (below - (16 << 20)) >> 16 : 0;
    above16 = MIN(above16, 0xffff);
    mc146818_set_cmos(rtc, 0x34, above16 & 0xff);
    mc146818_set_cmos(rtc, 0x35, above16 >> 8);
    /* Memory above 4 GiB in 64 KiB units, three bytes. */
    uint64_t high = MIN(above >> 16, 0xffffffULL);
    mc146818_set_cmos(rtc, 0x5b, high & 0xff);
    mc146818_set_cmos(rtc, 0x5c, (high >> 8) & 0xff);
    mc146818_set_cmos(rtc, 0x5d, high >> 16);
    mc146818_set_cmos(rtc, 0x5f, m->nr_cpus > 0 ? m->nr_cpus - 1 : 0);
    /* No floppy drives; equipment: FPU present (bit 1), PS/2 mouse (bit 2), VGA (00). */
    mc146818_set_cmos(rtc, 0x10, 0x00);
    mc146818_set_cmos(rtc, 0x14, 0x06);
    bootorder_set_cmos(rtc, cfg->boot_order ? cfg->boot_order : "");
}

/* The RTC with the BIOS's CMOS contents. */
static bool pc_init_rtc(Machine *m, Error **errp)
{
    DeviceState *rtc = pc_create(m, "mc146818rtc", NULL, errp);
    if (!rtc) {
        return false;
    }
    pc_cmos_init(m, rtc);
    return true;
}

/* The keyboard controller and port 0x92, both gating A20 through the board's line. */
static bool pc_init_kbd_port92(Machine *m, PcBoard *board, Error **errp)
{
    DeviceState *kbd = pc_create(m, "i8042", NULL, errp);
    DeviceState *port92 = kbd ? pc_create(m, "port92", NULL, errp) : NULL;
    if (!port92) {
        return false;
    }
    i8042_set_a20_line(kbd, &board->a20);
    port92_set_a20_line(port92, &board->a20);
    machine_add_named_irqs(m, "a20", &board->a20, 1);
    return true;
}

/* The 8259 pair on the ISA lines, its INTR on cpu_intr; the 8254 and port 0x61. */
static bool pc_init_pic_pit(Machine *m, PcBoard *board, Error **errp)
{
    DeviceState *pic = pc_create(m, "i8259", NULL, errp);
    if (!pic) {
        return false;
    }
    board->pic = pic;
    board->pic_ack = i8259_ack;
    board->pic_in = i8259_inputs(pic);
    /* Named so an accelerator with an in-kernel irqchip (KVM) can take the inputs over. */
    machine_add_named_irqs(m, "pic-in", board->pic_in, ISA_NUM_IRQS);
    i8259_set_output(pic, &board->cpu_intr);
    machine_add_named_irqs(m, "pic-intr", &board->cpu_intr, 1);

    DeviceState *pit = pc_create(m, "i8254", NULL, errp);
    DeviceState *spk = pit ? pc_create(m, "pcspk", NULL, errp) : NULL;
    if (!spk) {
        return false;
    }
    pcspk_set_pit(spk, pit);
    board->pit = pit;
    return true;
}

/* HPET legacy replacement routing on: timer 0 owns IRQ 0, the PIT lets go of it. */
static void pc_hpet_legacy(void *opaque, bool legacy)
{
    PcBoard *board = opaque;
    if (board->pit) {
        i8254_set_irq_enabled(board->pit, !legacy);
    }
}

/*
 * Local APICs (every model but the 486 has one), the IOAPIC and the HPET.
 * Under qtest the CPUs exist too, so the same wiring is tested.
 */
static bool pc_init_apics(Machine *m, PcBoard *board, Error **errp)
{
    DeviceState *apics[MACHINE_MAX_CPUS];
    for (int i = 0; i < m->nr_cpus; i++) {
        CPUX86State *env = m->cpus[i];
        if (((x86_cpuid_signature(env) >> 8) & 0xf) < 5) {
            return true; /* no APIC on this model: the PIC drives INTR directly */
        }
        char index[12];
        snprintf(index, sizeof(index), "%d", i);
        const char *props[] = {"cpu", index, NULL};
        apics[i] = pc_create(m, "apic", props, errp);
        if (!apics[i]) {
            return false;
        }
        env->intr_ops = apic_cpu_intr_ops();
        env->intr_opaque = apics[i];
        env->cpuid_apic = true;
        x86_cpuid_fill_features(env);
        apic_set_extint_ack(apics[i], pc_pic_only_ack, board);
    }
    char ioapic_id[12];
    snprintf(ioapic_id, sizeof(ioapic_id), "%d", m->nr_cpus < 16 ? m->nr_cpus : 0);
    const char *ioapic_props[] = {"id", ioapic_id, NULL};
    DeviceState *ioapic = pc_create(m, "ioapic", ioapic_props, errp);
    DeviceState *hpet = ioapic ? pc_create(m, "hpet", NULL, errp) : NULL;
    if (!hpet) {
        return false;
    }
    board->ioapic_in = ioapic_get_inputs(ioapic);
    machine_add_named_irqs(m, "ioapic-in", board->ioapic_in, IOAPIC_NUM_PINS);
    for (int i = 0; i < m->nr_cpus; i++) {
        apic_set_eoi_hook(apics[i], ioapic_eoi_broadcast, ioapic);
    }
    hpet_connect_ioapic(hpet, board->ioapic_in);
    hpet_set_legacy_hook(hpet, pc_hpet_legacy, board);
    return true;
}

static bool pc_init_serials(Machine *m, const StrList *serials, Error **errp)
{
    for (int i = 0; i < serials->n; i++) {
        if (!strcmp(serials->v[i], "none")) {
            continue;
        }
        char id[24], index[12];
        snprintf(id, sizeof(id), "serial%d", i);
        snprintf(index, sizeof(index), "%d", i);
        Chardev *chr = chardev_new_from_spec(m->chardevs, id, serials->v[i], errp);
        if (!chr) {
            error_prepend(errp, "-serial %s: ", serials->v[i]);
            return false;
        }
        const char *props[] = {"index", index, "chardev", chardev_id(chr), NULL};
        if (!pc_create(m, "isa-serial", props, errp)) {
            return false;
        }
    }
    return true;
}

static bool pc_init_monitors(Machine *m, const StrList *specs, int kind, Error **errp)
{
    static const char *const opt[] = {"-monitor", "-qmp", "-qmp-pretty"};
    for (int i = 0; i < specs->n; i++) {
        if (!strcmp(specs->v[i], "none")) {
            continue;
        }
        char id[40];
        snprintf(id, sizeof(id), "compat_monitor%d%s", i, kind ? (kind == 1 ? "q" : "p") : "");
        Chardev *chr = chardev_new_from_spec(m->chardevs, id, specs->v[i], errp);
        bool ok = chr && (kind == 0 ? monitor_init_hmp(m, chr, errp)
                                    : monitor_init_qmp(m, chr, kind == 2, errp));
        if (!ok) {
            error_prepend(errp, "%s %s: ", opt[kind], specs->v[i]);
            return false;
        }
    }
    return true;
}

/* A machine with a CPU needs something to run; say what is missing. */
static bool pc_check_boot_source(const MachineConfig *cfg, Error **errp)
{
    if (!cfg->kernel && (cfg->initrd || cfg->append)) {
        error_setg(errp, "%s cannot be used without -kernel", cfg->initrd ? "-initrd" : "-append");
        return false;
    }
    return true;
}

/* A machine with a CPU and neither -bios nor -kernel runs Osprey's own BIOS. */
static bool pc_wants_default_bios(const MachineConfig *cfg)
{
    bool has_cpu = !cfg->qtest && !(cfg->accel && !strcmp(cfg->accel, "qtest"));
    return has_cpu && !cfg->bios && !cfg->kernel;
}

/* BUILD/bios/NAME when this executable runs from a build tree and it is there, else NULL. */
static char *pc_firmware_in_build(const char *name)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (n <= 0) {
        return NULL;
    }
    exe[n] = 0;
    slash = strrchr(exe, '/');
    if (!slash) {
        return NULL;
    }
    *slash = 0;
    char *path = xasprintf("%s/bios/%s", exe, name);
    if (access(path, R_OK) == 0) {
        return path;
    }
    free(path);
    return NULL;
}

/*
 * Osprey's BIOS (bios/, built as BUILD/bios/osprey-bios.bin): next to the
 * executable in a build tree, else osprey-bios.bin in the -L directories.
 */
static bool pc_load_default_bios(Machine *m, PcBoard *board, Error **errp)
{
    char *path = pc_firmware_in_build("osprey-bios.bin");
    if (path) {
        bool ok = pc_load_bios(m, board, path, errp);
        free(path);
        return ok;
    }
    path = pc_find_firmware(m->cfg, "osprey-bios.bin");
    if (access(path, R_OK) != 0) {
        error_setg(errp, "no firmware to run: osprey-bios.bin not found next to the "
                   "executable (bios/) or in -L directories; build it with make, or give "
                   "-bios FILE or -kernel FILE");
        free(path);
        return false;
    }
    bool ok = pc_load_bios(m, board, path, errp);
    free(path);
    return ok;
}

/*
 * The board's VGA BIOS.  Osprey's BIOS (the default firmware, or -bios naming
 * osprey-bios.bin) gets osprey-vgabios.bin: next to the executable (bios/), else in the -L
 * directories.  SeaBIOS write-protects the option ROM area after POST, where that ROM keeps
 * its stack, so any other firmware gets SeaBIOS's own VGA BIOS (vgabios-stdvga.bin, in -L or
 * /usr/share/seabios), as QEMU gives it.  NULL: no VGA ROM (qtest, or a bare -kernel boot).
 */
static char *pc_default_vga_rom(const MachineConfig *cfg)
{
    const char *base = cfg->bios ? strrchr(cfg->bios, '/') : NULL;
    base = base ? base + 1 : cfg->bios;
    bool has_cpu = !cfg->qtest && !(cfg->accel && !strcmp(cfg->accel, "qtest"));
    if (!has_cpu || (!cfg->bios && cfg->kernel != NULL)) {
        return NULL;
    }
    bool osprey_bios = !cfg->bios || !strcmp(base, "osprey-bios.bin");
    const char *name = osprey_bios ? "osprey-vgabios.bin" : "vgabios-stdvga.bin";
    char *path = osprey_bios ? pc_firmware_in_build(name) : NULL;
    if (path) {
        return path;
    }
    path = pc_find_firmware(cfg, name);
    if (access(path, R_OK) == 0) {
        return path;
    }
    warn_report("no VGA BIOS: %s not found (-L DIR, or -device VGA,romfile=); the screen stays "
                "blank until the guest programs the VGA", name);
    free(path);
    return NULL;
}

static void pc_e820_layout(Machine *m, PcBoard *board, E820Layout *layout)
{
    layout->ram_below_4g = board->ram_below_4g.size;
    layout->ram_above_4g = m->ram_size - board->ram_below_4g.size;
    layout->acpi_start = board->acpi_tables_start;
}

/*
 * Firmware tables without a BIOS: the table area at the top of low RAM (the
 * e820 map marks it ACPI), the RSDP and the SMBIOS anchor in 0xE0000-0xEFFFF,
 * and the MP table at 0xF0000.  Below 1 MiB is plain RAM when there is no
 * -bios, and Linux scans exactly those places.
 */
#define PC_TABLES_HIGH_SIZE (128u << 10)
#define PC_TABLES_FSEG_BASE 0xe0000u
#define PC_TABLES_FSEG_SIZE 0x10000u
#define PC_MPTABLE_BASE 0xf0000u
#define PC_MPTABLE_MAX_SIZE 0x10000u

/* Keep what the install wrote so that every reset writes it again. */
static void pc_keep_ram_copy(Machine *m, PcBoard *board, uint64_t addr, uint64_t len)
{
    uint8_t *copy = xmalloc(len);
    address_space_read(&m->as_memory, addr, copy, len);
    direct_boot_add(&board->direct_boot, addr, copy, len);
}

static bool pc_install_tables(Machine *m, PcBoard *board, const AcpiBuildTables *acpi,
                              const SmbiosTables *smbios, Error **errp)
{
    uint64_t high_base = (board->ram_below_4g.size - PC_TABLES_HIGH_SIZE) & ~0xffffull;
    AcpiLoaderArena high = {.base = high_base, .size = board->ram_below_4g.size - high_base};
    AcpiLoaderArena fseg = {.base = PC_TABLES_FSEG_BASE, .size = PC_TABLES_FSEG_SIZE};
    MpTableConfig mp = {.nr_cpus = (unsigned)m->nr_cpus};
    size_t mp_used = 0;

    board->acpi_rsdp_addr = pc_acpi_install(&m->as_memory, acpi, &high, &fseg, errp);
    if (!board->acpi_rsdp_addr || !smbios_install(&m->as_memory, smbios, &high, &fseg, errp) ||
        !mptable_install(&m->as_memory, PC_MPTABLE_BASE, PC_MPTABLE_MAX_SIZE, &mp, &mp_used,
                         errp)) {
        return false;
    }
    board->acpi_tables_start = high_base;
    pc_keep_ram_copy(m, board, high.base, high.used);
    pc_keep_ram_copy(m, board, fseg.base, fseg.used);
    pc_keep_ram_copy(m, board, PC_MPTABLE_BASE, mp_used);
    return true;
}

/*
 * ACPI and SMBIOS tables: as fw_cfg files for a BIOS (which runs the
 * table-loader commands itself), and installed in RAM for -kernel without one.
 */
static bool pc_fw_cfg_add_acpi(Machine *m, PcBoard *board, Error **errp)
{
    uint64_t below = board->ram_below_4g.size;
    PcAcpiConfig acpi_cfg = {
        .nr_cpus = (unsigned)m->nr_cpus,
        .ram_below_4g = below,
        .ram_above_4g = m->ram_size - below,
        .hpet = board->ioapic_in != NULL,
        .ioapic = board->ioapic_in != NULL,
        .pci_hole_start = (uint32_t)MAX(below, PC_LOWMEM_LIMIT),
    };
    SmbiosConfig smbios_cfg = {
        .nr_cpus = (unsigned)m->nr_cpus,
        .ram_below_4g = below,
        .ram_above_4g = m->ram_size - below,
    };
    AcpiBuildTables acpi;
    SmbiosTables smbios;
    FWCfgState *fw = board->fw_cfg;
    bool ok = pc_acpi_build(&acpi_cfg, &acpi, errp);
    if (!ok) {
        return false;
    }
    ok = smbios_build(&smbios_cfg, &smbios, errp) &&
         fw_cfg_add_file(fw, PC_ACPI_FILE_TABLES, acpi.tables.data, acpi.tables.len, errp) &&
         fw_cfg_add_file(fw, PC_ACPI_FILE_RSDP, acpi.rsdp.data, acpi.rsdp.len, errp) &&
         fw_cfg_add_file(fw, PC_ACPI_FILE_LOADER, acpi.loader.data, acpi.loader.len, errp) &&
         fw_cfg_add_file(fw, PC_SMBIOS_FILE_ANCHOR, smbios.anchor.data, smbios.anchor.len,
                         errp) &&
         fw_cfg_add_file(fw, PC_SMBIOS_FILE_TABLES, smbios.tables.data, smbios.tables.len,
                         errp);
    if (ok && m->cfg->kernel && !m->cfg->bios) {
        ok = pc_install_tables(m, board, &acpi, &smbios, errp);
    }
    acpi_build_tables_free(&acpi);
    smbios_tables_free(&smbios);
    return ok;
}

/* The items every PC firmware reads, as QEMU's pc machine fills them. */
static bool pc_init_fw_cfg(Machine *m, PcBoard *board, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    DeviceState *dev = pc_create(m, "fw_cfg", NULL, errp);
    if (!dev) {
        return false;
    }
    FWCfgState *fw = fw_cfg_from_device(dev);
    board->fw_cfg = fw;
    static const uint8_t uuid[16];
    fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof(uuid));
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, m->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, cfg->nographic);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)cfg->smp_cpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)MAX(cfg->smp_max_cpus, cfg->smp_cpus));
    fw_cfg_add_i16(fw, FW_CFG_BOOT_DEVICE, (uint8_t)(cfg->boot_order ? cfg->boot_order[0] : 'c'));
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, cfg->boot_menu);
    fw_cfg_add_i32(fw, FW_CFG_X86_IRQ0_OVERRIDE, 1);

    E820Layout layout;
    E820Table map;
    pc_e820_layout(m, board, &layout);
    e820_build_ram_only(&map, &layout);
    uint8_t e820[E820_MAX_ENTRIES * E820_ENTRY_BYTES];
    e820_encode(&map, e820);
    /* No -boot reboot-timeout is kept yet: -1, QEMU's default, means never retry. */
    uint8_t fail_wait[4];
    stl_le_p(fail_wait, UINT32_MAX);
    /* -boot menu=on,splash-time=MS: how long the firmware offers its boot menu (as QEMU). */
    uint8_t menu_wait[2];
    stw_le_p(menu_wait, (uint16_t)cfg->boot_splash_ms);
    if (cfg->boot_menu && cfg->boot_splash_ms &&
        !fw_cfg_add_file(fw, "etc/boot-menu-wait", menu_wait, sizeof(menu_wait), errp)) {
        return false;
    }
    /* -nographic: SeaBIOS's serial console (sercon) on COM1, for its menus and INT 10h. */
    uint8_t sercon[2];
    stw_le_p(sercon, 0x3f8);
    if (cfg->nographic && !fw_cfg_add_file(fw, "etc/sercon-port", sercon, sizeof(sercon), errp)) {
        return false;
    }
    return fw_cfg_add_file(fw, "etc/e820", e820, (size_t)map.nr * E820_ENTRY_BYTES, errp) &&
           bootorder_fw_cfg_init(m, fw, errp) &&
           fw_cfg_add_file(fw, "etc/boot-fail-wait", fail_wait, sizeof(fail_wait), errp) &&
           pc_fw_cfg_add_acpi(m, board, errp);
}

static void pc_direct_boot_reset(void *opaque)
{
    Machine *m = opaque;
    PcBoard *board = m->board;
    pci_firmware_setup(m); /* the reset cleared what a BIOS would have set up */
    direct_boot_apply(&board->direct_boot, m);
}

/*
 * -kernel: without -bios, load it and enter it directly (now and after every
 * reset); with -bios, hand kernel, initrd and command line to the BIOS via fw_cfg.
 */
static bool pc_setup_kernel(Machine *m, PcBoard *board, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    if (!cfg->kernel) {
        return true;
    }
    E820Layout layout;
    E820Table map;
    pc_e820_layout(m, board, &layout);
    e820_build_direct_boot(&map, &layout);
    DirectBootConfig boot = {
        .kernel_path = cfg->kernel,
        .initrd = cfg->initrd,
        .append = cfg->append,
        /* With a BIOS, keep the initrd clear of the firmware's table zone, as QEMU does. */
        .low_ram_end = layout.acpi_start ? layout.acpi_start
                                         : layout.ram_below_4g - PC_FIRMWARE_HIGH_RESERVE,
        .e820 = &map,
        .acpi_rsdp_addr = board->acpi_rsdp_addr,
    };
    uint8_t *kernel;
    if (!direct_boot_read_file("-kernel", cfg->kernel, &kernel, &boot.kernel_size, errp)) {
        return false;
    }
    boot.kernel = kernel;
    const char *cmdline = cfg->append ? cfg->append : "";
    fw_cfg_add_i32(board->fw_cfg, FW_CFG_CMDLINE_ADDR, LINUX_CMDLINE_ADDR);
    fw_cfg_add_i32(board->fw_cfg, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(cmdline) + 1);
    fw_cfg_add_string(board->fw_cfg, FW_CFG_CMDLINE_DATA, cmdline);
    bool ok;
    if (linux_boot_probe(kernel, boot.kernel_size)) {
        ok = linux_boot_fill_fw_cfg(&boot, board->fw_cfg, errp) &&
             (cfg->bios || linux_boot_load(&boot, &board->direct_boot, errp));
    } else if (multiboot_probe(kernel, boot.kernel_size)) {
        if (cfg->bios) {
            error_setg(errp, "-kernel: Multiboot kernels with -bios are not supported yet "
                       "(drop -bios to boot '%s' directly)", cfg->kernel);
            ok = false;
        } else {
            ok = multiboot_load(&boot, &board->direct_boot, errp);
        }
    } else {
        error_setg(errp, "-kernel: '%s' is neither a Linux bzImage nor a Multiboot kernel",
                   cfg->kernel);
        ok = false;
    }
    free(kernel);
    if (!ok || cfg->bios) {
        return ok;
    }
    pci_firmware_setup(m);
    direct_boot_apply(&board->direct_boot, m);
    machine_add_reset_hook(m, pc_direct_boot_reset, m);
    return true;
}

bool pc_machine_init(Machine *m, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    PcBoard *board = XNEW(PcBoard);
    m->board = board;
    m->board_free = pc_board_free;
    pc_init_ram(m, board);
    if (!pc_init_cpus(m, board, errp) || !pc_init_pic_pit(m, board, errp) || !pc_init_apics(m, board, errp)) {
        return false;
    }
    if (cfg->bios && !pc_load_bios(m, board, cfg->bios, errp)) {
        return false;
    }
    if (pc_wants_default_bios(cfg) && (!pc_load_default_bios(m, board, errp) ||
                                       !pc_create(m, "osprey-boot-status", NULL, errp))) {
        return false;
    }
    if (!pc_init_rtc(m, errp) || !pc_init_kbd_port92(m, board, errp) ||
        !pc_init_pci(m, board, errp)) {
        return false;
    }
    if (!pc_init_vga(m, errp)) {
        return false;
    }

    /*
     * Default consoles as in QEMU: with -nographic, COM1 and the monitor
     * share stdio through a mux (Ctrl-A c switches).  Without a display
     * backend, COM1 still exists but its output goes nowhere.
     */
    StrList serials = {0}, monitors = {0};
    for (int i = 0; i < cfg->serials.n; i++) {
        strlist_add(&serials, cfg->serials.v[i]);
    }
    for (int i = 0; i < cfg->monitors.n; i++) {
        strlist_add(&monitors, cfg->monitors.v[i]);
    }
    if (!cfg->nodefaults) {
        if (cfg->nographic) {
            if (!serials.n && !monitors.n) {
                strlist_add(&serials, "mon:stdio");
                strlist_add(&monitors, "mon:stdio");
            } else if (!serials.n) {
                strlist_add(&serials, "stdio");
            } else if (!monitors.n) {
                strlist_add(&monitors, "stdio");
            }
        } else if (!serials.n) {
            strlist_add(&serials, "null");
        }
    }
    bool ok = pc_init_serials(m, &serials, errp) && pc_init_monitors(m, &monitors, 0, errp) &&
              pc_init_monitors(m, &cfg->qmps, 1, errp) &&
              pc_init_monitors(m, &cfg->qmps_pretty, 2, errp);
    strlist_free(&serials);
    strlist_free(&monitors);
    if (!ok) {
        return false;
    }

    if (cfg->debugcon) {
        Chardev *chr = chardev_new_from_spec(m->chardevs, "debugcon", cfg->debugcon, errp);
        const char *props[] = {"chardev", chr ? chardev_id(chr) : "", NULL};
        if (!chr || !pc_create(m, "isa-debugcon", props, errp)) {
            error_prepend(errp, "-debugcon %s: ", cfg->debugcon);
            return false;
        }
    }
    if (!net_init_backends(m, errp)) {
        return false;
    }
    for (int i = 0; i < cfg->devices.n; i++) {
        if (!device_create_from_optstr(m, cfg->devices.v[i], errp)) {
            error_prepend(errp, "-device %s: ", cfg->devices.v[i]);
            return false;
        }
    }
    return net_init_nics(m, errp) && drives_check_claimed(m, errp) &&
           pc_check_boot_source(cfg, errp) && pc_init_fw_cfg(m, board, errp) &&
           pc_setup_kernel(m, board, errp) && display_init_frontends(m, errp);
}
