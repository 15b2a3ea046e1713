/*
 * isa-debugcon: the Bochs "port E9 hack" debug console.
 *
 * Reference: the Bochs user documentation on port 0xE9.  Every byte written
 * to the port goes to the host at once (no FIFO, no flow control, no
 * interrupt); a read returns a fixed value (0xE9 by default) so a guest can
 * detect the port before using it.
 */
#include "hw/char/debugcon.h"

typedef struct DebugconState {
    DeviceState parent;
    uint32_t iobase;
    uint32_t readback;
    Chardev *chr;
    MemoryRegion io;
    CharFrontend fe;
    bool fe_attached;
} DebugconState;

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    DebugconState *s = opaque;
    return s->readback & 0xff;
}

static void debugcon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugconState *s = opaque;
    uint8_t ch = value;
    if (s->fe_attached) {
        /* Output to a closed backend is lost, as a debug port has no one to tell. */
        char_fe_write_all(&s->fe, &ch, 1);
    }
}

static int debugcon_can_receive(void *opaque)
{
    return 4096;
}

static void debugcon_receive(void *opaque, const uint8_t *buf, int len)
{
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    /* An 8-bit ISA device: the bus splits wider accesses into byte cycles. */
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static bool debugcon_realize(DeviceState *dev, Error **errp)
{
    DebugconState *s = (DebugconState *)dev;
    if (s->iobase > 0xffff) {
        error_setg(errp, "iobase 0x%x is outside the I/O space", s->iobase);
        return false;
    }
    if (s->readback > 0xff) {
        error_setg(errp, "readback 0x%x does not fit in a byte", s->readback);
        return false;
    }
    if (s->chr) {
        if (!char_fe_init(&s->fe, s->chr, errp)) {
            return false;
        }
        s->fe_attached = true;
        /*
         * Output only.  Host input is read and dropped rather than left
         * unread, so a socket backend still notices its peer hanging up.
         */
        char_fe_set_handlers(&s->fe, debugcon_can_receive, debugcon_receive, NULL, s);
    }
    memory_region_init_io(&s->io, "isa-debugcon", &debugcon_ops, s, 1);
    isa_register_ioport(dev, &s->io, s->iobase);
    return true;
}

static void debugcon_unrealize(DeviceState *dev)
{
    DebugconState *s = (DebugconState *)dev;
    memory_region_destroy(&s->io);
    if (s->fe_attached) {
        char_fe_deinit(&s->fe);
        s->fe_attached = false;
    }
}

static const Property debugcon_props[] = {
    DEFINE_PROP_U32("iobase", DebugconState, iobase, 0xe9, "I/O port"),
    DEFINE_PROP_CHARDEV("chardev", DebugconState, chr, "character device"),
    DEFINE_PROP_U32("readback", DebugconState, readback, 0xe9, "value a read returns"),
    DEFINE_PROP_END,
};

static const DeviceInfo debugcon_info = {
    .name = "isa-debugcon",
    .desc = "Bochs-style debug console (port 0xe9)",
    .bus = BUS_ISA,
    .size = sizeof(DebugconState),
    .props = debugcon_props,
    .realize = debugcon_realize,
    .unrealize = debugcon_unrealize,
};
DEVICE_REGISTER(debugcon_info);

DeviceState *debugcon_create(Machine *m, Chardev *chr, Error **errp)
{
    DeviceState *dev = device_new(m, debugcon_info.name, errp);
    if (!dev) {
        return NULL;
    }
    ((DebugconState *)dev)->chr = chr;
    if (!device_realize(dev, errp)) {
        free(dev);
        return NULL;
    }
    return dev;
}
