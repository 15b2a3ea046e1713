/*
 * High Precision Event Timer ("hpet").
 *
 * Reference: IA-PC HPET (High Precision Event Timers) Specification 1.0a
 * (register map 2.3, capabilities, configuration, interrupt status, main
 * counter, timer N configuration and comparators, periodic mode and
 * Tn_VAL_SET_CNF, legacy replacement routing 2.3.9.2.2).
 *
 * Choices worth knowing:
 * - 3 timers, a 64-bit main counter ticking every 10 ns (period 10,000,000
 *   fs) of CLOCK_VIRTUAL while ENABLE_CNF is set; writable at any time (the
 *   spec asks software to halt it first).
 * - Every timer has 64-bit comparators (SIZE_CAP) and may be put in 32-bit
 *   mode (Tn_32MODE_CNF), where the comparator and the match use the low 32
 *   bits of the counter.  Only timer 0 is periodic-capable, as on Intel
 *   chipsets.  FSB (MSI) delivery is not offered.
 * - INT_ROUTE_CAP: each timer may use IOAPIC inputs 20-23 (the inputs the
 *   ISA lines and the PCI INTx lines 16-19 leave free).  A route outside the
 *   capability is logged and delivers nothing.
 * - Level-triggered timers set their interrupt status bit on a match (even
 *   with Tn_INT_ENB_CNF clear) and hold the line while the bit is set and
 *   the interrupt is enabled; writing 1 clears it.  Edge-triggered timers
 *   pulse the line and leave the status bit at 0.
 * - Periodic mode: a comparator write with Tn_VAL_SET_CNF sets both the
 *   comparator and the period (and clears VAL_SET); without it only the
 *   period changes.  On each match the comparator advances by the period.
 * - Legacy replacement (LEG_RT_CNF): timer 0 drives ISA IRQ 0 (IOAPIC input
 *   2 through the board's fan-out) and timer 1 ISA IRQ 8, whatever their
 *   INT_ROUTE says; the board's legacy hook cuts off the PIT (and RTC).
 */
#include "hw/timer/hpet.h"

#include "core/log.h"
#include "core/timer.h"

#include <inttypes.h>

#define HPET_MMIO_SIZE 0x400
#define HPET_NUM_TIMERS 3
#define HPET_PERIOD_FS 10000000ull /* 10 ns */
#define HPET_NS_PER_TICK 10
#define HPET_VENDOR_INTEL 0x8086
#define HPET_REV_ID 1
#define HPET_ROUTE_CAP 0x00f00000u /* IOAPIC inputs 20-23 */

enum {
    HPET_REG_CAP = 0x000,
    HPET_REG_CONFIG = 0x010,
    HPET_REG_STATUS = 0x020,
    HPET_REG_COUNTER = 0x0f0,
    HPET_REG_TIMER0 = 0x100, /* + 0x20 * n: config, comparator, FSB route */
};

#define HPET_CFG_ENABLE (1ull << 0)
#define HPET_CFG_LEGACY (1ull << 1)

#define HPET_TN_INT_LEVEL (1ull << 1)
#define HPET_TN_INT_ENB (1ull << 2)
#define HPET_TN_PERIODIC (1ull << 3)
#define HPET_TN_PER_CAP (1ull << 4)
#define HPET_TN_SIZE_CAP (1ull << 5)
#define HPET_TN_VAL_SET (1ull << 6)
#define HPET_TN_32BIT (1ull << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_ROUTE_MASK (0x1full << HPET_TN_ROUTE_SHIFT)
#define HPET_TN_WRITABLE (HPET_TN_INT_LEVEL | HPET_TN_INT_ENB | HPET_TN_PERIODIC | \
                          HPET_TN_VAL_SET | HPET_TN_32BIT | HPET_TN_ROUTE_MASK)

typedef struct HpetState HpetState;

typedef struct HpetTimer {
    HpetState *hpet;
    int index;
    Timer *timer;
    uint64_t config;     /* writable bits only; capabilities are added on read */
    uint64_t comparator;
    uint64_t period;
    IRQState *line;      /* where the interrupt output is driven now, or NULL */
    int32_t line_level;
} HpetTimer;

struct HpetState {
    DeviceState parent;

    MemoryRegion mmio;
    IRQState *ioapic_in;
    void (*legacy_hook)(void *opaque, bool legacy);
    void *legacy_opaque;

    uint64_t config;
    uint64_t status;
    uint64_t counter;   /* while halted: the value; while running: the value at enable_ns */
    int64_t enable_ns;
    HpetTimer timers[HPET_NUM_TIMERS];
};

static int64_t hpet_now(HpetState *s)
{
    return clock_get_ns(machine_vclock(s->parent.machine));
}

static bool hpet_enabled(const HpetState *s)
{
    return s->config & HPET_CFG_ENABLE;
}

static uint64_t hpet_counter(HpetState *s)
{
    if (!hpet_enabled(s)) {
        return s->counter;
    }
    return s->counter + (uint64_t)(hpet_now(s) - s->enable_ns) / HPET_NS_PER_TICK;
}

static uint64_t hpet_timer_caps(const HpetTimer *t)
{
    return ((uint64_t)HPET_ROUTE_CAP << 32) | HPET_TN_SIZE_CAP |
           (t->index == 0 ? HPET_TN_PER_CAP : 0);
}

static bool hpet_timer_32bit(const HpetTimer *t)
{
    return t->config & HPET_TN_32BIT;
}

/* Where timer t's interrupt goes now. */
static IRQState *hpet_timer_target(HpetTimer *t)
{
    HpetState *s = t->hpet;
    Machine *m = s->parent.machine;

    if ((s->config & HPET_CFG_LEGACY) && t->index < 2) {
        return m->isa_irqs ? &m->isa_irqs[t->index == 0 ? 0 : 8] : NULL;
    }
    unsigned route = (unsigned)((t->config & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT);
    if (!(HPET_ROUTE_CAP & (1u << route)) || !s->ioapic_in) {
        return NULL;
    }
    return &s->ioapic_in[route];
}

/* Drive the level-triggered output from the status bit and the enable. */
static void hpet_timer_update_line(HpetTimer *t)
{
    HpetState *s = t->hpet;
    IRQState *target = hpet_timer_target(t);
    int level = (t->config & HPET_TN_INT_LEVEL) && (t->config & HPET_TN_INT_ENB) &&
                (s->status & (1u << t->index));

    if (t->line && t->line != target && t->line_level) {
        irq_lower(t->line);
        t->line_level = 0;
    }
    t->line = target;
    if (target && level != t->line_level) {
        irq_set(target, level);
        t->line_level = level;
    }
}

static void hpet_timer_fire(HpetTimer *t)
{
    HpetState *s = t->hpet;

    if (t->config & HPET_TN_INT_LEVEL) {
        s->status |= 1u << t->index;
        hpet_timer_update_line(t);
        return;
    }
    if (!(t->config & HPET_TN_INT_ENB)) {
        return;
    }
    IRQState *target = hpet_timer_target(t);
    if (target) {
        irq_pulse(target);
    } else {
        log_guest_error("hpet: timer %d routed to IOAPIC input %u, outside its "
                        "capability\n", t->index,
                        (unsigned)((t->config & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT));
    }
}

/* Arm the host timer for the next counter value that equals the comparator. */
static void hpet_timer_rearm(HpetTimer *t)
{
    HpetState *s = t->hpet;

    if (!hpet_enabled(s)) {
        timer_del(t->timer);
        return;
    }
    uint64_t now_count = hpet_counter(s);
    uint64_t mask = hpet_timer_32bit(t) ? 0xffffffffull : ~0ull;
    uint64_t diff = (t->comparator - now_count) & mask;
    if (diff == 0) {
        diff = mask; /* just matched: the next match is a full wrap away */
        if (mask == ~0ull) {
            timer_del(t->timer);
            return;
        }
        diff++;
    }
    /* Beyond about 29 years of virtual time the match never comes in practice. */
    if (diff > (uint64_t)INT64_MAX / (2 * HPET_NS_PER_TICK)) {
        timer_del(t->timer);
        return;
    }
    uint64_t ticks_now = now_count - s->counter; /* ticks since enable */
    timer_mod(t->timer, s->enable_ns + (int64_t)((ticks_now + diff) * HPET_NS_PER_TICK));
}

static void hpet_timer_cb(void *opaque)
{
    HpetTimer *t = opaque;
    uint64_t mask = hpet_timer_32bit(t) ? 0xffffffffull : ~0ull;

    hpet_timer_fire(t);
    if ((t->config & HPET_TN_PERIODIC) && t->period) {
        /*
         * The main loop may run this late, after several periods: step the
         * comparator past the counter in one go (the missed interrupts
         * coalesce, as a late PIT tick does) instead of leaving it behind,
         * where the next match would be a whole counter wrap away.
         */
        uint64_t behind = (hpet_counter(t->hpet) - t->comparator) & mask;
        uint64_t periods = behind < (mask >> 1) ? behind / t->period + 1 : 1;
        t->comparator = (t->comparator + periods * t->period) & mask;
    }
    hpet_timer_rearm(t);
}

static void hpet_rearm_all(HpetState *s)
{
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        hpet_timer_rearm(&s->timers[i]);
    }
}

static void hpet_update_lines(HpetState *s)
{
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        hpet_timer_update_line(&s->timers[i]);
    }
}

/* ---- registers (64-bit, reached with 32- or 64-bit accesses) ---- */

static uint64_t hpet_reg_read(HpetState *s, uint64_t reg)
{
    switch (reg) {
    case HPET_REG_CAP:
        return (HPET_PERIOD_FS << 32) | ((uint64_t)HPET_VENDOR_INTEL << 16) |
               (1u << 15) /* LEG_RT_CAP */ | (1u << 13) /* COUNT_SIZE_CAP */ |
               ((uint64_t)(HPET_NUM_TIMERS - 1) << 8) | HPET_REV_ID;
    case HPET_REG_CONFIG:
        return s->config;
    case HPET_REG_STATUS:
        return s->status;
    case HPET_REG_COUNTER:
        return hpet_counter(s);
    }
    if (reg >= HPET_REG_TIMER0 && reg < HPET_REG_TIMER0 + 0x20 * HPET_NUM_TIMERS) {
        HpetTimer *t = &s->timers[(reg - HPET_REG_TIMER0) / 0x20];
        switch (reg & 0x1f) {
        case 0x00:
            return t->config | hpet_timer_caps(t);
        case 0x08:
            return hpet_timer_32bit(t) ? t->comparator & 0xffffffffull : t->comparator;
        default:
            return 0; /* FSB route: FSB delivery is not offered */
        }
    }
    return 0;
}

static void hpet_set_config(HpetState *s, uint64_t val)
{
    uint64_t old = s->config;
    uint64_t count = hpet_counter(s);

    s->config = val & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    if ((old ^ s->config) & HPET_CFG_ENABLE) {
        /* Keep the count across the transition; it runs from here. */
        s->counter = count;
        s->enable_ns = hpet_now(s);
    }
    if (((old ^ s->config) & HPET_CFG_LEGACY) && s->legacy_hook) {
        s->legacy_hook(s->legacy_opaque, s->config & HPET_CFG_LEGACY);
    }
    hpet_update_lines(s);
    hpet_rearm_all(s);
}

static void hpet_timer_write_config(HpetTimer *t, uint64_t val)
{
    uint64_t v = val & HPET_TN_WRITABLE;

    if (t->index != 0 && (v & HPET_TN_PERIODIC)) {
        log_guest_error("hpet: timer %d is not periodic-capable\n", t->index);
        v &= ~HPET_TN_PERIODIC;
    }
    if (val & (1ull << 14)) {
        log_unimp("hpet: timer %d FSB delivery\n", t->index);
    }
    t->config = v;
    if (hpet_timer_32bit(t)) {
        t->comparator &= 0xffffffffull;
        t->period &= 0xffffffffull;
    }
    if (!(v & HPET_TN_INT_LEVEL)) {
        t->hpet->status &= ~(1ull << t->index); /* edge mode: the status bit reads 0 */
    }
    hpet_timer_update_line(t);
    hpet_timer_rearm(t);
}

static void hpet_timer_write_comparator(HpetTimer *t, uint64_t val)
{
    if (hpet_timer_32bit(t)) {
        val &= 0xffffffffull;
    }
    if (!(t->config & HPET_TN_PERIODIC) || (t->config & HPET_TN_VAL_SET)) {
        t->comparator = val;
    }
    if (t->config & HPET_TN_PERIODIC) {
        t->period = val;
    }
    t->config &= ~HPET_TN_VAL_SET;
    hpet_timer_rearm(t);
}

static void hpet_reg_write(HpetState *s, uint64_t reg, uint64_t val)
{
    switch (reg) {
    case HPET_REG_CAP:
        log_guest_error("hpet: write to the capabilities register\n");
        return;
    case HPET_REG_CONFIG:
        hpet_set_config(s, val);
        return;
    case HPET_REG_STATUS:
        s->status &= ~val;
        hpet_update_lines(s);
        return;
    case HPET_REG_COUNTER:
        if (hpet_enabled(s)) {
            log_guest_error("hpet: main counter written while running\n");
        }
        s->counter = val;
        s->enable_ns = hpet_now(s);
        hpet_rearm_all(s);
        return;
    }
    if (reg >= HPET_REG_TIMER0 && reg < HPET_REG_TIMER0 + 0x20 * HPET_NUM_TIMERS) {
        HpetTimer *t = &s->timers[(reg - HPET_REG_TIMER0) / 0x20];
        switch (reg & 0x1f) {
        case 0x00:
            hpet_timer_write_config(t, val);
            return;
        case 0x08:
            hpet_timer_write_comparator(t, val);
            return;
        default:
            return; /* FSB route: not offered */
        }
    }
    log_guest_error("hpet: write %#" PRIx64 " to reserved offset %#" PRIx64 "\n", val, reg);
}

/*
 * A 32-bit access reaches half of a 64-bit register: reads take the half,
 * writes merge into the other half's current value (for the comparator in
 * periodic mode that is the comparator's, as written by software last).
 */
static uint64_t hpet_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    HpetState *s = opaque;
    uint64_t val = hpet_reg_read(s, offset & ~7ull);
    return size == 8 ? val : (uint32_t)(val >> ((offset & 4) * 8));
}

static void hpet_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    HpetState *s = opaque;
    uint64_t reg = offset & ~7ull;

    if (size == 4) {
        uint64_t old = hpet_reg_read(s, reg);
        if (reg == HPET_REG_STATUS) {
            old = 0; /* write-1-to-clear: the other half must not clear anything */
        } else if (reg >= HPET_REG_TIMER0 && (reg & 0x1f) == 0x00) {
            old &= ~hpet_timer_caps(&s->timers[(reg - HPET_REG_TIMER0) / 0x20]);
        } else if (reg >= HPET_REG_TIMER0 && (reg & 0x1f) == 0x08) {
            HpetTimer *t = &s->timers[(reg - HPET_REG_TIMER0) / 0x20];
            if ((t->config & HPET_TN_PERIODIC) && !(t->config & HPET_TN_VAL_SET)) {
                old = t->period;
            }
        }
        value = offset & 4 ? (old & 0xffffffffull) | (value << 32)
                           : (old & 0xffffffff00000000ull) | (uint32_t)value;
    }
    hpet_reg_write(s, reg, value);
}

static const MemoryRegionOps hpet_mmio_ops = {
    .read = hpet_mmio_read,
    .write = hpet_mmio_write,
    .valid = {.min_access_size = 4, .max_access_size = 8},
    .impl = {.min_access_size = 4, .max_access_size = 8},
};

void hpet_connect_ioapic(DeviceState *dev, IRQState *ioapic_in)
{
    HpetState *s = (HpetState *)dev;
    s->ioapic_in = ioapic_in;
}

void hpet_set_legacy_hook(DeviceState *dev, void (*fn)(void *opaque, bool legacy), void *opaque)
{
    HpetState *s = (HpetState *)dev;
    s->legacy_hook = fn;
    s->legacy_opaque = opaque;
}

static bool hpet_realize(DeviceState *dev, Error **errp)
{
    HpetState *s = (HpetState *)dev;
    Machine *m = dev->machine;

    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HpetTimer *t = &s->timers[i];
        t->hpet = s;
        t->index = i;
        t->timer = timer_new(machine_vclock(m), hpet_timer_cb, t);
    }
    memory_region_init_io(&s->mmio, "hpet", &hpet_mmio_ops, s, HPET_MMIO_SIZE);
    memory_region_add_subregion(&m->system_memory, HPET_DEFAULT_BASE, &s->mmio);
    return true;
}

static void hpet_reset(DeviceState *dev)
{
    HpetState *s = (HpetState *)dev;
    bool was_legacy = s->config & HPET_CFG_LEGACY;

    s->config = 0;
    s->status = 0;
    s->counter = 0;
    s->enable_ns = 0;
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        HpetTimer *t = &s->timers[i];
        t->config = 0;
        t->comparator = ~0ull; /* the spec's reset value: all ones */
        t->period = 0;
        timer_del(t->timer);
    }
    hpet_update_lines(s);
    if (was_legacy && s->legacy_hook) {
        s->legacy_hook(s->legacy_opaque, false);
    }
}

static void hpet_unrealize(DeviceState *dev)
{
    HpetState *s = (HpetState *)dev;
    memory_region_destroy(&s->mmio);
    for (int i = 0; i < HPET_NUM_TIMERS; i++) {
        timer_free(s->timers[i].timer);
        s->timers[i].timer = NULL;
    }
}

static int hpet_post_load(void *opaque)
{
    HpetState *s = opaque;
    /* enable_ns is relative to the virtual clock, which migrates with the machine. */
    hpet_update_lines(s);
    hpet_rearm_all(s);
    return 0;
}

static const VMStateField hpet_timer_vmstate_fields[] = {
    VMSTATE_U64(HpetTimer, config),
    VMSTATE_U64(HpetTimer, comparator),
    VMSTATE_U64(HpetTimer, period),
    VMSTATE_I32(HpetTimer, line_level),
    VMSTATE_END,
};

static const VMStateDescription hpet_timer_vmstate = {
    .name = "hpet-timer",
    .version = 1,
    .fields = hpet_timer_vmstate_fields,
};

static const VMStateField hpet_vmstate_fields[] = {
    VMSTATE_U64(HpetState, config),
    VMSTATE_U64(HpetState, status),
    VMSTATE_U64(HpetState, counter),
    VMSTATE_I64(HpetState, enable_ns),
    VMSTATE_STRUCT(HpetState, timers[0], &hpet_timer_vmstate),
    VMSTATE_STRUCT(HpetState, timers[1], &hpet_timer_vmstate),
    VMSTATE_STRUCT(HpetState, timers[2], &hpet_timer_vmstate),
    VMSTATE_END,
};

static const VMStateDescription hpet_vmstate = {
    .name = "hpet",
    .version = 1,
    .fields = hpet_vmstate_fields,
    .post_load = hpet_post_load,
};

static const DeviceInfo hpet_info = {
    .name = "hpet",
    .desc = "High Precision Event Timer (3 timers, 100 MHz)",
    .bus = BUS_SYSTEM,
    .size = sizeof(HpetState),
    .realize = hpet_realize,
    .reset = hpet_reset,
    .unrealize = hpet_unrealize,
    .vmstate = &hpet_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(hpet_info);
