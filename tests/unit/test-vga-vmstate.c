/*
 * The VGA's state round trip: a pc machine (qtest configuration, no CPU)
 * draws a VBE 8 bpp picture with its own DAC palette, virtual width and
 * y offset; its vmstate and VRAM go into a second machine, whose screendump
 * must then be identical byte for byte.
 *
 * Osprey has no savevm/migration yet: this is the device's half of one.
 * Its state (vmstate_save) holds the registers, DAC, VBE, PCI config and the
 * VRAM itself.
 */
#include <unistd.h>

#include "core/machine.h"
#include "core/options.h"
#include "core/vmstate.h"
#include "ui/console.h"
#include "tests/unit/test.h"

#define VGA_DEVFN (2 << 3)
#define LFB_ADDR 0xe0000000u

enum { VBE_XRES = 1, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH, VBE_VIRT_HEIGHT,
       VBE_X_OFFSET, VBE_Y_OFFSET };

static Machine *vga_machine(MachineConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ram_size = 16 << 20;
    cfg->smp_cpus = 1;
    cfg->smp_max_cpus = 1;
    cfg->nodefaults = true;
    cfg->vga = (char *)"std";
    cfg->accel = (char *)"qtest";
    cfg->qtest = (char *)"null";
    Error *err = NULL;
    Machine *m = machine_create(cfg, &err);
    if (!m) {
        error_report_err(err);
        exit(1);
    }
    return m;
}

static DeviceState *find_vga(Machine *m)
{
    for (DeviceState *d = m->devices; d; d = d->next) {
        if (!strcmp(d->info->name, "VGA")) {
            return d;
        }
    }
    fprintf(stderr, "no VGA in the machine\n");
    exit(1);
}

static void out(Machine *m, uint16_t port, unsigned size, uint32_t val)
{
    address_space_st(&m->as_io, port, size, val);
}

static void pci_write(Machine *m, uint8_t reg, unsigned size, uint32_t val)
{
    out(m, 0xcf8, 4, 0x80000000u | (VGA_DEVFN << 8) | (reg & 0xfc));
    out(m, 0xcfc + (reg & 3), size, val);
}

static void vbe(Machine *m, uint16_t index, uint16_t val)
{
    out(m, 0x1ce, 2, index);
    out(m, 0x1cf, 2, val);
}

static void map_lfb(Machine *m)
{
    pci_write(m, 0x10, 4, LFB_ADDR);
    pci_write(m, 0x04, 2, 0x0003); /* I/O and memory decode */
}

/* The whole screendump file, malloc'd; *len its size. */
static uint8_t *screendump(Machine *m, const char *path, size_t *len)
{
    Error *err = NULL;
    *len = 0;
    if (!display_screendump(display_get(m), path, "ppm", &err)) {
        error_report_err(err);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    uint8_t *data = xmalloc(4 << 20);
    *len = fread(data, 1, 4 << 20, f);
    fclose(f);
    return data;
}

static bool same_file(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return a && b && alen == blen && alen > 0 && !memcmp(a, b, alen);
}

static void draw_picture(Machine *m)
{
    map_lfb(m);
    vbe(m, VBE_ENABLE, 0);
    vbe(m, VBE_XRES, 64);
    vbe(m, VBE_YRES, 48);
    vbe(m, VBE_BPP, 8);
    vbe(m, VBE_ENABLE, 0x41); /* enabled, linear framebuffer */
    vbe(m, VBE_VIRT_WIDTH, 80);
    vbe(m, VBE_Y_OFFSET, 4);
    /* A palette of our own: the picture is wrong without the DAC state. */
    out(m, 0x3c8, 1, 0);
    for (int i = 0; i < 256; i++) {
        out(m, 0x3c9, 1, (i * 7) & 0x3f);
        out(m, 0x3c9, 1, (i * 3 + 20) & 0x3f);
        out(m, 0x3c9, 1, (63 - i) & 0x3f);
    }
    static uint8_t pixels[80 * 60];
    for (int y = 0; y < 60; y++) {
        for (int x = 0; x < 80; x++) {
            pixels[y * 80 + x] = (uint8_t)(x * 3 + y * 5 + (x ^ y));
        }
    }
    address_space_write(&m->as_memory, LFB_ADDR, pixels, sizeof(pixels));
}

static void test_roundtrip(void)
{
    MachineConfig cfg_a, cfg_b;
    Machine *a = vga_machine(&cfg_a);
    Machine *b = vga_machine(&cfg_b);
    DeviceState *vga_a = find_vga(a), *vga_b = find_vga(b);
    char path_a[64], path_b[64];
    snprintf(path_a, sizeof(path_a), "/tmp/osprey-vga-vmstate-%d-a.ppm", (int)getpid());
    snprintf(path_b, sizeof(path_b), "/tmp/osprey-vga-vmstate-%d-b.ppm", (int)getpid());

    draw_picture(a);
    size_t len_a, len_b;
    uint8_t *shot_a = screendump(a, path_a, &len_a);
    CHECK(shot_a != NULL);
    uint8_t *before = screendump(b, path_b, &len_b);
    CHECK(!same_file(shot_a, len_a, before, len_b)); /* the test can tell them apart */
    free(before);

    VMBuffer state = {0};
    vmstate_save(vga_a->info->vmstate, vga_a, &state);
    CHECK(state.len > 16 << 20); /* the 16 MiB of VRAM are in it */

    /* Truncated in the registers or in VRAM: refused, and nothing changes (VRAM neither). */
    static const uint8_t canary[4] = {0xde, 0xad, 0xbe, 0xef};
    map_lfb(b);
    address_space_write(&b->as_memory, LFB_ADDR, canary, sizeof(canary));
    size_t cuts[] = {state.len / 1000, state.len - 100};
    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        VMBuffer cut = {.data = state.data, .len = cuts[i], .cap = cuts[i]};
        Error *err = NULL;
        CHECK(!vmstate_load(vga_b->info->vmstate, vga_b, &cut, &err));
        CHECK(err != NULL);
        error_free(err);
        uint8_t back[4] = {0};
        address_space_read(&b->as_memory, LFB_ADDR, back, sizeof(back));
        CHECK(!memcmp(back, canary, sizeof(back)));
    }
    before = screendump(b, path_b, &len_b);
    CHECK(!same_file(shot_a, len_a, before, len_b));
    free(before);

    /* The restore; BAR 0 comes back with the PCI config. */
    Error *err = NULL;
    state.pos = 0;
    CHECK(vmstate_load(vga_b->info->vmstate, vga_b, &state, &err));
    if (err) {
        error_report_err(err);
    }
    uint8_t *shot_b = screendump(b, path_b, &len_b);
    CHECK(same_file(shot_a, len_a, shot_b, len_b));

    /* And the restored device keeps working: a register change shows. */
    vbe(b, VBE_Y_OFFSET, 0);
    uint8_t *moved = screendump(b, path_b, &len_b);
    CHECK(!same_file(shot_a, len_a, moved, len_b));
    free(moved);

    free(shot_a);
    free(shot_b);
    vmbuffer_free(&state);
    unlink(path_a);
    unlink(path_b);
    machine_free(a);
    machine_free(b);
}

int main(void)
{
    test_run("vga/vmstate-roundtrip-screendump", test_roundtrip);
    return test_summary();
}
