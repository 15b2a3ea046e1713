/*
 * Lazy condition codes: computing EFLAGS status bits from cc_op and its
 * operands, and the full-EFLAGS accessors.  SDM vol. 1, 3.4.3 and appendix A
 * (EFLAGS cross-reference) for which instruction defines which flag.
 */
#include "cpu/x86/cc.h"
#include "cpu/x86/helper.h"

static const uint64_t size_mask[4] = {0xff, 0xffff, 0xffffffffu, UINT64_MAX};
static const uint64_t sign_bit[4] = {0x80, 0x8000, 0x80000000u, 1ull << 63};

static uint64_t parity_flag(uint64_t v)
{
    return (__builtin_popcount((unsigned)(v & 0xff)) & 1) ? 0 : X86_EFL_PF;
}

/* ZF, SF, PF of a result of the given size. */
static uint64_t szp(uint64_t r, int sz)
{
    uint64_t fl = parity_flag(r);

    if ((r & size_mask[sz]) == 0) {
        fl |= X86_EFL_ZF;
    }
    if (r & sign_bit[sz]) {
        fl |= X86_EFL_SF;
    }
    return fl;
}

uint64_t cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2, int op)
{
    int sz = CC_OP_SIZE(op);
    uint64_t m = size_mask[sz], sb = sign_bit[sz];
    uint64_t a, fl;

    if (op <= 0 || op >= CC_OP_NB) {
        return src & X86_EFL_STATUS;
    }
    if (CC_OP_KIND(op) == CC_OP_MULB) {
        /* src is a "did not fit" indicator of any width: test it unmasked. */
        return szp(dst & m, sz) | (src ? X86_EFL_CF | X86_EFL_OF : 0);
    }
    dst &= m;
    src &= m;
    fl = szp(dst, sz);
    switch (CC_OP_KIND(op)) {
    case CC_OP_MULB:
        if (src) {
            fl |= X86_EFL_CF | X86_EFL_OF;
        }
        return fl;
    case CC_OP_ADDB:
    case CC_OP_ADCB:
        a = (dst - src - (CC_OP_KIND(op) == CC_OP_ADCB ? (src2 & 1) : 0)) & m;
        if (CC_OP_KIND(op) == CC_OP_ADCB && (src2 & 1)) {
            fl |= dst <= a ? X86_EFL_CF : 0;
        } else {
            fl |= dst < a ? X86_EFL_CF : 0;
        }
        fl |= (a ^ src ^ dst) & X86_EFL_AF;
        fl |= ((a ^ dst) & (src ^ dst) & sb) ? X86_EFL_OF : 0;
        return fl;
    case CC_OP_SUBB:
    case CC_OP_SBBB:
        a = (dst + src + (CC_OP_KIND(op) == CC_OP_SBBB ? (src2 & 1) : 0)) & m;
        if (CC_OP_KIND(op) == CC_OP_SBBB && (src2 & 1)) {
            fl |= a <= src ? X86_EFL_CF : 0;
        } else {
            fl |= a < src ? X86_EFL_CF : 0;
        }
        fl |= (a ^ src ^ dst) & X86_EFL_AF;
        fl |= ((a ^ src) & (a ^ dst) & sb) ? X86_EFL_OF : 0;
        return fl;
    case CC_OP_LOGICB:
        return fl;
    case CC_OP_INCB:
        fl |= (src & 1) ? X86_EFL_CF : 0;
        fl |= (dst & 0xf) == 0 ? X86_EFL_AF : 0;
        fl |= dst == sb ? X86_EFL_OF : 0;
        return fl;
    case CC_OP_DECB:
        fl |= (src & 1) ? X86_EFL_CF : 0;
        fl |= (dst & 0xf) == 0xf ? X86_EFL_AF : 0;
        fl |= dst == sb - 1 ? X86_EFL_OF : 0;
        return fl;
    case CC_OP_SHLB:
        fl |= (src & sb) ? X86_EFL_CF : 0;
        fl |= ((dst ^ src) & sb) ? X86_EFL_OF : 0;
        return fl;
    case CC_OP_SARB:
        fl |= (src & 1) ? X86_EFL_CF : 0;
        fl |= ((dst ^ src) & sb) ? X86_EFL_OF : 0;
        return fl;
    case CC_OP_BMILGB:
        fl &= ~(uint64_t)X86_EFL_ZF;
        fl |= dst == 0 ? X86_EFL_ZF : 0;
        fl |= src == 0 ? X86_EFL_CF : 0;
        return fl;
    }
    return fl;
}

/*
 * CF alone, as cc_compute_all() defines it: INC/DEC call this for every dynamic cc_op
 * (tens of millions of times in a Linux boot), so it skips ZF/SF/PF/AF/OF.
 */
uint64_t cc_compute_c(uint64_t dst, uint64_t src, uint64_t src2, int op)
{
    int sz = CC_OP_SIZE(op);
    uint64_t m = size_mask[sz];
    uint64_t a, carry;

    if (op <= 0 || op >= CC_OP_NB) {
        return src & X86_EFL_CF;
    }
    switch (CC_OP_KIND(op)) {
    case CC_OP_MULB:
        return src ? X86_EFL_CF : 0; /* unmasked, as in cc_compute_all */
    case CC_OP_ADDB:
    case CC_OP_ADCB:
        carry = CC_OP_KIND(op) == CC_OP_ADCB ? (src2 & 1) : 0;
        dst &= m;
        a = (dst - (src & m) - carry) & m;
        return (carry ? dst <= a : dst < a) ? X86_EFL_CF : 0;
    case CC_OP_SUBB:
    case CC_OP_SBBB:
        carry = CC_OP_KIND(op) == CC_OP_SBBB ? (src2 & 1) : 0;
        src &= m;
        a = (dst + src + carry) & m;
        return (carry ? a <= src : a < src) ? X86_EFL_CF : 0;
    case CC_OP_INCB:
    case CC_OP_DECB:
    case CC_OP_SARB:
        return src & 1 ? X86_EFL_CF : 0;
    case CC_OP_SHLB:
        return src & sign_bit[sz] ? X86_EFL_CF : 0;
    case CC_OP_BMILGB:
        return (src & m) == 0 ? X86_EFL_CF : 0;
    default: /* LOGIC */
        return 0;
    }
}

uint64_t helper_cc_compute_all(uint64_t dst, uint64_t src, uint64_t src2, uint32_t op)
{
    return cc_compute_all(dst, src, src2, (int32_t)op);
}

uint64_t helper_cc_compute_c(uint64_t dst, uint64_t src, uint64_t src2, uint32_t op)
{
    return cc_compute_c(dst, src, src2, (int32_t)op);
}

uint64_t x86_get_eflags(CPUX86State *env)
{
    uint64_t fl = env->eflags & ~(uint64_t)(X86_EFL_STATUS | X86_EFL_DF);

    fl |= cc_compute_all(env->cc_dst, env->cc_src, env->cc_src2, env->cc_op);
    if (env->df < 0) {
        fl |= X86_EFL_DF;
    }
    return fl | 2;
}

void x86_put_eflags(CPUX86State *env, uint64_t eflags)
{
    env->cc_src = eflags & X86_EFL_STATUS;
    env->cc_op = CC_OP_EFLAGS;
    env->df = (eflags & X86_EFL_DF) ? -1 : 1;
    env->eflags = (eflags & ~(uint64_t)(X86_EFL_STATUS | X86_EFL_DF)) | 2;
}

void helper_write_eflags(CPUX86State *env, uint64_t val, uint64_t mask)
{
    uint64_t old = x86_get_eflags(env);

    x86_put_eflags(env, (old & ~mask) | (val & mask));
}

uint64_t helper_read_eflags(CPUX86State *env)
{
    /* The image PUSHF stores: VM and RF read as zero. */
    return x86_get_eflags(env) & ~(uint64_t)(X86_EFL_VM | X86_EFL_RF);
}
