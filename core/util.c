/* Allocation, error values, and small parsers shared by all of Osprey. */
#include "core/common.h"

#include <errno.h>
#include <time.h>

static NORETURN void out_of_memory(size_t size)
{
    fprintf(stderr, "osprey: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

void *xzalloc(size_t size)
{
    return xcalloc(1, size);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        out_of_memory(n * size);
    }
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0) {
        out_of_memory(strlen(fmt));
    }
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    if (!errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (*errp) {
        /* Keep the first error: it is the cause. */
        free(msg);
        return;
    }
    *errp = XNEW(Error);
    (*errp)->msg = msg;
}

void error_prepend(Error **errp, const char *fmt, ...)
{
    if (!errp || !*errp) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *prefix = xvasprintf(fmt, ap);
    va_end(ap);
    char *msg = xasprintf("%s%s", prefix, (*errp)->msg);
    free(prefix);
    free((*errp)->msg);
    (*errp)->msg = msg;
}

void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err);
    }
}

void error_report_err(Error *err)
{
    error_report("%s", err ? err->msg : "unknown error");
    error_free(err);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("osprey: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("osprey: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool parse_uint(const char *str, uint64_t *out)
{
    if (!str || !*str || *str == '-' || *str == '+' || *str == ' ') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(str, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

bool parse_size(const char *str, uint64_t default_unit, uint64_t *out)
{
    if (!str || !*str || *str == '-' || *str == '+' || *str == ' ') {
        return false;
    }
    char *end;
    errno = 0;
    double num = strtod(str, &end);
    if (errno || end == str || num < 0) {
        return false;
    }
    uint64_t unit = default_unit;
    if (*end) {
        switch (*end) {
        case 'b': case 'B': unit = 1; break;
        case 'k': case 'K': unit = 1ULL << 10; break;
        case 'm': case 'M': unit = 1ULL << 20; break;
        case 'g': case 'G': unit = 1ULL << 30; break;
        case 't': case 'T': unit = 1ULL << 40; break;
        default: return false;
        }
        end++;
        /* Accept "512MiB"-style and "512MB"-style suffixes too. */
        if (unit != 1 && (*end == 'i' || *end == 'I')) {
            end++;
        }
        if (unit != 1 && (*end == 'b' || *end == 'B')) {
            end++;
        }
        if (*end) {
            return false;
        }
    }
    double bytes = num * (double)unit;
    if (bytes >= 18446744073709551615.0 || bytes != (double)(uint64_t)bytes) {
        /* overflow, or a fraction of a byte */
        return false;
    }
    *out = (uint64_t)bytes;
    return true;
}

bool parse_bool(const char *str, bool *out)
{
    static const char *const yes[] = {"on", "yes", "true", "y", "1"};
    static const char *const no[] = {"off", "no", "false", "n", "0"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(str, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcmp(str, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

int64_t host_clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t host_clock_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
