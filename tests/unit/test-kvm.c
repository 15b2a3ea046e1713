/*
 * The KVM accelerator on a real "pc" machine with a tiny real-mode firmware:
 * KVM's dirty log folded into a region's dirty bitmap (accel_sync_dirty_bitmap),
 * a guest write to ROM dropped through a read-only memory slot, and the
 * accelerator-neutral state access (accel_cpu_state_get) after the run.
 * Skips where /dev/kvm does not open.
 */
#include <fcntl.h>
#include <unistd.h>

#include "accel/accel.h"
#include "core/machine.h"
#include "core/options.h"
#include "cpu/x86/cpu.h"
#include "tests/unit/test.h"

#define PASS_STATUS 33

/*
 * At F000:E000: write a byte to 0x10000 and 0x12000 (not 0x11000), write 0x55 into the
 * firmware's own ROM at F000:E100 and read it back: the filler 0xf4 means the write was
 * dropped, and the exit code says so (0x10: pass -> status 33, 0x11: fail -> 35).
 */
static const uint8_t firmware_code[] = {
    0xb8, 0x00, 0x10,             /* mov ax, 0x1000 */
    0x8e, 0xd8,                   /* mov ds, ax */
    0xc6, 0x06, 0x00, 0x00, 0x11, /* mov byte [0x0000], 0x11 */
    0xc6, 0x06, 0x00, 0x20, 0x22, /* mov byte [0x2000], 0x22 */
    0xb8, 0x00, 0xf0,             /* mov ax, 0xf000 */
    0x8e, 0xd8,                   /* mov ds, ax */
    0xc6, 0x06, 0x00, 0xe1, 0x55, /* mov byte [0xe100], 0x55 (ROM) */
    0xa0, 0x00, 0xe1,             /* mov al, [0xe100] */
    0x3c, 0xf4,                   /* cmp al, 0xf4 */
    0x75, 0x05,                   /* jne fail */
    0xb0, 0x10, 0xe6, 0xf4, 0xf4, /* mov al, 0x10; out 0xf4, al; hlt */
    0xb0, 0x11, 0xe6, 0xf4, 0xf4, /* fail: mov al, 0x11; out 0xf4, al; hlt */
};

static bool write_firmware(const char *path)
{
    static uint8_t image[65536];
    memset(image, 0xf4, sizeof(image));
    memcpy(image + 0xe000, firmware_code, sizeof(firmware_code));
    /* The reset vector: jmp f000:e000. */
    memcpy(image + 0xfff0, "\xea\x00\xe0\x00\xf0", 5);
    FILE *f = fopen(path, "wb");
    if (!f) {
        return false;
    }
    bool ok = fwrite(image, 1, sizeof(image), f) == sizeof(image);
    return fclose(f) == 0 && ok;
}

static char firmware_path[64];

static void test_dirty_log_and_rom(void)
{
    char *argv[] = {"osprey", "-accel", "kvm", "-nodefaults", "-display", "none",
                    "-bios", firmware_path, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                    NULL};
    bool exit_now = false;
    int status = 0;
    MachineConfig *cfg = options_parse(10, argv, &exit_now, &status);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    Error *err = NULL;
    Machine *m = machine_create(cfg, &err);
    CHECK(m != NULL);
    if (!m) {
        printf("  machine_create: %s\n", err ? err->msg : "?");
        error_free(err);
        machine_config_free(cfg);
        return;
    }
    /* On before the accelerator starts: the RAM slots are made with dirty logging. */
    memory_region_set_dirty_tracking(&m->ram, true);
    CHECK_EQ(machine_run(m), PASS_STATUS);
    CHECK(!strcmp(m->accel ? m->accel->name : "", "kvm"));

    /* What devices use: the memory API asks KVM's listener. */
    memory_region_sync_dirty_bitmap(&m->ram);
    for (uint64_t page = 0; page < 0x100; page++) {
        bool want = page == 0x10 || page == 0x12;
        bool got = memory_region_test_and_clear_dirty(&m->ram, page << 12, 4096);
        if (got != want) {
            printf("  page %#" PRIx64 ": dirty %d, want %d\n", page, got, want);
        }
        CHECK(got == want);
    }
    /* Harvested once: a second sync finds nothing new. */
    accel_sync_dirty_bitmap(m, &m->ram);
    CHECK(!memory_region_test_and_clear_dirty(&m->ram, 0, 0x100000));
    uint8_t bytes[2] = {0, 0};
    address_space_read(&m->as_memory, 0x10000, &bytes[0], 1);
    address_space_read(&m->as_memory, 0x12000, &bytes[1], 1);
    CHECK_EQ(bytes[0], 0x11);
    CHECK_EQ(bytes[1], 0x22);

    /* The vCPU's registers come back from the kernel: after OUT 0xf4, AL = 0x10. */
    accel_cpu_state_get(m, 0);
    CHECK_EQ(m->cpus[0]->regs[R_EAX] & 0xff, 0x10);
    CHECK_EQ(m->cpus[0]->segs[R_CS].selector, 0xf000);

    machine_free(m);
    machine_config_free(cfg);
}

int main(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        test_skip("kvm/dirty-log-and-rom", "/dev/kvm does not open here");
        return test_summary();
    }
    close(fd);
    snprintf(firmware_path, sizeof(firmware_path), "/tmp/osprey-test-kvm-%d.bin",
             (int)getpid());
    if (!write_firmware(firmware_path)) {
        printf("FAIL kvm/dirty-log-and-rom: cannot write %s\n", firmware_path);
        return 1;
    }
    test_run("kvm/dirty-log-and-rom", test_dirty_log_and_rom);
    unlink(firmware_path);
    return test_summary();
}
