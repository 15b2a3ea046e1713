/*
 * A bare x86 CPU with flat RAM at physical 0, running through the real
 * translation path (see test_rig.h).  The rig owns a minimal Machine (just
 * the address spaces and a main loop, which the triple-fault path pokes) and
 * builds its own GDT and page tables in the last 64 KiB of RAM.
 */
#include "cpu/x86/test_rig.h"

#include <string.h>

#include "cpu/x86/tcg-exec.h"
#include "core/loop.h"
#include "core/machine.h"
#include "cpu/x86/helper.h"

struct X86TestRig {
    Machine m;
    CPUX86State env;
    X86TCGCPU *cpu;
};

/* Layout of the rig's system area at the top of RAM. */
#define RIG_AREA 0x10000u
#define RIG_GDT_OFF 0x0000u  /* 8 descriptors */
#define RIG_PML4_OFF 0x1000u
#define RIG_PDPT_OFF 0x2000u
#define RIG_PD_OFF 0x3000u   /* up to 8 page directories of 2 MiB pages (8 GiB) */

X86TestRig *x86_rig_new(uint64_t ram_size, const char *backend)
{
    X86TestRig *rig = calloc(1, sizeof(*rig));
    const TBBackend *be;

    /* Tests that do not name a backend run on the one the test runner chose. */
    if (!backend) {
        backend = getenv("OSPREY_TCG_BACKEND");
    }
    be = backend ? tb_backend_find(backend, strlen(backend)) : NULL;

    if (!rig) {
        abort();
    }
    if (!be) {
        if (backend) {
            fprintf(stderr, "x86 rig: unknown backend '%s', using the default\n", backend);
        }
        be = tb_backend_default();
    }
    ram_size = (ram_size + 0xfffff) & ~(uint64_t)0xfffff;
    if (ram_size < (1u << 20)) {
        ram_size = 1u << 20;
    }
    rig->m.loop = main_loop_new();
    memory_region_init_container(&rig->m.system_memory, "system", UINT64_MAX);
    memory_region_init_container(&rig->m.io_space, "io", 0x10000);
    address_space_init(&rig->m.as_memory, &rig->m.system_memory, "memory");
    address_space_init(&rig->m.as_io, &rig->m.io_space, "I/O");
    memory_region_init_ram(&rig->m.ram, "rig.ram", ram_size);
    memory_region_add_subregion(&rig->m.system_memory, 0, &rig->m.ram);
    rig->m.ram_size = ram_size;

    rig->env.machine = &rig->m;
    rig->env.exception_index = -1;
    rig->env.old_exception = -1;
    x86_cpu_reset(&rig->env);
    rig->cpu = x86_tcg_cpu_new(&rig->env, &rig->m.as_memory, &rig->m.as_io, be, 16u << 20);
    rig->cpu->count_insns = true;
    return rig;
}

void x86_rig_free(X86TestRig *rig)
{
    if (!rig) {
        return;
    }
    x86_tcg_cpu_free(rig->cpu);
    memory_region_del_subregion(&rig->m.system_memory, &rig->m.ram);
    address_space_destroy(&rig->m.as_memory);
    address_space_destroy(&rig->m.as_io);
    memory_region_destroy(&rig->m.ram);
    memory_region_destroy(&rig->m.system_memory);
    memory_region_destroy(&rig->m.io_space);
    main_loop_free(rig->m.loop);
    free(rig);
}

CPUX86State *x86_rig_env(X86TestRig *rig)
{
    return &rig->env;
}

uint8_t *x86_rig_ram(X86TestRig *rig)
{
    return memory_region_get_ram_ptr(&rig->m.ram);
}

uint64_t x86_rig_ram_size(X86TestRig *rig)
{
    return rig->m.ram_size;
}

void x86_rig_code_changed(X86TestRig *rig)
{
    x86_tcg_flush(rig->cpu);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A flat descriptor: base 0, limit 4 GiB, G, with the given type/flags bits. */
static uint64_t flat_desc(uint32_t flags)
{
    return 0xffffull | ((uint64_t)(flags | DESC_G_MASK | (0xfu << 16)) << 32);
}

static void load_flat(CPUX86State *env, int seg, uint16_t sel, uint32_t flags)
{
    env->segs[seg].selector = sel;
    env->segs[seg].base = 0;
    env->segs[seg].limit = 0xffffffffu;
    env->segs[seg].flags = flags | DESC_G_MASK | DESC_A_MASK;
}

void x86_rig_enter_mode(X86TestRig *rig, X86RigMode mode, int cpl)
{
    CPUX86State *env = &rig->env;
    uint8_t *ram = x86_rig_ram(rig);
    uint64_t area = rig->m.ram_size - RIG_AREA;
    uint32_t dpl = (uint32_t)(cpl & 3) << DESC_DPL_SHIFT;
    uint32_t code, data;

    x86_cpu_reset(env);
    /* A bare test CPU decodes every instruction the translator knows. */
    memset(env->cpuid_features, 0, sizeof(env->cpuid_features));
    if (mode == X86_RIG_REAL) {
        for (int i = 0; i < X86_NR_SEGS; i++) {
            x86_load_seg_real(env, i, 0);
        }
        env->rip = 0;
        x86_update_hflags(env);
        x86_tcg_flush(rig->cpu);
        return;
    }
    code = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | dpl;
    data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | dpl;
    /* GDT: null, code32, data, code64; user copies at 0x20.. with DPL = cpl. */
    memset(ram + area + RIG_GDT_OFF, 0, 64);
    put64(ram + area + RIG_GDT_OFF + 0x08, flat_desc(code | DESC_B_MASK));
    put64(ram + area + RIG_GDT_OFF + 0x10, flat_desc(data | DESC_B_MASK));
    put64(ram + area + RIG_GDT_OFF + 0x18, flat_desc(code | DESC_L_MASK));
    env->gdt.base = area + RIG_GDT_OFF;
    env->gdt.limit = 0x3f;
    /* Native x87 error reporting (#MF) and SSE with #XM, as an operating system sets up. */
    env->cr[0] |= CR0_PE | CR0_ET | CR0_MP | CR0_NE;
    env->cr[4] |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (mode == X86_RIG_LONG64) {
        uint64_t pages = (rig->m.ram_size + (1u << 30) - 1) >> 30; /* GiB */
        if (pages > 8) {
            pages = 8;
        }
        memset(ram + area + RIG_PML4_OFF, 0, 0xd000);
        put64(ram + area + RIG_PML4_OFF, (area + RIG_PDPT_OFF) | 7);
        for (uint64_t g = 0; g < pages; g++) {
            put64(ram + area + RIG_PDPT_OFF + g * 8, (area + RIG_PD_OFF + g * 0x1000) | 7);
            for (uint64_t i = 0; i < 512; i++) {
                put64(ram + area + RIG_PD_OFF + g * 0x1000 + i * 8,
                      ((g << 30) + (i << 21)) | 0x87);
            }
        }
        env->cr[3] = area + RIG_PML4_OFF;
        env->cr[4] |= CR4_PAE;
        env->efer |= EFER_LME | EFER_LMA;
        env->cr[0] |= CR0_PG;
        load_flat(env, R_CS, (uint16_t)(0x18 | cpl), code | DESC_L_MASK);
    } else {
        load_flat(env, R_CS, (uint16_t)(0x08 | cpl), code | DESC_B_MASK);
    }
    for (int i = 0; i < X86_NR_SEGS; i++) {
        if (i != R_CS) {
            load_flat(env, i, (uint16_t)(0x10 | cpl), data | DESC_B_MASK);
        }
    }
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (uint32_t)(cpl & 3);
    env->rip = 0;
    x86_update_hflags(env);
    env->hflags = (env->hflags & ~HF_CPL_MASK) | (uint32_t)(cpl & 3);
    x86_tcg_flush(rig->cpu);
}

X86RigResult x86_rig_run(X86TestRig *rig, uint64_t max_insns, bool stop_on_exception)
{
    X86TCGCPU *c = rig->cpu;
    X86RigResult r = {.stop = X86_RIG_STOP_COUNT, .vector = -1, .error_code = -1};
    uint64_t start = c->insns;

    c->stop_on_exception = stop_on_exception;
    rig->env.halted = false;
    while (c->insns - start < max_insns) {
        X86ExecExit e = x86_exec(c, max_insns - (c->insns - start));
        if (e == X86_EXEC_EXCEPTION) {
            r.stop = X86_RIG_STOP_EXCEPTION;
            r.vector = c->last_vector;
            /* Only #DF, #TS, #NP, #SS, #GP, #PF and #AC push an error code. */
            r.error_code = (r.vector == 8 || (r.vector >= 10 && r.vector <= 14) ||
                            r.vector == 17) ? c->last_error_code : -1;
            break;
        }
        if (e == X86_EXEC_HALTED) {
            r.stop = rig->m.reset_request ? X86_RIG_STOP_SHUTDOWN : X86_RIG_STOP_HLT;
            rig->m.reset_request = 0;
            break;
        }
    }
    r.insns = c->insns - start;
    return r;
}
