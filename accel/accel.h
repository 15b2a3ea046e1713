/*
 * The accelerator interface.  An accelerator runs the vCPUs of a machine;
 * everything else (devices, memory map, chardevs) is shared.  Implemented
 * by qtest (no CPU, for device tests), the DBT (tcg) and KVM.
 *
 * What the parts of an accelerator see of the machine, so hw/ never knows
 * which one runs:
 *  - memory: a MemoryListener on m->as_memory (the DBT flushes its TLBs, KVM
 *    rebuilds its memory slots); guest PIO/MMIO goes to address_space_ld/st;
 *  - interrupts: devices drive IRQState lines.  On the DBT the board's PIC,
 *    IOAPIC and local APIC models deliver them through X86IntrOps; an
 *    accelerator with its own interrupt controller (KVM's in-kernel irqchip)
 *    takes over the controller inputs the board names "pic-in" and
 *    "ioapic-in" (machine_find_named_irqs) in init and injects from there;
 *  - the vCPUs' state: m->cpus[] through accel_cpu_state_get/put below.
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include "core/machine.h"

struct AccelOps {
    const char *name;
    /* Can it run here?  On false, *why says why (freed by the caller). */
    bool (*available)(char **why);
    /*
     * Should the automatic choice (no -accel) take it?  NULL means yes when
     * available.  KVM says no on hosts whose /dev/kvm has no VT-x/SVM behind
     * it; *why always says why (freed by the caller).
     */
    bool (*preferred)(char **why);
    /* Attach to the machine after its devices exist. */
    bool (*init)(Machine *m, const char *opts, Error **errp);
    /*
     * Run guest code for a while on the main thread (single-threaded
     * accelerators).  Return when the main loop has work or the slice ends.
     * Returns true if the vCPUs are all halted (the loop may then block).
     * NULL for accelerators without vCPUs or with their own threads.
     */
    bool (*run_slice)(Machine *m);
    /* Make a running run_slice (or vCPU thread) return soon.  Thread-safe. */
    void (*kick)(Machine *m);
    /* Put the vCPUs in their architectural reset state. */
    void (*reset)(Machine *m);
    void (*destroy)(Machine *m);
    /*
     * Guest state.  The DBT keeps m->cpus[i] live, so these are NULL there;
     * KVM copies the vCPU's registers into m->cpus[i] (state_get) and back
     * (state_put), stopping the vCPUs meanwhile.  Call through the
     * accel_cpu_state_* wrappers below.
     */
    void (*cpu_state_get)(Machine *m, int cpu);
    void (*cpu_state_put)(Machine *m, int cpu);
    /*
     * Fold the accelerator's own record of guest writes to mr (KVM's dirty
     * log) into mr's dirty bitmap.  NULL when every write already goes
     * through the memory API's tracking (the DBT).
     */
    void (*sync_dirty_bitmap)(Machine *m, MemoryRegion *mr);
};

typedef struct AccelRegistration {
    const AccelOps *ops;
    struct AccelRegistration *next;
} AccelRegistration;

void accel_register(AccelRegistration *reg);
#define ACCEL_REGISTER(ops)                                                    \
    static AccelRegistration accel_reg_##ops = {&(ops), NULL};                 \
    static void __attribute__((constructor)) accel_register_##ops(void)        \
    {                                                                          \
        accel_register(&accel_reg_##ops);                                      \
    }

const AccelOps *accel_find(const char *name);
/*
 * Choose from "kvm:tcg"-style lists (first that is available wins) or, with
 * NULL, automatically; prints the one line saying which runs and why.
 */
const AccelOps *accel_choose(const char *list, Error **errp);

/*
 * The accelerator-neutral calls used by the monitor, -d cpu, and later
 * snapshots and the display: each is a no-op where the accelerator keeps
 * the state in m->cpus[] / the dirty bitmaps itself.
 */
/* Make m->cpus[cpu] hold the vCPU's current registers. */
void accel_cpu_state_get(Machine *m, int cpu);
/* Load m->cpus[cpu] (changed by the caller) into the vCPU. */
void accel_cpu_state_put(Machine *m, int cpu);
/*
 * Before reading mr's dirty pages (memory_region_test_and_clear_dirty):
 * fold in guest writes the accelerator tracked on its own.  Dirty tracking
 * must be on for mr (memory_region_set_dirty_tracking).  Devices use
 * memory_region_sync_dirty_bitmap(), which reaches KVM through its listener.
 */
void accel_sync_dirty_bitmap(Machine *m, MemoryRegion *mr);

#endif
