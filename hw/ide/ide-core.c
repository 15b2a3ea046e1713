/*
 * The ATA register protocol of one IDE channel: the command block
 * (data, error/features, sector count, LBA low/mid/high, device,
 * status/command), the control block (alternate status / device control),
 * drive selection, INTRQ, the PIO data window and soft reset.
 *
 * Reference: ATA/ATAPI-6 (T13/1410D) sections 7 (registers), 9 (protocols:
 * PIO data-in/out, non-data, DMA, PACKET; the soft reset protocol) and the
 * device signatures of 9.12.
 *
 * Choices worth knowing:
 * - Register writes go to both drives' task files, as on the cable; reads
 *   come from the selected drive.  A position with no drive reads status 0,
 *   which hosts take as "nothing there".
 * - The LBA48 FIFO: every task-file write pushes the old value into the
 *   "previous" slot; HOB in device control selects which one reads back,
 *   and any command-block write clears HOB.
 * - Soft reset is immediate: BSY while SRST is set, signatures on release.
 */
#include "hw/ide/ide-internal.h"

#include <errno.h>

/* Command block register offsets. */
enum {
    REG_DATA = 0,
    REG_ERROR_FEATURE = 1,
    REG_NSECTOR = 2,
    REG_SECTOR = 3,
    REG_LCYL = 4,
    REG_HCYL = 5,
    REG_SELECT = 6,
    REG_STATUS_COMMAND = 7,
};

void ide_bus_update_irq(IDEBus *bus)
{
    IDEDrive *d = ide_bus_active(bus);
    bool level = d->kind != IDE_KIND_NONE && d->irq_pending && !(bus->devctl & ATA_CTL_NIEN);
    if (bus->irq) {
        irq_set(bus->irq, level);
    }
}

void ide_set_irq(IDEDrive *d)
{
    d->irq_pending = true;
    /* The PIIX latches every IDE interrupt in the bus-master status register. */
    d->bus->bm.status |= BM_ST_INTR;
    ide_bus_update_irq(d->bus);
}

void ide_set_signature(IDEDrive *d)
{
    d->nsector = 1;
    d->sector = 1;
    if (d->kind == IDE_KIND_CD) {
        d->lcyl = 0x14;
        d->hcyl = 0xeb;
    } else {
        d->lcyl = 0;
        d->hcyl = 0;
    }
    d->select &= ATA_DEV_DEV;
}

void ide_transfer_stop(IDEDrive *d)
{
    d->xfer = IDE_XFER_NONE;
    d->io_pos = d->io_end = 0;
    d->status &= ~(ATA_ST_DRQ | ATA_ST_BSY);
}

void ide_abort_command(IDEDrive *d)
{
    ide_transfer_stop(d);
    d->status = ATA_ST_DRDY | ATA_ST_ERR;
    d->error = ATA_ER_ABRT;
    ide_set_irq(d);
}

void ide_command_ok(IDEDrive *d)
{
    ide_transfer_stop(d);
    d->status = ATA_ST_DRDY | ATA_ST_DSC;
    ide_set_irq(d);
}

/* Offer len bytes of io_buffer on the data port (PIO data-in), with an interrupt. */
void ide_pio_in_start(IDEDrive *d, uint32_t len, uint8_t xfer)
{
    d->xfer = xfer;
    d->io_pos = 0;
    d->io_end = MIN(len, (uint32_t)IDE_BUF_SIZE);
    d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
    ide_set_irq(d);
}

/*
 * Forget the current command: late completions are ignored (generation),
 * and any request still in flight is waited for so io_buffer is free.
 */
void ide_drive_cancel(IDEDrive *d)
{
    d->generation++;
    if (d->in_flight && d->blk) {
        blk_drain(d->blk);
    }
    d->in_flight = 0;
    d->xfer = IDE_XFER_NONE;
    d->io_pos = d->io_end = 0;
    d->bytes_left = 0;
}

/* Power-on, hardware reset and SRST release: the state ATA-6 9.12 lists. */
static void ide_drive_reset(IDEDrive *d)
{
    ide_drive_cancel(d);
    d->irq_pending = false;
    d->feature = d->hob_feature = 0;
    d->hob_nsector = d->hob_sector = d->hob_lcyl = d->hob_hcyl = 0;
    d->select = 0;
    d->error = 0x01; /* diagnostic code: no error */
    d->command = 0;
    ide_set_signature(d);
    d->status = d->kind == IDE_KIND_HD ? (ATA_ST_DRDY | ATA_ST_DSC) : 0;
    d->standby = false;
    if (d->kind == IDE_KIND_CD) {
        atapi_reset(d);
    }
}

void ide_bus_reset(IDEBus *bus)
{
    for (int i = 0; i < 2; i++) {
        IDEDrive *d = &bus->drives[i];
        ide_drive_reset(d);
        /* Settings a hardware reset restores (SET FEATURES/MULTIPLE/INITIALIZE). */
        d->mult_sectors = IDE_MAX_MULT_SECTORS;
        d->xfer_mode = 0;
        d->write_cache = true;
        d->cur_heads = d->heads;
        d->cur_sectors = d->sectors;
        d->tray_locked = false;
    }
    bus->unit = 0;
    bus->devctl = 0;
    memset(&bus->bm, 0, sizeof(bus->bm));
    ide_bus_update_irq(bus);
}

static void ide_devctl_write(IDEBus *bus, uint8_t val)
{
    bool was_reset = bus->devctl & ATA_CTL_SRST;
    bool reset = val & ATA_CTL_SRST;
    bus->devctl = val;
    if (reset && !was_reset) {
        for (int i = 0; i < 2; i++) {
            IDEDrive *d = &bus->drives[i];
            ide_drive_cancel(d);
            d->irq_pending = false;
            d->status = ATA_ST_BSY;
        }
    } else if (!reset && was_reset) {
        /* Reset done: both drives show their signatures, master selected. */
        for (int i = 0; i < 2; i++) {
            IDEDrive *d = &bus->drives[i];
            uint8_t mult = d->mult_sectors, mode = d->xfer_mode;
            bool wc = d->write_cache;
            uint32_t heads = d->cur_heads, secs = d->cur_sectors;
            ide_drive_reset(d);
            /* A soft reset keeps the settings unless the drive chose otherwise. */
            d->mult_sectors = mult;
            d->xfer_mode = mode;
            d->write_cache = wc;
            d->cur_heads = heads;
            d->cur_sectors = secs;
        }
        bus->unit = 0;
    }
    ide_bus_update_irq(bus);
}

/* Bytes of the data window, for a read of size 1, 2 or 4. */
static uint32_t ide_data_read(IDEBus *bus, unsigned size)
{
    IDEDrive *d = ide_bus_active(bus);
    bool in = d->xfer == IDE_XFER_ATA_PIO_IN || d->xfer == IDE_XFER_PIO_IN_ONCE ||
              d->xfer == IDE_XFER_ATAPI_IN;
    if (d->kind == IDE_KIND_NONE || !(d->status & ATA_ST_DRQ) || !in) {
        log_guest_error("ide%d: data port read with no data to transfer\n", bus->index);
        return 0xffffffffu;
    }
    uint32_t val = 0;
    for (unsigned i = 0; i < size && d->io_pos < d->io_end; i++) {
        val |= (uint32_t)d->io_buffer[d->io_pos++] << (8 * i);
    }
    if (d->io_pos >= d->io_end) {
        switch (d->xfer) {
        case IDE_XFER_ATA_PIO_IN:
            ata_pio_block_done(d);
            break;
        case IDE_XFER_ATAPI_IN:
            atapi_piece_done(d);
            break;
        default:
            ide_transfer_stop(d);
            d->status = ATA_ST_DRDY | ATA_ST_DSC;
            break;
        }
    }
    return val;
}

static void ide_data_write(IDEBus *bus, uint32_t val, unsigned size)
{
    IDEDrive *d = ide_bus_active(bus);
    bool out = d->xfer == IDE_XFER_ATA_PIO_OUT || d->xfer == IDE_XFER_PACKET;
    if (d->kind == IDE_KIND_NONE || !(d->status & ATA_ST_DRQ) || !out) {
        log_guest_error("ide%d: data port write with no transfer expecting data\n",
                        bus->index);
        return;
    }
    for (unsigned i = 0; i < size && d->io_pos < d->io_end; i++) {
        d->io_buffer[d->io_pos++] = val >> (8 * i);
    }
    if (d->io_pos >= d->io_end) {
        if (d->xfer == IDE_XFER_ATA_PIO_OUT) {
            ata_pio_block_done(d);
        } else {
            atapi_exec_packet(d);
        }
    }
}

static uint8_t ide_status_read(IDEBus *bus, bool clear_irq)
{
    IDEDrive *d = ide_bus_active(bus);
    if (d->kind == IDE_KIND_NONE) {
        return 0;
    }
    if (clear_irq && d->irq_pending) {
        d->irq_pending = false;
        ide_bus_update_irq(bus);
    }
    if (d->in_flight && bus->machine) {
        /*
         * The guest polls a busy drive: end the vCPU's slice so the main loop can complete
         * the request.  Without this a polling PIO driver (SeaBIOS) waited a whole DBT slice
         * (milliseconds) per sector, and timed out on a loaded host.
         */
        machine_kick(bus->machine);
    }
    return d->status;
}

static uint8_t ide_reg_read(IDEBus *bus, unsigned reg)
{
    IDEDrive *d = ide_bus_active(bus);
    bool hob = bus->devctl & ATA_CTL_HOB;
    switch (reg) {
    case REG_ERROR_FEATURE:
        return d->error;
    case REG_NSECTOR:
        return hob ? d->hob_nsector : d->nsector;
    case REG_SECTOR:
        return hob ? d->hob_sector : d->sector;
    case REG_LCYL:
        return hob ? d->hob_lcyl : d->lcyl;
    case REG_HCYL:
        return hob ? d->hob_hcyl : d->hcyl;
    case REG_SELECT:
        /* Bits 7 and 5 are obsolete and read as written on most drives; report them set. */
        return d->select | 0xa0;
    default:
        return ide_status_read(bus, true);
    }
}

static void ide_reg_write(IDEBus *bus, unsigned reg, uint8_t val)
{
    if (reg != REG_STATUS_COMMAND) {
        bus->devctl &= ~ATA_CTL_HOB;
    }
    for (int i = 0; i < 2 && reg != REG_STATUS_COMMAND; i++) {
        IDEDrive *d = &bus->drives[i];
        switch (reg) {
        case REG_ERROR_FEATURE:
            d->hob_feature = d->feature;
            d->feature = val;
            break;
        case REG_NSECTOR:
            d->hob_nsector = d->nsector;
            d->nsector = val;
            break;
        case REG_SECTOR:
            d->hob_sector = d->sector;
            d->sector = val;
            break;
        case REG_LCYL:
            d->hob_lcyl = d->lcyl;
            d->lcyl = val;
            break;
        case REG_HCYL:
            d->hob_hcyl = d->hcyl;
            d->hcyl = val;
            break;
        case REG_SELECT:
            d->select = val & ~0xa0;
            break;
        }
    }
    if (reg == REG_SELECT) {
        bus->unit = (val & ATA_DEV_DEV) ? 1 : 0;
        ide_bus_update_irq(bus);
        return;
    }
    if (reg != REG_STATUS_COMMAND) {
        return;
    }
    IDEDrive *d = ide_bus_active(bus);
    if (bus->devctl & ATA_CTL_SRST) {
        return; /* held in reset */
    }
    if (d->kind == IDE_KIND_NONE) {
        /* EXECUTE DEVICE DIAGNOSTIC addresses both; the master answers for a missing slave. */
        if (val == 0x90 && bus->drives[0].kind != IDE_KIND_NONE) {
            ata_exec_command(&bus->drives[0], val);
        }
        return;
    }
    if (d->status & ATA_ST_BSY) {
        log_guest_error("ide%d: command 0x%02x written while the drive is busy\n",
                        bus->index, val);
        return;
    }
    d->irq_pending = false;
    ide_bus_update_irq(bus);
    ata_exec_command(d, val);
}

static uint64_t ide_cmd_read(void *opaque, uint64_t addr, unsigned size)
{
    IDEBus *bus = opaque;
    if (addr == REG_DATA) {
        return ide_data_read(bus, size);
    }
    uint64_t val = 0;
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        val |= (uint64_t)ide_reg_read(bus, addr + i) << (8 * i);
    }
    return val;
}

static void ide_cmd_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    IDEBus *bus = opaque;
    if (addr == REG_DATA) {
        ide_data_write(bus, val, size);
        return;
    }
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        ide_reg_write(bus, addr + i, val >> (8 * i));
    }
}

const MemoryRegionOps ide_cmd_ops = {
    .read = ide_cmd_read,
    .write = ide_cmd_write,
    .valid = {.min_access_size = 1, .max_access_size = 4, .unaligned = true},
    .impl = {.min_access_size = 1, .max_access_size = 4},
};

static uint64_t ide_ctl_read(void *opaque, uint64_t addr, unsigned size)
{
    return ide_status_read(opaque, false);
}

static void ide_ctl_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    ide_devctl_write(opaque, val);
}

const MemoryRegionOps ide_ctl_ops = {
    .read = ide_ctl_read,
    .write = ide_ctl_write,
    .valid = {.min_access_size = 1, .max_access_size = 1},
    .impl = {.min_access_size = 1, .max_access_size = 1},
};

void ide_bus_init(IDEBus *bus, DeviceState *owner, int index, IRQState *irq)
{
    bus->machine = owner->machine;
    bus->owner = owner;
    bus->index = index;
    bus->irq = irq;
    for (int i = 0; i < 2; i++) {
        bus->drives[i].bus = bus;
        bus->drives[i].unit = i;
    }
}

static void ide_blk_changed(void *opaque, bool inserted)
{
    IDEDrive *d = opaque;
    if (d->kind == IDE_KIND_CD) {
        atapi_medium_changed(d, inserted);
    }
}

bool ide_drive_attach(IDEDrive *d, BlockBackend *blk, bool cdrom, bool own_blk,
                      const char *id, Error **errp)
{
    IDEBus *bus = d->bus;
    int64_t len = blk_getlength(blk);
    if (len < 0) {
        error_setg(errp, "ide%d-%s%d: cannot read the image size: %s", bus->index,
                   cdrom ? "cd" : "hd", d->unit, strerror((int)-len));
        return false;
    }
    if (!cdrom && !blk_is_inserted(blk)) {
        error_setg(errp, "ide%d-hd%d: a hard disk needs an image", bus->index, d->unit);
        return false;
    }
    if (!cdrom && blk_is_read_only(blk)) {
        /* As QEMU's ide-hd: a disk has no way to tell the guest it cannot write. */
        error_setg(errp, "ide%d-hd%d: Can't use a read-only drive", bus->index, d->unit);
        return false;
    }
    d->kind = cdrom ? IDE_KIND_CD : IDE_KIND_HD;
    d->blk = blk;
    d->dma_buffer = xmalloc(IDE_DMA_BUF_SIZE);
    d->own_blk = own_blk;
    if (id) {
        snprintf(d->name, sizeof(d->name), "%s", id);
    } else {
        snprintf(d->name, sizeof(d->name), "ide%d-%s%d", bus->index, cdrom ? "cd" : "hd",
                 d->unit);
    }
    snprintf(d->serial, sizeof(d->serial), "OSP%d%d%s", bus->index, d->unit,
             cdrom ? "CD" : "HD");
    snprintf(d->model, sizeof(d->model), "%s", cdrom ? "OSPREY DVD-ROM" : "OSPREY HARDDISK");
    d->nb_sectors = (uint64_t)len / IDE_SECTOR_SIZE;
    /* The usual translation: 16 heads, 63 sectors, cylinders capped at 16383. */
    d->heads = 16;
    d->sectors = 63;
    d->cylinders = MIN(d->nb_sectors / (16 * 63), 16383);
    if (d->cylinders == 0) {
        d->cylinders = 1;
    }
    d->cur_heads = d->heads;
    d->cur_sectors = d->sectors;
    d->tray_open = cdrom && !blk_is_inserted(blk);
    blk_set_change_cb(blk, ide_blk_changed, d);
    return true;
}

void ide_drive_detach(IDEDrive *d)
{
    if (!d->blk) {
        return;
    }
    ide_drive_cancel(d);
    blk_set_change_cb(d->blk, NULL, NULL);
    if (d->own_blk) {
        blk_unref(d->blk);
    }
    d->blk = NULL;
    d->kind = IDE_KIND_NONE;
    /* After the cancel: no request writes into it any more. */
    free(d->dma_buffer);
    d->dma_buffer = NULL;
}

/* The stream is untrusted: keep every index inside io_buffer. */
static int ide_drive_post_load(void *opaque)
{
    IDEDrive *d = opaque;
    int ret = 0;
    if (d->io_end > IDE_BUF_SIZE || d->io_pos > d->io_end || d->reply_len > IDE_BUF_SIZE ||
        d->reply_pos > d->reply_len || d->block_bytes > IDE_BUF_SIZE ||
        d->xfer > IDE_XFER_DMA) {
        d->xfer = IDE_XFER_NONE;
        d->io_pos = d->io_end = d->reply_len = d->reply_pos = d->block_bytes = 0;
        ret = -1;
    }
    d->status &= ~ATA_ST_BSY; /* nothing is in flight after a load */
    d->in_flight = 0;
    return ret;
}

static void ide_drive_pre_save(void *opaque)
{
    IDEDrive *d = opaque;
    if (d->in_flight && d->blk) {
        blk_drain(d->blk);
    }
}

static const VMStateField ide_drive_vmstate_fields[] = {
    VMSTATE_U32(IDEDrive, cur_heads),
    VMSTATE_U32(IDEDrive, cur_sectors),
    VMSTATE_U8(IDEDrive, feature),
    VMSTATE_U8(IDEDrive, nsector),
    VMSTATE_U8(IDEDrive, sector),
    VMSTATE_U8(IDEDrive, lcyl),
    VMSTATE_U8(IDEDrive, hcyl),
    VMSTATE_U8(IDEDrive, hob_feature),
    VMSTATE_U8(IDEDrive, hob_nsector),
    VMSTATE_U8(IDEDrive, hob_sector),
    VMSTATE_U8(IDEDrive, hob_lcyl),
    VMSTATE_U8(IDEDrive, hob_hcyl),
    VMSTATE_U8(IDEDrive, select),
    VMSTATE_U8(IDEDrive, status),
    VMSTATE_U8(IDEDrive, error),
    VMSTATE_U8(IDEDrive, command),
    VMSTATE_BOOL(IDEDrive, irq_pending),
    VMSTATE_U8(IDEDrive, mult_sectors),
    VMSTATE_U8(IDEDrive, xfer_mode),
    VMSTATE_BOOL(IDEDrive, write_cache),
    VMSTATE_BOOL(IDEDrive, standby),
    VMSTATE_U8(IDEDrive, xfer),
    VMSTATE_BOOL(IDEDrive, dma_write),
    VMSTATE_BOOL(IDEDrive, dma_buffered),
    VMSTATE_U64(IDEDrive, offset),
    VMSTATE_U64(IDEDrive, bytes_left),
    VMSTATE_U32(IDEDrive, block_bytes),
    VMSTATE_U32(IDEDrive, io_pos),
    VMSTATE_U32(IDEDrive, io_end),
    VMSTATE_U32(IDEDrive, reply_len),
    VMSTATE_U32(IDEDrive, reply_pos),
    VMSTATE_U16(IDEDrive, byte_limit),
    VMSTATE_U8(IDEDrive, sense_key),
    VMSTATE_U8(IDEDrive, asc),
    VMSTATE_U8(IDEDrive, ascq),
    VMSTATE_BOOL(IDEDrive, unit_attention),
    VMSTATE_BOOL(IDEDrive, tray_locked),
    VMSTATE_BOOL(IDEDrive, tray_open),
    VMSTATE_U8(IDEDrive, media_event),
    VMSTATE_BUFFER(IDEDrive, io_buffer),
    VMSTATE_END,
};

const VMStateDescription ide_drive_vmstate = {
    .name = "ide-drive",
    .version = 1,
    .fields = ide_drive_vmstate_fields,
    .pre_save = ide_drive_pre_save,
    .post_load = ide_drive_post_load,
};

static int ide_bus_post_load(void *opaque)
{
    IDEBus *bus = opaque;
    bus->unit &= 1;
    ide_bus_update_irq(bus);
    return 0;
}

static const VMStateField ide_bus_vmstate_fields[] = {
    VMSTATE_STRUCT(IDEBus, drives[0], &ide_drive_vmstate),
    VMSTATE_STRUCT(IDEBus, drives[1], &ide_drive_vmstate),
    VMSTATE_U8(IDEBus, unit),
    VMSTATE_U8(IDEBus, devctl),
    VMSTATE_STRUCT(IDEBus, bm, &bmdma_vmstate),
    VMSTATE_END,
};

const VMStateDescription ide_bus_vmstate = {
    .name = "ide-bus",
    .version = 1,
    .fields = ide_bus_vmstate_fields,
    .post_load = ide_bus_post_load,
};

/* One block request of a drive, tagged with the command it belongs to. */
typedef struct IDERequest {
    IDEDrive *d;
    uint32_t generation;
    IDEDoneFn *done;
} IDERequest;

static void ide_request_complete(void *opaque, int ret)
{
    IDERequest *req = opaque;
    IDEDrive *d = req->d;
    bool current = req->generation == d->generation;
    IDEDoneFn *done = req->done;
    free(req);
    if (!current) {
        return; /* the command was reset away; its drain already zeroed in_flight */
    }
    d->in_flight--;
    d->status &= ~ATA_ST_BSY;
    done(d, ret);
}

static IDERequest *ide_request_new(IDEDrive *d, IDEDoneFn *done)
{
    IDERequest *req = XNEW(IDERequest);
    req->d = d;
    req->generation = d->generation;
    req->done = done;
    d->in_flight++;
    d->status |= ATA_ST_BSY;
    d->status &= ~ATA_ST_DRQ;
    return req;
}

void ide_submit(IDEDrive *d, bool write, uint64_t offset, uint32_t len, IDEDoneFn *done)
{
    ide_submit_buf(d, write, offset, d->io_buffer, MIN(len, (uint32_t)IDE_BUF_SIZE), done);
}

void ide_submit_buf(IDEDrive *d, bool write, uint64_t offset, uint8_t *buf, uint32_t len,
                    IDEDoneFn *done)
{
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    IDERequest *req = ide_request_new(d, done);
    if (offset > INT64_MAX) {
        offset = INT64_MAX; /* the block layer rejects it as out of range */
    }
    if (write) {
        blk_aio_pwritev(d->blk, (int64_t)offset, &iov, 1, ide_request_complete, req);
    } else {
        blk_aio_preadv(d->blk, (int64_t)offset, &iov, 1, ide_request_complete, req);
    }
}

void ide_submit_flush(IDEDrive *d, IDEDoneFn *done)
{
    blk_aio_flush(d->blk, ide_request_complete, ide_request_new(d, done));
}
