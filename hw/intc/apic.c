/*
 * The local APIC in xAPIC mode ("apic"), one per vCPU.
 *
 * Reference: Intel SDM vol. 3A, chapter 10 "Advanced Programmable Interrupt
 * Controller (APIC)": register map (table 10-1), LVT (10.5.1), timer
 * (10.5.4), ESR (10.5.3), IPIs and the ICR (10.6), destinations (10.6.2),
 * priorities, IRR/ISR/TMR, EOI (10.8), SVR and disabling (10.4.3, 10.4.7,
 * 10.9).
 *
 * Choices worth knowing:
 * - The timer counts at a fixed 1 GHz bus clock (one tick per virtual
 *   nanosecond) before the divide configuration register, the same rate
 *   as the TSC.  The current count is computed from CLOCK_VIRTUAL; a Timer
 *   fires at expiry.
 * - Software-disabled (SVR[8] = 0): every LVT entry is masked and stays
 *   masked; fixed and lowest-priority messages are not accepted (dropped);
 *   NMI, INIT and start-up messages are still accepted (SDM 10.4.7.2).
 *   The IRR/ISR bits already set are kept.
 * - Hardware-disabled (IA32_APIC_BASE[11] = 0): the APIC returns to its
 *   power-up state and plays no part; LINT0 is the CPU's INTR and LINT1 its
 *   NMI, as on a processor without an APIC; the MMIO page reads all ones.
 * - INIT level de-assert IPIs are ignored, as on Pentium 4 and later.
 * - Lowest-priority delivery picks the target with the lowest arbitration
 *   priority (APR); ties go to the lowest CPU index.  Focus checking is not
 *   modelled.
 * - The page is not relocatable: a base other than 0xfee00000 in
 *   IA32_APIC_BASE is logged as unimplemented and the page stays put.
 * - Version 0x00050014: an integrated APIC (0x14) with max LVT entry 5
 *   (timer, thermal, performance, LINT0, LINT1, error), no EOI-broadcast
 *   suppression.
 */
#include "hw/intc/apic.h"

#include "core/log.h"
#include "core/timer.h"

#include <inttypes.h>

#define APIC_VERSION 0x00050014u
#define APIC_PAGE_SIZE 0x1000

/* Register offsets (>> 4 gives the register index). */
enum {
    APIC_REG_ID = 0x02,
    APIC_REG_VERSION = 0x03,
    APIC_REG_TPR = 0x08,
    APIC_REG_APR = 0x09,
    APIC_REG_PPR = 0x0a,
    APIC_REG_EOI = 0x0b,
    APIC_REG_RRD = 0x0c,
    APIC_REG_LDR = 0x0d,
    APIC_REG_DFR = 0x0e,
    APIC_REG_SVR = 0x0f,
    APIC_REG_ISR0 = 0x10,
    APIC_REG_TMR0 = 0x18,
    APIC_REG_IRR0 = 0x20,
    APIC_REG_ESR = 0x28,
    APIC_REG_ICR_LO = 0x30,
    APIC_REG_ICR_HI = 0x31,
    APIC_REG_LVT_TIMER = 0x32,
    APIC_REG_LVT_ERROR = 0x37,
    APIC_REG_TIMER_INIT = 0x38,
    APIC_REG_TIMER_CUR = 0x39,
    APIC_REG_TIMER_DCR = 0x3e,
};

enum {
    APIC_LVT_TIMER,
    APIC_LVT_THERMAL,
    APIC_LVT_PERF,
    APIC_LVT_LINT0,
    APIC_LVT_LINT1,
    APIC_LVT_ERROR,
    APIC_LVT_COUNT,
};

#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_LEVEL (1u << 15)      /* trigger mode (LINT0/1) */
#define APIC_LVT_REMOTE_IRR (1u << 14) /* LINT0/1, read-only */
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_TIMER_ONESHOT 0
#define APIC_TIMER_PERIODIC 1
#define APIC_TIMER_TSC_DEADLINE 2

/* Writable bits of each LVT entry. */
static const uint32_t apic_lvt_writable[APIC_LVT_COUNT] = {
    [APIC_LVT_TIMER] = 0x000700ff,   /* vector, mask, timer mode */
    [APIC_LVT_THERMAL] = 0x000107ff, /* vector, delivery mode, mask */
    [APIC_LVT_PERF] = 0x000107ff,
    [APIC_LVT_LINT0] = 0x0001a7ff,   /* + polarity, trigger mode */
    [APIC_LVT_LINT1] = 0x0001a7ff,
    [APIC_LVT_ERROR] = 0x000100ff,   /* vector, mask */
};

#define APIC_SVR_ENABLE (1u << 8)
#define APIC_SVR_WRITABLE 0x3ffu /* vector, enable, focus check disable */

/* ICR low: vector, delivery mode, destination mode, level, trigger, shorthand. */
#define APIC_ICR_WRITABLE 0x000ccfffu
#define APIC_ICR_LOGICAL (1u << 11)
#define APIC_ICR_LEVEL_ASSERT (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL (1u << 15)

/* ESR bits. */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER (1u << 7)

typedef struct ApicState {
    DeviceState parent;

    uint32_t cpu_index; /* property */

    CPUX86State *env;
    MemoryRegion mmio;  /* only the APIC of CPU 0 maps the page */
    bool owns_mmio;
    Timer *timer;
    void (*eoi_hook)(void *opaque, uint8_t vector);
    void *eoi_opaque;
    int (*extint_ack)(void *opaque);
    void *extint_opaque;

    /* Registers. */
    uint8_t id;
    uint8_t tpr;
    uint8_t ldr;        /* LDR[31:24] */
    uint8_t dfr_model;  /* DFR[31:28]: 0xf flat, 0x0 cluster */
    uint32_t svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr;         /* what ESR reads */
    uint32_t esr_pending; /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[APIC_LVT_COUNT];
    uint32_t timer_initial;
    uint32_t timer_dcr;
    int64_t timer_start;   /* virtual ns when the count was loaded */
    uint64_t tsc_deadline; /* 0 = disarmed */
    /* Input pins (not reset by INIT: they follow the wires). */
    int32_t lint_level[2];
    bool hw_enabled; /* IA32_APIC_BASE[11] as last seen */
} ApicState;

static void apic_update_irq(ApicState *s);
static void apic_timer_rearm(ApicState *s);
static void apic_error(ApicState *s, uint32_t bit);

/* ---- helpers on the 256-bit vector registers ---- */

static void vec_set(uint32_t *reg, int v)
{
    reg[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *reg, int v)
{
    reg[v >> 5] &= ~(1u << (v & 31));
}

static bool vec_test(const uint32_t *reg, int v)
{
    return reg[v >> 5] & (1u << (v & 31));
}

/* The highest vector set, or -1. */
static int vec_highest(const uint32_t *reg)
{
    for (int i = 7; i >= 0; i--) {
        if (reg[i]) {
            return i * 32 + 31 - __builtin_clz(reg[i]);
        }
    }
    return -1;
}

static ApicState *apic_of_cpu(CPUX86State *env)
{
    return env && env->intr_ops == apic_cpu_intr_ops() ? env->intr_opaque : NULL;
}

static bool apic_hw_enabled(const ApicState *s)
{
    return s->env && (s->env->apic_base & (1u << 11));
}

static bool apic_sw_enabled(const ApicState *s)
{
    return s->svr & APIC_SVR_ENABLE;
}

/* Processor priority (SDM 10.8.3.1). */
static uint8_t apic_ppr(const ApicState *s)
{
    int isrv = vec_highest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    return (s->tpr >> 4) >= (isr_class >> 4) ? s->tpr : isr_class;
}

/* Arbitration priority (SDM 10.8.3.1, "arbitration priority register"). */
static uint8_t apic_apr(const ApicState *s)
{
    int isrv = vec_highest(s->isr), irrv = vec_highest(s->irr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    uint8_t irr_class = irrv < 0 ? 0 : (uint8_t)(irrv & 0xf0);
    if ((s->tpr & 0xf0) >= isr_class && (s->tpr & 0xf0) >= irr_class) {
        return s->tpr;
    }
    return MAX(s->tpr & 0xf0, MAX(isr_class, irr_class));
}

/* The IRR vector the CPU would take now, or -1. */
static int apic_deliverable_vector(const ApicState *s)
{
    int irrv = vec_highest(s->irr);
    if (irrv < 0 || (irrv & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return -1;
    }
    return irrv;
}

/* Virtual wire: the 8259's INTR through LINT0 programmed as ExtINT. */
static bool apic_extint_pending(const ApicState *s)
{
    uint32_t lvt = s->lvt[APIC_LVT_LINT0];
    return s->lint_level[0] && !(lvt & APIC_LVT_MASKED) &&
           ((lvt >> 8) & 7) == APIC_DM_EXTINT;
}

/* Keep the CPU's INTR request equal to "an interrupt is deliverable". */
static void apic_update_irq(ApicState *s)
{
    CPUX86State *env = s->env;
    bool want;

    if (!env) {
        return;
    }
    if (!apic_hw_enabled(s)) {
        want = s->lint_level[0];
    } else {
        want = apic_extint_pending(s) || apic_deliverable_vector(s) >= 0;
    }
    if (want) {
        if (!(env->interrupt_request & CPU_INTERRUPT_HARD)) {
            x86_cpu_interrupt(env, CPU_INTERRUPT_HARD);
        }
    } else {
        x86_cpu_reset_interrupt(env, CPU_INTERRUPT_HARD);
    }
}

/* ---- accepting interrupts ---- */

/* A fixed interrupt arrives at this APIC. */
static void apic_set_irr(ApicState *s, uint8_t vector, bool level)
{
    if (vector < 16) {
        apic_error(s, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    vec_set(s->irr, vector);
    if (level) {
        vec_set(s->tmr, vector);
    } else {
        vec_clear(s->tmr, vector);
    }
    apic_update_irq(s);
}

/* Power-up and INIT state (SDM 10.4.7.1 and 10.4.7.3); the ID is the caller's business. */
static void apic_init_state(ApicState *s)
{
    s->tpr = 0;
    s->ldr = 0;
    s->dfr_model = 0xf;
    s->svr = 0xff;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < APIC_LVT_COUNT; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    s->timer_initial = 0;
    s->timer_dcr = 0;
    s->timer_start = 0;
    s->tsc_deadline = 0;
    if (s->timer) {
        timer_del(s->timer);
    }
}

/* Accept one message from the APIC bus (or a local source). */
static void apic_accept(ApicState *s, int mode, uint8_t vector, bool level)
{
    CPUX86State *env = s->env;

    if (!apic_hw_enabled(s)) {
        return;
    }
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (apic_sw_enabled(s)) {
            apic_set_irr(s, vector, level);
        }
        break;
    case APIC_DM_NMI:
        x86_cpu_interrupt(env, CPU_INTERRUPT_NMI);
        break;
    case APIC_DM_INIT:
        /* The CPU takes INIT; its APIC returns to the INIT state, keeping ID and base. */
        apic_init_state(s);
        apic_update_irq(s);
        x86_cpu_interrupt(env, CPU_INTERRUPT_INIT);
        break;
    case APIC_DM_STARTUP:
        env->sipi_vector = vector;
        x86_cpu_interrupt(env, CPU_INTERRUPT_SIPI);
        break;
    case APIC_DM_SMI:
        log_unimp("apic %d: SMI delivery (no SMM)\n", s->cpu_index);
        break;
    default:
        log_unimp("apic %d: delivery mode %d\n", s->cpu_index, mode);
        break;
    }
}

static void apic_error(ApicState *s, uint32_t bit)
{
    uint32_t lvt = s->lvt[APIC_LVT_ERROR];
    bool first = !(s->esr_pending & bit);

    s->esr_pending |= bit;
    /* An illegal error vector must not recurse into another error. */
    if (first && !(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16) {
        apic_set_irr(s, lvt & 0xff, false);
    }
}

/* A local interrupt source (timer, LINTn, ...) fires through its LVT entry. */
static void apic_local_interrupt(ApicState *s, int lvt_index)
{
    uint32_t lvt = s->lvt[lvt_index];
    int mode = lvt_index == APIC_LVT_TIMER || lvt_index == APIC_LVT_ERROR ? APIC_DM_FIXED
                                                                           : (lvt >> 8) & 7;
    if (lvt & APIC_LVT_MASKED) {
        return;
    }
    switch (mode) {
    case APIC_DM_FIXED:
        if (apic_sw_enabled(s)) {
            apic_set_irr(s, lvt & 0xff, (lvt_index == APIC_LVT_LINT0 ||
                                         lvt_index == APIC_LVT_LINT1) &&
                                            (lvt & APIC_LVT_LEVEL));
        }
        break;
    case APIC_DM_NMI:
    case APIC_DM_INIT:
    case APIC_DM_SMI:
        apic_accept(s, mode, lvt & 0xff, false);
        break;
    case APIC_DM_EXTINT:
        apic_update_irq(s); /* level-sensitive: followed in apic_update_irq */
        break;
    default:
        log_guest_error("apic %d: LVT %d has reserved delivery mode %d\n", s->cpu_index,
                        lvt_index, mode);
        break;
    }
}

/* ---- destinations and the bus ---- */

static bool apic_match_logical(const ApicState *s, uint8_t dest)
{
    if (s->dfr_model == 0xf) {
        return (s->ldr & dest) != 0;
    }
    /* Cluster model: high nibble the cluster (0xf: all), low nibble a bit per member. */
    if ((dest >> 4) != 0xf && (dest >> 4) != (s->ldr >> 4)) {
        return false;
    }
    return (s->ldr & dest & 0x0f) != 0;
}

static bool apic_match_dest(const ApicState *s, uint8_t dest, bool logical)
{
    if (logical) {
        return apic_match_logical(s, dest);
    }
    return dest == 0xff || dest == s->id;
}

/* Deliver to every APIC in the target set (bit i = CPU i). */
static void apic_bus_send(Machine *m, uint32_t targets, int mode, uint8_t vector, bool level)
{
    if (mode == APIC_DM_LOWEST) {
        ApicState *best = NULL;
        for (int i = 0; i < m->nr_cpus; i++) {
            ApicState *s = apic_of_cpu(m->cpus[i]);
            if (!s || !(targets & (1u << i)) || !apic_hw_enabled(s) || !apic_sw_enabled(s)) {
                continue;
            }
            if (!best || apic_apr(s) < apic_apr(best)) {
                best = s;
            }
        }
        if (best) {
            apic_accept(best, mode, vector, level);
        }
        return;
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        ApicState *s = apic_of_cpu(m->cpus[i]);
        if (s && (targets & (1u << i))) {
            apic_accept(s, mode, vector, level);
        }
    }
}

static uint32_t apic_targets(Machine *m, uint8_t dest, bool logical)
{
    uint32_t targets = 0;
    for (int i = 0; i < m->nr_cpus; i++) {
        ApicState *s = apic_of_cpu(m->cpus[i]);
        if (s && apic_hw_enabled(s) && apic_match_dest(s, dest, logical)) {
            targets |= 1u << i;
        }
    }
    return targets;
}

void apic_deliver_irq(Machine *m, uint8_t dest, bool logical, int delivery_mode, uint8_t vector,
                      bool level_trigger)
{
    apic_bus_send(m, apic_targets(m, dest, logical), delivery_mode & 7, vector, level_trigger);
}

/* A write to ICR low sends an IPI (SDM 10.6.1). */
static void apic_send_ipi(ApicState *s)
{
    Machine *m = s->parent.machine;
    uint32_t icr = s->icr_lo;
    uint8_t vector = icr & 0xff;
    int mode = (icr >> 8) & 7;
    int shorthand = (icr >> 18) & 3;
    uint32_t self = 1u << s->cpu_index;
    uint32_t all = m->nr_cpus >= 32 ? ~0u : (1u << m->nr_cpus) - 1;
    uint32_t targets;

    if (mode == APIC_DM_INIT && !(icr & APIC_ICR_LEVEL_ASSERT) &&
        (icr & APIC_ICR_TRIGGER_LEVEL)) {
        return; /* INIT level de-assert: no effect on Pentium 4 and later */
    }
    if (mode == APIC_DM_REMOTE_READ || mode == APIC_DM_EXTINT) {
        log_unimp("apic %d: IPI with delivery mode %d\n", s->cpu_index, mode);
        return;
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        apic_error(s, APIC_ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    switch (shorthand) {
    case 0:
        targets = apic_targets(m, s->icr_hi >> 24, icr & APIC_ICR_LOGICAL);
        break;
    case 1:
        targets = self;
        break;
    case 2:
        targets = all;
        break;
    default:
        targets = all & ~self;
        break;
    }
    if (shorthand == 1 && mode != APIC_DM_FIXED) {
        log_guest_error("apic %d: self IPI with delivery mode %d\n", s->cpu_index, mode);
        return;
    }
    apic_bus_send(m, targets, mode, vector, icr & APIC_ICR_TRIGGER_LEVEL);
}

/* ---- the timer ---- */

static int apic_timer_mode(const ApicState *s)
{
    return (s->lvt[APIC_LVT_TIMER] >> APIC_LVT_TIMER_MODE_SHIFT) & 3;
}

/* log2 of the divider: DCR bits 0, 1, 3 encode 2, 4, ..., 128, 1. */
static int apic_timer_shift(const ApicState *s)
{
    int v = (s->timer_dcr & 3) | ((s->timer_dcr >> 1) & 4);
    return (v + 1) & 7;
}

static int64_t apic_now(ApicState *s)
{
    return clock_get_ns(machine_vclock(s->parent.machine));
}

static uint32_t apic_timer_current(ApicState *s)
{
    int mode = apic_timer_mode(s);
    if (s->timer_initial == 0 || mode == APIC_TIMER_TSC_DEADLINE || mode == 3) {
        return 0;
    }
    uint64_t ticks = (uint64_t)(apic_now(s) - s->timer_start) >> apic_timer_shift(s);
    if (mode == APIC_TIMER_PERIODIC) {
        return s->timer_initial - (uint32_t)(ticks % s->timer_initial);
    }
    return ticks >= s->timer_initial ? 0 : s->timer_initial - (uint32_t)ticks;
}

static void apic_timer_rearm(ApicState *s)
{
    int mode = apic_timer_mode(s);

    if (mode == APIC_TIMER_TSC_DEADLINE) {
        if (s->tsc_deadline == 0) {
            timer_del(s->timer);
        } else {
            /* TSC = virtual ns + tsc_offset (cpu/x86/msr.c). */
            uint64_t ns = s->tsc_deadline - s->env->tsc_offset;
            timer_mod(s->timer, (int64_t)ns < 0 ? 0 : (int64_t)ns);
        }
        return;
    }
    if (s->timer_initial == 0 || mode == 3) {
        timer_del(s->timer);
        return;
    }
    int64_t period = (int64_t)s->timer_initial << apic_timer_shift(s);
    int64_t elapsed = apic_now(s) - s->timer_start;
    if (mode == APIC_TIMER_ONESHOT) {
        if (elapsed >= period) {
            timer_del(s->timer);
        } else {
            timer_mod(s->timer, s->timer_start + period);
        }
        return;
    }
    timer_mod(s->timer, s->timer_start + (elapsed / period + 1) * period);
}

static void apic_timer_cb(void *opaque)
{
    ApicState *s = opaque;

    if (apic_timer_mode(s) == APIC_TIMER_TSC_DEADLINE) {
        s->tsc_deadline = 0;
    }
    apic_local_interrupt(s, APIC_LVT_TIMER);
    if (apic_timer_mode(s) == APIC_TIMER_PERIODIC) {
        apic_timer_rearm(s);
    }
}

/* A new divider keeps the current count: rebase the start time at the new rate. */
static void apic_timer_set_dcr(ApicState *s, uint32_t dcr)
{
    uint32_t current = apic_timer_current(s);
    s->timer_dcr = dcr & 0xb;
    if (s->timer_initial && current) {
        s->timer_start = apic_now(s) -
                         ((int64_t)(s->timer_initial - current) << apic_timer_shift(s));
    }
    apic_timer_rearm(s);
}

/* ---- registers ---- */

static uint32_t apic_reg_read(ApicState *s, int reg)
{
    switch (reg) {
    case APIC_REG_ID: return (uint32_t)s->id << 24;
    case APIC_REG_VERSION: return APIC_VERSION;
    case APIC_REG_TPR: return s->tpr;
    case APIC_REG_APR: return apic_apr(s);
    case APIC_REG_PPR: return apic_ppr(s);
    case APIC_REG_EOI: return 0;
    case APIC_REG_RRD: return 0;
    case APIC_REG_LDR: return (uint32_t)s->ldr << 24;
    case APIC_REG_DFR: return ((uint32_t)s->dfr_model << 28) | 0x0fffffff;
    case APIC_REG_SVR: return s->svr;
    case APIC_REG_ESR: return s->esr;
    case APIC_REG_ICR_LO: return s->icr_lo; /* delivery status (bit 12) reads idle */
    case APIC_REG_ICR_HI: return s->icr_hi;
    case APIC_REG_TIMER_INIT: return s->timer_initial;
    case APIC_REG_TIMER_CUR: return apic_timer_current(s);
    case APIC_REG_TIMER_DCR: return s->timer_dcr;
    }
    if (reg >= APIC_REG_ISR0 && reg < APIC_REG_ISR0 + 8) {
        return s->isr[reg - APIC_REG_ISR0];
    }
    if (reg >= APIC_REG_TMR0 && reg < APIC_REG_TMR0 + 8) {
        return s->tmr[reg - APIC_REG_TMR0];
    }
    if (reg >= APIC_REG_IRR0 && reg < APIC_REG_IRR0 + 8) {
        return s->irr[reg - APIC_REG_IRR0];
    }
    if (reg >= APIC_REG_LVT_TIMER && reg <= APIC_REG_LVT_ERROR) {
        return s->lvt[reg - APIC_REG_LVT_TIMER];
    }
    log_guest_error("apic %d: read of reserved register %#x\n", s->cpu_index, reg << 4);
    apic_error(s, APIC_ESR_ILLEGAL_REGISTER);
    return 0;
}

static void apic_eoi(ApicState *s)
{
    int v = vec_highest(s->isr);
    if (v < 0) {
        return; /* nothing in service: no effect */
    }
    vec_clear(s->isr, v);
    if (vec_test(s->tmr, v) && s->eoi_hook) {
        s->eoi_hook(s->eoi_opaque, (uint8_t)v);
    }
    apic_update_irq(s);
}

static void apic_write_lvt(ApicState *s, int index, uint32_t val)
{
    uint32_t old = s->lvt[index];
    uint32_t v = (val & apic_lvt_writable[index]) | (old & APIC_LVT_REMOTE_IRR);

    if (!apic_sw_enabled(s)) {
        v |= APIC_LVT_MASKED; /* software-disabled: the masks cannot be cleared */
    }
    if (index == APIC_LVT_TIMER && ((v >> APIC_LVT_TIMER_MODE_SHIFT) & 3) == 3) {
        log_guest_error("apic %d: reserved timer mode 3\n", s->cpu_index);
    }
    s->lvt[index] = v;
    if (index == APIC_LVT_TIMER) {
        if (((old ^ v) >> APIC_LVT_TIMER_MODE_SHIFT) & 3) {
            /* A mode change disarms the timer (SDM 10.5.4.1). */
            s->timer_initial = 0;
            s->tsc_deadline = 0;
        }
        apic_timer_rearm(s);
    }
    if (index == APIC_LVT_LINT0 || index == APIC_LVT_LINT1) {
        /* A level already present on an edge/NMI pin is not a new edge; ExtINT is a level. */
        apic_update_irq(s);
    }
}

static void apic_reg_write(ApicState *s, int reg, uint32_t val)
{
    switch (reg) {
    case APIC_REG_ID:
        s->id = val >> 24;
        return;
    case APIC_REG_TPR:
        s->tpr = val & 0xff;
        apic_update_irq(s);
        return;
    case APIC_REG_EOI:
        apic_eoi(s);
        return;
    case APIC_REG_LDR:
        s->ldr = val >> 24;
        return;
    case APIC_REG_DFR:
        s->dfr_model = (val >> 28) & 0xf;
        if (s->dfr_model != 0xf && s->dfr_model != 0) {
            log_guest_error("apic %d: reserved DFR model %#x\n", s->cpu_index, s->dfr_model);
        }
        return;
    case APIC_REG_SVR:
        s->svr = val & APIC_SVR_WRITABLE;
        if (!apic_sw_enabled(s)) {
            for (int i = 0; i < APIC_LVT_COUNT; i++) {
                s->lvt[i] |= APIC_LVT_MASKED;
            }
        }
        apic_update_irq(s);
        return;
    case APIC_REG_ESR:
        /* Write-then-read: the write latches the errors seen since the last write. */
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return;
    case APIC_REG_ICR_LO:
        s->icr_lo = val & APIC_ICR_WRITABLE;
        apic_send_ipi(s);
        return;
    case APIC_REG_ICR_HI:
        s->icr_hi = val & 0xff000000u;
        return;
    case APIC_REG_TIMER_INIT:
        if (apic_timer_mode(s) == APIC_TIMER_TSC_DEADLINE) {
            return; /* ignored in TSC-deadline mode */
        }
        s->timer_initial = val;
        s->timer_start = apic_now(s);
        apic_timer_rearm(s);
        return;
    case APIC_REG_TIMER_DCR:
        apic_timer_set_dcr(s, val);
        return;
    }
    if (reg >= APIC_REG_LVT_TIMER && reg <= APIC_REG_LVT_ERROR) {
        apic_write_lvt(s, reg - APIC_REG_LVT_TIMER, val);
        return;
    }
    if (reg == APIC_REG_VERSION || reg == APIC_REG_APR || reg == APIC_REG_PPR ||
        reg == APIC_REG_RRD || reg == APIC_REG_TIMER_CUR ||
        (reg >= APIC_REG_ISR0 && reg < APIC_REG_IRR0 + 8)) {
        log_guest_error("apic %d: write %#x to read-only register %#x\n", s->cpu_index, val,
                        reg << 4);
        return;
    }
    log_guest_error("apic %d: write %#x to reserved register %#x\n", s->cpu_index, val,
                    reg << 4);
    apic_error(s, APIC_ESR_ILLEGAL_REGISTER);
}

/* The page decodes for whichever vCPU is making the access. */
static ApicState *apic_current(Machine *m)
{
    if (m->current_cpu < 0 || m->current_cpu >= m->nr_cpus) {
        return NULL;
    }
    return apic_of_cpu(m->cpus[m->current_cpu]);
}

static bool apic_access_ok(ApicState *s, uint64_t offset, unsigned size, bool write)
{
    if (!s || !apic_hw_enabled(s)) {
        log_guest_error("apic: %s at %#" PRIx64 " with the local APIC disabled\n",
                        write ? "write" : "read", offset);
        return false;
    }
    if (size != 4 || (offset & 0xf)) {
        log_guest_error("apic %d: %u-byte %s at offset %#" PRIx64 " (only aligned 32-bit "
                        "accesses to a register's first word are defined)\n",
                        s->cpu_index, size, write ? "write" : "read", offset);
        return false;
    }
    return true;
}

static uint64_t apic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    ApicState *s = apic_current(opaque);
    if (!apic_access_ok(s, offset, size, false)) {
        return s && apic_hw_enabled(s) ? 0 : ~0ull;
    }
    return apic_reg_read(s, (int)(offset >> 4));
}

static void apic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    ApicState *s = apic_current(opaque);
    if (apic_access_ok(s, offset, size, true)) {
        apic_reg_write(s, (int)(offset >> 4), (uint32_t)value);
    }
}

static const MemoryRegionOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

/* ---- the CPU side ---- */

static int apic_cpu_ack(void *opaque)
{
    ApicState *s = opaque;
    int v;

    if (!apic_hw_enabled(s) || apic_extint_pending(s)) {
        /* INTA goes to the 8259 (no APIC, or virtual wire through LINT0). */
        v = s->extint_ack ? s->extint_ack(s->extint_opaque) : -1;
        apic_update_irq(s);
        return v;
    }
    v = apic_deliverable_vector(s);
    if (v < 0) {
        apic_update_irq(s);
        return (int)(s->svr & 0xff); /* the request went away: spurious interrupt */
    }
    vec_clear(s->irr, v);
    vec_set(s->isr, v);
    apic_update_irq(s);
    return v;
}

static void apic_cpu_base_changed(void *opaque)
{
    ApicState *s = opaque;
    bool enabled = apic_hw_enabled(s);

    if (s->hw_enabled && !enabled) {
        /* Hardware disable loses the programming (SDM 10.4.3). */
        apic_init_state(s);
    }
    s->hw_enabled = enabled;
    if ((s->env->apic_base & ~0xfffull) != APIC_DEFAULT_BASE) {
        log_unimp("apic %d: relocation to %#" PRIx64 " (the page stays at 0xfee00000)\n",
                  s->cpu_index, (uint64_t)(s->env->apic_base & ~0xfffull));
    }
    apic_update_irq(s);
}

static uint8_t apic_cpu_get_tpr(void *opaque)
{
    ApicState *s = opaque;
    return s->tpr >> 4;
}

static void apic_cpu_set_tpr(void *opaque, uint8_t cr8)
{
    ApicState *s = opaque;
    s->tpr = (uint8_t)((cr8 & 0xf) << 4);
    apic_update_irq(s);
}

static uint64_t apic_cpu_get_tsc_deadline(void *opaque)
{
    ApicState *s = opaque;
    return apic_timer_mode(s) == APIC_TIMER_TSC_DEADLINE ? s->tsc_deadline : 0;
}

static void apic_cpu_set_tsc_deadline(void *opaque, uint64_t tsc)
{
    ApicState *s = opaque;
    if (!apic_hw_enabled(s) || apic_timer_mode(s) != APIC_TIMER_TSC_DEADLINE) {
        return; /* ignored outside TSC-deadline mode (SDM 10.5.4.1) */
    }
    s->tsc_deadline = tsc;
    apic_timer_rearm(s);
}

static const X86IntrOps apic_intr_ops = {
    .ack = apic_cpu_ack,
    .apic_base_changed = apic_cpu_base_changed,
    .get_tpr = apic_cpu_get_tpr,
    .set_tpr = apic_cpu_set_tpr,
    .get_tsc_deadline = apic_cpu_get_tsc_deadline,
    .set_tsc_deadline = apic_cpu_set_tsc_deadline,
};

const X86IntrOps *apic_cpu_intr_ops(void)
{
    return &apic_intr_ops;
}

bool apic_set_lint(CPUX86State *env, int pin, int level)
{
    ApicState *s = apic_of_cpu(env);
    if (!s || pin < 0 || pin > 1) {
        return false;
    }
    int old = s->lint_level[pin];
    s->lint_level[pin] = level != 0;
    if (!apic_hw_enabled(s)) {
        if (pin == 1 && level && !old) {
            x86_cpu_interrupt(env, CPU_INTERRUPT_NMI);
        }
        apic_update_irq(s);
        return true;
    }
    uint32_t lvt = s->lvt[APIC_LVT_LINT0 + pin];
    int mode = (lvt >> 8) & 7;
    if (mode == APIC_DM_EXTINT) {
        apic_update_irq(s);
    } else if (level && !old) {
        apic_local_interrupt(s, APIC_LVT_LINT0 + pin);
    }
    return true;
}

void apic_set_eoi_hook(DeviceState *apic, void (*fn)(void *opaque, uint8_t vector),
                       void *opaque)
{
    ApicState *s = (ApicState *)apic;
    s->eoi_hook = fn;
    s->eoi_opaque = opaque;
}

void apic_set_extint_ack(DeviceState *apic, int (*ack)(void *opaque), void *opaque)
{
    ApicState *s = (ApicState *)apic;
    s->extint_ack = ack;
    s->extint_opaque = opaque;
}

/* ---- device ---- */

static bool apic_realize(DeviceState *dev, Error **errp)
{
    ApicState *s = (ApicState *)dev;
    Machine *m = dev->machine;

    if (s->cpu_index >= (uint32_t)m->nr_cpus || !m->cpus[s->cpu_index]) {
        error_setg(errp, "apic: no CPU %u", s->cpu_index);
        return false;
    }
    s->env = m->cpus[s->cpu_index];
    s->timer = timer_new(machine_vclock(m), apic_timer_cb, s);
    if (s->cpu_index == 0) {
        memory_region_init_io(&s->mmio, "apic", &apic_mmio_ops, m, APIC_PAGE_SIZE);
        memory_region_add_subregion(&m->system_memory, APIC_DEFAULT_BASE, &s->mmio);
        s->owns_mmio = true;
    }
    return true;
}

static void apic_reset(DeviceState *dev)
{
    ApicState *s = (ApicState *)dev;
    apic_init_state(s);
    s->id = (uint8_t)s->cpu_index;
    /* The CPU's reset sets IA32_APIC_BASE[11] again. */
    s->hw_enabled = true;
    apic_update_irq(s);
}

static void apic_unrealize(DeviceState *dev)
{
    ApicState *s = (ApicState *)dev;
    if (s->owns_mmio) {
        memory_region_destroy(&s->mmio);
    }
    timer_free(s->timer);
    s->timer = NULL;
}

static int apic_post_load(void *opaque)
{
    ApicState *s = opaque;
    apic_timer_rearm(s);
    apic_update_irq(s);
    return 0;
}

static const VMStateField apic_vmstate_fields[] = {
    VMSTATE_U8(ApicState, id),
    VMSTATE_U8(ApicState, tpr),
    VMSTATE_U8(ApicState, ldr),
    VMSTATE_U8(ApicState, dfr_model),
    VMSTATE_U32(ApicState, svr),
    VMSTATE_U32_ARRAY(ApicState, isr),
    VMSTATE_U32_ARRAY(ApicState, tmr),
    VMSTATE_U32_ARRAY(ApicState, irr),
    VMSTATE_U32(ApicState, esr),
    VMSTATE_U32(ApicState, esr_pending),
    VMSTATE_U32(ApicState, icr_lo),
    VMSTATE_U32(ApicState, icr_hi),
    VMSTATE_U32_ARRAY(ApicState, lvt),
    VMSTATE_U32(ApicState, timer_initial),
    VMSTATE_U32(ApicState, timer_dcr),
    VMSTATE_I64(ApicState, timer_start),
    VMSTATE_U64(ApicState, tsc_deadline),
    VMSTATE_I32(ApicState, lint_level[0]),
    VMSTATE_I32(ApicState, lint_level[1]),
    VMSTATE_BOOL(ApicState, hw_enabled),
    VMSTATE_END,
};

static const VMStateDescription apic_vmstate = {
    .name = "apic",
    .version = 1,
    .fields = apic_vmstate_fields,
    .post_load = apic_post_load,
};

static const Property apic_props[] = {
    DEFINE_PROP_U32("cpu", ApicState, cpu_index, 0, "index of the CPU this APIC belongs to"),
    DEFINE_PROP_END,
};

static const DeviceInfo apic_info = {
    .name = "apic",
    .desc = "local APIC (xAPIC)",
    .bus = BUS_SYSTEM,
    .size = sizeof(ApicState),
    .props = apic_props,
    .realize = apic_realize,
    .reset = apic_reset,
    .unrealize = apic_unrealize,
    .vmstate = &apic_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(apic_info);
