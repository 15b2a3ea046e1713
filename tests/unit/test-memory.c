/*
 * Unit tests for the memory API (core/memory.c): flattening with priorities,
 * aliases and enables; access splitting and widening per region rules;
 * unassigned, ROM and read-only behaviour; buffers crossing regions;
 * listeners; map changes from inside device callbacks; dirty tracking; and
 * addresses near 2^64.  A randomized test checks the flat tables against a
 * straightforward point-by-point resolver.
 */
#include <inttypes.h>
#include <unistd.h>

#include "core/common.h"
#include "core/log.h"
#include "core/memory.h"
#include "tests/unit/test.h"

/* ------------------------------------------------------------------------ */
/* A test device that records every callback and behaves like 256 bytes of memory. */

typedef struct Call {
    int write;
    uint64_t offset;
    unsigned size;
    uint64_t value;
} Call;

typedef struct TestDev TestDev;
struct TestDev {
    MemoryRegion mr;
    Call calls[64];
    int nr_calls;
    uint8_t mem[256];
    /* Runs inside the callback, after the access took effect. */
    void (*hook)(TestDev *d, bool write, uint64_t offset, uint64_t value);
    void *hook_opaque;
};

static void tdev_record(TestDev *d, int write, uint64_t offset, unsigned size, uint64_t value)
{
    if (d->nr_calls < (int)ARRAY_SIZE(d->calls)) {
        d->calls[d->nr_calls] = (Call){ write, offset, size, value };
    }
    d->nr_calls++;
}

static uint64_t tdev_read(void *opaque, uint64_t offset, unsigned size)
{
    TestDev *d = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)d->mem[(offset + i) & 0xff] << (i * 8);
    }
    tdev_record(d, 0, offset, size, v);
    if (d->hook) {
        d->hook(d, false, offset, v);
    }
    /* Garbage above the access size: the API must mask it off. */
    if (size < 8) {
        v |= 0xA5A5A5A5A5A5A5A5ULL & (~0ULL << (size * 8));
    }
    return v;
}

static void tdev_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    TestDev *d = opaque;
    for (unsigned i = 0; i < size; i++) {
        d->mem[(offset + i) & 0xff] = (uint8_t)(value >> (i * 8));
    }
    tdev_record(d, 1, offset, size, value);
    if (d->hook) {
        d->hook(d, true, offset, value);
    }
}

static void tdev_reset(TestDev *d)
{
    d->nr_calls = 0;
    for (int i = 0; i < 256; i++) {
        d->mem[i] = (uint8_t)(0x40 + i);
    }
}

static void tdev_init(TestDev *d, const char *name, const MemoryRegionOps *ops, uint64_t size)
{
    memset(d, 0, sizeof(*d));
    memory_region_init_io(&d->mr, name, ops, d, size);
    tdev_reset(d);
}

/* Pattern value the device returns for bytes [offset, offset+size). */
static uint64_t pattern(uint64_t offset, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)(uint8_t)(0x40 + offset + i) << (i * 8);
    }
    return v;
}

#define CHECK_CALL(d, i, w, off, sz, val)                 \
    do {                                                  \
        CHECK((d)->nr_calls > (i));                       \
        if ((d)->nr_calls > (i)) {                        \
            CHECK_EQ((d)->calls[(i)].write, (w));         \
            CHECK_EQ((d)->calls[(i)].offset, (off));      \
            CHECK_EQ((d)->calls[(i)].size, (sz));         \
            CHECK_EQ((d)->calls[(i)].value, (val));       \
        }                                                 \
    } while (0)

static const MemoryRegionOps ops_default = { .read = tdev_read, .write = tdev_write };
static const MemoryRegionOps ops_byte = {
    .read = tdev_read, .write = tdev_write, .impl = { 1, 1 },
};
static const MemoryRegionOps ops_word = {
    .read = tdev_read, .write = tdev_write, .valid = { 1, 4, false }, .impl = { 4, 4 },
};
static const MemoryRegionOps ops_word_unaligned = {
    .read = tdev_read, .write = tdev_write, .valid = { 1, 4, true }, .impl = { 4, 4 },
};
static const MemoryRegionOps ops_quad = {
    .read = tdev_read, .write = tdev_write, .impl = { 8, 8 },
};
/* Only a minimum: the maximum follows it rather than the default 4. */
static const MemoryRegionOps ops_min8 = {
    .read = tdev_read, .write = tdev_write, .impl = { 8, 0 },
};
static const MemoryRegionOps ops_valid_2_4 = {
    .read = tdev_read, .write = tdev_write, .valid = { 2, 4, false },
};
static const MemoryRegionOps ops_read_only_dev = { .read = tdev_read };

/* ------------------------------------------------------------------------ */
/* Fixtures and helpers. */

typedef struct Fixture {
    MemoryRegion root;
    AddressSpace as;
} Fixture;

static void fx_init(Fixture *f)
{
    memory_region_init_container(&f->root, "system", UINT64_MAX);
    address_space_init(&f->as, &f->root, "memory");
}

static void fx_fini(Fixture *f)
{
    address_space_destroy(&f->as);
    memory_region_destroy(&f->root);
}

static uint64_t ld(AddressSpace *as, uint64_t addr, unsigned size, MemTxResult *res)
{
    uint64_t v = 0x1234; /* must be overwritten */
    MemTxResult r = address_space_ld(as, addr, size, &v);
    if (res) {
        *res = r;
    }
    return v;
}

static const MemoryRegion *mr_at(AddressSpace *as, uint64_t addr)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    return fr ? fr->mr : NULL;
}

static uint64_t off_at(AddressSpace *as, uint64_t addr)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    return fr ? fr->offset_in_region + (addr - fr->start) : ~0ULL;
}

/* Sorted, non-empty, non-overlapping ranges, each inside its region. */
static bool view_is_sane(const AddressSpace *as)
{
    const FlatView *fv = as->view;
    for (int i = 0; i < fv->nr; i++) {
        const FlatRange *r = &fv->ranges[i];
        if (r->size == 0 || r->start + (r->size - 1) < r->start) {
            return false;
        }
        if (r->mr->kind == MR_CONTAINER || r->mr->kind == MR_ALIAS) {
            return false;
        }
        if (r->mr->size != UINT64_MAX && r->offset_in_region + r->size > r->mr->size) {
            return false;
        }
        if (i > 0) {
            const FlatRange *p = &fv->ranges[i - 1];
            if (p->start + (p->size - 1) >= r->start) {
                return false;
            }
        }
    }
    return true;
}

/* Guest-error log capture into a temporary file. */
static char log_path[64];
static char log_buf[4096];

static void log_capture_start(void)
{
    Error *err = NULL;
    if (!log_set_file(log_path, &err)) {
        error_report_err(err);
        exit(2);
    }
    osprey_log_mask = LOG_GUEST_ERROR;
}

static const char *log_capture_end(void)
{
    log_flush();
    osprey_log_mask = 0;
    FILE *f = fopen(log_path, "r");
    size_t n = f ? fread(log_buf, 1, sizeof(log_buf) - 1, f) : 0;
    log_buf[n] = 0;
    if (f) {
        fclose(f);
    }
    return log_buf;
}

/* A listener that counts calls and records what it sees at call time. */
typedef struct CountListener {
    MemoryListener l;
    int calls;
    uint64_t probe;               /* address looked up inside the callback */
    const MemoryRegion *seen_mr;  /* what the probe found */
    int order;                    /* global call order, to check ordering */
    int *order_counter;
} CountListener;

static void count_map_changed(MemoryListener *l, AddressSpace *as)
{
    CountListener *c = container_of(l, CountListener, l);
    c->calls++;
    c->seen_mr = mr_at(as, c->probe);
    if (c->order_counter) {
        c->order = ++*c->order_counter;
    }
}

/* ------------------------------------------------------------------------ */
/* Overlap and priority. */

static void test_priority(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram;
    TestDev a, b, c;
    memory_region_init_ram(&ram, "ram", 0x10000);
    tdev_init(&a, "dev-a", &ops_default, 0x1000);
    tdev_init(&b, "dev-b", &ops_default, 0x1000);
    tdev_init(&c, "dev-c", &ops_default, 0x100);

    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion_overlap(&f.root, 0x8000, &a.mr, 1);
    memory_region_add_subregion_overlap(&f.root, 0x8800, &b.mr, 1); /* equal, later: wins */
    memory_region_add_subregion_overlap(&f.root, 0x8400, &c.mr, 0); /* lower: hidden */
    CHECK(view_is_sane(&f.as));

    CHECK(mr_at(&f.as, 0x7fff) == &ram);
    CHECK(mr_at(&f.as, 0x8000) == &a.mr);
    CHECK(mr_at(&f.as, 0x8400) == &a.mr);
    CHECK_EQ(off_at(&f.as, 0x8400), 0x400);
    CHECK(mr_at(&f.as, 0x87ff) == &a.mr);
    CHECK(mr_at(&f.as, 0x8800) == &b.mr);
    CHECK_EQ(off_at(&f.as, 0x8800), 0);
    CHECK(mr_at(&f.as, 0x9000) == &b.mr);
    CHECK_EQ(off_at(&f.as, 0x9000), 0x800);
    CHECK(mr_at(&f.as, 0x9800) == &ram);
    CHECK_EQ(off_at(&f.as, 0x9800), 0x9800);
    CHECK(mr_at(&f.as, 0x10000) == NULL);

    /* A store reaches the winner only. */
    CHECK_EQ(address_space_st(&f.as, 0x8800, 1, 0x5a), MEMTX_OK);
    CHECK_EQ(b.nr_calls, 1);
    CHECK_EQ(a.nr_calls, 0);
    CHECK_CALL(&b, 0, 1, 0, 1, 0x5a);

    /* Disabling the top one reveals the one below, and then the RAM. */
    memory_region_set_enabled(&b.mr, false);
    CHECK(mr_at(&f.as, 0x8800) == &a.mr);
    CHECK_EQ(off_at(&f.as, 0x8800), 0x800);
    CHECK(mr_at(&f.as, 0x9000) == &ram);
    memory_region_set_enabled(&a.mr, false);
    CHECK(mr_at(&f.as, 0x8400) == &c.mr);
    CHECK_EQ(off_at(&f.as, 0x8400), 0);
    CHECK(mr_at(&f.as, 0x8500) == &ram);
    CHECK(mr_at(&f.as, 0x8800) == &ram);
    memory_region_set_enabled(&b.mr, true);
    CHECK(mr_at(&f.as, 0x8800) == &b.mr);
    CHECK(view_is_sane(&f.as));

    /* Equal priority at the same place: the later one wins, deleting it reveals the first. */
    TestDev x, y;
    tdev_init(&x, "x", &ops_default, 0x100);
    tdev_init(&y, "y", &ops_default, 0x100);
    memory_region_add_subregion(&f.root, 0x20000, &x.mr);
    memory_region_add_subregion(&f.root, 0x20000, &y.mr);
    CHECK(mr_at(&f.as, 0x20010) == &y.mr);
    memory_region_del_subregion(&f.root, &y.mr);
    CHECK(mr_at(&f.as, 0x20010) == &x.mr);
    /* Re-adding at a negative priority puts it under x. */
    memory_region_add_subregion_overlap(&f.root, 0x20080, &y.mr, -1);
    CHECK(mr_at(&f.as, 0x20090) == &x.mr);
    CHECK(mr_at(&f.as, 0x20100) == &y.mr);
    CHECK_EQ(off_at(&f.as, 0x20100), 0x80);

    /* Merging: a RAM split around a disabled subregion is one range again. */
    int before = f.as.view->nr;
    memory_region_set_enabled(&a.mr, true);
    memory_region_set_enabled(&b.mr, false);
    memory_region_set_enabled(&c.mr, false);
    CHECK(f.as.view->nr < before);
    memory_region_set_enabled(&a.mr, false);
    const FlatRange *fr = address_space_lookup(&f.as, 0);
    CHECK(fr && fr->start == 0 && fr->size == 0x10000 && fr->mr == &ram);

    fx_fini(&f);
    memory_region_destroy(&x.mr);
    memory_region_destroy(&y.mr);
    memory_region_destroy(&a.mr);
    memory_region_destroy(&b.mr);
    memory_region_destroy(&c.mr);
    memory_region_destroy(&ram);
}

/* Subregions of a RAM region cover it (a device window inside memory). */
static void test_subregion_covers_parent(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram;
    TestDev d;
    memory_region_init_ram(&ram, "ram", 0x4000);
    tdev_init(&d, "window", &ops_default, 0x100);
    memory_region_add_subregion(&ram, 0x1000, &d.mr);
    memory_region_add_subregion(&f.root, 0x10000, &ram);
    CHECK(mr_at(&f.as, 0x10fff) == &ram);
    CHECK(mr_at(&f.as, 0x11000) == &d.mr);
    CHECK(mr_at(&f.as, 0x11100) == &ram);
    CHECK_EQ(off_at(&f.as, 0x11100), 0x1100);
    CHECK_EQ(ld(&f.as, 0x11004, 1, NULL), 0x44);
    fx_fini(&f);
    memory_region_destroy(&ram);
    memory_region_destroy(&d.mr);
}

/* ------------------------------------------------------------------------ */
/* Aliases. */

static void test_alias_pci_hole(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram, pci_mem, hole;
    TestDev bar0, bar1, far;
    CountListener cl = { .l.map_changed = count_map_changed, .probe = 0xE0100000 };

    memory_region_init_ram(&ram, "ram-below-4g", 0x100000);
    memory_region_init_container(&pci_mem, "pci-memory", UINT64_MAX);
    memory_region_init_alias(&hole, "pci-hole", &pci_mem, 0xE0000000, 0x10000000);
    tdev_init(&bar0, "bar0", &ops_default, 0x1000);
    tdev_init(&bar1, "bar1", &ops_default, 0x1000);
    tdev_init(&far, "far", &ops_default, 0x1000);
    CHECK_EQ(pci_mem.nr_alias_users, 1);

    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion(&pci_mem, 0xE0000000, &bar0.mr);
    memory_region_add_subregion(&f.root, 0xE0000000, &hole);
    address_space_add_listener(&f.as, &cl.l);
    CHECK_EQ(cl.calls, 1); /* told the current map on registration */
    CHECK(cl.seen_mr == NULL);

    CHECK(mr_at(&f.as, 0xE0000000) == &bar0.mr);
    CHECK_EQ(off_at(&f.as, 0xE0000010), 0x10);
    CHECK_EQ(ld(&f.as, 0xE0000010, 1, NULL), 0x50);

    /* A BAR appearing in the PCI container later shows up through the alias. */
    memory_region_add_subregion(&pci_mem, 0xE0100000, &bar1.mr);
    CHECK_EQ(cl.calls, 2);
    CHECK(cl.seen_mr == &bar1.mr);
    CHECK(mr_at(&f.as, 0xE0100000) == &bar1.mr);
    CHECK_EQ(address_space_st(&f.as, 0xE0100004, 4, 0xcafef00d), MEMTX_OK);
    CHECK_CALL(&bar1, 0, 1, 4, 4, 0xcafef00d);

    /* Outside the window it is invisible. */
    memory_region_add_subregion(&pci_mem, 0xF8000000, &far.mr);
    CHECK(mr_at(&f.as, 0xF8000000) == NULL);
    CHECK(mr_at(&f.as, 0xEFFFFFFF) == NULL);
    CHECK(mr_at(&f.as, 0xF0000000) == NULL);

    /* The guest moves BAR0: the old place is a hole, the new one reaches it. */
    memory_region_set_address(&bar0.mr, 0xE0200000);
    MemTxResult r;
    CHECK_EQ(ld(&f.as, 0xE0000000, 4, &r), 0xffffffff);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK(mr_at(&f.as, 0xE0200000) == &bar0.mr);

    /* Moving the hole itself. */
    memory_region_set_alias_offset(&hole, 0xE0100000);
    CHECK(mr_at(&f.as, 0xE0000000) == &bar1.mr);
    CHECK(mr_at(&f.as, 0xE0100000) == &bar0.mr);
    CHECK(view_is_sane(&f.as));

    int calls = cl.calls;
    address_space_remove_listener(&f.as, &cl.l);
    memory_region_set_address(&bar0.mr, 0xE0300000);
    CHECK_EQ(cl.calls, calls);

    fx_fini(&f);
    memory_region_destroy(&hole);
    memory_region_destroy(&pci_mem);
    memory_region_destroy(&ram);
    memory_region_destroy(&bar0.mr);
    memory_region_destroy(&bar1.mr);
    memory_region_destroy(&far.mr);
}

static void test_alias_pam_and_offset(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram, bios, pam_ram, pam_rom, vram, vga_win, win2, clipped;
    uint8_t buf[16];

    memory_region_init_ram(&ram, "pc.ram", 0x100000);
    memory_region_init_rom(&bios, "bios", 0x20000);
    memory_region_add_subregion(&f.root, 0, &ram);
    /* PAM segment 0xE0000-0xEFFFF: one alias to RAM, one to the BIOS, at priority 1. */
    memory_region_init_alias(&pam_ram, "pam-ram", &ram, 0xE0000, 0x10000);
    memory_region_init_alias(&pam_rom, "pam-rom", &bios, 0, 0x10000);
    memory_region_add_subregion_overlap(&f.root, 0xE0000, &pam_ram, 1);
    memory_region_add_subregion_overlap(&f.root, 0xE0000, &pam_rom, 1);
    memory_region_set_enabled(&pam_ram, false);

    CHECK_EQ(address_space_write_rom(&f.as, 0xE0000, "BIOS", 4), MEMTX_OK);
    CHECK_EQ(ld(&f.as, 0xE0000, 4, NULL), 0x534f4942);
    CHECK_EQ(memcmp(bios.ram, "BIOS", 4), 0);
    /* Through the ROM alias a guest write is dropped. */
    CHECK_EQ(address_space_st(&f.as, 0xE0000, 4, 0x11111111), MEMTX_OK);
    CHECK_EQ(ld(&f.as, 0xE0000, 4, NULL), 0x534f4942);

    /* Switch the segment to RAM: shadow copy, then the guest writes it. */
    memory_region_set_enabled(&pam_rom, false);
    memory_region_set_enabled(&pam_ram, true);
    CHECK(mr_at(&f.as, 0xE0000) == &ram);
    CHECK_EQ(off_at(&f.as, 0xE0000), 0xE0000);
    CHECK_EQ(ld(&f.as, 0xE0000, 4, NULL), 0);
    CHECK_EQ(address_space_st(&f.as, 0xE0000, 4, 0x11111111), MEMTX_OK);
    CHECK_EQ(ldl_le_p(ram.ram + 0xE0000), 0x11111111);
    /* Back to ROM: the BIOS is still there, the RAM keeps the shadow. */
    memory_region_set_enabled(&pam_ram, false);
    memory_region_set_enabled(&pam_rom, true);
    CHECK_EQ(ld(&f.as, 0xE0000, 4, NULL), 0x534f4942);
    CHECK_EQ(ldl_le_p(ram.ram + 0xE0000), 0x11111111);

    /* A window onto VRAM whose bank is chosen by set_alias_offset. */
    memory_region_init_ram(&vram, "vram", 0x20000);
    memory_region_init_alias(&vga_win, "vga-window", &vram, 0, 0x10000);
    memory_region_add_subregion_overlap(&f.root, 0xA0000, &vga_win, 1);
    CHECK_EQ(address_space_st(&f.as, 0xA0010, 1, 0xaa), MEMTX_OK);
    CHECK_EQ(vram.ram[0x10], 0xaa);
    memory_region_set_alias_offset(&vga_win, 0x10000);
    CHECK_EQ(ld(&f.as, 0xA0010, 1, NULL), 0);
    CHECK_EQ(address_space_st(&f.as, 0xA0010, 1, 0xbb), MEMTX_OK);
    CHECK_EQ(vram.ram[0x10010], 0xbb);
    CHECK_EQ(vram.ram[0x10], 0xaa);
    CHECK(memory_region_get_ram_ptr(&vga_win) == vram.ram + 0x10000);

    /* An alias of an alias follows both offsets. */
    memory_region_init_alias(&win2, "win2", &vga_win, 0x8000, 0x1000);
    memory_region_add_subregion(&f.root, 0x200000, &win2);
    CHECK(mr_at(&f.as, 0x200000) == &vram);
    CHECK_EQ(off_at(&f.as, 0x200010), 0x18010);
    memory_region_set_alias_offset(&vga_win, 0);
    CHECK_EQ(off_at(&f.as, 0x200010), 0x8010);

    /* An alias reaching past the end of its target is clipped. */
    memory_region_init_alias(&clipped, "clipped", &vram, 0x1F000, 0x2000);
    memory_region_add_subregion(&f.root, 0x300000, &clipped);
    CHECK(mr_at(&f.as, 0x300fff) == &vram);
    CHECK(mr_at(&f.as, 0x301000) == NULL);
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(address_space_read(&f.as, 0x300ff8, buf, 16), MEMTX_DECODE_ERROR);
    CHECK_EQ(buf[7], 0);
    CHECK_EQ(buf[8], 0xff);
    CHECK(view_is_sane(&f.as));

    fx_fini(&f);
    memory_region_destroy(&clipped);
    memory_region_destroy(&win2);
    memory_region_destroy(&vga_win);
    memory_region_destroy(&vram);
    memory_region_destroy(&pam_ram);
    memory_region_destroy(&pam_rom);
    memory_region_destroy(&bios);
    memory_region_destroy(&ram);
}

/* ------------------------------------------------------------------------ */
/* Access sizes. */

static void test_access_split_widen(void)
{
    Fixture f;
    fx_init(&f);
    TestDev dflt, byte, word, wordu, quad, min8;
    tdev_init(&dflt, "default", &ops_default, 0x100);
    tdev_init(&byte, "byte", &ops_byte, 0x100);
    tdev_init(&word, "word", &ops_word, 0x100);
    tdev_init(&wordu, "word-unaligned", &ops_word_unaligned, 0x100);
    tdev_init(&quad, "quad", &ops_quad, 0x100);
    tdev_init(&min8, "min8", &ops_min8, 0x100);
    memory_region_add_subregion(&f.root, 0x1000, &dflt.mr);
    memory_region_add_subregion(&f.root, 0x2000, &byte.mr);
    memory_region_add_subregion(&f.root, 0x3000, &word.mr);
    memory_region_add_subregion(&f.root, 0x4000, &wordu.mr);
    memory_region_add_subregion(&f.root, 0x5000, &quad.mr);
    memory_region_add_subregion(&f.root, 0x6000, &min8.mr);
    MemTxResult r;

    /* Default impl is 1..4: an 8-byte access becomes two 4-byte ones, low first. */
    CHECK_EQ(ld(&f.as, 0x1008, 8, &r), pattern(8, 8));
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(dflt.nr_calls, 2);
    CHECK_CALL(&dflt, 0, 0, 8, 4, pattern(8, 4));
    CHECK_CALL(&dflt, 1, 0, 12, 4, pattern(12, 4));
    dflt.nr_calls = 0;
    CHECK_EQ(address_space_st(&f.as, 0x1010, 8, 0x1122334455667788ULL), MEMTX_OK);
    CHECK_EQ(dflt.nr_calls, 2);
    CHECK_CALL(&dflt, 0, 1, 0x10, 4, 0x55667788);
    CHECK_CALL(&dflt, 1, 1, 0x14, 4, 0x11223344);
    /* Sizes inside impl pass through; the device's garbage high bits are masked. */
    dflt.nr_calls = 0;
    CHECK_EQ(ld(&f.as, 0x1003, 1, NULL), 0x43);
    CHECK_EQ(ld(&f.as, 0x1002, 2, NULL), 0x4342);
    CHECK_EQ(dflt.nr_calls, 2);
    CHECK_CALL(&dflt, 1, 0, 2, 2, 0x4342);
    /* Write values are masked to the access size. */
    dflt.nr_calls = 0;
    CHECK_EQ(address_space_st(&f.as, 0x1020, 2, 0xffff1234), MEMTX_OK);
    CHECK_CALL(&dflt, 0, 1, 0x20, 2, 0x1234);

    /* impl max 1: a 4-byte store is four byte stores in ascending order. */
    CHECK_EQ(address_space_st(&f.as, 0x2004, 4, 0xAABBCCDD), MEMTX_OK);
    CHECK_EQ(byte.nr_calls, 4);
    CHECK_CALL(&byte, 0, 1, 4, 1, 0xDD);
    CHECK_CALL(&byte, 1, 1, 5, 1, 0xCC);
    CHECK_CALL(&byte, 2, 1, 6, 1, 0xBB);
    CHECK_CALL(&byte, 3, 1, 7, 1, 0xAA);
    byte.nr_calls = 0;
    CHECK_EQ(ld(&f.as, 0x2004, 2, NULL), 0xCCDD);
    CHECK_EQ(byte.nr_calls, 2);
    CHECK_CALL(&byte, 0, 0, 4, 1, 0xDD);
    CHECK_CALL(&byte, 1, 0, 5, 1, 0xCC);

    /* impl 4..4: narrow reads read the aligned word and extract. */
    CHECK_EQ(ld(&f.as, 0x3002, 1, &r), 0x42);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(word.nr_calls, 1);
    CHECK_CALL(&word, 0, 0, 0, 4, pattern(0, 4));
    word.nr_calls = 0;
    CHECK_EQ(ld(&f.as, 0x3006, 2, NULL), 0x4746);
    CHECK_CALL(&word, 0, 0, 4, 4, pattern(4, 4));
    /* Narrow writes write the whole word with zeroes around, and never read. */
    word.nr_calls = 0;
    CHECK_EQ(address_space_st(&f.as, 0x3001, 1, 0xAB), MEMTX_OK);
    CHECK_EQ(word.nr_calls, 1);
    CHECK_CALL(&word, 0, 1, 0, 4, 0x0000AB00);
    word.nr_calls = 0;
    CHECK_EQ(address_space_st(&f.as, 0x3006, 2, 0xBEEF), MEMTX_OK);
    CHECK_EQ(word.nr_calls, 1);
    CHECK_CALL(&word, 0, 1, 4, 4, 0xBEEF0000);
    /* valid.max 4 forbids 8 here even though splitting would be possible. */
    word.nr_calls = 0;
    CHECK_EQ(ld(&f.as, 0x3000, 8, &r), ~0ULL);
    CHECK_EQ(r, MEMTX_ERROR);
    CHECK_EQ(word.nr_calls, 0);

    /* Unaligned allowed: a 2-byte access across a word boundary touches both words. */
    CHECK_EQ(ld(&f.as, 0x4003, 2, &r), 0x4443);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(wordu.nr_calls, 2);
    CHECK_CALL(&wordu, 0, 0, 0, 4, pattern(0, 4));
    CHECK_CALL(&wordu, 1, 0, 4, 4, pattern(4, 4));
    wordu.nr_calls = 0;
    CHECK_EQ(address_space_st(&f.as, 0x4003, 2, 0x1234), MEMTX_OK);
    CHECK_EQ(wordu.nr_calls, 2);
    CHECK_CALL(&wordu, 0, 1, 0, 4, 0x34000000);
    CHECK_CALL(&wordu, 1, 1, 4, 4, 0x12);

    /* impl 8..8: a byte read is one 8-byte read. */
    CHECK_EQ(ld(&f.as, 0x5005, 1, NULL), 0x45);
    CHECK_EQ(quad.nr_calls, 1);
    CHECK_CALL(&quad, 0, 0, 0, 8, pattern(0, 8));
    quad.nr_calls = 0;
    CHECK_EQ(address_space_st(&f.as, 0x500c, 4, 0xdeadbeef), MEMTX_OK);
    CHECK_CALL(&quad, 0, 1, 8, 8, 0xdeadbeef00000000ULL);

    CHECK_EQ(ld(&f.as, 0x6008, 8, NULL), pattern(8, 8));
    CHECK_EQ(ld(&f.as, 0x600a, 2, NULL), pattern(10, 2));
    CHECK_EQ(min8.nr_calls, 2);
    CHECK_CALL(&min8, 0, 0, 8, 8, pattern(8, 8));
    CHECK_CALL(&min8, 1, 0, 8, 8, pattern(8, 8));

    fx_fini(&f);
    memory_region_destroy(&dflt.mr);
    memory_region_destroy(&byte.mr);
    memory_region_destroy(&word.mr);
    memory_region_destroy(&wordu.mr);
    memory_region_destroy(&quad.mr);
    memory_region_destroy(&min8.mr);
}

static void test_invalid_sizes(void)
{
    Fixture f;
    fx_init(&f);
    TestDev d, ro;
    MemoryRegion ram;
    tdev_init(&d, "valid-2-4", &ops_valid_2_4, 0x100);
    tdev_init(&ro, "no-write", &ops_read_only_dev, 0x100);
    memory_region_init_ram(&ram, "ram", 0x1000);
    memory_region_add_subregion(&f.root, 0x1000, &d.mr);
    memory_region_add_subregion(&f.root, 0x2000, &ro.mr);
    memory_region_add_subregion(&f.root, 0x3000, &ram);
    MemTxResult r;

    log_capture_start();
    CHECK_EQ(ld(&f.as, 0x1000, 1, &r), 0xff);
    CHECK_EQ(r, MEMTX_ERROR);
    CHECK_EQ(ld(&f.as, 0x1000, 8, &r), ~0ULL);
    CHECK_EQ(r, MEMTX_ERROR);
    CHECK_EQ(ld(&f.as, 0x1002, 4, &r), 0xffffffff); /* unaligned */
    CHECK_EQ(r, MEMTX_ERROR);
    CHECK_EQ(address_space_st(&f.as, 0x1001, 1, 0), MEMTX_ERROR);
    CHECK_EQ(address_space_st(&f.as, 0x1001, 2, 0), MEMTX_ERROR);
    CHECK_EQ(d.nr_calls, 0);
    const char *log = log_capture_end();
    CHECK(strstr(log, "memory") != NULL);
    CHECK(strstr(log, "0x1002") != NULL);
    CHECK(strstr(log, "valid-2-4") != NULL);

    CHECK_EQ(ld(&f.as, 0x1002, 2, &r), 0x4342);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(d.nr_calls, 1);

    /* A missing write callback rejects writes. */
    CHECK_EQ(address_space_st(&f.as, 0x2000, 4, 1), MEMTX_ERROR);
    CHECK_EQ(ro.nr_calls, 0);
    CHECK_EQ(ld(&f.as, 0x2000, 1, &r), 0x40);

    /* Sizes other than 1/2/4/8 are rejected before anything is touched. */
    ram.ram[0] = 0x77;
    CHECK_EQ(ld(&f.as, 0x3000, 3, &r), ~0ULL);
    CHECK_EQ(r, MEMTX_ERROR);
    CHECK_EQ(ld(&f.as, 0x3000, 0, &r), ~0ULL);
    CHECK_EQ(r, MEMTX_ERROR);
    CHECK_EQ(ld(&f.as, 0x3000, 16, &r), ~0ULL);
    CHECK_EQ(address_space_st(&f.as, 0x3000, 16, 0), MEMTX_ERROR);
    CHECK_EQ(address_space_st(&f.as, 0x3000, 5, 0), MEMTX_ERROR);
    CHECK_EQ(ram.ram[0], 0x77);

    fx_fini(&f);
    memory_region_destroy(&d.mr);
    memory_region_destroy(&ro.mr);
    memory_region_destroy(&ram);
}

/* ------------------------------------------------------------------------ */
/* Unassigned, ROM, read-only. */

static void test_unassigned(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram0, ram1;
    memory_region_init_ram(&ram0, "ram0", 0x1000);
    memory_region_init_ram(&ram1, "ram1", 0x1000);
    memset(ram0.ram, 0x5a, 0x1000);
    memset(ram1.ram, 0x5a, 0x1000);
    memory_region_add_subregion(&f.root, 0, &ram0);
    memory_region_add_subregion(&f.root, 0x2000, &ram1);
    MemTxResult r;

    log_capture_start();
    CHECK_EQ(ld(&f.as, 0x1234, 4, &r), 0xffffffff);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    const char *log = log_capture_end();
    CHECK(strstr(log, "memory") != NULL);
    CHECK(strstr(log, "0x1234") != NULL);
    CHECK(strstr(log, "4 bytes") != NULL);

    /* Not logged when -d guest_errors is off. */
    log_capture_start();
    osprey_log_mask = 0;
    CHECK_EQ(ld(&f.as, 0x1234, 2, &r), 0xffff);
    CHECK_EQ(strlen(log_capture_end()), 0);

    CHECK_EQ(ld(&f.as, 0x1000, 8, &r), ~0ULL);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK_EQ(ld(&f.as, 0x1fff, 1, &r), 0xff);
    CHECK_EQ(address_space_st(&f.as, 0x1000, 8, 0), MEMTX_DECODE_ERROR);
    CHECK_EQ(address_space_st(&f.as, 0x1ff8, 8, 0), MEMTX_DECODE_ERROR);
    CHECK_EQ(ram0.ram[0xfff], 0x5a);
    CHECK_EQ(ram1.ram[0], 0x5a);

    /* Straddling the end of RAM: the RAM part is written, the rest dropped. */
    CHECK_EQ(address_space_st(&f.as, 0xffe, 4, 0x11223344), MEMTX_DECODE_ERROR);
    CHECK_EQ(ram0.ram[0xffd], 0x5a);
    CHECK_EQ(ram0.ram[0xffe], 0x44);
    CHECK_EQ(ram0.ram[0xfff], 0x33);
    CHECK_EQ(ram1.ram[0], 0x5a);
    CHECK_EQ(ld(&f.as, 0xffe, 4, &r), 0xffff3344);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK_EQ(ld(&f.as, 0x1ffe, 4, &r), 0x5a5affff);

    /* A buffer over hole and RAM. */
    uint8_t buf[0x1010];
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(address_space_read(&f.as, 0xff8, buf, sizeof(buf)), MEMTX_DECODE_ERROR);
    CHECK_EQ(buf[5], 0x5a);
    CHECK_EQ(buf[6], 0x44);
    CHECK_EQ(buf[8], 0xff);
    CHECK_EQ(buf[0x1007], 0xff);
    CHECK_EQ(buf[0x1008], 0x5a);
    memset(buf, 0xee, sizeof(buf));
    CHECK_EQ(address_space_write(&f.as, 0x1000, buf, 0x1000), MEMTX_DECODE_ERROR);
    CHECK_EQ(ram0.ram[0xfff], 0x33);
    CHECK_EQ(ram1.ram[0], 0x5a);

    /* An empty address space. */
    MemoryRegion empty;
    AddressSpace eas;
    memory_region_init_container(&empty, "empty", 0x10000);
    address_space_init(&eas, &empty, "empty-space");
    CHECK_EQ(eas.view->nr, 0);
    CHECK_EQ(ld(&eas, 0, 8, &r), ~0ULL);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK_EQ(address_space_st(&eas, 0x10, 2, 0), MEMTX_DECODE_ERROR);
    address_space_destroy(&eas);
    memory_region_destroy(&empty);

    fx_fini(&f);
    memory_region_destroy(&ram0);
    memory_region_destroy(&ram1);
}

static void test_rom(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion rom, ram;
    TestDev d;
    memory_region_init_rom(&rom, "bios.rom", 0x1000);
    memory_region_init_ram(&ram, "ram", 0x1000);
    tdev_init(&d, "dev", &ops_default, 0x100);
    memory_region_add_subregion(&f.root, 0xF0000, &rom);
    memory_region_add_subregion(&f.root, 0xF1000, &ram);
    memory_region_add_subregion(&f.root, 0xF2000, &d.mr);
    MemTxResult r;

    CHECK_EQ(address_space_write_rom(&f.as, 0xF0000, "hello", 5), MEMTX_OK);
    CHECK_EQ(memcmp(rom.ram, "hello", 5), 0);
    CHECK_EQ(ld(&f.as, 0xF0000, 4, &r), 0x6c6c6568);
    CHECK_EQ(r, MEMTX_OK);

    log_capture_start();
    CHECK_EQ(address_space_st(&f.as, 0xF0000, 4, 0), MEMTX_OK);
    CHECK_EQ(address_space_write(&f.as, 0xF0001, "XYZ", 3), MEMTX_OK);
    const char *log = log_capture_end();
    CHECK_EQ(memcmp(rom.ram, "hello", 5), 0);
    CHECK(strstr(log, "bios.rom") != NULL);
    CHECK(strstr(log, "0xf0000") != NULL);

    /* A guest write across ROM and RAM writes only the RAM part. */
    CHECK_EQ(address_space_write(&f.as, 0xF0ffe, "ABCD", 4), MEMTX_OK);
    CHECK_EQ(rom.ram[0xffe], 0);
    CHECK_EQ(memcmp(ram.ram, "CD", 2), 0);

    /* write_rom across ROM, RAM, a device (skipped) and a hole. */
    static uint8_t img[0x3010];
    memset(img, 0x3c, sizeof(img));
    CHECK_EQ(address_space_write_rom(&f.as, 0xF0000, img, sizeof(img)), MEMTX_DECODE_ERROR);
    CHECK_EQ(rom.ram[0], 0x3c);
    CHECK_EQ(rom.ram[0xfff], 0x3c);
    CHECK_EQ(ram.ram[0xfff], 0x3c);
    CHECK_EQ(d.nr_calls, 0);

    fx_fini(&f);
    memory_region_destroy(&rom);
    memory_region_destroy(&ram);
    memory_region_destroy(&d.mr);
}

static void test_readonly_ram(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram;
    CountListener cl = { .l.map_changed = count_map_changed };
    memory_region_init_ram(&ram, "ram", 0x2000);
    memory_region_add_subregion(&f.root, 0x10000, &ram);
    address_space_add_listener(&f.as, &cl.l);
    CHECK_EQ(address_space_st(&f.as, 0x10000, 4, 0x01020304), MEMTX_OK);

    memory_region_set_readonly(&ram, true);
    CHECK_EQ(cl.calls, 2);
    CHECK_EQ(address_space_st(&f.as, 0x10000, 4, 0xdeadbeef), MEMTX_OK);
    CHECK_EQ(address_space_st(&f.as, 0x10ffc, 8, 0xdeadbeef), MEMTX_OK);
    CHECK_EQ(address_space_write(&f.as, 0x10001, "zz", 2), MEMTX_OK);
    CHECK_EQ(ld(&f.as, 0x10000, 4, NULL), 0x01020304);
    CHECK_EQ(ldq_le_p(ram.ram + 0xffc), 0);
    /* Firmware loading still writes it. */
    CHECK_EQ(address_space_write_rom(&f.as, 0x10000, "\x09\x08", 2), MEMTX_OK);
    CHECK_EQ(ld(&f.as, 0x10000, 4, NULL), 0x01020809);

    memory_region_set_readonly(&ram, false);
    CHECK_EQ(cl.calls, 3);
    CHECK_EQ(address_space_st(&f.as, 0x10000, 4, 0xdeadbeef), MEMTX_OK);
    CHECK_EQ(ld(&f.as, 0x10000, 4, NULL), 0xdeadbeef);

    address_space_remove_listener(&f.as, &cl.l);
    fx_fini(&f);
    memory_region_destroy(&ram);
}

/* ------------------------------------------------------------------------ */
/* Buffers crossing regions. */

static void test_cross_region_buffer(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion a, b;
    TestDev d;
    memory_region_init_ram(&a, "ram-a", 0x1000);
    memory_region_init_ram(&b, "ram-b", 0x1000);
    tdev_init(&d, "dev", &ops_default, 0x10);
    for (int i = 0; i < 0x1000; i++) {
        a.ram[i] = (uint8_t)i;
        b.ram[i] = (uint8_t)~i;
    }
    /* [ram-a 0x0-0xfff][dev 0x1000-0x100f][hole][ram-b 0x2000-0x2fff] */
    memory_region_add_subregion(&f.root, 0, &a);
    memory_region_add_subregion(&f.root, 0x1000, &d.mr);
    memory_region_add_subregion(&f.root, 0x2000, &b);

    uint8_t buf[0x1008];
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(address_space_read(&f.as, 0xffc, buf, sizeof(buf)), MEMTX_DECODE_ERROR);
    CHECK_EQ(ldl_le_p(buf), 0xfffefdfc);
    CHECK_EQ(ldq_le_p(buf + 4), pattern(0, 8));
    CHECK_EQ(ldq_le_p(buf + 12), pattern(8, 8));
    CHECK_EQ(buf[0x14], 0xff);
    CHECK_EQ(buf[0x1003], 0xff);
    CHECK_EQ(ldl_le_p(buf + 0x1004), 0xfcfdfeff);
    /* The device saw 8-byte accesses split into its 4-byte implementation. */
    CHECK_EQ(d.nr_calls, 4);
    CHECK_CALL(&d, 0, 0, 0, 4, pattern(0, 4));
    CHECK_CALL(&d, 1, 0, 4, 4, pattern(4, 4));
    CHECK_CALL(&d, 2, 0, 8, 4, pattern(8, 4));
    CHECK_CALL(&d, 3, 0, 12, 4, pattern(12, 4));

    /* Unaligned start: the largest access the alignment allows, step by step. */
    d.nr_calls = 0;
    CHECK_EQ(address_space_read(&f.as, 0x1001, buf, 7), MEMTX_OK);
    CHECK_EQ(d.nr_calls, 3);
    CHECK_CALL(&d, 0, 0, 1, 1, pattern(1, 1));
    CHECK_CALL(&d, 1, 0, 2, 2, pattern(2, 2));
    CHECK_CALL(&d, 2, 0, 4, 4, pattern(4, 4));
    CHECK_EQ(buf[0], 0x41);
    CHECK_EQ(buf[6], 0x47);

    /* A write across everything. */
    d.nr_calls = 0;
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(0x80 + i);
    }
    CHECK_EQ(address_space_write(&f.as, 0xffe, buf, sizeof(buf)), MEMTX_DECODE_ERROR);
    CHECK_EQ(a.ram[0xffd], 0xfd);
    CHECK_EQ(a.ram[0xffe], 0x80);
    CHECK_EQ(a.ram[0xfff], 0x81);
    CHECK_EQ(d.nr_calls, 4);
    CHECK_CALL(&d, 0, 1, 0, 4, 0x85848382);
    CHECK_CALL(&d, 3, 1, 12, 4, 0x91908f8e);
    CHECK_EQ(b.ram[0], (uint8_t)(0x80 + 0x1002));
    CHECK_EQ(b.ram[5], (uint8_t)(0x80 + 0x1007));
    CHECK_EQ(b.ram[6], (uint8_t)~6);

    /* Adjacent RAM regions: a plain copy across the seam. */
    memory_region_set_address(&b, 0x1000);
    memory_region_del_subregion(&f.root, &d.mr);
    CHECK_EQ(address_space_write(&f.as, 0xffc, "01234567", 8), MEMTX_OK);
    CHECK_EQ(memcmp(a.ram + 0xffc, "0123", 4), 0);
    CHECK_EQ(memcmp(b.ram, "4567", 4), 0);
    CHECK_EQ(ld(&f.as, 0xffe, 4, NULL), ldl_le_p("2345"));
    CHECK_EQ(ld(&f.as, 0xffc, 8, NULL), ldq_le_p("01234567"));

    /* Zero length touches nothing, even with no buffer. */
    CHECK_EQ(address_space_read(&f.as, 0x5000, NULL, 0), MEMTX_OK);
    CHECK_EQ(address_space_write(&f.as, 0, NULL, 0), MEMTX_OK);

    fx_fini(&f);
    memory_region_destroy(&a);
    memory_region_destroy(&b);
    memory_region_destroy(&d.mr);
}

/* ------------------------------------------------------------------------ */
/* Listeners. */

static void test_listeners(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion io_root, ram, lone, lone_child;
    AddressSpace io_as;
    TestDev d, port;
    int order = 0;
    CountListener l1 = { .l.map_changed = count_map_changed, .probe = 0x5000,
                         .order_counter = &order };
    CountListener l2 = { .l.map_changed = count_map_changed, .probe = 0x5000,
                         .order_counter = &order };
    CountListener lio = { .l.map_changed = count_map_changed, .probe = 0x60 };

    memory_region_init_container(&io_root, "io", 0x10000);
    address_space_init(&io_as, &io_root, "I/O");
    memory_region_init_ram(&ram, "ram", 0x1000);
    tdev_init(&d, "dev", &ops_default, 0x100);
    tdev_init(&port, "kbd", &ops_byte, 1);

    address_space_add_listener(&f.as, &l1.l);
    address_space_add_listener(&f.as, &l2.l);
    address_space_add_listener(&io_as, &lio.l);
    CHECK_EQ(l1.calls, 1);
    CHECK_EQ(l2.calls, 1);
    CHECK_EQ(lio.calls, 1);

    /* The listener sees the new map, in registration order. */
    memory_region_add_subregion(&f.root, 0x5000, &d.mr);
    CHECK_EQ(l1.calls, 2);
    CHECK_EQ(l2.calls, 2);
    CHECK(l1.seen_mr == &d.mr);
    CHECK(l1.order < l2.order);
    CHECK_EQ(lio.calls, 1); /* the other space is not disturbed */

    memory_region_set_enabled(&d.mr, false);
    CHECK_EQ(l1.calls, 3);
    CHECK(l1.seen_mr == NULL);
    memory_region_set_enabled(&d.mr, false); /* no change, no call */
    CHECK_EQ(l1.calls, 3);
    memory_region_set_enabled(&d.mr, true);
    CHECK_EQ(l1.calls, 4);
    memory_region_set_address(&d.mr, 0x6000);
    CHECK_EQ(l1.calls, 5);
    CHECK(l1.seen_mr == NULL);
    memory_region_set_address(&d.mr, 0x5000);
    CHECK(l1.seen_mr == &d.mr);
    memory_region_del_subregion(&f.root, &d.mr);
    CHECK_EQ(l1.calls, 7);
    CHECK(l1.seen_mr == NULL);

    /* Changes to regions nobody maps call nobody. */
    memory_region_init_container(&lone, "lone", 0x1000);
    memory_region_init_ram(&lone_child, "lone-child", 0x1000);
    memory_region_add_subregion(&lone, 0, &lone_child);
    memory_region_set_enabled(&lone_child, false);
    CHECK_EQ(l1.calls, 7);
    /* ...until they become visible. */
    memory_region_add_subregion(&f.root, 0x4000, &lone);
    CHECK_EQ(l1.calls, 8);
    memory_region_set_enabled(&lone_child, true);
    CHECK_EQ(l1.calls, 9);
    CHECK(mr_at(&f.as, 0x4000) == &lone_child);

    /* PIO is just another space. */
    memory_region_add_subregion(&io_root, 0x60, &port.mr);
    CHECK_EQ(lio.calls, 2);
    CHECK(lio.seen_mr == &port.mr);
    CHECK_EQ(l1.calls, 9);
    CHECK_EQ(address_space_st(&io_as, 0x60, 1, 0xf4), MEMTX_OK);
    CHECK_CALL(&port, 0, 1, 0, 1, 0xf4);

    address_space_remove_listener(&f.as, &l1.l);
    memory_region_add_subregion(&f.root, 0, &ram);
    CHECK_EQ(l1.calls, 9);
    CHECK_EQ(l2.calls, 10);
    address_space_remove_listener(&f.as, &l2.l);
    address_space_remove_listener(&io_as, &lio.l);

    address_space_destroy(&io_as);
    memory_region_destroy(&io_root);
    fx_fini(&f);
    memory_region_destroy(&ram);
    memory_region_destroy(&lone);
    memory_region_destroy(&lone_child);
    memory_region_destroy(&d.mr);
    memory_region_destroy(&port.mr);
}

/* ------------------------------------------------------------------------ */
/* Map changes from inside a device callback. */

typedef struct PamWorld {
    Fixture f;
    TestDev ctl;
    MemoryRegion rom, shadow, shadow_win;
    TestDev mover;
    MemoryRegion filler[40];
    int nr_fillers;
} PamWorld;

/* A PAM-like register: bit 0 maps the shadow RAM over the ROM. */
static void pam_hook(TestDev *d, bool write, uint64_t offset, uint64_t value)
{
    PamWorld *w = d->hook_opaque;
    if (write && offset == 0) {
        memory_region_set_enabled(&w->shadow_win, value & 1);
    }
}

/* A device that moves itself and grows the map (forcing new tables) when read. */
static void mover_hook(TestDev *d, bool write, uint64_t offset, uint64_t value)
{
    PamWorld *w = d->hook_opaque;
    if (!write) {
        memory_region_set_address(&d->mr, d->mr.addr + 0x1000);
        if (w->nr_fillers < (int)ARRAY_SIZE(w->filler)) {
            MemoryRegion *m = &w->filler[w->nr_fillers++];
            memory_region_init_ram(m, "filler", 0x10);
            memory_region_add_subregion(&w->f.root, 0x100000 + w->nr_fillers * 0x100, m);
        }
    }
}

static void test_map_change_in_callback(void)
{
    PamWorld *w = XNEW(PamWorld);
    fx_init(&w->f);
    tdev_init(&w->ctl, "pam-ctl", &ops_default, 4);
    w->ctl.hook = pam_hook;
    w->ctl.hook_opaque = w;
    memory_region_init_rom(&w->rom, "rom", 0x1000);
    memory_region_init_ram(&w->shadow, "shadow", 0x1000);
    memory_region_init_alias(&w->shadow_win, "shadow-win", &w->shadow, 4, 0xffc);
    memset(w->rom.ram, 0x11, 0x1000);
    memory_region_add_subregion(&w->f.root, 0x5000, &w->ctl.mr);
    memory_region_add_subregion(&w->f.root, 0x5004, &w->rom);
    memory_region_add_subregion_overlap(&w->f.root, 0x5004, &w->shadow_win, 1);
    memory_region_set_enabled(&w->shadow_win, false);

    /* One buffer write: the first word flips the map, the rest must land in the new map. */
    uint8_t buf[12] = { 1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x12, 0x34 };
    CHECK_EQ(address_space_write(&w->f.as, 0x5000, buf, sizeof(buf)), MEMTX_OK);
    CHECK_CALL(&w->ctl, 0, 1, 0, 4, 1);
    CHECK_EQ(ldq_le_p(w->shadow.ram + 4), ldq_le_p(buf + 4));
    CHECK_EQ(w->rom.ram[0], 0x11);
    CHECK(mr_at(&w->f.as, 0x5004) == &w->shadow);

    /* The single-access path: a store that unmaps, then a load sees the ROM again. */
    CHECK_EQ(address_space_st(&w->f.as, 0x5000, 4, 0), MEMTX_OK);
    CHECK(mr_at(&w->f.as, 0x5004) == &w->rom);
    CHECK_EQ(ld(&w->f.as, 0x5004, 4, NULL), 0x11111111);
    /* A store straddling the register and the window: its tail takes the new map. */
    w->ctl.nr_calls = 0;
    CHECK_EQ(address_space_st(&w->f.as, 0x5000, 8, 0x0000000500000001ULL), MEMTX_OK);
    CHECK_EQ(w->ctl.nr_calls, 1);
    CHECK_CALL(&w->ctl, 0, 1, 0, 4, 1);
    CHECK(mr_at(&w->f.as, 0x5004) == &w->shadow);
    CHECK_EQ(ldl_le_p(w->shadow.ram + 4), 5);
    CHECK_EQ(w->rom.ram[0], 0x11);

    /* A device that moves itself on every read, read 8 bytes at a time in a loop. */
    tdev_init(&w->mover, "mover", &ops_default, 0x100);
    w->mover.hook = mover_hook;
    w->mover.hook_opaque = w;
    memory_region_add_subregion(&w->f.root, 0x10000, &w->mover.mr);
    uint64_t v = 0;
    CHECK_EQ(address_space_ld(&w->f.as, 0x10000, 8, &v), MEMTX_OK);
    /* Decoded once: both halves went to the device even though it moved after the first. */
    CHECK_EQ(v, pattern(0, 8));
    CHECK_EQ(w->mover.nr_calls, 2);
    CHECK_EQ(w->mover.mr.addr, 0x12000);
    /* The buffer path re-decodes after each callback: the device is gone after one access. */
    w->mover.nr_calls = 0;
    uint8_t rbuf[16];
    CHECK_EQ(address_space_read(&w->f.as, 0x12000, rbuf, 16), MEMTX_DECODE_ERROR);
    CHECK_EQ(w->mover.nr_calls, 2); /* one 8-byte access = 2 impl calls */
    CHECK_EQ(ldq_le_p(rbuf), pattern(0, 8));
    CHECK_EQ(ldq_le_p(rbuf + 8), ~0ULL);
    CHECK_EQ(w->nr_fillers, 4);
    CHECK(mr_at(&w->f.as, 0x100400) == &w->filler[3]);
    CHECK(view_is_sane(&w->f.as));

    fx_fini(&w->f);
    memory_region_destroy(&w->shadow_win);
    memory_region_destroy(&w->shadow);
    memory_region_destroy(&w->rom);
    memory_region_destroy(&w->ctl.mr);
    memory_region_destroy(&w->mover.mr);
    for (int i = 0; i < w->nr_fillers; i++) {
        memory_region_destroy(&w->filler[i]);
    }
    free(w);
}

/* ------------------------------------------------------------------------ */
/* Dirty tracking. */

static void test_dirty(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion vram, win, rom;
    memory_region_init_ram(&vram, "vram", 0x4000);
    memory_region_init_alias(&win, "vga-window", &vram, 0x1000, 0x2000);
    memory_region_init_rom(&rom, "rom", 0x2000);
    memory_region_add_subregion(&f.root, 0x100000, &vram);
    memory_region_add_subregion(&f.root, 0xA0000, &win);
    memory_region_add_subregion(&f.root, 0x200000, &rom);

    /* Not tracked: never dirty. */
    CHECK_EQ(address_space_st(&f.as, 0x100000, 1, 1), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    memory_region_set_dirty_tracking(&vram, true);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    CHECK_EQ(address_space_st(&f.as, 0x101004, 1, 1), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x1000));
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0x2000, 0x2000));
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x1000, 0x1000));
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0x1000, 0x1000));

    /* Reads do not dirty. */
    CHECK_EQ(ld(&f.as, 0x101004, 4, NULL), 1);
    uint8_t buf[0x20];
    CHECK_EQ(address_space_read(&f.as, 0x100000, buf, sizeof(buf)), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    /* A buffer write over a page boundary dirties both pages and nothing else. */
    memset(buf, 0x77, sizeof(buf));
    CHECK_EQ(address_space_write(&f.as, 0x102ff0, buf, sizeof(buf)), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x2000));
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x2fff, 1));
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x3000, 1));
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    /* Writes through an alias dirty the target; an 8-byte store over a page edge, both. */
    CHECK_EQ(address_space_st(&f.as, 0xA0ffc, 8, ~0ULL), MEMTX_OK);
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x1000, 0x1000));
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x2000, 0x1000));
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    /* Manual marking (the VGA planar path), clipped to the region. */
    memory_region_set_dirty(&vram, 0x3fff, UINT64_MAX);
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x3000, UINT64_MAX));
    memory_region_set_dirty(&vram, 0x10000, 1);
    memory_region_set_dirty(&vram, 0, 0);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0x5000, 0x1000));

    /* Dropped writes do not dirty; firmware loading does. */
    memory_region_set_readonly(&vram, true);
    CHECK_EQ(address_space_st(&f.as, 0x100000, 4, 0), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));
    CHECK_EQ(address_space_write_rom(&f.as, 0x100000, "x", 1), MEMTX_OK);
    CHECK(memory_region_test_and_clear_dirty(&vram, 0, 1));
    memory_region_set_readonly(&vram, false);

    memory_region_set_dirty_tracking(&rom, true);
    CHECK_EQ(address_space_st(&f.as, 0x201000, 4, 0), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&rom, 0, 0x2000));
    CHECK_EQ(address_space_write_rom(&f.as, 0x201000, "rom", 3), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&rom, 0, 0x1000));
    CHECK(memory_region_test_and_clear_dirty(&rom, 0x1000, 0x1000));

    memory_region_set_dirty_tracking(&vram, false);
    CHECK_EQ(address_space_st(&f.as, 0x100000, 1, 1), MEMTX_OK);
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    fx_fini(&f);
    memory_region_destroy(&win);
    memory_region_destroy(&vram);
    memory_region_destroy(&rom);
}

/* ------------------------------------------------------------------------ */
/* The top of the address space, and other hostile arithmetic. */

/* A listener standing in for KVM: it "saw" a write to page 1 of whatever it is asked about. */
typedef struct SyncListener {
    MemoryListener l;
    int calls;
    AddressSpace *last_as;
} SyncListener;

static void sync_log_sync(MemoryListener *l, AddressSpace *as, MemoryRegion *mr)
{
    SyncListener *sl = container_of(l, SyncListener, l);
    sl->calls++;
    sl->last_as = as;
    memory_region_set_dirty(mr, 0x1000, 1);
}

static void test_dirty_sync_listeners(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion pci_root, bar, vram, other, win;
    AddressSpace unrelated;
    memory_region_init_container(&pci_root, "unrelated", 0x10000);
    address_space_init(&unrelated, &pci_root, "unrelated");
    /* VRAM inside a container (a BAR), and an alias window of it: all in one space. */
    memory_region_init_container(&bar, "bar", 0x4000);
    memory_region_init_ram(&vram, "vram", 0x4000);
    memory_region_init_ram(&other, "other", 0x1000);
    memory_region_init_alias(&win, "window", &vram, 0, 0x2000);
    memory_region_add_subregion(&bar, 0, &vram);
    memory_region_add_subregion(&f.root, 0x100000, &bar);
    memory_region_add_subregion(&f.root, 0xA0000, &win);
    memory_region_add_subregion(&pci_root, 0, &other);
    SyncListener sl = {.l.log_sync = sync_log_sync};
    SyncListener sl_other = {.l.log_sync = sync_log_sync};
    address_space_add_listener(&f.as, &sl.l);
    address_space_add_listener(&unrelated, &sl_other.l);

    /* Untracked: nothing to fold in, nobody asked. */
    memory_region_sync_dirty_bitmap(&vram);
    CHECK_EQ(sl.calls, 0);

    memory_region_set_dirty_tracking(&vram, true);
    memory_region_sync_dirty_bitmap(&vram);
    CHECK_EQ(sl.calls, 1); /* once per space, though visible twice in it */
    CHECK(sl.last_as == &f.as);
    CHECK_EQ(sl_other.calls, 0); /* a space that cannot see vram is not asked */
    CHECK(memory_region_test_and_clear_dirty(&vram, 0x1000, 0x1000));
    CHECK(!memory_region_test_and_clear_dirty(&vram, 0, 0x4000));

    address_space_remove_listener(&f.as, &sl.l);
    address_space_remove_listener(&unrelated, &sl_other.l);
    address_space_destroy(&unrelated);
    memory_region_destroy(&win);
    memory_region_destroy(&vram);
    memory_region_destroy(&bar);
    memory_region_destroy(&other);
    memory_region_destroy(&pci_root);
    fx_fini(&f);
}

static void test_boundary_2_64(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion top, low, over, far_alias;
    const uint64_t top_base = 0xFFFFFFFFFFFFF000ULL;
    MemTxResult r;
    memory_region_init_ram(&top, "top", 0x1000);
    memory_region_init_ram(&low, "low", 0x1000);
    memset(low.ram, 0x33, 0x1000);
    memory_region_add_subregion(&f.root, top_base, &top);
    memory_region_add_subregion(&f.root, 0, &low);

    CHECK(mr_at(&f.as, UINT64_MAX) == &top);
    CHECK_EQ(off_at(&f.as, UINT64_MAX), 0xfff);
    CHECK_EQ(address_space_st(&f.as, UINT64_MAX - 7, 8, 0x0807060504030201ULL), MEMTX_OK);
    CHECK_EQ(ld(&f.as, UINT64_MAX - 7, 8, &r), 0x0807060504030201ULL);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(ld(&f.as, UINT64_MAX, 1, &r), 0x08);

    /* Accesses running off the top never wrap to address 0. */
    CHECK_EQ(ld(&f.as, UINT64_MAX - 3, 8, &r), 0xffffffff08070605ULL);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK_EQ(address_space_st(&f.as, UINT64_MAX - 1, 8, 0xa1a2a3a4a5a6a7a8ULL),
             MEMTX_DECODE_ERROR);
    CHECK_EQ(top.ram[0xffe], 0xa8);
    CHECK_EQ(top.ram[0xfff], 0xa7);
    CHECK_EQ(ldq_le_p(low.ram), 0x3333333333333333ULL);
    uint8_t buf[32];
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(address_space_read(&f.as, UINT64_MAX - 15, buf, sizeof(buf)), MEMTX_DECODE_ERROR);
    CHECK_EQ(buf[15], 0xa7);
    CHECK_EQ(buf[16], 0xff);
    CHECK_EQ(buf[31], 0xff);
    memset(buf, 0x99, sizeof(buf));
    CHECK_EQ(address_space_write(&f.as, UINT64_MAX, buf, sizeof(buf)), MEMTX_DECODE_ERROR);
    CHECK_EQ(top.ram[0xfff], 0x99);
    CHECK_EQ(ldq_le_p(low.ram), 0x3333333333333333ULL);
    CHECK_EQ(address_space_write_rom(&f.as, UINT64_MAX, buf, 2), MEMTX_DECODE_ERROR);
    CHECK_EQ(ldq_le_p(low.ram), 0x3333333333333333ULL);

    /* A region placed across the top is clipped there, not wrapped. */
    memory_region_del_subregion(&f.root, &top);
    memory_region_init_ram(&over, "over", 0x2000);
    memory_region_add_subregion(&f.root, top_base, &over);
    CHECK(mr_at(&f.as, UINT64_MAX) == &over);
    CHECK(mr_at(&f.as, 0) == &low);
    CHECK(mr_at(&f.as, 0x1000) == NULL);
    CHECK(view_is_sane(&f.as));

    /* An alias whose offset + size overflows maps only what exists. */
    memory_region_init_alias(&far_alias, "far", &low, UINT64_MAX - 0x10, 0x1000);
    memory_region_add_subregion(&f.root, 0x10000, &far_alias);
    CHECK(mr_at(&f.as, 0x10000) == NULL);
    memory_region_set_alias_offset(&far_alias, 0xff0);
    CHECK(mr_at(&f.as, 0x1000f) == &low);
    CHECK_EQ(off_at(&f.as, 0x1000f), 0xfff);
    CHECK(mr_at(&f.as, 0x10010) == NULL);
    memory_region_set_address(&far_alias, UINT64_MAX);
    CHECK(mr_at(&f.as, UINT64_MAX) == &low);
    CHECK_EQ(off_at(&f.as, UINT64_MAX), 0xff0);
    CHECK(view_is_sane(&f.as));

    /* A device covering all 2^64 addresses. */
    TestDev all;
    AddressSpace all_as;
    tdev_init(&all, "everything", &ops_default, UINT64_MAX);
    address_space_init(&all_as, &all.mr, "all");
    CHECK(view_is_sane(&all_as));
    CHECK(address_space_lookup(&all_as, 0) != NULL);
    CHECK(mr_at(&all_as, UINT64_MAX) == &all.mr);
    CHECK_EQ(off_at(&all_as, UINT64_MAX), UINT64_MAX);
    CHECK_EQ(off_at(&all_as, 1ULL << 63), 1ULL << 63);
    CHECK_EQ(ld(&all_as, UINT64_MAX, 1, &r), pattern(0xff, 1));
    CHECK_EQ(r, MEMTX_OK);
    CHECK_CALL(&all, 0, 0, UINT64_MAX, 1, pattern(0xff, 1));
    /* Straddling the internal split point is one region: same bytes either way. */
    CHECK_EQ(ld(&all_as, (1ULL << 63) - 2, 4, &r), pattern(0xfe, 4));
    CHECK_EQ(r, MEMTX_OK);
    all.nr_calls = 0;
    CHECK_EQ(ld(&all_as, UINT64_MAX - 1, 4, &r), 0xffff0000 | pattern(0xfe, 2));
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    address_space_destroy(&all_as);
    memory_region_destroy(&all.mr);

    /* PIO: a 64 KiB space; an access past 0xffff is unassigned beyond the end. */
    MemoryRegion io_root, zero;
    AddressSpace io_as;
    TestDev port;
    memory_region_init_container(&io_root, "io", 0x10000);
    address_space_init(&io_as, &io_root, "I/O");
    tdev_init(&port, "last-port", &ops_default, 4);
    memory_region_add_subregion(&io_root, 0xfffc, &port.mr);
    CHECK_EQ(ld(&io_as, 0xffff, 2, &r), 0xff00 | pattern(3, 1));
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK_CALL(&port, 0, 0, 3, 1, pattern(3, 1));
    CHECK_EQ(port.nr_calls, 1);
    CHECK_EQ(ld(&io_as, 0x10000, 4, &r), 0xffffffff);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    /* Zero-sized regions are invisible and harmless. */
    memory_region_init_ram(&zero, "zero", 0);
    memory_region_add_subregion(&io_root, 0x100, &zero);
    CHECK(mr_at(&io_as, 0x100) == NULL);
    CHECK(memory_region_get_ram_ptr(&zero) == NULL);
    address_space_destroy(&io_as);
    memory_region_destroy(&io_root);
    memory_region_destroy(&port.mr);
    memory_region_destroy(&zero);

    fx_fini(&f);
    memory_region_destroy(&far_alias);
    memory_region_destroy(&over);
    memory_region_destroy(&top);
    memory_region_destroy(&low);
}

/* ------------------------------------------------------------------------ */
/* Destruction keeps everything consistent. */

static void test_destroy(void)
{
    Fixture f;
    fx_init(&f);
    MemoryRegion ram, alias, cont, child;
    CountListener cl = { .l.map_changed = count_map_changed, .probe = 0x8000 };
    memory_region_init_ram(&ram, "ram", 0x1000);
    memory_region_init_alias(&alias, "alias", &ram, 0, 0x1000);
    memory_region_init_container(&cont, "cont", 0x10000);
    memory_region_init_ram(&child, "child", 0x1000);
    memory_region_add_subregion(&f.root, 0, &ram);
    memory_region_add_subregion(&f.root, 0x8000, &alias);
    memory_region_add_subregion(&cont, 0, &child);
    memory_region_add_subregion(&f.root, 0x20000, &cont);
    address_space_add_listener(&f.as, &cl.l);
    CHECK(cl.seen_mr == &ram);

    /* The target of an alias goes away: the alias shows nothing, the map is rebuilt. */
    memory_region_destroy(&ram);
    CHECK(mr_at(&f.as, 0) == NULL);
    CHECK(mr_at(&f.as, 0x8000) == NULL);
    CHECK(cl.seen_mr == NULL);
    CHECK(alias.alias == NULL);
    MemTxResult r;
    CHECK_EQ(ld(&f.as, 0x8000, 4, &r), 0xffffffff);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);

    /* A container with children goes away: they are detached, not freed. */
    memory_region_destroy(&cont);
    CHECK(child.parent == NULL);
    CHECK(mr_at(&f.as, 0x20000) == NULL);

    /* The root of a space goes away: the space is empty but usable. */
    address_space_remove_listener(&f.as, &cl.l);
    memory_region_destroy(&f.root);
    CHECK(f.as.root == NULL);
    CHECK_EQ(f.as.view->nr, 0);
    CHECK_EQ(ld(&f.as, 0x8000, 4, &r), 0xffffffff);
    address_space_destroy(&f.as);
    memory_region_destroy(&alias);
    memory_region_destroy(&child);
}

/* ------------------------------------------------------------------------ */
/* Random trees checked against a point-by-point reference resolver. */

#define RW_N 24
#define RW_SPACE 0x1000

typedef struct RandWorld {
    MemoryRegion r[RW_N];
    int seq[RW_N];
    int next_seq;
    uint64_t rng;
    /* Children of each region from the highest precedence down, rebuilt per comparison. */
    int order[RW_N][RW_N];
    int nr_order[RW_N];
} RandWorld;

static uint64_t rw_rand(RandWorld *w)
{
    /* xorshift64*: deterministic, so a failure reproduces. */
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * 0x2545F4914F6CDD1DULL;
}

static int rw_index(RandWorld *w, const MemoryRegion *mr)
{
    return (int)(mr - w->r);
}

/*
 * Which leaf and offset does offset 'off' of mr show?  Children are tried
 * from the highest precedence down; a child whose tree has nothing there
 * lets lower ones show through.
 */
static bool ref_resolve(RandWorld *w, MemoryRegion *mr, uint64_t off, int depth,
                        MemoryRegion **leaf, uint64_t *leaf_off)
{
    if (!mr || !mr->enabled || mr->size == 0 || off > mr->size - 1 || depth > 40) {
        return false;
    }
    int me = rw_index(w, mr);
    for (int k = 0; k < w->nr_order[me]; k++) {
        MemoryRegion *c = &w->r[w->order[me][k]];
        if (off >= c->addr && ref_resolve(w, c, off - c->addr, depth + 1, leaf, leaf_off)) {
            return true;
        }
    }
    switch (mr->kind) {
    case MR_RAM:
    case MR_ROM:
    case MR_IO:
        *leaf = mr;
        *leaf_off = off;
        return true;
    case MR_ALIAS:
        if (off > UINT64_MAX - mr->alias_offset) {
            return false;
        }
        return ref_resolve(w, mr->alias, off + mr->alias_offset, depth + 1, leaf, leaf_off);
    default:
        return false;
    }
}

static void rw_add(RandWorld *w, int parent, int child)
{
    uint64_t addr = rw_rand(w) % (w->r[parent].size + 0x40);
    int prio = (int)(rw_rand(w) % 3) - 1;
    memory_region_add_subregion_overlap(&w->r[parent], addr, &w->r[child], prio);
    w->seq[child] = ++w->next_seq;
}

/* Order children by selection: highest priority first, then the most recently added. */
static void rw_order_children(RandWorld *w)
{
    for (int p = 0; p < RW_N; p++) {
        bool taken[RW_N] = { false };
        w->nr_order[p] = 0;
        for (;;) {
            int best = -1;
            for (int i = 0; i < RW_N; i++) {
                MemoryRegion *c = &w->r[i];
                if (c->parent != &w->r[p] || taken[i]) {
                    continue;
                }
                if (best < 0 || c->priority > w->r[best].priority ||
                    (c->priority == w->r[best].priority && w->seq[i] > w->seq[best])) {
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            taken[best] = true;
            w->order[p][w->nr_order[p]++] = best;
        }
    }
}

static bool rw_compare(RandWorld *w, AddressSpace *as)
{
    if (!view_is_sane(as)) {
        return false;
    }
    rw_order_children(w);
    for (uint64_t a = 0; a < RW_SPACE + 0x80; a++) {
        MemoryRegion *leaf = NULL;
        uint64_t leaf_off = 0;
        bool found = ref_resolve(w, &w->r[0], a, 0, &leaf, &leaf_off);
        const FlatRange *fr = address_space_lookup(as, a);
        if (found != (fr != NULL)) {
            return false;
        }
        if (fr && (fr->mr != leaf || fr->offset_in_region + (a - fr->start) != leaf_off)) {
            return false;
        }
    }
    return true;
}

static void test_random_vs_reference(void)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        RandWorld *w = XNEW(RandWorld);
        AddressSpace as;
        w->rng = seed * 0x9E3779B97F4A7C15ULL;
        /* 0 root; 1,2 containers in the tree; 3 a container reached only by aliases. */
        memory_region_init_container(&w->r[0], "root", RW_SPACE);
        memory_region_init_container(&w->r[1], "c1", 0x100 + rw_rand(w) % 0x700);
        memory_region_init_container(&w->r[2], "c2", 0x100 + rw_rand(w) % 0x700);
        memory_region_init_container(&w->r[3], "target", 0x400);
        /* 4..9 leaves under the target, 10..19 leaves in the tree, 20..23 aliases. */
        for (int i = 4; i < 20; i++) {
            char name[16];
            snprintf(name, sizeof(name), "leaf%d", i);
            if (i & 1) {
                memory_region_init_ram(&w->r[i], name, 0x10 + rw_rand(w) % 0x400);
            } else {
                memory_region_init_io(&w->r[i], name, &ops_default, NULL,
                                      0x10 + rw_rand(w) % 0x400);
            }
        }
        memory_region_init_alias(&w->r[20], "alias20", &w->r[3], rw_rand(w) % 0x200,
                                 0x20 + rw_rand(w) % 0x400);
        memory_region_init_alias(&w->r[21], "alias21", &w->r[3], rw_rand(w) % 0x200,
                                 0x20 + rw_rand(w) % 0x400);
        memory_region_init_alias(&w->r[22], "alias22", &w->r[4 + rw_rand(w) % 6],
                                 rw_rand(w) % 0x100, 0x20 + rw_rand(w) % 0x200);
        /* An alias of an alias. */
        memory_region_init_alias(&w->r[23], "alias23", &w->r[20], rw_rand(w) % 0x100,
                                 0x20 + rw_rand(w) % 0x200);
        address_space_init(&as, &w->r[0], "random");

        rw_add(w, 0, 1);
        rw_add(w, 0, 2);
        for (int i = 4; i < 10; i++) {
            rw_add(w, 3, i);
        }
        for (int i = 10; i < RW_N; i++) {
            rw_add(w, (int)(rw_rand(w) % 3), i);
        }
        CHECK(rw_compare(w, &as));

        for (int step = 0; step < 100; step++) {
            int i = 1 + (int)(rw_rand(w) % (RW_N - 1));
            MemoryRegion *mr = &w->r[i];
            switch (rw_rand(w) % 6) {
            case 0:
                memory_region_set_enabled(mr, !mr->enabled);
                break;
            case 4:
                memory_region_set_enabled(mr, true);
                break;
            case 1:
                if (mr->parent) {
                    memory_region_set_address(mr, rw_rand(w) % (mr->parent->size + 0x40));
                }
                break;
            case 2:
                if (mr->kind == MR_ALIAS) {
                    memory_region_set_alias_offset(mr, rw_rand(w) % 0x300);
                } else if (mr->parent && i != 3) {
                    /* Re-add with a fresh priority and sequence. */
                    int parent = rw_index(w, mr->parent);
                    memory_region_del_subregion(mr->parent, mr);
                    rw_add(w, parent, i);
                }
                break;
            default:
                if (i >= 4 && i < 20) {
                    memory_region_set_readonly(mr, !mr->readonly);
                }
                break;
            }
            if (!rw_compare(w, &as)) {
                char msg[64];
                snprintf(msg, sizeof(msg), "seed %" PRIu64 " step %d", seed, step);
                test_fail_at(__FILE__, __LINE__, msg);
                break;
            }
        }
        address_space_destroy(&as);
        for (int i = RW_N - 1; i >= 0; i--) {
            memory_region_destroy(&w->r[i]);
        }
        free(w);
    }
}

int main(void)
{
    snprintf(log_path, sizeof(log_path), "/tmp/osprey-test-memory-%d.log", (int)getpid());

    test_run("priority", test_priority);
    test_run("subregion_covers_parent", test_subregion_covers_parent);
    test_run("alias_pci_hole", test_alias_pci_hole);
    test_run("alias_pam_and_offset", test_alias_pam_and_offset);
    test_run("access_split_widen", test_access_split_widen);
    test_run("invalid_sizes", test_invalid_sizes);
    test_run("unassigned", test_unassigned);
    test_run("rom", test_rom);
    test_run("readonly_ram", test_readonly_ram);
    test_run("cross_region_buffer", test_cross_region_buffer);
    test_run("listeners", test_listeners);
    test_run("map_change_in_callback", test_map_change_in_callback);
    test_run("dirty", test_dirty);
    test_run("dirty_sync_listeners", test_dirty_sync_listeners);
    test_run("boundary_2_64", test_boundary_2_64);
    test_run("destroy", test_destroy);
    test_run("random_vs_reference", test_random_vs_reference);

    unlink(log_path);
    return test_summary();
}
