/*
 * The ATAPI CD-ROM: IDENTIFY PACKET DEVICE, the PACKET protocol and the
 * MMC commands a host needs to find, read and eject a disc.
 *
 * References: ATA/ATAPI-6 (T13/1410D) 8.23 (PACKET: interrupt reason, byte
 * count limit) and 8.16 (IDENTIFY PACKET DEVICE); SPC-3 (INQUIRY, REQUEST
 * SENSE fixed format, TEST UNIT READY, PREVENT ALLOW MEDIUM REMOVAL, MODE
 * SENSE(10)); MMC-3 (READ CAPACITY, READ(10)/(12), READ TOC/PMA/ATIP formats
 * 0 and 1, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, READ DISC
 * INFORMATION, START STOP UNIT, the capabilities mode page 2Ah).
 *
 * Choices worth knowing:
 * - The disc is one data track in one closed session, 2048-byte sectors.
 * - A media change (monitor change/eject) sets a unit attention that the
 *   next command other than INQUIRY, REQUEST SENSE, GET CONFIGURATION and
 *   GET EVENT STATUS NOTIFICATION reports once, and a media event for GESN.
 * - PIO data goes out in pieces of at most the byte count limit (an odd
 *   limit is rounded down, 0 means the largest even count), with an
 *   interrupt per piece.
 */
#include "hw/ide/ide-internal.h"

#include <errno.h>

enum {
    GPCMD_TEST_UNIT_READY = 0x00,
    GPCMD_REQUEST_SENSE = 0x03,
    GPCMD_INQUIRY = 0x12,
    GPCMD_START_STOP_UNIT = 0x1b,
    GPCMD_PREVENT_ALLOW = 0x1e,
    GPCMD_READ_CAPACITY = 0x25,
    GPCMD_READ_10 = 0x28,
    GPCMD_SEEK_10 = 0x2b,
    GPCMD_READ_TOC = 0x43,
    GPCMD_GET_CONFIGURATION = 0x46,
    GPCMD_GET_EVENT_STATUS = 0x4a,
    GPCMD_READ_DISC_INFO = 0x51,
    GPCMD_MODE_SENSE_10 = 0x5a,
    GPCMD_READ_12 = 0xa8,
    GPCMD_SET_CD_SPEED = 0xbb,
};

/* MMC profiles. */
#define PROFILE_CD_ROM 0x0008
#define PROFILE_DVD_ROM 0x0010
/* A disc larger than a CD can hold is reported as a DVD. */
#define CD_MAX_BYTES (800ULL * 1024 * 1024)

static uint64_t atapi_nb_blocks(IDEDrive *d)
{
    int64_t len = blk_is_inserted(d->blk) ? blk_getlength(d->blk) : 0;
    return len > 0 ? (uint64_t)len / ATAPI_SECTOR_SIZE : 0;
}

void atapi_reset(IDEDrive *d)
{
    d->sense_key = SENSE_NONE;
    d->asc = d->ascq = 0;
    d->reply_len = d->reply_pos = 0;
    d->dma_buffered = false;
}

void atapi_medium_changed(IDEDrive *d, bool inserted)
{
    if (inserted) {
        d->unit_attention = true;
        d->media_event = MEDIA_EVENT_NEW_MEDIA;
        d->tray_open = false;
    } else {
        d->media_event = MEDIA_EVENT_MEDIA_REMOVAL;
        d->tray_open = true;
    }
}

/* The command ends: status with "command complete" in the interrupt reason. */
static void atapi_finish(IDEDrive *d, uint8_t status, uint8_t error)
{
    ide_transfer_stop(d);
    d->status = status;
    d->error = error;
    d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    ide_set_irq(d);
}

static void atapi_ok(IDEDrive *d)
{
    d->sense_key = SENSE_NONE;
    d->asc = d->ascq = 0;
    atapi_finish(d, ATA_ST_DRDY | ATA_ST_DSC, 0);
}

static void atapi_check_condition(IDEDrive *d, uint8_t key, uint8_t asc)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = 0;
    atapi_finish(d, ATA_ST_DRDY | ATA_ST_ERR,
                 (key << 4) | (key == SENSE_ILLEGAL_REQUEST ? ATA_ER_ABRT : 0));
}

/* The next PIO piece: from io_buffer, refilled from the medium while sectors remain. */
static void atapi_next_piece(IDEDrive *d);

static void atapi_refill_cb(IDEDrive *d, int ret)
{
    if (ret < 0) {
        log_guest_error("%s: read error at byte %" PRIu64 ": %s\n", d->name, d->offset,
                        strerror(-ret));
        atapi_check_condition(d, ret == -ENOMEDIUM ? SENSE_NOT_READY : 0x03,
                              ret == -ENOMEDIUM ? ASC_MEDIUM_NOT_PRESENT : 0x11);
        return;
    }
    uint32_t chunk = (uint32_t)MIN(d->bytes_left, (uint64_t)IDE_BUF_SIZE);
    d->offset += chunk;
    d->bytes_left -= chunk;
    d->reply_len = chunk;
    d->reply_pos = 0;
    atapi_next_piece(d);
}

static void atapi_next_piece(IDEDrive *d)
{
    if (d->reply_pos >= d->reply_len) {
        if (d->bytes_left) {
            d->xfer = IDE_XFER_ATAPI_IN;
            d->io_pos = d->io_end = 0;
            uint32_t chunk = (uint32_t)MIN(d->bytes_left, (uint64_t)IDE_BUF_SIZE);
            ide_submit(d, false, d->offset, chunk, atapi_refill_cb);
        } else {
            atapi_ok(d);
        }
        return;
    }
    uint32_t limit = d->byte_limit;
    if (limit == 0 || limit == 0xffff) {
        limit = 0xfffe;
    }
    limit &= ~1u;
    uint32_t piece = MIN(d->reply_len - d->reply_pos, limit);
    d->xfer = IDE_XFER_ATAPI_IN;
    d->io_pos = d->reply_pos;
    d->io_end = d->reply_pos + piece;
    d->nsector = ATAPI_IR_IO;
    d->lcyl = piece;
    d->hcyl = piece >> 8;
    d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
    ide_set_irq(d);
}

void atapi_piece_done(IDEDrive *d)
{
    d->reply_pos = d->io_end;
    atapi_next_piece(d);
}

/* Send the first len bytes of io_buffer (cut to the host's allocation length). */
static void atapi_reply(IDEDrive *d, uint32_t len, uint32_t alloc)
{
    len = MIN(len, alloc);
    d->bytes_left = 0;
    if (len == 0) {
        atapi_ok(d);
        return;
    }
    if (d->feature & 1) {
        d->xfer = IDE_XFER_DMA;
        d->dma_buffered = true;
        d->dma_write = false;
        d->bytes_left = len;
        d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
        /* bmdma_start_transfer would clear dma_buffered: kick the engine directly. */
        bmdma_kick(d->bus);
        return;
    }
    d->reply_len = len;
    d->reply_pos = 0;
    atapi_next_piece(d);
}

void atapi_dma_done(IDEDrive *d, int ret)
{
    d->dma_buffered = false;
    if (ret == -EFAULT) {
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, 0);
    } else if (ret < 0) {
        atapi_check_condition(d, 0x03, 0x11); /* medium error, unrecovered read error */
    } else {
        atapi_ok(d);
    }
}

void atapi_identify(IDEDrive *d)
{
    uint16_t w[256] = {0};
    w[0] = 0x85c0; /* ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets */
    ide_put_string(w, 10, 10, d->serial);
    ide_put_string(w, 23, 4, "1.0");
    ide_put_string(w, 27, 20, d->model);
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); /* IORDY, LBA, DMA */
    w[53] = 0x0007;
    w[63] = 0x0007;
    if ((d->xfer_mode & 0xf8) == 0x20) {
        w[63] |= 0x100 << (d->xfer_mode & 7);
    }
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = 30;
    w[72] = 30;
    w[80] = 0x00f0;
    w[82] = (1 << 9) | (1 << 4); /* DEVICE RESET, PACKET */
    w[83] = 0x4000;
    w[84] = 0x4000;
    w[85] = (1 << 9) | (1 << 4);
    w[87] = 0x4000;
    w[88] = 0x003f;
    if ((d->xfer_mode & 0xf8) == 0x40) {
        w[88] |= 0x100 << (d->xfer_mode & 7);
    }
    w[93] = 0x6000 | (d->unit ? 0x0b00 : 0x000b);
    for (int i = 0; i < 256; i++) {
        d->io_buffer[2 * i] = w[i];
        d->io_buffer[2 * i + 1] = w[i] >> 8;
    }
    ide_pio_in_start(d, 512, IDE_XFER_PIO_IN_ONCE);
}

static void lba_to_msf(uint8_t *p, uint32_t lba)
{
    lba += 150; /* the two-second pregap */
    p[0] = 0;
    p[1] = lba / (75 * 60);
    p[2] = (lba / 75) % 60;
    p[3] = lba % 75;
}

static void put_address(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf) {
        lba_to_msf(p, lba);
    } else {
        be32_put(p, lba);
    }
}

static void atapi_inquiry(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    if (cdb[1] & 1) {
        /* Vital product data pages are not offered. */
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    memset(b, 0, 36);
    b[0] = 0x05; /* CD/DVD device */
    b[1] = 0x80; /* removable */
    b[2] = 0x00;
    b[3] = 0x21; /* ATAPI, response data format 1 */
    b[4] = 36 - 5;
    memcpy(b + 8, "OSPREY  ", 8);
    memcpy(b + 16, "OSPREY DVD-ROM  ", 16);
    memcpy(b + 32, "1.0 ", 4);
    atapi_reply(d, 36, cdb[4]);
}

static void atapi_request_sense(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    memset(b, 0, 18);
    b[0] = 0x70; /* current error, fixed format */
    b[2] = d->sense_key;
    b[7] = 10;
    b[12] = d->asc;
    b[13] = d->ascq;
    uint32_t alloc = cdb[4];
    /* Reporting the sense clears it; the reply itself then ends with good status. */
    atapi_reply(d, 18, alloc);
}

static void atapi_read_capacity(IDEDrive *d)
{
    uint64_t blocks = atapi_nb_blocks(d);
    uint8_t *b = d->io_buffer;
    be32_put(b, blocks ? (uint32_t)MIN(blocks - 1, 0xffffffffULL) : 0);
    be32_put(b + 4, ATAPI_SECTOR_SIZE);
    atapi_reply(d, 8, 8);
}

static void atapi_read(IDEDrive *d, uint32_t lba, uint32_t count)
{
    uint64_t blocks = atapi_nb_blocks(d);
    if ((uint64_t)lba + count > blocks) {
        log_guest_error("%s: READ of %u blocks at %u beyond %" PRIu64 "\n", d->name, count, lba,
                        blocks);
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        return;
    }
    if (count == 0) {
        atapi_ok(d);
        return;
    }
    uint64_t offset = (uint64_t)lba * ATAPI_SECTOR_SIZE;
    uint64_t bytes = (uint64_t)count * ATAPI_SECTOR_SIZE;
    if (d->feature & 1) {
        bmdma_start_transfer(d, offset, bytes, false);
        return;
    }
    d->offset = offset;
    d->bytes_left = bytes;
    d->reply_len = d->reply_pos = 0;
    atapi_next_piece(d);
}

static void atapi_mode_sense(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    unsigned control = cdb[2] >> 6;
    unsigned page = cdb[2] & 0x3f;
    uint32_t len = 8;
    if (control == 3) {
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_NOT_SUPPORTED);
        return;
    }
    if (page != 0x01 && page != 0x2a && page != 0x3f) {
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    memset(b, 0, 64);
    bool changeable = control == 1;
    if (page == 0x01 || page == 0x3f) {
        /* Read/write error recovery: defaults, nothing changeable. */
        b[len] = 0x01;
        b[len + 1] = 0x0a;
        len += 12;
    }
    if (page == 0x2a || page == 0x3f) {
        uint8_t *p = b + len;
        p[0] = 0x2a;
        p[1] = 0x12;
        if (!changeable) {
            p[2] = 0x3b; /* reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM */
            p[4] = 0x71; /* audio play, multi-session, mode 2 forms 1 and 2 */
            p[5] = 0x20; /* ISRC... kept minimal: reads UPC is off, C2 pointers off */
            p[6] = 0x29 | (d->tray_locked ? 0x02 : 0); /* tray, eject, lock supported */
            be16_put(p + 8, 706 * 4);                   /* maximum speed, KB/s */
            be16_put(p + 10, 2);                        /* volume levels */
            be16_put(p + 12, 512);                      /* buffer, KiB */
            be16_put(p + 14, 706 * 4);                  /* current speed */
        }
        len += 20;
    }
    be16_put(b, len - 2);
    b[2] = blk_is_inserted(d->blk) ? 0x01 : 0x70; /* 120 mm data disc / no disc */
    atapi_reply(d, len, be16_get(cdb + 7));
}

static void atapi_read_toc(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    bool msf = cdb[1] & 2;
    unsigned format = cdb[2] & 0x0f;
    unsigned start_track = cdb[6];
    uint32_t alloc = be16_get(cdb + 7);
    uint32_t len;
    if (format == 0 && (cdb[9] >> 6)) {
        format = cdb[9] >> 6; /* the older SFF-8020 place for the format */
    }
    memset(b, 0, 32);
    switch (format) {
    case 0: /* the TOC: track 1 and the lead-out */
        if (start_track > 1 && start_track != 0xaa) {
            atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            return;
        }
        b[2] = 1;
        b[3] = 1;
        len = 4;
        if (start_track <= 1) {
            b[len + 1] = 0x14; /* ADR 1, data track */
            b[len + 2] = 1;
            put_address(b + len + 4, 0, msf);
            len += 8;
        }
        b[len + 1] = 0x14;
        b[len + 2] = 0xaa;
        put_address(b + len + 4, (uint32_t)MIN(atapi_nb_blocks(d), 0xffffffffULL), msf);
        len += 8;
        break;
    case 1: /* session information: one session starting at track 1 */
        b[2] = 1;
        b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        put_address(b + 8, 0, msf);
        len = 12;
        break;
    default:
        log_unimp("%s: READ TOC format %u\n", d->name, format);
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    be16_put(b, len - 2);
    atapi_reply(d, len, alloc);
}

static uint32_t gc_feature(uint8_t *p, uint16_t code, uint8_t flags, uint8_t len)
{
    be16_put(p, code);
    p[2] = flags;
    p[3] = len;
    return 4 + len;
}

static void atapi_get_configuration(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    unsigned rt = cdb[1] & 3;
    unsigned start = be16_get(cdb + 2);
    uint32_t alloc = be16_get(cdb + 7);
    bool present = blk_is_inserted(d->blk);
    bool dvd = present && (uint64_t)blk_getlength(d->blk) > CD_MAX_BYTES;
    uint16_t profile = !present ? 0 : dvd ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
    uint32_t len = 8;
    if (rt == 3) {
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    memset(b, 0, 64);
    be16_put(b + 6, profile);
    /* Features 0-3, all current and persistent; RT 2 asks for exactly one. */
    for (unsigned code = 0; code <= 3; code++) {
        if (code < start || (rt == 2 && code != start)) {
            continue;
        }
        uint8_t *p = b + len;
        switch (code) {
        case 0: /* profile list */
            len += gc_feature(p, 0, 0x03, 8);
            be16_put(p + 4, PROFILE_DVD_ROM);
            p[6] = profile == PROFILE_DVD_ROM;
            be16_put(p + 8, PROFILE_CD_ROM);
            p[10] = profile == PROFILE_CD_ROM;
            break;
        case 1: /* core: ATAPI interface */
            len += gc_feature(p, 1, 0x0b, 8);
            be32_put(p + 4, 2);
            p[8] = 0x01;
            break;
        case 2: /* morphing: operational change events */
            len += gc_feature(p, 2, 0x07, 4);
            p[4] = 0x02;
            break;
        case 3: /* removable medium: tray, eject, lock */
            len += gc_feature(p, 3, 0x03, 4);
            p[4] = 0x29 | (d->tray_locked ? 0x04 : 0);
            break;
        }
    }
    be32_put(b, len - 4);
    atapi_reply(d, len, alloc);
}

static void atapi_get_event_status(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    uint32_t alloc = be16_get(cdb + 7);
    if (!(cdb[1] & 1)) {
        /* Only polled operation: asynchronous notification is not offered. */
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    memset(b, 0, 8);
    b[3] = 0x10; /* supported classes: media */
    uint32_t len = 4;
    if (cdb[4] & 0x10) {
        b[2] = 0x04; /* media class */
        b[4] = d->media_event;
        b[5] = (blk_is_inserted(d->blk) ? 0x02 : 0) | (d->tray_open ? 0x01 : 0);
        d->media_event = MEDIA_EVENT_NONE;
        len = 8;
    } else {
        b[2] = 0x80; /* no event available in the requested classes */
    }
    be16_put(b, len - 2);
    atapi_reply(d, len, alloc);
}

static void atapi_read_disc_info(IDEDrive *d, const uint8_t *cdb)
{
    uint8_t *b = d->io_buffer;
    if (cdb[1] & 7) {
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        return;
    }
    memset(b, 0, 34);
    be16_put(b, 32);
    b[2] = 0x0e; /* last session complete, disc finalized */
    b[3] = 1;    /* first track */
    b[4] = 1;    /* sessions */
    b[5] = 1;    /* first track in the last session */
    b[6] = 1;    /* last track in the last session */
    b[7] = 0x20; /* unrestricted use */
    atapi_reply(d, 34, be16_get(cdb + 7));
}

static void atapi_start_stop(IDEDrive *d, const uint8_t *cdb)
{
    bool start = cdb[4] & 1;
    bool load_eject = cdb[4] & 2;
    if (!load_eject) {
        atapi_ok(d);
        return;
    }
    if (!start) {
        if (d->tray_locked) {
            atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED);
            d->ascq = 2;
            return;
        }
        blk_eject_medium(d->blk); /* calls back atapi_medium_changed */
        d->tray_open = true;
        d->media_event = MEDIA_EVENT_MEDIA_REMOVAL;
    } else {
        d->tray_open = false; /* the tray closes on whatever it holds */
    }
    atapi_ok(d);
}

/* Commands that need a disc, and those a pending unit attention does not stop. */
static bool atapi_needs_medium(uint8_t op)
{
    switch (op) {
    case GPCMD_TEST_UNIT_READY:
    case GPCMD_READ_CAPACITY:
    case GPCMD_READ_10:
    case GPCMD_READ_12:
    case GPCMD_READ_TOC:
    case GPCMD_READ_DISC_INFO:
    case GPCMD_SEEK_10:
        return true;
    default:
        return false;
    }
}

static bool atapi_passes_unit_attention(uint8_t op)
{
    return op == GPCMD_INQUIRY || op == GPCMD_REQUEST_SENSE || op == GPCMD_GET_CONFIGURATION ||
           op == GPCMD_GET_EVENT_STATUS;
}

void atapi_exec_packet(IDEDrive *d)
{
    uint8_t cdb[12];
    memcpy(cdb, d->io_buffer, sizeof(cdb));
    uint8_t op = cdb[0];
    d->xfer = IDE_XFER_NONE;
    d->io_pos = d->io_end = 0;
    d->dma_buffered = false;

    if (d->unit_attention && !atapi_passes_unit_attention(op)) {
        d->unit_attention = false;
        atapi_check_condition(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
        return;
    }
    if (atapi_needs_medium(op) && !blk_is_inserted(d->blk)) {
        atapi_check_condition(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
        return;
    }
    switch (op) {
    case GPCMD_TEST_UNIT_READY:
    case GPCMD_SEEK_10:
    case GPCMD_SET_CD_SPEED:
        atapi_ok(d);
        break;
    case GPCMD_REQUEST_SENSE:
        atapi_request_sense(d, cdb);
        break;
    case GPCMD_INQUIRY:
        atapi_inquiry(d, cdb);
        break;
    case GPCMD_READ_CAPACITY:
        atapi_read_capacity(d);
        break;
    case GPCMD_READ_10:
        atapi_read(d, be32_get(cdb + 2), be16_get(cdb + 7));
        break;
    case GPCMD_READ_12:
        atapi_read(d, be32_get(cdb + 2), be32_get(cdb + 6));
        break;
    case GPCMD_MODE_SENSE_10:
        atapi_mode_sense(d, cdb);
        break;
    case GPCMD_READ_TOC:
        atapi_read_toc(d, cdb);
        break;
    case GPCMD_GET_CONFIGURATION:
        atapi_get_configuration(d, cdb);
        break;
    case GPCMD_GET_EVENT_STATUS:
        atapi_get_event_status(d, cdb);
        break;
    case GPCMD_READ_DISC_INFO:
        atapi_read_disc_info(d, cdb);
        break;
    case GPCMD_START_STOP_UNIT:
        atapi_start_stop(d, cdb);
        break;
    case GPCMD_PREVENT_ALLOW:
        d->tray_locked = cdb[4] & 1;
        atapi_ok(d);
        break;
    default:
        log_unimp("%s: ATAPI command 0x%02x\n", d->name, op);
        atapi_check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
        break;
    }
}
