/*
 * The contract between the x86 translator (translate*.c, which turns
 * instructions into IR) and the C slow paths it calls.  Two groups own it:
 *
 *   system side (excp.c, seg.c, mmu.c, misc_helper.c, msr.c, cpuid.c, and the
 *   guest-memory glue in cpu/x86/mem_helper.c + accel/tcg/exec.c):
 *     exceptions and interrupt delivery, descriptor loads and privilege
 *     checks, far control transfer, task switches, paging, system registers;
 *   translator side (translate*.c, cc_helper.c, int_helper.c, fpu/sse helpers):
 *     everything an application instruction computes.
 *
 * Helpers run inside a TB.  A helper that must fault calls x86_raise_exception*
 * (never returns): the exec loop restores the guest state of the faulting
 * instruction from its insn_start words, so a helper must finish every check
 * and every guest-memory read that can fault before it changes any state.
 */
#ifndef CPU_X86_HELPER_H
#define CPU_X86_HELPER_H

#include "cpu/x86/cpu.h"

/* ---- exceptions (system side) ---- */

/* Raise an exception with no error code / with one.  Unwinds to the exec loop. */
NORETURN void x86_raise_exception(CPUX86State *env, int vector);
NORETURN void x86_raise_exception_err(CPUX86State *env, int vector, int error_code);
/*
 * Software interrupt (INT n, INT3, INTO, ICEBP): delivered with the software
 * interrupt privilege rules; next_eip_addend = length of the instruction.
 */
NORETURN void x86_raise_interrupt(CPUX86State *env, int vector, int next_eip_addend);
/*
 * Deliver an interrupt or exception now through the IVT/IDT (called by the
 * exec loop outside translated code).  is_int: software INT n; next_eip:
 * the return address for traps and INT n.
 */
void x86_do_interrupt(CPUX86State *env, int vector, bool is_int, int error_code,
                      uint64_t next_eip, bool is_hw);

/* ---- guest memory from helpers (system side; fault with #PF/#GP as needed) ---- */

uint64_t cpu_ld_mmu(CPUX86State *env, uint64_t vaddr, unsigned size, int mmu_idx);
void cpu_st_mmu(CPUX86State *env, uint64_t vaddr, unsigned size, uint64_t val, int mmu_idx);
/* Data access at the current privilege level. */
static inline uint64_t cpu_ld_data(CPUX86State *env, uint64_t vaddr, unsigned size)
{
    return cpu_ld_mmu(env, vaddr, size, x86_mmu_index(env));
}
static inline void cpu_st_data(CPUX86State *env, uint64_t vaddr, unsigned size, uint64_t val)
{
    cpu_st_mmu(env, vaddr, size, val, x86_mmu_index(env));
}
/* Implicit supervisor accesses: descriptor tables, TSS, IDT. */
static inline uint64_t cpu_ld_kernel(CPUX86State *env, uint64_t vaddr, unsigned size)
{
    return cpu_ld_mmu(env, vaddr, size, MMU_KERNEL_IDX);
}
static inline void cpu_st_kernel(CPUX86State *env, uint64_t vaddr, unsigned size,
                                 uint64_t val)
{
    cpu_st_mmu(env, vaddr, size, val, MMU_KERNEL_IDX);
}
/* Flush the whole software TLB / one page (INVLPG, CR3/CR0/CR4 writes). */
void x86_tlb_flush(CPUX86State *env, bool include_global);
void x86_tlb_flush_page(CPUX86State *env, uint64_t vaddr);
/* MOV to CR3 with CR4.PCIDE: switch to pcid's TLB, dropping its non-global entries unless keep. */
void x86_tlb_switch_pcid(CPUX86State *env, uint16_t pcid, bool keep);
/* Port I/O through the machine's I/O address space (no permission checks). */
uint64_t x86_io_read(CPUX86State *env, uint16_t port, unsigned size);
void x86_io_write(CPUX86State *env, uint16_t port, unsigned size, uint64_t val);

/* ---- descriptors and far transfers (system side) ---- */

/* MOV Sreg / POP Sreg / LxS in every mode, with protected-mode checks. */
void helper_load_seg(CPUX86State *env, uint32_t seg, uint32_t selector);
/* shift: 0 = 16-bit, 1 = 32-bit, 2 = 64-bit operand size. */
void helper_ljmp(CPUX86State *env, uint32_t selector, uint64_t offset, uint32_t next_eip);
void helper_lcall(CPUX86State *env, uint32_t selector, uint64_t offset, uint32_t shift,
                  uint32_t next_eip);
void helper_lret(CPUX86State *env, uint32_t shift, uint32_t addend);
void helper_iret(CPUX86State *env, uint32_t shift, uint32_t next_eip);
void helper_lldt(CPUX86State *env, uint32_t selector);
void helper_ltr(CPUX86State *env, uint32_t selector);
/* LAR/LSL/VERR/VERW: result value, and ZF via the returned flag (bit 32 = ZF set). */
uint64_t helper_lar(CPUX86State *env, uint32_t selector);
uint64_t helper_lsl(CPUX86State *env, uint32_t selector);
uint64_t helper_verr(CPUX86State *env, uint32_t selector);
uint64_t helper_verw(CPUX86State *env, uint32_t selector);
void helper_syscall(CPUX86State *env, uint32_t next_eip_addend);
void helper_sysret(CPUX86State *env, uint32_t shift);
void helper_sysenter(CPUX86State *env);
void helper_sysexit(CPUX86State *env, uint32_t shift);
void helper_swapgs(CPUX86State *env);
/* ENTER with nesting level > 0 (level 0 is inline). */
void helper_enter_level(CPUX86State *env, uint32_t level, uint32_t shift, uint64_t frame_temp);

/* ---- system registers and instructions (system side) ---- */

void helper_write_cr(CPUX86State *env, uint32_t reg, uint64_t val); /* ends the TB */
uint64_t helper_read_cr(CPUX86State *env, uint32_t reg);            /* CR8 */
void helper_write_dr(CPUX86State *env, uint32_t reg, uint64_t val);
uint64_t helper_read_dr(CPUX86State *env, uint32_t reg);
void helper_lmsw(CPUX86State *env, uint32_t val);
void helper_clts(CPUX86State *env);
void helper_invlpg(CPUX86State *env, uint64_t vaddr);
void helper_rdmsr(CPUX86State *env);  /* ECX -> EDX:EAX, #GP on unknown MSRs */
void helper_wrmsr(CPUX86State *env);
void helper_cpuid(CPUX86State *env);  /* EAX/ECX -> EAX..EDX */
void helper_rdtsc(CPUX86State *env);  /* #GP with CR4.TSD at CPL > 0 */
void helper_rdtscp(CPUX86State *env);
void helper_rdpmc(CPUX86State *env);
NORETURN void helper_hlt(CPUX86State *env, uint32_t next_eip_addend);
/* I/O permission: #GP unless CPL <= IOPL or the TSS bitmap allows (and v86 rules). */
void helper_check_io(CPUX86State *env, uint32_t port, uint32_t size);
uint32_t helper_in(CPUX86State *env, uint32_t port, uint32_t size);
void helper_out(CPUX86State *env, uint32_t port, uint32_t size, uint32_t val);
/* CLI/STI/PUSHF/POPF/IRET in v86 and with CR4.VME/PVI: permission decisions. */
void helper_cli(CPUX86State *env);
void helper_sti(CPUX86State *env);

/* ---- application helpers (translator side) ---- */

/* POPF/IRET-style write: only the bits 'mask' allows change. */
void helper_write_eflags(CPUX86State *env, uint64_t val, uint64_t mask);
uint64_t helper_read_eflags(CPUX86State *env);

#endif
