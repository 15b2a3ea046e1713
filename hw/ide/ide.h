/*
 * IDE as the rest of Osprey sees it: the monitor's block commands.
 * The controller itself is the "piix3-ide" device (hw/ide/piix-ide.c),
 * created by the board.
 */
#ifndef HW_IDE_IDE_H
#define HW_IDE_IDE_H

#include "core/json.h"
#include "core/machine.h"

typedef struct IDEDrive IDEDrive;

/* The drive named name (ide1-cd0 or its id=) on any IDE controller, or NULL. */
IDEDrive *ide_find_drive(Machine *m, const char *name);
void ide_for_each_drive(Machine *m, void (*fn)(IDEDrive *d, void *opaque), void *opaque);

/* HMP "info block" and QMP "query-block". */
void ide_print_block_info(Machine *m, FILE *f);
JsonValue *ide_query_block(Machine *m);
/* HMP "change" and QMP "blockdev-change-medium": a new image in a removable drive. */
bool ide_change_medium(Machine *m, const char *device, const char *filename,
                       const char *format, Error **errp);
/* HMP/QMP "eject": refused while the guest locks the tray, unless forced. */
bool ide_eject(Machine *m, const char *device, bool force, Error **errp);

#endif
