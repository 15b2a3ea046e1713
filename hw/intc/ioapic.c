/*
 * The I/O APIC ("ioapic"): Intel 82093AA-style, version 0x20 as in the ICH
 * family (which adds the directed EOI register at offset 0x40).
 *
 * Reference: Intel 82093AA I/O Advanced Programmable Interrupt Controller
 * datasheet (IOREGSEL/IOWIN, ID/version/arbitration, the redirection table,
 * remote IRR), Intel ICH9 datasheet 13.5 (version 0x20, EOI register).
 *
 * Choices worth knowing:
 * - Inputs are taken as active high logical levels whatever the polarity bit
 *   says: the board's lines carry "asserted", not the electrical level.
 * - Delivery is instantaneous, so the delivery status bit always reads idle.
 * - Edge-triggered entries deliver on a rising edge while unmasked; an edge
 *   that arrives while masked is lost.  Level-triggered entries deliver while
 *   the input is asserted, unmasked and remote IRR is clear, and set remote
 *   IRR; an EOI (broadcast from a local APIC or written to the EOI register)
 *   of the entry's vector clears it and delivers again if still asserted.
 * - The ID (bits 27:24) resets to the property "id" (the board passes the
 *   value the MADT gives, the number of CPUs); the arbitration ID reads the
 *   same value.
 */
#include "hw/intc/ioapic.h"

#include "core/log.h"
#include "hw/intc/apic.h"

#include <inttypes.h>

#define IOAPIC_VERSION 0x20
#define IOAPIC_MMIO_SIZE 0x1000

enum {
    IOAPIC_IOREGSEL = 0x00,
    IOAPIC_IOWIN = 0x10,
    IOAPIC_EOI = 0x40,
};

enum {
    IOAPIC_REG_ID = 0x00,
    IOAPIC_REG_VER = 0x01,
    IOAPIC_REG_ARB = 0x02,
    IOAPIC_REG_REDTBL = 0x10, /* 0x10 + 2n: low half of entry n, 0x11 + 2n: high half */
};

#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVERY_STATUS (1ull << 12)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_TRIGGER_LEVEL (1ull << 15)
#define IOAPIC_RTE_MASKED (1ull << 16)
/* Vector, delivery mode, destination mode, polarity, trigger mode, mask, destination. */
#define IOAPIC_RTE_WRITABLE (0xff00000000000000ull | 0x1afffull)

typedef struct IOAPICState {
    DeviceState parent;

    uint8_t id_prop; /* property: ID at reset */

    MemoryRegion mmio;
    IRQState *inputs;

    uint8_t ioregsel;
    uint8_t id;
    uint64_t rte[IOAPIC_NUM_PINS];
    uint32_t irr; /* input levels, one bit per pin */
} IOAPICState;

static void ioapic_deliver(IOAPICState *s, int pin)
{
    uint64_t rte = s->rte[pin];
    bool level = rte & IOAPIC_RTE_TRIGGER_LEVEL;

    if (level) {
        s->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
    }
    apic_deliver_irq(s->parent.machine, (uint8_t)(rte >> 56), rte & IOAPIC_RTE_DEST_LOGICAL,
                     (int)((rte >> 8) & 7), (uint8_t)rte, level);
}

/* A level-triggered entry delivers whenever it can. */
static void ioapic_service_level(IOAPICState *s, int pin)
{
    uint64_t rte = s->rte[pin];
    if ((rte & IOAPIC_RTE_TRIGGER_LEVEL) && !(rte & IOAPIC_RTE_MASKED) &&
        !(rte & IOAPIC_RTE_REMOTE_IRR) && (s->irr & (1u << pin))) {
        ioapic_deliver(s, pin);
    }
}

static void ioapic_set_irq(void *opaque, int pin, int level)
{
    IOAPICState *s = opaque;

    if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
        return;
    }
    uint32_t bit = 1u << pin;
    bool was = s->irr & bit;
    if (level) {
        s->irr |= bit;
    } else {
        s->irr &= ~bit;
    }
    if (s->rte[pin] & IOAPIC_RTE_TRIGGER_LEVEL) {
        ioapic_service_level(s, pin);
    } else if (level && !was && !(s->rte[pin] & IOAPIC_RTE_MASKED)) {
        ioapic_deliver(s, pin);
    }
}

void ioapic_eoi_broadcast(void *opaque, uint8_t vector)
{
    IOAPICState *s = opaque;
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = s->rte[pin];
        if ((rte & IOAPIC_RTE_TRIGGER_LEVEL) && (rte & IOAPIC_RTE_REMOTE_IRR) &&
            (uint8_t)rte == vector) {
            s->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            ioapic_service_level(s, pin);
        }
    }
}

IRQState *ioapic_get_inputs(DeviceState *dev)
{
    return ((IOAPICState *)dev)->inputs;
}

static uint32_t ioapic_read_indirect(IOAPICState *s)
{
    uint8_t reg = s->ioregsel;
    switch (reg) {
    case IOAPIC_REG_ID:
        return (uint32_t)(s->id & 0xf) << 24;
    case IOAPIC_REG_VER:
        return ((uint32_t)(IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION;
    case IOAPIC_REG_ARB:
        return (uint32_t)(s->id & 0xf) << 24;
    }
    if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        int pin = (reg - IOAPIC_REG_REDTBL) >> 1;
        return (uint32_t)(reg & 1 ? s->rte[pin] >> 32 : s->rte[pin]);
    }
    log_guest_error("ioapic: read of undefined register %#x\n", reg);
    return 0;
}

static void ioapic_write_indirect(IOAPICState *s, uint32_t val)
{
    uint8_t reg = s->ioregsel;
    if (reg == IOAPIC_REG_ID) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    if (reg >= IOAPIC_REG_REDTBL && reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        int pin = (reg - IOAPIC_REG_REDTBL) >> 1;
        uint64_t old = s->rte[pin];
        uint64_t v = reg & 1 ? ((uint64_t)val << 32) | (old & 0xffffffffull)
                             : (old & 0xffffffff00000000ull) | val;
        s->rte[pin] = (v & IOAPIC_RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
        if (!(s->rte[pin] & IOAPIC_RTE_TRIGGER_LEVEL)) {
            s->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR; /* remote IRR is undefined for edge */
        }
        ioapic_service_level(s, pin);
        return;
    }
    log_guest_error("ioapic: write %#x to read-only or undefined register %#x\n", val, reg);
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    IOAPICState *s = opaque;
    if (size != 4) {
        log_guest_error("ioapic: %u-byte read at %#" PRIx64 "\n", size, offset);
        return 0;
    }
    switch (offset) {
    case IOAPIC_IOREGSEL:
        return s->ioregsel;
    case IOAPIC_IOWIN:
        return ioapic_read_indirect(s);
    }
    log_guest_error("ioapic: read at undefined offset %#" PRIx64 "\n", offset);
    return 0;
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    IOAPICState *s = opaque;
    if (size != 4) {
        log_guest_error("ioapic: %u-byte write at %#" PRIx64 "\n", size, offset);
        return;
    }
    switch (offset) {
    case IOAPIC_IOREGSEL:
        s->ioregsel = (uint8_t)value;
        return;
    case IOAPIC_IOWIN:
        ioapic_write_indirect(s, (uint32_t)value);
        return;
    case IOAPIC_EOI:
        ioapic_eoi_broadcast(s, (uint8_t)value);
        return;
    }
    log_guest_error("ioapic: write %#" PRIx64 " at undefined offset %#" PRIx64 "\n", value,
                    offset);
}

static const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

static bool ioapic_realize(DeviceState *dev, Error **errp)
{
    IOAPICState *s = (IOAPICState *)dev;
    Machine *m = dev->machine;

    s->inputs = irq_allocate(ioapic_set_irq, s, IOAPIC_NUM_PINS);
    memory_region_init_io(&s->mmio, "ioapic", &ioapic_mmio_ops, s, IOAPIC_MMIO_SIZE);
    memory_region_add_subregion(&m->system_memory, IOAPIC_DEFAULT_BASE, &s->mmio);
    return true;
}

static void ioapic_reset(DeviceState *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    s->ioregsel = 0;
    s->id = s->id_prop & 0xf;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->rte[i] = IOAPIC_RTE_MASKED;
    }
    /* The input levels follow the wires, not the reset. */
}

static void ioapic_unrealize(DeviceState *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    memory_region_destroy(&s->mmio);
    free(s->inputs);
    s->inputs = NULL;
}

static const VMStateField ioapic_vmstate_fields[] = {
    VMSTATE_U8(IOAPICState, ioregsel),
    VMSTATE_U8(IOAPICState, id),
    VMSTATE_U64_ARRAY(IOAPICState, rte),
    VMSTATE_U32(IOAPICState, irr),
    VMSTATE_END,
};

static const VMStateDescription ioapic_vmstate = {
    .name = "ioapic",
    .version = 1,
    .fields = ioapic_vmstate_fields,
};

static const Property ioapic_props[] = {
    DEFINE_PROP_U8("id", IOAPICState, id_prop, 0, "I/O APIC ID at reset (as in the MADT)"),
    DEFINE_PROP_END,
};

static const DeviceInfo ioapic_info = {
    .name = "ioapic",
    .desc = "I/O APIC (82093AA / ICH, version 0x20)",
    .bus = BUS_SYSTEM,
    .size = sizeof(IOAPICState),
    .props = ioapic_props,
    .realize = ioapic_realize,
    .reset = ioapic_reset,
    .unrealize = ioapic_unrealize,
    .vmstate = &ioapic_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(ioapic_info);
