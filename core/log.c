/* -d categories and -D file. */
#include "core/log.h"

#include <errno.h>

unsigned osprey_log_mask;
bool osprey_perfmap;
static FILE *log_out;

static const struct {
    const char *name;
    unsigned mask;
    const char *help;
} log_items[] = {
    {"guest_errors", LOG_GUEST_ERROR, "log when the guest does something invalid"},
    {"unimp", LOG_UNIMP, "log unimplemented functionality"},
    {"in_asm", LOG_IN_ASM, "show target assembly code for each compiled TB"},
    {"op", LOG_OP, "show micro ops (IR) for each compiled TB"},
    {"out_asm", LOG_OUT_ASM, "show generated host code / bytecode"},
    {"int", LOG_INT, "show interrupts/exceptions"},
    {"exec", LOG_EXEC, "show trace before each executed TB"},
    {"cpu", LOG_CPU, "show CPU registers before entering a TB"},
    {"pcall", LOG_PCALL, "x86 only: show protected mode far calls/returns/exceptions"},
    {"mmu", LOG_MMU, "log MMU-related activities"},
    {"ioport", LOG_IOPORT, "show all i/o port accesses"},
    {"trace", LOG_TRACE, "device-level tracing"},
    {"tb_stats", LOG_TB_STATS,
     "at exit: hottest blocks, helper calls, TLB and exit counts (counts each block entry)"},
    {"tb_summary", LOG_TB_SUMMARY,
     "at exit: one 'osprey-stats:' line of DBT counters (no cost while running)"},
};

void log_print_help(FILE *f)
{
    fprintf(f, "Log items (comma separated):\n");
    for (size_t i = 0; i < ARRAY_SIZE(log_items); i++) {
        fprintf(f, "%-15s %s\n", log_items[i].name, log_items[i].help);
    }
}

bool log_set_mask_str(const char *str, Error **errp)
{
    unsigned mask = 0;
    char *copy = xstrdup(str);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t i = 0; i < ARRAY_SIZE(log_items); i++) {
            if (!strcmp(tok, log_items[i].name)) {
                mask |= log_items[i].mask;
                found = true;
            }
        }
        if (!strcmp(tok, "all")) {
            mask = ~0u;
            found = true;
        }
        if (!found) {
            error_setg(errp, "-d: unknown log item '%s' (try -d help)", tok);
            free(copy);
            return false;
        }
    }
    free(copy);
    osprey_log_mask = mask;
    return true;
}

bool log_set_file(const char *path, Error **errp)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        error_setg(errp, "-D: cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_out && log_out != stderr) {
        fclose(log_out);
    }
    log_out = f;
    return true;
}

FILE *log_file(void)
{
    return log_out ? log_out : stderr;
}

void log_vprintf(const char *fmt, va_list ap)
{
    vfprintf(log_file(), fmt, ap);
}

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(fmt, ap);
    va_end(ap);
}

void log_flush(void)
{
    fflush(log_file());
}
