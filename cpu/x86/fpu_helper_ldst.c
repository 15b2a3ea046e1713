/*
 * x87 helpers that touch memory: FLD/FST and friends with memory operands, the arithmetic
 * with memory operands, the control instructions, FSTENV/FLDENV/FSAVE/FRSTOR (SDM vol. 1,
 * 8.1.10 and figures 8-9 .. 8-12) and FXSAVE/FXRSTOR (SDM vol. 2, FXSAVE, table 3-53).
 *
 * Each memory helper reads all of its operand before it changes state, and computes all of
 * a store before it commits state, so a #PF/#GP leaves the instruction restartable.
 */
#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/fpu_internal.h"
#include "cpu/x86/helper.h"
#include "core/log.h"

#include <string.h>

void fpu_ld_bytes(CPUX86State *env, uint64_t addr, uint8_t *buf, unsigned n)
{
    unsigned i = 0;

    for (; i + 8 <= n; i += 8) {
        st64(buf + i, cpu_ld_data(env, addr + i, 8));
    }
    for (; i + 2 <= n; i += 2) {
        st16(buf + i, (uint16_t)cpu_ld_data(env, addr + i, 2));
    }
    if (i < n) {
        buf[i] = (uint8_t)cpu_ld_data(env, addr + i, 1);
    }
}

void fpu_st_bytes(CPUX86State *env, uint64_t addr, const uint8_t *buf, unsigned n)
{
    unsigned i = 0;

    /*
     * Probe the last byte first: a store that crosses into an unmapped page then faults
     * before anything is written.
     */
    if (n > 1) {
        uint64_t last = cpu_ld_data(env, addr + n - 1, 1);
        cpu_st_data(env, addr + n - 1, 1, last);
    }
    for (; i + 8 <= n; i += 8) {
        cpu_st_data(env, addr + i, 8, ld64(buf + i));
    }
    for (; i + 2 <= n; i += 2) {
        cpu_st_data(env, addr + i, 2, ld16(buf + i));
    }
    if (i < n) {
        cpu_st_data(env, addr + i, 1, buf[i]);
    }
}

unsigned x87_mem_size(unsigned kind)
{
    static const uint8_t sizes[] = {
        [X87_M32FP] = 4, [X87_M64FP] = 8, [X87_M80FP] = 10, [X87_M16INT] = 2,
        [X87_M32INT] = 4, [X87_M64INT] = 8, [X87_M80BCD] = 10, [X87_M16INT_TRUNC] = 2,
        [X87_M32INT_TRUNC] = 4, [X87_M64INT_TRUNC] = 8,
    };
    return kind < sizeof(sizes) ? sizes[kind] : 0;
}

/* ---- loads ---- */

void x87_fld_bytes(CPUX86State *env, unsigned kind, const uint8_t *buf)
{
    FloatStatus *s;
    floatx80 v;
    bool masked;

    if (!x87_push_check(env, &masked)) {
        if (masked) {
            x87_push(env, floatx80_default_nan());
        }
        return;
    }
    s = x87_begin(env);
    switch (kind) {
    case X87_M32FP:
        v = float32_to_floatx80(ld32(buf), s);
        break;
    case X87_M64FP:
        v = float64_to_floatx80(ld64(buf), s);
        break;
    case X87_M80FP:
        v.sig = ld64(buf);
        v.se = ld16(buf + 8);
        break;
    case X87_M16INT:
        v = int16_to_floatx80((int16_t)ld16(buf));
        break;
    case X87_M32INT:
        v = int32_to_floatx80((int32_t)ld32(buf));
        break;
    case X87_M64INT:
        v = int64_to_floatx80((int64_t)ld64(buf));
        break;
    case X87_M80BCD:
        v = bcd_to_floatx80(buf);
        break;
    default:
        return;
    }
    /*
     * Only an unmasked invalid (a signalling NaN) stops the load: a denormal single or
     * double is loaded (exactly, normalized) even with DE unmasked, which is then pending.
     * The host CPU behaves so; the conversion is exact, so nothing else can be raised.
     */
    x87_finish(env);
    if (!(s->flags & ~env->fpuc & FLOAT_FLAG_INVALID)) {
        x87_push(env, v);
    }
}

void helper_fld_mem(CPUX86State *env, uint32_t kind, uint64_t addr)
{
    uint8_t buf[10];
    unsigned n = x87_mem_size(kind);

    if (!n) {
        return;
    }
    fpu_ld_bytes(env, addr, buf, n);
    x87_fld_bytes(env, kind, buf);
}

/* ---- stores ---- */

X87StoreCommit x87_fst_prepare(const CPUX86State *env, unsigned kind, bool pop, uint8_t *buf)
{
    X87StoreCommit c = { .pop = pop, .store = true };
    FloatStatus s = env->fp_status;
    floatx80 v = env->fpregs[env->fpstt & 7].d;
    bool empty = env->fptags[env->fpstt & 7];
    unsigned unmasked;

    s.flags = 0;
    s.rounded_up = false;
    if (empty) {
        /* Stack underflow: masked, the indefinite of the destination format is stored. */
        c.flags = FPUS_IE | FPUS_SF;
        if (!(env->fpuc & FPUS_IE)) {
            c.store = c.pop = false;
            return c;
        }
        v = floatx80_default_nan();
    }
    switch (kind) {
    case X87_M32FP:
        st32(buf, floatx80_to_float32(v, &s));
        break;
    case X87_M64FP:
        st64(buf, floatx80_to_float64(v, &s));
        break;
    case X87_M80FP:
        st64(buf, v.sig);
        st16(buf + 8, v.se);
        break;
    case X87_M16INT:
        st16(buf, (uint16_t)floatx80_to_int16(v, &s));
        break;
    case X87_M32INT:
        st32(buf, (uint32_t)floatx80_to_int32(v, &s));
        break;
    case X87_M64INT:
        st64(buf, (uint64_t)floatx80_to_int64(v, &s));
        break;
    case X87_M16INT_TRUNC:
        st16(buf, (uint16_t)floatx80_to_int16_round_to_zero(v, &s));
        break;
    case X87_M32INT_TRUNC:
        st32(buf, (uint32_t)floatx80_to_int32_round_to_zero(v, &s));
        break;
    case X87_M64INT_TRUNC:
        st64(buf, (uint64_t)floatx80_to_int64_round_to_zero(v, &s));
        break;
    case X87_M80BCD:
        floatx80_to_bcd(v, buf, &s);
        break;
    default:
        c.store = c.pop = false;
        return c;
    }
    if (empty) {
        /* The conversion of the indefinite raised IE again; nothing more to report. */
        return c;
    }
    c.flags = s.flags;
    c.c1 = (s.flags & FLOAT_FLAG_INEXACT) && s.rounded_up;
    unmasked = s.flags & ~env->fpuc & 0x1f;
    if (unmasked) {
        /* Unmasked IE/DE/OE/UE: memory and the stack are left as they were. */
        c.store = c.pop = false;
    }
    return c;
}

void x87_fst_commit(CPUX86State *env, const X87StoreCommit *c)
{
    env->fpus &= ~FPUS_C1;
    if (c->c1) {
        env->fpus |= FPUS_C1;
    }
    x87_raise(env, c->flags);
    if (c->pop) {
        x87_pop(env);
    }
}

void helper_fst_mem(CPUX86State *env, uint32_t kind, uint32_t pop, uint64_t addr)
{
    uint8_t buf[10];
    unsigned n = x87_mem_size(kind);
    X87StoreCommit c;

    if (!n) {
        return;
    }
    c = x87_fst_prepare(env, kind, pop, buf);
    if (c.store) {
        fpu_st_bytes(env, addr, buf, n);
    }
    x87_fst_commit(env, &c);
}

/* ---- arithmetic and compares with a memory operand ---- */

void x87_farith_bytes(CPUX86State *env, unsigned op, unsigned kind, const uint8_t *buf)
{
    bool compare = op == X87_COM || op == X87_COMP;
    FloatStatus *s;
    floatx80 b, r;

    if (op > X87_DIVR) {
        return;
    }
    if (X87_EMPTY(env, 0)) {
        if (compare) {
            /* "Unordered" is reported for an empty ST(0) whether or not IE is masked. */
            env->fpus |= FPUS_C0 | FPUS_C2 | FPUS_C3;
        }
        if (x87_stack_fault(env, false)) {
            if (compare) {
                if (op == X87_COMP) {
                    x87_pop(env);
                }
            } else {
                *X87_ST(env, 0) = floatx80_default_nan();
                env->fptags[env->fpstt & 7] = 0;
            }
        }
        return;
    }
    s = x87_begin(env);
    switch (kind) {
    case X87_M32FP:
        b = float32_to_floatx80_operand(ld32(buf), *X87_ST(env, 0), s);
        break;
    case X87_M64FP:
        b = float64_to_floatx80_operand(ld64(buf), *X87_ST(env, 0), s);
        break;
    case X87_M16INT:
        b = int16_to_floatx80((int16_t)ld16(buf));
        break;
    case X87_M32INT:
        b = int32_to_floatx80((int32_t)ld32(buf));
        break;
    default:
        return;
    }
    if (op == X87_DIVR && floatx80_exp(*X87_ST(env, 0)) == 0 && X87_ST(env, 0)->sig == 0) {
        /*
         * A finite value divided by zero reports only the zero divide (as for register
         * operands): the dividend here is the memory operand, already widened.
         */
        s->flags &= ~FLOAT_FLAG_DENORMAL;
    }
    if (compare) {
        x87_compare_st0(env, b, false, op == X87_COMP, s->flags);
        return;
    }
    r = x87_arith(op, *X87_ST(env, 0), b, s);
    if (x87_finish(env)) {
        *X87_ST(env, 0) = r;
    }
}

void helper_farith_mem(CPUX86State *env, uint32_t op, uint32_t kind, uint64_t addr)
{
    uint8_t buf[8];
    unsigned n = x87_mem_size(kind);

    if (!n || n > 8) {
        return;
    }
    fpu_ld_bytes(env, addr, buf, n);
    x87_farith_bytes(env, op, kind, buf);
}

/* ---- control ---- */

void helper_fninit(CPUX86State *env)
{
    x87_reset(env);
}

void helper_fnclex(CPUX86State *env)
{
    env->fpus &= ~(0x3f | FPUS_SF | FPUS_ES | FPUS_B);
}

void helper_fldcw(CPUX86State *env, uint32_t fcw)
{
    /* Bit 6 reads as 1 and bits 13-15 as 0 on every processor since the 387. */
    env->fpuc = (uint16_t)((fcw & 0x1f3f) | 0x40);
    x87_update_fp_status(env);
    x87_raise(env, 0); /* unmasking a pending exception sets ES */
}

uint32_t helper_fnstcw(CPUX86State *env)
{
    return env->fpuc;
}

uint32_t helper_fnstsw(CPUX86State *env)
{
    return x87_get_fsw(env);
}

/* ---- FSTENV / FLDENV / FSAVE / FRSTOR ---- */

unsigned x87_env_size(bool data32)
{
    return data32 ? 28 : 14;
}

void x87_stenv_buf(const CPUX86State *env, uint8_t *buf, bool data32, bool pmode)
{
    uint16_t fcw = env->fpuc, fsw = x87_get_fsw(env), ftw = x87_get_ftw(env);
    uint32_t fip = (uint32_t)env->fpip, fdp = (uint32_t)env->fpdp;

    if (!pmode) {
        /* Real and virtual-8086 mode store the 20/32-bit linear pointers. */
        fip += (uint32_t)env->fpcs << 4;
        fdp += (uint32_t)env->fpds << 4;
    }
    if (data32) {
        /* The upper halves of the 16-bit fields are reserved and stored as ones. */
        st32(buf + 0, 0xffff0000u | fcw);
        st32(buf + 4, 0xffff0000u | fsw);
        st32(buf + 8, 0xffff0000u | ftw);
        if (pmode) {
            st32(buf + 12, fip);
            st32(buf + 16, env->fpcs | (uint32_t)(env->fpop & 0x7ff) << 16);
            st32(buf + 20, fdp);
            st32(buf + 24, 0xffff0000u | env->fpds);
        } else {
            st32(buf + 12, 0xffff0000u | (fip & 0xffff));
            st32(buf + 16, ((fip >> 16) << 12) | (env->fpop & 0x7ff));
            st32(buf + 20, 0xffff0000u | (fdp & 0xffff));
            st32(buf + 24, (fdp >> 16) << 12);
        }
    } else {
        st16(buf + 0, fcw);
        st16(buf + 2, fsw);
        st16(buf + 4, ftw);
        if (pmode) {
            st16(buf + 6, (uint16_t)fip);
            st16(buf + 8, env->fpcs);
            st16(buf + 10, (uint16_t)fdp);
            st16(buf + 12, env->fpds);
        } else {
            st16(buf + 6, (uint16_t)fip);
            st16(buf + 8, (uint16_t)(((fip >> 16) & 0xf) << 12 | (env->fpop & 0x7ff)));
            st16(buf + 10, (uint16_t)fdp);
            st16(buf + 12, (uint16_t)(((fdp >> 16) & 0xf) << 12));
        }
    }
}

void x87_ldenv_buf(CPUX86State *env, const uint8_t *buf, bool data32, bool pmode)
{
    unsigned step = data32 ? 4 : 2;
    uint16_t fcw = ld16(buf), fsw = ld16(buf + step), ftw = ld16(buf + 2 * step);

    if (data32) {
        if (pmode) {
            env->fpip = ld32(buf + 12);
            env->fpcs = ld16(buf + 16);
            env->fpop = (ld32(buf + 16) >> 16) & 0x7ff;
            env->fpdp = ld32(buf + 20);
            env->fpds = ld16(buf + 24);
        } else {
            env->fpip = ld16(buf + 12) | ((ld32(buf + 16) >> 12) & 0xffff) << 16;
            env->fpop = ld32(buf + 16) & 0x7ff;
            env->fpdp = ld16(buf + 20) | ((ld32(buf + 24) >> 12) & 0xffff) << 16;
            env->fpcs = env->fpds = 0;
        }
    } else {
        if (pmode) {
            env->fpip = ld16(buf + 6);
            env->fpcs = ld16(buf + 8);
            env->fpdp = ld16(buf + 10);
            env->fpds = ld16(buf + 12);
        } else {
            env->fpip = ld16(buf + 6) | (uint32_t)(ld16(buf + 8) >> 12) << 16;
            env->fpop = ld16(buf + 8) & 0x7ff;
            env->fpdp = ld16(buf + 10) | (uint32_t)(ld16(buf + 12) >> 12) << 16;
            env->fpcs = env->fpds = 0;
        }
    }
    env->fpuc = (uint16_t)((fcw & 0x1f3f) | 0x40);
    x87_update_fp_status(env);
    x87_set_ftw(env, ftw);
    x87_set_fsw(env, fsw);
}

static bool x87_pmode(const CPUX86State *env)
{
    return (env->cr[0] & CR0_PE) && !(env->eflags & X86_EFL_VM);
}

void helper_fnstenv(CPUX86State *env, uint64_t addr, uint32_t data32)
{
    uint8_t buf[28];
    unsigned n = x87_env_size(data32);

    x87_stenv_buf(env, buf, data32, x87_pmode(env));
    fpu_st_bytes(env, addr, buf, n);
    /* FNSTENV masks every exception after storing (SDM vol. 2, FSTENV). */
    env->fpuc |= 0x3f;
    x87_update_fp_status(env);
    /* With everything masked no exception is pending: ES and B follow (as on the host). */
    x87_set_fsw(env, x87_get_fsw(env));
}

void helper_fldenv(CPUX86State *env, uint64_t addr, uint32_t data32)
{
    uint8_t buf[28];

    fpu_ld_bytes(env, addr, buf, x87_env_size(data32));
    x87_ldenv_buf(env, buf, data32, x87_pmode(env));
}

void x87_fsave_buf(const CPUX86State *env, uint8_t *buf, bool data32, bool pmode)
{
    unsigned off = x87_env_size(data32);

    x87_stenv_buf(env, buf, data32, pmode);
    for (unsigned i = 0; i < 8; i++) {
        const floatx80 *v = &env->fpregs[(env->fpstt + i) & 7].d;
        st64(buf + off + 10 * i, v->sig);
        st16(buf + off + 10 * i + 8, v->se);
    }
}

void x87_frstor_buf(CPUX86State *env, const uint8_t *buf, bool data32, bool pmode)
{
    unsigned off = x87_env_size(data32);

    x87_ldenv_buf(env, buf, data32, pmode);
    for (unsigned i = 0; i < 8; i++) {
        floatx80 *v = &env->fpregs[(env->fpstt + i) & 7].d;
        v->sig = ld64(buf + off + 10 * i);
        v->se = ld16(buf + off + 10 * i + 8);
    }
}

void helper_fnsave(CPUX86State *env, uint64_t addr, uint32_t data32)
{
    uint8_t buf[108];

    x87_fsave_buf(env, buf, data32, x87_pmode(env));
    fpu_st_bytes(env, addr, buf, x87_env_size(data32) + 80);
    x87_reset(env);
}

void helper_frstor(CPUX86State *env, uint64_t addr, uint32_t data32)
{
    uint8_t buf[108];

    fpu_ld_bytes(env, addr, buf, x87_env_size(data32) + 80);
    x87_frstor_buf(env, buf, data32, x87_pmode(env));
}

/* ---- FXSAVE / FXRSTOR ---- */

void x87_fxsave_buf(const CPUX86State *env, uint8_t *buf, unsigned flags)
{
    unsigned nxmm = (flags & FXSAVE_LONG64) ? 16 : 8;
    uint8_t ftw = 0;

    for (unsigned i = 0; i < 8; i++) {
        ftw |= (env->fptags[i] ? 0 : 1) << i;
    }
    memset(buf, 0, 160);
    st16(buf + 0, env->fpuc);
    st16(buf + 2, x87_get_fsw(env));
    buf[4] = ftw;
    st16(buf + 6, env->fpop & 0x7ff);
    if (flags & FXSAVE_REXW) {
        st64(buf + 8, env->fpip);
        st64(buf + 16, env->fpdp);
    } else {
        st32(buf + 8, (uint32_t)env->fpip);
        st16(buf + 12, env->fpcs);
        st32(buf + 16, (uint32_t)env->fpdp);
        st16(buf + 20, env->fpds);
    }
    st32(buf + 24, env->mxcsr);
    st32(buf + 28, MXCSR_MASK_SUPPORTED);
    for (unsigned i = 0; i < 8; i++) {
        const floatx80 *v = &env->fpregs[(env->fpstt + i) & 7].d;
        st64(buf + 32 + 16 * i, v->sig);
        st16(buf + 40 + 16 * i, v->se);
    }
    for (unsigned i = 0; i < nxmm; i++) {
        memcpy(buf + 160 + 16 * i, env->xmm[i].b, 16);
    }
}

bool x87_fxrstor_buf(CPUX86State *env, const uint8_t *buf, unsigned flags)
{
    unsigned nxmm = (flags & FXSAVE_LONG64) ? 16 : 8;
    uint32_t mxcsr = ld32(buf + 24);

    if (mxcsr & ~MXCSR_MASK_SUPPORTED) {
        return false;
    }
    env->fpuc = (uint16_t)((ld16(buf) & 0x1f3f) | 0x40);
    x87_update_fp_status(env);
    for (unsigned i = 0; i < 8; i++) {
        env->fptags[i] = !((buf[4] >> i) & 1);
    }
    env->fpop = ld16(buf + 6) & 0x7ff;
    if (flags & FXSAVE_REXW) {
        env->fpip = ld64(buf + 8);
        env->fpdp = ld64(buf + 16);
    } else {
        env->fpip = ld32(buf + 8);
        env->fpcs = ld16(buf + 12);
        env->fpdp = ld32(buf + 16);
        env->fpds = ld16(buf + 20);
    }
    x87_set_fsw(env, ld16(buf + 2));
    for (unsigned i = 0; i < 8; i++) {
        floatx80 *v = &env->fpregs[(env->fpstt + i) & 7].d;
        v->sig = ld64(buf + 32 + 16 * i);
        v->se = ld16(buf + 40 + 16 * i);
    }
    env->mxcsr = mxcsr;
    sse_update_status(env);
    for (unsigned i = 0; i < nxmm; i++) {
        memcpy(env->xmm[i].b, buf + 160 + 16 * i, 16);
    }
    return true;
}

void helper_fxsave(CPUX86State *env, uint64_t addr, uint32_t flags)
{
    uint8_t buf[416];

    if (addr & 15) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    x87_fxsave_buf(env, buf, flags);
    /* Bytes 416-511 are reserved/available to software: FXSAVE leaves them alone. */
    fpu_st_bytes(env, addr, buf, (flags & FXSAVE_LONG64) ? 416 : 288);
}

void helper_fxrstor(CPUX86State *env, uint64_t addr, uint32_t flags)
{
    uint8_t buf[416];

    if (addr & 15) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    fpu_ld_bytes(env, addr, buf, (flags & FXSAVE_LONG64) ? 416 : 288);
    if (!x87_fxrstor_buf(env, buf, flags)) {
        log_guest_error("fxrstor: reserved MXCSR bits in %#x\n", ld32(buf + 24));
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
}

/* ---- MXCSR ---- */

void sse_update_status(CPUX86State *env)
{
    FloatStatus *s = &env->sse_status;

    s->round_mode = (env->mxcsr >> 13) & 3;
    s->precision = FLOATX80_PREC_64;
    s->flush_to_zero = (env->mxcsr >> 15) & 1;
    s->denormals_are_zero = (env->mxcsr >> 6) & 1;
    s->exception_masks = (env->mxcsr >> 7) & FLOAT_FLAGS_ALL;
}

void helper_ldmxcsr(CPUX86State *env, uint32_t val)
{
    if (val & ~MXCSR_MASK_SUPPORTED) {
        log_guest_error("ldmxcsr: reserved bits in %#x\n", val);
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    env->mxcsr = val;
    sse_update_status(env);
}

uint32_t helper_stmxcsr(CPUX86State *env)
{
    return env->mxcsr;
}
