/*
 * Internals shared by the softfloat files: 128-bit integer helpers, the unpacked form every
 * operation works on, and the one rounding routine all formats go through.
 *
 * The helpers use only 64-bit integer arithmetic so that 32-bit hosts work too.
 */
#ifndef CPU_X86_FPU_SOFTFLOAT_INTERNAL_H
#define CPU_X86_FPU_SOFTFLOAT_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "cpu/x86/fpu/softfloat.h"

/* 128-bit helpers */

static inline int fp_clz64(uint64_t x)
{
    return x ? __builtin_clzll(x) : 64;
}

/*
 * hi:lo = a * b.  Compilers for 64-bit hosts offer a 128-bit type that makes this one
 * instruction; the portable version (which -DSOFTFLOAT_NO_INT128 selects for testing) gives
 * the same bits.
 */
#if defined(__SIZEOF_INT128__) && !defined(SOFTFLOAT_NO_INT128)
static inline void fp_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    unsigned __int128 p = (unsigned __int128)a * b;

    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
}
#else
static inline void fp_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    /* Three terms below 2^32 each: the middle sum cannot overflow. */
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;

    *lo = (mid << 32) | (uint32_t)p00;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
#endif

static inline void fp_add128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl, uint64_t *rh,
                             uint64_t *rl)
{
    uint64_t l = al + bl;

    *rh = ah + bh + (l < al);
    *rl = l;
}

static inline void fp_sub128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl, uint64_t *rh,
                             uint64_t *rl)
{
    *rh = ah - bh - (al < bl);
    *rl = al - bl;
}

static inline bool fp_lt128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    return ah < bh || (ah == bh && al < bl);
}

static inline bool fp_le128(uint64_t ah, uint64_t al, uint64_t bh, uint64_t bl)
{
    return ah < bh || (ah == bh && al <= bl);
}

/* Shift left by n (0..127). */
static inline void fp_shl128(uint64_t h, uint64_t l, unsigned n, uint64_t *rh, uint64_t *rl)
{
    if (n == 0) {
        *rh = h;
        *rl = l;
    } else if (n < 64) {
        *rh = (h << n) | (l >> (64 - n));
        *rl = l << n;
    } else {
        *rh = l << (n - 64);
        *rl = 0;
    }
}

/* Shift right by n (any count). */
static inline void fp_shr128(uint64_t h, uint64_t l, unsigned n, uint64_t *rh, uint64_t *rl)
{
    if (n == 0) {
        *rh = h;
        *rl = l;
    } else if (n < 64) {
        *rl = (l >> n) | (h << (64 - n));
        *rh = h >> n;
    } else if (n < 128) {
        *rl = h >> (n - 64);
        *rh = 0;
    } else {
        *rl = 0;
        *rh = 0;
    }
}

/*
 * Shift right by n (any count), ORing every bit shifted out into bit 0 ("jamming"), so that a
 * later rounding still knows the value was not exact.
 */
static inline void fp_shr128_jam(uint64_t h, uint64_t l, unsigned n, uint64_t *rh, uint64_t *rl)
{
    bool lost;

    if (n == 0) {
        *rh = h;
        *rl = l;
        return;
    }
    if (n < 64) {
        lost = (l << (64 - n)) != 0;
    } else if (n < 128) {
        lost = l != 0 || (n > 64 && (h << (128 - n)) != 0);
    } else {
        lost = (h | l) != 0;
    }
    fp_shr128(h, l, n, rh, rl);
    *rl |= lost;
}

/*
 * Divide hi:lo by d where d has bit 63 set and hi < d, so the quotient fits 64 bits.  Long
 * division in base 2^32 (Knuth, TAOCP vol. 2, 4.3.1, algorithm D); the normalized divisor
 * makes each estimated digit at most two too large.
 */
uint64_t fp_div128by64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem);

/* floor(sqrt(hi:lo)) for hi:lo >= 2^126, and the remainder hi:lo - root^2 (below 2^65). */
uint64_t fp_sqrt128(uint64_t hi, uint64_t lo, uint64_t *rem_hi, uint64_t *rem_lo);

/* The unpacked form */

enum {
    FP_ZERO,
    FP_FINITE,      /* nonzero finite, sig normalized */
    FP_INF,
    FP_QNAN,
    FP_SNAN,
    FP_UNSUPPORTED, /* x87 unnormal, pseudo-NaN, pseudo-infinity */
};

typedef struct FpUnpacked {
    uint8_t cls;
    bool sign;
    bool denormal;  /* the encoding was a denormal (or pseudo-denormal) */
    int32_t exp;    /* unbiased exponent of bit 63 of sig */
    uint64_t sig;   /* bit 63 set for FP_FINITE */
} FpUnpacked;

/* Output format of a rounding: precision in bits and the normal exponent range. */
typedef struct FpFormat {
    int prec;
    int32_t emin;
    int32_t emax;
    bool x87_reg;       /* floatx80 register result: unmasked O/U wrap the exponent */
    bool ftz_allowed;   /* FTZ applies (SSE results) */
} FpFormat;

extern const FpFormat fp_format_f32;
extern const FpFormat fp_format_f64;
extern const FpFormat fp_format_x80_reg[4];    /* indexed by precision control */
extern const FpFormat fp_format_x80_exact;     /* 64-bit, no exponent wrapping */

/*
 * A rounded result: sig left-aligned in 64 bits (bit 63 clear for denormals, which then have
 * exp == emin), or zero, or infinity.
 */
typedef struct FpRounded {
    bool sign;
    bool inf;
    int32_t exp;
    uint64_t sig;
} FpRounded;

/*
 * Round the exact value (-1)^sign * sig.extra * 2^(exp - 63), sig normalized and the 128-bit
 * sig:extra holding every bit (or a sticky 1 for the lost ones), to the format.  Sets flags and
 * rounded_up.
 */
void fp_round(FloatStatus *s, const FpFormat *f, bool sign, int32_t exp, uint64_t sig,
              uint64_t extra, FpRounded *r);

floatx80 fp_pack_x80(const FpRounded *r);
float64 fp_pack_f64(const FpRounded *r);
float32 fp_pack_f32(const FpRounded *r);

static inline FpRounded fp_zero_result(bool sign)
{
    FpRounded r = { .sign = sign };
    return r;
}

/* Unpack; DE is the caller's to raise (from .denormal) because the priorities vary. */
FpUnpacked fp_unpack_x80(floatx80 a);
/* SSE unpacking honours DAZ: a denormal becomes a zero and reports no denormal. */
FpUnpacked fp_unpack_f64(float64 a, const FloatStatus *s);
FpUnpacked fp_unpack_f32(float32 a, const FloatStatus *s);

static inline bool fp_is_nan_cls(int cls)
{
    return cls == FP_QNAN || cls == FP_SNAN;
}

static inline void fp_raise(FloatStatus *s, unsigned flags)
{
    s->flags |= flags;
}

/* The x87 rule for two operands of which at least one is a NaN (SDM vol. 1, table 4-7). */
floatx80 fp_x87_pick_nan(floatx80 a, floatx80 b, FloatStatus *s);
/* A NaN operand of a one-operand x87 operation, quieted; invalid if signaling. */
floatx80 fp_x87_quiet_nan(floatx80 a, FloatStatus *s);

#endif
