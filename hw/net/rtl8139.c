/*
 * RTL8139C+ fast Ethernet controller (PCI 10ec:8139): registers, the 93C46
 * EEPROM, the PHY registers, normal-mode receive ring and transmit
 * descriptors, interrupts and the timer.  C+ mode lives in rtl8139-cplus.c.
 *
 * Reference: Realtek RTL8139C(L)+ datasheet; 93C46 datasheet.  See
 * rtl8139.h for the register map.
 *
 * Model notes:
 * - Transmission is synchronous: a TSD write (or a C+ TPPoll write) sends
 *   the frame before the register write returns, and the frame is done
 *   (OWN/TOK set, TOK raised) when the guest next looks.
 * - Reception pauses the backend when the ring is full: the frame waits in
 *   the NetClient queue until the guest frees room (CAPR, or a C+ descriptor
 *   handed back through a poll), so nothing is lost.  Frames from backends
 *   are padded to the 60-byte Ethernet minimum, as a wire would, and carry
 *   a correct CRC: the virtual wire has no runt or CRC-error frames, so RCR's
 *   AR and AER never have anything to accept.
 * - Interrupt mitigation (IntrMitigate) holds ROK/TOK back from the line by
 *   a frame count and a timer, counted in units of RTL8139_MIT_UNIT_NS.
 */
#include "hw/net/rtl8139.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/options.h"

#ifdef CONFIG_ZLIB
#include <zlib.h>
#endif

#define RTL8139_PCI_CLOCK_HZ 33000000LL
#define BMSR_LINK_UP 0x782d   /* 100/10 FD/HD capable, AN capable+complete, link, ext */
#define BMSR_LINK_DOWN 0x7809

/* ---------------------------------------------------------------------- */
/* Helpers */

/*
 * The Ethernet FCS is the reflected CRC-32 that zlib computes (polynomial 0xEDB88320,
 * initial and final inversion).  Every received frame is summed, so this is on the receive
 * path's profile; zlib's word-at-a-time version is about 2.6x a slicing-by-8 table here.
 * A build without zlib sums a bit at a time.
 */
uint32_t rtl8139_crc32(const uint8_t *buf, size_t len)
{
#ifdef CONFIG_ZLIB
    return (uint32_t)crc32(0, buf, (uInt)len);
#else
    uint32_t crc = 0xffffffff;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return ~crc;
#endif
}

/* The multicast filter index: the top 6 bits of the big-endian Ethernet CRC. */
static unsigned rtl8139_mcast_hash(const uint8_t *addr)
{
    uint32_t crc = 0xffffffff;
    for (int i = 0; i < ETH_ALEN; i++) {
        uint8_t b = addr[i];
        for (int k = 0; k < 8; k++, b >>= 1) {
            uint32_t carry = ((crc >> 31) ^ b) & 1;
            crc <<= 1;
            if (carry) {
                crc ^= 0x04c11db7;
            }
        }
    }
    return crc >> 26;
}

void rtl8139_update_irq(RTL8139State *s)
{
    /* ISR shows a held ROK/TOK at once; only the line waits for the mitigation. */
    uint16_t held = (s->mit_held[RTL8139_MIT_RX] ? INT_ROK : 0) |
                    (s->mit_held[RTL8139_MIT_TX] ? INT_TOK : 0);
    pci_set_irq(&s->pci, (s->isr & s->imr & ~held) != 0);
}

static bool rtl8139_bus_master(RTL8139State *s)
{
    if (!(pci_get_word(&s->pci.config[PCI_COMMAND]) & PCI_COMMAND_MASTER)) {
        log_guest_error("rtl8139: DMA with bus mastering disabled\n");
        return false;
    }
    return true;
}

bool rtl8139_dma_read(RTL8139State *s, uint64_t addr, void *buf, size_t len)
{
    if (!rtl8139_bus_master(s)) {
        memset(buf, 0, len);
        return false;
    }
    if (address_space_read(&s->pci.qdev.machine->as_memory, addr, buf, len) != MEMTX_OK) {
        log_guest_error("rtl8139: DMA read of %zu bytes at 0x%" PRIx64 " failed\n", len, addr);
        return false;
    }
    return true;
}

bool rtl8139_dma_write(RTL8139State *s, uint64_t addr, const void *buf, size_t len)
{
    if (!rtl8139_bus_master(s)) {
        return false;
    }
    if (address_space_write(&s->pci.qdev.machine->as_memory, addr, buf, len) != MEMTX_OK) {
        log_guest_error("rtl8139: DMA write of %zu bytes at 0x%" PRIx64 " failed\n", len, addr);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* 93C46 EEPROM, bit-banged through 9346CR */

enum { EE_IDLE, EE_COMMAND, EE_READING, EE_WRITING };
enum { EE_OP_EXT = 0, EE_OP_WRITE = 1, EE_OP_READ = 2, EE_OP_ERASE = 3 };

static void eeprom_init_contents(RTL8139State *s)
{
    uint16_t *w = s->eeprom.contents;
    memset(w, 0, sizeof(s->eeprom.contents));
    w[0] = 0x8129;  /* the signature Linux drivers probe for */
    w[1] = 0x10ec;  /* vendor */
    w[2] = 0x8139;  /* device */
    w[3] = 0x10ec;  /* subsystem vendor */
    w[4] = 0x8139;  /* subsystem */
    w[5] = 0x4020;  /* PCI MIN_GNT / MAX_LAT */
    w[6] = 0xe112;  /* CONFIG3 / CONFIG4 load values */
    for (int i = 0; i < 3; i++) {
        w[7 + i] = s->macaddr[2 * i] | s->macaddr[2 * i + 1] << 8;
    }
    w[10] = 0x4d10; /* CONFIG0 / CONFIG1 */
}

static void eeprom_reload(RTL8139State *s)
{
    for (int i = 0; i < 3; i++) {
        s->idr[2 * i] = s->eeprom.contents[7 + i] & 0xff;
        s->idr[2 * i + 1] = s->eeprom.contents[7 + i] >> 8;
    }
}

static void eeprom_command(EEPROM93C46 *e)
{
    e->opcode = (e->shift >> 6) & 3;
    e->addr = e->shift & 0x3f;
    e->bits = 0;
    switch (e->opcode) {
    case EE_OP_READ:
        e->state = EE_READING;
        e->shift = e->contents[e->addr];
        e->dout = 0; /* the dummy zero before the data */
        break;
    case EE_OP_WRITE:
        e->state = EE_WRITING;
        e->shift = 0;
        break;
    case EE_OP_ERASE:
        if (e->write_enabled) {
            e->contents[e->addr] = 0xffff;
        }
        e->state = EE_IDLE;
        e->dout = 1; /* ready */
        break;
    default:
        /* Extended opcodes by the top address bits: EWDS, WRAL, ERAL, EWEN. */
        switch (e->addr >> 4) {
        case 0: e->write_enabled = 0; break;
        case 3: e->write_enabled = 1; break;
        case 2:
            if (e->write_enabled) {
                for (int i = 0; i < 64; i++) {
                    e->contents[i] = 0xffff;
                }
            }
            break;
        default:
            log_unimp("rtl8139: 93C46 WRAL\n");
            break;
        }
        e->state = EE_IDLE;
        break;
    }
}

static void eeprom_clock(EEPROM93C46 *e, uint8_t cs, uint8_t sk, uint8_t di)
{
    if (!cs) {
        e->state = EE_IDLE;
        e->dout = 1;
        e->last_cs = e->last_sk = 0;
        return;
    }
    if (!e->last_cs) {
        /* Chip select rises: wait for a start bit. */
        e->state = EE_COMMAND;
        e->shift = 0;
        e->bits = 0;
    }
    bool rising = sk && !e->last_sk;
    e->last_cs = 1;
    e->last_sk = sk;
    if (!rising) {
        return;
    }
    switch (e->state) {
    case EE_COMMAND:
        if (e->bits == 0 && !di) {
            return; /* leading zeros before the start bit */
        }
        if (e->bits++ == 0) {
            return; /* the start bit */
        }
        e->shift = (e->shift << 1) | di;
        if (e->bits == 9) { /* start + 2 opcode + 6 address */
            eeprom_command(e);
        }
        break;
    case EE_READING:
        e->dout = (e->shift >> 15) & 1;
        e->shift <<= 1;
        if (++e->bits == 16) {
            /* Sequential read: the next word follows. */
            e->addr = (e->addr + 1) & 0x3f;
            e->shift = e->contents[e->addr];
            e->bits = 0;
        }
        break;
    case EE_WRITING:
        e->shift = (e->shift << 1) | di;
        if (++e->bits == 16) {
            if (e->write_enabled) {
                e->contents[e->addr] = e->shift;
            }
            e->state = EE_IDLE;
            e->dout = 1;
        }
        break;
    default:
        break;
    }
}

static void rtl8139_write_9346cr(RTL8139State *s, uint8_t val)
{
    uint8_t mode = val & EEM_MASK;
    if (mode == EEM_AUTOLOAD) {
        /* Reload from the EEPROM, then back to normal operation. */
        eeprom_reload(s);
        s->cfg9346 = 0;
        return;
    }
    s->cfg9346 = val & (EEM_MASK | EE_CS | EE_SK | EE_DI);
    if (mode == EEM_PROGRAM) {
        eeprom_clock(&s->eeprom, !!(val & EE_CS), !!(val & EE_SK), !!(val & EE_DI));
    } else {
        eeprom_clock(&s->eeprom, 0, 0, 0);
    }
}

static uint8_t rtl8139_read_9346cr(RTL8139State *s)
{
    uint8_t v = s->cfg9346;
    if ((v & EEM_MASK) == EEM_PROGRAM) {
        v = (v & ~EE_DO) | (s->eeprom.dout ? EE_DO : 0);
    }
    return v;
}

/* ---------------------------------------------------------------------- */
/* Receive */

static uint32_t rtl8139_rx_buf_size(RTL8139State *s)
{
    return 8192u << ((s->rcr >> 11) & 3);
}

/*
 * Which accept rule takes this frame: returns 1 and the receive status bits
 * if accepted, 0 if filtered out.
 */
int rtl8139_accept(RTL8139State *s, const uint8_t *buf, size_t len, uint16_t *status)
{
    static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    *status = 0;
    if (!memcmp(buf, bcast, ETH_ALEN)) {
        *status = RXS_BAR;
        return (s->rcr & (RCR_AB | RCR_AAP)) != 0;
    }
    if (buf[0] & 1) {
        *status = RXS_MAR;
        if (s->rcr & RCR_AAP) {
            return 1;
        }
        unsigned h = rtl8139_mcast_hash(buf);
        return (s->rcr & RCR_AM) && (s->mar[h >> 3] & (1 << (h & 7)));
    }
    if (!memcmp(buf, s->idr, ETH_ALEN)) {
        *status = RXS_PAM;
        return (s->rcr & (RCR_APM | RCR_AAP)) != 0;
    }
    return (s->rcr & RCR_AAP) != 0;
}

static uint32_t rtl8139_rx_read_ptr(RTL8139State *s)
{
    return (uint32_t)(uint16_t)(s->capr + 16) % rtl8139_rx_buf_size(s);
}

/* Write into the ring at offset off, wrapping unless RCR.WRAP lets it run on. */
static void rtl8139_rx_write(RTL8139State *s, uint32_t off, const uint8_t *data, uint32_t len)
{
    uint32_t size = rtl8139_rx_buf_size(s);
    if (s->rcr & RCR_WRAP || off + len <= size) {
        /* With WRAP the chip writes past the end; the driver reserves room there. */
        rtl8139_dma_write(s, (uint64_t)s->rbstart + off, data, len);
        return;
    }
    uint32_t first = size - off;
    rtl8139_dma_write(s, (uint64_t)s->rbstart + off, data, first);
    rtl8139_dma_write(s, s->rbstart, data + first, len - first);
}

static ssize_t rtl8139_normal_receive(RTL8139State *s, const uint8_t *buf, size_t len,
                                      uint16_t status)
{
    uint32_t size = rtl8139_rx_buf_size(s);
    uint32_t wr = s->cbr % size;
    uint32_t rd = rtl8139_rx_read_ptr(s);
    uint32_t used = (wr + size - rd) % size;
    uint32_t need = (4 + len + 4 + 3) & ~3u;
    if (need >= size - used) {
        return 0; /* full: wait for CAPR */
    }
    uint8_t hdr[4];
    uint32_t total = len + 4;
    status |= RXS_ROK;
    hdr[0] = status;
    hdr[1] = status >> 8;
    hdr[2] = total;
    hdr[3] = total >> 8;
    uint32_t crc = rtl8139_crc32(buf, len);
    uint8_t crcb[4] = {crc, crc >> 8, crc >> 16, crc >> 24};
    /*
     * With RCR.WRAP the whole frame lies after its header, past the end of the ring if need be
     * (8139too reads it in one piece from there): only the next frame starts over at 0.
     * Without it every piece wraps to the start.
     */
    uint32_t data_off = wr + 4, crc_off = wr + 4 + len;
    if (!(s->rcr & RCR_WRAP)) {
        data_off %= size;
        crc_off %= size;
    }
    rtl8139_rx_write(s, wr, hdr, 4);
    rtl8139_rx_write(s, data_off, buf, len);
    rtl8139_rx_write(s, crc_off, crcb, 4);
    s->cbr = (wr + need) % size;
    log_mask(LOG_TRACE, "rtl8139: received %zu bytes at ring offset 0x%x\n", len, wr);
    s->stat_rx_ok++;
    s->isr |= INT_ROK;
    rtl8139_mitigate(s, RTL8139_MIT_RX);
    rtl8139_update_irq(s);
    return len;
}

static ssize_t rtl8139_receive(NetClientState *nc, const uint8_t *buf, size_t len)
{
    RTL8139State *s = nc->opaque;
    uint8_t padded[60];
    if (!(s->cr & CR_RE)) {
        return len;
    }
    if (len < ETH_ALEN * 2 + 2) {
        return len; /* not an Ethernet frame */
    }
    if (len < sizeof(padded)) {
        memcpy(padded, buf, len);
        memset(padded + len, 0, sizeof(padded) - len);
        buf = padded;
        len = sizeof(padded);
    }
    uint16_t status;
    if (!rtl8139_accept(s, buf, len, &status)) {
        return len;
    }
    if (rtl8139_cplus_rx_on(s)) {
        return rtl8139_cplus_receive(s, buf, len);
    }
    if (len > 8192 - 16) {
        s->stat_rx_err++;
        return len; /* longer than any ring could hold */
    }
    return rtl8139_normal_receive(s, buf, len, status);
}

static void rtl8139_flush_bh(void *opaque)
{
    RTL8139State *s = opaque;
    if (s->nc) {
        net_flush_queue(s->nc);
    }
}

/* ---------------------------------------------------------------------- */
/* Normal-mode transmit */

static void rtl8139_send(RTL8139State *s, const uint8_t *buf, size_t len)
{
    if (s->tcr & 0x60000) {
        /* Loopback (TCR.LBK): the frame comes straight back to our receiver. */
        if (s->nc) {
            rtl8139_receive(s->nc, buf, len);
        }
        return;
    }
    if (s->nc) {
        net_send(s->nc, buf, len);
    }
}

static void rtl8139_transmit_one(RTL8139State *s, int n)
{
    uint32_t len = s->tsd[n] & TSD_SIZE_MASK;
    uint8_t buf[TSD_SIZE_MASK + 1];
    if (len > 1792) {
        /* The chip cannot send more than its FIFO: abort the descriptor. */
        log_guest_error("rtl8139: TSD%d size %u exceeds 1792 bytes\n", n, len);
        s->tsd[n] |= TSD_OWN | TSD_TABT;
        s->stat_tx_err++;
        s->isr |= INT_TER;
        return;
    }
    if (len && rtl8139_dma_read(s, s->tsad[n], buf, len)) {
        rtl8139_send(s, buf, len);
    }
    s->tsd[n] |= TSD_OWN | TSD_TOK;
    s->stat_tx_ok++;
    s->isr |= INT_TOK;
    rtl8139_mitigate(s, RTL8139_MIT_TX);
}

/* Send every descriptor the driver handed over, in ring order from tx_next. */
static void rtl8139_transmit(RTL8139State *s)
{
    if (!(s->cr & CR_TE) || rtl8139_cplus_tx_on(s)) {
        return;
    }
    int start = s->tx_next;
    for (int i = 0; i < 4; i++) {
        int n = (start + i) % 4;
        if (!(s->tsd[n] & TSD_OWN)) {
            rtl8139_transmit_one(s, n);
            s->tx_next = (n + 1) % 4; /* the chip looks at the next one next */
        }
    }
    rtl8139_update_irq(s);
}

/* ---------------------------------------------------------------------- */
/* Timer (TCTR / TimerInt) */

static uint32_t rtl8139_tctr(RTL8139State *s)
{
    int64_t ns = clock_get_ns(machine_vclock(s->pci.qdev.machine)) - s->tctr_base_ns;
    return (uint32_t)((__int128)ns * RTL8139_PCI_CLOCK_HZ / NANOSECONDS_PER_SECOND);
}

static void rtl8139_arm_timer(RTL8139State *s)
{
    if (!s->timer_int) {
        timer_del(s->timer);
        return;
    }
    /* The next time TCTR equals TimerInt (the counter wraps every 2^32 clocks). */
    uint32_t now = rtl8139_tctr(s);
    uint64_t ticks = (uint32_t)(s->timer_int - now);
    if (ticks == 0) {
        ticks = 1ull << 32;
    }
    int64_t base = clock_get_ns(machine_vclock(s->pci.qdev.machine));
    int64_t ns = (int64_t)((__int128)ticks * NANOSECONDS_PER_SECOND / RTL8139_PCI_CLOCK_HZ);
    timer_mod(s->timer, base + MAX(ns, 1));
}

static void rtl8139_timer_cb(void *opaque)
{
    RTL8139State *s = opaque;
    s->isr |= INT_TIMEOUT;
    rtl8139_update_irq(s);
    rtl8139_arm_timer(s);
}

/* ---------------------------------------------------------------------- */
/* Interrupt mitigation (C+ IntrMitigate, 0xE2) */

/*
 * The register is (TxTimer << 12) | (TxPackets << 8) | (RxTimer << 4) | RxPackets (the layout
 * Linux's Realtek drivers give; the C+ datasheet leaves it out, and so its timer unit: Osprey
 * counts 256 bit times at 100 Mbit/s).  With both fields of a direction 0 its interrupts are
 * immediate.  Otherwise the first frame's interrupt is held until Packets frames have been
 * handled or Timer units have passed, whichever comes first (no Timer: only the count).
 */
#define RTL8139_MIT_UNIT_NS 2560

static void rtl8139_mit_release(RTL8139State *s, int dir)
{
    s->mit_held[dir] = false;
    s->mit_frames[dir] = 0;
    timer_del(s->mit_timer[dir]);
}

void rtl8139_mitigate(RTL8139State *s, int dir)
{
    unsigned shift = dir == RTL8139_MIT_TX ? 8 : 0;
    unsigned packets = (s->intrmit >> shift) & 0xf;
    unsigned units = (s->intrmit >> (shift + 4)) & 0xf;
    if (!packets && !units) {
        return;
    }
    if (packets && ++s->mit_frames[dir] >= packets) {
        rtl8139_mit_release(s, dir);
        return;
    }
    if (!s->mit_held[dir]) {
        s->mit_held[dir] = true;
        if (units) {
            int64_t now = clock_get_ns(machine_vclock(s->pci.qdev.machine));
            timer_mod(s->mit_timer[dir], now + (int64_t)units * RTL8139_MIT_UNIT_NS);
        }
    }
}

static void rtl8139_mit_rx_cb(void *opaque)
{
    RTL8139State *s = opaque;
    rtl8139_mit_release(s, RTL8139_MIT_RX);
    rtl8139_update_irq(s);
}

static void rtl8139_mit_tx_cb(void *opaque)
{
    RTL8139State *s = opaque;
    rtl8139_mit_release(s, RTL8139_MIT_TX);
    rtl8139_update_irq(s);
}

static void rtl8139_mit_release_all(RTL8139State *s)
{
    rtl8139_mit_release(s, RTL8139_MIT_RX);
    rtl8139_mit_release(s, RTL8139_MIT_TX);
}

/* ---------------------------------------------------------------------- */
/* Reset and link */

static void rtl8139_soft_reset(RTL8139State *s)
{
    /* CR.RST: rings and interrupts start over; the address and config stay. */
    s->cr = CR_BUFE;
    s->imr = s->isr = 0;
    s->capr = 0xfff0;
    s->cbr = 0;
    s->tx_next = 0;
    for (int i = 0; i < 4; i++) {
        s->tsd[i] = TSD_OWN;
    }
    s->cpcr = 0;
    s->tx_cplus_index = s->rx_cplus_index = 0;
    s->mulint = 0;
    rtl8139_mit_release_all(s);
    rtl8139_update_irq(s);
}

static bool rtl8139_link_up(RTL8139State *s)
{
    return s->nc && !s->nc->link_down;
}

static void rtl8139_link_changed(NetClientState *nc)
{
    RTL8139State *s = nc->opaque;
    s->isr |= INT_PUN;
    rtl8139_update_irq(s);
}

static void rtl8139_reset(DeviceState *dev)
{
    RTL8139State *s = (RTL8139State *)dev;
    pci_device_reset(&s->pci);
    rtl8139_soft_reset(s);
    eeprom_init_contents(s);
    eeprom_reload(s);
    memset(s->mar, 0, sizeof(s->mar));
    memset(s->tsad, 0, sizeof(s->tsad));
    s->rbstart = 0;
    s->tcr = (s->revision >= 0x20 ? 0x74800000u : 0x74000000u);
    s->rcr = 0;
    s->mpc = 0;
    s->cfg9346 = 0;
    s->config0 = 0x00;
    s->config1 = 0x0c; /* LWACT | DVRLOAD as after EEPROM load */
    s->config3 = 0x01; /* FBtBEn */
    s->config4 = 0x00;
    s->config5 = 0x00;
    s->timer_int = 0;
    s->tctr_base_ns = clock_get_ns(machine_vclock(dev->machine));
    timer_del(s->timer);
    s->bmcr = 0x1000;  /* auto-negotiation on */
    s->anar = 0x05e1;
    s->cscr = 0;
    s->phy1_parm = 0;
    s->tw_parm = 0;
    s->phy2_parm = 0;
    s->intrmit = 0;
    rtl8139_mit_release_all(s);
    s->rxmaxsize = 0;
    s->etthr = 0;
    memset(s->rdsar, 0, sizeof(s->rdsar));
    memset(s->dtccr, 0, sizeof(s->dtccr));
    eeprom_clock(&s->eeprom, 0, 0, 0);
    s->eeprom.write_enabled = 0;
}

/* ---------------------------------------------------------------------- */
/* Register access */

static uint8_t rtl8139_read_byte(RTL8139State *s, uint32_t off)
{
    uint32_t v32;
    switch (off) {
    case REG_IDR0 ... REG_IDR0 + 5:
        return s->idr[off - REG_IDR0];
    case REG_MAR0 ... REG_MAR0 + 7:
        return s->mar[off - REG_MAR0];
    case REG_TSD0 ... REG_TSD0 + 15:
        if (rtl8139_cplus_tx_on(s)) {
            v32 = s->dtccr[(off - REG_TSD0) / 4 & 1];
            return (off - REG_TSD0) < 8 ? v32 >> (8 * (off & 3)) : 0;
        }
        return s->tsd[(off - REG_TSD0) / 4] >> (8 * (off & 3));
    case REG_TSAD0 ... REG_TSAD0 + 15:
        return s->tsad[(off - REG_TSAD0) / 4] >> (8 * (off & 3));
    case REG_RBSTART ... REG_RBSTART + 3:
        return s->rbstart >> (8 * (off & 3));
    case REG_ERBCR:
    case REG_ERBCR + 1:
    case REG_ERSR:
        return 0;
    case REG_CR: {
        uint8_t cr = s->cr & (CR_RE | CR_TE);
        if (rtl8139_rx_read_ptr(s) == s->cbr % rtl8139_rx_buf_size(s)) {
            cr |= CR_BUFE;
        }
        return cr;
    }
    case REG_CAPR:
    case REG_CAPR + 1:
        return s->capr >> (8 * (off & 1));
    case REG_CBR:
    case REG_CBR + 1:
        return s->cbr >> (8 * (off & 1));
    case REG_IMR:
    case REG_IMR + 1:
        return s->imr >> (8 * (off & 1));
    case REG_ISR:
    case REG_ISR + 1:
        return s->isr >> (8 * (off & 1));
    case REG_TCR ... REG_TCR + 3:
        return s->tcr >> (8 * (off & 3));
    case REG_RCR ... REG_RCR + 3:
        return s->rcr >> (8 * (off & 3));
    case REG_TCTR ... REG_TCTR + 3:
        return rtl8139_tctr(s) >> (8 * (off & 3));
    case REG_MPC ... REG_MPC + 3:
        return s->mpc >> (8 * (off & 3));
    case REG_9346CR:
        return rtl8139_read_9346cr(s);
    case REG_CONFIG0:
        return s->config0;
    case REG_CONFIG1:
        return s->config1;
    case REG_TIMERINT ... REG_TIMERINT + 3:
        return s->timer_int >> (8 * (off & 3));
    case REG_MSR:
        /* 100 Mbit/s, LINKB set while the link is down. */
        return rtl8139_link_up(s) ? 0x00 : 0x04;
    case REG_CONFIG3:
        return s->config3;
    case REG_CONFIG4:
        return s->config4;
    case REG_MULINT:
    case REG_MULINT + 1:
        return s->mulint >> (8 * (off & 1));
    case REG_RERID:
        return 0x10; /* RTL8139C revision id */
    case REG_TSAD:
    case REG_TSAD + 1: {
        uint16_t v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (s->tsd[i] & TSD_TOK) ? 1 << (12 + i) : 0;
            v |= (s->tsd[i] & TSD_TUN) ? 1 << (8 + i) : 0;
            v |= (s->tsd[i] & TSD_TABT) ? 1 << (4 + i) : 0;
            v |= (s->tsd[i] & TSD_OWN) ? 1 << i : 0;
        }
        return v >> (8 * (off & 1));
    }
    case REG_BMCR:
    case REG_BMCR + 1:
        return s->bmcr >> (8 * (off & 1));
    case REG_BMSR:
    case REG_BMSR + 1:
        return (rtl8139_link_up(s) ? BMSR_LINK_UP : BMSR_LINK_DOWN) >> (8 * (off & 1));
    case REG_ANAR:
    case REG_ANAR + 1:
        return s->anar >> (8 * (off & 1));
    case REG_ANLPAR:
    case REG_ANLPAR + 1:
        return (rtl8139_link_up(s) ? 0x45e1 : 0) >> (8 * (off & 1));
    case REG_ANER:
    case REG_ANER + 1:
        return (off & 1) ? 0 : 0x01;
    case REG_CSCR:
    case REG_CSCR + 1:
        return s->cscr >> (8 * (off & 1));
    case REG_PHY1_PARM ... REG_PHY1_PARM + 3:
        return s->phy1_parm >> (8 * (off & 3));
    case REG_TW_PARM ... REG_TW_PARM + 3:
        return s->tw_parm >> (8 * (off & 3));
    case REG_PHY2_PARM:
        return s->phy2_parm;
    case REG_CONFIG5:
        return s->config5;
    case REG_TPPOLL:
        return 0;
    case REG_RXMAXSIZE:
    case REG_RXMAXSIZE + 1:
        /*
         * Reads as 0: drivers (iPXE's realtek, Linux's) tell an RTL8169 from this 8139C+ by
         * whether 0xDA keeps a written value, and take the 8169's PHY access path if it does.
         */
        return 0;
    case REG_CPCR:
    case REG_CPCR + 1:
        return s->cpcr >> (8 * (off & 1));
    case REG_INTRMIT:
    case REG_INTRMIT + 1:
        return s->intrmit >> (8 * (off & 1));
    case REG_RDSAR ... REG_RDSAR + 7:
        return s->rdsar[(off - REG_RDSAR) / 4] >> (8 * (off & 3));
    case REG_ETTHR:
        return s->etthr;
    default:
        log_unimp("rtl8139: read of register 0x%02x\n", off);
        return 0;
    }
}

static void set_byte32(uint32_t *reg, uint32_t off, uint8_t val)
{
    unsigned sh = 8 * (off & 3);
    *reg = (*reg & ~(0xffu << sh)) | (uint32_t)val << sh;
}

static void set_byte16(uint16_t *reg, uint32_t off, uint8_t val)
{
    unsigned sh = 8 * (off & 1);
    *reg = (*reg & ~(0xff << sh)) | val << sh;
}

static bool rtl8139_config_unlocked(RTL8139State *s)
{
    return (s->cfg9346 & EEM_MASK) == EEM_CONFIG;
}

/* Store one byte; actions that need the whole access run in rtl8139_io_write. */
static void rtl8139_write_byte(RTL8139State *s, uint32_t off, uint8_t val)
{
    switch (off) {
    case REG_IDR0 ... REG_IDR0 + 5:
        s->idr[off - REG_IDR0] = val;
        break;
    case REG_MAR0 ... REG_MAR0 + 7:
        s->mar[off - REG_MAR0] = val;
        break;
    case REG_TSD0 ... REG_TSD0 + 15:
        if (rtl8139_cplus_tx_on(s)) {
            if (off - REG_TSD0 < 8) {
                set_byte32(&s->dtccr[(off - REG_TSD0) / 4], off, val);
            }
            break;
        }
        /* Status bits are the chip's; the driver writes size, threshold and OWN. */
        {
            uint32_t *tsd = &s->tsd[(off - REG_TSD0) / 4];
            uint32_t keep = *tsd & (TSD_TOK | TSD_TUN | TSD_TABT | TSD_CRS);
            set_byte32(tsd, off, val);
            if ((off & 3) == 1 || (off & 3) == 0) {
                /* A new size or OWN write starts a fresh transmit: status clears. */
                *tsd &= ~(TSD_TOK | TSD_TUN | TSD_TABT | TSD_CRS);
            } else {
                *tsd = (*tsd & ~(TSD_TOK | TSD_TUN | TSD_TABT | TSD_CRS)) | keep;
            }
        }
        break;
    case REG_TSAD0 ... REG_TSAD0 + 15:
        set_byte32(&s->tsad[(off - REG_TSAD0) / 4], off, val);
        break;
    case REG_RBSTART ... REG_RBSTART + 3:
        set_byte32(&s->rbstart, off, val);
        break;
    case REG_CR:
        if (val & CR_RST) {
            rtl8139_soft_reset(s);
            break;
        }
        if ((val & CR_RE) && !(s->cr & CR_RE)) {
            /* Receiver enabled: the ring starts at offset 0. */
            s->cbr = 0;
        }
        s->cr = val & (CR_RE | CR_TE);
        break;
    case REG_CAPR:
    case REG_CAPR + 1:
        set_byte16(&s->capr, off, val);
        break;
    case REG_IMR:
    case REG_IMR + 1:
        set_byte16(&s->imr, off, val);
        break;
    case REG_ISR:
    case REG_ISR + 1:
        /* Write 1 to clear. */
        s->isr &= ~((uint16_t)val << (8 * (off & 1)));
        break;
    case REG_TCR ... REG_TCR + 3: {
        /* The hardware version bits are read-only. */
        uint32_t hw = s->tcr & 0x7cc00000u;
        set_byte32(&s->tcr, off, val);
        s->tcr = (s->tcr & ~0x7cc00000u) | hw;
        break;
    }
    case REG_RCR ... REG_RCR + 3:
        set_byte32(&s->rcr, off, val);
        break;
    case REG_TCTR ... REG_TCTR + 3:
        /* Any write restarts the counter from 0. */
        s->tctr_base_ns = clock_get_ns(machine_vclock(s->pci.qdev.machine));
        break;
    case REG_MPC ... REG_MPC + 3:
        s->mpc = 0;
        break;
    case REG_9346CR:
        rtl8139_write_9346cr(s, val);
        break;
    case REG_CONFIG0:
        break; /* read-only */
    case REG_CONFIG1:
        if (rtl8139_config_unlocked(s)) {
            s->config1 = val;
        }
        break;
    case REG_TIMERINT ... REG_TIMERINT + 3:
        set_byte32(&s->timer_int, off, val);
        break;
    case REG_MSR:
        break;
    case REG_CONFIG3:
        if (rtl8139_config_unlocked(s)) {
            s->config3 = val;
        }
        break;
    case REG_CONFIG4:
        if (rtl8139_config_unlocked(s)) {
            s->config4 = val;
        }
        break;
    case REG_MULINT:
    case REG_MULINT + 1:
        set_byte16(&s->mulint, off, val);
        break;
    case REG_BMCR:
    case REG_BMCR + 1:
        set_byte16(&s->bmcr, off, val);
        /* Reset and restart-autonegotiation complete at once. */
        s->bmcr &= ~(0x8000 | 0x0200);
        break;
    case REG_ANAR:
    case REG_ANAR + 1:
        set_byte16(&s->anar, off, val);
        break;
    case REG_CSCR:
    case REG_CSCR + 1:
        set_byte16(&s->cscr, off, val);
        break;
    case REG_PHY1_PARM ... REG_PHY1_PARM + 3:
        set_byte32(&s->phy1_parm, off, val);
        break;
    case REG_TW_PARM ... REG_TW_PARM + 3:
        set_byte32(&s->tw_parm, off, val);
        break;
    case REG_PHY2_PARM:
        s->phy2_parm = val;
        break;
    case REG_CONFIG5:
        s->config5 = val;
        break;
    case REG_TPPOLL:
        break; /* acted on in rtl8139_io_write */
    case REG_RXMAXSIZE:
    case REG_RXMAXSIZE + 1:
        set_byte16(&s->rxmaxsize, off, val);
        break;
    case REG_CPCR:
    case REG_CPCR + 1:
        set_byte16(&s->cpcr, off, val);
        break;
    case REG_INTRMIT:
    case REG_INTRMIT + 1:
        set_byte16(&s->intrmit, off, val);
        /* New settings start from nothing held: what was waiting goes out now. */
        rtl8139_mit_release_all(s);
        rtl8139_update_irq(s);
        break;
    case REG_RDSAR ... REG_RDSAR + 7:
        set_byte32(&s->rdsar[(off - REG_RDSAR) / 4], off, val);
        break;
    case REG_ETTHR:
        s->etthr = val;
        break;
    default:
        log_unimp("rtl8139: write of 0x%02x to register 0x%02x\n", val, off);
        break;
    }
}

static bool touches(uint64_t off, unsigned size, uint32_t reg, unsigned reg_size)
{
    return off < reg + reg_size && reg < off + size;
}

static uint64_t rtl8139_io_read(void *opaque, uint64_t off, unsigned size)
{
    RTL8139State *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < RTL8139_IO_SIZE; i++) {
        v |= (uint64_t)rtl8139_read_byte(s, off + i) << (8 * i);
    }
    return v;
}

static void rtl8139_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    RTL8139State *s = opaque;
    uint8_t old_cr = s->cr;
    log_mask(LOG_TRACE, "rtl8139: write 0x%02x <- 0x%" PRIx64 " (%u bytes), ISR 0x%04x\n",
             (unsigned)off, val, size, s->isr);
    for (unsigned i = 0; i < size && off + i < RTL8139_IO_SIZE; i++) {
        rtl8139_write_byte(s, off + i, val >> (8 * i));
    }
    if (touches(off, size, REG_TSD0, 16) && !rtl8139_cplus_tx_on(s)) {
        rtl8139_transmit(s);
    }
    if (touches(off, size, REG_TSD0, 4) && rtl8139_cplus_tx_on(s) && (s->dtccr[0] & 8)) {
        rtl8139_cplus_dump_tally(s);
    }
    if (touches(off, size, REG_CR, 1) && (s->cr & CR_TE) && !(old_cr & CR_TE)) {
        rtl8139_transmit(s);
    }
    if (touches(off, size, REG_TPPOLL, 1) && rtl8139_cplus_tx_on(s)) {
        if (val >> (8 * (REG_TPPOLL - off)) & 0x01) {
            s->isr |= INT_SWINT; /* FSWInt */
        }
        if (val >> (8 * (REG_TPPOLL - off)) & 0xc0) {
            rtl8139_cplus_transmit(s);
        }
    }
    if (touches(off, size, REG_TIMERINT, 4) || touches(off, size, REG_TCTR, 4)) {
        rtl8139_arm_timer(s);
    }
    /*
     * Room in the ring (CAPR moved, receiver or C+ mode switched on, a poll
     * that may come with fresh descriptors): deliver what is waiting, from a
     * bottom half so a register write never recurses into the backend.
     */
    if (touches(off, size, REG_CAPR, 2) || touches(off, size, REG_CR, 1) ||
        touches(off, size, REG_CPCR, 2) || touches(off, size, REG_TPPOLL, 1) ||
        touches(off, size, REG_RCR, 4) || touches(off, size, REG_ISR, 2)) {
        if (s->nc && s->nc->queue_head) {
            bh_schedule(s->flush_bh);
        }
    }
    rtl8139_update_irq(s);
}

static const MemoryRegionOps rtl8139_ops = {
    .read = rtl8139_io_read,
    .write = rtl8139_io_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

/* ---------------------------------------------------------------------- */
/* Device */

static const NetClientOps rtl8139_net_ops = {
    .type = "nic",
    .receive = rtl8139_receive,
    .link_changed = rtl8139_link_changed,
};

/* romfile=NAME: a bare name is looked up where Debian keeps PXE ROMs. */
static bool rtl8139_load_rom(RTL8139State *s, Error **errp)
{
    static const char *const dirs[] = {"", "/usr/lib/ipxe/qemu/", "/usr/share/qemu/",
                                       "/usr/lib/ipxe/"};
    const MachineConfig *cfg = s->pci.qdev.machine->cfg;
    char *path = NULL;
    int nd = cfg ? cfg->firmware_dirs.n : 0;
    for (int i = 0; i < nd + (int)ARRAY_SIZE(dirs) && !path; i++) {
        char *p = i < nd ? xasprintf("%s/%s", cfg->firmware_dirs.v[i], s->romfile)
                         : xasprintf("%s%s", dirs[i - nd], s->romfile);
        struct stat st;
        if ((i == nd || !strchr(s->romfile, '/')) && !stat(p, &st) && S_ISREG(st.st_mode)) {
            path = p;
        } else {
            free(p);
        }
    }
    if (!path) {
        error_setg(errp, "romfile '%s' not found", s->romfile);
        return false;
    }
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || st.st_size <= 0 || st.st_size > (16 << 20)) {
        error_setg(errp, "cannot use romfile '%s'", path);
        if (f) {
            fclose(f);
        }
        free(path);
        return false;
    }
    uint64_t size = 2048;
    while (size < (uint64_t)st.st_size) {
        size <<= 1;
    }
    memory_region_init_rom(&s->rom, "rtl8139.rom", size);
    bool ok = fread(s->rom.ram, 1, st.st_size, f) == (size_t)st.st_size;
    fclose(f);
    if (!ok) {
        error_setg(errp, "cannot read romfile '%s'", path);
        free(path);
        memory_region_destroy(&s->rom);
        return false;
    }
    free(path);
    pci_register_bar(&s->pci, PCI_ROM_SLOT, 0, &s->rom);
    return true;
}

/*
 * QEMU gives the NIC iPXE's ROM by default; Osprey does when the machine may boot from the
 * network (-boot with n, or bootindex= on this NIC), since a ROM costs every other boot
 * iPXE's init and its "Press Ctrl-B" waits.  romfile= (even empty) overrides this.
 */
static void rtl8139_default_rom(RTL8139State *s)
{
    const MachineConfig *cfg = s->pci.qdev.machine->cfg;
    bool network_boot = s->pci.bootindex || (cfg && cfg->boot_order &&
                                             strchr(cfg->boot_order, 'n'));
    if (s->romfile || !network_boot) {
        return;
    }
    /* The combined ROM first (the BIOS runs its x86 image), as QEMU's default. */
    static const char *const names[] = {"efi-rtl8139.rom", "pxe-rtl8139.rom"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        s->romfile = xstrdup(names[i]);
        Error *err = NULL;
        if (rtl8139_load_rom(s, &err)) {
            return;
        }
        error_free(err);
        free(s->romfile);
        s->romfile = NULL;
    }
    warn_report("rtl8139: no boot ROM for network boot: neither efi-rtl8139.rom nor "
                "pxe-rtl8139.rom was found (Debian package ipxe-qemu, or romfile=PATH)");
}

static bool rtl8139_realize(DeviceState *dev, Error **errp)
{
    RTL8139State *s = (RTL8139State *)dev;
    if (!net_parse_mac(dev->machine, s->mac_str, s->macaddr, errp)) {
        return false;
    }
    if (!pci_device_realize(&s->pci, errp)) {
        return false;
    }
    PCIDevice *d = &s->pci;
    pci_config_set_ids(d, 0x10ec, 0x8139, s->revision, 0x020000);
    pci_config_set_subsystem(d, 0x1af4, 0x1100);
    pci_config_set_interrupt_pin(d, 1);
    /* Power management capability, version 1.1, D0-D3hot: what 8139too and iPXE probe. */
    d->config[PCI_STATUS] |= 0x10;
    d->config[PCI_CAPABILITY_LIST] = 0x50;
    d->config[0x50] = 0x01;
    d->config[0x51] = 0x00;
    pci_set_word(&d->config[0x52], 0x0602); /* D1 and D2 supported, version 2 */
    pci_set_word(&d->wmask[0x54], 0x0103);  /* power state, PME_En */
    memory_region_init_io(&s->io, "rtl8139-io", &rtl8139_ops, s, RTL8139_IO_SIZE);
    memory_region_init_io(&s->mmio, "rtl8139-mmio", &rtl8139_ops, s, RTL8139_IO_SIZE);
    pci_register_bar(d, 0, PCI_BAR_SPACE_IO, &s->io);
    pci_register_bar(d, 1, PCI_BAR_MEM_32, &s->mmio);
    if (!s->romfile) {
        rtl8139_default_rom(s);
    } else if (*s->romfile && !rtl8139_load_rom(s, errp)) {
        pci_device_unrealize(d);
        memory_region_destroy(&s->io);
        memory_region_destroy(&s->mmio);
        return false;
    }
    s->nc = net_nic_new(dev->machine, &rtl8139_net_ops, s, s->netdev,
                        dev->id ? dev->id : "rtl8139", errp);
    if (!s->nc) {
        pci_device_unrealize(d);
        memory_region_destroy(&s->io);
        memory_region_destroy(&s->mmio);
        if (s->rom.name) {
            memory_region_destroy(&s->rom);
        }
        return false;
    }
    snprintf(s->nc->info_str, sizeof(s->nc->info_str),
             "model=rtl8139,macaddr=%02x:%02x:%02x:%02x:%02x:%02x", s->macaddr[0],
             s->macaddr[1], s->macaddr[2], s->macaddr[3], s->macaddr[4], s->macaddr[5]);
    s->timer = timer_new(machine_vclock(dev->machine), rtl8139_timer_cb, s);
    s->mit_timer[RTL8139_MIT_RX] = timer_new(machine_vclock(dev->machine), rtl8139_mit_rx_cb, s);
    s->mit_timer[RTL8139_MIT_TX] = timer_new(machine_vclock(dev->machine), rtl8139_mit_tx_cb, s);
    s->flush_bh = bh_new(dev->machine->loop, rtl8139_flush_bh, s);
    s->tx_buf = xmalloc(RTL8139_TX_BUF_MAX);
    return true;
}

static void rtl8139_unrealize(DeviceState *dev)
{
    RTL8139State *s = (RTL8139State *)dev;
    net_client_free(s->nc);
    s->nc = NULL;
    timer_free(s->timer);
    timer_free(s->mit_timer[RTL8139_MIT_RX]);
    timer_free(s->mit_timer[RTL8139_MIT_TX]);
    bh_delete(s->flush_bh);
    free(s->tx_buf);
    pci_device_unrealize(&s->pci);
    memory_region_destroy(&s->io);
    memory_region_destroy(&s->mmio);
    if (s->rom.name) {
        memory_region_destroy(&s->rom);
    }
}

static int rtl8139_post_load(void *opaque)
{
    RTL8139State *s = opaque;
    pci_device_post_load(&s->pci);
    s->tx_next &= 3;
    s->eeprom.addr &= 0x3f;
    /* The mitigation state is not migrated: held interrupts go out on arrival. */
    rtl8139_mit_release_all(s);
    rtl8139_arm_timer(s);
    rtl8139_update_irq(s);
    return 0;
}

static const VMStateField rtl8139_eeprom_fields[] = {
    VMSTATE_U16_ARRAY(EEPROM93C46, contents),
    VMSTATE_U8(EEPROM93C46, state),
    VMSTATE_U16(EEPROM93C46, shift),
    VMSTATE_U8(EEPROM93C46, bits),
    VMSTATE_U8(EEPROM93C46, opcode),
    VMSTATE_U8(EEPROM93C46, addr),
    VMSTATE_U8(EEPROM93C46, write_enabled),
    VMSTATE_U8(EEPROM93C46, last_sk),
    VMSTATE_U8(EEPROM93C46, last_cs),
    VMSTATE_U8(EEPROM93C46, dout),
    VMSTATE_END,
};

static const VMStateDescription rtl8139_eeprom_vmstate = {
    .name = "rtl8139-eeprom",
    .version = 1,
    .fields = rtl8139_eeprom_fields,
};

static const VMStateField rtl8139_vmstate_fields[] = {
    VMSTATE_STRUCT(RTL8139State, pci, &pci_device_vmstate),
    VMSTATE_U8_ARRAY(RTL8139State, idr),
    VMSTATE_U8_ARRAY(RTL8139State, mar),
    VMSTATE_U32_ARRAY(RTL8139State, tsd),
    VMSTATE_U32_ARRAY(RTL8139State, tsad),
    VMSTATE_U32(RTL8139State, rbstart),
    VMSTATE_U8(RTL8139State, cr),
    VMSTATE_U16(RTL8139State, capr),
    VMSTATE_U16(RTL8139State, cbr),
    VMSTATE_U16(RTL8139State, imr),
    VMSTATE_U16(RTL8139State, isr),
    VMSTATE_U32(RTL8139State, tcr),
    VMSTATE_U32(RTL8139State, rcr),
    VMSTATE_U32(RTL8139State, mpc),
    VMSTATE_U8(RTL8139State, cfg9346),
    VMSTATE_U8(RTL8139State, config0),
    VMSTATE_U8(RTL8139State, config1),
    VMSTATE_U8(RTL8139State, config3),
    VMSTATE_U8(RTL8139State, config4),
    VMSTATE_U8(RTL8139State, config5),
    VMSTATE_U32(RTL8139State, timer_int),
    VMSTATE_I64(RTL8139State, tctr_base_ns),
    VMSTATE_U16(RTL8139State, mulint),
    VMSTATE_U16(RTL8139State, bmcr),
    VMSTATE_U16(RTL8139State, anar),
    VMSTATE_U16(RTL8139State, cscr),
    VMSTATE_U32(RTL8139State, phy1_parm),
    VMSTATE_U32(RTL8139State, tw_parm),
    VMSTATE_U8(RTL8139State, phy2_parm),
    VMSTATE_U8(RTL8139State, tx_next),
    VMSTATE_U16(RTL8139State, cpcr),
    VMSTATE_U16(RTL8139State, intrmit),
    VMSTATE_U16(RTL8139State, rxmaxsize),
    VMSTATE_U8(RTL8139State, etthr),
    VMSTATE_U32_ARRAY(RTL8139State, rdsar),
    VMSTATE_U32_ARRAY(RTL8139State, dtccr),
    VMSTATE_U32(RTL8139State, tx_cplus_index),
    VMSTATE_U32(RTL8139State, rx_cplus_index),
    VMSTATE_U64(RTL8139State, stat_tx_ok),
    VMSTATE_U64(RTL8139State, stat_rx_ok),
    VMSTATE_U64(RTL8139State, stat_tx_err),
    VMSTATE_U64(RTL8139State, stat_rx_err),
    VMSTATE_U64(RTL8139State, stat_rx_missed),
    VMSTATE_STRUCT(RTL8139State, eeprom, &rtl8139_eeprom_vmstate),
    VMSTATE_END,
};

static const VMStateDescription rtl8139_vmstate = {
    .name = "rtl8139",
    .version = 1,
    .fields = rtl8139_vmstate_fields,
    .post_load = rtl8139_post_load,
};

static const Property rtl8139_props[] = {
    DEFINE_PROP_PCI_ADDR(RTL8139State, pci),
    DEFINE_PROP_PCI_BOOTINDEX(RTL8139State, pci),
    DEFINE_PROP_STRING("netdev", RTL8139State, netdev, "the -netdev id this NIC is wired to"),
    DEFINE_PROP_STRING("mac", RTL8139State, mac_str,
                       "MAC address (default 52:54:00:12:34:56, then ...:57, ...)"),
    DEFINE_PROP_STRING("romfile", RTL8139State, romfile,
                       "PCI expansion ROM image, e.g. pxe-rtl8139.rom (default: none)"),
    DEFINE_PROP_U8("revision", RTL8139State, revision, 0x20,
                   "PCI revision: 0x20 is the RTL8139C+ (Linux 8139cp), below is 8139too's"),
    DEFINE_PROP_END,
};

static const DeviceInfo rtl8139_info = {
    .name = "rtl8139",
    .desc = "Realtek RTL8139C+ 10/100 Ethernet",
    .bus = BUS_PCI,
    .size = sizeof(RTL8139State),
    .props = rtl8139_props,
    .realize = rtl8139_realize,
    .unrealize = rtl8139_unrealize,
    .reset = rtl8139_reset,
    .vmstate = &rtl8139_vmstate,
};
DEVICE_REGISTER(rtl8139_info);
