/*
 * Integer slow paths of the x86 translator.  SDM vol. 2: DIV, IDIV, DAA,
 * DAS, AAA, AAS, AAM, AAD, RCL/RCR, SHLD/SHRD, CMPXCHG8B/16B.
 */
#include "cpu/x86/int_helper.h"
#include "cpu/x86/helper.h"

static const uint64_t mask_of[4] = {0xff, 0xffff, 0xffffffffu, UINT64_MAX};

static void set_reg(CPUX86State *env, int reg, unsigned ot, uint64_t v)
{
    switch (ot) {
    case 0:
        env->regs[reg] = (env->regs[reg] & ~0xffull) | (v & 0xff);
        break;
    case 1:
        env->regs[reg] = (env->regs[reg] & ~0xffffull) | (v & 0xffff);
        break;
    case 2:
        env->regs[reg] = v & 0xffffffffu;
        break;
    default:
        env->regs[reg] = v;
        break;
    }
}

void helper_div(CPUX86State *env, uint64_t v, uint32_t ot)
{
    ot &= 3;
    v &= mask_of[ot];
    if (v == 0) {
        x86_raise_exception(env, EXCP_DE);
    }
    if (ot == 0) {
        uint32_t n = env->regs[R_EAX] & 0xffff;
        uint32_t q = n / (uint32_t)v, r = n % (uint32_t)v;
        if (q > 0xff) {
            x86_raise_exception(env, EXCP_DE);
        }
        set_reg(env, R_EAX, 1, (r << 8) | q);
    } else if (ot == 3) {
        unsigned __int128 n = ((unsigned __int128)env->regs[R_EDX] << 64) | env->regs[R_EAX];
        unsigned __int128 q = n / v;
        if (q >> 64) {
            x86_raise_exception(env, EXCP_DE);
        }
        env->regs[R_EAX] = (uint64_t)q;
        env->regs[R_EDX] = (uint64_t)(n % v);
    } else {
        unsigned bits = 8u << ot;
        uint64_t n = ((env->regs[R_EDX] & mask_of[ot]) << bits) | (env->regs[R_EAX] & mask_of[ot]);
        uint64_t q = n / v;
        if (q > mask_of[ot]) {
            x86_raise_exception(env, EXCP_DE);
        }
        set_reg(env, R_EAX, ot, q);
        set_reg(env, R_EDX, ot, n % v);
    }
}

static int64_t sext(uint64_t v, unsigned ot)
{
    unsigned sh = 64 - (8u << ot);

    return (int64_t)(v << sh) >> sh;
}

void helper_idiv(CPUX86State *env, uint64_t v, uint32_t ot)
{
    int64_t dv;

    ot &= 3;
    dv = sext(v, ot);
    if (dv == 0) {
        x86_raise_exception(env, EXCP_DE);
    }
    if (ot == 3) {
        __int128 n = (__int128)(((unsigned __int128)env->regs[R_EDX] << 64) | env->regs[R_EAX]);
        __int128 q, r;
        if (n == -(((__int128)1) << 126) * 2 && dv == -1) {
            x86_raise_exception(env, EXCP_DE);
        }
        q = n / dv;
        r = n % dv;
        if (q > INT64_MAX || q < INT64_MIN) {
            x86_raise_exception(env, EXCP_DE);
        }
        env->regs[R_EAX] = (uint64_t)(int64_t)q;
        env->regs[R_EDX] = (uint64_t)(int64_t)r;
    } else {
        unsigned bits = 8u << ot;
        int64_t n, q, r, lim = (int64_t)1 << (bits - 1);
        if (ot == 0) {
            n = (int16_t)(env->regs[R_EAX] & 0xffff);
        } else {
            n = (int64_t)(((env->regs[R_EDX] & mask_of[ot]) << bits) |
                          (env->regs[R_EAX] & mask_of[ot]));
            n = (int64_t)((uint64_t)n << (64 - 2 * bits)) >> (64 - 2 * bits);
        }
        q = n / dv;
        r = n % dv;
        if (q >= lim || q < -lim) {
            x86_raise_exception(env, EXCP_DE);
        }
        if (ot == 0) {
            set_reg(env, R_EAX, 1, (((uint64_t)r & 0xff) << 8) | ((uint64_t)q & 0xff));
        } else {
            set_reg(env, R_EAX, ot, (uint64_t)q);
            set_reg(env, R_EDX, ot, (uint64_t)r);
        }
    }
}

static void set_zf(CPUX86State *env, bool z)
{
    uint64_t fl = x86_get_eflags(env) & ~(uint64_t)X86_EFL_ZF;

    x86_put_eflags(env, fl | (z ? X86_EFL_ZF : 0));
}

void helper_cmpxchg8b(CPUX86State *env, uint64_t laddr)
{
    uint64_t old = cpu_ld_data(env, laddr, 8);
    uint64_t cmp = (env->regs[R_EAX] & 0xffffffffu) | (env->regs[R_EDX] << 32);
    bool eq = old == cmp;

    /* Locked form: memory is written in both cases (the old value when unequal). */
    cpu_st_data(env, laddr, 8, eq ? ((env->regs[R_EBX] & 0xffffffffu) |
                                     (env->regs[R_ECX] << 32)) : old);
    if (!eq) {
        env->regs[R_EAX] = old & 0xffffffffu;
        env->regs[R_EDX] = old >> 32;
    }
    set_zf(env, eq);
}

void helper_cmpxchg16b(CPUX86State *env, uint64_t laddr)
{
    uint64_t lo, hi;
    bool eq;

    if (laddr & 15) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    lo = cpu_ld_data(env, laddr, 8);
    hi = cpu_ld_data(env, laddr + 8, 8);
    eq = lo == env->regs[R_EAX] && hi == env->regs[R_EDX];
    if (eq) {
        cpu_st_data(env, laddr, 8, env->regs[R_EBX]);
        cpu_st_data(env, laddr + 8, 8, env->regs[R_ECX]);
    } else {
        cpu_st_data(env, laddr, 8, lo);
        cpu_st_data(env, laddr + 8, 8, hi);
        env->regs[R_EAX] = lo;
        env->regs[R_EDX] = hi;
    }
    set_zf(env, eq);
}

/* ---- BCD ---- */

static uint64_t szp8(uint8_t v)
{
    uint64_t fl = (__builtin_popcount(v) & 1) ? 0 : X86_EFL_PF;

    if (!v) {
        fl |= X86_EFL_ZF;
    }
    if (v & 0x80) {
        fl |= X86_EFL_SF;
    }
    return fl;
}

static void put_status(CPUX86State *env, uint64_t status)
{
    uint64_t fl = x86_get_eflags(env) & ~(uint64_t)X86_EFL_STATUS;

    x86_put_eflags(env, fl | (status & X86_EFL_STATUS));
}

void helper_daa(CPUX86State *env)
{
    uint64_t fl = x86_get_eflags(env);
    uint8_t al = env->regs[R_EAX] & 0xff, old_al = al;
    bool cf = fl & X86_EFL_CF, af = false, ncf = false;

    if ((al & 0xf) > 9 || (fl & X86_EFL_AF)) {
        al += 6;
        ncf = cf || old_al > 0xf9;
        af = true;
    }
    if (old_al > 0x99 || cf) {
        al += 0x60;
        ncf = true;
    }
    set_reg(env, R_EAX, 0, al);
    put_status(env, szp8(al) | (af ? X86_EFL_AF : 0) | (ncf ? X86_EFL_CF : 0));
}

void helper_das(CPUX86State *env)
{
    uint64_t fl = x86_get_eflags(env);
    uint8_t al = env->regs[R_EAX] & 0xff, old_al = al;
    bool cf = fl & X86_EFL_CF, af = false, ncf = false;

    if ((al & 0xf) > 9 || (fl & X86_EFL_AF)) {
        ncf = cf || al < 6;
        al -= 6;
        af = true;
    }
    if (old_al > 0x99 || cf) {
        al -= 0x60;
        ncf = true;
    }
    set_reg(env, R_EAX, 0, al);
    put_status(env, szp8(al) | (af ? X86_EFL_AF : 0) | (ncf ? X86_EFL_CF : 0));
}

static void aaa_aas(CPUX86State *env, bool sub)
{
    uint64_t fl = x86_get_eflags(env);
    uint16_t ax = env->regs[R_EAX] & 0xffff;
    uint64_t st;
    uint8_t al = ax & 0xff;

    if ((al & 0xf) > 9 || (fl & X86_EFL_AF)) {
        if (sub) {
            ax = (uint16_t)(ax - 6);
            ax = (uint16_t)(ax - 0x100);
        } else {
            ax = (uint16_t)(ax + 0x106);
        }
        st = X86_EFL_AF | X86_EFL_CF;
    } else {
        st = 0;
    }
    ax &= 0xff0f;
    set_reg(env, R_EAX, 1, ax);
    /* SF/ZF/PF undefined: report them from AL as later CPUs do. */
    put_status(env, st | szp8(ax & 0xff));
}

void helper_aaa(CPUX86State *env)
{
    aaa_aas(env, false);
}

void helper_aas(CPUX86State *env)
{
    aaa_aas(env, true);
}

void helper_aam(CPUX86State *env, uint32_t base)
{
    uint8_t al = env->regs[R_EAX] & 0xff;

    base &= 0xff;
    if (base == 0) {
        x86_raise_exception(env, EXCP_DE);
    }
    set_reg(env, R_EAX, 1, ((uint32_t)(al / base) << 8) | (al % base));
    put_status(env, szp8(al % base));
}

void helper_aad(CPUX86State *env, uint32_t base)
{
    uint8_t al = env->regs[R_EAX] & 0xff, ah = (env->regs[R_EAX] >> 8) & 0xff;
    uint8_t r = (uint8_t)(al + ah * (base & 0xff));

    set_reg(env, R_EAX, 1, r);
    put_status(env, szp8(r));
}

/* ---- rotate through carry ---- */

static unsigned rc_count(uint64_t count, unsigned ot)
{
    unsigned c = (unsigned)count & (ot == 3 ? 0x3f : 0x1f);

    if (ot == 0) {
        c %= 9;
    } else if (ot == 1) {
        c %= 17;
    }
    return c;
}

/* Rotate the (bits+1)-bit value CF:v left by c; returns result, *cf the new carry. */
static uint64_t rcl_core(uint64_t v, unsigned c, bool cf, unsigned ot, bool *ncf)
{
    unsigned bits = 8u << ot;

    v &= mask_of[ot];
    for (unsigned i = 0; i < c; i++) {
        bool out = (v >> (bits - 1)) & 1;
        v = ((v << 1) | cf) & mask_of[ot];
        cf = out;
    }
    *ncf = cf;
    return v;
}

static uint64_t rcr_core(uint64_t v, unsigned c, bool cf, unsigned ot, bool *ncf)
{
    unsigned bits = 8u << ot;

    v &= mask_of[ot];
    for (unsigned i = 0; i < c; i++) {
        bool out = v & 1;
        v = (v >> 1) | ((uint64_t)cf << (bits - 1));
        cf = out;
    }
    *ncf = cf;
    return v;
}

uint64_t helper_rcl(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot)
{
    bool ncf;

    ot &= 3;
    return rcl_core(v, rc_count(count, ot), eflags & X86_EFL_CF, ot, &ncf);
}

uint64_t helper_rcr(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot)
{
    bool ncf;

    ot &= 3;
    return rcr_core(v, rc_count(count, ot), eflags & X86_EFL_CF, ot, &ncf);
}

uint64_t helper_rcl_flags(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot)
{
    bool ncf;
    unsigned bits, c;
    uint64_t r;

    ot &= 3;
    bits = 8u << ot;
    c = rc_count(count, ot);
    if ((count & (ot == 3 ? 0x3f : 0x1f)) == 0) {
        return eflags & X86_EFL_STATUS;
    }
    r = rcl_core(v, c, eflags & X86_EFL_CF, ot, &ncf);
    eflags &= X86_EFL_STATUS & ~(uint64_t)(X86_EFL_CF | X86_EFL_OF);
    eflags |= ncf ? X86_EFL_CF : 0;
    /* OF (defined for count 1) = MSB(result) XOR CF. */
    if (((r >> (bits - 1)) & 1) ^ ncf) {
        eflags |= X86_EFL_OF;
    }
    return eflags;
}

uint64_t helper_rcr_flags(uint64_t v, uint64_t count, uint64_t eflags, uint32_t ot)
{
    bool ncf;
    unsigned bits, c;
    uint64_t r;

    ot &= 3;
    bits = 8u << ot;
    c = rc_count(count, ot);
    if ((count & (ot == 3 ? 0x3f : 0x1f)) == 0) {
        return eflags & X86_EFL_STATUS;
    }
    r = rcr_core(v, c, eflags & X86_EFL_CF, ot, &ncf);
    eflags &= X86_EFL_STATUS & ~(uint64_t)(X86_EFL_CF | X86_EFL_OF);
    eflags |= ncf ? X86_EFL_CF : 0;
    /* OF (defined for count 1) = XOR of the two most significant result bits. */
    if (((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1) {
        eflags |= X86_EFL_OF;
    }
    return eflags;
}

/* ---- double shifts ---- */

uint64_t helper_shld(uint64_t a, uint64_t b, uint64_t count, uint32_t ot)
{
    unsigned bits = 8u << (ot & 3);
    unsigned c = (unsigned)count & 63;
    uint64_t r = a & mask_of[ot & 3];

    b &= mask_of[ot & 3];
    /* Bits come in from b one at a time (16-bit counts above 16 wrap through b, then a). */
    for (unsigned i = 0; i < c; i++) {
        uint64_t in = (b >> (bits - 1)) & 1;
        b = ((b << 1) | ((r >> (bits - 1)) & 1)) & mask_of[ot & 3];
        r = ((r << 1) | in) & mask_of[ot & 3];
    }
    return r;
}

uint64_t helper_shrd(uint64_t a, uint64_t b, uint64_t count, uint32_t ot)
{
    unsigned bits = 8u << (ot & 3);
    unsigned c = (unsigned)count & 63;
    uint64_t r = a & mask_of[ot & 3];

    b &= mask_of[ot & 3];
    for (unsigned i = 0; i < c; i++) {
        uint64_t in = b & 1;
        b = (b >> 1) | ((r & 1) << (bits - 1));
        r = (r >> 1) | (in << (bits - 1));
    }
    return r;
}
