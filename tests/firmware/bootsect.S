/*
 * A test boot sector for tests/firmware/test_bios.py: EDD check and an LBA read (INT 13h
 * AH=41h/42h), a CHS read (AH=02h), a block move through 1 MiB (INT 15h AH=87h), the E820
 * map (INT 15h), one key (INT 16h), all
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
    /* INT 15h AH=87h: the line at 0x8000 to 1 MiB + 16, then back to 0x9800 */
    movw $0xb000, %di
    xorw %ax, %ax
    movw $24, %cx
    rep stosw
    movw $0xffff, 0xb010
    movw $0x8000, 0xb012
    movb $0x93, 0xb015
    movw $0xffff, 0xb018
    movw $0x0010, 0xb01a
    movb $0x10, 0xb01c
    movb $0x93, 0xb01d
    call blockmove
    movw $0x0010, 0xb012
    movb $0x10, 0xb014
    movw $0x9800, 0xb01a
    movb $0x00, 0xb01c
    call blockmove
    movw $0x9800, %si
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
blockmove:
    movw $0xb000, %si
    movw $16, %cx
    movb $0x87, %ah
    int $0x15
    jc fail
    ret
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
