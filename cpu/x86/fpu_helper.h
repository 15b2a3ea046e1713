/*
 * x87, MMX and SSE helpers: the C slow paths behind translate-x87.c, translate-mmx.c and
 * translate-sse.c, and the pure functions the unit tests drive directly.
 *
 * Reference: Intel SDM vol. 1 chapters 8 (x87), 9 (MMX), 10-12 (SSE..SSSE3), vol. 2 per
 * instruction pages (FSAVE/FXSAVE layouts in tables 8-9 .. 8-12 and 10-2 / 10-3).
 *
 * Conventions:
 *  - env->fp_status mirrors FPUCW (rounding, precision, masks) and env->sse_status mirrors
 *    MXCSR; whoever writes fpuc or mxcsr outside these helpers (reset) calls
 *    x87_update_fp_status() / sse_update_status().
 *  - Memory helpers take a linear address and go through cpu_ld_data/cpu_st_data; they read
 *    everything before changing state, and compute stores before committing state, so a
 *    fault leaves the instruction restartable.  The pure cores (x87_*_bytes, *_buf) work on
 *    host byte buffers, little-endian, so the tests need no guest memory.
 *  - The translator raises #NM/#UD itself from hflags (EM, TS, MP, OSFXSR) and calls
 *    helper_fwait() for the #MF check of waiting x87 instructions.
 */
#ifndef CPU_X86_FPU_HELPER_H
#define CPU_X86_FPU_HELPER_H

#include "cpu/x86/cpu.h"

/* ---- x87 status word bits (SDM vol. 1, 8.1.3) ---- */
#define FPUS_IE 0x0001
#define FPUS_DE 0x0002
#define FPUS_ZE 0x0004
#define FPUS_OE 0x0008
#define FPUS_UE 0x0010
#define FPUS_PE 0x0020
#define FPUS_SF 0x0040
#define FPUS_ES 0x0080
#define FPUS_C0 0x0100
#define FPUS_C1 0x0200
#define FPUS_C2 0x0400
#define FPUS_TOP_MASK 0x3800
#define FPUS_C3 0x4000
#define FPUS_B 0x8000
#define FPUS_CC (FPUS_C0 | FPUS_C1 | FPUS_C2 | FPUS_C3)

#define FPUC_DEFAULT 0x037f
#define MXCSR_DEFAULT 0x1f80
#define MXCSR_MASK_SUPPORTED 0xffffu /* every defined bit, DAZ included */

/* ---- state plumbing ---- */
void x87_update_fp_status(CPUX86State *env);
void sse_update_status(CPUX86State *env);
/* Full status word with TOP. */
uint16_t x87_get_fsw(const CPUX86State *env);
void x87_set_fsw(CPUX86State *env, uint16_t fsw);
/* Two-bit tag word computed from the register contents (FSTENV/FSAVE) and back. */
uint16_t x87_get_ftw(const CPUX86State *env);
void x87_set_ftw(CPUX86State *env, uint16_t ftw);
/* FNINIT. */
void x87_reset(CPUX86State *env);

/* ---- x87 instructions; i is a stack index (ST(i)) ---- */

/* Control: #MF check for waiting instructions (FWAIT and every non-control x87 insn). */
void helper_fwait(CPUX86State *env);
/* Last instruction pointer/opcode and data pointer (non-control instructions). */
void helper_fpu_note_ip(CPUX86State *env, uint64_t ip, uint32_t cs, uint32_t opcode);
void helper_fpu_note_dp(CPUX86State *env, uint64_t dp, uint32_t ds);
void helper_fninit(CPUX86State *env);
void helper_fnclex(CPUX86State *env);
void helper_fldcw(CPUX86State *env, uint32_t fcw);
uint32_t helper_fnstcw(CPUX86State *env);
uint32_t helper_fnstsw(CPUX86State *env);
void helper_fincstp(CPUX86State *env);
void helper_fdecstp(CPUX86State *env);
void helper_ffree(CPUX86State *env, uint32_t i, uint32_t pop);
void helper_fxch(CPUX86State *env, uint32_t i);
/* FLD ST(i), FST/FSTP ST(i), FCMOVcc (cond already evaluated by the translator). */
void helper_fld_sti(CPUX86State *env, uint32_t i);
void helper_fst_sti(CPUX86State *env, uint32_t i, uint32_t pop);
void helper_fcmov(CPUX86State *env, uint32_t i, uint32_t cond);
void helper_fldconst(CPUX86State *env, uint32_t which); /* FloatX80Const */

/* Arithmetic ops, numbered as ModRM.reg of D8/DC. */
enum { X87_ADD, X87_MUL, X87_COM, X87_COMP, X87_SUB, X87_SUBR, X87_DIV, X87_DIVR };
/* Memory operand kinds. */
enum {
    X87_M32FP, X87_M64FP, X87_M80FP, X87_M16INT, X87_M32INT, X87_M64INT, X87_M80BCD,
    X87_M16INT_TRUNC, X87_M32INT_TRUNC, X87_M64INT_TRUNC, /* FISTTP */
};
unsigned x87_mem_size(unsigned kind);
/*
 * ST(0) op ST(i) -> ST(0) (to_sti = 0), or ST(i) op ST(0) -> ST(i) (to_sti = 1, FADDP ...
 * with pop).  For the SDM's "FSUB ST(i), ST(0)" the op is the instruction's own
 * (ST(i) - ST(0)); the DC/DE encodings with swapped SUB/SUBR are the translator's to map.
 * X87_COM/X87_COMP are not allowed here (helper_fcom).
 */
void helper_farith_st(CPUX86State *env, uint32_t op, uint32_t i, uint32_t to_sti,
                      uint32_t pop);
/* FADD m32fp ... FIDIVR m16int, FCOM/FCOMP/FICOM/FICOMP with memory. */
void helper_farith_mem(CPUX86State *env, uint32_t op, uint32_t kind, uint64_t addr);
void x87_farith_bytes(CPUX86State *env, unsigned op, unsigned kind, const uint8_t *buf);
/* FCOM/FCOMP/FCOMPP/FUCOM*: pops = 0, 1 or 2. */
void helper_fcom(CPUX86State *env, uint32_t i, uint32_t quiet, uint32_t pops);
/* FCOMI/FUCOMI(P): sets ZF PF CF (OF SF AF cleared) through cc_op = CC_OP_EFLAGS. */
void helper_fcomi(CPUX86State *env, uint32_t i, uint32_t quiet, uint32_t pop);
void helper_ftst(CPUX86State *env);
void helper_fxam(CPUX86State *env);
/* FLD/FILD/FBLD from memory, FST/FSTP/FIST/FISTP/FISTTP/FBSTP to memory. */
void helper_fld_mem(CPUX86State *env, uint32_t kind, uint64_t addr);
void helper_fst_mem(CPUX86State *env, uint32_t kind, uint32_t pop, uint64_t addr);
void x87_fld_bytes(CPUX86State *env, unsigned kind, const uint8_t *buf);
/*
 * Two halves of a store so memory is written before any state changes: prepare fills buf
 * (x87_mem_size bytes) and says whether to write it; commit updates FSW and pops.
 */
typedef struct X87StoreCommit {
    uint16_t flags;     /* FPUS exception bits to raise */
    bool c1;
    bool pop;
    bool store;
} X87StoreCommit;
X87StoreCommit x87_fst_prepare(const CPUX86State *env, unsigned kind, bool pop, uint8_t *buf);
void x87_fst_commit(CPUX86State *env, const X87StoreCommit *c);

/* One-operand and stack-shaping instructions on ST(0) (and ST(1)). */
void helper_fchs(CPUX86State *env);
void helper_fabs(CPUX86State *env);
void helper_fsqrt(CPUX86State *env);
void helper_frndint(CPUX86State *env);
void helper_fscale(CPUX86State *env);
void helper_fxtract(CPUX86State *env);
void helper_fprem(CPUX86State *env, uint32_t ieee);
void helper_f2xm1(CPUX86State *env);
void helper_fyl2x(CPUX86State *env);
void helper_fyl2xp1(CPUX86State *env);
void helper_fpatan(CPUX86State *env);
void helper_fptan(CPUX86State *env);
void helper_fsin(CPUX86State *env);
void helper_fcos(CPUX86State *env);
void helper_fsincos(CPUX86State *env);

/*
 * FNSTENV/FLDENV/FNSAVE/FRSTOR.  data32: 32-bit operand size (28/108-byte forms); the real
 * or protected format follows CR0.PE and EFLAGS.VM.  FNSTENV also masks all exceptions.
 */
void helper_fnstenv(CPUX86State *env, uint64_t addr, uint32_t data32);
void helper_fldenv(CPUX86State *env, uint64_t addr, uint32_t data32);
void helper_fnsave(CPUX86State *env, uint64_t addr, uint32_t data32);
void helper_frstor(CPUX86State *env, uint64_t addr, uint32_t data32);
/* Buffer cores; buf is 14/28 (env) or 94/108 (save) bytes. */
unsigned x87_env_size(bool data32);
void x87_stenv_buf(const CPUX86State *env, uint8_t *buf, bool data32, bool pmode);
void x87_ldenv_buf(CPUX86State *env, const uint8_t *buf, bool data32, bool pmode);
void x87_fsave_buf(const CPUX86State *env, uint8_t *buf, bool data32, bool pmode);
void x87_frstor_buf(CPUX86State *env, const uint8_t *buf, bool data32, bool pmode);

/*
 * FXSAVE/FXRSTOR: flags bit 0 = REX.W (64-bit FIP/FDP form), bit 1 = 64-bit mode (XMM8-15).
 * #GP(0) on a misaligned address and, for FXRSTOR, on reserved MXCSR bits.
 */
#define FXSAVE_REXW 1u
#define FXSAVE_LONG64 2u
void helper_fxsave(CPUX86State *env, uint64_t addr, uint32_t flags);
void helper_fxrstor(CPUX86State *env, uint64_t addr, uint32_t flags);
void x87_fxsave_buf(const CPUX86State *env, uint8_t *buf, unsigned flags);
/* false (state untouched) when the MXCSR image has reserved bits set. */
bool x87_fxrstor_buf(CPUX86State *env, const uint8_t *buf, unsigned flags);

/* ---- MMX state transitions ---- */
/* Any MMX instruction: TOP = 0, all tags valid. */
void helper_enter_mmx(CPUX86State *env);
void helper_emms(CPUX86State *env);

/* ---- MXCSR ---- */
void helper_ldmxcsr(CPUX86State *env, uint32_t val); /* #GP(0) on reserved bits */
uint32_t helper_stmxcsr(CPUX86State *env);

/* Guest-memory byte copies used by the memory helpers (size any, little-endian). */
void fpu_ld_bytes(CPUX86State *env, uint64_t addr, uint8_t *buf, unsigned n);
void fpu_st_bytes(CPUX86State *env, uint64_t addr, const uint8_t *buf, unsigned n);

#endif
