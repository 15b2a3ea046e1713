/*
 * The PC's two 8259A programmable interrupt controllers ("i8259"), modelled as
 * one machine-internal device: the master at 0x20/0x21 takes ISA IRQ 0-7, the
 * slave at 0xa0/0xa1 takes IRQ 8-15 and drives the master's IR2, and the
 * PIIX's edge/level control registers (ELCR) sit at 0x4d0/0x4d1.
 *
 * Reference: Intel 8259A Programmable Interrupt Controller datasheet
 * (ICW1-ICW4, OCW1-OCW3, priority rotation, special mask mode, poll command,
 * the default IR7 on a request that vanished before INTA) and the Intel
 * 82371AB (PIIX4) datasheet for the ELCR (bits for IRQ 0, 1, 2, 8 and 13 are
 * read-only 0: those lines are always edge triggered).
 *
 * Choices worth knowing:
 * - An input line's level is tracked per pin.  In edge mode a rising edge sets
 *   the IRR bit and the INTA (or poll) clears it; in level mode IRR follows the
 *   pin.  In both modes a line that drops before INTA withdraws its request, as
 *   on the 8259A, which then answers INTA with the IR7 (spurious) vector.  Edge
 *   devices must therefore hold their line until the guest services them, as
 *   real ISA cards do; a zero-length pulse is lost.
 * - The slave's INT output feeds master IR2 like any other pin.  During the
 *   INTA cycle the slave's INT is dropped and re-evaluated, so a slave that
 *   still has a request after being acknowledged (AEOI) gives the master the
 *   fresh edge it needs.
 * - ISA IRQ 2 driven from outside goes nowhere: on a PC IR2 is the cascade.
 * - Only the 8086 mode matters on a PC; MCS-80/85 mode, buffered mode and the
 *   special fully nested mode are stored and logged as unimplemented (the
 *   latter behaves as the plain fully nested mode).
 * - A poll with nothing pending reads 0x07 (the I bit clear).
 */
#include "hw/intc/i8259.h"

#include "core/log.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE 0xa0
#define PIC_ELCR_BASE 0x4d0
#define PIC_CASCADE_IRQ 2

/* ICW1 */
#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SELECT 0x10
/* ICW4 */
#define ICW4_UPM 0x01
#define ICW4_AEOI 0x02
#define ICW4_BUF 0x08
#define ICW4_SFNM 0x10
/* OCW3 */
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SELECT 0x08
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40

/* Where the chip is in its initialization sequence. */
enum {
    PIC_INIT_DONE = 0,
    PIC_INIT_ICW2,
    PIC_INIT_ICW3,
    PIC_INIT_ICW4,
};

typedef struct PicChip {
    uint8_t irr;    /* interrupt request register */
    uint8_t isr;    /* in-service register */
    uint8_t imr;    /* interrupt mask register (OCW1) */
    uint8_t pins;   /* current input levels, for edge detection */
    uint8_t elcr;   /* PIIX ELCR: 1 = level triggered */
    uint8_t lowest; /* the IR with the lowest priority (7 after init) */
    uint8_t vector_base; /* ICW2 & 0xf8 */
    uint8_t icw3;
    uint8_t icw4;
    uint8_t init_step;
    bool ltim;           /* ICW1 LTIM: all lines level triggered */
    bool single;         /* ICW1 SNGL */
    bool icw4_needed;    /* ICW1 IC4 */
    bool auto_eoi;
    bool rotate_on_aeoi;
    bool special_mask;
    bool read_isr;       /* OCW3: the next read of A0=0 returns ISR, else IRR */
    bool poll;           /* OCW3 P: the next read is an acknowledge */
} PicChip;

typedef struct PicState {
    DeviceState dev;
    PicChip chips[2]; /* [0] master, [1] slave */
    IRQState *inputs;
    IRQState *intr;
    int intr_level;
    MemoryRegion io_master;
    MemoryRegion io_slave;
    MemoryRegion io_elcr;
} PicState;

/* ELCR bits that can be set: IRQ 0, 1, 2 and 8, 13 are hard-wired edge. */
static const uint8_t pic_elcr_writable[2] = {0xf8, 0xde};

static uint8_t pic_level_mask(const PicChip *c)
{
    return c->ltim ? 0xff : c->elcr;
}

/* Priority of IR irq: 0 is the highest, 7 the lowest. */
static int pic_priority(const PicChip *c, int irq)
{
    return (irq - c->lowest - 1) & 7;
}

/* The IR of the highest priority among bits, or -1. */
static int pic_best(const PicChip *c, uint8_t bits)
{
    if (!bits) {
        return -1;
    }
    for (int p = 0; p < 8; p++) {
        int irq = (c->lowest + 1 + p) & 7;
        if (bits & (1u << irq)) {
            return irq;
        }
    }
    return -1;
}

/* The IR this chip would deliver now, or -1 (its INT output is this >= 0). */
static int pic_pending_irq(const PicChip *c)
{
    int irq = pic_best(c, c->irr & ~c->imr);
    if (irq < 0) {
        return -1;
    }
    /* In special mask mode a masked in-service level does not hold back the others. */
    uint8_t blocking = c->special_mask ? c->isr & ~c->imr : c->isr;
    int busy = pic_best(c, blocking);
    if (busy >= 0 && pic_priority(c, busy) <= pic_priority(c, irq)) {
        return -1;
    }
    return irq;
}

static void pic_chip_set_pin(PicChip *c, int irq, int level)
{
    uint8_t bit = 1u << irq;
    if (level) {
        if ((pic_level_mask(c) & bit) || !(c->pins & bit)) {
            c->irr |= bit;
        }
        c->pins |= bit;
    } else {
        /* A request that goes away before INTA is withdrawn in both modes. */
        c->irr &= ~bit;
        c->pins &= ~bit;
    }
}

/* Propagate: slave INT -> master IR2, master INT -> the CPU's INTR. */
static void pic_update(PicState *s)
{
    PicChip *master = &s->chips[0], *slave = &s->chips[1];
    pic_chip_set_pin(master, PIC_CASCADE_IRQ, pic_pending_irq(slave) >= 0);
    int level = pic_pending_irq(master) >= 0;
    if (level != s->intr_level) {
        s->intr_level = level;
        if (s->intr) {
            irq_set(s->intr, level);
        }
    }
}

/* The acknowledge part of INTA or poll: IRR -> ISR (or AEOI). */
static void pic_chip_ack(PicChip *c, int irq)
{
    uint8_t bit = 1u << irq;
    if (!(pic_level_mask(c) & bit)) {
        c->irr &= ~bit; /* the edge is consumed; a new one is needed */
    }
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) {
            c->lowest = irq;
        }
    } else {
        c->isr |= bit;
    }
}

static void pic_input_handler(void *opaque, int n, int level)
{
    PicState *s = opaque;
    if (n < 0 || n >= 16) {
        return;
    }
    if (n == PIC_CASCADE_IRQ) {
        return; /* the cascade input belongs to the slave */
    }
    pic_chip_set_pin(&s->chips[n >> 3], n & 7, level);
    pic_update(s);
}

int i8259_ack(void *opaque)
{
    PicState *s = opaque;
    PicChip *master = &s->chips[0], *slave = &s->chips[1];
    int vector;

    int irq = pic_pending_irq(master);
    if (irq < 0) {
        /* The request vanished between INTR and INTA: the default IR7. */
        vector = master->vector_base | 7;
    } else {
        pic_chip_ack(master, irq);
        if (irq == PIC_CASCADE_IRQ && !master->single) {
            int slave_irq = pic_pending_irq(slave);
            if (slave_irq < 0) {
                vector = slave->vector_base | 7;
            } else {
                pic_chip_ack(slave, slave_irq);
                vector = slave->vector_base | slave_irq;
            }
            /* INT drops during the cycle; a request still left makes a new edge. */
            pic_chip_set_pin(master, PIC_CASCADE_IRQ, 0);
        } else {
            vector = master->vector_base | irq;
        }
    }
    pic_update(s);
    return vector;
}

/* The poll command: the read acts as INTA for this chip alone. */
static uint8_t pic_poll(PicState *s, PicChip *c)
{
    int irq = pic_pending_irq(c);
    if (irq < 0) {
        return 0x07;
    }
    pic_chip_ack(c, irq);
    if (c == &s->chips[1]) {
        pic_chip_set_pin(&s->chips[0], PIC_CASCADE_IRQ, 0);
    }
    pic_update(s);
    return 0x80 | irq;
}

static void pic_write_icw1(PicChip *c, uint8_t val)
{
    if (!(val & ICW1_IC4) || (val & 0xe0)) {
        log_unimp("i8259: ICW1 0x%02x selects MCS-80/85 mode; only 8086 mode is modelled\n",
                  val);
    }
    c->ltim = val & ICW1_LTIM;
    c->single = val & ICW1_SNGL;
    c->icw4_needed = val & ICW1_IC4;
    /* Initialization clears the mask, the in-service bits and the edge latches. */
    c->imr = 0;
    c->isr = 0;
    c->irr = c->pins & pic_level_mask(c);
    c->lowest = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_on_aeoi = false;
    if (!c->icw4_needed) {
        c->icw4 = 0;
        c->auto_eoi = false;
    }
    c->init_step = PIC_INIT_ICW2;
}

static void pic_write_icw4(PicChip *c, uint8_t val)
{
    c->icw4 = val;
    c->auto_eoi = val & ICW4_AEOI;
    if (!(val & ICW4_UPM)) {
        log_unimp("i8259: ICW4 0x%02x selects MCS-80/85 mode\n", val);
    }
    if (val & ICW4_SFNM) {
        log_unimp("i8259: special fully nested mode (ICW4 0x%02x)\n", val);
    }
    if (val & ICW4_BUF) {
        log_unimp("i8259: buffered mode (ICW4 0x%02x) has no effect\n", val);
    }
}

static void pic_write_ocw2(PicChip *c, uint8_t val)
{
    int level = val & 7;
    switch (val >> 5) {
    case 0: /* rotate in AEOI mode: clear */
        c->rotate_on_aeoi = false;
        break;
    case 4: /* rotate in AEOI mode: set */
        c->rotate_on_aeoi = true;
        break;
    case 1:   /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        int irq = pic_best(c, c->isr);
        if (irq < 0) {
            log_guest_error("i8259: non-specific EOI with nothing in service\n");
            break;
        }
        c->isr &= ~(1u << irq);
        if (val >> 5 == 5) {
            c->lowest = irq;
        }
        break;
    }
    case 3: /* specific EOI */
        c->isr &= ~(1u << level);
        break;
    case 7: /* rotate on specific EOI */
        c->isr &= ~(1u << level);
        c->lowest = level;
        break;
    case 6: /* set priority */
        c->lowest = level;
        break;
    default: /* 2: no operation */
        break;
    }
}

static void pic_chip_write(PicState *s, PicChip *c, unsigned a0, uint8_t val)
{
    if (a0 == 0) {
        if (val & ICW1_SELECT) {
            pic_write_icw1(c, val);
        } else if (val & OCW3_SELECT) {
            if (val & 0x80) {
                log_guest_error("i8259: OCW3 0x%02x has bit 7 set\n", val);
            }
            if (val & OCW3_POLL) {
                c->poll = true;
            }
            if (val & OCW3_RR) {
                c->read_isr = val & OCW3_RIS;
            }
            if (val & OCW3_ESMM) {
                c->special_mask = val & OCW3_SMM;
            }
        } else {
            pic_write_ocw2(c, val);
        }
    } else {
        switch (c->init_step) {
        case PIC_INIT_ICW2:
            c->vector_base = val & 0xf8;
            c->init_step = c->single ? (c->icw4_needed ? PIC_INIT_ICW4 : PIC_INIT_DONE)
                                     : PIC_INIT_ICW3;
            break;
        case PIC_INIT_ICW3:
            c->icw3 = val;
            c->init_step = c->icw4_needed ? PIC_INIT_ICW4 : PIC_INIT_DONE;
            break;
        case PIC_INIT_ICW4:
            pic_write_icw4(c, val);
            c->init_step = PIC_INIT_DONE;
            break;
        default: /* OCW1 */
            c->imr = val;
            break;
        }
    }
    pic_update(s);
}

static uint8_t pic_chip_read(PicState *s, PicChip *c, unsigned a0)
{
    if (c->poll) {
        c->poll = false;
        return pic_poll(s, c);
    }
    if (a0 == 0) {
        return c->read_isr ? c->isr : c->irr;
    }
    return c->imr;
}

static uint64_t pic_master_read(void *opaque, uint64_t offset, unsigned size)
{
    PicState *s = opaque;
    return pic_chip_read(s, &s->chips[0], offset & 1);
}

static void pic_master_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PicState *s = opaque;
    pic_chip_write(s, &s->chips[0], offset & 1, value);
}

static uint64_t pic_slave_read(void *opaque, uint64_t offset, unsigned size)
{
    PicState *s = opaque;
    return pic_chip_read(s, &s->chips[1], offset & 1);
}

static void pic_slave_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PicState *s = opaque;
    pic_chip_write(s, &s->chips[1], offset & 1, value);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
    PicState *s = opaque;
    return s->chips[offset & 1].elcr;
}

static void pic_elcr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PicState *s = opaque;
    unsigned i = offset & 1;
    if (value & ~pic_elcr_writable[i]) {
        log_guest_error("i8259: ELCR%u write 0x%02x sets read-only bits\n", i + 1,
                        (unsigned)value);
    }
    PicChip *c = &s->chips[i];
    c->elcr = value & pic_elcr_writable[i];
    /* A line that became level triggered requests while it is high. */
    c->irr |= c->pins & pic_level_mask(c);
    pic_update(s);
}

/* 8-bit registers: wider accesses become byte cycles on consecutive ports. */
static const MemoryRegionOps pic_master_ops = {
    .read = pic_master_read,
    .write = pic_master_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps pic_slave_ops = {
    .read = pic_slave_read,
    .write = pic_slave_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static const MemoryRegionOps pic_elcr_ops = {
    .read = pic_elcr_read,
    .write = pic_elcr_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

IRQState *i8259_inputs(DeviceState *dev)
{
    return ((PicState *)dev)->inputs;
}

void i8259_set_output(DeviceState *dev, IRQState *intr)
{
    PicState *s = (PicState *)dev;
    s->intr = intr;
    if (intr) {
        irq_set(intr, s->intr_level);
    }
}

static bool pic_realize(DeviceState *dev, Error **errp)
{
    PicState *s = (PicState *)dev;
    s->inputs = irq_allocate(pic_input_handler, s, 16);
    memory_region_init_io(&s->io_master, "pic-master", &pic_master_ops, s, 2);
    memory_region_init_io(&s->io_slave, "pic-slave", &pic_slave_ops, s, 2);
    memory_region_init_io(&s->io_elcr, "elcr", &pic_elcr_ops, s, 2);
    isa_register_ioport(dev, &s->io_master, PIC_MASTER_BASE);
    isa_register_ioport(dev, &s->io_slave, PIC_SLAVE_BASE);
    isa_register_ioport(dev, &s->io_elcr, PIC_ELCR_BASE);
    return true;
}

static void pic_unrealize(DeviceState *dev)
{
    PicState *s = (PicState *)dev;
    memory_region_destroy(&s->io_master);
    memory_region_destroy(&s->io_slave);
    memory_region_destroy(&s->io_elcr);
    free(s->inputs);
    s->inputs = NULL;
}

static void pic_reset(DeviceState *dev)
{
    PicState *s = (PicState *)dev;
    for (int i = 0; i < 2; i++) {
        PicChip *c = &s->chips[i];
        uint8_t pins = c->pins; /* the lines are outside the chip */
        memset(c, 0, sizeof(*c));
        c->pins = pins;
        c->lowest = 7;
    }
    pic_update(s);
}

static int pic_post_load(void *opaque)
{
    PicState *s = opaque;
    for (int i = 0; i < 2; i++) {
        PicChip *c = &s->chips[i];
        c->lowest &= 7;
        c->vector_base &= 0xf8;
        c->elcr &= pic_elcr_writable[i];
        if (c->init_step > PIC_INIT_ICW4) {
            c->init_step = PIC_INIT_DONE;
        }
    }
    s->intr_level = -1;
    pic_update(s);
    return 0;
}

static const VMStateField pic_chip_fields[] = {
    VMSTATE_U8(PicChip, irr),
    VMSTATE_U8(PicChip, isr),
    VMSTATE_U8(PicChip, imr),
    VMSTATE_U8(PicChip, pins),
    VMSTATE_U8(PicChip, elcr),
    VMSTATE_U8(PicChip, lowest),
    VMSTATE_U8(PicChip, vector_base),
    VMSTATE_U8(PicChip, icw3),
    VMSTATE_U8(PicChip, icw4),
    VMSTATE_U8(PicChip, init_step),
    VMSTATE_BOOL(PicChip, ltim),
    VMSTATE_BOOL(PicChip, single),
    VMSTATE_BOOL(PicChip, icw4_needed),
    VMSTATE_BOOL(PicChip, auto_eoi),
    VMSTATE_BOOL(PicChip, rotate_on_aeoi),
    VMSTATE_BOOL(PicChip, special_mask),
    VMSTATE_BOOL(PicChip, read_isr),
    VMSTATE_BOOL(PicChip, poll),
    VMSTATE_END,
};

static const VMStateDescription pic_chip_vmstate = {
    .name = "i8259-chip",
    .version = 1,
    .fields = pic_chip_fields,
};

static const VMStateField pic_fields[] = {
    VMSTATE_STRUCT(PicState, chips[0], &pic_chip_vmstate),
    VMSTATE_STRUCT(PicState, chips[1], &pic_chip_vmstate),
    VMSTATE_END,
};

static const VMStateDescription pic_vmstate = {
    .name = "i8259",
    .version = 1,
    .fields = pic_fields,
    .post_load = pic_post_load,
};

static const DeviceInfo pic_info = {
    .name = "i8259",
    .desc = "8259A master/slave interrupt controller pair with PIIX ELCR",
    .bus = BUS_SYSTEM,
    .size = sizeof(PicState),
    .realize = pic_realize,
    .unrealize = pic_unrealize,
    .reset = pic_reset,
    .vmstate = &pic_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(pic_info);
