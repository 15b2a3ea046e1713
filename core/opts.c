/* QEMU-style key=value option strings. */
#include "core/opts.h"

/* Read one item up to an unescaped ',' ("'',,'' is a literal comma"). */
static const char *opts_read_item(const char *p, char **out)
{
    size_t cap = strlen(p) + 1, len = 0;
    char *buf = xmalloc(cap);
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                buf[len++] = ',';
                p += 2;
                continue;
            }
            break;
        }
        buf[len++] = *p++;
    }
    buf[len] = 0;
    *out = buf;
    return p;
}

static void opts_add(Opts *opts, char *key, char *value)
{
    opts->items = xrealloc(opts->items, (opts->nr + 1) * sizeof(KeyVal));
    opts->items[opts->nr++] = (KeyVal){.key = key, .value = value};
}

Opts *opts_parse(const char *str, const char *implied_key, Error **errp)
{
    Opts *opts = XNEW(Opts);
    const char *p = str ? str : "";
    bool first = true;
    while (*p) {
        char *item;
        p = opts_read_item(p, &item);
        if (*p == ',') {
            p++;
        }
        char *eq = strchr(item, '=');
        if (first && implied_key && !eq) {
            opts_add(opts, xstrdup(implied_key), item);
        } else if (eq) {
            *eq = 0;
            if (!*item) {
                error_setg(errp, "empty parameter name in '%s'", str);
                free(item);
                opts_free(opts);
                return NULL;
            }
            opts_add(opts, xstrdup(item), xstrdup(eq + 1));
            free(item);
        } else if (*item) {
            /* A bare "flag" means flag=on, as in QEMU. */
            opts_add(opts, item, xstrdup("on"));
        } else {
            free(item);
        }
        first = false;
    }
    return opts;
}

void opts_free(Opts *opts)
{
    if (!opts) {
        return;
    }
    for (int i = 0; i < opts->nr; i++) {
        free(opts->items[i].key);
        free(opts->items[i].value);
    }
    free(opts->items);
    free(opts);
}

const char *opts_get(Opts *opts, const char *key)
{
    const char *val = NULL;
    for (int i = 0; i < opts->nr; i++) {
        if (!strcmp(opts->items[i].key, key)) {
            opts->items[i].used = true;
            val = opts->items[i].value;
        }
    }
    return val;
}

bool opts_has(Opts *opts, const char *key)
{
    return opts_get(opts, key) != NULL;
}

bool opts_get_bool(Opts *opts, const char *key, bool def, bool *out, Error **errp)
{
    const char *v = opts_get(opts, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_bool(v, out)) {
        error_setg(errp, "parameter '%s' expects on or off, not '%s'", key, v);
        return false;
    }
    return true;
}

bool opts_get_uint(Opts *opts, const char *key, uint64_t def, uint64_t *out, Error **errp)
{
    const char *v = opts_get(opts, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_uint(v, out)) {
        error_setg(errp, "parameter '%s' expects a number, not '%s'", key, v);
        return false;
    }
    return true;
}

bool opts_get_size(Opts *opts, const char *key, uint64_t def, uint64_t *out, Error **errp)
{
    const char *v = opts_get(opts, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_size(v, 1, out)) {
        error_setg(errp, "parameter '%s' expects a size, not '%s'", key, v);
        return false;
    }
    return true;
}

bool opts_check_unused(Opts *opts, const char *what, Error **errp)
{
    for (int i = 0; i < opts->nr; i++) {
        if (!opts->items[i].used) {
            error_setg(errp, "%s: unknown parameter '%s'", what, opts->items[i].key);
            return false;
        }
    }
    return true;
}
