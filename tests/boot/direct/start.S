/* Entry for both test kernels: record the registers as the loader left them, then C. */
    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    /* Neither protocol gives a stack: set one before the PUSHF below. */
    mov $stack_top, %esp
    mov %eax, entry_regs + 0
    mov %ebx, entry_regs + 4
    mov %esi, entry_regs + 8
    mov %edi, entry_regs + 12
    mov %ebp, entry_regs + 16
    mov %cs, %eax
    mov %eax, entry_regs + 20
    mov %ds, %eax
    mov %eax, entry_regs + 24
    pushf
    pop %eax
    mov %eax, entry_regs + 28
    mov %cr0, %eax
    mov %eax, entry_regs + 32
    mov %ss, %eax
    mov %eax, entry_regs + 36
    call kmain
1:  cli
    hlt
    jmp 1b

    .data
    .globl entry_regs
    .align 4
entry_regs:
    .space 40

    .bss
    .align 16
    .space 16384
stack_top:
