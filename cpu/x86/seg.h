/*
 * System-side internals shared by excp.c, seg.c, misc_helper.c and cpu.c:
 * descriptor access, stack pushes for far transfers and interrupt frames,
 * task switching, and the exec-loop exit codes the system helpers use.
 *
 * Reference: Intel SDM vol. 3A chapters 3 (segmentation), 5 (protection),
 * 6 (interrupts), 7 (task management).
 */
#ifndef CPU_X86_SEG_H
#define CPU_X86_SEG_H

#include "cpu/x86/cpu.h"
#include "cpu/x86/mmu.h"

/*
 * exception_index values above the 256 vectors.  The exec loop must NOT
 * restore state from insn_start for these: the helper already left env
 * exactly as the next instruction expects.
 *   X86_EXCP_HLT: HLT executed; env->halted is set, rip is past the HLT.
 *   X86_EXCP_SHUTDOWN: triple fault; the CPU is stopped (halted, interrupts
 *     ignored until reset) and a guest reset was requested from the machine.
 *   X86_EXCP_DEBUG_TRAP: single-step trap after a completed instruction
 *     (debug_helper.c); env holds the state after it, DR6.BS is set, and the
 *     loop delivers #DB with the next instruction as the return address.
 */
#define X86_EXCP_HLT 0x100
#define X86_EXCP_SHUTDOWN 0x101
#define X86_EXCP_DEBUG_TRAP 0x102

/* Descriptor fields (high dword e2 / low dword e1). */
static inline uint32_t x86_desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000u);
}

static inline uint32_t x86_desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t limit = (e1 & 0xffff) | (e2 & 0x000f0000u);
    if (e2 & DESC_G_MASK) {
        limit = (limit << 12) | 0xfff;
    }
    return limit;
}

static inline int x86_desc_dpl(uint32_t e2)
{
    return (e2 >> DESC_DPL_SHIFT) & 3;
}

/* System descriptor types (S = 0), SDM table 3-2. */
enum {
    DESC_SYS_TSS16_AVL = 1, DESC_SYS_LDT = 2, DESC_SYS_TSS16_BUSY = 3, DESC_SYS_CALL16 = 4,
    DESC_SYS_TASK = 5, DESC_SYS_INT16 = 6, DESC_SYS_TRAP16 = 7, DESC_SYS_TSS32_AVL = 9,
    DESC_SYS_TSS32_BUSY = 11, DESC_SYS_CALL32 = 12, DESC_SYS_INT32 = 14, DESC_SYS_TRAP32 = 15,
};

/* Fill a segment cache from a descriptor (no checks). */
void x86_seg_cache_set(SegmentCache *sc, uint16_t selector, uint32_t e1, uint32_t e2);
void x86_load_seg_cache(CPUX86State *env, int seg, uint16_t selector, uint32_t e1,
                        uint32_t e2);
/*
 * Read the 8-byte descriptor for selector from the GDT or LDT.  Returns
 * false if it lies beyond the table limit (the caller raises the fault).
 * *addr (may be NULL) receives its linear address.
 */
bool x86_read_desc(CPUX86State *env, uint32_t selector, uint32_t *e1, uint32_t *e2,
                   uint64_t *addr);
/* Set the accessed bit of a code/data descriptor in memory, if clear. */
void x86_set_desc_accessed(CPUX86State *env, uint32_t selector, uint32_t e2);

/* Stack pointer wrapped to the stack size, as a push/pop sees it. */
typedef struct X86Stack {
    uint64_t base;
    uint64_t sp;
    uint64_t mask; /* 0xffff, 0xffffffff or ~0 */
    int mmu_idx;
} X86Stack;

void x86_push(CPUX86State *env, X86Stack *st, unsigned size, uint64_t val);
uint64_t x86_pop(CPUX86State *env, X86Stack *st, unsigned size);
/* Stack mask of a stack-segment descriptor high dword. */
static inline uint64_t x86_stack_mask(uint32_t flags)
{
    return (flags & DESC_B_MASK) ? 0xffffffffu : 0xffff;
}
/* Write sp back into RSP keeping the bits the stack size does not cover. */
void x86_set_rsp(CPUX86State *env, uint64_t mask, uint64_t sp);

/* Task switch (SDM 7.3).  source: what started it. */
enum { X86_TS_JMP, X86_TS_CALL, X86_TS_IRET, X86_TS_INT };
void x86_task_switch(CPUX86State *env, uint16_t tss_selector, uint32_t e1, uint32_t e2,
                     int source, uint64_t next_eip);

/* Inner stack pointer for privilege level dpl from the 16/32-bit TSS. */
void x86_tss_get_stack(CPUX86State *env, int dpl, uint32_t *ss, uint32_t *esp);

/* Triple fault: request a guest reset and stop this CPU. */
NORETURN void x86_triple_fault(CPUX86State *env);

/* Segment checks of a loaded SS for privilege level cpl; raises #TS/#SS. */
void x86_check_new_ss(CPUX86State *env, uint32_t ss, int cpl, int vector, uint32_t *e1,
                      uint32_t *e2);

#endif
