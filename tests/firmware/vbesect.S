/*
 * A VBE test boot sector for tests/firmware/test_bios.py: INT 10h AX=4F00h (controller info,
 * "VBE2" signed), 4F01h over the mode list to find 800x600x32, 4F02h with the linear
 * framebuffer, 4F03h, then a pattern drawn through the framebuffer address that 4F01h
 * reported (unreal mode: FS with a 4 GiB limit).  Pixel (x, y) = red x^y, green y, blue x.
 * It writes "VBE-DRAWN" (or "VBE-FAIL<n>") straight to COM1, so the host can take a
 * screendump and compare.
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
    /* 4F00h into 0x1000, signed "VBE2" */
    movl $0x32454256, 0x1000
    movw $0x1000, %di
    movw $0x4f00, %ax
    int $0x10
    movb $'1', %bl
    cmpw $0x004f, %ax
    jne fail
    cmpl $0x41534556, 0x1000
    jne fail
    movb $'2', %bl
    cmpw $0x0300, 0x1004
    jne fail
    /* walk the mode list (far pointer at +0Eh) */
    lfsw 0x100e, %si
    movb $'3', %bl
1:  movw %fs:(%si), %cx
    cmpw $0xffff, %cx
    je fail
    addw $2, %si
    movw $0x2000, %di
    movw $0x4f01, %ax
    int $0x10
    cmpw $0x004f, %ax
    jne fail
    cmpw $800, 0x2012
    jne 1b
    cmpw $600, 0x2014
    jne 1b
    cmpb $32, 0x2019
    jne 1b
    movw %cx, mode
    /* 4F02h with the linear framebuffer */
    movw %cx, %bx
    orw $0x4000, %bx
    movw $0x4f02, %ax
    int $0x10
    movb $'4', %bl
    cmpw $0x004f, %ax
    jne fail
    movw $0x4f03, %ax
    int $0x10
    movw mode, %cx
    orw $0x4000, %cx
    cmpw %cx, %bx
    movb $'5', %bl              /* mov keeps the flags of the compare */
    jne fail
    /* unreal mode for FS */
    cli
    lgdtl gdt_desc
    movl %cr0, %eax
    orb $1, %al
    movl %eax, %cr0
    movw $8, %ax
    movw %ax, %fs
    andb $0xfe, %al
    movl %eax, %cr0
    xorw %ax, %ax
    movw %ax, %fs
    sti
    /* draw */
    xorl %edx, %edx             /* y */
2:  movzwl 0x2010, %edi         /* pitch */
    imull %edx, %edi
    addl 0x2028, %edi           /* + PhysBasePtr */
    xorl %ecx, %ecx             /* x */
3:  movl %ecx, %eax
    xorl %edx, %eax
    andl $0xff, %eax
    shll $8, %eax
    movb %dl, %al
    shll $8, %eax
    movb %cl, %al
    addr32 movl %eax, %fs:(%edi)
    addl $4, %edi
    incl %ecx
    cmpl $800, %ecx
    jb 3b
    incl %edx
    cmpl $600, %edx
    jb 2b
    movw $drawn, %si
    call serial_print
    jmp halt
fail:
    movw $failmsg, %si
    movb %bl, failnum
    call serial_print
halt:
    hlt
    jmp halt
serial_print:
    lodsb
    testb %al, %al
    jz 2f
    movw $0x3fd, %dx
1:  inb %dx, %al
    testb $0x20, %al
    jz 1b
    movb -1(%si), %al
    movw $0x3f8, %dx
    outb %al, %dx
    jmp serial_print
2:  ret
    .balign 8
gdt:
    .quad 0
    .quad 0x00cf93000000ffff
gdt_desc:
    .word 15
    .long gdt
mode: .word 0
drawn: .asciz "\r\nVBE-DRAWN\r\n"
failmsg: .ascii "\r\nVBE-FAIL"
failnum: .asciz "?\r\n"
    .org 510
    .word 0xaa55
