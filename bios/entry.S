/*
 * Osprey BIOS: the reset vector, the early POST in assembly (shadowing the
 * BIOS into RAM with the i440FX PAM registers, big real mode for FS/GS), and
 * the interrupt entry code that hands a register frame to C.
 *
 * Everything runs in real mode with CS = 0xF000.  The C code is built with
 * gcc -m16, so it expects DS = ES = SS = 0xF000 and a 32-bit-clean ESP.
 */
#define BIOS_SEG 0xf000
#define FRAME_SIZE 48

/*
 * Big real mode: load DS, ES, FS and GS with 4 GiB flat descriptors through a moment in
 * protected mode, then go back to real mode (the cached limits stay).  Clobbers EAX.
 */
.macro BIG_REAL_SEGMENTS
    lgdtl %cs:gdt_desc
    movl %cr0, %eax
    orb $1, %al
    movl %eax, %cr0
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movl %cr0, %eax
    andb $0xfe, %al
    movl %eax, %cr0
.endm

    .code16
    .section .text.entry, "ax"

/*
 * Where the start-up IPI sends the application processors (bios/smp.c): 0xF0000, the first
 * byte of the F segment, so the vector is 0xF0 and CS = 0xF000.  Each AP records its
 * initial APIC ID (CPUID.1:EBX[31:24]) and counts itself, then stays halted with
 * interrupts off until the OS sends it INIT and SIPI again.
 */
    .global ap_trampoline
ap_trampoline:
    cli
    ljmpw $BIOS_SEG, $ap_park
ap_park:
    movw $BIOS_SEG, %ax
    movw %ax, %ds
    movl $1, %eax
    cpuid
    shrl $24, %ebx
    andl $31, %ebx
    lock btsl %ebx, ap_started_mask
    lock incw ap_count
1:  cli
    hlt
    jmp 1b

/* i440FX config register write: reg in %bl, value in %bh (bus 0, dev 0, fn 0). */
pam_write:
    movl $0x80000000, %eax
    movb %bl, %al
    andb $0xfc, %al
    movw $0xcf8, %dx
    outl %eax, %dx
    movw $0xcfc, %dx
    movb %bl, %al
    andb $3, %al
    addb %al, %dl
    movb %bh, %al
    outb %al, %dx
    ret

    .global post_entry
post_entry:
    /*
     * Still at CS base 0xFFFF0000 (the reset vector jumps here near), so
     * this code runs from the ROM's alias below 4 GiB and keeps running
     * while the PAM registers turn 0xE0000-0xFFFFF into RAM.
     */
    cli
    cld
    /* A20 on (port 0x92 fast gate), then big real mode for DS, ES, FS and GS. */
    inb $0x92, %al
    orb $2, %al
    andb $0xfe, %al
    outb %al, $0x92
    BIG_REAL_SEGMENTS
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs

    /*
     * Shadow: 0xE0000-0xFFFFF read/write RAM (PAM0 bits 5:4 cover the F
     * segment, PAM5 and PAM6 the E segment), then copy the image from its
     * alias at 0xFFFE0000.
     */
    movw $0x3059, %bx
    call pam_write
    movw $0x335e, %bx
    call pam_write
    movw $0x335f, %bx
    call pam_write
    movl $0xfffe0000, %esi
    movl $0xe0000, %edi
    movl $0x8000, %ecx
    addr32 rep movsl

    ljmp $BIOS_SEG, $1f
1:  movw $BIOS_SEG, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $stack_top, %esp
    calll post_main
1:  hlt
    jmp 1b

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff    /* flat 32-bit code (unused, for completeness) */
    .quad 0x00cf93000000ffff    /* flat 32-bit data: gives FS/GS a 4 GiB limit */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long 0xffff0000 + gdt   /* read through the ROM alias: runs before shadowing */

/*
 * Software interrupt entry: each stub pushes the C handler's offset.  The
 * frame (registers, segments, handler, IP, CS, FLAGS) is copied from the
 * caller's stack to the BIOS stack, the handler edits it, and it is copied
 * back before IRET.  Nested entries (an IRQ while a handler waits with
 * interrupts on) stay on the BIOS stack below the current frame.
 */
int_common:
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    pushal
    movw %ss, %dx
    movl %esp, %esi
    movw $BIOS_SEG, %ax
    movw %ax, %es
    movzwl %si, %edi
    cmpw %ax, %dx
    je 1f
    movl $stack_top, %edi
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
    xorw %cx, %cx
    movw %cx, %fs
    movl %esp, %eax
    pushl %eax
    movzwl 44(%esp), %ecx
    calll *%ecx
    addl $4, %esp
    cli
    cld
    movw %sp, %si
    movl FRAME_SIZE(%esp), %edi
    movl %edi, %ebx             /* the caller's ESP, read while SS is still ours */
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

.macro INT_STUB name, handler
    .global \name
\name:
    pushw $\handler
    jmp int_common
.endm

    INT_STUB entry_int10, handle_int10
    INT_STUB entry_int11, handle_int11
    INT_STUB entry_int12, handle_int12
    INT_STUB entry_int13, handle_int13
    INT_STUB entry_int15, handle_int15
    INT_STUB entry_int16, handle_int16
    INT_STUB entry_int17, handle_unsupported
    INT_STUB entry_int18, handle_int18
    INT_STUB entry_int19, handle_int19
    INT_STUB entry_int1a, handle_int1a
    INT_STUB entry_int14, handle_unsupported
    INT_STUB entry_irq1, handle_irq1

/* IRQ 0 (INT 08h): the BDA tick count, the midnight flag, then INT 1Ch. */
    .global entry_irq0
entry_irq0:
    pushw %ds
    pushl %eax
    movw $0x40, %ax
    movw %ax, %ds
    movl 0x6c, %eax
    incl %eax
    cmpl $0x1800b0, %eax
    jb 1f
    xorl %eax, %eax
    movb $1, 0x70
1:  movl %eax, 0x6c
    int $0x1c
    movb $0x20, %al
    outb %al, $0x20
    popl %eax
    popw %ds
    iret

/* IRQs nobody claimed: end of interrupt at the master (and the slave). */
    .global entry_irq_master
entry_irq_master:
    pushw %ax
    movb $0x20, %al
    outb %al, $0x20
    popw %ax
    iret

    .global entry_irq_slave
entry_irq_slave:
    pushw %ax
    movb $0x20, %al
    outb %al, $0xa0
    outb %al, $0x20
    popw %ax
    iret

    .global entry_iret
entry_iret:
    iret

/*
 * Leave the BIOS: boot_jump(cs, ip, ss, sp, ds, edx) with interrupts on.
 * Arguments are 32-bit cdecl slots.
 */
    .global boot_jump
boot_jump:
    cli
    movb $2, %al                /* osprey-boot-status: the handover, for the speed figure */
    movw $0x4f0, %dx
    outb %al, %dx
    movl %esp, %ebp
    movl 24(%ebp), %edx
    movw 20(%ebp), %ax
    movw 16(%ebp), %bx          /* sp */
    movw 12(%ebp), %cx          /* ss */
    movw 8(%ebp), %si           /* ip */
    movw 4(%ebp), %di           /* cs */
    movw %cx, %ss
    movzwl %bx, %esp
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    pushw %di
    pushw %si
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    sti
    lret

/*
 * Call an option ROM entry point: option_rom_call(seg << 16 | off, ax, es << 16 | di)
 * (32-bit cdecl).  The ROM gets AX (PCI bus/devfn), ES:DI (the $PnP
 * installation check structure), BX = DX = 0FFFFh (no ISA PnP CSN / read
 * port) and the BIOS stack, and returns with a 16-bit far return.  ROMs
 * such as iPXE switch to protected mode and back, which leaves 64 KiB
 * segment limits: big real mode is set up again afterwards, because POST
 * reaches memory above 1 MiB through FS.  Returns the ROM's AX.
 */
    .global option_rom_call
option_rom_call:
    pushl %ebp
    movl %esp, %ebp
    pushal
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    movl 8(%ebp), %eax
    movl %eax, %cs:rom_target
    movl %esp, %cs:rom_saved_esp
    movl 16(%ebp), %edi
    movl %edi, %eax
    shrl $16, %eax
    movw %ax, %es
    movl 12(%ebp), %eax
    movw $0xffff, %bx
    movw $0xffff, %dx
    xorl %ecx, %ecx
    xorl %esi, %esi
    xorl %ebp, %ebp
    lcallw *%cs:rom_target
    cli
    cld
    movw $BIOS_SEG, %bx
    movw %bx, %ss
    movl %cs:rom_saved_esp, %esp
    movw %ax, %cs:rom_result
    BIG_REAL_SEGMENTS
    popw %gs
    popw %fs
    popw %es
    popw %ds
    popal
    popl %ebp
    movzwl %cs:rom_result, %eax
    retl

/*
 * big_real_enter(): give DS, ES, FS and GS 4 GiB limits again (for INT 15h AH=87h, called
 * after a bootloader may have reloaded them in real mode), keeping their values, the
 * caller's GDTR and the interrupt flag.
 */
    .global big_real_enter
big_real_enter:
    pushfl
    cli
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    subl $8, %esp
    sgdtl (%esp)
    BIG_REAL_SEGMENTS
    lgdtl (%esp)
    addl $8, %esp
    popw %gs
    popw %fs
    popw %es
    popw %ds
    popfl
    retl

/*
 * int_chain_frame(struct bregs *r, u32 vector): run another INT handler (the VGA BIOS's
 * INT 10h) on the registers of r, as INT would (FLAGS pushed, far call), and store the
 * registers and the arithmetic flags it returns back into r.  r is on the BIOS stack (SS).
 */
    .global int_chain_frame
int_chain_frame:
    pushl %ebp
    movl %esp, %ebp
    pushal
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    movl 12(%ebp), %eax
    movl %eax, %cs:chain_target
    movl 8(%ebp), %ebx
    pushl %ebx
    movl %ss:0(%ebx), %edi
    movl %ss:4(%ebx), %esi
    movl %ss:8(%ebx), %ebp
    movl %ss:20(%ebx), %edx
    movl %ss:24(%ebx), %ecx
    movl %ss:28(%ebx), %eax
    movw %ss:36(%ebx), %es
    movw %ss:38(%ebx), %ds
    movl %ss:16(%ebx), %ebx
    pushfw
    lcallw *%cs:chain_target
    pushfw
    pushl %ebx
    movl 6(%esp), %ebx
    movl %edi, %ss:0(%ebx)
    movl %esi, %ss:4(%ebx)
    movl %ebp, %ss:8(%ebx)
    movl %edx, %ss:20(%ebx)
    movl %ecx, %ss:24(%ebx)
    movl %eax, %ss:28(%ebx)
    movw %es, %ss:36(%ebx)
    movw %ds, %ss:38(%ebx)
    popl %eax
    movl %eax, %ss:16(%ebx)
    popw %ax
    andw $0x08d5, %ax           /* CF, PF, AF, ZF, SF, OF from the handler */
    movw %ss:46(%ebx), %dx
    andw $0xf72a, %dx
    orw %ax, %dx
    movw %dx, %ss:46(%ebx)
    addl $4, %esp
    popw %gs
    popw %fs
    popw %es
    popw %ds
    popal
    popl %ebp
    retl

/* The PnP BIOS real-mode entry: every function answers "not supported" (82h). */
    .global pnp_entry
pnp_entry:
    movw $0x82, %ax
    lretw

/*
 * The PMM entry (pmm.c): a 16-bit far call with the function and its arguments on the
 * caller's stack.  They are copied to pmm_args, handle_pmm runs on a stack of its own
 * (the caller may be on the BIOS stack), and its result goes back in DX:AX; every other
 * register, the segments and the flags are kept.
 */
    .global pmm_entry
pmm_entry:
    pushfw
    cli
    pushw %ds
    pushw %es
    pushw %fs
    pushw %gs
    pushal
    movzwl %sp, %esi
    addl $32 + 8 + 2 + 4, %esi  /* pushal, 4 segments, flags, return CS:IP */
    movw %ss, %ax
    movw %ax, %ds
    movw $BIOS_SEG, %ax
    movw %ax, %es
    movl $pmm_args, %edi
    movl $12, %ecx
    cld
    addr32 rep movsb
    movw %ax, %ds
    movw %ss, %cs:pmm_saved_ss
    movl %esp, %cs:pmm_saved_esp
    movw %ax, %ss
    movl $pmm_stack_top, %esp
    calll handle_pmm
    movw %cs:pmm_saved_ss, %ss
    movl %cs:pmm_saved_esp, %esp
    movzwl %sp, %ebp
    movw %ax, 28(%ebp)          /* the saved EAX's low half */
    shrl $16, %eax
    movw %ax, 20(%ebp)          /* the saved EDX's low half */
    popal
    popw %gs
    popw %fs
    popw %es
    popw %ds
    popfw
    lretw

    .balign 4
pmm_saved_esp:
    .long 0
pmm_saved_ss:
    .word 0

    .balign 4
chain_target:
    .long 0
rom_target:
    .long 0
rom_saved_esp:
    .long 0
rom_result:
    .word 0

    .section .bss
    .balign 16
bios_stack:
    .space 8192
    .global stack_top
stack_top:
    .balign 16
pmm_stack:
    .space 1024
pmm_stack_top:

    .section .reset, "ax"
    .global reset_vector
reset_vector:
    jmp post_entry              /* near: CS keeps its reset base 0xFFFF0000 */
    .byte 0, 0
    .ascii "11/21/26"
    .byte 0
    .byte 0xfc      /* model: AT */
    .byte 0
    .section .note.GNU-stack, "", @progbits
