/*
 * The PC memory map (see e820.h).  Addresses follow the conventions every
 * PC firmware keeps: the EBDA in the last KiB below 640 KiB, the legacy
 * video and option-ROM hole up to 0xf0000, the system BIOS at 0xf0000.
 */
#include "hw/i386/e820.h"

#define E820_EBDA_START 0x9fc00ULL
#define E820_LOWMEM_END 0xa0000ULL
#define E820_BIOS_START 0xf0000ULL
#define E820_HIGHMEM_START 0x100000ULL
#define E820_FLASH_START 0xfffc0000ULL
#define E820_4G (1ULL << 32)

void e820_add(E820Table *t, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0 || t->nr >= E820_MAX_ENTRIES) {
        return;
    }
    t->entries[t->nr].addr = addr;
    t->entries[t->nr].size = size;
    t->entries[t->nr].type = type;
    t->nr++;
}

void e820_build_direct_boot(E820Table *t, const E820Layout *layout)
{
    uint64_t low = layout->ram_below_4g;
    uint64_t acpi = layout->acpi_start;
    t->nr = 0;
    e820_add(t, 0, MIN(low, E820_EBDA_START), E820_RAM);
    if (low > E820_EBDA_START) {
        e820_add(t, E820_EBDA_START, E820_LOWMEM_END - E820_EBDA_START, E820_RESERVED);
    }
    e820_add(t, E820_BIOS_START, E820_HIGHMEM_START - E820_BIOS_START, E820_RESERVED);
    if (low > E820_HIGHMEM_START) {
        uint64_t ram_end = (acpi > E820_HIGHMEM_START && acpi < low) ? acpi : low;
        e820_add(t, E820_HIGHMEM_START, ram_end - E820_HIGHMEM_START, E820_RAM);
        if (ram_end < low) {
            e820_add(t, ram_end, low - ram_end, E820_ACPI);
        }
    }
    e820_add(t, E820_FLASH_START, E820_4G - E820_FLASH_START, E820_RESERVED);
    e820_add(t, E820_4G, layout->ram_above_4g, E820_RAM);
}

void e820_build_ram_only(E820Table *t, const E820Layout *layout)
{
    t->nr = 0;
    e820_add(t, 0, layout->ram_below_4g, E820_RAM);
    e820_add(t, E820_4G, layout->ram_above_4g, E820_RAM);
}

void e820_encode(const E820Table *t, uint8_t *out)
{
    for (int i = 0; i < t->nr; i++) {
        stq_le_p(out, t->entries[i].addr);
        stq_le_p(out + 8, t->entries[i].size);
        stl_le_p(out + 16, t->entries[i].type);
        out += E820_ENTRY_BYTES;
    }
}
