/*
 * The device registry and property handling.  Registration happens in
 * constructors before main(); the registry is the only global state here.
 */
#include "core/device.h"

#include "core/chardev.h"
#include "core/machine.h"
#include "core/options.h"
#include "core/opts.h"

#define MAX_DEVICE_TYPES 256

static const DeviceInfo *device_types[MAX_DEVICE_TYPES];
static int nr_device_types;

void device_register(const DeviceInfo *info)
{
    if (nr_device_types == MAX_DEVICE_TYPES) {
        fprintf(stderr, "osprey: too many device types (raise MAX_DEVICE_TYPES)\n");
        abort();
    }
    device_types[nr_device_types++] = info;
}

const DeviceInfo *device_info_find(const char *name)
{
    for (int i = 0; i < nr_device_types; i++) {
        if (!strcmp(device_types[i]->name, name)) {
            return device_types[i];
        }
    }
    return NULL;
}

static const char *bus_name(BusType bus)
{
    switch (bus) {
    case BUS_ISA: return "ISA";
    case BUS_PCI: return "PCI";
    default: return "System";
    }
}

static int compare_info_names(const void *a, const void *b)
{
    const DeviceInfo *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

void device_print_list(FILE *f)
{
    const DeviceInfo *sorted[MAX_DEVICE_TYPES];
    memcpy(sorted, device_types, nr_device_types * sizeof(sorted[0]));
    qsort(sorted, nr_device_types, sizeof(sorted[0]), compare_info_names);
    for (BusType bus = BUS_SYSTEM; bus <= BUS_PCI; bus++) {
        bool header = false;
        for (int i = 0; i < nr_device_types; i++) {
            const DeviceInfo *info = sorted[i];
            if (info->bus != bus || info->no_user) {
                continue;
            }
            if (!header) {
                fprintf(f, "%s devices:\n", bus_name(bus));
                header = true;
            }
            fprintf(f, "name \"%s\", bus %s%s%s%s\n", info->name, bus_name(bus),
                    info->desc ? ", desc \"" : "", info->desc ? info->desc : "",
                    info->desc ? "\"" : "");
        }
        if (header) {
            fputc('\n', f);
        }
    }
}

static const char *prop_type_name(PropType t)
{
    static const char *const names[] = {
        [PROP_BOOL] = "bool",  [PROP_U8] = "uint8",      [PROP_U16] = "uint16",
        [PROP_U32] = "uint32", [PROP_U64] = "uint64",    [PROP_I32] = "int32",
        [PROP_SIZE] = "size",  [PROP_STRING] = "str",    [PROP_CHARDEV] = "chardev",
    };
    return names[t];
}

void device_print_props(FILE *f, const DeviceInfo *info)
{
    fprintf(f, "%s options:\n", info->name);
    for (const Property *p = info->props; p && p->name; p++) {
        fprintf(f, "  %-20s <%s>", p->name, prop_type_name(p->type));
        if (p->desc) {
            fprintf(f, "  - %s", p->desc);
        }
        switch (p->type) {
        case PROP_BOOL:
            fprintf(f, " (default: %s)", p->defval ? "on" : "off");
            break;
        case PROP_STRING:
            if (p->defstr) {
                fprintf(f, " (default: \"%s\")", p->defstr);
            }
            break;
        case PROP_CHARDEV:
            break;
        case PROP_I32:
            fprintf(f, " (default: %d)", (int32_t)p->defval);
            break;
        default:
            fprintf(f, " (default: 0x%llx)", (unsigned long long)p->defval);
            break;
        }
        fputc('\n', f);
    }
}

static const Property *find_prop(const DeviceInfo *info, const char *name)
{
    for (const Property *p = info->props; p && p->name; p++) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

static void prop_set_default(DeviceState *dev, const Property *p)
{
    void *field = (char *)dev + p->offset;
    switch (p->type) {
    case PROP_BOOL: *(bool *)field = p->defval != 0; break;
    case PROP_U8: *(uint8_t *)field = p->defval; break;
    case PROP_U16: *(uint16_t *)field = p->defval; break;
    case PROP_U32: *(uint32_t *)field = p->defval; break;
    case PROP_U64:
    case PROP_SIZE: *(uint64_t *)field = p->defval; break;
    case PROP_I32: *(int32_t *)field = p->defval; break;
    case PROP_STRING: *(char **)field = xstrdup(p->defstr); break;
    case PROP_CHARDEV: *(Chardev **)field = NULL; break;
    }
}

/* Apply "-global driver.prop=value" settings for this device type. */
static bool apply_globals(DeviceState *dev, Error **errp)
{
    const MachineConfig *cfg = dev->machine ? dev->machine->cfg : NULL;
    if (!cfg) {
        return true;
    }
    size_t nlen = strlen(dev->info->name);
    for (int i = 0; i < cfg->globals.n; i++) {
        const char *g = cfg->globals.v[i];
        if (strncmp(g, dev->info->name, nlen) || g[nlen] != '.') {
            continue;
        }
        const char *prop = g + nlen + 1;
        const char *eq = strchr(prop, '=');
        char *pname = xstrndup(prop, eq - prop);
        bool ok = device_set_prop(dev, pname, eq + 1, errp);
        free(pname);
        if (!ok) {
            error_prepend(errp, "-global %s: ", g);
            return false;
        }
    }
    return true;
}

static void device_free_unrealized(DeviceState *dev);

DeviceState *device_new(Machine *m, const char *name, Error **errp)
{
    const DeviceInfo *info = device_info_find(name);
    if (!info) {
        error_setg(errp, "-device: '%s' is not a valid device model name (try -device help)",
                   name);
        return NULL;
    }
    DeviceState *dev = xzalloc(info->size);
    dev->info = info;
    dev->machine = m;
    for (const Property *p = info->props; p && p->name; p++) {
        prop_set_default(dev, p);
    }
    if (!apply_globals(dev, errp)) {
        device_free_unrealized(dev);
        return NULL;
    }
    return dev;
}

static bool prop_parse_number(const Property *p, const char *value, uint64_t *out)
{
    if (p->type == PROP_SIZE) {
        return parse_size(value, 1, out);
    }
    if (p->type == PROP_I32) {
        char *end;
        long long v = strtoll(value, &end, 0);
        if (!*value || *end || v < INT32_MIN || v > INT32_MAX) {
            return false;
        }
        *out = (uint64_t)v;
        return true;
    }
    if (!parse_uint(value, out)) {
        return false;
    }
    uint64_t max = p->type == PROP_U8 ? UINT8_MAX : p->type == PROP_U16 ? UINT16_MAX
                 : p->type == PROP_U32 ? UINT32_MAX : UINT64_MAX;
    return *out <= max;
}

bool device_set_prop(DeviceState *dev, const char *prop, const char *value, Error **errp)
{
    const DeviceInfo *info = dev->info;
    const Property *p = find_prop(info, prop);
    if (!p) {
        error_setg(errp, "device '%s' has no property '%s' (try -device %s,help)", info->name,
                   prop, info->name);
        return false;
    }
    void *field = (char *)dev + p->offset;
    uint64_t num;
    switch (p->type) {
    case PROP_BOOL:
        if (!parse_bool(value, (bool *)field)) {
            error_setg(errp, "device '%s': property '%s' expects on or off, not '%s'",
                       info->name, prop, value);
            return false;
        }
        return true;
    case PROP_STRING:
        free(*(char **)field);
        *(char **)field = xstrdup(value);
        return true;
    case PROP_CHARDEV: {
        Chardev *chr = dev->machine ? chardev_find(dev->machine->chardevs, value) : NULL;
        if (!chr) {
            error_setg(errp, "device '%s': property '%s': chardev '%s' not found", info->name,
                       prop, value);
            return false;
        }
        *(Chardev **)field = chr;
        return true;
    }
    default:
        if (!prop_parse_number(p, value, &num)) {
            error_setg(errp, "device '%s': property '%s' expects a %s value, not '%s'",
                       info->name, prop, prop_type_name(p->type), value);
            return false;
        }
        switch (p->type) {
        case PROP_U8: *(uint8_t *)field = num; break;
        case PROP_U16: *(uint16_t *)field = num; break;
        case PROP_U32: *(uint32_t *)field = num; break;
        case PROP_I32: *(int32_t *)field = (int32_t)num; break;
        default: *(uint64_t *)field = num; break;
        }
        return true;
    }
}

bool device_realize(DeviceState *dev, Error **errp)
{
    if (dev->info->realize && !dev->info->realize(dev, errp)) {
        error_prepend(errp, "device '%s': ", dev->info->name);
        return false;
    }
    dev->realized = true;
    Machine *m = dev->machine;
    if (m) {
        dev->next = NULL;
        *m->devices_tail = dev;
        m->devices_tail = &dev->next;
    }
    device_reset(dev);
    return true;
}

void device_destroy(DeviceState *dev)
{
    if (dev->realized && dev->info->unrealize) {
        dev->info->unrealize(dev);
    }
    dev->realized = false;
    device_free_unrealized(dev);
}

static void device_free_unrealized(DeviceState *dev)
{
    for (const Property *p = dev->info->props; p && p->name; p++) {
        if (p->type == PROP_STRING) {
            free(*(char **)((char *)dev + p->offset));
        }
    }
    free(dev->id);
    free(dev);
}

DeviceState *device_create_from_optstr(Machine *m, const char *optstr, Error **errp)
{
    Opts *opts = opts_parse(optstr, "driver", errp);
    if (!opts) {
        return NULL;
    }
    const char *driver = opts_get(opts, "driver");
    DeviceState *dev = NULL;
    if (!driver) {
        error_setg(errp, "-device: no device name given");
        goto out;
    }
    dev = device_new(m, driver, errp);
    if (!dev) {
        goto out;
    }
    if (dev->info->no_user) {
        error_setg(errp, "-device: '%s' cannot be created by the user", driver);
        goto fail;
    }
    for (int i = 0; i < opts->nr; i++) {
        KeyVal *kv = &opts->items[i];
        if (!strcmp(kv->key, "driver")) {
            continue;
        }
        if (!strcmp(kv->key, "id")) {
            free(dev->id);
            dev->id = xstrdup(kv->value);
            continue;
        }
        if (!device_set_prop(dev, kv->key, kv->value, errp)) {
            goto fail;
        }
    }
    if (!device_realize(dev, errp)) {
        goto fail;
    }
    goto out;
fail:
    device_free_unrealized(dev);
    dev = NULL;
out:
    opts_free(opts);
    return dev;
}

DeviceState *device_create_simple(Machine *m, const char *name)
{
    Error *err = NULL;
    DeviceState *dev = device_new(m, name, &err);
    if (!dev || !device_realize(dev, &err)) {
        error_report_err(err);
        abort();
    }
    return dev;
}

void device_reset(DeviceState *dev)
{
    if (dev->info->reset) {
        dev->info->reset(dev);
    }
}
