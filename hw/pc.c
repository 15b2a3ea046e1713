/*
 * The "pc" machine: what it contains and how the parts are wired.
 *
 * Today: RAM (split below/above 4 GiB as on a real i440FX board), the ISA
 * interrupt lines, COM1-COM4 UARTs from -serial, the debug console, user
 * -device devices, monitors and QMP.  The chipset, interrupt controllers and
 * firmware join in the PC-platform issue.
 */
#include <errno.h>

#include "accel/accel.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/monitor.h"
#include "core/options.h"
#include "cpu/x86/cpu.h"
#include "cpu/x86/cpuid.h"
#include "hw/pci/pci.h"

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

    MemoryRegion ram_below_4g;
    MemoryRegion ram_above_4g;
    MemoryRegion bios;     /* the firmware image, ending at 4 GiB */
    MemoryRegion isa_bios; /* its last 128 KiB, aliased below 1 MiB */
    PCIBus *pci_bus;       /* PIRQs routed to ISA IRQs are ORed into the PIC inputs */
} PcBoard;

#define PC_BIOS_MAX_SIZE (16u << 20)
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
        irq_set(&board->ioapic_in[n == 0 ? 2 : n], level);
    }
}

/* The PIC's INTR pin, straight to CPU 0 (the local APIC takes it over as LINT0). */
static void pc_cpu_intr_handler(void *opaque, int n, int level)
{
    Machine *m = opaque;
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
static void pc_init_cpus(Machine *m, PcBoard *board)
{
    const MachineConfig *cfg = m->cfg;
    m->nr_cpus = cfg->smp_cpus;
    for (int i = 0; i < m->nr_cpus; i++) {
        CPUX86State *env = XNEW(CPUX86State);
        env->machine = m;
        env->cpu_index = i;
        env->exception_index = -1;
        env->old_exception = -1;
        /* -cpu was validated when parsed; NULL means the default model. */
        env->cpu_model = cfg->cpu_model ? x86_cpu_model_lookup(cfg->cpu_model) : NULL;
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
    /* TODO(pic): bus->elcr_set_level / elcr_opaque once the PIC's ELCR exists. */
    const char *host[] = {"addr", "00.0", NULL};
    const char *isa[] = {"addr", "01.0", NULL};
    const char *pm[] = {"addr", "01.3", NULL};
    return pc_create(m, "i440FX-pcihost", host, errp) && pc_create(m, "PIIX3", isa, errp) &&
           pc_create(m, "PIIX4_PM", pm, errp);
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
    if (cfg->kernel) {
        error_setg(errp, "-kernel: not supported yet (direct Linux boot is not built yet)");
        return false;
    }
    bool has_cpu = !cfg->qtest && !(cfg->accel && !strcmp(cfg->accel, "qtest"));
    if (has_cpu && !cfg->bios) {
        error_setg(errp, "no firmware to run: Osprey's own BIOS is not built yet; "
                   "give -bios FILE");
        return false;
    }
    return true;
}

bool pc_machine_init(Machine *m, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    PcBoard *board = XNEW(PcBoard);
    m->board = board;
    m->board_free = pc_board_free;
    pc_init_ram(m, board);
    pc_init_cpus(m, board);
    if (cfg->bios && !pc_load_bios(m, board, cfg->bios, errp)) {
        return false;
    }
    if (!pc_init_pci(m, board, errp)) {
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
    for (int i = 0; i < cfg->devices.n; i++) {
        if (!device_create_from_optstr(m, cfg->devices.v[i], errp)) {
            error_prepend(errp, "-device %s: ", cfg->devices.v[i]);
            return false;
        }
    }
    return pc_check_boot_source(cfg, errp);
}
