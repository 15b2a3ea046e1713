/*
 * Translation of the integer ALU and data-movement instructions: ADD..CMP,
 * INC/DEC, NEG/NOT, TEST, MOV/MOVZX/MOVSX/MOVSXD, LEA, XCHG, CBW/CWD,
 * CMOVcc/SETcc, BT*, BSF/BSR/TZCNT/LZCNT/POPCNT, BSWAP, MOVBE, XADD,
 * CMPXCHG*, MUL/IMUL, DIV/IDIV.  Semantics and flags per SDM vol. 2.
 */
#include "cpu/x86/translate.h"
#include "cpu/x86/int_helper.h"

typedef enum AluOp { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,
                     ALU_CMP } AluOp;

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

static bool is_mem(const DecodedInsn *d, int n)
{
    return d->op[n].kind == X86_OPK_MEM;
}

static void gen_alu(DisasContext *s, const DecodedInsn *d, AluOp op)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), b = T64(), r = T64(), c = T64(), la = {0};
    bool mem = is_mem(d, 0);

    if (op == ALU_ADC || op == ALU_SBB) {
        /* The carry in first: it may branch (gen_compute_c_insn_start). */
        gen_compute_c_insn_start(s, c);
    }
    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    gen_load_operand(s, d, 1, b, NULL);
    switch (op) {
    case ALU_ADD:
        ir_add_i64(s->f, r, a, b);
        break;
    case ALU_ADC:
        ir_add_i64(s->f, r, a, b);
        ir_add_i64(s->f, r, r, c);
        break;
    case ALU_SUB:
    case ALU_CMP:
        ir_sub_i64(s->f, r, a, b);
        break;
    case ALU_SBB:
        ir_sub_i64(s->f, r, a, b);
        ir_sub_i64(s->f, r, r, c);
        break;
    case ALU_AND:
        ir_and_i64(s->f, r, a, b);
        break;
    case ALU_OR:
        ir_or_i64(s->f, r, a, b);
        break;
    case ALU_XOR:
        ir_xor_i64(s->f, r, a, b);
        break;
    }
    if (op != ALU_CMP) {
        gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    }
    ir_mov_i64(s->f, s->cc_dst, r);
    switch (op) {
    case ALU_ADD:
        ir_mov_i64(s->f, s->cc_src, b);
        gen_set_cc_op(s, CC_OP_ADDB + ot);
        break;
    case ALU_ADC:
        ir_mov_i64(s->f, s->cc_src, b);
        ir_mov_i64(s->f, s->cc_src2, c);
        gen_set_cc_op(s, CC_OP_ADCB + ot);
        break;
    case ALU_SUB:
    case ALU_CMP:
        ir_mov_i64(s->f, s->cc_src, b);
        gen_set_cc_op(s, CC_OP_SUBB + ot);
        gen_note_sub_minuend(s, ot, a);
        break;
    case ALU_SBB:
        ir_mov_i64(s->f, s->cc_src, b);
        ir_mov_i64(s->f, s->cc_src2, c);
        gen_set_cc_op(s, CC_OP_SBBB + ot);
        break;
    default:
        gen_set_cc_op(s, CC_OP_LOGICB + ot);
        break;
    }
    FREE(a);
    FREE(b);
    FREE(r);
    FREE(c);
    if (mem) {
        FREE(la);
    }
}

TRANS(add) { gen_alu(s, d, ALU_ADD); return true; }
TRANS(or) { gen_alu(s, d, ALU_OR); return true; }
TRANS(adc) { gen_alu(s, d, ALU_ADC); return true; }
TRANS(sbb) { gen_alu(s, d, ALU_SBB); return true; }
TRANS(and) { gen_alu(s, d, ALU_AND); return true; }
TRANS(sub) { gen_alu(s, d, ALU_SUB); return true; }
TRANS(xor) { gen_alu(s, d, ALU_XOR); return true; }
TRANS(cmp) { gen_alu(s, d, ALU_CMP); return true; }

TRANS(test)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), b = T64();

    gen_load_operand(s, d, 0, a, NULL);
    gen_load_operand(s, d, 1, b, NULL);
    ir_and_i64(s->f, s->cc_dst, a, b);
    gen_set_cc_op(s, CC_OP_LOGICB + ot);
    FREE(a);
    FREE(b);
    return true;
}

static void gen_incdec(DisasContext *s, const DecodedInsn *d, int delta)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), c = T64(), la = {0};
    bool mem = is_mem(d, 0);

    gen_compute_c_insn_start(s, c);
    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    ir_addi_i64(s->f, a, a, (uint64_t)(int64_t)delta);
    gen_store_operand(s, d, 0, a, mem ? &la : NULL);
    ir_mov_i64(s->f, s->cc_dst, a);
    ir_mov_i64(s->f, s->cc_src, c);
    gen_set_cc_op(s, (delta > 0 ? CC_OP_INCB : CC_OP_DECB) + ot);
    FREE(a);
    FREE(c);
    if (mem) {
        FREE(la);
    }
}

TRANS(inc) { gen_incdec(s, d, 1); return true; }
TRANS(dec) { gen_incdec(s, d, -1); return true; }

TRANS(neg)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), r = T64(), la = {0};
    bool mem = is_mem(d, 0);

    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    ir_neg_i64(s->f, r, a);
    gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    ir_mov_i64(s->f, s->cc_dst, r);
    ir_mov_i64(s->f, s->cc_src, a);
    gen_set_cc_op(s, CC_OP_SUBB + ot);
    FREE(a);
    FREE(r);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(not)
{
    IRv64 a = T64(), la = {0};
    bool mem = is_mem(d, 0);

    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    ir_not_i64(s->f, a, a);
    gen_store_operand(s, d, 0, a, mem ? &la : NULL);
    FREE(a);
    if (mem) {
        FREE(la);
    }
    return true;
}

/* ---- moves ---- */

TRANS(mov)
{
    IRv64 v = T64();

    gen_load_operand(s, d, 1, v, NULL);
    gen_store_operand(s, d, 0, v, NULL);
    FREE(v);
    return true;
}

/* gen_load_operand zero-extends, so MOVZX is MOV with a narrower source. */
TRANS(movzx)
{
    return trans_mov(s, d);
}

TRANS(movsx)
{
    IRv64 v = T64();

    gen_load_operand(s, d, 1, v, NULL);
    gen_exts(s, gen_op_ot(d, 1), v);
    gen_store_operand(s, d, 0, v, NULL);
    FREE(v);
    return true;
}

TRANS(movsxd)
{
    IRv64 v = T64();

    gen_load_operand(s, d, 1, v, NULL);
    gen_exts(s, gen_op_ot(d, 1), v);
    gen_store_operand(s, d, 0, v, NULL);
    FREE(v);
    return true;
}

TRANS(movnti)
{
    return trans_mov(s, d);
}

TRANS(lea)
{
    IRv64 a = gen_ea_offset(s, d);

    gen_store_operand(s, d, 0, a, NULL);
    FREE(a);
    return true;
}

TRANS(xchg)
{
    IRv64 a = T64(), b = T64(), la = {0};
    bool mem = is_mem(d, 0);

    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    gen_load_operand(s, d, 1, b, NULL);
    gen_store_operand(s, d, 0, b, mem ? &la : NULL);
    gen_store_operand(s, d, 1, a, NULL);
    FREE(a);
    FREE(b);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(cbw)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_get_reg(s, ot - 1, v, R_EAX, false);
    gen_exts(s, ot - 1, v);
    gen_set_reg(s, ot, R_EAX, false, v);
    FREE(v);
    return true;
}

TRANS(cwd)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_get_reg(s, ot, v, R_EAX, false);
    gen_exts(s, ot, v);
    ir_sari_i64(s->f, v, v, 63);
    gen_set_reg(s, ot, R_EDX, false, v);
    FREE(v);
    return true;
}

TRANS(cmovcc)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), old = T64(), c = T64();

    gen_setcc_insn_start(s, d->opcode & 15, c);
    gen_load_operand(s, d, 1, v, NULL);
    gen_get_reg(s, ot, old, d->op[0].reg, false);
    ir_movcond_i64(s->f, IR_COND_NE, v, c, ir_const_i64(s->f, 0), v, old);
    gen_set_reg(s, ot, d->op[0].reg, false, v);
    FREE(v);
    FREE(old);
    FREE(c);
    return true;
}

TRANS(setcc)
{
    IRv64 v = T64();

    gen_setcc_insn_start(s, d->opcode & 15, v);
    gen_store_operand(s, d, 0, v, NULL);
    FREE(v);
    return true;
}

/* ---- bit operations ---- */

typedef enum BitOp { BIT_TEST, BIT_SET, BIT_RESET, BIT_COMPLEMENT } BitOp;

static void gen_bitop(DisasContext *s, const DecodedInsn *d, BitOp op)
{
    unsigned ot = gen_op_ot(d, 0);
    unsigned bits = 8u << ot;
    IRv64 v = T64(), off = T64(), bit = T64(), mask = T64(), fl = T64(), la = {0};
    bool mem = is_mem(d, 0);

    gen_load_operand(s, d, 1, off, NULL);
    if (mem && d->op[1].kind != X86_OPK_IMM) {
        /* A register bit offset reaches outside the operand: signed, in operand units. */
        IRv64 disp = T64(), ea = gen_ea_offset(s, d);
        ir_mov_i64(s->f, disp, off);
        gen_exts(s, ot, disp);
        ir_sari_i64(s->f, disp, disp, 3 + ot);
        ir_shli_i64(s->f, disp, disp, ot);
        ir_add_i64(s->f, ea, ea, disp);
        if (d->addrsize == 2) {
            ir_ext16u_i64(s->f, ea, ea);
        } else if (d->addrsize == 4) {
            ir_ext32u_i64(s->f, ea, ea);
        }
        la = gen_linear(s, d->mem.seg, ea, 1u << ot);
        gen_ld(s, ot, v, la);
        FREE(disp);
        FREE(ea);
    } else {
        gen_load_operand(s, d, 0, v, mem ? &la : NULL);
    }
    ir_andi_i64(s->f, bit, off, bits - 1);
    ir_shl_i64(s->f, mask, ir_const_i64(s->f, 1), bit);
    gen_compute_eflags(s, fl);
    ir_shr_i64(s->f, bit, v, bit);
    ir_andi_i64(s->f, bit, bit, 1);
    switch (op) {
    case BIT_SET:
        ir_or_i64(s->f, v, v, mask);
        break;
    case BIT_RESET:
        ir_andc_i64(s->f, v, v, mask);
        break;
    case BIT_COMPLEMENT:
        ir_xor_i64(s->f, v, v, mask);
        break;
    default:
        break;
    }
    if (op != BIT_TEST) {
        if (mem) {
            gen_st(s, ot, v, la);
        } else {
            gen_store_operand(s, d, 0, v, NULL);
        }
    }
    ir_andi_i64(s->f, fl, fl, ~(uint64_t)X86_EFL_CF);
    ir_or_i64(s->f, s->cc_src, fl, bit);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(v);
    FREE(off);
    FREE(bit);
    FREE(mask);
    FREE(fl);
    if (mem) {
        FREE(la);
    }
}

TRANS(bt) { gen_bitop(s, d, BIT_TEST); return true; }
TRANS(bts) { gen_bitop(s, d, BIT_SET); return true; }
TRANS(btr) { gen_bitop(s, d, BIT_RESET); return true; }
TRANS(btc) { gen_bitop(s, d, BIT_COMPLEMENT); return true; }

static void gen_bitscan(DisasContext *s, const DecodedInsn *d, bool reverse)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), old = T64(), r = T64();

    gen_load_operand(s, d, 1, v, NULL);
    gen_get_reg(s, MO_64, old, d->op[0].reg, false);
    if (reverse) {
        /* index of the highest set bit = 63 - clz (v is zero-extended) */
        ir_clz_i64(s->f, r, v, ir_const_i64(s->f, 64));
        ir_xori_i64(s->f, r, r, 63);
    } else {
        ir_ctz_i64(s->f, r, v, ir_const_i64(s->f, 64));
    }
    /* Source zero: the destination is not written at all (what CPUs do), ZF = 1. */
    gen_set_reg(s, ot, d->op[0].reg, false, r);
    ir_movcond_i64(s->f, IR_COND_EQ, s->regs[d->op[0].reg], v, ir_const_i64(s->f, 0), old,
                   s->regs[d->op[0].reg]);
    ir_mov_i64(s->f, s->cc_dst, v);
    gen_set_cc_op(s, CC_OP_LOGICB + ot);
    FREE(v);
    FREE(old);
    FREE(r);
}

TRANS(bsf) { gen_bitscan(s, d, false); return true; }
TRANS(bsr) { gen_bitscan(s, d, true); return true; }

static void gen_count_zeros(DisasContext *s, const DecodedInsn *d, bool leading)
{
    unsigned ot = gen_op_ot(d, 0);
    unsigned bits = 8u << ot;
    IRv64 v = T64(), r = T64();

    gen_load_operand(s, d, 1, v, NULL);
    if (leading) {
        ir_clz_i64(s->f, r, v, ir_const_i64(s->f, 64));
        ir_subi_i64(s->f, r, r, 64 - bits);
    } else {
        ir_ctz_i64(s->f, r, v, ir_const_i64(s->f, bits));
    }
    gen_set_reg(s, ot, d->op[0].reg, false, r);
    ir_mov_i64(s->f, s->cc_dst, r);
    ir_mov_i64(s->f, s->cc_src, v);
    gen_set_cc_op(s, CC_OP_BMILGB + ot);
    FREE(v);
    FREE(r);
}

TRANS(tzcnt) { gen_count_zeros(s, d, false); return true; }
TRANS(lzcnt) { gen_count_zeros(s, d, true); return true; }

TRANS(popcnt)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), r = T64();

    gen_load_operand(s, d, 1, v, NULL);
    ir_ctpop_i64(s->f, r, v);
    gen_set_reg(s, ot, d->op[0].reg, false, r);
    ir_setcondi_i64(s->f, IR_COND_EQ, r, v, 0);
    ir_shli_i64(s->f, s->cc_src, r, 6); /* ZF; the other flags clear */
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(v);
    FREE(r);
    return true;
}

TRANS(bswap)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_get_reg(s, MO_64, v, d->op[0].reg, false);
    if (ot == MO_64) {
        ir_bswap64_i64(s->f, v, v);
    } else if (ot == MO_32) {
        ir_bswap32_i64(s->f, v, v);
    } else {
        ir_movi_i64(s->f, v, 0); /* undefined for 16 bits; CPUs give zero */
    }
    gen_set_reg(s, ot, d->op[0].reg, false, v);
    FREE(v);
    return true;
}

TRANS(movbe)
{
    unsigned ot = mo_from_size(d->opsize);
    IRv64 v = T64();

    gen_load_operand(s, d, 1, v, NULL);
    if (ot == MO_64) {
        ir_bswap64_i64(s->f, v, v);
    } else if (ot == MO_32) {
        ir_bswap32_i64(s->f, v, v);
    } else {
        ir_bswap16_i64(s->f, v, v);
    }
    gen_store_operand(s, d, 0, v, NULL);
    FREE(v);
    return true;
}

/* ---- exchange-and-add, compare-and-exchange ---- */

TRANS(xadd)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), b = T64(), r = T64(), la = {0};
    bool mem = is_mem(d, 0);

    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    gen_load_operand(s, d, 1, b, NULL);
    ir_add_i64(s->f, r, a, b);
    gen_store_operand(s, d, 1, a, NULL);
    gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    if (mem) {
        /* The register got the old value only if the store did not fault: fine,
         * a fault restores nothing, so write the memory first. */
    }
    ir_mov_i64(s->f, s->cc_dst, r);
    ir_mov_i64(s->f, s->cc_src, b);
    gen_set_cc_op(s, CC_OP_ADDB + ot);
    FREE(a);
    FREE(b);
    FREE(r);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(cmpxchg)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), src = T64(), acc = T64(), r = T64(), z = T64(), oldrax = T64();
    IRv64 la = {0};
    bool mem = is_mem(d, 0);

    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    gen_load_operand(s, d, 1, src, NULL);
    gen_get_reg(s, ot, acc, R_EAX, false);
    ir_setcond_i64(s->f, IR_COND_EQ, z, acc, a);
    /* Memory is always written (the old value when different), as on hardware; a
     * register destination only when equal. */
    ir_movcond_i64(s->f, IR_COND_NE, r, z, ir_const_i64(s->f, 0), src, a);
    if (mem) {
        gen_store_operand(s, d, 0, r, &la);
    } else {
        int dr = d->op[0].reg;
        bool h = d->op[0].high8;
        IRv64 keep = T64();
        ir_mov_i64(s->f, keep, s->regs[h ? dr - 4 : dr]);
        gen_set_reg(s, ot, dr, h, r);
        ir_movcond_i64(s->f, IR_COND_NE, s->regs[h ? dr - 4 : dr], z, ir_const_i64(s->f, 0),
                       s->regs[h ? dr - 4 : dr], keep);
        FREE(keep);
    }
    ir_mov_i64(s->f, oldrax, s->regs[R_EAX]);
    gen_set_reg(s, ot, R_EAX, false, a);
    ir_movcond_i64(s->f, IR_COND_NE, s->regs[R_EAX], z, ir_const_i64(s->f, 0), oldrax,
                   s->regs[R_EAX]);
    ir_sub_i64(s->f, s->cc_dst, acc, a);
    ir_mov_i64(s->f, s->cc_src, a);
    gen_set_cc_op(s, CC_OP_SUBB + ot);
    FREE(a);
    FREE(src);
    FREE(acc);
    FREE(r);
    FREE(z);
    FREE(oldrax);
    if (mem) {
        FREE(la);
    }
    return true;
}

static bool gen_cmpxchg_wide(DisasContext *s, const DecodedInsn *d, bool wide)
{
    IRv64 la = gen_lea_mem(s, d, wide ? 16 : 8);

    gen_update_cc_op(s);
    IR_CALL(s->f, wide ? helper_cmpxchg16b : helper_cmpxchg8b, 0, IR_NO_TEMP, ENV(s),
            IRT(la));
    s->cc_op = CC_OP_EFLAGS;
    s->cc_op_dirty = false;
    FREE(la);
    return true;
}

TRANS(cmpxchg8b) { return gen_cmpxchg_wide(s, d, false); }
TRANS(cmpxchg16b) { return gen_cmpxchg_wide(s, d, true); }

/* ---- multiply and divide ---- */

TRANS(mul)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), a = T64(), lo = T64(), hi = T64();

    gen_load_operand(s, d, 0, v, NULL);
    gen_get_reg(s, ot, a, R_EAX, false);
    if (ot == MO_64) {
        ir_mulu2_i64(s->f, lo, hi, a, v);
    } else {
        ir_mul_i64(s->f, lo, a, v);
        ir_shri_i64(s->f, hi, lo, 8u << ot);
    }
    if (ot == MO_8) {
        gen_set_reg(s, MO_16, R_EAX, false, lo);
    } else {
        gen_set_reg(s, ot, R_EAX, false, lo);
        gen_set_reg(s, ot, R_EDX, false, hi);
    }
    ir_mov_i64(s->f, s->cc_dst, lo);
    ir_mov_i64(s->f, s->cc_src, hi);
    gen_set_cc_op(s, CC_OP_MULB + ot);
    FREE(v);
    FREE(a);
    FREE(lo);
    FREE(hi);
    return true;
}

/* cc_src = non-zero iff the signed product does not fit the low half. */
static void gen_imul_flags(DisasContext *s, unsigned ot, IRv64 lo, IRv64 hi)
{
    IRv64 t = T64();

    if (ot == MO_64) {
        ir_sari_i64(s->f, t, lo, 63);
        ir_sub_i64(s->f, s->cc_src, hi, t);
    } else {
        ir_mov_i64(s->f, t, lo);
        gen_exts(s, ot, t);
        ir_sub_i64(s->f, s->cc_src, lo, t);
    }
    ir_mov_i64(s->f, s->cc_dst, lo);
    gen_set_cc_op(s, CC_OP_MULB + ot);
    FREE(t);
}

TRANS(imul1)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), a = T64(), lo = T64(), hi = T64();

    gen_load_operand(s, d, 0, v, NULL);
    gen_get_reg(s, ot, a, R_EAX, false);
    gen_exts(s, ot, v);
    gen_exts(s, ot, a);
    if (ot == MO_64) {
        ir_muls2_i64(s->f, lo, hi, a, v);
    } else {
        ir_mul_i64(s->f, lo, a, v);
        ir_sari_i64(s->f, hi, lo, 8u << ot);
    }
    if (ot == MO_8) {
        gen_set_reg(s, MO_16, R_EAX, false, lo);
    } else {
        gen_set_reg(s, ot, R_EAX, false, lo);
        gen_set_reg(s, ot, R_EDX, false, hi);
    }
    gen_imul_flags(s, ot, lo, hi);
    FREE(v);
    FREE(a);
    FREE(lo);
    FREE(hi);
    return true;
}

static void gen_imul_2op(DisasContext *s, const DecodedInsn *d, int src1, int src2)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), b = T64(), lo = T64(), hi = T64();

    gen_load_operand(s, d, src1, a, NULL);
    gen_load_operand(s, d, src2, b, NULL);
    gen_exts(s, ot, a);
    gen_exts(s, ot, b);
    if (ot == MO_64) {
        ir_muls2_i64(s->f, lo, hi, a, b);
    } else {
        ir_mul_i64(s->f, lo, a, b);
        ir_movi_i64(s->f, hi, 0);
    }
    gen_set_reg(s, ot, d->op[0].reg, false, lo);
    gen_imul_flags(s, ot, lo, hi);
    FREE(a);
    FREE(b);
    FREE(lo);
    FREE(hi);
}

TRANS(imul2) { gen_imul_2op(s, d, 0, 1); return true; }
TRANS(imul3) { gen_imul_2op(s, d, 1, 2); return true; }

static bool gen_div(DisasContext *s, const DecodedInsn *d, bool sign)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64();

    gen_load_operand(s, d, 0, v, NULL);
    IR_CALL(s->f, sign ? helper_idiv : helper_div, 0, IR_NO_TEMP, ENV(s), IRT(v),
            IRT(ir_const_i32(s->f, ot)));
    FREE(v);
    return true;
}

TRANS(div) { return gen_div(s, d, false); }
TRANS(idiv) { return gen_div(s, d, true); }
