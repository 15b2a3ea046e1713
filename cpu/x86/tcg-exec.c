/*
 * The DBT execution loop for the x86 CPU: interrupts at block boundaries,
 * block lookup and translation, chaining, exact exception state restore and
 * delivery, HLT, self-modifying code restarts, and budgets so that the main
 * loop (devices, timers) runs regularly.  See accel/tcg/README.md.
 */
#include "cpu/x86/tcg-exec.h"

#include <inttypes.h>

#include "accel/tcg/tb-stats.h"
#include "core/log.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/seg.h"
#include "cpu/x86/translate.h"

#define X86_TB_MAX_INSNS 512
/* Chained block entries per x86_exec call before the loop looks around. */
#define X86_CHAIN_BUDGET 4096

static void tlb_flush_all(X86TCGCPU *c)
{
    x86_tlb_flush(c->env, true);
}

static void hook_flushed(void *opaque)
{
    X86TCGCPU *c = opaque;

    /* The arena is reused: every TB pointer from before is stale. */
    x86_jc_victim_clear(c);
    tlb_flush_all(c);
}

static void map_changed(MemoryListener *l, AddressSpace *as)
{
    X86TCGCPU *c = container_of(l, X86TCGCPU, listener);

    (void)as;
    tlb_flush_all(c);
}

/*
 * A block found by the physical address of its first byte (hash table, jc_victim) may run
 * on into a second page whose mapping changed after it was translated: check that page too.
 * (The jump caches drop a block when either of its pages is flushed.)
 */
static bool tb_second_page_matches(CPUX86State *env, const TranslationBlock *tb)
{
    uint64_t vpage2, phys;
    uint32_t err;

    if (tb->page_addr[1] == TB_NO_PAGE) {
        return true;
    }
    vpage2 = (tb->pc & ~0xfffull) + 4096;
    if (!(env->efer & EFER_LMA)) {
        vpage2 &= 0xffffffffull; /* linear addresses wrap at 4 GiB */
    }
    return x86_translate_code_addr(env, vpage2, &phys, &err) &&
           (phys & ~0xfffull) == tb->page_addr[1];
}

/* lookup_and_goto_ptr from generated code: lookups only, never translation or faults. */
static TranslationBlock *lookup_hook(TBExecCtx *ctx)
{
    X86TCGCPU *c = ctx->opaque;
    CPUX86State *env = c->env;
    uint64_t pc, cs_base, phys;
    uint32_t flags, err;
    const X86VictimSlot *victim;
    TranslationBlock *tb;
    TBKey key;

    x86_get_tb_cpu_state(env, &pc, &cs_base, &flags);
    /* The inline probes missed: most answers come from jc_victim, after a TLB lookup. */
    x86_jc_victim_prefetch(c, pc);
    tb = x86_jc_lookup(c, pc, cs_base, flags, 0);
    if (tb) {
        c->stats.lookup_jc_hits++;
        return tb;
    }
    if (env->interrupt_request || !x86_translate_code_addr(env, pc, &phys, &err)) {
        c->stats.lookup_misses++;
        return NULL;
    }
    /* jc_victim holds only one-page blocks: no second page to check, no header to read. */
    victim = x86_jc_victim_find(c, pc, cs_base, tb_jc_flags_word(flags, 0), phys);
    if (victim) {
        c->stats.lookup_victim_hits++;
        c->stats.lookup_hash_hits++;
        x86_jc_refill(c, victim);
        ctx->lookup_code = victim->key.code;
        return tb_from_code(c->cache, victim->key.code);
    }
    key = (TBKey){.pc = pc, .cs_base = cs_base, .phys_pc = phys, .flags = flags, .cflags = 0};
    tb = tb_lookup(c->cache, &key);
    if (tb && !tb_second_page_matches(env, tb)) {
        tb = NULL; /* the exec loop retranslates it */
    }
    if (tb) {
        c->stats.lookup_hash_hits++;
        x86_jc_insert(c, tb);
    } else {
        c->stats.lookup_misses++;
    }
    return tb;
}

X86TCGCPU *x86_tcg_cpu_new(CPUX86State *env, AddressSpace *as_mem, AddressSpace *as_io,
                           const TBBackend *backend, size_t code_size)
{
    X86TCGCPU *c = calloc(1, sizeof(*c));
    DisasContext scratch;
    TBCacheHooks hooks = {
        .page_has_code = x86_tlb_page_has_code,
        .page_no_code = x86_tlb_page_no_code,
        .flushed = hook_flushed,
        .invalidated = x86_jc_victim_invalidated,
        .opaque = c,
    };

    if (!c) {
        abort();
    }
    c->env = env;
    env->accel_cpu = c;
    c->as_mem = as_mem;
    c->as_io = as_io;
    c->cache = tb_cache_new(backend ? backend : &tb_backend_interp, code_size, 12);
    tb_cache_set_hooks(c->cache, &hooks);
    tb_jc_register(c->cache, &c->jc_global);
    x86_jc_victim_init(c);
    c->irf = ir_func_new(2);
    x86_translate_init_globals(c->irf, &scratch);
    x86_tlb_init(c);
    c->ctx.env = env;
    c->ctx.mem = &x86_guest_mem_ops;
    c->ctx.tlb = &c->tlb_fast;
    c->ctx.lookup_tb = lookup_hook;
    c->ctx.jc_second = &c->jc_global;
    c->ctx.opaque = c;
    c->last_vector = -1;
    if (as_mem) {
        c->listener.map_changed = map_changed;
        address_space_add_listener(as_mem, &c->listener);
    }
    return c;
}

void x86_tcg_cpu_free(X86TCGCPU *c)
{
    if (!c) {
        return;
    }
    if (log_enabled(LOG_TB_STATS | LOG_TB_SUMMARY)) {
        x86_tcg_print_stats(c, log_file());
    }
    if (c->as_mem) {
        address_space_remove_listener(c->as_mem, &c->listener);
    }
    tb_jc_unregister(c->cache, &c->jc_global);
    x86_tlb_free(c);
    tb_cache_free(c->cache);
    x86_jc_victim_free(c);
    ir_func_free(c->irf);
    if (c->env->accel_cpu == c) {
        c->env->accel_cpu = NULL;
    }
    free(c);
}

void x86_tcg_flush(X86TCGCPU *c)
{
    tb_flush(c->cache);
    tlb_flush_all(c);
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

void x86_tcg_print_stats(X86TCGCPU *c, FILE *out)
{
    X86ExecStats st = c->stats;
    const X86ExecStats *s = &st;
    TBCacheStats cs = tb_cache_stats(c->cache);
    uint64_t entries, lookups;

    /* Jump-cache hits of the inline probe in generated code count like the hook's. */
    st.lookup_jc_hits += c->ctx.lookup_inline_hits;
    entries = s->loop_entries + s->linked_entries;
    lookups = s->lookup_jc_hits + s->lookup_hash_hits;
    uint64_t chained = s->linked_entries > lookups ? s->linked_entries - lookups : 0;
    uint64_t misses = s->tlb_slow_loads + s->tlb_slow_stores;
    TBProfTotals pt = {0};
    int cpu = c->env->cpu_index;

    if (c->cache->prof) {
        pt = tb_prof_totals(c->cache->prof);
    }
    if (log_enabled(LOG_TB_STATS)) {
        fprintf(out, "tb_stats: cpu %d\n", cpu);
        if (c->cache->prof) {
            tb_prof_dump(c->cache->prof, 30, out);
        }
        fprintf(out, "tb_stats: translation: %" PRIu64 " blocks, %" PRIu64 " guest insns, %"
                PRIu64 " guest bytes -> %" PRIu64 " code bytes (%.1f per insn); %" PRIu64
                " invalidated, %" PRIu64 " flushes, %zu of %zu arena bytes in use\n",
                cs.translated, cs.guest_insns, cs.guest_bytes, cs.code_bytes,
                ratio(cs.code_bytes, cs.guest_insns), cs.invalidated, cs.flushes, cs.code_used,
                cs.code_size);
        fprintf(out, "tb_stats: block entries: %" PRIu64 " = %" PRIu64 " chained + %" PRIu64
                " by lookup_and_goto_ptr + %" PRIu64 " from the exec loop (%" PRIu64
                " jump cache, %" PRIu64 " hash, %" PRIu64 " translated); %" PRIu64
                " direct jumps patched\n", entries, chained, lookups, s->loop_entries,
                s->jc_hits, s->hash_hits, s->translations, cs.chained);
        fprintf(out, "tb_stats: exits to the loop: %" PRIu64 " chainable slot, %" PRIu64
                " unchainable/lookup miss, %" PRIu64 " budget/request; lookup hook %" PRIu64
                " jc (%" PRIu64 " of them inline, %" PRIu64 " of those in jc_global) + %" PRIu64
                " hash hits (%" PRIu64 " of them in jc_victim), %" PRIu64 " misses\n",
                s->exit_chainable, s->exit_nochain, s->exit_requested, s->lookup_jc_hits,
                c->ctx.lookup_inline_hits, c->ctx.lookup_inline_second_hits,
                s->lookup_hash_hits, s->lookup_victim_hits, s->lookup_misses);
        fprintf(out, "tb_stats: tlb: %" PRIu64 " slow loads, %" PRIu64 " slow stores, %" PRIu64
                " fills (%" PRIu64 " for code lookups), %" PRIu64 " full flushes, %" PRIu64 " page flushes, %" PRIu64
                " mmio, %" PRIu64 " writes to code pages", s->tlb_slow_loads,
                s->tlb_slow_stores, s->tlb_fills, s->code_walks, s->tlb_flushes, s->tlb_page_flushes,
                s->mmio_accesses, s->smc_writes);
        if (pt.mem_ops) {
            fprintf(out, "; ~%" PRIu64 " accesses, miss rate ~%.3f%%", pt.mem_ops,
                    100.0 * ratio(misses, pt.mem_ops));
        }
        fprintf(out, "\ntb_stats: %" PRIu64 " interrupts, %" PRIu64 " exceptions delivered\n",
                s->interrupts, s->exceptions);
    }
    /* One line for scripts (tests/bench/bench.py): key=value, stable names. */
    fprintf(out, "osprey-stats: cpu=%d translated=%" PRIu64 " guest_insns_translated=%" PRIu64
            " code_bytes=%" PRIu64 " flushes=%" PRIu64 " invalidated=%" PRIu64
            " block_entries=%" PRIu64 " loop_entries=%" PRIu64 " chained_entries=%" PRIu64
            " lookup_entries=%" PRIu64 " tlb_misses=%" PRIu64 " tlb_fills=%" PRIu64
            " tlb_flushes=%" PRIu64 " tlb_page_flushes=%" PRIu64 " mmio=%" PRIu64
            " interrupts=%" PRIu64 " exceptions=%" PRIu64, cpu, cs.translated, cs.guest_insns,
            cs.code_bytes, cs.flushes, cs.invalidated, entries, s->loop_entries, chained,
            lookups, misses, s->tlb_fills, s->tlb_flushes, s->tlb_page_flushes,
            s->mmio_accesses, s->interrupts, s->exceptions);
    if (c->cache->prof) {
        fprintf(out, " mem_accesses=%" PRIu64 " guest_insns=%" PRIu64 " helper_calls=%" PRIu64,
                pt.mem_ops, pt.insns, pt.helper_calls);
    }
    fprintf(out, "\n");
    fflush(out);
}

static void log_cpu_state(CPUX86State *env)
{
    x86_cpu_dump_state(env, log_file());
}

/* Find or translate the block at the current state; may raise (fetch #PF). */
static TranslationBlock *tb_find(X86TCGCPU *c, uint32_t cflags, bool *flushed)
{
    CPUX86State *env = c->env;
    uint64_t pc, cs_base, phys, page2;
    uint32_t flags, err, size;
    TranslationBlock *tb;
    TBKey key;
    unsigned max;

    x86_get_tb_cpu_state(env, &pc, &cs_base, &flags);
    tb = x86_jc_lookup(c, pc, cs_base, flags, cflags);
    if (tb) {
        c->stats.jc_hits++;
        return tb;
    }
    if (!x86_translate_code_addr(env, pc, &phys, &err)) {
        x86_raise_page_fault(env, pc, err);
    }
    key = (TBKey){.pc = pc, .cs_base = cs_base, .phys_pc = phys, .flags = flags,
                  .cflags = cflags};
    tb = x86_jc_victim_lookup(c, pc, cs_base, flags, cflags, phys);
    if (!tb) {
        tb = tb_lookup(c->cache, &key);
    }
    if (tb && !tb_second_page_matches(env, tb)) {
        /* Stale for this mapping: drop it, so the new translation is the one found. */
        tb_invalidate(c->cache, tb);
        tb = NULL;
    }
    if (tb) {
        c->stats.hash_hits++;
    } else {
        uint64_t fc = c->cache->flush_count;
        c->stats.translations++;
        max = (cflags & X86_CF_COUNT_MASK) ? (cflags & X86_CF_COUNT_MASK) : X86_TB_MAX_INSNS;
        for (;;) {
            int r;
            ir_func_reset(c->irf);
            size = x86_translate_block(env, c->irf, pc, cs_base, flags, max, &page2);
            r = tb_gen_code(c->cache, c->irf, &key, size, page2, &tb);
            if (r == TB_GEN_TOO_BIG && max > 1) {
                max /= 2;
                continue;
            }
            if (r != TB_GEN_OK) {
                fprintf(stderr, "osprey: tcg: cannot generate code (%d)\n", r);
                abort();
            }
            break;
        }
        if (c->cache->flush_count != fc) {
            *flushed = true;
        }
        /* -d op and -d out_asm are printed by tb_gen_code itself. */
    }
    x86_jc_insert(c, tb);
    return tb;
}

/* INIT: the processor state resets (SDM 9.1); an AP then waits for SIPI. */
static void take_init(X86TCGCPU *c)
{
    CPUX86State *env = c->env;

    /*
     * Only INIT is consumed: a SIPI that arrived after it (the OS sends INIT,
     * then SIPI, and this vCPU may only now get its turn) must start the CPU.
     */
    env->interrupt_request &= ~CPU_INTERRUPT_INIT;
    x86_cpu_init_reset(env);
    x86_tlb_flush(env, true);
    if (env->cpu_index != 0) {
        env->wait_for_sipi = true;
        env->halted = true;
    }
}

/* Start-up IPI: a waiting AP begins in real mode at vector << 12 (SDM 8.4.4). */
static void take_sipi(X86TCGCPU *c)
{
    CPUX86State *env = c->env;

    env->interrupt_request &= ~CPU_INTERRUPT_SIPI;
    if (!env->wait_for_sipi) {
        return; /* SIPIs are ignored unless the CPU waits for one */
    }
    env->wait_for_sipi = false;
    env->halted = false;
    x86_load_seg_real(env, R_CS, (uint16_t)(env->sipi_vector << 8));
    env->rip = 0;
    x86_update_hflags(env);
}

/* Deliver a pending external interrupt or NMI; true if one was taken. */
static bool check_interrupts(X86TCGCPU *c)
{
    CPUX86State *env = c->env;
    uint32_t req = env->interrupt_request;

    if (req & CPU_INTERRUPT_EXITTB) {
        env->interrupt_request &= ~CPU_INTERRUPT_EXITTB;
    }
    if (req & CPU_INTERRUPT_INIT) {
        take_init(c);
        return true;
    }
    if (req & CPU_INTERRUPT_SIPI) {
        take_sipi(c);
        return true;
    }
    if (env->wait_for_sipi) {
        return false; /* only INIT and SIPI reach a CPU in wait-for-SIPI */
    }
    if (env->halted) {
        /* HLT has completed, so no interrupt shadow can be left over it. */
        env->hflags &= ~HF_INHIBIT_IRQ;
    }
    if (env->hflags & HF_INHIBIT_IRQ) {
        return false;
    }
    if (req & CPU_INTERRUPT_NMI) {
        env->interrupt_request &= ~CPU_INTERRUPT_NMI;
        env->halted = false;
        c->stats.interrupts++;
        x86_do_interrupt(env, EXCP_NMI, false, 0, env->rip, true);
        return true;
    }
    if ((req & CPU_INTERRUPT_HARD) && (env->eflags & X86_EFL_IF)) {
        const X86IntrOps *ops = env->intr_ops;
        int vec = ops && ops->ack ? ops->ack(env->intr_opaque) : -1;
        if (vec < 0) {
            /* The line went away before acknowledge (spurious): nothing to take. */
            env->interrupt_request &= ~CPU_INTERRUPT_HARD;
            return false;
        }
        env->halted = false;
        log_mask(LOG_INT, "interrupt vector %#x at %04x:%08" PRIx64 "\n", vec,
                 env->segs[R_CS].selector, env->rip);
        c->stats.interrupts++;
        x86_do_interrupt(env, vec & 0xff, false, 0, env->rip, true);
        return true;
    }
    return false;
}

X86ExecExit x86_exec(X86TCGCPU *c, uint64_t budget)
{
    CPUX86State *env = c->env;
    sigjmp_buf jb;
    sigjmp_buf *volatile saved = env->jmp_env;
    TranslationBlock *volatile last = NULL;
    volatile TBExitReason last_reason = TB_EXIT_NOCHAIN;
    volatile uint64_t done = 0;
    X86ExecExit ret;

    env->jmp_env = &jb;
    if (sigsetjmp(jb, 0)) {
        TranslationBlock *ct = c->ctx.cur_tb;
        int vec = env->exception_index;

        last = NULL;
        c->smc_running = false;
        if (vec < X86_EXCP_HLT && ct) {
            int i = tb_insn_index(ct, c->ctx.pos);
            if (i >= 0) {
                x86_restore_state(env, tb_insn_words(ct, i));
                if (c->count_insns) {
                    c->insns += (uint64_t)i;
                    done += (uint64_t)i;
                }
            }
        }
        c->ctx.cur_tb = NULL;
        if (vec == X86_EXCP_HLT) {
            env->exception_index = -1;
            if (c->count_insns && ct) {
                int i = tb_insn_index(ct, c->ctx.pos);
                c->insns += (uint64_t)(i >= 0 ? i + 1 : 1);
            }
        } else if (vec == X86_EXCP_DEBUG_TRAP) {
            /* Single-step trap: the instruction completed; env is already past it. */
            env->exception_index = -1;
            if (c->count_insns && ct) {
                int i = tb_insn_index(ct, c->ctx.pos);
                c->insns += (uint64_t)(i >= 0 ? i + 1 : 1);
                done += (uint64_t)(i >= 0 ? i + 1 : 1);
            }
            if (c->stop_on_exception) {
                c->last_vector = EXCP_DB;
                c->last_error_code = 0;
                env->old_exception = -1;
                ret = X86_EXEC_EXCEPTION;
                goto out;
            }
            log_mask(LOG_INT, "single-step #DB at %04x:%08" PRIx64 "\n",
                     env->segs[R_CS].selector, env->rip);
            x86_do_interrupt(env, EXCP_DB, false, 0, env->rip, false);
            env->old_exception = -1;
        } else if (vec == X86_EXCP_SHUTDOWN) {
            env->exception_index = -1;
            ret = X86_EXEC_HALTED;
            goto out;
        } else if (vec >= 0) {
            if (c->stop_on_exception) {
                c->last_vector = vec;
                c->last_error_code = env->error_code;
                env->exception_index = -1;
                env->old_exception = -1;
                ret = X86_EXEC_EXCEPTION;
                goto out;
            }
            log_mask(LOG_INT, "exception %#x error %#x at %04x:%08" PRIx64 "\n", vec,
                     env->error_code, env->segs[R_CS].selector, env->rip);
            if (env->exception_is_int) {
                /* A software interrupt completes its instruction. */
                c->insns += c->count_insns ? 1 : 0;
            }
            c->stats.exceptions++;
            x86_do_interrupt(env, vec, env->exception_is_int, env->error_code,
                             env->exception_next_eip, false);
            env->old_exception = -1;
        }
    }

    for (;;) {
        TranslationBlock *tb;
        bool flushed = false;
        uint32_t cflags = 0;
        int32_t chain_budget;

        if (c->ctx.exit_request) {
            c->ctx.exit_request = 0;
            ret = X86_EXEC_BUDGET;
            break;
        }
        if (done >= budget) {
            ret = X86_EXEC_BUDGET;
            break;
        }
        if (env->interrupt_request) {
            if (check_interrupts(c)) {
                last = NULL;
                continue;
            }
        }
        if (env->halted) {
            ret = X86_EXEC_HALTED;
            break;
        }
        if (c->smc_single) {
            cflags = X86_CF_SMC | 1;
        } else if (c->count_insns && budget - done < X86_TB_MAX_INSNS) {
            cflags = (uint32_t)(budget - done);
        }
        c->ctx.cur_tb = NULL;
        tb = tb_find(c, cflags, &flushed);
        if (flushed) {
            last = NULL;
        }
        if (last && (last_reason == TB_EXIT_SLOT0 || last_reason == TB_EXIT_SLOT1)) {
            tb_add_jump(c->cache, last, last_reason, tb);
        }
        if (log_enabled(LOG_EXEC)) {
            log_printf("Trace %p [%08" PRIx64 "/%016" PRIx64 "/%08x]\n", (void *)tb, tb->cs_base,
                       tb->pc, tb->flags);
        }
        if (log_enabled(LOG_CPU)) {
            log_cpu_state(env);
        }
        chain_budget = (c->count_insns || c->smc_single ||
                        log_enabled(LOG_EXEC | LOG_CPU)) ? 0 : X86_CHAIN_BUDGET;
        c->ctx.budget = chain_budget;
        c->ctx.cur_tb = tb;
        c->smc_running = c->smc_single;
        c->cache->backend->exec(&c->ctx, tb);
        c->smc_running = false;
        if (cflags & X86_CF_SMC) {
            c->smc_single = false;
        }
        last = c->ctx.last_tb;
        last_reason = c->ctx.exit_reason;
        c->stats.loop_entries++;
        if (last_reason == TB_EXIT_SLOT0 || last_reason == TB_EXIT_SLOT1) {
            c->stats.exit_chainable++;
        } else if (last_reason == TB_EXIT_NOCHAIN) {
            c->stats.exit_nochain++;
        } else {
            /* The entry that was refused had already taken its unit of budget. */
            c->stats.exit_requested++;
            c->stats.linked_entries--;
        }
        c->stats.linked_entries += (uint64_t)(chain_budget - tb_exec_budget_left(&c->ctx));
        if (c->count_insns) {
            c->insns += tb->icount;
            done += tb->icount;
        } else {
            /* Without exact counts, a chained block entry counts as one unit. */
            done += (uint64_t)tb->icount + (uint64_t)(chain_budget - tb_exec_budget_left(&c->ctx));
        }
        if (last_reason == TB_EXIT_REQUESTED) {
            env->rip = last->pc - last->cs_base;
            last = NULL;
        }
    }
out:
    c->ctx.cur_tb = NULL;
    env->jmp_env = saved;
    return ret;
}
