/*
 * -netdev user: user-mode networking on libslirp.  The guest sees a
 * router at 10.0.2.2 (by default) with DHCP and a DNS forwarder at
 * 10.0.2.3; its TCP and UDP flows become ordinary host sockets.
 *
 * Main-loop integration: libslirp tells us which sockets it wants polled
 * through slirp_pollfds_fill().  We mirror that set as fd handlers and,
 * whenever one fires (or a timer, or the guest sends a frame), run one
 * zero-timeout poll() over the whole set and hand the results to
 * slirp_pollfds_poll(), then refresh the handlers.  Slirp's own timers
 * run on host real time, so it keeps working while the guest's virtual
 * clock is stopped (qtest).
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>

#include "core/chardev.h"
#include "core/log.h"
#include "core/opts.h"

#define SLIRP_MAX_GUESTFWD 8

/*
 * Frames from the guest wait in a queue and reach slirp_input() in batches from the main
 * loop, not inside the vCPU's TX register write (see slirp_receive).  Past this many queued
 * bytes the vCPU's slice is ended so the batch goes in: about half of the 64 KiB window
 * slirp's TCP (no window scaling) allows in flight, so the guest is never stopped by a
 * full window while its earlier segments wait here.
 */
#define SLIRP_TX_KICK_BYTES (24u << 10)
/* A guest that somehow keeps sending without ending its slice is fed in directly. */
#define SLIRP_TX_MAX_BYTES (1u << 20)
/* A busy guest's held data segments wait at most this long (host time). */
#define SLIRP_TX_MAX_DELAY_NS 200000

typedef struct SlirpTxFrame {
    struct SlirpTxFrame *next;
    size_t len;
    uint8_t data[];
} SlirpTxFrame;

typedef struct SlirpGuestFwd {
    struct SlirpState *s;
    CharFrontend fe;
    struct in_addr addr;
    int port;
} SlirpGuestFwd;

typedef struct SlirpState {
    NetClientState *nc;
    Machine *m;
    Slirp *slirp;
    /* The sockets slirp asked for at the last refresh, and their handlers. */
    struct pollfd *pfds;
    int nr_pfds, cap_pfds;
    int *watched;
    int nr_watched, cap_watched;
    Timer *tick;       /* slirp_pollfds_fill's timeout: TCP timers want polling */
    BH *refresh_bh;
    bool in_poll;
    /* Guest frames not yet given to slirp_input(), oldest first. */
    SlirpTxFrame *tx_head, **tx_tail;
    size_t tx_bytes;
    int64_t tx_first_ns; /* host monotonic time the oldest one was queued */
    bool tx_has_data;    /* one of them carries TCP payload: worth holding (slirp_receive) */
    /* While a batch goes in: slirp's answers, sent on (thinned) when it is done. */
    bool batching;
    SlirpTxFrame *rx_head, **rx_tail;
    SlirpGuestFwd guestfwd[SLIRP_MAX_GUESTFWD];
    int nr_guestfwd;
    char *vhostname, *tftp, *bootfile, *domain;
} SlirpState;

typedef struct SlirpTimerWrap {
    SlirpState *s;
    Timer *timer;
    SlirpTimerId id;
    void *cb_opaque;
} SlirpTimerWrap;

static void slirp_refresh(SlirpState *s);
static void slirp_tx_drain(SlirpState *s);

/* ---------------------------------------------------------------------- */
/* libslirp callbacks */

static void slirp_frame_append(SlirpTxFrame ***tail, const void *buf, size_t len)
{
    SlirpTxFrame *f = xmalloc(sizeof(*f) + len);
    f->next = NULL;
    f->len = len;
    memcpy(f->data, buf, len);
    **tail = f;
    *tail = &f->next;
}

static ssize_t slirp_cb_send_packet(const void *buf, size_t len, void *opaque)
{
    SlirpState *s = opaque;
    if (s->batching && len <= NET_MAX_FRAME) {
        slirp_frame_append(&s->rx_tail, buf, len);
        return len;
    }
    /* The guest may be slow; slirp's TCP retransmits what a full queue drops. */
    net_send(s->nc, buf, len);
    return len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
    log_guest_error("slirp: %s\n", msg);
}

static int64_t slirp_cb_clock_get_ns(void *opaque)
{
    return host_clock_monotonic_ns();
}

static void slirp_timer_fire(void *opaque)
{
    SlirpTimerWrap *w = opaque;
    slirp_handle_timer(w->s->slirp, w->id, w->cb_opaque);
    slirp_refresh(w->s);
}

static void *slirp_cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    SlirpState *s = opaque;
    SlirpTimerWrap *w = XNEW(SlirpTimerWrap);
    w->s = s;
    w->id = id;
    w->cb_opaque = cb_opaque;
    w->timer = timer_new(main_loop_clock(s->m->loop, CLOCK_REAL), slirp_timer_fire, w);
    return w;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
    SlirpTimerWrap *w = timer;
    if (w) {
        timer_free(w->timer);
        free(w);
    }
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    SlirpTimerWrap *w = timer;
    /* expire_ms is on slirp's clock, which is ours in ms; both are host monotonic. */
    timer_mod(w->timer, expire_ms * 1000000);
}

static void slirp_cb_register_poll_fd(int fd, void *opaque)
{
}

static void slirp_unwatch(SlirpState *s, int fd)
{
    for (int i = 0; i < s->nr_watched; i++) {
        if (s->watched[i] == fd) {
            main_loop_set_fd_handler(s->m->loop, fd, NULL, NULL, NULL);
            s->watched[i] = s->watched[--s->nr_watched];
            return;
        }
    }
}

static void slirp_cb_unregister_poll_fd(int fd, void *opaque)
{
    /* slirp is about to close fd: the loop must forget it first. */
    slirp_unwatch(opaque, fd);
}

static void slirp_cb_notify(void *opaque)
{
    SlirpState *s = opaque;
    bh_schedule(s->refresh_bh);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = slirp_cb_send_packet,
    .guest_error = slirp_cb_guest_error,
    .clock_get_ns = slirp_cb_clock_get_ns,
    .timer_free = slirp_cb_timer_free,
    .timer_mod = slirp_cb_timer_mod,
    .register_poll_fd = slirp_cb_register_poll_fd,
    .unregister_poll_fd = slirp_cb_unregister_poll_fd,
    .notify = slirp_cb_notify,
    .timer_new_opaque = slirp_cb_timer_new_opaque,
};

/* ---------------------------------------------------------------------- */
/* Polling */

static int slirp_add_poll(int fd, int events, void *opaque)
{
    SlirpState *s = opaque;
    if (s->nr_pfds == s->cap_pfds) {
        s->cap_pfds = s->cap_pfds ? 2 * s->cap_pfds : 16;
        s->pfds = xrealloc(s->pfds, s->cap_pfds * sizeof(*s->pfds));
    }
    short ev = 0;
    ev |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    ev |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    ev |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    ev |= (events & SLIRP_POLL_ERR) ? POLLERR : 0;
    ev |= (events & SLIRP_POLL_HUP) ? POLLHUP : 0;
    s->pfds[s->nr_pfds] = (struct pollfd){.fd = fd, .events = ev};
    return s->nr_pfds++;
}

static int slirp_get_revents(int idx, void *opaque)
{
    SlirpState *s = opaque;
    if (idx < 0 || idx >= s->nr_pfds) {
        return 0;
    }
    short r = s->pfds[idx].revents;
    int ev = 0;
    ev |= (r & POLLIN) ? SLIRP_POLL_IN : 0;
    ev |= (r & POLLOUT) ? SLIRP_POLL_OUT : 0;
    ev |= (r & POLLPRI) ? SLIRP_POLL_PRI : 0;
    ev |= (r & POLLERR) ? SLIRP_POLL_ERR : 0;
    ev |= (r & POLLHUP) ? SLIRP_POLL_HUP : 0;
    return ev;
}

static void slirp_fd_event(void *opaque);

/* Ask slirp what to watch; mirror it as fd handlers and a tick timer. */
static void slirp_refresh(SlirpState *s)
{
    if (s->in_poll) {
        return;
    }
    /* The guest's frames first: their ACKs open windows that the poll below then fills. */
    slirp_tx_drain(s);
    s->in_poll = true;
    uint32_t timeout = UINT32_MAX;
    s->nr_pfds = 0;
    slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
    /*
     * Run what is already ready now, then fill again for the handlers.  Even with no socket
     * to watch: slirp_pollfds_poll also runs slirp's TCP timers, and a connection whose host
     * socket is not polled (slirp's buffer toward the guest is full) still needs its
     * retransmit timer when a frame to the guest was lost.
     */
    int ready = s->nr_pfds ? poll(s->pfds, s->nr_pfds, 0) : 0;
    slirp_pollfds_poll(s->slirp, ready < 0, slirp_get_revents, s);
    timeout = UINT32_MAX;
    s->nr_pfds = 0;
    slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
    /* Drop handlers for sockets slirp no longer asks about. */
    for (int i = 0; i < s->nr_watched;) {
        bool keep = false;
        for (int j = 0; j < s->nr_pfds && !keep; j++) {
            keep = s->pfds[j].fd == s->watched[i];
        }
        if (keep) {
            i++;
        } else {
            slirp_unwatch(s, s->watched[i]);
        }
    }
    for (int j = 0; j < s->nr_pfds; j++) {
        int fd = s->pfds[j].fd;
        bool known = false;
        for (int i = 0; i < s->nr_watched && !known; i++) {
            known = s->watched[i] == fd;
        }
        if (!known) {
            if (s->nr_watched == s->cap_watched) {
                s->cap_watched = s->cap_watched ? 2 * s->cap_watched : 16;
                s->watched = xrealloc(s->watched, s->cap_watched * sizeof(int));
            }
            s->watched[s->nr_watched++] = fd;
        }
        bool want_out = s->pfds[j].events & POLLOUT;
        main_loop_set_fd_handler(s->m->loop, fd, slirp_fd_event,
                                 want_out ? slirp_fd_event : NULL, s);
    }
    if (timeout != UINT32_MAX) {
        timer_mod(s->tick, clock_get_ns(main_loop_clock(s->m->loop, CLOCK_REAL)) +
                               (int64_t)timeout * 1000000);
    } else {
        timer_del(s->tick);
    }
    s->in_poll = false;
}

static void slirp_fd_event(void *opaque)
{
    slirp_refresh(opaque);
}

static void slirp_tick(void *opaque)
{
    slirp_refresh(opaque);
}

/* ---------------------------------------------------------------------- */
/* The NetClient */

/*
 * Send slirp's answers to a batch on to the guest.  slirp acknowledges every segment at
 * once, so a batch of the guest's segments comes back as as many ACKs, each one a frame,
 * an interrupt and a pass through the guest's TCP; the ACKs a later one supersedes are
 * left out (net_thin_tcp_acks).
 */
static void slirp_flush_answers(SlirpState *s)
{
    SlirpTxFrame *list = s->rx_head;
    s->rx_head = NULL;
    s->rx_tail = &s->rx_head;
    int n = 0;
    for (SlirpTxFrame *f = list; f; f = f->next) {
        n++;
    }
    if (n > 1) {
        const uint8_t **frames = xcalloc(n, sizeof(*frames));
        size_t *lens = xcalloc(n, sizeof(*lens));
        bool *keep = xcalloc(n, sizeof(*keep));
        int i = 0;
        for (SlirpTxFrame *f = list; f; f = f->next, i++) {
            frames[i] = f->data;
            lens[i] = f->len;
            keep[i] = true;
        }
        net_thin_tcp_acks(n, frames, lens, keep);
        i = 0;
        for (SlirpTxFrame *f = list; f; f = f->next, i++) {
            if (!keep[i]) {
                f->len = 0; /* net_send ignores empty frames; freed below */
            }
        }
        free(frames);
        free(lens);
        free(keep);
    }
    while (list) {
        SlirpTxFrame *f = list;
        list = f->next;
        if (f->len) {
            net_send(s->nc, f->data, f->len);
        }
        free(f);
    }
}

/* Hand the queued guest frames to slirp, in order. */
static void slirp_tx_drain(SlirpState *s)
{
    if (!s->tx_head || s->batching) {
        return;
    }
    s->batching = true;
    s->tx_has_data = false;
    while (s->tx_head) {
        SlirpTxFrame *f = s->tx_head;
        s->tx_head = f->next;
        if (!s->tx_head) {
            s->tx_tail = &s->tx_head;
        }
        s->tx_bytes -= f->len;
        slirp_input(s->slirp, f->data, (int)f->len);
        free(f);
    }
    s->batching = false;
    slirp_flush_answers(s);
}

static ssize_t slirp_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    SlirpState *s = nc->opaque;
    /*
     * Not slirp_input() here, inside the guest's TX register write.  slirp ACKs every
     * segment at once, so its ACK reached the guest before its next write: Nagle never
     * merged the small writes of a program like nc, and every 1 KiB write became a frame,
     * an ACK, an interrupt and a main-loop round.  So a TCP segment with data is held,
     * and goes in when the guest idles (HLT ends the slice), when a window's worth has
     * gathered (the kick below) or after SLIRP_TX_MAX_DELAY_NS, as over a link with a real
     * round trip; slirp's ACKs to the batch are then thinned (slirp_flush_answers).
     * Anything else (the guest's ACKs while it downloads, DNS, DHCP) goes in at the end
     * of the slice, as soon as before: holding an ACK only stalls slirp's sending.
     */
    if (s->tx_bytes + len > SLIRP_TX_MAX_BYTES) {
        slirp_tx_drain(s);
    }
    if (!s->tx_head) {
        s->tx_first_ns = host_clock_monotonic_ns();
    }
    slirp_frame_append(&s->tx_tail, buf, len);
    s->tx_bytes += len;
    bool data = net_tcp_payload_len(buf, len) > 0;
    s->tx_has_data |= data;
    bh_schedule(s->refresh_bh);
    if (!data || s->tx_bytes >= SLIRP_TX_KICK_BYTES) {
        machine_kick(s->m);
    }
    return len;
}

static void slirp_client_cleanup(NetClientState *nc)
{
    SlirpState *s = nc->opaque;
    for (int i = 0; i < s->nr_guestfwd; i++) {
        char_fe_deinit(&s->guestfwd[i].fe);
    }
    while (s->nr_watched) {
        slirp_unwatch(s, s->watched[0]);
    }
    while (s->tx_head) {
        SlirpTxFrame *f = s->tx_head;
        s->tx_head = f->next;
        free(f);
    }
    while (s->rx_head) {
        SlirpTxFrame *f = s->rx_head;
        s->rx_head = f->next;
        free(f);
    }
    if (s->slirp) {
        slirp_cleanup(s->slirp);
    }
    timer_free(s->tick);
    bh_delete(s->refresh_bh);
    free(s->pfds);
    free(s->watched);
    free(s->vhostname);
    free(s->tftp);
    free(s->bootfile);
    free(s->domain);
    free(s);
}

/* "tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" (tcp: is the default). */
static bool slirp_parse_hostfwd(const char *rule, bool need_guest, int *is_udp,
                                struct in_addr *host, int *hport, struct in_addr *guest,
                                int *gport, Error **errp)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", rule);
    char *p = buf;
    *is_udp = 0;
    if (!strncmp(p, "tcp:", 4)) {
        p += 4;
    } else if (!strncmp(p, "udp:", 4)) {
        *is_udp = 1;
        p += 4;
    }
    char *colon = strchr(p, ':');
    if (!colon) {
        goto bad;
    }
    *colon = 0;
    host->s_addr = INADDR_ANY;
    if (*p && !inet_aton(p, host)) {
        goto bad;
    }
    p = colon + 1;
    char *dash = strchr(p, '-');
    if (dash) {
        *dash = 0;
    } else if (need_guest) {
        goto bad;
    }
    char *end;
    long v = strtol(p, &end, 10);
    if (*end || v < 0 || v > 65535 || !*p) {
        goto bad;
    }
    *hport = (int)v;
    if (!need_guest) {
        return true;
    }
    p = dash + 1;
    colon = strchr(p, ':');
    if (!colon) {
        goto bad;
    }
    *colon = 0;
    guest->s_addr = INADDR_ANY;
    if (*p && !inet_aton(p, guest)) {
        goto bad;
    }
    p = colon + 1;
    v = strtol(p, &end, 10);
    if (*end || v < 1 || v > 65535 || !*p) {
        goto bad;
    }
    *gport = (int)v;
    return true;
bad:
    error_setg(errp, "invalid host forwarding rule '%s'", rule);
    return false;
}

static bool slirp_hostfwd_add(NetClientState *nc, const char *rule, Error **errp)
{
    SlirpState *s = nc->opaque;
    int is_udp, hport, gport;
    struct in_addr host, guest;
    if (!slirp_parse_hostfwd(rule, true, &is_udp, &host, &hport, &guest, &gport, errp)) {
        return false;
    }
    if (slirp_add_hostfwd(s->slirp, is_udp, host, hport, guest, gport) < 0) {
        error_setg(errp, "could not set up host forwarding rule '%s'", rule);
        return false;
    }
    slirp_refresh(s);
    return true;
}

static bool slirp_hostfwd_remove(NetClientState *nc, const char *rule, Error **errp)
{
    SlirpState *s = nc->opaque;
    int is_udp, hport, gport;
    struct in_addr host, guest;
    /* hostfwd_remove takes "[tcp|udp]:[HOSTADDR]:HOSTPORT"; accept a whole rule too. */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", rule);
    char *dash = strchr(buf, '-');
    if (dash) {
        *dash = 0;
    }
    if (!slirp_parse_hostfwd(buf, false, &is_udp, &host, &hport, &guest, &gport, errp)) {
        return false;
    }
    if (slirp_remove_hostfwd(s->slirp, is_udp, host, hport) < 0) {
        error_setg(errp, "host forwarding rule for '%s' not found", rule);
        return false;
    }
    slirp_refresh(s);
    return true;
}

/* guestfwd: the guest's connections to ADDR:PORT reach a chardev. */
static ssize_t slirp_guestfwd_write(const void *buf, size_t len, void *opaque)
{
    SlirpGuestFwd *g = opaque;
    return char_fe_write_all(&g->fe, buf, (int)len);
}

static int slirp_guestfwd_can_read(void *opaque)
{
    SlirpGuestFwd *g = opaque;
    size_t n = slirp_socket_can_recv(g->s->slirp, g->addr, g->port);
    return (int)MIN(n, 65536);
}

static void slirp_guestfwd_read(void *opaque, const uint8_t *buf, int len)
{
    SlirpGuestFwd *g = opaque;
    slirp_socket_recv(g->s->slirp, g->addr, g->port, buf, len);
    slirp_refresh(g->s);
}

/* "[tcp]:SERVER:PORT-DEV", DEV a chardev spec ("cmd:..." runs a command). */
static bool slirp_add_guestfwd_rule(SlirpState *s, const char *rule, Error **errp)
{
    const char *p = rule;
    if (!strncmp(p, "tcp:", 4)) {
        p += 4;
    }
    char addr[64];
    int port, n = 0;
    if (sscanf(p, "%63[^:]:%d-%n", addr, &port, &n) != 2 || !n || port < 1 || port > 65535) {
        error_setg(errp, "invalid guest forwarding rule '%s'", rule);
        return false;
    }
    struct in_addr server;
    if (!inet_aton(addr, &server)) {
        error_setg(errp, "invalid guest forwarding address '%s'", addr);
        return false;
    }
    const char *dev = p + n;
    if (!strncmp(dev, "cmd:", 4)) {
        if (slirp_add_exec(s->slirp, dev + 4, &server, port) < 0) {
            error_setg(errp, "conflicting guest forwarding rule '%s'", rule);
            return false;
        }
        return true;
    }
    if (s->nr_guestfwd == SLIRP_MAX_GUESTFWD) {
        error_setg(errp, "too many guest forwarding rules (at most %d)", SLIRP_MAX_GUESTFWD);
        return false;
    }
    SlirpGuestFwd *g = &s->guestfwd[s->nr_guestfwd];
    char *id = xasprintf("%s-guestfwd%d", s->nc->name, s->nr_guestfwd);
    Chardev *chr = chardev_new_from_spec(s->m->chardevs, id, dev, errp);
    free(id);
    if (!chr) {
        return false;
    }
    g->s = s;
    g->addr = server;
    g->port = port;
    if (!char_fe_init(&g->fe, chr, errp)) {
        return false;
    }
    if (slirp_add_guestfwd(s->slirp, slirp_guestfwd_write, g, &server, port) < 0) {
        char_fe_deinit(&g->fe);
        error_setg(errp, "conflicting guest forwarding rule '%s'", rule);
        return false;
    }
    char_fe_set_handlers(&g->fe, slirp_guestfwd_can_read, slirp_guestfwd_read, NULL, g);
    s->nr_guestfwd++;
    return true;
}

static const NetClientOps slirp_ops = {
    .type = "user",
    .receive = slirp_receive,
    .cleanup = slirp_client_cleanup,
    .hostfwd_add = slirp_hostfwd_add,
    .hostfwd_remove = slirp_hostfwd_remove,
};

static bool parse_addr(Opts *o, const char *key, struct in_addr *out, Error **errp)
{
    const char *v = opts_get(o, key);
    if (v && !inet_aton(v, out)) {
        error_setg(errp, "%s: invalid IPv4 address '%s'", key, v);
        return false;
    }
    return true;
}

static void slirp_refresh_bh(void *opaque)
{
    SlirpState *s = opaque;
    /*
     * While the guest keeps running, its queued data segments wait (see slirp_receive):
     * the vCPU's slice also ends for every interrupt it is sent, so this runs often, and
     * answering at once would again hand the guest its ACK before its next write.  The
     * BH stays scheduled meanwhile; the loop does not sleep while the guest runs.
     */
    if (s->tx_has_data && !s->m->vcpus_idle && s->tx_bytes < SLIRP_TX_KICK_BYTES &&
        host_clock_monotonic_ns() - s->tx_first_ns < SLIRP_TX_MAX_DELAY_NS) {
        bh_schedule(s->refresh_bh);
        return;
    }
    slirp_refresh(s);
}

bool net_init_user(Machine *m, Opts *o, const char *id, NetClientState **out, Error **errp)
{
    SlirpConfig cfg = {.version = 4, .in_enabled = true, .in6_enabled = false};
    inet_aton("10.0.2.0", &cfg.vnetwork);
    inet_aton("255.255.255.0", &cfg.vnetmask);
    bool restricted = false, ipv4 = true;

    /* net=ADDR[/MASK]: the other addresses default to .2, .3, .15 inside it. */
    const char *net = opts_get(o, "net");
    if (net) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", net);
        char *slash = strchr(buf, '/');
        int bits = 24;
        if (slash) {
            *slash = 0;
            if (strchr(slash + 1, '.')) {
                if (!inet_aton(slash + 1, &cfg.vnetmask)) {
                    error_setg(errp, "net: invalid netmask '%s'", slash + 1);
                    return false;
                }
                bits = -1;
            } else {
                char *end;
                bits = (int)strtol(slash + 1, &end, 10);
                if (*end || bits < 8 || bits > 30) {
                    error_setg(errp, "net: invalid prefix length '%s'", slash + 1);
                    return false;
                }
            }
        }
        if (bits >= 0) {
            cfg.vnetmask.s_addr = htonl(~0u << (32 - bits));
        }
        if (!inet_aton(buf, &cfg.vnetwork)) {
            error_setg(errp, "net: invalid address '%s'", buf);
            return false;
        }
        cfg.vnetwork.s_addr &= cfg.vnetmask.s_addr;
    }
    uint32_t base = ntohl(cfg.vnetwork.s_addr);
    cfg.vhost.s_addr = htonl(base | 2);
    cfg.vnameserver.s_addr = htonl(base | 3);
    cfg.vdhcp_start.s_addr = htonl(base | 15);
    if (!parse_addr(o, "host", &cfg.vhost, errp) || !parse_addr(o, "dns", &cfg.vnameserver, errp) ||
        !parse_addr(o, "dhcpstart", &cfg.vdhcp_start, errp) ||
        !opts_get_bool(o, "restrict", false, &restricted, errp) ||
        !opts_get_bool(o, "ipv4", true, &ipv4, errp)) {
        return false;
    }
    uint32_t mask = ntohl(cfg.vnetmask.s_addr);
    if ((ntohl(cfg.vhost.s_addr) & mask) != base || (ntohl(cfg.vnameserver.s_addr) & mask) != base) {
        error_setg(errp, "host= and dns= must lie inside net=");
        return false;
    }
    bool ipv6 = false;
    if (!opts_get_bool(o, "ipv6", false, &ipv6, errp)) {
        return false;
    }
    if (ipv6) {
        log_unimp("slirp: ipv6=on is not supported; IPv4 only\n");
    }
    cfg.restricted = restricted;
    cfg.in_enabled = ipv4;
    cfg.if_mtu = 0;
    cfg.if_mru = 0;

    SlirpState *s = XNEW(SlirpState);
    s->m = m;
    s->tx_tail = &s->tx_head;
    s->rx_tail = &s->rx_head;
    s->vhostname = opts_has(o, "hostname") ? xstrdup(opts_get(o, "hostname")) : NULL;
    s->tftp = opts_has(o, "tftp") ? xstrdup(opts_get(o, "tftp")) : NULL;
    s->bootfile = opts_has(o, "bootfile") ? xstrdup(opts_get(o, "bootfile")) : NULL;
    s->domain = opts_has(o, "domainname") ? xstrdup(opts_get(o, "domainname")) : NULL;
    cfg.vhostname = s->vhostname;
    cfg.tftp_path = s->tftp;
    cfg.bootfile = s->bootfile;
    cfg.vdomainname = s->domain;

    NetClientState *nc = net_client_new(m, &slirp_ops, id, s);
    s->nc = nc;
    s->tick = timer_new(main_loop_clock(m->loop, CLOCK_REAL), slirp_tick, s);
    s->refresh_bh = bh_new(m->loop, slirp_refresh_bh, s);
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    snprintf(nc->info_str, sizeof(nc->info_str), "net=%s,restrict=%s", inet_ntoa(cfg.vnetwork),
             restricted ? "on" : "off");
    *out = nc;
    if (!s->slirp) {
        error_setg(errp, "could not initialize user-mode networking");
        return false; /* the caller frees nc, whose cleanup tolerates this */
    }
    /* Every hostfwd= and guestfwd= given (each key may repeat). */
    for (int i = 0; i < o->nr; i++) {
        KeyVal *kv = &o->items[i];
        bool ok = true;
        if (!strcmp(kv->key, "hostfwd")) {
            kv->used = true;
            ok = slirp_hostfwd_add(nc, kv->value, errp);
        } else if (!strcmp(kv->key, "guestfwd")) {
            kv->used = true;
            ok = slirp_add_guestfwd_rule(s, kv->value, errp);
        }
        if (!ok) {
            return false;
        }
    }
    slirp_refresh(s);
    return true;
}
