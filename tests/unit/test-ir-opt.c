/*
 * The optimizer: what the IR looks like after ir_optimize() + ir_liveness() on small
 * hand-built blocks (folding, propagation, identities, branch folding, dead temps, dead
 * global stores and flag liveness), and that random programs compute the same guest
 * state with and without optimization, including where they fault.
 */
#include "test.h"
#include "test-ir-harness.h"

static void optimize(IRFunc *f)
{
    char why[200];

    ir_optimize(f);
    ir_liveness(f, true);
    if (!ir_verify(f, why, sizeof(why))) {
        fprintf(stderr, "after optimization: %s\n", why);
        ir_dump(f, stderr);
        CHECK(0);
    }
}

static unsigned count_ops(const IRFunc *f, IROpcode opc)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        n += f->ops[i].opc == opc;
    }
    return n;
}

static unsigned live_ops(const IRFunc *f)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        n += f->ops[i].opc != IR_OP_NOP && f->ops[i].opc != IR_OP_INSN_START;
    }
    return n;
}

/* The i-th op that is not a NOP or insn_start. */
static const IROp *nth_op(const IRFunc *f, unsigned n)
{
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        if (f->ops[i].opc != IR_OP_NOP && f->ops[i].opc != IR_OP_INSN_START && n-- == 0) {
            return &f->ops[i];
        }
    }
    return NULL;
}

/* Does the (optimized) function store to global g? */
static unsigned stores_to(const IRFunc *f, uint32_t g)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        const IROp *op = &f->ops[i];
        for (unsigned k = 0; k < op->nb_oargs; k++) {
            n += op->args[k] == g && op->opc != IR_OP_NOP;
        }
    }
    return n;
}

static bool is_movi(const IRFunc *f, const IROp *op, uint32_t d, uint64_t v)
{
    return op && op->opc == IR_OP_MOV && op->args[0] == d && ir_temp_is_const(f, op->args[1]) &&
           f->temps[op->args[1]].val == v;
}

static void dump_on_failure(const IRFunc *f)
{
    if (test_case_failed) {
        ir_dump(f, stderr);
    }
}

static void test_constant_folding(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 a = ir_temp_i64(f), b = ir_temp_i64(f), c = ir_temp_i64(f);
    IRv32 x = ir_temp_i32(f), y = ir_temp_i32(f);

    ir_insn_start(f, 0, 0, 0);
    ir_movi_i64(f, a, 3);
    ir_addi_i64(f, b, a, 4);
    ir_mul_i64(f, c, b, b);                /* 49 */
    ir_shli_i64(f, c, c, 60);              /* wraps */
    ir_sari_i64(f, g.r[0], c, 62);
    ir_movi_i32(f, x, 0x80000000u);
    ir_sari_i32(f, y, x, 31);              /* i32 semantics: all ones */
    ir_mov_i32(f, g.e[0], y);
    ir_mulu2_i64(f, g.r[1], g.r[2], c, c); /* two outputs fold to two moves */
    ir_setcondi_i64(f, IR_COND_GTU, g.r[3], b, 6);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    CHECK_EQ(live_ops(f), 6);
    CHECK(is_movi(f, nth_op(f, 0), g.r[0].idx, (uint64_t)((int64_t)(49ull << 60) >> 62)));
    CHECK(is_movi(f, nth_op(f, 1), g.e[0].idx, 0xffffffff));
    CHECK(is_movi(f, nth_op(f, 2), g.r[1].idx, 0)); /* (1 << 60)^2 = 2^120: low half 0 */
    CHECK(is_movi(f, nth_op(f, 3), g.r[2].idx, 1ull << 56));
    CHECK(is_movi(f, nth_op(f, 4), g.r[3].idx, 1));
    dump_on_failure(f);
    ir_func_free(f);
}

static void test_copy_propagation(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 a = ir_temp_i64(f), b = ir_temp_i64(f);

    ir_insn_start(f, 0, 0, 0);
    ir_mov_i64(f, a, g.r[0]);
    ir_addi_i64(f, b, a, 1);     /* reads r0 directly */
    ir_mov_i64(f, g.r[1], b);
    ir_mov_i64(f, g.r[2], a);    /* r2 = r0 */
    ir_mov_i64(f, g.r[3], g.r[2]); /* r3 = r0: r2 and r3 join r0's class */
    ir_mov_i64(f, g.r[2], g.r[0]); /* redundant: r2 already equals r0 */
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    for (uint32_t i = 0; i < f->nb_ops; i++) {
        const IROp *op = &f->ops[i];
        for (unsigned k = 0; k < op->nb_oargs + op->nb_iargs; k++) {
            CHECK(op->opc == IR_OP_NOP || op->args[k] != a.idx);
        }
    }
    CHECK_EQ(stores_to(f, g.r[2].idx), 1);
    {
        const IROp *add = nth_op(f, 0);
        CHECK(add && add->opc == IR_OP_ADD && add->args[1] == g.r[0].idx);
    }
    CHECK_EQ(live_ops(f), 5);
    dump_on_failure(f);
    ir_func_free(f);
}

static void test_algebraic_identities(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 r0 = g.r[0];

    ir_insn_start(f, 0, 0, 0);
    ir_addi_i64(f, g.r[1], r0, 0);       /* mov */
    ir_muli_i64(f, g.r[2], r0, 1);       /* mov */
    ir_andi_i64(f, g.r[3], r0, 0);       /* 0 */
    ir_ori_i64(f, g.r[4], r0, ~0ull);    /* -1 */
    ir_xor_i64(f, g.r[5], r0, r0);       /* 0 */
    ir_shli_i64(f, g.r[6], r0, 64);      /* shift by 64 == by 0: mov */
    ir_sub_i64(f, g.r[7], r0, r0);       /* 0 */
    ir_xori_i32(f, g.e[0], g.e[1], 0xffffffff); /* not */
    ir_andi_i32(f, g.e[2], g.e[1], 0xffffffff); /* mov */
    ir_mul_i64(f, g.cc_dst, ir_const_i64(f, 0), r0); /* 0, const first */
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    CHECK(nth_op(f, 0)->opc == IR_OP_MOV && nth_op(f, 0)->args[1] == r0.idx);
    CHECK(nth_op(f, 1)->opc == IR_OP_MOV && nth_op(f, 1)->args[1] == r0.idx);
    CHECK(is_movi(f, nth_op(f, 2), g.r[3].idx, 0));
    CHECK(is_movi(f, nth_op(f, 3), g.r[4].idx, ~0ull));
    CHECK(is_movi(f, nth_op(f, 4), g.r[5].idx, 0));
    CHECK(nth_op(f, 5)->opc == IR_OP_MOV && nth_op(f, 5)->args[1] == r0.idx);
    CHECK(is_movi(f, nth_op(f, 6), g.r[7].idx, 0));
    CHECK(nth_op(f, 7)->opc == IR_OP_NOT);
    CHECK(nth_op(f, 8)->opc == IR_OP_MOV);
    CHECK(is_movi(f, nth_op(f, 9), g.cc_dst.idx, 0));
    dump_on_failure(f);
    ir_func_free(f);
}

static void test_branch_folding(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 a = ir_temp_i64(f);
    IRLabel l1 = ir_label_new(f), l2 = ir_label_new(f);

    ir_insn_start(f, 0, 0, 0);
    ir_movi_i64(f, a, 5);
    ir_brcondi_i64(f, IR_COND_LT, a, 3, l1); /* never taken: removed with its label */
    ir_movi_i64(f, g.r[0], 1);
    ir_set_label(f, l1);
    ir_brcond_i64(f, IR_COND_LE, g.r[1], g.r[1], l2); /* always: becomes br */
    ir_movi_i64(f, g.r[2], 2);                          /* unreachable */
    ir_set_label(f, l2);
    ir_movi_i64(f, g.r[3], 3);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    CHECK_EQ(count_ops(f, IR_OP_BRCOND), 0);
    CHECK_EQ(count_ops(f, IR_OP_BR), 1);
    CHECK_EQ(count_ops(f, IR_OP_SET_LABEL), 1);
    CHECK_EQ(stores_to(f, g.r[2].idx), 0);
    CHECK_EQ(stores_to(f, g.r[0].idx), 1);
    CHECK_EQ(stores_to(f, g.r[3].idx), 1);
    dump_on_failure(f);
    ir_func_free(f);
}

static void test_dead_temps_removed(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 a = ir_temp_i64(f), b = ir_temp_i64(f);

    ir_insn_start(f, 0, 0, 0);
    ir_add_i64(f, a, g.r[0], g.r[1]);  /* never read */
    ir_mul_i64(f, b, g.r[0], g.r[0]);
    ir_ld_i64(f, a, ir_env(f), offsetof(ToyEnv, scratch)); /* never read */
    ir_mov_i64(f, g.r[2], b);
    ir_ext32u_i64(f, b, g.r[3]);        /* overwritten before use... */
    ir_discard(f, IRT(b));              /* ...and discarded */
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    CHECK_EQ(live_ops(f), 3); /* mul, mov, exit */
    CHECK_EQ(count_ops(f, IR_OP_ADD), 0);
    CHECK_EQ(count_ops(f, IR_OP_LD), 0);
    CHECK_EQ(count_ops(f, IR_OP_DISCARD), 0);
    /* The mul's temp dies at the mov: the annotation a register allocator needs. */
    {
        const IROp *mov = nth_op(f, 1);
        CHECK(mov->opc == IR_OP_MOV && (mov->life & IR_LIFE_DEAD(1)));
    }
    dump_on_failure(f);
    ir_func_free(f);
}

static uint64_t helper_pure(uint64_t x)
{
    return x * 3;
}

static void helper_noread(void)
{
}

static void test_dead_global_stores(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 t = ir_temp_i64(f);

    ir_insn_start(f, 0, 0, 0);
    /* r0: overwritten before anything can see it -> first store dead. */
    ir_movi_i64(f, g.r[0], 1);
    ir_addi_i64(f, g.r[0], g.r[1], 7);
    /* r2: a guest load in between may fault and expose r2 -> kept. */
    ir_movi_i64(f, g.r[2], 1);
    ir_qemu_ld_i64(f, t, IRT(g.r[5]), IR_MO_64, 0);
    ir_mov_i64(f, g.r[2], t);
    /* r3: a helper that reads no globals does not keep it alive -> dead. */
    ir_movi_i64(f, g.r[3], 1);
    IR_CALL0(f, helper_noread, IR_CALL_NO_READ_GLOBALS, IR_NO_TEMP);
    ir_movi_i64(f, g.r[3], 2);
    /* r4: a helper that may read globals keeps it -> kept. */
    ir_movi_i64(f, g.r[4], 1);
    IR_CALL0(f, helper_noread, 0, IR_NO_TEMP);
    ir_movi_i64(f, g.r[4], 2);
    /* A pure helper whose result is unused disappears. */
    IR_CALL(f, helper_pure, IR_CALL_NO_SIDE_EFFECTS, IRT(t), IRT(g.r[6]));
    /* r6: stored, then the block ends -> kept (all globals are live at exits). */
    ir_movi_i64(f, g.r[6], 9);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    CHECK_EQ(stores_to(f, g.r[0].idx), 1);
    CHECK_EQ(stores_to(f, g.r[2].idx), 2);
    CHECK_EQ(stores_to(f, g.r[3].idx), 1);
    CHECK_EQ(stores_to(f, g.r[4].idx), 2);
    CHECK_EQ(stores_to(f, g.r[6].idx), 1);
    CHECK_EQ(count_ops(f, IR_OP_CALL), 2);
    dump_on_failure(f);
    ir_func_free(f);
}

/*
 * Flag liveness, the way an x86 frontend uses lazy condition codes: each arithmetic
 * instruction records cc_op/cc_dst/cc_src; only the last ones before a reader survive.
 */
static void test_flag_liveness(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 t = ir_temp_i64(f);
    IRLabel l = ir_label_new(f);

    for (int i = 0; i < 4; i++) {
        ir_insn_start(f, 0x100 + i, 0, 0);
        ir_add_i64(f, g.r[i], g.r[i], g.r[i + 1]);
        ir_mov_i64(f, g.cc_dst, g.r[i]);
        ir_mov_i64(f, g.cc_src, g.r[i + 1]);
        ir_movi_i64(f, g.cc_op, 8);
    }
    /* A guest load: flags of insn 3 must be in env (it may fault). */
    ir_insn_start(f, 0x104, 0, 0);
    ir_qemu_ld_i64(f, t, IRT(g.r[7]), IR_MO_64, 0);
    ir_mov_i64(f, g.r[6], t);
    /* insn 5 sets flags again with the same cc_op: that store is redundant. */
    ir_insn_start(f, 0x105, 0, 0);
    ir_sub_i64(f, g.r[5], g.r[5], g.r[6]);
    ir_mov_i64(f, g.cc_dst, g.r[5]);
    ir_mov_i64(f, g.cc_src, g.r[6]);
    ir_movi_i64(f, g.cc_op, 8);
    /* insn 6: a jcc reads cc_dst; then both paths set flags again. */
    ir_insn_start(f, 0x106, 0, 0);
    ir_brcondi_i64(f, IR_COND_EQ, g.cc_dst, 0, l);
    ir_movi_i64(f, g.cc_op, 1);
    ir_movi_i64(f, g.cc_dst, 0);
    ir_movi_i64(f, g.cc_src, 0);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    ir_set_label(f, l);
    ir_movi_i64(f, g.cc_op, 2);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 1);
    optimize(f);

    /*
     * cc_dst/cc_src: insns 0-2 lose theirs, insn 3 keeps them (the load may fault), insn 5
     * keeps cc_dst (the branch reads it) and cc_src (live on the taken path), plus the
     * fall-through path's.  cc_op: insn 0's store of 8 is the only one needed before the
     * branch (the others store the value it already holds), plus one per path.
     */
    CHECK_EQ(stores_to(f, g.cc_dst.idx), 3);
    CHECK_EQ(stores_to(f, g.cc_src.idx), 3);
    CHECK_EQ(stores_to(f, g.cc_op.idx), 3);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(stores_to(f, g.r[i].idx), 1);
    }
    dump_on_failure(f);
    ir_func_free(f);
}

/* Known-zero bits: extensions and masks that cannot change a value disappear. */
static void test_known_bits(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 a = ir_temp_i64(f), b = ir_temp_i64(f), c = ir_temp_i64(f);
    IRv32 x = ir_temp_i32(f);

    ir_insn_start(f, 0, 0, 0);
    ir_qemu_ld_i64(f, a, IRT(g.r[0]), IR_MO_8, 0);   /* 0..0xff */
    ir_ext8u_i64(f, g.r[1], a);                        /* redundant */
    ir_ext16s_i64(f, g.r[2], a);                       /* redundant: bit 15 is clear */
    ir_andi_i64(f, g.r[3], a, 0x1ff);                  /* redundant */
    ir_shri_i64(f, b, g.r[4], 40);                     /* 0..0xffffff */
    ir_ext32u_i64(f, g.r[5], b);                       /* redundant */
    ir_ext16u_i64(f, g.r[6], b);                       /* needed */
    ir_setcond_i64(f, IR_COND_LT, c, g.r[0], g.r[1]);
    ir_andi_i64(f, g.r[7], c, 1);                      /* redundant */
    ir_extrl_i64_i32(f, x, b);
    ir_andi_i32(f, g.e[0], x, 0xff000000);             /* bits 24+ are known zero */
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    optimize(f);
    CHECK_EQ(count_ops(f, IR_OP_EXT8U), 0);
    CHECK_EQ(count_ops(f, IR_OP_EXT16S), 0);
    CHECK_EQ(count_ops(f, IR_OP_EXT32U), 0);
    CHECK_EQ(count_ops(f, IR_OP_EXT16U), 1);
    CHECK_EQ(count_ops(f, IR_OP_AND), 0);
    {
        bool found = false;
        for (uint32_t i = 0; i < f->nb_ops; i++) {
            found |= is_movi(f, &f->ops[i], g.e[0].idx, 0);
        }
        CHECK(found);
    }
    dump_on_failure(f);
    ir_func_free(f);
}

/*
 * Around a backward branch: a TB temp read only across the back edge must stay live, and
 * a global store inside the loop that is overwritten after it must die (iterated liveness).
 */
static void test_loop_liveness(void)
{
    Toy t;
    IRv64 i, acc;
    IRLabel top;
    TranslationBlock *tb;
    IRFunc *c;

    toy_init(&t, true);
    i = ir_temp_tb_i64(t.f);
    acc = ir_temp_tb_i64(t.f);
    top = ir_label_new(t.f);
    ir_insn_start(t.f, 0, 0, 0);
    ir_movi_i64(t.f, i, 10);
    ir_movi_i64(t.f, acc, 0);
    ir_set_label(t.f, top);
    ir_add_i64(t.f, acc, acc, i);
    ir_mov_i64(t.f, t.g.cc_op, i); /* dead: overwritten after the loop, never read */
    ir_subi_i64(t.f, i, i, 1);
    ir_brcondi_i64(t.f, IR_COND_NE, i, 0, top);
    ir_mov_i64(t.f, t.g.r[0], acc);
    ir_movi_i64(t.f, t.g.cc_op, 6);
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);

    c = ir_func_clone(t.f);
    optimize(c);
    CHECK_EQ(stores_to(c, t.g.cc_op.idx), 1);
    CHECK_EQ(stores_to(c, acc.idx), 2);
    dump_on_failure(c);
    ir_func_free(c);

    tb = toy_gen(&t);
    toy_run(&t, tb);
    CHECK_EQ(t.env->r[0], 55);
    CHECK_EQ(t.env->cc_op, 6);
    toy_free(&t);
}

/* ---- random programs: optimized and unoptimized must agree ---- */

static uint64_t rh_pure(uint64_t a, uint64_t b)
{
    return (a ^ (b >> 3)) * 0x9e3779b97f4a7c15ull + b;
}

static uint64_t rh_reads(void *envp, uint64_t a)
{
    ToyEnv *env = envp;
    return env->r[0] + env->cc_dst * 3 + a + env->e[1];
}

static void rh_writes(void *envp, uint64_t a)
{
    ToyEnv *env = envp;
    env->r[env->r[7] & 7] ^= a;
    env->cc_src += env->e[2];
    env->e[3] = (uint32_t)(a >> 5);
}

static void rh_raise(void *envp, uint64_t a)
{
    ToyEnv *env = envp;
    if ((a & 0x3f) == 0x3f && env->fault_jmp) {
        env->fault_addr = 0xdead;
        siglongjmp(*env->fault_jmp, 3);
    }
}

typedef struct RGen {
    Toy *t;
    uint64_t seed;
    IRv64 tb64[2];
    IRv32 tb32[2];
    uint32_t ebb[64]; /* EBB temps defined in the current EBB */
    unsigned nebb;
    IRLabel pending[8];
    unsigned npending;
    unsigned pc;
} RGen;

static uint64_t rnd(RGen *r, uint64_t n)
{
    return test_rand(&r->seed) % n;
}

/* An input of width w: a global, TB temp, defined EBB temp or constant. */
static uint32_t pick_in(RGen *r, IRType w)
{
    Toy *t = r->t;
    for (;;) {
        switch (rnd(r, 5)) {
        case 0:
            return w == IR_I64 ? t->g.r[rnd(r, TOY_NREGS)].idx : t->g.e[rnd(r, TOY_NREGS32)].idx;
        case 1:
            return w == IR_I64 ? t->g.cc_dst.idx : t->g.e[rnd(r, 3)].idx;
        case 2:
            return w == IR_I64 ? r->tb64[rnd(r, 2)].idx : r->tb32[rnd(r, 2)].idx;
        case 3:
            return ir_const(t->f, w, test_rand_interesting(&r->seed)).idx;
        default:
            if (r->nebb) {
                uint32_t e = r->ebb[rnd(r, r->nebb)];
                if (ir_temp_type(t->f, e) == w) {
                    return e;
                }
            }
        }
    }
}

/* An output of width w: a global, TB temp, or a (new or redefined) EBB temp. */
static uint32_t pick_out(RGen *r, IRType w)
{
    Toy *t = r->t;
    uint32_t e;

    switch (rnd(r, 4)) {
    case 0:
        return w == IR_I64 ? t->g.r[rnd(r, TOY_NREGS)].idx : t->g.e[rnd(r, TOY_NREGS32)].idx;
    case 1:
        return w == IR_I64 ? (rnd(r, 2) ? t->g.cc_dst.idx : t->g.cc_src.idx)
                           : r->tb32[rnd(r, 2)].idx;
    case 2:
        if (w == IR_I64) {
            return r->tb64[rnd(r, 2)].idx;
        }
        /* fall through */
    default:
        if (r->nebb && rnd(r, 2)) {
            e = r->ebb[rnd(r, r->nebb)];
            if (ir_temp_type(t->f, e) == w) {
                return e;
            }
        }
        e = w == IR_I64 ? ir_temp_i64(t->f).idx : ir_temp_i32(t->f).idx;
        if (r->nebb < ARRAY_SIZE(r->ebb)) {
            r->ebb[r->nebb++] = e;
        }
        return e;
    }
}

static void gen_random_op(RGen *r)
{
    static const IROpcode bin[] = {
        IR_OP_ADD, IR_OP_SUB, IR_OP_MUL, IR_OP_AND, IR_OP_OR, IR_OP_XOR, IR_OP_ANDC,
        IR_OP_SHL, IR_OP_SHR, IR_OP_SAR, IR_OP_ROTL, IR_OP_ROTR, IR_OP_DIV, IR_OP_DIVU,
        IR_OP_REM, IR_OP_REMU, IR_OP_CLZ, IR_OP_CTZ,
    };
    static const IROpcode un[] = {
        IR_OP_MOV, IR_OP_NEG, IR_OP_NOT, IR_OP_EXT8S, IR_OP_EXT8U, IR_OP_EXT16S,
        IR_OP_EXT16U, IR_OP_BSWAP16, IR_OP_BSWAP32, IR_OP_CTPOP,
    };
    Toy *t = r->t;
    IRFunc *f = t->f;
    IRType w = rnd(r, 3) ? IR_I64 : IR_I32;
    unsigned bits = w == IR_I64 ? 64 : 32;
    uint64_t a[8];
    unsigned kind = (unsigned)rnd(r, 100);

    if (kind < 30) {
        /* Inputs first: the output may be a fresh EBB temp. */
        a[1] = pick_in(r, w);
        a[2] = pick_in(r, w);
        a[0] = pick_out(r, w);
        ir_emit(f, bin[rnd(r, ARRAY_SIZE(bin))], w, a);
    } else if (kind < 45) {
        a[1] = pick_in(r, w);
        a[0] = pick_out(r, w);
        ir_emit(f, un[rnd(r, ARRAY_SIZE(un))], w, a);
    } else if (kind < 52) {
        a[1] = pick_in(r, w);
        a[2] = pick_in(r, w);
        a[3] = IR_COND_EQ + rnd(r, IR_COND_COUNT - IR_COND_EQ);
        a[0] = pick_out(r, w);
        ir_emit(f, rnd(r, 3) ? IR_OP_SETCOND : IR_OP_NEGSETCOND, w, a);
    } else if (kind < 56) {
        for (int k = 1; k <= 4; k++) {
            a[k] = pick_in(r, w);
        }
        a[5] = IR_COND_EQ + rnd(r, IR_COND_COUNT - IR_COND_EQ);
        a[0] = pick_out(r, w);
        ir_emit(f, IR_OP_MOVCOND, w, a);
    } else if (kind < 61) {
        unsigned pos = (unsigned)rnd(r, bits), len = 1 + (unsigned)rnd(r, bits - pos);
        if (rnd(r, 3) == 0) {
            /* The fields x86 partial-register writes use, which backends special-case. */
            static const uint8_t fields[][2] = {{0, 8}, {0, 16}, {8, 8}, {0, 32}};
            unsigned k = (unsigned)rnd(r, w == IR_I64 ? 4 : 3);
            pos = fields[k][0];
            len = fields[k][1];
        }
        IROpcode op = rnd(r, 3) == 0 ? IR_OP_DEPOSIT : rnd(r, 2) ? IR_OP_EXTRACT : IR_OP_SEXTRACT;
        a[1] = pick_in(r, w);
        if (op == IR_OP_DEPOSIT) {
            a[2] = pick_in(r, w);
            a[3] = pos;
            a[4] = len;
        } else {
            a[2] = pos;
            a[3] = len;
        }
        a[0] = pick_out(r, w);
        ir_emit(f, op, w, a);
    } else if (kind < 65) {
        static const IROpcode dbl[] = {IR_OP_MULU2, IR_OP_MULS2, IR_OP_ADD2, IR_OP_SUB2};
        IROpcode op = dbl[rnd(r, 4)];
        unsigned nin = op <= IR_OP_MULS2 ? 2 : 4;
        for (unsigned k = 0; k < nin; k++) {
            a[2 + k] = pick_in(r, w);
        }
        a[0] = pick_out(r, w);
        a[1] = pick_out(r, w);
        if (a[1] == a[0]) {
            a[1] = w == IR_I64 ? ir_temp_i64(f).idx : ir_temp_i32(f).idx;
            if (r->nebb < ARRAY_SIZE(r->ebb)) {
                r->ebb[r->nebb++] = (uint32_t)a[1];
            }
        }
        ir_emit(f, op, w, a);
    } else if (kind < 70) {
        /* Width conversions. */
        switch (rnd(r, 4)) {
        case 0: a[1] = pick_in(r, IR_I64); a[0] = pick_out(r, IR_I32);
                ir_emit(f, IR_OP_EXTRL, IR_I32, a); break;
        case 1: a[1] = pick_in(r, IR_I64); a[0] = pick_out(r, IR_I32);
                ir_emit(f, IR_OP_EXTRH, IR_I32, a); break;
        case 2: a[1] = pick_in(r, IR_I32); a[0] = pick_out(r, IR_I64);
                ir_emit(f, IR_OP_EXTU, IR_I64, a); break;
        default: a[1] = pick_in(r, IR_I32); a[0] = pick_out(r, IR_I64);
                 ir_emit(f, IR_OP_EXTS, IR_I64, a); break;
        }
    } else if (kind < 76) {
        /* Guest memory at a masked address; some land in the fault window. */
        IRv64 addr = ir_temp_i64(f);
        unsigned size = (unsigned)rnd(r, 4);
        unsigned mo = size | (rnd(r, 2) ? IR_MO_SIGN : 0);
        ir_andi_i64(f, addr, (IRv64){pick_in(r, IR_I64)}, 0x9ff8);
        if (w == IR_I32 && size == 3) {
            w = IR_I64;
        }
        if (rnd(r, 2)) {
            if (w == IR_I64) {
                ir_qemu_ld_i64(f, (IRv64){pick_out(r, w)}, IRT(addr), mo, 0);
            } else {
                ir_qemu_ld_i32(f, (IRv32){pick_out(r, w)}, IRT(addr), mo, 0);
            }
        } else if (w == IR_I64) {
            ir_qemu_st_i64(f, (IRv64){pick_in(r, w)}, IRT(addr), size, 0);
        } else {
            ir_qemu_st_i32(f, (IRv32){pick_in(r, w)}, IRT(addr), size, 0);
        }
    } else if (kind < 80) {
        /* env scratch (not a global). */
        intptr_t off = offsetof(ToyEnv, scratch) + 8 * rnd(r, 16);
        if (rnd(r, 2)) {
            ir_st_i64(f, (IRv64){pick_in(r, IR_I64)}, ir_env(f), off);
        } else {
            ir_ld32s_i64(f, (IRv64){pick_out(r, IR_I64)}, ir_env(f), off);
        }
    } else if (kind < 86) {
        IRTemp ret;
        switch (rnd(r, 4)) {
        case 0:
            a[1] = pick_in(r, IR_I64);
            a[2] = pick_in(r, IR_I64);
            ret = (IRTemp){pick_out(r, IR_I64)};
            IR_CALL(f, rh_pure, IR_CALL_NO_SIDE_EFFECTS, ret, IRT((IRv64){a[1]}),
                    IRT((IRv64){a[2]}));
            break;
        case 1:
            a[1] = pick_in(r, IR_I64);
            ret = (IRTemp){pick_out(r, IR_I64)};
            IR_CALL(f, rh_reads, IR_CALL_NO_WRITE_GLOBALS, ret, IRT(ir_env(f)),
                    IRT((IRv64){a[1]}));
            break;
        case 2:
            IR_CALL(f, rh_writes, 0, IR_NO_TEMP, IRT(ir_env(f)),
                    IRT((IRv64){pick_in(r, IR_I64)}));
            break;
        default:
            IR_CALL(f, rh_raise, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, IRT(ir_env(f)),
                    IRT((IRv64){pick_in(r, IR_I64)}));
            break;
        }
    } else if (kind < 92) {
        /* A forward branch to a label set later. */
        IRLabel l = r->npending < ARRAY_SIZE(r->pending) ? ir_label_new(f) : r->pending[0];
        IRCond c = IR_COND_EQ + rnd(r, IR_COND_COUNT - IR_COND_EQ);
        if (r->npending < ARRAY_SIZE(r->pending)) {
            r->pending[r->npending++] = l;
        }
        a[0] = pick_in(r, w);
        a[1] = pick_in(r, w);
        if (w == IR_I64) {
            ir_brcond_i64(f, c, (IRv64){a[0]}, (IRv64){a[1]}, l);
        } else {
            ir_brcond_i32(f, c, (IRv32){a[0]}, (IRv32){a[1]}, l);
        }
    } else if (kind < 95 && r->npending) {
        unsigned k = (unsigned)rnd(r, r->npending);
        ir_set_label(f, r->pending[k]);
        r->pending[k] = r->pending[--r->npending];
        r->nebb = 0;
    } else if (kind < 97) {
        ir_insn_start(f, ++r->pc, rnd(r, 16), 0);
    } else if (kind < 98 && r->nebb) {
        unsigned k = (unsigned)rnd(r, r->nebb);
        ir_discard(f, (IRTemp){r->ebb[k]});
        r->ebb[k] = r->ebb[--r->nebb];
    } else {
        ir_movi_i64(f, t->g.cc_op, rnd(r, 3)); /* the lazy-flags pattern */
    }
}

/* Labels set inside a loop body must also be targeted only from inside it. */
static void flush_pending(RGen *r)
{
    while (r->npending) {
        ir_set_label(r->t->f, r->pending[--r->npending]);
        r->nebb = 0;
    }
}

static void gen_random_program(RGen *r)
{
    IRFunc *f = r->t->f;
    unsigned nops = 5 + (unsigned)rnd(r, 60);

    r->nebb = 0;
    r->npending = 0;
    r->pc = 0x100;
    ir_insn_start(f, r->pc, 0, 0);
    for (int k = 0; k < 2; k++) {
        r->tb64[k] = ir_temp_tb_i64(f);
        r->tb32[k] = ir_temp_tb_i32(f);
        ir_movi_i64(f, r->tb64[k], test_rand(&r->seed));
        ir_movi_i32(f, r->tb32[k], (uint32_t)test_rand(&r->seed));
    }
    for (unsigned i = 0; i < nops; i++) {
        if (rnd(r, 25) == 0) {
            /* A counted loop around a random body. */
            IRv64 cnt = ir_temp_tb_i64(f);
            IRLabel top = ir_label_new(f);
            unsigned body = 1 + (unsigned)rnd(r, 12);
            flush_pending(r);
            ir_movi_i64(f, cnt, 1 + rnd(r, 4));
            ir_set_label(f, top);
            r->nebb = 0;
            for (unsigned k = 0; k < body; k++) {
                gen_random_op(r);
            }
            flush_pending(r);
            ir_subi_i64(f, cnt, cnt, 1);
            ir_brcondi_i64(f, IR_COND_NE, cnt, 0, top);
        } else {
            gen_random_op(r);
        }
    }
    flush_pending(r);
    if (rnd(r, 2)) {
        ir_movi_i64(f, r->t->g.pc, 0x1234);
        ir_exit_tb(f, IR_EXIT_NOCHAIN, 7);
    } else {
        ir_goto_tb(f, 0);
        ir_exit_tb(f, 0, 9);
    }
}

typedef struct Outcome {
    int faulted;
    int insn;
    uint64_t words[2];
    uint64_t ret;
} Outcome;

static Outcome run_outcome(Toy *t, TranslationBlock *tb)
{
    sigjmp_buf jb;
    Outcome o = {0};

    t->env->fault_jmp = &jb;
    if (sigsetjmp(jb, 0) == 0) {
        o.ret = toy_run(t, tb);
    } else {
        o.faulted = 1;
        o.insn = tb_insn_index(t->ctx.cur_tb, t->ctx.pos);
        if (o.insn >= 0) {
            o.words[0] = tb_insn_words(t->ctx.cur_tb, o.insn)[0];
            o.words[1] = tb_insn_words(t->ctx.cur_tb, o.insn)[1];
        }
    }
    t->env->fault_jmp = NULL;
    return o;
}

static bool env_equal(const ToyEnv *a, const ToyEnv *b)
{
    return !memcmp(a->r, b->r, sizeof(a->r)) && !memcmp(a->e, b->e, sizeof(a->e)) &&
           a->cc_op == b->cc_op && a->cc_dst == b->cc_dst && a->cc_src == b->cc_src &&
           a->pc == b->pc && !memcmp(a->scratch, b->scratch, sizeof(a->scratch)) &&
           !memcmp(a->mem, b->mem, sizeof(a->mem)) && a->fault_addr == b->fault_addr;
}

static void test_random_programs(void)
{
    Toy plain, opt;
    RGen r = {.seed = 0x1234567};
    unsigned faults = 0, nprog = 3000;
    unsigned ops_before = 0, ops_after = 0;

    toy_init(&plain, false);
    toy_init(&opt, true);
    for (unsigned p = 0; p < nprog; p++) {
        IRFunc *copy;
        TranslationBlock *ta, *tb;
        Outcome oa, ob;

        r.t = &plain;
        gen_random_program(&r);
        copy = ir_func_clone(plain.f);
        /* Build both TBs from the same IR, then run them from the same state. */
        ops_before += live_ops(plain.f);
        ta = toy_gen(&plain);
        {
            IRFunc *probe = ir_func_clone(copy);
            ir_optimize(probe);
            ir_liveness(probe, true);
            ops_after += live_ops(probe);
            ir_func_free(probe);
        }
        ir_func_free(opt.f);
        opt.f = copy;
        tb = toy_gen(&opt);

        for (int run = 0; run < 3; run++) {
            ToyEnv *init = xmalloc(sizeof(ToyEnv));
            memset(init, 0, sizeof(*init));
            for (int k = 0; k < TOY_NREGS; k++) {
                init->r[k] = test_rand_interesting(&r.seed);
            }
            for (int k = 0; k < TOY_NREGS32; k++) {
                init->e[k] = (uint32_t)test_rand_interesting(&r.seed);
            }
            init->cc_dst = test_rand(&r.seed);
            for (int k = 0; k < 16; k++) {
                init->scratch[k] = test_rand(&r.seed);
            }
            for (int k = 0; k < 0xa000; k += 8) {
                stq_le_p(&init->mem[k], test_rand(&r.seed));
            }
            init->fault_lo = 0x9000;
            init->fault_hi = 0x9100;
            memcpy(plain.env, init, sizeof(*init));
            memcpy(opt.env, init, sizeof(*init));
            oa = run_outcome(&plain, ta);
            ob = run_outcome(&opt, tb);
            faults += oa.faulted;
            plain.env->loads = opt.env->loads = plain.env->stores = opt.env->stores = 0;
            if (oa.faulted != ob.faulted || oa.insn != ob.insn || oa.ret != ob.ret ||
                oa.words[0] != ob.words[0] || oa.words[1] != ob.words[1] ||
                !env_equal(plain.env, opt.env)) {
                fprintf(stderr, "program %u run %d differs: faulted %d/%d insn %d/%d ret %"
                        PRIx64 "/%" PRIx64 "\n", p, run, oa.faulted, ob.faulted, oa.insn,
                        ob.insn, oa.ret, ob.ret);
                for (int k = 0; k < TOY_NREGS; k++) {
                    if (plain.env->r[k] != opt.env->r[k]) {
                        fprintf(stderr, "  r%d %" PRIx64 " vs %" PRIx64 "\n", k,
                                plain.env->r[k], opt.env->r[k]);
                    }
                }
                for (int k = 0; k < TOY_NREGS32; k++) {
                    if (plain.env->e[k] != opt.env->e[k]) {
                        fprintf(stderr, "  e%d %x vs %x\n", k, plain.env->e[k], opt.env->e[k]);
                    }
                }
                fprintf(stderr, "  cc %" PRIx64 " %" PRIx64 " %" PRIx64 " vs %" PRIx64
                        " %" PRIx64 " %" PRIx64 "\n", plain.env->cc_op, plain.env->cc_dst,
                        plain.env->cc_src, opt.env->cc_op, opt.env->cc_dst, opt.env->cc_src);
                CHECK(0);
                free(init);
                goto out;
            }
            free(init);
        }
    }
out:
    printf("info random programs: %u programs x 3 runs, %u faulted; %u ops before, %u after "
           "optimization (%.0f%%)\n", nprog, faults, ops_before, ops_after,
           100.0 * ops_after / (ops_before ? ops_before : 1));
    CHECK(faults > 0);
    CHECK(ops_after < ops_before);
    toy_free(&plain);
    toy_free(&opt);
}

/* A 16-entry TLB mapping guest pages 0..8 onto t's memory; the rest always miss. */
static void toy_identity_tlb(Toy *t, TLBFast *tlb, TLBFastEntry *e)
{
    memset(tlb, 0, sizeof(*tlb));
    for (unsigned i = 0; i < 16; i++) {
        bool ram = i < 9;
        e[i].addr_read = ram ? (uint64_t)i << TOY_PAGE_BITS : ~0ull;
        e[i].addr_write = e[i].addr_read;
        e[i].addr_code = ~0ull;
        e[i].addend = (uintptr_t)t->env->mem;
    }
    tlb->page_bits = TOY_PAGE_BITS;
    tlb->table[0] = e;
    tlb_fast_set_mask(tlb, 0, 15);
}

/*
 * The same random programs, optimized, on the interpreter and on the native backend: any
 * difference in guest state, faults or exits is a backend bug.
 */
static void test_random_programs_across_backends(void)
{
    const TBBackend *native = tb_backend_find("native", 6);
    Toy ref, nat;
    RGen r = {.seed = 0x7654321};
    unsigned nprog = 2000;
    TLBFast ref_tlb, nat_tlb;
    TLBFastEntry ref_entries[16], nat_entries[16];

    if (!native) {
        return;
    }
    toy_backend = &tb_backend_interp;
    toy_init(&ref, true);
    toy_backend = native;
    toy_init(&nat, true);
    toy_backend = NULL;
    toy_identity_tlb(&ref, &ref_tlb, ref_entries);
    toy_identity_tlb(&nat, &nat_tlb, nat_entries);
    for (unsigned p = 0; p < nprog; p++) {
        TranslationBlock *ta, *tb;
        Outcome oa, ob;

        r.t = &ref;
        gen_random_program(&r);
        ir_func_free(nat.f);
        nat.f = ir_func_clone(ref.f);
        ta = toy_gen(&ref);
        tb = toy_gen(&nat);
        for (int run = 0; run < 2; run++) {
            ToyEnv *init = xzalloc(sizeof(ToyEnv));
            for (int k = 0; k < TOY_NREGS; k++) {
                init->r[k] = test_rand_interesting(&r.seed);
            }
            for (int k = 0; k < TOY_NREGS32; k++) {
                init->e[k] = (uint32_t)test_rand_interesting(&r.seed);
            }
            init->cc_dst = test_rand(&r.seed);
            for (int k = 0; k < 16; k++) {
                init->scratch[k] = test_rand(&r.seed);
            }
            for (int k = 0; k < 0xa000; k += 8) {
                stq_le_p(&init->mem[k], test_rand(&r.seed));
            }
            init->fault_lo = 0x9000;
            init->fault_hi = 0x9100;
            memcpy(ref.env, init, sizeof(*init));
            memcpy(nat.env, init, sizeof(*init));
            free(init);
            /* Run 1 goes through an inline TLB over the same memory (the fault page and the
             * pages past it stay with the hooks). */
            ref.ctx.tlb = run ? &ref_tlb : NULL;
            nat.ctx.tlb = run ? &nat_tlb : NULL;
            oa = run_outcome(&ref, ta);
            ob = run_outcome(&nat, tb);
            ref.env->loads = nat.env->loads = ref.env->stores = nat.env->stores = 0;
            if (oa.faulted != ob.faulted || oa.insn != ob.insn || oa.ret != ob.ret ||
                oa.words[0] != ob.words[0] || oa.words[1] != ob.words[1] ||
                !env_equal(ref.env, nat.env)) {
                fprintf(stderr, "program %u run %d differs between interp and native: faulted "
                        "%d/%d insn %d/%d ret %" PRIx64 "/%" PRIx64 "\n", p, run, oa.faulted,
                        ob.faulted, oa.insn, ob.insn, oa.ret, ob.ret);
                CHECK(0);
                goto out;
            }
        }
    }
out:
    toy_free(&ref);
    toy_free(&nat);
}

int main(void)
{
    toy_test_run("opt/constant_folding", test_constant_folding);
    toy_test_run("opt/copy_propagation", test_copy_propagation);
    toy_test_run("opt/algebraic_identities", test_algebraic_identities);
    toy_test_run("opt/branch_folding", test_branch_folding);
    toy_test_run("opt/dead_temps_removed", test_dead_temps_removed);
    toy_test_run("opt/dead_global_stores", test_dead_global_stores);
    toy_test_run("opt/flag_liveness", test_flag_liveness);
    toy_test_run("opt/known_bits", test_known_bits);
    toy_test_run("opt/loop_liveness", test_loop_liveness);
    toy_test_run("opt/random_programs", test_random_programs);
    test_run("opt/random_programs_across_backends", test_random_programs_across_backends);
    return test_summary();
}
