/*
 * The High Precision Event Timer ("hpet", machine-internal) at 0xfed00000.
 */
#ifndef HW_TIMER_HPET_H
#define HW_TIMER_HPET_H

#include "core/machine.h"

#define HPET_DEFAULT_BASE 0xfed00000ULL

/* Non-legacy routing: timer interrupts go to these 24 IOAPIC inputs. */
void hpet_connect_ioapic(DeviceState *hpet, IRQState *ioapic_in);
/*
 * Called with legacy = true when the guest sets LEG_RT_CNF and false when it
 * clears it (or at reset): the board cuts the PIT's IRQ 0 (and the RTC's
 * IRQ 8) off while legacy replacement routing is on.
 */
void hpet_set_legacy_hook(DeviceState *hpet, void (*fn)(void *opaque, bool legacy),
                          void *opaque);

#endif
