/*
 * System instructions: MOV to/from CR and DR, LMSW/CLTS/INVLPG, HLT, I/O
 * permission checks and port I/O, CLI/STI with IOPL/VME/PVI, CPUID, RDTSC,
 * RDTSCP, RDPMC, SYSCALL/SYSRET, SYSENTER/SYSEXIT and SWAPGS.
 *
 * Reference: Intel SDM vol. 3A 2.5 (control registers), 9.8 (mode
 * switching), 17.2 (debug registers), vol. 1 18.5 (I/O permission bitmap),
 * vol. 3A 20.4 (VME), and the vol. 2 instruction pages.
 */
#include "cpu/x86/cpu.h"
#include "core/log.h"
#include "cpu/x86/cpuid.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/msr.h"
#include "cpu/x86/seg.h"

#include <inttypes.h>

/* The local APIC's TPR behind CR8; without an APIC, CR8 reads 0 and writes are dropped. */
static uint64_t x86_cpu_get_cr8(CPUX86State *env)
{
    const X86IntrOps *ops = env->intr_ops;

    return ops && ops->get_tpr ? ops->get_tpr(env->intr_opaque) & 0xf : 0;
}

static void x86_cpu_set_cr8(CPUX86State *env, uint64_t val)
{
    const X86IntrOps *ops = env->intr_ops;

    if (ops && ops->set_tpr) {
        ops->set_tpr(env->intr_opaque, val & 0xf);
    } else {
        log_unimp("CR8 write %#" PRIx64 " with no local APIC model\n", val);
    }
}

#define CR0_VALID (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | \
                   CR0_NW | CR0_CD | CR0_PG)
#define CR4_VALID (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | \
                   CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_PCIDE)

static void write_cr0(CPUX86State *env, uint64_t val)
{
    uint64_t old = env->cr[0];

    if ((val >> 32) || (val & ~(uint64_t)CR0_VALID)) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    val |= CR0_ET; /* hard-wired to 1 since the i486 */
    if (((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD))) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if ((val & CR0_PG) && !(old & CR0_PG)) {
        if (env->efer & EFER_LME) {
            /* Entering IA-32e mode (SDM 9.8.5): needs PAE, and not from a 64-bit CS. */
            if (!(env->cr[4] & CR4_PAE) || (env->segs[R_CS].flags & DESC_L_MASK)) {
                x86_raise_exception_err(env, EXCP_GP, 0);
            }
        } else if ((env->cr[4] & CR4_PAE) && !x86_mmu_load_pdptes(env)) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
    }
    if (!(val & CR0_PG) && (old & CR0_PG) && (env->efer & EFER_LMA)) {
        /* Leaving long mode is only possible from compatibility mode, and without PCIDs. */
        if ((env->hflags & HF_CS64) || (env->cr[4] & CR4_PCIDE)) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
    }
    env->cr[0] = val;
    if ((val & CR0_PG) && (env->efer & EFER_LME)) {
        env->efer |= EFER_LMA;
    } else if (!(val & CR0_PG)) {
        env->efer &= ~(uint64_t)EFER_LMA;
    }
    if ((val ^ old) & (CR0_PG | CR0_WP | CR0_PE)) {
        x86_tlb_flush(env, true);
    }
    x86_update_hflags(env);
}

static void write_cr3(CPUX86State *env, uint64_t val)
{
    bool pcide = (env->cr[4] & CR4_PCIDE) != 0;
    bool keep = false;

    if (pcide) {
        /* Bit 63 asks to keep the PCID's TLB entries; it is not part of CR3 (SDM 4.10.4.1). */
        keep = (val & CR3_PCID_NOFLUSH) != 0;
        val &= ~CR3_PCID_NOFLUSH;
    }
    if (env->efer & EFER_LMA) {
        if (val & ~((1ull << X86_PHYS_ADDR_BITS) - 1)) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
    } else {
        val = (uint32_t)val;
    }
    uint64_t old = env->cr[3];
    env->cr[3] = val;
    if ((env->cr[0] & CR0_PG) && (env->cr[4] & CR4_PAE) && !(env->efer & EFER_LMA) &&
        !x86_mmu_load_pdptes(env)) {
        env->cr[3] = old;
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (pcide) {
        x86_tlb_switch_pcid(env, (uint16_t)(val & 0xfff), keep);
    } else {
        x86_tlb_flush(env, false);
    }
}

static void write_cr4(CPUX86State *env, uint64_t val)
{
    uint64_t old = env->cr[4];
    if (val & ~(uint64_t)CR4_VALID) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if ((env->efer & EFER_LMA) && !(val & CR4_PAE)) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (((val & CR4_PAE) && !(env->cpuid_features[0] & CPUID_PAE)) ||
        ((val & CR4_PSE) && !(env->cpuid_features[0] & CPUID_PSE)) ||
        ((val & CR4_PGE) && !(env->cpuid_features[0] & CPUID_PGE)) ||
        ((val & CR4_OSFXSR) && !(env->cpuid_features[0] & CPUID_FXSR)) ||
        ((val & CR4_PCIDE) && !(env->cpuid_features[1] & CPUID_EXT_PCID))) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    /* Setting PCIDE needs long mode and CR3[11:0] = 0 (SDM 4.10.1, MOV to CR4). */
    if ((val & CR4_PCIDE) && !(old & CR4_PCIDE) &&
        (!(env->efer & EFER_LMA) || (env->cr[3] & 0xfff))) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    env->cr[4] = val;
    uint64_t paging_bits = CR4_PAE | CR4_PSE | CR4_PGE | CR4_PCIDE;
    if ((val ^ old) & paging_bits) {
        if ((env->cr[0] & CR0_PG) && (val & CR4_PAE) && !(env->efer & EFER_LMA) &&
            !x86_mmu_load_pdptes(env)) {
            env->cr[4] = old;
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        x86_tlb_flush(env, true);
    }
    x86_update_hflags(env);
}

void helper_write_cr(CPUX86State *env, uint32_t reg, uint64_t val)
{
    switch (reg) {
    case 0: write_cr0(env, val); break;
    case 2: env->cr[2] = val; break;
    case 3: write_cr3(env, val); break;
    case 4: write_cr4(env, val); break;
    case 8:
        if (val >> 4) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        x86_cpu_set_cr8(env, val);
        break;
    default:
        x86_raise_exception(env, EXCP_UD);
    }
}

uint64_t helper_read_cr(CPUX86State *env, uint32_t reg)
{
    switch (reg) {
    case 0: case 2: case 3: case 4:
        return env->cr[reg];
    case 8:
        return x86_cpu_get_cr8(env);
    default:
        x86_raise_exception(env, EXCP_UD);
    }
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD. */
static uint32_t dr_index(CPUX86State *env, uint32_t reg)
{
    if (reg == 4 || reg == 5) {
        if (env->cr[4] & CR4_DE) {
            x86_raise_exception(env, EXCP_UD);
        }
        reg += 2;
    }
    if (reg > 7) {
        x86_raise_exception(env, EXCP_UD);
    }
    return reg;
}

/* Does DR7 enable a breakpoint whose R/W field is not 00 (data or I/O)? */
static bool dr7_has_data_bpt(uint64_t dr7)
{
    for (int i = 0; i < 4; i++) {
        if (((dr7 >> (2 * i)) & 3) && ((dr7 >> (16 + 4 * i)) & 3)) {
            return true;
        }
    }
    return false;
}

void helper_write_dr(CPUX86State *env, uint32_t reg, uint64_t val)
{
    reg = dr_index(env, reg);
    if (reg < 4) {
        env->dr[reg] = (env->hflags & HF_LMA) ? val : (uint32_t)val;
        return;
    }
    if (val >> 32) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (reg == 6) {
        env->dr[6] = (val & 0x0000e00fu) | 0xffff0ff0u;
    } else {
        bool had_data = dr7_has_data_bpt(env->dr[7]);
        env->dr[7] = (val & 0xffff2bffu) | 0x400;
        if (dr7_has_data_bpt(env->dr[7]) && !had_data) {
            /* Instruction breakpoints work (HF_IBPT); data and I/O ones never trigger. */
            log_unimp("DR7 %#" PRIx64 ": data/I/O breakpoints not implemented\n", val);
        }
        /* Instruction breakpoints key the translation (HF_IBPT); the TB ends after MOV DR. */
        x86_update_hflags(env);
    }
}

uint64_t helper_read_dr(CPUX86State *env, uint32_t reg)
{
    return env->dr[dr_index(env, reg)];
}

void helper_lmsw(CPUX86State *env, uint32_t val)
{
    /* Only PE, MP, EM, TS change, and PE cannot be cleared. */
    uint64_t cr0 = (env->cr[0] & ~0xeull) | (val & 0xf);
    write_cr0(env, cr0 | (env->cr[0] & CR0_PE));
}

void helper_clts(CPUX86State *env)
{
    env->cr[0] &= ~(uint64_t)CR0_TS;
    x86_update_hflags(env);
}

void helper_invlpg(CPUX86State *env, uint64_t vaddr)
{
    x86_tlb_flush_page(env, vaddr);
}

void helper_cpuid(CPUX86State *env)
{
    uint32_t a, b, c, d;
    x86_cpuid(env, (uint32_t)env->regs[R_EAX], (uint32_t)env->regs[R_ECX], &a, &b, &c, &d);
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = d;
}

void helper_rdtsc(CPUX86State *env)
{
    if ((env->cr[4] & CR4_TSD) && x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    uint64_t tsc = x86_cpu_get_tsc(env);
    env->regs[R_EAX] = (uint32_t)tsc;
    env->regs[R_EDX] = (uint32_t)(tsc >> 32);
}

void helper_rdtscp(CPUX86State *env)
{
    helper_rdtsc(env);
    env->regs[R_ECX] = (uint32_t)env->tsc_aux;
}

void helper_rdpmc(CPUX86State *env)
{
    if (!(env->cr[4] & CR4_PCE) && x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    /* No performance counters are advertised (CPUID leaf 0xA is empty). */
    log_unimp("rdpmc %#x: no performance counters\n", (uint32_t)env->regs[R_ECX]);
    x86_raise_exception_err(env, EXCP_GP, 0);
}

void helper_hlt(CPUX86State *env, uint32_t next_eip_addend)
{
    if (x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    env->rip += next_eip_addend;
    env->hflags &= ~HF_INHIBIT_IRQ;
    env->halted = true;
    env->exception_index = X86_EXCP_HLT;
    if (!env->jmp_env) {
        abort(); /* programming error: no exec loop */
    }
    siglongjmp(*env->jmp_env, 1);
}

/* ---- I/O ---- */

void helper_check_io(CPUX86State *env, uint32_t port, uint32_t size)
{
    int iopl = (env->eflags & X86_EFL_IOPL) >> 12;
    if (!(env->cr[0] & CR0_PE) ||
        (!(env->eflags & X86_EFL_VM) && x86_cpl(env) <= iopl)) {
        return;
    }
    /* The I/O permission bitmap of a 32-bit TSS (SDM vol. 1 18.5.2). */
    int type = (env->tr.flags >> DESC_TYPE_SHIFT) & 0xf;
    if (!(env->tr.flags & DESC_P_MASK) ||
        (type != DESC_SYS_TSS32_AVL && type != DESC_SYS_TSS32_BUSY) ||
        env->tr.limit < 0x67) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t iomap = (uint32_t)cpu_ld_kernel(env, env->tr.base + 0x66, 2);
    uint32_t off = iomap + (port >> 3);
    if (off + 1 > env->tr.limit) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    uint32_t bits = (uint32_t)cpu_ld_kernel(env, env->tr.base + off, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
}

uint32_t helper_in(CPUX86State *env, uint32_t port, uint32_t size)
{
    return (uint32_t)x86_io_read(env, (uint16_t)port, size);
}

void helper_out(CPUX86State *env, uint32_t port, uint32_t size, uint32_t val)
{
    x86_io_write(env, (uint16_t)port, size, val);
}

/*
 * CLI/STI (SDM vol. 2 CLI, table 3-7 / vol. 3A 20.4): IF when permitted by
 * IOPL; otherwise VIF under CR4.VME (v86) or CR4.PVI (CPL 3); else #GP.
 */
static bool use_vif(CPUX86State *env)
{
    int iopl = (env->eflags & X86_EFL_IOPL) >> 12;
    if (!(env->cr[0] & CR0_PE)) {
        return false;
    }
    if (env->eflags & X86_EFL_VM) {
        if (iopl == 3) {
            return false;
        }
        if (env->cr[4] & CR4_VME) {
            return true;
        }
    } else {
        if (x86_cpl(env) <= iopl) {
            return false;
        }
        if ((env->cr[4] & CR4_PVI) && x86_cpl(env) == 3) {
            return true;
        }
    }
    x86_raise_exception_err(env, EXCP_GP, 0);
}

void helper_cli(CPUX86State *env)
{
    if (use_vif(env)) {
        env->eflags &= ~(uint64_t)X86_EFL_VIF;
    } else {
        env->eflags &= ~(uint64_t)X86_EFL_IF;
    }
}

void helper_sti(CPUX86State *env)
{
    if (use_vif(env)) {
        if (env->eflags & X86_EFL_VIP) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        env->eflags |= X86_EFL_VIF;
    } else {
        env->eflags |= X86_EFL_IF;
    }
}

/* ---- fast system calls ---- */

/* Flat segments the fast system call instructions load without reading the GDT. */
static void load_flat_code(CPUX86State *env, uint16_t selector, int dpl, bool is64)
{
    env->segs[R_CS] = (SegmentCache){
        .selector = selector, .base = 0, .limit = 0xffffffffu,
        .flags = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK |
                 DESC_G_MASK | ((uint32_t)dpl << DESC_DPL_SHIFT) |
                 (is64 ? DESC_L_MASK : DESC_B_MASK),
    };
}

static void load_flat_stack(CPUX86State *env, uint16_t selector, int dpl)
{
    env->segs[R_SS] = (SegmentCache){
        .selector = selector, .base = 0, .limit = 0xffffffffu,
        .flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_G_MASK |
                 DESC_B_MASK | ((uint32_t)dpl << DESC_DPL_SHIFT),
    };
}

void helper_syscall(CPUX86State *env, uint32_t next_eip_addend)
{
    if (!(env->efer & EFER_SCE)) {
        x86_raise_exception(env, EXCP_UD);
    }
    uint16_t sel = (env->star >> 32) & 0xffff;
    uint64_t next = env->rip + next_eip_addend;
    if (env->hflags & HF_LMA) {
        bool from64 = env->hflags & HF_CS64;
        env->regs[R_ECX] = from64 ? next : (uint32_t)next;
        env->regs[R_R11] = x86_get_eflags(env) & ~(uint64_t)X86_EFL_RF;
        load_flat_code(env, sel & 0xfffc, 0, true);
        load_flat_stack(env, (sel + 8) & 0xfffc, 0);
        x86_put_eflags(env, x86_get_eflags(env) & ~env->fmask & ~(uint64_t)X86_EFL_RF);
        env->rip = from64 ? env->lstar : env->cstar;
    } else {
        env->regs[R_ECX] = (uint32_t)next;
        load_flat_code(env, sel & 0xfffc, 0, false);
        load_flat_stack(env, (sel + 8) & 0xfffc, 0);
        env->eflags &= ~(uint64_t)(X86_EFL_IF | X86_EFL_RF | X86_EFL_VM);
        env->rip = (uint32_t)env->star;
    }
    env->hflags &= ~HF_CPL_MASK;
    x86_update_hflags(env);
}

void helper_sysret(CPUX86State *env, uint32_t shift)
{
    if (!(env->efer & EFER_SCE)) {
        x86_raise_exception(env, EXCP_UD);
    }
    if (!(env->cr[0] & CR0_PE) || x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    uint16_t sel = (env->star >> 48) & 0xffff;
    if (env->hflags & HF_LMA) {
        if (shift == 2) {
            if (!x86_is_canonical(env->regs[R_ECX])) {
                x86_raise_exception_err(env, EXCP_GP, 0);
            }
            load_flat_code(env, (uint16_t)((sel + 16) | 3), 3, true);
            env->rip = env->regs[R_ECX];
        } else {
            load_flat_code(env, sel | 3, 3, false);
            env->rip = (uint32_t)env->regs[R_ECX];
        }
        load_flat_stack(env, (uint16_t)((sel + 8) | 3), 3);
        x86_put_eflags(env, (env->regs[R_R11] & 0x3c7fd7u) | 2);
    } else {
        load_flat_code(env, sel | 3, 3, false);
        load_flat_stack(env, (uint16_t)((sel + 8) | 3), 3);
        env->eflags |= X86_EFL_IF;
        env->rip = (uint32_t)env->regs[R_ECX];
    }
    env->hflags |= 3;
    x86_update_hflags(env);
}

void helper_sysenter(CPUX86State *env)
{
    uint16_t cs = env->sysenter_cs & 0xfffc;
    if (!(env->cr[0] & CR0_PE) || cs == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    bool lma = env->hflags & HF_LMA;
    env->eflags &= ~(uint64_t)(X86_EFL_VM | X86_EFL_IF | X86_EFL_RF);
    load_flat_code(env, cs, 0, lma);
    load_flat_stack(env, (uint16_t)(cs + 8), 0);
    env->regs[R_ESP] = lma ? env->sysenter_esp : (uint32_t)env->sysenter_esp;
    env->rip = lma ? env->sysenter_eip : (uint32_t)env->sysenter_eip;
    env->hflags &= ~HF_CPL_MASK;
    x86_update_hflags(env);
}

void helper_sysexit(CPUX86State *env, uint32_t shift)
{
    uint16_t cs = env->sysenter_cs & 0xfffc;
    if (!(env->cr[0] & CR0_PE) || x86_cpl(env) != 0 || cs == 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if (shift == 2) {
        if (!x86_is_canonical(env->regs[R_EDX]) || !x86_is_canonical(env->regs[R_ECX])) {
            x86_raise_exception_err(env, EXCP_GP, 0);
        }
        load_flat_code(env, (uint16_t)((cs + 32) | 3), 3, true);
        load_flat_stack(env, (uint16_t)((cs + 40) | 3), 3);
        env->rip = env->regs[R_EDX];
        env->regs[R_ESP] = env->regs[R_ECX];
    } else {
        load_flat_code(env, (uint16_t)((cs + 16) | 3), 3, false);
        load_flat_stack(env, (uint16_t)((cs + 24) | 3), 3);
        env->rip = (uint32_t)env->regs[R_EDX];
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
    }
    env->hflags |= 3;
    x86_update_hflags(env);
}

void helper_swapgs(CPUX86State *env)
{
    if (x86_cpl(env) != 0) {
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    uint64_t t = env->segs[R_GS].base;
    env->segs[R_GS].base = env->kernel_gs_base;
    env->kernel_gs_base = t;
}
