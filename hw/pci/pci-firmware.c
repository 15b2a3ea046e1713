/*
 * What a PC BIOS does to PCI before it boots an OS, for direct kernel boot
 * (-kernel without -bios): Linux then finds the devices configured as it
 * would after SeaBIOS.
 *
 * - BARs: I/O from 0xC000 up, memory from the start of the PCI hole
 *   (0xE0000000, or the end of low RAM if that is higher) up; each aligned
 *   to its size, largest first so alignment wastes little.  Expansion ROM
 *   BARs get an address but stay disabled.  What does not fit is left 0.
 * - Command register: I/O, memory and bus-master enable.
 * - Interrupts: PIRQA-D to ISA IRQ 10, 10, 11, 11 (SeaBIOS's choice);
 *   each function's interrupt line register says where its pin goes; IRQs
 *   10 and 11 become level-triggered in the ELCR (ports 0x4D0/0x4D1, written
 *   through the I/O space as a BIOS does).
 * - PAM: all of 0xC0000-0xFFFFF is read/write RAM, as a BIOS leaves it.
 * - ACPI PM: PMBA 0x600 and its I/O space enabled.
 */
#include "core/log.h"
#include "hw/acpi/piix4-pm.h"
#include "hw/pci/pci.h"

#define FW_IO_START 0xc000
#define FW_IO_END 0x10000
#define FW_MEM_START 0xe0000000ULL
#define FW_MEM_END 0xfec00000ULL /* the IOAPIC and the rest of the top of 4 GiB */

static const uint8_t fw_pirq_irqs[PCI_NUM_PINS] = {10, 10, 11, 11};

typedef struct FwBar {
    PCIDevice *d;
    int n;
    uint64_t size;
} FwBar;

static int fw_bar_cmp(const void *a, const void *b)
{
    const FwBar *x = a, *y = b;
    if (x->size != y->size) {
        return x->size < y->size ? 1 : -1;
    }
    /* Stable order for equal sizes: by devfn, then BAR. */
    if (x->d->devfn != y->d->devfn) {
        return x->d->devfn - y->d->devfn;
    }
    return x->n - y->n;
}

static PCIDevice *fw_find(PCIBus *bus, uint16_t vendor, uint16_t device)
{
    for (int devfn = 0; devfn < PCI_SLOT_MAX * PCI_FUNC_MAX; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        if (d && pci_get_word(&d->config[PCI_VENDOR_ID]) == vendor &&
            pci_get_word(&d->config[PCI_DEVICE_ID]) == device) {
            return d;
        }
    }
    return NULL;
}

static void fw_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    pci_bus_config_write(d->bus, d->devfn, addr, val, len);
}

/* Set ISA IRQ irq level-triggered in the PIC's ELCR, if there is one. */
static void fw_elcr_set_level(Machine *m, int irq)
{
    uint64_t port = 0x4d0 + (irq >> 3), val;
    if (address_space_ld(&m->as_io, port, 1, &val) != MEMTX_OK) {
        return; /* no ELCR on this board */
    }
    address_space_st(&m->as_io, port, 1, val | (1u << (irq & 7)));
}

static void fw_assign_bars(PCIBus *bus, bool io)
{
    FwBar bars[PCI_SLOT_MAX * PCI_FUNC_MAX * PCI_NUM_REGIONS];
    int nr = 0;
    for (int devfn = 0; devfn < PCI_SLOT_MAX * PCI_FUNC_MAX; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        for (int i = 0; d && i < PCI_NUM_REGIONS; i++) {
            PCIIORegion *r = &d->io_regions[i];
            if (r->mr && !!(r->type & PCI_BAR_SPACE_IO) == io) {
                bars[nr++] = (FwBar){d, i, r->size};
            }
        }
    }
    qsort(bars, nr, sizeof(bars[0]), fw_bar_cmp);
    uint64_t next = io ? FW_IO_START : MAX(FW_MEM_START, bus->low_ram_end);
    uint64_t end = io ? FW_IO_END : FW_MEM_END;
    for (int i = 0; i < nr; i++) {
        PCIDevice *d = bars[i].d;
        uint64_t size = bars[i].size;
        uint64_t addr = (next + size - 1) & ~(size - 1);
        if (addr < next || addr > end || size > end - addr) {
            log_unimp("pci firmware: no room for BAR%d of %02x.%x (size 0x%llx)\n",
                      bars[i].n, PCI_SLOT(d->devfn), PCI_FUNC(d->devfn),
                      (unsigned long long)size);
            continue;
        }
        next = addr + size;
        if (bars[i].n == PCI_ROM_SLOT) {
            fw_write(d, PCI_ROM_ADDRESS, (uint32_t)addr, 4); /* enable bit left clear */
            continue;
        }
        uint32_t off = PCI_BASE_ADDRESS_0 + 4 * bars[i].n;
        fw_write(d, off, (uint32_t)addr | d->io_regions[bars[i].n].type, 4);
        if (d->io_regions[bars[i].n].type & PCI_BAR_MEM_64) {
            fw_write(d, off + 4, (uint32_t)(addr >> 32), 4);
        }
    }
}

void pci_firmware_setup(Machine *m)
{
    PCIBus *bus = m->pci_bus;
    if (!bus) {
        return;
    }
    fw_assign_bars(bus, true);
    fw_assign_bars(bus, false);

    PCIDevice *isa_bridge = fw_find(bus, 0x8086, 0x7000);
    for (int p = 0; p < PCI_NUM_PINS && isa_bridge; p++) {
        fw_write(isa_bridge, 0x60 + p, fw_pirq_irqs[p], 1);
    }
    for (int p = 0; p < PCI_NUM_PINS; p++) {
        fw_elcr_set_level(m, fw_pirq_irqs[p]);
    }

    for (int devfn = 0; devfn < PCI_SLOT_MAX * PCI_FUNC_MAX; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        if (!d) {
            continue;
        }
        uint16_t cmd = pci_get_word(&d->config[PCI_COMMAND]);
        fw_write(d, PCI_COMMAND, cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
                 2);
        int pin = d->config[PCI_INTERRUPT_PIN];
        if (pin >= 1 && pin <= PCI_NUM_PINS) {
            fw_write(d, PCI_INTERRUPT_LINE, fw_pirq_irqs[(PCI_SLOT(devfn) + pin - 1) & 3], 1);
        }
    }

    PCIDevice *host = fw_find(bus, 0x8086, 0x1237);
    for (int i = 0; i < 7 && host; i++) {
        fw_write(host, 0x59 + i, i == 0 ? 0x30 : 0x33, 1);
    }

    PCIDevice *pm = fw_find(bus, 0x8086, 0x7113);
    if (pm) {
        fw_write(pm, 0x40, PIIX4_PM_IO_BASE | 1, 4);
        fw_write(pm, 0x80, 1, 1);
        fw_write(pm, PCI_INTERRUPT_LINE, PIIX4_SCI_IRQ, 1);
    }
}
