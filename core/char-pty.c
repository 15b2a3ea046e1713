/*
 * The pty backend: a pseudo-terminal whose slave side (/dev/pts/N) a user
 * opens with screen, minicom or a script.
 *
 * We keep only the master.  Linux reports POLLHUP on a master while no slave
 * fd is open, so "is anyone there" is a zero-timeout poll; since a hung-up
 * master is always "ready", it cannot sit in the main loop while nobody is
 * there, and a once-a-second timer looks for a new user instead.  Output
 * while nobody is there is dropped, as in QEMU: a pty buffer nobody drains
 * would otherwise fill and stall the guest.
 */
#include "core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#define PTY_RECHECK_NS NANOSECONDS_PER_SECOND

typedef struct PtyChardev {
    Chardev parent;
    int master;
    CharFdReader reader;
    Timer *recheck;
    char *name;
} PtyChardev;

static bool pty_slave_is_open(PtyChardev *p)
{
    struct pollfd pfd = {.fd = p->master, .events = POLLIN};
    return poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP);
}

static void pty_arm_recheck(PtyChardev *p)
{
    Clock *rc = main_loop_clock(p->parent.set->loop, CLOCK_REAL);
    timer_mod(p->recheck, clock_get_ns(rc) + PTY_RECHECK_NS);
}

/* Follow the slave's comings and goings; true if someone is there now. */
static bool pty_update_state(PtyChardev *p)
{
    Chardev *chr = &p->parent;
    bool connected = pty_slave_is_open(p);
    if (connected && !chr->open) {
        timer_del(p->recheck);
        chr_be_event(chr, CHR_EVENT_OPENED);
        char_fd_reader_enable(&p->reader, true);
    } else if (!connected && chr->open) {
        char_fd_reader_enable(&p->reader, false);
        chr_be_event(chr, CHR_EVENT_CLOSED);
    }
    if (!connected) {
        pty_arm_recheck(p);
    }
    return connected;
}

static void pty_recheck_cb(void *opaque)
{
    pty_update_state(opaque);
}

static void pty_eof(Chardev *chr)
{
    /* Reading a master gives EIO once the last slave fd closes. */
    PtyChardev *p = container_of(chr, PtyChardev, parent);
    pty_update_state(p);
}

static bool char_pty_parse(Opts *opts, ChardevConfig *cfg, Error **errp)
{
    return true;
}

static Chardev *char_pty_open(ChardevSet *set, const char *id, const ChardevConfig *cfg,
                              Error **errp)
{
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
        error_setg(errp, "cannot create a pty: %s", strerror(errno));
        return NULL;
    }
    /* Raw, so the guest's bytes arrive unmangled whatever the user's tool does. */
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    const char *name = ptsname(master);
    PtyChardev *p = chardev_alloc(sizeof(*p), &char_pty_ops, set, id);
    p->master = master;
    p->name = xstrdup(name ? name : "?");
    /* Closing our slave fd means "nobody there" until a user opens it. */
    close(slave);
    char_fd_set_nonblock(master);
    char_fd_reader_init(&p->reader, &p->parent, master, pty_eof);
    p->recheck = timer_new(main_loop_clock(set->loop, CLOCK_REAL), pty_recheck_cb, p);
    /* The exact words tools parse to find the pty (QEMU prints the same). */
    fprintf(stderr, "char device redirected to %s (label %s)\n", p->name, id);
    fflush(stderr);
    pty_update_state(p);
    return &p->parent;
}

static int char_pty_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    PtyChardev *p = container_of(chr, PtyChardev, parent);
    /*
     * Look now rather than wait for the timer: the first bytes after the user
     * arrives count.  The OPENED/CLOSED news goes out from the loop (the timer,
     * made due now), not from inside the frontend's own write.
     */
    bool there = pty_slave_is_open(p);
    if (there != chr->open) {
        timer_mod(p->recheck, clock_get_ns(main_loop_clock(chr->set->loop, CLOCK_REAL)));
    }
    if (!there) {
        return -1;
    }
    int ret = char_fd_write_all(p->master, buf, len, false);
    if (ret < 0) {
        timer_mod(p->recheck, clock_get_ns(main_loop_clock(chr->set->loop, CLOCK_REAL)));
    }
    return ret;
}

static void char_pty_update_input(Chardev *chr)
{
    PtyChardev *p = container_of(chr, PtyChardev, parent);
    char_fd_reader_update(&p->reader);
}

static void char_pty_close(Chardev *chr)
{
    PtyChardev *p = container_of(chr, PtyChardev, parent);
    char_fd_reader_enable(&p->reader, false);
    timer_free(p->recheck);
    close(p->master);
    free(p->name);
}

const ChardevOps char_pty_ops = {
    .name = "pty",
    .help = "a new pseudo-terminal; its /dev/pts name is printed on stderr",
    .parse = char_pty_parse,
    .open = char_pty_open,
    .write_all = char_pty_write_all,
    .update_input = char_pty_update_input,
    .close = char_pty_close,
};
