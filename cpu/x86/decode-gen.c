/*
 * Walking the instruction table for tests: per-opcode test lists, one-line
 * row descriptions, and random encodings of a row.  The differential CPU
 * tester builds its instruction streams from these; the decoder unit test
 * uses them to derive encodings from the table itself.
 */
#include "cpu/x86/decode.h"

#include <inttypes.h>

size_t x86_insn_list(const X86InsnFilter *f, uint16_t *out, size_t max)
{
    size_t n = 0;

    for (unsigned id = 1; id < XI_COUNT; id++) {
        const X86InsnInfo *info = x86_insn_info(id);
        if (!x86_insn_valid_in_mode(id, f->mode)) {
            continue;
        }
        if (info->feature != X86_FEAT_BASE && !(f->features & X86_FEATBIT(info->feature))) {
            continue;
        }
        if (info->attrs & f->attrs_exclude) {
            continue;
        }
        if (f->user_only && !x86_insn_is_user(id)) {
            continue;
        }
        /* REX.W exists only in 64-bit mode */
        if ((info->attrs & X86_A_W1) && f->mode != X86_MODE_LONG64) {
            continue;
        }
        if (n < max) {
            out[n] = id;
        }
        n++;
    }
    return n;
}

static const char *modes_name(unsigned modes)
{
    switch (modes) {
    case X86_MODES_ALL: return "ALL";
    case X86_MODES_N64: return "N64";
    case X86_MODES_O64: return "O64";
    case X86_MODES_PM: return "PM";
    case X86_MODES_PMN64: return "PMN64";
    default: return "?";
    }
}

static void encoding_str(const X86InsnInfo *info, char *buf, size_t size)
{
    static const char *const pfx[] = { "", "NP ", "66 ", "F3 ", "F2 ", "NF " };
    static const char *const map[] = { "", "0F ", "0F 38 ", "0F 3A ", };
    uint32_t m = info->modrm;
    char mr[32] = "";
    bool zreg = false;

    for (int i = 0; i < 4; i++) {
        zreg |= x86_opform_class(info->ops[i]) == X86_OPC_Z;
    }
    if (m & X86_MRC_HAS) {
        unsigned mask = X86_MRC_REGMASK(m);
        const char *kind = (m & X86_MRC_MODMEM) ? " mem" : (m & X86_MRC_MODREG) ? " reg" : "";
        if (m & X86_MRC_RMV) {
            snprintf(mr, sizeof(mr), " %02X", 0xc0 | (__builtin_ctz(mask) << 3) | X86_MRC_RMVAL(m));
        } else if (mask == 0xff) {
            snprintf(mr, sizeof(mr), " /r%s", kind);
        } else if ((mask & (mask - 1)) == 0) {
            snprintf(mr, sizeof(mr), " /%d%s", __builtin_ctz(mask), kind);
        } else {
            snprintf(mr, sizeof(mr), " /{%02x}%s", mask, kind);
        }
    }
    snprintf(buf, size, "%s%s%02X%s%s", pfx[info->pfx], map[info->map], info->opcode,
             zreg ? "+r" : "", mr);
}

void x86_insn_describe(unsigned id, char *buf, size_t size)
{
    static const char *const attr_names[] = {
        "LOCK", "REP", "REPC", "D64", "F64", "FIXSZ", "MODIGN", "PRIV", "IOPL", "BR", "SYS",
        "W0", "W1", "ALN", "MAS", "UNDOC",
    };
    const X86InsnInfo *info = x86_insn_info(id);
    char enc[48], ops[64] = "", attrs[128] = "", fr[16], fw[16], fu[16];
    size_t n = 0;

    encoding_str(info, enc, sizeof(enc));
    for (unsigned i = 0; i < info->nops; i++) {
        n += snprintf(ops + n, sizeof(ops) - n, "%s%s", i ? "," : "",
                      x86_opform_name(info->ops[i]));
        if (n >= sizeof(ops)) {
            break;
        }
    }
    n = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(attr_names); i++) {
        if (info->attrs & (1u << i)) {
            n += snprintf(attrs + n, sizeof(attrs) - n, "%s%s", n ? "," : "", attr_names[i]);
            if (n >= sizeof(attrs)) {
                break;
            }
        }
    }
    snprintf(buf, size, "%s %s %s %s modes=%s feat=%s r=%s w=%s u=%s attrs=%s xlat=%s",
             info->name, enc, info->mnem, ops, modes_name(info->modes),
             x86_feature_name(info->feature), x86_flags_str(info->flags_read, fr, sizeof(fr)),
             x86_flags_str(info->flags_written, fw, sizeof(fw)),
             x86_flags_str(info->flags_undef, fu, sizeof(fu)), attrs, info->xlat);
}

/* ---- Random encodings ---- */

uint64_t x86_rand_next(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(uint64_t *rng, unsigned n)
{
    return (unsigned)(x86_rand_next(rng) % n);
}

/* A random register number in 0..limit-1 that is not in avoid (if possible). */
static unsigned pick_reg(uint64_t *rng, unsigned limit, uint16_t avoid)
{
    for (int tries = 0; tries < 32; tries++) {
        unsigned r = rnd(rng, limit);
        if (!(avoid & (1u << r))) {
            return r;
        }
    }
    return rnd(rng, limit);
}

/* Does operand i of the row take its register from ModRM.reg / rm / the opcode? */
static bool row_uses_class(const X86InsnInfo *info, unsigned cls)
{
    for (unsigned i = 0; i < info->nops; i++) {
        if (x86_opform_class(info->ops[i]) == cls) {
            return true;
        }
    }
    return false;
}

static bool row_gpr_in_reg(const X86InsnInfo *info)
{
    return row_uses_class(info, X86_OPC_G);
}

static bool row_gpr_in_rm(const X86InsnInfo *info)
{
    return row_uses_class(info, X86_OPC_E) || row_uses_class(info, X86_OPC_R);
}

typedef struct Enc {
    uint8_t b[X86_MAX_INSN_LEN + 16];
    unsigned n;
} Enc;

static void put(Enc *e, uint8_t v)
{
    if (e->n < sizeof(e->b)) {
        e->b[e->n++] = v;
    }
}

/* ModRM.reg for the row: a value its mask allows, sensible for the operand class. */
static unsigned choose_reg_field(const X86InsnInfo *info, const X86EncodeOpts *o, uint64_t *rng,
                                 unsigned *rex)
{
    unsigned mask = X86_MRC_REGMASK(info->modrm);
    bool m64 = o->mode == X86_MODE_LONG64;
    unsigned r;

    if (mask != 0xff) {
        do {
            r = rnd(rng, 8);
        } while (!(mask & (1u << r)));
        return r;
    }
    if (row_uses_class(info, X86_OPC_S)) {
        /* ES..GS; CS cannot be a destination (8E) */
        do {
            r = rnd(rng, 6);
        } while (r == X86_SEG_CS && info->ops[0] == X86_OPF_Sw);
        return r;
    }
    if (row_uses_class(info, X86_OPC_C)) {
        static const unsigned crs[] = { 0, 2, 3, 4 };
        return crs[rnd(rng, 4)];
    }
    if (row_uses_class(info, X86_OPC_D) || row_uses_class(info, X86_OPC_P)) {
        return rnd(rng, 8);
    }
    if (row_gpr_in_reg(info)) {
        r = pick_reg(rng, m64 ? 16 : 8, o->avoid_gprs);
    } else {
        r = rnd(rng, m64 ? 16 : 8);
    }
    if (r & 8) {
        *rex |= X86_REX_R;
    }
    return r & 7;
}

/* mod/rm (+SIB, disp8 for SIMPLE_MEM) for a memory operand. */
static void encode_mem(Enc *e, const X86EncodeOpts *o, uint64_t *rng, unsigned regf,
                       unsigned addrsize, unsigned *rex, bool align16)
{
    if (o->flags & X86_ENC_SIMPLE_MEM) {
        unsigned base = o->mem_base & 15;
        uint8_t disp = align16 ? (uint8_t)(rnd(rng, 8) * 16) : (uint8_t)rnd(rng, 128);
        if (addrsize == 2) {
            static const int8_t rm16[8] = { -1, -1, -1, 7, -1, 6, 4, 5 };  /* bx, bp, si, di */
            int rm = rm16[base & 7];
            put(e, 0x40 | (regf << 3) | (rm < 0 ? 7 : rm));
        } else {
            if (base & 8) {
                *rex |= X86_REX_B;
            }
            put(e, 0x40 | (regf << 3) | (base & 7));
            if ((base & 7) == 4) {
                put(e, 0x24);
            }
        }
        put(e, disp);
        return;
    }
    unsigned mod = rnd(rng, 3), rm = rnd(rng, 8);
    put(e, (mod << 6) | (regf << 3) | rm);
    if (addrsize != 2 && rm == 4) {
        put(e, (uint8_t)x86_rand_next(rng));
    }
    if (o->mode == X86_MODE_LONG64) {
        *rex |= rnd(rng, 4) & (X86_REX_X | X86_REX_B);
    }
}

/* One attempt; the caller checks that it decodes back to the row. */
static unsigned try_encode(unsigned id, const X86EncodeOpts *o, uint64_t *rng, Enc *e)
{
    const X86InsnInfo *info = x86_insn_info(id);
    bool m64 = o->mode == X86_MODE_LONG64;
    bool plain = o->flags & X86_ENC_NO_PREFIXES;
    uint32_t mrc = info->modrm;
    bool use_mem = false, has_modrm = mrc & X86_MRC_HAS;
    unsigned rex = 0, addrsize, codesize;
    bool a16 = false;

    if (has_modrm && !(info->attrs & X86_A_MODIGN)) {
        if (mrc & X86_MRC_MODMEM) {
            use_mem = true;
        } else if (mrc & X86_MRC_MODREG) {
            use_mem = false;
        } else if (o->flags & X86_ENC_NO_MEM) {
            use_mem = false;
        } else if (o->flags & X86_ENC_NO_REG) {
            use_mem = true;
        } else {
            use_mem = rnd(rng, 2);
        }
        if (use_mem && (o->flags & X86_ENC_NO_MEM)) {
            return 0;
        }
    }

    /* Legacy prefixes, in random order where there are several */
    uint8_t pf[6];
    unsigned npf = 0;
    bool string_op = row_uses_class(info, X86_OPC_X) || row_uses_class(info, X86_OPC_Y);
    if (!plain && (use_mem || string_op) && rnd(rng, 5) == 0) {
        static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
        pf[npf++] = segs[rnd(rng, 6)];
    }
    if (!plain && (info->pfx == X86_MP_xx || info->pfx == X86_MP_NF) && rnd(rng, 4) == 0) {
        pf[npf++] = 0x66;
    }
    if (!plain && use_mem && !(o->flags & X86_ENC_SIMPLE_MEM) && rnd(rng, 6) == 0) {
        pf[npf++] = 0x67;
        a16 = true;
    }
    if ((info->attrs & (X86_A_REP | X86_A_REPC)) && !plain && rnd(rng, 3) == 0) {
        pf[npf++] = rnd(rng, 2) ? 0xf3 : 0xf2;
    }
    if ((info->attrs & X86_A_LOCK) && use_mem && !plain && rnd(rng, 3) == 0) {
        pf[npf++] = 0xf0;
    }
    for (unsigned i = npf; i > 1; i--) {
        unsigned j = rnd(rng, i);
        uint8_t t = pf[i - 1];
        pf[i - 1] = pf[j];
        pf[j] = t;
    }
    for (unsigned i = 0; i < npf; i++) {
        put(e, pf[i]);
    }
    /* The mandatory prefix goes last, so it wins over any F2/F3 above */
    switch (info->pfx) {
    case X86_MP_66: put(e, 0x66); break;
    case X86_MP_F3: put(e, 0xf3); break;
    case X86_MP_F2: put(e, 0xf2); break;
    default: break;
    }

    codesize = m64 ? 8 : (o->code32 && o->mode != X86_MODE_V86) ? 4 : 2;
    addrsize = m64 ? (a16 ? 4 : 8) : ((codesize == 4) != a16 ? 4 : 2);

    /* REX: W as the row needs, other bits random unless prefixes are unwanted */
    if (m64) {
        if (info->attrs & X86_A_W1) {
            rex |= X86_REX_W;
        } else if (!(info->attrs & X86_A_W0) && !plain && rnd(rng, 4) == 0) {
            rex |= X86_REX_W;
        }
    } else if (info->attrs & X86_A_W1) {
        return 0;
    }

    /* Opcode (the REX byte is inserted before it at the end) */
    unsigned rex_pos = e->n;
    if (info->map != X86_MAP_M1) {
        put(e, 0x0f);
        if (info->map == X86_MAP_0F38) {
            put(e, 0x38);
        } else if (info->map == X86_MAP_0F3A) {
            put(e, 0x3a);
        }
    }
    uint8_t opc = info->opcode;
    if (row_uses_class(info, X86_OPC_Z)) {
        unsigned r = (mrc & X86_MRC_NOREXB) ? 0 : pick_reg(rng, m64 ? 16 : 8, o->avoid_gprs);
        if (r & 8) {
            rex |= X86_REX_B;
        }
        opc += r & 7;
    }
    put(e, opc);

    if (has_modrm) {
        unsigned regf = choose_reg_field(info, o, rng, &rex);
        if (use_mem) {
            encode_mem(e, o, rng, regf, addrsize, &rex, info->attrs & X86_A_ALN);
        } else {
            unsigned rm;
            if (mrc & X86_MRC_RMV) {
                rm = X86_MRC_RMVAL(mrc);
            } else if (row_gpr_in_rm(info)) {
                rm = pick_reg(rng, m64 ? 16 : 8, o->avoid_gprs);
                if (rm & 8) {
                    rex |= X86_REX_B;
                }
                rm &= 7;
            } else {
                rm = rnd(rng, 8);
                if (m64 && rnd(rng, 2)) {
                    rex |= X86_REX_B;
                }
            }
            put(e, 0xc0 | (regf << 3) | rm);
        }
    }
    if (m64 && !plain && rnd(rng, 8) == 0) {
        rex |= 0x40;        /* a redundant REX */
    }
    if (rex) {
        memmove(e->b + rex_pos + 1, e->b + rex_pos, e->n - rex_pos);
        e->b[rex_pos] = 0x40 | rex;
        e->n++;
    }
    /* Displacements and immediates: random bytes; the decoder says how many */
    while (e->n < sizeof(e->b)) {
        e->b[e->n++] = (uint8_t)x86_rand_next(rng);
    }
    return 1;
}

int x86_insn_encode(unsigned id, const X86EncodeOpts *o, uint64_t *rng, uint8_t out[15])
{
    uint64_t features = o->features ? o->features : X86_FEATURES_ALL;

    if (!x86_insn_valid_in_mode(id, o->mode)) {
        return 0;
    }
    for (int attempt = 0; attempt < 64; attempt++) {
        Enc e = { .n = 0 };
        DecodedInsn d;
        bool ok = true;

        if (!try_encode(id, o, rng, &e)) {
            return 0;
        }
        if (x86_decode_buf(&d, o->mode, o->code32, features, 0x1000, e.b, X86_MAX_INSN_LEN) !=
                X86_DEC_OK || d.id != id) {
            continue;
        }
        for (unsigned i = 0; i < d.nops; i++) {
            unsigned cls = x86_opform_class(d.op[i].form);
            if (d.op[i].kind == X86_OPK_GPR && (o->avoid_gprs & (1u << d.op[i].reg)) &&
                (cls == X86_OPC_E || cls == X86_OPC_R || cls == X86_OPC_G || cls == X86_OPC_Z)) {
                ok = false;
            }
        }
        if (!ok) {
            continue;
        }
        memcpy(out, d.bytes, d.len);
        return d.len;
    }
    return 0;
}
