/*
 * Character devices: file, null, pty, unix/tcp sockets (server and client),
 * the mux and its escape commands, flow control, -chardev parsing, and stdio
 * with the terminal (in child processes, on pipes and on a pty).
 */
#include "core/chardev.h"
#include "tests/unit/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MS (1000 * 1000LL)

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

static int64_t now_ns(void)
{
    return host_clock_monotonic_ns();
}

/* Run the loop until cond holds or two seconds pass; yields cond. */
#define RUN_UNTIL(loop, cond)                                            \
    ({                                                                   \
        int64_t end_ = now_ns() + 2000 * MS;                             \
        while (!(cond) && now_ns() < end_) {                             \
            main_loop_wait((loop), 10 * MS);                             \
        }                                                                \
        (cond);                                                          \
    })

/* A frontend that records what it gets. */
typedef struct TestFe {
    CharFrontend fe;
    uint8_t buf[8192];
    int len;
    int budget; /* what can_read says; -1: plenty */
    bool overrun;
    ChardevEvent events[64];
    int nr_events;
} TestFe;

static int tfe_can_read(void *opaque)
{
    TestFe *t = opaque;
    return t->budget < 0 ? 1024 : t->budget;
}

static void tfe_read(void *opaque, const uint8_t *buf, int len)
{
    TestFe *t = opaque;
    if (t->budget >= 0) {
        if (len > t->budget) {
            t->overrun = true;
        }
        t->budget -= MIN(len, t->budget);
    }
    if (t->len + len <= (int)sizeof(t->buf)) {
        memcpy(t->buf + t->len, buf, len);
        t->len += len;
    }
}

static void tfe_event(void *opaque, ChardevEvent event)
{
    TestFe *t = opaque;
    if (t->nr_events < 64) {
        t->events[t->nr_events++] = event;
    }
}

static int tfe_count(TestFe *t, ChardevEvent ev)
{
    int n = 0;
    for (int i = 0; i < t->nr_events; i++) {
        n += t->events[i] == ev;
    }
    return n;
}

static bool tfe_attach(TestFe *t, Chardev *chr)
{
    memset(t, 0, sizeof(*t));
    t->budget = -1;
    if (!char_fe_init(&t->fe, chr, NULL)) {
        return false;
    }
    char_fe_set_handlers(&t->fe, tfe_can_read, tfe_read, tfe_event, t);
    return true;
}

static bool tfe_has(TestFe *t, const char *s)
{
    return t->len == (int)strlen(s) && !memcmp(t->buf, s, t->len);
}

static int tfe_write(TestFe *t, const char *s)
{
    return char_fe_write_all(&t->fe, (const uint8_t *)s, strlen(s));
}

/* Read from a peer fd until n bytes or the timeout; returns bytes read. */
static int read_n(int fd, void *buf, int n, int timeout_ms)
{
    int got = 0;
    int64_t end = now_ns() + timeout_ms * MS;
    while (got < n && now_ns() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) {
            break;
        }
        got += r;
    }
    return got;
}

/* Read whatever arrives within timeout_ms (stopping early once 'until' is seen). */
static int read_text(int fd, char *buf, int cap, const char *until, int timeout_ms)
{
    int got = 0;
    int64_t end = now_ns() + timeout_ms * MS;
    buf[0] = 0;
    while (got < cap - 1 && now_ns() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r <= 0) {
            break;
        }
        got += r;
        buf[got] = 0;
        if (until && strstr(buf, until)) {
            break;
        }
    }
    return got;
}

static int unix_connect(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int unix_listen(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 4) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A TCP listener on 127.0.0.1 with a port the kernel picks. */
static int tcp_listen_any(int *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sin.sin_port);
    return fd;
}

/* A free port: bind port 0, note it, let it go. */
static int tcp_free_port(void)
{
    int port = 0;
    int fd = tcp_listen_any(&port);
    close(fd);
    return port;
}

static int tcp_connect(int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    char *buf = xzalloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* -------------------------------------------------------------------------------- */

static void test_file(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    char *path = tmp_path("out.txt");
    char *spec = xasprintf("file:%s", path);
    Chardev *chr = chardev_new_from_spec(set, "serial0", spec, NULL);
    CHECK(chr != NULL);
    CHECK(!strcmp(chardev_id(chr), "serial0"));
    CHECK(chardev_find(set, "serial0") == chr);
    CHECK(!chardev_is_mux(chr));
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    CHECK(char_fe_is_connected(&t.fe));
    CHECK_EQ(tfe_count(&t, CHR_EVENT_OPENED), 1);
    CHECK_EQ(tfe_write(&t, "hello "), 6);
    uint8_t big[20000];
    for (int i = 0; i < (int)sizeof(big); i++) {
        big[i] = 'a' + i % 26;
    }
    CHECK_EQ(char_fe_write_all(&t.fe, big, sizeof(big)), sizeof(big));
    /* A second frontend on a plain chardev is refused. */
    CharFrontend other;
    Error *err = NULL;
    CHECK(!char_fe_init(&other, chr, &err));
    CHECK(err && strstr(err->msg, "in use"));
    error_free(err);
    char_fe_deinit(&t.fe);
    char *got = slurp(path);
    CHECK(got && !strncmp(got, "hello ", 6));
    CHECK(got && strlen(got) == 6 + sizeof(big) && !memcmp(got + 6, big, sizeof(big)));
    free(got);

    /* -chardev file with append=on keeps what is there; plain file: truncates. */
    char *opts = xasprintf("file,id=f2,path=%s,append=on", path);
    Chardev *f2 = chardev_new_from_opts(set, opts, NULL);
    CHECK(f2 != NULL);
    CHECK(tfe_attach(&t, f2));
    tfe_write(&t, "MORE");
    char_fe_deinit(&t.fe);
    got = slurp(path);
    CHECK(got && strlen(got) == 6 + sizeof(big) + 4 && !strcmp(got + 6 + sizeof(big), "MORE"));
    free(got);
    free(opts);
    opts = xasprintf("file,id=f3,path=%s", path);
    CHECK(chardev_new_from_opts(set, opts, NULL) != NULL);
    got = slurp(path);
    CHECK(got && !*got);
    free(got);
    free(opts);

    /* An unwritable path is a clear error. */
    err = NULL;
    CHECK(chardev_new_from_spec(set, "bad", "file:/nonexistent-dir/x", &err) == NULL);
    CHECK(err && strstr(err->msg, "/nonexistent-dir/x"));
    error_free(err);

    chardev_set_free(set);
    main_loop_free(loop);
    unlink(path);
    free(spec);
    free(path);
}

static void test_null_and_logfile(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    char *log = tmp_path("null.log");
    char *opts = xasprintf("null,id=n0,logfile=%s", log);
    Chardev *chr = chardev_new_from_opts(set, opts, NULL);
    CHECK(chr != NULL);
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    CHECK(char_fe_is_connected(&t.fe));
    CHECK_EQ(tfe_write(&t, "into the void"), 13);
    main_loop_wait(loop, 0);
    CHECK_EQ(t.len, 0);
    char *got = slurp(log);
    CHECK(got && !strcmp(got, "into the void"));
    free(got);
    /* "null" spec, and "none" which is no chardev and no error. */
    CHECK(chardev_new_from_spec(set, "s1", "null", NULL) != NULL);
    Error *err = NULL;
    CHECK(chardev_new_from_spec(set, "s2", "none", &err) == NULL);
    CHECK(err == NULL);
    /* A frontend without a backend writes into nothing. */
    CharFrontend lone;
    CHECK(char_fe_init(&lone, NULL, NULL));
    CHECK_EQ(char_fe_write_all(&lone, (const uint8_t *)"x", 1), 1);
    CHECK(!char_fe_is_connected(&lone));
    char_fe_deinit(&lone);
    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    main_loop_free(loop);
    unlink(log);
    free(opts);
    free(log);
}

static void test_parse_errors(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    static const struct {
        const char *opts;
        const char *msg;
    } cases[] = {
        {"bogus,id=x", "unknown backend 'bogus'"},
        {"null,id=x,color=blue", "unknown parameter 'color'"},
        {"socket,id=x,path=/tmp/osprey-nope,server=on,wait=off,reconnect=1",
         "unknown parameter 'reconnect'"},
        {"null", "parameter 'id' is missing"},
        {"file,id=x", "parameter 'path' is missing"},
        {"null,id=9lives", "invalid id"},
        {"socket,id=x", "path=PATH or host=HOST,port=PORT"},
        {"socket,id=x,path=/tmp/a,port=4", "not both"},
        {"socket,id=x,path=/tmp/osprey-nope,wait=off", "'wait' only applies to a server"},
        {"socket,id=x,path=/tmp/osprey-nope,server=maybe", "server"},
        {"stdio,id=x,signal=perhaps", "signal"},
        {"id=x", "no backend"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Error *err = NULL;
        Chardev *chr = chardev_new_from_opts(set, cases[i].opts, &err);
        CHECK(chr == NULL);
        CHECK(err != NULL);
        if (err && !strstr(err->msg, cases[i].msg)) {
            printf("# '%s' gave '%s', wanted '%s'\n", cases[i].opts, err->msg, cases[i].msg);
            CHECK(!"message");
        }
        error_free(err);
    }
    /* Nothing of the failed ones was left behind. */
    CHECK(chardev_find(set, "x") == NULL);

    /* Duplicate ids, including the hidden "-base" of a mux. */
    CHECK(chardev_new_from_opts(set, "null,id=dup", NULL) != NULL);
    Error *err = NULL;
    CHECK(chardev_new_from_opts(set, "null,id=dup", &err) == NULL);
    CHECK(err && strstr(err->msg, "already exists"));
    error_free(err);
    CHECK(chardev_new_from_opts(set, "null,id=m,mux=on", NULL) != NULL);
    CHECK(chardev_is_mux(chardev_find(set, "m")));
    CHECK(chardev_find(set, "m-base") != NULL);
    CHECK(!chardev_is_mux(chardev_find(set, "m-base")));

    static const struct {
        const char *spec;
        const char *msg;
    } specs[] = {
        {"vc", "not a supported"},
        {"chardev:nosuch", "'nosuch' not found"},
        {"tcp:localhost", "HOST:PORT"},
        {"unix:", "no path"},
        {"file:", "no path"},
        {"unix:/tmp/osprey-nope,server=on,wait=off,bogus=1", "unknown parameter 'bogus'"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        err = NULL;
        CHECK(chardev_new_from_spec(set, "s", specs[i].spec, &err) == NULL);
        CHECK(err != NULL);
        if (err && !strstr(err->msg, specs[i].msg)) {
            printf("# '%s' gave '%s', wanted '%s'\n", specs[i].spec, err->msg, specs[i].msg);
            CHECK(!"message");
        }
        error_free(err);
    }
    CHECK(chardev_new_from_spec(set, "s", "chardev:dup", NULL) == chardev_find(set, "dup"));

    /* Help lists the backends. */
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    chardev_print_help(f);
    fclose(f);
    CHECK(strstr(buf, "socket") && strstr(buf, "stdio") && strstr(buf, "pty") &&
          strstr(buf, "file") && strstr(buf, "null"));
    free(buf);
    chardev_set_free(set);
    main_loop_free(loop);
}

static void test_unix_server(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    char *path = tmp_path("server.sock");
    /* A stale socket file from an earlier run must not stop us. */
    int stale = unix_listen(path);
    CHECK(stale >= 0);
    close(stale);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));

    char *spec = xasprintf("unix:%s,server=on,wait=off", path);
    Chardev *chr = chardev_new_from_spec(set, "serial0", spec, NULL);
    CHECK(chr != NULL);
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    CHECK(!char_fe_is_connected(&t.fe));
    CHECK_EQ(t.nr_events, 0);
    /* Nobody there: output is dropped. */
    CHECK_EQ(tfe_write(&t, "lost"), -1);

    for (int round = 0; round < 2; round++) {
        int c = unix_connect(path);
        CHECK(c >= 0);
        CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_OPENED) == round + 1));
        CHECK(char_fe_is_connected(&t.fe));
        CHECK(write(c, "abc", 3) == 3);
        CHECK(RUN_UNTIL(loop, t.len == 3));
        CHECK(tfe_has(&t, "abc"));
        CHECK_EQ(tfe_write(&t, "xyz"), 3);
        char buf[8] = {0};
        CHECK_EQ(read_n(c, buf, 3, 1000), 3);
        CHECK(!memcmp(buf, "xyz", 3));
        close(c);
        CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_CLOSED) == round + 1));
        CHECK(!char_fe_is_connected(&t.fe));
        CHECK_EQ(tfe_write(&t, "lost"), -1);
        t.len = 0;
    }
    /* Events alternate OPENED, CLOSED. */
    CHECK_EQ(t.nr_events, 4);
    CHECK_EQ(t.events[0], CHR_EVENT_OPENED);
    CHECK_EQ(t.events[1], CHR_EVENT_CLOSED);
    CHECK_EQ(t.events[2], CHR_EVENT_OPENED);
    CHECK_EQ(t.events[3], CHR_EVENT_CLOSED);

    /* One client at a time: the second waits in the backlog until the first leaves. */
    int c1 = unix_connect(path);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_OPENED) == 3));
    int c2 = unix_connect(path);
    CHECK(c2 >= 0);
    CHECK(write(c2, "2", 1) == 1);
    for (int i = 0; i < 5; i++) {
        main_loop_wait(loop, 10 * MS);
    }
    CHECK_EQ(t.len, 0);
    CHECK(write(c1, "1", 1) == 1);
    CHECK(RUN_UNTIL(loop, t.len == 1));
    close(c1);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_OPENED) == 4 && t.len == 2));
    CHECK(tfe_has(&t, "12"));
    /* A peer gone under a write: -1, then CLOSED from the loop. */
    close(c2);
    int64_t end = now_ns() + 2000 * MS;
    int ret = 0;
    while (ret >= 0 && now_ns() < end) {
        ret = tfe_write(&t, "into a closed socket ");
    }
    CHECK_EQ(ret, -1);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_CLOSED) == 4));

    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    /* Our socket file goes away with us. */
    CHECK(lstat(path, &st) < 0);

    /* A regular file in the way is not ours to delete. */
    set = chardev_set_new(loop);
    FILE *f = fopen(path, "w");
    fclose(f);
    Error *err = NULL;
    CHECK(chardev_new_from_spec(set, "s", spec, &err) == NULL);
    CHECK(err && strstr(err->msg, "cannot listen"));
    error_free(err);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
    unlink(path);
    chardev_set_free(set);
    main_loop_free(loop);
    free(spec);
    free(path);
}

static void test_tcp_server(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    int port = tcp_free_port();
    CHECK(port > 0);
    /* The old spelling. */
    char *spec = xasprintf("tcp:127.0.0.1:%d,server,nowait", port);
    Chardev *chr = chardev_new_from_spec(set, "serial0", spec, NULL);
    CHECK(chr != NULL);
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    for (int round = 0; round < 2; round++) {
        int c = tcp_connect(port);
        CHECK(c >= 0);
        CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_OPENED) == round + 1));
        CHECK(write(c, "ping", 4) == 4);
        CHECK(RUN_UNTIL(loop, t.len == 4));
        CHECK(tfe_has(&t, "ping"));
        CHECK_EQ(tfe_write(&t, "pong"), 4);
        char buf[8] = {0};
        CHECK_EQ(read_n(c, buf, 4, 1000), 4);
        CHECK(!memcmp(buf, "pong", 4));
        close(c);
        CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_CLOSED) == round + 1));
        t.len = 0;
    }
    char_fe_deinit(&t.fe);

    /* -chardev socket form with the new spelling, and telnet. */
    int port2 = tcp_free_port();
    char *opts = xasprintf("socket,id=tn,host=127.0.0.1,port=%d,server=on,wait=off,telnet=on,"
                           "nodelay=on", port2);
    chr = chardev_new_from_opts(set, opts, NULL);
    CHECK(chr != NULL);
    CHECK(tfe_attach(&t, chr));
    int c = tcp_connect(port2);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_OPENED) == 1));
    uint8_t neg[12];
    CHECK_EQ(read_n(c, neg, sizeof(neg), 1000), sizeof(neg));
    CHECK_EQ(neg[0], 255);
    CHECK_EQ(neg[1], 251);
    /* Options and an escaped 0xff are stripped; IAC BREAK becomes an event, in order. */
    static const uint8_t in[] = {'a', 255, 253, 1, 'b', 255, 255, 255, 243, 'c',
                                 255, 250, 31, 0, 80, 255, 240, 'd'};
    CHECK(write(c, in, sizeof(in)) == sizeof(in));
    CHECK(RUN_UNTIL(loop, t.len == 5));
    CHECK(t.len == 5 && !memcmp(t.buf, "ab\xff" "cd", 5));
    CHECK_EQ(tfe_count(&t, CHR_EVENT_BREAK), 1);
    /* 0xff going out is doubled. */
    CHECK_EQ(char_fe_write_all(&t.fe, (const uint8_t *)"x\xffy", 3), 3);
    uint8_t out[4];
    CHECK_EQ(read_n(c, out, 4, 1000), 4);
    CHECK(!memcmp(out, "x\xff\xffy", 4));
    close(c);
    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    main_loop_free(loop);
    free(opts);
    free(spec);
}

static void test_client_mode(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);

    /* unix client to a listener the test makes */
    char *path = tmp_path("client.sock");
    int l = unix_listen(path);
    CHECK(l >= 0);
    char *spec = xasprintf("unix:%s", path);
    Chardev *chr = chardev_new_from_spec(set, "qtest", spec, NULL);
    CHECK(chr != NULL);
    int peer = accept(l, NULL, NULL);
    CHECK(peer >= 0);
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    /* Already connected when the frontend attached: OPENED comes with set_handlers. */
    CHECK_EQ(tfe_count(&t, CHR_EVENT_OPENED), 1);
    CHECK(char_fe_is_connected(&t.fe));
    CHECK_EQ(tfe_write(&t, "outb 0x80 1\n"), 12);
    char buf[32] = {0};
    CHECK_EQ(read_n(peer, buf, 12, 1000), 12);
    CHECK(!strcmp(buf, "outb 0x80 1\n"));
    CHECK(write(peer, "OK\n", 3) == 3);
    CHECK(RUN_UNTIL(loop, t.len == 3));
    CHECK(tfe_has(&t, "OK\n"));
    close(peer);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_CLOSED) == 1));
    /* A client does not come back by itself. */
    CHECK_EQ(tfe_write(&t, "x"), -1);
    char_fe_deinit(&t.fe);
    close(l);
    unlink(path);

    /* tcp client */
    int port;
    l = tcp_listen_any(&port);
    CHECK(l >= 0);
    char *opts = xasprintf("socket,id=tc,host=127.0.0.1,port=%d", port);
    chr = chardev_new_from_opts(set, opts, NULL);
    CHECK(chr != NULL);
    peer = accept(l, NULL, NULL);
    CHECK(peer >= 0);
    CHECK(tfe_attach(&t, chr));
    CHECK(write(peer, "hi", 2) == 2);
    CHECK(RUN_UNTIL(loop, t.len == 2));
    CHECK_EQ(tfe_write(&t, "yo"), 2);
    CHECK_EQ(read_n(peer, buf, 2, 1000), 2);
    CHECK(!memcmp(buf, "yo", 2));
    close(peer);
    close(l);
    char_fe_deinit(&t.fe);

    /* Nobody listening: a clear error naming the address. */
    Error *err = NULL;
    char *nowhere = xasprintf("unix:%s/nobody.sock", tmpdir);
    CHECK(chardev_new_from_spec(set, "c1", nowhere, &err) == NULL);
    CHECK(err && strstr(err->msg, "failed to connect") && strstr(err->msg, "nobody.sock"));
    error_free(err);
    err = NULL;
    char *refused = xasprintf("tcp:127.0.0.1:%d", port); /* just closed */
    CHECK(chardev_new_from_spec(set, "c2", refused, &err) == NULL);
    CHECK(err && strstr(err->msg, "failed to connect") && strstr(err->msg, "refused"));
    error_free(err);

    chardev_set_free(set);
    main_loop_free(loop);
    free(refused);
    free(nowhere);
    free(opts);
    free(spec);
    free(path);
}

typedef struct LateClient {
    const char *path;
    int delay_ms;
    int fd;
} LateClient;

static void *late_client(void *opaque)
{
    LateClient *lc = opaque;
    struct timespec d = {0, lc->delay_ms * MS};
    nanosleep(&d, NULL);
    lc->fd = -1;
    for (int i = 0; i < 200 && lc->fd < 0; i++) {
        lc->fd = unix_connect(lc->path);
        if (lc->fd < 0) {
            struct timespec d2 = {0, 10 * MS};
            nanosleep(&d2, NULL);
        }
    }
    if (lc->fd >= 0) {
        if (write(lc->fd, "early", 5) != 5) {
            close(lc->fd);
            lc->fd = -1;
        }
    }
    return NULL;
}

static void test_server_wait(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    char *path = tmp_path("wait.sock");
    LateClient lc = {.path = path, .delay_ms = 100};
    pthread_t th;
    pthread_create(&th, NULL, late_client, &lc);
    /* server=on without wait=off: creation blocks until the client is there. */
    char *opts = xasprintf("socket,id=w,path=%s,server=on", path);
    int64_t start = now_ns();
    Chardev *chr = chardev_new_from_opts(set, opts, NULL);
    int64_t elapsed = now_ns() - start;
    pthread_join(th, NULL);
    CHECK(chr != NULL);
    CHECK(lc.fd >= 0);
    CHECK(elapsed >= 90 * MS);
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    CHECK_EQ(tfe_count(&t, CHR_EVENT_OPENED), 1);
    /* Bytes the client sent before anyone listened were kept for the frontend. */
    CHECK(RUN_UNTIL(loop, t.len == 5));
    CHECK(tfe_has(&t, "early"));
    close(lc.fd);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_CLOSED) == 1));
    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    main_loop_free(loop);
    free(opts);
    free(path);
}

static void test_flow_control(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    char *path = tmp_path("flow.sock");
    char *spec = xasprintf("unix:%s,server=on,wait=off", path);
    Chardev *chr = chardev_new_from_spec(set, "serial0", spec, NULL);
    TestFe t;
    CHECK(tfe_attach(&t, chr));
    t.budget = 10;
    int c = unix_connect(path);
    CHECK(RUN_UNTIL(loop, char_fe_is_connected(&t.fe)));
    uint8_t data[100];
    for (int i = 0; i < 100; i++) {
        data[i] = i;
    }
    CHECK(write(c, data, sizeof(data)) == sizeof(data));
    CHECK(RUN_UNTIL(loop, t.len == 10));
    /* Budget spent: nothing more arrives, and the loop sleeps instead of spinning. */
    int64_t start = now_ns();
    for (int i = 0; i < 5; i++) {
        main_loop_wait(loop, 10 * MS);
    }
    CHECK(now_ns() - start >= 45 * MS);
    CHECK_EQ(t.len, 10);
    CHECK(!t.overrun);
    /* More room, and the backend hears of it only through accept_input. */
    t.budget = 7;
    main_loop_wait(loop, 10 * MS);
    CHECK_EQ(t.len, 10);
    char_fe_accept_input(&t.fe);
    CHECK(RUN_UNTIL(loop, t.len == 17));
    t.budget = 1000;
    char_fe_accept_input(&t.fe);
    CHECK(RUN_UNTIL(loop, t.len == 100));
    CHECK(!t.overrun);
    CHECK(t.len == 100 && !memcmp(t.buf, data, 100));
    close(c);
    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    main_loop_free(loop);
    free(spec);
    free(path);
}

static int quit_calls;

static void on_quit(void *opaque)
{
    quit_calls++;
}

static void test_mux(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    chardev_set_quit_handler(set, on_quit, NULL);
    quit_calls = 0;
    char *path = tmp_path("mux.sock");
    char *spec = xasprintf("mon:unix:%s,server=on,wait=off", path);
    Chardev *mux = chardev_new_from_spec(set, "serial0", spec, NULL);
    CHECK(mux != NULL);
    CHECK(chardev_is_mux(mux));
    CHECK(chardev_find(set, "serial0-base") != NULL);
    /* The same mon: spec again (the monitor's) is the same mux. */
    CHECK(chardev_new_from_spec(set, "monitor0", spec, NULL) == mux);

    static TestFe fe[5];
    CHECK(tfe_attach(&fe[0], mux));
    CHECK(tfe_attach(&fe[1], mux));
    CHECK_EQ(fe[0].fe.mux_index, 0);
    CHECK_EQ(fe[1].fe.mux_index, 1);
    /* The first frontend has the focus. */
    CHECK_EQ(tfe_count(&fe[0], CHR_EVENT_MUX_IN), 1);
    CHECK_EQ(tfe_count(&fe[1], CHR_EVENT_MUX_IN), 0);
    int c = unix_connect(path);
    CHECK(RUN_UNTIL(loop, tfe_count(&fe[0], CHR_EVENT_OPENED) == 1 &&
                              tfe_count(&fe[1], CHR_EVENT_OPENED) == 1));

    CHECK(write(c, "ab", 2) == 2);
    CHECK(RUN_UNTIL(loop, fe[0].len == 2));
    CHECK(tfe_has(&fe[0], "ab"));
    CHECK_EQ(fe[1].len, 0);

    /* Ctrl-A c: focus moves on; the bytes around it go to the right frontends. */
    CHECK(write(c, "1\x01" "c2", 4) == 4);
    CHECK(RUN_UNTIL(loop, fe[1].len == 1));
    CHECK(tfe_has(&fe[0], "ab1"));
    CHECK(tfe_has(&fe[1], "2"));
    CHECK_EQ(tfe_count(&fe[0], CHR_EVENT_MUX_OUT), 1);
    CHECK_EQ(tfe_count(&fe[1], CHR_EVENT_MUX_IN), 1);

    /* Ctrl-A Ctrl-A: one literal 0x01. */
    CHECK(write(c, "\x01\x01", 2) == 2);
    CHECK(RUN_UNTIL(loop, fe[1].len == 2));
    CHECK(fe[1].len == 2 && fe[1].buf[1] == 0x01);
    main_loop_wait(loop, 10 * MS);
    CHECK_EQ(fe[1].len, 2);

    /* Ctrl-A b: a break for the focused frontend only. */
    CHECK(write(c, "\x01" "b", 2) == 2);
    CHECK(RUN_UNTIL(loop, tfe_count(&fe[1], CHR_EVENT_BREAK) == 1));
    CHECK_EQ(tfe_count(&fe[0], CHR_EVENT_BREAK), 0);

    /* Output from both frontends reaches the backend. */
    CHECK_EQ(tfe_write(&fe[0], "from0 "), 6);
    CHECK_EQ(tfe_write(&fe[1], "from1"), 5);
    char buf[1024];
    read_text(c, buf, sizeof(buf), "from1", 1000);
    CHECK(!strcmp(buf, "from0 from1"));

    /* Ctrl-A h: help, in QEMU's words, on the backend. */
    CHECK(write(c, "\x01h", 2) == 2);
    int64_t end = now_ns() + 2000 * MS;
    buf[0] = 0;
    int got = 0;
    while (!strstr(buf, "sends C-a") && now_ns() < end) {
        main_loop_wait(loop, 10 * MS);
        got += read_text(c, buf + got, sizeof(buf) - got, NULL, 10);
    }
    CHECK(strstr(buf, "C-a h    print this help\r\n") != NULL);
    CHECK(strstr(buf, "C-a x    exit emulator\r\n") != NULL);
    CHECK(strstr(buf, "C-a c    switch between console and monitor\r\n") != NULL);
    CHECK(strstr(buf, "C-a t    toggle console timestamps\r\n") != NULL);
    CHECK(strstr(buf, "C-a C-a  sends C-a\r\n") != NULL);
    CHECK_EQ(fe[0].len, 3);
    CHECK_EQ(fe[1].len, 2);

    /* Ctrl-A t: each output line gets a time stamp; again: off. */
    CHECK(write(c, "\x01t", 2) == 2);
    for (int i = 0; i < 5; i++) {
        main_loop_wait(loop, 5 * MS);
    }
    tfe_write(&fe[0], "line one\nline two\n");
    read_text(c, buf, sizeof(buf), "two\n", 1000);
    CHECK(!strncmp(buf, "[00:00:0", 8));
    CHECK(strstr(buf, "] line one\n[00:00:0") != NULL);
    CHECK(strstr(buf, "] line two\n") != NULL);
    CHECK(write(c, "\x01t", 2) == 2);
    for (int i = 0; i < 5; i++) {
        main_loop_wait(loop, 5 * MS);
    }
    tfe_write(&fe[0], "plain\n");
    read_text(c, buf, sizeof(buf), "plain\n", 1000);
    CHECK(!strcmp(buf, "plain\n"));

    /* Ctrl-A c wraps around to the first frontend; char_fe_focus moves it directly. */
    CHECK(write(c, "\x01" "c", 2) == 2);
    CHECK(RUN_UNTIL(loop, tfe_count(&fe[0], CHR_EVENT_MUX_IN) == 2));
    char_fe_focus(&fe[1].fe);
    CHECK_EQ(tfe_count(&fe[1], CHR_EVENT_MUX_IN), 2);
    CHECK_EQ(tfe_count(&fe[0], CHR_EVENT_MUX_OUT), 2);

    /* At most four frontends. */
    CHECK(tfe_attach(&fe[2], mux));
    CHECK(tfe_attach(&fe[3], mux));
    Error *err = NULL;
    CHECK(!char_fe_init(&fe[4].fe, mux, &err));
    CHECK(err && strstr(err->msg, "at most 4"));
    error_free(err);
    /* A detached focus passes the focus on. */
    char_fe_deinit(&fe[1].fe);
    CHECK_EQ(tfe_count(&fe[2], CHR_EVENT_MUX_IN), 1);
    CHECK(write(c, "z", 1) == 1);
    CHECK(RUN_UNTIL(loop, fe[2].len == 1));

    /* Ctrl-A x: the set's quit handler. */
    CHECK(write(c, "\x01x", 2) == 2);
    CHECK(RUN_UNTIL(loop, quit_calls == 1));
    read_text(c, buf, sizeof(buf), "Terminated", 1000);
    CHECK(strstr(buf, "Terminated") != NULL);

    /* Peer leaving reaches every frontend. */
    close(c);
    CHECK(RUN_UNTIL(loop, tfe_count(&fe[0], CHR_EVENT_CLOSED) == 1));
    CHECK_EQ(tfe_count(&fe[3], CHR_EVENT_CLOSED), 1);
    CHECK(!char_fe_is_connected(&fe[0].fe));

    char_fe_deinit(&fe[0].fe);
    /* Freed with frontends still attached: they are detached, not left dangling. */
    chardev_set_free(set);
    CHECK(fe[2].fe.chr == NULL);
    CHECK_EQ(char_fe_write_all(&fe[2].fe, (const uint8_t *)"x", 1), 1);
    char_fe_deinit(&fe[2].fe);
    char_fe_deinit(&fe[3].fe);
    main_loop_free(loop);
    free(spec);
    free(path);
}

static void test_mux_flow_control(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    char *path = tmp_path("muxflow.sock");
    char *opts = xasprintf("socket,id=mf,path=%s,server=on,wait=off,mux=on", path);
    Chardev *mux = chardev_new_from_opts(set, opts, NULL);
    CHECK(mux && chardev_is_mux(mux));
    TestFe t;
    CHECK(tfe_attach(&t, mux));
    t.budget = 3;
    int c = unix_connect(path);
    CHECK(RUN_UNTIL(loop, char_fe_is_connected(&t.fe)));
    uint8_t data[600];
    for (int i = 0; i < 600; i++) {
        data[i] = 'A' + i % 26;
    }
    CHECK(write(c, data, sizeof(data)) == sizeof(data));
    CHECK(RUN_UNTIL(loop, t.len == 3));
    for (int i = 0; i < 5; i++) {
        main_loop_wait(loop, 5 * MS);
    }
    CHECK_EQ(t.len, 3);
    CHECK(!t.overrun);
    t.budget = 1000;
    char_fe_accept_input(&t.fe);
    /* Never from inside accept_input: a device calls it from its register reads. */
    CHECK_EQ(t.len, 3);
    CHECK(RUN_UNTIL(loop, t.len == 600));
    CHECK(!t.overrun);
    CHECK(t.len == 600 && !memcmp(t.buf, data, 600));
    close(c);
    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    main_loop_free(loop);
    free(opts);
    free(path);
}

static void test_pty(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    /* Catch the "redirected" line on stderr. */
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(pipefd[1], 2);
    Chardev *chr = chardev_new_from_spec(set, "serial0", "pty", NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(pipefd[1]);
    char msg[256];
    read_text(pipefd[0], msg, sizeof(msg), "\n", 1000);
    close(pipefd[0]);
    CHECK(chr != NULL);
    char name[128] = "";
    CHECK(sscanf(msg, "char device redirected to %127s (label serial0)", name) == 1);
    CHECK(!strncmp(name, "/dev/pts/", 9));

    TestFe t;
    CHECK(tfe_attach(&t, chr));
    /* Nobody has the slave open: not connected, output dropped. */
    CHECK(!char_fe_is_connected(&t.fe));
    CHECK_EQ(tfe_write(&t, "nobody"), -1);

    int slave = open(name, O_RDWR | O_NOCTTY);
    CHECK(slave >= 0);
    /* The first write after the user arrives gets through; OPENED follows from the loop. */
    CHECK_EQ(tfe_write(&t, "hello"), 5);
    CHECK_EQ(tfe_count(&t, CHR_EVENT_OPENED), 0);
    main_loop_wait(loop, 0);
    CHECK_EQ(tfe_count(&t, CHR_EVENT_OPENED), 1);
    char buf[16] = {0};
    CHECK_EQ(read_n(slave, buf, 5, 1000), 5);
    CHECK(!strcmp(buf, "hello"));
    CHECK(write(slave, "back", 4) == 4);
    CHECK(RUN_UNTIL(loop, t.len == 4));
    CHECK(tfe_has(&t, "back"));
    close(slave);
    CHECK(RUN_UNTIL(loop, tfe_count(&t, CHR_EVENT_CLOSED) == 1));
    CHECK(!char_fe_is_connected(&t.fe));

    /* Reopened: the once-a-second check notices without any write. */
    slave = open(name, O_RDWR | O_NOCTTY);
    CHECK(slave >= 0);
    int64_t end = now_ns() + 3000 * MS;
    while (tfe_count(&t, CHR_EVENT_OPENED) < 2 && now_ns() < end) {
        main_loop_wait(loop, 100 * MS);
    }
    CHECK_EQ(tfe_count(&t, CHR_EVENT_OPENED), 2);
    close(slave);
    char_fe_deinit(&t.fe);
    chardev_set_free(set);
    main_loop_free(loop);
}

/* stdio, in child processes: it takes over fds 0 and 1 and the terminal. */

static TestFe child_fe;

static void child_echo_read(void *opaque, const uint8_t *buf, int len)
{
    uint8_t up[1024];
    for (int i = 0; i < len && i < (int)sizeof(up); i++) {
        up[i] = buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i];
    }
    char_fe_write_all(&child_fe.fe, up, MIN(len, (int)sizeof(up)));
}

/* Child: echo stdin upper-cased; after stdin's EOF, prove the loop sleeps. Exit code = verdict. */
static int child_stdio_pipes(void)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    Chardev *chr = chardev_new_from_spec(set, "serial0", "stdio", NULL);
    if (!chr) {
        return 10;
    }
    Error *err = NULL;
    if (chardev_new_from_opts(set, "stdio,id=again", &err) || !err ||
        !strstr(err->msg, "multiple")) {
        return 11;
    }
    error_free(err);
    if (!char_fe_init(&child_fe.fe, chr, NULL)) {
        return 12;
    }
    char_fe_set_handlers(&child_fe.fe, NULL, child_echo_read, NULL, NULL);
    /* Serve until stdin ends: then a wait must sleep its whole timeout. */
    int64_t end = now_ns() + 5000 * MS;
    int quiet_waits = 0;
    while (quiet_waits < 3 && now_ns() < end) {
        int64_t start = now_ns();
        main_loop_wait(loop, 50 * MS);
        quiet_waits = now_ns() - start >= 45 * MS ? quiet_waits + 1 : 0;
    }
    if (quiet_waits < 3) {
        return 13;
    }
    char_fe_write_all(&child_fe.fe, (const uint8_t *)"<eof>", 5);
    char_fe_deinit(&child_fe.fe);
    chardev_set_free(set);
    main_loop_free(loop);
    return 0;
}

static void test_stdio_pipes(void)
{
    int in[2], out[2];
    CHECK(pipe(in) == 0 && pipe(out) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        _exit(child_stdio_pipes());
    }
    close(in[0]);
    close(out[1]);
    CHECK(write(in[1], "hello", 5) == 5);
    char buf[64];
    read_text(out[0], buf, sizeof(buf), "HELLO", 2000);
    CHECK(!strcmp(buf, "HELLO"));
    CHECK(write(in[1], " world", 6) == 6);
    close(in[1]);
    read_text(out[0], buf, sizeof(buf), "<eof>", 5000);
    CHECK(!strcmp(buf, " WORLD<eof>"));
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    close(out[0]);
}

/* Child on a pty: stdio chardev (opts given), say "ready", then serve forever. */
static void child_stdio_tty(const char *opts, bool mux)
{
    MainLoop *loop = main_loop_new();
    ChardevSet *set = chardev_set_new(loop);
    Chardev *chr = chardev_new_from_opts(set, opts, NULL);
    if (!chr || (mux && !chardev_is_mux(chr)) || !char_fe_init(&child_fe.fe, chr, NULL)) {
        _exit(20);
    }
    char_fe_set_handlers(&child_fe.fe, NULL, child_echo_read, NULL, NULL);
    char_fe_write_all(&child_fe.fe, (const uint8_t *)"ready\n", 6);
    for (;;) {
        main_loop_wait(loop, -1);
    }
}

static pid_t spawn_on_pty(int *master, int *slave, const char *opts, bool mux)
{
    struct termios t;
    if (openpty(master, slave, NULL, NULL, NULL) < 0) {
        return -1;
    }
    /* A cooked terminal, as a shell leaves it. */
    tcgetattr(*slave, &t);
    t.c_lflag |= ICANON | ECHO | ISIG;
    tcsetattr(*slave, TCSANOW, &t);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(*slave, 0);
        dup2(*slave, 1);
        close(*master);
        child_stdio_tty(opts, mux);
    }
    char buf[64];
    read_text(*master, buf, sizeof(buf), "ready", 3000);
    if (!strstr(buf, "ready")) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static void test_stdio_terminal_signal(void)
{
    int master, slave;
    pid_t pid = spawn_on_pty(&master, &slave, "stdio,id=serial0", false);
    CHECK(pid > 0);
    if (pid <= 0) {
        return;
    }
    struct termios t;
    CHECK(tcgetattr(slave, &t) == 0);
    CHECK(!(t.c_lflag & ICANON));
    CHECK(!(t.c_lflag & ECHO));
    CHECK(t.c_lflag & ISIG); /* signal=on by default */
    /* Raw input: a key arrives without Enter, and comes back upper-cased. */
    CHECK(write(master, "q", 1) == 1);
    char buf[64];
    read_text(master, buf, sizeof(buf), "Q", 2000);
    CHECK(!strcmp(buf, "Q"));

    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(tcgetattr(slave, &t) == 0);
    CHECK(t.c_lflag & ICANON);
    CHECK(t.c_lflag & ECHO);
    close(master);
    close(slave);
}

static void test_stdio_mux_quit(void)
{
    int master, slave;
    pid_t pid = spawn_on_pty(&master, &slave, "stdio,id=con,mux=on,signal=off", true);
    CHECK(pid > 0);
    if (pid <= 0) {
        return;
    }
    struct termios t;
    CHECK(tcgetattr(slave, &t) == 0);
    CHECK(!(t.c_lflag & ICANON));
    CHECK(!(t.c_lflag & ISIG)); /* signal=off: Ctrl-C belongs to the guest */
    /* No quit handler: Ctrl-A x exits 0 with the terminal put back. */
    CHECK(write(master, "\x01x", 2) == 2);
    char buf[128];
    read_text(master, buf, sizeof(buf), "Terminated", 2000);
    CHECK(strstr(buf, "Terminated") != NULL);
    int status = 0;
    int64_t end = now_ns() + 3000 * MS;
    pid_t r = 0;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < end) {
        struct timespec d = {0, 10 * MS};
        nanosleep(&d, NULL);
    }
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CHECK(r == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(tcgetattr(slave, &t) == 0);
    CHECK(t.c_lflag & ICANON);
    CHECK(t.c_lflag & ISIG);
    close(master);
    close(slave);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/osprey-chardev-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_run("chardev-file", test_file);
    test_run("chardev-null-and-logfile", test_null_and_logfile);
    test_run("chardev-parse-errors", test_parse_errors);
    test_run("chardev-unix-server", test_unix_server);
    test_run("chardev-tcp-server", test_tcp_server);
    test_run("chardev-client-mode", test_client_mode);
    test_run("chardev-server-wait", test_server_wait);
    test_run("chardev-flow-control", test_flow_control);
    test_run("chardev-mux", test_mux);
    test_run("chardev-mux-flow-control", test_mux_flow_control);
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd >= 0) {
        close(fd);
        test_run("chardev-pty", test_pty);
        test_run("chardev-stdio-terminal-signal", test_stdio_terminal_signal);
        test_run("chardev-stdio-mux-quit", test_stdio_mux_quit);
    } else {
        test_skip("chardev-pty", "no pseudo-terminals on this host");
        test_skip("chardev-stdio-terminal-signal", "no pseudo-terminals on this host");
        test_skip("chardev-stdio-mux-quit", "no pseudo-terminals on this host");
    }
    test_run("chardev-stdio-pipes", test_stdio_pipes);
    rmdir(tmpdir);
    return test_summary();
}
