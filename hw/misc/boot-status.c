/*
 * osprey-boot-status: where Osprey's BIOS reports that no device could be
 * booted.  Without -no-reboot the BIOS retries (it resets the machine after
 * etc/boot-fail-wait); with -no-reboot that retry would end the emulator
 * with status 0 as if the guest had rebooted on purpose, so this port ends
 * it with status 1 and one line on stderr instead, for scripts and CI.
 *
 * One write-only byte at 0x4f0 (Osprey's own: no PC or QEMU device uses it):
 *   1  no bootable device
 * Other values are logged as guest errors.  Reads float (all ones).
 */
#include <stdio.h>

#include "core/log.h"
#include "core/machine.h"
#include "core/options.h"

#define BOOT_STATUS_PORT 0x4f0
#define BOOT_STATUS_NO_DEVICE 1

typedef struct BootStatusState {
    DeviceState parent;
    MemoryRegion io;
} BootStatusState;

static uint64_t boot_status_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xff;
}

static void boot_status_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    BootStatusState *s = opaque;
    Machine *m = s->parent.machine;
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

static void boot_status_unrealize(DeviceState *dev)
{
    memory_region_destroy(&((BootStatusState *)dev)->io);
}

static const DeviceInfo boot_status_info = {
    .name = "osprey-boot-status",
    .desc = "the BIOS's no-bootable-device report (exit status 1 with -no-reboot)",
    .bus = BUS_ISA,
    .size = sizeof(BootStatusState),
    .realize = boot_status_realize,
    .unrealize = boot_status_unrealize,
};
DEVICE_REGISTER(boot_status_info);
