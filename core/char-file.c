/*
 * Backends over plain files and FIFOs: "file" (output only, like QEMU's
 * default) and "pipe" (PATH.in/PATH.out FIFO pair, or PATH both ways).
 */
#include "core/chardev-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

typedef struct FileChardev {
    Chardev parent;
    CharFdReader reader; /* pipe only */
    int in_fd;
    int out_fd;
} FileChardev;

static bool char_path_parse(Opts *opts, ChardevConfig *cfg, Error **errp)
{
    cfg->path = opts_get(opts, "path");
    if (!cfg->path || !*cfg->path) {
        error_setg(errp, "parameter 'path' is missing");
        return false;
    }
    return true;
}

static bool char_file_parse(Opts *opts, ChardevConfig *cfg, Error **errp)
{
    return char_path_parse(opts, cfg, errp) &&
           opts_get_bool(opts, "append", false, &cfg->append, errp);
}

static Chardev *char_file_open(ChardevSet *set, const char *id, const ChardevConfig *cfg,
                               Error **errp)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (cfg->append ? O_APPEND : O_TRUNC);
    int fd = open(cfg->path, flags, 0666);
    if (fd < 0) {
        error_setg(errp, "cannot open '%s': %s", cfg->path, strerror(errno));
        return NULL;
    }
    FileChardev *f = chardev_alloc(sizeof(*f), &char_file_ops, set, id);
    f->in_fd = -1;
    f->out_fd = fd;
    char_fd_reader_init(&f->reader, &f->parent, -1, NULL);
    f->parent.open = true;
    return &f->parent;
}

static int char_file_write_all(Chardev *chr, const uint8_t *buf, int len)
{
    FileChardev *f = container_of(chr, FileChardev, parent);
    return char_fd_write_all(f->out_fd, buf, len, false);
}

static void char_file_update_input(Chardev *chr)
{
    FileChardev *f = container_of(chr, FileChardev, parent);
    char_fd_reader_update(&f->reader);
}

static void char_file_close(Chardev *chr)
{
    FileChardev *f = container_of(chr, FileChardev, parent);
    char_fd_reader_enable(&f->reader, false);
    if (f->in_fd >= 0 && f->in_fd != f->out_fd) {
        close(f->in_fd);
    }
    if (f->out_fd >= 0) {
        close(f->out_fd);
    }
}

const ChardevOps char_file_ops = {
    .name = "file",
    .help = "path=PATH[,append=on]: write output to a file (truncated unless append=on)",
    .parse = char_file_parse,
    .open = char_file_open,
    .write_all = char_file_write_all,
    .update_input = char_file_update_input,
    .close = char_file_close,
};

static void char_pipe_eof(Chardev *chr)
{
    /* Nothing more will come; output may still go on. */
}

static Chardev *char_pipe_open(ChardevSet *set, const char *id, const ChardevConfig *cfg,
                               Error **errp)
{
    char *in_path = xasprintf("%s.in", cfg->path);
    char *out_path = xasprintf("%s.out", cfg->path);
    /*
     * The input FIFO is opened read-write: with a writer of our own it never
     * reports end-of-file when the other side's writer comes and goes.
     */
    int in_fd = open(in_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    int out_fd = in_fd >= 0 ? open(out_path, O_WRONLY | O_CLOEXEC) : -1;
    if (in_fd < 0 || out_fd < 0) {
        if (in_fd >= 0) {
            close(in_fd);
        }
        in_fd = out_fd = open(cfg->path, O_RDWR | O_CLOEXEC);
    }
    free(in_path);
    free(out_path);
    if (in_fd < 0) {
        error_setg(errp, "cannot open '%s' (nor '%s.in' and '%s.out'): %s", cfg->path,
                   cfg->path, cfg->path, strerror(errno));
        return NULL;
    }
    char_fd_set_nonblock(in_fd);
    FileChardev *f = chardev_alloc(sizeof(*f), &char_pipe_ops, set, id);
    f->in_fd = in_fd;
    f->out_fd = out_fd;
    char_fd_reader_init(&f->reader, &f->parent, in_fd, char_pipe_eof);
    f->reader.enabled = true;
    f->parent.open = true;
    return &f->parent;
}

const ChardevOps char_pipe_ops = {
    .name = "pipe",
    .help = "path=PATH: read PATH.in and write PATH.out (FIFOs), or PATH both ways",
    .parse = char_path_parse,
    .open = char_pipe_open,
    .write_all = char_file_write_all,
    .update_input = char_file_update_input,
    .close = char_file_close,
};
