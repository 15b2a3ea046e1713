/*
 * The x86 guest CPU: architectural state, shared by every accelerator
 * (the DBT reads and writes it directly; KVM copies it in and out).
 *
 * Reference: Intel SDM vol. 3A chapters 2-7 (system registers, memory
 * management, protection, interrupts), vol. 1 chapters 3, 8, 10 (registers,
 * x87, SSE).
 *
 * Conventions every part of cpu/x86 follows:
 *  - Status flags are lazy.  env->eflags holds every bit EXCEPT CF PF AF ZF
 *    SF OF and DF; the six status flags live in cc_op/cc_dst/cc_src/cc_src2
 *    and DF in env->df (+1 or -1).  Use x86_get_eflags()/x86_put_eflags(),
 *    never env->eflags directly, whenever the full value matters.
 *  - env->hflags caches mode bits derived from CR0/CR4/EFER/segments so the
 *    translator and the TB lookup read one word.  Whoever changes the source
 *    state (CR0, EFER, CS/SS descriptors, CPL, ...) calls x86_update_hflags()
 *    and, from translated code, ends the TB.
 *  - Each translated instruction records insn_start words {eip, cc_op}
 *    (eip = rip relative to CS base; cc_op = CC_OP_DYNAMIC when the value in
 *    env is already right).  On a fault the exec loop writes them back.
 */
#ifndef CPU_X86_CPU_H
#define CPU_X86_CPU_H

#include <setjmp.h>

#include "core/common.h"
#include "cpu/x86/decode-flags.h"
#include "cpu/x86/fpu/softfloat.h"

typedef struct Machine Machine;

/* General registers, in encoding order. */
enum {
    R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

/* Segment registers, in encoding order. */
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, X86_NR_SEGS };

/*
 * A segment register with its hidden descriptor cache.  flags keeps the
 * descriptor's attribute bits where they sit in the high dword of the
 * descriptor: type 8-11, S 12, DPL 13-14, P 15, AVL 20, L 21, D/B 22, G 23.
 * limit is the expanded byte limit (G already applied).
 */
typedef struct SegmentCache {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t flags;
} SegmentCache;

#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK (15u << DESC_TYPE_SHIFT)
#define DESC_A_MASK (1u << 8)   /* accessed (code/data) */
#define DESC_W_MASK (1u << 9)   /* writable data */
#define DESC_R_MASK (1u << 9)   /* readable code */
#define DESC_E_MASK (1u << 10)  /* expand-down data */
#define DESC_C_MASK (1u << 10)  /* conforming code */
#define DESC_CS_MASK (1u << 11) /* code segment */
#define DESC_S_MASK (1u << 12)  /* code/data (not system) */
#define DESC_DPL_SHIFT 13
#define DESC_DPL_MASK (3u << DESC_DPL_SHIFT)
#define DESC_P_MASK (1u << 15)
#define DESC_AVL_MASK (1u << 20)
#define DESC_L_MASK (1u << 21)  /* 64-bit code segment */
#define DESC_B_MASK (1u << 22)  /* D/B: 32-bit default */
#define DESC_G_MASK (1u << 23)

typedef struct DescriptorTable {
    uint64_t base;
    uint32_t limit;
} DescriptorTable;

/* Control register bits. */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_PCIDE (1u << 17) /* process-context identifiers: CR3[11:0] tags the TLB */
#define CR3_PCID_NOFLUSH (1ull << 63) /* MOV to CR3 with CR4.PCIDE: keep the PCID's TLB */

#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* Exception vectors. */
enum {
    EXCP_DE = 0, EXCP_DB = 1, EXCP_NMI = 2, EXCP_BP = 3, EXCP_OF = 4, EXCP_BR = 5,
    EXCP_UD = 6, EXCP_NM = 7, EXCP_DF = 8, EXCP_TS = 10, EXCP_NP = 11, EXCP_SS = 12,
    EXCP_GP = 13, EXCP_PF = 14, EXCP_MF = 16, EXCP_AC = 17, EXCP_MC = 18, EXCP_XM = 19,
};

/* #PF error code bits. */
#define PF_ERR_P (1u << 0)
#define PF_ERR_W (1u << 1)
#define PF_ERR_U (1u << 2)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_I (1u << 4)

/*
 * hflags: mode bits the translator depends on.  The TB lookup key is
 * hflags plus the EFLAGS bits in X86_TB_EFLAGS_MASK.
 */
#define HF_CPL_MASK 3u         /* current privilege level */
#define HF_PE (1u << 2)        /* CR0.PE */
#define HF_CS32 (1u << 3)      /* CS.D: 32-bit default operand/address size */
#define HF_SS32 (1u << 4)      /* SS.B: 32-bit stack pointer */
#define HF_CS64 (1u << 5)      /* 64-bit mode (EFER.LMA and CS.L) */
#define HF_LMA (1u << 6)       /* long mode active */
#define HF_ADDSEG (1u << 7)    /* some of DS/ES/SS has a non-zero base (32-bit modes) */
#define HF_EM (1u << 9)        /* CR0.EM */
#define HF_TS (1u << 10)       /* CR0.TS */
#define HF_MP (1u << 11)       /* CR0.MP */
#define HF_SINGLESTEP (1u << 14) /* debugger/-singlestep: one insn per TB */
/*
 * The bits below stay clear of the EFLAGS bits in X86_TB_EFLAGS_MASK (8, 12-13, 16-18),
 * which share the TB key word with hflags.
 */
#define HF_INHIBIT_IRQ (1u << 19) /* interrupt shadow after STI / MOV SS / POP SS */
#define HF_OSFXSR (1u << 20)   /* CR4.OSFXSR */
#define HF_PG (1u << 21)       /* CR0.PG */
#define HF_AM (1u << 22)       /* CR0.AM: with EFLAGS.AC at CPL 3, alignment checks */
#define HF_IBPT (1u << 23)     /* DR7 enables an instruction breakpoint (R/W = 00) */
/*
 * Segment seg (R_ES..R_GS) is flat outside 64-bit mode: base 0, limit 0xffffffff and not an
 * expand-down data segment.  Its limit check can then only fail for an access that wraps
 * past 4 GiB, so the translator leaves the check to the softmmu slow path (translate.c).
 */
#define HF_FLAT_SHIFT 24
#define HF_FLAT(seg) (1u << (HF_FLAT_SHIFT + (seg)))
#define X86_TB_EFLAGS_MASK (X86_EFL_TF | X86_EFL_IOPL | X86_EFL_VM | X86_EFL_AC | X86_EFL_RF)

/* MMU indices for guest memory access (IR qemu_ld/st mmu_idx). */
enum {
    MMU_KERNEL_IDX = 0, /* CPL 0-2, and implicit supervisor accesses */
    MMU_USER_IDX = 1,   /* CPL 3 */
    MMU_PHYS_IDX = 2,   /* physical address, no paging (A20 still applies) */
    X86_NB_MMU_MODES = 3,
};

/*
 * Lazy condition codes.  cc_op says how to compute the status flags from
 * cc_dst/cc_src/cc_src2: CC_OP_<op><size> with the size in the low two bits
 * (B, W, L, Q).  The translator owns the list (cpu/x86/cc.h); the values the
 * system code needs are these:
 */
#define CC_OP_DYNAMIC (-1) /* insn_start word: "env->cc_op is already right" */
#define CC_OP_EFLAGS 0     /* the flags are in cc_src, in EFLAGS bit positions */

typedef union XMMReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
} XMMReg;

/* x87 data register; MMX registers alias the significand (SDM vol. 1, 9.5). */
typedef union FPReg {
    floatx80 d;
    uint64_t mmx;
} FPReg;

/* Interrupt requests the exec loop checks at block boundaries. */
#define CPU_INTERRUPT_HARD (1u << 0)  /* INTR pin (PIC / local APIC) */
#define CPU_INTERRUPT_NMI (1u << 1)
#define CPU_INTERRUPT_INIT (1u << 2)
#define CPU_INTERRUPT_SIPI (1u << 3)
#define CPU_INTERRUPT_EXITTB (1u << 4) /* leave translated code (map change, kick) */

/*
 * The CPU's side of its interrupt controller, supplied by the board: the
 * local APIC (hw/intc/apic.c) when the machine has one, else the PIC alone.
 * Devices raise CPU_INTERRUPT_* with x86_cpu_interrupt(); the CPU calls back
 * here.  Any callback may be NULL (no APIC: CR8 reads 0, the TSC deadline
 * MSR reads 0 and ignores writes).
 */
/* -cpu flags added to / removed from the model, per cpuid_features[] word. */
typedef struct X86CpuFeatureMods {
    uint32_t plus[4], minus[4];
} X86CpuFeatureMods;

typedef struct X86IntrOps {
    /* INTA cycle: the vector the CPU takes now, or -1 when nothing is left. */
    int (*ack)(void *opaque);
    /* env->apic_base was written (WRMSR, reset): enable/disable, relocation. */
    void (*apic_base_changed)(void *opaque);
    /* CR8 is TPR[7:4]. */
    uint8_t (*get_tpr)(void *opaque);
    void (*set_tpr)(void *opaque, uint8_t cr8);
    /* IA32_TSC_DEADLINE (MSR 0x6e0), in TSC ticks (one per virtual ns). */
    uint64_t (*get_tsc_deadline)(void *opaque);
    void (*set_tsc_deadline)(void *opaque, uint64_t tsc);
} X86IntrOps;

typedef struct CPUX86State {
    /* ---- user-visible state ---- */
    uint64_t regs[16];
    uint64_t rip;
    uint64_t eflags; /* without CF PF AF ZF SF OF DF; see x86_get_eflags */
    int64_t df;      /* +1 or -1 */
    uint64_t cc_dst, cc_src, cc_src2;
    int32_t cc_op;

    SegmentCache segs[X86_NR_SEGS];
    SegmentCache ldt;
    SegmentCache tr;
    DescriptorTable gdt;
    DescriptorTable idt;

    /* ---- system registers ---- */
    uint64_t cr[5]; /* CR0, (CR1 unused), CR2, CR3, CR4; CR8 is the APIC TPR */
    uint64_t efer;
    uint64_t pdptrs[4]; /* PAE PDPTE registers, loaded per SDM 4.4.1 (mmu.c) */
    uint64_t dr[8];
    uint32_t hflags;

    /* MSRs Linux uses (SDM vol. 4) */
    uint64_t tsc_offset; /* guest TSC = host-derived virtual TSC + offset */
    uint64_t tsc_aux;
    uint64_t apic_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t star, lstar, cstar, fmask;
    uint64_t kernel_gs_base;
    uint64_t pat;
    uint64_t misc_enable;
    uint64_t spec_ctrl;         /* IA32_SPEC_CTRL (IBRS, BHI_DIS_S): kept, changes nothing */
    uint64_t mtrr_deftype;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[8][2]; /* base, mask */

    /* ---- x87 / MMX ---- */
    FPReg fpregs[8];      /* physical registers; ST(i) = fpregs[(fpstt + i) & 7] */
    uint32_t fpstt;       /* TOP */
    uint16_t fpus;        /* status word without TOP (bits 11-13 kept zero) */
    uint16_t fpuc;        /* control word */
    uint8_t fptags[8];    /* 1 = empty, per physical register */
    uint16_t fpop;        /* last opcode (11 bits) */
    uint64_t fpip, fpdp;  /* last instruction / data pointers */
    uint16_t fpcs, fpds;
    FloatStatus fp_status;

    /* ---- SSE ---- */
    XMMReg xmm[16];
    uint32_t mxcsr;
    FloatStatus sse_status;

    /* ---- execution control (not architectural) ---- */
    uint32_t interrupt_request; /* CPU_INTERRUPT_* */
    bool halted;
    bool wait_for_sipi;         /* an AP after RESET/INIT: only SIPI starts it */
    uint8_t sipi_vector;        /* start page of the pending SIPI (CS = vector << 8) */
    const X86IntrOps *intr_ops; /* the board's interrupt controller, or NULL */
    void *intr_opaque;
    uint64_t a20_mask;          /* ~(1 << 20) when the A20 gate is closed, else ~0 */
    int exception_index;        /* pending exception for the exec loop, or -1 */
    int error_code;
    bool exception_is_int;      /* software INT n: privilege checks against the gate */
    uint64_t exception_next_eip;
    int old_exception;          /* for #DF detection during delivery, or -1 */
    uint64_t cpuid_features[4]; /* leaf 1 EDX/ECX, leaf 0x80000001 EDX/ECX as advertised */
    X86CpuFeatureMods cpu_mods; /* -cpu MODEL,+flag,-flag on top of the model */
    const struct X86CpuModel *cpu_model; /* cpuid.c; NULL = the default model */
    bool cpuid_apic;            /* advertise the local APIC (the board has one) */

    /* translate-sse.c/-mmx.c: SIMD memory operands are staged here for the helpers. */
    XMMReg simd_tmp;

    Machine *machine;
    /*
     * mmu.c: the RAM or ROM range the page walker used last, so paging-structure
     * reads skip the flat-view search.  Valid while walk_ram_generation equals
     * the machine's as_memory generation (0: empty).
     */
    uint64_t walk_ram_generation;
    uint64_t walk_ram_start;
    uint64_t walk_ram_size;
    uint8_t *walk_ram_host; /* host address of walk_ram_start */
    void *accel_cpu;            /* the accelerator's per-vCPU data (TBExecCtx, TLB...) */
    int cpu_index;
    sigjmp_buf *jmp_env;        /* where x86_raise_exception unwinds to */
} CPUX86State;

/* Full EFLAGS from the lazy state, and back (sets cc_op = CC_OP_EFLAGS). */
uint64_t x86_get_eflags(CPUX86State *env);
void x86_put_eflags(CPUX86State *env, uint64_t eflags);
/* Recompute env->hflags from CR0/CR4/EFER/segments/CPL (keeps INHIBIT_IRQ). */
void x86_update_hflags(CPUX86State *env);
/* Architectural power-on/RESET state (SDM vol. 3A table 9-1); INIT keeps some. */
void x86_cpu_reset(CPUX86State *env);
void x86_cpu_init_reset(CPUX86State *env); /* INIT signal */
/*
 * Raise / drop interrupt requests (CPU_INTERRUPT_*) from device code; raising
 * kicks the accelerator so a running or halted vCPU notices.  For SIPI, set
 * env->sipi_vector first.
 */
void x86_cpu_interrupt(CPUX86State *env, uint32_t mask);
void x86_cpu_reset_interrupt(CPUX86State *env, uint32_t mask);
/* Registers in the one dump format used by -d cpu and info registers. */
void x86_cpu_dump_state(CPUX86State *env, FILE *out);
/* The A20 gate (i8042 output port, port 0x92): false masks address bit 20. */
void x86_cpu_set_a20(CPUX86State *env, bool enabled);

/* Lookup key of the TB at the current state. */
static inline void x86_get_tb_cpu_state(const CPUX86State *env, uint64_t *pc,
                                        uint64_t *cs_base, uint32_t *flags)
{
    *cs_base = env->segs[R_CS].base;
    *pc = *cs_base + env->rip;
    *flags = env->hflags | (uint32_t)(env->eflags & X86_TB_EFLAGS_MASK);
}

static inline int x86_cpl(const CPUX86State *env)
{
    return env->hflags & HF_CPL_MASK;
}

static inline int x86_mmu_index(const CPUX86State *env)
{
    return x86_cpl(env) == 3 ? MMU_USER_IDX : MMU_KERNEL_IDX;
}

/* Segment register load with no checks (real/v86 mode semantics, and reset). */
static inline void x86_load_seg_real(CPUX86State *env, int seg, uint16_t selector)
{
    SegmentCache *sc = &env->segs[seg];
    sc->selector = selector;
    sc->base = (uint64_t)selector << 4;
}

#endif
