/*
 * RTL8139C+ "C+ mode": 16-byte descriptor rings for transmit (TNPDS) and
 * receive (RDSAR), with IPv4/TCP/UDP checksum offload, large send (TSO)
 * and 802.1Q tag insertion and removal.
 *
 * Reference: RTL8139C(L)+ datasheet, section on C+ mode descriptors.
 *
 * Descriptor: opts1 (OWN, EOR, FS, LS, flags, length), opts2 (VLAN), then
 * the 64-bit buffer address.  Every descriptor is copied out of guest
 * memory before it is looked at, every length is checked against the
 * frame actually assembled, and a ring walk never visits more than
 * RTL8139_CPLUS_RING descriptors per call.  Header offsets used by the
 * offloads are checked against the frame length, never trusted from the
 * IP header alone: a bad IP header length or total length makes the chip
 * send the frame unmodified instead of reading past it.
 */
#include "hw/net/rtl8139.h"

#include "core/log.h"

enum {
    DESC_OWN = 1u << 31,
    DESC_EOR = 1u << 30,
    DESC_FS = 1u << 29,
    DESC_LS = 1u << 28,
    /* TX opts1 */
    TXD_LGSEN = 1u << 27,
    TXD_MSS_SHIFT = 16,
    TXD_MSS_MASK = 0x7ff,
    TXD_IPCS = 1u << 18,
    TXD_UDPCS = 1u << 17,
    TXD_TCPCS = 1u << 16,
    TXD_LEN_MASK = 0xffff,
    /* TX opts2 */
    TXD_TAGC = 1u << 17,
    /* RX opts1 */
    RXD_LEN_MASK = 0x1fff,
    RXD_PROTO_SHIFT = 16,
    RXD_PROTO_TCP = 1,
    RXD_PROTO_UDP = 2,
    RXD_PROTO_IP = 3,
    RXD_IPF = 1u << 15,
    RXD_UDPF = 1u << 14,
    RXD_TCPF = 1u << 13,
    RXD_MAR = 1u << 26,
    RXD_PAM = 1u << 25,
    RXD_BAR = 1u << 24,
    /* RX opts2 */
    RXD_TAVA = 1u << 16,
};

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_VLAN 0x8100
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

typedef struct CplusDesc {
    uint32_t opts1, opts2;
    uint64_t addr;
} CplusDesc;

bool rtl8139_cplus_tx_on(RTL8139State *s)
{
    return (s->cpcr & CPCR_TX) != 0;
}

bool rtl8139_cplus_rx_on(RTL8139State *s)
{
    return (s->cpcr & CPCR_RX) != 0;
}

static uint64_t desc_ring_base(uint32_t lo, uint32_t hi)
{
    return ((uint64_t)hi << 32 | lo) & ~0xffull; /* 256-byte aligned */
}

static bool desc_read(RTL8139State *s, uint64_t addr, CplusDesc *d)
{
    uint8_t raw[16];
    if (!rtl8139_dma_read(s, addr, raw, sizeof(raw))) {
        return false;
    }
    d->opts1 = ldl_le_p(raw);
    d->opts2 = ldl_le_p(raw + 4);
    d->addr = (uint64_t)ldl_le_p(raw + 12) << 32 | ldl_le_p(raw + 8);
    return true;
}

static void desc_write_opts(RTL8139State *s, uint64_t addr, const CplusDesc *d)
{
    uint8_t raw[8];
    stl_le_p(raw, d->opts1);
    stl_le_p(raw + 4, d->opts2);
    /* opts2 first, so the guest never sees OWN clear with a stale tag. */
    rtl8139_dma_write(s, addr + 4, raw + 4, 4);
    rtl8139_dma_write(s, addr, raw, 4);
}

/* ---------------------------------------------------------------------- */
/* Checksums */

/*
 * Add len bytes at p to a one's-complement sum of big-endian 16-bit words (unfolded).  The
 * one's-complement sum does not depend on byte order except for a final swap (RFC 1071),
 * so the bulk is summed as little-endian 32-bit words in 64 bits, folded and swapped once;
 * every received C+ frame with checksum offload is summed here.
 */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        acc += ldl_le_p(p + i);
    }
    while (acc >> 16) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    sum += (uint32_t)((acc & 0xff) << 8 | acc >> 8);
    for (; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint32_t ldl_be_p(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void stl_be_p(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* Where an IPv4 packet sits in a frame, all offsets checked against len. */
typedef struct IPv4Info {
    size_t l3;       /* offset of the IP header */
    size_t ihl;      /* IP header bytes */
    size_t ip_len;   /* IP total length, <= len - l3 */
    uint8_t proto;
    bool fragment;
} IPv4Info;

static bool parse_ipv4(const uint8_t *buf, size_t len, IPv4Info *ip)
{
    if (len < ETH_HLEN + 20) {
        return false;
    }
    size_t l3 = ETH_HLEN;
    uint16_t type = be16(buf + 12);
    if (type == ETH_P_VLAN) {
        if (len < ETH_HLEN + 4 + 20) {
            return false;
        }
        type = be16(buf + 16);
        l3 += 4;
    }
    if (type != ETH_P_IP || (buf[l3] >> 4) != 4) {
        return false;
    }
    size_t ihl = (buf[l3] & 0xf) * 4;
    size_t total = be16(buf + l3 + 2);
    if (ihl < 20 || total < ihl || l3 + total > len) {
        return false; /* the header lies about its lengths */
    }
    ip->l3 = l3;
    ip->ihl = ihl;
    ip->ip_len = total;
    ip->proto = buf[l3 + 9];
    ip->fragment = (be16(buf + l3 + 6) & 0x3fff) != 0;
    return true;
}

static uint16_t ip_header_csum(const uint8_t *ip, size_t ihl)
{
    return csum_fold(csum_add(0, ip, ihl));
}

/* The TCP/UDP checksum over the pseudo header and l4_len bytes at l4. */
static uint16_t l4_csum(const uint8_t *ip_hdr, uint8_t proto, const uint8_t *l4, size_t l4_len)
{
    uint32_t sum = csum_add(0, ip_hdr + 12, 8); /* source and destination */
    sum += proto;
    sum += (uint32_t)l4_len;
    return csum_fold(csum_add(sum, l4, l4_len));
}

/* Fill the checksums the descriptor asked for; leave a malformed frame alone. */
static void tx_checksum(uint8_t *buf, size_t len, uint32_t opts1)
{
    IPv4Info ip;
    if (!parse_ipv4(buf, len, &ip)) {
        log_guest_error("rtl8139: checksum offload on a frame without a valid IPv4 header\n");
        return;
    }
    uint8_t *iph = buf + ip.l3;
    if (opts1 & TXD_IPCS) {
        put_be16(iph + 10, 0);
        put_be16(iph + 10, ip_header_csum(iph, ip.ihl));
    }
    if (ip.fragment) {
        return; /* no L4 header in every fragment */
    }
    uint8_t *l4 = iph + ip.ihl;
    size_t l4_len = ip.ip_len - ip.ihl;
    if ((opts1 & TXD_TCPCS) && ip.proto == IP_PROTO_TCP && l4_len >= 20) {
        put_be16(l4 + 16, 0);
        put_be16(l4 + 16, l4_csum(iph, IP_PROTO_TCP, l4, l4_len));
    } else if ((opts1 & TXD_UDPCS) && ip.proto == IP_PROTO_UDP && l4_len >= 8) {
        put_be16(l4 + 6, 0);
        uint16_t c = l4_csum(iph, IP_PROTO_UDP, l4, l4_len);
        put_be16(l4 + 6, c ? c : 0xffff);
    }
}

/* ---------------------------------------------------------------------- */
/* Transmit */

static void cplus_send(RTL8139State *s, const uint8_t *buf, size_t len)
{
    if (s->nc) {
        net_send(s->nc, buf, len);
    }
}

/* Large send: cut the TCP payload into MSS-sized segments with fixed-up headers. */
static void tx_segment(RTL8139State *s, uint8_t *buf, size_t len, uint32_t mss)
{
    IPv4Info ip;
    if (!parse_ipv4(buf, len, &ip) || ip.proto != IP_PROTO_TCP || ip.fragment) {
        log_guest_error("rtl8139: large send of a frame that is not IPv4/TCP\n");
        return;
    }
    size_t l4 = ip.l3 + ip.ihl;
    if (ip.ip_len < ip.ihl + 20) {
        log_guest_error("rtl8139: large send with a truncated TCP header\n");
        return;
    }
    size_t thl = (buf[l4 + 12] >> 4) * 4;
    if (thl < 20 || ip.ihl + thl > ip.ip_len) {
        log_guest_error("rtl8139: large send with a bad TCP header length\n");
        return;
    }
    if (mss == 0) {
        log_guest_error("rtl8139: large send with MSS 0\n");
        return;
    }
    size_t hdr_len = l4 + thl;
    size_t payload = ip.l3 + ip.ip_len - hdr_len;
    uint16_t ip_id = be16(buf + ip.l3 + 4);
    uint32_t seq = ldl_be_p(buf + l4 + 4);
    uint8_t flags = buf[l4 + 13];
    uint8_t seg[14 + 4 + 60 + 60 + TXD_MSS_MASK + 1];
    size_t pos = 0;
    /* Bounded: at most 64 KiB / 1 byte segments. */
    do {
        size_t chunk = MIN((size_t)mss, payload - pos);
        memcpy(seg, buf, hdr_len);
        memcpy(seg + hdr_len, buf + hdr_len + pos, chunk);
        uint8_t *iph = seg + ip.l3;
        uint8_t *tcp = seg + l4;
        put_be16(iph + 2, (uint16_t)(ip.ihl + thl + chunk));
        put_be16(iph + 4, ip_id++);
        put_be16(iph + 10, 0);
        put_be16(iph + 10, ip_header_csum(iph, ip.ihl));
        stl_be_p(tcp + 4, seq + (uint32_t)pos);
        bool last = pos + chunk >= payload;
        tcp[13] = last ? flags : (flags & ~0x09); /* FIN and PSH only on the last */
        put_be16(tcp + 16, 0);
        put_be16(tcp + 16, l4_csum(iph, IP_PROTO_TCP, tcp, thl + chunk));
        cplus_send(s, seg, hdr_len + chunk);
        pos += chunk;
    } while (pos < payload);
}

static void tx_frame(RTL8139State *s, uint8_t *buf, size_t len, uint32_t opts1, uint32_t opts2)
{
    if (opts2 & TXD_TAGC) {
        if (len + 4 > RTL8139_TX_BUF_MAX || len < 12) {
            log_guest_error("rtl8139: no room to insert a VLAN tag\n");
            return;
        }
        memmove(buf + 16, buf + 12, len - 12);
        buf[12] = ETH_P_VLAN >> 8;
        buf[13] = ETH_P_VLAN & 0xff;
        buf[14] = opts2 & 0xff; /* the tag is kept in network order */
        buf[15] = (opts2 >> 8) & 0xff;
        len += 4;
    }
    if (opts1 & TXD_LGSEN) {
        tx_segment(s, buf, len, (opts1 >> TXD_MSS_SHIFT) & TXD_MSS_MASK);
        return;
    }
    if (opts1 & (TXD_IPCS | TXD_UDPCS | TXD_TCPCS)) {
        tx_checksum(buf, len, opts1);
    }
    cplus_send(s, buf, len);
}

void rtl8139_cplus_transmit(RTL8139State *s)
{
    if (!(s->cr & CR_TE)) {
        return;
    }
    uint64_t ring = desc_ring_base(s->tsad[0], s->tsad[1]);
    size_t asm_len = 0;
    bool in_frame = false, oversize = false;
    uint32_t first_opts1 = 0, first_opts2 = 0;
    for (int n = 0; n < RTL8139_CPLUS_RING; n++) {
        uint32_t idx = s->tx_cplus_index % RTL8139_CPLUS_RING;
        uint64_t daddr = ring + 16 * idx;
        CplusDesc d;
        if (!desc_read(s, daddr, &d) || !(d.opts1 & DESC_OWN)) {
            s->isr |= INT_TDU;
            break;
        }
        if (d.opts1 & DESC_FS) {
            in_frame = true;
            oversize = false;
            asm_len = 0;
            first_opts1 = d.opts1;
            first_opts2 = d.opts2;
        }
        size_t frag = d.opts1 & TXD_LEN_MASK;
        if (!in_frame) {
            log_guest_error("rtl8139: C+ TX descriptor %u without a first fragment\n", idx);
        } else if (asm_len + frag > RTL8139_TX_BUF_MAX - 4) {
            log_guest_error("rtl8139: C+ TX frame longer than %d bytes\n",
                            RTL8139_TX_BUF_MAX - 4);
            oversize = true;
        } else if (frag) {
            if (!rtl8139_dma_read(s, d.addr, s->tx_buf + asm_len, frag)) {
                oversize = true; /* a bad buffer address aborts the frame */
            }
            asm_len += frag;
        }
        d.opts1 &= ~DESC_OWN;
        desc_write_opts(s, daddr, &d);
        s->tx_cplus_index = (d.opts1 & DESC_EOR) ? 0 : (idx + 1) % RTL8139_CPLUS_RING;
        if ((d.opts1 & DESC_LS) && in_frame) {
            in_frame = false;
            if (oversize || asm_len == 0) {
                s->stat_tx_err++;
                s->isr |= INT_TER;
            } else {
                tx_frame(s, s->tx_buf, asm_len, first_opts1, first_opts2);
                s->stat_tx_ok++;
                s->isr |= INT_TOK;
                rtl8139_mitigate(s, RTL8139_MIT_TX);
            }
        }
    }
    rtl8139_update_irq(s);
}

/* ---------------------------------------------------------------------- */
/* Receive */

static uint32_t rx_checksum_status(const uint8_t *buf, size_t len)
{
    IPv4Info ip;
    if (!parse_ipv4(buf, len, &ip)) {
        return 0;
    }
    const uint8_t *iph = buf + ip.l3;
    uint32_t st = (uint32_t)RXD_PROTO_IP << RXD_PROTO_SHIFT;
    if (csum_fold(csum_add(0, iph, ip.ihl)) != 0) {
        st |= RXD_IPF;
    }
    if (ip.fragment) {
        return st;
    }
    const uint8_t *l4 = iph + ip.ihl;
    size_t l4_len = ip.ip_len - ip.ihl;
    if (ip.proto == IP_PROTO_TCP && l4_len >= 20) {
        st = (uint32_t)RXD_PROTO_TCP << RXD_PROTO_SHIFT | (st & RXD_IPF);
        if (l4_csum(iph, IP_PROTO_TCP, l4, l4_len) != 0) {
            st |= RXD_TCPF;
        }
    } else if (ip.proto == IP_PROTO_UDP && l4_len >= 8) {
        st = (uint32_t)RXD_PROTO_UDP << RXD_PROTO_SHIFT | (st & RXD_IPF);
        if (be16(l4 + 6) != 0 && l4_csum(iph, IP_PROTO_UDP, l4, l4_len) != 0) {
            st |= RXD_UDPF;
        }
    }
    return st;
}

ssize_t rtl8139_cplus_receive(RTL8139State *s, const uint8_t *buf, size_t len)
{
    uint64_t ring = desc_ring_base(s->rdsar[0], s->rdsar[1]);
    uint32_t idx = s->rx_cplus_index % RTL8139_CPLUS_RING;
    uint64_t daddr = ring + 16 * idx;
    CplusDesc d;
    if (!desc_read(s, daddr, &d)) {
        return len; /* the ring is not in memory: the frame is lost */
    }
    if (!(d.opts1 & DESC_OWN)) {
        /* No descriptor: tell the driver, and keep the frame until it refills. */
        s->isr |= INT_RXOVW;
        rtl8139_update_irq(s);
        return 0;
    }
    uint16_t accept_status;
    rtl8139_accept(s, buf, len, &accept_status);
    uint8_t frame[NET_MAX_FRAME];
    uint32_t opts2 = 0;
    if ((s->cpcr & CPCR_RXVLAN) && len >= 18 && be16(buf + 12) == ETH_P_VLAN) {
        opts2 = RXD_TAVA | buf[14] | buf[15] << 8;
        memcpy(frame, buf, 12);
        memcpy(frame + 12, buf + 16, len - 16);
        len -= 4;
    } else {
        memcpy(frame, buf, MIN(len, sizeof(frame) - 4));
        len = MIN(len, sizeof(frame) - 4);
    }
    uint32_t bufsize = d.opts1 & RXD_LEN_MASK;
    if (len + 4 > bufsize) {
        /* One frame per descriptor: a buffer too small for it drops the frame. */
        log_guest_error("rtl8139: C+ RX buffer of %u bytes for a %zu-byte frame\n", bufsize,
                        len + 4);
        s->stat_rx_err++;
        s->isr |= INT_RER;
        rtl8139_update_irq(s);
        return len;
    }
    uint32_t crc = rtl8139_crc32(frame, len);
    stl_le_p(frame + len, crc);
    if (!rtl8139_dma_write(s, d.addr, frame, len + 4)) {
        s->stat_rx_err++;
        return len;
    }
    uint32_t st = DESC_FS | DESC_LS | (d.opts1 & DESC_EOR) | (uint32_t)(len + 4);
    st |= (accept_status & RXS_BAR) ? RXD_BAR : 0;
    st |= (accept_status & RXS_PAM) ? RXD_PAM : 0;
    st |= (accept_status & RXS_MAR) ? RXD_MAR : 0;
    if (s->cpcr & CPCR_RXCHKSUM) {
        st |= rx_checksum_status(frame, len);
    }
    d.opts1 = st;
    d.opts2 = opts2;
    desc_write_opts(s, daddr, &d);
    s->rx_cplus_index = (st & DESC_EOR) ? 0 : (idx + 1) % RTL8139_CPLUS_RING;
    s->stat_rx_ok++;
    s->isr |= INT_ROK;
    rtl8139_mitigate(s, RTL8139_MIT_RX);
    rtl8139_update_irq(s);
    return len;
}

/* DTCCR bit 3: write the tally counters (64 bytes) to guest memory. */
void rtl8139_cplus_dump_tally(RTL8139State *s)
{
    uint8_t t[64] = {0};
    stq_le_p(t + 0, s->stat_tx_ok);
    stq_le_p(t + 8, s->stat_rx_ok);
    stq_le_p(t + 16, s->stat_tx_err);
    stl_le_p(t + 24, (uint32_t)s->stat_rx_err);
    stw_le_p(t + 28, (uint16_t)s->stat_rx_missed);
    uint64_t addr = ((uint64_t)s->dtccr[1] << 32 | s->dtccr[0]) & ~0x3full;
    rtl8139_dma_write(s, addr, t, sizeof(t));
    s->dtccr[0] &= ~8u;
}
