/*
 * Applying a DirectBoot (see direct-boot.h): RAM contents and the CPU state
 * a 32-bit boot protocol entry expects (Linux boot.rst "32-bit boot
 * protocol", Multiboot 0.6.96 "Machine state"): protected mode, paging off,
 * interrupts off, flat 4 GiB code and data segments from a GDT in low RAM.
 */
#include "hw/i386/direct-boot.h"

#include <errno.h>

#include "cpu/x86/cpu.h"

#define DIRECT_BOOT_ZERO_CHUNK 65536

void direct_boot_add(DirectBoot *b, uint64_t addr, uint8_t *data, size_t len)
{
    b->blobs = xrealloc(b->blobs, (size_t)(b->nr_blobs + 1) * sizeof(*b->blobs));
    b->blobs[b->nr_blobs].addr = addr;
    b->blobs[b->nr_blobs].data = data;
    b->blobs[b->nr_blobs].len = len;
    b->nr_blobs++;
}

void direct_boot_add_copy(DirectBoot *b, uint64_t addr, const void *data, size_t len)
{
    uint8_t *copy = xmalloc(len ? len : 1);
    memcpy(copy, data, len);
    direct_boot_add(b, addr, copy, len);
}

void direct_boot_free(DirectBoot *b)
{
    for (int i = 0; i < b->nr_blobs; i++) {
        free(b->blobs[i].data);
    }
    free(b->blobs);
    b->blobs = NULL;
    b->nr_blobs = 0;
}

/* A flat 4 GiB descriptor with the given access byte bits (type, S, DPL, P) and D/B. */
static uint64_t flat_descriptor(uint32_t flags)
{
    return 0xffffULL | ((uint64_t)(flags | DESC_G_MASK | DESC_B_MASK | (0xfu << 16)) << 32);
}

static void load_flat_segment(CPUX86State *env, int seg, uint16_t selector, uint32_t flags)
{
    env->segs[seg].selector = selector;
    env->segs[seg].base = 0;
    env->segs[seg].limit = 0xffffffffu;
    env->segs[seg].flags = flags | DESC_G_MASK | DESC_B_MASK;
}

void direct_boot_apply(DirectBoot *b, Machine *m)
{
    AddressSpace *as = &m->as_memory;
    uint32_t code = DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK;
    uint32_t data = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK;
    uint8_t gdt[32] = {0};

    stq_le_p(gdt + DIRECT_BOOT_CS, flat_descriptor(code));
    stq_le_p(gdt + DIRECT_BOOT_DS, flat_descriptor(data));
    address_space_write_rom(as, DIRECT_BOOT_GDT_ADDR, gdt, sizeof(gdt));
    for (int i = 0; i < b->nr_blobs; i++) {
        const DirectBootBlob *blob = &b->blobs[i];
        if (blob->data) {
            address_space_write_rom(as, blob->addr, blob->data, blob->len);
            continue;
        }
        static const uint8_t zeros[DIRECT_BOOT_ZERO_CHUNK];
        for (size_t done = 0; done < blob->len;) {
            size_t n = MIN(blob->len - done, sizeof(zeros));
            address_space_write_rom(as, blob->addr + done, zeros, n);
            done += n;
        }
    }

    CPUX86State *env = m->cpus[0];
    for (int i = 0; i < X86_NR_SEGS; i++) {
        if (i == R_CS) {
            load_flat_segment(env, i, DIRECT_BOOT_CS, code);
        } else {
            load_flat_segment(env, i, DIRECT_BOOT_DS, data);
        }
    }
    env->gdt.base = DIRECT_BOOT_GDT_ADDR;
    env->gdt.limit = sizeof(gdt) - 1;
    env->cr[0] = (env->cr[0] & ~(uint64_t)CR0_PG) | CR0_PE;
    memset(env->regs, 0, sizeof(env->regs));
    env->regs[R_EAX] = b->eax;
    env->regs[R_EBX] = b->ebx;
    env->regs[R_ESI] = b->esi;
    env->rip = b->eip;
    x86_put_eflags(env, 0x2);
    env->halted = false;
    env->wait_for_sipi = false;
    x86_update_hflags(env);
}

bool direct_boot_read_file(const char *option, const char *path, uint8_t **data,
                           size_t *size, Error **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_setg(errp, "%s: could not open '%s': %s", option, path, strerror(errno));
        return false;
    }
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) {
        len = ftell(f);
        rewind(f);
    }
    if (len < 0) {
        error_setg(errp, "%s: could not read '%s'", option, path);
        fclose(f);
        return false;
    }
    uint8_t *buf = xmalloc(len ? (size_t)len : 1);
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        error_setg(errp, "%s: short read from '%s'", option, path);
        free(buf);
        fclose(f);
        return false;
    }
    fclose(f);
    *data = buf;
    *size = (size_t)len;
    return true;
}
