/*
 * isa-debug-exit: a write-only port that ends the emulator with a status
 * the guest chooses, so test guests can report pass/fail to the host.
 *
 * Behaviour follows QEMU's documented isa-debug-exit device: writing V makes
 * the process exit with status (V << 1) | 1.  The low bit is always set so
 * that a clean shutdown (status 0) can never be mistaken for a guest result.
 * The process exit status is 8 bits wide, so only the low bits of V survive.
 */
#include "core/machine.h"

typedef struct DebugExitState {
    DeviceState parent;
    uint32_t iobase;
    uint32_t iosize;
    MemoryRegion io;
} DebugExitState;

static uint64_t debugexit_read(void *opaque, uint64_t offset, unsigned size)
{
    /* Nothing drives the bus on a read: a floating ISA bus reads all ones. */
    return ~0ULL >> (64 - 8 * size);
}

static void debugexit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugExitState *s = opaque;
    uint64_t status = (value << 1) | 1;
    machine_request_exit(s->parent.machine, (int)(status & 0xff));
}

static const MemoryRegionOps debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static bool debugexit_realize(DeviceState *dev, Error **errp)
{
    DebugExitState *s = (DebugExitState *)dev;
    if (s->iosize < 1 || s->iosize > 4) {
        error_setg(errp, "iosize must be 1 to 4, not %u", s->iosize);
        return false;
    }
    if (s->iobase > 0x10000 - s->iosize) {
        error_setg(errp, "iobase 0x%x is outside the I/O space", s->iobase);
        return false;
    }
    memory_region_init_io(&s->io, "isa-debug-exit", &debugexit_ops, s, s->iosize);
    isa_register_ioport(dev, &s->io, s->iobase);
    return true;
}

static void debugexit_unrealize(DeviceState *dev)
{
    memory_region_destroy(&((DebugExitState *)dev)->io);
}

static const Property debugexit_props[] = {
    DEFINE_PROP_U32("iobase", DebugExitState, iobase, 0x501, "I/O port"),
    DEFINE_PROP_U32("iosize", DebugExitState, iosize, 2, "width of the port in bytes (1-4)"),
    DEFINE_PROP_END,
};

static const DeviceInfo debugexit_info = {
    .name = "isa-debug-exit",
    .desc = "exit the emulator with status (value << 1) | 1",
    .bus = BUS_ISA,
    .size = sizeof(DebugExitState),
    .props = debugexit_props,
    .realize = debugexit_realize,
    .unrealize = debugexit_unrealize,
};
DEVICE_REGISTER(debugexit_info);
