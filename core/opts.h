/*
 * QEMU-style "key=value,key=value" option strings.  ",," is a literal comma
 * inside a value.  The first item may omit "key=" when the option has an
 * implied key (e.g. "-device rtl8139,..." implies driver=rtl8139).
 * Every lookup marks the key used, so opts_check_unused() can reject
 * parameters nobody understood instead of silently ignoring them.
 */
#ifndef CORE_OPTS_H
#define CORE_OPTS_H

#include "core/common.h"

typedef struct KeyVal {
    char *key;
    char *value;
    bool used;
} KeyVal;

typedef struct Opts {
    KeyVal *items;
    int nr;
} Opts;

/* implied_key may be NULL; then every item must have '='. */
Opts *opts_parse(const char *str, const char *implied_key, Error **errp);
void opts_free(Opts *opts);
/* Returns the last value given for key, or NULL; marks all of them used. */
const char *opts_get(Opts *opts, const char *key);
bool opts_has(Opts *opts, const char *key);
/* Typed getters: return false (with errp set naming option and key) on a bad value. */
bool opts_get_bool(Opts *opts, const char *key, bool def, bool *out, Error **errp);
bool opts_get_uint(Opts *opts, const char *key, uint64_t def, uint64_t *out, Error **errp);
bool opts_get_size(Opts *opts, const char *key, uint64_t def, uint64_t *out, Error **errp);
/* Fail naming the first key nobody looked at: "WHAT: unknown parameter 'KEY'". */
bool opts_check_unused(Opts *opts, const char *what, Error **errp);

#endif
