/*
 * The standard VGA as a PCI function ("VGA", 1234:1111, class 0300), the
 * device -vga std creates.
 *
 *   BAR0  VRAM (vgamem_mb, default 16 MiB), prefetchable: the VBE linear
 *         framebuffer.
 *   BAR2  4 KiB MMIO: 0x400-0x41f are the VGA ports 0x3c0-0x3df, 0x500-0x515
 *         the Bochs DISPI registers (index n at 0x500 + 2n), 0x600 a small
 *         block describing the framebuffer byte order (size, then 0x1e1e1e1e
 *         for little endian), as Linux's bochs-drm expects of this device.
 *   ROM   the romfile= image (a VGA BIOS), if given.
 * Plus the legacy ISA decode: ports 0x3b0-0x3df, 0x1ce/0x1cf (DISPI index
 * and data) and the memory window 0xA0000-0xBFFFF.
 */
#include <errno.h>
#include <inttypes.h>

#include "core/log.h"
#include "hw/pci/pci.h"
#include "hw/vga/vga.h"

#define VGA_PCI_MMIO_SIZE 0x1000
#define VGA_MMIO_PORTS 0x400
#define VGA_MMIO_DISPI 0x500
#define VGA_MMIO_QEXT 0x600
#define VGA_QEXT_SIZE 8
#define VGA_QEXT_LITTLE_ENDIAN 0x1e1e1e1e
#define VGA_ROM_MAX_SIZE (1u << 20)

typedef struct VGAPCIState {
    PCIDevice pci;
    VGACommonState vga;
    uint32_t vgamem_mb;
    char *romfile;

    MemoryRegion vram;
    MemoryRegion mmio;
    MemoryRegion rom;
    bool has_rom;
    MemoryRegion legacy_mem;
    MemoryRegion legacy_ports;
    MemoryRegion vbe_ports;
} VGAPCIState;

/* ---------------------------------------------------------------------- */
/* Legacy decode */

static uint64_t vga_legacy_mem_read(void *opaque, uint64_t addr, unsigned size)
{
    VGACommonState *s = opaque;
    return vga_mem_read(s, (uint32_t)addr);
}

static void vga_legacy_mem_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    VGACommonState *s = opaque;
    vga_mem_write(s, (uint32_t)addr, (uint8_t)val);
}

static const MemoryRegionOps vga_legacy_mem_ops = {
    .read = vga_legacy_mem_read,
    .write = vga_legacy_mem_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static uint64_t vga_legacy_port_read(void *opaque, uint64_t addr, unsigned size)
{
    return vga_ioport_read(opaque, 0x3b0 + (uint32_t)addr);
}

static void vga_legacy_port_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    vga_ioport_write(opaque, 0x3b0 + (uint32_t)addr, (uint32_t)val);
}

/* A 16-bit OUT to an index port writes index then data, as the byte split gives. */
static const MemoryRegionOps vga_legacy_port_ops = {
    .read = vga_legacy_port_read,
    .write = vga_legacy_port_write,
    .valid = {.min_access_size = 1, .max_access_size = 2, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* 0x1ce: index; 0x1cf (and 0x1d0 for the high byte of a word at 0x1cf): data. */
static uint64_t vbe_port_read(void *opaque, uint64_t addr, unsigned size)
{
    VGACommonState *s = opaque;
    if (addr == 0) {
        return s->vbe_index;
    }
    uint16_t v = vbe_read(s, s->vbe_index);
    return size == 1 && addr == 2 ? v >> 8 : v;
}

static void vbe_port_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    VGACommonState *s = opaque;
    if (addr == 0) {
        s->vbe_index = (uint16_t)val;
    } else if (size == 2 && addr == 1) {
        vbe_write(s, s->vbe_index, (uint16_t)val);
    } else {
        log_guest_error("vbe: %u-byte write at 0x%x; DISPI data is a 16-bit port\n", size,
                        (unsigned)(0x1ce + addr));
    }
}

static const MemoryRegionOps vbe_port_ops = {
    .read = vbe_port_read,
    .write = vbe_port_write,
    .valid = {.min_access_size = 1, .max_access_size = 2, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 2},
};

/* ---------------------------------------------------------------------- */
/* BAR2 */

static uint64_t vga_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    VGACommonState *s = opaque;
    if (addr >= VGA_MMIO_PORTS && addr < VGA_MMIO_PORTS + 0x20) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size && addr + i < VGA_MMIO_PORTS + 0x20; i++) {
            v |= (uint64_t)vga_ioport_read(s, 0x3c0 + (uint32_t)(addr + i - VGA_MMIO_PORTS))
                 << (8 * i);
        }
        return v;
    }
    if (addr >= VGA_MMIO_DISPI && addr < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB) {
        uint16_t v = vbe_read(s, (uint16_t)((addr - VGA_MMIO_DISPI) / 2));
        return (addr & 1) ? v >> 8 : v;
    }
    if (addr == VGA_MMIO_QEXT) {
        return VGA_QEXT_SIZE;
    }
    if (addr == VGA_MMIO_QEXT + 4) {
        return VGA_QEXT_LITTLE_ENDIAN;
    }
    return 0;
}

static void vga_mmio_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    VGACommonState *s = opaque;
    if (addr >= VGA_MMIO_PORTS && addr < VGA_MMIO_PORTS + 0x20) {
        for (unsigned i = 0; i < size && addr + i < VGA_MMIO_PORTS + 0x20; i++) {
            vga_ioport_write(s, 0x3c0 + (uint32_t)(addr + i - VGA_MMIO_PORTS),
                             (uint32_t)(val >> (8 * i)) & 0xff);
        }
        return;
    }
    if (addr >= VGA_MMIO_DISPI && addr < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB) {
        if (size != 2 || (addr & 1)) {
            log_guest_error("vbe: %u-byte MMIO write at 0x%x\n", size, (unsigned)addr);
            return;
        }
        vbe_write(s, (uint16_t)((addr - VGA_MMIO_DISPI) / 2), (uint16_t)val);
        return;
    }
    if (addr == VGA_MMIO_QEXT + 4) {
        if ((uint32_t)val != VGA_QEXT_LITTLE_ENDIAN) {
            log_unimp("vga: big-endian framebuffer\n");
        }
        return;
    }
    log_guest_error("vga: MMIO write 0x%" PRIx64 " at 0x%x\n", val, (unsigned)addr);
}

static const MemoryRegionOps vga_mmio_ops = {
    .read = vga_mmio_read,
    .write = vga_mmio_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

/* ---------------------------------------------------------------------- */

static bool vga_pci_load_rom(VGAPCIState *s, Error **errp)
{
    const char *name = s->romfile;
    char *path = NULL;
    FILE *f = fopen(name, "rb");
    if (!f && !strchr(name, '/')) {
        static const char *const dirs[] = {"/usr/share/seabios", "/usr/share/qemu"};
        for (size_t i = 0; !f && i < ARRAY_SIZE(dirs); i++) {
            free(path);
            path = xasprintf("%s/%s", dirs[i], name);
            f = fopen(path, "rb");
        }
    }
    if (!f) {
        error_setg(errp, "romfile '%s': %s", name, strerror(errno));
        free(path);
        return false;
    }
    free(path);
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        size = ftell(f);
        rewind(f);
    }
    if (size <= 0 || size > (long)VGA_ROM_MAX_SIZE) {
        error_setg(errp, "romfile '%s': size %ld is not between 1 byte and 1 MiB", name, size);
        fclose(f);
        return false;
    }
    uint64_t bar = 2048;
    while (bar < (uint64_t)size) {
        bar <<= 1;
    }
    memory_region_init_rom(&s->rom, "vga.rom", bar);
    size_t got = fread(memory_region_get_ram_ptr(&s->rom), 1, size, f);
    fclose(f);
    if (got != (size_t)size) {
        error_setg(errp, "romfile '%s': short read", name);
        memory_region_destroy(&s->rom);
        return false;
    }
    s->has_rom = true;
    pci_register_bar(&s->pci, PCI_ROM_SLOT, PCI_BAR_MEM_32, &s->rom);
    return true;
}

static bool vga_pci_realize(DeviceState *dev, Error **errp)
{
    VGAPCIState *s = (VGAPCIState *)dev;
    uint32_t mb = s->vgamem_mb;
    if (mb < VGA_MIN_VRAM_MB || mb > VGA_MAX_VRAM_MB || (mb & (mb - 1))) {
        error_setg(errp, "vgamem_mb=%u: must be a power of two between %d and %d", mb,
                   VGA_MIN_VRAM_MB, VGA_MAX_VRAM_MB);
        return false;
    }
    if (!pci_device_realize(&s->pci, errp)) {
        return false;
    }
    Machine *m = dev->machine;
    PCIDevice *d = &s->pci;
    pci_config_set_ids(d, 0x1234, 0x1111, 0x02, 0x030000);
    pci_config_set_subsystem(d, 0x1af4, 0x1100);

    uint32_t size = mb << 20;
    memory_region_init_ram(&s->vram, "vga.vram", size);
    memory_region_init_io(&s->mmio, "vga.mmio", &vga_mmio_ops, &s->vga, VGA_PCI_MMIO_SIZE);
    pci_register_bar(d, 0, PCI_BAR_MEM_32 | PCI_BAR_MEM_PREFETCH, &s->vram);
    pci_register_bar(d, 2, PCI_BAR_MEM_32, &s->mmio);
    if (s->romfile && *s->romfile && !vga_pci_load_rom(s, errp)) {
        pci_device_unrealize(d);
        memory_region_destroy(&s->vram);
        memory_region_destroy(&s->mmio);
        return false;
    }

    memory_region_init_io(&s->legacy_mem, "vga.lowmem", &vga_legacy_mem_ops, &s->vga,
                          0x20000);
    /* Above RAM below 1 MiB (the board's RAM alias covers 0xA0000 too). */
    memory_region_add_subregion_overlap(&m->system_memory, 0xa0000, &s->legacy_mem, 1);
    memory_region_init_io(&s->legacy_ports, "vga", &vga_legacy_port_ops, &s->vga, 0x30);
    isa_register_ioport(dev, &s->legacy_ports, 0x3b0);
    memory_region_init_io(&s->vbe_ports, "vbe", &vbe_port_ops, &s->vga, 3);
    isa_register_ioport(dev, &s->vbe_ports, 0x1ce);

    vga_common_init(&s->vga, m, &s->vram, size);
    return true;
}

static void vga_pci_unrealize(DeviceState *dev)
{
    VGAPCIState *s = (VGAPCIState *)dev;
    vga_common_destroy(&s->vga);
    pci_device_unrealize(&s->pci);
    memory_region_destroy(&s->legacy_mem);
    memory_region_destroy(&s->legacy_ports);
    memory_region_destroy(&s->vbe_ports);
    memory_region_destroy(&s->mmio);
    memory_region_destroy(&s->vram);
    if (s->has_rom) {
        memory_region_destroy(&s->rom);
    }
}

static void vga_pci_reset(DeviceState *dev)
{
    VGAPCIState *s = (VGAPCIState *)dev;
    pci_device_reset(&s->pci);
    vga_common_reset(&s->vga);
}

static int vga_pci_post_load(void *opaque)
{
    VGAPCIState *s = opaque;
    pci_device_post_load(&s->pci);
    return vga_common_post_load(&s->vga);
}

static const VMStateField vga_pci_vmstate_fields[] = {
    VMSTATE_STRUCT(VGAPCIState, pci, &pci_device_vmstate),
    VMSTATE_STRUCT(VGAPCIState, vga, &vga_common_vmstate),
    VMSTATE_END,
};

static const VMStateDescription vga_pci_vmstate = {
    .name = "VGA",
    .version = 1,
    .fields = vga_pci_vmstate_fields,
    .post_load = vga_pci_post_load,
};

static const Property vga_pci_props[] = {
    DEFINE_PROP_PCI_ADDR(VGAPCIState, pci),
    DEFINE_PROP_U32("vgamem_mb", VGAPCIState, vgamem_mb, 16, "video memory in MiB (1-256)"),
    DEFINE_PROP_STRING("romfile", VGAPCIState, romfile, "VGA BIOS image for the ROM BAR"),
    DEFINE_PROP_END,
};

static const DeviceInfo vga_pci_info = {
    .name = "VGA",
    .desc = "standard VGA with Bochs VBE extensions",
    .bus = BUS_PCI,
    .size = sizeof(VGAPCIState),
    .props = vga_pci_props,
    .realize = vga_pci_realize,
    .unrealize = vga_pci_unrealize,
    .reset = vga_pci_reset,
    .vmstate = &vga_pci_vmstate,
};
DEVICE_REGISTER(vga_pci_info);
