/*
 * Translation of shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR,
 * SHLD, SHRD.  The count is masked to 5 bits (6 with 64-bit operands); a
 * masked count of zero leaves every flag unchanged, which the lazy state
 * expresses by selecting the old cc_op/cc_dst/cc_src at run time.
 * SDM vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD.
 */
#include "cpu/x86/translate.h"
#include "cpu/x86/int_helper.h"

#define T64() ir_temp_i64(s->f)
#define FREE(t) ir_temp_free(s->f, IRT(t))

/* Count operand (op 1, or op 2 for SHLD/SHRD), masked. */
static void gen_count(DisasContext *s, const DecodedInsn *d, int n, unsigned ot, IRv64 cnt)
{
    if (d->op[n].kind == X86_OPK_NONE || d->op[n].form == X86_OPF_I1) {
        ir_movi_i64(s->f, cnt, 1);
    } else {
        gen_load_operand(s, d, n, cnt, NULL);
    }
    ir_andi_i64(s->f, cnt, cnt, ot == MO_64 ? 0x3f : 0x1f);
}

/*
 * Install a new lazy state (op, dst, src) unless cnt is zero, in which case
 * the old one stays.  Leaves s->cc_op dynamic.
 */
static void gen_cc_unless_zero(DisasContext *s, IRv64 cnt, int op, IRv64 dst, IRv64 src)
{
    IRv64 zero = ir_const_i64(s->f, 0);
    IRv32 oldop = ir_temp_i32(s->f), cnt32 = ir_temp_i32(s->f);

    if (s->cc_op == CC_OP_DYNAMIC) {
        ir_mov_i32(s->f, oldop, s->cc_op_g);
    } else {
        ir_movi_i32(s->f, oldop, (uint32_t)s->cc_op);
    }
    ir_movcond_i64(s->f, IR_COND_EQ, s->cc_dst, cnt, zero, s->cc_dst, dst);
    ir_movcond_i64(s->f, IR_COND_EQ, s->cc_src, cnt, zero, s->cc_src, src);
    ir_extrl_i64_i32(s->f, cnt32, cnt);
    ir_movcond_i32(s->f, IR_COND_EQ, s->cc_op_g, cnt32, ir_const_i32(s->f, 0), oldop,
                   ir_const_i32(s->f, (uint32_t)op));
    s->cc_op = CC_OP_DYNAMIC;
    s->cc_op_dirty = false;
    ir_temp_free(s->f, IRT(oldop));
    ir_temp_free(s->f, IRT(cnt32));
}

typedef enum ShiftOp { SH_SHL, SH_SHR, SH_SAR } ShiftOp;

static bool gen_shift(DisasContext *s, const DecodedInsn *d, ShiftOp op)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), cnt = T64(), c1 = T64(), r = T64(), tmp = T64(), la = {0};
    bool mem = d->op[0].kind == X86_OPK_MEM;

    gen_load_operand(s, d, 0, v, mem ? &la : NULL);
    gen_count(s, d, 1, ot, cnt);
    if (op == SH_SAR) {
        gen_exts(s, ot, v);
    }
    /* tmp = v shifted by count - 1 (the last bit out is its MSB / LSB). */
    ir_subi_i64(s->f, c1, cnt, 1);
    ir_andi_i64(s->f, c1, c1, 63);
    switch (op) {
    case SH_SHL:
        ir_shl_i64(s->f, tmp, v, c1);
        ir_shl_i64(s->f, r, v, cnt);
        break;
    case SH_SHR:
        ir_shr_i64(s->f, tmp, v, c1);
        ir_shr_i64(s->f, r, v, cnt);
        break;
    case SH_SAR:
        ir_sar_i64(s->f, tmp, v, c1);
        ir_sar_i64(s->f, r, v, cnt);
        break;
    }
    gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    gen_cc_unless_zero(s, cnt, (op == SH_SHL ? CC_OP_SHLB : CC_OP_SARB) + ot, r, tmp);
    FREE(v);
    FREE(cnt);
    FREE(c1);
    FREE(r);
    FREE(tmp);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(shl) { return gen_shift(s, d, SH_SHL); }
TRANS(shr) { return gen_shift(s, d, SH_SHR); }
TRANS(sar) { return gen_shift(s, d, SH_SAR); }

static bool gen_rotate(DisasContext *s, const DecodedInsn *d, bool left)
{
    unsigned ot = gen_op_ot(d, 0);
    unsigned bits = 8u << ot;
    IRv64 v = T64(), cnt = T64(), n = T64(), r = T64(), t = T64(), fl = T64();
    IRv64 cf = T64(), of = T64(), la = {0};
    bool mem = d->op[0].kind == X86_OPK_MEM;

    gen_load_operand(s, d, 0, v, mem ? &la : NULL);
    gen_count(s, d, 1, ot, cnt);
    ir_andi_i64(s->f, n, cnt, bits - 1);
    if (ot == MO_64) {
        if (left) {
            ir_rotl_i64(s->f, r, v, n);
        } else {
            ir_rotr_i64(s->f, r, v, n);
        }
    } else if (ot == MO_32) {
        /* A 32-bit rotate is one host instruction; v is zero-extended, so r is too. */
        IRv32 v32 = ir_temp_i32(s->f), n32 = ir_temp_i32(s->f);
        ir_extrl_i64_i32(s->f, v32, v);
        ir_extrl_i64_i32(s->f, n32, n);
        if (left) {
            ir_rotl_i32(s->f, v32, v32, n32);
        } else {
            ir_rotr_i32(s->f, v32, v32, n32);
        }
        ir_extu_i32_i64(s->f, r, v32);
        ir_temp_free(s->f, IRT(v32));
        ir_temp_free(s->f, IRT(n32));
    } else {
        /* Rotate within 'bits': v is zero-extended, so a shift by 'bits' gives 0. */
        IRv64 m = T64();
        ir_subi_i64(s->f, m, ir_const_i64(s->f, bits), 0);
        ir_sub_i64(s->f, m, m, n);
        if (left) {
            ir_shl_i64(s->f, r, v, n);
            ir_shr_i64(s->f, t, v, m);
        } else {
            ir_shr_i64(s->f, r, v, n);
            ir_shl_i64(s->f, t, v, m);
        }
        ir_or_i64(s->f, r, r, t);
        gen_extu(s, ot, r);
        FREE(m);
    }
    gen_compute_eflags(s, fl);
    gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    if (left) {
        ir_andi_i64(s->f, cf, r, 1);
        ir_shri_i64(s->f, of, r, bits - 1);
        ir_xor_i64(s->f, of, of, cf);
    } else {
        ir_shri_i64(s->f, cf, r, bits - 1);
        ir_andi_i64(s->f, cf, cf, 1);
        ir_shri_i64(s->f, of, r, bits - 2);
        ir_xor_i64(s->f, of, of, cf);
    }
    ir_andi_i64(s->f, of, of, 1);
    ir_shli_i64(s->f, of, of, 11);
    ir_andi_i64(s->f, t, fl, ~(uint64_t)(X86_EFL_CF | X86_EFL_OF));
    ir_or_i64(s->f, t, t, cf);
    ir_or_i64(s->f, t, t, of);
    /* Masked count zero: flags unchanged. */
    ir_movcond_i64(s->f, IR_COND_EQ, s->cc_src, cnt, ir_const_i64(s->f, 0), fl, t);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(v);
    FREE(cnt);
    FREE(n);
    FREE(r);
    FREE(t);
    FREE(fl);
    FREE(cf);
    FREE(of);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(rol) { return gen_rotate(s, d, true); }
TRANS(ror) { return gen_rotate(s, d, false); }

static bool gen_rc(DisasContext *s, const DecodedInsn *d, bool left)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 v = T64(), cnt = T64(), r = T64(), fl = T64(), nfl = T64(), la = {0};
    IRv32 o = ir_const_i32(s->f, ot);
    bool mem = d->op[0].kind == X86_OPK_MEM;

    gen_load_operand(s, d, 0, v, mem ? &la : NULL);
    gen_count(s, d, 1, ot, cnt);
    gen_compute_eflags(s, fl);
    IR_CALL(s->f, left ? helper_rcl : helper_rcr, HF_PURE, IRT(r), IRT(v), IRT(cnt), IRT(fl),
            IRT(o));
    IR_CALL(s->f, left ? helper_rcl_flags : helper_rcr_flags, HF_PURE, IRT(nfl), IRT(v),
            IRT(cnt), IRT(fl), IRT(o));
    gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    ir_mov_i64(s->f, s->cc_src, nfl);
    gen_set_cc_op(s, CC_OP_EFLAGS);
    FREE(v);
    FREE(cnt);
    FREE(r);
    FREE(fl);
    FREE(nfl);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(rcl) { return gen_rc(s, d, true); }
TRANS(rcr) { return gen_rc(s, d, false); }

static bool gen_shd(DisasContext *s, const DecodedInsn *d, bool left)
{
    unsigned ot = gen_op_ot(d, 0);
    IRv64 a = T64(), b = T64(), cnt = T64(), c1 = T64(), r = T64(), tmp = T64(), la = {0};
    IRv32 o = ir_const_i32(s->f, ot);
    bool mem = d->op[0].kind == X86_OPK_MEM;

    gen_load_operand(s, d, 0, a, mem ? &la : NULL);
    gen_load_operand(s, d, 1, b, NULL);
    gen_count(s, d, 2, ot, cnt);
    ir_subi_i64(s->f, c1, cnt, 1);
    ir_andi_i64(s->f, c1, c1, 63);
    IR_CALL(s->f, left ? helper_shld : helper_shrd, HF_PURE, IRT(r), IRT(a), IRT(b), IRT(cnt),
            IRT(o));
    IR_CALL(s->f, left ? helper_shld : helper_shrd, HF_PURE, IRT(tmp), IRT(a), IRT(b), IRT(c1),
            IRT(o));
    gen_store_operand(s, d, 0, r, mem ? &la : NULL);
    gen_cc_unless_zero(s, cnt, (left ? CC_OP_SHLB : CC_OP_SARB) + ot, r, tmp);
    FREE(a);
    FREE(b);
    FREE(cnt);
    FREE(c1);
    FREE(r);
    FREE(tmp);
    if (mem) {
        FREE(la);
    }
    return true;
}

TRANS(shld) { return gen_shd(s, d, true); }
TRANS(shrd) { return gen_shd(s, d, false); }
