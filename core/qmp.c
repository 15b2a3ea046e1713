/*
 * QMP: QEMU's JSON machine protocol on a chardev.
 *
 * A session starts when a peer connects (CHR_EVENT_OPENED): we send the
 * greeting, the client must call qmp_capabilities, and from then on it may
 * run commands and receives events.  A disconnect ends the session; the
 * next client starts over.  Input is a stream of JSON objects
 *   {"execute": NAME, "arguments": {...}, "id": ANY}
 * answered by {"return": ...} or {"error": {"class": ..., "desc": ...}},
 * with "id" echoed.  Wire format and error classes follow QEMU's
 * docs/interop/qmp-spec, so existing QMP clients work unchanged.
 */
#include "core/json.h"
#include "core/monitor.h"
#include "hw/ide/ide.h"

/* Limits on what a client can make us buffer and parse. */
#define QMP_MAX_DEPTH 64
#define QMP_MAX_SIZE (1024 * 1024)

typedef struct QmpMonitor QmpMonitor;

/*
 * A command handler: returns the "return" value (NULL means {}), or NULL
 * with *errp set.  Handlers that need an error class other than
 * GenericError set qmp->err_class.
 */
typedef JsonValue *QmpCmdFn(QmpMonitor *qmp, const JsonValue *args, Error **errp);

enum {
    QMP_CMD_BEFORE_NEGOTIATION = 1 << 0, /* allowed (only) during capabilities negotiation */
    QMP_CMD_ALLOW_OOB = 1 << 1,          /* may be run with exec-oob */
};

typedef struct QmpCommand {
    const char *name;
    /*
     * Arguments as "name:T,name:T?": '?' marks optional, T is s (string),
     * b (boolean), i (integer), u (unsigned integer), n (number),
     * o (object), a (array) or * (anything).  The dispatcher checks them,
     * so a handler only sees arguments of the right type.
     */
    const char *args;
    QmpCmdFn *fn;
    unsigned flags;
} QmpCommand;

struct QmpMonitor {
    Monitor common;
    bool pretty;
    bool session_open; /* greeting sent to the current peer */
    bool negotiated;   /* qmp_capabilities done: commands and events enabled */
    bool oob;          /* the client enabled the "oob" capability */
    bool quitting;     /* quit accepted: ignore further input */
    const char *err_class;
    JsonStreamer streamer;
};

static const QmpCommand qmp_commands[];

/* ---------------------------------------------------------------------- */
/* Output */

/* Send v (consumed) as one line; QEMU ends every QMP line with "\r\n". */
static void qmp_send(QmpMonitor *qmp, JsonValue *v)
{
    char *text = json_to_string(v, qmp->pretty);
    json_free(v);
    StrBuf sb = {0};
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            strbuf_append(&sb, "\r\n", 2);
        } else {
            strbuf_append(&sb, p, 1);
        }
    }
    strbuf_append(&sb, "\r\n", 2);
    free(text);
    monitor_write(&qmp->common, sb.s, sb.len);
    strbuf_free(&sb);
}

static JsonValue *qmp_version_object(void)
{
    int major, minor, micro;
    monitor_version(&major, &minor, &micro);
    JsonValue *qemu = json_object();
    json_object_set(qemu, "micro", json_int(micro));
    json_object_set(qemu, "minor", json_int(minor));
    json_object_set(qemu, "major", json_int(major));
    JsonValue *v = json_object();
    json_object_set(v, "qemu", qemu);
    json_object_set(v, "package", json_string(MONITOR_PACKAGE));
    return v;
}

static void qmp_send_greeting(QmpMonitor *qmp)
{
    JsonValue *caps = json_array();
    json_array_append(caps, json_string("oob"));
    JsonValue *inner = json_object();
    json_object_set(inner, "version", qmp_version_object());
    json_object_set(inner, "capabilities", caps);
    qmp_send(qmp, json_object_set(json_object(), "QMP", inner));
}

/* Reply to a request; id (borrowed, may be NULL) is echoed. */
static void qmp_send_return(QmpMonitor *qmp, JsonValue *ret, const JsonValue *id)
{
    JsonValue *reply = json_object();
    json_object_set(reply, "return", ret ? ret : json_object());
    if (id) {
        json_object_set(reply, "id", json_clone(id));
    }
    qmp_send(qmp, reply);
}

static void qmp_send_error(QmpMonitor *qmp, const char *cls, const char *desc,
                           const JsonValue *id)
{
    JsonValue *err = json_object();
    json_object_set(err, "class", json_string(cls));
    json_object_set(err, "desc", json_string(desc));
    JsonValue *reply = json_object();
    json_object_set(reply, "error", err);
    if (id) {
        json_object_set(reply, "id", json_clone(id));
    }
    qmp_send(qmp, reply);
}

void qmp_monitor_event(Monitor *mon, const char *event, const char *data_json)
{
    QmpMonitor *qmp = container_of(mon, QmpMonitor, common);
    if (!qmp->session_open || !qmp->negotiated) {
        return;
    }
    int64_t now = host_clock_realtime_ns();
    JsonValue *ts = json_object();
    json_object_set(ts, "seconds", json_int(now / 1000000000));
    json_object_set(ts, "microseconds", json_int(now % 1000000000 / 1000));
    JsonValue *msg = json_object();
    json_object_set(msg, "timestamp", ts);
    json_object_set(msg, "event", json_string(event));
    if (data_json) {
        Error *err = NULL;
        JsonValue *data = json_parse_str(data_json, &err);
        if (data) {
            json_object_set(msg, "data", data);
        } else {
            /* A bug in whoever emitted it; deliver the event without data. */
            warn_report("QMP event %s: bad data: %s", event, err->msg);
            error_free(err);
        }
    }
    qmp_send(qmp, msg);
}

/* ---------------------------------------------------------------------- */
/* Commands */

static JsonValue *qmp_cmd_capabilities(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    bool oob = false;
    const JsonValue *enable = json_object_get(args, "enable");
    for (size_t i = 0; i < json_array_len(enable); i++) {
        const char *cap = json_as_string(json_array_get(enable, i));
        if (!cap) {
            error_setg(errp, "Invalid parameter type for 'enable[%zu]', expected: string", i);
            return NULL;
        }
        if (strcmp(cap, "oob")) {
            error_setg(errp, "Capability '%s' is not available", cap);
            return NULL;
        }
        oob = true;
    }
    qmp->oob = oob;
    qmp->negotiated = true;
    return NULL;
}

static JsonValue *qmp_query_commands(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    JsonValue *list = json_array();
    for (const QmpCommand *c = qmp_commands; c->name; c++) {
        json_array_append(list, json_object_set(json_object(), "name", json_string(c->name)));
    }
    return list;
}

static JsonValue *qmp_query_status(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    Machine *m = qmp->common.machine;
    JsonValue *v = json_object();
    json_object_set(v, "status", json_string(runstate_name(m->runstate)));
    json_object_set(v, "singlestep", json_bool(false));
    json_object_set(v, "running", json_bool(machine_is_running(m)));
    return v;
}

static JsonValue *qmp_query_version(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    return qmp_version_object();
}

static JsonValue *qmp_cmd_stop(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    monitor_cmd_stop(qmp->common.machine, errp);
    return NULL;
}

static JsonValue *qmp_cmd_cont(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    monitor_cmd_cont(qmp->common.machine, errp);
    return NULL;
}

static JsonValue *qmp_cmd_system_reset(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    monitor_cmd_system_reset(qmp->common.machine, errp);
    return NULL;
}

static JsonValue *qmp_cmd_system_powerdown(QmpMonitor *qmp, const JsonValue *args,
                                           Error **errp)
{
    monitor_cmd_system_powerdown(qmp->common.machine, errp);
    return NULL;
}

static JsonValue *qmp_cmd_quit(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    if (monitor_cmd_quit(qmp->common.machine, errp)) {
        /* The reply still goes out (it is written before the loop acts). */
        qmp->quitting = true;
    }
    return NULL;
}

static JsonValue *qmp_cmd_screendump(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    const char *file = json_as_string(json_object_get(args, "filename"));
    const char *format = json_as_string(json_object_get(args, "format"));
    monitor_cmd_screendump(qmp->common.machine, file, format, errp);
    return NULL;
}

static JsonValue *qmp_cmd_set_password(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    const char *protocol = json_as_string(json_object_get(args, "protocol"));
    const char *password = json_as_string(json_object_get(args, "password"));
    monitor_cmd_set_password(qmp->common.machine, protocol, password, errp);
    return NULL;
}

static JsonValue *qmp_cmd_change_vnc_password(QmpMonitor *qmp, const JsonValue *args,
                                              Error **errp)
{
    const char *password = json_as_string(json_object_get(args, "password"));
    monitor_cmd_set_password(qmp->common.machine, "vnc", password, errp);
    return NULL;
}

static JsonValue *qmp_query_block(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    return ide_query_block(qmp->common.machine);
}

/* The drive is named by "device" (QEMU's older key) or "id". */
static const char *qmp_block_device_arg(const JsonValue *args)
{
    const char *dev = json_as_string(json_object_get(args, "device"));
    return dev ? dev : json_as_string(json_object_get(args, "id"));
}

static JsonValue *qmp_blockdev_change_medium(QmpMonitor *qmp, const JsonValue *args,
                                             Error **errp)
{
    ide_change_medium(qmp->common.machine, qmp_block_device_arg(args),
                      json_as_string(json_object_get(args, "filename")),
                      json_as_string(json_object_get(args, "format")), errp);
    return NULL;
}

static JsonValue *qmp_eject(QmpMonitor *qmp, const JsonValue *args, Error **errp)
{
    bool force = false;
    json_as_bool(json_object_get(args, "force"), &force);
    ide_eject(qmp->common.machine, qmp_block_device_arg(args), force, errp);
    return NULL;
}

/* The command table: a new command is one line here and one handler. */
static const QmpCommand qmp_commands[] = {
    {"qmp_capabilities", "enable:a?", qmp_cmd_capabilities, QMP_CMD_BEFORE_NEGOTIATION},
    {"query-commands", "", qmp_query_commands},
    {"query-status", "", qmp_query_status},
    {"query-version", "", qmp_query_version},
    {"stop", "", qmp_cmd_stop},
    {"cont", "", qmp_cmd_cont},
    {"system_reset", "", qmp_cmd_system_reset},
    {"system_powerdown", "", qmp_cmd_system_powerdown},
    {"quit", "", qmp_cmd_quit},
    {"query-block", "", qmp_query_block},
    {"blockdev-change-medium", "device:s?,id:s?,filename:s,format:s?,read-only-mode:s?",
     qmp_blockdev_change_medium},
    {"eject", "device:s?,id:s?,force:b?", qmp_eject},
    {"screendump", "filename:s,device:s?,head:i?,format:s?", qmp_cmd_screendump},
    {"set_password", "protocol:s,password:s,connected:s?,display:s?", qmp_cmd_set_password},
    {"change-vnc-password", "password:s", qmp_cmd_change_vnc_password},
    {NULL},
};

/* ---------------------------------------------------------------------- */
/* Dispatch */

static const QmpCommand *qmp_find_command(const char *name)
{
    for (const QmpCommand *c = qmp_commands; c->name; c++) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static bool qmp_type_matches(char t, const JsonValue *v)
{
    int64_t i;
    uint64_t u;
    switch (t) {
    case 's': return json_type(v) == JSON_STRING;
    case 'b': return json_type(v) == JSON_BOOL;
    case 'i': return json_as_int(v, &i);
    case 'u': return json_as_uint(v, &u);
    case 'n': return json_type(v) == JSON_INT || json_type(v) == JSON_DOUBLE;
    case 'o': return json_type(v) == JSON_OBJECT;
    case 'a': return json_type(v) == JSON_ARRAY;
    case '*': return true;
    }
    return false;
}

static const char *qmp_type_name(char t)
{
    switch (t) {
    case 's': return "string";
    case 'b': return "boolean";
    case 'i': return "integer";
    case 'u': return "unsigned integer";
    case 'n': return "number";
    case 'o': return "object";
    case 'a': return "array";
    }
    return "any";
}

/*
 * Find name in an argument spec; returns its type letter (and whether it
 * is optional), or 0 if the command has no such argument.
 */
static char qmp_spec_lookup(const char *spec, const char *name, bool *optional)
{
    size_t len = strlen(name);
    for (const char *p = spec; *p;) {
        const char *colon = strchr(p, ':');
        if (!colon) {
            break;
        }
        const char *end = strchr(colon, ',');
        if (!end) {
            end = colon + strlen(colon);
        }
        if ((size_t)(colon - p) == len && !memcmp(p, name, len)) {
            *optional = end[-1] == '?';
            return colon[1];
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* Check args against the command's spec, QEMU's messages for each case. */
static bool qmp_check_args(const QmpCommand *cmd, const JsonValue *args, Error **errp)
{
    for (size_t i = 0; i < json_object_len(args); i++) {
        const char *key = json_object_key_at(args, i);
        bool optional;
        char t = qmp_spec_lookup(cmd->args, key, &optional);
        if (!t) {
            error_setg(errp, "Parameter '%s' is unexpected", key);
            return false;
        }
        if (!qmp_type_matches(t, json_object_value_at(args, i))) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s", key,
                       qmp_type_name(t));
            return false;
        }
    }
    for (const char *p = cmd->args; *p;) {
        const char *colon = strchr(p, ':');
        if (!colon) {
            break;
        }
        const char *end = strchr(colon, ',');
        if (!end) {
            end = colon + strlen(colon);
        }
        if (end[-1] != '?') {
            char *name = xstrndup(p, colon - p);
            bool present = json_object_get(args, name) != NULL;
            if (!present) {
                error_setg(errp, "Parameter '%s' is missing", name);
            }
            free(name);
            if (!present) {
                return false;
            }
        }
        p = *end ? end + 1 : end;
    }
    return true;
}

/* Handle one request object (borrowed). */
static void qmp_dispatch(QmpMonitor *qmp, const JsonValue *req)
{
    if (json_type(req) != JSON_OBJECT) {
        qmp_send_error(qmp, "GenericError", "QMP input must be a JSON object", NULL);
        return;
    }
    const JsonValue *id = json_object_get(req, "id");
    const char *name = NULL;
    bool oob = false;
    const JsonValue *args = NULL;
    for (size_t i = 0; i < json_object_len(req); i++) {
        const char *key = json_object_key_at(req, i);
        const JsonValue *val = json_object_value_at(req, i);
        char *desc = NULL;
        if (!strcmp(key, "execute") || !strcmp(key, "exec-oob")) {
            if (json_type(val) != JSON_STRING) {
                desc = xasprintf("QMP input member '%s' must be a string", key);
            } else if (name) {
                desc = xstrdup("QMP input must have exactly one of 'execute' and 'exec-oob'");
            } else {
                name = json_as_string(val);
                oob = key[4] == '-';
            }
        } else if (!strcmp(key, "arguments")) {
            if (json_type(val) != JSON_OBJECT) {
                desc = xstrdup("QMP input member 'arguments' must be an object");
            } else {
                args = val;
            }
        } else if (strcmp(key, "id")) {
            desc = xasprintf("QMP input member '%s' is unexpected", key);
        }
        if (desc) {
            qmp_send_error(qmp, "GenericError", desc, id);
            free(desc);
            return;
        }
    }
    if (!name) {
        qmp_send_error(qmp, "GenericError", "QMP input lacks member 'execute'", id);
        return;
    }
    if (oob && !qmp->oob) {
        qmp_send_error(qmp, "GenericError",
                       "Please enable out-of-band first for the session during capabilities "
                       "negotiation", id);
        return;
    }

    const QmpCommand *cmd = qmp_find_command(name);
    if (!qmp->negotiated && (!cmd || !(cmd->flags & QMP_CMD_BEFORE_NEGOTIATION))) {
        qmp_send_error(qmp, "CommandNotFound",
                       "Expecting capabilities negotiation with 'qmp_capabilities'", id);
        return;
    }
    if (qmp->negotiated && cmd && (cmd->flags & QMP_CMD_BEFORE_NEGOTIATION)) {
        qmp_send_error(qmp, "CommandNotFound",
                       "Capabilities negotiation is already complete, command ignored", id);
        return;
    }
    if (!cmd) {
        char *desc = xasprintf("The command %s has not been found", name);
        qmp_send_error(qmp, "CommandNotFound", desc, id);
        free(desc);
        return;
    }
    if (oob && !(cmd->flags & QMP_CMD_ALLOW_OOB)) {
        char *desc = xasprintf("The command %s does not support OOB", name);
        qmp_send_error(qmp, "GenericError", desc, id);
        free(desc);
        return;
    }

    JsonValue *empty = NULL;
    if (!args) {
        args = empty = json_object();
    }
    Error *err = NULL;
    JsonValue *ret = NULL;
    qmp->err_class = "GenericError";
    if (qmp_check_args(cmd, args, &err)) {
        ret = cmd->fn(qmp, args, &err);
    }
    json_free(empty);
    if (err) {
        json_free(ret);
        qmp_send_error(qmp, qmp->err_class, err->msg, id);
        error_free(err);
    } else {
        qmp_send_return(qmp, ret, id);
    }
}

/* Called by the stream splitter for each complete value or syntax error. */
static void qmp_stream_value(void *opaque, JsonValue *value, Error *err)
{
    QmpMonitor *qmp = opaque;
    if (qmp->quitting) {
        /* Everything after quit is ignored, as the process is exiting. */
    } else if (err) {
        qmp_send_error(qmp, "GenericError", err->msg, NULL);
    } else {
        qmp_dispatch(qmp, value);
    }
    json_free(value);
    error_free(err);
}

/* ---------------------------------------------------------------------- */
/* Chardev handlers and life cycle */

static int qmp_can_read(void *opaque)
{
    return 4096;
}

static void qmp_read(void *opaque, const uint8_t *buf, int len)
{
    QmpMonitor *qmp = opaque;
    if (!qmp->quitting && len > 0) {
        json_streamer_feed(&qmp->streamer, buf, len);
    }
}

static void qmp_reset_session(QmpMonitor *qmp)
{
    qmp->negotiated = false;
    qmp->oob = false;
    json_streamer_reset(&qmp->streamer);
}

static void qmp_open_session(QmpMonitor *qmp)
{
    qmp_reset_session(qmp);
    qmp->session_open = true;
    qmp_send_greeting(qmp);
}

static void qmp_event(void *opaque, ChardevEvent event)
{
    QmpMonitor *qmp = opaque;
    switch (event) {
    case CHR_EVENT_OPENED:
        /* A second greeting on the same connection would confuse clients. */
        if (!qmp->session_open) {
            qmp_open_session(qmp);
        }
        break;
    case CHR_EVENT_CLOSED:
        /* The next client gets a fresh greeting and must negotiate again. */
        qmp->session_open = false;
        qmp_reset_session(qmp);
        break;
    case CHR_EVENT_MUX_IN:
        if (!qmp->session_open) {
            qmp_open_session(qmp);
        }
        break;
    default:
        break;
    }
}

Monitor *monitor_new_qmp(Machine *m, Chardev *chr, bool pretty, Error **errp)
{
    QmpMonitor *qmp = XNEW(QmpMonitor);
    qmp->common.kind = MONITOR_QMP;
    qmp->pretty = pretty;
    json_streamer_init(&qmp->streamer, qmp_stream_value, qmp, QMP_MAX_DEPTH, QMP_MAX_SIZE);
    if (!monitor_attach(&qmp->common, m, chr, qmp_can_read, qmp_read, qmp_event, errp)) {
        json_streamer_destroy(&qmp->streamer);
        free(qmp);
        return NULL;
    }
    /* Backends already open before we attached (stdio) get the greeting now. */
    if (!qmp->session_open && !chardev_is_mux(chr) && char_fe_is_connected(&qmp->common.fe)) {
        qmp_open_session(qmp);
    }
    return &qmp->common;
}

void qmp_monitor_destroy(Monitor *mon)
{
    QmpMonitor *qmp = container_of(mon, QmpMonitor, common);
    json_streamer_destroy(&qmp->streamer);
    free(qmp);
}
