/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

int ms_log_path(const char *spec, pid_t pid, char *buf, size_t size)
{
        size_t len = strlen(spec);
        int n;

        if (len > 0 && spec[len - 1] == '-')
                n = snprintf(buf, size, "%s%d", spec, (int)pid);
        else
                n = snprintf(buf, size, "%s", spec);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ms_log_open(const char *spec, pid_t pid)
{
        char path[4096];
        int fd, r;

        if (!spec || !*spec)
                return STDERR_FILENO;
        r = ms_log_path(spec, pid, path, sizeof(path));
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        return fd < 0 ? -errno : fd;
}

void ms_logv(int fd, const char *fmt, va_list ap)
{
        char line[1024];
        int saved = errno;
        int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
        size_t len;

        if (n < 0) {
                errno = saved;
                return;
        }
        len = (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
        if (len == 0 || line[len - 1] != '\n')
                line[len++] = '\n';
        while (write(fd, line, len) < 0 && errno == EINTR)
                ;
        errno = saved;
}

void ms_log(int fd, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ms_logv(fd, fmt, ap);
        va_end(ap);
}
