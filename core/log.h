/*
 * Logging with -d categories and -D file.  The mask is process-wide
 * configuration, set once at start-up, so hot paths test one global word.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include "core/common.h"

enum {
    LOG_GUEST_ERROR = 1 << 0, /* guest did something the hardware rejects */
    LOG_UNIMP = 1 << 1,       /* guest used something Osprey does not implement */
    LOG_IN_ASM = 1 << 2,      /* guest instructions of each translated block */
    LOG_OP = 1 << 3,          /* IR of each block */
    LOG_OUT_ASM = 1 << 4,     /* generated host code / bytecode */
    LOG_INT = 1 << 5,         /* interrupts and exceptions */
    LOG_EXEC = 1 << 6,        /* each block executed */
    LOG_CPU = 1 << 7,         /* CPU state before each block */
    LOG_PCALL = 1 << 8,       /* protected-mode far calls */
    LOG_MMU = 1 << 9,         /* page-walk faults */
    LOG_IOPORT = 1 << 10,     /* PIO accesses */
    LOG_TRACE = 1 << 11,      /* device-level tracing */
    LOG_TB_STATS = 1 << 12,   /* DBT profile at exit: hot blocks, helpers, TLB, exits */
    LOG_TB_SUMMARY = 1 << 13, /* one machine-readable DBT statistics line at exit */
};

extern unsigned osprey_log_mask;
/* -perfmap: write /tmp/perf-PID.map naming each translated block (process-wide, set once). */
extern bool osprey_perfmap;

#define log_enabled(mask) unlikely(osprey_log_mask &(mask))
void log_printf(const char *fmt, ...) PRINTF_FMT(1, 2);
void log_vprintf(const char *fmt, va_list ap);
#define log_mask(mask, ...)              \
    do {                                 \
        if (log_enabled(mask)) {         \
            log_printf(__VA_ARGS__);     \
        }                                \
    } while (0)
#define log_guest_error(...) log_mask(LOG_GUEST_ERROR, __VA_ARGS__)
#define log_unimp(...) log_mask(LOG_UNIMP, __VA_ARGS__)

/* Parse "-d" items ("guest_errors,int"); "help" lists them on stdout. */
bool log_set_mask_str(const char *str, Error **errp);
void log_print_help(FILE *f);
/* "-D file": where log output goes (stderr by default). */
bool log_set_file(const char *path, Error **errp);
FILE *log_file(void);
void log_flush(void);

#endif
