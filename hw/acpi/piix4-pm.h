/*
 * The PIIX4-style ACPI power-management function (01.3) as the rest of the
 * machine sees it.  The ACPI table builder takes the FADT's fixed-hardware
 * description from exactly these values.
 */
#ifndef HW_ACPI_PIIX4_PM_H
#define HW_ACPI_PIIX4_PM_H

#define PIIX4_PM_DEVFN_SLOT 1
#define PIIX4_PM_DEVFN_FUNC 3

/* PMBA as firmware programs it; the PM register block is 64 bytes. */
#define PIIX4_PM_IO_BASE 0x600
#define PIIX4_PM_IO_LEN 64
#define PIIX4_PM1_EVT_OFFSET 0x00 /* PM1a_EVT_BLK: PM1_STS (2 bytes), PM1_EN (2) */
#define PIIX4_PM1_EVT_LEN 4
#define PIIX4_PM1_CNT_OFFSET 0x04 /* PM1a_CNT_BLK */
#define PIIX4_PM1_CNT_LEN 2
#define PIIX4_PM_TMR_OFFSET 0x08 /* PM_TMR_BLK: 24-bit, 3.579545 MHz */
#define PIIX4_PM_TMR_LEN 4

/* GPE0_BLK: GPE0_STS (2 bytes) then GPE0_EN (2 bytes). */
#define PIIX4_GPE0_BASE 0xafe0
#define PIIX4_GPE0_LEN 4

/* SMI_CMD and the values the FADT gives for ACPI_ENABLE / ACPI_DISABLE. */
#define PIIX4_SMI_CMD_PORT 0xb2
#define PIIX4_ACPI_ENABLE 0xf1
#define PIIX4_ACPI_DISABLE 0xf0

/* SCI_INT: ISA IRQ 9, level-triggered, active high. */
#define PIIX4_SCI_IRQ 9

/* \_S5 sleep type (SLP_TYP value for soft-off). */
#define PIIX4_SLP_TYP_S5 0

#define PIIX4_PM_TIMER_HZ 3579545

#endif
