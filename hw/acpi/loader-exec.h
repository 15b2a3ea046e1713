/*
 * Execute "etc/table-loader" commands ourselves, for a -kernel boot without
 * a BIOS: the same work SeaBIOS does with the fw_cfg files, writing the
 * result into guest memory.
 *
 * The command blob and the files are treated as untrusted input: unknown
 * files, out-of-range offsets, bad alignments or sizes make the whole run
 * fail with an error, and nothing is written to guest memory in that case.
 */
#ifndef HW_ACPI_LOADER_EXEC_H
#define HW_ACPI_LOADER_EXEC_H

#include "core/memory.h"
#include "hw/acpi/aml.h"

/* A guest-physical area that ALLOCATE commands of one zone are placed in, bottom-up. */
typedef struct AcpiLoaderArena {
    uint64_t base;
    uint64_t size;
    uint64_t used; /* bytes consumed so far; the caller starts it at 0 */
} AcpiLoaderArena;

typedef struct AcpiLoaderFile {
    const char *name;
    const uint8_t *data;
    size_t size;
    uint64_t addr; /* out: where ALLOCATE placed it (0 when never allocated) */
} AcpiLoaderFile;

/*
 * Run the commands in cmds[0, cmds_len) over files[0, nr_files): HIGH-zone
 * files go into 'high' (e.g. the top of low RAM, which the e820 map must mark
 * ACPI/reserved), FSEG-zone files into 'fseg' (inside 0xE0000-0xFFFFF, RAM
 * when there is no BIOS).  The arenas' 'used' advance, so several command
 * blobs (ACPI, then SMBIOS) can share them.  The patched files are written
 * with address_space_write_rom(as, ...).  Returns false with errp set on any
 * malformed command or when an arena is too small.
 */
bool acpi_loader_exec(AddressSpace *as, const uint8_t *cmds, size_t cmds_len,
                      AcpiLoaderFile *files, unsigned nr_files, AcpiLoaderArena *high,
                      AcpiLoaderArena *fseg, Error **errp);

#endif
