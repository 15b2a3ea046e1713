/*
 * ACK thinning for a batch of frames toward a guest (net_thin_tcp_acks in net/net.h).
 *
 * TCP acknowledgements are cumulative: a pure ACK (no data, no SYN/FIN/RST, no urgent
 * data) for a flow carries nothing that a later pure ACK of the same flow with a higher
 * acknowledgement number does not, since the later one also brings the newer window.  A
 * backend that answers every segment at once (libslirp) and hands the answers over in a
 * batch can therefore leave the superseded ones out, as ACK-thinning routers do, and the
 * guest's TCP takes one stretch ACK instead of dozens of frames and interrupts.
 * Duplicate ACKs (the same number repeated: the loss signal of fast retransmit), window
 * updates at the same number, and every frame that is not a pure ACK are all kept.
 */
#include "net/net.h"

#define ACK_THIN_FLOWS 8
#define ETH_HLEN 14
#define TCP_FLAG_ACK 0x10

/* A pure ACK: its flow (the 12 bytes of addresses and ports) and its number. */
static bool pure_tcp_ack(const uint8_t *f, size_t len, const uint8_t **flow, uint32_t *ack)
{
    if (len < ETH_HLEN + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 ||
        f[ETH_HLEN + 9] != 6 || (f[ETH_HLEN + 6] & 0x3f) || f[ETH_HLEN + 7]) {
        return false; /* not IPv4 TCP, or a fragment */
    }
    size_t ihl = (f[14] & 0xf) * 4;
    size_t ip_len = (size_t)f[ETH_HLEN + 2] << 8 | f[ETH_HLEN + 3];
    if (ihl < 20 || ip_len < ihl + 20 || ETH_HLEN + ip_len > len) {
        return false;
    }
    const uint8_t *tcp = f + ETH_HLEN + ihl;
    size_t thl = (tcp[12] >> 4) * 4;
    if (thl < 20 || ihl + thl != ip_len || tcp[13] != TCP_FLAG_ACK) {
        return false;
    }
    *flow = f + ETH_HLEN + 12; /* source and destination address, then the ports */
    *ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
    return true;
}

size_t net_tcp_payload_len(const uint8_t *f, size_t len)
{
    if (len < ETH_HLEN + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 ||
        f[ETH_HLEN + 9] != 6) {
        return 0;
    }
    size_t ihl = (f[14] & 0xf) * 4;
    size_t ip_len = (size_t)f[ETH_HLEN + 2] << 8 | f[ETH_HLEN + 3];
    if (ihl < 20 || ip_len < ihl + 20 || ETH_HLEN + ip_len > len) {
        return 0;
    }
    size_t thl = (f[ETH_HLEN + ihl + 12] >> 4) * 4;
    return ip_len > ihl + thl ? ip_len - ihl - thl : 0;
}

static bool same_flow(const uint8_t *a, const uint8_t *b)
{
    /* Addresses (8 bytes) and the TCP ports that follow the IP header (4 bytes). */
    return !memcmp(a, b, 8) && !memcmp(a + (size_t)(a[-12] & 0xf) * 4 - 12,
                                       b + (size_t)(b[-12] & 0xf) * 4 - 12, 4);
}

void net_thin_tcp_acks(int n, const uint8_t *const frames[], const size_t lens[], bool keep[])
{
    /* From the newest back: the first ACK met for a flow is its latest. */
    const uint8_t *flows[ACK_THIN_FLOWS];
    uint32_t latest[ACK_THIN_FLOWS];
    int nr_flows = 0;
    for (int i = n - 1; i >= 0; i--) {
        const uint8_t *flow;
        uint32_t ack;
        if (!pure_tcp_ack(frames[i], lens[i], &flow, &ack)) {
            continue;
        }
        int k = 0;
        while (k < nr_flows && !same_flow(flows[k], flow)) {
            k++;
        }
        if (k < nr_flows) {
            if ((int32_t)(latest[k] - ack) > 0) {
                keep[i] = false;
            }
        } else if (nr_flows < ACK_THIN_FLOWS) {
            flows[nr_flows] = flow;
            latest[nr_flows++] = ack;
        }
    }
}
