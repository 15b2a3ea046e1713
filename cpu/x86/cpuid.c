/*
 * CPUID and the CPU model table (SDM vol. 2A, CPUID).  A model advertises
 * only what Osprey implements: the system side (paging modes, MSRs,
 * SYSENTER/SYSCALL, RDTSCP) and the instructions the translator handles.
 */
#include "cpu/x86/cpuid.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/msr.h"

struct X86CpuModel {
    const char *name;
    const char *desc;
    uint32_t family, model, stepping;
    uint32_t max_leaf;
    uint32_t max_ext_leaf; /* 0: no extended leaves */
    uint32_t edx1, ecx1;   /* leaf 1 (APIC added by env->cpuid_apic) */
    uint32_t edx_ext, ecx_ext; /* leaf 0x80000001 */
    const char *brand;
};

#define BASE_486 (CPUID_FPU)
#define BASE_P6 (CPUID_FPU | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | \
                 CPUID_CX8 | CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_CMOV | CPUID_PAT | \
                 CPUID_PSE36 | CPUID_MMX | CPUID_FXSR)
#define BASE_SSE2 (BASE_P6 | CPUID_CLFSH | CPUID_SSE | CPUID_SSE2)
#define EXT2_64 (CPUID_EXT2_SYSCALL | CPUID_EXT2_NX | CPUID_EXT2_LM | CPUID_EXT2_PDPE1GB | \
                 CPUID_EXT2_RDTSCP)

static const X86CpuModel x86_models[] = {
    {
        .name = "qemu64", .desc = "Osprey 64-bit virtual CPU (default)",
        .family = 6, .model = 6, .stepping = 3, .max_leaf = 0x16, .max_ext_leaf = 0x80000008,
        .edx1 = BASE_SSE2, .ecx1 = CPUID_EXT_SSE3 | CPUID_EXT_CX16 | CPUID_EXT_PCID,
        .edx_ext = EXT2_64, .ecx_ext = CPUID_EXT3_LAHF_LM,
        .brand = "Osprey Virtual CPU version 1.0",
    },
    {
        .name = "core2duo", .desc = "Intel Core 2 Duo class (SSSE3, 64-bit)",
        .family = 6, .model = 15, .stepping = 11, .max_leaf = 0x16, .max_ext_leaf = 0x80000008,
        .edx1 = BASE_SSE2, .ecx1 = CPUID_EXT_SSE3 | CPUID_EXT_SSSE3 | CPUID_EXT_CX16,
        .edx_ext = CPUID_EXT2_SYSCALL | CPUID_EXT2_NX | CPUID_EXT2_LM,
        .ecx_ext = CPUID_EXT3_LAHF_LM,
        .brand = "Osprey Core 2 Duo class CPU",
    },
    {
        .name = "qemu32", .desc = "Osprey 32-bit virtual CPU (PAE, no long mode)",
        .family = 6, .model = 6, .stepping = 3, .max_leaf = 0x16, .max_ext_leaf = 0x80000004,
        .edx1 = BASE_SSE2, .ecx1 = CPUID_EXT_SSE3,
        .brand = "Osprey 32-bit Virtual CPU",
    },
    {
        .name = "pentium3", .desc = "Pentium III class (SSE, no SSE2)",
        .family = 6, .model = 7, .stepping = 3, .max_leaf = 2, .max_ext_leaf = 0,
        .edx1 = BASE_P6 | CPUID_SSE,
    },
    {
        .name = "486", .desc = "i486 class (x87, no TSC/MSR/paging extensions)",
        .family = 4, .model = 8, .stepping = 0, .max_leaf = 1, .max_ext_leaf = 0,
        .edx1 = BASE_486,
    },
};

void x86_cpu_list(FILE *f)
{
    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < ARRAY_SIZE(x86_models); i++) {
        fprintf(f, "  %-12s %s\n", x86_models[i].name, x86_models[i].desc);
    }
    fprintf(f, "  %-12s %s\n", "max", "the default model (qemu64)");
    fprintf(f, "  %-12s %s\n", "host", "KVM: the host's CPUID; the DBT: the default model");
    x86_cpu_list_features(f);
}

void x86_cpu_implemented_features(uint32_t words[4])
{
    memset(words, 0, 4 * sizeof(words[0]));
    for (size_t i = 0; i < ARRAY_SIZE(x86_models); i++) {
        words[0] |= x86_models[i].edx1;
        words[1] |= x86_models[i].ecx1;
        words[2] |= x86_models[i].edx_ext;
        words[3] |= x86_models[i].ecx_ext;
    }
}

const X86CpuModel *x86_cpu_model_lookup(const char *name)
{
    if (!name || !strcmp(name, "max") || !strcmp(name, "host")) {
        return &x86_models[0];
    }
    for (size_t i = 0; i < ARRAY_SIZE(x86_models); i++) {
        if (!strcmp(name, x86_models[i].name)) {
            return &x86_models[i];
        }
    }
    return NULL;
}

bool x86_cpu_model_find(const char *name)
{
    return name && x86_cpu_model_lookup(name) != NULL;
}

const char *x86_cpu_model_name(const X86CpuModel *model)
{
    return model ? model->name : x86_models[0].name;
}

static const X86CpuModel *env_model(const CPUX86State *env)
{
    return env->cpu_model ? env->cpu_model : &x86_models[0];
}

uint32_t x86_cpuid_signature(const CPUX86State *env)
{
    const X86CpuModel *m = env_model(env);
    uint32_t family = m->family, model = m->model;
    uint32_t sig = m->stepping | (model & 0xf) << 4 | (MIN(family, 15u) << 8);
    if (family >= 15) {
        sig |= (family - 15) << 20;
    }
    if (family == 6 || family >= 15) {
        sig |= (model >> 4) << 16;
    }
    return sig;
}

void x86_cpuid_fill_features(CPUX86State *env)
{
    const X86CpuModel *m = env_model(env);
    env->cpuid_features[0] = m->edx1 | (env->cpuid_apic ? CPUID_APIC : 0);
    /* The board's local APIC implements the TSC-deadline timer mode. */
    env->cpuid_features[1] = m->ecx1 | (env->cpuid_apic ? CPUID_EXT_TSC_DEADLINE : 0);
    env->cpuid_features[2] = m->max_ext_leaf ? m->edx_ext : 0;
    env->cpuid_features[3] = m->max_ext_leaf ? m->ecx_ext : 0;
    for (int w = 0; w < 4; w++) {
        env->cpuid_features[w] |= env->cpu_mods.plus[w];
        env->cpuid_features[w] &= ~(uint64_t)env->cpu_mods.minus[w];
    }
}

bool x86_cpu_model_has_ext_leaves(const X86CpuModel *model)
{
    return (model ? model : &x86_models[0])->max_ext_leaf != 0;
}

bool x86_cpu_has_arch_capabilities(const CPUX86State *env)
{
    return env_model(env)->max_leaf >= 7;
}

bool x86_cpu_has_lm(const CPUX86State *env)
{
    return env->cpuid_features[2] & CPUID_EXT2_LM;
}

static uint32_t brand_word(const char *brand, unsigned i)
{
    char buf[48] = {0};
    if (brand) {
        strncpy(buf, brand, sizeof(buf) - 1);
    }
    return ldl_le_p(buf + 4 * i);
}

void x86_cpuid(const CPUX86State *env, uint32_t leaf, uint32_t subleaf, uint32_t *eax,
               uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    const X86CpuModel *m = env_model(env);
    static const char vendor[12] = "GenuineIntel";

    *eax = *ebx = *ecx = *edx = 0;
    if (leaf < 0x80000000u ? leaf > m->max_leaf
                           : (m->max_ext_leaf == 0 || leaf > m->max_ext_leaf)) {
        return;
    }
    switch (leaf) {
    case 0:
        *eax = m->max_leaf;
        *ebx = ldl_le_p(vendor);
        *edx = ldl_le_p(vendor + 4);
        *ecx = ldl_le_p(vendor + 8);
        break;
    case 1:
        *eax = x86_cpuid_signature(env);
        /* CLFLUSH line 8 quadwords, one logical processor, APIC ID = CPU index. */
        *ebx = (8u << 8) | (1u << 16) | ((uint32_t)env->cpu_index << 24);
        *ecx = env->cpuid_features[1];
        *edx = env->cpuid_features[0];
        break;
    case 2:
        /* AL = 1 (call once), every descriptor byte 0 = "no cache information". */
        *eax = 1;
        break;
    case 7:
        /*
         * Subleaf 0 only (EAX = 0).  A translated CPU executes nothing speculatively, so
         * it has none of the speculative-execution flaws the IA32_ARCH_CAPABILITIES MSR can
         * deny (msr.c).  Without it, Linux on a "GenuineIntel" CPU assumes Meltdown and
         * turns on page-table isolation: a CR3 write on every kernel entry and exit, no
         * global kernel pages, and a second PCID per process, whose TLB and jump cache
         * refill after every fork and exec.  SPEC_CTRL with the MSR's enhanced-IBRS bit
         * lets Linux drop retpolines too (msr.c).  Under KVM, kvm-x86.c keeps the bits only
         * if KVM supports them, and KVM then answers the MSRs with the host's own status.
         */
        if (subleaf == 0) {
            *eax = 2; /* the highest subleaf */
            *edx = CPUID_7_0_EDX_ARCH_CAPABILITIES | CPUID_7_0_EDX_SPEC_CTRL;
        } else if (subleaf == 2) {
            /*
             * BHI_DIS_S in SPEC_CTRL: Linux believes eIBRS parts need a branch-history
             * mitigation whatever the MSR says, and with this control sets one bit at boot
             * instead of running a history-clearing loop on every system call.
             */
            *edx = CPUID_7_2_EDX_BHI_CTRL;
        }
        break;
    case 0x15:
        /*
         * The TSC runs at 1 GHz of virtual time (msr.c).  Saying so here (TSC = crystal * 1/1,
         * crystal 1 GHz) lets guests skip calibrating it against the PIT, which an emulator
         * on a busy host can get wrong by a factor of ten.
         */
        *eax = 1;
        *ebx = 1;
        *ecx = X86_TSC_HZ;
        break;
    case 0x16:
        /* Base and maximum frequency in MHz, the same as the TSC's. */
        *eax = X86_TSC_HZ / 1000000;
        *ebx = X86_TSC_HZ / 1000000;
        break;
    case 0x80000000u:
        *eax = m->max_ext_leaf;
        *ebx = ldl_le_p(vendor);
        *edx = ldl_le_p(vendor + 4);
        *ecx = ldl_le_p(vendor + 8);
        break;
    case 0x80000001u:
        *ecx = env->cpuid_features[3];
        *edx = env->cpuid_features[2];
        break;
    case 0x80000002u: case 0x80000003u: case 0x80000004u: {
        unsigned base = (leaf - 0x80000002u) * 4;
        *eax = brand_word(m->brand, base);
        *ebx = brand_word(m->brand, base + 1);
        *ecx = brand_word(m->brand, base + 2);
        *edx = brand_word(m->brand, base + 3);
        break;
    }
    case 0x80000006u:
        /* L2: 512 KiB, 8-way (code 6), 64-byte lines. */
        *ecx = (512u << 16) | (6u << 12) | 64;
        break;
    case 0x80000008u:
        *eax = X86_PHYS_ADDR_BITS | (48u << 8);
        break;
    default:
        /* Leaves 3-0x14 and 0x80000005/7: nothing to report. */
        (void)subleaf;
        break;
    }
}
