/*
 * The native backend's runtime side: the trampoline that enters generated code, exec(),
 * patching of chained jumps, and the -d out_asm dump.
 *
 * Generated code runs on the trampoline's frame (see native.h).  A TB leaves with `ret`
 * after storing ctx->exit_reason; chained jumps and lookups go from TB to TB without
 * returning.  A guest exception unwinds straight out with siglongjmp, which restores the
 * callee-saved registers the trampoline pushed.
 */
#include <inttypes.h>

#include "accel/tcg/backend/x86_64/native.h"

#if defined(__x86_64__)

_Static_assert(offsetof(TBExecCtx, env) == 0, "the trampoline loads env from [ctx]");
_Static_assert(NATIVE_FRAME_SIZE % 16 == 0, "the frame keeps rsp 16-byte aligned");
_Static_assert(sizeof(TLBFastEntry) == 32, "the TLB probe scales the index by 32");
_Static_assert(offsetof(TBExecCtx, exit_reason) < 128, "prologue uses disp8 forms");

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * native_enter(ctx, code, tlb): push the callee-saved registers, set up the frame and
 * the fixed registers, and call into the TB; its `ret` comes back here.
 */
__asm__(".text\n"
        ".globl native_enter\n"
        ".hidden native_enter\n"
        ".type native_enter, @function\n"
        "native_enter:\n"
        "    .cfi_startproc\n"
        "    push %rbp\n"
        "    push %rbx\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    sub $" STR(NATIVE_FRAME_SIZE) ", %rsp\n"
        "    mov %rdi, %r15\n"
        "    mov (%rdi), %r14\n"
        "    mov %rdx, %rbx\n"
        "    call *%rsi\n"
        "    add $" STR(NATIVE_FRAME_SIZE) ", %rsp\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbx\n"
        "    pop %rbp\n"
        "    ret\n"
        "    .cfi_endproc\n"
        ".size native_enter, .-native_enter\n");

/* Offsets the lookup stub uses, as literals for the assembler. */
#define CTX_LOOKUP_TB 24
#define CTX_EXIT_REASON 72
#define CTX_JC 80
#define CTX_INLINE_HITS 88
#define CTX_JC_SECOND 96
#define CTX_SECOND_HITS 104
#define CTX_LOOKUP_CODE 112
#define SLOT_PC 0
#define SLOT_CS_BASE 8
#define SLOT_FLAGS 16 /* flags, then cflags: one 8-byte word */
#define SLOT_CODE 24
#define TB_CODE 48
_Static_assert(offsetof(TBExecCtx, lookup_tb) == CTX_LOOKUP_TB, "stub offsets");
_Static_assert(offsetof(TBExecCtx, exit_reason) == CTX_EXIT_REASON, "stub offsets");
_Static_assert(offsetof(TBExecCtx, jc) == CTX_JC, "stub offsets");
_Static_assert(offsetof(TBExecCtx, lookup_inline_hits) == CTX_INLINE_HITS, "stub offsets");
_Static_assert(offsetof(TBExecCtx, jc_second) == CTX_JC_SECOND, "stub offsets");
_Static_assert(offsetof(TBExecCtx, lookup_inline_second_hits) == CTX_SECOND_HITS,
               "stub offsets");
_Static_assert(offsetof(TBExecCtx, lookup_code) == CTX_LOOKUP_CODE, "stub offsets");
_Static_assert(offsetof(TBJumpSlot, pc) == SLOT_PC, "stub offsets");
_Static_assert(offsetof(TBJumpSlot, cs_base) == SLOT_CS_BASE, "stub offsets");
_Static_assert(offsetof(TBJumpSlot, flags_word) == SLOT_FLAGS, "stub offsets");
_Static_assert(offsetof(TBJumpSlot, code) == SLOT_CODE, "stub offsets");
_Static_assert(sizeof(TBJumpSlot) == 32, "the stub scales the slot index by 32");
_Static_assert(offsetof(TranslationBlock, code) == TB_CODE, "stub offsets");
_Static_assert(offsetof(TBJumpCache, entry) == 0 && TB_JC_SIZE == 4096, "stub hash");
_Static_assert(TB_EXIT_NOCHAIN == 2, "stub exit reason");
_Static_assert(offsetof(TranslationBlock, code) + 8 <= 64, "lookups read one cache line");

/*
 * native_lookup_stub: called from TB code (the TB's register roles; rcx = pc,
 * r10 = cs_base, r11 = the flags word).  The probe is tb_jc_lookup(): slot
 * (pc ^ pc >> 12) & 4095 of ctx->jc, then of ctx->jc_second; a slot holds the key and the
 * code, so a hit reads no TB header, and registered jump caches never hold invalid TBs
 * (an empty slot's flags word matches no key).  TB code enters what it returns through
 * the chained-entry prologue (budget, exit_request).  The hook is called with rsp moved
 * back to the alignment TB code calls from; the code of what it returns comes from
 * ctx->lookup_code when the hook filled it in, else from the TB header.  A PC with bit
 * 63 set probes jc_second first: for a 64-bit kernel (upper half, global pages, so its
 * blocks live in jc_global) that saves the load of a slot in jc that would miss; the
 * order changes nothing else, both caches hold only valid blocks for their key.
 */
__asm__(".text\n"
        ".globl native_lookup_stub\n"
        ".hidden native_lookup_stub\n"
        ".type native_lookup_stub, @function\n"
        "native_lookup_stub:\n"
        "    mov %rcx, %rdx\n"
        "    shr $12, %rdx\n"
        "    xor %ecx, %edx\n"
        "    and $4095, %edx\n"
        "    shl $5, %edx\n"
        "    test %rcx, %rcx\n"
        "    js 5f\n"
        "    mov " STR(CTX_JC) "(%r15), %rax\n"
        "    test %rax, %rax\n"
        "    jz 1f\n"
        "    add %rdx, %rax\n"
        "    cmp " STR(SLOT_PC) "(%rax), %rcx\n"
        "    jne 1f\n"
        "    cmp " STR(SLOT_CS_BASE) "(%rax), %r10\n"
        "    jne 1f\n"
        "    cmp " STR(SLOT_FLAGS) "(%rax), %r11\n"
        "    jne 1f\n"
        "    incq " STR(CTX_INLINE_HITS) "(%r15)\n"
        "    mov " STR(SLOT_CODE) "(%rax), %rax\n"
        "    ret\n"
        "1:\n"
        "    mov " STR(CTX_JC_SECOND) "(%r15), %rax\n"
        "    test %rax, %rax\n"
        "    jz 3f\n"
        "    add %rdx, %rax\n"
        "    cmp " STR(SLOT_PC) "(%rax), %rcx\n"
        "    jne 3f\n"
        "    cmp " STR(SLOT_CS_BASE) "(%rax), %r10\n"
        "    jne 3f\n"
        "    cmp " STR(SLOT_FLAGS) "(%rax), %r11\n"
        "    jne 3f\n"
        "    incq " STR(CTX_INLINE_HITS) "(%r15)\n"
        "    incq " STR(CTX_SECOND_HITS) "(%r15)\n"
        "    mov " STR(SLOT_CODE) "(%rax), %rax\n"
        "    ret\n"
        "3:\n"
        "    mov " STR(CTX_LOOKUP_TB) "(%r15), %rax\n"
        "    test %rax, %rax\n"
        "    jz 2f\n"
        "    movq $0, " STR(CTX_LOOKUP_CODE) "(%r15)\n"
        "    sub $8, %rsp\n"
        "    mov %r15, %rdi\n"
        "    call *%rax\n"
        "    add $8, %rsp\n"
        "    test %rax, %rax\n"
        "    jz 2f\n"
        "    mov " STR(CTX_LOOKUP_CODE) "(%r15), %rdx\n"
        "    test %rdx, %rdx\n"
        "    jz 4f\n"
        "    mov %rdx, %rax\n"
        "    ret\n"
        "4:\n"
        "    mov " STR(TB_CODE) "(%rax), %rax\n"
        "    ret\n"
        "2:\n"
        "    lea native_exit_nochain(%rip), %rax\n"
        "    ret\n"
        /* A PC in the upper half (a 64-bit kernel's, whose pages are global): jc_second
         * first, then jc, then the hook. */
        "5:\n"
        "    mov " STR(CTX_JC_SECOND) "(%r15), %rax\n"
        "    test %rax, %rax\n"
        "    jz 6f\n"
        "    add %rdx, %rax\n"
        "    cmp " STR(SLOT_PC) "(%rax), %rcx\n"
        "    jne 6f\n"
        "    cmp " STR(SLOT_CS_BASE) "(%rax), %r10\n"
        "    jne 6f\n"
        "    cmp " STR(SLOT_FLAGS) "(%rax), %r11\n"
        "    jne 6f\n"
        "    incq " STR(CTX_INLINE_HITS) "(%r15)\n"
        "    incq " STR(CTX_SECOND_HITS) "(%r15)\n"
        "    mov " STR(SLOT_CODE) "(%rax), %rax\n"
        "    ret\n"
        "6:\n"
        "    mov " STR(CTX_JC) "(%r15), %rax\n"
        "    test %rax, %rax\n"
        "    jz 3b\n"
        "    add %rdx, %rax\n"
        "    cmp " STR(SLOT_PC) "(%rax), %rcx\n"
        "    jne 3b\n"
        "    cmp " STR(SLOT_CS_BASE) "(%rax), %r10\n"
        "    jne 3b\n"
        "    cmp " STR(SLOT_FLAGS) "(%rax), %r11\n"
        "    jne 3b\n"
        "    incq " STR(CTX_INLINE_HITS) "(%r15)\n"
        "    mov " STR(SLOT_CODE) "(%rax), %rax\n"
        "    ret\n"
        ".size native_lookup_stub, .-native_lookup_stub\n"
        ".globl native_exit_nochain\n"
        ".hidden native_exit_nochain\n"
        ".type native_exit_nochain, @function\n"
        "native_exit_nochain:\n"
        "    movl $2, " STR(CTX_EXIT_REASON) "(%r15)\n"
        "    xor %eax, %eax\n"
        "    ret\n"
        ".size native_exit_nochain, .-native_exit_nochain\n");

/*
 * The probe in TB code does not test for a NULL table: a table that always misses stands
 * in for one (every low bit set, mask 0).  Code only reads it.
 */
static TLBFastEntry native_miss_table[1] = {
    {.addr_read = ~0ull, .addr_write = ~0ull, .addr_code = ~0ull},
};
static __thread TLBFast native_tlb_copy;

/*
 * The TLBFast that TB code gets: the embedding's own (so that table switches made by hooks
 * and helpers while code runs take effect) when it has no NULL table, else a copy with
 * the NULL tables replaced (see guest-mem.h), or all-miss tables without a usable TLB.
 */
static const TLBFast *native_tlb(const TLBFast *tlb)
{
    bool usable = tlb && tlb->page_bits == NATIVE_PAGE_BITS;

    for (unsigned i = 0; usable && i < IR_MAX_MMU_IDX; i++) {
        if (!tlb->table[i]) {
            break;
        }
        if (i == IR_MAX_MMU_IDX - 1) {
            return tlb;
        }
    }
    for (unsigned i = 0; i < IR_MAX_MMU_IDX; i++) {
        bool have = usable && tlb->table[i];
        native_tlb_copy.table[i] = have ? tlb->table[i] : native_miss_table;
        tlb_fast_set_mask(&native_tlb_copy, i, have ? tlb->mask[i] : 0);
    }
    native_tlb_copy.page_bits = NATIVE_PAGE_BITS;
    return &native_tlb_copy;
}

static uint64_t native_exec(TBExecCtx *ctx, TranslationBlock *tb)
{
    const TLBFast *tlb = native_tlb(ctx->tlb);
    uint64_t ret;

    ctx->cur_tb = tb;
    ctx->last_tb = tb; /* every exit stores its own TB; the lookup stub's miss leaves this */
    ret = native_enter(ctx, (const uint8_t *)tb->code + NATIVE_BODY_OFF, tlb);
    return ret;
}

/*
 * The jmp's rel32 is 4-byte aligned: one atomic store through the writable view.  The
 * displacement is the same in both views since both map the same arena contiguously.
 */
static void native_set_jump(TranslationBlock *tb, unsigned n, TranslationBlock *dest)
{
    uint32_t at = tb->jmp_patch[n];
    uintptr_t site_end = (uintptr_t)tb->code + at + 4;
    uintptr_t target = dest ? (uintptr_t)dest->code : site_end;
    int32_t disp = (int32_t)((intptr_t)target - (intptr_t)site_end);

    __atomic_store_n((int32_t *)((uint8_t *)tb->code_rw + at), disp, __ATOMIC_RELEASE);
}

static void native_dump(const TranslationBlock *tb, FILE *out)
{
    const uint8_t *code = tb->code;
    uint32_t insn = 0, i = 0;

    fprintf(out, "  code at %p (prologue %d bytes)\n", (const void *)code, NATIVE_BODY_OFF);
    while (i < tb->code_size) {
        uint32_t end = tb->code_size;
        while (insn < tb->icount && tb->insn_pos[insn] <= i) {
            fprintf(out, "  -- insn %u\n", insn++);
        }
        if (insn < tb->icount && tb->insn_pos[insn] < end) {
            end = tb->insn_pos[insn];
        }
        if (end - i > 16) {
            end = i + 16;
        }
        fprintf(out, "  %04x:", i);
        for (; i < end; i++) {
            fprintf(out, " %02x", code[i]);
        }
        fputc('\n', out);
    }
}

const TBBackend tb_backend_x86_64 = {
    .name = "native",
    .needs_exec_memory = true,
    .gen_code = native_gen_code,
    .exec = native_exec,
    .set_jump = native_set_jump,
    .dump = native_dump,
};

#endif /* __x86_64__ */
