/*
 * guest-bits: 32
 * Delivery of each exception vector in 32-bit protected mode: vector, error code, and the
 * saved EIP (the faulting instruction for faults, the next one for traps). SDM vol. 3, 6.15.
 * #PF is covered by the paging programs, #AC by exc_ac32, #XM by sse_xm32.
 */
#include "guest.h"

static uint32_t bound_pair[2] = { 0, 10 };

static void check_ip(const char *what, unsigned long want)
{
    check(last_trap.ip == want, "%s: saved EIP 0x%lx, want 0x%lx", what, last_trap.ip, want);
}

static void user_int40(void)
{
    TRY("int $0x40", ::: "memory");
}

static void user_hlt(void)
{
    TRY("hlt", ::: "memory");
}

void guest_main(void)
{
    unsigned long at;

    TRY("movl $88f, %0; xorl %%edx, %%edx; movl $1, %%eax; xorl %%ecx, %%ecx\n\t"
        "88: divl %%ecx", : "=&r"(at) :: "eax", "ecx", "edx");
    if (check_trap("#DE", VEC_DE, 0)) {
        check_ip("#DE", at);
    }

    asm volatile("movl %0, %%dr6" :: "r"(0ul));
    TRY("movl $88f, %0\n\t"
        "pushfl; orl $0x100, (%%esp); popfl\n\t"
        "nop\n\t"
        "88: nop", : "=&r"(at) :: "memory");
    if (check_trap("#DB single-step", VEC_DB, 0)) {
        check_ip("#DB single-step", at);
        unsigned long dr6;
        asm volatile("movl %%dr6, %0" : "=r"(dr6));
        check(dr6 & 0x4000, "#DB single-step: DR6.BS clear (DR6 0x%lx)", dr6);
        check(!(read_flags() & EFLAGS_TF), "TF still set after the handler cleared it");
    }

    TRY("movl $88f, %0; int3; 88:", : "=&r"(at));
    if (check_trap("#BP", VEC_BP, 0)) {
        check_ip("#BP (trap: EIP after INT3)", at);
    }

    TRY("movl $88f, %0; movl $0x7fffffff, %%eax; addl $1, %%eax; into; 88:"
       , : "=&r"(at) :: "eax");
    if (check_trap("#OF", VEC_OF, 0)) {
        check_ip("#OF (trap: EIP after INTO)", at);
    }
    TRY("movl $1, %%eax; addl $1, %%eax; into", ::: "eax");
    check_trap("INTO with OF clear", -1, 0);

    TRY("movl $88f, %0; movl $11, %%eax; 88: boundl %%eax, %1", : "=&r"(at) : "m"(bound_pair)
        : "eax");
    check_trap("BOUND above the upper bound", VEC_BR, 0) && (check_ip("#BR", at), 1);
    TRY("movl $10, %%eax; boundl %%eax, %0", :: "m"(bound_pair) : "eax");
    check_trap("BOUND at the upper bound", -1, 0);

    TRY("movl $88f, %0; 88: ud2", : "=&r"(at));
    check_trap("#UD (UD2)", VEC_UD, 0) && (check_ip("#UD", at), 1);
    TRY("movl $88f, %0; 88: .byte 0x0f, 0xff", : "=&r"(at));
    check_trap("#UD (0F FF)", VEC_UD, 0);
    TRY("lock; nop", ::: "memory");
    check_trap("#UD (LOCK NOP)", VEC_UD, 0);

    write_cr0(read_cr0() | CR0_TS);
    TRY("movl $88f, %0; 88: fld1; fstp %%st(0)", : "=&r"(at));
    check_trap("#NM (CR0.TS)", VEC_NM, 0) && (check_ip("#NM", at), 1);
    asm volatile("clts");
    write_cr0(read_cr0() | CR0_EM);
    TRY("fld1; fstp %%st(0)", ::: "memory");
    check_trap("#NM (CR0.EM)", VEC_NM, 0);
    write_cr0(read_cr0() & ~CR0_EM);
    TRY("fld1; fstp %%st(0)", ::: "memory");
    check_trap("x87 with TS and EM clear", -1, 0);

    /* #DE whose IDT entry is not present: #NP during delivery, two contributory -> #DF. */
    idt_set_present(VEC_DE, 0);
    TRY("xorl %%edx, %%edx; movl $1, %%eax; xorl %%ecx, %%ecx; divl %%ecx"
       , ::: "eax", "ecx", "edx");
    check_trap("#DF (#DE with a not-present gate)", VEC_DF, 0);
    /* A lone not-present gate: #NP with the IDT bit (2) and vector in the error code. */
    TRY("int $0", ::: "memory"); /* software INT to vector 0, gate DPL0 at CPL0 */
    check_trap("#NP (not-present IDT gate)", VEC_NP, (0 << 3) | 2);
    idt_set_present(VEC_DE, 1);

    /* #TS: a jump to a TSS whose limit is below 0x67. */
    gdt_set(GDT_FREE, (uint32_t)(unsigned long)&kernel_tss + 0x1000, 0x20, 0x89, 0);
    TRY("ljmp $0x50, $0", ::: "memory");
    check_trap("#TS (TSS limit < 0x67)", VEC_TS, 0x50);

    /* #NP: loading DS with a not-present data segment. */
    gdt_set(GDT_FREE + 1, 0, 0xfffff, 0x13, 0xc);
    TRY("movw $0x58, %%ax; movw %%ax, %%ds", ::: "eax");
    check_trap("#NP (DS not present)", VEC_NP, 0x58);
    /* #SS: loading SS with a not-present writable data segment. */
    TRY("movw $0x58, %%ax; movw %%ax, %%ss", ::: "eax");
    check_trap("#SS (SS not present)", VEC_SS, 0x58);
    /* #GP: selector beyond the GDT limit; a far jump to the null selector; INT to a DPL0 gate and HLT at CPL3. */
    TRY("movw $0x400, %%ax; movw %%ax, %%ds", ::: "eax");
    check_trap("#GP (selector past GDT limit)", VEC_GP, 0x400);
    TRY("ljmp $0, $0", ::: "memory");
    check_trap("#GP (far jump to the null selector)", VEC_GP, 0);
    run_user(user_hlt);
    check_trap("#GP (HLT at CPL3)", VEC_GP, 0);
    check(last_trap.cs == SEL_UCODE32, "#GP at CPL3: saved CS 0x%lx", last_trap.cs);
    run_user(user_int40);
    check_trap("#GP (INT 0x40 at CPL3 through a DPL0 gate)", VEC_GP, 0x40 * 8 + 2);

    /* #MF: an unmasked x87 zero-divide is reported at the next waiting x87 instruction. */
    uint16_t cw = 0x37b;
    TRY("fninit; fldcw %1; fldz; fld1; fdivp\n\t"
        "movl $88f, %0\n\t"
        "88: fwait", : "=&r"(at) : "m"(cw));
    check_trap("#MF (unmasked x87 divide by zero)", VEC_MF, 0) && (check_ip("#MF", at), 1);
    asm volatile("fnclex; fninit");

    /* A software interrupt through an ordinary gate. */
    TRY("int $0x40", ::: "memory");
    check_trap("INT 0x40", 0x40, 0);
}
