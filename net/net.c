/*
 * NetClients, their queues, hubs, and the -netdev / -net / -nic command-line
 * forms.  See net/net.h for the flow-control contract.
 */
#include "net/net.h"

#include <ctype.h>

#include "core/log.h"
#include "core/options.h"
#include "core/opts.h"

/*
 * How many bytes may wait for one receiver.  A sender that cannot pause
 * (slirp) is bounded by the guest's TCP window, so this only has to hold a
 * window's worth; past it frames are dropped like on a congested wire.
 */
#define NET_QUEUE_LIMIT_BYTES (8u << 20)
#define NET_HUB_MAX_PORTS 16

struct NetPacket {
    NetPacket *next;
    size_t len;
    uint8_t data[];
};

typedef struct NetHub {
    int id;
    NetClientState *ports[NET_HUB_MAX_PORTS];
    int nr_ports;
    struct NetHub *next;
} NetHub;

static NetState *net_state(Machine *m)
{
    if (!m->net) {
        m->net = XNEW(NetState);
    }
    return m->net;
}

/* ---------------------------------------------------------------------- */
/* Clients */

NetClientState *net_client_new(Machine *m, const NetClientOps *ops, const char *name,
                               void *opaque)
{
    NetState *ns = net_state(m);
    NetClientState *nc = XNEW(NetClientState);
    nc->ops = ops;
    nc->machine = m;
    nc->name = xstrdup(name ? name : ops->type);
    nc->opaque = opaque;
    nc->queue_tail = &nc->queue_head;
    NetClientState **pp = &ns->clients;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = nc;
    return nc;
}

static void net_queue_purge(NetClientState *nc)
{
    while (nc->queue_head) {
        NetPacket *p = nc->queue_head;
        nc->queue_head = p->next;
        free(p);
    }
    nc->queue_tail = &nc->queue_head;
    nc->queue_bytes = 0;
    nc->queue_len = 0;
}

void net_client_free(NetClientState *nc)
{
    if (!nc) {
        return;
    }
    NetState *ns = net_state(nc->machine);
    for (NetClientState **pp = &ns->clients; *pp; pp = &(*pp)->next) {
        if (*pp == nc) {
            *pp = nc->next;
            break;
        }
    }
    if (nc->peer) {
        nc->peer->peer = NULL;
        nc->peer = NULL;
    }
    if (nc->ops->cleanup) {
        nc->ops->cleanup(nc);
    }
    net_queue_purge(nc);
    if (nc->dump) {
        fclose(nc->dump);
    }
    free(nc->name);
    free(nc);
}

NetClientState *net_find_client(Machine *m, const char *name)
{
    for (NetClientState *nc = net_state(m)->clients; nc; nc = nc->next) {
        if (!strcmp(nc->name, name)) {
            return nc;
        }
    }
    return NULL;
}

static NetClientState *net_find_netdev(Machine *m, const char *id)
{
    for (NetClientState *nc = net_state(m)->clients; nc; nc = nc->next) {
        if (nc->is_netdev && !strcmp(nc->name, id)) {
            return nc;
        }
    }
    return NULL;
}

void net_cleanup(Machine *m)
{
    if (!m->net) {
        return;
    }
    NetState *ns = m->net;
    while (ns->clients) {
        net_client_free(ns->clients);
    }
    while (ns->hubs) {
        NetHub *h = ns->hubs;
        ns->hubs = h->next;
        free(h);
    }
    free(ns);
    m->net = NULL;
}

/* ---------------------------------------------------------------------- */
/* Sending, queueing, flow control */

bool net_can_receive(NetClientState *nc)
{
    if (nc->link_down) {
        return false;
    }
    return !nc->ops->can_receive || nc->ops->can_receive(nc);
}

ssize_t net_send(NetClientState *nc, const uint8_t *buf, size_t len)
{
    NetClientState *peer = nc->peer;
    if (len == 0 || len > NET_MAX_FRAME) {
        return len;
    }
    if (nc->dump) {
        net_dump_frame(nc, buf, len);
    }
    /* A cable that is unplugged at either end loses the frame. */
    if (!peer || nc->link_down || peer->link_down) {
        return len;
    }
    if (!peer->queue_head && net_can_receive(peer)) {
        if (peer->dump) {
            net_dump_frame(peer, buf, len);
        }
        if (peer->ops->receive(peer, buf, len) != 0) {
            return len;
        }
    }
    if (peer->queue_bytes + len > NET_QUEUE_LIMIT_BYTES) {
        return len; /* dropped: the receiver is not keeping up */
    }
    NetPacket *p = xmalloc(sizeof(*p) + len);
    p->next = NULL;
    p->len = len;
    memcpy(p->data, buf, len);
    *peer->queue_tail = p;
    peer->queue_tail = &p->next;
    peer->queue_bytes += len;
    peer->queue_len++;
    nc->sender_blocked = true;
    return 0;
}

void net_flush_queue(NetClientState *nc)
{
    while (nc->queue_head && net_can_receive(nc)) {
        NetPacket *p = nc->queue_head;
        if (nc->dump) {
            net_dump_frame(nc, p->data, p->len);
        }
        if (nc->ops->receive(nc, p->data, p->len) == 0) {
            break;
        }
        nc->queue_head = p->next;
        if (!nc->queue_head) {
            nc->queue_tail = &nc->queue_head;
        }
        nc->queue_bytes -= p->len;
        nc->queue_len--;
        free(p);
    }
    NetClientState *peer = nc->peer;
    if (!nc->queue_head && peer && peer->sender_blocked) {
        peer->sender_blocked = false;
        if (peer->ops->resume) {
            peer->ops->resume(peer);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Hubs: every frame a port receives goes out of all the other ports. */

static NetHub *net_hub_get(Machine *m, int id)
{
    NetState *ns = net_state(m);
    for (NetHub *h = ns->hubs; h; h = h->next) {
        if (h->id == id) {
            return h;
        }
    }
    NetHub *h = XNEW(NetHub);
    h->id = id;
    h->next = ns->hubs;
    ns->hubs = h;
    return h;
}

static ssize_t hubport_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    NetHub *hub = nc->hub;
    for (int i = 0; i < hub->nr_ports; i++) {
        if (hub->ports[i] != nc) {
            net_send(hub->ports[i], buf, len);
        }
    }
    return len;
}

static void hubport_resume(NetClientState *nc)
{
    /* Frames from other ports may wait on their own peers: let them go on. */
    NetHub *hub = nc->hub;
    for (int i = 0; i < hub->nr_ports; i++) {
        NetClientState *src = hub->ports[i]->peer;
        if (hub->ports[i] != nc && src && src->sender_blocked && src->ops->resume) {
            src->sender_blocked = false;
            src->ops->resume(src);
        }
    }
}

static void hubport_cleanup(NetClientState *nc)
{
    NetHub *hub = nc->hub;
    for (int i = 0; i < hub->nr_ports; i++) {
        if (hub->ports[i] == nc) {
            hub->ports[i] = hub->ports[--hub->nr_ports];
            break;
        }
    }
}

static const NetClientOps hubport_ops = {
    .type = "hubport",
    .receive = hubport_receive,
    .resume = hubport_resume,
    .cleanup = hubport_cleanup,
};

static NetClientState *net_hubport_new(Machine *m, int hub_id, const char *name, Error **errp)
{
    NetHub *hub = net_hub_get(m, hub_id);
    if (hub->nr_ports >= NET_HUB_MAX_PORTS) {
        error_setg(errp, "hub %d has no free port (at most %d)", hub_id, NET_HUB_MAX_PORTS);
        return NULL;
    }
    char *autoname = NULL;
    if (!name) {
        autoname = xasprintf("hub%dport%d", hub_id, hub->nr_ports);
    }
    NetClientState *nc = net_client_new(m, &hubport_ops, name ? name : autoname, NULL);
    free(autoname);
    nc->hub = hub;
    nc->hub_port_id = hub->nr_ports;
    hub->ports[hub->nr_ports++] = nc;
    snprintf(nc->info_str, sizeof(nc->info_str), "hub %d port", hub_id);
    return nc;
}

/* ---------------------------------------------------------------------- */
/* The none backend: a netdev with nothing behind it. */

static ssize_t none_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    return len;
}

static const NetClientOps none_ops = {
    .type = "none",
    .receive = none_receive,
};

/* ---------------------------------------------------------------------- */
/* Command line */

/* Create one backend from -netdev syntax; *out is the new client. */
static bool net_backend_create(Machine *m, Opts *o, const char *type, const char *id,
                               NetClientState **out, Error **errp)
{
    if (!strcmp(type, "user")) {
#ifdef CONFIG_SLIRP
        return net_init_user(m, o, id, out, errp);
#else
        error_setg(errp, "user networking is not available (built without libslirp)");
        return false;
#endif
    }
    if (!strcmp(type, "tap")) {
        return net_init_tap(m, o, id, out, errp);
    }
    if (!strcmp(type, "socket")) {
        return net_init_socket(m, o, id, out, errp);
    }
    if (!strcmp(type, "none")) {
        *out = net_client_new(m, &none_ops, id, NULL);
        snprintf((*out)->info_str, sizeof((*out)->info_str), "none");
        return true;
    }
    error_setg(errp, "network backend '%s' is not supported (user, tap, socket, hubport, none)",
               type);
    return false;
}

static bool net_attach_dump(NetClientState *nc, const char *file, const char *len, Error **errp)
{
    uint64_t limit = 64 * 1024;
    if (len && !parse_size(len, 1, &limit)) {
        error_setg(errp, "invalid len '%s'", len);
        return false;
    }
    return net_dump_open(nc, file, limit, errp);
}

static bool net_netdev_create(Machine *m, const char *optstr, Error **errp)
{
    Opts *o = opts_parse(optstr, "type", errp);
    if (!o) {
        return false;
    }
    bool ok = false;
    const char *type = opts_get(o, "type");
    const char *id = opts_get(o, "id");
    if (type && !strcmp(type, "filter-dump")) {
        /* -object filter-dump,id=,netdev=,file=[,maxlen=] */
        const char *netdev = opts_get(o, "netdev");
        const char *file = opts_get(o, "file");
        const char *maxlen = opts_get(o, "maxlen"); /* read before the unused-key check */
        NetClientState *nc = netdev ? net_find_netdev(m, netdev) : NULL;
        if (!id || !file || !netdev) {
            error_setg(errp, "filter-dump needs id=, netdev= and file=");
        } else if (!nc) {
            error_setg(errp, "filter-dump: netdev '%s' not found", netdev);
        } else if (opts_check_unused(o, "filter-dump", errp)) {
            ok = net_attach_dump(nc, file, maxlen, errp);
        }
        opts_free(o);
        return ok;
    }
    if (!type || !id) {
        error_setg(errp, "-netdev needs a type and an id=");
        opts_free(o);
        return false;
    }
    if (net_find_client(m, id)) {
        error_setg(errp, "duplicate network id '%s'", id);
        opts_free(o);
        return false;
    }
    NetClientState *nc = NULL;
    if (!strcmp(type, "hubport")) {
        uint64_t hubid;
        if (!opts_has(o, "hubid")) {
            error_setg(errp, "hubport needs hubid=");
        } else if (opts_get_uint(o, "hubid", 0, &hubid, errp) &&
                   opts_check_unused(o, "hubport", errp)) {
            nc = net_hubport_new(m, (int)hubid, id, errp);
        }
        ok = nc != NULL;
    } else {
        ok = net_backend_create(m, o, type, id, &nc, errp) &&
             opts_check_unused(o, "-netdev", errp);
    }
    if (ok) {
        nc->is_netdev = true;
    } else if (nc) {
        net_client_free(nc);
    }
    opts_free(o);
    return ok;
}

/* Rebuild "k=v,..." from o, without the keys in skip (values with ',' doubled). */
static char *opts_rebuild(Opts *o, const char *type, const char *const *skip)
{
    size_t cap = strlen(type) + 1;
    for (int i = 0; i < o->nr; i++) {
        cap += strlen(o->items[i].key) + 2 * strlen(o->items[i].value) + 3;
    }
    char *s = xmalloc(cap + 1);
    char *p = s + sprintf(s, "%s", type);
    for (int i = 0; i < o->nr; i++) {
        bool skipped = !strcmp(o->items[i].key, "type");
        for (int k = 0; skip[k]; k++) {
            skipped |= !strcmp(o->items[i].key, skip[k]);
        }
        if (skipped) {
            continue;
        }
        p += sprintf(p, ",%s=", o->items[i].key);
        for (const char *v = o->items[i].value; *v; v++) {
            *p++ = *v;
            if (*v == ',') {
                *p++ = ',';
            }
        }
        *p = 0;
    }
    return s;
}

/* A NIC model from -nic / -net nic; only the RTL8139 exists. */
static bool net_nic_create(Machine *m, const char *model, const char *mac, const char *netdev,
                           Error **errp)
{
    if (model && strcmp(model, "rtl8139")) {
        error_setg(errp, "unsupported NIC model '%s' (available: rtl8139)", model);
        return false;
    }
    DeviceState *dev = device_new(m, "rtl8139", errp);
    if (!dev) {
        return false;
    }
    if ((mac && !device_set_prop(dev, "mac", mac, errp)) ||
        (netdev && !device_set_prop(dev, "netdev", netdev, errp))) {
        return false;
    }
    return device_realize(dev, errp);
}

/* "-nic TYPE,model=,mac=,BACKEND-OPTS" or "-nic none". */
static bool net_nic_option(Machine *m, const char *arg, Error **errp)
{
    Opts *o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    bool ok = false;
    if (!type || !strcmp(type, "none")) {
        ok = type != NULL;
        if (!ok) {
            error_setg(errp, "-nic needs a backend type");
        }
        opts_free(o);
        return ok;
    }
    NetState *ns = net_state(m);
    char *id = xasprintf("__nic%d", ns->nic_auto++);
    char *model = opts_has(o, "model") ? xstrdup(opts_get(o, "model")) : NULL;
    char *mac = opts_has(o, "mac") ? xstrdup(opts_get(o, "mac")) : NULL;
    static const char *const skip[] = {"model", "mac", "id", NULL};
    char *backend = opts_rebuild(o, type, skip);
    char *full = xasprintf("%s,id=%s", backend, id);
    ok = net_netdev_create(m, full, errp) && net_nic_create(m, model, mac, id, errp);
    free(full);
    free(backend);
    free(model);
    free(mac);
    free(id);
    opts_free(o);
    return ok;
}

/*
 * "-net nic|user|tap|socket|none|dump": the old form, where everything
 * without netdev= joins hub 0 (QEMU's "vlan").
 */
static bool net_legacy_option(Machine *m, const char *arg, bool nics, Error **errp)
{
    Opts *o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    bool ok = true;
    if (!type) {
        error_setg(errp, "-net needs a type");
        ok = false;
    } else if (!strcmp(type, "none")) {
        /* nothing */
    } else if (!strcmp(type, "nic")) {
        if (nics) {
            const char *netdev = opts_get(o, "netdev");
            const char *model = opts_get(o, "model");
            const char *mac = opts_get(o, "macaddr");
            opts_get(o, "name");
            opts_get(o, "vlan");
            char *port = NULL;
            if (!netdev) {
                NetState *ns = net_state(m);
                port = xasprintf("__hubport%d", ns->nic_auto++);
                NetClientState *hp = net_hubport_new(m, 0, port, errp);
                ok = hp != NULL;
                if (hp) {
                    hp->is_netdev = true;
                }
            }
            ok = ok && opts_check_unused(o, "-net nic", errp) &&
                 net_nic_create(m, model, mac, netdev ? netdev : port, errp);
            free(port);
        }
    } else if (!strcmp(type, "dump")) {
        if (!nics) {
            /* Hub 0 gets a port whose traffic is dumped. */
            const char *file = opts_get(o, "file");
            const char *len = opts_get(o, "len");
            NetClientState *hp = net_hubport_new(m, 0, NULL, errp);
            ok = hp && opts_check_unused(o, "-net dump", errp) &&
                 net_attach_dump(hp, file ? file : "osprey-vlan0.pcap", len, errp);
        }
    } else if (!nics) {
        NetState *ns = net_state(m);
        char *id = xasprintf("__net%d", ns->nic_auto++);
        static const char *const skip[] = {"id", "name", "vlan", NULL};
        char *backend = opts_rebuild(o, type, skip);
        char *full = xasprintf("%s,id=%s", backend, id);
        NetClientState *nc = NULL;
        ok = net_netdev_create(m, full, errp);
        nc = ok ? net_find_netdev(m, id) : NULL;
        if (nc) {
            NetClientState *hp = net_hubport_new(m, 0, NULL, errp);
            ok = hp != NULL;
            if (hp) {
                hp->peer = nc;
                nc->peer = hp;
            }
        }
        free(full);
        free(backend);
        free(id);
    }
    opts_free(o);
    return ok;
}

/* The option name is the first word of each cfg->nics entry: "nic ARG" or "net ARG". */
static bool net_split_nic_entry(const char *entry, const char **arg)
{
    *arg = entry + 4;
    return !strncmp(entry, "nic ", 4);
}

bool net_init_backends(Machine *m, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    net_state(m);
    /* Filters (-object filter-dump) name netdevs, so they come second. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < cfg->netdevs.n; i++) {
            const char *arg = cfg->netdevs.v[i];
            if ((pass == 1) != !strncmp(arg, "filter-dump,", 12)) {
                continue;
            }
            if (!net_netdev_create(m, arg, errp)) {
                error_prepend(errp, "%s %s: ", pass ? "-object" : "-netdev", arg);
                return false;
            }
        }
    }
    /* -net backends join hub 0 now, so -device ...,netdev= and -net nic find them later. */
    for (int i = 0; i < cfg->nics.n; i++) {
        const char *arg;
        if (!net_split_nic_entry(cfg->nics.v[i], &arg) && !net_legacy_option(m, arg, false, errp)) {
            error_prepend(errp, "-net %s: ", arg);
            return false;
        }
    }
    return true;
}

bool net_init_nics(Machine *m, Error **errp)
{
    const MachineConfig *cfg = m->cfg;
    for (int i = 0; i < cfg->nics.n; i++) {
        const char *arg;
        bool is_nic = net_split_nic_entry(cfg->nics.v[i], &arg);
        bool ok = is_nic ? net_nic_option(m, arg, errp) : net_legacy_option(m, arg, true, errp);
        if (!ok) {
            error_prepend(errp, "-%s %s: ", is_nic ? "nic" : "net", arg);
            return false;
        }
    }
    /* As QEMU: one RTL8139 on user networking unless the user said anything about it. */
    bool any_netdev = false;
    for (int i = 0; i < cfg->netdevs.n; i++) {
        any_netdev |= strncmp(cfg->netdevs.v[i], "filter-dump,", 12) != 0;
    }
    if (!cfg->nodefaults && !any_netdev && !cfg->nics.n) {
#ifdef CONFIG_SLIRP
        if (!net_nic_option(m, "user,model=rtl8139", errp)) {
            error_prepend(errp, "default network: ");
            return false;
        }
#endif
    }
    /* A netdev nobody uses is legal, but worth a word (QEMU warns too). */
    for (NetClientState *nc = net_state(m)->clients; nc; nc = nc->next) {
        if (nc->is_netdev && !nc->peer && !nc->hub && strncmp(nc->name, "__", 2)) {
            warn_report("netdev %s has no peer", nc->name);
        }
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* NICs */

NetClientState *net_nic_new(Machine *m, const NetClientOps *ops, void *opaque,
                            const char *netdev_id, const char *name, Error **errp)
{
    NetClientState *peer = NULL;
    if (netdev_id && *netdev_id) {
        peer = net_find_netdev(m, netdev_id);
        if (!peer) {
            error_setg(errp, "netdev '%s' not found", netdev_id);
            return NULL;
        }
        if (peer->peer) {
            error_setg(errp, "netdev '%s' is already in use", netdev_id);
            return NULL;
        }
    }
    NetClientState *nc = net_client_new(m, ops, name, opaque);
    nc->is_nic = true;
    if (peer) {
        nc->peer = peer;
        peer->peer = nc;
    }
    return nc;
}

bool net_parse_mac(Machine *m, const char *str, uint8_t mac[ETH_ALEN], Error **errp)
{
    if (!str || !*str) {
        NetState *ns = net_state(m);
        static const uint8_t base[ETH_ALEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
        memcpy(mac, base, ETH_ALEN);
        mac[5] += ns->nic_count++;
        return true;
    }
    unsigned v[ETH_ALEN];
    char sep[ETH_ALEN];
    int n = sscanf(str, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &sep[0], &v[1], &sep[1],
                   &v[2], &sep[2], &v[3], &sep[3], &v[4], &sep[4], &v[5], &sep[5]);
    bool ok = n == 11;
    for (int i = 0; ok && i < 5; i++) {
        ok = sep[i] == ':' || sep[i] == '-';
    }
    if (!ok || strlen(str) != 17) {
        error_setg(errp, "invalid MAC address '%s'", str);
        return false;
    }
    for (int i = 0; i < ETH_ALEN; i++) {
        mac[i] = v[i];
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* Monitor */

void net_print_info(Machine *m, FILE *f)
{
    NetState *ns = net_state(m);
    for (NetHub *h = ns->hubs; h; h = h->next) {
        fprintf(f, "hub %d\n", h->id);
        for (int i = 0; i < h->nr_ports; i++) {
            NetClientState *p = h->ports[i];
            fprintf(f, " \\ %s: index=%d,type=hubport,peer=%s%s\n", p->name, p->hub_port_id,
                    p->peer ? p->peer->name : "(none)", p->link_down ? " [link=down]" : "");
        }
    }
    for (NetClientState *nc = ns->clients; nc; nc = nc->next) {
        if (nc->hub || (!nc->is_nic && nc->peer && nc->peer->is_nic)) {
            continue; /* shown under their hub, or under their NIC */
        }
        fprintf(f, "%s: index=0,type=%s,%s%s\n", nc->name, nc->ops->type, nc->info_str,
                nc->link_down ? " [link=down]" : "");
        NetClientState *p = nc->peer;
        if (p && !p->hub) {
            fprintf(f, " \\ %s: index=0,type=%s,%s%s\n", p->name, p->ops->type, p->info_str,
                    p->link_down ? " [link=down]" : "");
        }
    }
}

bool net_set_link(Machine *m, const char *name, bool up, Error **errp)
{
    NetClientState *nc = net_find_client(m, name);
    if (!nc) {
        error_setg(errp, "Device '%s' not found", name);
        return false;
    }
    /* Like QEMU: the link state of a NIC and its backend is one cable. */
    NetClientState *ends[2] = {nc, nc->peer && !nc->peer->hub ? nc->peer : NULL};
    for (int i = 0; i < 2; i++) {
        if (ends[i] && ends[i]->link_down == up) {
            ends[i]->link_down = !up;
            if (ends[i]->ops->link_changed) {
                ends[i]->ops->link_changed(ends[i]);
            }
        }
    }
    if (up) {
        net_flush_queue(nc);
        if (nc->peer) {
            net_flush_queue(nc->peer);
        }
    }
    return true;
}

bool net_hostfwd(Machine *m, bool add, const char *netdev, const char *rule, Error **errp)
{
    NetClientState *target = NULL;
    if (netdev) {
        target = net_find_client(m, netdev);
        if (!target || !target->ops->hostfwd_add) {
            error_setg(errp, "'%s' is not a user-mode network backend", netdev);
            return false;
        }
    } else {
        for (NetClientState *nc = net_state(m)->clients; nc; nc = nc->next) {
            if (nc->ops->hostfwd_add) {
                target = nc;
                break;
            }
        }
        if (!target) {
            error_setg(errp, "no user-mode network backend");
            return false;
        }
    }
    return add ? target->ops->hostfwd_add(target, rule, errp)
               : target->ops->hostfwd_remove(target, rule, errp);
}
