/*
 * Multiboot v1 kernels without a BIOS (-kernel FILE -initrd "mod args,mod2").
 *
 * Reference: the Multiboot Specification version 0.6.96 (header layout and
 * flags in 3.1, the information structure in 3.3, the machine state at
 * entry in 3.2).
 *
 * Layout: the kernel's segments where it asks (ELF32 program headers, or
 * the a.out-kludge address fields when header flag 16 is set), then each
 * module on its own page boundary above the kernel (whether or not flag 0
 * asks for it), then one page-aligned information area: the info structure,
 * the module list, the memory map and the strings.  Everything must fit
 * below the end of low RAM.
 *
 * The command line is "KERNEL-PATH APPEND" and each module's string is its
 * -initrd entry ("path args"), as GRUB and QEMU pass them.  A comma in a
 * path or argument is written ",,".
 */
#include "hw/i386/direct-boot.h"

#include "core/log.h"

#define MULTIBOOT_HEADER_MAGIC 0x1badb002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MULTIBOOT_SEARCH 8192

/* Header flags. */
#define MB_PAGE_ALIGN (1u << 0)
#define MB_MEMORY_INFO (1u << 1)
#define MB_VIDEO_MODE (1u << 2)
#define MB_AOUT_KLUDGE (1u << 16)
#define MB_REQUIRED_UNKNOWN 0xfff8u /* bits 3-15: must be understood */

/* Info structure flags and offsets. */
#define MBI_MEMORY (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER_NAME (1u << 9)
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE_PTR 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME_PTR 64
#define MBI_SIZE 88
#define MB_MOD_SIZE 16
#define MB_MMAP_ENTRY_SIZE 24 /* including its own 4-byte size field */
#define MB_MAX_MODULES 64

#define PAGE_ALIGN(x) (((x) + 0xfffULL) & ~0xfffULL)

/* ELF32 fields used here. */
#define EHDR_SIZE 52
#define PT_LOAD 1
#define EM_386 3

static const char *const mb_loader_name = "osprey";

/* Offset of a valid-looking header in the first 8 KiB, or -1. */
static long multiboot_find(const uint8_t *k, size_t size)
{
    size_t limit = MIN(size, (size_t)MULTIBOOT_SEARCH);
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        if (ldl_le_p(k + off) == MULTIBOOT_HEADER_MAGIC) {
            return (long)off;
        }
    }
    return -1;
}

bool multiboot_probe(const uint8_t *kernel, size_t size)
{
    return multiboot_find(kernel, size) >= 0;
}

typedef struct MbLoad {
    uint64_t kernel_end;
    uint32_t entry;
} MbLoad;

static bool mb_check_range(const DirectBootConfig *cfg, uint64_t addr, uint64_t len,
                           Error **errp)
{
    if (addr < 0x1000 || addr + len < addr || addr + len > cfg->low_ram_end) {
        error_setg(errp, "-kernel: '%s' wants 0x%llx bytes at 0x%llx, outside the RAM "
                   "between 4 KiB and 0x%llx", cfg->kernel_path, (unsigned long long)len,
                   (unsigned long long)addr, (unsigned long long)cfg->low_ram_end);
        return false;
    }
    return true;
}

static bool mb_load_elf(const DirectBootConfig *cfg, DirectBoot *out, MbLoad *ld, Error **errp)
{
    const uint8_t *k = cfg->kernel;
    size_t size = cfg->kernel_size;
    if (size < EHDR_SIZE || k[4] != 1) {
        error_setg(errp, "-kernel: '%s' is not a 32-bit ELF file (Multiboot v1 loads ELF32 "
                   "only)", cfg->kernel_path);
        return false;
    }
    if (k[5] != 1 || lduw_le_p(k + 18) != EM_386) {
        error_setg(errp, "-kernel: '%s' is not a little-endian i386 ELF file", cfg->kernel_path);
        return false;
    }
    uint32_t entry = ldl_le_p(k + 24);
    uint32_t phoff = ldl_le_p(k + 28);
    unsigned phentsize = lduw_le_p(k + 42), phnum = lduw_le_p(k + 44);
    if (phentsize < 32 || phoff > size || (uint64_t)phnum * phentsize > size - phoff) {
        error_setg(errp, "-kernel: '%s' has a corrupt ELF program header table",
                   cfg->kernel_path);
        return false;
    }
    bool entry_mapped = false;
    int loaded = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = k + phoff + (size_t)i * phentsize;
        if (ldl_le_p(ph) != PT_LOAD) {
            continue;
        }
        uint32_t offset = ldl_le_p(ph + 4), vaddr = ldl_le_p(ph + 8);
        uint32_t paddr = ldl_le_p(ph + 12), filesz = ldl_le_p(ph + 16);
        uint32_t memsz = ldl_le_p(ph + 20);
        if (memsz == 0) {
            continue;
        }
        if (filesz > memsz || offset > size || filesz > size - offset) {
            error_setg(errp, "-kernel: '%s': ELF segment %u lies outside the file",
                       cfg->kernel_path, i);
            return false;
        }
        if (!mb_check_range(cfg, paddr, memsz, errp)) {
            return false;
        }
        direct_boot_add_copy(out, paddr, k + offset, filesz);
        if (memsz > filesz) {
            direct_boot_add(out, (uint64_t)paddr + filesz, NULL, memsz - filesz);
        }
        ld->kernel_end = MAX(ld->kernel_end, (uint64_t)paddr + memsz);
        /* A kernel linked high but loaded low: enter at the physical address. */
        if (!entry_mapped && entry >= vaddr && entry - vaddr < memsz) {
            ld->entry = paddr + (entry - vaddr);
            entry_mapped = true;
        }
        loaded++;
    }
    if (!loaded) {
        error_setg(errp, "-kernel: '%s' has no loadable ELF segment", cfg->kernel_path);
        return false;
    }
    if (!entry_mapped) {
        ld->entry = entry;
    }
    return true;
}

static bool mb_load_aout(const DirectBootConfig *cfg, size_t hoff, DirectBoot *out,
                         MbLoad *ld, Error **errp)
{
    const uint8_t *k = cfg->kernel;
    size_t size = cfg->kernel_size;
    if (hoff + 32 > size) {
        error_setg(errp, "-kernel: '%s': the Multiboot address fields are cut off",
                   cfg->kernel_path);
        return false;
    }
    uint32_t header_addr = ldl_le_p(k + hoff + 12), load_addr = ldl_le_p(k + hoff + 16);
    uint32_t load_end = ldl_le_p(k + hoff + 20), bss_end = ldl_le_p(k + hoff + 24);
    uint32_t entry = ldl_le_p(k + hoff + 28);
    if (header_addr < load_addr || header_addr - load_addr > hoff) {
        error_setg(errp, "-kernel: '%s': Multiboot header_addr 0x%x is inconsistent with "
                   "load_addr 0x%x", cfg->kernel_path, header_addr, load_addr);
        return false;
    }
    size_t file_off = hoff - (header_addr - load_addr);
    uint64_t load_size = load_end ? (uint64_t)load_end - load_addr : size - file_off;
    if (load_end && load_end < load_addr) {
        load_size = UINT64_MAX;
    }
    if (load_size > size - file_off) {
        error_setg(errp, "-kernel: '%s' is truncated: the Multiboot header asks for 0x%llx "
                   "bytes from offset 0x%zx", cfg->kernel_path,
                   (unsigned long long)load_size, file_off);
        return false;
    }
    uint64_t end = (uint64_t)load_addr + load_size;
    uint64_t bss = bss_end > end ? bss_end - end : 0;
    if (!mb_check_range(cfg, load_addr, load_size + bss, errp)) {
        return false;
    }
    direct_boot_add_copy(out, load_addr, k + file_off, (size_t)load_size);
    if (bss) {
        direct_boot_add(out, end, NULL, (size_t)bss);
    }
    ld->kernel_end = end + bss;
    ld->entry = entry;
    return true;
}

/* The strings at the end of the information area, and their guest addresses. */
typedef struct MbStrings {
    uint8_t *info;
    uint64_t base; /* guest address of info[0] */
    size_t next;   /* where the next string goes */
} MbStrings;

static uint32_t mb_put_string(MbStrings *strs, const char *s)
{
    size_t n = strlen(s) + 1;
    size_t at = strs->next;
    memcpy(strs->info + at, s, n);
    strs->next += n;
    return (uint32_t)(strs->base + at);
}

/* Split -initrd at single commas; ",," stands for a comma.  -1 if there are too many. */
static int mb_split_modules(const char *spec, char **mods)
{
    int n = 0;
    const char *p = spec;
    while (*p) {
        if (n == MB_MAX_MODULES) {
            for (int i = 0; i < n; i++) {
                free(mods[i]);
            }
            return -1;
        }
        size_t cap = strlen(p) + 1, len = 0;
        char *s = xmalloc(cap);
        while (*p) {
            if (p[0] == ',' && p[1] == ',') {
                s[len++] = ',';
                p += 2;
            } else if (p[0] == ',') {
                p++;
                break;
            } else {
                s[len++] = *p++;
            }
        }
        s[len] = 0;
        mods[n++] = s;
    }
    return n;
}

bool multiboot_load(const DirectBootConfig *cfg, DirectBoot *out, Error **errp)
{
    const uint8_t *k = cfg->kernel;
    long hoff = multiboot_find(k, cfg->kernel_size);
    if (hoff < 0) {
        error_setg(errp, "-kernel: '%s' has no Multiboot header", cfg->kernel_path);
        return false;
    }
    uint32_t flags = ldl_le_p(k + hoff + 4), checksum = ldl_le_p(k + hoff + 8);
    if ((uint32_t)(MULTIBOOT_HEADER_MAGIC + flags + checksum) != 0) {
        error_setg(errp, "-kernel: '%s': the Multiboot header checksum is wrong",
                   cfg->kernel_path);
        return false;
    }
    if (flags & MB_REQUIRED_UNKNOWN) {
        error_setg(errp, "-kernel: '%s' requires Multiboot features 0x%x that Osprey does "
                   "not provide", cfg->kernel_path, flags & MB_REQUIRED_UNKNOWN);
        return false;
    }
    if (flags & MB_VIDEO_MODE) {
        log_unimp("multiboot: the kernel asks for a video mode; it gets text mode\n");
    }

    MbLoad ld = {0};
    bool ok;
    if (flags & MB_AOUT_KLUDGE) {
        ok = mb_load_aout(cfg, (size_t)hoff, out, &ld, errp);
    } else if (cfg->kernel_size >= 4 && !memcmp(k, "\x7f" "ELF", 4)) {
        ok = mb_load_elf(cfg, out, &ld, errp);
    } else {
        error_setg(errp, "-kernel: '%s' is a Multiboot kernel but neither ELF nor marked "
                   "with load addresses (header flag 16)", cfg->kernel_path);
        ok = false;
    }
    if (!ok) {
        return false;
    }

    /* Modules, each on a fresh page. */
    char *mods[MB_MAX_MODULES];
    int nr_mods = cfg->initrd ? mb_split_modules(cfg->initrd, mods) : 0;
    if (nr_mods < 0) {
        error_setg(errp, "-initrd: more than %d Multiboot modules", MB_MAX_MODULES);
        return false;
    }
    uint64_t mod_start[MB_MAX_MODULES], mod_len[MB_MAX_MODULES];
    uint64_t cursor = PAGE_ALIGN(ld.kernel_end);
    for (int i = 0; i < nr_mods && ok; i++) {
        size_t plen = strcspn(mods[i], " ");
        char *path = xstrndup(mods[i], plen);
        uint8_t *data;
        size_t size;
        if (!direct_boot_read_file("-initrd", path, &data, &size, errp)) {
            ok = false;
        } else if (cursor + size > cfg->low_ram_end) {
            error_setg(errp, "-initrd: module '%s' (%zu bytes) does not fit in RAM below "
                       "0x%llx", path, size, (unsigned long long)cfg->low_ram_end);
            free(data);
            ok = false;
        } else {
            mod_start[i] = cursor;
            mod_len[i] = size;
            direct_boot_add(out, cursor, data, size);
            cursor = PAGE_ALIGN(cursor + size);
        }
        free(path);
    }

    /* The information area: MBI, module list, memory map, strings. */
    char *cmdline = cfg->append ? xasprintf("%s %s", cfg->kernel_path, cfg->append)
                                : xstrdup(cfg->kernel_path);
    size_t strings = strlen(cmdline) + 1 + strlen(mb_loader_name) + 1;
    for (int i = 0; i < nr_mods; i++) {
        strings += strlen(mods[i]) + 1;
    }
    uint64_t mods_off = MBI_SIZE;
    uint64_t mmap_off = mods_off + (uint64_t)nr_mods * MB_MOD_SIZE;
    uint64_t str_off = mmap_off + (uint64_t)cfg->e820->nr * MB_MMAP_ENTRY_SIZE;
    size_t info_size = (size_t)(str_off + strings);
    uint64_t base = cursor;
    if (ok && base + info_size > cfg->low_ram_end) {
        error_setg(errp, "-kernel: no room for the Multiboot information below 0x%llx",
                   (unsigned long long)cfg->low_ram_end);
        ok = false;
    }
    if (ok) {
        uint8_t *info = xzalloc(info_size);
        MbStrings strs = {.info = info, .base = base, .next = str_off};
        stl_le_p(info + MBI_FLAGS,
                 MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
        /* Lower memory ends at the EBDA; upper is the RAM run that starts at 1 MiB. */
        uint64_t upper = 0;
        for (int i = 0; i < cfg->e820->nr; i++) {
            const E820Entry *e = &cfg->e820->entries[i];
            if (e->addr == 0x100000 && e->type == E820_RAM) {
                upper = e->size;
            }
        }
        stl_le_p(info + MBI_MEM_LOWER, (uint32_t)(MIN(cfg->low_ram_end, 0x9fc00ULL) / 1024));
        stl_le_p(info + MBI_MEM_UPPER, (uint32_t)(upper / 1024));
        stl_le_p(info + MBI_CMDLINE_PTR, mb_put_string(&strs, cmdline));
        stl_le_p(info + MBI_LOADER_NAME_PTR, mb_put_string(&strs, mb_loader_name));
        stl_le_p(info + MBI_MODS_COUNT, (uint32_t)nr_mods);
        stl_le_p(info + MBI_MODS_ADDR, (uint32_t)(base + mods_off));
        for (int i = 0; i < nr_mods; i++) {
            uint8_t *m = info + mods_off + (size_t)i * MB_MOD_SIZE;
            stl_le_p(m, (uint32_t)mod_start[i]);
            stl_le_p(m + 4, (uint32_t)(mod_start[i] + mod_len[i]));
            stl_le_p(m + 8, mb_put_string(&strs, mods[i]));
        }
        stl_le_p(info + MBI_MMAP_LENGTH, (uint32_t)(cfg->e820->nr * MB_MMAP_ENTRY_SIZE));
        stl_le_p(info + MBI_MMAP_ADDR, (uint32_t)(base + mmap_off));
        for (int i = 0; i < cfg->e820->nr; i++) {
            const E820Entry *e = &cfg->e820->entries[i];
            uint8_t *m = info + mmap_off + (size_t)i * MB_MMAP_ENTRY_SIZE;
            stl_le_p(m, MB_MMAP_ENTRY_SIZE - 4);
            stq_le_p(m + 4, e->addr);
            stq_le_p(m + 12, e->size);
            stl_le_p(m + 20, e->type);
        }
        direct_boot_add(out, base, info, info_size);
        out->eip = ld.entry;
        out->eax = MULTIBOOT_BOOTLOADER_MAGIC;
        out->ebx = (uint32_t)base;
        out->esi = 0;
    }
    free(cmdline);
    for (int i = 0; i < nr_mods; i++) {
        free(mods[i]);
    }
    return ok;
}
