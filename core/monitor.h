/*
 * The monitors: the human monitor (HMP, "(osprey) " prompt, QEMU's command
 * names) and QMP (QEMU's JSON protocol), each on any chardev.
 *
 * A machine may have any number of both.  monitor_init_hmp/qmp attach one
 * to the machine, which owns it from then on: call monitor_cleanup(m)
 * before machine_free() (while the chardevs still exist) to free them all.
 * monitor_new_hmp/qmp + monitor_free are the same with the caller owning
 * the monitor (tests).
 *
 * How command-line options map here (as in QEMU):
 *   -monitor SPEC          HMP on chardev_new_from_spec(SPEC)
 *   -qmp SPEC              QMP, compact output
 *   -qmp-pretty SPEC       QMP, pretty-printed output
 *   -mon chardev=ID,mode=readline|control[,pretty=on]
 *   mon:stdio              a mux: the monitor comes second; Ctrl-A c switches
 */
#ifndef CORE_MONITOR_H
#define CORE_MONITOR_H

#include "core/chardev.h"
#include "core/common.h"
#include "core/machine.h"

typedef struct Monitor Monitor;

bool monitor_init_hmp(Machine *m, Chardev *chr, Error **errp);
bool monitor_init_qmp(Machine *m, Chardev *chr, bool pretty, Error **errp);
/* Free every monitor attached with monitor_init_*; call before machine_free(). */
void monitor_cleanup(Machine *m);

Monitor *monitor_new_hmp(Machine *m, Chardev *chr, Error **errp);
Monitor *monitor_new_qmp(Machine *m, Chardev *chr, bool pretty, Error **errp);
void monitor_free(Monitor *mon);

/* The version QMP's query-version and HMP's "info version" report. */
void monitor_version(int *major, int *minor, int *micro);
#define MONITOR_PACKAGE "Osprey " OSPREY_VERSION

/*
 * Shared by the HMP and QMP commands of the same name, so the two can never
 * disagree.  Each returns false with *errp set when the request is refused.
 */
bool monitor_cmd_stop(Machine *m, Error **errp);
bool monitor_cmd_cont(Machine *m, Error **errp);
bool monitor_cmd_system_reset(Machine *m, Error **errp);
bool monitor_cmd_system_powerdown(Machine *m, Error **errp);
bool monitor_cmd_quit(Machine *m, Error **errp);
/* format: "png", "ppm" or NULL (ppm, as QEMU). */
bool monitor_cmd_screendump(Machine *m, const char *file, const char *format, Error **errp);
bool monitor_cmd_set_password(Machine *m, const char *protocol, const char *password,
                              Error **errp);

/* ---- internal to monitor.c and qmp.c ---- */

typedef enum MonitorKind {
    MONITOR_HMP,
    MONITOR_QMP,
} MonitorKind;

/* What HMP and QMP monitors have in common; each embeds it first. */
struct Monitor {
    MonitorKind kind;
    Machine *machine;
    CharFrontend fe;
    bool attached;     /* fe is initialized */
    bool machine_owned; /* freed by monitor_cleanup() */
};

/*
 * Common set-up once the kind-specific part is allocated: attach to chr,
 * install the handlers (opaque = mon) and register the event sink.
 */
bool monitor_attach(Monitor *mon, Machine *m, Chardev *chr, CharCanReadHandler can_read,
                    CharReadHandler read, CharEventHandler event, Error **errp);
/* Write to the monitor's chardev; dropped if nobody is connected. */
void monitor_write(Monitor *mon, const char *buf, size_t len);
/* The event sink every monitor registers; QMP forwards, HMP ignores. */
void monitor_event_sink(void *opaque, const char *event, const char *data_json);
/* Both are in qmp.c. */
void qmp_monitor_event(Monitor *mon, const char *event, const char *data_json);
void qmp_monitor_destroy(Monitor *mon);

#endif
