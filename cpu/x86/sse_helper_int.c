/*
 * Integer SIMD helpers: MMX, SSE2 (128-bit forms), SSSE3, and the data-movement helpers of
 * SSE/SSE3 (SDM vol. 1 chapters 9 and 11-12; vol. 2 per-instruction pages).
 *
 * One byte-array core per operation serves both widths (n = 8 for MMX, 16 for XMM), so the
 * MMX and SSE forms cannot drift apart.
 */
#include "cpu/x86/sse_helper.h"
#include "cpu/x86/helper.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "XMMReg lanes assume a little-endian host"
#endif

/* ---- lane access on byte arrays ---- */

static inline uint64_t lane_u(const uint8_t *p, unsigned w, unsigned i)
{
    uint64_t v = 0;
    memcpy(&v, p + i * w, w);
    return v;
}

static inline int64_t lane_s(const uint8_t *p, unsigned w, unsigned i)
{
    uint64_t v = lane_u(p, w, i);
    unsigned sh = 64 - 8 * w;
    return (int64_t)(v << sh) >> sh;
}

static inline void lane_set(uint8_t *p, unsigned w, unsigned i, uint64_t v)
{
    memcpy(p + i * w, &v, w);
}

static inline int64_t sat_s(int64_t v, unsigned w)
{
    int64_t max = (int64_t)((1ull << (8 * w - 1)) - 1), min = -max - 1;
    return v > max ? max : v < min ? min : v;
}

static inline uint64_t sat_u(int64_t v, unsigned w)
{
    int64_t max = (int64_t)((1ull << (8 * w)) - 1);
    return v > max ? (uint64_t)max : v < 0 ? 0 : (uint64_t)v;
}

/* Element-wise d[i] = f(d[i], s[i]) for width w. */
#define LANEWISE(name, w, expr)                                                   \
    static void op_##name(uint8_t *d, const uint8_t *s, unsigned n)                 \
    {                                                                               \
        for (unsigned i = 0; i < n / (w); i++) {                                    \
            uint64_t ua = lane_u(d, w, i), ub = lane_u(s, w, i);                    \
            int64_t sa = lane_s(d, w, i), sb = lane_s(s, w, i);                     \
            (void)ua; (void)ub; (void)sa; (void)sb;                                 \
            lane_set(d, w, i, (uint64_t)(expr));                                    \
        }                                                                           \
    }

LANEWISE(paddb, 1, ua + ub)
LANEWISE(paddw, 2, ua + ub)
LANEWISE(paddd, 4, ua + ub)
LANEWISE(paddq, 8, ua + ub)
LANEWISE(psubb, 1, ua - ub)
LANEWISE(psubw, 2, ua - ub)
LANEWISE(psubd, 4, ua - ub)
LANEWISE(psubq, 8, ua - ub)
LANEWISE(paddsb, 1, sat_s(sa + sb, 1))
LANEWISE(paddsw, 2, sat_s(sa + sb, 2))
LANEWISE(paddusb, 1, sat_u((int64_t)(ua + ub), 1))
LANEWISE(paddusw, 2, sat_u((int64_t)(ua + ub), 2))
LANEWISE(psubsb, 1, sat_s(sa - sb, 1))
LANEWISE(psubsw, 2, sat_s(sa - sb, 2))
LANEWISE(psubusb, 1, sat_u((int64_t)ua - (int64_t)ub, 1))
LANEWISE(psubusw, 2, sat_u((int64_t)ua - (int64_t)ub, 2))
LANEWISE(pmullw, 2, (uint64_t)(sa * sb))
LANEWISE(pmulhw, 2, (uint64_t)((sa * sb) >> 16))
LANEWISE(pmulhuw, 2, (ua * ub) >> 16)
LANEWISE(pmuludq, 8, (ua & 0xffffffffu) * (ub & 0xffffffffu))
LANEWISE(pavgb, 1, (ua + ub + 1) >> 1)
LANEWISE(pavgw, 2, (ua + ub + 1) >> 1)
LANEWISE(pminub, 1, ua < ub ? ua : ub)
LANEWISE(pmaxub, 1, ua > ub ? ua : ub)
LANEWISE(pminsw, 2, sa < sb ? sa : sb)
LANEWISE(pmaxsw, 2, sa > sb ? sa : sb)
LANEWISE(pcmpeqb, 1, ua == ub ? ~0ull : 0)
LANEWISE(pcmpeqw, 2, ua == ub ? ~0ull : 0)
LANEWISE(pcmpeqd, 4, ua == ub ? ~0ull : 0)
LANEWISE(pcmpgtb, 1, sa > sb ? ~0ull : 0)
LANEWISE(pcmpgtw, 2, sa > sb ? ~0ull : 0)
LANEWISE(pcmpgtd, 4, sa > sb ? ~0ull : 0)
LANEWISE(pand, 8, ua & ub)
LANEWISE(pandn, 8, ~ua & ub)
LANEWISE(por, 8, ua | ub)
LANEWISE(pxor, 8, ua ^ ub)
LANEWISE(pabsb, 1, sb < 0 ? -sb : sb)
LANEWISE(pabsw, 2, sb < 0 ? -sb : sb)
LANEWISE(pabsd, 4, sb < 0 ? -sb : sb)
LANEWISE(psignb, 1, sb < 0 ? -sa : sb == 0 ? 0 : sa)
LANEWISE(psignw, 2, sb < 0 ? -sa : sb == 0 ? 0 : sa)
LANEWISE(psignd, 4, sb < 0 ? -sa : sb == 0 ? 0 : sa)
LANEWISE(pmulhrsw, 2, (uint64_t)((((sa * sb) >> 14) + 1) >> 1))

static void op_pmaddwd(uint8_t *d, const uint8_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 4; i++) {
        int64_t r = lane_s(d, 2, 2 * i) * lane_s(s, 2, 2 * i) +
                    lane_s(d, 2, 2 * i + 1) * lane_s(s, 2, 2 * i + 1);
        lane_set(d, 4, i, (uint64_t)r);
    }
}

static void op_pmaddubsw(uint8_t *d, const uint8_t *s, unsigned n)
{
    for (unsigned i = 0; i < n / 2; i++) {
        int64_t r = (int64_t)lane_u(d, 1, 2 * i) * lane_s(s, 1, 2 * i) +
                    (int64_t)lane_u(d, 1, 2 * i + 1) * lane_s(s, 1, 2 * i + 1);
        lane_set(d, 2, i, (uint64_t)sat_s(r, 2));
    }
}

static void op_psadbw(uint8_t *d, const uint8_t *s, unsigned n)
{
    for (unsigned q = 0; q < n / 8; q++) {
        uint64_t sum = 0;
        for (unsigned i = 0; i < 8; i++) {
            int a = d[8 * q + i], b = s[8 * q + i];
            sum += (uint64_t)(a > b ? a - b : b - a);
        }
        lane_set(d, 8, q, sum);
    }
}

/* Packs: the low half of the result from d, the high half from s. */
static void pack(uint8_t *d, const uint8_t *s, unsigned n, unsigned w, bool to_unsigned)
{
    uint8_t r[16];
    unsigned per = n / w;

    for (unsigned i = 0; i < 2 * per; i++) {
        int64_t v = i < per ? lane_s(d, w, i) : lane_s(s, w, i - per);
        lane_set(r, w / 2, i, to_unsigned ? sat_u(v, w / 2) : (uint64_t)sat_s(v, w / 2));
    }
    memcpy(d, r, n);
}

static void op_packsswb(uint8_t *d, const uint8_t *s, unsigned n)
{
    pack(d, s, n, 2, false);
}

static void op_packssdw(uint8_t *d, const uint8_t *s, unsigned n)
{
    pack(d, s, n, 4, false);
}

static void op_packuswb(uint8_t *d, const uint8_t *s, unsigned n)
{
    pack(d, s, n, 2, true);
}

/* Interleave the low (high = false) or high halves, element width w. */
static void unpack(uint8_t *d, const uint8_t *s, unsigned n, unsigned w, bool high)
{
    uint8_t r[16];
    unsigned half = n / w / 2, base = high ? half : 0;

    for (unsigned i = 0; i < half; i++) {
        lane_set(r, w, 2 * i, lane_u(d, w, base + i));
        lane_set(r, w, 2 * i + 1, lane_u(s, w, base + i));
    }
    memcpy(d, r, n);
}

#define UNPACK(name, w, high)                                           \
    static void op_##name(uint8_t *d, const uint8_t *s, unsigned n)     \
    {                                                                   \
        unpack(d, s, n, w, high);                                       \
    }
UNPACK(punpcklbw, 1, false)
UNPACK(punpcklwd, 2, false)
UNPACK(punpckldq, 4, false)
UNPACK(punpcklqdq, 8, false)
UNPACK(punpckhbw, 1, true)
UNPACK(punpckhwd, 2, true)
UNPACK(punpckhdq, 4, true)
UNPACK(punpckhqdq, 8, true)

/* Shifts: the count is the whole low quadword of s; too large a count clears (or fills). */
static void shift(uint8_t *d, const uint8_t *s, unsigned n, unsigned w, int kind)
{
    uint64_t count = lane_u(s, 8, 0);
    unsigned bits = 8 * w;

    for (unsigned i = 0; i < n / w; i++) {
        uint64_t v;
        if (kind == 0) {
            v = count >= bits ? 0 : lane_u(d, w, i) << count;
        } else if (kind == 1) {
            v = count >= bits ? 0 : lane_u(d, w, i) >> count;
        } else {
            v = (uint64_t)(lane_s(d, w, i) >> (count >= bits ? bits - 1 : count));
        }
        lane_set(d, w, i, v);
    }
}

#define SHIFT(name, w, kind)                                            \
    static void op_##name(uint8_t *d, const uint8_t *s, unsigned n)     \
    {                                                                   \
        shift(d, s, n, w, kind);                                        \
    }
SHIFT(psllw, 2, 0)
SHIFT(pslld, 4, 0)
SHIFT(psllq, 8, 0)
SHIFT(psrlw, 2, 1)
SHIFT(psrld, 4, 1)
SHIFT(psrlq, 8, 1)
SHIFT(psraw, 2, 2)
SHIFT(psrad, 4, 2)

static void op_pshufb(uint8_t *d, const uint8_t *s, unsigned n)
{
    uint8_t r[16];

    for (unsigned i = 0; i < n; i++) {
        r[i] = (s[i] & 0x80) ? 0 : d[s[i] & (n - 1)];
    }
    memcpy(d, r, n);
}

/* Horizontal add/sub: the low half of the result from pairs of d, the high from s. */
static void horiz(uint8_t *d, const uint8_t *s, unsigned n, unsigned w, bool sub, bool sat)
{
    uint8_t r[16];
    unsigned per = n / w, half = per / 2;

    for (unsigned i = 0; i < per; i++) {
        const uint8_t *src = i < half ? d : s;
        unsigned j = 2 * (i % half);
        int64_t a = lane_s(src, w, j), b = lane_s(src, w, j + 1);
        int64_t v = sub ? a - b : a + b;
        lane_set(r, w, i, (uint64_t)(sat ? sat_s(v, w) : v));
    }
    memcpy(d, r, n);
}

#define HORIZ(name, w, sub, sat)                                        \
    static void op_##name(uint8_t *d, const uint8_t *s, unsigned n)     \
    {                                                                   \
        horiz(d, s, n, w, sub, sat);                                    \
    }
HORIZ(phaddw, 2, false, false)
HORIZ(phaddd, 4, false, false)
HORIZ(phaddsw, 2, false, true)
HORIZ(phsubw, 2, true, false)
HORIZ(phsubd, 4, true, false)
HORIZ(phsubsw, 2, true, true)

/* ---- the helpers ---- */

/* An MMX write makes the register's exponent all ones (SDM vol. 1, 9.5.1). */
static void mmx_written(CPUX86State *env, uint64_t *d)
{
    uintptr_t p = (uintptr_t)d, base = (uintptr_t)env->fpregs;

    if (p >= base && p < base + sizeof(env->fpregs)) {
        ((FPReg *)d)->d.se = 0xffff;
    }
}

#define SSE_DEF_INT_(name)                                                                 \
    void helper_##name##_mmx(CPUX86State *env, uint64_t *d, const uint64_t *s)            \
    {                                                                                      \
        uint8_t a[8], b[8];                                                                \
        memcpy(a, d, 8);                                                                   \
        memcpy(b, s, 8);                                                                   \
        op_##name(a, b, 8);                                                                \
        memcpy(d, a, 8);                                                                   \
        mmx_written(env, d);                                                               \
    }                                                                                      \
    void helper_##name##_xmm(CPUX86State *env, XMMReg *d, const XMMReg *s)                \
    {                                                                                      \
        uint8_t a[16], b[16];                                                              \
        (void)env;                                                                         \
        memcpy(a, d, 16);                                                                  \
        memcpy(b, s, 16);                                                                  \
        op_##name(a, b, 16);                                                               \
        memcpy(d, a, 16);                                                                  \
    }
SSE_INT_BINOPS(SSE_DEF_INT_)
#undef SSE_DEF_INT_

SseIntOp sse_int_op_lookup(const char *name)
{
    static const struct {
        const char *name;
        SseIntOp fn;
    } ops[] = {
#define SSE_ENTRY_(name) { #name, op_##name },
        SSE_INT_BINOPS(SSE_ENTRY_)
#undef SSE_ENTRY_
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (!strcmp(ops[i].name, name)) {
            return ops[i].fn;
        }
    }
    return NULL;
}

static void palignr(uint8_t *d, const uint8_t *s, unsigned n, unsigned imm)
{
    uint8_t cat[32];

    /* The concatenation d:s shifted right by imm bytes; the low n bytes remain. */
    memcpy(cat, s, n);
    memcpy(cat + n, d, n);
    for (unsigned i = 0; i < n; i++) {
        d[i] = i + imm < 2 * n ? cat[i + imm] : 0;
    }
}

void helper_palignr_mmx(CPUX86State *env, uint64_t *d, const uint64_t *s, uint32_t imm)
{
    uint8_t a[8], b[8];

    memcpy(a, d, 8);
    memcpy(b, s, 8);
    palignr(a, b, 8, imm & 0xff);
    memcpy(d, a, 8);
    mmx_written(env, d);
}

void helper_palignr_xmm(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    XMMReg a = *d, b = *s;

    (void)env;
    palignr(a.b, b.b, 16, imm & 0xff);
    *d = a;
}

void helper_pshufw(CPUX86State *env, uint64_t *d, const uint64_t *s, uint32_t imm)
{
    uint16_t in[4], out[4];

    memcpy(in, s, 8);
    for (unsigned i = 0; i < 4; i++) {
        out[i] = in[(imm >> (2 * i)) & 3];
    }
    memcpy(d, out, 8);
    mmx_written(env, d);
}

void helper_pshufd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    XMMReg in = *s;

    (void)env;
    for (unsigned i = 0; i < 4; i++) {
        d->l[i] = in.l[(imm >> (2 * i)) & 3];
    }
}

void helper_pshuflw(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    XMMReg in = *s;

    (void)env;
    for (unsigned i = 0; i < 4; i++) {
        d->w[i] = in.w[(imm >> (2 * i)) & 3];
    }
    d->q[1] = in.q[1];
}

void helper_pshufhw(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    XMMReg in = *s;

    (void)env;
    d->q[0] = in.q[0];
    for (unsigned i = 0; i < 4; i++) {
        d->w[4 + i] = in.w[4 + ((imm >> (2 * i)) & 3)];
    }
}

void helper_pslldq(CPUX86State *env, XMMReg *d, uint32_t count)
{
    XMMReg in = *d;

    (void)env;
    for (unsigned i = 0; i < 16; i++) {
        d->b[i] = (count <= 15 && i >= count) ? in.b[i - count] : 0;
    }
}

void helper_psrldq(CPUX86State *env, XMMReg *d, uint32_t count)
{
    XMMReg in = *d;

    (void)env;
    for (unsigned i = 0; i < 16; i++) {
        d->b[i] = (count <= 15 && i + count < 16) ? in.b[i + count] : 0;
    }
}

void helper_pinsrw_mmx(CPUX86State *env, uint64_t *d, uint32_t val, uint32_t imm)
{
    unsigned sh = 16 * (imm & 3);

    *d = (*d & ~(0xffffull << sh)) | ((uint64_t)(val & 0xffff) << sh);
    mmx_written(env, d);
}

void helper_pinsrw_xmm(CPUX86State *env, XMMReg *d, uint32_t val, uint32_t imm)
{
    (void)env;
    d->w[imm & 7] = (uint16_t)val;
}

uint32_t helper_pextrw_mmx(CPUX86State *env, const uint64_t *s, uint32_t imm)
{
    (void)env;
    return (uint32_t)(*s >> (16 * (imm & 3))) & 0xffff;
}

uint32_t helper_pextrw_xmm(CPUX86State *env, const XMMReg *s, uint32_t imm)
{
    (void)env;
    return s->w[imm & 7];
}

uint32_t helper_pmovmskb_mmx(CPUX86State *env, const uint64_t *s)
{
    uint32_t r = 0;

    (void)env;
    for (unsigned i = 0; i < 8; i++) {
        r |= (uint32_t)((*s >> (8 * i + 7)) & 1) << i;
    }
    return r;
}

uint32_t helper_pmovmskb_xmm(CPUX86State *env, const XMMReg *s)
{
    uint32_t r = 0;

    (void)env;
    for (unsigned i = 0; i < 16; i++) {
        r |= (uint32_t)(s->b[i] >> 7) << i;
    }
    return r;
}

uint32_t helper_movmskps(CPUX86State *env, const XMMReg *s)
{
    uint32_t r = 0;

    (void)env;
    for (unsigned i = 0; i < 4; i++) {
        r |= (s->l[i] >> 31) << i;
    }
    return r;
}

uint32_t helper_movmskpd(CPUX86State *env, const XMMReg *s)
{
    (void)env;
    return (uint32_t)((s->q[0] >> 63) | (s->q[1] >> 63) << 1);
}

static void maskmov(CPUX86State *env, const uint8_t *data, const uint8_t *mask, unsigned n,
                    uint64_t addr)
{
    /* Probe every selected byte first so a fault leaves memory untouched. */
    for (unsigned i = 0; i < n; i++) {
        if (mask[i] & 0x80) {
            uint64_t old = cpu_ld_data(env, addr + i, 1);
            cpu_st_data(env, addr + i, 1, old);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (mask[i] & 0x80) {
            cpu_st_data(env, addr + i, 1, data[i]);
        }
    }
}

void helper_maskmovq(CPUX86State *env, const uint64_t *d, const uint64_t *mask, uint64_t addr)
{
    uint8_t a[8], m[8];

    memcpy(a, d, 8);
    memcpy(m, mask, 8);
    maskmov(env, a, m, 8, addr);
}

void helper_maskmovdqu(CPUX86State *env, const XMMReg *d, const XMMReg *mask, uint64_t addr)
{
    maskmov(env, d->b, mask->b, 16, addr);
}

void helper_movddup(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    uint64_t lo = s->q[0];

    (void)env;
    d->q[0] = d->q[1] = lo;
}

void helper_movshdup(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    XMMReg in = *s;

    (void)env;
    d->l[0] = d->l[1] = in.l[1];
    d->l[2] = d->l[3] = in.l[3];
}

void helper_movsldup(CPUX86State *env, XMMReg *d, const XMMReg *s)
{
    XMMReg in = *s;

    (void)env;
    d->l[0] = d->l[1] = in.l[0];
    d->l[2] = d->l[3] = in.l[2];
}

void helper_shufps(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    XMMReg a = *d, b = *s;

    (void)env;
    d->l[0] = a.l[imm & 3];
    d->l[1] = a.l[(imm >> 2) & 3];
    d->l[2] = b.l[(imm >> 4) & 3];
    d->l[3] = b.l[(imm >> 6) & 3];
}

void helper_shufpd(CPUX86State *env, XMMReg *d, const XMMReg *s, uint32_t imm)
{
    XMMReg a = *d, b = *s;

    (void)env;
    d->q[0] = a.q[imm & 1];
    d->q[1] = b.q[(imm >> 1) & 1];
}
