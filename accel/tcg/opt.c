/*
 * IR optimizer.
 *
 * ir_optimize() is one forward pass over the ops that tracks, per temp, whether its value
 * is a known constant and which other temps currently hold the same value (copy classes).
 * With that it propagates constants and copies into inputs, folds ops whose inputs are
 * all constant, applies algebraic identities, folds branches on constants, deletes moves
 * that would store a value a temp already holds (this is what makes repeated
 * "cc_op = CONST" stores across memory accesses disappear), and deletes code made
 * unreachable by an unconditional branch or exit.  Knowledge is dropped at labels (control
 * may arrive from elsewhere) and, for globals, across helpers that may write them.
 *
 * ir_liveness() is a backward pass that computes which temps are live, deletes ops whose
 * outputs are all dead and that have no side effects, and annotates op->life for the
 * backends.  Globals are live at TB exits, at guest memory accesses (a fault unwinds to a
 * loop that reads all of env) and at helpers that read globals; so a store to a lazy-flag
 * global that is overwritten before any of those is removed ("flag liveness").  Labels
 * carry live-in sets; when the block has backward branches the sweep repeats until those
 * sets stop growing.
 */
#include "accel/tcg/ir.h"

#include <assert.h>

/* ---------------------------------------------------------------------------------------
 * Forward pass
 */

typedef struct OptTemp {
    bool is_const;
    bool head;           /* the oldest member of its copy class: where the value came from */
    uint64_t val;
    uint64_t z;          /* bits that may be non-zero (known-zero bits are clear) */
    uint32_t prev, next; /* circular list of temps holding the same value */
} OptTemp;

typedef struct Opt {
    IRFunc *f;
    OptTemp *t;
    uint32_t cap;
    uint32_t known; /* temps [0, known) have entries; folding creates constants */
} Opt;

static void opt_init_temp(Opt *o, uint32_t i)
{
    const IRTempInfo *ti = &o->f->temps[i];

    o->t[i].prev = o->t[i].next = i;
    o->t[i].head = true;
    o->t[i].is_const = ti->kind == IR_TEMP_CONST;
    o->t[i].val = ti->val;
    o->t[i].z = o->t[i].is_const ? ti->val : ir_truncate((IRType)ti->type, ~0ull);
}

/* Give temps created since the last call (constants made by folding) their entries. */
static void opt_sync(Opt *o)
{
    if (o->f->nb_temps > o->cap) {
        o->cap = o->f->nb_temps * 2;
        o->t = xrealloc(o->t, o->cap * sizeof(*o->t));
    }
    for (; o->known < o->f->nb_temps; o->known++) {
        opt_init_temp(o, o->known);
    }
}

static void opt_reset_all(Opt *o)
{
    opt_sync(o);
    for (uint32_t i = 0; i < o->f->nb_temps; i++) {
        opt_init_temp(o, i);
    }
}

/* t gets a new, unknown value: it leaves its copy class. */
static void opt_forget(Opt *o, uint32_t i)
{
    OptTemp *t = &o->t[i];

    if (o->f->temps[i].kind == IR_TEMP_CONST) {
        return;
    }
    if (t->head && t->next != i) {
        o->t[t->next].head = true; /* the next oldest copy takes over */
    }
    o->t[t->prev].next = t->next;
    o->t[t->next].prev = t->prev;
    t->prev = t->next = i;
    t->head = true;
    t->is_const = false;
    t->z = ir_truncate((IRType)o->f->temps[i].type, ~0ull);
}

static void opt_forget_globals(Opt *o)
{
    for (uint32_t i = 0; i < o->f->nb_globals; i++) {
        if (o->f->temps[i].kind == IR_TEMP_GLOBAL) {
            opt_forget(o, i);
        }
    }
}

static bool same_class(Opt *o, uint32_t a, uint32_t b)
{
    for (uint32_t i = o->t[a].next; i != a; i = o->t[i].next) {
        if (i == b) {
            return true;
        }
    }
    return a == b;
}

static bool types_compatible(const IRFunc *f, uint32_t a, uint32_t b)
{
    return f->temps[a].type == f->temps[b].type;
}

/*
 * The best temp holding the same value as t: a constant, else the oldest copy, i.e. the
 * value's source.  After "t = g" reads of t become reads of g and the move dies; after
 * "g = t" reads of g stay reads of t, so the store to g is not kept alive by them and can
 * still die if g is overwritten (lazy flags are written exactly like this).
 */
static uint32_t opt_best_copy(Opt *o, uint32_t t)
{
    const IRFunc *f = o->f;

    if (o->t[t].is_const && f->temps[t].kind != IR_TEMP_CONST) {
        return ir_const(o->f, (IRType)f->temps[t].type, o->t[t].val).idx;
    }
    if (o->t[t].head) {
        return t;
    }
    for (uint32_t i = o->t[t].next; i != t; i = o->t[i].next) {
        if (o->t[i].head) {
            return i;
        }
    }
    return t;
}

static bool arg_is_const(Opt *o, uint64_t t, uint64_t *val)
{
    if (o->t[t].is_const) {
        *val = o->t[t].val;
        return true;
    }
    return false;
}

static bool arg_is_val(Opt *o, uint64_t t, uint64_t want, IRType w)
{
    uint64_t v;
    return arg_is_const(o, t, &v) && ir_truncate(w, v) == ir_truncate(w, want);
}

/* Turn op into "mov d, src". */
static void make_mov(IROp *op, uint32_t src)
{
    op->opc = IR_OP_MOV;
    op->args[1] = src;
    op->nb_oargs = 1;
    op->nb_iargs = 1;
    op->nb_cargs = 0;
}

static void make_movi(Opt *o, IROp *op, uint64_t val)
{
    uint32_t d = (uint32_t)op->args[0];
    IRType t = (IRType)o->f->temps[d].type;
    make_mov(op, ir_const(o->f, t, val).idx);
}

static void make_nop(IROp *op)
{
    op->opc = IR_OP_NOP;
    op->nb_oargs = op->nb_iargs = op->nb_cargs = 0;
}

/* Record the effect of "mov d, s" on the copy classes; may turn the op into a NOP. */
static void opt_apply_mov(Opt *o, IROp *op)
{
    uint32_t d = (uint32_t)op->args[0], s = (uint32_t)op->args[1];
    IRType w = (IRType)op->type;

    if (d == s) {
        make_nop(op);
        return;
    }
    if (o->t[s].is_const) {
        if (o->t[d].is_const && ir_truncate(w, o->t[d].val) == ir_truncate(w, o->t[s].val)) {
            make_nop(op); /* d already holds this value */
            return;
        }
        opt_forget(o, d);
        o->t[d].is_const = true;
        o->t[d].val = ir_truncate(w, o->t[s].val);
        o->t[d].z = o->t[d].val;
        return;
    }
    if (same_class(o, d, s)) {
        make_nop(op);
        return;
    }
    opt_forget(o, d);
    o->t[d].z = o->t[s].z & ir_truncate(w, ~0ull);
    if (!types_compatible(o->f, d, s)) {
        return; /* ptr <-> integer moves: same bits, but keep the classes typed */
    }
    /* Insert d after s in s's class, as its newest member. */
    o->t[d].head = false;
    o->t[d].next = o->t[s].next;
    o->t[d].prev = s;
    o->t[o->t[s].next].prev = d;
    o->t[s].next = d;
}

static bool is_commutative(IROpcode opc)
{
    switch (opc) {
    case IR_OP_ADD: case IR_OP_MUL: case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR:
    case IR_OP_MULU2: case IR_OP_MULS2:
        return true;
    default:
        return false;
    }
}

static void swap_args(IROp *op, unsigned a, unsigned b)
{
    uint64_t t = op->args[a];
    op->args[a] = op->args[b];
    op->args[b] = t;
}

/*
 * Decide a condition between two inputs without knowing their values, when possible.
 * Returns IR_COND_ALWAYS/NEVER, or the (possibly simplified) condition.
 */
static IRCond fold_cond(Opt *o, IRCond c, IRType w, IROp *op, unsigned ia, unsigned ib)
{
    uint64_t a, b;
    uint64_t ta = op->args[ia], tb = op->args[ib];
    bool ca = arg_is_const(o, ta, &a), cb = arg_is_const(o, tb, &b);

    if (ca && cb) {
        return ir_cond_eval(c, w, a, b) ? IR_COND_ALWAYS : IR_COND_NEVER;
    }
    if (ta == tb || same_class(o, (uint32_t)ta, (uint32_t)tb)) {
        switch (c) {
        case IR_COND_EQ: case IR_COND_GE: case IR_COND_LE: case IR_COND_GEU: case IR_COND_LEU:
            return IR_COND_ALWAYS;
        case IR_COND_NE: case IR_COND_LT: case IR_COND_GT: case IR_COND_LTU: case IR_COND_GTU:
            return IR_COND_NEVER;
        default:
            break; /* tst a,a == a (!=/==) 0: handled below once b is a constant */
        }
    }
    if (cb && ir_truncate(w, b) == 0) {
        switch (c) {
        case IR_COND_LTU: return IR_COND_NEVER;
        case IR_COND_GEU: return IR_COND_ALWAYS;
        case IR_COND_TSTEQ: return IR_COND_ALWAYS;
        case IR_COND_TSTNE: return IR_COND_NEVER;
        case IR_COND_LEU: return IR_COND_EQ;
        case IR_COND_GTU: return IR_COND_NE;
        default: break;
        }
    }
    return c;
}

/* tst a,a -> a ==/!= 0, so that a backend needs no and. */
static void canon_tst_same(Opt *o, IROp *op, unsigned ia, unsigned ic, IRType w)
{
    IRCond c = (IRCond)op->args[ic];

    if ((c == IR_COND_TSTEQ || c == IR_COND_TSTNE) && op->args[ia] == op->args[ia + 1]) {
        op->args[ia + 1] = ir_const(o->f, w, 0).idx;
        op->args[ic] = c == IR_COND_TSTEQ ? IR_COND_EQ : IR_COND_NE;
    }
}

static uint64_t bits_mask(unsigned len)
{
    return len >= 64 ? ~0ull : (1ull << len) - 1;
}

/* Smear every set bit down to bit 0: the mask of values no larger than v. */
static uint64_t smear_right(uint64_t v)
{
    for (unsigned s = 1; s < 64; s <<= 1) {
        v |= v >> s;
    }
    return v;
}

/* Bits of the output of a (single-output) op that may be non-zero. */
static uint64_t op_zmask(Opt *o, const IROp *op)
{
    IRType w = (IRType)op->type;
    uint64_t full = ir_truncate(w, ~0ull);
    unsigned bits = w == IR_I32 ? 32 : 64;
    const uint64_t *c = &op->args[op->nb_oargs + op->nb_iargs];
    uint64_t za = op->nb_iargs > 0 ? o->t[op->args[1]].z : full;
    uint64_t zb = op->nb_iargs > 1 ? o->t[op->args[2]].z : full;
    uint64_t v;

    switch (op->opc) {
    case IR_OP_AND: return za & zb;
    case IR_OP_OR:
    case IR_OP_XOR: return za | zb;
    case IR_OP_ANDC: return za;
    case IR_OP_EXT8U: return za & 0xff;
    case IR_OP_EXT16U: return za & 0xffff;
    case IR_OP_EXT32U: return za & 0xffffffff;
    case IR_OP_EXTU:
    case IR_OP_EXTRL: return za & 0xffffffff;
    case IR_OP_EXTRH: return za >> 32;
    case IR_OP_SHR:
        return arg_is_const(o, op->args[2], &v) ? za >> (v & (bits - 1)) : smear_right(za);
    case IR_OP_SHL:
        return arg_is_const(o, op->args[2], &v) ? (za << (v & (bits - 1))) & full : full;
    case IR_OP_REMU: return smear_right(za); /* a % b <= a, and a when b == 0 */
    case IR_OP_DIVU:
        /* a / b <= a, but division by zero gives all ones. */
        return arg_is_const(o, op->args[2], &v) && ir_truncate(w, v) ? smear_right(za) : full;
    case IR_OP_SETCOND: return 1;
    case IR_OP_CLZ:
    case IR_OP_CTZ: return (uint64_t)(2 * bits - 1) | zb;
    case IR_OP_CTPOP: return (uint64_t)(2 * bits - 1);
    case IR_OP_BSWAP16: return 0xffff;
    case IR_OP_BSWAP32: return 0xffffffff;
    case IR_OP_EXTRACT: return (za >> c[0]) & bits_mask((unsigned)c[1]);
    case IR_OP_DEPOSIT: {
        uint64_t m = bits_mask((unsigned)c[1]) << c[0];
        return ((za & ~m) | ((zb << c[0]) & m)) & full;
    }
    case IR_OP_MOVCOND: return o->t[op->args[3]].z | o->t[op->args[4]].z;
    case IR_OP_LD8U: return 0xff;
    case IR_OP_LD16U: return 0xffff;
    case IR_OP_LD32U: return 0xffffffff;
    case IR_OP_QEMU_LD: {
        unsigned mo = IR_MEMOPIDX_OP(c[0]);
        return (mo & IR_MO_SIGN) ? full : bits_mask(8u << (mo & IR_MO_SIZE)) & full;
    }
    default: return full;
    }
}

static void label_unref(IRFunc *f, uint64_t l)
{
    assert(f->labels[l].refs > 0);
    f->labels[l].refs--;
}

/* Algebraic identities for single-output ops with one constant or repeated input. */
static void simplify(Opt *o, IROp *op)
{
    IRType w = (IRType)op->type;
    uint64_t all = ir_truncate(w, ~0ull);
    uint64_t a = op->args[1], b = op->args[2];
    unsigned bits = w == IR_I32 ? 32 : 64;
    uint64_t v;
    uint64_t za = o->t[a].z;

    /* Extensions and masks that cannot change the value. */
    switch (op->opc) {
    case IR_OP_EXT8U:
    case IR_OP_EXT16U:
    case IR_OP_EXT32U: {
        uint64_t keep = op->opc == IR_OP_EXT8U ? 0xff : op->opc == IR_OP_EXT16U ? 0xffff
                                                                                : 0xffffffff;
        if (!(za & ~keep)) {
            make_mov(op, (uint32_t)a);
            return;
        }
        break;
    }
    case IR_OP_EXT8S:
    case IR_OP_EXT16S:
    case IR_OP_EXT32S: {
        uint64_t pos = op->opc == IR_OP_EXT8S ? 0x7f : op->opc == IR_OP_EXT16S ? 0x7fff
                                                                                : 0x7fffffff;
        if (!(za & ~pos)) {
            make_mov(op, (uint32_t)a);
            return;
        }
        break;
    }
    case IR_OP_AND:
        if (arg_is_const(o, b, &v) && !(za & ~v)) {
            make_mov(op, (uint32_t)a);
            return;
        }
        if (!(za & o->t[b].z)) {
            make_movi(o, op, 0);
            return;
        }
        break;
    case IR_OP_EXTRACT:
        if (op->args[2] == 0 && !(za & ~bits_mask((unsigned)op->args[3]))) {
            make_mov(op, (uint32_t)a);
            return;
        }
        break;
    default:
        break;
    }

    switch (op->opc) {
    case IR_OP_ADD:
    case IR_OP_OR:
    case IR_OP_XOR:
    case IR_OP_SHL:
    case IR_OP_SHR:
    case IR_OP_SAR:
    case IR_OP_ROTL:
    case IR_OP_ROTR:
    case IR_OP_SUB:
    case IR_OP_ANDC:
        if (arg_is_const(o, b, &v) && (op->opc >= IR_OP_SHL && op->opc <= IR_OP_ROTR
                                           ? (v & (bits - 1)) == 0
                                           : ir_truncate(w, v) == 0)) {
            make_mov(op, (uint32_t)a);
            return;
        }
        break;
    default:
        break;
    }

    switch (op->opc) {
    case IR_OP_SUB:
        if (a == b || same_class(o, (uint32_t)a, (uint32_t)b)) {
            make_movi(o, op, 0);
        } else if (arg_is_val(o, a, 0, w)) {
            op->opc = IR_OP_NEG;
            op->args[1] = b;
            op->nb_iargs = 1;
        }
        break;
    case IR_OP_XOR:
        if (a == b || same_class(o, (uint32_t)a, (uint32_t)b)) {
            make_movi(o, op, 0);
        } else if (arg_is_val(o, b, all, w)) {
            op->opc = IR_OP_NOT;
            op->nb_iargs = 1;
        }
        break;
    case IR_OP_AND:
        if (arg_is_val(o, b, 0, w)) {
            make_movi(o, op, 0);
        } else if (arg_is_val(o, b, all, w) || a == b) {
            make_mov(op, (uint32_t)a);
        }
        break;
    case IR_OP_OR:
        if (arg_is_val(o, b, all, w)) {
            make_movi(o, op, all);
        } else if (a == b) {
            make_mov(op, (uint32_t)a);
        }
        break;
    case IR_OP_ANDC:
        if (a == b || arg_is_val(o, b, all, w) || arg_is_val(o, a, 0, w)) {
            make_movi(o, op, 0);
        }
        break;
    case IR_OP_MUL:
        if (arg_is_val(o, b, 0, w)) {
            make_movi(o, op, 0);
        } else if (arg_is_val(o, b, 1, w)) {
            make_mov(op, (uint32_t)a);
        }
        break;
    case IR_OP_SHL:
    case IR_OP_SHR:
    case IR_OP_SAR:
    case IR_OP_ROTL:
    case IR_OP_ROTR:
        if (arg_is_val(o, a, 0, w)) {
            make_movi(o, op, 0);
        }
        break;
    case IR_OP_DIV:
    case IR_OP_DIVU:
        if (arg_is_val(o, b, 1, w)) {
            make_mov(op, (uint32_t)a);
        }
        break;
    case IR_OP_REM:
    case IR_OP_REMU:
        if (arg_is_val(o, b, 1, w)) {
            make_movi(o, op, 0);
        }
        break;
    case IR_OP_DEPOSIT:
        if (op->args[3] == 0 && op->args[4] == bits) {
            make_mov(op, (uint32_t)b);
        }
        break;
    case IR_OP_EXTRACT:
        if (op->args[2] == 0 && op->args[3] == bits) {
            make_mov(op, (uint32_t)a);
        }
        break;
    case IR_OP_EXT32U:
    case IR_OP_EXT32S:
        break;
    case IR_OP_SETCOND:
    case IR_OP_NEGSETCOND: {
        IRCond c = fold_cond(o, (IRCond)op->args[3], w, op, 1, 2);
        if (c == IR_COND_ALWAYS || c == IR_COND_NEVER) {
            uint64_t t = op->opc == IR_OP_SETCOND ? 1 : all;
            make_movi(o, op, c == IR_COND_ALWAYS ? t : 0);
        } else {
            op->args[3] = c;
            canon_tst_same(o, op, 1, 3, w);
        }
        break;
    }
    case IR_OP_MOVCOND: {
        IRCond c = fold_cond(o, (IRCond)op->args[5], w, op, 1, 2);
        if (c == IR_COND_ALWAYS) {
            make_mov(op, (uint32_t)op->args[3]);
        } else if (c == IR_COND_NEVER) {
            make_mov(op, (uint32_t)op->args[4]);
        } else if (op->args[3] == op->args[4]) {
            make_mov(op, (uint32_t)op->args[3]);
        } else {
            op->args[5] = c;
            canon_tst_same(o, op, 1, 5, w);
        }
        break;
    }
    default:
        break;
    }
}

/* Replace each input by the best temp holding the same value. */
static void propagate_inputs(Opt *o, IROp *op)
{
    for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
        uint32_t t = (uint32_t)op->args[k];
        uint32_t best = opt_best_copy(o, t);
        opt_sync(o); /* opt_best_copy may have created a constant temp */
        if (best != t && (types_compatible(o->f, best, t) || o->t[t].is_const)) {
            op->args[k] = best;
        }
    }
}

/* Fold an op whose inputs are all constants.  Returns true if op was rewritten. */
static bool fold_constants(Opt *o, uint32_t i)
{
    IROp *op = &o->f->ops[i];
    uint64_t in[6], r, hi;
    unsigned no = op->nb_oargs, ni = op->nb_iargs;

    if (ni == 0 || ni > 6) {
        return false;
    }
    for (unsigned k = 0; k < ni; k++) {
        if (!arg_is_const(o, op->args[no + k], &in[k])) {
            return false;
        }
    }
    if (no == 1 && ir_eval((IROpcode)op->opc, (IRType)op->type, in, &op->args[no + ni], &r)) {
        make_movi(o, op, r);
        return true;
    }
    if (no == 2 && ir_eval2((IROpcode)op->opc, (IRType)op->type, in, &r, &hi)) {
        IRType w = (IRType)op->type;
        uint32_t dlo = (uint32_t)op->args[0], dhi = (uint32_t)op->args[1];
        IROp *op2;

        op2 = ir_insert_op(o->f, i + 1);
        op = &o->f->ops[i];
        op->opc = IR_OP_MOV;
        op->args[0] = dlo;
        op->args[1] = ir_const(o->f, w, r).idx;
        op->nb_oargs = op->nb_iargs = 1;
        op->nb_cargs = 0;
        op2 = &o->f->ops[i + 1];
        op2->opc = IR_OP_MOV;
        op2->type = w;
        op2->args[0] = dhi;
        op2->args[1] = ir_const(o->f, w, hi).idx;
        op2->nb_oargs = op2->nb_iargs = 1;
        opt_sync(o);
        return true;
    }
    return false;
}

void ir_optimize(IRFunc *f)
{
    Opt o = {.f = f};
    bool unreachable = false;

    opt_reset_all(&o);
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        IROp *op = &f->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];

        if (op->opc == IR_OP_NOP) {
            continue;
        }
        opt_sync(&o);
        if (op->opc == IR_OP_SET_LABEL) {
            if (f->labels[op->args[0]].refs == 0) {
                /* Nothing jumps here: the blocks merge and knowledge survives. */
                f->labels[op->args[0]].present = false;
                make_nop(op);
                continue;
            }
            unreachable = false;
            opt_reset_all(&o);
            continue;
        }
        if (unreachable && op->opc != IR_OP_INSN_START) {
            if (op->opc == IR_OP_BR) {
                label_unref(f, op->args[0]);
            } else if (op->opc == IR_OP_BRCOND) {
                label_unref(f, op->args[3]);
            }
            make_nop(op);
            continue;
        }
        if (op->opc == IR_OP_DISCARD) {
            /* The value dies here: copies of it must not be replaced by it later on. */
            opt_forget(&o, (uint32_t)op->args[0]);
            continue;
        }
        if (op->opc == IR_OP_INSN_START) {
            continue;
        }

        propagate_inputs(&o, op);
        op = &f->ops[i];

        if (is_commutative((IROpcode)op->opc)) {
            unsigned a = op->nb_oargs;
            if (o.t[op->args[a]].is_const && !o.t[op->args[a + 1]].is_const) {
                swap_args(op, a, a + 1);
            }
        } else if (op->opc == IR_OP_BRCOND || op->opc == IR_OP_SETCOND ||
                   op->opc == IR_OP_NEGSETCOND || op->opc == IR_OP_MOVCOND) {
            unsigned a = op->nb_oargs, c = op->nb_oargs + op->nb_iargs;
            if (o.t[op->args[a]].is_const && !o.t[op->args[a + 1]].is_const) {
                swap_args(op, a, a + 1);
                op->args[c] = ir_cond_swap((IRCond)op->args[c]);
            }
        }

        switch (op->opc) {
        case IR_OP_BRCOND: {
            IRCond c = fold_cond(&o, (IRCond)op->args[2], (IRType)op->type, op, 0, 1);
            if (c == IR_COND_ALWAYS) {
                uint64_t l = op->args[3];
                op->opc = IR_OP_BR;
                op->args[0] = l;
                op->nb_iargs = 0;
                op->nb_cargs = 1;
                unreachable = true;
            } else if (c == IR_COND_NEVER) {
                label_unref(f, op->args[3]);
                make_nop(op);
            } else {
                op->args[2] = c;
                canon_tst_same(&o, op, 0, 2, (IRType)op->type);
            }
            continue;
        }
        case IR_OP_CALL: {
            unsigned flags = (unsigned)op->args[op->nb_oargs + op->nb_iargs + 1];
            if (!(flags & IR_CALL_NO_WRITE_GLOBALS)) {
                opt_forget_globals(&o);
            }
            if (op->nb_oargs) {
                opt_forget(&o, (uint32_t)op->args[0]);
            }
            continue;
        }
        default:
            break;
        }

        if (def->flags & IR_OPF_NORETURN) {
            unreachable = true;
            continue;
        }
        if (op->nb_oargs == 0) {
            continue;
        }
        if (op->opc != IR_OP_MOV && !(def->flags & IR_OPF_SIDE_EFFECTS)) {
            if (!fold_constants(&o, i)) {
                simplify(&o, op);
            }
            opt_sync(&o);
            op = &f->ops[i];
        }
        if (op->opc == IR_OP_MOV) {
            opt_apply_mov(&o, op);
            continue;
        }
        if (op->nb_oargs == 1) {
            /* Computed from the inputs' masks before the output (maybe an input) changes. */
            uint64_t z = op_zmask(&o, op);
            opt_forget(&o, (uint32_t)op->args[0]);
            o.t[op->args[0]].z = z;
            continue;
        }
        for (unsigned k = 0; k < op->nb_oargs; k++) {
            opt_forget(&o, (uint32_t)op->args[k]);
        }
    }
    free(o.t);
}

/* ---------------------------------------------------------------------------------------
 * Liveness
 */

typedef struct Live {
    IRFunc *f;
    uint32_t words;      /* uint64_t per bitset */
    uint64_t *cur;       /* live after the op being visited */
    uint64_t *globals;   /* all GLOBAL temps */
    uint64_t *ebb;       /* all EBB temps */
    uint64_t *tracked;   /* temps whose liveness matters (not CONST/FIXED) */
    uint64_t *label_in;  /* words per label: live at the label */
    bool changed;
} Live;

static inline bool bit_get(const uint64_t *s, uint32_t i)
{
    return (s[i >> 6] >> (i & 63)) & 1;
}

static inline void bit_set(uint64_t *s, uint32_t i)
{
    s[i >> 6] |= 1ull << (i & 63);
}

static inline void bit_clear(uint64_t *s, uint32_t i)
{
    s[i >> 6] &= ~(1ull << (i & 63));
}

static void set_or(Live *l, uint64_t *d, const uint64_t *s)
{
    for (uint32_t i = 0; i < l->words; i++) {
        d[i] |= s[i];
    }
}

static bool tracked(const Live *l, uint64_t t)
{
    return bit_get(l->tracked, (uint32_t)t);
}

/*
 * One backward sweep.  With annotate, writes op->life and (with remove_dead) deletes dead
 * ops; otherwise only updates the label live-in sets.
 */
static void live_sweep(Live *l, bool annotate, bool remove_dead)
{
    IRFunc *f = l->f;

    /* Falling off the end is treated like an exit. */
    memcpy(l->cur, l->globals, l->words * 8);
    for (uint32_t i = f->nb_ops; i-- > 0;) {
        IROp *op = &f->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];
        unsigned no = op->nb_oargs, ni = op->nb_iargs;
        uint32_t life = 0;
        bool keep;

        switch (op->opc) {
        case IR_OP_NOP:
        case IR_OP_INSN_START:
        case IR_OP_MB:
            continue;
        case IR_OP_DISCARD:
            if (tracked(l, op->args[0])) {
                bit_clear(l->cur, (uint32_t)op->args[0]);
            }
            if (annotate) {
                make_nop(op);
            }
            continue;
        case IR_OP_SET_LABEL: {
            uint64_t *in = &l->label_in[op->args[0] * l->words];
            for (uint32_t w = 0; w < l->words; w++) {
                uint64_t v = l->cur[w] & ~l->ebb[w];
                if (v & ~in[w]) {
                    l->changed = true;
                }
                in[w] |= v;
                l->cur[w] = in[w];
            }
            continue;
        }
        case IR_OP_BR:
            memcpy(l->cur, &l->label_in[op->args[0] * l->words], l->words * 8);
            continue;
        case IR_OP_BRCOND:
            set_or(l, l->cur, &l->label_in[op->args[3] * l->words]);
            break;
        case IR_OP_GOTO_TB:
            set_or(l, l->cur, l->globals);
            continue;
        case IR_OP_EXIT_TB:
        case IR_OP_LOOKUP_AND_GOTO_PTR:
            memcpy(l->cur, l->globals, l->words * 8);
            continue;
        case IR_OP_LOOKUP_KEY_AND_GOTO_PTR:
            /* Like lookup_and_goto_ptr, and its key inputs are read below. */
            memcpy(l->cur, l->globals, l->words * 8);
            break;
        default:
            break;
        }

        /* Ops with outputs: removable when no output is live. */
        if (op->opc == IR_OP_CALL) {
            unsigned flags = (unsigned)op->args[no + ni + 1];
            keep = !(flags & IR_CALL_NO_SIDE_EFFECTS);
        } else {
            keep = (def->flags & IR_OPF_SIDE_EFFECTS) != 0;
        }
        if (!remove_dead) {
            keep = true;
        }
        if (!keep) {
            bool any_live = false;
            for (unsigned k = 0; k < no; k++) {
                if (!tracked(l, op->args[k]) || bit_get(l->cur, (uint32_t)op->args[k])) {
                    any_live = true;
                }
            }
            if (!any_live) {
                if (annotate) {
                    make_nop(op);
                }
                continue;
            }
        }

        /* Outputs: dead after the op if not live; then killed. */
        for (unsigned k = 0; k < no; k++) {
            uint32_t t = (uint32_t)op->args[k];
            if (tracked(l, t) && !bit_get(l->cur, t) && !ir_temp_is_global(f, t)) {
                life |= IR_LIFE_DEAD(k);
            }
        }
        for (unsigned k = 0; k < no; k++) {
            if (tracked(l, op->args[k])) {
                bit_clear(l->cur, (uint32_t)op->args[k]);
            }
        }

        /* Ops that may observe all of env. */
        if (def->flags & IR_OPF_MAY_FAULT) {
            set_or(l, l->cur, l->globals);
        } else if (op->opc == IR_OP_CALL) {
            unsigned flags = (unsigned)op->args[no + ni + 1];
            if (!(flags & IR_CALL_NO_READ_GLOBALS)) {
                set_or(l, l->cur, l->globals);
            }
        }

        /* Inputs: dead here if not live after; then live. */
        for (unsigned k = no; k < no + ni; k++) {
            uint32_t t = (uint32_t)op->args[k];
            if (tracked(l, t) && !bit_get(l->cur, t) && !ir_temp_is_global(f, t)) {
                life |= IR_LIFE_DEAD(k);
            }
        }
        for (unsigned k = no; k < no + ni; k++) {
            if (tracked(l, op->args[k])) {
                bit_set(l->cur, (uint32_t)op->args[k]);
            }
        }
        if (annotate) {
            op->life = life;
        }
    }
}

static bool has_backward_branch(const IRFunc *f)
{
    uint8_t *seen = xzalloc(f->nb_labels + 1);
    bool back = false;

    for (uint32_t i = 0; i < f->nb_ops && !back; i++) {
        const IROp *op = &f->ops[i];
        if (op->opc == IR_OP_SET_LABEL) {
            seen[op->args[0]] = 1;
        } else if (op->opc == IR_OP_BR) {
            back = seen[op->args[0]];
        } else if (op->opc == IR_OP_BRCOND) {
            back = seen[op->args[3]];
        }
    }
    free(seen);
    return back;
}

void ir_liveness(IRFunc *f, bool remove_dead)
{
    Live l = {.f = f};
    uint32_t n = f->nb_temps;

    l.words = (n + 63) / 64;
    l.cur = xcalloc(l.words, 8);
    l.globals = xcalloc(l.words, 8);
    l.ebb = xcalloc(l.words, 8);
    l.tracked = xcalloc(l.words, 8);
    l.label_in = xcalloc((size_t)l.words * (f->nb_labels + 1), 8);
    for (uint32_t t = 0; t < n; t++) {
        switch (f->temps[t].kind) {
        case IR_TEMP_GLOBAL:
            bit_set(l.globals, t);
            bit_set(l.tracked, t);
            break;
        case IR_TEMP_EBB:
            bit_set(l.ebb, t);
            bit_set(l.tracked, t);
            break;
        case IR_TEMP_TB:
            bit_set(l.tracked, t);
            break;
        default:
            break;
        }
    }
    if (has_backward_branch(f)) {
        /* Label live-in sets only grow; iterate to the fixed point. */
        do {
            l.changed = false;
            live_sweep(&l, false, remove_dead);
        } while (l.changed);
    }
    live_sweep(&l, true, remove_dead);
    free(l.cur);
    free(l.globals);
    free(l.ebb);
    free(l.tracked);
    free(l.label_in);
}
