/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise/buildcg.h"
#include "util/fileio.h"
#include "util/macro.h"

int ms_build_cgroup_name(const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out)
{
        struct ms_cgroup c = *own;
        const char *sep = strcmp(own->path, "/") == 0 ? "" : "/";
        int n;

        n = snprintf(c.path, sizeof(c.path), "%s%smemstop-build-%d", own->path, sep, (int)pid);
        if (n < 0 || (size_t)n >= sizeof(c.path))
                return -ENAMETOOLONG;
        n = snprintf(c.dir, sizeof(c.dir), "%s%smemstop-build-%d", own->dir, *own->dir ? "/" : "", (int)pid);
        if (n < 0 || (size_t)n >= sizeof(c.dir))
                return -ENAMETOOLONG;
        *out = c;
        return 0;
}

static int file_in(int rootfd, const struct ms_cgroup *cg, const char *file, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s/%s", cg->dir, file);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int ms_build_cgroup_create(int rootfd, const struct ms_cgroup *own, pid_t pid, struct ms_cgroup *out)
{
        struct ms_cgroup c;
        char p[PATH_MAX + 32], abs[PATH_MAX + 2];
        const char *dir;
        int r;

        if (own->version == MS_CGROUP_NONE)
                return -EOPNOTSUPP;
        r = ms_build_cgroup_name(own, pid, &c);
        if (r < 0)
                return r;
        dir = ms_at_path(rootfd, c.dir, abs, sizeof(abs));
        if (!dir)
                return -ENAMETOOLONG;
        if (mkdirat(rootfd, dir, 0755) < 0)
                return -errno;
        r = file_in(rootfd, &c, ms_cgroup_usage_file(c.version), p, sizeof(p));
        if (r == 0)
                r = ms_access_at(rootfd, p);
        if (r < 0) {
                (void)unlinkat(rootfd, dir, AT_REMOVEDIR);
                return -EOPNOTSUPP;
        }
        *out = c;
        return 0;
}

static int write_pid(int rootfd, const char *path, pid_t pid)
{
        char num[16], abs[PATH_MAX + 40];
        int fd, n, r = 0;

        const char *p = ms_at_path(rootfd, path, abs, sizeof(abs));

        if (!p)
                return -ENAMETOOLONG;
        fd = openat(rootfd, p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = snprintf(num, sizeof(num), "%d\n", (int)pid);
        if (write(fd, num, (size_t)n) != n)
                r = -errno;
        close(fd);
        return r;
}

int ms_build_cgroup_enter(int rootfd, const struct ms_cgroup *cg, pid_t pid)
{
        char p[PATH_MAX + 32];
        int r = file_in(rootfd, cg, "cgroup.procs", p, sizeof(p));

        return r < 0 ? r : write_pid(rootfd, p, pid);
}

int ms_build_cgroup_remove(int rootfd, const struct ms_cgroup *cg, const struct ms_cgroup *own)
{
        char p[PATH_MAX + 32], abs[PATH_MAX + 2], text[16384];
        const char *dir = ms_at_path(rootfd, cg->dir, abs, sizeof(abs));
        pid_t pids[1024];
        size_t n = 0;
        int r;

        if (!dir)
                return -ENAMETOOLONG;
        if (unlinkat(rootfd, dir, AT_REMOVEDIR) == 0 || errno == ENOENT)
                return 0;
        if (errno != EBUSY)
                return -errno;
        /* Processes left behind (daemons the build started): to our own cgroup. */
        r = file_in(rootfd, cg, "cgroup.procs", p, sizeof(p));
        if (r == 0)
                r = ms_read_at(rootfd, p, text, sizeof(text), NULL);
        if (r == 0 || r == -EFBIG) {
                const char *s = text;
                while (*s && n < MS_ARRAY_SIZE(pids)) {
                        char *end;
                        long v = strtol(s, &end, 10);
                        if (end == s)
                                break;
                        if (v > 0)
                                pids[n++] = (pid_t)v;
                        s = end;
                        while (*s == '\n')
                                s++;
                }
        }
        if (file_in(rootfd, own, "cgroup.procs", p, sizeof(p)) == 0)
                for (size_t i = 0; i < n; i++)
                        (void)write_pid(rootfd, p, pids[i]);
        if (unlinkat(rootfd, dir, AT_REMOVEDIR) == 0 || errno == ENOENT)
                return 0;
        return -errno;
}
