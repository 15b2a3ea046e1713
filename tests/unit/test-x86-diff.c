/*
 * Differential testing of the DBT against the host CPU (x86-64 hosts).
 *
 * Random instruction sequences are built from the decoder's table (every
 * user-mode row valid in 64-bit mode whose CPUID feature the host has), run
 * natively in a sandbox (x86diff-native.h) and through the test rig
 * (cpu/x86/test_rig.h) at the same virtual addresses, and the architectural
 * state afterwards is compared: GPRs, RIP, the status flags and DF (minus
 * the flags the SDM leaves undefined, per table row), the exception vector,
 * x87 (FCW, FSW, tags, ST0-7), MXCSR, XMM0-15, and the data and stack areas.
 *
 * Each sequence is a list of units: an instruction from the table, preceded
 * by the few fixed "fixup" instructions that keep it inside the sandbox
 * (string pointers and counts, RBP for ENTER/LEAVE, a return address for
 * RET, a target for indirect CALL/JMP, a divisor setup so that most
 * divisions do not fault) or that define flags the unit reads while they
 * are undefined.  Relative branches are patched to skip a two-byte marker.
 *
 * Environment: X86DIFF_SEED, X86DIFF_INSNS (table instructions to run;
 * default 200000), X86DIFF_FORM (only rows whose mnemonic or row name is
 * this), X86DIFF_VERBOSE=1 (every mismatch printed), X86DIFF_SEQ=<seed> (run the one
 * sequence a mismatch report names, and print it).
 */
#include "cpu/x86/decode.h"
#include "cpu/x86/disas.h"
#include "cpu/x86/test_rig.h"
#include "tests/unit/test.h"
#include "tests/unit/x86diff-native.h"

#include <cpuid.h>
#include <string.h>
#include <time.h>

/*
 * The rig and the CPU are optional at link time: while they are being
 * written the native side still runs and the DBT side is skipped.
 */
#pragma weak x86_rig_new
#pragma weak x86_rig_free
#pragma weak x86_rig_env
#pragma weak x86_rig_ram
#pragma weak x86_rig_code_changed
#pragma weak x86_rig_enter_mode
#pragma weak x86_rig_run
#pragma weak x86_get_eflags
#pragma weak x86_put_eflags
#pragma weak x86_update_hflags
/* FPU plumbing from cpu/x86/fpu_helper.h; declared here to keep that header out. */
void x87_update_fp_status(CPUX86State *env) __attribute__((weak));
void sse_update_status(CPUX86State *env) __attribute__((weak));

/*
 * Rows the DBT does not implement yet: they are not generated, and this
 * list is printed with every run so that it stays visible.  An entry is a
 * row name, or "@mmx-sse": every row with an MMX or XMM register operand.
 * Remove entries as the translator grows; a row still listed that the DBT
 * does implement only loses coverage, a row missing from here that the DBT
 * does not implement fails the test.
 */
static const struct {
    const char *row;
    const char *reason;
} not_yet_implemented[] = {
    /* Every user-mode row of the table is translated now. */
    {NULL, NULL},
};

/* Rows the host is no oracle for: never generated, printed with every run. */
static const struct {
    const char *row;
    const char *reason;
} host_not_oracle[] = {
    { "RCPPS_VpsWps", "approximation; the SDM bounds only the relative error" },
    { "RCPSS_VssWss", "approximation; the SDM bounds only the relative error" },
    { "RSQRTPS_VpsWps", "approximation; the SDM bounds only the relative error" },
    { "RSQRTSS_VssWss", "approximation; the SDM bounds only the relative error" },
    { "F2XM1", "result undefined outside -1..+1, and random states are mostly outside" },
    { "FYL2XP1", "result undefined outside +-(1 - sqrt(2)/2), where random states mostly are" },
    { "FSTP1_STi", "undocumented alias (D9 D8+i): this AMD host pops an empty ST0 without "
                   "#IS, unlike FSTP" },
    /*
     * The SDM documents the transcendentals' accuracy (about 1 ulp), not their bits, and
     * hosts differ: Osprey rounds correctly, this AMD host does not always.  They are
     * checked against the host within 1 ulp in test-x87-transcendental instead.
     */
    { "FPTAN", "approximation within the SDM's 1 ulp bound; see test-x87-transcendental" },
    { "FSINCOS", "approximation within the SDM's 1 ulp bound; see test-x87-transcendental" },
    { "FSIN", "approximation within the SDM's 1 ulp bound; see test-x87-transcendental" },
    { "FCOS", "approximation within the SDM's 1 ulp bound; see test-x87-transcendental" },
    { "FPATAN", "approximation within the SDM's 1 ulp bound; see test-x87-transcendental" },
    { "FYL2X", "approximation within the SDM's 1 ulp bound; see test-x87-transcendental" },
    /*
     * OPEN: about 1 in 30,000 FUCOMI/FUCOMIP runs raise IE on Osprey where this AMD host
     * raises none; floatx80_compare agrees with the host on 2 million operand pairs, so the
     * difference is in state not yet identified.  Remove when found.
     */
    /*
     * OPEN: with x87 exceptions unmasked, flag and condition-code details still differ in
     * rare cases.  These rows are what load an unmasked control word into a random state,
     * so leaving them out keeps the x87 in its masked (default) configuration here.
     */
    /* OPEN BUGS in Osprey found by this test, not yet fixed: remove each when fixed. */
};

#define MAX_UNITS 24
#define UNIT_MAX 96

typedef struct Unit {
    uint8_t b[UNIT_MAX];
    uint8_t len;
    uint8_t main_off;   /* offset of the table instruction */
    int8_t reloc;       /* offset of an imm32 to set to the unit's end address, or -1 */
    uint16_t id;        /* the table row */
    uint32_t undef_before, undef_after; /* EFLAGS status bits undefined */
    uint16_t x87cc_before, x87cc_after; /* FSW condition bits (C0-C3) undefined */
    bool overflow;      /* did not fit: the unit is dropped */
} Unit;

typedef struct Seq {
    Unit u[MAX_UNITS];
    int n;
    XdState in;
} Seq;

typedef struct Ctx {
    uint64_t rng;
    uint16_t rows[2048];
    size_t nrows;
    uint64_t host_features;
    uint64_t count[XI_COUNT];
    uint64_t mism[XI_COUNT];
    uint64_t dbt_ud[XI_COUNT];  /* mismatches where only the DBT raised #UD */
    uint64_t faults[32];
    uint64_t insns, seqs, mismatches, printed;
    uint64_t seq_seed;  /* the generator seed of the current sequence */
    bool verbose;
    X86TestRig *rig;
} Ctx;

static uint64_t rnd64(Ctx *c)
{
    return x86_rand_next(&c->rng);
}

static unsigned rnd(Ctx *c, unsigned n)
{
    return (unsigned)(rnd64(c) % n);
}

/* ---- host features ---- */

static uint64_t host_features(void)
{
    uint64_t f = X86_FEATBIT(X86_FEAT_BASE);
    for (unsigned i = 1; i < X86_FEAT_COUNT; i++) {
        uint32_t leaf, r[4];
        unsigned reg, bit;
        if (!x86_feature_cpuid(i, &leaf, &reg, &bit)) {
            continue;
        }
        if (!__get_cpuid_count(leaf, 0, &r[0], &r[1], &r[2], &r[3])) {
            continue;
        }
        if (r[reg] & (1u << bit)) {
            f |= X86_FEATBIT(i);
        }
    }
    return f;
}

/* ---- interesting values ---- */

static uint64_t rand_gpr(Ctx *c)
{
    static const uint64_t v[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
        0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 63, 64, 31, 32,
    };
    switch (rnd(c, 4)) {
    case 0:
        return v[rnd(c, ARRAY_SIZE(v))];
    case 1:
        return rnd(c, 256) - 128;
    default:
        return rnd64(c);
    }
}

static uint32_t rand_f32(Ctx *c)
{
    static const uint32_t v[] = {
        0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000,
        0xffc00000, 0x7fa00000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x00800000, 0x40490fdb,
        0x4f000000, 0xcf000000, 0x5f000000,
    };
    switch (rnd(c, 3)) {
    case 0:
        return v[rnd(c, ARRAY_SIZE(v))];
    case 1: /* a modest number: integer conversions and arithmetic stay exact-ish */
        return (uint32_t)(((rnd(c, 2) << 31) | ((0x70 + rnd(c, 32)) << 23)) |
                          (rnd64(c) & 0x7fffff));
    default:
        return (uint32_t)rnd64(c);
    }
}

static uint64_t rand_f64(Ctx *c)
{
    static const uint64_t v[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
        0x7ff4000000000000ull, 1, 0x000fffffffffffffull, 0x7fefffffffffffffull,
        0x0010000000000000ull, 0x400921fb54442d18ull, 0x41e0000000000000ull,
        0xc3e0000000000000ull, 0x43e0000000000000ull,
    };
    switch (rnd(c, 3)) {
    case 0:
        return v[rnd(c, ARRAY_SIZE(v))];
    case 1:
        return ((uint64_t)rnd(c, 2) << 63) | ((uint64_t)(0x3e0 + rnd(c, 64)) << 52) |
               (rnd64(c) & 0xfffffffffffffull);
    default:
        return rnd64(c);
    }
}

/* 16 bytes of SSE data: lanes of one kind picked at random. */
static void rand_vec(Ctx *c, uint8_t *p)
{
    unsigned kind = rnd(c, 4);
    for (int i = 0; i < 16; i += 8) {
        uint64_t v;
        if (kind == 0) {
            v = rand_f32(c) | ((uint64_t)rand_f32(c) << 32);
        } else if (kind == 1) {
            v = rand_f64(c);
        } else if (kind == 2) {
            v = rand_gpr(c);
        } else {
            v = rnd64(c);
        }
        memcpy(p + i, &v, 8);
    }
}

static void rand_f80(Ctx *c, uint8_t *p)
{
    static const struct { uint64_t sig; uint16_t se; } v[] = {
        { 0, 0 }, { 0, 0x8000 }, { 0x8000000000000000ull, 0x3fff },
        { 0x8000000000000000ull, 0xbfff }, { 0x8000000000000000ull, 0x7fff },
        { 0xc000000000000000ull, 0x7fff }, { 0xa000000000000000ull, 0x7fff },
        { 0xc90fdaa22168c235ull, 0x4000 }, { 1, 0 }, { 0xffffffffffffffffull, 0x7ffe },
        { 0x8000000000000000ull, 0x0001 }, { 0x8000000000000000ull, 0x403e },
    };
    uint64_t sig;
    uint16_t se;
    if (rnd(c, 3) == 0) {
        unsigned i = rnd(c, ARRAY_SIZE(v));
        sig = v[i].sig;
        se = v[i].se;
    } else {
        sig = rnd64(c) | 0x8000000000000000ull;
        se = (uint16_t)((rnd(c, 2) << 15) | (0x3fff - 40 + rnd(c, 80)));
    }
    memset(p, 0, 16);
    memcpy(p, &sig, 8);
    memcpy(p + 8, &se, 2);
}

/* ---- the generator ---- */

static void put_bytes(Unit *u, const uint8_t *b, size_t n)
{
    if (u->len + n <= UNIT_MAX) {
        memcpy(u->b + u->len, b, n);
        u->len += n;
    } else {
        u->overflow = true;
    }
}

static void put1(Unit *u, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put_bytes(u, &b, 1);
}

static void put4(Unit *u, uint32_t v)
{
    put_bytes(u, (uint8_t *)&v, 4);
}

/* mov r32, imm32 (B8+r) */
static void fix_mov_imm(Unit *u, unsigned reg, uint32_t v)
{
    if (reg & 8) {
        put1(u, 0x41);
    }
    put1(u, 0xb8 + (reg & 7));
    put4(u, v);
}

/* mov [base+disp32], 0 with size 2, 4 or 8 */
static void fix_store(Unit *u, unsigned base, int32_t disp, unsigned size)
{
    if (size == 2) {
        put1(u, 0x66);
    }
    put1(u, 0x40 | (size == 8 ? 8 : 0) | ((base & 8) ? 1 : 0));
    put1(u, 0xc7);
    put1(u, 0x80 | (base & 7));
    if ((base & 7) == 4) {
        put1(u, 0x24);
    }
    put4(u, (uint32_t)disp);
    if (size == 2) {
        put1(u, 0);
        put1(u, 0);
    } else {
        put4(u, 0);
    }
}

/* cmp al, imm8: defines all six status flags */
static void fix_define_flags(Ctx *c, Unit *u)
{
    put1(u, 0x3c);
    put1(u, rnd(c, 256));
}

static bool row_is_x87(const X86InsnInfo *info)
{
    return info->map == X86_MAP_M1 && info->opcode >= 0xd8 && info->opcode <= 0xdf;
}

static bool name_is(const X86InsnInfo *info, const char *prefix)
{
    return strncmp(info->name, prefix, strlen(prefix)) == 0;
}

/* x87 rows after which C0..C3 hold a defined value */
static bool x87_defines_cc(const X86InsnInfo *info)
{
    static const char *const defs[] = {
        "FCOM", "FUCOM", "FTST", "FXAM", "FNINIT", "FLDENV", "FRSTOR", "FPREM", NULL,
    };
    if (name_is(info, "FCOMI") || name_is(info, "FUCOMI")) {
        return false; /* C0/C2/C3 are not affected: they keep what they were */
    }
    for (int i = 0; defs[i]; i++) {
        if (name_is(info, defs[i])) {
            return true;
        }
    }
    return name_is(info, "FXRSTOR");
}

/* x87 rows after which even C1 is undefined (SDM: "C0, C1, C2, C3 undefined") */
static bool x87_all_cc_undefined(const X86InsnInfo *info)
{
    static const char *const rows[] = {
        "FFREE", "FNCLEX", "FLDCW", "FNSTCW", "FNSTSW", "FNSTENV", "FNOP", "FNENI", "FNDISI",
        "FNSETPM", NULL,
    };
    for (int i = 0; rows[i]; i++) {
        if (name_is(info, rows[i])) {
            return true;
        }
    }
    return false;
}

/* Rows that expose FSW (C0..C3) to GPRs or memory */
static bool reads_fsw(const X86InsnInfo *info)
{
    return name_is(info, "FNSTSW") || name_is(info, "FNSTENV") || name_is(info, "FNSAVE") ||
           name_is(info, "FXSAVE");
}

static bool has_prefix_byte(const DecodedInsn *d, uint8_t v)
{
    for (unsigned i = 0; i < d->opc_off; i++) {
        if (d->bytes[i] == v) {
            return true;
        }
    }
    return false;
}

/*
 * One unit for row id.  base: the GPR that holds the memory-operand base.
 * Returns false if no usable encoding came out (the caller picks again).
 */
static bool gen_unit(Ctx *c, unsigned id, unsigned base, uint32_t undef, uint16_t x87cc,
                     Unit *u)
{
    const X86InsnInfo *info = x86_insn_info(id);
    X86EncodeOpts o = {
        .mode = X86_MODE_LONG64,
        .flags = X86_ENC_SIMPLE_MEM,
        .avoid_gprs = (uint16_t)((1u << R_ESP) | (1u << base)),
        .mem_base = (uint8_t)base,
        .features = c->host_features,
    };
    uint8_t ib[16];
    DecodedInsn d;
    int len = 0;

    for (int tries = 0; tries < 16 && !len; tries++) {
        len = x86_insn_encode(id, &o, &c->rng, ib);
        if (len <= 0) {
            return false;
        }
        if (x86_decode_buf(&d, X86_MODE_LONG64, false, c->host_features, XD_SEQ, ib, len) !=
                X86_DEC_OK || d.id != id) {
            len = 0;
            continue;
        }
        /* FS/GS bases differ between the host process and the rig */
        if ((d.prefixes & X86_PFX_SEG) &&
            (d.seg_override == X86_SEG_FS || d.seg_override == X86_SEG_GS)) {
            len = 0;
            continue;
        }
        /* AMD and Intel differ on 66 with near branches in 64-bit mode; the
         * results of 16-bit BSWAP and of 16-bit SHLD/SHRD with counts above
         * 16 are undefined */
        if (has_prefix_byte(&d, 0x66) && d.mp != X86_MP_66 &&
            ((info->attrs & X86_A_BR) || name_is(info, "BSWAP") || name_is(info, "SHLD") ||
             name_is(info, "SHRD"))) {
            len = 0;
            continue;
        }
        if (d.has_mem && d.addrsize != 8) {
            len = 0;
            continue;
        }
    }
    if (!len) {
        return false;
    }

    memset(u, 0, sizeof(*u));
    u->reloc = -1;
    u->id = (uint16_t)id;
    u->undef_before = undef;
    u->x87cc_before = x87cc;

    /* Flags the instruction reads must be defined */
    if (info->flags_read & undef & X86_EFL_STATUS) {
        fix_define_flags(c, u);
        undef = 0;
    }
    if (x87cc && reads_fsw(info)) {
        put1(u, 0xd9); /* fxam */
        put1(u, 0xe5);
        x87cc = 0;
    }

    bool string = false;
    unsigned rep_count = 0;
    for (unsigned i = 0; i < d.nops; i++) {
        if (d.op[i].kind == X86_OPK_STR) {
            string = true;
        }
    }
    if (string) {
        fix_mov_imm(u, R_ESI, (uint32_t)(XD_DATA + 0x800 + rnd(c, 0x100)));
        fix_mov_imm(u, R_EDI, (uint32_t)(XD_DATA + 0x800 + rnd(c, 0x100)));
        rep_count = rnd(c, 16);
        fix_mov_imm(u, R_ECX, rep_count);
    }
    if (d.has_mem && info->ops[1] == X86_OPF_Gv &&
        (name_is(info, "BT_") || name_is(info, "BTS_") || name_is(info, "BTR_") ||
         name_is(info, "BTC_"))) {
        /* the register is a signed bit offset from the operand: keep it near */
        fix_mov_imm(u, d.op[1].reg, rnd(c, 1024));
    }
    if (d.has_mem && (name_is(info, "LDMXCSR") || name_is(info, "FXRSTOR"))) {
        /*
         * Usually a valid MXCSR, so that the load succeeds; otherwise one with bit 18 set,
         * reserved everywhere.  Never a random high half: AMD's MXCSR_MASK allows bit 17
         * (misaligned-exception mask) where Osprey, like Intel, raises #GP.
         */
        uint32_t v = rnd(c, 4) ? 0x1f80 | (uint32_t)(rnd64(c) & 0xe07f)
                               : (uint32_t)rnd(c, 0x10000) | 0x40000u;
        int32_t disp = (int32_t)d.mem.disp + (name_is(info, "FXRSTOR") ? FX_MXCSR : 0);
        put1(u, (base & 8) ? 0x41 : 0x40); /* mov dword [base+disp32], imm32 */
        put1(u, 0xc7);
        put1(u, 0x80 | (base & 7));
        if ((base & 7) == 4) {
            put1(u, 0x24);
        }
        put4(u, (uint32_t)disp);
        put4(u, v);
    }
    if (name_is(info, "XLAT")) {
        fix_mov_imm(u, R_EBX, (uint32_t)(XD_DATA + rnd(c, 0xe00)));
    }
    if (name_is(info, "MASKMOV")) {
        fix_mov_imm(u, R_EDI, (uint32_t)(XD_DATA + rnd(c, 0xf00)));
    }
    if (name_is(info, "ENTER") || name_is(info, "LEAVE")) {
        fix_mov_imm(u, R_EBP, (uint32_t)(XD_STACK + 0x600 + 8 * rnd(c, 32)));
    }
    if (name_is(info, "ENTER")) {
        ib[len - 3] = (uint8_t)(8 * rnd(c, 8));
        ib[len - 2] = 0;
        ib[len - 1] = (uint8_t)rnd(c, 4);
    }
    if (name_is(info, "MOV_") && (info->ops[0] == X86_OPF_Ob || info->ops[0] == X86_OPF_Ov ||
                                  info->ops[1] == X86_OPF_Ob || info->ops[1] == X86_OPF_Ov)) {
        uint64_t a = XD_DATA + rnd(c, 0xf00);
        memcpy(ib + len - 8, &a, 8);
    }
    if ((name_is(info, "DIV_") || name_is(info, "IDIV_")) && rnd(c, 4) != 0) {
        bool sgn = info->name[0] == 'I';
        if (d.opsize == 1 || (info->ops[0] == X86_OPF_Eb)) {
            static const uint8_t zx[] = { 0x0f, 0xb6, 0xc0 }, cbw[] = { 0x66, 0x98 };
            if (sgn) {
                put_bytes(u, cbw, 2);
            } else {
                put_bytes(u, zx, 3);
            }
        } else if (!sgn) {
            put1(u, 0x31); /* xor edx, edx */
            put1(u, 0xd2);
            undef = X86_EFL_AF;
        } else {
            if (d.opsize == 2) {
                put1(u, 0x66);
            } else if (d.opsize == 8) {
                put1(u, 0x48);
            }
            put1(u, 0x99); /* cwd/cdq/cqo */
        }
    }
    if (name_is(info, "RET")) {
        if (info->ops[0] == X86_OPF_Iw) {
            ib[len - 2] = (uint8_t)(8 * rnd(c, 4));
            ib[len - 1] = 0;
        }
        put1(u, 0x68); /* push imm32: the return address, set at layout */
        u->reloc = (int8_t)u->len;
        put4(u, 0);
    }
    if ((name_is(info, "CALL_Ev") || name_is(info, "JMP_Ev"))) {
        if (!d.has_mem) {
            unsigned r = d.op[0].reg;
            put1(u, 0x48 | ((r & 8) ? 1 : 0)); /* mov r64, imm32 */
            put1(u, 0xc7);
            put1(u, 0xc0 | (r & 7));
            u->reloc = (int8_t)(u->len);
            put4(u, 0);
        } else {
            /* mov qword [base+disp8], imm32 */
            put1(u, 0x48 | ((base & 8) ? 1 : 0));
            put1(u, 0xc7);
            put1(u, 0x40 | (base & 7));
            if ((base & 7) == 4) {
                put1(u, 0x24);
            }
            put1(u, (uint8_t)d.mem.disp);
            u->reloc = (int8_t)(u->len);
            put4(u, 0);
        }
    }

    u->main_off = u->len;
    /* Relative branches: skip the two-byte marker that follows (calls: target = next) */
    bool rel = false;
    for (unsigned i = 0; i < d.nops; i++) {
        if (d.op[i].kind == X86_OPK_REL) {
            rel = true;
        }
    }
    if (rel) {
        unsigned immlen = (info->ops[0] == X86_OPF_Jb) ? 1 : 4;
        uint32_t disp = name_is(info, "CALL") ? 0 : 2;
        memcpy(ib + len - immlen, &disp, immlen);
    }
    put_bytes(u, ib, len);
    if (rel && !name_is(info, "CALL")) {
        put1(u, 0xb0); /* mov al, imm8: marks whether the branch was taken */
        put1(u, rnd(c, 256));
    }

    /*
     * The x87 instruction and data pointers (and FOP, MXCSR_MASK) that
     * FNSTENV/FNSAVE/FXSAVE store are implementation-specific: AMD, for one,
     * stores them only with an exception pending.  Overwrite them at once,
     * so that nothing later reads them and the stored image compares exactly.
     */
    if (d.has_mem && name_is(info, "FXSAVE")) {
        fix_store(u, base, (int32_t)d.mem.disp + FX_FOP, 2);
        fix_store(u, base, (int32_t)d.mem.disp + 8, 8);
        fix_store(u, base, (int32_t)d.mem.disp + 16, 8);
        fix_store(u, base, (int32_t)d.mem.disp + FX_MXCSR_MASK, 4);
    } else if (d.has_mem && (name_is(info, "FNSTENV") || name_is(info, "FNSAVE"))) {
        if (d.opsize == 2) {
            fix_store(u, base, (int32_t)d.mem.disp + 6, 8);     /* FIP, FOP|FCS, FDP, FDS */
        } else {
            fix_store(u, base, (int32_t)d.mem.disp + 12, 8);    /* FIP, FCS|FOP */
            fix_store(u, base, (int32_t)d.mem.disp + 20, 8);    /* FDP, FDS */
        }
    }

    /* A zero count leaves the flags alone: then they are what they were */
    bool maybe_unchanged = string && d.rep != X86_REP_NONE && rep_count == 0;
    static const char *const shifts[] = { "ROL_", "ROR_", "RCL_", "RCR_", "SHL_", "SHR_",
                                          "SAL_", "SAR_", "SHLD_", "SHRD_", NULL };
    for (int i = 0; shifts[i]; i++) {
        if (name_is(info, shifts[i])) {
            unsigned last = info->nops ? info->ops[info->nops - 1] : 0;
            /* The count mask follows the destination's size: REX.W on a byte shift is 31. */
            unsigned cmask = d.op[0].size == 8 ? 63 : 31;
            if (last == X86_OPF_CL || (last == X86_OPF_Ib && !(ib[len - 1] & cmask))) {
                maybe_unchanged = true;
            }
        }
    }
    if (maybe_unchanged) {
        u->undef_after = undef | info->flags_undef;
    } else {
        u->undef_after = (undef & ~(info->flags_written | info->flags_undef)) |
                         info->flags_undef;
    }
    u->undef_after &= X86_EFL_STATUS;
    if (rel || (info->attrs & X86_A_BR)) {
        u->undef_after |= undef & X86_EFL_STATUS;
    }
    if (row_is_x87(info) || name_is(info, "FXRSTOR")) {
        x87cc = x87_defines_cc(info) ? 0 : x87_all_cc_undefined(info) ? 0x4700 : 0x4500;
    }
    /*
     * FCOMI and friends: the SDM says C1 is set to 0; AMD hosts leave it alone.
     * C0, C2 and C3 are not affected, so they stay as defined as they were.
     */
    if (name_is(info, "FCOMI") || name_is(info, "FCOMIP") || name_is(info, "FUCOMI") ||
        name_is(info, "FUCOMIP")) {
        x87cc = u->x87cc_before | 0x200;
    }
    /* FCMOVcc writes C1 only on a stack underflow: otherwise it keeps what it was. */
    if (name_is(info, "FCMOV")) {
        x87cc |= u->x87cc_before & 0x200;
    }
    u->x87cc_after = x87cc;
    return !u->overflow;
}

static void rand_state(Ctx *c, XdState *s, unsigned base)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 16; i++) {
        s->gpr[i] = rand_gpr(c);
    }
    s->gpr[R_ESP] = XD_STACK + 0x800 - 8 * rnd(c, 8);
    s->gpr[base] = XD_DATA + 0x200 + 16 * rnd(c, 16);
    s->rip = XD_SEQ;
    s->rflags = 0x202 | (rnd64(c) & (X86_EFL_STATUS | X86_EFL_DF));
    s->vector = -1;

    uint16_t fcw = 0x037f;
    if (rnd(c, 4) == 0) {
        static const uint16_t pcs[] = { 0, 2, 3 };
        fcw = (uint16_t)((fcw & ~0xf00u) | (pcs[rnd(c, 3)] << 8) | (rnd(c, 4) << 10));
    }
    uint16_t fsw = (uint16_t)(rnd(c, 8) << 11);
    memcpy(s->fx + FX_FCW, &fcw, 2);
    memcpy(s->fx + FX_FSW, &fsw, 2);
    s->fx[FX_FTW] = (uint8_t)(rnd(c, 3) == 0 ? 0 : rnd(c, 256));
    uint32_t mxcsr = 0x1f80 | (rnd(c, 4) << 13);
    if (rnd(c, 4) == 0) {
        mxcsr |= 0x8000;    /* FTZ */
    }
    if (rnd(c, 4) == 0) {
        mxcsr |= 0x40;      /* DAZ */
    }
    if (rnd(c, 16) == 0) {
        mxcsr &= ~(rnd(c, 64) << 7);  /* some SSE exceptions unmasked: #XM */
    }
    memcpy(s->fx + FX_MXCSR, &mxcsr, 4);
    for (int i = 0; i < 8; i++) {
        rand_f80(c, s->fx + FX_ST + 16 * i);
    }
    for (int i = 0; i < 16; i++) {
        rand_vec(c, s->fx + FX_XMM + 16 * i);
    }
    for (size_t i = 0; i < sizeof(s->mem); i += 16) {
        if (rnd(c, 2)) {
            rand_vec(c, s->mem + i);
        } else {
            rand_f80(c, s->mem + i);
            uint64_t r = rnd64(c);
            memcpy(s->mem + i + 10, &r, 6);
        }
    }
}

/* Lay the units out at XD_SEQ; returns the code length. */
static size_t layout(const Seq *s, int first, int n, uint8_t *code, uint64_t *unit_addr)
{
    size_t len = 0;
    for (int i = first; i < first + n; i++) {
        const Unit *u = &s->u[i];
        memcpy(code + len, u->b, u->len);
        if (unit_addr) {
            unit_addr[i - first] = XD_SEQ + len;
        }
        if (u->reloc >= 0) {
            uint32_t end = (uint32_t)(XD_SEQ + len + u->len);
            memcpy(code + len + u->reloc, &end, 4);
        }
        len += u->len;
    }
    return len;
}

static unsigned pick_row(Ctx *c)
{
    return c->rows[rnd(c, (unsigned)c->nrows)];
}

static void gen_seq(Ctx *c, Seq *s, int nunits)
{
    /* not RBX: BH is register 7 in the encoding, so the encoder cannot avoid it */
    static const unsigned bases[] = { R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
    unsigned base = bases[rnd(c, ARRAY_SIZE(bases))];
    uint32_t undef = 0;
    uint16_t x87cc = 0;

    rand_state(c, &s->in, base);
    s->n = 0;
    for (int tries = 0; s->n < nunits && tries < nunits * 8; tries++) {
        unsigned id = pick_row(c);
        Unit *u = &s->u[s->n];
        if (!gen_unit(c, id, base, undef, x87cc, u)) {
            continue;
        }
        undef = u->undef_after;
        x87cc = u->x87cc_after;
        s->n++;
    }
}

/* ---- the DBT side ---- */

static bool rig_available(void)
{
    return x86_rig_new && x86_rig_run && x86_rig_env && x86_rig_ram && x86_rig_enter_mode &&
           x86_rig_code_changed && x86_get_eflags && x86_put_eflags;
}

static void fx_to_env(const uint8_t *fx, CPUX86State *env)
{
    uint16_t fcw, fsw;
    memcpy(&fcw, fx + FX_FCW, 2);
    memcpy(&fsw, fx + FX_FSW, 2);
    env->fpuc = fcw;
    env->fpstt = (fsw >> 11) & 7;
    env->fpus = fsw & ~0x3800;
    for (int i = 0; i < 8; i++) {
        env->fptags[i] = !(fx[FX_FTW] & (1u << i));
        const uint8_t *st = fx + FX_ST + 16 * ((i - env->fpstt) & 7);
        memcpy(&env->fpregs[i].d.sig, st, 8);
        memcpy(&env->fpregs[i].d.se, st + 8, 2);
    }
    memcpy(&env->mxcsr, fx + FX_MXCSR, 4);
    for (int i = 0; i < 16; i++) {
        memcpy(env->xmm[i].b, fx + FX_XMM + 16 * i, 16);
    }
    if (x87_update_fp_status) {
        x87_update_fp_status(env);
    }
    if (sse_update_status) {
        sse_update_status(env);
    }
}

static void env_to_fx(const CPUX86State *env, uint8_t *fx)
{
    uint16_t fsw = (uint16_t)((env->fpus & ~0x3800) | ((env->fpstt & 7) << 11));
    memset(fx, 0, 512);
    memcpy(fx + FX_FCW, &env->fpuc, 2);
    memcpy(fx + FX_FSW, &fsw, 2);
    for (int i = 0; i < 8; i++) {
        if (!env->fptags[i]) {
            fx[FX_FTW] |= (uint8_t)(1u << i);
        }
        uint8_t *st = fx + FX_ST + 16 * ((i - env->fpstt) & 7);
        memcpy(st, &env->fpregs[i].d.sig, 8);
        memcpy(st + 8, &env->fpregs[i].d.se, 2);
    }
    memcpy(fx + FX_MXCSR, &env->mxcsr, 4);
    for (int i = 0; i < 16; i++) {
        memcpy(fx + FX_XMM + 16 * i, env->xmm[i].b, 16);
    }
}

#define RIG_RAM (32u << 20)

/* Run code at XD_SEQ in the rig from in; the result in out. */
static void dbt_run(Ctx *c, const uint8_t *code, size_t len, const XdState *in, XdState *out)
{
    uint8_t *ram = x86_rig_ram(c->rig);
    CPUX86State *env = x86_rig_env(c->rig);

    memcpy(ram + XD_SEQ, code, len);
    ram[XD_SEQ + len] = 0xf4; /* HLT: #GP at CPL 3 ends the run */
    x86_rig_code_changed(c->rig);
    memcpy(ram + XD_DATA, in->mem, sizeof(in->mem));
    memcpy(env->regs, in->gpr, sizeof(in->gpr));
    env->rip = in->rip;
    x86_put_eflags(env, in->rflags);
    fx_to_env(in->fx, env);

    X86RigResult r = x86_rig_run(c->rig, 100000, true);
    memcpy(out->gpr, env->regs, sizeof(out->gpr));
    out->rip = env->rip;
    out->rflags = x86_get_eflags(env);
    env_to_fx(env, out->fx);
    memcpy(out->mem, ram + XD_DATA, sizeof(out->mem));
    out->vector = -2; /* did not finish */
    if (r.stop == X86_RIG_STOP_EXCEPTION) {
        out->vector = (r.vector == 13 && env->rip == XD_SEQ + len) ? -1 : r.vector;
    } else if (r.stop == X86_RIG_STOP_HLT) {
        out->vector = -1;
        out->rip = XD_SEQ + len;
    }
}

/* ---- comparison ---- */

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

typedef struct Masks {
    uint32_t flags_undef;
    uint16_t x87cc;
} Masks;

/* Compare; with out != NULL, describe the differences there. */
static bool state_equal(const XdState *a, const XdState *b, const Masks *m, char *out, size_t size)
{
    size_t n = 0;
    bool eq = true;
#define DIFF(...)                                                         \
    do {                                                                  \
        eq = false;                                                       \
        if (out && n < size) {                                            \
            n += (size_t)snprintf(out + n, size - n, __VA_ARGS__);        \
        }                                                                 \
    } while (0)

    if (out) {
        out[0] = 0;
    }
    if (a->vector != b->vector) {
        DIFF("    vector: host %d, dbt %d (-1 = none, -2 = did not finish)\n", a->vector,
             b->vector);
    }
    if (a->rip != b->rip) {
        DIFF("    rip: host %#" PRIx64 ", dbt %#" PRIx64 "\n", a->rip, b->rip);
    }
    for (int i = 0; i < 16; i++) {
        if (a->gpr[i] != b->gpr[i]) {
            DIFF("    %s: host %#" PRIx64 ", dbt %#" PRIx64 "\n", gpr_names[i], a->gpr[i],
                 b->gpr[i]);
        }
    }
    uint64_t fm = (X86_EFL_STATUS | X86_EFL_DF) & ~(uint64_t)m->flags_undef;
    if ((a->rflags ^ b->rflags) & fm) {
        DIFF("    rflags: host %#" PRIx64 ", dbt %#" PRIx64 " (compared bits %#" PRIx64 ")\n",
             a->rflags & fm, b->rflags & fm, fm);
    }
    uint16_t fa, fb;
    memcpy(&fa, a->fx + FX_FCW, 2);
    memcpy(&fb, b->fx + FX_FCW, 2);
    if ((fa ^ fb) & 0x1f3f) {
        DIFF("    fcw: host %#x, dbt %#x\n", fa, fb);
    }
    memcpy(&fa, a->fx + FX_FSW, 2);
    memcpy(&fb, b->fx + FX_FSW, 2);
    uint16_t swm = (uint16_t)~m->x87cc;
    if ((fa ^ fb) & swm) {
        DIFF("    fsw: host %#x, dbt %#x (compared bits %#x)\n", fa, fb, swm);
    }
    if (a->fx[FX_FTW] != b->fx[FX_FTW]) {
        DIFF("    ftw (abridged): host %#x, dbt %#x\n", a->fx[FX_FTW], b->fx[FX_FTW]);
    }
    for (int i = 0; i < 8; i++) {
        const uint8_t *sa = a->fx + FX_ST + 16 * i, *sb = b->fx + FX_ST + 16 * i;
        if (memcmp(sa, sb, 10)) {
            uint64_t ma, mb;
            uint16_t ea, eb;
            memcpy(&ma, sa, 8);
            memcpy(&mb, sb, 8);
            memcpy(&ea, sa + 8, 2);
            memcpy(&eb, sb + 8, 2);
            DIFF("    st%d: host %04x:%016" PRIx64 ", dbt %04x:%016" PRIx64 "\n", i, ea, ma, eb,
                 mb);
        }
    }
    uint32_t xa, xb;
    memcpy(&xa, a->fx + FX_MXCSR, 4);
    memcpy(&xb, b->fx + FX_MXCSR, 4);
    if (xa != xb) {
        DIFF("    mxcsr: host %#x, dbt %#x\n", xa, xb);
    }
    for (int i = 0; i < 16; i++) {
        const uint8_t *va = a->fx + FX_XMM + 16 * i, *vb = b->fx + FX_XMM + 16 * i;
        if (memcmp(va, vb, 16)) {
            uint64_t qa[2], qb[2];
            memcpy(qa, va, 16);
            memcpy(qb, vb, 16);
            DIFF("    xmm%d: host %016" PRIx64 "_%016" PRIx64 ", dbt %016" PRIx64 "_%016" PRIx64
                 "\n", i, qa[1], qa[0], qb[1], qb[0]);
        }
    }
    int shown = 0;
    for (size_t i = 0; i < sizeof(a->mem); i++) {
        if (a->mem[i] != b->mem[i]) {
            if (shown++ < 8) {
                DIFF("    mem[%#" PRIx64 "]: host %02x, dbt %02x\n", (uint64_t)(XD_DATA + i),
                     a->mem[i], b->mem[i]);
            } else {
                eq = false;
            }
        }
    }
    if (shown > 8) {
        DIFF("    ... %d differing memory bytes in all\n", shown);
    }
#undef DIFF
    return eq;
}

/* Masks for a run of units first..first+n-1 that ended with result r. */
static Masks masks_for(const Seq *s, int first, int n, const XdState *r, const uint64_t *addr)
{
    Masks m = { 0 };
    int last = first + n - 1;
    m.flags_undef = s->u[last].undef_after;
    m.x87cc = s->u[last].x87cc_after;
    /*
     * FPREM/FPREM1 after an invalid operation (empty or invalid operand): the SDM
     * defines C0/C2/C3 only for a completed reduction; hosts differ.  IE is sticky,
     * so this masks whenever the run raised invalid and contained FPREM/FPREM1.
     */
    if (r->fx[FX_FSW] & 1) {
        for (int k = first; k <= last; k++) {
            if (name_is(x86_insn_info(s->u[k].id), "FPREM")) {
                m.x87cc |= 0x4500;
            }
        }
    }
    if (r->vector >= 0) {
        /* the fault hit unit k: the state is from before it */
        for (int k = 0; k < n; k++) {
            if (r->rip >= addr[k] && r->rip < addr[k] + s->u[first + k].len) {
                m.flags_undef = s->u[first + k].undef_before;
                m.x87cc = s->u[first + k].x87cc_before;
                break;
            }
        }
    }
    return m;
}

/* Run units first..first+n-1 from in on both; true if they agree. */
static bool run_both(Ctx *c, const Seq *s, int first, int n, const XdState *in, XdState *nat,
                     XdState *dbt, char *why, size_t why_size)
{
    static uint8_t code[XD_SEQ_MAX];
    uint64_t addr[MAX_UNITS];
    size_t len = layout(s, first, n, code, addr);

    xd_native_run(code, len, in, nat);
    dbt_run(c, code, len, in, dbt);
    Masks m = masks_for(s, first, n, nat, addr);
    return state_equal(nat, dbt, &m, why, why_size);
}

static void print_unit(const Unit *u, uint64_t at)
{
    X86DecodeCtx dc = { .fast = u->b, .fast_base = at, .fast_len = u->len,
                        .mode = X86_MODE_LONG64, .features = X86_FEATURES_ALL };
    size_t off = 0;
    while (off < u->len) {
        char text[128], hex[64];
        int l = x86_disas_one(&dc, at + off, text, sizeof(text));
        if (l <= 0) {
            break;
        }
        size_t h = 0;
        for (int i = 0; i < l && h + 4 < sizeof(hex); i++) {
            h += (size_t)snprintf(hex + h, sizeof(hex) - h, "%02x ", u->b[off + i]);
        }
        printf("      %s%-36s %s\n", off == u->main_off ? "> " : "  ", hex, text);
        off += (size_t)l;
    }
}

/* A mismatch: find the first unit that goes wrong and try it alone. */
static void report_mismatch(Ctx *c, const Seq *s, uint64_t seq_no)
{
    static XdState nat, dbt, nat_prev, dbt2;
    static char why[4096];
    int k;

    for (k = 1; k <= s->n; k++) {
        if (!run_both(c, s, 0, k, &s->in, &nat, &dbt, why, sizeof(why))) {
            break;
        }
    }
    if (k > s->n) {
        k = s->n;
        run_both(c, s, 0, k, &s->in, &nat, &dbt, why, sizeof(why));
    }
    const Unit *u = &s->u[k - 1];
    c->mism[u->id]++;
    if (dbt.vector == 6 && nat.vector != 6) {
        c->dbt_ud[u->id]++;
    }
    if (c->printed >= 40 && !c->verbose) {
        return;
    }
    c->printed++;
    printf("MISMATCH seq %" PRIu64 " (rerun alone: X86DIFF_SEQ=%#" PRIx64 "), unit %d of %d: %s\n",
           seq_no, c->seq_seed, k, s->n, x86_insn_info(u->id)->name);

    /* alone, from the host's state before it */
    bool alone = false;
    if (k > 1) {
        static uint8_t code[XD_SEQ_MAX];
        size_t len = layout(s, 0, k - 1, code, NULL);
        xd_native_run(code, len, &s->in, &nat_prev);
        if (nat_prev.vector < 0) {
            nat_prev.rip = XD_SEQ;
            alone = !run_both(c, s, k - 1, 1, &nat_prev, &nat, &dbt2, why, sizeof(why));
        }
    } else {
        alone = true;
    }
    printf("    %s\n", alone ? "reproduces as a single instruction:" : "only in context:");
    if (alone) {
        print_unit(u, XD_SEQ);
    } else {
        static uint8_t code[XD_SEQ_MAX];
        uint64_t a[MAX_UNITS];
        layout(s, 0, k, code, a);
        for (int i = 0; i < k; i++) {
            print_unit(&s->u[i], a[i]);
        }
        run_both(c, s, 0, k, &s->in, &nat, &dbt, why, sizeof(why));
    }
    printf("%s", why);
}

/* ---- the run ---- */

static bool row_has_simd_reg(const X86InsnInfo *info)
{
    for (unsigned i = 0; i < info->nops; i++) {
        switch (x86_opform_class(info->ops[i])) {
        case X86_OPC_P: case X86_OPC_Q: case X86_OPC_N:
        case X86_OPC_V: case X86_OPC_W: case X86_OPC_U:
            return true;
        default:
            break;
        }
    }
    return false;
}

static bool row_wanted(const X86InsnInfo *info, const char *form)
{
    for (size_t i = 0; i < ARRAY_SIZE(host_not_oracle); i++) {
        if (!strcmp(host_not_oracle[i].row, info->name)) {
            return false;
        }
    }
    for (size_t i = 0; not_yet_implemented[i].row; i++) {
        const char *r = not_yet_implemented[i].row;
        if (!strcmp(r, info->name) || (!strcmp(r, "@mmx-sse") && row_has_simd_reg(info))) {
            return false;
        }
    }
    if (!form) {
        return true;
    }
    if (!strcasecmp(form, info->name)) {
        return true;
    }
    const char *m = info->mnem;
    size_t fl = strlen(form);
    while (*m) {
        const char *e = strchr(m, '/');
        size_t l = e ? (size_t)(e - m) : strlen(m);
        if (l == fl && !strncasecmp(m, form, l)) {
            return true;
        }
        m += l + (e ? 1 : 0);
    }
    return false;
}

static void build_rows(Ctx *c, const char *form)
{
    X86InsnFilter f = { .mode = X86_MODE_LONG64, .features = c->host_features,
                        .user_only = true };
    uint16_t all[2048];
    size_t n = x86_insn_list(&f, all, ARRAY_SIZE(all));
    c->nrows = 0;
    for (size_t i = 0; i < n && i < ARRAY_SIZE(all); i++) {
        if (row_wanted(x86_insn_info(all[i]), form)) {
            c->rows[c->nrows++] = all[i];
        }
    }
}

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 0) : def;
}

static void print_lists(void)
{
    printf("  rows the DBT does not implement yet (not generated):");
    for (size_t i = 0; not_yet_implemented[i].row; i++) {
        printf("\n    %s: %s", not_yet_implemented[i].row, not_yet_implemented[i].reason);
    }
    printf("\n");
    printf("  rows the host is no oracle for (not generated):");
    for (size_t i = 0; i < ARRAY_SIZE(host_not_oracle); i++) {
        printf("\n    %s: %s", host_not_oracle[i].row, host_not_oracle[i].reason);
    }
    printf("\n  also: no FS/GS overrides (bases differ); no 66 on near branches (AMD and Intel\n"
           "  differ), 16-bit BSWAP and 16-bit SHLD/SHRD (undefined results)\n");
}

/* ---- tests ---- */

static bool native_ready;
static const char *native_why = "sandbox not set up";

/* Run bytes natively from a plain state; the result in out. */
static void native_case(const uint8_t *code, size_t len, XdState *in, XdState *out)
{
    xd_native_run(code, len, in, out);
}

static void plain_state(XdState *s)
{
    memset(s, 0, sizeof(*s));
    s->gpr[R_ESP] = XD_STACK + 0x800;
    s->gpr[R_EBX] = XD_DATA + 0x100;
    s->rip = XD_SEQ;
    s->rflags = 0x202;
    uint16_t fcw = 0x037f;
    uint32_t mxcsr = 0x1f80;
    memcpy(s->fx + FX_FCW, &fcw, 2);
    memcpy(s->fx + FX_MXCSR, &mxcsr, 4);
}

/* The native runner reproduces results known from the SDM. */
static void test_native_known(void)
{
    static XdState in, out;

    /* add rax, rcx: result and all six status flags (from the epilogue's pushfq) */
    plain_state(&in);
    in.gpr[R_EAX] = 0x7fffffffffffffffull;
    in.gpr[R_ECX] = 1;
    native_case((const uint8_t[]){ 0x48, 0x01, 0xc8 }, 3, &in, &out);
    CHECK_EQ(out.vector, -1);
    CHECK_EQ(out.gpr[R_EAX], 0x8000000000000000ull);
    CHECK_EQ(out.rflags & X86_EFL_STATUS, X86_EFL_OF | X86_EFL_SF | X86_EFL_AF | X86_EFL_PF);
    CHECK_EQ(out.rip, XD_SEQ + 3);
    CHECK_EQ(out.gpr[R_ESP], XD_STACK + 0x800);

    /* std; push rcx; pop rdx: DF comes back, the push lands in the stack area */
    plain_state(&in);
    in.gpr[R_ECX] = 0x1122334455667788ull;
    native_case((const uint8_t[]){ 0xfd, 0x51, 0x5a }, 3, &in, &out);
    CHECK_EQ(out.vector, -1);
    CHECK_EQ(out.gpr[R_EDX], 0x1122334455667788ull);
    CHECK(out.rflags & X86_EFL_DF);
    uint64_t pushed;
    memcpy(&pushed, out.mem + XD_DATA_SIZE + 0x800 - 8, 8);
    CHECK_EQ(pushed, 0x1122334455667788ull);

    /* div ecx with ecx = 0: #DE, state from before the div */
    plain_state(&in);
    in.gpr[R_EAX] = 5;
    native_case((const uint8_t[]){ 0xff, 0xc0, 0xf7, 0xf1, 0x90 }, 5, &in, &out);
    CHECK_EQ(out.vector, 0);
    CHECK_EQ(out.rip, XD_SEQ + 2);
    CHECK_EQ(out.gpr[R_EAX], 6);

    /* ud2: #UD */
    plain_state(&in);
    native_case((const uint8_t[]){ 0x0f, 0x0b }, 2, &in, &out);
    CHECK_EQ(out.vector, 6);
    CHECK_EQ(out.rip, XD_SEQ);

    /* movaps xmm0, [rbx+1]: misaligned, #GP(0) */
    plain_state(&in);
    native_case((const uint8_t[]){ 0x0f, 0x28, 0x43, 0x01 }, 4, &in, &out);
    CHECK_EQ(out.vector, 13);

    /* fld1; fadd st0, st0; addps xmm1, xmm1 with xmm1 = 1.0f x4 */
    plain_state(&in);
    for (int i = 0; i < 4; i++) {
        uint32_t one = 0x3f800000;
        memcpy(in.fx + FX_XMM + 16 + 4 * i, &one, 4);
    }
    native_case((const uint8_t[]){ 0xd9, 0xe8, 0xd8, 0xc0, 0x0f, 0x58, 0xc9 }, 7, &in, &out);
    CHECK_EQ(out.vector, -1);
    uint64_t sig;
    uint16_t se, fsw;
    memcpy(&sig, out.fx + FX_ST, 8);
    memcpy(&se, out.fx + FX_ST + 8, 2);
    memcpy(&fsw, out.fx + FX_FSW, 2);
    CHECK_EQ(sig, 0x8000000000000000ull);
    CHECK_EQ(se, 0x4000);
    CHECK_EQ((fsw >> 11) & 7, 7);
    CHECK_EQ(out.fx[FX_FTW], 0x80);
    uint32_t lane;
    memcpy(&lane, out.fx + FX_XMM + 16 + 12, 4);
    CHECK_EQ(lane, 0x40000000);

    /* mov [rbx+8], al stores into the data area; nothing else changes */
    plain_state(&in);
    in.gpr[R_EAX] = 0xa5;
    native_case((const uint8_t[]){ 0x88, 0x43, 0x08 }, 3, &in, &out);
    CHECK_EQ(out.mem[0x108], 0xa5);
    CHECK_EQ(out.vector, -1);

    /* The host's FPU state is back after a faulting run that changed it */
    plain_state(&in);
    uint32_t odd_mxcsr = 0x7f80;
    memcpy(in.fx + FX_MXCSR, &odd_mxcsr, 4);
    native_case((const uint8_t[]){ 0xd9, 0xe8, 0x0f, 0x0b }, 4, &in, &out);
    CHECK_EQ(out.vector, 6);
    uint32_t host_mxcsr = 0;
    uint16_t host_fcw = 0;
    __asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(host_mxcsr), "=m"(host_fcw));
    CHECK_EQ(host_mxcsr & 0xffc0, 0x1f80);
    CHECK_EQ(host_fcw, 0x037f);
}

static void print_counts(const Ctx *c)
{
    uint64_t minc = UINT64_MAX;
    unsigned minid = 0, zero = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        unsigned id = c->rows[i];
        if (c->count[id] < minc) {
            minc = c->count[id];
            minid = id;
        }
        zero += c->count[id] == 0;
    }
    printf("  per-form counts of executed instructions (row=count[/mismatching sequences]):\n");
    int col = 0;
    char line[160];
    size_t n = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        unsigned id = c->rows[i];
        char item[64];
        if (c->mism[id]) {
            snprintf(item, sizeof(item), "%s=%" PRIu64 "/%" PRIu64, x86_insn_info(id)->name,
                     c->count[id], c->mism[id]);
        } else {
            snprintf(item, sizeof(item), "%s=%" PRIu64, x86_insn_info(id)->name, c->count[id]);
        }
        if (n + strlen(item) + 1 > 100) {
            printf("    %s\n", line);
            n = 0;
            col = 0;
        }
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", col ? " " : "", item);
        col++;
    }
    if (n) {
        printf("    %s\n", line);
    }
    if (c->nrows) {
        printf("  %zu forms, %u never generated, fewest: %s (%" PRIu64 ")\n", c->nrows, zero,
               x86_insn_info(minid)->name, minc);
    }
}

static void test_diff(void)
{
    static Ctx ctx;
    static Seq seq;
    static XdState nat, dbt;
    static uint8_t code[XD_SEQ_MAX];
    static char why[4096];
    Ctx *c = &ctx;
    uint64_t seed = env_u64("X86DIFF_SEED", (uint64_t)time(NULL) * 2654435761u);
    uint64_t target = env_u64("X86DIFF_INSNS", 200000);
    const char *form = getenv("X86DIFF_FORM");
    bool dbt_on = rig_available();
    uint64_t escapes = 0, dbt_unfinished = 0;

    memset(c, 0, sizeof(*c));
    c->rng = seed ? seed : 1;
    c->verbose = env_u64("X86DIFF_VERBOSE", 0) != 0;
    c->host_features = host_features();
    build_rows(c, form);
    printf("  seed %#" PRIx64 " (X86DIFF_SEED), %" PRIu64 " instructions (X86DIFF_INSNS), "
           "%zu forms%s%s\n", seed, target, c->nrows, form ? " matching " : "", form ? form : "");
    print_lists();
    if (!c->nrows) {
        CHECK(form != NULL);
        return;
    }
    if (dbt_on) {
        c->rig = x86_rig_new(RIG_RAM, NULL);
        x86_rig_enter_mode(c->rig, X86_RIG_LONG64, 3);
        /* The host runs us with the FPU as an OS sets it up: CR0.MP and NE
         * (#MF, not FERR#), CR4.OSFXSR and OSXMMEXCPT (SSE and #XM). */
        CPUX86State *env = x86_rig_env(c->rig);
        uint32_t cpl = env->hflags & HF_CPL_MASK;
        env->cr[0] |= CR0_MP | CR0_NE;
        env->cr[4] |= CR4_OSFXSR | CR4_OSXMMEXCPT;
        if (x86_update_hflags) {
            x86_update_hflags(env);
        }
        env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
        x86_rig_code_changed(c->rig);
    } else {
        printf("  DBT side not linked (cpu/x86/test_rig.c missing): native side only\n");
    }

    clock_t t0 = clock();
    uint64_t master = c->rng, one = env_u64("X86DIFF_SEQ", 0);
    while (c->insns < target) {
        /* every sequence has its own seed so that it can be rerun alone */
        c->seq_seed = one ? one : x86_rand_next(&master);
        c->rng = c->seq_seed;
        gen_seq(c, &seq, 1 + (int)rnd(c, 16));
        if (one) {
            target = 0;
            c->verbose = true;
            uint64_t a[MAX_UNITS];
            layout(&seq, 0, seq.n, code, a);
            for (int i = 0; i < seq.n; i++) {
                print_unit(&seq.u[i], a[i]);
            }
        }
        if (!seq.n) {
            continue;
        }
        c->seqs++;
        uint64_t a[MAX_UNITS];
        size_t len = layout(&seq, 0, seq.n, code, a);
        xd_native_run(code, len, &seq.in, &nat);
        /* count the units the host executed: a fault ends the sequence */
        for (int i = 0; i < seq.n; i++) {
            if (nat.vector >= 0 && nat.rip < a[i] + seq.u[i].len) {
                if (nat.rip >= a[i] + seq.u[i].main_off) {
                    c->count[seq.u[i].id]++; /* the table instruction faulted */
                    c->insns++;
                }
                break;
            }
            c->count[seq.u[i].id]++;
            c->insns++;
        }
        if (nat.vector >= 0 && nat.vector < 32) {
            c->faults[nat.vector]++;
        }
        if (nat.vector == 14) {
            /* only an access outside the sandbox faults natively: a generator bug */
            if (escapes++ < 3) {
                printf("  sandbox escape (native #PF) in seq %" PRIu64 " at %#" PRIx64 "\n",
                       c->seqs, nat.rip);
                for (int i = 0; i < seq.n; i++) {
                    print_unit(&seq.u[i], a[i]);
                }
            }
            continue;
        }
        if (!dbt_on) {
            continue;
        }
        dbt_run(c, code, len, &seq.in, &dbt);
        if (dbt.vector == -2) {
            dbt_unfinished++;
        }
        Masks m = masks_for(&seq, 0, seq.n, &nat, a);
        if (!state_equal(&nat, &dbt, &m, why, sizeof(why))) {
            c->mismatches++;
            report_mismatch(c, &seq, c->seqs);
        }
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

    print_counts(c);
    int nud = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        if (c->dbt_ud[c->rows[i]]) {
            nud++;
        }
    }
    if (nud) {
        printf("  %d forms where the DBT raised #UD and the host did not (not implemented?):\n",
               nud);
        int col = 0;
        for (size_t i = 0; i < c->nrows; i++) {
            if (c->dbt_ud[c->rows[i]]) {
                printf("%s%s", col == 0 ? "    " : " ", x86_insn_info(c->rows[i])->name);
                if (++col == 6) {
                    printf("\n");
                    col = 0;
                }
            }
        }
        if (col) {
            printf("\n");
        }
    }
    printf("  host faults by vector:");
    for (int v = 0; v < 32; v++) {
        if (c->faults[v]) {
            printf(" #%d=%" PRIu64, v, c->faults[v]);
        }
    }
    printf("\n  %" PRIu64 " instructions in %" PRIu64 " sequences, %.1f s; %" PRIu64
           " sandbox escapes; %" PRIu64 " DBT runs that did not finish\n",
           c->insns, c->seqs, secs, escapes, dbt_unfinished);
    if (dbt_on) {
        printf("  %" PRIu64 " mismatching sequences (%" PRIu64 " shown)\n", c->mismatches,
               c->printed);
        x86_rig_free(c->rig);
    }
    CHECK_EQ(escapes, 0);
    CHECK_EQ(c->mismatches, 0);
    if (!dbt_on) {
        test_skip("x86-diff-dbt", "cpu/x86/test_rig.c is not in the tree yet (native side only)");
    }
}

int main(void)
{
    const char *why = NULL;
    native_ready = xd_native_init(&why);
    if (!native_ready) {
        native_why = why;
        test_skip("x86-diff-native", native_why);
        test_skip("x86-diff", native_why);
        return test_summary();
    }
    test_run("x86-diff-native", test_native_known);
    test_run("x86-diff", test_diff);
    return test_summary();
}
