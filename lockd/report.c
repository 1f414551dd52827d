/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/macro.h"
#include "lockd/report.h"
#include "util/size.h"

int lockd_psi_trigger_format(enum lockd_psi_kind kind, uint64_t threshold_usec, uint64_t window_usec,
                             char *buf, size_t size)
{
        int n;

        if (kind == LOCKD_PSI_OFF)
                return -EINVAL;
        n = snprintf(buf, size, "%s %" PRIu64 " %" PRIu64, kind == LOCKD_PSI_SOME ? "some" : "full",
                     threshold_usec, window_usec);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

int lockd_psi_trigger_open(const char *path, enum lockd_psi_kind kind, uint64_t threshold_usec,
                           uint64_t window_usec)
{
        _cleanup_close_ int fd = -1;
        char buf[64];
        int n = lockd_psi_trigger_format(kind, threshold_usec, window_usec, buf, sizeof(buf));

        if (n < 0)
                return n;
        fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The NUL is part of what the kernel parses: without it the last digit is lost. */
        if (write(fd, buf, (size_t)n + 1) < 0)
                return -errno;
        return MS_TAKE_FD(fd);
}

void lockd_top_insert(struct lockd_top_entry *top, size_t n, size_t *count, pid_t pid, uint64_t rss)
{
        size_t i;

        if (n == 0)
                return;
        if (*count == n && top[n - 1].rss >= rss)
                return;
        i = *count < n ? (*count)++ : n - 1;
        while (i > 0 && top[i - 1].rss < rss) {
                top[i] = top[i - 1];
                i--;
        }
        top[i] = (struct lockd_top_entry){ pid, rss };
}

int lockd_statm_parse(const char *text, uint64_t *resident_pages)
{
        unsigned long long size, resident;

        if (sscanf(text, "%llu %llu", &size, &resident) != 2)
                return -EINVAL;
        *resident_pages = resident;
        return 0;
}

char *lockd_cmdline_format(const char *raw, size_t len, char *out, size_t size)
{
        size_t o = 0;

        if (size == 0)
                return out;
        while (len > 0 && raw[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len && o + 1 < size; i++) {
                unsigned char c = (unsigned char)raw[i];
                out[o++] = c == '\0' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
        out[o] = '\0';
        return out;
}

char *lockd_cgroup_format(const char *text, char *out, size_t size)
{
        const char *v2 = NULL;
        size_t v2len = 0;

        snprintf(out, size, "?");
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                const char *c1 = memchr(line, ':', len);
                const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;

                if (c1 && c2) {
                        size_t clen = (size_t)(c2 - c1 - 1);
                        const char *path = c2 + 1;
                        size_t plen = len - (size_t)(path - line);
                        bool memory = false;

                        /* The controller list is comma-separated: "4:memory:/x", "3:cpu,memory:/y". */
                        for (const char *q = c1 + 1; q < c2;) {
                                const char *comma = memchr(q, ',', (size_t)(c2 - q));
                                size_t l = comma ? (size_t)(comma - q) : (size_t)(c2 - q);
                                if (l == 6 && strncmp(q, "memory", 6) == 0)
                                        memory = true;
                                q += l + 1;
                        }
                        if (memory) {
                                snprintf(out, size, "%.*s", (int)plen, path);
                                return out;
                        }
                        if (clen == 0 && strncmp(line, "0:", 2) == 0) {
                                v2 = path;
                                v2len = plen;
                        }
                }
                if (!nl)
                        break;
                line = nl + 1;
        }
        if (v2)
                snprintf(out, size, "%.*s", (int)v2len, v2);
        return out;
}

static ssize_t read_small(int dirfd, const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return n;
}

int lockd_report_top(const char *procdir, unsigned n, lockd_report_line_fn fn, void *userdata)
{
        _cleanup_close_ int procfd = -1;
        _cleanup_free_ struct lockd_top_entry *top = NULL;
        long page = sysconf(_SC_PAGESIZE);
        size_t count = 0;
        struct dirent *de;
        DIR *d;
        int fd;

        if (n == 0)
                return 0;
        procfd = open(procdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return -errno;
        top = calloc(n, sizeof(*top));
        if (!top)
                return -ENOMEM;
        fd = dup(procfd);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                char path[64], buf[128];
                uint64_t pages;
                char *end;
                long pid = strtol(de->d_name, &end, 10);

                if (*end || pid <= 0)
                        continue;
                snprintf(path, sizeof(path), "%ld/statm", pid);
                if (read_small(procfd, path, buf, sizeof(buf)) <= 0 || lockd_statm_parse(buf, &pages) < 0)
                        continue;
                lockd_top_insert(top, n, &count, (pid_t)pid, pages * (uint64_t)page);
        }
        closedir(d);
        for (size_t i = 0; i < count; i++) {
                char path[64], raw[512], cmd[256], cgtext[1024], cg[256], line[768], sz[MS_SIZE_BUF];
                ssize_t len;

                snprintf(path, sizeof(path), "%d/cmdline", (int)top[i].pid);
                len = read_small(procfd, path, raw, sizeof(raw));
                if (len > 0)
                        lockd_cmdline_format(raw, (size_t)len, cmd, sizeof(cmd));
                else {
                        snprintf(path, sizeof(path), "%d/comm", (int)top[i].pid);
                        len = read_small(procfd, path, raw, sizeof(raw));
                        if (len > 0 && raw[len - 1] == '\n')
                                raw[len - 1] = '\0';
                        snprintf(cmd, sizeof(cmd), "[%.32s]", len > 0 ? raw : "?");
                }
                snprintf(path, sizeof(path), "%d/cgroup", (int)top[i].pid);
                if (read_small(procfd, path, cgtext, sizeof(cgtext)) > 0)
                        lockd_cgroup_format(cgtext, cg, sizeof(cg));
                else
                        snprintf(cg, sizeof(cg), "?");
                snprintf(line, sizeof(line), "%d %s %s: %s", (int)top[i].pid,
                         ms_size_format(top[i].rss, sz, sizeof(sz)), cg, cmd);
                fn(line, userdata);
        }
        return (int)count;
}
