/*
 * Port 0x61 ("pcspk"): the PC speaker control bits and the rest of the AT's
 * "system control port B", as the PIIX implements it (NMI status and control
 * register).
 *
 * Reference: IBM PC/AT Technical Reference (port 61h), Intel 82371AB (PIIX4)
 * datasheet, NMI Status and Control Register (NMISC).
 *
 *   bit 0  (rw) GATE2: channel 2 of the 8254 counts while set
 *   bit 1  (rw) SPKR data enable: OUT2 reaches the speaker while set
 *   bit 2  (rw) PCI SERR# NMI disable, stored
 *   bit 3  (rw) IOCHK# NMI disable, stored
 *   bit 4  (ro) refresh request: toggles every 15.085 us of virtual time
 *   bit 5  (ro) OUT2 of the 8254
 *   bit 6  (ro) IOCHK# NMI source, bit 7 (ro) SERR# NMI source: always 0,
 *               nothing in this machine raises those NMIs
 *
 * There is no audio backend: the speaker bits are stored and read back, and
 * no sound is made.  Bit 4 is what BIOSes and old drivers busy-wait on for
 * short delays, so it follows CLOCK_VIRTUAL exactly.
 */
#include "hw/audio/pcspk.h"

#include "core/log.h"
#include "core/timer.h"
#include "hw/timer/i8254.h"

#define PCSPK_PORT 0x61
#define PCSPK_GATE2 0x01
#define PCSPK_DATA_ENABLE 0x02
#define PCSPK_STORED 0x0f
#define PCSPK_REFRESH 0x10
#define PCSPK_OUT2 0x20
/* The DRAM refresh request period the PC/AT's channel 1 produced. */
#define PCSPK_REFRESH_NS 15085

typedef struct PcSpkState {
    DeviceState dev;
    uint8_t control; /* bits 0-3 as written */
    DeviceState *pit;
    MemoryRegion io;
} PcSpkState;

void pcspk_set_pit(DeviceState *dev, DeviceState *pit)
{
    PcSpkState *s = (PcSpkState *)dev;
    s->pit = pit;
    if (pit) {
        i8254_set_gate(pit, 2, s->control & PCSPK_GATE2);
    }
}

static uint64_t pcspk_read(void *opaque, uint64_t offset, unsigned size)
{
    PcSpkState *s = opaque;
    int64_t now = clock_get_ns(machine_vclock(s->dev.machine));
    uint8_t val = s->control;
    if ((now / PCSPK_REFRESH_NS) & 1) {
        val |= PCSPK_REFRESH;
    }
    if (s->pit && i8254_get_out(s->pit, 2)) {
        val |= PCSPK_OUT2;
    }
    return val;
}

static void pcspk_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PcSpkState *s = opaque;
    s->control = value & PCSPK_STORED;
    if (s->pit) {
        i8254_set_gate(s->pit, 2, value & PCSPK_GATE2);
    }
}

static const MemoryRegionOps pcspk_ops = {
    .read = pcspk_read,
    .write = pcspk_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static bool pcspk_realize(DeviceState *dev, Error **errp)
{
    PcSpkState *s = (PcSpkState *)dev;
    memory_region_init_io(&s->io, "pcspk", &pcspk_ops, s, 1);
    isa_register_ioport(dev, &s->io, PCSPK_PORT);
    return true;
}

static void pcspk_unrealize(DeviceState *dev)
{
    PcSpkState *s = (PcSpkState *)dev;
    memory_region_destroy(&s->io);
}

static void pcspk_reset(DeviceState *dev)
{
    PcSpkState *s = (PcSpkState *)dev;
    s->control = 0;
    if (s->pit) {
        i8254_set_gate(s->pit, 2, false);
    }
}

static int pcspk_post_load(void *opaque)
{
    PcSpkState *s = opaque;
    s->control &= PCSPK_STORED;
    if (s->pit) {
        i8254_set_gate(s->pit, 2, s->control & PCSPK_GATE2);
    }
    return 0;
}

static const VMStateField pcspk_fields[] = {
    VMSTATE_U8(PcSpkState, control),
    VMSTATE_END,
};

static const VMStateDescription pcspk_vmstate = {
    .name = "pcspk",
    .version = 1,
    .fields = pcspk_fields,
    .post_load = pcspk_post_load,
};

static const DeviceInfo pcspk_info = {
    .name = "pcspk",
    .desc = "port 0x61: PIT channel 2 gate, OUT2, refresh toggle; no audio output",
    .bus = BUS_ISA,
    .size = sizeof(PcSpkState),
    .realize = pcspk_realize,
    .unrealize = pcspk_unrealize,
    .reset = pcspk_reset,
    .vmstate = &pcspk_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(pcspk_info);
