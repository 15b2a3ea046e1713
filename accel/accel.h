/*
 * The accelerator interface.  An accelerator runs the vCPUs of a machine;
 * everything else (devices, memory map, chardevs) is shared.  Implemented
 * by qtest (no CPU, for device tests), the DBT (tcg) and KVM.
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include "core/machine.h"

struct AccelOps {
    const char *name;
    /* Can it run here?  On false, *why says why (freed by the caller). */
    bool (*available)(char **why);
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

#endif
