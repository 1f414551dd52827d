/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macro.h"
#include "gate/statedir.h"

static int usable_runtime_dir(const char *dir, uid_t uid)
{
        struct stat st;

        if (!dir || dir[0] != '/')
                return 0;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077))
                return 0;
        return 1;
}

int ms_statedir_path(const char *xdg_runtime_dir, uid_t uid, char *buf, size_t size)
{
        int n;

        if (usable_runtime_dir(xdg_runtime_dir, uid))
                n = snprintf(buf, size, "%s/memstop", xdg_runtime_dir);
        else
                n = snprintf(buf, size, "/dev/shm/memstop-%u", (unsigned)uid);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ms_statedir_open(const char *path, uid_t uid)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP || errno == ENOTDIR ? -errno : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (st.st_uid != uid || (st.st_mode & 077))
                return -EPERM;
        return MS_TAKE_FD(fd);
}
