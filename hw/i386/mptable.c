/*
 * MP configuration tables, Intel MultiProcessor Specification version 1.4,
 * chapter 4.  ISA IRQ n reaches IOAPIC input n except IRQ 0 (input 2) and
 * the cascade IRQ 2 (no entry).  PCI slots reach PIRQA-D with the PIIX3
 * swizzle ((slot + pin) & 3) and those are assumed routed to IRQ
 * 10/10/11/11, which the BIOS-less boot path must program into PIIX3
 * PIRQRC.  IRQs shared with PCI or the SCI (5, 9, 10, 11) are level
 * triggered, active high, matching the MADT's overrides.
 */
#include "hw/i386/mptable.h"
#include "hw/acpi/pc-acpi.h"

#define MP_FLOAT_SIZE 16
#define MP_HEADER_SIZE 44
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11
#define MP_BUS_PCI 0
#define MP_BUS_ISA 1

enum {
    MP_ENTRY_PROCESSOR = 0,
    MP_ENTRY_BUS = 1,
    MP_ENTRY_IOAPIC = 2,
    MP_ENTRY_IO_INT = 3,
    MP_ENTRY_LOCAL_INT = 4,
};
enum { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };
/* Interrupt entry flags: polarity bits 1-0, trigger bits 3-2 (as the MADT). */
#define MP_FLAGS_CONFORM 0x0
#define MP_FLAGS_LEVEL_HIGH 0xd

static void mp_int_entry(AcpiBuf *b, uint8_t entry, uint8_t type, uint16_t flags, uint8_t bus,
                         uint8_t bus_irq, uint8_t dest_id, uint8_t dest_pin)
{
    uint8_t e[8] = { entry, type, 0, 0, bus, bus_irq, dest_id, dest_pin };
    stw_le_p(e + 2, flags);
    acpi_buf_append(b, e, sizeof(e));
}

static bool isa_irq_is_level(unsigned irq)
{
    static const uint8_t link_irqs[] = PC_ACPI_PCI_LINK_IRQS;
    if (irq == PC_ACPI_SCI_IRQ) {
        return true;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(link_irqs); i++) {
        if (link_irqs[i] == irq) {
            return true;
        }
    }
    return false;
}

bool mptable_build(const MpTableConfig *cfg, uint64_t addr, AcpiBuf *out, Error **errp)
{
    static const uint8_t pirq_route[4] = PC_ACPI_PIRQ_DEFAULT_ROUTE;
    uint8_t ioapic_id = cfg->nr_cpus;
    size_t fp, hdr;
    unsigned entries = 0;
    uint8_t *h;

    if (cfg->nr_cpus < 1 || cfg->nr_cpus > 254) {
        error_setg(errp, "MP table: %u CPUs not supported (1-254)", cfg->nr_cpus);
        return false;
    }
    if ((addr & 15) || addr + MP_FLOAT_SIZE > 0xffffffffULL) {
        error_setg(errp, "MP table: bad address 0x%llx", (unsigned long long)addr);
        return false;
    }
    fp = acpi_buf_append(out, NULL, MP_FLOAT_SIZE);
    hdr = acpi_buf_append(out, NULL, MP_HEADER_SIZE);

    for (unsigned i = 0; i < cfg->nr_cpus; i++) {
        uint8_t e[20] = { MP_ENTRY_PROCESSOR, i, MP_LAPIC_VERSION, i == 0 ? 0x03 : 0x01 };
        stl_le_p(e + 4, 0x00000600); /* CPU signature: family 6 */
        stl_le_p(e + 8, 0x00000201); /* features: FPU, APIC */
        acpi_buf_append(out, e, sizeof(e));
        entries++;
    }
    {
        uint8_t isa[8] = { MP_ENTRY_BUS, MP_BUS_ISA, 'I', 'S', 'A', ' ', ' ', ' ' };
        uint8_t pci[8] = { MP_ENTRY_BUS, MP_BUS_PCI, 'P', 'C', 'I', ' ', ' ', ' ' };
        acpi_buf_append(out, pci, sizeof(pci));
        acpi_buf_append(out, isa, sizeof(isa));
        entries += 2;
    }
    {
        uint8_t e[8] = { MP_ENTRY_IOAPIC, ioapic_id, MP_IOAPIC_VERSION, 0x01 /* enabled */ };
        stl_le_p(e + 4, PC_ACPI_IOAPIC_BASE);
        acpi_buf_append(out, e, sizeof(e));
        entries++;
    }
    /* ISA interrupts. */
    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == 2) {
            continue; /* the PIC cascade: nothing arrives there */
        }
        mp_int_entry(out, MP_ENTRY_IO_INT, MP_INT,
                     isa_irq_is_level(irq) ? MP_FLAGS_LEVEL_HIGH : MP_FLAGS_CONFORM, MP_BUS_ISA,
                     irq, ioapic_id, irq == 0 ? PC_ACPI_PIT_GSI : irq);
        entries++;
    }
    /* PCI INTx: source bus IRQ = device << 2 | pin (MP spec D.3). Slot 0 is the host bridge. */
    for (unsigned slot = 1; slot < 32; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            uint8_t irq = pirq_route[(slot + pin) & 3];
            mp_int_entry(out, MP_ENTRY_IO_INT, MP_INT, MP_FLAGS_LEVEL_HIGH, MP_BUS_PCI,
                         (slot << 2) | pin, ioapic_id, irq);
            entries++;
        }
    }
    /* Local interrupts: the PIC's INTR on LINT0 (virtual wire), NMI on LINT1, all CPUs. */
    mp_int_entry(out, MP_ENTRY_LOCAL_INT, MP_EXTINT, MP_FLAGS_CONFORM, MP_BUS_ISA, 0, 0xff, 0);
    mp_int_entry(out, MP_ENTRY_LOCAL_INT, MP_NMI, MP_FLAGS_CONFORM, MP_BUS_ISA, 0, 0xff, 1);
    entries += 2;

    h = out->data + hdr;
    memcpy(h, "PCMP", 4);
    stw_le_p(h + 4, out->len - hdr); /* base table length */
    h[6] = 4;                        /* specification revision 1.4 */
    acpi_buf_put_str(out, hdr + 8, "OSPREY", 8);
    acpi_buf_put_str(out, hdr + 16, "PC", 12);
    stw_le_p(h + 34, entries);
    stl_le_p(h + 36, PC_ACPI_LAPIC_BASE);
    h[7] = -acpi_checksum(h, out->len - hdr);

    h = out->data + fp;
    memcpy(h, "_MP_", 4);
    stl_le_p(h + 4, addr + (hdr - fp)); /* configuration table address */
    h[8] = 1;                           /* length in 16-byte units */
    h[9] = 4;                           /* revision 1.4 */
    /* Feature bytes all 0: a configuration table is present, virtual wire mode. */
    h[10] = -acpi_checksum(h, MP_FLOAT_SIZE);
    return true;
}

bool mptable_install(AddressSpace *as, uint64_t addr, size_t max_size, const MpTableConfig *cfg,
                     size_t *used, Error **errp)
{
    AcpiBuf b = { 0 };
    bool ok = mptable_build(cfg, addr, &b, errp);
    if (ok && b.len > max_size) {
        error_setg(errp, "MP table: needs %zu bytes, %zu available", b.len, max_size);
        ok = false;
    }
    if (ok && address_space_write_rom(as, addr, b.data, b.len) != MEMTX_OK) {
        error_setg(errp, "MP table: cannot write at 0x%llx", (unsigned long long)addr);
        ok = false;
    }
    if (ok && used) {
        *used = b.len;
    }
    acpi_buf_free(&b);
    return ok;
}
