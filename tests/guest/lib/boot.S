/*
 * Reset-vector stub and mode switch for the guest tests (Intel SDM vol. 3, 9.9 and 10.8.5):
 * real mode at F000:FFF0 -> 32-bit protected mode (flat) -> [64-bit builds] long mode with an
 * identity map of the low 4 GiB in 2 MiB pages. Then guest_start() (lib.c) runs the test.
 * Also: the 256 exception/interrupt entry stubs and a minimal setjmp/longjmp.
 * Assembled both as ELF32 (-m32) and ELF64 (-m64); __x86_64__ selects the long-mode tail.
 */
#define ROM_BASE 0xf0000

    /*
     * The real-mode part lives in one 256-byte section linked at 0xFFF00 (see guest.ld), so
     * its offsets within CS=F000 are assembly-time constants: ELF32 REL relocations cannot
     * carry the large negative addend that "symbol - 0xF0000" would need.
     */
#define RM_OFF(sym) (0xff00 + (sym) - rm_base)
    .section .reset, "ax"
    .code16
rm_base:
start16:
    cli
    cld
    /* Fast A20 (port 0x92 bit 1), harmless where the gate does not exist. */
    inb $0x92, %al
    orb $2, %al
    andb $0xfe, %al
    outb %al, $0x92
    lgdtl %cs:RM_OFF(boot_gdt_desc)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $start32

    .align 16
boot_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff    /* 0x08 code32, accessed bit preset: the GDT is in ROM */
    .quad 0x00cf93000000ffff    /* 0x10 data */
    .quad 0, 0, 0
    .quad 0x00af9b000000ffff    /* 0x30 code64 */
boot_gdt_end:
boot_gdt_desc:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .org 0xf0
    .globl reset_vector
reset_vector:
    /* CS.base is 0xFFFF0000 at reset; a far jump gives an ordinary real-mode CS of F000. */
    ljmp $0xf000, $RM_OFF(start16)
    .org 0x100

    .section .text.boot, "ax"
    .code32
start32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $__stack_top, %esp
    /* .data is stored in ROM after .text: copy it to RAM, then clear .bss. */
    movl $__data_lma, %esi
    movl $__data_start, %edi
    movl $__data_end, %ecx
    subl %edi, %ecx
    rep movsb
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    /* x87 reports errors natively (NE), SSE enabled with #XM (OSFXSR, OSXMMEXCPT). */
    movl %cr0, %eax
    andl $~0x0c, %eax           /* EM, TS */
    orl $0x22, %eax             /* MP, NE */
    movl %eax, %cr0
    movl %cr4, %eax
    orl $0x600, %eax
    movl %eax, %cr4
    fninit
#ifdef __x86_64__
    /* PML4[0] -> PDPT, PDPT[0..3] -> 4 page directories of 512 2-MiB pages (all U/W). */
    movl $boot_pml4, %edi
    leal boot_pdpt + 7, %eax
    movl %eax, (%edi)
    movl $boot_pdpt, %edi
    leal boot_pd + 7, %eax
    movl $4, %ecx
1:  movl %eax, (%edi)
    addl $8, %edi
    addl $4096, %eax
    loop 1b
    movl $boot_pd, %edi
    movl $0x87, %eax            /* P, W, U, PS */
    movl $2048, %ecx
2:  movl %eax, (%edi)
    addl $8, %edi
    addl $0x200000, %eax
    loop 2b
    movl %cr4, %eax
    orl $0x20, %eax             /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx      /* EFER: LME, NXE */
    rdmsr
    orl $0x900, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    ljmp $0x30, $start64

    .code64
start64:
    movq $__stack_top, %rsp
    call guest_start
1:  cli
    hlt
    jmp 1b
#else
    call guest_start
1:  cli
    hlt
    jmp 1b
#endif

#ifdef __x86_64__
    .section .bss
    .align 4096
    .globl boot_pml4
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
#endif

/* Entry stubs: 16 bytes each, trap_stubs + 16 * vector. */
    .text
#ifdef __x86_64__
    .code64
#else
    .code32
#endif
    .align 16
    .globl trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .align 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push $0
    .endif
    push $vec
    jmp trap_common
    .set vec, vec + 1
    .endr

#ifdef __x86_64__
trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    cld
    call trap_c
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

    /* int guest_setjmp(GuestJmpBuf *): rbx rbp r12 r13 r14 r15 rsp rip */
    .globl guest_setjmp
guest_setjmp:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rax
    movq %rax, 48(%rdi)
    movq (%rsp), %rax
    movq %rax, 56(%rdi)
    xorl %eax, %eax
    ret

    .globl guest_longjmp
guest_longjmp:
    movl %esi, %eax
    movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    jmp *56(%rdi)

    /* enter_user(fn, sp, cs, ss): iret to user_tramp at CPL3 with rbx = fn. */
    .globl enter_user
enter_user:
    movq %rdi, %rbx
    pushq %rcx                  /* ss */
    pushq %rsi                  /* rsp */
    pushq $0x2                  /* rflags: IF clear */
    pushq %rdx                  /* cs */
    pushq $user_tramp
    iretq
user_tramp:
    call *%rbx
    int $0x81
#else
trap_common:
    pushal
    pushl %ds
    pushl %es
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movl %esp, %eax
    pushl %eax
    cld
    call trap_c
    addl $4, %esp
    popl %es
    popl %ds
    popal
    addl $8, %esp
    iret

    /* int guest_setjmp(GuestJmpBuf *): ebx esi edi ebp esp eip */
    .globl guest_setjmp
guest_setjmp:
    movl 4(%esp), %eax
    movl %ebx, 0(%eax)
    movl %esi, 4(%eax)
    movl %edi, 8(%eax)
    movl %ebp, 12(%eax)
    leal 4(%esp), %ecx
    movl %ecx, 16(%eax)
    movl (%esp), %ecx
    movl %ecx, 20(%eax)
    xorl %eax, %eax
    ret

    .globl guest_longjmp
guest_longjmp:
    movl 4(%esp), %edx
    movl 8(%esp), %eax
    movl 0(%edx), %ebx
    movl 4(%edx), %esi
    movl 8(%edx), %edi
    movl 12(%edx), %ebp
    movl 16(%edx), %esp
    jmp *20(%edx)

    /* enter_user(fn, sp, cs, ss): iret to user_tramp at CPL3 with ebx = fn. */
    .globl enter_user
enter_user:
    movl 4(%esp), %ebx
    movl 8(%esp), %esi
    movl 12(%esp), %edx
    movl 16(%esp), %ecx
    movw %cx, %ax
    pushl %ecx                  /* ss */
    pushl %esi                  /* esp */
    pushl $0x2                  /* eflags: IF clear */
    pushl %edx                  /* cs */
    pushl $user_tramp
    /* Data segments a CPL3 task can keep (DPL3); the CPU would null kernel ones anyway. */
    movw %ax, %ds
    movw %ax, %es
    iret
user_tramp:
    call *%ebx
    int $0x81
#endif
    .section .note.GNU-stack, "", @progbits
