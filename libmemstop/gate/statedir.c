/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Open path as a state directory: a real directory, uid's, mode 0700. */
static int open_checked(int dirfd, const char *path, uid_t uid)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (st.st_uid != uid || (st.st_mode & 077))
                return -EPERM;
        return MS_TAKE_FD(fd);
}

/* Whether name is "memstop-UID." and 6 more characters. */
static bool fallback_name(const char *name, const char *prefix, size_t plen)
{
        return strncmp(name, prefix, plen) == 0 && strlen(name + plen) == 6 && !strchr(name + plen, '/');
}

/* The first usable fallback by name in base, or -ENOENT. */
static int fallback_find(const char *base, uid_t uid, char *used, size_t size)
{
        _cleanup_close_ int basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char prefix[48], best[NAME_MAX + 1] = "";
        struct dirent *e;
        DIR *d;
        size_t plen;

        if (basefd < 0)
                return -errno;
        plen = (size_t)snprintf(prefix, sizeof(prefix), "memstop-%u.", (unsigned)uid);
        d = fdopendir(dup(basefd));
        if (!d)
                return -errno;
        while ((e = readdir(d)))
                if (fallback_name(e->d_name, prefix, plen) && (!best[0] || strcmp(e->d_name, best) < 0)) {
                        int fd = open_checked(basefd, e->d_name, uid);
                        if (fd >= 0) {
                                close(fd);
                                memcpy(best, e->d_name, strlen(e->d_name) + 1);
                        }
                }
        closedir(d);
        if (!best[0])
                return -ENOENT;
        if (used && (size_t)snprintf(used, size, "%s/%s", base, best) >= size)
                return -ENAMETOOLONG;
        return open_checked(basefd, best, uid);
}

int ms_statedir_fallback(const char *base, uid_t uid, char *used, size_t size)
{
        char tmpl[PATH_MAX];
        int r = fallback_find(base, uid, used, size);

        if (r != -ENOENT)
                return r;
        if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/memstop-%u.XXXXXX", base, (unsigned)uid) >= sizeof(tmpl))
                return -ENAMETOOLONG;
        if (!mkdtemp(tmpl))
                return -errno;
        /* Another process may have made one at the same time: the first by name wins. */
        return fallback_find(base, uid, used, size);
}

int ms_statedir_open_used(const char *path, uid_t uid, char *used, size_t size, bool *fallback)
{
        char shm[64];
        int fd;

        if (fallback)
                *fallback = false;
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open_checked(AT_FDCWD, path, uid);
        snprintf(shm, sizeof(shm), "/dev/shm/memstop-%u", (unsigned)uid);
        if ((fd == -EPERM || fd == -ELOOP || fd == -ENOTDIR) && strcmp(path, shm) == 0) {
                /* Planted by someone else: a directory of our own beside it. */
                if (fallback)
                        *fallback = true;
                return ms_statedir_fallback("/dev/shm", uid, used, size);
        }
        if (fd >= 0 && used && (size_t)snprintf(used, size, "%s", path) >= size)
                return ms_close(fd), -ENAMETOOLONG;
        return fd;
}

int ms_statedir_open(const char *path, uid_t uid)
{
        return ms_statedir_open_used(path, uid, NULL, 0, NULL);
}
