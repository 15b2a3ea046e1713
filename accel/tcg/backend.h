/*
 * The backend interface: what a code generator (the portable interpreter in
 * backend/interp.c, later native x86-64 and aarch64 generators) implements.
 * accel/tcg/README.md states the full contract; the short version:
 *
 * - gen_code() turns an IRFunc that has been through ir_liveness() into code in the
 *   caller's buffer, records where each guest instruction's code begins, and where each
 *   goto_tb slot's patchable jump is.  Globals may be cached (registers, slots) between
 *   sync points but must be in env at each of them (see ir.h).
 * - exec() runs a TB and the TBs chained from it, then returns to the exec loop with the
 *   exit described in the TBExecCtx.
 * - set_jump() patches a goto_tb slot to jump straight into another TB's code, or back to
 *   the fall-through exit path when dest is NULL.
 * - Before any op that can unwind (guest memory access slow path, helper call that may
 *   read globals) the code stores its position into ctx->pos and its TB into ctx->cur_tb
 *   (or has stored cur_tb on entry to the TB), so that tb_insn_index(ctx->cur_tb,
 *   ctx->pos) names the faulting guest instruction.
 * - Generated code may test only ctx->budget at block entries: a kick must go through
 *   tb_exec_kick(), which also drives the budget negative.
 */
#ifndef ACCEL_TCG_BACKEND_H
#define ACCEL_TCG_BACKEND_H

#include "accel/tcg/guest-mem.h"
#include "accel/tcg/ir.h"
#include "accel/tcg/tb.h"

typedef enum TBExitReason {
    TB_EXIT_SLOT0 = 0,    /* exit_tb(0, v): the loop may chain slot 0 to the next TB */
    TB_EXIT_SLOT1 = 1,    /* exit_tb(1, v) */
    TB_EXIT_NOCHAIN = 2,  /* exit_tb(IR_EXIT_NOCHAIN, v), or lookup_and_goto_ptr missed */
    /*
     * Stopped before entering ctx->last_tb through a chained jump or a lookup, because
     * ctx->exit_request was set or ctx->budget ran out.  Nothing of last_tb has run: the
     * guest state is that of last_tb's start, except that env's PC may be stale (the
     * frontend sets it from last_tb->pc).
     */
    TB_EXIT_REQUESTED = 3,
} TBExitReason;

typedef struct TBExecCtx TBExecCtx;

struct TBExecCtx {
    /* Inputs, set up once per CPU. */
    void *env;
    const GuestMemOps *mem;
    const TLBFast *tlb; /* optional inline TLB; NULL: every access calls mem hooks */
    /* lookup_and_goto_ptr: the TB for the current env state, or NULL (back to the loop). */
    TranslationBlock *(*lookup_tb)(TBExecCtx *ctx);
    void *opaque; /* for the embedding's hooks */

    /* Control.  exit_request may be set from other threads or signal handlers. */
    volatile int exit_request;
    int32_t budget; /* chained entries allowed before returning TB_EXIT_REQUESTED */

    /* Written by generated code. */
    TranslationBlock *cur_tb; /* TB executing now */
    uintptr_t pos;            /* position of the last op that could unwind */
    TranslationBlock *last_tb; /* on return: the TB that exited (see TBExitReason) */
    TBExitReason exit_reason;

    /*
     * Optional input: the jump cache that lookup_tb consults first.  A backend may probe it
     * inline for lookup_key_and_goto_ptr (a hit is a TB with exactly the op's key; the
     * cache must hold no invalid TB, which tb.c guarantees for registered caches), and
     * then counts the hit in lookup_inline_hits instead of calling lookup_tb.
     */
    const TBJumpCache *jc;
    uint64_t lookup_inline_hits;
    /*
     * Optional: a second cache with the same rules, probed inline after a miss in jc and
     * before lookup_tb (x86: the blocks on global pages, which outlive a process's PCID
     * set).  Its hits count in lookup_inline_hits and lookup_inline_second_hits.
     */
    const TBJumpCache *jc_second;
    uint64_t lookup_inline_second_hits;
    /*
     * Optional output of lookup_tb: the returned TB's code (tb->code), when the hook knows
     * it without reading the TB header (x86: from a jc_victim slot).  A backend that
     * wants it clears it before the call; NULL after the call means "read tb->code".
     */
    void *lookup_code;
};

/* gen_code() results besides a byte count. */
#define TB_GEN_BUFFER_FULL (-1)
/* TB_GEN_TOO_BIG (-2) is in tb.h */

struct TBBackend {
    const char *name;
    /* The code buffer must be mapped executable. */
    bool needs_exec_memory;
    /*
     * Generate code for f into buf[0, cap).  buf == tb->code_rw, the writable view of
     * tb->code (where the code runs; the same address unless needs_exec_memory).  Fill tb->jmp_patch[] and
     * insn_pos[i] (code offset where instruction i begins, f->nb_insns entries).
     * Returns the bytes used, TB_GEN_BUFFER_FULL, or TB_GEN_TOO_BIG.
     */
    long (*gen_code)(IRFunc *f, TranslationBlock *tb, void *buf, size_t cap,
                     uint32_t *insn_pos);
    /*
     * Run tb (and whatever it chains to).  Returns the exit value and sets
     * ctx->last_tb/exit_reason.  A guest exception unwinds out of here by siglongjmp
     * from a hook or helper; ctx->cur_tb and ctx->pos are then valid.
     */
    uint64_t (*exec)(TBExecCtx *ctx, TranslationBlock *tb);
    /* Point goto_tb slot n of tb at dest's code, or back at the exit path (dest NULL). */
    void (*set_jump)(TranslationBlock *tb, unsigned n, TranslationBlock *dest);
    /* -d out_asm: print the generated code (may be NULL). */
    void (*dump)(const TranslationBlock *tb, FILE *out);
};

extern const TBBackend tb_backend_interp;
#if defined(__x86_64__)
extern const TBBackend tb_backend_x86_64;
#endif

/* The host's preferred backend: native on x86-64 hosts, the interpreter elsewhere. */
const TBBackend *tb_backend_default(void);
/* A backend by name ("native", "interp"; len bytes of name), or NULL. */
const TBBackend *tb_backend_find(const char *name, size_t len);
/* The names tb_backend_find() accepts on this host, for messages ("native, interp"). */
const char *tb_backend_names(void);

/*
 * Ask the code running on ctx to return to the exec loop soon (from any thread or a
 * signal handler).  Native code tests only the budget at block entries, so the budget is
 * driven negative too.  The store races with the code's own decrement and may be lost;
 * the flag stays, and the loop sees it when the budget runs out (a few thousand blocks).
 * tb_exec_budget_left() undoes the offset for the entry counts.
 */
#define TB_KICK_BUDGET_OFFSET (1 << 30)

static inline void tb_exec_kick(TBExecCtx *ctx)
{
    int32_t budget = __atomic_load_n(&ctx->budget, __ATOMIC_RELAXED);

    ctx->exit_request = 1;
    /* Kicked already (and not run since): once is enough, and more would overflow. */
    if (budget >= -(TB_KICK_BUDGET_OFFSET / 2)) {
        __atomic_store_n(&ctx->budget, budget - TB_KICK_BUDGET_OFFSET, __ATOMIC_RELAXED);
    }
}

static inline int32_t tb_exec_budget_left(const TBExecCtx *ctx)
{
    int32_t left = ctx->budget;

    return left < -(TB_KICK_BUDGET_OFFSET / 2) ? left + TB_KICK_BUDGET_OFFSET : left;
}

#endif
