/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/parse.h"
#include "util/macro.h"
#include "util/strutil.h"

int ms_root_open(const char *path)
{
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

MS_HOT const char *ms_at_path(int dirfd, const char *path, char *buf, size_t size)
{
        size_t n;

        while (*path == '/')
                path++;
        if (dirfd != MS_ROOT_HOST)
                return *path ? path : ".";
        n = ms_strlen(path);
        if (n + 2 > size)
                return NULL;
        buf[0] = '/';
        for (size_t i = 0; i <= n; i++)
                buf[i + 1] = path[i];
        return buf;
}

/* The host's paths are made absolute on the stack: MS_SHORT_PATH first. */
static int open_abs(int dirfd, const char *p)
{
        int fd = openat(dirfd, p, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        return fd < 0 ? -errno : fd;
}

__attribute__((cold, noinline)) static int open_at_long(int dirfd, const char *path)
{
        char abs[PATH_MAX + 1];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));

        return p ? open_abs(dirfd, p) : -ENAMETOOLONG;
}

static MS_HOT int open_at(int dirfd, const char *path)
{
        char abs[MS_SHORT_PATH];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));

        return p ? open_abs(dirfd, p) : open_at_long(dirfd, path);
}

/* The one read loop: read() (off < 0) or pread() at off until len bytes or
 * the end of the file, through EINTR; with line, also until a read ends
 * with a newline. */
static MS_HOT long read_loop(int fd, void *buf, size_t len, int64_t off, bool line)
{
        size_t have = 0;

        while (have < len) {
                char *at = (char *)buf + have;
                ssize_t n = off < 0 ? read(fd, at, len - have)
                                    : pread(fd, at, len - have, (off_t)(off + (int64_t)have));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                have += (size_t)n;
                if (line && at[n - 1] == '\n')
                        break;
        }
        return (long)have;
}

MS_HOT long ms_read_full(int fd, void *buf, size_t len)
{
        return read_loop(fd, buf, len, -1, false);
}

MS_HOT int ms_read_at(int dirfd, const char *path, char *buf, size_t size, size_t *len)
{
        _cleanup_close_ int fd = -1;
        char extra;
        long n, m;

        if (size == 0)
                return -EINVAL;
        fd = open_at(dirfd, path);
        if (fd < 0)
                return fd;
        n = ms_read_full(fd, buf, size - 1);
        if (n < 0)
                return (int)n;
        buf[n] = '\0';
        if (len)
                *len = (size_t)n;
        if ((size_t)n < size - 1)
                return 0;
        /* Full: is there more? */
        m = ms_read_full(fd, &extra, 1);
        if (m < 0)
                return (int)m;
        return m > 0 ? -EFBIG : 0;
}

int ms_read_alloc_fd(int fd, size_t max, char **out, size_t *len)
{
        _cleanup_free_ char *buf = NULL;
        size_t have = 0, size = 0;

        for (;;) {
                long n;

                if (have == size) {
                        size_t grow = size ? size * 2 : 4096;
                        char *b;

                        if (size > max)
                                return -EFBIG;
                        b = realloc(buf, grow + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        size = grow;
                }
                n = ms_read_full(fd, buf + have, size - have);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                have += (size_t)n;
        }
        if (have > max)
                return -EFBIG;
        buf[have] = '\0';
        if (len)
                *len = have;
        *out = buf;
        buf = NULL;
        return 0;
}

int ms_read_alloc_at(int dirfd, const char *path, size_t max, char **out, size_t *len)
{
        _cleanup_close_ int fd = open_at(dirfd, path);

        if (fd < 0)
                return fd;
        return ms_read_alloc_fd(fd, max, out, len);
}

/* Hand the complete lines of buf[0, have) to fn; *used: where the rest starts. */
static int feed_lines(char *buf, size_t have, bool *skipping, ms_line_fn fn, void *userdata, size_t *used)
{
        char *line = buf, *nl;

        while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
                *nl = '\0';
                if (*skipping) {
                        *skipping = false; /* the end of an overlong line */
                } else {
                        int r = fn(line, userdata);
                        if (r != 0)
                                return r;
                }
                line = nl + 1;
        }
        *used = (size_t)(line - buf);
        return 0;
}

int ms_read_lines_at(int dirfd, const char *path, char *buf, size_t size, ms_line_fn fn, void *userdata,
                     unsigned *overlong)
{
        _cleanup_close_ int fd = -1;
        bool skipping = false; /* inside a line longer than the buffer */
        size_t have = 0;

        if (size < 2)
                return -EINVAL;
        fd = open_at(dirfd, path);
        if (fd < 0)
                return fd;
        for (;;) {
                size_t used;
                long n = ms_read_full(fd, buf + have, size - 1 - have);
                int r;

                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                have += (size_t)n;
                buf[have] = '\0';
                r = feed_lines(buf, have, &skipping, fn, userdata, &used);
                if (r != 0)
                        return r;
                have -= used;
                memmove(buf, buf + used, have);
                if (have == size - 1) {
                        if (!skipping && overlong)
                                (*overlong)++;
                        skipping = true;
                        have = 0;
                }
        }
        if (have == 0 || skipping)
                return 0;
        buf[have] = '\0';
        return fn(buf, userdata);
}

int ms_root_prefix(int rootfd, char *buf, size_t size)
{
        int n;

        if (rootfd == MS_ROOT_HOST)
                n = snprintf(buf, size, "%s", "");
        else
                n = snprintf(buf, size, "/proc/self/fd/%d", rootfd);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

long ms_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
        if (off > INT64_MAX)
                return -EINVAL;
        return read_loop(fd, buf, len, (int64_t)off, false);
}

/*
 * A one-line value (sysfs, cgroupfs, proc): read until its newline or the
 * end. A kernfs file gives its whole value at the first read; reading on
 * to see the end costs a second system call, on the gate's fast path too.
 * -EFBIG when it does not fit in size - 1 bytes.
 */
static MS_HOT int read_line_at(int dirfd, const char *path, char *buf, size_t size, size_t *len)
{
        _cleanup_close_ int fd = open_at(dirfd, path);
        char extra;
        long have, m;

        if (fd < 0)
                return fd;
        have = read_loop(fd, buf, size - 1, -1, true);
        if (have < 0)
                return (int)have;
        buf[have] = '\0';
        *len = (size_t)have;
        if ((size_t)have < size - 1 || buf[have - 1] == '\n')
                return 0;
        /* Full without its newline: is there more? */
        m = ms_read_full(fd, &extra, 1);
        return m < 0 ? (int)m : m > 0 ? -EFBIG : 0;
}

MS_HOT int ms_read_u64_at(int dirfd, const char *path, uint64_t *out)
{
        char buf[64];
        size_t len = 0;
        int r;

        r = read_line_at(dirfd, path, buf, sizeof(buf), &len);
        if (r < 0)
                return r == -EFBIG ? -EINVAL : r;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
                buf[--len] = '\0';
        if (ms_streq(buf, "max")) {
                *out = UINT64_MAX;
                return 0;
        }
        r = ms_parse_u64(buf, out);
        return r == -ERANGE ? -EINVAL : r;
}

int ms_stat_at(int dirfd, const char *path, struct stat *st)
{
        char abs[4096];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));

        if (!p)
                return -ENAMETOOLONG;
        return fstatat(dirfd, p, st, 0) < 0 ? -errno : 0;
}

int ms_open_regular_at(int dirfd, const char *path, struct stat *st)
{
        char abs[4096];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));
        _cleanup_close_ int fd = -1;

        if (!p)
                return -ENAMETOOLONG;
        fd = openat(dirfd, p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        return MS_TAKE_FD(fd);
}

static int access_abs(int dirfd, const char *p)
{
        return faccessat(dirfd, p, F_OK, 0) < 0 ? -errno : 0;
}

__attribute__((cold, noinline)) static int access_at_long(int dirfd, const char *path)
{
        char abs[PATH_MAX + 1];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));

        return p ? access_abs(dirfd, p) : -ENAMETOOLONG;
}

/* As open_at: a short buffer first. */
int ms_access_at(int dirfd, const char *path)
{
        char abs[MS_SHORT_PATH];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));

        return p ? access_abs(dirfd, p) : access_at_long(dirfd, path);
}

/* No "." or ".." component: what openat2's RESOLVE_BENEATH would allow
 * inside dirfd is refused as well, so that both ways agree. */
static bool components_plain(const char *path)
{
        for (const char *c = path; *c;) {
                size_t n = strcspn(c, "/");

                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
                while (*c == '/')
                        c++;
        }
        return true;
}

/* The opened file: fstat() before anything else, regular files only. */
static int regular_only(int fd, struct stat *st)
{
        _cleanup_close_ int f = fd;

        if (fstat(f, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        return MS_TAKE_FD(f);
}

int ms_open_beneath_walk(int dirfd, const char *path, struct stat *st)
{
        _cleanup_close_ int cur = -1;
        char name[256];

        while (*path == '/')
                path++;
        if (!*path || !components_plain(path))
                return -EXDEV;
        for (;;) {
                size_t n = strcspn(path, "/");
                const char *next = path + n;
                int at = cur >= 0 ? cur : dirfd, fd;

                if (n >= sizeof(name))
                        return -ENAMETOOLONG;
                memcpy(name, path, n);
                name[n] = '\0';
                while (*next == '/')
                        next++;
                if (!*next) {
                        fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                        return fd < 0 ? -errno : regular_only(fd, st);
                }
                fd = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                ms_close(cur);
                cur = fd;
                path = next;
        }
}

int ms_open_beneath(int dirfd, const char *path, struct stat *st)
{
        struct open_how how = {
                .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        while (*path == '/')
                path++;
        if (!*path || !components_plain(path))
                return -EXDEV;
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                return ms_open_beneath_walk(dirfd, path, st);
        if (fd < 0)
                return -errno;
        return regular_only((int)fd, st);
}

int ms_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}
