/*
 * The network layer: NetClients joined in pairs (a NIC and its backend),
 * hubs for -netdev hubport / -net, and the queue that gives flow control.
 *
 * A client sends a frame to its peer with net_send().  When the peer cannot
 * take it now (a NIC whose receive buffer is full), the frame is queued on
 * the peer and net_send() returns 0: the sender should stop producing (a tap
 * or socket backend stops reading its fd) until its .resume hook runs, which
 * happens when the receiver calls net_flush_queue() and the queue drains.
 * A backend that cannot stop (slirp) keeps sending; its frames queue up to
 * a byte limit and are dropped beyond it, as a full wire would.
 *
 * Everything here runs in the main loop's thread.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <sys/types.h>

#include "core/machine.h"

#define NET_MAX_FRAME (65536 + 64) /* the largest frame a client is handed */
#define ETH_ALEN 6

typedef struct NetClientState NetClientState;
typedef struct NetPacket NetPacket;

typedef struct NetClientOps {
    const char *type; /* "nic", "user", "tap", "socket", "hubport", "none" */
    /* May a frame be delivered now?  NULL: always. */
    bool (*can_receive)(NetClientState *nc);
    /*
     * Take one frame.  Returns len when consumed (or deliberately dropped),
     * 0 when it cannot take it now (the frame is queued and retried).
     */
    ssize_t (*receive)(NetClientState *nc, const uint8_t *buf, size_t len);
    /* The peer drained what this client had sent it: produce again. */
    void (*resume)(NetClientState *nc);
    /* set_link changed link_down. */
    void (*link_changed)(NetClientState *nc);
    /* Free backend-private state (not the NetClientState itself). */
    void (*cleanup)(NetClientState *nc);
    /* user backend only: hostfwd_add / hostfwd_remove ("tcp:...:P-...:P"). */
    bool (*hostfwd_add)(NetClientState *nc, const char *rule, Error **errp);
    bool (*hostfwd_remove)(NetClientState *nc, const char *rule, Error **errp);
} NetClientOps;

struct NetClientState {
    const NetClientOps *ops;
    Machine *machine;
    char *name;            /* the netdev id, or the NIC's device id / model */
    char info_str[256];    /* one line for "info network" */
    void *opaque;          /* the owner's state */
    NetClientState *peer;
    struct NetHub *hub;    /* hubport only */
    int hub_port_id;
    bool link_down;
    bool is_netdev;        /* created by -netdev (a NIC may claim it) */
    bool is_nic;
    bool receive_disabled; /* its queue is non-empty: deliver in order */
    bool sender_blocked;   /* net_send to our peer returned 0; waiting for resume */
    /* Frames waiting for this client to accept them. */
    NetPacket *queue_head, **queue_tail;
    size_t queue_bytes;
    int queue_len;
    /* pcap dump of everything this client sends and receives (filter-dump). */
    FILE *dump;
    uint64_t dump_limit;
    uint64_t dump_written;
    NetClientState *next;  /* in the machine's client list */
};

/* The machine's network state (m->net). */
typedef struct NetState {
    NetClientState *clients;
    struct NetHub *hubs;
    int nic_count; /* for default MAC addresses */
    int nic_auto;  /* for -nic / -net generated ids */
} NetState;

/* Create the -netdev / -net / -nic backends of cfg; call before -device. */
bool net_init_backends(Machine *m, Error **errp);
/* Create the NICs -nic / -net nic asked for, and the default one; call after -device. */
bool net_init_nics(Machine *m, Error **errp);
/* Free every client (at machine teardown, after the devices). */
void net_cleanup(Machine *m);

NetClientState *net_client_new(Machine *m, const NetClientOps *ops, const char *name,
                               void *opaque);
void net_client_free(NetClientState *nc);
NetClientState *net_find_client(Machine *m, const char *name);

/*
 * A NIC attaches to the netdev with id netdev_id (NULL: not connected).
 * Fails if no such netdev exists or another NIC already took it.
 */
NetClientState *net_nic_new(Machine *m, const NetClientOps *ops, void *opaque,
                            const char *netdev_id, const char *name, Error **errp);
/* Parse "52:54:00:12:34:56"; NULL or "" gives the next default address. */
bool net_parse_mac(Machine *m, const char *str, uint8_t mac[ETH_ALEN], Error **errp);

/*
 * Send a frame from nc to its peer.  Returns len if delivered or dropped,
 * 0 if queued (then nc->ops->resume runs once the peer drained its queue).
 */
ssize_t net_send(NetClientState *nc, const uint8_t *buf, size_t len);
/* The receiver can take frames again: deliver what is queued for it. */
void net_flush_queue(NetClientState *nc);
bool net_can_receive(NetClientState *nc);

/* Monitor / QMP. */
void net_print_info(Machine *m, FILE *f);
bool net_set_link(Machine *m, const char *name, bool up, Error **errp);
bool net_hostfwd(Machine *m, bool add, const char *netdev, const char *rule, Error **errp);

/* Backends (net/BACKEND.c), each parsing its own -netdev options. */
struct Opts;
bool net_init_user(Machine *m, struct Opts *o, const char *id, NetClientState **out,
                   Error **errp);
bool net_init_tap(Machine *m, struct Opts *o, const char *id, NetClientState **out,
                  Error **errp);
bool net_init_socket(Machine *m, struct Opts *o, const char *id, NetClientState **out,
                     Error **errp);

/* pcap file output (net/dump.c). */
/*
 * net/ack-thin.c: of n frames about to go to a guest in one batch, clear keep[i] for each
 * pure TCP ACK (IPv4, ACK the only flag, no payload) that a later pure ACK of the same flow
 * in the batch acknowledges beyond.  Everything else keeps its keep[i] unchanged.
 */
void net_thin_tcp_acks(int n, const uint8_t *const frames[], const size_t lens[], bool keep[]);
/* The TCP payload bytes of an IPv4 TCP frame; 0 for anything else (or a malformed one). */
size_t net_tcp_payload_len(const uint8_t *frame, size_t len);

bool net_dump_open(NetClientState *nc, const char *file, uint64_t limit, Error **errp);
void net_dump_frame(NetClientState *nc, const uint8_t *buf, size_t len);

#endif
