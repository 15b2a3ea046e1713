/*
 * Osprey VGA BIOS: the option ROM header, the PCI data structure, the init entry that POST
 * far-calls, and the INT 10h entry.  Linked at offset 0 of its segment (C000h when the
 * system BIOS copies it to 0xC0000) and position-dependent on that offset only: CS is
 * read at run time, never assumed.
 *
 * gcc -m16 code wants DS = SS, so both entries run the C code on a stack inside the ROM's
 * own shadow RAM (the bss at the end of the image), as the segment is left writable by
 * Osprey's BIOS.  bios/vgabios/romfinish.py fills in the size and the checksum.
 */
#define FRAME_SIZE 48

    .code16
    .section .text.header, "ax"
    .global rom_header
rom_header:
    .byte 0x55, 0xaa
    .byte 0                     /* size in 512-byte blocks: romfinish.py */
    jmp vga_init_entry
    .org 0x18
    .word pci_data
    .word 0                     /* no PnP expansion header: the VGA does not boot */
    .balign 4
pci_data:
    .ascii "PCIR"
    .word 0x1234, 0x1111        /* the Bochs/QEMU standard VGA */
    .word 0                     /* no device list */
    .word 0x1c                  /* structure length (PCI 3.0) */
    .byte 3                     /* structure revision */
    .byte 0x00, 0x00, 0x03      /* class 03 00 00: VGA-compatible controller */
    .word 0                     /* image length in 512-byte blocks: romfinish.py */
    .word 1                     /* code revision */
    .byte 0                     /* code type: x86 */
    .byte 0x80                  /* the last image */
    .word 0                     /* maximum runtime length: romfinish.py */
    .word 0, 0                  /* no configuration utility, no DMTF CLP entry */
    .ascii "Osprey VGA BIOS"
    .byte 0

/* POST: far call with AX = bus/devfn.  Registers and segments are kept. */
vga_init_entry:
    pushfl
    cli
    pushal
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    movw %ss, %cs:saved_ss
    movl %esp, %cs:saved_esp
    movzwl %ax, %eax
    movw %cs, %bx
    movw %bx, %ds
    movw %bx, %es
    movw %bx, %ss
    movl $vga_stack_top, %esp
    pushl %eax
    calll vga_post
    cli
    movw %cs:saved_ss, %ss
    movl %cs:saved_esp, %esp
    popw %gs
    popw %fs
    popw %es
    popw %ds
    popal
    popfl
    lretw

/*
 * INT 10h: the caller's registers are pushed and copied (FRAME_SIZE bytes, struct bregs
 * in bios/bios.h) to the ROM's stack; vga_int10(frame) edits the copy, which is copied
 * back before IRET.  A nested call (already on this stack) continues below the frame.
 */
    .global vga_int10_entry
vga_int10_entry:
    pushw $0                    /* the "handler" slot of struct bregs */
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    pushal
    movw %ss, %dx
    movl %esp, %esi
    movw %cs, %ax
    movw %ax, %es
    movzwl %si, %edi
    cmpw %ax, %dx
    je 1f
    movl $vga_stack_top, %edi
1:  movw %ax, %ss
    movl %edi, %esp
    pushl %edx
    pushl %esi
    subl $FRAME_SIZE, %esp
    movw %sp, %di
    movw %dx, %ds
    movw $FRAME_SIZE, %cx
    cld
    rep movsb
    movw %ax, %ds
    movl %esp, %eax
    pushl %eax
    calll handle_int10
    addl $4, %esp
    cli
    cld
    movw %sp, %si
    movl FRAME_SIZE(%esp), %edi
    movl %edi, %ebx
    movl FRAME_SIZE+4(%esp), %edx
    movw %dx, %es
    movw $FRAME_SIZE, %cx
    rep movsb
    movw %dx, %ss
    movl %ebx, %esp
    popal
    popw %gs
    popw %fs
    popw %es
    popw %ds
    addw $2, %sp
    iret

    .balign 4
saved_esp:
    .long 0
saved_ss:
    .word 0

    .section .bss
    .balign 16
vga_stack:
    .space 2048
    .global vga_stack_top
vga_stack_top:
    .section .note.GNU-stack, "", @progbits
