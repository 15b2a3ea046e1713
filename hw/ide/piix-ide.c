/*
 * The PIIX3 IDE function (8086:7010 at 00:01.1) and its PIIX4 sibling
 * (8086:7111, which adds the Ultra DMA/33 timing registers): two legacy
 * channels at 0x1f0-0x1f7/0x3f6 (ISA IRQ 14) and 0x170-0x177/0x376
 * (ISA IRQ 15), master and slave on each, and the bus-master registers
 * in BAR4.
 *
 * Reference: Intel 82371SB (PIIX3) datasheet, section 2.3 (IDE function
 * configuration: class 01 01 80, IDETIM at 40h/42h, SIDETIM at 44h, BMIBA
 * at 20h) and 2.7 (bus master registers); 82371AB (PIIX4) datasheet for
 * UDMACTL (48h) and UDMATIM (4Ah).
 *
 * Choices worth knowing:
 * - The legacy ports always decode, and IDETIM comes out of reset with the
 *   decode-enable bits set, as firmware leaves them: a kernel booted without
 *   a BIOS finds both channels enabled.  The timing fields are stored only.
 * - Drives come from -drive if=ide (bus, unit); with defaults on, an empty
 *   CD-ROM sits at the secondary master when no drive is there, as on QEMU.
 */
#include "block/drive.h"
#include "hw/ide/ide-internal.h"
#include "hw/ide/ide.h"
#include "hw/pci/pci.h"

#define PIIX_IDETIM_PRI 0x40
#define PIIX_IDETIM_SEC 0x42
#define PIIX_SIDETIM 0x44
#define PIIX4_UDMACTL 0x48
#define PIIX4_UDMATIM 0x4a
#define IDETIM_DECODE_ENABLE 0x8000

#define PIIX_BMIBA_BAR 4

static const struct {
    uint16_t cmd, ctl;
    uint8_t irq;
} piix_ide_ports[2] = {
    {0x1f0, 0x3f6, 14},
    {0x170, 0x376, 15},
};

typedef struct PIIXIDEState {
    PCIDevice pci;
    IDEBus bus[2];
    MemoryRegion bmdma_io;
    bool default_cdrom;
    bool piix4;
} PIIXIDEState;

static uint64_t piix_bmdma_read(void *opaque, uint64_t addr, unsigned size)
{
    PIIXIDEState *s = opaque;
    return bmdma_read(&s->bus[(addr >> 3) & 1], addr & 7, size);
}

static void piix_bmdma_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    PIIXIDEState *s = opaque;
    bmdma_write(&s->bus[(addr >> 3) & 1], addr & 7, (uint32_t)val, size);
}

static const MemoryRegionOps piix_bmdma_ops = {
    .read = piix_bmdma_read,
    .write = piix_bmdma_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static bool piix_ide_master_enabled(void *opaque)
{
    PIIXIDEState *s = opaque;
    return pci_get_word(&s->pci.config[PCI_COMMAND]) & PCI_COMMAND_MASTER;
}

static bool piix_ide_attach_drives(PIIXIDEState *s, Error **errp)
{
    Machine *m = s->pci.qdev.machine;
    for (int b = 0; b < 2; b++) {
        for (int u = 0; u < 2; u++) {
            IDEDrive *d = &s->bus[b].drives[u];
            DriveInfo *di = drive_get(m, IF_IDE, b, u);
            if (di) {
                if (!ide_drive_attach(d, di->blk, di->cdrom, false, di->id, errp)) {
                    return false;
                }
                di->claimed = true;
            } else if (b == 1 && u == 0 && s->default_cdrom) {
                BlockBackend *blk = blk_new_empty();
                blk_set_main_loop(blk, m->loop);
                if (!ide_drive_attach(d, blk, true, true, NULL, errp)) {
                    blk_unref(blk);
                    return false;
                }
            }
        }
    }
    return true;
}

static void piix_ide_unrealize(DeviceState *dev)
{
    PIIXIDEState *s = (PIIXIDEState *)dev;
    for (int b = 0; b < 2; b++) {
        for (int u = 0; u < 2; u++) {
            ide_drive_detach(&s->bus[b].drives[u]);
        }
        if (s->bus[b].cmd_io.name) {
            memory_region_destroy(&s->bus[b].cmd_io);
            memory_region_destroy(&s->bus[b].ctl_io);
        }
    }
    pci_device_unrealize(&s->pci);
    if (s->bmdma_io.name) {
        memory_region_destroy(&s->bmdma_io);
    }
}

static bool piix_ide_realize(DeviceState *dev, Error **errp)
{
    PIIXIDEState *s = (PIIXIDEState *)dev;
    PCIDevice *d = &s->pci;
    if (!pci_device_realize(d, errp)) {
        return false;
    }
    pci_config_set_ids(d, 0x8086, s->piix4 ? 0x7111 : 0x7010, s->piix4 ? 0x01 : 0x00,
                       0x010180);
    pci_set_word(&d->wmask[PIIX_IDETIM_PRI], 0xffff);
    pci_set_word(&d->wmask[PIIX_IDETIM_SEC], 0xffff);
    d->wmask[PIIX_SIDETIM] = 0xff;
    if (s->piix4) {
        d->wmask[PIIX4_UDMACTL] = 0x0f;
        pci_set_word(&d->wmask[PIIX4_UDMATIM], 0x3333);
    }
    memory_region_init_io(&s->bmdma_io, "piix-bmdma", &piix_bmdma_ops, s, 16);
    pci_register_bar(d, PIIX_BMIBA_BAR, PCI_BAR_SPACE_IO, &s->bmdma_io);
    for (int b = 0; b < 2; b++) {
        IDEBus *bus = &s->bus[b];
        ide_bus_init(bus, dev, b, isa_get_irq(dev, piix_ide_ports[b].irq));
        bus->bus_master_enabled = piix_ide_master_enabled;
        bus->opaque = s;
        memory_region_init_io(&bus->cmd_io, b ? "ide1-cmd" : "ide0-cmd", &ide_cmd_ops, bus, 8);
        memory_region_init_io(&bus->ctl_io, b ? "ide1-ctl" : "ide0-ctl", &ide_ctl_ops, bus, 1);
        isa_register_ioport(dev, &bus->cmd_io, piix_ide_ports[b].cmd);
        isa_register_ioport(dev, &bus->ctl_io, piix_ide_ports[b].ctl);
    }
    if (!piix_ide_attach_drives(s, errp)) {
        piix_ide_unrealize(dev);
        return false;
    }
    return true;
}

static void piix_ide_reset(DeviceState *dev)
{
    PIIXIDEState *s = (PIIXIDEState *)dev;
    PCIDevice *d = &s->pci;
    pci_device_reset(d);
    pci_set_word(&d->config[PIIX_IDETIM_PRI], IDETIM_DECODE_ENABLE);
    pci_set_word(&d->config[PIIX_IDETIM_SEC], IDETIM_DECODE_ENABLE);
    d->config[PIIX_SIDETIM] = 0;
    if (s->piix4) {
        d->config[PIIX4_UDMACTL] = 0;
        pci_set_word(&d->config[PIIX4_UDMATIM], 0);
    }
    for (int b = 0; b < 2; b++) {
        ide_bus_reset(&s->bus[b]);
    }
}

static int piix_ide_post_load(void *opaque)
{
    PIIXIDEState *s = opaque;
    pci_device_post_load(&s->pci);
    return 0;
}

static const VMStateField piix_ide_vmstate_fields[] = {
    VMSTATE_STRUCT(PIIXIDEState, pci, &pci_device_vmstate),
    VMSTATE_STRUCT(PIIXIDEState, bus[0], &ide_bus_vmstate),
    VMSTATE_STRUCT(PIIXIDEState, bus[1], &ide_bus_vmstate),
    VMSTATE_END,
};

static const VMStateDescription piix_ide_vmstate = {
    .name = "piix-ide",
    .version = 1,
    .fields = piix_ide_vmstate_fields,
    .post_load = piix_ide_post_load,
};

static const Property piix3_ide_props[] = {
    DEFINE_PROP_PCI_ADDR(PIIXIDEState, pci),
    DEFINE_PROP_BOOL("default-cdrom", PIIXIDEState, default_cdrom, false,
                     "an empty CD-ROM at ide1-cd0 when no drive is there"),
    DEFINE_PROP_BOOL("piix4", PIIXIDEState, piix4, false,
                     "be the PIIX4 function (8086:7111, Ultra DMA/33)"),
    DEFINE_PROP_END,
};

static const DeviceInfo piix3_ide_info = {
    .name = "piix3-ide",
    .desc = "Intel PIIX3/PIIX4 IDE controller with bus-master DMA",
    .bus = BUS_PCI,
    .size = sizeof(PIIXIDEState),
    .props = piix3_ide_props,
    .realize = piix_ide_realize,
    .unrealize = piix_ide_unrealize,
    .reset = piix_ide_reset,
    .vmstate = &piix_ide_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(piix3_ide_info);

/* For the monitor: the drive called name on any IDE controller of m. */
IDEDrive *ide_find_drive(Machine *m, const char *name)
{
    for (DeviceState *dev = m->devices; dev; dev = dev->next) {
        if (dev->info != &piix3_ide_info || !dev->realized) {
            continue;
        }
        PIIXIDEState *s = (PIIXIDEState *)dev;
        for (int i = 0; i < 4; i++) {
            IDEDrive *d = &s->bus[i / 2].drives[i % 2];
            if (d->kind != IDE_KIND_NONE && (!name || !strcmp(d->name, name))) {
                return d;
            }
        }
    }
    return NULL;
}

void ide_for_each_drive(Machine *m, void (*fn)(IDEDrive *d, void *opaque), void *opaque)
{
    for (DeviceState *dev = m->devices; dev; dev = dev->next) {
        if (dev->info != &piix3_ide_info || !dev->realized) {
            continue;
        }
        PIIXIDEState *s = (PIIXIDEState *)dev;
        for (int i = 0; i < 4; i++) {
            IDEDrive *d = &s->bus[i / 2].drives[i % 2];
            if (d->kind != IDE_KIND_NONE) {
                fn(d, opaque);
            }
        }
    }
}
