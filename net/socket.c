/*
 * -netdev socket: wire VMs together without privileges.
 *
 *   listen=[HOST]:PORT   accept one TCP peer (another VM's connect=)
 *   connect=HOST:PORT    connect to a listening VM
 *   mcast=ADDR:PORT      a UDP multicast group: every member sees every frame
 *   udp=HOST:PORT,localaddr=HOST:PORT   one UDP peer
 *
 * Over TCP each frame is preceded by its length as a 32-bit big-endian
 * number (QEMU's stream format, so Osprey and QEMU VMs can be joined);
 * over UDP one datagram is one frame.  When the NIC cannot take more, the
 * socket stops being read until the NIC drains (net_send returned 0).
 */
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/opts.h"

typedef enum { NETSOCK_LISTEN, NETSOCK_STREAM, NETSOCK_DGRAM } SocketMode;

typedef struct SocketState {
    NetClientState *nc;
    Machine *m;
    SocketMode mode;
    int listen_fd;
    int fd;                 /* the connected stream, or the datagram socket; -1 none */
    struct sockaddr_in dgram_dst;
    bool reading;           /* our read handler is installed */
    /* Stream reassembly: the 4-byte length, then the frame. */
    uint8_t hdr[4];
    uint32_t hdr_got;
    uint32_t frame_len;
    uint32_t frame_got;
    uint8_t *frame;
    /*
     * Stream output the socket did not take yet (the tail of one length+frame): while
     * it waits, the NIC's next frames queue in the NetClient (flow control) instead of
     * this thread blocking on a peer VM that may itself be waiting for us.
     */
    uint8_t *out;
    size_t out_len;
} SocketState;

static void socket_read(void *opaque);
static void socket_writable(void *opaque);

/* The fd's handlers: reading unless paused, write-wake while output is pending. */
static void socket_update_handlers(SocketState *s)
{
    if (s->fd >= 0) {
        main_loop_set_fd_handler(s->m->loop, s->fd, s->reading ? socket_read : NULL,
                                 s->out_len ? socket_writable : NULL, s);
    }
}

static void socket_set_reading(SocketState *s, bool on)
{
    s->reading = on;
    socket_update_handlers(s);
}

static void socket_accept(void *opaque);

static void socket_disconnect(SocketState *s)
{
    if (s->fd >= 0) {
        main_loop_set_fd_handler(s->m->loop, s->fd, NULL, NULL, NULL);
        close(s->fd);
        s->fd = -1;
    }
    s->reading = false;
    s->out_len = 0;
    s->hdr_got = s->frame_got = s->frame_len = 0;
    snprintf(s->nc->info_str, sizeof(s->nc->info_str), "socket: disconnected");
    if (s->listen_fd >= 0) {
        /* A listener takes the next peer. */
        main_loop_set_fd_handler(s->m->loop, s->listen_fd, socket_accept, NULL, s);
    }
}

/* Deliver one frame; false when the NIC queued it and we must pause. */
static bool socket_deliver(SocketState *s, const uint8_t *buf, size_t len)
{
    if (net_send(s->nc, buf, len) == 0) {
        socket_set_reading(s, false);
        return false;
    }
    return true;
}

static void socket_read(void *opaque)
{
    SocketState *s = opaque;
    if (s->mode == NETSOCK_DGRAM) {
        for (int i = 0; i < 64 && s->reading; i++) {
            ssize_t n = recv(s->fd, s->frame, NET_MAX_FRAME, MSG_DONTWAIT);
            if (n <= 0) {
                return;
            }
            socket_deliver(s, s->frame, n);
        }
        return;
    }
    uint8_t buf[16384];
    ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        socket_disconnect(s);
        return;
    }
    size_t pos = 0;
    while (n > 0 && pos < (size_t)n) {
        if (s->hdr_got < 4) {
            s->hdr[s->hdr_got++] = buf[pos++];
            if (s->hdr_got == 4) {
                s->frame_len = (uint32_t)s->hdr[0] << 24 | s->hdr[1] << 16 | s->hdr[2] << 8 |
                               s->hdr[3];
                s->frame_got = 0;
                if (s->frame_len > NET_MAX_FRAME) {
                    /* The peer is not speaking our format. */
                    warn_report("netdev %s: frame of %u bytes from the peer; disconnecting",
                                s->nc->name, s->frame_len);
                    socket_disconnect(s);
                    return;
                }
            }
            continue;
        }
        size_t take = MIN((size_t)n - pos, s->frame_len - s->frame_got);
        memcpy(s->frame + s->frame_got, buf + pos, take);
        s->frame_got += take;
        pos += take;
        if (s->frame_got == s->frame_len) {
            s->hdr_got = 0;
            if (s->frame_len) {
                /*
                 * If the NIC queued it, the rest of buf is still ours to parse:
                 * frames already read go on queueing (bounded by the socket
                 * buffer we stop reading), so nothing is lost.
                 */
                socket_deliver(s, s->frame, s->frame_len);
            }
        }
    }
}

static void socket_resume(NetClientState *nc)
{
    SocketState *s = nc->opaque;
    if (s->fd >= 0 && !s->reading) {
        socket_set_reading(s, true);
    }
}

/* Write what the socket takes now; false if the peer is gone. */
static bool socket_write_some(SocketState *s, const uint8_t *buf, size_t len, size_t *done)
{
    *done = 0;
    while (*done < len) {
        ssize_t n = send(s->fd, buf + *done, len - *done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        }
        if (n <= 0) {
            return false;
        }
        *done += n;
    }
    return true;
}

/* The peer took some data: finish the pending frame, then let queued ones come. */
static void socket_writable(void *opaque)
{
    SocketState *s = opaque;
    size_t done;
    if (!socket_write_some(s, s->out, s->out_len, &done)) {
        socket_disconnect(s);
        return;
    }
    memmove(s->out, s->out + done, s->out_len - done);
    s->out_len -= done;
    if (s->out_len) {
        return;
    }
    socket_update_handlers(s);
    net_flush_queue(s->nc);
}

static ssize_t socket_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    SocketState *s = nc->opaque;
    if (s->fd < 0) {
        return len; /* no peer: the frame goes nowhere */
    }
    if (s->mode == NETSOCK_DGRAM) {
        sendto(s->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&s->dgram_dst,
               sizeof(s->dgram_dst));
        return len;
    }
    if (s->out_len) {
        return 0; /* the peer is slow: queue until socket_writable drains */
    }
    uint8_t frame[4 + NET_MAX_FRAME];
    if (len > NET_MAX_FRAME) {
        return len;
    }
    frame[0] = len >> 24;
    frame[1] = len >> 16;
    frame[2] = len >> 8;
    frame[3] = len;
    memcpy(frame + 4, buf, len);
    size_t done;
    if (!socket_write_some(s, frame, 4 + len, &done)) {
        socket_disconnect(s);
        return len;
    }
    if (done < 4 + len) {
        /* Keep the rest (a frame is never cut in half on the stream). */
        memcpy(s->out, frame + done, 4 + len - done);
        s->out_len = 4 + len - done;
        socket_update_handlers(s);
    }
    return len;
}

static void socket_cleanup(NetClientState *nc)
{
    SocketState *s = nc->opaque;
    if (s->fd >= 0) {
        main_loop_set_fd_handler(s->m->loop, s->fd, NULL, NULL, NULL);
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        main_loop_set_fd_handler(s->m->loop, s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
    }
    free(s->frame);
    free(s->out);
    free(s);
}

static const NetClientOps socket_ops = {
    .type = "socket",
    .receive = socket_receive,
    .resume = socket_resume,
    .cleanup = socket_cleanup,
};

static void socket_set_stream(SocketState *s, int fd, const char *how)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->fd = fd;
    s->hdr_got = 0;
    snprintf(s->nc->info_str, sizeof(s->nc->info_str), "socket: %s", how);
    socket_set_reading(s, true);
    /* Frames the NIC queued while no peer was there (or the last one was slow). */
    net_flush_queue(s->nc);
}

static void socket_accept(void *opaque)
{
    SocketState *s = opaque;
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    int fd = accept(s->listen_fd, (struct sockaddr *)&peer, &plen);
    if (fd < 0) {
        return;
    }
    if (s->fd >= 0) {
        close(fd); /* one peer at a time */
        return;
    }
    /* Stop accepting until this peer leaves. */
    main_loop_set_fd_handler(s->m->loop, s->listen_fd, NULL, NULL, NULL);
    char how[96];
    snprintf(how, sizeof(how), "connection from %s:%d", inet_ntoa(peer.sin_addr),
             ntohs(peer.sin_port));
    socket_set_stream(s, fd, how);
}

static bool parse_host_port(const char *str, struct sockaddr_in *sa, Error **errp)
{
    char host[256];
    const char *colon = strrchr(str, ':');
    if (!colon || colon - str >= (int)sizeof(host)) {
        error_setg(errp, "'%s': expected HOST:PORT", str);
        return false;
    }
    memcpy(host, str, colon - str);
    host[colon - str] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || !colon[1] || port < 0 || port > 65535) {
        error_setg(errp, "'%s': invalid port", str);
        return false;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    if (!host[0]) {
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
        return true;
    }
    if (inet_aton(host, &sa->sin_addr)) {
        return true;
    }
    struct addrinfo hints = {.ai_family = AF_INET}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) || !res) {
        error_setg(errp, "'%s': cannot resolve host '%s'", str, host);
        return false;
    }
    sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return true;
}

static bool socket_open_dgram(SocketState *s, const char *mcast, const char *udp,
                              const char *localaddr, Error **errp)
{
    struct sockaddr_in bind_addr;
    if (!parse_host_port(mcast ? mcast : udp, &s->dgram_dst, errp)) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        error_setg(errp, "socket: %s", strerror(errno));
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (mcast) {
        if (!IN_MULTICAST(ntohl(s->dgram_dst.sin_addr.s_addr))) {
            error_setg(errp, "mcast=%s: not a multicast address", mcast);
            close(fd);
            return false;
        }
        bind_addr = s->dgram_dst;
        struct ip_mreq mreq = {.imr_multiaddr = s->dgram_dst.sin_addr};
        mreq.imr_interface.s_addr = htonl(INADDR_ANY);
        if (localaddr && !inet_aton(localaddr, &mreq.imr_interface)) {
            error_setg(errp, "localaddr=%s: invalid address", localaddr);
            close(fd);
            return false;
        }
        unsigned char loop = 1;
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0) {
            error_setg(errp, "mcast=%s: cannot join the group: %s", mcast, strerror(errno));
            close(fd);
            return false;
        }
        if (localaddr) {
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq.imr_interface,
                       sizeof(mreq.imr_interface));
        }
    } else {
        if (!localaddr) {
            error_setg(errp, "udp= needs localaddr=");
            close(fd);
            return false;
        }
        if (!parse_host_port(localaddr, &bind_addr, errp)) {
            close(fd);
            return false;
        }
    }
    if (bind(fd, (struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0) {
        error_setg(errp, "cannot bind %s: %s", mcast ? mcast : localaddr, strerror(errno));
        close(fd);
        return false;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->mode = NETSOCK_DGRAM;
    s->fd = fd;
    snprintf(s->nc->info_str, sizeof(s->nc->info_str), "socket: %s=%s", mcast ? "mcast" : "udp",
             mcast ? mcast : udp);
    socket_set_reading(s, true);
    return true;
}

bool net_init_socket(Machine *m, Opts *o, const char *id, NetClientState **out, Error **errp)
{
    const char *listen_addr = opts_get(o, "listen");
    const char *connect_addr = opts_get(o, "connect");
    const char *mcast = opts_get(o, "mcast");
    const char *udp = opts_get(o, "udp");
    const char *localaddr = opts_get(o, "localaddr");
    if (opts_has(o, "fd")) {
        error_setg(errp, "socket: fd= is not supported");
        return false;
    }
    if (!!listen_addr + !!connect_addr + !!mcast + !!udp != 1) {
        error_setg(errp, "socket: exactly one of listen=, connect=, mcast= or udp= is needed");
        return false;
    }
    SocketState *s = XNEW(SocketState);
    s->m = m;
    s->fd = -1;
    s->listen_fd = -1;
    s->frame = xmalloc(NET_MAX_FRAME);
    s->out = xmalloc(4 + NET_MAX_FRAME);
    NetClientState *nc = net_client_new(m, &socket_ops, id, s);
    s->nc = nc;
    *out = nc;
    if (mcast || udp) {
        return socket_open_dgram(s, mcast, udp, localaddr, errp);
    }
    struct sockaddr_in sa;
    if (!parse_host_port(listen_addr ? listen_addr : connect_addr, &sa, errp)) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        error_setg(errp, "socket: %s", strerror(errno));
        return false;
    }
    if (listen_addr) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
            error_setg(errp, "cannot listen on %s: %s", listen_addr, strerror(errno));
            close(fd);
            return false;
        }
        s->mode = NETSOCK_LISTEN;
        s->listen_fd = fd;
        snprintf(nc->info_str, sizeof(nc->info_str), "socket: wait connection on %s",
                 listen_addr);
        main_loop_set_fd_handler(m->loop, fd, socket_accept, NULL, s);
        return true;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        error_setg(errp, "cannot connect to %s: %s", connect_addr, strerror(errno));
        close(fd);
        return false;
    }
    s->mode = NETSOCK_STREAM;
    char how[300];
    snprintf(how, sizeof(how), "connect to %s", connect_addr);
    socket_set_stream(s, fd, how);
    return true;
}
