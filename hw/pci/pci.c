/*
 * The PCI bus and the configuration-space behaviour common to all functions.
 *
 * Reference: PCI Local Bus Specification 3.0, section 6.1-6.2 (header
 * layout, command/status semantics) and 6.2.5 (base address registers:
 * sizing by writing all ones, I/O vs memory, 64-bit and prefetchable types,
 * the expansion ROM BAR with its enable bit).
 *
 * Choices worth knowing:
 * - Writes go through per-byte masks: wmask says which bits the guest may
 *   change, w1cmask which bits a 1 clears (status error bits).  BAR sizing
 *   falls out of the wmask: the low address bits a BAR cannot hold are not
 *   writable, so writing all ones reads back ~(size - 1) | type.
 * - A BAR is mapped only while its decode enable (command I/O or memory
 *   bit; the ROM also needs its own enable bit) is on and its address is
 *   usable: not 0, not wrapping, inside the 64 KiB I/O space for I/O, and
 *   not over guest RAM.  Anything else is left unmapped and logged, as a
 *   BIOS would have left such a device disabled.
 * - INTx: a function's pin reaches PIRQ ((slot + pin) & 3), the swizzle
 *   every PIIX-based board uses; the bus counts asserting functions per
 *   PIRQ and tells the router (the PIIX3) when a PIRQ level changes.
 */
#include "hw/pci/pci.h"

#include "core/log.h"

static void pci_update_intx(PCIDevice *d);

PCIBus *pci_bus_new(Machine *m)
{
    PCIBus *bus = XNEW(PCIBus);
    bus->machine = m;
    return bus;
}

void pci_bus_free(PCIBus *bus)
{
    free(bus);
}

PCIDevice *pci_bus_find(PCIBus *bus, int devfn)
{
    if (!bus || devfn < 0 || devfn >= PCI_SLOT_MAX * PCI_FUNC_MAX) {
        return NULL;
    }
    return bus->devices[devfn];
}

static bool pci_parse_addr(const char *s, int *devfn)
{
    char *end;
    unsigned long slot = strtoul(s, &end, 16);
    unsigned long fn = 0;
    if (end == s || slot >= PCI_SLOT_MAX) {
        return false;
    }
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f || fn >= PCI_FUNC_MAX) {
            return false;
        }
    }
    if (*end) {
        return false;
    }
    *devfn = PCI_DEVFN((int)slot, (int)fn);
    return true;
}

bool pci_device_realize(PCIDevice *d, Error **errp)
{
    Machine *m = d->qdev.machine;
    PCIBus *bus = m ? m->pci_bus : NULL;
    if (!bus) {
        error_setg(errp, "this machine has no PCI bus");
        return false;
    }
    int devfn = -1;
    if (d->addr) {
        if (!pci_parse_addr(d->addr, &devfn)) {
            error_setg(errp, "addr '%s' is not slot[.function] (hex, slot < 0x20, fn < 8)",
                       d->addr);
            return false;
        }
        if (bus->devices[devfn]) {
            error_setg(errp, "PCI address %02x.%x is already in use", PCI_SLOT(devfn),
                       PCI_FUNC(devfn));
            return false;
        }
    } else {
        /* First slot whose function 0 is free; slot 0 belongs to the host bridge. */
        for (int slot = 0; slot < PCI_SLOT_MAX && devfn < 0; slot++) {
            bool empty = true;
            for (int fn = 0; fn < PCI_FUNC_MAX; fn++) {
                empty &= !bus->devices[PCI_DEVFN(slot, fn)];
            }
            if (empty) {
                devfn = PCI_DEVFN(slot, 0);
            }
        }
        if (devfn < 0) {
            error_setg(errp, "no free PCI slot");
            return false;
        }
    }
    d->bus = bus;
    d->devfn = devfn;
    d->intx_pirq = -1;
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        d->io_regions[i].addr = PCI_BAR_UNMAPPED;
    }
    /* The guest-writable parts of the standard header. */
    pci_set_word(&d->wmask[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
    pci_set_word(&d->w1cmask[PCI_STATUS], PCI_STATUS_W1C);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_LATENCY_TIMER] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    pci_set_word(&d->config[PCI_STATUS], PCI_STATUS_DEVSEL_MEDIUM);
    bus->devices[devfn] = d;
    return true;
}

static void pci_unmap_region(PCIDevice *d, int n)
{
    PCIIORegion *r = &d->io_regions[n];
    if (r->mr && r->addr != PCI_BAR_UNMAPPED) {
        memory_region_del_subregion(r->mr->parent, r->mr);
    }
    r->addr = PCI_BAR_UNMAPPED;
}

void pci_device_unrealize(PCIDevice *d)
{
    if (!d->bus) {
        return;
    }
    d->irq_level = 0;
    pci_update_intx(d);
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        pci_unmap_region(d, i);
    }
    if (d->bus->devices[d->devfn] == d) {
        d->bus->devices[d->devfn] = NULL;
    }
    d->bus = NULL;
}

void pci_device_reset(PCIDevice *d)
{
    pci_set_irq(d, 0);
    /* The command register's writable bits and the status error bits clear on reset. */
    uint16_t cmd = pci_get_word(&d->config[PCI_COMMAND]) & ~pci_get_word(&d->wmask[PCI_COMMAND]);
    pci_set_word(&d->config[PCI_COMMAND], cmd);
    uint16_t sts = pci_get_word(&d->config[PCI_STATUS]) & ~PCI_STATUS_W1C & ~PCI_STATUS_INTERRUPT;
    pci_set_word(&d->config[PCI_STATUS], sts);
    d->config[PCI_CACHE_LINE_SIZE] = 0;
    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &d->io_regions[i];
        if (!r->mr) {
            continue;
        }
        int off = i == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * i;
        pci_set_long(&d->config[off], i == PCI_ROM_SLOT ? 0 : r->type);
        if (r->type & PCI_BAR_MEM_64) {
            pci_set_long(&d->config[off + 4], 0);
        }
    }
    pci_update_mappings(d);
}

void pci_config_set_ids(PCIDevice *d, uint16_t vendor, uint16_t device, uint8_t revision,
                        uint32_t class_code)
{
    pci_set_word(&d->config[PCI_VENDOR_ID], vendor);
    pci_set_word(&d->config[PCI_DEVICE_ID], device);
    d->config[PCI_REVISION_ID] = revision;
    d->config[PCI_CLASS_PROG] = class_code;
    pci_set_word(&d->config[PCI_CLASS_DEVICE], class_code >> 8);
}

void pci_config_set_subsystem(PCIDevice *d, uint16_t vendor, uint16_t id)
{
    pci_set_word(&d->config[PCI_SUBSYSTEM_VENDOR_ID], vendor);
    pci_set_word(&d->config[PCI_SUBSYSTEM_ID], id);
}

void pci_config_set_interrupt_pin(PCIDevice *d, int pin)
{
    d->config[PCI_INTERRUPT_PIN] = pin;
}

void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr)
{
    uint64_t size = mr->size;
    if (n < 0 || n >= PCI_NUM_REGIONS || (size & (size - 1)) || size < 4 ||
        ((type & PCI_BAR_MEM_64) && n >= PCI_NUM_BARS - 1)) {
        fprintf(stderr, "osprey: bug: bad PCI BAR %d (size 0x%llx) for %s\n", n,
                (unsigned long long)size, d->qdev.info->name);
        abort();
    }
    PCIIORegion *r = &d->io_regions[n];
    r->mr = mr;
    r->size = size;
    r->type = n == PCI_ROM_SLOT ? 0 : type;
    r->addr = PCI_BAR_UNMAPPED;
    if (n == PCI_ROM_SLOT) {
        r->size = size = MAX(size, 2048);
        pci_set_long(&d->wmask[PCI_ROM_ADDRESS], (uint32_t)~(size - 1) | PCI_ROM_ADDRESS_ENABLE);
        pci_set_long(&d->config[PCI_ROM_ADDRESS], 0);
        return;
    }
    int off = PCI_BASE_ADDRESS_0 + 4 * n;
    if (type & PCI_BAR_SPACE_IO) {
        pci_set_long(&d->wmask[off], (uint32_t)~(size - 1) & ~3u);
    } else {
        size = r->size = MAX(size, 16);
        uint64_t mask = ~(size - 1) & ~0xfULL;
        pci_set_long(&d->wmask[off], (uint32_t)mask);
        if (type & PCI_BAR_MEM_64) {
            pci_set_long(&d->wmask[off + 4], (uint32_t)(mask >> 32));
        }
    }
    pci_set_long(&d->config[off], type);
}

static bool pci_range_hits_ram(PCIBus *bus, uint64_t addr, uint64_t last)
{
    if (addr < bus->low_ram_end) {
        return true;
    }
    return bus->high_ram_end > (1ULL << 32) && last >= (1ULL << 32) && addr < bus->high_ram_end;
}

uint64_t pci_bar_address(PCIDevice *d, int n)
{
    PCIIORegion *r = &d->io_regions[n];
    uint16_t cmd = pci_get_word(&d->config[PCI_COMMAND]);
    uint64_t addr, limit;
    if (!r->mr) {
        return PCI_BAR_UNMAPPED;
    }
    if (n == PCI_ROM_SLOT) {
        uint32_t v = pci_get_long(&d->config[PCI_ROM_ADDRESS]);
        if (!(cmd & PCI_COMMAND_MEMORY) || !(v & PCI_ROM_ADDRESS_ENABLE)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = v & ~(uint64_t)(r->size - 1) & 0xffffffffULL;
        limit = 1ULL << 32;
    } else if (r->type & PCI_BAR_SPACE_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(&d->config[PCI_BASE_ADDRESS_0 + 4 * n]) & ~3u;
        limit = 0x10000;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(&d->config[PCI_BASE_ADDRESS_0 + 4 * n]) & ~0xfu;
        limit = 1ULL << 32;
        if (r->type & PCI_BAR_MEM_64) {
            addr |= (uint64_t)pci_get_long(&d->config[PCI_BASE_ADDRESS_0 + 4 * n + 4]) << 32;
            limit = 0; /* the whole 64-bit space */
        }
    }
    uint64_t last = addr + (r->size - 1);
    if (addr == 0 || last < addr || (limit && last >= limit)) {
        log_guest_error("pci %02x.%x %s: BAR%d at 0x%llx (size 0x%llx) is not usable; "
                        "left unmapped\n", PCI_SLOT(d->devfn), PCI_FUNC(d->devfn),
                        d->qdev.info->name, n, (unsigned long long)addr,
                        (unsigned long long)r->size);
        return PCI_BAR_UNMAPPED;
    }
    if (!(r->type & PCI_BAR_SPACE_IO) && pci_range_hits_ram(d->bus, addr, last)) {
        log_guest_error("pci %02x.%x %s: BAR%d at 0x%llx overlaps RAM; left unmapped\n",
                        PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), d->qdev.info->name, n,
                        (unsigned long long)addr);
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

void pci_update_mappings(PCIDevice *d)
{
    if (!d->bus) {
        return;
    }
    Machine *m = d->bus->machine;
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PCIIORegion *r = &d->io_regions[i];
        if (!r->mr) {
            continue;
        }
        uint64_t addr = pci_bar_address(d, i);
        if (addr == r->addr) {
            continue;
        }
        pci_unmap_region(d, i);
        if (addr == PCI_BAR_UNMAPPED) {
            continue;
        }
        MemoryRegion *space = (r->type & PCI_BAR_SPACE_IO) ? &m->io_space : &m->system_memory;
        /* Above RAM (priority 0) and the BIOS alias (1), as a BAR decodes first on the bus. */
        memory_region_add_subregion_overlap(space, addr, r->mr, 1);
        r->addr = addr;
    }
}

/* The level the pin presents to the bus: the status bit gated by INTx disable. */
static int pci_intx_output(PCIDevice *d)
{
    return d->irq_level && !(pci_get_word(&d->config[PCI_COMMAND]) & PCI_COMMAND_INTX_DISABLE);
}

static void pci_bus_add_pirq(PCIBus *bus, int pirq, int delta)
{
    int old = bus->pirq_count[pirq] != 0;
    bus->pirq_count[pirq] += delta;
    int now = bus->pirq_count[pirq] != 0;
    if (old != now && bus->set_pirq) {
        bus->set_pirq(bus->pirq_opaque, pirq, now);
    }
}

/* Make the bus count this function on the PIRQ its pin asserts now, if any. */
static void pci_update_intx(PCIDevice *d)
{
    int pin = d->config[PCI_INTERRUPT_PIN];
    int want = -1;
    if (d->bus && pin >= 1 && pin <= PCI_NUM_PINS && pci_intx_output(d)) {
        want = (PCI_SLOT(d->devfn) + pin - 1) & 3;
    }
    if (want == d->intx_pirq) {
        return;
    }
    if (d->intx_pirq >= 0) {
        pci_bus_add_pirq(d->bus, d->intx_pirq, -1);
    }
    if (want >= 0) {
        pci_bus_add_pirq(d->bus, want, 1);
    }
    d->intx_pirq = want;
}

void pci_set_irq(PCIDevice *d, int level)
{
    d->irq_level = level != 0;
    uint16_t sts = pci_get_word(&d->config[PCI_STATUS]) & ~PCI_STATUS_INTERRUPT;
    pci_set_word(&d->config[PCI_STATUS], sts | (d->irq_level ? PCI_STATUS_INTERRUPT : 0));
    pci_update_intx(d);
}

static uint32_t pci_config_read(PCIDevice *d, uint32_t addr, int len)
{
    uint32_t val = 0;
    for (int i = 0; i < len; i++) {
        val |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    if (d->config_read) {
        val = d->config_read(d, addr, val, len);
    }
    return val;
}

static bool ranges_overlap(uint32_t a, int alen, uint32_t b, int blen)
{
    return a < b + blen && b < a + alen;
}

static void pci_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    for (int i = 0; i < len; i++) {
        uint8_t b = val >> (8 * i);
        uint8_t wm = d->wmask[addr + i], w1c = d->w1cmask[addr + i];
        uint8_t *c = &d->config[addr + i];
        *c = (*c & ~wm) | (b & wm);
        *c &= ~(b & w1c);
    }
    if (ranges_overlap(addr, len, PCI_COMMAND, 2) || ranges_overlap(addr, len, 0x10, 24) ||
        ranges_overlap(addr, len, PCI_ROM_ADDRESS, 4)) {
        pci_update_mappings(d);
    }
    if (ranges_overlap(addr, len, PCI_COMMAND, 2)) {
        pci_update_intx(d);
    }
    if (d->config_write) {
        d->config_write(d, addr, val, len);
    }
}

static bool config_access_ok(uint32_t addr, int len)
{
    return (len == 1 || len == 2 || len == 4) && addr < PCI_CONFIG_SPACE_SIZE &&
           addr + len <= PCI_CONFIG_SPACE_SIZE;
}

uint32_t pci_bus_config_read(PCIBus *bus, int devfn, uint32_t addr, int len)
{
    PCIDevice *d = pci_bus_find(bus, devfn);
    if (!d || !config_access_ok(addr, len)) {
        return len >= 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
    }
    return pci_config_read(d, addr, len);
}

void pci_bus_config_write(PCIBus *bus, int devfn, uint32_t addr, uint32_t val, int len)
{
    PCIDevice *d = pci_bus_find(bus, devfn);
    if (d && config_access_ok(addr, len)) {
        pci_config_write(d, addr, val, len);
    }
}

void pci_device_post_load(PCIDevice *d)
{
    /* config[] came from an untrusted stream: re-derive everything from it. */
    d->irq_level = !!(pci_get_word(&d->config[PCI_STATUS]) & PCI_STATUS_INTERRUPT);
    pci_update_mappings(d);
    pci_update_intx(d);
}

static const VMStateField pci_device_vmstate_fields[] = {
    VMSTATE_BUFFER(PCIDevice, config),
    VMSTATE_END,
};

const VMStateDescription pci_device_vmstate = {
    .name = "pci-device",
    .version = 1,
    .fields = pci_device_vmstate_fields,
};

static const char *pci_class_name(uint16_t cls)
{
    switch (cls) {
    case 0x0600: return "Host bridge";
    case 0x0601: return "ISA bridge";
    case 0x0680: return "Bridge";
    case 0x00ff: return "Class 00ff";
    default: return "Device";
    }
}

void pci_print_devices(Machine *m, FILE *f)
{
    PCIBus *bus = m->pci_bus;
    if (!bus) {
        fprintf(f, "no PCI bus\n");
        return;
    }
    for (int devfn = 0; devfn < PCI_SLOT_MAX * PCI_FUNC_MAX; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        if (!d) {
            continue;
        }
        uint16_t cls = pci_get_word(&d->config[PCI_CLASS_DEVICE]);
        fprintf(f, "  Bus  0, device %3d, function %d:\n", PCI_SLOT(devfn), PCI_FUNC(devfn));
        fprintf(f, "    %s: PCI device %04x:%04x\n", pci_class_name(cls),
                pci_get_word(&d->config[PCI_VENDOR_ID]), pci_get_word(&d->config[PCI_DEVICE_ID]));
        if (d->config[PCI_INTERRUPT_PIN]) {
            fprintf(f, "      IRQ %d, pin %c\n", d->config[PCI_INTERRUPT_LINE],
                    'A' + d->config[PCI_INTERRUPT_PIN] - 1);
        }
        for (int i = 0; i < PCI_NUM_REGIONS; i++) {
            PCIIORegion *r = &d->io_regions[i];
            if (!r->mr) {
                continue;
            }
            const char *kind = i == PCI_ROM_SLOT ? "ROM" : (r->type & PCI_BAR_SPACE_IO) ? "I/O"
                             : (r->type & PCI_BAR_MEM_64) ? "64 bit memory" : "32 bit memory";
            if (r->addr == PCI_BAR_UNMAPPED) {
                fprintf(f, "      BAR%d: %s (not mapped) [size 0x%llx]\n", i, kind,
                        (unsigned long long)r->size);
            } else {
                fprintf(f, "      BAR%d: %s at 0x%llx [0x%llx].\n", i, kind,
                        (unsigned long long)r->addr,
                        (unsigned long long)(r->addr + r->size - 1));
            }
        }
        fprintf(f, "      id \"%s\"\n", d->qdev.id ? d->qdev.id : "");
    }
}
