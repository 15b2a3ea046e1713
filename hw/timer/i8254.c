/*
 * The PC's 8254 programmable interval timer ("i8254"): three 16-bit down
 * counters clocked at 1.193182 MHz, ports 0x40-0x42 (counters) and 0x43
 * (control word).  OUT0 drives ISA IRQ 0, channel 1 was DRAM refresh, and
 * channel 2's GATE and OUT belong to port 0x61 (hw/audio/pcspk.c).
 *
 * Reference: Intel 82C54 CHMOS Programmable Interval Timer datasheet (control
 * word, read-back command, status byte, modes 0-5 and their gate behaviour,
 * BCD counting).
 *
 * How it is modelled: nothing ticks.  A channel remembers the absolute clock
 * tick at which its count started (ticks are counted from virtual time 0, so
 * every channel sees the same free-running CLK), and the counter, OUT and the
 * null-count bit are computed from CLOCK_VIRTUAL when read.  Only channel 0
 * has a Timer, armed for its next OUT edge so IRQ 0 follows the waveform; the
 * periodic modes re-arm it, the one-shot modes stop after their edge.
 *
 * Choices worth knowing:
 * - A count starts (or restarts) at the tick in which it is written: the
 *   counter reads the initial count at once and one less per CLK after it.
 *   The null-count bit clears on the first CLK edge after the write (modes 1
 *   and 5: at the gate trigger).
 * - In modes 2 and 3 a new count written while counting takes effect at once
 *   rather than at the end of the current period.
 * - A count of 1 in modes 2 and 3 is illegal on the 8254; it counts as 2.
 * - Mode 3 with an odd count N: OUT is high for (N+1)/2 CLKs, low for (N-1)/2.
 */
#include "hw/timer/i8254.h"

#include "core/log.h"
#include "core/timer.h"

#define PIT_BASE 0x40
#define PIT_NUM_CHANNELS 3

/* Control word fields. */
#define PIT_CW_SC(v) (((v) >> 6) & 3)
#define PIT_CW_RW(v) (((v) >> 4) & 3)
#define PIT_CW_MODE(v) (((v) >> 1) & 7)
#define PIT_CW_BCD 0x01
/* Read-back command: bits are active low for COUNT and STATUS. */
#define PIT_RB_NO_COUNT 0x20
#define PIT_RB_NO_STATUS 0x10

enum { PIT_RW_LATCH = 0, PIT_RW_LSB = 1, PIT_RW_MSB = 2, PIT_RW_WORD = 3 };

typedef struct PitChannel {
    uint16_t cr;          /* count register, as written (binary or BCD) */
    uint32_t initial;     /* the count being counted: 1..65536 (binary) or 1..10000 (BCD) */
    uint8_t mode;         /* as programmed, 0-7 (6 and 7 alias 2 and 3) */
    uint8_t rw_mode;      /* PIT_RW_LSB/MSB/WORD */
    bool bcd;
    bool gate;
    bool has_count;       /* a full count was written since the control word */
    bool armed;           /* counting with a loaded count (1, 5: triggered) */
    bool running;         /* ticks accumulate: the gate lets it count */
    int64_t start_tick;   /* absolute CLK tick when counting last (re)started */
    uint64_t base_ticks;  /* ticks counted before start_tick (gate pauses) */
    int64_t load_tick;    /* tick of the count load; null count until after it */
    bool write_msb_next;  /* LSB-then-MSB flip-flops */
    uint8_t write_lsb;
    bool read_msb_next;
    bool count_latched;
    bool latched_msb_next;
    uint16_t latched_count;
    bool status_latched;
    uint8_t latched_status;
} PitChannel;

typedef struct PitState {
    DeviceState dev;
    PitChannel ch[PIT_NUM_CHANNELS];
    bool irq_enabled;
    int irq_level;
    IRQState *irq;
    Timer *irq_timer;
    MemoryRegion io;
} PitState;

static int64_t pit_now_ns(PitState *s)
{
    return clock_get_ns(machine_vclock(s->dev.machine));
}

/* The number of CLK edges from time 0 up to ns. */
static int64_t pit_tick_at(int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    return (int64_t)((unsigned __int128)ns * I8254_FREQ_HZ / NANOSECONDS_PER_SECOND);
}

/* The earliest time at which pit_tick_at() reaches tick. */
static int64_t pit_ns_of_tick(int64_t tick)
{
    unsigned __int128 ns = ((unsigned __int128)tick * NANOSECONDS_PER_SECOND +
                            I8254_FREQ_HZ - 1) / I8254_FREQ_HZ;
    return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

static int pit_mode(const PitChannel *c)
{
    return c->mode > 5 ? c->mode - 4 : c->mode;
}

static uint32_t pit_modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

static uint32_t pit_from_bcd(uint16_t v)
{
    /* Digits above 9 are a guest error; they count with their binary weight. */
    return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
}

static uint16_t pit_to_bcd(uint32_t v)
{
    return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
}

/* The count register as a number of CLKs: 0 stands for the modulus. */
static uint32_t pit_initial_count(const PitChannel *c)
{
    uint32_t n = c->bcd ? pit_from_bcd(c->cr) : c->cr;
    if (n == 0) {
        return pit_modulus(c);
    }
    if (n > pit_modulus(c)) {
        log_guest_error("i8254: count 0x%04x is not BCD\n", c->cr);
        n = pit_modulus(c);
    }
    int mode = pit_mode(c);
    if (n == 1 && (mode == 2 || mode == 3)) {
        log_guest_error("i8254: count 1 is illegal in mode %d\n", mode);
        n = 2;
    }
    return n;
}

/* CLKs counted since the count was loaded. */
static uint64_t pit_elapsed(const PitChannel *c, int64_t now_tick)
{
    uint64_t d = c->base_ticks;
    if (c->running && now_tick > c->start_tick) {
        d += (uint64_t)(now_tick - c->start_tick);
    }
    return d;
}

static bool pit_out_at(const PitChannel *c, int64_t now_tick)
{
    int mode = pit_mode(c);
    if (!c->armed) {
        return mode != 0; /* mode 0 sets OUT low with the control word */
    }
    uint64_t d = pit_elapsed(c, now_tick);
    uint64_t n = c->initial;
    switch (mode) {
    case 0:
    case 1:
        return d >= n;
    case 2:
        return !c->gate || d % n != n - 1;
    case 3:
        return !c->gate || d % n < (n + 1) / 2;
    default: /* 4, 5: one CLK low when the count reaches zero */
        return d != n;
    }
}

static uint16_t pit_counter_at(const PitChannel *c, int64_t now_tick)
{
    if (!c->armed) {
        return c->cr;
    }
    uint64_t d = pit_elapsed(c, now_tick);
    uint64_t n = c->initial, mod = pit_modulus(c), v;
    switch (pit_mode(c)) {
    case 2:
        v = n - d % n;
        break;
    case 3: {
        /* Decrements by two, once through each half of the period. */
        uint64_t p = d % n, high = (n + 1) / 2;
        uint64_t pos = p < high ? p : p - high;
        v = (n & ~1ull) - 2 * pos;
        break;
    }
    default:
        v = (n + mod - d % mod) % mod;
        break;
    }
    v %= mod;
    return c->bcd ? pit_to_bcd(v) : (uint16_t)v;
}

/* The absolute tick of OUT's next change, or -1 if it will not change by itself. */
static int64_t pit_next_edge(const PitChannel *c, int64_t now_tick)
{
    if (!c->armed || !c->running) {
        return -1;
    }
    uint64_t d = pit_elapsed(c, now_tick), n = c->initial, next;
    switch (pit_mode(c)) {
    case 0:
    case 1:
        if (d >= n) {
            return -1;
        }
        next = n;
        break;
    case 2: {
        uint64_t p = d % n;
        next = p < n - 1 ? d + (n - 1 - p) : d + 1;
        break;
    }
    case 3: {
        uint64_t p = d % n, high = (n + 1) / 2;
        next = p < high ? d + (high - p) : d + (n - p);
        break;
    }
    default:
        if (d > n) {
            return -1;
        }
        next = d < n ? n : n + 1;
        break;
    }
    return c->start_tick + (int64_t)(next - c->base_ticks);
}

static bool pit_null_count(const PitChannel *c, int64_t now_tick)
{
    return now_tick <= c->load_tick;
}

/* Drive IRQ 0 from OUT0 and arm the timer for its next edge. */
static void pit_update_irq(PitState *s)
{
    if (!s->irq_enabled) {
        timer_del(s->irq_timer);
        return;
    }
    int64_t now = pit_tick_at(pit_now_ns(s));
    PitChannel *c = &s->ch[0];
    int level = pit_out_at(c, now);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
    int64_t next = pit_next_edge(c, now);
    if (next > now) {
        timer_mod(s->irq_timer, pit_ns_of_tick(next));
    } else {
        timer_del(s->irq_timer);
    }
}

static void pit_irq_timer_cb(void *opaque)
{
    pit_update_irq(opaque);
}

static void pit_channel_changed(PitState *s, PitChannel *c)
{
    if (c == &s->ch[0]) {
        pit_update_irq(s);
    }
}

/* Load the count register into the counting element and start from it. */
static void pit_start_count(PitChannel *c, int64_t now_tick)
{
    c->initial = pit_initial_count(c);
    c->armed = true;
    c->base_ticks = 0;
    c->start_tick = now_tick;
    c->load_tick = now_tick;
}

static void pit_count_written(PitState *s, PitChannel *c, int64_t now_tick)
{
    c->has_count = true;
    switch (pit_mode(c)) {
    case 1:
    case 5:
        /* Loaded at the next gate trigger; until then the count is "null". */
        c->load_tick = INT64_MAX;
        break;
    default:
        pit_start_count(c, now_tick);
        c->running = c->gate;
        break;
    }
    pit_channel_changed(s, c);
}

static void pit_write_count(PitState *s, PitChannel *c, uint8_t val)
{
    int64_t now = pit_tick_at(pit_now_ns(s));
    switch (c->rw_mode) {
    case PIT_RW_LSB:
        c->cr = val;
        pit_count_written(s, c, now);
        break;
    case PIT_RW_MSB:
        c->cr = val << 8;
        pit_count_written(s, c, now);
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            if (pit_mode(c) == 0 && c->armed) {
                /* Mode 0: the first byte stops the count and sets OUT low. */
                c->armed = false;
                pit_channel_changed(s, c);
            }
        } else {
            c->write_msb_next = false;
            c->cr = c->write_lsb | val << 8;
            pit_count_written(s, c, now);
        }
        break;
    }
}

static void pit_latch_count(PitChannel *c, int64_t now_tick)
{
    if (!c->count_latched) {
        c->latched_count = pit_counter_at(c, now_tick);
        c->count_latched = true;
        c->latched_msb_next = false;
    }
}

static void pit_latch_status(PitChannel *c, int64_t now_tick)
{
    if (!c->status_latched) {
        c->latched_status = pit_out_at(c, now_tick) << 7 | pit_null_count(c, now_tick) << 6 |
                            c->rw_mode << 4 | c->mode << 1 | c->bcd;
        c->status_latched = true;
    }
}

static void pit_write_control(PitState *s, uint8_t val)
{
    int64_t now = pit_tick_at(pit_now_ns(s));
    if (PIT_CW_SC(val) == 3) {
        if (val & 1) {
            log_guest_error("i8254: read-back command 0x%02x has bit 0 set\n", val);
        }
        for (int i = 0; i < PIT_NUM_CHANNELS; i++) {
            if (!(val & (2 << i))) {
                continue;
            }
            /* When both are latched the status byte is read first (see pit_read). */
            if (!(val & PIT_RB_NO_COUNT)) {
                pit_latch_count(&s->ch[i], now);
            }
            if (!(val & PIT_RB_NO_STATUS)) {
                pit_latch_status(&s->ch[i], now);
            }
        }
        return;
    }
    PitChannel *c = &s->ch[PIT_CW_SC(val)];
    if (PIT_CW_RW(val) == PIT_RW_LATCH) {
        pit_latch_count(c, now);
        return;
    }
    c->rw_mode = PIT_CW_RW(val);
    c->mode = PIT_CW_MODE(val);
    c->bcd = val & PIT_CW_BCD;
    c->has_count = false;
    c->armed = false;
    c->running = false;
    c->base_ticks = 0;
    c->load_tick = INT64_MAX;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
    pit_channel_changed(s, c);
}

static uint8_t pit_read_counter(PitState *s, PitChannel *c)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->latched_status;
    }
    uint16_t v;
    bool msb;
    if (c->count_latched) {
        v = c->latched_count;
        if (c->rw_mode == PIT_RW_WORD && !c->latched_msb_next) {
            msb = false;
            c->latched_msb_next = true;
        } else {
            msb = c->rw_mode == PIT_RW_MSB || c->rw_mode == PIT_RW_WORD;
            c->count_latched = false;
            c->latched_msb_next = false;
        }
    } else {
        v = pit_counter_at(c, pit_tick_at(pit_now_ns(s)));
        if (c->rw_mode == PIT_RW_WORD) {
            msb = c->read_msb_next;
            c->read_msb_next = !c->read_msb_next;
        } else {
            msb = c->rw_mode == PIT_RW_MSB;
        }
    }
    return msb ? v >> 8 : v & 0xff;
}

static uint64_t pit_read(void *opaque, uint64_t offset, unsigned size)
{
    PitState *s = opaque;
    if (offset >= PIT_NUM_CHANNELS) {
        /* The control word register is write-only; the bus floats. */
        log_guest_error("i8254: read of the control word port\n");
        return 0xff;
    }
    return pit_read_counter(s, &s->ch[offset]);
}

static void pit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PitState *s = opaque;
    if (offset >= PIT_NUM_CHANNELS) {
        pit_write_control(s, value);
    } else {
        pit_write_count(s, &s->ch[offset], value);
    }
}

static const MemoryRegionOps pit_ops = {
    .read = pit_read,
    .write = pit_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

void i8254_set_gate(DeviceState *dev, int channel, bool level)
{
    PitState *s = (PitState *)dev;
    if (channel < 0 || channel >= PIT_NUM_CHANNELS) {
        return;
    }
    PitChannel *c = &s->ch[channel];
    if (c->gate == level) {
        return;
    }
    int64_t now = pit_tick_at(pit_now_ns(s));
    c->gate = level;
    switch (pit_mode(c)) {
    case 0:
    case 4:
        /* The gate pauses counting. */
        if (!level) {
            c->base_ticks = pit_elapsed(c, now);
            c->running = false;
        } else {
            c->start_tick = now;
            c->running = true;
        }
        break;
    case 1:
    case 5:
        /* A rising edge (re)triggers; the level does not matter afterwards. */
        if (level && c->has_count) {
            pit_start_count(c, now);
            c->running = true;
        }
        break;
    default:
        /* 2, 3: low stops counting with OUT high; the rising edge reloads. */
        if (level && c->has_count) {
            pit_start_count(c, now);
            c->running = true;
        } else if (!level) {
            c->base_ticks = pit_elapsed(c, now); /* the counter holds its value */
            c->running = false;
        }
        break;
    }
    pit_channel_changed(s, c);
}

bool i8254_get_out(DeviceState *dev, int channel)
{
    PitState *s = (PitState *)dev;
    if (channel < 0 || channel >= PIT_NUM_CHANNELS) {
        return false;
    }
    return pit_out_at(&s->ch[channel], pit_tick_at(pit_now_ns(s)));
}

void i8254_set_irq_enabled(DeviceState *dev, bool on)
{
    PitState *s = (PitState *)dev;
    if (s->irq_enabled == on) {
        return;
    }
    s->irq_enabled = on;
    s->irq_level = -1; /* whoever drove the line meanwhile: set it again */
    pit_update_irq(s);
}

static bool pit_realize(DeviceState *dev, Error **errp)
{
    PitState *s = (PitState *)dev;
    s->irq = isa_get_irq(dev, 0);
    s->irq_timer = timer_new(machine_vclock(dev->machine), pit_irq_timer_cb, s);
    s->irq_enabled = true;
    s->irq_level = -1;
    memory_region_init_io(&s->io, "pit", &pit_ops, s, 4);
    isa_register_ioport(dev, &s->io, PIT_BASE);
    return true;
}

static void pit_unrealize(DeviceState *dev)
{
    PitState *s = (PitState *)dev;
    memory_region_destroy(&s->io);
    timer_free(s->irq_timer);
}

static void pit_reset(DeviceState *dev)
{
    PitState *s = (PitState *)dev;
    for (int i = 0; i < PIT_NUM_CHANNELS; i++) {
        PitChannel *c = &s->ch[i];
        memset(c, 0, sizeof(*c));
        c->rw_mode = PIT_RW_WORD;
        c->load_tick = INT64_MAX;
        /* GATE0 and GATE1 are tied high on a PC; GATE2 is port 0x61 bit 0 (reset 0). */
        c->gate = i != 2;
    }
    s->irq_enabled = true;
    pit_update_irq(s);
}

static int pit_post_load(void *opaque)
{
    PitState *s = opaque;
    int ret = 0;
    for (int i = 0; i < PIT_NUM_CHANNELS; i++) {
        PitChannel *c = &s->ch[i];
        c->mode &= 7;
        c->rw_mode &= 3;
        if (c->rw_mode == PIT_RW_LATCH) {
            c->rw_mode = PIT_RW_WORD;
            ret = -1;
        }
        /* The stream is untrusted: a count outside its range would divide by zero. */
        if (c->initial < 1 || c->initial > pit_modulus(c)) {
            c->initial = pit_modulus(c);
            ret = -1;
        }
        if (c->initial < 2 && (pit_mode(c) == 2 || pit_mode(c) == 3)) {
            c->initial = 2;
        }
    }
    s->irq_level = -1;
    pit_update_irq(s);
    return ret;
}

static const VMStateField pit_channel_fields[] = {
    VMSTATE_U16(PitChannel, cr),
    VMSTATE_U32(PitChannel, initial),
    VMSTATE_U8(PitChannel, mode),
    VMSTATE_U8(PitChannel, rw_mode),
    VMSTATE_BOOL(PitChannel, bcd),
    VMSTATE_BOOL(PitChannel, gate),
    VMSTATE_BOOL(PitChannel, has_count),
    VMSTATE_BOOL(PitChannel, armed),
    VMSTATE_BOOL(PitChannel, running),
    VMSTATE_I64(PitChannel, start_tick),
    VMSTATE_U64(PitChannel, base_ticks),
    VMSTATE_I64(PitChannel, load_tick),
    VMSTATE_BOOL(PitChannel, write_msb_next),
    VMSTATE_U8(PitChannel, write_lsb),
    VMSTATE_BOOL(PitChannel, read_msb_next),
    VMSTATE_BOOL(PitChannel, count_latched),
    VMSTATE_BOOL(PitChannel, latched_msb_next),
    VMSTATE_U16(PitChannel, latched_count),
    VMSTATE_BOOL(PitChannel, status_latched),
    VMSTATE_U8(PitChannel, latched_status),
    VMSTATE_END,
};

static const VMStateDescription pit_channel_vmstate = {
    .name = "i8254-channel",
    .version = 1,
    .fields = pit_channel_fields,
};

static const VMStateField pit_fields[] = {
    VMSTATE_STRUCT(PitState, ch[0], &pit_channel_vmstate),
    VMSTATE_STRUCT(PitState, ch[1], &pit_channel_vmstate),
    VMSTATE_STRUCT(PitState, ch[2], &pit_channel_vmstate),
    VMSTATE_BOOL(PitState, irq_enabled),
    VMSTATE_END,
};

static const VMStateDescription pit_vmstate = {
    .name = "i8254",
    .version = 1,
    .fields = pit_fields,
    .post_load = pit_post_load,
};

static const DeviceInfo pit_info = {
    .name = "i8254",
    .desc = "8254 programmable interval timer (OUT0 on ISA IRQ 0)",
    .bus = BUS_ISA,
    .size = sizeof(PitState),
    .realize = pit_realize,
    .unrealize = pit_unrealize,
    .reset = pit_reset,
    .vmstate = &pit_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(pit_info);
