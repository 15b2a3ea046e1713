/*
 * Debug exceptions raised from translated code (SDM vol. 3A chapter 17):
 * single-step traps (EFLAGS.TF), instruction breakpoints (DR0-DR3 with
 * R/W = 00 in DR7) and the resume flag (EFLAGS.RF) that suppresses them.
 *
 * The translator only emits these calls when the TB key says they are
 * needed (TF, HF_IBPT, RF), so code running without debug features pays
 * nothing.
 */
#ifndef CPU_X86_DEBUG_HELPER_H
#define CPU_X86_DEBUG_HELPER_H

#include "cpu/x86/cpu.h"

#define DR6_BS (1u << 14) /* single step */

/*
 * Before the instruction at linear address 'linear': #DB (a fault, RIP stays
 * at the instruction) with DR6.B0-B3 set if an enabled instruction
 * breakpoint matches.
 */
void helper_debug_check_bpt(CPUX86State *env, uint64_t linear);
/* After a completed instruction with TF set: DR6.BS and the #DB trap (never returns). */
NORETURN void helper_debug_step_trap(CPUX86State *env);
/* RF is cleared once an instruction completes (the one it was set for). */
void helper_debug_clear_rf(CPUX86State *env);

/* Do the enabled instruction breakpoints of env match linear?  DR6 B0-B3 bits, or 0. */
uint32_t x86_debug_bpt_hits(const CPUX86State *env, uint64_t linear);

#endif
