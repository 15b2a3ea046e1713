/*
 * Hardware-captured 80286 real-mode instruction tests (SingleStepTests
 * 80286 subset in testdata/sst-80286-real, see its README.md): every test is
 * one instruction run on a real 80286, with the state before and after.
 *
 * Each test goes through the real translation path: the test rig
 * (cpu/x86/test_rig.h) gets the initial registers and RAM, runs exactly one
 * guest instruction (delivering any exception it raises through the IVT),
 * and the result is compared with the capture.  Every capture ends in a HLT
 * (at the next instruction, or at the exception handler); the runner counts
 * that HLT itself instead of executing it, so "one instruction" stays one.
 *
 * One test.h case per opcode form ("sst286/F7.6").  Forms that metadata.json
 * marks normal must pass every test; other forms are reported as skip with
 * the reason (and, with SST_ALL=1, run for information).
 *
 * Debugging (no make needed, run the binary directly):
 *   SST_OPCODE=D7,F7.6   only these forms ("F7" selects every F7.x)
 *   SST_VERBOSE=1        a line per test, details for every failing test
 *   SST_DETAIL=N         detailed failures printed per form (default 3)
 *   SST_IDX=N            only the test with this index in each file
 *   SST_ALL=1            also run the skipped forms (reported, never FAIL)
 *   SST286_DIR=path      the test data (default below)
 *
 * 80286 behaviour that Osprey deliberately does not model, because it is a
 * 386+ CPU (each class is handled where noted, never by dropping a whole
 * normal form):
 *  - FLAGS bits 12-15 read as zero in 286 real mode; on a 386+ IOPL and NT
 *    are writable there (POPF, IRET).  The capture's initial FLAGS have
 *    random upper bits that the 286 never held, so the runner loads only the
 *    bits a 286 keeps, and compares FLAGS (and pushed FLAGS images) without
 *    bits 12-15.
 *  - MOV Sreg with reg field 4/5 (8C/8E): #UD on a 286, FS/GS on a 386+.
 *    Those tests are waived (not run) and counted.
 *  - LOCK on an instruction that cannot be locked (register destination,
 *    non-RMW instruction): the 286 ignores it, a 386+ raises #UD.  Waived
 *    (not run) and counted; Osprey's decoder decides which forms these are.
 *  - A word string instruction faulting at offset FFFFh (interrupt 13): the
 *    286 has already advanced SI/DI (and CX under REP); a 386+ faults with
 *    them at the faulting element so the instruction restarts.  Such a test
 *    runs and is waived only if nothing but SI/DI/CX differs.
 *  - Instructions longer than 10 bytes (redundant prefixes): #GP(13) on a
 *    286, valid up to 15 bytes on a 386+.  Waived (not run) and counted.
 *  - A word access at offset FFFFh of the stack segment: the 286 raises
 *    interrupt 13 for every segment overrun, a 386+ raises #SS (12) for SS.
 *    For tests expecting vector 13 the runner points IVT entry 12 at the
 *    same handler, and accepts vector 12 only when the instruction really
 *    accesses the stack (SS-based memory operand or an implicit stack op);
 *    everything else must still match.
 *  - Prefetch-queue effects (a store into the bytes of the next instruction
 *    that the 286 had already fetched): the data set has none (no capture
 *    writes into its own instruction bytes and every queue is empty), so
 *    nothing is needed; a capture that did would show up as a failure.
 *  - PUSH SP pushes the old SP and shift/rotate counts are masked to 5 bits
 *    on both the 286 and the 386, so neither needs any special case.
 */
#include "core/json.h"
#include "cpu/x86/cpu.h"
#include "cpu/x86/decode.h"
#include "cpu/x86/test_rig.h"
#include "tests/unit/test.h"

#include <dirent.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

/*
 * The CPU core and the rig are written in parallel with this runner; weak
 * references let this test link (and skip with a reason) before they exist.
 */
#pragma weak x86_rig_new
#pragma weak x86_rig_free
#pragma weak x86_rig_env
#pragma weak x86_rig_ram
#pragma weak x86_rig_ram_size
#pragma weak x86_rig_code_changed
#pragma weak x86_rig_enter_mode
#pragma weak x86_rig_run
#pragma weak x86_get_eflags
#pragma weak x86_put_eflags
#pragma weak x86_update_hflags

#define SST_DEFAULT_DIR "/work/shared/testdata/sst-80286-real"
#define SST_RAM_SIZE (16u << 20)

/* FLAGS bits a 286 holds in real mode: CF PF AF ZF SF TF IF DF OF. */
#define SST_FLAGS_286 0x0FD5u
#define SST_FLAGS_FIXED 0x0002u

/* Register order used everywhere in this file (the capture's key names). */
enum {
    SR_AX, SR_BX, SR_CX, SR_DX, SR_CS, SR_SS, SR_DS, SR_ES,
    SR_SP, SR_BP, SR_SI, SR_DI, SR_IP, SR_FLAGS, SST_NREGS
};
static const char *const sst_reg_names[SST_NREGS] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
};

typedef struct SstRam {
    uint32_t addr;
    uint8_t val;
} SstRam;

typedef struct SstTest {
    int idx;
    char name[80];
    char hash[48];
    uint8_t bytes[32];
    int nbytes;
    uint16_t init[SST_NREGS];
    uint16_t fin[SST_NREGS];  /* final values; unchanged registers copied from init */
    uint32_t fin_listed;      /* bit per register present in final.regs */
    SstRam *iram, *fram;
    size_t niram, nfram;
    int exc;                  /* expected exception vector, or -1 */
    uint32_t flag_addr;       /* where the exception pushed FLAGS */
} SstTest;

static void sst_test_clear(SstTest *t)
{
    free(t->iram);
    free(t->fram);
    memset(t, 0, sizeof(*t));
}

/* ---- parsing ---- */

static bool sst_get_uint(const JsonValue *obj, const char *key, uint64_t max, uint64_t *out)
{
    int64_t v;
    if (!json_as_int(json_object_get(obj, key), &v) || v < 0 || (uint64_t)v > max) {
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

static bool sst_parse_regs(const JsonValue *regs, uint16_t *out, uint32_t *listed, bool all,
                           char *err, size_t errlen)
{
    if (json_type(regs) != JSON_OBJECT) {
        snprintf(err, errlen, "regs is not an object");
        return false;
    }
    for (int i = 0; i < SST_NREGS; i++) {
        JsonValue *v = json_object_get(regs, sst_reg_names[i]);
        uint64_t u;
        if (!v) {
            if (all) {
                snprintf(err, errlen, "initial regs lack %s", sst_reg_names[i]);
                return false;
            }
            continue;
        }
        if (!sst_get_uint(regs, sst_reg_names[i], 0xFFFF, &u)) {
            snprintf(err, errlen, "bad value for %s", sst_reg_names[i]);
            return false;
        }
        out[i] = (uint16_t)u;
        if (listed) {
            *listed |= 1u << i;
        }
    }
    return true;
}

static bool sst_parse_ram(const JsonValue *arr, SstRam **out, size_t *n, char *err,
                          size_t errlen)
{
    size_t len = json_array_len(arr);
    if (json_type(arr) != JSON_ARRAY) {
        snprintf(err, errlen, "ram is not an array");
        return false;
    }
    *out = calloc(len ? len : 1, sizeof(SstRam));
    *n = len;
    for (size_t i = 0; i < len; i++) {
        JsonValue *e = json_array_get(arr, i);
        int64_t a, b;
        if (json_type(e) != JSON_ARRAY || json_array_len(e) != 2 ||
            !json_as_int(json_array_get(e, 0), &a) || !json_as_int(json_array_get(e, 1), &b) ||
            a < 0 || a >= SST_RAM_SIZE || b < 0 || b > 255) {
            snprintf(err, errlen, "bad ram entry %zu", i);
            return false;
        }
        (*out)[i].addr = (uint32_t)a;
        (*out)[i].val = (uint8_t)b;
    }
    return true;
}

/* Parse one line of a .jsonl file into t.  On failure t is cleared and err says why. */
static bool sst_parse_test(const char *line, size_t len, SstTest *t, char *err, size_t errlen)
{
    Error *jerr = NULL;
    JsonValue *v = json_parse(line, len, &jerr);
    bool ok = false;

    memset(t, 0, sizeof(*t));
    t->exc = -1;
    if (!v) {
        snprintf(err, errlen, "%s", jerr ? jerr->msg : "parse error");
        error_free(jerr);
        return false;
    }
    do {
        uint64_t u;
        const JsonValue *init = json_object_get(v, "initial");
        const JsonValue *fin = json_object_get(v, "final");
        const JsonValue *bytes = json_object_get(v, "bytes");
        const JsonValue *exc = json_object_get(v, "exception");
        const char *s;

        if (json_type(v) != JSON_OBJECT || !init || !fin || json_type(bytes) != JSON_ARRAY) {
            snprintf(err, errlen, "test lacks initial/final/bytes");
            break;
        }
        if (sst_get_uint(v, "idx", INT32_MAX, &u)) {
            t->idx = (int)u;
        }
        s = json_as_string(json_object_get(v, "name"));
        snprintf(t->name, sizeof(t->name), "%s", s ? s : "?");
        s = json_as_string(json_object_get(v, "hash"));
        snprintf(t->hash, sizeof(t->hash), "%s", s ? s : "");
        if (json_array_len(bytes) == 0 || json_array_len(bytes) > sizeof(t->bytes)) {
            snprintf(err, errlen, "bad bytes length");
            break;
        }
        t->nbytes = (int)json_array_len(bytes);
        bool bad = false;
        for (int i = 0; i < t->nbytes; i++) {
            int64_t b;
            if (!json_as_int(json_array_get(bytes, i), &b) || b < 0 || b > 255) {
                bad = true;
                break;
            }
            t->bytes[i] = (uint8_t)b;
        }
        if (bad) {
            snprintf(err, errlen, "bad instruction byte");
            break;
        }
        if (!sst_parse_regs(json_object_get(init, "regs"), t->init, NULL, true, err, errlen)) {
            break;
        }
        memcpy(t->fin, t->init, sizeof(t->fin));
        if (!sst_parse_regs(json_object_get(fin, "regs"), t->fin, &t->fin_listed, false, err,
                            errlen)) {
            break;
        }
        if (!sst_parse_ram(json_object_get(init, "ram"), &t->iram, &t->niram, err, errlen) ||
            !sst_parse_ram(json_object_get(fin, "ram"), &t->fram, &t->nfram, err, errlen)) {
            break;
        }
        if (exc) {
            if (!sst_get_uint(exc, "number", 255, &u)) {
                snprintf(err, errlen, "bad exception number");
                break;
            }
            t->exc = (int)u;
            if (!sst_get_uint(exc, "flag_address", SST_RAM_SIZE - 2, &u)) {
                snprintf(err, errlen, "bad exception flag_address");
                break;
            }
            t->flag_addr = (uint32_t)u;
        }
        ok = true;
    } while (0);
    json_free(v);
    if (!ok) {
        sst_test_clear(t);
    }
    return ok;
}

/* Read one whole line from a gzip stream into *buf (grown as needed).  False at EOF. */
static bool sst_gz_line(gzFile gz, char **buf, size_t *cap, size_t *len)
{
    *len = 0;
    for (;;) {
        if (*cap - *len < 2) {
            *cap = *cap ? *cap * 2 : 4096;
            *buf = realloc(*buf, *cap);
            if (!*buf) {
                abort();
            }
        }
        if (!gzgets(gz, *buf + *len, (int)(*cap - *len))) {
            return *len > 0;
        }
        *len += strlen(*buf + *len);
        if (*len > 0 && (*buf)[*len - 1] == '\n') {
            (*buf)[--*len] = 0;
            return true;
        }
    }
}

/* ---- metadata ---- */

typedef enum SstStatus {
    SST_NORMAL,     /* must pass */
    SST_SKIP,       /* reported as skip with the reason */
} SstStatus;

typedef struct SstForm {
    char name[16];      /* file stem: "F7.6" */
    SstStatus status;
    const char *reason; /* for SST_SKIP */
    char meta_status[24];
    uint16_t flags_mask;
    /*
     * A file without ".R" for an opcode that metadata describes per ModRM
     * reg field (8F, C6, C7 hold every reg value in one file): each test
     * takes the status and mask of its own reg field.
     */
    bool per_reg;
    SstStatus reg_status[8];
    uint16_t reg_mask[8];
    const char *reg_reason[8];
} SstForm;

/*
 * Why each metadata status other than "normal" is skipped.  These are forms
 * the 286 defines differently from (or not at all like) a 386+.
 */
static const char *sst_skip_reason(const char *status)
{
    if (!strcmp(status, "undefined")) {
        return "metadata: undefined on the 80286 (a 386+ raises #UD or decodes another "
               "instruction here)";
    }
    if (!strcmp(status, "undocumented")) {
        return "metadata: undocumented 286 behaviour (e.g. SAL alias /6, SALC), not part "
               "of the architecture Osprey models";
    }
    if (!strcmp(status, "alias")) {
        return "metadata: alias encoding (not part of the acceptance set)";
    }
    if (!strcmp(status, "fpu")) {
        return "metadata: x87 escape; the captured 286 had no 80287, while Osprey's CPU "
               "has an integrated x87";
    }
    if (!strcmp(status, "prefix")) {
        return "metadata: prefix, not an instruction";
    }
    return "metadata: not a normal instruction form";
}

/* Status and mask of one metadata entry. */
static void sst_entry_meta(const JsonValue *e, char *status, size_t statuslen, SstStatus *st,
                           uint16_t *mask, const char **reason)
{
    const char *s = json_as_string(json_object_get(e, "status"));
    int64_t m;

    snprintf(status, statuslen, "%s", s ? s : "?");
    *mask = 0xFFFF;
    if (json_as_int(json_object_get(e, "flags-mask"), &m) && m >= 0 && m <= 0xFFFF) {
        *mask = (uint16_t)m;
    }
    if (s && !strcmp(s, "normal")) {
        *st = SST_NORMAL;
        *reason = NULL;
    } else {
        *st = SST_SKIP;
        *reason = sst_skip_reason(status);
    }
}

/* Fill f from metadata (opcodes[OP] or opcodes[OP].reg[R]).  False if absent. */
static bool sst_form_meta(const JsonValue *opcodes, const char *stem, SstForm *f)
{
    char op[8];
    const char *dot = strchr(stem, '.');
    size_t oplen = dot ? (size_t)(dot - stem) : strlen(stem);
    const JsonValue *e;
    const JsonValue *regs;

    if (oplen >= sizeof(op)) {
        return false;
    }
    memcpy(op, stem, oplen);
    op[oplen] = 0;
    e = json_object_get(opcodes, op);
    regs = json_object_get(e, "reg");
    if (dot) {
        e = json_object_get(regs, dot + 1);
    } else if (regs) {
        char st[24];
        f->per_reg = true;
        f->status = SST_SKIP;
        f->reason = "metadata: no ModRM reg value of this opcode is a normal form";
        f->flags_mask = 0xFFFF;
        snprintf(f->meta_status, sizeof(f->meta_status), "per-reg");
        for (int r = 0; r < 8; r++) {
            char key[2] = { (char)('0' + r), 0 };
            const JsonValue *re = json_object_get(regs, key);
            f->reg_status[r] = SST_SKIP;
            f->reg_mask[r] = 0xFFFF;
            f->reg_reason[r] = "metadata: reg value not described";
            if (re) {
                sst_entry_meta(re, st, sizeof(st), &f->reg_status[r], &f->reg_mask[r],
                               &f->reg_reason[r]);
            }
            if (f->reg_status[r] == SST_NORMAL) {
                f->status = SST_NORMAL;
                f->reason = NULL;
            }
        }
        return true;
    }
    if (!e) {
        return false;
    }
    sst_entry_meta(e, f->meta_status, sizeof(f->meta_status), &f->status, &f->flags_mask,
                   &f->reason);
    return true;
}

/* ---- comparison (independent of the CPU, unit-checked below) ---- */

/* What the CPU produced: registers in capture order and a view of RAM. */
typedef struct SstState {
    uint16_t regs[SST_NREGS];
    const uint8_t *ram;
    uint64_t ram_size;
} SstState;

typedef struct SstDiff {
    int nregs, nram;
    uint32_t regmask;   /* bit per differing register */
    char text[2048];
    size_t len;
} SstDiff;

static void PRINTF_FMT(2, 3) sst_diff_add(SstDiff *d, const char *fmt, ...)
{
    va_list ap;
    if (d->len >= sizeof(d->text) - 1) {
        return;
    }
    va_start(ap, fmt);
    int n = vsnprintf(d->text + d->len, sizeof(d->text) - d->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        d->len += (size_t)n;
        if (d->len >= sizeof(d->text)) {
            d->len = sizeof(d->text) - 1;
        }
    }
}

static const SstRam *sst_find_ram(const SstRam *r, size_t n, uint32_t addr)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].addr == addr) {
            return &r[i];
        }
    }
    return NULL;
}

/* Expected byte at addr: final if listed, else initial; false if the test does not say. */
static bool sst_expected_byte(const SstTest *t, uint32_t addr, uint8_t *out)
{
    const SstRam *r = sst_find_ram(t->fram, t->nfram, addr);
    if (!r) {
        r = sst_find_ram(t->iram, t->niram, addr);
    }
    if (r) {
        *out = r->val;
    }
    return r != NULL;
}

/*
 * Compare got with the capture.  flags_mask is the form's metadata mask;
 * FLAGS are compared only in the bits a 286 holds (see the top comment), and
 * so is the FLAGS image an exception pushed.  Returns true on a match.
 */
static bool sst_compare(const SstTest *t, const SstState *got, uint16_t flags_mask, SstDiff *d)
{
    uint16_t fmask = flags_mask & SST_FLAGS_286;
    /*
     * Where the exception pushed FLAGS: SS:SP+4 after delivery.  The
     * capture's flag_address is word-aligned, one byte off when SP is odd,
     * so it is only used for the printout.
     */
    uint32_t ssbase = (uint32_t)t->fin[SR_SS] << 4;
    uint32_t flag_lo = ssbase + (uint16_t)(t->fin[SR_SP] + 4);
    uint32_t flag_hi = ssbase + (uint16_t)(t->fin[SR_SP] + 5);

    memset(d, 0, sizeof(*d));
    for (int i = 0; i < SST_NREGS; i++) {
        uint16_t exp = t->fin[i], g = got->regs[i];
        if (i == SR_FLAGS) {
            exp &= fmask;
            g &= fmask;
        }
        if (exp != g) {
            d->nregs++;
            d->regmask |= 1u << i;
            sst_diff_add(d, "  %-5s expected %04x got %04x", sst_reg_names[i], t->fin[i],
                         got->regs[i]);
            if (i == SR_FLAGS) {
                sst_diff_add(d, " (compared under mask %04x: differ in %04x)", fmask,
                             (t->fin[i] ^ got->regs[i]) & fmask);
            }
            sst_diff_add(d, "\n");
        }
    }
    /* Every byte the test names, initial or final: catches stores to the wrong place too. */
    for (int pass = 0; pass < 2; pass++) {
        const SstRam *list = pass ? t->iram : t->fram;
        size_t n = pass ? t->niram : t->nfram;
        for (size_t i = 0; i < n; i++) {
            uint32_t a = list[i].addr;
            uint8_t exp, g, m = 0xFF;
            if (pass && sst_find_ram(t->fram, t->nfram, a)) {
                continue; /* already compared as a final byte */
            }
            if (!sst_expected_byte(t, a, &exp) || a >= got->ram_size) {
                continue;
            }
            g = got->ram[a];
            if (t->exc >= 0 && a == flag_lo) {
                m = (uint8_t)fmask;
            } else if (t->exc >= 0 && a == flag_hi) {
                m = (uint8_t)(fmask >> 8);
            }
            if ((exp & m) != (g & m)) {
                d->nram++;
                sst_diff_add(d, "  ram[%06x] expected %02x got %02x%s\n", a, exp, g,
                             m != 0xFF ? " (pushed FLAGS, masked)" : "");
            }
        }
    }
    return d->nregs == 0 && d->nram == 0;
}

static void sst_print_test(const SstTest *t, const char *form)
{
    printf("# --- %s idx %d \"%s\" hash %s\n#   bytes:", form, t->idx, t->name, t->hash);
    for (int i = 0; i < t->nbytes; i++) {
        printf(" %02x", t->bytes[i]);
    }
    printf("\n#   initial:");
    for (int i = 0; i < SST_NREGS; i++) {
        printf(" %s=%04x", sst_reg_names[i], t->init[i]);
    }
    printf("\n#   initial ram (%zu bytes):", t->niram);
    for (size_t i = 0; i < t->niram && i < 32; i++) {
        printf(" %05x:%02x", t->iram[i].addr, t->iram[i].val);
    }
    printf("%s\n", t->niram > 32 ? " ..." : "");
    printf("#   expected:");
    for (int i = 0; i < SST_NREGS; i++) {
        if (t->fin_listed & (1u << i)) {
            printf(" %s=%04x", sst_reg_names[i], t->fin[i]);
        }
    }
    if (t->exc >= 0) {
        printf("  exception %d (FLAGS pushed at %05x)", t->exc, t->flag_addr);
    }
    printf("\n");
}

static void sst_print_diff(const SstDiff *d)
{
    const char *p = d->text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("#%.*s\n", n, p);
        p += n + (nl ? 1 : 0);
    }
}

/* ---- instruction facts needed for the 286/386 differences ---- */

/* Offset of the opcode after the legacy prefixes a 286 knows. */
static int sst_opcode_offset(const SstTest *t)
{
    int i = 0;
    while (i < t->nbytes) {
        uint8_t b = t->bytes[i];
        if (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF0 || b == 0xF2 ||
            b == 0xF3) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

static bool sst_is_rep_string(const SstTest *t)
{
    int off = sst_opcode_offset(t);
    bool rep = false;
    for (int i = 0; i < off; i++) {
        rep |= t->bytes[i] == 0xF2 || t->bytes[i] == 0xF3;
    }
    if (!rep || off >= t->nbytes) {
        return false;
    }
    uint8_t op = t->bytes[off];
    return (op >= 0x6C && op <= 0x6F) || (op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF);
}

/* True if the instruction touches the stack segment: the case where a 386+ says #SS. */
static bool sst_uses_stack(const SstTest *t)
{
    int off = sst_opcode_offset(t);
    DecodedInsn d;
    uint8_t op;

    if (off >= t->nbytes) {
        return false;
    }
    op = t->bytes[off];
    switch (op) {
    case 0x06: case 0x07: case 0x0E: case 0x16: case 0x17: case 0x1E: case 0x1F:
    case 0x60: case 0x61: case 0x68: case 0x6A: case 0x8F: case 0x9A: case 0x9C: case 0x9D:
    case 0xC2: case 0xC3: case 0xC8: case 0xC9: case 0xCA: case 0xCB: case 0xCC: case 0xCD:
    case 0xCE: case 0xCF: case 0xE8:
        return true;
    default:
        break;
    }
    if (op >= 0x50 && op <= 0x5F) {
        return true;
    }
    if (op == 0xFF && off + 1 < t->nbytes) {
        unsigned reg = (t->bytes[off + 1] >> 3) & 7;
        if (reg == 2 || reg == 3 || reg == 6) {
            return true;
        }
    }
    if (x86_decode_buf(&d, X86_MODE_REAL, false, 0, 0, t->bytes, (size_t)t->nbytes) ==
            X86_DEC_OK && d.has_mem && d.mem.seg == X86_SEG_SS) {
        return true;
    }
    return false;
}

/* The last segment-override prefix byte, or 0. */
static uint8_t sst_last_seg(const SstTest *t)
{
    uint8_t seg = 0;
    for (int i = 0; i < sst_opcode_offset(t); i++) {
        uint8_t b = t->bytes[i];
        if (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E) {
            seg = b;
        }
    }
    return seg;
}

static bool sst_is_word_string(const SstTest *t)
{
    int off = sst_opcode_offset(t);
    if (off >= t->nbytes) {
        return false;
    }
    uint8_t op = t->bytes[off];
    return op == 0x6D || op == 0x6F || op == 0xA5 || op == 0xA7 || op == 0xAB || op == 0xAD ||
           op == 0xAF;
}

/* MOV to/from FS/GS encodings (8C/8E reg 4-5): #UD on a 286. */
static bool sst_is_mov_fsgs(const SstTest *t)
{
    int off = sst_opcode_offset(t);
    if (off + 1 >= t->nbytes || (t->bytes[off] != 0x8C && t->bytes[off] != 0x8E)) {
        return false;
    }
    unsigned reg = (t->bytes[off + 1] >> 3) & 7;
    return reg == 4 || reg == 5;
}

/*
 * LOCK on a form that cannot be locked (register destination, or not a
 * read-modify-write instruction): the 286 ignores the prefix, a 386+ raises
 * #UD.  Osprey's decoder says which forms those are.
 */
static bool sst_is_bad_lock(const SstTest *t)
{
    DecodedInsn d;
    bool lock = false;
    int off = sst_opcode_offset(t);

    for (int i = 0; i < off; i++) {
        lock |= t->bytes[i] == 0xF0;
    }
    return lock &&
           x86_decode_buf(&d, X86_MODE_REAL, false, 0, 0, t->bytes, (size_t)t->nbytes) ==
               X86_DEC_UD && d.ud_reason == X86_UD_LOCK;
}

/* ---- running one test on the CPU ---- */

typedef enum SstOutcome {
    SST_PASS,
    SST_PASS_SS_FOR_GP, /* passed with #SS where the 286 raised #GP on a stack overrun */
    SST_FAIL,
    SST_WAIVED,         /* MOV FS/GS, a known 286-only behaviour: not run */
    SST_WAIVED_LOCK,    /* LOCK on a non-lockable form: not run */
    SST_WAIVED_LEN,     /* over the 286's 10-byte instruction limit: not run */
    SST_WAIVED_STRFAULT, /* ran; differs only in the 286's SI/DI/CX after a string fault */
} SstOutcome;

typedef struct SstRunner {
    X86TestRig *rig;
    uint8_t *ram;
    uint64_t ram_size;
    uint32_t *touched;
    size_t ntouched, cap_touched;
} SstRunner;

static void sst_touch(SstRunner *r, uint32_t addr)
{
    if (r->ntouched == r->cap_touched) {
        r->cap_touched = r->cap_touched ? r->cap_touched * 2 : 256;
        r->touched = realloc(r->touched, r->cap_touched * sizeof(*r->touched));
        if (!r->touched) {
            abort();
        }
    }
    r->touched[r->ntouched++] = addr;
}

static const char *const sst_stop_names[] = { "count", "hlt", "exception", "shutdown" };

static SstOutcome sst_run_one(SstRunner *r, const SstTest *t, uint16_t flags_mask, SstDiff *d,
                              char *note, size_t notelen)
{
    CPUX86State *env;
    X86RigResult res;
    SstState got;
    int vec = -1;
    bool alias_ss = false;
    bool hlt_problem = false;
    bool ok;

    note[0] = 0;
    if (sst_is_mov_fsgs(t)) {
        snprintf(note, notelen, "MOV with FS/GS: #UD on a 286, valid on a 386+");
        return SST_WAIVED;
    }
    if (t->exc == EXCP_GP && t->nbytes - 1 > 10) {
        snprintf(note, notelen, "longer than 10 bytes: #GP on a 286, valid up to 15 on a 386+");
        return SST_WAIVED_LEN;
    }
    if (sst_is_bad_lock(t)) {
        snprintf(note, notelen, "LOCK on a non-lockable form: ignored by a 286, #UD on a 386+");
        return SST_WAIVED_LOCK;
    }

    x86_rig_enter_mode(r->rig, X86_RIG_REAL, 0);
    env = x86_rig_env(r->rig);
    env->a20_mask = ~(uint64_t)0; /* the capture rig had A20 enabled */
    env->regs[R_EAX] = t->init[SR_AX];
    env->regs[R_EBX] = t->init[SR_BX];
    env->regs[R_ECX] = t->init[SR_CX];
    env->regs[R_EDX] = t->init[SR_DX];
    env->regs[R_ESP] = t->init[SR_SP];
    env->regs[R_EBP] = t->init[SR_BP];
    env->regs[R_ESI] = t->init[SR_SI];
    env->regs[R_EDI] = t->init[SR_DI];
    x86_load_seg_real(env, R_CS, t->init[SR_CS]);
    x86_load_seg_real(env, R_SS, t->init[SR_SS]);
    x86_load_seg_real(env, R_DS, t->init[SR_DS]);
    x86_load_seg_real(env, R_ES, t->init[SR_ES]);
    for (int s = 0; s < X86_NR_SEGS; s++) {
        env->segs[s].limit = 0xFFFF; /* real mode: 64 KiB segments, as on the 286 */
    }
    env->rip = t->init[SR_IP];
    x86_put_eflags(env, (t->init[SR_FLAGS] & SST_FLAGS_286) | SST_FLAGS_FIXED);
    x86_update_hflags(env);

    for (size_t i = 0; i < t->niram; i++) {
        r->ram[t->iram[i].addr] = t->iram[i].val;
        sst_touch(r, t->iram[i].addr);
    }
    for (size_t i = 0; i < t->nfram; i++) {
        sst_touch(r, t->fram[i].addr);
    }
    /* A 386+ raises #SS where the 286 said 13: give vector 12 the same handler. */
    if (t->exc == EXCP_GP && !sst_find_ram(t->iram, t->niram, 12 * 4) &&
        !sst_find_ram(t->iram, t->niram, 12 * 4 + 3)) {
        for (uint32_t i = 0; i < 4; i++) {
            r->ram[12 * 4 + i] = r->ram[13 * 4 + i];
            sst_touch(r, 12 * 4 + i);
        }
        alias_ss = true;
    }
    x86_rig_code_changed(r->rig);

    /*
     * First with stop_on_exception, to learn the vector; then again to
     * deliver it.  A REP string instruction may come back after each
     * iteration with IP unchanged: keep going (CX bounds it on the 286).
     */
    uint64_t start = env->segs[R_CS].base + env->rip;
    bool rep = sst_is_rep_string(t);
    for (int iter = 0;; iter++) {
        res = x86_rig_run(r->rig, 1, true);
        if (res.stop == X86_RIG_STOP_EXCEPTION) {
            vec = res.vector;
            res = x86_rig_run(r->rig, 1, false);
            break;
        }
        if (res.stop != X86_RIG_STOP_COUNT || !rep || iter > 0x20000 ||
            env->segs[R_CS].base + env->rip != start) {
            break;
        }
    }

    got.regs[SR_AX] = (uint16_t)env->regs[R_EAX];
    got.regs[SR_BX] = (uint16_t)env->regs[R_EBX];
    got.regs[SR_CX] = (uint16_t)env->regs[R_ECX];
    got.regs[SR_DX] = (uint16_t)env->regs[R_EDX];
    got.regs[SR_SP] = (uint16_t)env->regs[R_ESP];
    got.regs[SR_BP] = (uint16_t)env->regs[R_EBP];
    got.regs[SR_SI] = (uint16_t)env->regs[R_ESI];
    got.regs[SR_DI] = (uint16_t)env->regs[R_EDI];
    got.regs[SR_CS] = env->segs[R_CS].selector;
    got.regs[SR_SS] = env->segs[R_SS].selector;
    got.regs[SR_DS] = env->segs[R_DS].selector;
    got.regs[SR_ES] = env->segs[R_ES].selector;
    got.regs[SR_IP] = (uint16_t)env->rip;
    got.regs[SR_FLAGS] = (uint16_t)x86_get_eflags(env);
    got.ram = r->ram;
    got.ram_size = r->ram_size;

    /*
     * The HLT that ends every capture: count it instead of running it.  A
     * faulting instruction does not complete, so the rig may already have
     * gone on to run the handler's HLT (env->halted says so).
     */
    if (res.stop == X86_RIG_STOP_COUNT && !env->halted) {
        uint64_t lin = env->segs[R_CS].base + (env->rip & 0xFFFF);
        if (lin < r->ram_size && r->ram[lin] == 0xF4) {
            got.regs[SR_IP] = (uint16_t)(got.regs[SR_IP] + 1);
        } else {
            snprintf(note, notelen, "no HLT at %04x:%04x after the instruction",
                     got.regs[SR_CS], got.regs[SR_IP]);
            hlt_problem = true;
        }
    } else if (res.stop != X86_RIG_STOP_HLT && res.stop != X86_RIG_STOP_COUNT) {
        snprintf(note, notelen, "rig stopped with '%s'",
                 res.stop < 4 ? sst_stop_names[res.stop] : "?");
        hlt_problem = true;
    }

    ok = sst_compare(t, &got, flags_mask, d);
    if (vec != t->exc) {
        size_t n = strlen(note);
        char e1[24], e2[24];
        snprintf(e1, sizeof(e1), t->exc < 0 ? "no exception" : "exception %d", t->exc);
        snprintf(e2, sizeof(e2), vec < 0 ? "no exception" : "exception %d", vec);
        snprintf(note + n, notelen - n, "%sexpected %s, raised %s", n ? "; " : "", e1, e2);
    }

    /* Clean the RAM for the next test; the CPU reads only what a test lists. */
    for (size_t i = 0; i < r->ntouched; i++) {
        r->ram[r->touched[i]] = 0;
    }
    r->ntouched = 0;

    if (!ok || note[0]) {
        /*
         * A word string op at offset FFFFh: the 286 has already advanced
         * SI/DI (and CX under REP) when it raises 13; a 386+ faults with them
         * at the faulting element, so the instruction restarts.
         */
        bool vec_ok = vec == EXCP_GP ||
                      (vec == EXCP_SS && alias_ss && sst_last_seg(t) == 0x36);
        if (!ok && !hlt_problem && t->exc == EXCP_GP && vec_ok &&
            sst_is_word_string(t) && d->nram == 0 &&
            !(d->regmask & ~((1u << SR_SI) | (1u << SR_DI) | (1u << SR_CX)))) {
            snprintf(note, notelen, "word string op fault at FFFFh: 286 advanced SI/DI/CX");
            return SST_WAIVED_STRFAULT;
        }
        if (ok && !hlt_problem && alias_ss && t->exc == EXCP_GP && vec == EXCP_SS && sst_uses_stack(t)) {
            return SST_PASS_SS_FOR_GP;
        }
        return SST_FAIL;
    }
    return SST_PASS;
}

/* ---- the forms ---- */

typedef struct SstConfig {
    const char *dir;
    const char *only;   /* SST_OPCODE */
    bool verbose, all;
    int detail;
    int idx;            /* SST_IDX or -1 */
} SstConfig;

typedef struct SstTotals {
    int forms, skipped_forms, failed_forms;
    long tests, passed, failed, waived, waived_lock, waived_len, waived_str, ss_for_gp, revoked, other_reg, info_passed, info_failed;
} SstTotals;

static SstConfig sst_cfg;
static SstTotals sst_tot;
static SstRunner sst_runner;
static char **sst_revoked;
static size_t sst_nrevoked;
static const SstForm *sst_cur_form;

static bool sst_is_revoked(const char *hash)
{
    for (size_t i = 0; i < sst_nrevoked; i++) {
        if (!strcmp(sst_revoked[i], hash)) {
            return true;
        }
    }
    return false;
}

static void sst_load_revocations(const char *dir)
{
    char path[1024];
    char line[256];
    snprintf(path, sizeof(path), "%s/revocation_list.txt", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        return;
    }
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\r\n \t")] = 0;
        if (line[0] == 0 || line[0] == '#') {
            continue;
        }
        sst_revoked = realloc(sst_revoked, (sst_nrevoked + 1) * sizeof(*sst_revoked));
        if (!sst_revoked) {
            abort();
        }
        sst_revoked[sst_nrevoked++] = strdup(line);
    }
    fclose(fp);
}

typedef struct SstCounts {
    long pass, fail;
    long waived;        /* MOV FS/GS: not run */
    long waived_lock;   /* LOCK on a non-lockable form: not run */
    long waived_len;    /* longer than 10 bytes (286 #GP): not run */
    long waived_str;    /* word string fault at FFFFh: SI/DI/CX as the 286 left them */
    long ss_for_gp;     /* passed, with #SS where the 286 raised 13 */
    long revoked;       /* in revocation_list.txt */
    long other_reg;     /* per-reg files: tests whose reg field is not a normal form */
    long info_pass, info_fail; /* SST_ALL: those tests run for information */
} SstCounts;

/*
 * Run every test of one form.  Returns false (and says why in why) if the
 * file could not be read.  informational: the whole form is not required.
 */
static bool sst_run_form(const SstForm *f, bool informational, SstCounts *c, char *why,
                         size_t whylen)
{
    char path[1024];
    char *line = NULL;
    size_t cap = 0, len;
    int detailed = 0;
    long lineno = 0;
    gzFile gz;

    memset(c, 0, sizeof(*c));
    snprintf(path, sizeof(path), "%s/%s.jsonl.gz", sst_cfg.dir, f->name);
    gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(why, whylen, "cannot open %.300s", path);
        return false;
    }
    while (sst_gz_line(gz, &line, &cap, &len)) {
        SstTest t;
        SstDiff d;
        char err[160], note[256];
        uint16_t mask = f->flags_mask;
        bool info = informational;

        lineno++;
        if (len == 0) {
            continue;
        }
        if (!sst_parse_test(line, len, &t, err, sizeof(err))) {
            snprintf(why, whylen, "%s.jsonl.gz line %ld: %s", f->name, lineno, err);
            free(line);
            gzclose(gz);
            return false;
        }
        if (sst_cfg.idx >= 0 && t.idx != sst_cfg.idx) {
            sst_test_clear(&t);
            continue;
        }
        if (sst_is_revoked(t.hash)) {
            c->revoked++;
            sst_test_clear(&t);
            continue;
        }
        if (f->per_reg) {
            int off = sst_opcode_offset(&t);
            unsigned reg = off + 1 < t.nbytes ? (t.bytes[off + 1] >> 3) & 7 : 0;
            mask = f->reg_mask[reg];
            if (f->reg_status[reg] != SST_NORMAL) {
                c->other_reg++;
                if (!sst_cfg.all) {
                    sst_test_clear(&t);
                    continue;
                }
                info = true;
            }
        }
        SstOutcome o = sst_run_one(&sst_runner, &t, mask, &d, note, sizeof(note));
        if (info) {
            if (o == SST_FAIL) {
                c->info_fail++;
            } else if (o == SST_PASS || o == SST_PASS_SS_FOR_GP) {
                c->info_pass++;
            }
        } else {
            switch (o) {
            case SST_PASS:
                c->pass++;
                break;
            case SST_PASS_SS_FOR_GP:
                c->pass++;
                c->ss_for_gp++;
                break;
            case SST_WAIVED:
                c->waived++;
                break;
            case SST_WAIVED_LOCK:
                c->waived_lock++;
                break;
            case SST_WAIVED_LEN:
                c->waived_len++;
                break;
            case SST_WAIVED_STRFAULT:
                c->waived_str++;
                break;
            case SST_FAIL:
                c->fail++;
                break;
            }
        }
        if (sst_cfg.verbose) {
            printf("# %s idx %d \"%s\": %s%s%s%s\n", f->name, t.idx, t.name,
                   o == SST_FAIL                                   ? "FAILED"
                   : o != SST_PASS && o != SST_PASS_SS_FOR_GP ? "waived"
                                                             : "passed",
                   info ? " (informational)" : "", note[0] ? ": " : "", note);
        }
        if (o == SST_FAIL && (sst_cfg.verbose || (!info && detailed < sst_cfg.detail))) {
            detailed++;
            sst_print_test(&t, f->name);
            if (note[0]) {
                printf("#   note: %s\n", note);
            }
            sst_print_diff(&d);
        } else if (o == SST_FAIL && !info && detailed == sst_cfg.detail) {
            detailed++;
            printf("# %s: further failures not shown (SST_OPCODE=%s SST_VERBOSE=1 shows all)\n",
                   f->name, f->name);
        }
        sst_test_clear(&t);
    }
    free(line);
    gzclose(gz);
    return true;
}

static void sst_add_totals(const SstCounts *c)
{
    sst_tot.tests += c->pass + c->fail + c->waived + c->waived_lock + c->waived_len +
                     c->waived_str;
    sst_tot.waived_str += c->waived_str;
    sst_tot.waived_len += c->waived_len;
    sst_tot.waived_lock += c->waived_lock;
    sst_tot.passed += c->pass;
    sst_tot.failed += c->fail;
    sst_tot.waived += c->waived;
    sst_tot.ss_for_gp += c->ss_for_gp;
    sst_tot.revoked += c->revoked;
    sst_tot.other_reg += c->other_reg;
    sst_tot.info_passed += c->info_pass;
    sst_tot.info_failed += c->info_fail;
}

static void sst_case(void)
{
    const SstForm *f = sst_cur_form;
    SstCounts c;
    char why[400];

    if (!sst_run_form(f, false, &c, why, sizeof(why))) {
        test_fail_at(__FILE__, __LINE__, why);
        sst_tot.failed_forms++;
        return;
    }
    printf("# sst286 %-5s %4ld tests, %4ld passed, %4ld failed", f->name,
           c.pass + c.fail + c.waived + c.waived_lock + c.waived_len + c.waived_str, c.pass,
           c.fail);
    if (c.waived_str) {
        printf(", %ld waived (string fault at FFFFh: 286 advanced SI/DI/CX)", c.waived_str);
    }
    if (c.waived_len) {
        printf(", %ld waived (over 10 bytes: #GP on the 286)", c.waived_len);
    }
    if (c.waived) {
        printf(", %ld waived (MOV FS/GS: #UD on the 286)", c.waived);
    }
    if (c.waived_lock) {
        printf(", %ld waived (LOCK on a non-lockable form: #UD on a 386+)", c.waived_lock);
    }
    if (c.ss_for_gp) {
        printf(", %ld with #SS for the 286's #GP", c.ss_for_gp);
    }
    if (c.revoked) {
        printf(", %ld revoked", c.revoked);
    }
    if (c.other_reg) {
        printf(", %ld skipped (ModRM reg value not a normal form)", c.other_reg);
        if (sst_cfg.all) {
            printf(" [informational: %ld passed, %ld failed]", c.info_pass, c.info_fail);
        }
    }
    printf("\n");
    sst_add_totals(&c);
    if (c.fail) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%ld of %ld tests failed", c.fail, c.pass + c.fail);
        test_fail_at(__FILE__, __LINE__, msg);
        sst_tot.failed_forms++;
    }
    if (c.pass + c.fail == 0 && sst_cfg.idx < 0) {
        test_fail_at(__FILE__, __LINE__, "no test ran");
    }
}

static void sst_skip_form(const SstForm *f, const char *reason)
{
    char buf[600];
    char tname[40];
    snprintf(tname, sizeof(tname), "sst286/%s", f->name);
    if (sst_cfg.all && sst_runner.rig) {
        SstCounts c;
        char why[400];
        if (sst_run_form(f, true, &c, why, sizeof(why))) {
            snprintf(buf, sizeof(buf), "%s [informational run: %ld passed, %ld failed]",
                     reason, c.info_pass, c.info_fail);
            sst_tot.info_passed += c.info_pass;
            sst_tot.info_failed += c.info_fail;
            reason = buf;
        }
    }
    test_skip(tname, reason);
    sst_tot.skipped_forms++;
}

static bool sst_selected(const char *stem)
{
    const char *p = sst_cfg.only;
    if (!p || !*p) {
        return true;
    }
    while (*p) {
        size_t n = strcspn(p, ", ");
        if (n > 0) {
            /* "F7" selects F7 and every F7.x; "F7.6" only itself. */
            if (!strncasecmp(stem, p, n) && (stem[n] == 0 || (stem[n] == '.' &&
                                                                !memchr(p, '.', n)))) {
                return true;
            }
        }
        p += n;
        p += strspn(p, ", ");
    }
    return false;
}

static int sst_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- self-checks of the parsing and comparison (no CPU needed) ---- */

static const char sst_sample[] =
    "{\"idx\":55,\"name\":\"add [si],ax\",\"bytes\":[1,4,244],\"initial\":{\"regs\":"
    "{\"ax\":0,\"bx\":16367,\"cx\":30176,\"dx\":65535,\"cs\":561,\"ss\":34870,\"ds\":18404,"
    "\"es\":0,\"sp\":31986,\"bp\":34264,\"si\":65535,\"di\":23614,\"ip\":22024,\"flags\":52354},"
    "\"ram\":[[31000,1],[31001,4],[31002,244],[52,119],[53,235],[54,160],[55,25],"
    "[165239,244]],\"queue\":[]},\"final\":{\"regs\":{\"cs\":6560,\"sp\":31980,\"ip\":60280,"
    "\"flags\":3202},\"ram\":[[589904,130],[589905,12],[589902,49],[589903,2],[589900,8],"
    "[589901,86]],\"queue\":[]},\"exception\":{\"number\":13,\"flag_address\":589904},"
    "\"hash\":\"16d44a5ac756ede0771a4fdd0dc994e66d95f9e0\"}";

static void test_selfcheck_parse(void)
{
    SstTest t;
    char err[160];

    CHECK(sst_parse_test(sst_sample, strlen(sst_sample), &t, err, sizeof(err)));
    CHECK_EQ(t.idx, 55);
    CHECK(!strcmp(t.name, "add [si],ax"));
    CHECK_EQ(t.nbytes, 3);
    CHECK_EQ(t.bytes[2], 0xF4);
    CHECK_EQ(t.init[SR_SI], 0xFFFF);
    CHECK_EQ(t.init[SR_FLAGS], 52354);
    CHECK_EQ(t.fin[SR_CS], 6560);
    CHECK_EQ(t.fin[SR_AX], 0);         /* unchanged: copied from initial */
    CHECK_EQ(t.fin[SR_SI], 0xFFFF);
    CHECK_EQ(t.fin_listed, (1u << SR_CS) | (1u << SR_SP) | (1u << SR_IP) | (1u << SR_FLAGS));
    CHECK_EQ(t.niram, 8);
    CHECK_EQ(t.nfram, 6);
    CHECK_EQ(t.iram[7].addr, 165239);
    CHECK_EQ(t.fram[0].val, 130);
    CHECK_EQ(t.exc, 13);
    CHECK_EQ(t.flag_addr, 589904);
    CHECK(!strcmp(t.hash, "16d44a5ac756ede0771a4fdd0dc994e66d95f9e0"));
    CHECK(!sst_is_rep_string(&t));
    sst_test_clear(&t);

    /* Hostile lines are rejected with a reason, not a crash. */
    static const char *const bad[] = {
        "", "{", "[]", "{\"initial\":{},\"final\":{},\"bytes\":[1]}",
        "{\"initial\":{\"regs\":{\"ax\":70000}},\"final\":{},\"bytes\":[1]}",
        "{\"bytes\":[300],\"initial\":{},\"final\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        CHECK(!sst_parse_test(bad[i], strlen(bad[i]), &t, err, sizeof(err)));
        CHECK(err[0] != 0);
    }
    /* A RAM address beyond the rig's RAM is an error, not an out-of-bounds write later. */
    const char *huge = "{\"bytes\":[244],\"initial\":{\"regs\":{\"ax\":0,\"bx\":0,\"cx\":0,"
                       "\"dx\":0,\"cs\":0,\"ss\":0,\"ds\":0,\"es\":0,\"sp\":0,\"bp\":0,\"si\":0,"
                       "\"di\":0,\"ip\":0,\"flags\":2},\"ram\":[[16777216,1]]},"
                       "\"final\":{\"regs\":{},\"ram\":[]}}";
    CHECK(!sst_parse_test(huge, strlen(huge), &t, err, sizeof(err)));
    CHECK(strstr(err, "ram") != NULL);
}

static void test_selfcheck_compare(void)
{
    SstTest t;
    SstDiff d;
    SstState got;
    char err[160];
    static uint8_t ram[1 << 20];

    CHECK(sst_parse_test(sst_sample, strlen(sst_sample), &t, err, sizeof(err)));
    memcpy(got.regs, t.fin, sizeof(got.regs));
    got.ram = ram;
    got.ram_size = sizeof(ram);
    for (size_t i = 0; i < t.niram; i++) {
        ram[t.iram[i].addr] = t.iram[i].val;
    }
    for (size_t i = 0; i < t.nfram; i++) {
        ram[t.fram[i].addr] = t.fram[i].val;
    }
    CHECK(sst_compare(&t, &got, 0xFFFF, &d));

    /* FLAGS bits 12-15 never count; masked-out bits never count. */
    got.regs[SR_FLAGS] = t.fin[SR_FLAGS] | 0xF000;
    CHECK(sst_compare(&t, &got, 0xFFFF, &d));
    got.regs[SR_FLAGS] = t.fin[SR_FLAGS] ^ 0x0010;
    CHECK(!sst_compare(&t, &got, 0xFFFF, &d));
    CHECK_EQ(d.nregs, 1);
    CHECK(sst_compare(&t, &got, 0xFFEF, &d));
    got.regs[SR_FLAGS] = t.fin[SR_FLAGS];

    /* The pushed FLAGS image is compared under the same mask. */
    ram[589904] ^= 0x10;
    CHECK(!sst_compare(&t, &got, 0xFFFF, &d));
    CHECK_EQ(d.nram, 1);
    CHECK(sst_compare(&t, &got, 0xFFEF, &d));
    ram[589904] ^= 0x10;
    ram[589905] ^= 0x30; /* bits 12-13 of the pushed image */
    CHECK(sst_compare(&t, &got, 0xFFFF, &d));
    ram[589905] ^= 0x30;

    /* Any other RAM byte, final or initial-only, must match exactly. */
    ram[589900] ^= 1;
    CHECK(!sst_compare(&t, &got, 0x0000, &d));
    ram[589900] ^= 1;
    ram[165239] = 0;
    CHECK(!sst_compare(&t, &got, 0xFFFF, &d));
    CHECK(strstr(d.text, "ram[028577]") != NULL);
    ram[165239] = 244;

    got.regs[SR_IP]++;
    got.regs[SR_AX] = 1;
    CHECK(!sst_compare(&t, &got, 0xFFFF, &d));
    CHECK_EQ(d.nregs, 2);
    CHECK(strstr(d.text, "ip") != NULL && strstr(d.text, "ax") != NULL);
    sst_test_clear(&t);
}

static void test_selfcheck_insn_facts(void)
{
    SstTest t;
    memset(&t, 0, sizeof(t));
    /* rep movsw, cs: rep stosb, plain movsb */
    static const uint8_t rep_movsw[] = { 0xF3, 0xA5, 0xF4 };
    static const uint8_t seg_rep_stosb[] = { 0x2E, 0xF2, 0xAA, 0xF4 };
    static const uint8_t movsb[] = { 0xA4, 0xF4 };
    static const uint8_t add_bp_si[] = { 0x03, 0x02, 0xF4 };     /* add ax,[bp+si] */
    static const uint8_t add_si[] = { 0x03, 0x04, 0xF4 };        /* add ax,[si] */
    static const uint8_t ss_add_si[] = { 0x36, 0x03, 0x04, 0xF4 };
    static const uint8_t ds_add_bp[] = { 0x3E, 0x03, 0x46, 0x01, 0xF4 };
    static const uint8_t ret_imm[] = { 0xC2, 0x10, 0x00, 0xF4 };
    static const uint8_t call_ind[] = { 0xFF, 0x14, 0xF4 };
    static const uint8_t inc_mem[] = { 0xFF, 0x04, 0xF4 };
    static const uint8_t mov_fs[] = { 0x8C, 0xE0, 0xF4 };
    static const uint8_t mov_ds[] = { 0x8E, 0xD8, 0xF4 };
#define SST_SET(arr) (memcpy(t.bytes, arr, sizeof(arr)), t.nbytes = (int)sizeof(arr))
    SST_SET(rep_movsw);
    CHECK(sst_is_rep_string(&t));
    SST_SET(seg_rep_stosb);
    CHECK(sst_is_rep_string(&t));
    SST_SET(movsb);
    CHECK(!sst_is_rep_string(&t));
    SST_SET(add_bp_si);
    CHECK(sst_uses_stack(&t));
    SST_SET(add_si);
    CHECK(!sst_uses_stack(&t));
    SST_SET(ss_add_si);
    CHECK(sst_uses_stack(&t));
    SST_SET(ds_add_bp);
    CHECK(!sst_uses_stack(&t));
    SST_SET(ret_imm);
    CHECK(sst_uses_stack(&t));
    SST_SET(call_ind);
    CHECK(sst_uses_stack(&t));
    SST_SET(inc_mem);
    CHECK(!sst_uses_stack(&t));
    SST_SET(mov_fs);
    CHECK(sst_is_mov_fsgs(&t));
    SST_SET(mov_ds);
    CHECK(!sst_is_mov_fsgs(&t));
#undef SST_SET
}

/* The data itself: every selected file reads and parses (no CPU needed). */
static char **sst_stems;
static size_t sst_nstems;

static void test_selfcheck_data(void)
{
    char path[1024];
    char *line = NULL;
    size_t cap = 0, len;
    long files = 0, tests = 0;

    for (size_t i = 0; i < sst_nstems; i++) {
        if (!sst_selected(sst_stems[i])) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s.jsonl.gz", sst_cfg.dir, sst_stems[i]);
        gzFile gz = gzopen(path, "rb");
        CHECK(gz != NULL);
        if (!gz) {
            continue;
        }
        files++;
        while (sst_gz_line(gz, &line, &cap, &len)) {
            SstTest t;
            char err[160];
            if (len == 0) {
                continue;
            }
            if (!sst_parse_test(line, len, &t, err, sizeof(err))) {
                char msg[300];
                snprintf(msg, sizeof(msg), "%s: %s", sst_stems[i], err);
                test_fail_at(__FILE__, __LINE__, msg);
                continue;
            }
            /* Every capture ends in the HLT the runner counts instead of running. */
            CHECK_EQ(t.bytes[t.nbytes - 1], 0xF4);
            tests++;
            sst_test_clear(&t);
        }
        gzclose(gz);
    }
    free(line);
    printf("# sst286 data: %ld files, %ld tests parsed\n", files, tests);
    CHECK(files == 0 || tests > 0);
}

static JsonValue *sst_meta;

int main(void)
{
    const char *e;
    char path[1024];
    DIR *dir;
    struct dirent *de;
    Error *err = NULL;
    struct timespec t0, t1;

    sst_cfg.dir = getenv("SST286_DIR") ? getenv("SST286_DIR") : SST_DEFAULT_DIR;
    sst_cfg.only = getenv("SST_OPCODE");
    sst_cfg.verbose = (e = getenv("SST_VERBOSE")) && *e && strcmp(e, "0");
    sst_cfg.all = (e = getenv("SST_ALL")) && *e && strcmp(e, "0");
    sst_cfg.detail = (e = getenv("SST_DETAIL")) ? atoi(e) : 3;
    sst_cfg.idx = (e = getenv("SST_IDX")) ? atoi(e) : -1;

    test_run("sst286/selfcheck-parse", test_selfcheck_parse);
    test_run("sst286/selfcheck-compare", test_selfcheck_compare);
    test_run("sst286/selfcheck-insn-facts", test_selfcheck_insn_facts);

    /* Metadata and the list of forms. */
    snprintf(path, sizeof(path), "%s/metadata.json", sst_cfg.dir);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        test_skip("sst286", "test data not found (set SST286_DIR)");
        return test_summary();
    }
    {
        char *text = NULL;
        size_t len = 0, capm = 0, n;
        char chunk[65536];
        while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
            if (len + n + 1 > capm) {
                capm = (len + n + 1) * 2;
                text = realloc(text, capm);
                if (!text) {
                    abort();
                }
            }
            memcpy(text + len, chunk, n);
            len += n;
        }
        fclose(fp);
        sst_meta = text ? json_parse(text, len, &err) : NULL;
        free(text);
    }
    const JsonValue *opcodes = json_object_get(sst_meta, "opcodes");
    if (!opcodes) {
        printf("FAIL sst286/metadata: %s: %s\n", path, err ? err->msg : "no opcodes object");
        error_free(err);
        json_free(sst_meta);
        return 1;
    }
    sst_load_revocations(sst_cfg.dir);

    dir = opendir(sst_cfg.dir);
    while (dir && (de = readdir(dir)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 9 && n < 9 + 16 && !strcmp(de->d_name + n - 9, ".jsonl.gz")) {
            sst_stems = realloc(sst_stems, (sst_nstems + 1) * sizeof(*sst_stems));
            if (!sst_stems) {
                abort();
            }
            sst_stems[sst_nstems] = strndup(de->d_name, n - 9);
            sst_nstems++;
        }
    }
    if (dir) {
        closedir(dir);
    }
    qsort(sst_stems, sst_nstems, sizeof(*sst_stems), sst_cmp_names);
    test_run("sst286/selfcheck-data", test_selfcheck_data);

    bool have_rig = x86_rig_new && x86_rig_run && x86_get_eflags && x86_put_eflags &&
                    x86_update_hflags;
    if (have_rig) {
        sst_runner.rig = x86_rig_new(SST_RAM_SIZE, NULL);
        sst_runner.ram = x86_rig_ram(sst_runner.rig);
        sst_runner.ram_size = x86_rig_ram_size(sst_runner.rig);
        if (sst_runner.ram_size < 0x110000 + 16) {
            printf("FAIL sst286/rig: rig RAM too small\n");
            return 1;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < sst_nstems; i++) {
        SstForm f;
        char tname[40];
        memset(&f, 0, sizeof(f));
        snprintf(f.name, sizeof(f.name), "%s", sst_stems[i]);
        if (!sst_selected(f.name)) {
            continue;
        }
        snprintf(tname, sizeof(tname), "sst286/%s", f.name);
        sst_tot.forms++;
        if (!sst_form_meta(opcodes, f.name, &f)) {
            f.status = SST_SKIP;
            f.reason = "not described in metadata.json";
        }
        if (f.status == SST_SKIP) {
            sst_skip_form(&f, f.reason);
            continue;
        }
        if (!have_rig) {
            test_skip(tname, "the x86 test rig (cpu/x86/test_rig.c) is not built yet");
            sst_tot.skipped_forms++;
            continue;
        }
        sst_cur_form = &f;
        test_run(tname, sst_case);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    printf("sst286: %d opcode forms, %ld tests, %ld passed, %ld failed, %d skipped forms",
           sst_tot.forms, sst_tot.tests, sst_tot.passed, sst_tot.failed, sst_tot.skipped_forms);
    if (sst_tot.waived || sst_tot.waived_lock || sst_tot.waived_len || sst_tot.waived_str ||
        sst_tot.ss_for_gp || sst_tot.revoked || sst_tot.other_reg) {
        printf(" (%ld waived MOV FS/GS, %ld waived bad LOCK, %ld waived over 10 bytes, "
               "%ld waived string fault SI/DI/CX, "
               "%ld passed with #SS for #GP, %ld revoked, %ld tests of non-normal reg values "
               "skipped)",
               sst_tot.waived, sst_tot.waived_lock, sst_tot.waived_len, sst_tot.waived_str,
               sst_tot.ss_for_gp, sst_tot.revoked, sst_tot.other_reg);
    }
    if (sst_cfg.all) {
        printf(" [skipped forms run for information: %ld passed, %ld failed]",
               sst_tot.info_passed, sst_tot.info_failed);
    }
    printf(" in %.1f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

    if (sst_runner.rig) {
        x86_rig_free(sst_runner.rig);
    }
    free(sst_runner.touched);
    for (size_t i = 0; i < sst_nstems; i++) {
        free(sst_stems[i]);
    }
    free(sst_stems);
    for (size_t i = 0; i < sst_nrevoked; i++) {
        free(sst_revoked[i]);
    }
    free(sst_revoked);
    json_free(sst_meta);
    return test_summary();
}
