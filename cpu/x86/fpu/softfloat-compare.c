/*
 * Comparisons: the x87 FCOM/FUCOM family, SSE COMIS/UCOMIS and the CMPPS predicates, and
 * SSE MIN/MAX, whose NaN and zero rules make them comparisons rather than arithmetic.
 * SDM vol. 2: FCOM, FUCOM, FCOMI, COMISS, CMPPS (table of predicates), MINSS, MAXSS.
 */
#include "cpu/x86/fpu/softfloat-internal.h"

/* Compare two unpacked finite-or-infinite-or-zero values. */
static FloatRelation compare_values(const FpUnpacked *a, const FpUnpacked *b)
{
    int mag;

    if (a->cls == FP_ZERO && b->cls == FP_ZERO) {
        return FLOAT_RELATION_EQUAL;
    }
    if (a->cls == FP_ZERO) {
        return b->sign ? FLOAT_RELATION_GREATER : FLOAT_RELATION_LESS;
    }
    if (b->cls == FP_ZERO || a->sign != b->sign) {
        return a->sign ? FLOAT_RELATION_LESS : FLOAT_RELATION_GREATER;
    }
    /* Same sign, both nonzero: compare magnitudes. */
    if (a->cls == FP_INF || b->cls == FP_INF) {
        mag = (a->cls == FP_INF) - (b->cls == FP_INF);
    } else if (a->exp != b->exp) {
        mag = a->exp < b->exp ? -1 : 1;
    } else {
        mag = a->sig < b->sig ? -1 : a->sig > b->sig;
    }
    if (mag == 0) {
        return FLOAT_RELATION_EQUAL;
    }
    return (mag < 0) != a->sign ? FLOAT_RELATION_LESS : FLOAT_RELATION_GREATER;
}

FloatRelation floatx80_compare(floatx80 a, floatx80 b, bool quiet, FloatStatus *s)
{
    FpUnpacked ua = fp_unpack_x80(a), ub = fp_unpack_x80(b);

    s->rounded_up = false;
    if (ua.cls == FP_UNSUPPORTED || ub.cls == FP_UNSUPPORTED) {
        fp_raise(s, FLOAT_FLAG_INVALID);
        return FLOAT_RELATION_UNORDERED;
    }
    if (fp_is_nan_cls(ua.cls) || fp_is_nan_cls(ub.cls)) {
        if (!quiet || ua.cls == FP_SNAN || ub.cls == FP_SNAN) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        return FLOAT_RELATION_UNORDERED;
    }
    if (ua.denormal || ub.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    return compare_values(&ua, &ub);
}

/* SSE, shared by float32 and float64 */

static FpUnpacked sse_unpack(uint64_t a, bool dbl, const FloatStatus *s)
{
    return dbl ? fp_unpack_f64(a, s) : fp_unpack_f32((float32)a, s);
}

static FloatRelation sse_compare(uint64_t a, uint64_t b, bool dbl, bool quiet, FloatStatus *s)
{
    FpUnpacked ua = sse_unpack(a, dbl, s), ub = sse_unpack(b, dbl, s);

    if (fp_is_nan_cls(ua.cls) || fp_is_nan_cls(ub.cls)) {
        if (!quiet || ua.cls == FP_SNAN || ub.cls == FP_SNAN) {
            fp_raise(s, FLOAT_FLAG_INVALID);
        }
        return FLOAT_RELATION_UNORDERED;
    }
    if (ua.denormal || ub.denormal) {
        fp_raise(s, FLOAT_FLAG_DENORMAL);
    }
    return compare_values(&ua, &ub);
}

FloatRelation float32_compare(float32 a, float32 b, bool quiet, FloatStatus *s)
{
    return sse_compare(a, b, false, quiet, s);
}

FloatRelation float64_compare(float64 a, float64 b, bool quiet, FloatStatus *s)
{
    return sse_compare(a, b, true, quiet, s);
}

/*
 * The 32 predicates of the VEX-encoded CMPPS; SSE's eight are the first eight.  The low four
 * bits choose which relations make the predicate true; bit 4 flips whether a QNaN operand
 * signals invalid.
 */
enum { REL_LT = 1, REL_EQ = 2, REL_GT = 4, REL_UN = 8 };

static const uint8_t predicate_true[16] = {
    REL_EQ,                         /* EQ_OQ */
    REL_LT,                         /* LT_OS */
    REL_LT | REL_EQ,                /* LE_OS */
    REL_UN,                         /* UNORD_Q */
    REL_LT | REL_GT | REL_UN,       /* NEQ_UQ */
    REL_EQ | REL_GT | REL_UN,       /* NLT_US */
    REL_GT | REL_UN,                /* NLE_US */
    REL_LT | REL_EQ | REL_GT,       /* ORD_Q */
    REL_EQ | REL_UN,                /* EQ_UQ */
    REL_LT | REL_UN,                /* NGE_US */
    REL_LT | REL_EQ | REL_UN,       /* NGT_US */
    0,                              /* FALSE_OQ */
    REL_LT | REL_GT,                /* NEQ_OQ */
    REL_GT | REL_EQ,                /* GE_OS */
    REL_GT,                         /* GT_OS */
    REL_LT | REL_EQ | REL_GT | REL_UN, /* TRUE_UQ */
};
/* Predicates 0-15 that signal on a QNaN. */
#define PREDICATE_SIGNALING 0x6666

static bool sse_predicate(uint64_t a, uint64_t b, bool dbl, unsigned imm, FloatStatus *s)
{
    bool signaling = ((PREDICATE_SIGNALING >> (imm & 15)) & 1) ^ ((imm >> 4) & 1);
    FloatRelation rel = sse_compare(a, b, dbl, !signaling, s);
    unsigned bit;

    switch (rel) {
    case FLOAT_RELATION_LESS:
        bit = REL_LT;
        break;
    case FLOAT_RELATION_EQUAL:
        bit = REL_EQ;
        break;
    case FLOAT_RELATION_GREATER:
        bit = REL_GT;
        break;
    default:
        bit = REL_UN;
        break;
    }
    return (predicate_true[imm & 15] & bit) != 0;
}

bool float32_compare_predicate(float32 a, float32 b, unsigned imm, FloatStatus *s)
{
    return sse_predicate(a, b, false, imm & 31, s);
}

bool float64_compare_predicate(float64 a, float64 b, unsigned imm, FloatStatus *s)
{
    return sse_predicate(a, b, true, imm & 31, s);
}

/*
 * MIN/MAX are "a < b ? a : b" and "a > b ? a : b" in hardware: when the comparison is false,
 * including for NaNs and for two zeros, the second operand comes back as it is.  Under DAZ a
 * denormal operand is read (and returned) as a zero of its sign.
 */
static uint64_t sse_minmax(uint64_t a, uint64_t b, bool dbl, bool is_max, FloatStatus *s)
{
    FpUnpacked ua = sse_unpack(a, dbl, s), ub = sse_unpack(b, dbl, s);
    FloatRelation rel = sse_compare(a, b, dbl, false, s);
    unsigned sign_shift = dbl ? 63 : 31;

    if (ua.cls == FP_ZERO) {
        a &= 1ull << sign_shift;
    }
    if (ub.cls == FP_ZERO) {
        b &= 1ull << sign_shift;
    }
    if (rel == (is_max ? FLOAT_RELATION_GREATER : FLOAT_RELATION_LESS)) {
        return a;
    }
    return b;
}

float32 float32_min(float32 a, float32 b, FloatStatus *s)
{
    return (float32)sse_minmax(a, b, false, false, s);
}

float32 float32_max(float32 a, float32 b, FloatStatus *s)
{
    return (float32)sse_minmax(a, b, false, true, s);
}

float64 float64_min(float64 a, float64 b, FloatStatus *s)
{
    return sse_minmax(a, b, true, false, s);
}

float64 float64_max(float64 a, float64 b, FloatStatus *s)
{
    return sse_minmax(a, b, true, true, s);
}
