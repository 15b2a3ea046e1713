/*
 * The stdio backend: input from fd 0, output to fd 1, with the terminal (if
 * stdin is one) in raw mode so every key reaches the guest.
 *
 * The terminal is process-wide, and it must be put back however we leave:
 * normal exit, exit() from anywhere (atexit), or a fatal signal.  Signal
 * handlers and atexit hooks cannot reach a machine object, so the saved
 * terminal state is the one piece of mutable state here that lives outside
 * one (DESIGN.md section 8); it is also why only one stdio chardev can exist
 * in the process.
 */
#include "core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

/* Fatal signals that must not leave the terminal raw, and SIGCONT to re-apply it. */
static const int stdio_term_signals[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGCONT};

static struct {
    Chardev *owner;             /* the stdio chardev, if any */
    volatile sig_atomic_t raw;  /* the terminal is in our mode right now */
    int fd;
    struct termios saved;
    struct termios raw_mode;
    bool hooks_installed;
    struct sigaction old[ARRAY_SIZE(stdio_term_signals)];
} stdio_term = {.fd = -1};

typedef struct StdioChardev {
    Chardev parent;
    CharFdReader reader;
} StdioChardev;

void char_stdio_restore_terminal(void)
{
    /* Async-signal-safe: tcsetattr is, and errno is preserved for the interrupted code. */
    int saved_errno = errno;
    if (stdio_term.raw) {
        stdio_term.raw = 0;
        tcsetattr(stdio_term.fd, TCSANOW, &stdio_term.saved);
    }
    errno = saved_errno;
}

static void stdio_term_atexit(void)
{
    char_stdio_restore_terminal();
}

static int stdio_term_signal_index(int sig)
{
    for (size_t i = 0; i < ARRAY_SIZE(stdio_term_signals); i++) {
        if (stdio_term_signals[i] == sig) {
            return i;
        }
    }
    return -1;
}

static bool sigaction_is_function(const struct sigaction *sa)
{
    if (sa->sa_flags & SA_SIGINFO) {
        return sa->sa_sigaction != NULL;
    }
    return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

/*
 * From the background, tcsetattr on our controlling terminal would stop us
 * with SIGTTOU.  A tty that is not our controlling terminal has no foreground
 * group for us (tcgetpgrp fails) and is safe to change.
 */
static bool stdio_term_in_background(int fd)
{
    pid_t fg = tcgetpgrp(fd);
    return fg >= 0 && fg != getpgrp();
}

static void stdio_term_on_signal(int sig, siginfo_t *info, void *ucontext)
{
    int saved_errno = errno;
    int i = stdio_term_signal_index(sig);
    struct sigaction *old = &stdio_term.old[i];
    if (sig == SIGCONT) {
        /* Back from Ctrl-Z: the shell reset the terminal; make it ours again. */
        if (stdio_term.owner && !stdio_term.raw && stdio_term.fd >= 0 &&
            !stdio_term_in_background(stdio_term.fd)) {
            tcsetattr(stdio_term.fd, TCSANOW, &stdio_term.raw_mode);
            stdio_term.raw = 1;
        }
    } else {
        char_stdio_restore_terminal();
    }
    if (sigaction_is_function(old)) {
        /* Someone (main) installed a handler first; it decides what happens next. */
        if (old->sa_flags & SA_SIGINFO) {
            old->sa_sigaction(sig, info, ucontext);
        } else {
            old->sa_handler(sig);
        }
    } else if (sig != SIGCONT) {
        /* Die of the signal, as if we had never been here: it is delivered on return. */
        sigaction(sig, old, NULL);
        raise(sig);
    }
    errno = saved_errno;
}

static void stdio_term_install_hooks(void)
{
    if (stdio_term.hooks_installed) {
        return;
    }
    stdio_term.hooks_installed = true;
    atexit(stdio_term_atexit);
    for (size_t i = 0; i < ARRAY_SIZE(stdio_term_signals); i++) {
        struct sigaction sa = {.sa_sigaction = stdio_term_on_signal,
                               .sa_flags = SA_SIGINFO | SA_RESTART};
        sigemptyset(&sa.sa_mask);
        if (sigaction(stdio_term_signals[i], NULL, &stdio_term.old[i]) < 0) {
            continue;
        }
        /* An ignored signal (nohup) stays ignored. */
        if (!(stdio_term.old[i].sa_flags & SA_SIGINFO) &&
            stdio_term.old[i].sa_handler == SIG_IGN) {
            continue;
        }
        sigaction(stdio_term_signals[i], &sa, NULL);
    }
}

/*
 * Raw input, but output post-processing kept (so "\n" still returns the
 * carriage) and, unless signal=off, Ctrl-C/Ctrl-\ still signal us.
 */
static void stdio_term_setup(bool keep_signals)
{
    int fd = STDIN_FILENO;
    stdio_term.fd = -1;
    if (!isatty(fd) || tcgetattr(fd, &stdio_term.saved) < 0) {
        return;
    }
    if (stdio_term_in_background(fd)) {
        return;
    }
    struct termios t = stdio_term.saved;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals) {
        t.c_lflag &= ~ISIG;
    }
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    stdio_term.fd = fd;
    stdio_term.raw_mode = t;
    stdio_term_install_hooks();
    if (tcsetattr(fd, TCSANOW, &t) == 0) {
        stdio_term.raw = 1;
    }
}

static bool char_stdio_parse(Opts *opts, ChardevConfig *cfg, Error **errp)
{
    return opts_get_bool(opts, "signal", true, &cfg->signal, errp);
}

static void char_stdio_eof(Chardev *chr)
{
    /* stdin is done for good (a pipe or file ran out): stop polling it, output goes on. */
}

static Chardev *char_stdio_open(ChardevSet *set, const char *id, const ChardevConfig *cfg,
                                Error **errp)
{
    if (stdio_term.owner) {
        error_setg(errp, "cannot use stdio by multiple character devices");
        return NULL;
    }
    StdioChardev *s = chardev_alloc(sizeof(*s), &char_stdio_ops, set, id);
    Chardev *chr = &s->parent;
    stdio_term_setup(cfg->signal);
    /* A closed stdin (osprey <&-) just means no input. */
    int in_fd = fcntl(STDIN_FILENO, F_GETFL) >= 0 ? STDIN_FILENO : -1;
    char_fd_reader_init(&s->reader, chr, in_fd, char_stdio_eof);
    s->reader.enabled = in_fd >= 0;
    chr->open = true;
    stdio_term.owner = chr;
    set->stdio = chr;
    return chr;
}

static int char_stdio_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    return char_fd_write_all(STDOUT_FILENO, buf, len, false);
}

static void char_stdio_update_input(Chardev *chr)
{
    StdioChardev *s = container_of(chr, StdioChardev, parent);
    char_fd_reader_update(&s->reader);
}

static void char_stdio_close(Chardev *chr)
{
    StdioChardev *s = container_of(chr, StdioChardev, parent);
    char_fd_reader_enable(&s->reader, false);
    char_stdio_restore_terminal();
    if (stdio_term.owner == chr) {
        stdio_term.owner = NULL;
    }
    if (chr->set->stdio == chr) {
        chr->set->stdio = NULL;
    }
}

const ChardevOps char_stdio_ops = {
    .name = "stdio",
    .help = "standard input/output; the terminal goes raw (signal=off: Ctrl-C to the guest)",
    .parse = char_stdio_parse,
    .open = char_stdio_open,
    .write_all = char_stdio_write_all,
    .update_input = char_stdio_update_input,
    .close = char_stdio_close,
};
