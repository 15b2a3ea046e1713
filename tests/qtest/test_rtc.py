#!/usr/bin/env python3
"""mc146818rtc at register level over qtest: time formats, SET, UIP, the
periodic, alarm and update interrupts on IRQ 8, and the CMOS bytes the board
fills for the BIOS.

With -rtc clock=vm the RTC counts the virtual clock, which moves only with
clock_step, so every timing below is exact.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402

SEC, SEC_ALARM, MIN, MIN_ALARM, HOUR, HOUR_ALARM = 0, 1, 2, 3, 4, 5
DOW, DOM, MONTH, YEAR, REG_A, REG_B, REG_C, REG_D, CENTURY = 6, 7, 8, 9, 10, 11, 12, 13, 0x32
B_SET, B_PIE, B_AIE, B_UIE, B_DM_BIN, B_24H = 0x80, 0x40, 0x20, 0x10, 0x04, 0x02
C_IRQF, C_PF, C_AF, C_UF = 0x80, 0x40, 0x20, 0x10
A_UIP = 0x80
NS = 10**9
RTC_VM = ["-rtc", "base=2006-06-17T16:01:21,clock=vm"]


def rd(qt, reg):
    qt.outb(0x70, reg)
    return qt.inb(0x71)


def wr(qt, reg, val):
    qt.outb(0x70, reg)
    qt.outb(0x71, val)


def resync(qt):
    """Toggle SET: the count restarts at a whole second at the current clock time."""
    b = rd(qt, REG_B)
    wr(qt, REG_B, b | B_SET)
    wr(qt, REG_B, b & ~B_SET)
    return qt.clock_step(0)


def test_date_bcd():
    with QTest(RTC_VM) as qt:
        got = [rd(qt, r) for r in (SEC, MIN, HOUR, DOW, DOM, MONTH, YEAR, CENTURY)]
        # 2006-06-17 was a Saturday: day of week 7 (Sunday is 1).
        check_eq(got, [0x21, 0x01, 0x16, 0x07, 0x17, 0x06, 0x06, 0x20], "BCD date and time")
        check_eq(rd(qt, REG_B) & (B_DM_BIN | B_24H), B_24H, "power-on: BCD, 24-hour")
        check_eq(rd(qt, REG_D), 0x80, "register D: VRT")


def test_binary_and_12h():
    with QTest(RTC_VM) as qt:
        wr(qt, REG_B, B_DM_BIN)  # binary, 12-hour
        check_eq(rd(qt, SEC), 21, "binary seconds")
        check_eq(rd(qt, HOUR), 0x80 | 4, "4 PM in 12-hour binary")
        check_eq(rd(qt, YEAR), 6, "binary year")
        wr(qt, REG_B, 0)  # BCD, 12-hour
        check_eq(rd(qt, HOUR), 0x84, "4 PM in 12-hour BCD")
        wr(qt, REG_B, B_DM_BIN | B_24H)
        check_eq(rd(qt, HOUR), 16, "24-hour binary")
        # Set 12:30 AM through SET in 12-hour mode: hour register 12 without PM is 00h.
        wr(qt, REG_B, B_SET | B_DM_BIN)
        wr(qt, HOUR, 12)
        wr(qt, MIN, 30)
        wr(qt, REG_B, B_DM_BIN)
        check_eq(rd(qt, HOUR), 12, "12 AM in 12-hour mode")
        wr(qt, REG_B, B_DM_BIN | B_24H)
        check_eq(rd(qt, HOUR), 0, "12 AM is hour 0")
        check_eq(rd(qt, MIN), 30, "minutes kept")


def test_time_advances():
    with QTest(RTC_VM) as qt:
        start = qt.clock_step(0)
        check_eq(start, 0, "virtual clock starts at 0")
        qt.clock_step(NS - 1)
        check_eq(rd(qt, SEC), 0x21, "just before the first second")
        qt.clock_step(1)
        check_eq(rd(qt, SEC), 0x22, "after one second")
        qt.clock_step(3600 * NS)
        check_eq([rd(qt, HOUR), rd(qt, MIN), rd(qt, SEC)], [0x17, 0x01, 0x22], "an hour later")
        qt.clock_step(8 * 3600 * NS)
        check_eq([rd(qt, DOM), rd(qt, DOW), rd(qt, HOUR)], [0x18, 0x01, 0x01],
                 "past midnight: Sunday the 18th")


def test_set_bit():
    with QTest(RTC_VM) as qt:
        wr(qt, REG_B, B_24H | B_UIE)
        wr(qt, REG_B, B_SET | B_24H | B_UIE)
        check_eq(rd(qt, REG_B), B_SET | B_24H, "SET clears UIE")
        wr(qt, SEC, 0x58)
        wr(qt, MIN, 0x59)
        wr(qt, HOUR, 0x23)
        wr(qt, DOM, 0x31)
        wr(qt, MONTH, 0x12)
        wr(qt, YEAR, 0x99)
        wr(qt, CENTURY, 0x19)
        qt.clock_step(5 * NS)
        check_eq(rd(qt, SEC), 0x58, "frozen while SET")
        wr(qt, REG_B, B_24H)
        check_eq(rd(qt, SEC), 0x58, "counting from the written time")
        qt.clock_step(2 * NS)
        got = [rd(qt, r) for r in (SEC, MIN, HOUR, DOM, MONTH, YEAR, CENTURY)]
        check_eq(got, [0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20], "rolled over into 2000")


def test_write_time_while_running():
    with QTest(RTC_VM) as qt:
        qt.clock_step(NS // 2)
        wr(qt, MIN, 0x30)
        check_eq([rd(qt, MIN), rd(qt, SEC)], [0x30, 0x21], "minute changed, second kept")
        qt.clock_step(NS // 2)
        check_eq(rd(qt, SEC), 0x22, "the second's fraction was kept")


def test_uip():
    with QTest(RTC_VM) as qt:
        resync(qt)
        check_eq(rd(qt, REG_A) & A_UIP, 0, "UIP clear after an update")
        qt.clock_step(NS - 244000 - 1)
        check_eq(rd(qt, REG_A) & A_UIP, 0, "UIP clear 244 us + 1 ns before the update")
        qt.clock_step(1)
        check_eq(rd(qt, REG_A), A_UIP | 0x26, "UIP set 244 us before the update")
        check_eq(rd(qt, SEC), 0x21, "time not updated yet")
        qt.clock_step(244000)
        check_eq(rd(qt, REG_A) & A_UIP, 0, "UIP clear after the update")
        check_eq(rd(qt, SEC), 0x22, "updated")
        wr(qt, REG_B, B_SET | B_24H)
        qt.clock_step(NS - 100000)
        check_eq(rd(qt, REG_A) & A_UIP, 0, "no update cycle while SET")


def test_periodic_interrupt():
    with QTest(RTC_VM) as qt:
        qt.irq_intercept()
        t0 = resync(qt)
        wr(qt, REG_A, 0x2f)  # rate 15: 500 ms
        rd(qt, REG_C)
        wr(qt, REG_B, B_24H | B_PIE)
        check_eq(qt.irq_get(8), 0, "no interrupt yet")
        qt.clock_step(NS // 2 - 1)
        check_eq(qt.irq_get(8), 0, "not before 500 ms")
        qt.pop_irqs()
        qt.clock_step(1)
        check_eq(qt.irq_get(8), 1, "IRQ 8 at 500 ms")
        check_eq(qt.pop_irqs(), [("raise", 8)], "one raise")
        check_eq(rd(qt, REG_C), C_IRQF | C_PF, "register C: IRQF and PF")
        check_eq(qt.irq_get(8), 0, "reading C lowers IRQ 8")
        check_eq(rd(qt, REG_C), 0, "reading C cleared it")
        # 1024 Hz (rate 6): each period is 976562.5 ns, deadlines rounded up.
        wr(qt, REG_A, 0x26)
        rd(qt, REG_C)
        now = qt.clock_step(0)
        deltas = []
        for _ in range(8):
            nxt = qt.clock_step()
            check_eq(qt.irq_get(8), 1, "IRQ at each period")
            rd(qt, REG_C)
            deltas.append(nxt - now)
            now = nxt
        check(all(976562 <= d <= 976563 for d in deltas[1:]), "1024 Hz periods: %r" % deltas)
        check_eq((now - t0) * 1024 % NS < 1024, True, "periods aligned with the second")
        # PF without PIE still sets, but raises nothing.
        wr(qt, REG_B, B_24H)
        rd(qt, REG_C)
        qt.clock_step(2 * NS // 1024)
        check_eq(qt.irq_get(8), 0, "no IRQ without PIE")
        check_eq(rd(qt, REG_C) & (C_IRQF | C_PF), C_PF, "PF alone")


def test_alarm():
    with QTest(RTC_VM) as qt:
        qt.irq_intercept()
        wr(qt, SEC_ALARM, 0x25)
        wr(qt, MIN_ALARM, 0xc0)   # don't care
        wr(qt, HOUR_ALARM, 0xff)  # don't care
        rd(qt, REG_C)
        wr(qt, REG_B, B_24H | B_AIE)
        qt.clock_step(4 * NS - 1)
        check_eq(qt.irq_get(8), 0, "no alarm before 16:01:25")
        qt.clock_step(1)
        check_eq(qt.irq_get(8), 1, "alarm at 16:01:25")
        # PF sets too: the 1024 Hz rate runs, only PIE is off.
        check_eq(rd(qt, REG_C) & ~C_PF, C_IRQF | C_AF | C_UF, "IRQF, AF (and UF)")
        qt.clock_step(59 * NS)
        check_eq(qt.irq_get(8), 0, "not at 16:02:24")
        qt.clock_step(NS)
        check_eq(qt.irq_get(8), 1, "again at 16:02:25 (minutes don't care)")
        rd(qt, REG_C)
        # An exact alarm that the clock passes while AIE is off still sets AF.
        wr(qt, REG_B, B_24H)
        wr(qt, MIN_ALARM, 0x05)
        wr(qt, HOUR_ALARM, 0x16)
        qt.clock_step(5 * 60 * NS)
        check_eq(qt.irq_get(8), 0, "no IRQ without AIE")
        check_eq(rd(qt, REG_C) & C_AF, C_AF, "AF set at 16:05:25")


def test_update_interrupt():
    with QTest(RTC_VM) as qt:
        qt.irq_intercept()
        t0 = resync(qt)
        rd(qt, REG_C)
        wr(qt, REG_B, B_24H | B_UIE)
        now = qt.clock_step()
        check_eq(now - t0, NS, "first update one second after the restart")
        check_eq(qt.irq_get(8), 1, "update-ended interrupt")
        check_eq(rd(qt, REG_C) & ~C_PF, C_IRQF | C_UF, "IRQF and UF")
        check_eq(qt.irq_get(8), 0, "lowered by reading C")
        check_eq(qt.clock_step() - now, NS, "once per second")
        check_eq(qt.irq_get(8), 1, "next update")


def test_cmos_memory_128m():
    with QTest(["-m", "128"]) as qt:
        check_eq(rd(qt, 0x15) | rd(qt, 0x16) << 8, 640, "base memory KiB")
        check_eq(rd(qt, 0x17) | rd(qt, 0x18) << 8, 0xffff, "extended memory KiB (capped)")
        check_eq(rd(qt, 0x30) | rd(qt, 0x31) << 8, 0xffff, "extended memory copy")
        check_eq(rd(qt, 0x34) | rd(qt, 0x35) << 8, (128 - 16) * 16, "above 16 MiB, 64 KiB")
        check_eq([rd(qt, 0x5b), rd(qt, 0x5c), rd(qt, 0x5d)], [0, 0, 0], "nothing above 4 GiB")
        check_eq(rd(qt, 0x5f), 0, "one CPU")
        check_eq(rd(qt, 0x10), 0, "no floppy")
        check_eq(rd(qt, 0x14), 0x06, "equipment byte")
        check_eq([rd(qt, 0x3d), rd(qt, 0x38) & 0xf0], [0x12, 0x30], "default boot order cad")
    with QTest(["-m", "12"]) as qt:
        check_eq(rd(qt, 0x17) | rd(qt, 0x18) << 8, 11 * 1024, "extended memory for 12 MiB")
        check_eq(rd(qt, 0x34) | rd(qt, 0x35) << 8, 0, "nothing above 16 MiB")


def test_cmos_memory_4g():
    with QTest(["-m", "4G", "-smp", "2"]) as qt:
        check_eq(rd(qt, 0x34) | rd(qt, 0x35) << 8, (3072 - 16) * 16, "3 GiB below 4 GiB")
        check_eq([rd(qt, 0x5b), rd(qt, 0x5c), rd(qt, 0x5d)], [0x00, 0x40, 0x00],
                 "1 GiB above 4 GiB in 64 KiB units")
        check_eq(rd(qt, 0x5f), 1, "two CPUs")


def test_boot_order():
    with QTest(["-boot", "order=dcn"]) as qt:
        check_eq(rd(qt, 0x3d), 0x23, "cdrom then disk")
        check_eq(rd(qt, 0x38) & 0xf0, 0x40, "network third")


def test_nvram_and_nmi_mask():
    with QTest(RTC_VM) as qt:
        for reg, val in ((0x40, 0xa5), (0x7f, 0x5a), (0x0e, 0x11)):
            wr(qt, reg, val)
            check_eq(rd(qt, reg), val, "NVRAM byte 0x%x" % reg)
        # Bit 7 of the index masks NMI and is not part of the address.
        qt.outb(0x70, 0x80 | 0x40)
        check_eq(qt.inb(0x71), 0xa5, "index with the NMI mask bit")
        wr(qt, REG_C, 0xff)
        check_eq(rd(qt, REG_C), 0, "register C is read-only")
        wr(qt, REG_D, 0x00)
        check_eq(rd(qt, REG_D), 0x80, "register D is read-only")


def test_reset_keeps_time_and_clears_enables():
    with QTest(RTC_VM) as qt:
        wr(qt, 0x50, 0x77)
        wr(qt, REG_B, B_24H | B_PIE | B_UIE)
        qt.cmd("irq_intercept_in isa")
        qt.clock_step(NS)
        check_eq(qt.irq_get(8), 1, "interrupt pending")
        wr(qt, REG_A, 0x26)
        qt.outb(0x64, 0xfe)  # i8042 pulse reset: a guest reset of the machine
        qt.clock_step(0)
        check_eq(rd(qt, REG_B), B_24H, "enables cleared by reset")
        check_eq(qt.irq_get(8), 0, "IRQ 8 dropped")
        check_eq(rd(qt, 0x50), 0x77, "NVRAM kept")
        check_eq(rd(qt, SEC), 0x22, "time kept")


if __name__ == "__main__":
    run_cases([(name, fn) for name, fn in sorted(globals().items())
               if name.startswith("test_") and callable(fn)])
