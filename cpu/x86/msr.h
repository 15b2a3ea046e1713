/*
 * MSR numbers (SDM vol. 4) and the MSR access functions used by RDMSR/WRMSR,
 * the KVM state sync and the tests.
 */
#ifndef CPU_X86_MSR_H
#define CPU_X86_MSR_H

#include "cpu/x86/cpu.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APICBASE 0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_IA32_PLATFORM_ID 0x17
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define ARCH_CAP_RDCL_NO (1ull << 0)         /* not affected by rogue data cache load (Meltdown) */
#define ARCH_CAP_IBRS_ALL (1ull << 1)        /* enhanced IBRS: set once, covers every mode */
#define ARCH_CAP_SSB_NO (1ull << 4)          /* not affected by speculative store bypass */
#define ARCH_CAP_MDS_NO (1ull << 5)          /* not affected by microarchitectural data sampling */
#define ARCH_CAP_PSCHANGE_MC_NO (1ull << 6)  /* no machine check on page-size change (iTLB) */
#define ARCH_CAP_TAA_NO (1ull << 8)          /* not affected by TSX asynchronous abort */
#define ARCH_CAP_SBDR_SSDP_NO (1ull << 13)   /* the three MMIO stale-data flaws: not affected */
#define ARCH_CAP_FBSDP_NO (1ull << 14)
#define ARCH_CAP_PSDP_NO (1ull << 15)
#define ARCH_CAP_BHI_NO (1ull << 20)         /* not affected by branch history injection */
#define ARCH_CAP_PBRSB_NO (1ull << 24)       /* not affected by post-barrier RSB predictions */
#define ARCH_CAP_GDS_NO (1ull << 26)         /* not affected by gather data sampling */
#define ARCH_CAP_RFDS_NO (1ull << 27)        /* not affected by register file data sampling */
#define MSR_IA32_SPEC_CTRL 0x48
#define SPEC_CTRL_IBRS (1ull << 0)
#define SPEC_CTRL_BHI_DIS_S (1ull << 10)
#define MSR_IA32_PRED_CMD 0x49 /* write-only commands; bit 0 IBPB */
#define PRED_CMD_IBPB (1ull << 0)
#define MSR_MTRRcap 0xfe
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRRphysBase0 0x200
#define MSR_MTRRfix64K_00000 0x250
#define MSR_MTRRfix16K_80000 0x258
#define MSR_MTRRfix16K_A0000 0x259
#define MSR_MTRRfix4K_C0000 0x268
#define MSR_IA32_CR_PAT 0x277
#define MSR_MTRRdefType 0x2ff
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u

/* Read/write one MSR; false = the access must #GP (unknown MSR or bad value). */
bool x86_msr_read(CPUX86State *env, uint32_t msr, uint64_t *val);
bool x86_msr_write(CPUX86State *env, uint32_t msr, uint64_t val);
/* The TSC ticks once per nanosecond of virtual time (CPUID leaf 0x15 says so). */
#define X86_TSC_HZ 1000000000u
/* The guest's TSC now (virtual clock, 1 GHz, plus the offset WRMSR set). */
uint64_t x86_cpu_get_tsc(CPUX86State *env);

#endif
