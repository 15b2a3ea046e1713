/*
 * fw_cfg: QEMU's firmware configuration interface, as SeaBIOS, OVMF and
 * Linux's qemu_fw_cfg driver expect it on a PC (I/O ports 0x510/0x511 and
 * the DMA interface at 0x514).  The board fills the items once at machine
 * creation; the guest reads them.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include "core/device.h"

/* Item keys, numbered as QEMU's docs/specs/fw_cfg.txt numbers them. */
enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a,
    FW_CFG_INITRD_SIZE = 0x0b,
    FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11,
    FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13,
    FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16,
    FW_CFG_SETUP_SIZE = 0x17,
    FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    /* Key bits: the write flag and the architecture-local item space. */
    FW_CFG_WRITE_CHANNEL = 0x4000,
    FW_CFG_ARCH_LOCAL = 0x8000,
    /* x86 arch-local items. */
    FW_CFG_X86_ACPI_TABLES = FW_CFG_ARCH_LOCAL + 0,
    FW_CFG_X86_SMBIOS_ENTRIES = FW_CFG_ARCH_LOCAL + 1,
    FW_CFG_X86_IRQ0_OVERRIDE = FW_CFG_ARCH_LOCAL + 2,
    FW_CFG_X86_E820_TABLE = FW_CFG_ARCH_LOCAL + 3,
    FW_CFG_X86_HPET = FW_CFG_ARCH_LOCAL + 4,
};

/* File slots after FW_CFG_FILE_FIRST, and the longest name (with its NUL). */
#define FW_CFG_FILE_SLOTS 64
#define FW_CFG_MAX_FILE_PATH 56

/* The I/O ports on a PC. */
#define FW_CFG_IO_BASE 0x510
#define FW_CFG_DMA_IO_BASE 0x514

typedef struct FWCfgState FWCfgState;

/* The board's handle on the device created as "fw_cfg". */
FWCfgState *fw_cfg_from_device(DeviceState *dev);

/*
 * Items.  Every call COPIES data; the caller keeps ownership of what it
 * passed.  Adding a key again replaces the item.  A key outside the item
 * space is a board bug and aborts.  Integers are stored little-endian, as
 * QEMU does.
 */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str); /* with its NUL */
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value);
/*
 * Named files, listed in the directory (key 0x19) sorted by name.  Returns
 * false (with a message) when the name is too long, already present, or the
 * slots are full.
 */
bool fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, size_t len,
                     Error **errp);
/* Replace an existing file's contents; false if there is no such file. */
bool fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, size_t len);

#endif
