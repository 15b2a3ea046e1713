/*
 * The multiplexer behind "mon:SPEC" and "-chardev ...,mux=on": up to four
 * frontends (typically a serial port and a monitor) share one backend.
 * Output from every frontend goes to the backend; input goes to the one with
 * the focus.  The escape character (Ctrl-A unless -echr says otherwise)
 * introduces commands, handled as the bytes arrive:
 *   C-a h  help      C-a x  quit       C-a c  next frontend
 *   C-a b  break     C-a t  timestamps  C-a C-a  a literal C-a
 *
 * Input is escape-processed as soon as the backend delivers it and queued
 * per frontend, so the queue a byte lands in is the one that had the focus
 * when it was typed.  The mux asks the backend only for as much as the
 * focused frontend's queue can hold, which carries the frontend's flow
 * control through to the backend fd.  Bytes left queued are delivered from a
 * bottom half after char_fe_accept_input, never from inside it: a device
 * calling accept_input from its register read must not be re-entered.
 */
#include "core/chardev-internal.h"

#include <unistd.h>

#define MUX_MAX_FE 4
#define MUX_QUEUE_SIZE 256

typedef struct MuxQueue {
    uint8_t buf[MUX_QUEUE_SIZE];
    int len;
} MuxQueue;

typedef struct MuxChardev {
    Chardev parent;
    Chardev *base;
    CharFrontend base_fe; /* the mux is its base's frontend */
    CharFrontend *fes[MUX_MAX_FE];
    MuxQueue queues[MUX_MAX_FE];
    int focus; /* index in fes, or -1 */
    bool got_escape;
    bool flushing;
    BH *flush_bh;
    bool timestamps;
    bool at_line_start;
    int64_t timestamps_start;
} MuxChardev;

static MuxChardev *mux_of(Chardev *chr)
{
    return container_of(chr, MuxChardev, parent);
}

static int64_t mux_now_ms(void)
{
    return host_clock_monotonic_ns() / 1000000;
}

/* Output. */

static int mux_write_raw(MuxChardev *m, const uint8_t *buf, int len)
{
    return chardev_backend_write_all(m->base, buf, len);
}

static void mux_write_timestamp(MuxChardev *m)
{
    int64_t ms = mux_now_ms() - m->timestamps_start;
    char stamp[48];
    snprintf(stamp, sizeof(stamp), "[%02d:%02d:%02d.%03d] ", (int)(ms / 3600000),
             (int)(ms / 60000 % 60), (int)(ms / 1000 % 60), (int)(ms % 1000));
    mux_write_raw(m, (const uint8_t *)stamp, strlen(stamp));
}

static int char_mux_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    MuxChardev *m = mux_of(chr);
    if (len <= 0) {
        return 0;
    }
    if (!m->timestamps) {
        /* Lines are followed even now, so turning stamps on starts at a line's start. */
        m->at_line_start = buf[len - 1] == '\n';
        return mux_write_raw(m, buf, len);
    }
    /* Stamp the start of every line, splitting the write at each newline. */
    int done = 0;
    while (done < len) {
        if (m->at_line_start) {
            mux_write_timestamp(m);
            m->at_line_start = false;
        }
        const uint8_t *nl = memchr(buf + done, '\n', len - done);
        int n = nl ? (int)(nl - (buf + done)) + 1 : len - done;
        if (mux_write_raw(m, buf + done, n) < 0) {
            return -1;
        }
        done += n;
        m->at_line_start = nl != NULL;
    }
    return len;
}

/* The mux's own messages (help, quit) go out like a frontend's. */
static int mux_write_str(MuxChardev *m, const char *s)
{
    return char_mux_write_all(&m->parent, (const uint8_t *)s, strlen(s));
}

/* Focus and events. */

static void mux_send_event(MuxChardev *m, int i, ChardevEvent event)
{
    CharFrontend *fe = i >= 0 ? m->fes[i] : NULL;
    if (fe && fe->event) {
        fe->event(fe->opaque, event);
    }
}

static void mux_flush(MuxChardev *m, int i);

static void mux_set_focus(MuxChardev *m, int i)
{
    if (i == m->focus) {
        return;
    }
    mux_send_event(m, m->focus, CHR_EVENT_MUX_OUT);
    m->focus = i;
    mux_send_event(m, i, CHR_EVENT_MUX_IN);
    bh_schedule(m->flush_bh);
}

static int mux_next_frontend(MuxChardev *m, int from)
{
    for (int k = 1; k <= MUX_MAX_FE; k++) {
        int i = (from + k + MUX_MAX_FE) % MUX_MAX_FE;
        if (m->fes[i]) {
            return i;
        }
    }
    return -1;
}

/* Input. */

/* Hand queued bytes to frontend i as far as it will take them. */
static void mux_flush(MuxChardev *m, int i)
{
    /* A read handler that calls accept_input must not deliver out of order. */
    if (m->flushing) {
        return;
    }
    m->flushing = true;
    MuxQueue *q = &m->queues[i];
    while (q->len > 0 && m->fes[i] && m->fes[i]->read) {
        CharFrontend *fe = m->fes[i];
        int n = fe->can_read ? fe->can_read(fe->opaque) : q->len;
        if (n <= 0) {
            break;
        }
        uint8_t chunk[MUX_QUEUE_SIZE];
        n = MIN(n, q->len);
        memcpy(chunk, q->buf, n);
        memmove(q->buf, q->buf + n, q->len - n);
        q->len -= n;
        fe->read(fe->opaque, chunk, n);
    }
    m->flushing = false;
}

static void mux_print_help(MuxChardev *m)
{
    int e = m->parent.set->escape_char;
    char key[16];
    if (e >= 1 && e <= 26) {
        snprintf(key, sizeof(key), "C-%c", 'a' + e - 1);
    } else {
        snprintf(key, sizeof(key), "'%c'", e);
    }
    static const char *const lines[][2] = {
        {"h", "print this help"},
        {"x", "exit emulator"},
        {"t", "toggle console timestamps"},
        {"b", "send break (magic sysrq)"},
        {"c", "switch between console and monitor"},
    };
    char line[96];
    mux_write_str(m, "\r\n");
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        snprintf(line, sizeof(line), "%s %s    %s\r\n", key, lines[i][0], lines[i][1]);
        mux_write_str(m, line);
    }
    snprintf(line, sizeof(line), "%s %s  sends %s\r\n", key, key, key);
    mux_write_str(m, line);
}

static void mux_quit(MuxChardev *m)
{
    ChardevSet *set = m->parent.set;
    mux_write_str(m, "Osprey: Terminated\r\n");
    if (set->quit) {
        set->quit(set->quit_opaque);
        return;
    }
    char_stdio_restore_terminal();
    exit(0);
}

static void mux_enqueue(MuxChardev *m, uint8_t c)
{
    if (m->focus < 0) {
        return; /* nobody to type to */
    }
    MuxQueue *q = &m->queues[m->focus];
    /*
     * Full only when the focus moved in the middle of one backend read and
     * the new frontend is not taking input: there is nowhere to keep it.
     */
    if (q->len < MUX_QUEUE_SIZE) {
        q->buf[q->len++] = c;
    }
}

static void mux_command(MuxChardev *m, uint8_t c)
{
    switch (c) {
    case 'h':
    case '?':
        mux_print_help(m);
        break;
    case 'x':
        mux_quit(m);
        break;
    case 'c':
        mux_flush(m, m->focus >= 0 ? m->focus : 0);
        mux_set_focus(m, mux_next_frontend(m, m->focus));
        break;
    case 'b':
        mux_send_event(m, m->focus, CHR_EVENT_BREAK);
        break;
    case 't':
        m->timestamps = !m->timestamps;
        m->timestamps_start = mux_now_ms();
        break;
    default:
        /* Unknown commands are swallowed, as in QEMU. */
        break;
    }
}

static int mux_can_read(void *opaque)
{
    MuxChardev *m = opaque;
    if (m->focus < 0) {
        return MUX_QUEUE_SIZE; /* still read, for the escape commands */
    }
    return MUX_QUEUE_SIZE - m->queues[m->focus].len;
}

/* Deliver what waits in the queues, then let the backend read again. */
static void mux_flush_bh(void *opaque)
{
    MuxChardev *m = opaque;
    for (int i = 0; i < MUX_MAX_FE; i++) {
        mux_flush(m, i);
    }
    char_fe_accept_input(&m->base_fe);
}

static void mux_read(void *opaque, const uint8_t *buf, int len)
{
    MuxChardev *m = opaque;
    int esc = m->parent.set->escape_char;
    for (int i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (m->got_escape) {
            m->got_escape = false;
            if (c == esc) {
                mux_enqueue(m, c);
            } else {
                /* Deliver what was typed before the command to whoever it was for. */
                if (m->focus >= 0) {
                    mux_flush(m, m->focus);
                }
                mux_command(m, c);
            }
        } else if (c == esc) {
            m->got_escape = true;
        } else {
            mux_enqueue(m, c);
        }
    }
    if (m->focus >= 0) {
        mux_flush(m, m->focus);
    }
}

static void mux_event(void *opaque, ChardevEvent event)
{
    MuxChardev *m = opaque;
    if (event == CHR_EVENT_OPENED) {
        m->parent.open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        m->parent.open = false;
    }
    if (event == CHR_EVENT_BREAK) {
        mux_send_event(m, m->focus, event);
        return;
    }
    for (int i = 0; i < MUX_MAX_FE; i++) {
        mux_send_event(m, i, event);
    }
}

/* Frontends. */

static bool char_mux_attach(Chardev *chr, CharFrontend *fe, Error **errp)
{
    MuxChardev *m = mux_of(chr);
    for (int i = 0; i < MUX_MAX_FE; i++) {
        if (!m->fes[i]) {
            m->fes[i] = fe;
            m->queues[i].len = 0;
            fe->chr = chr;
            fe->mux_index = i;
            if (m->focus < 0) {
                m->focus = i;
            }
            return true;
        }
    }
    error_setg(errp, "chardev '%s': too many frontends on a multiplexer (at most %d)", chr->id,
               MUX_MAX_FE);
    return false;
}

static void char_mux_detach(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *m = mux_of(chr);
    int i = fe->mux_index;
    if (i < 0 || i >= MUX_MAX_FE || m->fes[i] != fe) {
        return;
    }
    m->fes[i] = NULL;
    m->queues[i].len = 0;
    if (m->focus == i) {
        /* Not mux_set_focus: the leaving frontend gets no more events. */
        m->focus = mux_next_frontend(m, i);
        mux_send_event(m, m->focus, CHR_EVENT_MUX_IN);
    }
    bh_schedule(m->flush_bh);
}

static void char_mux_handlers_set(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *m = mux_of(chr);
    if (chr->open && fe->event) {
        fe->event(fe->opaque, CHR_EVENT_OPENED);
    }
    if (m->focus == fe->mux_index && fe->event) {
        fe->event(fe->opaque, CHR_EVENT_MUX_IN);
    }
    bh_schedule(m->flush_bh);
}

static void char_mux_accept_input(Chardev *chr, CharFrontend *fe)
{
    bh_schedule(mux_of(chr)->flush_bh);
}

static void char_mux_focus(Chardev *chr, CharFrontend *fe)
{
    MuxChardev *m = mux_of(chr);
    if (fe->mux_index >= 0 && fe->mux_index < MUX_MAX_FE && m->fes[fe->mux_index] == fe) {
        mux_set_focus(m, fe->mux_index);
    }
}

static void char_mux_close(Chardev *chr)
{
    MuxChardev *m = mux_of(chr);
    for (int i = 0; i < MUX_MAX_FE; i++) {
        if (m->fes[i]) {
            m->fes[i]->chr = NULL;
            m->fes[i]->mux_index = -1;
            m->fes[i] = NULL;
        }
    }
    char_fe_deinit(&m->base_fe);
    bh_delete(m->flush_bh);
}

Chardev *char_mux_new(ChardevSet *set, const char *id, Chardev *base, Error **errp)
{
    MuxChardev *m = chardev_alloc(sizeof(*m), &char_mux_ops, set, id);
    m->base = base;
    m->focus = -1;
    m->at_line_start = true;
    if (!char_fe_init(&m->base_fe, base, errp)) {
        chardev_free_unopened(&m->parent);
        return NULL;
    }
    m->flush_bh = bh_new(set->loop, mux_flush_bh, m);
    Chardev **p = &set->chardevs;
    while (*p) {
        p = &(*p)->next;
    }
    *p = &m->parent;
    /* Registered first: OPENED from an already-open base lands on a ready mux. */
    char_fe_set_handlers(&m->base_fe, mux_can_read, mux_read, mux_event, m);
    return &m->parent;
}

const ChardevOps char_mux_ops = {
    .name = "mux",
    .write_all = char_mux_write_all,
    .close = char_mux_close,
    .attach = char_mux_attach,
    .detach = char_mux_detach,
    .handlers_set = char_mux_handlers_set,
    .accept_input = char_mux_accept_input,
    .focus = char_mux_focus,
};
