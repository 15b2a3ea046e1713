/*
 * Conversions between the formats and to and from integers: the x87's FILD/FIST/FISTTP and
 * FLD/FST of 32- and 64-bit reals, and SSE's CVT family.  SDM vol. 2 gives each
 * instruction's invalid and precision cases; an invalid integer conversion stores the
 * "integer indefinite" (the most negative integer).
 */
#include "cpu/x86/fpu/softfloat-internal.h"

/* Integers to floating point */

/* Magnitude and sign of an integer, as an exact unpacked value (sig 0 for zero). */
static void unpack_int(int64_t v, bool *sign, int32_t *exp, uint64_t *sig)
{
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    int shift = fp_clz64(mag);

    *sign = v < 0;
    *sig = mag << (shift & 63);
    *exp = 63 - shift;
}

floatx80 int64_to_floatx80(int64_t v)
{
    bool sign;
    int32_t exp;
    uint64_t sig;

    unpack_int(v, &sign, &exp, &sig);
    if (sig == 0) {
        return floatx80_make(false, 0, 0);
    }
    return floatx80_make(sign, (uint16_t)(exp + FLOATX80_EXP_BIAS), sig);
}

floatx80 int32_to_floatx80(int32_t v)
{
    return int64_to_floatx80(v);
}

floatx80 int16_to_floatx80(int16_t v)
{
    return int64_to_floatx80(v);
}

static uint64_t int_to_ieee(int64_t v, bool dbl, FloatStatus *s)
{
    bool sign;
    int32_t exp;
    uint64_t sig;
    FpRounded r;

    s->rounded_up = false;
    unpack_int(v, &sign, &exp, &sig);
    if (sig == 0) {
        return 0;
    }
    if (dbl) {
        fp_round(s, &fp_format_f64, sign, exp, sig, 0, &r);
        return fp_pack_f64(&r);
    }
    fp_round(s, &fp_format_f32, sign, exp, sig, 0, &r);
    return fp_pack_f32(&r);
}

float32 int32_to_float32(int32_t v, FloatStatus *s)
{
    return (float32)int_to_ieee(v, false, s);
}

float32 int64_to_float32(int64_t v, FloatStatus *s)
{
    return (float32)int_to_ieee(v, false, s);
}

float64 int32_to_float64(int32_t v, FloatStatus *s)
{
    return int_to_ieee(v, true, s);
}

float64 int64_to_float64(int64_t v, FloatStatus *s)
{
    return int_to_ieee(v, true, s);
}

/* Floating point to integers */

/*
 * Round a finite unpacked value to an integer in the given mode.  Returns false (after raising
 * invalid) when its magnitude exceeds max_pos (positive) or max_neg (negative); the caller
 * then stores the indefinite value.
 */
static bool to_int_limit(const FpUnpacked *u, uint64_t max_pos, uint64_t max_neg, int mode,
                         FloatStatus *s, int64_t *out)
{
    uint64_t mag;
    bool odd, half, rest, inc;

    if (u->cls == FP_ZERO) {
        *out = 0;
        return true;
    }
    if (u->exp >= 64) {
        fp_raise(s, FLOAT_FLAG_INVALID);
        return false;
    }
    if (u->exp < 0) {
        mag = 0;
        odd = false;
        half = u->exp == -1;
        rest = u->exp < -1 || (u->sig << 1) != 0;
    } else if (u->exp == 63) {
        mag = u->sig;
        odd = half = rest = false;
    } else {
        int n = 63 - u->exp;

        mag = u->sig >> n;
        odd = mag & 1;
        half = (u->sig >> (n - 1)) & 1;
        rest = (u->sig & ((1ull << (n - 1)) - 1)) != 0;
    }
    switch (mode) {
    case FLOAT_ROUND_NEAREST:
        inc = half && (rest || odd);
        break;
    case FLOAT_ROUND_DOWN:
        inc = u->sign && (half || rest);
        break;
    case FLOAT_ROUND_UP:
        inc = !u->sign && (half || rest);
        break;
    default:
        inc = false;
        break;
    }
    if (inc) {
        mag++;
    }
    /* mag == 0 after the increment means 2^64. */
    if ((inc && mag == 0) || mag > (u->sign ? max_neg : max_pos)) {
        fp_raise(s, FLOAT_FLAG_INVALID);
        return false;
    }
    if (half || rest) {
        fp_raise(s, FLOAT_FLAG_INEXACT);
        if (inc) {
            s->rounded_up = true;
        }
    }
    *out = u->sign ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

/* Two's complement integers of the given width: the negative range reaches one further. */
static bool to_int(const FpUnpacked *u, int bits, int mode, FloatStatus *s, int64_t *out)
{
    uint64_t max_neg = 1ull << (bits - 1);

    return to_int_limit(u, max_neg - 1, max_neg, mode, s, out);
}

static int64_t x80_to_int(floatx80 a, int bits, int mode, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);
    int64_t v;

    s->rounded_up = false;
    if (u.cls != FP_ZERO && u.cls != FP_FINITE) {
        fp_raise(s, FLOAT_FLAG_INVALID);
        return INT64_MIN;
    }
    /* FIST does not report denormal operands. */
    if (!to_int(&u, bits, mode, s, &v)) {
        return INT64_MIN;
    }
    return v;
}

int16_t floatx80_to_int16(floatx80 a, FloatStatus *s)
{
    int64_t v = x80_to_int(a, 16, s->round_mode, s);
    return v == INT64_MIN ? INT16_INDEFINITE : (int16_t)v;
}

int32_t floatx80_to_int32(floatx80 a, FloatStatus *s)
{
    int64_t v = x80_to_int(a, 32, s->round_mode, s);
    return v == INT64_MIN ? INT32_INDEFINITE : (int32_t)v;
}

int64_t floatx80_to_int64(floatx80 a, FloatStatus *s)
{
    return x80_to_int(a, 64, s->round_mode, s);
}

int16_t floatx80_to_int16_round_to_zero(floatx80 a, FloatStatus *s)
{
    int64_t v = x80_to_int(a, 16, FLOAT_ROUND_ZERO, s);
    return v == INT64_MIN ? INT16_INDEFINITE : (int16_t)v;
}

int32_t floatx80_to_int32_round_to_zero(floatx80 a, FloatStatus *s)
{
    int64_t v = x80_to_int(a, 32, FLOAT_ROUND_ZERO, s);
    return v == INT64_MIN ? INT32_INDEFINITE : (int32_t)v;
}

int64_t floatx80_to_int64_round_to_zero(floatx80 a, FloatStatus *s)
{
    return x80_to_int(a, 64, FLOAT_ROUND_ZERO, s);
}

static int64_t ieee_to_int(uint64_t a, bool dbl, int bits, int mode, FloatStatus *s)
{
    FpUnpacked u = dbl ? fp_unpack_f64(a, s) : fp_unpack_f32((float32)a, s);
    int64_t v;

    s->rounded_up = false;
    if (u.cls != FP_ZERO && u.cls != FP_FINITE) {
        fp_raise(s, FLOAT_FLAG_INVALID);
        return INT64_MIN;
    }
    if (!to_int(&u, bits, mode, s, &v)) {
        return INT64_MIN;
    }
    return v;
}

int32_t float32_to_int32(float32 a, FloatStatus *s)
{
    int64_t v = ieee_to_int(a, false, 32, s->round_mode, s);
    return v == INT64_MIN ? INT32_INDEFINITE : (int32_t)v;
}

int64_t float32_to_int64(float32 a, FloatStatus *s)
{
    return ieee_to_int(a, false, 64, s->round_mode, s);
}

int32_t float64_to_int32(float64 a, FloatStatus *s)
{
    int64_t v = ieee_to_int(a, true, 32, s->round_mode, s);
    return v == INT64_MIN ? INT32_INDEFINITE : (int32_t)v;
}

int64_t float64_to_int64(float64 a, FloatStatus *s)
{
    return ieee_to_int(a, true, 64, s->round_mode, s);
}

int32_t float32_to_int32_round_to_zero(float32 a, FloatStatus *s)
{
    int64_t v = ieee_to_int(a, false, 32, FLOAT_ROUND_ZERO, s);
    return v == INT64_MIN ? INT32_INDEFINITE : (int32_t)v;
}

int64_t float32_to_int64_round_to_zero(float32 a, FloatStatus *s)
{
    return ieee_to_int(a, false, 64, FLOAT_ROUND_ZERO, s);
}

int32_t float64_to_int32_round_to_zero(float64 a, FloatStatus *s)
{
    int64_t v = ieee_to_int(a, true, 32, FLOAT_ROUND_ZERO, s);
    return v == INT64_MIN ? INT32_INDEFINITE : (int32_t)v;
}

int64_t float64_to_int64_round_to_zero(float64 a, FloatStatus *s)
{
    return ieee_to_int(a, true, 64, FLOAT_ROUND_ZERO, s);
}

/*
 * Packed BCD (FBLD, FBSTP): 18 digits, two per byte from the least significant, and the sign
 * in bit 7 of the tenth byte.
 */

#define BCD_MAX 999999999999999999ull

floatx80 bcd_to_floatx80(const uint8_t bcd[10])
{
    uint64_t v = 0;

    /* Digits above 9 are undefined by the SDM; they simply weigh what they say here. */
    for (int i = 8; i >= 0; i--) {
        v = v * 100 + (uint64_t)(bcd[i] >> 4) * 10 + (bcd[i] & 15);
    }
    if (v == 0) {
        return floatx80_make(bcd[9] >> 7, 0, 0);
    }
    {
        floatx80 r = int64_to_floatx80((int64_t)v);

        return floatx80_make(bcd[9] >> 7, floatx80_exp(r), r.sig);
    }
}

void floatx80_to_bcd(floatx80 a, uint8_t bcd[10], FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);
    int64_t v;
    uint64_t mag;

    s->rounded_up = false;
    if ((u.cls != FP_ZERO && u.cls != FP_FINITE) ||
        !to_int_limit(&u, BCD_MAX, BCD_MAX, s->round_mode, s, &v)) {
        /* The packed BCD indefinite, which reads as the real indefinite's bit pattern. */
        if (u.cls != FP_ZERO && u.cls != FP_FINITE) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        memset(bcd, 0, 7);
        bcd[7] = 0xc0;
        bcd[8] = 0xff;
        bcd[9] = 0xff;
        return;
    }
    mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    for (int i = 0; i < 9; i++) {
        bcd[i] = (uint8_t)((mag % 10) | ((mag / 10 % 10) << 4));
        mag /= 100;
    }
    /* The sign of the operand, also for a zero result. */
    bcd[9] = u.sign ? 0x80 : 0;
}

/* Between floating-point formats */

/*
 * A NaN keeps its sign and the top bits of its payload across formats, and is quieted
 * (invalid if it was signaling).  payload is left-aligned below the quiet bit position.
 */
static uint64_t nan_to_ieee(bool sign, uint64_t payload63, bool dbl)
{
    if (dbl) {
        return ((uint64_t)sign << 63) | (0xfffull << 51) | (payload63 >> 13);
    }
    return ((uint64_t)sign << 31) | (0x1ffull << 22) | (payload63 >> 42);
}

/*
 * Exact widening of a float32/float64 to floatx80.  payload is the fraction left-aligned at
 * bit 62 (below the integer bit).  keep_snan leaves a signaling NaN signaling for the
 * operation that consumes it; report_denormal says whether a denormal raises DE.
 */
static floatx80 widen_to_x80(const FpUnpacked *u, uint64_t payload, bool keep_snan,
                             bool report_denormal, FloatStatus *s)
{
    s->rounded_up = false;
    switch (u->cls) {
    case FP_ZERO:
        return floatx80_make(u->sign, 0, 0);
    case FP_INF:
        return floatx80_make(u->sign, 0x7fff, 1ull << 63);
    case FP_QNAN:
    case FP_SNAN:
        if (keep_snan) {
            return floatx80_make(u->sign, 0x7fff, (1ull << 63) | payload);
        }
        if (u->cls == FP_SNAN) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        return floatx80_make(u->sign, 0x7fff, (3ull << 62) | payload);
    default:
        if (u->denormal && report_denormal) {
            fp_raise(s, FLOAT_FLAG_DENORMAL);
        }
        return floatx80_make(u->sign, (uint16_t)(u->exp + FLOATX80_EXP_BIAS), u->sig);
    }
}

floatx80 float32_to_floatx80(float32 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_f32(a, s);

    return widen_to_x80(&u, (uint64_t)(a & 0x7fffff) << 40, false, true, s);
}

floatx80 float64_to_floatx80(float64 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_f64(a, s);

    return widen_to_x80(&u, (a & ((1ull << 52) - 1)) << 11, false, true, s);
}

/* The other operand decides whether a denormal memory operand is reported at all. */
static bool operand_reports_denormal(floatx80 other)
{
    int cls = fp_unpack_x80(other).cls;

    return cls != FP_UNSUPPORTED && !fp_is_nan_cls(cls);
}

floatx80 float32_to_floatx80_operand(float32 a, floatx80 other, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_f32(a, s);

    return widen_to_x80(&u, (uint64_t)(a & 0x7fffff) << 40, true,
                        operand_reports_denormal(other), s);
}

floatx80 float64_to_floatx80_operand(float64 a, floatx80 other, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_f64(a, s);

    return widen_to_x80(&u, (a & ((1ull << 52) - 1)) << 11, true,
                        operand_reports_denormal(other), s);
}

static uint64_t x80_to_ieee(floatx80 a, bool dbl, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);
    FpRounded r;

    s->rounded_up = false;
    switch (u.cls) {
    case FP_UNSUPPORTED:
        fp_raise(s, FLOAT_FLAG_INVALID);
        return dbl ? FLOAT64_DEFAULT_NAN : FLOAT32_DEFAULT_NAN;
    case FP_QNAN:
    case FP_SNAN:
        if (u.cls == FP_SNAN) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        return nan_to_ieee(u.sign, a.sig << 2, dbl);
    case FP_ZERO:
        r = fp_zero_result(u.sign);
        break;
    case FP_INF:
        r = fp_zero_result(u.sign);
        r.inf = true;
        break;
    default: {
        /* FST does not report denormal operands. */
        uint8_t before = s->flags, raised;

        s->flags = 0;
        fp_round(s, dbl ? &fp_format_f64 : &fp_format_f32, u.sign, u.exp, u.sig, 0, &r);
        raised = s->flags;
        if (raised & ~s->exception_masks & (FLOAT_FLAG_OVERFLOW | FLOAT_FLAG_UNDERFLOW)) {
            /* An unmasked overflow or underflow aborts the store: only it is reported. */
            raised &= FLOAT_FLAG_OVERFLOW | FLOAT_FLAG_UNDERFLOW;
            s->rounded_up = false;
        }
        s->flags = before | raised;
        break;
    }
    }
    return dbl ? fp_pack_f64(&r) : fp_pack_f32(&r);
}

float32 floatx80_to_float32(floatx80 a, FloatStatus *s)
{
    return (float32)x80_to_ieee(a, false, s);
}

float64 floatx80_to_float64(floatx80 a, FloatStatus *s)
{
    return x80_to_ieee(a, true, s);
}

float64 float32_to_float64(float32 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_f32(a, s);
    FpRounded r;

    s->rounded_up = false;
    switch (u.cls) {
    case FP_QNAN:
    case FP_SNAN:
        if (u.cls == FP_SNAN) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        return nan_to_ieee(u.sign, (uint64_t)a << 42, true);
    case FP_ZERO:
        r = fp_zero_result(u.sign);
        break;
    case FP_INF:
        r = fp_zero_result(u.sign);
        r.inf = true;
        break;
    default:
        if (u.denormal) {
            fp_raise(s, FLOAT_FLAG_DENORMAL);
        }
        fp_round(s, &fp_format_f64, u.sign, u.exp, u.sig, 0, &r);
        break;
    }
    return fp_pack_f64(&r);
}

float32 float64_to_float32(float64 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_f64(a, s);
    FpRounded r;

    s->rounded_up = false;
    switch (u.cls) {
    case FP_QNAN:
    case FP_SNAN:
        if (u.cls == FP_SNAN) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        return (float32)nan_to_ieee(u.sign, a << 13, false);
    case FP_ZERO:
        r = fp_zero_result(u.sign);
        break;
    case FP_INF:
        r = fp_zero_result(u.sign);
        r.inf = true;
        break;
    default:
        if (u.denormal) {
            fp_raise(s, FLOAT_FLAG_DENORMAL);
        }
        fp_round(s, &fp_format_f32, u.sign, u.exp, u.sig, 0, &r);
        break;
    }
    return fp_pack_f32(&r);
}
