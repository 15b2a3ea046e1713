/* System Control Port A (0x92): fast A20 gate and fast reset. */
#ifndef HW_MISC_PORT92_H
#define HW_MISC_PORT92_H

#include "core/device.h"
#include "core/irq.h"

/* The board's A20 line, shared with the i8042's output port. */
void port92_set_a20_line(DeviceState *dev, IRQState *a20);

#endif
