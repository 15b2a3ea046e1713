/*
 * The human monitor (HMP): a line editor on a chardev, a command table,
 * and the monitor plumbing HMP and QMP share (ownership, event fan-out,
 * the commands both offer).  QMP itself is in qmp.c.
 *
 * Commands and their output follow QEMU's HMP, so people and scripts that
 * drive "(qemu) " prompts can drive "(osprey) " ones.
 */
#include "core/monitor.h"

#include "core/json.h"
#include "hw/ide/ide.h"
#include "hw/pci/pci.h"
#include "accel/accel.h"
#include "cpu/x86/cpu.h"
#include "ui/console.h"

#define HMP_PROMPT "(osprey) "
#define HMP_LINE_MAX 1024
#define HMP_HISTORY 32
#define HMP_MAX_ARGS 32

typedef struct HmpMonitor HmpMonitor;

/* argv[0] is the command name as typed; argc counts it. */
typedef void HmpCmdFn(HmpMonitor *hmp, int argc, char **argv);

typedef struct HmpCommand {
    const char *name;   /* "cont|c": the name, then aliases after '|' */
    const char *params; /* synopsis for help, "" if none */
    const char *help;
    int min_args, max_args; /* arguments after the name */
    HmpCmdFn *fn;
    const struct HmpCommand *sub; /* a table of subcommands ("info") */
} HmpCommand;

typedef enum HmpEscState {
    HMP_ESC_NONE,
    HMP_ESC_START, /* after ESC */
    HMP_ESC_CSI,   /* after ESC [ : parameters until a final byte */
    HMP_ESC_SS3,   /* after ESC O : one more byte */
} HmpEscState;

struct HmpMonitor {
    Monitor common;
    char line[HMP_LINE_MAX + 1];
    size_t line_len;
    char *history[HMP_HISTORY]; /* oldest first */
    int history_len;
    int history_pos; /* entry being shown while browsing; history_len: the new line */
    HmpEscState esc;
    bool last_was_cr;   /* swallow the '\n' of a "\r\n" */
    bool session_open;  /* banner printed for this connection */
    bool banner_pending; /* opened while another mux frontend had the input */
    bool focused;       /* has the input (always, unless on a mux) */
    bool quitting;      /* quit was typed: ignore everything after it */
};

/* ---------------------------------------------------------------------- */
/* Shared monitor plumbing */

void monitor_write(Monitor *mon, const char *buf, size_t len)
{
    if (!mon->attached || !len) {
        return;
    }
    /* A monitor with nobody connected just drops its output, as QEMU's does. */
    char_fe_write_all(&mon->fe, (const uint8_t *)buf, (int)len);
}

void monitor_event_sink(void *opaque, const char *event, const char *data_json)
{
    Monitor *mon = opaque;
    if (mon->kind == MONITOR_QMP) {
        qmp_monitor_event(mon, event, data_json);
    }
    /* HMP does not print events, as in QEMU. */
}

void monitor_version(int *major, int *minor, int *micro)
{
    int a = 0, b = 0, c = 0;
    if (sscanf(OSPREY_VERSION, "%d.%d.%d", &a, &b, &c) < 1) {
        a = b = c = 0;
    }
    *major = a;
    *minor = b;
    *micro = c;
}

bool monitor_cmd_stop(Machine *m, Error **errp)
{
    machine_stop(m);
    return true;
}

bool monitor_cmd_cont(Machine *m, Error **errp)
{
    /* After a guest shutdown under -no-shutdown, only a reset makes sense. */
    if (m->runstate == RUN_STATE_SHUTDOWN || m->runstate == RUN_STATE_INTERNAL_ERROR) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return false;
    }
    machine_cont(m);
    return true;
}

bool monitor_cmd_system_reset(Machine *m, Error **errp)
{
    machine_request_reset(m, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return true;
}

bool monitor_cmd_system_powerdown(Machine *m, Error **errp)
{
    machine_request_powerdown(m);
    return true;
}

bool monitor_cmd_screendump(Machine *m, const char *file, const char *format, Error **errp)
{
    if (!m->display) {
        error_setg(errp, "There is no console to take a screendump from");
        return false;
    }
    return display_screendump(m->display, file, format, errp);
}

bool monitor_cmd_set_password(Machine *m, const char *protocol, const char *password,
                              Error **errp)
{
    if (strcmp(protocol, "vnc")) {
        error_setg(errp, "Parameter 'protocol' does not accept value '%s'", protocol);
        return false;
    }
#ifdef CONFIG_VNC
    if (m->display) {
        return vnc_display_set_password(m->display, password, errp);
    }
#endif
    error_setg(errp, "There is no VNC server");
    return false;
}

bool monitor_cmd_quit(Machine *m, Error **errp)
{
    /*
     * The main loop emits SHUTDOWN (reason host-qmp-quit) and exits with
     * status 0; -no-shutdown does not apply to a host request.
     */
    machine_request_shutdown(m, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return true;
}

bool monitor_attach(Monitor *mon, Machine *m, Chardev *chr, CharCanReadHandler can_read,
                           CharReadHandler read, CharEventHandler event, Error **errp)
{
    mon->machine = m;
    mon->fe.mux_index = -1;
    if (!char_fe_init(&mon->fe, chr, errp)) {
        return false;
    }
    mon->attached = true;
    machine_add_event_sink(m, monitor_event_sink, mon);
    char_fe_set_handlers(&mon->fe, can_read, read, event, mon);
    return true;
}

void monitor_free(Monitor *mon)
{
    if (!mon) {
        return;
    }
    if (mon->attached) {
        machine_remove_event_sink(mon->machine, monitor_event_sink, mon);
        char_fe_set_handlers(&mon->fe, NULL, NULL, NULL, NULL);
        char_fe_deinit(&mon->fe);
        mon->attached = false;
    }
    if (mon->kind == MONITOR_QMP) {
        qmp_monitor_destroy(mon);
        return;
    }
    HmpMonitor *hmp = container_of(mon, HmpMonitor, common);
    for (int i = 0; i < hmp->history_len; i++) {
        free(hmp->history[i]);
    }
    free(hmp);
}

void monitor_cleanup(Machine *m)
{
    /*
     * The machine's event-sink list is the record of its monitors (every
     * monitor registers one), so no separate list is needed.
     */
    for (;;) {
        Monitor *found = NULL;
        for (MachineHook *h = m->event_sinks; h; h = h->next) {
            if (h->fn == (void *)monitor_event_sink && ((Monitor *)h->opaque)->machine_owned) {
                found = h->opaque;
                break;
            }
        }
        if (!found) {
            return;
        }
        monitor_free(found);
    }
}

bool monitor_init_hmp(Machine *m, Chardev *chr, Error **errp)
{
    Monitor *mon = monitor_new_hmp(m, chr, errp);
    if (mon) {
        mon->machine_owned = true;
    }
    return mon != NULL;
}

bool monitor_init_qmp(Machine *m, Chardev *chr, bool pretty, Error **errp)
{
    Monitor *mon = monitor_new_qmp(m, chr, pretty, errp);
    if (mon) {
        mon->machine_owned = true;
    }
    return mon != NULL;
}

/* ---------------------------------------------------------------------- */
/* HMP output */

/* Terminals in raw mode need "\r\n"; QEMU's monitor sends it on every backend. */
static void hmp_puts(HmpMonitor *hmp, const char *s)
{
    StrBuf sb = {0};
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            strbuf_append(&sb, "\r\n", 2);
        } else {
            strbuf_append(&sb, p, 1);
        }
    }
    monitor_write(&hmp->common, sb.s, sb.len);
    strbuf_free(&sb);
}

static void PRINTF_FMT(2, 3) hmp_printf(HmpMonitor *hmp, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    hmp_puts(hmp, s);
    free(s);
}

static void hmp_report_err(HmpMonitor *hmp, Error *err)
{
    hmp_printf(hmp, "Error: %s\n", err->msg);
    error_free(err);
}

static void hmp_show_prompt(HmpMonitor *hmp)
{
    monitor_write(&hmp->common, HMP_PROMPT, strlen(HMP_PROMPT));
}

static void hmp_show_banner(HmpMonitor *hmp)
{
    hmp_printf(hmp, "Osprey %s monitor - type 'help' for more information\n", OSPREY_VERSION);
    hmp->banner_pending = false;
}

/* ---------------------------------------------------------------------- */
/* Commands */

static const HmpCommand hmp_commands[];
static const HmpCommand hmp_info_commands[];

static void hmp_help(HmpMonitor *hmp, int argc, char **argv);

static void hmp_stop(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!monitor_cmd_stop(hmp->common.machine, &err)) {
        hmp_report_err(hmp, err);
    }
}

static void hmp_cont(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!monitor_cmd_cont(hmp->common.machine, &err)) {
        hmp_report_err(hmp, err);
    }
}

/* screendump FILE [format=png|ppm], or QEMU's screendump [-f FORMAT] FILE. */
static void hmp_screendump(HmpMonitor *hmp, int argc, char **argv)
{
    const char *file = NULL, *format = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") && i + 1 < argc) {
            format = argv[++i];
        } else if (!strncmp(argv[i], "format=", 7)) {
            format = argv[i] + 7;
        } else if (!file) {
            file = argv[i];
        }
    }
    Error *err = NULL;
    if (!file) {
        hmp_printf(hmp, "screendump: missing filename\n");
    } else if (!monitor_cmd_screendump(hmp->common.machine, file, format, &err)) {
        hmp_report_err(hmp, err);
    }
}

/* change vnc password PASSWORD (the only "change" target there is so far). */
/* change vnc password PASSWORD: the VNC half of "change" (media are below). */
static void hmp_change_vnc(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (argc < 4 || strcmp(argv[2], "password")) {
        hmp_printf(hmp, "change: 'change vnc password PASSWORD' is the VNC form\n");
    } else if (!monitor_cmd_set_password(hmp->common.machine, "vnc", argv[3], &err)) {
        hmp_report_err(hmp, err);
    }
}

static void hmp_set_password(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!monitor_cmd_set_password(hmp->common.machine, argv[1], argv[2], &err)) {
        hmp_report_err(hmp, err);
    }
}

static void hmp_system_reset(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!monitor_cmd_system_reset(hmp->common.machine, &err)) {
        hmp_report_err(hmp, err);
    }
}

static void hmp_system_powerdown(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!monitor_cmd_system_powerdown(hmp->common.machine, &err)) {
        hmp_report_err(hmp, err);
    }
}

static void hmp_quit(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!monitor_cmd_quit(hmp->common.machine, &err)) {
        hmp_report_err(hmp, err);
        return;
    }
    /* No prompt and no more input: the process is on its way out. */
    hmp->quitting = true;
}

static void hmp_info_status(HmpMonitor *hmp, int argc, char **argv)
{
    Machine *m = hmp->common.machine;
    RunState rs = m->runstate;
    if (rs == RUN_STATE_RUNNING) {
        hmp_puts(hmp, "VM status: running\n");
    } else if (rs == RUN_STATE_PAUSED) {
        hmp_puts(hmp, "VM status: paused\n");
    } else {
        hmp_printf(hmp, "VM status: paused (%s)\n", runstate_name(rs));
    }
}

static void hmp_info_version(HmpMonitor *hmp, int argc, char **argv)
{
    int major, minor, micro;
    monitor_version(&major, &minor, &micro);
    hmp_printf(hmp, "%d.%d.%d (%s)\n", major, minor, micro, MONITOR_PACKAGE);
}

/* Print what a FILE-writing describer produces. */
static void hmp_print_stream(HmpMonitor *hmp, void (*describe)(Machine *m, FILE *f))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        hmp_printf(hmp, "out of memory\n");
        return;
    }
    describe(hmp->common.machine, f);
    fclose(f);
    hmp_printf(hmp, "%s", text);
    free(text);
}

static void hmp_info_mtree(HmpMonitor *hmp, int argc, char **argv)
{
    hmp_print_stream(hmp, machine_print_memory_map);
}

static void hmp_info_qtree(HmpMonitor *hmp, int argc, char **argv)
{
    hmp_print_stream(hmp, machine_print_devices);
}

/* CPU 0's registers, fetched from the accelerator first (KVM keeps them in the kernel). */
static void print_cpu_registers(Machine *m, FILE *f)
{
    if (m->nr_cpus == 0) {
        fprintf(f, "no CPU\n");
        return;
    }
    accel_cpu_state_get(m, 0);
    x86_cpu_dump_state(m->cpus[0], f);
}

static void hmp_info_registers(HmpMonitor *hmp, int argc, char **argv)
{
    hmp_print_stream(hmp, print_cpu_registers);
}

static void hmp_info_pci(HmpMonitor *hmp, int argc, char **argv)
{
    hmp_print_stream(hmp, pci_print_devices);
}

static void hmp_info_block(HmpMonitor *hmp, int argc, char **argv)
{
    hmp_print_stream(hmp, ide_print_block_info);
}

/* change DEVICE FILE [FORMAT]: a new medium in a removable drive. */
static void hmp_change(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    if (!strcmp(argv[1], "vnc")) {
        hmp_change_vnc(hmp, argc, argv);
        return;
    }
    if (!ide_change_medium(hmp->common.machine, argv[1], argv[2], argc > 3 ? argv[3] : NULL,
                           &err)) {
        hmp_report_err(hmp, err);
    }
}

/* eject [-f] DEVICE */
static void hmp_eject(HmpMonitor *hmp, int argc, char **argv)
{
    Error *err = NULL;
    bool force = argc > 2 && !strcmp(argv[1], "-f");
    if (argc > 2 && !force) {
        hmp_printf(hmp, "eject: unknown option '%s'\n", argv[1]);
        return;
    }
    if (!ide_eject(hmp->common.machine, argv[argc - 1], force, &err)) {
        hmp_report_err(hmp, err);
    }
}

/*
 * The command tables.  A new command is one line here and one function;
 * a new "info" subcommand likewise in hmp_info_commands.
 */
static const HmpCommand hmp_commands[] = {
    {"change", "device filename [format] | vnc password PASSWORD",
     "change a removable medium, or the VNC password", 2, 3, hmp_change},
    {"cont|c", "", "resume emulation", 0, 0, hmp_cont},
    {"eject", "[-f] device", "eject a removable medium (use -f to force it)", 1, 2, hmp_eject},
    {"help|?", "[cmd]", "show the help", 0, 1, hmp_help},
    {"info", "[subcommand]", "show various information about the system state", 0, 0, NULL,
     hmp_info_commands},
    {"quit|q", "", "quit the emulator", 0, 0, hmp_quit},
    {"screendump", "FILE [format=png|ppm]", "save the screen as an image", 1, 3,
     hmp_screendump},
    {"set_password", "vnc PASSWORD", "set the VNC password", 2, 3, hmp_set_password},
    {"stop", "", "stop emulation", 0, 0, hmp_stop},
    {"system_powerdown", "", "send system power down event", 0, 0, hmp_system_powerdown},
    {"system_reset", "", "reset the system", 0, 0, hmp_system_reset},
    {NULL},
};

static const HmpCommand hmp_info_commands[] = {
    {"status", "", "show the current VM status (running|paused)", 0, 0, hmp_info_status},
    {"version", "", "show the version of Osprey", 0, 0, hmp_info_version},
    {"mtree", "", "show the flattened memory map", 0, 0, hmp_info_mtree},
    {"qtree", "", "show the machine and its devices", 0, 0, hmp_info_qtree},
    {"pci", "", "show the PCI functions and their BARs", 0, 0, hmp_info_pci},
    {"block", "", "show the block devices", 0, 0, hmp_info_block},
    {"registers", "", "show the CPU registers", 0, 0, hmp_info_registers},
    {NULL},
};

/* Does name match "name|alias|alias"? */
static bool hmp_name_matches(const char *names, const char *name)
{
    size_t len = strlen(name);
    const char *p = names;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && !memcmp(p, name, len)) {
            return true;
        }
        if (!bar) {
            return false;
        }
        p = bar + 1;
    }
}

static const HmpCommand *hmp_find(const HmpCommand *table, const char *name)
{
    for (const HmpCommand *c = table; c->name; c++) {
        if (hmp_name_matches(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static void hmp_help_one(HmpMonitor *hmp, const char *prefix, const HmpCommand *c)
{
    hmp_printf(hmp, "%s%s %s -- %s\n", prefix, c->name, c->params, c->help);
}

static void hmp_help_table(HmpMonitor *hmp, const char *prefix, const HmpCommand *table)
{
    for (const HmpCommand *c = table; c->name; c++) {
        hmp_help_one(hmp, prefix, c);
    }
}

static void hmp_help(HmpMonitor *hmp, int argc, char **argv)
{
    if (argc < 2) {
        hmp_help_table(hmp, "", hmp_commands);
        return;
    }
    const HmpCommand *c = hmp_find(hmp_commands, argv[1]);
    if (!c) {
        hmp_printf(hmp, "unknown command: '%s'\n", argv[1]);
    } else if (c->sub) {
        hmp_help_table(hmp, "info ", c->sub);
    } else {
        hmp_help_one(hmp, "", c);
    }
}

/*
 * Split a line into words at spaces and tabs; double quotes group words
 * ("a b" is one argument) and backslash escapes the next character inside
 * them.  Returns the word count, or -1 (with *why) on a malformed line.
 */
static int hmp_split(char *line, char **argv, int max, const char **why)
{
    int argc = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (!*p) {
            return argc;
        }
        if (argc == max) {
            *why = "too many words";
            return -1;
        }
        char *out = p;
        argv[argc++] = out;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && p[1]) {
                        p++;
                    }
                    *out++ = *p++;
                }
                if (*p != '"') {
                    *why = "unterminated string";
                    return -1;
                }
                p++;
            } else {
                *out++ = *p++;
            }
        }
        bool end = !*p;
        *out = 0;
        if (end) {
            return argc;
        }
        p++;
    }
}

static void hmp_execute(HmpMonitor *hmp, char *line)
{
    char *words[HMP_MAX_ARGS];
    char **argv = words;
    const char *why = NULL;
    int argc = hmp_split(line, words, HMP_MAX_ARGS, &why);
    if (argc < 0) {
        hmp_printf(hmp, "Error: %s\n", why);
        return;
    }
    if (argc == 0) {
        return;
    }
    const HmpCommand *c = hmp_find(hmp_commands, argv[0]);
    if (!c) {
        hmp_printf(hmp, "unknown command: '%s'\n", argv[0]);
        return;
    }
    const char *prefix = "";
    if (c->sub) {
        if (argc == 1) {
            hmp_help_table(hmp, "info ", c->sub);
            return;
        }
        const HmpCommand *sub = hmp_find(c->sub, argv[1]);
        if (!sub) {
            hmp_printf(hmp, "unknown command: '%s %s'\n", argv[0], argv[1]);
            return;
        }
        prefix = "info ";
        c = sub;
        argv++;
        argc--;
    }
    int nargs = argc - 1;
    if (nargs > c->max_args) {
        hmp_printf(hmp, "%s%s: extraneous characters at the end of line\n", prefix, argv[0]);
        return;
    }
    if (nargs < c->min_args) {
        hmp_printf(hmp, "%s%s: missing argument (usage: %s%s %s)\n", prefix, argv[0], prefix,
                   argv[0], c->params);
        return;
    }
    c->fn(hmp, argc, argv);
}

/* ---------------------------------------------------------------------- */
/* Line editing */

static void hmp_history_add(HmpMonitor *hmp, const char *line)
{
    if (!*line) {
        return;
    }
    if (hmp->history_len && !strcmp(hmp->history[hmp->history_len - 1], line)) {
        return;
    }
    if (hmp->history_len == HMP_HISTORY) {
        free(hmp->history[0]);
        memmove(hmp->history, hmp->history + 1, (HMP_HISTORY - 1) * sizeof(char *));
        hmp->history_len--;
    }
    hmp->history[hmp->history_len++] = xstrdup(line);
}

/* Replace the line being edited (history browsing) and redraw it. */
static void hmp_set_line(HmpMonitor *hmp, const char *text)
{
    size_t len = MIN(strlen(text), (size_t)HMP_LINE_MAX);
    memcpy(hmp->line, text, len);
    hmp->line[len] = 0;
    hmp->line_len = len;
    /* Return to column 0, clear to end of line, reprint. */
    monitor_write(&hmp->common, "\r\033[K" HMP_PROMPT, strlen("\r\033[K" HMP_PROMPT));
    monitor_write(&hmp->common, hmp->line, hmp->line_len);
}

static void hmp_history_move(HmpMonitor *hmp, int dir)
{
    int pos = hmp->history_pos + dir;
    if (pos < 0 || pos > hmp->history_len) {
        return;
    }
    hmp->history_pos = pos;
    hmp_set_line(hmp, pos == hmp->history_len ? "" : hmp->history[pos]);
}

static void hmp_backspace(HmpMonitor *hmp)
{
    if (!hmp->line_len) {
        return;
    }
    /* Remove a whole UTF-8 character: its continuation bytes, then the lead. */
    while (hmp->line_len > 1 && (hmp->line[hmp->line_len - 1] & 0xc0) == 0x80) {
        hmp->line_len--;
    }
    hmp->line_len--;
    hmp->line[hmp->line_len] = 0;
    monitor_write(&hmp->common, "\b \b", 3);
}

static void hmp_enter(HmpMonitor *hmp)
{
    monitor_write(&hmp->common, "\r\n", 2);
    hmp->line[hmp->line_len] = 0;
    char *line = xstrdup(hmp->line);
    hmp->line_len = 0;
    hmp->line[0] = 0;
    hmp_history_add(hmp, line);
    hmp->history_pos = hmp->history_len;
    hmp_execute(hmp, line);
    free(line);
    if (!hmp->quitting) {
        hmp_show_prompt(hmp);
    }
}

static void hmp_input_byte(HmpMonitor *hmp, uint8_t c)
{
    bool was_cr = hmp->last_was_cr;
    hmp->last_was_cr = false;

    switch (hmp->esc) {
    case HMP_ESC_START:
        hmp->esc = c == '[' ? HMP_ESC_CSI : c == 'O' ? HMP_ESC_SS3 : HMP_ESC_NONE;
        return;
    case HMP_ESC_CSI:
        if (c < 0x40 || c > 0x7e) {
            return; /* parameter or intermediate byte */
        }
        /* c is the final byte */
        /* fall through */
    case HMP_ESC_SS3:
        hmp->esc = HMP_ESC_NONE;
        if (c == 'A') {
            hmp_history_move(hmp, -1);
        } else if (c == 'B') {
            hmp_history_move(hmp, 1);
        }
        /* Other keys (cursor left/right, Home, F-keys) are not supported. */
        return;
    case HMP_ESC_NONE:
        break;
    }

    switch (c) {
    case 0x1b:
        hmp->esc = HMP_ESC_START;
        return;
    case '\r':
        hmp->last_was_cr = true;
        hmp_enter(hmp);
        return;
    case '\n':
        if (!was_cr) {
            hmp_enter(hmp);
        }
        return;
    case 0x7f: /* DEL: what most terminals send for Backspace */
    case '\b':
        hmp_backspace(hmp);
        return;
    case 0x15: /* Ctrl-U: erase the line */
        hmp_set_line(hmp, "");
        return;
    case 0x17: /* Ctrl-W: erase the previous word */
        while (hmp->line_len && hmp->line[hmp->line_len - 1] == ' ') {
            hmp_backspace(hmp);
        }
        while (hmp->line_len && hmp->line[hmp->line_len - 1] != ' ') {
            hmp_backspace(hmp);
        }
        return;
    default:
        break;
    }
    if (c < 0x20) {
        return; /* other control characters do nothing */
    }
    if (hmp->line_len >= HMP_LINE_MAX) {
        monitor_write(&hmp->common, "\a", 1);
        return;
    }
    hmp->line[hmp->line_len++] = c;
    hmp->line[hmp->line_len] = 0;
    monitor_write(&hmp->common, (const char *)&c, 1);
}

/* ---------------------------------------------------------------------- */
/* Chardev handlers */

static int hmp_can_read(void *opaque)
{
    return 4096;
}

static void hmp_read(void *opaque, const uint8_t *buf, int len)
{
    HmpMonitor *hmp = opaque;
    for (int i = 0; i < len && !hmp->quitting; i++) {
        hmp_input_byte(hmp, buf[i]);
    }
}

static void hmp_reset_line(HmpMonitor *hmp)
{
    hmp->line_len = 0;
    hmp->line[0] = 0;
    hmp->esc = HMP_ESC_NONE;
    hmp->last_was_cr = false;
    hmp->history_pos = hmp->history_len;
}

/* A peer connected (or the backend opened): greet it. */
static void hmp_open_session(HmpMonitor *hmp)
{
    hmp_reset_line(hmp);
    hmp->session_open = true;
    if (hmp->focused) {
        hmp_show_banner(hmp);
        if (!hmp->quitting) {
            hmp_show_prompt(hmp);
        }
    } else {
        /* Another frontend of the mux has the terminal: greet on Ctrl-A c. */
        hmp->banner_pending = true;
    }
}

static void hmp_event(void *opaque, ChardevEvent event)
{
    HmpMonitor *hmp = opaque;
    switch (event) {
    case CHR_EVENT_OPENED:
        /* Greeted already (at attach time, or on the first Ctrl-A c): once is enough. */
        if (!hmp->session_open) {
            hmp_open_session(hmp);
        }
        break;
    case CHR_EVENT_CLOSED:
        hmp->session_open = false;
        hmp->banner_pending = false;
        hmp_reset_line(hmp);
        break;
    case CHR_EVENT_MUX_IN:
        hmp->focused = true;
        if (!hmp->session_open) {
            /* Backends that never send OPENED (stdio) open with the first focus. */
            hmp_open_session(hmp);
        } else {
            if (hmp->banner_pending) {
                hmp_show_banner(hmp);
            }
            if (!hmp->quitting) {
                /* The half-typed line (if any) is still there: show it again. */
                hmp_show_prompt(hmp);
                monitor_write(&hmp->common, hmp->line, hmp->line_len);
            }
        }
        break;
    case CHR_EVENT_MUX_OUT:
        hmp->focused = false;
        break;
    case CHR_EVENT_BREAK:
        break;
    }
}

Monitor *monitor_new_hmp(Machine *m, Chardev *chr, Error **errp)
{
    HmpMonitor *hmp = XNEW(HmpMonitor);
    hmp->common.kind = MONITOR_HMP;
    /* On a mux another frontend may own the input; MUX_IN tells us when we do. */
    hmp->focused = !chardev_is_mux(chr);
    if (!monitor_attach(&hmp->common, m, chr, hmp_can_read, hmp_read, hmp_event, errp)) {
        free(hmp);
        return NULL;
    }
    /*
     * A backend that was already open (stdio, a client that connected
     * first) may have sent OPENED before we had handlers: greet now.
     */
    if (!hmp->session_open && hmp->focused && char_fe_is_connected(&hmp->common.fe)) {
        hmp_open_session(hmp);
    }
    return &hmp->common;
}
