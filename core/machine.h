/*
 * The machine object: everything one emulated PC owns.  Nothing in Osprey
 * keeps mutable state outside it except start-up registries (devices,
 * machine types) and the log configuration.
 *
 * Run state changes and shutdown/reset requests are made from device code
 * and monitors with the machine_* calls below; the main loop acts on them
 * between iterations, so a device never tears the machine down under itself.
 */
#ifndef CORE_MACHINE_H
#define CORE_MACHINE_H

#include "core/chardev.h"
#include "core/common.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/loop.h"
#include "core/memory.h"

typedef struct MachineConfig MachineConfig;
typedef struct AccelOps AccelOps;

typedef enum RunState {
    RUN_STATE_PRELAUNCH, /* created, not started yet (-S) */
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,    /* stop / monitor */
    RUN_STATE_SHUTDOWN,  /* guest shut down under -no-shutdown */
    RUN_STATE_INTERNAL_ERROR,
} RunState;

/* Why a shutdown or reset happened; names match QEMU's QMP "reason" values. */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_HOST_UI,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
    SHUTDOWN_CAUSE_GUEST_PANIC,
} ShutdownCause;

#define ISA_NUM_IRQS 16
/* -smp limit: the APIC IDs, the MADT and the round-robin DBT all handle this many. */
#define MACHINE_MAX_CPUS 16

struct CPUX86State;

typedef void (*MachineEventFn)(void *opaque, const char *event, const char *data_json);
typedef void (*MachineNotifyFn)(void *opaque);

typedef struct MachineHook {
    void *fn;
    void *opaque;
    struct MachineHook *next;
} MachineHook;

typedef struct Machine {
    const MachineConfig *cfg;
    MainLoop *loop;
    ChardevSet *chardevs;

    MemoryRegion system_memory; /* container, 2^64 */
    MemoryRegion io_space;      /* container, 64 KiB */
    AddressSpace as_memory;
    AddressSpace as_io;
    MemoryRegion ram;
    uint64_t ram_size;

    /*
     * The vCPUs' architectural state, created by the board (hw/pc.c) and run
     * by the accelerator.  current_cpu is the one whose memory access is being
     * dispatched (the local APIC's MMIO page is per CPU).
     */
    struct CPUX86State *cpus[MACHINE_MAX_CPUS];
    int nr_cpus;
    int current_cpu;

    /* ISA interrupt lines 0-15; the PIC/IOAPIC installs handlers on them. */
    IRQState *isa_irqs;

    DeviceState *devices;
    DeviceState **devices_tail;

    /* PCI bus 0 (hw/pci/pci.h), created and freed by the board; NULL without PCI. */
    struct PCIBus *pci_bus;

    /* Board-private state (hw/pc.c) and how to free it. */
    void *board;
    void (*board_free)(struct Machine *m);

    const AccelOps *accel;
    void *accel_state;

    RunState runstate;
    /*
     * The last run_slice found every vCPU halted (always true when the vCPUs run in
     * threads of their own, or there are none): the guest waits for something.  A
     * backend that gathers the guest's frames into batches sends them then.
     */
    bool vcpus_idle;
    bool quit_requested;
    int exit_status;
    ShutdownCause shutdown_request;
    ShutdownCause reset_request;
    bool powerdown_request;

    MachineHook *event_sinks;         /* MachineEventFn: QMP monitors */
    MachineHook *powerdown_notifiers; /* MachineNotifyFn: ACPI power button */
    MachineHook *reset_hooks;         /* MachineNotifyFn: run after device reset */

    struct NamedIrqGroup *named_irqs; /* machine_add_named_irqs: for qtest */

    struct DriveInfo *drives; /* block/drive.h: -drive, opened before the board is built */
    struct Display *display;  /* ui/console.h: created on first use, freed with the board */
    struct NetState *net;     /* net/net.h: network backends and NICs' clients */
} Machine;

/* Build the configured machine (memory, devices, chardevs, accelerator). */
Machine *machine_create(const MachineConfig *cfg, Error **errp);
void machine_free(Machine *m);
/* Run until quit; returns the process exit status. */
int machine_run(Machine *m);
/* The flattened system memory and I/O maps, and the device list (info mtree/qtree). */
void machine_print_memory_map(Machine *m, FILE *f);
void machine_print_devices(Machine *m, FILE *f);

const char *runstate_name(RunState rs);
bool machine_is_running(const Machine *m);

/* Requests, acted on by the main loop. */
void machine_request_shutdown(Machine *m, ShutdownCause cause);
void machine_request_reset(Machine *m, ShutdownCause cause);
void machine_request_powerdown(Machine *m);
/* Make the accelerator return to the main loop soon (thread-safe). */
void machine_kick(Machine *m);
/* Quit now with this status (isa-debug-exit, monitor quit). */
void machine_request_exit(Machine *m, int status);
void machine_stop(Machine *m);  /* -> paused, STOP event */
void machine_cont(Machine *m);  /* -> running, RESUME event */
void machine_reset(Machine *m); /* reset every device now */

/* QMP events: data_json is a JSON object text or NULL. */
void machine_add_event_sink(Machine *m, MachineEventFn fn, void *opaque);
void machine_remove_event_sink(Machine *m, MachineEventFn fn, void *opaque);
void machine_emit_event(Machine *m, const char *event, const char *data_json);
void machine_add_powerdown_notifier(Machine *m, MachineNotifyFn fn, void *opaque);
void machine_add_reset_hook(Machine *m, MachineNotifyFn fn, void *opaque);

/*
 * Named groups of interrupt lines that tests may watch or drive (qtest's
 * irq_intercept_in/out NAME, irq_get, set_irq_in): "isa" is always there; the
 * board adds others, e.g. "pic-intr".  The lines stay owned by whoever made
 * them and must outlive the machine's accelerator.  A name added twice is a bug.
 */
typedef struct NamedIrqGroup {
    char *name;
    IRQState *lines;
    int n;
    struct NamedIrqGroup *next;
} NamedIrqGroup;
void machine_add_named_irqs(Machine *m, const char *name, IRQState *lines, int n);
/* The group's lines (and their number in *n), or NULL if no group has that name. */
IRQState *machine_find_named_irqs(Machine *m, const char *name, int *n);

/* Virtual clock helpers. */
static inline Clock *machine_vclock(Machine *m)
{
    return main_loop_clock(m->loop, CLOCK_VIRTUAL);
}

/* ISA bus wiring for ISA devices. */
void isa_register_ioport(DeviceState *dev, MemoryRegion *mr, uint16_t base);
IRQState *isa_get_irq(DeviceState *dev, int n);

#endif
