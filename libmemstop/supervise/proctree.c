/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/macro.h"
#include "supervise/proctree.h"

int ms_proc_comm_parse(const char *stat_text, char *comm, size_t size)
{
        const char *open = strchr(stat_text, '(');
        const char *close = strrchr(stat_text, ')');
        size_t n;

        if (!open || !close || close < open || size == 0)
                return -EINVAL;
        n = (size_t)(close - open - 1);
        if (n >= size)
                n = size - 1;
        memcpy(comm, open + 1, n);
        comm[n] = '\0';
        return 0;
}

int ms_proc_children_parse(const char *text, pid_t *out, size_t max, size_t *n)
{
        const char *p = text;

        for (;;) {
                uint64_t v = 0;
                const char *start;

                while (*p == ' ' || *p == '\n')
                        p++;
                if (!*p)
                        return 0;
                for (start = p; *p >= '0' && *p <= '9'; p++) {
                        v = v * 10 + (uint64_t)(*p - '0');
                        if (v > INT32_MAX)
                                return -EINVAL;
                }
                if (p == start || (*p && *p != ' ' && *p != '\n') || v == 0)
                        return -EINVAL;
                if (*n >= max)
                        return -ENOSPC;
                out[(*n)++] = (pid_t)v;
        }
}

int ms_proc_children_read(int rootfd, pid_t pid, pid_t *out, size_t max, size_t *n)
{
        char path[64], abs[80], text[8192];
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        snprintf(path, sizeof(path), "proc/%d/task", (int)pid);
        fd = openat(rootfd, ms_at_path(rootfd, path, abs, sizeof(abs)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                char child[sizeof(path) + sizeof(de->d_name) + 16];
                int q;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(child, sizeof(child), "%s/%s/children", path, de->d_name);
                q = ms_read_at(rootfd, child, text, sizeof(text), NULL);
                if (q == -ENOENT || q == -ESRCH)
                        continue; /* the thread ended meanwhile */
                if (q < 0 && q != -EFBIG) {
                        r = q;
                        break;
                }
                q = ms_proc_children_parse(text, out, max, n);
                if (q < 0) {
                        r = q;
                        if (q == -ENOSPC)
                                break;
                }
        }
        closedir(d);
        return r;
}

int ms_proc_tree_read(int rootfd, pid_t pid, pid_t *out, size_t max)
{
        size_t n = 0, i;
        char path[32];

        if (max == 0)
                return -ENOSPC;
        snprintf(path, sizeof(path), "proc/%d", (int)pid);
        if (ms_access_at(rootfd, path) < 0)
                return -ESRCH;
        out[n++] = pid;
        /* Breadth first: out[] is the queue. A child that vanished is skipped. */
        for (i = 0; i < n && n < max; i++) {
                int r = ms_proc_children_read(rootfd, out[i], out, max, &n);
                if (r == -ENOSPC)
                        break;
        }
        return (int)n;
}

int ms_proc_info_read(int rootfd, pid_t pid, struct ms_proc_info *out)
{
        char path[64], text[2048];
        struct ms_proc_stat st;
        struct ms_proc_info info = { .pid = pid };
        int r;

        snprintf(path, sizeof(path), "proc/%d/stat", (int)pid);
        r = ms_read_at(rootfd, path, text, sizeof(text), NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (ms_proc_stat_parse(text, &st) < 0 || ms_proc_comm_parse(text, info.comm, sizeof(info.comm)) < 0)
                return -EINVAL;
        info.ppid = st.ppid;
        info.state = st.state;
        info.starttime = st.starttime;
        if (st.state != 'Z' && ms_proc_rss_read(rootfd, pid, &info.rss) < 0)
                info.rss = 0;
        *out = info;
        return 0;
}

void ms_proc_cmdline_format(const char *text, size_t len, char *buf, size_t size)
{
        size_t n = 0;

        if (size == 0)
                return;
        /* The trailing NUL ends the last argument: no trailing blank. */
        while (len > 0 && text[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len && n + 1 < size; i++)
                buf[n++] = text[i] == '\0' || text[i] == '\n' ? ' ' : text[i];
        buf[n] = '\0';
}

int ms_proc_cmdline_read(int rootfd, pid_t pid, char *buf, size_t size)
{
        char path[64], abs[80], text[4096];
        ssize_t len;
        int fd;

        snprintf(path, sizeof(path), "proc/%d/cmdline", (int)pid);
        fd = openat(rootfd, ms_at_path(rootfd, path, abs, sizeof(abs)), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        len = read(fd, text, sizeof(text));
        if (len < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        close(fd);
        ms_proc_cmdline_format(text, (size_t)len, buf, size);
        return 0;
}

bool ms_build_driver(const char *comm)
{
        static const char *const drivers[] = {
                "make", "gmake", "bmake", "pmake", "remake", "ninja", "samu", "samurai",
                "cargo", "bazel", "buck", "buck2", "scons", "meson", "cmake", "ctest",
                "xargs", "parallel", "memstop",
        };

        for (size_t i = 0; i < MS_ARRAY_SIZE(drivers); i++)
                if (strcmp(comm, drivers[i]) == 0)
                        return true;
        return false;
}
