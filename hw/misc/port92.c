/*
 * System Control Port A at 0x92 ("port92"), the PS/2 "fast A20 and fast
 * reset" port.
 *
 * Reference: IBM PS/2 Hardware Interface Technical Reference, System
 * Control Port A: bit 0 is "alternate hot reset" (a 0 -> 1 write resets
 * the CPU), bit 1 gates A20.  The other bits (watchdog, security lock,
 * disk light) have no effect here but read back as written.
 *
 * The A20 line is the board's, shared with the i8042's output port; the
 * last writer wins.  A reset opens A20 (as the CPU's reset does) and drives
 * the line to match.
 */
#include "core/log.h"
#include "core/machine.h"
#include "hw/misc/port92.h"

#define PORT92_RESET 0x01
#define PORT92_A20 0x02

typedef struct Port92State {
    DeviceState dev;
    MemoryRegion io;
    IRQState *a20;
    uint8_t value;
} Port92State;

static uint64_t port92_read(void *opaque, uint64_t offset, unsigned size)
{
    Port92State *s = opaque;
    return s->value;
}

static void port92_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Port92State *s = opaque;
    uint8_t old = s->value;
    s->value = value;
    if (s->a20) {
        irq_set(s->a20, !!(value & PORT92_A20));
    }
    if ((value & PORT92_RESET) && !(old & PORT92_RESET)) {
        machine_request_reset(s->dev.machine, SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

void port92_set_a20_line(DeviceState *dev, IRQState *a20)
{
    Port92State *s = (Port92State *)dev;
    s->a20 = a20;
    irq_set(a20, !!(s->value & PORT92_A20));
}

static bool port92_realize(DeviceState *dev, Error **errp)
{
    Port92State *s = (Port92State *)dev;
    memory_region_init_io(&s->io, "port92", &port92_ops, s, 1);
    isa_register_ioport(dev, &s->io, 0x92);
    return true;
}

static void port92_unrealize(DeviceState *dev)
{
    Port92State *s = (Port92State *)dev;
    memory_region_destroy(&s->io);
}

/* The reset bit clears with the reset it caused; A20 restarts open. */
static void port92_reset(DeviceState *dev)
{
    Port92State *s = (Port92State *)dev;
    s->value = PORT92_A20;
    if (s->a20) {
        irq_set(s->a20, 1);
    }
}

static const VMStateField port92_vmstate_fields[] = {
    VMSTATE_U8(Port92State, value),
    VMSTATE_END,
};

static const VMStateDescription port92_vmstate = {
    .name = "port92",
    .version = 1,
    .fields = port92_vmstate_fields,
};

static const DeviceInfo port92_info = {
    .name = "port92",
    .desc = "System Control Port A (fast A20 and reset)",
    .bus = BUS_ISA,
    .size = sizeof(Port92State),
    .realize = port92_realize,
    .unrealize = port92_unrealize,
    .reset = port92_reset,
    .vmstate = &port92_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(port92_info);
