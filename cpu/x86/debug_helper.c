/*
 * Debug exceptions from translated code: single-step traps, instruction
 * breakpoints and the resume flag.  See debug_helper.h.
 *
 * Reference: Intel SDM vol. 3A 17.2 (DR6/DR7), 17.3.1.1 (instruction
 * breakpoints are faults; RF), 17.3.1.4 (single-step traps).
 */
#include "cpu/x86/debug_helper.h"

#include "cpu/x86/helper.h"
#include "cpu/x86/seg.h"

uint32_t x86_debug_bpt_hits(const CPUX86State *env, uint64_t linear)
{
    uint64_t dr7 = env->dr[7];
    uint32_t hits = 0;

    for (int i = 0; i < 4; i++) {
        bool enabled = (dr7 >> (2 * i)) & 3;
        bool exec = !((dr7 >> (16 + 4 * i)) & 3);
        /* Outside 64-bit mode linear addresses and DRn are 32 bits (the translator wraps). */
        if (enabled && exec && env->dr[i] == linear) {
            hits |= 1u << i;
        }
    }
    return hits;
}

void helper_debug_check_bpt(CPUX86State *env, uint64_t linear)
{
    uint32_t hits = x86_debug_bpt_hits(env, linear);

    if (hits) {
        /* B0-B3 report this exception only; BS/BD/BT are sticky. */
        env->dr[6] = (env->dr[6] & ~(uint64_t)0xf) | hits;
        x86_raise_exception(env, EXCP_DB);
    }
}

void helper_debug_step_trap(CPUX86State *env)
{
    env->dr[6] |= DR6_BS;
    /* env->rip already names the next instruction: the loop must not restore. */
    x86_raise_exception_err(env, X86_EXCP_DEBUG_TRAP, 0);
}

void helper_debug_clear_rf(CPUX86State *env)
{
    env->eflags &= ~(uint64_t)X86_EFL_RF;
}
