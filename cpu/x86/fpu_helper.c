/*
 * x87 FPU helpers: the register stack, exceptions, arithmetic, comparisons and the
 * transcendentals (SDM vol. 1 chapter 8; vol. 2 per-instruction pages).
 *
 * Exception rules (SDM vol. 1, 8.5 and 8.6): every flag an operation raises goes into FSW;
 * any unmasked one also sets ES and B, and the fault (#MF) is taken at the next waiting x87
 * instruction (helper_fwait).  An unmasked invalid, denormal or zero-divide leaves the
 * destination and TOP alone.  A stack fault is IE+SF with C1 = 1 for overflow (push onto a
 * full register) and C1 = 0 for underflow (read of an empty one); masked, the result is the
 * real indefinite.
 */
#include "cpu/x86/fpu_helper.h"
#include "cpu/x86/helper.h"
#include "core/log.h"

#include "cpu/x86/fpu_internal.h"

void x87_update_fp_status(CPUX86State *env)
{
    FloatStatus *s = &env->fp_status;
    unsigned pc = (env->fpuc >> 8) & 3;

    s->round_mode = (env->fpuc >> 10) & 3;
    /* PC = 1 is reserved; give it the full precision rather than an undefined one. */
    s->precision = pc == 1 ? FLOATX80_PREC_64 : pc;
    s->exception_masks = env->fpuc & FLOAT_FLAGS_ALL;
    s->flush_to_zero = false;
    s->denormals_are_zero = false;
}

uint16_t x87_get_fsw(const CPUX86State *env)
{
    return (env->fpus & ~FPUS_TOP_MASK) | ((env->fpstt & 7) << 11);
}

static void x87_update_es(CPUX86State *env)
{
    if (env->fpus & ~env->fpuc & 0x3f) {
        env->fpus |= FPUS_ES | FPUS_B;
    } else {
        env->fpus &= ~(FPUS_ES | FPUS_B);
    }
}

void x87_set_fsw(CPUX86State *env, uint16_t fsw)
{
    env->fpstt = (fsw >> 11) & 7;
    env->fpus = fsw & ~FPUS_TOP_MASK;
    /* B mirrors ES on everything since the 387; keep them consistent. */
    x87_update_es(env);
}

static unsigned x87_tag_of(const CPUX86State *env, unsigned phys)
{
    floatx80 v = env->fpregs[phys].d;
    int exp = floatx80_exp(v);

    if (env->fptags[phys]) {
        return 3;
    }
    if (exp == 0 && v.sig == 0) {
        return 1;
    }
    if (exp == 0x7fff || exp == 0 || !(v.sig >> 63)) {
        return 2;
    }
    return 0;
}

uint16_t x87_get_ftw(const CPUX86State *env)
{
    uint16_t ftw = 0;

    for (unsigned i = 0; i < 8; i++) {
        ftw |= x87_tag_of(env, i) << (2 * i);
    }
    return ftw;
}

void x87_set_ftw(CPUX86State *env, uint16_t ftw)
{
    for (unsigned i = 0; i < 8; i++) {
        env->fptags[i] = ((ftw >> (2 * i)) & 3) == 3;
    }
}

void x87_reset(CPUX86State *env)
{
    env->fpuc = FPUC_DEFAULT;
    env->fpus = 0;
    env->fpstt = 0;
    for (unsigned i = 0; i < 8; i++) {
        env->fptags[i] = 1;
    }
    env->fpip = env->fpdp = 0;
    env->fpcs = env->fpds = 0;
    env->fpop = 0;
    x87_update_fp_status(env);
}

/* ---- exceptions ---- */

void x87_raise(CPUX86State *env, unsigned flags)
{
    env->fpus |= flags & (FLOAT_FLAGS_ALL | FPUS_SF);
    x87_update_es(env);
}

/* Start an operation: clear the per-operation flags of fp_status. */
FloatStatus *x87_begin(CPUX86State *env)
{
    env->fp_status.flags = 0;
    env->fp_status.rounded_up = false;
    return &env->fp_status;
}

/*
 * Finish an operation that produces a register result: record its flags, set C1 from the
 * rounding direction, and say whether the destination may be written.
 */
bool x87_finish(CPUX86State *env)
{
    const unsigned pre = FLOAT_FLAG_INVALID | FLOAT_FLAG_DENORMAL | FLOAT_FLAG_DIVBYZERO;
    unsigned flags = env->fp_status.flags;
    unsigned unmasked = flags & ~env->fpuc & 0x3f;

    env->fpus &= ~FPUS_C1;
    if (unmasked & pre) {
        /*
         * An unmasked pre-computation exception stops the operation before it computes
         * anything: the result's precision, overflow and underflow flags are never
         * produced, and C1 is left 0 (what the hardware reports).
         */
        x87_raise(env, flags & pre);
        return false;
    }
    if ((flags & FLOAT_FLAG_INEXACT) && env->fp_status.rounded_up) {
        env->fpus |= FPUS_C1;
    }
    x87_raise(env, flags);
    return true;
}

/* Stack fault; returns true when masked (the caller then delivers the real indefinite). */
bool x87_stack_fault(CPUX86State *env, bool overflow)
{
    env->fpus &= ~FPUS_C1;
    if (overflow) {
        env->fpus |= FPUS_C1;
    }
    x87_raise(env, FPUS_IE | FPUS_SF);
    return env->fpuc & FPUS_IE;
}

void helper_fwait(CPUX86State *env)
{
    if (!(env->fpus & FPUS_ES)) {
        return;
    }
    if (env->cr[0] & CR0_NE) {
        x86_raise_exception(env, EXCP_MF);
    }
    /* With CR0.NE clear the PC signals FERR# to the PIC (IRQ 13) instead. */
    log_unimp("x87: unmasked exception with CR0.NE clear (FERR#/IRQ13 not wired)\n");
}

void helper_fpu_note_ip(CPUX86State *env, uint64_t ip, uint32_t cs, uint32_t opcode)
{
    env->fpip = ip;
    env->fpcs = cs;
    env->fpop = opcode & 0x7ff;
}

void helper_fpu_note_dp(CPUX86State *env, uint64_t dp, uint32_t ds)
{
    env->fpdp = dp;
    env->fpds = ds;
}

/* ---- stack ---- */

void x87_push(CPUX86State *env, floatx80 v)
{
    env->fpstt = (env->fpstt - 1) & 7;
    env->fpregs[env->fpstt].d = v;
    env->fptags[env->fpstt] = 0;
}

void x87_pop(CPUX86State *env)
{
    env->fptags[env->fpstt] = 1;
    env->fpstt = (env->fpstt + 1) & 7;
}

/* Room for a push?  Otherwise raise the overflow; *masked says whether to push the NaN. */
bool x87_push_check(CPUX86State *env, bool *masked)
{
    if (!env->fptags[(env->fpstt - 1) & 7]) {
        *masked = x87_stack_fault(env, true);
        return false;
    }
    return true;
}

void helper_fincstp(CPUX86State *env)
{
    env->fpstt = (env->fpstt + 1) & 7;
    env->fpus &= ~FPUS_C1;
}

void helper_fdecstp(CPUX86State *env)
{
    env->fpstt = (env->fpstt - 1) & 7;
    env->fpus &= ~FPUS_C1;
}

void helper_ffree(CPUX86State *env, uint32_t i, uint32_t pop)
{
    env->fptags[(env->fpstt + i) & 7] = 1;
    if (pop) {
        x87_pop(env);
    }
}

void helper_fxch(CPUX86State *env, uint32_t i)
{
    unsigned a = env->fpstt & 7, b = (env->fpstt + i) & 7;
    FPReg t;

    if (env->fptags[a] || env->fptags[b]) {
        if (!x87_stack_fault(env, false)) {
            return;
        }
        /* Masked: an empty register reads as the indefinite and becomes valid. */
        for (unsigned k = 0; k < 2; k++) {
            unsigned r = k ? b : a;
            if (env->fptags[r]) {
                env->fpregs[r].d = floatx80_default_nan();
                env->fptags[r] = 0;
            }
        }
    } else {
        env->fpus &= ~FPUS_C1;
    }
    t = env->fpregs[a];
    env->fpregs[a] = env->fpregs[b];
    env->fpregs[b] = t;
}

void helper_fld_sti(CPUX86State *env, uint32_t i)
{
    floatx80 v;
    bool masked;

    if (X87_EMPTY(env, i)) {
        /* Masked underflow: the indefinite is pushed; the hardware reports no overflow too. */
        if (x87_stack_fault(env, false)) {
            x87_push(env, floatx80_default_nan());
        }
        return;
    } else {
        v = *X87_ST(env, i);
    }
    if (!x87_push_check(env, &masked)) {
        if (masked) {
            x87_push(env, floatx80_default_nan());
        }
        return;
    }
    env->fpus &= ~FPUS_C1;
    x87_push(env, v);
}

void helper_fst_sti(CPUX86State *env, uint32_t i, uint32_t pop)
{
    floatx80 v;

    if (X87_EMPTY(env, 0)) {
        if (!x87_stack_fault(env, false)) {
            return;
        }
        v = floatx80_default_nan();
    } else {
        v = *X87_ST(env, 0);
        env->fpus &= ~FPUS_C1;
    }
    *X87_ST(env, i) = v;
    env->fptags[(env->fpstt + i) & 7] = 0;
    if (pop) {
        x87_pop(env);
    }
}

void helper_fcmov(CPUX86State *env, uint32_t i, uint32_t cond)
{
    if (X87_EMPTY(env, 0) || X87_EMPTY(env, i)) {
        /* The stack fault does not depend on the condition, nor does its masked result. */
        if (x87_stack_fault(env, false)) {
            *X87_ST(env, 0) = floatx80_default_nan();
            env->fptags[env->fpstt & 7] = 0;
        }
        return;
    }
    /* C1 changes only on a stack underflow (SDM FCMOVcc, "FPU flags affected"). */
    if (cond) {
        *X87_ST(env, 0) = *X87_ST(env, i);
    }
}

void helper_fldconst(CPUX86State *env, uint32_t which)
{
    bool masked;

    if (which > FLOATX80_CONST_ZERO) {
        return;
    }
    if (!x87_push_check(env, &masked)) {
        if (masked) {
            x87_push(env, floatx80_default_nan());
        }
        return;
    }
    env->fpus &= ~FPUS_C1;
    x87_push(env, floatx80_load_const(which, &env->fp_status));
}

/* ---- arithmetic ---- */

floatx80 x87_arith(unsigned op, floatx80 a, floatx80 b, FloatStatus *s)
{
    switch (op) {
    case X87_ADD:
        return floatx80_add(a, b, s);
    case X87_MUL:
        return floatx80_mul(a, b, s);
    case X87_SUB:
        return floatx80_sub(a, b, s);
    case X87_SUBR:
        return floatx80_sub(b, a, s);
    case X87_DIV:
        return floatx80_div(a, b, s);
    case X87_DIVR:
        return floatx80_div(b, a, s);
    default:
        return floatx80_default_nan();
    }
}

void helper_farith_st(CPUX86State *env, uint32_t op, uint32_t i, uint32_t to_sti,
                      uint32_t pop)
{
    unsigned dst = to_sti ? i : 0, src = to_sti ? 0 : i;
    floatx80 r;

    if (op == X87_COM || op == X87_COMP || op > X87_DIVR) {
        return;
    }
    if (X87_EMPTY(env, dst) || X87_EMPTY(env, src)) {
        if (!x87_stack_fault(env, false)) {
            return;
        }
        r = floatx80_default_nan();
    } else {
        FloatStatus *s = x87_begin(env);
        r = x87_arith(op, *X87_ST(env, dst), *X87_ST(env, src), s);
        if (!x87_finish(env)) {
            return;
        }
    }
    *X87_ST(env, dst) = r;
    env->fptags[(env->fpstt + dst) & 7] = 0;
    if (pop) {
        x87_pop(env);
    }
}

static void x87_set_cc_relation(CPUX86State *env, FloatRelation rel)
{
    env->fpus &= ~FPUS_CC;
    switch (rel) {
    case FLOAT_RELATION_LESS:
        env->fpus |= FPUS_C0;
        break;
    case FLOAT_RELATION_EQUAL:
        env->fpus |= FPUS_C3;
        break;
    case FLOAT_RELATION_GREATER:
        break;
    default:
        env->fpus |= FPUS_C0 | FPUS_C2 | FPUS_C3;
        break;
    }
}

/*
 * Compare ST(0) with b (already widened; pre holds the flags its conversion raised); pops
 * afterwards.  With an unmasked invalid or denormal operand the hardware still sets the
 * condition codes to the relation (unordered for a NaN) and only leaves the stack alone:
 * that is what the host CPUs do, and what software looking at FSW in its #MF handler sees.
 */
void x87_compare_st0(CPUX86State *env, floatx80 b, bool quiet, unsigned pops, unsigned pre)
{
    FloatStatus *s = x87_begin(env);
    FloatRelation rel = floatx80_compare(*X87_ST(env, 0), b, quiet, s);
    unsigned flags = s->flags | pre;

    x87_raise(env, flags);
    x87_set_cc_relation(env, rel);
    if ((flags & ~env->fpuc & (FLOAT_FLAG_INVALID | FLOAT_FLAG_DENORMAL))) {
        return;
    }
    while (pops--) {
        x87_pop(env);
    }
}

void helper_fcom(CPUX86State *env, uint32_t i, uint32_t quiet, uint32_t pops)
{
    if (X87_EMPTY(env, 0) || X87_EMPTY(env, i)) {
        /* "Unordered" is reported for an empty operand whether or not IE is masked. */
        env->fpus |= FPUS_C0 | FPUS_C2 | FPUS_C3;
        if (x87_stack_fault(env, false)) {
            while (pops--) {
                x87_pop(env);
            }
        }
        return;
    }
    x87_compare_st0(env, *X87_ST(env, i), quiet, pops, 0);
}

static void x87_set_eflags_relation(CPUX86State *env, FloatRelation rel)
{
    uint64_t f = 0;

    switch (rel) {
    case FLOAT_RELATION_LESS:
        f = X86_EFL_CF;
        break;
    case FLOAT_RELATION_EQUAL:
        f = X86_EFL_ZF;
        break;
    case FLOAT_RELATION_GREATER:
        break;
    default:
        f = X86_EFL_ZF | X86_EFL_PF | X86_EFL_CF;
        break;
    }
    env->cc_src = f;
    env->cc_op = CC_OP_EFLAGS;
}

void helper_fcomi(CPUX86State *env, uint32_t i, uint32_t quiet, uint32_t pop)
{
    FloatRelation rel;

    if (X87_EMPTY(env, 0) || X87_EMPTY(env, i)) {
        /* "Unordered" whether or not IE is masked, as for FCOM; only the pop depends on it. */
        x87_set_eflags_relation(env, FLOAT_RELATION_UNORDERED);
        if (x87_stack_fault(env, false)) {
            if (pop) {
                x87_pop(env);
            }
        }
        return;
    }
    FloatStatus *s = x87_begin(env);
    rel = floatx80_compare(*X87_ST(env, 0), *X87_ST(env, i), quiet, s);
    x87_raise(env, s->flags);
    env->fpus &= ~FPUS_C1;
    /* As for FCOM: the flags get the relation even when the exception is unmasked. */
    x87_set_eflags_relation(env, rel);
    if (s->flags & ~env->fpuc & (FLOAT_FLAG_INVALID | FLOAT_FLAG_DENORMAL)) {
        return;
    }
    if (pop) {
        x87_pop(env);
    }
}

void helper_ftst(CPUX86State *env)
{
    if (X87_EMPTY(env, 0)) {
        env->fpus |= FPUS_C0 | FPUS_C2 | FPUS_C3;
        x87_stack_fault(env, false);
        return;
    }
    env->fpus &= ~FPUS_C1;
    x87_compare_st0(env, floatx80_make(false, 0, 0), false, 0, 0);
}

void helper_fxam(CPUX86State *env)
{
    floatx80 v = *X87_ST(env, 0);
    unsigned cls = X87_EMPTY(env, 0) ? FLOATX80_CLASS_EMPTY : floatx80_classify(v);

    env->fpus &= ~FPUS_CC;
    if (floatx80_sign(v)) {
        env->fpus |= FPUS_C1;
    }
    if (cls & 4) {
        env->fpus |= FPUS_C3;
    }
    if (cls & 2) {
        env->fpus |= FPUS_C2;
    }
    if (cls & 1) {
        env->fpus |= FPUS_C0;
    }
}

/* ---- one-operand instructions ---- */

/* Reads ST(0) for an operation replacing it; false (nothing to do) on a stack fault. */
static bool x87_unary_operand(CPUX86State *env, floatx80 *v)
{
    if (X87_EMPTY(env, 0)) {
        if (x87_stack_fault(env, false)) {
            *X87_ST(env, 0) = floatx80_default_nan();
            env->fptags[env->fpstt & 7] = 0;
        }
        return false;
    }
    *v = *X87_ST(env, 0);
    return true;
}

/*
 * The operand of FXTRACT, FPTAN and FSINCOS, which replace ST(0) and push a second result.
 * A masked underflow (empty ST(0)) delivers both results as the indefinite, so TOP moves
 * as for a successful operation (what the hardware does).
 */
static bool x87_unary_push_operand(CPUX86State *env, floatx80 *v)
{
    if (X87_EMPTY(env, 0)) {
        if (x87_stack_fault(env, false)) {
            *X87_ST(env, 0) = floatx80_default_nan();
            env->fptags[env->fpstt & 7] = 0;
            x87_push(env, floatx80_default_nan());
        }
        return false;
    }
    *v = *X87_ST(env, 0);
    return true;
}

void helper_fchs(CPUX86State *env)
{
    floatx80 v;

    if (x87_unary_operand(env, &v)) {
        env->fpus &= ~FPUS_C1;
        *X87_ST(env, 0) = floatx80_chs(v);
    }
}

void helper_fabs(CPUX86State *env)
{
    floatx80 v;

    if (x87_unary_operand(env, &v)) {
        env->fpus &= ~FPUS_C1;
        *X87_ST(env, 0) = floatx80_abs(v);
    }
}

void helper_fsqrt(CPUX86State *env)
{
    floatx80 v, r;

    if (x87_unary_operand(env, &v)) {
        r = floatx80_sqrt(v, x87_begin(env));
        if (x87_finish(env)) {
            *X87_ST(env, 0) = r;
        }
    }
}

void helper_frndint(CPUX86State *env)
{
    floatx80 v, r;

    if (x87_unary_operand(env, &v)) {
        r = floatx80_round_to_int(v, x87_begin(env));
        if (x87_finish(env)) {
            *X87_ST(env, 0) = r;
        }
    }
}

void helper_f2xm1(CPUX86State *env)
{
    floatx80 v, r;

    if (x87_unary_operand(env, &v)) {
        r = floatx80_f2xm1(v, x87_begin(env));
        if (x87_finish(env)) {
            *X87_ST(env, 0) = r;
        }
    }
}

/* Both ST(0) and ST(1) must be valid; a masked stack fault puts the NaN in ST(dst). */
static bool x87_binary_operands(CPUX86State *env, unsigned dst, bool pop)
{
    if (X87_EMPTY(env, 0) || X87_EMPTY(env, 1)) {
        if (x87_stack_fault(env, false)) {
            *X87_ST(env, dst) = floatx80_default_nan();
            env->fptags[(env->fpstt + dst) & 7] = 0;
            if (pop) {
                x87_pop(env);
            }
        }
        return false;
    }
    return true;
}

void helper_fscale(CPUX86State *env)
{
    floatx80 r;

    if (x87_binary_operands(env, 0, false)) {
        r = floatx80_scale(*X87_ST(env, 0), *X87_ST(env, 1), x87_begin(env));
        if (x87_finish(env)) {
            *X87_ST(env, 0) = r;
        }
    }
}

void helper_fprem(CPUX86State *env, uint32_t ieee)
{
    unsigned q = 0;
    bool incomplete = false;
    floatx80 r;

    if (!x87_binary_operands(env, 0, false)) {
        /* A stack underflow is no reduction either: C2 cleared, C1 = 0 (the underflow). */
        env->fpus &= ~FPUS_C2;
        return;
    }
    bool nan_operand = floatx80_is_any_nan(*X87_ST(env, 0)) || floatx80_is_any_nan(*X87_ST(env, 1));
    r = floatx80_fprem(*X87_ST(env, 0), *X87_ST(env, 1), ieee, &q, &incomplete,
                       x87_begin(env));
    if (!x87_finish(env)) {
        /* Unmasked exception: no reduction either (C1 is 0 already). */
        env->fpus &= ~FPUS_C2;
        return;
    }
    *X87_ST(env, 0) = r;
    if (nan_operand || (env->fp_status.flags & FLOAT_FLAG_INVALID)) {
        /*
         * No reduction took place: C2 (incomplete) and C1 are cleared, C0 and C3 keep what
         * they were (the SDM defines them only for a completed reduction; host CPUs do so).
         */
        env->fpus &= ~(FPUS_C1 | FPUS_C2);
        return;
    }
    env->fpus &= ~FPUS_CC;
    if (incomplete) {
        env->fpus |= FPUS_C2;
    } else {
        env->fpus |= (q & 4 ? FPUS_C0 : 0) | (q & 2 ? FPUS_C3 : 0) | (q & 1 ? FPUS_C1 : 0);
    }
}

typedef floatx80 (*X87Binary)(floatx80 st0, floatx80 st1, FloatStatus *s);

/* FYL2X, FYL2XP1, FPATAN: ST(1) = f(ST(0), ST(1)), then pop. */
static void x87_st1_op_pop(CPUX86State *env, X87Binary fn)
{
    floatx80 r;

    if (!x87_binary_operands(env, 1, true)) {
        return;
    }
    r = fn(*X87_ST(env, 0), *X87_ST(env, 1), x87_begin(env));
    if (!x87_finish(env)) {
        return;
    }
    *X87_ST(env, 1) = r;
    x87_pop(env);
}

void helper_fyl2x(CPUX86State *env)
{
    x87_st1_op_pop(env, floatx80_fyl2x);
}

void helper_fyl2xp1(CPUX86State *env)
{
    x87_st1_op_pop(env, floatx80_fyl2xp1);
}

void helper_fpatan(CPUX86State *env)
{
    x87_st1_op_pop(env, floatx80_fpatan);
}

void helper_fxtract(CPUX86State *env)
{
    floatx80 v, e, m;
    bool masked;

    if (!x87_unary_push_operand(env, &v)) {
        return;
    }
    if (!x87_push_check(env, &masked)) {
        if (masked) {
            *X87_ST(env, 0) = floatx80_default_nan();
            x87_push(env, floatx80_default_nan());
        }
        return;
    }
    floatx80_extract(v, &e, &m, x87_begin(env));
    if (!x87_finish(env)) {
        return;
    }
    *X87_ST(env, 0) = e;
    x87_push(env, m);
}

/* FSIN/FCOS: C2 set (and ST(0) untouched) when the operand is out of range. */
static void x87_trig(CPUX86State *env, bool (*fn)(floatx80, floatx80 *, FloatStatus *))
{
    floatx80 v, r;

    if (!x87_unary_operand(env, &v)) {
        return;
    }
    env->fpus &= ~FPUS_C2;
    if (!fn(v, &r, x87_begin(env))) {
        env->fpus |= FPUS_C2;
        x87_finish(env);
        return;
    }
    if (x87_finish(env)) {
        *X87_ST(env, 0) = r;
    }
}

void helper_fsin(CPUX86State *env)
{
    x87_trig(env, floatx80_fsin);
}

void helper_fcos(CPUX86State *env)
{
    x87_trig(env, floatx80_fcos);
}

void helper_fptan(CPUX86State *env)
{
    floatx80 v, r, one;
    bool masked;

    if (!x87_unary_push_operand(env, &v)) {
        return;
    }
    if (!x87_push_check(env, &masked)) {
        if (masked) {
            *X87_ST(env, 0) = floatx80_default_nan();
            x87_push(env, floatx80_default_nan());
        }
        return;
    }
    env->fpus &= ~FPUS_C2;
    if (!floatx80_fptan(v, &r, &one, x87_begin(env))) {
        env->fpus |= FPUS_C2;
        x87_finish(env);
        return;
    }
    if (x87_finish(env)) {
        *X87_ST(env, 0) = r;
        x87_push(env, one);
    }
}

void helper_fsincos(CPUX86State *env)
{
    floatx80 v, sn, cs;
    bool masked;

    if (!x87_unary_push_operand(env, &v)) {
        return;
    }
    if (!x87_push_check(env, &masked)) {
        if (masked) {
            *X87_ST(env, 0) = floatx80_default_nan();
            x87_push(env, floatx80_default_nan());
        }
        return;
    }
    env->fpus &= ~FPUS_C2;
    if (!floatx80_fsincos(v, &sn, &cs, x87_begin(env))) {
        env->fpus |= FPUS_C2;
        x87_finish(env);
        return;
    }
    if (x87_finish(env)) {
        *X87_ST(env, 0) = sn;
        x87_push(env, cs);
    }
}

/* ---- MMX transitions ---- */

void helper_enter_mmx(CPUX86State *env)
{
    env->fpstt = 0;
    for (unsigned i = 0; i < 8; i++) {
        env->fptags[i] = 0;
    }
}

void helper_emms(CPUX86State *env)
{
    /* Like the other MMX instructions, EMMS leaves TOP at 0 (SDM vol. 1 table 9-2). */
    env->fpstt = 0;
    for (unsigned i = 0; i < 8; i++) {
        env->fptags[i] = 1;
    }
}
