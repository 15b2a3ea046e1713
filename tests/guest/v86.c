/*
 * guest-bits: 32
 * Virtual-8086 mode with IOPL 0 (SDM vol. 3, ch. 20): real-mode style addressing; CLI,
 * PUSHF and INT n are IOPL-sensitive and trap to the monitor as #GP(0); IN/OUT are checked
 * against the TSS I/O permission bitmap (allowed port works, denied port is #GP(0)); HLT is
 * #GP(0) and ends the run. The monitor sees VM in the saved EFLAGS and the v86 segments.
 */
#include "guest.h"

static GuestJmpBuf v86_jb;
static uint8_t events[16];
static int nevents;
static uint32_t gp_errs, saved_ds, saved_cs, saved_flags;

/* 16-bit code in ROM; it runs with CS = 0xF000, so IP = address - 0xF0000. */
asm(".pushsection .text\n"
    ".code16\n"
    "v86_code:\n"
    "    movw $0x0100, %ax\n"
    "    movw %ax, %es\n"
    "    movw $0xbeef, %es:0x10\n"     /* linear 0x1010 */
    "    movb $'v', %al\n"
    "    outb %al, $0xe9\n"             /* allowed by the bitmap */
    "    cli\n"
    "    pushfw\n"
    "    int $0x21\n"
    "    outb %al, $0x80\n"             /* denied by the bitmap */
    "    inb $0x81, %al\n"              /* denied */
    "    movw %ds:0, %ax\n"
    "    hlt\n"
    ".code32\n"
    ".popsection\n");
extern char v86_code[];

static int v86_gp(TrapFrame *f)
{
    if (!(f->flags & EFLAGS_VM)) {
        return 0;
    }
    const uint8_t *insn = (const uint8_t *)(unsigned long)((f->cs << 4) + (f->ip & 0xffff));
    if (nevents < (int)sizeof(events)) {
        events[nevents++] = insn[0];
    }
    gp_errs |= f->err;
    saved_ds = f->v86_ds;
    saved_cs = f->cs;
    saved_flags = f->flags;
    switch (insn[0]) {
    case 0xf4:
        guest_longjmp(&v86_jb, 1);
    case 0xfa:
    case 0x9c:
        f->ip += 1;
        return 1;
    case 0xcd:
    case 0xe6:
    case 0xe4:
        f->ip += 2;
        return 1;
    default:
        guest_fail("v86 #GP at %lx:%lx on opcode 0x%x", (unsigned long)f->cs,
                   (unsigned long)f->ip, insn[0]);
    }
}

void guest_main(void)
{
    /* I/O bitmap: every port denied except 0xe9 (the debug console). */
    memset(kernel_tss.iomap, 0xff, sizeof(kernel_tss.iomap));
    kernel_tss.iomap[0xe9 / 8] &= (uint8_t)~(1u << (0xe9 % 8));
    kernel_tss.iomap_base = TSS_BASE_SIZE;
    *(volatile uint16_t *)0x1010 = 0;
    trap_hook[VEC_GP] = v86_gp;

    gprintf("v86 output: ");
    uint32_t ip = (uint32_t)(unsigned long)v86_code - 0xf0000;
    if (guest_setjmp(&v86_jb) == 0) {
        asm volatile("pushl $0\n\t"             /* GS */
                     "pushl $0\n\t"             /* FS */
                     "pushl $0x1234\n\t"        /* DS */
                     "pushl $0\n\t"             /* ES */
                     "pushl $0\n\t"             /* SS */
                     "pushl $0x0ff0\n\t"        /* SP */
                     "pushl $0x20002\n\t"       /* EFLAGS: VM, IOPL 0 */
                     "pushl $0xf000\n\t"        /* CS */
                     "pushl %0\n\t"
                     "iret" :: "r"(ip) : "memory");
    }
    asm volatile("mov %w0, %%fs; mov %w0, %%gs" :: "r"(SEL_KDATA));
    gprintf("\n");
    trap_hook[VEC_GP] = 0;
    kernel_tss.iomap_base = sizeof(kernel_tss);

    static const uint8_t want[] = { 0xfa, 0x9c, 0xcd, 0xe6, 0xe4, 0xf4 };
    CHECK_EQ(nevents, sizeof(want), "number of #GP exits to the monitor");
    for (int i = 0; i < nevents && i < (int)sizeof(want); i++) {
        check(events[i] == want[i], "monitor exit %d: opcode 0x%x, want 0x%x", i, events[i],
              want[i]);
    }
    CHECK_EQ(gp_errs, 0, "#GP error codes in v86 mode");
    CHECK_EQ(saved_cs, 0xf000, "saved CS");
    CHECK_EQ(saved_ds, 0x1234, "saved DS (pushed only when leaving v86 mode)");
    check(saved_flags & EFLAGS_VM, "saved EFLAGS.VM");
    CHECK_EQ(*(volatile uint16_t *)0x1010, 0xbeef, "store through ES=0x100, offset 0x10");
}
