/*
 * 16550A UART ("isa-serial"), the PC's COM ports.
 *
 * Reference: National Semiconductor PC16550D "Universal Asynchronous
 * Receiver/Transmitter with FIFOs" datasheet (register set, interrupt
 * priorities in Table IV, reset values in Table II, FIFO and timeout rules),
 * plus the IBM PC/AT wiring where OUT2 enables the IRQ line driver.
 *
 * Choices worth knowing:
 * - Transmission is immediate: a THR write goes to the chardev at once and
 *   the transmitter is empty again before the guest can look.  Pacing by
 *   the baud rate would make a 9600-baud Linux console crawl for nothing.
 *   The THRE interrupt still drops on the THR write and comes back when the
 *   byte has "left", so an edge-triggered PIC sees one edge per write, and
 *   the TX FIFO is therefore always empty.
 * - Reception is paced by the chardev: can_read reports free FIFO space, so
 *   a host that sends faster than the guest reads is held back rather than
 *   overrunning.  Overrun still happens where hardware would have it: in
 *   loopback mode, or if a backend ignores can_read.
 * - The character timeout uses the programmed baud rate and frame format on
 *   the virtual clock, so under qtest it fires only on clock_step.
 * - Modem inputs of a real line are reported as a connected peer
 *   (CTS, DSR, DCD set, RI clear); guests that wait for CTS keep working.
 * - In loopback the OUT2 pin is forced inactive as the datasheet says, so
 *   the PC IRQ line is gated off although IIR still reports interrupts.
 * - COM1/COM3 and COM2/COM4 share a line; the device that wrote last wins,
 *   as with two enabled cards on a real ISA bus (a conflict either way).
 */
#include "hw/char/serial.h"

#include "core/log.h"
#include "core/timer.h"

/* Register offsets from the I/O base. */
enum {
    UART_RBR = 0, /* read, DLAB=0: receiver buffer */
    UART_THR = 0, /* write, DLAB=0: transmitter holding */
    UART_DLL = 0, /* DLAB=1: divisor latch, low byte */
    UART_IER = 1, /* DLAB=0: interrupt enable */
    UART_DLM = 1, /* DLAB=1: divisor latch, high byte */
    UART_IIR = 2, /* read: interrupt identification */
    UART_FCR = 2, /* write: FIFO control */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define UART_IER_ERBFI 0x01 /* received data available (and timeout) */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI 0x04  /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */
#define UART_IER_MASK 0x0f

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00   /* modem status */
#define UART_IIR_THRI 0x02  /* THR empty */
#define UART_IIR_RDI 0x04   /* received data available */
#define UART_IIR_RLSI 0x06  /* receiver line status */
#define UART_IIR_CTI 0x0c   /* character timeout */
#define UART_IIR_ID_MASK 0x0f
#define UART_IIR_FIFO 0xc0  /* both set while FIFOs are enabled */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_RX_RESET 0x02
#define UART_FCR_TX_RESET 0x04
#define UART_FCR_DMA 0x08
#define UART_FCR_TRIGGER 0xc0
#define UART_FCR_STORED (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER)

#define UART_LCR_WLS 0x03   /* word length: 5 + value bits */
#define UART_LCR_STB 0x04   /* 1.5 (5-bit words) or 2 stop bits */
#define UART_LCR_PEN 0x08   /* parity enable */
#define UART_LCR_BREAK 0x40 /* set break */
#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_FIFOERR 0x80
#define UART_LSR_INT_ANY (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
/* Error bits that travel with a character through the RX FIFO. */
#define UART_LSR_CHAR_ERR (UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_DELTA 0x0f
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

/* What the modem inputs read when a real (host) line is attached. */
#define SERIAL_LINE_INPUTS (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

#define UART_FIFO_SIZE 16
/* 1.8432 MHz crystal, 16 clocks per bit: divisor 1 is 115200 baud. */
#define UART_BAUD_BASE 115200
/* The receiver FIFO times out after this many character times of silence. */
#define UART_TIMEOUT_CHARS 4

static const struct {
    uint16_t iobase;
    uint8_t irq;
} serial_ports[SERIAL_MAX_PORTS] = {
    {0x3f8, 4}, {0x2f8, 3}, {0x3e8, 4}, {0x2e8, 3},
};

typedef struct SerialState {
    DeviceState parent;

    /* Properties; -1 means "from the index" (index -1: next free COM port). */
    int32_t index;
    int32_t iobase_prop;
    int32_t irq_prop;
    Chardev *chr;

    MemoryRegion io;
    IRQState *irq;
    CharFrontend fe;
    bool fe_attached;
    Timer *timeout_timer;
    int irq_level; /* what we last drove on the line, -1 unknown */

    /* Registers (the guest-visible state). */
    uint16_t divisor;
    uint8_t rbr; /* last character read, returned again when the FIFO is empty */
    uint8_t ier;
    uint8_t fcr; /* UART_FCR_STORED bits only */
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr; /* latched OE/PE/FE/BI and FIFOERR; DR, THRE, TEMT are derived */
    uint8_t msr; /* inputs in the high nibble, delta bits in the low */
    uint8_t scr;
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_err[UART_FIFO_SIZE]; /* UART_LSR_CHAR_ERR bits per character */
    uint8_t rx_head;
    uint8_t rx_count;
    bool thr_ipending;     /* THRE interrupt armed, cleared by IIR read / THR write */
    bool timeout_ipending; /* character timeout happened, cleared by reading RBR */
    int64_t timeout_expire; /* vmstate copy of the timer, -1 when idle */
} SerialState;

static bool serial_fifo_enabled(const SerialState *s)
{
    return s->fcr & UART_FCR_ENABLE;
}

static bool serial_loopback(const SerialState *s)
{
    return s->mcr & UART_MCR_LOOP;
}

static unsigned serial_rx_trigger(const SerialState *s)
{
    static const uint8_t levels[4] = {1, 4, 8, 14};
    return levels[s->fcr >> 6];
}

/* One character frame (start, data, parity, stop bits) in nanoseconds. */
static int64_t serial_char_ns(const SerialState *s)
{
    unsigned data_bits = 5 + (s->lcr & UART_LCR_WLS);
    unsigned half_bits = 2 * (1 + data_bits) + ((s->lcr & UART_LCR_PEN) ? 2 : 0);
    if (!(s->lcr & UART_LCR_STB)) {
        half_bits += 2;
    } else {
        half_bits += data_bits == 5 ? 3 : 4;
    }
    /* A zero divisor stops a real baud generator; treat it as the fastest rate. */
    int64_t divisor = s->divisor ? s->divisor : 1;
    return half_bits * divisor * NANOSECONDS_PER_SECOND / (2 * UART_BAUD_BASE);
}

static uint8_t serial_iir(const SerialState *s)
{
    uint8_t id = UART_IIR_NO_INT;
    bool data_ready = serial_fifo_enabled(s) ? s->rx_count >= serial_rx_trigger(s)
                                             : s->rx_count > 0;

    /* Priority order of the datasheet's Table IV. */
    if ((s->ier & UART_IER_ELSI) && (s->lsr & UART_LSR_INT_ANY)) {
        id = UART_IIR_RLSI;
    } else if ((s->ier & UART_IER_ERBFI) && data_ready) {
        id = UART_IIR_RDI;
    } else if ((s->ier & UART_IER_ERBFI) && s->timeout_ipending) {
        id = UART_IIR_CTI;
    } else if ((s->ier & UART_IER_ETBEI) && s->thr_ipending) {
        id = UART_IIR_THRI;
    } else if ((s->ier & UART_IER_EDSSI) && (s->msr & UART_MSR_DELTA)) {
        id = UART_IIR_MSI;
    }
    return id | (serial_fifo_enabled(s) ? UART_IIR_FIFO : 0);
}

static void serial_update_irq(SerialState *s)
{
    /* The PC gates INTR with OUT2; loopback forces the OUT2 pin inactive. */
    bool gate = (s->mcr & UART_MCR_OUT2) && !serial_loopback(s);
    int level = gate && !(serial_iir(s) & UART_IIR_NO_INT);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
}

/* Recompute the modem inputs and latch the delta bits of any change. */
static void serial_update_msr(SerialState *s)
{
    uint8_t in;
    if (serial_loopback(s)) {
        in = ((s->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
             ((s->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
             ((s->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
             ((s->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
    } else {
        in = SERIAL_LINE_INPUTS;
    }
    uint8_t old = s->msr & 0xf0;
    uint8_t changed = old ^ in;
    uint8_t delta = s->msr & UART_MSR_DELTA;
    if (changed & UART_MSR_CTS) {
        delta |= UART_MSR_DCTS;
    }
    if (changed & UART_MSR_DSR) {
        delta |= UART_MSR_DDSR;
    }
    if (changed & UART_MSR_DCD) {
        delta |= UART_MSR_DDCD;
    }
    /* TERI flags only the trailing edge of RI (on -> off). */
    if ((old & UART_MSR_RI) && !(in & UART_MSR_RI)) {
        delta |= UART_MSR_TERI;
    }
    s->msr = in | delta;
}

static void serial_timeout_arm(SerialState *s)
{
    if (serial_fifo_enabled(s) && s->rx_count > 0) {
        int64_t now = clock_get_ns(machine_vclock(s->parent.machine));
        timer_mod(s->timeout_timer, now + UART_TIMEOUT_CHARS * serial_char_ns(s));
    } else {
        timer_del(s->timeout_timer);
    }
}

static void serial_timeout_cb(void *opaque)
{
    SerialState *s = opaque;
    if (serial_fifo_enabled(s) && s->rx_count > 0) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_rx_clear(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    memset(s->rx_err, 0, sizeof(s->rx_err));
    s->timeout_ipending = false;
    s->lsr &= ~UART_LSR_FIFOERR;
    timer_del(s->timeout_timer);
}

/* A character (with its PE/FE/BI bits) finished arriving in the shift register. */
static void serial_receive_char(SerialState *s, uint8_t ch, uint8_t err)
{
    unsigned cap = serial_fifo_enabled(s) ? UART_FIFO_SIZE : 1;

    if (s->rx_count == cap) {
        s->lsr |= UART_LSR_OE;
        if (!serial_fifo_enabled(s)) {
            /* 16450 mode: the new character overwrites the unread one. */
            s->rx_fifo[s->rx_head] = ch;
            s->rx_err[s->rx_head] = err;
            s->lsr |= err;
        }
        /* FIFO mode: the shift register is overwritten, the FIFO keeps its data. */
    } else {
        unsigned slot = (s->rx_head + s->rx_count) % UART_FIFO_SIZE;
        s->rx_fifo[slot] = ch;
        s->rx_err[slot] = err;
        s->rx_count++;
        /* Errors show in LSR when their character reaches the top of the FIFO. */
        if (s->rx_count == 1) {
            s->lsr |= err;
        }
        if (err && serial_fifo_enabled(s)) {
            s->lsr |= UART_LSR_FIFOERR;
        }
    }
    serial_timeout_arm(s);
}

static bool serial_fifo_has_errors(const SerialState *s)
{
    for (unsigned i = 0; i < s->rx_count; i++) {
        if (s->rx_err[(s->rx_head + i) % UART_FIFO_SIZE]) {
            return true;
        }
    }
    return false;
}

static uint8_t serial_read_rbr(SerialState *s)
{
    if (s->rx_count == 0) {
        return s->rbr;
    }
    s->rbr = s->rx_fifo[s->rx_head];
    s->rx_err[s->rx_head] = 0;
    s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
    s->rx_count--;
    s->timeout_ipending = false;
    if (s->rx_count > 0) {
        s->lsr |= s->rx_err[s->rx_head];
    }
    serial_timeout_arm(s);
    return s->rbr;
}

static void serial_write_fcr(SerialState *s, uint8_t val)
{
    bool was_enabled = serial_fifo_enabled(s);

    /* Switching between 16450 and FIFO mode empties both FIFOs. */
    if ((bool)(val & UART_FCR_ENABLE) != was_enabled) {
        serial_rx_clear(s);
    }
    /* The other bits are programmed only while FCR0 is written as 1. */
    if (!(val & UART_FCR_ENABLE)) {
        s->fcr = 0;
        return;
    }
    if (val & UART_FCR_RX_RESET) {
        serial_rx_clear(s);
    }
    /* UART_FCR_TX_RESET: the transmitter is always empty, nothing to drop. */
    s->fcr = val & UART_FCR_STORED;
}

static void serial_transmit(SerialState *s, uint8_t ch)
{
    s->thr_ipending = false;
    serial_update_irq(s);
    if (serial_loopback(s)) {
        serial_receive_char(s, ch, 0);
    } else if (s->fe_attached) {
        /* A closed or unconnected backend loses the byte, like an unplugged cable. */
        char_fe_write_all(&s->fe, &ch, 1);
    }
    /* Sent at once: THR and the shift register are empty again. */
    s->thr_ipending = true;
}

static uint64_t serial_read(void *opaque, uint64_t offset, unsigned size)
{
    SerialState *s = opaque;
    bool dlab = s->lcr & UART_LCR_DLAB;
    bool had_room = s->rx_count < (serial_fifo_enabled(s) ? UART_FIFO_SIZE : 1);
    uint8_t val = 0xff;

    switch (offset) {
    case UART_RBR:
        val = dlab ? s->divisor & 0xff : serial_read_rbr(s);
        break;
    case UART_IER:
        val = dlab ? s->divisor >> 8 : s->ier;
        break;
    case UART_IIR:
        val = serial_iir(s);
        /* Reading IIR acknowledges a THRE interrupt when it is the one reported. */
        if ((val & UART_IIR_ID_MASK) == UART_IIR_THRI) {
            s->thr_ipending = false;
        }
        break;
    case UART_LCR:
        val = s->lcr;
        break;
    case UART_MCR:
        val = s->mcr;
        break;
    case UART_LSR:
        val = s->lsr | (s->rx_count ? UART_LSR_DR : 0) | UART_LSR_THRE | UART_LSR_TEMT;
        s->lsr &= ~UART_LSR_INT_ANY;
        if (!serial_fifo_has_errors(s)) {
            s->lsr &= ~UART_LSR_FIFOERR;
        }
        break;
    case UART_MSR:
        val = s->msr;
        s->msr &= ~UART_MSR_DELTA;
        break;
    case UART_SCR:
        val = s->scr;
        break;
    }
    serial_update_irq(s);
    if (!had_room && offset == UART_RBR && !dlab && s->fe_attached && !serial_loopback(s)) {
        char_fe_accept_input(&s->fe);
    }
    return val;
}

static void serial_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    SerialState *s = opaque;
    uint8_t val = value;
    bool dlab = s->lcr & UART_LCR_DLAB;

    switch (offset) {
    case UART_THR:
        if (dlab) {
            s->divisor = (s->divisor & 0xff00) | val;
        } else {
            serial_transmit(s, val);
        }
        break;
    case UART_IER:
        if (dlab) {
            s->divisor = (s->divisor & 0x00ff) | (uint16_t)val << 8;
        } else {
            uint8_t old = s->ier;
            s->ier = val & UART_IER_MASK;
            /* Enabling ETBEI while the THR is empty raises the THRE interrupt. */
            if (!(old & UART_IER_ETBEI) && (s->ier & UART_IER_ETBEI)) {
                s->thr_ipending = true;
            }
        }
        break;
    case UART_FCR:
        serial_write_fcr(s, val);
        /* The FIFO may have grown or been emptied: the backend can send again. */
        if (s->fe_attached && !serial_loopback(s)) {
            char_fe_accept_input(&s->fe);
        }
        break;
    case UART_LCR: {
        bool break_on = !(s->lcr & UART_LCR_BREAK) && (val & UART_LCR_BREAK);
        s->lcr = val;
        /* In loopback SOUT feeds SIN, so a break is received as one zero character. */
        if (break_on && serial_loopback(s)) {
            serial_receive_char(s, 0, UART_LSR_BI);
        }
        /* Outside loopback a break has no chardev equivalent and is dropped. */
        break;
    }
    case UART_MCR: {
        bool was_loop = serial_loopback(s);
        s->mcr = val & UART_MCR_MASK;
        serial_update_msr(s);
        if (was_loop && !serial_loopback(s) && s->fe_attached) {
            char_fe_accept_input(&s->fe);
        }
        break;
    }
    case UART_LSR:
        /* The datasheet reserves LSR writes for factory test; ignore them. */
        log_guest_error("isa-serial: write 0x%02x to read-only LSR\n", val);
        break;
    case UART_MSR:
        log_guest_error("isa-serial: write 0x%02x to read-only MSR\n", val);
        break;
    case UART_SCR:
        s->scr = val;
        break;
    }
    serial_update_irq(s);
}

static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    /* An 8-bit ISA device: the bus splits wider accesses into byte cycles. */
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

/* Chardev side. */

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;
    /* In loopback SIN is disconnected; hold host input until it ends. */
    if (serial_loopback(s)) {
        return 0;
    }
    unsigned cap = serial_fifo_enabled(s) ? UART_FIFO_SIZE : 1;
    return cap - s->rx_count;
}

static void serial_receive(void *opaque, const uint8_t *buf, int len)
{
    SerialState *s = opaque;
    if (serial_loopback(s)) {
        return;
    }
    for (int i = 0; i < len; i++) {
        serial_receive_char(s, buf[i], 0);
    }
    serial_update_irq(s);
}

static void serial_event(void *opaque, ChardevEvent event)
{
    SerialState *s = opaque;
    if (event == CHR_EVENT_BREAK && !serial_loopback(s)) {
        serial_receive_char(s, 0, UART_LSR_BI);
        serial_update_irq(s);
    }
}

/* Device lifecycle. */

static int serial_count_ports(Machine *m, const DeviceInfo *info)
{
    int n = 0;
    for (DeviceState *d = m->devices; d; d = d->next) {
        n += d->info == info;
    }
    return n;
}

static bool serial_realize(DeviceState *dev, Error **errp)
{
    SerialState *s = (SerialState *)dev;
    Machine *m = dev->machine;

    if (s->index < 0) {
        s->index = serial_count_ports(m, dev->info);
    }
    if (s->index >= SERIAL_MAX_PORTS && (s->iobase_prop < 0 || s->irq_prop < 0)) {
        error_setg(errp, "index %d has no standard COM port; give iobase and irq",
                   (int)s->index);
        return false;
    }
    int iobase = s->iobase_prop >= 0 ? s->iobase_prop : serial_ports[s->index].iobase;
    int irq = s->irq_prop >= 0 ? s->irq_prop : serial_ports[s->index].irq;
    if (iobase > 0x10000 - 8) {
        error_setg(errp, "iobase 0x%x is outside the I/O space", iobase);
        return false;
    }
    if (irq >= ISA_NUM_IRQS) {
        error_setg(errp, "irq %d is not an ISA IRQ (0-15)", irq);
        return false;
    }
    s->iobase_prop = iobase;
    s->irq_prop = irq;

    if (s->chr) {
        if (!char_fe_init(&s->fe, s->chr, errp)) {
            return false;
        }
        s->fe_attached = true;
        char_fe_set_handlers(&s->fe, serial_can_receive, serial_receive, serial_event, s);
    }
    s->timeout_timer = timer_new(machine_vclock(m), serial_timeout_cb, s);
    s->irq = isa_get_irq(dev, irq);
    s->irq_level = -1;
    /* Power-on value; the datasheet leaves the latch alone on reset. 12 = 9600 baud. */
    s->divisor = 12;
    memory_region_init_io(&s->io, "serial", &serial_ops, s, 8);
    isa_register_ioport(dev, &s->io, iobase);
    return true;
}

static void serial_unrealize(DeviceState *dev)
{
    SerialState *s = (SerialState *)dev;
    memory_region_destroy(&s->io);
    timer_free(s->timeout_timer);
    if (s->fe_attached) {
        char_fe_deinit(&s->fe);
        s->fe_attached = false;
    }
}

static void serial_reset(DeviceState *dev)
{
    SerialState *s = (SerialState *)dev;

    /* Table II: master reset values.  DLL/DLM, SCR and RBR are not affected. */
    s->ier = 0;
    s->fcr = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = 0;
    serial_rx_clear(s);
    s->thr_ipending = false;
    s->msr = 0;
    serial_update_msr(s);
    s->msr &= ~UART_MSR_DELTA;
    serial_update_irq(s);
    if (s->fe_attached) {
        char_fe_accept_input(&s->fe);
    }
}

static void serial_pre_save(void *opaque)
{
    SerialState *s = opaque;
    s->timeout_expire = timer_expire_time(s->timeout_timer);
}

static int serial_post_load(void *opaque)
{
    SerialState *s = opaque;
    int ret = 0;

    /* The stream is untrusted: keep the FIFO indices inside the array whatever happens. */
    unsigned cap = serial_fifo_enabled(s) ? UART_FIFO_SIZE : 1;
    if (s->rx_head >= UART_FIFO_SIZE || s->rx_count > cap) {
        s->rx_head = 0;
        s->rx_count = 0;
        ret = -1;
    }
    s->ier &= UART_IER_MASK;
    s->fcr &= UART_FCR_STORED;
    s->mcr &= UART_MCR_MASK;
    for (unsigned i = 0; i < UART_FIFO_SIZE; i++) {
        s->rx_err[i] &= UART_LSR_CHAR_ERR;
    }
    if (s->timeout_expire >= 0 && s->rx_count > 0) {
        timer_mod(s->timeout_timer, s->timeout_expire);
    } else {
        timer_del(s->timeout_timer);
    }
    s->irq_level = -1;
    serial_update_irq(s);
    return ret;
}

static const VMStateField serial_vmstate_fields[] = {
    VMSTATE_U16(SerialState, divisor),
    VMSTATE_U8(SerialState, rbr),
    VMSTATE_U8(SerialState, ier),
    VMSTATE_U8(SerialState, fcr),
    VMSTATE_U8(SerialState, lcr),
    VMSTATE_U8(SerialState, mcr),
    VMSTATE_U8(SerialState, lsr),
    VMSTATE_U8(SerialState, msr),
    VMSTATE_U8(SerialState, scr),
    VMSTATE_BUFFER(SerialState, rx_fifo),
    VMSTATE_BUFFER(SerialState, rx_err),
    VMSTATE_U8(SerialState, rx_head),
    VMSTATE_U8(SerialState, rx_count),
    VMSTATE_BOOL(SerialState, thr_ipending),
    VMSTATE_BOOL(SerialState, timeout_ipending),
    VMSTATE_I64(SerialState, timeout_expire),
    VMSTATE_END,
};

static const VMStateDescription serial_vmstate = {
    .name = "isa-serial",
    .version = 1,
    .fields = serial_vmstate_fields,
    .pre_save = serial_pre_save,
    .post_load = serial_post_load,
};

static const Property serial_props[] = {
    DEFINE_PROP_I32("index", SerialState, index, -1, "COM port number - 1 (-1: next free)"),
    DEFINE_PROP_I32("iobase", SerialState, iobase_prop, -1, "I/O base (-1: from index)"),
    DEFINE_PROP_I32("irq", SerialState, irq_prop, -1, "ISA IRQ (-1: from index)"),
    DEFINE_PROP_CHARDEV("chardev", SerialState, chr, "character device"),
    DEFINE_PROP_END,
};

static const DeviceInfo serial_info = {
    .name = "isa-serial",
    .desc = "16550A UART",
    .bus = BUS_ISA,
    .size = sizeof(SerialState),
    .props = serial_props,
    .realize = serial_realize,
    .unrealize = serial_unrealize,
    .reset = serial_reset,
    .vmstate = &serial_vmstate,
};
DEVICE_REGISTER(serial_info);

DeviceState *serial_create(Machine *m, int index, Chardev *chr, Error **errp)
{
    if (index < 0 || index >= SERIAL_MAX_PORTS) {
        error_setg(errp, "serial port index %d out of range (0-%d)", index,
                   SERIAL_MAX_PORTS - 1);
        return NULL;
    }
    DeviceState *dev = device_new(m, serial_info.name, errp);
    if (!dev) {
        return NULL;
    }
    SerialState *s = (SerialState *)dev;
    s->index = index;
    s->chr = chr;
    if (!device_realize(dev, errp)) {
        free(dev);
        return NULL;
    }
    return dev;
}
