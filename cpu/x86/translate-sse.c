/*
 * SSE, SSE2 and SSE3 floating-point, conversion and data-movement instructions to IR
 * (the rows of insn-sse.def), LDMXCSR/STMXCSR/FXSAVE/FXRSTOR, and the operand plumbing
 * that translate-mmx.c shares (translate-simd.h).
 *
 * Arithmetic goes through the helpers of sse_helper_fp.c with pointers into env; plain
 * moves are inline IR loads and stores.
 *
 * Reference: SDM vol. 1 chapters 10-12, vol. 2 instruction pages (which moves zero the
 * upper lanes), vol. 3B table 22-x exception classes for #UD/#NM/#GP(alignment).
 */
#include "cpu/x86/translate-simd.h"

#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/sse_helper.h"

static IRTemp c32(DisasContext *s, uint32_t v)
{
    return IRT(ir_const_i32(s->f, v));
}

/* ---- shared plumbing (translate-simd.h) ---- */

bool simd_begin(DisasContext *s, SimdClass cls)
{
    if (s->flags & HF_EM) {
        gen_exception(s, EXCP_UD);
        return false;
    }
    if (cls != SIMD_MMX && !(s->flags & HF_OSFXSR)) {
        gen_exception(s, EXCP_UD);
        return false;
    }
    if (s->flags & HF_TS) {
        gen_exception(s, EXCP_NM);
        return false;
    }
    if (cls != SIMD_SSE) {
        /* MMX instructions deliver a pending x87 exception first (#MF). */
        IR_CALL(s->f, helper_fwait, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    }
    return true;
}

void simd_enter_mmx(DisasContext *s)
{
    IR_CALL(s->f, helper_enter_mmx, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
            IR_NO_TEMP, ENV(s));
}

void simd_mmx_written(DisasContext *s, unsigned r)
{
    ir_st16_i64(s->f, ir_const_i64(s->f, 0xffff), ir_env(s->f),
                simd_mmx_off(r) + (intptr_t)offsetof(FPReg, d.se));
}

IRvPtr simd_ptr(DisasContext *s, intptr_t off)
{
    IRvPtr p = ir_temp_ptr(s->f);

    ir_addi_ptr(s->f, p, ir_env(s->f), off);
    return p;
}

void simd_copy(DisasContext *s, intptr_t dst, intptr_t src, unsigned size)
{
    IRvPtr env = ir_env(s->f);
    IRv64 v = ir_temp_i64(s->f);

    if (size == 4) {
        ir_ld32u_i64(s->f, v, env, src);
        ir_st32_i64(s->f, v, env, dst);
    } else {
        /* 16 bytes: both halves are read before either is written (dst may be src). */
        IRv64 hi = ir_temp_i64(s->f);
        ir_ld_i64(s->f, v, env, src);
        if (size == 16) {
            ir_ld_i64(s->f, hi, env, src + 8);
        }
        ir_st_i64(s->f, v, env, dst);
        if (size == 16) {
            ir_st_i64(s->f, hi, env, dst + 8);
        }
        ir_temp_free(s->f, IRT(hi));
    }
    ir_temp_free(s->f, IRT(v));
}

void simd_zero(DisasContext *s, intptr_t off, unsigned size)
{
    IRv64 z = ir_const_i64(s->f, 0);
    IRvPtr env = ir_env(s->f);

    if (size == 4) {
        ir_st32_i64(s->f, z, env, off);
        return;
    }
    for (unsigned i = 0; i < size; i += 8) {
        ir_st_i64(s->f, z, env, off + (intptr_t)i);
    }
}

IRv64 simd_mem_addr(DisasContext *s, const DecodedInsn *d, unsigned size)
{
    IRv64 la = gen_lea_mem(s, d, size);
    const X86InsnInfo *info = x86_insn_info(d->id);

    if (size >= 16 && info && (info->attrs & X86_A_ALN)) {
        /*
         * The instruction's first access (simd_ld_mem/simd_st_mem at la) carries the check:
         * a misaligned address misses the inline TLB and the softmmu hook raises #GP(0).
         */
        s->next_align16 = IR_MO_ALIGN_16;
    }
    return la;
}

/* Address of the second 8 bytes of a 16-byte access (wrapping like the first). */
static IRv64 simd_addr_hi(DisasContext *s, IRv64 la)
{
    IRv64 a = ir_temp_i64(s->f);

    ir_addi_i64(s->f, a, la, 8);
    if (!s->code64) {
        ir_ext32u_i64(s->f, a, a);
    }
    return a;
}

void simd_ld_mem(DisasContext *s, IRv64 la, unsigned size, intptr_t off)
{
    IRvPtr env = ir_env(s->f);
    IRv64 v = ir_temp_i64(s->f);

    if (size == 4) {
        gen_ld(s, MO_32, v, la);
        ir_st32_i64(s->f, v, env, off);
    } else if (size == 8) {
        gen_ld(s, MO_64, v, la);
        ir_st_i64(s->f, v, env, off);
    } else {
        /* Both halves are loaded before env changes: a fault on either leaves it intact. */
        IRv64 a2 = simd_addr_hi(s, la);
        IRv64 hi = ir_temp_i64(s->f);
        gen_ld(s, MO_64, v, la);
        gen_ld(s, MO_64, hi, a2);
        ir_st_i64(s->f, v, env, off);
        ir_st_i64(s->f, hi, env, off + 8);
        ir_temp_free(s->f, IRT(hi));
        ir_temp_free(s->f, IRT(a2));
    }
    ir_temp_free(s->f, IRT(v));
}

void simd_st_mem(DisasContext *s, IRv64 la, unsigned size, intptr_t off)
{
    IRvPtr env = ir_env(s->f);
    IRv64 v = ir_temp_i64(s->f);

    if (size == 4) {
        ir_ld32u_i64(s->f, v, env, off);
        gen_st(s, MO_32, v, la);
    } else {
        ir_ld_i64(s->f, v, env, off);
        gen_st(s, MO_64, v, la);
        if (size == 16) {
            IRv64 a2 = simd_addr_hi(s, la);
            ir_ld_i64(s->f, v, env, off + 8);
            gen_st(s, MO_64, v, a2);
            ir_temp_free(s->f, IRT(a2));
        }
    }
    ir_temp_free(s->f, IRT(v));
}

intptr_t simd_reg_off(const DecodedInsn *d, int n)
{
    switch (d->op[n].kind) {
    case X86_OPK_XMM:
        return simd_xmm_off(d->op[n].reg);
    case X86_OPK_MMX:
        return simd_mmx_off(d->op[n].reg);
    default:
        return -1;
    }
}

intptr_t simd_src_off(DisasContext *s, const DecodedInsn *d, int n)
{
    unsigned size = d->op[n].size;
    IRv64 la;

    if (d->op[n].kind != X86_OPK_MEM) {
        return simd_reg_off(d, n);
    }
    size = size <= 4 ? 4 : size <= 8 ? 8 : 16;
    la = simd_mem_addr(s, d, size);
    simd_ld_mem(s, la, size, SIMD_TMP_OFF);
    ir_temp_free(s->f, IRT(la));
    return SIMD_TMP_OFF;
}

static unsigned call_flags(bool may_fault)
{
    return may_fault ? IR_CALL_NO_WRITE_GLOBALS
                     : IR_CALL_NO_WRITE_GLOBALS | IR_CALL_NO_READ_GLOBALS;
}

void simd_call2(DisasContext *s, IRHelper fn, intptr_t d_off, intptr_t s_off, bool may_fault)
{
    IRvPtr pd = simd_ptr(s, d_off), ps = simd_ptr(s, s_off);

    ir_call(s->f, fn, call_flags(may_fault), IR_NO_TEMP, 3,
            (IRTemp[]){ ENV(s), IRT(pd), IRT(ps) });
    ir_temp_free(s->f, IRT(pd));
    ir_temp_free(s->f, IRT(ps));
}

void simd_call2i(DisasContext *s, IRHelper fn, intptr_t d_off, intptr_t s_off, uint32_t imm,
                 bool may_fault)
{
    IRvPtr pd = simd_ptr(s, d_off), ps = simd_ptr(s, s_off);

    ir_call(s->f, fn, call_flags(may_fault), IR_NO_TEMP, 4,
            (IRTemp[]){ ENV(s), IRT(pd), IRT(ps), c32(s, imm) });
    ir_temp_free(s->f, IRT(pd));
    ir_temp_free(s->f, IRT(ps));
}

/* ---- 128-bit moves ---- */

/* MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU/LDDQU/MOVNT*: whole-register moves. */
bool simd_gen_mov128(DisasContext *s, const DecodedInsn *d)
{
    intptr_t dst = simd_reg_off(d, 0), src = simd_reg_off(d, 1);
    IRv64 la;

    if (dst < 0 && src < 0) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    if (dst >= 0 && src >= 0) {
        simd_copy(s, dst, src, 16);
        return true;
    }
    la = simd_mem_addr(s, d, 16);
    if (dst >= 0) {
        simd_ld_mem(s, la, 16, dst);
    } else {
        simd_st_mem(s, la, 16, src);
    }
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(movups) { return simd_gen_mov128(s, d); }
TRANS(movupd) { return simd_gen_mov128(s, d); }
TRANS(movaps) { return simd_gen_mov128(s, d); }
TRANS(movapd) { return simd_gen_mov128(s, d); }
TRANS(movntps) { return simd_gen_mov128(s, d); }
TRANS(movntpd) { return simd_gen_mov128(s, d); }
TRANS(lddqu) { return simd_gen_mov128(s, d); }

/* ---- partial moves ---- */

/*
 * MOVSS/MOVSD: a load from memory zeroes the rest of the register, a register-to-register
 * move keeps it, a store writes only the scalar.
 */
static bool gen_movs(DisasContext *s, const DecodedInsn *d, unsigned size)
{
    intptr_t dst = simd_reg_off(d, 0), src = simd_reg_off(d, 1);
    IRv64 la;

    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    if (dst >= 0 && src >= 0) {
        simd_copy(s, dst, src, size);
        return true;
    }
    la = simd_mem_addr(s, d, size);
    if (dst >= 0) {
        simd_ld_mem(s, la, size, dst);
        simd_zero(s, dst + (intptr_t)size, size == 4 ? 4 : 8);
        if (size == 4) {
            simd_zero(s, dst + 8, 8);
        }
    } else {
        simd_st_mem(s, la, size, src);
    }
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(movss) { return gen_movs(s, d, 4); }
TRANS(movsd) { return gen_movs(s, d, 8); }

/*
 * One quadword between memory or a register half and a register half.  dst_hi/src_hi say
 * which half of an XMM register operand takes part (MOVHPS/MOVHLPS/MOVLHPS).
 */
static bool gen_movhl(DisasContext *s, const DecodedInsn *d, bool dst_hi, bool src_hi)
{
    intptr_t dst = simd_reg_off(d, 0), src = simd_reg_off(d, 1);
    IRv64 la;

    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    if (dst >= 0) {
        dst += dst_hi ? 8 : 0;
    }
    if (src >= 0) {
        src += src_hi ? 8 : 0;
    }
    if (dst >= 0 && src >= 0) {
        simd_copy(s, dst, src, 8);
        return true;
    }
    la = simd_mem_addr(s, d, 8);
    if (dst >= 0) {
        simd_ld_mem(s, la, 8, dst);
    } else {
        simd_st_mem(s, la, 8, src);
    }
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(movlps) { return gen_movhl(s, d, false, false); }
TRANS(movlpd) { return gen_movhl(s, d, false, false); }
TRANS(movhps) { return gen_movhl(s, d, true, true); }
TRANS(movhpd) { return gen_movhl(s, d, true, true); }
TRANS(movhlps) { return gen_movhl(s, d, false, true); }
TRANS(movlhps) { return gen_movhl(s, d, true, false); }

/* ---- two-operand helpers: d = op(d, s) ---- */

static bool gen_sse2(DisasContext *s, const DecodedInsn *d, IRHelper fn, bool may_fault)
{
    intptr_t dst = simd_reg_off(d, 0), src;

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    simd_call2(s, fn, dst, src, may_fault);
    return true;
}

static bool gen_sse2i(DisasContext *s, const DecodedInsn *d, IRHelper fn, bool may_fault)
{
    intptr_t dst = simd_reg_off(d, 0), src;

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    simd_call2i(s, fn, dst, src, (uint32_t)d->op[2].imm & 0xff, may_fault);
    return true;
}

#define SSE_FP(name) \
    TRANS(name) { return gen_sse2(s, d, (IRHelper)helper_##name, true); }
#define SSE_FP4(op) SSE_FP(op##ps) SSE_FP(op##pd) SSE_FP(op##ss) SSE_FP(op##sd)

SSE_FP4(add)
SSE_FP4(sub)
SSE_FP4(mul)
SSE_FP4(div)
SSE_FP4(min)
SSE_FP4(max)
SSE_FP4(sqrt)
SSE_FP(rcpps)
SSE_FP(rcpss)
SSE_FP(rsqrtps)
SSE_FP(rsqrtss)
SSE_FP(addsubps)
SSE_FP(addsubpd)
SSE_FP(haddps)
SSE_FP(haddpd)
SSE_FP(hsubps)
SSE_FP(hsubpd)
SSE_FP(cvtps2pd)
SSE_FP(cvtpd2ps)
SSE_FP(cvtss2sd)
SSE_FP(cvtsd2ss)
SSE_FP(cvtdq2ps)
SSE_FP(cvtps2dq)
SSE_FP(cvttps2dq)
SSE_FP(cvtdq2pd)
SSE_FP(cvtpd2dq)
SSE_FP(cvttpd2dq)

/* Bitwise logic and unpacks on packed floats are the integer operations. */
TRANS(andps) { return gen_sse2(s, d, (IRHelper)helper_pand_xmm, false); }
TRANS(andpd) { return gen_sse2(s, d, (IRHelper)helper_pand_xmm, false); }
TRANS(andnps) { return gen_sse2(s, d, (IRHelper)helper_pandn_xmm, false); }
TRANS(andnpd) { return gen_sse2(s, d, (IRHelper)helper_pandn_xmm, false); }
TRANS(orps) { return gen_sse2(s, d, (IRHelper)helper_por_xmm, false); }
TRANS(orpd) { return gen_sse2(s, d, (IRHelper)helper_por_xmm, false); }
TRANS(xorps) { return gen_sse2(s, d, (IRHelper)helper_pxor_xmm, false); }
TRANS(xorpd) { return gen_sse2(s, d, (IRHelper)helper_pxor_xmm, false); }
TRANS(unpcklps) { return gen_sse2(s, d, (IRHelper)helper_punpckldq_xmm, false); }
TRANS(unpcklpd) { return gen_sse2(s, d, (IRHelper)helper_punpcklqdq_xmm, false); }
TRANS(unpckhps) { return gen_sse2(s, d, (IRHelper)helper_punpckhdq_xmm, false); }
TRANS(unpckhpd) { return gen_sse2(s, d, (IRHelper)helper_punpckhqdq_xmm, false); }

TRANS(movsldup) { return gen_sse2(s, d, (IRHelper)helper_movsldup, false); }
TRANS(movshdup) { return gen_sse2(s, d, (IRHelper)helper_movshdup, false); }
TRANS(movddup) { return gen_sse2(s, d, (IRHelper)helper_movddup, false); }

TRANS(cmpps) { return gen_sse2i(s, d, (IRHelper)helper_cmpps, true); }
TRANS(cmppd) { return gen_sse2i(s, d, (IRHelper)helper_cmppd, true); }
TRANS(cmpss) { return gen_sse2i(s, d, (IRHelper)helper_cmpss, true); }
TRANS(cmpsd) { return gen_sse2i(s, d, (IRHelper)helper_cmpsd, true); }
TRANS(shufps) { return gen_sse2i(s, d, (IRHelper)helper_shufps, false); }
TRANS(shufpd) { return gen_sse2i(s, d, (IRHelper)helper_shufpd, false); }

/* ---- compares into EFLAGS ---- */

static bool gen_comi(DisasContext *s, const DecodedInsn *d, IRHelper fn, bool quiet)
{
    intptr_t dst = simd_reg_off(d, 0), src;
    IRvPtr pd, ps;

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    pd = simd_ptr(s, dst);
    ps = simd_ptr(s, src);
    gen_update_cc_op(s);
    /* The helper writes cc_src/cc_op in env: a call that may write globals. */
    ir_call(s->f, fn, 0, IR_NO_TEMP, 4, (IRTemp[]){ ENV(s), IRT(pd), IRT(ps), c32(s, quiet) });
    ir_temp_free(s->f, IRT(pd));
    ir_temp_free(s->f, IRT(ps));
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    return true;
}

TRANS(comiss) { return gen_comi(s, d, (IRHelper)helper_comiss, false); }
TRANS(ucomiss) { return gen_comi(s, d, (IRHelper)helper_comiss, true); }
TRANS(comisd) { return gen_comi(s, d, (IRHelper)helper_comisd, false); }
TRANS(ucomisd) { return gen_comi(s, d, (IRHelper)helper_comisd, true); }

/* ---- conversions with MMX registers and general registers ---- */

/*
 * CVTPI2PS/CVTPI2PD xmm, mm/m64: only an MMX register source makes the x87 -> MMX
 * transition (and checks for a pending #MF); a memory source leaves the x87 state alone,
 * as the hardware does.
 */
static bool gen_cvtpi2(DisasContext *s, const DecodedInsn *d, IRHelper fn)
{
    intptr_t dst = simd_reg_off(d, 0), src;
    bool mmx = simd_is_mmx(d, 1);

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, mmx ? SIMD_SSE_MMX : SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    if (mmx) {
        /* The transition comes before the conversion's #XM, as for CVT(T)PS2PI below. */
        simd_enter_mmx(s);
    }
    simd_call2(s, fn, dst, src, true);
    return true;
}

TRANS(cvtpi2ps) { return gen_cvtpi2(s, d, (IRHelper)helper_cvtpi2ps); }
TRANS(cvtpi2pd) { return gen_cvtpi2(s, d, (IRHelper)helper_cvtpi2pd); }

/*
 * CVT(T)PS2PI/CVT(T)PD2PI mm, xmm/mem.  The order of events is the host CPU's: a pending
 * x87 exception (#MF) first, then the memory operand (#GP/#PF: no transition), then the
 * x87 -> MMX transition, and only then the conversion, whose unmasked SSE exception (#XM)
 * therefore finds TOP = 0 and all tags valid.
 */
static bool gen_cvt2pi(DisasContext *s, const DecodedInsn *d, IRHelper fn)
{
    intptr_t src;

    if (!simd_is_mmx(d, 0)) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE_MMX)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    simd_enter_mmx(s);
    simd_call2(s, fn, simd_mmx_off(d->op[0].reg), src, true);
    simd_mmx_written(s, d->op[0].reg);
    return true;
}

TRANS(cvtps2pi) { return gen_cvt2pi(s, d, (IRHelper)helper_cvtps2pi); }
TRANS(cvttps2pi) { return gen_cvt2pi(s, d, (IRHelper)helper_cvttps2pi); }
TRANS(cvtpd2pi) { return gen_cvt2pi(s, d, (IRHelper)helper_cvtpd2pi); }
TRANS(cvttpd2pi) { return gen_cvt2pi(s, d, (IRHelper)helper_cvttpd2pi); }

/* CVTSI2SS/CVTSI2SD xmm, r/m32 or r/m64 (REX.W). */
static bool gen_cvtsi2(DisasContext *s, const DecodedInsn *d, IRHelper fn)
{
    intptr_t dst = simd_reg_off(d, 0);
    bool w64 = d->op[1].size == 8;
    IRv64 v;
    IRvPtr pd;

    if (dst < 0) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    gen_load_operand(s, d, 1, v, NULL);
    if (!w64) {
        ir_ext32s_i64(s->f, v, v);
    }
    pd = simd_ptr(s, dst);
    ir_call(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, 4,
            (IRTemp[]){ ENV(s), IRT(pd), IRT(v), c32(s, w64) });
    ir_temp_free(s->f, IRT(pd));
    ir_temp_free(s->f, IRT(v));
    return true;
}

TRANS(cvtsi2ss) { return gen_cvtsi2(s, d, (IRHelper)helper_cvtsi2ss); }
TRANS(cvtsi2sd) { return gen_cvtsi2(s, d, (IRHelper)helper_cvtsi2sd); }

/* CVT(T)SS2SI/CVT(T)SD2SI r32/r64, xmm/mem. */
static bool gen_cvt2si(DisasContext *s, const DecodedInsn *d, IRHelper fn)
{
    bool w64 = d->op[0].size == 8;
    intptr_t src;
    IRv64 v;
    IRvPtr ps;

    if (d->op[0].kind != X86_OPK_GPR) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    src = simd_src_off(s, d, 1);
    ps = simd_ptr(s, src);
    v = ir_temp_i64(s->f);
    ir_call(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IRT(v), 3,
            (IRTemp[]){ ENV(s), IRT(ps), c32(s, w64) });
    gen_set_reg(s, w64 ? MO_64 : MO_32, d->op[0].reg, false, v);
    ir_temp_free(s->f, IRT(ps));
    ir_temp_free(s->f, IRT(v));
    return true;
}

TRANS(cvtss2si) { return gen_cvt2si(s, d, (IRHelper)helper_cvtss2si); }
TRANS(cvttss2si) { return gen_cvt2si(s, d, (IRHelper)helper_cvttss2si); }
TRANS(cvtsd2si) { return gen_cvt2si(s, d, (IRHelper)helper_cvtsd2si); }
TRANS(cvttsd2si) { return gen_cvt2si(s, d, (IRHelper)helper_cvttsd2si); }

/* MOVMSKPS/MOVMSKPD r32/r64, xmm: the sign bits, zero-extended. */
static bool gen_movmsk(DisasContext *s, const DecodedInsn *d, IRHelper fn)
{
    intptr_t src = simd_reg_off(d, 1);
    IRvPtr ps;
    IRv64 v;

    if (src < 0 || d->op[0].kind != X86_OPK_GPR) {
        return false;
    }
    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    ps = simd_ptr(s, src);
    v = ir_temp_i64(s->f);
    ir_call(s->f, fn, call_flags(false), IRT(v), 2, (IRTemp[]){ ENV(s), IRT(ps) });
    gen_set_reg(s, MO_32, d->op[0].reg, false, v);
    ir_temp_free(s->f, IRT(ps));
    ir_temp_free(s->f, IRT(v));
    return true;
}

TRANS(movmskps) { return gen_movmsk(s, d, (IRHelper)helper_movmskps); }
TRANS(movmskpd) { return gen_movmsk(s, d, (IRHelper)helper_movmskpd); }

/* ---- MXCSR and the FXSAVE area (0F AE /0-/3) ---- */

TRANS(ldmxcsr)
{
    IRv64 la, v;

    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    la = gen_lea_mem(s, d, 4);
    v = ir_temp_i64(s->f);
    gen_ld(s, MO_32, v, la);
    IR_CALL(s->f, helper_ldmxcsr, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(v));
    ir_temp_free(s->f, IRT(v));
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(stmxcsr)
{
    IRv64 la, v;

    if (!simd_begin(s, SIMD_SSE)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    IR_CALL(s->f, helper_stmxcsr, call_flags(false), IRT(v), ENV(s));
    la = gen_lea_mem(s, d, 4);
    gen_st(s, MO_32, v, la);
    ir_temp_free(s->f, IRT(v));
    ir_temp_free(s->f, IRT(la));
    return true;
}

typedef void (*FxFn)(CPUX86State *env, uint64_t addr, uint32_t flags);

/* FXSAVE/FXRSTOR: #NM with CR0.TS or CR0.EM; the helper checks alignment and MXCSR. */
static bool gen_fx(DisasContext *s, const DecodedInsn *d, FxFn fn)
{
    uint32_t flags = ((d->rex & X86_REX_W) ? FXSAVE_REXW : 0) |
                     (s->code64 ? FXSAVE_LONG64 : 0);
    IRv64 la;

    if (s->flags & (HF_EM | HF_TS)) {
        gen_exception(s, EXCP_NM);
        return true;
    }
    la = gen_lea_mem(s, d, 512);
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(la), c32(s, flags));
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(fxsave) { return gen_fx(s, d, helper_fxsave); }
TRANS(fxrstor) { return gen_fx(s, d, helper_fxrstor); }
