/*
 * The local APIC (xAPIC mode), one per vCPU: device "apic" (machine-internal).
 *
 * The board creates one per CPU with the property "cpu" (the CPU index) and
 * points the CPU's env->intr_ops / env->intr_opaque at apic_cpu_intr_ops()
 * and the device.  The APIC of CPU 0 also creates the 4 KiB MMIO page at
 * 0xfee00000, which dispatches each access to the APIC of the vCPU making
 * it (m->current_cpu).
 */
#ifndef HW_INTC_APIC_H
#define HW_INTC_APIC_H

#include "core/machine.h"
#include "cpu/x86/cpu.h"

#define APIC_DEFAULT_BASE 0xfee00000ULL

/* Delivery modes (ICR, LVT, IOAPIC redirection entries, MSI). */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_REMOTE_READ = 3,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

/* The X86IntrOps every APIC gives its CPU (env->intr_opaque = the APIC device). */
const X86IntrOps *apic_cpu_intr_ops(void);

/*
 * A message on the APIC bus from another agent (the IOAPIC, MSI later):
 * dest is an APIC ID (physical, 0xff = all) or a logical destination.
 */
void apic_deliver_irq(Machine *m, uint8_t dest, bool logical, int delivery_mode, uint8_t vector,
                      bool level_trigger);

/*
 * The LINT0/LINT1 pins of env's local APIC; false when env has no APIC (the
 * caller then drives the CPU's INTR itself).  While the APIC is
 * hardware-disabled (IA32_APIC_BASE[11] = 0) the pins act as the CPU's INTR
 * and NMI, as on a processor without an APIC.
 */
bool apic_set_lint(CPUX86State *env, int pin, int level);

/* Where an EOI of a level-triggered vector is broadcast (the IOAPIC). */
void apic_set_eoi_hook(DeviceState *apic, void (*fn)(void *opaque, uint8_t vector),
                       void *opaque);
/* How ExtINT (virtual wire through LINT0) asks the 8259 for its vector. */
void apic_set_extint_ack(DeviceState *apic, int (*ack)(void *opaque), void *opaque);

#endif
