/*
 * MMX/SSE/SSE2/SSE3/SSSE3 helpers (sse_helper_int.c, sse_helper_fp.c).
 *
 * Register operands are passed as pointers into env (env->xmm[i], env->fpregs[i].mmx); a
 * memory source is first loaded by the translator into env->simd_tmp.  Helpers work on
 * copies, so the destination may alias the source.  An MMX helper that writes an MMX
 * register also sets that register's exponent field to all ones (SDM vol. 1, 9.5.1).
 * Lanes use the host's little-endian layout of XMMReg.
 */
#ifndef CPU_X86_SSE_HELPER_H
#define CPU_X86_SSE_HELPER_H

#include "cpu/x86/cpu.h"

/* d = d op s, on MMX (8 bytes) and XMM (16 bytes). */
#define SSE_INT_BINOPS(X)                                                                   \
    X(paddb) X(paddw) X(paddd) X(paddq) X(psubb) X(psubw) X(psubd) X(psubq)                \
    X(paddsb) X(paddsw) X(paddusb) X(paddusw) X(psubsb) X(psubsw) X(psubusb) X(psubusw)    \
    X(pmullw) X(pmulhw) X(pmulhuw) X(pmuludq) X(pmaddwd) X(psadbw) X(pavgb) X(pavgw)       \
    X(pminub) X(pmaxub) X(pminsw) X(pmaxsw)                                                \
    X(pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(pcmpgtb) X(pcmpgtw) X(pcmpgtd)                      \
    X(pand) X(pandn) X(por) X(pxor)                                                        \
    X(packsswb) X(packssdw) X(packuswb)                                                    \
    X(punpcklbw) X(punpcklwd) X(punpckldq) X(punpcklqdq)                                   \
    X(punpckhbw) X(punpckhwd) X(punpckhdq) X(punpckhqdq)                                   \
    X(psllw) X(pslld) X(psllq) X(psrlw) X(psrld) X(psrlq) X(psraw) X(psrad)                \
    X(pshufb) X(phaddw) X(phaddd) X(phaddsw) X(phsubw) X(phsubd) X(phsubsw)                \
    X(pabsb) X(pabsw) X(pabsd) X(psignb) X(psignw) X(psignd) X(pmulhrsw) X(pmaddubsw)

#define SSE_DECL_INT_(name)                                                          \
    void helper_##name##_mmx(CPUX86State *env, uint64_t *d, const uint64_t *s);     \
    void helper_##name##_xmm(CPUX86State *env, XMMReg *d, const XMMReg *s);
SSE_INT_BINOPS(SSE_DECL_INT_)
#undef SSE_DECL_INT_

/*
 * The shifts take the count from the low 64 bits of s: the translator stages an immediate
 * count in env->simd_tmp.  PABS* ignore d's old value.
 */

/* Byte-array cores, n = 8 or 16: the test compares these against the host. */
typedef void (*SseIntOp)(uint8_t *d, const uint8_t *s, unsigned n);
SseIntOp sse_int_op_lookup(const char *name);

void helper_palignr_mmx(CPUX86State *env, uint64_t *d, const uint64_t *s, uint32_t imm);
void helper_palignr_xmm(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_pshufw(CPUX86State *env, uint64_t *d, const uint64_t *s, uint32_t imm);
void helper_pshufd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_pshuflw(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_pshufhw(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_pslldq(CPUX86State *env, XMMReg *d, uint32_t count);
void helper_psrldq(CPUX86State *env, XMMReg *d, uint32_t count);
void helper_pinsrw_mmx(CPUX86State *env, uint64_t *d, uint32_t val, uint32_t imm);
void helper_pinsrw_xmm(CPUX86State *env, XMMReg *d, uint32_t val, uint32_t imm);
uint32_t helper_pextrw_mmx(CPUX86State *env, const uint64_t *s, uint32_t imm);
uint32_t helper_pextrw_xmm(CPUX86State *env, const XMMReg *s, uint32_t imm);
uint32_t helper_pmovmskb_mmx(CPUX86State *env, const uint64_t *s);
uint32_t helper_pmovmskb_xmm(CPUX86State *env, const XMMReg *s);
uint32_t helper_movmskps(CPUX86State *env, const XMMReg *s);
uint32_t helper_movmskpd(CPUX86State *env, const XMMReg *s);
/* MASKMOVQ/MASKMOVDQU: bytes of d whose mask byte has bit 7 set go to addr (linear). */
void helper_maskmovq(CPUX86State *env, const uint64_t *d, const uint64_t *mask, uint64_t addr);
void helper_maskmovdqu(CPUX86State *env, const XMMReg *d, const XMMReg *mask, uint64_t addr);
/* SSE3 moves with a shuffle. */
void helper_movddup(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_movshdup(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_movsldup(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_shufps(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_shufpd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
/* Load/store pieces with #GP on a misaligned 16-byte access (MOVAPS, MOVDQA, ...). */

/* ---- floating point (sse_helper_fp.c) ---- */

/* d = d op s: packed (ps, pd) and scalar (ss, sd, upper part of d kept). */
#define SSE_FP_BINOPS(X)                                                                    \
    X(add) X(sub) X(mul) X(div) X(min) X(max)

#define SSE_DECL_FP_(op)                                                              \
    void helper_##op##ps(CPUX86State *env, XMMReg *d, const XMMReg *s);              \
    void helper_##op##pd(CPUX86State *env, XMMReg *d, const XMMReg *s);              \
    void helper_##op##ss(CPUX86State *env, XMMReg *d, const XMMReg *s);              \
    void helper_##op##sd(CPUX86State *env, XMMReg *d, const XMMReg *s);
SSE_FP_BINOPS(SSE_DECL_FP_)
#undef SSE_DECL_FP_

void helper_sqrtps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_sqrtpd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_sqrtss(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_sqrtsd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_rcpps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_rcpss(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_rsqrtps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_rsqrtss(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_addsubps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_addsubpd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_haddps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_haddpd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_hsubps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_hsubpd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cmpps(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_cmppd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_cmpss(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
void helper_cmpsd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm);
/* COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF, OF SF AF cleared, via cc_op = CC_OP_EFLAGS. */
void helper_comiss(CPUX86State *env, const XMMReg *d, const XMMReg *s, uint32_t quiet);
void helper_comisd(CPUX86State *env, const XMMReg *d, const XMMReg *s, uint32_t quiet);

/* Conversions.  "pi" forms read/write an MMX register or m64 through a uint64_t. */
void helper_cvtps2pd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtpd2ps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtss2sd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtsd2ss(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtdq2ps(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtps2dq(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvttps2dq(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtdq2pd(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtpd2dq(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvttpd2dq(CPUX86State *env, XMMReg *d, const XMMReg *s);
void helper_cvtpi2ps(CPUX86State *env, XMMReg *d, const uint64_t *s);
void helper_cvtpi2pd(CPUX86State *env, XMMReg *d, const uint64_t *s);
void helper_cvtps2pi(CPUX86State *env, uint64_t *d, const XMMReg *s);
void helper_cvttps2pi(CPUX86State *env, uint64_t *d, const XMMReg *s);
void helper_cvtpd2pi(CPUX86State *env, uint64_t *d, const XMMReg *s);
void helper_cvttpd2pi(CPUX86State *env, uint64_t *d, const XMMReg *s);
/* CVTSI2SS/SD: val is the (sign-extended) integer, w64 = 64-bit source. */
void helper_cvtsi2ss(CPUX86State *env, XMMReg *d, uint64_t val, uint32_t w64);
void helper_cvtsi2sd(CPUX86State *env, XMMReg *d, uint64_t val, uint32_t w64);
/* CVT(T)SS2SI/CVT(T)SD2SI: the integer, zero-extended from 32 bits unless w64. */
uint64_t helper_cvtss2si(CPUX86State *env, const XMMReg *s, uint32_t w64);
uint64_t helper_cvttss2si(CPUX86State *env, const XMMReg *s, uint32_t w64);
uint64_t helper_cvtsd2si(CPUX86State *env, const XMMReg *s, uint32_t w64);
uint64_t helper_cvttsd2si(CPUX86State *env, const XMMReg *s, uint32_t w64);

#endif
