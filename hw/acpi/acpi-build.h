/*
 * ACPI tables for the "pc" machine: RSDP, RSDT, XSDT, FADT, FACS, DSDT,
 * MADT and HPET, plus the "etc/table-loader" commands that place and link
 * them.  The outputs are exactly the fw_cfg files SeaBIOS expects
 * ("etc/acpi/tables", "etc/acpi/rsdp", "etc/table-loader"); for a boot
 * without a BIOS, pc_acpi_install() runs the loader commands itself.
 *
 * Board wiring (by the caller, e.g. hw/pc.c once fw_cfg exists):
 *   PcAcpiConfig cfg = { .nr_cpus = m->nr_cpus, .ram_below_4g = ..., ... };
 *   AcpiBuildTables t;
 *   pc_acpi_build(&cfg, &t, errp);
 *   fw_cfg_add_file(fw, PC_ACPI_FILE_TABLES, t.tables.data, t.tables.len);  (and rsdp, loader)
 *   or, for -kernel without BIOS: rsdp = pc_acpi_install(&m->as_memory, &t, &high, &fseg, errp);
 *   acpi_build_tables_free(&t) when fw_cfg no longer needs the bytes.
 */
#ifndef HW_ACPI_ACPI_BUILD_H
#define HW_ACPI_ACPI_BUILD_H

#include "hw/acpi/aml.h"
#include "hw/acpi/loader-exec.h"
#include "hw/acpi/pc-acpi.h"

#define PC_ACPI_MAX_CPUS 255

typedef struct PcAcpiConfig {
    unsigned nr_cpus;       /* 1..PC_ACPI_MAX_CPUS; APIC IDs 0..nr_cpus-1 */
    uint64_t ram_below_4g;  /* bytes of RAM mapped from address 0 */
    uint64_t ram_above_4g;  /* bytes of RAM mapped from 4 GiB */
    bool hpet;              /* describe the HPET (DSDT device + HPET table) */
    bool ioapic;            /* describe the IOAPIC and interrupt overrides in the MADT */
    uint32_t pci_hole_start; /* the 32-bit PCI window is [pci_hole_start, 0xfec00000) */
    uint64_t pci_hole64_start; /* the 64-bit window [start, end); empty when start >= end */
    uint64_t pci_hole64_end;
} PcAcpiConfig;

typedef struct AcpiBuildTables {
    AcpiBuf tables; /* "etc/acpi/tables": FACS, DSDT, FADT, MADT, HPET, RSDT, XSDT */
    AcpiBuf rsdp;   /* "etc/acpi/rsdp" */
    AcpiBuf loader; /* "etc/table-loader" */
} AcpiBuildTables;

/* Build every table for cfg into out (zero-initialized by this call). */
bool pc_acpi_build(const PcAcpiConfig *cfg, AcpiBuildTables *out, Error **errp);
void acpi_build_tables_free(AcpiBuildTables *t);

/*
 * Without a BIOS: run t's loader commands into guest memory (HIGH files in
 * 'high', the RSDP in 'fseg'; see acpi_loader_exec).  Returns the RSDP's
 * guest-physical address (for boot_params.acpi_rsdp_addr), 0 on error.
 */
uint64_t pc_acpi_install(AddressSpace *as, const AcpiBuildTables *t, AcpiLoaderArena *high,
                         AcpiLoaderArena *fseg, Error **errp);

#endif
