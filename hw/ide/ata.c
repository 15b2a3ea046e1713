/*
 * The ATA command set of an IDE hard disk (and the few ATA commands an
 * ATAPI device answers).
 *
 * Reference: ATA/ATAPI-6 (T13/1410D) section 8 (commands: IDENTIFY DEVICE
 * words, READ/WRITE SECTORS/MULTIPLE/DMA and their EXT forms, SET
 * FEATURES, SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, FLUSH CACHE,
 * READ VERIFY, the power commands, DEVICE RESET, EXECUTE DEVICE DIAGNOSTIC).
 *
 * Choices worth knowing:
 * - An address outside the medium fails with IDNF before any data moves;
 *   an unknown or inapplicable command fails with ABRT.  Both leave the
 *   failing command's address in the task file as a drive does.
 * - PIO reads fetch one block (1 sector, or the MULTIPLE setting) ahead of
 *   the host through the block layer, so a vCPU never waits on the disk.
 * - Power states are bookkeeping only: STANDBY is remembered so CHECK POWER
 *   MODE reports it, and any media access wakes the drive.
 */
#include "hw/ide/ide-internal.h"

#include <errno.h>

/* Opcodes. */
enum {
    ATA_DEVICE_RESET = 0x08,
    ATA_RECALIBRATE = 0x10, /* 0x10-0x1f */
    ATA_READ_SECTORS = 0x20,
    ATA_READ_SECTORS_NR = 0x21,
    ATA_READ_SECTORS_EXT = 0x24,
    ATA_READ_DMA_EXT = 0x25,
    ATA_READ_MULTIPLE_EXT = 0x29,
    ATA_WRITE_SECTORS = 0x30,
    ATA_WRITE_SECTORS_NR = 0x31,
    ATA_WRITE_SECTORS_EXT = 0x34,
    ATA_WRITE_DMA_EXT = 0x35,
    ATA_WRITE_MULTIPLE_EXT = 0x39,
    ATA_READ_VERIFY = 0x40,
    ATA_READ_VERIFY_NR = 0x41,
    ATA_READ_VERIFY_EXT = 0x42,
    ATA_SEEK = 0x70,
    ATA_EXEC_DIAGNOSTIC = 0x90,
    ATA_INIT_DEV_PARAMS = 0x91,
    ATA_PACKET = 0xa0,
    ATA_IDENTIFY_PACKET = 0xa1,
    ATA_READ_MULTIPLE = 0xc4,
    ATA_WRITE_MULTIPLE = 0xc5,
    ATA_SET_MULTIPLE = 0xc6,
    ATA_READ_DMA = 0xc8,
    ATA_READ_DMA_NR = 0xc9,
    ATA_WRITE_DMA = 0xca,
    ATA_WRITE_DMA_NR = 0xcb,
    ATA_STANDBY_IMMEDIATE = 0xe0,
    ATA_IDLE_IMMEDIATE = 0xe1,
    ATA_STANDBY = 0xe2,
    ATA_IDLE = 0xe3,
    ATA_CHECK_POWER_MODE = 0xe5,
    ATA_FLUSH_CACHE = 0xe7,
    ATA_FLUSH_CACHE_EXT = 0xea,
    ATA_IDENTIFY = 0xec,
    ATA_SET_FEATURES = 0xef,
};

/* SET FEATURES subcommands. */
enum {
    SETF_WCACHE_ON = 0x02,
    SETF_XFER_MODE = 0x03,
    SETF_LOOKAHEAD_OFF = 0x55,
    SETF_REVERT_OFF = 0x66,
    SETF_WCACHE_OFF = 0x82,
    SETF_LOOKAHEAD_ON = 0xaa,
    SETF_REVERT_ON = 0xcc,
};

#define ATA_LBA28_MAX 0x0fffffffULL

/* A string in IDENTIFY words: space padded, two characters per word, first in the high byte. */
void ide_put_string(uint16_t *words, int first, int nwords, const char *s)
{
    size_t len = strlen(s);
    for (int i = 0; i < nwords * 2; i++) {
        uint8_t c = (size_t)i < len ? (uint8_t)s[i] : ' ';
        uint16_t *w = &words[first + i / 2];
        if (i & 1) {
            *w = (*w & 0xff00) | c;
        } else {
            *w = (*w & 0x00ff) | (c << 8);
        }
    }
}

/* Words in io_buffer as little-endian, the order the data port delivers them. */
static void ide_words_to_buffer(IDEDrive *d, const uint16_t *w)
{
    for (int i = 0; i < 256; i++) {
        d->io_buffer[2 * i] = w[i];
        d->io_buffer[2 * i + 1] = w[i] >> 8;
    }
}

void ata_identify(IDEDrive *d)
{
    uint16_t w[256] = {0};
    uint64_t lba28 = MIN(d->nb_sectors, ATA_LBA28_MAX);
    uint32_t cur_cyl = d->cur_heads && d->cur_sectors
                           ? MIN(d->nb_sectors / (d->cur_heads * d->cur_sectors), 65535u)
                           : 0;
    uint32_t cur_cap = cur_cyl * d->cur_heads * d->cur_sectors;

    w[0] = 0x0040; /* fixed disk, not removable */
    w[1] = d->cylinders;
    w[3] = d->heads;
    w[6] = d->sectors;
    ide_put_string(w, 10, 10, d->serial);
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, d->model);
    w[47] = 0x8000 | IDE_MAX_MULT_SECTORS;
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); /* IORDY, LBA, DMA */
    w[50] = 0x4000;
    w[51] = 0x0200; /* obsolete PIO timing: mode 2 */
    w[53] = 0x0007; /* words 54-58, 64-70 and 88 are valid */
    w[54] = cur_cyl;
    w[55] = d->cur_heads;
    w[56] = d->cur_sectors;
    w[57] = cur_cap;
    w[58] = cur_cap >> 16;
    if (d->mult_sectors) {
        w[59] = 0x0100 | d->mult_sectors;
    }
    w[60] = lba28;
    w[61] = lba28 >> 16;
    w[63] = 0x0007; /* multiword DMA 0-2 supported */
    if ((d->xfer_mode & 0xf8) == 0x20) {
        w[63] |= 0x100 << (d->xfer_mode & 7);
    }
    w[64] = 0x0003; /* PIO 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x00f0; /* ATA/ATAPI-4 to -7 */
    w[82] = (1 << 6) | (1 << 5);                        /* look-ahead, write cache */
    w[83] = 0x4000 | (1 << 13) | (1 << 12) | (1 << 10); /* FLUSH EXT, FLUSH, LBA48 */
    w[84] = 0x4000;
    w[85] = (1 << 6) | (d->write_cache ? (1 << 5) : 0);
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 0x4000;
    w[88] = 0x003f; /* Ultra DMA 0-5 supported */
    if ((d->xfer_mode & 0xf8) == 0x40) {
        w[88] |= 0x100 << (d->xfer_mode & 7);
    }
    w[93] = 0x6000 | (d->unit ? 0x0b00 : 0x000b); /* reset results, 80-wire cable */
    w[100] = d->nb_sectors;
    w[101] = d->nb_sectors >> 16;
    w[102] = d->nb_sectors >> 32;
    w[103] = d->nb_sectors >> 48;
    ide_words_to_buffer(d, w);
    ide_pio_in_start(d, 512, IDE_XFER_PIO_IN_ONCE);
}

/* Put an address back into the task file (the failing sector on errors). */
static void ata_set_address(IDEDrive *d, uint64_t lba, bool lba48)
{
    if (lba48) {
        d->sector = lba;
        d->lcyl = lba >> 8;
        d->hcyl = lba >> 16;
        d->hob_sector = lba >> 24;
        d->hob_lcyl = lba >> 32;
        d->hob_hcyl = lba >> 40;
    } else if (d->select & ATA_DEV_LBA) {
        d->sector = lba;
        d->lcyl = lba >> 8;
        d->hcyl = lba >> 16;
        d->select = (d->select & 0xf0) | ((lba >> 24) & 0x0f);
    } else if (d->cur_heads && d->cur_sectors) {
        uint64_t cyl = lba / (d->cur_heads * d->cur_sectors);
        uint32_t rem = lba % (d->cur_heads * d->cur_sectors);
        d->lcyl = cyl;
        d->hcyl = cyl >> 8;
        d->select = (d->select & 0xf0) | ((rem / d->cur_sectors) & 0x0f);
        d->sector = rem % d->cur_sectors + 1;
    }
}

static void ata_error(IDEDrive *d, uint8_t error)
{
    ide_transfer_stop(d);
    d->status = ATA_ST_DRDY | ATA_ST_ERR;
    d->error = error;
    ide_set_irq(d);
}

/*
 * The range a read/write/verify command names, checked against the medium.
 * On failure the command has been failed with IDNF.
 */
static bool ata_get_range(IDEDrive *d, bool lba48, uint64_t *lba, uint32_t *count)
{
    uint64_t start;
    uint32_t n;
    if (lba48) {
        start = ((uint64_t)d->hob_hcyl << 40) | ((uint64_t)d->hob_lcyl << 32) |
                ((uint64_t)d->hob_sector << 24) | (d->hcyl << 16) | (d->lcyl << 8) | d->sector;
        n = (d->hob_nsector << 8) | d->nsector;
        n = n ? n : 65536;
    } else {
        n = d->nsector ? d->nsector : 256;
        if (d->select & ATA_DEV_LBA) {
            start = ((uint64_t)(d->select & 0x0f) << 24) | (d->hcyl << 16) | (d->lcyl << 8) |
                    d->sector;
        } else {
            uint32_t cyl = (d->hcyl << 8) | d->lcyl;
            uint32_t head = d->select & 0x0f;
            if (d->sector == 0 || d->sector > d->cur_sectors || head >= d->cur_heads) {
                log_guest_error("%s: CHS %u/%u/%u outside the translation\n", d->name, cyl,
                                head, d->sector);
                ata_error(d, ATA_ER_IDNF);
                return false;
            }
            start = ((uint64_t)cyl * d->cur_heads + head) * d->cur_sectors + d->sector - 1;
        }
    }
    if (start >= d->nb_sectors || n > d->nb_sectors - start) {
        log_guest_error("%s: sectors %" PRIu64 "+%u beyond the end (%" PRIu64 ")\n", d->name,
                        start, n, d->nb_sectors);
        ata_set_address(d, start, lba48);
        ata_error(d, ATA_ER_IDNF);
        return false;
    }
    *lba = start;
    *count = n;
    return true;
}

static void ata_io_error(IDEDrive *d, int ret, bool write)
{
    log_guest_error("%s: %s error at byte %" PRIu64 ": %s\n", d->name,
                    write ? "write" : "read", d->offset, strerror(-ret));
    ata_set_address(d, d->offset / IDE_SECTOR_SIZE, d->command == ATA_READ_SECTORS_EXT ||
                    d->command == ATA_WRITE_SECTORS_EXT ||
                    d->command == ATA_READ_MULTIPLE_EXT ||
                    d->command == ATA_WRITE_MULTIPLE_EXT);
    ata_error(d, write ? ATA_ER_ABRT : (ATA_ER_UNC | ATA_ER_ABRT));
}

/* Sectors per DRQ block of the current PIO command. */
static uint32_t ata_block_bytes(IDEDrive *d)
{
    bool multiple = d->command == ATA_READ_MULTIPLE || d->command == ATA_WRITE_MULTIPLE ||
                    d->command == ATA_READ_MULTIPLE_EXT || d->command == ATA_WRITE_MULTIPLE_EXT;
    uint32_t sectors = multiple ? d->mult_sectors : 1;
    return MIN(d->bytes_left, (uint64_t)sectors * IDE_SECTOR_SIZE);
}

static void ata_pio_read_cb(IDEDrive *d, int ret)
{
    if (ret < 0) {
        ata_io_error(d, ret, false);
        return;
    }
    ide_pio_in_start(d, d->block_bytes, IDE_XFER_ATA_PIO_IN);
}

static void ata_pio_read_next(IDEDrive *d)
{
    d->block_bytes = ata_block_bytes(d);
    d->xfer = IDE_XFER_ATA_PIO_IN;
    d->io_pos = d->io_end = 0;
    ide_submit(d, false, d->offset, d->block_bytes, ata_pio_read_cb);
}

/* PIO data-out: the host fills the next block (no interrupt before the first one). */
static void ata_pio_write_window(IDEDrive *d, bool irq)
{
    d->block_bytes = ata_block_bytes(d);
    d->xfer = IDE_XFER_ATA_PIO_OUT;
    d->io_pos = 0;
    d->io_end = d->block_bytes;
    d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
    if (irq) {
        ide_set_irq(d);
    }
}

static void ata_pio_write_cb(IDEDrive *d, int ret)
{
    if (ret < 0) {
        ata_io_error(d, ret, true);
        return;
    }
    d->offset += d->block_bytes;
    d->bytes_left -= d->block_bytes;
    if (d->bytes_left) {
        ata_pio_write_window(d, true);
    } else {
        ide_command_ok(d);
    }
}

/* The host has emptied (read) or filled (write) the block in the data window. */
void ata_pio_block_done(IDEDrive *d)
{
    if (d->xfer == IDE_XFER_ATA_PIO_OUT) {
        d->io_pos = d->io_end = 0;
        ide_submit(d, true, d->offset, d->block_bytes, ata_pio_write_cb);
        return;
    }
    d->offset += d->block_bytes;
    d->bytes_left -= d->block_bytes;
    if (d->bytes_left) {
        ata_pio_read_next(d);
    } else {
        ide_transfer_stop(d);
        d->status = ATA_ST_DRDY | ATA_ST_DSC;
    }
}

void ata_dma_done(IDEDrive *d, int ret)
{
    if (ret == -EFAULT) {
        ata_error(d, ATA_ER_ABRT); /* the bus master could not reach memory */
    } else if (ret < 0) {
        ata_io_error(d, ret, d->dma_write);
    } else {
        ide_command_ok(d);
    }
}

static void ata_rw(IDEDrive *d, bool lba48, bool write, bool dma)
{
    uint64_t lba;
    uint32_t count;
    if (d->kind != IDE_KIND_HD) {
        ide_abort_command(d);
        return;
    }
    if (!ata_get_range(d, lba48, &lba, &count)) {
        return;
    }
    d->standby = false;
    d->offset = lba * IDE_SECTOR_SIZE;
    d->bytes_left = (uint64_t)count * IDE_SECTOR_SIZE;
    d->dma_write = write;
    if (dma) {
        bmdma_start_transfer(d, d->offset, d->bytes_left, write);
    } else if (write) {
        ata_pio_write_window(d, false);
    } else {
        ata_pio_read_next(d);
    }
}

static void ata_flush_cb(IDEDrive *d, int ret)
{
    if (ret < 0) {
        log_guest_error("%s: flush failed: %s\n", d->name, strerror(-ret));
        ata_error(d, ATA_ER_ABRT);
    } else {
        ide_command_ok(d);
    }
}

static void ata_set_features(IDEDrive *d)
{
    switch (d->feature) {
    case SETF_WCACHE_ON:
    case SETF_WCACHE_OFF:
        d->write_cache = d->feature == SETF_WCACHE_ON;
        break;
    case SETF_LOOKAHEAD_ON:
    case SETF_LOOKAHEAD_OFF:
    case SETF_REVERT_ON:
    case SETF_REVERT_OFF:
        break;
    case SETF_XFER_MODE: {
        uint8_t mode = d->nsector;
        uint8_t n = mode & 7;
        bool ok = mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c) ||
                  ((mode & 0xf8) == 0x20 && n <= 2) || ((mode & 0xf8) == 0x40 && n <= 5);
        if (!ok) {
            log_guest_error("%s: SET FEATURES: transfer mode 0x%02x not supported\n", d->name,
                            mode);
            ide_abort_command(d);
            return;
        }
        d->xfer_mode = mode;
        break;
    }
    default:
        log_unimp("%s: SET FEATURES subcommand 0x%02x\n", d->name, d->feature);
        ide_abort_command(d);
        return;
    }
    ide_command_ok(d);
}

static void ata_read_verify(IDEDrive *d, bool lba48)
{
    uint64_t lba;
    uint32_t count;
    if (d->kind != IDE_KIND_HD) {
        ide_abort_command(d);
        return;
    }
    if (ata_get_range(d, lba48, &lba, &count)) {
        d->standby = false;
        ide_command_ok(d);
    }
}

void ata_exec_command(IDEDrive *d, uint8_t cmd)
{
    bool hd = d->kind == IDE_KIND_HD;
    d->command = cmd;
    d->error = 0;
    ide_transfer_stop(d);
    d->status = ATA_ST_DRDY | ATA_ST_DSC;
    if (d->kind == IDE_KIND_CD) {
        /* ATAPI devices clear DRDY; only the commands below are theirs. */
        d->status = 0;
    }

    switch (cmd) {
    case ATA_IDENTIFY:
        if (hd) {
            ata_identify(d);
        } else {
            /* An ATAPI device aborts IDENTIFY DEVICE and shows its signature. */
            ide_set_signature(d);
            ide_abort_command(d);
        }
        return;
    case ATA_IDENTIFY_PACKET:
        if (hd) {
            ide_abort_command(d);
        } else {
            atapi_identify(d);
        }
        return;
    case ATA_PACKET:
        if (hd) {
            ide_abort_command(d);
            return;
        }
        /* The 12-byte packet, then the command runs; features bit 0 asks for DMA. */
        d->byte_limit = (d->hcyl << 8) | d->lcyl;
        d->xfer = IDE_XFER_PACKET;
        d->io_pos = 0;
        d->io_end = 12;
        d->nsector = ATAPI_IR_COD;
        d->status = ATA_ST_DRDY | ATA_ST_DRQ;
        return;
    case ATA_DEVICE_RESET:
        if (hd) {
            ide_abort_command(d);
        } else {
            ide_drive_cancel(d);
            ide_set_signature(d);
            d->error = 0x01;
            d->status = 0;
            atapi_reset(d);
        }
        return;
    case ATA_EXEC_DIAGNOSTIC:
        for (int i = 0; i < 2; i++) {
            IDEDrive *o = &d->bus->drives[i];
            if (o->kind != IDE_KIND_NONE) {
                ide_set_signature(o);
                o->error = 0x01;
                o->status = o->kind == IDE_KIND_HD ? (ATA_ST_DRDY | ATA_ST_DSC) : 0;
            }
        }
        d->bus->unit = 0;
        ide_set_irq(&d->bus->drives[0]);
        return;
    }

    /* The PACKET feature set keeps only these of the general ATA commands. */
    bool packet_ok = cmd == ATA_SET_FEATURES || cmd == ATA_CHECK_POWER_MODE ||
                     cmd == ATA_IDLE_IMMEDIATE || cmd == ATA_STANDBY_IMMEDIATE;
    if (!hd && !packet_ok) {
        log_guest_error("%s: ATA command 0x%02x sent to an ATAPI device\n", d->name, cmd);
        ide_abort_command(d);
        return;
    }

    switch (cmd) {
    case ATA_READ_SECTORS:
    case ATA_READ_SECTORS_NR:
    case ATA_READ_MULTIPLE:
        if (cmd == ATA_READ_MULTIPLE && !d->mult_sectors) {
            ide_abort_command(d);
            return;
        }
        ata_rw(d, false, false, false);
        return;
    case ATA_READ_SECTORS_EXT:
    case ATA_READ_MULTIPLE_EXT:
        if (cmd == ATA_READ_MULTIPLE_EXT && !d->mult_sectors) {
            ide_abort_command(d);
            return;
        }
        ata_rw(d, true, false, false);
        return;
    case ATA_WRITE_SECTORS:
    case ATA_WRITE_SECTORS_NR:
    case ATA_WRITE_MULTIPLE:
        if (cmd == ATA_WRITE_MULTIPLE && !d->mult_sectors) {
            ide_abort_command(d);
            return;
        }
        ata_rw(d, false, true, false);
        return;
    case ATA_WRITE_SECTORS_EXT:
    case ATA_WRITE_MULTIPLE_EXT:
        if (cmd == ATA_WRITE_MULTIPLE_EXT && !d->mult_sectors) {
            ide_abort_command(d);
            return;
        }
        ata_rw(d, true, true, false);
        return;
    case ATA_READ_DMA:
    case ATA_READ_DMA_NR:
        ata_rw(d, false, false, true);
        return;
    case ATA_READ_DMA_EXT:
        ata_rw(d, true, false, true);
        return;
    case ATA_WRITE_DMA:
    case ATA_WRITE_DMA_NR:
        ata_rw(d, false, true, true);
        return;
    case ATA_WRITE_DMA_EXT:
        ata_rw(d, true, true, true);
        return;
    case ATA_READ_VERIFY:
    case ATA_READ_VERIFY_NR:
        ata_read_verify(d, false);
        return;
    case ATA_READ_VERIFY_EXT:
        ata_read_verify(d, true);
        return;
    case ATA_SET_FEATURES:
        ata_set_features(d);
        return;
    case ATA_SET_MULTIPLE:
        /* A power of two up to the maximum in IDENTIFY word 47; 0 turns it off. */
        if (d->nsector > IDE_MAX_MULT_SECTORS || (d->nsector & (d->nsector - 1))) {
            log_guest_error("%s: SET MULTIPLE MODE %u not supported\n", d->name, d->nsector);
            ide_abort_command(d);
            return;
        }
        d->mult_sectors = d->nsector;
        ide_command_ok(d);
        return;
    case ATA_INIT_DEV_PARAMS:
        /* The CHS translation for later commands: heads from the device register. */
        if (d->nsector == 0) {
            ide_abort_command(d);
            return;
        }
        d->cur_sectors = d->nsector;
        d->cur_heads = (d->select & 0x0f) + 1;
        ide_command_ok(d);
        return;
    case ATA_FLUSH_CACHE:
    case ATA_FLUSH_CACHE_EXT:
        ide_submit_flush(d, ata_flush_cb);
        return;
    case ATA_STANDBY:
    case ATA_STANDBY_IMMEDIATE:
        d->standby = true;
        ide_command_ok(d);
        return;
    case ATA_IDLE:
    case ATA_IDLE_IMMEDIATE:
        d->standby = false;
        ide_command_ok(d);
        return;
    case ATA_CHECK_POWER_MODE:
        d->nsector = d->standby ? 0x00 : 0xff;
        ide_command_ok(d);
        return;
    case ATA_SEEK:
        ide_command_ok(d);
        return;
    default:
        if ((cmd & 0xf0) == ATA_RECALIBRATE) {
            ide_command_ok(d);
            return;
        }
        log_unimp("%s: ATA command 0x%02x\n", d->name, cmd);
        ide_abort_command(d);
        return;
    }
}
