/*
 * ACPI tables for the "pc" machine (i440FX + PIIX3/PIIX4 PM, local APICs,
 * IOAPIC, HPET).  Layouts follow the ACPI 6.4 specification: RSDP (5.2.5),
 * RSDT/XSDT (5.2.7, 5.2.8), FADT (5.2.9, revision 3 layout), FACS (5.2.10),
 * DSDT (5.2.11), MADT (5.2.12); the HPET table follows the IA-PC HPET
 * specification 1.0a section 3.2.4.
 *
 * Every table goes into one blob ("etc/acpi/tables"), the RSDP into its
 * own ("etc/acpi/rsdp").  Pointer fields hold the target's offset inside
 * the tables blob; a loader ADD_POINTER command adds the blob's address
 * later, and an ADD_CHECKSUM command after a table's pointers fixes its
 * checksum, so the same bytes work for SeaBIOS and for our own loader.
 */
#include "hw/acpi/acpi-build.h"
#include "hw/acpi/bios-linker-loader.h"

#define ACPI_HEADER_SIZE 36
#define ACPI_HEADER_LENGTH 4
#define ACPI_HEADER_CHECKSUM 9

typedef struct AcpiBuildCtx {
    AcpiBuf *tables;
    AcpiBuf *loader;
} AcpiBuildCtx;

/* Start a table with the standard description header; returns its offset. */
static size_t table_begin(AcpiBuildCtx *c, const char *sig, uint8_t revision)
{
    size_t off = acpi_buf_append(c->tables, NULL, ACPI_HEADER_SIZE);
    uint8_t *h = c->tables->data + off;
    memcpy(h, sig, 4);
    h[8] = revision;
    acpi_buf_put_str(c->tables, off + 10, PC_ACPI_OEM_ID, 6);
    acpi_buf_put_str(c->tables, off + 16, PC_ACPI_OEM_TABLE_ID, 8);
    stl_le_p(c->tables->data + off + 24, 1); /* OEM revision */
    acpi_buf_put_str(c->tables, off + 28, PC_ACPI_CREATOR_ID, 4);
    stl_le_p(c->tables->data + off + 32, PC_ACPI_CREATOR_REVISION);
    return off;
}

/* Set the length and queue the checksum fix, after every pointer of the table. */
static void table_end(AcpiBuildCtx *c, size_t off)
{
    size_t len = c->tables->len - off;
    stl_le_p(c->tables->data + off + ACPI_HEADER_LENGTH, len);
    bios_linker_add_checksum(c->loader, PC_ACPI_FILE_TABLES, off + ACPI_HEADER_CHECKSUM, off,
                             len);
}

/* A pointer field at field_off (inside file) to offset target_off of the tables blob. */
static void table_pointer(AcpiBuildCtx *c, AcpiBuf *file, const char *file_name,
                          size_t field_off, unsigned size, size_t target_off)
{
    stn_le_p(file->data + field_off, size, target_off);
    bios_linker_add_pointer(c->loader, file_name, field_off, size, PC_ACPI_FILE_TABLES);
}

/* Generic Address Structure (5.2.3.2). */
static void put_gas(uint8_t *p, uint8_t space, uint8_t bit_width, uint8_t access_size,
                    uint64_t addr)
{
    p[0] = space;
    p[1] = bit_width;
    p[2] = 0;
    p[3] = access_size;
    stq_le_p(p + 4, addr);
}

enum { GAS_MEMORY = 0, GAS_IO = 1 };
enum { GAS_ACCESS_BYTE = 1, GAS_ACCESS_WORD = 2, GAS_ACCESS_DWORD = 3 };

/* ------------------------------------------------------------------------ */
/* FACS */

static size_t build_facs(AcpiBuildCtx *c)
{
    /* The FACS must be 64-byte aligned; the blob is, and this is its start. */
    size_t off;
    acpi_buf_align(c->tables, 64);
    off = acpi_buf_append(c->tables, NULL, 64);
    memcpy(c->tables->data + off, "FACS", 4);
    stl_le_p(c->tables->data + off + 4, 64);
    c->tables->data[off + 32] = 1; /* version */
    return off;
}

/* ------------------------------------------------------------------------ */
/* DSDT */

static Aml *name_int(const char *name, uint64_t v)
{
    return aml_name_decl(name, aml_int(v));
}

/* An ISA device: _HID, optional _UID, _STA "present", and a fixed _CRS. */
static Aml *isa_device(const char *name, const char *eisaid, Aml *crs)
{
    Aml *dev = aml_device(name);
    aml_append(dev, aml_name_decl("_HID", aml_eisaid(eisaid)));
    aml_append(dev, aml_name_decl("_CRS", crs));
    return dev;
}

static Aml *build_isa_devices(void)
{
    Aml *isa = aml_device("ISA");
    Aml *crs;

    aml_append(isa, name_int("_ADR", PC_ACPI_PIIX3_DEVFN_ADR));
    /* The PIIX3 PIRQ route control registers, read and written by the link devices. */
    aml_append(isa, aml_operation_region("P40C", AML_PCI_CONFIG,
                                         aml_int(PC_ACPI_PIIX3_PIRQRC), aml_int(4)));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x70, 0x70, 1, 2));
    aml_append(crs, aml_irq_no_flags(8));
    aml_append(isa, isa_device("RTC", "PNP0B00", crs));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x60, 0x60, 1, 1));
    aml_append(crs, aml_io(0x64, 0x64, 1, 1));
    aml_append(crs, aml_irq_no_flags(1));
    aml_append(isa, isa_device("KBD", "PNP0303", crs));

    crs = aml_resource_template();
    aml_append(crs, aml_irq_no_flags(12));
    aml_append(isa, isa_device("MOU", "PNP0F13", crs));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x3f8, 0x3f8, 1, 8));
    aml_append(crs, aml_irq_no_flags(4));
    Aml *com1 = isa_device("COM1", "PNP0501", crs);
    aml_append(com1, name_int("_UID", 1));
    aml_append(isa, com1);

    /* Motherboard resources every PC has: the PICs, the DMA controllers, the PIT, the speaker. */
    crs = aml_resource_template();
    aml_append(crs, aml_io(0x20, 0x20, 1, 2));
    aml_append(crs, aml_io(0xa0, 0xa0, 1, 2));
    aml_append(crs, aml_irq_no_flags(2));
    aml_append(isa, isa_device("PIC", "PNP0000", crs));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x00, 0x00, 1, 0x10));
    aml_append(crs, aml_io(0x81, 0x81, 1, 0x0f));
    aml_append(crs, aml_io(0xc0, 0xc0, 1, 0x20));
    aml_append(isa, isa_device("DMA", "PNP0200", crs));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x40, 0x40, 1, 4));
    aml_append(crs, aml_irq_no_flags(0));
    aml_append(isa, isa_device("TMR", "PNP0100", crs));

    crs = aml_resource_template();
    aml_append(crs, aml_io(0x61, 0x61, 1, 1));
    aml_append(isa, isa_device("SPKR", "PNP0800", crs));
    return isa;
}

static Aml *link_irq_template(const uint32_t *irqs, unsigned nr)
{
    Aml *rt = aml_resource_template();
    aml_append(rt, aml_interrupt(true, false, false, true, irqs, nr));
    return rt;
}

/*
 * A PCI interrupt link (PNP0C0F) over one PIRQRC register: _STA reports it
 * disabled when bit 7 is set, _CRS gives the routed IRQ, _SRS routes it, _DIS
 * disables it.  The IRQ number sits at byte 5 of the extended interrupt
 * descriptor.
 */
static Aml *build_link(unsigned index)
{
    static const uint32_t link_irqs[] = PC_ACPI_PCI_LINK_IRQS;
    static const uint32_t no_irq[] = { 0 };
    char name[5], reg[5];
    Aml *dev, *method, *ifb, *elseb;

    snprintf(name, sizeof(name), "LNK%c", 'A' + index);
    snprintf(reg, sizeof(reg), "PRQ%u", index & 3);
    dev = aml_device(name);
    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C0F")));
    aml_append(dev, name_int("_UID", index));
    aml_append(dev, aml_name_decl("_PRS", link_irq_template(link_irqs, ARRAY_SIZE(link_irqs))));

    method = aml_method("_STA", 0, false);
    ifb = aml_if(aml_and(aml_name(reg), aml_int(PC_ACPI_PIRQ_DISABLED), NULL));
    aml_append(ifb, aml_return(aml_int(0x09))); /* present, functioning, disabled */
    aml_append(method, ifb);
    elseb = aml_else();
    aml_append(elseb, aml_return(aml_int(0x0b))); /* present, enabled, functioning */
    aml_append(method, elseb);
    aml_append(dev, method);

    method = aml_method("_DIS", 0, false);
    aml_append(method, aml_or(aml_name(reg), aml_int(PC_ACPI_PIRQ_DISABLED), aml_name(reg)));
    aml_append(dev, method);

    method = aml_method("_CRS", 0, true);
    aml_append(method, aml_name_decl("PRR0", link_irq_template(no_irq, 1)));
    aml_append(method, aml_create_dword_field(aml_name("PRR0"), aml_int(5), "PRRI"));
    ifb = aml_if(aml_less(aml_name(reg), aml_int(PC_ACPI_PIRQ_DISABLED)));
    aml_append(ifb, aml_store(aml_and(aml_name(reg), aml_int(0x0f), NULL), aml_name("PRRI")));
    aml_append(method, ifb);
    aml_append(method, aml_return(aml_name("PRR0")));
    aml_append(dev, method);

    method = aml_method("_SRS", 1, true);
    aml_append(method, aml_create_dword_field(aml_arg(0), aml_int(5), "PRRI"));
    aml_append(method, aml_store(aml_name("PRRI"), aml_name(reg)));
    aml_append(dev, method);
    return dev;
}

/*
 * _PRT: every slot's INTA-D to link ((slot + pin) & 3), the PIIX3 wiring.
 * Slot 1 (the PIIX itself: its IDE, USB and PM functions) follows the same
 * rule.
 */
static Aml *build_prt(void)
{
    Aml *prt = aml_package();
    for (unsigned slot = 0; slot < 32; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            char link[5];
            Aml *entry = aml_package();
            snprintf(link, sizeof(link), "LNK%c", 'A' + ((slot + pin) & 3));
            aml_append(entry, aml_int((slot << 16) | 0xffff));
            aml_append(entry, aml_int(pin));
            aml_append(entry, aml_name(link));
            aml_append(entry, aml_zero());
            aml_append(prt, entry);
        }
    }
    return aml_name_decl("_PRT", prt);
}

static Aml *build_pci0(const PcAcpiConfig *cfg)
{
    Aml *pci = aml_device("PCI0");
    Aml *crs = aml_resource_template();

    aml_append(pci, aml_name_decl("_HID", aml_eisaid("PNP0A03")));
    /* No _ADR: ACPI 6.4 section 6.1 allows _HID or _ADR on a device, not both. */
    aml_append(pci, name_int("_UID", 0));
    aml_append(pci, name_int("_BBN", 0));

    aml_append(crs, aml_word_bus_number(0, 0xff));
    aml_append(crs, aml_io(0xcf8, 0xcf8, 1, 8)); /* the config ports belong to the bridge */
    aml_append(crs, aml_dword_io(0x0000, 0x0cf7));
    aml_append(crs, aml_dword_io(0x0d00, 0xffff));
    aml_append(crs, aml_dword_memory(0x000a0000, 0x000bffff, true)); /* VGA window */
    if (cfg->pci_hole_start < PC_ACPI_PCI_HOLE_END) {
        aml_append(crs, aml_dword_memory(cfg->pci_hole_start, PC_ACPI_PCI_HOLE_END - 1, false));
    }
    if (cfg->pci_hole64_start < cfg->pci_hole64_end) {
        aml_append(crs, aml_qword_memory(cfg->pci_hole64_start, cfg->pci_hole64_end - 1, false));
    }
    aml_append(pci, aml_name_decl("_CRS", crs));
    aml_append(pci, build_isa_devices());
    return pci;
}

static Aml *build_hpet_device(void)
{
    Aml *dev = aml_device("HPET");
    Aml *crs = aml_resource_template();
    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0103")));
    aml_append(dev, name_int("_UID", 0));
    aml_append(dev, name_int("_STA", 0x0f));
    aml_append(crs, aml_memory32_fixed(PC_ACPI_HPET_BASE, PC_ACPI_HPET_SIZE, false));
    aml_append(dev, aml_name_decl("_CRS", crs));
    return dev;
}

static size_t build_dsdt(AcpiBuildCtx *c, const PcAcpiConfig *cfg)
{
    /* Revision 2: integers are 64 bits wide (needed by the 64-bit PCI window). */
    size_t off = table_begin(c, "DSDT", 2);
    Aml *body = aml_term_list();
    Aml *sb = aml_scope("\\_SB");
    Aml *field, *s5, *gpe;

    aml_append(sb, build_pci0(cfg));
    field = aml_field("PCI0.ISA.P40C", AML_BYTE_ACC, false, AML_PRESERVE);
    for (unsigned i = 0; i < 4; i++) {
        char name[5];
        snprintf(name, sizeof(name), "PRQ%u", i & 3);
        aml_field_add(field, name, 8);
    }
    aml_append(sb, field);
    for (unsigned i = 0; i < 4; i++) {
        aml_append(sb, build_link(i));
    }
    /*
     * _PRT names the link devices, so it comes after them: the table loads
     * in order, and the links need the PIIX3 region defined inside PCI0.
     */
    Aml *pci_scope = aml_scope("PCI0");
    aml_append(pci_scope, build_prt());
    aml_append(sb, pci_scope);
    if (cfg->hpet) {
        aml_append(sb, build_hpet_device());
    }
    /* Processor devices; _UID matches the MADT's ACPI processor UID. */
    for (unsigned i = 0; i < cfg->nr_cpus; i++) {
        char name[5];
        Aml *cpu;
        snprintf(name, sizeof(name), "C%03X", i & 0xfff);
        cpu = aml_device(name);
        aml_append(cpu, aml_name_decl("_HID", aml_string("ACPI0007")));
        aml_append(cpu, name_int("_UID", i));
        aml_append(sb, cpu);
    }
    aml_append(body, sb);

    /* S5 (soft off): SLP_TYP for PM1a and PM1b. */
    s5 = aml_package();
    aml_append(s5, aml_int(PC_ACPI_S5_SLP_TYP));
    aml_append(s5, aml_int(PC_ACPI_S5_SLP_TYP));
    aml_append(body, aml_name_decl("\\_S5", s5));

    /* No GPE-driven events yet (no hotplug): an empty \_GPE scope. */
    gpe = aml_scope("\\_GPE");
    aml_append(body, gpe);

    aml_to_buf(body, c->tables);
    table_end(c, off);
    return off;
}

/* ------------------------------------------------------------------------ */
/* FADT (revision 3 layout, 244 bytes) */

#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_LENGTH 244

/* FADT Flags (5.2.9, table 5.10). */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_PWR_BUTTON (1u << 4) /* clear: the power button is fixed hardware */
#define FADT_F_SLP_BUTTON (1u << 5) /* set: no fixed-hardware sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8) /* clear: the PM timer is 24 bits */
#define FADT_F_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags (5.2.9.3). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)

static size_t build_fadt(AcpiBuildCtx *c, size_t facs, size_t dsdt)
{
    size_t off = table_begin(c, "FACP", 3);
    uint8_t *f;

    acpi_buf_append(c->tables, NULL, FADT_LENGTH - ACPI_HEADER_SIZE);
    f = c->tables->data + off;
    f[45] = 0;                                /* Preferred_PM_Profile: unspecified */
    stw_le_p(f + 46, PC_ACPI_SCI_IRQ);        /* SCI_INT */
    stl_le_p(f + 48, PC_ACPI_SMI_CMD);        /* SMI_CMD */
    f[52] = PC_ACPI_ENABLE;
    f[53] = PC_ACPI_DISABLE;
    stl_le_p(f + 56, PC_ACPI_PM1A_EVT_BLK);
    stl_le_p(f + 64, PC_ACPI_PM1A_CNT_BLK);
    stl_le_p(f + 76, PC_ACPI_PM_TMR_BLK);
    stl_le_p(f + 80, PC_ACPI_GPE0_BLK);
    f[88] = PC_ACPI_PM1_EVT_LEN;
    f[89] = PC_ACPI_PM1_CNT_LEN;
    f[91] = PC_ACPI_PM_TMR_LEN;
    f[92] = PC_ACPI_GPE0_BLK_LEN;
    stw_le_p(f + 96, 0x0fff);  /* P_LVL2_LAT > 100: C2 not supported */
    stw_le_p(f + 98, 0x0fff);  /* P_LVL3_LAT > 1000: C3 not supported */
    f[108] = 0x32;             /* CENTURY: the RTC CMOS century byte */
    stw_le_p(f + 109, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042);
    stl_le_p(f + 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP);
    put_gas(f + 116, GAS_IO, 8, GAS_ACCESS_BYTE, PC_ACPI_RESET_PORT); /* RESET_REG */
    f[128] = PC_ACPI_RESET_VALUE;
    /* The extended (X_) register blocks, describing the same ports. */
    put_gas(f + 148, GAS_IO, PC_ACPI_PM1_EVT_LEN * 8, GAS_ACCESS_BYTE, PC_ACPI_PM1A_EVT_BLK);
    put_gas(f + 172, GAS_IO, PC_ACPI_PM1_CNT_LEN * 8, GAS_ACCESS_WORD, PC_ACPI_PM1A_CNT_BLK);
    put_gas(f + 208, GAS_IO, PC_ACPI_PM_TMR_LEN * 8, GAS_ACCESS_DWORD, PC_ACPI_PM_TMR_BLK);
    put_gas(f + 220, GAS_IO, PC_ACPI_GPE0_BLK_LEN * 8, GAS_ACCESS_BYTE, PC_ACPI_GPE0_BLK);

    table_pointer(c, c->tables, PC_ACPI_FILE_TABLES, off + FADT_FIRMWARE_CTRL, 4, facs);
    table_pointer(c, c->tables, PC_ACPI_FILE_TABLES, off + FADT_DSDT, 4, dsdt);
    table_pointer(c, c->tables, PC_ACPI_FILE_TABLES, off + FADT_X_FIRMWARE_CTRL, 8, facs);
    table_pointer(c, c->tables, PC_ACPI_FILE_TABLES, off + FADT_X_DSDT, 8, dsdt);
    table_end(c, off);
    return off;
}

/* ------------------------------------------------------------------------ */
/* MADT */

enum {
    MADT_LOCAL_APIC = 0,
    MADT_IO_APIC = 1,
    MADT_INT_SRC_OVERRIDE = 2,
    MADT_LOCAL_APIC_NMI = 4,
};
/* MPS INTI flags: polarity bits 1-0, trigger mode bits 3-2. */
#define MADT_POLARITY_HIGH 0x1
#define MADT_TRIGGER_EDGE (0x1 << 2)
#define MADT_TRIGGER_LEVEL (0x3 << 2)

static void madt_override(AcpiBuf *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t e[10] = { MADT_INT_SRC_OVERRIDE, 10, 0 /* ISA */, irq };
    stl_le_p(e + 4, gsi);
    stw_le_p(e + 8, flags);
    acpi_buf_append(t, e, sizeof(e));
}

static size_t build_madt(AcpiBuildCtx *c, const PcAcpiConfig *cfg)
{
    static const uint8_t link_irqs[] = PC_ACPI_PCI_LINK_IRQS;
    size_t off = table_begin(c, "APIC", 3);
    AcpiBuf *t = c->tables;

    acpi_buf_append_le(t, PC_ACPI_LAPIC_BASE, 4);
    acpi_buf_append_le(t, 1, 4); /* PCAT_COMPAT: there are 8259 PICs too */
    for (unsigned i = 0; i < cfg->nr_cpus; i++) {
        uint8_t e[8] = { MADT_LOCAL_APIC, 8, i /* processor UID */, i /* APIC ID */ };
        stl_le_p(e + 4, 1); /* enabled */
        acpi_buf_append(t, e, sizeof(e));
    }
    if (cfg->ioapic) {
        uint8_t e[12] = { MADT_IO_APIC, 12, cfg->nr_cpus /* IOAPIC ID */, 0 };
        stl_le_p(e + 4, PC_ACPI_IOAPIC_BASE);
        stl_le_p(e + 8, PC_ACPI_IOAPIC_GSI_BASE);
        acpi_buf_append(t, e, sizeof(e));

        madt_override(t, 0, PC_ACPI_PIT_GSI, MADT_POLARITY_HIGH | MADT_TRIGGER_EDGE);
        madt_override(t, PC_ACPI_SCI_IRQ, PC_ACPI_SCI_IRQ,
                      MADT_POLARITY_HIGH | MADT_TRIGGER_LEVEL);
        for (unsigned i = 0; i < ARRAY_SIZE(link_irqs); i++) {
            madt_override(t, link_irqs[i], link_irqs[i], MADT_POLARITY_HIGH | MADT_TRIGGER_LEVEL);
        }
    }
    {
        /* NMI arrives on LINT1 of every processor (UID 0xff = all). */
        uint8_t e[6] = { MADT_LOCAL_APIC_NMI, 6, 0xff, 0, 0, 1 };
        acpi_buf_append(t, e, sizeof(e));
    }
    table_end(c, off);
    return off;
}

/* ------------------------------------------------------------------------ */
/* HPET table */

static size_t build_hpet_table(AcpiBuildCtx *c)
{
    size_t off = table_begin(c, "HPET", 1);
    uint8_t e[20] = { 0 };
    stl_le_p(e, PC_ACPI_HPET_BLOCK_ID);                 /* event timer block ID */
    put_gas(e + 4, GAS_MEMORY, 64, 0, PC_ACPI_HPET_BASE); /* base address */
    e[16] = 0;                                           /* HPET number */
    stw_le_p(e + 17, 0x80);                              /* minimum clock tick in periodic mode */
    e[19] = 0;                                           /* no page protection */
    acpi_buf_append(c->tables, e, sizeof(e));
    table_end(c, off);
    return off;
}

/* ------------------------------------------------------------------------ */
/* RSDT, XSDT, RSDP */

static size_t build_sdt(AcpiBuildCtx *c, const char *sig, unsigned entry_size,
                        const size_t *entries, unsigned nr)
{
    size_t off = table_begin(c, sig, 1);
    for (unsigned i = 0; i < nr; i++) {
        size_t field = acpi_buf_append(c->tables, NULL, entry_size);
        table_pointer(c, c->tables, PC_ACPI_FILE_TABLES, field, entry_size, entries[i]);
    }
    table_end(c, off);
    return off;
}

#define RSDP_CHECKSUM 8
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_EXT_CHECKSUM 32
#define RSDP_SIZE 36

static void build_rsdp(AcpiBuildCtx *c, AcpiBuf *rsdp, size_t rsdt, size_t xsdt)
{
    acpi_buf_append(rsdp, NULL, RSDP_SIZE);
    memcpy(rsdp->data, "RSD PTR ", 8);
    acpi_buf_put_str(rsdp, 9, PC_ACPI_OEM_ID, 6);
    rsdp->data[15] = 2; /* revision: ACPI 2.0+, with XSDT */
    stl_le_p(rsdp->data + RSDP_LENGTH, RSDP_SIZE);
    table_pointer(c, rsdp, PC_ACPI_FILE_RSDP, RSDP_RSDT, 4, rsdt);
    table_pointer(c, rsdp, PC_ACPI_FILE_RSDP, RSDP_XSDT, 8, xsdt);
    /* The ACPI 1.0 checksum covers the first 20 bytes, the extended one all 36. */
    bios_linker_add_checksum(c->loader, PC_ACPI_FILE_RSDP, RSDP_CHECKSUM, 0, 20);
    bios_linker_add_checksum(c->loader, PC_ACPI_FILE_RSDP, RSDP_EXT_CHECKSUM, 0, RSDP_SIZE);
}

/* ------------------------------------------------------------------------ */

void acpi_build_tables_free(AcpiBuildTables *t)
{
    acpi_buf_free(&t->tables);
    acpi_buf_free(&t->rsdp);
    acpi_buf_free(&t->loader);
}

bool pc_acpi_build(const PcAcpiConfig *cfg, AcpiBuildTables *out, Error **errp)
{
    AcpiBuildCtx c = { &out->tables, &out->loader };
    size_t facs, dsdt, tables[4], rsdt, xsdt;
    unsigned nr = 0;

    memset(out, 0, sizeof(*out));
    if (cfg->nr_cpus < 1 || cfg->nr_cpus > PC_ACPI_MAX_CPUS) {
        error_setg(errp, "ACPI: %u CPUs not supported (1-%d)", cfg->nr_cpus, PC_ACPI_MAX_CPUS);
        return false;
    }
    if (cfg->pci_hole_start > PC_ACPI_PCI_HOLE_END) {
        error_setg(errp, "ACPI: PCI hole start 0x%x above 0x%x", cfg->pci_hole_start,
                   PC_ACPI_PCI_HOLE_END);
        return false;
    }
    /* Everything is in one HIGH allocation; the FACS needs 64-byte alignment. */
    bios_linker_allocate(c.loader, PC_ACPI_FILE_TABLES, 64, false);
    bios_linker_allocate(c.loader, PC_ACPI_FILE_RSDP, 16, true);

    facs = build_facs(&c);
    dsdt = build_dsdt(&c, cfg);
    tables[nr++] = build_fadt(&c, facs, dsdt);
    tables[nr++] = build_madt(&c, cfg);
    if (cfg->hpet) {
        tables[nr++] = build_hpet_table(&c);
    }
    rsdt = build_sdt(&c, "RSDT", 4, tables, nr);
    xsdt = build_sdt(&c, "XSDT", 8, tables, nr);
    build_rsdp(&c, &out->rsdp, rsdt, xsdt);
    return true;
}

uint64_t pc_acpi_install(AddressSpace *as, const AcpiBuildTables *t, AcpiLoaderArena *high,
                         AcpiLoaderArena *fseg, Error **errp)
{
    AcpiLoaderFile files[] = {
        { PC_ACPI_FILE_TABLES, t->tables.data, t->tables.len, 0 },
        { PC_ACPI_FILE_RSDP, t->rsdp.data, t->rsdp.len, 0 },
    };
    if (!acpi_loader_exec(as, t->loader.data, t->loader.len, files, ARRAY_SIZE(files), high,
                          fseg, errp)) {
        return 0;
    }
    return files[1].addr;
}
