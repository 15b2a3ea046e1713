/*
 * The socket backend: unix or tcp, server or client, optionally telnet.
 *
 * A server serves one client at a time: while one is connected the
 * listening socket is not polled, so later clients queue in the backlog and
 * are accepted when the first leaves.  With nobody connected, output is
 * dropped (write returns -1) and the frontend hears CHR_EVENT_CLOSED /
 * CHR_EVENT_OPENED as clients leave and come.  A peer that vanishes under a
 * write is handled from a bottom half, so the frontend never sees CLOSED in
 * the middle of its own write call.
 *
 * Telnet (RFC 854) as QEMU does it: the server offers echo, suppress-go-ahead
 * and binary mode, strips option negotiation from input, turns IAC BREAK
 * into CHR_EVENT_BREAK, and doubles 0xff bytes on output.
 */
#include "core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    TN_SE = 240,
    TN_BREAK = 243,
    TN_SB = 250,
    TN_WILL = 251,
    TN_DONT = 254,
    TN_IAC = 255,
};

typedef enum TelnetState {
    TELNET_DATA,
    TELNET_IAC,    /* after IAC */
    TELNET_OPTION, /* after IAC WILL/WONT/DO/DONT: one option byte follows */
    TELNET_SUB,    /* inside IAC SB ... IAC SE */
    TELNET_SUB_IAC,
} TelnetState;

typedef struct SocketChardev {
    Chardev parent;
    bool is_unix;
    bool server;
    bool telnet;
    bool nodelay;
    char *unlink_path; /* our server socket file, removed on close */
    char *desc;        /* "unix:PATH" or "tcp:HOST:PORT", for messages */
    int listen_fd;
    bool listening;
    int fd; /* the connection, or -1 */
    bool dead;
    CharFdReader reader;
    BH *disconnect_bh;
    TelnetState telnet_state;
} SocketChardev;

static void socket_listen_watch(SocketChardev *s, bool on);

static bool char_socket_parse(Opts *opts, ChardevConfig *cfg, Error **errp)
{
    cfg->path = opts_get(opts, "path");
    cfg->host = opts_get(opts, "host");
    cfg->port = opts_get(opts, "port");
    bool wait_given = opts_has(opts, "wait") || opts_has(opts, "nowait");
    bool nowait;
    if (!opts_get_bool(opts, "server", false, &cfg->server, errp) ||
        !opts_get_bool(opts, "wait", true, &cfg->wait, errp) ||
        !opts_get_bool(opts, "nowait", false, &nowait, errp) ||
        !opts_get_bool(opts, "nodelay", false, &cfg->nodelay, errp) ||
        !opts_get_bool(opts, "telnet", false, &cfg->telnet, errp) ||
        !opts_get_bool(opts, "ipv4", false, &cfg->ipv4, errp) ||
        !opts_get_bool(opts, "ipv6", false, &cfg->ipv6, errp)) {
        return false;
    }
    if (nowait) {
        cfg->wait = false;
    }
    if (!cfg->server && wait_given) {
        error_setg(errp, "'wait' only applies to a server socket (server=on)");
        return false;
    }
    if (!cfg->server) {
        cfg->wait = false;
    }
    if (cfg->path && (cfg->host || cfg->port)) {
        error_setg(errp, "give either path= (unix) or host=/port= (tcp), not both");
        return false;
    }
    if (cfg->path && !*cfg->path) {
        error_setg(errp, "path= is empty");
        return false;
    }
    if (!cfg->path && (!cfg->port || !*cfg->port)) {
        error_setg(errp, "socket needs path=PATH or host=HOST,port=PORT");
        return false;
    }
    if (!cfg->host) {
        cfg->host = "";
    }
    return true;
}

/* Telnet. */

static void socket_telnet_negotiate(SocketChardev *s)
{
    static const uint8_t offer[] = {
        TN_IAC, TN_WILL, 1, /* echo: we echo, the client should not */
        TN_IAC, TN_WILL, 3, /* suppress go-ahead: character at a time */
        TN_IAC, TN_WILL, 0, /* binary, both ways: no NVT newline mangling */
        TN_IAC, 253, 0,     /* DO binary */
    };
    char_fd_write_all(s->fd, offer, sizeof(offer), true);
}

/* Strip telnet commands in place; a break is delivered in order with the data. */
static int socket_telnet_filter(Chardev *chr, uint8_t *buf, int len)
{
    SocketChardev *s = container_of(chr, SocketChardev, parent);
    int out = 0;
    for (int i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (s->telnet_state) {
        case TELNET_DATA:
            if (c == TN_IAC) {
                s->telnet_state = TELNET_IAC;
            } else {
                buf[out++] = c;
            }
            break;
        case TELNET_IAC:
            s->telnet_state = TELNET_DATA;
            if (c == TN_IAC) {
                buf[out++] = c;
            } else if (c == TN_SB) {
                s->telnet_state = TELNET_SUB;
            } else if (c >= TN_WILL && c <= TN_DONT) {
                s->telnet_state = TELNET_OPTION;
            } else if (c == TN_BREAK) {
                chr_be_write(chr, buf, out);
                out = 0;
                chr_be_event(chr, CHR_EVENT_BREAK);
            }
            break;
        case TELNET_OPTION:
            s->telnet_state = TELNET_DATA;
            break;
        case TELNET_SUB:
            if (c == TN_IAC) {
                s->telnet_state = TELNET_SUB_IAC;
            }
            break;
        case TELNET_SUB_IAC:
            s->telnet_state = c == TN_SE ? TELNET_DATA : TELNET_SUB;
            break;
        }
    }
    return out;
}

/* Connection state. */

static void socket_eof(Chardev *chr);

static void socket_disconnect(SocketChardev *s)
{
    if (s->fd < 0) {
        return;
    }
    char_fd_reader_enable(&s->reader, false);
    close(s->fd);
    s->fd = -1;
    s->reader.fd = -1;
    s->dead = false;
    bh_cancel(s->disconnect_bh);
    chr_be_event(&s->parent, CHR_EVENT_CLOSED);
    if (s->server) {
        socket_listen_watch(s, true);
    }
}

static void socket_eof(Chardev *chr)
{
    socket_disconnect(container_of(chr, SocketChardev, parent));
}

static void socket_disconnect_bh(void *opaque)
{
    SocketChardev *s = opaque;
    if (s->dead) {
        socket_disconnect(s);
    }
}

static void socket_connected(SocketChardev *s, int fd)
{
    char_fd_set_nonblock(fd);
    if (!s->is_unix && s->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    socket_listen_watch(s, false);
    s->fd = fd;
    s->dead = false;
    s->telnet_state = TELNET_DATA;
    char_fd_reader_init(&s->reader, &s->parent, fd, socket_eof);
    if (s->telnet) {
        s->reader.filter = socket_telnet_filter;
        if (s->server) {
            socket_telnet_negotiate(s);
        }
    }
    chr_be_event(&s->parent, CHR_EVENT_OPENED);
    /* The OPENED handler may already have seen the peer leave. */
    if (s->fd == fd) {
        char_fd_reader_enable(&s->reader, true);
    }
}

static void socket_accept_ready(void *opaque)
{
    SocketChardev *s = opaque;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        return; /* EAGAIN, or the client gave up already */
    }
    if (s->fd >= 0) {
        close(fd); /* cannot happen: we do not listen while connected */
        return;
    }
    socket_connected(s, fd);
}

static void socket_listen_watch(SocketChardev *s, bool on)
{
    if (s->listen_fd < 0 || s->listening == on) {
        return;
    }
    s->listening = on;
    main_loop_set_fd_handler(s->parent.set->loop, s->listen_fd, on ? socket_accept_ready : NULL,
                             NULL, s);
}

/* Opening. */

static int socket_unix_addr(const char *path, struct sockaddr_un *sun, Error **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "unix socket path '%s' is too long (at most %zu bytes)", path,
                   sizeof(sun->sun_path) - 1);
        return -1;
    }
    strcpy(sun->sun_path, path);
    return 0;
}

static int socket_unix_listen(const char *path, Error **errp)
{
    struct sockaddr_un sun;
    if (socket_unix_addr(path, &sun, errp) < 0) {
        return -1;
    }
    /* A socket file left by an earlier run would make bind fail; anything else is not ours. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1) < 0) {
        error_setg(errp, "cannot listen on 'unix:%s': %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static int socket_unix_connect(const char *path, Error **errp)
{
    struct sockaddr_un sun;
    if (socket_unix_addr(path, &sun, errp) < 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ret;
    do {
        ret = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        error_setg(errp, "failed to connect to 'unix:%s': %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static int socket_inet_open(const ChardevConfig *cfg, const char *desc, Error **errp)
{
    struct addrinfo hints = {
        .ai_socktype = SOCK_STREAM,
        .ai_flags = cfg->server ? AI_PASSIVE : 0,
        .ai_family = cfg->ipv4 && !cfg->ipv6 ? AF_INET
                     : cfg->ipv6 && !cfg->ipv4 ? AF_INET6 : AF_UNSPEC,
    };
    const char *host = *cfg->host ? cfg->host : (cfg->server ? NULL : "localhost");
    struct addrinfo *res;
    int gai = getaddrinfo(host, cfg->port, &hints, &res);
    if (gai) {
        error_setg(errp, "cannot resolve '%s': %s", desc, gai_strerror(gai));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int ok;
        if (cfg->server) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            ok = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0;
        } else {
            int ret;
            do {
                ret = connect(fd, ai->ai_addr, ai->ai_addrlen);
            } while (ret < 0 && errno == EINTR);
            ok = ret == 0;
        }
        if (!ok) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg(errp, "%s '%s': %s", cfg->server ? "cannot listen on" : "failed to connect to",
                   desc, strerror(err));
    }
    return fd;
}

/* wait=on: block until the first client is there, as QEMU does. */
static bool socket_wait_for_client(SocketChardev *s, Error **errp)
{
    fprintf(stderr, "osprey: waiting for connection on: disconnected:%s,server=on\n", s->desc);
    fflush(stderr);
    for (;;) {
        struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0 && errno != EINTR) {
            error_setg(errp, "waiting for a client on '%s': %s", s->desc, strerror(errno));
            return false;
        }
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            socket_connected(s, fd);
            return true;
        }
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
            error_setg(errp, "accepting a client on '%s': %s", s->desc, strerror(errno));
            return false;
        }
    }
}

static void char_socket_close(Chardev *chr);

static Chardev *char_socket_open(ChardevSet *set, const char *id, const ChardevConfig *cfg,
                                 Error **errp)
{
    SocketChardev *s = chardev_alloc(sizeof(*s), &char_socket_ops, set, id);
    s->is_unix = cfg->path != NULL;
    s->server = cfg->server;
    s->telnet = cfg->telnet;
    s->nodelay = cfg->nodelay;
    s->listen_fd = -1;
    s->fd = -1;
    char_fd_reader_init(&s->reader, &s->parent, -1, socket_eof);
    s->disconnect_bh = bh_new(set->loop, socket_disconnect_bh, s);
    if (s->is_unix) {
        s->desc = xasprintf("unix:%s", cfg->path);
    } else if (strchr(cfg->host, ':')) {
        s->desc = xasprintf("tcp:[%s]:%s", cfg->host, cfg->port);
    } else {
        s->desc = xasprintf("tcp:%s:%s", cfg->host, cfg->port);
    }

    int fd;
    if (s->is_unix) {
        fd = s->server ? socket_unix_listen(cfg->path, errp) : socket_unix_connect(cfg->path, errp);
    } else {
        fd = socket_inet_open(cfg, s->desc, errp);
    }
    if (fd < 0) {
        char_socket_close(&s->parent);
        chardev_free_unopened(&s->parent);
        return NULL;
    }
    if (!s->server) {
        socket_connected(s, fd);
        return &s->parent;
    }
    s->listen_fd = fd;
    if (s->is_unix) {
        s->unlink_path = xstrdup(cfg->path);
    }
    char_fd_set_nonblock(fd);
    if (cfg->wait && !socket_wait_for_client(s, errp)) {
        char_socket_close(&s->parent);
        chardev_free_unopened(&s->parent);
        return NULL;
    }
    if (s->fd < 0) {
        socket_listen_watch(s, true);
    }
    return &s->parent;
}

static int char_socket_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    SocketChardev *s = container_of(chr, SocketChardev, parent);
    if (s->fd < 0 || s->dead) {
        return -1;
    }
    int ret;
    if (s->telnet && memchr(buf, TN_IAC, len)) {
        uint8_t *esc = xmalloc(2 * (size_t)len);
        int n = 0;
        for (int i = 0; i < len; i++) {
            esc[n++] = buf[i];
            if (buf[i] == TN_IAC) {
                esc[n++] = TN_IAC;
            }
        }
        ret = char_fd_write_all(s->fd, esc, n, true) < 0 ? -1 : len;
        free(esc);
    } else {
        ret = char_fd_write_all(s->fd, buf, len, true);
    }
    if (ret < 0) {
        s->dead = true;
        bh_schedule(s->disconnect_bh);
    }
    return ret;
}

static void char_socket_update_input(Chardev *chr)
{
    SocketChardev *s = container_of(chr, SocketChardev, parent);
    char_fd_reader_update(&s->reader);
}

static void char_socket_close(Chardev *chr)
{
    SocketChardev *s = container_of(chr, SocketChardev, parent);
    if (s->fd >= 0) {
        char_fd_reader_enable(&s->reader, false);
        close(s->fd);
        s->fd = -1;
    }
    socket_listen_watch(s, false);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    if (s->unlink_path) {
        unlink(s->unlink_path);
        free(s->unlink_path);
    }
    bh_delete(s->disconnect_bh);
    free(s->desc);
}

const ChardevOps char_socket_ops = {
    .name = "socket",
    .help = "path=PATH | host=HOST,port=PORT [,server=on[,wait=off]][,telnet=on][,nodelay=on]"
            "[,ipv4=on|ipv6=on]",
    .parse = char_socket_parse,
    .open = char_socket_open,
    .write_all = char_socket_write_all,
    .update_input = char_socket_update_input,
    .close = char_socket_close,
};
