/*
 * The IR: temporaries, builders, reference semantics, verifier and printer.
 * See ir.h for the design note.
 */
#include "accel/tcg/ir.h"

#include <assert.h>
#include <inttypes.h>

const IROpDef ir_op_defs[IR_OP_COUNT] = {
#define IR_OPC_DEF(nm, o, i, c, fl) [IR_OP_##nm] = {#nm, o, i, c, fl},
    IR_OPCODES(IR_OPC_DEF)
#undef IR_OPC_DEF
};

/* ---- conditions ---- */

IRCond ir_cond_invert(IRCond c)
{
    static const uint8_t inv[IR_COND_COUNT] = {
        [IR_COND_NEVER] = IR_COND_ALWAYS, [IR_COND_ALWAYS] = IR_COND_NEVER,
        [IR_COND_EQ] = IR_COND_NE,        [IR_COND_NE] = IR_COND_EQ,
        [IR_COND_LT] = IR_COND_GE,        [IR_COND_GE] = IR_COND_LT,
        [IR_COND_LE] = IR_COND_GT,        [IR_COND_GT] = IR_COND_LE,
        [IR_COND_LTU] = IR_COND_GEU,      [IR_COND_GEU] = IR_COND_LTU,
        [IR_COND_LEU] = IR_COND_GTU,      [IR_COND_GTU] = IR_COND_LEU,
        [IR_COND_TSTEQ] = IR_COND_TSTNE,  [IR_COND_TSTNE] = IR_COND_TSTEQ,
    };
    return (IRCond)inv[c];
}

IRCond ir_cond_swap(IRCond c)
{
    switch (c) {
    case IR_COND_LT: return IR_COND_GT;
    case IR_COND_GT: return IR_COND_LT;
    case IR_COND_LE: return IR_COND_GE;
    case IR_COND_GE: return IR_COND_LE;
    case IR_COND_LTU: return IR_COND_GTU;
    case IR_COND_GTU: return IR_COND_LTU;
    case IR_COND_LEU: return IR_COND_GEU;
    case IR_COND_GEU: return IR_COND_LEU;
    default: return c; /* symmetric */
    }
}

const char *ir_cond_name(IRCond c)
{
    static const char *const names[IR_COND_COUNT] = {
        "never", "always", "eq", "ne", "lt", "ge", "le", "gt",
        "ltu", "geu", "leu", "gtu", "tsteq", "tstne",
    };
    return c < IR_COND_COUNT ? names[c] : "?";
}

static inline int64_t sext_width(IRType w, uint64_t v)
{
    return w == IR_I32 ? (int64_t)(int32_t)v : (int64_t)v;
}

bool ir_cond_eval(IRCond c, IRType w, uint64_t a, uint64_t b)
{
    uint64_t ua = ir_truncate(w, a), ub = ir_truncate(w, b);
    int64_t sa = sext_width(w, a), sb = sext_width(w, b);

    switch (c) {
    case IR_COND_NEVER: return false;
    case IR_COND_ALWAYS: return true;
    case IR_COND_EQ: return ua == ub;
    case IR_COND_NE: return ua != ub;
    case IR_COND_LT: return sa < sb;
    case IR_COND_GE: return sa >= sb;
    case IR_COND_LE: return sa <= sb;
    case IR_COND_GT: return sa > sb;
    case IR_COND_LTU: return ua < ub;
    case IR_COND_GEU: return ua >= ub;
    case IR_COND_LEU: return ua <= ub;
    case IR_COND_GTU: return ua > ub;
    case IR_COND_TSTEQ: return (ua & ub) == 0;
    case IR_COND_TSTNE: return (ua & ub) != 0;
    default: return false;
    }
}

/* ---- reference semantics ---- */

static uint64_t bits_mask(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

bool ir_eval(IROpcode opc, IRType w, const uint64_t *in, const uint64_t *cargs, uint64_t *out)
{
    unsigned bits = w == IR_I32 ? 32 : 64;
    uint64_t a = ir_truncate(w, in[0]);
    uint64_t b = 0;
    uint64_t r;
    unsigned sh;

    if (ir_op_defs[opc].nb_iargs >= 2) {
        b = ir_truncate(w, in[1]);
    }
    sh = (unsigned)(b & (bits - 1));

    switch (opc) {
    case IR_OP_MOV: r = a; break;
    case IR_OP_ADD: r = a + b; break;
    case IR_OP_SUB: r = a - b; break;
    case IR_OP_MUL: r = a * b; break;
    case IR_OP_NEG: r = -a; break;
    case IR_OP_AND: r = a & b; break;
    case IR_OP_OR: r = a | b; break;
    case IR_OP_XOR: r = a ^ b; break;
    case IR_OP_NOT: r = ~a; break;
    case IR_OP_ANDC: r = a & ~b; break;
    case IR_OP_SHL: r = a << sh; break;
    case IR_OP_SHR: r = a >> sh; break;
    case IR_OP_SAR: r = (uint64_t)(sext_width(w, a) >> sh); break;
    case IR_OP_ROTL: r = sh ? (a << sh) | (a >> (bits - sh)) : a; break;
    case IR_OP_ROTR: r = sh ? (a >> sh) | (a << (bits - sh)) : a; break;
    case IR_OP_DIV:
    case IR_OP_REM: {
        /* Unspecified in the IR; this choice never traps (RISC-V's results). */
        int64_t sa = sext_width(w, a), sb = sext_width(w, b);
        int64_t min = w == IR_I32 ? INT32_MIN : INT64_MIN;
        if (sb == 0) {
            r = opc == IR_OP_DIV ? ~0ull : a;
        } else if (sa == min && sb == -1) {
            r = opc == IR_OP_DIV ? a : 0;
        } else {
            r = opc == IR_OP_DIV ? (uint64_t)(sa / sb) : (uint64_t)(sa % sb);
        }
        break;
    }
    case IR_OP_DIVU: r = b ? a / b : ~0ull; break;
    case IR_OP_REMU: r = b ? a % b : a; break;
    case IR_OP_EXT8S: r = (uint64_t)(int64_t)(int8_t)a; break;
    case IR_OP_EXT8U: r = (uint8_t)a; break;
    case IR_OP_EXT16S: r = (uint64_t)(int64_t)(int16_t)a; break;
    case IR_OP_EXT16U: r = (uint16_t)a; break;
    case IR_OP_EXT32S: r = (uint64_t)(int64_t)(int32_t)a; break;
    case IR_OP_EXT32U: r = (uint32_t)a; break;
    case IR_OP_EXTRL: *out = (uint32_t)in[0]; return true;
    case IR_OP_EXTRH: *out = in[0] >> 32; return true;
    case IR_OP_EXTU: *out = (uint32_t)in[0]; return true;
    case IR_OP_EXTS: *out = (uint64_t)(int64_t)(int32_t)in[0]; return true;
    case IR_OP_DEPOSIT: {
        uint64_t m = bits_mask((unsigned)cargs[1]) << cargs[0];
        r = (a & ~m) | ((b << cargs[0]) & m);
        break;
    }
    case IR_OP_EXTRACT: r = (a >> cargs[0]) & bits_mask((unsigned)cargs[1]); break;
    case IR_OP_SEXTRACT: {
        unsigned len = (unsigned)cargs[1];
        uint64_t field = (a >> cargs[0]) & bits_mask(len);
        r = len >= 64 ? field : (field ^ (1ull << (len - 1))) - (1ull << (len - 1));
        break;
    }
    case IR_OP_BSWAP16: r = (uint16_t)((a >> 8 & 0xff) | (a & 0xff) << 8); break;
    case IR_OP_BSWAP32: r = __builtin_bswap32((uint32_t)a); break;
    case IR_OP_BSWAP64: r = __builtin_bswap64(a); break;
    case IR_OP_CLZ:
        r = a ? (uint64_t)(w == IR_I32 ? __builtin_clz((uint32_t)a) : __builtin_clzll(a)) : b;
        break;
    case IR_OP_CTZ: r = a ? (uint64_t)__builtin_ctzll(a) : b; break;
    case IR_OP_CTPOP: r = (uint64_t)__builtin_popcountll(a); break;
    case IR_OP_SETCOND: r = ir_cond_eval((IRCond)cargs[0], w, a, b); break;
    case IR_OP_NEGSETCOND: r = ir_cond_eval((IRCond)cargs[0], w, a, b) ? ~0ull : 0; break;
    case IR_OP_MOVCOND: r = ir_cond_eval((IRCond)cargs[0], w, a, b) ? in[2] : in[3]; break;
    default: return false;
    }
    *out = ir_truncate(w, r);
    return true;
}

bool ir_eval2(IROpcode opc, IRType w, const uint64_t *in, uint64_t *lo, uint64_t *hi)
{
    if (w == IR_I32) {
        uint64_t r;
        switch (opc) {
        case IR_OP_MULU2: r = (uint64_t)(uint32_t)in[0] * (uint32_t)in[1]; break;
        case IR_OP_MULS2:
            r = (uint64_t)((int64_t)(int32_t)in[0] * (int64_t)(int32_t)in[1]);
            break;
        case IR_OP_ADD2:
            r = ((uint64_t)(uint32_t)in[1] << 32 | (uint32_t)in[0]) +
                ((uint64_t)(uint32_t)in[3] << 32 | (uint32_t)in[2]);
            break;
        case IR_OP_SUB2:
            r = ((uint64_t)(uint32_t)in[1] << 32 | (uint32_t)in[0]) -
                ((uint64_t)(uint32_t)in[3] << 32 | (uint32_t)in[2]);
            break;
        default: return false;
        }
        *lo = (uint32_t)r;
        *hi = r >> 32;
        return true;
    } else {
        unsigned __int128 r;
        switch (opc) {
        case IR_OP_MULU2: r = (unsigned __int128)in[0] * in[1]; break;
        case IR_OP_MULS2:
            r = (unsigned __int128)((__int128)(int64_t)in[0] * (__int128)(int64_t)in[1]);
            break;
        case IR_OP_ADD2:
            r = ((unsigned __int128)in[1] << 64 | in[0]) +
                ((unsigned __int128)in[3] << 64 | in[2]);
            break;
        case IR_OP_SUB2:
            r = ((unsigned __int128)in[1] << 64 | in[0]) -
                ((unsigned __int128)in[3] << 64 | in[2]);
            break;
        default: return false;
        }
        *lo = (uint64_t)r;
        *hi = (uint64_t)(r >> 64);
        return true;
    }
}

/* ---- function and temps ---- */

static uint32_t temp_alloc_raw(IRFunc *f)
{
    if (f->nb_temps == f->temps_cap) {
        f->temps_cap = f->temps_cap ? f->temps_cap * 2 : 64;
        f->temps = xrealloc(f->temps, f->temps_cap * sizeof(*f->temps));
    }
    memset(&f->temps[f->nb_temps], 0, sizeof(*f->temps));
    return f->nb_temps++;
}

static void const_hash_clear(IRFunc *f)
{
    for (uint32_t i = 0; i < f->const_hash_size; i++) {
        f->const_hash[i] = IR_NO_TEMP_IDX;
    }
}

static void free_lists_clear(IRFunc *f)
{
    for (int t = 0; t < 3; t++) {
        f->free_temps[t][0] = f->free_temps[t][1] = IR_NO_TEMP_IDX;
    }
}

IRFunc *ir_func_new(unsigned insn_words)
{
    IRFunc *f = XNEW(IRFunc);
    uint32_t env;

    assert(insn_words >= 1 && insn_words <= IR_INSN_START_WORDS);
    f->insn_words = insn_words;
    f->const_hash_size = 256;
    f->const_hash = xmalloc(f->const_hash_size * sizeof(uint32_t));
    const_hash_clear(f);
    free_lists_clear(f);
    env = temp_alloc_raw(f);
    f->temps[env].type = IR_PTR;
    f->temps[env].kind = IR_TEMP_FIXED;
    f->temps[env].name = "env";
    f->nb_globals = 1;
    return f;
}

void ir_func_free(IRFunc *f)
{
    if (!f) {
        return;
    }
    free(f->temps);
    free(f->ops);
    free(f->labels);
    free(f->const_hash);
    free(f);
}

void ir_func_reset(IRFunc *f)
{
    f->nb_temps = f->nb_globals;
    f->nb_ops = 0;
    f->nb_labels = 0;
    f->nb_insns = 0;
    const_hash_clear(f);
    free_lists_clear(f);
}

static void *dup_array(const void *src, size_t cap, size_t used, size_t elem)
{
    void *p = xmalloc(MAX(cap, 1) * elem);

    if (used) {
        memcpy(p, src, used * elem);
    }
    return p;
}

IRFunc *ir_func_clone(const IRFunc *src)
{
    IRFunc *f = XNEW(IRFunc);

    *f = *src;
    f->temps = dup_array(src->temps, src->temps_cap, src->nb_temps, sizeof(*f->temps));
    f->ops = dup_array(src->ops, src->ops_cap, src->nb_ops, sizeof(*f->ops));
    f->labels = dup_array(src->labels, src->labels_cap, src->nb_labels, sizeof(*f->labels));
    f->const_hash = dup_array(src->const_hash, src->const_hash_size, src->const_hash_size,
                              sizeof(uint32_t));
    f->temps_cap = MAX(f->temps_cap, 1);
    f->ops_cap = MAX(f->ops_cap, 1);
    f->labels_cap = MAX(f->labels_cap, 1);
    return f;
}

static uint32_t global_new(IRFunc *f, IRType type, int32_t off, const char *name)
{
    uint32_t t;

    /* Globals occupy the first temp indices, so they must come before anything else. */
    assert(f->nb_temps == f->nb_globals && f->nb_ops == 0);
    t = temp_alloc_raw(f);
    f->temps[t].type = type;
    f->temps[t].kind = IR_TEMP_GLOBAL;
    f->temps[t].mem_offset = off;
    f->temps[t].name = name;
    f->nb_globals++;
    return t;
}

IRv32 ir_global_i32(IRFunc *f, int32_t off, const char *name)
{
    return (IRv32){global_new(f, IR_I32, off, name)};
}

IRv64 ir_global_i64(IRFunc *f, int32_t off, const char *name)
{
    return (IRv64){global_new(f, IR_I64, off, name)};
}

IRvPtr ir_global_ptr(IRFunc *f, int32_t off, const char *name)
{
    return (IRvPtr){global_new(f, IR_PTR, off, name)};
}

static uint32_t temp_new(IRFunc *f, IRType type, IRTempKind kind)
{
    int k = kind == IR_TEMP_TB;
    uint32_t t = f->free_temps[type][k];

    if (t != IR_NO_TEMP_IDX) {
        f->free_temps[type][k] = (uint32_t)f->temps[t].val;
        f->temps[t].val = 0;
        f->temps[t].freed = 0;
        return t;
    }
    t = temp_alloc_raw(f);
    f->temps[t].type = type;
    f->temps[t].kind = kind;
    return t;
}

IRv32 ir_temp_i32(IRFunc *f)
{
    return (IRv32){temp_new(f, IR_I32, IR_TEMP_EBB)};
}

IRv64 ir_temp_i64(IRFunc *f)
{
    return (IRv64){temp_new(f, IR_I64, IR_TEMP_EBB)};
}

IRvPtr ir_temp_ptr(IRFunc *f)
{
    return (IRvPtr){temp_new(f, IR_PTR, IR_TEMP_EBB)};
}

IRv32 ir_temp_tb_i32(IRFunc *f)
{
    return (IRv32){temp_new(f, IR_I32, IR_TEMP_TB)};
}

IRv64 ir_temp_tb_i64(IRFunc *f)
{
    return (IRv64){temp_new(f, IR_I64, IR_TEMP_TB)};
}

void ir_temp_free(IRFunc *f, IRTemp t)
{
    IRTempInfo *ti = &f->temps[t.idx];
    int k;

    if (ti->kind != IR_TEMP_EBB && ti->kind != IR_TEMP_TB) {
        return; /* constants and globals live for the whole function */
    }
    assert(!ti->freed);
    k = ti->kind == IR_TEMP_TB;
    ti->freed = 1;
    ti->val = f->free_temps[ti->type][k];
    f->free_temps[ti->type][k] = t.idx;
}

static uint32_t const_hash_fn(IRType type, uint64_t v, uint32_t size)
{
    uint64_t h = (v ^ ((uint64_t)type << 61)) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 40) & (size - 1);
}

static void const_hash_grow(IRFunc *f)
{
    free(f->const_hash);
    f->const_hash_size *= 2;
    f->const_hash = xmalloc(f->const_hash_size * sizeof(uint32_t));
    const_hash_clear(f);
    for (uint32_t t = f->nb_globals; t < f->nb_temps; t++) {
        IRTempInfo *ti = &f->temps[t];
        if (ti->kind == IR_TEMP_CONST) {
            uint32_t h = const_hash_fn((IRType)ti->type, ti->val, f->const_hash_size);
            ti->const_next = f->const_hash[h];
            f->const_hash[h] = t;
        }
    }
}

IRTemp ir_const(IRFunc *f, IRType type, uint64_t v)
{
    uint32_t h, t;

    if (type == IR_I32 || (type == IR_PTR && IR_PTR_OPTYPE == IR_I32)) {
        v = (uint32_t)v;
    }
    h = const_hash_fn(type, v, f->const_hash_size);
    for (t = f->const_hash[h]; t != IR_NO_TEMP_IDX; t = f->temps[t].const_next) {
        if (f->temps[t].val == v && f->temps[t].type == type) {
            return (IRTemp){t};
        }
    }
    t = temp_alloc_raw(f);
    f->temps[t].type = type;
    f->temps[t].kind = IR_TEMP_CONST;
    f->temps[t].val = v;
    f->temps[t].const_next = f->const_hash[h];
    f->const_hash[h] = t;
    if (f->nb_temps > f->const_hash_size * 2) {
        const_hash_grow(f);
    }
    return (IRTemp){t};
}

IRv32 ir_const_i32(IRFunc *f, uint32_t v)
{
    return (IRv32){ir_const(f, IR_I32, v).idx};
}

IRv64 ir_const_i64(IRFunc *f, uint64_t v)
{
    return (IRv64){ir_const(f, IR_I64, v).idx};
}

IRvPtr ir_const_ptr(IRFunc *f, uintptr_t v)
{
    return (IRvPtr){ir_const(f, IR_PTR, v).idx};
}

/* ---- labels ---- */

IRLabel ir_label_new(IRFunc *f)
{
    if (f->nb_labels == f->labels_cap) {
        f->labels_cap = f->labels_cap ? f->labels_cap * 2 : 16;
        f->labels = xrealloc(f->labels, f->labels_cap * sizeof(*f->labels));
    }
    memset(&f->labels[f->nb_labels], 0, sizeof(*f->labels));
    return (IRLabel){f->nb_labels++};
}

void ir_set_label(IRFunc *f, IRLabel l)
{
    uint64_t args[1] = {l.id};

    assert(l.id < f->nb_labels && !f->labels[l.id].present);
    f->labels[l.id].present = true;
    ir_emit(f, IR_OP_SET_LABEL, IR_I32, args);
}

void ir_br(IRFunc *f, IRLabel l)
{
    uint64_t args[1] = {l.id};

    assert(l.id < f->nb_labels);
    f->labels[l.id].refs++;
    ir_emit(f, IR_OP_BR, IR_I32, args);
}

/* ---- op emission ---- */

static IROp *op_alloc(IRFunc *f)
{
    if (f->nb_ops == f->ops_cap) {
        f->ops_cap = f->ops_cap ? f->ops_cap * 2 : 256;
        f->ops = xrealloc(f->ops, f->ops_cap * sizeof(*f->ops));
    }
    return &f->ops[f->nb_ops++];
}

IROp *ir_emit(IRFunc *f, IROpcode opc, IRType type, const uint64_t *args)
{
    const IROpDef *def = &ir_op_defs[opc];
    IROp *op = op_alloc(f);
    unsigned n = def->nb_oargs + def->nb_iargs + def->nb_cargs;

    memset(op, 0, sizeof(*op));
    op->opc = opc;
    op->type = type == IR_PTR ? IR_PTR_OPTYPE : type;
    op->nb_oargs = def->nb_oargs;
    op->nb_iargs = def->nb_iargs;
    op->nb_cargs = def->nb_cargs;
    if (n && args) {
        memcpy(op->args, args, n * sizeof(uint64_t));
    }
    return op;
}

IROp *ir_insert_op(IRFunc *f, uint32_t pos)
{
    IROp *op;

    assert(pos <= f->nb_ops);
    op_alloc(f);
    memmove(&f->ops[pos + 1], &f->ops[pos], (f->nb_ops - 1 - pos) * sizeof(IROp));
    op = &f->ops[pos];
    memset(op, 0, sizeof(*op));
    op->opc = IR_OP_NOP;
    return op;
}

static void emit1(IRFunc *f, IROpcode opc, IRType type, uint32_t d, uint32_t a)
{
    uint64_t args[2] = {d, a};
    ir_emit(f, opc, type, args);
}

static void emit2(IRFunc *f, IROpcode opc, IRType type, uint32_t d, uint32_t a, uint32_t b)
{
    uint64_t args[3] = {d, a, b};
    ir_emit(f, opc, type, args);
}

/* ---- builders ---- */

#define IR_BINOP_DEF(name, OPC)                                                        \
    void ir_##name##_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 b)                         \
    {                                                                                  \
        emit2(f, IR_OP_##OPC, IR_I32, d.idx, a.idx, b.idx);                            \
    }                                                                                  \
    void ir_##name##_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 b)                         \
    {                                                                                  \
        emit2(f, IR_OP_##OPC, IR_I64, d.idx, a.idx, b.idx);                            \
    }                                                                                  \
    void ir_##name##i_i32(IRFunc *f, IRv32 d, IRv32 a, uint32_t b)                     \
    {                                                                                  \
        emit2(f, IR_OP_##OPC, IR_I32, d.idx, a.idx, ir_const(f, IR_I32, b).idx);       \
    }                                                                                  \
    void ir_##name##i_i64(IRFunc *f, IRv64 d, IRv64 a, uint64_t b)                     \
    {                                                                                  \
        emit2(f, IR_OP_##OPC, IR_I64, d.idx, a.idx, ir_const(f, IR_I64, b).idx);       \
    }
IR_BINOP_DEF(add, ADD)
IR_BINOP_DEF(sub, SUB)
IR_BINOP_DEF(mul, MUL)
IR_BINOP_DEF(and, AND)
IR_BINOP_DEF(or, OR)
IR_BINOP_DEF(xor, XOR)
IR_BINOP_DEF(andc, ANDC)
IR_BINOP_DEF(shl, SHL)
IR_BINOP_DEF(shr, SHR)
IR_BINOP_DEF(sar, SAR)
IR_BINOP_DEF(rotl, ROTL)
IR_BINOP_DEF(rotr, ROTR)
IR_BINOP_DEF(div, DIV)
IR_BINOP_DEF(divu, DIVU)
IR_BINOP_DEF(rem, REM)
IR_BINOP_DEF(remu, REMU)
#undef IR_BINOP_DEF

#define IR_UNOP_DEF(name, OPC)                                                         \
    void ir_##name##_i32(IRFunc *f, IRv32 d, IRv32 a)                                  \
    {                                                                                  \
        emit1(f, IR_OP_##OPC, IR_I32, d.idx, a.idx);                                   \
    }                                                                                  \
    void ir_##name##_i64(IRFunc *f, IRv64 d, IRv64 a)                                  \
    {                                                                                  \
        emit1(f, IR_OP_##OPC, IR_I64, d.idx, a.idx);                                   \
    }
IR_UNOP_DEF(mov, MOV)
IR_UNOP_DEF(neg, NEG)
IR_UNOP_DEF(not, NOT)
IR_UNOP_DEF(ext8s, EXT8S)
IR_UNOP_DEF(ext8u, EXT8U)
IR_UNOP_DEF(ext16s, EXT16S)
IR_UNOP_DEF(ext16u, EXT16U)
IR_UNOP_DEF(bswap16, BSWAP16)
IR_UNOP_DEF(bswap32, BSWAP32)
IR_UNOP_DEF(ctpop, CTPOP)
#undef IR_UNOP_DEF

void ir_movi_i32(IRFunc *f, IRv32 d, uint32_t v)
{
    emit1(f, IR_OP_MOV, IR_I32, d.idx, ir_const(f, IR_I32, v).idx);
}

void ir_movi_i64(IRFunc *f, IRv64 d, uint64_t v)
{
    emit1(f, IR_OP_MOV, IR_I64, d.idx, ir_const(f, IR_I64, v).idx);
}

void ir_mov_ptr(IRFunc *f, IRvPtr d, IRvPtr a)
{
    emit1(f, IR_OP_MOV, IR_PTR, d.idx, a.idx);
}

void ir_movi_ptr(IRFunc *f, IRvPtr d, uintptr_t v)
{
    emit1(f, IR_OP_MOV, IR_PTR, d.idx, ir_const(f, IR_PTR, v).idx);
}

void ir_addi_ptr(IRFunc *f, IRvPtr d, IRvPtr a, intptr_t v)
{
    emit2(f, IR_OP_ADD, IR_PTR, d.idx, a.idx, ir_const(f, IR_PTR, (uintptr_t)v).idx);
}

void ir_add_ptr(IRFunc *f, IRvPtr d, IRvPtr a, IRvPtr b)
{
    emit2(f, IR_OP_ADD, IR_PTR, d.idx, a.idx, b.idx);
}

void ir_ext32s_i64(IRFunc *f, IRv64 d, IRv64 a)
{
    emit1(f, IR_OP_EXT32S, IR_I64, d.idx, a.idx);
}

void ir_ext32u_i64(IRFunc *f, IRv64 d, IRv64 a)
{
    emit1(f, IR_OP_EXT32U, IR_I64, d.idx, a.idx);
}

void ir_bswap64_i64(IRFunc *f, IRv64 d, IRv64 a)
{
    emit1(f, IR_OP_BSWAP64, IR_I64, d.idx, a.idx);
}

void ir_extrl_i64_i32(IRFunc *f, IRv32 d, IRv64 a)
{
    emit1(f, IR_OP_EXTRL, IR_I32, d.idx, a.idx);
}

void ir_extrh_i64_i32(IRFunc *f, IRv32 d, IRv64 a)
{
    emit1(f, IR_OP_EXTRH, IR_I32, d.idx, a.idx);
}

void ir_extu_i32_i64(IRFunc *f, IRv64 d, IRv32 a)
{
    emit1(f, IR_OP_EXTU, IR_I64, d.idx, a.idx);
}

void ir_exts_i32_i64(IRFunc *f, IRv64 d, IRv32 a)
{
    emit1(f, IR_OP_EXTS, IR_I64, d.idx, a.idx);
}

void ir_ptr_from_i64(IRFunc *f, IRvPtr d, IRv64 a)
{
    emit1(f, IR_OP_MOV, IR_PTR, d.idx, a.idx);
}

void ir_i64_from_ptr(IRFunc *f, IRv64 d, IRvPtr a)
{
    emit1(f, IR_OP_MOV, IR_PTR, d.idx, a.idx);
}

static void emit_field(IRFunc *f, IROpcode opc, IRType type, uint32_t d, uint32_t a, uint32_t b,
                       unsigned pos, unsigned len)
{
    unsigned bits = type == IR_I32 ? 32 : 64;

    assert(len >= 1 && pos < bits && len <= bits - pos);
    if (opc == IR_OP_DEPOSIT) {
        uint64_t args[5] = {d, a, b, pos, len};
        ir_emit(f, opc, type, args);
    } else {
        uint64_t args[4] = {d, a, pos, len};
        ir_emit(f, opc, type, args);
    }
}

void ir_deposit_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 b, unsigned pos, unsigned len)
{
    emit_field(f, IR_OP_DEPOSIT, IR_I32, d.idx, a.idx, b.idx, pos, len);
}

void ir_deposit_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 b, unsigned pos, unsigned len)
{
    emit_field(f, IR_OP_DEPOSIT, IR_I64, d.idx, a.idx, b.idx, pos, len);
}

void ir_extract_i32(IRFunc *f, IRv32 d, IRv32 a, unsigned pos, unsigned len)
{
    emit_field(f, IR_OP_EXTRACT, IR_I32, d.idx, a.idx, 0, pos, len);
}

void ir_extract_i64(IRFunc *f, IRv64 d, IRv64 a, unsigned pos, unsigned len)
{
    emit_field(f, IR_OP_EXTRACT, IR_I64, d.idx, a.idx, 0, pos, len);
}

void ir_sextract_i32(IRFunc *f, IRv32 d, IRv32 a, unsigned pos, unsigned len)
{
    emit_field(f, IR_OP_SEXTRACT, IR_I32, d.idx, a.idx, 0, pos, len);
}

void ir_sextract_i64(IRFunc *f, IRv64 d, IRv64 a, unsigned pos, unsigned len)
{
    emit_field(f, IR_OP_SEXTRACT, IR_I64, d.idx, a.idx, 0, pos, len);
}

void ir_clz_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 z)
{
    emit2(f, IR_OP_CLZ, IR_I32, d.idx, a.idx, z.idx);
}

void ir_clz_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 z)
{
    emit2(f, IR_OP_CLZ, IR_I64, d.idx, a.idx, z.idx);
}

void ir_ctz_i32(IRFunc *f, IRv32 d, IRv32 a, IRv32 z)
{
    emit2(f, IR_OP_CTZ, IR_I32, d.idx, a.idx, z.idx);
}

void ir_ctz_i64(IRFunc *f, IRv64 d, IRv64 a, IRv64 z)
{
    emit2(f, IR_OP_CTZ, IR_I64, d.idx, a.idx, z.idx);
}

static void emit_setcond(IRFunc *f, IROpcode opc, IRType type, IRCond c, uint32_t d, uint32_t a,
                         uint32_t b)
{
    uint64_t args[4] = {d, a, b, c};
    ir_emit(f, opc, type, args);
}

void ir_setcond_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 a, IRv32 b)
{
    emit_setcond(f, IR_OP_SETCOND, IR_I32, c, d.idx, a.idx, b.idx);
}

void ir_setcond_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 a, IRv64 b)
{
    emit_setcond(f, IR_OP_SETCOND, IR_I64, c, d.idx, a.idx, b.idx);
}

void ir_setcondi_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 a, uint32_t b)
{
    emit_setcond(f, IR_OP_SETCOND, IR_I32, c, d.idx, a.idx, ir_const(f, IR_I32, b).idx);
}

void ir_setcondi_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 a, uint64_t b)
{
    emit_setcond(f, IR_OP_SETCOND, IR_I64, c, d.idx, a.idx, ir_const(f, IR_I64, b).idx);
}

void ir_negsetcond_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 a, IRv32 b)
{
    emit_setcond(f, IR_OP_NEGSETCOND, IR_I32, c, d.idx, a.idx, b.idx);
}

void ir_negsetcond_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 a, IRv64 b)
{
    emit_setcond(f, IR_OP_NEGSETCOND, IR_I64, c, d.idx, a.idx, b.idx);
}

void ir_movcond_i32(IRFunc *f, IRCond c, IRv32 d, IRv32 c1, IRv32 c2, IRv32 v1, IRv32 v2)
{
    uint64_t args[6] = {d.idx, c1.idx, c2.idx, v1.idx, v2.idx, c};
    ir_emit(f, IR_OP_MOVCOND, IR_I32, args);
}

void ir_movcond_i64(IRFunc *f, IRCond c, IRv64 d, IRv64 c1, IRv64 c2, IRv64 v1, IRv64 v2)
{
    uint64_t args[6] = {d.idx, c1.idx, c2.idx, v1.idx, v2.idx, c};
    ir_emit(f, IR_OP_MOVCOND, IR_I64, args);
}

static void emit_brcond(IRFunc *f, IRType type, IRCond c, uint32_t a, uint32_t b, IRLabel l)
{
    uint64_t args[4] = {a, b, c, l.id};

    assert(l.id < f->nb_labels);
    f->labels[l.id].refs++;
    ir_emit(f, IR_OP_BRCOND, type, args);
}

void ir_brcond_i32(IRFunc *f, IRCond c, IRv32 a, IRv32 b, IRLabel l)
{
    emit_brcond(f, IR_I32, c, a.idx, b.idx, l);
}

void ir_brcond_i64(IRFunc *f, IRCond c, IRv64 a, IRv64 b, IRLabel l)
{
    emit_brcond(f, IR_I64, c, a.idx, b.idx, l);
}

void ir_brcondi_i32(IRFunc *f, IRCond c, IRv32 a, uint32_t b, IRLabel l)
{
    emit_brcond(f, IR_I32, c, a.idx, ir_const(f, IR_I32, b).idx, l);
}

void ir_brcondi_i64(IRFunc *f, IRCond c, IRv64 a, uint64_t b, IRLabel l)
{
    emit_brcond(f, IR_I64, c, a.idx, ir_const(f, IR_I64, b).idx, l);
}

static void emit_double(IRFunc *f, IROpcode opc, IRType type, const uint32_t *t, unsigned n)
{
    uint64_t args[6];

    for (unsigned i = 0; i < n; i++) {
        args[i] = t[i];
    }
    ir_emit(f, opc, type, args);
}

#define IR_MUL2_DEF(name, OPC, T, W)                                                   \
    void ir_##name(IRFunc *f, T lo, T hi, T a, T b)                                    \
    {                                                                                  \
        uint32_t t[4] = {lo.idx, hi.idx, a.idx, b.idx};                                \
        assert(lo.idx != hi.idx);                                                      \
        emit_double(f, IR_OP_##OPC, W, t, 4);                                          \
    }
IR_MUL2_DEF(mulu2_i32, MULU2, IRv32, IR_I32)
IR_MUL2_DEF(mulu2_i64, MULU2, IRv64, IR_I64)
IR_MUL2_DEF(muls2_i32, MULS2, IRv32, IR_I32)
IR_MUL2_DEF(muls2_i64, MULS2, IRv64, IR_I64)
#undef IR_MUL2_DEF

#define IR_ADD2_DEF(name, OPC, T, W)                                                   \
    void ir_##name(IRFunc *f, T lo, T hi, T al, T ah, T bl, T bh)                      \
    {                                                                                  \
        uint32_t t[6] = {lo.idx, hi.idx, al.idx, ah.idx, bl.idx, bh.idx};              \
        assert(lo.idx != hi.idx);                                                      \
        emit_double(f, IR_OP_##OPC, W, t, 6);                                          \
    }
IR_ADD2_DEF(add2_i32, ADD2, IRv32, IR_I32)
IR_ADD2_DEF(add2_i64, ADD2, IRv64, IR_I64)
IR_ADD2_DEF(sub2_i32, SUB2, IRv32, IR_I32)
IR_ADD2_DEF(sub2_i64, SUB2, IRv64, IR_I64)
#undef IR_ADD2_DEF

static void emit_ldst(IRFunc *f, IROpcode opc, IRType type, uint32_t v, uint32_t base,
                      intptr_t off)
{
    uint64_t args[3] = {v, base, (uint64_t)(int64_t)off};
    ir_emit(f, opc, type, args);
}

#define IR_LD_DEF(name, OPC, T, W)                                                     \
    void ir_##name(IRFunc *f, T d, IRvPtr base, intptr_t off)                          \
    {                                                                                  \
        emit_ldst(f, IR_OP_##OPC, W, d.idx, base.idx, off);                            \
    }
IR_LD_DEF(ld8u_i32, LD8U, IRv32, IR_I32)
IR_LD_DEF(ld8s_i32, LD8S, IRv32, IR_I32)
IR_LD_DEF(ld16u_i32, LD16U, IRv32, IR_I32)
IR_LD_DEF(ld16s_i32, LD16S, IRv32, IR_I32)
IR_LD_DEF(ld_i32, LD, IRv32, IR_I32)
IR_LD_DEF(ld8u_i64, LD8U, IRv64, IR_I64)
IR_LD_DEF(ld8s_i64, LD8S, IRv64, IR_I64)
IR_LD_DEF(ld16u_i64, LD16U, IRv64, IR_I64)
IR_LD_DEF(ld16s_i64, LD16S, IRv64, IR_I64)
IR_LD_DEF(ld32u_i64, LD32U, IRv64, IR_I64)
IR_LD_DEF(ld32s_i64, LD32S, IRv64, IR_I64)
IR_LD_DEF(ld_i64, LD, IRv64, IR_I64)
IR_LD_DEF(ld_ptr, LD, IRvPtr, IR_PTR)
IR_LD_DEF(st8_i32, ST8, IRv32, IR_I32)
IR_LD_DEF(st16_i32, ST16, IRv32, IR_I32)
IR_LD_DEF(st_i32, ST, IRv32, IR_I32)
IR_LD_DEF(st8_i64, ST8, IRv64, IR_I64)
IR_LD_DEF(st16_i64, ST16, IRv64, IR_I64)
IR_LD_DEF(st32_i64, ST32, IRv64, IR_I64)
IR_LD_DEF(st_i64, ST, IRv64, IR_I64)
IR_LD_DEF(st_ptr, ST, IRvPtr, IR_PTR)
#undef IR_LD_DEF

static void emit_qemu(IRFunc *f, IROpcode opc, IRType type, uint32_t v, IRTemp addr,
                      unsigned memop, unsigned mmu_idx)
{
    uint64_t args[3] = {v, addr.idx, IR_MEMOPIDX(memop, mmu_idx)};

    assert((memop & IR_MO_SIZE) <= IR_MO_64);
    assert(type == IR_I64 || (memop & IR_MO_SIZE) <= IR_MO_32);
    assert(mmu_idx < IR_MAX_MMU_IDX);
    ir_emit(f, opc, type, args);
}

void ir_qemu_ld_i32(IRFunc *f, IRv32 d, IRTemp addr, unsigned memop, unsigned mmu_idx)
{
    emit_qemu(f, IR_OP_QEMU_LD, IR_I32, d.idx, addr, memop, mmu_idx);
}

void ir_qemu_ld_i64(IRFunc *f, IRv64 d, IRTemp addr, unsigned memop, unsigned mmu_idx)
{
    emit_qemu(f, IR_OP_QEMU_LD, IR_I64, d.idx, addr, memop, mmu_idx);
}

void ir_qemu_st_i32(IRFunc *f, IRv32 v, IRTemp addr, unsigned memop, unsigned mmu_idx)
{
    emit_qemu(f, IR_OP_QEMU_ST, IR_I32, v.idx, addr, memop, mmu_idx);
}

void ir_qemu_st_i64(IRFunc *f, IRv64 v, IRTemp addr, unsigned memop, unsigned mmu_idx)
{
    emit_qemu(f, IR_OP_QEMU_ST, IR_I64, v.idx, addr, memop, mmu_idx);
}

static unsigned calltype_of(IRType t)
{
    switch (t) {
    case IR_I32: return IR_CALLTYPE_I32;
    case IR_I64: return IR_CALLTYPE_I64;
    default: return IR_CALLTYPE_PTR;
    }
}

void ir_call(IRFunc *f, IRHelper fn, unsigned flags, IRTemp ret, unsigned nargs,
             const IRTemp *args)
{
    uint64_t a[IR_MAX_OP_ARGS];
    unsigned n = 0, no = ret.idx != IR_NO_TEMP_IDX;
    uint64_t typemask = 0;
    IROp *op;

    assert(nargs <= IR_CALL_MAX_ARGS);
    if (flags & IR_CALL_NO_SIDE_EFFECTS) {
        flags |= IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS;
    }
    if (no) {
        a[n++] = ret.idx;
        typemask = calltype_of(ir_temp_type(f, ret.idx));
    }
    for (unsigned i = 0; i < nargs; i++) {
        a[n++] = args[i].idx;
        typemask |= (uint64_t)calltype_of(ir_temp_type(f, args[i].idx)) << (3 * (i + 1));
    }
    a[n++] = (uint64_t)(uintptr_t)fn;
    a[n++] = flags;
    a[n++] = typemask;
    op = ir_emit(f, IR_OP_CALL, IR_I64, NULL);
    memcpy(op->args, a, n * sizeof(uint64_t));
    op->nb_oargs = no;
    op->nb_iargs = nargs;
    op->nb_cargs = 3;
}

void ir_insn_start(IRFunc *f, uint64_t w0, uint64_t w1, uint64_t w2)
{
    uint64_t args[IR_INSN_START_WORDS] = {w0, w1, w2};

    ir_emit(f, IR_OP_INSN_START, IR_I64, args);
    f->nb_insns++;
}

void ir_discard(IRFunc *f, IRTemp t)
{
    uint64_t args[1] = {t.idx};
    ir_emit(f, IR_OP_DISCARD, ir_temp_optype(f, t.idx), args);
}

void ir_mb(IRFunc *f, unsigned kind)
{
    uint64_t args[1] = {kind};
    ir_emit(f, IR_OP_MB, IR_I32, args);
}

void ir_goto_tb(IRFunc *f, unsigned slot)
{
    uint64_t args[1] = {slot};

    assert(slot < 2);
    ir_emit(f, IR_OP_GOTO_TB, IR_I32, args);
}

void ir_exit_tb(IRFunc *f, unsigned slot, uint64_t value)
{
    uint64_t args[2] = {slot, value};

    assert(slot < 2 || slot == IR_EXIT_NOCHAIN);
    ir_emit(f, IR_OP_EXIT_TB, IR_I64, args);
}

void ir_lookup_and_goto_ptr(IRFunc *f)
{
    ir_emit(f, IR_OP_LOOKUP_AND_GOTO_PTR, IR_I64, NULL);
}

void ir_lookup_key_and_goto_ptr(IRFunc *f, IRv64 pc, IRv64 cs_base, IRv64 mode)
{
    uint64_t args[3] = {pc.idx, cs_base.idx, mode.idx};

    ir_emit(f, IR_OP_LOOKUP_KEY_AND_GOTO_PTR, IR_I64, args);
}

/* ---- helper names (a registry filled at start-up) ---- */

static struct {
    IRHelper fn;
    const char *name;
} helper_names[512];
static unsigned nb_helper_names;

void ir_helper_name_register(IRHelper fn, const char *name)
{
    if (nb_helper_names < ARRAY_SIZE(helper_names)) {
        helper_names[nb_helper_names].fn = fn;
        helper_names[nb_helper_names].name = name;
        nb_helper_names++;
    }
}

const char *ir_helper_name(IRHelper fn)
{
    for (unsigned i = 0; i < nb_helper_names; i++) {
        if (helper_names[i].fn == fn) {
            return helper_names[i].name;
        }
    }
    return NULL;
}

/* ---- verifier ---- */

static unsigned ldst_size(unsigned opc, IRType w)
{
    switch (opc) {
    case IR_OP_LD8U: case IR_OP_LD8S: case IR_OP_ST8: return 1;
    case IR_OP_LD16U: case IR_OP_LD16S: case IR_OP_ST16: return 2;
    case IR_OP_LD32U: case IR_OP_LD32S: case IR_OP_ST32: return 4;
    default: return w == IR_I32 ? 4 : 8;
    }
}

/* Does env[off, off + size) overlap a registered global's field? */
static bool overlaps_global(const IRFunc *f, int64_t off, unsigned size)
{
    for (uint32_t g = 0; g < f->nb_globals; g++) {
        const IRTempInfo *ti = &f->temps[g];
        int64_t gsize = ti->type == IR_I32 ? 4 : 8;
        if (ti->kind == IR_TEMP_GLOBAL && off < ti->mem_offset + gsize &&
            ti->mem_offset < off + (int64_t)size) {
            return true;
        }
    }
    return false;
}

static bool type_ok(const IRFunc *f, uint32_t t, IRType want)
{
    IRType have = ir_temp_type(f, t);

    if (have == want) {
        return true;
    }
    /* A PTR value may be used where an integer of the host width is expected. */
    return (have == IR_PTR && want == IR_PTR_OPTYPE) || (want == IR_PTR && have == IR_PTR_OPTYPE);
}

#define VERIFY_FAIL(...)                                                               \
    do {                                                                               \
        snprintf(why, whylen, __VA_ARGS__);                                            \
        free(ebb_defined);                                                             \
        free(label_set);                                                               \
        return false;                                                                  \
    } while (0)

bool ir_verify(const IRFunc *f, char *why, size_t whylen)
{
    uint8_t *ebb_defined = xzalloc(f->nb_temps + 1);
    uint8_t *label_set = xzalloc(f->nb_labels + 1);

    for (uint32_t i = 0; i < f->nb_ops; i++) {
        const IROp *op = &f->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];
        unsigned no = op->nb_oargs, ni = op->nb_iargs;
        IRType w = (IRType)op->type;

        if (op->opc >= IR_OP_COUNT) {
            VERIFY_FAIL("op %u: bad opcode %u", i, op->opc);
        }
        if ((def->flags & IR_OPF_I64_ONLY) && w != IR_I64) {
            VERIFY_FAIL("op %u (%s): must be i64", i, def->name);
        }
        for (unsigned k = 0; k < no + ni; k++) {
            if (op->args[k] >= f->nb_temps) {
                VERIFY_FAIL("op %u (%s): arg %u is not a temp", i, def->name, k);
            }
        }
        if (op->opc == IR_OP_DISCARD) {
            continue;
        }
        for (unsigned k = 0; k < no; k++) {
            IRTempKind kind = (IRTempKind)f->temps[op->args[k]].kind;
            if (kind == IR_TEMP_CONST || kind == IR_TEMP_FIXED) {
                VERIFY_FAIL("op %u (%s): output %u is not writable", i, def->name, k);
            }
        }
        for (unsigned k = no; k < no + ni; k++) {
            uint32_t t = (uint32_t)op->args[k];
            if (f->temps[t].kind == IR_TEMP_EBB && !ebb_defined[t]) {
                VERIFY_FAIL("op %u (%s): ebb temp %u read before being set in this ebb", i,
                            def->name, t);
            }
        }
        switch (op->opc) {
        case IR_OP_SET_LABEL:
            if (op->args[0] >= f->nb_labels || label_set[op->args[0]]) {
                VERIFY_FAIL("op %u: label %" PRIu64 " bad or set twice", i, op->args[0]);
            }
            label_set[op->args[0]] = 1;
            memset(ebb_defined, 0, f->nb_temps);
            break;
        case IR_OP_BR:
        case IR_OP_BRCOND: {
            uint64_t l = op->args[op->opc == IR_OP_BR ? 0 : 3];
            if (l >= f->nb_labels || !f->labels[l].present) {
                VERIFY_FAIL("op %u: branch to label %" PRIu64 " that is never set", i, l);
            }
            if (op->opc == IR_OP_BRCOND && op->args[2] >= IR_COND_COUNT) {
                VERIFY_FAIL("op %u: bad condition", i);
            }
            break;
        }
        case IR_OP_EXTRL:
        case IR_OP_EXTRH:
            if (!type_ok(f, op->args[0], IR_I32) || !type_ok(f, op->args[1], IR_I64)) {
                VERIFY_FAIL("op %u (%s): wants i32 <- i64", i, def->name);
            }
            break;
        case IR_OP_EXTU:
        case IR_OP_EXTS:
            if (!type_ok(f, op->args[0], IR_I64) || !type_ok(f, op->args[1], IR_I32)) {
                VERIFY_FAIL("op %u (%s): wants i64 <- i32", i, def->name);
            }
            break;
        case IR_OP_LD8U: case IR_OP_LD8S: case IR_OP_LD16U: case IR_OP_LD16S:
        case IR_OP_LD32U: case IR_OP_LD32S: case IR_OP_LD:
        case IR_OP_ST8: case IR_OP_ST16: case IR_OP_ST32: case IR_OP_ST:
            if (!type_ok(f, op->args[0], w) || ir_temp_type(f, op->args[1]) != IR_PTR) {
                VERIFY_FAIL("op %u (%s): wants value of op width and a ptr base", i,
                            def->name);
            }
            /* Backends cache globals; touching their fields behind their back is a bug. */
            if (f->temps[op->args[1]].kind == IR_TEMP_FIXED &&
                overlaps_global(f, (int64_t)op->args[2], ldst_size(op->opc, w))) {
                VERIFY_FAIL("op %u (%s): env offset %" PRId64 " aliases a global", i,
                            def->name, (int64_t)op->args[2]);
            }
            break;
        case IR_OP_QEMU_LD:
        case IR_OP_QEMU_ST: {
            IRType at = ir_temp_type(f, op->args[1]);
            if (!type_ok(f, op->args[0], w) || at == IR_PTR) {
                VERIFY_FAIL("op %u (%s): wants value of op width and an i32/i64 address", i,
                            def->name);
            }
            break;
        }
        case IR_OP_CALL: {
            uint64_t mask = op->args[no + ni + 2];
            if (no && IR_CALLTYPE_GET(mask, 0) == IR_CALLTYPE_NONE) {
                VERIFY_FAIL("op %u: call return type missing", i);
            }
            break;
        }
        default:
            for (unsigned k = 0; k < no + ni; k++) {
                if (!type_ok(f, op->args[k], w)) {
                    VERIFY_FAIL("op %u (%s): arg %u type does not match the op width", i,
                                def->name, k);
                }
            }
            if (def->flags & IR_OPF_COND) {
                if (op->args[no + ni] >= IR_COND_COUNT) {
                    VERIFY_FAIL("op %u: bad condition", i);
                }
            }
            break;
        }
        for (unsigned k = 0; k < no; k++) {
            ebb_defined[op->args[k]] = 1;
        }
    }
    free(ebb_defined);
    free(label_set);
    return true;
}

/* ---- printer ---- */

const char *ir_temp_name(const IRFunc *f, uint32_t idx, char *buf, size_t len)
{
    const IRTempInfo *t;

    if (idx >= f->nb_temps) {
        snprintf(buf, len, "<bad %u>", idx);
        return buf;
    }
    t = &f->temps[idx];
    switch (t->kind) {
    case IR_TEMP_FIXED:
    case IR_TEMP_GLOBAL: snprintf(buf, len, "%s", t->name ? t->name : "?"); break;
    case IR_TEMP_CONST: snprintf(buf, len, "$0x%" PRIx64, t->val); break;
    case IR_TEMP_TB: snprintf(buf, len, "loc%u", idx); break;
    default: snprintf(buf, len, "tmp%u", idx); break;
    }
    return buf;
}

static const char *type_suffix(IRType t)
{
    return t == IR_I32 ? "i32" : "i64";
}

static void dump_memop(uint64_t moi, FILE *out)
{
    unsigned mo = IR_MEMOPIDX_OP(moi);
    fprintf(out, "%s%u%s mmu=%u", "le", 8u << (mo & IR_MO_SIZE), (mo & IR_MO_SIGN) ? "s" : "u",
            (unsigned)IR_MEMOPIDX_MMU(moi));
    if (mo & IR_MO_ALIGN) {
        fprintf(out, " align");
    }
}

void ir_dump_op(const IRFunc *f, const IROp *op, FILE *out)
{
    const IROpDef *def = &ir_op_defs[op->opc];
    unsigned no = op->nb_oargs, ni = op->nb_iargs;
    const uint64_t *c = &op->args[no + ni];
    char buf[48];
    char name[32];
    size_t k;

    if (op->opc == IR_OP_INSN_START) {
        fprintf(out, " ---- ");
        for (unsigned w = 0; w < f->insn_words; w++) {
            fprintf(out, "%s%016" PRIx64, w ? " " : "", op->args[w]);
        }
        fputc('\n', out);
        return;
    }
    for (k = 0; def->name[k] && k < sizeof(name) - 1; k++) {
        name[k] = (char)(def->name[k] >= 'A' && def->name[k] <= 'Z' ? def->name[k] + 32
                                                                    : def->name[k]);
    }
    name[k] = 0;
    if (def->flags & (IR_OPF_BOTH_WIDTHS | IR_OPF_I64_ONLY)) {
        fprintf(out, " %s_%s ", name, type_suffix((IRType)op->type));
    } else {
        fprintf(out, " %s ", name);
    }
    if (op->opc == IR_OP_CALL) {
        IRHelper fn = (IRHelper)(uintptr_t)c[0];
        const char *hn = ir_helper_name(fn);
        if (hn) {
            fprintf(out, "%s", hn);
        } else {
            fprintf(out, "%p", (void *)(uintptr_t)c[0]);
        }
        fprintf(out, ",$0x%" PRIx64, c[1]);
        if (no) {
            fprintf(out, ",%s <-", ir_temp_name(f, (uint32_t)op->args[0], buf, sizeof(buf)));
        }
        for (unsigned i = 0; i < ni; i++) {
            fprintf(out, ",%s", ir_temp_name(f, (uint32_t)op->args[no + i], buf, sizeof(buf)));
        }
    } else {
        for (unsigned i = 0; i < no + ni; i++) {
            fprintf(out, "%s%s", i ? "," : "", ir_temp_name(f, (uint32_t)op->args[i], buf,
                                                            sizeof(buf)));
        }
        const char *sep = no + ni ? "," : "";
        switch (op->opc) {
        case IR_OP_SET_LABEL:
        case IR_OP_BR: fprintf(out, "$L%" PRIu64, c[0]); break;
        case IR_OP_BRCOND:
            fprintf(out, ",%s,$L%" PRIu64, ir_cond_name((IRCond)c[0]), c[1]);
            break;
        case IR_OP_SETCOND:
        case IR_OP_NEGSETCOND:
        case IR_OP_MOVCOND: fprintf(out, ",%s", ir_cond_name((IRCond)c[0])); break;
        case IR_OP_QEMU_LD:
        case IR_OP_QEMU_ST:
            fprintf(out, ",");
            dump_memop(c[0], out);
            break;
        case IR_OP_EXIT_TB:
            if (c[0] == IR_EXIT_NOCHAIN) {
                fprintf(out, "nochain,$0x%" PRIx64, c[1]);
            } else {
                fprintf(out, "slot%" PRIu64 ",$0x%" PRIx64, c[0], c[1]);
            }
            break;
        default:
            for (unsigned i = 0; i < op->nb_cargs; i++) {
                fprintf(out, "%s$0x%" PRIx64, i ? "," : sep, c[i]);
            }
            break;
        }
    }
    if (op->life) {
        fprintf(out, "  dead:");
        for (unsigned i = 0; i < no + ni; i++) {
            if (op->life & IR_LIFE_DEAD(i)) {
                fprintf(out, " %u", i);
            }
        }
    }
    fputc('\n', out);
}

void ir_dump(const IRFunc *f, FILE *out)
{
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        if (f->ops[i].opc != IR_OP_NOP) {
            ir_dump_op(f, &f->ops[i], out);
        }
    }
}
