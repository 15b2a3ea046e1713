#!/usr/bin/env python3
"""The 8259A master/slave pair ("i8259") and the ELCR at register level, over qtest.

Requests come from `set_irq_in isa N LEVEL` (the ISA line, as a device would
drive it); the CPU's INTA is stood in for by the poll command (OCW3 P), which
acknowledges exactly like INTA and returns 0x80 | level.  The master's INTR pin
is watched through the "pic-intr" line group.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest import QTest, check, check_eq, run_cases  # noqa: E402

M_CMD, M_DATA, S_CMD, S_DATA = 0x20, 0x21, 0xa0, 0xa1
ELCR1, ELCR2 = 0x4d0, 0x4d1
OCW3_READ_IRR, OCW3_READ_ISR, OCW3_POLL = 0x0a, 0x0b, 0x0c
OCW3_SET_SMM, OCW3_CLEAR_SMM = 0x68, 0x48
EOI, SPECIFIC_EOI, ROTATE_EOI, SET_PRIORITY = 0x20, 0x60, 0xa0, 0xc0
ROTATE_AEOI_SET, ROTATE_AEOI_CLEAR = 0x80, 0x00
NO_IRQ = 0x07  # poll word with the I bit clear


def init_linux(qt, aeoi=False):
    """arch/x86/kernel/i8259.c's sequence: vectors 0x30/0x38, cascade on IR2."""
    icw4 = 0x03 if aeoi else 0x01
    for port, val in ((M_DATA, 0xff), (S_DATA, 0xff),
                      (M_CMD, 0x11), (M_DATA, 0x30), (M_DATA, 0x04), (M_DATA, icw4),
                      (S_CMD, 0x11), (S_DATA, 0x38), (S_DATA, 0x02), (S_DATA, 0x01),
                      (M_DATA, 0x00), (S_DATA, 0x00)):
        qt.outb(port, val)


def init_seabios(qt):
    """SeaBIOS's pic_setup: vectors 0x08/0x70, everything but the cascade masked."""
    for port, val in ((M_CMD, 0x11), (S_CMD, 0x11), (M_DATA, 0x08), (S_DATA, 0x70),
                      (M_DATA, 0x04), (S_DATA, 0x02), (M_DATA, 0x01), (S_DATA, 0x01),
                      (M_DATA, 0xfb), (S_DATA, 0xff)):
        qt.outb(port, val)


def irr(qt, cmd=M_CMD):
    qt.outb(cmd, OCW3_READ_IRR)
    return qt.inb(cmd)


def isr(qt, cmd=M_CMD):
    qt.outb(cmd, OCW3_READ_ISR)
    v = qt.inb(cmd)
    qt.outb(cmd, OCW3_READ_IRR)
    return v


def poll(qt, cmd=M_CMD):
    qt.outb(cmd, OCW3_POLL)
    return qt.inb(cmd)


def intr(qt):
    return qt.irq_get(0, "pic-intr")


def start(init=init_linux, **kw):
    qt = QTest()
    init(qt, **kw)
    return qt


def test_reset_state():
    with QTest() as qt:
        check_eq(qt.inb(M_DATA), 0x00, "master IMR")
        check_eq(qt.inb(S_DATA), 0x00, "slave IMR")
        check_eq(qt.inb(M_CMD), 0x00, "master IRR")
        check_eq(isr(qt), 0x00, "master ISR")
        check_eq(qt.inb(ELCR1), 0x00, "ELCR1")
        check_eq(qt.inb(ELCR2), 0x00, "ELCR2")
        check_eq(intr(qt), 0, "INTR")


def test_linux_init_sequence():
    with start() as qt:
        check_eq(qt.inb(M_DATA), 0x00, "master IMR after init")
        qt.outb(M_DATA, 0xa5)
        qt.outb(S_DATA, 0x5a)
        check_eq(qt.inb(M_DATA), 0xa5, "master IMR (OCW1)")
        check_eq(qt.inb(S_DATA), 0x5a, "slave IMR (OCW1)")
        qt.outb(M_DATA, 0)
        qt.set_irq_in("isa", 6, 1)
        check_eq(intr(qt), 1, "INTR for IRQ 6")
        check_eq(poll(qt), 0x86, "poll word for IRQ 6")
        check_eq(intr(qt), 0, "INTR after acknowledge")


def test_seabios_init_sequence():
    with start(init_seabios) as qt:
        check_eq(qt.inb(M_DATA), 0xfb, "master IMR")
        check_eq(qt.inb(S_DATA), 0xff, "slave IMR")
        qt.set_irq_in("isa", 1, 1)
        check_eq(irr(qt), 0x02, "a masked request still shows in IRR")
        check_eq(intr(qt), 0, "but raises no INTR")
        qt.outb(M_DATA, 0xf9)
        check_eq(intr(qt), 1, "INTR once IRQ 1 is unmasked")
        check_eq(poll(qt), 0x81, "poll IRQ 1")


def test_reinit_clears_state():
    with start() as qt:
        qt.set_irq_in("isa", 3, 1)
        poll(qt)
        qt.outb(M_DATA, 0x55)
        check_eq(isr(qt), 0x08, "IRQ 3 in service")
        qt.outb(M_CMD, 0x11)
        qt.outb(M_DATA, 0x30)
        qt.outb(M_DATA, 0x04)
        qt.outb(M_DATA, 0x01)
        check_eq(isr(qt), 0x00, "ICW1 clears ISR")
        check_eq(qt.inb(M_DATA), 0x00, "ICW1 clears IMR")
        check_eq(irr(qt), 0x00, "ICW1 resets the edge latch of a line held high")
        check_eq(intr(qt), 0, "no INTR without a new edge")
        qt.set_irq_in("isa", 3, 0)
        qt.set_irq_in("isa", 3, 1)
        check_eq(poll(qt), 0x83, "a new edge is seen")


def test_irr_isr_reads():
    with start() as qt:
        qt.set_irq_in("isa", 3, 1)
        qt.set_irq_in("isa", 5, 1)
        check_eq(irr(qt), 0x28, "IRR with IRQ 3 and 5")
        check_eq(isr(qt), 0x00, "ISR empty")
        check_eq(poll(qt), 0x83, "IRQ 3 first")
        check_eq(irr(qt), 0x20, "IRR after acknowledging the edge of IRQ 3")
        check_eq(isr(qt), 0x08, "ISR holds IRQ 3")
        # The read register selection sticks until changed.
        qt.outb(M_CMD, OCW3_READ_ISR)
        check_eq(qt.inb(M_CMD), 0x08, "ISR")
        check_eq(qt.inb(M_CMD), 0x08, "ISR again")
        check_eq(qt.inb(M_DATA), 0x00, "A0=1 still reads IMR")


def test_poll_mode():
    with start() as qt:
        check_eq(poll(qt), NO_IRQ, "poll with nothing pending")
        check_eq(isr(qt), 0x00, "no ISR bit from an empty poll")
        qt.set_irq_in("isa", 7, 1)
        qt.set_irq_in("isa", 4, 1)
        check_eq(poll(qt), 0x84, "poll IRQ 4")
        check_eq(poll(qt), NO_IRQ, "IRQ 7 waits behind IRQ 4 in service")
        qt.outb(M_CMD, EOI)
        check_eq(poll(qt), 0x87, "then IRQ 7")
        # The poll applies to one read only.
        check_eq(qt.inb(M_CMD), 0x00, "next read is IRR again")


def test_non_specific_and_specific_eoi():
    with start() as qt:
        qt.set_irq_in("isa", 4, 1)
        check_eq(poll(qt), 0x84, "IRQ 4")
        qt.set_irq_in("isa", 1, 1)
        check_eq(poll(qt), 0x81, "IRQ 1 preempts 4")
        check_eq(isr(qt), 0x12, "ISR 1 and 4")
        qt.outb(M_CMD, EOI)
        check_eq(isr(qt), 0x10, "non-specific EOI ends the highest (1)")
        qt.set_irq_in("isa", 6, 1)
        qt.outb(M_CMD, SPECIFIC_EOI | 6)
        check_eq(isr(qt), 0x10, "specific EOI of a level not in service changes nothing")
        qt.outb(M_CMD, SPECIFIC_EOI | 4)
        check_eq(isr(qt), 0x00, "specific EOI 4")
        check_eq(poll(qt), 0x86, "IRQ 6 now")


def test_masking():
    with start() as qt:
        qt.outb(M_DATA, 0x08)
        qt.set_irq_in("isa", 3, 1)
        check_eq(intr(qt), 0, "masked IRQ 3 gives no INTR")
        check_eq(poll(qt), NO_IRQ, "nor a poll result")
        qt.outb(S_DATA, 0x04)
        qt.set_irq_in("isa", 10, 1)
        check_eq(intr(qt), 0, "masked slave IRQ 10 gives no INTR")
        check_eq(irr(qt, S_CMD), 0x04, "slave IRR")
        check_eq(irr(qt), 0x08, "master IR2 stays quiet")
        qt.outb(S_DATA, 0x00)
        check_eq(intr(qt), 1, "unmasking IRQ 10 raises INTR")
        qt.outb(M_DATA, 0x0c)
        check_eq(intr(qt), 0, "masking the cascade drops it")
        qt.outb(M_DATA, 0x00)
        check_eq(poll(qt), 0x82, "the cascade (IR2) comes before IRQ 3")


def test_special_mask_mode():
    with start() as qt:
        qt.set_irq_in("isa", 3, 1)
        check_eq(poll(qt), 0x83, "IRQ 3 in service")
        qt.set_irq_in("isa", 5, 1)
        check_eq(intr(qt), 0, "IRQ 5 is held back by 3 in service")
        qt.outb(M_DATA, 0x08)
        qt.outb(M_CMD, OCW3_SET_SMM)
        check_eq(intr(qt), 1, "special mask mode: masked 3 in service no longer blocks 5")
        check_eq(poll(qt), 0x85, "IRQ 5")
        check_eq(isr(qt), 0x28, "both in service")
        qt.outb(M_CMD, SPECIFIC_EOI | 5)
        qt.outb(M_CMD, OCW3_CLEAR_SMM)
        qt.outb(M_DATA, 0x00)
        qt.set_irq_in("isa", 6, 0)
        qt.set_irq_in("isa", 6, 1)
        check_eq(intr(qt), 0, "normal nesting again: 3 blocks 6")


def test_priority_rotation():
    with start() as qt:
        qt.outb(M_CMD, SET_PRIORITY | 4)  # IR4 lowest, IR5 highest
        qt.set_irq_in("isa", 3, 1)
        qt.set_irq_in("isa", 5, 1)
        check_eq(poll(qt), 0x85, "IR5 has the highest priority")
        check_eq(poll(qt), NO_IRQ, "IR3 is below IR5 in service")
        qt.outb(M_CMD, EOI)
        check_eq(poll(qt), 0x83, "then IR3")
        # Rotate on non-specific EOI: IR3 becomes lowest, so IR4 is highest.
        qt.outb(M_CMD, ROTATE_EOI)
        check_eq(isr(qt), 0x00, "rotating EOI ended IR3")
        qt.set_irq_in("isa", 0, 1)
        qt.set_irq_in("isa", 4, 1)
        qt.set_irq_in("isa", 3, 0)
        qt.set_irq_in("isa", 3, 1)
        check_eq(poll(qt), 0x84, "IR4 highest after the rotation")
        check_eq(poll(qt), NO_IRQ, "IR0 is below IR4")
        # Rotate on specific EOI 0: IR1 becomes highest.
        qt.outb(M_CMD, 0xe0 | 4)  # specific rotate: end IR4, make it lowest
        check_eq(poll(qt), 0x80, "IR0 next (IR5 is highest, then 6, 7, 0)")
        qt.outb(M_CMD, 0xe0 | 0)
        check_eq(poll(qt), 0x83, "IR3 is served after the rotation to IR0 lowest")


def test_auto_eoi():
    with start(aeoi=True) as qt:
        qt.set_irq_in("isa", 3, 1)
        qt.set_irq_in("isa", 5, 1)
        check_eq(poll(qt), 0x83, "IRQ 3")
        check_eq(isr(qt), 0x00, "AEOI leaves nothing in service")
        check_eq(intr(qt), 1, "IRQ 5 follows at once")
        check_eq(poll(qt), 0x85, "IRQ 5")
        # Rotate in AEOI mode: each acknowledged level becomes the lowest.
        qt.outb(M_CMD, ROTATE_AEOI_SET)
        qt.set_irq_in("isa", 1, 1)
        qt.set_irq_in("isa", 6, 1)
        check_eq(poll(qt), 0x81, "IR1 (IR7 lowest)")
        qt.set_irq_in("isa", 1, 0)
        qt.set_irq_in("isa", 1, 1)
        check_eq(poll(qt), 0x86, "IR6 before IR1, which rotated to lowest")
        check_eq(poll(qt), 0x81, "then IR1")
        qt.outb(M_CMD, ROTATE_AEOI_CLEAR)
        for _ in range(2):
            for n in (3, 7):
                qt.set_irq_in("isa", n, 0)
                qt.set_irq_in("isa", n, 1)
            check_eq(poll(qt), 0x83, "IR3 before IR7 (IR1 lowest), without further rotation")
            check_eq(poll(qt), 0x87, "then IR7")


def test_elcr_level_vs_edge():
    with start() as qt:
        qt.outb(ELCR1, 0xff)
        qt.outb(ELCR2, 0xff)
        check_eq(qt.inb(ELCR1), 0xf8, "IRQ 0, 1, 2 are fixed edge")
        check_eq(qt.inb(ELCR2), 0xde, "IRQ 8, 13 are fixed edge")
        qt.outb(ELCR1, 0x20)
        qt.outb(ELCR2, 0x00)
        check_eq(qt.inb(ELCR1), 0x20, "IRQ 5 level")
        # Level: a line still held after EOI asks again.
        qt.set_irq_in("isa", 5, 1)
        check_eq(poll(qt), 0x85, "IRQ 5")
        check_eq(irr(qt), 0x20, "a level request stays in IRR while held")
        check_eq(intr(qt), 0, "in service")
        qt.outb(M_CMD, EOI)
        check_eq(intr(qt), 1, "held level line re-asserts after EOI")
        check_eq(poll(qt), 0x85, "IRQ 5 again")
        qt.set_irq_in("isa", 5, 0)
        qt.outb(M_CMD, EOI)
        check_eq(intr(qt), 0, "released level line: nothing")
        check_eq(irr(qt), 0x00, "IRR follows the level")
        # Edge: held high after EOI is not a new request.
        qt.set_irq_in("isa", 4, 1)
        check_eq(poll(qt), 0x84, "IRQ 4")
        qt.outb(M_CMD, EOI)
        check_eq(intr(qt), 0, "an edge line held high asks only once")
        qt.set_irq_in("isa", 4, 0)
        qt.set_irq_in("isa", 4, 1)
        check_eq(poll(qt), 0x84, "a new edge asks again")


def test_ltim_level_mode():
    with QTest() as qt:
        for port, val in ((M_CMD, 0x19), (M_DATA, 0x30), (M_DATA, 0x04), (M_DATA, 0x01)):
            qt.outb(port, val)
        qt.set_irq_in("isa", 1, 1)
        check_eq(poll(qt), 0x81, "IRQ 1")
        qt.outb(M_CMD, EOI)
        check_eq(intr(qt), 1, "LTIM makes even IRQ 1 level triggered")


def test_cascade():
    with start() as qt:
        qt.set_irq_in("isa", 10, 1)
        check_eq(irr(qt, S_CMD), 0x04, "slave IRR bit 2 (IRQ 10)")
        check_eq(irr(qt), 0x04, "master sees the slave on IR2")
        check_eq(intr(qt), 1, "INTR")
        check_eq(poll(qt), 0x82, "master poll: the cascade")
        check_eq(poll(qt, S_CMD), 0x82, "slave poll: its IR2 = IRQ 10")
        check_eq(isr(qt), 0x04, "master ISR")
        check_eq(isr(qt, S_CMD), 0x04, "slave ISR")
        qt.set_irq_in("isa", 15, 1)
        qt.set_irq_in("isa", 9, 1)
        check_eq(intr(qt), 0, "master IR2 in service blocks the slave")
        qt.outb(S_CMD, EOI)
        qt.outb(M_CMD, EOI)
        check_eq(intr(qt), 1, "after both EOIs the slave asks again")
        check_eq(poll(qt), 0x82, "cascade")
        check_eq(poll(qt, S_CMD), 0x81, "IRQ 9 before IRQ 15")
        qt.set_irq_in("isa", 3, 1)
        check_eq(intr(qt), 0, "IRQ 3 is below IR2 in service")
        qt.set_irq_in("isa", 1, 1)
        check_eq(intr(qt), 1, "IRQ 1 is above IR2")


def test_intr_output_events():
    with start() as qt:
        qt.irq_intercept("pic-intr")
        qt.set_irq_in("isa", 3, 1)
        check_eq(qt.pop_irqs(), [("raise", 0)], "INTR rises with the request")
        poll(qt)
        check_eq(qt.pop_irqs(), [("lower", 0)], "and falls on acknowledge")
        qt.set_irq_in("isa", 5, 1)
        check_eq(qt.pop_irqs(), [], "IRQ 5 waits for EOI")
        qt.outb(M_CMD, EOI)
        check_eq(qt.pop_irqs(), [("raise", 0)], "EOI lets IRQ 5 through")
        qt.outb(M_DATA, 0x20)
        check_eq(qt.pop_irqs(), [("lower", 0)], "masking drops INTR")
        qt.outb(M_DATA, 0x00)
        check_eq(qt.pop_irqs(), [("raise", 0)], "unmasking raises it")


def test_spurious_irq7():
    with start() as qt:
        qt.irq_intercept("pic-intr")
        qt.set_irq_in("isa", 4, 1)
        qt.set_irq_in("isa", 4, 0)
        check_eq(qt.pop_irqs(), [("raise", 0), ("lower", 0)], "INTR follows the short request")
        check_eq(poll(qt), NO_IRQ, "nothing left by the acknowledge: IR7 default, I clear")
        check_eq(isr(qt), 0x00, "the default IR7 sets no ISR bit")
        # The same on the slave: its default level leaves the master's IR2 in service.
        qt.set_irq_in("isa", 11, 1)
        check_eq(poll(qt), 0x82, "master takes the cascade")
        qt.set_irq_in("isa", 11, 0)
        check_eq(poll(qt, S_CMD), NO_IRQ, "slave has nothing: IRQ 15 default")
        check_eq(isr(qt, S_CMD), 0x00, "no slave ISR bit")
        check_eq(isr(qt), 0x04, "master IR2 still needs its EOI")


def test_irq2_input_ignored():
    with start() as qt:
        qt.set_irq_in("isa", 2, 1)
        check_eq(irr(qt), 0x00, "ISA IRQ 2 is not the cascade input")
        check_eq(intr(qt), 0, "no INTR")


def test_hostile_values():
    with start() as qt:
        for v in range(256):
            qt.outb(M_CMD, v if v & 0x18 != 0x10 else 0x0a)  # all OCW2/OCW3 forms
        for v in (0x00, 0xff, 0x1f):
            qt.outb(M_CMD, v)
            qt.outb(M_DATA, v)
            qt.outb(M_DATA, v)
            qt.outb(M_DATA, v)
        qt.outw(M_CMD, 0xffff)
        qt.outl(ELCR1, 0xffffffff)
        qt.inl(M_CMD)
        check(qt.inb(ELCR1) == 0xf8, "still answering")


def test_inta_through_the_cpu():
    """intr_ack runs the CPU's INTA: straight from INTR on a 486, no APIC in the way."""
    with QTest(["-cpu", "486"]) as qt:
        init_linux(qt)
        check_eq(qt.intr_ack(), -1, "no INTR, no INTA")
        qt.set_irq_in("isa", 3, 1)
        check_eq(qt.intr_ack(), 0x33, "IRQ 3 at vector 0x30 + 3")
        check_eq(isr(qt), 0x08, "INTA set ISR")
        qt.set_irq_in("isa", 10, 1)
        check_eq(qt.intr_ack(), 0x3a, "IRQ 10 through the cascade: slave vector 0x38 + 2")
        check_eq(isr(qt), 0x0c, "master ISR: IR2 and IR3")
        check_eq(isr(qt, S_CMD), 0x04, "slave ISR: IR2")
        qt.set_irq_in("isa", 1, 1)
        qt.set_irq_in("isa", 1, 0)  # INTR dropped too: the CPU never sees it
        check_eq(qt.intr_ack(), -1, "a withdrawn request drops INTR")


def test_inta_virtual_wire():
    """With the local APIC in virtual-wire mode (LINT0 = ExtINT) INTA reaches the PIC."""
    with QTest() as qt:
        init_linux(qt)
        qt.writel(0xfee000f0, 0x1ff)  # SVR: APIC software-enabled
        qt.writel(0xfee00350, 0x700)  # LVT LINT0: ExtINT, unmasked
        qt.set_irq_in("isa", 5, 1)
        check_eq(qt.intr_ack(), 0x35, "IRQ 5 through LINT0")
        qt.outb(M_CMD, EOI)
        qt.set_irq_in("isa", 12, 1)
        check_eq(qt.intr_ack(), 0x3c, "IRQ 12 through the cascade and LINT0")


def test_qtest_named_irq_commands():
    with QTest() as qt:
        for line in ("set_irq_in isa 16 1", "set_irq_in isa 1 2", "set_irq_in nope 0 1",
                     "set_irq_in isa 1", "irq_get pic-intr 1", "irq_get nope 0",
                     "irq_intercept_in nope", "irq_intercept_out", "set_irq_in isa x 1"):
            reply = qt.raw(line)
            check(reply.startswith("FAIL"), "%r -> %r, expected FAIL" % (line, reply))
        check("pic-intr" in qt.raw("irq_intercept_in nope"), "the FAIL lists the known groups")
        qt.cmd("irq_intercept_out pic-intr")
        qt.cmd("irq_intercept_out pic-intr")  # a second time is harmless
        qt.irq_intercept("isa")
        init_linux(qt)
        qt.set_irq_in("isa", 9, 1)
        check_eq(qt.irq_get(9), 1, "set_irq_in sets the ISA line's level")
        check_eq(qt.irq_get(0, "pic-intr"), 1, "irq_get NAME N")
        # An observer runs after the line's handler, and INTR changes inside that handler.
        check_eq(qt.pop_irqs(), [("raise", 0), ("raise", 9)],
                 "INTR (line 0 of pic-intr), then the ISA line")
        qt.set_irq_in("isa", 9, 0)
        check_eq(qt.pop_irqs(), [("lower", 0), ("lower", 9)], "and both fall")


CASES = [
    ("i8259/reset-state", test_reset_state),
    ("i8259/linux-init", test_linux_init_sequence),
    ("i8259/seabios-init", test_seabios_init_sequence),
    ("i8259/reinit-clears", test_reinit_clears_state),
    ("i8259/irr-isr-reads", test_irr_isr_reads),
    ("i8259/poll-mode", test_poll_mode),
    ("i8259/eoi", test_non_specific_and_specific_eoi),
    ("i8259/masking", test_masking),
    ("i8259/special-mask-mode", test_special_mask_mode),
    ("i8259/rotation", test_priority_rotation),
    ("i8259/auto-eoi", test_auto_eoi),
    ("i8259/elcr-level-edge", test_elcr_level_vs_edge),
    ("i8259/ltim", test_ltim_level_mode),
    ("i8259/cascade", test_cascade),
    ("i8259/intr-output", test_intr_output_events),
    ("i8259/spurious-irq7", test_spurious_irq7),
    ("i8259/irq2-ignored", test_irq2_input_ignored),
    ("i8259/hostile-values", test_hostile_values),
    ("i8259/inta-486", test_inta_through_the_cpu),
    ("i8259/inta-virtual-wire", test_inta_virtual_wire),
    ("qtest/named-irq-groups", test_qtest_named_irq_commands),
]

if __name__ == "__main__":
    run_cases(CASES)
