/*
 * x87 helpers on a bare CPUX86State: known extended results, stack faults, status and tag
 * words, exceptions, FSAVE/FSTENV/FXSAVE layouts; on x86-64 hosts, differential checks
 * against the host x87.
 */
#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/helper.h"
#include "tests/unit/test.h"

#include <math.h>
#include <setjmp.h>
#include <string.h>

static CPUX86State env;

static void fresh(void)
{
    memset(&env, 0, sizeof(env));
    env.exception_index = -1;
    env.cr[0] = CR0_PE | CR0_NE | CR0_ET;
    x87_reset(&env);
    env.mxcsr = MXCSR_DEFAULT;
    sse_update_status(&env);
}

static floatx80 st(unsigned i)
{
    return env.fpregs[(env.fpstt + i) & 7].d;
}

static void push_bytes(unsigned kind, uint64_t v)
{
    uint8_t buf[10];
    memcpy(buf, &v, 8);
    x87_fld_bytes(&env, kind, buf);
}

static void push_double(double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    push_bytes(X87_M64FP, v);
}

/* Runs fn with env.jmp_env set; returns the vector raised, or -1. */
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

static void test_known_values(void)
{
    fresh();
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    push_bytes(X87_M32INT, 3);
    /* FDIVP: ST(1) / ST(0) into ST(1), pop: 1/3 = 3FFD AAAAAAAAAAAAAAAB rounded to nearest. */
    helper_farith_st(&env, X87_DIV, 1, 1, 1);
    CHECK_EQ(st(0).se, 0x3ffd);
    CHECK_EQ(st(0).sig, 0xaaaaaaaaaaaaaaabull);
    CHECK(x87_get_fsw(&env) & FPUS_PE);
    CHECK(x87_get_fsw(&env) & FPUS_C1); /* rounded up */
    CHECK_EQ((x87_get_fsw(&env) >> 11) & 7, 7);

    /* Round toward zero via FLDCW: 3FFD AAAAAAAAAAAAAAAA, C1 clear. */
    fresh();
    helper_fldcw(&env, FPUC_DEFAULT | 0xc00);
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    push_bytes(X87_M32INT, 3);
    helper_farith_st(&env, X87_DIV, 1, 1, 1);
    CHECK_EQ(st(0).sig, 0xaaaaaaaaaaaaaaaaull);
    CHECK(!(env.fpus & FPUS_C1));

    /* Precision control 24 bits: 1/3 rounds to AAAAAB00 00000000. */
    fresh();
    helper_fldcw(&env, FPUC_DEFAULT & ~0x300);
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    push_bytes(X87_M16INT, 3);
    /* FDIVR ST(1), ST(0): ST(0) / ST(1) = 3 / 1, then FDIV ST(0), ST(1) = 1 / 3. */
    helper_farith_st(&env, X87_DIVR, 1, 1, 0);
    CHECK_EQ(st(1).se, 0x4000);
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    helper_farith_st(&env, X87_DIV, 1, 0, 0);
    CHECK_EQ(st(0).sig, 0xaaaaab0000000000ull);

    /* FSQRT(2), FLDPI. */
    fresh();
    push_bytes(X87_M16INT, 2);
    helper_fsqrt(&env);
    CHECK_EQ(st(0).se, 0x3fff);
    CHECK_EQ(st(0).sig, 0xb504f333f9de6484ull);
    helper_fldconst(&env, FLOATX80_CONST_PI);
    CHECK_EQ(st(0).se, 0x4000);
    CHECK_EQ(st(0).sig, 0xc90fdaa22168c235ull);

    /* FIADD m32int, FISUBR m16int, FMUL m32fp. */
    fresh();
    push_double(2.5);
    uint8_t b[4] = { 10, 0, 0, 0 };
    x87_farith_bytes(&env, X87_ADD, X87_M32INT, b);       /* 12.5 */
    x87_farith_bytes(&env, X87_SUBR, X87_M16INT, b);      /* 10 - 12.5 = -2.5 */
    float f = 4.0f;
    memcpy(b, &f, 4);
    x87_farith_bytes(&env, X87_MUL, X87_M32FP, b);        /* -10 */
    CHECK_EQ(st(0).se, 0xc002);
    CHECK_EQ(st(0).sig, 0xa000000000000000ull);
}

static void test_stack_faults(void)
{
    fresh();
    for (int i = 0; i < 8; i++) {
        helper_fldconst(&env, FLOATX80_CONST_ONE);
    }
    CHECK_EQ(x87_get_fsw(&env) & (FPUS_IE | FPUS_SF), 0);
    CHECK_EQ(x87_get_ftw(&env), 0x0000);
    /* Ninth push: overflow, C1 = 1, masked response pushes the real indefinite. */
    helper_fldconst(&env, FLOATX80_CONST_ZERO);
    uint16_t fsw = x87_get_fsw(&env);
    CHECK_EQ(fsw & (FPUS_IE | FPUS_SF | FPUS_C1), FPUS_IE | FPUS_SF | FPUS_C1);
    CHECK(!(fsw & FPUS_ES)); /* masked */
    CHECK_EQ(st(0).se, 0xffff);
    CHECK_EQ(st(0).sig, 0xc000000000000000ull);

    /* Underflow: FADD with an empty ST(1); C1 = 0, ST(0) = indefinite. */
    fresh();
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    helper_farith_st(&env, X87_ADD, 1, 0, 0);
    fsw = x87_get_fsw(&env);
    CHECK_EQ(fsw & (FPUS_IE | FPUS_SF | FPUS_C1), FPUS_IE | FPUS_SF);
    CHECK_EQ(st(0).se, 0xffff);

    /* FSTP m64 of an empty stack stores the QNaN indefinite and pops. */
    fresh();
    uint8_t buf[10];
    X87StoreCommit c = x87_fst_prepare(&env, X87_M64FP, true, buf);
    CHECK(c.store);
    uint64_t v;
    memcpy(&v, buf, 8);
    CHECK_EQ(v, 0xfff8000000000000ull);
    x87_fst_commit(&env, &c);
    CHECK_EQ(env.fpstt, 1);
    CHECK(env.fpus & FPUS_SF);

    /* FIST of an empty stack: integer indefinite. */
    fresh();
    c = x87_fst_prepare(&env, X87_M16INT, false, buf);
    CHECK(c.store);
    CHECK_EQ(buf[0] | buf[1] << 8, 0x8000);
}

static void fwait_fn(void)
{
    helper_fwait(&env);
}

static void test_unmasked(void)
{
    fresh();
    helper_fldcw(&env, FPUC_DEFAULT & ~FPUS_IE); /* unmask invalid */
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    floatx80 before = st(0);
    helper_farith_st(&env, X87_ADD, 3, 0, 0); /* ST(3) empty */
    uint16_t fsw = x87_get_fsw(&env);
    CHECK(fsw & FPUS_ES);
    CHECK(fsw & FPUS_B);
    CHECK_EQ(st(0).sig, before.sig); /* unmasked: destination unchanged */
    CHECK_EQ(st(0).se, before.se);
    CHECK_EQ(catch_exception(fwait_fn), EXCP_MF);
    helper_fnclex(&env);
    CHECK_EQ(catch_exception(fwait_fn), -1);

    /* Unmasked zero divide: ST(0) kept, ZE + ES. */
    fresh();
    helper_fldcw(&env, FPUC_DEFAULT & ~FPUS_ZE);
    helper_fldconst(&env, FLOATX80_CONST_ZERO);
    helper_fldconst(&env, FLOATX80_CONST_ONE);
    helper_farith_st(&env, X87_DIV, 1, 0, 0);
    CHECK_EQ(x87_get_fsw(&env) & (FPUS_ZE | FPUS_ES), FPUS_ZE | FPUS_ES);
    CHECK_EQ(st(0).sig, 0x8000000000000000ull);
    CHECK_EQ(st(0).se, 0x3fff);

    /* Pending exception, then masking it with FLDCW clears ES. */
    helper_fldcw(&env, FPUC_DEFAULT);
    CHECK(!(x87_get_fsw(&env) & FPUS_ES));
}

static void test_tags_and_compare(void)
{
    fresh();
    helper_fldconst(&env, FLOATX80_CONST_ZERO);   /* tag 01 */
    helper_fldconst(&env, FLOATX80_CONST_ONE);    /* tag 00 */
    push_bytes(X87_M32FP, 0x7f800000);           /* +inf, tag 10 */
    /* Physical registers 7, 6, 5. */
    CHECK_EQ(x87_get_ftw(&env), 0x4bff);

    /* FXAM of +inf: C3=0 C2=1 C0=1, C1 = sign 0. */
    helper_fxam(&env);
    CHECK_EQ(env.fpus & FPUS_CC, FPUS_C2 | FPUS_C0);
    helper_ffree(&env, 0, 1);                    /* FFREEP: drops inf */
    helper_fchs(&env);                           /* -1 */
    helper_fxam(&env);
    CHECK_EQ(env.fpus & FPUS_CC, FPUS_C2 | FPUS_C1);
    /* FCOM ST(1): -1 < 0 -> C0. */
    helper_fcom(&env, 1, 0, 0);
    CHECK_EQ(env.fpus & FPUS_CC, FPUS_C0);
    /* FCOMI: CF. */
    helper_fcomi(&env, 1, 0, 0);
    CHECK_EQ(env.cc_op, CC_OP_EFLAGS);
    CHECK_EQ(env.cc_src, X86_EFL_CF);
    /* FUCOMPP: pops both. */
    helper_fcom(&env, 1, 1, 2);
    CHECK_EQ(x87_get_ftw(&env), 0xffff);
    /* FXAM of an empty register: C3 and C0. */
    helper_fxam(&env);
    CHECK_EQ(env.fpus & (FPUS_C3 | FPUS_C2 | FPUS_C0), FPUS_C3 | FPUS_C0);
    /* FTST with a NaN: unordered. */
    push_bytes(X87_M32FP, 0x7fc00000);
    helper_ftst(&env);
    CHECK_EQ(env.fpus & (FPUS_C3 | FPUS_C2 | FPUS_C0), FPUS_C3 | FPUS_C2 | FPUS_C0);
    CHECK(env.fpus & FPUS_IE);
}

static void test_misc_ops(void)
{
    /* FPREM: 17 rem 5 = 2, quotient 3 -> C1 (Q0) and C3 (Q1). */
    fresh();
    push_bytes(X87_M32INT, 5);
    push_bytes(X87_M32INT, 17);
    helper_fprem(&env, 0);
    CHECK_EQ(st(0).se, 0x4000);
    CHECK_EQ(st(0).sig, 0x8000000000000000ull);
    CHECK_EQ(env.fpus & FPUS_CC, FPUS_C1 | FPUS_C3);

    /* FXTRACT of 12: ST(0) = 1.5, ST(1) = 3. */
    fresh();
    push_bytes(X87_M32INT, 12);
    helper_fxtract(&env);
    CHECK_EQ(st(0).se, 0x3fff);
    CHECK_EQ(st(0).sig, 0xc000000000000000ull);
    CHECK_EQ(st(1).se, 0x4000);
    CHECK_EQ(st(1).sig, 0xc000000000000000ull);

    /* FSCALE: 1.5 * 2^3 = 12.  FRNDINT of 2.5 -> 2 (nearest even). */
    helper_fscale(&env);
    CHECK_EQ(st(0).se, 0x4002);
    fresh();
    push_double(2.5);
    helper_frndint(&env);
    CHECK_EQ(st(0).se, 0x4000);
    CHECK_EQ(st(0).sig, 0x8000000000000000ull);

    /* FBSTP of -1234 and FBLD back. */
    fresh();
    push_bytes(X87_M32INT, (uint32_t)-1234);
    uint8_t bcd[10];
    X87StoreCommit c = x87_fst_prepare(&env, X87_M80BCD, true, bcd);
    CHECK(c.store);
    CHECK_EQ(bcd[0], 0x34);
    CHECK_EQ(bcd[1], 0x12);
    CHECK_EQ(bcd[9], 0x80);
    x87_fst_commit(&env, &c);
    x87_fld_bytes(&env, X87_M80BCD, bcd);
    CHECK_EQ(st(0).se, 0xc009);
    CHECK_EQ(st(0).sig, 0x9a40000000000000ull);

    /* FISTTP truncates 2.75 -> 2 whatever the rounding mode; FIST rounds to 3. */
    fresh();
    push_double(2.75);
    uint8_t out[8];
    c = x87_fst_prepare(&env, X87_M32INT_TRUNC, true, out);
    CHECK_EQ(out[0], 2);
    c = x87_fst_prepare(&env, X87_M32INT, false, out);
    CHECK_EQ(out[0], 3);
    CHECK(c.c1);

    /* FXCH, FLD ST(i), FST ST(i), FCMOV, FINCSTP/FDECSTP. */
    fresh();
    push_bytes(X87_M16INT, 1);
    push_bytes(X87_M16INT, 2);
    helper_fxch(&env, 1);
    CHECK_EQ(st(0).sig, 0x8000000000000000ull);
    CHECK_EQ(st(0).se, 0x3fff);
    helper_fld_sti(&env, 1);
    CHECK_EQ(st(0).se, 0x4000);
    helper_fcmov(&env, 1, 0);
    CHECK_EQ(st(0).se, 0x4000);
    helper_fcmov(&env, 1, 1);
    CHECK_EQ(st(0).se, 0x3fff);
    helper_fst_sti(&env, 2, 1);
    CHECK_EQ(st(1).se, 0x3fff);
    helper_fincstp(&env);
    helper_fdecstp(&env);
    CHECK_EQ(env.fpstt, 6);

    /* MMX: enter sets TOP 0 and tags valid; EMMS empties. */
    helper_enter_mmx(&env);
    CHECK_EQ(env.fpstt, 0);
    CHECK_EQ(x87_get_ftw(&env) & 0x3, 0x0 | (x87_get_ftw(&env) & 3));
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(env.fptags[i], 0);
    }
    helper_emms(&env);
    CHECK_EQ(x87_get_ftw(&env), 0xffff);
}

static void fill_state(void)
{
    fresh();
    helper_fldcw(&env, 0x0a7f & ~FPUS_PE);
    push_bytes(X87_M16INT, 7);
    push_double(-0.1);
    helper_fldconst(&env, FLOATX80_CONST_ZERO);
    env.fpip = 0x12345678;
    env.fpcs = 0x0023;
    env.fpdp = 0x9abcdef0;
    env.fpds = 0x002b;
    env.fpop = 0x1d9;
    env.mxcsr = 0x1fa0 | 0x3; /* some flags set */
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            env.xmm[i].b[j] = (uint8_t)(i * 16 + j);
        }
    }
}

static void test_fsave_layout(void)
{
    uint8_t buf[108];

    fill_state();
    memset(buf, 0xcc, sizeof(buf));
    x87_fsave_buf(&env, buf, true, true);
    /* 32-bit protected: FCW, FSW, FTW dwords with reserved upper halves = FFFF. */
    CHECK_EQ(buf[0] | buf[1] << 8, 0x0a5f);
    CHECK_EQ(buf[2] | buf[3] << 8, 0xffff);
    uint16_t fsw = (uint16_t)(buf[4] | buf[5] << 8);
    CHECK_EQ(fsw, x87_get_fsw(&env));
    CHECK_EQ((fsw >> 11) & 7, 5);
    /* Tags: phys 5 zero (01), 6 valid (00), 7 valid (00), the rest empty. */
    CHECK_EQ(buf[8] | buf[9] << 8, 0x07ff);
    CHECK_EQ(buf[12] | buf[13] << 8 | buf[14] << 16 | (uint32_t)buf[15] << 24, 0x12345678);
    CHECK_EQ(buf[16] | buf[17] << 8, 0x0023);
    CHECK_EQ(buf[18] | buf[19] << 8, 0x01d9);
    CHECK_EQ(buf[20] | buf[21] << 8 | buf[22] << 16 | (uint32_t)buf[23] << 24, 0x9abcdef0);
    CHECK_EQ(buf[24] | buf[25] << 8, 0x002b);
    /* ST(0) = +0 at 28, ST(1) = -0.1 at 38, ST(2) = 7 at 48. */
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(buf[28 + i], 0);
    }
    CHECK_EQ(buf[38 + 9], 0xbf);
    CHECK_EQ(buf[38 + 8], 0xfb);
    CHECK_EQ(buf[48 + 9], 0x40);
    CHECK_EQ(buf[48 + 8], 0x01);
    CHECK_EQ(buf[48 + 7], 0xe0);

    /* Round trip through FRSTOR into a fresh state. */
    CPUX86State saved = env;
    fresh();
    x87_frstor_buf(&env, buf, true, true);
    CHECK_EQ(x87_get_fsw(&env), x87_get_fsw(&saved));
    CHECK_EQ(env.fpuc, saved.fpuc);
    CHECK_EQ(x87_get_ftw(&env), x87_get_ftw(&saved));
    CHECK_EQ(env.fpip, saved.fpip);
    CHECK_EQ(env.fpop, saved.fpop);
    CHECK_EQ(st(1).sig, saved.fpregs[(saved.fpstt + 1) & 7].d.sig);

    /* 16-bit real mode: FIP linear = CS * 16 + IP, opcode under FIP[19:16]. */
    env.fpcs = 0x1000;
    env.fpip = 0x2345;
    env.fpds = 0x0100;
    env.fpdp = 0x0010;
    env.fpop = 0x123;
    uint8_t e16[14];
    x87_stenv_buf(&env, e16, false, false);
    CHECK_EQ(e16[6] | e16[7] << 8, 0x2345);
    CHECK_EQ(e16[8] | e16[9] << 8, 0x1123);
    CHECK_EQ(e16[10] | e16[11] << 8, 0x1010);
    CHECK_EQ(e16[12] | e16[13] << 8, 0x0000);
    CPUX86State s2 = env;
    x87_ldenv_buf(&env, e16, false, false);
    CHECK_EQ(env.fpip, 0x12345);
    CHECK_EQ(env.fpdp, 0x1010);
    CHECK_EQ(env.fpop, 0x123);
    CHECK_EQ(x87_get_fsw(&env), x87_get_fsw(&s2));
    /* 32-bit real mode. */
    uint8_t e32[28];
    x87_stenv_buf(&env, e32, true, false);
    CHECK_EQ(e32[12] | e32[13] << 8, 0x2345);
    CHECK_EQ(e32[16] | e32[17] << 8 | e32[18] << 16, 0x00001123 | 0);
}

static void test_fxsave_layout(void)
{
    uint8_t buf[512];

    fill_state();
    memset(buf, 0xcc, sizeof(buf));
    x87_fxsave_buf(&env, buf, FXSAVE_LONG64);
    CHECK_EQ(buf[0] | buf[1] << 8, 0x0a5f);
    CHECK_EQ(buf[2] | buf[3] << 8, x87_get_fsw(&env));
    CHECK_EQ(buf[4], 0xe0); /* abridged: phys 5, 6, 7 valid */
    CHECK_EQ(buf[5], 0);
    CHECK_EQ(buf[6] | buf[7] << 8, 0x1d9);
    CHECK_EQ(buf[8] | buf[9] << 8 | buf[10] << 16 | (uint32_t)buf[11] << 24, 0x12345678);
    CHECK_EQ(buf[12] | buf[13] << 8, 0x23);
    CHECK_EQ(buf[24] | buf[25] << 8, 0x1fa3);
    CHECK_EQ(buf[28] | buf[29] << 8 | buf[30] << 16 | (uint32_t)buf[31] << 24, 0xffff);
    CHECK_EQ(buf[32 + 16 + 9], 0xbf);
    for (int i = 42; i < 48; i++) {
        CHECK_EQ(buf[i], 0);
    }
    CHECK_EQ(buf[160], 0x00);
    CHECK_EQ(buf[160 + 16 * 15 + 15], 0xff);
    CHECK_EQ(buf[416], 0xcc);

    /* REX.W form: 64-bit FIP at 8 (no FCS). */
    env.fpip = 0x1122334455667788ull;
    x87_fxsave_buf(&env, buf, FXSAVE_LONG64 | FXSAVE_REXW);
    CHECK_EQ(buf[15], 0x11);

    /* FXRSTOR round trip, and the reserved-MXCSR refusal. */
    CPUX86State saved = env;
    fresh();
    CHECK(x87_fxrstor_buf(&env, buf, FXSAVE_LONG64 | FXSAVE_REXW));
    CHECK_EQ(env.fpip, saved.fpip);
    CHECK_EQ(env.mxcsr, saved.mxcsr);
    CHECK_EQ(x87_get_fsw(&env), x87_get_fsw(&saved));
    CHECK_EQ(env.xmm[9].q[1], saved.xmm[9].q[1]);
    CHECK_EQ(memcmp(env.fptags, saved.fptags, 8), 0);
    buf[26] = 1; /* MXCSR bit 16 */
    env.fpuc = 0x37f;
    CHECK(!x87_fxrstor_buf(&env, buf, FXSAVE_LONG64));
    CHECK_EQ(env.fpuc, 0x37f);
}

#if defined(__x86_64__)
/* Host FNSAVE/FXSAVE of our image after loading it into the host FPU, host state restored. */
static void host_fsave_roundtrip(const uint8_t *in, uint8_t *out)
{
    uint8_t saved[108];
    __asm__ volatile("fnsave %0\n\t"
                     "frstor %1\n\t"
                     "fnsave %2\n\t"
                     "frstor %0\n\t"
                     : "=m"(*(uint8_t(*)[108])saved)
                     : "m"(*(const uint8_t(*)[108])in), "m"(*(uint8_t(*)[108])out)
                     : "memory");
}

static void host_fxsave_roundtrip(const uint8_t *in, uint8_t *out)
{
    static uint8_t saved[512] __attribute__((aligned(16)));
    static uint8_t image[512] __attribute__((aligned(16)));
    static uint8_t result[512] __attribute__((aligned(16)));
    memcpy(image, in, 512);
    __asm__ volatile("fxsave %0\n\t"
                     "fxrstor %1\n\t"
                     "fxsave %2\n\t"
                     "fxrstor %0\n\t"
                     : "+m"(saved), "+m"(image), "+m"(result)
                     :
                     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                       "xmm15");
    memcpy(out, result, 512);
}
#endif

static void test_host_layouts(void)
{
#if defined(__x86_64__)
    uint8_t ours[108], host[108];

    fill_state();
    env.fpcs = env.fpds = 0; /* newer CPUs deprecate FCS/FDS and store zeros */
    x87_fsave_buf(&env, ours, true, true);
    memset(host, 0x5a, sizeof(host));
    host_fsave_roundtrip(ours, host);
    /* FCW FSW FTW with their reserved halves, and the registers; pointers are the host's. */
    CHECK_EQ(memcmp(ours, host, 12), 0);
    CHECK_EQ(memcmp(ours + 28, host + 28, 80), 0);

    uint8_t fx[512], hfx[512];
    memset(fx, 0, sizeof(fx));
    x87_fxsave_buf(&env, fx, FXSAVE_LONG64);
    host_fxsave_roundtrip(fx, hfx);
    CHECK_EQ(memcmp(fx, hfx, 6), 0);
    /* FOP/FIP/FDP are saved by newer hosts only with a pending exception; MXCSR_MASK is
     * the host's own. */
    CHECK_EQ(memcmp(fx + 24, hfx + 24, 4), 0);
    CHECK_EQ(memcmp(fx + 32, hfx + 32, 416 - 32), 0);
#else
    test_skip("host_layouts", "needs an x86-64 host");
#endif
}

#if defined(__x86_64__)
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double rnd_double(void)
{
    static const double specials[] = { 0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN,
                                       1e-310, 3.0, 1e308, 0.1 };
    uint64_t r = rnd();
    if ((r & 7) == 0) {
        return specials[(r >> 3) % (sizeof(specials) / sizeof(specials[0]))];
    }
    double d;
    uint64_t bits = rnd();
    /* Keep exponents moderate most of the time so results are mostly normal. */
    if (r & 8) {
        bits = (bits & 0x800fffffffffffffull) | ((uint64_t)(0x3c0 + (rnd() % 0x80)) << 52);
    }
    memcpy(&d, &bits, 8);
    return d;
}

typedef struct HostResult {
    uint8_t value[10];
    uint16_t fsw;
} HostResult;

static HostResult host_op(unsigned op, double a, double b)
{
    HostResult r;
    uint16_t cw = 0x037f;

    __asm__ volatile("fninit\n\tfldcw %0" : : "m"(cw));
    switch (op) {
    case X87_ADD:
        __asm__ volatile("fldl %2\n\tfaddl %3\n\tfnstsw %1\n\tfstpt %0"
                         : "=m"(r.value), "=m"(r.fsw) : "m"(a), "m"(b));
        break;
    case X87_MUL:
        __asm__ volatile("fldl %2\n\tfmull %3\n\tfnstsw %1\n\tfstpt %0"
                         : "=m"(r.value), "=m"(r.fsw) : "m"(a), "m"(b));
        break;
    case X87_SUB:
        __asm__ volatile("fldl %2\n\tfsubl %3\n\tfnstsw %1\n\tfstpt %0"
                         : "=m"(r.value), "=m"(r.fsw) : "m"(a), "m"(b));
        break;
    case X87_DIV:
        __asm__ volatile("fldl %2\n\tfdivl %3\n\tfnstsw %1\n\tfstpt %0"
                         : "=m"(r.value), "=m"(r.fsw) : "m"(a), "m"(b));
        break;
    default:
        __asm__ volatile("fldl %2\n\tfdivrl %3\n\tfnstsw %1\n\tfstpt %0"
                         : "=m"(r.value), "=m"(r.fsw) : "m"(a), "m"(b));
        break;
    }
    __asm__ volatile("fninit");
    return r;
}
#endif

static void test_host_arith(void)
{
#if defined(__x86_64__)
    static const unsigned ops[] = { X87_ADD, X87_MUL, X87_SUB, X87_DIV, X87_DIVR };
    unsigned mismatches = 0;

    for (int iter = 0; iter < 4000; iter++) {
        unsigned op = ops[iter % 5];
        double a = rnd_double(), b = rnd_double();
        HostResult h = host_op(op, a, b);
        uint64_t ab;
        uint8_t bb[8];

        fresh();
        memcpy(&ab, &a, 8);
        push_bytes(X87_M64FP, ab);
        memcpy(bb, &b, 8);
        x87_farith_bytes(&env, op, X87_M64FP, bb);
        uint8_t ours[10];
        /* Exception flags and C1 of the operation (the host reads FSW before its FSTP). */
        x87_fst_prepare(&env, X87_M80FP, true, ours);
        uint16_t our_fsw = x87_get_fsw(&env) & (0x3f | FPUS_C1);
        uint16_t host_fsw = (uint16_t)(h.fsw & (0x3f | FPUS_C1));
        if (memcmp(ours, h.value, 10) != 0 || our_fsw != host_fsw) {
            if (mismatches++ < 3) {
                printf("# op %u a=%a b=%a fsw ours %#x host %#x\n", op, a, b, our_fsw,
                       host_fsw);
            }
        }
    }
    CHECK_EQ(mismatches, 0);
#else
    test_skip("host_arith", "needs an x86-64 host");
#endif
}

int main(void)
{
    test_run("x87_known_values", test_known_values);
    test_run("x87_stack_faults", test_stack_faults);
    test_run("x87_unmasked_exceptions", test_unmasked);
    test_run("x87_tags_and_compare", test_tags_and_compare);
    test_run("x87_misc_ops", test_misc_ops);
    test_run("x87_fsave_layout", test_fsave_layout);
    test_run("x87_fxsave_layout", test_fxsave_layout);
#if defined(__x86_64__)
    test_run("x87_host_layouts", test_host_layouts);
    test_run("x87_host_arith", test_host_arith);
#else
    test_host_layouts();
    test_host_arith();
#endif
    return test_summary();
}
