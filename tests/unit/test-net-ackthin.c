/* net_thin_tcp_acks: which of slirp's ACKs to a batch of guest segments reach the guest. */
#include "net/net.h"
#include "tests/unit/test.h"

#define MAXF 8

typedef struct Batch {
    uint8_t buf[MAXF][80];
    const uint8_t *frames[MAXF];
    size_t lens[MAXF];
    bool keep[MAXF];
    int n;
} Batch;

/* An Ethernet + IPv4 + TCP frame from 10.0.2.2:sport to 10.0.2.15:80 with payload bytes. */
static void add(Batch *b, uint16_t sport, uint8_t flags, uint32_t ack, int payload)
{
    uint8_t *f = b->buf[b->n];
    memset(f, 0, sizeof(b->buf[0]));
    f[12] = 0x08;
    f[14] = 0x45;
    size_t ip_len = 20 + 20 + payload;
    f[16] = ip_len >> 8;
    f[17] = ip_len & 0xff;
    f[23] = 6;
    memcpy(f + 26, (uint8_t[]){10, 0, 2, 2, 10, 0, 2, 15}, 8);
    uint8_t *tcp = f + 34;
    tcp[0] = sport >> 8;
    tcp[1] = sport & 0xff;
    tcp[3] = 80;
    tcp[8] = ack >> 24;
    tcp[9] = ack >> 16;
    tcp[10] = ack >> 8;
    tcp[11] = ack;
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    b->frames[b->n] = f;
    b->lens[b->n] = 14 + ip_len;
    b->keep[b->n] = true;
    b->n++;
}

static int thin(Batch *b)
{
    net_thin_tcp_acks(b->n, b->frames, b->lens, b->keep);
    int kept = 0;
    for (int i = 0; i < b->n; i++) {
        kept += b->keep[i];
    }
    return kept;
}

static void test_superseded_dropped(void)
{
    Batch b = {0};
    add(&b, 1000, 0x10, 100, 0);
    add(&b, 1000, 0x10, 200, 0);
    add(&b, 1000, 0x10, 300, 0);
    CHECK_EQ(thin(&b), 1);
    CHECK(b.keep[2]);
}

static void test_duplicates_kept(void)
{
    /* The same number three times is the fast-retransmit signal: all of it goes through. */
    Batch b = {0};
    add(&b, 1000, 0x10, 500, 0);
    add(&b, 1000, 0x10, 500, 0);
    add(&b, 1000, 0x10, 500, 0);
    CHECK_EQ(thin(&b), 3);
}

static void test_flows_apart(void)
{
    Batch b = {0};
    add(&b, 1000, 0x10, 100, 0);
    add(&b, 2000, 0x10, 900, 0);
    add(&b, 1000, 0x10, 200, 0);
    CHECK_EQ(thin(&b), 2);
    CHECK(!b.keep[0] && b.keep[1] && b.keep[2]);
}

static void test_only_pure_acks(void)
{
    /* Data, FIN and SYN+ACK segments stay, and only a later pure ACK supersedes. */
    Batch b = {0};
    add(&b, 1000, 0x10, 100, 0);  /* kept: only data follows */
    add(&b, 1000, 0x18, 150, 10); /* data */
    add(&b, 1000, 0x11, 160, 0);  /* FIN */
    add(&b, 1000, 0x12, 170, 0);  /* SYN+ACK */
    CHECK_EQ(thin(&b), 4);
    Batch c = {0};
    add(&c, 1000, 0x18, 150, 10);
    add(&c, 1000, 0x10, 300, 0);
    CHECK_EQ(thin(&c), 2);
}

static void test_sequence_wrap(void)
{
    Batch b = {0};
    add(&b, 1000, 0x10, 0xfffffff0u, 0);
    add(&b, 1000, 0x10, 0x10, 0);
    CHECK_EQ(thin(&b), 1);
    CHECK(b.keep[1]);
    /* An older number after a newer one (reordered) is not dropped, nor does it drop. */
    Batch c = {0};
    add(&c, 1000, 0x10, 300, 0);
    add(&c, 1000, 0x10, 200, 0);
    CHECK_EQ(thin(&c), 2);
}

static void test_malformed_kept(void)
{
    /* Short, not IPv4, bad header lengths: never read past the frame, never dropped. */
    Batch b = {0};
    add(&b, 1000, 0x10, 100, 0);
    b.lens[0] = 40;
    add(&b, 1000, 0x10, 100, 0);
    b.buf[1][14] = 0x4f; /* IHL 60 > the IP length */
    add(&b, 1000, 0x10, 100, 0);
    b.buf[1 + 1][16] = 0xff; /* IP length past the frame */
    add(&b, 1000, 0x10, 100, 0);
    b.buf[3][34 + 12] = 0xf0; /* TCP header of 60 bytes */
    add(&b, 1000, 0x10, 100, 0);
    b.buf[4][20] = 0x20; /* a fragment */
    add(&b, 1000, 0x10, 900, 0); /* a good, later ACK */
    CHECK_EQ(thin(&b), 6);
}

static void test_payload_len(void)
{
    Batch b = {0};
    add(&b, 1000, 0x18, 100, 26);
    add(&b, 1000, 0x10, 100, 0);
    add(&b, 1000, 0x18, 100, 26);
    b.lens[2] = 60; /* the IP length claims more than the frame holds */
    add(&b, 1000, 0x18, 100, 26);
    b.buf[3][23] = 17; /* UDP */
    CHECK_EQ(net_tcp_payload_len(b.frames[0], b.lens[0]), 26);
    CHECK_EQ(net_tcp_payload_len(b.frames[1], b.lens[1]), 0);
    CHECK_EQ(net_tcp_payload_len(b.frames[2], b.lens[2]), 0);
    CHECK_EQ(net_tcp_payload_len(b.frames[3], b.lens[3]), 0);
    CHECK_EQ(net_tcp_payload_len(b.frames[0], 20), 0);
}

int main(void)
{
    test_run("ackthin-superseded-dropped", test_superseded_dropped);
    test_run("ackthin-duplicates-kept", test_duplicates_kept);
    test_run("ackthin-flows-apart", test_flows_apart);
    test_run("ackthin-only-pure-acks", test_only_pure_acks);
    test_run("ackthin-sequence-wrap", test_sequence_wrap);
    test_run("ackthin-malformed-kept", test_malformed_kept);
    test_run("tcp-payload-len", test_payload_len);
    return test_summary();
}
