/*
 * The "tcg" accelerator: runs the x86 CPU through the DBT on the main
 * thread, one slice at a time, so the main loop keeps servicing devices and
 * timers.  Options: -accel tcg,backend=interp (the only backend so far).
 */
#include "accel/accel.h"
#include "accel/tcg/exec.h"
#include "core/log.h"
#include "core/options.h"
#include "cpu/x86/cpuid.h"
#include "cpu/x86/helper.h"

#include <string.h>

/* Work per run_slice: chained block entries / instructions before returning. */
#define TCG_SLICE_BUDGET 200000
#define TCG_CODE_BUFFER (64u << 20)

typedef struct TCGAccelState {
    CPUX86State env;
    X86TCGCPU *cpu;
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

    if (!p) {
        return &tb_backend_interp;
    }
    p += strlen("backend=");
    n = strcspn(p, ",");
    if (n == strlen("interp") && !strncmp(p, "interp", n)) {
        return &tb_backend_interp;
    }
    error_setg(errp, "unknown backend '%.*s' (available: interp)", (int)n, p);
    return NULL;
}

static bool tcg_init(Machine *m, const char *opts, Error **errp)
{
    const TBBackend *be = tcg_pick_backend(opts, errp);
    TCGAccelState *s;

    if (!be) {
        return false;
    }
    if (m->cfg->smp_cpus > 1) {
        error_setg(errp, "-smp %d: more than one CPU is not supported yet", m->cfg->smp_cpus);
        return false;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        abort();
    }
    s->env.machine = m;
    s->env.cpu_index = 0;
    s->env.exception_index = -1;
    s->env.old_exception = -1;
    /* -cpu was validated when parsed; NULL means the default model. */
    s->env.cpu_model = m->cfg->cpu_model ? x86_cpu_model_lookup(m->cfg->cpu_model) : NULL;
    x86_cpu_reset(&s->env);
    s->cpu = x86_tcg_cpu_new(&s->env, &m->as_memory, &m->as_io, be, TCG_CODE_BUFFER);
    m->accel_state = s;
    return true;
}

static bool tcg_run_slice(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    if (!s) {
        return true;
    }
    return x86_exec(s->cpu, TCG_SLICE_BUDGET) == X86_EXEC_HALTED;
}

static void tcg_kick(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    if (s) {
        s->cpu->ctx.exit_request = 1;
    }
}

static void tcg_reset(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    if (s) {
        x86_cpu_reset(&s->env);
        x86_tcg_flush(s->cpu);
    }
}

static void tcg_destroy(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    if (s) {
        x86_tcg_cpu_free(s->cpu);
        free(s);
        m->accel_state = NULL;
    }
}

/* The board's interrupt controller and the CPU state, for wiring (hw/pc.c). */
CPUX86State *tcg_accel_env(Machine *m)
{
    TCGAccelState *s = m->accel_state;

    return s ? &s->env : NULL;
}

void tcg_accel_set_intr_hook(Machine *m, int (*get_vector)(void *opaque), void *opaque)
{
    TCGAccelState *s = m->accel_state;

    if (s) {
        s->cpu->get_intr_vector = get_vector;
        s->cpu->intr_opaque = opaque;
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
