/*
 * x87 instructions (D8-DF escapes and FWAIT) to IR: every instruction is one call into
 * fpu_helper.c after the checks the translator can make from hflags.
 *
 * Reference: SDM vol. 1, 8.1.8 (last instruction/data pointers), 8.6 (which instructions
 * check for pending exceptions), table 2-1 of vol. 3A for CR0.EM/TS/MP.
 */
#include "cpu/x86/translate.h"
#include "cpu/x86/fpu_helper.h"

#include <stddef.h>

#define ENV_OFF(field) ((intptr_t)offsetof(CPUX86State, field))

static IRTemp c32(DisasContext *s, uint32_t v)
{
    return IRT(ir_const_i32(s->f, v));
}

/*
 * #NM when CR0.EM or CR0.TS is set; then, for a waiting instruction, the pending-exception
 * check (#MF).  Returns false when the instruction ends in an exception.
 */
static bool x87_check(DisasContext *s, bool waits)
{
    if (s->flags & (HF_EM | HF_TS)) {
        gen_exception(s, EXCP_NM);
        return false;
    }
    if (waits) {
        IR_CALL(s->f, helper_fwait, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    }
    return true;
}

/* FPU instruction pointer, CS and opcode of a non-control instruction, and its data pointer. */
static void x87_note(DisasContext *s, const DecodedInsn *d)
{
    IRvPtr env = ir_env(s->f);
    uint32_t fop = ((uint32_t)(d->opcode & 7) << 8) | d->modrm;

    ir_st_i64(s->f, ir_const_i64(s->f, s->eip), env, ENV_OFF(fpip));
    ir_st16_i64(s->f, ir_const_i64(s->f, s->env->segs[R_CS].selector), env, ENV_OFF(fpcs));
    ir_st16_i64(s->f, ir_const_i64(s->f, fop), env, ENV_OFF(fpop));
    if (d->has_mem) {
        IRv64 off = gen_ea_offset(s, d);
        IRv64 sel = ir_temp_i64(s->f);
        ir_st_i64(s->f, off, env, ENV_OFF(fpdp));
        ir_ld16u_i64(s->f, sel, env,
                     ENV_OFF(segs) + (intptr_t)(d->mem.seg * sizeof(SegmentCache)) +
                     (intptr_t)offsetof(SegmentCache, selector));
        ir_st16_i64(s->f, sel, env, ENV_OFF(fpds));
        ir_temp_free(s->f, IRT(off));
        ir_temp_free(s->f, IRT(sel));
    }
}

/* Start of every non-control x87 instruction. */
static bool x87_begin_insn(DisasContext *s, const DecodedInsn *d)
{
    if (!x87_check(s, true)) {
        return false;
    }
    x87_note(s, d);
    return true;
}

static int x87_mem_kind(const DecodedInsn *d)
{
    switch (d->op[0].form) {
    case X86_OPF_m32fp:
        return X87_M32FP;
    case X86_OPF_m64fp:
        return X87_M64FP;
    case X86_OPF_m80fp:
        return X87_M80FP;
    case X86_OPF_m16int:
        return X87_M16INT;
    case X86_OPF_m32int:
        return X87_M32INT;
    case X86_OPF_m64int:
        return X87_M64INT;
    case X86_OPF_m80bcd:
        return X87_M80BCD;
    default:
        return -1;
    }
}

/* Arithmetic: memory operand, ST(0) op ST(i), or ST(i) op ST(0) with optional pop. */
static bool gen_farith(DisasContext *s, const DecodedInsn *d, unsigned op, bool pop)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    if (d->has_mem) {
        int kind = x87_mem_kind(d);
        IRv64 la;
        if (kind < 0) {
            return false;
        }
        la = gen_lea_mem(s, d, x87_mem_size((unsigned)kind));
        IR_CALL(s->f, helper_farith_mem, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
                c32(s, op), c32(s, (unsigned)kind), IRT(la));
        ir_temp_free(s->f, IRT(la));
        return true;
    }
    bool to_sti = d->op[0].form == X86_OPF_STi;
    unsigned i = to_sti ? d->op[0].reg : d->op[1].reg;
    IR_CALL(s->f, helper_farith_st, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), c32(s, op),
            c32(s, i), c32(s, to_sti), c32(s, pop));
    return true;
}

TRANS(fadd) { return gen_farith(s, d, X87_ADD, false); }
TRANS(fmul) { return gen_farith(s, d, X87_MUL, false); }
TRANS(fsub) { return gen_farith(s, d, X87_SUB, false); }
TRANS(fsubr) { return gen_farith(s, d, X87_SUBR, false); }
TRANS(fdiv) { return gen_farith(s, d, X87_DIV, false); }
TRANS(fdivr) { return gen_farith(s, d, X87_DIVR, false); }
TRANS(faddp) { return gen_farith(s, d, X87_ADD, true); }
TRANS(fmulp) { return gen_farith(s, d, X87_MUL, true); }
TRANS(fsubp) { return gen_farith(s, d, X87_SUB, true); }
TRANS(fsubrp) { return gen_farith(s, d, X87_SUBR, true); }
TRANS(fdivp) { return gen_farith(s, d, X87_DIV, true); }
TRANS(fdivrp) { return gen_farith(s, d, X87_DIVR, true); }
TRANS(fiadd) { return gen_farith(s, d, X87_ADD, false); }
TRANS(fimul) { return gen_farith(s, d, X87_MUL, false); }
TRANS(fisub) { return gen_farith(s, d, X87_SUB, false); }
TRANS(fisubr) { return gen_farith(s, d, X87_SUBR, false); }
TRANS(fidiv) { return gen_farith(s, d, X87_DIV, false); }
TRANS(fidivr) { return gen_farith(s, d, X87_DIVR, false); }

/* Compares: with memory through the arithmetic helper, with ST(i) through helper_fcom. */
static bool gen_fcom(DisasContext *s, const DecodedInsn *d, bool quiet, unsigned pops)
{
    if (d->has_mem) {
        return gen_farith(s, d, pops ? X87_COMP : X87_COM, false);
    }
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    unsigned i = d->op[0].kind == X86_OPK_ST ? d->op[0].reg : 1;
    IR_CALL(s->f, helper_fcom, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), c32(s, i),
            c32(s, quiet), c32(s, pops));
    return true;
}

TRANS(fcom) { return gen_fcom(s, d, false, 0); }
TRANS(fcomp) { return gen_fcom(s, d, false, 1); }
TRANS(fcompp) { return gen_fcom(s, d, false, 2); }
TRANS(fucom) { return gen_fcom(s, d, true, 0); }
TRANS(fucomp) { return gen_fcom(s, d, true, 1); }
TRANS(fucompp) { return gen_fcom(s, d, true, 2); }
TRANS(ficom) { return gen_fcom(s, d, false, 0); }
TRANS(ficomp) { return gen_fcom(s, d, false, 1); }

static bool gen_fcomi(DisasContext *s, const DecodedInsn *d, bool quiet, bool pop)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    gen_update_cc_op(s);
    IR_CALL(s->f, helper_fcomi, 0, IR_NO_TEMP, ENV(s), c32(s, d->op[1].reg), c32(s, quiet),
            c32(s, pop));
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    return true;
}

/* FCOMI raises IE for a QNaN operand; FUCOMI (unordered) only for an SNaN. */
TRANS(fcomi) { return gen_fcomi(s, d, false, false); }
TRANS(fucomi) { return gen_fcomi(s, d, true, false); }
TRANS(fcomip) { return gen_fcomi(s, d, false, true); }
TRANS(fucomip) { return gen_fcomi(s, d, true, true); }

/* ---- loads and stores ---- */

static bool gen_fld_mem(DisasContext *s, const DecodedInsn *d)
{
    int kind = x87_mem_kind(d);
    IRv64 la;

    if (kind < 0) {
        return false;
    }
    la = gen_lea_mem(s, d, x87_mem_size((unsigned)kind));
    IR_CALL(s->f, helper_fld_mem, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, (unsigned)kind), IRT(la));
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(fld)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    if (d->has_mem) {
        return gen_fld_mem(s, d);
    }
    IR_CALL(s->f, helper_fld_sti, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, d->op[0].reg));
    return true;
}

TRANS(fild)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    return gen_fld_mem(s, d);
}

TRANS(fbld)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    return gen_fld_mem(s, d);
}

static bool gen_fst(DisasContext *s, const DecodedInsn *d, bool pop, bool trunc)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    if (!d->has_mem) {
        IR_CALL(s->f, helper_fst_sti, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
                c32(s, d->op[0].reg), c32(s, pop));
        return true;
    }
    int kind = x87_mem_kind(d);
    if (kind < 0) {
        return false;
    }
    if (trunc) {
        kind = kind == X87_M16INT ? X87_M16INT_TRUNC
             : kind == X87_M32INT ? X87_M32INT_TRUNC : X87_M64INT_TRUNC;
    }
    IRv64 la = gen_lea_mem(s, d, x87_mem_size((unsigned)kind));
    IR_CALL(s->f, helper_fst_mem, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, (unsigned)kind), c32(s, pop), IRT(la));
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(fst) { return gen_fst(s, d, false, false); }
TRANS(fstp) { return gen_fst(s, d, true, false); }
TRANS(fist) { return gen_fst(s, d, false, false); }
TRANS(fistp) { return gen_fst(s, d, true, false); }
TRANS(fisttp) { return gen_fst(s, d, true, true); }
TRANS(fbstp) { return gen_fst(s, d, true, false); }

/* ---- register-stack instructions with no operand, or ST(i) ---- */

typedef void (*X87Fn)(CPUX86State *env);

static bool gen_x87_simple(DisasContext *s, const DecodedInsn *d, X87Fn fn)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    return true;
}

TRANS(fchs) { return gen_x87_simple(s, d, helper_fchs); }
TRANS(fabs) { return gen_x87_simple(s, d, helper_fabs); }
TRANS(ftst) { return gen_x87_simple(s, d, helper_ftst); }
TRANS(fxam) { return gen_x87_simple(s, d, helper_fxam); }
TRANS(f2xm1) { return gen_x87_simple(s, d, helper_f2xm1); }
TRANS(fyl2x) { return gen_x87_simple(s, d, helper_fyl2x); }
TRANS(fptan) { return gen_x87_simple(s, d, helper_fptan); }
TRANS(fpatan) { return gen_x87_simple(s, d, helper_fpatan); }
TRANS(fxtract) { return gen_x87_simple(s, d, helper_fxtract); }
TRANS(fyl2xp1) { return gen_x87_simple(s, d, helper_fyl2xp1); }
TRANS(fsqrt) { return gen_x87_simple(s, d, helper_fsqrt); }
TRANS(fsincos) { return gen_x87_simple(s, d, helper_fsincos); }
TRANS(frndint) { return gen_x87_simple(s, d, helper_frndint); }
TRANS(fscale) { return gen_x87_simple(s, d, helper_fscale); }
TRANS(fsin) { return gen_x87_simple(s, d, helper_fsin); }
TRANS(fcos) { return gen_x87_simple(s, d, helper_fcos); }
TRANS(fincstp) { return gen_x87_simple(s, d, helper_fincstp); }
TRANS(fdecstp) { return gen_x87_simple(s, d, helper_fdecstp); }

static void helper_fprem_trunc(CPUX86State *env)
{
    helper_fprem(env, 0);
}

static void helper_fprem_ieee(CPUX86State *env)
{
    helper_fprem(env, 1);
}

TRANS(fprem) { return gen_x87_simple(s, d, helper_fprem_trunc); }
TRANS(fprem1) { return gen_x87_simple(s, d, helper_fprem_ieee); }

TRANS(fnop)
{
    /* FNOP is a waiting instruction; the 8087/287 leftovers (FENI, FDISI, FSETPM) are not. */
    x87_check(s, d->id == XI_FNOP);
    return true;
}

TRANS(fldconst)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    IR_CALL(s->f, helper_fldconst, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, d->modrm & 7));
    return true;
}

TRANS(fxch)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    IR_CALL(s->f, helper_fxch, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, d->op[0].reg));
    return true;
}

static bool gen_ffree(DisasContext *s, const DecodedInsn *d, bool pop)
{
    if (!x87_begin_insn(s, d)) {
        return true;
    }
    IR_CALL(s->f, helper_ffree, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, d->op[0].reg), c32(s, pop));
    return true;
}

TRANS(ffree) { return gen_ffree(s, d, false); }
TRANS(ffreep) { return gen_ffree(s, d, true); }

TRANS(fcmovcc)
{
    static const uint8_t cc[4] = { 2, 4, 6, 10 }; /* B, E, BE, P (Jcc numbering) */
    unsigned cond = cc[(d->modrm >> 3) & 3] + (d->opcode == 0xdb ? 1 : 0);
    IRv64 v;

    if (!x87_begin_insn(s, d)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    gen_setcc(s, (int)cond, v);
    IR_CALL(s->f, helper_fcmov, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
            c32(s, d->op[1].reg), IRT(v));
    ir_temp_free(s->f, IRT(v));
    return true;
}

/* ---- control instructions ---- */

/*
 * FWAIT (9B).  translate-misc.c owns trans_fwait (a no-op stub for now); it should call this
 * instead.  Not named trans_fwait here: every trans_ is weak and two weak definitions would
 * pick one silently by link order.
 */
bool x87_gen_fwait(DisasContext *s, const DecodedInsn *d);
bool x87_gen_fwait(DisasContext *s, const DecodedInsn *d)
{
    (void)d;
    /* WAIT faults with #NM only when both CR0.MP and CR0.TS are set. */
    if ((s->flags & (HF_MP | HF_TS)) == (HF_MP | HF_TS)) {
        gen_exception(s, EXCP_NM);
        return true;
    }
    IR_CALL(s->f, helper_fwait, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    return true;
}

TRANS(fninit)
{
    if (x87_check(s, false)) {
        IR_CALL(s->f, helper_fninit, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    }
    return true;
}

TRANS(fnclex)
{
    if (x87_check(s, false)) {
        IR_CALL(s->f, helper_fnclex, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
    }
    return true;
}

TRANS(fldcw)
{
    IRv64 la, v;

    if (!x87_check(s, true)) {
        return true;
    }
    la = gen_lea_mem(s, d, 2);
    v = ir_temp_i64(s->f);
    gen_ld(s, MO_16, v, la);
    IR_CALL(s->f, helper_fldcw, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(v));
    ir_temp_free(s->f, IRT(v));
    ir_temp_free(s->f, IRT(la));
    return true;
}

static bool gen_fnst16(DisasContext *s, const DecodedInsn *d, uint32_t (*fn)(CPUX86State *))
{
    IRv64 v;

    if (!x87_check(s, false)) {
        return true;
    }
    v = ir_temp_i64(s->f);
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IRT(v), ENV(s));
    if (d->has_mem) {
        IRv64 la = gen_lea_mem(s, d, 2);
        gen_st(s, MO_16, v, la);
        ir_temp_free(s->f, IRT(la));
    } else {
        gen_set_reg(s, MO_16, R_EAX, false, v);
    }
    ir_temp_free(s->f, IRT(v));
    return true;
}

TRANS(fnstcw) { return gen_fnst16(s, d, helper_fnstcw); }
TRANS(fnstsw) { return gen_fnst16(s, d, helper_fnstsw); }

typedef void (*X87EnvFn)(CPUX86State *env, uint64_t addr, uint32_t data32);

static bool gen_fenv(DisasContext *s, const DecodedInsn *d, X87EnvFn fn, bool waits,
                     unsigned size16, unsigned size32)
{
    bool data32 = d->opsize != 2;
    IRv64 la;

    if (!x87_check(s, waits)) {
        return true;
    }
    la = gen_lea_mem(s, d, data32 ? size32 : size16);
    IR_CALL(s->f, fn, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s), IRT(la), c32(s, data32));
    ir_temp_free(s->f, IRT(la));
    return true;
}

TRANS(fnstenv) { return gen_fenv(s, d, helper_fnstenv, false, 14, 28); }
TRANS(fldenv) { return gen_fenv(s, d, helper_fldenv, true, 14, 28); }
TRANS(fnsave) { return gen_fenv(s, d, helper_fnsave, false, 94, 108); }
TRANS(frstor) { return gen_fenv(s, d, helper_frstor, true, 94, 108); }
