/*
 * The DBT execution loop and the per-vCPU state it owns: the TB cache, the
 * jump cache, the software TLB, the execution context.  Shared by the "tcg"
 * accelerator (tcg-accel.c), the x86 softmmu (cpu/x86/mem_helper.c) and the
 * bare-CPU test rig (cpu/x86/test_rig.c).
 */
#ifndef CPU_X86_TCG_EXEC_H
#define CPU_X86_TCG_EXEC_H

#include "accel/tcg/backend.h"
#include "accel/tcg/tb.h"
#include "core/memory.h"
#include "cpu/x86/cpu.h"

/*
 * 1024 entries per MMU mode: with 256, the amd64 small-workload run did 20.3 M page walks
 * (the kernel flushes on every CR3 write, then refills its working set); with 1024, 10.2 M.
 * A full flush clears 3 x 1024 entries, which at ~73 k flushes per run costs far less.
 */
#define X86_TLB_BITS 10
#define X86_TLB_SIZE (1u << X86_TLB_BITS)
#define X86_JC_LIST 512 /* jump-cache slots remembered for a cheap clear */
#define X86_TLB_SETS 16 /* PCIDs with a TLB of their own (Linux uses up to 13) */
/* Flags in the low bits of a TLB tag (they make the inline compare fail). */
#define X86_TLB_MMIO 1u     /* not plain RAM: go through address_space_ld/st */
#define X86_TLB_NOTDIRTY 2u /* write to a page with translated code */
#define X86_TLB_INVALID UINT64_MAX

/* TB compile flags (part of the TB key). */
#define X86_CF_COUNT_MASK 0xffffu /* instruction limit (0 = default) */
#define X86_CF_SMC (1u << 16)     /* one instruction that rewrites its own block */

/* Why x86_exec returned. */
typedef enum X86ExecExit {
    X86_EXEC_BUDGET,    /* instruction budget used up, or kicked */
    X86_EXEC_HALTED,    /* the CPU is halted (HLT, shutdown) */
    X86_EXEC_EXCEPTION, /* stop_on_exception: the vector is in last_vector */
} X86ExecExit;

/*
 * Counters for -d tb_stats / tb_summary.  Each is bumped only on a path that already
 * leaves generated code (the exec loop, the lookup hook, the softmmu slow path), so they
 * cost nothing measurable and are always on.
 */
typedef struct X86ExecStats {
    uint64_t loop_entries;    /* backend->exec calls from the exec loop */
    uint64_t jc_hits;         /* exec loop: found in the jump cache */
    uint64_t hash_hits;       /* exec loop: found in the hash table */
    uint64_t translations;    /* exec loop: had to translate */
    uint64_t exit_chainable;  /* exits through an unchained goto_tb slot */
    uint64_t exit_nochain;    /* exits that may not chain (or a lookup miss) */
    uint64_t exit_requested;  /* stopped by the budget or an exit request */
    uint64_t linked_entries;  /* TB entries inside exec(): chained jumps + lookup hits */
    uint64_t lookup_jc_hits;  /* lookup_and_goto_ptr: jump cache hits */
    uint64_t lookup_hash_hits;  /* both ways below: jc_victim or the hash table */
    uint64_t lookup_victim_hits;
    uint64_t lookup_misses;
    uint64_t interrupts;      /* external interrupts and NMIs delivered */
    uint64_t exceptions;      /* exceptions and software interrupts delivered */
    uint64_t tlb_slow_loads;  /* loads that missed the inline TLB compare */
    uint64_t tlb_slow_stores;
    uint64_t tlb_fills;       /* entries filled by a page walk */
    uint64_t code_walks;      /* of which code lookups (jump-cache misses, translation) */
    uint64_t tlb_flushes;     /* whole-TLB flushes */
    uint64_t tlb_page_flushes;
    uint64_t mmio_accesses;   /* slow-path accesses that went to MMIO */
    uint64_t smc_writes;      /* writes to pages holding translated code */
} X86ExecStats;

/*
 * One TLB with its jump cache: what translations of one PCID (address space) are cached.
 * The jump cache (by virtual PC) is only valid with the mapping the TLB caches.
 */
typedef struct X86TLBSet {
    TLBFastEntry tlb[X86_NB_MMU_MODES][X86_TLB_SIZE];
    uint64_t paddr[X86_NB_MMU_MODES][X86_TLB_SIZE]; /* physical page of each entry */
    /* Entries from global pages (PTE.G with CR4.PGE): a CR3 write keeps them (SDM 4.10.4.1). */
    uint8_t global[X86_NB_MMU_MODES][X86_TLB_SIZE];
    /*
     * The entries that may be valid, per MMU mode: every fill lists its index once
     * (listed), so a flush clears only those instead of all X86_TLB_SIZE.  An OS with
     * page-table isolation flushes on every kernel entry and exit, with a few dozen
     * entries filled in between.
     */
    uint16_t used[X86_NB_MMU_MODES][X86_TLB_SIZE];
    uint32_t nused[X86_NB_MMU_MODES];
    uint8_t listed[X86_NB_MMU_MODES][X86_TLB_SIZE];
    TBJumpCache jc;
    /* Likewise the jump-cache slots filled since its last clear; jc_overflow: too many to
     * list, clear it all. */
    uint16_t jc_used[X86_JC_LIST];
    uint32_t jc_nused;
    bool jc_overflow;
    int32_t pcid;       /* the PCID cached here, or -1: unused */
    uint64_t last_use;  /* tlb_clock when last made current */
} X86TLBSet;

#define X86_JC_GLOBAL_FILTER_BITS 65536
#define X86_VICTIM_BITS 15
#define X86_VICTIM_SIZE (1u << X86_VICTIM_BITS)

/*
 * A jc_victim slot: a jump-cache slot (key and code, no TB header read to check it) and
 * the physical PC the block was translated from; one cache line.  Only blocks on one
 * page go here: a two-page block also needs its second page checked (hash table path).
 */
typedef struct X86VictimSlot {
    TBJumpSlot key;
    uint64_t phys_pc;
    uint64_t unused[3];
} X86VictimSlot;

typedef struct X86TCGCPU {
    CPUX86State *env;
    TBCache *cache;
    /*
     * Blocks whose code page the TLB maps with a global entry (one page, same physical
     * page).  A CR3 write keeps global TLB entries, so it clears jc but not this cache:
     * kernel code under page-table isolation stays found without a hash lookup.
     */
    TBJumpCache jc_global;
    /*
     * A one-sided filter of the virtual pages jc_global may hold blocks on (a bit per hash
     * of the page number's low 32 bits, set on insert, cleared with jc_global): INVLPG
     * scans jc_global only when the page's bit is set.  Without page-table isolation the
     * kernel's code is global, jc_global fills up, and scanning its 4096 slots (a cold TB
     * header each) for every INVLPG of a user page cost more than the lookups it saved.
     */
    uint64_t jc_global_pages[X86_JC_GLOBAL_FILTER_BITS / 64];
    /*
     * Every block any jump cache was given, indexed by virtual PC in a table eight times
     * the size of a jump cache (X86_VICTIM_SIZE), never cleared by TLB flushes: after a
     * jc miss, a TB here whose key and physical PC match the current translation is the
     * one tb_lookup would find, without the hash table's cache misses.  Jump caches die
     * on every CR3 write without PCIDs and, with PCIDs, whenever Linux recycles an ASID
     * for a new process (each fork and exec); the kernel's code and a shared binary's
     * mappings are the same in the next process, so this answers most of the refills.
     * tb_invalidate() (through the cache's invalidated hook) and a cache flush clear its
     * slots, so a hit never names freed or invalidated code.
     */
    X86VictimSlot *jc_victim;
    /*
     * Every vCPU of the machine, this one included (NULL: this one alone).  Each has its
     * own TB cache, so a store to code, by any CPU or by DMA, invalidates in all of them,
     * and a page with code in any of them takes stores through the slow path everywhere.
     */
    struct X86TCGCPU **peers;
    int nr_peers;
    TBExecCtx ctx;
    IRFunc *irf;
    AddressSpace *as_mem, *as_io;
    MemoryListener listener;

    TLBFast tlb_fast;
    bool tlb_has_large;  /* some entry came from a page larger than 4 KiB */
    /* Where they are: every large page lies in the aligned region large_addr/large_mask. */
    uint64_t large_addr;
    uint64_t large_mask;
    /*
     * The TLB, one set per PCID in use (CR4.PCIDE; without it only PCID 0): a CR3 write
     * that keeps the TLB (bit 63) switches sets instead of refilling.  cur is the set of
     * the current PCID; tlb_fast and ctx.jc point into it.
     */
    X86TLBSet *tlb_sets; /* X86_TLB_SETS of them */
    X86TLBSet *cur;
    uint64_t tlb_clock;  /* for the least recently used set */

    /* Self-modifying code: redo the current instruction alone (see mem_helper.c). */
    bool smc_single;
    bool smc_running;

    /* Test-rig controls. */
    bool stop_on_exception;
    bool count_insns;      /* one TB at a time, exact instruction counts */
    int last_vector, last_error_code;
    uint64_t insns;        /* instructions completed (when count_insns) */

    X86ExecStats stats;
} X86TCGCPU;

/* Create the per-CPU state for env (env->accel_cpu points to it). */
X86TCGCPU *x86_tcg_cpu_new(CPUX86State *env, AddressSpace *as_mem, AddressSpace *as_io,
                           const TBBackend *backend, size_t code_size);
void x86_tcg_cpu_free(X86TCGCPU *c);
/* Run until budget instructions (roughly; exactly with count_insns) or an exit. */
X86ExecExit x86_exec(X86TCGCPU *c, uint64_t budget);
/* Drop all translations and TLB entries (after loading code behind the CPU's back). */
void x86_tcg_flush(X86TCGCPU *c);
/* The -d tb_stats report and/or the -d tb_summary line for this vCPU. */
void x86_tcg_print_stats(X86TCGCPU *c, FILE *out);

/* mem_helper.c: the softmmu and its hooks. */
extern const GuestMemOps x86_guest_mem_ops;

/* Jump-cache lookup (jc, then jc_global) and insert for the blocks at the current state. */
TranslationBlock *x86_jc_lookup(X86TCGCPU *c, uint64_t pc, uint64_t cs_base, uint32_t flags,
                                uint32_t cflags);
void x86_jc_insert(X86TCGCPU *c, TranslationBlock *tb);
/* After a jc miss: the TB jc_victim holds for this key at physical PC phys, or NULL. */
TranslationBlock *x86_jc_victim_lookup(X86TCGCPU *c, uint64_t pc, uint64_t cs_base,
                                       uint32_t flags, uint32_t cflags, uint64_t phys);
/* The same as a slot (NULL: none); x86_jc_refill() puts it in the jump caches. */
const X86VictimSlot *x86_jc_victim_find(X86TCGCPU *c, uint64_t pc, uint64_t cs_base,
                                        uint64_t flags_word, uint64_t phys);
void x86_jc_refill(X86TCGCPU *c, const X86VictimSlot *v);
/* jc_victim: allocate / empty (after a cache flush) / free; drop tb (it was invalidated). */
void x86_jc_victim_init(X86TCGCPU *c);
void x86_jc_victim_clear(X86TCGCPU *c);
void x86_jc_victim_free(X86TCGCPU *c);
void x86_jc_victim_invalidated(void *opaque, const TranslationBlock *tb);

static inline uint32_t x86_victim_hash(uint64_t pc)
{
    return (uint32_t)((pc ^ (pc >> X86_VICTIM_BITS)) & (X86_VICTIM_SIZE - 1));
}

/* Start loading pc's jc_victim slot (one cache line, usually cold) before it is needed. */
static inline void x86_jc_victim_prefetch(const X86TCGCPU *c, uint64_t pc)
{
    __builtin_prefetch(&c->jc_victim[x86_victim_hash(pc)]);
}
void x86_tlb_init(X86TCGCPU *c);
void x86_tlb_free(X86TCGCPU *c);
void x86_tlb_page_has_code(void *opaque, uint64_t page_addr);
/* cpus[0..n) are one machine's vCPUs: writes to code in one invalidate all (see peers). */
void x86_tcg_link_cpus(X86TCGCPU **cpus, int n);
/* Guest memory [addr, addr + len) was written behind the TLBs (DMA, firmware loads). */
void x86_tcg_invalidate_phys(X86TCGCPU *c, uint64_t addr, uint64_t len);
void x86_tlb_page_no_code(void *opaque, uint64_t page_addr);

#endif
