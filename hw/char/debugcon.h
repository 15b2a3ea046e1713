/*
 * The Bochs-style debug console port ("isa-debugcon") as seen by machine code.
 */
#ifndef HW_CHAR_DEBUGCON_H
#define HW_CHAR_DEBUGCON_H

#include "core/machine.h"

/*
 * Create and realize a debug console at port 0xe9 writing to chr
 * (-debugcon SPEC).  Returns NULL with errp set if chr already has a frontend.
 */
DeviceState *debugcon_create(Machine *m, Chardev *chr, Error **errp);

#endif
