/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/macro.h"
#include "lockd/util.h"

int lockd_read_text(const char *path, size_t max, char **out, size_t *len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t have = 0, size = 4096;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (have == size - 1) {
                        char *b;

                        if (size > max)
                                return -EFBIG;
                        b = realloc(buf, size * 2);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        size *= 2;
                }
                n = read(fd, buf + have, size - 1 - have);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
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

static uint64_t clock_usec(clockid_t id)
{
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t lockd_now_usec(void)
{
        return clock_usec(CLOCK_MONOTONIC);
}

uint64_t lockd_thread_cpu_usec(void)
{
        return clock_usec(CLOCK_THREAD_CPUTIME_ID);
}
