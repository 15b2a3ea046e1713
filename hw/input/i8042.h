/*
 * Intel 8042 keyboard controller ("i8042") with a PS/2 keyboard and mouse:
 * ports 0x60 (data) and 0x64 (status/command), IRQ 1 and IRQ 12.
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include "core/device.h"
#include "core/irq.h"
#include "hw/input/ps2.h"

/* The A20 gate line the output port's bit 1 drives (the board owns it). */
void i8042_set_a20_line(DeviceState *kbd, IRQState *a20);
/* The attached devices, for the UI's input events. */
PS2Kbd *i8042_get_kbd(DeviceState *kbd);
PS2Mouse *i8042_get_mouse(DeviceState *kbd);

#endif
