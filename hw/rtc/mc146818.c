/*
 * Motorola MC146818A real-time clock with 114 bytes of CMOS RAM
 * ("mc146818rtc"), as wired in the IBM PC/AT: index port 0x70 (bit 7 masks
 * NMI), data port 0x71, IRQ 8.  The century byte lives at 0x32.
 *
 * Reference: Motorola MC146818A datasheet (register map, Table 3 rate
 * selection for the 32.768 kHz time base, update cycle and UIP timing,
 * alarm "don't care" codes 0xC0-0xFF, the effects of the RESET pin) and
 * the Dallas DS12887 datasheet for the same register set.
 *
 * How time is kept: the RTC's time is a count of seconds since 1970 in
 * its own frame (UTC or local, whatever -rtc base= chose), anchored to a
 * reading of the chosen clock (-rtc clock=host|rt|vm).  Nothing ticks
 * while nobody looks: the time registers, UIP and the PF/AF/UF flags are
 * computed from the clock when the guest reads them.  A timer runs only
 * while an interrupt is enabled, so an idle RTC costs nothing and qtest
 * can step the virtual clock exactly.  While SET is on or the divider
 * chain is held, the time registers themselves are the truth; when the
 * clock restarts they are parsed back into the count.
 */
#include <time.h>

#include "core/log.h"
#include "core/machine.h"
#include "core/options.h"
#include "core/timer.h"
#include "hw/rtc/mc146818.h"

enum {
    RTC_SECONDS = 0x00,
    RTC_SECONDS_ALARM = 0x01,
    RTC_MINUTES = 0x02,
    RTC_MINUTES_ALARM = 0x03,
    RTC_HOURS = 0x04,
    RTC_HOURS_ALARM = 0x05,
    RTC_DAY_OF_WEEK = 0x06,
    RTC_DAY_OF_MONTH = 0x07,
    RTC_MONTH = 0x08,
    RTC_YEAR = 0x09,
    RTC_REG_A = 0x0a,
    RTC_REG_B = 0x0b,
    RTC_REG_C = 0x0c,
    RTC_REG_D = 0x0d,
    RTC_CENTURY = 0x32, /* IBM PC/AT convention, not part of the chip */
};

#define REG_A_UIP 0x80
#define REG_A_DV_MASK 0x70
#define REG_A_DV_32KHZ 0x20 /* the divider setting PCs use: time base running */
#define REG_A_DV_RESET 0x60 /* 11x: divider chain held in reset */
#define REG_A_RS_MASK 0x0f

#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_SQWE 0x08
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_B_DSE 0x01

#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10

#define REG_D_VRT 0x80

#define ALARM_DONT_CARE 0xc0
#define RTC_BASE_HZ 32768
/* UIP goes high this long before each update (32.768 kHz time base). */
#define RTC_UIP_LEAD_NS 244000
/* Releasing the divider reset starts the chain half a second before the first update. */
#define RTC_RESTART_PHASE_NS (NANOSECONDS_PER_SECOND / 2)

typedef struct RtcState {
    DeviceState dev;
    MemoryRegion io;
    IRQState *irq;
    Clock *clock;
    Timer *timer;

    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    bool nmi_masked; /* bit 7 of the index port; the board may route it to the CPU later */

    /* The RTC read base_sec (and a zero fraction) when the clock read base_ns. */
    int64_t base_sec;
    int64_t base_ns;
    /* Last update (second) and periodic period whose flags are already in register C. */
    int64_t synced_sec;
    int64_t synced_period;
} RtcState;

static bool rtc_running(const RtcState *s)
{
    return (s->cmos[RTC_REG_A] & REG_A_DV_MASK) == REG_A_DV_32KHZ;
}

/* Time registers frozen: SET on, or the divider chain not counting. */
static bool rtc_frozen(const RtcState *s)
{
    return (s->cmos[RTC_REG_B] & REG_B_SET) || !rtc_running(s);
}

static int64_t rtc_elapsed_ns(RtcState *s)
{
    int64_t d = clock_get_ns(s->clock) - s->base_ns;
    return d < 0 ? 0 : d;
}

static int64_t rtc_current_sec(RtcState *s)
{
    return s->base_sec + rtc_elapsed_ns(s) / NANOSECONDS_PER_SECOND;
}

/* Periodic interrupt period in 32.768 kHz ticks, 0 when off (Table 3). */
static unsigned rtc_period_ticks(const RtcState *s)
{
    unsigned rs = s->cmos[RTC_REG_A] & REG_A_RS_MASK;
    if (rs == 0 || !rtc_running(s)) {
        return 0;
    }
    return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

/* Which periodic period the chain is in (the chain shares its phase with the seconds). */
static int64_t rtc_period_index(RtcState *s, unsigned period)
{
    unsigned __int128 ticks =
        (unsigned __int128)rtc_elapsed_ns(s) * RTC_BASE_HZ / NANOSECONDS_PER_SECOND;
    return (int64_t)(ticks / period);
}

/* Clock time at which period number index begins. */
static int64_t rtc_period_start_ns(RtcState *s, int64_t index, unsigned period)
{
    unsigned __int128 ticks = (unsigned __int128)index * period;
    unsigned __int128 ns = (ticks * NANOSECONDS_PER_SECOND + RTC_BASE_HZ - 1) / RTC_BASE_HZ;
    return s->base_ns + (int64_t)ns;
}

static uint8_t rtc_to_reg(const RtcState *s, int v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM_BINARY) {
        return v;
    }
    return ((v / 10) << 4) | (v % 10);
}

/* Decode a BCD or binary register; nonsense BCD digits just give a large number. */
static int rtc_from_reg(const RtcState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM_BINARY) {
        return v;
    }
    return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t rtc_hour_to_reg(const RtcState *s, int hour)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_to_reg(s, hour);
    }
    int h12 = hour % 12 ? hour % 12 : 12;
    return rtc_to_reg(s, h12) | (hour >= 12 ? 0x80 : 0);
}

static int rtc_hour_from_reg(const RtcState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_from_reg(s, v);
    }
    return rtc_from_reg(s, v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

static void rtc_sec_to_tm(int64_t sec, struct tm *tm)
{
    time_t t = (time_t)sec;
    if (!gmtime_r(&t, tm)) {
        memset(tm, 0, sizeof(*tm));
        tm->tm_mday = 1;
        tm->tm_year = 70;
    }
}

/* Write the time registers from a count of seconds, in the current format. */
static void rtc_store_time(RtcState *s, int64_t sec)
{
    struct tm tm;
    rtc_sec_to_tm(sec, &tm);
    int year = tm.tm_year + 1900;
    s->cmos[RTC_SECONDS] = rtc_to_reg(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = rtc_to_reg(s, tm.tm_min);
    s->cmos[RTC_HOURS] = rtc_hour_to_reg(s, tm.tm_hour);
    s->cmos[RTC_DAY_OF_WEEK] = rtc_to_reg(s, tm.tm_wday + 1);
    s->cmos[RTC_DAY_OF_MONTH] = rtc_to_reg(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = rtc_to_reg(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = rtc_to_reg(s, year % 100);
    s->cmos[RTC_CENTURY] = rtc_to_reg(s, year / 100);
}

/* Parse the time registers back into seconds; timegm folds out-of-range fields. */
static int64_t rtc_load_time(RtcState *s)
{
    struct tm tm = {0};
    int century = rtc_from_reg(s, s->cmos[RTC_CENTURY]);
    int year = rtc_from_reg(s, s->cmos[RTC_YEAR]) % 100;
    if (century < 19 || century > 21) {
        log_guest_error("mc146818: century byte 0x%02x is not 19-21; guessing\n",
                        s->cmos[RTC_CENTURY]);
        century = year < 70 ? 20 : 19;
    }
    tm.tm_year = century * 100 + year - 1900;
    tm.tm_mon = rtc_from_reg(s, s->cmos[RTC_MONTH]) - 1;
    tm.tm_mday = rtc_from_reg(s, s->cmos[RTC_DAY_OF_MONTH]);
    tm.tm_hour = rtc_hour_from_reg(s, s->cmos[RTC_HOURS]);
    tm.tm_min = rtc_from_reg(s, s->cmos[RTC_MINUTES]);
    tm.tm_sec = rtc_from_reg(s, s->cmos[RTC_SECONDS]);
    return (int64_t)timegm(&tm);
}

/* The registers hold the truth while frozen; otherwise refresh them from the clock. */
static void rtc_refresh_time_regs(RtcState *s)
{
    if (!rtc_frozen(s)) {
        rtc_store_time(s, rtc_current_sec(s));
    }
}

/* Alarm registers compare against the time registers byte for byte (0xC0-0xFF: any). */
static bool rtc_alarm_matches(RtcState *s, int64_t sec)
{
    struct tm tm;
    rtc_sec_to_tm(sec, &tm);
    const struct {
        uint8_t alarm;
        uint8_t now;
    } f[] = {
        {s->cmos[RTC_SECONDS_ALARM], rtc_to_reg(s, tm.tm_sec)},
        {s->cmos[RTC_MINUTES_ALARM], rtc_to_reg(s, tm.tm_min)},
        {s->cmos[RTC_HOURS_ALARM], rtc_hour_to_reg(s, tm.tm_hour)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        if ((f[i].alarm & ALARM_DONT_CARE) != ALARM_DONT_CARE && f[i].alarm != f[i].now) {
            return false;
        }
    }
    return true;
}

/* Restart flag accounting from now: no flags for updates or periods before this. */
static void rtc_resync(RtcState *s)
{
    s->synced_sec = rtc_current_sec(s);
    unsigned period = rtc_period_ticks(s);
    s->synced_period = period ? rtc_period_index(s, period) : 0;
}

/* Account every update and periodic boundary up to now in register C. */
static void rtc_sync(RtcState *s)
{
    uint8_t *c = &s->cmos[RTC_REG_C];
    if (!rtc_frozen(s)) {
        int64_t now = rtc_current_sec(s);
        if (now > s->synced_sec) {
            *c |= REG_C_UF;
            /* A day covers every alarm pattern, so older seconds need no look. */
            int64_t from = MAX(s->synced_sec + 1, now - 86399);
            for (int64_t t = from; t <= now && !(*c & REG_C_AF); t++) {
                if (rtc_alarm_matches(s, t)) {
                    *c |= REG_C_AF;
                }
            }
            s->synced_sec = now;
        }
    }
    unsigned period = rtc_period_ticks(s);
    if (period) {
        int64_t index = rtc_period_index(s, period);
        if (index > s->synced_period) {
            *c |= REG_C_PF;
            s->synced_period = index;
        }
    }
    /* IRQF = PF.PIE + AF.AIE + UF.UIE: the enables sit at the same bits as the flags. */
    if (*c & s->cmos[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF)) {
        *c |= REG_C_IRQF;
    }
    irq_set(s->irq, !!(*c & REG_C_IRQF));
}

/* Wake at the next boundary that can raise an enabled interrupt. */
static void rtc_arm_timer(RtcState *s)
{
    uint8_t b = s->cmos[RTC_REG_B];
    int64_t deadline = INT64_MAX;
    unsigned period = rtc_period_ticks(s);
    if ((b & REG_B_PIE) && period) {
        deadline = rtc_period_start_ns(s, s->synced_period + 1, period);
    }
    if ((b & (REG_B_UIE | REG_B_AIE)) && !rtc_frozen(s)) {
        int64_t next = s->base_ns + (s->synced_sec - s->base_sec + 1) * NANOSECONDS_PER_SECOND;
        deadline = MIN(deadline, next);
    }
    if (deadline == INT64_MAX) {
        timer_del(s->timer);
    } else {
        timer_mod(s->timer, deadline);
    }
}

static void rtc_timer_cb(void *opaque)
{
    RtcState *s = opaque;
    rtc_sync(s);
    rtc_arm_timer(s);
}

/* Anchor the count at sec with the given fraction of a second already gone. */
static void rtc_set_time(RtcState *s, int64_t sec, int64_t fraction_ns)
{
    s->base_sec = sec;
    s->base_ns = clock_get_ns(s->clock) - fraction_ns;
}

static void rtc_write_reg_a(RtcState *s, uint8_t val)
{
    bool was_running = rtc_running(s);
    if (was_running) {
        rtc_refresh_time_regs(s);
    }
    s->cmos[RTC_REG_A] = (val & ~REG_A_UIP) | (s->cmos[RTC_REG_A] & REG_A_UIP);
    uint8_t dv = val & REG_A_DV_MASK;
    if (dv != REG_A_DV_32KHZ && (dv & REG_A_DV_RESET) != REG_A_DV_RESET) {
        log_unimp("mc146818: divider 0x%02x (only 32.768 kHz is emulated); clock stopped\n",
                  dv);
    }
    if (!was_running && rtc_running(s)) {
        /* The registers (maybe just written) become the count again. */
        rtc_set_time(s, rtc_load_time(s), RTC_RESTART_PHASE_NS);
    }
    rtc_resync(s);
}

static void rtc_write_reg_b(RtcState *s, uint8_t val)
{
    uint8_t old = s->cmos[RTC_REG_B];
    if (!(old & REG_B_SET) && (val & REG_B_SET)) {
        /* Entering SET: freeze what the registers show now. */
        rtc_refresh_time_regs(s);
        /* The datasheet: setting SET also clears UIE. */
        val &= ~REG_B_UIE;
    }
    if (val & REG_B_DSE) {
        log_unimp("mc146818: daylight saving (DSE) is not emulated\n");
    }
    s->cmos[RTC_REG_B] = val;
    if ((old & REG_B_SET) && !(val & REG_B_SET) && rtc_running(s)) {
        /* Leaving SET: the registers hold the new time, counting from a fresh second. */
        rtc_set_time(s, rtc_load_time(s), 0);
        rtc_resync(s);
    }
}

/* A guest write to a time register while the clock counts: change the count. */
static void rtc_write_time_reg(RtcState *s, int reg, uint8_t val)
{
    if (rtc_frozen(s)) {
        s->cmos[reg] = val;
        return;
    }
    int64_t fraction = rtc_elapsed_ns(s) % NANOSECONDS_PER_SECOND;
    rtc_refresh_time_regs(s);
    s->cmos[reg] = val;
    rtc_set_time(s, rtc_load_time(s), fraction);
    rtc_resync(s);
}

/* The clock and calendar registers, which read and write the running time. */
static bool rtc_is_time_reg(int reg)
{
    switch (reg) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        return true;
    default:
        return false;
    }
}

static uint8_t rtc_read_data(RtcState *s)
{
    int reg = s->index;
    if (rtc_is_time_reg(reg)) {
        rtc_refresh_time_regs(s);
        return s->cmos[reg];
    }
    switch (reg) {
    case RTC_REG_A: {
        uint8_t a = s->cmos[RTC_REG_A] & ~REG_A_UIP;
        if (!rtc_frozen(s) &&
            rtc_elapsed_ns(s) % NANOSECONDS_PER_SECOND >=
                NANOSECONDS_PER_SECOND - RTC_UIP_LEAD_NS) {
            a |= REG_A_UIP;
        }
        return a;
    }
    case RTC_REG_C: {
        rtc_sync(s);
        uint8_t c = s->cmos[RTC_REG_C];
        /* Reading C clears every flag and releases IRQ 8. */
        s->cmos[RTC_REG_C] = 0;
        irq_lower(s->irq);
        rtc_arm_timer(s);
        return c;
    }
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return s->cmos[reg];
    }
}

/* Control registers A-D and plain NVRAM. */
static void rtc_write_other_reg(RtcState *s, int reg, uint8_t val)
{
    switch (reg) {
    case RTC_REG_A:
        rtc_write_reg_a(s, val);
        break;
    case RTC_REG_B:
        rtc_write_reg_b(s, val);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        log_guest_error("mc146818: write 0x%02x to read-only register %c\n", val,
                        reg == RTC_REG_C ? 'C' : 'D');
        break;
    default:
        s->cmos[reg] = val;
        break;
    }
}

static void rtc_write_data(RtcState *s, uint8_t val)
{
    int reg = s->index;
    /* Account what happened under the old settings before changing them. */
    rtc_sync(s);
    if (rtc_is_time_reg(reg)) {
        rtc_write_time_reg(s, reg, val);
    } else {
        rtc_write_other_reg(s, reg, val);
    }
    rtc_sync(s);
    rtc_arm_timer(s);
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
    RtcState *s = opaque;
    if (offset == 0) {
        /* The index port is write-only on the PC/AT. */
        return 0xff;
    }
    return rtc_read_data(s);
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    RtcState *s = opaque;
    if (offset == 0) {
        s->index = value & (RTC_CMOS_SIZE - 1);
        s->nmi_masked = value & 0x80;
    } else {
        rtc_write_data(s, value);
    }
}

static const MemoryRegionOps rtc_io_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .valid = {.min_access_size = 1, .max_access_size = 4},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

void mc146818_set_cmos(DeviceState *rtc, int addr, uint8_t val)
{
    RtcState *s = (RtcState *)rtc;
    if (addr >= 0 && addr < RTC_CMOS_SIZE) {
        s->cmos[addr] = val;
    }
}

uint8_t mc146818_get_cmos(DeviceState *rtc, int addr)
{
    RtcState *s = (RtcState *)rtc;
    return addr >= 0 && addr < RTC_CMOS_SIZE ? s->cmos[addr] : 0xff;
}

static Clock *rtc_pick_clock(Machine *m)
{
    switch (m->cfg->rtc_clock) {
    case RTC_CLOCK_VM:
        return machine_vclock(m);
    case RTC_CLOCK_RT:
        return main_loop_clock(m->loop, CLOCK_REAL);
    default:
        return main_loop_clock(m->loop, CLOCK_HOST);
    }
}

/* Where the RTC starts: -rtc base=, in the RTC's own frame. */
static int64_t rtc_initial_sec(const MachineConfig *cfg)
{
    time_t now = time(NULL);
    switch (cfg->rtc_base) {
    case RTC_BASE_DATE:
        return cfg->rtc_base_date;
    case RTC_BASE_LOCALTIME: {
        struct tm tm;
        if (localtime_r(&now, &tm)) {
            return (int64_t)timegm(&tm);
        }
        return (int64_t)now;
    }
    default:
        return (int64_t)now;
    }
}

static bool rtc_realize(DeviceState *dev, Error **errp)
{
    RtcState *s = (RtcState *)dev;
    Machine *m = dev->machine;

    s->irq = isa_get_irq(dev, 8);
    s->clock = rtc_pick_clock(m);
    s->timer = timer_new(s->clock, rtc_timer_cb, s);
    /* Power-on: 32.768 kHz divider, 1024 Hz rate, BCD, 24-hour (what PC BIOSes program). */
    s->cmos[RTC_REG_A] = REG_A_DV_32KHZ | 0x06;
    s->cmos[RTC_REG_B] = REG_B_24H;
    rtc_set_time(s, rtc_initial_sec(m->cfg), 0);
    rtc_resync(s);
    memory_region_init_io(&s->io, "rtc", &rtc_io_ops, s, 2);
    isa_register_ioport(dev, &s->io, 0x70);
    return true;
}

static void rtc_unrealize(DeviceState *dev)
{
    RtcState *s = (RtcState *)dev;
    memory_region_destroy(&s->io);
    timer_free(s->timer);
}

/* The RESET pin: interrupt enables and flags clear; time, format and NVRAM stay. */
static void rtc_reset(DeviceState *dev)
{
    RtcState *s = (RtcState *)dev;
    rtc_sync(s);
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    s->cmos[RTC_REG_C] = 0;
    irq_lower(s->irq);
    rtc_resync(s);
    rtc_arm_timer(s);
}

static int rtc_post_load(void *opaque)
{
    RtcState *s = opaque;
    s->index &= RTC_CMOS_SIZE - 1;
    s->cmos[RTC_REG_C] &= REG_C_IRQF | REG_C_PF | REG_C_AF | REG_C_UF;
    irq_set(s->irq, !!(s->cmos[RTC_REG_C] & REG_C_IRQF));
    rtc_arm_timer(s);
    return 0;
}

static const VMStateField rtc_vmstate_fields[] = {
    VMSTATE_BUFFER(RtcState, cmos),
    VMSTATE_U8(RtcState, index),
    VMSTATE_BOOL(RtcState, nmi_masked),
    VMSTATE_I64(RtcState, base_sec),
    VMSTATE_I64(RtcState, base_ns),
    VMSTATE_I64(RtcState, synced_sec),
    VMSTATE_I64(RtcState, synced_period),
    VMSTATE_END,
};

static const VMStateDescription rtc_vmstate = {
    .name = "mc146818rtc",
    .version = 1,
    .fields = rtc_vmstate_fields,
    .post_load = rtc_post_load,
};

static const DeviceInfo rtc_info = {
    .name = "mc146818rtc",
    .desc = "MC146818 real-time clock and CMOS RAM",
    .bus = BUS_ISA,
    .size = sizeof(RtcState),
    .realize = rtc_realize,
    .unrealize = rtc_unrealize,
    .reset = rtc_reset,
    .vmstate = &rtc_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(rtc_info);
