/*
 * The PC's 8254 programmable interval timer ("i8254") as seen by the board.
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "core/machine.h"

#define I8254_FREQ_HZ 1193182

/* GATE input of a channel (0-2).  On a PC only channel 2's is wired (port 0x61). */
void i8254_set_gate(DeviceState *pit, int channel, bool level);
/* OUT of a channel (0-2) at the current virtual time. */
bool i8254_get_out(DeviceState *pit, int channel);
/*
 * Whether OUT0 drives ISA IRQ 0 (on after reset).  The HPET's legacy
 * replacement mode turns it off; the line keeps its level for the new owner.
 */
void i8254_set_irq_enabled(DeviceState *pit, bool on);

#endif
