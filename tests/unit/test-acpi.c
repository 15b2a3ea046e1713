/*
 * Firmware tables: the AML encoder's byte encodings, the ACPI tables as a
 * guest sees them after the table-loader ran (RSDP -> RSDT/XSDT -> tables,
 * checksums, FADT pointers, MADT entries), iasl's disassembly of every table,
 * the loader's rejection of malformed commands, SMBIOS and the MP table.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/common.h"
#include "core/memory.h"
#include "hw/acpi/acpi-build.h"
#include "hw/acpi/aml.h"
#include "hw/acpi/bios-linker-loader.h"
#include "hw/acpi/loader-exec.h"
#include "hw/i386/mptable.h"
#include "hw/i386/smbios.h"
#include "tests/unit/test.h"

#define GUEST_RAM_SIZE 0x200000
#define HIGH_BASE 0x100000
#define HIGH_SIZE 0x100000
#define FSEG_BASE 0xe0000
#define FSEG_SIZE 0x20000

/* A small guest: 2 MiB of RAM from address 0. */
typedef struct Guest {
    MemoryRegion root;
    MemoryRegion ram;
    AddressSpace as;
    uint8_t *mem;
} Guest;

static void guest_init(Guest *g)
{
    memset(g, 0, sizeof(*g));
    memory_region_init_container(&g->root, "root", UINT64_MAX);
    memory_region_init_ram(&g->ram, "ram", GUEST_RAM_SIZE);
    memory_region_add_subregion(&g->root, 0, &g->ram);
    address_space_init(&g->as, &g->root, "memory");
    g->mem = memory_region_get_ram_ptr(&g->ram);
}

static void guest_free(Guest *g)
{
    address_space_destroy(&g->as);
    memory_region_destroy(&g->ram);
    memory_region_destroy(&g->root);
}

/* A guest pointer to n bytes, or NULL when outside RAM. */
static uint8_t *gptr(Guest *g, uint64_t addr, uint64_t n)
{
    if (addr > GUEST_RAM_SIZE || n > GUEST_RAM_SIZE - addr) {
        return NULL;
    }
    return g->mem + addr;
}

static void config_for(PcAcpiConfig *cfg, unsigned cpus, uint64_t ram)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->nr_cpus = cpus;
    cfg->ram_below_4g = ram >= 0xe0000000ULL ? 0xc0000000ULL : ram;
    cfg->ram_above_4g = ram - cfg->ram_below_4g;
    cfg->hpet = true;
    cfg->ioapic = true;
    /* As hw/pc.c splits RAM: the hole starts at 3 GiB when RAM was split, else 3.5 GiB. */
    cfg->pci_hole_start = cfg->ram_above_4g ? 0xc0000000u : 0xe0000000u;
    if (cfg->ram_above_4g) {
        cfg->pci_hole64_start = 0x100000000ULL + cfg->ram_above_4g;
        cfg->pci_hole64_start = (cfg->pci_hole64_start + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
        cfg->pci_hole64_end = cfg->pci_hole64_start + (32ULL << 30);
    }
}

/* ------------------------------------------------------------------------ */
/* AML encodings */

static void aml_bytes(Aml *a, AcpiBuf *out)
{
    memset(out, 0, sizeof(*out));
    aml_to_buf(a, out);
}

static bool buf_is(const AcpiBuf *b, const uint8_t *want, size_t n)
{
    return b->len == n && !memcmp(b->data, want, n);
}

static void test_aml_integers(void)
{
    static const struct {
        uint64_t v;
        uint8_t bytes[9];
        size_t n;
    } cases[] = {
        { 0, { 0x00 }, 1 },
        { 1, { 0x01 }, 1 },
        { 2, { 0x0a, 0x02 }, 2 },
        { 0xff, { 0x0a, 0xff }, 2 },
        { 0x100, { 0x0b, 0x00, 0x01 }, 3 },
        { 0x12345678, { 0x0c, 0x78, 0x56, 0x34, 0x12 }, 5 },
        { 0x100000000ULL, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9 },
        { UINT64_MAX, { 0xff }, 1 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        AcpiBuf b;
        aml_bytes(aml_int(cases[i].v), &b);
        CHECK(buf_is(&b, cases[i].bytes, cases[i].n));
        acpi_buf_free(&b);
    }
}

static void test_aml_names_and_eisaid(void)
{
    AcpiBuf b;
    static const uint8_t eisa[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 }; /* PNP0A03 */
    static const uint8_t root[] = { '\\', '_', 'S', 'B', '_' };
    static const uint8_t dual[] = { '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0' };
    static const uint8_t multi[] = { 0x2f, 3, 'P', 'C', 'I', '0', 'I', 'S', 'A', '_',
                                     'P', '4', '0', 'C' };
    static const uint8_t str[] = { 0x0d, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0 };

    aml_bytes(aml_eisaid("PNP0A03"), &b);
    CHECK(buf_is(&b, eisa, sizeof(eisa)));
    acpi_buf_free(&b);
    aml_bytes(aml_name("\\_SB"), &b);
    CHECK(buf_is(&b, root, sizeof(root)));
    acpi_buf_free(&b);
    aml_bytes(aml_name("\\_SB.PCI0"), &b);
    CHECK(buf_is(&b, dual, sizeof(dual)));
    acpi_buf_free(&b);
    aml_bytes(aml_name("PCI0.ISA.P40C"), &b);
    CHECK(buf_is(&b, multi, sizeof(multi)));
    acpi_buf_free(&b);
    aml_bytes(aml_string("ACPI0007"), &b);
    CHECK(buf_is(&b, str, sizeof(str)));
    acpi_buf_free(&b);
}

/* A Scope with a body of n bytes: check the PkgLength lead byte and size. */
static void test_aml_pkglength(void)
{
    static const size_t sizes[] = { 10, 58, 59, 60, 100, 4000, 4093, 4094, 5000, 70000 };
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        Aml *scope = aml_scope("ABCD");
        AcpiBuf b;
        size_t body = 4 + sizes[i], total, enc;
        Aml *list = aml_term_list();
        for (size_t k = 0; k < sizes[i]; k++) {
            aml_append(list, aml_zero());
        }
        aml_append(scope, list);
        aml_bytes(scope, &b);
        CHECK_EQ(b.data[0], 0x10);
        enc = (b.data[1] >> 6) + 1;
        total = b.data[1] & (enc == 1 ? 0x3f : 0x0f);
        for (size_t k = 1; k < enc; k++) {
            total |= (size_t)b.data[1 + k] << (4 + 8 * (k - 1));
        }
        CHECK_EQ(total, body + enc);
        CHECK_EQ(b.len, 1 + total);
        CHECK_EQ(enc, body + 1 <= 63 ? 1 : body + 2 < 4096 ? 2 : body + 3 < (1u << 20) ? 3 : 4);
        acpi_buf_free(&b);
    }
}

static void test_aml_resources(void)
{
    AcpiBuf b;
    Aml *rt = aml_resource_template();
    static const uint8_t want[] = {
        0x11, 0x0d, 0x0a, 0x0a,                         /* Buffer, PkgLength, size 10 */
        0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, /* IO(Decode16, 0x3f8, 0x3f8, 1, 8) */
        0x79, 0x00,                                     /* EndTag */
    };
    aml_append(rt, aml_io(0x3f8, 0x3f8, 1, 8));
    aml_bytes(rt, &b);
    CHECK(buf_is(&b, want, sizeof(want)));
    acpi_buf_free(&b);
}

/* ------------------------------------------------------------------------ */
/* Tables as the guest sees them */

typedef struct Found {
    uint64_t rsdp;
    uint64_t addr[16];
    char sig[16][5];
    unsigned nr;
} Found;

static bool table_ok(Guest *g, uint64_t addr, const char *sig)
{
    uint8_t *h = gptr(g, addr, 36);
    uint32_t len;
    if (!h || (sig && memcmp(h, sig, 4))) {
        return false;
    }
    len = ldl_le_p(h + 4);
    return len >= 36 && gptr(g, addr, len) && acpi_checksum(h, len) == 0 &&
           !memcmp(h + 10, "OSPREY", 6) && !memcmp(h + 16, "OSPREYPC", 8) &&
           !memcmp(h + 28, "OSPR", 4);
}

/* Install for cfg and walk RSDP -> RSDT and XSDT; both must list the same tables. */
static bool install_and_walk(Guest *g, const PcAcpiConfig *cfg, Found *f)
{
    AcpiBuildTables t;
    AcpiLoaderArena high = { HIGH_BASE, HIGH_SIZE, 0 }, fseg = { FSEG_BASE, FSEG_SIZE, 0 };
    Error *err = NULL;
    uint8_t *rsdp, *rsdt, *xsdt;
    unsigned n_rsdt, n_xsdt;
    bool ok = true;

    memset(f, 0, sizeof(*f));
    if (!pc_acpi_build(cfg, &t, &err)) {
        error_free(err);
        return false;
    }
    f->rsdp = pc_acpi_install(&g->as, &t, &high, &fseg, &err);
    acpi_build_tables_free(&t);
    if (!f->rsdp) {
        error_free(err);
        return false;
    }
    CHECK(f->rsdp >= FSEG_BASE && f->rsdp < FSEG_BASE + FSEG_SIZE && !(f->rsdp & 15));
    rsdp = gptr(g, f->rsdp, 36);
    CHECK(rsdp && !memcmp(rsdp, "RSD PTR ", 8));
    CHECK_EQ(acpi_checksum(rsdp, 20), 0);
    CHECK_EQ(acpi_checksum(rsdp, 36), 0);
    CHECK_EQ(rsdp[15], 2);
    CHECK_EQ(ldl_le_p(rsdp + 20), 36);
    if (!table_ok(g, ldl_le_p(rsdp + 16), "RSDT") || !table_ok(g, ldq_le_p(rsdp + 24), "XSDT")) {
        return false;
    }
    rsdt = gptr(g, ldl_le_p(rsdp + 16), 36);
    xsdt = gptr(g, ldq_le_p(rsdp + 24), 36);
    n_rsdt = (ldl_le_p(rsdt + 4) - 36) / 4;
    n_xsdt = (ldl_le_p(xsdt + 4) - 36) / 8;
    CHECK_EQ(n_rsdt, n_xsdt);
    for (unsigned i = 0; i < n_rsdt && i < ARRAY_SIZE(f->addr); i++) {
        uint64_t a = ldl_le_p(rsdt + 36 + 4 * i);
        CHECK_EQ(a, ldq_le_p(xsdt + 36 + 8 * i));
        if (!table_ok(g, a, NULL)) {
            ok = false;
            continue;
        }
        f->addr[f->nr] = a;
        memcpy(f->sig[f->nr], gptr(g, a, 4), 4);
        f->nr++;
    }
    return ok;
}

static uint64_t find_table(Found *f, const char *sig)
{
    for (unsigned i = 0; i < f->nr; i++) {
        if (!strcmp(f->sig[i], sig)) {
            return f->addr[i];
        }
    }
    return 0;
}

static void check_config(unsigned cpus, uint64_t ram)
{
    Guest g;
    Found f;
    PcAcpiConfig cfg;
    uint64_t fadt_a, madt_a;
    guest_init(&g);
    config_for(&cfg, cpus, ram);
    CHECK(install_and_walk(&g, &cfg, &f));
    CHECK_EQ(f.nr, 3);
    fadt_a = find_table(&f, "FACP");
    madt_a = find_table(&f, "APIC");
    CHECK(find_table(&f, "HPET"));
    CHECK(fadt_a && madt_a);
    if (fadt_a) {
        uint8_t *fadt = gptr(&g, fadt_a, 244);
        uint32_t flags = ldl_le_p(fadt + 112);
        CHECK_EQ(ldl_le_p(fadt + 4), 244);
        CHECK_EQ(fadt[8], 3);
        CHECK(table_ok(&g, ldl_le_p(fadt + 40), "DSDT"));
        CHECK_EQ(ldq_le_p(fadt + 140), ldl_le_p(fadt + 40));
        CHECK_EQ(ldq_le_p(fadt + 132), ldl_le_p(fadt + 36));
        CHECK_EQ(ldl_le_p(fadt + 36) & 63, 0);
        uint8_t *facs = gptr(&g, ldl_le_p(fadt + 36), 64);
        CHECK(facs && !memcmp(facs, "FACS", 4) && ldl_le_p(facs + 4) == 64);
        CHECK_EQ(lduw_le_p(fadt + 46), 9);
        CHECK_EQ(ldl_le_p(fadt + 48), 0xb2);
        CHECK_EQ(fadt[52], 0xf1);
        CHECK_EQ(fadt[53], 0xf0);
        CHECK_EQ(ldl_le_p(fadt + 56), 0x600);
        CHECK_EQ(ldl_le_p(fadt + 64), 0x604);
        CHECK_EQ(ldl_le_p(fadt + 76), 0x608);
        CHECK_EQ(ldl_le_p(fadt + 80), 0xafe0);
        CHECK_EQ(flags & ((1u << 4) | (1u << 8)), 0);            /* PWR_BUTTON, TMR_VAL_EXT */
        CHECK_EQ(flags & 0x425, 0x425); /* WBINVD, PROC_C1, SLP_BUTTON, RESET_REG_SUP */
        CHECK_EQ(fadt[116], 1);         /* RESET_REG in system I/O */
        CHECK_EQ(ldq_le_p(fadt + 120), 0xcf9);
        CHECK_EQ(fadt[128], 6);
        CHECK(lduw_le_p(fadt + 109) & 2); /* 8042 */
        CHECK_EQ(ldq_le_p(fadt + 148 + 4), 0x600);
    }
    if (madt_a) {
        uint8_t *madt = gptr(&g, madt_a, 44);
        uint32_t len = ldl_le_p(madt + 4);
        unsigned count[8] = { 0 };
        CHECK_EQ(ldl_le_p(madt + 36), 0xfee00000);
        CHECK_EQ(ldl_le_p(madt + 40), 1);
        for (uint32_t off = 44; off + 2 <= len;) {
            uint8_t type = madt[off], elen = madt[off + 1];
            if (elen < 2 || off + elen > len) {
                CHECK(!"bad MADT entry length");
                break;
            }
            if (type < 8) {
                count[type]++;
            }
            if (type == 0) {
                CHECK_EQ(madt[off + 2], madt[off + 3]);
                CHECK_EQ(ldl_le_p(madt + off + 4), 1);
            } else if (type == 1) {
                CHECK_EQ(madt[off + 2], cpus);
                CHECK_EQ(ldl_le_p(madt + off + 4), 0xfec00000);
            } else if (type == 2 && madt[off + 3] == 0) {
                CHECK_EQ(ldl_le_p(madt + off + 4), 2);
            }
            off += elen;
        }
        CHECK_EQ(count[0], cpus);
        CHECK_EQ(count[1], 1);
        CHECK_EQ(count[2], 5);
        CHECK_EQ(count[4], 1);
    }
    guest_free(&g);
}

static void test_tables_1cpu_128m(void)
{
    check_config(1, 128ULL << 20);
}

static void test_tables_4cpu_5g(void)
{
    check_config(4, 5ULL << 30);
}

/* ------------------------------------------------------------------------ */
/* iasl */

static bool have_iasl(void)
{
    return system("iasl -v >/dev/null 2>&1") == 0;
}

/* Run a shell command, capturing its output into out (NUL terminated); returns the exit status. */
static int run_capture(const char *cmd, char *out, size_t outsz)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    int st;
    if (!p) {
        return -1;
    }
    while (n + 1 < outsz) {
        size_t r = fread(out + n, 1, outsz - 1 - n, p);
        if (r == 0) {
            break;
        }
        n += r;
    }
    out[n] = 0;
    while (fgetc(p) != EOF) {
    }
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *s;
    long n;
    if (!fp) {
        return NULL;
    }
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    s = xmalloc(n + 1);
    n = fread(s, 1, n, fp);
    s[n] = 0;
    fclose(fp);
    return s;
}

static void iasl_check(unsigned cpus, uint64_t ram, bool check_dsdt_text)
{
    Guest g;
    Found f;
    PcAcpiConfig cfg;
    char dir[] = "/tmp/osprey-acpi-XXXXXX";
    char out[8192], cmd[512], path[256];

    guest_init(&g);
    config_for(&cfg, cpus, ram);
    CHECK(install_and_walk(&g, &cfg, &f));
    CHECK(mkdtemp(dir) != NULL);
    /* The DSDT and FACS are reached through the FADT, not the RSDT. */
    uint64_t fadt_a = find_table(&f, "FACP");
    if (fadt_a) {
        f.addr[f.nr] = ldl_le_p(gptr(&g, fadt_a + 40, 4));
        strcpy(f.sig[f.nr++], "DSDT");
        f.addr[f.nr] = ldl_le_p(gptr(&g, fadt_a + 36, 4));
        strcpy(f.sig[f.nr++], "FACS");
    }
    for (unsigned i = 0; i < f.nr; i++) {
        uint8_t *t = gptr(&g, f.addr[i], 8);
        uint32_t len = t ? ldl_le_p(t + 4) : 0;
        FILE *fp;
        int rc;
        snprintf(path, sizeof(path), "%s/%s.dat", dir, f.sig[i]);
        fp = fopen(path, "wb");
        CHECK(fp != NULL);
        if (!fp || !gptr(&g, f.addr[i], len)) {
            continue;
        }
        fwrite(t, 1, len, fp);
        fclose(fp);
        snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat 2>&1", dir, f.sig[i]);
        rc = run_capture(cmd, out, sizeof(out));
        if (rc != 0 || strstr(out, "Error") || strstr(out, "error ")) {
            char msg[300];
            snprintf(msg, sizeof(msg), "iasl -d %s failed (rc %d): %.200s", f.sig[i], rc, out);
            test_fail_at(__FILE__, __LINE__, msg);
            continue;
        }
        /*
         * The disassembler is lenient (it prints any opcode it meets), so
         * compile its output again: malformed AML shows up as ASL errors.
         */
        snprintf(cmd, sizeof(cmd), "cd %s && iasl %s.dsl 2>&1", dir, f.sig[i]);
        rc = run_capture(cmd, out, sizeof(out));
        if (rc != 0 || strstr(out, "Error ") || strstr(out, "Warning ")) {
            char msg[400];
            const char *why = strstr(out, "Error ");
            why = why ? why : strstr(out, "Warning ");
            snprintf(msg, sizeof(msg), "iasl %s.dsl (rc %d): %.300s", f.sig[i], rc,
                     why ? why : out);
            test_fail_at(__FILE__, __LINE__, msg);
        }
    }
    if (check_dsdt_text) {
        char *dsl;
        snprintf(path, sizeof(path), "%s/DSDT.dsl", dir);
        dsl = read_text(path);
        CHECK(dsl != NULL);
        if (dsl) {
            static const char *const want[] = {
                "Device (PCI0)", "Device (LNKA)", "Device (LNKB)", "Device (LNKC)",
                "Device (LNKD)", "Name (_PRT", "Device (RTC)", "Device (KBD)",
                "Device (MOU)", "Device (COM1)", "Device (HPET)", "_S5, Package",
                "EisaId (\"PNP0A03\")", "EisaId (\"PNP0C0F\")", "PCI_Config",
                "\"ACPI0007\"", "Device (C003)", "IO (Decode16",
            };
            for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
                if (!strstr(dsl, want[i])) {
                    char msg[128];
                    snprintf(msg, sizeof(msg), "DSDT lacks '%s'", want[i]);
                    test_fail_at(__FILE__, __LINE__, msg);
                }
            }
            free(dsl);
        }
    }
    if (getenv("ACPI_TEST_KEEP")) {
        fprintf(stderr, "kept %s\n", dir);
        guest_free(&g);
        return;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    guest_free(&g);
}

/*
 * Every encoder construct in one SSDT, disassembled and recompiled by iasl:
 * the constructs the DSDT does not use get the same scrutiny.
 */
static void build_all_ops_ssdt(AcpiBuf *t)
{
    static const uint32_t irqs[] = { 5, 7 };
    Aml *body = aml_term_list();
    Aml *dev = aml_device("\\_SB.TDEV");
    Aml *rt = aml_resource_template();
    Aml *m, *w, *ifb, *elseb, *field, *pkg;

    acpi_buf_append(t, NULL, 36);
    memcpy(t->data, "SSDT", 4);
    t->data[8] = 2;
    memcpy(t->data + 10, "OSPREY", 6);
    memcpy(t->data + 16, "OSPREYPC", 8);
    memcpy(t->data + 28, "OSPR", 4);

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C02")));
    aml_append(dev, aml_name_decl("_UID", aml_int(0x1234)));
    aml_append(rt, aml_io(0x100, 0x100, 1, 4));
    aml_append(rt, aml_fixed_io(0x80, 1));
    aml_append(rt, aml_irq_no_flags(3));
    aml_append(rt, aml_irq(7, false, true, true));
    aml_append(rt, aml_interrupt(true, true, false, false, irqs, 2));
    aml_append(rt, aml_memory32_fixed(0xfed10000, 0x1000, true));
    aml_append(rt, aml_word_bus_number(0, 0x1f));
    aml_append(rt, aml_dword_io(0x1000, 0x1fff));
    aml_append(rt, aml_dword_memory(0x80000000, 0x8fffffff, true));
    aml_append(rt, aml_qword_memory(0x800000000ULL, 0x8ffffffffULL, false));
    aml_append(dev, aml_name_decl("_CRS", rt));

    aml_append(dev, aml_operation_region("PIO", AML_SYSTEM_IO, aml_int(0x510), aml_int(0x10)));
    aml_append(dev, aml_operation_region("PMEM", AML_SYSTEM_MEMORY, aml_int(0xfed10000),
                                         aml_int(0x100)));
    field = aml_field("PIO", AML_WORD_ACC, true, AML_WRITE_AS_ZEROS);
    aml_field_add(field, "FA", 16);
    aml_field_offset(field, 8);
    aml_field_add(field, "FB", 16);
    aml_append(dev, field);
    field = aml_field("PMEM", AML_DWORD_ACC, false, AML_WRITE_AS_ONES);
    aml_field_offset(field, 0x40);
    aml_field_add(field, "MA", 32);
    aml_field_add(field, "MB", 1);
    aml_field_add(field, "MC", 95);
    aml_field_add(field, "MD", 64);
    aml_append(dev, field);

    pkg = aml_package();
    aml_append(pkg, aml_string("text"));
    aml_append(pkg, aml_ones());
    aml_append(pkg, aml_int(0x123456789aULL));
    aml_append(pkg, aml_buffer((const uint8_t *)"\x01\x02\x03", 3));
    aml_append(dev, aml_name_decl("PKG", pkg));

    m = aml_method("TEST", 2, true);
    aml_append(m, aml_store(aml_zero(), aml_local(0)));
    aml_append(m, aml_store(aml_one(), aml_local(1)));
    w = aml_while(aml_less(aml_local(0), aml_arg(0)));
    aml_append(w, aml_add(aml_local(1), aml_arg(1), aml_local(1)));
    aml_append(w, aml_shiftleft(aml_local(1), aml_int(1), aml_local(2)));
    aml_append(w, aml_shiftright(aml_local(2), aml_int(2), aml_local(3)));
    aml_append(w, aml_subtract(aml_local(3), aml_one(), aml_local(3)));
    aml_append(w, aml_or(aml_local(3), aml_name("FA"), aml_name("FB")));
    aml_append(w, aml_increment(aml_local(0)));
    aml_append(m, w);
    ifb = aml_if(aml_lnot(aml_equal(aml_local(1), aml_int(10))));
    aml_append(ifb, aml_notify(aml_name("\\_SB.TDEV"), aml_int(0x80)));
    aml_append(m, ifb);
    elseb = aml_else();
    aml_append(elseb, aml_store(aml_and(aml_name("MA"), aml_int(0xff), NULL), aml_local(4)));
    aml_append(elseb, aml_add(aml_local(4), aml_local(1), aml_local(1)));
    aml_append(m, elseb);
    aml_append(m, aml_create_dword_field(aml_arg(0), aml_int(4), "CDW1"));
    aml_append(m, aml_return(aml_local(1)));
    aml_append(dev, m);
    aml_append(body, dev);
    aml_to_buf(body, t);

    stl_le_p(t->data + 4, t->len);
    t->data[9] = -acpi_checksum(t->data, t->len);
}

static void test_aml_iasl_all_ops(void)
{
    char dir[] = "/tmp/osprey-aml-XXXXXX";
    char cmd[512], out[8192], path[300];
    AcpiBuf t = { 0 };
    FILE *fp;
    int rc;
    char *dsl;

    build_all_ops_ssdt(&t);
    CHECK_EQ(acpi_checksum(t.data, t.len), 0);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/SSDT.dat", dir);
    fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fwrite(t.data, 1, t.len, fp);
        fclose(fp);
    }
    acpi_buf_free(&t);
    snprintf(cmd, sizeof(cmd), "cd %s && iasl -d SSDT.dat 2>&1 && iasl SSDT.dsl 2>&1", dir);
    rc = run_capture(cmd, out, sizeof(out));
    if (rc != 0 || strstr(out, "Error ") || strstr(out, "Warning ")) {
        char msg[400];
        const char *why = strstr(out, "Error ");
        snprintf(msg, sizeof(msg), "iasl (rc %d): %.300s", rc, why ? why : out);
        test_fail_at(__FILE__, __LINE__, msg);
    }
    snprintf(path, sizeof(path), "%s/SSDT.dsl", dir);
    dsl = read_text(path);
    CHECK(dsl != NULL);
    if (dsl) {
        static const char *const want[] = {
            "While ((Local0 < Arg0))", "Local1 += Arg1", "Local2 = (Local1 << One)",
            "Local3 = (Local2 >> 0x02)", "Local0++", "Notify (\\_SB.TDEV, 0x80)",
            "If ((Local1 != 0x0A))", "CreateDWordField (Arg0, 0x04, CDW1)",
            "OperationRegion (PIO, SystemIO, 0x0510, 0x10)",
            "OperationRegion (PMEM, SystemMemory, 0xFED10000, 0x0100)",
            "Field (PIO, WordAcc, Lock, WriteAsZeros)", "Offset (0x08)",
            "Field (PMEM, DWordAcc, NoLock, WriteAsOnes)", "MC,     95",
            "FixedIO (", "IRQ (Level, ActiveLow, Shared, )", "Memory32Fixed (ReadWrite",
            "QWordMemory (", "0x000000123456789A", "Method (TEST, 2, Serialized)",
            "EisaId (\"PNP0C02\")", "\"text\"",
        };
        for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
            if (!strstr(dsl, want[i])) {
                char msg[160];
                snprintf(msg, sizeof(msg), "SSDT lacks '%s'", want[i]);
                test_fail_at(__FILE__, __LINE__, msg);
            }
        }
        free(dsl);
    }
    if (!getenv("ACPI_TEST_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        CHECK(system(cmd) == 0);
    }
}

static void test_iasl_1cpu_128m(void)
{
    iasl_check(1, 128ULL << 20, false);
}

static void test_iasl_4cpu_5g(void)
{
    iasl_check(4, 5ULL << 30, true);
}

/* ------------------------------------------------------------------------ */
/* Loader commands as hostile input */

static const uint8_t file_a[64] = { 1, 2, 3 };
static const uint8_t file_b[16] = { 9 };

static bool run_cmds(Guest *g, AcpiBuf *cmds, Error **errp)
{
    AcpiLoaderFile files[] = {
        { "a", file_a, sizeof(file_a), 0 },
        { "b", file_b, sizeof(file_b), 0 },
    };
    AcpiLoaderArena high = { HIGH_BASE, 0x1000, 0 }, fseg = { FSEG_BASE, 0x100, 0 };
    bool ok = acpi_loader_exec(&g->as, cmds->data, cmds->len, files, 2, &high, &fseg, errp);
    if (!ok) {
        CHECK_EQ(high.used, 0);
        CHECK_EQ(fseg.used, 0);
        CHECK_EQ(files[0].addr, 0);
    }
    return ok;
}

static void expect_reject(Guest *g, AcpiBuf *cmds)
{
    Error *err = NULL;
    CHECK(!run_cmds(g, cmds, &err));
    CHECK(err != NULL);
    error_free(err);
    /* Nothing may reach guest memory when the blob is rejected. */
    CHECK_EQ(g->mem[HIGH_BASE], 0);
    CHECK_EQ(g->mem[FSEG_BASE], 0);
    acpi_buf_free(cmds);
}

static void test_loader_good(void)
{
    Guest g;
    AcpiBuf c = { 0 };
    Error *err = NULL;
    guest_init(&g);
    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_allocate(&c, "b", 16, true);
    bios_linker_add_pointer(&c, "b", 4, 4, "a");
    bios_linker_add_checksum(&c, "b", 15, 0, 16);
    CHECK(run_cmds(&g, &c, &err));
    CHECK_EQ(g.mem[HIGH_BASE + 2], 3);
    CHECK_EQ(ldl_le_p(g.mem + FSEG_BASE + 4), HIGH_BASE);
    CHECK_EQ(acpi_checksum(g.mem + FSEG_BASE, 16), 0);
    acpi_buf_free(&c);
    guest_free(&g);
}

static void test_loader_rejects(void)
{
    Guest g;
    AcpiBuf c = { 0 };
    guest_init(&g);

    bios_linker_allocate(&c, "nosuchfile", 16, false);
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 24, false); /* not a power of two */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 0, false);
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_allocate(&c, "a", 16, false); /* twice */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    c.data[BIOS_LINKER_ALLOC_ZONE] = 7; /* unknown zone */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 0x10000, true); /* alignment pushes it past the arena */
    bios_linker_allocate(&c, "b", 16, true);
    bios_linker_allocate(&c, "a", 0x1000, true);
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_allocate(&c, "b", 16, true);
    bios_linker_add_pointer(&c, "b", 13, 4, "a"); /* runs past the end of b */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_allocate(&c, "b", 16, true);
    bios_linker_add_pointer(&c, "b", 0xfffffffe, 4, "a"); /* offset overflow */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_allocate(&c, "b", 16, true);
    bios_linker_add_pointer(&c, "b", 0, 3, "a"); /* bad size */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_add_pointer(&c, "a", 0, 4, "b"); /* b never allocated */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_allocate(&c, "b", 16, true);
    bios_linker_add_pointer(&c, "b", 0, 1, "a"); /* 0x100000 does not fit one byte */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_add_checksum(&c, "a", 64, 0, 16); /* checksum byte outside */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    bios_linker_add_checksum(&c, "a", 0, 60, 0xfffffff0); /* range overflow */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    memset(c.data + BIOS_LINKER_ALLOC_FILE, 'x', BIOS_LINKER_FILE_SIZE); /* unterminated */
    expect_reject(&g, &c);

    bios_linker_allocate(&c, "a", 16, false);
    c.len -= 1; /* truncated blob */
    expect_reject(&g, &c);

    guest_free(&g);
}

/* Random corruption of a real blob must never crash (ASan watches). */
static void test_loader_fuzz(void)
{
    Guest g;
    PcAcpiConfig cfg;
    AcpiBuildTables t;
    uint32_t seed = 12345;
    unsigned accepted = 0;
    guest_init(&g);
    config_for(&cfg, 2, 256ULL << 20);
    CHECK(pc_acpi_build(&cfg, &t, NULL));
    for (int iter = 0; iter < 2000; iter++) {
        uint8_t *copy = xmalloc(t.loader.len);
        AcpiBuildTables bad = t;
        AcpiLoaderArena high = { HIGH_BASE, HIGH_SIZE, 0 }, fseg = { FSEG_BASE, FSEG_SIZE, 0 };
        Error *err = NULL;
        memcpy(copy, t.loader.data, t.loader.len);
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245 + 12345;
            copy[(seed >> 8) % t.loader.len] = seed >> 24;
        }
        bad.loader.data = copy;
        if (pc_acpi_install(&g.as, &bad, &high, &fseg, &err)) {
            accepted++;
        } else {
            CHECK(err != NULL);
            error_free(err);
        }
        free(copy);
    }
    CHECK(accepted < 2000);
    acpi_build_tables_free(&t);
    guest_free(&g);
}

static void test_build_rejects(void)
{
    PcAcpiConfig cfg;
    AcpiBuildTables t;
    Error *err = NULL;
    config_for(&cfg, 0, 128ULL << 20);
    CHECK(!pc_acpi_build(&cfg, &t, &err));
    CHECK(err != NULL);
    error_free(err);
    acpi_build_tables_free(&t);
}

/* ------------------------------------------------------------------------ */
/* SMBIOS */

static void smbios_check(unsigned cpus, uint64_t ram)
{
    Guest g;
    SmbiosConfig cfg = { .nr_cpus = cpus };
    SmbiosTables t;
    AcpiLoaderArena high = { HIGH_BASE, HIGH_SIZE, 0 }, fseg = { FSEG_BASE, FSEG_SIZE, 0 };
    Error *err = NULL;
    uint64_t anchor_addr, table_addr;
    uint8_t *a, *p, *end;
    unsigned count = 0, type_count[128] = { 0 }, max_size = 0;
    uint64_t dimm_mib = 0;
    bool saw_end = false;

    guest_init(&g);
    cfg.ram_below_4g = ram >= 0xe0000000ULL ? 0xc0000000ULL : ram;
    cfg.ram_above_4g = ram - cfg.ram_below_4g;
    cfg.uuid[0] = 0x12;
    cfg.uuid[15] = 0x34;
    CHECK(smbios_build(&cfg, &t, &err));
    /* The fw_cfg anchor is valid as it stands (address 0). */
    CHECK_EQ(acpi_checksum(t.anchor.data, 0x1f), 0);
    anchor_addr = smbios_install(&g.as, &t, &high, &fseg, &err);
    smbios_tables_free(&t);
    CHECK(anchor_addr >= FSEG_BASE && !(anchor_addr & 15));
    a = gptr(&g, anchor_addr, 0x1f);
    if (!a) {
        guest_free(&g);
        return;
    }
    CHECK(!memcmp(a, "_SM_", 4) && !memcmp(a + 0x10, "_DMI_", 5));
    CHECK_EQ(a[5], 0x1f);
    CHECK_EQ(acpi_checksum(a, 0x1f), 0);
    CHECK_EQ(acpi_checksum(a + 0x10, 0x0f), 0);
    table_addr = ldl_le_p(a + 0x18);
    CHECK(table_addr >= HIGH_BASE && table_addr < HIGH_BASE + HIGH_SIZE);
    p = gptr(&g, table_addr, lduw_le_p(a + 0x16));
    if (!p) {
        guest_free(&g);
        return;
    }
    end = p + lduw_le_p(a + 0x16);
    while (p + 4 <= end && !saw_end) {
        uint8_t type = p[0], len = p[1];
        uint8_t *s = p + len;
        CHECK(len >= 4 && p + len <= end);
        if (len < 4 || p + len > end) {
            break;
        }
        CHECK_EQ(lduw_le_p(p + 2), count); /* handles are 0, 1, 2... */
        /* Walk the string set up to its double NUL. */
        while (s + 1 < end && !(s[0] == 0 && s[1] == 0)) {
            s++;
        }
        CHECK(s + 1 < end);
        s += 2;
        if (type == 1) {
            CHECK(!memcmp(p + 8, "\x00\x00\x00\x12", 4)); /* first UUID field little-endian */
            CHECK_EQ(p[0x17], 0x34);
            CHECK(memmem(p + len, s - (p + len), "Standard PC (i440FX + PIIX, 1996)", 33));
        }
        if (type == 0) {
            CHECK(!memcmp(p + len, "Osprey", 7));
        }
        if (type == 17) {
            uint16_t sz = lduw_le_p(p + 0x0c);
            dimm_mib += sz == 0x7fff ? ldl_le_p(p + 0x1c) : sz;
        }
        type_count[type & 127]++;
        max_size = MAX(max_size, (unsigned)(s - p));
        saw_end = type == 127;
        count++;
        p = s;
    }
    CHECK(saw_end);
    CHECK(p == end);
    CHECK_EQ(count, lduw_le_p(a + 0x1c));
    CHECK_EQ(max_size, lduw_le_p(a + 0x08));
    CHECK_EQ(type_count[0], 1);
    CHECK_EQ(type_count[1], 1);
    CHECK_EQ(type_count[3], 1);
    CHECK_EQ(type_count[4], cpus);
    CHECK_EQ(type_count[16], 1);
    CHECK(type_count[17] >= 1);
    CHECK_EQ(type_count[19], cfg.ram_above_4g ? 2 : 1);
    CHECK_EQ(type_count[32], 1);
    CHECK_EQ(dimm_mib, ram >> 20);
    guest_free(&g);
}

static void test_smbios_1cpu_128m(void)
{
    smbios_check(1, 128ULL << 20);
}

static void test_smbios_4cpu_5g(void)
{
    smbios_check(4, 5ULL << 30);
}

static void test_smbios_big(void)
{
    smbios_check(2, 40ULL << 30); /* several memory devices */
}

/* ------------------------------------------------------------------------ */
/* MP table */

static void mptable_check(unsigned cpus)
{
    Guest g;
    MpTableConfig cfg = { .nr_cpus = cpus };
    Error *err = NULL;
    size_t used = 0;
    uint8_t *fp, *h;
    unsigned count[5] = { 0 }, io_ints_isa = 0, io_ints_pci = 0, bsp = 0;
    uint16_t base_len, entries;
    uint8_t pci_bus = 0xff;

    guest_init(&g);
    CHECK(mptable_install(&g.as, 0xf0000, 0x10000, &cfg, &used, &err));
    fp = gptr(&g, 0xf0000, 16);
    CHECK(!memcmp(fp, "_MP_", 4));
    CHECK_EQ(fp[8], 1);
    CHECK_EQ(fp[9], 4);
    CHECK_EQ(acpi_checksum(fp, 16), 0);
    h = gptr(&g, ldl_le_p(fp + 4), 44);
    CHECK(h && !memcmp(h, "PCMP", 4));
    if (!h) {
        guest_free(&g);
        return;
    }
    base_len = lduw_le_p(h + 4);
    entries = lduw_le_p(h + 34);
    CHECK_EQ(acpi_checksum(h, base_len), 0);
    CHECK_EQ(ldl_le_p(h + 36), 0xfee00000);
    CHECK_EQ(used, 16 + base_len);
    for (uint8_t *e = h + 44, *end = h + base_len; e < end;) {
        unsigned len = e[0] == 0 ? 20 : 8;
        if (e[0] > 4 || e + len > end) {
            CHECK(!"bad MP entry");
            break;
        }
        count[e[0]]++;
        if (e[0] == 0 && (e[3] & 2)) {
            bsp++;
        }
        if (e[0] == 1 && !memcmp(e + 2, "PCI", 3)) {
            pci_bus = e[1];
        }
        if (e[0] == 2) {
            CHECK_EQ(e[1], cpus);
            CHECK_EQ(ldl_le_p(e + 4), 0xfec00000);
        }
        if (e[0] == 3) {
            if (e[4] == pci_bus) {
                io_ints_pci++;
                /* Slot 3 INTA -> PIRQD -> IRQ 11; slot 1 INTA -> PIRQB -> IRQ 10. */
                if (e[5] == ((3 << 2) | 0)) {
                    CHECK_EQ(e[7], 11);
                }
                if (e[5] == ((1 << 2) | 0)) {
                    CHECK_EQ(e[7], 10);
                }
            } else {
                io_ints_isa++;
                if (e[5] == 0) {
                    CHECK_EQ(e[7], 2);
                }
            }
        }
        e += len;
    }
    CHECK_EQ(count[0], cpus);
    CHECK_EQ(bsp, 1);
    CHECK_EQ(count[1], 2);
    CHECK_EQ(count[2], 1);
    CHECK_EQ(io_ints_isa, 15);
    CHECK_EQ(io_ints_pci, 31 * 4);
    CHECK_EQ(count[4], 2);
    CHECK_EQ(entries, count[0] + count[1] + count[2] + count[3] + count[4]);
    guest_free(&g);
}

static void test_mptable_1cpu(void)
{
    mptable_check(1);
}

static void test_mptable_4cpu(void)
{
    mptable_check(4);
}

static void test_mptable_rejects(void)
{
    Guest g;
    MpTableConfig cfg = { .nr_cpus = 4 };
    Error *err = NULL;
    guest_init(&g);
    CHECK(!mptable_install(&g.as, 0xf0000, 64, &cfg, NULL, &err)); /* too small */
    error_free(err);
    err = NULL;
    CHECK(!mptable_install(&g.as, 0xf0008, 0x10000, &cfg, NULL, &err)); /* misaligned */
    error_free(err);
    err = NULL;
    cfg.nr_cpus = 0;
    CHECK(!mptable_install(&g.as, 0xf0000, 0x10000, &cfg, NULL, &err));
    error_free(err);
    CHECK_EQ(g.mem[0xf0000], 0);
    guest_free(&g);
}

/* ------------------------------------------------------------------------ */

int main(void)
{
    test_run("aml-integers", test_aml_integers);
    test_run("aml-names-eisaid", test_aml_names_and_eisaid);
    test_run("aml-pkglength", test_aml_pkglength);
    test_run("aml-resources", test_aml_resources);
    test_run("acpi-tables-1cpu-128m", test_tables_1cpu_128m);
    test_run("acpi-tables-4cpu-5g", test_tables_4cpu_5g);
    if (have_iasl()) {
        test_run("acpi-iasl-1cpu-128m", test_iasl_1cpu_128m);
        test_run("acpi-iasl-4cpu-5g", test_iasl_4cpu_5g);
        test_run("aml-iasl-all-ops", test_aml_iasl_all_ops);
    } else {
        test_skip("acpi-iasl-1cpu-128m", "iasl not installed (Debian package acpica-tools)");
        test_skip("acpi-iasl-4cpu-5g", "iasl not installed (Debian package acpica-tools)");
        test_skip("aml-iasl-all-ops", "iasl not installed (Debian package acpica-tools)");
    }
    test_run("acpi-build-rejects", test_build_rejects);
    test_run("loader-good", test_loader_good);
    test_run("loader-rejects", test_loader_rejects);
    test_run("loader-fuzz", test_loader_fuzz);
    test_run("smbios-1cpu-128m", test_smbios_1cpu_128m);
    test_run("smbios-4cpu-5g", test_smbios_4cpu_5g);
    test_run("smbios-40g", test_smbios_big);
    test_run("mptable-1cpu", test_mptable_1cpu);
    test_run("mptable-4cpu", test_mptable_4cpu);
    test_run("mptable-rejects", test_mptable_rejects);
    return test_summary();
}
