/*
 * Port 0x61 ("pcspk"): PC speaker control and system control port B.
 */
#ifndef HW_AUDIO_PCSPK_H
#define HW_AUDIO_PCSPK_H

#include "core/machine.h"

/* The 8254 whose channel 2 gate and OUT2 the port drives and reads (may be NULL). */
void pcspk_set_pit(DeviceState *spk, DeviceState *pit);

#endif
