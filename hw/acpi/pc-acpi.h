/*
 * The "pc" machine's platform constants as the firmware tables describe
 * them.  These MUST match the devices (PIIX4 PM function, local APIC, IOAPIC,
 * HPET, PIIX3 ISA bridge, fw_cfg): a mismatch makes the guest OS program the
 * wrong registers.
 */
#ifndef HW_ACPI_PC_ACPI_H
#define HW_ACPI_PC_ACPI_H

/* PIIX4 PM function: PM I/O base and its blocks. */
#define PC_ACPI_PM_IO_BASE 0x600
#define PC_ACPI_PM1A_EVT_BLK (PC_ACPI_PM_IO_BASE + 0x00) /* PM1a_STS + PM1a_EN */
#define PC_ACPI_PM1_EVT_LEN 4
#define PC_ACPI_PM1A_CNT_BLK (PC_ACPI_PM_IO_BASE + 0x04)
#define PC_ACPI_PM1_CNT_LEN 2
#define PC_ACPI_PM_TMR_BLK (PC_ACPI_PM_IO_BASE + 0x08) /* 24-bit timer */
#define PC_ACPI_PM_TMR_LEN 4
#define PC_ACPI_GPE0_BLK 0xafe0
#define PC_ACPI_GPE0_BLK_LEN 4
#define PC_ACPI_SMI_CMD 0xb2
#define PC_ACPI_ENABLE 0xf1
#define PC_ACPI_DISABLE 0xf0
#define PC_ACPI_SCI_IRQ 9
#define PC_ACPI_S5_SLP_TYP 0
#define PC_ACPI_RESET_PORT 0xcf9
#define PC_ACPI_RESET_VALUE 0x06

/* Interrupt controllers. */
#define PC_ACPI_LAPIC_BASE 0xfee00000u /* APIC ID = CPU index */
#define PC_ACPI_IOAPIC_BASE 0xfec00000u /* IOAPIC ID = number of CPUs */
#define PC_ACPI_IOAPIC_GSI_BASE 0
#define PC_ACPI_IOAPIC_PINS 24
#define PC_ACPI_PIT_GSI 2 /* ISA IRQ 0 arrives on IOAPIC input 2 */

/* HPET. */
#define PC_ACPI_HPET_BASE 0xfed00000u
#define PC_ACPI_HPET_SIZE 0x400
#define PC_ACPI_HPET_BLOCK_ID 0x8086a201u

/* PIIX3 ISA bridge at PCI 00:01.0: PIRQ route control registers PIRQRC[A-D]. */
#define PC_ACPI_PIIX3_DEVFN_ADR 0x00010000 /* _ADR: device 1, function 0 */
#define PC_ACPI_PIIX3_PIRQRC 0x60          /* 4 bytes; bit 7 = disabled, bits 3-0 = IRQ */
#define PC_ACPI_PIRQ_DISABLED 0x80
/* The IRQs a PCI link may be routed to, and the routing the MP table assumes. */
#define PC_ACPI_PCI_LINK_IRQS { 5, 10, 11 }
#define PC_ACPI_PIRQ_DEFAULT_ROUTE { 10, 10, 11, 11 }

/* The PCI hole ends where the IOAPIC begins. */
#define PC_ACPI_PCI_HOLE_END 0xfec00000u

/* fw_cfg file names carrying the blobs. */
#define PC_ACPI_FILE_TABLES "etc/acpi/tables"
#define PC_ACPI_FILE_RSDP "etc/acpi/rsdp"
#define PC_ACPI_FILE_LOADER "etc/table-loader"
#define PC_SMBIOS_FILE_TABLES "etc/smbios/smbios-tables"
#define PC_SMBIOS_FILE_ANCHOR "etc/smbios/smbios-anchor"

/* Identification in every table header. */
#define PC_ACPI_OEM_ID "OSPREY"
#define PC_ACPI_OEM_TABLE_ID "OSPREYPC"
#define PC_ACPI_CREATOR_ID "OSPR"
#define PC_ACPI_CREATOR_REVISION 1

#endif
