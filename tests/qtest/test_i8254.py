#!/usr/bin/env python3
"""The 8254 PIT ("i8254") and port 0x61 ("pcspk") at register level, over qtest.

Virtual time moves only with clock_step/clock_set, so every count and every
IRQ 0 edge is checked at its exact tick: the PIT's CLK is 1.193182 MHz from
virtual time 0, tick k starting at ceil(k * 1e9 / 1193182) ns.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402

FREQ = 1193182
CH0, CH1, CH2, CTRL, PORT61 = 0x40, 0x41, 0x42, 0x43, 0x61
RW_LSB, RW_MSB, RW_WORD = 0x10, 0x20, 0x30


def tick_at(ns):
    return ns * FREQ // 10**9


def ns_of_tick(k):
    return (k * 10**9 + FREQ - 1) // FREQ


def control(qt, channel, mode, rw=RW_WORD, bcd=0):
    qt.outb(CTRL, channel << 6 | rw | mode << 1 | bcd)


def write_count(qt, channel, count, rw=RW_WORD):
    port = CH0 + channel
    if rw == RW_MSB:
        qt.outb(port, count >> 8)
    else:
        qt.outb(port, count & 0xff)
        if rw == RW_WORD:
            qt.outb(port, count >> 8)


def latch_read(qt, channel):
    qt.outb(CTRL, channel << 6)
    port = CH0 + channel
    lo = qt.inb(port)
    return lo | qt.inb(port) << 8


def readback_status(qt, channel):
    qt.outb(CTRL, 0xc0 | 0x20 | (2 << channel))  # COUNT# = 1: status only
    return qt.inb(CH0 + channel)


def edges(qt, n):
    """Step from timer deadline to deadline; return n (time, 'raise'|'lower') of IRQ 0."""
    out = []
    for _ in range(4 * n):
        now = qt.clock_step()
        out += [(now, kind) for kind, line in qt.pop_irqs() if line == 0]
        if len(out) >= n:
            break
    return out[:n]


def start_ch0(qt, mode, count, bcd=0):
    """Intercept IRQ 0 and program channel 0 at virtual time 0 (tick 0)."""
    check_eq(qt.clock_step(0), 0, "virtual time at start")
    qt.irq_intercept()
    control(qt, 0, mode, bcd=bcd)
    write_count(qt, 0, count)


def test_count_follows_virtual_time():
    with QTest() as qt:
        t0 = qt.clock_set(12345)
        control(qt, 0, 2)
        write_count(qt, 0, 0)  # 0 is 65536
        check_eq(latch_read(qt, 0), 0, "initial count 65536 reads 0")
        for step in (100000, 1000000, 333, 5000000):
            now = qt.clock_step(step)
            d = tick_at(now) - tick_at(t0)
            check_eq(latch_read(qt, 0), (65536 - d % 65536) & 0xffff,
                     "counter at %d ns (%d ticks)" % (now, d))
        # The wrap of a periodic count: 65536 ticks later it reads the same again.
        v = latch_read(qt, 0)
        qt.clock_step(ns_of_tick(tick_at(qt.clock_step(0)) + 65536) - qt.clock_step(0))
        check_eq(latch_read(qt, 0), v, "one period later")


def test_mode0_interrupt_on_terminal_count():
    with QTest() as qt:
        start_ch0(qt, 0, 1000)
        check_eq(qt.irq_get(0), 0, "mode 0: OUT low while counting")
        got = edges(qt, 1)
        check_eq(got, [(ns_of_tick(1000), "raise")], "OUT0 rises at the terminal count")
        check_eq(qt.clock_step(), qt.clock_step(0), "no further timer: one-shot")
        check_eq(qt.pop_irqs(), [], "no further edges")
        check_eq(latch_read(qt, 0), 0, "counter at 0 right at terminal count")
        qt.clock_step(ns_of_tick(1010) - qt.clock_step(0))
        check_eq(latch_read(qt, 0), 0xfff6, "the counter keeps counting down through 0")
        # Writing the first byte of a new count stops it and drops OUT.
        qt.outb(CH0, 0x10)
        check_eq(qt.pop_irqs(), [("lower", 0)], "first byte of LSB/MSB sets OUT low")
        qt.outb(CH0, 0x00)
        now = qt.clock_step(0)
        got = edges(qt, 1)
        check_eq(got, [(ns_of_tick(tick_at(now) + 0x10), "raise")], "new count runs")


def test_mode2_rate_generator():
    with QTest() as qt:
        start_ch0(qt, 2, 100)
        check_eq(qt.pop_irqs(), [("raise", 0)], "mode 2: OUT high from the control word")
        expect = []
        for period in range(3):
            base = period * 100
            expect += [(ns_of_tick(base + 99), "lower"), (ns_of_tick(base + 100), "raise")]
        check_eq(edges(qt, 6), expect, "one CLK low at the end of every period")


def test_mode3_square_wave():
    with QTest() as qt:
        start_ch0(qt, 3, 100)
        check_eq(qt.pop_irqs(), [("raise", 0)], "mode 3: OUT high")
        expect = [(ns_of_tick(50), "lower"), (ns_of_tick(100), "raise"),
                  (ns_of_tick(150), "lower"), (ns_of_tick(200), "raise")]
        check_eq(edges(qt, 4), expect, "even count: 50 high, 50 low")
        # The counter decrements by two.
        qt.clock_set(ns_of_tick(210))
        check_eq(latch_read(qt, 0), 100 - 20, "10 ticks into the high half")
        qt.clock_set(ns_of_tick(260))
        check_eq(latch_read(qt, 0), 100 - 20, "10 ticks into the low half")


def test_mode3_odd_count():
    with QTest() as qt:
        start_ch0(qt, 3, 101)
        qt.pop_irqs()
        expect = [(ns_of_tick(51), "lower"), (ns_of_tick(101), "raise"),
                  (ns_of_tick(152), "lower"), (ns_of_tick(202), "raise")]
        check_eq(edges(qt, 4), expect, "odd count: (N+1)/2 high, (N-1)/2 low")


def test_mode4_software_strobe():
    with QTest() as qt:
        start_ch0(qt, 4, 500)
        check_eq(qt.pop_irqs(), [("raise", 0)], "mode 4: OUT high")
        got = edges(qt, 2)
        check_eq(got, [(ns_of_tick(500), "lower"), (ns_of_tick(501), "raise")],
                 "one CLK strobe at the terminal count")
        check_eq(qt.clock_step(), qt.clock_step(0), "one-shot: no timer left")


def test_mode6_aliases_mode2():
    with QTest() as qt:
        start_ch0(qt, 6, 10)
        qt.pop_irqs()
        check_eq(edges(qt, 2), [(ns_of_tick(9), "lower"), (ns_of_tick(10), "raise")],
                 "mode 6 is mode 2")
        check_eq(readback_status(qt, 0) & 0x0e, 6 << 1, "status shows the mode as written")


def test_mode1_ch0_never_triggers():
    with QTest() as qt:
        start_ch0(qt, 1, 10)
        check_eq(qt.pop_irqs(), [("raise", 0)], "mode 1: OUT high")
        qt.clock_step(1000000)
        check_eq(qt.pop_irqs(), [], "GATE0 is tied high: no trigger edge, no pulse")
        check(readback_status(qt, 0) & 0x40, "count never loaded: null count")


def test_latch_command():
    with QTest() as qt:
        control(qt, 0, 2)
        write_count(qt, 0, 50000)
        qt.clock_step(1000)
        qt.outb(CTRL, 0x00)
        latched = 50000 - tick_at(qt.clock_step(0))
        qt.clock_step(10000)
        qt.outb(CTRL, 0x00)  # a second latch before reading is ignored
        lo = qt.inb(CH0)
        qt.clock_step(10000)
        hi = qt.inb(CH0)
        check_eq(lo | hi << 8, latched, "latched value survives time and a second latch")
        now = qt.clock_step(0)
        check_eq(latch_read(qt, 0), 50000 - tick_at(now), "a new latch after reading")


def test_access_modes_and_flip_flop():
    with QTest() as qt:
        t0 = qt.clock_step(0)
        control(qt, 2, 0, rw=RW_LSB)
        qt.outb(PORT61, 0x01)
        write_count(qt, 2, 0xab, RW_LSB)
        check_eq(qt.inb(CH2), 0xab, "LSB only: count 0x00ab, read its LSB")
        check_eq(qt.inb(CH2), 0xab, "LSB only again (no flip-flop)")
        control(qt, 2, 0, rw=RW_MSB)
        write_count(qt, 2, 0x3400, RW_MSB)
        check_eq(qt.inb(CH2), 0x34, "MSB only")
        qt.clock_step(ns_of_tick(tick_at(qt.clock_step(0)) + 1) - qt.clock_step(0))
        check_eq(qt.inb(CH2), 0x33, "MSB only: 0x3400 - 1")
        control(qt, 2, 0)
        write_count(qt, 2, 0x1234)
        check_eq(qt.inb(CH2), 0x34, "LSB/MSB: first the LSB")
        check_eq(qt.inb(CH2), 0x12, "then the MSB")
        check_eq(qt.inb(CH2), 0x34, "and the flip-flop turns over")
        # The control word resets the flip-flop.
        qt.inb(CH2)
        qt.inb(CH2)
        check(t0 >= 0, "time")
        control(qt, 2, 0)
        write_count(qt, 2, 0x5678)
        check_eq(qt.inb(CH2), 0x78, "LSB first after a control word")


def test_read_back_command():
    with QTest() as qt:
        control(qt, 0, 2)
        control(qt, 2, 4, rw=RW_LSB, bcd=1)
        check_eq(readback_status(qt, 0), 0x80 | 0x40 | 0x30 | 2 << 1,
                 "ch0: mode 2 OUT high, null count before a count")
        write_count(qt, 0, 1000)
        t0 = qt.clock_step(0)
        check_eq(readback_status(qt, 0) & 0x40, 0x40, "null count until the next CLK")
        qt.clock_step(1000)
        check_eq(readback_status(qt, 0), 0x80 | 0x30 | 2 << 1, "ch0: OUT high, count loaded")
        check_eq(readback_status(qt, 2), 0x80 | 0x40 | 0x10 | 4 << 1 | 1, "ch2 status")
        # Status and count of two channels at once; the status comes first.
        qt.outb(PORT61, 0x01)
        write_count(qt, 2, 0x99, RW_LSB)
        t = qt.clock_step(12345)
        qt.outb(PORT61, 0x00)  # freeze ch2 (mode 4 pauses with the gate low)
        write_count(qt, 2, 0x99, RW_LSB)
        qt.outb(CTRL, 0xc0 | 0x02 | 0x08)
        qt.clock_step(5000)
        check_eq(qt.inb(CH0), 0x80 | 0x30 | 2 << 1, "ch0 status first")
        lo = qt.inb(CH0)
        hi = qt.inb(CH0)
        check_eq(lo | hi << 8, 1000 - (tick_at(t) - tick_at(t0)) % 1000, "then ch0's count")
        check_eq(qt.inb(CH2), 0x80 | 0x40 | 0x10 | 4 << 1 | 1, "ch2 status: new count is null")
        check_eq(qt.inb(CH2), 0x99, "ch2 count in BCD, LSB only")
        check_eq(qt.inb(CH2), 0x99, "then live reads again")
        # A control word throws away what was latched.
        qt.outb(CTRL, 0xc0 | 0x20 | 0x02)
        control(qt, 0, 3)
        check_eq(readback_status(qt, 0), 0x80 | 0x40 | 0x30 | 3 << 1, "the new mode's status")


def test_readback_keeps_first_latch():
    with QTest() as qt:
        control(qt, 0, 2)
        write_count(qt, 0, 40000)
        qt.outb(CTRL, 0xc0 | 0x10 | 0x02)  # count only
        first = 40000 - tick_at(qt.clock_step(0))
        qt.clock_step(100000)
        qt.outb(CTRL, 0xc0 | 0x10 | 0x02)
        lo = qt.inb(CH0)
        hi = qt.inb(CH0)
        check_eq(lo | hi << 8, first, "the first latched count is kept until read")


def test_bcd_counting():
    with QTest() as qt:
        t0 = qt.clock_step(0)
        control(qt, 0, 0, bcd=1)
        write_count(qt, 0, 0)  # 0 is 10000 in BCD
        now = qt.clock_step(1000000)
        d = tick_at(now) - tick_at(t0)
        v = 10000 - d
        check_eq(latch_read(qt, 0), int("%04d" % v, 16), "BCD count after %d ticks" % d)
        control(qt, 0, 2, bcd=1)
        write_count(qt, 0, 0x1000)  # 1000 decimal
        t1 = qt.clock_step(0)
        now = qt.clock_step(1000000)
        d = tick_at(now) - tick_at(t1)
        check_eq(latch_read(qt, 0), int("%04d" % (1000 - d % 1000), 16), "BCD mode 2 wraps at 1000")


def test_bcd_period_edges():
    with QTest() as qt:
        start_ch0(qt, 2, 0x0010, bcd=1)  # 10 decimal
        qt.pop_irqs()
        check_eq(edges(qt, 2), [(ns_of_tick(9), "lower"), (ns_of_tick(10), "raise")],
                 "BCD 0x10 is a period of 10 CLKs")


def test_ch2_gate_and_out2():
    with QTest() as qt:
        control(qt, 2, 0)
        write_count(qt, 2, 1000)
        check_eq(qt.inb(PORT61) & 0x21, 0x00, "gate low, OUT2 low (mode 0)")
        qt.clock_step(2000000)
        check_eq(latch_read(qt, 2), 1000, "gate low: channel 2 does not count")
        qt.outb(PORT61, 0x01)
        t0 = qt.clock_step(0)
        qt.clock_step(100000)
        d1 = tick_at(qt.clock_step(0)) - tick_at(t0)
        check_eq(latch_read(qt, 2), 1000 - d1, "counts with the gate high")
        qt.outb(PORT61, 0x00)
        qt.clock_step(500000)
        check_eq(latch_read(qt, 2), 1000 - d1, "gate low pauses mode 0")
        qt.outb(PORT61, 0x01)
        t1 = qt.clock_step(0)
        qt.clock_set(ns_of_tick(tick_at(t1) + (1000 - d1)) - 1)
        check_eq(qt.inb(PORT61) & 0x20, 0x00, "OUT2 low one ns before the terminal count")
        qt.clock_step(1)
        check_eq(qt.inb(PORT61) & 0x20, 0x20, "OUT2 high at the terminal count (bit 5)")


def test_ch2_mode2_gate_reload():
    with QTest() as qt:
        qt.outb(PORT61, 0x01)
        control(qt, 2, 2)
        write_count(qt, 2, 100)
        t0 = qt.clock_step(0)
        qt.clock_set(ns_of_tick(tick_at(t0) + 30))
        check_eq(latch_read(qt, 2), 70, "30 ticks in")
        qt.outb(PORT61, 0x00)
        check_eq(qt.inb(PORT61) & 0x20, 0x20, "gate low forces OUT2 high")
        qt.clock_step(100000)
        check_eq(latch_read(qt, 2), 70, "and stops the count")
        qt.outb(PORT61, 0x01)
        check_eq(latch_read(qt, 2), 100, "the rising gate reloads the count")


def test_ch2_mode1_one_shot():
    with QTest() as qt:
        control(qt, 2, 1)
        write_count(qt, 2, 200)
        check_eq(qt.inb(PORT61) & 0x20, 0x20, "mode 1: OUT2 high before the trigger")
        qt.clock_step(100000)
        t0 = qt.clock_step(0)
        qt.outb(PORT61, 0x01)
        check_eq(qt.inb(PORT61) & 0x20, 0x00, "the gate's rising edge starts the pulse")
        qt.clock_set(ns_of_tick(tick_at(t0) + 199))
        check_eq(qt.inb(PORT61) & 0x20, 0x00, "low for N CLKs")
        qt.clock_set(ns_of_tick(tick_at(t0) + 200))
        check_eq(qt.inb(PORT61) & 0x20, 0x20, "high at the terminal count")
        # Retrigger.
        qt.outb(PORT61, 0x00)
        qt.outb(PORT61, 0x01)
        check_eq(qt.inb(PORT61) & 0x20, 0x00, "retriggered")
        check_eq(latch_read(qt, 2), 200, "count reloaded by the trigger")


def test_ch2_mode5_hardware_strobe():
    with QTest() as qt:
        control(qt, 2, 5)
        write_count(qt, 2, 50)
        qt.clock_step(100000)
        check_eq(qt.inb(PORT61) & 0x20, 0x20, "mode 5: OUT2 high, waiting for a trigger")
        t0 = qt.clock_step(0)
        qt.outb(PORT61, 0x01)
        qt.clock_set(ns_of_tick(tick_at(t0) + 50))
        check_eq(qt.inb(PORT61) & 0x20, 0x00, "one CLK low at the terminal count")
        qt.clock_set(ns_of_tick(tick_at(t0) + 51))
        check_eq(qt.inb(PORT61) & 0x20, 0x20, "then high again")


def test_port61_bits():
    with QTest() as qt:
        check_eq(qt.inb(PORT61) & 0xcf, 0x00, "reset value (refresh aside)")
        qt.outb(PORT61, 0xff)
        check_eq(qt.inb(PORT61) & 0xcf, 0x0f, "bits 0-3 stored, 6-7 read 0")
        qt.outb(PORT61, 0x02)
        check_eq(qt.inb(PORT61) & 0x0f, 0x02, "speaker data enable alone")


def test_refresh_toggle():
    with QTest() as qt:
        seen = []
        for t in (0, 15084, 15085, 30169, 30170, 15085 * 7 + 3, 15085 * 1000):
            qt.clock_set(t)
            seen.append((t, qt.inb(PORT61) >> 4 & 1))
        check_eq(seen, [(t, (t // 15085) & 1) for t, _ in seen],
                 "bit 4 toggles every 15.085 us")


def test_reprogram_stops_timer():
    with QTest() as qt:
        start_ch0(qt, 2, 100)
        qt.pop_irqs()
        check_eq(len(edges(qt, 2)), 2, "running")
        control(qt, 0, 0)
        check_eq(qt.pop_irqs(), [("lower", 0)], "mode 0 control word drops OUT0")
        now = qt.clock_step(0)
        check_eq(qt.clock_step(), now, "no timer until a count is written")


def test_hpet_legacy_replacement_cuts_irq0():
    """The board's HPET legacy hook: LEG_RT_CNF takes IRQ 0 away from OUT0 and gives it back."""
    hpet_config = 0xfed00010
    with QTest() as qt:
        start_ch0(qt, 2, 100)
        qt.pop_irqs()
        check_eq(len(edges(qt, 4)), 4, "OUT0 drives IRQ 0")
        qt.writeq(hpet_config, 0x2)
        now = qt.clock_step(0)
        check_eq(qt.clock_step(), now, "no PIT timer while the HPET owns IRQ 0")
        qt.clock_step(1000000)
        check_eq(qt.pop_irqs(), [], "no IRQ 0 edges from the PIT")
        qt.writeq(hpet_config, 0x0)
        got = edges(qt, 2)
        k = tick_at(qt.clock_step(0))
        check_eq(got[1], (ns_of_tick(k), "raise"), "OUT0 drives IRQ 0 again")
        check_eq(k % 100, 0, "in the phase the counter kept meanwhile")


def test_hostile_sequences():
    """Every control word and odd counts, with time moving: no crash, sane answers."""
    import random
    rng = random.Random(8254)
    with QTest() as qt:
        qt.irq_intercept()
        for i in range(600):
            port = rng.choice((CH0, CH1, CH2, CTRL, CTRL, PORT61))
            if rng.random() < 0.3:
                v = qt.inb(port)
                check(0 <= v <= 0xff, "byte read")
            else:
                qt.outb(port, rng.choice((0, 1, 2, 0xff, 0x99, rng.randrange(256))))
            if i % 7 == 0:
                qt.clock_step(rng.choice((1, 838, 100000)))
        qt.outw(CH0, 0xffff)
        qt.outl(CH0, 0xffffffff)
        qt.inl(CH0)
        control(qt, 0, 2)
        write_count(qt, 0, 1)  # illegal in mode 2: counts as 2
        qt.pop_irqs()
        now = qt.clock_step(0)
        got = edges(qt, 2)
        check_eq(len(got), 2, "a period of 2 CLKs keeps running")
        check(got[0][0] > now, "edges move forward")


CASES = [
    ("i8254/count-follows-time", test_count_follows_virtual_time),
    ("i8254/mode0", test_mode0_interrupt_on_terminal_count),
    ("i8254/mode2", test_mode2_rate_generator),
    ("i8254/mode3", test_mode3_square_wave),
    ("i8254/mode3-odd", test_mode3_odd_count),
    ("i8254/mode4", test_mode4_software_strobe),
    ("i8254/mode6-alias", test_mode6_aliases_mode2),
    ("i8254/mode1-ch0", test_mode1_ch0_never_triggers),
    ("i8254/latch", test_latch_command),
    ("i8254/access-modes", test_access_modes_and_flip_flop),
    ("i8254/read-back", test_read_back_command),
    ("i8254/read-back-keeps-latch", test_readback_keeps_first_latch),
    ("i8254/bcd", test_bcd_counting),
    ("i8254/bcd-edges", test_bcd_period_edges),
    ("i8254/ch2-gate-out2", test_ch2_gate_and_out2),
    ("i8254/ch2-mode2-gate", test_ch2_mode2_gate_reload),
    ("i8254/ch2-mode1", test_ch2_mode1_one_shot),
    ("i8254/ch2-mode5", test_ch2_mode5_hardware_strobe),
    ("i8254/port61-bits", test_port61_bits),
    ("i8254/refresh-toggle", test_refresh_toggle),
    ("i8254/reprogram", test_reprogram_stops_timer),
    ("i8254/hpet-legacy", test_hpet_legacy_replacement_cuts_irq0),
    ("i8254/hostile-sequences", test_hostile_sequences),
]

if __name__ == "__main__":
    run_cases(CASES)
