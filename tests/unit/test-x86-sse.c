/*
 * MMX/SSE/SSE2/SSE3/SSSE3 helpers on a bare CPUX86State: integer SIMD and floating point
 * against the host over random inputs (x86-64 hosts), MXCSR flags, SIMD FP exceptions,
 * COMISS flags, MXCSR reserved bits.
 */
#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/sse_helper.h"
#include "tests/unit/test.h"

#include <setjmp.h>
#include <string.h>

static CPUX86State env;

static void fresh(uint32_t mxcsr)
{
    memset(&env, 0, sizeof(env));
    env.exception_index = -1;
    env.cr[0] = CR0_PE | CR0_NE | CR0_ET;
    env.cr[4] = CR4_OSFXSR | CR4_OSXMMEXCPT;
    x87_reset(&env);
    env.mxcsr = mxcsr;
    sse_update_status(&env);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random bytes with a bias towards lane extremes, so saturation paths are hit. */
static void rnd_vec(uint8_t *p, unsigned n)
{
    static const uint8_t special[] = { 0x00, 0x7f, 0x80, 0xff, 0x01 };
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = rnd();
        p[i] = (r & 3) == 0 ? special[(r >> 2) % 5] : (uint8_t)(r >> 8);
    }
}

static void test_int_semantics(void)
{
    XMMReg d, s;

    fresh(MXCSR_DEFAULT);
    memset(&d, 0, sizeof(d));
    memset(&s, 0, sizeof(s));
    d.w[0] = 0x7ff0;
    s.w[0] = 0x0100;
    helper_paddsw_xmm(&env, &d, &s);
    CHECK_EQ(d.w[0], 0x7fff);
    d.b[0] = 5;
    s.b[0] = 9;
    helper_psubusb_xmm(&env, &d, &s);
    CHECK_EQ(d.b[0], 0);
    /* PSHUFB with a set bit 7 zeroes the byte. */
    for (int i = 0; i < 16; i++) {
        d.b[i] = (uint8_t)(0xa0 + i);
        s.b[i] = (uint8_t)(15 - i);
    }
    s.b[3] = 0x80;
    helper_pshufb_xmm(&env, &d, &s);
    CHECK_EQ(d.b[0], 0xaf);
    CHECK_EQ(d.b[3], 0);
    /* PALIGNR by 4 of d:s. */
    for (int i = 0; i < 16; i++) {
        d.b[i] = (uint8_t)(16 + i);
        s.b[i] = (uint8_t)i;
    }
    helper_palignr_xmm(&env, &d, &s, 4);
    CHECK_EQ(d.b[0], 4);
    CHECK_EQ(d.b[12], 16);
    /* MMX writes set the exponent field of the aliased x87 register. */
    env.fpregs[2].d.se = 0;
    env.fpregs[2].mmx = 1;
    uint64_t one = 1;
    helper_paddq_mmx(&env, &env.fpregs[2].mmx, &one);
    CHECK_EQ(env.fpregs[2].mmx, 2);
    CHECK_EQ(env.fpregs[2].d.se, 0xffff);
    /* Shifts: a count of 16 or more clears words, arithmetic fills with the sign. */
    d.q[0] = d.q[1] = 0x8000800080008000ull;
    s.q[0] = 16;
    XMMReg e = d;
    helper_psrlw_xmm(&env, &d, &s);
    CHECK_EQ(d.q[0], 0);
    helper_psraw_xmm(&env, &e, &s);
    CHECK_EQ(e.q[1], ~0ull);
    helper_pslldq(&env, &e, 15);
    CHECK_EQ(e.q[0], 0);
    CHECK_EQ(e.b[15], 0xff);
    CHECK_EQ(helper_pmovmskb_xmm(&env, &e), 0x8000);
    CHECK_EQ(helper_movmskps(&env, &e), 0x8);
}

#if defined(__x86_64__)

typedef void (*HostOp)(uint8_t *d, const uint8_t *s);

#define HOST_XMM(name)                                                                   \
    static void host_##name##_xmm(uint8_t *d, const uint8_t *s)                          \
    {                                                                                    \
        __asm__ volatile("movdqu (%0), %%xmm0\n\tmovdqu (%1), %%xmm1\n\t" #name          \
                         " %%xmm1, %%xmm0\n\tmovdqu %%xmm0, (%0)"                         \
                         : : "r"(d), "r"(s) : "xmm0", "xmm1", "memory");                 \
    }
#define HOST_MMX(name)                                                                   \
    static void host_##name##_mmx(uint8_t *d, const uint8_t *s)                          \
    {                                                                                    \
        __asm__ volatile("movq (%0), %%mm0\n\tmovq (%1), %%mm1\n\t" #name                \
                         " %%mm1, %%mm0\n\tmovq %%mm0, (%0)\n\temms"                      \
                         : : "r"(d), "r"(s) : "mm0", "mm1", "memory");                   \
    }

/* Operations with both forms; ssse3: needs SSSE3 on the host. */
#define INT_OPS_BOTH(X)                                                                  \
    X(paddb, 0) X(paddw, 0) X(paddd, 0) X(paddq, 0) X(psubb, 0) X(psubw, 0) X(psubd, 0)  \
    X(psubq, 0) X(paddsb, 0) X(paddsw, 0) X(paddusb, 0) X(paddusw, 0) X(psubsb, 0)       \
    X(psubsw, 0) X(psubusb, 0) X(psubusw, 0) X(pmullw, 0) X(pmulhw, 0) X(pmulhuw, 0)     \
    X(pmuludq, 0) X(pmaddwd, 0) X(psadbw, 0) X(pavgb, 0) X(pavgw, 0) X(pminub, 0)        \
    X(pmaxub, 0) X(pminsw, 0) X(pmaxsw, 0) X(pcmpeqb, 0) X(pcmpeqw, 0) X(pcmpeqd, 0)     \
    X(pcmpgtb, 0) X(pcmpgtw, 0) X(pcmpgtd, 0) X(pand, 0) X(pandn, 0) X(por, 0)           \
    X(pxor, 0) X(packsswb, 0) X(packssdw, 0) X(packuswb, 0) X(punpcklbw, 0)              \
    X(punpcklwd, 0) X(punpckldq, 0) X(punpckhbw, 0) X(punpckhwd, 0) X(punpckhdq, 0)      \
    X(psllw, 0) X(pslld, 0) X(psllq, 0) X(psrlw, 0) X(psrld, 0) X(psrlq, 0) X(psraw, 0)  \
    X(psrad, 0) X(pshufb, 1) X(phaddw, 1) X(phaddd, 1) X(phaddsw, 1) X(phsubw, 1)        \
    X(phsubd, 1) X(phsubsw, 1) X(pabsb, 1) X(pabsw, 1) X(pabsd, 1) X(psignb, 1)          \
    X(psignw, 1) X(psignd, 1) X(pmulhrsw, 1) X(pmaddubsw, 1)

#define DEF_HOSTS_(name, ssse3) HOST_XMM(name) HOST_MMX(name)
INT_OPS_BOTH(DEF_HOSTS_)
HOST_XMM(punpcklqdq)
HOST_XMM(punpckhqdq)

static const struct {
    const char *name;
    HostOp xmm, mmx;
    bool ssse3;
} int_ops[] = {
#define ENTRY_(name, ssse3) { #name, host_##name##_xmm, host_##name##_mmx, ssse3 },
    INT_OPS_BOTH(ENTRY_)
    { "punpcklqdq", host_punpcklqdq_xmm, NULL, false },
    { "punpckhqdq", host_punpckhqdq_xmm, NULL, false },
};

static void test_int_vs_host(void)
{
    bool ssse3 = __builtin_cpu_supports("ssse3");
    unsigned bad = 0, checked = 0;

    for (size_t k = 0; k < sizeof(int_ops) / sizeof(int_ops[0]); k++) {
        SseIntOp ours = sse_int_op_lookup(int_ops[k].name);
        bool is_shift = int_ops[k].name[1] == 's' && (int_ops[k].name[2] == 'l' ||
                                                      int_ops[k].name[2] == 'r');
        CHECK(ours != NULL);
        if (!ours || (int_ops[k].ssse3 && !ssse3)) {
            continue;
        }
        for (int iter = 0; iter < 300; iter++) {
            for (unsigned n = 8; n <= 16; n += 8) {
                uint8_t d[16], s[16], h[16];
                HostOp host = n == 16 ? int_ops[k].xmm : int_ops[k].mmx;
                if (!host) {
                    continue;
                }
                rnd_vec(d, n);
                rnd_vec(s, n);
                if (is_shift && (iter & 1)) {
                    memset(s, 0, 8);
                    s[0] = (uint8_t)(rnd() % 70);
                }
                memcpy(h, d, n);
                host(h, s);
                ours(d, s, n);
                checked++;
                if (memcmp(d, h, n)) {
                    if (bad++ < 3) {
                        printf("# %s n=%u mismatch\n", int_ops[k].name, n);
                    }
                }
            }
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(checked > 10000);
}

/* ---- floating point against the host ---- */

typedef void (*HostFp)(uint8_t *d, const uint8_t *s, uint32_t *mxcsr);
typedef void (*OurFp)(CPUX86State *env, XMMReg *d, const XMMReg *s);

#define HOST_FP(tag, insn)                                                               \
    static void hostfp_##tag(uint8_t *d, const uint8_t *s, uint32_t *mxcsr)              \
    {                                                                                    \
        uint32_t saved;                                                                  \
        __asm__ volatile("stmxcsr %3\n\tldmxcsr (%2)\n\tmovdqu (%0), %%xmm0\n\t"         \
                         "movdqu (%1), %%xmm1\n\t" insn " %%xmm1, %%xmm0\n\t"             \
                         "movdqu %%xmm0, (%0)\n\tstmxcsr (%2)\n\tldmxcsr %3"              \
                         : : "r"(d), "r"(s), "r"(mxcsr), "m"(saved)                      \
                         : "xmm0", "xmm1", "memory");                                    \
    }

#define FP_OPS(X)                                                                        \
    X(addps, "addps") X(subps, "subps") X(mulps, "mulps") X(divps, "divps")              \
    X(minps, "minps") X(maxps, "maxps") X(sqrtps, "sqrtps")                              \
    X(addpd, "addpd") X(subpd, "subpd") X(mulpd, "mulpd") X(divpd, "divpd")              \
    X(minpd, "minpd") X(maxpd, "maxpd") X(sqrtpd, "sqrtpd")                              \
    X(addss, "addss") X(subss, "subss") X(mulss, "mulss") X(divss, "divss")              \
    X(minss, "minss") X(maxss, "maxss") X(sqrtss, "sqrtss")                              \
    X(addsd, "addsd") X(subsd, "subsd") X(mulsd, "mulsd") X(divsd, "divsd")              \
    X(minsd, "minsd") X(maxsd, "maxsd") X(sqrtsd, "sqrtsd")                              \
    X(addsubps, "addsubps") X(addsubpd, "addsubpd") X(haddps, "haddps")                  \
    X(haddpd, "haddpd") X(hsubps, "hsubps") X(hsubpd, "hsubpd")                          \
    X(cvtps2pd, "cvtps2pd") X(cvtpd2ps, "cvtpd2ps") X(cvtss2sd, "cvtss2sd")              \
    X(cvtsd2ss, "cvtsd2ss") X(cvtdq2ps, "cvtdq2ps") X(cvtps2dq, "cvtps2dq")              \
    X(cvttps2dq, "cvttps2dq") X(cvtdq2pd, "cvtdq2pd") X(cvtpd2dq, "cvtpd2dq")            \
    X(cvttpd2dq, "cvttpd2dq")

FP_OPS(HOST_FP)

#define CMP_OPS(X)                                                                       \
    X(cmpps0, "cmpps $0,") X(cmpps1, "cmpps $1,") X(cmpps2, "cmpps $2,")                 \
    X(cmpps3, "cmpps $3,") X(cmpps4, "cmpps $4,") X(cmpps5, "cmpps $5,")                 \
    X(cmpps6, "cmpps $6,") X(cmpps7, "cmpps $7,") X(cmpsd0, "cmpsd $0,")                 \
    X(cmpsd1, "cmpsd $1,") X(cmpsd2, "cmpsd $2,") X(cmpsd3, "cmpsd $3,")                 \
    X(cmpsd4, "cmpsd $4,") X(cmpsd5, "cmpsd $5,") X(cmpsd6, "cmpsd $6,")                 \
    X(cmpsd7, "cmpsd $7,")
CMP_OPS(HOST_FP)

#define OUR_CMP(tag, fn, imm)                                                            \
    static void our_##tag(CPUX86State *e, XMMReg *d, const XMMReg *s)                    \
    {                                                                                    \
        fn(e, d, s, imm);                                                                \
    }
OUR_CMP(cmpps0, helper_cmpps, 0) OUR_CMP(cmpps1, helper_cmpps, 1)
OUR_CMP(cmpps2, helper_cmpps, 2) OUR_CMP(cmpps3, helper_cmpps, 3)
OUR_CMP(cmpps4, helper_cmpps, 4) OUR_CMP(cmpps5, helper_cmpps, 5)
OUR_CMP(cmpps6, helper_cmpps, 6) OUR_CMP(cmpps7, helper_cmpps, 7)
OUR_CMP(cmpsd0, helper_cmpsd, 0) OUR_CMP(cmpsd1, helper_cmpsd, 1)
OUR_CMP(cmpsd2, helper_cmpsd, 2) OUR_CMP(cmpsd3, helper_cmpsd, 3)
OUR_CMP(cmpsd4, helper_cmpsd, 4) OUR_CMP(cmpsd5, helper_cmpsd, 5)
OUR_CMP(cmpsd6, helper_cmpsd, 6) OUR_CMP(cmpsd7, helper_cmpsd, 7)

static const struct {
    const char *name;
    HostFp host;
    OurFp ours;
} fp_ops[] = {
#define FPENTRY_(tag, insn) { #tag, hostfp_##tag, helper_##tag },
    FP_OPS(FPENTRY_)
#undef FPENTRY_
#define FPENTRY_(tag, insn) { #tag, hostfp_##tag, our_##tag },
    CMP_OPS(FPENTRY_)
#undef FPENTRY_
};

static uint32_t rnd_f32(void)
{
    static const uint32_t specials[] = { 0, 0x80000000u, 0x7f800000u, 0xff800000u,
                                         0x7fc00000u, 0x7f800001u, 0x00000001u, 0x007fffffu,
                                         0x3f800000u, 0x4f000000u, 0xcf000000u, 0x7f7fffffu };
    uint64_t r = rnd();
    if ((r & 7) == 0) {
        return specials[(r >> 3) % 12];
    }
    uint32_t v = (uint32_t)(r >> 16);
    if (r & 8) {
        v = (v & 0x807fffffu) | (uint32_t)((0x60 + (rnd() % 0x40)) << 23);
    }
    return v;
}

static uint64_t rnd_f64(void)
{
    static const uint64_t specials[] = { 0, 1ull << 63, 0x7ff0000000000000ull,
                                         0x7ff8000000000000ull, 0x7ff0000000000001ull, 1,
                                         0x3ff0000000000000ull, 0x41e0000000000000ull,
                                         0xc1e0000000000000ull, 0x7fefffffffffffffull,
                                         0x000fffffffffffffull, 0x36a0000000000000ull };
    uint64_t r = rnd();
    if ((r & 7) == 0) {
        return specials[(r >> 3) % 12];
    }
    uint64_t v = rnd();
    if (r & 8) {
        v = (v & 0x800fffffffffffffull) | ((0x3a0 + (rnd() % 0xc0)) << 52);
    }
    return v;
}

static void test_fp_vs_host(void)
{
    static const uint32_t modes[] = { 0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9fc0, 0x1fc0 };
    bool sse3 = __builtin_cpu_supports("sse3");
    unsigned bad = 0, checked = 0;

    for (size_t k = 0; k < sizeof(fp_ops) / sizeof(fp_ops[0]); k++) {
        bool dbl = strstr(fp_ops[k].name, "pd") || strstr(fp_ops[k].name, "sd");
        if (!strncmp(fp_ops[k].name, "cvtps2pd", 8) || !strncmp(fp_ops[k].name, "cvtss2sd", 8) ||
            !strncmp(fp_ops[k].name, "cvtdq", 5)) {
            dbl = false;
        }
        if ((strstr(fp_ops[k].name, "hadd") || strstr(fp_ops[k].name, "hsub") ||
             strstr(fp_ops[k].name, "addsub")) && !sse3) {
            continue;
        }
        for (int iter = 0; iter < 400; iter++) {
            XMMReg d, s, h;
            uint32_t mode = modes[iter % 6], host_mx = mode;
            for (int i = 0; i < 4; i++) {
                d.l[i] = rnd_f32();
                s.l[i] = rnd_f32();
            }
            if (dbl) {
                for (int i = 0; i < 2; i++) {
                    d.q[i] = rnd_f64();
                    s.q[i] = rnd_f64();
                }
            }
            h = d;
            fp_ops[k].host(h.b, s.b, &host_mx);
            fresh(mode);
            fp_ops[k].ours(&env, &d, &s);
            checked++;
            if (memcmp(&d, &h, 16) || env.mxcsr != host_mx) {
                if (bad++ < 5) {
                    printf("# %s mode %#x: ours %016" PRIx64 "%016" PRIx64 " mx %#x, host %016"
                           PRIx64 "%016" PRIx64 " mx %#x\n", fp_ops[k].name, mode, d.q[1],
                           d.q[0], env.mxcsr, h.q[1], h.q[0], host_mx);
                }
            }
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(checked > 10000);
}

static void test_cvtsi_vs_host(void)
{
    unsigned bad = 0;

    for (int iter = 0; iter < 2000; iter++) {
        XMMReg s;
        uint32_t mx = 0x1f80 | (uint32_t)(iter & 3) << 13, hmx = mx, saved;
        uint64_t h32, h64, o32, o64;
        s.q[0] = rnd_f64();
        s.q[1] = 0;
        __asm__ volatile("stmxcsr %3\n\tldmxcsr %2\n\tcvtsd2si %4, %k0\n\tcvtsd2si %4, %1\n\t"
                         "stmxcsr %2\n\tldmxcsr %3"
                         : "=&r"(h32), "=&r"(h64), "+m"(hmx), "=m"(saved)
                         : "x"(s.q[0]));
        h32 &= 0xffffffffu;
        fresh(mx);
        o32 = helper_cvtsd2si(&env, &s, 0);
        o64 = helper_cvtsd2si(&env, &s, 1);
        if (o32 != h32 || o64 != h64 || env.mxcsr != hmx) {
            bad++;
        }
    }
    CHECK_EQ(bad, 0);
}
#endif

static XMMReg xd, xs;

static void addps_fn(void)
{
    helper_addps(&env, &xd, &xs);
}

static void divss_fn(void)
{
    helper_divss(&env, &xd, &xs);
}

static int catch_exception(void (*fn)(void))
{
    sigjmp_buf jb;

    env.jmp_env = &jb;
    env.exception_index = -1;
    if (sigsetjmp(jb, 0) == 0) {
        fn();
        env.jmp_env = NULL;
        return -1;
    }
    env.jmp_env = NULL;
    return env.exception_index;
}

static void ldmxcsr_bad(void)
{
    helper_ldmxcsr(&env, 0x10000);
}

static void test_fp_exceptions(void)
{
    /* Unmasked invalid (SNaN operand): #XM with OSXMMEXCPT, d unchanged, only IE recorded. */
    fresh(MXCSR_DEFAULT & ~0x80);
    memset(&xd, 0, sizeof(xd));
    memset(&xs, 0, sizeof(xs));
    xd.l[0] = 0x7f800001u; /* SNaN */
    xd.l[1] = 0x3f800000u;
    xs.l[1] = 0x33800000u; /* 1 + 2^-24: inexact */
    CHECK_EQ(catch_exception(addps_fn), EXCP_XM);
    CHECK_EQ(xd.l[0], 0x7f800001u);
    CHECK_EQ(env.mxcsr & 0x3f, 0x01);
    /* Without OSXMMEXCPT: #UD. */
    env.cr[4] &= ~(uint64_t)CR4_OSXMMEXCPT;
    CHECK_EQ(catch_exception(addps_fn), EXCP_UD);

    /* Masked: the QNaN result and IE|PE recorded. */
    fresh(MXCSR_DEFAULT);
    CHECK_EQ(catch_exception(addps_fn), -1);
    CHECK_EQ(xd.l[0], 0x7fc00001u);
    CHECK_EQ(env.mxcsr & 0x3f, 0x21);

    /* Zero divide unmasked on DIVSS; denormal flag with DAZ off; overflow/underflow. */
    fresh(MXCSR_DEFAULT & ~0x200);
    xd.l[0] = 0x3f800000u;
    xs.l[0] = 0;
    CHECK_EQ(catch_exception(divss_fn), EXCP_XM);
    CHECK_EQ(env.mxcsr & 0x3f, 0x04);
    CHECK_EQ(xd.l[0], 0x3f800000u);
    fresh(MXCSR_DEFAULT);
    xs.l[0] = 0x00000001u; /* denormal divisor: DE, then overflow + inexact */
    helper_divss(&env, &xd, &xs);
    CHECK_EQ(env.mxcsr & 0x3f, 0x02 | 0x08 | 0x20);
    CHECK_EQ(xd.l[0], 0x7f800000u);
    fresh(MXCSR_DEFAULT);
    xd.l[0] = 0x00800000u;
    xs.l[0] = 0x40000000u; /* tiny inexact? exact halving of the smallest normal */
    helper_divss(&env, &xd, &xs);
    CHECK_EQ(xd.l[0], 0x00400000u);
    CHECK_EQ(env.mxcsr & 0x3f, 0x00); /* exact tiny result, masked: no UE */
    /* FTZ: the tiny result flushes to zero with UE|PE. */
    fresh(MXCSR_DEFAULT | 0x8000);
    xd.l[0] = 0x00800000u;
    helper_divss(&env, &xd, &xs);
    CHECK_EQ(xd.l[0], 0);
    CHECK_EQ(env.mxcsr & 0x3f, 0x30);

    /* COMISS: unordered -> ZF PF CF, and IE for a QNaN (UCOMISS only for SNaN). */
    fresh(MXCSR_DEFAULT);
    xd.l[0] = 0x7fc00000u;
    xs.l[0] = 0;
    helper_comiss(&env, &xd, &xs, 1);
    CHECK_EQ(env.cc_src, X86_EFL_ZF | X86_EFL_PF | X86_EFL_CF);
    CHECK_EQ(env.mxcsr & 0x3f, 0);
    helper_comiss(&env, &xd, &xs, 0);
    CHECK_EQ(env.mxcsr & 0x3f, 1);
    xd.q[0] = 0xbff0000000000000ull;
    xs.q[0] = 0;
    helper_comisd(&env, &xd, &xs, 0);
    CHECK_EQ(env.cc_src, X86_EFL_CF);
    CHECK_EQ(env.cc_op, CC_OP_EFLAGS);

    /* LDMXCSR with a reserved bit: #GP(0), MXCSR unchanged. */
    fresh(MXCSR_DEFAULT);
    CHECK_EQ(catch_exception(ldmxcsr_bad), EXCP_GP);
    CHECK_EQ(env.mxcsr, MXCSR_DEFAULT);
    helper_ldmxcsr(&env, 0x7f80);
    CHECK_EQ(env.sse_status.round_mode, FLOAT_ROUND_DOWN | FLOAT_ROUND_UP);

    /* CVTSI2SS with a 64-bit source rounds in the current mode. */
    fresh(MXCSR_DEFAULT);
    helper_cvtsi2ss(&env, &xd, (uint64_t)INT64_MAX, 1);
    CHECK_EQ(xd.l[0], 0x5f000000u);
    CHECK_EQ(env.mxcsr & 0x20, 0x20);
    CHECK_EQ(helper_cvttss2si(&env, &xd, 0), 0x80000000u); /* indefinite */
}

int main(void)
{
    test_run("sse_int_semantics", test_int_semantics);
    test_run("sse_fp_exceptions", test_fp_exceptions);
#if defined(__x86_64__)
    test_run("sse_int_vs_host", test_int_vs_host);
    test_run("sse_fp_vs_host", test_fp_vs_host);
    test_run("sse_cvtsd2si_vs_host", test_cvtsi_vs_host);
#else
    test_skip("sse_int_vs_host", "needs an x86-64 host");
    test_skip("sse_fp_vs_host", "needs an x86-64 host");
    test_skip("sse_cvtsd2si_vs_host", "needs an x86-64 host");
#endif
    return test_summary();
}
