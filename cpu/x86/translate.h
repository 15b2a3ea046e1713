/*
 * The x86 DBT frontend: what every translate*.c file shares.
 *
 * One guest instruction is decoded (cpu/x86/decode.c) into a DecodedInsn and
 * handed to the row's translate function, trans_<xlat> (the xlat column of
 * cpu/x86/insn.def).  Each group of instructions lives in its own file
 * (translate-alu.c, translate-x87.c, ...) and defines its functions with
 *
 *     TRANS(add) { ...; return true; }
 *
 * which expands to  bool trans_add(DisasContext *s, const DecodedInsn *d).
 * Returning false means "not handled": the instruction raises #UD and is
 * logged under -d unimp with its bytes.  A row whose function nobody has
 * written yet behaves the same way (translate.c declares every trans_<xlat>
 * weak, so a missing one is NULL in the dispatch table).
 *
 * Rules a translate function follows (see cpu.h for the state conventions):
 *  - Emit IR through s->f with EBB temps (ir_temp_i64 etc).  Guest registers
 *    and the lazy-flag fields are IR globals (s->regs[], s->cc_*): read and
 *    write them only through those, never with ld/st on env.
 *  - Do every check and every guest-memory read that can fault before the
 *    first write of architectural state.  On a fault the exec loop restores
 *    RIP and cc_op from the instruction's insn_start words; any global the
 *    instruction already changed stays changed.
 *  - Status flags: call gen_set_cc_op(s, CC_OP_x) after putting the operands
 *    in s->cc_dst/cc_src/cc_src2 (cc.h says what each cc_op expects).  Read
 *    flags with gen_compute_eflags() / gen_jcc / gen_setcc.
 *  - Before calling a helper that reads the full EFLAGS or env->rip, call
 *    gen_update_cc_op(s) and/or gen_update_eip_cur(s).  Helpers that may
 *    raise an exception need neither (the restore does it) but must not
 *    have IR_CALL_NO_READ_GLOBALS.
 *  - An instruction that changes the mode bits in hflags (CR0, EFER,
 *    segment loads in protected mode, ...) ends the block: set
 *    s->is_jmp = DISAS_EOB_NEXT and the translator stores the next EIP and
 *    exits without chaining.
 */
#ifndef CPU_X86_TRANSLATE_H
#define CPU_X86_TRANSLATE_H

#include "accel/tcg/ir.h"
#include "cpu/x86/cc.h"
#include "cpu/x86/cpu.h"
#include "cpu/x86/decode.h"
#include "cpu/x86/helper.h"

/* How the block continues after the current instruction. */
typedef enum DisasJumpType {
    DISAS_NEXT,     /* fall through to the next instruction */
    DISAS_TOO_MANY, /* block full: store next EIP, chain to it */
    DISAS_EOB_NEXT, /* end the block after this insn: store next EIP, exit unchained */
    DISAS_EOB_ONLY, /* EIP global already holds the target: exit unchained */
    DISAS_JUMP,     /* EIP global already holds the target: lookup_and_goto_ptr */
    DISAS_NORETURN, /* the instruction emitted its own exit (exception, goto_tb) */
} DisasJumpType;

/* Operand sizes as IR memop sizes: log2 of the byte count. */
enum { MO_8 = IR_MO_8, MO_16 = IR_MO_16, MO_32 = IR_MO_32, MO_64 = IR_MO_64 };

static inline unsigned mo_from_size(unsigned bytes)
{
    return bytes == 1 ? MO_8 : bytes == 2 ? MO_16 : bytes == 4 ? MO_32 : MO_64;
}

/*
 * Memop bits of an access through a flat segment whose limit check was left to the slow
 * path (translate.c, gen_flat_seg_mo): an access that wraps past 4 GiB raises #GP(0), or
 * #SS(0) with X86_MO_FLAT_SS.
 */
#define X86_MO_FLAT_GP IR_MO_TARGET0
#define X86_MO_FLAT_SS (IR_MO_TARGET0 | IR_MO_TARGET1)

typedef struct DisasContext {
    IRFunc *f;
    CPUX86State *env;        /* for code fetch at translation time only */
    const DecodedInsn *d;    /* instruction being translated */

    /* Block. */
    uint64_t pc_start;       /* linear address of the block's first byte */
    uint64_t cs_base;
    uint32_t flags;          /* TB key flags: hflags | EFLAGS bits (cpu.h) */
    unsigned num_insns, max_insns;
    DisasJumpType is_jmp;

    /* Current instruction: EIP (CS relative) of it and of the next one. */
    uint64_t eip;
    uint64_t next_eip;

    /* Mode, decoded once per block. */
    uint8_t cpu_mode;        /* enum X86CpuMode */
    bool code32;             /* CS.D */
    bool code64;             /* 64-bit mode */
    bool ss32;               /* SS.B */
    bool pe, vm86;
    bool addseg;             /* some data segment base may be non-zero */
    int cpl, iopl;
    int mem_index;           /* MMU index for data accesses */
    unsigned mem_align;      /* IR_MO_ALIGN when #AC checks apply (AM, AC, CPL 3), else 0 */
    /* IR_MO_ALIGN_16 for the next guest access of this instruction only (simd_mem_addr). */
    unsigned next_align16;
    bool ss_shadow;          /* this insn loaded SS: no single-step trap after it */

    /* Lazy flags: the cc_op known at translation time, or CC_OP_DYNAMIC. */
    int cc_op;
    bool cc_op_dirty;        /* s->cc_op differs from the value in env */
    /*
     * The minuend of the last SUB/CMP of this block, from op index sub_minuend_pos on (0:
     * none): a Jcc/SETcc/CMOVcc after it compares it with cc_src directly instead of
     * rebuilding it as cc_dst + cc_src, so the native backend reuses the host's flags.
     */
    IRv64 sub_minuend;
    uint32_t sub_minuend_pos;
    unsigned sub_minuend_ot;

    /* IR globals (registered once per IRFunc, same order every time). */
    IRv64 regs[16];
    IRv64 rip;
    IRv64 cc_dst, cc_src, cc_src2;
    IRv32 cc_op_g;
    IRv64 df;
} DisasContext;

#define TRANS(name) bool trans_##name(DisasContext *s, const DecodedInsn *d)

/* Every translate function, for the dispatch table and for the group files. */
#define X86_INSN(id, mnem, map, opc, pfx, modrm, o1, o2, o3, o4, modes, fr, fw, fu, feat, \
                 attrs, xlat)                                                              \
    TRANS(xlat) __attribute__((weak));
#include "cpu/x86/insn.def"
#undef X86_INSN

/* ---- the block translator (translate.c) ---- */

/* Register the IR globals of a fresh IRFunc (before any op). */
void x86_translate_init_globals(IRFunc *f, DisasContext *s);
/*
 * Translate the block at the current state of env into f (reset by the
 * caller, globals registered).  Returns the guest bytes covered and the
 * physical page of the last byte if it differs from the first page
 * (*page2, else UINT64_MAX); max_insns limits the block.  Fetch faults on
 * the first instruction unwind (#PF) through env->jmp_env.
 */
uint32_t x86_translate_block(CPUX86State *env, IRFunc *f, uint64_t pc, uint64_t cs_base,
                             uint32_t flags, unsigned max_insns, uint64_t *page2);
/* insn_start words -> env (exact state of a faulting instruction). */
void x86_restore_state(CPUX86State *env, const uint64_t *words);

/* ---- registers ---- */

/* v = register reg of size ot (zero-extended); byte regs 4-7 are AH..BH if high8. */
void gen_get_reg(DisasContext *s, unsigned ot, IRv64 v, int reg, bool high8);
/* Register reg of size ot = v: 8/16 merge, 32 zero-extends, 64 replaces. */
void gen_set_reg(DisasContext *s, unsigned ot, int reg, bool high8, IRv64 v);
/* Zero-/sign-extend v in place from size ot to 64 bits. */
void gen_extu(DisasContext *s, unsigned ot, IRv64 v);
void gen_exts(DisasContext *s, unsigned ot, IRv64 v);

/* ---- addresses and guest memory ---- */

/* Offset of the decoded memory operand (wrapped to the address size). */
IRv64 gen_ea_offset(DisasContext *s, const DecodedInsn *d);
/*
 * Linear address of seg:offset for an access of 'size' bytes (0 = no access,
 * LEA-like): adds the segment base unless it is known zero, wraps to 32 bits
 * outside 64-bit mode, and checks the segment limit in real/v86/protected
 * mode (#GP(0), #SS(0) for SS).  seg: R_ES..R_GS.
 */
IRv64 gen_linear(DisasContext *s, int seg, IRv64 offset, unsigned size);
/* Linear address of the instruction's memory operand, limit-checked for size. */
IRv64 gen_lea_mem(DisasContext *s, const DecodedInsn *d, unsigned size);
/* Guest loads/stores at a linear address with the data MMU index. */
void gen_ld(DisasContext *s, unsigned ot, IRv64 v, IRv64 laddr);
void gen_lds(DisasContext *s, unsigned ot, IRv64 v, IRv64 laddr); /* sign-extended */
void gen_st(DisasContext *s, unsigned ot, IRv64 v, IRv64 laddr);

/* ---- operands of the decoded instruction ---- */

/* Size (MO_*) of operand n. */
unsigned gen_op_ot(const DecodedInsn *d, int n);
/*
 * Read operand n (GPR, memory, immediate, segment selector, string source)
 * zero-extended into v.  For a memory operand the linear address is left in
 * *laddr if laddr is non-NULL, so a read-modify-write stores to it with
 * gen_store_operand without recomputing.
 */
void gen_load_operand(DisasContext *s, const DecodedInsn *d, int n, IRv64 v, IRv64 *laddr);
/* Write operand n (GPR or memory); laddr: from gen_load_operand, or NULL. */
void gen_store_operand(DisasContext *s, const DecodedInsn *d, int n, IRv64 v,
                       const IRv64 *laddr);

/* ---- stack ---- */

/* Stack address size (MO_16/32/64) and operand size of a push/pop. */
unsigned gen_stack_aot(DisasContext *s);
unsigned gen_push_ot(DisasContext *s, const DecodedInsn *d);
/* PUSH v of size ot: the store happens before RSP changes (faults leave RSP). */
void gen_push(DisasContext *s, unsigned ot, IRv64 v);
/* v = top of stack (size ot) without popping; then gen_pop_update to pop it. */
void gen_pop_peek(DisasContext *s, unsigned ot, IRv64 v);
void gen_pop_update(DisasContext *s, unsigned ot);
/* v = the ot-sized value at SS:(rSP + delta), without changing rSP. */
void gen_stack_load(DisasContext *s, unsigned ot, IRv64 v, int64_t delta);
/* Store v (size ot) at SS:(rSP + delta), without changing rSP. */
void gen_stack_store(DisasContext *s, unsigned ot, IRv64 v, int64_t delta);
/* RSP += delta, in the stack address size. */
void gen_add_sp(DisasContext *s, int64_t delta);

/* ---- segments (translate-system.c) ---- */

/*
 * Load segment register seg from selector sel: inline in real and v86 mode,
 * through helper_load_seg in protected mode.  Sets s->is_jmp when the block
 * must end (mode bits or the SS interrupt shadow).  False if unavailable.
 */
bool gen_load_seg(DisasContext *s, int seg, IRv64 sel);

/* ---- flags ---- */

/* Set the translation-time cc_op (the operands are already in cc_*). */
void gen_set_cc_op(DisasContext *s, int op);
/* Store the translation-time cc_op into env if needed. */
void gen_update_cc_op(DisasContext *s);
/* v = full status flags (CF PF AF ZF SF OF in EFLAGS positions). */
void gen_compute_eflags(DisasContext *s, IRv64 v);
/* v = CF (0/1). */
void gen_compute_c(DisasContext *s, IRv64 v);
/* The same, first in an instruction (no EBB temp live): may branch on a guessed cc_op. */
void gen_compute_c_insn_start(DisasContext *s, IRv64 v);
/* v = condition cc (0-15, the Jcc/SETcc/CMOVcc encoding) as 0/1. */
void gen_setcc(DisasContext *s, int cc, IRv64 v);
/* The same, first in an instruction (no EBB temp live): may branch on a guessed cc_op. */
void gen_setcc_insn_start(DisasContext *s, int cc, IRv64 v);
/* After a SUB/CMP of size ot with minuend a: note a for a flag test later in the block. */
void gen_note_sub_minuend(DisasContext *s, unsigned ot, IRv64 a);
/* Branch to l when condition cc holds. */
void gen_jcc(DisasContext *s, int cc, IRLabel l);

/* ---- control flow and exceptions ---- */

/* Store the current / next instruction's EIP into env. */
void gen_update_eip_cur(DisasContext *s);
void gen_update_eip_next(DisasContext *s);
/* Raise an exception at the current instruction and end the block. */
void gen_exception(DisasContext *s, int vector);
void gen_exception_err(DisasContext *s, int vector, int error_code);
/* #UD for the current instruction (also logs it under -d unimp if unimp). */
void gen_illegal(DisasContext *s, bool unimp);
/* Jump to eip (CS relative, wrapped by the caller), chained in slot n if on the same page. */
void gen_jmp_to(DisasContext *s, uint64_t eip, unsigned slot);
/* EIP global = v (wrapped to the operand size ot); block ends with a lookup. */
void gen_jmp_reg(DisasContext *s, unsigned ot, IRv64 v);
/* Helper-call flags shorthand. */
#define HF_PURE (IR_CALL_NO_SIDE_EFFECTS | IR_CALL_NO_READ_GLOBALS | IR_CALL_NO_WRITE_GLOBALS)

/* The env pointer as a helper argument. */
#define ENV(s) IRT(ir_env((s)->f))

/* ---- translator-side helpers (translate.c, mem_helper.c, int_helper.c) ---- */

/* Raise vector with error code (-1: none) from translated code. */
NORETURN void helper_raise_exception(CPUX86State *env, uint32_t vector, uint32_t error_code);
/* INT n / INT3 / INTO: software interrupt, env->rip is the instruction. */
NORETURN void helper_raise_interrupt(CPUX86State *env, uint32_t vector, uint32_t len);
/* #GP(0) / #SS(0) unless offset .. offset+size-1 is inside segment seg's limit. */
void helper_check_seg_limit(CPUX86State *env, uint32_t seg, uint64_t offset, uint32_t size);
/* Interrupt shadow after STI / MOV SS / POP SS, and its end. */
void helper_set_inhibit_irq(CPUX86State *env);
void helper_clear_inhibit_irq(CPUX86State *env);
/*
 * Instruction fetch at translation time: one byte at a linear address
 * through the page walker.  Returns 0, or -1 with *pf_error set (the
 * caller raises #PF for the first instruction of a block, else ends it).
 */
int x86_fetch_code_byte(CPUX86State *env, uint64_t linear, uint8_t *byte, uint32_t *pf_error);
/* #PF for a fetch at translation time (CR2 = linear). */
NORETURN void x86_tcg_raise_page_fault(CPUX86State *env, uint64_t linear, uint32_t error_code);
/* Physical address of a code fetch at linear, or false with *pf_error. */
bool x86_translate_code_addr(CPUX86State *env, uint64_t linear, uint64_t *paddr,
                             uint32_t *pf_error);

#endif
