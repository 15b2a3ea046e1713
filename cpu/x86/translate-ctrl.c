/*
 * Translation of control transfers: Jcc, JMP, CALL, RET (near, direct and
 * indirect, with 16/32/64-bit operand sizes and IP wrapping), LOOP*, JCXZ,
 * INT n/INT3/INTO/INT1, far JMP/CALL/RET and IRET (real and v86 mode inline,
 * protected mode through the system helpers).  SDM vol. 2 and vol. 3A ch. 6.
 */
#include "cpu/x86/translate.h"

#pragma weak helper_ljmp
#pragma weak helper_lcall
#pragma weak helper_lret
#pragma weak helper_iret

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

/* Near branch target operand size: 64 in 64-bit mode, else the operand size. */
static unsigned branch_ot(DisasContext *s, const DecodedInsn *d)
{
    return s->code64 ? MO_64 : mo_from_size(d->opsize);
}

static uint64_t rel_target(const DecodedInsn *d)
{
    return d->op[0].imm;
}

TRANS(jcc)
{
    IRLabel taken = ir_label_new(s->f);
    IRv64 v = T64();

    gen_update_cc_op(s);
    gen_setcc_insn_start(s, d->opcode & 15, v);
    ir_brcondi_i64(s->f, IR_COND_NE, v, 0, taken);
    FREE(v);
    gen_jmp_to(s, s->next_eip, 0);
    ir_set_label(s->f, taken);
    gen_jmp_to(s, rel_target(d), 1);
    return true;
}

TRANS(jmp)
{
    gen_jmp_to(s, rel_target(d), 0);
    return true;
}

TRANS(call)
{
    unsigned ot = branch_ot(s, d);
    IRv64 ret = T64();

    ir_movi_i64(s->f, ret, s->next_eip);
    gen_push(s, ot, ret);
    FREE(ret);
    gen_jmp_to(s, rel_target(d), 0);
    return true;
}

TRANS(jmp_ind)
{
    unsigned ot = branch_ot(s, d);
    IRv64 t = T64();

    gen_load_operand(s, d, 0, t, NULL);
    gen_jmp_reg(s, ot, t);
    FREE(t);
    return true;
}

TRANS(call_ind)
{
    unsigned ot = branch_ot(s, d);
    IRv64 t = T64(), ret = T64();

    gen_load_operand(s, d, 0, t, NULL);
    ir_movi_i64(s->f, ret, s->next_eip);
    gen_push(s, ot, ret);
    gen_jmp_reg(s, ot, t);
    FREE(t);
    FREE(ret);
    return true;
}

TRANS(ret)
{
    unsigned ot = branch_ot(s, d);
    IRv64 t = T64();

    gen_pop_peek(s, ot, t);
    gen_add_sp(s, (1 << ot) + (d->nops > 0 ? (int64_t)(d->op[0].imm & 0xffff) : 0));
    gen_jmp_reg(s, ot, t);
    FREE(t);
    return true;
}

/* rCX of the address size; returns the temp. */
static IRv64 gen_get_cx(DisasContext *s, const DecodedInsn *d)
{
    IRv64 cx = T64();

    gen_get_reg(s, mo_from_size(d->addrsize), cx, R_ECX, false);
    return cx;
}

static void gen_loop_common(DisasContext *s, const DecodedInsn *d, int zf_cond)
{
    IRLabel taken = ir_label_new(s->f);
    IRLabel not_taken = ir_label_new(s->f);
    unsigned aot = mo_from_size(d->addrsize);
    IRv64 cx = T64();

    gen_update_cc_op(s);
    ir_subi_i64(s->f, cx, s->regs[R_ECX], 1);
    gen_set_reg(s, aot, R_ECX, false, cx);
    gen_get_reg(s, aot, cx, R_ECX, false);
    if (zf_cond >= 0) {
        IRv64 z = T64();
        ir_brcondi_i64(s->f, IR_COND_EQ, cx, 0, not_taken);
        /* LOOPE: continue while ZF = 1 (cc 4 = E); LOOPNE: while ZF = 0 (cc 5). */
        gen_setcc(s, zf_cond, z);
        ir_brcondi_i64(s->f, IR_COND_NE, z, 0, taken);
        FREE(z);
    } else {
        ir_brcondi_i64(s->f, IR_COND_NE, cx, 0, taken);
    }
    FREE(cx);
    ir_set_label(s->f, not_taken);
    gen_jmp_to(s, s->next_eip, 0);
    ir_set_label(s->f, taken);
    gen_jmp_to(s, rel_target(d), 1);
}

TRANS(loop) { gen_loop_common(s, d, -1); return true; }
TRANS(loope) { gen_loop_common(s, d, 4); return true; }
TRANS(loopne) { gen_loop_common(s, d, 5); return true; }

TRANS(jcxz)
{
    IRLabel taken = ir_label_new(s->f);
    IRv64 cx;

    gen_update_cc_op(s);
    cx = gen_get_cx(s, d);
    ir_brcondi_i64(s->f, IR_COND_EQ, cx, 0, taken);
    FREE(cx);
    gen_jmp_to(s, s->next_eip, 0);
    ir_set_label(s->f, taken);
    gen_jmp_to(s, rel_target(d), 1);
    return true;
}

/* ---- software interrupts ---- */

static void gen_swint(DisasContext *s, int vector)
{
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_raise_interrupt, 0, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, (uint32_t)vector)),
            IRT(ir_const_i32(s->f, (uint32_t)(s->next_eip - s->eip))));
}

TRANS(int)
{
    gen_swint(s, (int)(d->op[0].imm & 0xff));
    ir_exit_tb(s->f, IR_EXIT_NOCHAIN, 0);
    s->is_jmp = DISAS_NORETURN;
    return true;
}

TRANS(int3)
{
    gen_swint(s, EXCP_BP);
    ir_exit_tb(s->f, IR_EXIT_NOCHAIN, 0);
    s->is_jmp = DISAS_NORETURN;
    return true;
}

TRANS(int1)
{
    gen_swint(s, EXCP_DB);
    ir_exit_tb(s->f, IR_EXIT_NOCHAIN, 0);
    s->is_jmp = DISAS_NORETURN;
    return true;
}

TRANS(into)
{
    IRLabel skip = ir_label_new(s->f);

    gen_update_cc_op(s);
    gen_jcc(s, 1 /* NO */, skip);
    gen_swint(s, EXCP_OF);
    ir_set_label(s->f, skip);
    return true;
}

/* ---- far transfers ---- */

static bool real_or_v86(DisasContext *s)
{
    return !s->pe || s->vm86;
}

/* Real/v86 mode: CS = sel (base sel << 4), EIP = off; the block ends. */
static void gen_far_jump_real(DisasContext *s, IRv64 sel, IRv64 off, unsigned ot)
{
    IRv64 base = T64();

    ir_st16_i64(s->f, sel, ir_env(s->f), offsetof(CPUX86State, segs[R_CS].selector));
    ir_andi_i64(s->f, base, sel, 0xffff);
    ir_shli_i64(s->f, base, base, 4);
    ir_st_i64(s->f, base, ir_env(s->f), offsetof(CPUX86State, segs[R_CS].base));
    ir_mov_i64(s->f, base, off);
    gen_extu(s, ot, base);
    ir_mov_i64(s->f, s->rip, base);
    FREE(base);
    s->is_jmp = DISAS_EOB_ONLY;
}

/* Far pointer operand: offset (operand size) then selector. */
static void gen_load_far_ptr(DisasContext *s, const DecodedInsn *d, IRv64 sel, IRv64 off)
{
    if (d->op[0].kind == X86_OPK_FAR) {
        ir_movi_i64(s->f, off, d->op[0].imm);
        ir_movi_i64(s->f, sel, d->op[0].sel);
    } else {
        unsigned ot = mo_from_size(d->opsize);
        IRv64 la = gen_lea_mem(s, d, (1u << ot) + 2);
        gen_ld(s, ot, off, la);
        ir_addi_i64(s->f, la, la, 1u << ot);
        if (!s->code64) {
            ir_ext32u_i64(s->f, la, la);
        }
        gen_ld(s, MO_16, sel, la);
        FREE(la);
    }
}

static bool gen_far(DisasContext *s, const DecodedInsn *d, bool call)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 sel = T64(), off = T64();

    gen_load_far_ptr(s, d, sel, off);
    if (real_or_v86(s)) {
        if (call) {
            IRv64 t = T64();
            ir_ld16u_i64(s->f, t, ir_env(s->f), offsetof(CPUX86State, segs[R_CS].selector));
            gen_push(s, ot, t);
            ir_movi_i64(s->f, t, s->next_eip);
            gen_push(s, ot, t);
            FREE(t);
        }
        gen_far_jump_real(s, sel, off, ot);
    } else {
        if (!(call ? (void *)helper_lcall : (void *)helper_ljmp)) {
            FREE(sel);
            FREE(off);
            return false;
        }
        gen_update_cc_op(s);
        gen_update_eip_cur(s);
        if (call) {
            IR_CALL(s->f, helper_lcall, 0, IR_NO_TEMP, ENV(s), IRT(sel), IRT(off),
                    IRT(ir_const_i32(s->f, ot - 1)),
                    IRT(ir_const_i32(s->f, (uint32_t)s->next_eip)));
        } else {
            IR_CALL(s->f, helper_ljmp, 0, IR_NO_TEMP, ENV(s), IRT(sel), IRT(off),
                    IRT(ir_const_i32(s->f, (uint32_t)s->next_eip)));
        }
        s->cc_op = CC_OP_DYNAMIC;
        s->is_jmp = DISAS_EOB_ONLY;
    }
    FREE(sel);
    FREE(off);
    return true;
}

TRANS(jmpf) { return gen_far(s, d, false); }
TRANS(jmpf_ind) { return gen_far(s, d, false); }
TRANS(callf) { return gen_far(s, d, true); }
TRANS(callf_ind) { return gen_far(s, d, true); }

TRANS(retf)
{
    unsigned ot = mo_from_size(d->opsize);
    int64_t imm = d->nops > 0 ? (int64_t)(d->op[0].imm & 0xffff) : 0;

    if (real_or_v86(s)) {
        IRv64 sel = T64(), off = T64();
        /* Both reads before RSP changes, so a fault leaves the stack as it was. */
        gen_stack_load(s, ot, off, 0);
        gen_stack_load(s, ot, sel, 1 << ot);
        gen_add_sp(s, 2 * (1 << ot) + imm);
        gen_far_jump_real(s, sel, off, ot);
        FREE(sel);
        FREE(off);
        return true;
    }
    if (!helper_lret) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_lret, 0, IR_NO_TEMP, ENV(s), IRT(ir_const_i32(s->f, ot - 1)),
            IRT(ir_const_i32(s->f, (uint32_t)imm)));
    s->cc_op = CC_OP_DYNAMIC;
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}

TRANS(iret)
{
    unsigned ot = mo_from_size(d->opsize);

    if (!s->pe) {
        IRv64 ip = T64(), cs = T64(), fl = T64();
        uint64_t mask = ot == MO_16 ? 0xffff & ~(uint64_t)0 :
                        (X86_FL_ALL & ~(uint64_t)(X86_EFL_VM | X86_EFL_VIF | X86_EFL_VIP));
        gen_stack_load(s, ot, ip, 0);
        gen_stack_load(s, ot, cs, 1 << ot);
        gen_stack_load(s, ot, fl, 2 << ot);
        gen_add_sp(s, 3 << ot);
        gen_update_cc_op(s);
        IR_CALL(s->f, helper_write_eflags, 0, IR_NO_TEMP, ENV(s), IRT(fl),
                IRT(ir_const_i64(s->f, mask & X86_FL_ALL)));
        s->cc_op = CC_OP_EFLAGS;
        s->cc_op_dirty = false;
        gen_far_jump_real(s, cs, ip, ot);
        FREE(ip);
        FREE(cs);
        FREE(fl);
        return true;
    }
    if (!helper_iret) {
        return false;
    }
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_iret, 0, IR_NO_TEMP, ENV(s), IRT(ir_const_i32(s->f, ot - 1)),
            IRT(ir_const_i32(s->f, (uint32_t)s->next_eip)));
    s->cc_op = CC_OP_DYNAMIC;
    s->is_jmp = DISAS_EOB_ONLY;
    return true;
}
