/*
 * Shared scaffolding for the DBT engine tests: a toy CPU state with registered globals,
 * a fake little-endian guest memory behind the GuestMemOps hooks (with a fault window that
 * unwinds by siglongjmp), and helpers to translate and run hand-built IR on every
 * backend: toy_test_run() runs a case once per backend ("NAME@interp", "NAME@native"),
 * and toy_init() builds the cache with the backend of the current run.
 */
#ifndef TESTS_UNIT_TEST_IR_HARNESS_H
#define TESTS_UNIT_TEST_IR_HARNESS_H

#include <setjmp.h>
#include <stddef.h>

#include "accel/tcg/backend.h"
#include "accel/tcg/ir.h"
#include "accel/tcg/tb.h"

#define TOY_NREGS 8
#define TOY_NREGS32 8
#define TOY_MEM_SIZE 0x10000
#define TOY_PAGE_BITS 12

typedef struct ToyEnv {
    uint64_t r[TOY_NREGS];    /* i64 globals r0..r7 */
    uint32_t e[TOY_NREGS32];  /* i32 globals e0..e7 */
    uint64_t cc_op, cc_dst, cc_src;
    uint64_t pc;
    uint64_t scratch[16];     /* reached with env ld/st, not globals */
    /* Fake guest memory and its fault window [fault_lo, fault_hi). */
    uint8_t mem[TOY_MEM_SIZE];
    uint64_t fault_lo, fault_hi;
    sigjmp_buf *fault_jmp;
    uint64_t fault_addr;
    unsigned loads, stores; /* hook calls (slow path) */
    unsigned last_mmu;
} ToyEnv;

typedef struct ToyGlobals {
    IRv64 r[TOY_NREGS];
    IRv32 e[TOY_NREGS32];
    IRv64 cc_op, cc_dst, cc_src, pc;
} ToyGlobals;

static inline IRFunc *toy_func_new(ToyGlobals *g)
{
    static const char *const rn[TOY_NREGS] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
    static const char *const en[TOY_NREGS32] = {"e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"};
    IRFunc *f = ir_func_new(2);

    for (int i = 0; i < TOY_NREGS; i++) {
        g->r[i] = ir_global_i64(f, offsetof(ToyEnv, r) + 8 * i, rn[i]);
    }
    for (int i = 0; i < TOY_NREGS32; i++) {
        g->e[i] = ir_global_i32(f, offsetof(ToyEnv, e) + 4 * i, en[i]);
    }
    g->cc_op = ir_global_i64(f, offsetof(ToyEnv, cc_op), "cc_op");
    g->cc_dst = ir_global_i64(f, offsetof(ToyEnv, cc_dst), "cc_dst");
    g->cc_src = ir_global_i64(f, offsetof(ToyEnv, cc_src), "cc_src");
    g->pc = ir_global_i64(f, offsetof(ToyEnv, pc), "pc");
    return f;
}

static inline uint64_t toy_mem_load(void *opaque, uint64_t addr, unsigned memop, unsigned mmu)
{
    ToyEnv *env = opaque;
    unsigned size = IR_MO_BYTES(memop);

    env->loads++;
    env->last_mmu = mmu;
    if ((addr < env->fault_hi && addr + size > env->fault_lo) || addr + size > TOY_MEM_SIZE ||
        ((memop & IR_MO_ALIGN) && (addr & (size - 1)))) {
        env->fault_addr = addr;
        if (env->fault_jmp) {
            siglongjmp(*env->fault_jmp, 1);
        }
        return 0;
    }
    return ldn_le_p(&env->mem[addr], size);
}

static inline void toy_mem_store(void *opaque, uint64_t addr, uint64_t val, unsigned memop,
                                 unsigned mmu)
{
    ToyEnv *env = opaque;
    unsigned size = IR_MO_BYTES(memop);

    env->stores++;
    env->last_mmu = mmu;
    if ((addr < env->fault_hi && addr + size > env->fault_lo) || addr + size > TOY_MEM_SIZE ||
        ((memop & IR_MO_ALIGN) && (addr & (size - 1)))) {
        env->fault_addr = addr;
        if (env->fault_jmp) {
            siglongjmp(*env->fault_jmp, 1);
        }
        return;
    }
    stn_le_p(&env->mem[addr], size, val);
}

static const GuestMemOps toy_mem_ops = {
    .load = toy_mem_load,
    .store = toy_mem_store,
};

/* The backend of the case being run (toy_test_run sets it). */
static const TBBackend *toy_backend;

static inline const TBBackend *toy_current_backend(void)
{
    return toy_backend ? toy_backend : &tb_backend_interp;
}

static inline bool toy_backend_is_interp(void)
{
    return toy_current_backend() == &tb_backend_interp;
}

/* Run fn once per available backend; the backends must agree on every result. */
static inline void toy_test_run(const char *name, void (*fn)(void))
{
    static const char *const names[] = {"interp", "native"};
    char full[200];

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const TBBackend *be = tb_backend_find(names[i], strlen(names[i]));
        snprintf(full, sizeof(full), "%s@%s", name, names[i]);
        if (!be) {
            test_skip(full, "backend not available on this host");
            continue;
        }
        toy_backend = be;
        test_run(full, fn);
    }
    toy_backend = NULL;
}

typedef struct Toy {
    ToyGlobals g;
    IRFunc *f;
    TBCache *cache;
    ToyEnv *env;
    TBExecCtx ctx;
    TBJumpCache jc;
} Toy;

static inline TranslationBlock *toy_lookup_tb(TBExecCtx *ctx)
{
    Toy *t = ctx->opaque;
    TranslationBlock *tb = tb_jc_lookup(&t->jc, t->env->pc, 0, 0, 0);

    if (!tb) {
        TBKey k = {.pc = t->env->pc, .phys_pc = t->env->pc};
        tb = tb_lookup(t->cache, &k);
        if (tb) {
            tb_jc_insert(&t->jc, tb);
        }
    }
    return tb;
}

static inline void toy_init(Toy *t, bool optimize)
{
    memset(t, 0, sizeof(*t));
    t->f = toy_func_new(&t->g);
    t->cache = tb_cache_new(toy_current_backend(), 1 << 20, TOY_PAGE_BITS);
    t->cache->optimize = optimize;
    t->env = xzalloc(sizeof(ToyEnv));
    t->ctx.env = t->env;
    t->ctx.mem = &toy_mem_ops;
    t->ctx.lookup_tb = toy_lookup_tb;
    t->ctx.opaque = t;
    t->ctx.budget = INT32_MAX;
    tb_jc_register(t->cache, &t->jc);
}

static inline void toy_free(Toy *t)
{
    tb_cache_free(t->cache);
    ir_func_free(t->f);
    free(t->env);
}

/* Translate t->f as the TB at pc (one page), then reset the function for the next. */
static inline TranslationBlock *toy_gen_at(Toy *t, uint64_t pc, uint32_t size)
{
    TBKey k = {.pc = pc, .phys_pc = pc};
    TranslationBlock *tb = NULL;
    char why[200];

    if (!ir_verify(t->f, why, sizeof(why))) {
        fprintf(stderr, "ir_verify: %s\n", why);
        ir_dump(t->f, stderr);
        abort();
    }
    if (tb_gen_code(t->cache, t->f, &k, size, TB_NO_PAGE, &tb) != TB_GEN_OK) {
        abort();
    }
    ir_func_reset(t->f);
    return tb;
}

static inline TranslationBlock *toy_gen(Toy *t)
{
    return toy_gen_at(t, 0x1000, 4);
}

static inline uint64_t toy_run(Toy *t, TranslationBlock *tb)
{
    return t->cache->backend->exec(&t->ctx, tb);
}

/* xorshift64*: deterministic random numbers for reproducible tests. */
static inline uint64_t test_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Random values biased towards the boundaries where ops go wrong. */
static inline uint64_t test_rand_interesting(uint64_t *s)
{
    static const uint64_t special[] = {
        0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
        0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
        0xfffffffffffffffeull, 0xffffffffffffffffull, 0xffffffff80000000ull,
        0x00000000ffff0000ull, 0x123456789abcdef0ull,
    };
    uint64_t r = test_rand(s);

    switch (r & 3) {
    case 0: return special[(r >> 8) % ARRAY_SIZE(special)];
    case 1: return -special[(r >> 8) % ARRAY_SIZE(special)];
    case 2: return (r >> 8) & 0xff;
    default: return test_rand(s);
    }
}

#endif
