/*
 * SMBIOS 2.8 tables for the "pc" machine (DMTF DSP0134): an entry point
 * ("etc/smbios/smbios-anchor") and a structure table
 * ("etc/smbios/smbios-tables") with types 0, 1, 3, 4 (per CPU), 16, 17,
 * 19, 32 and 127.
 *
 * For fw_cfg, hand both blobs to the firmware as they are: the anchor's
 * structure-table address is 0 and the firmware fills it in (SeaBIOS does).
 * For a boot without a BIOS, smbios_install() places the table in the
 * HIGH arena and the anchor in the F-segment arena, patching the address
 * and checksums, through the same table-loader executor as ACPI.
 */
#ifndef HW_I386_SMBIOS_H
#define HW_I386_SMBIOS_H

#include "hw/acpi/aml.h"
#include "hw/acpi/loader-exec.h"

typedef struct SmbiosConfig {
    unsigned nr_cpus;      /* >= 1 */
    uint64_t ram_below_4g; /* bytes from address 0 */
    uint64_t ram_above_4g; /* bytes from 4 GiB */
    uint8_t uuid[16];      /* system UUID as given (-uuid), all zero when none */
} SmbiosConfig;

typedef struct SmbiosTables {
    AcpiBuf anchor; /* the 31-byte SMBIOS 2.8 entry point */
    AcpiBuf tables; /* the structure table */
    AcpiBuf loader; /* table-loader commands placing both (for smbios_install) */
} SmbiosTables;

bool smbios_build(const SmbiosConfig *cfg, SmbiosTables *out, Error **errp);
void smbios_tables_free(SmbiosTables *t);

/* Without a BIOS: install into guest memory; returns the anchor's address, 0 on error. */
uint64_t smbios_install(AddressSpace *as, const SmbiosTables *t, AcpiLoaderArena *high,
                        AcpiLoaderArena *fseg, Error **errp);

#endif
