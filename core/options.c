/*
 * qemu-system-x86_64 compatible command-line parsing into a MachineConfig.
 *
 * Every option QEMU users pass is in one of two tables: options Osprey
 * implements (parsed here, validated as far as syntax allows), and options
 * it knows but does not implement yet, which fail with
 * "osprey: -X: not supported yet".  Nothing is silently ignored.
 */
#include "core/options.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "core/chardev.h"
#include "core/device.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/opts.h"
#include "cpu/x86/cpuid.h"

void strlist_add(StrList *l, const char *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
    l->v[l->n++] = xstrdup(s);
}

void strlist_free(StrList *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

typedef struct OptionParser {
    MachineConfig *cfg;
    const char *name; /* option name without dashes, for messages */
    bool exit_now;
    int exit_status;
} OptionParser;

/* Report "osprey: -NAME: MSG" and stop with status 1. */
static bool opt_error(OptionParser *p, const char *fmt, ...) PRINTF_FMT(2, 3);
static bool opt_error(OptionParser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "osprey: -%s: ", p->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    p->exit_now = true;
    p->exit_status = 1;
    return false;
}

static bool opt_done(OptionParser *p, int status)
{
    p->exit_now = true;
    p->exit_status = status;
    return false;
}

static void set_str(char **field, const char *value)
{
    free(*field);
    *field = xstrdup(value);
}

static bool check_file(OptionParser *p, const char *path)
{
    if (access(path, R_OK) != 0) {
        return opt_error(p, "could not open '%s': %s", path, strerror(errno));
    }
    return true;
}

/* An Opts parse with errors reported against the current option. */
static Opts *parse_opts(OptionParser *p, const char *arg, const char *implied)
{
    Error *err = NULL;
    Opts *o = opts_parse(arg, implied, &err);
    if (!o) {
        opt_error(p, "%s", err->msg);
        error_free(err);
    }
    return o;
}

static bool finish_opts(OptionParser *p, Opts *o)
{
    Error *err = NULL;
    bool ok = opts_check_unused(o, p->name, &err);
    opts_free(o);
    if (!ok) {
        fprintf(stderr, "osprey: %s\n", err->msg);
        error_free(err);
        return opt_done(p, 1);
    }
    return true;
}

static void print_version(void)
{
    printf("Osprey emulator version %s (QEMU-compatible command line)\n", OSPREY_VERSION);
}

static void print_help(void)
{
    print_version();
    printf("usage: osprey [options] [disk_image]\n\n"
           "Standard options:\n"
           "-h or -help             display this help and exit\n"
           "-version                display version information and exit\n"
           "-machine [type=]name[,accel=kvm|tcg|qtest]  select the machine (-machine help)\n"
           "-accel NAME[,prop=val]  select an accelerator: kvm, tcg, qtest\n"
           "-enable-kvm             same as -accel kvm\n"
           "-cpu MODEL              select the CPU model (-cpu help)\n"
           "-m [size=]MEGS[M|G]     guest RAM size (default 128M)\n"
           "-smp N                  number of CPUs\n"
           "-kernel FILE -initrd FILE -append CMDLINE   direct Linux boot\n"
           "-bios FILE -L DIR       firmware image and search directory\n"
           "-boot [order=]DRIVES    boot order\n"
           "-drive OPTS -hda..-hdd FILE -cdrom FILE    disks\n"
           "-netdev OPTS -nic OPTS  networking\n"
           "-device DRIVER[,prop=value]  add a device (-device help, -device NAME,help)\n"
           "-global DRIVER.PROP=VALUE   default a device property\n"
           "-chardev BACKEND,id=ID,...  character device (-chardev help)\n"
           "-serial DEV -monitor DEV -qmp DEV -debugcon DEV  attach to a character device\n"
           "-mon chardev=ID[,mode=readline|control][,pretty=on]\n"
           "-nographic -display TYPE -vnc DISPLAY -vga TYPE -k LANG\n"
           "-rtc [base=utc|localtime|DATE][,clock=host|rt|vm]\n"
           "-no-reboot -no-shutdown -snapshot -S -nodefaults\n"
           "-name NAME -pidfile FILE\n"
           "-d ITEM,... -D LOGFILE  debug logging (-d help)\n"
           "-perfmap               write /tmp/perf-PID.map for perf to name translated blocks\n"
           "-qtest DEV             drive the machine with the qtest protocol (no CPU)\n"
           "\nDuring -nographic emulation, Ctrl-A h prints the console escape keys.\n");
}

/* ---- handlers for implemented options ---- */

static bool opt_m(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, "size");
    if (!o) {
        return false;
    }
    const char *size = opts_get(o, "size");
    uint64_t bytes = 0;
    bool ok = false;
    if (!size || !parse_size(size, 1ULL << 20, &bytes)) {
        opt_error(p, "invalid RAM size '%s'", size ? size : arg);
    } else if (opts_has(o, "maxmem") || opts_has(o, "slots")) {
        /* maxmem/slots are for memory hotplug, which Osprey does not do yet. */
        opt_error(p, "slots/maxmem: memory hotplug not supported yet");
    } else if (bytes < (1ULL << 20) || bytes > (1ULL << 40)) {
        opt_error(p, "RAM size '%s' out of range (1M to 1T)", size);
    } else {
        ok = true;
    }
    if (!ok) {
        opts_free(o);
        return false;
    }
    p->cfg->ram_size = bytes & ~0xfffULL;
    return finish_opts(p, o);
}

static bool opt_smp(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, "cpus");
    if (!o) {
        return false;
    }
    Error *err = NULL;
    uint64_t cpus, maxcpus, sockets, cores, threads, dies;
    if (!opts_get_uint(o, "sockets", 0, &sockets, &err) ||
        !opts_get_uint(o, "dies", 1, &dies, &err) ||
        !opts_get_uint(o, "cores", 0, &cores, &err) ||
        !opts_get_uint(o, "threads", 0, &threads, &err) ||
        !opts_get_uint(o, "cpus", 0, &cpus, &err) ||
        !opts_get_uint(o, "maxcpus", 0, &maxcpus, &err)) {
        opts_free(o);
        opt_error(p, "%s", err->msg);
        error_free(err);
        return false;
    }
    static const char *const topo_keys[] = {"sockets", "dies", "cores", "threads", "cpus",
                                            "maxcpus"};
    for (size_t i = 0; i < ARRAY_SIZE(topo_keys); i++) {
        const char *v = opts_get(o, topo_keys[i]);
        if (v && !strcmp(v, "0")) {
            opts_free(o);
            return opt_error(p, "CPU topology parameters must be greater than zero");
        }
    }
    uint64_t topo = (sockets ? sockets : 1) * dies * (cores ? cores : 1) * (threads ? threads : 1);
    if (!cpus) {
        cpus = (sockets || cores || threads) ? topo : 1;
    }
    if (!maxcpus) {
        maxcpus = cpus;
    }
    if (cpus < 1 || cpus > MACHINE_MAX_CPUS || maxcpus < cpus || maxcpus > MACHINE_MAX_CPUS) {
        opts_free(o);
        return opt_error(p, "invalid number of CPUs '%s' (1 to %d)", arg, MACHINE_MAX_CPUS);
    }
    p->cfg->smp_cpus = cpus;
    p->cfg->smp_max_cpus = maxcpus;
    return finish_opts(p, o);
}

static const char *const machine_types[][2] = {
    {"pc", "Standard PC (i440FX + PIIX, 1996) (default)"},
};

static bool opt_machine(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, "type");
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    if (type && !strcmp(type, "help")) {
        opts_free(o);
        printf("Supported machines are:\n");
        for (size_t i = 0; i < ARRAY_SIZE(machine_types); i++) {
            printf("%-20s %s\n", machine_types[i][0], machine_types[i][1]);
        }
        return opt_done(p, 0);
    }
    if (type) {
        /* QEMU's versioned pc-i440fx-X.Y names are the same machine here. */
        if (!strcmp(type, "pc") || !strncmp(type, "pc-i440fx-", 10)) {
            set_str(&p->cfg->machine_type, "pc");
        } else if (!strcmp(type, "q35") || !strncmp(type, "pc-q35-", 7)) {
            opt_error(p, "machine type '%s': not supported yet (use pc)", type);
            opts_free(o);
            return false;
        } else {
            opt_error(p, "unsupported machine type '%s' (use -machine help)", type);
            opts_free(o);
            return false;
        }
    }
    const char *accel = opts_get(o, "accel");
    if (accel) {
        set_str(&p->cfg->accel, accel);
    }
    return finish_opts(p, o);
}

static bool opt_accel(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("Accelerators supported in Osprey:\nkvm\ntcg\nqtest\n");
        return opt_done(p, 0);
    }
    const char *comma = strchr(arg, ',');
    char *name = comma ? xstrndup(arg, comma - arg) : xstrdup(arg);
    /* Several -accel options form a fallback list, like "kvm:tcg". */
    if (p->cfg->accel) {
        char *list = xasprintf("%s:%s", p->cfg->accel, name);
        free(p->cfg->accel);
        p->cfg->accel = list;
        free(name);
    } else {
        p->cfg->accel = name;
    }
    if (comma) {
        set_str(&p->cfg->accel_opts, comma + 1);
    }
    return true;
}

static bool opt_enable_kvm(OptionParser *p, const char *arg)
{
    return opt_accel(p, "kvm");
}

static bool opt_cpu(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
        x86_cpu_list(stdout);
        return opt_done(p, 0);
    }
    /* -cpu MODEL[,+flag|-flag|flag=on|off...]: checked here, applied by the board. */
    char model[64];
    const char *comma = strchr(arg, ',');
    size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
    snprintf(model, sizeof(model), "%.*s", (int)MIN(len, sizeof(model) - 1), arg);
    if (len >= sizeof(model) || !x86_cpu_model_find(model)) {
        return opt_error(p, "unknown CPU model '%.*s' (try -cpu help)", (int)len, arg);
    }
    if (comma) {
        char err[256];
        X86CpuFeatureMods mods;
        if (!strcmp(model, "host")) {
            return opt_error(p, "-cpu host takes no feature flags ('%s')", comma + 1);
        }
        if (!x86_cpu_parse_features(x86_cpu_model_lookup(model), comma + 1, &mods, err,
                                    sizeof(err))) {
            return opt_error(p, "%s", err);
        }
        set_str(&p->cfg->cpu_features, comma + 1);
    } else {
        free(p->cfg->cpu_features);
        p->cfg->cpu_features = NULL;
    }
    set_str(&p->cfg->cpu_model, model);
    return true;
}

static bool opt_kernel(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->kernel, arg);
    return check_file(p, arg);
}

static bool opt_initrd(OptionParser *p, const char *arg)
{
    /*
     * Not checked here: for a Multiboot kernel this is a module list
     * ("file args,file2"); the loader opens each file and names the one missing.
     */
    set_str(&p->cfg->initrd, arg);
    return true;
}

static bool opt_append(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->append, arg);
    return true;
}

static bool opt_bios(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->bios, arg);
    return true;
}

static bool opt_L(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("%s/bios\n", ".");
        return opt_done(p, 0);
    }
    strlist_add(&p->cfg->firmware_dirs, arg);
    return true;
}

static bool valid_boot_devices(const char *s)
{
    for (; *s; s++) {
        if (*s < 'a' || *s > 'p') {
            return false;
        }
    }
    return true;
}

static bool opt_boot(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, "order");
    if (!o) {
        return false;
    }
    const char *order = opts_get(o, "order");
    const char *once = opts_get(o, "once");
    if ((order && !valid_boot_devices(order)) || (once && !valid_boot_devices(once))) {
        opts_free(o);
        return opt_error(p, "invalid boot device list '%s' (letters a-p)", arg);
    }
    Error *err = NULL;
    bool menu, strict;
    uint64_t splash_time, reboot_timeout;
    if (!opts_get_bool(o, "menu", false, &menu, &err) ||
        !opts_get_bool(o, "strict", false, &strict, &err) ||
        !opts_get_uint(o, "splash-time", 0, &splash_time, &err) ||
        !opts_get_uint(o, "reboot-timeout", 0, &reboot_timeout, &err)) {
        opts_free(o);
        opt_error(p, "%s", err->msg);
        error_free(err);
        return false;
    }
    set_str(&p->cfg->boot_order, once ? once : order ? order : "cad");
    set_str(&p->cfg->boot_order_after_once, once ? (order ? order : "cad") : NULL);
    p->cfg->boot_strict = strict;
    p->cfg->boot_menu = menu;
    p->cfg->boot_splash_ms = (uint32_t)MIN(splash_time, (uint64_t)0xffff);
    return finish_opts(p, o);
}

static bool opt_not_yet(OptionParser *p, const char *arg);

/* Checked when the machine is built (block/drive.c), where the keys are understood. */
static bool opt_drive(OptionParser *p, const char *arg)
{
    strlist_add(&p->cfg->drives, arg);
    return true;
}

/* Networking is checked when the machine is built (net/net.c), where the keys are understood. */
static bool opt_netdev(OptionParser *p, const char *arg)
{
    strlist_add(&p->cfg->netdevs, arg);
    return true;
}

/* -nic and -net share one list, in order; each entry starts with "nic " or "net ". */
static bool opt_nic(OptionParser *p, const char *arg)
{
    char *entry = xasprintf("%s %s", strcmp(p->name, "nic") ? "net" : "nic", arg);
    strlist_add(&p->cfg->nics, entry);
    free(entry);
    return true;
}

/* -object: only filter-dump so far, which net/net.c takes from the netdev list. */
static bool opt_object(OptionParser *p, const char *arg)
{
    if (!strncmp(arg, "filter-dump,", 12)) {
        strlist_add(&p->cfg->netdevs, arg);
        return true;
    }
    return opt_not_yet(p, arg);
}

static bool opt_device(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
        device_print_list(stdout);
        return opt_done(p, 0);
    }
    Opts *o = parse_opts(p, arg, "driver");
    if (!o) {
        return false;
    }
    const char *driver = opts_get(o, "driver");
    bool want_help = opts_has(o, "help");
    const DeviceInfo *info = driver ? device_info_find(driver) : NULL;
    if (!info) {
        opt_error(p, "'%s' is not a valid device model name (try -device help)",
                  driver ? driver : "");
        opts_free(o);
        return false;
    }
    opts_free(o);
    if (want_help) {
        device_print_props(stdout, info);
        return opt_done(p, 0);
    }
    strlist_add(&p->cfg->devices, arg);
    return true;
}

static bool opt_global(OptionParser *p, const char *arg)
{
    const char *dot = strchr(arg, '.');
    const char *eq = strchr(arg, '=');
    if (!dot || !eq || eq < dot || dot == arg || eq == dot + 1) {
        return opt_error(p, "expected DRIVER.PROPERTY=VALUE, got '%s'", arg);
    }
    char *driver = xstrndup(arg, dot - arg);
    const DeviceInfo *info = device_info_find(driver);
    free(driver);
    if (!info) {
        return opt_error(p, "'%s': no such device type", arg);
    }
    strlist_add(&p->cfg->globals, arg);
    return true;
}

static bool opt_chardev(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help")) {
        chardev_print_help(stdout);
        return opt_done(p, 0);
    }
    strlist_add(&p->cfg->chardevs, arg);
    return true;
}

static bool opt_serial(OptionParser *p, const char *arg)
{
    if (p->cfg->serials.n == 4) {
        return opt_error(p, "too many serial ports (at most 4)");
    }
    strlist_add(&p->cfg->serials, arg);
    return true;
}

static bool opt_monitor(OptionParser *p, const char *arg)
{
    strlist_add(&p->cfg->monitors, arg);
    return true;
}

static bool opt_qmp(OptionParser *p, const char *arg)
{
    strlist_add(&p->cfg->qmps, arg);
    return true;
}

static bool opt_qmp_pretty(OptionParser *p, const char *arg)
{
    strlist_add(&p->cfg->qmps_pretty, arg);
    return true;
}

/* -mon chardev=ID[,mode=readline|control][,pretty=on] */
static bool opt_mon(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, "chardev");
    if (!o) {
        return false;
    }
    const char *chr = opts_get(o, "chardev");
    const char *mode = opts_get(o, "mode");
    Error *err = NULL;
    bool pretty;
    if (!opts_get_bool(o, "pretty", false, &pretty, &err)) {
        opts_free(o);
        opt_error(p, "%s", err->msg);
        error_free(err);
        return false;
    }
    if (!chr) {
        opts_free(o);
        return opt_error(p, "parameter 'chardev' is missing");
    }
    char *spec = xasprintf("chardev:%s", chr);
    if (!mode || !strcmp(mode, "readline")) {
        strlist_add(&p->cfg->monitors, spec);
    } else if (!strcmp(mode, "control")) {
        strlist_add(pretty ? &p->cfg->qmps_pretty : &p->cfg->qmps, spec);
    } else {
        free(spec);
        opt_error(p, "mode must be readline or control, not '%s'", mode);
        opts_free(o);
        return false;
    }
    free(spec);
    return finish_opts(p, o);
}

static bool opt_debugcon(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->debugcon, arg);
    return true;
}

static bool opt_nographic(OptionParser *p, const char *arg)
{
    p->cfg->nographic = true;
    return true;
}

static bool opt_display(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("Available display backend types:\nnone\n");
#ifdef CONFIG_SDL
        printf("sdl\n");
#endif
#ifdef CONFIG_VNC
        printf("vnc\n");
#endif
        return opt_done(p, 0);
    }
    const char *comma = strchr(arg, ',');
    char *type = comma ? xstrndup(arg, comma - arg) : xstrdup(arg);
    /* ui/display-init.c checks that the chosen front end is compiled in. */
    bool ok = !strcmp(type, "none") || !strcmp(type, "sdl") || !strncmp(type, "vnc=", 4);
    free(type);
    if (!ok) {
        return opt_error(p, "display '%s': unknown display type (none, sdl, vnc=ADDR)", arg);
    }
    set_str(&p->cfg->display, arg);
    return true;
}

static bool opt_vnc(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "none")) {
        return true;
    }
    /* The address form is checked here; its options when the server starts. */
    size_t len = strcspn(arg, ",");
    char *addr = xstrndup(arg, len);
    const char *colon = strrchr(addr, ':');
    bool ok = !strncmp(addr, "unix:", 5) ? addr[5] != '\0'
                                          : colon && colon[1] && strspn(colon + 1, "0123456789")
                                                                     == strlen(colon + 1);
    free(addr);
    if (!ok) {
        return opt_error(p, "'%s': expected [HOST]:DISPLAY or unix:PATH", arg);
    }
    set_str(&p->cfg->vnc, arg);
    return true;
}

static bool opt_vga(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("none                 no graphic card\n");
        printf("std                  standard VGA (default)\n");
        return opt_done(p, 0);
    }
    if (strcmp(arg, "none") && strcmp(arg, "std")) {
        return opt_error(p, "VGA type '%s': not supported (std or none)", arg);
    }
    set_str(&p->cfg->vga, arg);
    return true;
}

static bool opt_k(OptionParser *p, const char *arg)
{
    /* The layout is checked against ui/keymap.c's list when the display starts. */
    set_str(&p->cfg->keymap, arg);
    return true;
}

static bool opt_flag_no_reboot(OptionParser *p, const char *arg)
{
    p->cfg->no_reboot = true;
    return true;
}

static bool opt_flag_no_shutdown(OptionParser *p, const char *arg)
{
    p->cfg->no_shutdown = true;
    return true;
}

static bool opt_flag_snapshot(OptionParser *p, const char *arg)
{
    p->cfg->snapshot = true;
    return true;
}

static bool opt_flag_S(OptionParser *p, const char *arg)
{
    p->cfg->start_paused = true;
    return true;
}

static bool opt_flag_nodefaults(OptionParser *p, const char *arg)
{
    p->cfg->nodefaults = true;
    return true;
}

static bool opt_name(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, "guest");
    if (!o) {
        return false;
    }
    const char *guest = opts_get(o, "guest");
    opts_get(o, "process");
    opts_get(o, "debug-threads");
    if (guest) {
        set_str(&p->cfg->name, guest);
    }
    return finish_opts(p, o);
}

static bool opt_pidfile(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->pidfile, arg);
    return true;
}

static bool opt_d(OptionParser *p, const char *arg)
{
    if (!strcmp(arg, "help")) {
        log_print_help(stdout);
        return opt_done(p, 0);
    }
    Error *err = NULL;
    if (!log_set_mask_str(arg, &err)) {
        fprintf(stderr, "osprey: %s\n", err->msg);
        error_free(err);
        return opt_done(p, 1);
    }
    return true;
}

static bool opt_perfmap(OptionParser *p, const char *arg)
{
    (void)p;
    (void)arg;
    osprey_perfmap = true;
    return true;
}

static bool opt_D(OptionParser *p, const char *arg)
{
    Error *err = NULL;
    if (!log_set_file(arg, &err)) {
        fprintf(stderr, "osprey: %s\n", err->msg);
        error_free(err);
        return opt_done(p, 1);
    }
    return true;
}

/* "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD" (midnight), as QEMU's -rtc base= takes it. */
static bool parse_rtc_date(const char *str, int64_t *out)
{
    struct tm tm = {0};
    int n = 0;
    int got = sscanf(str, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n);
    if (got != 3) {
        return false;
    }
    const char *rest = str + n;
    if (*rest == 'T') {
        n = 0;
        got = sscanf(rest + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n);
        if (got != 3) {
            return false;
        }
        rest += 1 + n;
    }
    if (*rest != '\0' || tm.tm_year < 1970 || tm.tm_year > 2199 || tm.tm_mon < 1 ||
        tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
        tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 59) {
        return false;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return true;
}

static bool opt_rtc(OptionParser *p, const char *arg)
{
    Opts *o = parse_opts(p, arg, NULL);
    if (!o) {
        return false;
    }
    /* Refused by name rather than ignored: a guest relying on them would drift silently. */
    if (opts_has(o, "driftfix")) {
        opts_free(o);
        return opt_error(p, "driftfix= is not supported");
    }
    const char *base = opts_get(o, "base");
    const char *clock = opts_get(o, "clock");
    MachineConfig *cfg = p->cfg;
    if (!base || !strcmp(base, "utc")) {
        cfg->rtc_base = RTC_BASE_UTC;
    } else if (!strcmp(base, "localtime")) {
        cfg->rtc_base = RTC_BASE_LOCALTIME;
    } else if (parse_rtc_date(base, &cfg->rtc_base_date)) {
        cfg->rtc_base = RTC_BASE_DATE;
    } else {
        opt_error(p, "invalid base '%s' (utc, localtime or YYYY-MM-DDTHH:MM:SS)", base);
        opts_free(o);
        return false;
    }
    if (!clock || !strcmp(clock, "host")) {
        cfg->rtc_clock = RTC_CLOCK_HOST;
    } else if (!strcmp(clock, "rt")) {
        cfg->rtc_clock = RTC_CLOCK_RT;
    } else if (!strcmp(clock, "vm")) {
        cfg->rtc_clock = RTC_CLOCK_VM;
    } else {
        opt_error(p, "invalid clock '%s' (host, rt or vm)", clock);
        opts_free(o);
        return false;
    }
    set_str(&cfg->rtc, arg);
    return finish_opts(p, o);
}

static bool opt_version(OptionParser *p, const char *arg)
{
    print_version();
    return opt_done(p, 0);
}

static bool opt_help(OptionParser *p, const char *arg)
{
    print_help();
    return opt_done(p, 0);
}

static bool opt_qtest(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->qtest, arg);
    return true;
}

static bool opt_qtest_log(OptionParser *p, const char *arg)
{
    set_str(&p->cfg->qtest_log, arg);
    return true;
}

static bool opt_not_yet(OptionParser *p, const char *arg)
{
    fprintf(stderr, "osprey: -%s: not supported yet\n", p->name);
    return opt_done(p, 1);
}

/* Disk shorthands become -drive strings, as QEMU defines them (commas in the name doubled). */
static bool opt_hdx(OptionParser *p, const char *arg)
{
    bool cdrom = !strcmp(p->name, "cdrom");
    int index = cdrom ? 2 : p->name[2] - 'a';
    size_t n = 0;
    for (const char *c = arg; *c; c++) {
        n += *c == ',' ? 2 : 1;
    }
    char *file = xmalloc(n + 1), *q = file;
    for (const char *c = arg; *c; c++) {
        *q++ = *c;
        if (*c == ',') {
            *q++ = ',';
        }
    }
    *q = 0;
    char *drive = xasprintf("index=%d,media=%s,file=%s", index, cdrom ? "cdrom" : "disk", file);
    strlist_add(&p->cfg->drives, drive);
    free(drive);
    free(file);
    return true;
}

typedef struct OptionDef {
    const char *name;
    bool has_arg;
    bool (*handler)(OptionParser *p, const char *arg);
} OptionDef;

static const OptionDef option_defs[] = {
    {"m", true, opt_m},
    {"smp", true, opt_smp},
    {"machine", true, opt_machine},
    {"M", true, opt_machine},
    {"accel", true, opt_accel},
    {"enable-kvm", false, opt_enable_kvm},
    {"cpu", true, opt_cpu},
    {"kernel", true, opt_kernel},
    {"initrd", true, opt_initrd},
    {"append", true, opt_append},
    {"bios", true, opt_bios},
    {"L", true, opt_L},
    {"boot", true, opt_boot},
    {"drive", true, opt_drive},
    {"hda", true, opt_hdx},
    {"hdb", true, opt_hdx},
    {"hdc", true, opt_hdx},
    {"hdd", true, opt_hdx},
    {"cdrom", true, opt_hdx},
    {"netdev", true, opt_netdev},
    {"nic", true, opt_nic},
    {"net", true, opt_nic},
    {"device", true, opt_device},
    {"global", true, opt_global},
    {"chardev", true, opt_chardev},
    {"serial", true, opt_serial},
    {"monitor", true, opt_monitor},
    {"qmp", true, opt_qmp},
    {"qmp-pretty", true, opt_qmp_pretty},
    {"mon", true, opt_mon},
    {"debugcon", true, opt_debugcon},
    {"nographic", false, opt_nographic},
    {"display", true, opt_display},
    {"vnc", true, opt_vnc},
    {"vga", true, opt_vga},
    {"k", true, opt_k},
    {"no-reboot", false, opt_flag_no_reboot},
    {"no-shutdown", false, opt_flag_no_shutdown},
    {"snapshot", false, opt_flag_snapshot},
    {"S", false, opt_flag_S},
    {"nodefaults", false, opt_flag_nodefaults},
    {"name", true, opt_name},
    {"pidfile", true, opt_pidfile},
    {"d", true, opt_d},
    {"D", true, opt_D},
    {"perfmap", false, opt_perfmap},
    {"rtc", true, opt_rtc},
    {"version", false, opt_version},
    {"h", false, opt_help},
    {"help", false, opt_help},
    {"qtest", true, opt_qtest},
    {"qtest-log", true, opt_qtest_log},
    /* QEMU options Osprey knows about but does not implement yet. */
    {"daemonize", false, opt_not_yet},
    {"usb", false, opt_not_yet},
    {"usbdevice", true, opt_not_yet},
    {"audiodev", true, opt_not_yet},
    {"audio", true, opt_not_yet},
    {"soundhw", true, opt_not_yet},
    {"object", true, opt_object},
    {"fsdev", true, opt_not_yet},
    {"virtfs", true, opt_not_yet},
    {"mem-path", true, opt_not_yet},
    {"mem-prealloc", false, opt_not_yet},
    {"numa", true, opt_not_yet},
    {"fda", true, opt_not_yet},
    {"fdb", true, opt_not_yet},
    {"mtdblock", true, opt_not_yet},
    {"sd", true, opt_not_yet},
    {"pflash", true, opt_not_yet},
    {"icount", true, opt_not_yet},
    {"incoming", true, opt_not_yet},
    {"loadvm", true, opt_not_yet},
    {"watchdog-action", true, opt_not_yet},
    {"spice", true, opt_not_yet},
    {"sandbox", true, opt_not_yet},
    {"overcommit", true, opt_not_yet},
    {"msg", true, opt_not_yet},
    {"trace", true, opt_not_yet},
    {"smbios", true, opt_not_yet},
    {"fw_cfg", true, opt_not_yet},
    {"acpitable", true, opt_not_yet},
    {"add-fd", true, opt_not_yet},
    {"runas", true, opt_not_yet},
    {"chroot", true, opt_not_yet},
    {"parallel", true, opt_not_yet},
    {"virtioconsole", true, opt_not_yet},
    {"gdb", true, opt_not_yet},
    {"s", false, opt_not_yet},
    {"singlestep", false, opt_not_yet},
    {"no-hpet", false, opt_not_yet},
    {"no-acpi", false, opt_not_yet},
    {"full-screen", false, opt_not_yet},
    {"g", true, opt_not_yet},
    {"iscsi", true, opt_not_yet},
    {"blockdev", true, opt_not_yet},
    {"plugin", true, opt_not_yet},
    {"semihosting", false, opt_not_yet},
    {"semihosting-config", true, opt_not_yet},
    {"old-param", false, opt_not_yet},
    {"nouserconfig", false, opt_not_yet},
    {"readconfig", true, opt_not_yet},
    {"writeconfig", true, opt_not_yet},
    {"preconfig", false, opt_not_yet},
    {"compat", true, opt_not_yet},
    {"action", true, opt_not_yet},
};

static const OptionDef *find_option(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++) {
        if (!strcmp(option_defs[i].name, name)) {
            return &option_defs[i];
        }
    }
    return NULL;
}

static MachineConfig *machine_config_new(void)
{
    MachineConfig *cfg = XNEW(MachineConfig);
    cfg->machine_type = xstrdup("pc");
    cfg->ram_size = 128ULL << 20;
    cfg->smp_cpus = 1;
    cfg->smp_max_cpus = 1;
    cfg->boot_order = xstrdup("cad");
    return cfg;
}

MachineConfig *options_parse(int argc, char **argv, bool *exit_now, int *exit_status)
{
    OptionParser p = {.cfg = machine_config_new()};
    *exit_now = false;
    *exit_status = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            /* A bare argument is the first hard disk, as in QEMU. */
            p.name = "hda";
            opt_hdx(&p, a);
        } else {
            const char *name = a + 1 + (a[1] == '-');
            p.name = name;
            const OptionDef *def = find_option(name);
            if (!def) {
                fprintf(stderr, "osprey: %s: invalid option\n", a);
                p.exit_now = true;
                p.exit_status = 1;
            } else if (def->has_arg && i + 1 >= argc) {
                opt_error(&p, "requires an argument");
            } else {
                def->handler(&p, def->has_arg ? argv[++i] : NULL);
            }
        }
        if (p.exit_now) {
            machine_config_free(p.cfg);
            *exit_now = true;
            *exit_status = p.exit_status;
            return NULL;
        }
    }
    return p.cfg;
}

void machine_config_free(MachineConfig *cfg)
{
    if (!cfg) {
        return;
    }
    char **strs[] = {&cfg->machine_type, &cfg->machine_opts, &cfg->accel, &cfg->accel_opts,
                     &cfg->cpu_model, &cfg->cpu_features, &cfg->kernel, &cfg->initrd,
                     &cfg->append, &cfg->bios,
                     &cfg->boot_order, &cfg->debugcon, &cfg->qtest, &cfg->qtest_log,
                     &cfg->boot_order_after_once,
                     &cfg->display, &cfg->vnc, &cfg->vga, &cfg->keymap, &cfg->rtc,
                     &cfg->name, &cfg->pidfile};
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
        free(*strs[i]);
    }
    StrList *lists[] = {&cfg->firmware_dirs, &cfg->drives, &cfg->netdevs, &cfg->nics,
                        &cfg->devices, &cfg->chardevs, &cfg->serials, &cfg->monitors,
                        &cfg->qmps, &cfg->qmps_pretty, &cfg->globals};
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        strlist_free(lists[i]);
    }
    free(cfg);
}
