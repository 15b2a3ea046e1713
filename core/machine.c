/*
 * The machine core: creation from a MachineConfig, the run loop, run-state
 * changes, shutdown/reset/powerdown requests and QMP event fan-out.
 * Board-specific wiring (which devices, where) lives in hw/pc.c.
 */
#include "core/machine.h"
#include "block/drive.h"

#include "accel/accel.h"
#include "core/log.h"
#include "core/monitor.h"
#include "core/options.h"

/* Board construction, in hw/pc.c. */
bool pc_machine_init(Machine *m, Error **errp);

static const char *const runstate_names[] = {
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
};

static const char *const shutdown_cause_names[] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
    [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
};

const char *runstate_name(RunState rs)
{
    return runstate_names[rs];
}

bool machine_is_running(const Machine *m)
{
    return m->runstate == RUN_STATE_RUNNING;
}

static bool cause_is_guest(ShutdownCause c)
{
    return c >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN;
}

static void hook_add(MachineHook **list, void *fn, void *opaque)
{
    MachineHook *h = XNEW(MachineHook);
    h->fn = fn;
    h->opaque = opaque;
    MachineHook **tail = list;
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = h;
}

static void hooks_free(MachineHook **list)
{
    while (*list) {
        MachineHook *h = *list;
        *list = h->next;
        free(h);
    }
}

static void hooks_notify(MachineHook *list)
{
    for (MachineHook *h = list; h; h = h->next) {
        ((MachineNotifyFn)h->fn)(h->opaque);
    }
}

void machine_add_event_sink(Machine *m, MachineEventFn fn, void *opaque)
{
    hook_add(&m->event_sinks, (void *)fn, opaque);
}

void machine_remove_event_sink(Machine *m, MachineEventFn fn, void *opaque)
{
    for (MachineHook **p = &m->event_sinks; *p; p = &(*p)->next) {
        if ((*p)->fn == (void *)fn && (*p)->opaque == opaque) {
            MachineHook *h = *p;
            *p = h->next;
            free(h);
            return;
        }
    }
}

void machine_emit_event(Machine *m, const char *event, const char *data_json)
{
    for (MachineHook *h = m->event_sinks; h; h = h->next) {
        ((MachineEventFn)h->fn)(h->opaque, event, data_json);
    }
}

void machine_add_powerdown_notifier(Machine *m, MachineNotifyFn fn, void *opaque)
{
    hook_add(&m->powerdown_notifiers, (void *)fn, opaque);
}

void machine_add_reset_hook(Machine *m, MachineNotifyFn fn, void *opaque)
{
    hook_add(&m->reset_hooks, (void *)fn, opaque);
}

void machine_kick(Machine *m)
{
    if (m->accel && m->accel->kick) {
        m->accel->kick(m);
    }
    main_loop_notify(m->loop);
}

void machine_request_shutdown(Machine *m, ShutdownCause cause)
{
    m->shutdown_request = cause;
    machine_kick(m);
}

void machine_request_reset(Machine *m, ShutdownCause cause)
{
    m->reset_request = cause;
    machine_kick(m);
}

void machine_request_powerdown(Machine *m)
{
    m->powerdown_request = true;
    machine_kick(m);
}

void machine_request_exit(Machine *m, int status)
{
    m->exit_status = status;
    m->quit_requested = true;
    machine_kick(m);
}

static void machine_set_runstate(Machine *m, RunState rs)
{
    m->runstate = rs;
    clock_set_enabled(machine_vclock(m), rs == RUN_STATE_RUNNING);
}

void machine_stop(Machine *m)
{
    if (m->runstate != RUN_STATE_RUNNING) {
        return;
    }
    machine_set_runstate(m, RUN_STATE_PAUSED);
    machine_kick(m);
    machine_emit_event(m, "STOP", NULL);
}

void machine_cont(Machine *m)
{
    if (m->runstate == RUN_STATE_RUNNING) {
        return;
    }
    machine_set_runstate(m, RUN_STATE_RUNNING);
    machine_emit_event(m, "RESUME", NULL);
}

void machine_reset(Machine *m)
{
    for (DeviceState *d = m->devices; d; d = d->next) {
        device_reset(d);
    }
    if (m->accel && m->accel->reset) {
        m->accel->reset(m);
    }
    hooks_notify(m->reset_hooks);
}

static void emit_cause_event(Machine *m, const char *event, ShutdownCause cause)
{
    char data[128];
    snprintf(data, sizeof(data), "{\"guest\": %s, \"reason\": \"%s\"}",
             cause_is_guest(cause) ? "true" : "false", shutdown_cause_names[cause]);
    machine_emit_event(m, event, data);
}

/* Act on requests made since the last iteration, in QEMU's order. */
static void machine_process_requests(Machine *m)
{
    if (m->reset_request) {
        ShutdownCause cause = m->reset_request;
        m->reset_request = SHUTDOWN_CAUSE_NONE;
        if (cause == SHUTDOWN_CAUSE_GUEST_RESET && m->cfg->no_reboot) {
            /* -no-reboot: a guest reboot ends the emulator instead. */
            m->shutdown_request = cause;
        } else {
            machine_reset(m);
            if (m->runstate == RUN_STATE_SHUTDOWN) {
                /* As in QEMU: a reset after shutdown waits for cont. */
                machine_set_runstate(m, RUN_STATE_PRELAUNCH);
            }
            emit_cause_event(m, "RESET", cause);
        }
    }
    if (m->shutdown_request) {
        ShutdownCause cause = m->shutdown_request;
        m->shutdown_request = SHUTDOWN_CAUSE_NONE;
        emit_cause_event(m, "SHUTDOWN", cause);
        if (cause_is_guest(cause) && m->cfg->no_shutdown) {
            /* -no-shutdown: keep the process (and its monitor) alive, stopped. */
            if (m->runstate == RUN_STATE_RUNNING) {
                machine_set_runstate(m, RUN_STATE_SHUTDOWN);
                machine_emit_event(m, "STOP", NULL);
            }
        } else {
            m->quit_requested = true;
        }
    }
    if (m->powerdown_request) {
        m->powerdown_request = false;
        machine_emit_event(m, "POWERDOWN", NULL);
        hooks_notify(m->powerdown_notifiers);
    }
}

static void machine_chardev_quit(void *opaque)
{
    machine_request_shutdown(opaque, SHUTDOWN_CAUSE_HOST_UI);
}

Machine *machine_create(const MachineConfig *cfg, Error **errp)
{
    Machine *m = XNEW(Machine);
    m->cfg = cfg;
    m->devices_tail = &m->devices;
    m->runstate = RUN_STATE_PRELAUNCH;
    m->loop = main_loop_new();
    clock_set_enabled(machine_vclock(m), false);
    m->chardevs = chardev_set_new(m->loop);
    chardev_set_quit_handler(m->chardevs, machine_chardev_quit, m);

    memory_region_init_container(&m->system_memory, "system", UINT64_MAX);
    memory_region_init_container(&m->io_space, "io", 0x10000);
    address_space_init(&m->as_memory, &m->system_memory, "memory");
    address_space_init(&m->as_io, &m->io_space, "I/O");
    m->isa_irqs = irq_allocate(NULL, m, ISA_NUM_IRQS);
    machine_add_named_irqs(m, "isa", m->isa_irqs, ISA_NUM_IRQS);

    for (int i = 0; i < cfg->chardevs.n; i++) {
        if (!chardev_new_from_opts(m->chardevs, cfg->chardevs.v[i], errp)) {
            error_prepend(errp, "-chardev %s: ", cfg->chardevs.v[i]);
            goto fail;
        }
    }
    if (cfg->accel && !strcmp(cfg->accel, "qtest") && !cfg->qtest) {
        error_setg(errp, "-accel qtest needs -qtest CHARDEV");
        goto fail;
    }
    if (cfg->qtest && !(cfg->accel && !strcmp(cfg->accel, "qtest"))) {
        if (cfg->accel) {
            error_setg(errp, "-qtest cannot be combined with -accel %s", cfg->accel);
            goto fail;
        }
    }
    if (!drives_open(m, errp)) {
        goto fail;
    }
    if (!pc_machine_init(m, errp)) {
        goto fail;
    }
    return m;
fail:
    machine_free(m);
    return NULL;
}

/* Pick and start the accelerator. */
static bool machine_start_accel(Machine *m, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    const char *list = cfg->qtest ? "qtest" : cfg->accel;
    m->accel = accel_choose(list, errp);
    if (!m->accel) {
        return false;
    }
    if (!m->accel->init(m, cfg->accel_opts, errp)) {
        error_prepend(errp, "-accel %s: ", m->accel->name);
        m->accel = NULL;
        return false;
    }
    return true;
}

int machine_run(Machine *m)
{
    Error *err = NULL;
    if (!machine_start_accel(m, &err)) {
        error_report_err(err);
        return 1;
    }
    if (!m->cfg->start_paused) {
        machine_set_runstate(m, RUN_STATE_RUNNING);
    }
    while (!m->quit_requested) {
        bool idle = true;
        if (m->runstate == RUN_STATE_RUNNING && m->accel->run_slice) {
            idle = m->accel->run_slice(m);
        }
        m->vcpus_idle = idle;
        main_loop_wait(m->loop, idle ? -1 : 0);
        machine_process_requests(m);
    }
    return m->exit_status;
}

static void print_flat_view(AddressSpace *as, FILE *f)
{
    fprintf(f, "address-space: %s\n", as->name);
    const FlatView *view = as->view;
    for (int i = 0; view && i < view->nr; i++) {
        const FlatRange *r = &view->ranges[i];
        fprintf(f, "  %016llx-%016llx %s\n", (unsigned long long)r->start,
                (unsigned long long)(r->start + r->size - 1), r->mr->name);
    }
}

void machine_print_memory_map(Machine *m, FILE *f)
{
    print_flat_view(&m->as_memory, f);
    print_flat_view(&m->as_io, f);
}

static void print_props(const DeviceState *dev, FILE *f)
{
    for (const Property *p = dev->info->props; p && p->name; p++) {
        const void *field = (const char *)dev + p->offset;
        switch (p->type) {
        case PROP_BOOL: fprintf(f, " %s=%s", p->name, *(const bool *)field ? "on" : "off"); break;
        case PROP_U8: fprintf(f, " %s=0x%x", p->name, *(const uint8_t *)field); break;
        case PROP_U16: fprintf(f, " %s=0x%x", p->name, *(const uint16_t *)field); break;
        case PROP_U32: fprintf(f, " %s=0x%x", p->name, *(const uint32_t *)field); break;
        case PROP_I32: fprintf(f, " %s=%d", p->name, *(const int32_t *)field); break;
        case PROP_U64:
        case PROP_SIZE:
            fprintf(f, " %s=0x%llx", p->name, (unsigned long long)*(const uint64_t *)field);
            break;
        case PROP_STRING:
            if (*(char *const *)field) {
                fprintf(f, " %s=%s", p->name, *(char *const *)field);
            }
            break;
        case PROP_CHARDEV:
            if (*(Chardev *const *)field) {
                fprintf(f, " %s=%s", p->name, chardev_id(*(Chardev *const *)field));
            }
            break;
        }
    }
}

void machine_print_devices(Machine *m, FILE *f)
{
    const MachineConfig *cfg = m->cfg;
    fprintf(f, "machine '%s', %llu MiB RAM, %d CPU%s, accelerator %s\n", cfg->machine_type,
            (unsigned long long)(m->ram_size >> 20), cfg->smp_cpus,
            cfg->smp_cpus == 1 ? "" : "s", m->accel ? m->accel->name : "none");
    for (DeviceState *d = m->devices; d; d = d->next) {
        fprintf(f, "  dev: %s", d->info->name);
        if (d->id) {
            fprintf(f, " id=%s", d->id);
        }
        print_props(d, f);
        fputc('\n', f);
    }
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    if (m->accel && m->accel->destroy) {
        m->accel->destroy(m);
    }
    monitor_cleanup(m);
    /* Devices go in reverse creation order: later ones may use earlier ones. */
    int n = 0;
    for (DeviceState *d = m->devices; d; d = d->next) {
        n++;
    }
    DeviceState **devs = xcalloc(n, sizeof(*devs));
    n = 0;
    for (DeviceState *d = m->devices; d; d = d->next) {
        devs[n++] = d;
    }
    while (n > 0) {
        device_destroy(devs[--n]);
    }
    free(devs);
    m->devices = NULL;
    if (m->board_free) {
        m->board_free(m);
    }
    drives_close(m);
    chardev_set_free(m->chardevs);
    hooks_free(&m->event_sinks);
    hooks_free(&m->powerdown_notifiers);
    hooks_free(&m->reset_hooks);
    address_space_destroy(&m->as_memory);
    address_space_destroy(&m->as_io);
    memory_region_destroy(&m->system_memory);
    memory_region_destroy(&m->io_space);
    memory_region_destroy(&m->ram);
    free(m->isa_irqs);
    while (m->named_irqs) {
        NamedIrqGroup *g = m->named_irqs;
        m->named_irqs = g->next;
        free(g->name);
        free(g);
    }
    main_loop_free(m->loop);
    free(m);
}

void machine_add_named_irqs(Machine *m, const char *name, IRQState *lines, int n)
{
    if (machine_find_named_irqs(m, name, NULL) || n <= 0) {
        fprintf(stderr, "osprey: bad IRQ group '%s' (%d lines)\n", name, n);
        abort(); /* a board bug, not input */
    }
    NamedIrqGroup *g = XNEW(NamedIrqGroup);
    g->name = xstrdup(name);
    g->lines = lines;
    g->n = n;
    NamedIrqGroup **tail = &m->named_irqs;
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = g;
}

IRQState *machine_find_named_irqs(Machine *m, const char *name, int *n)
{
    for (NamedIrqGroup *g = m->named_irqs; g; g = g->next) {
        if (!strcmp(g->name, name)) {
            if (n) {
                *n = g->n;
            }
            return g->lines;
        }
    }
    return NULL;
}

void isa_register_ioport(DeviceState *dev, MemoryRegion *mr, uint16_t base)
{
    memory_region_add_subregion(&dev->machine->io_space, base, mr);
}

IRQState *isa_get_irq(DeviceState *dev, int n)
{
    if (n < 0 || n >= ISA_NUM_IRQS) {
        return NULL;
    }
    return &dev->machine->isa_irqs[n];
}
