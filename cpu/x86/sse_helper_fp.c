/*
 * SSE/SSE2/SSE3 floating-point helpers: arithmetic, comparisons and conversions with MXCSR
 * flags and SIMD floating-point exceptions (SDM vol. 1, 11.5).
 *
 * Every instruction computes into a temporary with a copy of sse_status, then decides as the
 * SDM says (11.5.1): if an unmasked invalid, denormal or zero-divide was raised anywhere in
 * the instruction, only those flags are recorded; otherwise every raised flag is.  Any
 * unmasked flag then faults (#XM with CR4.OSXMMEXCPT, else #UD) and the destination keeps
 * its value; with none, the result is written.
 */
#include "cpu/x86/sse_helper.h"
#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/helper.h"

#include <string.h>

#define PRE_FLAGS (FLOAT_FLAG_INVALID | FLOAT_FLAG_DENORMAL | FLOAT_FLAG_DIVBYZERO)

static FloatStatus sse_begin(const CPUX86State *env)
{
    FloatStatus s = env->sse_status;

    s.flags = 0;
    s.rounded_up = false;
    return s;
}

/* Record the flags of s in MXCSR; faults (never returns) when one is unmasked. */
static void sse_finish(CPUX86State *env, const FloatStatus *s)
{
    unsigned flags = s->flags & FLOAT_FLAGS_ALL;
    unsigned unmasked = flags & ~(env->mxcsr >> 7) & FLOAT_FLAGS_ALL;

    if (unmasked & PRE_FLAGS) {
        env->mxcsr |= flags & PRE_FLAGS;
    } else {
        env->mxcsr |= flags;
    }
    if (unmasked) {
        x86_raise_exception(env, (env->cr[4] & CR4_OSXMMEXCPT) ? EXCP_XM : EXCP_UD);
    }
}

typedef float32 (*F32Bin)(float32, float32, FloatStatus *);
typedef float64 (*F64Bin)(float64, float64, FloatStatus *);

static void ps_binop(CPUX86State *env, XMMReg *d, const XMMReg *s, F32Bin fn, unsigned n)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < n; i++) {
        r.l[i] = fn(r.l[i], b.l[i], &st);
    }
    sse_finish(env, &st);
    *d = r;
}

static void pd_binop(CPUX86State *env, XMMReg *d, const XMMReg *s, F64Bin fn, unsigned n)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < n; i++) {
        r.q[i] = fn(r.q[i], b.q[i], &st);
    }
    sse_finish(env, &st);
    *d = r;
}

#define SSE_DEF_FP_(op)                                                               \
    void helper_##op##ps(CPUX86State *env, XMMReg *d, const XMMReg *s)               \
    {                                                                                 \
        ps_binop(env, d, s, float32_##op, 4);                                         \
    }                                                                                 \
    void helper_##op##pd(CPUX86State *env, XMMReg *d, const XMMReg *s)               \
    {                                                                                 \
        pd_binop(env, d, s, float64_##op, 2);                                         \
    }                                                                                 \
    void helper_##op##ss(CPUX86State *env, XMMReg *d, const XMMReg *s)               \
    {                                                                                 \
        ps_binop(env, d, s, float32_##op, 1);                                         \
    }                                                                                 \
    void helper_##op##sd(CPUX86State *env, XMMReg *d, const XMMReg *s)               \
    {                                                                                 \
        pd_binop(env, d, s, float64_##op, 1);                                         \
    }
SSE_FP_BINOPS(SSE_DEF_FP_)
#undef SSE_DEF_FP_

/* ---- square root and the approximations ---- */

static void ps_sqrt(CPUX86State *env, XMMReg *d, const XMMReg *s, unsigned n)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < n; i++) {
        r.l[i] = float32_sqrt(b.l[i], &st);
    }
    sse_finish(env, &st);
    *d = r;
}

static void pd_sqrt(CPUX86State *env, XMMReg *d, const XMMReg *s, unsigned n)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < n; i++) {
        r.q[i] = float64_sqrt(b.q[i], &st);
    }
    sse_finish(env, &st);
    *d = r;
}

void helper_sqrtps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    ps_sqrt(env, d, s, 4);
}

void helper_sqrtpd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    pd_sqrt(env, d, s, 2);
}

void helper_sqrtss(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    ps_sqrt(env, d, s, 1);
}

void helper_sqrtsd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    pd_sqrt(env, d, s, 1);
}

/*
 * RCPPS/RSQRTPS raise no exceptions and have a relative error of at most 1.5 * 2^-12; we
 * deliver the correctly rounded value, which is within that bound.  Denormal inputs count
 * as zeros (giving infinity) and tiny results flush to zero, as on hardware.
 */
static float32 approx(float32 a, bool rsqrt)
{
    FloatStatus st = float_status_default();
    bool sign = a >> 31;
    unsigned exp = (a >> 23) & 0xff;

    if (exp == 0) {
        /* Zero or denormal: signed infinity (RSQRT of -0 is -inf too). */
        return (a & 0x80000000u) | 0x7f800000u;
    }
    if (float32_is_nan(a)) {
        return a | 0x00400000u;
    }
    if (rsqrt) {
        if (sign) {
            return FLOAT32_DEFAULT_NAN;
        }
        st.flush_to_zero = true;
        return float32_div(0x3f800000u, float32_sqrt(a, &st), &st);
    }
    st.flush_to_zero = true;
    return float32_div(0x3f800000u, a, &st);
}

static void approx_op(XMMReg *d, const XMMReg *s, unsigned n, bool rsqrt)
{
    XMMReg b = *s;

    for (unsigned i = 0; i < n; i++) {
        d->l[i] = approx(b.l[i], rsqrt);
    }
}

void helper_rcpps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    (void)env;
    approx_op(d, s, 4, false);
}

void helper_rcpss(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    (void)env;
    approx_op(d, s, 1, false);
}

void helper_rsqrtps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    (void)env;
    approx_op(d, s, 4, true);
}

void helper_rsqrtss(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    (void)env;
    approx_op(d, s, 1, true);
}

/* ---- SSE3 ---- */

void helper_addsubps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < 4; i++) {
        r.l[i] = (i & 1) ? float32_add(r.l[i], b.l[i], &st) : float32_sub(r.l[i], b.l[i], &st);
    }
    sse_finish(env, &st);
    *d = r;
}

void helper_addsubpd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    r.q[0] = float64_sub(r.q[0], b.q[0], &st);
    r.q[1] = float64_add(r.q[1], b.q[1], &st);
    sse_finish(env, &st);
    *d = r;
}

static void hops(CPUX86State *env, XMMReg *d, const XMMReg *s, bool sub)
{
    FloatStatus st = sse_begin(env);
    XMMReg a = *d, b = *s, r;
    F32Bin fn = sub ? float32_sub : float32_add;

    r.l[0] = fn(a.l[0], a.l[1], &st);
    r.l[1] = fn(a.l[2], a.l[3], &st);
    r.l[2] = fn(b.l[0], b.l[1], &st);
    r.l[3] = fn(b.l[2], b.l[3], &st);
    sse_finish(env, &st);
    *d = r;
}

static void hopd(CPUX86State *env, XMMReg *d, const XMMReg *s, bool sub)
{
    FloatStatus st = sse_begin(env);
    XMMReg a = *d, b = *s, r;
    F64Bin fn = sub ? float64_sub : float64_add;

    r.q[0] = fn(a.q[0], a.q[1], &st);
    r.q[1] = fn(b.q[0], b.q[1], &st);
    sse_finish(env, &st);
    *d = r;
}

void helper_haddps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    hops(env, d, s, false);
}

void helper_haddpd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    hopd(env, d, s, false);
}

void helper_hsubps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    hops(env, d, s, true);
}

void helper_hsubpd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    hopd(env, d, s, true);
}

/* ---- comparisons ---- */

static void cmp_ps(CPUX86State *env, XMMReg *d, const XMMReg *s, unsigned imm, unsigned n)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < n; i++) {
        r.l[i] = float32_compare_predicate(r.l[i], b.l[i], imm & 7, &st) ? ~0u : 0;
    }
    sse_finish(env, &st);
    *d = r;
}

static void cmp_pd(CPUX86State *env, XMMReg *d, const XMMReg *s, unsigned imm, unsigned n)
{
    FloatStatus st = sse_begin(env);
    XMMReg r = *d, b = *s;

    for (unsigned i = 0; i < n; i++) {
        r.q[i] = float64_compare_predicate(r.q[i], b.q[i], imm & 7, &st) ? ~0ull : 0;
    }
    sse_finish(env, &st);
    *d = r;
}

void helper_cmpps(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    cmp_ps(env, d, s, imm, 4);
}

void helper_cmppd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    cmp_pd(env, d, s, imm, 2);
}

void helper_cmpss(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    cmp_ps(env, d, s, imm, 1);
}

void helper_cmpsd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    cmp_pd(env, d, s, imm, 1);
}

static void set_flags_relation(CPUX86State *env, FloatRelation rel)
{
    uint64_t f = 0;

    if (rel == FLOAT_RELATION_LESS) {
        f = X86_EFL_CF;
    } else if (rel == FLOAT_RELATION_EQUAL) {
        f = X86_EFL_ZF;
    } else if (rel == FLOAT_RELATION_UNORDERED) {
        f = X86_EFL_ZF | X86_EFL_PF | X86_EFL_CF;
    }
    env->cc_src = f;
    env->cc_op = CC_OP_EFLAGS;
}

void helper_comiss(CPUX86State *env, const XMMReg *d, const XMMReg *s, uint32_t quiet)
{
    FloatStatus st = sse_begin(env);
    FloatRelation rel = float32_compare(d->l[0], s->l[0], quiet, &st);

    sse_finish(env, &st);
    set_flags_relation(env, rel);
}

void helper_comisd(CPUX86State *env, const XMMReg *d, const XMMReg *s, uint32_t quiet)
{
    FloatStatus st = sse_begin(env);
    FloatRelation rel = float64_compare(d->q[0], s->q[0], quiet, &st);

    sse_finish(env, &st);
    set_flags_relation(env, rel);
}

/* ---- conversions ---- */

void helper_cvtps2pd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    XMMReg r, b = *s;

    r.q[0] = float32_to_float64(b.l[0], &st);
    r.q[1] = float32_to_float64(b.l[1], &st);
    sse_finish(env, &st);
    *d = r;
}

void helper_cvtpd2ps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    XMMReg r, b = *s;

    r.l[0] = float64_to_float32(b.q[0], &st);
    r.l[1] = float64_to_float32(b.q[1], &st);
    r.q[1] = 0;
    sse_finish(env, &st);
    *d = r;
}

void helper_cvtss2sd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    uint64_t r = float32_to_float64(s->l[0], &st);

    sse_finish(env, &st);
    d->q[0] = r;
}

void helper_cvtsd2ss(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    uint32_t r = float64_to_float32(s->q[0], &st);

    sse_finish(env, &st);
    d->l[0] = r;
}

void helper_cvtdq2ps(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    XMMReg r, b = *s;

    for (unsigned i = 0; i < 4; i++) {
        r.l[i] = int32_to_float32((int32_t)b.l[i], &st);
    }
    sse_finish(env, &st);
    *d = r;
}

static void ps2dq(CPUX86State *env, XMMReg *d, const XMMReg *s, bool trunc)
{
    FloatStatus st = sse_begin(env);
    XMMReg r, b = *s;

    for (unsigned i = 0; i < 4; i++) {
        r.l[i] = (uint32_t)(trunc ? float32_to_int32_round_to_zero(b.l[i], &st)
                                  : float32_to_int32(b.l[i], &st));
    }
    sse_finish(env, &st);
    *d = r;
}

void helper_cvtps2dq(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    ps2dq(env, d, s, false);
}

void helper_cvttps2dq(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    ps2dq(env, d, s, true);
}

void helper_cvtdq2pd(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    FloatStatus st = sse_begin(env);
    XMMReg r, b = *s;

    r.q[0] = int32_to_float64((int32_t)b.l[0], &st);
    r.q[1] = int32_to_float64((int32_t)b.l[1], &st);
    sse_finish(env, &st);
    *d = r;
}

static void pd2dq(CPUX86State *env, XMMReg *d, const XMMReg *s, bool trunc)
{
    FloatStatus st = sse_begin(env);
    XMMReg r, b = *s;

    for (unsigned i = 0; i < 2; i++) {
        r.l[i] = (uint32_t)(trunc ? float64_to_int32_round_to_zero(b.q[i], &st)
                                  : float64_to_int32(b.q[i], &st));
    }
    r.q[1] = 0;
    sse_finish(env, &st);
    *d = r;
}

void helper_cvtpd2dq(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    pd2dq(env, d, s, false);
}

void helper_cvttpd2dq(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    pd2dq(env, d, s, true);
}

void helper_cvtpi2ps(CPUX86State *env, XMMReg *d, const uint64_t *s)
{
    FloatStatus st = sse_begin(env);
    uint64_t v = *s;
    uint32_t lo = int32_to_float32((int32_t)v, &st);
    uint32_t hi = int32_to_float32((int32_t)(v >> 32), &st);

    sse_finish(env, &st);
    d->l[0] = lo;
    d->l[1] = hi;
}

void helper_cvtpi2pd(CPUX86State *env, XMMReg *d, const uint64_t *s)
{
    FloatStatus st = sse_begin(env);
    uint64_t v = *s;
    XMMReg r;

    r.q[0] = int32_to_float64((int32_t)v, &st);
    r.q[1] = int32_to_float64((int32_t)(v >> 32), &st);
    sse_finish(env, &st);
    *d = r;
}

/* The "pi" results go to an MMX register: its exponent field becomes all ones. */
static void mmx_store(CPUX86State *env, uint64_t *d, uint64_t v)
{
    uintptr_t p = (uintptr_t)d, base = (uintptr_t)env->fpregs;

    *d = v;
    if (p >= base && p < base + sizeof(env->fpregs)) {
        ((FPReg *)d)->d.se = 0xffff;
    }
}

static void ps2pi(CPUX86State *env, uint64_t *d, const XMMReg *s, bool trunc)
{
    FloatStatus st = sse_begin(env);
    uint32_t r[2];

    for (unsigned i = 0; i < 2; i++) {
        r[i] = (uint32_t)(trunc ? float32_to_int32_round_to_zero(s->l[i], &st)
                                : float32_to_int32(s->l[i], &st));
    }
    sse_finish(env, &st);
    mmx_store(env, d, r[0] | (uint64_t)r[1] << 32);
}

static void pd2pi(CPUX86State *env, uint64_t *d, const XMMReg *s, bool trunc)
{
    FloatStatus st = sse_begin(env);
    uint32_t r[2];

    for (unsigned i = 0; i < 2; i++) {
        r[i] = (uint32_t)(trunc ? float64_to_int32_round_to_zero(s->q[i], &st)
                                : float64_to_int32(s->q[i], &st));
    }
    sse_finish(env, &st);
    mmx_store(env, d, r[0] | (uint64_t)r[1] << 32);
}

void helper_cvtps2pi(CPUX86State *env, uint64_t *d, const XMMReg *s)
{
    ps2pi(env, d, s, false);
}

void helper_cvttps2pi(CPUX86State *env, uint64_t *d, const XMMReg *s)
{
    ps2pi(env, d, s, true);
}

void helper_cvtpd2pi(CPUX86State *env, uint64_t *d, const XMMReg *s)
{
    pd2pi(env, d, s, false);
}

void helper_cvttpd2pi(CPUX86State *env, uint64_t *d, const XMMReg *s)
{
    pd2pi(env, d, s, true);
}

void helper_cvtsi2ss(CPUX86State *env, XMMReg *d, uint64_t val, uint32_t w64)
{
    FloatStatus st = sse_begin(env);
    float32 r = w64 ? int64_to_float32((int64_t)val, &st) : int32_to_float32((int32_t)val, &st);

    sse_finish(env, &st);
    d->l[0] = r;
}

void helper_cvtsi2sd(CPUX86State *env, XMMReg *d, uint64_t val, uint32_t w64)
{
    FloatStatus st = sse_begin(env);
    float64 r = w64 ? int64_to_float64((int64_t)val, &st) : int32_to_float64((int32_t)val, &st);

    sse_finish(env, &st);
    d->q[0] = r;
}

uint64_t helper_cvtss2si(CPUX86State *env, const XMMReg *s, uint32_t w64)
{
    FloatStatus st = sse_begin(env);
    uint64_t r = w64 ? (uint64_t)float32_to_int64(s->l[0], &st)
                     : (uint32_t)float32_to_int32(s->l[0], &st);

    sse_finish(env, &st);
    return r;
}

uint64_t helper_cvttss2si(CPUX86State *env, const XMMReg *s, uint32_t w64)
{
    FloatStatus st = sse_begin(env);
    uint64_t r = w64 ? (uint64_t)float32_to_int64_round_to_zero(s->l[0], &st)
                     : (uint32_t)float32_to_int32_round_to_zero(s->l[0], &st);

    sse_finish(env, &st);
    return r;
}

uint64_t helper_cvtsd2si(CPUX86State *env, const XMMReg *s, uint32_t w64)
{
    FloatStatus st = sse_begin(env);
    uint64_t r = w64 ? (uint64_t)float64_to_int64(s->q[0], &st)
                     : (uint32_t)float64_to_int32(s->q[0], &st);

    sse_finish(env, &st);
    return r;
}

uint64_t helper_cvttsd2si(CPUX86State *env, const XMMReg *s, uint32_t w64)
{
    FloatStatus st = sse_begin(env);
    uint64_t r = w64 ? (uint64_t)float64_to_int64_round_to_zero(s->q[0], &st)
                     : (uint32_t)float64_to_int32_round_to_zero(s->q[0], &st);

    sse_finish(env, &st);
    return r;
}
