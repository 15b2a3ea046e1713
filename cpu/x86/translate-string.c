/*
 * Translation of string instructions: MOVS, STOS, LODS, SCAS, CMPS, INS,
 * OUTS, with REP/REPE/REPNE.  A repeated instruction runs one element per
 * pass and then jumps back to itself, so it is interruptible and restartable
 * at the exact element (rCX, rSI, rDI always describe the next element).
 * SDM vol. 2: MOVS, STOS, LODS, SCAS, CMPS, INS, OUTS, REP prefixes.
 */
#include "cpu/x86/translate.h"

#pragma weak helper_check_io

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

typedef enum StrOp { STR_MOVS, STR_STOS, STR_LODS, STR_SCAS, STR_CMPS, STR_INS,
                     STR_OUTS } StrOp;

/* rSI/rDI += DF * size, in the address size. */
static void gen_str_advance(DisasContext *s, const DecodedInsn *d, int reg, unsigned ot)
{
    IRv64 t = T64();

    ir_shli_i64(s->f, t, s->df, ot);
    ir_add_i64(s->f, t, t, s->regs[reg]);
    gen_set_reg(s, mo_from_size(d->addrsize), reg, false, t);
    FREE(t);
}

/* Operand index of the string operand reading seg:rSI / writing ES:rDI. */
static int str_operand(const DecodedInsn *d, int reg)
{
    for (int i = 0; i < d->nops; i++) {
        if (d->op[i].kind == X86_OPK_STR && d->op[i].reg == reg) {
            return i;
        }
    }
    return -1;
}

static bool gen_io_check(DisasContext *s, unsigned ot, IRv64 port)
{
    if (s->pe && (s->cpl > s->iopl || s->vm86)) {
        if (!helper_check_io) {
            return false;
        }
        IR_CALL(s->f, helper_check_io, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
                IRT(port), IRT(ir_const_i32(s->f, 1u << ot)));
    }
    return true;
}

/* One element of the string operation. */
static void gen_str_element(DisasContext *s, const DecodedInsn *d, StrOp op, unsigned ot)
{
    int src = str_operand(d, R_ESI), dst = str_operand(d, R_EDI);
    IRv64 a = T64(), b = T64();

    switch (op) {
    case STR_MOVS:
        gen_load_operand(s, d, src, a, NULL);
        gen_store_operand(s, d, dst, a, NULL);
        gen_str_advance(s, d, R_ESI, ot);
        gen_str_advance(s, d, R_EDI, ot);
        break;
    case STR_STOS:
        gen_get_reg(s, ot, a, R_EAX, false);
        gen_store_operand(s, d, dst, a, NULL);
        gen_str_advance(s, d, R_EDI, ot);
        break;
    case STR_LODS:
        gen_load_operand(s, d, src, a, NULL);
        gen_set_reg(s, ot, R_EAX, false, a);
        gen_str_advance(s, d, R_ESI, ot);
        break;
    case STR_SCAS:
        gen_get_reg(s, ot, a, R_EAX, false);
        gen_load_operand(s, d, dst, b, NULL);
        ir_sub_i64(s->f, s->cc_dst, a, b);
        ir_mov_i64(s->f, s->cc_src, b);
        gen_set_cc_op(s, CC_OP_SUBB + ot);
        gen_str_advance(s, d, R_EDI, ot);
        break;
    case STR_CMPS:
        gen_load_operand(s, d, src, a, NULL);
        gen_load_operand(s, d, dst, b, NULL);
        ir_sub_i64(s->f, s->cc_dst, a, b);
        ir_mov_i64(s->f, s->cc_src, b);
        gen_set_cc_op(s, CC_OP_SUBB + ot);
        gen_str_advance(s, d, R_ESI, ot);
        gen_str_advance(s, d, R_EDI, ot);
        break;
    case STR_INS: {
        IRv64 la;
        IRv64 off = T64();
        ir_mov_i64(s->f, off, s->regs[R_EDI]);
        gen_extu(s, mo_from_size(d->addrsize), off);
        la = gen_linear(s, R_ES, off, 1u << ot);
        /* Probe the destination first: the port read must not happen if it faults. */
        gen_ld(s, ot, b, la);
        gen_get_reg(s, MO_16, b, R_EDX, false);
        IR_CALL(s->f, x86_io_read, 0, IRT(a), ENV(s), IRT(b),
                IRT(ir_const_i32(s->f, 1u << ot)));
        gen_st(s, ot, a, la);
        FREE(la);
        FREE(off);
        gen_str_advance(s, d, R_EDI, ot);
        break;
    }
    case STR_OUTS:
        gen_load_operand(s, d, src, a, NULL);
        gen_get_reg(s, MO_16, b, R_EDX, false);
        IR_CALL(s->f, x86_io_write, 0, IR_NO_TEMP, ENV(s), IRT(b),
                IRT(ir_const_i32(s->f, 1u << ot)), IRT(a));
        gen_str_advance(s, d, R_ESI, ot);
        break;
    }
    FREE(a);
    FREE(b);
}

static bool gen_string(DisasContext *s, const DecodedInsn *d, StrOp op)
{
    int sop = str_operand(d, R_EDI) >= 0 ? str_operand(d, R_EDI) : str_operand(d, R_ESI);
    unsigned ot = sop >= 0 ? gen_op_ot(d, sop) : mo_from_size(d->opsize);
    unsigned aot = mo_from_size(d->addrsize);
    IRLabel done;
    IRv64 cx;

    if (op == STR_INS || op == STR_OUTS) {
        IRv64 port = T64();
        bool ok;
        gen_get_reg(s, MO_16, port, R_EDX, false);
        ok = gen_io_check(s, ot, port);
        FREE(port);
        if (!ok) {
            return false;
        }
    }
    if (d->rep == X86_REP_NONE) {
        gen_str_element(s, d, op, ot);
        return true;
    }
    /*
     * rCX == 0: nothing.  Otherwise one element, rCX - 1, then stop when
     * rCX == 0 or the REPE/REPNE condition fails, else run this instruction
     * again (a block exit, so interrupts and the budget are honoured).
     */
    gen_update_cc_op(s);
    done = ir_label_new(s->f);
    cx = T64();
    gen_get_reg(s, aot, cx, R_ECX, false);
    ir_brcondi_i64(s->f, IR_COND_EQ, cx, 0, done);
    gen_str_element(s, d, op, ot);
    ir_subi_i64(s->f, cx, s->regs[R_ECX], 1);
    gen_set_reg(s, aot, R_ECX, false, cx);
    gen_update_cc_op(s);
    gen_get_reg(s, aot, cx, R_ECX, false);
    ir_brcondi_i64(s->f, IR_COND_EQ, cx, 0, done);
    if (op == STR_SCAS || op == STR_CMPS) {
        IRv64 z = T64();
        gen_setcc(s, 4, z); /* ZF */
        ir_brcondi_i64(s->f, d->rep == X86_REP_REPE ? IR_COND_EQ : IR_COND_NE, z, 0, done);
        FREE(z);
    }
    FREE(cx);
    gen_jmp_to(s, s->eip, 1);
    ir_set_label(s->f, done);
    s->cc_op = CC_OP_DYNAMIC;
    s->cc_op_dirty = false;
    gen_jmp_to(s, s->next_eip, 0);
    return true;
}

TRANS(movs) { return gen_string(s, d, STR_MOVS); }
TRANS(stos) { return gen_string(s, d, STR_STOS); }
TRANS(lods) { return gen_string(s, d, STR_LODS); }
TRANS(scas) { return gen_string(s, d, STR_SCAS); }
TRANS(cmps) { return gen_string(s, d, STR_CMPS); }
TRANS(ins) { return gen_string(s, d, STR_INS); }
TRANS(outs) { return gen_string(s, d, STR_OUTS); }
