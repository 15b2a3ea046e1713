/*
 * Drives from the command line (-drive, -hda..-hdd, -cdrom): parsed and
 * opened when the machine is built, then claimed by the devices that attach
 * them (IDE by if=ide,bus=,unit=; others by id= through drive=).
 */
#ifndef BLOCK_DRIVE_H
#define BLOCK_DRIVE_H

#include "block/block.h"

typedef struct Machine Machine;

typedef enum BlockInterfaceType {
    IF_NONE, /* attached with -device ...,drive=ID */
    IF_IDE,
} BlockInterfaceType;

typedef struct DriveInfo {
    char *id;
    BlockInterfaceType type;
    int bus, unit;      /* IDE: bus 0-1 (primary/secondary), unit 0-1 (master/slave) */
    bool cdrom;         /* media=cdrom */
    BlockBackend *blk;  /* never NULL: an empty CD-ROM has a backend without medium */
    bool claimed;       /* a device attached it */
    int bootindex;      /* bootindex=: the firmware's boot priority (lower first), -1 none */
    struct DriveInfo *next;
} DriveInfo;

/* Open every drive of m->cfg into m->drives.  The error names the -drive. */
bool drives_open(Machine *m, Error **errp);
/* Drives no device claimed are errors, as in QEMU ("not used by any device"). */
bool drives_check_claimed(Machine *m, Error **errp);
void drives_close(Machine *m);
DriveInfo *drive_get(Machine *m, BlockInterfaceType type, int bus, int unit);
DriveInfo *drive_get_by_id(Machine *m, const char *id);

#endif
