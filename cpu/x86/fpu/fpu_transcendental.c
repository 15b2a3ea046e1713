/*
 * x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS, FPTAN.
 *
 * Each function is evaluated in the 128-bit working arithmetic of fpu_wide.c (series after
 * argument reduction), which is accurate to about 2^-120 relative, and then rounded once to
 * the 64-bit significand in the current rounding mode (the precision control does not apply).
 * The result is therefore the correctly rounded value, unless the exact value lies within
 * 2^-120 relative of a rounding boundary: the error bound is 0.5 ulp (1 ulp in the directed
 * modes) plus 2^-56 ulp, inside the SDM's one-ulp bound (vol. 1, 8.3.10).  Tested against
 * the host x87, results are at most one ulp apart and the exception flags agree; where the
 * hardware flags an exact result as inexact (FYL2X, FYL2XP1, F2XM1 at +-1), so do we.  C1
 * follows our rounding; the hardware's reflects its internal approximation.
 *
 * The trigonometric instructions reduce their argument modulo pi/2 exactly, but with the
 * 66-bit approximation of pi that the x87 uses (SDM vol. 1, 8.3.10), so near multiples of pi
 * the results match the hardware rather than the true sine.  Arguments of magnitude 2^63 or
 * more are out of range: C2 is set and the operand is left alone (SDM vol. 2, FSIN).
 *
 * Special operands follow the tables of SDM vol. 2 for each instruction.
 */
#include "cpu/x86/fpu/fpu_wide.h"

/* ln 2, 2/ln 2 and pi, each rounded to 128 bits. */
static const FpWide fpw_ln2 = { false, -1, 0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull };
static const FpWide fpw_2_over_ln2 = { false, 1, 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull };
static const FpWide fpw_pi = { false, 1, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull };
/* atan(k/8) for k = 0..8, rounded to 128 bits. */
static const FpWide fpw_atan_k8[9] = {
    { false, 0, 0, 0 },
    { false, -4, 0xfeadd4d5617b6e32ull, 0xc897989f3e888ef8ull },
    { false, -3, 0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e6ull },
    { false, -2, 0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull },
    { false, -2, 0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull },
    { false, -1, 0x8f005d5ef7f59f9bull, 0x5c835e1665c43748ull },
    { false, -1, 0xa4bc7d1934f70924ull, 0x19a87f2a457dac9full },
    { false, -1, 0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull },
    { false, -1, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull },
};
/* The x87's 66-bit pi, as the integer M with pi ~= M * 2^-64 (so pi/2 ~= M * 2^-65). */
#define PI66_HI 3ull
#define PI66_LO ((0xc90fdaa22168c234ull << 2) | 3)

static FpWide fpw_one(void)
{
    return fpw_make(false, 0, 1ull << 63, 0);
}

/*
 * A series term is negligible once it is 2^-130 below the sum.  The first negligible term is
 * still added: it only sets the sum's sticky bit, which records on which side of the 128-bit
 * value the exact sum lies (the tail of these alternating or positive series has that term's
 * sign).
 */
static bool negligible(const FpWide *term, const FpWide *sum)
{
    return fpw_is_zero(term) || (!fpw_is_zero(sum) && term->exp < sum->exp - 130);
}

/* e^t - 1, for |t| below 1. */
static FpWide fpw_expm1(FpWide t)
{
    FpWide sum, term, two = fpw_make(false, 1, 1ull << 63, 0);
    int halvings = 0;

    if (fpw_is_zero(&t)) {
        return t;
    }
    /* Work on t / 2^k below 2^-8, then undo with expm1(2u) = expm1(u) * (expm1(u) + 2). */
    if (t.exp > -9) {
        halvings = t.exp + 9;
        t = fpw_scale(t, -halvings);
    }
    sum = term = t;
    for (uint32_t n = 2; n < 40; n++) {
        term = fpw_div_small(fpw_mul(term, t), n);
        sum = fpw_add(sum, term);
        if (negligible(&term, &sum)) {
            break;
        }
    }
    for (int i = 0; i < halvings; i++) {
        sum = fpw_mul(sum, fpw_add(sum, two));
    }
    return sum;
}

/* 2 * atanh(num / den) / ln 2 = log2((den + num) / (den - num)), for |num / den| <= 1/3. */
static FpWide fpw_log2_ratio(FpWide num, FpWide den)
{
    FpWide s, s2, sum, power;

    if (fpw_is_zero(&num)) {
        return num;
    }
    s = fpw_div(num, den);
    s2 = fpw_mul(s, s);
    sum = power = s;
    for (uint32_t n = 3; n < 200; n += 2) {
        FpWide term;

        power = fpw_mul(power, s2);
        term = fpw_div_small(power, n);
        sum = fpw_add(sum, term);
        if (negligible(&term, &sum)) {
            break;
        }
    }
    return fpw_mul(sum, fpw_2_over_ln2);
}

/* log2(x) for x > 0. */
static FpWide fpw_log2(FpWide x)
{
    /* sqrt(2) in the top word: the mantissa is moved to [sqrt(1/2), sqrt(2)). */
    const uint64_t sqrt2_hi = 0xb504f333f9de6484ull;
    int32_t e = x.exp;
    FpWide m = x, one = fpw_one(), r;

    m.exp = 0;
    if (m.hi > sqrt2_hi) {
        m.exp = -1;
        e++;
    }
    r = fpw_log2_ratio(fpw_sub(m, one), fpw_add(m, one));
    return fpw_add(fpw_from_int(e), r);
}

/* atan(z) for 0 <= z <= 1. */
static FpWide fpw_atan01(FpWide z)
{
    FpWide c, t, t2, sum, power;
    uint64_t sixteenths = 0;
    unsigned k;

    if (fpw_is_zero(&z)) {
        return z;
    }
    /* k = round(8z); atan(z) = atan(k/8) + atan((z - k/8) / (1 + z k/8)). */
    if (z.exp + 4 >= 0) {
        sixteenths = z.hi >> (63 - (z.exp + 4));
    }
    k = (unsigned)((sixteenths + 1) / 2);
    if (k > 8) {
        k = 8;
    }
    c = fpw_from_int(k);
    c = fpw_scale(c, -3);
    t = fpw_div(fpw_sub(z, c), fpw_add(fpw_one(), fpw_mul(z, c)));
    t2 = fpw_mul(t, t);
    sum = power = t;
    for (uint32_t n = 3; n < 200; n += 2) {
        FpWide term;

        power = fpw_mul(power, t2);
        term = fpw_div_small(power, n);
        sum = (n & 2) ? fpw_sub(sum, term) : fpw_add(sum, term);
        if (negligible(&term, &sum)) {
            break;
        }
    }
    return fpw_add(fpw_atan_k8[k], sum);
}

/*
 * sin(r) - r and cos(r) - 1 for |r| <= pi/4, by their Taylor series without the leading term:
 * keeping the leading terms apart lets tan and cot be formed without losing the direction of
 * tiny corrections.
 */
static FpWide fpw_sin_tail(FpWide r)
{
    FpWide r2 = fpw_mul(r, r), term = r, sum = fpw_zero();

    for (uint32_t n = 2; n < 80; n += 2) {
        term = fpw_div_small(fpw_mul(term, r2), n * (n + 1));
        sum = (n & 2) ? fpw_sub(sum, term) : fpw_add(sum, term);
        if (negligible(&term, &sum)) {
            break;
        }
    }
    return sum;
}

static FpWide fpw_cos_tail(FpWide r)
{
    FpWide r2 = fpw_mul(r, r), term = fpw_one(), sum = fpw_zero();

    for (uint32_t n = 2; n < 80; n += 2) {
        term = fpw_div_small(fpw_mul(term, r2), (n - 1) * n);
        sum = (n & 2) ? fpw_sub(sum, term) : fpw_add(sum, term);
        if (negligible(&term, &sum)) {
            break;
        }
    }
    return sum;
}

/*
 * Reduce |x| (finite, nonzero, below 2^63) to r = |x| - q * pi/2 with |r| <= pi/4, using the
 * 66-bit pi.  The remainder is computed exactly: |x| * 2^65 is an integer N (for |x| >= 1/4),
 * and N mod M with M = pi66 * 2^64 is r in units of 2^-65.
 */
static FpWide trig_reduce(const FpUnpacked *u, unsigned *quadrant)
{
    uint64_t nh, nl, rh = 0, rl = 0, q = 0;
    bool negative = false;

    *quadrant = 0;
    if (u->exp < -2) {
        return fpw_make(false, u->exp, u->sig, 0);
    }
    fp_shl128(0, u->sig, (unsigned)(u->exp + 2), &nh, &nl);
    /* Bits of N from its leading one down: N's top bit is bit 63 + exp + 2. */
    for (int i = 63 + u->exp + 2; i >= 0; i--) {
        uint64_t bit = i >= 64 ? (nh >> (i - 64)) & 1 : (nl >> i) & 1;

        fp_shl128(rh, rl, 1, &rh, &rl);
        rl |= bit;
        q <<= 1;
        if (!fp_lt128(rh, rl, PI66_HI, PI66_LO)) {
            fp_sub128(rh, rl, PI66_HI, PI66_LO, &rh, &rl);
            q |= 1;
        }
    }
    /* Past half of pi/2, go to the next multiple and a negative remainder. */
    {
        uint64_t dh, dl;

        fp_shl128(rh, rl, 1, &dh, &dl);
        if (fp_lt128(PI66_HI, PI66_LO, dh, dl)) {
            fp_sub128(PI66_HI, PI66_LO, rh, rl, &rh, &rl);
            negative = true;
            q++;
        }
    }
    *quadrant = (unsigned)(q & 3);
    if ((rh | rl) == 0) {
        return fpw_zero();
    }
    {
        int shift = rh ? fp_clz64(rh) : 64 + fp_clz64(rl);

        fp_shl128(rh, rl, (unsigned)shift, &rh, &rl);
        /* value = rem * 2^-65 with rem's top bit at 127 - shift. */
        return fpw_make(negative, 127 - shift - 65, rh, rl);
    }
}

static floatx80 x87_invalid(FloatStatus *s)
{
    fp_raise(s, FLOAT_FLAG_INVALID);
    return floatx80_default_nan();
}

static floatx80 x87_inf(bool sign)
{
    return floatx80_make(sign, 0x7fff, 1ull << 63);
}

static floatx80 x87_zero(bool sign)
{
    return floatx80_make(sign, 0, 0);
}

/* F2XM1 */

floatx80 floatx80_f2xm1(floatx80 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);
    FpWide x, r;

    s->rounded_up = false;
    switch (u.cls) {
    case FP_UNSUPPORTED:
        return x87_invalid(s);
    case FP_QNAN:
    case FP_SNAN:
        return fp_x87_quiet_nan(a, s);
    case FP_ZERO:
        return a;
    case FP_INF:
        return u.sign ? floatx80_make(true, 0x3fff, 1ull << 63) : a;
    default:
        break;
    }
    if (u.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    /*
     * At x = 1 and x = -1 the hardware reports an inexact result: for 1 it behaves as if the
     * value were just below 1, for -1 it delivers -0.5 exactly.
     */
    if (u.exp == 0 && u.sig == 1ull << 63) {
        fp_raise(s, FLOAT_FLAG_INEXACT);
        if (u.sign) {
            return floatx80_make(true, 0x3ffe, 1ull << 63);
        }
        return fpw_to_floatx80(fpw_make(false, -1, ~0ull, ~0ull), s);
    }
    x = fpw_from_unpacked(&u);
    if (u.exp < 0) {
        r = fpw_expm1(fpw_mul(x, fpw_ln2));
    } else if (u.exp > 15) {
        /* Outside the documented [-1, 1]: the limits of 2^x - 1. */
        r = u.sign ? fpw_neg(fpw_one()) : fpw_make(false, 1 << 20, 1ull << 63, 0);
    } else {
        /* Outside the documented [-1, 1]: 2^n * 2^f - 1 with n the integer part. */
        int32_t n = (int32_t)(u.sig >> (63 - u.exp));
        FpWide f = fpw_sub(fpw_abs(x), fpw_from_int(n));

        if (u.sign) {
            n = -n;
            f = fpw_neg(f);
        }
        r = fpw_add(fpw_expm1(fpw_mul(f, fpw_ln2)), fpw_one());
        r = fpw_sub(fpw_scale(r, n), fpw_one());
    }
    return fpw_to_floatx80(r, s);
}

/*
 * FYL2X and FYL2XP1 report an inexact result even when the product is exact (an integer
 * logarithm times ST(1)), and so an underflow when that result is tiny.
 */
static floatx80 inexact_result(FpWide v, FloatStatus *s)
{
    floatx80 r = fpw_to_floatx80(v, s);

    fp_raise(s, FLOAT_FLAG_INEXACT);
    if (floatx80_exp(r) == 0 && r.sig != 0) {
        fp_raise(s, FLOAT_FLAG_UNDERFLOW);
    }
    return r;
}

/* FYL2X: st1 * log2(st0) */

floatx80 floatx80_fyl2x(floatx80 st0, floatx80 st1, FloatStatus *s)
{
    FpUnpacked x = fp_unpack_x80(st0), y = fp_unpack_x80(st1);
    bool below_one, is_one;

    s->rounded_up = false;
    if (x.cls == FP_UNSUPPORTED || y.cls == FP_UNSUPPORTED) {
        return x87_invalid(s);
    }
    if (fp_is_nan_cls(x.cls) || fp_is_nan_cls(y.cls)) {
        return fp_x87_pick_nan(st0, st1, s);
    }
    if (x.sign && x.cls != FP_ZERO) {
        return x87_invalid(s);
    }
    if (x.cls == FP_ZERO) {
        /* log2(0) = -inf; like a division by zero, no denormal exception. */
        if (y.cls == FP_ZERO) {
            return x87_invalid(s);
        }
        if (y.cls != FP_INF) {
            fp_raise(s, FLOAT_FLAG_DIVBYZERO);
        }
        return x87_inf(!y.sign);
    }
    if (x.denormal || y.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (x.cls == FP_INF) {
        return y.cls == FP_ZERO ? x87_invalid(s) : x87_inf(y.sign);
    }
    is_one = x.exp == 0 && x.sig == 1ull << 63;
    below_one = x.exp < 0;
    if (is_one) {
        return y.cls == FP_INF ? x87_invalid(s) : x87_zero(y.sign);
    }
    if (y.cls == FP_ZERO) {
        return x87_zero(y.sign ^ below_one);
    }
    if (y.cls == FP_INF) {
        return x87_inf(y.sign ^ below_one);
    }
    return inexact_result(fpw_mul(fpw_log2(fpw_from_unpacked(&x)), fpw_from_unpacked(&y)),
                          s);
}

/* FYL2XP1: st1 * log2(st0 + 1) */

floatx80 floatx80_fyl2xp1(floatx80 st0, floatx80 st1, FloatStatus *s)
{
    FpUnpacked x = fp_unpack_x80(st0), y = fp_unpack_x80(st1);
    FpWide wx, l;
    int minus_one;

    s->rounded_up = false;
    if (x.cls == FP_UNSUPPORTED || y.cls == FP_UNSUPPORTED) {
        return x87_invalid(s);
    }
    if (fp_is_nan_cls(x.cls) || fp_is_nan_cls(y.cls)) {
        return fp_x87_pick_nan(st0, st1, s);
    }
    wx = fpw_from_unpacked(&x);
    {
        FpWide one = fpw_one();

        minus_one = x.sign ? fpw_cmp_abs(&wx, &one) : -1;
    }
    if (x.cls == FP_INF ? x.sign : minus_one > 0) {
        /* Below -1: the logarithm of a negative number. */
        return x87_invalid(s);
    }
    if (x.denormal || y.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (x.cls == FP_ZERO) {
        return y.cls == FP_INF ? x87_invalid(s) : x87_zero(x.sign ^ y.sign);
    }
    if (x.cls == FP_INF) {
        return y.cls == FP_ZERO ? x87_invalid(s) : x87_inf(y.sign);
    }
    if (minus_one == 0) {
        if (y.cls == FP_ZERO) {
            return x87_invalid(s);
        }
        if (y.cls != FP_INF) {
            fp_raise(s, FLOAT_FLAG_DIVBYZERO);
        }
        return x87_inf(!y.sign);
    }
    if (y.cls == FP_ZERO) {
        return x87_zero(y.sign ^ x.sign);
    }
    if (y.cls == FP_INF) {
        return x87_inf(y.sign ^ x.sign);
    }
    if (x.exp < -1 || (x.sign && x.exp < 0)) {
        /* 1 + x within [1/2, 5/4): log2((2 + x + x) / (2 + x - x)) keeps every bit of x. */
        l = fpw_log2_ratio(wx, fpw_add(fpw_make(false, 1, 1ull << 63, 0), wx));
    } else {
        l = fpw_log2(fpw_add(wx, fpw_one()));
    }
    return inexact_result(fpw_mul(l, fpw_from_unpacked(&y)), s);
}

/* FPATAN: atan2(st1, st0) */

floatx80 floatx80_fpatan(floatx80 st0, floatx80 st1, FloatStatus *s)
{
    FpUnpacked x = fp_unpack_x80(st0), y = fp_unpack_x80(st1);
    FpWide theta, half_pi = fpw_scale(fpw_pi, -1);

    s->rounded_up = false;
    if (x.cls == FP_UNSUPPORTED || y.cls == FP_UNSUPPORTED) {
        return x87_invalid(s);
    }
    if (fp_is_nan_cls(x.cls) || fp_is_nan_cls(y.cls)) {
        return fp_x87_pick_nan(st0, st1, s);
    }
    if (x.denormal || y.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (y.cls == FP_ZERO) {
        if (!x.sign) {
            return x87_zero(y.sign);
        }
        theta = fpw_pi;
    } else if (y.cls == FP_INF) {
        if (x.cls == FP_INF) {
            /* pi/4 or 3pi/4 */
            theta = fpw_scale(fpw_pi, -2);
            if (x.sign) {
                theta = fpw_sub(fpw_pi, theta);
            }
        } else {
            theta = half_pi;
        }
    } else if (x.cls == FP_ZERO) {
        theta = half_pi;
    } else if (x.cls == FP_INF) {
        if (!x.sign) {
            return x87_zero(y.sign);
        }
        theta = fpw_pi;
    } else {
        FpWide ax = fpw_abs(fpw_from_unpacked(&x)), ay = fpw_abs(fpw_from_unpacked(&y));

        if (fpw_cmp_abs(&ay, &ax) <= 0) {
            theta = fpw_atan01(fpw_div(ay, ax));
        } else {
            theta = fpw_sub(half_pi, fpw_atan01(fpw_div(ax, ay)));
        }
        if (x.sign) {
            theta = fpw_sub(fpw_pi, theta);
        }
    }
    if (y.sign) {
        theta = fpw_neg(theta);
    }
    return fpw_to_floatx80(theta, s);
}

/* FSIN, FCOS, FSINCOS, FPTAN */

/*
 * The common part: special operands, range check, reduction.  Returns -1 when the operand is
 * out of range (C2), 0 when the sin, cos and tan outputs hold the finished results, 1 when *r and
 * *quadrant hold the reduced argument of |a| for the series.
 */
static int trig_prepare(floatx80 a, floatx80 *sin, floatx80 *cos, floatx80 *tan,
                        FpUnpacked *u, FpWide *r, unsigned *quadrant, FloatStatus *s)
{
    floatx80 special;

    s->rounded_up = false;
    *u = fp_unpack_x80(a);
    switch (u->cls) {
    case FP_UNSUPPORTED:
    case FP_INF:
        special = x87_invalid(s);
        break;
    case FP_QNAN:
    case FP_SNAN:
        special = fp_x87_quiet_nan(a, s);
        break;
    case FP_ZERO:
        *sin = *tan = a;
        *cos = floatx80_make(false, 0x3fff, 1ull << 63);
        return 0;
    default:
        if (u->exp >= 63) {
            return -1;
        }
        if (u->denormal) {
            fp_raise(s, FLOAT_FLAG_DENORMAL);
        }
        *r = trig_reduce(u, quadrant);
        return 1;
    }
    *sin = *cos = *tan = special;
    return 0;
}

/* sin and cos of |a| from the reduced argument and the quadrant, as far as wanted. */
static void trig_eval(FpWide r, unsigned quadrant, bool want_sin, bool want_cos, FpWide *sin,
                      FpWide *cos)
{
    bool odd = quadrant & 1;
    FpWide sr = fpw_zero(), cr = fpw_zero();

    if ((want_sin && !odd) || (want_cos && odd)) {
        sr = fpw_add(r, fpw_sin_tail(r));
    }
    if ((want_cos && !odd) || (want_sin && odd)) {
        cr = fpw_add(fpw_one(), fpw_cos_tail(r));
    }
    switch (quadrant) {
    case 0:
        *sin = sr;
        *cos = cr;
        break;
    case 1:
        *sin = cr;
        *cos = fpw_neg(sr);
        break;
    case 2:
        *sin = fpw_neg(sr);
        *cos = fpw_neg(cr);
        break;
    default:
        *sin = fpw_neg(cr);
        *cos = sr;
        break;
    }
}

/*
 * tan of |a|: in even quadrants r + (st - r ct) / cos r, in odd ones -(1/r + (r ct - st) /
 * (r sin r)), with st = sin r - r and ct = cos r - 1.  Adding the small correction last keeps
 * its sign visible when r is tiny.
 */
static FpWide trig_tan(FpWide r, unsigned quadrant)
{
    FpWide st = fpw_sin_tail(r), ct = fpw_cos_tail(r);

    if (fpw_is_zero(&r)) {
        return r;
    }
    if (!(quadrant & 1)) {
        FpWide num = fpw_sub(st, fpw_mul(r, ct));

        return fpw_add(r, fpw_div(num, fpw_add(fpw_one(), ct)));
    } else {
        FpWide num = fpw_sub(fpw_mul(r, ct), st);
        FpWide den = fpw_mul(r, fpw_add(r, st));

        return fpw_neg(fpw_add(fpw_div(fpw_one(), r), fpw_div(num, den)));
    }
}

bool floatx80_fsin(floatx80 a, floatx80 *result, FloatStatus *s)
{
    floatx80 sn, cs, tn;
    FpUnpacked u;
    FpWide r, ws, wc;
    unsigned q;
    int st = trig_prepare(a, &sn, &cs, &tn, &u, &r, &q, s);

    if (st < 0) {
        return false;
    }
    if (st == 0) {
        *result = sn;
        return true;
    }
    trig_eval(r, q, true, false, &ws, &wc);
    if (u.sign) {
        ws = fpw_neg(ws);
    }
    *result = fpw_to_floatx80(ws, s);
    return true;
}

bool floatx80_fcos(floatx80 a, floatx80 *result, FloatStatus *s)
{
    floatx80 sn, cs, tn;
    FpUnpacked u;
    FpWide r, ws, wc;
    unsigned q;
    int st = trig_prepare(a, &sn, &cs, &tn, &u, &r, &q, s);

    if (st < 0) {
        return false;
    }
    if (st == 0) {
        *result = cs;
        return true;
    }
    trig_eval(r, q, false, true, &ws, &wc);
    *result = fpw_to_floatx80(wc, s);
    return true;
}

bool floatx80_fsincos(floatx80 a, floatx80 *sin, floatx80 *cos, FloatStatus *s)
{
    floatx80 sn, cs, tn;
    FpUnpacked u;
    FpWide r, ws, wc;
    unsigned q;
    int st = trig_prepare(a, &sn, &cs, &tn, &u, &r, &q, s);

    if (st < 0) {
        return false;
    }
    if (st == 0) {
        *sin = sn;
        *cos = cs;
        return true;
    }
    trig_eval(r, q, true, true, &ws, &wc);
    if (u.sign) {
        ws = fpw_neg(ws);
    }
    *sin = fpw_to_floatx80(ws, s);
    /* C1 describes the value left in ST(0), the cosine. */
    s->rounded_up = false;
    *cos = fpw_to_floatx80(wc, s);
    return true;
}

bool floatx80_fptan(floatx80 a, floatx80 *result, floatx80 *pushed, FloatStatus *s)
{
    floatx80 sn, cs, tn;
    FpUnpacked u;
    FpWide r, wt;
    unsigned q;
    int st = trig_prepare(a, &sn, &cs, &tn, &u, &r, &q, s);

    if (st < 0) {
        return false;
    }
    /* 1.0 is pushed over the tangent, except that a NaN result is pushed again. */
    *pushed = floatx80_make(false, 0x3fff, 1ull << 63);
    if (st == 0) {
        *result = tn;
        if (floatx80_is_any_nan(tn)) {
            *pushed = tn;
        }
        return true;
    }
    wt = trig_tan(r, q);
    if (u.sign) {
        wt = fpw_neg(wt);
    }
    *result = fpw_to_floatx80(wt, s);
    return true;
}
