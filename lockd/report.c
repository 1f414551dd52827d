/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/proc.h"
#include "supervise/proctree.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"
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

int lockd_psi_trigger_open(int rootfd, const char *path, enum lockd_psi_kind kind, uint64_t threshold_usec,
                           uint64_t window_usec)
{
        _cleanup_close_ int fd = -1;
        char buf[64], abs[PATH_MAX];
        const char *at = ms_at_path(rootfd, path, abs, sizeof(abs));
        int n = lockd_psi_trigger_format(kind, threshold_usec, window_usec, buf, sizeof(buf));

        if (n < 0)
                return n;
        if (!at)
                return -ENAMETOOLONG;
        fd = openat(rootfd, at, O_RDWR | O_NONBLOCK | O_CLOEXEC);
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

/* The n processes with the most resident memory below rootfd into top. */
static int collect_top(int rootfd, struct lockd_top_entry *top, size_t n, size_t *count)
{
        struct ms_pid_dir procs;
        pid_t pid;
        int r = ms_pid_dir_open(rootfd, "proc", &procs);

        if (r < 0)
                return r;
        while ((pid = ms_pid_dir_next(&procs, NULL)) > 0) {
                uint64_t rss;

                if (ms_proc_rss_read(rootfd, pid, &rss) == 0)
                        lockd_top_insert(top, n, count, pid, rss);
        }
        ms_pid_dir_close(&procs);
        return 0;
}

/* Control characters of a command line as '?': one log line each, no escapes. */
static void make_printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

/* "pid RSS cgroup: command line" of one process. */
static void format_line(int rootfd, const struct lockd_top_entry *e, char *line, size_t size)
{
        char cmd[256], comm[64], cg[PATH_MAX], sz[MS_SIZE_BUF];

        if (ms_proc_cmdline_read(rootfd, e->pid, cmd, sizeof(cmd)) == 0 && cmd[0]) {
                make_printable(cmd);
        } else {
                if (ms_proc_comm_read(rootfd, e->pid, comm, sizeof(comm)) < 0 || !comm[0])
                        snprintf(comm, sizeof(comm), "?");
                snprintf(cmd, sizeof(cmd), "[%.32s]", comm);
        }
        if (ms_proc_memcg_read(rootfd, e->pid, cg, sizeof(cg)) < 0)
                snprintf(cg, sizeof(cg), "?");
        snprintf(line, size, "%d %s %.255s: %s", (int)e->pid, ms_size_format(e->rss, sz, sizeof(sz)), cg, cmd);
}

int lockd_report_top(int rootfd, unsigned n, lockd_report_line_fn fn, void *userdata)
{
        _cleanup_free_ struct lockd_top_entry *top = NULL;
        size_t count = 0;
        int r;

        if (n == 0)
                return 0;
        top = calloc(n, sizeof(*top));
        if (!top)
                return -ENOMEM;
        r = collect_top(rootfd, top, n, &count);
        if (r < 0)
                return r;
        for (size_t i = 0; i < count; i++) {
                char line[768];

                format_line(rootfd, &top[i], line, sizeof(line));
                fn(line, userdata);
        }
        return (int)count;
}
