/*
 * Intel 82371SB PIIX3 function 0, the PCI-to-ISA bridge at 01.0: PCI
 * interrupt routing (PIRQRC[A:D]) and the reset control register at 0xCF9.
 *
 * Reference: Intel 82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator
 * datasheet, section 2.2 (PCI configuration registers: PIRQRC at 0x60-0x63)
 * and the reset control register (RC) at I/O 0xCF9.
 *
 * Choices worth knowing:
 * - A PIRQ routed to ISA IRQ n drives PIC input n ORed with whatever ISA
 *   device also drives IRQ n (the bus keeps the PCI half in
 *   pci_isa_irq_levels so the board can OR it in the other direction), and
 *   always IOAPIC input 16 + PIRQ, as on QEMU's and every ACPI-described
 *   i440FX board (the IOAPIC lines are not shared with ISA).
 * - PIRQRC: bit 7 set disables routing; IRQs 0-2, 8 and 13 are reserved
 *   and treated as disabled, as the datasheet says.
 * - RC (0xCF9): a 0->1 transition of RCPU (bit 2) resets.  SRST (bit 1)
 *   chooses a hard reset over an INIT-only soft reset; with no separate
 *   CPU INIT path here, both reset the whole machine (soft is logged).
 * - The ELCR (0x4D0/0x4D1) lives with the PIC, not here.
 */
#include "core/log.h"
#include "hw/pci/pci.h"

#define PIIX3_PIRQRC 0x60
#define PIRQRC_DISABLE 0x80
#define PIRQRC_IRQ_MASK 0x0f

#define RC_SRST 0x02 /* system reset: hard */
#define RC_RCPU 0x04 /* reset CPU: 0->1 starts the reset */
#define RC_MASK 0x0e

typedef struct PIIX3State {
    PCIDevice pci;
    uint8_t pirq_level[PCI_NUM_PINS];
    uint8_t reset_control;
    uint16_t pic_levels; /* what this bridge last drove on PIC inputs, bit per IRQ */
} PIIX3State;

/* The ISA IRQ PIRQ n is routed to, or -1. */
static int piix3_pirq_route(PIIX3State *s, int pirq)
{
    uint8_t r = s->pci.config[PIIX3_PIRQRC + pirq];
    int irq = r & PIRQRC_IRQ_MASK;
    if ((r & PIRQRC_DISABLE) || irq <= 2 || irq == 8 || irq == 13) {
        return -1;
    }
    return irq;
}

static void piix3_update_irqs(PIIX3State *s)
{
    PCIBus *bus = s->pci.bus;
    Machine *m = s->pci.qdev.machine;
    uint16_t levels = 0;
    for (int p = 0; p < PCI_NUM_PINS; p++) {
        int irq = piix3_pirq_route(s, p);
        if (irq >= 0 && s->pirq_level[p]) {
            levels |= 1u << irq;
        }
    }
    bus->pci_isa_irq_levels = levels;
    IRQState *pic_in = bus->pic_in ? *bus->pic_in : NULL;
    uint16_t changed = levels ^ s->pic_levels;
    s->pic_levels = levels;
    /*
     * A PIRQ routed to ISA IRQ n drives that PIC input and also IOAPIC pin n:
     * with ACPI's link devices (LNKA-D) the OS uses the ISA IRQ in APIC mode too.
     */
    IRQState *ioapic_in = bus->ioapic_in ? *bus->ioapic_in : NULL;
    for (int irq = 0; irq < ISA_NUM_IRQS; irq++) {
        if (changed & (1u << irq)) {
            int isa_level = m->isa_irqs ? irq_get_level(&m->isa_irqs[irq]) : 0;
            int level = ((levels >> irq) & 1) || isa_level;
            if (pic_in) {
                irq_set(&pic_in[irq], level);
            }
            if (ioapic_in) {
                irq_set(&ioapic_in[irq == 0 ? 2 : irq], level);
            }
        }
    }
}

static void piix3_set_pirq(void *opaque, int pirq, int level)
{
    PIIX3State *s = opaque;
    if (pirq < 0 || pirq >= PCI_NUM_PINS) {
        return;
    }
    s->pirq_level[pirq] = level != 0;
    IRQState *ioapic_in = s->pci.bus->ioapic_in ? *s->pci.bus->ioapic_in : NULL;
    if (ioapic_in) {
        irq_set(&ioapic_in[16 + pirq], level);
    }
    piix3_update_irqs(s);
}

static void piix3_config_write(PCIDevice *d, uint32_t addr, uint32_t val, int len)
{
    if (addr < PIIX3_PIRQRC + PCI_NUM_PINS && PIIX3_PIRQRC < addr + len) {
        piix3_update_irqs((PIIX3State *)d);
    }
}

static uint8_t piix3_rc_read(void *opaque)
{
    PIIX3State *s = opaque;
    return s->reset_control;
}

static void piix3_rc_write(void *opaque, uint8_t val)
{
    PIIX3State *s = opaque;
    bool start = (val & RC_RCPU) && !(s->reset_control & RC_RCPU);
    /* RCPU reads back 0: the reset it started has happened by the next access. */
    s->reset_control = val & (RC_MASK & ~RC_RCPU);
    if (start) {
        if (!(val & RC_SRST)) {
            log_unimp("piix3: soft reset (INIT only) through 0xcf9 done as a full reset\n");
        }
        machine_request_reset(s->pci.qdev.machine, SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static bool piix3_realize(DeviceState *dev, Error **errp)
{
    PIIX3State *s = (PIIX3State *)dev;
    if (!pci_device_realize(&s->pci, errp)) {
        return false;
    }
    PCIDevice *d = &s->pci;
    PCIBus *bus = d->bus;
    if (bus->set_pirq) {
        pci_device_unrealize(d);
        error_setg(errp, "the PCI bus already has an interrupt router");
        return false;
    }
    pci_config_set_ids(d, 0x8086, 0x7000, 0x00, 0x060100);
    d->config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI_FUNCTION;
    d->config_write = piix3_config_write;
    for (int i = 0; i < PCI_NUM_PINS; i++) {
        d->wmask[PIIX3_PIRQRC + i] = PIRQRC_DISABLE | PIRQRC_IRQ_MASK;
    }
    bus->set_pirq = piix3_set_pirq;
    bus->pirq_opaque = s;
    bus->reset_control_read = piix3_rc_read;
    bus->reset_control_write = piix3_rc_write;
    bus->reset_control_opaque = s;
    return true;
}

static void piix3_unrealize(DeviceState *dev)
{
    PIIX3State *s = (PIIX3State *)dev;
    PCIBus *bus = s->pci.bus;
    if (bus && bus->pirq_opaque == s) {
        bus->set_pirq = NULL;
        bus->pirq_opaque = NULL;
        bus->reset_control_read = NULL;
        bus->reset_control_write = NULL;
        bus->reset_control_opaque = NULL;
        bus->pci_isa_irq_levels = 0;
    }
    pci_device_unrealize(&s->pci);
}

static void piix3_reset(DeviceState *dev)
{
    PIIX3State *s = (PIIX3State *)dev;
    PCIDevice *d = &s->pci;
    pci_device_reset(d);
    /* Datasheet defaults: I/O, memory and bus master on; PIRQs unrouted. */
    pci_set_word(&d->config[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                 PCI_COMMAND_MASTER);
    for (int i = 0; i < PCI_NUM_PINS; i++) {
        d->config[PIIX3_PIRQRC + i] = PIRQRC_DISABLE;
    }
    s->reset_control = 0;
    piix3_update_irqs(s);
}

static int piix3_post_load(void *opaque)
{
    PIIX3State *s = opaque;
    for (int i = 0; i < PCI_NUM_PINS; i++) {
        s->pirq_level[i] = s->pirq_level[i] != 0;
        s->pci.config[PIIX3_PIRQRC + i] &= PIRQRC_DISABLE | PIRQRC_IRQ_MASK;
    }
    s->reset_control &= RC_MASK & ~RC_RCPU;
    pci_device_post_load(&s->pci);
    s->pic_levels = ~s->pci.bus->pci_isa_irq_levels; /* redrive every line */
    piix3_update_irqs(s);
    return 0;
}

static const VMStateField piix3_vmstate_fields[] = {
    VMSTATE_STRUCT(PIIX3State, pci, &pci_device_vmstate),
    VMSTATE_U8_ARRAY(PIIX3State, pirq_level),
    VMSTATE_U8(PIIX3State, reset_control),
    VMSTATE_END,
};

static const VMStateDescription piix3_vmstate = {
    .name = "PIIX3",
    .version = 1,
    .fields = piix3_vmstate_fields,
    .post_load = piix3_post_load,
};

static const Property piix3_props[] = {
    DEFINE_PROP_PCI_ADDR(PIIX3State, pci),
    DEFINE_PROP_END,
};

static const DeviceInfo piix3_info = {
    .name = "PIIX3",
    .desc = "Intel 82371SB PCI-to-ISA bridge (PIRQ routing, reset control)",
    .bus = BUS_PCI,
    .size = sizeof(PIIX3State),
    .props = piix3_props,
    .realize = piix3_realize,
    .unrealize = piix3_unrealize,
    .reset = piix3_reset,
    .vmstate = &piix3_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(piix3_info);
