/*
 * Common definitions used everywhere in Osprey: fixed-width types, small
 * macros, allocation that never returns NULL, and the Error value that
 * carries one human-readable message up to whoever reports it.
 */
#ifndef CORE_COMMON_H
#define CORE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))

/* Allocation: out of memory is fatal, so callers never check for NULL. */
void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_FMT(1, 2);
#define XNEW(type) ((type *)xzalloc(sizeof(type)))

/*
 * Errors propagate as values.  A function that can fail takes Error **errp
 * as its last argument and returns false/NULL/-1 on failure after calling
 * error_setg().  errp may be NULL when the caller does not care.
 */
typedef struct Error {
    char *msg;
} Error;

void error_setg(Error **errp, const char *fmt, ...) PRINTF_FMT(2, 3);
void error_prepend(Error **errp, const char *fmt, ...) PRINTF_FMT(2, 3);
void error_free(Error *err);
/* Print "osprey: MSG" on stderr and free the error. */
void error_report_err(Error *err);
/* Print "osprey: MSG" on stderr. */
void error_report(const char *fmt, ...) PRINTF_FMT(1, 2);
/* Print "osprey: warning: MSG" on stderr. */
void warn_report(const char *fmt, ...) PRINTF_FMT(1, 2);

/*
 * Parse a size with an optional K/M/G/T suffix (binary multiples) into
 * bytes.  default_unit applies when there is no suffix (QEMU's -m takes
 * MiB by default).  Returns false on a malformed value or overflow.
 */
bool parse_size(const char *str, uint64_t default_unit, uint64_t *out);
/* Parse an unsigned integer in C syntax (decimal, 0x hex, 0 octal). */
bool parse_uint(const char *str, uint64_t *out);
/* Parse on/off/yes/no/true/false. */
bool parse_bool(const char *str, bool *out);

/* Monotonic host time in nanoseconds. */
int64_t host_clock_monotonic_ns(void);
/* Wall-clock time in nanoseconds since the epoch. */
int64_t host_clock_realtime_ns(void);

/* Little-endian helpers for device and memory code. */
static inline uint16_t lduw_le_p(const void *p)
{
    const uint8_t *b = p;
    return b[0] | (uint16_t)b[1] << 8;
}
static inline uint32_t ldl_le_p(const void *p)
{
    const uint8_t *b = p;
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t ldq_le_p(const void *p)
{
    return ldl_le_p(p) | (uint64_t)ldl_le_p((const uint8_t *)p + 4) << 32;
}
static inline void stw_le_p(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v;
    b[1] = v >> 8;
}
static inline void stl_le_p(void *p, uint32_t v)
{
    stw_le_p(p, v);
    stw_le_p((uint8_t *)p + 2, v >> 16);
}
static inline void stq_le_p(void *p, uint64_t v)
{
    stl_le_p(p, v);
    stl_le_p((uint8_t *)p + 4, v >> 32);
}
/* Load/store of 1, 2, 4 or 8 bytes, little-endian. */
static inline uint64_t ldn_le_p(const void *p, unsigned size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: return lduw_le_p(p);
    case 4: return ldl_le_p(p);
    default: return ldq_le_p(p);
    }
}
static inline void stn_le_p(void *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)p = v; break;
    case 2: stw_le_p(p, v); break;
    case 4: stl_le_p(p, v); break;
    default: stq_le_p(p, v); break;
    }
}

#endif
