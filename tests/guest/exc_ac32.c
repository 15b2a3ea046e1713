/*
 * guest-bits: 32
 * Alignment check (#AC, vector 17, error code 0): only at CPL3 with CR0.AM and EFLAGS.AC
 * both set (SDM vol. 3, 6.15 "Interrupt 17"). QEMU's TCG does not implement it.
 */
#include "guest.h"

static volatile unsigned long user_ip;

static void user_misaligned(void)
{
    uint32_t buf[2] = { 0, 0 };
    unsigned long at;
    TRY("movl $88f, %0\n\t"
        "pushfl; orl $0x40000, (%%esp); popfl\n\t"
        "88: movl 1(%1), %%eax\n\t"
        "pushfl; andl $~0x40000, (%%esp); popfl",
        : "=&r"(at) : "r"(buf) : "eax", "memory");
    user_ip = at;
}

static void user_aligned(void)
{
    uint32_t buf[2] = { 0, 0 };
    TRY("pushfl; orl $0x40000, (%%esp); popfl\n\t"
        "movl 4(%0), %%eax\n\t"
        "pushfl; andl $~0x40000, (%%esp); popfl",
        :: "r"(buf) : "eax", "memory");
}

void guest_main(void)
{
    write_cr0(read_cr0() | CR0_AM);
    run_user(user_misaligned);
    if (check_trap("#AC (misaligned load at CPL3, AM and AC set)", VEC_AC, 0)) {
        CHECK_EQ(last_trap.ip, user_ip, "#AC saved EIP (the faulting load)");
        CHECK_EQ(last_trap.cs, SEL_UCODE32, "#AC saved CS");
    }
    run_user(user_aligned);
    check_trap("aligned load at CPL3 with AM and AC set", -1, 0);
    /* At CPL0 the check never applies. */
    uint32_t buf[2] = { 0, 0 };
    TRY("pushfl; orl $0x40000, (%%esp); popfl\n\t"
        "movl 1(%0), %%eax\n\t"
        "pushfl; andl $~0x40000, (%%esp); popfl",
        :: "r"(buf) : "eax", "memory");
    check_trap("misaligned load at CPL0", -1, 0);
    write_cr0(read_cr0() & ~CR0_AM);
    run_user(user_misaligned);
    check_trap("misaligned load at CPL3 with CR0.AM clear", -1, 0);
}
