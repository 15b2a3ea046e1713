/*
 * SMBIOS 2.8 structure tables (DMTF DSP0134 version 2.8.0).  Every
 * structure is a formatted area (type, length, handle, fields) followed by
 * its string set: NUL-terminated strings referenced by 1-based index from
 * the fields, ended by an extra NUL (two NULs when there are no strings).
 */
#include "hw/i386/smbios.h"
#include "hw/acpi/bios-linker-loader.h"
#include "hw/acpi/pc-acpi.h"

#define SMBIOS_ANCHOR_SIZE 0x1f
#define SMBIOS_MAJOR 2
#define SMBIOS_MINOR 8
/* Each memory device describes at most this much RAM. */
#define SMBIOS_DIMM_MAX (16ULL << 30)

/* One structure under construction. */
typedef struct SmbiosStruct {
    uint8_t formatted[0x40];
    uint8_t len;
    AcpiBuf strings;
    unsigned nr_strings;
} SmbiosStruct;

typedef struct SmbiosBuilder {
    AcpiBuf *out;
    unsigned count;
    size_t max_size;
    uint16_t next_handle;
} SmbiosBuilder;

static void st_begin(SmbiosStruct *s, uint8_t type, uint8_t len, uint16_t handle)
{
    memset(s, 0, sizeof(*s));
    s->formatted[0] = type;
    s->formatted[1] = len;
    stw_le_p(s->formatted + 2, handle);
    s->len = len;
}

/* Add a string to the set and store its index at field offset off (empty: index 0). */
static void st_string(SmbiosStruct *s, unsigned off, const char *str)
{
    if (!str || !*str) {
        s->formatted[off] = 0;
        return;
    }
    acpi_buf_append(&s->strings, str, strlen(str) + 1);
    s->formatted[off] = ++s->nr_strings;
}

static void st_end(SmbiosBuilder *b, SmbiosStruct *s)
{
    size_t start = b->out->len, size;
    acpi_buf_append(b->out, s->formatted, s->len);
    if (s->nr_strings) {
        acpi_buf_append(b->out, s->strings.data, s->strings.len);
        acpi_buf_append_byte(b->out, 0);
    } else {
        acpi_buf_append(b->out, NULL, 2);
    }
    acpi_buf_free(&s->strings);
    size = b->out->len - start;
    b->count++;
    b->max_size = MAX(b->max_size, size);
}

static uint16_t new_handle(SmbiosBuilder *b)
{
    return b->next_handle++;
}

static void build_type0(SmbiosBuilder *b)
{
    SmbiosStruct s;
    st_begin(&s, 0, 0x18, new_handle(b));
    st_string(&s, 0x04, "Osprey");
    st_string(&s, 0x05, "osprey-1.0");
    stw_le_p(s.formatted + 0x06, 0xe800); /* BIOS starting address segment */
    st_string(&s, 0x08, "01/01/2024");
    s.formatted[0x09] = 0; /* ROM size: 64 KiB units minus one */
    stq_le_p(s.formatted + 0x0a, 1ULL << 3); /* characteristics not supported */
    s.formatted[0x12] = 0x01;                /* ext byte 1: ACPI supported */
    s.formatted[0x13] = 0x10;                /* ext byte 2: targeted content distribution */
    s.formatted[0x14] = 1;                   /* system BIOS major release */
    s.formatted[0x15] = 0;
    s.formatted[0x16] = 0xff; /* no embedded controller firmware */
    s.formatted[0x17] = 0xff;
    st_end(b, &s);
}

static void build_type1(SmbiosBuilder *b, const SmbiosConfig *cfg)
{
    SmbiosStruct s;
    st_begin(&s, 1, 0x1b, new_handle(b));
    st_string(&s, 0x04, "Osprey");
    st_string(&s, 0x05, "Standard PC (i440FX + PIIX, 1996)");
    st_string(&s, 0x06, "pc");
    st_string(&s, 0x07, "");
    /*
     * The UUID's first three fields are stored little-endian (DSP0134
     * 7.2.1); cfg->uuid is in the RFC 4122 byte order of its text form.
     */
    s.formatted[0x08] = cfg->uuid[3];
    s.formatted[0x09] = cfg->uuid[2];
    s.formatted[0x0a] = cfg->uuid[1];
    s.formatted[0x0b] = cfg->uuid[0];
    s.formatted[0x0c] = cfg->uuid[5];
    s.formatted[0x0d] = cfg->uuid[4];
    s.formatted[0x0e] = cfg->uuid[7];
    s.formatted[0x0f] = cfg->uuid[6];
    memcpy(s.formatted + 0x10, cfg->uuid + 8, 8);
    s.formatted[0x18] = 0x06; /* wake-up type: power switch */
    st_string(&s, 0x19, "");
    st_string(&s, 0x1a, "");
    st_end(b, &s);
}

static void build_type3(SmbiosBuilder *b)
{
    SmbiosStruct s;
    st_begin(&s, 3, 0x15, new_handle(b));
    st_string(&s, 0x04, "Osprey");
    s.formatted[0x05] = 0x01; /* type: other */
    st_string(&s, 0x06, "pc");
    s.formatted[0x09] = 0x03; /* boot-up state: safe */
    s.formatted[0x0a] = 0x03; /* power supply state: safe */
    s.formatted[0x0b] = 0x03; /* thermal state: safe */
    s.formatted[0x0c] = 0x02; /* security status: unknown */
    st_end(b, &s);
}

static void build_type4(SmbiosBuilder *b, unsigned cpu)
{
    SmbiosStruct s;
    char socket[16];
    st_begin(&s, 4, 0x2a, new_handle(b));
    snprintf(socket, sizeof(socket), "CPU %u", cpu & 0xffff);
    st_string(&s, 0x04, socket);
    s.formatted[0x05] = 0x03; /* central processor */
    s.formatted[0x06] = 0x01; /* family: other */
    st_string(&s, 0x07, "Osprey");
    st_string(&s, 0x10, "pc-cpu");
    stw_le_p(s.formatted + 0x14, 2000); /* max speed, MHz */
    stw_le_p(s.formatted + 0x16, 2000); /* current speed */
    s.formatted[0x18] = 0x41;           /* socket populated, CPU enabled */
    s.formatted[0x19] = 0x01;           /* upgrade: other */
    stw_le_p(s.formatted + 0x1a, 0xffff); /* no cache information */
    stw_le_p(s.formatted + 0x1c, 0xffff);
    stw_le_p(s.formatted + 0x1e, 0xffff);
    s.formatted[0x23] = 1; /* cores */
    s.formatted[0x24] = 1; /* cores enabled */
    s.formatted[0x25] = 1; /* threads */
    stw_le_p(s.formatted + 0x26, 0x02); /* characteristics: unknown */
    stw_le_p(s.formatted + 0x28, 0x01); /* family 2: other */
    st_end(b, &s);
}

static uint16_t build_type16(SmbiosBuilder *b, uint64_t ram, unsigned nr_dimms)
{
    SmbiosStruct s;
    uint16_t handle = new_handle(b);
    uint64_t kib = ram >> 10;
    st_begin(&s, 16, 0x17, handle);
    s.formatted[0x04] = 0x01; /* location: other */
    s.formatted[0x05] = 0x03; /* use: system memory */
    s.formatted[0x06] = 0x06; /* error correction: multi-bit ECC */
    if (kib < 0x80000000ULL) {
        stl_le_p(s.formatted + 0x07, kib);
    } else {
        stl_le_p(s.formatted + 0x07, 0x80000000u); /* see extended maximum capacity */
        stq_le_p(s.formatted + 0x0f, ram);
    }
    stw_le_p(s.formatted + 0x0b, 0xfffe); /* no error information */
    stw_le_p(s.formatted + 0x0d, nr_dimms);
    st_end(b, &s);
    return handle;
}

static void build_type17(SmbiosBuilder *b, uint16_t array, unsigned index, uint64_t size)
{
    SmbiosStruct s;
    char locator[16];
    uint64_t mib = size >> 20;
    st_begin(&s, 17, 0x28, new_handle(b));
    stw_le_p(s.formatted + 0x04, array);
    stw_le_p(s.formatted + 0x06, 0xfffe);
    stw_le_p(s.formatted + 0x08, 64); /* total width */
    stw_le_p(s.formatted + 0x0a, 64); /* data width */
    if (mib < 0x7fff) {
        stw_le_p(s.formatted + 0x0c, mib);
    } else {
        stw_le_p(s.formatted + 0x0c, 0x7fff); /* see extended size */
        stl_le_p(s.formatted + 0x1c, mib);
    }
    s.formatted[0x0e] = 0x09; /* form factor: DIMM */
    snprintf(locator, sizeof(locator), "DIMM %u", index & 0xffff);
    st_string(&s, 0x10, locator);
    s.formatted[0x12] = 0x07; /* type: RAM */
    stw_le_p(s.formatted + 0x13, 0x02); /* type detail: other */
    st_string(&s, 0x17, "Osprey");
    st_end(b, &s);
}

static void build_type19(SmbiosBuilder *b, uint16_t array, uint64_t start, uint64_t size,
                         unsigned width)
{
    SmbiosStruct s;
    uint64_t end = start + size - 1;
    st_begin(&s, 19, 0x1f, new_handle(b));
    if ((end >> 10) < 0xffffffffULL) {
        stl_le_p(s.formatted + 0x04, start >> 10);
        stl_le_p(s.formatted + 0x08, end >> 10);
    } else {
        stl_le_p(s.formatted + 0x04, 0xffffffffu); /* see the extended addresses */
        stl_le_p(s.formatted + 0x08, 0xffffffffu);
        stq_le_p(s.formatted + 0x0f, start);
        stq_le_p(s.formatted + 0x17, end);
    }
    stw_le_p(s.formatted + 0x0c, array);
    s.formatted[0x0e] = width; /* partition width: devices per row */
    st_end(b, &s);
}

static void build_type32(SmbiosBuilder *b)
{
    SmbiosStruct s;
    st_begin(&s, 32, 0x0b, new_handle(b));
    s.formatted[0x0a] = 0; /* boot status: no errors detected */
    st_end(b, &s);
}

static void build_type127(SmbiosBuilder *b)
{
    SmbiosStruct s;
    st_begin(&s, 127, 4, new_handle(b));
    st_end(b, &s);
}

void smbios_tables_free(SmbiosTables *t)
{
    acpi_buf_free(&t->anchor);
    acpi_buf_free(&t->tables);
    acpi_buf_free(&t->loader);
}

bool smbios_build(const SmbiosConfig *cfg, SmbiosTables *out, Error **errp)
{
    SmbiosBuilder b = { &out->tables, 0, 0, 0 };
    uint64_t ram = cfg->ram_below_4g + cfg->ram_above_4g;
    unsigned nr_dimms;
    uint16_t array;
    uint8_t *a;

    memset(out, 0, sizeof(*out));
    if (cfg->nr_cpus < 1 || cfg->nr_cpus > 0xffff) {
        error_setg(errp, "SMBIOS: %u CPUs not supported", cfg->nr_cpus);
        return false;
    }
    if (ram == 0 || cfg->ram_above_4g > (1ULL << 52)) {
        error_setg(errp, "SMBIOS: unsupported RAM size");
        return false;
    }
    nr_dimms = (ram + SMBIOS_DIMM_MAX - 1) / SMBIOS_DIMM_MAX;

    build_type0(&b);
    build_type1(&b, cfg);
    build_type3(&b);
    for (unsigned i = 0; i < cfg->nr_cpus; i++) {
        build_type4(&b, i);
    }
    array = build_type16(&b, ram, nr_dimms);
    for (unsigned i = 0; i < nr_dimms; i++) {
        uint64_t left = ram - (uint64_t)i * SMBIOS_DIMM_MAX;
        build_type17(&b, array, i, MIN(left, SMBIOS_DIMM_MAX));
    }
    if (cfg->ram_below_4g) {
        build_type19(&b, array, 0, cfg->ram_below_4g, nr_dimms);
    }
    if (cfg->ram_above_4g) {
        build_type19(&b, array, 1ULL << 32, cfg->ram_above_4g, nr_dimms);
    }
    build_type32(&b);
    build_type127(&b);
    if (out->tables.len > 0xffff) {
        error_setg(errp, "SMBIOS: structure table too large (%zu bytes)", out->tables.len);
        smbios_tables_free(out);
        return false;
    }

    /* The 2.x entry point (DSP0134 5.2.1). */
    acpi_buf_append(&out->anchor, NULL, SMBIOS_ANCHOR_SIZE);
    a = out->anchor.data;
    memcpy(a, "_SM_", 4);
    a[0x05] = SMBIOS_ANCHOR_SIZE;
    a[0x06] = SMBIOS_MAJOR;
    a[0x07] = SMBIOS_MINOR;
    stw_le_p(a + 0x08, b.max_size);
    memcpy(a + 0x10, "_DMI_", 5);
    stw_le_p(a + 0x16, out->tables.len);
    stl_le_p(a + 0x18, 0); /* structure table address: filled in at install */
    stw_le_p(a + 0x1c, b.count);
    a[0x1e] = (SMBIOS_MAJOR << 4) | SMBIOS_MINOR; /* BCD revision */
    /* Checksums valid as built (address 0), for firmware that reads the anchor as it is. */
    a[0x15] = -acpi_checksum(a + 0x10, 0x0f);
    a[0x04] = -acpi_checksum(a, SMBIOS_ANCHOR_SIZE);

    /* Commands for smbios_install: the anchor must sit on a 16-byte boundary in the F segment. */
    bios_linker_allocate(&out->loader, PC_SMBIOS_FILE_TABLES, 16, false);
    bios_linker_allocate(&out->loader, PC_SMBIOS_FILE_ANCHOR, 16, true);
    bios_linker_add_pointer(&out->loader, PC_SMBIOS_FILE_ANCHOR, 0x18, 4, PC_SMBIOS_FILE_TABLES);
    bios_linker_add_checksum(&out->loader, PC_SMBIOS_FILE_ANCHOR, 0x15, 0x10, 0x0f);
    bios_linker_add_checksum(&out->loader, PC_SMBIOS_FILE_ANCHOR, 0x04, 0, SMBIOS_ANCHOR_SIZE);
    return true;
}

uint64_t smbios_install(AddressSpace *as, const SmbiosTables *t, AcpiLoaderArena *high,
                        AcpiLoaderArena *fseg, Error **errp)
{
    AcpiLoaderFile files[] = {
        { PC_SMBIOS_FILE_TABLES, t->tables.data, t->tables.len, 0 },
        { PC_SMBIOS_FILE_ANCHOR, t->anchor.data, t->anchor.len, 0 },
    };
    if (!acpi_loader_exec(as, t->loader.data, t->loader.len, files, ARRAY_SIZE(files), high,
                          fseg, errp)) {
        return 0;
    }
    return files[1].addr;
}
