/*
 * The PC's physical memory map as firmware reports it (INT 15h E820, the
 * Linux zero page, the Multiboot mmap): a small table the board builds once.
 */
#ifndef HW_I386_E820_H
#define HW_I386_E820_H

#include "core/common.h"

enum {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3,
    E820_NVS = 4,
};

/* The zero page holds at most this many entries. */
#define E820_MAX_ENTRIES 128

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

typedef struct E820Table {
    E820Entry entries[E820_MAX_ENTRIES];
    int nr;
} E820Table;

/* Where the board's RAM is, and what of it the firmware tables take. */
typedef struct E820Layout {
    uint64_t ram_below_4g; /* bytes of RAM from 0 */
    uint64_t ram_above_4g; /* bytes of RAM from 4 GiB */
    /*
     * ACPI tables at the top of low RAM: [acpi_start, ram_below_4g), typed
     * ACPI.  0 when there are none (the ACPI builder's lead wires this).
     */
    uint64_t acpi_start;
} E820Layout;

void e820_add(E820Table *t, uint64_t addr, uint64_t size, uint32_t type);
/*
 * The map a BIOS-less boot gives the kernel: conventional memory up to the
 * EBDA at 0x9fc00, the BIOS area at 0xf0000 reserved, extended RAM from
 * 1 MiB (minus the ACPI tables), RAM above 4 GiB, and the flash window
 * 0xfffc0000-4 GiB reserved.  Sorted by address.
 */
void e820_build_direct_boot(E820Table *t, const E820Layout *layout);
/* The RAM-only map fw_cfg's "etc/e820" gives the BIOS (which adds its own reservations). */
void e820_build_ram_only(E820Table *t, const E820Layout *layout);
/* {le64 addr; le64 size; le32 type} per entry, as etc/e820 and the zero page store them. */
void e820_encode(const E820Table *t, uint8_t *out);
#define E820_ENTRY_BYTES 20

#endif
