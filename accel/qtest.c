/*
 * The qtest accelerator: a machine with no CPU, driven over a chardev by a
 * line protocol, so devices can be tested at register level.  Where it
 * overlaps with QEMU's qtest protocol it uses the same commands and
 * replies, so test drivers written for one can talk to the other.
 *
 * Every command line gets exactly one reply line, "OK [value]" or
 * "FAIL reason".  Interrupt lines being intercepted add asynchronous
 * "IRQ raise N" / "IRQ lower N" lines, sent when the line changes, which is
 * before the reply of the command that changed it.  Blank lines are ignored.
 *
 *   outb|outw|outl PORT VAL        -> OK
 *   inb|inw|inl PORT               -> OK 0xVAL
 *   writeb|writew|writel|writeq ADDR VAL -> OK
 *   readb|readw|readl|readq ADDR   -> OK 0xVAL (16 hex digits)
 *   read ADDR LEN                  -> OK 0xHEXBYTES
 *   write ADDR LEN 0xHEXBYTES      -> OK (missing trailing bytes are zero)
 *   memset ADDR LEN BYTE           -> OK
 *   clock_step [NS]                -> OK NOW (without NS: to the next timer deadline)
 *   clock_set NS                   -> OK NOW
 *   irq_intercept_in NAME          -> OK, then IRQ lines for the group's lines
 *   irq_intercept_out NAME         -> the same (watching never disconnects a line)
 *   irq_get N                      -> OK 0|1, the level of ISA IRQ N
 *   irq_get NAME N                 -> OK 0|1, the level of line N of group NAME
 *   set_irq_in NAME N LEVEL        -> OK, after driving line N of NAME to LEVEL (0|1)
 *   intr_ack CPU                   -> OK VECTOR: the INTA cycle CPU would run now, or
 *                                     OK -1 when its INTR request is not raised
 *   endianness                     -> OK little
 *
 * NAME is a group of interrupt lines the machine registered
 * (machine_add_named_irqs): "isa" is ISA IRQ 0-15, as both the devices' outputs
 * and the interrupt controllers' inputs; the pc board adds "pic-intr", the
 * 8259's INTR output (line 0).  The IRQ lines carry only the line number, so a
 * test watching several groups at once must tell them apart itself.
 * set_irq_in goes through irq_set, so the line's receiver sees the change as
 * if its device had made it.
 *
 * PIO and memory go through the machine's address spaces with the same
 * dispatch the CPU uses, so a test exercises exactly what a guest would.
 * When the driver hangs up (a backend reporting CHR_EVENT_CLOSED, e.g. a
 * socket), the emulator exits with status 0: a test harness that dies must
 * not leave emulators behind.
 */
#include "accel/accel.h"
#include "core/options.h"
#include "core/timer.h"
#include "cpu/x86/cpu.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>

/* Longest command accepted; the longest useful one is "write" with its hex data. */
#define QTEST_MAX_LINE (1u << 20)
/* Largest "read"/"write" transfer: keeps replies and lines within bounds. */
#define QTEST_MAX_RW (QTEST_MAX_LINE / 2 - 64)
/* Largest "memset": done in chunks, bounded only to keep one command short. */
#define QTEST_MAX_MEMSET (256u << 20)
#define QTEST_MAX_ARGS 8

typedef struct QTestState QTestState;

typedef struct QTestIrqTap {
    QTestState *q;
    int line;
    int level; /* last level reported to the driver */
} QTestIrqTap;

/* One intercepted group of lines (irq_intercept_in/out NAME). */
typedef struct QTestIrqGroup {
    IRQState *lines;
    int n;
    QTestIrqTap *taps;
    struct QTestIrqGroup *next;
} QTestIrqGroup;

struct QTestState {
    Machine *m;
    CharFrontend fe;
    bool fe_attached;
    char *line;
    size_t line_len;
    const char *line_error; /* set: drop input up to the next newline, then FAIL with it */
    FILE *log;
    int64_t log_start_ns;
    QTestIrqGroup *irq_groups;
};

static void qtest_log(QTestState *q, char dir, const char *text, size_t len)
{
    if (!q->log) {
        return;
    }
    double secs = (host_clock_monotonic_ns() - q->log_start_ns) / 1e9;
    fprintf(q->log, "[%c +%.6f] %.*s\n", dir, secs, (int)len, text);
    fflush(q->log);
}

/* Send one line (text without the newline). */
static void qtest_send_line(QTestState *q, const char *text)
{
    size_t len = strlen(text);
    qtest_log(q, 'S', text, len);
    if (!q->fe_attached) {
        return;
    }
    char *buf = xmalloc(len + 1);
    memcpy(buf, text, len);
    buf[len] = '\n';
    char_fe_write_all(&q->fe, (const uint8_t *)buf, len + 1);
    free(buf);
}

static void PRINTF_FMT(2, 3) qtest_sendf(QTestState *q, const char *fmt, ...)
{
    va_list ap;
    char *text;
    va_start(ap, fmt);
    if (vasprintf(&text, fmt, ap) < 0) {
        va_end(ap);
        abort();
    }
    va_end(ap);
    qtest_send_line(q, text);
    free(text);
}

/* Interrupt interception. */

static void qtest_irq_observer(void *opaque, int n, int level)
{
    QTestIrqTap *tap = opaque;
    level = level != 0;
    if (level != tap->level) {
        tap->level = level;
        qtest_sendf(tap->q, "IRQ %s %d", level ? "raise" : "lower", tap->line);
    }
}

static void qtest_irq_intercept(QTestState *q, IRQState *lines, int n)
{
    for (QTestIrqGroup *g = q->irq_groups; g; g = g->next) {
        if (g->lines == lines) {
            return;
        }
    }
    QTestIrqGroup *g = XNEW(QTestIrqGroup);
    g->lines = lines;
    g->n = n;
    g->taps = xcalloc(n, sizeof(*g->taps));
    g->next = q->irq_groups;
    q->irq_groups = g;
    for (int i = 0; i < n; i++) {
        IRQState *irq = &lines[i];
        g->taps[i].q = q;
        g->taps[i].line = i;
        /* Report changes from here on; the driver can ask for the start with irq_get. */
        g->taps[i].level = irq_get_level(irq);
        irq->observer = qtest_irq_observer;
        irq->observer_opaque = &g->taps[i];
    }
}

static void qtest_irq_release(QTestState *q)
{
    while (q->irq_groups) {
        QTestIrqGroup *g = q->irq_groups;
        q->irq_groups = g->next;
        for (int i = 0; i < g->n; i++) {
            IRQState *irq = &g->lines[i];
            if (irq->observer == qtest_irq_observer) {
                irq->observer = NULL;
                irq->observer_opaque = NULL;
            }
        }
        free(g->taps);
        free(g);
    }
}

/* Argument parsing: every failure is a FAIL reply naming the problem. */

static bool qtest_num(QTestState *q, const char *what, const char *arg, uint64_t max,
                      uint64_t *out)
{
    if (!parse_uint(arg, out)) {
        qtest_sendf(q, "FAIL invalid %s '%s'", what, arg);
        return false;
    }
    if (*out > max) {
        qtest_sendf(q, "FAIL %s %s out of range (max 0x%" PRIx64 ")", what, arg, max);
        return false;
    }
    return true;
}

static bool qtest_nargs(QTestState *q, char **argv, int argc, int min, int max)
{
    if (argc - 1 < min || argc - 1 > max) {
        if (min == max) {
            qtest_sendf(q, "FAIL %s takes %d argument%s", argv[0], min, min == 1 ? "" : "s");
        } else {
            qtest_sendf(q, "FAIL %s takes %d to %d arguments", argv[0], min, max);
        }
        return false;
    }
    return true;
}

static uint64_t size_max(unsigned size)
{
    return size == 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

/* A range of len bytes from addr must not wrap around the address space. */
static bool qtest_range(QTestState *q, uint64_t addr, uint64_t len, uint64_t limit)
{
    if (len && (addr > limit || len - 1 > limit - addr)) {
        qtest_sendf(q, "FAIL range 0x%" PRIx64 "+0x%" PRIx64 " outside the address space",
                    addr, len);
        return false;
    }
    return true;
}

/* Commands. */

static void qtest_cmd_out(QTestState *q, char **argv, int argc, unsigned size)
{
    uint64_t port, val;
    if (!qtest_nargs(q, argv, argc, 2, 2) || !qtest_num(q, "port", argv[1], 0xffff, &port) ||
        !qtest_range(q, port, size, 0xffff) ||
        !qtest_num(q, "value", argv[2], size_max(size), &val)) {
        return;
    }
    address_space_st(&q->m->as_io, port, size, val);
    qtest_send_line(q, "OK");
}

static void qtest_cmd_in(QTestState *q, char **argv, int argc, unsigned size)
{
    uint64_t port, val = 0;
    if (!qtest_nargs(q, argv, argc, 1, 1) || !qtest_num(q, "port", argv[1], 0xffff, &port) ||
        !qtest_range(q, port, size, 0xffff)) {
        return;
    }
    /* An unassigned port reads all ones, as on the bus; that is still a reply. */
    address_space_ld(&q->m->as_io, port, size, &val);
    qtest_sendf(q, "OK 0x%04" PRIx64, val & size_max(size));
}

static void qtest_cmd_write_n(QTestState *q, char **argv, int argc, unsigned size)
{
    uint64_t addr, val;
    if (!qtest_nargs(q, argv, argc, 2, 2) ||
        !qtest_num(q, "address", argv[1], UINT64_MAX, &addr) ||
        !qtest_range(q, addr, size, UINT64_MAX) ||
        !qtest_num(q, "value", argv[2], size_max(size), &val)) {
        return;
    }
    address_space_st(&q->m->as_memory, addr, size, val);
    qtest_send_line(q, "OK");
}

static void qtest_cmd_read_n(QTestState *q, char **argv, int argc, unsigned size)
{
    uint64_t addr, val = 0;
    if (!qtest_nargs(q, argv, argc, 1, 1) ||
        !qtest_num(q, "address", argv[1], UINT64_MAX, &addr) ||
        !qtest_range(q, addr, size, UINT64_MAX)) {
        return;
    }
    address_space_ld(&q->m->as_memory, addr, size, &val);
    qtest_sendf(q, "OK 0x%016" PRIx64, val & size_max(size));
}

static void qtest_cmd_read(QTestState *q, char **argv, int argc)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t addr, len;
    if (!qtest_nargs(q, argv, argc, 2, 2) ||
        !qtest_num(q, "address", argv[1], UINT64_MAX, &addr) ||
        !qtest_num(q, "length", argv[2], QTEST_MAX_RW, &len) ||
        !qtest_range(q, addr, len, UINT64_MAX)) {
        return;
    }
    uint8_t *data = xmalloc(len);
    address_space_read(&q->m->as_memory, addr, data, len);
    char *text = xmalloc(5 + 2 * len + 1); /* "OK 0x", the digits, NUL */
    memcpy(text, "OK 0x", 5);
    for (uint64_t i = 0; i < len; i++) {
        text[5 + 2 * i] = hex[data[i] >> 4];
        text[6 + 2 * i] = hex[data[i] & 15];
    }
    text[5 + 2 * len] = 0;
    qtest_send_line(q, text);
    free(text);
    free(data);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void qtest_cmd_write(QTestState *q, char **argv, int argc)
{
    uint64_t addr, len;
    if (!qtest_nargs(q, argv, argc, 3, 3) ||
        !qtest_num(q, "address", argv[1], UINT64_MAX, &addr) ||
        !qtest_num(q, "length", argv[2], QTEST_MAX_RW, &len) ||
        !qtest_range(q, addr, len, UINT64_MAX)) {
        return;
    }
    const char *digits = argv[3];
    if (digits[0] != '0' || (digits[1] != 'x' && digits[1] != 'X')) {
        qtest_send_line(q, "FAIL write data must start with 0x");
        return;
    }
    digits += 2;
    size_t ndigits = strlen(digits);
    if (ndigits % 2 || ndigits / 2 > len) {
        qtest_sendf(q, "FAIL write data must be at most %" PRIu64 " whole bytes", len);
        return;
    }
    uint8_t *data = xzalloc(len);
    for (size_t i = 0; i < ndigits / 2; i++) {
        int hi = hex_digit(digits[2 * i]), lo = hex_digit(digits[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            qtest_send_line(q, "FAIL write data is not hexadecimal");
            free(data);
            return;
        }
        data[i] = hi << 4 | lo;
    }
    address_space_write(&q->m->as_memory, addr, data, len);
    free(data);
    qtest_send_line(q, "OK");
}

static void qtest_cmd_memset(QTestState *q, char **argv, int argc)
{
    uint64_t addr, len, val;
    if (!qtest_nargs(q, argv, argc, 3, 3) ||
        !qtest_num(q, "address", argv[1], UINT64_MAX, &addr) ||
        !qtest_num(q, "length", argv[2], QTEST_MAX_MEMSET, &len) ||
        !qtest_range(q, addr, len, UINT64_MAX) ||
        !qtest_num(q, "value", argv[3], 0xff, &val)) {
        return;
    }
    uint8_t chunk[4096];
    memset(chunk, (int)val, sizeof(chunk));
    for (uint64_t done = 0; done < len;) {
        uint64_t n = MIN(len - done, (uint64_t)sizeof(chunk));
        address_space_write(&q->m->as_memory, addr + done, chunk, n);
        done += n;
    }
    qtest_send_line(q, "OK");
}

static void qtest_cmd_clock_step(QTestState *q, char **argv, int argc)
{
    Clock *clock = machine_vclock(q->m);
    int64_t now = clock_get_ns(clock);
    uint64_t ns;
    if (!qtest_nargs(q, argv, argc, 0, 1)) {
        return;
    }
    if (argc == 2) {
        if (!qtest_num(q, "nanoseconds", argv[1], (uint64_t)(INT64_MAX - now), &ns)) {
            return;
        }
    } else {
        /* No argument: just far enough for the next timer to run. */
        int64_t deadline = clock_deadline_ns(clock);
        ns = deadline > now ? (uint64_t)(deadline - now) : 0;
    }
    clock_step(clock, (int64_t)ns);
    qtest_sendf(q, "OK %" PRIi64, clock_get_ns(clock));
}

static void qtest_cmd_clock_set(QTestState *q, char **argv, int argc)
{
    Clock *clock = machine_vclock(q->m);
    int64_t now = clock_get_ns(clock);
    uint64_t target;
    if (!qtest_nargs(q, argv, argc, 1, 1) ||
        !qtest_num(q, "nanoseconds", argv[1], INT64_MAX, &target)) {
        return;
    }
    if ((int64_t)target < now) {
        qtest_sendf(q, "FAIL clock_set: the virtual clock is already at %" PRIi64, now);
        return;
    }
    clock_step(clock, (int64_t)target - now);
    qtest_sendf(q, "OK %" PRIi64, clock_get_ns(clock));
}

/* The named group of lines, or NULL after a FAIL reply that lists the known names. */
static IRQState *qtest_irq_group(QTestState *q, const char *cmd, const char *name, int *n)
{
    IRQState *lines = machine_find_named_irqs(q->m, name, n);
    if (lines) {
        return lines;
    }
    char known[256] = "";
    size_t used = 0;
    for (NamedIrqGroup *g = q->m->named_irqs; g && used < sizeof(known); g = g->next) {
        int len = snprintf(known + used, sizeof(known) - used, "%s%s", used ? ", " : "",
                           g->name);
        used += len > 0 ? (size_t)len : 0;
    }
    qtest_sendf(q, "FAIL %s: unknown interrupt controller '%.64s' (known: %s)", cmd, name,
                known);
    return NULL;
}

static void qtest_cmd_irq_intercept(QTestState *q, char **argv, int argc)
{
    int n;
    if (!qtest_nargs(q, argv, argc, 1, 1)) {
        return;
    }
    IRQState *lines = qtest_irq_group(q, argv[0], argv[1], &n);
    if (!lines) {
        return;
    }
    qtest_irq_intercept(q, lines, n);
    qtest_send_line(q, "OK");
}

static void qtest_cmd_irq_get(QTestState *q, char **argv, int argc)
{
    uint64_t line;
    int n;
    if (!qtest_nargs(q, argv, argc, 1, 2)) {
        return;
    }
    const char *name = argc == 3 ? argv[1] : "isa";
    IRQState *lines = qtest_irq_group(q, argv[0], name, &n);
    if (!lines || !qtest_num(q, "irq", argv[argc - 1], n - 1, &line)) {
        return;
    }
    qtest_sendf(q, "OK %d", irq_get_level(&lines[line]) ? 1 : 0);
}

static void qtest_cmd_set_irq_in(QTestState *q, char **argv, int argc)
{
    uint64_t line, level;
    int n;
    if (!qtest_nargs(q, argv, argc, 3, 3)) {
        return;
    }
    IRQState *lines = qtest_irq_group(q, argv[0], argv[1], &n);
    if (!lines || !qtest_num(q, "irq", argv[2], n - 1, &line) ||
        !qtest_num(q, "level", argv[3], 1, &level)) {
        return;
    }
    irq_set(&lines[line], (int)level);
    qtest_send_line(q, "OK");
}

/* What a vCPU with IF=1 would do at its next instruction boundary. */
static void qtest_cmd_intr_ack(QTestState *q, char **argv, int argc)
{
    uint64_t n;
    if (!qtest_nargs(q, argv, argc, 1, 1) ||
        !qtest_num(q, "cpu", argv[1], (uint64_t)MAX(q->m->nr_cpus - 1, 0), &n)) {
        return;
    }
    CPUX86State *env = q->m->cpus[n];
    if (!env) {
        qtest_send_line(q, "FAIL this machine has no CPUs");
        return;
    }
    int vec = -1;
    if ((env->interrupt_request & CPU_INTERRUPT_HARD) && env->intr_ops && env->intr_ops->ack) {
        vec = env->intr_ops->ack(env->intr_opaque);
    }
    qtest_sendf(q, "OK %d", vec);
}

static unsigned access_size(char suffix)
{
    switch (suffix) {
    case 'b': return 1;
    case 'w': return 2;
    case 'l': return 4;
    case 'q': return 8;
    default: return 0;
    }
}

static void qtest_dispatch(QTestState *q, char **argv, int argc)
{
    const char *cmd = argv[0];
    size_t len = strlen(cmd);
    unsigned size = len ? access_size(cmd[len - 1]) : 0;

    if (len == 4 && !strncmp(cmd, "out", 3) && size && size <= 4) {
        qtest_cmd_out(q, argv, argc, size);
    } else if (len == 3 && !strncmp(cmd, "in", 2) && size && size <= 4) {
        qtest_cmd_in(q, argv, argc, size);
    } else if (len == 6 && !strncmp(cmd, "write", 5) && size) {
        qtest_cmd_write_n(q, argv, argc, size);
    } else if (len == 5 && !strncmp(cmd, "read", 4) && size) {
        qtest_cmd_read_n(q, argv, argc, size);
    } else if (!strcmp(cmd, "read")) {
        qtest_cmd_read(q, argv, argc);
    } else if (!strcmp(cmd, "write")) {
        qtest_cmd_write(q, argv, argc);
    } else if (!strcmp(cmd, "memset")) {
        qtest_cmd_memset(q, argv, argc);
    } else if (!strcmp(cmd, "clock_step")) {
        qtest_cmd_clock_step(q, argv, argc);
    } else if (!strcmp(cmd, "clock_set")) {
        qtest_cmd_clock_set(q, argv, argc);
    } else if (!strcmp(cmd, "irq_intercept_in") || !strcmp(cmd, "irq_intercept_out")) {
        qtest_cmd_irq_intercept(q, argv, argc);
    } else if (!strcmp(cmd, "irq_get")) {
        qtest_cmd_irq_get(q, argv, argc);
    } else if (!strcmp(cmd, "intr_ack")) {
        qtest_cmd_intr_ack(q, argv, argc);
    } else if (!strcmp(cmd, "set_irq_in")) {
        qtest_cmd_set_irq_in(q, argv, argc);
    } else if (!strcmp(cmd, "endianness")) {
        if (qtest_nargs(q, argv, argc, 0, 0)) {
            qtest_send_line(q, "OK little");
        }
    } else {
        qtest_sendf(q, "FAIL unknown command '%.64s'", cmd);
    }
}

static void qtest_process_line(QTestState *q, char *line, size_t len)
{
    if (len && line[len - 1] == '\r') {
        line[--len] = 0;
    }
    qtest_log(q, 'R', line, len);

    char *argv[QTEST_MAX_ARGS + 1];
    int argc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (argc == QTEST_MAX_ARGS) {
            qtest_send_line(q, "FAIL too many arguments");
            return;
        }
        argv[argc++] = tok;
    }
    if (argc == 0) {
        return;
    }
    argv[argc] = NULL;
    qtest_dispatch(q, argv, argc);
}

/* Chardev side. */

static int qtest_can_receive(void *opaque)
{
    return 4096;
}

static void qtest_receive(void *opaque, const uint8_t *buf, int len)
{
    QTestState *q = opaque;
    for (int i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n') {
            if (q->line_error) {
                qtest_log(q, 'R', q->line, MIN(q->line_len, (size_t)80));
                qtest_sendf(q, "FAIL %s", q->line_error);
                q->line_error = NULL;
            } else {
                q->line[q->line_len] = 0;
                qtest_process_line(q, q->line, q->line_len);
            }
            q->line_len = 0;
        } else if (q->line_error) {
            continue;
        } else if (c == 0) {
            /* A NUL would silently cut the command short: refuse the whole line. */
            q->line_error = "NUL byte in command";
        } else if (q->line_len == QTEST_MAX_LINE) {
            q->line_error = "command longer than 1 MiB";
        } else {
            q->line[q->line_len++] = c;
        }
    }
}

static void qtest_event(void *opaque, ChardevEvent event)
{
    QTestState *q = opaque;
    switch (event) {
    case CHR_EVENT_OPENED:
        q->line_len = 0;
        q->line_error = NULL;
        qtest_log(q, 'I', "connection opened", 17);
        break;
    case CHR_EVENT_CLOSED:
        qtest_log(q, 'I', "connection closed", 17);
        machine_request_exit(q->m, 0);
        break;
    default:
        break;
    }
}

/* AccelOps. */

static bool qtest_available(char **why)
{
    return true;
}

static void qtest_destroy(Machine *m)
{
    QTestState *q = m->accel_state;
    if (!q) {
        return;
    }
    qtest_irq_release(q);
    if (q->fe_attached) {
        char_fe_deinit(&q->fe);
    }
    if (q->log && q->log != stderr && q->log != stdout) {
        fclose(q->log);
    }
    free(q->line);
    free(q);
    m->accel_state = NULL;
}

static bool qtest_init(Machine *m, const char *opts, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    if (opts && *opts) {
        error_setg(errp, "-accel qtest: unknown option '%s'", opts);
        return false;
    }
    QTestState *q = XNEW(QTestState);
    q->m = m;
    q->line = xmalloc(QTEST_MAX_LINE + 1);
    q->log_start_ns = host_clock_monotonic_ns();
    m->accel_state = q;

    /* No CPU runs, so guest time moves only when the test says so. */
    clock_set_manual(machine_vclock(m), true);

    if (cfg && cfg->qtest_log) {
        q->log = fopen(cfg->qtest_log, "w");
        if (!q->log) {
            error_setg(errp, "-qtest-log %s: %s", cfg->qtest_log, strerror(errno));
            qtest_destroy(m);
            return false;
        }
    }
    if (cfg && cfg->qtest) {
        Chardev *chr = chardev_new_from_spec(m->chardevs, "qtest", cfg->qtest, errp);
        if (!chr || !char_fe_init(&q->fe, chr, errp)) {
            error_prepend(errp, "-qtest %s: ", cfg->qtest);
            qtest_destroy(m);
            return false;
        }
        q->fe_attached = true;
        char_fe_set_handlers(&q->fe, qtest_can_receive, qtest_receive, qtest_event, q);
    }
    return true;
}

static void qtest_kick(Machine *m)
{
    /* No vCPU to kick: the main loop already wakes for chardev input. */
}

static void qtest_reset(Machine *m)
{
    /* No vCPU state to reset. */
}

static const AccelOps qtest_accel_ops = {
    .name = "qtest",
    .available = qtest_available,
    .init = qtest_init,
    .run_slice = NULL,
    .kick = qtest_kick,
    .reset = qtest_reset,
    .destroy = qtest_destroy,
};
ACCEL_REGISTER(qtest_accel_ops);
