/*
 * The translation-block cache: keys, hash and jump cache, physical page lists (including
 * blocks spanning two pages), precise range invalidation, chaining bookkeeping, flush
 * when the code buffer is full, the page hooks, instruction position lookup, and the
 * -d op / -d out_asm logs.
 */
#include <unistd.h>

#include "core/log.h"
#include "test.h"
#include "test-ir-harness.h"

typedef struct HookLog {
    uint64_t has[64], none[64];
    unsigned nhas, nnone, flushed;
} HookLog;

static void hook_has(void *opaque, uint64_t page)
{
    HookLog *h = opaque;
    if (h->nhas < 64) {
        h->has[h->nhas++] = page;
    }
}

static void hook_none(void *opaque, uint64_t page)
{
    HookLog *h = opaque;
    if (h->nnone < 64) {
        h->none[h->nnone++] = page;
    }
}

static void hook_flushed(void *opaque)
{
    ((HookLog *)opaque)->flushed++;
}

/* A small TB: n guest instructions each adding to r0. */
static TranslationBlock *gen_tb(Toy *t, const TBKey *k, uint32_t size, uint64_t page2,
                                unsigned n)
{
    TranslationBlock *tb = NULL;

    for (unsigned i = 0; i < n; i++) {
        ir_insn_start(t->f, k->pc + i, i * 10, 0);
        ir_addi_i64(t->f, t->g.r[0], t->g.r[0], i + 1);
    }
    ir_exit_tb(t->f, IR_EXIT_NOCHAIN, 0);
    CHECK_EQ(tb_gen_code(t->cache, t->f, k, size, page2, &tb), TB_GEN_OK);
    ir_func_reset(t->f);
    return tb;
}

static TranslationBlock *gen_simple(Toy *t, uint64_t pc, uint32_t size)
{
    TBKey k = {.pc = pc, .phys_pc = pc};
    return gen_tb(t, &k, size, TB_NO_PAGE, 1);
}

static void test_keys_and_lookup(void)
{
    Toy t;
    TBKey k = {.pc = 0x1000, .phys_pc = 0x81000, .cs_base = 0, .flags = 1, .cflags = 0};
    TranslationBlock *a, *b, *c, *d;
    TBKey k2 = k, k3 = k, k4 = k;

    toy_init(&t, true);
    tb_cache_free(t.cache);
    t.cache = tb_cache_new(toy_current_backend(), 16 << 20, TOY_PAGE_BITS);
    tb_jc_register(t.cache, &t.jc);
    k2.flags = 2;
    k3.cs_base = 0x10;
    k4.pc = 0x2000; /* same physical code mapped at another virtual address */
    a = gen_tb(&t, &k, 4, TB_NO_PAGE, 1);
    b = gen_tb(&t, &k2, 4, TB_NO_PAGE, 1);
    c = gen_tb(&t, &k3, 4, TB_NO_PAGE, 1);
    d = gen_tb(&t, &k4, 4, TB_NO_PAGE, 1);
    CHECK(a != b && b != c && c != d);
    CHECK(tb_lookup(t.cache, &k) == a);
    CHECK(tb_lookup(t.cache, &k2) == b);
    CHECK(tb_lookup(t.cache, &k3) == c);
    CHECK(tb_lookup(t.cache, &k4) == d);
    k.cflags = 5;
    CHECK(tb_lookup(t.cache, &k) == NULL);
    k.cflags = 0;

    /* The jump cache checks the key, not just the slot. */
    tb_jc_insert(&t.jc, a);
    CHECK(tb_jc_lookup(&t.jc, 0x1000, 0, 1, 0) == a);
    CHECK(tb_jc_lookup(&t.jc, 0x1000, 0, 2, 0) == NULL);
    CHECK(tb_jc_lookup(&t.jc, 0x1000 + TB_JC_SIZE * 4096ull, 0, 1, 0) == NULL);
    tb_jc_clear(&t.jc);
    CHECK(tb_jc_lookup(&t.jc, 0x1000, 0, 1, 0) == NULL);

    /* Many TBs: the hash table grows and still finds every one. */
    for (uint64_t i = 0; i < 5000; i++) {
        gen_simple(&t, 0x100000 + i * 16, 8);
    }
    for (uint64_t i = 0; i < 5000; i++) {
        TBKey ki = {.pc = 0x100000 + i * 16, .phys_pc = 0x100000 + i * 16};
        TranslationBlock *tb = tb_lookup(t.cache, &ki);
        CHECK(tb && tb->pc == ki.pc);
    }
    CHECK_EQ(tb_cache_stats(t.cache).live_tbs, 5004);
    CHECK_EQ(tb_cache_stats(t.cache).flushes, 0);
    printf("info tb: 5004 small TBs use %zu KiB of code buffer\n",
           tb_cache_stats(t.cache).code_used / 1024);
    toy_free(&t);
}

static void test_page_lists_and_range_invalidation(void)
{
    Toy t;
    HookLog h = {0};
    TBCacheHooks hooks = {hook_has, hook_none, hook_flushed, &h};
    TranslationBlock *a, *b, *span;
    bool hit;

    toy_init(&t, true);
    tb_cache_set_hooks(t.cache, &hooks);
    a = gen_simple(&t, 0x3000, 16);
    b = gen_simple(&t, 0x3100, 16);
    CHECK_EQ(h.nhas, 1);
    CHECK_EQ(h.has[0], 0x3000);
    {
        /* A block whose last bytes are on the next page. */
        TBKey k = {.pc = 0x1ffc, .phys_pc = 0x1ffc};
        span = gen_tb(&t, &k, 8, 0x2003, 2);
    }
    CHECK_EQ(span->page_addr[0], 0x1000);
    CHECK_EQ(span->page_addr[1], 0x2000);
    CHECK_EQ(h.nhas, 3);
    CHECK(tb_page_has_code(t.cache, 0x2000));

    /* Data next to code does not invalidate it. */
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x3050, 0x3058, NULL, NULL), 0);
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x3010, 0x3100, NULL, NULL), 0);
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x2004, 0x2100, NULL, NULL), 0);
    CHECK(!a->invalid && !b->invalid && !span->invalid);

    /* A write to the first block's last byte kills only it; the page keeps code. */
    hit = false;
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x300f, 0x3010, a, &hit), 1);
    CHECK(hit);
    CHECK(a->invalid && !b->invalid);
    CHECK(tb_page_has_code(t.cache, 0x3000));
    CHECK_EQ(h.nnone, 0);
    /* The last block on the page goes: the hook hears the page is clean again. */
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x3000, 0x4000, a, &hit), 1);
    CHECK(!hit);
    CHECK_EQ(h.nnone, 1);
    CHECK_EQ(h.none[0], 0x3000);

    /* Writing the spanning block's bytes on its second page removes it from both. */
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x2002, 0x2003, NULL, NULL), 1);
    CHECK(span->invalid);
    CHECK(!tb_page_has_code(t.cache, 0x1000));
    CHECK(!tb_page_has_code(t.cache, 0x2000));
    CHECK_EQ(h.nnone, 3);
    {
        TBKey k = {.pc = 0x1ffc, .phys_pc = 0x1ffc};
        CHECK(tb_lookup(t.cache, &k) == NULL);
    }
    CHECK_EQ(tb_cache_stats(t.cache).invalidated, 3);

    /* Many blocks on one page: a page-wide write removes them all. */
    for (int i = 0; i < 100; i++) {
        gen_simple(&t, 0x7000 + i * 8, 8);
    }
    CHECK_EQ(tb_invalidate_phys_range(t.cache, 0x7000, 0x8000, NULL, NULL), 100);
    CHECK(!tb_page_has_code(t.cache, 0x7000));

    /* Above the code bitmap's 4 GiB the page list answers; a flush forgets both. */
    {
        TBKey k = {.pc = 0x9000, .phys_pc = 0x123456000ull};
        gen_tb(&t, &k, 8, TB_NO_PAGE, 2);
    }
    gen_simple(&t, 0x9000, 8);
    CHECK(tb_page_has_code(t.cache, 0x123456000ull));
    CHECK(!tb_page_has_code(t.cache, 0x123457000ull));
    CHECK(!tb_page_has_code(t.cache, 0x23456000ull));
    CHECK(tb_page_has_code(t.cache, 0x9000));
    tb_flush(t.cache);
    CHECK(!tb_page_has_code(t.cache, 0x123456000ull));
    CHECK(!tb_page_has_code(t.cache, 0x9000));
    toy_free(&t);
}

static void test_jump_cache_cleared_on_invalidate(void)
{
    Toy t;
    TBJumpCache *other = xzalloc(sizeof(TBJumpCache));
    TranslationBlock *a;

    toy_init(&t, true);
    tb_jc_register(t.cache, other);
    a = gen_simple(&t, 0x5000, 4);
    tb_jc_insert(&t.jc, a);
    tb_jc_insert(other, a);
    tb_invalidate(t.cache, a);
    CHECK(t.jc.entry[tb_jc_hash(0x5000)].code == NULL);
    CHECK(other->entry[tb_jc_hash(0x5000)].code == NULL);
    a = gen_simple(&t, 0x5000, 4);
    tb_jc_insert(other, a);
    tb_flush(t.cache);
    CHECK(other->entry[tb_jc_hash(0x5000)].code == NULL);
    tb_jc_unregister(t.cache, other);
    free(other);
    toy_free(&t);
}

static const TranslationBlock *invalidated_seen;

static void hook_invalidated(void *opaque, const TranslationBlock *tb)
{
    (void)opaque;
    invalidated_seen = tb;
}

/*
 * Jump-cache slots: an empty slot matches no key (not even pc 0, cs_base 0, flags 0, which
 * a zeroed slot would), a slot gives back its TB from the code pointer alone (the
 * executable view may be a second mapping), and tb_invalidate() empties it and tells the
 * embedding through the invalidated hook.
 */
static void test_jump_cache_slots(void)
{
    Toy t;
    TBCacheHooks hooks = {.invalidated = hook_invalidated};
    TranslationBlock *zero, *a;
    const TBJumpSlot *slot;

    toy_init(&t, true);
    tb_cache_set_hooks(t.cache, &hooks);
    invalidated_seen = NULL;
    CHECK(tb_jc_lookup(&t.jc, 0, 0, 0, 0) == NULL);
    zero = gen_simple(&t, 0, 4);
    CHECK(tb_jc_lookup(&t.jc, 0, 0, 0, 0) == NULL);
    tb_jc_insert(&t.jc, zero);
    CHECK(tb_jc_lookup(&t.jc, 0, 0, 0, 0) == zero);
    a = gen_simple(&t, 0x7000, 12);
    tb_jc_insert(&t.jc, a);
    slot = &t.jc.entry[tb_jc_hash(0x7000)];
    CHECK(slot->code == a->code && slot->pc == 0x7000);
    CHECK(tb_from_code(t.cache, slot->code) == a);
    CHECK(tb_jc_lookup(&t.jc, 0x7000, 0, 0, 0) == a);
    CHECK(tb_jc_lookup(&t.jc, 0x7000, 1, 0, 0) == NULL);
    CHECK(tb_jc_lookup(&t.jc, 0x7000, 0, 0, 1) == NULL);
    tb_invalidate(t.cache, a);
    CHECK(invalidated_seen == a);
    CHECK(slot->code == NULL && slot->flags_word == TB_JC_EMPTY);
    CHECK(tb_jc_lookup(&t.jc, 0x7000, 0, 0, 0) == NULL);
    CHECK(tb_jc_lookup(&t.jc, 0, 0, 0, 0) == zero);
    tb_flush(t.cache);
    CHECK(tb_jc_lookup(&t.jc, 0, 0, 0, 0) == NULL);
    toy_free(&t);
}

static void test_chain_bookkeeping(void)
{
    Toy t;
    TranslationBlock *a, *b, *c;
    TBKey ka = {.pc = 0x1000, .phys_pc = 0x1000}, kb = {.pc = 0x1100, .phys_pc = 0x1100};
    TBKey kc = {.pc = 0x1200, .phys_pc = 0x1200}, kd = {.pc = 0x2000, .phys_pc = 0x2000};
    TBKey *keys[4] = {&ka, &kb, &kc, &kd};
    TranslationBlock *tbs[4];

    toy_init(&t, true);
    for (int i = 0; i < 4; i++) {
        ir_insn_start(t.f, keys[i]->pc, 0, 0);
        ir_goto_tb(t.f, 0);
        ir_goto_tb(t.f, 1);
        ir_exit_tb(t.f, 1, 0);
        CHECK_EQ(tb_gen_code(t.cache, t.f, keys[i], 4, TB_NO_PAGE, &tbs[i]), TB_GEN_OK);
        ir_func_reset(t.f);
    }
    a = tbs[0];
    b = tbs[1];
    c = tbs[2];
    tb_add_jump(t.cache, a, 0, b);
    tb_add_jump(t.cache, a, 1, c);
    tb_add_jump(t.cache, c, 0, b);
    tb_add_jump(t.cache, b, 1, a);
    tb_add_jump(t.cache, a, 0, c); /* already chained: ignored */
    CHECK(a->jmp_dest[0] == b);
    tb_add_jump(t.cache, c, 1, tbs[3]); /* another page: refused */
    CHECK(c->jmp_dest[1] == NULL);
    tb_add_jump(t.cache, tbs[3], 0, a); /* from another page into this one: refused too */
    CHECK(tbs[3]->jmp_dest[0] == NULL);
    CHECK_EQ(tb_cache_stats(t.cache).chained, 4);

    tb_invalidate(t.cache, b);
    CHECK(a->jmp_dest[0] == NULL);
    CHECK(c->jmp_dest[0] == NULL);
    CHECK(a->jmp_dest[1] == c);
    CHECK(b->jmp_dest[1] == NULL);
    CHECK(a->jmp_list_head == 0); /* b's jump into a is gone */
    CHECK(c->jmp_list_head != 0);
    tb_add_jump(t.cache, c, 0, b); /* into an invalid block: refused */
    CHECK(c->jmp_dest[0] == NULL);

    /* The unchained slot really falls through at run time again. */
    toy_run(&t, a);
    CHECK_EQ(t.ctx.exit_reason, TB_EXIT_SLOT1);
    CHECK(t.ctx.last_tb == c);
    toy_free(&t);
}

static void test_flush_when_full(void)
{
    Toy t;
    HookLog h = {0};
    TBCacheHooks hooks = {hook_has, hook_none, hook_flushed, &h};
    TranslationBlock *first, *tb = NULL;
    uint64_t fc;
    unsigned n = 0;

    toy_init(&t, true);
    tb_cache_free(t.cache);
    t.cache = tb_cache_new(toy_current_backend(), 16 * 1024, TOY_PAGE_BITS);
    tb_jc_register(t.cache, &t.jc);
    tb_cache_set_hooks(t.cache, &hooks);
    first = gen_simple(&t, 0x10000, 4);
    tb_jc_insert(&t.jc, first);
    fc = t.cache->flush_count;
    while (t.cache->flush_count == fc && n < 10000) {
        tb = gen_simple(&t, 0x20000 + 16 * n++, 4);
    }
    CHECK(n > 10 && n < 10000);
    CHECK_EQ(h.flushed, 1);
    CHECK_EQ(tb_cache_stats(t.cache).flushes, 1);
    CHECK_EQ(tb_cache_stats(t.cache).live_tbs, 1); /* the block that triggered it */
    CHECK(tb == (TranslationBlock *)t.cache->buf);
    CHECK(t.jc.entry[tb_jc_hash(0x10000)].code == NULL);
    {
        TBKey k = {.pc = 0x10000, .phys_pc = 0x10000};
        CHECK(tb_lookup(t.cache, &k) == NULL);
    }
    /* The new block runs. */
    t.env->r[0] = 0;
    toy_run(&t, tb);
    CHECK_EQ(t.env->r[0], 1);

    /* A block that cannot fit even in an empty buffer is refused, not looped on. */
    {
        TBKey k = {.pc = 0x90000, .phys_pc = 0x90000};
        TranslationBlock *big = NULL;
        for (int i = 0; i < 2000; i++) {
            ir_insn_start(t.f, k.pc + i, 0, 0);
            ir_addi_i64(t.f, t.g.r[i & 7], t.g.r[(i + 1) & 7], i);
        }
        ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
        CHECK_EQ(tb_gen_code(t.cache, t.f, &k, 4, TB_NO_PAGE, &big), TB_GEN_TOO_BIG);
        ir_func_reset(t.f);
    }
    toy_free(&t);
}

static void test_too_many_slots(void)
{
    Toy t;
    IRv64 v[3000];
    TBKey k = {.pc = 0x1000, .phys_pc = 0x1000};
    TranslationBlock *tb = NULL;

    toy_init(&t, false);
    /* 3000 simultaneously live TB temps exceed the interpreter's register file. */
    ir_insn_start(t.f, 0, 0, 0);
    for (int i = 0; i < 3000; i++) {
        v[i] = ir_temp_tb_i64(t.f);
        ir_addi_i64(t.f, v[i], t.g.r[0], i);
    }
    for (int i = 0; i < 3000; i++) {
        ir_add_i64(t.f, t.g.r[1], t.g.r[1], v[i]);
    }
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
    CHECK_EQ(tb_gen_code(t.cache, t.f, &k, 4, TB_NO_PAGE, &tb), TB_GEN_TOO_BIG);
    toy_free(&t);
}

/* The permissions /proc/self/maps gives the mapping that holds addr ("r-xs"), or "". */
static void map_perms(const void *addr, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];

    perms[0] = 0;
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && (uintptr_t)addr >= lo &&
            (uintptr_t)addr < hi) {
            memcpy(perms, p, 5);
            break;
        }
    }
    if (f) {
        fclose(f);
    }
}

/*
 * W^X: a backend that runs generated code gets two views of the arena, the executable
 * one never writable; the same bytes appear in both, and patches made through the
 * writable view show in the executable one.
 */
static void test_wx_mapping(void)
{
    Toy t;
    TranslationBlock *tb;
    char px[5], pw[5];

    toy_init(&t, true);
    ir_insn_start(t.f, 0x1000, 0, 0);
    ir_addi_i64(t.f, t.g.r[0], t.g.r[0], 1);
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
    tb = toy_gen(&t);
    map_perms(tb->code, px);
    map_perms(tb->code_rw, pw);
    if (!t.cache->backend->needs_exec_memory) {
        CHECK(tb->code == tb->code_rw);
        CHECK(px[0] == 'r' && px[1] == 'w' && px[2] != 'x');
    } else {
        CHECK(tb->code != tb->code_rw);
        CHECK(px[0] == 'r' && px[1] != 'w' && px[2] == 'x');
        CHECK(pw[0] == 'r' && pw[1] == 'w' && pw[2] != 'x');
        CHECK(!memcmp(tb->code, tb->code_rw, tb->code_size));
        /* In the arena's free space, past everything the TB uses. */
        ((volatile uint8_t *)t.cache->buf)[t.cache->used] = 0x5a;
        CHECK_EQ(((volatile uint8_t *)t.cache->buf_exec)[t.cache->used], 0x5a);
    }
    t.env->r[0] = 41;
    toy_run(&t, tb);
    CHECK_EQ(t.env->r[0], 42);
    toy_free(&t);
}

static void test_insn_index(void)
{
    Toy t;
    TBKey k = {.pc = 0x4000, .phys_pc = 0x4000};
    TranslationBlock *tb;

    toy_init(&t, true);
    /* Instructions 0..9; 3 and 4 emit no code at all. */
    for (unsigned i = 0; i < 10; i++) {
        ir_insn_start(t.f, k.pc + i, i * 10, 0);
        if (i != 3 && i != 4) {
            ir_addi_i64(t.f, t.g.r[0], t.g.r[0], i + 1);
            ir_qemu_st_i64(t.f, t.g.r[0], IRT(t.g.r[1]), IR_MO_64, 0); /* keeps each add */
        }
    }
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
    CHECK_EQ(tb_gen_code(t.cache, t.f, &k, 10, TB_NO_PAGE, &tb), TB_GEN_OK);
    CHECK_EQ(tb->icount, 10);
    CHECK_EQ(tb->insn_pos[3], tb->insn_pos[5]);
    for (unsigned i = 0; i < 10; i++) {
        if (i == 3 || i == 4) {
            continue;
        }
        uintptr_t start = (uintptr_t)tb->code + tb->insn_pos[i];
        uintptr_t end = i < 9 ? (uintptr_t)tb->code + tb->insn_pos[i + 1]
                              : (uintptr_t)tb->code + tb->code_size;
        CHECK(end > start);
        CHECK_EQ(tb_insn_index(tb, start), i);
        CHECK_EQ(tb_insn_index(tb, end - 1), i);
        CHECK_EQ(tb_insn_words(tb, (int)i)[0], k.pc + i);
        CHECK_EQ(tb_insn_words(tb, (int)i)[1], i * 10);
    }
    CHECK_EQ(tb_insn_index(tb, (uintptr_t)tb->code + tb->code_size), -1);
    toy_free(&t);
}

static void test_logging(void)
{
    Toy t;
    char path[] = "/tmp/osprey-test-tb-XXXXXX";
    int fd = mkstemp(path);
    FILE *in;
    char buf[8192];
    size_t n;

    CHECK(fd >= 0);
    close(fd);
    CHECK(log_set_file(path, NULL));
    osprey_log_mask = LOG_OP | LOG_OUT_ASM;
    toy_init(&t, true);
    ir_insn_start(t.f, 0x1234, 0, 0);
    ir_addi_i64(t.f, t.g.r[0], t.g.r[1], 5);
    ir_exit_tb(t.f, IR_EXIT_NOCHAIN, 0);
    toy_gen_at(&t, 0x1234, 4);
    osprey_log_mask = 0;
    log_flush();
    in = fopen(path, "r");
    n = in ? fread(buf, 1, sizeof(buf) - 1, in) : 0;
    buf[n] = 0;
    if (in) {
        fclose(in);
    }
    CHECK(strstr(buf, "OP: pc=0x1234") != NULL);
    CHECK(strstr(buf, " add_i64 r0,r1,$0x5") != NULL);
    CHECK(strstr(buf, "OUT: [size=") != NULL);
    if (toy_backend_is_interp()) {
        CHECK(strstr(buf, "ADDI_64") != NULL);
        CHECK(strstr(buf, "EXIT_TB") != NULL);
    } else {
        /* Native code is dumped as hex bytes per guest instruction. */
        CHECK(strstr(buf, "code at 0x") != NULL);
        CHECK(strstr(buf, "-- insn 0") != NULL);
    }
    unlink(path);
    toy_free(&t);
}

int main(void)
{
    toy_test_run("tb/keys_and_lookup", test_keys_and_lookup);
    toy_test_run("tb/page_lists_and_range_invalidation", test_page_lists_and_range_invalidation);
    toy_test_run("tb/jump_cache_cleared_on_invalidate", test_jump_cache_cleared_on_invalidate);
    toy_test_run("tb/jump_cache_slots", test_jump_cache_slots);
    toy_test_run("tb/chain_bookkeeping", test_chain_bookkeeping);
    toy_test_run("tb/flush_when_full", test_flush_when_full);
    toy_test_run("tb/too_many_slots", test_too_many_slots);
    toy_test_run("tb/insn_index", test_insn_index);
    toy_test_run("tb/wx_mapping", test_wx_mapping);
    toy_test_run("tb/logging", test_logging);
    return test_summary();
}
