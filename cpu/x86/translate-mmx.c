/*
 * MMX, and the integer SIMD instructions of SSE/SSE2/SSSE3 on MMX and XMM registers (the
 * rows of insn-mmx.def, plus MOVQ2DQ/MOVDQ2Q/MOVQ from insn-sse.def) to IR.  One
 * translate function serves both register files: the NP row works on MMX registers
 * (x87 -> MMX transition, #MF), the 66 row on XMM registers (SSE checks).
 *
 * Reference: SDM vol. 1 chapter 9 (MMX state and the x87 aliasing), vol. 2 instruction
 * pages for MOVD/MOVQ zero-extension and PINSRW/PEXTRW operand forms.
 */
#include "cpu/x86/translate-simd.h"

#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/sse_helper.h"

static IRTemp c32(DisasContext *s, uint32_t v)
{
    return IRT(ir_const_i32(s->f, v));
}

static SimdClass class_of(const DecodedInsn *d)
{
    for (int i = 0; i < d->nops && i < 4; i++) {
        if (d->op[i].kind == X86_OPK_MMX) {
            return SIMD_MMX;
        }
    }
    return SIMD_SSE;
}

/* ---- d = op(d, s) on MMX or XMM ---- */

/*
 * The bitwise ops and PCMPEQB inline, on 64-bit lanes of the register file in env: libc's
 * SSE2 string functions run pcmpeqb/por/pxor/pmovmskb in their inner loops, and a helper
 * call per instruction cost more than the operation.  Byte equality without vector ops:
 * t = d ^ s has a zero byte where the bytes are equal; ((t & 0x7f..) + 0x7f..) | t sets a
 * byte's top bit iff the byte is non-zero, without carries between bytes; the top bits of
 * the equal bytes, m, then spread to whole bytes as (m << 1) - (m >> 7) (mod 2^64).
 */
typedef enum { SWAR_NONE, SWAR_AND, SWAR_ANDN, SWAR_OR, SWAR_XOR, SWAR_CMPEQB } SwarOp;

#define SWAR_LOW7 0x7f7f7f7f7f7f7f7full
#define SWAR_HIGH 0x8080808080808080ull

static SwarOp swar_op(IRHelper xmm)
{
    if (xmm == (IRHelper)helper_pand_xmm) {
        return SWAR_AND;
    }
    if (xmm == (IRHelper)helper_pandn_xmm) {
        return SWAR_ANDN;
    }
    if (xmm == (IRHelper)helper_por_xmm) {
        return SWAR_OR;
    }
    if (xmm == (IRHelper)helper_pxor_xmm) {
        return SWAR_XOR;
    }
    if (xmm == (IRHelper)helper_pcmpeqb_xmm) {
        return SWAR_CMPEQB;
    }
    return SWAR_NONE;
}

static void gen_swar2(DisasContext *s, SwarOp op, intptr_t dst, intptr_t src, unsigned lanes)
{
    IRvPtr env = ir_env(s->f);
    IRv64 a = ir_temp_i64(s->f), b = ir_temp_i64(s->f), t = ir_temp_i64(s->f);

    for (unsigned i = 0; i < lanes; i++) {
        ir_ld_i64(s->f, a, env, dst + 8 * (intptr_t)i);
        ir_ld_i64(s->f, b, env, src + 8 * (intptr_t)i);
        switch (op) {
        case SWAR_AND:
            ir_and_i64(s->f, a, a, b);
            break;
        case SWAR_ANDN:
            ir_andc_i64(s->f, a, b, a);
            break;
        case SWAR_OR:
            ir_or_i64(s->f, a, a, b);
            break;
        case SWAR_XOR:
            ir_xor_i64(s->f, a, a, b);
            break;
        default:
            ir_xor_i64(s->f, a, a, b);
            ir_andi_i64(s->f, t, a, SWAR_LOW7);
            ir_addi_i64(s->f, t, t, SWAR_LOW7);
            ir_or_i64(s->f, t, t, a);
            ir_not_i64(s->f, t, t);
            ir_andi_i64(s->f, t, t, SWAR_HIGH);
            ir_shli_i64(s->f, a, t, 1);
            ir_shri_i64(s->f, t, t, 7);
            ir_sub_i64(s->f, a, a, t);
            break;
        }
        ir_st_i64(s->f, a, env, dst + 8 * (intptr_t)i);
    }
    ir_temp_free(s->f, IRT(a));
    ir_temp_free(s->f, IRT(b));
    ir_temp_free(s->f, IRT(t));
}

static bool gen_int2(DisasContext *s, const DecodedInsn *d, IRHelper mmx, IRHelper xmm)
{
    intptr_t dst = simd_reg_off(d, 0), src;
    bool m = simd_is_mmx(d, 0);

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    if (m) {
        simd_enter_mmx(s);
    }
    /* Not for MMX: an MMX write also sets the aliased x87 register's exponent. */
    if (!m && swar_op(xmm) != SWAR_NONE) {
        gen_swar2(s, swar_op(xmm), dst, src, 2);
        return true;
    }
    simd_call2(s, m ? mmx : xmm, dst, src, false);
    return true;
}

#define INT_OP(name)                                                                   \
    TRANS(name)                                                                        \
    {                                                                                  \
        return gen_int2(s, d, (IRHelper)helper_##name##_mmx, (IRHelper)helper_##name##_xmm); \
    }
SSE_INT_BINOPS(INT_OP)
#undef INT_OP

/* Same with an immediate (PALIGNR, PSHUFW, PSHUFD/HW/LW). */
static bool gen_int2i(DisasContext *s, const DecodedInsn *d, IRHelper mmx, IRHelper xmm)
{
    intptr_t dst = simd_reg_off(d, 0), src;
    bool m = simd_is_mmx(d, 0);

    if (dst < 0 || !(m ? mmx : xmm)) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    if (m) {
        simd_enter_mmx(s);
    }
    simd_call2i(s, m ? mmx : xmm, dst, src, (uint32_t)d->op[2].imm & 0xff, false);
    return true;
}

TRANS(palignr)
{
    return gen_int2i(s, d, (IRHelper)helper_palignr_mmx, (IRHelper)helper_palignr_xmm);
}
TRANS(pshufw) { return gen_int2i(s, d, (IRHelper)helper_pshufw, NULL); }
TRANS(pshufd) { return gen_int2i(s, d, NULL, (IRHelper)helper_pshufd); }
TRANS(pshufhw) { return gen_int2i(s, d, NULL, (IRHelper)helper_pshufhw); }
TRANS(pshuflw) { return gen_int2i(s, d, NULL, (IRHelper)helper_pshuflw); }

/* ---- shifts by an immediate (groups 12-14): the count is staged in simd_tmp ---- */

static bool gen_shift_imm(DisasContext *s, const DecodedInsn *d, IRHelper mmx, IRHelper xmm)
{
    intptr_t dst = simd_reg_off(d, 0);
    bool m = simd_is_mmx(d, 0);
    IRvPtr env = ir_env(s->f);

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    ir_st_i64(s->f, ir_const_i64(s->f, d->op[1].imm & 0xff), env, SIMD_TMP_OFF);
    ir_st_i64(s->f, ir_const_i64(s->f, 0), env, SIMD_TMP_OFF + 8);
    if (m) {
        simd_enter_mmx(s);
    }
    simd_call2(s, m ? mmx : xmm, dst, SIMD_TMP_OFF, false);
    return true;
}

#define SHIFT_IMM(name)                                                                \
    TRANS(name##_imm)                                                                  \
    {                                                                                  \
        return gen_shift_imm(s, d, (IRHelper)helper_##name##_mmx,                      \
                             (IRHelper)helper_##name##_xmm);                           \
    }
SHIFT_IMM(psrlw)
SHIFT_IMM(psraw)
SHIFT_IMM(psllw)
SHIFT_IMM(psrld)
SHIFT_IMM(psrad)
SHIFT_IMM(pslld)
SHIFT_IMM(psrlq)
SHIFT_IMM(psllq)
#undef SHIFT_IMM

typedef void (*ByteShiftFn)(CPUX86State *env, XMMReg *d, uint32_t count);

static bool gen_dq_shift(DisasContext *s, const DecodedInsn *d, ByteShiftFn fn)
{
    intptr_t dst = simd_reg_off(d, 0);
    IRvPtr pd;

    if (dst < 0 || simd_is_mmx(d, 0)) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    pd = simd_ptr(s, dst);
    IR_CALL(s->f, fn, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            IRT(pd), c32(s, (uint32_t)d->op[1].imm & 0xff));
    ir_temp_free(s->f, IRT(pd));
    return true;
}

TRANS(psrldq_imm) { return gen_dq_shift(s, d, helper_psrldq); }
TRANS(pslldq_imm) { return gen_dq_shift(s, d, helper_pslldq); }

/* ---- moves ---- */

TRANS(movdqa) { return simd_gen_mov128(s, d); }
TRANS(movdqu) { return simd_gen_mov128(s, d); }
TRANS(movntdq) { return simd_gen_mov128(s, d); }

/*
 * MOVQ in all its forms, MOVQ2DQ and MOVDQ2Q: 8 bytes from an MMX register, the low half
 * of an XMM register or memory, to an MMX register, memory, or an XMM register whose
 * upper half is zeroed.
 */
static bool gen_mov64(DisasContext *s, const DecodedInsn *d, SimdClass cls)
{
    const X86Operand *o0 = &d->op[0], *o1 = &d->op[1];
    IRvPtr env = ir_env(s->f);
    intptr_t dst = simd_reg_off(d, 0), src = simd_reg_off(d, 1);
    bool m = simd_is_mmx(d, 0) || simd_is_mmx(d, 1);
    IRv64 v, la;

    if (dst < 0 && src < 0) {
        return false;
    }
    if (!simd_begin(s, cls)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    if (src >= 0) {
        ir_ld_i64(s->f, v, env, src);
    } else {
        la = simd_mem_addr(s, d, 8);
        gen_ld(s, MO_64, v, la);
        ir_temp_free(s->f, IRT(la));
    }
    if (dst < 0) {
        la = simd_mem_addr(s, d, 8);
        gen_st(s, MO_64, v, la);
        ir_temp_free(s->f, IRT(la));
    }
    if (m) {
        simd_enter_mmx(s);
    }
    if (dst >= 0) {
        ir_st_i64(s->f, v, env, dst);
        if (o0->kind == X86_OPK_XMM) {
            simd_zero(s, dst + 8, 8);
        } else {
            simd_mmx_written(s, o0->reg);
        }
    }
    (void)o1;
    ir_temp_free(s->f, IRT(v));
    return true;
}

TRANS(movq) { return gen_mov64(s, d, class_of(d)); }
TRANS(movq2dq) { return gen_mov64(s, d, SIMD_SSE_MMX); }
TRANS(movdq2q) { return gen_mov64(s, d, SIMD_SSE_MMX); }

/* MOVNTQ m64, mm. */
TRANS(movntq) { return gen_mov64(s, d, SIMD_MMX); }

/*
 * MOVD/MOVQ between a general register or memory (4 bytes, 8 with REX.W) and an MMX or
 * XMM register; loads zero-extend into the whole SIMD register.
 */
TRANS(movd)
{
    IRvPtr env = ir_env(s->f);
    bool m = class_of(d) == SIMD_MMX;
    IRv64 v;

    if (simd_reg_off(d, 0) < 0 && simd_reg_off(d, 1) < 0) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    if (simd_reg_off(d, 0) >= 0) {
        intptr_t dst = simd_reg_off(d, 0);
        gen_load_operand(s, d, 1, v, NULL);
        if (d->op[1].size != 8) {
            ir_ext32u_i64(s->f, v, v);
        }
        if (m) {
            simd_enter_mmx(s);
        }
        ir_st_i64(s->f, v, env, dst);
        if (m) {
            simd_mmx_written(s, d->op[0].reg);
        } else {
            simd_zero(s, dst + 8, 8);
        }
    } else {
        ir_ld_i64(s->f, v, env, simd_reg_off(d, 1));
        gen_store_operand(s, d, 0, v, NULL);
        if (m) {
            simd_enter_mmx(s);
        }
    }
    ir_temp_free(s->f, IRT(v));
    return true;
}

/* ---- word insert/extract, sign masks, masked stores ---- */

TRANS(pinsrw)
{
    intptr_t dst = simd_reg_off(d, 0);
    bool m = simd_is_mmx(d, 0);
    IRvPtr pd;
    IRv64 v;

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    gen_load_operand(s, d, 1, v, NULL);
    if (m) {
        simd_enter_mmx(s);
    }
    pd = simd_ptr(s, dst);
    IR_CALL(s->f, m ? (IRHelper)helper_pinsrw_mmx : (IRHelper)helper_pinsrw_xmm,
            IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(pd),
            IRT(v), c32(s, (uint32_t)d->op[2].imm & 0xff));
    ir_temp_free(s->f, IRT(pd));
    ir_temp_free(s->f, IRT(v));
    return true;
}

/* r32 = fn(simd register operand 1 [, imm]) for PEXTRW and PMOVMSKB. */
static bool gen_to_gpr(DisasContext *s, const DecodedInsn *d, IRHelper mmx, IRHelper xmm,
                       bool has_imm)
{
    intptr_t src = simd_reg_off(d, 1);
    bool m = simd_is_mmx(d, 1);
    IRvPtr ps;
    IRv64 v;

    if (src < 0 || d->op[0].kind != X86_OPK_GPR) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    if (m) {
        simd_enter_mmx(s);
    }
    ps = simd_ptr(s, src);
    v = ir_temp_i64(s->f);
    if (has_imm) {
        IR_CALL(s->f, m ? mmx : xmm, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                IRT(v), ENV(s), IRT(ps), c32(s, (uint32_t)d->op[2].imm & 0xff));
    } else {
        IR_CALL(s->f, m ? mmx : xmm, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                IRT(v), ENV(s), IRT(ps));
    }
    /* A 64-bit destination (REX.W) gets the same zero-extended value. */
    gen_set_reg(s, MO_32, d->op[0].reg, false, v);
    ir_temp_free(s->f, IRT(ps));
    ir_temp_free(s->f, IRT(v));
    return true;
}

TRANS(pextrw)
{
    return gen_to_gpr(s, d, (IRHelper)helper_pextrw_mmx, (IRHelper)helper_pextrw_xmm, true);
}

/*
 * PMOVMSKB inline: per 64-bit lane, the byte top bits moved to bits 0, 8, .., 56, then
 * multiplied so that bit 8k lands at 56 + k (the partial products never overlap, so no
 * carries), and the byte above bit 56 is the lane's mask.
 */
static bool gen_pmovmskb_inline(DisasContext *s, const DecodedInsn *d)
{
    intptr_t src = simd_reg_off(d, 1);
    bool m = simd_is_mmx(d, 1);
    IRvPtr env = ir_env(s->f);
    IRv64 t, r;

    if (src < 0 || d->op[0].kind != X86_OPK_GPR) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    if (m) {
        simd_enter_mmx(s);
    }
    t = ir_temp_i64(s->f);
    r = ir_temp_i64(s->f);
    ir_movi_i64(s->f, r, 0);
    for (int i = m ? 0 : 1; i >= 0; i--) {
        ir_ld_i64(s->f, t, env, src + 8 * (intptr_t)i);
        ir_shri_i64(s->f, t, t, 7);
        ir_andi_i64(s->f, t, t, 0x0101010101010101ull);
        ir_muli_i64(s->f, t, t, 0x0102040810204080ull);
        ir_shri_i64(s->f, t, t, 56);
        ir_shli_i64(s->f, r, r, 8);
        ir_or_i64(s->f, r, r, t);
    }
    /* A 64-bit destination (REX.W) gets the same zero-extended value. */
    gen_set_reg(s, MO_32, d->op[0].reg, false, r);
    ir_temp_free(s->f, IRT(t));
    ir_temp_free(s->f, IRT(r));
    return true;
}

TRANS(pmovmskb)
{
    return gen_pmovmskb_inline(s, d);
}


/* MASKMOVQ mm, mm / MASKMOVDQU xmm, xmm: selected bytes to seg:[rDI]. */
TRANS(maskmovq)
{
    intptr_t data = simd_reg_off(d, 0), mask = simd_reg_off(d, 1);
    bool m = simd_is_mmx(d, 0);
    IRv64 off, la;
    IRvPtr pd, pm;

    if (data < 0 || mask < 0) {
        return false;
    }
    if (!simd_begin(s, m ? SIMD_MMX : SIMD_SSE)) {
        return true;
    }
    off = gen_ea_offset(s, d);
    la = gen_linear(s, d->mem.seg, off, m ? 8 : 16);
    pd = simd_ptr(s, data);
    pm = simd_ptr(s, mask);
    IR_CALL(s->f, m ? (IRHelper)helper_maskmovq : (IRHelper)helper_maskmovdqu,
            IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(pd), IRT(pm), IRT(la));
    if (m) {
        simd_enter_mmx(s);
    }
    ir_temp_free(s->f, IRT(pd));
    ir_temp_free(s->f, IRT(pm));
    ir_temp_free(s->f, IRT(la));
    ir_temp_free(s->f, IRT(off));
    return true;
}

TRANS(maskmovdqu) { return trans_maskmovq(s, d); }

/* ---- EMMS ---- */

TRANS(emms)
{
    if (simd_begin(s, SIMD_MMX)) {
        IR_CALL(s->f, helper_emms, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                IR_NO_TEMP, ENV(s));
    }
    return true;
}
