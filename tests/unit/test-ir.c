/*
 * IR builder, verifier, printer and reference semantics (ir_eval, which the optimizer's
 * constant folder uses), checked against independent C computations.
 */
#include "test.h"
#include "test-ir-harness.h"
#include "test-ir-ref.h"

/* ---- tests ---- */

static void test_eval_matches_reference(void)
{
    static const IROpcode ops[] = {
        IR_OP_ADD, IR_OP_SUB, IR_OP_MUL, IR_OP_NEG, IR_OP_AND, IR_OP_OR, IR_OP_XOR,
        IR_OP_NOT, IR_OP_ANDC, IR_OP_SHL, IR_OP_SHR, IR_OP_SAR, IR_OP_ROTL, IR_OP_ROTR,
        IR_OP_DIV, IR_OP_DIVU, IR_OP_REM, IR_OP_REMU, IR_OP_EXT8S, IR_OP_EXT8U,
        IR_OP_EXT16S, IR_OP_EXT16U, IR_OP_BSWAP16, IR_OP_BSWAP32, IR_OP_CLZ, IR_OP_CTZ,
        IR_OP_CTPOP,
    };
    uint64_t seed = 12345;

    for (int iter = 0; iter < 3000; iter++) {
        uint64_t in[4] = {test_rand_interesting(&seed), test_rand_interesting(&seed),
                          test_rand_interesting(&seed), test_rand_interesting(&seed)};
        for (unsigned w = 0; w < 2; w++) {
            IRType t = w ? IR_I64 : IR_I32;
            uint64_t m = ref_mask(t), x[4] = {in[0] & m, in[1] & m, in[2] & m, in[3] & m};
            for (size_t k = 0; k < ARRAY_SIZE(ops); k++) {
                uint64_t got, want = ref_op(ops[k], t, x, 0, 0, IR_COND_EQ);
                CHECK(ir_eval(ops[k], t, x, NULL, &got));
                if (got != want) {
                    fprintf(stderr, "%s_%s(%#" PRIx64 ", %#" PRIx64 ") = %#" PRIx64
                            " want %#" PRIx64 "\n", ir_op_defs[ops[k]].name,
                            w ? "i64" : "i32", x[0], x[1], got, want);
                }
                CHECK_EQ(got, want);
            }
            for (IRCond c = IR_COND_EQ; c < IR_COND_COUNT; c++) {
                uint64_t cargs[1] = {c}, got;
                CHECK_EQ(ir_cond_eval(c, t, x[0], x[1]), ref_cond(c, t, x[0], x[1]));
                CHECK_EQ(ir_cond_eval(ir_cond_invert(c), t, x[0], x[1]),
                         !ref_cond(c, t, x[0], x[1]));
                CHECK_EQ(ir_cond_eval(ir_cond_swap(c), t, x[1], x[0]),
                         ref_cond(c, t, x[0], x[1]));
                CHECK(ir_eval(IR_OP_MOVCOND, t, x, cargs, &got));
                CHECK_EQ(got, ref_op(IR_OP_MOVCOND, t, x, 0, 0, c));
            }
            {
                unsigned bits = w ? 64 : 32;
                unsigned pos = (unsigned)(test_rand(&seed) % bits);
                unsigned len = 1 + (unsigned)(test_rand(&seed) % (bits - pos));
                uint64_t cargs[2] = {pos, len}, got;
                CHECK(ir_eval(IR_OP_DEPOSIT, t, x, cargs, &got));
                CHECK_EQ(got, ref_op(IR_OP_DEPOSIT, t, x, pos, len, 0));
                CHECK(ir_eval(IR_OP_EXTRACT, t, x, cargs, &got));
                CHECK_EQ(got, ref_op(IR_OP_EXTRACT, t, x, pos, len, 0));
                CHECK(ir_eval(IR_OP_SEXTRACT, t, x, cargs, &got));
                CHECK_EQ(got, ref_op(IR_OP_SEXTRACT, t, x, pos, len, 0));
            }
            for (IROpcode op = IR_OP_MULU2; op <= IR_OP_SUB2; op++) {
                uint64_t lo, hi, rlo, rhi;
                CHECK(ir_eval2(op, t, x, &lo, &hi));
                ref_op2(op, t, x, &rlo, &rhi);
                CHECK_EQ(lo, rlo);
                CHECK_EQ(hi, rhi);
            }
        }
        {
            uint64_t got;
            CHECK(ir_eval(IR_OP_BSWAP64, IR_I64, in, NULL, &got));
            CHECK_EQ(got, ref_bswap(in[0], 8));
            CHECK(ir_eval(IR_OP_EXT32S, IR_I64, in, NULL, &got));
            CHECK_EQ(got, (uint64_t)(int64_t)(int32_t)in[0]);
            CHECK(ir_eval(IR_OP_EXTRH, IR_I32, in, NULL, &got));
            CHECK_EQ(got, in[0] >> 32);
        }
    }
}

static void test_constants_are_interned(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv32 a = ir_const_i32(f, 5), b = ir_const_i32(f, 5);
    IRv64 c = ir_const_i64(f, 5);
    uint32_t before;

    CHECK_EQ(a.idx, b.idx);
    CHECK(a.idx != c.idx); /* same value, different type */
    CHECK(ir_temp_is_const(f, a.idx));
    CHECK_EQ(ir_const_i32(f, 0xffffffffu).idx, ir_const(f, IR_I32, ~0ull).idx);
    /* Many constants force the intern table to grow; lookups must still find them. */
    for (uint64_t v = 0; v < 5000; v++) {
        ir_const_i64(f, v * 7919);
    }
    before = f->nb_temps;
    for (uint64_t v = 0; v < 5000; v++) {
        CHECK_EQ(f->temps[ir_const_i64(f, v * 7919).idx].val, v * 7919);
    }
    CHECK_EQ(f->nb_temps, before);
    /* Reset keeps globals and drops everything else. */
    ir_func_reset(f);
    CHECK_EQ(f->nb_temps, f->nb_globals);
    CHECK(ir_temp_is_global(f, g.r[3].idx));
    CHECK_EQ(f->temps[g.e[1].idx].mem_offset, offsetof(ToyEnv, e) + 4);
    ir_func_free(f);
}

static void test_temp_free_reuses(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv32 a = ir_temp_i32(f);
    IRv64 b = ir_temp_i64(f);

    ir_temp_free(f, IRT(a));
    CHECK_EQ(ir_temp_i32(f).idx, a.idx);
    CHECK(ir_temp_i64(f).idx != b.idx);
    ir_temp_free(f, IRT(b));
    CHECK_EQ(ir_temp_i64(f).idx, b.idx);
    ir_func_free(f);
}

static void test_verify_catches_errors(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    char why[200];
    IRv32 t32 = ir_temp_i32(f);
    IRv64 t64 = ir_temp_i64(f);
    IRLabel l = ir_label_new(f);

    /* A well-formed block. */
    ir_insn_start(f, 0x1000, 0, 0);
    ir_addi_i64(f, t64, g.r[0], 1);
    ir_brcondi_i64(f, IR_COND_EQ, t64, 0, l);
    ir_mov_i64(f, g.r[1], t64); /* an EBB temp survives a brcond's fall-through */
    ir_set_label(f, l);
    ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
    CHECK(ir_verify(f, why, sizeof(why)));

    /* Width mismatch (built by hand: the typed builders make it impossible). */
    {
        uint64_t args[3] = {t32.idx, g.r[0].idx, g.r[1].idx};
        ir_emit(f, IR_OP_ADD, IR_I32, args);
        CHECK(!ir_verify(f, why, sizeof(why)));
        f->nb_ops--;
    }
    /* An EBB temp read after a label without being set again. */
    ir_mov_i64(f, g.r[2], t64);
    CHECK(!ir_verify(f, why, sizeof(why)));
    CHECK(strstr(why, "ebb") != NULL);
    f->nb_ops--;
    /* Writing a constant. */
    {
        uint64_t args[2] = {ir_const_i64(f, 3).idx, g.r[0].idx};
        ir_emit(f, IR_OP_MOV, IR_I64, args);
        CHECK(!ir_verify(f, why, sizeof(why)));
        f->nb_ops--;
    }
    /* An env store that aliases a global's field. */
    ir_st16_i64(f, g.r[0], ir_env(f), offsetof(ToyEnv, r) + 8 + 6);
    CHECK(!ir_verify(f, why, sizeof(why)));
    CHECK(strstr(why, "aliases a global") != NULL);
    f->nb_ops--;
    ir_st_i64(f, g.r[0], ir_env(f), offsetof(ToyEnv, scratch));
    CHECK(ir_verify(f, why, sizeof(why)));
    f->nb_ops--;
    /* A branch to a label that is never set. */
    {
        IRLabel l2 = ir_label_new(f);
        ir_br(f, l2);
        CHECK(!ir_verify(f, why, sizeof(why)));
    }
    ir_func_free(f);
}

static void helper_dummy(void)
{
}

static void test_dump_format(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRv64 t = ir_temp_i64(f);
    IRv32 u = ir_temp_i32(f);
    IRLabel l = ir_label_new(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    ir_helper_name_register(helper_dummy, "helper_dummy");
    ir_insn_start(f, 0x1234, 7, 0);
    ir_addi_i64(f, t, g.r[0], 0x10);
    ir_qemu_ld_i32(f, u, IRT(t), IR_MO_16 | IR_MO_SIGN, 1);
    ir_brcondi_i32(f, IR_COND_LTU, u, 5, l);
    IR_CALL(f, helper_dummy, 0, IR_NO_TEMP, IRT(ir_env(f)), IRT(u));
    ir_set_label(f, l);
    ir_goto_tb(f, 0);
    ir_exit_tb(f, 0, 0x99);
    ir_dump(f, out);
    fclose(out);
    CHECK(strstr(buf, " ---- 0000000000001234 0000000000000007\n") != NULL);
    CHECK(strstr(buf, " add_i64 tmp") != NULL);
    CHECK(strstr(buf, ",r0,$0x10\n") != NULL);
    CHECK(strstr(buf, " qemu_ld_i32 tmp") != NULL);
    CHECK(strstr(buf, "le16s mmu=1") != NULL);
    CHECK(strstr(buf, ",ltu,$L0") != NULL);
    CHECK(strstr(buf, " call helper_dummy,$0x0,env,tmp") != NULL);
    CHECK(strstr(buf, " set_label $L0") != NULL);
    CHECK(strstr(buf, " exit_tb slot0,$0x99") != NULL);
    free(buf);
    ir_func_free(f);
}

static void test_clone_is_deep(void)
{
    ToyGlobals g;
    IRFunc *f = toy_func_new(&g);
    IRFunc *c;

    ir_addi_i64(f, g.r[0], g.r[0], 1);
    c = ir_func_clone(f);
    ir_addi_i64(c, g.r[1], g.r[1], 2);
    CHECK_EQ(f->nb_ops, 1);
    CHECK_EQ(c->nb_ops, 2);
    CHECK_EQ(c->ops[0].args[0], g.r[0].idx);
    ir_func_free(c);
    ir_func_free(f);
}

int main(void)
{
    toy_test_run("ir/eval_matches_reference", test_eval_matches_reference);
    toy_test_run("ir/constants_are_interned", test_constants_are_interned);
    toy_test_run("ir/temp_free_reuses", test_temp_free_reuses);
    toy_test_run("ir/verify_catches_errors", test_verify_catches_errors);
    toy_test_run("ir/dump_format", test_dump_format);
    toy_test_run("ir/clone_is_deep", test_clone_is_deep);
    return test_summary();
}
