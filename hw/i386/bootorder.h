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

#endif
