/*
 * The boot sector of the firmware probe (tests/firmware/probe.c): loads the next 32 sectors
 * to 0x7E00 with INT 13h AH=42h and calls probe_main(drive) in C (gcc -m16, CS = DS = SS = 0).
 */
    .code16
    .section .text.start, "ax"
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $0x7c00, %esp
    sti
    movb %dl, boot_drive
    movw $dap, %si
    movb $0x42, %ah
    int $0x13
    jc 1f
    movzbl boot_drive, %eax
    pushl %eax
    calll probe_main
1:  hlt
    jmp 1b
    .globl boot_drive
boot_drive: .byte 0
    .balign 4
dap: .byte 16, 0
    .word 32
    .word 0x7e00, 0
    .quad 1
    .org 510
    .word 0xaa55
    .section .note.GNU-stack, "", @progbits
