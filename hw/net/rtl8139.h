/*
 * The RTL8139C+ state, shared by hw/net/rtl8139.c (registers, normal mode,
 * EEPROM, PHY) and hw/net/rtl8139-cplus.c (C+ descriptor rings and offloads).
 *
 * Reference: Realtek RTL8139C(L)+ datasheet (register map, normal-mode
 * receive buffer and transmit descriptors, C+ descriptor formats), the
 * 93C46 serial EEPROM datasheet, and the Linux drivers 8139too and 8139cp
 * for what stock guests rely on.
 */
#ifndef HW_NET_RTL8139_H
#define HW_NET_RTL8139_H

#include "hw/pci/pci.h"
#include "net/net.h"

#define RTL8139_IO_SIZE 256

/* Register offsets. */
enum {
    REG_IDR0 = 0x00,
    REG_MAR0 = 0x08,
    REG_TSD0 = 0x10,     /* normal: 4 x TSD; C+: DTCCR (tally counter dump address) */
    REG_TSAD0 = 0x20,    /* normal: 4 x TSAD; C+: TNPDS (0x20), THPDS (0x28) */
    REG_RBSTART = 0x30,
    REG_ERBCR = 0x34,
    REG_ERSR = 0x36,
    REG_CR = 0x37,
    REG_CAPR = 0x38,
    REG_CBR = 0x3a,
    REG_IMR = 0x3c,
    REG_ISR = 0x3e,
    REG_TCR = 0x40,
    REG_RCR = 0x44,
    REG_TCTR = 0x48,
    REG_MPC = 0x4c,
    REG_9346CR = 0x50,
    REG_CONFIG0 = 0x51,
    REG_CONFIG1 = 0x52,
    REG_TIMERINT = 0x54,
    REG_MSR = 0x58,
    REG_CONFIG3 = 0x59,
    REG_CONFIG4 = 0x5a,
    REG_MULINT = 0x5c,
    REG_RERID = 0x5e,
    REG_TSAD = 0x60,     /* transmit status of all descriptors */
    REG_BMCR = 0x62,
    REG_BMSR = 0x64,
    REG_ANAR = 0x66,
    REG_ANLPAR = 0x68,
    REG_ANER = 0x6a,
    REG_DIS = 0x6c,
    REG_FCSC = 0x6e,
    REG_NWAYTR = 0x70,
    REG_REC = 0x72,
    REG_CSCR = 0x74,
    REG_PHY1_PARM = 0x78,
    REG_TW_PARM = 0x7c,
    REG_PHY2_PARM = 0x80,
    REG_CONFIG5 = 0xd8,
    REG_TPPOLL = 0xd9,
    REG_RXMAXSIZE = 0xda,
    REG_CPCR = 0xe0,
    REG_INTRMIT = 0xe2,
    REG_RDSAR = 0xe4,
    REG_ETTHR = 0xec,
};

/* ISR / IMR bits. */
enum {
    INT_ROK = 0x0001,
    INT_RER = 0x0002,
    INT_TOK = 0x0004,
    INT_TER = 0x0008,
    INT_RXOVW = 0x0010,  /* C+: RX descriptor unavailable */
    INT_PUN = 0x0020,    /* packet underrun / link change */
    INT_FOVW = 0x0040,
    INT_TDU = 0x0080,    /* C+: TX descriptor unavailable */
    INT_SWINT = 0x0100,  /* C+: software interrupt (TPPoll FSWInt) */
    INT_LENCHG = 0x2000,
    INT_TIMEOUT = 0x4000,
    INT_SERR = 0x8000,
};

/* CR */
enum { CR_BUFE = 0x01, CR_TE = 0x04, CR_RE = 0x08, CR_RST = 0x10 };
/* RCR */
enum {
    RCR_AAP = 0x01, RCR_APM = 0x02, RCR_AM = 0x04, RCR_AB = 0x08, RCR_AR = 0x10,
    RCR_AER = 0x20, RCR_WRAP = 0x80,
};
/* TSD */
enum {
    TSD_SIZE_MASK = 0x1fff, TSD_OWN = 1u << 13, TSD_TUN = 1u << 14, TSD_TOK = 1u << 15,
    TSD_TABT = 1u << 30, TSD_CRS = 1u << 31,
};
/* Normal-mode receive header status. */
enum { RXS_ROK = 0x0001, RXS_BAR = 0x2000, RXS_PAM = 0x4000, RXS_MAR = 0x8000 };
/* CpCR */
enum {
    CPCR_TX = 0x0001, CPCR_RX = 0x0002, CPCR_MULRW = 0x0008, CPCR_DAC = 0x0010,
    CPCR_RXCHKSUM = 0x0020, CPCR_RXVLAN = 0x0040,
};
/* 9346CR */
enum {
    EE_DO = 0x01, EE_DI = 0x02, EE_SK = 0x04, EE_CS = 0x08, EEM_MASK = 0xc0,
    EEM_NORMAL = 0x00, EEM_AUTOLOAD = 0x40, EEM_PROGRAM = 0x80, EEM_CONFIG = 0xc0,
};

#define RTL8139_CPLUS_RING 64 /* descriptors before an index wraps without EOR */
#define RTL8139_TX_BUF_MAX (65536 + 4)

typedef struct EEPROM93C46 {
    uint16_t contents[64];
    uint8_t state;    /* EE_IDLE.. */
    uint16_t shift;   /* command bits / data being shifted */
    uint8_t bits;     /* bits shifted in this phase */
    uint8_t opcode;
    uint8_t addr;
    uint8_t write_enabled;
    uint8_t last_sk, last_cs;
    uint8_t dout;
} EEPROM93C46;

typedef struct RTL8139State {
    PCIDevice pci;
    MemoryRegion io;   /* BAR0: I/O */
    MemoryRegion mmio; /* BAR1: the same registers in memory space */
    MemoryRegion rom;
    NetClientState *nc;
    Timer *timer;      /* TimerInt */
    Timer *mit_timer[2]; /* IntrMitigate's RX and TX timers (RTL8139_MIT_RX/TX) */
    BH *flush_bh;
    char *netdev;      /* properties */
    char *mac_str;
    char *romfile;
    uint8_t revision;

    uint8_t macaddr[6];    /* the EEPROM's address (from mac=) */
    /* Registers. */
    uint8_t idr[6];
    uint8_t mar[8];
    uint32_t tsd[4];
    uint32_t tsad[4];
    uint32_t rbstart;
    uint8_t cr;
    uint16_t capr;
    uint16_t cbr;          /* also the receive write offset */
    uint16_t imr, isr;
    uint32_t tcr, rcr;
    uint32_t mpc;
    uint8_t cfg9346, config0, config1, config3, config4, config5;
    uint32_t timer_int;
    int64_t tctr_base_ns;  /* TCTR counts PCI clocks from here */
    uint16_t mulint;
    uint16_t bmcr, anar;
    uint16_t cscr;
    uint32_t phy1_parm, tw_parm;
    uint8_t phy2_parm;
    uint8_t tx_next;       /* normal mode: next TSD the chip will look at */
    uint16_t cpcr, intrmit, rxmaxsize;
    uint8_t mit_frames[2]; /* frames since their interrupt was last let through */
    bool mit_held[2];      /* ROK / TOK is being held back by IntrMitigate */
    uint8_t etthr;
    uint32_t rdsar[2];
    uint32_t dtccr[2];
    uint32_t tx_cplus_index, rx_cplus_index;
    uint64_t stat_tx_ok, stat_rx_ok, stat_tx_err, stat_rx_err, stat_rx_missed;
    EEPROM93C46 eeprom;
    uint8_t *tx_buf;       /* C+ frame assembly, RTL8139_TX_BUF_MAX bytes */
} RTL8139State;

/* rtl8139.c */
void rtl8139_update_irq(RTL8139State *s);
/* A frame was received (RTL8139_MIT_RX) or sent (RTL8139_MIT_TX): apply IntrMitigate. */
enum { RTL8139_MIT_RX, RTL8139_MIT_TX };
void rtl8139_mitigate(RTL8139State *s, int dir);
bool rtl8139_dma_read(RTL8139State *s, uint64_t addr, void *buf, size_t len);
bool rtl8139_dma_write(RTL8139State *s, uint64_t addr, const void *buf, size_t len);
int rtl8139_accept(RTL8139State *s, const uint8_t *buf, size_t len, uint16_t *status);
uint32_t rtl8139_crc32(const uint8_t *buf, size_t len);

/* rtl8139-cplus.c */
bool rtl8139_cplus_tx_on(RTL8139State *s);
bool rtl8139_cplus_rx_on(RTL8139State *s);
void rtl8139_cplus_transmit(RTL8139State *s);
/* Returns len, or 0 when no descriptor is free (the frame waits in the queue). */
ssize_t rtl8139_cplus_receive(RTL8139State *s, const uint8_t *buf, size_t len);
void rtl8139_cplus_dump_tally(RTL8139State *s);

#endif
