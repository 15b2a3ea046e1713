/*
 * fw_cfg ("fw_cfg"): the firmware configuration interface of QEMU's PC,
 * which SeaBIOS, OVMF and Linux's qemu_fw_cfg driver read.
 *
 * Reference: QEMU's docs/specs/fw_cfg.txt (the guest-visible interface:
 * ports, keys, file directory layout, DMA descriptor and control bits).
 *
 * The interface on a PC:
 * - 0x510, 16-bit write: select an item (key).  Bit 15 picks the
 *   architecture-local item space; bit 14 (the old write channel) is
 *   ignored, as data-port writes have been since QEMU 2.4.
 * - 0x511, 8-bit read: the next byte of the selected item; 0 past its end.
 * - 0x514..0x51b, DMA: the guest writes the 64-bit physical address of a
 *   FWCfgDmaAccess {be32 control; be32 length; be64 address} as two
 *   big-endian 32-bit halves, high at 0x514, low at 0x518; the low write
 *   starts the transfer.  Reading the 8 bytes gives "QEMU CFG".
 *
 * Choices worth knowing:
 * - The items are machine configuration, set by the board before the
 *   guest runs; only the selection, the read offset and a half-written DMA
 *   address are device state.
 * - DMA is synchronous: the control word is written back (0, or the error
 *   bit) before the port write returns.
 * - No item is guest-writable, so a DMA write sets the error bit.
 * - A DMA read past an item's end fills zeros, as the spec says, but at
 *   most FW_CFG_DMA_ZERO_FILL_MAX bytes of them; a longer request ends with
 *   the error bit.  No firmware reads megabytes past an item, and the cap
 *   keeps one hostile descriptor from costing gigabytes of memset.
 */
#include "hw/nvram/fw_cfg.h"

#include "core/log.h"
#include "core/machine.h"

#define FW_CFG_ENTRY_MASK 0x3fff
#define FW_CFG_MAX_ENTRY (FW_CFG_FILE_FIRST + FW_CFG_FILE_SLOTS)
#define FW_CFG_INVALID 0xffff

/* DMA control bits. */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

/* ID item feature bits. */
#define FW_CFG_VERSION_TRADITIONAL 0x01
#define FW_CFG_VERSION_DMA 0x02

#define FW_CFG_DMA_CHUNK 4096
#define FW_CFG_DMA_ZERO_FILL_MAX (16u << 20)

static const char fw_cfg_dma_signature[8] = "QEMU CFG";

typedef struct FWCfgItem {
    uint8_t *data;
    uint32_t len;
} FWCfgItem;

struct FWCfgState {
    DeviceState parent;
    MemoryRegion io;  /* 0x510: selector (16-bit write) and data (8-bit read) */
    MemoryRegion dma; /* 0x514: DMA address, 8 bytes */

    /* [0]: generic items, [1]: arch-local (key bit 15). */
    FWCfgItem items[2][FW_CFG_MAX_ENTRY];
    /* File names by slot; slot i is key FW_CFG_FILE_FIRST + i, sorted by name. */
    char file_names[FW_CFG_FILE_SLOTS][FW_CFG_MAX_FILE_PATH];
    int nr_files;

    /* Guest-visible state. */
    uint16_t cur_key;    /* as selected (with bit 15), or FW_CFG_INVALID */
    uint32_t cur_offset; /* read position in the selected item */
    uint64_t dma_addr;   /* the high half after a write to 0x514 */
};

FWCfgState *fw_cfg_from_device(DeviceState *dev)
{
    return (FWCfgState *)dev;
}

static FWCfgItem *fw_cfg_item(FWCfgState *s, uint16_t key)
{
    if (key == FW_CFG_INVALID) {
        return NULL;
    }
    unsigned index = key & FW_CFG_ENTRY_MASK;
    if (index >= FW_CFG_MAX_ENTRY) {
        return NULL;
    }
    return &s->items[(key & FW_CFG_ARCH_LOCAL) ? 1 : 0][index];
}

/* Board API. */

static FWCfgItem *fw_cfg_item_for_board(FWCfgState *s, uint16_t key)
{
    FWCfgItem *item = fw_cfg_item(s, key & ~FW_CFG_WRITE_CHANNEL);
    if (!item) {
        fprintf(stderr, "fw_cfg: key 0x%x is outside the item space\n", key);
        abort();
    }
    return item;
}

static void fw_cfg_item_set(FWCfgItem *item, const void *data, size_t len)
{
    free(item->data);
    item->data = NULL;
    item->len = 0;
    if (len > UINT32_MAX) {
        /* The directory holds 32-bit sizes; callers bound their blobs below this. */
        abort();
    }
    item->data = xmalloc(len ? len : 1);
    if (len) {
        memcpy(item->data, data, len);
    }
    item->len = (uint32_t)len;
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len)
{
    fw_cfg_item_set(fw_cfg_item_for_board(s, key), data, len);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str)
{
    fw_cfg_add_bytes(s, key, str, strlen(str) + 1);
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    uint8_t b[2];
    stw_le_p(b, value);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    uint8_t b[4];
    stl_le_p(b, value);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    uint8_t b[8];
    stq_le_p(b, value);
    fw_cfg_add_bytes(s, key, b, sizeof(b));
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The directory item: be32 count, then {be32 size; be16 select; be16 reserved; name[56]}. */
static void fw_cfg_rebuild_directory(FWCfgState *s)
{
    size_t len = 4 + (size_t)s->nr_files * (8 + FW_CFG_MAX_FILE_PATH);
    uint8_t *dir = xzalloc(len);
    put_be32(dir, (uint32_t)s->nr_files);
    for (int i = 0; i < s->nr_files; i++) {
        uint8_t *e = dir + 4 + (size_t)i * (8 + FW_CFG_MAX_FILE_PATH);
        put_be32(e, s->items[0][FW_CFG_FILE_FIRST + i].len);
        put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(e + 8, s->file_names[i], FW_CFG_MAX_FILE_PATH);
    }
    fw_cfg_item_set(&s->items[0][FW_CFG_FILE_DIR], dir, len);
    free(dir);
}

static int fw_cfg_find_file(FWCfgState *s, const char *name)
{
    for (int i = 0; i < s->nr_files; i++) {
        if (!strcmp(s->file_names[i], name)) {
            return i;
        }
    }
    return -1;
}

bool fw_cfg_add_file(FWCfgState *s, const char *name, const void *data, size_t len,
                     Error **errp)
{
    if (strlen(name) >= FW_CFG_MAX_FILE_PATH) {
        error_setg(errp, "fw_cfg: file name '%s' is longer than %d bytes", name,
                   FW_CFG_MAX_FILE_PATH - 1);
        return false;
    }
    if (fw_cfg_find_file(s, name) >= 0) {
        error_setg(errp, "fw_cfg: file '%s' already exists", name);
        return false;
    }
    if (s->nr_files >= FW_CFG_FILE_SLOTS) {
        error_setg(errp, "fw_cfg: no free slot for file '%s' (%d in use)", name,
                   FW_CFG_FILE_SLOTS);
        return false;
    }
    /* Keep the slots sorted by name: the later files move up one key. */
    int pos = 0;
    while (pos < s->nr_files && strcmp(s->file_names[pos], name) < 0) {
        pos++;
    }
    FWCfgItem *slots = &s->items[0][FW_CFG_FILE_FIRST];
    memmove(&slots[pos + 1], &slots[pos], (size_t)(s->nr_files - pos) * sizeof(*slots));
    memmove(s->file_names[pos + 1], s->file_names[pos],
            (size_t)(s->nr_files - pos) * FW_CFG_MAX_FILE_PATH);
    slots[pos].data = NULL;
    slots[pos].len = 0;
    memset(s->file_names[pos], 0, FW_CFG_MAX_FILE_PATH);
    strcpy(s->file_names[pos], name);
    s->nr_files++;
    fw_cfg_item_set(&slots[pos], data, len);
    fw_cfg_rebuild_directory(s);
    return true;
}

bool fw_cfg_modify_file(FWCfgState *s, const char *name, const void *data, size_t len)
{
    int i = fw_cfg_find_file(s, name);
    if (i < 0) {
        return false;
    }
    fw_cfg_item_set(&s->items[0][FW_CFG_FILE_FIRST + i], data, len);
    fw_cfg_rebuild_directory(s);
    return true;
}

/* The guest interface. */

static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    key &= ~FW_CFG_WRITE_CHANNEL;
    s->cur_offset = 0;
    if (!fw_cfg_item(s, key)) {
        log_guest_error("fw_cfg: select of key 0x%x outside the item space\n", key);
        s->cur_key = FW_CFG_INVALID;
        return;
    }
    s->cur_key = key;
}

static uint8_t fw_cfg_read_byte(FWCfgState *s)
{
    FWCfgItem *item = fw_cfg_item(s, s->cur_key);
    if (!item || s->cur_offset >= item->len) {
        return 0;
    }
    return item->data[s->cur_offset++];
}

static uint64_t fw_cfg_io_read(void *opaque, uint64_t offset, unsigned size)
{
    FWCfgState *s = opaque;
    if (offset == 1 && size == 1) {
        return fw_cfg_read_byte(s);
    }
    log_guest_error("fw_cfg: %u-byte read at 0x%x (the data port is 0x511, 8-bit)\n", size,
                    (unsigned)(FW_CFG_IO_BASE + offset));
    return 0;
}

static void fw_cfg_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FWCfgState *s = opaque;
    if (offset == 0 && size == 2) {
        fw_cfg_select(s, (uint16_t)value);
    } else if (offset == 1 && size == 1) {
        log_guest_error("fw_cfg: write to the data port ignored (use DMA)\n");
    } else {
        log_guest_error("fw_cfg: %u-byte write at 0x%x ignored\n", size,
                        (unsigned)(FW_CFG_IO_BASE + offset));
    }
}

static const MemoryRegionOps fw_cfg_io_ops = {
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
    .valid = {.min_access_size = 1, .max_access_size = 2, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 2},
};

/*
 * Move up to len bytes of the selected item to guest memory at addr (read)
 * or past them (skip).  Returns false on a failed guest write or a request
 * beyond the zero-fill cap.
 */
static bool fw_cfg_dma_transfer(FWCfgState *s, uint64_t addr, uint32_t len, bool read)
{
    static const uint8_t zeros[FW_CFG_DMA_CHUNK];
    AddressSpace *as = &s->parent.machine->as_memory;
    FWCfgItem *item = fw_cfg_item(s, s->cur_key);
    uint64_t zero_filled = 0;

    if (read && addr + len < addr) {
        log_guest_error("fw_cfg: DMA to 0x%llx + 0x%x wraps the address space\n",
                        (unsigned long long)addr, len);
        return false;
    }
    while (len > 0) {
        const uint8_t *src;
        uint32_t n;
        bool in_item = item && s->cur_offset < item->len;
        if (in_item) {
            n = MIN(len, item->len - s->cur_offset);
            src = item->data + s->cur_offset;
        } else {
            if (!read) {
                /* Skipping past the end moves nothing. */
                return true;
            }
            if (zero_filled + len > FW_CFG_DMA_ZERO_FILL_MAX) {
                log_guest_error("fw_cfg: DMA read of 0x%x bytes past the end of key 0x%x\n",
                                len, s->cur_key);
                return false;
            }
            n = MIN(len, (uint32_t)FW_CFG_DMA_CHUNK);
            src = zeros;
            zero_filled += n;
        }
        if (read && address_space_write(as, addr, src, n) != MEMTX_OK) {
            log_guest_error("fw_cfg: DMA write to guest 0x%llx (0x%x bytes) failed\n",
                            (unsigned long long)addr, n);
            return false;
        }
        if (in_item) {
            s->cur_offset += n;
        }
        addr += n;
        len -= n;
    }
    return true;
}

static void fw_cfg_dma_run(FWCfgState *s, uint64_t desc_addr)
{
    AddressSpace *as = &s->parent.machine->as_memory;
    uint8_t desc[16];
    uint32_t control = 0;
    bool ok = true;

    if (address_space_read(as, desc_addr, desc, sizeof(desc)) != MEMTX_OK) {
        log_guest_error("fw_cfg: DMA descriptor at 0x%llx is not readable\n",
                        (unsigned long long)desc_addr);
        ok = false;
    } else {
        control = get_be32(desc);
        uint32_t len = get_be32(desc + 4);
        uint64_t addr = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);
        if (control & FW_CFG_DMA_CTL_SELECT) {
            fw_cfg_select(s, (uint16_t)(control >> 16));
        }
        if (control & FW_CFG_DMA_CTL_READ) {
            ok = fw_cfg_dma_transfer(s, addr, len, true);
        } else if (control & FW_CFG_DMA_CTL_WRITE) {
            log_unimp("fw_cfg: DMA write to key 0x%x: no item is writable\n", s->cur_key);
            ok = false;
        } else if (control & FW_CFG_DMA_CTL_SKIP) {
            ok = fw_cfg_dma_transfer(s, addr, len, false);
        }
    }
    uint8_t result[4];
    put_be32(result, ok ? 0 : FW_CFG_DMA_CTL_ERROR);
    /* The guest polls this word; if it cannot be written there is no one to tell. */
    address_space_write(as, desc_addr, result, sizeof(result));
}

/* The signature in memory order: byte i of the port reads signature[i]. */
static uint64_t fw_cfg_dma_read(void *opaque, uint64_t offset, unsigned size)
{
    uint64_t value = 0;
    for (unsigned i = 0; i < size && offset + i < sizeof(fw_cfg_dma_signature); i++) {
        value |= (uint64_t)(uint8_t)fw_cfg_dma_signature[offset + i] << (8 * i);
    }
    return value;
}

static uint32_t bswap32_u(uint32_t v)
{
    return __builtin_bswap32(v);
}

static void fw_cfg_dma_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    FWCfgState *s = opaque;
    if (size != 4 || (offset != 0 && offset != 4)) {
        log_guest_error("fw_cfg: %u-byte write at DMA offset %u ignored\n", size,
                        (unsigned)offset);
        return;
    }
    /* The port is big-endian: the first byte written is the most significant. */
    uint32_t half = bswap32_u((uint32_t)value);
    if (offset == 0) {
        s->dma_addr = (uint64_t)half << 32;
        return;
    }
    uint64_t desc_addr = s->dma_addr | half;
    s->dma_addr = 0;
    fw_cfg_dma_run(s, desc_addr);
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

/* Device lifecycle. */

static bool fw_cfg_realize(DeviceState *dev, Error **errp)
{
    FWCfgState *s = (FWCfgState *)dev;
    static const char signature[4] = {'Q', 'E', 'M', 'U'};
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, signature, sizeof(signature));
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    fw_cfg_rebuild_directory(s);
    memory_region_init_io(&s->io, "fw_cfg", &fw_cfg_io_ops, s, 2);
    isa_register_ioport(dev, &s->io, FW_CFG_IO_BASE);
    memory_region_init_io(&s->dma, "fw_cfg-dma", &fw_cfg_dma_ops, s, 8);
    isa_register_ioport(dev, &s->dma, FW_CFG_DMA_IO_BASE);
    return true;
}

static void fw_cfg_unrealize(DeviceState *dev)
{
    FWCfgState *s = (FWCfgState *)dev;
    memory_region_destroy(&s->io);
    memory_region_destroy(&s->dma);
    for (int space = 0; space < 2; space++) {
        for (int i = 0; i < FW_CFG_MAX_ENTRY; i++) {
            free(s->items[space][i].data);
            s->items[space][i].data = NULL;
        }
    }
}

static void fw_cfg_reset(DeviceState *dev)
{
    FWCfgState *s = (FWCfgState *)dev;
    s->cur_key = FW_CFG_SIGNATURE;
    s->cur_offset = 0;
    s->dma_addr = 0;
}

static const VMStateField fw_cfg_vmstate_fields[] = {
    VMSTATE_U16(FWCfgState, cur_key),
    VMSTATE_U32(FWCfgState, cur_offset),
    VMSTATE_U64(FWCfgState, dma_addr),
    VMSTATE_END,
};

static const VMStateDescription fw_cfg_vmstate = {
    .name = "fw_cfg",
    .version = 1,
    .fields = fw_cfg_vmstate_fields,
};

static const DeviceInfo fw_cfg_info = {
    .name = "fw_cfg",
    .desc = "QEMU firmware configuration interface (0x510, DMA at 0x514)",
    .bus = BUS_SYSTEM,
    .size = sizeof(FWCfgState),
    .realize = fw_cfg_realize,
    .unrealize = fw_cfg_unrealize,
    .reset = fw_cfg_reset,
    .vmstate = &fw_cfg_vmstate,
    .no_user = true,
};
DEVICE_REGISTER(fw_cfg_info);
