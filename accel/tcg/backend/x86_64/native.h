/*
 * Shared definitions of the native x86-64 backend: the fixed register roles, the stack
 * frame the exec trampoline provides, and the layout of a TB's code.
 *
 * Register roles while generated code runs:
 *   r14  env (the IR's FIXED temp)         r15  the TBExecCtx
 *   rbx  the TLBFast table (or an empty one: every access takes the hook)
 *   rcx, r10, r11  scratch (shift counts, TLB probe, addresses of calls)
 *   r12, r13, rbp, rax, rdx, rsi, rdi, r8, r9  allocated to IR values
 *
 * Frame (rsp is 16-byte aligned in TB code; [rsp] is the trampoline's return address):
 *   [rsp + NATIVE_SAVE_OFF + 8 * reg]   caller-saved registers around slow-path calls
 *   [rsp + NATIVE_SPILL_OFF + 8 * slot] spill slots for IR temps
 *
 * A TB's code starts with the chained-entry prologue (one budget check; a kick makes the
 * budget negative), NATIVE_BODY_OFF bytes long; exec() enters at the body.  ctx->cur_tb
 * is stored by the code that may unwind (slow paths, helper calls), ctx->last_tb by the
 * exits.
 */
#ifndef ACCEL_TCG_BACKEND_X86_64_NATIVE_H
#define ACCEL_TCG_BACKEND_X86_64_NATIVE_H

#include "accel/tcg/backend.h"

#define NATIVE_SAVE_OFF 16
#define NATIVE_SPILL_OFF (NATIVE_SAVE_OFF + 16 * 8)
#define NATIVE_MAX_SLOTS 2048
#define NATIVE_FRAME_SIZE (NATIVE_SPILL_OFF + NATIVE_MAX_SLOTS * 8 + 16) /* multiple of 16 */
#define NATIVE_BODY_OFF 11
#define NATIVE_PAGE_BITS 12

/* The trampoline (exec.c): runs code with the register roles above, returns rax. */
uint64_t native_enter(TBExecCtx *ctx, const void *code, const TLBFast *tlb);

/*
 * Called from TB code with a lookup key in rcx (pc), r10 (cs_base) and r11 (flags |
 * cflags << 32); returns in rax where TB code jumps next: the chained entry of the TB
 * ctx->jc holds for exactly that key, else of the one ctx->lookup_tb returns, else
 * native_exit_nochain.  Clobbers the caller-saved registers.
 */
void native_lookup_stub(void);
/* Jumped to from TB code: leave to the exec loop with TB_EXIT_NOCHAIN. */
void native_exit_nochain(void);

long native_gen_code(IRFunc *f, TranslationBlock *tb, void *buf, size_t cap,
                     uint32_t *insn_pos);

#endif
