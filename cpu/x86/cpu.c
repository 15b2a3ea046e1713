/*
 * x86 CPU state: power-on RESET and INIT (SDM vol. 3A 9.1, table 9-1) and
 * the hflags cache the translator keys its blocks on.
 */
#include <inttypes.h>

#include "cpu/x86/cpu.h"
#include "core/machine.h"
#include "cpu/x86/cpuid.h"
#include "cpu/x86/helper.h"

void x86_update_hflags(CPUX86State *env)
{
    uint32_t hf = env->hflags & (HF_INHIBIT_IRQ | HF_SINGLESTEP);
    const SegmentCache *cs = &env->segs[R_CS];
    const SegmentCache *ss = &env->segs[R_SS];

    if (env->cr[0] & CR0_PE) {
        hf |= HF_PE;
        if (env->eflags & X86_EFL_VM) {
            hf |= 3;
        } else {
            /* SS.DPL always equals CPL, also when CS is conforming (SDM 5.5). */
            hf |= (ss->flags & DESC_DPL_MASK) >> DESC_DPL_SHIFT;
        }
    }
    if (env->efer & EFER_LMA) {
        hf |= HF_LMA;
        if (cs->flags & DESC_L_MASK) {
            hf |= HF_CS64;
        }
    }
    if (!(hf & HF_CS64)) {
        /*
         * The cached D/B bits apply in real mode too ("unreal" code left by a
         * protected-mode far jump); v86 mode is always 16-bit.
         */
        if (!(env->eflags & X86_EFL_VM) && (cs->flags & DESC_B_MASK)) {
            hf |= HF_CS32;
        }
        if (!(env->eflags & X86_EFL_VM) && (ss->flags & DESC_B_MASK)) {
            hf |= HF_SS32;
        }
    } else {
        hf |= HF_CS32 | HF_SS32;
    }
    /* 16-bit code always adds segment bases; 32-bit code only if one is non-zero. */
    if (!(hf & HF_CS64)) {
        if (!(hf & HF_CS32) ||
            (env->segs[R_DS].base | env->segs[R_ES].base | env->segs[R_SS].base) != 0) {
            hf |= HF_ADDSEG;
        }
    }
    if (!(hf & HF_CS64)) {
        bool expand_down_ignored = !(env->cr[0] & CR0_PE) || (env->eflags & X86_EFL_VM);

        for (int seg = 0; seg < X86_NR_SEGS; seg++) {
            const SegmentCache *sc = &env->segs[seg];
            bool expand_down = (sc->flags & (DESC_S_MASK | DESC_CS_MASK | DESC_E_MASK)) ==
                               (DESC_S_MASK | DESC_E_MASK);

            if (sc->base == 0 && sc->limit == 0xffffffffu && (!expand_down || expand_down_ignored)) {
                hf |= HF_FLAT(seg);
            }
        }
    }
    if (env->cr[0] & CR0_EM) {
        hf |= HF_EM;
    }
    if (env->cr[0] & CR0_TS) {
        hf |= HF_TS;
    }
    if (env->cr[0] & CR0_MP) {
        hf |= HF_MP;
    }
    if (env->cr[0] & CR0_PG) {
        hf |= HF_PG;
    }
    if (env->cr[4] & CR4_OSFXSR) {
        hf |= HF_OSFXSR;
    }
    if (env->cr[0] & CR0_AM) {
        hf |= HF_AM;
    }
    /* An enabled (L or G) DR0-3 whose R/W field is 00: instruction breakpoint. */
    for (int i = 0; i < 4; i++) {
        if (((env->dr[7] >> (2 * i)) & 3) && !((env->dr[7] >> (16 + 4 * i)) & 3)) {
            hf |= HF_IBPT;
        }
    }
    env->hflags = hf;
}

/* State common to RESET and INIT (table 9-1). */
static void reset_common(CPUX86State *env)
{
    memset(env->regs, 0, sizeof(env->regs));
    env->regs[R_EDX] = x86_cpuid_signature(env);
    env->rip = 0xfff0;
    env->eflags = 2;
    env->df = 1;
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = env->cc_dst = env->cc_src2 = 0;

    /* Data segments: selector 0, base 0, limit 0xffff, present read/write accessed. */
    for (int i = 0; i < X86_NR_SEGS; i++) {
        env->segs[i] = (SegmentCache){
            .selector = 0, .base = 0, .limit = 0xffff,
            .flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK,
        };
    }
    env->segs[R_CS] = (SegmentCache){
        .selector = 0xf000, .base = 0xffff0000u, .limit = 0xffff,
        .flags = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK,
    };
    env->gdt = (DescriptorTable){0, 0xffff};
    env->idt = (DescriptorTable){0, 0xffff};
    env->ldt = (SegmentCache){.limit = 0xffff, .flags = DESC_P_MASK | (2u << DESC_TYPE_SHIFT)};
    env->tr = (SegmentCache){.limit = 0xffff, .flags = DESC_P_MASK | (11u << DESC_TYPE_SHIFT)};

    env->cr[0] = CR0_ET | CR0_NW | CR0_CD; /* 0x60000010 */
    env->cr[2] = env->cr[3] = env->cr[4] = 0;
    env->efer = 0;
    memset(env->pdptrs, 0, sizeof(env->pdptrs));
    memset(env->dr, 0, sizeof(env->dr));
    env->dr[6] = 0xffff0ff0u;
    env->dr[7] = 0x400;

    env->sysenter_cs = env->sysenter_esp = env->sysenter_eip = 0;
    env->star = env->lstar = env->cstar = env->fmask = 0;
    env->kernel_gs_base = 0;

    env->interrupt_request = 0;
    env->halted = false;
    env->exception_index = -1;
    env->error_code = 0;
    env->exception_is_int = false;
    env->exception_next_eip = 0;
    env->old_exception = -1;
    env->hflags = 0;
    x86_cpuid_fill_features(env);
    x86_update_hflags(env);
}

void x86_cpu_reset(CPUX86State *env)
{
    reset_common(env);
    /* RESET (not INIT) also initialises x87, SSE, the TSC and the MSRs below. */
    memset(env->fpregs, 0, sizeof(env->fpregs));
    env->fpstt = 0;
    env->fpus = 0;
    env->fpuc = 0x37f;
    memset(env->fptags, 1, sizeof(env->fptags));
    env->fpop = 0;
    env->fpip = env->fpdp = 0;
    env->fpcs = env->fpds = 0;
    env->fp_status = float_status_default();
    memset(env->xmm, 0, sizeof(env->xmm));
    env->mxcsr = 0x1f80;
    env->sse_status = float_status_default();

    env->tsc_offset = 0;
    env->tsc_aux = 0;
    /* APIC at its default base, enabled; the BSP flag is for CPU 0. */
    env->apic_base = 0xfee00000u | (1u << 11) | (env->cpu_index == 0 ? 1u << 8 : 0);
    env->pat = 0x0007040600070406ull;
    env->misc_enable = 1; /* fast strings */
    env->spec_ctrl = 0;
    env->mtrr_deftype = 0;
    memset(env->mtrr_fixed, 0, sizeof(env->mtrr_fixed));
    memset(env->mtrr_var, 0, sizeof(env->mtrr_var));
    env->a20_mask = ~0ull;
    /* Application processors sit in wait-for-SIPI until the BSP starts them. */
    env->wait_for_sipi = env->cpu_index != 0;
    env->halted = env->wait_for_sipi;
}

void x86_cpu_init_reset(CPUX86State *env)
{
    /* INIT keeps x87/SSE state, MTRRs, PAT, the TSC and the APIC base (SDM 9.1). */
    reset_common(env);
}

void x86_cpu_interrupt(CPUX86State *env, uint32_t mask)
{
    env->interrupt_request |= mask;
    if (env->machine) {
        machine_kick(env->machine);
    }
}

void x86_cpu_reset_interrupt(CPUX86State *env, uint32_t mask)
{
    env->interrupt_request &= ~mask;
}

void x86_cpu_set_a20(CPUX86State *env, bool enabled)
{
    uint64_t mask = enabled ? ~0ull : ~(1ull << 20);

    if (env->a20_mask != mask) {
        env->a20_mask = mask;
        /* Cached translations hold A20-masked physical addresses. */
        x86_tlb_flush(env, true);
        env->interrupt_request |= CPU_INTERRUPT_EXITTB;
    }
}

/* The one register dump format: -d cpu and the monitor's info registers, on every accelerator. */
void x86_cpu_dump_state(CPUX86State *env, FILE *out)
{
    static const char *const names[8] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

    for (int i = 0; i < 8; i++) {
        fprintf(out, "%s=%016" PRIx64 "%s", names[i], env->regs[i], (i & 3) == 3 ? "\n" : " ");
    }
    fprintf(out, "RIP=%016" PRIx64 " RFL=%08" PRIx64 " CPL=%d hflags=%08x\n", env->rip,
            x86_get_eflags(env), x86_cpl(env), env->hflags);
    for (int i = 0; i < X86_NR_SEGS; i++) {
        fprintf(out, "SEG%d=%04x %016" PRIx64 " %08x %08x\n", i, env->segs[i].selector,
                env->segs[i].base, env->segs[i].limit, env->segs[i].flags);
    }
    fprintf(out, "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64 "\n",
            env->cr[0], env->cr[2], env->cr[3], env->cr[4]);
}
