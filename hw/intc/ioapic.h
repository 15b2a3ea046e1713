/*
 * The I/O APIC ("ioapic", machine-internal) at 0xfec00000: 24 interrupt
 * inputs turned into APIC bus messages (hw/intc/apic.h).
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "core/machine.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ULL
#define IOAPIC_NUM_PINS 24

/* The 24 input lines (the board's ioapic_in); valid while the device lives. */
IRQState *ioapic_get_inputs(DeviceState *ioapic);
/*
 * A local APIC's EOI of a level-triggered vector (apic_set_eoi_hook with the
 * ioapic device as opaque): entries with that vector drop remote IRR and are
 * delivered again if their input is still asserted.
 */
void ioapic_eoi_broadcast(void *ioapic, uint8_t vector);

#endif
