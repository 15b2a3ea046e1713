/*
 * The "tcg" accelerator: runs the board's x86 vCPUs through the DBT on the
 * main thread, one slice at a time and round-robin, so the main loop keeps
 * servicing devices and timers.  Options: -accel tcg,backend=native|interp
 * (native, the x86-64 code generator, is the default on x86-64 hosts).
 *
 * The DBT engine itself (accel/tcg/) knows no x86; the x86 exec loop and
 * softmmu live with the CPU in cpu/x86/tcg-exec.c and mem_helper.c.
 */
#include "accel/accel.h"
#include "accel/tcg-deadline.h"
#include "cpu/x86/tcg-exec.h"

#include <string.h>

/* Work per vCPU per run_slice: chained block entries / instructions. */
#define TCG_SLICE_BUDGET 200000
/* With several vCPUs, a shorter turn each keeps IPIs and spinlocks moving. */
#define TCG_SMP_SLICE_BUDGET 20000
#define TCG_CODE_BUFFER (64u << 20)

typedef struct TCGAccelState {
    X86TCGCPU *cpus[MACHINE_MAX_CPUS];
    int nr_cpus;
    volatile int kicked;
    int next_cpu; /* whose turn comes first in the next slice */
    DeadlineWatcher *watcher;
} TCGAccelState;

static bool tcg_available(char **why)
{
    (void)why;
    return true;
}

static const TBBackend *tcg_pick_backend(const char *opts, Error **errp)
{
    const char *p = opts ? strstr(opts, "backend=") : NULL;
    size_t n;

    const TBBackend *be;

    if (!p) {
        return tb_backend_default();
    }
    p += strlen("backend=");
    n = strcspn(p, ",");
    be = tb_backend_find(p, n);
    if (!be) {
        error_setg(errp, "unknown backend '%.*s' (available: %s)", (int)n, p,
                   tb_backend_names());
    }
    return be;
}

/* Thread-safe: only sets flags the exec loop polls. */
static void tcg_kick_cpus(void *opaque)
{
    TCGAccelState *s = opaque;

    s->kicked = 1;
    for (int i = 0; i < s->nr_cpus; i++) {
        tb_exec_kick(&s->cpus[i]->ctx);
    }
}

/* DMA and other writes behind the TLBs: drop the translations they overwrote. */
static void tcg_ram_written(void *opaque, uint64_t addr, uint64_t len)
{
    TCGAccelState *s = opaque;

    x86_tcg_invalidate_phys(s->cpus[0], addr, len);
}

static bool tcg_init(Machine *m, const char *opts, Error **errp)
{
    const TBBackend *be = tcg_pick_backend(opts, errp);
    TCGAccelState *s;

    if (!be) {
        return false;
    }
    s = XNEW(TCGAccelState);
    s->nr_cpus = m->nr_cpus;
    for (int i = 0; i < m->nr_cpus; i++) {
        s->cpus[i] = x86_tcg_cpu_new(m->cpus[i], &m->as_memory, &m->as_io, be, TCG_CODE_BUFFER);
    }
    x86_tcg_link_cpus(s->cpus, s->nr_cpus);
    address_space_set_ram_written(&m->as_memory, tcg_ram_written, s);
    s->watcher = deadline_watcher_new(tcg_kick_cpus, s);
    m->accel_state = s;
    return true;
}

/* Give each vCPU a turn; idle (true) only when every vCPU is halted. */
static bool tcg_run_slice(Machine *m)
{
    TCGAccelState *s = m->accel_state;
    uint64_t budget = s && s->nr_cpus > 1 ? TCG_SMP_SLICE_BUDGET : TCG_SLICE_BUDGET;
    bool all_halted = true;

    if (!s) {
        return true;
    }
    s->kicked = 0;
    /* Stop the slice when the next device timer is due. */
    deadline_watcher_arm(s->watcher, clock_sleep_ns(machine_vclock(m)));
    /*
     * Turns rotate: after a kick (a due timer, a request) the main loop runs
     * first, and the next slice starts with the vCPU after the one that was
     * cut short, so a busy vCPU 0 cannot starve the others.
     */
    for (int k = 0; k < s->nr_cpus; k++) {
        int i = (s->next_cpu + k) % s->nr_cpus;
        m->current_cpu = i;
        s->cpus[i]->ctx.exit_request = 0; /* a kick for an earlier turn */
        if (x86_exec(s->cpus[i], budget) != X86_EXEC_HALTED) {
            all_halted = false;
        }
        if (s->kicked) {
            /* The main loop has work (a timer, a request): let it run first. */
            all_halted = false;
            s->next_cpu = (i + 1) % s->nr_cpus;
            break;
        }
    }
    deadline_watcher_disarm(s->watcher);
    m->current_cpu = 0;
    return all_halted;
}

static void tcg_kick(Machine *m)
{
    if (m->accel_state) {
        tcg_kick_cpus(m->accel_state);
    }
}

static void tcg_reset(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    if (s) {
        for (int i = 0; i < s->nr_cpus; i++) {
            x86_cpu_reset(m->cpus[i]);
            x86_tcg_flush(s->cpus[i]);
        }
    }
}

static void tcg_destroy(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    if (s) {
        address_space_set_ram_written(&m->as_memory, NULL, NULL);
        deadline_watcher_free(s->watcher);
        for (int i = 0; i < s->nr_cpus; i++) {
            x86_tcg_cpu_free(s->cpus[i]);
        }
        free(s);
        m->accel_state = NULL;
    }
}

static const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .available = tcg_available,
    .init = tcg_init,
    .run_slice = tcg_run_slice,
    .kick = tcg_kick,
    .reset = tcg_reset,
    .destroy = tcg_destroy,
};
ACCEL_REGISTER(tcg_accel_ops)
