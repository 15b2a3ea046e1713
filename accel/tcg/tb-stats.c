/*
 * DBT profiling: per-block and per-helper execution counters injected as IR, the
 * -d tb_stats report, and the -perfmap file.  See tb-stats.h.
 */
#include "accel/tcg/tb-stats.h"

#include <elf.h>
#include <inttypes.h>
#include <unistd.h>

#include "core/log.h"

TBProfiler *tb_prof_new(void)
{
    TBProfiler *p = XNEW(TBProfiler);

    p->hmask = 1023;
    p->htable = xcalloc(p->hmask + 1, sizeof(*p->htable));
    return p;
}

void tb_prof_free(TBProfiler *p)
{
    if (!p) {
        return;
    }
    for (uint32_t i = 0; i <= p->hmask; i++) {
        TBProfile *e = p->htable[i];
        while (e) {
            TBProfile *next = e->next;
            free(e);
            e = next;
        }
    }
    for (unsigned i = 0; i < TB_PROF_HELPER_BUCKETS; i++) {
        TBHelperProfile *h = p->helpers[i];
        while (h) {
            TBHelperProfile *next = h->next;
            free(h);
            h = next;
        }
    }
    free(p->htable);
    free(p);
}

static uint32_t key_hash(const TBKey *k)
{
    uint64_t h = k->phys_pc * 0x9e3779b97f4a7c15ull;
    h ^= (k->pc + (h >> 7)) * 0xc2b2ae3d27d4eb4full;
    h ^= ((uint64_t)k->flags << 32 | k->cflags) * 0x165667b19e3779f9ull;
    h ^= k->cs_base * 0x27d4eb2f165667c5ull;
    return (uint32_t)(h ^ (h >> 31));
}

static void prof_grow(TBProfiler *p)
{
    uint32_t nmask = p->hmask * 2 + 1;
    TBProfile **nt = xcalloc(nmask + 1, sizeof(*nt));

    for (uint32_t i = 0; i <= p->hmask; i++) {
        TBProfile *e = p->htable[i];
        while (e) {
            TBProfile *next = e->next;
            TBKey k = {e->pc, e->cs_base, e->phys_pc, e->flags, e->cflags};
            uint32_t b = key_hash(&k) & nmask;
            e->next = nt[b];
            nt[b] = e;
            e = next;
        }
    }
    free(p->htable);
    p->htable = nt;
    p->hmask = nmask;
}

static TBProfile *prof_find_or_add(TBProfiler *p, const TBKey *k)
{
    uint32_t b = key_hash(k) & p->hmask;
    TBProfile *e;

    for (e = p->htable[b]; e; e = e->next) {
        if (e->pc == k->pc && e->phys_pc == k->phys_pc && e->cs_base == k->cs_base &&
            e->flags == k->flags && e->cflags == k->cflags) {
            return e;
        }
    }
    if (p->count > p->hmask) {
        prof_grow(p);
        b = key_hash(k) & p->hmask;
    }
    e = XNEW(TBProfile);
    e->pc = k->pc;
    e->cs_base = k->cs_base;
    e->phys_pc = k->phys_pc;
    e->flags = k->flags;
    e->cflags = k->cflags;
    e->next = p->htable[b];
    p->htable[b] = e;
    p->count++;
    return e;
}

static TBHelperProfile *helper_find_or_add(TBProfiler *p, IRHelper fn)
{
    uint64_t h = (uint64_t)(uintptr_t)fn * 0x9e3779b97f4a7c15ull;
    unsigned b = (unsigned)(h >> 56) % TB_PROF_HELPER_BUCKETS;
    TBHelperProfile *e;

    for (e = p->helpers[b]; e; e = e->next) {
        if (e->fn == fn) {
            return e;
        }
    }
    e = XNEW(TBHelperProfile);
    e->fn = fn;
    e->next = p->helpers[b];
    p->helpers[b] = e;
    p->nb_helpers++;
    return e;
}

static void set_op(IROp *op, IROpcode opc, uint64_t a0, uint64_t a1, uint64_t a2)
{
    const IROpDef *def = &ir_op_defs[opc];

    op->opc = opc;
    op->type = IR_I64;
    op->nb_oargs = def->nb_oargs;
    op->nb_iargs = def->nb_iargs;
    op->nb_cargs = def->nb_cargs;
    op->args[0] = a0;
    op->args[1] = a1;
    op->args[2] = a2;
}

/* Insert "*counter += 1" before op index pos, using scratch temp t; returns ops added. */
static uint32_t insert_increment(IRFunc *f, uint32_t pos, uint64_t *counter, IRv64 t)
{
    IRvPtr base = ir_const_ptr(f, (uintptr_t)counter);
    IRv64 one = ir_const_i64(f, 1);

    set_op(ir_insert_op(f, pos), IR_OP_LD, t.idx, base.idx, 0);
    set_op(ir_insert_op(f, pos + 1), IR_OP_ADD, t.idx, t.idx, one.idx);
    set_op(ir_insert_op(f, pos + 2), IR_OP_ST, t.idx, base.idx, 0);
    return 3;
}

/* A temp nobody else uses: the free lists may hand out one that is live elsewhere. */
static IRv64 fresh_temp_i64(IRFunc *f)
{
    uint32_t saved = f->free_temps[IR_I64][0];
    IRv64 t;

    f->free_temps[IR_I64][0] = IR_NO_TEMP_IDX;
    t = ir_temp_i64(f);
    f->free_temps[IR_I64][0] = saved;
    return t;
}

TBProfile *tb_prof_instrument(TBProfiler *p, IRFunc *f, const TBKey *key)
{
    TBProfile *prof = prof_find_or_add(p, key);
    IRv64 t = fresh_temp_i64(f);
    uint32_t nb_ops = 0, nb_mem = 0;
    bool entry_done = false;

    for (uint32_t i = 0; i < f->nb_ops; i++) {
        const IROp *op = &f->ops[i];
        if (op->opc == IR_OP_NOP) {
            continue;
        }
        nb_ops++;
        if (op->opc == IR_OP_QEMU_LD || op->opc == IR_OP_QEMU_ST) {
            nb_mem++;
        }
    }
    prof->translations++;
    prof->icount = f->nb_insns;
    prof->nb_ops = nb_ops;
    prof->nb_mem = nb_mem;

    for (uint32_t i = 0; i < f->nb_ops; i++) {
        IROp *op = &f->ops[i];
        if (op->opc == IR_OP_INSN_START && !entry_done) {
            /* Count the entry right after the first instruction's marker. */
            i += insert_increment(f, i + 1, &prof->execs, t);
            entry_done = true;
        } else if (op->opc == IR_OP_CALL) {
            TBHelperProfile *h = helper_find_or_add(p, (IRHelper)(uintptr_t)op->args[op->nb_oargs +
                                                                              op->nb_iargs]);
            i += insert_increment(f, i, &h->calls, t);
            i += insert_increment(f, i, &prof->helper_calls, t);
        }
    }
    if (!entry_done) {
        insert_increment(f, 0, &prof->execs, t);
    }
    return prof;
}

TBProfTotals tb_prof_totals(const TBProfiler *p)
{
    TBProfTotals t = {0};

    for (uint32_t i = 0; i <= p->hmask; i++) {
        for (const TBProfile *e = p->htable[i]; e; e = e->next) {
            t.execs += e->execs;
            t.insns += e->execs * e->icount;
            t.mem_ops += e->execs * e->nb_mem;
            t.helper_calls += e->helper_calls;
        }
    }
    return t;
}

/*
 * Helper names for the report.  Few helpers are registered with ir_helper_name_register(),
 * so read the function symbols of our own executable (once, at dump time).  A stripped
 * binary or an unreadable one leaves the addresses.
 */
typedef struct SymTab {
    uint8_t *image;
    size_t size;
    const Elf64_Sym *syms;
    size_t nb_syms;
    const char *strs;
    size_t strs_size;
    intptr_t bias; /* run-time address - symbol value */
} SymTab;

static const Elf64_Sym *symtab_lookup_name(const SymTab *st, const char *name)
{
    for (size_t i = 0; i < st->nb_syms; i++) {
        if (st->syms[i].st_name < st->strs_size &&
            !strcmp(st->strs + st->syms[i].st_name, name)) {
            return &st->syms[i];
        }
    }
    return NULL;
}

static bool symtab_load(SymTab *st)
{
    FILE *f = fopen("/proc/self/exe", "rb");
    const Elf64_Ehdr *eh;
    const Elf64_Shdr *sh;
    const Elf64_Sym *self;
    long len;

    memset(st, 0, sizeof(*st));
    if (!f) {
        return false;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < (long)sizeof(Elf64_Ehdr) ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return false;
    }
    st->size = (size_t)len;
    st->image = xmalloc(st->size);
    if (fread(st->image, 1, st->size, f) != st->size) {
        fclose(f);
        return false;
    }
    fclose(f);
    eh = (const Elf64_Ehdr *)st->image;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > st->size ||
        eh->e_shnum > (st->size - eh->e_shoff) / sizeof(Elf64_Shdr)) {
        return false;
    }
    sh = (const Elf64_Shdr *)(st->image + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        const Elf64_Shdr *strh;
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) {
            continue;
        }
        strh = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > st->size || sh[i].sh_size > st->size - sh[i].sh_offset ||
            strh->sh_offset > st->size || strh->sh_size > st->size - strh->sh_offset) {
            return false;
        }
        st->syms = (const Elf64_Sym *)(st->image + sh[i].sh_offset);
        st->nb_syms = sh[i].sh_size / sizeof(Elf64_Sym);
        st->strs = (const char *)(st->image + strh->sh_offset);
        st->strs_size = strh->sh_size;
        break;
    }
    self = st->syms ? symtab_lookup_name(st, "tb_prof_dump") : NULL;
    if (!self) {
        return false;
    }
    st->bias = (intptr_t)(uintptr_t)tb_prof_dump - (intptr_t)self->st_value;
    return true;
}

static const char *symtab_name(const SymTab *st, uintptr_t addr)
{
    for (size_t i = 0; i < st->nb_syms; i++) {
        const Elf64_Sym *s = &st->syms[i];
        if (ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_name < st->strs_size &&
            (uintptr_t)((intptr_t)s->st_value + st->bias) == addr) {
            return st->strs + s->st_name;
        }
    }
    return NULL;
}

static int cmp_prof_execs(const void *a, const void *b)
{
    const TBProfile *x = *(const TBProfile *const *)a, *y = *(const TBProfile *const *)b;
    uint64_t wx = x->execs * (x->icount ? x->icount : 1);
    uint64_t wy = y->execs * (y->icount ? y->icount : 1);

    return wx < wy ? 1 : wx > wy ? -1 : (x->pc > y->pc) - (x->pc < y->pc);
}

static int cmp_helper_calls(const void *a, const void *b)
{
    const TBHelperProfile *x = *(const TBHelperProfile *const *)a;
    const TBHelperProfile *y = *(const TBHelperProfile *const *)b;

    return x->calls < y->calls ? 1 : x->calls > y->calls ? -1 : 0;
}

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void tb_prof_dump(const TBProfiler *p, unsigned top, FILE *out)
{
    TBProfTotals tot = tb_prof_totals(p);
    TBProfile **all = xcalloc(p->count ? p->count : 1, sizeof(*all));
    TBHelperProfile **hs = xcalloc(p->nb_helpers ? p->nb_helpers : 1, sizeof(*hs));
    uint32_t n = 0, nh = 0;
    SymTab st;
    bool have_syms;

    for (uint32_t i = 0; i <= p->hmask; i++) {
        for (TBProfile *e = p->htable[i]; e; e = e->next) {
            all[n++] = e;
        }
    }
    qsort(all, n, sizeof(*all), cmp_prof_execs);
    fprintf(out, "tb_stats: %" PRIu32 " distinct blocks, %" PRIu64 " block entries, %" PRIu64
            " guest insns (block-sized estimate), %" PRIu64 " helper calls\n", n, tot.execs,
            tot.insns, tot.helper_calls);
    fprintf(out, "tb_stats: hottest blocks by guest instructions executed:\n");
    fprintf(out, "  %4s %18s %12s %14s %6s %5s %5s %4s %6s %6s %5s\n", "rank", "guest pc",
            "phys", "entries", "insns", "ops", "mem", "xl", "code", "%insn", "calls");
    for (uint32_t i = 0; i < n && i < top; i++) {
        const TBProfile *e = all[i];
        fprintf(out, "  %4u 0x%016" PRIx64 " 0x%010" PRIx64 " %14" PRIu64 " %6u %5u %5u %4u %6u"
                " %5.1f%% %5.2f\n", i + 1, e->pc, e->phys_pc, e->execs, e->icount, e->nb_ops,
                e->nb_mem, e->translations, e->code_size,
                percent(e->execs * e->icount, tot.insns),
                e->execs ? (double)e->helper_calls / (double)e->execs : 0.0);
    }
    for (unsigned b = 0; b < TB_PROF_HELPER_BUCKETS; b++) {
        for (TBHelperProfile *h = p->helpers[b]; h; h = h->next) {
            hs[nh++] = h;
        }
    }
    qsort(hs, nh, sizeof(*hs), cmp_helper_calls);
    fprintf(out, "tb_stats: helper calls executed (%u helpers):\n", nh);
    have_syms = symtab_load(&st);
    for (uint32_t i = 0; i < nh; i++) {
        const char *name = ir_helper_name(hs[i]->fn);
        if (!name && have_syms) {
            name = symtab_name(&st, (uintptr_t)hs[i]->fn);
        }
        if (!hs[i]->calls) {
            continue;
        }
        if (name) {
            fprintf(out, "  %-32s %14" PRIu64 " %5.1f%%\n", name, hs[i]->calls,
                    percent(hs[i]->calls, tot.helper_calls));
        } else {
            fprintf(out, "  %-32p %14" PRIu64 " %5.1f%%\n", (void *)(uintptr_t)hs[i]->fn,
                    hs[i]->calls, percent(hs[i]->calls, tot.helper_calls));
        }
    }
    free(st.image);
    free(all);
    free(hs);
}

/* ---- -perfmap ---- */

static FILE *perfmap_file;
static bool perfmap_failed;

void tb_perfmap_add(const TranslationBlock *tb)
{
    if (!osprey_perfmap || perfmap_failed) {
        return;
    }
    if (!perfmap_file) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
        perfmap_file = fopen(path, "w");
        if (!perfmap_file) {
            error_report("-perfmap: cannot create %s", path);
            perfmap_failed = true;
            return;
        }
    }
    fprintf(perfmap_file, "%" PRIxPTR " %" PRIx32 " osprey:guest-0x%" PRIx64 "\n",
            (uintptr_t)tb->code, tb->code_size, tb->pc);
}

void tb_perfmap_flush(void)
{
    if (perfmap_file) {
        fflush(perfmap_file);
    }
}
