/*
 * The x87-only operations on floatx80: FPREM/FPREM1, FRNDINT, FSCALE, FXTRACT and the FLDxx
 * constants.  SDM vol. 2 describes each instruction's results and exceptions; vol. 1, 8.3.8
 * describes the constants.
 */
#include "cpu/x86/fpu/softfloat-internal.h"

static floatx80 x87_invalid(FloatStatus *s)
{
    fp_raise(s, FLOAT_FLAG_INVALID);
    return floatx80_default_nan();
}

static floatx80 x87_inf(bool sign)
{
    return floatx80_make(sign, 0x7fff, 1ull << 63);
}

/*
 * Deliver an exact register result: only a denormal result needs the rounding routine, which
 * then applies the underflow rules (an unmasked underflow wraps the exponent).
 */
static floatx80 x87_exact(bool sign, int32_t exp, uint64_t sig, FloatStatus *s)
{
    FpRounded r;

    fp_round(s, &fp_format_x80_reg[FLOATX80_PREC_64], sign, exp, sig, 0, &r);
    return fp_pack_x80(&r);
}

/* FPREM / FPREM1 */

floatx80 floatx80_fprem(floatx80 st0, floatx80 st1, bool ieee, unsigned *quotient,
                        bool *incomplete, FloatStatus *s)
{
    FpUnpacked a = fp_unpack_x80(st0), b = fp_unpack_x80(st1);
    int32_t d, steps, exp;
    uint64_t rem, q = 0;
    bool sign;

    s->rounded_up = false;
    *quotient = 0;
    *incomplete = false;
    if (a.cls == FP_UNSUPPORTED || b.cls == FP_UNSUPPORTED) {
        return x87_invalid(s);
    }
    if (fp_is_nan_cls(a.cls) || fp_is_nan_cls(b.cls)) {
        return fp_x87_pick_nan(st0, st1, s);
    }
    if (a.cls == FP_INF || b.cls == FP_ZERO) {
        /* Invalid outranks the denormal exception. */
        return x87_invalid(s);
    }
    if (a.denormal || b.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (a.cls == FP_ZERO || b.cls == FP_INF) {
        /* The remainder is the dividend itself; a denormal comes back normalized if it can. */
        if (a.cls == FP_ZERO) {
            return st0;
        }
        return x87_exact(a.sign, a.exp, a.sig, s);
    }

    d = a.exp - b.exp;
    if (d < 0) {
        /*
         * |st0| < |st1|: the quotient is zero, except that FPREM1 rounds a quotient above one
         * half to one.
         */
        if (ieee && d == -1 && a.sig > b.sig) {
            /* |st1| - |st0| = (2 * b.sig - a.sig) * 2^(a.exp - 63), below 2^64. */
            uint64_t twice_b_minus_a = b.sig - a.sig + b.sig;
            int shift;

            *quotient = 1;
            shift = fp_clz64(twice_b_minus_a);
            return x87_exact(!a.sign, a.exp - shift, twice_b_minus_a << shift, s);
        }
        return x87_exact(a.sign, a.exp, a.sig, s);
    }

    /*
     * Binary long division of a.sig * 2^steps by b.sig.  When the exponents are 64 or more
     * apart the x87 only reduces by 2^(32 + d % 32) per instruction and sets C2; the quotient
     * is then truncated for FPREM1 as well (SDM vol. 2, FPREM1 operation).
     */
    if (d >= 64) {
        steps = 32 + (d % 32);
        *incomplete = true;
    } else {
        steps = d;
    }
    rem = a.sig;
    if (rem >= b.sig) {
        rem -= b.sig;
        q = 1;
    }
    for (int i = 0; i < steps; i++) {
        bool carry = rem >> 63;

        rem <<= 1;
        q <<= 1;
        if (carry || rem >= b.sig) {
            rem -= b.sig;
            q |= 1;
        }
    }
    /* rem is now the remainder scaled to the exponent of b (as b.sig is). */
    exp = b.exp + (d - steps);
    sign = a.sign;
    if (ieee && !*incomplete) {
        /* Round the quotient to nearest even: compare 2 * rem with b. */
        bool above = (rem >> 63) || (rem << 1) > b.sig;
        bool tie = !(rem >> 63) && (rem << 1) == b.sig;

        if (above || (tie && (q & 1))) {
            rem = b.sig - rem;
            q++;
            sign = !sign;
        }
    }
    /* A partial reduction reports no quotient bits (the SDM leaves them undefined). */
    *quotient = *incomplete ? 0 : (unsigned)(q & 7);
    if (rem == 0) {
        return floatx80_make(a.sign, 0, 0);
    }
    {
        int shift = fp_clz64(rem);

        return x87_exact(sign, exp - shift, rem << shift, s);
    }
}

/* FRNDINT */

floatx80 floatx80_round_to_int(floatx80 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);
    uint64_t ipart;
    bool odd, half, rest, inc;

    s->rounded_up = false;
    switch (u.cls) {
    case FP_UNSUPPORTED:
        return x87_invalid(s);
    case FP_QNAN:
    case FP_SNAN:
        return fp_x87_quiet_nan(a, s);
    case FP_ZERO:
    case FP_INF:
        return a;
    default:
        break;
    }
    if (u.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (u.exp >= 63) {
        return a;
    }
    if (u.exp < 0) {
        ipart = 0;
        odd = false;
        half = u.exp == -1;
        rest = u.exp < -1 || (u.sig << 1) != 0;
    } else {
        int n = 63 - u.exp;     /* fraction bits, 1..63 */

        ipart = u.sig >> n;
        odd = ipart & 1;
        half = (u.sig >> (n - 1)) & 1;
        rest = (u.sig & ((1ull << (n - 1)) - 1)) != 0;
    }
    if (!half && !rest) {
        return a;
    }
    fp_raise(s, FLOAT_FLAG_INEXACT);
    switch (s->round_mode) {
    case FLOAT_ROUND_NEAREST:
        inc = half && (rest || odd);
        break;
    case FLOAT_ROUND_DOWN:
        inc = u.sign;
        break;
    case FLOAT_ROUND_UP:
        inc = !u.sign;
        break;
    default:
        inc = false;
        break;
    }
    if (inc) {
        ipart++;
        s->rounded_up = true;
    }
    if (ipart == 0) {
        return floatx80_make(u.sign, 0, 0);
    }
    return x87_exact(u.sign, 63 - fp_clz64(ipart), ipart << fp_clz64(ipart), s);
}

/* FSCALE */

floatx80 floatx80_scale(floatx80 st0, floatx80 st1, FloatStatus *s)
{
    FpUnpacked a = fp_unpack_x80(st0), b = fp_unpack_x80(st1);
    int32_t n;
    FpRounded r;

    s->rounded_up = false;
    if (a.cls == FP_UNSUPPORTED || b.cls == FP_UNSUPPORTED) {
        return x87_invalid(s);
    }
    if (fp_is_nan_cls(a.cls) || fp_is_nan_cls(b.cls)) {
        return fp_x87_pick_nan(st0, st1, s);
    }
    if (a.denormal || b.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (b.cls == FP_INF) {
        if (!b.sign) {
            if (a.cls == FP_ZERO) {
                return x87_invalid(s);
            }
            return x87_inf(a.sign);
        }
        if (a.cls == FP_INF) {
            return x87_invalid(s);
        }
        return floatx80_make(a.sign, 0, 0);
    }
    if (a.cls == FP_ZERO || a.cls == FP_INF) {
        return st0;
    }
    /* trunc(st1); beyond 2^20 every scale overflows or underflows alike. */
    if (b.cls == FP_ZERO || b.exp < 0) {
        n = 0;
    } else if (b.exp > 20) {
        n = 1 << 21;
    } else {
        n = (int32_t)(b.sig >> (63 - b.exp));
    }
    if (b.sign) {
        n = -n;
    }
    fp_round(s, &fp_format_x80_reg[FLOATX80_PREC_64], a.sign, a.exp + n, a.sig, 0, &r);
    return fp_pack_x80(&r);
}

/* FXTRACT */

void floatx80_extract(floatx80 a, floatx80 *exponent, floatx80 *significand, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);

    s->rounded_up = false;
    switch (u.cls) {
    case FP_UNSUPPORTED:
        *exponent = *significand = x87_invalid(s);
        return;
    case FP_QNAN:
    case FP_SNAN:
        *exponent = *significand = fp_x87_quiet_nan(a, s);
        return;
    case FP_ZERO:
        /* log2(0): divide by zero, -infinity; the significand keeps the zero. */
        fp_raise(s, FLOAT_FLAG_DIVBYZERO);
        *exponent = x87_inf(true);
        *significand = a;
        return;
    case FP_INF:
        *exponent = x87_inf(false);
        *significand = a;
        return;
    default:
        break;
    }
    if (u.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    *exponent = int32_to_floatx80(u.exp);
    *significand = floatx80_make(u.sign, FLOATX80_EXP_BIAS, u.sig);
}

/* Constants */

/*
 * The x87 holds each constant with 66 significant bits and rounds it to 64 in the current
 * rounding mode (SDM vol. 1, 8.3.8).  The two extra bits here are followed by more nonzero
 * bits of the irrational constant, which the sticky bit below records.
 */
static const struct {
    uint16_t se;
    uint64_t sig;
    uint8_t extra2;
} x87_consts[] = {
    [FLOATX80_CONST_ONE] = { 0x3fff, 0x8000000000000000ull, 0 },
    [FLOATX80_CONST_L2T] = { 0x4000, 0xd49a784bcd1b8afeull, 1 },
    [FLOATX80_CONST_L2E] = { 0x3fff, 0xb8aa3b295c17f0bbull, 2 },
    [FLOATX80_CONST_PI] = { 0x4000, 0xc90fdaa22168c234ull, 3 },
    [FLOATX80_CONST_LG2] = { 0x3ffd, 0x9a209a84fbcff798ull, 2 },
    [FLOATX80_CONST_LN2] = { 0x3ffe, 0xb17217f7d1cf79abull, 3 },
    [FLOATX80_CONST_ZERO] = { 0, 0, 0 },
};

floatx80 floatx80_load_const(FloatX80Const which, const FloatStatus *s)
{
    FloatStatus scratch = *s;
    uint64_t extra;
    FpRounded r;

    if (which == FLOATX80_CONST_ONE || which == FLOATX80_CONST_ZERO) {
        return floatx80_make(false, x87_consts[which].se, x87_consts[which].sig);
    }
    extra = ((uint64_t)x87_consts[which].extra2 << 62) | 1;
    fp_round(&scratch, &fp_format_x80_exact, false, x87_consts[which].se - FLOATX80_EXP_BIAS,
             x87_consts[which].sig, extra, &r);
    return fp_pack_x80(&r);
}
