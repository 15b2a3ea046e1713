/*
 * Tests of the software floating point library (cpu/x86/fpu).
 *
 * Known-value cases and a digest of a fixed operation sequence run on every host.  On an
 * x86-64 host the host's own x87 and SSE units are the oracle: random operands, biased toward
 * the edges (zeros, denormals, pseudo-denormals, unsupported encodings, infinities, NaNs,
 * exponents near overflow and underflow, halfway cases, all-ones significands), go through
 * both under every rounding mode, precision control and DAZ/FTZ setting, also with overflow
 * and underflow unmasked, and the result bits, exception flags and C1 must agree exactly.
 *
 * OSPREY_FP_ITERS=N multiplies the number of random cases (default 1) for longer soaks;
 * OSPREY_FP_SEED=N changes the random seed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x86/fpu/softfloat-internal.h"
#include "tests/unit/test.h"

/* The host oracle needs an x86-64 host; -DOSPREY_FP_NO_ORACLE builds only the portable part. */
#if defined(__x86_64__) && !defined(OSPREY_FP_NO_ORACLE)
#define HAVE_HOST_ORACLE 1
#include <signal.h>
#include <ucontext.h>
#endif

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned iter_scale = 1;

static uint64_t rnd64(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(unsigned n)
{
    return (unsigned)(rnd64() % n);
}

static FloatStatus status(int rc, int pc)
{
    FloatStatus s = float_status_default();

    s.round_mode = (uint8_t)rc;
    s.precision = (uint8_t)pc;
    return s;
}

static floatx80 fx(uint16_t se, uint64_t sig)
{
    floatx80 r = { sig, se };
    return r;
}

static bool fx_eq(floatx80 a, floatx80 b)
{
    return a.se == b.se && a.sig == b.sig;
}

/* Known values, every host */

static void test_helpers(void)
{
    uint64_t rem, rh, rl, root;

    CHECK_EQ(fp_div128by64(1, 0, 1ull << 63, &rem), 2);
    CHECK_EQ(rem, 0);
    CHECK_EQ(fp_div128by64(0x7fffffffffffffffull, ~0ull, ~0ull, &rem), 0x8000000000000000ull);
    CHECK_EQ(rem, 0x7fffffffffffffffull);
    root = fp_sqrt128(1ull << 62, 0, &rh, &rl);   /* sqrt(2^126) */
    CHECK_EQ(root, 1ull << 63);
    CHECK_EQ(rh | rl, 0);
    root = fp_sqrt128(~0ull, ~0ull, &rh, &rl);
    CHECK_EQ(root, ~0ull);
    CHECK_EQ(rh, 1);
    CHECK_EQ(rl, ~0ull - 1);
    for (int i = 0; i < 40000; i++) {
        /* Half random, half the divisors and dividends where the digit estimates overshoot. */
        static const uint64_t hard_d[] = { 0xfffffff0ffffffffull, 0x80000000ffffffffull,
                                           0xffffffffffffffffull, 0x8000000000000000ull,
                                           0xfffffffe00000001ull, 0x80000001fffffffeull };
        uint64_t d = rnd64() | (1ull << 63);
        uint64_t hi = rnd64() % d, lo = rnd64(), q, ph, pl;

        if (i & 1) {
            d = hard_d[rnd(6)] ^ (rnd64() & (rnd(2) ? 0xf : 0));
            d |= 1ull << 63;
            hi = d - 1 - rnd(3);
            lo = rnd(2) ? ~0ull - rnd(4) : rnd64();
        }

        q = fp_div128by64(hi, lo, d, &rem);
        fp_mul64(q, d, &ph, &pl);
        fp_add128(ph, pl, 0, rem, &ph, &pl);
        CHECK(ph == hi && pl == lo && rem < d);
        hi = rnd64() | (1ull << 62);
        root = fp_sqrt128(hi, lo, &rh, &rl);
        fp_mul64(root, root, &ph, &pl);
        fp_add128(ph, pl, rh, rl, &ph, &pl);
        CHECK(ph == hi && pl == lo);
        /* rem <= 2 * root */
        CHECK(rh < 1 || (rh == 1 && rl <= (root << 1)));
    }
}

static void test_known_x87(void)
{
    FloatStatus s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
    floatx80 one = fx(0x3fff, 1ull << 63), two = fx(0x4000, 1ull << 63);
    floatx80 three = fx(0x4000, 0xc000000000000000ull), inf = fx(0x7fff, 1ull << 63);
    floatx80 r;

    r = floatx80_add(one, one, &s);
    CHECK(fx_eq(r, two));
    CHECK_EQ(s.flags, 0);
    r = floatx80_div(one, three, &s);
    CHECK(fx_eq(r, fx(0x3ffd, 0xaaaaaaaaaaaaaaabull)));
    CHECK_EQ(s.flags, FLOAT_FLAG_INEXACT);
    CHECK(s.rounded_up);
    s.precision = FLOATX80_PREC_24;
    r = floatx80_div(one, three, &s);
    CHECK(fx_eq(r, fx(0x3ffd, 0xaaaaab0000000000ull)));
    s.precision = FLOATX80_PREC_53;
    s.round_mode = FLOAT_ROUND_ZERO;
    r = floatx80_div(one, three, &s);
    CHECK(fx_eq(r, fx(0x3ffd, 0xaaaaaaaaaaaaa800ull)));
    CHECK(!s.rounded_up);

    s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
    r = floatx80_sub(inf, inf, &s);
    CHECK(fx_eq(r, floatx80_default_nan()));
    CHECK_EQ(s.flags, FLOAT_FLAG_INVALID);
    s.flags = 0;
    r = floatx80_div(one, fx(0x8000, 0), &s);
    CHECK(fx_eq(r, fx(0xffff, 1ull << 63)));
    CHECK_EQ(s.flags, FLOAT_FLAG_DIVBYZERO);
    s.flags = 0;
    /* An unnormal is an invalid operand. */
    r = floatx80_add(one, fx(0x3fff, 1ull << 62), &s);
    CHECK(fx_eq(r, floatx80_default_nan()));
    CHECK_EQ(s.flags, FLOAT_FLAG_INVALID);
    s.flags = 0;
    /* A pseudo-denormal is read as 2^-16382 and raises the denormal exception. */
    r = floatx80_add(fx(0, 1ull << 63), fx(0, 0), &s);
    CHECK(fx_eq(r, fx(1, 1ull << 63)));
    CHECK_EQ(s.flags, FLOAT_FLAG_DENORMAL);
    s.flags = 0;
    r = floatx80_sqrt(fx(0x4000, 1ull << 63), &s);
    CHECK(fx_eq(r, fx(0x3fff, 0xb504f333f9de6484ull)));
    CHECK_EQ(s.flags, FLOAT_FLAG_INEXACT);
    /* x - x is -0 only when rounding down. */
    s.round_mode = FLOAT_ROUND_DOWN;
    r = floatx80_sub(three, three, &s);
    CHECK(fx_eq(r, fx(0x8000, 0)));
    /* Overflow: to infinity or to the largest finite value at the current precision. */
    s = status(FLOAT_ROUND_ZERO, FLOATX80_PREC_53);
    r = floatx80_mul(fx(0x7ffe, 1ull << 63), two, &s);
    CHECK(fx_eq(r, fx(0x7ffe, 0xfffffffffffff800ull)));
    CHECK_EQ(s.flags, FLOAT_FLAG_OVERFLOW | FLOAT_FLAG_INEXACT);
}

static void test_known_classify(void)
{
    FloatStatus s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
    uint8_t bcd[10];
    static const uint8_t bcd_123[10] = { 0x23, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x80 };

    CHECK(floatx80_is_signaling_nan(fx(0x7fff, 0xa000000000000000ull)));
    CHECK(!floatx80_is_signaling_nan(fx(0x7fff, 0xe000000000000000ull)));
    CHECK(floatx80_is_any_nan(fx(0x7fff, 0x2000000000000000ull)));   /* pseudo-NaN */
    CHECK(floatx80_is_unsupported(fx(0x7fff, 0x2000000000000000ull)));
    CHECK(floatx80_is_unsupported(fx(0x7fff, 0)));                   /* pseudo-infinity */
    CHECK(floatx80_is_unsupported(fx(0x1234, 0x4000000000000000ull))); /* unnormal */
    CHECK(!floatx80_is_unsupported(fx(0, 0x8000000000000000ull)));  /* pseudo-denormal */
    CHECK_EQ(floatx80_classify(fx(0, 0x8000000000000000ull)), FLOATX80_CLASS_DENORMAL);
    CHECK_EQ(floatx80_classify(fx(0x8000, 0)), FLOATX80_CLASS_ZERO);
    CHECK_EQ(floatx80_classify(fx(0xffff, 1ull << 63)), FLOATX80_CLASS_INFINITY);
    CHECK_EQ(floatx80_classify(floatx80_default_nan()), FLOATX80_CLASS_NAN);
    CHECK_EQ(floatx80_classify(fx(0x3fff, 1)), FLOATX80_CLASS_UNSUPPORTED);
    CHECK(float32_is_signaling_nan(0x7f800001) && !float32_is_signaling_nan(0x7fc00000));
    CHECK(float64_is_nan(0xfff8000000000000ull) && !float64_is_nan(0xfff0000000000000ull));
    /* Integer indefinite, and FIST rounding to even. */
    CHECK_EQ(floatx80_to_int16(fx(0x400f, 1ull << 63), &s), INT16_INDEFINITE);
    CHECK_EQ(s.flags, FLOAT_FLAG_INVALID);
    s.flags = 0;
    CHECK_EQ(floatx80_to_int32(fx(0x4000, 0xa000000000000000ull), &s), 2);   /* 2.5 */
    CHECK_EQ(floatx80_to_int32_round_to_zero(fx(0xc000, 0xe000000000000000ull), &s), -3);
    CHECK_EQ(s.flags, FLOAT_FLAG_INEXACT);
    /* Packed BCD both ways. */
    floatx80_to_bcd(int32_to_floatx80(-123), bcd, &s);
    CHECK(memcmp(bcd, bcd_123, 10) == 0);
    CHECK(fx_eq(bcd_to_floatx80(bcd_123), int32_to_floatx80(-123)));
    /* The constants follow the rounding mode. */
    CHECK_EQ(floatx80_load_const(FLOATX80_CONST_PI, &s).sig, 0xc90fdaa22168c235ull);
    s.round_mode = FLOAT_ROUND_DOWN;
    CHECK_EQ(floatx80_load_const(FLOATX80_CONST_PI, &s).sig, 0xc90fdaa22168c234ull);
    CHECK_EQ(floatx80_load_const(FLOATX80_CONST_L2T, &s).sig, 0xd49a784bcd1b8afeull);
    s.round_mode = FLOAT_ROUND_UP;
    CHECK_EQ(floatx80_load_const(FLOATX80_CONST_L2T, &s).sig, 0xd49a784bcd1b8affull);
}

static void test_known_sse(void)
{
    FloatStatus s = status(FLOAT_ROUND_NEAREST, 0);

    CHECK_EQ(float32_add(0x3f800000, 0x3f800000, &s), 0x40000000);
    CHECK_EQ(float64_div(0x3ff0000000000000ull, 0x4008000000000000ull, &s),
             0x3fd5555555555555ull);
    CHECK_EQ(s.flags, FLOAT_FLAG_INEXACT);
    s.flags = 0;
    /* The first operand's NaN wins, quieted. */
    CHECK_EQ(float32_mul(0x7f800001, 0x7fc00002, &s), 0x7fc00001);
    CHECK_EQ(s.flags, FLOAT_FLAG_INVALID);
    s.flags = 0;
    CHECK_EQ(float32_sub(0x7f800000, 0x7f800000, &s), FLOAT32_DEFAULT_NAN);
    s.flags = 0;
    /* DAZ: a denormal operand is a zero and raises nothing. */
    s.denormals_are_zero = true;
    CHECK_EQ(float32_add(0x00000001, 0x80000000, &s), 0);
    CHECK_EQ(s.flags, 0);
    /* FTZ: a tiny result is flushed with underflow and inexact. */
    s.flush_to_zero = true;
    CHECK_EQ(float32_mul(0x00800000, 0x3f000000, &s), 0);
    CHECK_EQ(s.flags, FLOAT_FLAG_UNDERFLOW | FLOAT_FLAG_INEXACT);
    s = status(FLOAT_ROUND_NEAREST, 0);
    CHECK_EQ(float64_sqrt(0x4000000000000000ull, &s), 0x3ff6a09e667f3bcdull);
    CHECK_EQ(float32_sqrt(0xbf800000, &s), FLOAT32_DEFAULT_NAN);
}

/* Operand generators, biased toward the edges */

static uint64_t gen_sig(void)
{
    uint64_t r = rnd64();
    unsigned k = rnd(64);

    switch (rnd(10)) {
    case 0:
        return ~0ull;
    case 1:
        return 1ull << 63;
    case 2:
        return (1ull << 63) | (1ull << k);
    case 3:
        /* Trailing zeros: exact results and halfway cases. */
        return r & ~((1ull << k) - 1);
    case 4:
        /* A one followed by zeros at a random position: halfway patterns. */
        return (r & ~((2ull << k) - 1)) | (1ull << k);
    case 5:
        return r | ((1ull << k) - 1);
    case 6:
        return r & 0xffffff0000000000ull;
    default:
        return r;
    }
}

static uint16_t clamp_exp(int e, int max)
{
    return (uint16_t)(e < 1 ? 1 : e > max ? max : e);
}

static floatx80 gen_x80_exp(int e)
{
    /* One draw per statement: the sequence must not depend on evaluation order. */
    uint16_t sign = (uint16_t)(rnd(2) << 15);
    uint64_t sig = gen_sig() | (1ull << 63);

    return fx(sign | clamp_exp(e, 0x7ffe), sig);
}

static floatx80 gen_x80(void)
{
    uint16_t sign = (uint16_t)(rnd(2) << 15);
    uint64_t sig = gen_sig() | (1ull << 63);

    switch (rnd(48)) {
    case 0:
        return fx(sign, 0);
    case 1:
    case 2:
    case 3:
        return fx(sign, sig >> (1 + rnd(63)));
    case 4:
        return fx(sign, sig);   /* pseudo-denormal */
    case 5:
        return fx(sign | 0x7fff, 1ull << 63);
    case 6:
        return fx(sign | 0x7fff, sig | (1ull << 62));
    case 7:
        sig &= ~(1ull << 62);
        return fx(sign | 0x7fff, (sig << 2) ? sig : sig | 1);
    case 8:
        /* Unnormal, pseudo-NaN or pseudo-infinity. */
        return fx(sign | (uint16_t)(1 + rnd(0x7fff)), sig & ~(1ull << 63));
    case 9:
    case 10:
    case 11:
    case 12:
        return gen_x80_exp(1 + (int)rnd(70));
    case 13:
    case 14:
    case 15:
    case 16:
        return gen_x80_exp(0x7ffe - (int)rnd(70));
    case 17:
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:
    case 23:
    case 24:
        return gen_x80_exp(0x3fff - 70 + (int)rnd(140));
    default:
        return gen_x80_exp(1 + (int)rnd(0x7ffe));
    }
}

enum { PAIR_ADD, PAIR_MUL, PAIR_DIV };

/*
 * A second operand related to the first: close exponents (cancellation, alignment), or
 * exponents that put a product or quotient near the ends of the range.
 */
static int pair_exp(int ea, int kind, int bias, int emax)
{
    int targets[] = { 1, emax, bias };
    int t = targets[rnd(3)];

    t += (int)rnd(140) - 70;

    switch (kind) {
    case PAIR_ADD:
        return ea + (int)rnd(141) - 70;
    case PAIR_MUL:
        return t - ea + bias;
    default:
        return ea - t + bias;
    }
}

static void gen_x80_pair(int kind, floatx80 *a, floatx80 *b)
{
    *a = gen_x80();
    if (rnd(2) && floatx80_exp(*a) != 0 && floatx80_exp(*a) != 0x7fff) {
        *b = gen_x80_exp(pair_exp(floatx80_exp(*a), kind, 0x3fff, 0x7ffe));
        if (kind == PAIR_ADD && rnd(4) == 0) {
            /* Nearly equal significands: massive cancellation. */
            uint64_t flip = rnd64();

            b->sig = a->sig ^ (flip >> (rnd(64) | 1));
            b->sig |= 1ull << 63;
        }
    } else {
        *b = gen_x80();
    }
}

/* float32/float64 as one generic IEEE format: frac fraction bits, ebits exponent bits. */
static uint64_t gen_ieee_exp(int e, int frac, int ebits)
{
    uint64_t sign = (uint64_t)rnd(2) << (frac + ebits);
    int emax = (1 << ebits) - 2;

    return sign | ((uint64_t)clamp_exp(e, emax) << frac) | (gen_sig() >> (64 - frac));
}

static uint64_t gen_ieee(int frac, int ebits)
{
    uint64_t sign = (uint64_t)rnd(2) << (frac + ebits);
    uint64_t f = gen_sig() >> (64 - frac);
    uint64_t emask = ((1ull << ebits) - 1) << frac;
    int bias = (1 << (ebits - 1)) - 1, emax = (1 << ebits) - 2;

    switch (rnd(40)) {
    case 0:
        return sign;
    case 1:
    case 2:
    case 3:
        return sign | (f >> rnd((unsigned)frac));
    case 4:
        return sign | emask;
    case 5:
        return sign | emask | f | (1ull << (frac - 1));
    case 6:
        f &= ~(1ull << (frac - 1));
        return sign | emask | (f ? f : 1);
    case 7:
    case 8:
    case 9:
        return gen_ieee_exp(1 + (int)rnd(30), frac, ebits);
    case 10:
    case 11:
    case 12:
        return gen_ieee_exp(emax - (int)rnd(30), frac, ebits);
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
        return gen_ieee_exp(bias - 30 + (int)rnd(60), frac, ebits);
    default:
        return gen_ieee_exp(1 + (int)rnd((unsigned)emax), frac, ebits);
    }
}

static void gen_ieee_pair(int kind, int frac, int ebits, uint64_t *a, uint64_t *b)
{
    int bias = (1 << (ebits - 1)) - 1, emax = (1 << ebits) - 2;
    int ea;

    *a = gen_ieee(frac, ebits);
    ea = (int)((*a >> frac) & (uint64_t)(emax + 1));
    if (rnd(2) && ea != 0 && ea != emax + 1) {
        *b = gen_ieee_exp(pair_exp(ea, kind, bias, emax), frac, ebits);
        if (kind == PAIR_ADD && rnd(4) == 0) {
            uint64_t fmask = (1ull << frac) - 1;

            uint64_t flip = rnd64();

            *b = (*b & ~fmask) | ((*a ^ (flip >> (rnd(64) | 1))) & fmask);
        }
    } else {
        *b = gen_ieee(frac, ebits);
    }
}

/* Host oracle */

#ifdef HAVE_HOST_ORACLE

#define MAX_PRINTED 10

typedef struct Tally {
    const char *name;
    unsigned long compared;
    unsigned long mismatched;
} Tally;

static unsigned long total_compared, total_mismatched;

static void __attribute__((format(printf, 2, 3))) tally_mismatch(Tally *t, const char *fmt, ...)
{
    va_list ap;

    if (t->mismatched++ < MAX_PRINTED) {
        printf("  mismatch %s: ", t->name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
}

static void tally_end(Tally *t)
{
    printf("  %-22s %9lu comparisons, %lu mismatches\n", t->name, t->compared, t->mismatched);
    total_compared += t->compared;
    total_mismatched += t->mismatched;
    CHECK_EQ(t->mismatched, 0);
}

static unsigned long iters(unsigned long base)
{
    return base * iter_scale;
}

static uint16_t x87_cw(int rc, int pc)
{
    return (uint16_t)(0x3f | (pc << 8) | (rc << 10));
}

/* x87 status word bits we compare: the six flags and C1. */
#define SW_C1 0x0200

static uint16_t our_sw(const FloatStatus *s)
{
    return (uint16_t)(s->flags | (s->rounded_up ? SW_C1 : 0));
}

/*
 * The host operations.  Each starts from FNINIT and ends with FNINIT, so the host's own
 * control word is restored.  The AT&T forms with %st as destination compute st(0) op st(1).
 */
#define HOST_X87_BINOP(fname, insn)                                                          \
    static floatx80 fname(floatx80 a, floatx80 b, uint16_t cw, uint16_t *sw)                \
    {                                                                                       \
        floatx80 r;                                                                         \
        uint16_t st;                                                                        \
        asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"      \
                     "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"                                 \
                     : [r] "=m"(r), [sw] "=m"(st)                                           \
                     : [a] "m"(a), [b] "m"(b), [cw] "m"(cw));                               \
        *sw = st;                                                                           \
        return r;                                                                           \
    }

HOST_X87_BINOP(host_fadd, "fadd %%st(1), %%st")
HOST_X87_BINOP(host_fsub, "fsub %%st(1), %%st")
HOST_X87_BINOP(host_fmul, "fmul %%st(1), %%st")
HOST_X87_BINOP(host_fdiv, "fdiv %%st(1), %%st")
HOST_X87_BINOP(host_fsubr, "fsubr %%st(1), %%st")
HOST_X87_BINOP(host_fdivr, "fdivr %%st(1), %%st")
HOST_X87_BINOP(host_fsqrt, "fsqrt")
HOST_X87_BINOP(host_fscale, "fscale")
HOST_X87_BINOP(host_frndint, "frndint")

/* FSUBR/FDIVR: st(0) = st(1) op st(0), the same operations with the operands swapped. */
static floatx80 ours_subr(floatx80 a, floatx80 b, FloatStatus *s)
{
    return floatx80_sub(b, a, s);
}

static floatx80 ours_divr(floatx80 a, floatx80 b, FloatStatus *s)
{
    return floatx80_div(b, a, s);
}

static floatx80 ours_sqrt(floatx80 a, floatx80 b, FloatStatus *s)
{
    return floatx80_sqrt(a, s);
}

static floatx80 ours_rndint(floatx80 a, floatx80 b, FloatStatus *s)
{
    return floatx80_round_to_int(a, s);
}

typedef struct X87BinCase {
    const char *name;
    floatx80 (*ours)(floatx80, floatx80, FloatStatus *);
    floatx80 (*host)(floatx80, floatx80, uint16_t, uint16_t *);
    int kind;
    bool uses_pc;
} X87BinCase;

static const X87BinCase x87_bin_cases[] = {
    { "x87 fadd", floatx80_add, host_fadd, PAIR_ADD, true },
    { "x87 fsub", floatx80_sub, host_fsub, PAIR_ADD, true },
    { "x87 fmul", floatx80_mul, host_fmul, PAIR_MUL, true },
    { "x87 fdiv", floatx80_div, host_fdiv, PAIR_DIV, true },
    { "x87 fsqrt", ours_sqrt, host_fsqrt, PAIR_ADD, true },
    { "x87 fsubr", ours_subr, host_fsubr, PAIR_ADD, true },
    { "x87 fdivr", ours_divr, host_fdivr, PAIR_DIV, true },
    { "x87 frndint", ours_rndint, host_frndint, PAIR_ADD, true },
    { "x87 fscale", floatx80_scale, host_fscale, PAIR_ADD, true },
};

static void fx_str(char *buf, size_t n, floatx80 a)
{
    snprintf(buf, n, "%04x:%016" PRIx64, a.se, a.sig);
}

static void run_x87_bin(const X87BinCase *c)
{
    Tally t = { c->name };
    unsigned long n = iters(c->uses_pc ? 6000 : 12000);

    for (int rc = 0; rc < 4; rc++) {
        for (int pc = 0; pc < 4; pc++) {
            if (!c->uses_pc && pc != 3) {
                continue;
            }
            for (unsigned long i = 0; i < n; i++) {
                floatx80 a, b, ours, host;
                FloatStatus s = status(rc, pc);
                uint16_t sw;

                gen_x80_pair(c->kind, &a, &b);
                if (c->host == host_fscale && rnd(2)) {
                    /* Scale factors that matter: small integers and fractions. */
                    b = int32_to_floatx80((int32_t)rnd(80000) - 40000);
                    if (rnd(4) == 0) {
                        b = floatx80_add(b, fx(0x3ffe, 1ull << 63), &s);
                        s.flags = 0;
                    }
                }
                ours = c->ours(a, b, &s);
                host = c->host(a, b, x87_cw(rc, pc), &sw);
                t.compared++;
                if (!fx_eq(ours, host) || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
                    char sa[32], sb[32], so[32], sh[32];

                    fx_str(sa, sizeof(sa), a);
                    fx_str(sb, sizeof(sb), b);
                    fx_str(so, sizeof(so), ours);
                    fx_str(sh, sizeof(sh), host);
                    tally_mismatch(&t, "rc%d pc%d %s, %s: ours %s sw %04x, host %s sw %04x", rc,
                                   pc, sa, sb, so, our_sw(&s), sh, sw & (0x3f | SW_C1));
                }
            }
        }
    }
    tally_end(&t);
}

static void test_oracle_x87_arith(void)
{
    for (size_t i = 0; i < sizeof(x87_bin_cases) / sizeof(x87_bin_cases[0]); i++) {
        run_x87_bin(&x87_bin_cases[i]);
    }
}

/*
 * Every operand pair drawn from a list of edge values, under every rounding mode and
 * precision: the cases random operands reach only by luck (tininess boundaries, overflow
 * thresholds, exact ties).
 */
static size_t x87_edge_values(floatx80 *v, size_t max)
{
    static const uint64_t sigs[] = {
        0x8000000000000000ull, 0x8000000000000001ull, 0xffffffffffffffffull,
        0xfffffffffffffffeull, 0xc000000000000000ull, 0x8000000000000400ull,
        0xffffffffffffff00ull, 0x8000010000000000ull, 0xffffff8000000000ull,
        0xfffffffffffff800ull, 0x8000000000000800ull, 0xaaaaaaaaaaaaaaabull,
    };
    static const uint16_t exps[] = { 0, 1, 2, 0x3ffe, 0x3fff, 0x4000, 0x7ffd, 0x7ffe, 0x3fbf,
                                     0x403f, 0x7fff };
    size_t n = 0;

    for (size_t e = 0; e < sizeof(exps) / sizeof(exps[0]); e++) {
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
            uint64_t sig = sigs[i];

            if (exps[e] == 0) {
                sig >>= 1 + i;
            }
            if (exps[e] == 0x7fff && i > 2) {
                break;
            }
            for (int sign = 0; sign < 2 && n < max; sign++) {
                v[n++] = fx((uint16_t)((sign << 15) | exps[e]), sig);
            }
        }
    }
    if (n + 2 <= max) {
        v[n++] = fx(0, 0);
        v[n++] = fx(0x8000, 0);
    }
    return n;
}

static void test_oracle_x87_edges(void)
{
    floatx80 v[320];
    size_t n = x87_edge_values(v, 320);

    static const char *names[] = { "x87 edges fadd", "x87 edges fsub", "x87 edges fmul",
                                   "x87 edges fdiv", "x87 edges fsqrt", "x87 edges fsubr",
                                   "x87 edges fdivr" };

    for (size_t c = 0; c < sizeof(names) / sizeof(names[0]); c++) {
        const X87BinCase *bc = &x87_bin_cases[c];
        Tally t = { names[c] };

        for (int rc = 0; rc < 4; rc++) {
            for (int pc = 0; pc < 4; pc++) {
                for (size_t i = 0; i < n; i++) {
                    for (size_t j = 0; j < (c == 4 ? 1 : n); j++) {
                        FloatStatus s = status(rc, pc);
                        floatx80 ours, host;
                        uint16_t sw;

                        ours = bc->ours(v[i], v[j], &s);
                        host = bc->host(v[i], v[j], x87_cw(rc, pc), &sw);
                        t.compared++;
                        if (!fx_eq(ours, host) || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
                            tally_mismatch(&t, "rc%d pc%d %04x:%016" PRIx64 ", %04x:%016" PRIx64
                                           ": ours %04x:%016" PRIx64 " sw %04x, host %04x:%016"
                                           PRIx64 " sw %04x", rc, pc, v[i].se, v[i].sig,
                                           v[j].se, v[j].sig, ours.se, ours.sig, our_sw(&s),
                                           host.se, host.sig, sw & (0x3f | SW_C1));
                        }
                    }
                }
            }
        }
        tally_end(&t);
    }
}

/* FPREM, FPREM1 */

#define SW_C0 0x0100
#define SW_C2 0x0400
#define SW_C3 0x4000
#define SW_CC (SW_C0 | SW_C1 | SW_C2 | SW_C3)

#define HOST_X87_FPREM(fname, insn)                                                          \
    static floatx80 fname(floatx80 a, floatx80 b, uint16_t cw, uint16_t *sw)                \
    {                                                                                       \
        floatx80 r;                                                                         \
        uint16_t st;                                                                        \
        asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"      \
                     "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"                                 \
                     : [r] "=m"(r), [sw] "=m"(st)                                           \
                     : [a] "m"(a), [b] "m"(b), [cw] "m"(cw));                               \
        *sw = st;                                                                           \
        return r;                                                                           \
    }

HOST_X87_FPREM(host_fprem, "fprem")
HOST_X87_FPREM(host_fprem1, "fprem1")

static void test_oracle_x87_fprem(void)
{
    for (int ieee = 0; ieee < 2; ieee++) {
        Tally t = { ieee ? "x87 fprem1" : "x87 fprem" };

        for (unsigned long i = 0; i < iters(60000); i++) {
            FloatStatus s = status((int)rnd(4), (int)rnd(4));
            floatx80 a, b, ours, host;
            unsigned q;
            bool incomplete;
            uint16_t sw, mine;

            gen_x80_pair(PAIR_ADD, &a, &b);
            if (rnd(4) == 0 && floatx80_exp(a) < 0x7f00) {
                /* Large exponent differences: partial remainders. */
                a.se = (uint16_t)((a.se & 0x8000) | (floatx80_exp(a) + rnd(200)));
            }
            ours = floatx80_fprem(a, b, ieee, &q, &incomplete, &s);
            host = (ieee ? host_fprem1 : host_fprem)(a, b, x87_cw(s.round_mode, s.precision),
                                                      &sw);
            mine = (uint16_t)(s.flags | (incomplete ? SW_C2 : 0) | ((q & 4) ? SW_C0 : 0) |
                              ((q & 2) ? SW_C3 : 0) | ((q & 1) ? SW_C1 : 0));
            t.compared++;
            if (!fx_eq(ours, host) || (sw & (0x3f | SW_CC)) != mine) {
                tally_mismatch(&t, "%04x:%016" PRIx64 ", %04x:%016" PRIx64 ": ours %04x:%016"
                               PRIx64 " sw %04x, host %04x:%016" PRIx64 " sw %04x", a.se, a.sig,
                               b.se, b.sig, ours.se, ours.sig, mine, host.se, host.sig,
                               sw & (0x3f | SW_CC));
            }
        }
        tally_end(&t);
    }
}

/* FXTRACT, FXAM, constants */

static void host_fxtract(floatx80 a, floatx80 *e, floatx80 *sig, uint16_t *sw)
{
    uint16_t st;

    asm volatile("fninit\n\tfldt %[a]\n\tfxtract\n\tfnstsw %[sw]\n\tfstpt %[s]\n\tfstpt %[e]\n\t"
                 "fninit"
                 : [s] "=m"(*sig), [e] "=m"(*e), [sw] "=m"(st)
                 : [a] "m"(a));
    *sw = st;
}

static uint16_t host_fxam(floatx80 a)
{
    uint16_t st;

    asm volatile("fninit\n\tfldt %[a]\n\tfxam\n\tfnstsw %[sw]\n\tfninit"
                 : [sw] "=m"(st)
                 : [a] "m"(a));
    return st;
}

static floatx80 host_const(int which, uint16_t cw, uint16_t *sw)
{
    floatx80 r;
    uint16_t st;

#define HOST_CONST(insn)                                                                     \
    asm volatile("fninit\n\tfldcw %[cw]\n\t" insn "\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit" \
                 : [r] "=m"(r), [sw] "=m"(st)                                               \
                 : [cw] "m"(cw))
    switch (which) {
    case FLOATX80_CONST_ONE:
        HOST_CONST("fld1");
        break;
    case FLOATX80_CONST_L2T:
        HOST_CONST("fldl2t");
        break;
    case FLOATX80_CONST_L2E:
        HOST_CONST("fldl2e");
        break;
    case FLOATX80_CONST_PI:
        HOST_CONST("fldpi");
        break;
    case FLOATX80_CONST_LG2:
        HOST_CONST("fldlg2");
        break;
    case FLOATX80_CONST_LN2:
        HOST_CONST("fldln2");
        break;
    default:
        HOST_CONST("fldz");
        break;
    }
#undef HOST_CONST
    *sw = st;
    return r;
}

static void test_oracle_x87_misc(void)
{
    Tally tx = { "x87 fxtract" }, ta = { "x87 fxam" }, tc = { "x87 constants" };

    for (unsigned long i = 0; i < iters(60000); i++) {
        FloatStatus s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
        floatx80 a = gen_x80(), oe, os, he, hs;
        uint16_t sw, cls;

        floatx80_extract(a, &oe, &os, &s);
        host_fxtract(a, &he, &hs, &sw);
        tx.compared++;
        if (!fx_eq(oe, he) || !fx_eq(os, hs) || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
            tally_mismatch(&tx, "%04x:%016" PRIx64 ": ours %04x:%016" PRIx64 " %04x:%016" PRIx64
                           " sw %04x, host %04x:%016" PRIx64 " %04x:%016" PRIx64 " sw %04x",
                           a.se, a.sig, oe.se, oe.sig, os.se, os.sig, our_sw(&s), he.se,
                           he.sig, hs.se, hs.sig, sw & (0x3f | SW_C1));
        }

        sw = host_fxam(a) & SW_CC;
        cls = (uint16_t)floatx80_classify(a);
        cls = (uint16_t)(((cls & 4) ? SW_C3 : 0) | ((cls & 2) ? SW_C2 : 0) |
                         ((cls & 1) ? SW_C0 : 0) | (floatx80_sign(a) ? SW_C1 : 0));
        ta.compared++;
        if (sw != cls) {
            tally_mismatch(&ta, "%04x:%016" PRIx64 ": ours %04x host %04x", a.se, a.sig, cls,
                           sw);
        }
    }
    for (int which = FLOATX80_CONST_ONE; which <= FLOATX80_CONST_ZERO; which++) {
        for (int rc = 0; rc < 4; rc++) {
            for (int pc = 0; pc < 4; pc++) {
                FloatStatus s = status(rc, pc);
                floatx80 ours = floatx80_load_const(which, &s), host;
                uint16_t sw;

                host = host_const(which, x87_cw(rc, pc), &sw);
                tc.compared++;
                if (!fx_eq(ours, host) || (sw & (0x3f | SW_C1)) != 0) {
                    tally_mismatch(&tc, "const %d rc%d pc%d: ours %04x:%016" PRIx64
                                   ", host %04x:%016" PRIx64 " sw %04x", which, rc, pc, ours.se,
                                   ours.sig, host.se, host.sig, sw);
                }
            }
        }
    }
    tally_end(&tx);
    tally_end(&ta);
    tally_end(&tc);
}

/* Conversions: FIST/FISTP/FISTTP, FLD/FST m32/m64, FILD, and the memory forms of FADD */

static int64_t host_fist(floatx80 a, int bits, bool truncate, uint16_t cw, uint16_t *sw)
{
    int16_t r16 = 0;
    int32_t r32 = 0;
    int64_t r64 = 0;
    uint16_t st;

#define HOST_FIST(insn, out)                                                                 \
    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[r]\n\tfnstsw %[sw]\n\t"   \
                 "fninit"                                                                   \
                 : [r] "=m"(out), [sw] "=m"(st)                                             \
                 : [a] "m"(a), [cw] "m"(cw))
    switch (bits | truncate) {
    case 16:
        HOST_FIST("fistps", r16);
        r64 = r16;
        break;
    case 17:
        HOST_FIST("fisttps", r16);
        r64 = r16;
        break;
    case 32:
        HOST_FIST("fistpl", r32);
        r64 = r32;
        break;
    case 33:
        HOST_FIST("fisttpl", r32);
        r64 = r32;
        break;
    case 64:
        HOST_FIST("fistpll", r64);
        break;
    default:
        HOST_FIST("fisttpll", r64);
        break;
    }
#undef HOST_FIST
    *sw = st;
    return r64;
}

static int64_t ours_fist(floatx80 a, int bits, bool truncate, FloatStatus *s)
{
    switch (bits | truncate) {
    case 16:
        return floatx80_to_int16(a, s);
    case 17:
        return floatx80_to_int16_round_to_zero(a, s);
    case 32:
        return floatx80_to_int32(a, s);
    case 33:
        return floatx80_to_int32_round_to_zero(a, s);
    case 64:
        return floatx80_to_int64(a, s);
    default:
        return floatx80_to_int64_round_to_zero(a, s);
    }
}

/* A value near the integer range limits now and then. */
static floatx80 gen_x80_for_int(int bits)
{
    if (rnd(3) == 0) {
        return gen_x80_exp(0x3fff + bits - 3 + (int)rnd(5));
    }
    if (rnd(3) == 0) {
        return gen_x80_exp(0x3fff - 2 + (int)rnd(8));
    }
    return gen_x80();
}

static void test_oracle_x87_fist(void)
{
    static const char *names[] = { "x87 fistp m16", "x87 fistp m32", "x87 fistp m64",
                                   "x87 fisttp m16", "x87 fisttp m32", "x87 fisttp m64" };

    for (int k = 0; k < 6; k++) {
        int bits = 16 << (k % 3);
        bool truncate = k >= 3;
        Tally t = { names[k] };

        for (int rc = 0; rc < 4; rc++) {
            for (unsigned long i = 0; i < iters(10000); i++) {
                FloatStatus s = status(rc, FLOATX80_PREC_64);
                floatx80 a = gen_x80_for_int(bits);
                int64_t ours, host;
                uint16_t sw = 0;

                ours = ours_fist(a, bits, truncate, &s);
                host = host_fist(a, bits, truncate, x87_cw(rc, 3), &sw);
                t.compared++;
                if (ours != host || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
                    tally_mismatch(&t, "rc%d %04x:%016" PRIx64 ": ours %" PRIx64 " sw %04x, host %"
                                   PRIx64 " sw %04x", rc, a.se, a.sig, (uint64_t)ours,
                                   our_sw(&s), (uint64_t)host, sw & (0x3f | SW_C1));
                }
            }
        }
        tally_end(&t);
    }
}

static floatx80 host_fld32(uint32_t m, uint16_t *sw)
{
    floatx80 r;
    uint16_t st;

    asm volatile("fninit\n\tflds %[m]\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit"
                 : [r] "=m"(r), [sw] "=m"(st)
                 : [m] "m"(m));
    *sw = st;
    return r;
}

static floatx80 host_fld64(uint64_t m, uint16_t *sw)
{
    floatx80 r;
    uint16_t st;

    asm volatile("fninit\n\tfldl %[m]\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit"
                 : [r] "=m"(r), [sw] "=m"(st)
                 : [m] "m"(m));
    *sw = st;
    return r;
}

static uint32_t host_fst32(floatx80 a, uint16_t cw, uint16_t *sw)
{
    uint32_t r;
    uint16_t st;

    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfstps %[r]\n\tfnstsw %[sw]\n\tfninit"
                 : [r] "=m"(r), [sw] "=m"(st)
                 : [a] "m"(a), [cw] "m"(cw));
    *sw = st;
    return r;
}

static uint64_t host_fst64(floatx80 a, uint16_t cw, uint16_t *sw)
{
    uint64_t r;
    uint16_t st;

    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfstpl %[r]\n\tfnstsw %[sw]\n\tfninit"
                 : [r] "=m"(r), [sw] "=m"(st)
                 : [a] "m"(a), [cw] "m"(cw));
    *sw = st;
    return r;
}

/* st(0) op memory operand, for the memory forms of the arithmetic instructions. */
#define HOST_X87_MEMOP(fname, type, insn)                                                    \
    static floatx80 fname(floatx80 a, type m, uint16_t cw, uint16_t *sw)                    \
    {                                                                                       \
        floatx80 r;                                                                         \
        uint16_t st;                                                                        \
        asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[m]\n\t"              \
                     "fnstsw %[sw]\n\tfstpt %[r]\n\tfninit"                                 \
                     : [r] "=m"(r), [sw] "=m"(st)                                           \
                     : [a] "m"(a), [m] "m"(m), [cw] "m"(cw));                               \
        *sw = st;                                                                           \
        return r;                                                                           \
    }

HOST_X87_MEMOP(host_fadd_m32, uint32_t, "fadds")
HOST_X87_MEMOP(host_fdiv_m32, uint32_t, "fdivs")
HOST_X87_MEMOP(host_fmul_m64, uint64_t, "fmull")
HOST_X87_MEMOP(host_fsub_m64, uint64_t, "fsubl")
HOST_X87_MEMOP(host_fiadd_m16, int16_t, "fiadds")
HOST_X87_MEMOP(host_fidiv_m32, int32_t, "fidivl")

static void check_x87_result(Tally *t, const char *what, uint64_t in, floatx80 ours,
                             const FloatStatus *s, floatx80 host, uint16_t sw)
{
    t->compared++;
    if (!fx_eq(ours, host) || (sw & (0x3f | SW_C1)) != our_sw(s)) {
        tally_mismatch(t, "%s %" PRIx64 ": ours %04x:%016" PRIx64 " sw %04x, host %04x:%016" PRIx64
                       " sw %04x", what, in, ours.se, ours.sig, our_sw(s), host.se, host.sig,
                       sw & (0x3f | SW_C1));
    }
}

static void test_oracle_x87_convert(void)
{
    Tally tl = { "x87 fld m32/m64" }, ts = { "x87 fst m32/m64" }, tm = { "x87 arith m32/m64" };
    Tally ti = { "x87 fild/arith mint" };

    for (unsigned long i = 0; i < iters(40000); i++) {
        int rc = (int)rnd(4), pc = (int)rnd(4);
        uint16_t cw = x87_cw(rc, pc), sw;
        uint32_t m32 = (uint32_t)gen_ieee(23, 8), h32, o32;
        uint64_t m64 = gen_ieee(52, 11), h64, o64;
        int16_t i16 = (int16_t)(rnd(4) ? rnd64() : rnd(5) - 2);
        int32_t i32 = (int32_t)(rnd(4) ? rnd64() >> rnd(64) : rnd(5) - 2);
        floatx80 a = gen_x80(), ours, host;
        FloatStatus s = status(rc, pc);

        ours = float32_to_floatx80(m32, &s);
        host = host_fld32(m32, &sw);
        check_x87_result(&tl, "fld m32", m32, ours, &s, host, sw);
        s = status(rc, pc);
        ours = float64_to_floatx80(m64, &s);
        host = host_fld64(m64, &sw);
        check_x87_result(&tl, "fld m64", m64, ours, &s, host, sw);

        if (rnd(2)) {
            /* Values that land near the float32/float64 limits. */
            a = gen_x80_exp(rnd(2) ? 0x3fff - 126 - (int)rnd(30) + 15 : 0x3fff + 1023 - 5 +
                            (int)rnd(10));
        }
        s = status(rc, pc);
        h32 = host_fst32(a, cw, &sw);
        o32 = floatx80_to_float32(a, &s);
        ts.compared++;
        if (o32 != h32 || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
            tally_mismatch(&ts, "fst m32 rc%d %04x:%016" PRIx64 ": ours %08x sw %04x, host %08x "
                           "sw %04x", rc, a.se, a.sig, o32, our_sw(&s), h32, sw & (0x3f | SW_C1));
        }
        a = rnd(2) ? gen_x80() : gen_x80_exp(0x3fff - 1022 - (int)rnd(60) + 5);
        s = status(rc, pc);
        h64 = host_fst64(a, cw, &sw);
        o64 = floatx80_to_float64(a, &s);
        ts.compared++;
        if (o64 != h64 || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
            tally_mismatch(&ts, "fst m64 rc%d %04x:%016" PRIx64 ": ours %016" PRIx64 " sw %04x, "
                           "host %016" PRIx64 " sw %04x", rc, a.se, a.sig, o64, our_sw(&s), h64,
                           sw & (0x3f | SW_C1));
        }

        /* FADD m32 and friends: the operand is widened as FLD does, then the operation. */
        a = gen_x80();
        s = status(rc, pc);
        ours = floatx80_add(a, float32_to_floatx80_operand(m32, a, &s), &s);
        host = host_fadd_m32(a, m32, cw, &sw);
        check_x87_result(&tm, "fadd m32", m32, ours, &s, host, sw);
        s = status(rc, pc);
        ours = floatx80_div(a, float32_to_floatx80_operand(m32, a, &s), &s);
        host = host_fdiv_m32(a, m32, cw, &sw);
        check_x87_result(&tm, "fdiv m32", m32, ours, &s, host, sw);
        s = status(rc, pc);
        ours = floatx80_mul(a, float64_to_floatx80_operand(m64, a, &s), &s);
        host = host_fmul_m64(a, m64, cw, &sw);
        check_x87_result(&tm, "fmul m64", m64, ours, &s, host, sw);
        s = status(rc, pc);
        ours = floatx80_sub(a, float64_to_floatx80_operand(m64, a, &s), &s);
        host = host_fsub_m64(a, m64, cw, &sw);
        check_x87_result(&tm, "fsub m64", m64, ours, &s, host, sw);
        s = status(rc, pc);
        ours = floatx80_add(a, int16_to_floatx80(i16), &s);
        host = host_fiadd_m16(a, i16, cw, &sw);
        check_x87_result(&ti, "fiadd m16", (uint16_t)i16, ours, &s, host, sw);
        s = status(rc, pc);
        ours = floatx80_div(a, int32_to_floatx80(i32), &s);
        host = host_fidiv_m32(a, i32, cw, &sw);
        check_x87_result(&ti, "fidiv m32", (uint32_t)i32, ours, &s, host, sw);
    }
    tally_end(&tl);
    tally_end(&ts);
    tally_end(&tm);
    tally_end(&ti);
}

/* FBSTP and FBLD */

static void host_fbstp(floatx80 a, uint16_t cw, uint8_t bcd[10], uint16_t *sw)
{
    uint8_t out[10];
    uint16_t st;

    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfbstp %[r]\n\tfnstsw %[sw]\n\tfninit"
                 : [r] "=m"(out), [sw] "=m"(st)
                 : [a] "m"(a), [cw] "m"(cw));
    memcpy(bcd, out, 10);
    *sw = st;
}

static floatx80 host_fbld(const uint8_t bcd[10])
{
    uint8_t in[10];
    floatx80 r;

    memcpy(in, bcd, 10);
    asm volatile("fninit\n\tfbld %[m]\n\tfstpt %[r]\n\tfninit"
                 : [r] "=m"(r)
                 : [m] "m"(in));
    return r;
}

static void test_oracle_x87_bcd(void)
{
    Tally ts = { "x87 fbstp" }, tl = { "x87 fbld" };

    for (int rc = 0; rc < 4; rc++) {
        for (unsigned long i = 0; i < iters(10000); i++) {
            FloatStatus s = status(rc, FLOATX80_PREC_64);
            floatx80 a = rnd(2) ? gen_x80_for_int(60) : gen_x80();
            uint8_t ours[10], host[10];
            uint16_t sw;

            if (rnd(4) == 0) {
                /* Around 10^18, the largest 18-digit magnitude. */
                a = int64_to_floatx80((int64_t)(999999999999999999ull + rnd(5) - 2));
                a.sig ^= rnd64() & 0x3f;
                a.sig |= 1ull << 63;
            }
            floatx80_to_bcd(a, ours, &s);
            host_fbstp(a, x87_cw(rc, 3), host, &sw);
            ts.compared++;
            if (memcmp(ours, host, 10) != 0 || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
                uint64_t ol, hl;

                memcpy(&ol, ours, 8);
                memcpy(&hl, host, 8);
                tally_mismatch(&ts, "rc%d %04x:%016" PRIx64 ": ours %02x%02x%016" PRIx64
                               " sw %04x, host %02x%02x%016" PRIx64 " sw %04x", rc, a.se, a.sig,
                               ours[9], ours[8], ol, our_sw(&s), host[9], host[8], hl,
                               sw & (0x3f | SW_C1));
            }
        }
    }
    for (unsigned long i = 0; i < iters(20000); i++) {
        uint8_t bcd[10];
        floatx80 ours, host;

        for (int k = 0; k < 9; k++) {
            bcd[k] = (uint8_t)(rnd(10) | (rnd(10) << 4));
            if (rnd(4) == 0) {
                bcd[k] = 0;
            }
        }
        bcd[9] = (uint8_t)(rnd(2) << 7);
        ours = bcd_to_floatx80(bcd);
        host = host_fbld(bcd);
        tl.compared++;
        if (!fx_eq(ours, host)) {
            tally_mismatch(&tl, "%02x%02x..%02x: ours %04x:%016" PRIx64 " host %04x:%016" PRIx64,
                           bcd[9], bcd[8], bcd[0], ours.se, ours.sig, host.se, host.sig);
        }
    }
    tally_end(&ts);
    tally_end(&tl);
}

/* FCOM, FUCOM, FCOMI, FUCOMI, FTST */

static uint16_t host_fcom(floatx80 a, floatx80 b, bool quiet)
{
    uint16_t st;

    if (quiet) {
        asm volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfucom %%st(1)\n\tfnstsw %[sw]\n\t"
                     "fninit"
                     : [sw] "=m"(st)
                     : [a] "m"(a), [b] "m"(b));
    } else {
        asm volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfcom %%st(1)\n\tfnstsw %[sw]\n\t"
                     "fninit"
                     : [sw] "=m"(st)
                     : [a] "m"(a), [b] "m"(b));
    }
    return st;
}

/* Returns C3/C2/C0 built from ZF/PF/CF, plus the status word's flags. */
static uint16_t host_fcomi(floatx80 a, floatx80 b, bool quiet)
{
    uint16_t st;
    uint8_t zf, pf, cf;

    if (quiet) {
        asm volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfucomi %%st(1), %%st\n\t"
                     "setz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]\n\tfnstsw %[sw]\n\tfninit"
                     : [sw] "=m"(st), [zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf)
                     : [a] "m"(a), [b] "m"(b)
                     : "cc");
    } else {
        asm volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfcomi %%st(1), %%st\n\t"
                     "setz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]\n\tfnstsw %[sw]\n\tfninit"
                     : [sw] "=m"(st), [zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf)
                     : [a] "m"(a), [b] "m"(b)
                     : "cc");
    }
    return (uint16_t)((st & (0x3f | SW_C1)) | (zf ? SW_C3 : 0) | (pf ? SW_C2 : 0) |
                      (cf ? SW_C0 : 0));
}

static uint16_t host_ftst(floatx80 a)
{
    uint16_t st;

    asm volatile("fninit\n\tfldt %[a]\n\tftst\n\tfnstsw %[sw]\n\tfninit"
                 : [sw] "=m"(st)
                 : [a] "m"(a));
    return st;
}

static uint16_t host_fcom_m32(floatx80 a, uint32_t m)
{
    uint16_t st;

    asm volatile("fninit\n\tfldt %[a]\n\tfcoms %[m]\n\tfnstsw %[sw]\n\tfninit"
                 : [sw] "=m"(st)
                 : [a] "m"(a), [m] "m"(m));
    return st;
}

static uint16_t host_fcom_m64(floatx80 a, uint64_t m)
{
    uint16_t st;

    asm volatile("fninit\n\tfldt %[a]\n\tfcoml %[m]\n\tfnstsw %[sw]\n\tfninit"
                 : [sw] "=m"(st)
                 : [a] "m"(a), [m] "m"(m));
    return st;
}

static uint16_t relation_cc(FloatRelation r)
{
    switch (r) {
    case FLOAT_RELATION_LESS:
        return SW_C0;
    case FLOAT_RELATION_EQUAL:
        return SW_C3;
    case FLOAT_RELATION_GREATER:
        return 0;
    default:
        return SW_C0 | SW_C2 | SW_C3;
    }
}

static void test_oracle_x87_compare(void)
{
    static const char *names[] = { "x87 fcom", "x87 fucom", "x87 fcomi", "x87 fucomi",
                                   "x87 ftst" };

    for (int k = 0; k < 5; k++) {
        Tally t = { names[k] };
        bool quiet = k & 1;

        for (unsigned long i = 0; i < iters(40000); i++) {
            FloatStatus s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
            floatx80 a, b;
            uint16_t host, ours;

            gen_x80_pair(PAIR_ADD, &a, &b);
            if (rnd(8) == 0) {
                b = a;
            }
            if (k == 4) {
                b = fx(0, 0);
                quiet = false;
            }
            ours = (uint16_t)(relation_cc(floatx80_compare(a, b, quiet, &s)) | our_sw(&s));
            if (k < 2) {
                host = host_fcom(a, b, quiet) & (0x3f | SW_CC);
            } else if (k < 4) {
                host = host_fcomi(a, b, quiet);
            } else {
                host = host_ftst(a) & (0x3f | SW_CC);
            }
            t.compared++;
            if (ours != host) {
                tally_mismatch(&t, "%04x:%016" PRIx64 ", %04x:%016" PRIx64 ": ours %04x host %04x",
                               a.se, a.sig, b.se, b.sig, ours, host);
            }
        }
        tally_end(&t);
    }
    {
        Tally t = { "x87 fcom m32/m64" };

        for (unsigned long i = 0; i < iters(40000); i++) {
            FloatStatus s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
            floatx80 a = gen_x80();
            uint32_t m32 = (uint32_t)gen_ieee(23, 8);
            uint64_t m64 = gen_ieee(52, 11);
            uint16_t host, ours;
            FloatRelation rel;

            rel = floatx80_compare(a, float32_to_floatx80_operand(m32, a, &s), false, &s);
            ours = (uint16_t)(relation_cc(rel) | our_sw(&s));
            host = host_fcom_m32(a, m32) & (0x3f | SW_CC);
            t.compared++;
            if (ours != host) {
                tally_mismatch(&t, "%04x:%016" PRIx64 ", m32 %08x: ours %04x host %04x", a.se,
                               a.sig, m32, ours, host);
            }
            s = status(FLOAT_ROUND_NEAREST, FLOATX80_PREC_64);
            rel = floatx80_compare(a, float64_to_floatx80_operand(m64, a, &s), false, &s);
            ours = (uint16_t)(relation_cc(rel) | our_sw(&s));
            host = host_fcom_m64(a, m64) & (0x3f | SW_CC);
            t.compared++;
            if (ours != host) {
                tally_mismatch(&t, "%04x:%016" PRIx64 ", m64 %016" PRIx64 ": ours %04x host %04x",
                               a.se, a.sig, m64, ours, host);
            }
        }
        tally_end(&t);
    }
}

/*
 * Unmasked overflow and underflow: the x87 still delivers a register result, with the
 * exponent wrapped by 24576.  FNSAVE reads it back without raising the pending exception.
 */
#define HOST_X87_UNMASKED(fname, insn)                                                       \
    static floatx80 fname(floatx80 a, floatx80 b, uint16_t cw, uint16_t *sw)                \
    {                                                                                       \
        uint8_t image[108];                                                                 \
        floatx80 r;                                                                         \
        uint16_t st;                                                                        \
        asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\t"      \
                     "fnstsw %[sw]\n\tfnsave %[img]\n\tfninit"                              \
                     : [sw] "=m"(st), [img] "=m"(image)                                     \
                     : [a] "m"(a), [b] "m"(b), [cw] "m"(cw));                               \
        memcpy(&r.sig, image + 28, 8);                                                      \
        memcpy(&r.se, image + 36, 2);                                                       \
        *sw = st;                                                                           \
        return r;                                                                           \
    }

HOST_X87_UNMASKED(host_fadd_unmasked, "fadd %%st(1), %%st")
HOST_X87_UNMASKED(host_fmul_unmasked, "fmul %%st(1), %%st")
HOST_X87_UNMASKED(host_fdiv_unmasked, "fdiv %%st(1), %%st")
HOST_X87_UNMASKED(host_fscale_unmasked, "fscale")
HOST_X87_UNMASKED(host_fprem_unmasked, "fprem")
HOST_X87_UNMASKED(host_fsqrt_unmasked, "fsqrt")

static floatx80 ours_fprem(floatx80 a, floatx80 b, FloatStatus *s)
{
    unsigned q;
    bool incomplete;

    floatx80 r = floatx80_fprem(a, b, false, &q, &incomplete, s);

    /* C1 holds Q0 here, and C2 set leaves it clear. */
    s->rounded_up = q & 1;
    return r;
}

/* FST m32/m64 with the exception unmasked: *m keeps its old value if nothing is stored. */
static void host_fst_unmasked(floatx80 a, uint16_t cw, bool dbl, uint64_t *m, uint16_t *sw)
{
    uint8_t image[108];
    uint16_t st;

    if (dbl) {
        asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfstpl %[m]\n\tfnstsw %[sw]\n\t"
                     "fnsave %[img]\n\tfninit"
                     : [m] "+m"(*m), [sw] "=m"(st), [img] "=m"(image)
                     : [a] "m"(a), [cw] "m"(cw));
    } else {
        uint32_t m32 = (uint32_t)*m;

        asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfstps %[m]\n\tfnstsw %[sw]\n\t"
                     "fnsave %[img]\n\tfninit"
                     : [m] "+m"(m32), [sw] "=m"(st), [img] "=m"(image)
                     : [a] "m"(a), [cw] "m"(cw));
        *m = m32;
    }
    *sw = st;
}

static void test_oracle_x87_fst_unmasked(void)
{
    Tally t = { "x87 unmasked fst" };

    for (unsigned long i = 0; i < iters(40000); i++) {
        int rc = (int)rnd(4);
        bool dbl = rnd(2);
        uint8_t masks = (uint8_t)(0x3f & ~((rnd(3) + 1) << 3));
        FloatStatus s = status(rc, 3);
        floatx80 a = rnd(2) ? gen_x80() : gen_x80_exp(0x3fff + (dbl ? 1023 : 127) *
                                                         (rnd(2) ? 1 : -1) + (int)rnd(80) - 40);
        uint64_t sentinel = 0x5a5a5a5a5a5a5a5aull, host, ours;
        uint16_t sw;
        bool stored;

        if (!dbl) {
            sentinel &= 0xffffffffu;
        }
        host = sentinel;
        s.exception_masks = masks;
        ours = dbl ? floatx80_to_float64(a, &s) : floatx80_to_float32(a, &s);
        host_fst_unmasked(a, (uint16_t)((x87_cw(rc, 3) & ~0x3f) | masks), dbl, &host, &sw);
        /* With the overflow or underflow unmasked and raised, memory is left alone. */
        stored = !(s.flags & ~masks & (FLOAT_FLAG_OVERFLOW | FLOAT_FLAG_UNDERFLOW));
        t.compared++;
        if ((stored ? host != ours : host != sentinel) ||
            (sw & (0x3f | SW_C1)) != our_sw(&s)) {
            tally_mismatch(&t, "m%d rc%d masks %02x %04x:%016" PRIx64 ": ours %" PRIx64
                           " sw %04x stored %d, host %" PRIx64 " sw %04x", dbl ? 64 : 32, rc,
                           masks, a.se, a.sig, ours, our_sw(&s), stored, host,
                           sw & (0x3f | SW_C1));
        }
    }
    tally_end(&t);
}

static void test_oracle_x87_unmasked(void)
{
    static const struct {
        const char *name;
        floatx80 (*ours)(floatx80, floatx80, FloatStatus *);
        floatx80 (*host)(floatx80, floatx80, uint16_t, uint16_t *);
        int kind;
    } cases[] = {
        { "x87 unmasked fadd", floatx80_add, host_fadd_unmasked, PAIR_ADD },
        { "x87 unmasked fmul", floatx80_mul, host_fmul_unmasked, PAIR_MUL },
        { "x87 unmasked fdiv", floatx80_div, host_fdiv_unmasked, PAIR_DIV },
        { "x87 unmasked fscale", floatx80_scale, host_fscale_unmasked, PAIR_ADD },
        { "x87 unmasked fprem", ours_fprem, host_fprem_unmasked, PAIR_ADD },
        { "x87 unmasked fsqrt", ours_sqrt, host_fsqrt_unmasked, PAIR_ADD },
    };

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        Tally t = { cases[c].name };

        for (unsigned long i = 0; i < iters(20000); i++) {
            int rc = (int)rnd(4), pc = (int)rnd(4);
            /* Overflow, underflow or both unmasked; the rest stay masked. */
            uint8_t masks = (uint8_t)(0x3f & ~((rnd(3) + 1) << 3));
            FloatStatus s = status(rc, pc);
            floatx80 a, b, ours, host;
            uint16_t sw;

            s.exception_masks = masks;
            gen_x80_pair(cases[c].kind, &a, &b);
            if (cases[c].host == host_fscale_unmasked && rnd(2)) {
                b = int32_to_floatx80((int32_t)rnd(80000) - 40000);
            }
            ours = cases[c].ours(a, b, &s);
            host = cases[c].host(a, b, (uint16_t)((x87_cw(rc, pc) & ~0x3f) | masks), &sw);
            t.compared++;
            /* With an unmasked invalid or zero divide nothing is stored: those are masked. */
            if (!fx_eq(ours, host) || (sw & (0x3f | SW_C1)) != our_sw(&s)) {
                tally_mismatch(&t, "rc%d pc%d masks %02x %04x:%016" PRIx64 ", %04x:%016" PRIx64
                               ": ours %04x:%016" PRIx64 " sw %04x, host %04x:%016" PRIx64
                               " sw %04x", rc, pc, masks, a.se, a.sig, b.se, b.sig, ours.se,
                               ours.sig, our_sw(&s), host.se, host.sig, sw & (0x3f | SW_C1));
            }
        }
        tally_end(&t);
    }
}

/* SSE */

#define MXCSR_DAZ 0x0040
#define MXCSR_FTZ 0x8000
#define MXCSR_MASKS 0x1f80

static uint32_t mxcsr_for(int rc, bool ftz, bool daz)
{
    return MXCSR_MASKS | (uint32_t)(rc << 13) | (ftz ? MXCSR_FTZ : 0) | (daz ? MXCSR_DAZ : 0);
}

static const uint32_t mxcsr_default = MXCSR_MASKS;

#define HOST_SSE_BINOP(fname, insn, mov)                                                     \
    static uint64_t fname(uint64_t a, uint64_t b, uint32_t csr, uint32_t *flags)            \
    {                                                                                       \
        uint64_t r;                                                                         \
        uint32_t out;                                                                       \
        asm volatile("ldmxcsr %[csr]\n\t" mov " %[a], %%xmm0\n\t" mov " %[b], %%xmm1\n\t"   \
                     insn " %%xmm1, %%xmm0\n\t" mov " %%xmm0, %[r]\n\t"                     \
                     "stmxcsr %[out]\n\tldmxcsr %[def]"                                     \
                     : [r] "=r"(r), [out] "=m"(out)                                         \
                     : [a] "r"(a), [b] "r"(b), [csr] "m"(csr), [def] "m"(mxcsr_default)     \
                     : "xmm0", "xmm1");                                                     \
        *flags = out & 0x3f;                                                                \
        return r;                                                                           \
    }

HOST_SSE_BINOP(host_addss, "addss", "movq")
HOST_SSE_BINOP(host_subss, "subss", "movq")
HOST_SSE_BINOP(host_mulss, "mulss", "movq")
HOST_SSE_BINOP(host_divss, "divss", "movq")
HOST_SSE_BINOP(host_sqrtss, "sqrtss", "movq")
HOST_SSE_BINOP(host_minss, "minss", "movq")
HOST_SSE_BINOP(host_maxss, "maxss", "movq")
HOST_SSE_BINOP(host_addsd, "addsd", "movq")
HOST_SSE_BINOP(host_subsd, "subsd", "movq")
HOST_SSE_BINOP(host_mulsd, "mulsd", "movq")
HOST_SSE_BINOP(host_divsd, "divsd", "movq")
HOST_SSE_BINOP(host_sqrtsd, "sqrtsd", "movq")
HOST_SSE_BINOP(host_minsd, "minsd", "movq")
HOST_SSE_BINOP(host_maxsd, "maxsd", "movq")

#define OURS_SSE(fname, fn, type)                                                            \
    static uint64_t fname(uint64_t a, uint64_t b, FloatStatus *s)                           \
    {                                                                                       \
        return fn((type)a, (type)b, s);                                                     \
    }
#define OURS_SSE1(fname, fn, type)                                                           \
    static uint64_t fname(uint64_t a, uint64_t b, FloatStatus *s)                           \
    {                                                                                       \
        return fn((type)b, s);                                                              \
    }

OURS_SSE(ours_addss, float32_add, float32)
OURS_SSE(ours_subss, float32_sub, float32)
OURS_SSE(ours_mulss, float32_mul, float32)
OURS_SSE(ours_divss, float32_div, float32)
OURS_SSE1(ours_sqrtss, float32_sqrt, float32)
OURS_SSE(ours_minss, float32_min, float32)
OURS_SSE(ours_maxss, float32_max, float32)
OURS_SSE(ours_addsd, float64_add, float64)
OURS_SSE(ours_subsd, float64_sub, float64)
OURS_SSE(ours_mulsd, float64_mul, float64)
OURS_SSE(ours_divsd, float64_div, float64)
OURS_SSE1(ours_sqrtsd, float64_sqrt, float64)
OURS_SSE(ours_minsd, float64_min, float64)
OURS_SSE(ours_maxsd, float64_max, float64)

typedef struct SseBinCase {
    const char *name;
    uint64_t (*ours)(uint64_t, uint64_t, FloatStatus *);
    uint64_t (*host)(uint64_t, uint64_t, uint32_t, uint32_t *);
    bool dbl;
    int kind;
} SseBinCase;

static const SseBinCase sse_bin_cases[] = {
    { "sse addss", ours_addss, host_addss, false, PAIR_ADD },
    { "sse subss", ours_subss, host_subss, false, PAIR_ADD },
    { "sse mulss", ours_mulss, host_mulss, false, PAIR_MUL },
    { "sse divss", ours_divss, host_divss, false, PAIR_DIV },
    { "sse sqrtss", ours_sqrtss, host_sqrtss, false, PAIR_ADD },
    { "sse minss", ours_minss, host_minss, false, PAIR_ADD },
    { "sse maxss", ours_maxss, host_maxss, false, PAIR_ADD },
    { "sse addsd", ours_addsd, host_addsd, true, PAIR_ADD },
    { "sse subsd", ours_subsd, host_subsd, true, PAIR_ADD },
    { "sse mulsd", ours_mulsd, host_mulsd, true, PAIR_MUL },
    { "sse divsd", ours_divsd, host_divsd, true, PAIR_DIV },
    { "sse sqrtsd", ours_sqrtsd, host_sqrtsd, true, PAIR_ADD },
    { "sse minsd", ours_minsd, host_minsd, true, PAIR_ADD },
    { "sse maxsd", ours_maxsd, host_maxsd, true, PAIR_ADD },
};

static void gen_sse_pair(bool dbl, int kind, uint64_t *a, uint64_t *b)
{
    if (dbl) {
        gen_ieee_pair(kind, 52, 11, a, b);
    } else {
        gen_ieee_pair(kind, 23, 8, a, b);
    }
}

static void run_sse_bin(const SseBinCase *c)
{
    Tally t = { c->name };
    unsigned long n = iters(4000);

    for (int rc = 0; rc < 4; rc++) {
        for (int mode = 0; mode < 4; mode++) {
            bool ftz = mode & 1, daz = mode & 2;

            for (unsigned long i = 0; i < n; i++) {
                FloatStatus s = status(rc, 0);
                uint64_t a, b, ours, host;
                uint32_t flags;

                s.flush_to_zero = ftz;
                s.denormals_are_zero = daz;
                gen_sse_pair(c->dbl, c->kind, &a, &b);
                ours = c->ours(a, b, &s);
                host = c->host(a, b, mxcsr_for(rc, ftz, daz), &flags);
                if (!c->dbl) {
                    host &= 0xffffffffu;
                }
                t.compared++;
                if (ours != host || flags != s.flags) {
                    tally_mismatch(&t,
                                   "rc%d ftz%d daz%d %" PRIx64 ", %" PRIx64 ": ours %" PRIx64
                                   " flags %02x, host %" PRIx64 " flags %02x",
                                   rc, ftz, daz, a, b, ours, s.flags, host, flags);
                }
            }
        }
    }
    tally_end(&t);
}

static void test_oracle_sse_arith(void)
{
    for (size_t i = 0; i < sizeof(sse_bin_cases) / sizeof(sse_bin_cases[0]); i++) {
        run_sse_bin(&sse_bin_cases[i]);
    }
}

/* SSE conversions */

/* Host conversion with a GPR or XMM result; a is in a GPR. */
#define HOST_SSE_CVT(fname, insn, in_setup, out_get, clob)                                   \
    static uint64_t fname(uint64_t a, uint32_t csr, uint32_t *flags)                        \
    {                                                                                       \
        uint64_t r;                                                                         \
        uint32_t out;                                                                       \
        asm volatile("ldmxcsr %[csr]\n\t" in_setup "\n\t" insn "\n\t" out_get "\n\t"        \
                     "stmxcsr %[out]\n\tldmxcsr %[def]"                                     \
                     : [r] "=&r"(r), [out] "=m"(out)                                        \
                     : [a] "r"(a), [csr] "m"(csr), [def] "m"(mxcsr_default)                 \
                     : "xmm0", "xmm1" clob);                                                \
        *flags = out & 0x3f;                                                                \
        return r;                                                                           \
    }

HOST_SSE_CVT(host_cvtss2sd, "cvtss2sd %%xmm1, %%xmm0", "movq %[a], %%xmm1", "movq %%xmm0, %[r]", )
HOST_SSE_CVT(host_cvtsd2ss, "cvtsd2ss %%xmm1, %%xmm0", "movq %[a], %%xmm1", "movq %%xmm0, %[r]", )
HOST_SSE_CVT(host_cvtsi2ss32, "cvtsi2ssl %k[a], %%xmm0", "xorps %%xmm0, %%xmm0",
             "movq %%xmm0, %[r]", )
HOST_SSE_CVT(host_cvtsi2ss64, "cvtsi2ssq %[a], %%xmm0", "xorps %%xmm0, %%xmm0",
             "movq %%xmm0, %[r]", )
HOST_SSE_CVT(host_cvtsi2sd32, "cvtsi2sdl %k[a], %%xmm0", "xorps %%xmm0, %%xmm0",
             "movq %%xmm0, %[r]", )
HOST_SSE_CVT(host_cvtsi2sd64, "cvtsi2sdq %[a], %%xmm0", "xorps %%xmm0, %%xmm0",
             "movq %%xmm0, %[r]", )
HOST_SSE_CVT(host_cvtss2si32, "cvtss2si %%xmm1, %k[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvtss2si64, "cvtss2si %%xmm1, %[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvttss2si32, "cvttss2si %%xmm1, %k[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvttss2si64, "cvttss2si %%xmm1, %[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvtsd2si32, "cvtsd2si %%xmm1, %k[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvtsd2si64, "cvtsd2si %%xmm1, %[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvttsd2si32, "cvttsd2si %%xmm1, %k[r]", "movq %[a], %%xmm1", "", )
HOST_SSE_CVT(host_cvttsd2si64, "cvttsd2si %%xmm1, %[r]", "movq %[a], %%xmm1", "", )

static uint64_t ours_cvtss2sd(uint64_t a, FloatStatus *s)
{
    return float32_to_float64((float32)a, s);
}

static uint64_t ours_cvtsd2ss(uint64_t a, FloatStatus *s)
{
    return float64_to_float32(a, s);
}

static uint64_t ours_cvtsi2ss32(uint64_t a, FloatStatus *s)
{
    return int32_to_float32((int32_t)a, s);
}

static uint64_t ours_cvtsi2ss64(uint64_t a, FloatStatus *s)
{
    return int64_to_float32((int64_t)a, s);
}

static uint64_t ours_cvtsi2sd32(uint64_t a, FloatStatus *s)
{
    return int32_to_float64((int32_t)a, s);
}

static uint64_t ours_cvtsi2sd64(uint64_t a, FloatStatus *s)
{
    return int64_to_float64((int64_t)a, s);
}

static uint64_t ours_cvtss2si32(uint64_t a, FloatStatus *s)
{
    return (uint32_t)float32_to_int32((float32)a, s);
}

static uint64_t ours_cvtss2si64(uint64_t a, FloatStatus *s)
{
    return (uint64_t)float32_to_int64((float32)a, s);
}

static uint64_t ours_cvttss2si32(uint64_t a, FloatStatus *s)
{
    return (uint32_t)float32_to_int32_round_to_zero((float32)a, s);
}

static uint64_t ours_cvttss2si64(uint64_t a, FloatStatus *s)
{
    return (uint64_t)float32_to_int64_round_to_zero((float32)a, s);
}

static uint64_t ours_cvtsd2si32(uint64_t a, FloatStatus *s)
{
    return (uint32_t)float64_to_int32(a, s);
}

static uint64_t ours_cvtsd2si64(uint64_t a, FloatStatus *s)
{
    return (uint64_t)float64_to_int64(a, s);
}

static uint64_t ours_cvttsd2si32(uint64_t a, FloatStatus *s)
{
    return (uint32_t)float64_to_int32_round_to_zero(a, s);
}

static uint64_t ours_cvttsd2si64(uint64_t a, FloatStatus *s)
{
    return (uint64_t)float64_to_int64_round_to_zero(a, s);
}

enum { SRC_F32, SRC_F64, SRC_I32, SRC_I64 };

typedef struct SseCvtCase {
    const char *name;
    uint64_t (*ours)(uint64_t, FloatStatus *);
    uint64_t (*host)(uint64_t, uint32_t, uint32_t *);
    int src;
    uint64_t result_mask;
    int int_bits;   /* float to integer: the integer's width, for operands near the limit */
} SseCvtCase;

static const SseCvtCase sse_cvt_cases[] = {
    { "sse cvtss2sd", ours_cvtss2sd, host_cvtss2sd, SRC_F32, ~0ull, 0 },
    { "sse cvtsd2ss", ours_cvtsd2ss, host_cvtsd2ss, SRC_F64, 0xffffffffu, 0 },
    { "sse cvtsi2ss r32", ours_cvtsi2ss32, host_cvtsi2ss32, SRC_I32, 0xffffffffu, 0 },
    { "sse cvtsi2ss r64", ours_cvtsi2ss64, host_cvtsi2ss64, SRC_I64, 0xffffffffu, 0 },
    { "sse cvtsi2sd r32", ours_cvtsi2sd32, host_cvtsi2sd32, SRC_I32, ~0ull, 0 },
    { "sse cvtsi2sd r64", ours_cvtsi2sd64, host_cvtsi2sd64, SRC_I64, ~0ull, 0 },
    { "sse cvtss2si r32", ours_cvtss2si32, host_cvtss2si32, SRC_F32, 0xffffffffu, 32 },
    { "sse cvtss2si r64", ours_cvtss2si64, host_cvtss2si64, SRC_F32, ~0ull, 64 },
    { "sse cvttss2si r32", ours_cvttss2si32, host_cvttss2si32, SRC_F32, 0xffffffffu, 32 },
    { "sse cvttss2si r64", ours_cvttss2si64, host_cvttss2si64, SRC_F32, ~0ull, 64 },
    { "sse cvtsd2si r32", ours_cvtsd2si32, host_cvtsd2si32, SRC_F64, 0xffffffffu, 32 },
    { "sse cvtsd2si r64", ours_cvtsd2si64, host_cvtsd2si64, SRC_F64, ~0ull, 64 },
    { "sse cvttsd2si r32", ours_cvttsd2si32, host_cvttsd2si32, SRC_F64, 0xffffffffu, 32 },
    { "sse cvttsd2si r64", ours_cvttsd2si64, host_cvttsd2si64, SRC_F64, ~0ull, 64 },
};

static uint64_t gen_int(int bits)
{
    uint64_t v = rnd64();

    switch (rnd(6)) {
    case 0:
        v >>= rnd(64);
        break;
    case 1:
        v = (uint64_t)(int64_t)((int)rnd(9) - 4);
        break;
    case 2:
        /* Integers with more bits than the target significand, some halfway. */
        v &= ~((1ull << rnd(40)) - 1);
        break;
    default:
        break;
    }
    if (rnd(2)) {
        v = (uint64_t) - (int64_t)v;
    }
    return bits == 32 ? (uint32_t)v : v;
}

static uint64_t gen_cvt_operand(const SseCvtCase *c)
{
    int frac = c->src == SRC_F32 ? 23 : 52, ebits = c->src == SRC_F32 ? 8 : 11;
    int bias = (1 << (ebits - 1)) - 1;

    switch (c->src) {
    case SRC_I32:
        return gen_int(32);
    case SRC_I64:
        return gen_int(64);
    default:
        if (c->int_bits && rnd(2)) {
            return rnd(2) ? gen_ieee_exp(bias + c->int_bits - 3 + (int)rnd(5), frac, ebits)
                          : gen_ieee_exp(bias - 2 + (int)rnd(8), frac, ebits);
        }
        if (c->src == SRC_F64 && !c->int_bits && rnd(2)) {
            /* Near the float32 range limits. */
            return gen_ieee_exp(rnd(2) ? 1023 - 126 - 30 + (int)rnd(40) : 1023 + 120 +
                                (int)rnd(10), frac, ebits);
        }
        return gen_ieee(frac, ebits);
    }
}

static void test_oracle_sse_convert(void)
{
    for (size_t k = 0; k < sizeof(sse_cvt_cases) / sizeof(sse_cvt_cases[0]); k++) {
        const SseCvtCase *c = &sse_cvt_cases[k];
        Tally t = { c->name };

        for (int rc = 0; rc < 4; rc++) {
            for (int mode = 0; mode < 4; mode++) {
                bool ftz = mode & 1, daz = mode & 2;

                for (unsigned long i = 0; i < iters(3000); i++) {
                    FloatStatus s = status(rc, 0);
                    uint64_t a = gen_cvt_operand(c), ours, host;
                    uint32_t flags;

                    s.flush_to_zero = ftz;
                    s.denormals_are_zero = daz;
                    ours = c->ours(a, &s) & c->result_mask;
                    host = c->host(a, mxcsr_for(rc, ftz, daz), &flags) & c->result_mask;
                    t.compared++;
                    if (ours != host || flags != s.flags) {
                        tally_mismatch(&t, "rc%d ftz%d daz%d %" PRIx64 ": ours %" PRIx64
                                       " flags %02x, host %" PRIx64 " flags %02x", rc, ftz, daz,
                                       a, ours, s.flags, host, flags);
                    }
                }
            }
        }
        tally_end(&t);
    }
}

/*
 * Unmasked SSE exceptions.  The host instruction faults (SIGFPE); the handler records MXCSR
 * as the fault left it, masks everything and lets the instruction run again to completion.
 * The library reports every flag; the SDM's rule, which the emulator applies, is that an
 * unmasked invalid, denormal or divide-by-zero faults before the operation with only those
 * flags set, and otherwise an unmasked overflow, underflow or precision faults after it with
 * all of them set.
 */
static volatile sig_atomic_t sse_trapped;
static volatile uint32_t sse_trap_mxcsr;

static void sse_trap_handler(int sig, siginfo_t *info, void *ctx)
{
    ucontext_t *uc = ctx;

    (void)sig;
    (void)info;
    sse_trapped = 1;
    sse_trap_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    uc->uc_mcontext.fpregs->mxcsr = (sse_trap_mxcsr | MXCSR_MASKS) & ~0x3fu;
}

static void test_oracle_sse_unmasked(void)
{
    struct sigaction sa, old;
    Tally t = { "sse unmasked" };

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sse_trap_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &old);
    for (unsigned long i = 0; i < iters(40000); i++) {
        const SseBinCase *c = &sse_bin_cases[rnd(sizeof(sse_bin_cases) / sizeof(sse_bin_cases[0]))];
        int rc = (int)rnd(4);
        bool ftz = rnd(2), daz = rnd(2);
        uint8_t masks = (uint8_t)(rnd64() & 0x3f);
        uint32_t csr = (mxcsr_for(rc, ftz, daz) & ~MXCSR_MASKS) | ((uint32_t)masks << 7);
        FloatStatus s = status(rc, 0);
        uint64_t a, b, ours, host;
        uint32_t flags, expect_flags;
        bool expect_trap;
        unsigned pre;

        s.flush_to_zero = ftz;
        s.denormals_are_zero = daz;
        s.exception_masks = masks;
        gen_sse_pair(c->dbl, c->kind, &a, &b);
        ours = c->ours(a, b, &s);
        pre = s.flags & (FLOAT_FLAG_INVALID | FLOAT_FLAG_DENORMAL | FLOAT_FLAG_DIVBYZERO);
        if (pre & ~masks) {
            expect_trap = true;
            expect_flags = pre;
        } else {
            expect_trap = (s.flags & ~masks) != 0;
            expect_flags = s.flags;
        }
        sse_trapped = 0;
        host = c->host(a, b, csr, &flags);
        if (!c->dbl) {
            host &= 0xffffffffu;
        }
        t.compared++;
        if (expect_trap != (bool)sse_trapped ||
            (expect_trap ? (sse_trap_mxcsr & 0x3f) != expect_flags
                         : (host != ours || flags != s.flags))) {
            tally_mismatch(&t, "%s rc%d ftz%d daz%d masks %02x %" PRIx64 ", %" PRIx64 ": ours %"
                           PRIx64 " flags %02x trap %d, host %" PRIx64 " flags %02x trap %d "
                           "(%02x)", c->name, rc, ftz, daz, masks, a, b, ours, s.flags,
                           expect_trap, host, flags, (int)sse_trapped, sse_trap_mxcsr & 0x3f);
        }
    }
    for (unsigned long i = 0; i < iters(20000); i++) {
        const SseCvtCase *c = &sse_cvt_cases[rnd(sizeof(sse_cvt_cases) / sizeof(sse_cvt_cases[0]))];
        int rc = (int)rnd(4);
        bool ftz = rnd(2), daz = rnd(2);
        uint8_t masks = (uint8_t)(rnd64() & 0x3f);
        uint32_t csr = (mxcsr_for(rc, ftz, daz) & ~MXCSR_MASKS) | ((uint32_t)masks << 7);
        FloatStatus s = status(rc, 0);
        uint64_t a = gen_cvt_operand(c), ours, host;
        uint32_t flags, expect_flags;
        bool expect_trap;
        unsigned pre;

        s.flush_to_zero = ftz;
        s.denormals_are_zero = daz;
        s.exception_masks = masks;
        ours = c->ours(a, &s) & c->result_mask;
        pre = s.flags & (FLOAT_FLAG_INVALID | FLOAT_FLAG_DENORMAL | FLOAT_FLAG_DIVBYZERO);
        if (pre & ~masks) {
            expect_trap = true;
            expect_flags = pre;
        } else {
            expect_trap = (s.flags & ~masks) != 0;
            expect_flags = s.flags;
        }
        sse_trapped = 0;
        host = c->host(a, csr, &flags) & c->result_mask;
        t.compared++;
        if (expect_trap != (bool)sse_trapped ||
            (expect_trap ? (sse_trap_mxcsr & 0x3f) != expect_flags
                         : (host != ours || flags != s.flags))) {
            tally_mismatch(&t, "%s rc%d ftz%d daz%d masks %02x %" PRIx64 ": ours %" PRIx64
                           " flags %02x trap %d, host %" PRIx64 " flags %02x trap %d (%02x)",
                           c->name, rc, ftz, daz, masks, a, ours, s.flags, expect_trap, host,
                           flags, (int)sse_trapped, sse_trap_mxcsr & 0x3f);
        }
    }
    sigaction(SIGFPE, &old, NULL);
    tally_end(&t);
}

/* ROUNDSS/ROUNDSD with each of the 16 immediates */

#define HOST_ROUND_CASE(imm)                                                                 \
    case imm:                                                                               \
        if (dbl) {                                                                          \
            asm volatile("ldmxcsr %[csr]\n\tmovq %[a], %%xmm1\n\t"                          \
                         "roundsd $" #imm ", %%xmm1, %%xmm0\n\tmovq %%xmm0, %[r]\n\t"     \
                         "stmxcsr %[out]\n\tldmxcsr %[def]"                                 \
                         : [r] "=r"(r), [out] "=m"(out)                                     \
                         : [a] "r"(a), [csr] "m"(csr), [def] "m"(mxcsr_default)             \
                         : "xmm0", "xmm1");                                                 \
        } else {                                                                            \
            asm volatile("ldmxcsr %[csr]\n\tmovq %[a], %%xmm1\n\t"                          \
                         "roundss $" #imm ", %%xmm1, %%xmm0\n\tmovq %%xmm0, %[r]\n\t"     \
                         "stmxcsr %[out]\n\tldmxcsr %[def]"                                 \
                         : [r] "=r"(r), [out] "=m"(out)                                     \
                         : [a] "r"(a), [csr] "m"(csr), [def] "m"(mxcsr_default)             \
                         : "xmm0", "xmm1");                                                 \
        }                                                                                   \
        break;

static uint64_t host_round(bool dbl, uint64_t a, unsigned imm, uint32_t csr, uint32_t *flags)
{
    uint64_t r = 0;
    uint32_t out = 0;

    switch (imm) {
        HOST_ROUND_CASE(0) HOST_ROUND_CASE(1) HOST_ROUND_CASE(2) HOST_ROUND_CASE(3)
        HOST_ROUND_CASE(4) HOST_ROUND_CASE(5) HOST_ROUND_CASE(6) HOST_ROUND_CASE(7)
        HOST_ROUND_CASE(8) HOST_ROUND_CASE(9) HOST_ROUND_CASE(10) HOST_ROUND_CASE(11)
        HOST_ROUND_CASE(12) HOST_ROUND_CASE(13) HOST_ROUND_CASE(14) HOST_ROUND_CASE(15)
    }
    *flags = out & 0x3f;
    return dbl ? r : (uint32_t)r;
}

static void test_oracle_sse_round(void)
{
    if (!__builtin_cpu_supports("sse4.1")) {
        printf("  (host has no SSE4.1: ROUNDSS/ROUNDSD are not compared)\n");
        return;
    }
    for (int dbl = 0; dbl < 2; dbl++) {
        Tally t = { dbl ? "sse4.1 roundsd" : "sse4.1 roundss" };
        int frac = dbl ? 52 : 23, ebits = dbl ? 11 : 8, bias = dbl ? 1023 : 127;

        for (unsigned long i = 0; i < iters(60000); i++) {
            int rc = (int)rnd(4);
            bool ftz = rnd(2), daz = rnd(2);
            unsigned imm = rnd(16);
            FloatStatus s = status(rc, 0);
            uint64_t a, ours, host;
            uint32_t flags;

            s.flush_to_zero = ftz;
            s.denormals_are_zero = daz;
            a = rnd(2) ? gen_ieee(frac, ebits) : gen_ieee_exp(bias - 3 + (int)rnd(frac + 6), frac,
                                                                ebits);
            ours = dbl ? float64_round_to_int(a, imm, &s)
                       : float32_round_to_int((float32)a, imm, &s);
            host = host_round(dbl, a, imm, mxcsr_for(rc, ftz, daz), &flags);
            t.compared++;
            if (ours != host || flags != s.flags) {
                tally_mismatch(&t, "imm %u rc%d ftz%d daz%d %" PRIx64 ": ours %" PRIx64
                               " flags %02x, host %" PRIx64 " flags %02x", imm, rc, ftz, daz, a,
                               ours, s.flags, host, flags);
            }
        }
        tally_end(&t);
    }
}

/* SSE comparisons */

#define HOST_CMP_CASE(fname, insn, mov, imm)                                                 \
    case imm:                                                                               \
        asm volatile("ldmxcsr %[csr]\n\t" mov " %[a], %%xmm0\n\t" mov " %[b], %%xmm1\n\t"   \
                     insn " $" #imm ", %%xmm1, %%xmm0\n\t" mov " %%xmm0, %[r]\n\t"          \
                     "stmxcsr %[out]\n\tldmxcsr %[def]"                                     \
                     : [r] "=r"(r), [out] "=m"(out)                                         \
                     : [a] "r"(a), [b] "r"(b), [csr] "m"(csr), [def] "m"(mxcsr_default)     \
                     : "xmm0", "xmm1");                                                     \
        break;

#define HOST_CMP8(fname, insn, mov, base)                                                    \
    HOST_CMP_CASE(fname, insn, mov, base##0)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##1)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##2)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##3)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##4)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##5)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##6)                                                \
    HOST_CMP_CASE(fname, insn, mov, base##7)

/* CMPSS/CMPSD with the SSE predicates 0-7. */
static uint64_t host_cmp(bool dbl, uint64_t a, uint64_t b, unsigned imm, uint32_t csr,
                         uint32_t *flags)
{
    uint64_t r = 0;
    uint32_t out = 0;

    if (dbl) {
        switch (imm) {
            HOST_CMP8(host_cmpsd, "cmpsd", "movq", 0)
        }
    } else {
        switch (imm) {
            HOST_CMP8(host_cmpss, "cmpss", "movq", 0)
        }
    }
    *flags = out & 0x3f;
    return dbl ? r : (uint32_t)r;
}

/* VCMPSS/VCMPSD with all 32 AVX predicates (only when the host has AVX). */
#define HOST_VCMP_CASE(imm)                                                                  \
    case imm:                                                                               \
        if (dbl) {                                                                          \
            asm volatile("ldmxcsr %[csr]\n\tvmovq %[a], %%xmm0\n\tvmovq %[b], %%xmm1\n\t"   \
                         "vcmpsd $" #imm ", %%xmm1, %%xmm0, %%xmm0\n\tvmovq %%xmm0, %[r]\n\t" \
                         "stmxcsr %[out]\n\tldmxcsr %[def]"                                 \
                         : [r] "=r"(r), [out] "=m"(out)                                     \
                         : [a] "r"(a), [b] "r"(b), [csr] "m"(csr), [def] "m"(mxcsr_default) \
                         : "xmm0", "xmm1");                                                 \
        } else {                                                                            \
            asm volatile("ldmxcsr %[csr]\n\tvmovq %[a], %%xmm0\n\tvmovq %[b], %%xmm1\n\t"   \
                         "vcmpss $" #imm ", %%xmm1, %%xmm0, %%xmm0\n\tvmovq %%xmm0, %[r]\n\t" \
                         "stmxcsr %[out]\n\tldmxcsr %[def]"                                 \
                         : [r] "=r"(r), [out] "=m"(out)                                     \
                         : [a] "r"(a), [b] "r"(b), [csr] "m"(csr), [def] "m"(mxcsr_default) \
                         : "xmm0", "xmm1");                                                 \
        }                                                                                   \
        break;

static uint64_t host_vcmp(bool dbl, uint64_t a, uint64_t b, unsigned imm, uint32_t csr,
                          uint32_t *flags)
{
    uint64_t r = 0;
    uint32_t out = 0;

    switch (imm) {
        HOST_VCMP_CASE(0) HOST_VCMP_CASE(1) HOST_VCMP_CASE(2) HOST_VCMP_CASE(3)
        HOST_VCMP_CASE(4) HOST_VCMP_CASE(5) HOST_VCMP_CASE(6) HOST_VCMP_CASE(7)
        HOST_VCMP_CASE(8) HOST_VCMP_CASE(9) HOST_VCMP_CASE(10) HOST_VCMP_CASE(11)
        HOST_VCMP_CASE(12) HOST_VCMP_CASE(13) HOST_VCMP_CASE(14) HOST_VCMP_CASE(15)
        HOST_VCMP_CASE(16) HOST_VCMP_CASE(17) HOST_VCMP_CASE(18) HOST_VCMP_CASE(19)
        HOST_VCMP_CASE(20) HOST_VCMP_CASE(21) HOST_VCMP_CASE(22) HOST_VCMP_CASE(23)
        HOST_VCMP_CASE(24) HOST_VCMP_CASE(25) HOST_VCMP_CASE(26) HOST_VCMP_CASE(27)
        HOST_VCMP_CASE(28) HOST_VCMP_CASE(29) HOST_VCMP_CASE(30) HOST_VCMP_CASE(31)
    }
    *flags = out & 0x3f;
    return dbl ? r : (uint32_t)r;
}

/* COMISS/UCOMISS/COMISD/UCOMISD: returns ZF:PF:CF as bits 2:1:0. */
#define HOST_COMI(fname, insn)                                                               \
    static unsigned fname(uint64_t a, uint64_t b, uint32_t csr, uint32_t *flags)            \
    {                                                                                       \
        uint8_t zf, pf, cf;                                                                 \
        uint32_t out;                                                                       \
        asm volatile("ldmxcsr %[csr]\n\tmovq %[a], %%xmm0\n\tmovq %[b], %%xmm1\n\t"         \
                     insn " %%xmm1, %%xmm0\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]\n\t"   \
                     "stmxcsr %[out]\n\tldmxcsr %[def]"                                     \
                     : [zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf), [out] "=m"(out)         \
                     : [a] "r"(a), [b] "r"(b), [csr] "m"(csr), [def] "m"(mxcsr_default)     \
                     : "xmm0", "xmm1", "cc");                                               \
        *flags = out & 0x3f;                                                                \
        return (unsigned)((zf << 2) | (pf << 1) | cf);                                      \
    }

HOST_COMI(host_comiss, "comiss")
HOST_COMI(host_ucomiss, "ucomiss")
HOST_COMI(host_comisd, "comisd")
HOST_COMI(host_ucomisd, "ucomisd")

static unsigned relation_eflags(FloatRelation r)
{
    switch (r) {
    case FLOAT_RELATION_LESS:
        return 1;
    case FLOAT_RELATION_EQUAL:
        return 4;
    case FLOAT_RELATION_GREATER:
        return 0;
    default:
        return 7;
    }
}

static void test_oracle_sse_compare(void)
{
    bool avx = __builtin_cpu_supports("avx");

    for (int dbl = 0; dbl < 2; dbl++) {
        Tally tc = { dbl ? "sse cmpsd 0-7" : "sse cmpss 0-7" };
        Tally tv = { dbl ? "avx vcmpsd 0-31" : "avx vcmpss 0-31" };
        Tally ti = { dbl ? "sse (u)comisd" : "sse (u)comiss" };
        int frac = dbl ? 52 : 23, ebits = dbl ? 11 : 8;

        for (unsigned long i = 0; i < iters(60000); i++) {
            bool daz = rnd(2);
            uint32_t csr = mxcsr_for(0, false, daz), flags;
            FloatStatus s = status(0, 0);
            uint64_t a, b, mask = dbl ? ~0ull : 0xffffffffu, host, ours;
            unsigned imm = rnd(8), h, o;
            bool quiet = rnd(2);

            s.denormals_are_zero = daz;
            gen_ieee_pair(PAIR_ADD, frac, ebits, &a, &b);
            if (rnd(8) == 0) {
                b = a;
            }
            ours = (dbl ? float64_compare_predicate(a, b, imm, &s)
                        : float32_compare_predicate((float32)a, (float32)b, imm, &s)) ? mask : 0;
            host = host_cmp(dbl, a, b, imm, csr, &flags);
            tc.compared++;
            if (ours != host || flags != s.flags) {
                tally_mismatch(&tc, "imm %u daz%d %" PRIx64 ", %" PRIx64 ": ours %" PRIx64
                               " flags %02x, host %" PRIx64 " flags %02x", imm, daz, a, b, ours,
                               s.flags, host, flags);
            }
            if (avx) {
                imm = rnd(32);
                s = status(0, 0);
                s.denormals_are_zero = daz;
                ours = (dbl ? float64_compare_predicate(a, b, imm, &s)
                            : float32_compare_predicate((float32)a, (float32)b, imm, &s))
                       ? mask : 0;
                host = host_vcmp(dbl, a, b, imm, csr, &flags);
                tv.compared++;
                if (ours != host || flags != s.flags) {
                    tally_mismatch(&tv, "imm %u daz%d %" PRIx64 ", %" PRIx64 ": ours %" PRIx64
                                   " flags %02x, host %" PRIx64 " flags %02x", imm, daz, a, b,
                                   ours, s.flags, host, flags);
                }
            }
            s = status(0, 0);
            s.denormals_are_zero = daz;
            o = relation_eflags(dbl ? float64_compare(a, b, quiet, &s)
                                    : float32_compare((float32)a, (float32)b, quiet, &s));
            if (dbl) {
                h = (quiet ? host_ucomisd : host_comisd)(a, b, csr, &flags);
            } else {
                h = (quiet ? host_ucomiss : host_comiss)(a, b, csr, &flags);
            }
            ti.compared++;
            if (o != h || flags != s.flags) {
                tally_mismatch(&ti, "quiet%d daz%d %" PRIx64 ", %" PRIx64 ": ours %x flags %02x, "
                               "host %x flags %02x", quiet, daz, a, b, o, s.flags, h, flags);
            }
        }
        tally_end(&tc);
        if (avx) {
            tally_end(&tv);
        } else {
            printf("  (host has no AVX: the 32 VEX predicates are not compared)\n");
        }
        tally_end(&ti);
    }
}

#endif /* HAVE_HOST_ORACLE */

/*
 * Portable digest: a fixed sequence of operations on generated operands, with every result,
 * flag set and C1 hashed.  On x86-64 the oracle tests above show these results to be the
 * hardware's; the digest carries that to hosts without an x87, where this integer-only code
 * must give the very same bits.  A deliberate change of behaviour updates DIGEST_EXPECTED
 * (the test prints the new value), after the oracle tests pass.
 */
#define DIGEST_EXPECTED 0xe15a6e8d05d459f8ull

static uint64_t digest;

static void digest_add(uint64_t v)
{
    /* FNV-1a over the eight bytes. */
    for (int i = 0; i < 8; i++) {
        digest ^= (v >> (8 * i)) & 0xff;
        digest *= 0x100000001b3ull;
    }
}

static void digest_x80(floatx80 r, FloatStatus *s)
{
    digest_add(r.sig);
    digest_add(((uint64_t)r.se << 16) | ((uint64_t)s->flags << 8) | s->rounded_up);
    s->flags = 0;
}

static void digest_bits(uint64_t r, FloatStatus *s)
{
    digest_add(r);
    digest_add(((uint64_t)s->flags << 8) | s->rounded_up);
    s->flags = 0;
}

static void test_digest(void)
{
    uint64_t saved = rng_state;

    rng_state = 0x0123456789abcdefull;
    digest = 0xcbf29ce484222325ull;
    for (int i = 0; i < 20000; i++) {
        int rc = (int)rnd(4);
        FloatStatus s = status(rc, (int)rnd(4));
        floatx80 a, b, e, m;
        uint64_t fa, fb;
        uint8_t bcd[10];
        unsigned q;
        bool incomplete;
        bool dbl = i & 1;
        int frac = dbl ? 52 : 23, ebits = dbl ? 11 : 8;

        s.exception_masks = rnd(8) ? FLOAT_FLAGS_ALL : (uint8_t)(rnd64() & 0x3f);
        gen_x80_pair(i % 3, &a, &b);
        digest_x80(floatx80_add(a, b, &s), &s);
        digest_x80(floatx80_sub(a, b, &s), &s);
        digest_x80(floatx80_mul(a, b, &s), &s);
        digest_x80(floatx80_div(a, b, &s), &s);
        digest_x80(floatx80_sqrt(a, &s), &s);
        digest_x80(floatx80_round_to_int(a, &s), &s);
        digest_x80(floatx80_scale(a, int32_to_floatx80((int32_t)rnd(40000) - 20000), &s), &s);
        digest_x80(floatx80_fprem(a, b, i & 1, &q, &incomplete, &s), &s);
        digest_add(q | (incomplete << 3));
        floatx80_extract(a, &e, &m, &s);
        digest_x80(e, &s);
        digest_x80(m, &s);
        digest_bits((uint64_t)floatx80_to_int16(a, &s), &s);
        digest_bits((uint64_t)floatx80_to_int32_round_to_zero(a, &s), &s);
        digest_bits((uint64_t)floatx80_to_int64(a, &s), &s);
        digest_bits(floatx80_to_float32(a, &s), &s);
        digest_bits(floatx80_to_float64(a, &s), &s);
        digest_bits((uint64_t)floatx80_compare(a, b, i & 2, &s), &s);
        digest_bits(floatx80_classify(a), &s);
        floatx80_to_bcd(a, bcd, &s);
        digest_bits(bcd[0] | ((uint64_t)bcd[4] << 8) | ((uint64_t)bcd[8] << 16) |
                    ((uint64_t)bcd[9] << 24), &s);

        s.flush_to_zero = rnd(2);
        s.denormals_are_zero = rnd(2);
        gen_ieee_pair(i % 3, frac, ebits, &fa, &fb);
        if (dbl) {
            digest_x80(float64_to_floatx80(fa, &s), &s);
            digest_bits(float64_add(fa, fb, &s), &s);
            digest_bits(float64_sub(fa, fb, &s), &s);
            digest_bits(float64_mul(fa, fb, &s), &s);
            digest_bits(float64_div(fa, fb, &s), &s);
            digest_bits(float64_sqrt(fb, &s), &s);
            digest_bits(float64_min(fa, fb, &s), &s);
            digest_bits(float64_max(fa, fb, &s), &s);
            digest_bits(float64_compare_predicate(fa, fb, (unsigned)i & 31, &s), &s);
            digest_bits(float64_to_float32(fa, &s), &s);
            digest_bits((uint64_t)float64_to_int64(fa, &s), &s);
            digest_bits((uint64_t)float64_to_int32_round_to_zero(fa, &s), &s);
            digest_bits(int64_to_float64((int64_t)fb, &s), &s);
            digest_bits(float64_round_to_int(fa, (unsigned)i & 15, &s), &s);
        } else {
            digest_x80(float32_to_floatx80((float32)fa, &s), &s);
            digest_bits(float32_add((float32)fa, (float32)fb, &s), &s);
            digest_bits(float32_sub((float32)fa, (float32)fb, &s), &s);
            digest_bits(float32_mul((float32)fa, (float32)fb, &s), &s);
            digest_bits(float32_div((float32)fa, (float32)fb, &s), &s);
            digest_bits(float32_sqrt((float32)fb, &s), &s);
            digest_bits(float32_min((float32)fa, (float32)fb, &s), &s);
            digest_bits(float32_max((float32)fa, (float32)fb, &s), &s);
            digest_bits(float32_compare_predicate((float32)fa, (float32)fb, (unsigned)i & 31,
                                                  &s), &s);
            digest_bits(float32_to_float64((float32)fa, &s), &s);
            digest_bits((uint64_t)float32_to_int32(fa, &s), &s);
            digest_bits((uint64_t)float32_to_int64_round_to_zero((float32)fa, &s), &s);
            digest_bits(int32_to_float32((int32_t)fb, &s), &s);
            digest_bits(float32_round_to_int((float32)fa, (unsigned)i & 15, &s), &s);
        }
    }
    rng_state = saved;
    printf("  digest %016" PRIx64 " (expected %016" PRIx64 ")\n", digest,
           (uint64_t)DIGEST_EXPECTED);
    CHECK_EQ(digest, DIGEST_EXPECTED);
}

#ifdef HAVE_HOST_ORACLE
#define ORACLE(name, fn) { name, fn }
#else
#define ORACLE(name, fn) { name, NULL }
#endif

static const struct {
    const char *name;
    void (*fn)(void);
} oracle_tests[] = {
    ORACLE("softfloat-oracle-x87-arith", test_oracle_x87_arith),
    ORACLE("softfloat-oracle-x87-edges", test_oracle_x87_edges),
    ORACLE("softfloat-oracle-x87-fprem", test_oracle_x87_fprem),
    ORACLE("softfloat-oracle-x87-misc", test_oracle_x87_misc),
    ORACLE("softfloat-oracle-x87-fist", test_oracle_x87_fist),
    ORACLE("softfloat-oracle-x87-convert", test_oracle_x87_convert),
    ORACLE("softfloat-oracle-x87-bcd", test_oracle_x87_bcd),
    ORACLE("softfloat-oracle-x87-compare", test_oracle_x87_compare),
    ORACLE("softfloat-oracle-x87-unmasked", test_oracle_x87_unmasked),
    ORACLE("softfloat-oracle-x87-fst-unmasked", test_oracle_x87_fst_unmasked),
    ORACLE("softfloat-oracle-sse-arith", test_oracle_sse_arith),
    ORACLE("softfloat-oracle-sse-unmasked", test_oracle_sse_unmasked),
    ORACLE("softfloat-oracle-sse-convert", test_oracle_sse_convert),
    ORACLE("softfloat-oracle-sse-compare", test_oracle_sse_compare),
    ORACLE("softfloat-oracle-sse-round", test_oracle_sse_round),
};

int main(void)
{
    const char *env = getenv("OSPREY_FP_ITERS");

    if (env && atoi(env) > 0) {
        iter_scale = (unsigned)atoi(env);
    }
    env = getenv("OSPREY_FP_SEED");
    if (env) {
        rng_state ^= strtoull(env, NULL, 0) * 0x9e3779b97f4a7c15ull;
    }

    test_run("softfloat-helpers", test_helpers);
    test_run("softfloat-known-x87", test_known_x87);
    test_run("softfloat-known-classify", test_known_classify);
    test_run("softfloat-known-sse", test_known_sse);
    test_run("softfloat-digest", test_digest);
    for (size_t i = 0; i < sizeof(oracle_tests) / sizeof(oracle_tests[0]); i++) {
        if (oracle_tests[i].fn) {
            test_run(oracle_tests[i].name, oracle_tests[i].fn);
        } else {
            test_skip(oracle_tests[i].name, "needs an x86-64 host as oracle");
        }
    }
#ifdef HAVE_HOST_ORACLE
    printf("  total: %lu comparisons against the host, %lu mismatches\n", total_compared,
           total_mismatched);
#endif
    return test_summary();
}
