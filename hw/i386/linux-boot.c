/*
 * Linux bzImage boot without a BIOS, through the 32-bit boot protocol.
 *
 * Reference: the Linux kernel's Documentation/arch/x86/boot.rst (the real-
 * mode kernel header, "Loading the rest of the kernel", "32-bit boot
 * protocol") and Documentation/arch/x86/zero-page.rst (boot_params offsets).
 *
 * The real-mode setup code does not run: we build the zero page it would
 * have built (header, memory sizes, e820 map, command line and initrd
 * pointers, a text-mode screen_info) and enter the protected-mode kernel
 * at code32_start with ESI pointing at the zero page.  Protocol 2.06 is the
 * minimum (cmdline_size); the kernel must be LOADED_HIGH (at 1 MiB).
 *
 * Low memory while booting: boot GDT at 0x500, zero page at 0x7000, command
 * line at 0x20000; the protected-mode kernel at 0x100000; the initrd as high
 * as initrd_addr_max and the end of low RAM allow.  With a BIOS (fw_cfg
 * path) the setup code goes to 0x10000 and runs, as QEMU's linuxboot ROM
 * does it.
 */
#include "hw/i386/direct-boot.h"
#include "hw/nvram/fw_cfg.h"

/* boot_params / setup header offsets (zero-page.rst, boot.rst). */
#define BP_EXT_MEM_K 0x002        /* screen_info.ext_mem_k, u16 */
#define BP_ORIG_VIDEO_MODE 0x006
#define BP_ORIG_VIDEO_COLS 0x007
#define BP_ORIG_VIDEO_LINES 0x00e
#define BP_ORIG_VIDEO_ISVGA 0x00f
#define BP_ORIG_VIDEO_POINTS 0x010
#define BP_ACPI_RSDP_ADDR 0x070   /* u64, protocol 2.14 */
#define BP_ALT_MEM_K 0x1e0        /* u32 */
#define BP_E820_ENTRIES 0x1e8     /* u8 */
#define BP_SETUP_SECTS 0x1f1
#define BP_SYSSIZE 0x1f4          /* u32, in 16-byte units */
#define BP_JUMP 0x200             /* the 2-byte jump; its 2nd byte bounds the header */
#define BP_HEADER 0x202           /* "HdrS" */
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_CODE32_START 0x214
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_CMDLINE_SIZE 0x238
#define BP_E820_TABLE 0x2d0

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80

#define LINUX_ZERO_PAGE 0x7000
#define LINUX_ZERO_PAGE_SIZE 0x1000
#define LINUX_REAL_MODE_ADDR 0x10000 /* setup code, BIOS path only */
#define LINUX_CMDLINE_MAX 0x10000    /* room up to 0x30000 */
#define LINUX_KERNEL_ADDR 0x100000
#define LINUX_HEAP_END 0xfe00        /* heap/stack end, relative to the setup segment */
#define LINUX_MIN_VERSION 0x206

typedef struct LinuxImage {
    unsigned version;
    size_t setup_size;  /* (setup_sects + 1) * 512 */
    size_t header_end;  /* file offset just past the setup header */
    const uint8_t *pm_kernel;
    size_t pm_size;
    uint32_t code32_start;
    uint64_t initrd_addr_max;
    uint32_t cmdline_size;
} LinuxImage;

bool linux_boot_probe(const uint8_t *kernel, size_t size)
{
    return size >= BP_HEADER + 4 && !memcmp(kernel + BP_HEADER, "HdrS", 4);
}

static bool linux_parse(const DirectBootConfig *cfg, LinuxImage *img, Error **errp)
{
    const uint8_t *k = cfg->kernel;
    size_t size = cfg->kernel_size;
    if (!linux_boot_probe(k, size)) {
        error_setg(errp, "-kernel: '%s' is not a Linux bzImage", cfg->kernel_path);
        return false;
    }
    img->version = lduw_le_p(k + BP_VERSION);
    if (img->version < LINUX_MIN_VERSION) {
        error_setg(errp, "-kernel: '%s' uses boot protocol %u.%02u; at least 2.06 is needed",
                   cfg->kernel_path, img->version >> 8, img->version & 0xff);
        return false;
    }
    if (!(k[BP_LOADFLAGS] & LOADED_HIGH)) {
        error_setg(errp, "-kernel: '%s' is not a LOADED_HIGH bzImage (a zImage loaded "
                   "below 1 MiB is not supported)", cfg->kernel_path);
        return false;
    }
    unsigned setup_sects = k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : 4;
    img->setup_size = (size_t)(setup_sects + 1) * 512;
    uint64_t syssize = (uint64_t)ldl_le_p(k + BP_SYSSIZE) * 16;
    if (size < img->setup_size || size - img->setup_size < syssize) {
        error_setg(errp, "-kernel: '%s' is truncated: %zu bytes, but its header says "
                   "%zu bytes of setup and %llu of kernel", cfg->kernel_path, size,
                   img->setup_size, (unsigned long long)syssize);
        return false;
    }
    img->header_end = MIN((size_t)BP_JUMP + 2 + k[BP_JUMP + 1], img->setup_size);
    img->pm_kernel = k + img->setup_size;
    img->pm_size = size - img->setup_size;
    img->code32_start = ldl_le_p(k + BP_CODE32_START);
    img->initrd_addr_max = ldl_le_p(k + BP_INITRD_ADDR_MAX);
    img->cmdline_size = ldl_le_p(k + BP_CMDLINE_SIZE);
    if (LINUX_KERNEL_ADDR + (uint64_t)img->pm_size > cfg->low_ram_end) {
        error_setg(errp, "-kernel: '%s' (%zu bytes) does not fit in RAM at 1 MiB",
                   cfg->kernel_path, img->pm_size);
        return false;
    }
    const char *cmdline = cfg->append ? cfg->append : "";
    size_t cmdlen = strlen(cmdline);
    if (cmdlen > img->cmdline_size || cmdlen >= LINUX_CMDLINE_MAX) {
        error_setg(errp, "-append: the command line is %zu bytes; the kernel takes at most %u",
                   cmdlen, MIN(img->cmdline_size, LINUX_CMDLINE_MAX - 1));
        return false;
    }
    return true;
}

/* Read the initrd and choose its page-aligned address as high as allowed. */
static bool linux_place_initrd(const DirectBootConfig *cfg, const LinuxImage *img,
                               uint8_t **data, size_t *size, uint64_t *addr, Error **errp)
{
    *data = NULL;
    *size = 0;
    *addr = 0;
    if (!cfg->initrd) {
        return true;
    }
    if (!direct_boot_read_file("-initrd", cfg->initrd, data, size, errp)) {
        return false;
    }
    uint64_t top = MIN(img->initrd_addr_max + 1, cfg->low_ram_end);
    uint64_t kernel_end = LINUX_KERNEL_ADDR + img->pm_size;
    if (*size > top || ((top - *size) & ~0xfffULL) < kernel_end) {
        error_setg(errp, "-initrd: '%s' (%zu bytes) does not fit in RAM between the kernel "
                   "(ending at 0x%llx) and 0x%llx", cfg->initrd, *size,
                   (unsigned long long)kernel_end, (unsigned long long)top);
        free(*data);
        *data = NULL;
        return false;
    }
    *addr = (top - *size) & ~0xfffULL;
    return true;
}

/* The loader's fields of the setup header, in a buffer laid out like the file. */
static void linux_patch_header(uint8_t *hdr, uint32_t cmdline_addr, uint64_t initrd_addr,
                               size_t initrd_size)
{
    hdr[BP_TYPE_OF_LOADER] = 0xff;
    hdr[BP_LOADFLAGS] |= CAN_USE_HEAP;
    stw_le_p(hdr + BP_HEAP_END_PTR, LINUX_HEAP_END);
    stl_le_p(hdr + BP_CMD_LINE_PTR, cmdline_addr);
    stl_le_p(hdr + BP_RAMDISK_IMAGE, (uint32_t)initrd_addr);
    stl_le_p(hdr + BP_RAMDISK_SIZE, (uint32_t)initrd_size);
}

bool linux_boot_load(const DirectBootConfig *cfg, DirectBoot *out, Error **errp)
{
    LinuxImage img;
    uint8_t *initrd;
    size_t initrd_size;
    uint64_t initrd_addr;
    if (!linux_parse(cfg, &img, errp) ||
        !linux_place_initrd(cfg, &img, &initrd, &initrd_size, &initrd_addr, errp)) {
        return false;
    }

    uint8_t *zp = xzalloc(LINUX_ZERO_PAGE_SIZE);
    memcpy(zp + BP_SETUP_SECTS, cfg->kernel + BP_SETUP_SECTS, img.header_end - BP_SETUP_SECTS);
    linux_patch_header(zp, LINUX_CMDLINE_ADDR, initrd_addr, initrd_size);

    /* Memory sizes in KiB above 1 MiB; the old 16-bit field stops at 64 MiB. */
    uint64_t ext_k = (cfg->low_ram_end - 0x100000) / 1024;
    stw_le_p(zp + BP_EXT_MEM_K, (uint16_t)MIN(ext_k, 0xfc00));
    stl_le_p(zp + BP_ALT_MEM_K, (uint32_t)MIN(ext_k, UINT32_MAX));

    /* An 80x25 text console, not claimed to be VGA: the kernel keeps its hands off. */
    zp[BP_ORIG_VIDEO_MODE] = 3;
    zp[BP_ORIG_VIDEO_COLS] = 80;
    zp[BP_ORIG_VIDEO_LINES] = 25;
    zp[BP_ORIG_VIDEO_ISVGA] = 0;
    stw_le_p(zp + BP_ORIG_VIDEO_POINTS, 16);

    int nr = MIN(cfg->e820->nr, E820_MAX_ENTRIES);
    zp[BP_E820_ENTRIES] = (uint8_t)nr;
    E820Table clipped = *cfg->e820;
    clipped.nr = nr;
    e820_encode(&clipped, zp + BP_E820_TABLE);

    if (img.version >= 0x20e && cfg->acpi_rsdp_addr) {
        stq_le_p(zp + BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp_addr);
    }
    direct_boot_add(out, LINUX_ZERO_PAGE, zp, LINUX_ZERO_PAGE_SIZE);

    const char *cmdline = cfg->append ? cfg->append : "";
    direct_boot_add_copy(out, LINUX_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);
    direct_boot_add_copy(out, LINUX_KERNEL_ADDR, img.pm_kernel, img.pm_size);
    if (initrd) {
        direct_boot_add(out, initrd_addr, initrd, initrd_size);
    }
    out->eip = img.code32_start;
    out->esi = LINUX_ZERO_PAGE;
    out->eax = out->ebx = 0;
    return true;
}

bool linux_boot_fill_fw_cfg(const DirectBootConfig *cfg, FWCfgState *fw, Error **errp)
{
    LinuxImage img;
    uint8_t *initrd;
    size_t initrd_size;
    uint64_t initrd_addr;
    if (!linux_parse(cfg, &img, errp) ||
        !linux_place_initrd(cfg, &img, &initrd, &initrd_size, &initrd_addr, errp)) {
        return false;
    }
    uint8_t *setup = xmalloc(img.setup_size);
    memcpy(setup, cfg->kernel, img.setup_size);
    linux_patch_header(setup, LINUX_CMDLINE_ADDR, initrd_addr, initrd_size);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, LINUX_REAL_MODE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, (uint32_t)img.setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, setup, img.setup_size);
    free(setup);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, LINUX_KERNEL_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)img.pm_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, img.pm_kernel, img.pm_size);
    if (initrd) {
        fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, (uint32_t)initrd_addr);
        fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, (uint32_t)initrd_size);
        fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, initrd, initrd_size);
        free(initrd);
    }
    return true;
}
