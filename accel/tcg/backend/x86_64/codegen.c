/*
 * The native x86-64 code generator: IR (after ir_liveness) -> host code.
 *
 * One forward pass with a local register allocator.  Every IR value has a home in
 * memory (env for globals, a spill slot for temps) and is cached in at most one host
 * register.  A value is loaded on first use, kept while registers last, and written back
 * only when the contract demands it: globals at sync points, TB temps at basic-block
 * ends, anything when its register is taken.  EBB temps die at labels and when op->life
 * says so, which is how most values never touch memory at all.  Constants become
 * immediates wherever the instruction has a form for them.
 *
 * Guest memory accesses probe the TLB inline (see guest-mem.h) and keep the hook call in
 * an out-of-line stub at the end of the block, which writes the dirty globals back to env,
 * saves the caller-saved registers the fast path keeps live, records ctx->pos, calls the
 * hook and jumps back.  Only the hook can fault or look at env, so a TLB hit needs no
 * write-back: the globals stay dirty in their registers.
 */
#include <assert.h>

#include "accel/tcg/backend/x86_64/asm.h"
#include "accel/tcg/backend/x86_64/native.h"

#if defined(__x86_64__)

#define OWNER_FREE (-1)
#define OWNER_SCRATCH (-2) /* a constant materialized for one op */

static const uint8_t alloc_order[] = {R12, R13, RBP, RAX, RDX, RSI, RDI, R8, R9};
#define CALLER_SAVED_MASK ((1u << RAX) | (1u << RDX) | (1u << RSI) | (1u << RDI) | \
                           (1u << R8) | (1u << R9))
static const uint8_t arg_regs[IR_CALL_MAX_ARGS] = {RDI, RSI, RDX, RCX, R8, R9};

typedef struct LabelFix {
    uint32_t label;
    uint32_t at; /* offset of a rel32 */
} LabelFix;

typedef struct SlowPath {
    uint32_t jcc_at[3];  /* rel32s that branch to the stub */
    uint32_t njcc;
    uint32_t fast_start; /* offset inside the access's fast path, for ctx->pos */
    uint32_t resume;     /* where the stub jumps back */
    uint16_t save_mask;
    uint16_t sync_mask;   /* registers holding dirty globals: stored to env first */
    uint16_t sync32_mask; /* ... of which these have a 32-bit home */
    int32_t sync_disp[16];
    int8_t addr_reg, val_reg, out_reg;
    bool addr64, is_store, out64;
    uint32_t moi;
} SlowPath;

typedef struct Gen {
    Asm a;
    IRFunc *f;
    TranslationBlock *tb;
    int8_t *treg;    /* per temp: host register or -1 */
    uint8_t *tmem;   /* per temp: the memory home holds the current value */
    int32_t *tslot;  /* per temp: spill slot or -1 */
    int32_t owner[16];
    uint16_t locked;
    uint32_t next_victim;
    int32_t *free_slots;
    uint32_t nfree_slots, next_slot;
    bool too_big;
    uint32_t *label_pos;
    LabelFix *fix;
    uint32_t nfix, fixcap;
    SlowPath *slow;
    uint32_t nslow, slowcap;
    uint32_t req_fix[1];
    /* Host flags as left by the last op: valid when they equal a compare of (fa, fb). */
    bool flags_valid;
    bool flags_test; /* from an AND (test semantics) rather than a SUB (cmp) */
    bool flags_w64;
    uint64_t fa, fb;
    /* ZF (and SF) describe the value of zf_temp, the result of the last add/sub/logic op. */
    bool zf_valid, zf_w64;
    uint64_t zf_temp;
    /* setcond t; brcond t != 0: the setcond left its condition code for the branch. */
    bool fused_pending;
    unsigned fused_cc;
    /* The current op, the op after it, and whether the current op has done its work too. */
    const IROp *cur;
    const IROp *next;
    bool next_done;
} Gen;

static void emit_store_tb(Gen *g, size_t field);

static IRTempKind kind_of(Gen *g, uint64_t t)
{
    return (IRTempKind)g->f->temps[t].kind;
}

static bool is64(Gen *g, uint64_t t)
{
    return g->f->temps[t].type != IR_I32;
}

/* ---- memory homes ---- */

static void temp_home(Gen *g, uint64_t t, unsigned *base, int32_t *disp)
{
    if (kind_of(g, t) == IR_TEMP_GLOBAL) {
        *base = R14;
        *disp = g->f->temps[t].mem_offset;
        return;
    }
    if (g->tslot[t] < 0) {
        if (g->nfree_slots) {
            g->tslot[t] = g->free_slots[--g->nfree_slots];
        } else if (g->next_slot < NATIVE_MAX_SLOTS) {
            g->tslot[t] = (int32_t)g->next_slot++;
        } else {
            g->too_big = true;
            g->tslot[t] = 0;
        }
    }
    *base = RSP;
    *disp = NATIVE_SPILL_OFF + 8 * g->tslot[t];
}

/* Globals keep their env width; spill slots are always 64-bit. */
static bool home_is_32(Gen *g, uint64_t t)
{
    return kind_of(g, t) == IR_TEMP_GLOBAL && g->f->temps[t].type == IR_I32;
}

static void emit_load_home(Gen *g, unsigned r, uint64_t t)
{
    unsigned base;
    int32_t disp;

    temp_home(g, t, &base, &disp);
    asm_rm(&g->a, 0x8b | (home_is_32(g, t) ? 0 : P_REXW), r, base, disp);
}

static void temp_store(Gen *g, uint64_t t)
{
    unsigned base;
    int32_t disp;

    if (g->treg[t] < 0 || g->tmem[t]) {
        return;
    }
    temp_home(g, t, &base, &disp);
    asm_rm(&g->a, 0x89 | (home_is_32(g, t) ? 0 : P_REXW), (unsigned)g->treg[t], base, disp);
    g->tmem[t] = 1;
}

static void slot_release(Gen *g, uint64_t t)
{
    if (g->tslot[t] >= 0) {
        if (!g->too_big) {
            g->free_slots[g->nfree_slots++] = g->tslot[t];
        }
        g->tslot[t] = -1;
    }
}

/* ---- registers ---- */

static void reg_release(Gen *g, unsigned r)
{
    int32_t t = g->owner[r];

    if (t >= 0) {
        g->treg[t] = -1;
    }
    g->owner[r] = OWNER_FREE;
}

static void reg_evict(Gen *g, unsigned r)
{
    if (g->owner[r] >= 0) {
        temp_store(g, (uint64_t)g->owner[r]);
    }
    reg_release(g, r);
}

/*
 * How many ops from the current one on t is next read: VICTIM_WINDOW when not within the
 * window, or when it is written before it is read (its value is dead).
 */
#define VICTIM_WINDOW 48u

static unsigned next_read(Gen *g, int32_t t)
{
    const IROp *op = g->cur, *end = g->f->ops + g->f->nb_ops;
    unsigned dist = 0;

    for (; op && op < end && dist < VICTIM_WINDOW; op++) {
        if (op->opc == IR_OP_NOP || op->opc == IR_OP_INSN_START) {
            continue;
        }
        for (unsigned k = op->nb_oargs; k < op->nb_oargs + op->nb_iargs; k++) {
            if (op->args[k] == (uint64_t)t) {
                return dist;
            }
        }
        for (unsigned k = 0; k < op->nb_oargs; k++) {
            if (op->args[k] == (uint64_t)t) {
                return VICTIM_WINDOW;
            }
        }
        dist++;
    }
    return VICTIM_WINDOW;
}

static unsigned reg_alloc(Gen *g)
{
    unsigned n = ARRAY_SIZE(alloc_order);

    for (unsigned i = 0; i < n; i++) {
        unsigned r = alloc_order[i];
        if (g->owner[r] == OWNER_FREE && !(g->locked & (1u << r))) {
            g->locked |= 1u << r;
            return r;
        }
    }
    /*
     * Evict the value read again last (Belady, within a window); among equally far ones a
     * value whose memory home is current (no store), then round robin.  Evicting a value
     * the next op reads costs a store and a reload at once.
     */
    {
        int best = -1;
        unsigned best_score = 0, best_k = 0;
        for (unsigned k = 0; k < n; k++) {
            unsigned r = alloc_order[(g->next_victim + k) % n];
            int32_t t = g->owner[r];
            unsigned score;
            if (g->locked & (1u << r)) {
                continue;
            }
            score = t >= 0 ? 2 * next_read(g, t) + g->tmem[t] : 2 * VICTIM_WINDOW + 1;
            if (best < 0 || score > best_score) {
                best = (int)r;
                best_score = score;
                best_k = k;
            }
        }
        if (best >= 0) {
            g->next_victim = (g->next_victim + best_k + 1) % n;
            reg_evict(g, (unsigned)best);
            g->locked |= 1u << best;
            return (unsigned)best;
        }
    }
    abort(); /* more than nine registers locked by one op cannot happen */
}

/* The register holding input t (loaded or materialized as needed), locked for this op. */
static unsigned in_reg(Gen *g, uint64_t t)
{
    unsigned r;

    switch (kind_of(g, t)) {
    case IR_TEMP_FIXED:
        return R14;
    case IR_TEMP_CONST:
        r = reg_alloc(g);
        g->owner[r] = OWNER_SCRATCH;
        asm_movi(&g->a, r, g->f->temps[t].val);
        return r;
    default:
        break;
    }
    if (g->treg[t] >= 0) {
        g->locked |= 1u << g->treg[t];
        return (unsigned)g->treg[t];
    }
    r = reg_alloc(g);
    if (kind_of(g, t) == IR_TEMP_GLOBAL || g->tslot[t] >= 0) {
        emit_load_home(g, r, t);
    }
    /* else: read before written; any value will do */
    g->owner[r] = (int32_t)t;
    g->treg[t] = (int8_t)r;
    g->tmem[t] = 1;
    return r;
}

/* t's new value is in r (locked).  t's memory home is stale from now on. */
static void set_out(Gen *g, uint64_t t, unsigned r)
{
    if (g->treg[t] >= 0 && (unsigned)g->treg[t] != r) {
        g->owner[g->treg[t]] = OWNER_FREE;
    }
    if (g->owner[r] >= 0 && (uint64_t)g->owner[r] != t) {
        g->treg[g->owner[r]] = -1;
    }
    g->owner[r] = (int32_t)t;
    g->treg[t] = (int8_t)r;
    g->tmem[t] = 0;
    g->locked |= 1u << r;
}

static bool dies(const IROp *op, unsigned argi)
{
    return op->life & IR_LIFE_DEAD(argi);
}

/*
 * Can the register of input arg argi be taken over by the output?  Only for EBB temps:
 * a TB temp's liveness is not exact across backward branches, so it keeps its value.
 */
static bool reusable(Gen *g, const IROp *op, unsigned argi)
{
    uint64_t t = op->args[argi];

    return kind_of(g, t) == IR_TEMP_EBB && dies(op, argi) && g->treg[t] >= 0;
}

/* After an op: release scratch registers and EBB values that died, unlock everything. */
static void op_done(Gen *g, const IROp *op)
{
    for (unsigned k = 0; k < op->nb_oargs + op->nb_iargs; k++) {
        uint64_t t = op->args[k];
        bool written = false;
        /* An input that dies but is also this op's output holds the new value now. */
        for (unsigned o = 0; k >= op->nb_oargs && o < op->nb_oargs; o++) {
            written |= op->args[o] == t;
        }
        if (dies(op, k) && !written && kind_of(g, t) == IR_TEMP_EBB) {
            if (g->treg[t] >= 0) {
                reg_release(g, (unsigned)g->treg[t]);
            }
            slot_release(g, t);
        }
    }
    for (unsigned r = 0; r < 16; r++) {
        if (g->owner[r] == OWNER_SCRATCH) {
            g->owner[r] = OWNER_FREE;
        }
    }
    g->locked = 0;
}

/* Write back every dirty global (registers keep their now clean copies). */
static void sync_globals(Gen *g)
{
    for (unsigned r = 0; r < 16; r++) {
        int32_t t = g->owner[r];
        if (t >= 0 && kind_of(g, (uint64_t)t) == IR_TEMP_GLOBAL) {
            temp_store(g, (uint64_t)t);
        }
    }
}

/* End of a basic block: globals in env, TB temps in their slots. */
static void sync_bb(Gen *g)
{
    for (unsigned r = 0; r < 16; r++) {
        int32_t t = g->owner[r];
        if (t >= 0 && kind_of(g, (uint64_t)t) != IR_TEMP_EBB) {
            temp_store(g, (uint64_t)t);
        }
    }
}

static void forget_globals(Gen *g)
{
    for (unsigned r = 0; r < 16; r++) {
        int32_t t = g->owner[r];
        if (t >= 0 && kind_of(g, (uint64_t)t) == IR_TEMP_GLOBAL) {
            assert(g->tmem[t]);
            reg_release(g, r);
        }
    }
}

/* At a label control arrives from elsewhere: nothing cached is known, EBB temps died. */
static void enter_label(Gen *g)
{
    for (unsigned r = 0; r < 16; r++) {
        if (g->owner[r] >= 0) {
            reg_release(g, r);
        }
    }
    for (uint32_t t = g->f->nb_globals; t < g->f->nb_temps; t++) {
        if (kind_of(g, t) == IR_TEMP_EBB) {
            slot_release(g, t);
        }
    }
}

/* ---- labels and branches ---- */

static void branch_to(Gen *g, uint32_t label, size_t at)
{
    if (g->label_pos[label] != UINT32_MAX) {
        asm_link(&g->a, at, g->label_pos[label]);
        return;
    }
    if (g->nfix == g->fixcap) {
        g->fixcap = g->fixcap ? g->fixcap * 2 : 16;
        g->fix = xrealloc(g->fix, g->fixcap * sizeof(*g->fix));
    }
    g->fix[g->nfix].label = label;
    g->fix[g->nfix].at = (uint32_t)at;
    g->nfix++;
}

static void set_label(Gen *g, uint32_t label)
{
    g->label_pos[label] = (uint32_t)g->a.n;
    for (uint32_t i = 0; i < g->nfix;) {
        if (g->fix[i].label == label) {
            asm_link(&g->a, g->fix[i].at, g->a.n);
            g->fix[i] = g->fix[--g->nfix];
        } else {
            i++;
        }
    }
}

static const uint8_t cond_cc[IR_COND_COUNT] = {
    [IR_COND_EQ] = CC_E,   [IR_COND_NE] = CC_NE,  [IR_COND_LT] = CC_L,
    [IR_COND_GE] = CC_GE,  [IR_COND_LE] = CC_LE,  [IR_COND_GT] = CC_G,
    [IR_COND_LTU] = CC_B,  [IR_COND_GEU] = CC_AE, [IR_COND_LEU] = CC_BE,
    [IR_COND_GTU] = CC_A,  [IR_COND_TSTEQ] = CC_E, [IR_COND_TSTNE] = CC_NE,
};

static bool imm_ok(Gen *g, uint64_t t, bool w)
{
    if (kind_of(g, t) != IR_TEMP_CONST) {
        return false;
    }
    return !w || fits_s32((int64_t)g->f->temps[t].val);
}

/*
 * Set the host flags for "a c b" and return the x86 condition code.  Reuses the flags of
 * the previous sub/and of the same operands when nothing has touched them since.
 */
static void flags_clobbered(Gen *g)
{
    g->flags_valid = false;
    g->zf_valid = false;
}

static unsigned emit_compare(Gen *g, bool w, IRCond *cp, uint64_t *ap, uint64_t *bp)
{
    IRCond c = *cp;
    uint64_t a = *ap, b = *bp;
    bool tst = c == IR_COND_TSTEQ || c == IR_COND_TSTNE;
    unsigned ra;

    if (kind_of(g, a) == IR_TEMP_CONST && kind_of(g, b) != IR_TEMP_CONST) {
        uint64_t t = a;
        a = b;
        b = t;
        c = ir_cond_swap(c);
    }
    *cp = c;
    *ap = a;
    *bp = b;
    if (g->flags_valid && g->flags_w64 == w && g->fa == a && g->fb == b &&
        g->flags_test == tst) {
        return cond_cc[c];
    }
    /* a == 0 / a != 0 (or a & a) right after the op that computed a: its ZF says so. */
    if (g->zf_valid && g->zf_w64 == w && g->zf_temp == a &&
        (((c == IR_COND_EQ || c == IR_COND_NE) && kind_of(g, b) == IR_TEMP_CONST &&
          g->f->temps[b].val == 0) || (tst && a == b))) {
        return cond_cc[c];
    }
    ra = in_reg(g, a);
    if (imm_ok(g, b, w)) {
        int32_t imm = (int32_t)g->f->temps[b].val;
        if (tst) {
            asm_rr(&g->a, 0xf7 | (w ? P_REXW : 0), 0, ra);
            asm_d(&g->a, (uint32_t)imm);
        } else {
            asm_alu_ri(&g->a, ALU_CMP, w, ra, imm);
        }
    } else {
        unsigned rb = in_reg(g, b);
        if (tst) {
            asm_rr(&g->a, 0x85 | (w ? P_REXW : 0), rb, ra);
        } else {
            asm_alu_rr(&g->a, ALU_CMP, w, ra, rb);
        }
    }
    flags_clobbered(g);
    g->flags_valid = true;
    g->flags_test = tst;
    g->flags_w64 = w;
    g->fa = a;
    g->fb = b;
    return cond_cc[c];
}

/* ---- ops ---- */

static bool commutative(unsigned opc)
{
    return opc == IR_OP_ADD || opc == IR_OP_MUL || opc == IR_OP_AND || opc == IR_OP_OR ||
           opc == IR_OP_XOR;
}

/* The output register for d = f(a, ...) computed in place: a's value copied in first. */
static unsigned dest_from_to(Gen *g, const IROp *op, uint64_t d, unsigned argi, bool w)
{
    uint64_t a = op->args[argi];
    unsigned ra, rd;

    if (kind_of(g, a) == IR_TEMP_CONST) {
        rd = reg_alloc(g);
        asm_movi(&g->a, rd, g->f->temps[a].val);
        return rd;
    }
    ra = in_reg(g, a);
    if (ra != R14 && (d == a || reusable(g, op, argi))) {
        return ra;
    }
    rd = reg_alloc(g);
    asm_mov_rr(&g->a, w, rd, ra);
    return rd;
}

static unsigned dest_from(Gen *g, const IROp *op, unsigned argi, bool w)
{
    return dest_from_to(g, op, op->args[0], argi, w);
}

/*
 * "t = a op b (64-bit); d = ext32u(t)" with t dying there is the 32-bit op into d: a
 * 32-bit x86 op clears the high half.  Every 32-bit guest ALU op and address comes as
 * this pair.  Only ops whose low half does not depend on the inputs' high halves.  The
 * in-place form "t = a op b; t = ext32u(t)" (the frontend's 32-bit linear addresses and
 * many 32-bit results) fuses for any t: nothing can see the 64-bit value in between.
 */
static bool fuses_ext32u(Gen *g, const IROp *op)
{
    const IROp *n = g->next;
    uint64_t t = op->args[0];

    if (!n || op->type != IR_I64 || n->opc != IR_OP_EXT32U || n->type != IR_I64 ||
        n->args[1] != t) {
        return false;
    }
    if (n->args[0] != t && (!dies(n, 1) || kind_of(g, t) != IR_TEMP_EBB)) {
        return false;
    }
    switch (op->opc) {
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_AND: case IR_OP_OR:
    case IR_OP_XOR: case IR_OP_ANDC:
        return true;
    case IR_OP_SHL:
        return kind_of(g, op->args[2]) == IR_TEMP_CONST && g->f->temps[op->args[2]].val < 32;
    default:
        return false;
    }
}

static void gen_binary(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    unsigned opc = op->opc;
    uint64_t d = op->args[0], a = op->args[1], b = op->args[2];
    unsigned argi = 1, rd, rb = 0;
    bool bimm;
    int32_t imm = 0;
    static const uint8_t alu[IR_OP_COUNT] = {
        [IR_OP_ADD] = ALU_ADD, [IR_OP_SUB] = ALU_SUB, [IR_OP_AND] = ALU_AND,
        [IR_OP_OR] = ALU_OR,   [IR_OP_XOR] = ALU_XOR,
    };
    static const uint8_t shift[IR_OP_COUNT] = {
        [IR_OP_SHL] = SH_SHL, [IR_OP_SHR] = SH_SHR, [IR_OP_SAR] = SH_SAR,
        [IR_OP_ROTL] = SH_ROL, [IR_OP_ROTR] = SH_ROR,
    };

    if (fuses_ext32u(g, op)) {
        w = false;
        d = g->next->args[0];
        g->next_done = true;
    }
    if (commutative(opc) && (d == b || (kind_of(g, a) == IR_TEMP_CONST &&
                                        kind_of(g, b) != IR_TEMP_CONST))) {
        uint64_t t = a;
        a = b;
        b = t;
        argi = 2;
    }
    bimm = imm_ok(g, b, w);
    if (bimm) {
        imm = (int32_t)g->f->temps[b].val;
    } else {
        rb = in_reg(g, b);
    }
    /* a + b into a fresh register: one LEA (which leaves the flags alone). */
    if (opc == IR_OP_ADD && d != a && d != b && kind_of(g, a) != IR_TEMP_CONST &&
        !reusable(g, op, argi)) {
        unsigned ra = in_reg(g, a);
        rd = reg_alloc(g);
        if (bimm) {
            asm_rm(&g->a, 0x8d | (w ? P_REXW : 0), rd, ra, imm);
        } else if (rb != RSP) {
            asm_rmx(&g->a, 0x8d | (w ? P_REXW : 0), rd, ra, rb, 0);
        } else {
            asm_rmx(&g->a, 0x8d | (w ? P_REXW : 0), rd, rb, ra, 0);
        }
        set_out(g, d, rd);
        flags_clobbered(g);
        return;
    }
    /* Non-commutative with d == b: compute into a fresh register. */
    if (d == b && !commutative(opc) && d != a) {
        unsigned ra = kind_of(g, a) == IR_TEMP_CONST ? 0 : in_reg(g, a);
        rd = reg_alloc(g);
        if (kind_of(g, a) == IR_TEMP_CONST) {
            asm_movi(&g->a, rd, g->f->temps[a].val);
        } else {
            asm_mov_rr(&g->a, w, rd, ra);
        }
    } else {
        rd = dest_from_to(g, op, d, argi, w);
    }

    switch (opc) {
    case IR_OP_ADD: case IR_OP_SUB: case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR:
        if (bimm) {
            asm_alu_ri(&g->a, alu[opc], w, rd, imm);
        } else {
            asm_alu_rr(&g->a, alu[opc], w, rd, rb);
        }
        break;
    case IR_OP_MUL:
        if (bimm) {
            asm_rr(&g->a, 0x69 | (w ? P_REXW : 0), rd, rd);
            asm_d(&g->a, (uint32_t)imm);
        } else {
            asm_rr(&g->a, 0xaf | P_0F | (w ? P_REXW : 0), rd, rb);
        }
        break;
    case IR_OP_ANDC:
        if (bimm && (w ? fits_s32(~(int64_t)imm) : true)) {
            asm_alu_ri(&g->a, ALU_AND, w, rd, ~imm);
        } else {
            if (bimm) {
                asm_movi(&g->a, R11, g->f->temps[b].val);
            } else {
                asm_mov_rr(&g->a, w, R11, rb);
            }
            asm_rr(&g->a, 0xf7 | (w ? P_REXW : 0), 2, R11);
            asm_alu_rr(&g->a, ALU_AND, w, rd, R11);
        }
        break;
    default: /* shifts and rotates */
        if (bimm) {
            asm_shift_ri(&g->a, shift[opc], w, rd, (unsigned)imm & (w ? 63 : 31));
        } else {
            asm_mov_rr(&g->a, false, RCX, rb);
            asm_shift_cl(&g->a, shift[opc], w, rd);
        }
        break;
    }
    set_out(g, d, rd);
    flags_clobbered(g);
    if (opc == IR_OP_ADD || opc == IR_OP_SUB || opc == IR_OP_AND || opc == IR_OP_OR ||
        opc == IR_OP_XOR) {
        g->zf_valid = true;
        g->zf_w64 = w;
        g->zf_temp = d;
    }
    if ((opc == IR_OP_SUB || opc == IR_OP_AND) && d != a && d != b) {
        g->flags_valid = true;
        g->flags_test = opc == IR_OP_AND;
        g->flags_w64 = w;
        g->fa = a;
        g->fb = b;
    }
}

static void gen_mov(Gen *g, const IROp *op)
{
    uint64_t d = op->args[0], s = op->args[1];
    unsigned rd;

    if (d == s) {
        return;
    }
    switch (kind_of(g, s)) {
    case IR_TEMP_CONST:
        rd = g->treg[d] >= 0 && kind_of(g, d) != IR_TEMP_CONST ? (unsigned)g->treg[d]
                                                                : reg_alloc(g);
        asm_movi(&g->a, rd, g->f->temps[s].val);
        break;
    case IR_TEMP_FIXED:
        rd = reg_alloc(g);
        asm_mov_rr(&g->a, true, rd, R14);
        break;
    default:
        if (g->treg[s] < 0 && kind_of(g, d) != IR_TEMP_GLOBAL) {
            /* Load straight into the destination; s stays where it is. */
            rd = reg_alloc(g);
            if (kind_of(g, s) == IR_TEMP_GLOBAL || g->tslot[s] >= 0) {
                emit_load_home(g, rd, s);
            }
        } else if (g->treg[s] >= 0 && reusable(g, op, 1)) {
            rd = (unsigned)g->treg[s];
        } else {
            unsigned rs = in_reg(g, s);
            rd = reg_alloc(g);
            asm_mov_rr(&g->a, is64(g, s), rd, rs);
        }
        break;
    }
    set_out(g, d, rd);
}

static void gen_unary(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    unsigned opc = op->opc, rd, ra;
    uint64_t a = op->args[1];

    switch (opc) {
    case IR_OP_NEG:
    case IR_OP_NOT:
        rd = dest_from(g, op, 1, w);
        asm_rr(&g->a, 0xf7 | (w ? P_REXW : 0), opc == IR_OP_NEG ? 3 : 2, rd);
        break;
    case IR_OP_BSWAP32:
        rd = dest_from(g, op, 1, false);
        asm_opc(&g->a, (0xc8 + (rd & 7)) | P_0F, 0, 0, rd);
        break;
    case IR_OP_BSWAP64:
        rd = dest_from(g, op, 1, true);
        asm_opc(&g->a, (0xc8 + (rd & 7)) | P_0F | P_REXW, 0, 0, rd);
        break;
    case IR_OP_EXTRH:
        rd = dest_from(g, op, 1, true);
        asm_shift_ri(&g->a, SH_SHR, true, rd, 32);
        break;
    default:
        ra = kind_of(g, a) == IR_TEMP_CONST ? (asm_movi(&g->a, R11, g->f->temps[a].val), R11)
                                            : in_reg(g, a);
        rd = (ra != R11 && ra != R14 && reusable(g, op, 1)) ? ra : reg_alloc(g);
        switch (opc) {
        case IR_OP_EXT8S:
            asm_rr(&g->a, 0xbe | P_0F | P_BYTE_RM | (w ? P_REXW : 0), rd, ra);
            break;
        case IR_OP_EXT8U:
            asm_rr(&g->a, 0xb6 | P_0F | P_BYTE_RM, rd, ra);
            break;
        case IR_OP_EXT16S:
            asm_rr(&g->a, 0xbf | P_0F | (w ? P_REXW : 0), rd, ra);
            break;
        case IR_OP_EXT16U:
            asm_rr(&g->a, 0xb7 | P_0F, rd, ra);
            break;
        case IR_OP_BSWAP16:
            asm_rr(&g->a, 0xb7 | P_0F, rd, ra);
            asm_rr(&g->a, 0xc1 | P_DATA16, SH_ROL, rd);
            asm_b(&g->a, 8);
            break;
        case IR_OP_EXT32S:
        case IR_OP_EXTS:
            asm_rr(&g->a, 0x63 | P_REXW, rd, ra);
            break;
        default: /* EXT32U, EXTRL, EXTU: a 32-bit move clears the high half */
            asm_mov_rr(&g->a, false, rd, ra);
            break;
        }
        break;
    }
    set_out(g, op->args[0], rd);
}

static void emit_field_mask(Gen *g, bool w, unsigned r, unsigned len)
{
    unsigned width = w ? 64 : 32;

    if (len >= width) {
        return;
    }
    if (len < 32) {
        asm_alu_ri(&g->a, ALU_AND, false, r, (int32_t)((1u << len) - 1));
        if (len == 31) {
            /* 0x7fffffff is an imm32; the 32-bit and already cleared the high half */
        }
    } else if (len == 32) {
        asm_mov_rr(&g->a, false, r, r);
    } else {
        asm_shift_ri(&g->a, SH_SHL, true, r, 64 - len);
        asm_shift_ri(&g->a, SH_SHR, true, r, 64 - len);
    }
}

static void gen_field(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    unsigned width = w ? 64 : 32, rd;

    if (op->opc == IR_OP_EXTRACT || op->opc == IR_OP_SEXTRACT) {
        unsigned pos = (unsigned)op->args[2], len = (unsigned)op->args[3];
        rd = dest_from(g, op, 1, w);
        if (op->opc == IR_OP_EXTRACT) {
            if (pos) {
                asm_shift_ri(&g->a, SH_SHR, w, rd, pos);
            }
            emit_field_mask(g, w, rd, len);
        } else {
            if (width - pos - len) {
                asm_shift_ri(&g->a, SH_SHL, w, rd, width - pos - len);
            }
            if (width - len) {
                asm_shift_ri(&g->a, SH_SAR, w, rd, width - len);
            }
        }
    } else if (op->args[3] == 0 && (op->args[4] == 8 || op->args[4] == 16)) {
        /* The low byte or word of a (x86 partial-register writes): one narrow move. */
        uint64_t b = op->args[2];
        bool byte = op->args[4] == 8;
        unsigned rb = kind_of(g, b) == IR_TEMP_CONST ? 0 : in_reg(g, b);
        rd = dest_from(g, op, 1, w);
        if (kind_of(g, b) == IR_TEMP_CONST) {
            asm_rr(&g->a, byte ? 0xc6 | P_BYTE_RM : 0xc7 | P_DATA16, 0, rd);
            if (byte) {
                asm_b(&g->a, (uint8_t)g->f->temps[b].val);
            } else {
                asm_b(&g->a, (uint8_t)g->f->temps[b].val);
                asm_b(&g->a, (uint8_t)(g->f->temps[b].val >> 8));
            }
        } else if (rb != rd) {
            asm_rr(&g->a, byte ? 0x88 | P_BYTE_R | P_BYTE_RM : 0x89 | P_DATA16, rb, rd);
        }
    } else {
        unsigned pos = (unsigned)op->args[3], len = (unsigned)op->args[4];
        uint64_t fm = len >= 64 ? ~0ull : (1ull << len) - 1;
        uint64_t m = ir_truncate((IRType)op->type, fm << pos);
        uint64_t b = op->args[2];

        if (kind_of(g, b) == IR_TEMP_CONST) {
            asm_movi(&g->a, R11, g->f->temps[b].val);
        } else {
            asm_mov_rr(&g->a, w, R11, in_reg(g, b));
        }
        emit_field_mask(g, w, R11, len);
        if (pos) {
            asm_shift_ri(&g->a, SH_SHL, w, R11, pos);
        }
        rd = dest_from(g, op, 1, w);
        asm_movi(&g->a, R10, ir_truncate((IRType)op->type, ~m));
        asm_alu_rr(&g->a, ALU_AND, w, rd, R10);
        asm_alu_rr(&g->a, ALU_OR, w, rd, R11);
    }
    set_out(g, op->args[0], rd);
}

/*
 * Is op (a setcond) only feeding the brcond that follows it, "brcond t, 0, ne/eq" with t
 * dying there?  Then the branch can use the compare's flags directly.
 */
static bool setcond_feeds_branch(Gen *g, const IROp *op, const IROp *end, bool *invert)
{
    const IROp *next = op + 1;
    uint64_t t = op->args[0];

    while (next < end && next->opc == IR_OP_NOP) {
        next++;
    }
    if (next >= end || next->opc != IR_OP_BRCOND || next->args[0] != t ||
        kind_of(g, t) != IR_TEMP_EBB || !dies(next, 0) ||
        kind_of(g, next->args[1]) != IR_TEMP_CONST || g->f->temps[next->args[1]].val != 0 ||
        (next->args[2] != IR_COND_NE && next->args[2] != IR_COND_EQ)) {
        return false;
    }
    *invert = next->args[2] == IR_COND_EQ;
    return true;
}

static void gen_setcond(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    uint64_t a = op->args[1], b = op->args[2];
    IRCond c = (IRCond)op->args[3];
    unsigned rd, cc;
    bool invert;

    if (c == IR_COND_ALWAYS || c == IR_COND_NEVER) {
        uint64_t v = c == IR_COND_ALWAYS;
        if (op->opc == IR_OP_NEGSETCOND) {
            v = ir_truncate((IRType)op->type, -v);
        }
        rd = reg_alloc(g);
        asm_movi(&g->a, rd, v);
        set_out(g, op->args[0], rd);
        return;
    }
    cc = emit_compare(g, w, &c, &a, &b);
    if (op->opc == IR_OP_SETCOND &&
        setcond_feeds_branch(g, op, &g->f->ops[g->f->nb_ops], &invert)) {
        g->fused_pending = true;
        g->fused_cc = invert ? cc ^ 1 : cc; /* x86 codes come in complementary pairs */
        return;
    }
    asm_rr(&g->a, (0x90 + cc) | P_0F | P_BYTE_RM, 0, R11);
    rd = reg_alloc(g);
    asm_rr(&g->a, 0xb6 | P_0F | P_BYTE_RM, rd, R11);
    if (op->args[0] == g->fa || op->args[0] == g->fb || op->args[0] == g->zf_temp) {
        flags_clobbered(g); /* the compared value itself changed */
    }
    if (op->opc == IR_OP_NEGSETCOND) {
        asm_rr(&g->a, 0xf7 | (w ? P_REXW : 0), 3, rd);
        flags_clobbered(g);
    }
    set_out(g, op->args[0], rd);
}

static void gen_movcond(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    uint64_t c1 = op->args[1], c2 = op->args[2];
    IRCond c = (IRCond)op->args[5];
    unsigned r1, r2, rd, cc;

    if (c == IR_COND_ALWAYS || c == IR_COND_NEVER) {
        rd = reg_alloc(g);
        asm_mov_rr(&g->a, w, rd, in_reg(g, op->args[c == IR_COND_ALWAYS ? 3 : 4]));
        set_out(g, op->args[0], rd);
        return;
    }
    r1 = in_reg(g, op->args[3]);
    r2 = in_reg(g, op->args[4]);
    flags_clobbered(g);
    cc = emit_compare(g, w, &c, &c1, &c2);
    rd = reg_alloc(g);
    asm_mov_rr(&g->a, w, rd, r2);
    asm_rr(&g->a, (0x40 + cc) | P_0F | (w ? P_REXW : 0), rd, r1);
    set_out(g, op->args[0], rd);
}

static void gen_brcond(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    uint64_t a = op->args[0], b = op->args[1];
    IRCond c = (IRCond)op->args[2];
    uint32_t label = (uint32_t)op->args[3];
    unsigned cc, ra = 0, rb = 0;

    if (g->fused_pending) {
        /* The setcond before us compared; stores keep the flags. */
        g->fused_pending = false;
        sync_bb(g);
        branch_to(g, label, asm_jcc32(&g->a, g->fused_cc));
        return;
    }
    if (c == IR_COND_NEVER) {
        return;
    }
    if (c == IR_COND_ALWAYS) {
        sync_bb(g);
        branch_to(g, label, asm_jmp32(&g->a));
        return;
    }
    if (kind_of(g, a) == IR_TEMP_CONST && kind_of(g, b) != IR_TEMP_CONST) {
        uint64_t t = a;
        a = b;
        b = t;
        c = ir_cond_swap(c);
    }
    /* Load the operands, write back (plain moves keep the flags), then compare. */
    if (!(g->flags_valid && g->fa == a && g->fb == b)) {
        ra = in_reg(g, a);
        if (!imm_ok(g, b, w)) {
            rb = in_reg(g, b);
        }
    }
    (void)ra;
    (void)rb;
    sync_bb(g);
    cc = emit_compare(g, w, &c, &a, &b);
    branch_to(g, label, asm_jcc32(&g->a, cc));
}

static void gen_ldst(Gen *g, const IROp *op)
{
    bool w = op->type == IR_I64;
    bool is_st = op->nb_oargs == 0;
    int64_t off = (int64_t)op->args[op->nb_oargs + op->nb_iargs];
    unsigned base, rv = 0, opc;

    base = in_reg(g, op->args[1]);
    if (!fits_s32(off)) {
        asm_movi(&g->a, R10, (uint64_t)off);
        asm_alu_rr(&g->a, ALU_ADD, true, R10, base);
        base = R10;
        off = 0;
    }
    if (is_st) {
        uint64_t v = op->args[0];
        rv = kind_of(g, v) == IR_TEMP_CONST ? (asm_movi(&g->a, R11, g->f->temps[v].val), R11)
                                            : in_reg(g, v);
        switch (op->opc) {
        case IR_OP_ST8: opc = 0x88 | P_BYTE_R; break;
        case IR_OP_ST16: opc = 0x89 | P_DATA16; break;
        case IR_OP_ST32: opc = 0x89; break;
        default: opc = 0x89 | (w ? P_REXW : 0); break;
        }
        asm_rm(&g->a, opc, rv, base, (int32_t)off);
        return;
    }
    switch (op->opc) {
    case IR_OP_LD8U: opc = 0xb6 | P_0F; break;
    case IR_OP_LD8S: opc = 0xbe | P_0F | (w ? P_REXW : 0); break;
    case IR_OP_LD16U: opc = 0xb7 | P_0F; break;
    case IR_OP_LD16S: opc = 0xbf | P_0F | (w ? P_REXW : 0); break;
    case IR_OP_LD32U: opc = 0x8b; break;
    case IR_OP_LD32S: opc = 0x63 | P_REXW; break;
    default: opc = 0x8b | (w ? P_REXW : 0); break;
    }
    rv = reg_alloc(g);
    asm_rm(&g->a, opc, rv, base, (int32_t)off);
    set_out(g, op->args[0], rv);
}

/* ---- calls ---- */

/*
 * Call fn(ins...) with the SysV ABI.  Caller-saved registers are written back and freed
 * first; the arguments are then loaded from where their values live.  Outputs arrive in
 * rax (and rdx for a 128-bit return).
 */
/*
 * Before a call: keep the value of caller-saved register r by moving it to a free
 * callee-saved one, else by writing it back to its home.
 */
static void call_preserve(Gen *g, unsigned r)
{
    static const uint8_t callee_saved[] = {R12, R13, RBP};
    int32_t t = g->owner[r];

    if (t >= 0) {
        for (unsigned i = 0; i < ARRAY_SIZE(callee_saved); i++) {
            unsigned c = callee_saved[i];
            if (g->owner[c] == OWNER_FREE && !(g->locked & (1u << c))) {
                asm_mov_rr(&g->a, true, c, r);
                g->owner[c] = t;
                g->treg[t] = (int8_t)c;
                g->owner[r] = OWNER_FREE;
                return;
            }
        }
    }
    reg_evict(g, r);
}

static void gen_call_common(Gen *g, const void *fn, unsigned flags, unsigned nin,
                            const uint64_t *ins, unsigned nout, const uint64_t *outs)
{
    bool sync = !(flags & IR_CALL_NO_READ_GLOBALS) || !(flags & IR_CALL_NO_WRITE_GLOBALS);

    if (sync) {
        sync_globals(g);
    }
    for (unsigned r = 0; r < 16; r++) {
        if ((CALLER_SAVED_MASK & (1u << r)) && g->owner[r] != OWNER_FREE) {
            call_preserve(g, r);
        }
    }
    for (unsigned i = 0; i < nin; i++) {
        uint64_t t = ins[i];
        unsigned dst = arg_regs[i];
        switch (kind_of(g, t)) {
        case IR_TEMP_CONST:
            asm_movi(&g->a, dst, g->f->temps[t].val);
            break;
        case IR_TEMP_FIXED:
            asm_mov_rr(&g->a, true, dst, R14);
            break;
        default:
            if (g->treg[t] >= 0) {
                asm_mov_rr(&g->a, is64(g, t), dst, (unsigned)g->treg[t]);
            } else if (kind_of(g, t) == IR_TEMP_GLOBAL || g->tslot[t] >= 0) {
                emit_load_home(g, dst, t);
            }
            break;
        }
    }
    if (!(flags & IR_CALL_NO_READ_GLOBALS)) {
        /* The helper may unwind: record a position inside this op's code, and the TB. */
        emit_store_tb(g, offsetof(TBExecCtx, cur_tb));
        asm_rip(&g->a, 0x8d | P_REXW, R11);
        asm_rm(&g->a, 0x89 | P_REXW, R11, R15, offsetof(TBExecCtx, pos));
    }
    asm_call_abs(&g->a, fn);
    if (!(flags & IR_CALL_NO_WRITE_GLOBALS)) {
        forget_globals(g);
    }
    for (unsigned k = 0; k < nout; k++) {
        unsigned r = k ? RDX : RAX;
        if (!is64(g, outs[k])) {
            asm_mov_rr(&g->a, false, r, r);
        }
        set_out(g, outs[k], r);
    }
    flags_clobbered(g);
}

static void gen_call(Gen *g, const IROp *op)
{
    unsigned no = op->nb_oargs, ni = op->nb_iargs;
    const void *fn = (const void *)(uintptr_t)op->args[no + ni];
    unsigned flags = (unsigned)op->args[no + ni + 1];

    gen_call_common(g, fn, flags, ni, &op->args[no], no, op->args);
}

/* Out-of-line semantics for ops too rare to inline; identical to the interpreter's. */
typedef unsigned __int128 u128;

static uint64_t h_div32(uint64_t a, uint64_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    return y == 0 ? 0xffffffffu : (x == INT32_MIN && y == -1) ? (uint32_t)x : (uint32_t)(x / y);
}
static uint64_t h_rem32(uint64_t a, uint64_t b)
{
    int32_t x = (int32_t)a, y = (int32_t)b;
    return y == 0 ? (uint32_t)x : (x == INT32_MIN && y == -1) ? 0 : (uint32_t)(x % y);
}
static uint64_t h_div64(uint64_t a, uint64_t b)
{
    int64_t x = (int64_t)a, y = (int64_t)b;
    return y == 0 ? ~0ull : (x == INT64_MIN && y == -1) ? a : (uint64_t)(x / y);
}
static uint64_t h_rem64(uint64_t a, uint64_t b)
{
    int64_t x = (int64_t)a, y = (int64_t)b;
    return y == 0 ? a : (x == INT64_MIN && y == -1) ? 0 : (uint64_t)(x % y);
}
static uint64_t h_divu32(uint64_t a, uint64_t b)
{
    return (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0xffffffffu;
}
static uint64_t h_remu32(uint64_t a, uint64_t b)
{
    return (uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a;
}
static uint64_t h_divu64(uint64_t a, uint64_t b)
{
    return b ? a / b : ~0ull;
}
static uint64_t h_remu64(uint64_t a, uint64_t b)
{
    return b ? a % b : a;
}
static uint64_t h_clz32(uint64_t a, uint64_t b)
{
    return (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : (uint32_t)b;
}
static uint64_t h_clz64(uint64_t a, uint64_t b)
{
    return a ? (uint64_t)__builtin_clzll(a) : b;
}
static uint64_t h_ctz32(uint64_t a, uint64_t b)
{
    return (uint32_t)a ? (uint64_t)__builtin_ctz((uint32_t)a) : (uint32_t)b;
}
static uint64_t h_ctz64(uint64_t a, uint64_t b)
{
    return a ? (uint64_t)__builtin_ctzll(a) : b;
}
static uint64_t h_ctpop32(uint64_t a)
{
    return (uint64_t)__builtin_popcount((uint32_t)a);
}
static uint64_t h_ctpop64(uint64_t a)
{
    return (uint64_t)__builtin_popcountll(a);
}
static u128 h_mulu2_32(uint64_t a, uint64_t b)
{
    uint64_t r = (uint64_t)(uint32_t)a * (uint32_t)b;
    return (u128)(r >> 32) << 64 | (uint32_t)r;
}
static u128 h_muls2_32(uint64_t a, uint64_t b)
{
    uint64_t r = (uint64_t)((int64_t)(int32_t)a * (int32_t)b);
    return (u128)(r >> 32) << 64 | (uint32_t)r;
}
static u128 h_mulu2_64(uint64_t a, uint64_t b)
{
    return (u128)a * b;
}
static u128 h_muls2_64(uint64_t a, uint64_t b)
{
    return (u128)((__int128)(int64_t)a * (int64_t)b);
}
static u128 h_add2_32(uint64_t al, uint64_t ah, uint64_t bl, uint64_t bh)
{
    uint64_t r = ((uint64_t)(uint32_t)ah << 32 | (uint32_t)al) +
                 ((uint64_t)(uint32_t)bh << 32 | (uint32_t)bl);
    return (u128)(r >> 32) << 64 | (uint32_t)r;
}
static u128 h_sub2_32(uint64_t al, uint64_t ah, uint64_t bl, uint64_t bh)
{
    uint64_t r = ((uint64_t)(uint32_t)ah << 32 | (uint32_t)al) -
                 ((uint64_t)(uint32_t)bh << 32 | (uint32_t)bl);
    return (u128)(r >> 32) << 64 | (uint32_t)r;
}
static u128 h_add2_64(uint64_t al, uint64_t ah, uint64_t bl, uint64_t bh)
{
    uint64_t lo = al + bl;
    return (u128)(ah + bh + (lo < al)) << 64 | lo;
}
static u128 h_sub2_64(uint64_t al, uint64_t ah, uint64_t bl, uint64_t bh)
{
    return (u128)(ah - bh - (al < bl)) << 64 | (al - bl);
}

static const void *rare_op_helper(unsigned opc, bool w)
{
    switch (opc) {
    case IR_OP_DIV: return w ? (const void *)h_div64 : (const void *)h_div32;
    case IR_OP_DIVU: return w ? (const void *)h_divu64 : (const void *)h_divu32;
    case IR_OP_REM: return w ? (const void *)h_rem64 : (const void *)h_rem32;
    case IR_OP_REMU: return w ? (const void *)h_remu64 : (const void *)h_remu32;
    case IR_OP_CLZ: return w ? (const void *)h_clz64 : (const void *)h_clz32;
    case IR_OP_CTZ: return w ? (const void *)h_ctz64 : (const void *)h_ctz32;
    case IR_OP_CTPOP: return w ? (const void *)h_ctpop64 : (const void *)h_ctpop32;
    case IR_OP_MULU2: return w ? (const void *)h_mulu2_64 : (const void *)h_mulu2_32;
    case IR_OP_MULS2: return w ? (const void *)h_muls2_64 : (const void *)h_muls2_32;
    case IR_OP_ADD2: return w ? (const void *)h_add2_64 : (const void *)h_add2_32;
    case IR_OP_SUB2: return w ? (const void *)h_sub2_64 : (const void *)h_sub2_32;
    default: return NULL;
    }
}

static void gen_rare(Gen *g, const IROp *op)
{
    const void *fn = rare_op_helper(op->opc, op->type == IR_I64);

    gen_call_common(g, fn, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, op->nb_iargs,
                    &op->args[op->nb_oargs], op->nb_oargs, op->args);
}

/* ---- guest memory ---- */

static SlowPath *new_slow(Gen *g)
{
    if (g->nslow == g->slowcap) {
        g->slowcap = g->slowcap ? g->slowcap * 2 : 16;
        g->slow = xrealloc(g->slow, g->slowcap * sizeof(*g->slow));
    }
    memset(&g->slow[g->nslow], 0, sizeof(SlowPath));
    return &g->slow[g->nslow++];
}

/* Load from [r10 + index] (index < 0: [r10]; or extend rax) into rd per memop. */
static void emit_guest_load(Gen *g, unsigned rd, unsigned mo, bool w, bool from_rax,
                            int index)
{
    unsigned size = mo & IR_MO_SIZE;
    bool sign = mo & IR_MO_SIGN;
    unsigned opc;

    switch (size) {
    case IR_MO_8: opc = sign ? 0xbe | P_0F | (w ? P_REXW : 0) : 0xb6 | P_0F; break;
    case IR_MO_16: opc = sign ? 0xbf | P_0F | (w ? P_REXW : 0) : 0xb7 | P_0F; break;
    case IR_MO_32: opc = sign && w ? 0x63 | P_REXW : 0x8b; break;
    default: opc = 0x8b | (w ? P_REXW : 0); break;
    }
    if (from_rax) {
        asm_rr(&g->a, opc, rd, RAX);
    } else if (index >= 0) {
        asm_rmx(&g->a, opc, rd, R10, (unsigned)index, 0);
    } else {
        asm_rm(&g->a, opc, rd, R10, 0);
    }
}

static void gen_qemu(Gen *g, const IROp *op)
{
    bool is_st = op->opc == IR_OP_QEMU_ST;
    bool w = op->type == IR_I64;
    uint64_t addr = op->args[1];
    uint32_t moi = (uint32_t)op->args[2];
    unsigned mo = IR_MEMOPIDX_OP(moi), mmu = IR_MEMOPIDX_MMU(moi);
    unsigned size = 1u << (mo & IR_MO_SIZE);
    bool a64 = is64(g, addr);
    unsigned ra, rv = 0, rd = 0;
    SlowPath *sp;
    size_t fast_start;
    uint16_t mask = 0;

    if (mmu >= IR_MAX_MMU_IDX) {
        mmu = 0;
    }
    ra = in_reg(g, addr);
    if (is_st) {
        rv = in_reg(g, op->args[0]);
    }
    if (!is_st) {
        /* Allocate before the fast path: eviction code must run on both paths. */
        rd = (ra != R14 && reusable(g, op, 1)) ? ra : reg_alloc(g);
    }
    sp = new_slow(g);
    /* The sync point of the access is its slow path: note what must be written back. */
    for (unsigned r = 0; r < 16; r++) {
        int32_t t = g->owner[r];
        if (t >= 0 && kind_of(g, (uint64_t)t) == IR_TEMP_GLOBAL && !g->tmem[t]) {
            sp->sync_mask |= 1u << r;
            sp->sync32_mask |= home_is_32(g, (uint64_t)t) ? 1u << r : 0;
            sp->sync_disp[r] = g->f->temps[t].mem_offset;
        }
    }
    for (unsigned r = 0; r < 16; r++) {
        if ((CALLER_SAVED_MASK & (1u << r)) &&
            (g->owner[r] != OWNER_FREE || (g->locked & (1u << r)))) {
            mask |= 1u << r;
        }
    }
    flags_clobbered(g);

    fast_start = g->a.n;
    /*
     * r11 = &table[mmu][(addr >> page_bits) & mask[mmu]]: the pre-shifted mask turns
     * "shr; and; shl" into "shr; and" (the bits below the entry size are masked off).
     */
    asm_mov_rr(&g->a, a64, R11, ra);
    asm_shift_ri(&g->a, SH_SHR, true, R11, NATIVE_PAGE_BITS - TLB_FAST_ENTRY_BITS);
    asm_rm(&g->a, 0x23 | P_REXW, R11, RBX, offsetof(TLBFast, index_mask) + 8 * mmu);
    /* Never NULL: exec.c stands in a never-matching table for a NULL one. */
    asm_rm(&g->a, 0x03 | P_REXW, R11, RBX, offsetof(TLBFast, table) + 8 * mmu);
    if ((mo & IR_MO_ALIGN && size > 1) || (mo & IR_MO_ALIGN_16)) {
        asm_rr(&g->a, 0xf7, 0, ra);
        asm_d(&g->a, (mo & IR_MO_ALIGN_16) ? 15 : size - 1);
        sp->jcc_at[sp->njcc++] = (uint32_t)asm_jcc32(&g->a, CC_NE);
    }
    /*
     * r10 = page of the access's last byte; compare with the entry's tag.  The sum is
     * 64-bit also for 32-bit addresses: one that wraps past 4 GiB must miss.
     */
    if (a64 && size > 1) {
        asm_rm(&g->a, 0x8d | P_REXW, R10, ra, (int32_t)(size - 1));
    } else {
        asm_mov_rr(&g->a, a64, R10, ra);
        if (size > 1) {
            asm_alu_ri(&g->a, ALU_ADD, true, R10, (int32_t)(size - 1));
        }
    }
    asm_alu_ri(&g->a, ALU_AND, true, R10, -(1 << NATIVE_PAGE_BITS));
    asm_rm(&g->a, 0x3b | P_REXW, R10, R11,
           is_st ? offsetof(TLBFastEntry, addr_write) : offsetof(TLBFastEntry, addr_read));
    sp->jcc_at[sp->njcc++] = (uint32_t)asm_jcc32(&g->a, CC_NE);
    /* A 64-bit address is a clean index; a 32-bit one must be zero-extended first. */
    if (a64 && ra != RSP) {
        asm_rm(&g->a, 0x8b | P_REXW, R10, R11, offsetof(TLBFastEntry, addend));
    } else {
        asm_mov_rr(&g->a, a64, R10, ra);
        asm_rm(&g->a, 0x03 | P_REXW, R10, R11, offsetof(TLBFastEntry, addend));
    }
    if (is_st) {
        unsigned opc;
        switch (mo & IR_MO_SIZE) {
        case IR_MO_8: opc = 0x88 | P_BYTE_R; break;
        case IR_MO_16: opc = 0x89 | P_DATA16; break;
        case IR_MO_32: opc = 0x89; break;
        default: opc = 0x89 | P_REXW; break;
        }
        if (a64 && ra != RSP) {
            asm_rmx(&g->a, opc, rv, R10, ra, 0);
        } else {
            asm_rm(&g->a, opc, rv, R10, 0);
        }
    } else {
        emit_guest_load(g, rd, mo, w, false, a64 && ra != RSP ? (int)ra : -1);
    }
    sp->fast_start = (uint32_t)fast_start;
    sp->resume = (uint32_t)g->a.n;
    sp->save_mask = mask;
    sp->addr_reg = (int8_t)ra;
    sp->val_reg = (int8_t)rv;
    sp->out_reg = is_st ? -1 : (int8_t)rd;
    sp->addr64 = a64;
    sp->is_store = is_st;
    sp->out64 = w;
    sp->moi = moi;
    if (!is_st) {
        set_out(g, op->args[0], rd);
    }
}

static void emit_slow_path(Gen *g, const SlowPath *s)
{
    unsigned mo = IR_MEMOPIDX_OP(s->moi), mmu = IR_MEMOPIDX_MMU(s->moi);
    size_t at;

    for (unsigned k = 0; k < s->njcc; k++) {
        asm_link(&g->a, s->jcc_at[k], g->a.n);
    }
    for (unsigned r = 0; r < 16; r++) {
        if (s->sync_mask & (1u << r)) {
            asm_rm(&g->a, 0x89 | (s->sync32_mask & (1u << r) ? 0 : P_REXW), r, R14,
                   s->sync_disp[r]);
        }
    }
    for (unsigned r = 0; r < 16; r++) {
        if (s->save_mask & (1u << r)) {
            asm_rm(&g->a, 0x89 | P_REXW, r, RSP, NATIVE_SAVE_OFF + 8 * r);
        }
    }
    emit_store_tb(g, offsetof(TBExecCtx, cur_tb));
    at = asm_rip(&g->a, 0x8d | P_REXW, R11);
    asm_link(&g->a, at, s->fast_start);
    asm_rm(&g->a, 0x89 | P_REXW, R11, R15, offsetof(TBExecCtx, pos));
    asm_mov_rr(&g->a, true, RDI, R14);
    if (s->save_mask & (1u << s->addr_reg)) {
        asm_rm(&g->a, 0x8b | (s->addr64 ? P_REXW : 0), RSI, RSP,
               NATIVE_SAVE_OFF + 8 * s->addr_reg);
    } else {
        asm_mov_rr(&g->a, s->addr64, RSI, (unsigned)s->addr_reg);
    }
    if (s->is_store) {
        if (s->save_mask & (1u << s->val_reg)) {
            asm_rm(&g->a, 0x8b | P_REXW, RDX, RSP, NATIVE_SAVE_OFF + 8 * s->val_reg);
        } else {
            asm_mov_rr(&g->a, true, RDX, (unsigned)s->val_reg);
        }
        asm_movi(&g->a, RCX, mo);
        asm_movi(&g->a, R8, mmu);
        asm_rm(&g->a, 0x8b | P_REXW, RAX, R15, offsetof(TBExecCtx, mem));
        asm_rm(&g->a, 0xff, 2, RAX, offsetof(GuestMemOps, store));
    } else {
        asm_movi(&g->a, RDX, mo);
        asm_movi(&g->a, RCX, mmu);
        asm_rm(&g->a, 0x8b | P_REXW, RAX, R15, offsetof(TBExecCtx, mem));
        asm_rm(&g->a, 0xff, 2, RAX, offsetof(GuestMemOps, load));
        emit_guest_load(g, (unsigned)s->out_reg, mo, s->out64, true, -1);
    }
    for (unsigned r = 0; r < 16; r++) {
        if ((s->save_mask & (1u << r)) && (int)r != s->out_reg) {
            asm_rm(&g->a, 0x8b | P_REXW, r, RSP, NATIVE_SAVE_OFF + 8 * r);
        }
    }
    asm_link(&g->a, asm_jmp32(&g->a), s->resume);
}

/* ---- exits ---- */

/* ctx->field = this TB (r11 is scratch).  The prologue does not store cur_tb. */
static void emit_store_tb(Gen *g, size_t field)
{
    asm_opc(&g->a, (0xb8 + (R11 & 7)) | P_REXW, 0, 0, R11);
    asm_q(&g->a, (uint64_t)(uintptr_t)g->tb);
    asm_rm(&g->a, 0x89 | P_REXW, R11, R15, (int32_t)field);
}

static void emit_exit(Gen *g, unsigned reason, uint64_t val)
{
    emit_store_tb(g, offsetof(TBExecCtx, last_tb));
    asm_rm(&g->a, 0xc7, 0, R15, offsetof(TBExecCtx, exit_reason));
    asm_d(&g->a, reason);
    asm_movi(&g->a, RAX, val);
    asm_ret(&g->a);
}

static void gen_goto_tb(Gen *g, const IROp *op)
{
    unsigned n = (unsigned)op->args[0];

    sync_bb(g);
    /* The rel32 must be 4-byte aligned so that set_jump's store is atomic. */
    while ((g->a.n + 1) % 4) {
        asm_b(&g->a, 0x90);
    }
    asm_b(&g->a, 0xe9);
    if (n < 2) {
        g->tb->jmp_patch[n] = (uint32_t)g->a.n;
    }
    asm_d(&g->a, 0);
}

/* The exit path of lookup_and_goto_ptr: call ctx->lookup_tb, enter what it returns. */
static void gen_lookup_call(Gen *g)
{
    size_t miss1, miss2;

    asm_rm(&g->a, 0x8b | P_REXW, RAX, R15, offsetof(TBExecCtx, lookup_tb));
    asm_rr(&g->a, 0x85 | P_REXW, RAX, RAX);
    miss1 = asm_jcc32(&g->a, CC_E);
    asm_mov_rr(&g->a, true, RDI, R15);
    asm_rr(&g->a, 0xff, 2, RAX);
    asm_rr(&g->a, 0x85 | P_REXW, RAX, RAX);
    miss2 = asm_jcc32(&g->a, CC_E);
    /* A hit enters through the chained-entry prologue, which checks budget and requests. */
    asm_rm(&g->a, 0xff, 4, RAX, offsetof(TranslationBlock, code));
    asm_link(&g->a, miss1, g->a.n);
    asm_link(&g->a, miss2, g->a.n);
    emit_exit(g, TB_EXIT_NOCHAIN, 0);
}

static void gen_lookup(Gen *g)
{
    sync_bb(g);
    gen_lookup_call(g);
}

/*
 * lookup_key_and_goto_ptr pc, cs_base, mode: the key goes to rcx, r10, r11 (scratch, so
 * no allocated value is overwritten); native_lookup_stub (exec.c) probes the jump cache
 * (or asks ctx->lookup_tb) and returns where to go: the next TB's chained entry, or an
 * exit to the loop.  One shared copy of the probe keeps every block ending in an indirect
 * branch small, and the jump itself stays here, one per site, where the host's branch
 * predictor can learn each site's targets.
 */
static void gen_lookup_key(Gen *g, const IROp *op)
{
    static const uint8_t key_regs[3] = {RCX, R10, R11};

    sync_bb(g);
    for (unsigned k = 0; k < 3; k++) {
        asm_mov_rr(&g->a, true, key_regs[k], in_reg(g, op->args[k]));
    }
    asm_movi(&g->a, RAX, (uint64_t)(uintptr_t)native_lookup_stub);
    asm_rr(&g->a, 0xff, 2, RAX);
    asm_rr(&g->a, 0xff, 4, RAX);
}

static void gen_prologue(Gen *g)
{
    /*
     * --ctx->budget < 0: leave before running anything.  A kick (tb_exec_kick) makes the
     * budget negative besides setting exit_request, so one test serves both.  cur_tb is
     * stored only where it is read: before a slow path or helper that may unwind.
     */
    asm_rm(&g->a, 0x83, ALU_SUB, R15, offsetof(TBExecCtx, budget));
    asm_b(&g->a, 1);
    g->req_fix[0] = (uint32_t)asm_jcc32(&g->a, CC_S);
}

static void gen_requested_exit(Gen *g)
{
    asm_link(&g->a, g->req_fix[0], g->a.n);
    emit_exit(g, TB_EXIT_REQUESTED, 0);
}

long native_gen_code(IRFunc *f, TranslationBlock *tb, void *buf, size_t cap,
                     uint32_t *insn_pos)
{
    Gen g = {.a = {.buf = buf, .cap = cap}, .f = f, .tb = tb};
    uint32_t insn = 0;
    bool reachable = true;
    long ret;

    g.treg = xmalloc(f->nb_temps);
    memset(g.treg, 0xff, f->nb_temps);
    g.tmem = xzalloc(f->nb_temps);
    g.tslot = xmalloc(f->nb_temps * sizeof(*g.tslot));
    memset(g.tslot, 0xff, f->nb_temps * sizeof(*g.tslot));
    g.free_slots = xmalloc(NATIVE_MAX_SLOTS * sizeof(*g.free_slots));
    g.label_pos = xmalloc((f->nb_labels + 1) * sizeof(uint32_t));
    memset(g.label_pos, 0xff, (f->nb_labels + 1) * sizeof(uint32_t));
    for (unsigned r = 0; r < 16; r++) {
        g.owner[r] = OWNER_FREE;
    }

    gen_prologue(&g);
    if (g.a.n != NATIVE_BODY_OFF) {
        abort(); /* the trampoline enters at a fixed offset */
    }

    for (uint32_t i = 0, next_i; i < f->nb_ops && !g.too_big; i++) {
        const IROp *op = &f->ops[i];

        /* The next real op: the optimizer leaves NOPs between pairs that fuse. */
        next_i = i + 1;
        while (next_i < f->nb_ops && f->ops[next_i].opc == IR_OP_NOP) {
            next_i++;
        }
        g.next = next_i < f->nb_ops ? &f->ops[next_i] : NULL;
        g.cur = op;

        if (op->opc == IR_OP_SET_LABEL) {
            reachable = true;
        } else if (!reachable && op->opc != IR_OP_INSN_START) {
            continue;
        }
        switch (op->opc) {
        case IR_OP_NOP:
        case IR_OP_DISCARD:
        case IR_OP_INSN_START:
        case IR_OP_BRCOND:
        case IR_OP_SETCOND:
        case IR_OP_NEGSETCOND:
            break;
        default:
            flags_clobbered(&g);
            break;
        }
        switch (op->opc) {
        case IR_OP_NOP:
        case IR_OP_DISCARD:
            break;
        case IR_OP_INSN_START:
            insn_pos[insn++] = (uint32_t)g.a.n;
            break;
        case IR_OP_MB:
            asm_b(&g.a, 0x0f);
            asm_b(&g.a, 0xae);
            asm_b(&g.a, 0xf0);
            break;
        case IR_OP_SET_LABEL:
            sync_bb(&g);
            enter_label(&g);
            set_label(&g, (uint32_t)op->args[0]);
            break;
        case IR_OP_BR:
            sync_bb(&g);
            branch_to(&g, (uint32_t)op->args[0], asm_jmp32(&g.a));
            reachable = false;
            break;
        case IR_OP_BRCOND:
            gen_brcond(&g, op);
            break;
        case IR_OP_GOTO_TB:
            gen_goto_tb(&g, op);
            break;
        case IR_OP_EXIT_TB:
            sync_bb(&g);
            emit_exit(&g, op->args[0] == IR_EXIT_NOCHAIN ? TB_EXIT_NOCHAIN
                                                         : (unsigned)op->args[0],
                      op->args[1]);
            reachable = false;
            break;
        case IR_OP_LOOKUP_AND_GOTO_PTR:
            gen_lookup(&g);
            reachable = false;
            break;
        case IR_OP_LOOKUP_KEY_AND_GOTO_PTR:
            gen_lookup_key(&g, op);
            reachable = false;
            break;
        case IR_OP_CALL:
            gen_call(&g, op);
            break;
        case IR_OP_MOV:
        case IR_OP_EXTU:
            gen_mov(&g, op);
            break;
        case IR_OP_NEG: case IR_OP_NOT: case IR_OP_EXT8S: case IR_OP_EXT8U:
        case IR_OP_EXT16S: case IR_OP_EXT16U: case IR_OP_EXT32S: case IR_OP_EXT32U:
        case IR_OP_EXTRL: case IR_OP_EXTRH: case IR_OP_EXTS: case IR_OP_BSWAP16:
        case IR_OP_BSWAP32: case IR_OP_BSWAP64:
            gen_unary(&g, op);
            break;
        case IR_OP_ADD: case IR_OP_SUB: case IR_OP_MUL: case IR_OP_AND: case IR_OP_OR:
        case IR_OP_XOR: case IR_OP_ANDC: case IR_OP_SHL: case IR_OP_SHR: case IR_OP_SAR:
        case IR_OP_ROTL: case IR_OP_ROTR:
            gen_binary(&g, op);
            break;
        case IR_OP_DEPOSIT:
        case IR_OP_EXTRACT:
        case IR_OP_SEXTRACT:
            gen_field(&g, op);
            break;
        case IR_OP_SETCOND:
        case IR_OP_NEGSETCOND:
            gen_setcond(&g, op);
            break;
        case IR_OP_MOVCOND:
            gen_movcond(&g, op);
            break;
        case IR_OP_LD8U: case IR_OP_LD8S: case IR_OP_LD16U: case IR_OP_LD16S:
        case IR_OP_LD32U: case IR_OP_LD32S: case IR_OP_LD:
        case IR_OP_ST8: case IR_OP_ST16: case IR_OP_ST32: case IR_OP_ST:
            gen_ldst(&g, op);
            break;
        case IR_OP_QEMU_LD:
        case IR_OP_QEMU_ST:
            gen_qemu(&g, op);
            break;
        default:
            if (!rare_op_helper(op->opc, op->type == IR_I64)) {
                abort(); /* an IR op this backend does not know */
            }
            gen_rare(&g, op);
            break;
        }
        op_done(&g, op);
        if (g.next_done) {
            /* The fused ext32u: its input never got a register of its own. */
            g.next_done = false;
            i = next_i;
            op_done(&g, &f->ops[i]);
        }
    }
    if (reachable) {
        /* Falling off the end: leave like an unchainable exit. */
        sync_bb(&g);
        emit_exit(&g, TB_EXIT_NOCHAIN, 0);
    }
    while (insn < f->nb_insns) {
        insn_pos[insn++] = (uint32_t)g.a.n;
    }
    for (uint32_t i = 0; i < g.nslow; i++) {
        emit_slow_path(&g, &g.slow[i]);
    }
    gen_requested_exit(&g);
    assert(g.nfix == 0 || g.too_big);

    if (g.too_big) {
        ret = TB_GEN_TOO_BIG;
    } else if (g.a.n > g.a.cap) {
        ret = TB_GEN_BUFFER_FULL;
    } else {
        ret = (long)g.a.n;
    }
    free(g.treg);
    free(g.tmem);
    free(g.tslot);
    free(g.free_slots);
    free(g.label_pos);
    free(g.fix);
    free(g.slow);
    return ret;
}

#endif /* __x86_64__ */
