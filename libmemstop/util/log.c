/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* openat2() with RESOLVE_NO_SYMLINKS, or -ENOSYS on kernels before 5.6. */
static int open_no_symlinks(const char *path, int flags, mode_t mode)
{
        struct open_how how = { .flags = (uint64_t)flags, .mode = flags & O_CREAT ? mode : 0,
                                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}

int ms_open_append_checked(const char *path, bool create)
{
        int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK | (create ? O_CREAT : 0);
        struct stat st;
        int fd = -ENOSYS;

        if (geteuid() == 0)
                fd = open_no_symlinks(path, flags, 0644);
        if (fd == -ENOSYS) {
                fd = open(path, flags, 0644);
                if (fd < 0)
                        fd = -errno;
        }
        if (fd < 0)
                return fd == -ENXIO ? -EINVAL : fd; /* ENXIO: a FIFO without a reader */
        if (fstat(fd, &st) < 0)
                st.st_mode = 0;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
                close(fd);
                return !S_ISREG(st.st_mode) ? -EINVAL : -EPERM;
        }
        return fd;
}

int ms_log_open_checked(const char *spec, pid_t pid)
{
        char path[4096];
        int r;

        if (!spec || !*spec)
                return STDERR_FILENO;
        r = ms_log_path(spec, pid, path, sizeof(path));
        return r < 0 ? r : ms_open_append_checked(path, true);
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
