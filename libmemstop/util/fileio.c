/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

MS_HOT int ms_read_at(int dirfd, const char *path, char *buf, size_t size, size_t *len)
{
        _cleanup_close_ int fd = -1;
        char abs[4096];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));
        size_t have = 0;

        if (size == 0)
                return -EINVAL;
        if (!p)
                return -ENAMETOOLONG;
        fd = openat(dirfd, p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (have == size - 1) {
                        /* Full: is there more? */
                        char extra;
                        ssize_t m;
                        do
                                m = read(fd, &extra, 1);
                        while (m < 0 && errno == EINTR);
                        if (m < 0)
                                return -errno;
                        buf[have] = '\0';
                        if (m > 0)
                                return -EFBIG;
                        break;
                }
                ssize_t n = read(fd, buf + have, size - 1 - have);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                have += (size_t)n;
        }
        buf[have] = '\0';
        if (len)
                *len = have;
        return 0;
}

long ms_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
        size_t have = 0;

        while (have < len) {
                ssize_t n = pread(fd, (char *)buf + have, len - have, (off_t)(off + have));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                have += (size_t)n;
        }
        return (long)have;
}

MS_HOT int ms_read_u64_at(int dirfd, const char *path, uint64_t *out)
{
        char buf[64];
        size_t len;
        int r;

        r = ms_read_at(dirfd, path, buf, sizeof(buf), &len);
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

int ms_access_at(int dirfd, const char *path)
{
        char abs[4096];
        const char *p = ms_at_path(dirfd, path, abs, sizeof(abs));

        if (!p)
                return -ENAMETOOLONG;
        return faccessat(dirfd, p, F_OK, 0) < 0 ? -errno : 0;
}
