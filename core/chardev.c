/*
 * Character devices: the set of a machine's chardevs, -chardev and
 * -serial-style spec parsing, the frontend API, the helpers the fd-based
 * backends share, and the null backend.  The other backends live in
 * char-*.c, one family per file.
 */
#include "core/chardev-internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

/* -chardev backends, in the order "-chardev help" lists them. */
static const ChardevOps *const chardev_backends[] = {
    &char_file_ops, &char_null_ops, &char_pipe_ops, &char_pty_ops, &char_socket_ops,
    &char_stdio_ops,
};

/* The set. */

ChardevSet *chardev_set_new(MainLoop *loop)
{
    ChardevSet *set = XNEW(ChardevSet);
    set->loop = loop;
    set->escape_char = 0x01; /* Ctrl-A */
    /*
     * A guest writing to a pipe or socket whose reader left must get an error
     * back, not kill the emulator.  Only replace the default: whoever set
     * something else meant it.
     */
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
        signal(SIGPIPE, SIG_IGN);
    }
    return set;
}

static void chardev_close(Chardev *chr)
{
    /* Frontends still attached must not write through a dangling pointer. */
    if (chr->fe) {
        chr->fe->chr = NULL;
        chr->fe = NULL;
    }
    if (chr->ops->close) {
        chr->ops->close(chr);
    }
    if (chr->log_fd >= 0) {
        close(chr->log_fd);
    }
    free(chr->id);
    free(chr);
}

void chardev_set_free(ChardevSet *set)
{
    if (!set) {
        return;
    }
    /* Newest first: a mux goes before the base it is the frontend of. */
    while (set->chardevs) {
        Chardev **last = &set->chardevs;
        while ((*last)->next) {
            last = &(*last)->next;
        }
        Chardev *chr = *last;
        *last = NULL;
        chardev_close(chr);
    }
    for (int i = 0; i < set->nr_mux_specs; i++) {
        free(set->mux_specs[i].spec);
    }
    free(set->mux_specs);
    char_stdio_restore_terminal();
    free(set);
}

void chardev_set_quit_handler(ChardevSet *set, void (*quit)(void *opaque), void *opaque)
{
    set->quit = quit;
    set->quit_opaque = opaque;
}

void chardev_set_escape_char(ChardevSet *set, int ch)
{
    set->escape_char = ch & 0xff;
}

Chardev *chardev_find(ChardevSet *set, const char *id)
{
    for (Chardev *chr = set->chardevs; chr; chr = chr->next) {
        if (!strcmp(chr->id, id)) {
            return chr;
        }
    }
    return NULL;
}

const char *chardev_id(const Chardev *chr)
{
    return chr->id;
}

bool chardev_is_mux(const Chardev *chr)
{
    return chr->ops == &char_mux_ops;
}

void chardev_print_help(FILE *f)
{
    fprintf(f, "Available chardev backend types:\n");
    for (size_t i = 0; i < ARRAY_SIZE(chardev_backends); i++) {
        fprintf(f, "  %-8s %s\n", chardev_backends[i]->name, chardev_backends[i]->help);
    }
    fprintf(f, "Common options: id=ID (required), mux=on, logfile=PATH, logappend=on\n");
}

void *chardev_alloc(size_t size, const ChardevOps *ops, ChardevSet *set, const char *id)
{
    Chardev *chr = xzalloc(size);
    chr->ops = ops;
    chr->set = set;
    chr->id = xstrdup(id);
    chr->log_fd = -1;
    return chr;
}

void chardev_free_unopened(Chardev *chr)
{
    free(chr->id);
    free(chr);
}

static void chardev_register(ChardevSet *set, Chardev *chr)
{
    Chardev **p = &set->chardevs;
    while (*p) {
        p = &(*p)->next;
    }
    *p = chr;
}

/* Creation. */

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.' and '_'. */
static bool chardev_id_valid(const char *id)
{
    if (!isalpha((unsigned char)id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

static const ChardevOps *chardev_backend_lookup(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(chardev_backends); i++) {
        if (!strcmp(chardev_backends[i]->name, name)) {
            return chardev_backends[i];
        }
    }
    return NULL;
}

/*
 * The one road to a chardev: opts holds "backend" and the backend's keys
 * (not "id").  Everything is parsed and checked before anything is opened,
 * so a typo never leaves a bound socket or a truncated file behind.
 */
static Chardev *chardev_create(ChardevSet *set, const char *id, Opts *opts, Error **errp)
{
    const char *backend = opts_get(opts, "backend");
    if (!backend || !*backend) {
        error_setg(errp, "chardev '%s': no backend given (-chardev help lists them)", id);
        return NULL;
    }
    const ChardevOps *ops = chardev_backend_lookup(backend);
    if (!ops) {
        error_setg(errp, "chardev '%s': unknown backend '%s' (-chardev help lists them)", id,
                   backend);
        return NULL;
    }
    bool mux, logappend;
    ChardevConfig cfg = {.signal = true};
    if (!opts_get_bool(opts, "mux", false, &mux, errp) ||
        !opts_get_bool(opts, "logappend", false, &logappend, errp) ||
        !ops->parse(opts, &cfg, errp)) {
        error_prepend(errp, "chardev '%s': ", id);
        return NULL;
    }
    const char *logfile = opts_get(opts, "logfile");
    char *what = xasprintf("chardev '%s'", id);
    bool ok = opts_check_unused(opts, what, errp);
    free(what);
    if (!ok) {
        return NULL;
    }

    /* With mux=on the backend hides behind the mux as "ID-base", as in QEMU. */
    char *base_id = mux ? xasprintf("%s-base", id) : xstrdup(id);
    if (chardev_find(set, id) || chardev_find(set, base_id)) {
        error_setg(errp, "chardev '%s' already exists", chardev_find(set, id) ? id : base_id);
        free(base_id);
        return NULL;
    }
    int log_fd = -1;
    if (logfile) {
        log_fd = open(logfile, O_WRONLY | O_CREAT | O_CLOEXEC | (logappend ? O_APPEND : O_TRUNC),
                      0666);
        if (log_fd < 0) {
            error_setg(errp, "chardev '%s': cannot open logfile '%s': %s", id, logfile,
                       strerror(errno));
            free(base_id);
            return NULL;
        }
    }
    Chardev *chr = ops->open(set, base_id, &cfg, errp);
    free(base_id);
    if (!chr) {
        error_prepend(errp, "chardev '%s': ", id);
        if (log_fd >= 0) {
            close(log_fd);
        }
        return NULL;
    }
    chr->log_fd = log_fd;
    chardev_register(set, chr);
    if (!mux) {
        return chr;
    }
    return char_mux_new(set, id, chr, errp);
}

Chardev *chardev_new_from_opts(ChardevSet *set, const char *optstr, Error **errp)
{
    Opts *opts = opts_parse(optstr, "backend", errp);
    if (!opts) {
        return NULL;
    }
    Chardev *chr = NULL;
    const char *id = opts_get(opts, "id");
    if (!id) {
        error_setg(errp, "chardev: parameter 'id' is missing");
    } else if (!chardev_id_valid(id)) {
        error_setg(errp, "chardev: invalid id '%s' (a letter, then letters, digits, '-', '.', "
                   "'_')", id);
    } else {
        chr = chardev_create(set, id, opts, errp);
    }
    opts_free(opts);
    return chr;
}

/* A path inside an option string: double its commas. */
static char *chardev_escape_value(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(2 * n + 1), *o = out;
    for (; *s; s++) {
        if (*s == ',') {
            *o++ = ',';
        }
        *o++ = *s;
    }
    *o = 0;
    return out;
}

/* "ADDR[,opts]": split at the first comma; opts may be empty. */
static char *chardev_spec_split(const char *rest, const char **opts)
{
    const char *comma = strchr(rest, ',');
    *opts = comma ? comma + 1 : "";
    return comma ? xstrndup(rest, comma - rest) : xstrdup(rest);
}

/* tcp:HOST:PORT and telnet:HOST:PORT, HOST possibly "[v6addr]" or empty. */
static char *chardev_spec_inet(const char *kind, const char *rest, Error **errp)
{
    const char *extra;
    char *addr = chardev_spec_split(rest, &extra);
    char *host, *colon;
    if (addr[0] == '[' && (colon = strstr(addr, "]:"))) {
        host = xstrndup(addr + 1, colon - addr - 1);
        colon++;
    } else if ((colon = strrchr(addr, ':'))) {
        host = xstrndup(addr, colon - addr);
    } else {
        error_setg(errp, "'%s:%s': expected %s:HOST:PORT", kind, rest, kind);
        free(addr);
        return NULL;
    }
    char *ehost = chardev_escape_value(host);
    char *s = xasprintf("socket,host=%s,port=%s%s%s%s", ehost, colon + 1,
                        !strcmp(kind, "telnet") ? ",telnet=on" : "", *extra ? "," : "", extra);
    free(ehost);
    free(host);
    free(addr);
    return s;
}

/*
 * Turn a -serial style spec into -chardev options (without id).  Like QEMU,
 * file: and pipe: take the rest as the path, and unix:/tcp: take options
 * after the address.
 */
static char *chardev_spec_to_opts(const char *spec, Error **errp)
{
    static const char *const plain[] = {"stdio", "null", "pty"};
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
        if (!strcmp(spec, plain[i])) {
            return xstrdup(spec);
        }
    }
    static const char *const pathed[][2] = {{"file:", "file"}, {"pipe:", "pipe"}};
    for (size_t i = 0; i < ARRAY_SIZE(pathed); i++) {
        size_t n = strlen(pathed[i][0]);
        if (!strncmp(spec, pathed[i][0], n)) {
            if (!spec[n]) {
                error_setg(errp, "'%s': no path given", spec);
                return NULL;
            }
            char *path = chardev_escape_value(spec + n);
            char *s = xasprintf("%s,path=%s", pathed[i][1], path);
            free(path);
            return s;
        }
    }
    if (!strncmp(spec, "unix:", 5)) {
        const char *extra;
        char *path = chardev_spec_split(spec + 5, &extra);
        if (!*path) {
            error_setg(errp, "'%s': no path given", spec);
            free(path);
            return NULL;
        }
        char *s = xasprintf("socket,path=%s%s%s", path, *extra ? "," : "", extra);
        free(path);
        return s;
    }
    if (!strncmp(spec, "tcp:", 4)) {
        return chardev_spec_inet("tcp", spec + 4, errp);
    }
    if (!strncmp(spec, "telnet:", 7)) {
        return chardev_spec_inet("telnet", spec + 7, errp);
    }
    error_setg(errp, "'%s' is not a supported character device (stdio, null, none, pty, "
               "file:PATH, pipe:PATH, unix:PATH, tcp:HOST:PORT, telnet:HOST:PORT, mon:SPEC, "
               "chardev:ID)", spec);
    return NULL;
}

static Chardev *chardev_new_plain_spec(ChardevSet *set, const char *id, const char *spec,
                                       Error **errp)
{
    char *optstr = chardev_spec_to_opts(spec, errp);
    if (!optstr) {
        return NULL;
    }
    Opts *opts = opts_parse(optstr, "backend", errp);
    free(optstr);
    if (!opts) {
        return NULL;
    }
    Chardev *chr = NULL;
    if (opts_has(opts, "id") || opts_has(opts, "mux")) {
        error_setg(errp, "'%s': id and mux are -chardev options", spec);
    } else {
        chr = chardev_create(set, id, opts, errp);
    }
    opts_free(opts);
    return chr;
}

Chardev *chardev_new_from_spec(ChardevSet *set, const char *id, const char *spec, Error **errp)
{
    if (!strcmp(spec, "none")) {
        return NULL;
    }
    if (!strncmp(spec, "chardev:", 8)) {
        Chardev *chr = chardev_find(set, spec + 8);
        if (!chr) {
            error_setg(errp, "chardev '%s' not found", spec + 8);
        }
        return chr;
    }
    if (strncmp(spec, "mon:", 4)) {
        return chardev_new_plain_spec(set, id, spec, errp);
    }
    for (int i = 0; i < set->nr_mux_specs; i++) {
        if (!strcmp(set->mux_specs[i].spec, spec)) {
            return set->mux_specs[i].mux;
        }
    }
    char *base_id = xasprintf("%s-base", id);
    if (chardev_find(set, id) || chardev_find(set, base_id)) {
        error_setg(errp, "chardev '%s' already exists", chardev_find(set, id) ? id : base_id);
        free(base_id);
        return NULL;
    }
    Chardev *base = chardev_new_plain_spec(set, base_id, spec + 4, errp);
    free(base_id);
    if (!base) {
        return NULL;
    }
    Chardev *mux = char_mux_new(set, id, base, errp);
    if (mux) {
        set->mux_specs = xrealloc(set->mux_specs, (set->nr_mux_specs + 1) *
                                  sizeof(*set->mux_specs));
        set->mux_specs[set->nr_mux_specs++] = (struct MuxSpec){xstrdup(spec), mux};
    }
    return mux;
}

/* Backend to frontend. */

int chr_be_can_read(Chardev *chr)
{
    CharFrontend *fe = chr->fe;
    if (!fe || !fe->read) {
        return 0;
    }
    if (!fe->can_read) {
        return CHR_READ_MAX;
    }
    int n = fe->can_read(fe->opaque);
    return n > 0 ? n : 0;
}

void chr_be_write(Chardev *chr, const uint8_t *buf, int len)
{
    CharFrontend *fe = chr->fe;
    if (fe && fe->read && len > 0) {
        fe->read(fe->opaque, buf, len);
    }
}

void chr_be_event(Chardev *chr, ChardevEvent event)
{
    if (event == CHR_EVENT_OPENED) {
        chr->open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        chr->open = false;
    }
    CharFrontend *fe = chr->fe;
    if (fe && fe->event) {
        fe->event(fe->opaque, event);
    }
}

/* Frontend API. */

bool char_fe_init(CharFrontend *fe, Chardev *chr, Error **errp)
{
    *fe = (CharFrontend){.mux_index = -1};
    if (!chr) {
        return true;
    }
    if (chr->ops->attach) {
        return chr->ops->attach(chr, fe, errp);
    }
    if (chr->fe) {
        error_setg(errp, "chardev '%s' is already in use", chr->id);
        return false;
    }
    chr->fe = fe;
    fe->chr = chr;
    return true;
}

void char_fe_set_handlers(CharFrontend *fe, CharCanReadHandler can_read, CharReadHandler read,
                          CharEventHandler event, void *opaque)
{
    fe->can_read = can_read;
    fe->read = read;
    fe->event = event;
    fe->opaque = opaque;
    Chardev *chr = fe->chr;
    if (!chr) {
        return;
    }
    if (chr->ops->handlers_set) {
        chr->ops->handlers_set(chr, fe);
        return;
    }
    /* Attaching to a peer that is already there is a connection too. */
    if (chr->open && event) {
        event(opaque, CHR_EVENT_OPENED);
    }
    if (fe->chr == chr && chr->ops->update_input) {
        chr->ops->update_input(chr);
    }
}

void char_fe_deinit(CharFrontend *fe)
{
    Chardev *chr = fe->chr;
    if (!chr) {
        return;
    }
    if (chr->ops->detach) {
        chr->ops->detach(chr, fe);
    } else if (chr->fe == fe) {
        chr->fe = NULL;
        if (chr->ops->update_input) {
            chr->ops->update_input(chr);
        }
    }
    fe->chr = NULL;
    fe->can_read = NULL;
    fe->read = NULL;
    fe->event = NULL;
    fe->mux_index = -1;
}

static int chardev_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    int ret = chr->ops->write_all(chr, buf, len);
    if (ret > 0 && chr->log_fd >= 0) {
        /* The log is best effort: a full disk must not stop the guest's console. */
        char_fd_write_all(chr->log_fd, buf, ret, false);
    }
    return ret;
}

int char_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len)
{
    if (len <= 0) {
        return 0;
    }
    if (!fe->chr) {
        return len; /* no backend: like a port with nothing plugged in */
    }
    return chardev_write_all(fe->chr, buf, len);
}

/* A mux writes through its base with this, so the base's logfile sees it. */
int chardev_backend_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    return chardev_write_all(chr, buf, len);
}

void char_fe_accept_input(CharFrontend *fe)
{
    Chardev *chr = fe->chr;
    if (!chr) {
        return;
    }
    if (chr->ops->accept_input) {
        chr->ops->accept_input(chr, fe);
    } else if (chr->ops->update_input) {
        chr->ops->update_input(chr);
    }
}

void char_fe_focus(CharFrontend *fe)
{
    Chardev *chr = fe->chr;
    if (chr && chr->ops->focus) {
        chr->ops->focus(chr, fe);
    }
}

bool char_fe_is_connected(CharFrontend *fe)
{
    return fe->chr && fe->chr->open;
}

/* Shared fd helpers. */

void char_fd_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int char_fd_write_all(int fd, const uint8_t *buf, int len, bool is_socket)
{
    int done = 0;
    while (done < len) {
        ssize_t n = is_socket ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
                              : write(fd, buf + done, len - done);
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /*
             * Full.  Wait for room; a hang-up with no room means nobody will
             * ever drain it (a pty master whose slave closed never fails the
             * write, it just stays full).
             */
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int r = poll(&p, 1, 1000);
            if (r > 0 && !(p.revents & POLLOUT) && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
                errno = EPIPE;
                return -1;
            }
            continue;
        }
        if (n == 0) {
            errno = EIO;
        }
        return -1;
    }
    return len;
}

static void char_fd_reader_ready(void *opaque);

static void char_fd_reader_watch(CharFdReader *r, bool on)
{
    if (r->watching == on || r->fd < 0) {
        return;
    }
    r->watching = on;
    main_loop_set_fd_handler(r->chr->set->loop, r->fd, on ? char_fd_reader_ready : NULL, NULL,
                             r);
}

void char_fd_reader_update(CharFdReader *r)
{
    char_fd_reader_watch(r, r->enabled && r->fd >= 0 && chr_be_can_read(r->chr) > 0);
}

static void char_fd_reader_ready(void *opaque)
{
    CharFdReader *r = opaque;
    int want = chr_be_can_read(r->chr);
    if (want <= 0) {
        /* The data waits in the fd until char_fe_accept_input. */
        char_fd_reader_watch(r, false);
        return;
    }
    uint8_t buf[CHR_READ_MAX];
    ssize_t n = read(r->fd, buf, MIN(want, (int)sizeof(buf)));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        char_fd_reader_watch(r, false);
        r->enabled = false;
        if (r->on_eof) {
            r->on_eof(r->chr);
        }
        return;
    }
    int len = r->filter ? r->filter(r->chr, buf, n) : n;
    chr_be_write(r->chr, buf, len);
    /* The frontend may now be full, gone, or have closed us: look again. */
    char_fd_reader_update(r);
}

void char_fd_reader_init(CharFdReader *r, Chardev *chr, int fd, void (*on_eof)(Chardev *chr))
{
    *r = (CharFdReader){.chr = chr, .fd = fd, .on_eof = on_eof};
}

void char_fd_reader_enable(CharFdReader *r, bool enabled)
{
    r->enabled = enabled;
    char_fd_reader_update(r);
}

/* The null backend: swallows output, never has input, always "connected". */

static bool char_null_parse(Opts *opts, ChardevConfig *cfg, Error **errp)
{
    return true;
}

static Chardev *char_null_open(ChardevSet *set, const char *id, const ChardevConfig *cfg,
                               Error **errp)
{
    Chardev *chr = chardev_alloc(sizeof(Chardev), &char_null_ops, set, id);
    chr->open = true;
    return chr;
}

static int char_null_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

const ChardevOps char_null_ops = {
    .name = "null",
    .help = "discard output, no input",
    .parse = char_null_parse,
    .open = char_null_open,
    .write_all = char_null_write_all,
};
