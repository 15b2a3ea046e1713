/*
 * 128-bit-significand working arithmetic for the transcendentals (see fpu_wide.h).
 *
 * Results are truncated, but an inexact one always has its lowest bit set (a "sticky" bit),
 * so that the final rounding to 64 bits can tell an exact value from one just above it.
 */
#include "cpu/x86/fpu/fpu_wide.h"

static FpWide normalize(bool sign, int32_t exp, uint64_t hi, uint64_t lo)
{
    int shift;

    if ((hi | lo) == 0) {
        return fpw_zero();
    }
    shift = hi ? fp_clz64(hi) : 64 + fp_clz64(lo);
    fp_shl128(hi, lo, (unsigned)shift, &hi, &lo);
    return fpw_make(sign, exp - shift, hi, lo);
}

FpWide fpw_from_unpacked(const FpUnpacked *u)
{
    if (u->cls != FP_FINITE) {
        return fpw_zero();
    }
    return fpw_make(u->sign, u->exp, u->sig, 0);
}

FpWide fpw_from_int(int64_t v)
{
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;

    return normalize(v < 0, 127, 0, mag);
}

int fpw_cmp_abs(const FpWide *a, const FpWide *b)
{
    if (fpw_is_zero(a) || fpw_is_zero(b)) {
        return !fpw_is_zero(a) - !fpw_is_zero(b);
    }
    if (a->exp != b->exp) {
        return a->exp < b->exp ? -1 : 1;
    }
    if (a->hi != b->hi) {
        return a->hi < b->hi ? -1 : 1;
    }
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

FpWide fpw_add(FpWide a, FpWide b)
{
    uint64_t bh, bl, bx, rh, rl, rx;
    int32_t gap;
    int shift;

    if (fpw_is_zero(&b)) {
        return a;
    }
    if (fpw_is_zero(&a)) {
        return b;
    }
    if (fpw_cmp_abs(&a, &b) < 0) {
        FpWide t = a;

        a = b;
        b = t;
    }
    /*
     * Align b in 192 bits: hi:lo plus a third word for the bits shifted out, with anything
     * beyond jammed into its lowest bit.  The 64 bits between that sticky bit and the 128-bit
     * result keep the result's own sticky bit honest, even after a cancellation.
     */
    gap = a.exp - b.exp;
    if (gap >= 192) {
        bh = bl = 0;
        bx = 1;
    } else if (gap >= 64) {
        bh = 0;
        fp_shr128_jam(b.hi, b.lo, (unsigned)(gap - 64), &bl, &bx);
    } else {
        bx = gap ? b.lo << (64 - gap) : 0;
        fp_shr128(b.hi, b.lo, (unsigned)gap, &bh, &bl);
    }
    if (a.sign == b.sign) {
        rx = bx;
        fp_add128(a.hi, a.lo, bh, bl, &rh, &rl);
        if (rh < a.hi || (rh == a.hi && rl < a.lo)) {
            /* Carry out: shift it back in. */
            rx = (rx >> 1) | (rx & 1) | (rl << 63);
            fp_shr128(rh, rl, 1, &rh, &rl);
            rh |= 1ull << 63;
            a.exp++;
        }
    } else {
        /* a - b over 192 bits; |a| >= |b| so no borrow out. */
        uint64_t borrow = bx != 0;

        rx = 0 - bx;
        fp_sub128(a.hi, a.lo, bh, bl, &rh, &rl);
        fp_sub128(rh, rl, 0, borrow, &rh, &rl);
        if ((rh | rl | rx) == 0) {
            return fpw_zero();
        }
        shift = rh ? fp_clz64(rh) : rl ? 64 + fp_clz64(rl) : 128 + fp_clz64(rx);
        if (shift >= 128) {
            rh = rx << (shift - 128);
            rl = 0;
            rx = 0;
        } else if (shift >= 64) {
            rh = (rl << (shift - 64)) | (shift > 64 ? rx >> (128 - shift) : 0);
            rl = rx << (shift - 64);
            rx = 0;
        } else if (shift > 0) {
            rh = (rh << shift) | (rl >> (64 - shift));
            rl = (rl << shift) | (rx >> (64 - shift));
            rx <<= shift;
        }
        a.exp -= shift;
    }
    /* Truncate to 128 bits, remembering that the exact value was a little larger. */
    return fpw_make(a.sign, a.exp, rh, rl | (rx != 0));
}

FpWide fpw_sub(FpWide a, FpWide b)
{
    return fpw_add(a, fpw_neg(b));
}

FpWide fpw_mul(FpWide a, FpWide b)
{
    uint64_t hh_h, hh_l, hl_h, hl_l, lh_h, lh_l, ll_h, ll_l;
    uint64_t w1, w2, w3, c;

    if (fpw_is_zero(&a) || fpw_is_zero(&b)) {
        return fpw_zero();
    }
    fp_mul64(a.hi, b.hi, &hh_h, &hh_l);
    fp_mul64(a.hi, b.lo, &hl_h, &hl_l);
    fp_mul64(a.lo, b.hi, &lh_h, &lh_l);
    fp_mul64(a.lo, b.lo, &ll_h, &ll_l);
    /* The top three words of the 256-bit product; the truncated low word carries nothing. */
    w1 = ll_h;
    w2 = hh_l;
    w3 = hh_h;
    w1 += hl_l;
    c = w1 < hl_l;
    w1 += lh_l;
    c += w1 < lh_l;
    w2 += c;
    c = w2 < c;
    w2 += hl_h;
    c += w2 < hl_h;
    w2 += lh_h;
    c += w2 < lh_h;
    w3 += c;
    /* Truncated bits leave a sticky 1, so an inexact product never looks exact. */
    if (w3 >> 63) {
        return fpw_make(a.sign ^ b.sign, a.exp + b.exp + 1, w3, w2 | ((w1 | ll_l) != 0));
    }
    return fpw_make(a.sign ^ b.sign, a.exp + b.exp, (w3 << 1) | (w2 >> 63),
                     (w2 << 1) | (w1 >> 63) | (((w1 << 1) | ll_l) != 0));
}

FpWide fpw_div(FpWide a, FpWide b)
{
    uint64_t rh = a.hi, rl = a.lo, qh = 0, ql = 0;
    int32_t exp = a.exp - b.exp;

    if (fpw_is_zero(&a)) {
        return fpw_zero();
    }
    /* Restoring division, one quotient bit per step; the remainder stays below 2 * b. */
    if (!fp_lt128(rh, rl, b.hi, b.lo)) {
        fp_sub128(rh, rl, b.hi, b.lo, &rh, &rl);
        ql = 1;
    }
    for (int i = 0; i < 127; i++) {
        bool carry = rh >> 63;

        fp_shl128(rh, rl, 1, &rh, &rl);
        fp_shl128(qh, ql, 1, &qh, &ql);
        if (carry || !fp_lt128(rh, rl, b.hi, b.lo)) {
            fp_sub128(rh, rl, b.hi, b.lo, &rh, &rl);
            ql |= 1;
        }
    }
    /* A nonzero remainder leaves a sticky 1 (the quotient has a spare low bit). */
    {
        FpWide q = normalize(a.sign ^ b.sign, exp, qh, ql);

        q.lo |= (rh | rl) != 0;
        return q;
    }
}

FpWide fpw_div_small(FpWide a, uint32_t d)
{
    uint32_t digits[5] = { (uint32_t)(a.hi >> 32), (uint32_t)a.hi, (uint32_t)(a.lo >> 32),
                           (uint32_t)a.lo, 0 };
    uint64_t rem = 0, q[5];

    if (fpw_is_zero(&a)) {
        return a;
    }
    /* Schoolbook division by one 32-bit digit, with one extra digit for precision. */
    for (int i = 0; i < 5; i++) {
        uint64_t cur = (rem << 32) | digits[i];

        q[i] = cur / d;
        rem = cur % d;
    }
    {
        /* The 160-bit quotient q0..q4; take its top 128 significant bits. */
        uint64_t top = (q[0] << 32) | q[1];
        uint64_t mid = (q[2] << 32) | q[3];
        uint64_t low = q[4] << 32;
        int shift = top ? fp_clz64(top) : 64 + fp_clz64(mid);
        uint64_t hi, lo, spill_h, spill_l;

        fp_shl128(top, mid, (unsigned)shift, &hi, &lo);
        fp_shr128(0, low, (unsigned)(128 - shift), &spill_h, &spill_l);
        (void)spill_h;
        lo |= shift ? spill_l : 0;
        /* Bits below the 128 kept and the remainder make a sticky 1. */
        lo |= rem != 0 || (low << shift) != 0;
        return fpw_make(a.sign, a.exp - shift, hi, lo);
    }
}

floatx80 fpw_to_floatx80(FpWide a, FloatStatus *s)
{
    FpRounded r;

    if (fpw_is_zero(&a)) {
        return floatx80_make(a.sign, 0, 0);
    }
    fp_round(s, &fp_format_x80_exact, a.sign, a.exp, a.hi, a.lo, &r);
    return fp_pack_x80(&r);
}
