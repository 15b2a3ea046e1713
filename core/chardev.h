/*
 * Character devices: the backends behind serial ports, monitors, debugcon
 * and qtest.  A Chardev is the backend (stdio, file, pty, null, unix/tcp
 * socket, mux); a CharFrontend is the device side that reads and writes it.
 *
 * Specs follow QEMU:
 *   -serial/-monitor/-qmp/-debugcon style:  stdio, null, file:PATH, pty,
 *       unix:PATH[,server=on][,wait=off], tcp:HOST:PORT[,server=on][,wait=off],
 *       mon:SPEC (mux SPEC between the device and a monitor), chardev:ID, none
 *   -chardev style: BACKEND,id=ID[,path=...][,host=..,port=..][,server=on]
 *       [,wait=off][,mux=on][,signal=off][,logfile=...]
 *
 * Flow control: a backend reads only as much as the frontend's can_read
 * allows.  When can_read returns 0 the backend stops reading (the data waits
 * in the host fd) until the frontend calls char_fe_accept_input.
 *
 * A mux ("mon:SPEC", mux=on) reads escape commands from its input: Ctrl-A
 * (or -echr) then h help, x quit, c next frontend, b break, t timestamps;
 * Ctrl-A twice sends one Ctrl-A.
 *
 * Connection state: a socket is "open" while a peer is connected, a pty while
 * its slave side is open; the other backends are always open.  A frontend
 * gets CHR_EVENT_OPENED/CLOSED as that changes, and CHR_EVENT_OPENED from
 * char_fe_set_handlers when the backend is already open.
 */
#ifndef CORE_CHARDEV_H
#define CORE_CHARDEV_H

#include "core/common.h"
#include "core/loop.h"

typedef struct Chardev Chardev;
typedef struct CharFrontend CharFrontend;
typedef struct ChardevSet ChardevSet;

typedef enum ChardevEvent {
    CHR_EVENT_OPENED,  /* a peer connected (sockets), or the backend opened */
    CHR_EVENT_CLOSED,  /* the peer went away */
    CHR_EVENT_BREAK,   /* serial break (Ctrl-A b on a mux) */
    CHR_EVENT_MUX_IN,  /* this frontend now owns the mux's input */
    CHR_EVENT_MUX_OUT, /* this frontend lost the mux's input */
} ChardevEvent;

/* Returns how many bytes the frontend can take now (0: stop reading). */
typedef int (*CharCanReadHandler)(void *opaque);
typedef void (*CharReadHandler)(void *opaque, const uint8_t *buf, int len);
typedef void (*CharEventHandler)(void *opaque, ChardevEvent event);

struct CharFrontend {
    Chardev *chr;
    CharCanReadHandler can_read;
    CharReadHandler read;
    CharEventHandler event;
    void *opaque;
    int mux_index; /* index in a mux chardev, or -1 */
};

/* The set of chardevs of one machine, with the loop they run on. */
ChardevSet *chardev_set_new(MainLoop *loop);
void chardev_set_free(ChardevSet *set); /* closes all, restores the terminal */
/*
 * Called when a mux user types Ctrl-A x.  Without one, Ctrl-A x exits the
 * process (after restoring the terminal), as QEMU does.
 */
void chardev_set_quit_handler(ChardevSet *set, void (*quit)(void *opaque), void *opaque);
/* The mux escape character (-echr); Ctrl-A (0x01) by default. */
void chardev_set_escape_char(ChardevSet *set, int ch);

/* -chardev BACKEND,id=ID,... */
Chardev *chardev_new_from_opts(ChardevSet *set, const char *optstr, Error **errp);
/*
 * A -serial/-monitor/-qmp/-debugcon/-qtest spec.  id is the name to give it.
 * "chardev:ID" returns the existing chardev.  "mon:..." returns a mux
 * (creating it once per spec; its backend is named "ID-base"); a monitor
 * attached to a mux comes second.  "none" returns NULL WITHOUT setting an
 * error: the caller creates no device (or attaches its frontend to NULL).
 */
Chardev *chardev_new_from_spec(ChardevSet *set, const char *id, const char *spec, Error **errp);
Chardev *chardev_find(ChardevSet *set, const char *id);
const char *chardev_id(const Chardev *chr);
bool chardev_is_mux(const Chardev *chr);
/* Print the backend list for "-chardev help". */
void chardev_print_help(FILE *f);

/*
 * Attach a frontend.  A plain chardev takes one frontend; a mux takes up to
 * four, and input goes to one at a time (Ctrl-A c switches).  The first
 * frontend of a mux has the focus until char_fe_focus or Ctrl-A c moves it.
 * chr may be NULL: the frontend then writes into nothing and reads nothing.
 * Frontends are detached (fe->chr = NULL) if the set is freed first.
 */
bool char_fe_init(CharFrontend *fe, Chardev *chr, Error **errp);
void char_fe_set_handlers(CharFrontend *fe, CharCanReadHandler can_read, CharReadHandler read,
                          CharEventHandler event, void *opaque);
void char_fe_deinit(CharFrontend *fe);
/*
 * Write everything, waiting for the host side as long as it takes (a stdio,
 * file or connected socket never drops data); returns len, or -1 if there is
 * no peer (an unconnected socket or pty, or one whose peer just left).
 */
int char_fe_write_all(CharFrontend *fe, const uint8_t *buf, int len);
/* Tell the backend the frontend can take more input again. */
void char_fe_accept_input(CharFrontend *fe);
/* Make this frontend the one receiving a mux's input (monitor start-up focus). */
void char_fe_focus(CharFrontend *fe);
bool char_fe_is_connected(CharFrontend *fe);

#endif
