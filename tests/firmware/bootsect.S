/*
 * A test boot sector for tests/firmware/test_bios.py: EDD check and an LBA read (INT 13h
 * AH=41h/42h), a CHS read (AH=02h), the E820 map (INT 15h), one key (INT 16h), all
 * reported through INT 10h teletype.  Sector 1 of the disk holds a NUL-terminated line.
 */
    .code16
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw $0x7c00, %sp
    sti
    movb %dl, drive
    /* EDD present? */
    movb $0x41, %ah
    movw $0x55aa, %bx
    int $0x13
    jc fail
    cmpw $0xaa55, %bx
    jne fail
    /* read LBA 1..2 to 0x8000 */
    movw $dap, %si
    movb $0x42, %ah
    movb drive, %dl
    int $0x13
    jc fail
    movw $0x8000, %si
    call print
    /* CHS read of sector 2 (LBA 1) to 0x9000 */
    movw $0x9000, %bx
    movw $0x0201, %ax
    movw $0x0002, %cx
    xorb %dh, %dh
    movb drive, %dl
    int $0x13
    jc fail
    movw $0x9000, %si
    call print
    /* E820 count */
    xorl %ebx, %ebx
    xorw %bp, %bp
1:  movl $0xe820, %eax
    movl $20, %ecx
    movl $0x534d4150, %edx
    movw $0xa000, %di
    int $0x15
    jc 2f
    incw %bp
    testl %ebx, %ebx
    jnz 1b
2:  movw %bp, %ax
    addb $'0', %al
    movb $0x0e, %ah
    int $0x10
    movw $e820msg, %si
    call print
    /* key from INT 16h (serial console input) */
    xorb %ah, %ah
    int $0x16
    movb $0x0e, %ah
    int $0x10
    movw $keymsg, %si
    call print
    jmp halt
fail:
    movw $failmsg, %si
    call print
halt:
    hlt
    jmp halt
print:
    lodsb
    testb %al, %al
    jz 1f
    movb $0x0e, %ah
    movw $0x0007, %bx
    int $0x10
    jmp print
1:  ret
drive: .byte 0
dap: .byte 16, 0
    .word 2
    .word 0x8000, 0
    .quad 1
failmsg: .asciz "BOOTSECT-FAIL\r\n"
e820msg: .asciz " E820 entries\r\n"
keymsg: .asciz " <- key\r\n"
    .org 510
    .word 0xaa55
