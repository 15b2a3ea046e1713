/*
 * pcap output for -object filter-dump and -net dump: the classic libpcap
 * file format (magic 0xa1b2c3d4, version 2.4, link type 1 = Ethernet),
 * one record per frame with host wall-clock time stamps.
 */
#include "net/net.h"

#include <errno.h>

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_LINKTYPE_ETHERNET 1

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* host order, as the magic number tells readers */
}

bool net_dump_open(NetClientState *nc, const char *file, uint64_t limit, Error **errp)
{
    if (nc->dump) {
        error_setg(errp, "%s is already dumped", nc->name);
        return false;
    }
    FILE *f = fopen(file, "wb");
    if (!f) {
        error_setg(errp, "cannot create dump file '%s': %s", file, strerror(errno));
        return false;
    }
    uint8_t hdr[24];
    uint16_t major = 2, minor = 4;
    put32(hdr, PCAP_MAGIC);
    memcpy(hdr + 4, &major, 2);
    memcpy(hdr + 6, &minor, 2);
    put32(hdr + 8, 0);  /* time zone */
    put32(hdr + 12, 0); /* accuracy */
    put32(hdr + 16, limit ? (uint32_t)MIN(limit, 0xffffffffu) : 65535);
    put32(hdr + 20, PCAP_LINKTYPE_ETHERNET);
    if (fwrite(hdr, sizeof(hdr), 1, f) != 1) {
        fclose(f);
        error_setg(errp, "cannot write dump file '%s'", file);
        return false;
    }
    fflush(f);
    nc->dump = f;
    nc->dump_limit = limit ? limit : 65535;
    return true;
}

void net_dump_frame(NetClientState *nc, const uint8_t *buf, size_t len)
{
    int64_t now = host_clock_realtime_ns();
    size_t caplen = MIN(len, nc->dump_limit);
    uint8_t rec[16];
    put32(rec, (uint32_t)(now / 1000000000));
    put32(rec + 4, (uint32_t)((now % 1000000000) / 1000));
    put32(rec + 8, (uint32_t)caplen);
    put32(rec + 12, (uint32_t)len);
    if (fwrite(rec, sizeof(rec), 1, nc->dump) != 1 || fwrite(buf, caplen, 1, nc->dump) != 1) {
        /* A full disk ends the dump, not the VM. */
        fclose(nc->dump);
        nc->dump = NULL;
        warn_report("network dump of %s stopped: write failed", nc->name);
        return;
    }
    fflush(nc->dump);
}
