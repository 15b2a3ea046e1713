/*
 * The PC's cascaded 8259A interrupt controllers ("i8259") as seen by the board.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include "core/machine.h"

/* The 16 input lines, ISA IRQ 0-15 (input 2 is the cascade and ignores outside drivers). */
IRQState *i8259_inputs(DeviceState *pic);
/* The master's INTR pin: raised while the pair has an interrupt for the CPU. */
void i8259_set_output(DeviceState *pic, IRQState *intr);
/*
 * The CPU's INTA cycle: returns the vector (0-255) and updates IRR/ISR on both
 * chips.  With nothing left to deliver it returns the spurious IRQ 7 vector of
 * the master (or IRQ 15 of the slave, when the master resolved the cascade).
 */
int i8259_ack(void *pic);

#endif
