/*
 * Osprey BIOS: the MultiProcessor table (Intel MultiProcessor Specification 1.4, chapter 4),
 * for operating systems that boot without ACPI (Linux with acpi=off, older systems): the
 * floating pointer and the configuration table in the F-segment table zone, with one
 * processor entry per CPU, the PCI and ISA buses, the I/O APIC, the interrupt assignments
 * and the local interrupts of virtual-wire mode (the 8259 reaches the CPUs through LINT0
 * only: the board does not wire it to I/O APIC input 0, so there is no ExtINT entry there).
 *
 * The interrupt routing matches the board and the ACPI tables: ISA IRQ n reaches I/O APIC
 * input n (IRQ 0 input 2), PCI INTx go through PIIX PIRQ routing to ISA IRQs 10/11 and are
 * level-triggered, active high at the I/O APIC.
 */
#include "bios.h"

#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u
#define BUS_PCI 0
#define BUS_ISA 1
#define MAX_ENTRIES 96
#define MP_HEADER_SIZE 44

u32 pci_read32(u16 bdf, u8 reg);
u8 pci_read8(u16 bdf, u8 reg);

/* The floating pointer must lie where the spec says to search: the F segment is one place. */
static u8 floating[16] __attribute__((aligned(16)));
static u8 table[MP_HEADER_SIZE + 20 * 16 + 8 * MAX_ENTRIES];
static u16 table_len;
static u16 entry_count;

static void put8(u8 v) { table[table_len++] = v; }
static void put16(u16 v)
{
    put8((u8)v);
    put8((u8)(v >> 8));
}
static void put32(u32 v)
{
    put16((u16)v);
    put16((u16)(v >> 16));
}
static void put_str(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        put8(*s ? (u8)*s++ : ' ');
    }
}

static void io_interrupt(u8 type, u16 flags, u8 bus, u8 bus_irq, u8 ioapic_id, u8 pin)
{
    if (table_len + 8 > sizeof(table)) {
        return;
    }
    put8(3);
    put8(type);
    put16(flags);
    put8(bus);
    put8(bus_irq);
    put8(ioapic_id);
    put8(pin);
    entry_count++;
}

static u8 checksum(const u8 *p, u32 len)
{
    u8 sum = 0;
    for (u32 i = 0; i < len; i++) {
        sum += p[i];
    }
    return (u8)-sum;
}

void mptable_setup(void)
{
    u32 eax = 1, ebx, ecx, edx;
    asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    if (!(edx & (1u << 9))) {
        return; /* no local APIC: no MP table */
    }
    u8 ioapic_id = (u8)nr_cpus;
    table_len = MP_HEADER_SIZE;
    entry_count = 0;
    for (u16 cpu = 0; cpu < nr_cpus && cpu < 16; cpu++) {
        if (!(cpus_started_mask & (1u << cpu))) {
            continue; /* it did not answer the start-up IPI in POST */
        }
        put8(0);                       /* processor */
        put8((u8)cpu);                 /* local APIC ID */
        put8(0x14);                    /* local APIC version */
        put8(cpu == 0 ? 3 : 1);        /* enabled, BSP */
        put32(eax);                    /* CPU signature */
        put32(edx);                    /* feature flags */
        put32(0);
        put32(0);
        entry_count++;
    }
    put8(1);
    put8(BUS_PCI);
    put_str("PCI", 6);
    put8(1);
    put8(BUS_ISA);
    put_str("ISA", 6);
    entry_count += 2;
    put8(2);                           /* I/O APIC */
    put8(ioapic_id);
    put8(0x11);
    put8(1);                           /* enabled */
    put32(IOAPIC_BASE);
    entry_count++;
    /* PCI devices: level-triggered, active high, on the ISA IRQ their PIRQ is routed to. */
    u16 pci_irqs = 0;
    for (u16 bdf = 0; bdf < 256; bdf++) {
        u32 id = pci_read32(bdf, 0);
        if ((id & 0xffff) == 0xffff || !id) {
            continue;
        }
        u8 pin = pci_read8(bdf, 0x3d);
        u8 line = pci_read8(bdf, 0x3c);
        if (pin < 1 || pin > 4 || line >= 16 || (bdf & 7)) {
            continue;
        }
        io_interrupt(0, 0x0d, BUS_PCI, (u8)((bdf >> 3) << 2 | (pin - 1)), ioapic_id, line);
        pci_irqs |= (u16)(1u << line);
    }
    /* ISA IRQs: conforming to the bus (edge, active high); IRQ 0 on input 2. */
    for (u8 irq = 0; irq < 16; irq++) {
        if (irq == 2 || (pci_irqs & (1u << irq))) {
            continue;
        }
        io_interrupt(0, 0, BUS_ISA, irq, ioapic_id, irq == 0 ? 2 : irq);
    }
    /* Local interrupts: ExtINT on LINT0, NMI on LINT1, for every local APIC. */
    for (u8 lint = 0; lint < 2; lint++) {
        put8(4);
        put8(lint == 0 ? 3 : 1);
        put16(0);
        put8(BUS_ISA);
        put8(0);
        put8(0xff);
        put8(lint);
        entry_count++;
    }
    u32 addr = fseg_alloc(table_len, 16);
    if (!addr) {
        dprintf("mptable: no room in the F-segment zone\n");
        return;
    }
    u16 len = table_len;
    table_len = 0;
    put_str("PCMP", 4);
    put16(len);
    put8(4);                           /* spec revision 1.4 */
    put8(0);                           /* checksum, below */
    put_str("OSPREY", 8);
    put_str("0.1", 12);
    put32(0);
    put16(0);
    put16(entry_count);
    put32(LAPIC_BASE);
    put16(0);
    put8(0);
    put8(0);
    table[7] = checksum(table, len);
    for (u16 i = 0; i < len; i++) {
        flat_wb(addr + i, table[i]);
    }
    static const u8 head[4] = {'_', 'M', 'P', '_'};
    memcpy(floating, head, 4);
    memcpy(floating + 4, &addr, 4);
    floating[8] = 1;                   /* length in 16-byte units */
    floating[9] = 4;                   /* spec revision 1.4 */
    floating[10] = 0;
    floating[10] = checksum(floating, 16);
    dprintf("mptable: %u entries at %x, pointer at %x\n", entry_count, addr,
            BIOS_FLAT(floating));
}
