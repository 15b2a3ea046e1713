/*
 * Model-specific registers: RDMSR/WRMSR for the MSRs Linux and firmware
 * use, and the virtual time-stamp counter.
 *
 * Reference: Intel SDM vol. 4 (MSRs), vol. 3A 11.11 (MTRRs), 11.12 (PAT),
 * 17.17 (TSC), 2.2.1 (EFER).
 */
#include "cpu/x86/cpu.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/timer.h"
#include "cpu/x86/cpuid.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/msr.h"
#include "cpu/x86/seg.h"

#include <inttypes.h>

uint64_t x86_cpu_get_tsc(CPUX86State *env)
{
    /* X86_TSC_HZ: one tick per nanosecond of virtual time (host time without a machine). */
    int64_t ns = env->machine ? clock_get_ns(machine_vclock(env->machine))
                              : host_clock_monotonic_ns();
    return (uint64_t)ns + env->tsc_offset;
}

static bool pat_valid(uint64_t val)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (val >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7) {
            return false;
        }
    }
    return true;
}

/* MTRR memory types: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB. */
static bool mtrr_type_valid(unsigned t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static int mtrr_fixed_index(uint32_t msr)
{
    switch (msr) {
    case MSR_MTRRfix64K_00000: return 0;
    case MSR_MTRRfix16K_80000: return 1;
    case MSR_MTRRfix16K_A0000: return 2;
    default:
        if (msr >= MSR_MTRRfix4K_C0000 && msr <= MSR_MTRRfix4K_C0000 + 7) {
            return 3 + (int)(msr - MSR_MTRRfix4K_C0000);
        }
        return -1;
    }
}

#define PHYS_MASK ((1ull << X86_PHYS_ADDR_BITS) - 1)

/*
 * IA32_ARCH_CAPABILITIES (read-only): a translated CPU predicts and speculates nothing, so
 * it says "not affected" for every flaw the MSR can deny, and offers enhanced IBRS, which
 * makes Linux use plain indirect calls instead of retpolines (each retpoline is a CALL and
 * a RET to a rewritten return address: two block lookups for one indirect call here).
 */
#define X86_ARCH_CAPABILITIES                                                              \
    (ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO |             \
     ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | \
     ARCH_CAP_PSDP_NO | ARCH_CAP_BHI_NO | ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO |             \
     ARCH_CAP_RFDS_NO)

bool x86_msr_read(CPUX86State *env, uint32_t msr, uint64_t *val)
{
    int fixed = mtrr_fixed_index(msr);
    bool lm = x86_cpu_has_lm(env);

    if (fixed >= 0) {
        *val = env->mtrr_fixed[fixed];
        return true;
    }
    if (msr >= MSR_MTRRphysBase0 && msr < MSR_MTRRphysBase0 + 16) {
        *val = env->mtrr_var[(msr - MSR_MTRRphysBase0) / 2][msr & 1];
        return true;
    }
    switch (msr) {
    case MSR_IA32_TSC: *val = x86_cpu_get_tsc(env); return true;
    case MSR_IA32_APICBASE: *val = env->apic_base; return true;
    case MSR_IA32_TSC_DEADLINE:
        if (!(env->cpuid_features[1] & CPUID_EXT_TSC_DEADLINE)) {
            return false;
        }
        *val = env->intr_ops && env->intr_ops->get_tsc_deadline
                   ? env->intr_ops->get_tsc_deadline(env->intr_opaque) : 0;
        return true;
    case MSR_IA32_BIOS_SIGN_ID: *val = 0; return true;
    case MSR_IA32_ARCH_CAPABILITIES:
        /* Read-only (writes #GP); see cpuid.c, leaf 7. */
        if (!x86_cpu_has_arch_capabilities(env)) {
            break;
        }
        *val = X86_ARCH_CAPABILITIES;
        return true;
    case MSR_IA32_SPEC_CTRL:
        if (!x86_cpu_has_arch_capabilities(env)) {
            break;
        }
        *val = env->spec_ctrl;
        return true;
    /* Read-only; the microcode driver reads it on Intel family 6.  Platform 0. */
    case MSR_IA32_PLATFORM_ID: *val = 0; return true;
    case MSR_MTRRcap: *val = 0x500 | 8; return true; /* WC, fixed ranges, 8 variable */
    case MSR_IA32_SYSENTER_CS: *val = env->sysenter_cs; return true;
    case MSR_IA32_SYSENTER_ESP: *val = env->sysenter_esp; return true;
    case MSR_IA32_SYSENTER_EIP: *val = env->sysenter_eip; return true;
    case MSR_IA32_MISC_ENABLE: *val = env->misc_enable; return true;
    case MSR_IA32_CR_PAT: *val = env->pat; return true;
    case MSR_MTRRdefType: *val = env->mtrr_deftype; return true;
    case MSR_EFER: *val = env->efer; return true;
    case MSR_STAR: *val = env->star; return true;
    case MSR_LSTAR: if (!lm) break; *val = env->lstar; return true;
    case MSR_CSTAR: if (!lm) break; *val = env->cstar; return true;
    case MSR_FMASK: if (!lm) break; *val = env->fmask; return true;
    case MSR_FS_BASE: if (!lm) break; *val = env->segs[R_FS].base; return true;
    case MSR_GS_BASE: if (!lm) break; *val = env->segs[R_GS].base; return true;
    case MSR_KERNEL_GS_BASE: if (!lm) break; *val = env->kernel_gs_base; return true;
    case MSR_TSC_AUX:
        if (!(env->cpuid_features[2] & CPUID_EXT2_RDTSCP)) {
            break;
        }
        *val = env->tsc_aux;
        return true;
    default:
        break;
    }
    return false;
}

static bool efer_write(CPUX86State *env, uint64_t val)
{
    uint64_t allowed = 0;
    if (env->cpuid_features[2] & CPUID_EXT2_SYSCALL) {
        allowed |= EFER_SCE;
    }
    if (env->cpuid_features[2] & CPUID_EXT2_LM) {
        allowed |= EFER_LME | EFER_LMA;
    }
    if (env->cpuid_features[2] & CPUID_EXT2_NX) {
        allowed |= EFER_NXE;
    }
    if (val & ~allowed) {
        return false;
    }
    /* LME may not change while paging is on (SDM 9.8.5). */
    if (((val ^ env->efer) & EFER_LME) && (env->cr[0] & CR0_PG)) {
        return false;
    }
    /* LMA is read-only: the CPU sets it from LME and CR0.PG. */
    val = (val & ~(uint64_t)EFER_LMA) | (env->efer & EFER_LMA);
    if ((val ^ env->efer) & EFER_NXE) {
        x86_tlb_flush(env, true);
    }
    env->efer = val;
    x86_update_hflags(env);
    return true;
}

bool x86_msr_write(CPUX86State *env, uint32_t msr, uint64_t val)
{
    int fixed = mtrr_fixed_index(msr);
    bool lm = x86_cpu_has_lm(env);

    if (fixed >= 0) {
        for (int i = 0; i < 8; i++) {
            if (!mtrr_type_valid((val >> (8 * i)) & 0xff)) {
                return false;
            }
        }
        env->mtrr_fixed[fixed] = val;
        return true;
    }
    if (msr >= MSR_MTRRphysBase0 && msr < MSR_MTRRphysBase0 + 16) {
        int n = (msr - MSR_MTRRphysBase0) / 2;
        if (msr & 1) {
            /* PhysMask: bits 11 (valid) and 12..MAXPHYADDR-1. */
            if (val & ~((PHYS_MASK & ~0xfffull) | 0x800)) {
                return false;
            }
        } else if ((val & ~((PHYS_MASK & ~0xfffull) | 0xff)) || !mtrr_type_valid(val & 0xff)) {
            return false;
        }
        env->mtrr_var[n][msr & 1] = val;
        return true;
    }
    switch (msr) {
    case MSR_IA32_TSC:
        env->tsc_offset = val - (x86_cpu_get_tsc(env) - env->tsc_offset);
        return true;
    case MSR_IA32_APICBASE:
        /* BSP (8), x2APIC (10, not offered), enable (11), base: the rest is reserved. */
        if (val & ~((PHYS_MASK & ~0xfffull) | (1u << 8) | (1u << 11))) {
            return false;
        }
        env->apic_base = val;
        if (env->intr_ops && env->intr_ops->apic_base_changed) {
            env->intr_ops->apic_base_changed(env->intr_opaque);
        }
        return true;
    case MSR_IA32_TSC_DEADLINE:
        if (!(env->cpuid_features[1] & CPUID_EXT_TSC_DEADLINE)) {
            return false;
        }
        if (env->intr_ops && env->intr_ops->set_tsc_deadline) {
            env->intr_ops->set_tsc_deadline(env->intr_opaque, val);
        }
        return true;
    case MSR_IA32_BIOS_SIGN_ID:
        return true;
    case MSR_IA32_SPEC_CTRL:
        /* Kept for reads; there is no prediction to restrict (cpuid.c, leaf 7). */
        if (!x86_cpu_has_arch_capabilities(env) ||
            (val & ~(SPEC_CTRL_IBRS | SPEC_CTRL_BHI_DIS_S))) {
            return false;
        }
        env->spec_ctrl = val;
        return true;
    case MSR_IA32_PRED_CMD:
        /* IBPB: nothing predicted, nothing to flush. */
        return x86_cpu_has_arch_capabilities(env) && !(val & ~PRED_CMD_IBPB);
    case MSR_IA32_SYSENTER_CS: env->sysenter_cs = val & 0xffff; return true;
    case MSR_IA32_SYSENTER_ESP:
    case MSR_IA32_SYSENTER_EIP:
        if (lm && !x86_is_canonical(val)) {
            return false;
        }
        if (msr == MSR_IA32_SYSENTER_ESP) {
            env->sysenter_esp = lm ? val : (uint32_t)val;
        } else {
            env->sysenter_eip = lm ? val : (uint32_t)val;
        }
        return true;
    case MSR_IA32_MISC_ENABLE:
        env->misc_enable = val;
        return true;
    case MSR_IA32_CR_PAT:
        if (!pat_valid(val)) {
            return false;
        }
        env->pat = val;
        return true;
    case MSR_MTRRdefType:
        /* Type (7:0), FE (10), E (11). */
        if ((val & ~0xcffull) || !mtrr_type_valid(val & 0xff)) {
            return false;
        }
        env->mtrr_deftype = val;
        return true;
    case MSR_EFER:
        return efer_write(env, val);
    case MSR_STAR:
        env->star = val;
        return true;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!lm) {
            break;
        }
        if (!x86_is_canonical(val)) {
            return false;
        }
        if (msr == MSR_LSTAR) {
            env->lstar = val;
        } else if (msr == MSR_CSTAR) {
            env->cstar = val;
        } else if (msr == MSR_FS_BASE) {
            env->segs[R_FS].base = val;
        } else if (msr == MSR_GS_BASE) {
            env->segs[R_GS].base = val;
        } else {
            env->kernel_gs_base = val;
        }
        return true;
    case MSR_FMASK:
        if (!lm) {
            break;
        }
        env->fmask = (uint32_t)val;
        return true;
    case MSR_TSC_AUX:
        if (!(env->cpuid_features[2] & CPUID_EXT2_RDTSCP) || (val >> 32)) {
            return false;
        }
        env->tsc_aux = val;
        return true;
    default:
        break;
    }
    log_unimp("wrmsr: unknown MSR %#x value %#" PRIx64 "\n", msr, val);
    return false;
}

void helper_rdmsr(CPUX86State *env)
{
    uint32_t msr = (uint32_t)env->regs[R_ECX];
    uint64_t val;
    if (x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_msr_read(env, msr, &val)) {
        log_unimp("rdmsr: unknown MSR %#x\n", msr);
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    env->regs[R_EAX] = (uint32_t)val;
    env->regs[R_EDX] = (uint32_t)(val >> 32);
}

void helper_wrmsr(CPUX86State *env)
{
    uint32_t msr = (uint32_t)env->regs[R_ECX];
    uint64_t val = (uint32_t)env->regs[R_EAX] | ((uint64_t)(uint32_t)env->regs[R_EDX] << 32);
    if (x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (!x86_msr_write(env, msr, val)) {
        log_guest_error("wrmsr %#x <- %#" PRIx64 " rejected (#GP)\n", msr, val);
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
}
