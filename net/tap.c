/*
 * -netdev tap: a Linux TAP interface (ifname=, fd=, script=no,
 * downscript=no, vnet_hdr=).  Osprey runs no configuration scripts: the
 * interface is set up by whoever owns it (script= other than "no" is an
 * error).  With vnet_hdr=on the kernel prefixes each frame with a
 * virtio_net_hdr; the RTL8139 has no use for offload metadata, so the
 * header is stripped on receive and zero on send.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/opts.h"

#define TAP_VNET_HDR_LEN 10 /* struct virtio_net_hdr */

typedef struct TapState {
    NetClientState *nc;
    Machine *m;
    int fd;
    bool own_fd;
    bool vnet_hdr;
    bool reading;
    uint8_t *buf;
} TapState;

static void tap_read(void *opaque);

static void tap_set_reading(TapState *s, bool on)
{
    main_loop_set_fd_handler(s->m->loop, s->fd, on ? tap_read : NULL, NULL, s);
    s->reading = on;
}

static void tap_read(void *opaque)
{
    TapState *s = opaque;
    size_t hdr = s->vnet_hdr ? TAP_VNET_HDR_LEN : 0;
    for (int i = 0; i < 64 && s->reading; i++) {
        ssize_t n = read(s->fd, s->buf, NET_MAX_FRAME + hdr);
        if (n <= (ssize_t)hdr) {
            return;
        }
        if (net_send(s->nc, s->buf + hdr, n - hdr) == 0) {
            tap_set_reading(s, false);
        }
    }
}

static void tap_resume(NetClientState *nc)
{
    TapState *s = nc->opaque;
    if (!s->reading) {
        tap_set_reading(s, true);
    }
}

static ssize_t tap_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    TapState *s = nc->opaque;
    if (s->vnet_hdr) {
        uint8_t hdr[TAP_VNET_HDR_LEN] = {0};
        struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)buf, len}};
        (void)!writev(s->fd, iov, 2);
    } else {
        (void)!write(s->fd, buf, len);
    }
    return len; /* a full tap queue drops, like a wire */
}

static void tap_cleanup(NetClientState *nc)
{
    TapState *s = nc->opaque;
    if (s->fd >= 0) {
        main_loop_set_fd_handler(s->m->loop, s->fd, NULL, NULL, NULL);
        if (s->own_fd) {
            close(s->fd);
        }
    }
    free(s->buf);
    free(s);
}

static const NetClientOps tap_ops = {
    .type = "tap",
    .receive = tap_receive,
    .resume = tap_resume,
    .cleanup = tap_cleanup,
};

bool net_init_tap(Machine *m, Opts *o, const char *id, NetClientState **out, Error **errp)
{
    const char *ifname = opts_get(o, "ifname");
    const char *fdstr = opts_get(o, "fd");
    const char *script = opts_get(o, "script");
    const char *downscript = opts_get(o, "downscript");
    bool vnet_hdr = false;
    if (!opts_get_bool(o, "vnet_hdr", false, &vnet_hdr, errp)) {
        return false;
    }
    if ((script && strcmp(script, "no")) || (downscript && strcmp(downscript, "no"))) {
        error_setg(errp, "tap: only script=no and downscript=no are supported "
                         "(configure the interface beforehand)");
        return false;
    }
    if (!fdstr && !ifname) {
        error_setg(errp, "tap: ifname= or fd= is needed");
        return false;
    }
    int fd;
    bool own = true;
    char name[IFNAMSIZ] = "";
    if (fdstr) {
        uint64_t v;
        if (!parse_uint(fdstr, &v) || v > 65535 || fcntl((int)v, F_GETFD) < 0) {
            error_setg(errp, "tap: fd=%s is not an open file descriptor", fdstr);
            return false;
        }
        fd = (int)v;
        own = false;
        if (vnet_hdr) {
            int len = TAP_VNET_HDR_LEN;
            if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0) {
                vnet_hdr = false;
            }
        }
    } else {
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            error_setg(errp, "tap: cannot open /dev/net/tun: %s", strerror(errno));
            return false;
        }
        struct ifreq ifr = {0};
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        unsigned features = 0;
        if (vnet_hdr && ioctl(fd, TUNGETFEATURES, &features) == 0 &&
            (features & IFF_VNET_HDR)) {
            ifr.ifr_flags |= IFF_VNET_HDR;
        } else {
            vnet_hdr = false; /* not available: plain frames */
        }
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            error_setg(errp, "tap: cannot attach to %s: %s", ifname, strerror(errno));
            close(fd);
            return false;
        }
        snprintf(name, sizeof(name), "%s", ifr.ifr_name);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    TapState *s = XNEW(TapState);
    s->m = m;
    s->fd = fd;
    s->own_fd = own;
    s->vnet_hdr = vnet_hdr;
    s->buf = xmalloc(NET_MAX_FRAME + TAP_VNET_HDR_LEN);
    NetClientState *nc = net_client_new(m, &tap_ops, id, s);
    s->nc = nc;
    if (fdstr) {
        snprintf(nc->info_str, sizeof(nc->info_str), "fd=%s", fdstr);
    } else {
        snprintf(nc->info_str, sizeof(nc->info_str), "ifname=%s,script=no,downscript=no", name);
    }
    tap_set_reading(s, true);
    *out = nc;
    return true;
}
