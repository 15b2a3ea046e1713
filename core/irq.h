/*
 * Interrupt lines.  A device owns the IRQState it drives only by pointer;
 * the receiver (PIC, IOAPIC, KVM routing) owns the state and its handler.
 * The line remembers its level so tests (qtest) can read it.
 */
#ifndef CORE_IRQ_H
#define CORE_IRQ_H

#include "core/common.h"

typedef void (*IRQHandler)(void *opaque, int n, int level);

typedef struct IRQState {
    IRQHandler handler; /* may be NULL: the line goes nowhere yet */
    void *opaque;
    int n;
    int level;
    /* Optional observer (qtest interception); called after handler. */
    void (*observer)(void *opaque, int n, int level);
    void *observer_opaque;
} IRQState;

void irq_init(IRQState *irq, IRQHandler handler, void *opaque, int n);
/* Allocate count lines numbered 0..count-1 that share one handler. */
IRQState *irq_allocate(IRQHandler handler, void *opaque, int count);
void irq_set(IRQState *irq, int level);
static inline void irq_raise(IRQState *irq)
{
    irq_set(irq, 1);
}
static inline void irq_lower(IRQState *irq)
{
    irq_set(irq, 0);
}
static inline void irq_pulse(IRQState *irq)
{
    irq_set(irq, 1);
    irq_set(irq, 0);
}
static inline int irq_get_level(const IRQState *irq)
{
    return irq->level;
}

#endif
