/*
 * Table-driven x86 decoder.  Every decision comes from cpu/x86/insn.def:
 * this file turns the table into a per-opcode index once, then decodes
 * prefixes, selects the row by mandatory prefix, ModRM, REX.W, mode and
 * CPUID features, and decodes ModRM/SIB, displacement and immediates.
 *
 * Reference: Intel SDM Vol. 2, Chapter 2 (instruction format, ModRM/SIB
 * tables 2-1 to 2-3, REX prefixes 2.2.1) and Appendix A (opcode maps).
 * The decoder allocates nothing and holds no locks while fetching, so the
 * fetch callback may longjmp out on a guest fault.
 */
#include "cpu/x86/decode.h"

#include <pthread.h>

/* ---- The table, resolved to numbers ---- */

#define X86_NOPS_(o) (X86_OPF_##o != X86_OPF__)

static const X86InsnInfo x86_insn_table[XI_COUNT] = {
    [XI_INVALID] = { .name = "INVALID", .mnem = "(bad)", .xlat = "invalid" },
/* Parameter names are prefixed so they cannot capture the member names. */
#define X86_INSN(id_, mn_, map_, opc_, pfx_, modrm_, o1_, o2_, o3_, o4_, modes_, fr_, fw_, fu_,   \
                 feat_, attrs_, xl_)                                                          \
    [XI_##id_] = {                                                                          \
        .name = #id_, .mnem = mn_, .xlat = #xl_, .map = X86_MAP_##map_, .opcode = opc_,     \
        .pfx = X86_MP_##pfx_,                                                               \
        .nops = X86_NOPS_(o1_) + X86_NOPS_(o2_) + X86_NOPS_(o3_) + X86_NOPS_(o4_),          \
        .modrm = X86_MRC_##modrm_,                                                          \
        .ops = { X86_OPF_##o1_, X86_OPF_##o2_, X86_OPF_##o3_, X86_OPF_##o4_ },              \
        .modes = X86_MODES_##modes_, .feature = X86_FEAT_##feat_,                           \
        .attrs = X86_ATTR_##attrs_, .flags_read = X86_FL_##fr_,                             \
        .flags_written = X86_FL_##fw_, .flags_undef = X86_FL_##fu_,                         \
    },
#include "cpu/x86/insn.def"
#undef X86_INSN
};

static const uint8_t opform_class[X86_OPF_COUNT] = {
#define X86_OPF_CLASS_(name, cls, sz) [X86_OPF_##name] = X86_OPC_##cls,
    X86_OPFORMS(X86_OPF_CLASS_)
#undef X86_OPF_CLASS_
};

static const uint8_t opform_size[X86_OPF_COUNT] = {
#define X86_OPF_SIZE_(name, cls, sz) [X86_OPF_##name] = X86_SZ_##sz,
    X86_OPFORMS(X86_OPF_SIZE_)
#undef X86_OPF_SIZE_
};

static const char *const opform_names[X86_OPF_COUNT] = {
#define X86_OPF_NAME_(name, cls, sz) [X86_OPF_##name] = #name,
    X86_OPFORMS(X86_OPF_NAME_)
#undef X86_OPF_NAME_
};

static const char *const feature_names[X86_FEAT_COUNT] = {
#define X86_FEAT_NAME_(name, leaf, reg, bit) [X86_FEAT_##name] = #name,
    X86_FEATURES(X86_FEAT_NAME_)
#undef X86_FEAT_NAME_
};

static const struct { uint32_t leaf; uint8_t reg, bit; } feature_cpuid[X86_FEAT_COUNT] = {
#define X86_FEAT_CPUID_(name, l, r, b) [X86_FEAT_##name] = { l, r, b },
    X86_FEATURES(X86_FEAT_CPUID_)
#undef X86_FEAT_CPUID_
};

/* ---- Per-opcode index, built once ----
 * For each (map, opcode, ModRM.reg) the rows that can match, in table order,
 * so that a group opcode (0F 01, D9) scans only the rows of its /reg.  An
 * opcode without ModRM uses slot 0.  A row with a Z* operand (register in
 * the opcode's low bits) is listed under all eight opcodes it covers.  Each
 * row lands in at most eight lists, which bounds rows[].
 */
enum { MODRM_UNSET, MODRM_NO, MODRM_YES };

typedef struct DecodeIndex {
    uint16_t start[X86_MAP_COUNT][256][8];
    uint8_t count[X86_MAP_COUNT][256][8];
    uint8_t modrm[X86_MAP_COUNT][256];      /* MODRM_*: whether the opcode has a ModRM byte */
    uint16_t rows[XI_COUNT * 8];
    int inconsistent;                        /* row id whose ModRM presence disagrees, or 0 */
} DecodeIndex;

static DecodeIndex decode_index;
static pthread_once_t decode_index_once = PTHREAD_ONCE_INIT;

static bool row_has_zreg(const X86InsnInfo *info)
{
    for (int i = 0; i < 4; i++) {
        if (opform_class[info->ops[i]] == X86_OPC_Z) {
            return true;
        }
    }
    return false;
}

/* Count (fill = false) or store (fill = true) the row in every list it belongs to. */
static void index_row(DecodeIndex *ix, unsigned id, bool fill)
{
    const X86InsnInfo *info = &x86_insn_table[id];
    bool has = info->modrm & X86_MRC_HAS;
    unsigned span = row_has_zreg(info) ? 8 : 1;
    unsigned mask = has ? X86_MRC_REGMASK(info->modrm) : 1;

    for (unsigned k = 0; k < span; k++) {
        unsigned o = info->opcode + k;
        for (unsigned r = 0; r < 8; r++) {
            if (!(mask & (1u << r))) {
                continue;
            }
            if (fill) {
                ix->rows[ix->start[info->map][o][r] + ix->count[info->map][o][r]] = id;
            }
            ix->count[info->map][o][r]++;
        }
        if (fill) {
            uint8_t want = has ? MODRM_YES : MODRM_NO;
            if (ix->modrm[info->map][o] == MODRM_UNSET) {
                ix->modrm[info->map][o] = want;
            } else if (ix->modrm[info->map][o] != want && !ix->inconsistent) {
                /* The decoder reads ModRM before choosing a row, so every row of
                 * an opcode must agree; the unit test checks this stays 0. */
                ix->inconsistent = id;
            }
        }
    }
}

static void decode_index_build(void)
{
    DecodeIndex *ix = &decode_index;
    unsigned n = 0;

    /* Count, lay the lists out in (map, opcode, reg) order, then fill them. */
    for (unsigned id = 1; id < XI_COUNT; id++) {
        index_row(ix, id, false);
    }
    for (unsigned m = 0; m < X86_MAP_COUNT; m++) {
        for (unsigned o = 0; o < 256; o++) {
            for (unsigned r = 0; r < 8; r++) {
                ix->start[m][o][r] = n;
                n += ix->count[m][o][r];
                ix->count[m][o][r] = 0;
            }
        }
    }
    if (n > ARRAY_SIZE(ix->rows)) {
        /* A table error (a row with both a Z* operand and ModRM), not guest input */
        fprintf(stderr, "osprey: x86 instruction index overflow (%u entries)\n", n);
        abort();
    }
    for (unsigned id = 1; id < XI_COUNT; id++) {
        index_row(ix, id, true);
    }
}

static inline const DecodeIndex *decode_index_get(void)
{
    pthread_once(&decode_index_once, decode_index_build);
    return &decode_index;
}

int x86_decode_index_check(void)
{
    return decode_index_get()->inconsistent;
}

/* ---- Table queries ---- */

const X86InsnInfo *x86_insn_info(unsigned id)
{
    return &x86_insn_table[id < XI_COUNT ? id : 0];
}

const char *x86_opform_name(unsigned form)
{
    return form < X86_OPF_COUNT ? opform_names[form] : "?";
}

unsigned x86_opform_class(unsigned form)
{
    return form < X86_OPF_COUNT ? opform_class[form] : X86_OPC_NONE;
}

unsigned x86_opform_size(unsigned form)
{
    return form < X86_OPF_COUNT ? opform_size[form] : X86_SZ_0;
}

const char *x86_feature_name(unsigned feature)
{
    return feature < X86_FEAT_COUNT ? feature_names[feature] : "?";
}

bool x86_feature_cpuid(unsigned feature, uint32_t *leaf, unsigned *reg, unsigned *bit)
{
    if (feature == X86_FEAT_BASE || feature >= X86_FEAT_COUNT) {
        return false;
    }
    *leaf = feature_cpuid[feature].leaf;
    *reg = feature_cpuid[feature].reg;
    *bit = feature_cpuid[feature].bit;
    return true;
}

const char *x86_ud_reason_str(unsigned reason)
{
    static const char *const names[X86_UD_COUNT] = {
        [X86_UD_NONE] = "none",
        [X86_UD_UNDEFINED] = "undefined opcode",
        [X86_UD_PREFIX] = "opcode undefined with this mandatory prefix",
        [X86_UD_REG] = "ModRM selects no instruction",
        [X86_UD_NEED_MEM] = "register operand where memory is required",
        [X86_UD_NEED_REG] = "memory operand where a register is required",
        [X86_UD_REXW] = "not defined with this REX.W",
        [X86_UD_MODE64] = "invalid in 64-bit mode",
        [X86_UD_ONLY64] = "valid only in 64-bit mode",
        [X86_UD_REALV86] = "invalid in real-address or virtual-8086 mode",
        [X86_UD_FEATURE] = "CPUID feature not enabled",
        [X86_UD_LOCK] = "LOCK prefix not allowed",
        [X86_UD_BADREG] = "nonexistent segment, control or debug register",
        [X86_UD_VEX] = "VEX/EVEX encoding not implemented",
    };
    return reason < X86_UD_COUNT ? names[reason] : "?";
}

const char *x86_flags_str(uint32_t flags, char *buf, size_t size)
{
    static const struct { uint32_t bit; char c; } letters[] = {
        { X86_EFL_OF, 'O' }, { X86_EFL_SF, 'S' }, { X86_EFL_ZF, 'Z' },
        { X86_EFL_AF, 'A' }, { X86_EFL_PF, 'P' }, { X86_EFL_CF, 'C' },
        { X86_EFL_DF, 'D' }, { X86_EFL_IF, 'I' }, { X86_EFL_TF, 'T' },
    };
    size_t n = 0;

    if (size == 0) {
        return buf;
    }
    if (flags == X86_FL_ALL) {
        snprintf(buf, size, "ALL");
        return buf;
    }
    for (size_t i = 0; i < ARRAY_SIZE(letters) && n + 1 < size; i++) {
        if (flags & letters[i].bit) {
            buf[n++] = letters[i].c;
        }
    }
    if ((flags & X86_EFL_AC) && n + 3 < size) {
        memcpy(buf + n, "ac", 2);
        n += 2;
    }
    buf[n] = 0;
    return buf;
}

bool x86_insn_is_user(unsigned id)
{
    const X86InsnInfo *info = x86_insn_info(id);
    return id != XI_INVALID && !(info->attrs & (X86_A_PRIV | X86_A_SYS | X86_A_IOPL));
}

bool x86_insn_valid_in_mode(unsigned id, unsigned mode)
{
    return id != XI_INVALID && mode < X86_MODE_COUNT &&
           (x86_insn_info(id)->modes & (1u << mode));
}

const char *x86_insn_mnemonic(const DecodedInsn *d, char *buf, size_t size)
{
    const X86InsnInfo *info = x86_insn_info(d->id);
    const char *m = info->mnem;
    const char *parts[3] = { m, NULL, NULL };
    size_t lens[3] = { strlen(m), 0, 0 };
    unsigned nparts = 1, pick = 0;

    for (const char *p = strchr(m, '/'); p && nparts < 3; p = strchr(p + 1, '/')) {
        lens[nparts - 1] = p - parts[nparts - 1];
        parts[nparts] = p + 1;
        lens[nparts] = strlen(p + 1);
        nparts++;
    }
    if (nparts == 2) {
        pick = (d->rex & X86_REX_W) ? 1 : 0;
    } else if (nparts == 3) {
        unsigned sz = (info->attrs & X86_A_MAS) ? d->addrsize : d->opsize;
        pick = sz == 2 ? 0 : sz == 4 ? 1 : 2;
        if (lens[pick] == 0) {
            pick = 1;
        }
    }
    snprintf(buf, size, "%.*s", (int)lens[pick], parts[pick]);
    return buf;
}

/* ---- Decoding ---- */

typedef struct DecState {
    DecodedInsn *d;
    const X86DecodeCtx *ctx;
    uint8_t last_rep;       /* 0, or the last of F2/F3 (it selects the mandatory prefix) */
    uint8_t seg_eff;        /* segment override that applies to memory, X86_SEG_NONE if none */
    const uint8_t *fast;    /* the fast window from ip on, or NULL */
    uint8_t fast_len;       /* its length, capped at 15 */
} DecState;

/* Stages of row matching; a failure at a later stage explains #UD better.  A
 * 66/F2/F3 that selects no row is judged after ModRM ("F3 0F AE /0 with memory"
 * is FXSAVE with a reserved prefix, not RDFSBASE with a memory operand); with
 * no such prefix, ModRM explains more ("0F AE C8": FXRSTOR needs memory). */
enum { ST_NONE, ST_PREFIX_NONE, ST_REG, ST_MOD, ST_RM, ST_PREFIX, ST_REXW, ST_MODE,
       ST_FEATURE };

/* Past the fast buffer: the 15-byte limit, then the callback. */
static bool __attribute__((noinline)) fetch_slow(DecState *s, uint8_t *out)
{
    DecodedInsn *d = s->d;
    uint8_t b;
    int err;

    if (d->len >= X86_MAX_INSN_LEN) {
        d->status = X86_DEC_GP;
        return false;
    }
    err = s->ctx->fetch ? s->ctx->fetch(s->ctx->opaque, d->ip + d->len, &b) : -1;
    if (err) {
        d->status = X86_DEC_FETCH;
        d->fetch_error = err;
        return false;
    }
    d->bytes[d->len++] = b;
    *out = b;
    return true;
}

static inline bool fetch_u8(DecState *s, uint8_t *out)
{
    DecodedInsn *d = s->d;
    unsigned n = d->len;

    if (likely(n < s->fast_len)) {
        *out = d->bytes[n] = s->fast[n];
        d->len = n + 1;
        return true;
    }
    return fetch_slow(s, out);
}

static bool fetch_le(DecState *s, unsigned n, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        if (!fetch_u8(s, &b)) {
            return false;
        }
        v |= (uint64_t)b << (8 * i);
    }
    *out = v;
    return true;
}

static inline int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned sh = 64 - 8 * bytes;
    return (int64_t)(v << sh) >> sh;
}

static inline bool mode64(const DecodedInsn *d)
{
    return d->mode == X86_MODE_LONG64;
}

/*
 * Legacy prefixes and REX.  REX counts only when it is the last prefix: a
 * legacy prefix after it cancels it.  In 64-bit mode ES/CS/SS/DS overrides
 * are null prefixes, so they neither apply nor cancel an earlier FS/GS.
 */
static bool decode_prefixes(DecState *s, uint8_t *opc)
{
    DecodedInsn *d = s->d;
    uint8_t b;

    for (;;) {
        if (!fetch_u8(s, &b)) {
            return false;
        }
        switch (b) {
        case 0xf0:
            d->prefixes |= X86_PFX_LOCK;
            break;
        case 0xf2:
            d->prefixes |= X86_PFX_REPNE;
            s->last_rep = b;
            break;
        case 0xf3:
            d->prefixes |= X86_PFX_REPE;
            s->last_rep = b;
            break;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            d->prefixes |= X86_PFX_SEG;
            d->seg_override = (b >> 3) & 3;
            if (!mode64(d)) {
                s->seg_eff = d->seg_override;
            }
            break;
        case 0x64: case 0x65:
            d->prefixes |= X86_PFX_SEG;
            d->seg_override = X86_SEG_FS + (b - 0x64);
            s->seg_eff = d->seg_override;
            break;
        case 0x66:
            d->prefixes |= X86_PFX_OPSIZE;
            break;
        case 0x67:
            d->prefixes |= X86_PFX_ADSIZE;
            break;
        default:
            if (mode64(d) && (b & 0xf0) == 0x40) {
                d->rex = b;
                continue;
            }
            if (d->rex) {
                d->prefixes |= X86_PFX_REX;
            }
            d->opc_off = d->len - 1;
            *opc = b;
            return true;
        }
        d->rex = 0;
    }
}

/* Why a row is invalid in the current mode. */
static unsigned mode_reason(const DecodedInsn *d, const X86InsnInfo *info)
{
    if (mode64(d)) {
        return X86_UD_MODE64;
    }
    if (info->modes == X86_MB_LONG64) {
        return X86_UD_ONLY64;
    }
    return X86_UD_REALV86;
}

/*
 * Choose the row for this opcode: the first row, in table order, whose
 * mandatory prefix, ModRM constraints, REX.W, modes and CPUID feature all
 * match, where a row naming the instruction's mandatory prefix beats any
 * xx row.  A row whose feature is missing is skipped, so F3 0F BC falls
 * back to BSF on a CPU without BMI1, as hardware does.  On failure,
 * fail_row and fail_reason describe the row that came closest.
 */
static unsigned select_row(DecState *s, const uint16_t *rows, unsigned count,
                           unsigned *fail_reason, unsigned *fail_row)
{
    DecodedInsn *d = s->d;
    unsigned mp = s->last_rep == 0xf3 ? X86_MP_F3 : s->last_rep == 0xf2 ? X86_MP_F2 :
                  (d->prefixes & X86_PFX_OPSIZE) ? X86_MP_66 : X86_MP_NP;
    unsigned regf = (d->modrm >> 3) & 7, rmf = d->modrm & 7, mod = d->modrm >> 6;
    unsigned best = 0, best_score = 0, fail_stage = ST_NONE;

    for (unsigned i = 0; i < count; i++) {
        unsigned id = rows[i];
        const X86InsnInfo *info = &x86_insn_table[id];
        unsigned score, stage, reason;

        if (info->pfx == X86_MP_xx) {
            score = 1;
        } else if (info->pfx == X86_MP_NF) {
            score = s->last_rep ? 0 : 1;
        } else {
            score = info->pfx == mp ? 2 : 0;
        }
        if (score && score <= best_score) {
            continue;
        }
        if (info->modrm & X86_MRC_HAS) {
            if (!(X86_MRC_REGMASK(info->modrm) & (1u << regf))) {
                stage = ST_REG, reason = X86_UD_REG;
                goto fail;
            }
            if ((info->modrm & X86_MRC_MODMEM) && mod == 3) {
                stage = ST_MOD, reason = X86_UD_NEED_MEM;
                goto fail;
            }
            if ((info->modrm & X86_MRC_MODREG) && mod != 3) {
                stage = ST_MOD, reason = X86_UD_NEED_REG;
                goto fail;
            }
            if ((info->modrm & X86_MRC_RMV) && rmf != X86_MRC_RMVAL(info->modrm)) {
                stage = ST_RM, reason = X86_UD_REG;
                goto fail;
            }
        } else if ((info->modrm & X86_MRC_NOREXB) && (d->rex & X86_REX_B)) {
            stage = ST_RM, reason = X86_UD_UNDEFINED;
            goto fail;
        }
        if (score == 0) {
            stage = mp == X86_MP_NP ? ST_PREFIX_NONE : ST_PREFIX, reason = X86_UD_PREFIX;
            goto fail;
        }
        if (((info->attrs & X86_A_W0) && (d->rex & X86_REX_W)) ||
            ((info->attrs & X86_A_W1) && !(d->rex & X86_REX_W))) {
            stage = ST_REXW, reason = X86_UD_REXW;
            goto fail;
        }
        if (!(info->modes & (1u << d->mode))) {
            stage = ST_MODE, reason = mode_reason(d, info);
            goto fail;
        }
        if (info->feature != X86_FEAT_BASE &&
            !(s->ctx->features & X86_FEATBIT(info->feature))) {
            stage = ST_FEATURE, reason = X86_UD_FEATURE;
            goto fail;
        }
        best = id;
        best_score = score;
        continue;
    fail:
        if (stage > fail_stage) {
            fail_stage = stage;
            *fail_reason = reason;
            *fail_row = id;
        }
    }
    if (!best && fail_stage < ST_REXW) {
        *fail_row = 0;      /* not a complete match: the length is unknown */
    }
    return best;
}

/* ModRM (mod != 3) with SIB and displacement: SDM Vol. 2, Tables 2-1 to 2-3. */
static bool decode_mem(DecState *s)
{
    DecodedInsn *d = s->d;
    X86MemRef *m = &d->mem;
    unsigned mod = d->modrm >> 6, rmf = d->modrm & 7;
    unsigned disp_len = mod == 1 ? 1 : 0;
    bool ss_default = false;
    uint64_t v;

    d->has_mem = true;
    m->scale = 1;
    if (d->addrsize == 2) {
        static const int8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };   /* BX BX BP BP SI DI BP BX */
        static const int8_t index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

        if (mod == 0 && rmf == 6) {
            disp_len = 2;
        } else {
            m->base = base16[rmf];
            m->index = index16[rmf];
            ss_default = m->base == 5;
            if (mod == 2) {
                disp_len = 2;
            }
        }
    } else {
        if (mod == 2) {
            disp_len = 4;
        }
        if (rmf == 4) {
            uint8_t sib;
            unsigned idx;
            if (!fetch_u8(s, &sib)) {
                return false;
            }
            d->has_sib = true;
            d->sib = sib;
            m->scale = 1u << (sib >> 6);
            idx = ((sib >> 3) & 7) | ((d->rex & X86_REX_X) ? 8 : 0);
            if (idx != 4) {
                m->index = idx;
            }
            if ((sib & 7) == 5 && mod == 0) {
                disp_len = 4;
            } else {
                m->base = (sib & 7) | ((d->rex & X86_REX_B) ? 8 : 0);
            }
        } else if (rmf == 5 && mod == 0) {
            disp_len = 4;
            if (mode64(d)) {
                m->base = X86_REG_RIP;
            }
        } else {
            m->base = rmf | ((d->rex & X86_REX_B) ? 8 : 0);
        }
        ss_default = m->base == 4 || m->base == 5;
    }
    if (disp_len) {
        if (!fetch_le(s, disp_len, &v)) {
            return false;
        }
        m->disp = sext(v, disp_len);
    }
    m->seg = s->seg_eff != X86_SEG_NONE ? s->seg_eff : ss_default ? X86_SEG_SS : X86_SEG_DS;
    return true;
}

static unsigned resolve_size(const DecodedInsn *d, unsigned sz, bool is_mem)
{
    switch (sz) {
    case X86_SZ_B: return 1;
    case X86_SZ_W: return 2;
    case X86_SZ_D: return 4;
    case X86_SZ_Q: return 8;
    case X86_SZ_DQ: return 16;
    case X86_SZ_T: return 10;
    case X86_SZ_V: return d->opsize;
    case X86_SZ_Z: return d->opsize == 2 ? 2 : 4;
    case X86_SZ_Y: return d->opsize == 8 ? 8 : 4;
    case X86_SZ_VW: return is_mem ? 2 : d->opsize;
    case X86_SZ_YW: return is_mem ? 2 : d->opsize == 8 ? 8 : 4;
    case X86_SZ_P: return 2 + d->opsize;
    case X86_SZ_S: return mode64(d) ? 10 : 6;
    case X86_SZ_A: return 2 * d->opsize;
    case X86_SZ_ENV: return d->opsize == 2 ? 14 : 28;
    case X86_SZ_FSTATE: return d->opsize == 2 ? 94 : 108;
    case X86_SZ_FXSTATE: return 512;
    default: return 0;
    }
}

static void set_gpr(DecodedInsn *d, X86Operand *op, unsigned reg)
{
    op->kind = X86_OPK_GPR;
    op->reg = reg;
    op->high8 = op->size == 1 && !d->rex && reg >= 4 && reg < 8;
}

static void set_mem(DecodedInsn *d, X86Operand *op, unsigned sz)
{
    op->kind = X86_OPK_MEM;
    op->size = resolve_size(d, sz, true);
}

static bool ud(DecodedInsn *d, unsigned reason)
{
    d->status = X86_DEC_UD;
    d->ud_reason = reason;
    return false;
}

/* Decode operand i of the row; immediates are fetched in operand order. */
static bool decode_operand(DecState *s, const X86InsnInfo *info, unsigned i)
{
    DecodedInsn *d = s->d;
    X86Operand *op = &d->op[i];
    unsigned form = info->ops[i], sz = opform_size[form];
    unsigned regf = (d->modrm >> 3) & 7, rmf = d->modrm & 7;
    bool reg_rm = (d->modrm >> 6) == 3 || (info->attrs & X86_A_MODIGN);
    uint64_t v;

    *op = (X86Operand){ .form = form, .size = resolve_size(d, sz, false) };
    switch (opform_class[form]) {
    case X86_OPC_E:
        if (reg_rm) {
            set_gpr(d, op, d->rm);
        } else {
            set_mem(d, op, sz);
        }
        break;
    case X86_OPC_M:
        set_mem(d, op, sz);
        break;
    case X86_OPC_R:
        set_gpr(d, op, d->rm);
        break;
    case X86_OPC_G:
        set_gpr(d, op, d->reg);
        break;
    case X86_OPC_S:
        /* REX.R does not extend segment registers; MOV to CS is invalid */
        op->kind = X86_OPK_SEG;
        op->reg = regf;
        if (regf > X86_SEG_GS || (i == 0 && regf == X86_SEG_CS)) {
            return ud(d, X86_UD_BADREG);
        }
        break;
    case X86_OPC_C:
        op->kind = X86_OPK_CR;
        op->reg = d->reg;
        if (!(d->reg == 0 || d->reg == 2 || d->reg == 3 || d->reg == 4 ||
              (d->reg == 8 && mode64(d)))) {
            return ud(d, X86_UD_BADREG);
        }
        break;
    case X86_OPC_D:
        op->kind = X86_OPK_DR;
        op->reg = d->reg;
        if (d->reg > 7) {
            return ud(d, X86_UD_BADREG);
        }
        break;
    case X86_OPC_P:
        op->kind = X86_OPK_MMX;
        op->reg = regf;
        break;
    case X86_OPC_Q:
        if (reg_rm) {
            op->kind = X86_OPK_MMX;
            op->reg = rmf;
        } else {
            set_mem(d, op, sz);
        }
        break;
    case X86_OPC_N:
        op->kind = X86_OPK_MMX;
        op->reg = rmf;
        break;
    case X86_OPC_V:
        op->kind = X86_OPK_XMM;
        op->reg = d->reg;
        break;
    case X86_OPC_W:
        if (reg_rm) {
            op->kind = X86_OPK_XMM;
            op->reg = d->rm;
        } else {
            set_mem(d, op, sz);
        }
        break;
    case X86_OPC_U:
        op->kind = X86_OPK_XMM;
        op->reg = d->rm;
        break;
    case X86_OPC_I:
    case X86_OPC_IS:
        /* Iv is the only 8-byte immediate (MOV r64, imm64); Iz stays 4 bytes */
        if (!fetch_le(s, op->size, &v)) {
            return false;
        }
        op->kind = X86_OPK_IMM;
        op->imm = opform_class[form] == X86_OPC_IS ? (uint64_t)sext(v, op->size) : v;
        break;
    case X86_OPC_ONE:
        op->kind = X86_OPK_IMM;
        op->imm = 1;
        break;
    case X86_OPC_J: {
        unsigned n = sz == X86_SZ_B ? 1 : d->opsize == 2 ? 2 : 4;
        if (!fetch_le(s, n, &v)) {
            return false;
        }
        op->kind = X86_OPK_REL;
        op->size = d->opsize;
        op->imm = (uint64_t)sext(v, n);     /* displacement until the length is known */
        break;
    }
    case X86_OPC_A: {
        uint64_t sel;
        if (!fetch_le(s, d->opsize, &v) || !fetch_le(s, 2, &sel)) {
            return false;
        }
        op->kind = X86_OPK_FAR;
        op->imm = v;
        op->sel = sel;
        op->size = d->opsize + 2;
        break;
    }
    case X86_OPC_O:
        if (!fetch_le(s, d->addrsize, &v)) {
            return false;
        }
        d->has_mem = true;
        d->mem.disp = (int64_t)v;
        d->mem.seg = s->seg_eff != X86_SEG_NONE ? s->seg_eff : X86_SEG_DS;
        set_mem(d, op, sz);
        break;
    case X86_OPC_Z:
        set_gpr(d, op, (d->opcode & 7) | ((d->rex & X86_REX_B) ? 8 : 0));
        break;
    case X86_OPC_FIX:
        set_gpr(d, op, form == X86_OPF_CL ? 1 : form == X86_OPF_DX ? 2 : 0);
        break;
    case X86_OPC_SEGF:
        op->kind = X86_OPK_SEG;
        op->reg = form - X86_OPF_ES;
        break;
    case X86_OPC_ST0:
        op->kind = X86_OPK_ST;
        op->reg = 0;
        break;
    case X86_OPC_STI:
        op->kind = X86_OPK_ST;
        op->reg = rmf;
        break;
    case X86_OPC_X:
        op->kind = X86_OPK_STR;
        op->reg = 6;
        op->seg = s->seg_eff != X86_SEG_NONE ? s->seg_eff : X86_SEG_DS;
        break;
    case X86_OPC_Y:
        op->kind = X86_OPK_STR;
        op->reg = 7;
        op->seg = X86_SEG_ES;
        break;
    default:
        break;
    }
    return true;
}

/* With the row chosen: sizes, ModRM memory operand, operands, final checks. */
static bool decode_row(DecState *s, unsigned id)
{
    DecodedInsn *d = s->d;
    const X86InsnInfo *info = &x86_insn_table[id];
    uint32_t attrs = info->attrs;
    bool o16 = (d->prefixes & X86_PFX_OPSIZE) && info->pfx != X86_MP_66;

    d->id = id;
    d->nops = info->nops;
    if (attrs & X86_A_FIXSZ) {
        d->opsize = mode64(d) ? 8 : 4;
    } else if (mode64(d)) {
        if ((attrs & X86_A_F64) || (d->rex & X86_REX_W)) {
            d->opsize = 8;
        } else if (attrs & X86_A_D64) {
            d->opsize = o16 ? 2 : 8;
        } else {
            d->opsize = o16 ? 2 : 4;
        }
    } else {
        d->opsize = (d->codesize == 4) != o16 ? 4 : 2;
    }
    if (info->pfx >= X86_MP_NP && info->pfx <= X86_MP_F2) {
        d->mp = info->pfx;
    }
    if (info->pfx == X86_MP_66) {
        d->prefixes |= X86_PFX_MP66;
    } else if (info->pfx == X86_MP_F3 || info->pfx == X86_MP_F2) {
        d->prefixes |= X86_PFX_MPREP;
    }
    if ((attrs & (X86_A_REP | X86_A_REPC)) && s->last_rep) {
        d->rep = s->last_rep == 0xf3 ? X86_REP_REPE : X86_REP_REPNE;
    }
    if (d->has_modrm) {
        d->mod = d->modrm >> 6;
        d->reg = ((d->modrm >> 3) & 7) | ((d->rex & X86_REX_R) ? 8 : 0);
        d->rm = (d->modrm & 7) | ((d->rex & X86_REX_B) ? 8 : 0);
        if (d->mod != 3 && !(attrs & X86_A_MODIGN) && !decode_mem(s)) {
            return false;
        }
    }
    for (unsigned i = 0; i < info->nops; i++) {
        if (!decode_operand(s, info, i)) {
            return false;
        }
    }
    /* Branch targets wrap to the operand size (SDM Jcc/JMP/CALL: EIP AND FFFFH). */
    for (unsigned i = 0; i < info->nops; i++) {
        X86Operand *op = &d->op[i];
        if (op->kind == X86_OPK_REL) {
            uint64_t t = d->ip + d->len + op->imm;
            op->imm = d->opsize == 2 ? (t & 0xffff) : d->opsize == 4 ? (t & 0xffffffffu) : t;
        }
    }
    if (id == XI_XLAT || id == XI_MASKMOVQ_PqNq || id == XI_MASKMOVDQU_VdqUdq) {
        d->has_mem = true;
        d->mem.base = id == XI_XLAT ? 3 : 7;
        d->mem.seg = s->seg_eff != X86_SEG_NONE ? s->seg_eff : X86_SEG_DS;
    }
    if ((d->prefixes & X86_PFX_LOCK) &&
        (!(attrs & X86_A_LOCK) || d->op[0].kind != X86_OPK_MEM)) {
        return ud(d, X86_UD_LOCK);
    }
    return true;
}

/* C4/C5 (VEX) and 62 (EVEX) take the LES/LDS/BOUND opcodes where those cannot
 * have a register operand: always in 64-bit mode, for mod == 3 in protected mode. */
static bool is_vex_escape(const DecodedInsn *d)
{
    if (d->map != X86_MAP_M1 || (d->opcode != 0xc4 && d->opcode != 0xc5 && d->opcode != 0x62)) {
        return false;
    }
    return mode64(d) || (d->mode == X86_MODE_PROT && (d->modrm >> 6) == 3);
}

int x86_decode(DecodedInsn *d, const X86DecodeCtx *ctx, uint64_t ip)
{
    const DecodeIndex *ix = decode_index_get();
    DecState s = { .d = d, .ctx = ctx, .seg_eff = X86_SEG_NONE };
    unsigned map = X86_MAP_M1, slot = 0, id, fail_reason = X86_UD_UNDEFINED, fail_row = 0;
    uint8_t b;

    /* Zero the scalar fields only: a full memset costs more than the decode of a
     * simple instruction.  Operands are written by decode_row(). */
    memset(d, 0, offsetof(DecodedInsn, ip));
    d->ip = ip;
    for (unsigned i = 0; i < 4; i++) {
        d->op[i].kind = X86_OPK_NONE;
        d->op[i].form = X86_OPF__;
    }
    d->mode = ctx->mode;
    d->seg_override = X86_SEG_NONE;
    d->mem = (X86MemRef){ .base = X86_REG_NONE, .index = X86_REG_NONE, .scale = 1,
                          .seg = X86_SEG_NONE };
    if (mode64(d)) {
        d->codesize = 8;
    } else {
        d->codesize = (ctx->code32 && ctx->mode != X86_MODE_V86) ? 4 : 2;
    }

    if (ctx->fast && ip - ctx->fast_base < ctx->fast_len) {
        uint64_t off = ip - ctx->fast_base;
        s.fast = ctx->fast + off;
        s.fast_len = MIN(ctx->fast_len - off, (uint64_t)X86_MAX_INSN_LEN);
    }

    if (!decode_prefixes(&s, &b)) {
        return d->status;
    }
    if (mode64(d)) {
        d->addrsize = (d->prefixes & X86_PFX_ADSIZE) ? 4 : 8;
    } else {
        d->addrsize = ((d->codesize == 4) != !!(d->prefixes & X86_PFX_ADSIZE)) ? 4 : 2;
    }
    if (b == 0x0f) {
        map = X86_MAP_0F;
        if (!fetch_u8(&s, &b)) {
            return d->status;
        }
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            if (!fetch_u8(&s, &b)) {
                return d->status;
            }
        }
    }
    d->map = map;
    d->opcode = b;
    if (ix->modrm[map][b] == MODRM_UNSET) {
        ud(d, X86_UD_UNDEFINED);
        return d->status;
    }
    if (ix->modrm[map][b] == MODRM_YES) {
        if (!fetch_u8(&s, &d->modrm)) {
            return d->status;
        }
        d->has_modrm = true;
        slot = (d->modrm >> 3) & 7;
        fail_reason = X86_UD_REG;       /* if no row uses this ModRM.reg */
    }
    if (is_vex_escape(d)) {
        ud(d, X86_UD_VEX);
        return d->status;
    }
    id = select_row(&s, &ix->rows[ix->start[map][b][slot]], ix->count[map][b][slot],
                    &fail_reason, &fail_row);
    if (!id) {
        /* The row is known but not allowed here: decode it anyway so that the
         * length and operands are right for the disassembler, then report #UD. */
        if (fail_row && !decode_row(&s, fail_row) && d->status == X86_DEC_FETCH) {
            return d->status;   /* a fault fetching the instruction comes before #UD */
        }
        d->status = X86_DEC_OK;
        ud(d, fail_reason);
        if (fail_reason == X86_UD_FEATURE) {
            d->ud_feature = x86_insn_table[fail_row].feature;
        }
        return d->status;
    }
    if (!decode_row(&s, id)) {
        return d->status;
    }
    d->status = X86_DEC_OK;
    return d->status;
}

static int buf_fetch_fault(void *opaque, uint64_t addr, uint8_t *byte)
{
    return -1;
}

int x86_decode_buf(DecodedInsn *d, uint8_t mode, bool code32, uint64_t features,
                   uint64_t ip, const uint8_t *buf, size_t len)
{
    X86DecodeCtx ctx = {
        .fetch = buf_fetch_fault,
        .fast = buf,
        .fast_base = ip,
        .fast_len = len > X86_MAX_INSN_LEN ? X86_MAX_INSN_LEN : (uint32_t)len,
        .mode = mode,
        .code32 = code32,
        .features = features,
    };
    return x86_decode(d, &ctx, ip);
}

uint64_t x86_next_ip(const DecodedInsn *d)
{
    uint64_t next = d->ip + d->len;
    return d->codesize == 2 ? (next & 0xffff) : d->codesize == 4 ? (next & 0xffffffffu) : next;
}

uint64_t x86_rip_relative(const DecodedInsn *d)
{
    uint64_t t = d->ip + d->len + (uint64_t)d->mem.disp;
    return d->addrsize == 4 ? (t & 0xffffffffu) : t;
}
