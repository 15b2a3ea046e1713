/*
 * The PIIX bus-master IDE engine of one channel: the command, status and
 * descriptor-table pointer registers, and the walk through the guest's
 * physical region descriptor (PRD) table.
 *
 * Reference: Intel 82371SB (PIIX3) datasheet, section 2.7 (bus master IDE
 * registers BMICX, BMISX, BMIDTPX) and 2.8.2 (the PRD format: a 32-bit
 * physical base address, a byte count whose 0 means 64 KiB, EOT in bit 31
 * of the second dword; the table is dword aligned and may not cross 64 KiB).
 *
 * Choices worth knowing:
 * - Every PRD entry is copied out of guest memory before it is used, and
 *   the walk is bounded: 8192 entries fill the 64 KiB the table may span,
 *   so a table without EOT ends there as if exhausted.
 * - Data moves through the drive's DMA bounce buffer in chunks of up to
 *   IDE_DMA_BUF_SIZE (ATAPI replies through io_buffer) with the DMA API,
 *   never through a host pointer into RAM.
 * - The ends of a transfer follow the datasheet's status table: transfer
 *   done and table used up -> Interrupt, not Active; done with table left
 *   -> Interrupt and Active; table used up first -> neither (the drive
 *   keeps DRQ and the host times out and resets); memory unreachable ->
 *   Error and Interrupt, and the command fails with ABRT.
 * - Odd byte counts and addresses: bit 0 is ignored, as the hardware does.
 */
#include "hw/ide/ide-internal.h"

#include <errno.h>

#define PRD_MAX_ENTRIES (65536 / 8)
#define PRD_EOT 0x80000000u

static void bmdma_run(IDEBus *bus);

void bmdma_kick(IDEBus *bus)
{
    bmdma_run(bus);
}

static void bmdma_finish(IDEBus *bus, IDEDrive *d, int ret)
{
    BMDMAState *bm = &bus->bm;
    if (ret == -EFAULT) {
        bm->status |= BM_ST_ERROR;
        bm->status &= ~BM_ST_ACTIVE;
    } else if (ret < 0 || bm->table_done) {
        bm->status &= ~BM_ST_ACTIVE;
    }
    d->xfer = IDE_XFER_NONE;
    if (d->kind == IDE_KIND_CD) {
        atapi_dma_done(d, ret);
    } else {
        ata_dma_done(d, ret);
    }
}

/* The PRD table ran out before the drive's data did: the transfer stalls. */
static void bmdma_table_exhausted(IDEBus *bus, IDEDrive *d)
{
    log_guest_error("ide%d: PRD table exhausted with %" PRIu64 " bytes still to transfer\n",
                    bus->index, d->bytes_left);
    bus->bm.status &= ~BM_ST_ACTIVE;
}

/*
 * Move len bytes between buf and the memory the PRD table describes.
 * Returns 0, -EFAULT if memory (or the table) is unreachable, or -ENOSPC
 * if the table ended first.
 */
static int bmdma_copy(IDEBus *bus, uint8_t *buf, uint32_t len, bool to_memory)
{
    BMDMAState *bm = &bus->bm;
    AddressSpace *as = &bus->machine->as_memory;
    uint32_t done = 0;
    while (done < len) {
        if (bm->cur_len == 0) {
            if (bm->table_done) {
                return -ENOSPC;
            }
            if (bm->entries >= PRD_MAX_ENTRIES) {
                log_guest_error("ide%d: PRD table without EOT in 64 KiB\n", bus->index);
                bm->table_done = true;
                return -ENOSPC;
            }
            uint8_t e[8];
            if (address_space_read(as, bm->next_prd, e, sizeof(e)) != MEMTX_OK) {
                log_guest_error("ide%d: PRD entry at 0x%08x unreadable\n", bus->index,
                                bm->next_prd);
                return -EFAULT;
            }
            /* The table may not cross 64 KiB: the entry address wraps inside it. */
            bm->next_prd = (bm->next_prd & 0xffff0000u) | ((bm->next_prd + 8) & 0xffffu);
            bm->entries++;
            uint32_t addr = ldl_le_p(e);
            uint32_t flags = ldl_le_p(e + 4);
            uint32_t count = flags & 0xffff;
            if ((addr | count) & 1) {
                log_guest_error("ide%d: PRD entry with odd address or count\n", bus->index);
            }
            bm->cur_addr = addr & ~1u;
            bm->cur_len = (count & 0xfffe) ? (count & 0xfffe) : 0x10000;
            bm->cur_eot = (flags & PRD_EOT) != 0;
        }
        uint32_t n = MIN(bm->cur_len, len - done);
        MemTxResult r = to_memory ? address_space_write(as, bm->cur_addr, buf + done, n)
                                  : address_space_read(as, bm->cur_addr, buf + done, n);
        if (r != MEMTX_OK) {
            log_guest_error("ide%d: DMA to unassigned memory at 0x%08x\n", bus->index,
                            bm->cur_addr);
            return -EFAULT;
        }
        bm->cur_addr += n;
        bm->cur_len -= n;
        done += n;
        if (bm->cur_len == 0 && bm->cur_eot) {
            bm->table_done = true;
        }
    }
    return 0;
}

static uint32_t bmdma_chunk(IDEDrive *d)
{
    uint32_t max = d->dma_buffered ? IDE_BUF_SIZE : IDE_DMA_BUF_SIZE;
    return (uint32_t)MIN(d->bytes_left, (uint64_t)max);
}

static void bmdma_read_cb(IDEDrive *d, int ret)
{
    IDEBus *bus = d->bus;
    if (ret < 0) {
        bmdma_finish(bus, d, ret);
        return;
    }
    d->status |= ATA_ST_DRQ;
    if (!(bus->bm.cmd & BM_CMD_START)) {
        return; /* stopped meanwhile: the chunk is fetched again on restart */
    }
    uint32_t chunk = bmdma_chunk(d);
    ret = bmdma_copy(bus, d->dma_buffer, chunk, true);
    if (ret == -ENOSPC) {
        bmdma_table_exhausted(bus, d);
        return;
    }
    if (ret < 0) {
        bmdma_finish(bus, d, ret);
        return;
    }
    d->offset += chunk;
    d->bytes_left -= chunk;
    if (d->bytes_left) {
        bmdma_run(bus);
    } else {
        bmdma_finish(bus, d, 0);
    }
}

static void bmdma_write_cb(IDEDrive *d, int ret)
{
    IDEBus *bus = d->bus;
    if (ret < 0) {
        bmdma_finish(bus, d, ret);
        return;
    }
    d->status |= ATA_ST_DRQ;
    uint32_t chunk = bmdma_chunk(d);
    d->offset += chunk;
    d->bytes_left -= chunk;
    if (d->bytes_left) {
        bmdma_run(bus);
    } else {
        bmdma_finish(bus, d, 0);
    }
}

/* Move the next chunk if a drive waits for DMA and the engine is started. */
static void bmdma_run(IDEBus *bus)
{
    IDEDrive *d = ide_bus_active(bus);
    BMDMAState *bm = &bus->bm;
    if (d->xfer != IDE_XFER_DMA || d->in_flight || !(bm->cmd & BM_CMD_START)) {
        return;
    }
    if (bus->bus_master_enabled && !bus->bus_master_enabled(bus->opaque)) {
        log_guest_error("ide%d: bus master started with PCI bus mastering off\n", bus->index);
        return;
    }
    bool memory_write = bm->cmd & BM_CMD_READ;
    if (memory_write == d->dma_write) {
        log_guest_error("ide%d: bus master direction disagrees with the command\n",
                        bus->index);
    }
    uint32_t chunk = bmdma_chunk(d);
    if (d->dma_buffered) {
        int ret = bmdma_copy(bus, d->io_buffer, chunk, true);
        if (ret == -ENOSPC) {
            bmdma_table_exhausted(bus, d);
        } else {
            d->bytes_left = ret < 0 ? d->bytes_left : 0;
            bmdma_finish(bus, d, ret);
        }
        return;
    }
    if (!d->dma_buffer) {
        bmdma_finish(bus, d, -ENOMEDIUM); /* no drive behind it */
        return;
    }
    if (!d->dma_write) {
        ide_submit_buf(d, false, d->offset, d->dma_buffer, chunk, bmdma_read_cb);
        return;
    }
    int ret = bmdma_copy(bus, d->dma_buffer, chunk, false);
    if (ret == -ENOSPC) {
        bmdma_table_exhausted(bus, d);
        return;
    }
    if (ret < 0) {
        bmdma_finish(bus, d, ret);
        return;
    }
    ide_submit_buf(d, true, d->offset, d->dma_buffer, chunk, bmdma_write_cb);
}

void bmdma_start_transfer(IDEDrive *d, uint64_t offset, uint64_t bytes, bool to_device)
{
    d->xfer = IDE_XFER_DMA;
    d->offset = offset;
    d->bytes_left = bytes;
    d->dma_write = to_device;
    d->dma_buffered = false;
    d->io_pos = d->io_end = 0;
    d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
    if (bytes == 0) {
        bmdma_finish(d->bus, d, 0);
        return;
    }
    bmdma_run(d->bus);
}

void bmdma_cmd_write(IDEBus *bus, uint8_t val)
{
    BMDMAState *bm = &bus->bm;
    bool was_started = bm->cmd & BM_CMD_START;
    bm->cmd = val & (BM_CMD_START | BM_CMD_READ);
    if ((val & BM_CMD_START) && !was_started) {
        bm->next_prd = bm->prd_table;
        bm->cur_len = 0;
        bm->cur_eot = false;
        bm->table_done = false;
        bm->entries = 0;
        bm->status |= BM_ST_ACTIVE;
        bmdma_run(bus);
    } else if (!(val & BM_CMD_START)) {
        /* Stopping aborts the engine; a drive still waiting keeps DRQ. */
        bm->status &= ~BM_ST_ACTIVE;
    }
}

void bmdma_status_write(IDEBus *bus, uint8_t val)
{
    BMDMAState *bm = &bus->bm;
    bm->status = (bm->status & ~(BM_ST_DMA_CAP | (val & (BM_ST_ERROR | BM_ST_INTR)))) |
                 (val & BM_ST_DMA_CAP);
}

static uint8_t bmdma_read_byte(IDEBus *bus, unsigned reg)
{
    BMDMAState *bm = &bus->bm;
    switch (reg) {
    case 0:
        return bm->cmd;
    case 2:
        return bm->status;
    case 4:
    case 5:
    case 6:
    case 7:
        return bm->prd_table >> (8 * (reg - 4));
    default:
        return 0;
    }
}

static void bmdma_write_byte(IDEBus *bus, unsigned reg, uint8_t val)
{
    BMDMAState *bm = &bus->bm;
    switch (reg) {
    case 0:
        bmdma_cmd_write(bus, val);
        break;
    case 2:
        bmdma_status_write(bus, val);
        break;
    case 4:
    case 5:
    case 6:
    case 7: {
        unsigned shift = 8 * (reg - 4);
        bm->prd_table = (bm->prd_table & ~(0xffu << shift)) | ((uint32_t)val << shift);
        bm->prd_table &= ~3u; /* dword aligned */
        break;
    }
    default:
        break;
    }
}

uint32_t bmdma_read(IDEBus *bus, unsigned reg, unsigned size)
{
    uint32_t val = 0;
    for (unsigned i = 0; i < size && reg + i < 8; i++) {
        val |= (uint32_t)bmdma_read_byte(bus, reg + i) << (8 * i);
    }
    return val;
}

void bmdma_write(IDEBus *bus, unsigned reg, uint32_t val, unsigned size)
{
    for (unsigned i = 0; i < size && reg + i < 8; i++) {
        bmdma_write_byte(bus, reg + i, val >> (8 * i));
    }
}

static int bmdma_post_load(void *opaque)
{
    BMDMAState *bm = opaque;
    bm->cmd &= BM_CMD_START | BM_CMD_READ;
    bm->prd_table &= ~3u;
    if (bm->entries > PRD_MAX_ENTRIES) {
        bm->entries = PRD_MAX_ENTRIES;
    }
    if (bm->cur_len > 0x10000) {
        bm->cur_len = 0;
        return -1;
    }
    return 0;
}

static const VMStateField bmdma_vmstate_fields[] = {
    VMSTATE_U8(BMDMAState, cmd),
    VMSTATE_U8(BMDMAState, status),
    VMSTATE_U32(BMDMAState, prd_table),
    VMSTATE_U32(BMDMAState, next_prd),
    VMSTATE_U32(BMDMAState, cur_addr),
    VMSTATE_U32(BMDMAState, cur_len),
    VMSTATE_BOOL(BMDMAState, cur_eot),
    VMSTATE_U32(BMDMAState, entries),
    VMSTATE_BOOL(BMDMAState, table_done),
    VMSTATE_END,
};

const VMStateDescription bmdma_vmstate = {
    .name = "bmdma",
    .version = 1,
    .fields = bmdma_vmstate_fields,
    .post_load = bmdma_post_load,
};
