/*
 * osprey-boot-status: where Osprey's BIOS reports that no device could be
 * booted.  Without -no-reboot the BIOS retries (it resets the machine after
 * etc/boot-fail-wait); with -no-reboot that retry would end the emulator
 * with status 0 as if the guest had rebooted on purpose, so this port ends
 * it with status 1 and one line on stderr instead, for scripts and CI.
 *
 * One write-only byte at 0x4f0 (Osprey's own: no PC or QEMU device uses it):
 *   1  no bootable device
 *   2  the BIOS hands over to a boot sector, bootloader, kernel or boot ROM: the
 *      emulator time since reset (CLOCK_VIRTUAL, which stands still while the machine is
 *      stopped) goes to -d trace and, with report=on, to stderr (the BIOS's speed figure)
 * Other values are logged as guest errors.  Reads float (all ones).
 */
#include <stdio.h>

#include "core/log.h"
#include "core/machine.h"
#include "core/options.h"
#include "core/timer.h"
#include "core/vmstate.h"

#define BOOT_STATUS_PORT 0x4f0
#define BOOT_STATUS_NO_DEVICE 1
#define BOOT_STATUS_HANDOVER 2

typedef struct BootStatusState {
    DeviceState parent;
    MemoryRegion io;
    bool report;       /* report=on: the handover time on stderr */
    int64_t reset_ns;  /* CLOCK_VIRTUAL at the last reset */
    bool handed_over;  /* since that reset: only the first handover is the boot time */
} BootStatusState;

static uint64_t boot_status_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xff;
}

static void boot_status_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    BootStatusState *s = opaque;
    Machine *m = s->parent.machine;
    if (value == BOOT_STATUS_HANDOVER) {
        if (s->handed_over) {
            return; /* a second boot device after the first returned: not reset-to-boot */
        }
        s->handed_over = true;
        double ms = (double)(clock_get_ns(machine_vclock(m)) - s->reset_ns) / 1e6;
        log_mask(LOG_TRACE, "osprey-boot-status: reset to boot handover %.3f ms\n", ms);
        if (s->report) {
            fprintf(stderr, "osprey: reset to boot handover: %.3f ms of emulator time\n", ms);
        }
        return;
    }
    if (value != BOOT_STATUS_NO_DEVICE) {
        log_guest_error("osprey-boot-status: unknown status 0x%llx\n", (unsigned long long)value);
        return;
    }
    if (m->cfg->no_reboot) {
        fprintf(stderr, "osprey: the BIOS found no bootable device (-no-reboot: exiting)\n");
        machine_request_exit(m, 1);
    }
}

static const MemoryRegionOps boot_status_ops = {
    .read = boot_status_read,
    .write = boot_status_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static bool boot_status_realize(DeviceState *dev, Error **errp)
{
    BootStatusState *s = (BootStatusState *)dev;
    memory_region_init_io(&s->io, "osprey-boot-status", &boot_status_ops, s, 1);
    isa_register_ioport(dev, &s->io, BOOT_STATUS_PORT);
    return true;
}

static void boot_status_reset(DeviceState *dev)
{
    BootStatusState *s = (BootStatusState *)dev;
    s->reset_ns = clock_get_ns(machine_vclock(dev->machine));
    s->handed_over = false;
}

static void boot_status_unrealize(DeviceState *dev)
{
    memory_region_destroy(&((BootStatusState *)dev)->io);
}

static const Property boot_status_props[] = {
    DEFINE_PROP_BOOL("report", BootStatusState, report, false,
                     "print the time from reset to the BIOS's boot handover on stderr"),
    DEFINE_PROP_END,
};

static const VMStateField boot_status_vmstate_fields[] = {
    VMSTATE_I64(BootStatusState, reset_ns),
    VMSTATE_BOOL(BootStatusState, handed_over),
    VMSTATE_END,
};

static const VMStateDescription boot_status_vmstate = {
    .name = "osprey-boot-status",
    .version = 1,
    .fields = boot_status_vmstate_fields,
};

static const DeviceInfo boot_status_info = {
    .name = "osprey-boot-status",
    .desc = "the BIOS's no-bootable-device report (exit status 1 with -no-reboot)",
    .bus = BUS_ISA,
    .size = sizeof(BootStatusState),
    .props = boot_status_props,
    .realize = boot_status_realize,
    .reset = boot_status_reset,
    .unrealize = boot_status_unrealize,
    .vmstate = &boot_status_vmstate,
};
DEVICE_REGISTER(boot_status_info);
