/*
 * Booting a kernel without a BIOS (-kernel without -bios): the loaders
 * (linux-boot.c for bzImage, multiboot.c for Multiboot v1) turn the files
 * into a DirectBoot: what to put where in RAM and the 32-bit protected-mode
 * entry state.  The board applies it at start and again after every system
 * reset, because the guest may have overwritten the images.
 */
#ifndef HW_I386_DIRECT_BOOT_H
#define HW_I386_DIRECT_BOOT_H

#include "core/machine.h"
#include "hw/i386/e820.h"

typedef struct FWCfgState FWCfgState;

/* Bytes to place at a guest-physical address; data NULL means zeros. */
typedef struct DirectBootBlob {
    uint64_t addr;
    uint8_t *data;
    size_t len;
} DirectBootBlob;

typedef struct DirectBoot {
    DirectBootBlob *blobs; /* applied in order: later blobs win */
    int nr_blobs;
    /* Entry state; the segments are always flat 4 GiB, CS 0x10, data 0x18. */
    uint32_t eip;
    uint32_t eax, ebx, esi;
} DirectBoot;

/* What the board tells the loaders. */
typedef struct DirectBootConfig {
    const char *kernel_path;
    const uint8_t *kernel; /* the whole file */
    size_t kernel_size;
    const char *initrd;    /* -initrd as given, or NULL */
    const char *append;    /* -append, or NULL */
    /* The first byte the kernel may not use below 4 GiB (top of RAM minus ACPI). */
    uint64_t low_ram_end;
    const E820Table *e820; /* the direct-boot map (e820_build_direct_boot) */
    uint64_t acpi_rsdp_addr; /* 0 when there is no RSDP */
} DirectBootConfig;

/* Where the boot GDT lives: null, unused, code 0x10, data 0x18. */
#define DIRECT_BOOT_GDT_ADDR 0x500
#define DIRECT_BOOT_CS 0x10
#define DIRECT_BOOT_DS 0x18
/* Where a Linux command line goes, also reported to the BIOS as FW_CFG_CMDLINE_ADDR. */
#define LINUX_CMDLINE_ADDR 0x20000

/* Take ownership of data (xmalloc'd, or NULL for zeros). */
void direct_boot_add(DirectBoot *b, uint64_t addr, uint8_t *data, size_t len);
/* A copy of data. */
void direct_boot_add_copy(DirectBoot *b, uint64_t addr, const void *data, size_t len);
/* Write the blobs into RAM and put CPU 0 at the entry point. */
void direct_boot_apply(DirectBoot *b, Machine *m);
void direct_boot_free(DirectBoot *b);

/* Read a whole file; the message names the option ("-kernel", "-initrd"). */
bool direct_boot_read_file(const char *option, const char *path, uint8_t **data,
                           size_t *size, Error **errp);

/* linux-boot.c */
bool linux_boot_probe(const uint8_t *kernel, size_t size);
bool linux_boot_load(const DirectBootConfig *cfg, DirectBoot *out, Error **errp);
/* With a BIOS: the kernel, setup, initrd and command line go to fw_cfg instead. */
bool linux_boot_fill_fw_cfg(const DirectBootConfig *cfg, FWCfgState *fw, Error **errp);

/* multiboot.c */
bool multiboot_probe(const uint8_t *kernel, size_t size);
bool multiboot_load(const DirectBootConfig *cfg, DirectBoot *out, Error **errp);

#endif
