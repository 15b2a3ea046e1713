/*
 * Shared set-up for the x86 system-side unit tests (test-x86-mmu.c,
 * test-x86-seg.c): a CPU with a small fake Machine whose memory address
 * space is flat RAM at 0, helpers to poke guest physical memory and
 * descriptors, and a way to catch the exception a helper raises.
 */
#ifndef TESTS_UNIT_X86_SYS_HARNESS_H
#define TESTS_UNIT_X86_SYS_HARNESS_H

#include <setjmp.h>

#include "core/machine.h"
#include "core/memory.h"
#include "cpu/x86/cpu.h"
#include "cpu/x86/helper.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/seg.h"
#include "tests/unit/test.h"

#define HARNESS_RAM (16u << 20)

typedef struct SysHarness {
    Machine m;
    CPUX86State env;
    sigjmp_buf jb;
} SysHarness;

static inline SysHarness *harness_new(void)
{
    SysHarness *h = XNEW(SysHarness);
    memory_region_init_container(&h->m.system_memory, "system", UINT64_MAX);
    memory_region_init_ram(&h->m.ram, "ram", HARNESS_RAM);
    memory_region_add_subregion(&h->m.system_memory, 0, &h->m.ram);
    address_space_init(&h->m.as_memory, &h->m.system_memory, "memory");
    h->m.loop = main_loop_new(); /* a triple fault requests a reset through it */
    h->env.machine = &h->m;
    h->env.jmp_env = &h->jb;
    x86_cpu_reset(&h->env);
    return h;
}

static inline void harness_free(SysHarness *h)
{
    address_space_destroy(&h->m.as_memory);
    memory_region_destroy(&h->m.ram);
    memory_region_destroy(&h->m.system_memory);
    main_loop_free(h->m.loop);
    free(h);
}

static inline uint8_t *ram(SysHarness *h)
{
    return h->m.ram.ram;
}

static inline void poke32(SysHarness *h, uint64_t pa, uint32_t v)
{
    stl_le_p(ram(h) + pa, v);
}

static inline void poke64(SysHarness *h, uint64_t pa, uint64_t v)
{
    stq_le_p(ram(h) + pa, v);
}

static inline uint32_t peek32(SysHarness *h, uint64_t pa)
{
    return ldl_le_p(ram(h) + pa);
}

static inline uint64_t peek64(SysHarness *h, uint64_t pa)
{
    return ldq_le_p(ram(h) + pa);
}

/* An 8-byte segment descriptor from base, limit (bytes or pages with G) and attributes. */
static inline uint64_t make_desc(uint32_t base, uint32_t limit, uint32_t attr)
{
    uint32_t e1 = (limit & 0xffff) | (base << 16);
    uint32_t e2 = ((base >> 16) & 0xff) | (base & 0xff000000u) | (limit & 0x000f0000u) | attr;
    return e1 | (uint64_t)e2 << 32;
}

/* A gate descriptor (call/interrupt/trap/task) of the given type and DPL. */
static inline uint64_t make_gate(uint16_t selector, uint32_t offset, int type, int dpl, int params)
{
    uint32_t e1 = (offset & 0xffff) | ((uint32_t)selector << 16);
    uint32_t e2 = (offset & 0xffff0000u) | DESC_P_MASK | ((uint32_t)dpl << DESC_DPL_SHIFT) |
                  ((uint32_t)type << DESC_TYPE_SHIFT) | (uint32_t)params;
    return e1 | (uint64_t)e2 << 32;
}

/* Attribute words. */
#define A_CODE32 (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_B_MASK | DESC_G_MASK)
#define A_DATA32 (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_B_MASK | DESC_G_MASK)
#define A_CODE64 (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_L_MASK | DESC_G_MASK)
#define A_DPL(n) ((uint32_t)(n) << DESC_DPL_SHIFT)

/*
 * Run stmt; expect it to raise vector with error code err (err -1 = don't
 * check).  Works like the exec loop: state is whatever the helper left.
 */
#define EXPECT_EXC(h, stmt, vector, err)                                       \
    do {                                                                       \
        (h)->env.exception_index = -1;                                         \
        if (sigsetjmp((h)->jb, 0) == 0) {                                      \
            stmt;                                                              \
            test_fail_at(__FILE__, __LINE__, "no exception from " #stmt);      \
        } else {                                                               \
            CHECK_EQ((h)->env.exception_index, (vector));                      \
            if ((int)(err) != -1) {                                            \
                CHECK_EQ((uint32_t)(h)->env.error_code, (uint32_t)(err));      \
            }                                                                  \
        }                                                                      \
    } while (0)

#define EXPECT_OK(h, stmt)                                                     \
    do {                                                                       \
        (h)->env.exception_index = -1;                                         \
        if (sigsetjmp((h)->jb, 0) == 0) {                                      \
            stmt;                                                              \
        } else {                                                               \
            char msg_[160];                                                    \
            snprintf(msg_, sizeof(msg_), "unexpected exception %d err %#x: %s", \
                     (h)->env.exception_index, (h)->env.error_code, #stmt);    \
            test_fail_at(__FILE__, __LINE__, msg_);                            \
        }                                                                      \
    } while (0)

#endif
