/*
 * Translation of stack instructions: PUSH/POP (registers, memory,
 * immediates, segment registers), PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE.
 * Every store happens before rSP changes, so a fault leaves rSP intact.
 * SDM vol. 2: PUSH, POP, PUSHA, POPA, PUSHF, POPF, ENTER, LEAVE.
 */
#include "cpu/x86/translate.h"

#pragma weak helper_enter_level

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

TRANS(push)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_load_operand(s, d, 0, v, NULL);
    gen_push(s, ot, v);
    FREE(v);
    return true;
}

TRANS(pop)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_pop_peek(s, ot, v);
    if (d->op[0].kind == X86_OPK_MEM) {
        /* The address uses rSP after the pop (SDM POP): compute it that way. */
        gen_add_sp(s, 1 << ot);
        gen_store_operand(s, d, 0, v, NULL);
    } else {
        gen_pop_update(s, ot);
        gen_store_operand(s, d, 0, v, NULL);
    }
    FREE(v);
    return true;
}

TRANS(push_seg)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_load_operand(s, d, 0, v, NULL);
    gen_push(s, ot, v);
    FREE(v);
    return true;
}

TRANS(pop_seg)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();
    bool ok;

    gen_pop_peek(s, ot, v);
    ok = gen_load_seg(s, d->op[0].reg, v);
    if (ok) {
        gen_pop_update(s, ot);
    }
    FREE(v);
    return ok;
}

TRANS(pusha)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();
    int n = 1 << ot;

    /* Pushed in order EAX..EDI; the value of ESP is the one before the first push. */
    for (int i = 0; i < 8; i++) {
        gen_get_reg(s, ot, v, i, false);
        gen_stack_store(s, ot, v, -(int64_t)n * (i + 1));
    }
    gen_add_sp(s, -8 * n);
    FREE(v);
    return true;
}

TRANS(popa)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v[8];
    int n = 1 << ot;

    for (int i = 0; i < 8; i++) {
        v[i] = T64();
        if (i != R_ESP) {
            gen_stack_load(s, ot, v[i], (int64_t)n * (7 - i));
        }
    }
    for (int i = 0; i < 8; i++) {
        if (i != R_ESP) {
            gen_set_reg(s, ot, i, false, v[i]);
        }
        FREE(v[i]);
    }
    gen_add_sp(s, 8 * n);
    return true;
}

/* v86 mode without VME: PUSHF/POPF fault unless IOPL = 3. */
static bool v86_iopl_fault(DisasContext *s)
{
    if (s->vm86 && s->iopl < 3) {
        gen_exception_err(s, EXCP_GP, 0);
        return true;
    }
    return false;
}

TRANS(pushf)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    if (!v86_iopl_fault(s)) {
        gen_update_cc_op(s);
        IR_CALL(s->f, helper_read_eflags, IR_CALL_NO_WRITE_GLOBALS, IRT(v), ENV(s));
        gen_push(s, ot, v);
    }
    FREE(v);
    return true;
}

TRANS(popf)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();
    uint64_t mask = X86_EFL_STATUS | X86_EFL_TF | X86_EFL_DF | X86_EFL_NT | X86_EFL_AC |
                    X86_EFL_ID;

    if (v86_iopl_fault(s)) {
        FREE(v);
        return true;
    }
    if (s->cpl == 0 || !s->pe) {
        mask |= X86_EFL_IOPL;
    }
    if (!s->pe || s->cpl <= s->iopl) {
        mask |= X86_EFL_IF;
    }
    if (ot == MO_16) {
        mask &= 0xffff;
    }
    gen_pop_peek(s, ot, v);
    gen_update_cc_op(s);
    IR_CALL(s->f, helper_write_eflags, 0, IR_NO_TEMP, ENV(s), IRT(v),
            IRT(ir_const_i64(s->f, mask)));
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    gen_pop_update(s, ot);
    /* TF, IF or AC may have changed: they are part of the block key. */
    s->is_jmp = DISAS_EOB_NEXT;
    FREE(v);
    return true;
}

TRANS(enter)
{
    unsigned ot = mo_from_size(d->opsize);
    unsigned aot = gen_stack_aot(s);
    uint64_t size = d->op[0].imm & 0xffff;
    unsigned level = d->op[1].imm & 31;
    int n = 1 << ot;
    IRv64 v = T64(), fp = T64();

    gen_get_reg(s, ot, v, R_EBP, false);
    gen_stack_store(s, ot, v, -n);
    ir_subi_i64(s->f, fp, s->regs[R_ESP], (uint64_t)n);
    gen_extu(s, aot, fp);
    if (level) {
        if (!helper_enter_level) {
            FREE(v);
            FREE(fp);
            return false;
        }
        IR_CALL(s->f, helper_enter_level, 0, IR_NO_TEMP, ENV(s),
                IRT(ir_const_i32(s->f, level)), IRT(ir_const_i32(s->f, ot - 1)), IRT(fp));
    }
    /* rBP = frame pointer; rSP = frame - level * size - locals. */
    gen_set_reg(s, ot, R_EBP, false, fp);
    ir_subi_i64(s->f, v, fp, (uint64_t)level * (uint64_t)n + size);
    gen_set_reg(s, aot, R_ESP, false, v);
    FREE(v);
    FREE(fp);
    return true;
}

TRANS(leave)
{
    unsigned ot = mo_from_size(d->opsize);
    unsigned aot = gen_stack_aot(s);
    IRv64 v = T64(), sp = T64(), a;

    /* Read the saved rBP at the new rSP before changing any register. */
    ir_mov_i64(s->f, sp, s->regs[R_EBP]);
    gen_extu(s, aot, sp);
    a = gen_linear(s, R_SS, sp, 1u << ot);
    gen_ld(s, ot, v, a);
    ir_addi_i64(s->f, sp, sp, 1u << ot);
    gen_set_reg(s, aot, R_ESP, false, sp);
    gen_set_reg(s, ot, R_EBP, false, v);
    FREE(v);
    FREE(sp);
    FREE(a);
    return true;
}
