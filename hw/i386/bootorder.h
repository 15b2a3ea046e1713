/*
 * The firmware's boot order in fw_cfg: "bootorder" (bootindex= device paths, as QEMU writes
 * them for SeaBIOS), "etc/osprey-boot-order" (the whole -boot order= string) and -boot once=.
 */
#ifndef HW_I386_BOOTORDER_H
#define HW_I386_BOOTORDER_H

#include "core/machine.h"
#include "hw/nvram/fw_cfg.h"

/* Add the boot order files; with -boot once=, restore order= at the first system reset. */
bool bootorder_fw_cfg_init(Machine *m, FWCfgState *fw, Error **errp);

/*
 * SeaBIOS's boot device codes in the CMOS (a=floppy 1, c=disk 2, d=cdrom 3, n=network 4):
 * the first two of order in 0x3d (low, high nibble), the third in 0x38's high nibble.
 */
void bootorder_set_cmos(DeviceState *rtc, const char *order);

#endif
