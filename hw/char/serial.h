/*
 * The PC serial port (16550A UART, "isa-serial") as seen by machine code.
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "core/machine.h"

#define SERIAL_MAX_PORTS 4

/*
 * Create and realize COM(index+1) at its standard I/O base and IRQ
 * (COM1 0x3f8/4, COM2 0x2f8/3, COM3 0x3e8/4, COM4 0x2e8/3), connected to
 * chr (may be NULL: a port with nothing attached).  Returns NULL with errp
 * set when the index is out of range or chr already has a frontend.
 */
DeviceState *serial_create(Machine *m, int index, Chardev *chr, Error **errp);

#endif
