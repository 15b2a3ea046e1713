/*
 * An independent reference for the IR op semantics, written from the descriptions in
 * accel/tcg/ir.h (bit by bit where the implementation uses builtins), used to check both
 * ir_eval() (the constant folder) and the interpreter.
 */
#ifndef TESTS_UNIT_TEST_IR_REF_H
#define TESTS_UNIT_TEST_IR_REF_H

#include "accel/tcg/ir.h"

static inline uint64_t ref_mask(IRType w)
{
    return w == IR_I32 ? 0xffffffffull : ~0ull;
}

static inline int64_t ref_sext(IRType w, uint64_t v)
{
    return w == IR_I32 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

static inline bool ref_cond(IRCond c, IRType w, uint64_t a, uint64_t b)
{
    uint64_t m = ref_mask(w);
    a &= m;
    b &= m;
    switch (c) {
    case IR_COND_EQ: return a == b;
    case IR_COND_NE: return a != b;
    case IR_COND_LT: return ref_sext(w, a) < ref_sext(w, b);
    case IR_COND_GE: return ref_sext(w, a) >= ref_sext(w, b);
    case IR_COND_LE: return ref_sext(w, a) <= ref_sext(w, b);
    case IR_COND_GT: return ref_sext(w, a) > ref_sext(w, b);
    case IR_COND_LTU: return a < b;
    case IR_COND_GEU: return a >= b;
    case IR_COND_LEU: return a <= b;
    case IR_COND_GTU: return a > b;
    case IR_COND_TSTEQ: return !(a & b);
    case IR_COND_TSTNE: return (a & b) != 0;
    case IR_COND_ALWAYS: return true;
    default: return false;
    }
}

/* Bit-by-bit versions of the bit ops, deliberately unlike the implementation. */
static inline uint64_t ref_rotl(IRType w, uint64_t a, unsigned n)
{
    unsigned bits = w == IR_I32 ? 32 : 64;
    uint64_t r = 0;
    n %= bits;
    for (unsigned i = 0; i < bits; i++) {
        if ((a >> i) & 1) {
            r |= 1ull << ((i + n) % bits);
        }
    }
    return r;
}

static inline uint64_t ref_clz(IRType w, uint64_t a, uint64_t z)
{
    unsigned bits = w == IR_I32 ? 32 : 64;
    for (unsigned i = 0; i < bits; i++) {
        if ((a >> (bits - 1 - i)) & 1) {
            return i;
        }
    }
    return z;
}

static inline uint64_t ref_ctz(IRType w, uint64_t a, uint64_t z)
{
    unsigned bits = w == IR_I32 ? 32 : 64;
    for (unsigned i = 0; i < bits; i++) {
        if ((a >> i) & 1) {
            return i;
        }
    }
    return z;
}

static inline uint64_t ref_bswap(uint64_t a, unsigned bytes)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < bytes; i++) {
        r |= ((a >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i));
    }
    return r;
}

/* Reference for single-output ops; in[] are already of width w. */
static inline uint64_t ref_op(IROpcode opc, IRType w, const uint64_t *in, unsigned pos,
                              unsigned len, IRCond c)
{
    uint64_t m = ref_mask(w), a = in[0] & m, b = in[1] & m, r;
    unsigned bits = w == IR_I32 ? 32 : 64, sh = (unsigned)(b % bits);
    int64_t sa = ref_sext(w, a), sb = ref_sext(w, b);
    int64_t min = w == IR_I32 ? INT32_MIN : INT64_MIN;

    switch (opc) {
    case IR_OP_MOV: r = a; break;
    case IR_OP_ADD: r = a + b; break;
    case IR_OP_SUB: r = a - b; break;
    case IR_OP_MUL: r = a * b; break;
    case IR_OP_NEG: r = 0 - a; break;
    case IR_OP_AND: r = a & b; break;
    case IR_OP_OR: r = a | b; break;
    case IR_OP_XOR: r = a ^ b; break;
    case IR_OP_NOT: r = a ^ m; break;
    case IR_OP_ANDC: r = a & (b ^ m); break;
    case IR_OP_SHL: r = sh ? a << sh : a; break;
    case IR_OP_SHR: r = sh ? a >> sh : a; break;
    case IR_OP_SAR: r = sh ? (uint64_t)(sa >> sh) : a; break;
    case IR_OP_ROTL: r = ref_rotl(w, a, sh); break;
    case IR_OP_ROTR: r = ref_rotl(w, a, (bits - sh) % bits); break;
    case IR_OP_DIV: r = sb == 0 ? m : (sa == min && sb == -1) ? a : (uint64_t)(sa / sb); break;
    case IR_OP_REM: r = sb == 0 ? a : (sa == min && sb == -1) ? 0 : (uint64_t)(sa % sb); break;
    case IR_OP_DIVU: r = b == 0 ? m : a / b; break;
    case IR_OP_REMU: r = b == 0 ? a : a % b; break;
    case IR_OP_EXT8S: r = (uint64_t)(int64_t)(int8_t)(a & 0xff); break;
    case IR_OP_EXT8U: r = a & 0xff; break;
    case IR_OP_EXT16S: r = (uint64_t)(int64_t)(int16_t)(a & 0xffff); break;
    case IR_OP_EXT16U: r = a & 0xffff; break;
    case IR_OP_EXT32S: r = (uint64_t)(int64_t)(int32_t)(a & 0xffffffff); break;
    case IR_OP_EXT32U: r = a & 0xffffffff; break;
    case IR_OP_EXTRL: return in[0] & 0xffffffff;
    case IR_OP_EXTRH: return in[0] >> 32;
    case IR_OP_EXTU: return in[0] & 0xffffffff;
    case IR_OP_EXTS: return (uint64_t)(int64_t)(int32_t)(in[0] & 0xffffffff);
    case IR_OP_DEPOSIT: {
        r = a;
        for (unsigned i = 0; i < len; i++) {
            r &= ~(1ull << (pos + i));
            r |= ((b >> i) & 1) << (pos + i);
        }
        break;
    }
    case IR_OP_EXTRACT:
    case IR_OP_SEXTRACT: {
        r = 0;
        for (unsigned i = 0; i < len; i++) {
            r |= ((a >> (pos + i)) & 1) << i;
        }
        if (opc == IR_OP_SEXTRACT && ((r >> (len - 1)) & 1)) {
            for (unsigned i = len; i < 64; i++) {
                r |= 1ull << i;
            }
        }
        break;
    }
    case IR_OP_BSWAP16: r = ref_bswap(a, 2); break;
    case IR_OP_BSWAP32: r = ref_bswap(a, 4); break;
    case IR_OP_BSWAP64: r = ref_bswap(a, 8); break;
    case IR_OP_CLZ: r = ref_clz(w, a, b); break;
    case IR_OP_CTZ: r = ref_ctz(w, a, b); break;
    case IR_OP_CTPOP: {
        r = 0;
        for (unsigned i = 0; i < bits; i++) {
            r += (a >> i) & 1;
        }
        break;
    }
    case IR_OP_SETCOND: r = ref_cond(c, w, a, b); break;
    case IR_OP_NEGSETCOND: r = ref_cond(c, w, a, b) ? m : 0; break;
    case IR_OP_MOVCOND: r = ref_cond(c, w, a, b) ? in[2] : in[3]; break;
    default: abort();
    }
    return r & m;
}

static inline void ref_op2(IROpcode opc, IRType w, const uint64_t *in, uint64_t *lo,
                           uint64_t *hi)
{
    if (w == IR_I32) {
        /* Everything fits in 64 bits. */
        uint64_t x0 = in[0] & 0xffffffff, x1 = in[1] & 0xffffffff;
        uint64_t x2 = in[2] & 0xffffffff, x3 = in[3] & 0xffffffff, r;
        switch (opc) {
        case IR_OP_MULU2: r = x0 * x1; break;
        case IR_OP_MULS2: r = (uint64_t)(ref_sext(w, x0) * ref_sext(w, x1)); break;
        case IR_OP_ADD2: r = (x0 | x1 << 32) + (x2 | x3 << 32); break;
        default: r = (x0 | x1 << 32) - (x2 | x3 << 32); break;
        }
        *lo = r & 0xffffffff;
        *hi = r >> 32;
        return;
    }
    if (opc == IR_OP_MULU2 || opc == IR_OP_MULS2) {
        /* Schoolbook multiplication on 32-bit halves. */
        uint64_t a = in[0], b = in[1];
        uint64_t al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
        uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
        uint64_t mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
        *lo = (ll & 0xffffffff) | (mid << 32);
        *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
        if (opc == IR_OP_MULS2) {
            /* signed = unsigned - (a < 0 ? b << 64 : 0) - (b < 0 ? a << 64 : 0) */
            if ((int64_t)a < 0) {
                *hi -= b;
            }
            if ((int64_t)b < 0) {
                *hi -= a;
            }
        }
        return;
    }
    if (opc == IR_OP_ADD2) {
        *lo = in[0] + in[2];
        *hi = in[1] + in[3] + (*lo < in[0]);
    } else {
        *lo = in[0] - in[2];
        *hi = in[1] - in[3] - (in[0] < in[2]);
    }
}

#endif
