/*
 * osprey-img: create, inspect, check, convert and change disk images.
 * Subcommands, options, output and exit codes follow qemu-img where
 * scripts depend on them (check: 0 clean, 1 could not check, 2 corruption,
 * 3 leaks only; compare: 0 identical, 1 different, 2 error).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "block/block-int.h"
#include "block/qcow2.h"

#define CHUNK (2u << 20) /* convert/compare/commit copy unit */

/* -U (--force-share): read an image another process has open, without the lock. */
static bool force_share;

static BlockBackend *img_open(const char *filename, const char *fmt, bool writable,
                              bool no_backing)
{
    BlockOpenOptions o = {.format = fmt, .read_only = !writable, .no_backing = no_backing,
                          .no_lock = force_share && !writable};
    Error *err = NULL;
    BlockBackend *blk = blk_open(filename, &o, &err);
    if (!blk) {
        error_report_err(err);
    }
    return blk;
}

static bool is_qcow2(BlockBackend *blk)
{
    return blk_bs(blk)->drv == &bdrv_qcow2;
}

static bool buffer_is_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* "-o key=value,key=value" into create parameters. */
static bool parse_create_options(char *opts, Qcow2CreateOptions *q)
{
    for (char *tok = strtok(opts, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            error_report("-o %s: expected key=value", tok);
            return false;
        }
        *eq = 0;
        const char *v = eq + 1;
        uint64_t n;
        if (!strcmp(tok, "cluster_size") && parse_size(v, 1, &n)) {
            q->cluster_size = n;
        } else if (!strcmp(tok, "compat") && (!strcmp(v, "0.10") || !strcmp(v, "v2"))) {
            q->version = 2;
        } else if (!strcmp(tok, "compat") && (!strcmp(v, "1.1") || !strcmp(v, "v3"))) {
            q->version = 3;
        } else if (!strcmp(tok, "refcount_bits") && parse_uint(v, &n) && n <= 64) {
            q->refcount_bits = n;
        } else if (!strcmp(tok, "backing_file")) {
            q->backing_file = v;
        } else if (!strcmp(tok, "backing_fmt")) {
            q->backing_format = v;
        } else if (!strcmp(tok, "lazy_refcounts") && !strcmp(v, "off")) {
            /* the only mode there is */
        } else {
            error_report("-o %s=%s: unknown or invalid option", tok, v);
            return false;
        }
    }
    return true;
}

static bool create_image(const char *filename, const char *fmt, Qcow2CreateOptions *q)
{
    Error *err = NULL;
    if (!strcmp(fmt, "raw")) {
        if (q->backing_file) {
            error_report("raw images cannot have a backing file");
            return false;
        }
        int fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ftruncate(fd, q->size) < 0) {
            error_report("could not create '%s': %s", filename, strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return false;
        }
        close(fd);
        return true;
    }
    if (strcmp(fmt, "qcow2")) {
        error_report("unknown image format '%s' (raw or qcow2)", fmt);
        return false;
    }
    if (!qcow2_create(filename, q, &err)) {
        error_report_err(err);
        return false;
    }
    return true;
}

static int cmd_create(int argc, char **argv)
{
    const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
    char *opts = NULL;
    bool quiet = false;
    int c;
    while ((c = getopt(argc, argv, "f:b:F:o:qu")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'o': opts = optarg; break;
        case 'q': quiet = true; break;
        case 'u': break;
        default: return 1;
        }
    }
    if (optind >= argc) {
        error_report("create: expected FILENAME [SIZE]");
        return 1;
    }
    const char *filename = argv[optind];
    Qcow2CreateOptions q = {.version = 3, .backing_file = backing, .backing_format = backing_fmt};
    if (opts && !parse_create_options(opts, &q)) {
        return 1;
    }
    bool have_size = optind + 1 < argc;
    if (have_size && !parse_size(argv[optind + 1], 1, &q.size)) {
        error_report("invalid image size '%s'", argv[optind + 1]);
        return 1;
    }
    if (q.backing_file && !q.backing_format) {
        error_report("a backing file needs its format (-F raw or -F qcow2)");
        return 1;
    }
    if (q.backing_file && !have_size) {
        /* The size of the backing file, found relative to the new image. */
        char *path = q.backing_file[0] == '/' || !strchr(filename, '/')
                         ? xstrdup(q.backing_file)
                         : xasprintf("%.*s/%s", (int)(strrchr(filename, '/') - filename),
                                     filename, q.backing_file);
        BlockBackend *b = img_open(path, q.backing_format, false, true);
        free(path);
        if (!b) {
            return 1;
        }
        q.size = blk_getlength(b);
        blk_unref(b);
    } else if (!have_size) {
        error_report("create: the image size is missing");
        return 1;
    }
    if (!quiet) {
        printf("Formatting '%s', fmt=%s size=%" PRIu64 "\n", filename, fmt, q.size);
    }
    return create_image(filename, fmt, &q) ? 0 : 1;
}

static void size_human(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    double d = v;
    while (d >= 1024 && u < 6) {
        d /= 1024;
        u++;
    }
    if (u == 0) {
        snprintf(buf, len, "%" PRIu64 " B", v);
    } else {
        snprintf(buf, len, "%.3g %s", d, units[u]);
    }
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = *s;
        if (ch == '"' || ch == '\\') {
            printf("\\%c", ch);
        } else if (ch < 0x20) {
            printf("\\u%04x", ch);
        } else {
            putchar(ch);
        }
    }
    putchar('"');
}

static void print_snapshot_list(BDRVQcow2State *s)
{
    printf("Snapshot list:\n");
    printf("%-9s %-17s %10s %20s %15s %10s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
           "ICOUNT");
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        char date[32], vmsize[32];
        time_t t = sn->date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        size_human(sn->vm_state_size, vmsize, sizeof(vmsize));
        uint64_t ms = sn->vm_clock_nsec / 1000000;
        printf("%-9s %-17s %10s %20s %04" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64
               " %10s\n", sn->id_str, sn->name, vmsize, date, ms / 3600000, ms / 60000 % 60,
               ms / 1000 % 60, ms % 1000, "");
    }
}

static int cmd_info(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'O'},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "f:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': force_share = true; break;
        case 'O':
            if (!strcmp(optarg, "json")) {
                json = true;
            } else if (strcmp(optarg, "human")) {
                error_report("--output=%s: expected human or json", optarg);
                return 1;
            }
            break;
        default: return 1;
        }
    }
    if (optind >= argc) {
        error_report("info: expected FILENAME");
        return 1;
    }
    const char *filename = argv[optind];
    BlockBackend *blk = img_open(filename, fmt, false, true);
    if (!blk) {
        return 1;
    }
    BlockDriverState *bs = blk_bs(blk);
    struct stat st;
    uint64_t disk = stat(filename, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
    uint64_t vsize = blk_getlength(blk);
    BDRVQcow2State *s = is_qcow2(blk) ? bs->opaque : NULL;
    if (json) {
        printf("{\n    \"virtual-size\": %" PRIu64 ",\n    \"filename\": ", vsize);
        json_string(filename);
        if (s) {
            printf(",\n    \"cluster-size\": %" PRIu64, s->cluster_size);
        }
        printf(",\n    \"format\": \"%s\",\n    \"actual-size\": %" PRIu64 ",\n", bs->drv->format_name,
               disk);
        if (s && s->backing_file) {
            char *full = qcow2_backing_path(bs);
            printf("    \"backing-filename\": ");
            json_string(s->backing_file);
            printf(",\n    \"full-backing-filename\": ");
            json_string(full);
            printf(",\n");
            free(full);
            if (s->backing_format) {
                printf("    \"backing-filename-format\": ");
                json_string(s->backing_format);
                printf(",\n");
            }
        }
        if (s && s->nb_snapshots) {
            printf("    \"snapshots\": [\n");
            for (uint32_t i = 0; i < s->nb_snapshots; i++) {
                Qcow2Snapshot *sn = &s->snapshots[i];
                printf("        {\n            \"icount\": 0,\n            \"vm-clock-nsec\": %"
                       PRIu64 ",\n            \"name\": ", sn->vm_clock_nsec % 1000000000);
                json_string(sn->name);
                printf(",\n            \"date-sec\": %u,\n            \"date-nsec\": %u,\n"
                       "            \"vm-clock-sec\": %" PRIu64 ",\n            \"id\": ",
                       sn->date_sec, sn->date_nsec, sn->vm_clock_nsec / 1000000000);
                json_string(sn->id_str);
                printf(",\n            \"vm-state-size\": %" PRIu64 "\n        }%s\n",
                       sn->vm_state_size, i + 1 < s->nb_snapshots ? "," : "");
            }
            printf("    ],\n");
        }
        if (s) {
            printf("    \"format-specific\": {\n        \"type\": \"qcow2\",\n        \"data\": {\n"
                   "            \"compat\": \"%s\",\n", s->version >= 3 ? "1.1" : "0.10");
            if (s->version >= 3) {
                printf("            \"compression-type\": \"zlib\",\n"
                       "            \"lazy-refcounts\": %s,\n",
                       (s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS) ? "true" : "false");
            }
            printf("            \"refcount-bits\": %d,\n            \"corrupt\": %s,\n"
                   "            \"extended-l2\": false\n        }\n    },\n",
                   s->refcount_bits,
                   (s->incompatible & QCOW2_INCOMPAT_CORRUPT) ? "true" : "false");
        }
        printf("    \"dirty-flag\": %s\n}\n",
               s && (s->incompatible & QCOW2_INCOMPAT_DIRTY) ? "true" : "false");
    } else {
        char vs[32], ds[32];
        size_human(vsize, vs, sizeof(vs));
        size_human(disk, ds, sizeof(ds));
        printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\n"
               "disk size: %s\n", filename, bs->drv->format_name, vs, vsize, ds);
        if (s) {
            printf("cluster_size: %" PRIu64 "\n", s->cluster_size);
            if (s->backing_file) {
                char *full = qcow2_backing_path(bs);
                if (strcmp(full, s->backing_file)) {
                    printf("backing file: %s (actual path: %s)\n", s->backing_file, full);
                } else {
                    printf("backing file: %s\n", s->backing_file);
                }
                free(full);
                if (s->backing_format) {
                    printf("backing file format: %s\n", s->backing_format);
                }
            }
            if (s->nb_snapshots) {
                print_snapshot_list(s);
            }
            printf("Format specific information:\n    compat: %s\n",
                   s->version >= 3 ? "1.1" : "0.10");
            if (s->version >= 3) {
                printf("    compression type: zlib\n    lazy refcounts: %s\n",
                       (s->compatible & QCOW2_COMPAT_LAZY_REFCOUNTS) ? "true" : "false");
            }
            printf("    refcount bits: %d\n    corrupt: %s\n    extended l2: false\n",
                   s->refcount_bits, (s->incompatible & QCOW2_INCOMPAT_CORRUPT) ? "true"
                                                                                 : "false");
        }
    }
    blk_unref(blk);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    const char *fmt = NULL;
    int fix = 0;
    bool quiet = false;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'O'},
        {"force-share", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "f:r:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': force_share = true; break;
        case 'O': break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = QCOW2_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS;
            } else {
                error_report("-r %s: expected leaks or all", optarg);
                return 1;
            }
            break;
        default: return 1;
        }
    }
    if (optind >= argc) {
        error_report("check: expected FILENAME");
        return 1;
    }
    const char *filename = argv[optind];
    BlockBackend *blk = img_open(filename, fmt, fix != 0, true);
    if (!blk) {
        return 1;
    }
    if (!is_qcow2(blk)) {
        error_report("This image format does not support checks");
        blk_unref(blk);
        return 63;
    }
    BlockDriverState *bs = blk_bs(blk);
    Qcow2CheckResult r;
    int ret = qcow2_check(bs, &r, fix, quiet ? NULL : stderr);
    if (ret < 0) {
        error_report("'%s': the check could not complete: %s", filename, strerror(-ret));
        blk_unref(blk);
        return 1;
    }
    if (!quiet) {
        if (r.leaks_fixed || r.corruptions_fixed) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n"
                   "Double checking the fixed image now...\n", r.leaks_fixed,
                   r.corruptions_fixed);
            Qcow2CheckResult again;
            if (qcow2_check(bs, &again, 0, stderr) == 0) {
                r.leaks = again.leaks;
                r.corruptions = again.corruptions;
            }
        }
        if (!r.corruptions && !r.leaks) {
            printf("No errors were found on the image.\n");
        }
        if (r.corruptions) {
            printf("\n%" PRIu64 " errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image may corrupt it.\n",
                   r.corruptions);
        }
        if (r.leaks) {
            printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n", r.leaks);
        }
        if (r.total_clusters) {
            printf("%" PRIu64 "/%" PRIu64 " = %.2f%% allocated, %.2f%% fragmented, "
                   "%.2f%% compressed clusters\n", r.allocated_clusters, r.total_clusters,
                   100.0 * r.allocated_clusters / r.total_clusters, 0.0,
                   r.allocated_clusters ? 100.0 * r.compressed_clusters / r.allocated_clusters
                                        : 0.0);
        }
        printf("Image end offset: %" PRIu64 "\n", r.image_end_offset);
    }
    blk_unref(blk);
    return r.corruptions ? 2 : r.leaks ? 3 : 0;
}

static void progress(bool on, uint64_t done, uint64_t total)
{
    if (on) {
        printf("    (%.2f/100%%)\r", total ? 100.0 * done / total : 100.0);
        fflush(stdout);
    }
}

static int cmd_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    char *opts = NULL;
    bool compress = false, show = false;
    int c;
    while ((c = getopt(argc, argv, "f:O:o:cpqnU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'o': opts = optarg; break;
        case 'c': compress = true; break;
        case 'p': show = true; break;
        case 'U': force_share = true; break;
        case 'q': case 'n': break;
        default: return 1;
        }
    }
    if (optind + 2 != argc) {
        error_report("convert: expected SOURCE DESTINATION");
        return 1;
    }
    const char *src_name = argv[optind], *dst_name = argv[optind + 1];
    if (compress && strcmp(out_fmt, "qcow2")) {
        error_report("compression needs -O qcow2");
        return 1;
    }
    BlockBackend *src = img_open(src_name, fmt, false, false);
    if (!src) {
        return 1;
    }
    uint64_t size = blk_getlength(src);
    Qcow2CreateOptions q = {.version = 3, .size = size};
    if (opts && !parse_create_options(opts, &q)) {
        blk_unref(src);
        return 1;
    }
    if (!create_image(dst_name, out_fmt, &q)) {
        blk_unref(src);
        return 1;
    }
    /* Like qemu-img: the new image is written without flushes, then flushed once at the end. */
    BlockOpenOptions dopts = {.format = out_fmt, .cache = BLOCK_CACHE_UNSAFE};
    Error *err = NULL;
    BlockBackend *dst = blk_open(dst_name, &dopts, &err);
    if (!dst) {
        error_report_err(err);
        blk_unref(src);
        return 1;
    }
    uint64_t unit = CHUNK;
    BDRVQcow2State *ds = is_qcow2(dst) ? blk_bs(dst)->opaque : NULL;
    if (compress) {
        unit = ds->cluster_size;
    }
    uint8_t *buf = xmalloc(unit);
    int ret = 0;
    progress(show, 0, size);
    for (uint64_t pos = 0; pos < size && ret == 0;) {
        uint64_t n = MIN(unit, size - pos);
        int64_t pnum = 0, map;
        int st = bdrv_block_status(blk_bs(src), pos, n, &pnum, &map);
        bool hole = st >= 0 && (st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA);
        if (hole && pnum == (int64_t)n && n < size - pos) {
            /* A whole chunk of hole: ask about a long stretch, so huge sparse images go fast. */
            st = bdrv_block_status(blk_bs(src), pos, MIN(size - pos, 1ULL << 40), &pnum, &map);
        }
        if (st >= 0 && (st & BDRV_BLOCK_ZERO) && !(st & BDRV_BLOCK_DATA) && pnum > 0 &&
            (!compress || pnum >= (int64_t)unit)) {
            /* A hole stays a hole in the new image (whole clusters only when compressing). */
            pos += compress ? (uint64_t)pnum & ~(unit - 1) : (uint64_t)pnum;
            progress(show, pos, size);
            continue;
        }
        ret = blk_pread(src, pos, buf, n);
        if (ret < 0) {
            error_report("error while reading '%s' at offset %" PRIu64 ": %s", src_name, pos,
                         strerror(-ret));
            break;
        }
        if (!buffer_is_zero(buf, n)) {
            if (compress) {
                memset(buf + n, 0, unit - n);
                ret = qcow2_write_compressed(blk_bs(dst), pos, buf);
            } else {
                ret = blk_pwrite(dst, pos, buf, n);
            }
            if (ret < 0) {
                error_report("error while writing '%s' at offset %" PRIu64 ": %s", dst_name,
                             pos, strerror(-ret));
            }
        }
        pos += n;
        progress(show, pos, size);
    }
    if (ret == 0) {
        ret = blk_bs(dst)->drv->flush(blk_bs(dst));
    }
    if (show) {
        progress(true, size, size);
        printf("\n");
    }
    free(buf);
    blk_unref(dst);
    blk_unref(src);
    return ret < 0 ? 1 : 0;
}

static int cmd_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    static const struct option longopts[] = {
        {"shrink", no_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    bool shrink = false;
    int c;
    /* A size like "-1G" must not be read as an option: stop at the first non-option. */
    while ((c = getopt_long(argc, argv, "+f:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'q': break;
        case 'S': shrink = true; break;
        default: return 1;
        }
    }
    if (optind + 2 != argc) {
        error_report("resize: expected FILENAME [+|-]SIZE");
        return 1;
    }
    const char *filename = argv[optind], *spec = argv[optind + 1];
    BlockBackend *blk = img_open(filename, fmt, true, true);
    if (!blk) {
        return 1;
    }
    uint64_t cur = blk_getlength(blk), n;
    int64_t want;
    if (!parse_size(spec + (spec[0] == '+' || spec[0] == '-'), 1, &n)) {
        error_report("invalid size '%s'", spec);
        blk_unref(blk);
        return 1;
    }
    want = spec[0] == '+' ? (int64_t)(cur + n) : spec[0] == '-' ? (int64_t)(cur - n) : (int64_t)n;
    if (want < 0 || (spec[0] == '-' && n > cur)) {
        error_report("the new size would be negative");
        blk_unref(blk);
        return 1;
    }
    if ((uint64_t)want < cur && !shrink) {
        error_report("use the --shrink option to shrink an image (data past the new end is "
                     "lost)");
        blk_unref(blk);
        return 1;
    }
    BlockDriverState *bs = blk_bs(blk);
    Error *err = NULL;
    if (!bs->drv->truncate || bs->drv->truncate(bs, want, &err) < 0) {
        if (err) {
            error_report_err(err);
        } else {
            error_report("'%s': the format cannot be resized", filename);
        }
        blk_unref(blk);
        return 1;
    }
    blk_unref(blk);
    printf("Image resized.\n");
    return 0;
}

static int cmd_snapshot(int argc, char **argv)
{
    const char *fmt = NULL, *name = NULL;
    char op = 0;
    int c;
    while ((c = getopt(argc, argv, "f:c:a:d:lqU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'c': case 'a': case 'd':
            op = c;
            name = optarg;
            break;
        case 'l': op = 'l'; break;
        case 'U': force_share = true; break;
        case 'q': break;
        default: return 1;
        }
    }
    if (!op || optind + 1 != argc) {
        error_report("snapshot: expected -c|-a|-d NAME or -l, and FILENAME");
        return 1;
    }
    BlockBackend *blk = img_open(argv[optind], fmt, op != 'l', true);
    if (!blk) {
        return 1;
    }
    if (!is_qcow2(blk)) {
        error_report("'%s': only qcow2 images have snapshots", argv[optind]);
        blk_unref(blk);
        return 1;
    }
    BlockDriverState *bs = blk_bs(blk);
    Error *err = NULL;
    bool ok = true;
    switch (op) {
    case 'l':
        print_snapshot_list(bs->opaque);
        break;
    case 'c': ok = qcow2_snapshot_create(bs, name, &err); break;
    case 'a': ok = qcow2_snapshot_apply(bs, name, &err); break;
    case 'd': ok = qcow2_snapshot_delete(bs, name, &err); break;
    }
    if (!ok) {
        error_report_err(err);
    }
    blk_unref(blk);
    return ok ? 0 : 1;
}

/* Copy what the top layer holds into its backing file (the top keeps its data: -d). */
static int cmd_commit(int argc, char **argv)
{
    const char *fmt = NULL;
    int c;
    while ((c = getopt(argc, argv, "f:dqp")) != -1) {
        if (c == 'f') {
            fmt = optarg;
        } else if (c == '?') {
            return 1;
        }
    }
    if (optind + 1 != argc) {
        error_report("commit: expected FILENAME");
        return 1;
    }
    const char *filename = argv[optind];
    BlockBackend *top = img_open(filename, fmt, false, true);
    if (!top) {
        return 1;
    }
    if (!is_qcow2(top) || !((BDRVQcow2State *)blk_bs(top)->opaque)->backing_file) {
        error_report("'%s' has no backing file to commit to", filename);
        blk_unref(top);
        return 1;
    }
    BDRVQcow2State *s = blk_bs(top)->opaque;
    char *path = qcow2_backing_path(blk_bs(top));
    BlockBackend *base = img_open(path, s->backing_format, true, false);
    free(path);
    if (!base) {
        blk_unref(top);
        return 1;
    }
    uint64_t size = MIN((uint64_t)blk_getlength(top), (uint64_t)blk_getlength(base));
    uint8_t *buf = xmalloc(CHUNK);
    int ret = 0;
    for (uint64_t pos = 0; pos < size && ret == 0;) {
        int64_t pnum, map;
        int st = bdrv_block_status(blk_bs(top), pos, MIN(CHUNK, size - pos), &pnum, &map);
        if (st < 0) {
            ret = st;
            break;
        }
        if (!(st & BDRV_BLOCK_BACKING)) {
            ret = blk_pread(top, pos, buf, pnum);
            if (ret == 0) {
                ret = blk_pwrite(base, pos, buf, pnum);
            }
        }
        pos += pnum;
    }
    if (ret == 0) {
        ret = blk_flush(base);
    }
    free(buf);
    blk_unref(base);
    blk_unref(top);
    if (ret < 0) {
        error_report("commit of '%s' failed: %s", filename, strerror(-ret));
        return 1;
    }
    printf("Image committed.\n");
    return 0;
}

static int cmd_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *backing = NULL, *backing_fmt = NULL;
    bool unsafe = false;
    int c;
    while ((c = getopt(argc, argv, "f:b:F:uqpU")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'b': backing = optarg; break;
        case 'F': backing_fmt = optarg; break;
        case 'u': unsafe = true; break;
        case 'q': case 'p': case 'U': break;
        default: return 1;
        }
    }
    if (!backing || optind + 1 != argc) {
        error_report("rebase: expected -b BACKING [-F FMT] FILENAME");
        return 1;
    }
    const char *filename = argv[optind];
    if (*backing && !backing_fmt) {
        error_report("rebase: the new backing file needs its format (-F)");
        return 1;
    }
    BlockBackend *top = img_open(filename, fmt, true, unsafe);
    if (!top) {
        return 1;
    }
    if (!is_qcow2(top)) {
        error_report("'%s': only qcow2 images have backing files", filename);
        blk_unref(top);
        return 1;
    }
    BlockDriverState *bs = blk_bs(top);
    BDRVQcow2State *s = bs->opaque;
    int ret = 0;
    if (!unsafe) {
        BlockBackend *nb = NULL;
        if (*backing) {
            char *path = backing[0] == '/' || !strchr(filename, '/')
                             ? xstrdup(backing)
                             : xasprintf("%.*s/%s", (int)(strrchr(filename, '/') - filename),
                                         filename, backing);
            nb = img_open(path, backing_fmt, false, false);
            free(path);
            if (!nb) {
                blk_unref(top);
                return 1;
            }
        }
        /* Where the top shows its old backing file and the new one differs, copy it in. */
        uint64_t size = blk_getlength(top);
        uint64_t nb_size = nb ? blk_getlength(nb) : 0;
        uint8_t *a = xmalloc(s->cluster_size), *b = xmalloc(s->cluster_size);
        for (uint64_t pos = 0; pos < size && ret == 0; pos += s->cluster_size) {
            uint64_t n = MIN(s->cluster_size, size - pos);
            int64_t pnum, map;
            int st = bdrv_block_status(bs, pos, n, &pnum, &map);
            if (st < 0) {
                ret = st;
                break;
            }
            if (!(st & BDRV_BLOCK_BACKING)) {
                continue;
            }
            ret = blk_pread(top, pos, a, n);
            memset(b, 0, n);
            if (ret == 0 && pos < nb_size) {
                ret = blk_pread(nb, pos, b, MIN(n, nb_size - pos));
            }
            if (ret == 0 && memcmp(a, b, n)) {
                ret = blk_pwrite(top, pos, a, n);
            }
        }
        free(a);
        free(b);
        blk_unref(nb);
    }
    if (ret == 0) {
        free(s->backing_file);
        free(s->backing_format);
        s->backing_file = *backing ? xstrdup(backing) : NULL;
        s->backing_format = *backing ? xstrdup(backing_fmt) : NULL;
        ret = qcow2_write_header(bs);
    }
    blk_unref(top);
    if (ret < 0) {
        error_report("rebase of '%s' failed: %s", filename, strerror(-ret));
        return 1;
    }
    return 0;
}

static int cmd_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL;
    bool strict = false;
    int c;
    while ((c = getopt(argc, argv, "f:F:sqpU")) != -1) {
        switch (c) {
        case 'f': fmt1 = optarg; break;
        case 'F': fmt2 = optarg; break;
        case 's': strict = true; break;
        case 'U': force_share = true; break;
        case 'q': case 'p': break;
        default: return 2;
        }
    }
    if (optind + 2 != argc) {
        error_report("compare: expected FILENAME1 FILENAME2");
        return 2;
    }
    BlockBackend *a = img_open(argv[optind], fmt1, false, false);
    BlockBackend *b = a ? img_open(argv[optind + 1], fmt2, false, false) : NULL;
    if (!b) {
        blk_unref(a);
        return 2;
    }
    uint64_t la = blk_getlength(a), lb = blk_getlength(b);
    int rc = 0;
    if (la != lb) {
        if (strict) {
            printf("Strict mode: Image size mismatch!\n");
            rc = 1;
        } else {
            printf("Warning: Image size mismatch!\n");
        }
    }
    uint8_t *ba = xmalloc(CHUNK), *bb = xmalloc(CHUNK);
    uint64_t end = MAX(la, lb);
    for (uint64_t pos = 0; pos < end && rc == 0; pos += CHUNK) {
        uint64_t n = MIN(CHUNK, end - pos);
        memset(ba, 0, n);
        memset(bb, 0, n);
        if ((pos < la && blk_pread(a, pos, ba, MIN(n, la - pos)) < 0) ||
            (pos < lb && blk_pread(b, pos, bb, MIN(n, lb - pos)) < 0)) {
            error_report("error while reading at offset %" PRIu64, pos);
            rc = 2;
            break;
        }
        if (memcmp(ba, bb, n)) {
            uint64_t i = 0;
            while (ba[i] == bb[i]) {
                i++;
            }
            printf("Content mismatch at offset %" PRIu64 "!\n", (uint64_t)((pos + i) & ~511ULL));
            rc = 1;
        }
    }
    if (rc == 0) {
        printf("Images are identical.\n");
    }
    free(ba);
    free(bb);
    blk_unref(a);
    blk_unref(b);
    return rc;
}

/* Status of [pos, pos+len) through the chain: the depth that decides it. */
static int chain_status(BlockDriverState *bs, uint64_t pos, uint64_t len, int64_t *pnum,
                        int64_t *map, int *depth)
{
    *depth = 0;
    for (;;) {
        int st = bdrv_block_status(bs, pos, len, pnum, map);
        if (st < 0 || !(st & BDRV_BLOCK_BACKING)) {
            return st;
        }
        BDRVQcow2State *s = bs->opaque;
        BlockDriverState *next = s->backing;
        int64_t blen = next->drv->getlength(next);
        if ((int64_t)pos >= blen) {
            return BDRV_BLOCK_ZERO;
        }
        len = MIN((uint64_t)*pnum, (uint64_t)blen - pos);
        bs = next;
        (*depth)++;
    }
}

static int cmd_map(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "f:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'U': force_share = true; break;
        case 'O': json = !strcmp(optarg, "json"); break;
        default: return 1;
        }
    }
    if (optind + 1 != argc) {
        error_report("map: expected FILENAME");
        return 1;
    }
    BlockBackend *blk = img_open(argv[optind], fmt, false, false);
    if (!blk) {
        return 1;
    }
    uint64_t size = blk_getlength(blk);
    if (json) {
        printf("[");
    } else {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    bool first = true;
    /* Runs with the same answer are merged, as qemu-img does. */
    uint64_t run_start = 0, run_len = 0;
    int run_st = -1, run_depth = 0;
    int64_t run_map = 0;
    for (uint64_t pos = 0; pos <= size;) {
        int64_t pnum = 0, map = 0;
        int st = -2, depth = 0;
        if (pos < size) {
            st = chain_status(blk_bs(blk), pos, MIN((uint64_t)1 << 30, size - pos), &pnum, &map,
                              &depth);
            if (st < 0 && st != -2) {
                error_report("could not map '%s' at offset %" PRIu64, argv[optind], pos);
                blk_unref(blk);
                return 1;
            }
        }
        bool same = st == run_st && depth == run_depth &&
                    (!(st & BDRV_BLOCK_OFFSET) || map == run_map + (int64_t)run_len);
        if (run_st >= 0 && (!same || pos == size)) {
            bool data = run_st & BDRV_BLOCK_DATA;
            bool zero = (run_st & BDRV_BLOCK_ZERO) != 0;
            bool present = data || zero;
            if (json) {
                printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d, "
                       "\"present\": %s, \"zero\": %s, \"data\": %s, \"compressed\": %s",
                       first ? "" : ",\n", run_start, run_len, run_depth,
                       present ? "true" : "false", zero ? "true" : "false",
                       data ? "true" : "false",
                       (run_st & BDRV_BLOCK_COMPRESSED) ? "true" : "false");
                if (run_st & BDRV_BLOCK_OFFSET) {
                    printf(", \"offset\": %" PRId64, run_map);
                }
                printf("}");
            } else if (run_st & BDRV_BLOCK_OFFSET && data) {
                printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", run_start, run_len,
                       run_map, argv[optind]);
            }
            first = false;
            run_st = -1;
        }
        if (pos == size) {
            break;
        }
        if (run_st < 0) {
            run_st = st;
            run_depth = depth;
            run_map = map;
            run_start = pos;
            run_len = 0;
        }
        run_len += pnum;
        pos += pnum;
    }
    if (json) {
        printf("]\n");
    }
    blk_unref(blk);
    return 0;
}

/*
 * bench -w: a write workload for the crash test.  Random writes (seeded,
 * sizes from 512 bytes to 256 KiB) through the asynchronous API with a
 * queue depth, a flush every so often, until count writes or forever.
 */
typedef struct BenchState {
    BlockBackend *blk;
    MainLoop *loop;
    uint64_t size, seed, issued, done, count;
    int in_flight, depth, errors;
    uint8_t *bufs;
} BenchState;

static uint64_t bench_rand(BenchState *b)
{
    b->seed = b->seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return b->seed >> 17;
}

static void bench_submit(BenchState *b, int slot);

static void bench_done(void *opaque, int ret)
{
    uint64_t *slotp = opaque;
    BenchState *b = (BenchState *)slotp[1];
    if (ret < 0) {
        b->errors++;
    }
    b->in_flight--;
    b->done++;
    if (!b->count || b->issued < b->count) {
        bench_submit(b, slotp[0]);
    }
}

static void bench_submit(BenchState *b, int slot)
{
    static uint64_t slots[64][2];
    slots[slot][0] = slot;
    slots[slot][1] = (uint64_t)b;
    uint8_t *buf = b->bufs + (size_t)slot * (256 << 10);
    b->issued++;
    b->in_flight++;
    if (b->issued % 64 == 0) {
        blk_aio_flush(b->blk, bench_done, slots[slot]);
        return;
    }
    uint64_t len = ((bench_rand(b) % 512) + 1) * 512;
    uint64_t off = (bench_rand(b) % (b->size / 512)) * 512;
    if (bench_rand(b) % 4 == 0) {
        off += bench_rand(b) % 512; /* some unaligned ones */
    }
    len = MIN(len, b->size - off);
    memset(buf, (int)(b->issued & 0xff), len);
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    blk_aio_pwritev(b->blk, off, &iov, 1, bench_done, slots[slot]);
}

static int cmd_bench(int argc, char **argv)
{
    const char *fmt = NULL;
    BenchState b = {.depth = 4, .seed = 1};
    BlockOpenOptions o = {0};
    bool write = false;
    uint64_t n;
    int c;
    while ((c = getopt(argc, argv, "f:wc:d:S:sC:")) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 's': o.snapshot = true; break;
        case 'C':
            if (!block_cache_mode_parse(optarg, &o.cache)) {
                error_report("-C %s: expected writeback, none, unsafe or directsync", optarg);
                return 1;
            }
            break;
        case 'w': write = true; break;
        case 'c': b.count = strtoull(optarg, NULL, 0); break;
        case 'd':
            if (!parse_uint(optarg, &n) || n < 1 || n > 64) {
                error_report("-d: queue depth 1 to 64");
                return 1;
            }
            b.depth = n;
            break;
        case 'S': b.seed = strtoull(optarg, NULL, 0); break;
        default: return 1;
        }
    }
    if (!write || optind + 1 != argc) {
        error_report("bench: expected -w [-c COUNT] [-d DEPTH] [-S SEED] [-s] [-C CACHE] "
                     "FILENAME");
        return 1;
    }
    o.format = fmt;
    Error *err = NULL;
    b.blk = blk_open(argv[optind], &o, &err);
    if (!b.blk) {
        error_report_err(err);
        return 1;
    }
    b.loop = main_loop_new();
    blk_set_main_loop(b.blk, b.loop);
    b.size = blk_getlength(b.blk);
    b.bufs = xmalloc((size_t)b.depth * (256 << 10));
    if (b.size < 512) {
        error_report("bench: the image is too small");
        blk_unref(b.blk);
        main_loop_free(b.loop);
        free(b.bufs);
        return 1;
    }
    printf("bench: started\n");
    fflush(stdout);
    for (int i = 0; i < b.depth; i++) {
        bench_submit(&b, i);
    }
    while (b.in_flight) {
        main_loop_wait(b.loop, 100000000);
    }
    printf("bench: %" PRIu64 " requests, %d errors\n", b.done, b.errors);
    blk_unref(b.blk);
    main_loop_free(b.loop);
    free(b.bufs);
    return b.errors ? 1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: osprey-img COMMAND [options]\n"
               "  create [-f raw|qcow2] [-b BACKING -F FMT] [-o cluster_size=N,compat=0.10|1.1,"
               "refcount_bits=N] FILE [SIZE]\n"
               "  info [-f FMT] [--output=human|json] FILE\n"
               "  check [-f FMT] [-r leaks|all] FILE\n"
               "  convert [-f FMT] [-O FMT] [-c] [-p] [-o OPTS] SOURCE DEST\n"
               "  resize [-f FMT] [--shrink] FILE [+|-]SIZE\n"
               "  snapshot [-l | -c NAME | -a NAME | -d NAME] FILE\n"
               "  commit [-f FMT] FILE\n"
               "  rebase [-f FMT] [-u] -b BACKING [-F FMT] FILE\n"
               "  compare [-f FMT] [-F FMT] [-s] FILE1 FILE2\n"
               "  map [-f FMT] [--output=human|json] FILE\n"
               "  bench -w [-c COUNT] [-d DEPTH] [-S SEED] [-s] [-C CACHE] FILE\n"
               "        (a write workload; -s: through a -snapshot overlay)\n");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } cmds[] = {
        {"create", cmd_create}, {"info", cmd_info}, {"check", cmd_check},
        {"convert", cmd_convert}, {"resize", cmd_resize}, {"snapshot", cmd_snapshot},
        {"commit", cmd_commit}, {"rebase", cmd_rebase}, {"compare", cmd_compare},
        {"map", cmd_map}, {"bench", cmd_bench},
    };
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        if (!strcmp(argv[1], cmds[i].name)) {
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    error_report("unknown command '%s'", argv[1]);
    usage(stderr);
    return 1;
}
