/* Interrupt lines: level bookkeeping plus delivery to the receiver's handler. */
#include "core/irq.h"

void irq_init(IRQState *irq, IRQHandler handler, void *opaque, int n)
{
    memset(irq, 0, sizeof(*irq));
    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
}

IRQState *irq_allocate(IRQHandler handler, void *opaque, int count)
{
    IRQState *irqs = xcalloc(count, sizeof(IRQState));
    for (int i = 0; i < count; i++) {
        irq_init(&irqs[i], handler, opaque, i);
    }
    return irqs;
}

void irq_set(IRQState *irq, int level)
{
    if (!irq) {
        return;
    }
    level = level != 0;
    irq->level = level;
    if (irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
    if (irq->observer) {
        irq->observer(irq->observer_opaque, irq->n, level);
    }
}
