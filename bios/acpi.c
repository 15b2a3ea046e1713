/*
 * Osprey BIOS: ACPI and SMBIOS tables from fw_cfg.  The machine builds the
 * tables; "etc/table-loader" says where each file goes (ALLOCATE in the
 * HIGH or FSEG zone), which pointers to patch (ADD_POINTER) and which
 * checksums to fix (ADD_CHECKSUM), as described in QEMU's
 * hw/acpi/bios-linker-loader documentation.  SMBIOS: the anchor is placed in
 * the F segment (inside the shadowed BIOS) and pointed at the tables.
 */
#include "bios.h"

#define LOADER_ENTRY 128
#define LOADER_FILE 56
#define MAX_FILES 12

static struct {
    char name[LOADER_FILE];
    u32 addr, size;
} files[MAX_FILES];
static int nr_files;

static int file_lookup(const char *name)
{
    for (int i = 0; i < nr_files; i++) {
        if (!strcmp(files[i].name, name)) {
            return i;
        }
    }
    return -1;
}

static void loader_allocate(const u8 *e)
{
    char name[LOADER_FILE];
    memcpy(name, e + 4, LOADER_FILE);
    name[LOADER_FILE - 1] = 0;
    u32 align = *(const u32 *)(e + 60);
    u8 zone = e[64];
    u32 size;
    u16 key = fw_cfg_find_file(name, &size);
    if (!key || nr_files == MAX_FILES || (align & (align - 1))) {
        dprintf("table-loader: cannot allocate %s\n", name);
        return;
    }
    u32 addr = zone == 2 ? fseg_alloc(size, align < 16 ? 16 : align) : high_alloc(size, align);
    if (!addr) {
        dprintf("table-loader: no room for %s (%u bytes)\n", name, size);
        return;
    }
    fw_cfg_dma_read_to(key, addr, size);
    memcpy(files[nr_files].name, name, LOADER_FILE);
    files[nr_files].addr = addr;
    files[nr_files].size = size;
    nr_files++;
}

static void loader_add_pointer(const u8 *e)
{
    char dst_name[LOADER_FILE], src_name[LOADER_FILE];
    memcpy(dst_name, e + 4, LOADER_FILE);
    memcpy(src_name, e + 60, LOADER_FILE);
    dst_name[LOADER_FILE - 1] = src_name[LOADER_FILE - 1] = 0;
    u32 offset = *(const u32 *)(e + 116);
    u8 size = e[120];
    int d = file_lookup(dst_name), s = file_lookup(src_name);
    if (d < 0 || s < 0 || (size != 1 && size != 2 && size != 4 && size != 8) ||
        offset > files[d].size || size > files[d].size - offset) {
        dprintf("table-loader: bad pointer %s -> %s\n", dst_name, src_name);
        return;
    }
    u32 at = files[d].addr + offset;
    u64 v = 0;
    for (int i = 0; i < size; i++) {
        v |= (u64)flat_rb(at + i) << (8 * i);
    }
    v += files[s].addr;
    for (int i = 0; i < size; i++) {
        flat_wb(at + i, (u8)(v >> (8 * i)));
    }
}

static void loader_add_checksum(const u8 *e)
{
    char name[LOADER_FILE];
    memcpy(name, e + 4, LOADER_FILE);
    name[LOADER_FILE - 1] = 0;
    u32 offset = *(const u32 *)(e + 60);
    u32 start = *(const u32 *)(e + 64);
    u32 length = *(const u32 *)(e + 68);
    int f = file_lookup(name);
    if (f < 0 || offset >= files[f].size || start > files[f].size ||
        length > files[f].size - start) {
        dprintf("table-loader: bad checksum in %s\n", name);
        return;
    }
    u32 base = files[f].addr;
    flat_wb(base + offset, 0);
    u8 sum = 0;
    for (u32 i = 0; i < length; i++) {
        sum += flat_rb(base + start + i);
    }
    flat_wb(base + offset, (u8)-sum);
}

static void smbios_setup(void)
{
    u32 anchor_size, tables_size;
    u16 anchor_key = fw_cfg_find_file("etc/smbios/smbios-anchor", &anchor_size);
    u16 tables_key = fw_cfg_find_file("etc/smbios/smbios-tables", &tables_size);
    if (!anchor_key || !tables_key || anchor_size < 0x18 || anchor_size > 0x20) {
        dprintf("smbios: no tables in fw_cfg (anchor %u bytes)\n", anchor_size);
        return;
    }
    /* Linux (dmi_scan) looks for the anchor in 0xF0000-0xFFFFF only: keep it in the BIOS. */
    static u8 anchor_buf[32] __attribute__((aligned(16)));
    u32 tables = high_alloc(tables_size, 16);
    if (!tables) {
        tables = fseg_alloc(tables_size, 16); /* QEMU fills the HIGH zone with ACPI */
    }
    u32 anchor = BIOS_FLAT(anchor_buf);
    if (!tables || !anchor) {
        dprintf("smbios: no room for %u bytes of tables\n", tables_size);
        return;
    }
    fw_cfg_dma_read_to(tables_key, tables, tables_size);
    fw_cfg_dma_read_to(anchor_key, anchor, anchor_size);
    if (flat_rl(anchor) == 0x5f4d535f) { /* "_SM_": 2.1 entry point */
        flat_wl(anchor + 0x18, tables);
        flat_wb(anchor + 0x15, 0);
        u8 sum = 0;
        for (u32 i = 0x10; i < 0x1f; i++) {
            sum += flat_rb(anchor + i);
        }
        flat_wb(anchor + 0x15, (u8)-sum);
        flat_wb(anchor + 4, 0);
        sum = 0;
        for (u32 i = 0; i < flat_rb(anchor + 5) && i < 0x20; i++) {
            sum += flat_rb(anchor + i);
        }
        flat_wb(anchor + 4, (u8)-sum);
    } else if (flat_rl(anchor) == 0x334d535f) { /* "_SM3_": 3.0 */
        flat_wl(anchor + 0x10, tables);
        flat_wl(anchor + 0x14, 0);
        flat_wb(anchor + 5, 0);
        u8 sum = 0;
        for (u32 i = 0; i < flat_rb(anchor + 6) && i < 0x20; i++) {
            sum += flat_rb(anchor + i);
        }
        flat_wb(anchor + 5, (u8)-sum);
    }
}

void acpi_setup(void)
{
    u32 size;
    u16 key = fw_cfg_find_file("etc/table-loader", &size);
    for (u32 i = 0; key && i < size / LOADER_ENTRY; i++) {
        u8 e[LOADER_ENTRY];
        fw_cfg_select(key);
        fw_cfg_skip(i * LOADER_ENTRY);
        fw_cfg_read(e, LOADER_ENTRY);
        switch (*(u32 *)e) {
        case 1:
            loader_allocate(e);
            break;
        case 2:
            loader_add_pointer(e);
            break;
        case 3:
            loader_add_checksum(e);
            break;
        default:
            break;
        }
    }
    int rsdp = file_lookup("etc/acpi/rsdp");
    dprintf("acpi: %d files, RSDP at %x\n", nr_files, rsdp >= 0 ? files[rsdp].addr : 0);
    smbios_setup();
}

/* Clear the enabled flag of a MADT's Processor Local APIC entries whose CPU did not start. */
static void madt_patch(u32 madt)
{
    u32 len = flat_rl(madt + 4);
    if (len < 44 || len > 0x10000) {
        return;
    }
    bool changed = false;
    for (u32 off = 44; off + 2 <= len;) {
        u8 type = flat_rb(madt + off), elen = flat_rb(madt + off + 1);
        if (elen < 2 || off + elen > len) {
            break;
        }
        if (type == 0 && elen >= 8) {
            u8 apic_id = flat_rb(madt + off + 3);
            u32 flags = flat_rl(madt + off + 4);
            if ((flags & 1) && (apic_id >= 32 || !(cpus_started_mask & (1u << apic_id)))) {
                flat_wl(madt + off + 4, flags & ~1u);
                changed = true;
            }
        }
        off += elen;
    }
    if (changed) {
        flat_wb(madt + 9, 0);
        u8 sum = 0;
        for (u32 i = 0; i < len; i++) {
            sum += flat_rb(madt + i);
        }
        flat_wb(madt + 9, (u8)-sum);
    }
}

void acpi_madt_disable_missing_cpus(void)
{
    int rsdp = file_lookup("etc/acpi/rsdp");
    if (cpus_started == nr_cpus || rsdp < 0) {
        return;
    }
    u32 rsdt = flat_rl(files[rsdp].addr + 16);
    u32 len = rsdt ? flat_rl(rsdt + 4) : 0;
    for (u32 off = 36; off + 4 <= len && len < 0x1000; off += 4) {
        u32 table = flat_rl(rsdt + off);
        if (table && flat_rl(table) == 0x43495041) { /* "APIC" */
            madt_patch(table);
        }
    }
}
