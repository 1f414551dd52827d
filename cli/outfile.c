/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/outfile.h"
#include "util/macro.h"

/* How a path is written. */
enum out_way {
        OUT_STDOUT,  /* "-", or the file standard output is (/dev/stdout) */
        OUT_STDERR,  /* the file standard error is (/dev/stderr) */
        OUT_REPLACE, /* a temporary file renamed over it */
        OUT_IN_PLACE,
};

/* Whether st is the file open as fd. */
static bool same_file(const struct stat *st, int fd)
{
        struct stat fst;

        return fstat(fd, &fst) == 0 && fst.st_dev == st->st_dev && fst.st_ino == st->st_ino;
}

static int out_way(const char *path, enum out_way *way)
{
        struct stat st, lst;

        if (strcmp(path, "-") == 0) {
                *way = OUT_STDOUT;
                return 0;
        }
        if (lstat(path, &lst) < 0) {
                if (errno != ENOENT)
                        return -errno;
                *way = OUT_REPLACE;
                return 0;
        }
        if (stat(path, &st) < 0)
                return -errno; /* a dangling symlink: not followed to create its target */
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        /* Written to the descriptor, not reopened: an appended log stays whole. */
        if (same_file(&st, STDOUT_FILENO)) {
                *way = OUT_STDOUT;
                return 0;
        }
        if (same_file(&st, STDERR_FILENO)) {
                *way = OUT_STDERR;
                return 0;
        }
        *way = S_ISREG(lst.st_mode) ? OUT_REPLACE : OUT_IN_PLACE;
        return 0;
}

/* The directory of path, in buf. */
static int dir_of(const char *path, char *buf, size_t size)
{
        char copy[PATH_MAX];

        if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy))
                return -ENAMETOOLONG;
        if ((size_t)snprintf(buf, size, "%s", dirname(copy)) >= size)
                return -ENAMETOOLONG;
        return 0;
}

int cli_out_check(const char *path)
{
        char dir[PATH_MAX];
        enum out_way way;
        struct stat st;
        int r = out_way(path, &way);

        if (r < 0 || way == OUT_STDOUT || way == OUT_STDERR)
                return r;
        if (way == OUT_IN_PLACE)
                return access(path, W_OK) == 0 ? 0 : -errno;
        r = dir_of(path, dir, sizeof(dir));
        if (r < 0)
                return r;
        if (stat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        return access(dir, W_OK | X_OK) == 0 ? 0 : -errno;
}

/* fclose that reports a write error of the stream or of the close. */
static int close_stream(FILE *f, int r)
{
        if (ferror(f) && r == 0)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

static int write_fd(int fd, cli_out_writer_fn writer, const void *ctx)
{
        FILE *f = fdopen(fd, "w");

        if (!f) {
                int r = -errno;
                close(fd);
                return r;
        }
        return close_stream(f, writer(ctx, f));
}

static int write_replacing(const char *path, mode_t mode, cli_out_writer_fn writer, const void *ctx)
{
        char dir[PATH_MAX], base[PATH_MAX], copy[PATH_MAX], tmp[PATH_MAX];
        mode_t mask;
        int fd, r;

        r = dir_of(path, dir, sizeof(dir));
        if (r < 0)
                return r;
        snprintf(copy, sizeof(copy), "%s", path);
        snprintf(base, sizeof(base), "%s", basename(copy));
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        mask = umask(0);
        umask(mask);
        if (fchmod(fd, mode & ~mask) < 0) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        r = write_fd(fd, writer, ctx);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int cli_out_write(const char *path, cli_out_writer_fn writer, const void *ctx)
{
        return cli_out_write_mode(path, 0666, writer, ctx);
}

int cli_out_write_mode(const char *path, mode_t mode, cli_out_writer_fn writer, const void *ctx)
{
        enum out_way way;
        int fd, r = out_way(path, &way);

        if (r < 0)
                return r;
        switch (way) {
        case OUT_STDOUT:
                fflush(stdout);
                fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
                break;
        case OUT_STDERR:
                fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                break;
        case OUT_IN_PLACE:
                /* No O_CREAT: what is there is written to, nothing is made. */
                fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
                break;
        default:
                return write_replacing(path, mode, writer, ctx);
        }
        if (fd < 0)
                return -errno;
        return write_fd(fd, writer, ctx);
}
