/*
 * The interpreter backend: every op at boundary and random values in both widths against
 * an independent C reference, with operands as globals, EBB temps and constants
 * (immediate forms); branches for every condition; env and guest memory accesses (hooks
 * and the inline TLB); helper calls and global syncing; exact fault positions; chaining,
 * unchaining, lookup_and_goto_ptr and the budget; and a throughput measurement.
 */
#include <time.h>

#include "test.h"
#include "test-ir-harness.h"
#include "test-ir-ref.h"

#ifdef CONFIG_SANITIZERS
#define VECTORS 40
#define PERF_SCALE 1
#else
#define VECTORS 150
#define PERF_SCALE 20
#endif

typedef struct OpSpec {
    IROpcode opc;
    uint8_t nin, nout;
    uint8_t i64_only;
} OpSpec;

static const OpSpec op_specs[] = {
    {IR_OP_ADD, 2, 1, 0},     {IR_OP_SUB, 2, 1, 0},     {IR_OP_MUL, 2, 1, 0},
    {IR_OP_AND, 2, 1, 0},     {IR_OP_OR, 2, 1, 0},      {IR_OP_XOR, 2, 1, 0},
    {IR_OP_ANDC, 2, 1, 0},    {IR_OP_SHL, 2, 1, 0},     {IR_OP_SHR, 2, 1, 0},
    {IR_OP_SAR, 2, 1, 0},     {IR_OP_ROTL, 2, 1, 0},    {IR_OP_ROTR, 2, 1, 0},
    {IR_OP_DIV, 2, 1, 0},     {IR_OP_DIVU, 2, 1, 0},    {IR_OP_REM, 2, 1, 0},
    {IR_OP_REMU, 2, 1, 0},    {IR_OP_CLZ, 2, 1, 0},     {IR_OP_CTZ, 2, 1, 0},
    {IR_OP_MOV, 1, 1, 0},     {IR_OP_NEG, 1, 1, 0},     {IR_OP_NOT, 1, 1, 0},
    {IR_OP_EXT8S, 1, 1, 0},   {IR_OP_EXT8U, 1, 1, 0},   {IR_OP_EXT16S, 1, 1, 0},
    {IR_OP_EXT16U, 1, 1, 0},  {IR_OP_BSWAP16, 1, 1, 0}, {IR_OP_BSWAP32, 1, 1, 0},
    {IR_OP_CTPOP, 1, 1, 0},   {IR_OP_EXT32S, 1, 1, 1},  {IR_OP_EXT32U, 1, 1, 1},
    {IR_OP_BSWAP64, 1, 1, 1}, {IR_OP_SETCOND, 2, 1, 0}, {IR_OP_NEGSETCOND, 2, 1, 0},
    {IR_OP_MOVCOND, 4, 1, 0}, {IR_OP_DEPOSIT, 2, 1, 0}, {IR_OP_EXTRACT, 1, 1, 0},
    {IR_OP_SEXTRACT, 1, 1, 0}, {IR_OP_MULU2, 2, 2, 0},  {IR_OP_MULS2, 2, 2, 0},
    {IR_OP_ADD2, 4, 2, 0},    {IR_OP_SUB2, 4, 2, 0},
};

typedef struct Case {
    const OpSpec *s;
    IRType w;
    int variant; /* 0: globals, 1: EBB temps, 2: last input constant */
    uint64_t cb;
    uint64_t cargs[2];
} Case;

static uint32_t gidx(Toy *t, IRType w, int k)
{
    return w == IR_I32 ? t->g.e[k].idx : t->g.r[k].idx;
}

static TranslationBlock *build_case(Toy *t, const Case *c)
{
    IRFunc *f = t->f;
    const OpSpec *s = c->s;
    uint64_t args[IR_MAX_OP_ARGS];
    uint32_t in[4], out[2];
    unsigned n = 0;
    const IROpDef *def = &ir_op_defs[s->opc];

    ir_insn_start(f, 0x1000, 0, 0);
    for (int k = 0; k < s->nin; k++) {
        in[k] = gidx(t, c->w, k);
    }
    for (int k = 0; k < s->nout; k++) {
        out[k] = gidx(t, c->w, 4 + k);
    }
    if (c->variant == 1) {
        for (int k = 0; k < s->nin; k++) {
            uint32_t tmp = c->w == IR_I32 ? ir_temp_i32(f).idx : ir_temp_i64(f).idx;
            uint64_t mv[2] = {tmp, in[k]};
            ir_emit(f, IR_OP_MOV, c->w, mv);
            in[k] = tmp;
        }
        for (int k = 0; k < s->nout; k++) {
            out[k] = c->w == IR_I32 ? ir_temp_i32(f).idx : ir_temp_i64(f).idx;
        }
    } else if (c->variant == 2) {
        in[s->nin - 1] = ir_const(f, c->w, c->cb).idx;
    }
    for (int k = 0; k < s->nout; k++) {
        args[n++] = out[k];
    }
    for (int k = 0; k < s->nin; k++) {
        args[n++] = in[k];
    }
    for (int k = 0; k < def->nb_cargs; k++) {
        args[n++] = c->cargs[k];
    }
    ir_emit(f, s->opc, c->w, args);
    if (c->variant == 1) {
        for (int k = 0; k < s->nout; k++) {
            uint64_t mv[2] = {gidx(t, c->w, 4 + k), out[k]};
            ir_emit(f, IR_OP_MOV, c->w, mv);
        }
    }
    if (c->w == IR_I32) {
        /* The 32-bit results must not carry garbage in a 64-bit container. */
        ir_extu_i32_i64(f, t->g.r[6], t->g.e[4]);
        if (s->nout == 2) {
            ir_extu_i32_i64(f, t->g.r[7], t->g.e[5]);
        }
    }
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    return toy_gen(t);
}

static int case_failures;

static void run_case(Toy *t, const Case *c, uint64_t *seed)
{
    TranslationBlock *tb = build_case(t, c);
    const OpSpec *s = c->s;
    ToyEnv *env = t->env;

    for (int v = 0; v < VECTORS; v++) {
        uint64_t x[4], lo, hi = 0, glo, ghi = 0;
        for (int k = 0; k < 4; k++) {
            x[k] = ir_truncate(c->w, test_rand_interesting(seed));
        }
        if (c->variant == 2) {
            x[s->nin - 1] = ir_truncate(c->w, c->cb);
        }
        for (int k = 0; k < 4; k++) {
            if (c->w == IR_I32) {
                env->e[k] = (uint32_t)x[k];
            } else {
                env->r[k] = x[k];
            }
        }
        toy_run(t, tb);
        if (s->nout == 2) {
            ref_op2(s->opc, c->w, x, &lo, &hi);
        } else {
            IRCond cond = (IRCond)c->cargs[0];
            lo = ref_op(s->opc, c->w, x, (unsigned)c->cargs[0], (unsigned)c->cargs[1], cond);
        }
        if (c->w == IR_I32) {
            glo = env->e[4];
            ghi = env->e[5];
            CHECK_EQ(env->r[6], glo);
            if (s->nout == 2) {
                CHECK_EQ(env->r[7], ghi);
            }
        } else {
            glo = env->r[4];
            ghi = env->r[5];
        }
        if (glo != lo || (s->nout == 2 && ghi != hi)) {
            if (case_failures++ < 10) {
                fprintf(stderr, "%s_%s variant %d c=(%" PRIu64 ",%" PRIu64 ") cb=%#" PRIx64
                        " in %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64
                        ": got %#" PRIx64 ":%#" PRIx64 " want %#" PRIx64 ":%#" PRIx64 "\n",
                        ir_op_defs[s->opc].name, c->w ? "i64" : "i32", c->variant, c->cargs[0],
                        c->cargs[1], c->cb, x[0], x[1], x[2], x[3], ghi, glo, hi, lo);
            }
            CHECK(0);
        }
    }
}

static void run_all_cases(bool optimize)
{
    Toy t;
    uint64_t seed = optimize ? 777 : 778;

    toy_init(&t, optimize);
    for (size_t i = 0; i < ARRAY_SIZE(op_specs); i++) {
        const OpSpec *s = &op_specs[i];
        for (int wi = s->i64_only; wi < 2; wi++) {
            IRType w = wi ? IR_I64 : IR_I32;
            unsigned bits = wi ? 64 : 32;
            uint64_t consts[] = {0, 1, bits - 1, bits, ir_truncate(w, ~0ull), 0x80,
                                 1ull << (bits - 1), test_rand(&seed)};
            uint64_t fields[][2] = {{0, 1}, {0, bits}, {bits - 1, 1}, {bits / 2, bits / 2},
                                    {3, 5}, {8, 8}, {0, 16}, {1, bits - 1}};
            unsigned ncond = 1, nfield = 1;
            bool is_cond = s->opc == IR_OP_SETCOND || s->opc == IR_OP_NEGSETCOND ||
                           s->opc == IR_OP_MOVCOND;
            bool is_field = s->opc == IR_OP_DEPOSIT || s->opc == IR_OP_EXTRACT ||
                            s->opc == IR_OP_SEXTRACT;

            if (is_cond) {
                ncond = IR_COND_COUNT - IR_COND_EQ;
            }
            if (is_field) {
                nfield = ARRAY_SIZE(fields);
            }
            for (unsigned ci = 0; ci < ncond; ci++) {
                for (unsigned fi = 0; fi < nfield; fi++) {
                    Case c = {.s = s, .w = w};
                    if (is_cond) {
                        c.cargs[0] = IR_COND_EQ + ci;
                    }
                    if (is_field) {
                        c.cargs[0] = fields[fi][0];
                        c.cargs[1] = fields[fi][1];
                    }
                    for (c.variant = 0; c.variant < 3; c.variant++) {
                        if (c.variant < 2) {
                            run_case(&t, &c, &seed);
                            continue;
                        }
                        for (size_t k = 0; k < ARRAY_SIZE(consts); k++) {
                            c.cb = consts[k];
                            run_case(&t, &c, &seed);
                        }
                    }
                }
            }
        }
    }
    toy_free(&t);
}

static void test_ops_unoptimized(void)
{
    run_all_cases(false);
}

static void test_ops_optimized(void)
{
    run_all_cases(true);
}

static void test_width_conversions(void)
{
    Toy t;
    uint64_t seed = 99;

    toy_init(&t, false);
    ir_insn_start(t.f, 0, 0, 0);
    ir_extrl_i64_i32(t.f, t.g.e[0], t.g.r[0]);
    ir_extrh_i64_i32(t.f, t.g.e[1], t.g.r[0]);
    ir_extu_i32_i64(t.f, t.g.r[1], t.g.e[2]);
    ir_exts_i32_i64(t.f, t.g.r[2], t.g.e[2]);
    {
        /* Through EBB temps too, so no global write-back can hide a wrong extension. */
        IRv32 a = ir_temp_i32(t.f);
        IRv64 b = ir_temp_i64(t.f);
        ir_extrh_i64_i32(t.f, a, t.g.r[0]);
        ir_exts_i32_i64(t.f, b, a);
        ir_mov_i64(t.f, t.g.r[3], b);
    }
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
    TranslationBlock *tb = toy_gen(&t);
    for (int v = 0; v < 1000; v++) {
        uint64_t x = test_rand_interesting(&seed);
        uint32_t y = (uint32_t)test_rand_interesting(&seed);
        t.env->r[0] = x;
        t.env->e[2] = y;
        toy_run(&t, tb);
        CHECK_EQ(t.env->e[0], (uint32_t)x);
        CHECK_EQ(t.env->e[1], (uint32_t)(x >> 32));
        CHECK_EQ(t.env->r[1], (uint64_t)y);
        CHECK_EQ(t.env->r[2], (uint64_t)(int64_t)(int32_t)y);
        CHECK_EQ(t.env->r[3], (uint64_t)(int64_t)(int32_t)(x >> 32));
    }
    toy_free(&t);
}

/* brcond for every condition and width, register and immediate forms. */
static void test_brcond_all_conditions(void)
{
    uint64_t seed = 4242;

    for (int opt = 0; opt < 2; opt++) {
        Toy t;
        toy_init(&t, opt);
        for (IRCond c = IR_COND_EQ; c < IR_COND_COUNT; c++) {
            for (int wi = 0; wi < 2; wi++) {
                IRType w = wi ? IR_I64 : IR_I32;
                uint64_t imms[] = {0, 1, ir_truncate(w, ~0ull), 0x80000000, 0x7fffffff};
                for (int form = 0; form < 1 + (int)ARRAY_SIZE(imms); form++) {
                    IRLabel l = ir_label_new(t.f), end = ir_label_new(t.f);
                    uint32_t a = gidx(&t, w, 0), b = gidx(&t, w, 1);
                    uint64_t bv = 0;
                    TranslationBlock *tb;

                    if (form > 0) {
                        bv = ir_truncate(w, imms[form - 1]);
                        b = ir_const(t.f, w, bv).idx;
                    }
                    ir_insn_start(t.f, 0, 0, 0);
                    if (wi) {
                        ir_brcond_i64(t.f, c, (IRv64){a}, (IRv64){b}, l);
                    } else {
                        ir_brcond_i32(t.f, c, (IRv32){a}, (IRv32){b}, l);
                    }
                    ir_movi_i64(t.f, t.g.r[4], 0);
                    ir_br(t.f, end);
                    ir_set_label(t.f, l);
                    ir_movi_i64(t.f, t.g.r[4], 1);
                    ir_set_label(t.f, end);
                    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
                    tb = toy_gen(&t);
                    for (int v = 0; v < VECTORS; v++) {
                        uint64_t x = ir_truncate(w, test_rand_interesting(&seed));
                        uint64_t y = form ? bv : ir_truncate(w, test_rand_interesting(&seed));
                        if (v & 1) {
                            x = y; /* equal operands hit the <=/>= edges */
                        }
                        if (wi) {
                            t.env->r[0] = x;
                            t.env->r[1] = y;
                        } else {
                            t.env->e[0] = (uint32_t)x;
                            t.env->e[1] = (uint32_t)y;
                        }
                        toy_run(&t, tb);
                        CHECK_EQ(t.env->r[4], ref_cond(c, w, x, y));
                    }
                }
            }
        }
        toy_free(&t);
    }
}

static void test_env_load_store(void)
{
    Toy t;
    IRFunc *f;
    IRvPtr env;
    IRv64 v = {0};
    IRv32 u = {0};
    const intptr_t s0 = offsetof(ToyEnv, scratch);

    toy_init(&t, false);
    f = t.f;
    env = ir_env(f);
    ir_insn_start(f, 0, 0, 0);
    /* Stores of each width from r0, then sign/zero-extending loads back. */
    ir_st8_i64(f, t.g.r[0], env, s0 + 0);
    ir_st16_i64(f, t.g.r[0], env, s0 + 8);
    ir_st32_i64(f, t.g.r[0], env, s0 + 16);
    ir_st_i64(f, t.g.r[0], env, s0 + 24);
    ir_st_i32(f, t.g.e[0], env, s0 + 33); /* unaligned */
    v = ir_temp_i64(f);
    ir_ld8s_i64(f, v, env, s0 + 0);
    ir_mov_i64(f, t.g.r[1], v);
    ir_ld16s_i64(f, t.g.r[2], env, s0 + 8);
    ir_ld32s_i64(f, t.g.r[3], env, s0 + 16);
    ir_ld_i64(f, t.g.r[4], env, s0 + 24);
    ir_ld32u_i64(f, t.g.r[5], env, s0 + 16);
    ir_ld16u_i64(f, t.g.r[6], env, s0 + 8);
    ir_ld8u_i64(f, t.g.r[7], env, s0 + 0);
    u = ir_temp_i32(f);
    ir_ld8s_i32(f, u, env, s0 + 0);
    ir_mov_i32(f, t.g.e[1], u);
    ir_ld16s_i32(f, t.g.e[2], env, s0 + 8);
    ir_ld_i32(f, t.g.e[3], env, s0 + 33);
    ir_ld8u_i32(f, t.g.e[4], env, s0 + 0);
    ir_ld16u_i32(f, t.g.e[5], env, s0 + 8);
    {
        /* A PTR base other than env: a pointer loaded from env. */
        IRvPtr p = ir_temp_ptr(f);
        ir_ld_ptr(f, p, env, s0 + 48);
        ir_ld_i64(f, t.g.cc_src, p, 8);
        ir_st_i64(f, t.g.r[0], p, 16);
    }
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    TranslationBlock *tb = toy_gen(&t);
    uint64_t seed = 5;
    for (int i = 0; i < 500; i++) {
        uint64_t x = test_rand_interesting(&seed);
        uint64_t side[4] = {0, test_rand(&seed), 0, 0};
        t.env->r[0] = x;
        t.env->e[0] = (uint32_t)~x;
        t.env->scratch[6] = (uint64_t)(uintptr_t)side;
        toy_run(&t, tb);
        CHECK_EQ(t.env->r[1], (uint64_t)(int64_t)(int8_t)x);
        CHECK_EQ(t.env->r[2], (uint64_t)(int64_t)(int16_t)x);
        CHECK_EQ(t.env->r[3], (uint64_t)(int64_t)(int32_t)x);
        CHECK_EQ(t.env->r[4], x);
        CHECK_EQ(t.env->r[5], (uint32_t)x);
        CHECK_EQ(t.env->r[6], (uint16_t)x);
        CHECK_EQ(t.env->r[7], (uint8_t)x);
        CHECK_EQ(t.env->e[1], (uint32_t)(int32_t)(int8_t)x);
        CHECK_EQ(t.env->e[2], (uint32_t)(int32_t)(int16_t)x);
        CHECK_EQ(t.env->e[3], (uint32_t)~x);
        CHECK_EQ(t.env->e[4], (uint8_t)x);
        CHECK_EQ(t.env->e[5], (uint16_t)x);
        CHECK_EQ(t.env->cc_src, side[1]);
        CHECK_EQ(side[2], x);
    }
    toy_free(&t);
}

/* ---- guest memory ---- */

static TranslationBlock *build_mem_tb(Toy *t)
{
    IRFunc *f = t->f;
    static const unsigned lds[] = {IR_MO_8, IR_MO_8 | IR_MO_SIGN, IR_MO_16,
                                   IR_MO_16 | IR_MO_SIGN, IR_MO_32, IR_MO_32 | IR_MO_SIGN,
                                   IR_MO_64};
    IRv64 a = ir_temp_i64(f);

    ir_insn_start(f, 0, 0, 0);
    /* Stores of every size at r0, r0+8, r0+16, r0+24 (mmu index 2). */
    for (unsigned s = 0; s < 4; s++) {
        ir_addi_i64(f, a, t->g.r[0], 8 * s);
        ir_qemu_st_i64(f, t->g.r[1], IRT(a), s, 2);
    }
    /* i64 loads of every size and sign from r0+24 (holds all 8 bytes of r1). */
    ir_addi_i64(f, a, t->g.r[0], 24);
    for (unsigned k = 0; k < ARRAY_SIZE(lds); k++) {
        IRv64 d = ir_temp_i64(f);
        ir_qemu_ld_i64(f, d, IRT(a), lds[k], 1);
        ir_st_i64(f, d, ir_env(f), offsetof(ToyEnv, scratch) + 8 * k);
    }
    /* i32 loads, with an i32 address (e0). */
    for (unsigned k = 0; k < 5; k++) {
        ir_qemu_ld_i32(f, t->g.e[1 + (k % 4)], IRT(t->g.e[0]), lds[k], 0);
        ir_st_i32(f, t->g.e[1 + (k % 4)], ir_env(f), offsetof(ToyEnv, scratch) + 64 + 4 * k);
    }
    ir_qemu_st_i32(f, t->g.e[7], IRT(t->g.e[0]), IR_MO_16, 0);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    return toy_gen(t);
}

/* m: the 8 bytes at addr32 before the run (the i32 loads read them). */
static void check_mem_results(Toy *t, uint64_t base, uint64_t x, uint32_t y, uint32_t addr32,
                              uint64_t m)
{
    ToyEnv *env = t->env;
    uint64_t *s = env->scratch;
    uint32_t *s32 = (uint32_t *)&env->scratch[8];

    CHECK_EQ(ldn_le_p(&env->mem[base], 1), (uint8_t)x);
    CHECK_EQ(ldn_le_p(&env->mem[base + 8], 2), (uint16_t)x);
    CHECK_EQ(ldn_le_p(&env->mem[base + 16], 4), (uint32_t)x);
    CHECK_EQ(ldq_le_p(&env->mem[base + 24]), x);
    CHECK_EQ(s[0], (uint8_t)x);
    CHECK_EQ(s[1], (uint64_t)(int64_t)(int8_t)x);
    CHECK_EQ(s[2], (uint16_t)x);
    CHECK_EQ(s[3], (uint64_t)(int64_t)(int16_t)x);
    CHECK_EQ(s[4], (uint32_t)x);
    CHECK_EQ(s[5], (uint64_t)(int64_t)(int32_t)x);
    CHECK_EQ(s[6], x);
    /* The i32 loads ran before the final 16-bit store of y. */
    CHECK_EQ(s32[0], (uint8_t)m);
    CHECK_EQ(s32[1], (uint32_t)(int32_t)(int8_t)m);
    CHECK_EQ(s32[2], (uint16_t)m);
    CHECK_EQ(s32[3], (uint32_t)(int32_t)(int16_t)m);
    CHECK_EQ(s32[4], (uint32_t)m);
    CHECK_EQ(ldn_le_p(&env->mem[addr32], 2), (uint16_t)y);
    CHECK_EQ(ldn_le_p(&env->mem[addr32 + 2], 2), (uint16_t)(m >> 16));
}

static void test_guest_memory_hooks(void)
{
    Toy t;
    uint64_t seed = 31;

    toy_init(&t, true);
    TranslationBlock *tb = build_mem_tb(&t);
    for (int i = 0; i < 300; i++) {
        uint64_t base = test_rand(&seed) % (TOY_MEM_SIZE / 2);
        uint32_t a32 = (uint32_t)(TOY_MEM_SIZE / 2 + test_rand(&seed) % (TOY_MEM_SIZE / 4));
        uint64_t x = test_rand_interesting(&seed);
        uint32_t y = (uint32_t)test_rand(&seed);
        uint64_t m;
        for (int k = 0; k < 8; k++) {
            t.env->mem[a32 + k] = (uint8_t)test_rand(&seed);
        }
        t.env->r[0] = base;
        t.env->r[1] = x;
        t.env->e[0] = a32;
        t.env->e[7] = y;
        t.env->loads = t.env->stores = 0;
        m = ldq_le_p(&t.env->mem[a32]);
        toy_run(&t, tb);
        check_mem_results(&t, base, x, y, a32, m);
        CHECK_EQ(t.env->loads, 12);
        CHECK_EQ(t.env->stores, 5);
    }
    toy_free(&t);
}

/* The same accesses through the inline TLB: hits bypass the hooks entirely. */
static void test_guest_memory_inline_tlb(void)
{
    Toy t;
    TLBFast tlb;
    TLBFastEntry *tables[3];
    uint64_t seed = 32;

    toy_init(&t, true);
    memset(&tlb, 0, sizeof(tlb));
    tlb.page_bits = TOY_PAGE_BITS;
    for (int m = 0; m < 3; m++) {
        tables[m] = xcalloc(64, sizeof(TLBFastEntry));
        for (int i = 0; i < 64; i++) {
            tables[m][i].addr_read = tables[m][i].addr_write = ~0ull;
        }
        /* Map guest pages 0..15 to the toy memory. */
        for (uint64_t p = 0; p < TOY_MEM_SIZE >> TOY_PAGE_BITS; p++) {
            TLBFastEntry *e = &tables[m][p & 63];
            e->addr_read = e->addr_write = p << TOY_PAGE_BITS;
            e->addend = (uintptr_t)t.env->mem;
        }
        tlb.table[m] = tables[m];
        tlb_fast_set_mask(&tlb, m, 63);
    }
    t.ctx.tlb = &tlb;
    TranslationBlock *tb = build_mem_tb(&t);
    for (int i = 0; i < 300; i++) {
        uint64_t base = test_rand(&seed) % (TOY_MEM_SIZE / 2);
        uint32_t a32 = (uint32_t)(TOY_MEM_SIZE / 2 + test_rand(&seed) % (TOY_MEM_SIZE / 4));
        uint64_t x = test_rand_interesting(&seed);
        uint32_t y = (uint32_t)test_rand(&seed);
        unsigned crossings = 0;
        uint64_t m;
        for (int k = 0; k < 8; k++) {
            t.env->mem[a32 + k] = (uint8_t)test_rand(&seed);
        }
        t.env->r[0] = base;
        t.env->r[1] = x;
        t.env->e[0] = a32;
        t.env->e[7] = y;
        t.env->loads = t.env->stores = 0;
        m = ldq_le_p(&t.env->mem[a32]);
        toy_run(&t, tb);
        check_mem_results(&t, base, x, y, a32, m);
        /* Only accesses that cross a page may take the hook. */
        for (unsigned s = 0; s < 4; s++) {
            uint64_t a = base + 8 * s;
            crossings += (a >> TOY_PAGE_BITS) != ((a + (1u << s) - 1) >> TOY_PAGE_BITS);
        }
        CHECK(t.env->stores <= crossings + 1);
        if (((base + 24) & 0xfff) <= 0xff8 && (a32 & 0xfff) <= 0xff8) {
            CHECK_EQ(t.env->loads, 0);
        }
    }
    /* A flagged entry (e.g. MMIO) and an alignment requirement send the access to the hook. */
    {
        IRv64 d = ir_temp_i64(t.f);
        ir_insn_start(t.f, 0, 0, 0);
        ir_qemu_ld_i64(t.f, d, IRT(t.g.r[0]), IR_MO_32, 0);
        ir_mov_i64(t.f, t.g.r[2], d);
        ir_qemu_ld_i64(t.f, d, IRT(t.g.r[1]), IR_MO_32 | IR_MO_ALIGN, 1);
        ir_mov_i64(t.f, t.g.r[3], d);
        ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
        tb = toy_gen(&t);
        tables[0][3].addr_read |= 1; /* page 3 of mmu 0 is "MMIO" */
        stl_le_p(&t.env->mem[0x3010], 0xabcdef01);
        stl_le_p(&t.env->mem[0x4010], 0x12345678);
        t.env->r[0] = 0x3010;
        t.env->r[1] = 0x4010;
        t.env->loads = 0;
        toy_run(&t, tb);
        CHECK_EQ(t.env->r[2], 0xabcdef01);
        CHECK_EQ(t.env->r[3], 0x12345678);
        CHECK_EQ(t.env->loads, 1);
        CHECK_EQ(t.env->last_mmu, 0);
        t.env->r[1] = 0x4011; /* misaligned: the hook must see it (and here, fault) */
        t.env->loads = 0;
        toy_run(&t, tb);
        CHECK_EQ(t.env->loads, 2);
        CHECK_EQ(t.env->fault_addr, 0x4011);
    }
    /* A NULL table (mmu 1 here) sends every access of its index to the hook, none other. */
    {
        IRv64 d = ir_temp_i64(t.f);
        ir_insn_start(t.f, 0, 0, 0);
        ir_qemu_ld_i64(t.f, d, IRT(t.g.r[0]), IR_MO_32, 1);
        ir_mov_i64(t.f, t.g.r[2], d);
        ir_qemu_ld_i64(t.f, d, IRT(t.g.r[1]), IR_MO_32, 2);
        ir_mov_i64(t.f, t.g.r[3], d);
        ir_qemu_st_i64(t.f, t.g.r[3], IRT(t.g.r[0]), IR_MO_32, 1);
        ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
        tb = toy_gen(&t);
        tlb.table[1] = NULL;
        stl_le_p(&t.env->mem[0x5010], 0x11223344);
        stl_le_p(&t.env->mem[0x6010], 0x55667788);
        t.env->r[0] = 0x5010;
        t.env->r[1] = 0x6010;
        t.env->loads = t.env->stores = 0;
        t.env->last_mmu = 0;
        toy_run(&t, tb);
        CHECK_EQ(t.env->r[2], 0x11223344);
        CHECK_EQ(t.env->r[3], 0x55667788);
        CHECK_EQ(ldl_le_p(&t.env->mem[0x5010]), 0x55667788);
        CHECK_EQ(t.env->loads, 1);
        CHECK_EQ(t.env->stores, 1);
        CHECK_EQ(t.env->last_mmu, 1);
        tlb.table[1] = tables[1];
    }
    for (int m = 0; m < 3; m++) {
        free(tables[m]);
    }
    toy_free(&t);
}

/* ---- helpers ---- */

static uint64_t helper_read_r0(void *envp, uint64_t x)
{
    ToyEnv *env = envp;
    return env->r[0] * 3 + x;
}

static void helper_write_r1(void *envp)
{
    ToyEnv *env = envp;
    env->r[1] = 0xdead;
    env->e[0] = 7;
}

static uint64_t helper_ret_garbage(uint64_t a)
{
    /* Declared as returning i32 in the IR: the upper half must be dropped. */
    return 0xffffffff00000000ull | (a + 5);
}

static uint64_t helper_six(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                           uint64_t f)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

static uint32_t helper_u32(uint32_t a, uint32_t b)
{
    return a - b;
}

static void helper_sneaky_write_r5(void *envp)
{
    ((ToyEnv *)envp)->r[5] = 0x5555;
}

static void test_helper_calls(void)
{
    for (int opt = 0; opt < 2; opt++) {
        Toy t;
        IRFunc *f;
        toy_init(&t, opt);
        f = t.f;
        IRv64 tmp = ir_temp_i64(f);
        IRv32 t32 = ir_temp_i32(f);

        ir_insn_start(f, 0, 0, 0);
        ir_addi_i64(f, t.g.r[0], t.g.r[0], 5); /* dirty: must reach env before the call */
        IR_CALL(f, helper_read_r0, 0, IRT(tmp), IRT(ir_env(f)), IRT(ir_const_i64(f, 10)));
        ir_mov_i64(f, t.g.r[2], tmp);
        ir_mov_i64(f, t.g.r[6], t.g.r[1]); /* r1 cached before the call... */
        IR_CALL(f, helper_write_r1, 0, IR_NO_TEMP, IRT(ir_env(f)));
        ir_addi_i64(f, t.g.r[3], t.g.r[1], 1); /* ...and reloaded after it */
        ir_addi_i32(f, t.g.e[1], t.g.e[0], 1);
        IR_CALL(f, helper_ret_garbage, IR_CALL_NO_SIDE_EFFECTS, IRT(t32),
                IRT(ir_const_i64(f, 1)));
        ir_mov_i32(f, t.g.e[2], t32);
        IR_CALL(f, helper_six, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                IRT(t.g.r[4]), IRT(ir_const_i64(f, 1)), IRT(t.g.r[7]), IRT(ir_const_i64(f, 3)),
                IRT(t.g.r[7]), IRT(ir_const_i64(f, 5)), IRT(ir_const_i64(f, 6)));
        IR_CALL(f, helper_u32, IR_CALL_NO_SIDE_EFFECTS, IRT(t.g.e[3]), IRT(t.g.e[4]),
                IRT(ir_const_i32(f, 1)));
        /*
         * A helper that breaks its NO_WRITE_GLOBALS promise: the cached r5 survives it,
         * which shows the flag saves the reload.  (The call before it, which may write
         * globals, empties every register cache, so a native backend has a callee-saved
         * register free for r5.)
         */
        IR_CALL(f, helper_write_r1, 0, IR_NO_TEMP, IRT(ir_env(f)));
        ir_mov_i64(f, t.g.r[6], t.g.r[5]);
        IR_CALL(f, helper_sneaky_write_r5, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP,
                IRT(ir_env(f)));
        ir_addi_i64(f, t.g.cc_dst, t.g.r[5], 1);
        ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        TranslationBlock *tb = toy_gen(&t);

        t.env->r[0] = 100;
        t.env->r[1] = 1;
        t.env->r[5] = 0x10;
        t.env->r[7] = 2;
        t.env->e[4] = 0;
        toy_run(&t, tb);
        CHECK_EQ(t.env->r[0], 105);
        CHECK_EQ(t.env->r[2], 105 * 3 + 10);
        CHECK_EQ(t.env->r[1], 0xdead);
        CHECK_EQ(t.env->r[3], 0xdead + 1);
        CHECK_EQ(t.env->e[1], 8);
        CHECK_EQ(t.env->e[2], 6);
        CHECK_EQ(t.env->r[4], 1 + 2 * 2 + 3 * 3 + 4 * 2 + 5 * 5 + 6 * 6);
        CHECK_EQ(t.env->e[3], 0xffffffff);
        CHECK_EQ(t.env->cc_dst, 0x11);
        toy_free(&t);
    }
}

/* ---- exact faults ---- */

static void helper_raise(void *envp)
{
    ToyEnv *env = envp;
    siglongjmp(*env->fault_jmp, 2);
}

static void fault_restore(bool opt)
{
    {
        Toy t;
        IRFunc *f;
        sigjmp_buf jb;
        IRv64 d;
        TranslationBlock *volatile tb;
        TranslationBlock *tb2;
        volatile int hits = 0;

        toy_init(&t, opt);
        f = t.f;
        d = ir_temp_i64(f);
        /* insn 0: r0 = 0x11, cc_op = 1; insn 1: r1 = [r2]; insn 2: r3 = 1; insn 3: call. */
        ir_insn_start(f, 0x100, 1, 0);
        ir_movi_i64(f, t.g.r[0], 0x11);
        ir_movi_i64(f, t.g.cc_op, 1);
        ir_insn_start(f, 0x104, 2, 0);
        ir_qemu_ld_i64(f, d, IRT(t.g.r[2]), IR_MO_64, 0);
        ir_mov_i64(f, t.g.r[1], d);
        ir_movi_i64(f, t.g.cc_op, 2);
        ir_insn_start(f, 0x108, 2, 0);
        ir_movi_i64(f, t.g.r[3], 1);
        ir_insn_start(f, 0x10c, 3, 0);
        IR_CALL(f, helper_raise, 0, IR_NO_TEMP, IRT(ir_env(f)));
        ir_goto_tb(f, 0);
        ir_exit_tb(f, 0, 0);
        tb = toy_gen_at(&t, 0x100, 16);
        CHECK_EQ(tb->icount, 4);

        t.env->fault_jmp = &jb;
        t.env->fault_lo = 0x8000;
        t.env->fault_hi = 0x9000;

        /* A guest memory fault in insn 1. */
        t.env->r[2] = 0x8008;
        if (sigsetjmp(jb, 0) == 0) {
            toy_run(&t, tb);
            CHECK(0); /* must not return */
        } else {
            int idx = tb_insn_index(t.ctx.cur_tb, t.ctx.pos);
            hits++;
            CHECK(t.ctx.cur_tb == tb);
            CHECK_EQ(idx, 1);
            CHECK_EQ(tb_insn_words(tb, idx)[0], 0x104);
            CHECK_EQ(tb_insn_words(tb, idx)[1], 2);
            /* State as of the end of insn 0 is in env; nothing of insn 1 or later. */
            CHECK_EQ(t.env->r[0], 0x11);
            CHECK_EQ(t.env->cc_op, 1);
            CHECK_EQ(t.env->r[1], 0);
            CHECK_EQ(t.env->r[3], 0);
            CHECK_EQ(t.env->fault_addr, 0x8008);
        }
        /* A helper raising in insn 3. */
        t.env->r[2] = 0x100;
        if (sigsetjmp(jb, 0) == 0) {
            toy_run(&t, tb);
            CHECK(0);
        } else {
            int idx = tb_insn_index(t.ctx.cur_tb, t.ctx.pos);
            hits++;
            CHECK_EQ(idx, 3);
            CHECK_EQ(tb_insn_words(tb, idx)[0], 0x10c);
            CHECK_EQ(t.env->r[3], 1);
            CHECK_EQ(t.env->cc_op, 2);
        }
        /* A fault in a block reached by chaining is reported against that block. */
        ir_insn_start(f, 0x2000, 9, 0);
        ir_movi_i64(f, t.g.r[5], 5);
        ir_insn_start(f, 0x2004, 10, 0);
        ir_qemu_st_i64(f, t.g.r[5], IRT(t.g.r[6]), IR_MO_32, 0);
        ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        tb2 = toy_gen_at(&t, 0x2000, 8);
        ir_insn_start(f, 0x2800, 0, 0);
        ir_goto_tb(f, 1);
        ir_exit_tb(f, 1, 0);
        tb = toy_gen_at(&t, 0x2800, 4);
        tb_add_jump(t.cache, tb, 1, tb2);
        t.env->r[6] = 0x8ffe; /* straddles the fault window's end */
        if (sigsetjmp(jb, 0) == 0) {
            toy_run(&t, tb);
            CHECK(0);
        } else {
            hits++;
            CHECK(t.ctx.cur_tb == tb2);
            CHECK_EQ(tb_insn_index(t.ctx.cur_tb, t.ctx.pos), 1);
            CHECK_EQ(tb_insn_words(tb2, 1)[1], 10);
            CHECK_EQ(t.env->r[5], 5);
        }
        CHECK_EQ(hits, 3);
        CHECK_EQ(tb_insn_index(tb, (uintptr_t)tb->code - 8), -1);
        toy_free(&t);
    }
}

static void test_fault_restore(void)
{
    fault_restore(false);
    fault_restore(true);
}

/* ---- chaining ---- */

static TranslationBlock *gen_inc_block(Toy *t, uint64_t pc, IRv64 reg, uint64_t next_pc,
                                       bool chain)
{
    ir_insn_start(t->f, pc, 0, 0);
    ir_addi_i64(t->f, reg, reg, 1);
    if (chain) {
        ir_goto_tb(t->f, 0);
    }
    ir_movi_i64(t->f, t->g.pc, next_pc);
    ir_exit_tb(t->f, chain ? 0 : IR_EXIT_NOCHAIN, pc);
    return toy_gen_at(t, pc, 4);
}

static void test_chaining_and_unchaining(void)
{
    Toy t;
    TranslationBlock *a, *b;
    uint64_t v;

    toy_init(&t, true);
    a = gen_inc_block(&t, 0x1000, t.g.r[0], 0x1800, true);
    b = gen_inc_block(&t, 0x1800, t.g.r[1], 0x3000, false);

    v = toy_run(&t, a);
    CHECK_EQ(v, 0x1000);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_SLOT0);
    CHECK(t.ctx.last_tb == a);
    CHECK_EQ(t.env->pc, 0x1800);
    CHECK(toy_lookup_tb(&t.ctx) == b);
    tb_add_jump(t.cache, a, 0, b);
    CHECK(a->jmp_dest[0] == b);
    CHECK_EQ(tb_cache_stats(t.cache).chained, 1);

    /* One exec now runs a and then b without returning in between. */
    v = toy_run(&t, a);
    CHECK_EQ(v, 0x1800);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_NOCHAIN);
    CHECK(t.ctx.last_tb == b);
    CHECK_EQ(t.env->r[0], 2);
    CHECK_EQ(t.env->r[1], 1);
    CHECK_EQ(t.env->pc, 0x3000);

    /* Self-modifying code in b's bytes (a shares the page but not the bytes). */
    {
        bool hit = true;
        CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x1802, 0x1803, a, &hit), 1);
        CHECK(!hit);
    }
    CHECK(!a->invalid);
    CHECK(b->invalid);
    CHECK(a->jmp_dest[0] == NULL);
    CHECK(b->jmp_list_head == 0);
    CHECK(toy_lookup_tb(&t.ctx) == NULL);
    v = toy_run(&t, a);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_SLOT0);
    CHECK_EQ(t.env->r[0], 3);
    CHECK_EQ(t.env->r[1], 1);

    /* Re-translate b, chain again; invalidating a (the source) also unlinks it from b. */
    b = gen_inc_block(&t, 0x1800, t.g.r[1], 0x3000, false);
    tb_add_jump(t.cache, a, 0, b);
    CHECK(b->jmp_list_head != 0);
    tb_invalidate(t.cache, a);
    CHECK(b->jmp_list_head == 0);
    toy_free(&t);
}

static void test_budget_and_exit_request(void)
{
    Toy t;
    TranslationBlock *c;

    toy_init(&t, true);
    c = gen_inc_block(&t, 0x4000, t.g.r[2], 0x4000, true);
    tb_add_jump(t.cache, c, 0, c); /* a tight loop */
    t.ctx.budget = 10;
    toy_run(&t, c);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_REQUESTED);
    CHECK(t.ctx.last_tb == c);
    CHECK_EQ(t.env->r[2], 11); /* the first entry plus ten chained ones */

    t.ctx.budget = 1000;
    tb_exec_kick(&t.ctx);
    tb_exec_kick(&t.ctx); /* repeated kicks (a timer thread's) must not pile up */
    tb_exec_kick(&t.ctx);
    CHECK_EQ(tb_exec_budget_left(&t.ctx), 1000);
    toy_run(&t, c);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_REQUESTED);
    CHECK_EQ(t.env->r[2], 12);
    CHECK_EQ(tb_exec_budget_left(&t.ctx), 999);
    t.ctx.exit_request = 0;

    /* Unchaining the loop lets it fall through to its exit. */
    tb_invalidate(t.cache, c);
    t.ctx.budget = 1000;
    toy_run(&t, c);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_SLOT0);
    CHECK_EQ(t.env->r[2], 13);
    toy_free(&t);
}

static void test_lookup_and_goto_ptr(void)
{
    Toy t;
    TranslationBlock *d, *e;
    uint64_t v;

    toy_init(&t, true);
    ir_insn_start(t.f, 0x5000, 0, 0);
    ir_mov_i64(t.f, t.g.pc, t.g.r[0]); /* an indirect jump to r0 */
    ir_lookup_and_goto_ptr(t.f);
    d = toy_gen_at(&t, 0x5000, 4);
    ir_insn_start(t.f, 0x6000, 0, 0);
    ir_movi_i64(t.f, t.g.r[3], 77);
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0xe);
    e = toy_gen_at(&t, 0x6000, 4);

    t.env->r[0] = 0x6000;
    v = toy_run(&t, d);
    CHECK_EQ(v, 0xe);
    CHECK(t.ctx.last_tb == e);
    CHECK_EQ(t.env->r[3], 77);
    CHECK(tb_jc_lookup(&t.jc, 0x6000, 0, 0, 0) == e);

    t.env->r[0] = 0x7000; /* nothing there: back to the loop */
    t.env->r[3] = 0;
    v = toy_run(&t, d);
    CHECK_EQ(v, 0);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_NOCHAIN);
    CHECK(t.ctx.last_tb == d);
    CHECK_EQ(t.env->pc, 0x7000);
    CHECK_EQ(t.env->r[3], 0);

    t.env->r[0] = 0x6000;
    t.ctx.budget = 0;
    toy_run(&t, d);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_REQUESTED);
    CHECK(t.ctx.last_tb == e);
    CHECK_EQ(t.env->r[3], 0);
    toy_free(&t);
}

/* lookup_key_and_goto_ptr: the hook, with a switch to refuse and a call count. */
static unsigned keyed_hook_calls;
static bool keyed_hook_refuses;

static TranslationBlock *keyed_lookup_tb(TBExecCtx *ctx)
{
    keyed_hook_calls++;
    return keyed_hook_refuses ? NULL : toy_lookup_tb(ctx);
}

static void test_lookup_key_and_goto_ptr(void)
{
    bool native = !strcmp(toy_current_backend()->name, "native");
    TranslationBlock *d, *e;
    Toy t;
    uint64_t v;

    toy_init(&t, true);
    t.ctx.lookup_tb = keyed_lookup_tb;
    t.ctx.jc = &t.jc;
    keyed_hook_calls = 0;
    keyed_hook_refuses = false;
    /* An indirect jump to r0 with the key (r0, cs_base r1, flags word r2). */
    ir_insn_start(t.f, 0x5000, 0, 0);
    ir_mov_i64(t.f, t.g.pc, t.g.r[0]);
    ir_lookup_key_and_goto_ptr(t.f, t.g.r[0], t.g.r[1], t.g.r[2]);
    d = toy_gen_at(&t, 0x5000, 4);
    ir_insn_start(t.f, 0x6000, 0, 0);
    ir_addi_i64(t.f, t.g.r[3], t.g.r[3], 1);
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0xe);
    e = toy_gen_at(&t, 0x6000, 4);

    /* First time: the jump cache is empty, the hook finds e and caches it. */
    t.env->r[0] = 0x6000;
    v = toy_run(&t, d);
    CHECK_EQ(v, 0xe);
    CHECK(t.ctx.last_tb == e);
    CHECK_EQ(t.env->r[3], 1);
    CHECK_EQ(keyed_hook_calls, 1);
    CHECK_EQ(t.ctx.lookup_inline_hits, 0);

    /* Second time: the native probe finds e without the hook; the interpreter asks it. */
    v = toy_run(&t, d);
    CHECK_EQ(v, 0xe);
    CHECK(t.ctx.last_tb == e);
    CHECK_EQ(t.env->r[3], 2);
    CHECK_EQ(keyed_hook_calls + t.ctx.lookup_inline_hits, 2);
    CHECK_EQ(t.ctx.lookup_inline_hits, native ? 1 : 0);

    /* A key that differs in cs_base or in the flags word is not e: the hook decides. */
    keyed_hook_refuses = true;
    for (int which = 1; which <= 2; which++) {
        unsigned calls = keyed_hook_calls;
        t.env->r[which] = 0x100000000ull;
        v = toy_run(&t, d);
        CHECK_EQ(v, 0);
        CHECK_EQ(t.ctx.exit_reason, TB_EXIT_NOCHAIN);
        CHECK(t.ctx.last_tb == d);
        CHECK_EQ(t.env->r[3], 2);
        CHECK_EQ(keyed_hook_calls, calls + 1);
        t.env->r[which] = 0;
    }

    /* An exhausted budget stops the entry into a probe (or hook) hit. */
    keyed_hook_refuses = false;
    t.ctx.budget = 0;
    toy_run(&t, d);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_REQUESTED);
    CHECK(t.ctx.last_tb == e);
    CHECK_EQ(t.env->r[3], 2);
    t.ctx.budget = INT32_MAX;

    /* Invalidation takes e out of the jump cache: the probe misses, the hook refuses. */
    keyed_hook_refuses = true;
    tb_invalidate(t.cache, e);
    v = toy_run(&t, d);
    CHECK_EQ(v, 0);
    CHECK(t.ctx.last_tb == d);
    CHECK_EQ(t.env->r[3], 2);
    toy_free(&t);
}

/* ---- throughput ---- */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_perf(void)
{
    Toy t;
    IRv64 i;
    IRLabel loop;
    TranslationBlock *tb;
    const uint64_t n = 500000ull * PERF_SCALE;
    double t0, dt;
    unsigned words;

    toy_init(&t, true);
    /* A loop body of 4 IR ops on globals and a TB temp. */
    i = ir_temp_tb_i64(t.f);
    loop = ir_label_new(t.f);
    ir_insn_start(t.f, 0, 0, 0);
    ir_movi_i64(t.f, i, 0);
    ir_set_label(t.f, loop);
    ir_add_i64(t.f, t.g.r[0], t.g.r[0], i);
    ir_xor_i64(t.f, t.g.r[1], t.g.r[1], t.g.r[0]);
    ir_addi_i64(t.f, i, i, 1);
    ir_brcondi_i64(t.f, IR_COND_LTU, i, n, loop);
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
    tb = toy_gen(&t);
    words = tb->code_size / 8;
    t0 = now_sec();
    toy_run(&t, tb);
    dt = now_sec() - t0;
    CHECK_EQ(t.env->r[0], n * (n - 1) / 2);
    printf("info perf: loop of 4 IR ops (%u bytecode words/TB): %.0f M IR ops/s, %.2f ns/iter\n",
           words, 4.0 * n / dt / 1e6, dt / n * 1e9);

    /* Chained-block throughput: a self-chained block of 3 ops. */
    {
        TranslationBlock *c = gen_inc_block(&t, 0x4000, t.g.r[2], 0x4000, true);
        tb_add_jump(t.cache, c, 0, c);
        t.ctx.budget = (int32_t)n;
        t0 = now_sec();
        toy_run(&t, c);
        dt = now_sec() - t0;
        CHECK_EQ(t.env->r[2], n + 1);
        printf("info perf: chained block entries: %.0f M/s (%.2f ns per block)\n",
               n / dt / 1e6, dt / n * 1e9);
    }

    /* Guest memory: a load/add/store loop through the hooks, then through the inline TLB. */
    {
        IRv64 a = ir_temp_tb_i64(t.f), cnt = ir_temp_tb_i64(t.f), v;
        IRLabel l2 = ir_label_new(t.f);
        TLBFast tlb;
        TLBFastEntry *table = xcalloc(16, sizeof(TLBFastEntry));
        const uint64_t m = n / 4;

        ir_insn_start(t.f, 0, 0, 0);
        ir_movi_i64(t.f, a, 0);
        ir_movi_i64(t.f, cnt, 0);
        ir_set_label(t.f, l2);
        v = ir_temp_i64(t.f);
        ir_qemu_ld_i64(t.f, v, IRT(a), IR_MO_32, 0);
        ir_addi_i64(t.f, v, v, 1);
        ir_qemu_st_i64(t.f, v, IRT(a), IR_MO_32, 0);
        ir_addi_i64(t.f, a, a, 4);
        ir_andi_i64(t.f, a, a, 0x3ffc);
        ir_addi_i64(t.f, cnt, cnt, 1);
        ir_brcondi_i64(t.f, IR_COND_LTU, cnt, m, l2);
        ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
        tb = toy_gen(&t);
        memset(&tlb, 0, sizeof(tlb));
        tlb.page_bits = TOY_PAGE_BITS;
        for (uint64_t p = 0; p < 16; p++) {
            table[p].addr_read = table[p].addr_write = p << TOY_PAGE_BITS;
            table[p].addend = (uintptr_t)t.env->mem;
        }
        tlb.table[0] = table;
        tlb_fast_set_mask(&tlb, 0, 15);
        for (int mode = 0; mode < 2; mode++) {
            uint64_t sum = 0;
            t.ctx.tlb = mode ? &tlb : NULL;
            memset(t.env->mem, 0, 0x4000);
            t.env->loads = t.env->stores = 0;
            t0 = now_sec();
            toy_run(&t, tb);
            dt = now_sec() - t0;
            for (int k = 0; k < 0x4000; k += 4) {
                sum += ldl_le_p(&t.env->mem[k]);
            }
            CHECK_EQ(sum, m);
            CHECK_EQ(t.env->loads, mode ? 0 : m);
            printf("info perf: load+add+store loop via %s: %.0f M iterations/s\n",
                   mode ? "inline TLB" : "hooks    ", m / dt / 1e6);
        }
        free(table);
    }
    toy_free(&t);
}

/*
 * Shapes a native backend may answer from the host flags of an earlier op instead of a
 * fresh compare: brcond/setcond after a sub/and of the same operands, "x == 0" after the
 * op that computed x (also in place, as in a loop counter), a setcond that overwrites the
 * value whose flags are live, and setcond + brcond pairs.  Unoptimized IR, so the shapes
 * reach the backend as written.
 */
/*
 * "t = a op b (64-bit); d = ext32u(t)", t dying there: the native backend emits one 32-bit
 * op into d (and an LEA for a three-operand add).  Outputs alias an input, a fresh EBB
 * temp or another global; inputs carry high halves that must not leak into the result.
 */
static void test_ext32u_fusion(void)
{
    static const IROpcode opcs[] = {IR_OP_ADD, IR_OP_SUB, IR_OP_MUL, IR_OP_AND, IR_OP_OR,
                                    IR_OP_XOR, IR_OP_ANDC, IR_OP_SHL, IR_OP_SHR, IR_OP_SAR};
    static const uint64_t bconsts[] = {0, 1, 5, 31, 32, 0xfffffff0ull, 0x123456789ull};
    uint64_t seed = 4242;
    Toy t;

    toy_init(&t, false);
    for (size_t oi = 0; oi < ARRAY_SIZE(opcs); oi++) {
        /* bk: the second input is r1, or the constant bconsts[bk - 1] */
        for (size_t bk = 0; bk <= ARRAY_SIZE(bconsts); bk++) {
            /*
             * alias 0-3: "tmp = r0 op b; d = ext32u(tmp)" into r4, r0, r1 or a temp;
             * 4-6: in place, "x = r0 op b; x = ext32u(x)" with x a temp, r4, or r0.
             */
            for (int variant = 0; variant < 14; variant++) {
                IRFunc *f = t.f;
                /* variants 7-13: the same with a NOP (left by the optimizer) in between */
                int alias = variant % 7;
                bool nop = variant >= 7;
                IRv64 tmp = ir_temp_i64(f), out = ir_temp_i64(f);
                uint32_t b = bk ? ir_const(f, IR_I64, bconsts[bk - 1]).idx : t.g.r[1].idx;
                uint32_t d = alias == 0 ? t.g.r[4].idx : alias == 1 ? t.g.r[0].idx
                           : alias == 2 ? t.g.r[1].idx : out.idx;
                uint32_t x = alias == 5 ? t.g.r[4].idx : alias == 6 ? t.g.r[0].idx : tmp.idx;
                uint64_t op[3] = {x, t.g.r[0].idx, b}, ext[2] = {alias >= 4 ? x : d, x};
                TranslationBlock *tb;

                if (alias == 2 && bk) {
                    continue;
                }
                ir_insn_start(f, 0x1000, 0, 0);
                ir_emit(f, opcs[oi], IR_I64, op);
                if (nop) {
                    ir_emit(f, IR_OP_NOP, IR_I64, op);
                }
                ir_emit(f, IR_OP_EXT32U, IR_I64, ext);
                if (alias == 3 || alias == 4) {
                    ir_mov_i64(f, t.g.r[4], alias == 3 ? out : tmp);
                }
                /* Fused adds into a register other than the inputs': LEAs */
                ir_add_i64(f, tmp, t.g.r[2], t.g.r[3]);
                ir_ext32u_i64(f, t.g.r[5], tmp);
                ir_add_i64(f, tmp, t.g.r[2], ir_const_i64(f, (uint64_t)-16));
                ir_ext32u_i64(f, t.g.r[6], tmp);
                ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
                tb = toy_gen(&t);
                for (int v = 0; v < VECTORS; v++) {
                    uint64_t x[4] = {test_rand_interesting(&seed), test_rand_interesting(&seed),
                                     test_rand_interesting(&seed),
                                     test_rand_interesting(&seed)};
                    uint64_t want, got;
                    if (bk) {
                        x[1] = bconsts[bk - 1];
                    }
                    for (int k = 0; k < 4; k++) {
                        t.env->r[k] = x[k];
                    }
                    t.env->r[4] = 0xdead;
                    toy_run(&t, tb);
                    want = (uint32_t)ref_op(opcs[oi], IR_I64, x, 0, 0, IR_COND_EQ);
                    got = alias == 1 || alias == 6 ? t.env->r[0]
                          : alias == 2 ? t.env->r[1] : t.env->r[4];
                    if (got != want && case_failures++ < 10) {
                        fprintf(stderr, "%s fused alias %d nop %d b %zu: %#" PRIx64 ", %#" PRIx64
                                ": got %#" PRIx64 " want %#" PRIx64 "\n",
                                ir_op_defs[opcs[oi]].name, alias, nop, bk, x[0], x[1], got, want);
                    }
                    CHECK_EQ(got, want);
                    CHECK_EQ(t.env->r[5], (uint32_t)(x[2] + x[3]));
                    CHECK_EQ(t.env->r[6], (uint32_t)(x[2] - 16));
                }
            }
        }
    }
    toy_free(&t);
}

static void test_host_flag_reuse(void)
{
    uint64_t seed = 777;
    Toy t;

    toy_init(&t, false);
    for (IRCond c = IR_COND_EQ; c < IR_COND_COUNT; c++) {
        IRFunc *f = t.f;
        IRLabel l1 = ir_label_new(f), l2 = ir_label_new(f), l3 = ir_label_new(f);
        IRv64 d = ir_temp_i64(f), z = ir_temp_i64(f);
        IRv32 d32 = ir_temp_i32(f), s32 = ir_temp_i32(f);
        TranslationBlock *tb;

        ir_insn_start(f, 0, 0, 0);
        ir_movi_i64(f, t.g.r[5], 0);
        /* r5: r0 c r1 right after d = r0 - r1 (or r0 & r1 for the tst conditions) */
        if (c == IR_COND_TSTEQ || c == IR_COND_TSTNE) {
            ir_and_i64(f, d, t.g.r[0], t.g.r[1]);
        } else {
            ir_sub_i64(f, d, t.g.r[0], t.g.r[1]);
        }
        ir_brcond_i64(f, ir_cond_invert(c), t.g.r[0], t.g.r[1], l1);
        ir_movi_i64(f, t.g.r[5], 1);
        ir_set_label(f, l1);
        /* r2 -= 1 in place, then r2 != 0: bit 1 of r7 */
        ir_movi_i64(f, t.g.r[7], 0);
        ir_subi_i64(f, t.g.r[2], t.g.r[2], 1);
        ir_brcondi_i64(f, IR_COND_EQ, t.g.r[2], 0, l2);
        ir_movi_i64(f, t.g.r[7], 2);
        ir_set_label(f, l2);
        /* z = r3 ^ r4; z = (z == 0); then z != 0 must test the new z: e0 */
        ir_xor_i64(f, z, t.g.r[3], t.g.r[4]);
        ir_setcondi_i64(f, IR_COND_EQ, z, z, 0);
        ir_setcondi_i64(f, IR_COND_NE, z, z, 0);
        ir_extrl_i64_i32(f, t.g.e[0], z);
        /* 32-bit: d32 = e1 + e2; s32 = d32 c e2 fused into a branch: e3 */
        ir_movi_i32(f, t.g.e[3], 7);
        ir_add_i32(f, d32, t.g.e[1], t.g.e[2]);
        ir_setcond_i32(f, c, s32, d32, t.g.e[2]);
        ir_brcondi_i32(f, IR_COND_EQ, s32, 0, l3);
        ir_movi_i32(f, t.g.e[3], 9);
        ir_set_label(f, l3);
        ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        tb = toy_gen(&t);
        for (int v = 0; v < VECTORS; v++) {
            uint64_t x = test_rand_interesting(&seed), y = test_rand_interesting(&seed);
            uint64_t r2 = (v % 3) ? test_rand_interesting(&seed) : 1;
            uint64_t r3 = test_rand_interesting(&seed), r4 = (v & 1) ? r3 : ~r3;
            uint32_t e1 = (uint32_t)test_rand_interesting(&seed);
            uint32_t e2 = (uint32_t)test_rand_interesting(&seed);
            t.env->r[0] = x;
            t.env->r[1] = (v & 2) ? x : y;
            t.env->r[2] = r2;
            t.env->r[3] = r3;
            t.env->r[4] = r4;
            t.env->e[1] = e1;
            t.env->e[2] = e2;
            toy_run(&t, tb);
            CHECK_EQ(t.env->r[5], ir_cond_eval(c, IR_I64, x, t.env->r[1]));
            CHECK_EQ(t.env->r[7], r2 - 1 != 0 ? 2 : 0);
            CHECK_EQ(t.env->e[0], r3 == r4);
            CHECK_EQ(t.env->e[3], ir_cond_eval(c, IR_I32, (uint32_t)(e1 + e2), e2) ? 9 : 7);
        }
    }
    toy_free(&t);
}

int main(void)
{
    toy_test_run("interp/ops_unoptimized", test_ops_unoptimized);
    toy_test_run("interp/ops_optimized", test_ops_optimized);
    toy_test_run("interp/width_conversions", test_width_conversions);
    toy_test_run("interp/brcond_all_conditions", test_brcond_all_conditions);
    toy_test_run("interp/host_flag_reuse", test_host_flag_reuse);
    toy_test_run("interp/ext32u_fusion", test_ext32u_fusion);
    toy_test_run("interp/env_load_store", test_env_load_store);
    toy_test_run("interp/guest_memory_hooks", test_guest_memory_hooks);
    toy_test_run("interp/guest_memory_inline_tlb", test_guest_memory_inline_tlb);
    toy_test_run("interp/helper_calls", test_helper_calls);
    toy_test_run("interp/fault_restore", test_fault_restore);
    toy_test_run("interp/chaining_and_unchaining", test_chaining_and_unchaining);
    toy_test_run("interp/budget_and_exit_request", test_budget_and_exit_request);
    toy_test_run("interp/lookup_and_goto_ptr", test_lookup_and_goto_ptr);
    toy_test_run("interp/lookup_key_and_goto_ptr", test_lookup_key_and_goto_ptr);
    toy_test_run("interp/perf", test_perf);
    return test_summary();
}
