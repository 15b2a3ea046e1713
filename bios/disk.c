/*
 * Osprey BIOS: INT 13h.  Without a disk controller on the machine there are
 * no BIOS drives: every call answers "no such drive", and booting from a
 * disk or CD reports that nothing is there.
 */
#include "bios.h"

void disk_setup(void) { bda_wb(BDA_HD_COUNT, 0); }

void handle_int13(struct bregs *r)
{
    if (r->ax.h == 0x41 || r->ax.h == 0x08 || r->ax.h == 0x15 || r->ax.h == 0x00) {
        fail(r, 0x01);
        return;
    }
    dprintf("int13: AX=%04x DL=%02x: no drive\n", r->ax.x, r->dx.l);
    fail(r, 0x01);
}

int disk_boot(int kind)
{
    printf("Booting from %s: no %s found.\n", kind ? "CD-ROM" : "Hard Disk",
           kind ? "CD-ROM drive" : "hard disk");
    return -1;
}
