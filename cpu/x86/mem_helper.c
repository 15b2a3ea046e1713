/*
 * The x86 softmmu: the software TLB behind the engine's inline compare,
 * its slow path through the page walker (mmu.c), MMIO through the
 * machine's address space (the same dispatch KVM uses), self-modifying
 * code detection, accesses that cross a page, and guest memory for C
 * helpers.  Also the small exception helpers translated code calls.
 *
 * Reference: Intel SDM vol. 3A ch. 4 (paging, TLBs), ch. 5 (segment limits).
 */
#include <inttypes.h>

#include "cpu/x86/tcg-exec.h"
#include "core/machine.h"
#include "core/log.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/seg.h"
#include "cpu/x86/translate.h"

#define PAGE_MASK_4K (~(uint64_t)0xfff)

static X86TCGCPU *tcg_cpu(CPUX86State *env)
{
    return env->accel_cpu;
}

/* ---- exceptions from translated code ---- */

void helper_raise_exception(CPUX86State *env, uint32_t vector, uint32_t error_code)
{
    if ((int32_t)error_code == -1) {
        x86_raise_exception(env, (int)vector);
    }
    x86_raise_exception_err(env, (int)vector, (int)error_code);
}

void helper_raise_interrupt(CPUX86State *env, uint32_t vector, uint32_t len)
{
    x86_raise_interrupt(env, (int)vector, (int)len);
}

void x86_tcg_raise_page_fault(CPUX86State *env, uint64_t linear, uint32_t error_code)
{
    x86_raise_page_fault(env, linear, error_code);
}

void helper_check_seg_limit(CPUX86State *env, uint32_t seg, uint64_t offset, uint32_t size)
{
    const SegmentCache *sc = &env->segs[seg % X86_NR_SEGS];
    uint64_t last = offset + size - 1;
    bool bad;

    if ((sc->flags & (DESC_S_MASK | DESC_CS_MASK | DESC_E_MASK)) ==
        (DESC_S_MASK | DESC_E_MASK) && (env->cr[0] & CR0_PE) && !(env->eflags & X86_EFL_VM)) {
        /* Expand-down data segment: valid offsets are limit+1 .. 0xffff or 0xffffffff. */
        uint64_t top = (sc->flags & DESC_B_MASK) ? 0xffffffffu : 0xffffu;
        bad = offset <= sc->limit || last > top;
    } else {
        bad = last > sc->limit;
    }
    if (unlikely(bad)) {
        x86_raise_exception_err(env, seg == R_SS ? EXCP_SS : EXCP_GP, 0);
    }
}

void helper_set_inhibit_irq(CPUX86State *env)
{
    env->hflags |= HF_INHIBIT_IRQ;
}

void helper_clear_inhibit_irq(CPUX86State *env)
{
    env->hflags &= ~HF_INHIBIT_IRQ;
}

/* ---- the TLB ---- */

static void tlb_entry_clear(TLBFastEntry *e)
{
    e->addr_read = e->addr_write = e->addr_code = X86_TLB_INVALID;
    e->addend = 0;
}

/* The bit of jc_global_pages for the page of addr (either width of linear address). */
static uint32_t jc_global_page_bit(uint64_t addr)
{
    uint64_t vpn = (addr >> 12) & 0xfffff;
    return (uint32_t)((vpn * 0x9e3779b97f4a7c15ull) >> 48) & (X86_JC_GLOBAL_FILTER_BITS - 1);
}

static uint32_t victim_hash(uint64_t pc)
{
    return x86_victim_hash(pc);
}

/* Clear a set's jump cache: the listed slots, or all of it (jc_victim keeps them). */
static void jc_clear_listed(X86TCGCPU *c, X86TLBSet *set)
{
    (void)c;
    if (set->jc_overflow) {
        tb_jc_clear(&set->jc);
    } else {
        for (uint32_t k = 0; k < set->jc_nused; k++) {
            tb_jc_slot_clear(&set->jc.entry[set->jc_used[k]]);
        }
    }
    set->jc_nused = 0;
    set->jc_overflow = false;
}

/* Put a slot in the current set's jump cache, remembering where for jc_clear_listed. */
static void jc_insert_listed(X86TCGCPU *c, const TBJumpSlot *slot)
{
    X86TLBSet *set = c->cur;
    uint32_t h = tb_jc_hash(slot->pc);

    if (!set->jc.entry[h].code) {
        if (set->jc_nused < X86_JC_LIST) {
            set->jc_used[set->jc_nused++] = (uint16_t)h;
        } else {
            set->jc_overflow = true;
        }
    }
    set->jc.entry[h] = *slot;
}

/* Drop a set's entries (all, or all but the global ones) and its jump cache. */
static void tlb_set_flush(X86TCGCPU *c, X86TLBSet *set, bool include_global)
{
    for (int m = 0; m < X86_NB_MMU_MODES; m++) {
        uint32_t kept = 0;
        /* Only listed entries can be valid (tlb_set_entry lists every fill). */
        for (uint32_t k = 0; k < set->nused[m]; k++) {
            unsigned i = set->used[m][k];
            if (include_global || !set->global[m][i]) {
                tlb_entry_clear(&set->tlb[m][i]);
                set->global[m][i] = 0;
                set->listed[m][i] = 0;
            } else {
                set->used[m][kept++] = (uint16_t)i;
            }
        }
        set->nused[m] = kept;
    }
    jc_clear_listed(c, set);
}

/* Tags with every bit set: never a hit.  Only read. */
static TLBFastEntry x86_tlb_never[1] = {
    {.addr_read = ~0ull, .addr_write = ~0ull, .addr_code = ~0ull},
};

/* Make set the current one: the inline TLB and the inline jump-cache probe use it. */
static void tlb_set_activate(X86TCGCPU *c, X86TLBSet *set)
{
    c->cur = set;
    set->last_use = ++c->tlb_clock;
    for (int m = 0; m < X86_NB_MMU_MODES; m++) {
        c->tlb_fast.table[m] = set->tlb[m];
    }
    c->ctx.jc = &set->jc;
}

/* The PCID the TLB is tagged with now (SDM 4.10.1): CR3[11:0] with CR4.PCIDE, else 0. */
static int32_t current_pcid(const CPUX86State *env)
{
    return (env->cr[4] & CR4_PCIDE) ? (int32_t)(env->cr[3] & 0xfff) : 0;
}

/*
 * include_global false is a CR3 load without PCIDs (or a task switch's): entries for
 * global pages stay, as on hardware.  An OS with kernel page-table isolation and no PCID
 * writes CR3 on every kernel entry and exit, and its kernel text is mapped global there,
 * so this keeps the kernel's code and data TLB entries warm across system calls.
 * include_global true drops every PCID's entries, and the current set is then the one of
 * the current PCID.
 */
void x86_tlb_flush(CPUX86State *env, bool include_global)
{
    X86TCGCPU *c = tcg_cpu(env);

    if (!c) {
        return;
    }
    c->stats.tlb_flushes++;
    if (include_global) {
        for (unsigned k = 0; k < X86_TLB_SETS; k++) {
            X86TLBSet *set = &c->tlb_sets[k];
            if (set->pcid >= 0 || set == c->cur) {
                tlb_set_flush(c, set, true);
                set->pcid = -1;
            }
        }
        c->cur->pcid = current_pcid(env);
        /* Otherwise a kept global entry may still come from a large page. */
        c->tlb_has_large = false;
        tb_jc_clear(&c->jc_global);
        memset(c->jc_global_pages, 0, sizeof(c->jc_global_pages));
    } else {
        tlb_set_flush(c, c->cur, false);
    }
}

/*
 * MOV to CR3 with CR4.PCIDE set (SDM 4.10.4.1): the TLB of the new PCID becomes current;
 * unless keep (CR3 bit 63), its non-global entries are dropped.  A PCID without a set of
 * its own takes the least recently used one, emptied.
 */
void x86_tlb_switch_pcid(CPUX86State *env, uint16_t pcid, bool keep)
{
    X86TCGCPU *c = tcg_cpu(env);
    X86TLBSet *set = NULL, *lru = NULL;

    if (!c) {
        return;
    }
    for (unsigned k = 0; k < X86_TLB_SETS && !set; k++) {
        X86TLBSet *s = &c->tlb_sets[k];
        if (s->pcid == pcid) {
            set = s;
        } else if (s != c->cur && (!lru || s->pcid < 0 ||
                                   (lru->pcid >= 0 && s->last_use < lru->last_use))) {
            lru = s;
        }
    }
    if (!set) {
        set = lru;
        if (set->pcid >= 0) {
            tlb_set_flush(c, set, true);
        }
        set->pcid = pcid;
        keep = true; /* nothing left to drop */
    }
    tlb_set_activate(c, set);
    if (!keep) {
        c->stats.tlb_flushes++;
        tlb_set_flush(c, set, false);
    }
}

static bool tag_matches(uint64_t tag, uint64_t page)
{
    return tag != X86_TLB_INVALID && (tag & PAGE_MASK_4K) == page;
}

TranslationBlock *x86_jc_lookup(X86TCGCPU *c, uint64_t pc, uint64_t cs_base, uint32_t flags,
                                uint32_t cflags)
{
    TranslationBlock *tb = tb_jc_lookup(&c->cur->jc, pc, cs_base, flags, cflags);

    if (!tb) {
        tb = tb_jc_lookup(&c->jc_global, pc, cs_base, flags, cflags);
        if (tb) {
            jc_insert_listed(c, &c->jc_global.entry[tb_jc_hash(pc)]);
        }
    }
    return tb;
}

void x86_jc_victim_init(X86TCGCPU *c)
{
    /* One slot per cache line: a probe is one miss at most. */
    c->jc_victim = aligned_alloc(64, X86_VICTIM_SIZE * sizeof(*c->jc_victim));
    if (!c->jc_victim) {
        abort();
    }
    memset(c->jc_victim, 0, X86_VICTIM_SIZE * sizeof(*c->jc_victim));
    x86_jc_victim_clear(c);
}

void x86_jc_victim_clear(X86TCGCPU *c)
{
    for (uint32_t i = 0; i < X86_VICTIM_SIZE; i++) {
        tb_jc_slot_clear(&c->jc_victim[i].key);
    }
}

void x86_jc_victim_free(X86TCGCPU *c)
{
    free(c->jc_victim);
    c->jc_victim = NULL;
}

void x86_jc_victim_invalidated(void *opaque, const TranslationBlock *tb)
{
    X86TCGCPU *c = opaque;
    X86VictimSlot *v = &c->jc_victim[victim_hash(tb->pc)];

    if (v->key.code == tb->code) {
        tb_jc_slot_clear(&v->key);
    }
}

const X86VictimSlot *x86_jc_victim_find(X86TCGCPU *c, uint64_t pc, uint64_t cs_base,
                                        uint64_t flags_word, uint64_t phys)
{
    const X86VictimSlot *v = &c->jc_victim[victim_hash(pc)];

    /* The same test as tb_lookup's: the key, and the physical PC of the current mapping. */
    if (v->key.pc == pc && v->phys_pc == phys && v->key.cs_base == cs_base &&
        v->key.flags_word == flags_word) {
        return v;
    }
    return NULL;
}

TranslationBlock *x86_jc_victim_lookup(X86TCGCPU *c, uint64_t pc, uint64_t cs_base,
                                       uint32_t flags, uint32_t cflags, uint64_t phys)
{
    const X86VictimSlot *v = x86_jc_victim_find(c, pc, cs_base,
                                                tb_jc_flags_word(flags, cflags), phys);

    return v ? tb_from_code(c->cache, v->key.code) : NULL;
}

/*
 * A block with this slot, found for the current state (so its pc maps to its physical
 * page phys_page now), goes into the current set's jump cache.  It also goes into
 * jc_global when its code is on one page that the TLB's code entry for the current MMU
 * index maps with a global entry to the same physical page: that mapping outlives CR3
 * writes, and only the flushes that drop it (page, global, full) clear jc_global.
 */
static void jc_insert_key(X86TCGCPU *c, const TBJumpSlot *slot, bool one_page,
                          uint64_t phys_page)
{
    X86TLBSet *set = c->cur;
    int mmu_idx = x86_mmu_index(c->env);
    unsigned idx = (slot->pc >> 12) & (X86_TLB_SIZE - 1);

    jc_insert_listed(c, slot);
    if (one_page && set->global[mmu_idx][idx] &&
        tag_matches(set->tlb[mmu_idx][idx].addr_code, slot->pc & PAGE_MASK_4K) &&
        set->paddr[mmu_idx][idx] == phys_page) {
        uint32_t bit = jc_global_page_bit(slot->pc);
        c->jc_global_pages[bit / 64] |= 1ull << (bit % 64);
        c->jc_global.entry[tb_jc_hash(slot->pc)] = *slot;
    }
}

/* tb was just found for the current state: into the jump caches and jc_victim. */
void x86_jc_insert(X86TCGCPU *c, TranslationBlock *tb)
{
    TBJumpSlot slot;
    bool one_page = tb->page_addr[1] == TB_NO_PAGE;

    tb_jc_slot_set(&slot, tb);
    jc_insert_key(c, &slot, one_page, tb->page_addr[0] & PAGE_MASK_4K);
    if (one_page) {
        X86VictimSlot *v = &c->jc_victim[victim_hash(tb->pc)];
        v->key = slot;
        v->phys_pc = tb->phys_pc;
    }
}

/* A jc_victim hit for the current state: back into the jump caches, no TB header read. */
void x86_jc_refill(X86TCGCPU *c, const X86VictimSlot *v)
{
    jc_insert_key(c, &v->key, true, v->phys_pc & PAGE_MASK_4K);
}

/*
 * Whether tb's guest code touches the virtual page at page (page aligned).
 * Outside long mode linear addresses wrap at 4 GiB: compare 32-bit pages.
 */
static bool tb_on_vpage(const TranslationBlock *tb, uint64_t page, uint64_t mask)
{
    uint64_t first = tb->pc & mask;
    uint64_t last = (tb->pc + (tb->size ? tb->size - 1 : 0)) & mask;
    return first == (page & mask) || last == (page & mask);
}

static uint64_t vpage_mask(const CPUX86State *env)
{
    return PAGE_MASK_4K & ((env->efer & EFER_LMA) ? ~0ull : 0xffffffffull);
}

/*
 * INVLPG: take out of a set's jump cache only the blocks with code on that
 * page (to jc_victim, which checks the physical PC before it answers), so a
 * process's other hot blocks stay in its jump cache.  An overflowed list
 * means any slot may be in use: clear everything then.
 */
static void jc_clear_page(X86TCGCPU *c, X86TLBSet *set, uint64_t page)
{
    uint32_t kept = 0;
    uint64_t mask = vpage_mask(c->env);

    if (set->jc_overflow) {
        jc_clear_listed(c, set);
        return;
    }
    for (uint32_t k = 0; k < set->jc_nused; k++) {
        uint16_t h = set->jc_used[k];
        void *code = set->jc.entry[h].code;
        uint64_t first = set->jc.entry[h].pc & mask;
        /*
         * A block spans two pages at most: only one that starts on the page before can
         * reach this one, and only then is its size (in the TB header) needed.
         */
        if (code && (first == (page & mask) ||
                     (((first + 4096) & mask) == (page & mask) &&
                      tb_on_vpage(tb_from_code(c->cache, code), page, mask)))) {
            tb_jc_slot_clear(&set->jc.entry[h]);
        } else if (code) {
            set->jc_used[kept++] = h;
        }
    }
    set->jc_nused = kept;
}

/* The same for jc_global, which keeps no list: look at every slot (no TB header). */
static void jc_global_clear_page(X86TCGCPU *c, uint64_t page)
{
    uint64_t mask = vpage_mask(c->env);
    uint32_t bit = jc_global_page_bit(page);

    if (!(c->jc_global_pages[bit / 64] & (1ull << (bit % 64)))) {
        return; /* no block on this page went into jc_global since it was last cleared */
    }
    /* jc_global holds one-page blocks only (jc_insert_key): the slot's PC names the page. */
    for (uint32_t h = 0; h < TB_JC_SIZE; h++) {
        TBJumpSlot *slot = &c->jc_global.entry[h];
        if (slot->code && (slot->pc & mask) == (page & mask)) {
            tb_jc_slot_clear(slot);
        }
    }
}

/* INVLPG: the page goes from every PCID's TLB (more than the SDM requires; allowed). */
void x86_tlb_flush_page(CPUX86State *env, uint64_t vaddr)
{
    X86TCGCPU *c = tcg_cpu(env);
    unsigned idx = (vaddr >> 12) & (X86_TLB_SIZE - 1);

    if (!c) {
        return;
    }
    /* A large page's entries are one per 4 KiB of it: only a full flush finds them all. */
    if (c->tlb_has_large && (vaddr & c->large_mask) == c->large_addr) {
        x86_tlb_flush(env, true);
        return;
    }
    c->stats.tlb_page_flushes++;
    for (unsigned k = 0; k < X86_TLB_SETS; k++) {
        X86TLBSet *set = &c->tlb_sets[k];
        if (set->pcid < 0 && set != c->cur) {
            continue;
        }
        for (int m = 0; m < X86_NB_MMU_MODES; m++) {
            tlb_entry_clear(&set->tlb[m][idx]);
            set->global[m][idx] = 0;
        }
        jc_clear_page(c, set, vaddr & PAGE_MASK_4K);
    }
    jc_global_clear_page(c, vaddr & PAGE_MASK_4K);
}

void x86_tlb_init(X86TCGCPU *c)
{
    c->tlb_sets = xzalloc(X86_TLB_SETS * sizeof(*c->tlb_sets));
    c->tlb_fast.page_bits = 12;
    for (unsigned k = 0; k < X86_TLB_SETS; k++) {
        X86TLBSet *set = &c->tlb_sets[k];
        for (int m = 0; m < X86_NB_MMU_MODES; m++) {
            /* Nothing is listed yet: clear every entry once, flushes then go by the lists. */
            for (unsigned i = 0; i < X86_TLB_SIZE; i++) {
                tlb_entry_clear(&set->tlb[m][i]);
            }
        }
        set->pcid = -1;
        tb_jc_register(c->cache, &set->jc);
    }
    for (int m = 0; m < X86_NB_MMU_MODES; m++) {
        tlb_fast_set_mask(&c->tlb_fast, m, X86_TLB_SIZE - 1);
    }
    /* Indexes the frontend never uses: no NULL table (guest-mem.h), so no private copy. */
    for (int m = X86_NB_MMU_MODES; m < IR_MAX_MMU_IDX; m++) {
        c->tlb_fast.table[m] = x86_tlb_never;
        tlb_fast_set_mask(&c->tlb_fast, m, 0);
    }
    tlb_set_activate(c, &c->tlb_sets[0]);
    x86_tlb_flush(c->env, true);
}

void x86_tlb_free(X86TCGCPU *c)
{
    for (unsigned k = 0; k < X86_TLB_SETS; k++) {
        tb_jc_unregister(c->cache, &c->tlb_sets[k].jc);
    }
    free(c->tlb_sets);
    c->tlb_sets = NULL;
}

/* The vCPUs whose TB caches a write to guest memory can make stale (see X86TCGCPU.peers). */
#define FOR_EACH_PEER(c, p)                                                            \
    for (X86TCGCPU **p##_it = (c)->peers ? (c)->peers : &(c),                            \
                   **p##_end = p##_it + ((c)->peers ? (c)->nr_peers : 1), *p;          \
         p##_it < p##_end && (p = *p##_it, 1); p##_it++)

void x86_tcg_link_cpus(X86TCGCPU **cpus, int n)
{
    for (int i = 0; i < n; i++) {
        cpus[i]->peers = cpus;
        cpus[i]->nr_peers = n;
    }
}

static bool any_peer_has_code(X86TCGCPU *c, uint64_t page_addr)
{
    FOR_EACH_PEER(c, p) {
        if (tb_page_has_code(p->cache, page_addr)) {
            return true;
        }
    }
    return false;
}

/*
 * Set or clear NOTDIRTY on c's TLB entries for one physical page, in every set: a write
 * through another PCID's entry must not skip the self-modifying-code check either.
 */
static void tlb_mark_code_page(X86TCGCPU *c, uint64_t page_addr, bool has_code)
{
    for (unsigned s = 0; s < X86_TLB_SETS; s++) {
        X86TLBSet *set = &c->tlb_sets[s];
        for (int m = 0; m < X86_NB_MMU_MODES; m++) {
            for (uint32_t k = 0; k < set->nused[m]; k++) { /* unlisted entries are clear */
                unsigned i = set->used[m][k];
                TLBFastEntry *e = &set->tlb[m][i];
                if (e->addr_write == X86_TLB_INVALID || set->paddr[m][i] != page_addr) {
                    continue;
                }
                if (has_code) {
                    e->addr_write |= X86_TLB_NOTDIRTY;
                } else {
                    e->addr_write &= ~(uint64_t)X86_TLB_NOTDIRTY;
                }
            }
        }
    }
}

/* TB cache hooks: a physical page gained / lost translated code in opaque's cache. */
void x86_tlb_page_has_code(void *opaque, uint64_t page_addr)
{
    X86TCGCPU *c = opaque;

    FOR_EACH_PEER(c, p) {
        tlb_mark_code_page(p, page_addr, true);
    }
}

void x86_tlb_page_no_code(void *opaque, uint64_t page_addr)
{
    X86TCGCPU *c = opaque;

    if (any_peer_has_code(c, page_addr)) {
        return;
    }
    FOR_EACH_PEER(c, p) {
        tlb_mark_code_page(p, page_addr, false);
    }
}

void x86_tcg_invalidate_phys(X86TCGCPU *c, uint64_t addr, uint64_t len)
{
    uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;

    if (!len) {
        return;
    }
    for (uint64_t page = addr & PAGE_MASK_4K; page < end; page += 4096) {
        FOR_EACH_PEER(c, p) {
            if (tb_page_has_code(p->cache, page)) {
                tb_invalidate_phys_range(p->cache, MAX(addr, page), MIN(end, page + 4096),
                                         NULL, NULL);
            }
        }
        if (page + 4096 < page) {
            break;
        }
    }
}

/* Translate for one access, raising #PF on failure. */
static uint64_t translate_or_fault(CPUX86State *env, uint64_t vaddr, int access, int mmu_idx,
                                   int *prot, uint64_t *page_size)
{
    uint64_t paddr;
    uint32_t err = 0;

    if (mmu_idx == MMU_PHYS_IDX) {
        *prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
        *page_size = 4096;
        return vaddr & env->a20_mask;
    }
    if (!x86_mmu_translate(env, vaddr, access, mmu_idx, &paddr, prot, page_size, &err)) {
        x86_raise_page_fault(env, vaddr, err);
    }
    return paddr;
}

/* Enter a translation of vaddr's page (from the page walker) in the TLB. */
static TLBFastEntry *tlb_set_entry(X86TCGCPU *c, uint64_t vaddr, int mmu_idx, uint64_t paddr,
                                   int prot, uint64_t psize)
{
    unsigned idx = (vaddr >> 12) & (X86_TLB_SIZE - 1);
    TLBFastEntry *e = &c->cur->tlb[mmu_idx][idx];
    uint64_t page = vaddr & PAGE_MASK_4K;
    uint64_t ppage = paddr & PAGE_MASK_4K;
    const FlatRange *fr = address_space_lookup(c->as_mem, ppage);
    uint64_t flags_rw = 0, flags_w = 0;

    c->stats.tlb_fills++;
    if (psize > 4096) {
        /* Grow the region to the smallest aligned one that holds this page too. */
        uint64_t mask = ~(psize - 1);
        if (c->tlb_has_large) {
            mask &= c->large_mask;
            while ((c->large_addr ^ vaddr) & mask) {
                mask <<= 1;
            }
        }
        c->large_addr = vaddr & mask;
        c->large_mask = mask;
        c->tlb_has_large = true;
    }
    if (fr && (fr->mr->kind == MR_RAM || fr->mr->kind == MR_ROM) && fr->start <= ppage &&
        ppage + 4095 <= fr->start + (fr->size - 1)) {
        uint8_t *host = fr->mr->ram + fr->offset_in_region + (ppage - fr->start);
        e->addend = (uintptr_t)host - (uintptr_t)page;
        if (fr->mr->kind == MR_ROM || fr->mr->readonly || fr->mr->dirty_bitmap) {
            flags_w = X86_TLB_MMIO;
        } else if (any_peer_has_code(c, ppage)) {
            flags_w = X86_TLB_NOTDIRTY;
        }
    } else {
        e->addend = 0;
        flags_rw = X86_TLB_MMIO;
    }
    if (!c->cur->listed[mmu_idx][idx]) {
        c->cur->listed[mmu_idx][idx] = 1;
        c->cur->used[mmu_idx][c->cur->nused[mmu_idx]++] = (uint16_t)idx;
    }
    c->cur->paddr[mmu_idx][idx] = ppage;
    c->cur->global[mmu_idx][idx] = (prot & PAGE_GLOBAL) != 0;
    e->addr_read = (prot & PAGE_READ) ? page | flags_rw : X86_TLB_INVALID;
    e->addr_write = (prot & PAGE_WRITE) ? page | flags_rw | flags_w : X86_TLB_INVALID;
    e->addr_code = (prot & PAGE_EXEC) ? page | flags_rw : X86_TLB_INVALID;
    return e;
}

/* Fill the TLB entry for vaddr's page for one access (or raise #PF); returns the entry. */
static TLBFastEntry *tlb_fill(X86TCGCPU *c, uint64_t vaddr, int access, int mmu_idx)
{
    uint64_t psize = 4096;
    int prot = 0;
    uint64_t paddr = translate_or_fault(c->env, vaddr, access, mmu_idx, &prot, &psize);

    return tlb_set_entry(c, vaddr, mmu_idx, paddr, prot, psize);
}

/* The entry for an access within one page, filled if needed. */
static TLBFastEntry *tlb_entry_for(X86TCGCPU *c, uint64_t vaddr, int access, int mmu_idx,
                                   uint64_t **tagp)
{
    unsigned idx = (vaddr >> 12) & (X86_TLB_SIZE - 1);
    TLBFastEntry *e = &c->cur->tlb[mmu_idx][idx];
    uint64_t page = vaddr & PAGE_MASK_4K;
    uint64_t *tag = access == 1 ? &e->addr_write : access == 2 ? &e->addr_code : &e->addr_read;

    if (!tag_matches(*tag, page)) {
        e = tlb_fill(c, vaddr, access, mmu_idx);
    }
    *tagp = tag;
    return e;
}

static uint64_t ld_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void st_le(uint8_t *p, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* One access inside a single page. */
static uint64_t access_page_ld(X86TCGCPU *c, uint64_t vaddr, unsigned size, int mmu_idx,
                               int access)
{
    uint64_t *tag;
    TLBFastEntry *e = tlb_entry_for(c, vaddr, access, mmu_idx, &tag);
    unsigned idx = (vaddr >> 12) & (X86_TLB_SIZE - 1);

    if (*tag & X86_TLB_MMIO) {
        uint64_t v = 0;
        c->stats.mmio_accesses++;
        address_space_ld(c->as_mem, c->cur->paddr[mmu_idx][idx] | (vaddr & 0xfff), size, &v);
        return v;
    }
    return ld_le((const uint8_t *)(uintptr_t)(vaddr + e->addend), size);
}

/*
 * A write to a page with translated code: invalidate what it overwrites.  If
 * that includes the block running now, the rest of that block is stale:
 * unwind without writing, and the exec loop re-runs this one instruction
 * alone (X86_CF_SMC), during which the hit on its own block is ignored.
 */
static void notdirty_write(X86TCGCPU *c, uint64_t paddr, unsigned size)
{
    bool hit = false;
    const TranslationBlock *cur = c->smc_running ? NULL : c->ctx.cur_tb;

    FOR_EACH_PEER(c, p) {
        tb_invalidate_phys_range(p->cache, paddr, paddr + size, p == c ? cur : NULL,
                                 p == c ? &hit : NULL);
    }
    if (hit) {
        c->smc_single = true;
        c->env->exception_index = -1;
        siglongjmp(*c->env->jmp_env, 1);
    }
}

static void access_page_st(X86TCGCPU *c, uint64_t vaddr, unsigned size, uint64_t val,
                           int mmu_idx)
{
    uint64_t *tag;
    TLBFastEntry *e = tlb_entry_for(c, vaddr, 1, mmu_idx, &tag);
    unsigned idx = (vaddr >> 12) & (X86_TLB_SIZE - 1);
    uint64_t paddr = c->cur->paddr[mmu_idx][idx] | (vaddr & 0xfff);

    if (*tag & X86_TLB_MMIO) {
        c->stats.mmio_accesses++;
        address_space_st(c->as_mem, paddr, size, val);
        return;
    }
    if (*tag & X86_TLB_NOTDIRTY) {
        c->stats.smc_writes++;
        notdirty_write(c, paddr, size);
        /* The page may have lost its last TB: re-read the entry's flags. */
        e = &c->cur->tlb[mmu_idx][idx];
    }
    st_le((uint8_t *)(uintptr_t)(vaddr + e->addend), size, val);
}

/* Make sure a write to vaddr's page will not fault (for split stores). */
static void probe_write(X86TCGCPU *c, uint64_t vaddr, int mmu_idx)
{
    uint64_t *tag;

    tlb_entry_for(c, vaddr, 1, mmu_idx, &tag);
}

static uint64_t mem_load(X86TCGCPU *c, uint64_t addr, unsigned size, int mmu_idx, int access)
{
    unsigned first;
    uint64_t lo, hi;

    if (likely((addr & 0xfff) + size <= 4096)) {
        return access_page_ld(c, addr, size, mmu_idx, access);
    }
    /* Crossing a page: both pages are checked before anything is returned. */
    first = 4096 - (unsigned)(addr & 0xfff);
    lo = 0;
    for (unsigned i = 0; i < first; i++) {
        lo |= access_page_ld(c, addr + i, 1, mmu_idx, access) << (8 * i);
    }
    hi = 0;
    for (unsigned i = first; i < size; i++) {
        hi |= access_page_ld(c, addr + i, 1, mmu_idx, access) << (8 * (i - first));
    }
    return lo | (hi << (8 * first));
}

static void mem_store(X86TCGCPU *c, uint64_t addr, unsigned size, uint64_t val, int mmu_idx)
{
    if (likely((addr & 0xfff) + size <= 4096)) {
        access_page_st(c, addr, size, val, mmu_idx);
        return;
    }
    /* Both pages must be writable before the first byte changes. */
    probe_write(c, addr, mmu_idx);
    probe_write(c, addr + size - 1, mmu_idx);
    for (unsigned i = 0; i < size; i++) {
        access_page_st(c, addr + i, 1, val >> (8 * i), mmu_idx);
    }
}

static void check_align(CPUX86State *env, uint64_t addr, unsigned memop, unsigned mmu_idx)
{
    if ((memop & IR_MO_ALIGN_16) && (addr & 15)) {
        /* MOVDQA/MOVAPS and other aligned 16-byte SSE accesses: #GP(0), never #AC. */
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
    if ((memop & IR_MO_ALIGN) && (addr & (IR_MO_BYTES(memop) - 1))) {
        /*
         * The translator asks for alignment when CR0.AM, EFLAGS.AC and CPL 3 hold
         * (SDM vol. 3A 6.15, interrupt 17): #AC(0), for user-mode data accesses only.
         */
        if (mmu_idx == MMU_USER_IDX && (env->cr[0] & CR0_AM) && (env->eflags & X86_EFL_AC) &&
            x86_cpl(env) == 3) {
            x86_raise_exception_err(env, EXCP_AC, 0);
        }
        x86_raise_exception_err(env, EXCP_GP, 0);
    }
}

/*
 * The segment-limit check of an access through a flat segment (X86_MO_FLAT_*): it fails
 * only when the access wraps past 4 GiB.  Limit faults come before alignment checks.
 */
static void check_flat_seg_wrap(CPUX86State *env, uint64_t addr, unsigned memop)
{
    if ((memop & X86_MO_FLAT_GP) && addr + IR_MO_BYTES(memop) - 1 > 0xffffffffu) {
        x86_raise_exception_err(env, (memop & X86_MO_FLAT_SS) == X86_MO_FLAT_SS ? EXCP_SS :
                                     EXCP_GP, 0);
    }
}

static uint64_t hook_load(void *opaque, uint64_t addr, unsigned memop, unsigned mmu_idx)
{
    CPUX86State *env = opaque;

    tcg_cpu(env)->stats.tlb_slow_loads++;
    check_flat_seg_wrap(env, addr, memop);
    check_align(env, addr, memop, mmu_idx);
    return mem_load(tcg_cpu(env), addr, IR_MO_BYTES(memop), (int)mmu_idx, 0);
}

static void hook_store(void *opaque, uint64_t addr, uint64_t val, unsigned memop,
                       unsigned mmu_idx)
{
    CPUX86State *env = opaque;

    tcg_cpu(env)->stats.tlb_slow_stores++;
    check_flat_seg_wrap(env, addr, memop);
    check_align(env, addr, memop, mmu_idx);
    mem_store(tcg_cpu(env), addr, IR_MO_BYTES(memop), val, (int)mmu_idx);
}

const GuestMemOps x86_guest_mem_ops = {
    .load = hook_load,
    .store = hook_store,
};

/* ---- guest memory for C helpers ---- */

uint64_t cpu_ld_mmu(CPUX86State *env, uint64_t vaddr, unsigned size, int mmu_idx)
{
    X86TCGCPU *c = tcg_cpu(env);

    if (size != 1 && size != 2 && size != 4 && size != 8) {
        return 0;
    }
    if (!c) {
        /* No TCG CPU (KVM register access paths): walk and read physical memory. */
        int prot;
        uint64_t ps, v = 0;
        for (unsigned i = 0; i < size; i++) {
            uint64_t pa = translate_or_fault(env, vaddr + i, 0, mmu_idx, &prot, &ps);
            v |= x86_phys_ld(env, pa, 1) << (8 * i);
        }
        return v;
    }
    return mem_load(c, vaddr, size, mmu_idx, 0);
}

void cpu_st_mmu(CPUX86State *env, uint64_t vaddr, unsigned size, uint64_t val, int mmu_idx)
{
    X86TCGCPU *c = tcg_cpu(env);

    if (size != 1 && size != 2 && size != 4 && size != 8) {
        return;
    }
    if (!c) {
        int prot;
        uint64_t ps, pa[8];
        for (unsigned i = 0; i < size; i++) {
            pa[i] = translate_or_fault(env, vaddr + i, 1, mmu_idx, &prot, &ps);
        }
        for (unsigned i = 0; i < size; i++) {
            x86_phys_st(env, pa[i], 1, val >> (8 * i));
        }
        return;
    }
    mem_store(c, vaddr, size, val, mmu_idx);
}

/* ---- code fetch for the translator ---- */

bool x86_translate_code_addr(CPUX86State *env, uint64_t linear, uint64_t *paddr,
                             uint32_t *pf_error)
{
    X86TCGCPU *c = tcg_cpu(env);
    int prot = 0;
    uint64_t ps = 4096;
    int mmu_idx = x86_mmu_index(env);
    bool ok;

    *pf_error = 0;
    /*
     * Every jump-cache miss (exec loop and lookup_and_goto_ptr) lands here: answer from
     * the TLB's code tag like a hardware TLB would, and walk only on a miss, which then
     * fills the entry (never faulting here: the caller decides what a failure means).
     */
    if (c && mmu_idx >= 0 && mmu_idx < X86_NB_MMU_MODES) {
        unsigned idx = (linear >> 12) & (X86_TLB_SIZE - 1);
        if (tag_matches(c->cur->tlb[mmu_idx][idx].addr_code, linear & PAGE_MASK_4K)) {
            *paddr = c->cur->paddr[mmu_idx][idx] | (linear & 0xfff);
            return true;
        }
    }
    ok = x86_mmu_translate(env, linear, 2, mmu_idx, paddr, &prot, &ps, pf_error);
    if (ok && c && mmu_idx >= 0 && mmu_idx < X86_NB_MMU_MODES) {
        c->stats.code_walks++;
        tlb_set_entry(c, linear, mmu_idx, *paddr, prot, ps);
    }
    return ok;
}

int x86_fetch_code_byte(CPUX86State *env, uint64_t linear, uint8_t *byte, uint32_t *pf_error)
{
    uint64_t pa, v = 0xff;

    if (!x86_translate_code_addr(env, linear, &pa, pf_error)) {
        return -1;
    }
    if (env->machine) {
        address_space_ld(&env->machine->as_memory, pa, 1, &v);
    } else if (tcg_cpu(env)) {
        address_space_ld(tcg_cpu(env)->as_mem, pa, 1, &v);
    }
    *byte = (uint8_t)v;
    return 0;
}

/* ---- port I/O ---- */

uint64_t x86_io_read(CPUX86State *env, uint16_t port, unsigned size)
{
    X86TCGCPU *c = tcg_cpu(env);
    AddressSpace *as = c ? c->as_io : env->machine ? &env->machine->as_io : NULL;
    uint64_t v = ~0ull;

    if (as) {
        address_space_ld(as, port, size, &v);
    }
    log_mask(LOG_IOPORT, "in%c %#x -> %#" PRIx64 "\n", size == 1 ? 'b' : size == 2 ? 'w' : 'l',
             port, v);
    return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}

void x86_io_write(CPUX86State *env, uint16_t port, unsigned size, uint64_t val)
{
    X86TCGCPU *c = tcg_cpu(env);
    AddressSpace *as = c ? c->as_io : env->machine ? &env->machine->as_io : NULL;

    log_mask(LOG_IOPORT, "out%c %#x <- %#" PRIx64 "\n",
             size == 1 ? 'b' : size == 2 ? 'w' : 'l', port, val);
    if (as) {
        address_space_st(as, port, size, val);
    }
}
