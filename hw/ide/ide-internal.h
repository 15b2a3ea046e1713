/*
 * The IDE model shared by hw/ide/: one IDEBus per channel (primary,
 * secondary), two IDEDrive positions on each, and the PIIX bus-master DMA
 * engine of the channel.
 *
 * References: ATA/ATAPI-6 (T13/1410D) and ATA/ATAPI-7 volume 2 for the
 * register protocol, command set, IDENTIFY words and reset signatures;
 * MMC-3 and SPC-3 for the ATAPI (SCSI) commands; the Intel 82371SB (PIIX3)
 * datasheet for the bus-master registers and PRD table format.
 *
 * Concurrency: a drive with block I/O in flight is BSY; the only things
 * that may interrupt it (soft reset, device reset, system reset) drain the
 * backend first and bump the drive's generation so a late completion is
 * recognised and ignored.  The drive's io_buffer is the bounce buffer for
 * every transfer, so it is never touched while a request is in flight.
 */
#ifndef HW_IDE_IDE_INTERNAL_H
#define HW_IDE_IDE_INTERNAL_H

#include <inttypes.h>

#include "block/block.h"
#include "core/log.h"
#include "core/machine.h"

#define IDE_SECTOR_SIZE 512
#define ATAPI_SECTOR_SIZE 2048
/* The bounce buffer: one PIO block, one ATAPI reply or one DMA chunk. */
#define IDE_BUF_SIZE (128 * 1024)
/*
 * Bus-master transfers of the medium move through a larger buffer of their own: a
 * guest's 1 MiB request is then one block request, not eight, which saves the hand-offs
 * to the worker and back and, on qcow2, the metadata barriers of each allocation.  It
 * holds nothing between chunks (reads are copied out in the completion, writes are
 * copied in just before the request), so it needs no vmstate.
 */
#define IDE_DMA_BUF_SIZE (1024 * 1024)
#define IDE_MAX_MULT_SECTORS 16

/* Status register. */
#define ATA_ST_ERR 0x01
#define ATA_ST_DRQ 0x08
#define ATA_ST_DSC 0x10
#define ATA_ST_DF 0x20
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY 0x80

/* Error register. */
#define ATA_ER_AMNF 0x01
#define ATA_ER_ABRT 0x04
#define ATA_ER_MCR 0x08
#define ATA_ER_IDNF 0x10
#define ATA_ER_MC 0x20
#define ATA_ER_UNC 0x40

/* Device control register (0x3f6 / 0x376). */
#define ATA_CTL_NIEN 0x02
#define ATA_CTL_SRST 0x04
#define ATA_CTL_HOB 0x80

/* Device register. */
#define ATA_DEV_DEV 0x10
#define ATA_DEV_LBA 0x40

/* ATAPI interrupt reason (in the sector count register). */
#define ATAPI_IR_COD 0x01
#define ATAPI_IR_IO 0x02

/* Bus-master registers (per channel, in BAR4). */
#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08 /* bus master writes memory: a device-to-host transfer */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_DMA_CAP 0x60 /* drive 0/1 DMA capable: software-owned bits */

/* SCSI sense keys and the additional sense codes used here. */
#define SENSE_NONE 0x00
#define SENSE_NOT_READY 0x02
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_UNIT_ATTENTION 0x06
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ASC_SAVING_PARAMS_NOT_SUPPORTED 0x39
#define ASC_MEDIUM_NOT_PRESENT 0x3a
#define ASC_MEDIUM_REMOVAL_PREVENTED 0x53

typedef enum IDEDriveKind {
    IDE_KIND_NONE,
    IDE_KIND_HD,
    IDE_KIND_CD,
} IDEDriveKind;

/* What the data port or the DMA engine is doing for the current command. */
typedef enum IDETransfer {
    IDE_XFER_NONE,
    IDE_XFER_ATA_PIO_IN,   /* READ SECTORS/MULTIPLE: blocks from the disk */
    IDE_XFER_ATA_PIO_OUT,  /* WRITE SECTORS/MULTIPLE: blocks to the disk */
    IDE_XFER_PIO_IN_ONCE,  /* IDENTIFY: one block from io_buffer, then done */
    IDE_XFER_PACKET,       /* ATAPI: the 12-byte command packet */
    IDE_XFER_ATAPI_IN,     /* ATAPI: reply or sectors, in byte-count-limited pieces */
    IDE_XFER_DMA,          /* ATA or ATAPI: the bus master moves the data */
} IDETransfer;

/* ATAPI media events (GET EVENT STATUS NOTIFICATION, media class). */
enum {
    MEDIA_EVENT_NONE = 0,
    MEDIA_EVENT_EJECT_REQUEST = 1,
    MEDIA_EVENT_NEW_MEDIA = 2,
    MEDIA_EVENT_MEDIA_REMOVAL = 3,
};

typedef struct IDEBus IDEBus;

typedef struct IDEDrive {
    IDEBus *bus;
    int unit;
    IDEDriveKind kind;
    BlockBackend *blk;
    bool own_blk;  /* the board's default empty CD-ROM: created and freed here */
    char name[32]; /* ide0-hd0, ide1-cd0, or the drive's id= */
    char serial[21];
    char model[41];

    /* Geometry (hard disks): the default one and INITIALIZE DEVICE PARAMETERS'. */
    uint64_t nb_sectors;
    uint32_t cylinders, heads, sectors;
    uint32_t cur_heads, cur_sectors;

    /* Task file, with the previous contents (LBA48 "HOB") of the FIFO registers. */
    uint8_t feature, nsector, sector, lcyl, hcyl;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t select;
    uint8_t status, error;
    uint8_t command;
    bool irq_pending;

    uint8_t mult_sectors; /* SET MULTIPLE MODE, 0 = off */
    uint8_t xfer_mode;    /* the SET FEATURES transfer mode value */
    bool write_cache;
    bool standby;

    /* The current transfer. */
    uint8_t xfer;         /* IDETransfer */
    bool dma_write;       /* host-to-device */
    bool dma_buffered;    /* ATAPI reply by DMA: io_buffer holds it, no medium I/O */
    uint64_t offset;      /* next byte of the medium */
    uint64_t bytes_left;  /* bytes the command still moves to/from the medium */
    uint32_t block_bytes; /* PIO block currently in io_buffer */
    uint32_t io_pos, io_end; /* data-port window in io_buffer */
    uint32_t reply_len, reply_pos; /* ATAPI: bytes in io_buffer, served so far */
    uint16_t byte_limit;  /* ATAPI PIO: the byte count limit of the PACKET command */
    uint32_t generation;  /* bumped by resets: completions of older requests are dropped */
    int32_t in_flight;

    /* ATAPI. */
    uint8_t sense_key, asc, ascq;
    bool unit_attention;
    bool tray_locked, tray_open;
    uint8_t media_event;

    uint8_t io_buffer[IDE_BUF_SIZE];
    uint8_t *dma_buffer;  /* IDE_DMA_BUF_SIZE bytes while a medium is attached */
} IDEDrive;

typedef struct BMDMAState {
    uint8_t cmd, status;
    uint32_t prd_table;
    /* The walk through the PRD table of the current transfer. */
    uint32_t next_prd;
    uint32_t cur_addr, cur_len;
    bool cur_eot;
    uint32_t entries;
    bool table_done; /* the EOT entry is used up */
} BMDMAState;

struct IDEBus {
    Machine *machine;
    DeviceState *owner;
    int index;
    IDEDrive drives[2];
    uint8_t unit;   /* the selected drive */
    uint8_t devctl;
    IRQState *irq;
    BMDMAState bm;
    bool (*bus_master_enabled)(void *opaque);
    void *opaque;
    MemoryRegion cmd_io, ctl_io;
};

/* ide-core.c */
void ide_bus_init(IDEBus *bus, DeviceState *owner, int index, IRQState *irq);
bool ide_drive_attach(IDEDrive *d, BlockBackend *blk, bool cdrom, bool own_blk,
                      const char *id, Error **errp);
void ide_drive_detach(IDEDrive *d);
void ide_bus_reset(IDEBus *bus);
void ide_bus_update_irq(IDEBus *bus);
void ide_set_irq(IDEDrive *d);
void ide_drive_cancel(IDEDrive *d);
void ide_set_signature(IDEDrive *d);
void ide_abort_command(IDEDrive *d);
void ide_command_ok(IDEDrive *d);
void ide_pio_in_start(IDEDrive *d, uint32_t len, uint8_t xfer);
void ide_transfer_stop(IDEDrive *d);
/*
 * Read or write len bytes of io_buffer at offset of the medium (or flush,
 * with len 0 and write set and flush true), then call done in the main loop
 * unless a reset cancelled the command meanwhile.  The drive is BSY until then.
 */
typedef void IDEDoneFn(IDEDrive *d, int ret);
void ide_submit(IDEDrive *d, bool write, uint64_t offset, uint32_t len, IDEDoneFn *done);
/* The same with the caller's buffer (bus-master DMA: dma_buffer). */
void ide_submit_buf(IDEDrive *d, bool write, uint64_t offset, uint8_t *buf, uint32_t len,
                    IDEDoneFn *done);
void ide_submit_flush(IDEDrive *d, IDEDoneFn *done);
extern const VMStateDescription ide_drive_vmstate;
extern const VMStateDescription ide_bus_vmstate;
extern const MemoryRegionOps ide_cmd_ops;
extern const MemoryRegionOps ide_ctl_ops;

/* ata.c */
void ata_exec_command(IDEDrive *d, uint8_t cmd);
void ata_identify(IDEDrive *d);
void ata_pio_block_done(IDEDrive *d);
void ata_dma_done(IDEDrive *d, int ret);
void ide_put_string(uint16_t *words, int first, int nwords, const char *s);

/* atapi.c */
void atapi_exec_packet(IDEDrive *d);
void atapi_identify(IDEDrive *d);
void atapi_piece_done(IDEDrive *d);
void atapi_dma_done(IDEDrive *d, int ret);
void atapi_medium_changed(IDEDrive *d, bool inserted);
void atapi_reset(IDEDrive *d);

/* bmdma.c */
void bmdma_start_transfer(IDEDrive *d, uint64_t offset, uint64_t bytes, bool to_device);
void bmdma_kick(IDEBus *bus); /* move data if a drive waits and the engine runs */
void bmdma_cmd_write(IDEBus *bus, uint8_t val);
void bmdma_status_write(IDEBus *bus, uint8_t val);
uint32_t bmdma_read(IDEBus *bus, unsigned reg, unsigned size);
void bmdma_write(IDEBus *bus, unsigned reg, uint32_t val, unsigned size);
extern const VMStateDescription bmdma_vmstate;

static inline IDEDrive *ide_bus_active(IDEBus *bus)
{
    return &bus->drives[bus->unit & 1];
}

static inline uint16_t be16_get(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}
static inline uint32_t be32_get(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}
static inline void be16_put(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}
static inline void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

#endif
