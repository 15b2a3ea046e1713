/*
 * The CPU model: what CPUID reports, and the `-cpu` model table.  Only
 * features that Osprey implements are advertised.
 *
 * Reference: Intel SDM vol. 2A, CPUID.
 */
#ifndef CPU_X86_CPUID_H
#define CPU_X86_CPUID_H

#include "cpu/x86/cpu.h"

typedef struct X86CpuModel X86CpuModel;

/* `-cpu help`: one line per model. */
void x86_cpu_list(FILE *f);
/* Whether name is a known model ("host"/"max" map to the default). */
bool x86_cpu_model_find(const char *name);
/* The model called name, or NULL; NULL name = the default model. */
const X86CpuModel *x86_cpu_model_lookup(const char *name);
const char *x86_cpu_model_name(const X86CpuModel *model);

/* CPUID.1:EAX (family/model/stepping) of env's model: EDX after reset. */
uint32_t x86_cpuid_signature(const CPUX86State *env);
/* Fill env->cpuid_features from env->cpu_model and env->cpuid_apic. */
void x86_cpuid_fill_features(CPUX86State *env);
/* The four registers of leaf/subleaf for env. */
void x86_cpuid(const CPUX86State *env, uint32_t leaf, uint32_t subleaf, uint32_t *eax,
               uint32_t *ebx, uint32_t *ecx, uint32_t *edx);
/* The feature words some model advertises: what -cpu MODEL,+flag may add. */
void x86_cpu_implemented_features(uint32_t words[4]);
/* Whether model has leaf 0x80000001 (where syscall, nx, lm, lahf-lm live). */
bool x86_cpu_model_has_ext_leaves(const X86CpuModel *model);
/*
 * cpu-features.c: parse "+sse3,-pcid,cx16=off" (the part of -cpu after the model) into mods;
 * false with a message in err for an unknown, unimplemented or board-owned flag.
 */
bool x86_cpu_parse_features(const X86CpuModel *model, const char *list, X86CpuFeatureMods *mods,
                            char *err, size_t errlen);
/* `-cpu help`: the flags that can be added. */
void x86_cpu_list_features(FILE *f);
/* CPUID.7.0:EDX.ARCH_CAPABILITIES, and so the IA32_ARCH_CAPABILITIES MSR. */
bool x86_cpu_has_arch_capabilities(const CPUX86State *env);
/* Whether the model supports long mode (CPUID.80000001:EDX.LM). */
bool x86_cpu_has_lm(const CPUX86State *env);

/* CPUID feature bits used by the system code. */
#define CPUID_FPU (1u << 0)
#define CPUID_VME (1u << 1)
#define CPUID_DE (1u << 2)
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_PAE (1u << 6)
#define CPUID_MCE (1u << 7)
#define CPUID_CX8 (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_EXT_TSC_DEADLINE (1u << 24) /* leaf 1 ECX */
#define CPUID_SEP (1u << 11)
#define CPUID_MTRR (1u << 12)
#define CPUID_PGE (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_PAT (1u << 16)
#define CPUID_PSE36 (1u << 17)
#define CPUID_CLFSH (1u << 19)
#define CPUID_MMX (1u << 23)
#define CPUID_FXSR (1u << 24)
#define CPUID_SSE (1u << 25)
#define CPUID_SSE2 (1u << 26)

#define CPUID_EXT_SSE3 (1u << 0)
#define CPUID_EXT_SSSE3 (1u << 9)
#define CPUID_EXT_CX16 (1u << 13)
#define CPUID_EXT_PCID (1u << 17)

#define CPUID_EXT2_SYSCALL (1u << 11)
#define CPUID_EXT2_NX (1u << 20)
#define CPUID_EXT2_PDPE1GB (1u << 26)
#define CPUID_EXT2_RDTSCP (1u << 27)
#define CPUID_EXT2_LM (1u << 29)

#define CPUID_EXT3_LAHF_LM (1u << 0)

/* Leaf 7, subleaf 0, EDX: IA32_SPEC_CTRL (IBRS) and IA32_PRED_CMD (IBPB) exist. */
#define CPUID_7_0_EDX_SPEC_CTRL (1u << 26)
/* Leaf 7, subleaf 2, EDX: SPEC_CTRL's BHI_DIS_S bit exists. */
#define CPUID_7_2_EDX_BHI_CTRL (1u << 4)
/* Leaf 7, subleaf 0, EDX: the IA32_ARCH_CAPABILITIES MSR exists. */
#define CPUID_7_0_EDX_ARCH_CAPABILITIES (1u << 29)

#endif
