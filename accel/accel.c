/* Accelerator registry and the automatic choice between KVM and the DBT. */
#include "accel/accel.h"

static AccelRegistration *accel_list;

void accel_register(AccelRegistration *reg)
{
    reg->next = accel_list;
    accel_list = reg;
}

const AccelOps *accel_find(const char *name)
{
    for (AccelRegistration *r = accel_list; r; r = r->next) {
        if (!strcmp(r->ops->name, name)) {
            return r->ops;
        }
    }
    return NULL;
}

/* Try one accelerator by name; on failure, explain in *why. */
static const AccelOps *accel_try(const char *name, char **why)
{
    const AccelOps *ops = accel_find(name);
    if (!ops) {
        if (!strcmp(name, "kvm") || !strcmp(name, "tcg")) {
            *why = xasprintf("accelerator '%s' is not built into Osprey yet", name);
        } else {
            *why = xasprintf("unknown accelerator '%s' (try -accel help)", name);
        }
        return NULL;
    }
    if (ops->available && !ops->available(why)) {
        return NULL;
    }
    return ops;
}

const AccelOps *accel_choose(const char *list, Error **errp)
{
    if (list) {
        /* "kvm:tcg": first that works wins; say why the others did not. */
        char *copy = xstrdup(list), *save = NULL;
        const AccelOps *chosen = NULL;
        char *last_why = NULL;
        for (char *name = strtok_r(copy, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
            char *why = NULL;
            chosen = accel_try(name, &why);
            if (chosen) {
                free(why);
                break;
            }
            if (strchr(list, ':')) {
                warn_report("-accel %s: %s", name, why);
            }
            free(last_why);
            last_why = xasprintf("-accel %s: %s", name, why);
            free(why);
        }
        if (!chosen) {
            error_setg(errp, "%s", last_why ? last_why : "no accelerator given");
        }
        free(last_why);
        free(copy);
        return chosen;
    }
    /* Automatic: KVM only with hardware virtualization, else the DBT. */
    char *kvm_why = NULL, *tcg_why = NULL;
    const AccelOps *ops = accel_try("kvm", &kvm_why);
    if (ops && ops->preferred) {
        char *why = NULL;
        bool preferred = ops->preferred(&why);
        free(kvm_why);
        kvm_why = why;
        if (!preferred) {
            ops = NULL;
        }
    }
    if (ops) {
        fprintf(stderr, "osprey: accelerator kvm (%s)\n",
                kvm_why ? kvm_why : "host has hardware virtualization");
    } else {
        ops = accel_try("tcg", &tcg_why);
        if (ops) {
            fprintf(stderr, "osprey: accelerator tcg (dynamic binary translation): kvm not "
                            "used: %s\n", kvm_why);
        } else {
            error_setg(errp, "no accelerator can run here: kvm: %s; tcg: %s", kvm_why, tcg_why);
        }
    }
    free(kvm_why);
    free(tcg_why);
    return ops;
}

void accel_cpu_state_get(Machine *m, int cpu)
{
    if (m->accel && m->accel->cpu_state_get && cpu >= 0 && cpu < m->nr_cpus) {
        m->accel->cpu_state_get(m, cpu);
    }
}

void accel_cpu_state_put(Machine *m, int cpu)
{
    if (m->accel && m->accel->cpu_state_put && cpu >= 0 && cpu < m->nr_cpus) {
        m->accel->cpu_state_put(m, cpu);
    }
}

void accel_sync_dirty_bitmap(Machine *m, MemoryRegion *mr)
{
    if (m->accel && m->accel->sync_dirty_bitmap) {
        m->accel->sync_dirty_bitmap(m, mr);
    }
}
