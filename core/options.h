/*
 * The command line, QEMU-compatible: options are parsed into a
 * MachineConfig, which machine_create() then builds.  Parsing validates
 * syntax and values; building validates that the pieces fit together.
 */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include "core/common.h"

typedef struct StrList {
    char **v;
    int n;
} StrList;

void strlist_add(StrList *l, const char *s);
void strlist_free(StrList *l);

struct MachineConfig {
    char *machine_type;     /* "pc" */
    char *machine_opts;     /* rest of -machine after the type, or NULL */
    char *accel;            /* "kvm:tcg"-style list with per-accel options, or NULL: auto */
    char *accel_opts;       /* options after the accelerator name (",backend=interp") */
    uint64_t ram_size;      /* bytes */
    int smp_cpus;
    int smp_max_cpus;
    char *cpu_model;
    char *cpu_features;     /* -cpu flags after the model ("+ssse3,-pcid"), or NULL */

    char *kernel, *initrd, *append;
    char *bios;
    StrList firmware_dirs;  /* -L */
    char *boot_order;       /* -boot order=... */
    char *boot_order_after_once; /* -boot once=: the order after the first reset */
    bool boot_strict;       /* -boot strict=on: only the bootindex devices */
    bool boot_menu;         /* -boot menu=on */
    uint32_t boot_splash_ms; /* -boot splash-time=: how long the firmware offers its menu */

    StrList drives;         /* -drive and -hdX/-cdrom, normalized to -drive syntax */
    StrList netdevs;
    StrList nics;
    StrList devices;        /* -device optstrings, in order */
    StrList chardevs;       /* -chardev optstrings */
    StrList serials;        /* -serial specs, COM1.. */
    StrList monitors;       /* -monitor specs (HMP) */
    StrList qmps;           /* -qmp specs */
    StrList qmps_pretty;    /* -qmp-pretty specs */
    StrList globals;        /* -global driver.prop=value */
    char *debugcon;
    char *qtest;            /* -qtest chardev spec */
    char *qtest_log;

    bool nographic;
    char *display;          /* -display type (none/sdl/vnc/...) or NULL */
    char *vnc;
    char *vga;              /* std/none/... or NULL (default) */
    char *keymap;
    char *rtc;
    int rtc_base;           /* RTC_BASE_*: what the RTC starts at */
    int64_t rtc_base_date;  /* RTC_BASE_DATE: seconds since 1970-01-01 in the RTC's frame */
    int rtc_clock;          /* RTC_CLOCK_*: what the RTC advances with */

    bool no_reboot;
    bool no_shutdown;
    bool snapshot;
    bool start_paused;      /* -S */
    bool nodefaults;
    char *name;
    char *pidfile;
    bool daemonize;
};
typedef struct MachineConfig MachineConfig;

/* -rtc base= and clock= (QEMU's values). */
enum { RTC_BASE_UTC, RTC_BASE_LOCALTIME, RTC_BASE_DATE };
enum { RTC_CLOCK_HOST, RTC_CLOCK_RT, RTC_CLOCK_VM };

/*
 * Parse argv.  Returns 0 to go on, or an exit status (after printing what
 * was asked for: -version, -help, "-device help"...) in *exit_now.
 * On a bad option, prints one line "osprey: -X: why" and sets *exit_now = 1.
 */
MachineConfig *options_parse(int argc, char **argv, bool *exit_now, int *exit_status);
void machine_config_free(MachineConfig *cfg);

#endif
