/*
 * Working arithmetic for the x87 transcendentals: binary floating point with a 128-bit
 * significand and a 32-bit exponent.  Every operation truncates to 128 bits, so each adds a
 * relative error below 2^-127; a function evaluated with a few dozen of them is still good
 * to about 2^-120 before the single final rounding to the 64-bit floatx80 significand.
 */
#ifndef CPU_X86_FPU_FPU_WIDE_H
#define CPU_X86_FPU_FPU_WIDE_H

#include "cpu/x86/fpu/softfloat-internal.h"

typedef struct FpWide {
    bool sign;
    int32_t exp;    /* unbiased exponent of bit 127 of hi:lo */
    uint64_t hi;    /* bit 63 set unless the value is zero */
    uint64_t lo;
} FpWide;

static inline bool fpw_is_zero(const FpWide *a)
{
    return (a->hi | a->lo) == 0;
}

static inline FpWide fpw_zero(void)
{
    FpWide w = { false, 0, 0, 0 };
    return w;
}

static inline FpWide fpw_make(bool sign, int32_t exp, uint64_t hi, uint64_t lo)
{
    FpWide w = { sign, exp, hi, lo };
    return w;
}

static inline FpWide fpw_neg(FpWide a)
{
    a.sign = !a.sign;
    return a;
}

static inline FpWide fpw_abs(FpWide a)
{
    a.sign = false;
    return a;
}

/* a * 2^n */
static inline FpWide fpw_scale(FpWide a, int32_t n)
{
    if (!fpw_is_zero(&a)) {
        a.exp += n;
    }
    return a;
}

FpWide fpw_from_unpacked(const FpUnpacked *u);
FpWide fpw_from_int(int64_t v);
FpWide fpw_add(FpWide a, FpWide b);
FpWide fpw_sub(FpWide a, FpWide b);
FpWide fpw_mul(FpWide a, FpWide b);
FpWide fpw_div(FpWide a, FpWide b);
/* a / d for a small positive integer d (below 2^32). */
FpWide fpw_div_small(FpWide a, uint32_t d);
/* Negative, zero or positive as |a| is below, equal to or above |b|. */
int fpw_cmp_abs(const FpWide *a, const FpWide *b);
/* Round to floatx80 (64-bit precision, full exponent range), raising the usual flags. */
floatx80 fpw_to_floatx80(FpWide a, FloatStatus *s);

#endif
