/*
 * Intel 82441FX PMC ("i440FX"), the host bridge at 00.0: configuration
 * mechanism #1, the PAM shadow-RAM registers and SMRAM control.
 *
 * Reference: Intel 440FX PCIset datasheet (82441FX PMC and 82442FX DBX),
 * section 3.2 (PCI configuration registers: PAM0-PAM6 at 0x59-0x5F, DRB
 * at 0x60-0x67, SMRAM at 0x72) and 3.1 (CONFADD at 0xCF8, CONFDATA at
 * 0xCFC); PCI Local Bus Specification 3.0 section 3.2.2.3.2 (mechanism #1).
 *
 * Choices worth knowing:
 * - 0xCF8 is the address register only for dword accesses.  Byte and word
 *   accesses to 0xCF8-0xCFB are not for the bridge; of those ports only
 *   0xCF9 (the PIIX3 reset control register) exists, so such accesses are
 *   passed to it and the other bytes float (read all ones).
 * - PAM: each segment has three overlays at priority 2 over RAM (0) and
 *   the BIOS alias (1), at most one enabled: a RAM alias for mode 11, and
 *   callback regions for mode 01 (read RAM, writes go to the ROM side and
 *   are dropped) and mode 10 (read the ROM side, write RAM).  Mode 00 shows
 *   whatever lies beneath.  The "ROM side" is the BIOS image where the
 *   board maps it (0xE0000-0xFFFFF); below that, option ROMs on PCI are not
 *   modelled yet and the board's RAM shows through, as before PAM existed.
 *   Mode 01 as a callback region means code executed from read-only
 *   shadow RAM goes through MMIO; a read-only RAM alias in the memory core
 *   would make it direct.
 * - SMRAM: the CPU has no SMM, so only D_OPEN matters: it maps RAM over the
 *   0xA0000-0xBFFFF VGA window.  D_LCK freezes the register until reset.
 */
#include "core/log.h"
#include "hw/pci/pci.h"

#define I440FX_PAM0 0x59
#define I440FX_NUM_PAM_REGS 7
#define I440FX_DRB0 0x60
#define I440FX_SMRAM 0x72

#define SMRAM_C_BASE_SEG 0x02 /* hardwired: SMRAM at 0xA0000 */
#define SMRAM_G_SMRAME 0x08
#define SMRAM_D_LCK 0x10
#define SMRAM_D_CLS 0x20
#define SMRAM_D_OPEN 0x40

#define PAM_RE 1 /* read enable: reads go to RAM */
#define PAM_WE 2 /* write enable: writes go to RAM */

/* 0xF0000 (64 KiB) and twelve 16 KiB segments from 0xC0000 to 0xEFFFF. */
#define I440FX_NUM_PAM_SEGS 13

#define CONFADD_ENABLE 0x80000000u

typedef struct I440FXState I440FXState;

typedef struct PamSegment {
    I440FXState *s;
    uint64_t base, size;
    MemoryRegion ram_rw;   /* mode 11 */
    MemoryRegion ram_ro;   /* mode 01 */
    MemoryRegion shadow_w; /* mode 10 */
    uint8_t mode;
} PamSegment;

struct I440FXState {
    PCIDevice pci;
    MemoryRegion conf_addr_io;
    MemoryRegion conf_data_io;
    uint32_t conf_addr;
    bool pam_present;
    PamSegment pam[I440FX_NUM_PAM_SEGS];
    MemoryRegion smram_ram;
};

/* Configuration mechanism #1. */

static uint64_t i440fx_conf_addr_read(void *opaque, uint64_t offset, unsigned size)
{
    I440FXState *s = opaque;
    PCIBus *bus = s->pci.bus;
    if (size == 4) {
        return s->conf_addr;
    }
    uint64_t val = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = 0xff;
        if (offset + i == 1 && bus->reset_control_read) {
            b = bus->reset_control_read(bus->reset_control_opaque);
        }
        val |= (uint64_t)b << (8 * i);
    }
    return val;
}

static void i440fx_conf_addr_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    I440FXState *s = opaque;
    PCIBus *bus = s->pci.bus;
    if (size == 4) {
        /* Bits 1:0 are reserved and read 0; bits 30:24 are reserved too. */
        s->conf_addr = val & 0x80fffffcu;
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        if (offset + i == 1 && bus->reset_control_write) {
            bus->reset_control_write(bus->reset_control_opaque, val >> (8 * i));
        }
    }
}

static const MemoryRegionOps i440fx_conf_addr_ops = {
    .read = i440fx_conf_addr_read,
    .write = i440fx_conf_addr_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

/* The (devfn, register) a data-port access at offset addresses, or false. */
static bool i440fx_conf_target(I440FXState *s, uint64_t offset, int *devfn, uint32_t *reg)
{
    if (!(s->conf_addr & CONFADD_ENABLE) || ((s->conf_addr >> 16) & 0xff) != 0) {
        /* Disabled, or a bus number nothing answers to: master abort. */
        return false;
    }
    *devfn = (s->conf_addr >> 8) & 0xff;
    *reg = (s->conf_addr & 0xfc) + (uint32_t)offset;
    return true;
}

static uint64_t i440fx_conf_data_read(void *opaque, uint64_t offset, unsigned size)
{
    I440FXState *s = opaque;
    int devfn;
    uint32_t reg;
    if (!i440fx_conf_target(s, offset, &devfn, &reg)) {
        return ~0ULL >> (64 - 8 * size);
    }
    return pci_bus_config_read(s->pci.bus, devfn, reg, size);
}

static void i440fx_conf_data_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    I440FXState *s = opaque;
    int devfn;
    uint32_t reg;
    if (i440fx_conf_target(s, offset, &devfn, &reg)) {
        pci_bus_config_write(s->pci.bus, devfn, reg, (uint32_t)val, size);
    }
}

static const MemoryRegionOps i440fx_conf_data_ops = {
    .read = i440fx_conf_data_read,
    .write = i440fx_conf_data_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

/* PAM. */

static uint8_t *pam_ram_ptr(PamSegment *seg, uint64_t offset)
{
    return (uint8_t *)memory_region_get_ram_ptr(&seg->s->pci.qdev.machine->ram) + seg->base +
           offset;
}

/* The bytes the ROM side shows at seg->base + offset (see the file comment). */
static const uint8_t *pam_rom_ptr(PamSegment *seg, uint64_t offset)
{
    MemoryRegion *isa_bios = seg->s->pci.bus->isa_bios;
    if (isa_bios && isa_bios->alias) {
        uint64_t isa_base = 0x100000 - isa_bios->size;
        uint64_t addr = seg->base + offset;
        if (addr >= isa_base) {
            return (const uint8_t *)memory_region_get_ram_ptr(isa_bios->alias) +
                   isa_bios->alias_offset + (addr - isa_base);
        }
    }
    return pam_ram_ptr(seg, offset);
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static bool pam_access_ok(PamSegment *seg, uint64_t offset, unsigned size)
{
    return size <= 8 && offset < seg->size && size <= seg->size - offset;
}

static uint64_t pam_ro_read(void *opaque, uint64_t offset, unsigned size)
{
    PamSegment *seg = opaque;
    return pam_access_ok(seg, offset, size) ? load_le(pam_ram_ptr(seg, offset), size) : ~0ULL;
}

static void pam_ro_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    /* Writes go to the ROM side, which ignores them. */
}

static uint64_t pam_shadow_read(void *opaque, uint64_t offset, unsigned size)
{
    PamSegment *seg = opaque;
    return pam_access_ok(seg, offset, size) ? load_le(pam_rom_ptr(seg, offset), size) : ~0ULL;
}

static void pam_shadow_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    PamSegment *seg = opaque;
    if (!pam_access_ok(seg, offset, size)) {
        return;
    }
    uint8_t *p = pam_ram_ptr(seg, offset);
    for (unsigned i = 0; i < size; i++) {
        p[i] = val >> (8 * i);
    }
}

static const MemoryRegionOps pam_ro_ops = {
    .read = pam_ro_read,
    .write = pam_ro_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

static const MemoryRegionOps pam_shadow_ops = {
    .read = pam_shadow_read,
    .write = pam_shadow_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

static uint8_t i440fx_pam_mode(I440FXState *s, int i)
{
    if (i == 0) {
        return (s->pci.config[I440FX_PAM0] >> 4) & 3;
    }
    return (s->pci.config[I440FX_PAM0 + 1 + (i - 1) / 2] >> (((i - 1) & 1) * 4)) & 3;
}

static void i440fx_update_memory(I440FXState *s)
{
    if (s->pam_present) {
        for (int i = 0; i < I440FX_NUM_PAM_SEGS; i++) {
            PamSegment *seg = &s->pam[i];
            uint8_t mode = i440fx_pam_mode(s, i);
            if (mode == seg->mode) {
                continue;
            }
            seg->mode = mode;
            memory_region_set_enabled(&seg->ram_rw, mode == (PAM_RE | PAM_WE));
            memory_region_set_enabled(&seg->ram_ro, mode == PAM_RE);
            memory_region_set_enabled(&seg->shadow_w, mode == PAM_WE);
        }
        memory_region_set_enabled(&s->smram_ram,
                                  (s->pci.config[I440FX_SMRAM] & SMRAM_D_OPEN) != 0);
    }
}

static void i440fx_write_smram(I440FXState *s, uint8_t val)
{
    uint8_t *r = &s->pci.config[I440FX_SMRAM];
    if (*r & SMRAM_D_LCK) {
        /* Locked: only D_CLS still changes, and D_OPEN stays 0 until reset. */
        *r = (*r & ~SMRAM_D_CLS) | (val & SMRAM_D_CLS);
        return;
    }
    *r = SMRAM_C_BASE_SEG | (val & (SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_D_CLS | SMRAM_D_OPEN));
    if (*r & SMRAM_D_LCK) {
        *r &= ~SMRAM_D_OPEN;
    }
}

static void i440fx_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    I440FXState *s = (I440FXState *)d;
    if (addr <= I440FX_SMRAM && I440FX_SMRAM < addr + len) {
        i440fx_write_smram(s, val >> (8 * (I440FX_SMRAM - addr)));
    }
    if (addr < I440FX_PAM0 + I440FX_NUM_PAM_REGS && I440FX_PAM0 < addr + len) {
        i440fx_update_memory(s);
    } else if (addr <= I440FX_SMRAM && I440FX_SMRAM < addr + len) {
        i440fx_update_memory(s);
    }
}

static void i440fx_init_pam(I440FXState *s, Machine *m)
{
    if (m->ram_size < 0x100000) {
        /* No RAM to shadow into: PAM and SMRAM registers exist but do nothing. */
        return;
    }
    for (int i = 0; i < I440FX_NUM_PAM_SEGS; i++) {
        PamSegment *seg = &s->pam[i];
        seg->s = s;
        seg->base = i == 0 ? 0xf0000 : 0xc0000 + (uint64_t)(i - 1) * 0x4000;
        seg->size = i == 0 ? 0x10000 : 0x4000;
        memory_region_init_alias(&seg->ram_rw, "pam-ram", &m->ram, seg->base, seg->size);
        memory_region_init_io(&seg->ram_ro, "pam-ram-readonly", &pam_ro_ops, seg, seg->size);
        memory_region_init_io(&seg->shadow_w, "pam-rom-read-ram-write", &pam_shadow_ops, seg,
                              seg->size);
        MemoryRegion *regions[] = {&seg->ram_rw, &seg->ram_ro, &seg->shadow_w};
        for (int j = 0; j < 3; j++) {
            memory_region_set_enabled(regions[j], false);
            memory_region_add_subregion_overlap(&m->system_memory, seg->base, regions[j], 2);
        }
        seg->mode = 0;
    }
    memory_region_init_alias(&s->smram_ram, "smram-open", &m->ram, 0xa0000, 0x20000);
    memory_region_set_enabled(&s->smram_ram, false);
    memory_region_add_subregion_overlap(&m->system_memory, 0xa0000, &s->smram_ram, 2);
    s->pam_present = true;
}

/* Lifecycle. */

static bool i440fx_realize(DeviceState *dev, Error **errp)
{
    I440FXState *s = (I440FXState *)dev;
    Machine *m = dev->machine;
    if (!pci_device_realize(&s->pci, errp)) {
        return false;
    }
    PCIDevice *d = &s->pci;
    pci_config_set_ids(d, 0x8086, 0x1237, 0x02, 0x060000);
    d->config_write = i440fx_config_write;
    d->wmask[I440FX_PAM0] = 0x30;
    for (int i = 1; i < I440FX_NUM_PAM_REGS; i++) {
        d->wmask[I440FX_PAM0 + i] = 0x33;
    }
    for (int i = 0; i < 8; i++) {
        d->wmask[I440FX_DRB0 + i] = 0xff;
    }
    i440fx_init_pam(s, m);
    memory_region_init_io(&s->conf_addr_io, "pci-conf-addr", &i440fx_conf_addr_ops, s, 4);
    memory_region_init_io(&s->conf_data_io, "pci-conf-data", &i440fx_conf_data_ops, s, 4);
    isa_register_ioport(dev, &s->conf_addr_io, 0xcf8);
    isa_register_ioport(dev, &s->conf_data_io, 0xcfc);
    return true;
}

static void i440fx_unrealize(DeviceState *dev)
{
    I440FXState *s = (I440FXState *)dev;
    pci_device_unrealize(&s->pci);
    memory_region_destroy(&s->conf_addr_io);
    memory_region_destroy(&s->conf_data_io);
    if (s->pam_present) {
        for (int i = 0; i < I440FX_NUM_PAM_SEGS; i++) {
            memory_region_destroy(&s->pam[i].ram_rw);
            memory_region_destroy(&s->pam[i].ram_ro);
            memory_region_destroy(&s->pam[i].shadow_w);
        }
        memory_region_destroy(&s->smram_ram);
    }
}

static void i440fx_reset(DeviceState *dev)
{
    I440FXState *s = (I440FXState *)dev;
    PCIDevice *d = &s->pci;
    pci_device_reset(d);
    /* Memory and I/O decode and bus mastering are always on in the host bridge. */
    pci_set_word(&d->config[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER);
    s->conf_addr = 0;
    memset(&d->config[I440FX_PAM0], 0, I440FX_NUM_PAM_REGS);
    /* DRB: cumulative row boundaries in 8 MiB units; the guest only reads them back. */
    uint64_t ram_8m = (dev->machine->ram_size + (8 << 20) - 1) >> 23;
    for (int i = 0; i < 8; i++) {
        d->config[I440FX_DRB0 + i] = ram_8m > 0xff ? 0xff : (uint8_t)ram_8m;
    }
    d->config[I440FX_SMRAM] = SMRAM_C_BASE_SEG;
    i440fx_update_memory(s);
}

static int i440fx_post_load(void *opaque)
{
    I440FXState *s = opaque;
    s->conf_addr &= 0x80fffffcu;
    s->pci.config[I440FX_SMRAM] |= SMRAM_C_BASE_SEG;
    pci_device_post_load(&s->pci);
    for (int i = 0; i < I440FX_NUM_PAM_SEGS; i++) {
        s->pam[i].mode = 0xff; /* force every overlay to be re-chosen */
    }
    i440fx_update_memory(s);
    return 0;
}

static const VMStateField i440fx_vmstate_fields[] = {
    VMSTATE_STRUCT(I440FXState, pci, &pci_device_vmstate),
    VMSTATE_U32(I440FXState, conf_addr),
    VMSTATE_END,
};

static const VMStateDescription i440fx_vmstate = {
    .name = "i440FX",
    .version = 1,
    .fields = i440fx_vmstate_fields,
    .post_load = i440fx_post_load,
};

static const Property i440fx_props[] = {
    DEFINE_PROP_PCI_ADDR(I440FXState, pci),
    DEFINE_PROP_END,
};

static const DeviceInfo i440fx_info = {
    .name = "i440FX-pcihost",
    .desc = "Intel 82441FX host bridge (PAM, SMRAM, config mechanism #1)",
    .bus = BUS_PCI,
    .size = sizeof(I440FXState),
    .props = i440fx_props,
    .realize = i440fx_realize,
    .unrealize = i440fx_unrealize,
    .reset = i440fx_reset,
    .vmstate = &i440fx_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(i440fx_info);
