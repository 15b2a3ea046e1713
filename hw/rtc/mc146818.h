/*
 * MC146818 real-time clock and CMOS RAM ("mc146818rtc"), the PC's ports
 * 0x70/0x71 and IRQ 8.  The board fills the BIOS's CMOS bytes through
 * these calls before the guest starts.
 */
#ifndef HW_RTC_MC146818_H
#define HW_RTC_MC146818_H

#include "core/device.h"

#define RTC_CMOS_SIZE 128

/* Write / read one CMOS byte (addresses outside 0-127 are ignored / read 0xff). */
void mc146818_set_cmos(DeviceState *rtc, int addr, uint8_t val);
uint8_t mc146818_get_cmos(DeviceState *rtc, int addr);

#endif
