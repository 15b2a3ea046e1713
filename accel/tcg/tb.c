/*
 * Translation-block cache: arena allocation, hash and jump-cache lookup, physical page
 * lists, chaining bookkeeping, invalidation and flush.  See tb.h.
 */
#include "accel/tcg/tb.h"

#include <assert.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/tcg/backend.h"
#include "accel/tcg/tb-stats.h"
#include "core/log.h"

/* Tagged (TB pointer | small index) list links; TBs are 16-byte aligned in the arena. */
#define TAG(tb, n) ((uintptr_t)(tb) | (n))
#define TAG_TB(p) ((TranslationBlock *)((p) & ~(uintptr_t)3))
#define TAG_N(p) ((unsigned)((p) & 3))

struct TBPage {
    uint64_t addr;
    uintptr_t first; /* (tb | n) */
    TBPage *next;
};

#define ARENA_ALIGN TB_ARENA_ALIGN

static void *arena_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        error_report("cannot map %zu bytes for the translation cache", size);
        exit(1);
    }
    return p;
}

/*
 * W^X: the same pages mapped twice, read-write for the code generator and patching,
 * read-execute for running.  No page is ever writable and executable at once.  Shared
 * anonymous memory duplicated with mremap(old_size = 0) keeps the views "anonymous" to
 * tools such as perf (which then read /tmp/perf-PID.map); a memfd is the fallback.
 */
static void arena_map_dual(size_t size, uint8_t **rw, uint8_t **rx)
{
    void *w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    void *x = MAP_FAILED;

    if (w != MAP_FAILED) {
        x = mremap(w, 0, size, MREMAP_MAYMOVE);
        if (x != MAP_FAILED && mprotect(x, size, PROT_READ | PROT_EXEC) != 0) {
            munmap(x, size);
            x = MAP_FAILED;
        }
        if (x == MAP_FAILED) {
            munmap(w, size);
            w = MAP_FAILED;
        }
    }
    if (w == MAP_FAILED) {
        int fd = memfd_create("osprey-tcg", MFD_CLOEXEC);
        if (fd >= 0 && ftruncate(fd, (off_t)size) == 0) {
            w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            x = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    if (w == MAP_FAILED || x == MAP_FAILED) {
        error_report("cannot map %zu bytes of executable translation cache", size);
        exit(1);
    }
    *rw = w;
    *rx = x;
}

TBCache *tb_cache_new(const TBBackend *backend, size_t code_size, unsigned page_bits)
{
    TBCache *c = XNEW(TBCache);

    c->backend = backend;
    c->optimize = true;
    c->page_bits = page_bits;
    c->buf_size = code_size;
    if (backend->needs_exec_memory) {
        arena_map_dual(code_size, &c->buf, &c->buf_exec);
    } else {
        c->buf = c->buf_exec = arena_map(code_size);
    }
    c->hmask = 1023;
    c->htable = xcalloc(c->hmask + 1, sizeof(*c->htable));
    c->pmask = 255;
    c->pages = xcalloc(c->pmask + 1, sizeof(*c->pages));
    c->code_bitmap = xcalloc(TB_CODE_BITMAP_PAGES / 64, sizeof(uint64_t));
    if (log_enabled(LOG_TB_STATS)) {
        c->prof = tb_prof_new();
    }
    return c;
}

/* The page's bit in code_bitmap (mask in *bit), or NULL above the bitmap's range. */
static uint64_t *code_bit(const TBCache *c, uint64_t page_addr, uint64_t *bit)
{
    uint64_t pfn = page_addr >> c->page_bits;

    if (pfn >= TB_CODE_BITMAP_PAGES) {
        return NULL;
    }
    *bit = 1ull << (pfn % 64);
    return &c->code_bitmap[pfn / 64];
}

static void pages_free_all(TBCache *c)
{
    memset(c->code_bitmap, 0, TB_CODE_BITMAP_PAGES / 8);
    for (uint32_t i = 0; i <= c->pmask; i++) {
        TBPage *p = c->pages[i];
        while (p) {
            TBPage *next = p->next;
            free(p);
            p = next;
        }
        c->pages[i] = NULL;
    }
    c->nb_pages = 0;
}

void tb_cache_free(TBCache *c)
{
    if (!c) {
        return;
    }
    pages_free_all(c);
    if (c->buf_exec != c->buf) {
        munmap(c->buf_exec, c->buf_size);
    }
    munmap(c->buf, c->buf_size);
    free(c->htable);
    free(c->pages);
    free(c->code_bitmap);
    free(c->jcs);
    free(c->pos_scratch);
    tb_prof_free(c->prof);
    tb_perfmap_flush();
    free(c);
}

void tb_cache_set_hooks(TBCache *c, const TBCacheHooks *hooks)
{
    c->hooks = *hooks;
}

TBCacheStats tb_cache_stats(const TBCache *c)
{
    TBCacheStats s = c->stats;
    s.code_used = c->used;
    s.code_size = c->buf_size;
    s.live_tbs = c->nb_tbs;
    return s;
}

/* ---- jump caches ---- */

void tb_jc_register(TBCache *c, TBJumpCache *jc)
{
    c->jcs = xrealloc(c->jcs, (c->nb_jcs + 1) * sizeof(*c->jcs));
    c->jcs[c->nb_jcs++] = jc;
    jc->code_to_tb = (uintptr_t)(c->buf_exec - c->buf) + TB_CODE_OFFSET;
    tb_jc_clear(jc);
}

void tb_jc_unregister(TBCache *c, TBJumpCache *jc)
{
    for (uint32_t i = 0; i < c->nb_jcs; i++) {
        if (c->jcs[i] == jc) {
            c->jcs[i] = c->jcs[--c->nb_jcs];
            return;
        }
    }
}

void tb_jc_clear(TBJumpCache *jc)
{
    for (uint32_t i = 0; i < TB_JC_SIZE; i++) {
        tb_jc_slot_clear(&jc->entry[i]);
    }
}

/* ---- hash table ---- */

static uint32_t tb_hash(uint64_t phys_pc, uint64_t pc, uint32_t flags, uint32_t cflags,
                        uint64_t cs_base)
{
    uint64_t h = phys_pc * 0x9e3779b97f4a7c15ull;
    h ^= (pc + (h << 6) + (h >> 2)) * 0xc2b2ae3d27d4eb4full;
    h ^= ((uint64_t)flags << 32 | cflags) * 0x165667b19e3779f9ull;
    h ^= cs_base * 0x27d4eb2f165667c5ull;
    return (uint32_t)(h ^ (h >> 29) ^ (h >> 47));
}

static void htable_grow(TBCache *c)
{
    uint32_t nmask = c->hmask * 2 + 1;
    TranslationBlock **nt = xcalloc(nmask + 1, sizeof(*nt));

    for (uint32_t i = 0; i <= c->hmask; i++) {
        TranslationBlock *tb = c->htable[i];
        while (tb) {
            TranslationBlock *next = tb->hash_next;
            tb->hash_next = nt[tb->hash & nmask];
            nt[tb->hash & nmask] = tb;
            tb = next;
        }
    }
    free(c->htable);
    c->htable = nt;
    c->hmask = nmask;
}

static void htable_insert(TBCache *c, TranslationBlock *tb)
{
    TranslationBlock **head;

    if (c->nb_tbs > c->hmask) {
        htable_grow(c);
    }
    head = &c->htable[tb->hash & c->hmask];
    tb->hash_next = *head;
    *head = tb;
    c->nb_tbs++;
}

static void htable_remove(TBCache *c, TranslationBlock *tb)
{
    TranslationBlock **pp = &c->htable[tb->hash & c->hmask];

    while (*pp) {
        if (*pp == tb) {
            *pp = tb->hash_next;
            c->nb_tbs--;
            return;
        }
        pp = &(*pp)->hash_next;
    }
}

TranslationBlock *tb_lookup(TBCache *c, const TBKey *k)
{
    uint32_t h = tb_hash(k->phys_pc, k->pc, k->flags, k->cflags, k->cs_base);

    for (TranslationBlock *tb = c->htable[h & c->hmask]; tb; tb = tb->hash_next) {
        if (tb->hash == h && tb->phys_pc == k->phys_pc && tb->pc == k->pc &&
            tb->cs_base == k->cs_base && tb->flags == k->flags && tb->cflags == k->cflags) {
            return tb;
        }
    }
    return NULL;
}

/* ---- physical pages ---- */

static uint32_t page_hash(const TBCache *c, uint64_t page_addr)
{
    uint64_t h = (page_addr >> c->page_bits) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32) & c->pmask;
}

static TBPage *page_find(TBCache *c, uint64_t page_addr)
{
    for (TBPage *p = c->pages[page_hash(c, page_addr)]; p; p = p->next) {
        if (p->addr == page_addr) {
            return p;
        }
    }
    return NULL;
}

static void pages_grow(TBCache *c)
{
    uint32_t omask = c->pmask;
    TBPage **old = c->pages;

    c->pmask = omask * 2 + 1;
    c->pages = xcalloc(c->pmask + 1, sizeof(*c->pages));
    for (uint32_t i = 0; i <= omask; i++) {
        TBPage *p = old[i];
        while (p) {
            TBPage *next = p->next;
            uint32_t h = page_hash(c, p->addr);
            p->next = c->pages[h];
            c->pages[h] = p;
            p = next;
        }
    }
    free(old);
}

static void page_add_tb(TBCache *c, TranslationBlock *tb, unsigned n)
{
    uint64_t addr = tb->page_addr[n];
    TBPage *p = page_find(c, addr);
    uint64_t *word, bit;

    if (!p) {
        uint32_t h;
        if (c->nb_pages > c->pmask) {
            pages_grow(c);
        }
        h = page_hash(c, addr);
        p = XNEW(TBPage);
        p->addr = addr;
        p->next = c->pages[h];
        c->pages[h] = p;
        c->nb_pages++;
        word = code_bit(c, addr, &bit);
        if (word) {
            *word |= bit;
        }
        if (c->hooks.page_has_code) {
            c->hooks.page_has_code(c->hooks.opaque, addr);
        }
    }
    tb->page_next[n] = p->first;
    p->first = TAG(tb, n);
}

static void page_remove_tb(TBCache *c, TranslationBlock *tb, unsigned n)
{
    uint64_t addr = tb->page_addr[n];
    uint32_t h = page_hash(c, addr);
    TBPage **pp = &c->pages[h];
    TBPage *p;
    uintptr_t *link;

    while (*pp && (*pp)->addr != addr) {
        pp = &(*pp)->next;
    }
    p = *pp;
    if (!p) {
        return;
    }
    for (link = &p->first; *link; link = &TAG_TB(*link)->page_next[TAG_N(*link)]) {
        if (*link == TAG(tb, n)) {
            *link = tb->page_next[n];
            break;
        }
    }
    if (!p->first) {
        uint64_t bit, *word = code_bit(c, addr, &bit);
        if (word) {
            *word &= ~bit;
        }
        *pp = p->next;
        free(p);
        c->nb_pages--;
        if (c->hooks.page_no_code) {
            c->hooks.page_no_code(c->hooks.opaque, addr);
        }
    }
}

bool tb_page_has_code(TBCache *c, uint64_t page_addr)
{
    uint64_t bit, *word = code_bit(c, page_addr, &bit);

    if (word) {
        return (*word & bit) != 0;
    }
    return page_find(c, page_addr) != NULL;
}

/* ---- chaining ---- */

static void jmp_list_remove(TranslationBlock *dest, TranslationBlock *tb, unsigned n)
{
    uintptr_t *link = &dest->jmp_list_head;

    while (*link) {
        if (*link == TAG(tb, n)) {
            *link = tb->jmp_list_next[n];
            tb->jmp_list_next[n] = 0;
            return;
        }
        link = &TAG_TB(*link)->jmp_list_next[TAG_N(*link)];
    }
}

void tb_add_jump(TBCache *c, TranslationBlock *tb, unsigned n, TranslationBlock *dest)
{
    uint64_t page_mask = ~(((uint64_t)1 << c->page_bits) - 1);

    if (n > 1 || tb->jmp_patch[n] == TB_NO_JUMP || tb->jmp_dest[n] || tb->invalid ||
        dest->invalid) {
        return;
    }
    /*
     * A direct jump bypasses the virtual->physical lookup, so it is only safe within the
     * page the source block starts on (the frontend's goto_tb rule; this is a backstop).
     */
    if ((dest->phys_pc & page_mask) != tb->page_addr[0]) {
        return;
    }
    tb->jmp_dest[n] = dest;
    tb->jmp_list_next[n] = dest->jmp_list_head;
    dest->jmp_list_head = TAG(tb, n);
    c->backend->set_jump(tb, n, dest);
    c->stats.chained++;
}

static void unchain_slot(TBCache *c, TranslationBlock *tb, unsigned n)
{
    TranslationBlock *dest = tb->jmp_dest[n];

    if (!dest) {
        return;
    }
    c->backend->set_jump(tb, n, NULL);
    jmp_list_remove(dest, tb, n);
    tb->jmp_dest[n] = NULL;
}

/* ---- invalidation and flush ---- */

void tb_invalidate(TBCache *c, TranslationBlock *tb)
{
    uint32_t jh;

    if (tb->invalid) {
        return;
    }
    tb->invalid = true;
    htable_remove(c, tb);
    for (unsigned n = 0; n < 2; n++) {
        if (tb->page_addr[n] != TB_NO_PAGE) {
            page_remove_tb(c, tb, n);
        }
    }
    jh = tb_jc_hash(tb->pc);
    for (uint32_t i = 0; i < c->nb_jcs; i++) {
        if (c->jcs[i]->entry[jh].code == tb->code) {
            tb_jc_slot_clear(&c->jcs[i]->entry[jh]);
        }
    }
    if (c->hooks.invalidated) {
        c->hooks.invalidated(c->hooks.opaque, tb);
    }
    /* Every jump into tb goes back to the loop from now on... */
    while (tb->jmp_list_head) {
        uintptr_t in = tb->jmp_list_head;
        unchain_slot(c, TAG_TB(in), TAG_N(in));
    }
    /* ...and tb itself, if still running, leaves at its next goto_tb. */
    unchain_slot(c, tb, 0);
    unchain_slot(c, tb, 1);
    c->stats.invalidated++;
}

/* Bytes of tb's code on page n, as a physical range. */
static void tb_page_range(const TBCache *c, const TranslationBlock *tb, unsigned n,
                          uint64_t *start, uint64_t *end)
{
    uint64_t page_size = (uint64_t)1 << c->page_bits;
    uint64_t first_len = MIN((uint64_t)tb->size, tb->page_addr[0] + page_size - tb->phys_pc);

    if (n == 0) {
        *start = tb->phys_pc;
        *end = tb->phys_pc + first_len;
    } else {
        *start = tb->page_addr[1];
        *end = tb->page_addr[1] + (tb->size - first_len);
    }
}

unsigned tb_invalidate_phys_range(TBCache *c, uint64_t start, uint64_t end,
                                  const TranslationBlock *current, bool *current_hit)
{
    uint64_t page_size = (uint64_t)1 << c->page_bits;
    uint64_t page = start & ~(page_size - 1);
    unsigned count = 0;

    if (current_hit) {
        *current_hit = false;
    }
    for (; page < end; page += page_size) {
        TBPage *p = page_find(c, page);
        uintptr_t it;

        if (!p) {
            continue;
        }
        /*
         * Restart the walk after each invalidation: removing a TB can free this page's
         * descriptor, and the link we stand on with it.
         */
        it = p->first;
        while (it) {
            TranslationBlock *tb = TAG_TB(it);
            unsigned n = TAG_N(it);
            uint64_t s, e;

            tb_page_range(c, tb, n, &s, &e);
            if (s < end && start < e) {
                if (tb == current && current_hit) {
                    *current_hit = true;
                }
                tb_invalidate(c, tb);
                count++;
                p = page_find(c, page);
                it = p ? p->first : 0;
                continue;
            }
            it = tb->page_next[n];
        }
        if (page + page_size < page) {
            break; /* wrapped at the top of the address space */
        }
    }
    return count;
}

void tb_flush(TBCache *c)
{
    memset(c->htable, 0, (c->hmask + 1) * sizeof(*c->htable));
    c->nb_tbs = 0;
    pages_free_all(c);
    for (uint32_t i = 0; i < c->nb_jcs; i++) {
        tb_jc_clear(c->jcs[i]);
    }
    c->used = 0;
    c->flush_count++;
    c->stats.flushes++;
    if (c->hooks.flushed) {
        c->hooks.flushed(c->hooks.opaque);
    }
}

/* ---- generation ---- */

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Lay out TB header, code and restore tables at the arena's free end. */
static int tb_try_gen(TBCache *c, IRFunc *f, TranslationBlock **out)
{
    size_t tb_off = align_up(c->used, 64); /* the lookup fields in one cache line */
    size_t code_off = align_up(tb_off + sizeof(TranslationBlock), ARENA_ALIGN);
    size_t n = f->nb_insns;
    size_t data_off, pos_off, end;
    TranslationBlock *tb;
    long len;

    if (code_off >= c->buf_size) {
        return TB_GEN_BUFFER_FULL;
    }
    tb = (TranslationBlock *)(c->buf + tb_off);
    /* tb_from_code() relies on this distance (tb_off is a multiple of 64). */
    _Static_assert(64 % ARENA_ALIGN == 0, "TB headers at 64-byte boundaries are aligned");
    memset(tb, 0, sizeof(*tb));
    tb->code = c->buf_exec + code_off;
    tb->code_rw = c->buf + code_off;
    tb->jmp_patch[0] = tb->jmp_patch[1] = TB_NO_JUMP;
    len = c->backend->gen_code(f, tb, tb->code_rw, c->buf_size - code_off, c->pos_scratch);
    if (len < 0) {
        return (int)len;
    }
    data_off = align_up(code_off + (size_t)len, 8);
    pos_off = data_off + n * f->insn_words * sizeof(uint64_t);
    end = pos_off + n * sizeof(uint32_t);
    if (end > c->buf_size) {
        return TB_GEN_BUFFER_FULL;
    }
    tb->code_size = (uint32_t)len;
    tb->icount = (uint32_t)n;
    tb->insn_words = f->insn_words;
    tb->insn_data = (const uint64_t *)(c->buf + data_off);
    tb->insn_pos = (const uint32_t *)(c->buf + pos_off);
    if (n) {
        memcpy(c->buf + pos_off, c->pos_scratch, n * sizeof(uint32_t));
    }
    {
        uint64_t *data = (uint64_t *)(c->buf + data_off);
        size_t k = 0;
        for (uint32_t i = 0; i < f->nb_ops; i++) {
            const IROp *op = &f->ops[i];
            if (op->opc == IR_OP_INSN_START) {
                memcpy(&data[k * f->insn_words], op->args, f->insn_words * sizeof(uint64_t));
                k++;
            }
        }
        assert(k == n);
    }
    c->used = end;
    *out = tb;
    return TB_GEN_OK;
}

int tb_gen_code(TBCache *c, IRFunc *f, const TBKey *key, uint32_t guest_size, uint64_t page2,
                TranslationBlock **out)
{
    uint64_t page_mask = ~(((uint64_t)1 << c->page_bits) - 1);
    TranslationBlock *tb = NULL;
    TBProfile *prof = NULL;
    int r;

    if (c->optimize) {
        ir_optimize(f);
    }
    if (unlikely(c->prof)) {
        /*
         * Count what will run: liveness first deletes dead code (pure helper calls whose
         * result nobody reads), then a second pass annotates the inserted counter ops.
         */
        ir_liveness(f, c->optimize);
        prof = tb_prof_instrument(c->prof, f, key);
    }
    ir_liveness(f, c->optimize);
    if (log_enabled(LOG_OP)) {
        log_printf("OP: pc=0x%" PRIx64 " phys=0x%" PRIx64 "\n", key->pc, key->phys_pc);
        ir_dump(f, log_file());
        log_printf("\n");
    }
    if (f->nb_insns > c->pos_cap) {
        c->pos_cap = f->nb_insns * 2;
        c->pos_scratch = xrealloc(c->pos_scratch, c->pos_cap * sizeof(uint32_t));
    }

    r = tb_try_gen(c, f, &tb);
    if (r == TB_GEN_BUFFER_FULL && c->used > 0) {
        tb_flush(c);
        r = tb_try_gen(c, f, &tb);
    }
    if (r == TB_GEN_BUFFER_FULL) {
        r = TB_GEN_TOO_BIG; /* does not fit even in an empty buffer */
    }
    if (r != TB_GEN_OK) {
        return r;
    }

    tb->pc = key->pc;
    tb->cs_base = key->cs_base;
    tb->phys_pc = key->phys_pc;
    tb->flags = key->flags;
    tb->cflags = key->cflags;
    tb->size = guest_size;
    tb->page_addr[0] = key->phys_pc & page_mask;
    tb->page_addr[1] = page2 == TB_NO_PAGE ? TB_NO_PAGE : (page2 & page_mask);
    if (tb->page_addr[1] == tb->page_addr[0]) {
        tb->page_addr[1] = TB_NO_PAGE;
    }
    tb->hash = tb_hash(tb->phys_pc, tb->pc, tb->flags, tb->cflags, tb->cs_base);
    htable_insert(c, tb);
    page_add_tb(c, tb, 0);
    if (tb->page_addr[1] != TB_NO_PAGE) {
        page_add_tb(c, tb, 1);
    }
    c->stats.translated++;
    c->stats.code_bytes += tb->code_size;
    c->stats.guest_bytes += guest_size;
    c->stats.guest_insns += tb->icount;
    if (unlikely(prof)) {
        prof->code_size = tb->code_size;
    }
    if (unlikely(osprey_perfmap)) {
        tb_perfmap_add(tb);
    }
    if (log_enabled(LOG_OUT_ASM) && c->backend->dump) {
        log_printf("OUT: [size=%u] pc=0x%" PRIx64 "\n", tb->code_size, tb->pc);
        c->backend->dump(tb, log_file());
        log_printf("\n");
    }
    *out = tb;
    return TB_GEN_OK;
}

/* ---- restore ---- */

int tb_insn_index(const TranslationBlock *tb, uintptr_t pos)
{
    uintptr_t base = (uintptr_t)tb->code;
    uint32_t off;
    int lo = 0, hi = (int)tb->icount - 1, found = -1;

    if (pos < base || pos >= base + tb->code_size || tb->icount == 0) {
        return -1;
    }
    off = (uint32_t)(pos - base);
    /* The last instruction whose code starts at or before off. */
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (tb->insn_pos[mid] <= off) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found < 0 ? 0 : found;
}
