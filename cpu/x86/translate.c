/*
 * The x86 DBT frontend: the block translator and the code-generation
 * helpers that every translate-*.c file shares (registers, addresses,
 * operands, stack, lazy flags, block exits).  See translate.h.
 *
 * Reference: Intel SDM vol. 1 ch. 3 (addressing, segments), vol. 3A ch. 5
 * (segment limit checks), vol. 2 (instruction semantics).
 */
#include "cpu/x86/translate.h"

#include <inttypes.h>
#include <stddef.h>

#include "core/log.h"
#include "cpu/x86/debug_helper.h"
#include "cpu/x86/disas.h"

/* The dispatch table: [XI_id] = trans_<xlat>, NULL for rows nobody implemented. */
typedef bool (*TransFn)(DisasContext *s, const DecodedInsn *d);
static TransFn const trans_table[XI_COUNT] = {
#define X86_INSN(id, mnem, map, opc, pfx, modrm, o1, o2, o3, o4, modes, fr, fw, fu, feat, \
                 attrs, xlat)                                                              \
    [XI_##id] = trans_##xlat,
#include "cpu/x86/insn.def"
#undef X86_INSN
};

static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

void x86_translate_init_globals(IRFunc *f, DisasContext *s)
{
    for (int i = 0; i < 16; i++) {
        s->regs[i] = ir_global_i64(f, offsetof(CPUX86State, regs[i]), reg_names[i]);
    }
    s->rip = ir_global_i64(f, offsetof(CPUX86State, rip), "rip");
    s->cc_dst = ir_global_i64(f, offsetof(CPUX86State, cc_dst), "cc_dst");
    s->cc_src = ir_global_i64(f, offsetof(CPUX86State, cc_src), "cc_src");
    s->cc_src2 = ir_global_i64(f, offsetof(CPUX86State, cc_src2), "cc_src2");
    s->cc_op_g = ir_global_i32(f, offsetof(CPUX86State, cc_op), "cc_op");
    s->df = ir_global_i64(f, offsetof(CPUX86State, df), "df");
}

/* The handles x86_translate_init_globals produced (same order every time). */
static void load_global_handles(DisasContext *s)
{
    uint32_t i = 1; /* temp 0 is env */

    for (int r = 0; r < 16; r++) {
        s->regs[r].idx = i++;
    }
    s->rip.idx = i++;
    s->cc_dst.idx = i++;
    s->cc_src.idx = i++;
    s->cc_src2.idx = i++;
    s->cc_op_g.idx = i++;
    s->df.idx = i++;
}

/* ---- registers ---- */

void gen_extu(DisasContext *s, unsigned ot, IRv64 v)
{
    switch (ot) {
    case MO_8:
        ir_ext8u_i64(s->f, v, v);
        break;
    case MO_16:
        ir_ext16u_i64(s->f, v, v);
        break;
    case MO_32:
        ir_ext32u_i64(s->f, v, v);
        break;
    default:
        break;
    }
}

void gen_exts(DisasContext *s, unsigned ot, IRv64 v)
{
    switch (ot) {
    case MO_8:
        ir_ext8s_i64(s->f, v, v);
        break;
    case MO_16:
        ir_ext16s_i64(s->f, v, v);
        break;
    case MO_32:
        ir_ext32s_i64(s->f, v, v);
        break;
    default:
        break;
    }
}

void gen_get_reg(DisasContext *s, unsigned ot, IRv64 v, int reg, bool high8)
{
    if (ot == MO_8 && high8) {
        ir_extract_i64(s->f, v, s->regs[reg - 4], 8, 8);
        return;
    }
    ir_mov_i64(s->f, v, s->regs[reg]);
    gen_extu(s, ot, v);
}

void gen_set_reg(DisasContext *s, unsigned ot, int reg, bool high8, IRv64 v)
{
    switch (ot) {
    case MO_8:
        if (high8) {
            ir_deposit_i64(s->f, s->regs[reg - 4], s->regs[reg - 4], v, 8, 8);
        } else {
            ir_deposit_i64(s->f, s->regs[reg], s->regs[reg], v, 0, 8);
        }
        break;
    case MO_16:
        ir_deposit_i64(s->f, s->regs[reg], s->regs[reg], v, 0, 16);
        break;
    case MO_32:
        ir_ext32u_i64(s->f, s->regs[reg], v);
        break;
    default:
        ir_mov_i64(s->f, s->regs[reg], v);
        break;
    }
}

/* ---- addresses ---- */

static void gen_wrap_addr(DisasContext *s, unsigned addrsize, IRv64 v)
{
    if (addrsize == 2) {
        ir_ext16u_i64(s->f, v, v);
    } else if (addrsize == 4) {
        ir_ext32u_i64(s->f, v, v);
    }
}

IRv64 gen_ea_offset(DisasContext *s, const DecodedInsn *d)
{
    IRv64 a = ir_temp_i64(s->f);
    const X86MemRef *m = &d->mem;

    if (m->base == X86_REG_RIP) {
        ir_movi_i64(s->f, a, x86_rip_relative(d));
        return a;
    }
    ir_movi_i64(s->f, a, (uint64_t)m->disp);
    if (m->base >= 0) {
        ir_add_i64(s->f, a, a, s->regs[m->base]);
    }
    if (m->index >= 0) {
        IRv64 t = ir_temp_i64(s->f);
        ir_shli_i64(s->f, t, s->regs[m->index], m->scale == 8 ? 3 : m->scale == 4 ? 2 :
                                                   m->scale == 2 ? 1 : 0);
        ir_add_i64(s->f, a, a, t);
        ir_temp_free(s->f, IRT(t));
    }
    gen_wrap_addr(s, d->addrsize, a);
    return a;
}

/*
 * Memop bits for one access of size bytes through a flat segment (HF_FLAT) whose limit
 * check the translator leaves out, else 0.  With base 0 and limit 4G the check fails only
 * when the access wraps past 4 GiB; such an access crosses a page, always misses the
 * inline TLB and reaches hook_load/hook_store (mem_helper.c), which then raises #GP(0), or
 * #SS(0) for SS.  Only for callers that do exactly one gen_ld/gen_st of at most size bytes
 * at the address with these bits.
 */
static unsigned gen_flat_seg_mo(DisasContext *s, int seg, unsigned size)
{
    if (s->code64 || size == 0 || size > 8 || seg < 0 || seg >= X86_NR_SEGS ||
        !(s->flags & HF_FLAT(seg))) {
        return 0;
    }
    return seg == R_SS ? X86_MO_FLAT_SS : X86_MO_FLAT_GP;
}

/*
 * gen_linear for a single access: *mo gets the memop bits the access must carry (see
 * gen_flat_seg_mo), and the helper call is left out when they are non-zero.
 */
static IRv64 gen_linear_access(DisasContext *s, int seg, IRv64 offset, unsigned size,
                               unsigned *mo)
{
    *mo = gen_flat_seg_mo(s, seg, size);
    return gen_linear(s, seg, offset, *mo ? 0 : size);
}

IRv64 gen_linear(DisasContext *s, int seg, IRv64 offset, unsigned size)
{
    IRv64 a = ir_temp_i64(s->f);

    if (s->code64) {
        if (seg == R_FS || seg == R_GS) {
            IRv64 b = ir_temp_i64(s->f);
            ir_ld_i64(s->f, b, ir_env(s->f), offsetof(CPUX86State, segs[seg].base));
            ir_add_i64(s->f, a, offset, b);
            ir_temp_free(s->f, IRT(b));
        } else {
            ir_mov_i64(s->f, a, offset);
        }
        return a;
    }
    if (size) {
        IR_CALL(s->f, helper_check_seg_limit, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s),
                IRT(ir_const_i32(s->f, seg)), IRT(offset), IRT(ir_const_i32(s->f, size)));
    }
    if (!s->pe || s->vm86 || s->addseg || seg == R_FS || seg == R_GS || seg == R_CS) {
        IRv64 b = ir_temp_i64(s->f);
        ir_ld_i64(s->f, b, ir_env(s->f), offsetof(CPUX86State, segs[seg].base));
        ir_add_i64(s->f, a, offset, b);
        ir_ext32u_i64(s->f, a, a);
        ir_temp_free(s->f, IRT(b));
    } else {
        ir_ext32u_i64(s->f, a, offset);
    }
    return a;
}

IRv64 gen_lea_mem(DisasContext *s, const DecodedInsn *d, unsigned size)
{
    IRv64 off = gen_ea_offset(s, d);
    IRv64 a = gen_linear(s, d->mem.seg, off, size);

    ir_temp_free(s->f, IRT(off));
    return a;
}

/* The alignment bits of the next access: #AC checks, and a pending 16-byte check. */
static unsigned take_align(DisasContext *s)
{
    unsigned a = s->mem_align | s->next_align16;

    s->next_align16 = 0;
    return a;
}

void gen_ld(DisasContext *s, unsigned ot, IRv64 v, IRv64 laddr)
{
    ir_qemu_ld_i64(s->f, v, IRT(laddr), ot | take_align(s), s->mem_index);
}

void gen_lds(DisasContext *s, unsigned ot, IRv64 v, IRv64 laddr)
{
    ir_qemu_ld_i64(s->f, v, IRT(laddr), ot | IR_MO_SIGN | take_align(s), s->mem_index);
}

void gen_st(DisasContext *s, unsigned ot, IRv64 v, IRv64 laddr)
{
    ir_qemu_st_i64(s->f, v, IRT(laddr), ot | take_align(s), s->mem_index);
}

/* ---- operands ---- */

unsigned gen_op_ot(const DecodedInsn *d, int n)
{
    unsigned sz = d->op[n].size;

    return sz ? mo_from_size(sz) : mo_from_size(d->opsize);
}

/* Offset register of a string operand (rSI / rDI) wrapped to the address size. */
static IRv64 gen_str_offset(DisasContext *s, const DecodedInsn *d, int reg)
{
    IRv64 a = ir_temp_i64(s->f);

    ir_mov_i64(s->f, a, s->regs[reg]);
    gen_wrap_addr(s, d->addrsize, a);
    return a;
}

/* Address of memory operand n for one access of bytes bytes; *mo as gen_linear_access. */
static IRv64 gen_operand_addr(DisasContext *s, const DecodedInsn *d, int n, unsigned bytes,
                              unsigned *mo)
{
    const X86Operand *op = &d->op[n];
    IRv64 off, a;

    if (op->kind == X86_OPK_STR) {
        off = gen_str_offset(s, d, op->reg);
        a = gen_linear_access(s, op->seg, off, bytes, mo);
    } else {
        off = gen_ea_offset(s, d);
        a = gen_linear_access(s, d->mem.seg, off, bytes, mo);
    }
    ir_temp_free(s->f, IRT(off));
    return a;
}

void gen_load_operand(DisasContext *s, const DecodedInsn *d, int n, IRv64 v, IRv64 *laddr)
{
    const X86Operand *op = &d->op[n];
    unsigned ot = gen_op_ot(d, n);

    switch (op->kind) {
    case X86_OPK_GPR:
        gen_get_reg(s, ot, v, op->reg, op->high8);
        break;
    case X86_OPK_MEM:
    case X86_OPK_STR: {
        unsigned mo;
        IRv64 a = gen_operand_addr(s, d, n, 1u << ot, &mo);

        /* A store back to *laddr (same size) cannot wrap once this load did not. */
        gen_ld(s, ot | mo, v, a);
        if (laddr) {
            *laddr = a;
        } else {
            ir_temp_free(s->f, IRT(a));
        }
        break;
    }
    case X86_OPK_IMM:
    case X86_OPK_REL:
        /* As decoded: sign-extended for the IS forms, zero-extended otherwise. */
        ir_movi_i64(s->f, v, op->imm);
        break;
    case X86_OPK_SEG:
        ir_ld16u_i64(s->f, v, ir_env(s->f), offsetof(CPUX86State, segs[op->reg].selector));
        break;
    default:
        ir_movi_i64(s->f, v, 0);
        break;
    }
}

void gen_store_operand(DisasContext *s, const DecodedInsn *d, int n, IRv64 v,
                       const IRv64 *laddr)
{
    const X86Operand *op = &d->op[n];
    unsigned ot = gen_op_ot(d, n);

    switch (op->kind) {
    case X86_OPK_GPR:
        gen_set_reg(s, ot, op->reg, op->high8, v);
        break;
    case X86_OPK_MEM:
    case X86_OPK_STR:
        if (laddr) {
            gen_st(s, ot, v, *laddr);
        } else {
            unsigned mo;
            IRv64 a = gen_operand_addr(s, d, n, 1u << ot, &mo);

            gen_st(s, ot | mo, v, a);
            ir_temp_free(s->f, IRT(a));
        }
        break;
    default:
        break;
    }
}

/* ---- stack ---- */

unsigned gen_stack_aot(DisasContext *s)
{
    return s->code64 ? MO_64 : s->ss32 ? MO_32 : MO_16;
}

unsigned gen_push_ot(DisasContext *s, const DecodedInsn *d)
{
    (void)s;
    return mo_from_size(d->opsize);
}

/* Linear address of SS:(rSP + delta) wrapped to the stack size, for size bytes. */
static IRv64 gen_stack_addr(DisasContext *s, int64_t delta, unsigned size, unsigned *mo)
{
    IRv64 off = ir_temp_i64(s->f);
    IRv64 a;

    ir_addi_i64(s->f, off, s->regs[R_ESP], (uint64_t)delta);
    gen_wrap_addr(s, 1u << gen_stack_aot(s), off);
    a = gen_linear_access(s, R_SS, off, size, mo);
    ir_temp_free(s->f, IRT(off));
    return a;
}

void gen_add_sp(DisasContext *s, int64_t delta)
{
    IRv64 t = ir_temp_i64(s->f);
    unsigned aot = gen_stack_aot(s);

    ir_addi_i64(s->f, t, s->regs[R_ESP], (uint64_t)delta);
    gen_set_reg(s, aot, R_ESP, false, t);
    ir_temp_free(s->f, IRT(t));
}

void gen_push(DisasContext *s, unsigned ot, IRv64 v)
{
    unsigned mo;
    IRv64 a = gen_stack_addr(s, -(int64_t)(1u << ot), 1u << ot, &mo);

    gen_st(s, ot | mo, v, a);
    ir_temp_free(s->f, IRT(a));
    gen_add_sp(s, -(int64_t)(1u << ot));
}

void gen_pop_peek(DisasContext *s, unsigned ot, IRv64 v)
{
    unsigned mo;
    IRv64 a = gen_stack_addr(s, 0, 1u << ot, &mo);

    gen_ld(s, ot | mo, v, a);
    ir_temp_free(s->f, IRT(a));
}

void gen_stack_load(DisasContext *s, unsigned ot, IRv64 v, int64_t delta)
{
    unsigned mo;
    IRv64 a = gen_stack_addr(s, delta, 1u << ot, &mo);

    gen_ld(s, ot | mo, v, a);
    ir_temp_free(s->f, IRT(a));
}

void gen_stack_store(DisasContext *s, unsigned ot, IRv64 v, int64_t delta)
{
    unsigned mo;
    IRv64 a = gen_stack_addr(s, delta, 1u << ot, &mo);

    gen_st(s, ot | mo, v, a);
    ir_temp_free(s->f, IRT(a));
}

void gen_pop_update(DisasContext *s, unsigned ot)
{
    gen_add_sp(s, 1 << ot);
}

/* ---- lazy flags ---- */

void gen_set_cc_op(DisasContext *s, int op)
{
    if (s->cc_op != op) {
        s->cc_op = op;
        s->cc_op_dirty = true;
    }
}

void gen_update_cc_op(DisasContext *s)
{
    if (s->cc_op_dirty && s->cc_op != CC_OP_DYNAMIC) {
        ir_movi_i32(s->f, s->cc_op_g, (uint32_t)s->cc_op);
    }
    s->cc_op_dirty = false;
}

static IRv32 gen_cc_op_value(DisasContext *s)
{
    IRv32 op = ir_temp_i32(s->f);

    if (s->cc_op == CC_OP_DYNAMIC) {
        ir_mov_i32(s->f, op, s->cc_op_g);
    } else {
        ir_movi_i32(s->f, op, (uint32_t)s->cc_op);
    }
    return op;
}

/*
 * Between two instructions, tell liveness which of cc_dst/cc_src/cc_src2 the lazy state
 * cannot read (cc_compute_all): a value computed only for them, such as the EFLAGS image a
 * rotate builds with helper_cc_compute_all, then dies unless something else reads it.
 * Only at an instruction boundary: inside one, a later fault would restore the cc_op of
 * the instruction's start, which may still need them.  Ops that may fault keep every
 * global live, so a discard never loses a value an exception could see.
 */
static void gen_discard_unused_cc(DisasContext *s)
{
    int kind;

    if (s->cc_op == CC_OP_DYNAMIC) {
        return;
    }
    kind = CC_OP_KIND(s->cc_op);
    if (kind == CC_OP_EFLAGS) {
        ir_discard(s->f, IRT(s->cc_dst));
    }
    if (kind == CC_OP_LOGICB) {
        ir_discard(s->f, IRT(s->cc_src));
    }
    if (kind != CC_OP_ADCB && kind != CC_OP_SBBB) {
        ir_discard(s->f, IRT(s->cc_src2));
    }
}

void gen_compute_eflags(DisasContext *s, IRv64 v)
{
    IRv32 op;

    if (s->cc_op == CC_OP_EFLAGS) {
        ir_andi_i64(s->f, v, s->cc_src, X86_EFL_STATUS);
        return;
    }
    op = gen_cc_op_value(s);
    IR_CALL(s->f, helper_cc_compute_all, HF_PURE, IRT(v), IRT(s->cc_dst), IRT(s->cc_src),
            IRT(s->cc_src2), IRT(op));
    ir_temp_free(s->f, IRT(op));
}

/*
 * CF of the static lazy state cc_op into v, inline; false (nothing emitted) for the kinds
 * that need the helper (ADC/SBB, BMILG).
 */
static bool gen_compute_c_inline(DisasContext *s, int cc_op, IRv64 v)
{
    unsigned ot = CC_OP_SIZE(cc_op);

    switch (CC_OP_KIND(cc_op)) {
    case CC_OP_EFLAGS:
        ir_andi_i64(s->f, v, s->cc_src, X86_EFL_CF);
        return true;
    case CC_OP_LOGICB:
        ir_movi_i64(s->f, v, 0);
        return true;
    case CC_OP_INCB:
    case CC_OP_DECB:
    case CC_OP_SARB:
        /* INC/DEC keep the old CF in bit 0; SAR/SHR shifted it out of bit 0. */
        ir_andi_i64(s->f, v, s->cc_src, 1);
        return true;
    case CC_OP_SHLB:
        /* The last bit shifted out: the MSB of the operand shifted by count - 1. */
        ir_extract_i64(s->f, v, s->cc_src, (8u << ot) - 1, 1);
        return true;
    case CC_OP_MULB:
        /* cc_src is a did-not-fit indicator of any width (see cc_compute_all). */
        ir_setcondi_i64(s->f, IR_COND_NE, v, s->cc_src, 0);
        return true;
    case CC_OP_ADDB: {
        /* A carry out leaves the truncated sum below either addend. */
        IRv64 a = ir_temp_i64(s->f), b = ir_temp_i64(s->f);
        ir_mov_i64(s->f, a, s->cc_dst);
        ir_mov_i64(s->f, b, s->cc_src);
        gen_extu(s, ot, a);
        gen_extu(s, ot, b);
        ir_setcond_i64(s->f, IR_COND_LTU, v, a, b);
        ir_temp_free(s->f, IRT(a));
        ir_temp_free(s->f, IRT(b));
        return true;
    }
    case CC_OP_SUBB: {
        /* CF = minuend < subtrahend, unsigned, at the operation's size. */
        IRv64 a = ir_temp_i64(s->f), b = ir_temp_i64(s->f);
        ir_add_i64(s->f, a, s->cc_dst, s->cc_src);
        ir_mov_i64(s->f, b, s->cc_src);
        gen_extu(s, ot, a);
        gen_extu(s, ot, b);
        ir_setcond_i64(s->f, IR_COND_LTU, v, a, b);
        ir_temp_free(s->f, IRT(a));
        ir_temp_free(s->f, IRT(b));
        return true;
    }
    default:
        return false;
    }
}

static void gen_compute_c_helper(DisasContext *s, IRv64 v)
{
    IRv32 op = gen_cc_op_value(s);

    IR_CALL(s->f, helper_cc_compute_c, HF_PURE, IRT(v), IRT(s->cc_dst), IRT(s->cc_src),
            IRT(s->cc_src2), IRT(op));
    ir_temp_free(s->f, IRT(op));
}

void gen_compute_c(DisasContext *s, IRv64 v)
{
    if (s->cc_op != CC_OP_DYNAMIC && gen_compute_c_inline(s, s->cc_op, v)) {
        return;
    }
    gen_compute_c_helper(s, v);
}

/* The run-time check of a guessed cc_op: branch to slow unless env holds guess. */
static void gen_br_unless_cc_op(DisasContext *s, int guess, IRLabel slow)
{
    IRv32 op = ir_temp_i32(s->f);

    ir_mov_i32(s->f, op, s->cc_op_g);
    ir_brcondi_i32(s->f, IR_COND_NE, op, (uint32_t)guess, slow);
    ir_temp_free(s->f, IRT(op));
}

/*
 * CF into v at the start of an instruction, before it has made any EBB temp (the branches
 * below end extended basic blocks).  With a dynamic cc_op (an INC/DEC, ADC or SBB at the
 * start of a block, such as busybox's `inc; cmpb; jne` string scans), guess that the block
 * is always entered with the cc_op env holds now, while it is being translated: a block is
 * mostly entered from the same predecessor exit.  The guess is checked at run time, and the
 * helper handles every other cc_op, so it costs one compare when right and nothing is ever
 * computed differently.
 */
void gen_compute_c_insn_start(DisasContext *s, IRv64 v)
{
    int guess = s->env->cc_op;
    IRLabel slow, done;
    IRv64 c;

    if (s->cc_op != CC_OP_DYNAMIC || guess < 0 || guess >= CC_OP_NB ||
        CC_OP_KIND(guess) == CC_OP_ADCB || CC_OP_KIND(guess) == CC_OP_SBBB ||
        CC_OP_KIND(guess) == CC_OP_BMILGB) {
        gen_compute_c(s, v);
        return;
    }
    slow = ir_label_new(s->f);
    done = ir_label_new(s->f);
    c = ir_temp_tb_i64(s->f);
    gen_br_unless_cc_op(s, guess, slow);
    gen_compute_c_inline(s, guess, c);
    ir_br(s->f, done);
    ir_set_label(s->f, slow);
    gen_compute_c_helper(s, c);
    ir_set_label(s->f, done);
    ir_mov_i64(s->f, v, c);
    ir_temp_free(s->f, IRT(c));
}

/* Fast paths for a condition after SUB/CMP: compare the original operands. */
void gen_note_sub_minuend(DisasContext *s, unsigned ot, IRv64 a)
{
    if (!s->sub_minuend.idx) {
        s->sub_minuend = ir_temp_i64(s->f); /* one per block, never freed */
    }
    ir_mov_i64(s->f, s->sub_minuend, a);
    s->sub_minuend_pos = s->f->nb_ops;
    s->sub_minuend_ot = ot;
}

/*
 * Does sub_minuend still go with cc_dst/cc_src (a SUB of size ot)?  Only when no op since
 * it wrote them or it, and no control flow, helper call or env store came in between.
 */
static bool sub_minuend_usable(DisasContext *s, unsigned ot)
{
    if (!s->sub_minuend_pos || s->sub_minuend_ot != ot || s->sub_minuend_pos > s->f->nb_ops) {
        return false;
    }
    for (uint32_t i = s->sub_minuend_pos; i < s->f->nb_ops; i++) {
        const IROp *op = &s->f->ops[i];
        switch (op->opc) {
        case IR_OP_CALL: case IR_OP_SET_LABEL: case IR_OP_BR: case IR_OP_BRCOND:
        case IR_OP_EXIT_TB: case IR_OP_GOTO_TB: case IR_OP_LOOKUP_AND_GOTO_PTR:
        case IR_OP_LOOKUP_KEY_AND_GOTO_PTR:
        case IR_OP_ST8: case IR_OP_ST16: case IR_OP_ST32: case IR_OP_ST:
            return false;
        default:
            break;
        }
        for (unsigned k = 0; k < op->nb_oargs; k++) {
            uint64_t t = op->args[k];
            if (t == s->cc_dst.idx || t == s->cc_src.idx || t == s->sub_minuend.idx) {
                return false;
            }
        }
    }
    return true;
}

static bool gen_setcc_sub(DisasContext *s, int cc, IRv64 v)
{
    static const IRCond conds[16] = {
        [2] = IR_COND_LTU, [3] = IR_COND_GEU, [4] = IR_COND_EQ, [5] = IR_COND_NE,
        [6] = IR_COND_LEU, [7] = IR_COND_GTU, [12] = IR_COND_LT, [13] = IR_COND_GE,
        [14] = IR_COND_LE, [15] = IR_COND_GT,
    };
    unsigned ot = CC_OP_SIZE(s->cc_op);
    IRv64 a, b;

    if (!conds[cc]) {
        return false;
    }
    a = ir_temp_i64(s->f);
    b = ir_temp_i64(s->f);
    if (sub_minuend_usable(s, ot)) {
        ir_mov_i64(s->f, a, s->sub_minuend);
    } else {
        ir_add_i64(s->f, a, s->cc_dst, s->cc_src);
    }
    ir_mov_i64(s->f, b, s->cc_src);
    if (cc >= 12) {
        gen_exts(s, ot, a);
        gen_exts(s, ot, b);
    } else {
        gen_extu(s, ot, a);
        gen_extu(s, ot, b);
    }
    ir_setcond_i64(s->f, conds[cc], v, a, b);
    ir_temp_free(s->f, IRT(a));
    ir_temp_free(s->f, IRT(b));
    return true;
}

void gen_setcc(DisasContext *s, int cc, IRv64 v)
{
    int kind = s->cc_op == CC_OP_DYNAMIC ? -1 : CC_OP_KIND(s->cc_op);
    IRv64 fl, t;
    bool inv = cc & 1;

    /*
     * E/NE take the ZF path below even after SUB/CMP: a test of the result against zero
     * right after the subtraction lets the native backend reuse the host's ZF, where
     * comparing the original operands first rebuilds one of them (dst + src).
     */
    if (kind == CC_OP_SUBB && (cc >> 1) != 2 && gen_setcc_sub(s, cc, v)) {
        return;
    }
    if (kind > CC_OP_EFLAGS && kind != CC_OP_BMILGB && (cc >> 1) == 2) {
        /* ZF: the result is zero. */
        IRv64 r = ir_temp_i64(s->f);
        ir_mov_i64(s->f, r, s->cc_dst);
        gen_extu(s, CC_OP_SIZE(s->cc_op), r);
        ir_setcondi_i64(s->f, inv ? IR_COND_NE : IR_COND_EQ, v, r, 0);
        ir_temp_free(s->f, IRT(r));
        return;
    }
    if ((kind > CC_OP_EFLAGS && (cc >> 1) == 4) || (kind == CC_OP_LOGICB && (cc >> 1) >= 6)) {
        /*
         * SF is the sign of the result for every lazy kind (cc_compute_all's szp).  After
         * a logic op OF = 0, so L (SF != OF) is SF and LE (ZF | SF != OF) is result <= 0.
         */
        IRv64 r = ir_temp_i64(s->f);
        IRCond c = (cc >> 1) == 7 ? IR_COND_LE : IR_COND_LT;
        ir_mov_i64(s->f, r, s->cc_dst);
        gen_exts(s, CC_OP_SIZE(s->cc_op), r);
        ir_setcondi_i64(s->f, inv ? ir_cond_invert(c) : c, v, r, 0);
        ir_temp_free(s->f, IRT(r));
        return;
    }
    if ((cc >> 1) == 1) {
        gen_compute_c(s, v);
        if (inv) {
            ir_xori_i64(s->f, v, v, 1);
        }
        return;
    }
    fl = ir_temp_i64(s->f);
    t = ir_temp_i64(s->f);
    gen_compute_eflags(s, fl);
    switch (cc >> 1) {
    case 0: /* O */
        ir_extract_i64(s->f, v, fl, 11, 1);
        break;
    case 2: /* Z */
        ir_extract_i64(s->f, v, fl, 6, 1);
        break;
    case 3: /* BE: CF | ZF */
        ir_andi_i64(s->f, t, fl, X86_EFL_CF | X86_EFL_ZF);
        ir_setcondi_i64(s->f, IR_COND_NE, v, t, 0);
        break;
    case 4: /* S */
        ir_extract_i64(s->f, v, fl, 7, 1);
        break;
    case 5: /* P */
        ir_extract_i64(s->f, v, fl, 2, 1);
        break;
    case 6: /* L: SF != OF */
        ir_shri_i64(s->f, t, fl, 4); /* OF (bit 11) -> bit 7 */
        ir_xor_i64(s->f, t, t, fl);
        ir_extract_i64(s->f, v, t, 7, 1);
        break;
    default: { /* LE: ZF | (SF != OF) */
        IRv64 z = ir_temp_i64(s->f);
        ir_shri_i64(s->f, t, fl, 4);
        ir_xor_i64(s->f, t, t, fl);
        ir_extract_i64(s->f, t, t, 7, 1);
        ir_extract_i64(s->f, z, fl, 6, 1);
        ir_or_i64(s->f, v, t, z);
        ir_temp_free(s->f, IRT(z));
        break;
    }
    }
    if (inv) {
        ir_xori_i64(s->f, v, v, 1);
    }
    ir_temp_free(s->f, IRT(fl));
    ir_temp_free(s->f, IRT(t));
}

/* Whether gen_setcc computes condition cc of the static state cc_op without a helper. */
static bool setcc_is_inline(int cc_op, int cc)
{
    int kind = CC_OP_KIND(cc_op);

    switch (cc >> 1) {
    case 1: /* B */
        return kind != CC_OP_ADCB && kind != CC_OP_SBBB && kind != CC_OP_BMILGB;
    case 2: /* Z */
        return kind != CC_OP_BMILGB;
    case 4: /* S */
        return true;
    case 6: /* L */
    case 7: /* LE */
        return kind == CC_OP_EFLAGS || kind == CC_OP_LOGICB || kind == CC_OP_SUBB;
    default: /* O, BE, P */
        return kind == CC_OP_EFLAGS || (kind == CC_OP_SUBB && (cc >> 1) == 3);
    }
}

/*
 * Condition cc into v at the start of an instruction (no EBB temp live).  With a dynamic
 * cc_op (a Jcc/SETcc/CMOVcc first in a block), the same run-time checked guess as
 * gen_compute_c_insn_start: the cc_op env holds while the block is translated.
 */
void gen_setcc_insn_start(DisasContext *s, int cc, IRv64 v)
{
    int guess = s->env->cc_op;
    IRLabel slow, done;
    IRv64 c;

    if (s->cc_op != CC_OP_DYNAMIC || guess < 0 || guess >= CC_OP_NB ||
        !setcc_is_inline(guess, cc)) {
        gen_setcc(s, cc, v);
        return;
    }
    slow = ir_label_new(s->f);
    done = ir_label_new(s->f);
    c = ir_temp_tb_i64(s->f);
    gen_br_unless_cc_op(s, guess, slow);
    /* The inline path as if the state were static; nothing else sees s->cc_op change. */
    s->cc_op = guess;
    gen_setcc(s, cc, c);
    s->cc_op = CC_OP_DYNAMIC;
    ir_br(s->f, done);
    ir_set_label(s->f, slow);
    gen_setcc(s, cc, c);
    ir_set_label(s->f, done);
    ir_mov_i64(s->f, v, c);
    ir_temp_free(s->f, IRT(c));
}

void gen_jcc(DisasContext *s, int cc, IRLabel l)
{
    IRv64 v = ir_temp_i64(s->f);

    gen_setcc(s, cc, v);
    ir_brcondi_i64(s->f, IR_COND_NE, v, 0, l);
}

/* ---- control flow ---- */

void gen_update_eip_cur(DisasContext *s)
{
    ir_movi_i64(s->f, s->rip, s->eip);
}

void gen_update_eip_next(DisasContext *s)
{
    ir_movi_i64(s->f, s->rip, s->next_eip);
}

void gen_exception_err(DisasContext *s, int vector, int error_code)
{
    gen_update_cc_op(s);
    gen_update_eip_cur(s);
    IR_CALL(s->f, helper_raise_exception, 0, IR_NO_TEMP, ENV(s),
            IRT(ir_const_i32(s->f, (uint32_t)vector)),
            IRT(ir_const_i32(s->f, (uint32_t)error_code)));
    /* Not reached; keeps the IR well-formed after the call. */
    ir_exit_tb(s->f, IR_EXIT_NOCHAIN, 0);
    s->is_jmp = DISAS_NORETURN;
}

void gen_exception(DisasContext *s, int vector)
{
    gen_exception_err(s, vector, -1);
}

void gen_illegal(DisasContext *s, bool unimp)
{
    const DecodedInsn *d = s->d;

    if (unimp && log_enabled(LOG_UNIMP) && d) {
        char buf[64];
        int n = 0;
        for (unsigned i = 0; i < d->len && i < X86_MAX_INSN_LEN; i++) {
            n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%02x ", d->bytes[i]);
        }
        log_unimp("x86: unimplemented instruction %s at %04" PRIx64 ":%08" PRIx64 ": %s\n",
                  x86_insn_info(d->id) ? x86_insn_info(d->id)->name : "?",
                  s->cs_base >> 4, s->eip, buf);
    }
    gen_exception(s, EXCP_UD);
}

/* TF was set when the instruction began, and it did not load SS (which delays the trap). */
static bool want_step_trap(const DisasContext *s)
{
    return (s->flags & X86_EFL_TF) && !s->ss_shadow;
}

/* The single-step #DB trap; env's RIP (the global) already holds the next instruction. */
static void gen_step_trap(DisasContext *s)
{
    gen_update_cc_op(s);
    IR_CALL(s->f, helper_debug_step_trap, 0, IR_NO_TEMP, ENV(s));
}

static bool same_page(DisasContext *s, uint64_t eip)
{
    return ((s->cs_base + eip) >> 12) == (s->pc_start >> 12);
}

/*
 * Jump to the block at the current state through a lookup.  The key is computed here as
 * x86_get_tb_cpu_state() does, from env as it is now (a far transfer or a helper may just
 * have changed CS or hflags), so that the backend can probe the jump cache inline.
 */
static void gen_lookup_and_goto_ptr(DisasContext *s)
{
    IRFunc *f = s->f;
    IRv64 cs_base = ir_temp_i64(f), pc = ir_temp_i64(f), mode = ir_temp_i64(f);
    IRv64 fl = ir_temp_i64(f);

    ir_ld_i64(f, cs_base, ir_env(f), offsetof(CPUX86State, segs[R_CS].base));
    ir_add_i64(f, pc, s->rip, cs_base);
    ir_ld32u_i64(f, mode, ir_env(f), offsetof(CPUX86State, hflags));
    ir_ld_i64(f, fl, ir_env(f), offsetof(CPUX86State, eflags));
    ir_andi_i64(f, fl, fl, X86_TB_EFLAGS_MASK);
    ir_or_i64(f, mode, mode, fl);
    ir_lookup_key_and_goto_ptr(f, pc, cs_base, mode);
}

void gen_jmp_to(DisasContext *s, uint64_t eip, unsigned slot)
{
    gen_update_cc_op(s);
    if (same_page(s, eip) && !(s->flags & HF_SINGLESTEP) && !(s->flags & X86_EFL_TF) &&
        !(s->flags & HF_INHIBIT_IRQ)) {
        ir_goto_tb(s->f, slot);
        ir_movi_i64(s->f, s->rip, eip);
        ir_exit_tb(s->f, slot, 0);
    } else {
        ir_movi_i64(s->f, s->rip, eip);
        if (s->flags & HF_INHIBIT_IRQ) {
            IR_CALL(s->f, helper_clear_inhibit_irq, IR_CALL_NO_READ_GLOBALS |
                    IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, ENV(s));
        }
        if (want_step_trap(s)) {
            gen_step_trap(s);
            ir_exit_tb(s->f, IR_EXIT_NOCHAIN, 0); /* not reached */
        } else if (s->flags & HF_INHIBIT_IRQ) {
            ir_exit_tb(s->f, IR_EXIT_NOCHAIN, 0);
        } else {
            gen_lookup_and_goto_ptr(s);
        }
    }
    s->is_jmp = DISAS_NORETURN;
}

void gen_jmp_reg(DisasContext *s, unsigned ot, IRv64 v)
{
    IRv64 t = ir_temp_i64(s->f);

    ir_mov_i64(s->f, t, v);
    gen_extu(s, ot, t);
    ir_mov_i64(s->f, s->rip, t);
    ir_temp_free(s->f, IRT(t));
    s->is_jmp = DISAS_JUMP;
}

/* ---- the block loop ---- */

typedef struct FetchCtx {
    DisasContext *s;
    uint64_t last_linear; /* linear address of the last byte fetched */
    uint32_t pf_error;
    uint64_t fault_addr;
} FetchCtx;

static int x86_fetch_cb(void *opaque, uint64_t addr, uint8_t *byte)
{
    FetchCtx *fc = opaque;
    DisasContext *s = fc->s;
    CPUX86State *env = s->env;
    uint64_t eip = addr, linear;

    if (!s->code64) {
        eip = s->code32 ? (addr & 0xffffffffu) : (addr & 0xffff);
        if (eip > env->segs[R_CS].limit) {
            return -2; /* #GP(0) */
        }
        linear = (s->cs_base + eip) & 0xffffffffu;
    } else {
        linear = addr;
    }
    if (x86_fetch_code_byte(env, linear, byte, &fc->pf_error)) {
        fc->fault_addr = linear;
        return -1;
    }
    fc->last_linear = linear;
    return 0;
}

static uint64_t decode_features(const CPUX86State *env)
{
    uint64_t feats = X86_FEATBIT(X86_FEAT_BASE);
    bool none = !env->cpuid_features[0] && !env->cpuid_features[1] &&
                !env->cpuid_features[2] && !env->cpuid_features[3];

    /* A CPU whose CPUID words are not set up yet (bare test rigs): everything. */
    if (none) {
        return X86_FEATURES_ALL;
    }
    for (unsigned f = 1; f < X86_FEAT_COUNT; f++) {
        uint32_t leaf;
        unsigned reg, bit;
        int w = -1;
        if (!x86_feature_cpuid(f, &leaf, &reg, &bit)) {
            continue;
        }
        if (leaf == 1) {
            w = reg == 3 ? 0 : reg == 2 ? 1 : -1;
        } else if (leaf == 0x80000001u) {
            w = reg == 3 ? 2 : reg == 2 ? 3 : -1;
        }
        if (w >= 0 && (env->cpuid_features[w] >> bit) & 1) {
            feats |= X86_FEATBIT(f);
        }
    }
    return feats;
}

static void log_in_asm(DisasContext *s, X86DecodeCtx *dc, uint64_t eip, uint32_t size)
{
    FILE *out = log_file();

    fprintf(out, "IN: %04x:%08" PRIx64 " (linear %08" PRIx64 ")\n",
            s->env->segs[R_CS].selector, eip, s->cs_base + eip);
    x86_disas_block(out, dc, eip, size);
    fprintf(out, "\n");
}

uint32_t x86_translate_block(CPUX86State *env, IRFunc *f, uint64_t pc, uint64_t cs_base,
                             uint32_t flags, unsigned max_insns, uint64_t *page2)
{
    DisasContext s = {0};
    FetchCtx fc = {0};
    X86DecodeCtx dc = {0};
    DecodedInsn d;
    uint64_t eip = pc - cs_base;
    uint64_t first_page = pc >> 12;

    s.f = f;
    s.env = env;
    s.pc_start = pc;
    s.cs_base = cs_base;
    s.flags = flags;
    s.max_insns = max_insns ? max_insns : 1;
    s.pe = flags & HF_PE;
    s.vm86 = (flags & X86_EFL_VM) != 0;
    s.code64 = flags & HF_CS64;
    s.code32 = (flags & HF_CS32) != 0;
    s.ss32 = (flags & HF_SS32) != 0;
    s.addseg = (flags & HF_ADDSEG) != 0;
    s.cpl = flags & HF_CPL_MASK;
    s.iopl = (int)((flags & X86_EFL_IOPL) >> 12);
    s.mem_index = s.cpl == 3 ? MMU_USER_IDX : MMU_KERNEL_IDX;
    /* Alignment checking: misaligned data accesses must reach the softmmu hook (#AC). */
    if ((flags & HF_AM) && (flags & X86_EFL_AC) && s.cpl == 3) {
        s.mem_align = IR_MO_ALIGN;
    }
    s.cpu_mode = !s.pe ? X86_MODE_REAL : s.vm86 ? X86_MODE_V86 :
                 s.code64 ? X86_MODE_LONG64 : X86_MODE_PROT;
    s.cc_op = CC_OP_DYNAMIC;
    /* TF traps and RF applies after each instruction; the shadow ends after one. */
    if (flags & (HF_SINGLESTEP | HF_INHIBIT_IRQ | X86_EFL_TF | X86_EFL_RF)) {
        s.max_insns = 1;
    }
    load_global_handles(&s);
    *page2 = UINT64_MAX;

    fc.s = &s;
    dc.fetch = x86_fetch_cb;
    dc.opaque = &fc;
    dc.mode = s.cpu_mode;
    dc.code32 = s.code32;
    dc.features = decode_features(env);

    for (;;) {
        int st;

        s.eip = eip;
        s.d = &d;
        s.is_jmp = DISAS_NEXT;
        st = x86_decode(&d, &dc, eip);
        if (st == X86_DEC_FETCH) {
            if (s.num_insns > 0) {
                /* End the block here; the fetch faults when it runs on its own. */
                gen_jmp_to(&s, eip, 0);
                break;
            }
            if (d.fetch_error == -2) {
                helper_raise_exception(env, EXCP_GP, 0);
            }
            x86_tcg_raise_page_fault(env, fc.fault_addr, fc.pf_error);
        }
        if (s.num_insns > 0) {
            gen_discard_unused_cc(&s);
        }
        ir_insn_start(f, eip, (uint64_t)(int64_t)s.cc_op, 0);
        s.next_align16 = 0;
        s.num_insns++;
        if (s.num_insns == 1 && (flags & X86_EFL_RF)) {
            /* RF suppresses the instruction breakpoint of this one instruction only. */
            IR_CALL(f, helper_debug_clear_rf, IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS,
                    IR_NO_TEMP, IRT(ir_env(f)));
        } else if (flags & HF_IBPT) {
            uint64_t linear = cs_base + eip;
            IR_CALL(f, helper_debug_check_bpt, IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP,
                    IRT(ir_env(f)), IRT(ir_const_i64(f, s.code64 ? linear : (uint32_t)linear)));
        }
        s.next_eip = x86_next_ip(&d);
        if (st == X86_DEC_GP) {
            gen_exception_err(&s, EXCP_GP, 0);
        } else if (st != X86_DEC_OK) {
            gen_illegal(&s, d.ud_reason == X86_UD_FEATURE);
        } else if ((d.prefixes & X86_PFX_LOCK) && !(x86_insn_info(d.id)->attrs & X86_A_LOCK)) {
            gen_exception(&s, EXCP_UD);
        } else {
            TransFn fn = trans_table[d.id];
            if (!fn || !fn(&s, &d)) {
                gen_illegal(&s, true);
            }
        }
        if ((fc.last_linear >> 12) != first_page) {
            uint64_t pa;
            uint32_t err;
            if (x86_translate_code_addr(env, fc.last_linear, &pa, &err)) {
                *page2 = pa & ~0xfffull;
            }
        }
        if (s.is_jmp != DISAS_NEXT) {
            break;
        }
        eip = s.next_eip;
        if (s.num_insns >= s.max_insns || ((cs_base + eip) >> 12) != first_page ||
            (s.flags & HF_INHIBIT_IRQ)) {
            s.is_jmp = DISAS_TOO_MANY;
            break;
        }
    }

    switch (s.is_jmp) {
    case DISAS_TOO_MANY:
        if (s.flags & HF_INHIBIT_IRQ) {
            gen_update_cc_op(&s);
            ir_movi_i64(f, s.rip, s.next_eip);
            IR_CALL(f, helper_clear_inhibit_irq, IR_CALL_NO_READ_GLOBALS |
                    IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, IRT(ir_env(f)));
            if (want_step_trap(&s)) {
                gen_step_trap(&s);
            }
            ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        } else {
            gen_jmp_to(&s, s.next_eip, 0);
        }
        break;
    case DISAS_EOB_NEXT:
        gen_update_cc_op(&s);
        ir_movi_i64(f, s.rip, s.next_eip);
        if (want_step_trap(&s)) {
            gen_step_trap(&s);
        }
        ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        break;
    case DISAS_EOB_ONLY:
        gen_update_cc_op(&s);
        if (want_step_trap(&s)) {
            gen_step_trap(&s);
        }
        ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        break;
    case DISAS_JUMP:
        gen_update_cc_op(&s);
        if (s.flags & (HF_INHIBIT_IRQ | HF_SINGLESTEP | X86_EFL_TF)) {
            if (s.flags & HF_INHIBIT_IRQ) {
                IR_CALL(f, helper_clear_inhibit_irq, IR_CALL_NO_READ_GLOBALS |
                        IR_CALL_NO_WRITE_GLOBALS, IR_NO_TEMP, IRT(ir_env(f)));
            }
            if (want_step_trap(&s)) {
                gen_step_trap(&s);
            }
            ir_exit_tb(f, IR_EXIT_NOCHAIN, 0);
        } else {
            gen_lookup_and_goto_ptr(&s);
        }
        break;
    default:
        break;
    }

    {
        uint64_t end_linear = s.cs_base + s.next_eip;
        uint32_t size = (uint32_t)(end_linear - pc);
        if (s.next_eip < s.eip || size > 0x10000) {
            size = (uint32_t)(fc.last_linear - pc + 1);
        }
        if (log_enabled(LOG_IN_ASM)) {
            log_in_asm(&s, &dc, pc - cs_base, size);
        }
        return size ? size : 1;
    }
}

void x86_restore_state(CPUX86State *env, const uint64_t *words)
{
    env->rip = words[0];
    if ((int32_t)words[1] != CC_OP_DYNAMIC) {
        env->cc_op = (int32_t)words[1];
    }
}
