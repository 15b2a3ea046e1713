/*
 * The Intel MultiProcessor Specification 1.4 tables for a boot without a
 * BIOS: the MP floating pointer structure followed by the MP configuration
 * table (processors, ISA and PCI buses, the IOAPIC, I/O interrupt
 * assignments and local interrupts).
 *
 * Wiring (by the board, once -kernel boot without a BIOS exists):
 *   size_t used;
 *   mptable_install(&m->as_memory, 0xf0000 + off, room, &cfg, &used, errp);
 * The floating pointer must lie in the first KiB of the EBDA, the last KiB
 * of base memory, or 0xF0000-0xFFFFF (MP spec 4.1): the F segment is the
 * usual place.
 */
#ifndef HW_I386_MPTABLE_H
#define HW_I386_MPTABLE_H

#include "core/memory.h"
#include "hw/acpi/aml.h"

typedef struct MpTableConfig {
    unsigned nr_cpus; /* 1..254; APIC IDs 0..nr_cpus-1, the IOAPIC's ID is nr_cpus */
} MpTableConfig;

/*
 * Build the floating pointer (16 bytes) and the configuration table right
 * after it, for placement at guest address addr (16-byte aligned, below
 * 4 GiB).
 */
bool mptable_build(const MpTableConfig *cfg, uint64_t addr, AcpiBuf *out, Error **errp);

/* Build and write at addr, failing when more than max_size bytes are needed. */
bool mptable_install(AddressSpace *as, uint64_t addr, size_t max_size, const MpTableConfig *cfg,
                     size_t *used, Error **errp);

#endif
