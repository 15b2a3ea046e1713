/*
 * Translation blocks and their cache.
 *
 * A TB is the code for a run of guest instructions, identified by (physical PC, virtual
 * PC, cs_base, flags, cflags): the same physical bytes translate differently in another
 * mode, and translated code may embed its virtual PC.  TBs live in one arena (the code
 * buffer) together with their generated code and restore tables; when the arena is full
 * the whole cache is flushed, which is how memory is reclaimed.
 *
 * Lookups: a per-CPU jump cache indexed by virtual PC (cheap, checked by key but not by
 * physical address, so the embedding must clear it with tb_jc_clear() whenever the
 * virtual->physical mapping changes, i.e. on TLB flushes), then a hash table on the full
 * key.  Each TB is also on the list of every physical page its code touches (one or
 * two), so a write to a code page can invalidate exactly the TBs on it.  Invalidating a
 * TB unchains every jump into it and out of it.
 *
 * Nothing here may run while another thread executes TBs of the same cache; the engine is
 * single-threaded per cache for now.  tb_flush() must not be called from inside generated
 * code (helpers must request a flush from the exec loop instead); invalidation may.
 */
#ifndef ACCEL_TCG_TB_H
#define ACCEL_TCG_TB_H

#include "accel/tcg/ir.h"

typedef struct TranslationBlock TranslationBlock;
typedef struct TBBackend TBBackend;

#define TB_NO_PAGE UINT64_MAX
#define TB_NO_JUMP UINT32_MAX

struct TranslationBlock {
    /*
     * What lookups read, in the first 64 bytes (the arena aligns TBs to 64): a hash or
     * jump-cache lookup then costs one cache line per TB it looks at.
     */
    /* Key. */
    uint64_t pc;        /* guest virtual PC of the first instruction */
    uint64_t cs_base;   /* frontend-defined word (e.g. the code segment base) */
    uint64_t phys_pc;   /* guest physical address of the first byte */
    uint32_t flags;     /* frontend-defined mode flags */
    uint32_t cflags;    /* compile flags (frontend-defined; part of the key) */
    /* Hash-table chain. */
    TranslationBlock *hash_next;
    uint32_t hash;
    bool invalid;
    /* Generated code, owned by the backend.  code is the executable view; code_rw the
     * writable view of the same bytes (equal unless the arena is mapped twice, W^X). */
    void *code;
    void *code_rw;
    uint32_t code_size;

    uint64_t page_addr[2]; /* physical pages holding the code; [1] = TB_NO_PAGE if one */
    uint32_t size;         /* bytes of guest code */
    uint32_t icount;       /* guest instructions (insn_start ops) */

    uint32_t jmp_patch[2]; /* backend data locating goto_tb slot n, or TB_NO_JUMP */

    /* Chaining: jmp_dest[n] is where slot n jumps directly (NULL: to the exec loop). */
    TranslationBlock *jmp_dest[2];
    uintptr_t jmp_list_next[2]; /* next (tb | slot) in jmp_dest[n]'s incoming list */
    uintptr_t jmp_list_head;    /* first (tb | slot) chained into this TB */

    /* Indexing. */
    uintptr_t page_next[2]; /* next (tb | n) on page_addr[n]'s list */

    /* Restore tables: icount entries each. */
    uint32_t insn_words;       /* words per instruction (IRFunc.insn_words) */
    const uint64_t *insn_data; /* insn_words per instruction, from insn_start */
    const uint32_t *insn_pos;  /* code offset where each instruction's code begins */
};

/* What the embedding provides when it generates a TB. */
typedef struct TBKey {
    uint64_t pc;
    uint64_t cs_base;
    uint64_t phys_pc;
    uint32_t flags;
    uint32_t cflags;
} TBKey;

/*
 * Per-CPU direct-mapped cache of recently used TBs, by virtual PC.  A slot holds the
 * lookup key and the host code itself, so a probe (and a hit) reads one 32-byte slot and
 * no TB header: in the fork+exec and network profiles most of the lookup time was the
 * load of a cold header.  Empty slots have flags_word TB_JC_EMPTY, which no key has
 * (cflags never has all bits set).  The TB is found from its code (code_to_tb).
 */
#define TB_JC_BITS 12
#define TB_JC_SIZE (1u << TB_JC_BITS)
#define TB_JC_EMPTY UINT64_MAX
typedef struct TBJumpSlot {
    uint64_t pc;
    uint64_t cs_base;
    uint64_t flags_word; /* flags | (uint64_t)cflags << 32, as the TB's two key words */
    void *code;          /* the TB's executable code (tb->code) */
} TBJumpSlot;
typedef struct TBJumpCache {
    TBJumpSlot entry[TB_JC_SIZE];
    /* code - code_to_tb is the TB header (writable view): set by tb_jc_register(). */
    uintptr_t code_to_tb;
} TBJumpCache;

typedef struct TBPage TBPage;
typedef struct TBProfiler TBProfiler; /* tb-stats.h */

typedef struct TBCacheHooks {
    /*
     * A physical page got its first TB: from now on writes to it must reach
     * tb_invalidate_phys_range() (mark it in the TLB so stores take the slow path).
     */
    void (*page_has_code)(void *opaque, uint64_t page_addr);
    /* The page's last TB is gone; writes to it may take the fast path again. */
    void (*page_no_code)(void *opaque, uint64_t page_addr);
    /* The whole cache was flushed (every page lost its code). */
    void (*flushed)(void *opaque);
    void *opaque;
    /* tb was invalidated (called before its code can be reused): drop copies of it. */
    void (*invalidated)(void *opaque, const TranslationBlock *tb);
} TBCacheHooks;

typedef struct TBCacheStats {
    uint64_t translated;   /* TBs generated */
    uint64_t invalidated;  /* TBs invalidated individually */
    uint64_t flushes;      /* full flushes (buffer full or requested) */
    uint64_t chained;      /* direct jumps patched */
    uint64_t code_bytes;   /* generated code, summed over every TB ever generated */
    uint64_t guest_bytes;  /* guest code translated, likewise */
    uint64_t guest_insns;  /* guest instructions translated, likewise */
    size_t code_used;      /* arena bytes in use */
    size_t code_size;      /* arena size */
    uint32_t live_tbs;     /* TBs currently in the hash table */
} TBCacheStats;

#define TB_CODE_BITMAP_PAGES (1u << 20) /* 4 GiB of 4 KiB pages: a 128 KiB bitmap */

typedef struct TBCache {
    const TBBackend *backend;
    TBCacheHooks hooks;
    bool optimize;        /* run ir_optimize() and dead-code removal (default true) */
    unsigned page_bits;   /* guest page size for physical page lists */

    uint8_t *buf;         /* the arena (writable view) */
    uint8_t *buf_exec;    /* its executable view (== buf when not needs_exec_memory) */
    size_t buf_size, used;
    uint64_t flush_count; /* changes on every flush: TB pointers from before are stale */

    TranslationBlock **htable;
    uint32_t hmask, nb_tbs;

    TBPage **pages;
    uint32_t pmask, nb_pages;
    /*
     * One bit per physical page below TB_CODE_BITMAP_PAGES pages: the page is in pages.
     * tb_page_has_code() runs on every TLB fill; a bit test is one cached access where
     * the hash lookup was a miss or two.
     */
    uint64_t *code_bitmap;

    TBJumpCache **jcs;
    uint32_t nb_jcs;

    uint32_t *pos_scratch; /* insn positions during generation */
    uint32_t pos_cap;

    TBCacheStats stats;
    TBProfiler *prof; /* -d tb_stats: instrument and count every block (else NULL) */
} TBCache;

/* A cache with an arena of code_size bytes, generating code with backend. */
TBCache *tb_cache_new(const TBBackend *backend, size_t code_size, unsigned page_bits);
void tb_cache_free(TBCache *c);
void tb_cache_set_hooks(TBCache *c, const TBCacheHooks *hooks);
TBCacheStats tb_cache_stats(const TBCache *c);

/*
 * Jump caches are cleared by the cache on invalidation and flush, so register them
 * (registering also empties the cache and sets code_to_tb).
 */
void tb_jc_register(TBCache *c, TBJumpCache *jc);
void tb_jc_unregister(TBCache *c, TBJumpCache *jc);
void tb_jc_clear(TBJumpCache *jc);

/*
 * Where a TB's code is relative to its header: tb_try_gen() puts the header at a 64-byte
 * boundary of the arena and the code at the next TB_ARENA_ALIGN boundary after it.
 */
#define TB_ARENA_ALIGN 16
#define TB_CODE_OFFSET \
    ((sizeof(TranslationBlock) + TB_ARENA_ALIGN - 1) & ~(size_t)(TB_ARENA_ALIGN - 1))

/* The TB whose executable code is code (from a jump-cache slot). */
static inline TranslationBlock *tb_from_code(const TBCache *c, const void *code)
{
    return (TranslationBlock *)((uintptr_t)code - (uintptr_t)(c->buf_exec - c->buf) -
                                TB_CODE_OFFSET);
}

static inline uint64_t tb_jc_flags_word(uint32_t flags, uint32_t cflags)
{
    return (uint64_t)flags | (uint64_t)cflags << 32;
}

static inline uint32_t tb_jc_hash(uint64_t pc)
{
    return (uint32_t)((pc ^ (pc >> TB_JC_BITS)) & (TB_JC_SIZE - 1));
}

/* Registered caches never hold an invalid TB (tb_invalidate clears its slots). */
static inline TranslationBlock *tb_jc_lookup(const TBJumpCache *jc, uint64_t pc,
                                             uint64_t cs_base, uint32_t flags, uint32_t cflags)
{
    const TBJumpSlot *s = &jc->entry[tb_jc_hash(pc)];

    if (s->pc == pc && s->cs_base == cs_base && s->flags_word == tb_jc_flags_word(flags, cflags)) {
        return (TranslationBlock *)((uintptr_t)s->code - jc->code_to_tb);
    }
    return NULL;
}

static inline void tb_jc_slot_set(TBJumpSlot *s, const TranslationBlock *tb)
{
    s->pc = tb->pc;
    s->cs_base = tb->cs_base;
    s->flags_word = tb_jc_flags_word(tb->flags, tb->cflags);
    s->code = tb->code;
}

static inline void tb_jc_slot_clear(TBJumpSlot *s)
{
    s->flags_word = TB_JC_EMPTY;
    s->code = NULL;
}

static inline void tb_jc_insert(TBJumpCache *jc, TranslationBlock *tb)
{
    tb_jc_slot_set(&jc->entry[tb_jc_hash(tb->pc)], tb);
}

/* Hash-table lookup on the full key. */
TranslationBlock *tb_lookup(TBCache *c, const TBKey *key);

enum {
    TB_GEN_OK = 0,
    /* The block is too large or complex for the backend: translate fewer instructions. */
    TB_GEN_TOO_BIG = -2,
};

/*
 * Optimize f (per c->optimize), generate code, and enter the TB in the cache.
 * page2: the physical page of the code's last byte if it differs from the first page's,
 * else TB_NO_PAGE.  May flush the whole cache first when the arena is full (check
 * c->flush_count: TB pointers held from before a flush must be dropped).  f is consumed
 * (ops are rewritten) but not freed.
 */
int tb_gen_code(TBCache *c, IRFunc *f, const TBKey *key, uint32_t guest_size, uint64_t page2,
                TranslationBlock **out);

/*
 * Chain slot n of tb directly to dest.  Ignored if the slot is already chained, either TB
 * is invalid, tb has no such slot, or dest starts on another physical page than tb.  The frontend decides which exits may be chained
 * (emitting goto_tb only for targets on the same guest page); the loop calls this after
 * an exit with TB_EXIT_SLOT0/1 and a lookup of the next TB.
 */
void tb_add_jump(TBCache *c, TranslationBlock *tb, unsigned n, TranslationBlock *dest);

/* Remove tb from the cache and unchain all jumps into and out of it. */
void tb_invalidate(TBCache *c, TranslationBlock *tb);
/*
 * Invalidate every TB whose code overlaps physical [start, end).  Returns how many; if
 * current (the TB executing now, e.g. ctx->cur_tb, or NULL) was among them, sets
 * *current_hit: the caller must then leave the TB after the current instruction, since
 * the rest of its code no longer matches guest memory.
 */
unsigned tb_invalidate_phys_range(TBCache *c, uint64_t start, uint64_t end,
                                  const TranslationBlock *current, bool *current_hit);
/* Does any TB use this physical page? */
bool tb_page_has_code(TBCache *c, uint64_t page_addr);
/* Drop every TB (not from inside generated code). */
void tb_flush(TBCache *c);

/*
 * Exact state restore: the index of the guest instruction whose code contains host
 * position pos (as recorded by the backend in TBExecCtx.pos), or -1 if pos is not in tb.
 * Its insn_start words are tb_insn_words(tb, index).
 */
int tb_insn_index(const TranslationBlock *tb, uintptr_t pos);
static inline const uint64_t *tb_insn_words(const TranslationBlock *tb, int index)
{
    return &tb->insn_data[(size_t)index * tb->insn_words];
}

#endif
