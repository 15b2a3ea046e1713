/*
 * Osprey BIOS: the POST Memory Manager ("POST Memory Manager Specification" 1.01).
 * Option ROMs such as iPXE find the $PMM structure by scanning the F segment on
 * 16-byte boundaries and far-call its entry with the function and its arguments
 * on the stack (C order); the result comes back in DX:AX (0 on failure).
 *
 *   0 pmmAllocate(u32 paragraphs, u32 handle, u16 flags): flags bit 0 conventional
 *     memory, bit 1 extended memory, bit 2 aligned to the (power of two) size;
 *     0 paragraphs asks for the largest free block (in paragraphs).
 *   1 pmmFind(u32 handle)
 *   2 pmmDeallocate(u32 address)
 *
 * Like other BIOSes, the memory is only lent for POST: nothing is reserved in the e820
 * map, so what a ROM keeps after boot it must hide itself (iPXE hooks INT 15h E820).
 * Conventional blocks come from 0x20000-0x7FFFF, extended ones from the 8 MiB below the
 * BIOS's table zone.  Each zone is a bump allocator; freeing its last block gives it back.
 */
#include "bios.h"

#define PMM_MAX_BLOCKS 32
#define PMM_CONV_START 0x20000u
#define PMM_CONV_END 0x80000u
#define PMM_EXT_SIZE (8u << 20)
#define PMM_HANDLE_NONE 0xffffffffu
#define PMM_FLAG_CONV 1
#define PMM_FLAG_EXT 2
#define PMM_FLAG_ALIGN 4

struct pmm_header {
    char signature[4];
    u8 revision, length, checksum;
    u16 entry_offset, entry_segment;
    u8 reserved[5];
} __attribute__((packed));

struct pmm_zone {
    u32 start, next, end;
};

struct pmm_block {
    u32 addr, size, handle;
    u8 zone; /* 0: free slot, 1: conventional, 2: extended */
};

/* The caller's stack arguments, copied here by pmm_entry (entry.S). */
struct pmm_args {
    u16 function;
    u32 arg1, arg2;
    u16 flags;
} __attribute__((packed));

extern char pmm_entry[];

struct pmm_header pmm_header __attribute__((aligned(16))) = {
    .signature = "$PMM", .revision = 0x01, .length = sizeof(struct pmm_header), /* bytes */
};
struct pmm_args pmm_args;
static struct pmm_zone zones[2];
static struct pmm_block blocks[PMM_MAX_BLOCKS];

void pmm_setup(void)
{
    u32 ext_end = high_zone_base();
    u32 ext_start = ext_end > PMM_EXT_SIZE + (16u << 20) ? ext_end - PMM_EXT_SIZE : 0;
    zones[0] = (struct pmm_zone){PMM_CONV_START, PMM_CONV_START, PMM_CONV_END};
    zones[1] = (struct pmm_zone){ext_start, ext_start, ext_start ? ext_end : 0};
    pmm_header.entry_offset = (u16)(u32)pmm_entry;
    pmm_header.entry_segment = BIOS_SEG;
    pmm_header.checksum = 0;
    u8 sum = 0;
    for (u32 i = 0; i < sizeof(pmm_header); i++) {
        sum += ((const u8 *)&pmm_header)[i];
    }
    pmm_header.checksum = (u8)-sum;
}

static u32 zone_free(const struct pmm_zone *z) { return z->end - z->next; }

static u32 pmm_allocate(u32 paragraphs, u32 handle, u16 flags)
{
    if (!(flags & (PMM_FLAG_CONV | PMM_FLAG_EXT))) {
        return 0;
    }
    if (!paragraphs) {
        /* The largest block the flags allow, in paragraphs. */
        u32 best = 0;
        for (int z = 0; z < 2; z++) {
            if ((flags & (1u << z)) && zone_free(&zones[z]) > best) {
                best = zone_free(&zones[z]);
            }
        }
        return best >> 4;
    }
    if (paragraphs > (256u << 20) >> 4) {
        return 0;
    }
    u32 size = paragraphs << 4;
    u32 align = 16;
    if (flags & PMM_FLAG_ALIGN) {
        while (align < size && align < (1u << 30)) {
            align <<= 1;
        }
    }
    int slot = -1;
    for (int i = 0; i < PMM_MAX_BLOCKS; i++) {
        if (!blocks[i].zone) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        return 0;
    }
    /* Conventional memory first when both are allowed: it is the scarcer promise. */
    for (int z = 0; z < 2; z++) {
        struct pmm_zone *zone = &zones[z];
        if (!(flags & (1u << z)) || !zone->end) {
            continue;
        }
        u32 addr = (zone->next + align - 1) & ~(align - 1);
        if (addr < zone->next || addr > zone->end || size > zone->end - addr) {
            continue;
        }
        zone->next = addr + size;
        blocks[slot] = (struct pmm_block){addr, size, handle, (u8)(z + 1)};
        return addr;
    }
    return 0;
}

static u32 pmm_find(u32 handle)
{
    if (handle == PMM_HANDLE_NONE) {
        return 0;
    }
    for (int i = 0; i < PMM_MAX_BLOCKS; i++) {
        if (blocks[i].zone && blocks[i].handle == handle) {
            return blocks[i].addr;
        }
    }
    return 0;
}

static u32 pmm_deallocate(u32 addr)
{
    for (int i = 0; i < PMM_MAX_BLOCKS; i++) {
        struct pmm_block *b = &blocks[i];
        if (b->zone && b->addr == addr) {
            struct pmm_zone *zone = &zones[b->zone - 1];
            if (zone->next == b->addr + b->size) {
                zone->next = b->addr;
            }
            b->zone = 0;
            return 0;
        }
    }
    return 0xffffffffu; /* not an allocated block */
}

u32 handle_pmm(void)
{
    switch (pmm_args.function) {
    case 0:
        return pmm_allocate(pmm_args.arg1, pmm_args.arg2, pmm_args.flags);
    case 1:
        return pmm_find(pmm_args.arg1);
    case 2:
        return pmm_deallocate(pmm_args.arg1);
    }
    dprintf("pmm: function %u not supported\n", pmm_args.function);
    return 0xffffffffu;
}
