/*
 * Software floating point core: unpacking, the rounding routine every result goes through,
 * and the basic operations (add, subtract, multiply, divide, square root) for floatx80 with
 * x87 rules and for float32/float64 with SSE rules.
 *
 * References: IEEE 754-2008 sections 4, 6 and 7; Intel SDM vol. 1, 4.8 (real numbers and
 * special encodings), 4.9 (exceptions), 8.1.5 (precision control), 8.2 (unsupported x87
 * encodings), 8.5 (x87 exception responses) and 11.5 (SSE exceptions, DAZ and FTZ).
 */
#include "cpu/x86/fpu/softfloat-internal.h"

/* 128-bit integer helpers */

uint64_t fp_div128by64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    uint64_t d1 = d >> 32, d0 = (uint32_t)d;
    uint64_t n1 = lo >> 32, n0 = (uint32_t)lo;
    uint64_t qhat, rhat, q1, q0, r;

    /* First 32-bit digit: (hi:n1) / d.  The estimate from the top digits is never too small. */
    qhat = hi / d1;
    rhat = hi % d1;
    while ((qhat >> 32) != 0 || qhat * d0 > ((rhat << 32) | n1)) {
        qhat--;
        rhat += d1;
        if ((rhat >> 32) != 0) {
            break;
        }
    }
    q1 = qhat;
    /* The partial remainder is below d, so computing it modulo 2^64 is exact. */
    r = ((hi << 32) | n1) - q1 * d;

    qhat = r / d1;
    rhat = r % d1;
    while ((qhat >> 32) != 0 || qhat * d0 > ((rhat << 32) | n0)) {
        qhat--;
        rhat += d1;
        if ((rhat >> 32) != 0) {
            break;
        }
    }
    q0 = qhat;
    *rem = ((r << 32) | n0) - q0 * d;
    return (q1 << 32) | q0;
}

uint64_t fp_sqrt128(uint64_t hi, uint64_t lo, uint64_t *rem_hi, uint64_t *rem_lo)
{
    /*
     * Digit-by-digit square root in base 2: each step brings down two bits of the radicand and
     * decides one bit of the root.  With rem < 2*root + 1 the remainder needs at most 67 bits.
     */
    uint64_t root = 0, rh = 0, rl = 0;

    for (int i = 0; i < 64; i++) {
        uint64_t th, tl;

        fp_shl128(rh, rl, 2, &rh, &rl);
        rl |= hi >> 62;
        fp_shl128(hi, lo, 2, &hi, &lo);
        /* trial = 4 * root + 1 */
        th = root >> 62;
        tl = (root << 2) | 1;
        if (fp_le128(th, tl, rh, rl)) {
            fp_sub128(rh, rl, th, tl, &rh, &rl);
            root = (root << 1) | 1;
        } else {
            root <<= 1;
        }
    }
    *rem_hi = rh;
    *rem_lo = rl;
    return root;
}

/* Formats */

const FpFormat fp_format_f32 = { 24, -126, 127, false, true };
const FpFormat fp_format_f64 = { 53, -1022, 1023, false, true };
/*
 * The x87 keeps the full 15-bit exponent range whatever the precision control.  The reserved
 * precision-control value 1 behaves like 64-bit precision on the processors we checked.
 */
const FpFormat fp_format_x80_reg[4] = {
    { 24, -16382, 16383, true, false },
    { 64, -16382, 16383, true, false },
    { 53, -16382, 16383, true, false },
    { 64, -16382, 16383, true, false },
};
const FpFormat fp_format_x80_exact = { 64, -16382, 16383, false, false };

/* Rounding */

/* The x87 wraps the exponent of an unmasked overflow or underflow by this much (SDM 8.5.4). */
#define X87_EXP_WRAP 24576

/* Whether the rounding mode adds one unit in the last place, given the discarded bits. */
static bool round_increments(int mode, bool sign, bool odd, bool half, bool rest)
{
    switch (mode) {
    case FLOAT_ROUND_NEAREST:
        return half && (rest || odd);
    case FLOAT_ROUND_DOWN:
        return sign && (half || rest);
    case FLOAT_ROUND_UP:
        return !sign && (half || rest);
    default:
        return false;
    }
}

/* Split sig:extra at the rounding position of a prec-bit significand in a 64-bit field. */
static void round_bits(uint64_t sig, uint64_t extra, int prec, bool *odd, bool *half, bool *rest)
{
    if (prec == 64) {
        *odd = sig & 1;
        *half = extra >> 63;
        *rest = (extra << 1) != 0;
    } else {
        uint64_t lsb = 1ull << (64 - prec);

        *odd = (sig & lsb) != 0;
        *half = (sig & (lsb >> 1)) != 0;
        *rest = (sig & ((lsb >> 1) - 1)) != 0 || extra != 0;
    }
}

void fp_round(FloatStatus *s, const FpFormat *f, bool sign, int32_t exp, uint64_t sig,
              uint64_t extra, FpRounded *r)
{
    int prec = f->prec;
    uint64_t lsb = prec == 64 ? 1 : 1ull << (64 - prec);
    bool odd, half, rest, tiny = false, wrapped = false, report = true;
    bool unmasked_ue = !(s->exception_masks & FLOAT_FLAG_UNDERFLOW);
    bool unmasked_oe = !(s->exception_masks & FLOAT_FLAG_OVERFLOW);

    r->sign = sign;
    r->inf = false;

    if (exp < f->emin) {
        /*
         * x86 detects tininess after rounding: the result is tiny when rounding it to the
         * precision with an unbounded exponent leaves it below the smallest normal.  Only a
         * value one binade below can round up out of it.
         */
        tiny = true;
        if (exp == f->emin - 1) {
            round_bits(sig, extra, prec, &odd, &half, &rest);
            if ((sig | (lsb - 1)) == UINT64_MAX &&
                round_increments(s->round_mode, sign, odd, half, rest)) {
                tiny = false;
            }
        }
    }
    if (tiny) {
        if (f->x87_reg && unmasked_ue) {
            if (exp + X87_EXP_WRAP < f->emin) {
                /* Beyond even the wrapped range (FSCALE): the x87 gives a zero. */
                fp_raise(s, FLOAT_FLAG_UNDERFLOW | FLOAT_FLAG_INEXACT);
                r->exp = 0;
                r->sig = 0;
                return;
            }
            /* The x87 delivers the rounded result scaled up, and signals underflow. */
            exp += X87_EXP_WRAP;
            wrapped = true;
            fp_raise(s, FLOAT_FLAG_UNDERFLOW);
        } else if (f->ftz_allowed && s->flush_to_zero && !unmasked_ue) {
            fp_raise(s, FLOAT_FLAG_UNDERFLOW | FLOAT_FLAG_INEXACT);
            r->exp = 0;
            r->sig = 0;
            return;
        } else {
            if (unmasked_ue) {
                /*
                 * An unmasked underflow is reported even for an exact result, and inexact
                 * only if the result with an unbounded exponent would be (the result itself
                 * is not delivered: SSE faults, an x87 memory store is not done).
                 */
                round_bits(sig, extra, prec, &odd, &half, &rest);
                fp_raise(s, FLOAT_FLAG_UNDERFLOW | (half || rest ? FLOAT_FLAG_INEXACT : 0));
                report = false;
            }
            /* Denormalize: the rounding position stays where the precision puts it. */
            fp_shr128_jam(sig, extra, (unsigned)(f->emin - exp), &sig, &extra);
            exp = f->emin;
        }
    }

    round_bits(sig, extra, prec, &odd, &half, &rest);
    sig &= ~(lsb - 1);
    if (half || rest) {
        if (report) {
            fp_raise(s, FLOAT_FLAG_INEXACT | (tiny && !wrapped ? FLOAT_FLAG_UNDERFLOW : 0));
        }
        if (round_increments(s->round_mode, sign, odd, half, rest)) {
            sig += lsb;
            if (sig == 0) {
                sig = 1ull << 63;
                exp++;
            }
            s->rounded_up = true;
        }
    }

    if (exp > f->emax) {
        if (f->x87_reg && unmasked_oe) {
            if (exp - X87_EXP_WRAP <= f->emax) {
                fp_raise(s, FLOAT_FLAG_OVERFLOW);
                exp -= X87_EXP_WRAP;
            } else {
                /* Beyond even the wrapped range (FSCALE): infinity whatever the rounding. */
                fp_raise(s, FLOAT_FLAG_OVERFLOW | FLOAT_FLAG_INEXACT);
                r->inf = true;
                s->rounded_up = true;
            }
        } else {
            int mode = s->round_mode;

            /*
             * The masked response.  An unmasked overflow (the value is then not delivered)
             * reports inexact only if the rounding with an unbounded exponent was.
             */
            fp_raise(s, FLOAT_FLAG_OVERFLOW | (unmasked_oe ? 0 : FLOAT_FLAG_INEXACT));
            if (mode == FLOAT_ROUND_NEAREST || (mode == FLOAT_ROUND_UP && !sign) ||
                (mode == FLOAT_ROUND_DOWN && sign)) {
                r->inf = true;
                s->rounded_up = true;
            } else {
                exp = f->emax;
                sig = ~(lsb - 1);
                s->rounded_up = false;
            }
        }
    }
    r->exp = exp;
    r->sig = sig;
}

floatx80 fp_pack_x80(const FpRounded *r)
{
    if (r->inf) {
        return floatx80_make(r->sign, 0x7fff, 1ull << 63);
    }
    if (r->sig == 0) {
        return floatx80_make(r->sign, 0, 0);
    }
    if (!(r->sig >> 63)) {
        return floatx80_make(r->sign, 0, r->sig);
    }
    return floatx80_make(r->sign, (uint16_t)(r->exp + FLOATX80_EXP_BIAS), r->sig);
}

float64 fp_pack_f64(const FpRounded *r)
{
    uint64_t sign = (uint64_t)r->sign << 63;

    if (r->inf) {
        return sign | (0x7ffull << 52);
    }
    if (!(r->sig >> 63)) {
        return sign | (r->sig >> 11);
    }
    return sign | ((uint64_t)(r->exp + 1023) << 52) | ((r->sig >> 11) & ((1ull << 52) - 1));
}

float32 fp_pack_f32(const FpRounded *r)
{
    uint32_t sign = (uint32_t)r->sign << 31;

    if (r->inf) {
        return sign | (0xffu << 23);
    }
    if (!(r->sig >> 63)) {
        return sign | (uint32_t)(r->sig >> 40);
    }
    return sign | ((uint32_t)(r->exp + 127) << 23) | ((uint32_t)(r->sig >> 40) & 0x7fffff);
}

/* Unpacking and classification */

FpUnpacked fp_unpack_x80(floatx80 a)
{
    FpUnpacked u = { .sign = floatx80_sign(a), .sig = a.sig };
    int e = floatx80_exp(a);
    bool integer_bit = a.sig >> 63;

    if (e == 0x7fff) {
        if (!integer_bit) {
            u.cls = FP_UNSUPPORTED;
        } else if ((a.sig << 1) == 0) {
            u.cls = FP_INF;
        } else {
            u.cls = (a.sig >> 62) & 1 ? FP_QNAN : FP_SNAN;
        }
    } else if (e == 0) {
        if (a.sig == 0) {
            u.cls = FP_ZERO;
        } else {
            /* Denormals and pseudo-denormals both have the exponent of the smallest normal. */
            int shift = fp_clz64(a.sig);

            u.cls = FP_FINITE;
            u.denormal = true;
            u.sig = a.sig << shift;
            u.exp = 1 - FLOATX80_EXP_BIAS - shift;
        }
    } else if (!integer_bit) {
        u.cls = FP_UNSUPPORTED;
    } else {
        u.cls = FP_FINITE;
        u.exp = e - FLOATX80_EXP_BIAS;
    }
    return u;
}

/* Shared by float32 and float64: frac_bits fraction bits, exponent field of ebits bits. */
static FpUnpacked unpack_ieee(uint64_t a, int frac_bits, int ebits, const FloatStatus *s)
{
    int bias = (1 << (ebits - 1)) - 1;
    int emax_field = (1 << ebits) - 1;
    FpUnpacked u = { .sign = (a >> (frac_bits + ebits)) & 1 };
    int e = (a >> frac_bits) & emax_field;
    uint64_t frac = a & ((1ull << frac_bits) - 1);

    if (e == emax_field) {
        if (frac == 0) {
            u.cls = FP_INF;
        } else {
            u.cls = (frac >> (frac_bits - 1)) & 1 ? FP_QNAN : FP_SNAN;
        }
    } else if (e == 0) {
        if (frac == 0 || s->denormals_are_zero) {
            u.cls = FP_ZERO;
        } else {
            int shift = fp_clz64(frac << (63 - frac_bits));

            u.cls = FP_FINITE;
            u.denormal = true;
            u.sig = frac << (63 - frac_bits + shift);
            u.exp = 1 - bias - shift;
        }
    } else {
        u.cls = FP_FINITE;
        u.sig = ((1ull << frac_bits) | frac) << (63 - frac_bits);
        u.exp = e - bias;
    }
    return u;
}

FpUnpacked fp_unpack_f64(float64 a, const FloatStatus *s)
{
    return unpack_ieee(a, 52, 11, s);
}

FpUnpacked fp_unpack_f32(float32 a, const FloatStatus *s)
{
    return unpack_ieee(a, 23, 8, s);
}

bool floatx80_is_any_nan(floatx80 a)
{
    return floatx80_exp(a) == 0x7fff && (a.sig << 1) != 0;
}

bool floatx80_is_signaling_nan(floatx80 a)
{
    return fp_unpack_x80(a).cls == FP_SNAN;
}

bool floatx80_is_unsupported(floatx80 a)
{
    return fp_unpack_x80(a).cls == FP_UNSUPPORTED;
}

FloatX80Class floatx80_classify(floatx80 a)
{
    FpUnpacked u = fp_unpack_x80(a);

    switch (u.cls) {
    case FP_ZERO:
        return FLOATX80_CLASS_ZERO;
    case FP_FINITE:
        return u.denormal ? FLOATX80_CLASS_DENORMAL : FLOATX80_CLASS_NORMAL;
    case FP_INF:
        return FLOATX80_CLASS_INFINITY;
    case FP_QNAN:
    case FP_SNAN:
        return FLOATX80_CLASS_NAN;
    default:
        return FLOATX80_CLASS_UNSUPPORTED;
    }
}

bool float32_is_nan(float32 a)
{
    return (a & 0x7fffffff) > 0x7f800000;
}

bool float32_is_signaling_nan(float32 a)
{
    return float32_is_nan(a) && !(a & 0x00400000);
}

bool float64_is_nan(float64 a)
{
    return (a & ~(1ull << 63)) > (0x7ffull << 52);
}

bool float64_is_signaling_nan(float64 a)
{
    return float64_is_nan(a) && !(a & (1ull << 51));
}

/* NaN selection */

floatx80 fp_x87_quiet_nan(floatx80 a, FloatStatus *s)
{
    if (!(a.sig & (1ull << 62))) {
        fp_raise(s, FLOAT_FLAG_INVALID);
    }
    a.sig |= 1ull << 62;
    return a;
}

floatx80 fp_x87_pick_nan(floatx80 a, floatx80 b, FloatStatus *s)
{
    int ca = fp_unpack_x80(a).cls, cb = fp_unpack_x80(b).cls;
    bool a_nan = fp_is_nan_cls(ca), b_nan = fp_is_nan_cls(cb);

    if (ca == FP_SNAN || cb == FP_SNAN) {
        fp_raise(s, FLOAT_FLAG_INVALID);
    }
    a.sig |= 1ull << 62;
    b.sig |= 1ull << 62;
    if (a_nan && b_nan) {
        /* A QNaN beats an SNaN; otherwise the larger significand wins. */
        if (ca != cb) {
            return ca == FP_QNAN ? a : b;
        }
        if (a.sig != b.sig) {
            return a.sig > b.sig ? a : b;
        }
        return floatx80_sign(a) ? b : a;
    }
    return a_nan ? a : b;
}

static floatx80 x87_invalid(FloatStatus *s)
{
    fp_raise(s, FLOAT_FLAG_INVALID);
    return floatx80_default_nan();
}

/* Exact operations on finite nonzero values, rounded through fp_round */

static void add_finite(FloatStatus *s, const FpFormat *f, const FpUnpacked *a,
                       const FpUnpacked *b, bool b_sign, FpRounded *r)
{
    const FpUnpacked *big = a, *small = b;
    bool big_sign = a->sign, small_sign = b_sign;
    uint64_t sh, sl, rh, rl;
    int32_t gap;

    if (a->exp < b->exp || (a->exp == b->exp && a->sig < b->sig)) {
        big = b;
        small = a;
        big_sign = b_sign;
        small_sign = a->sign;
    }
    /* Past 128 bits the smaller operand is only a sticky bit; clamping keeps the count sane. */
    gap = big->exp - small->exp;
    fp_shr128_jam(small->sig, 0, (unsigned)(gap > 200 ? 200 : gap), &sh, &sl);
    if (big_sign == small_sign) {
        int32_t exp = big->exp;

        fp_add128(big->sig, 0, sh, sl, &rh, &rl);
        if (rh < big->sig) {
            /* Carry out of bit 63. */
            fp_shr128_jam(rh, rl, 1, &rh, &rl);
            rh |= 1ull << 63;
            exp++;
        }
        fp_round(s, f, big_sign, exp, rh, rl, r);
    } else {
        int shift;

        fp_sub128(big->sig, 0, sh, sl, &rh, &rl);
        if ((rh | rl) == 0) {
            /* Exact cancellation: +0, except -0 when rounding down (IEEE 754 6.3). */
            *r = fp_zero_result(s->round_mode == FLOAT_ROUND_DOWN);
            return;
        }
        shift = rh ? fp_clz64(rh) : 64 + fp_clz64(rl);
        fp_shl128(rh, rl, (unsigned)shift, &rh, &rl);
        fp_round(s, f, big_sign, big->exp - shift, rh, rl, r);
    }
}

static void mul_finite(FloatStatus *s, const FpFormat *f, bool sign, const FpUnpacked *a,
                       const FpUnpacked *b, FpRounded *r)
{
    uint64_t hi, lo;
    int32_t exp = a->exp + b->exp;

    fp_mul64(a->sig, b->sig, &hi, &lo);
    if (hi >> 63) {
        exp++;
    } else {
        fp_shl128(hi, lo, 1, &hi, &lo);
    }
    fp_round(s, f, sign, exp, hi, lo, r);
}

static void div_finite(FloatStatus *s, const FpFormat *f, bool sign, const FpUnpacked *a,
                       const FpUnpacked *b, FpRounded *r)
{
    uint64_t nh, nl, q, q2, rem, rem2;
    int32_t exp = a->exp - b->exp;

    if (a->sig >= b->sig) {
        nh = a->sig >> 1;
        nl = a->sig << 63;
    } else {
        nh = a->sig;
        nl = 0;
        exp--;
    }
    q = fp_div128by64(nh, nl, b->sig, &rem);
    q2 = fp_div128by64(rem, 0, b->sig, &rem2);
    fp_round(s, f, sign, exp, q, q2 | (rem2 != 0), r);
}

static void sqrt_finite(FloatStatus *s, const FpFormat *f, const FpUnpacked *a, FpRounded *r)
{
    uint64_t mh, ml, root, remh, reml, extra;
    int32_t exp;

    if (a->exp & 1) {
        mh = a->sig;
        ml = 0;
        exp = (a->exp - 1) / 2;
    } else {
        mh = a->sig >> 1;
        ml = a->sig << 63;
        exp = a->exp / 2;
    }
    root = fp_sqrt128(mh, ml, &remh, &reml);
    /*
     * The exact root is root + f with 0 <= f < 1, never exactly root + 1/2; f > 1/2 exactly
     * when the remainder exceeds root.
     */
    if (fp_lt128(0, root, remh, reml)) {
        extra = (1ull << 63) | 1;
    } else {
        extra = (remh | reml) != 0;
    }
    fp_round(s, f, false, exp, root, extra, r);
}

/* x87 arithmetic */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static floatx80 x87_arith(floatx80 a, floatx80 b, int op, FloatStatus *s)
{
    FpUnpacked ua = fp_unpack_x80(a), ub = fp_unpack_x80(b);
    const FpFormat *f = &fp_format_x80_reg[s->precision & 3];
    bool sign = ua.sign ^ ub.sign;
    FpRounded r;

    s->rounded_up = false;
    if (ua.cls == FP_UNSUPPORTED || ub.cls == FP_UNSUPPORTED) {
        return x87_invalid(s);
    }
    if (fp_is_nan_cls(ua.cls) || fp_is_nan_cls(ub.cls)) {
        return fp_x87_pick_nan(a, b, s);
    }
    /* Division of a finite value by zero reports only the zero divide. */
    if ((ua.denormal || ub.denormal) && !(op == OP_DIV && ub.cls == FP_ZERO)) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }

    switch (op) {
    case OP_ADD:
    case OP_SUB: {
        bool b_sign = ub.sign ^ (op == OP_SUB);

        if (ua.cls == FP_INF || ub.cls == FP_INF) {
            if (ua.cls == FP_INF && ub.cls == FP_INF && ua.sign != b_sign) {
                return x87_invalid(s);
            }
            return floatx80_make(ua.cls == FP_INF ? ua.sign : b_sign, 0x7fff, 1ull << 63);
        }
        if (ua.cls == FP_ZERO && ub.cls == FP_ZERO) {
            bool zsign = ua.sign == b_sign ? ua.sign : s->round_mode == FLOAT_ROUND_DOWN;

            return floatx80_make(zsign, 0, 0);
        }
        if (ua.cls == FP_ZERO) {
            fp_round(s, f, b_sign, ub.exp, ub.sig, 0, &r);
        } else if (ub.cls == FP_ZERO) {
            fp_round(s, f, ua.sign, ua.exp, ua.sig, 0, &r);
        } else {
            add_finite(s, f, &ua, &ub, b_sign, &r);
        }
        break;
    }
    case OP_MUL:
        if (ua.cls == FP_INF || ub.cls == FP_INF) {
            if (ua.cls == FP_ZERO || ub.cls == FP_ZERO) {
                return x87_invalid(s);
            }
            return floatx80_make(sign, 0x7fff, 1ull << 63);
        }
        if (ua.cls == FP_ZERO || ub.cls == FP_ZERO) {
            return floatx80_make(sign, 0, 0);
        }
        mul_finite(s, f, sign, &ua, &ub, &r);
        break;
    default:
        if (ua.cls == FP_INF) {
            if (ub.cls == FP_INF) {
                return x87_invalid(s);
            }
            return floatx80_make(sign, 0x7fff, 1ull << 63);
        }
        if (ub.cls == FP_INF) {
            return floatx80_make(sign, 0, 0);
        }
        if (ub.cls == FP_ZERO) {
            if (ua.cls == FP_ZERO) {
                return x87_invalid(s);
            }
            fp_raise(s, FLOAT_FLAG_DIVBYZERO);
            return floatx80_make(sign, 0x7fff, 1ull << 63);
        }
        if (ua.cls == FP_ZERO) {
            return floatx80_make(sign, 0, 0);
        }
        div_finite(s, f, sign, &ua, &ub, &r);
        break;
    }
    return fp_pack_x80(&r);
}

floatx80 floatx80_add(floatx80 a, floatx80 b, FloatStatus *s)
{
    return x87_arith(a, b, OP_ADD, s);
}

floatx80 floatx80_sub(floatx80 a, floatx80 b, FloatStatus *s)
{
    return x87_arith(a, b, OP_SUB, s);
}

floatx80 floatx80_mul(floatx80 a, floatx80 b, FloatStatus *s)
{
    return x87_arith(a, b, OP_MUL, s);
}

floatx80 floatx80_div(floatx80 a, floatx80 b, FloatStatus *s)
{
    return x87_arith(a, b, OP_DIV, s);
}

floatx80 floatx80_sqrt(floatx80 a, FloatStatus *s)
{
    FpUnpacked u = fp_unpack_x80(a);
    FpRounded r;

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
        return u.sign ? x87_invalid(s) : a;
    default:
        break;
    }
    /* The square root of a negative number is invalid, denormal or not. */
    if (u.sign) {
        return x87_invalid(s);
    }
    if (u.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    sqrt_finite(s, &fp_format_x80_reg[s->precision & 3], &u, &r);
    return fp_pack_x80(&r);
}

/* SSE arithmetic, shared by float32 and float64 */

static FpUnpacked sse_unpack(uint64_t a, bool dbl, const FloatStatus *s)
{
    return dbl ? fp_unpack_f64(a, s) : fp_unpack_f32((float32)a, s);
}

static uint64_t sse_pack(const FpRounded *r, bool dbl)
{
    return dbl ? fp_pack_f64(r) : fp_pack_f32(r);
}

static uint64_t sse_quiet_bit(bool dbl)
{
    return dbl ? 1ull << 51 : 1ull << 22;
}

static uint64_t sse_default_nan(bool dbl)
{
    return dbl ? FLOAT64_DEFAULT_NAN : FLOAT32_DEFAULT_NAN;
}

static uint64_t sse_inf(bool sign, bool dbl)
{
    return dbl ? ((uint64_t)sign << 63) | (0x7ffull << 52)
               : ((uint64_t)sign << 31) | (0xffull << 23);
}

static uint64_t sse_zero(bool sign, bool dbl)
{
    return (uint64_t)sign << (dbl ? 63 : 31);
}

static uint64_t sse_invalid(FloatStatus *s, bool dbl)
{
    fp_raise(s, FLOAT_FLAG_INVALID);
    return sse_default_nan(dbl);
}

/* SSE rule: the first source if it is a NaN, else the second; quieted (SDM table 4-7). */
static uint64_t sse_pick_nan(uint64_t a, const FpUnpacked *ua, uint64_t b, const FpUnpacked *ub,
                             bool dbl, FloatStatus *s)
{
    if (ua->cls == FP_SNAN || (ub && ub->cls == FP_SNAN)) {
        fp_raise(s, FLOAT_FLAG_INVALID);
    }
    return (fp_is_nan_cls(ua->cls) ? a : b) | sse_quiet_bit(dbl);
}

static uint64_t sse_arith(uint64_t a, uint64_t b, int op, bool dbl, FloatStatus *s)
{
    FpUnpacked ua = sse_unpack(a, dbl, s), ub = sse_unpack(b, dbl, s);
    const FpFormat *f = dbl ? &fp_format_f64 : &fp_format_f32;
    bool sign = ua.sign ^ ub.sign;
    FpRounded r;

    s->rounded_up = false;
    if (fp_is_nan_cls(ua.cls) || fp_is_nan_cls(ub.cls)) {
        return sse_pick_nan(a, &ua, b, &ub, dbl, s);
    }
    if ((ua.denormal || ub.denormal) && !(op == OP_DIV && ub.cls == FP_ZERO)) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }

    switch (op) {
    case OP_ADD:
    case OP_SUB: {
        bool b_sign = ub.sign ^ (op == OP_SUB);

        if (ua.cls == FP_INF || ub.cls == FP_INF) {
            if (ua.cls == FP_INF && ub.cls == FP_INF && ua.sign != b_sign) {
                return sse_invalid(s, dbl);
            }
            return sse_inf(ua.cls == FP_INF ? ua.sign : b_sign, dbl);
        }
        if (ua.cls == FP_ZERO && ub.cls == FP_ZERO) {
            return sse_zero(ua.sign == b_sign ? ua.sign : s->round_mode == FLOAT_ROUND_DOWN,
                            dbl);
        }
        if (ua.cls == FP_ZERO) {
            fp_round(s, f, b_sign, ub.exp, ub.sig, 0, &r);
        } else if (ub.cls == FP_ZERO) {
            fp_round(s, f, ua.sign, ua.exp, ua.sig, 0, &r);
        } else {
            add_finite(s, f, &ua, &ub, b_sign, &r);
        }
        break;
    }
    case OP_MUL:
        if (ua.cls == FP_INF || ub.cls == FP_INF) {
            if (ua.cls == FP_ZERO || ub.cls == FP_ZERO) {
                return sse_invalid(s, dbl);
            }
            return sse_inf(sign, dbl);
        }
        if (ua.cls == FP_ZERO || ub.cls == FP_ZERO) {
            return sse_zero(sign, dbl);
        }
        mul_finite(s, f, sign, &ua, &ub, &r);
        break;
    default:
        if (ua.cls == FP_INF) {
            return ub.cls == FP_INF ? sse_invalid(s, dbl) : sse_inf(sign, dbl);
        }
        if (ub.cls == FP_INF) {
            return sse_zero(sign, dbl);
        }
        if (ub.cls == FP_ZERO) {
            if (ua.cls == FP_ZERO) {
                return sse_invalid(s, dbl);
            }
            fp_raise(s, FLOAT_FLAG_DIVBYZERO);
            return sse_inf(sign, dbl);
        }
        if (ua.cls == FP_ZERO) {
            return sse_zero(sign, dbl);
        }
        div_finite(s, f, sign, &ua, &ub, &r);
        break;
    }
    return sse_pack(&r, dbl);
}

static uint64_t sse_sqrt(uint64_t a, bool dbl, FloatStatus *s)
{
    FpUnpacked u = sse_unpack(a, dbl, s);
    FpRounded r;

    s->rounded_up = false;
    if (fp_is_nan_cls(u.cls)) {
        return sse_pick_nan(a, &u, 0, NULL, dbl, s);
    }
    if (u.cls == FP_ZERO) {
        return sse_zero(u.sign, dbl);
    }
    if (u.sign) {
        return sse_invalid(s, dbl);
    }
    if (u.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    if (u.cls == FP_INF) {
        return a;
    }
    sqrt_finite(s, dbl ? &fp_format_f64 : &fp_format_f32, &u, &r);
    return sse_pack(&r, dbl);
}

float32 float32_add(float32 a, float32 b, FloatStatus *s)
{
    return (float32)sse_arith(a, b, OP_ADD, false, s);
}

float32 float32_sub(float32 a, float32 b, FloatStatus *s)
{
    return (float32)sse_arith(a, b, OP_SUB, false, s);
}

float32 float32_mul(float32 a, float32 b, FloatStatus *s)
{
    return (float32)sse_arith(a, b, OP_MUL, false, s);
}

float32 float32_div(float32 a, float32 b, FloatStatus *s)
{
    return (float32)sse_arith(a, b, OP_DIV, false, s);
}

float32 float32_sqrt(float32 a, FloatStatus *s)
{
    return (float32)sse_sqrt(a, false, s);
}

float64 float64_add(float64 a, float64 b, FloatStatus *s)
{
    return sse_arith(a, b, OP_ADD, true, s);
}

float64 float64_sub(float64 a, float64 b, FloatStatus *s)
{
    return sse_arith(a, b, OP_SUB, true, s);
}

float64 float64_mul(float64 a, float64 b, FloatStatus *s)
{
    return sse_arith(a, b, OP_MUL, true, s);
}

float64 float64_div(float64 a, float64 b, FloatStatus *s)
{
    return sse_arith(a, b, OP_DIV, true, s);
}

float64 float64_sqrt(float64 a, FloatStatus *s)
{
    return sse_sqrt(a, true, s);
}

/* ROUNDSS/ROUNDSD */

static uint64_t sse_round_to_int(uint64_t a, bool dbl, int mode, bool report_inexact,
                                 FloatStatus *s)
{
    FpUnpacked u = sse_unpack(a, dbl, s);
    uint64_t ipart;
    bool odd, half, rest, inc;
    FpRounded r;

    s->rounded_up = false;
    if (fp_is_nan_cls(u.cls)) {
        return sse_pick_nan(a, &u, 0, NULL, dbl, s);
    }
    if (u.cls == FP_ZERO) {
        /* Also a denormal under DAZ: the zero keeps the sign. */
        return sse_zero(u.sign, dbl);
    }
    if (u.cls == FP_INF || u.exp >= (dbl ? 52 : 23)) {
        return a;
    }
    if (u.exp < 0) {
        ipart = 0;
        odd = false;
        half = u.exp == -1;
        rest = u.exp < -1 || (u.sig << 1) != 0;
    } else {
        int n = 63 - u.exp;

        ipart = u.sig >> n;
        odd = ipart & 1;
        half = (u.sig >> (n - 1)) & 1;
        rest = (u.sig & ((1ull << (n - 1)) - 1)) != 0;
    }
    if (half || rest) {
        if (report_inexact) {
            fp_raise(s, FLOAT_FLAG_INEXACT);
        }
        switch (mode) {
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
        ipart += inc;
    }
    if (ipart == 0) {
        return sse_zero(u.sign, dbl);
    }
    /* An integer below 2^53 is exact in either format: this rounding changes nothing. */
    fp_round(s, dbl ? &fp_format_f64 : &fp_format_f32, u.sign, 63 - fp_clz64(ipart),
             ipart << fp_clz64(ipart), 0, &r);
    return sse_pack(&r, dbl);
}

/* imm bits 1:0 a rounding mode, bit 2 use MXCSR's instead, bit 3 suppress inexact. */
static int round_imm_mode(unsigned imm, const FloatStatus *s)
{
    return (imm & 4) ? s->round_mode : (int)(imm & 3);
}

float32 float32_round_to_int(float32 a, unsigned imm, FloatStatus *s)
{
    return (float32)sse_round_to_int(a, false, round_imm_mode(imm, s), !(imm & 8), s);
}

float64 float64_round_to_int(float64 a, unsigned imm, FloatStatus *s)
{
    return sse_round_to_int(a, true, round_imm_mode(imm, s), !(imm & 8), s);
}
