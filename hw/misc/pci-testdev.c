/*
 * pci-testdev (1b36:0005): QEMU's PCI test device, as used by
 * kvm-unit-tests to exercise PIO and MMIO to a PCI device.
 *
 * Reference: QEMU's documentation docs/specs/pci-testdev.rst (the public
 * layout: BAR0 and BAR1 each start with a test header, BAR2 is an optional
 * 64-bit memory BAR without backing).  The layout below is Osprey's own
 * filling of that description:
 *
 *   BAR0: 4 KiB memory.  BAR1: 256 bytes I/O.  Each starts with
 *     +0  test        write-only: selects test N for the fields below
 *     +1  width_type  access width of test N (1, 2, 4); 0xff = no such test
 *     +4  offset      u32: where in this BAR test N writes
 *     +8  data        u32: the value test N writes
 *     +12 count       u32: writes test N has seen
 *     +16 name        NUL-terminated ASCII, e.g. "no-eventfd"
 *   Tests 0-2 exist on both BARs: "no-eventfd" and "wildcard-eventfd" count
 *   every write of the test's width to its offset; "datamatch-eventfd"
 *   counts only writes of the test's data.  QEMU backs the last two with
 *   ioeventfd to measure fast paths; without ioeventfd the behaviour the
 *   guest sees (the count) is the same.
 *   Beyond the header (from 0x40) each BAR is scratch: reads return what was
 *   last written, so a guest can check that data reaches the device.
 *   BAR2 ("membar=SIZE", default none): a 64-bit prefetchable memory BAR of
 *   that power-of-two size with nothing behind it (reads all ones).
 */
#include "core/log.h"
#include "hw/pci/pci.h"

#define TESTDEV_MEM_SIZE 4096
#define TESTDEV_IO_SIZE 256
#define TESTDEV_HDR_SIZE 0x40
#define TESTDEV_NUM_TESTS 3
#define TESTDEV_NO_TEST 0xff

enum { BAR_MEM, BAR_IO, NUM_TEST_BARS };

typedef struct TestDevBar {
    struct PCITestDevState *s;
    uint8_t *scratch;
    uint32_t size;
    uint32_t test_base; /* offset of test 0's target; test N is 4*N further */
    uint8_t current_test;
    uint32_t count[TESTDEV_NUM_TESTS];
} TestDevBar;

typedef struct PCITestDevState {
    PCIDevice pci;
    MemoryRegion mem;
    MemoryRegion io;
    MemoryRegion membar;
    uint64_t membar_size;
    TestDevBar bars[NUM_TEST_BARS];
    uint8_t mem_scratch[TESTDEV_MEM_SIZE];
    uint8_t io_scratch[TESTDEV_IO_SIZE];
} PCITestDevState;

static const struct {
    const char *name;
    uint8_t width;
    uint32_t data;
    bool match_data;
} testdev_tests[TESTDEV_NUM_TESTS] = {
    {"no-eventfd", 4, 0x12345678, false},
    {"wildcard-eventfd", 4, 0x9abcdef0, false},
    {"datamatch-eventfd", 4, 0xfa, true},
};

static uint8_t testdev_hdr_byte(TestDevBar *b, uint32_t off)
{
    unsigned t = b->current_test;
    if (t >= TESTDEV_NUM_TESTS) {
        return off == 1 ? TESTDEV_NO_TEST : 0;
    }
    uint32_t field;
    switch (off) {
    case 0: return 0; /* test: write-only */
    case 1: return testdev_tests[t].width;
    case 2: case 3: return 0;
    case 4: case 5: case 6: case 7:
        field = b->test_base + 4 * t;
        return field >> (8 * (off - 4));
    case 8: case 9: case 10: case 11:
        field = testdev_tests[t].data;
        return field >> (8 * (off - 8));
    case 12: case 13: case 14: case 15:
        field = b->count[t];
        return field >> (8 * (off - 12));
    default: {
        size_t i = off - 16;
        const char *name = testdev_tests[t].name;
        return i < strlen(name) ? (uint8_t)name[i] : 0;
    }
    }
}

static uint64_t testdev_read(void *opaque, uint64_t offset, unsigned size)
{
    TestDevBar *b = opaque;
    uint64_t val = 0;
    for (unsigned i = 0; i < size && offset + i < b->size; i++) {
        uint32_t o = offset + i;
        uint8_t byte = o < TESTDEV_HDR_SIZE ? testdev_hdr_byte(b, o) : b->scratch[o];
        val |= (uint64_t)byte << (8 * i);
    }
    return val;
}

static void testdev_write(void *opaque, uint64_t offset, uint64_t val, unsigned size)
{
    TestDevBar *b = opaque;
    if (offset >= b->size || size > b->size - offset) {
        return;
    }
    if (offset < TESTDEV_HDR_SIZE) {
        if (offset == 0) {
            b->current_test = val & 0xff;
        } else {
            log_guest_error("pci-testdev: write to read-only header offset 0x%x\n",
                            (unsigned)offset);
        }
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        b->scratch[offset + i] = val >> (8 * i);
    }
    for (unsigned t = 0; t < TESTDEV_NUM_TESTS; t++) {
        if (offset != b->test_base + 4 * t) {
            continue;
        }
        if (size != testdev_tests[t].width) {
            log_guest_error("pci-testdev: %u-byte write to test %u, which is %u bytes wide\n",
                            size, t, testdev_tests[t].width);
        } else if (!testdev_tests[t].match_data || (uint32_t)val == testdev_tests[t].data) {
            b->count[t]++;
        }
    }
}

static const MemoryRegionOps testdev_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static bool testdev_realize(DeviceState *dev, Error **errp)
{
    PCITestDevState *s = (PCITestDevState *)dev;
    if (s->membar_size && ((s->membar_size & (s->membar_size - 1)) || s->membar_size < 16)) {
        error_setg(errp, "membar must be a power of two of at least 16 bytes");
        return false;
    }
    if (!pci_device_realize(&s->pci, errp)) {
        return false;
    }
    PCIDevice *d = &s->pci;
    pci_config_set_ids(d, 0x1b36, 0x0005, 0x00, 0xff0000);
    pci_config_set_subsystem(d, 0x1af4, 0x1100);

    s->bars[BAR_MEM] = (TestDevBar){.s = s, .scratch = s->mem_scratch,
                                    .size = TESTDEV_MEM_SIZE, .test_base = 0x800};
    s->bars[BAR_IO] = (TestDevBar){.s = s, .scratch = s->io_scratch,
                                   .size = TESTDEV_IO_SIZE, .test_base = 0x80};
    memory_region_init_io(&s->mem, "pci-testdev-mmio", &testdev_ops, &s->bars[BAR_MEM],
                          TESTDEV_MEM_SIZE);
    memory_region_init_io(&s->io, "pci-testdev-portio", &testdev_ops, &s->bars[BAR_IO],
                          TESTDEV_IO_SIZE);
    pci_register_bar(d, 0, PCI_BAR_MEM_32, &s->mem);
    pci_register_bar(d, 1, PCI_BAR_SPACE_IO, &s->io);
    if (s->membar_size) {
        memory_region_init_container(&s->membar, "pci-testdev-membar", s->membar_size);
        pci_register_bar(d, 2, PCI_BAR_MEM_64 | PCI_BAR_MEM_PREFETCH, &s->membar);
    }
    return true;
}

static void testdev_unrealize(DeviceState *dev)
{
    PCITestDevState *s = (PCITestDevState *)dev;
    pci_device_unrealize(&s->pci);
    memory_region_destroy(&s->mem);
    memory_region_destroy(&s->io);
    if (s->membar_size) {
        memory_region_destroy(&s->membar);
    }
}

static void testdev_reset(DeviceState *dev)
{
    PCITestDevState *s = (PCITestDevState *)dev;
    pci_device_reset(&s->pci);
    for (int i = 0; i < NUM_TEST_BARS; i++) {
        s->bars[i].current_test = 0;
        memset(s->bars[i].count, 0, sizeof(s->bars[i].count));
    }
    memset(s->mem_scratch, 0, sizeof(s->mem_scratch));
    memset(s->io_scratch, 0, sizeof(s->io_scratch));
}

static int testdev_post_load(void *opaque)
{
    PCITestDevState *s = opaque;
    pci_device_post_load(&s->pci);
    return 0;
}

static const VMStateField testdev_vmstate_fields[] = {
    VMSTATE_STRUCT(PCITestDevState, pci, &pci_device_vmstate),
    VMSTATE_U8(PCITestDevState, bars[BAR_MEM].current_test),
    VMSTATE_U32_ARRAY(PCITestDevState, bars[BAR_MEM].count),
    VMSTATE_U8(PCITestDevState, bars[BAR_IO].current_test),
    VMSTATE_U32_ARRAY(PCITestDevState, bars[BAR_IO].count),
    VMSTATE_BUFFER(PCITestDevState, mem_scratch),
    VMSTATE_BUFFER(PCITestDevState, io_scratch),
    VMSTATE_END,
};

static const VMStateDescription testdev_vmstate = {
    .name = "pci-testdev",
    .version = 1,
    .fields = testdev_vmstate_fields,
    .post_load = testdev_post_load,
};

static const Property testdev_props[] = {
    DEFINE_PROP_PCI_ADDR(PCITestDevState, pci),
    DEFINE_PROP_SIZE("membar", PCITestDevState, membar_size, 0,
                     "size of the 64-bit BAR2 without backing (0: no BAR2)"),
    DEFINE_PROP_END,
};

static const DeviceInfo testdev_info = {
    .name = "pci-testdev",
    .desc = "PCI test device",
    .bus = BUS_PCI,
    .size = sizeof(PCITestDevState),
    .props = testdev_props,
    .realize = testdev_realize,
    .unrealize = testdev_unrealize,
    .reset = testdev_reset,
    .vmstate = &testdev_vmstate,
};
DEVICE_REGISTER(testdev_info);
