/*
 * The VNC server, on libvncserver.
 *
 *   -vnc :N | HOST:N | unix:PATH [,password=on] [,share=allow-exclusive|force-shared|ignore]
 *
 * libvncserver speaks RFB 3.8 with its encodings (raw, hextile, zlib, tight,
 * zrle...), the desktop-size pseudo-encoding, and closes a client on any
 * malformed message.  It runs in the main thread: a host-time timer polls
 * its sockets, so client input reaches the devices on the thread that owns
 * them.  The framebuffer it serves is the console surface itself (pixman
 * x8r8g8b8), dirty rectangles become rfbMarkRectAsModified.  The QEMU
 * extended key event (message 255/0, pseudo-encoding -258) carries XT
 * keycodes so keys map exactly whatever the client's layout.
 *
 * Reference: The RFB Protocol (RFC 6143) and the community RFB
 * specification (rfbproto) for the QEMU extensions.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rfb/rfb.h>

#include "core/loop.h"
#include "core/machine.h"
#include "hw/input/ps2.h"
#include "ui/console.h"

#define VNC_BASE_PORT 5900
#define VNC_POLL_IDLE_NS (50 * 1000 * 1000LL)
#define VNC_POLL_ACTIVE_NS (10 * 1000 * 1000LL)
#define VNC_ENCODING_QEMU_EXT_KEY (-258)
#define VNC_MSG_QEMU 255
#define VNC_QEMU_EXT_KEY_EVENT 0
#define VNC_PASSWORD_MAX 8
#define VNC_MAX_CLIENT_WAIT_MS 500

/* QEMU's share= policies for the ClientInit shared flag. */
typedef enum VncSharePolicy {
    VNC_SHARE_ALLOW_EXCLUSIVE, /* exclusive clients disconnect the others (the RFB spec) */
    VNC_SHARE_FORCE_SHARED,    /* clients asking for exclusive access are refused */
    VNC_SHARE_IGNORE,          /* the flag means nothing: everybody shares */
} VncSharePolicy;

/* Per client (rfbClientRec.clientData). */
typedef struct VncClientInfo {
    bool init_taken; /* we read its ClientInit shared flag ourselves */
    bool exclusive;  /* admitted with exclusive access under allow-exclusive */
} VncClientInfo;

typedef struct VncServer {
    DisplayFrontend fe;
    DisplayListener listener;
    Display *display;
    Machine *machine;
    rfbScreenInfoPtr screen;
    Timer *poll_timer;
    int clients;
    bool password_required;
    VncSharePolicy share_policy;
    char *passwords[2]; /* for rfbCheckPasswordByList: the one password, NULL-terminated */
    int unix_fd;
    char *unix_path;
    int last_x, last_y;
    bool have_pointer;
} VncServer;

/* The server of a screen (screenData) and of a client. */
static VncServer *vnc_from_client(rfbClientPtr cl)
{
    return cl->screen->screenData;
}

/* ---------------------------------------------------------------------- */
/* Display side */

static void vnc_set_pixel_format(rfbScreenInfoPtr screen)
{
    /* pixman x8r8g8b8 in host (little-endian) byte order. */
    screen->serverFormat.redShift = 16;
    screen->serverFormat.greenShift = 8;
    screen->serverFormat.blueShift = 0;
    screen->serverFormat.redMax = 255;
    screen->serverFormat.greenMax = 255;
    screen->serverFormat.blueMax = 255;
}

static void vnc_surface_changed(DisplayListener *l, DisplaySurface *s)
{
    VncServer *vs = container_of(l, VncServer, listener);
    rfbScreenInfoPtr screen = vs->screen;
    if (screen->width == s->width && screen->height == s->height &&
        screen->frameBuffer == (char *)surface_data(s)) {
        return;
    }
    rfbNewFramebuffer(screen, (char *)surface_data(s), s->width, s->height, 8, 3, 4);
    vnc_set_pixel_format(screen);
    screen->paddedWidthInBytes = surface_stride(s) * 4;
    rfbClientIteratorPtr it = rfbGetClientIterator(screen);
    for (rfbClientPtr cl = rfbClientIteratorNext(it); cl; cl = rfbClientIteratorNext(it)) {
        rfbSetTranslateFunction(cl);
    }
    rfbReleaseClientIterator(it);
    rfbMarkRectAsModified(screen, 0, 0, s->width, s->height);
}

static void vnc_update(DisplayListener *l, int x, int y, int w, int h)
{
    VncServer *vs = container_of(l, VncServer, listener);
    rfbMarkRectAsModified(vs->screen, x, y, x + w, y + h);
}

static const DisplayListenerOps vnc_listener_ops = {
    .name = "vnc",
    .surface_changed = vnc_surface_changed,
    .update = vnc_update,
};

static void vnc_take_client_inits(VncServer *vs);

static void vnc_poll(void *opaque)
{
    VncServer *vs = opaque;
    vnc_take_client_inits(vs);
    /* Sends pending updates and handles every readable client and the listener. */
    rfbProcessEvents(vs->screen, 0);
    int64_t next = vs->clients ? VNC_POLL_ACTIVE_NS : VNC_POLL_IDLE_NS;
    timer_mod(vs->poll_timer, clock_get_ns(main_loop_clock(vs->machine->loop, CLOCK_REAL)) +
                                  next);
}

/* ---------------------------------------------------------------------- */
/* Clients */

static rfbProtocolExtension vnc_qemu_extension;

static void vnc_client_gone(rfbClientPtr cl)
{
    VncServer *vs = vnc_from_client(cl);
    /*
     * libvncserver never frees a client's extension record: neither when the
     * client goes nor in rfbDisableExtension, which only unlinks it.
     */
    for (rfbExtensionData *e = cl->extensions; e; e = e->next) {
        if (e->extension == &vnc_qemu_extension) {
            rfbDisableExtension(cl, &vnc_qemu_extension);
            free(e);
            break;
        }
    }
    free(cl->clientData);
    cl->clientData = NULL;
    if (--vs->clients == 0) {
        display_remove_listener(vs->display, &vs->listener);
    }
}

static enum rfbNewClientAction vnc_new_client(rfbClientPtr cl)
{
    VncServer *vs = vnc_from_client(cl);
    cl->clientGoneHook = vnc_client_gone;
    cl->clientData = XNEW(VncClientInfo);
    if (vs->clients++ == 0) {
        /* Someone is looking: refresh starts (and the surface is sent whole). */
        display_add_listener(vs->display, &vs->listener);
    }
    return RFB_CLIENT_ACCEPT;
}

static void vnc_key_event(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
    VncServer *vs = vnc_from_client(cl);
    display_keysym_event(vs->display, keysym, down);
}

static void vnc_pointer_event(int mask, int x, int y, rfbClientPtr cl)
{
    VncServer *vs = vnc_from_client(cl);
    int dx = vs->have_pointer ? x - vs->last_x : 0;
    int dy = vs->have_pointer ? y - vs->last_y : 0;
    vs->last_x = x;
    vs->last_y = y;
    vs->have_pointer = true;
    unsigned buttons = 0;
    if (mask & 1) {
        buttons |= PS2_MOUSE_LEFT;
    }
    if (mask & 2) {
        buttons |= PS2_MOUSE_MIDDLE;
    }
    if (mask & 4) {
        buttons |= PS2_MOUSE_RIGHT;
    }
    int dz = (mask & 8) ? -1 : (mask & 16) ? 1 : 0;
    /* The PS/2 mouse counts y upwards, the screen downwards. */
    display_mouse_event(vs->display, dx, -dy, dz, buttons);
    rfbDefaultPtrAddEvent(mask, x, y, cl);
}

static rfbBool vnc_check_password(rfbClientPtr cl, const char *response, int len)
{
    VncServer *vs = vnc_from_client(cl);
    if (!vs->passwords[0]) {
        return FALSE; /* password=on and none set yet: nobody gets in, as in QEMU */
    }
    return rfbCheckPasswordByList(cl, response, len);
}

/* ---------------------------------------------------------------------- */
/* The share policy */

/*
 * Whether a client that sent shared-flag = !exclusive may stay, closing the
 * clients its exclusive access displaces.
 */
static bool vnc_share_admit(VncServer *vs, rfbClientPtr cl, bool exclusive)
{
    switch (vs->share_policy) {
    case VNC_SHARE_IGNORE:
        return true;
    case VNC_SHARE_FORCE_SHARED:
        return !exclusive;
    case VNC_SHARE_ALLOW_EXCLUSIVE:
        break;
    }
    bool admit = true;
    rfbClientIteratorPtr it = rfbGetClientIterator(vs->screen);
    for (rfbClientPtr other = rfbClientIteratorNext(it); other; other = rfbClientIteratorNext(it)) {
        VncClientInfo *info = other->clientData;
        if (other == cl || !info) {
            continue;
        }
        if (exclusive) {
            rfbCloseClient(other);
        } else if (info->exclusive) {
            admit = false; /* someone has the display to themselves */
        }
    }
    rfbReleaseClientIterator(it);
    return admit;
}

/*
 * libvncserver reads the ClientInit shared flag but keeps it to itself, and
 * its own policy knobs cannot say "refuse exclusive clients" or "refuse
 * shared clients while an exclusive one is in".  So the flag is read here,
 * before libvncserver polls the socket, and the client is handed back in
 * the state that means "ClientInit done, shared": libvncserver then sends
 * ServerInit and takes no sharing action of its own.  Should a flag slip
 * past (it arrived between this pass and libvncserver's poll),
 * libvncserver's default applies: under allow-exclusive an exclusive
 * client still disconnects the others, elsewhere everybody shares.
 */
static void vnc_take_client_inits(VncServer *vs)
{
    if (!vs->clients) {
        return;
    }
    rfbClientIteratorPtr it = rfbGetClientIterator(vs->screen);
    for (rfbClientPtr cl = rfbClientIteratorNext(it); cl; cl = rfbClientIteratorNext(it)) {
        VncClientInfo *info = cl->clientData;
        if (!info || info->init_taken || cl->state != RFB_INITIALISATION ||
            cl->sock == RFB_INVALID_SOCKET) {
            continue;
        }
        uint8_t shared_flag;
        if (recv(cl->sock, &shared_flag, 1, MSG_DONTWAIT) != 1) {
            continue; /* not there yet; EOF and errors are libvncserver's to notice */
        }
        info->init_taken = true;
        bool exclusive = shared_flag == 0;
        if (!vnc_share_admit(vs, cl, exclusive)) {
            rfbCloseClient(cl);
            continue;
        }
        info->exclusive = exclusive && vs->share_policy == VNC_SHARE_ALLOW_EXCLUSIVE;
        cl->state = RFB_INITIALISATION_SHARED;
        rfbProcessClientMessage(cl);
    }
    rfbReleaseClientIterator(it);
}

/* ---------------------------------------------------------------------- */
/* The QEMU extended key event */

static int vnc_qemu_pseudo_encodings[] = {VNC_ENCODING_QEMU_EXT_KEY, 0};

static rfbBool vnc_qemu_ext_new_client(rfbClientPtr cl, void **data)
{
    return TRUE;
}

static rfbBool vnc_qemu_ext_enable(rfbClientPtr cl, void **data, int encoding)
{
    if (encoding != VNC_ENCODING_QEMU_EXT_KEY) {
        return FALSE;
    }
    /* Acknowledge with an empty rectangle of that encoding: clients start using it. */
    struct {
        rfbFramebufferUpdateMsg hdr;
        rfbFramebufferUpdateRectHeader rect;
    } __attribute__((packed)) ack = {
        .hdr = {.type = rfbFramebufferUpdate, .nRects = Swap16IfLE(1)},
        .rect = {.encoding = Swap32IfLE((uint32_t)VNC_ENCODING_QEMU_EXT_KEY)},
    };
    if (rfbWriteExact(cl, (char *)&ack, sizeof(ack)) < 0) {
        rfbCloseClient(cl);
    }
    return TRUE;
}

static rfbBool vnc_qemu_ext_message(rfbClientPtr cl, void *data,
                                    const rfbClientToServerMsg *msg)
{
    if (msg->type != VNC_MSG_QEMU) {
        return FALSE;
    }
    uint8_t sub;
    if (rfbReadExact(cl, (char *)&sub, 1) <= 0) {
        rfbCloseClient(cl);
        return TRUE;
    }
    if (sub != VNC_QEMU_EXT_KEY_EVENT) {
        rfbLog("vnc: unknown QEMU client message %u\n", sub);
        rfbCloseClient(cl);
        return TRUE;
    }
    uint8_t buf[10]; /* down-flag u16, keysym u32, keycode u32 */
    if (rfbReadExact(cl, (char *)buf, sizeof(buf)) <= 0) {
        rfbCloseClient(cl);
        return TRUE;
    }
    bool down = (buf[0] << 8 | buf[1]) != 0;
    uint32_t keysym = (uint32_t)buf[2] << 24 | buf[3] << 16 | buf[4] << 8 | buf[5];
    uint32_t xt = (uint32_t)buf[6] << 24 | buf[7] << 16 | buf[8] << 8 | buf[9];
    VncServer *vs = vnc_from_client(cl);
    if (xt == 0 || xt > 0xff) {
        display_keysym_event(vs->display, keysym, down);
        return TRUE;
    }
    /* XT encoding: E0-prefixed keys carry bit 7. */
    int keycode = (xt & 0x80) ? (PS2_KEY_E0 | (xt & 0x7f)) : (int)xt;
    if (xt == 0xb7 || xt == 0x54) {
        keycode = PS2_KEY_PRINT_SCREEN; /* SysRq/Print Screen, however the client encodes it */
    } else if (xt == 0xc6) {
        keycode = PS2_KEY_PAUSE;
    }
    display_key_event(vs->display, keycode, down);
    return TRUE;
}

static rfbProtocolExtension vnc_qemu_extension = {
    .newClient = vnc_qemu_ext_new_client,
    .pseudoEncodings = vnc_qemu_pseudo_encodings,
    .enablePseudoEncoding = vnc_qemu_ext_enable,
    .handleMessage = vnc_qemu_ext_message,
};

/* ---------------------------------------------------------------------- */
/* Listening on a unix socket (libvncserver only listens on TCP) */

static void vnc_unix_accept(void *opaque)
{
    VncServer *vs = opaque;
    int fd = accept(vs->unix_fd, NULL, NULL);
    if (fd < 0) {
        return;
    }
    if (!rfbNewClient(vs->screen, fd)) {
        close(fd);
    }
}

static bool vnc_listen_unix(VncServer *vs, const char *path, Error **errp)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sun.sun_path)) {
        error_setg(errp, "-vnc unix:%s: path too long", path);
        return false;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg(errp, "-vnc unix:%s: %s", path, strerror(errno));
        return false;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 4) < 0) {
        error_setg(errp, "-vnc unix:%s: %s", path, strerror(errno));
        close(fd);
        return false;
    }
    vs->unix_fd = fd;
    vs->unix_path = xstrdup(path);
    main_loop_set_fd_handler(vs->machine->loop, fd, vnc_unix_accept, NULL, vs);
    return true;
}

/* ---------------------------------------------------------------------- */

static void vnc_free(DisplayFrontend *fe)
{
    VncServer *vs = container_of(fe, VncServer, fe);
    if (vs->unix_fd >= 0) {
        main_loop_set_fd_handler(vs->machine->loop, vs->unix_fd, NULL, NULL, NULL);
        close(vs->unix_fd);
        unlink(vs->unix_path);
    }
    free(vs->unix_path);
    timer_free(vs->poll_timer);
    if (vs->screen) {
        rfbShutdownServer(vs->screen, TRUE);
        rfbScreenCleanup(vs->screen);
    }
    if (vs->clients) {
        display_remove_listener(vs->display, &vs->listener);
    }
    free(vs->passwords[0]);
    free(vs);
}

static bool vnc_parse_display(VncServer *vs, const char *addr, Error **errp)
{
    rfbScreenInfoPtr screen = vs->screen;
    if (!strncmp(addr, "unix:", 5)) {
        screen->port = -1;
        screen->ipv6port = -1;
        screen->autoPort = FALSE;
        return vnc_listen_unix(vs, addr + 5, errp);
    }
    const char *colon = strrchr(addr, ':');
    if (!colon) {
        error_setg(errp, "-vnc %s: expected [HOST]:DISPLAY or unix:PATH", addr);
        return false;
    }
    char *end;
    long n = strtol(colon + 1, &end, 10);
    if (*end || n < 0 || n > 65535 - VNC_BASE_PORT || colon[1] == '\0') {
        error_setg(errp, "-vnc %s: bad display number", addr);
        return false;
    }
    screen->port = VNC_BASE_PORT + (int)n;
    screen->ipv6port = -1;
    screen->autoPort = FALSE;
    if (colon != addr) {
        char *host = xstrndup(addr, colon - addr);
        if (!strcmp(host, "localhost")) {
            strcpy(host, "127.0.0.1");
        }
        if (!rfbStringToAddr(host, &screen->listenInterface)) {
            error_setg(errp, "-vnc %s: cannot resolve host '%s'", addr, host);
            free(host);
            return false;
        }
        free(host);
    }
    return true;
}

bool vnc_display_init(Display *d, const char *spec, Error **errp)
{
    static bool extension_registered;
    char *opts = xstrdup(spec);
    char *comma = strchr(opts, ',');
    if (comma) {
        *comma++ = '\0';
    }
    VncServer *vs = XNEW(VncServer);
    vs->display = d;
    vs->machine = display_machine(d);
    vs->unix_fd = -1;
    vs->fe.name = "vnc";
    vs->fe.free = vnc_free;
    vs->listener.ops = &vnc_listener_ops;

    rfbLogEnable(0);
    DisplaySurface *surf = display_surface(d);
    int argc = 0;
    vs->screen = rfbGetScreen(&argc, NULL, surf->width, surf->height, 8, 3, 4);
    bool ok = vs->screen != NULL;
    if (!ok) {
        error_setg(errp, "-vnc %s: could not create the VNC server", spec);
    }
    rfbScreenInfoPtr screen = vs->screen;
    if (ok) {
        screen->screenData = vs;
        screen->frameBuffer = (char *)surface_data(surf);
        vnc_set_pixel_format(screen);
        screen->desktopName = "Osprey";
        screen->newClientHook = vnc_new_client;
        screen->kbdAddEvent = vnc_key_event;
        screen->ptrAddEvent = vnc_pointer_event;
        screen->httpDir = NULL;
        /* The guest draws its own pointer; the server must not paint one into the frame. */
        screen->cursor = NULL;
        /*
         * Sending blocks the main loop while a client's socket is full; a client
         * that stops reading is dropped after this long instead of stalling the guest.
         */
        screen->maxClientWait = VNC_MAX_CLIENT_WAIT_MS;
        ok = vnc_parse_display(vs, opts, errp);
    }
    /* Options after the address. */
    for (char *opt = comma; ok && opt && *opt;) {
        char *next = strchr(opt, ',');
        if (next) {
            *next++ = '\0';
        }
        char *eq = strchr(opt, '=');
        const char *val = eq ? eq + 1 : "on";
        if (eq) {
            *eq = '\0';
        }
        if (!strcmp(opt, "password")) {
            vs->password_required = !strcmp(val, "on") || !strcmp(val, "true");
        } else if (!strcmp(opt, "share")) {
            if (!strcmp(val, "allow-exclusive")) {
                vs->share_policy = VNC_SHARE_ALLOW_EXCLUSIVE;
            } else if (!strcmp(val, "force-shared")) {
                vs->share_policy = VNC_SHARE_FORCE_SHARED;
            } else if (!strcmp(val, "ignore")) {
                vs->share_policy = VNC_SHARE_IGNORE;
            } else {
                error_setg(errp, "-vnc: share=%s: expected allow-exclusive, force-shared or "
                           "ignore", val);
                ok = false;
            }
        } else if (!strcmp(opt, "to") || !strcmp(opt, "lossy") || !strcmp(opt, "ipv4")) {
            /* Accepted for compatibility; nothing to do. */
        } else {
            error_setg(errp, "-vnc: unknown option '%s'", opt);
            ok = false;
        }
        opt = next;
    }
    free(opts);
    if (ok) {
        /* libvncserver's own rule is only the fallback (vnc_take_client_inits). */
        screen->alwaysShared = vs->share_policy != VNC_SHARE_ALLOW_EXCLUSIVE;
    }
    if (ok && vs->password_required) {
        screen->authPasswdData = vs->passwords;
        screen->passwordCheck = vnc_check_password;
    }
    if (ok) {
        if (!extension_registered) {
            rfbRegisterProtocolExtension(&vnc_qemu_extension);
            extension_registered = true;
        }
        rfbInitServer(screen);
        if (screen->port > 0 && screen->listenSock == RFB_INVALID_SOCKET) {
            error_setg(errp, "-vnc %s: could not listen on port %d", spec, screen->port);
            ok = false;
        }
    }
    vs->poll_timer = timer_new(main_loop_clock(vs->machine->loop, CLOCK_REAL), vnc_poll, vs);
    display_add_frontend(d, &vs->fe);
    if (!ok) {
        return false;
    }
    timer_mod(vs->poll_timer, clock_get_ns(main_loop_clock(vs->machine->loop, CLOCK_REAL)));
    return true;
}

bool vnc_display_set_password(Display *d, const char *password, Error **errp)
{
    DisplayFrontend *fe = display_find_frontend(d, "vnc");
    if (!fe) {
        error_setg(errp, "There is no VNC server");
        return false;
    }
    VncServer *vs = container_of(fe, VncServer, fe);
    if (!vs->password_required) {
        /* QEMU's rule: a password only matters when the server asks for one. */
        error_setg(errp, "Could not set password");
        return false;
    }
    free(vs->passwords[0]);
    /* VNC authentication keys DES with at most 8 characters; the rest is ignored. */
    vs->passwords[0] = xstrndup(password, VNC_PASSWORD_MAX);
    return true;
}
