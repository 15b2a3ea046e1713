/*
 * What the chardev backends share with core/chardev.c.  Not for frontends:
 * they use core/chardev.h only.
 *
 * A backend embeds a Chardev as its first member, fills in a ChardevOps, and
 * talks to its frontend through chr_be_*.  Fd-based backends read through a
 * CharFdReader, which does the flow control, and write through
 * char_fd_write_all.
 */
#ifndef CORE_CHARDEV_INTERNAL_H
#define CORE_CHARDEV_INTERNAL_H

#include "core/chardev.h"
#include "core/opts.h"

/* Most a backend reads from its fd in one go. */
#define CHR_READ_MAX 4096

/* Everything any backend accepts, parsed from -chardev options before opening. */
typedef struct ChardevConfig {
    const char *path; /* file, pipe, unix socket */
    const char *host; /* tcp socket ("" = any / localhost) */
    const char *port;
    bool server;
    bool wait;
    bool nodelay;
    bool telnet;
    bool ipv4, ipv6;
    bool append; /* file */
    bool signal; /* stdio: keep Ctrl-C etc. as signals */
} ChardevConfig;

typedef struct ChardevOps {
    const char *name;
    const char *help; /* one line for "-chardev help"; NULL: not a -chardev backend */
    /* Read this backend's options into cfg; nothing is opened yet. */
    bool (*parse)(Opts *opts, ChardevConfig *cfg, Error **errp);
    Chardev *(*open)(ChardevSet *set, const char *id, const ChardevConfig *cfg, Error **errp);
    /* Write all of buf, waiting as needed; returns len, or -1 if there is no peer. */
    int (*write_all)(Chardev *chr, const uint8_t *buf, int len);
    /* The frontend's handlers or appetite changed: start or stop reading. */
    void (*update_input)(Chardev *chr);
    /* Release everything the backend holds; chardev.c frees the Chardev. */
    void (*close)(Chardev *chr);

    /* Multiplexers only: they take several frontends. */
    bool (*attach)(Chardev *chr, CharFrontend *fe, Error **errp);
    void (*detach)(Chardev *chr, CharFrontend *fe);
    void (*handlers_set)(Chardev *chr, CharFrontend *fe);
    void (*accept_input)(Chardev *chr, CharFrontend *fe);
    void (*focus)(Chardev *chr, CharFrontend *fe);
} ChardevOps;

struct Chardev {
    const ChardevOps *ops;
    ChardevSet *set;
    char *id;
    CharFrontend *fe; /* the one frontend of a plain chardev */
    bool open;        /* a peer is there: CHR_EVENT_OPENED was (or would be) sent */
    int log_fd;       /* logfile=, or -1 */
    Chardev *next;    /* in the set, in creation order */
};

struct ChardevSet {
    MainLoop *loop;
    Chardev *chardevs;
    Chardev *stdio; /* at most one */
    void (*quit)(void *opaque);
    void *quit_opaque;
    int escape_char;
    /* "mon:SPEC" muxes, so a second use of the same spec shares the first's mux. */
    struct MuxSpec {
        char *spec;
        Chardev *mux;
    } *mux_specs;
    int nr_mux_specs;
};

extern const ChardevOps char_null_ops;
extern const ChardevOps char_stdio_ops;
extern const ChardevOps char_file_ops;
extern const ChardevOps char_pipe_ops;
extern const ChardevOps char_pty_ops;
extern const ChardevOps char_socket_ops;
extern const ChardevOps char_mux_ops;

/* Allocate a backend of 'size' bytes (a struct starting with a Chardev). */
void *chardev_alloc(size_t size, const ChardevOps *ops, ChardevSet *set, const char *id);
/* Undo chardev_alloc for a backend that failed to open (ops->close is not called). */
void chardev_free_unopened(Chardev *chr);

/* Backend to frontend. */
int chr_be_can_read(Chardev *chr);
void chr_be_write(Chardev *chr, const uint8_t *buf, int len);
/* Also tracks chr->open for OPENED and CLOSED. */
void chr_be_event(Chardev *chr, ChardevEvent event);

/* Write to a backend as a frontend would (with its logfile); for the mux. */
int chardev_backend_write_all(Chardev *chr, const uint8_t *buf, int len);

/* Create the multiplexer 'id' over base (which it becomes the frontend of). */
Chardev *char_mux_new(ChardevSet *set, const char *id, Chardev *base, Error **errp);

/*
 * Reading an fd with flow control: the fd is polled only while the reader is
 * enabled and the frontend can take input, and at most can_read bytes are
 * read at a time.  on_eof runs on end of file or a read error (not EAGAIN).
 * filter, if set, rewrites the bytes in place before delivery (telnet) and
 * returns how many remain.
 */
typedef struct CharFdReader {
    Chardev *chr;
    int fd;
    bool enabled;
    bool watching;
    void (*on_eof)(Chardev *chr);
    int (*filter)(Chardev *chr, uint8_t *buf, int len);
} CharFdReader;

void char_fd_reader_init(CharFdReader *r, Chardev *chr, int fd, void (*on_eof)(Chardev *chr));
void char_fd_reader_enable(CharFdReader *r, bool enabled);
/* Re-evaluate the frontend's appetite: poll the fd, or stop. */
void char_fd_reader_update(CharFdReader *r);

/*
 * Write all of buf to fd, waiting for POLLOUT when the fd is non-blocking and
 * full.  Returns len, or -1 (errno set) when the other side is gone (EPIPE,
 * a reset, or a hang-up while full).  Sockets are written with MSG_NOSIGNAL.
 */
int char_fd_write_all(int fd, const uint8_t *buf, int len, bool is_socket);

/* Put the terminal back the way we found it (safe to call at any time). */
void char_stdio_restore_terminal(void);

/* Set O_NONBLOCK and FD_CLOEXEC. */
void char_fd_set_nonblock(int fd);

#endif
