/*
 * The KVM accelerator's private state, shared by kvm-all.c (VM, vCPU
 * threads, memory slots, exits, interrupt lines) and kvm-x86.c (register
 * state, CPUID, reset).  See docs/kvm.md for the design.
 */
#ifndef ACCEL_KVM_INTERNAL_H
#define ACCEL_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>

#include "accel/accel.h"
#include "cpu/x86/cpu.h"

/* Where the check for KVM looks; OSPREY_KVM_DEVICE overrides it (tests). */
#define KVM_DEFAULT_DEVICE "/dev/kvm"

/* GSI routing: GSI n (0-23) is IOAPIC pin n, GSI 24 + n (0-15) is PIC input n. */
#define KVM_GSI_IOAPIC_BASE 0
#define KVM_NR_IOAPIC_PINS 24
#define KVM_GSI_PIC_BASE 24
#define KVM_NR_PIC_PINS 16

/* Guest-physical pages KVM needs for itself on VT-x (real-mode TSS, identity map). */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_TSS_ADDR 0xfeffd000ULL

typedef struct KVMSlot {
    bool used;
    uint64_t gpa;
    uint64_t size;
    uint8_t *hva;
    bool readonly;
    bool log_dirty;
    MemoryRegion *mr;  /* the RAM/ROM region backing it */
    uint64_t mr_offset; /* offset of gpa inside mr */
} KVMSlot;

struct KVMState;

typedef struct KVMVCPU {
    struct KVMState *s;
    CPUX86State *env;
    int index;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t thread;
    bool thread_started;
    bool failed; /* an exit we cannot handle: stays stopped */
    void *xsave; /* the last XSAVE image, so state the CPU model lacks survives a put */
    struct kvm_xcrs xcrs;
} KVMVCPU;

typedef struct KVMState {
    Machine *m;
    int dev_fd;
    int vm_fd;

    KVMSlot *slots;
    int nr_slots; /* KVM_CAP_NR_MEMSLOTS, capped */
    MemoryListener listener;

    KVMVCPU vcpus[MACHINE_MAX_CPUS];
    int nr_vcpus;
    size_t xsave_size;
    bool xsave2; /* KVM_GET_XSAVE2 (images larger than struct kvm_xsave) */

    /*
     * The big device lock: device code (the main loop, and vCPU threads while
     * they handle an exit) runs only with it held, so devices stay
     * single-threaded.  The main loop drops it while it sleeps in poll.
     */
    pthread_mutex_t bql;
    pthread_cond_t run_cond;    /* parked vCPUs wait here */
    pthread_cond_t parked_cond; /* the main thread waits here for them to park */
    bool threads_started;
    bool quit;       /* destroy: vCPU threads end */
    int pause_depth; /* > 0: the main thread wants every vCPU parked */
    int nr_parked;

    /* The interrupt controller inputs we took over, and their old handlers. */
    IRQState *pic_in;
    IRQState *ioapic_in;
    IRQHandler pic_saved[KVM_NR_PIC_PINS];
    void *pic_saved_opaque[KVM_NR_PIC_PINS];
    IRQHandler ioapic_saved[KVM_NR_IOAPIC_PINS];
    void *ioapic_saved_opaque[KVM_NR_IOAPIC_PINS];
    uint8_t ioapic_id;

    struct kvm_cpuid2 *supported_cpuid;
    bool cpu_host; /* -cpu host: pass KVM's CPUID through */
    uint32_t *msr_list; /* the MSRs we save/restore that this kernel knows */
    int nr_msrs;
} KVMState;

/* kvm-all.c */
int kvm_vm_ioctl(KVMState *s, unsigned long req, void *arg);
int kvm_vcpu_ioctl(KVMVCPU *v, unsigned long req, void *arg);

/* kvm-x86.c */
bool kvm_x86_init(KVMState *s, Error **errp);
void kvm_x86_cleanup(KVMState *s);
bool kvm_x86_vcpu_init(KVMVCPU *v, Error **errp);
void kvm_x86_vcpu_cleanup(KVMVCPU *v);
/* Copy the vCPU's state into v->env. */
void kvm_x86_get_state(KVMVCPU *v);
/* Load v->env into the vCPU; reset also writes the TSC, the local APIC and the MP state. */
void kvm_x86_put_state(KVMVCPU *v, bool reset);
/* The in-kernel PIC and IOAPIC in their reset state. */
void kvm_x86_reset_irqchip(KVMState *s);

#endif
