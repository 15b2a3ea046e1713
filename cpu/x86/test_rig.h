/*
 * A bare x86 CPU with flat RAM at physical address 0 and nothing else,
 * running through the real translation path (decoder -> IR -> optimizer ->
 * backend -> exec loop -> softmmu).  Used by the hardware-captured 80286
 * tests and the differential tester against the host CPU.
 */
#ifndef CPU_X86_TEST_RIG_H
#define CPU_X86_TEST_RIG_H

#include "cpu/x86/cpu.h"

typedef struct X86TestRig X86TestRig;

typedef enum X86RigMode {
    X86_RIG_REAL,   /* real mode, CS:IP as set by the caller */
    X86_RIG_PROT32, /* flat 32-bit protected mode, paging off */
    X86_RIG_LONG64, /* 64-bit mode, identity-mapped 4-level paging over all RAM */
} X86RigMode;

typedef enum X86RigStop {
    X86_RIG_STOP_COUNT,     /* executed max_insns instructions */
    X86_RIG_STOP_HLT,       /* executed HLT */
    X86_RIG_STOP_EXCEPTION, /* an exception was raised (only with stop_on_exception) */
    X86_RIG_STOP_SHUTDOWN,  /* triple fault */
} X86RigStop;

typedef struct X86RigResult {
    X86RigStop stop;
    int vector;       /* X86_RIG_STOP_EXCEPTION: the vector, state is before the insn */
    int error_code;   /* or -1 */
    uint64_t insns;   /* instructions completed */
} X86RigResult;

/* backend: "interp" (or "native" when one exists); NULL = default. */
X86TestRig *x86_rig_new(uint64_t ram_size, const char *backend);
void x86_rig_free(X86TestRig *rig);
CPUX86State *x86_rig_env(X86TestRig *rig);
/* Host view of guest physical RAM.  Call x86_rig_code_changed after writing code. */
uint8_t *x86_rig_ram(X86TestRig *rig);
uint64_t x86_rig_ram_size(X86TestRig *rig);
void x86_rig_code_changed(X86TestRig *rig);
/*
 * Put the CPU in a mode (after x86_cpu_reset).  For PROT32/LONG64 the rig
 * builds its GDT (and page tables, at the top of RAM: the caller must leave
 * the last 64 KiB alone), loads flat segments with the given CPL and sets
 * CR4.OSFXSR/OSXMMEXCPT as an operating system would.
 */
void x86_rig_enter_mode(X86TestRig *rig, X86RigMode mode, int cpl);
/*
 * Run up to max_insns guest instructions.  An instruction that raises an
 * exception does not count as completed: without stop_on_exception the
 * exception is delivered (IVT/IDT) and the run goes on into the handler; with
 * stop_on_exception the run stops with the state exactly as before the
 * faulting instruction and the vector reported.
 */
X86RigResult x86_rig_run(X86TestRig *rig, uint64_t max_insns, bool stop_on_exception);

#endif
