/*
 * "pc-testdev": QEMU's ISA test device for x86 guests, with the port
 * layout the kvm-unit-tests suites expect (from QEMU's documentation of
 * the device and the kvm-unit-tests sources that use it):
 *
 *   0xe0-0xe3   a 32-bit scratch register; 1-, 2- and 4-byte accesses at
 *               any offset read and write the bytes they cover
 *   0xe4-0xe7   "flush page": QEMU re-protects the host page behind a guest
 *               address so KVM drops its mapping.  Osprey has nothing to
 *               flush there; the write is logged under -d unimp and ignored
 *   0xe8-0xeb   the same scratch register, but the device handles one
 *               byte at a time, so wider accesses arrive split (tests the
 *               split path of the I/O dispatch)
 *   0x2000-0x2017  IRQ lines: writing V to 0x2000 + N sets line N to V.
 *               Lines 0-15 are the ISA IRQs; 16-23 (IOAPIC-only pins) are
 *               logged as unimplemented
 *   0xff000000  64 KiB of MMIO-backed scratch memory
 */
#include <inttypes.h>

#include "core/log.h"
#include "core/machine.h"

#define TESTDEV_IOPORT 0xe0
#define TESTDEV_FLUSH 0xe4
#define TESTDEV_IOPORT_BYTE 0xe8
#define TESTDEV_IRQ_BASE 0x2000
#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM_BASE 0xff000000ULL
#define TESTDEV_IOMEM_SIZE 0x10000

typedef struct PCTestdevState {
    DeviceState dev;
    MemoryRegion ioport;
    MemoryRegion flush;
    MemoryRegion ioport_byte;
    MemoryRegion irq_region;
    MemoryRegion iomem;
    uint32_t ioport_data;
    uint8_t *iomem_buf;
} PCTestdevState;

/* The bytes of the scratch register an access at offset covers, as a mask. */
static uint32_t testdev_mask(uint64_t offset, unsigned size, unsigned *shift)
{
    *shift = (offset & 3) * 8;
    uint64_t bits = size >= 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
    return (uint32_t)(bits << *shift);
}

static uint64_t testdev_ioport_read(void *opaque, uint64_t offset, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned shift;
    uint32_t mask = testdev_mask(offset, size, &shift);
    return (s->ioport_data & mask) >> shift;
}

static void testdev_ioport_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PCTestdevState *s = opaque;
    unsigned shift;
    uint32_t mask = testdev_mask(offset, size, &shift);
    s->ioport_data = (s->ioport_data & ~mask) | ((uint32_t)(value << shift) & mask);
}

static const MemoryRegionOps testdev_ioport_ops = {
    .read = testdev_ioport_read,
    .write = testdev_ioport_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static const MemoryRegionOps testdev_ioport_byte_ops = {
    .read = testdev_ioport_read,
    .write = testdev_ioport_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static void testdev_flush_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    log_unimp("pc-testdev: flush-page 0x%08" PRIx64 " ignored (no host mapping to drop)\n",
              value);
}

static uint64_t testdev_flush_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static const MemoryRegionOps testdev_flush_ops = {
    .read = testdev_flush_read,
    .write = testdev_flush_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 4, .max_access_size = 4},
};

static void testdev_irq_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PCTestdevState *s = opaque;
    if (offset >= ISA_NUM_IRQS) {
        log_unimp("pc-testdev: IRQ line %u is an IOAPIC-only pin, not wired\n",
                  (unsigned)offset);
        return;
    }
    irq_set(isa_get_irq(&s->dev, (int)offset), value != 0);
}

static uint64_t testdev_irq_read(void *opaque, uint64_t offset, unsigned size)
{
    PCTestdevState *s = opaque;
    return offset < ISA_NUM_IRQS ? irq_get_level(isa_get_irq(&s->dev, (int)offset)) : 0;
}

static const MemoryRegionOps testdev_irq_ops = {
    .read = testdev_irq_read,
    .write = testdev_irq_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

static uint64_t testdev_iomem_read(void *opaque, uint64_t offset, unsigned size)
{
    PCTestdevState *s = opaque;
    uint64_t v = 0;
    if (offset + size <= TESTDEV_IOMEM_SIZE) {
        for (unsigned i = 0; i < size; i++) {
            v |= (uint64_t)s->iomem_buf[offset + i] << (8 * i);
        }
    }
    return v;
}

static void testdev_iomem_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PCTestdevState *s = opaque;
    if (offset + size <= TESTDEV_IOMEM_SIZE) {
        for (unsigned i = 0; i < size; i++) {
            s->iomem_buf[offset + i] = value >> (8 * i);
        }
    }
}

static const MemoryRegionOps testdev_iomem_ops = {
    .read = testdev_iomem_read,
    .write = testdev_iomem_write,
    .valid = {.min_access_size = 1, .max_access_size = 8, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 8},
};

static bool testdev_realize(DeviceState *dev, Error **errp)
{
    PCTestdevState *s = (PCTestdevState *)dev;
    Machine *m = dev->machine;
    s->iomem_buf = xzalloc(TESTDEV_IOMEM_SIZE);
    memory_region_init_io(&s->ioport, "pc-testdev-ioport", &testdev_ioport_ops, s, 4);
    memory_region_init_io(&s->flush, "pc-testdev-flush-page", &testdev_flush_ops, s, 4);
    memory_region_init_io(&s->ioport_byte, "pc-testdev-ioport-byte", &testdev_ioport_byte_ops,
                          s, 4);
    memory_region_init_io(&s->irq_region, "pc-testdev-irq-line", &testdev_irq_ops, s,
                          TESTDEV_IRQ_LINES);
    memory_region_init_io(&s->iomem, "pc-testdev-iomem", &testdev_iomem_ops, s,
                          TESTDEV_IOMEM_SIZE);
    isa_register_ioport(dev, &s->ioport, TESTDEV_IOPORT);
    isa_register_ioport(dev, &s->flush, TESTDEV_FLUSH);
    isa_register_ioport(dev, &s->ioport_byte, TESTDEV_IOPORT_BYTE);
    isa_register_ioport(dev, &s->irq_region, TESTDEV_IRQ_BASE);
    /* Above a firmware image that reaches this low (16 MiB): the test asked for it. */
    memory_region_add_subregion_overlap(&m->system_memory, TESTDEV_IOMEM_BASE, &s->iomem, 1);
    return true;
}

static void testdev_unrealize(DeviceState *dev)
{
    PCTestdevState *s = (PCTestdevState *)dev;
    memory_region_destroy(&s->ioport);
    memory_region_destroy(&s->flush);
    memory_region_destroy(&s->ioport_byte);
    memory_region_destroy(&s->irq_region);
    memory_region_destroy(&s->iomem);
    free(s->iomem_buf);
    s->iomem_buf = NULL;
}

static void testdev_reset(DeviceState *dev)
{
    PCTestdevState *s = (PCTestdevState *)dev;
    s->ioport_data = 0;
}

static const VMStateField testdev_vmstate_fields[] = {
    VMSTATE_U32(PCTestdevState, ioport_data),
    VMSTATE_END,
};

static const VMStateDescription testdev_vmstate = {
    .name = "pc-testdev",
    .version = 1,
    .fields = testdev_vmstate_fields,
};

static const DeviceInfo testdev_info = {
    .name = "pc-testdev",
    .desc = "QEMU-compatible x86 test device (kvm-unit-tests)",
    .bus = BUS_ISA,
    .size = sizeof(PCTestdevState),
    .realize = testdev_realize,
    .unrealize = testdev_unrealize,
    .reset = testdev_reset,
    .vmstate = &testdev_vmstate,
};
DEVICE_REGISTER(testdev_info);
